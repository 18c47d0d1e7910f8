//! The kit's generic checks, which hold for every assignment: each seen in a run becomes a
//! [`Generic`], told as a failure or a note as the assignment weighs it, with its hint.

use crate::assignment::{Assignment, CheckSetting, Weight};
use crate::model::timeline::{errno_name, signal_name, Return};
use crate::model::{Call, Observation, Termination};
use crate::scenario::ctx::errno_text;
use crate::scenario::fault::{fault_cause, FaultCause};
use crate::scenario::{signal_meaning, Check};

use super::follow::Follow;
use super::hints::Hint;
use crate::model::check::CheckKind;

/// Why the program crashed: where it struck, when the tracer saw it and the address tells
/// (definite; for the `(void *) -1` of a failed `shmat`, with that call); else right after a
/// failed `shmat`, the `(void *) -1` it returned (what the trace shows first, then the
/// signal); else the signal, and the last call, which leave the cause open.
fn crash_hint(signal: i32, own: &[&crate::model::TraceEvent], cause: Option<FaultCause>) -> Hint {
    let failed = |e: &&crate::model::TraceEvent| match (&e.call, &e.ret) {
        (Call::Shmat { .. }, Some(Return::Errno(errno))) => Some((e.call.text(), Some(*errno))),
        (Call::Shmat { .. }, Some(Return::Failed)) => Some((e.call.text(), None)),
        _ => None,
    };
    let why = |errno: Option<i32>| {
        errno.map_or(String::new(), |n| {
            let name = errno_name(n);
            format!(" with {name} ({})", errno_text(&name))
        })
    };
    let name = signal_name(signal);
    match cause {
        Some(FaultCause::FailedShmat { addr, .. }) => {
            if let Some((call, errno)) = own.iter().rev().find_map(failed) {
                return Hint::definite(format!(
                    "the program crashed ({name}) at {addr:#x}, just below (void *) -1, after {call} failed{}: it used the (void *) -1 that the failed shmat returned as the segment's address; check shmat's result against (void *) -1, and see why it failed",
                    why(errno)
                ));
            }
        }
        Some(cause) => {
            return Hint::definite(format!("the program crashed: {}", cause.text(signal)))
        }
        None => {}
    }
    let last = own.last();
    if let Some((call, errno)) = last.and_then(failed).filter(|_| cause.is_none()) {
        return Hint::definite(format!(
            "the program crashed ({name}) right after {call} failed{}: a failed shmat returns (void *) -1, which the program most likely went on to use as the segment's address; check shmat's result against (void *) -1, and see why it failed",
            why(errno)
        ));
    }
    // SIGSEGV with every attachment detached: the segment's address is no longer mapped.
    let ok = |e: &&&crate::model::TraceEvent| e.ret.as_ref().is_some_and(Return::is_ok);
    let attaches = own
        .iter()
        .filter(ok)
        .filter(|e| matches!(e.call, Call::Shmat { .. }));
    let detaches = own
        .iter()
        .filter(ok)
        .filter(|e| matches!(e.call, Call::Shmdt { .. }));
    let last_detach = detaches.clone().next_back();
    if signal == libc::SIGSEGV && attaches.count() == detaches.count() && last_detach.is_some() {
        // (The address is left out: it differs from run to run.)
        return Hint::open("the program crashed (SIGSEGV) with no segment attached any more, after its shmdt: using the segment's address after shmdt is a SIGSEGV (the address is no longer mapped); if it did not, the fault is in its own memory (an uninitialised or NULL pointer, an index past an array's end)");
    }
    let after = last.map_or(String::new(), |e| {
        format!(" Its last shm call was {}.", e.call.text())
    });
    Hint::open(format!(
        "the program crashed: {}.{after}",
        signal_meaning(signal)
    ))
}

/// A generic check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    LeakPerRun,
    FtokFailed,
    MissingShmdt,
    AttachLoop,
    WritePastSize,
    Crash,
    LoopAtEndOfInput,
    RemoveWhileAttached,
}

impl Kind {
    pub const ALL: [Kind; 8] = [
        Kind::LeakPerRun,
        Kind::FtokFailed,
        Kind::MissingShmdt,
        Kind::AttachLoop,
        Kind::WritePastSize,
        Kind::Crash,
        Kind::LoopAtEndOfInput,
        Kind::RemoveWhileAttached,
    ];

    /// Its name in the assignment file's `[checks]`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::LeakPerRun => "leak_per_run",
            Kind::FtokFailed => "ftok_failed",
            Kind::MissingShmdt => "missing_shmdt",
            Kind::AttachLoop => "attach_loop",
            Kind::WritePastSize => "write_past_size",
            Kind::Crash => "crash",
            Kind::LoopAtEndOfInput => "loop_at_end_of_input",
            Kind::RemoveWhileAttached => "remove_while_attached",
        }
    }

    /// What it is, in a few words, for the report.
    pub fn title(self) -> &'static str {
        match self {
            Kind::LeakPerRun => "a new segment left behind by each run",
            Kind::FtokFailed => "the key 0xffffffff (ftok failed)",
            Kind::MissingShmdt => "exits without shmdt",
            Kind::AttachLoop => "attaches in a loop",
            Kind::WritePastSize => "writes past the segment's size",
            Kind::Crash => "crashes",
            Kind::LoopAtEndOfInput => "runs on once its input has ended",
            Kind::RemoveWhileAttached => "IPC_RMID while still attached",
        }
    }

    /// How the assignment counts it.
    pub fn setting(self, a: &Assignment) -> CheckSetting {
        let c = &a.checks;
        match self {
            Kind::LeakPerRun => c.leak_per_run,
            Kind::FtokFailed => c.ftok_failed,
            Kind::MissingShmdt => c.missing_shmdt,
            Kind::AttachLoop => c.attach_loop,
            Kind::WritePastSize => c.write_past_size,
            Kind::Crash => c.crash,
            Kind::LoopAtEndOfInput => c.loop_at_end_of_input,
            Kind::RemoveWhileAttached => c.remove_while_attached,
        }
    }
}

/// A generic check seen in a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generic {
    pub kind: Kind,
    /// The run (0-based).
    pub run: usize,
    /// What was seen, and the likely mistake, in a sentence or two.
    pub hint: Hint,
}

impl Generic {
    /// Whether it explains why the run did not end by itself.
    pub fn explains_stop(&self) -> bool {
        matches!(self.kind, Kind::Crash | Kind::LoopAtEndOfInput)
    }

    /// The check it makes in the report.
    pub fn check(&self, a: &Assignment) -> Check {
        let weight = self.kind.setting(a).weight();
        let failed = weight == Weight::Fail;
        Check {
            what: format!(
                "run {}: {} ({})",
                self.run + 1,
                self.kind.title(),
                self.kind.name()
            ),
            at: crate::scenario::ctx::Moment {
                run: Some(self.run),
                event: None,
            },
            field: "generic",
            expected: "not seen".into(),
            actual: "seen".into(),
            passed: !failed,
            skipped: None,
            hint: failed.then(|| self.hint.text.clone()),
            note: (!failed).then(|| self.hint.text.clone()),
            explain: None,
            certainty: self.hint.certainty,
            kind: CheckKind::Generic,
        }
    }
}

/// How many successful `shmat`s in one run make a loop.
const ATTACH_LOOP: u64 = 8;

/// Looks for every generic check in run `r`, adding what it sees to `out`.
pub fn look(
    a: &Assignment,
    obs: &Observation,
    r: usize,
    follow: &Follow<'_>,
    out: &mut Vec<Generic>,
) {
    let Some(run) = obs.runs.get(r) else { return };
    let mut see = |kind: Kind, hint: Hint| {
        if kind.setting(a).weight() != Weight::Off && !out.iter().any(|g| g.kind == kind) {
            out.push(Generic { kind, run: r, hint });
        }
    };
    let made = follow.made_by(r);
    let before = follow.around(r).map(|(b, _)| b.segments.len()).unwrap_or(0);
    if made.iter().any(|s| s.key == 0) {
        see(Kind::LeakPerRun, Hint::definite("each run makes a new segment with IPC_PRIVATE and leaves it behind: nothing finds it again. Use a key of the program's own (a constant, or ftok on one of its files)"));
    } else if made.len() > 1
        || (!made.is_empty()
            && before > 0
            && follow
                .key()
                .is_some_and(|k| made.iter().all(|s| s.key != k)))
    {
        see(Kind::LeakPerRun, Hint::definite(format!("this run left {} new segment(s) besides the one it works on: the key changes from run to run (the pid, the time, a counter), so every run makes another", made.len())));
    }
    if follow
        .around(r)
        .is_some_and(|(_, after)| after.segments.iter().any(|s| s.key == -1))
    {
        see(Kind::FtokFailed, Hint::definite("the key is 0xffffffff: ftok returned -1, because the file it names does not exist where the program runs (its path is relative to another folder, or the file was not handed in)"));
    }
    for bytes in obs.contents.get(r).into_iter().flat_map(|m| m.values()) {
        let n = bytes.written_past_size();
        if n > 0 {
            see(Kind::WritePastSize, Hint::definite(format!("{n} byte(s) were written past the segment's size (into the rest of its last page): the text copied is longer than the segment, or the size given to shmget is smaller than what is written")));
        }
    }
    match run.termination {
        Termination::Signaled { signal, .. } => {
            let own: Vec<&crate::model::TraceEvent> = run
                .timeline
                .iter()
                .flatten()
                .filter(|e| e.pid == run.pid && !matches!(e.call, Call::Exit { .. }))
                .collect();
            let timeline = run.timeline.as_deref().unwrap_or_default();
            let cause = run.fault.and_then(|f| fault_cause(&f, timeline, run.pid));
            see(Kind::Crash, crash_hint(signal, &own, cause));
        }
        Termination::TimedOut { .. }
            if run.exchanges.last().is_some_and(|e| e.answered.is_none()) =>
        {
            see(Kind::LoopAtEndOfInput, Hint::definite("after its input ended (the answers ran out: end of file, as when a pipe or Ctrl-D ends it) the program kept going until it was stopped: check what scanf, fgets or getchar return (EOF, NULL) and stop then"));
        }
        _ => {}
    }
    let Some(timeline) = &run.timeline else {
        return;
    };
    let own = |pid: i32| pid == run.pid;
    let attaches: u64 = timeline
        .iter()
        .filter(|e| {
            own(e.pid)
                && matches!(e.call, Call::Shmat { .. })
                && e.ret.as_ref().is_some_and(|r| r.is_ok())
        })
        .map(|e| 1 + e.repeats)
        .sum();
    let detaches: u64 = timeline
        .iter()
        .filter(|e| {
            own(e.pid)
                && matches!(e.call, Call::Shmdt { .. })
                && e.ret.as_ref().is_some_and(|r| r.is_ok())
        })
        .map(|e| 1 + e.repeats)
        .sum();
    if attaches >= ATTACH_LOOP {
        see(Kind::AttachLoop, Hint::definite(format!("the program attached {attaches} times in one run: shmat belongs before the loop, once")));
    }
    if attaches > detaches && matches!(run.termination, Termination::Exited { .. }) {
        see(Kind::MissingShmdt, Hint::definite("the program exits without shmdt; exit detaches for it, but a program that attaches should detach when it is done (shmdt(addr))"));
    }
    let rmid_attached = timeline.iter().any(|e| {
        own(e.pid)
            && matches!(e.call, Call::Shmctl { cmd, .. } if cmd & 0xff == 0)
            && e.ret.as_ref().is_some_and(|r| r.is_ok())
            && e.segment.as_ref().is_some_and(|s| s.nattch > 0)
    });
    if rmid_attached {
        see(Kind::RemoveWhileAttached, Hint::definite("the program removed the segment (IPC_RMID) while still attached to it: Linux allows it (the segment goes at the last detach), but detaching first is the portable order"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::check::Certainty;
    use crate::model::{Effect, TraceEvent};

    fn event(call: Call, ret: i64) -> TraceEvent {
        TraceEvent {
            pid: 50,
            call,
            ret: Some(Return::Value(ret)),
            segment: None,
            segment_id: Some(0),
            held: None,
            effect: Effect::Call { before: None },
            repeats: 0,
            held_cut: false,
        }
    }

    #[test]
    fn a_crash_whose_address_tells_the_cause_is_definite_and_says_that_cause() {
        let attach = Call::Shmat {
            id: 0,
            addr: 0,
            flags: 0,
        };
        let own = [
            event(attach, 0x7000),
            event(Call::Shmdt { addr: 0x7000 }, 0),
        ];
        let own: Vec<&TraceEvent> = own.iter().collect();
        let after = FaultCause::AfterShmdt {
            addr: 0x7010,
            detached: 0x7000,
        };
        let hint = crash_hint(libc::SIGSEGV, &own, Some(after));
        assert_eq!(hint.certainty, Certainty::Definite);
        assert!(
            hint.text
                .contains("the program used the segment after shmdt detached it"),
            "{}",
            hint.text
        );
        // A NULL pointer after a correct shmdt: not the shmdt.
        let null = FaultCause::Null {
            addr: 0,
            after_failed_shmat: false,
        };
        let hint = crash_hint(libc::SIGSEGV, &own, Some(null));
        assert_eq!(hint.certainty, Certainty::Definite);
        assert!(
            hint.text.contains("a NULL pointer (address 0x0)"),
            "{}",
            hint.text
        );
        assert!(!hint.text.contains("after shmdt"), "{}", hint.text);
        // Just below (void *) -1 after a failed shmat: that call, named.
        let mut failed = event(
            Call::Shmat {
                id: -1,
                addr: 0,
                flags: 0,
            },
            0,
        );
        failed.ret = Some(Return::Errno(libc::EINVAL));
        let minus_one = FaultCause::FailedShmat {
            addr: u64::MAX - 31,
            errno: Some(libc::EINVAL),
        };
        let hint = crash_hint(libc::SIGSEGV, &[&failed, own[0]], Some(minus_one));
        assert_eq!(hint.certainty, Certainty::Definite);
        assert!(
            hint.text
                .contains("after shmat(-1, NULL, 0) failed with EINVAL"),
            "{}",
            hint.text
        );
        // No address (untraced, or a signal sent): the cause is left open, as before.
        let hint = crash_hint(libc::SIGSEGV, &own, None);
        assert_eq!(hint.certainty, Certainty::Open);
        assert!(hint.text.contains("after its shmdt"), "{}", hint.text);
    }
}
