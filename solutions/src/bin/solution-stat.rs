//! Reference solution of lab stat (see docs/labs/stat.md).
//!
//! `stat KEY`: access, `shmctl(id, IPC_STAT, &buf)`, then print the 14 lines. The same
//! program as `labs/src/bin/stat.rs`, finished.

use shm::{shmctl, shmget, Errno, IpcFlags, Key, SegmentStat, ShmId, ShmctlCmd};
use shmlab_labs::{fail, print_stat, KeyArgs};

fn main() {
    let args = KeyArgs::from_env("stat");
    let id = access(args.key).unwrap_or_else(|e| fail("shmget", e));
    let st = stat(id).unwrap_or_else(|e| fail("shmctl", e));
    print_stat(id, &st);
}

/// Finds the segment for `key`, never creating it (as in lab access).
fn access(key: Key) -> Result<ShmId, Errno> {
    shmget(key, 0, IpcFlags::empty())
}

/// The metadata of segment `id`.
fn stat(id: ShmId) -> Result<SegmentStat, Errno> {
    let mut buf = SegmentStat::zeroed();
    shmctl(id, ShmctlCmd::IpcStat(&mut buf))?;
    Ok(buf)
}
