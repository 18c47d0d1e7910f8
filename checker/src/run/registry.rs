//! What a checker in keys mode created, written down as it goes, so that a checker killed
//! mid-scenario (SIGKILL leaves it no chance to clean up) leaves nothing that the next one
//! does not remove.
//!
//! Each scenario claims its key base with a file `<tmp>/shmlab-keys-<uid>/<base>`, locked
//! with `flock` for as long as the scenario runs, and appends `id cpid ctime` for every
//! segment it sees. At its start, a checker in keys mode looks at the files no live checker
//! holds: the segments written there are removed, but only those whose id, creator pid and
//! creation time all still match what was written (so a segment that later got the same
//! id, or a key under the claimed base, is not the checker's). A segment the checker never
//! recorded is never touched, whatever its key.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};
use shm::{ShmId, ShmctlCmd};

fn dir() -> PathBuf {
    std::env::temp_dir().join(format!("shmlab-keys-{}", nix::unistd::geteuid()))
}

/// A claimed key base, held for one scenario.
pub struct Claim {
    path: PathBuf,
    file: Flock<File>,
}

impl Claim {
    /// Claims `base`, or `None` when another checker holds it (or the registry is unusable).
    pub fn take(base: i32) -> Option<Claim> {
        use std::os::unix::fs::DirBuilderExt;
        let dir = dir();
        let _ = std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir);
        let path = dir.join(format!("{:08x}", base as u32));
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(&path)
            .ok()?;
        let file = Flock::lock(file, FlockArg::LockExclusiveNonblock).ok()?;
        // A sweeper may have removed the file between our open and our lock: then the lock
        // is on a file nobody else can find, so give up this base.
        use std::os::unix::fs::MetadataExt;
        let still_there = std::fs::metadata(&path).ok()?.ino() == file.metadata().ok()?.ino();
        still_there.then_some(Claim { path, file })
    }

    /// The claim file, for a traced run to write down the segments its program creates
    /// as they come (the same lines as [`Claim::record`]).
    pub fn file(&self) -> std::os::fd::BorrowedFd<'_> {
        use std::os::fd::AsFd;
        self.file.as_fd()
    }

    /// Writes down a segment of the scenario.
    pub fn record(&mut self, id: i32, cpid: i32, ctime: i64) {
        let _ = writeln!(*self.file, "{id} {cpid} {ctime}");
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        // The scenario cleaned up after itself: forget it (the lock goes with the file).
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Removes what checkers that died in keys mode left; returns how many segments.
pub fn sweep_stale() -> usize {
    sweep_stale_in(&dir())
}

/// One line of a claim file: `id cpid ctime`.
fn parse_record(line: &str) -> Option<(i32, i32, i64)> {
    let mut words = line.split_whitespace();
    let id = words.next()?.parse().ok()?;
    let cpid = words.next()?.parse().ok()?;
    let ctime = words.next()?.parse().ok()?;
    words.next().is_none().then_some((id, cpid, ctime))
}

/// [`sweep_stale`] on the registry in `dir`: for each claim file no live checker holds,
/// removes the segments recorded there that still match their record (id, creator pid and
/// creation time), then the file; returns how many segments it removed.
pub fn sweep_stale_in(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let segments = shm::list_segments().unwrap_or_default();
    let mut removed = 0;
    for entry in entries.flatten() {
        if u32::from_str_radix(&entry.file_name().to_string_lossy(), 16).is_err() {
            continue;
        }
        let Ok(file) = OpenOptions::new().read(true).open(entry.path()) else {
            continue;
        };
        // A live checker holds its claim's lock: leave its segments alone.
        let Ok(mut file) = Flock::lock(file, FlockArg::LockExclusiveNonblock) else {
            continue;
        };
        let mut text = String::new();
        let _ = file.read_to_string(&mut text);
        let recorded: Vec<(i32, i32, i64)> = text.lines().filter_map(parse_record).collect();
        for (id, st) in &segments {
            let is_recorded = recorded.iter().any(|(i, cpid, ctime)| {
                *i == id.raw() && *cpid == st.cpid() && *ctime == st.ctime()
            });
            if is_recorded && shm::shmctl(ShmId::new(id.raw()), ShmctlCmd::IpcRmid).is_ok() {
                removed += 1;
            }
        }
        let _ = std::fs::remove_file(entry.path());
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;
    use shm::{IpcFlags, Key, Mode};

    /// Removes the segment when dropped, whatever the test did.
    struct Segment(ShmId);

    impl Drop for Segment {
        fn drop(&mut self) {
            let _ = shm::shmctl(self.0, ShmctlCmd::IpcRmid);
        }
    }

    fn exists(id: ShmId) -> bool {
        shm::ipc_stat(id).is_ok()
    }

    /// A key base of the keys-mode kind nobody uses, and a segment made at `base + offset`.
    fn segment_under_fresh_base(offset: i32) -> (u32, Segment) {
        for _ in 0..64 {
            let base = 0x5c00_0000 | (super::super::random_u32() & 0x00ff_ff00);
            let key = Key::new(base as i32 + offset);
            if let Ok(id) = shm::shmget(
                key,
                4096,
                IpcFlags::IPC_CREAT | IpcFlags::IPC_EXCL | Mode::new(0o600),
            ) {
                return (base, Segment(id));
            }
        }
        panic!("no free key base");
    }

    fn stale_claim(dir: &Path, base: u32, lines: &str) {
        std::fs::write(dir.join(format!("{base:08x}")), lines).unwrap();
    }

    #[test]
    fn sweep_leaves_a_segment_it_never_recorded_under_a_claimed_base() {
        let registry = tempfile::tempdir().unwrap();
        let (base, foreign) = segment_under_fresh_base(1);
        // The killed checker's own segment under the same base, recorded in its claim.
        let ours = Segment(
            shm::shmget(
                Key::new(base as i32 + 2),
                4096,
                IpcFlags::IPC_CREAT | IpcFlags::IPC_EXCL | Mode::new(0o600),
            )
            .unwrap(),
        );
        let st = shm::ipc_stat(ours.0).unwrap();
        stale_claim(
            registry.path(),
            base,
            &format!("{} {} {}\n", ours.0.raw(), st.cpid(), st.ctime()),
        );
        assert_eq!(sweep_stale_in(registry.path()), 1);
        assert!(
            exists(foreign.0),
            "a segment the checker never recorded was removed"
        );
        assert!(!exists(ours.0), "the recorded segment is still there");
        assert!(
            std::fs::read_dir(registry.path()).unwrap().next().is_none(),
            "the stale claim file is gone"
        );
    }

    #[test]
    fn sweep_with_an_empty_claim_removes_nothing() {
        let registry = tempfile::tempdir().unwrap();
        let (base, foreign) = segment_under_fresh_base(0xff);
        stale_claim(registry.path(), base, "");
        assert_eq!(sweep_stale_in(registry.path()), 0);
        assert!(exists(foreign.0));
    }

    #[test]
    fn sweep_removes_a_recorded_segment_that_still_matches() {
        let registry = tempfile::tempdir().unwrap();
        let (base, ours) = segment_under_fresh_base(1);
        let st = shm::ipc_stat(ours.0).unwrap();
        stale_claim(
            registry.path(),
            base,
            &format!("{} {} {}\n", ours.0.raw(), st.cpid(), st.ctime()),
        );
        assert_eq!(sweep_stale_in(registry.path()), 1);
        assert!(!exists(ours.0), "the recorded segment is still there");
    }

    #[test]
    fn sweep_leaves_a_segment_whose_record_no_longer_matches() {
        let registry = tempfile::tempdir().unwrap();
        let (base, later) = segment_under_fresh_base(2);
        let st = shm::ipc_stat(later.0).unwrap();
        // Same id, another creation time: the recorded segment is gone and the id reused.
        stale_claim(
            registry.path(),
            base,
            &format!("{} {} {}\n", later.0.raw(), st.cpid(), st.ctime() - 10),
        );
        assert_eq!(sweep_stale_in(registry.path()), 0);
        assert!(exists(later.0));
    }

    #[test]
    fn sweep_leaves_the_claims_of_a_live_checker() {
        let registry = tempfile::tempdir().unwrap();
        let (base, ours) = segment_under_fresh_base(1);
        let st = shm::ipc_stat(ours.0).unwrap();
        let path = registry.path().join(format!("{base:08x}"));
        stale_claim(
            registry.path(),
            base,
            &format!("{} {} {}\n", ours.0.raw(), st.cpid(), st.ctime()),
        );
        let file = OpenOptions::new().read(true).open(&path).unwrap();
        let _held = Flock::lock(file, FlockArg::LockExclusiveNonblock).unwrap();
        assert_eq!(sweep_stale_in(registry.path()), 0);
        assert!(exists(ours.0));
        assert!(path.exists());
    }
}
