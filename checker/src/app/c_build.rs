//! The C track: each lab's `<lab>.c`, linked with the shared `lab.c` of its directory when
//! there is one, compiled with the system C compiler (`$CC`, else `cc`) and `-Wall -Wextra`.
//! The compiler's messages are shown as they are; a lab that does not compile is that lab's
//! problem, and the other labs are still checked.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::cargo_build::{build_within, CC_LIMIT};
use super::programs::{Found, Programs};
use crate::model::lab::LabProblem;
use crate::model::Lab;

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
/// (`labs/c`). Compiler messages go to stderr as the compiler printed them.
pub fn build(src: &Path, out: &Path, labs: &[Lab], shown: &str) -> Programs {
    if let Err(e) = std::fs::create_dir_all(out) {
        return labs
            .iter()
            .map(|lab| {
                let problem = LabProblem::SourceDoesNotCompile {
                    file: format!("{shown}/{lab}.c"),
                    why: Some(format!("{} could not be created: {e}", out.display())),
                };
                (*lab, Err(problem))
            })
            .collect();
    }
    eprintln!(
        "shmlab: building {shown} ({} {}) ...",
        compiler(),
        CFLAGS.join(" ")
    );
    labs.iter()
        .map(|lab| (*lab, build_one(src, out, *lab, shown)))
        .collect()
}

/// Compiles one lab; the binary is written under a temporary name and renamed, so that two
/// checkers building at once never run a half-written file.
fn build_one(src: &Path, out: &Path, lab: Lab, shown: &str) -> Result<Found, LabProblem> {
    let file = format!("{shown}/{lab}.c");
    let source = src.join(format!("{lab}.c"));
    if !source.is_file() {
        return Err(LabProblem::NotFound { path: source });
    }
    let dest = out.join(lab.name());
    let partial = out.join(format!(".{lab}.{}", std::process::id()));
    let mut cmd = Command::new(compiler());
    cmd.args(CFLAGS).arg("-o").arg(&partial).arg(&source);
    let shared = src.join("lab.c");
    if shared.is_file() {
        cmd.arg(&shared);
    }
    let result = build_within(&mut cmd, CC_LIMIT);
    let problem = |why: Option<String>| LabProblem::SourceDoesNotCompile {
        file: file.clone(),
        why,
    };
    match result {
        Ok(o) => {
            eprint!("{}", String::from_utf8_lossy(&o.stderr));
            if !o.status.success() {
                let _ = std::fs::remove_file(&partial);
                return Err(problem(None));
            }
        }
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(problem(Some(format!(
                "{} could not be run: {e}",
                compiler()
            ))));
        }
    }
    std::fs::rename(&partial, &dest).map_err(|e| problem(Some(e.to_string())))?;
    Ok(Found {
        path: dest,
        shown: file,
    })
}

/// Where the C track of `ws` is built: `target/shmlab-c/<what>`.
pub fn out_dir(ws: &Path, what: &str) -> PathBuf {
    ws.join("target").join("shmlab-c").join(what)
}
