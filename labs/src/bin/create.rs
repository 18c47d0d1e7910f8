//! Lab create: make a System V shared memory segment.
//!
//! `create KEY SIZE [--mode OCTAL] [--exclusive]` creates the segment named KEY, SIZE bytes
//! long with permissions MODE (default 0644), or finds the one that already exists; with
//! `--exclusive` an existing segment is an error (EEXIST). It prints the segment's id.
//! Read docs/labs/create.md, replace the `todo!()` below, then run `cargo shmlab check create`.

// The unfinished function does not use its argument yet; delete this line when you are done.
#![allow(unused_variables)]

use shm::{Errno, ShmId};
use shmlab_labs::{fail, print_id, CreateArgs};

fn main() {
    let args = CreateArgs::from_env();
    match create(&args) {
        Ok(id) => print_id(id),
        Err(e) => fail("shmget", e),
    }
}

/// Creates the segment for `args.key`, or finds the existing one, and returns its id.
fn create(args: &CreateArgs) -> Result<ShmId, Errno> {
    // TODO: ask the kernel for the segment of `args.key`, `args.size` bytes long, creating
    // it if there is none, with the permission bits of `args.mode`; with `args.exclusive`,
    // an existing segment must be an error. One call does it: which flags does it need?
    // (`cargo shmlab hint create` when you are stuck.)
    todo!("lab create: call shmget here — see docs/labs/create.md")
}
