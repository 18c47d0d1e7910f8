//! Reference solution of lab remove (see docs/labs/remove.md).
//!
//! `remove KEY`: access, then `shmctl(id, IPC_RMID, NULL)`. The same program as
//! `labs/src/bin/remove.rs`, finished.

use shm::{shmctl, shmget, Errno, IpcFlags, Key, ShmId, ShmctlCmd};
use shmlab_labs::{fail, KeyArgs};

fn main() {
    let args = KeyArgs::from_env("remove");
    let id = access(args.key).unwrap_or_else(|e| fail("shmget", e));
    remove(id).unwrap_or_else(|e| fail("shmctl", e));
}

/// Finds the segment for `key`, never creating it (as in lab access).
fn access(key: Key) -> Result<ShmId, Errno> {
    shmget(key, 0, IpcFlags::empty())
}

/// Removes segment `id` (now, or at its last detach).
fn remove(id: ShmId) -> Result<(), Errno> {
    shmctl(id, ShmctlCmd::IpcRmid)
}
