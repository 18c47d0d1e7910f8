//! Reference solution of lab share (see docs/labs/share.md).
//!
//! `share KEY TEXT`: `shmget(KEY, 1024, IPC_CREAT | IPC_EXCL | 0600)`; `shmat(id, NULL, 0)`
//! once; `fork()`. The child writes TEXT and a NUL at offset 0 through the attachment it
//! inherited, `shmdt`, `_exit(0)`. The parent `waitpid`s, prints `child wrote: TEXT` from the
//! segment, `shmdt`, then `IPC_RMID`. The same program as `labs/src/bin/share.rs`, finished.

use shm::{shmat, shmctl, shmdt, shmget, AccessError, AtFlags, Attachment, Errno, Forked};
use shm::{IpcFlags, Key, Mode, ShmId, ShmctlCmd};
use shmlab_labs::{fail, fail_with, print_share_text, ShareArgs, SHARE_SEGMENT_SIZE};

fn main() {
    let args = ShareArgs::from_env(); // exits 2 on bad usage
    let id = create(args.key).unwrap_or_else(|e| fail("shmget", e));
    let seg = attach(id).unwrap_or_else(|e| {
        let _ = remove(id); // the segment is this run's: leave nothing behind
        fail("shmat", e)
    });

    // Nothing is printed before the fork: the child would get a copy of anything still
    // waiting in stdout's buffer.
    let child = match shm::fork() {
        Ok(Forked::Child) => {
            // The child: `seg` is its own copy of the parent's attachment, mapping the same
            // segment at the same address. No shmat needed.
            write_text(&seg, &args.text).unwrap_or_else(|e| fail_with("share", e));
            detach(seg).unwrap_or_else(|e| fail("shmdt", e));
            // Exit here, at once: the child must never run the parent's code below.
            shm::exit_now(0)
        }
        Ok(Forked::Parent(child)) => child,
        Err(e) => {
            clean_up(id, seg);
            fail("fork", e)
        }
    };

    // The parent: wait until the child has ended, and see how it ended.
    match child.wait() {
        Ok(exit) if exit.is_success() => {}
        Ok(_) => {
            clean_up(id, seg);
            fail_with("share", "child failed")
        }
        Err(e) => {
            clean_up(id, seg);
            fail("waitpid", e)
        }
    }
    print_share_text(&read_text(&seg)); // "child wrote: ..."
    detach(seg).unwrap_or_else(|e| fail("shmdt", e));
    remove(id).unwrap_or_else(|e| fail("shmctl", e));
}

/// After a failure in the parent: detaches and removes the segment, whatever those calls
/// say, so that the run leaves nothing behind.
fn clean_up(id: ShmId, seg: Attachment) {
    let _ = detach(seg);
    let _ = remove(id);
}

/// Creates a new segment of `SHARE_SEGMENT_SIZE` (1024) bytes for `key`, mode 0600; `EEXIST`
/// if `key` already has one.
fn create(key: Key) -> Result<ShmId, Errno> {
    // IPC_EXCL: the segment belongs to this run; someone else's is not ours to use or remove.
    let flags = IpcFlags::IPC_CREAT | IpcFlags::IPC_EXCL | Mode::new(0o600);
    shmget(key, SHARE_SEGMENT_SIZE, flags)
}

/// Attaches segment `id` for reading and writing, where the kernel chooses.
fn attach(id: ShmId) -> Result<Attachment, Errno> {
    shmat(id, None, AtFlags::empty())
}

/// The child's work: stores `text` (1 to 1023 bytes) and a NUL after it at offset 0.
fn write_text(seg: &Attachment, text: &str) -> Result<(), AccessError> {
    seg.write_cstr(text)
}

/// The bytes from offset 0 up to the first NUL, never more than the segment's 1024 bytes.
fn read_text(seg: &Attachment) -> Vec<u8> {
    seg.read_cstr()
}

/// Detaches the segment; `seg` cannot be used afterwards.
fn detach(seg: Attachment) -> Result<(), Errno> {
    shmdt(seg)
}

/// Removes segment `id` (it goes at once: the child has detached and exited).
fn remove(id: ShmId) -> Result<(), Errno> {
    shmctl(id, ShmctlCmd::IpcRmid)
}
