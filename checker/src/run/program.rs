//! The program under test, made ready to run: as whom, and from where.
//!
//! When the checker is root, programs run as an unprivileged uid ([`NOBODY`]) so that the
//! kernel's permission checks apply to them, as they do for a student's own account. That
//! user must be able to reach the program (the project may live under a directory such as
//! /root that it cannot enter), so a program it cannot reach is copied into a private
//! temporary directory it can. A script whose interpreter it cannot reach runs as root, and
//! the scenarios that need an unprivileged program are then skipped, with that reason.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use nix::unistd::{getegid, geteuid};

/// The uid and gid programs run as when the checker is root (`nobody`).
pub const NOBODY: u32 = 65534;

/// How many processes a program may add to those its user already has (RLIMIT_NPROC).
pub const EXTRA_PROCESSES: u64 = 64;

/// How many processes a traced program may start before the checker stops it as a fork
/// loop (below [`EXTRA_PROCESSES`], so the checker, not the kernel's limit, says so).
pub use crate::model::run::MAX_CHILDREN;

fn process_limit(uid: u32) -> u64 {
    super::process::processes_of(uid) + EXTRA_PROCESSES
}

/// A program ready to run.
#[derive(Debug)]
pub struct Program {
    /// How reports name it.
    pub display: String,
    /// What is executed (the original, or a copy the unprivileged user can reach).
    pub path: PathBuf,
    /// uid and gid to switch to before exec, when the checker is root.
    pub run_as: Option<(u32, u32)>,
    /// The uid the program runs with.
    pub uid: u32,
    /// The gid the program runs with.
    pub gid: u32,
    /// Whether it runs without CAP_IPC_OWNER; `Err` says why not.
    pub unprivileged: Result<(), String>,
    /// RLIMIT_NPROC for its runs: the processes its uid has now plus [`EXTRA_PROCESSES`],
    /// so a fork loop stops there (root is exempt, which is one more reason to run as nobody).
    pub process_limit: u64,
    /// Keeps the copy's directory alive.
    _copy: Option<tempfile::TempDir>,
}

/// Whether uid [`NOBODY`] can execute `path` (and read it, for a script).
fn reachable(path: &Path) -> bool {
    Command::new("/bin/sh")
        .args(["-c", "test -x \"$1\" && test -r \"$1\"", "sh"])
        .arg(path)
        .uid(NOBODY)
        .gid(NOBODY)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The interpreter a script names on its `#!` line; for `#!/usr/bin/env NAME`, NAME as
/// found on `PATH`.
fn interpreter(path: &Path) -> Option<PathBuf> {
    let mut head = [0u8; 256];
    let n = std::io::Read::read(&mut std::fs::File::open(path).ok()?, &mut head).ok()?;
    let first_line = head[..n].split(|b| *b == b'\n').next()?;
    let line = std::str::from_utf8(first_line).ok()?.strip_prefix("#!")?;
    let mut words = line.split_whitespace();
    let interp = PathBuf::from(words.next()?);
    if interp.file_name().is_some_and(|f| f == "env") {
        let name = words.find(|w| !w.starts_with('-'))?;
        let found = std::env::var_os("PATH")
            .map(|p| {
                std::env::split_paths(&p)
                    .map(|d| d.join(name))
                    .find(|c| c.is_file())
            })
            .unwrap_or_default();
        return Some(found.unwrap_or_else(|| PathBuf::from(name)));
    }
    Some(interp)
}

impl Program {
    /// Prepares `path` to run; `display` is how reports name it.
    pub fn prepare(path: &Path, display: String) -> Program {
        // Programs run from `/`, so a relative path must be made absolute first.
        let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let path = absolute.as_path();
        if !geteuid().is_root() {
            return Program {
                display,
                path: path.to_path_buf(),
                run_as: None,
                uid: geteuid().as_raw(),
                gid: getegid().as_raw(),
                unprivileged: Ok(()),
                process_limit: process_limit(geteuid().as_raw()),
                _copy: None,
            };
        }
        let as_root = |reason: String| Program {
            display: display.clone(),
            path: path.to_path_buf(),
            run_as: None,
            uid: 0,
            gid: 0,
            unprivileged: Err(reason),
            process_limit: process_limit(0),
            _copy: None,
        };
        if let Some(interp) = interpreter(path) {
            // A missing interpreter fails for root too: the run says so (the lab's problem).
            if interp.exists() && !reachable(&interp) {
                return as_root(format!(
                    "its interpreter {} cannot be run by uid {NOBODY}, so the program cannot run unprivileged: install the interpreter where every user can reach it",
                    interp.display()
                ));
            }
        }
        let unprivileged = |path: PathBuf, copy| Program {
            display: display.clone(),
            path,
            run_as: Some((NOBODY, NOBODY)),
            uid: NOBODY,
            gid: NOBODY,
            unprivileged: Ok(()),
            process_limit: process_limit(NOBODY),
            _copy: copy,
        };
        if reachable(path) {
            return unprivileged(path.to_path_buf(), None);
        }
        match copy_where_reachable(path) {
            Ok((dir, copy)) if reachable(&copy) => unprivileged(copy, Some(dir)),
            Ok(_) => as_root(format!("uid {NOBODY} cannot run even a copy of the program in the temporary directory (is /tmp mounted noexec?)")),
            Err(e) => as_root(format!("uid {NOBODY} cannot reach the program, and copying it failed: {e}")),
        }
    }
}

fn copy_where_reachable(path: &Path) -> std::io::Result<(tempfile::TempDir, PathBuf)> {
    let dir = tempfile::Builder::new().prefix("shmlab-").tempdir()?;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))?;
    let name = path.file_name().unwrap_or_else(|| "program".as_ref());
    let copy = dir.path().join(name);
    std::fs::copy(path, &copy)?;
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755))?;
    Ok((dir, copy))
}
