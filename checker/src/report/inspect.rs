//! `shmlab inspect`, said: each segment with its mode decoded (`rw-r-----`), SHM_DEST and
//! SHM_LOCKED named and explained, owner and creator by name, the processes attached now,
//! and times as dates (UTC); `inspect ID` adds its bytes the way `xxd -a` shows them. The
//! JSON holds the same fields, raw numbers beside the words.

use std::io::{self, Write};

use serde_json::{json, Value};

use super::list::date;
use super::neutral::neutral;
use crate::model::inspect::{Bytes, Inspected};
use crate::model::timeline::{errno_name, key_text};

/// What `inspect` shows of a namespace.
pub struct View<'a> {
    /// The IPC namespace, as `/proc/self/ns/ipc` names it (`ipc:[4026531839]`).
    pub namespace: &'a str,
    pub segments: &'a [Inspected],
}

/// Permission bits the way `ls` shows them: `rw-r-----`.
pub fn perms_text(mode: u32) -> String {
    let mut s = String::with_capacity(9);
    for shift in [6, 3, 0] {
        let bits = (mode >> shift) & 0o7;
        s.push(if bits & 4 != 0 { 'r' } else { '-' });
        s.push(if bits & 2 != 0 { 'w' } else { '-' });
        s.push(if bits & 1 != 0 { 'x' } else { '-' });
    }
    s
}

/// Who may do what, in words: `the owner reads and writes, the group reads, others nothing`.
pub fn perms_words(mode: u32) -> String {
    let who = ["the owner", "the group", "others"];
    let parts: Vec<String> = [6, 3, 0]
        .iter()
        .zip(who)
        .map(|(shift, who)| {
            let bits = (mode >> shift) & 0o7;
            let can = match (bits & 4 != 0, bits & 2 != 0) {
                (true, true) => "reads and writes",
                (true, false) => "reads",
                (false, true) => "writes only (and cannot attach)",
                (false, false) => "nothing",
            };
            format!("{who} {can}")
        })
        .collect();
    parts.join(", ")
}

/// A time as a UTC date, or `never` for 0.
pub fn when(epoch: i64) -> String {
    if epoch == 0 {
        return "never".into();
    }
    let secs = epoch.rem_euclid(86_400);
    format!(
        "{} {:02}:{:02}:{:02} UTC",
        date(epoch),
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

fn named(name: &Option<String>, id: u32, kind: &str) -> String {
    match name {
        Some(n) => format!("{} ({kind} {id})", neutral(n)),
        None => format!("{kind} {id} (no name here)"),
    }
}

/// The special bits of the mode word, in words.
fn status_words(s: &Inspected) -> Vec<&'static str> {
    let mut out = Vec::new();
    if s.state.is_marked_for_destruction() {
        out.push("marked for destruction (SHM_DEST): IPC_RMID was called while it was attached; it goes when its last attachment does, and its key is already free (shown as 0x00000000)");
    }
    if s.state.mode & shm::consts::SHM_LOCKED != 0 {
        out.push(
            "locked in memory (SHM_LOCKED): its pages are never swapped out (shmctl SHM_LOCK)",
        );
    }
    out
}

fn block(s: &Inspected, w: &mut dyn Write) -> io::Result<()> {
    let st = &s.state;
    writeln!(
        w,
        "segment {}, key {}, {} bytes",
        st.id,
        key_text(st.key),
        st.size
    )?;
    writeln!(
        w,
        "  mode {:04o}: {}: {}",
        st.perms(),
        perms_text(st.mode),
        perms_words(st.mode)
    )?;
    for status in status_words(s) {
        writeln!(w, "  status: {status}")?;
    }
    writeln!(
        w,
        "  owner {}, group {}; creator {}, group {}, pid {}",
        named(&s.names.user, st.uid, "uid"),
        named(&s.names.group, st.gid, "gid"),
        named(&s.names.cuser, st.cuid, "uid"),
        named(&s.names.cgroup, st.cgid, "gid"),
        st.cpid
    )?;
    let holders: Vec<String> = s
        .attached
        .iter()
        .map(|h| {
            let times = if h.attachments > 1 {
                format!(", {} times", h.attachments)
            } else {
                String::new()
            };
            format!("pid {} ({}{times})", h.pid, neutral(&h.command))
        })
        .collect();
    let seen: u64 = s.attached.iter().map(|h| h.attachments as u64).sum();
    let attached = match (st.nattch, holders.is_empty()) {
        (0, _) => "nattch 0: nobody is attached".to_string(),
        (n, true) => format!("nattch {n}: the processes attached are not readable here (their /proc/PID/maps is another user's)"),
        (n, false) if seen < n => format!(
            "nattch {n}: attached now by {}, and {} attachment(s) of processes not readable here",
            holders.join(", "),
            n - seen
        ),
        (n, false) => format!("nattch {n}: attached now by {}", holders.join(", ")),
    };
    writeln!(w, "  {attached}")?;
    writeln!(
        w,
        "  last attach {}, last detach {}, created or last changed {}; the last attach or detach was pid {}",
        when(st.atime),
        when(st.dtime),
        when(st.ctime),
        st.lpid
    )
}

/// The segments, for a person.
pub fn text(v: &View<'_>, w: &mut dyn Write) -> io::Result<()> {
    let noun = if v.segments.len() == 1 {
        "segment"
    } else {
        "segments"
    };
    writeln!(
        w,
        "{} {noun} in this IPC namespace ({}); `shmlab inspect ID` shows one with its bytes",
        v.segments.len(),
        v.namespace
    )?;
    for s in v.segments {
        writeln!(w)?;
        block(s, w)?;
    }
    Ok(())
}

fn value(s: &Inspected) -> Value {
    let st = &s.state;
    let mut v = serde_json::to_value(s).unwrap_or(Value::Null);
    v["perms"] = json!(perms_text(st.mode));
    v["dest"] = json!(st.is_marked_for_destruction());
    v["locked"] = json!(st.mode & shm::consts::SHM_LOCKED != 0);
    v["atime_date"] = json!(when(st.atime));
    v["dtime_date"] = json!(when(st.dtime));
    v["ctime_date"] = json!(when(st.ctime));
    v
}

/// The segments, as JSON.
pub fn json(v: &View<'_>, w: &mut dyn Write) -> io::Result<()> {
    let doc = json!({
        "namespace": v.namespace,
        "segments": v.segments.iter().map(value).collect::<Vec<_>>(),
    });
    writeln!(
        w,
        "{}",
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    )
}

/// `bytes` the way `xxd -a` shows them: 16 a line, offset, hex in pairs, then the text (`.`
/// for a byte that is not printable ASCII); a run of lines of zeros is one `*`.
pub fn dump(bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for (n, chunk) in bytes.chunks(16).enumerate() {
        let zero = chunk.iter().all(|b| *b == 0);
        let last = (n + 1) * 16 >= bytes.len();
        if zero && n > 0 && !last {
            if !skipping {
                out.push_str("*\n");
                skipping = true;
            }
            continue;
        }
        skipping = false;
        let mut hex = String::new();
        for (i, b) in chunk.iter().enumerate() {
            hex.push_str(&format!("{b:02x}"));
            if i % 2 == 1 {
                hex.push(' ');
            }
        }
        let text: String = chunk
            .iter()
            .map(|b| {
                if b.is_ascii_graphic() || *b == b' ' {
                    *b as char
                } else {
                    '.'
                }
            })
            .collect();
        out.push_str(&format!("{:08x}: {hex:<40} {text}\n", n * 16));
    }
    out
}

fn bytes_line(bytes: &Bytes) -> String {
    match bytes {
        Bytes::Read { bytes, size } if bytes.len() < *size => format!(
            "bytes (the first {} of {size}; attaching to read them set its atime and lpid):",
            bytes.len()
        ),
        Bytes::Read { size, .. } => {
            format!("bytes ({size}; attaching to read them set its atime and lpid):")
        }
        Bytes::Unreadable(errno) => format!(
            "bytes: cannot be read here: shmat(SHM_RDONLY) failed with {}{}",
            errno_name(*errno),
            if *errno == libc::EACCES {
                " (no read permission for you)"
            } else {
                ""
            }
        ),
    }
}

/// One segment and its bytes, for a person.
pub fn one_text(s: &Inspected, bytes: &Bytes, w: &mut dyn Write) -> io::Result<()> {
    block(s, w)?;
    writeln!(w, "{}", bytes_line(bytes))?;
    if let Bytes::Read { bytes, .. } = bytes {
        w.write_all(dump(bytes).as_bytes())?;
    }
    Ok(())
}

/// One segment and its bytes, as JSON (the bytes in hex).
pub fn one_json(s: &Inspected, bytes: &Bytes, w: &mut dyn Write) -> io::Result<()> {
    let mut v = value(s);
    match bytes {
        Bytes::Read { bytes, size } => {
            v["bytes"] = json!({
                "size": size,
                "shown": bytes.len(),
                "hex": bytes.iter().map(|b| format!("{b:02x}")).collect::<String>(),
            });
        }
        Bytes::Unreadable(errno) => v["bytes"] = json!({ "error": errno_name(*errno) }),
    }
    writeln!(
        w,
        "{}",
        serde_json::to_string_pretty(&v).unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mode_is_decoded_like_ls_and_in_words() {
        assert_eq!(perms_text(0o1640), "rw-r-----");
        assert_eq!(perms_text(0o000), "---------");
        assert_eq!(
            perms_words(0o640),
            "the owner reads and writes, the group reads, others nothing"
        );
        assert_eq!(when(0), "never");
        assert_eq!(when(1_796_638_827), "2026-12-07 10:20:27 UTC");
    }

    #[test]
    fn the_dump_reads_like_xxd_with_runs_of_zeros_folded() {
        let mut bytes = b"hello world\0".to_vec();
        bytes.resize(80, 0);
        bytes.extend_from_slice(b"end");
        let d = dump(&bytes);
        let lines: Vec<&str> = d.lines().collect();
        assert_eq!(
            lines[0],
            "00000000: 6865 6c6c 6f20 776f 726c 6400 0000 0000  hello world....."
        );
        assert_eq!(lines[1], "*");
        assert_eq!(
            lines[2],
            "00000050: 656e 64                                  end"
        );
        assert_eq!(lines.len(), 3);
    }
}
