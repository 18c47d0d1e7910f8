//! One report model, rendered by each format: every format says the same thing.

pub mod human;
pub mod json;

use serde::Serialize;

use crate::run::isolation::IsolationChoice;
use crate::scenario::{Check, RunRecord, Snapshot, Verdict};

/// Everything a checker run found.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// What was checked: "your labs", "the reference solutions", a program, a directory.
    pub source: String,
    /// The isolation that ran, and why.
    pub isolation: IsolationChoice,
    /// Whom the programs ran as, in words.
    pub runs_as: String,
    /// Why the programs were not traced (`None`: they were).
    pub tracing: Option<String>,
    /// One per lab checked, in teaching order.
    pub labs: Vec<LabReport>,
}

/// One lab's results.
#[derive(Debug, Clone, Serialize)]
pub struct LabReport {
    /// The lab's name.
    pub lab: &'static str,
    /// Its number in teaching order.
    pub number: usize,
    /// What it teaches.
    pub summary: &'static str,
    /// The program checked, as shown to the user.
    pub program: Option<String>,
    /// Why no scenario could run (does not compile, not found).
    pub problem: Option<String>,
    /// Each scenario.
    pub scenarios: Vec<ScenarioReport>,
}

/// One scenario's result.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioReport {
    pub slug: &'static str,
    pub title: &'static str,
    pub verdict: Verdict,
    pub checks: Vec<Check>,
    pub runs: Vec<RunRecord>,
    pub snapshots: Vec<Snapshot>,
}

/// Scenario counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
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
        let c = self.counts();
        self.problem.is_none() && c.failed == 0 && c.errors == 0 && c.passed > 0
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

    /// Names of the labs done.
    pub fn labs_done(&self) -> Vec<&'static str> {
        self.labs
            .iter()
            .filter(|l| l.is_done())
            .map(|l| l.lab)
            .collect()
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
            format!(" ({})", done.join(", "))
        };
        format!(
            "{total} scenarios: {}. Labs done: {} of {}{done_text}.",
            parts.join(", "),
            done.len(),
            self.labs.len()
        )
    }
}
