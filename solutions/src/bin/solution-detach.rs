//! Reference solution of lab detach (see docs/labs/detach.md).
//!
//! `detach KEY`: access, `shmat(id, NULL, SHM_RDONLY)`, print the text up to the first NUL,
//! then `shmdt` explicitly. The same program as `labs/src/bin/detach.rs`, finished.

use shm::{shmat, shmdt, shmget, AtFlags, Attachment, Errno, IpcFlags, Key, ShmId};
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
    shmget(key, 0, IpcFlags::empty())
}

/// Attaches segment `id` for reading, where the kernel chooses.
fn attach(id: ShmId) -> Result<Attachment, Errno> {
    // Reading needs only read permission; a read-write attach would also need write.
    shmat(id, None, AtFlags::SHM_RDONLY)
}

/// The bytes from offset 0 up to the first NUL, or the whole segment if it has none.
fn read_text(seg: &Attachment) -> Vec<u8> {
    seg.read_cstr()
}

/// Detaches the segment; `seg` cannot be used afterwards.
fn detach(seg: Attachment) -> Result<(), Errno> {
    shmdt(seg)
}
