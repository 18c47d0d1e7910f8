//! Reference solution of lab create (see docs/labs/create.md).
//!
//! `create KEY SIZE [--mode OCTAL] [--exclusive]`: `shmget(KEY, SIZE, IPC_CREAT [| IPC_EXCL]
//! | MODE)`, then print the id. The same program as `labs/src/bin/create.rs`, finished.

use shm::{shmget, Errno, IpcFlags, ShmId};
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
    let mut flags = IpcFlags::IPC_CREAT;
    if args.exclusive {
        flags |= IpcFlags::IPC_EXCL;
    }
    // Without the mode bits a new segment would get mode 0000: nobody could attach it.
    shmget(args.key, args.size, flags | args.mode)
}
