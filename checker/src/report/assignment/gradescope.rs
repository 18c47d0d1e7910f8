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
    if let Some(note) = crate::report::left_out::note(&r.left_out) {
        output.push_str(&format!("\nNote: {note}"));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::assignment::Kind;

    fn scenario(
        name: &str,
        points: u32,
        verdict: Verdict,
        vis: assignment::Visibility,
    ) -> ScenarioResult {
        ScenarioResult {
            name: name.into(),
            title: format!("the {name} scenario"),
            points,
            earned: if verdict == Verdict::Passed {
                points
            } else {
                0
            },
            visibility: vis,
            verdict,
            checks: Vec::new(),
            runs: Vec::new(),
        }
    }

    fn report() -> AssignmentReport {
        AssignmentReport::sample(
            vec![
                scenario("a", 2, Verdict::Passed, assignment::Visibility::Visible),
                scenario("b", 3, Verdict::Failed, assignment::Visibility::Hidden),
                scenario(
                    "c",
                    4,
                    Verdict::Error("stopped".into()),
                    assignment::Visibility::Visible,
                ),
            ],
            vec![
                GenericPoints {
                    kind: Kind::LeakPerRun,
                    points: 2,
                    seen: vec![("b".into(), "a new segment each run".into())],
                },
                GenericPoints {
                    kind: Kind::Crash,
                    points: 1,
                    seen: Vec::new(),
                },
            ],
        )
    }

    #[test]
    fn each_scenario_and_each_generic_check_with_points_is_a_test_summing_to_the_score() {
        let r = results(&report(), Visibility::AfterDueDate);
        let got: Vec<(u64, u64, Option<Status>, Option<Visibility>)> = r
            .tests
            .iter()
            .map(|t| (t.score, t.max_score, t.status, t.visibility))
            .collect();
        assert_eq!(
            got,
            [
                (2, 2, Some(Status::Passed), Some(Visibility::Visible)),
                (0, 3, Some(Status::Failed), Some(Visibility::Hidden)),
                // Not reached: neither earns nor costs.
                (0, 0, Some(Status::Failed), Some(Visibility::Visible)),
                (0, 2, Some(Status::Failed), None),
                (1, 1, Some(Status::Passed), None),
            ]
        );
        assert_eq!((r.score, r.max_score), (3, Some(8)));
        assert_eq!(r.score, r.tests.iter().map(|t| t.score).sum::<u64>());
        assert!(r.tests[3]
            .output
            .contains("seen in b: a new segment each run"));
        assert!(r.tests[2].output.starts_with("checker error, not counted"));
        assert_eq!(r.visibility, Some(Visibility::AfterDueDate));
    }

    #[test]
    fn a_submission_that_could_not_run_earns_nothing_and_each_test_says_why() {
        let mut rep = report();
        rep.problem = Some("the submission does not build: shm.c:3: error".into());
        for s in &mut rep.scenarios {
            s.earned = 0;
            s.verdict = Verdict::Failed;
        }
        let r = results(&rep, Visibility::Visible);
        assert_eq!((r.score, r.max_score), (0, Some(12)));
        for t in &r.tests {
            assert_eq!(t.status, Some(Status::Failed), "{t:?}");
            assert!(t.output.contains("does not build"), "{t:?}");
        }
    }
}
