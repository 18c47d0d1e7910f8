//! `shmlab gradescope`: the Gradescope autograder zip. Its root holds the kit's sources (what
//! Gradescope unpacks into `/autograder/source`), `setup.sh` (installs cc and Rust, builds the
//! checker once), `run_autograder` (grades `/autograder/submission` and always writes
//! `/autograder/results/results.json`) and `settings` (the labs and visibility chosen).

use std::io::Write;
use std::path::{Path, PathBuf};

use zip::write::SimpleFileOptions;

use super::cargo_build::find_workspace;
use crate::error::{exit_codes, Fatal, UsageError};
use crate::plan::GradescopePlan;

const SETUP: &str = include_str!("../../gradescope/setup.sh");
const RUN: &str = include_str!("../../gradescope/run_autograder");

/// The kit's files to ship: everything but builds, git's own files and local state.
fn sources(ws: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, ws: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if matches!(
                name.as_str(),
                "target" | ".git" | ".shmlab-state.txt" | "bin"
            ) || name.ends_with(".snap.new")
            {
                continue;
            }
            if p.is_dir() {
                walk(&p, ws, out);
            } else if p.is_file() {
                out.push(p.strip_prefix(ws).unwrap_or(&p).to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(ws, ws, &mut out);
    out.sort();
    out
}

/// Writes the zip.
pub fn execute(plan: &GradescopePlan) -> Result<u8, Fatal> {
    let ws = find_workspace().ok_or(UsageError::NoWorkspace)?;
    let written = write_zip(&ws, plan).map_err(|e| UsageError::OutputFile {
        path: plan.out.clone(),
        reason: e.to_string(),
    })?;
    eprintln!(
        "shmlab: wrote {} ({written} files): upload it as the autograder of a Gradescope assignment (\"Zip file upload\")",
        plan.out.display()
    );
    Ok(exit_codes::OK)
}

fn write_zip(ws: &Path, plan: &GradescopePlan) -> std::io::Result<usize> {
    let file = std::fs::File::create(&plan.out)?;
    let mut zip = zip::ZipWriter::new(file);
    let plain = SimpleFileOptions::default().unix_permissions(0o644);
    let exec = SimpleFileOptions::default().unix_permissions(0o755);
    let mut n = 0;
    for rel in sources(ws) {
        let full = ws.join(&rel);
        let mode =
            std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&full)?.permissions());
        let opts = if mode & 0o111 != 0 { exec } else { plain };
        zip.start_file(rel.to_string_lossy(), opts)?;
        zip.write_all(&std::fs::read(&full)?)?;
        n += 1;
    }
    let settings = format!(
        "# What `shmlab gradescope` was asked for.\nlabs=\"{}\"\nvisibility=\"{}\"\n",
        plan.labs.join(" "),
        plan.visibility
    );
    for (name, text, opts) in [
        ("setup.sh", SETUP, exec),
        ("run_autograder", RUN, exec),
        ("settings", settings.as_str(), plain),
    ] {
        zip.start_file(name, opts)?;
        zip.write_all(text.as_bytes())?;
        n += 1;
    }
    zip.finish()?;
    Ok(n)
}
