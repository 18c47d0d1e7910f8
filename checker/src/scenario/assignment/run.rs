//! The checks of one run of an assignment's scenario, as they are recorded: each
//! expectation with its hint and how sure that hint is, a note, or a run that did not end
//! by itself.

use crate::assignment::{ExpectName, RunSpec};
use crate::model::check::{Certainty, CheckKind};
use crate::model::Termination;
use crate::scenario::Check;

use super::generic::Generic;
use super::hints::Hint;

/// The checks of one run.
pub(super) struct Run<'a> {
    pub r: usize,
    pub spec: &'a RunSpec,
    pub checks: &'a mut Vec<Check>,
}

impl Run<'_> {
    pub fn check(
        &mut self,
        name: ExpectName,
        what: &str,
        expected: String,
        actual: String,
        passed: bool,
        hint: Option<Hint>,
    ) {
        let loose = self.spec.loose.contains(&name);
        let note = (loose && !passed).then(|| {
            format!("expected {expected}, saw {actual} (this expectation is told, not graded)")
        });
        self.checks.push(Check {
            what: format!("run {}: {what}", self.r + 1),
            at: crate::scenario::ctx::Moment {
                run: Some(self.r),
                event: None,
            },
            field: field(name),
            expected,
            actual,
            passed: passed || loose,
            skipped: None,
            certainty: hint.as_ref().map_or(Certainty::Open, |h| h.certainty),
            hint: if passed || loose {
                None
            } else {
                hint.map(|h| h.text)
            },
            note,
            explain: None,
            kind: CheckKind::Expectation,
        });
    }

    pub fn note(&mut self, what: &str, note: String) {
        self.checks.push(Check {
            what: format!("run {}: {what}", self.r + 1),
            at: crate::scenario::ctx::Moment {
                run: Some(self.r),
                event: None,
            },
            field: "note",
            expected: String::new(),
            actual: String::new(),
            passed: true,
            skipped: None,
            hint: None,
            note: Some(note),
            explain: None,
            certainty: Certainty::Open,
            kind: CheckKind::Expectation,
        });
    }

    /// The run did not end by itself: its expectations are not judged.
    pub fn fail_stop(&mut self, run: &crate::model::RunRecord, generic: &[Generic]) {
        // A generic check (crash, loop at end of input) says it, with its hint; else this.
        if generic.iter().any(|g| g.run == self.r && g.explains_stop()) {
            return;
        }
        let actual = match run.termination {
            Termination::TimedOut { after_ms } => format!("still running after {} ms", after_ms),
            Termination::Signaled { signal, .. } => format!("killed by signal {signal}"),
            Termination::KilledItsParent { signal } => {
                format!("killed its parent (signal {signal})")
            }
            Termination::Exited { code } => format!("exit status {code}"),
        };
        let hint = match run.termination {
            Termination::TimedOut { .. } if run.exchanges.iter().all(|e| e.answered.is_some()) => {
                let last = run.exchanges.last().map_or(String::new(), |e| {
                    format!(" (it last asked \"{}\")", e.asked)
                });
                Some(format!("the program was still waiting or working when its time ran out{last}: it asked for more than the assignment's answers, or never finished"))
            }
            _ => None,
        };
        self.checks.push(Check {
            what: format!("run {}: ends by itself", self.r + 1),
            at: crate::scenario::ctx::Moment {
                run: Some(self.r),
                event: None,
            },
            field: "status",
            expected: "exits".into(),
            actual,
            passed: false,
            skipped: None,
            hint,
            note: None,
            explain: None,
            // Asked for more than its answers, or never finished: the cause is open.
            certainty: Certainty::Open,
            kind: CheckKind::Expectation,
        });
    }
}

fn field(name: ExpectName) -> &'static str {
    match name {
        ExpectName::Segment => "segment",
        ExpectName::Size | ExpectName::SizeAtLeast => "size",
        ExpectName::Mode => "mode",
        ExpectName::Text => "text",
        ExpectName::WithinSize => "past_size",
        ExpectName::Nattch => "nattch",
        ExpectName::SameSegment => "id",
        ExpectName::OutputContains | ExpectName::OutputMatches => "stdout",
        ExpectName::ShowsPreviousText => "stdout",
        ExpectName::CreatedSays => "stdout",
        ExpectName::ExitStatus => "status",
    }
}
