//! Expectations shared by several labs: exit status and errno of a failed call, stdout
//! lines, the new segment of create, unchanged segments, and the hints they give.

use super::builder::{def, Def};
use crate::model::SegmentState;
use crate::scenario::{show, Arg, Ctx};

/// stdout is `line` followed by a newline (a missing final newline is forgiven).
pub fn stdout_line(c: &mut Ctx<'_>, line: &str, hint: impl FnOnce(&str) -> String) -> bool {
    let actual = c.run().stdout.clone();
    let ok = actual == format!("{line}\n") || actual == line;
    c.check(
        "stdout",
        "standard output",
        show(&format!("{line}\n")),
        show(&actual),
        ok,
        || hint(&actual),
    )
}

pub fn stdout_empty(c: &mut Ctx<'_>) -> bool {
    c.stdout("", |_| {
        "this lab prints nothing on success: remove the extra output (stdout must hold exactly the contract's result)".into()
    })
}

pub fn id_hint(actual: &str, id: i32, what: &str) -> String {
    let trimmed = actual.trim();
    if trimmed.is_empty() {
        return format!("print the id that shmget returned ({what}), then a newline");
    }
    if trimmed.contains(&id.to_string()) && trimmed != id.to_string() {
        return "print only the id and a newline: stdout must hold nothing else (no labels, no extra lines)".into();
    }
    match trimmed.parse::<i64>() {
        Ok(0) if id != 0 => "0 is not the id here: print shmget's return value itself, not the result of a comparison".into(),
        Ok(_) => format!("the id printed is not {what} ({id}): print the value shmget returned"),
        Err(_) => "print the id as a decimal number".into(),
    }
}

pub fn mode_hint(expected: u32, actual: u32, flag: &str) -> String {
    if actual == 0 {
        "IPC_CREAT alone gives mode 0000: OR the permission bits into the flags (IPC_CREAT | 0644)"
            .into()
    } else if actual == (decimal_as_octal(expected) & 0o777) {
        format!(
            "the mode was read as a decimal number: parse {flag} in base 8 ({:o} means 0{:o})",
            expected, expected
        )
    } else if actual == 0o644 && expected != 0o644 {
        format!("the mode is the default 0644: the value of {flag} was not passed to the call")
    } else {
        format!("the permission bits should be {expected:04o}: they are the low 9 bits of the flags, taken from {flag}")
    }
}

/// The value an octal mode's digits would have if read as decimal (600 → 0o1130).
pub fn decimal_as_octal(mode: u32) -> u32 {
    format!("{mode:o}").parse::<u32>().unwrap_or(0)
}

/// A failed-call scenario: the status is 1, stderr names `errno`, and nothing changed.
pub fn fails_with(c: &mut Ctx<'_>, call: &str, errno: &'static str) {
    let errno_hint = format!(
        "{call} fails with {errno} here; the program must report it and exit with status 1"
    );
    c.status_hinted(1, |code, _| {
        (code == 0)
            .then(|| format!("{errno_hint}, not 0: check the call's result (-1 in C, Err in Rust)"))
    });
    c.errno(call, errno);
}

pub fn missing_key(c: &mut Ctx<'_>, call: &str) {
    fails_with(c, call, "ENOENT");
    c.nothing_created(
        "a missing key must not create a segment: only the create lab passes IPC_CREAT",
    );
}

fn created_one<'a>(c: &mut Ctx<'a>) -> Option<&'a SegmentState> {
    let created = c.created();
    let n = created.len();
    let ok = n == 1;
    c.check("segments-created", "segments that exist after the run and did not before", "exactly 1", n, ok, || {
        if n == 0 {
            "no new segment exists after the run: shmget needs IPC_CREAT to create one (and nothing may remove it before exit)".into()
        } else {
            format!("{n} segments were created: call shmget once, with the key from the command line")
        }
    });
    created.first().copied()
}

pub fn check_new_segment(c: &mut Ctx<'_>, size: usize, mode: u32, flag: &str) {
    // A program that crashed, hung or hit a todo!() gets that one check; the ones below are
    // then not recorded (see Ctx::check).
    c.status(0);
    let Some(seg) = created_one(c) else { return };
    let pid = c.run().pid;
    let free = c.obs.free_key;
    let (uid, gid) = (c.obs.program_uid, c.obs.program_gid);
    c.field("key", "key of the new segment", free.to_string(), seg.key().to_string(), || {
        if seg.key == 0 {
            "the segment has key 0 (IPC_PRIVATE): pass the key from the command line, not IPC_PRIVATE, or no other process can find it".into()
        } else {
            "the segment has another key: parse KEY like strtol(s, NULL, 0), so 0x1234 is hexadecimal and 010 is octal".into()
        }
    });
    c.field("size", "size of the new segment (shm_segsz)", size, seg.size, || {
        format!("shm_segsz is exactly the size passed to shmget ({size}), not rounded: pass SIZE from the command line")
    });
    c.field(
        "mode",
        "permission bits of the new segment",
        format!("{mode:04o}"),
        format!("{:04o}", seg.perms()),
        || mode_hint(mode, seg.perms(), flag),
    );
    c.field("cpid", "creator pid (shm_cpid)", pid, seg.cpid, || {
        "the segment was created by another process, not by the program the checker ran: did it fork, or run another program?".into()
    });
    c.field("uid", "owner (shm_perm.uid)", uid, seg.uid, || {
        "the owner should be the user who ran the program".into()
    });
    c.field("gid", "group (shm_perm.gid)", gid, seg.gid, || {
        "the group should be the group of the user who ran the program".into()
    });
    c.field("nattch", "attachments after the program exited", 0u64, seg.nattch, || {
        "something still has the segment attached after the program exited: a child process left running?".into()
    });
    if let Some(bytes) = c.obs.contents.get(&seg.id) {
        let nonzero = bytes.iter().position(|b| *b != 0);
        c.check(
            "contents",
            "contents of the new segment",
            "all zero bytes",
            nonzero.map_or("all zero bytes".to_string(), |i| {
                format!("byte {i} is {:#04x}", bytes[i])
            }),
            nonzero.is_none(),
            || "a new segment starts zero-filled, and the create lab must not write to it".into(),
        );
    }
    stdout_line(c, &seg.id.to_string(), |actual| {
        id_hint(actual, seg.id, "the new segment's id")
    });
}

pub fn check_existing_unchanged(c: &mut Ctx<'_>, hint: &str) {
    c.nothing_created("a new segment appeared: when the key has a segment, shmget must return it (was IPC_PRIVATE passed instead of the key?)");
    c.unchanged(0, hint);
    contents_unchanged(c, 0, hint);
}

pub fn contents_unchanged(c: &mut Ctx<'_>, n: usize, hint: &str) {
    let id = c.obs.setup_ids[n];
    let Some(actual) = c.obs.contents.get(&id) else {
        return;
    };
    let expected = c.obs.initial_contents[n].clone();
    let first = expected.iter().zip(actual).position(|(a, b)| a != b);
    c.check(
        "contents",
        "contents of the segment",
        "unchanged",
        first.map_or("unchanged".to_string(), |i| {
            format!("changed from byte {i}")
        }),
        first.is_none(),
        || hint.to_string(),
    );
}

pub fn read_hint(actual: &str, text: &str, size: Option<usize>) -> String {
    if actual.is_empty() {
        return "nothing was printed: print the text read from the segment, then a newline".into();
    }
    if actual.trim_end_matches('\n') == text {
        return "print exactly one newline after the text".into();
    }
    if actual.starts_with(text) {
        return match size {
            Some(size) => format!("the segment holds no NUL: stop reading at its size ({size} bytes, shm_segsz) instead of running past it"),
            None => "the output goes past the text: stop at the first NUL byte, where the C string ends".into(),
        };
    }
    if text.starts_with(actual.trim_end_matches('\n')) {
        return "the text was cut short: read up to the first NUL, not a fixed number of bytes"
            .into();
    }
    "print the text the segment holds, read from offset 0 of the attachment".into()
}

/// The scenario of every lab that looks a key up: a key with no segment.
pub fn missing_key_def(slug: &'static str, args: &[Arg]) -> Def {
    def(slug, "a key with no segment fails with ENOENT")
        .run(args)
        .expect(|c| missing_key(c, "shmget"))
}
