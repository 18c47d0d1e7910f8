//! A scenario's verdict, and the evaluation of an observation into one.

use serde::Serialize;

use super::ctx::{Check, Ctx, Stop};
use super::spec::Scenario;
use crate::model::Observation;

/// A check's outcome for a whole scenario.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", content = "reason", rename_all = "snake_case")]
pub enum Verdict {
    /// Every check passed.
    Passed,
    /// At least one check failed.
    Failed,
    /// Not run; the reason says why.
    Skipped(String),
    /// The checker could not run it (its own failure, not the student's).
    Error(String),
}

/// What evaluating a scenario gave.
#[derive(Debug, Clone)]
pub struct Evaluation {
    pub verdict: Verdict,
    /// Every check, passed, failed or skipped.
    pub checks: Vec<Check>,
    /// Why the checks stopped at the first one, if they did.
    pub stop: Option<Stop>,
}

/// Evaluates `scenario` on `obs`.
pub fn evaluate(scenario: &Scenario, obs: &Observation) -> Evaluation {
    let mut ctx = Ctx::new(obs, scenario.lab);
    (scenario.expect)(&mut ctx);
    // Only the create lab makes segments: anywhere else, one left behind is reported, even
    // where the scenario did not ask.
    let asked = ctx.checks.iter().any(|c| c.field == "segments-created");
    if !scenario.lab.creates_segments() && !asked && ctx.stopped().is_none() && !obs.runs.is_empty()
    {
        let n = ctx.created().len();
        ctx.nothing_created(&format!("the program left {n} segment(s) behind: only the create lab creates segments, and a program that makes one for its own use must remove it"));
    }
    let judged: Vec<&Check> = ctx.checks.iter().filter(|c| c.skipped.is_none()).collect();
    let verdict = if judged.iter().all(|c| c.passed) && !judged.is_empty() {
        Verdict::Passed
    } else {
        Verdict::Failed
    };
    Evaluation {
        verdict,
        stop: ctx.stopped(),
        checks: ctx.checks,
    }
}
