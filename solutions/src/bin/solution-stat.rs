//> //! Lab stat: read a segment's metadata.
//> //!
//> //! `stat KEY` finds the segment, asks the kernel for its `struct shmid_ds` with IPC_STAT,
//> //! and prints 14 lines: key, shmid, size, mode, owner and creator ids, creator and last
//> //! pids, attachment count and the three times.
//> //! Read docs/labs/stat.md, replace the `todo!()`s below, then run `cargo shmlab check stat`.
// BEGIN SOLUTION
//! Reference solution of lab stat (see docs/labs/stat.md).
//!
//! `stat KEY`: access, `shmctl(id, IPC_STAT, &buf)`, then print the 14 lines. The same
//! program as `labs/src/bin/stat.rs`, finished.
// END SOLUTION

//> // The unfinished functions do not use their arguments yet; delete this line when you are done.
//> #![allow(unused_variables)]
//>
//> use shm::{Errno, Key, SegmentStat, ShmId};
// BEGIN SOLUTION
use shm::{shmctl, shmget, Errno, IpcFlags, Key, SegmentStat, ShmId, ShmctlCmd};
// END SOLUTION
use shmlab_labs::{fail, print_stat, KeyArgs};

fn main() {
    let args = KeyArgs::from_env("stat");
    let id = access(args.key).unwrap_or_else(|e| fail("shmget", e));
    let st = stat(id).unwrap_or_else(|e| fail("shmctl", e));
    print_stat(id, &st);
}

/// Finds the segment for `key`, never creating it (as in lab access).
fn access(key: Key) -> Result<ShmId, Errno> {
    //> // TODO: find the existing segment, never creating it: as in lab access.
    //> todo!("lab stat: call shmget here — see docs/labs/stat.md")
    // BEGIN SOLUTION
    shmget(key, 0, IpcFlags::empty())
    // END SOLUTION
}

/// The metadata of segment `id`.
fn stat(id: ShmId) -> Result<SegmentStat, Errno> {
    //> // TODO: ask the kernel for the segment's metadata: it fills a `SegmentStat` that you
    //> // provide. Do not attach: attaching changes the very fields you print.
    //> todo!("lab stat: call shmctl(IPC_STAT) here — see docs/labs/stat.md")
    // BEGIN SOLUTION
    let mut buf = SegmentStat::zeroed();
    shmctl(id, ShmctlCmd::IpcStat(&mut buf))?;
    Ok(buf)
    // END SOLUTION
}
