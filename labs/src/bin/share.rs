//! Lab share: two processes sharing one segment through fork.
//!
//! `share KEY TEXT` creates a 1024-byte segment for KEY (it must not exist yet) and attaches
//! it, then forks. The child writes TEXT and a NUL into the segment through the attachment
//! it inherited, detaches and exits. The parent waits for the child, prints
//! `child wrote: TEXT` from what it reads in the segment, detaches and removes the segment.
//! Read docs/labs/share.md, replace the `todo!()`s below, then run `cargo shmlab check share`.

// The unfinished functions do not use their arguments yet; delete this line when you are done.
#![allow(unused_variables)]

use shm::{AccessError, Attachment, Errno, Forked, Key, ShmId};
use shmlab_labs::{fail, fail_with, print_share_text, ShareArgs};

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

/// Creates a new segment of `SHARE_SEGMENT_SIZE` (1024) bytes for `key`, mode 0600. It must
/// be new: if `key` already has a segment, that is an error (`EEXIST`), not a segment to use.
fn create(key: Key) -> Result<ShmId, Errno> {
    // TODO: create a new segment for `key`, SHARE_SEGMENT_SIZE bytes, mode 0600: an
    // existing one must be an error, as with lab create's --exclusive.
    todo!("lab share: call shmget here — see docs/labs/share.md")
}

/// Attaches segment `id` for reading and writing, where the kernel chooses. Called once, by
/// the parent, before the fork.
fn attach(id: ShmId) -> Result<Attachment, Errno> {
    // TODO: attach for reading and writing, where the kernel chooses (as in lab attach).
    todo!("lab share: call shmat here — see docs/labs/share.md")
}

/// The child's work: stores `text` (1 to 1023 bytes) and a NUL after it at offset 0 of the
/// segment, through the attachment inherited from the parent.
fn write_text(seg: &Attachment, text: &str) -> Result<(), AccessError> {
    // TODO: write the text and its 0 byte at the start of the segment, through `seg`.
    todo!("lab share: write the text here — see docs/labs/share.md")
}

/// The parent's reading, once the child has ended: the bytes from offset 0 up to the first
/// NUL, never more than the segment's `SHARE_SEGMENT_SIZE` bytes.
fn read_text(seg: &Attachment) -> Vec<u8> {
    // TODO: read the text up to the first 0 byte, never past the segment's end.
    todo!("lab share: read the text here — see docs/labs/share.md")
}

/// Detaches the segment; `seg` cannot be used afterwards. The child and the parent each
/// detach their own attachment.
fn detach(seg: Attachment) -> Result<(), Errno> {
    // TODO: detach, as in lab detach.
    todo!("lab share: call shmdt here — see docs/labs/share.md")
}

/// Removes segment `id`. The parent calls it last, after its own shmdt: by then the child
/// has detached and exited, so the segment goes at once.
fn remove(id: ShmId) -> Result<(), Errno> {
    // TODO: remove the segment, as in lab remove.
    todo!("lab share: call shmctl here — see docs/labs/share.md")
}
