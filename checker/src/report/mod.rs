//! One report model, rendered by each format: every format says the same thing. The words
//! for what was observed live in [`words`].

pub mod assignment;
pub mod cap;
pub mod explain;
pub mod github;
pub mod gradescope;
pub mod hints;
pub mod html;
pub mod human;
pub mod inspect;
pub mod json;
#[cfg(feature = "full")]
pub mod junit;
pub mod left_out;
pub mod list;
pub mod neutral;
pub mod stream;
pub mod svg;
pub mod trace;
pub mod words;

use crate::model::lab::LabProblem;
use crate::model::{Lab, RunRecord, Snapshot};
use crate::run::isolation::IsolationChoice;
use crate::scenario::{Check, Purpose, Stop, Verdict};

/// Everything a checker run found.
#[derive(Debug, Clone)]
pub struct Report {
    /// What was checked: "your labs", "the reference solutions", a program, a directory.
    pub source: String,
    /// The isolation that ran, and why.
    pub isolation: IsolationChoice,
    /// Whom the programs ran as.
    pub runs_as: RunsAs,
    /// Why the programs were not traced (`None`: they were).
    pub tracing: Option<String>,
    /// One per lab checked, in teaching order.
    pub labs: Vec<LabReport>,
}

/// Whom the programs ran as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunsAs {
    /// The checker's own uid (not root), without capabilities.
    OwnUid(u32),
    /// The checker is root: this unprivileged uid, the run's own (`own` is `Ok`) or, where
    /// none could be had, `nobody`'s, with the reason.
    RunUid { uid: u32, own: Result<(), String> },
}

/// One lab's results.
#[derive(Debug, Clone)]
pub struct LabReport {
    pub lab: Lab,
    /// The program checked, as shown to the user.
    pub program: Option<String>,
    /// Why no scenario could run (does not compile, not found).
    pub problem: Option<LabProblem>,
    /// Each scenario run (all the lab's, or those selected).
    pub scenarios: Vec<ScenarioReport>,
    /// What the runs' copy of the program's folder left out.
    pub left_out: Vec<crate::model::copied::Skipped>,
}

/// One scenario's result.
#[derive(Debug, Clone)]
pub struct ScenarioReport {
    pub slug: &'static str,
    pub title: &'static str,
    pub purpose: Purpose,
    pub verdict: Verdict,
    pub checks: Vec<Check>,
    /// Why the checks stopped at the first one, if they did.
    pub stop: Option<Stop>,
    pub runs: Vec<RunRecord>,
    pub snapshots: Vec<Snapshot>,
    /// How long the scenario took (its setup, runs and checks).
    pub elapsed: std::time::Duration,
}

/// Scenario counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    pub errors: usize,
}

impl Counts {
    /// Scenarios that ran to a verdict on the student's work (passed or failed).
    pub fn graded(&self) -> usize {
        self.passed + self.failed
    }
}

/// Where a student stands on a lab, decided once from its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabStatus {
    /// No problem, nothing failed, at least one scenario passed.
    Done,
    /// Still the starter: its `todo!()`s are reached, and nothing but usage handling passes.
    NotStarted,
    /// Some scenarios fail.
    NotDone { passed: usize, of: usize },
    /// The crate holding it does not compile.
    DoesNotCompile,
    /// There is no program for it.
    Missing,
    /// Its program could not start (an interpreter out of reach, say).
    CannotStart,
}

impl LabReport {
    /// Counts of this lab's scenarios.
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for s in &self.scenarios {
            match s.verdict {
                Verdict::Passed => c.passed += 1,
                Verdict::Failed => c.failed += 1,
                Verdict::Skipped(_) => c.skipped += 1,
                Verdict::Error(_) => c.errors += 1,
            }
        }
        c
    }

    /// Done: no problem, nothing failed, and at least one scenario passed.
    pub fn is_done(&self) -> bool {
        self.status() == LabStatus::Done
    }

    /// The lab's status.
    pub fn status(&self) -> LabStatus {
        match &self.problem {
            Some(LabProblem::DoesNotCompile { .. } | LabProblem::SourceDoesNotCompile { .. }) => {
                return LabStatus::DoesNotCompile
            }
            Some(LabProblem::CouldNotStart { .. } | LabProblem::CannotExecute { .. }) => {
                return LabStatus::CannotStart
            }
            Some(_) => return LabStatus::Missing,
            None => {}
        }
        let c = self.counts();
        if c.failed == 0 && c.errors == 0 && c.passed > 0 {
            return LabStatus::Done;
        }
        let behaviour_passes = self
            .scenarios
            .iter()
            .filter(|s| s.verdict == Verdict::Passed && s.purpose == Purpose::Behaviour)
            .count();
        let hits_todo = self
            .scenarios
            .iter()
            .any(|s| s.stop == Some(Stop::NotImplemented));
        if behaviour_passes == 0 && hits_todo {
            LabStatus::NotStarted
        } else {
            LabStatus::NotDone {
                passed: c.passed,
                of: c.graded() + c.errors,
            }
        }
    }
}

impl Report {
    /// Counts over every lab.
    pub fn counts(&self) -> Counts {
        self.labs
            .iter()
            .map(LabReport::counts)
            .fold(Counts::default(), |a, b| Counts {
                passed: a.passed + b.passed,
                failed: a.failed + b.failed,
                skipped: a.skipped + b.skipped,
                errors: a.errors + b.errors,
            })
    }

    /// The labs done.
    pub fn labs_done(&self) -> Vec<Lab> {
        self.labs
            .iter()
            .filter(|l| l.is_done())
            .map(|l| l.lab)
            .collect()
    }

    /// Whether anything the student is graded on failed.
    pub fn has_failures(&self) -> bool {
        self.counts().failed > 0 || self.labs.iter().any(|l| l.problem.is_some())
    }

    /// The one-line summary every format ends with.
    pub fn summary(&self) -> String {
        let c = self.counts();
        let total = c.passed + c.failed + c.skipped + c.errors;
        let mut parts = vec![
            format!("{} passed", c.passed),
            format!("{} failed", c.failed),
        ];
        if c.skipped > 0 {
            parts.push(format!("{} skipped", c.skipped));
        }
        if c.errors > 0 {
            parts.push(format!("{} could not run", c.errors));
        }
        let done = self.labs_done();
        let done_text = if done.is_empty() {
            String::new()
        } else {
            let names: Vec<&str> = done.iter().map(|l| l.name()).collect();
            format!(" ({})", names.join(", "))
        };
        let noun = if total == 1 { "scenario" } else { "scenarios" };
        format!(
            "{total} {noun}: {}. Labs done: {} of {}{done_text}.",
            parts.join(", "),
            done.len(),
            self.labs.len()
        )
    }
}
