//! The folder a scenario's runs happen in, a copy of the submission's own.
//!
//! Students' programs often name a file of their own folder: `ftok("shm.c", 'R')`,
//! `ftok(".", 65)`, a file they read or write next to themselves. Run from `/`, those fail
//! (`ftok` gives -1, key `0xffffffff`) and the report would blame the student. So each
//! scenario gets a [`Workdir`]: a fresh temporary directory, mode 0700, owned by the uid the
//! program runs as, holding a copy of the program's folder ([`Program::folder`]). The runs
//! of one scenario share it, like a student's own folder; the next scenario gets a new one,
//! and the submission itself is never written.
//!
//! The copy is made by the checker, often root, so it is made the way a build's is
//! ([`copy_tree`]): no symbolic link is followed; only regular files and directories are
//! taken, each opened with `O_NOFOLLOW` and checked to be what was looked at; devices,
//! pipes, sockets, files with other hard links, anything on another file system, names
//! starting with `.` and `target/` are left out. On top of that, an entry whose own mode
//! keeps it from the program's uid (not readable by others, nor owned and readable by that
//! uid) is left out too, so a program never reads through the copy what it could not read
//! itself; the folder's own mode, like the directories above it, does not count (the
//! instructor named it). At most [`MAX_BYTES`] and [`MAX_ENTRIES`] are copied; the rest is
//! left out.
//!
//! A checker killed outright (`SIGKILL`: `grade` does it to a checker past its time) leaves
//! its scenario's folder behind, owned by a uid of its own that a later checker may claim.
//! So a root checker, before its first run, removes every working folder left by the uid it
//! claimed: that uid is its alone now, so whatever it owns is a dead run's, and no later
//! program of that uid reads another run's copy.

use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::build::copy::{copy_tree, CopyRules, Skipped};
use super::build::BoxError;
use super::Program;

/// The most bytes copied into a working folder.
pub const MAX_BYTES: u64 = 64 << 20;

/// The most entries (files and directories) copied into a working folder.
pub const MAX_ENTRIES: usize = 1000;

/// Why a working folder could not be made (the checker's trouble, never the student's).
#[derive(Debug, thiserror::Error)]
pub enum WorkdirError {
    #[error("no working folder for the program: {0}")]
    Create(#[source] io::Error),
    #[error("{path} could not be copied into the program's working folder: {source}")]
    Copy {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// A scenario's working folder; removed, with whatever the runs left in it, when dropped.
#[derive(Debug)]
pub struct Workdir {
    dir: Option<tempfile::TempDir>,
    path: PathBuf,
    skipped: Vec<Skipped>,
    /// Held while the folder is in use (see [`sweep_unlocked`]).
    _lock: Option<nix::fcntl::Flock<std::fs::File>>,
}

/// An exclusive lock on the folder `dir`, if it can be had at once.
fn lock(dir: &Path) -> Option<nix::fcntl::Flock<std::fs::File>> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_NOFOLLOW)
        .open(dir)
        .ok()?;
    nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusiveNonblock).ok()
}

/// Removes the working folders in `tmp` of this user that no live checker holds (locked)
/// and that are older than a minute: those a checker killed outright left (as a user, whose
/// uid is shared with everything else the user runs, a folder is told by its lock alone).
fn sweep_unlocked(tmp: &Path) {
    use std::os::unix::fs::MetadataExt;
    let me = nix::unistd::geteuid().as_raw();
    let old = |m: &std::fs::Metadata| {
        m.modified()
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age.as_secs() > 60)
    };
    for entry in std::fs::read_dir(tmp).into_iter().flatten().flatten() {
        let candidate = entry.file_name().to_string_lossy().starts_with(PREFIX)
            && entry
                .metadata()
                .is_ok_and(|m| m.is_dir() && m.uid() == me && old(&m));
        if !candidate {
            continue;
        }
        if let Some(_held) = lock(&entry.path()) {
            open_up(&entry.path());
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

impl Workdir {
    /// A fresh working folder for `program`'s runs: a copy of its folder, if it has one, else
    /// empty; the program's uid's, mode 0700.
    pub fn create(program: &Program) -> Result<Workdir, WorkdirError> {
        static SWEPT: std::sync::Once = std::sync::Once::new();
        if program.exclusive_uid {
            SWEPT.call_once(|| sweep(&std::env::temp_dir(), program.uid));
        } else if program.run_as.is_none() {
            SWEPT.call_once(|| sweep_unlocked(&std::env::temp_dir()));
        }
        // Made 0700 and the checker's: nobody else reaches it while it is filled.
        let dir = tempfile::Builder::new()
            .prefix(PREFIX)
            .tempdir()
            .map_err(WorkdirError::Create)?;
        // Locked while in use: a checker of the same user that starts later tells a folder
        // of a live checker from one a killed checker left.
        let lock = lock(dir.path());
        let mut workdir = Workdir {
            path: dir.path().to_path_buf(),
            dir: Some(dir),
            skipped: Vec::new(),
            _lock: lock,
        };
        if let Some(from) = &program.folder {
            let rules = CopyRules {
                owner: program.run_as,
                readable_by: Some((program.uid, program.gid)),
                max_bytes: MAX_BYTES,
                max_entries: MAX_ENTRIES,
                skip_past_limits: true,
            };
            workdir.skipped =
                copy_tree(from, &workdir.path, &rules).map_err(|e| copy_error(from, e))?;
        }
        for (name, bytes) in &program.extra_files {
            make_missing(&workdir.path, name, bytes, program.run_as).map_err(|source| {
                WorkdirError::Copy {
                    path: name.clone(),
                    source,
                }
            })?;
        }
        // Filled: now the program's.
        if let Some((uid, gid)) = program.run_as {
            std::os::unix::fs::lchown(&workdir.path, Some(uid), Some(gid))
                .map_err(WorkdirError::Create)?;
        }
        std::fs::set_permissions(&workdir.path, std::fs::Permissions::from_mode(0o700))
            .map_err(WorkdirError::Create)?;
        Ok(workdir)
    }

    /// Where the runs happen.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What of the program's folder the copy left out, and why.
    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }
}

/// Makes the file `name` (a relative path inside `dir`) holding `bytes`, unless the copy
/// already has it; what it makes (the file, and folders on the way) goes to `owner`. The
/// copy holds no links, and the file is made new (`O_EXCL`, no link followed).
fn make_missing(
    dir: &Path,
    name: &Path,
    bytes: &[u8],
    owner: Option<(u32, u32)>,
) -> io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let inside = name.components().all(|c| {
        matches!(
            c,
            std::path::Component::Normal(_) | std::path::Component::CurDir
        )
    });
    if !inside {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a path inside the folder",
        ));
    }
    let path = dir.join(name);
    if std::fs::symlink_metadata(&path).is_ok() {
        return Ok(());
    }
    let mut at = dir.to_path_buf();
    for part in name.parent().into_iter().flat_map(Path::components) {
        at.push(part);
        if std::fs::symlink_metadata(&at).is_err() {
            std::fs::create_dir(&at)?;
            if let Some((uid, gid)) = owner {
                std::os::unix::fs::lchown(&at, Some(uid), Some(gid))?;
            }
        }
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&path)?;
    f.write_all(bytes)?;
    if let Some((uid, gid)) = owner {
        std::os::unix::fs::lchown(&path, Some(uid), Some(gid))?;
    }
    Ok(())
}

/// The name every working folder starts with.
const PREFIX: &str = "shmlab-run-";

/// Removes the working folders that `uid` owns in the temporary directory: those of a
/// checker killed while it had that uid (the registry's sweep of a dead checker's uid).
pub fn sweep_of(uid: u32) {
    sweep(&std::env::temp_dir(), uid);
}

/// Removes the working folders in `tmp` that `uid` owns: those of a checker killed while it
/// had that uid, which the caller has claimed since (so none of them is in use).
fn sweep(tmp: &Path, uid: u32) {
    use std::os::unix::fs::MetadataExt;
    for entry in std::fs::read_dir(tmp).into_iter().flatten().flatten() {
        let ours = entry.file_name().to_string_lossy().starts_with(PREFIX)
            // The entry itself, not what a link leads to.
            && entry
                .metadata()
                .is_ok_and(|m| m.is_dir() && m.uid() == uid);
        if ours {
            // Links inside are removed, never followed.
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

fn copy_error(from: &Path, e: BoxError) -> WorkdirError {
    match e {
        BoxError::Copy { path, source } => WorkdirError::Copy { path, source },
        other => WorkdirError::Copy {
            path: from.to_path_buf(),
            source: io::Error::other(other.to_string()),
        },
    }
}

impl Drop for Workdir {
    fn drop(&mut self) {
        let Some(dir) = self.dir.take() else { return };
        if dir.close().is_ok() || nix::unistd::geteuid().is_root() {
            return;
        }
        // As a user, the program ran as the checker's own user and may have taken the
        // permissions away from a folder of its own (`chmod 0`): given back, then removed.
        open_up(&self.path);
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Gives the user back read, write and search on `dir` and every directory under it (not
/// following links: a directory entry's type is its own).
fn open_up(dir: &Path) {
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            open_up(&entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::build::SkipReason;

    fn rules(readable_by: (u32, u32)) -> CopyRules {
        CopyRules {
            owner: None,
            readable_by: Some(readable_by),
            max_bytes: MAX_BYTES,
            max_entries: MAX_ENTRIES,
            skip_past_limits: true,
        }
    }

    fn skipped(list: &[Skipped]) -> Vec<(String, SkipReason)> {
        list.iter()
            .map(|s| (s.path.display().to_string(), s.why))
            .collect()
    }

    #[test]
    fn a_users_sweep_removes_only_old_folders_no_live_checker_holds() {
        let tmp = tempfile::tempdir().unwrap();
        let made = |name: &str, age_secs: u64| {
            let p = tmp.path().join(name);
            std::fs::create_dir(&p).unwrap();
            std::fs::write(p.join("f"), "x").unwrap();
            let then = std::time::SystemTime::now() - std::time::Duration::from_secs(age_secs);
            std::fs::File::open(&p).unwrap().set_modified(then).unwrap();
            p
        };
        let stale = made("shmlab-run-stale", 3600);
        let live = made("shmlab-run-live", 3600);
        let fresh = made("shmlab-run-fresh", 0);
        let other = made("mine", 3600);
        let _held = lock(&live).unwrap();
        sweep_unlocked(tmp.path());
        assert!(!stale.exists(), "a killed checker's folder stays");
        assert!(live.exists(), "a live checker's folder was removed");
        assert!(fresh.exists(), "a folder just made was removed");
        assert!(other.exists());
    }

    #[test]
    fn an_entry_closed_to_the_programs_user_is_left_out() {
        let (from, to) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let mode = |p: &Path, m| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m));
        std::fs::write(from.path().join("open.c"), "x").unwrap();
        std::fs::write(from.path().join("secret"), "x").unwrap();
        mode(&from.path().join("open.c"), 0o644).unwrap();
        mode(&from.path().join("secret"), 0o600).unwrap();
        std::fs::create_dir(from.path().join("closed")).unwrap();
        mode(&from.path().join("closed"), 0o700).unwrap();
        // Another user than the files' owner, in no group of theirs.
        let user = (nix::unistd::geteuid().as_raw() + 1, 4_000_000);
        let left = copy_tree(from.path(), to.path(), &rules(user)).unwrap();
        assert_eq!(
            skipped(&left),
            [
                ("closed".to_string(), SkipReason::Unreadable),
                ("secret".to_string(), SkipReason::Unreadable),
            ]
        );
        assert!(to.path().join("open.c").is_file());
        // Their owner reads them: all copied.
        let owner = (
            nix::unistd::geteuid().as_raw(),
            nix::unistd::getegid().as_raw(),
        );
        let to = tempfile::tempdir().unwrap();
        let left = copy_tree(from.path(), to.path(), &rules(owner)).unwrap();
        assert_eq!(skipped(&left), []);
        assert!(to.path().join("secret").is_file());
    }

    #[test]
    fn the_sweep_removes_the_working_folders_of_that_uid_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let me = nix::unistd::geteuid().as_raw();
        for name in ["shmlab-run-left", "shmlab-build-other", "mine"] {
            std::fs::create_dir(tmp.path().join(name)).unwrap();
        }
        std::fs::write(tmp.path().join("shmlab-run-left/a"), "x").unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), tmp.path().join("shmlab-run-link")).unwrap();
        sweep(tmp.path(), me + 1);
        assert!(tmp.path().join("shmlab-run-left").exists(), "another uid's");
        sweep(tmp.path(), me);
        let mut left: Vec<String> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["mine", "shmlab-build-other", "shmlab-run-link"]);
        assert!(outside.path().exists(), "a link is not followed");
    }

    #[test]
    fn past_the_limits_the_rest_is_left_out_not_failed() {
        let (from, to) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        for name in ["a", "b", "c"] {
            std::fs::write(from.path().join(name), "12345").unwrap();
        }
        let me = (
            nix::unistd::geteuid().as_raw(),
            nix::unistd::getegid().as_raw(),
        );
        let few = CopyRules {
            max_entries: 2,
            ..rules(me)
        };
        let left = copy_tree(from.path(), to.path(), &few).unwrap();
        assert_eq!(skipped(&left), [("c".to_string(), SkipReason::OverLimit)]);
        let to = tempfile::tempdir().unwrap();
        let small = CopyRules {
            max_bytes: 7,
            ..rules(me)
        };
        let left = copy_tree(from.path(), to.path(), &small).unwrap();
        assert_eq!(
            skipped(&left),
            [
                ("b".to_string(), SkipReason::OverLimit),
                ("c".to_string(), SkipReason::OverLimit),
            ]
        );
    }
}
