//! Reference solution of lab attach (see docs/labs/attach.md).
//!
//! `attach KEY [--write TEXT] [--readonly]`: access, `shmat(id, NULL, 0 or SHM_RDONLY)`, then
//! copy TEXT and its NUL to offset 0, or print the text up to the first NUL. No shmdt: the
//! kernel detaches at exit. The same program as `labs/src/bin/attach.rs`, finished.

use shm::{shmat, shmget, AccessError, AtFlags, Attachment, Errno, IpcFlags, Key, ShmId};
use shmlab_labs::{fail, fail_with, print_text, AttachArgs};

fn main() {
    let args = AttachArgs::from_env();
    let id = access(args.key).unwrap_or_else(|e| fail("shmget", e));
    let seg = attach(id, args.readonly).unwrap_or_else(|e| fail("shmat", e));
    match &args.write {
        Some(text) => write_text(&seg, text).unwrap_or_else(|e| {
            fail_with(
                "attach",
                format_args!("text does not fit in the segment ({e})"),
            )
        }),
        None => print_text(&read_text(&seg)),
    }
    // No shmdt: the kernel detaches when the process exits (lab detach does it by hand).
}

/// Finds the segment for `key`, never creating it (as in lab access).
fn access(key: Key) -> Result<ShmId, Errno> {
    shmget(key, 0, IpcFlags::empty())
}

/// Attaches segment `id` where the kernel chooses, read-only if `readonly`.
fn attach(id: ShmId, readonly: bool) -> Result<Attachment, Errno> {
    let flags = if readonly {
        AtFlags::SHM_RDONLY
    } else {
        AtFlags::empty()
    };
    shmat(id, None, flags)
}

/// Copies `text` and its terminating NUL to offset 0, leaving every other byte alone.
fn write_text(seg: &Attachment, text: &str) -> Result<(), AccessError> {
    seg.write_cstr(text)
}

/// The bytes from offset 0 up to the first NUL, or the whole segment if it has none.
fn read_text(seg: &Attachment) -> Vec<u8> {
    seg.read_cstr()
}
