//! Lab remove: remove a segment.
//!
//! `remove KEY` finds the segment and removes it with IPC_RMID. A segment nobody has
//! attached disappears at once; an attached one loses its key and goes when the last
//! attachment does. Only the owner or the creator may remove it (EPERM otherwise).
//! Read docs/labs/remove.md, replace the `todo!()`s below, then run `cargo shmlab check remove`.

// The unfinished functions do not use their arguments yet; delete this line when you are done.
#![allow(unused_variables)]

use shm::{Errno, Key, ShmId};
use shmlab_labs::{fail, KeyArgs};

fn main() {
    let args = KeyArgs::from_env("remove");
    let id = access(args.key).unwrap_or_else(|e| fail("shmget", e));
    remove(id).unwrap_or_else(|e| fail("shmctl", e));
}

/// Finds the segment for `key`, never creating it (as in lab access).
fn access(key: Key) -> Result<ShmId, Errno> {
    // TODO: find the existing segment, never creating it: as in lab access.
    todo!("lab remove: call shmget here — see docs/labs/remove.md")
}

/// Removes segment `id` (now, or at its last detach).
fn remove(id: ShmId) -> Result<(), Errno> {
    // TODO: ask the kernel to remove the segment (a control command that needs no buffer).
    todo!("lab remove: call shmctl(IPC_RMID) here — see docs/labs/remove.md")
}
