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
    // TODO: C: shmget(key, 0, 0)    Rust: shm::shmget(key, 0, shm::IpcFlags::empty())
    todo!("lab detach: call shmget here — see docs/labs/detach.md")
}

/// Attaches segment `id` for reading, where the kernel chooses.
fn attach(id: ShmId) -> Result<Attachment, Errno> {
    // TODO: reading needs only SHM_RDONLY (and then only read permission).
    //   C:    char *p = shmat(id, NULL, SHM_RDONLY);
    //   Rust: shm::shmat(id, None, shm::AtFlags::SHM_RDONLY)
    todo!("lab detach: call shmat here — see docs/labs/detach.md")
}

/// The bytes from offset 0 up to the first NUL, or the whole segment if it has none.
fn read_text(seg: &Attachment) -> Vec<u8> {
    // TODO: as in lab attach.   C: strnlen(p, size) bytes from p    Rust: seg.read_cstr()
    todo!("lab detach: read the text here — see docs/labs/detach.md")
}

/// Detaches the segment; `seg` cannot be used afterwards.
fn detach(seg: Attachment) -> Result<(), Errno> {
    // TODO: C: shmdt(p)    Rust: shm::shmdt(seg)
    todo!("lab detach: call shmdt here — see docs/labs/detach.md")
}
