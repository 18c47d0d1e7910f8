//! `shmlab gradescope`: the Gradescope autograder zip. Its root holds the kit's sources as
//! git tracks them (what Gradescope unpacks into `/autograder/source`: nothing untracked,
//! no build, no local state), `setup.sh` (installs cc and Rust, builds the checker once,
//! makes the sources root-only so that no submission reads a solution), `run_autograder`
//! (runs `shmlab autograde`) and the settings file (the labs, visibility and time limit
//! chosen). Made with `--assignment FILE`, it also holds that assignment file (checked
//! first: a mistake in it is the instructor's to see now, not each student's later), and
//! the submissions are graded with it instead of the labs.

use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use zip::write::SimpleFileOptions;

use super::autograde::{ASSIGNMENT, SETTINGS};
use super::cargo_build::find_workspace;
use crate::error::{exit_codes, Fatal, UsageError};
use crate::plan::GradescopePlan;

const SETUP: &str = include_str!("../../gradescope/setup.sh");
const RUN: &str = include_str!("../../gradescope/run_autograder");

/// The kit's files to ship: those git tracks (`git ls-files`), which exist in the working
/// tree, as paths from the workspace's root.
pub fn sources(ws: &Path) -> Result<Vec<PathBuf>, UsageError> {
    let not_git = |reason: String| UsageError::NotGitCheckout {
        path: ws.to_path_buf(),
        reason,
    };
    let out = Command::new("git")
        .args(["ls-files", "-z", "--cached"])
        .current_dir(ws)
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| not_git(format!("git could not be run: {e}")))?;
    if !out.status.success() {
        let said = String::from_utf8_lossy(&out.stderr);
        return Err(not_git(
            said.lines()
                .next()
                .unwrap_or("git ls-files failed")
                .to_string(),
        ));
    }
    let mut files: Vec<PathBuf> = out
        .stdout
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| PathBuf::from(std::ffi::OsStr::from_bytes(p)))
        // A file deleted but not yet committed is not shipped; nor is a link (a regular
        // file of the working tree only).
        .filter(|p| std::fs::symlink_metadata(ws.join(p)).is_ok_and(|m| m.file_type().is_file()))
        .collect();
    files.sort();
    files.dedup();
    Ok(files)
}

/// Writes the zip.
pub fn execute(plan: &GradescopePlan) -> Result<u8, Fatal> {
    let ws = find_workspace().ok_or(UsageError::NoWorkspace)?;
    let files = sources(&ws)?;
    let mut settings = plan.settings.clone();
    let assignment = match &plan.assignment {
        Some(path) => {
            // Shipped as written: its comments are the instructor's.
            let (_, text) = super::assignment::load_with_text(path)?;
            settings.assignment = Some(ASSIGNMENT.to_string());
            Some(text)
        }
        None => None,
    };
    let written =
        write_zip(&ws, &files, &settings, assignment.as_deref(), &plan.out).map_err(|e| {
            UsageError::OutFile {
                path: plan.out.clone(),
                reason: e.to_string(),
            }
        })?;
    eprintln!(
        "shmlab: wrote {} ({written} files): upload it as the autograder of a Gradescope assignment (\"Zip file upload\")",
        plan.out.display()
    );
    Ok(exit_codes::OK)
}

fn write_zip(
    ws: &Path,
    files: &[PathBuf],
    settings: &crate::plan::Settings,
    assignment: Option<&str>,
    out: &Path,
) -> std::io::Result<usize> {
    let file = std::fs::File::create(out)?;
    let mut zip = zip::ZipWriter::new(file);
    let plain = SimpleFileOptions::default().unix_permissions(0o644);
    let exec = SimpleFileOptions::default().unix_permissions(0o755);
    let mut n = 0;
    for rel in files {
        let full = ws.join(rel);
        let mode =
            std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&full)?.permissions());
        let opts = if mode & 0o111 != 0 { exec } else { plain };
        zip.start_file(rel.to_string_lossy(), opts)?;
        zip.write_all(&std::fs::read(&full)?)?;
        n += 1;
    }
    let settings = serde_json::to_string_pretty(settings).unwrap_or_default() + "\n";
    let mut extra = vec![
        ("setup.sh", SETUP, exec),
        ("run_autograder", RUN, exec),
        (SETTINGS, settings.as_str(), plain),
    ];
    if let Some(text) = assignment {
        extra.push((ASSIGNMENT, text, plain));
    }
    for (name, text, opts) in extra {
        zip.start_file(name, opts)?;
        zip.write_all(text.as_bytes())?;
        n += 1;
    }
    zip.finish()?;
    Ok(n)
}
