//! What a checker in keys mode created, written down as it goes, so that a checker killed
//! mid-scenario (SIGKILL leaves it no chance to clean up) leaves nothing that the next one
//! does not remove.
//!
//! Each scenario claims its key base with a file `<tmp>/shmlab-keys-<uid>/<base>`, locked
//! with `flock` for as long as the scenario runs, and appends `id cpid ctime` for every
//! segment it sees. At its start, a checker in keys mode looks at the files no live checker
//! holds: their segments are removed, but only those whose id, creator pid and creation
//! time all still match what was written, and those with the claimed keys. A segment the
//! checker never recorded is never touched.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::PathBuf;

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
    let Ok(entries) = std::fs::read_dir(dir()) else {
        return 0;
    };
    let segments = shm::list_segments().unwrap_or_default();
    let mut removed = 0;
    for entry in entries.flatten() {
        let Ok(base) = u32::from_str_radix(&entry.file_name().to_string_lossy(), 16) else {
            continue;
        };
        let Ok(file) = OpenOptions::new().read(true).open(entry.path()) else {
            continue;
        };
        // A live checker holds its claim's lock: leave its segments alone.
        let Ok(mut file) = Flock::lock(file, FlockArg::LockExclusiveNonblock) else {
            continue;
        };
        let mut text = String::new();
        let _ = file.read_to_string(&mut text);
        let recorded: Vec<(i32, i32, i64)> = text
            .lines()
            .filter_map(|l| {
                let mut w = l.split_whitespace().map(|x| x.parse::<i64>().ok());
                Some((w.next()?? as i32, w.next()?? as i32, w.next()??))
            })
            .collect();
        for (id, st) in &segments {
            let claimed_key = (st.key().raw() as u32) & 0xffff_ff00 == base;
            let recorded_here = recorded.iter().any(|(i, cpid, ctime)| {
                *i == id.raw() && *cpid == st.cpid() && *ctime == st.ctime()
            });
            if (claimed_key || recorded_here)
                && shm::shmctl(ShmId::new(id.raw()), ShmctlCmd::IpcRmid).is_ok()
            {
                removed += 1;
            }
        }
        let _ = std::fs::remove_file(entry.path());
    }
    removed
}
