//! What a run's uid leaves behind outside its segments: files in the folders every user
//! can write, `/tmp`, `/var/tmp`, and
//! `/dev/shm`, which is memory. A program may leave files there (its own notes, a copy of
//! its output for a later program to read, megabytes in `/dev/shm` that hold RAM until the
//! next reboot); none of them is the checker's, and none may outlive the uid's claim.
//!
//! When a root checker gives back a uid of its own ([`super::program::OwnUid`]: a run's or
//! a build's), or sweeps the uid of a checker that was killed, every process of that uid is
//! killed first; then [`remove_left_by`] removes every entry that uid owns at the top of
//! those folders, and in the folders there that everyone may write (`/tmp/.X11-unix`).
//! Nothing is followed: a link is removed as a link, a directory with `remove_dir_all`,
//! which opens nothing through a link. The System V message queues and semaphore sets the
//! uid owns or made go too (segments have their own cleanup, by scenario). Only the uids of [`RUN_UIDS`] are ever swept, which
//! no account has, so a file of a person or of a service is never touched.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::program::RUN_UIDS;

/// The folders every user can write, where a program may leave files.
fn shared_folders() -> Vec<PathBuf> {
    let mut folders: Vec<PathBuf> = ["/tmp", "/var/tmp", "/dev/shm"]
        .iter()
        .map(PathBuf::from)
        .collect();
    let tmp = std::env::temp_dir();
    if !folders.contains(&tmp) {
        folders.push(tmp);
    }
    folders
}

/// Removes what `uid` (one of [`RUN_UIDS`], whose processes are all dead) left in the
/// folders every user can write; returns how many entries went. Only root does it.
pub fn remove_left_by(uid: u32) -> usize {
    if !RUN_UIDS.contains(&uid) || !nix::unistd::geteuid().is_root() {
        return 0;
    }
    let files: usize = shared_folders()
        .iter()
        .map(|folder| remove_in(folder, uid, 1))
        .sum();
    // The message queues and semaphore sets it made or was given: in keys mode they are in
    // the machine's namespace, and would hold the kernel's memory for good.
    let others = shm::others::Other::ALL
        .into_iter()
        .flat_map(|kind| {
            shm::others::held_by(kind, uid)
                .into_iter()
                .map(move |id| shm::others::remove(kind, id).is_ok())
        })
        .filter(|&gone| gone)
        .count();
    files + others
}

/// Removes the entries of `folder` that `uid` owns; looks `depth` levels further into the
/// folders there that everyone may write and that `uid` does not own.
fn remove_in(folder: &Path, uid: u32, depth: u32) -> usize {
    let mut removed = 0;
    for entry in std::fs::read_dir(folder).into_iter().flatten().flatten() {
        // The entry itself, not what a link leads to.
        let Ok(meta) = std::fs::symlink_metadata(entry.path()) else {
            continue;
        };
        if meta.uid() == uid {
            let gone = if meta.is_dir() {
                std::fs::remove_dir_all(entry.path())
            } else {
                std::fs::remove_file(entry.path())
            };
            removed += usize::from(gone.is_ok());
        } else if depth > 0 && meta.is_dir() && meta.mode() & 0o002 != 0 {
            removed += remove_in(&entry.path(), uid, depth - 1);
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_uid_of_a_person_or_of_root_is_ever_swept() {
        for uid in [0, 1000, 65534, RUN_UIDS.start - 1, RUN_UIDS.end] {
            assert_eq!(remove_left_by(uid), 0, "uid {uid}");
        }
    }

    #[test]
    #[cfg_attr(not(shmlab_root), ignore = "needs root: gives files to a run's uid")]
    fn only_the_uids_entries_go_and_links_are_not_followed() {
        let base = tempfile::tempdir().unwrap();
        let uid = RUN_UIDS.start;
        let own = |p: &Path| std::os::unix::fs::lchown(p, Some(uid), Some(uid)).unwrap();
        let kept = base.path().join("kept");
        std::fs::write(&kept, "not the uid's").unwrap();
        let file = base.path().join("left");
        std::fs::write(&file, "x").unwrap();
        own(&file);
        let dir = base.path().join("dir");
        std::fs::create_dir(&dir).unwrap();
        std::os::unix::fs::symlink(&kept, dir.join("link")).unwrap();
        own(&dir);
        let link = base.path().join("link");
        std::os::unix::fs::symlink(&kept, &link).unwrap();
        own(&link);
        let shared = base.path().join("shared");
        std::fs::create_dir(&shared).unwrap();
        std::fs::set_permissions(
            &shared,
            std::os::unix::fs::PermissionsExt::from_mode(0o1777),
        )
        .unwrap();
        let deep = shared.join("deep");
        std::fs::write(&deep, "x").unwrap();
        own(&deep);
        assert_eq!(remove_in(base.path(), uid, 1), 4);
        assert_eq!(std::fs::read_to_string(&kept).unwrap(), "not the uid's");
        assert!(shared.is_dir());
        for gone in [file, dir, link, deep] {
            assert!(std::fs::symlink_metadata(&gone).is_err(), "{gone:?}");
        }
    }
}
