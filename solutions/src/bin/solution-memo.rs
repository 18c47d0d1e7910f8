//! Reference solution of lab memo (see docs/labs/memo.md).
//!
//! `memo KEY`: `shmget(KEY, 201, IPC_CREAT | IPC_EXCL | 0644)`, or on `EEXIST`
//! `shmget(KEY, 0, 0)` (refusing a segment under 201 bytes); `shmat(id, NULL, 0)`; show the
//! text or say the segment is new; ask to change it (at most 200 bytes and a NUL); ask to
//! delete; `shmdt`, then `IPC_RMID` if asked. The same program as `labs/src/bin/memo.rs`,
//! finished.

use shm::{shmat, shmctl, shmdt, shmget, AccessError, AtFlags, Attachment, Errno, IpcFlags};
use shm::{Key, Mode, ShmId, ShmctlCmd};
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
fn connect(key: Key) -> Result<(ShmId, bool), Errno> {
    // IPC_EXCL turns "it already exists" into EEXIST, so we know whether we created it.
    let flags = IpcFlags::IPC_CREAT | IpcFlags::IPC_EXCL | Mode::new(0o644);
    match shmget(key, MEMO_SEGMENT_SIZE, flags) {
        Ok(id) => Ok((id, true)),
        Err(Errno::EEXIST) => shmget(key, 0, IpcFlags::empty()).map(|id| (id, false)),
        Err(e) => Err(e),
    }
}

/// Attaches segment `id` for reading and writing, where the kernel chooses.
fn attach(id: ShmId) -> Result<Attachment, Errno> {
    shmat(id, None, AtFlags::empty())
}

/// The stored text: the bytes from offset 0 up to the first NUL, at most `MEMO_TEXT_MAX`.
fn read_text(seg: &Attachment) -> Vec<u8> {
    let mut buf = [0u8; MEMO_TEXT_MAX];
    // Cannot fail: main checked that the segment has at least MEMO_SEGMENT_SIZE bytes.
    if let Err(e) = seg.read_at(0, &mut buf) {
        fail_with("memo", e);
    }
    let len = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    buf[..len].to_vec()
}

/// Stores `text` (at most `MEMO_TEXT_MAX` bytes, no newline) and a NUL after it, at offset 0.
fn write_text(seg: &Attachment, text: &[u8]) -> Result<(), AccessError> {
    let text = &text[..text.len().min(MEMO_TEXT_MAX)];
    seg.write_at(0, text)?;
    seg.write_at(text.len(), &[0])
}

/// Detaches the segment; `seg` cannot be used afterwards.
fn detach(seg: Attachment) -> Result<(), Errno> {
    shmdt(seg)
}

/// Removes segment `id` (it is gone at once: nobody is attached any more).
fn remove(id: ShmId) -> Result<(), Errno> {
    shmctl(id, ShmctlCmd::IpcRmid)
}
