//! `shmlab dev check`: the kit's own authoring check, like rustlings' `dev check`. Every
//! pristine starter (derived from its solution, see [`super::starters`]) holds none of the
//! solution's shm calls and fails its lab as not started, every reference solution passes,
//! and every guide's "What the checker runs" table lists exactly the catalogue's scenarios,
//! in order. It never reads the student's `labs/src/bin/`. `shmlab dev starters` compares
//! `labs/` with the derived starters (CI runs it on a fresh clone), and `--write` writes them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::cargo_build::{build_project, find_workspace};
use super::check::{check_prepared, environment, prepare};
use super::check_sysv;
use super::programs::{built_in, Found, Programs};
use super::starters::{self, answers_in, solution_calls, student_file};
use crate::catalogue;
use crate::error::{exit_codes, Fatal, UsageError};
use crate::model::lab::LabProblem;
use crate::model::Lab;
use crate::plan::{RunOptions, Selection, Track};
use crate::report::list::status_text;
use crate::report::{LabStatus, Report};

/// Runs the authoring check and prints one line per finding.
pub fn execute(options: &RunOptions) -> Result<u8, Fatal> {
    check_sysv()?;
    let ws = find_workspace().ok_or(UsageError::NoWorkspace)?;
    let mut problems = guide_problems(&ws);
    let report_line =
        |ok: bool, what: &str| println!("  {}  {what}", if ok { "ok  " } else { "FAIL" });
    println!("shmlab dev check ({})", ws.display());
    report_line(
        problems.is_empty(),
        "every guide lists exactly the catalogue's scenarios, in order",
    );
    for p in &problems {
        println!("        {p}");
    }
    let leaks = answer_problems(&ws);
    report_line(
        leaks.is_empty(),
        "no starter holds a line of its solution's shm calls",
    );
    for p in &leaks {
        println!("        {p}");
    }
    problems.extend(leaks);
    let starters = pristine_starters(&ws);
    let solutions = built_in(
        &ws,
        &Lab::ALL,
        "shmlab-solutions",
        "solution-",
        "solutions/src/bin",
    )?;
    let (starters, solutions) = (prepare(starters), prepare(solutions));
    let env = environment(options)?;
    let everything = Selection::everything();
    let source = "the pristine starters".to_string();
    let starters = check_prepared(&env, &everything, &starters, source);
    let solutions = check_prepared(&env, &everything, &solutions, "the solutions".into());
    let wrong = |report: &Report, want: LabStatus| -> Vec<String> {
        report
            .labs
            .iter()
            .filter(|l| l.status() != want)
            .map(|l| format!("{}: {}", l.lab, status_text(l.status())))
            .collect()
    };
    for (what, report, want) in [
        (
            "every pristine starter fails its lab as not started",
            &starters,
            LabStatus::NotStarted,
        ),
        (
            "every reference solution passes its lab",
            &solutions,
            LabStatus::Done,
        ),
    ] {
        let off = wrong(report, want);
        report_line(off.is_empty(), what);
        for o in &off {
            println!("        {o}");
        }
        problems.extend(off);
    }
    Ok(if problems.is_empty() {
        exit_codes::OK
    } else {
        exit_codes::FAILED
    })
}

/// The pristine starters, built in a workspace of their own (with the kit's `labs` library
/// and manifest), by name. The workspace is temporary; the target directory is under the
/// kit's, so the build is cached.
pub fn build_pristine(ws: &Path) -> Result<BTreeMap<String, PathBuf>, String> {
    let scratch = tempfile::Builder::new()
        .prefix("shmlab-pristine-")
        .tempdir()
        .map_err(|e| format!("no temporary directory for the pristine starters: {e}"))?;
    let project = scratch.path().join("project");
    let copy = || -> std::io::Result<()> {
        std::fs::create_dir_all(project.join("src/bin"))?;
        std::fs::copy(ws.join("labs/Cargo.toml"), project.join("Cargo.toml"))?;
        // The library, all its modules: everything under labs/src but the student's bins.
        copy_tree(&ws.join("labs/src"), &project.join("src"), &|p| {
            p.ends_with("src/bin")
        })?;
        Ok(())
    };
    copy().map_err(|e| format!("the pristine starters could not be copied: {e}"))?;
    starters::write_pristine(ws, Track::Rust, &project.join("src/bin"))?;
    let target = ws.join("target").join("shmlab-pristine");
    build_project(&project, &target)
}

/// Copies the files under `from` into `to`, leaving out the directories `skip` names.
fn copy_tree(from: &Path, to: &Path, skip: &dyn Fn(&Path) -> bool) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let path = entry?.path();
        let dest = to.join(path.file_name().unwrap_or_default());
        if path.is_dir() {
            if !skip(&path) {
                copy_tree(&path, &dest, skip)?;
            }
        } else {
            std::fs::copy(&path, &dest)?;
        }
    }
    Ok(())
}

fn pristine_starters(ws: &Path) -> Programs {
    let bins = build_pristine(ws);
    if let Err(why) = &bins {
        println!("        {why}");
    }
    Lab::ALL
        .into_iter()
        .map(|lab| {
            let found = bins
                .as_ref()
                .ok()
                .and_then(|b| b.get(lab.name()))
                .map(|p| Found {
                    path: p.clone(),
                    shown: student_file(lab, Track::Rust),
                    folder: None,
                });
            let problem = LabProblem::DoesNotCompile {
                file: student_file(lab, Track::Rust),
                first_error: None,
                errors: None,
            };
            (lab, found.ok_or(problem))
        })
        .collect()
}

/// The starters that hold a line of their solution's shm calls (or whose solution's markers
/// are wrong), one sentence each.
pub fn answer_problems(ws: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for track in [Track::Rust, Track::C] {
        for lab in Lab::ALL {
            let path = starters::source(lab, track);
            let text = match std::fs::read_to_string(ws.join(&path)) {
                Ok(t) => t,
                Err(e) => {
                    out.push(format!("{path} cannot be read: {e}"));
                    continue;
                }
            };
            let found = solution_calls(&text)
                .and_then(|calls| Ok((starters::starter(&text)?, calls)))
                .map(|(starter, calls)| answers_in(&starter, &calls));
            match found {
                Err(e) => out.push(format!("{path}: {e}")),
                Ok(found) => out.extend(found.into_iter().map(|(line, call)| {
                    format!(
                        "the starter {} holds the solution's {call} (line {line}): say what to do, the last hint gives the code",
                        student_file(lab, track)
                    )
                })),
            }
        }
    }
    out
}

/// `shmlab dev starters [--write]`: compares each file of `labs/` that a starter stands for
/// with the starter derived from its solution (what a fresh clone must hold), or writes them.
pub fn starters(write: bool) -> Result<u8, Fatal> {
    let ws = find_workspace().ok_or(UsageError::NoWorkspace)?;
    let mut differ = Vec::new();
    for track in [Track::Rust, Track::C] {
        for lab in Lab::ALL {
            let file = student_file(lab, track);
            let want = match starters::derive(&ws, lab, track) {
                Ok(w) => w,
                Err(why) => {
                    println!("  FAIL  {why}");
                    differ.push(file);
                    continue;
                }
            };
            let have = std::fs::read_to_string(ws.join(&file)).unwrap_or_default();
            if have == want {
                continue;
            }
            if write {
                std::fs::write(ws.join(&file), &want).map_err(|e| UsageError::CannotReset {
                    shown: file.clone(),
                    reason: e.to_string(),
                })?;
                println!("  wrote {file}");
            } else {
                println!(
                    "  FAIL  {file} is not the starter its solution gives ({})",
                    starters::source(lab, track)
                );
                differ.push(file);
            }
        }
    }
    if differ.is_empty() {
        println!(
            "  ok    every file of labs/ a starter stands for is the starter its solution gives"
        );
        return Ok(exit_codes::OK);
    }
    println!(
        "        `cargo shmlab dev starters --write` writes them (the solutions are the source)"
    );
    Ok(exit_codes::FAILED)
}

/// The scenario slugs a guide's "What the checker runs" table lists, in order.
pub fn guide_slugs(guide: &str) -> Vec<String> {
    let Some(start) = guide.find("## What the checker runs") else {
        return Vec::new();
    };
    let section = &guide[start + 3..];
    let end = section.find("\n## ").unwrap_or(section.len());
    section[..end]
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split_once('`').map(|(slug, _)| slug.to_string()))
        .filter(|s| s.contains('/'))
        .collect()
}

/// Where the guides and the catalogue disagree, one sentence each.
pub fn guide_problems(ws: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for lab in Lab::ALL {
        let path = ws.join(lab.guide());
        let Ok(text) = std::fs::read_to_string(&path) else {
            out.push(format!("{} cannot be read", path.display()));
            continue;
        };
        let listed = guide_slugs(&text);
        let catalogue: Vec<String> = catalogue::scenarios(lab)
            .into_iter()
            .map(|s| s.slug.to_string())
            .collect();
        if listed != catalogue {
            out.push(format!(
                "{}: the table lists [{}], the catalogue has [{}]",
                lab.guide(),
                listed.join(", "),
                catalogue.join(", ")
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guide_tables_are_read_row_by_row_in_their_section_only() {
        let guide = "# Lab\n\n## What the checker runs\n\n| scenario | setup |\n|---|---|\n| `create/a` | x |\n| `create/b` | y |\n\n## Common mistakes\n\n| `create/c` | not a scenario row |\n";
        assert_eq!(guide_slugs(guide), ["create/a", "create/b"]);
        assert!(guide_slugs("no section").is_empty());
    }

    #[test]
    fn every_guide_in_the_kit_lists_exactly_the_catalogue() {
        let ws = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        assert_eq!(guide_problems(ws), Vec::<String>::new());
    }
}
