//! Lab detach: attach, read, and detach explicitly.
//!
//! `detach KEY` finds the segment, attaches it, prints what it holds up to its first NUL,
//! then detaches with shmdt before exiting: the attachment count goes back down and the
//! detach time is set, while other processes' attachments stay.
//! Read docs/labs/detach.md, replace the `todo!()`s below, then run `cargo shmlab check detach`.

// The unfinished functions do not use their arguments yet; delete this line when you are done.
#![allow(unused_variables)]

use shm::{Attachment, Errno, Key, ShmId};
use shmlab_labs::{fail, print_text, KeyArgs};

fn main() {
    let args = KeyArgs::from_env("detach");
    let id = access(args.key).unwrap_or_else(|e| fail("shmget", e));
    let seg = attach(id).unwrap_or_else(|e| fail("shmat", e));
    print_text(&read_text(&seg));
    detach(seg).unwrap_or_else(|e| fail("shmdt", e));
}

/// Finds the segment for `key`, never creating it (as in lab access).
fn access(key: Key) -> Result<ShmId, Errno> {
    // TODO: find the existing segment, never creating it: as in lab access.
    todo!("lab detach: call shmget here — see docs/labs/detach.md")
}

/// Attaches segment `id` for reading, where the kernel chooses.
fn attach(id: ShmId) -> Result<Attachment, Errno> {
    // TODO: attach the segment where the kernel chooses, asking only for what reading
    // needs (and so needing only read permission).
    todo!("lab detach: call shmat here — see docs/labs/detach.md")
}

/// The bytes from offset 0 up to the first NUL, or the whole segment if it has none.
fn read_text(seg: &Attachment) -> Vec<u8> {
    // TODO: read the text up to the first 0 byte, as in lab attach.
    todo!("lab detach: read the text here — see docs/labs/detach.md")
}

/// Detaches the segment; `seg` cannot be used afterwards.
fn detach(seg: Attachment) -> Result<(), Errno> {
    // TODO: detach explicitly. Which does the call take: the id, or the attachment?
    todo!("lab detach: call shmdt here — see docs/labs/detach.md")
}
