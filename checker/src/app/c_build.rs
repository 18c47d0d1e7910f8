//! The C track: each lab's `<lab>.c`, linked with the shared `lab.c` of its directory when
//! there is one (else of the `lib` directory given: the C solutions use `labs/c`'s, which
//! exists once), compiled with the system C compiler (`$CC`, else `cc`) and `-Wall -Wextra`.
//! The compiler's messages are shown as they are; a lab that does not compile is that lab's
//! problem, and the other labs are still checked. The compiler runs in a copy of the
//! sources (so its messages name `create.c`, not a path), as a uid of its own when the checker is
//! root (see [`crate::run::build`]).

use std::path::{Path, PathBuf};

use super::cargo_build::{build_within, CC_LIMIT, COMPILER_LINES};
use super::found::{Found, Programs};
use crate::model::lab::LabProblem;
use crate::model::Lab;
use crate::report::neutral::neutral_lines;
use crate::run::build::BuildBox;

/// The flags every C lab is built with (the starters and solutions compile without a warning).
pub const CFLAGS: [&str; 4] = ["-Wall", "-Wextra", "-O1", "-g"];

/// The compiler: `$CC` where it is set, else `cc`.
fn compiler() -> String {
    std::env::var("CC")
        .ok()
        .filter(|c| !c.trim().is_empty())
        .unwrap_or_else(|| "cc".into())
}

/// Builds `labs` from the sources in `src` into `out`; `shown` names the sources in reports
/// (`labs/c`). `lab.h` and `lab.c` come from `src`, else from `lib` (copied the same way).
/// Compiler messages go to stderr as the compiler printed them.
///
/// The compiler works on a copy of `src` that follows no link, run as
/// [`BuildBox::for_student`] (a uid of its own when the checker is root): a `#include` of a file that
/// user cannot read fails, whoever runs the checker.
pub fn build(src: &Path, out: &Path, labs: &[Lab], shown: &str, lib: Option<&Path>) -> Programs {
    if !src.is_dir() {
        return labs
            .iter()
            .map(|lab| {
                let path = src.join(format!("{lab}.c"));
                (*lab, Err(LabProblem::NotFound { path }))
            })
            .collect();
    }
    let boxed = std::fs::create_dir_all(out)
        .map_err(|e| format!("{} could not be created: {e}", out.display()))
        .and_then(|()| {
            let mut bx = BuildBox::for_student().map_err(|e| e.to_string())?;
            let copy = bx
                .copy_in(src, Path::new("src"))
                .map_err(|e| e.to_string())?;
            let lib = match lib {
                Some(l) if !copy.join("lab.c").is_file() => {
                    Some(bx.copy_in(l, Path::new("lib")).map_err(|e| e.to_string())?)
                }
                _ => None,
            };
            Ok((bx, copy, lib))
        });
    let (bx, copy, lib) = match boxed {
        Ok(b) => b,
        Err(why) => {
            return labs
                .iter()
                .map(|lab| {
                    let problem = LabProblem::SourceDoesNotCompile {
                        file: format!("{shown}/{lab}.c"),
                        why: Some(why.clone()),
                        errors: None,
                    };
                    (*lab, Err(problem))
                })
                .collect();
        }
    };
    eprintln!(
        "shmlab: building {shown} ({} {}) ...",
        compiler(),
        CFLAGS.join(" ")
    );
    for s in bx.skipped() {
        eprintln!("shmlab: not copied for the build: {shown}/{s}");
    }
    labs.iter()
        .map(|lab| {
            (
                *lab,
                build_one(&bx, &copy, lib.as_deref(), src, out, *lab, shown),
            )
        })
        .collect()
}

/// Compiles one lab in the copy `copy` of `src`; the program is copied to `out` under a
/// temporary name and renamed, so that two checkers building at once never run a
/// half-written file.
fn build_one(
    bx: &BuildBox,
    copy: &Path,
    lib: Option<&Path>,
    src: &Path,
    out: &Path,
    lab: Lab,
    shown: &str,
) -> Result<Found, LabProblem> {
    let file = format!("{shown}/{lab}.c");
    let name = format!("{lab}.c");
    let problem = |why: Option<String>| LabProblem::SourceDoesNotCompile {
        file: file.clone(),
        why,
        errors: None,
    };
    if !copy.join(&name).is_file() {
        if let Some(s) = bx.skipped().iter().find(|s| s.path == Path::new(&name)) {
            return Err(problem(Some(format!("{file} is {}", s.why))));
        }
        return Err(LabProblem::NotFound {
            path: src.join(name),
        });
    }
    let built = bx.out().join(lab.name());
    let mut cmd = bx
        .command(compiler(), copy, CC_LIMIT)
        .map_err(|e| problem(Some(e.to_string())))?;
    cmd.args(CFLAGS).arg("-o").arg(&built).arg(&name);
    if copy.join("lab.c").is_file() {
        cmd.arg("lab.c");
    } else if let Some(lib) = lib.filter(|l| l.join("lab.c").is_file()) {
        cmd.arg("-I").arg(lib).arg(lib.join("lab.c"));
    }
    match build_within(&mut cmd, CC_LIMIT) {
        Ok(o) => {
            // The compiler quotes the student's code: shown neutral, so that no line of it
            // reads as a command to a CI's log (`##[error]`, `::error::`).
            eprint!("{}", neutral_lines(&o.stderr));
            if !o.status.success() {
                let said = String::from_utf8_lossy(&o.stderr);
                return Err(LabProblem::SourceDoesNotCompile {
                    file,
                    why: None,
                    errors: Some(super::cargo_build::first_lines(&said, COMPILER_LINES)),
                });
            }
        }
        Err(e) => {
            return Err(problem(Some(format!(
                "{} could not be run: {e}",
                compiler()
            ))));
        }
    }
    let dest = out.join(lab.name());
    bx.copy_out(&built, &dest)
        .map_err(|e| problem(Some(e.to_string())))?;
    Ok(Found {
        path: dest,
        shown: file,
        folder: Some(src.to_path_buf()),
    })
}

/// Where the C track of `ws` is built: `target/shmlab-c/<what>`.
pub fn out_dir(ws: &Path, what: &str) -> PathBuf {
    ws.join("target").join("shmlab-c").join(what)
}
