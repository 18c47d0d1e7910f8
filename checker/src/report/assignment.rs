//! The report of an assignment's check: each scenario with its points, the checks that
//! failed with their likely mistakes, what the program was asked and answered, the notes,
//! and the grade. Rendered for a person ([`render_human`]) and as JSON ([`render_json`]).

use std::io::{self, Write};

use super::neutral::{neutral, quoted};
use super::words::{self, termination_text};
use super::RunsAs;
use crate::model::RunRecord;
use crate::run::isolation::IsolationChoice;
use crate::scenario::{Check, Verdict};

/// An assignment checked on one program.
#[derive(Debug, Clone)]
pub struct AssignmentReport {
    /// The assignment's name and title.
    pub name: String,
    pub title: String,
    /// The program, as shown.
    pub program: String,
    /// Why nothing could run (it does not build, no program found).
    pub problem: Option<String>,
    pub isolation: IsolationChoice,
    pub runs_as: RunsAs,
    /// Why the runs were not traced (`None`: they were).
    pub tracing: Option<String>,
    pub scenarios: Vec<ScenarioResult>,
    /// The generic checks with points of their own: name, points, whether earned.
    pub generic_points: Vec<(&'static str, u32, bool)>,
}

/// One scenario's result.
#[derive(Debug, Clone)]
pub struct ScenarioResult {
    pub name: String,
    pub title: String,
    pub points: u32,
    pub earned: u32,
    pub visibility: &'static str,
    pub verdict: Verdict,
    pub checks: Vec<Check>,
    pub runs: Vec<RunRecord>,
}

impl AssignmentReport {
    /// Points earned, and the most there are.
    pub fn score(&self) -> (u32, u32) {
        let mut got = 0;
        let mut max = 0;
        for s in &self.scenarios {
            got += s.earned;
            max += s.points;
        }
        for (_, points, earned) in &self.generic_points {
            max += points;
            if *earned {
                got += points;
            }
        }
        if self.problem.is_some() {
            got = 0;
        }
        (got, max)
    }

    /// Whether it passes: it ran, and no scenario failed or could not run.
    pub fn passed(&self) -> bool {
        self.problem.is_none()
            && !self.scenarios.is_empty()
            && self
                .scenarios
                .iter()
                .all(|s| matches!(s.verdict, Verdict::Passed | Verdict::Skipped(_)))
    }

    /// The main defect, in a sentence: the problem, or the likely mistake of the first check
    /// that failed (what it expected and saw, where no mistake is named).
    pub fn main_defect(&self) -> Option<String> {
        if let Some(p) = &self.problem {
            return Some(p.clone());
        }
        let failed = self
            .scenarios
            .iter()
            .flat_map(|s| s.checks.iter())
            .filter(|c| !c.passed && c.skipped.is_none());
        // A generic check's hint first: it names the cause of what else failed.
        let mut first = None;
        for c in failed {
            if c.field == "generic" {
                return c.hint.clone();
            }
            first.get_or_insert(c);
        }
        if let Some(c) = first {
            return Some(c.hint.clone().unwrap_or_else(|| {
                format!("{}: expected {}, saw {}", c.what, c.expected, c.actual)
            }));
        }
        self.scenarios.iter().find_map(|s| match &s.verdict {
            Verdict::Error(e) => Some(format!("the checker could not run {}: {e}", s.name)),
            _ => None,
        })
    }
}

/// Why a program cannot be run, in a sentence (as for a lab's, which names the lab only
/// when the program is not found).
pub fn program_problem(problem: &crate::model::lab::LabProblem) -> String {
    match problem {
        crate::model::lab::LabProblem::NotFound { path } => format!(
            "{} not found: give the path of the compiled program, or the submission's folder with --dir",
            neutral(path.as_os_str().as_encoded_bytes())
        ),
        other => words::lab_problem(crate::model::Lab::Memo, other),
    }
}

fn mark(v: &Verdict) -> &'static str {
    match v {
        Verdict::Passed => "PASS",
        Verdict::Failed => "FAIL",
        Verdict::Skipped(_) => "SKIP",
        Verdict::Error(_) => "ERR ",
    }
}

/// Writes the report for a person; `verbose` shows every run's conversation and output.
pub fn render_human(r: &AssignmentReport, verbose: bool, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "Assignment {}: {}",
        neutral(&r.name),
        neutral(&r.title)
    )?;
    writeln!(out, "program: {}", neutral(&r.program))?;
    writeln!(
        out,
        "isolation: {} ({}); programs run as: {}",
        r.isolation.mode,
        words::isolation_why(&r.isolation),
        words::runs_as(&r.runs_as)
    )?;
    match &r.tracing {
        None => writeln!(out, "tracing: on")?,
        Some(why) => writeln!(
            out,
            "tracing: off ({}); the checks on calls are skipped",
            neutral(why)
        )?,
    }
    if let Some(p) = &r.problem {
        writeln!(out, "\nproblem: {}", neutral(p))?;
    }
    for s in &r.scenarios {
        writeln!(out)?;
        writeln!(
            out,
            "{} {} ({}/{}) {}",
            mark(&s.verdict),
            neutral(&s.name),
            s.earned,
            s.points,
            neutral(&s.title)
        )?;
        match &s.verdict {
            Verdict::Skipped(why) | Verdict::Error(why) => writeln!(out, "    {}", neutral(why))?,
            _ => {}
        }
        let failed = s.verdict == Verdict::Failed;
        for (i, run) in s.runs.iter().enumerate() {
            if failed || verbose {
                render_run(i, run, verbose, out)?;
            }
        }
        for c in &s.checks {
            if !c.passed && c.skipped.is_none() {
                writeln!(
                    out,
                    "    ✗ {}: expected {}, saw {}",
                    neutral(&c.what),
                    neutral(&c.expected),
                    neutral(&c.actual)
                )?;
                if let Some(h) = &c.hint {
                    writeln!(out, "      likely mistake: {}", neutral(h))?;
                }
            } else if verbose && c.note.is_none() {
                writeln!(out, "    ✓ {}: {}", neutral(&c.what), neutral(&c.expected))?;
            }
        }
        for c in s.checks.iter().filter(|c| c.passed) {
            if let Some(n) = &c.note {
                writeln!(out, "    note: {}: {}", neutral(&c.what), neutral(n))?;
            }
        }
    }
    let (got, max) = r.score();
    writeln!(out)?;
    for (name, points, earned) in &r.generic_points {
        writeln!(
            out,
            "{name}: {}/{points}",
            if *earned { *points } else { 0 }
        )?;
    }
    let verdict = if r.passed() { "PASS" } else { "FAIL" };
    writeln!(out, "Score: {got}/{max}. Verdict: {verdict}.")?;
    if let Some(d) = r.main_defect().filter(|_| !r.passed()) {
        writeln!(out, "Main defect: {}", neutral(d))?;
    }
    Ok(())
}

fn render_run(i: usize, run: &RunRecord, verbose: bool, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "    run {}: {} → {}",
        i + 1,
        neutral(words::shell_words(&run.argv)),
        termination_text(&run.termination)
    )?;
    for e in &run.exchanges {
        let answered = match &e.answered {
            Some(a) => format!("{} ({})", quoted(a), neutral(e.meaning())),
            None => "end of input".into(),
        };
        let again = if e.retry { " (asked again)" } else { "" };
        writeln!(out, "      asked {}{again} → {answered}", quoted(&e.asked))?;
    }
    if verbose {
        for line in run.stdout.lines().take(40) {
            writeln!(out, "      | {}", neutral(line))?;
        }
        for line in run.stderr.lines().take(20) {
            writeln!(out, "      ! {}", neutral(line))?;
        }
    }
    Ok(())
}

/// The report as JSON: the grade, each scenario with its checks and runs.
pub fn json_value(r: &AssignmentReport) -> serde_json::Value {
    let (score, max) = r.score();
    serde_json::json!({
        "assignment": r.name,
        "program": r.program,
        "problem": r.problem,
        "isolation": r.isolation.mode.to_string(),
        "tracing": r.tracing.is_none(),
        "score": score,
        "max_score": max,
        "passed": r.passed(),
        "main_defect": r.main_defect().filter(|_| !r.passed()),
        "scenarios": r.scenarios.iter().map(|s| serde_json::json!({
            "name": s.name,
            "title": s.title,
            "points": s.points,
            "earned": s.earned,
            "visibility": s.visibility,
            "verdict": s.verdict,
            "checks": s.checks,
            "runs": s.runs,
        })).collect::<Vec<_>>(),
        "generic_points": r.generic_points.iter().map(|(n, p, e)| serde_json::json!({"check": n, "points": p, "earned": e})).collect::<Vec<_>>(),
    })
}

/// Writes the report as JSON.
pub fn render_json(r: &AssignmentReport, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "{}",
        serde_json::to_string_pretty(&json_value(r)).unwrap_or_default()
    )
}
