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
    // TODO: shmget without IPC_CREAT; size 0 and no mode bits ask for nothing more.
    //   C:    shmget(key, 0, 0)
    //   Rust: shm::shmget(key, 0, shm::IpcFlags::empty())
    todo!("lab access: call shmget here — see docs/labs/access.md")
}
