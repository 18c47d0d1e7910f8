//! The checks of one scenario: [`Ctx`] reads an observation and records [`Check`]s, with the
//! likely mistake of each failed one. Everything here is pure.

use serde::Serialize;

use super::evidence::Evidence;
use crate::model::check::{Certainty, CheckKind};
use crate::model::segment::{diff_fields, SegmentState, Snapshot};
use crate::model::timeline::TraceEvent;
use crate::model::{Lab, Observation, RunRecord};

/// One expectation and how it came out.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// What was looked at: `exit status`, `stdout`, `mode of the new segment`.
    pub what: String,
    /// The field name, for tools: `status`, `stdout`, `errno`, `mode`, `nattch`, ...
    pub field: &'static str,
    pub expected: String,
    pub actual: String,
    pub passed: bool,
    /// Not judged, and why (a timeline check where tracing is not possible).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// The likely mistake, in one sentence, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// How sure the hint is of its cause (decided where the hint is written).
    #[serde(skip)]
    pub certainty: Certainty,
    /// An expectation, or one of the kit's generic checks.
    #[serde(skip)]
    pub kind: CheckKind,
    /// Something the program did that the lab does not ask for but allows (a library's
    /// attach in create): told, never failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The errno or concept the check turns on, which `shmlab explain` explains.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explain: Option<&'static str>,
    /// When it was decided, for the pictures (`report::svg`).
    #[serde(skip)]
    pub at: Moment,
}

/// When a check was decided: the run it is about (`None`: all the runs together) and, for a
/// check on one call of that run, the call's index in the run's timeline (`None`: after the
/// run, from what the checker saw then).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Moment {
    pub run: Option<usize>,
    pub event: Option<usize>,
}

/// Why the checks of a run stopped at its first one: the program did not get far enough
/// for the rest to mean anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stop {
    /// It hit a `todo!()` (or C's "not implemented"): the lab is not started.
    NotImplemented,
    /// It panicked.
    Panicked,
    /// A signal killed it.
    Crashed,
    /// It ran past the timeout.
    TimedOut,
    /// It killed its parent.
    KilledItsParent,
    /// It started more processes than allowed.
    ForkLoop,
    /// A fork or clone failed because the run had as many processes and threads as a run may.
    ProcessLimit,
    /// It moved to another IPC namespace, where the checker cannot see its segments.
    LeftNamespace,
    /// It could not be started (exit status 126 or 127 before any shm call): a problem with
    /// how it is run, reported once for its lab.
    CouldNotStart,
    /// It rejected arguments that follow the lab's usage (exit status 2 before any call).
    UsageRejected,
}

/// Collects checks while an `expect` function reads an observation.
pub struct Ctx<'a> {
    pub obs: &'a Observation,
    /// The lab being checked, for pointers into its guide.
    pub lab: Lab,
    pub checks: Vec<Check>,
    /// Set once the program did not finish normally: later checks would only add noise.
    pub(super) stopped: Option<Stop>,
    /// The run the checks are about (0-based); see [`in_run`](Self::in_run).
    run_index: usize,
    /// Whether the checks are about all the runs together; see [`across_runs`](Self::across_runs).
    across: bool,
}

/// The errno names and texts a lab's stderr line may use.
pub fn errno_text(name: &str) -> &'static str {
    match name {
        "ENOENT" => "No such file or directory",
        "EEXIST" => "File exists",
        "EINVAL" => "Invalid argument",
        "EACCES" => "Permission denied",
        "EPERM" => "Operation not permitted",
        "ENOSPC" => "No space left on device",
        "EIDRM" => "Identifier removed",
        _ => "",
    }
}

const KNOWN_ERRNOS: [&str; 7] = [
    "ENOENT", "EEXIST", "EINVAL", "EACCES", "EPERM", "ENOSPC", "EIDRM",
];

/// The errno a stderr text names, if any.
pub fn errno_in(stderr: &str) -> Option<&'static str> {
    let lower = stderr.to_lowercase();
    KNOWN_ERRNOS.into_iter().find(|name| {
        lower.contains(&name.to_lowercase()) || lower.contains(&errno_text(name).to_lowercase())
    })
}

impl<'a> Ctx<'a> {
    /// A context over `obs`.
    pub fn new(obs: &'a Observation, lab: Lab) -> Ctx<'a> {
        Ctx {
            obs,
            lab,
            checks: Vec::new(),
            stopped: None,
            run_index: 0,
            across: false,
        }
    }

    /// Makes the checks `f` records about the scenario's runs together (what they left at the
    /// end): their `what` names no run.
    pub fn across_runs(&mut self, f: impl FnOnce(&mut Ctx<'a>)) {
        let previous = std::mem::replace(&mut self.across, true);
        f(self);
        self.across = previous;
    }

    /// Makes the checks `f` records about run `n` (0-based) of a scenario with several:
    /// [`run`](Self::run), [`evidence`](Self::evidence), [`timeline`](Self::timeline),
    /// [`before_run`](Self::before_run), [`after`](Self::after), [`created`](Self::created),
    /// [`contents`](Self::contents) and the status checks then mean that run, and each
    /// check's `what` starts with `run N: `.
    pub fn in_run(&mut self, n: usize, f: impl FnOnce(&mut Ctx<'a>)) {
        let previous = std::mem::replace(&mut self.run_index, n);
        f(self);
        self.run_index = previous;
    }

    /// The run the checks are about (0-based).
    pub fn run_index(&self) -> usize {
        self.run_index
    }

    /// `what`, with the run it is about where the scenario has several.
    fn about_run(&self, what: String) -> String {
        if self.obs.runs.len() > 1 && !self.across {
            format!("run {}: {what}", self.run_index + 1)
        } else {
            what
        }
    }

    /// Why the checks stopped early, if they did.
    pub fn stopped(&self) -> Option<Stop> {
        self.stopped
    }

    /// Records a check.
    pub fn check(
        &mut self,
        field: &'static str,
        what: impl Into<String>,
        expected: impl ToString,
        actual: impl ToString,
        passed: bool,
        hint: impl FnOnce() -> String,
    ) -> bool {
        if self.stopped.is_some() {
            return passed;
        }
        let hint = if passed { None } else { Some(hint()) };
        let what = self.about_run(what.into());
        self.checks.push(Check {
            what,
            field,
            expected: expected.to_string(),
            actual: actual.to_string(),
            passed,
            skipped: None,
            hint,
            note: None,
            explain: None,
            certainty: Certainty::Open,
            kind: CheckKind::Expectation,
            at: self.moment(),
        });
        passed
    }

    /// Records something allowed but not asked for, as a passed check with a note.
    pub fn note(
        &mut self,
        field: &'static str,
        what: impl Into<String>,
        seen: impl ToString,
        note: impl Into<String>,
    ) {
        if self.stopped.is_some() {
            return;
        }
        let seen = seen.to_string();
        let what = self.about_run(what.into());
        self.checks.push(Check {
            what,
            field,
            expected: seen.clone(),
            actual: seen,
            passed: true,
            skipped: None,
            hint: None,
            note: Some(note.into()),
            explain: None,
            certainty: Certainty::Open,
            kind: CheckKind::Expectation,
            at: self.moment(),
        });
    }

    /// The moment a check recorded now is about: the run, and no call in it.
    fn moment(&self) -> Moment {
        Moment {
            run: (!self.across).then_some(self.run_index),
            event: None,
        }
    }

    /// Pins the last check to the call at `event` in the run's timeline: the moment it was
    /// decided, where the pictures draw it.
    pub fn at_event(&mut self, event: usize) {
        if let Some(c) = self.checks.last_mut() {
            c.at.event = Some(event);
        }
    }

    /// Points the last check, if it failed, to `shmlab explain topic`.
    pub fn explain_last(&mut self, topic: &'static str) {
        if let Some(c) = self.checks.last_mut().filter(|c| !c.passed) {
            c.explain = Some(topic);
        }
    }

    /// What the trace of the run shows, for hints.
    pub fn evidence(&self) -> Evidence<'a> {
        Evidence::of(self.obs, self.run_index)
    }

    /// The run's timeline, or why there is none.
    pub fn timeline(&self) -> Result<&'a [TraceEvent], String> {
        match (&self.obs.tracing, &self.run().timeline) {
            (Err(reason), _) => Err(reason.clone()),
            (Ok(()), Some(events)) => Ok(events),
            (Ok(()), None) => Err("no timeline was recorded for this run".into()),
        }
    }

    /// Runs timeline checks, or records them as skipped with the reason.
    pub fn with_timeline(
        &mut self,
        what: &str,
        checks: impl FnOnce(&mut Ctx<'a>, &'a [TraceEvent]),
    ) {
        if self.stopped.is_some() {
            return;
        }
        match self.timeline() {
            Ok(events) => checks(self, events),
            Err(reason) => self.checks.push(Check {
                what: self.about_run(what.into()),
                field: "timeline",
                expected: "checked on the timeline".into(),
                actual: "not traced".into(),
                passed: false,
                skipped: Some(reason),
                hint: None,
                note: None,
                explain: None,
                certainty: Certainty::Open,
                kind: CheckKind::Expectation,
                at: self.moment(),
            }),
        }
    }

    /// The run the checks are about (the first, unless [`in_run`](Self::in_run) says).
    pub fn run(&self) -> &'a RunRecord {
        &self.obs.runs[self.run_index]
    }

    /// The bytes of segment `id` after the run, when the scenario reads them.
    pub fn contents(&self, id: i32) -> Option<&'a crate::model::SegmentBytes> {
        self.obs.contents.get(self.run_index)?.get(&id)
    }

    /// The snapshot before anything ran.
    pub fn before(&self) -> &'a Snapshot {
        &self.obs.snapshots[0]
    }

    /// The snapshot after step `n` (0-based).
    pub fn after_step(&self, n: usize) -> &'a Snapshot {
        &self.obs.snapshots[n + 1]
    }

    /// The snapshot right after the run.
    pub fn after(&self) -> &'a Snapshot {
        &self.obs.snapshots[self.obs.after_run[self.run_index]]
    }

    /// The snapshot right before the run (after the previous step).
    pub fn before_run(&self) -> &'a Snapshot {
        &self.obs.snapshots[self.obs.after_run[self.run_index] - 1]
    }

    /// Setup segment `n` as it was before the run.
    pub fn setup_before(&self, n: usize) -> &'a SegmentState {
        // Right before the run where an earlier run left it; else as the setup made it. (Between
        // runs the checker's read of the contents moves atime and lpid: a later run's
        // `unchanged` would see that, so multi-run scenarios compare those fields themselves.)
        let id = self.obs.setup_ids[n];
        self.before_run()
            .by_id(id)
            .or_else(|| self.before().by_id(id))
            .expect("setup segments are in the before snapshot")
    }

    /// Segments in the snapshot after the run that were not there before it.
    pub fn created(&self) -> Vec<&'a SegmentState> {
        let before = self.before_run();
        self.after()
            .segments
            .iter()
            .filter(|s| before.by_id(s.id).is_none())
            .collect()
    }

    /// Checks that stdout is exactly `expected`.
    pub fn stdout(&mut self, expected: &str, hint: impl FnOnce(&str) -> String) -> bool {
        let actual = self.run().stdout.clone();
        let ok = actual == expected;
        self.check(
            "stdout",
            "standard output",
            show(expected),
            show(&actual),
            ok,
            || hint(&actual),
        )
    }

    /// Checks that stderr names the errno `name` (by name or its text).
    pub fn errno(&mut self, call: &str, name: &'static str) -> bool {
        let stderr = self.run().stderr.clone();
        let found = errno_in(&stderr);
        let ok = found == Some(name);
        let text = errno_text(name);
        let evidence = self.evidence();
        let key = self.command_key();
        let ok = self.check(
            "errno",
            "the error named on stderr",
            format!("a line like `{call}: {name} ({text})`"),
            if stderr.trim().is_empty() {
                "(nothing on stderr)".to_string()
            } else {
                show(stderr.trim())
            },
            ok,
            || super::status::errno_hint(call, name, found, &evidence, key),
        );
        self.explain_last(name);
        ok
    }

    /// Checks that no segment was created by the run.
    pub fn nothing_created(&mut self, hint: &str) -> bool {
        let created = self.created();
        let actual = if created.is_empty() {
            "none".to_string()
        } else {
            let mut shown: Vec<String> = created
                .iter()
                .take(3)
                .map(|s| format!("key {} (id {}, created by pid {})", s.key(), s.id, s.cpid))
                .collect();
            if created.len() > 3 {
                shown.push(format!(
                    "and {} more ({} in all)",
                    created.len() - 3,
                    created.len()
                ));
            }
            shown.join(", ")
        };
        self.check(
            "segments-created",
            "segments created by the run",
            "none",
            actual,
            created.is_empty(),
            || hint.to_string(),
        )
    }

    /// Checks that setup segment `n` is unchanged from before the run in every field that
    /// the program could change (times and lpid included).
    pub fn unchanged(&mut self, n: usize, hint: &str) -> bool {
        self.unchanged_but(n, hint, false)
    }

    /// Like [`unchanged`](Self::unchanged), except that an attach the program undid (lpid,
    /// atime and dtime moved, nattch as before) is a note, not a failure: the lab does not ask
    /// for it, and libraries such as Python's `sysv_ipc` attach on their own.
    pub fn unchanged_allowing_attach(&mut self, n: usize, hint: &str) -> bool {
        self.unchanged_but(n, hint, true)
    }

    fn unchanged_but(&mut self, n: usize, hint: &str, allow_attach: bool) -> bool {
        let before = self.setup_before(n).clone();
        let after = self.after().by_id(before.id).cloned();
        let Some(after) = after else {
            return self.check(
                "segment-exists",
                format!("segment {} after the run", before.key()),
                "still there, unchanged",
                "gone (removed)",
                false,
                || hint.to_string(),
            );
        };
        let undone_attach = allow_attach && after.nattch == before.nattch;
        let attach_fields = ["lpid", "atime", "dtime"];
        let (noted, judged): (Vec<_>, Vec<_>) = diff_fields(&before, &after)
            .into_iter()
            .partition(|(f, _, _)| undone_attach && attach_fields.contains(f));
        let mut ok = true;
        for (field, b, a) in judged {
            ok &= self.check(
                field,
                format!("{field} of segment {}", before.key()),
                b,
                a,
                false,
                || hint.to_string(),
            );
        }
        if ok {
            self.check(
                "segment-exists",
                format!("segment {}", before.key()),
                "unchanged",
                "unchanged",
                true,
                String::new,
            );
        }
        if ok && !noted.is_empty() {
            let fields: Vec<&str> = noted.iter().map(|(f, _, _)| *f).collect();
            self.note(
                "lpid",
                format!("attach history of segment {}", before.key()),
                format!("{} changed", fields.join(", ")),
                "the program attached and detached the segment: the lab does not ask for it, but it is allowed (a library such as Python's sysv_ipc attaches on its own)",
            );
        }
        ok
    }

    /// Checks one field of a segment state.
    pub fn field<T: PartialEq + ToString>(
        &mut self,
        field: &'static str,
        what: impl Into<String>,
        expected: T,
        actual: T,
        hint: impl FnOnce() -> String,
    ) -> bool {
        let ok = expected == actual;
        self.check(
            field,
            what,
            expected.to_string(),
            actual.to_string(),
            ok,
            hint,
        )
    }
}

/// Text as shown in a report: quoted, with escapes for newlines and control bytes.
pub fn show(text: &str) -> String {
    format!("{text:?}")
}
