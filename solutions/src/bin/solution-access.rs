//! Reference solution of lab access (see docs/labs/access.md).
//!
//! `access KEY`: `shmget(KEY, 0, 0)`, which never creates, then print the id. The same
//! program as `labs/src/bin/access.rs`, finished.

use shm::{shmget, Errno, IpcFlags, Key, ShmId};
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
    // Size 0 fits any existing segment; no mode bits ask for no particular permission.
    shmget(key, 0, IpcFlags::empty())
}
