//! The report of an assignment's check: each scenario with its points, the checks that
//! failed with their likely mistakes, what the program was asked and answered, the notes,
//! and the grade. Rendered for a person ([`render_human`]) and as JSON ([`render_json`]).

use std::io::{self, Write};

use super::neutral::{neutral, quoted};
use super::words::{self, termination_text};
use super::RunsAs;
use crate::assignment::Visibility;
use crate::model::RunRecord;
use crate::run::isolation::IsolationChoice;
use crate::scenario::assignment::Kind;
use crate::scenario::{Check, Verdict};

mod defect;
mod gradescope;

pub use gradescope::results;

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
    /// The generic checks with points of their own.
    pub generic_points: Vec<GenericPoints>,
    /// Files the program expects that the submission lacked, which the checker made.
    pub made_files: Vec<MadeFile>,
    /// What the runs' copy of the submission's folder left out.
    pub left_out: Vec<crate::model::copied::Skipped>,
}

/// A file the assignment lists that the submission lacked, made in the runs' folder.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MadeFile {
    pub name: String,
    /// Made with the text the assignment gives (else empty).
    pub given: bool,
}

/// What the report says of a file the checker made.
pub fn made_file_note(f: &MadeFile) -> String {
    let how = if f.given {
        "with the text the assignment gives"
    } else {
        "empty"
    };
    format!(
        "{} is not in the submission: the checker made it ({how}) in the program's folder, as the assignment lists it; hand it in with the program",
        neutral(&f.name)
    )
}

/// A generic check the file gives points of its own: earned when no run showed it.
#[derive(Debug, Clone)]
pub struct GenericPoints {
    pub kind: Kind,
    pub points: u32,
    /// Where it was seen: the scenario, and what was seen there (the check's hint).
    pub seen: Vec<(String, String)>,
}

impl GenericPoints {
    /// The points earned of `points`: all, unless a run showed it or nothing could run.
    pub fn earned(&self, ran: bool) -> u32 {
        if ran && self.seen.is_empty() {
            self.points
        } else {
            0
        }
    }
}

/// One scenario's result.
#[derive(Debug, Clone)]
pub struct ScenarioResult {
    pub name: String,
    pub title: String,
    pub points: u32,
    pub earned: u32,
    pub visibility: Visibility,
    pub verdict: Verdict,
    pub checks: Vec<Check>,
    pub runs: Vec<RunRecord>,
}

impl ScenarioResult {
    /// Points earned and the most there were, as they count: a scenario that could not run
    /// here (skipped) or that the checker could not run (an error) neither earns nor costs
    /// points, as in the labs.
    pub fn counted(&self) -> (u32, u32) {
        match self.verdict {
            Verdict::Skipped(_) | Verdict::Error(_) => (0, 0),
            _ => (self.earned, self.points),
        }
    }
}

/// A report of a made-up program with these scenarios and generic points, for tests.
#[cfg(test)]
impl AssignmentReport {
    pub(crate) fn sample(
        scenarios: Vec<ScenarioResult>,
        generic_points: Vec<GenericPoints>,
    ) -> AssignmentReport {
        use crate::run::isolation::{Isolation, IsolationReason};
        AssignmentReport {
            name: "t".into(),
            title: "a test".into(),
            program: "prog".into(),
            problem: None,
            isolation: IsolationChoice {
                mode: Isolation::Namespace,
                reason: IsolationReason::NamespacesAllowed {
                    in_user_namespace: false,
                },
            },
            runs_as: RunsAs::OwnUid(1000),
            tracing: None,
            scenarios,
            generic_points,
            made_files: Vec::new(),
            left_out: Vec::new(),
        }
    }
}

impl AssignmentReport {
    /// Points earned, and the most there are.
    pub fn score(&self) -> (u32, u32) {
        let mut got = 0;
        let mut max = 0;
        for s in &self.scenarios {
            let (earned, points) = s.counted();
            got += earned;
            max += points;
        }
        for g in &self.generic_points {
            max += g.points;
            got += g.earned(self.problem.is_none());
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
    for f in &r.made_files {
        writeln!(out, "note: {}", made_file_note(f))?;
    }
    if let Some(note) = crate::report::left_out::note(&r.left_out) {
        writeln!(out, "note: {note}")?;
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
        let shown = if verbose {
            Shown::Everything
        } else if s.verdict == Verdict::Failed {
            Shown::Conversation
        } else {
            Shown::Results
        };
        render_scenario(s, shown, out)?;
    }
    let (got, max) = r.score();
    writeln!(out)?;
    for g in &r.generic_points {
        writeln!(
            out,
            "{}: {}/{}",
            g.kind.name(),
            g.earned(r.problem.is_none()),
            g.points
        )?;
    }
    let verdict = if r.passed() { "PASS" } else { "FAIL" };
    writeln!(out, "Score: {got}/{max}. Verdict: {verdict}.")?;
    if let Some(d) = r.main_defect().filter(|_| !r.passed()) {
        writeln!(out, "Main defect: {}", neutral(d))?;
    }
    Ok(())
}

/// How much of a scenario's runs a report shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Shown {
    /// The checks that failed and the notes.
    Results,
    /// Those, and what each run was asked and answered.
    Conversation,
    /// Those, each run's output, and the checks that passed.
    Everything,
}

/// A scenario's body, indented under its heading: why it did not run, its runs (what they
/// were asked and answered), the checks that failed (expected, saw, the likely mistake) and
/// the notes.
pub fn render_scenario(s: &ScenarioResult, shown: Shown, out: &mut dyn Write) -> io::Result<()> {
    let verbose = shown == Shown::Everything;
    match &s.verdict {
        Verdict::Skipped(why) | Verdict::Error(why) => writeln!(out, "    {}", neutral(why))?,
        _ => {}
    }
    if shown >= Shown::Conversation {
        for (i, run) in s.runs.iter().enumerate() {
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

/// What a grade reads of a report's JSON: the score, the verdict and the main defect.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Summary {
    pub score: u32,
    pub max_score: u32,
    pub passed: bool,
    /// The main defect, when it failed.
    pub main_defect: Option<String>,
}

impl Summary {
    pub fn of(r: &AssignmentReport) -> Summary {
        let (score, max_score) = r.score();
        Summary {
            score,
            max_score,
            passed: r.passed(),
            main_defect: r.main_defect().filter(|_| !r.passed()),
        }
    }
}

/// The report as JSON: the grade ([`Summary`]), each scenario with its checks and runs.
pub fn json_value(r: &AssignmentReport) -> serde_json::Value {
    let summary = Summary::of(r);
    serde_json::json!({
        "assignment": r.name,
        "program": r.program,
        "problem": r.problem,
        "isolation": r.isolation.mode.to_string(),
        "tracing": r.tracing.is_none(),
        "score": summary.score,
        "max_score": summary.max_score,
        "passed": summary.passed,
        "main_defect": summary.main_defect,
        "made_files": r.made_files,
        "left_out": crate::report::left_out::json(&r.left_out),
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
        "generic_points": r.generic_points.iter().map(|g| serde_json::json!({"check": g.kind.name(), "points": g.points, "earned": g.earned(r.problem.is_none()) == g.points})).collect::<Vec<_>>(),
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
