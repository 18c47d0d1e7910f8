//! An assignment's scenario, judged: the segment found (by its key, or key-agnostic: the one
//! the program created or used, followed across runs), each run's expectations on the
//! state it left and, loosely, on its output, and the kit's generic checks
//! ([`generic`]). Pure: it reads an [`Observation`].

mod follow;
pub mod generic;
mod hints;
mod run;
mod told;

use crate::assignment::{Assignment, ExpectName, Presence, ScenarioSpec, TextMatch};
use crate::model::{Observation, SegmentState, Termination};
use crate::scenario::{Check, Verdict};
pub use follow::Follow;
pub use generic::{Generic, Kind};
pub use hints::Hint;
use hints::{gone_hint, text_hint, typed};
use run::Run;

/// A scenario's result.
#[derive(Debug, Clone)]
pub struct Judged {
    pub verdict: Verdict,
    pub checks: Vec<Check>,
    /// Points earned, of the scenario's.
    pub earned: u32,
    /// The generic checks seen in it.
    pub generic: Vec<Generic>,
}

/// Judges `spec` of `assignment` on what it observed.
pub fn judge(assignment: &Assignment, spec: &ScenarioSpec, obs: &Observation) -> Judged {
    let mut checks = Vec::new();
    let mut follow = Follow::new(assignment, obs);
    let mut generic = Vec::new();
    let mut previous: Option<SegmentState> = None;
    let mut previous_text: Option<String> = spec.setup.first().map(|s| s.text.clone());
    // Where the program keeps its text: offset 0, or after a header of its own (a struct
    // with a flag or a length first), once a typed text is seen there.
    let mut offset = 0;
    for (r, run_spec) in spec.runs.iter().enumerate() {
        let Some(run) = obs.runs.get(r) else { break };
        let found = follow.after(r);
        let bytes = found.as_ref().and_then(|s| obs.contents.get(r)?.get(&s.id));
        let moved = match (bytes, &run_spec.expect.text) {
            (Some(b), Some(want)) if offset == 0 => text_after_header(&b.bytes, want),
            _ => None,
        };
        offset = moved.unwrap_or(offset);
        let text = bytes.map(|b| text_of(b.bytes.get(offset..).unwrap_or_default()));
        let past = bytes.map(|b| b.written_past_size());
        let mut c = Run {
            r,
            spec: run_spec,
            checks: &mut checks,
        };
        if let Some(k) = moved {
            c.note("text", format!("the text is kept at offset {k}, after {k} bytes of the program's own before it (a struct with a field first, say): it is read from there in this scenario"));
        }
        generic::look(assignment, obs, r, &follow, &mut generic);
        // How it ended: a crash or a timeout explains everything after it.
        let stopped = !matches!(run.termination, Termination::Exited { .. });
        if stopped {
            c.fail_stop(run, &generic);
            break;
        }
        // The text this run should have left alone: the one before it, when it types none.
        let types_text = run_spec
            .answers
            .iter()
            .any(|a| matches!(a.0, crate::scenario::answer::Answer::Text(_)));
        let kept = previous_text
            .as_deref()
            .filter(|_| !types_text && previous.is_some());
        expect_state(
            &mut c,
            found.as_ref(),
            (text.as_deref(), past, kept),
            previous.as_ref(),
            &follow,
            (r, run),
        );
        expect_output(&mut c, run, previous_text.as_deref(), follow.created_in(r));
        if let Some(code) = run_spec.expect.exit_status {
            let actual = match run.termination {
                Termination::Exited { code } => code,
                _ => -1,
            };
            c.check(
                ExpectName::ExitStatus,
                "exit status",
                code.to_string(),
                actual.to_string(),
                actual == code,
                None,
            );
        }
        previous = found;
        previous_text = text.or(previous_text.filter(|_| previous.is_some()));
    }
    for g in &generic {
        checks.push(g.check(assignment));
    }
    let failed = checks
        .iter()
        .any(|c| !c.passed && c.skipped.is_none() && c.note.is_none());
    let verdict = if failed || checks.is_empty() {
        Verdict::Failed
    } else {
        Verdict::Passed
    };
    Judged {
        earned: if verdict == Verdict::Passed {
            spec.points
        } else {
            0
        },
        verdict,
        checks,
        generic,
    }
}

/// Where `want` starts when it is not at offset 0 but after a header of the program's own:
/// the first offset within the first 256 bytes where it stands whole (a NUL or a newline
/// after it). `None` when it is at offset 0, or nowhere, or too short to tell (3 bytes).
fn text_after_header(bytes: &[u8], want: &str) -> Option<usize> {
    let want = want.as_bytes();
    if want.len() < 3 || bytes.starts_with(want) {
        return None;
    }
    (1..bytes.len().min(256)).find(|&k| {
        bytes[k..].starts_with(want)
            && matches!(bytes.get(k + want.len()), None | Some(0) | Some(b'\n'))
    })
}

/// The text at offset 0: the bytes up to the first NUL.
pub fn text_of(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

fn expect_state(
    c: &mut Run<'_>,
    found: Option<&SegmentState>,
    (text, past, kept): (Option<&str>, Option<usize>, Option<&str>),
    previous: Option<&SegmentState>,
    follow: &Follow,
    (r, run): (usize, &crate::model::RunRecord),
) {
    let e = &c.spec.expect;
    let shown = |s: Option<&SegmentState>| match s {
        Some(s) => format!(
            "segment {} (key {:#010x}, {} bytes)",
            s.id, s.key as u32, s.size
        ),
        None => "no segment".to_string(),
    };
    if let Some(presence) = e.segment {
        let exists = found.is_some();
        let (expected, hint) = match presence {
            Presence::Exists => ("a segment", follow.why_none(r)),
            Presence::Gone => ("no segment (removed)", Some(gone_hint(run))),
        };
        c.check(
            ExpectName::Segment,
            "the segment",
            expected.into(),
            shown(found),
            exists == (presence == Presence::Exists),
            hint,
        );
    }
    let Some(seg) = found else { return };
    if let Some(n) = e.size {
        c.check(
            ExpectName::Size,
            "size",
            n.to_string(),
            seg.size.to_string(),
            seg.size == n,
            Some(Hint::definite(format!(
                "shmget's size argument was {} instead of {n}",
                seg.size
            ))),
        );
    }
    if let Some(n) = e.size_at_least {
        c.check(ExpectName::SizeAtLeast, "size", format!("at least {n} bytes"), seg.size.to_string(), seg.size >= n, Some(Hint::definite(format!("the segment holds {} bytes, fewer than the assignment's text needs: ask shmget for at least {n}", seg.size))));
    }
    if let Some(m) = e.mode {
        let mode = seg.mode & 0o777;
        c.check(
            ExpectName::Mode,
            "mode",
            format!("{:04o}", m.0),
            format!("{mode:04o}"),
            mode == m.0,
            Some(Hint::definite(format!(
                "the permission bits come from shmget's flags: IPC_CREAT|0{:o}",
                m.0
            ))),
        );
    }
    if let (Some(want), Some(have)) = (&e.text, text) {
        let (passed, newline) = match e.text_match {
            TextMatch::Exact => (have == want, false),
            TextMatch::Prefix => (have.starts_with(want.as_str()), false),
            TextMatch::Line => {
                let trimmed = have
                    .strip_suffix('\n')
                    .map(|t| t.strip_suffix('\r').unwrap_or(t));
                (
                    have == want || trimmed == Some(want.as_str()),
                    trimmed == Some(want.as_str()),
                )
            }
        };
        let never_typed = if passed {
            None
        } else {
            told::text_never_typed(run, have)
        };
        let hint = match (never_typed, kept) {
            (Some(why), _) => why,
            // The cause is the run before's, which its own check names.
            (None, Some(k)) if k == have && !typed(run) => Hint::open("the segment holds what the run before left, and this run was not to change it: the run before did not store its text (see its check)"),
            (None, Some(k)) if k != have && !k.is_empty() => Hint::definite(format!("the text \"{}\" the run before left is not there after a run that was not asked to change it: the program clears or overwrites the segment when it starts (memset, a fresh strcpy, or IPC_CREAT on a new segment each time)", k.escape_debug())),
            _ => text_hint(want, have),
        };
        c.check(
            ExpectName::Text,
            "text at offset 0",
            format!("\"{want}\""),
            format!("\"{}\"", have.escape_debug()),
            passed,
            Some(hint),
        );
        if passed && newline {
            c.note("text at offset 0", "the text was stored with the newline fgets keeps; a program that shows it prints an empty line after it (strip it with s[strcspn(s, \"\\n\")] = 0)".into());
        }
    } else if e.text.is_some() {
        c.check(
            ExpectName::Text,
            "text at offset 0",
            format!("\"{}\"", e.text.as_deref().unwrap_or_default()),
            "no text could be read".into(),
            false,
            None,
        );
    }
    if let (Some(true), Some(n)) = (e.within_size, past) {
        c.check(ExpectName::WithinSize, "bytes past the size", "0".into(), n.to_string(), n == 0, Some(Hint::definite(format!("{n} byte(s) were written past the segment's {} bytes: the program copies more than it asked shmget for", seg.size))));
    }
    if let Some(n) = e.nattch {
        c.check(ExpectName::Nattch, "attachments left", n.to_string(), seg.nattch.to_string(), seg.nattch == n, Some(Hint::definite("a process of the program is still attached after it ended (one it started and left running)")));
    }
    if e.same_segment == Some(true) {
        if let Some(prev) = previous {
            let same = prev.id == seg.id;
            c.check(ExpectName::SameSegment, "the same segment as the run before", format!("segment {}", prev.id), shown(Some(seg)), same, Some(Hint::definite("this run made a new segment instead of finding the one the run before left: the key differs between runs (IPC_PRIVATE, a key from the pid or the time, or ftok on a file that changes)")));
        }
    }
}

fn expect_output(
    c: &mut Run<'_>,
    run: &crate::model::RunRecord,
    previous_text: Option<&str>,
    created: Option<bool>,
) {
    let out = format!("{}\n{}", run.stdout, run.stderr);
    let e = c.spec.expect.clone();
    for want in &e.output_contains {
        let found = out.lines().any(|l| l.contains(want.as_str()));
        c.check(
            ExpectName::OutputContains,
            "output",
            format!("a line containing \"{want}\""),
            "none".into(),
            found,
            None,
        );
    }
    for p in &e.output_matches {
        c.check(
            ExpectName::OutputMatches,
            "output",
            format!("matches /{}/", p.0),
            "no match".into(),
            p.is_match(&out),
            None,
        );
    }
    if e.shows_previous_text == Some(true) {
        if let Some(prev) = previous_text
            .map(|t| t.trim_end_matches(['\n', '\r']))
            .filter(|t| !t.is_empty())
        {
            let shown = out.contains(prev);
            c.check(ExpectName::ShowsPreviousText, "shows what the segment held", format!("\"{prev}\" in the output"), if shown { "shown".into() } else { "not shown".into() }, shown, Some(Hint::definite("the program did not print the text the segment held when it started: read it from the segment (after shmat) and print it before asking")));
        }
    }
    if let (Some(p), Some(created)) = (&e.created_says, created) {
        let says = p.is_match(&out);
        let (expected, actual) = if created {
            (
                format!("/{}/ (it created the segment)", p.0),
                if says { "said" } else { "not said" },
            )
        } else {
            (
                format!("no /{}/ (the segment was there)", p.0),
                if says { "said" } else { "not said" },
            )
        };
        c.check(ExpectName::CreatedSays, "says whether it created the segment", expected, actual.into(), says == created, Some(Hint::definite(if created { "the program did not say that it created the segment" } else { "the program says it created the segment, but it was already there: tell the cases apart with IPC_CREAT|IPC_EXCL first (EEXIST: it exists), then shmget without IPC_CREAT" })));
    }
}

#[cfg(test)]
mod tests;
