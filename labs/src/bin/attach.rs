//! Lab attach: map a segment into this process and use it like memory.
//!
//! `attach KEY [--write TEXT] [--readonly]` finds the segment, attaches it (read-only with
//! `--readonly`), then either copies TEXT and its terminating NUL to the start of the segment,
//! or prints what the segment holds up to its first NUL. It does not detach: exiting does.
//! Read docs/labs/attach.md, replace the `todo!()`s below, then run `cargo shmlab check attach`.

// The unfinished functions do not use their arguments yet; delete this line when you are done.
#![allow(unused_variables)]

use shm::{AccessError, Attachment, Errno, Key, ShmId};
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
    // TODO: find the existing segment, never creating it: as in lab access.
    todo!("lab attach: call shmget here — see docs/labs/attach.md")
}

/// Attaches segment `id` where the kernel chooses, read-only if `readonly`.
fn attach(id: ShmId, readonly: bool) -> Result<Attachment, Errno> {
    // TODO: attach the segment where the kernel chooses (no address of your own), read-only
    // when `readonly`, for reading and writing otherwise.
    todo!("lab attach: call shmat here — see docs/labs/attach.md")
}

/// Copies `text` and its terminating NUL to offset 0, leaving every other byte alone.
fn write_text(seg: &Attachment, text: &str) -> Result<(), AccessError> {
    // TODO: copy the bytes of `text` to the start of the segment, then a 0 byte (the next
    // reader stops there), refusing a text that does not fit. `Attachment` has methods for
    // this: see `shm/src/lib.rs`.
    todo!("lab attach: write the text here — see docs/labs/attach.md")
}

/// The bytes from offset 0 up to the first NUL, or the whole segment if it has none.
fn read_text(seg: &Attachment) -> Vec<u8> {
    // TODO: read the text at the start of the segment: up to the first 0 byte, never past
    // the segment's size.
    todo!("lab attach: read the text here — see docs/labs/attach.md")
}
