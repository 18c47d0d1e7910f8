//! Lab 9, share: `share KEY TEXT`. The parent creates and attaches a segment, forks; the
//! child writes TEXT through the attachment it inherited and detaches; the parent waits,
//! prints what the child wrote, detaches and removes. The checks on the trace of both
//! processes are in `calls`.

mod calls;

use super::builder::{def, key, lit, Def, FREE};
use super::expect::{check_existing_unchanged, fails_with};
use crate::model::{Call, Effect, TraceEvent};
use crate::scenario::{show, Ctx, Kind, SegmentSpec};

/// The segment's size: 1023 bytes of text and a NUL.
pub const SIZE: u64 = 1024;
/// Its permission bits.
pub const MODE: i32 = 0o600;

/// The scenarios, in the order of the guide.
pub fn scenarios() -> Vec<Def> {
    vec![
        def(
            "share/round-trip",
            "what the child writes, the parent reads; then it removes the segment",
        )
        .run(&[FREE, lit(TEXT)])
        .expect(|c| round_trip(c, TEXT)),
        def("share/long-text", "1023 bytes of text come through whole")
            .run(&[FREE, lit(&"x".repeat(1023))])
            .expect(|c| round_trip(c, &"x".repeat(1023))),
        def(
            "share/existing-key",
            "a KEY that has a segment fails with EEXIST, before any fork",
        )
        .setup(SegmentSpec::new(64, 0o600).marked())
        .run(&[key(0), lit("hello")])
        .reading_contents()
        .expect(|c| {
            fails_with(c, Kind::Shmget, "EEXIST");
            check_existing_unchanged(c, "the segment with KEY belongs to someone else: shmget with IPC_CREAT | IPC_EXCL fails with EEXIST, and the program must stop there, leaving it as it was");
            calls::no_fork(c);
        }),
        def("share/missing-arguments", "no TEXT is bad usage")
            .usage()
            .run(&[FREE])
            .expect(|c| {
                c.status(2);
                c.nothing_created("with bad usage the program must stop before any call");
            }),
        def(
            "share/text-too-long",
            "a TEXT of 1024 bytes does not fit with its NUL: bad usage",
        )
        .usage()
        .run(&[FREE, lit(&"x".repeat(1024))])
        .expect(|c| {
            c.status(2);
            c.nothing_created("a TEXT longer than 1023 bytes is bad usage: refuse it before any call");
        }),
    ]
}

const TEXT: &str = "hello from the child";

fn round_trip(c: &mut Ctx<'_>, text: &str) {
    let events = c.timeline().ok();
    let pid = c.run().pid;
    c.status_hinted(0, |code, stderr| {
        (code == 1 && stderr.contains("child failed")).then(|| {
            if stderr.contains("No child processes") || stderr.contains("ECHILD") {
                return "a waitpid failed with ECHILD (no child processes): that is the child running the parent's code, as it has no child of its own; end the child's branch with _exit(0) (Rust: shm::exit_now(0)) right after its shmdt".to_string();
            }
            child_failed_hint(events, pid)
        })
    });
    let expected = format!("child wrote: {text}\n");
    c.stdout(&expected, |actual| stdout_hint(actual, text, events, pid));
    c.nothing_created("the segment is the run's own: after the child's exit, the parent detaches and removes it (shmctl(id, IPC_RMID, NULL))");
    calls::check(c);
}

/// The child of the program's fork, from the trace.
pub fn child_of(events: &[TraceEvent], parent: i32) -> Option<i32> {
    events.iter().find_map(|e| match e.call {
        Call::Fork { child } if e.pid == parent => Some(child),
        _ => None,
    })
}

/// The index of the event where `pid` ended.
pub fn end_of(events: &[TraceEvent], pid: i32) -> Option<usize> {
    events
        .iter()
        .position(|e| e.pid == pid && matches!(e.effect, Effect::Exit { .. }))
}

/// A call that is the parent's part of the contract (its `IPC_RMID`, or a fork): made by the
/// child, it shows the child went on past its branch.
fn is_parents_part(e: &TraceEvent) -> bool {
    matches!(
        e.call,
        Call::Shmctl {
            cmd: libc::IPC_RMID,
            ..
        } | Call::Fork { .. }
    )
}

/// The child of `parent`'s fork and the first call of the parent's part it made, if the trace
/// shows one.
pub fn child_in_parents_part(events: &[TraceEvent], parent: i32) -> Option<(i32, &TraceEvent)> {
    let child = child_of(events, parent)?;
    events
        .iter()
        .find(|e| e.pid == child && is_parents_part(e))
        .map(|e| (child, e))
}

fn child_failed_hint(events: Option<&[TraceEvent]>, parent: i32) -> String {
    let Some(events) = events else {
        return "the program said the child failed: the child must write TEXT, detach with shmdt and exit with status 0".into();
    };
    match child_of(events, parent).map(|child| {
        (
            child,
            events.iter().filter(|e| e.pid == child).collect::<Vec<_>>(),
        )
    }) {
        None => "the program said the child failed, but the trace shows no fork".into(),
        Some((child, own)) => {
            let parents_part = own.iter().copied().find(|e| is_parents_part(e));
            match (parents_part, own.iter().find(|e| !e.succeeded() && !matches!(e.call, Call::Exit { .. }))) {
                (Some(e), _) => format!("the child (pid {child}) went on into the parent's code: it called {}, which is the parent's part; end the child's branch with _exit(0) (Rust: shm::exit_now(0)) right after its shmdt", e.call.text()),
                (None, Some(e)) => format!("the child's {} failed: {}", e.call.text(), e.call_line()),
                (None, None) => match own.iter().find_map(|e| match e.call { Call::Exit { status } => Some(status), _ => None }) {
                    Some(s) if s < 0 => format!("the child (pid {child}) was killed by {}", crate::model::timeline::signal_name(-s)),
                    Some(s) => format!("the child (pid {child}) exited with status {s}: it must exit with status 0 after writing and detaching"),
                    None => "the program said the child failed".into(),
                },
            }
        }
    }
}

fn stdout_hint(actual: &str, text: &str, events: Option<&[TraceEvent]>, parent: i32) -> String {
    let lines: Vec<&str> = actual.lines().collect();
    if let Some(twice) = lines
        .iter()
        .find(|l| lines.iter().filter(|m| m == l).count() > 1)
    {
        if let Some((child, e)) = events.and_then(|ev| child_in_parents_part(ev, parent)) {
            return format!("the line {} was printed twice: the child (pid {child}) went on into the parent's code (it called {}, the parent's part) and printed it too; end the child's branch with _exit(0) (Rust: shm::exit_now(0)) right after its shmdt", show(twice), e.call.text());
        }
        // A line with what the child wrote was made after the fork: no buffer copied it.
        if twice
            .strip_prefix("child wrote: ")
            .is_some_and(|t| !t.is_empty())
        {
            return format!("the line {} was printed twice, both times after the fork (it holds what the child wrote): only the parent prints it, once; the child prints nothing and ends its branch with _exit(0) (Rust: shm::exit_now(0)) right after its shmdt", show(twice));
        }
        if events.is_none_or(|ev| ev.iter().any(|e| matches!(e.call, Call::Fork { .. }))) {
            return format!("the line {} was printed twice: it was still in the stdout buffer at the fork, so both processes had a copy and both wrote it out; print nothing before the fork (or fflush(stdout) just before it)", show(twice));
        }
    }
    let printed = actual
        .strip_prefix("child wrote: ")
        .map(|r| r.trim_end_matches('\n'));
    match (printed, events) {
        (Some(""), Some(events)) => {
            let child = child_of(events, parent);
            let held = child.and_then(|c| events.iter().find(|e| e.pid == c && matches!(e.call, Call::Shmdt { .. })).and_then(|e| e.held.clone()));
            match held {
                Some(h) if h.is_empty() => "when the child detached, the segment held no text: the child did not write TEXT into the segment. After fork the child's variables and buffers are its own copies; only the attached pages are shared, so write through the address shmat returned".into(),
                Some(h) => format!("the child had written {} by its shmdt, yet the parent printed an empty text: the parent read the segment before the child wrote; waitpid for the child first, then read", show(&h)),
                None => format!("the parent printed an empty text: the child must write {} and a NUL at offset 0 of the segment, and the parent read it after waitpid", show(text)),
            }
        }
        (Some(""), None) => "the parent printed an empty text: the child writes TEXT and a NUL at offset 0 through the inherited attachment, and the parent reads only after waitpid returned".into(),
        (Some(p), _) if text.starts_with(p) => format!("only {} of the {} bytes came through: copy the whole TEXT (strlen(text) + 1 bytes, with its NUL)", p.len(), text.len()),
        _ => format!("the parent prints one line, `child wrote: ` and the text, and nothing else is printed (the child prints nothing); got {}", show(actual)),
    }
}
