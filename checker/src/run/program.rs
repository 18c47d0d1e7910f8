//! The program under test, made ready to run: as whom, with what environment, and from where.
//!
//! When the checker is root, programs run as a uid of the checker run's own ([`RunUser`]):
//! free on the machine (no account, no group, no process, no segment), claimed in the
//! registry for as long as the checker runs, so that the kernel's permission checks apply to
//! the programs as they do for a student's own account, their process limit counts this run
//! alone, and whatever that uid left (a process, a segment) is this run's. A program is
//! never run as root: one the uid cannot reach, or whose `#!` names an interpreter it cannot
//! reach, is the lab's problem, with the fix. A program that uid cannot reach only because a
//! directory on its path is closed (a project under /root) is copied into a temporary
//! directory it can, when the file itself is meant to be run by anyone (mode `o+x`).

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use nix::unistd::{getegid, geteuid};

use crate::model::lab::{LabProblem, Unreachable};

/// The uid and gid programs run as when the checker is root and no uid of its own can be
/// had (`nobody`).
pub const NOBODY: u32 = 65534;

/// The uids (and gids of the same numbers) a root checker picks its programs' uid from:
/// above the accounts Debian and most distributions give people (1000–59999), below
/// systemd's dynamic users (61184–65519), each checked free before use.
pub const RUN_UIDS: std::ops::Range<u32> = 60600..61000;

/// The `PATH` programs get when they run as another user than the checker's: directories
/// every user can reach, so `#!/usr/bin/env NAME` finds what that user can run.
pub const SAFE_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// How many processes and threads a program's runs may have at once (RLIMIT_NPROC), where
/// the uid is the run's own; else added to what its user already has.
pub const EXTRA_PROCESSES: u64 = 64;

/// How many processes a traced program may start before the checker stops it as a fork
/// loop (below [`EXTRA_PROCESSES`], so the checker, not the kernel's limit, says so).
pub use crate::model::run::MAX_CHILDREN;

/// The user programs run as when the checker is root.
#[derive(Debug)]
pub struct RunUser {
    /// uid and gid (the same number).
    pub id: u32,
    /// Whether the uid is this checker run's own; `Err` says why [`NOBODY`] is used instead.
    pub own: Result<(), String>,
    claim: std::sync::Mutex<Option<OwnUid>>,
}

/// Whether `id` is mapped in this user namespace's `map` (`/proc/self/uid_map` or
/// `gid_map`): a container may map only a few ids, and a switch to another fails.
fn is_mapped(map: &str, id: u32) -> bool {
    std::fs::read_to_string(map).is_ok_and(|text| {
        text.lines().any(|line| {
            let mut words = line.split_whitespace().map(|w| w.parse::<u64>());
            match (words.next(), words.next(), words.next()) {
                (Some(Ok(inside)), Some(Ok(_)), Some(Ok(count))) => {
                    (inside..inside + count).contains(&u64::from(id))
                }
                _ => false,
            }
        })
    })
}

/// Whether `uid` is free: mapped here, no account or group of that number, no process and
/// no segment.
fn is_free(uid: u32, segments: &[(shm::ShmId, shm::SegmentStat)]) -> bool {
    use nix::unistd::{Gid, Group, Uid, User};
    is_mapped("/proc/self/uid_map", uid)
        && is_mapped("/proc/self/gid_map", uid)
        && matches!(User::from_uid(Uid::from_raw(uid)), Ok(None))
        && matches!(Group::from_gid(Gid::from_raw(uid)), Ok(None))
        && super::process::processes_of(uid) == 0
        && !segments
            .iter()
            .any(|(_, st)| [st.uid(), st.cuid(), st.gid(), st.cgid()].contains(&uid))
}

/// A uid of the caller's own: free when picked, claimed in the registry until dropped; then
/// every process of it is killed and the uid is free again.
#[derive(Debug)]
pub struct OwnUid {
    /// The uid (and gid of the same number).
    pub id: u32,
    _claim: super::registry::Claim,
}

impl Drop for OwnUid {
    fn drop(&mut self) {
        super::process::kill_uid(self.id);
        super::litter::remove_left_by(self.id);
    }
}

/// Claims a free uid of [`RUN_UIDS`] (root only); `Err` says why none could be had.
pub fn own_uid() -> Result<OwnUid, String> {
    let registry = super::registry::shared().map_err(|e| e.to_string())?;
    let segments = shm::list_segments().unwrap_or_default();
    let span = RUN_UIDS.end - RUN_UIDS.start;
    let start = super::random_u32() % span;
    for i in 0..span {
        let uid = RUN_UIDS.start + (start + i) % span;
        if !is_free(uid, &segments) {
            continue;
        }
        // Claimed, then checked again: a process of that uid may have appeared meanwhile.
        if let Some(claim) = registry.claim_uid(uid) {
            if super::process::processes_of(uid) == 0 {
                return Ok(OwnUid {
                    id: uid,
                    _claim: claim,
                });
            }
        }
    }
    Err(format!(
        "no uid in {}..{} is free",
        RUN_UIDS.start, RUN_UIDS.end
    ))
}

fn pick_run_user() -> RunUser {
    match own_uid() {
        Ok(own) => RunUser {
            id: own.id,
            own: Ok(()),
            claim: std::sync::Mutex::new(Some(own)),
        },
        Err(why) => RunUser {
            id: NOBODY,
            own: Err(why),
            claim: std::sync::Mutex::new(None),
        },
    }
}

static USER: OnceLock<RunUser> = OnceLock::new();

/// The user this checker's programs run as (root only): picked once, at first use.
pub fn run_user() -> &'static RunUser {
    USER.get_or_init(pick_run_user)
}

/// At the checker's end (root): kills whatever of its uid is left and gives the uid back.
pub fn release_run_user() {
    let Some(user) = USER.get() else {
        return;
    };
    // Dropping the uid kills what is left of it, and frees it.
    if let Ok(mut claim) = user.claim.lock() {
        claim.take();
    }
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
    /// Whether the uid is the checker run's alone (root with a uid of its own): then every
    /// process and segment of that uid is the run's.
    pub exclusive_uid: bool,
    /// RLIMIT_NPROC for its runs (see [`EXTRA_PROCESSES`]; root is exempt, which is one more
    /// reason never to run as root).
    pub process_limit: u64,
    /// The folder each scenario's runs happen in a copy of (see [`super::workdir`]); `None`
    /// for an empty one.
    pub folder: Option<PathBuf>,
    /// Files put in each working folder when the copy of `folder` lacks them: the path in
    /// the folder (relative, inside it), and the bytes.
    pub extra_files: Vec<(PathBuf, Vec<u8>)>,
    /// Keeps the copy's directory alive.
    _copy: Option<tempfile::TempDir>,
}

/// Whether `uid` can execute `path` (and read it, for a script).
fn reachable(path: &Path, uid: u32) -> bool {
    Command::new("/bin/sh")
        .args(["-c", "test -x \"$1\" && test -r \"$1\"", "sh"])
        .arg(path)
        .env_clear()
        .env("PATH", SAFE_PATH)
        .uid(uid)
        .gid(uid)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The interpreter a script names on its `#!` line; for `#!/usr/bin/env NAME`, NAME as
/// found on `path_var` (the `PATH` the program will have).
fn interpreter(path: &Path, path_var: &std::ffi::OsStr) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    let mut head = [0u8; 256];
    let n = std::io::Read::read(&mut std::fs::File::open(path).ok()?, &mut head).ok()?;
    let first_line = head[..n].split(|b| *b == b'\n').next()?;
    let line = first_line.strip_prefix(b"#!")?;
    let mut words = line
        .split(|b| *b == b' ' || *b == b'\t')
        .filter(|w| !w.is_empty())
        .map(std::ffi::OsStr::from_bytes);
    let interp = PathBuf::from(words.next()?);
    if interp.file_name().is_some_and(|f| f == "env") {
        let name = words.find(|w| !w.as_bytes().starts_with(b"-"))?;
        let found = std::env::split_paths(path_var)
            .map(|d| d.join(name))
            .find(|c| c.is_file());
        return Some(found.unwrap_or_else(|| PathBuf::from(name)));
    }
    Some(interp)
}

impl Program {
    /// Prepares `path` to run; `display` is how reports name it. As root, a program that
    /// cannot be run unprivileged is the lab's problem (it is never run as root).
    pub fn prepare(path: &Path, display: String) -> Result<Program, LabProblem> {
        // Programs run in a working folder of their own, so a relative path must be made
        // absolute first.
        let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let path = absolute.as_path();
        if !geteuid().is_root() {
            let uid = geteuid().as_raw();
            return Ok(Program {
                display,
                path: path.to_path_buf(),
                run_as: None,
                uid,
                gid: getegid().as_raw(),
                exclusive_uid: false,
                process_limit: super::process::processes_of(uid) + EXTRA_PROCESSES,
                folder: None,
                extra_files: Vec::new(),
                _copy: None,
            });
        }
        let user = run_user();
        let uid = user.id;
        let problem = |what| LabProblem::Unreachable {
            program: display.clone(),
            uid,
            what,
        };
        if let Some(interp) = interpreter(path, SAFE_PATH.as_ref()) {
            // A missing interpreter fails for everyone: the run says so (the lab's problem).
            if interp.exists() && !reachable(&interp, uid) {
                return Err(problem(Unreachable::Interpreter(interp)));
            }
        }
        let exclusive_uid = user.own.is_ok();
        let process_limit = if exclusive_uid {
            EXTRA_PROCESSES
        } else {
            super::process::processes_of(uid) + EXTRA_PROCESSES
        };
        let unprivileged = |path: PathBuf, copy| Program {
            display: display.clone(),
            path,
            run_as: Some((uid, uid)),
            uid,
            gid: uid,
            exclusive_uid,
            process_limit,
            folder: None,
            extra_files: Vec::new(),
            _copy: copy,
        };
        if reachable(path, uid) {
            return Ok(unprivileged(path.to_path_buf(), None));
        }
        if !meant_for_anyone(path) {
            return Err(problem(Unreachable::Program));
        }
        match copy_where_reachable(path) {
            Ok((dir, copy)) if reachable(&copy, uid) => Ok(unprivileged(copy, Some(dir))),
            Ok(_) => Err(problem(Unreachable::CopyNotExecutable)),
            Err(e) => Err(problem(Unreachable::CopyFailed(e.to_string()))),
        }
    }
}

impl Program {
    /// The program, its runs happening in a copy of `folder` (an empty folder for `None`).
    pub fn in_folder(self, folder: Option<PathBuf>) -> Program {
        Program { folder, ..self }
    }

    /// With `files` made in each working folder that lacks them (see
    /// [`Program::extra_files`]).
    pub fn with_files(self, extra_files: Vec<(PathBuf, Vec<u8>)>) -> Program {
        Program {
            extra_files,
            ..self
        }
    }
}

/// Whether `path` is a regular file anyone may run (and read): only then is a copy of it
/// given to the unprivileged user. A file its mode keeps from others stays out of reach.
fn meant_for_anyone(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o005 == 0o005)
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

/// Sets what a program gets besides its arguments: as another user than the checker's, a
/// clean environment (a `PATH` every user can reach, no variable of the checker's user);
/// else the checker's own. Then `LC_ALL=C`, and no Rust backtraces.
pub fn environment(cmd: &mut Command, program: &Program) {
    if program.run_as.is_some() {
        cmd.env_clear().env("PATH", SAFE_PATH).env("HOME", "/");
    }
    cmd.env("LC_ALL", "C").env("RUST_BACKTRACE", "0");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names_are_found_on_the_path_given() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("s");
        std::fs::write(&script, "#!/usr/bin/env -S sh -e\necho\n").unwrap();
        assert_eq!(
            interpreter(&script, "/nonexistent:/bin".as_ref()),
            Some(PathBuf::from("/bin/sh"))
        );
        std::fs::write(&script, "#!/bin/sh\n").unwrap();
        assert_eq!(
            interpreter(&script, "".as_ref()),
            Some(PathBuf::from("/bin/sh"))
        );
        std::fs::write(&script, "\x7fELF").unwrap();
        assert_eq!(interpreter(&script, "".as_ref()), None);
    }

    #[test]
    fn an_id_is_free_only_where_the_namespace_maps_it() {
        let dir = tempfile::tempdir().unwrap();
        let map = dir.path().join("uid_map");
        std::fs::write(
            &map,
            "         0       1000          1\n     60000     100000      1000\n",
        )
        .unwrap();
        let map = map.to_str().unwrap();
        assert!(is_mapped(map, 0));
        assert!(!is_mapped(map, 1));
        assert!(is_mapped(map, 60600));
        assert!(!is_mapped(map, 61000));
        assert!(!is_mapped("/nonexistent", 0));
    }

    #[test]
    fn a_file_closed_to_others_is_not_meant_for_anyone() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        std::fs::write(&f, "secret").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o700)).unwrap();
        assert!(!meant_for_anyone(&f));
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert!(meant_for_anyone(&f));
        assert!(!meant_for_anyone(dir.path()));
    }
}
