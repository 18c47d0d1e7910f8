//! `shmlab grade SUBMISSIONS_DIR`: a whole class at once.
//!
//! Each subdirectory is one student: either a Cargo project shaped like `labs/` (built
//! against this kit's `shm` crate), or executables or C sources named after the labs
//! (`create`, `create.c`, ...; C is compiled with the system `cc`). Every submission is
//! checked by its own `shmlab check --dir ... --format json` process, `--jobs` at a time, so
//! a submission that crashes or hangs its checker costs only its own result. Its programs
//! run in a copy of the submission's folder (`--workdir`), so a program that `ftok`s one of
//! its own files finds it. The results
//! are one JSON report per student and a CSV with one row per student and a column per lab.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::cargo_build::first_lines;
use super::pool::{checker_end, in_parallel, run_children};
use crate::error::{exit_codes, Fatal};
use crate::model::Lab;
use crate::plan::{GradePlan, RunOptions};
use crate::run::isolation::IsolationRequest;

pub(crate) mod prepare;

use prepare::{prepare, students, Prepared};

/// A student's report, with the labs that did not build marked as such.
fn finish_report(p: &Prepared, report: Option<Value>, ended: &str, log: &str) -> Value {
    let mut doc = report.unwrap_or_else(|| {
        let why = [ended.to_string(), first_lines(log, 5)]
            .join("\n")
            .trim()
            .to_string();
        json!({
            "score": 0,
            "max_score": 0,
            "output": format!("The checker could not grade this submission: {why}"),
            "tests": [],
            "extra_data": { "error": why },
        })
    });
    if let Some(tests) = doc["tests"].as_array_mut() {
        // A scenario that cannot run here stays skipped, as for every other student.
        let runs = |t: &Value| t["extra_data"]["outcome"] != "skipped";
        for t in tests.iter_mut().filter(|t| runs(t)) {
            let lab = t["extra_data"]["lab"].as_str().unwrap_or("").to_string();
            if let Some(problem) = Lab::from_name(&lab).and_then(|l| p.problems.get(&l)) {
                t["output"] = json!(problem);
                t["score"] = json!(0);
                t["status"] = json!("failed");
            }
        }
    }
    doc["extra_data"]["student"] = json!(p.student);
    doc
}

/// Passed scenarios per lab, from a report.
fn lab_scores(doc: &Value) -> BTreeMap<String, u64> {
    let mut scores: BTreeMap<String, u64> =
        Lab::ALL.iter().map(|l| (l.name().to_string(), 0)).collect();
    for t in doc["tests"].as_array().into_iter().flatten() {
        if let Some(lab) = t["extra_data"]["lab"].as_str() {
            *scores.entry(lab.to_string()).or_default() += t["score"].as_u64().unwrap_or(0);
        }
    }
    scores
}

/// A cell as a spreadsheet may safely read it: a text that starts with `=`, `+`, `-`, `@`,
/// a tab or a CR would be taken for a formula, so it gets a `'` first (OWASP's advice for CSV
/// injection); the `csv` crate quotes the rest (commas, quotes, CR and LF).
fn cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// What a batch came to.
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    /// Submissions graded.
    pub graded: usize,
    /// Of those, how many the checker could not grade (its error is in the report).
    pub errors: usize,
    /// Wall time.
    pub took: Duration,
}

/// How long one submission's checker may run: far more than its scenarios can take.
fn per_submission(timeout_secs: f64) -> Duration {
    let scenarios = crate::catalogue::all().len();
    Duration::from_secs_f64((timeout_secs * scenarios as f64 * 2.0 + 60.0).max(600.0))
}

/// Whether a user with no claim on `dir` can enter it: it and every folder above it let
/// others search them.
fn open_to_others(dir: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(dir) = std::fs::canonicalize(dir) else {
        return false;
    };
    dir.ancestors()
        .all(|d| std::fs::metadata(d).is_ok_and(|m| m.mode() & 0o001 != 0))
}

/// Where a student's checker writes its JSON before `grade` finishes it: a hidden name, which
/// no student's own files can have (folders whose name starts with `.` are no students), so
/// the student `x.raw` never shares a file with the student `x`.
fn raw_name(student: &str) -> String {
    format!(".{student}.raw.json")
}

/// Grades every submission and writes the reports and the CSV.
pub fn grade(plan: &GradePlan) -> std::io::Result<Summary> {
    let start = Instant::now();
    std::fs::create_dir_all(&plan.out)?;
    let list = students(&plan.submissions, &plan.out)?;
    // At a terminal, one bar over both phases (each submission is built, then checked: two
    // steps), the phase and the student last done beside it; in a log, a plain line per
    // student and phase.
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(2 * list.len() as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{prefix:8} [{bar:30}] {pos}/{len} steps, {elapsed} ({eta} left) {msg}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_prefix("building");
        bar
    });
    if bar.is_none() {
        eprintln!(
            "shmlab: building {} submission(s), {} at a time ...",
            list.len(),
            plan.jobs.max(1)
        );
    }
    // The builds (cargo, cc) run under --jobs too: a class of C sources is mostly compiling.
    let built = std::sync::atomic::AtomicUsize::new(0);
    let prepared = in_parallel(&list, plan.jobs, |(name, dir)| {
        let p = prepare(name, dir, &plan.out, &plan.labs);
        let n = built.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        match &bar {
            Some(bar) => {
                bar.inc(1);
                bar.set_message(format!("built {name}"));
            }
            None => eprintln!("built {name} ({n}/{})", list.len()),
        }
        p
    });
    if let Some(bar) = &bar {
        bar.set_prefix("checking");
    }
    let me = std::env::current_exe()?;
    let cap = per_submission(plan.run.timeout.as_secs_f64());
    let mut reports: Vec<Option<Value>> = vec![None; prepared.len()];
    let mut done = 0;
    run_children(
        prepared.len(),
        plan.jobs,
        cap,
        |i| {
            let p = &prepared[i];
            let stdout = std::fs::File::create(plan.out.join(raw_name(&p.student)))?;
            let stderr = std::fs::File::create(plan.out.join(format!("{}.log", p.student)))?;
            Command::new(&me)
                .args(["check", "--format", "json", "--dir"])
                .arg(&p.dir)
                .arg("--html")
                .arg(plan.out.join(format!("{}.html", p.student)))
                .arg("--workdir")
                .arg(&p.src)
                .args(check_args(&plan.run))
                .args(plan.labs.iter().map(|l| l.name()))
                .stdin(Stdio::null())
                .stdout(stdout)
                .stderr(stderr)
                .spawn()
        },
        |i, status| {
            let p = &prepared[i];
            let raw = plan.out.join(raw_name(&p.student));
            let parsed = std::fs::read(&raw)
                .ok()
                .and_then(|b| serde_json::from_slice::<Value>(&b).ok());
            let _ = std::fs::remove_file(&raw);
            let log = std::fs::read_to_string(plan.out.join(format!("{}.log", p.student)))
                .unwrap_or_default();
            let doc = finish_report(p, parsed, &checker_end(status, cap), &log);
            std::fs::write(
                plan.out.join(format!("{}.json", p.student)),
                serde_json::to_string_pretty(&doc).unwrap_or_default(),
            )?;
            let score = format!("{}/{}", doc["score"], doc["max_score"]);
            reports[i] = Some(doc);
            done += 1;
            if let Some(bar) = &bar {
                bar.inc(1);
                bar.set_message(format!("graded {}: {score}", p.student));
            } else {
                // A log, not a terminal: one plain line per student.
                eprintln!("graded {} ({done}/{}): {score}", p.student, prepared.len());
            }
            Ok(())
        },
    )?;
    if let Some(bar) = bar {
        // The summary that follows gets a line of its own.
        bar.finish_and_clear();
    }
    write_csv(plan, &prepared, &reports)?;
    let errors = reports
        .iter()
        .flatten()
        .filter(|d| {
            d["extra_data"]["error"]
                .as_str()
                .is_some_and(|e| !e.is_empty())
        })
        .count();
    if crate::run::process::interrupted() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::Interrupted,
            format!(
                "interrupted after {done} of {} submissions; grades.csv lists those",
                prepared.len()
            ),
        ));
    }
    Ok(Summary {
        graded: prepared.len(),
        errors,
        took: start.elapsed(),
    })
}

/// One row per student (a submission not graded shows as not graded), a column per lab.
fn write_csv(
    plan: &GradePlan,
    prepared: &[Prepared],
    reports: &[Option<Value>],
) -> std::io::Result<()> {
    let mut csv = csv::Writer::from_path(plan.out.join("grades.csv"))?;
    let mut header = vec!["student".to_string()];
    header.extend(plan.labs.iter().map(|l| l.name().to_string()));
    header.extend(["score", "max_score", "error"].map(String::from));
    csv.write_record(&header)?;
    for (p, doc) in prepared.iter().zip(reports) {
        let doc = doc.clone().unwrap_or_else(
            || json!({ "extra_data": { "error": "not graded: grading was interrupted" } }),
        );
        let scores = lab_scores(&doc);
        let mut row = vec![cell(&p.student)];
        for lab in &plan.labs {
            row.push(scores.get(lab.name()).copied().unwrap_or(0).to_string());
        }
        let error = doc["extra_data"]["error"].as_str().unwrap_or("");
        row.push(doc["score"].as_u64().unwrap_or(0).to_string());
        row.push(doc["max_score"].as_u64().unwrap_or(0).to_string());
        row.push(cell(&first_lines(error, 1)));
        csv.write_record(&row)?;
    }
    csv.flush()
}

/// The options that make a child `shmlab check` run programs as `run` says (each student's
/// check; `watch`'s checks).
pub fn check_args(run: &RunOptions) -> Vec<String> {
    let isolation = match run.isolation {
        IsolationRequest::Auto => "auto",
        IsolationRequest::Namespace => "namespace",
        IsolationRequest::Keys => "keys",
    };
    let mut args = vec![
        "--isolation".to_string(),
        isolation.to_string(),
        "--timeout".to_string(),
        run.timeout.as_secs_f64().to_string(),
    ];
    if !run.trace {
        args.push("--no-trace".into());
    }
    args
}

/// Makes the folder a grade writes into (`--out`): one that is a file, or cannot be made, is
/// the instructor's to fix.
pub(crate) fn make_out(out: &std::path::Path) -> Result<(), Fatal> {
    if out.exists() && !out.is_dir() {
        return Err(Fatal::OutNotADirectory(out.to_path_buf()));
    }
    std::fs::create_dir_all(out).map_err(|e| Fatal::OutUnwritable {
        path: out.to_path_buf(),
        reason: e.to_string(),
    })?;
    // The checker's alone: a student's program (run as another uid when the checker is root)
    // finds this folder in its parent's arguments, and must not read another student's
    // report, log or build here.
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(out, std::fs::Permissions::from_mode(0o700));
    Ok(())
}

/// `shmlab grade SUBMISSIONS_DIR`: grades every submission and writes the CSV.
pub fn execute(plan: &GradePlan) -> Result<u8, Fatal> {
    make_out(&plan.out)?;
    if students(&plan.submissions, &plan.out)
        .map_err(Fatal::Grade)?
        .is_empty()
    {
        return Err(Fatal::EmptyClass(plan.submissions.clone()));
    }
    if nix::unistd::geteuid().is_root() && open_to_others(&plan.submissions) {
        eprintln!(
            "note: every user can reach {}, so a student's program can read the other submissions while it runs; `chmod 700` it (the programs run in copies, and need no access to it)",
            plan.submissions.display()
        );
    }
    let summary = grade(plan).map_err(Fatal::Grade)?;
    let n = summary.graded;
    let rate = n as f64 / summary.took.as_secs_f64().max(1e-9);
    println!(
        "graded {n} submissions in {:.1} s ({rate:.2} per second, {} at a time): {} and one report per student in {}",
        summary.took.as_secs_f64(),
        plan.jobs,
        plan.out.join("grades.csv").display(),
        plan.out.display()
    );
    if n > 0 && summary.errors == n {
        return Err(Fatal::NothingGraded(plan.out.clone()));
    }
    if summary.errors > 0 {
        eprintln!(
            "note: {} submission(s) could not be graded; their rows in grades.csv say why",
            summary.errors
        );
    }
    Ok(exit_codes::OK)
}

#[cfg(test)]
mod tests {
    use super::{cell, open_to_others, raw_name, students};

    #[test]
    fn a_class_folder_is_open_to_others_when_every_folder_on_its_way_is() {
        use std::os::unix::fs::PermissionsExt;
        let class = tempfile::tempdir().unwrap();
        let mode = |m| std::fs::Permissions::from_mode(m);
        std::fs::set_permissions(class.path(), mode(0o700)).unwrap();
        assert!(!open_to_others(class.path()));
        std::fs::set_permissions(class.path(), mode(0o755)).unwrap();
        assert_eq!(
            open_to_others(class.path()),
            open_to_others(class.path().parent().unwrap())
        );
    }

    #[test]
    fn every_student_folder_gets_a_name_of_its_own_that_forges_nothing() {
        use std::os::unix::ffi::OsStrExt;
        let class = tempfile::tempdir().unwrap();
        let out = tempfile::tempdir().unwrap();
        for name in [
            &b"bad\xfd"[..],
            b"bad\xfc",
            b"bad\\xfd",
            b"new\ngraded alice (1 of 9): 52",
            b"\x1b[2Jclear\xe2\x80\xae",
            b"x",
            b"x.raw",
            b".hidden",
        ] {
            std::fs::create_dir(class.path().join(std::ffi::OsStr::from_bytes(name))).unwrap();
        }
        let names: Vec<String> = students(class.path(), out.path())
            .unwrap()
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        assert_eq!(
            names,
            [
                r"\u{1b}[2Jclear\u{202e}",
                // The folder named with a backslash sorts first, and keeps its own name.
                r"bad\xfd",
                r"bad\xfc",
                r"bad\xfd~2",
                r"new\ngraded alice (1 of 9): 52",
                "x",
                "x.raw",
            ]
        );
        let files: std::collections::BTreeSet<String> = names
            .iter()
            .flat_map(|n| [format!("{n}.json"), raw_name(n)])
            .collect();
        assert_eq!(files.len(), 2 * names.len(), "{files:?}");
    }

    #[test]
    fn a_cell_a_spreadsheet_would_run_as_a_formula_is_made_text() {
        for f in ["=1+1", "+1", "-2", "@SUM(A1)", "\t=x", "\r=x"] {
            assert!(cell(f).starts_with('\''), "{f:?}");
        }
        assert_eq!(cell("alice"), "alice");
    }

    #[test]
    fn a_cr_in_a_name_stays_in_its_cell() {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record([cell("bob\revil"), "1".into()]).unwrap();
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        let whole = format!("a,b\n{text}");
        let mut r = csv::Reader::from_reader(whole.as_bytes());
        let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 1, "{text:?}");
        assert_eq!(&rows[0][0], "bob\revil");
    }
}
