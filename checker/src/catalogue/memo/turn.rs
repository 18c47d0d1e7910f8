//! The checks of one memo run against the contract's [`Turn`]: how it ended, what it
//! printed, and the segment it left; then, over all runs, the segments left behind.

use super::calls;
use super::contract::{text_of, Turn, AGAIN, MAX_TEXT, MODE, NEW, SIZE};
use crate::model::timeline::{errno_name, key_text};
use crate::model::{Call, SegmentState};
use crate::scenario::evidence::{Evidence, Outcome};
use crate::scenario::{show, Ctx, Kind};

/// The key every run of the scenario is given.
pub fn memo_key(c: &Ctx<'_>) -> i32 {
    c.obs.keys.first().copied().unwrap_or(c.obs.free_key).raw()
}

/// What a key other than KEY says about how the program chose it.
pub fn key_hint(used: i32) -> String {
    match used {
        0 => "the program used key 0x00000000, IPC_PRIVATE, which makes a new segment on every call that no later run can find: use KEY from the command line".into(),
        -1 => "the program used key 0xffffffff, which is what ftok returns (-1) when its file does not exist: this lab takes KEY on the command line; use it".into(),
        k => format!("the program used key {}, not KEY from the command line: parse KEY like strtol(s, NULL, 0) and pass it to shmget", key_text(k)),
    }
}

/// Checks the run `c.run_index()` against the contract, from the state it found, and
/// returns what the contract asked of it.
pub fn check(c: &mut Ctx<'_>) -> Turn {
    let key = memo_key(c);
    let found_bytes = found_bytes(c, key);
    let found = found_bytes.as_ref().map(|b| text_of(b).to_vec());
    let stdin = c.run().stdin.clone().unwrap_or_default();
    let turn = super::contract::turn(found.as_deref(), stdin.as_bytes());
    let evidence = c.evidence();
    c.status_hinted(0, |code, _| status_hint(code, &evidence));
    if c.stopped().is_some() {
        return turn;
    }
    let first_get = calls::first_shmget(&evidence);
    let other_key = c.created().iter().find(|s| s.key != key).map(|s| s.key);
    c.stdout(&turn.stdout, |actual| {
        stdout_hint(&turn, actual, (key, first_get), other_key)
    });
    let seg = match turn.after {
        Some(_) => the_segment(c, key),
        None => {
            gone(c, key, &evidence);
            None
        }
    };
    if let Some(seg) = seg {
        segment(c, &turn, seg, key, found_bytes.as_deref());
    }
    calls::check(c, &turn, key);
    turn
}

/// The bytes of the segment with KEY when the run started (`None`: there was none; empty
/// when they could not be read): the setup's for the first run, else what the checker read
/// after the previous one.
fn found_bytes(c: &Ctx<'_>, key: i32) -> Option<Vec<u8>> {
    let seg = c.before_run().segments.iter().find(|s| s.key == key)?;
    let bytes = match c.run_index().checked_sub(1) {
        None => c
            .obs
            .setup_ids
            .iter()
            .position(|id| *id == seg.id)
            .and_then(|n| c.obs.initial_contents.get(n))
            .cloned(),
        Some(previous) => c
            .obs
            .contents
            .get(previous)
            .and_then(|m| m.get(&seg.id))
            .map(|b| b.bytes.clone()),
    };
    Some(bytes.unwrap_or_default())
}

fn status_hint(code: i32, evidence: &Evidence<'_>) -> Option<String> {
    let excl =
        |call: &Call| matches!(call, Call::Shmget { flags, .. } if flags & libc::IPC_EXCL != 0);
    match (code, evidence.outcome(Kind::Shmget, excl)) {
        (1, Some(Outcome::Failed(libc::EEXIST))) => Some("shmget with IPC_CREAT | IPC_EXCL failed with EEXIST because the segment exists, which is no error here: then open it with shmget(KEY, 0, 0) and show its text".into()),
        _ => None,
    }
}

fn stdout_hint(
    turn: &Turn,
    actual: &str,
    (key, first_get): (i32, Option<(i32, i32, Option<i32>)>),
    other_key: Option<i32>,
) -> String {
    let expected_first = turn.stdout.lines().next().unwrap_or_default();
    let actual_first = actual.lines().next().unwrap_or_default();
    if expected_first != actual_first {
        // What the first line says follows from the segment shmget found: a key other than
        // KEY found another one.
        if let Some((used, _, _)) = first_get.filter(|(used, _, _)| *used != key) {
            return key_hint(used);
        }
        if turn.creates && actual_first.starts_with("text: ") {
            return format!("there was no segment with KEY before this run, yet the program printed {}: when its shmget with IPC_CREAT | IPC_EXCL creates the segment, print `{NEW}`", show(actual_first));
        }
        if !turn.creates && actual_first == NEW {
            return just_created_hint(first_get, key, other_key);
        }
        return format!(
            "the first line must be {}, not {}",
            show(expected_first),
            show(actual_first)
        );
    }
    let again = |s: &str| s.matches(AGAIN).count();
    if again(&turn.stdout) > again(actual) {
        return format!("an answer other than y or n must be refused: print the line `{AGAIN}`, then the prompt again");
    }
    let (n, e, a) = first_different_line(&turn.stdout, actual);
    format!("stdout differs from the contract at line {n}: expected {}, got {} (the prompts end with a space and no newline; input is not echoed)", show(e), show(a))
}

/// Where two outputs first differ: the line's number, the expected line and the actual one
/// (`(end)` past the last).
fn first_different_line<'a>(expected: &'a str, actual: &'a str) -> (usize, &'a str, &'a str) {
    let (mut e, mut a) = (expected.split_inclusive('\n'), actual.split_inclusive('\n'));
    let mut n = 1;
    loop {
        match (e.next(), a.next()) {
            (Some(x), Some(y)) if x == y => n += 1,
            (x, y) => return (n, x.unwrap_or("(end)"), y.unwrap_or("(end)")),
        }
    }
}

fn just_created_hint(
    first_get: Option<(i32, i32, Option<i32>)>,
    key: i32,
    other_key: Option<i32>,
) -> String {
    const EXCL: &str = "use IPC_CREAT | IPC_EXCL, and take EEXIST as \"it exists\"";
    match (first_get, other_key) {
        (Some((used, _, _)), _) if used != key => key_hint(used),
        (Some((_, flags, _)), _) if flags & libc::IPC_EXCL == 0 => format!("the segment with KEY existed, but shmget(KEY, ..., {}) without IPC_EXCL returned it without saying so, so the program cannot know it was not new: {EXCL}", crate::model::timeline::shmget_flags(flags)),
        (Some((_, _, Some(libc::EEXIST))), _) => "shmget with IPC_EXCL failed with EEXIST, so the segment existed, yet the program printed `new segment`: decide from that EEXIST, not from the text (an old segment can hold an empty text)".into(),
        (None, Some(k)) => key_hint(k),
        _ => format!("the segment with KEY existed before this run, yet the program printed `{NEW}`: shmget with IPC_CREAT alone does not tell whether it created the segment; {EXCL}"),
    }
}

/// The segment with KEY after the run, else the one the run made with another key (judged
/// too, after its key check fails).
fn the_segment<'a>(c: &mut Ctx<'a>, key: i32) -> Option<&'a SegmentState> {
    if let Some(s) = c.after().segments.iter().find(|s| s.key == key) {
        return Some(s);
    }
    let made = c.created();
    if let Some(s) = made.first().copied() {
        c.check(
            "key",
            "key of the segment the run made",
            key_text(key),
            key_text(s.key),
            false,
            || key_hint(s.key),
        );
        return Some(s);
    }
    let evidence = c.evidence();
    let rmid = evidence.outcome(Kind::Shmctl, |call| {
        matches!(
            call,
            Call::Shmctl {
                cmd: libc::IPC_RMID,
                ..
            }
        )
    });
    c.check("segment-exists", "the segment with KEY after the run", "there", "none", false, || match rmid {
        Some(Outcome::Succeeded) => "the program removed the segment (IPC_RMID) although the answer to `delete the segment?` was not y".into(),
        _ => "no segment with KEY exists after the run: shmget(KEY, 201, IPC_CREAT | IPC_EXCL | 0644) creates it, and only a y to `delete the segment?` removes it".into(),
    });
    None
}

/// After a y to delete: the segment with KEY is gone.
fn gone(c: &mut Ctx<'_>, key: i32, evidence: &Evidence<'_>) {
    let left = c.after().segments.iter().find(|s| s.key == key).cloned();
    let said = c.run().stdout.contains(super::contract::DELETED);
    let rmid = evidence.outcome(Kind::Shmctl, |call| {
        matches!(
            call,
            Call::Shmctl {
                cmd: libc::IPC_RMID,
                ..
            }
        )
    });
    // An IPC_RMID that removed another segment (one the run made with another key).
    let removed_other = left.as_ref().and_then(|seg| {
        evidence
            .calls(Kind::Shmctl)?
            .iter()
            .find_map(|e| match e.call {
                Call::Shmctl {
                    id,
                    cmd: libc::IPC_RMID,
                    ..
                } if id != seg.id && e.succeeded() => Some((id, seg.id)),
                _ => None,
            })
    });
    let actual = left.as_ref().map_or("gone".to_string(), |s| {
        if s.is_marked_for_destruction() {
            format!(
                "marked for destruction, still attached (nattch {})",
                s.nattch
            )
        } else {
            "still there".into()
        }
    });
    c.check("segment-exists", "the segment with KEY after a y to delete", "gone", actual, left.is_none(), || match (left.as_ref().is_some_and(SegmentState::is_marked_for_destruction), rmid) {
        (false, _) if removed_other.is_some() => {
            let (other, id) = removed_other.unwrap_or_default();
            format!("the program's IPC_RMID removed segment {other}, not the segment with KEY (id {id}): remove the segment the run opened with KEY")
        }
        (true, _) => "IPC_RMID marked the segment, but a process still has it attached, so it stays until that one detaches: a child process left running?".into(),
        (false, Some(Outcome::NotCalled)) if said => "the program printed `segment deleted` but made no IPC_RMID call, so the segment stays and the next run shows the old text: call shmctl(id, IPC_RMID, NULL) after shmdt".into(),
        (false, Some(Outcome::NotCalled)) => "the program made no IPC_RMID call: on a y to `delete the segment?`, shmdt, then shmctl(id, IPC_RMID, NULL)".into(),
        (false, Some(Outcome::Failed(e))) => format!("shmctl(id, IPC_RMID, NULL) failed with {}: pass the id shmget returned", errno_name(e)),
        _ => "the answer to `delete the segment?` was y, but the segment with KEY is still there: shmdt, then shmctl(id, IPC_RMID, NULL)".into(),
    });
}

/// The segment a run left: new ones with the contract's size and mode, old ones kept, and
/// the text with its NUL, nothing past the size.
fn segment(c: &mut Ctx<'_>, turn: &Turn, seg: &SegmentState, key: i32, found: Option<&[u8]>) {
    let existed = found.is_some();
    if turn.creates {
        c.field(
            "size",
            "size of the new segment (shm_segsz)",
            SIZE,
            seg.size,
            || {
                format!(
                    "the segment holds 200 bytes of text and its NUL: create it with size {SIZE}"
                )
            },
        );
        c.field("mode", "permissions of the new segment", format!("{MODE:04o}"), format!("{:04o}", seg.perms()), || format!("create it with IPC_CREAT | IPC_EXCL | 0{MODE:o}: the mode bits go in shmget's flags"));
    } else if existed {
        if let Some(old) = c.before_run().segments.iter().find(|s| s.key == key) {
            let old_id = old.id;
            c.field("id", "the segment's id (the same segment, not a new one)", old_id, seg.id, || format!("the segment was removed and made again (id {old_id} became {}): the text of an existing segment must be kept; only a y to delete removes it", seg.id));
        }
    }
    c.field("nattch", "attachments after the run", 0u64, seg.nattch, || "something still has the segment attached after the program exited: a child process left running?".into());
    let Some(bytes) = c.contents(seg.id) else {
        return;
    };
    let expected = turn.after.clone().unwrap_or_default();
    let n = expected.len();
    let shown = |b: &[u8]| show(&String::from_utf8_lossy(&b[..b.len().min(n + 12)]));
    let kept =
        found.filter(|f| turn.writes.is_none() && !f.is_empty() && f.len() == bytes.bytes.len());
    if let Some(old) = kept {
        // Nothing to write: the bytes it found are the bytes it leaves.
        let same = old == &bytes.bytes[..];
        c.check(
            "contents",
            "the segment's bytes (nothing to write)",
            "as the run found them",
            if same {
                "as the run found them".to_string()
            } else {
                shown(&bytes.bytes)
            },
            same,
            || contents_hint(turn, &expected, &bytes.bytes, existed),
        );
    } else {
        let ok = bytes.bytes.get(..n) == Some(&expected[..]) && bytes.bytes.get(n) == Some(&0);
        let mut with_nul = expected.clone();
        with_nul.push(0);
        c.check(
            "contents",
            "the text at offset 0 of the segment",
            format!("{} at offset 0", shown(&with_nul)),
            shown(&bytes.bytes),
            ok,
            || contents_hint(turn, &expected, &bytes.bytes, existed),
        );
    }
    let past = bytes.written_past_size();
    let before = c
        .run_index()
        .checked_sub(1)
        .and_then(|i| c.obs.contents.get(i))
        .and_then(|m| m.get(&seg.id));
    let past = if before.is_some_and(|b| b.past_size == bytes.past_size) {
        0
    } else {
        past
    };
    c.check("contents", format!("bytes past the segment's {} bytes", seg.size), "untouched", if past == 0 { "untouched".to_string() } else { format!("written, up to {past} bytes past the end") }, past == 0, || {
        format!("the program wrote past the end of the {}-byte segment (the mapping is a whole page, so nothing crashed, but those bytes belong to no segment): keep at most {MAX_TEXT} bytes of text and write its NUL after them; strcpy copies the whole line", seg.size)
    });
}

fn contents_hint(turn: &Turn, expected: &[u8], bytes: &[u8], existed: bool) -> String {
    let n = expected.len();
    let stored = {
        let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
        &bytes[..end]
    };
    let text = |b: &[u8]| show(&String::from_utf8_lossy(b));
    if stored
        .strip_suffix(b"\n")
        .map(|s| s.strip_suffix(b"\r").unwrap_or(s))
        == Some(expected)
    {
        return format!("the segment holds {}: the newline of the input line was stored with the text; drop it (and a \\r before it) before writing", text(stored));
    }
    if bytes.get(..n) == Some(expected) && turn.writes.is_some() {
        // The text may fill the whole segment: then there is no byte n for the NUL.
        let Some(after) = bytes.get(n) else {
            return format!("the segment is only {} bytes, so the {n} bytes of text fill it and leave no room for the NUL after them: a memo segment is {SIZE} bytes, {MAX_TEXT} of text and the NUL", bytes.len());
        };
        let after = show(&String::from_utf8_lossy(std::slice::from_ref(after)));
        return if n == MAX_TEXT && stored.len() > n {
            format!("more than {MAX_TEXT} bytes of the line were written: byte {MAX_TEXT} is {after}, not the NUL; keep at most {MAX_TEXT} bytes, then the NUL at offset {MAX_TEXT}")
        } else {
            format!("the text was written without its NUL: byte {n} is {after}, so a reader sees {}; write a 0 byte right after the text", text(stored))
        };
    }
    match &turn.writes {
        None if existed && turn.stdout.ends_with(super::contract::DELETE) && turn.stdout.contains(super::contract::NEW_TEXT) => format!("the input ended at `new text: `, before any text, yet the segment changed to {}: at end of input change nothing (a buffer the failed read left as it was got written)", text(stored)),
        None => format!("the answer to `change the text?` was not y, yet the segment changed to {}: write only after a y", text(stored)),
        Some(_) if stored == text_of(bytes) && !existed && stored.is_empty() => "the new text was not written: after a y and a line, write the line (without its newline) at offset 0, then a NUL".into(),
        Some(_) => format!("the segment must hold the line typed, {}, and a NUL at offset 0, not {}", text(expected), text(stored)),
    }
}

/// Over all runs: the segments left at the end are the model's (one with KEY, or none).
pub fn segments_left(c: &mut Ctx<'_>, one: bool) {
    let key = memo_key(c);
    let last = c.obs.snapshots.last().expect("a snapshot after every run");
    let memo = one
        .then(|| last.segments.iter().find(|s| s.key == key))
        .flatten();
    let extra: Vec<&SegmentState> = last
        .segments
        .iter()
        .filter(|s| Some(s.id) != memo.map(|m| m.id))
        .collect();
    let expected = if one {
        format!("1, with key {}", key_text(key))
    } else {
        "none".into()
    };
    let runs: Vec<i32> = c.obs.runs.iter().map(|r| r.pid).collect();
    let by_run: Vec<usize> = runs
        .iter()
        .map(|pid| extra.iter().filter(|s| s.cpid == *pid).count())
        .collect();
    let actual = if extra.is_empty() {
        expected.clone()
    } else {
        let keys: std::collections::BTreeSet<String> =
            extra.iter().map(|s| key_text(s.key)).collect();
        let keys: Vec<String> = keys.into_iter().collect();
        let memo = if memo.is_some() {
            format!("1 with key {}", key_text(key))
        } else {
            format!("none with key {}", key_text(key))
        };
        format!(
            "{memo}, and {} other(s) with key {}",
            extra.len(),
            keys.join(", ")
        )
    };
    let n = c.obs.runs.len();
    c.check("segments-left", "segments after all the runs", expected, actual, extra.is_empty(), || {
        let private = extra.iter().all(|s| s.key == 0);
        if n > 1 && by_run.iter().all(|k| *k == 1) {
            let why = if private { "IPC_PRIVATE (key 0) makes a new segment every time, and no run can find it again" } else { "none of them is found again by a later run" };
            format!("each of the {n} runs left a segment of its own ({} in all): one segment leaks per run; {why}: use KEY, so that every run finds the same segment", extra.len())
        } else {
            let made: Vec<String> = by_run.iter().enumerate().filter(|(_, k)| **k > 0).map(|(i, k)| format!("run {} made {k}", i + 1)).collect();
            let who = if made.is_empty() { String::new() } else { format!(" ({})", made.join(", ")) };
            let private = if private { ": IPC_PRIVATE (key 0) makes a new segment that no later run can find; use KEY" } else { "" };
            format!("{} segment(s) besides the one with KEY were left behind{who}: a run may make only the segment with KEY, and a y to delete removes it{private}", extra.len())
        }
    });
}
