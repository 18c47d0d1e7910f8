//! Lab memo: the course's assignment, a text kept in shared memory between runs.
//!
//! `memo KEY` connects to the segment for KEY, creating it (201 bytes, mode 0644) if there is
//! none, and attaches it. It shows the text stored there, or says the segment is new; asks
//! whether to change the text, and if so stores the new one (at most 200 bytes and a NUL);
//! asks whether to delete the segment; detaches, and removes the segment if asked.
//! Run it several times with the same KEY: the text stays between runs.
//! Read docs/labs/memo.md, replace the `todo!()`s below, then run `cargo shmlab check memo`.

// The unfinished functions do not use their arguments yet; delete this line when you are done.
#![allow(unused_variables)]

use shm::{AccessError, Attachment, Errno, Key, ShmId};
use shmlab_labs::{
    fail, fail_with, print_line, print_memo_text, Dialog, KeyArgs, MEMO_SEGMENT_SIZE, MEMO_TEXT_MAX,
};

fn main() {
    let args = KeyArgs::from_env("memo");
    let (id, created) = connect(args.key).unwrap_or_else(|e| fail("shmget", e));
    if !created {
        // An existing segment must have room for the text and its NUL (IPC_STAT, as in lab stat).
        let st = shm::ipc_stat(id).unwrap_or_else(|e| fail("shmctl", e));
        if st.size() < MEMO_SEGMENT_SIZE {
            fail_with("memo", "segment too small");
        }
    }
    let seg = attach(id).unwrap_or_else(|e| fail("shmat", e));
    if created {
        print_memo_text(None); // "new segment: no text yet"
    } else {
        print_memo_text(Some(&read_text(&seg))); // "text: ..."
    }

    // The questions: end of input counts as "n" (and as "no new text").
    let mut dialog = Dialog::stdio();
    if dialog.ask_yes_no("change the text? [y/n] ") {
        // At most MEMO_TEXT_MAX bytes, without the newline.
        if let Some(text) = dialog.ask_line("new text: ", MEMO_TEXT_MAX) {
            write_text(&seg, &text).unwrap_or_else(|e| fail_with("memo", e));
        }
    }
    let delete = dialog.ask_yes_no("delete the segment? [y/n] ");

    // Detach in every case, before removing: the memory is no longer ours afterwards.
    detach(seg).unwrap_or_else(|e| fail("shmdt", e));
    if delete {
        remove(id).unwrap_or_else(|e| fail("shmctl", e));
        print_line("segment deleted");
    }
}

/// Finds the segment for `key` or creates it; returns its id and whether this call created it.
///
/// First try to create it, exclusively: `IPC_EXCL` makes `shmget` say `EEXIST` instead of
/// quietly returning an existing segment, so you know which case you are in. On `EEXIST`,
/// open the existing one (as in lab access). Any other error is returned as it is.
fn connect(key: Key) -> Result<(ShmId, bool), Errno> {
    // TODO: create it exclusively (MEMO_SEGMENT_SIZE bytes, mode 0644); when it already
    // exists, open it as in lab access. Return whether this call created it.
    todo!("lab memo: call shmget here — see docs/labs/memo.md")
}

/// Attaches segment `id` for reading and writing, where the kernel chooses.
fn attach(id: ShmId) -> Result<Attachment, Errno> {
    // TODO: attach for reading and writing, where the kernel chooses (as in lab attach).
    todo!("lab memo: call shmat here — see docs/labs/memo.md")
}

/// The stored text: the bytes from offset 0 up to the first NUL, and never more than
/// `MEMO_TEXT_MAX` bytes, even if the segment is larger and holds no NUL.
fn read_text(seg: &Attachment) -> Vec<u8> {
    // TODO: read at most MEMO_TEXT_MAX bytes from the start of the segment and keep those
    // before the first 0 byte (reading up to a 0 alone has no limit: not enough here).
    todo!("lab memo: read the text here — see docs/labs/memo.md")
}

/// Stores `text` (at most `MEMO_TEXT_MAX` bytes, no newline) and a NUL after it, at offset 0.
fn write_text(seg: &Attachment, text: &[u8]) -> Result<(), AccessError> {
    // TODO: write the text at the start of the segment, then one 0 byte just after it;
    // nothing past offset MEMO_TEXT_MAX.
    todo!("lab memo: write the text here — see docs/labs/memo.md")
}

/// Detaches the segment; `seg` cannot be used afterwards.
fn detach(seg: Attachment) -> Result<(), Errno> {
    // TODO: detach, as in lab detach.
    todo!("lab memo: call shmdt here — see docs/labs/memo.md")
}

/// Removes segment `id` (it is gone at once: nobody is attached any more).
fn remove(id: ShmId) -> Result<(), Errno> {
    // TODO: remove the segment, as in lab remove.
    todo!("lab memo: call shmctl here — see docs/labs/memo.md")
}
