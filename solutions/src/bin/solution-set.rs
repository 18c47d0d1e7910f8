//! Reference solution of lab set (see docs/labs/set.md).
//!
//! `set KEY --mode OCTAL [--uid UID] [--gid GID]`: access, IPC_STAT, change the nine mode bits
//! (and uid/gid when given), IPC_SET. The same program as `labs/src/bin/set.rs`, finished.

use shm::{shmctl, shmget, Errno, IpcFlags, Key, SegmentStat, ShmId, ShmctlCmd};
use shmlab_labs::{fail, SetArgs};

fn main() {
    let args = SetArgs::from_env();
    let id = access(args.key).unwrap_or_else(|e| fail("shmget", e));
    let mut st = stat(id).unwrap_or_else(|e| fail("shmctl", e));
    change(&mut st, &args);
    set(id, &st).unwrap_or_else(|e| fail("shmctl", e));
}

/// Finds the segment for `key`, never creating it (as in lab access).
fn access(key: Key) -> Result<ShmId, Errno> {
    shmget(key, 0, IpcFlags::empty())
}

/// The current metadata of segment `id` (as in lab stat).
fn stat(id: ShmId) -> Result<SegmentStat, Errno> {
    // IPC_SET applies uid, gid and mode from the buffer: starting from the current values
    // (not a zeroed buffer) is what keeps the owner unchanged.
    let mut buf = SegmentStat::zeroed();
    shmctl(id, ShmctlCmd::IpcStat(&mut buf))?;
    Ok(buf)
}

/// Puts the new mode, and the new uid and gid when given, into `st`.
fn change(st: &mut SegmentStat, args: &SetArgs) {
    st.set_mode(args.mode);
    if let Some(uid) = args.uid {
        st.set_uid(uid);
    }
    if let Some(gid) = args.gid {
        st.set_gid(gid);
    }
}

/// Applies the owner and mode in `st` to segment `id`.
fn set(id: ShmId, st: &SegmentStat) -> Result<(), Errno> {
    shmctl(id, ShmctlCmd::IpcSet(st))
}
