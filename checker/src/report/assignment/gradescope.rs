//! An assignment's report as Gradescope's `results.json` ([`Results`]): one test per
//! scenario, worth the scenario's points and shown as the file says (`visibility`), and one
//! per generic check the file gives points of its own. A test's output is what the report
//! says of its scenario: what each run was asked and answered, the checks that failed with
//! what was expected and seen and the likely mistake, and the notes.

use serde_json::json;

use super::{render_scenario, AssignmentReport, GenericPoints, ScenarioResult, Shown};
use crate::assignment;
use crate::report::gradescope::{Results, Status, Test, Visibility};
use crate::report::neutral::neutral;
use crate::scenario::Verdict;

fn visibility(v: assignment::Visibility) -> Visibility {
    match v {
        assignment::Visibility::Visible => Visibility::Visible,
        assignment::Visibility::Hidden => Visibility::Hidden,
        assignment::Visibility::AfterDueDate => Visibility::AfterDueDate,
        assignment::Visibility::AfterPublished => Visibility::AfterPublished,
    }
}

fn outcome(v: &Verdict) -> &'static str {
    match v {
        Verdict::Passed => "passed",
        Verdict::Failed => "failed",
        Verdict::Skipped(_) => "skipped",
        Verdict::Error(_) => "error",
    }
}

fn scenario_test(r: &AssignmentReport, s: &ScenarioResult) -> Test {
    let (score, max_score) = s.counted();
    let output = match (&r.problem, &s.verdict) {
        (_, Verdict::Skipped(why)) => format!("skipped, not counted: {}", neutral(why)),
        (_, Verdict::Error(why)) => format!("checker error, not counted: {}", neutral(why)),
        (Some(problem), _) => neutral(problem),
        (None, verdict) => {
            let mut text = Vec::new();
            // Into memory: cannot fail.
            let _ = render_scenario(s, Shown::Conversation, &mut text);
            let head = if *verdict == Verdict::Passed {
                "passed"
            } else {
                "failed"
            };
            // The report's indentation, under a heading Gradescope shows itself, is lost.
            let body = String::from_utf8_lossy(&text);
            let lines = body.lines().map(|l| l.strip_prefix("    ").unwrap_or(l));
            std::iter::once(head)
                .chain(lines)
                .collect::<Vec<_>>()
                .join("\n")
        }
    };
    Test {
        name: if s.title.is_empty() {
            s.name.clone()
        } else {
            format!("{}: {}", s.name, s.title)
        },
        score: u64::from(score),
        max_score: u64::from(max_score),
        status: Some(if s.verdict == Verdict::Passed && r.problem.is_none() {
            Status::Passed
        } else {
            Status::Failed
        }),
        output,
        tags: vec![r.name.clone()],
        visibility: Some(visibility(s.visibility)),
        extra_data: json!({
            "outcome": outcome(&s.verdict),
            "lab": r.name,
            "checks": s.checks,
            "runs": s.runs,
        }),
    }
}

fn generic_test(r: &AssignmentReport, g: &GenericPoints) -> Test {
    let ran = r.problem.is_none();
    let earned = g.earned(ran);
    let output = match &r.problem {
        Some(problem) => neutral(problem),
        None if g.seen.is_empty() => "passed: not seen in any run".to_string(),
        None => g
            .seen
            .iter()
            .map(|(scenario, hint)| format!("seen in {}: {}", neutral(scenario), neutral(hint)))
            .collect::<Vec<_>>()
            .join("\n"),
    };
    Test {
        name: format!("{}: {}", g.kind.name(), g.kind.title()),
        score: u64::from(earned),
        max_score: u64::from(g.points),
        status: Some(if ran && g.seen.is_empty() {
            Status::Passed
        } else {
            Status::Failed
        }),
        output,
        tags: vec![r.name.clone()],
        visibility: None,
        extra_data: json!({
            "outcome": if ran && g.seen.is_empty() { "passed" } else { "failed" },
            "lab": r.name,
        }),
    }
}

/// The report as Gradescope's results, shown to students as `visibility` says (a scenario's
/// own visibility, from the file, wins for its test).
pub fn results(r: &AssignmentReport, visibility: Visibility) -> Results {
    let mut tests: Vec<Test> = r.scenarios.iter().map(|s| scenario_test(r, s)).collect();
    tests.extend(r.generic_points.iter().map(|g| generic_test(r, g)));
    let (score, max) = r.score();
    let (verdict, defect) = if r.passed() {
        ("passed", None)
    } else {
        ("failed", r.main_defect())
    };
    let mut output = format!(
        "{}: {score}/{max}, {verdict}.",
        neutral(if r.title.is_empty() {
            &r.name
        } else {
            &r.title
        })
    );
    if let Some(d) = defect {
        output.push_str(&format!("\nMain defect: {}", neutral(d)));
    }
    for f in &r.made_files {
        output.push_str(&format!("\nNote: {}", super::made_file_note(f)));
    }
    Results {
        score: u64::from(score),
        max_score: Some(u64::from(max)),
        output,
        visibility: Some(visibility),
        execution_time: None,
        tests,
        extra_data: serde_json::Value::Null,
    }
}
