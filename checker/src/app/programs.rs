//! Where the programs come from: the student's labs or the solutions (built with cargo),
//! one `--program`, or a `--dir` of executables.

use std::path::{Path, PathBuf};

use super::c_build;
use super::cargo_build;
pub use super::found::{Found, Programs};
use crate::cli::check_executable;
use crate::error::{Fatal, UsageError};
use crate::model::lab::LabProblem;
use crate::model::Lab;
use crate::plan::{Source, Track};

/// The programs of `labs` from `source`; building the crate first where it is one.
pub fn resolve(source: &Source, labs: &[Lab]) -> Result<Programs, Fatal> {
    match source {
        Source::Labs(Track::Rust) => built(labs, "shmlab-labs", "", "labs/src/bin"),
        Source::Solutions(Track::Rust) => {
            built(labs, "shmlab-solutions", "solution-", "solutions/src/bin")
        }
        Source::Labs(Track::C) => built_c(labs, "labs/c", None),
        Source::Solutions(Track::C) => built_c(labs, "solutions/c", Some("labs/c")),
        Source::Program(p) => Ok(vec![(
            labs[0],
            Ok(Found {
                path: p.clone(),
                shown: p.display().to_string(),
                folder: folder_of(p),
            }),
        )]),
        Source::Dir(d) => Ok(labs.iter().map(|lab| (*lab, in_dir(d, *lab))).collect()),
    }
}

/// The C sources in `dir` of the kit's workspace (`labs/c`), built, with `lab.c` and `lab.h`
/// from `lib` when `dir` has none (the solutions use the labs' own).
fn built_c(labs: &[Lab], dir: &str, lib: Option<&str>) -> Result<Programs, Fatal> {
    let ws = cargo_build::find_workspace().ok_or(UsageError::NoWorkspace)?;
    let out = c_build::out_dir(&ws, &dir.replace('/', "-"));
    let lib = lib.map(|l| ws.join(l));
    Ok(c_build::build(
        &ws.join(dir),
        &out,
        labs,
        dir,
        lib.as_deref(),
    ))
}

/// The crate `package` of the kit's workspace, built, with its binary `prefix` + lab per lab.
fn built(labs: &[Lab], package: &str, prefix: &str, shown: &str) -> Result<Programs, Fatal> {
    let ws = cargo_build::find_workspace().ok_or(UsageError::NoWorkspace)?;
    built_in(&ws, labs, package, prefix, shown)
}

/// Like [`built`], in the workspace `ws`: each lab's binary is built on its own, so a lab
/// that does not compile is that lab's problem (its file and first error), and the others
/// are checked.
pub fn built_in(
    ws: &Path,
    labs: &[Lab],
    package: &str,
    prefix: &str,
    shown: &str,
) -> Result<Programs, Fatal> {
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let name = |lab: &Lab| format!("{prefix}{lab}");
    let source = |lab: &Lab| ws.join(shown).join(format!("{}.rs", name(lab)));
    let present: Vec<String> = labs
        .iter()
        .filter(|lab| source(lab).is_file())
        .map(name)
        .collect();
    let outcome = if present.is_empty() {
        Default::default()
    } else {
        cargo_build::build(ws, package, &present)?
    };
    Ok(labs
        .iter()
        .map(|lab| {
            let name = name(lab);
            let found = if let Some(p) = outcome.executables.get(&name) {
                Ok(Found {
                    path: p.clone(),
                    shown: format!("{shown}/{name}.rs"),
                    folder: Some(ws.join(shown)),
                })
            } else if !source(lab).is_file() {
                Err(LabProblem::NotFound { path: source(lab) })
            } else {
                let first = outcome.error_for(&name);
                Err(LabProblem::DoesNotCompile {
                    file: first.map_or_else(|| format!("{shown}/{name}.rs"), |e| e.file.clone()),
                    first_error: first.map(|e| e.text.clone()),
                    // Where no one sees the compiler's stderr (a CI log, Gradescope), the
                    // report carries the error as the compiler rendered it.
                    errors: first
                        .and_then(|e| e.rendered.as_deref())
                        .filter(|_| !terminal)
                        .map(|r| cargo_build::first_lines(r, cargo_build::COMPILER_LINES)),
                })
            };
            (*lab, found)
        })
        .collect())
}

fn in_dir(dir: &Path, lab: Lab) -> Result<Found, LabProblem> {
    let path = dir.join(lab.name());
    match check_executable(&path, "") {
        Ok(()) => Ok(Found {
            shown: path.display().to_string(),
            path,
            folder: Some(dir.to_path_buf()),
        }),
        Err(_) if !path.exists() => Err(LabProblem::NotFound { path }),
        Err(_) => Err(LabProblem::NotExecutable { path }),
    }
}

/// The folder holding the program at `path` (after links: the one it really sits in).
fn folder_of(path: &Path) -> Option<PathBuf> {
    let path = std::fs::canonicalize(path).ok()?;
    path.parent().map(Path::to_path_buf)
}

/// Every program's runs happen in a copy of `folder` instead of their own (`--workdir`).
pub fn in_folder(programs: Programs, folder: &Path) -> Programs {
    programs
        .into_iter()
        .map(|(lab, found)| {
            let found = found.map(|f| Found {
                folder: Some(folder.to_path_buf()),
                ..f
            });
            (lab, found)
        })
        .collect()
}

/// What was checked, in words.
pub fn source_text(source: &Source) -> String {
    match source {
        Source::Labs(Track::Rust) => "your labs (labs/src/bin)".into(),
        Source::Solutions(Track::Rust) => "the reference solutions (solutions/src/bin)".into(),
        Source::Labs(Track::C) => "your C labs (labs/c)".into(),
        Source::Solutions(Track::C) => "the C reference solutions (solutions/c)".into(),
        Source::Program(p) => format!("the program {}", p.display()),
        Source::Dir(d) => format!("the programs in {}", d.display()),
    }
}
