//! Expectations shared by several labs: exit status and errno of a failed call, stdout
//! lines, the new segment of create, unchanged segments, and the hints they give.

use super::builder::{def, Def};
use crate::model::timeline::errno_name;
use crate::model::{Call, SegmentState};
use crate::scenario::evidence::Outcome;
use crate::scenario::{show, Arg, Ctx, Evidence, Kind};
use shm::Key;

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

/// What was printed instead of the id, told from whole values: nothing, the key (in
/// decimal or hex), the id among other words, another number.
pub fn id_hint(actual: &str, id: i32, key: Key, what: &str) -> String {
    let trimmed = actual.trim();
    if trimmed.is_empty() {
        return format!(
            "nothing was printed: print the id that shmget returned ({what}), then a newline"
        );
    }
    let words: Vec<&str> = trimmed
        .split(|c: char| c.is_whitespace() || "=:,;".contains(c))
        .filter(|w| !w.is_empty())
        .collect();
    let raw = key.raw();
    let key_forms = [
        (raw as u32).to_string(),
        raw.to_string(),
        format!("{:#x}", raw as u32),
        format!("0x{:08x}", raw as u32),
        format!("{:x}", raw as u32),
        format!("{:o}", raw as u32),
        format!("0{:o}", raw as u32),
    ];
    let is_key = |w: &str| key_forms.iter().any(|k| k.eq_ignore_ascii_case(w));
    let id_text = id.to_string();
    if words.iter().any(|w| is_key(w)) && !words.contains(&id_text.as_str()) {
        return format!("the key ({key}) was printed, not the id: shmget returns the id ({what} is {id}), and that is what to print");
    }
    if words.len() > 1 && words.contains(&id_text.as_str()) {
        return "print only the id and a newline: stdout must hold nothing else (no labels, no extra lines)".into();
    }
    if words.len() > 1 {
        return format!("stdout should be the id alone ({what} is {id}), then a newline");
    }
    match trimmed.parse::<i64>() {
        Ok(n) => {
            format!("the id printed ({n}) is not {what} ({id}): print the value shmget returned")
        }
        Err(_) => format!("print the id as a decimal number ({what} is {id})"),
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

/// A failed-call scenario: the status is 1, stderr names `errno`, and nothing changed. An
/// exit with status 0 is explained by what the trace shows of the call.
pub fn fails_with(c: &mut Ctx<'_>, call: Kind, errno: &'static str) {
    let evidence = c.evidence();
    let created_by_shmget = call == Kind::Shmget
        && evidence.calls(Kind::Shmget).is_some_and(|gets| {
            gets.iter().any(|e| {
                e.succeeded()
                    && matches!(e.call, Call::Shmget { flags, .. } if flags & libc::IPC_CREAT != 0)
            })
        });
    c.status_hinted(1, |code, _| {
        (code == 0).then(|| match evidence.outcome(call, |_| true) {
            Some(Outcome::NotCalled) => format!("the program made no {call} call and exited with status 0: here {call} fails with {errno}, which the program must report, then exit with status 1"),
            Some(Outcome::Failed(e)) => format!("{call} failed with {}, but the program exited with status 0: check the call's result (-1 in C, Err in Rust) and exit with status 1", errno_name(e)),
            Some(Outcome::FailedUnseen) => format!("{call} failed, but the program exited with status 0: check the call's result (-1 in C, Err in Rust) and exit with status 1"),
            Some(Outcome::Succeeded) if created_by_shmget => format!("shmget was called with IPC_CREAT, so it made a new segment where it should fail with {errno}: only the create lab passes IPC_CREAT; look the key up with flags 0"),
            Some(Outcome::Succeeded) => format!("{call} succeeded here, where it should fail with {errno}: look at which id or key it was given"),
            None => format!("here {call} fails with {errno}, and the program exited with status 0: check the call's result (-1 in C, Err in Rust) and exit with status 1"),
        })
    });
    if c.stopped().is_none() {
        c.explain_last(errno);
    }
    c.errno(call.name(), errno);
}

pub fn missing_key(c: &mut Ctx<'_>, call: Kind) {
    fails_with(c, call, "ENOENT");
    let hint = missing_key_created_hint(
        c,
        "a missing key must fail with ENOENT, and only the create lab passes IPC_CREAT",
    );
    c.nothing_created(&hint);
}

/// What a segment made by a run given a key with no segment says, from its key: the key
/// itself (shmget with IPC_CREAT), or another (a segment of the program's own).
pub fn missing_key_created_hint(c: &Ctx<'_>, rule: &str) -> String {
    let free = c.obs.free_key;
    let created = c.created();
    if created.iter().any(|s| s.key == free.raw()) {
        format!("a segment with the key was created, which only shmget with IPC_CREAT does: {rule}")
    } else if created.iter().any(|s| s.key == 0) {
        format!("the run made a segment with key 0 (IPC_PRIVATE), which it left behind: {rule}; a segment made for the program's own use must be removed")
    } else {
        format!("the run made a segment with another key than the one given, and left it behind: {rule}")
    }
}

/// The new segment: the one with KEY. Any other segment the run made is a leak, reported as
/// such, never judged as "the new segment".
fn created_one<'a>(c: &mut Ctx<'a>) -> Option<&'a SegmentState> {
    let created = c.created();
    let free = c.obs.free_key.raw();
    let with_key = created.iter().copied().find(|s| s.key == free);
    let others: Vec<&SegmentState> = created.iter().copied().filter(|s| s.key != free).collect();
    let n = created.len();
    if n == 0 {
        let evidence = c.evidence();
        let gets = evidence.calls(Kind::Shmget);
        c.check("segments-created", "segments that exist after the run and did not before", "exactly 1", 0, false, || match gets {
            Some(gets) if gets.is_empty() => "the program made no shmget call, so no segment was created".into(),
            Some(gets) if gets.iter().any(|e| e.succeeded() && matches!(e.call, Call::Shmget { key, flags, .. } if key == free && flags & libc::IPC_CREAT != 0)) => {
                "shmget created the segment with KEY, but it was gone by the end of the run: nothing may remove it (no IPC_RMID in create)".into()
            }
            Some(gets) if !gets.iter().any(|e| matches!(e.call, Call::Shmget { key, .. } if key == free)) => {
                "no shmget was given the key from the command line: pass KEY, parsed like strtol(s, NULL, 0)".into()
            }
            Some(gets) => match gets.iter().find(|e| matches!(e.call, Call::Shmget { key, flags, .. } if key == free && flags & libc::IPC_CREAT != 0)) {
                Some(e) => format!("the shmget of KEY with IPC_CREAT failed: {}", e.call_line()),
                None => "the shmget of KEY created no segment: shmget needs IPC_CREAT in its flags to create one".into(),
            },
            None => "no new segment exists after the run: shmget needs IPC_CREAT to create one (and nothing may remove it before exit)".into(),
        });
        return None;
    }
    let Some(seg) = with_key else {
        // No segment has KEY: the one made is judged, and its key check says why.
        if n > 1 {
            c.check("segments-created", "segments that exist after the run and did not before", "exactly 1", n, false, || {
                format!("{n} segments were created, none with the key from the command line: call shmget once, with KEY")
            });
        }
        return created.first().copied();
    };
    if others.is_empty() {
        c.check(
            "segments-created",
            "segments that exist after the run and did not before",
            "exactly 1",
            1,
            true,
            String::new,
        );
    } else {
        let shown: Vec<String> = others
            .iter()
            .take(3)
            .map(|s| format!("key {} (id {})", s.key(), s.id))
            .collect();
        let k = others.len();
        c.check("segments-created", "other segments the run left behind", "none", shown.join(", "), false, || {
            format!("besides the segment with KEY, the program left {k} other segment(s) behind: remove any segment it makes for its own use (IPC_RMID), or do not make it")
        });
    }
    Some(seg)
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
    c.explain_last(if seg.key == 0 { "IPC_PRIVATE" } else { "key" });
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
    c.explain_last("IPC_CREAT");
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
    c.explain_last("nattch");
    if let Some(bytes) = c.contents(seg.id).map(|b| &b.bytes) {
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
    let key = c.obs.free_key;
    stdout_line(c, &seg.id.to_string(), |actual| {
        id_hint(actual, seg.id, key, "the new segment's id")
    });
}

/// What a segment that appeared beside an existing KEY's segment says about the program,
/// from the shmget calls the trace shows.
pub fn stray_segment_hint(c: &Ctx<'_>) -> String {
    let key = c.obs.keys[0];
    let gets = c.evidence().calls(Kind::Shmget);
    let used_key = gets.as_ref().map(|gets| {
        gets.iter()
            .any(|e| matches!(e.call, Call::Shmget { key: k, .. } if k == key.raw()))
    });
    match used_key {
        Some(true) => format!("besides its shmget of {key}, the program made another segment and left it behind: remove any segment it makes for its own use (IPC_RMID), or do not make it"),
        Some(false) => format!("a new segment appeared, and no shmget was given the key {key}: pass the key from the command line, not IPC_PRIVATE"),
        None => "a new segment appeared: when the key has a segment, shmget must return it and create nothing (pass the key from the command line, not IPC_PRIVATE; remove any segment made for the program's own use)".into(),
    }
}

pub fn check_existing_unchanged(c: &mut Ctx<'_>, hint: &str) {
    let stray = stray_segment_hint(c);
    c.nothing_created(&stray);
    c.unchanged_allowing_attach(0, hint);
    contents_unchanged(c, 0, hint);
}

pub fn contents_unchanged(c: &mut Ctx<'_>, n: usize, hint: &str) {
    let id = c.obs.setup_ids[n];
    let Some(actual) = c.contents(id).map(|b| &b.bytes) else {
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

/// Why the text printed is not the segment's `text`. A program the trace shows never
/// attached read nothing from the segment, whatever it printed; else the output says how the
/// read went wrong.
pub fn read_hint(actual: &str, text: &str, size: Option<usize>, evidence: &Evidence<'_>) -> String {
    let printed = actual.trim_end_matches('\n');
    let attached = evidence.attached_addresses().map(|a| !a.is_empty());
    if attached == Some(false) {
        let what = if actual.is_empty() {
            "it printed nothing".to_string()
        } else if printed.trim().is_empty() {
            "it printed an empty line".to_string()
        } else {
            format!("what it printed, {}, came from elsewhere", show(printed))
        };
        return match evidence.made(Kind::Shmat) {
            Some(false) => format!("the program made no shmat call, so it never read the segment ({what}): attach it with shmat and print the text at the address shmat returns, up to its first NUL"),
            _ => format!("no shmat of the program succeeded, so it never read the segment ({what}): check shmat's result, and print the text at the address it returns, up to its first NUL"),
        };
    }
    if actual.is_empty() {
        return "nothing was printed: print the text read from the segment, then a newline".into();
    }
    if printed == text {
        return "print exactly one newline after the text".into();
    }
    if actual.starts_with(text) {
        return match size {
            Some(size) => format!("the segment holds no NUL: stop reading at its size ({size} bytes, shm_segsz) instead of running past it"),
            None => "the output goes past the text: stop at the first NUL byte, where the C string ends".into(),
        };
    }
    if printed.trim().is_empty() {
        return format!("an empty line was printed, but the segment holds {}: print the text at the address shmat returns (offset 0), up to its first NUL", show(text));
    }
    if text.starts_with(printed) {
        return "the text was cut short: read up to the first NUL, not a fixed number of bytes"
            .into();
    }
    "print the text the segment holds, read from offset 0 of the attachment".into()
}

/// The scenario of every lab that looks a key up: a key with no segment.
pub fn missing_key_def(slug: &'static str, args: &[Arg]) -> Def {
    def(slug, "a key with no segment fails with ENOENT")
        .run(args)
        .expect(|c| missing_key(c, Kind::Shmget))
}

/// Why shm_lpid is not the program's pid, from the attaches the trace shows.
pub fn lpid_hint(evidence: &Evidence<'_>, pid: i32) -> String {
    let Some(ats) = evidence.calls(Kind::Shmat) else {
        return "lpid is not the program's pid, so the program itself was not the last to attach or detach the segment: attach it with shmat in the program the checker runs".into();
    };
    let ok: Vec<i32> = ats
        .iter()
        .filter(|e| e.succeeded())
        .map(|e| e.pid)
        .collect();
    match ok.first() {
        None if ats.is_empty() => "the program made no shmat call: lpid would be its pid after shmat (and after the exit that detaches it)".into(),
        None => "no shmat of the program succeeded, so it never attached the segment".into(),
        Some(_) if ok.contains(&pid) => "the program attached the segment, yet another process attached or detached it last: a child process that kept or dropped an attachment?".into(),
        Some(other) => format!("the segment was attached by process {other}, a child of the program, not by the program itself: attach it in the process the checker runs"),
    }
}
