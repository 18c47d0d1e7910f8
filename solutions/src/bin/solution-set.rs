//> //! Lab set: change a segment's permissions (and owner).
//> //!
//> //! `set KEY --mode OCTAL [--uid UID] [--gid GID]` finds the segment, reads its metadata
//> //! with IPC_STAT, changes the nine mode bits (and the owner's uid/gid when given), and
//> //! writes it back with IPC_SET. Whatever it does not change must stay as it was.
//> //! Read docs/labs/set.md, replace the `todo!()`s below, then run `cargo shmlab check set`.
// BEGIN SOLUTION
//! Reference solution of lab set (see docs/labs/set.md).
//!
//! `set KEY --mode OCTAL [--uid UID] [--gid GID]`: access, IPC_STAT, change the nine mode bits
//! (and uid/gid when given), IPC_SET. The same program as `labs/src/bin/set.rs`, finished.
// END SOLUTION

//> // The unfinished functions do not use their arguments yet; delete this line when you are done.
//> #![allow(unused_variables)]
//>
//> use shm::{Errno, Key, SegmentStat, ShmId};
// BEGIN SOLUTION
use shm::{shmctl, shmget, Errno, IpcFlags, Key, SegmentStat, ShmId, ShmctlCmd};
// END SOLUTION
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
    //> // TODO: find the existing segment, never creating it: as in lab access.
    //> todo!("lab set: call shmget here — see docs/labs/set.md")
    // BEGIN SOLUTION
    shmget(key, 0, IpcFlags::empty())
    // END SOLUTION
}

/// The current metadata of segment `id` (as in lab stat).
fn stat(id: ShmId) -> Result<SegmentStat, Errno> {
    //> // TODO: read the segment's metadata, as in lab stat.
    //> todo!("lab set: call shmctl(IPC_STAT) here — see docs/labs/set.md")
    // BEGIN SOLUTION
    // IPC_SET applies uid, gid and mode from the buffer: starting from the current values
    // (not a zeroed buffer) is what keeps the owner unchanged.
    let mut buf = SegmentStat::zeroed();
    shmctl(id, ShmctlCmd::IpcStat(&mut buf))?;
    Ok(buf)
    // END SOLUTION
}

/// Puts the new mode, and the new uid and gid when given, into `st`.
fn change(st: &mut SegmentStat, args: &SetArgs) {
    //> // TODO: change only what was asked for: the nine permission bits always, the owner's
    //> // uid and gid only when given. `SegmentStat` has setters for them.
    //> todo!("lab set: change the mode (and owner) here — see docs/labs/set.md")
    // BEGIN SOLUTION
    st.set_mode(args.mode);
    if let Some(uid) = args.uid {
        st.set_uid(uid);
    }
    if let Some(gid) = args.gid {
        st.set_gid(gid);
    }
    // END SOLUTION
}

/// Applies the owner and mode in `st` to segment `id`.
fn set(id: ShmId, st: &SegmentStat) -> Result<(), Errno> {
    //> // TODO: write the changed metadata back to the segment (the control command that
    //> // takes a filled buffer).
    //> todo!("lab set: call shmctl(IPC_SET) here — see docs/labs/set.md")
    // BEGIN SOLUTION
    shmctl(id, ShmctlCmd::IpcSet(st))
    // END SOLUTION
}
