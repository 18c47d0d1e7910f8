//> //! Lab access: find an existing segment by its key.
//> //!
//> //! `access KEY` asks for the segment named KEY without ever creating one, and prints its
//> //! id; when the key has no segment, it fails with ENOENT. Every other lab starts this way.
//> //! Read docs/labs/access.md, replace the `todo!()` below, then run `cargo shmlab check access`.
// BEGIN SOLUTION
//! Reference solution of lab access (see docs/labs/access.md).
//!
//! `access KEY`: `shmget(KEY, 0, 0)`, which never creates, then print the id. The same
//! program as `labs/src/bin/access.rs`, finished.
// END SOLUTION

//> // The unfinished function does not use its argument yet; delete this line when you are done.
//> #![allow(unused_variables)]
//>
//> use shm::{Errno, Key, ShmId};
// BEGIN SOLUTION
use shm::{shmget, Errno, IpcFlags, Key, ShmId};
// END SOLUTION
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
    //> // TODO: ask the kernel for the existing segment of `key`, never creating one: the same
    //> // call as in lab create, asking for nothing more than the id (no size, no flags, no
    //> // mode). (`cargo shmlab hint access` when you are stuck.)
    //> todo!("lab access: call shmget here — see docs/labs/access.md")
    // BEGIN SOLUTION
    // Size 0 fits any existing segment; no mode bits ask for no particular permission.
    shmget(key, 0, IpcFlags::empty())
    // END SOLUTION
}
