//! Lab access: find an existing segment by its key.
//!
//! `access KEY` asks for the segment named KEY without ever creating one, and prints its
//! id; when the key has no segment, it fails with ENOENT. Every other lab starts this way.
//! Read docs/labs/access.md, replace the `todo!()` below, then run `cargo shmlab check access`.

// The unfinished function does not use its argument yet; delete this line when you are done.
#![allow(unused_variables)]

use shm::{Errno, Key, ShmId};
use shmlab_labs::{fail, print_id, KeyArgs};

fn main() {
    let args = KeyArgs::from_env("access");
    match access(args.key) {
        Ok(id) => print_id(id),
        Err(e) => fail("shmget", e),
    }
}

/// Finds the segment for `key`, never creating it, and returns its id.
fn access(key: Key) -> Result<ShmId, Errno> {
    // TODO: ask the kernel for the existing segment of `key`, never creating one: the same
    // call as in lab create, asking for nothing more than the id (no size, no flags, no
    // mode). (`cargo shmlab hint access` when you are stuck.)
    todo!("lab access: call shmget here — see docs/labs/access.md")
}
