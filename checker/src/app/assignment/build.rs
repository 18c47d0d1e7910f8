//! Finding and building an assignment's program in a submission's folder, as its
//! `[program]` says: its Makefile, or `cc` on its sources, or nothing; then the program by
//! name or glob. Builds run unprivileged in a copy (see [`crate::run::build`]).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::app::cargo_build::{build_within, CC_LIMIT};
use crate::assignment::{Build, ProgramSpec};
use crate::run::build::BuildBox;

/// The program found (or built) in a submission: its path, and its name as shown.
#[derive(Debug, Clone)]
pub struct Built {
    pub path: PathBuf,
    pub shown: String,
}

/// The file name the `cc` build gives the program.
const CC_OUTPUT: &str = "program";

/// How `cc` builds a submission: as a TA would (`cc *.c -o program`), with `-fpermissive` so
/// that a compiler that turns old C into errors (GCC 14: a missing `#include`, an implicit
/// `int`) still builds what older ones did, with warnings.
const CFLAGS: [&str; 2] = ["-g", "-fpermissive"];

/// The script that runs a Python submission that is not executable itself, from its
/// working folder (a copy of the submission, where the script is).
fn python_wrapper(script: &str) -> String {
    format!(
        "#!/bin/sh\nexec python3 ./'{}' \"$@\"\n",
        script.replace('\'', "'\\''")
    )
}

fn is_executable(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The files of `dir` whose names match `patterns`, sorted.
fn matching(dir: &Path, patterns: &[String]) -> Vec<PathBuf> {
    let pats: Vec<glob::Pattern> = patterns
        .iter()
        .filter_map(|p| glob::Pattern::new(p).ok())
        .collect();
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| pats.iter().any(|g| g.matches(n)))
        })
        .collect();
    out.sort();
    out
}

/// The program in `dir`: the executable matching `name` (a name or glob), or, with no name,
/// the only executable there is (ignoring `ignore`).
fn program_in(dir: &Path, name: &str, ignore: &[PathBuf]) -> Result<PathBuf, String> {
    let pattern = if name.is_empty() { "*" } else { name };
    let found: Vec<PathBuf> = matching(dir, &[pattern.to_string()])
        .into_iter()
        .filter(|p| is_executable(p) && !ignore.contains(p))
        .collect();
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] if name.is_empty() => Err("no executable program in the submission".into()),
        [] => Err(format!(
            "no executable program named {name} in the submission"
        )),
        many if !name.is_empty() => Ok(many[0].clone()),
        many => Err(format!(
            "{} executables in the submission and the assignment names none: set [program] name",
            many.len()
        )),
    }
}

/// Builds (if it is to be built) and finds the program of the submission in `dir`; the
/// program is copied to `out`. `Err` says why there is none, for the report.
pub fn build(dir: &Path, spec: &ProgramSpec, out: &Path) -> Result<Built, String> {
    let has_makefile = ["Makefile", "makefile", "GNUmakefile"]
        .iter()
        .any(|m| dir.join(m).is_file());
    let sources = matching(dir, &spec.sources);
    let how = match spec.build {
        Build::Auto if has_makefile => Build::Make,
        Build::Auto if !sources.is_empty() => Build::Cc,
        Build::Auto => Build::None,
        b => b,
    };
    if how == Build::None {
        let found = program_in(dir, &spec.name, &[]);
        // A Python script handed in without its execute bit: run with python3, as a TA would.
        let scripts = matching(
            dir,
            &[if spec.name.is_empty() {
                "*.py".to_string()
            } else {
                spec.name.clone()
            }],
        );
        if let (Err(_), [script]) = (&found, scripts.as_slice()) {
            let name = script
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if name.ends_with(".py") {
                std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
                let wrapper = out.join("run-python");
                std::fs::write(&wrapper, python_wrapper(name)).map_err(|e| e.to_string())?;
                std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755))
                    .map_err(|e| e.to_string())?;
                return Ok(Built {
                    path: wrapper,
                    shown: format!("python3 {}", script.display()),
                });
            }
        }
        let path = found?;
        let shown = path.display().to_string();
        return Ok(Built { path, shown });
    }
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut bx = BuildBox::for_student().map_err(|e| e.to_string())?;
    let copy = bx
        .copy_in(dir, Path::new("src"))
        .map_err(|e| e.to_string())?;
    let before: Vec<PathBuf> = matching(&copy, &["*".into()])
        .into_iter()
        .filter(|p| is_executable(p))
        .collect();
    let target = copy.join(CC_OUTPUT);
    let sources: Vec<PathBuf> = matching(&copy, &spec.sources);
    let cc = |files: &[PathBuf]| -> Result<std::process::Output, String> {
        let mut cmd = bx
            .command("cc", &copy, CC_LIMIT)
            .map_err(|e| e.to_string())?;
        cmd.args(CFLAGS).arg("-o").arg(&target);
        for s in files {
            cmd.arg(s.file_name().unwrap_or_default());
        }
        build_within(&mut cmd, CC_LIMIT).map_err(|e| format!("the build could not run: {e}"))
    };
    let (output, built) = match how {
        Build::Make => {
            let mut cmd = bx
                .command("make", &copy, CC_LIMIT)
                .map_err(|e| e.to_string())?;
            let made = build_within(&mut cmd, CC_LIMIT)
                .map_err(|e| format!("the build could not run: {e}"))?;
            (made, None)
        }
        _ => (cc(&sources)?, Some(target.clone())),
    };
    // As a TA would when the build fails: the sources alone with cc (a broken Makefile),
    // or each source that has a main alone (a test program handed in beside the real one).
    let (output, built) = if output.status.success() || sources.is_empty() {
        (output, built)
    } else {
        let mains = sources
            .iter()
            .filter(|s| std::fs::read_to_string(s).is_ok_and(|t| t.contains("main(")));
        let mut tries = vec![sources.clone()];
        if sources.len() > 1 {
            tries.extend(mains.map(|m| vec![m.clone()]));
        }
        tries
            .iter()
            .skip(usize::from(how != Build::Make))
            .find_map(|files| cc(files).ok().filter(|o| o.status.success()))
            .map_or((output, built), |o| (o, Some(target.clone())))
    };
    if !output.status.success() {
        let messages = String::from_utf8_lossy(&output.stderr);
        let first = messages
            .lines()
            .find(|l| l.contains("error"))
            .unwrap_or("the build failed");
        return Err(format!("the submission does not build: {}", first.trim()));
    }
    let path = match built {
        Some(p) if spec.name.is_empty() => p,
        _ => program_in(&copy, &spec.name, &before)
            .or_else(|_| program_in(&copy, &spec.name, &[]))?,
    };
    let name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    let dest = out.join(&name);
    bx.copy_out(&path, &dest).map_err(|e| e.to_string())?;
    Ok(Built {
        shown: dir.join(&name).display().to_string(),
        path: dest,
    })
}
