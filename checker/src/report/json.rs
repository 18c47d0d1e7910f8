//! The report as a Gradescope `results.json`: one test per scenario.
//!
//! Skipped scenarios, and those the checker could not run, are listed with `max_score` 0,
//! so they neither earn nor cost points, and with the status `failed` (Gradescope knows only
//! `passed` and `failed`, and shows a 0/0 test without a status as passed); their `output`
//! starts with what they are (`skipped, not counted: ...`, `checker error, not counted: ...`).

use std::io::{self, Write};

use serde_json::{json, Value};

use super::cap;
use super::neutral::{neutral, neutral_lines};
use super::words;
use super::{Report, ScenarioReport};
use crate::model::{Lab, RunRecord};
use crate::scenario::Verdict;

/// A run as JSON, each timeline event with its effect in words, cut to the report's caps
/// ([`cap`]).
fn run_value(run: &RunRecord) -> Value {
    let mut v = serde_json::to_value(run).unwrap_or(Value::Null);
    let cut = run.dropped_by_stream;
    v["stdout"] = json!(cap::shown_output(&run.stdout, cut.stdout));
    v["stderr"] = json!(cap::shown_output(&run.stderr, cut.stderr));
    cap::cap_array(&mut v, "timeline", cap::SHOWN_EVENTS, "timeline_not_shown");
    if let (Some(events), Some(timeline)) = (
        v.get_mut("timeline").and_then(Value::as_array_mut),
        run.timeline.as_ref(),
    ) {
        for (value, event) in events.iter_mut().zip(timeline) {
            value["effect"] = json!(words::effect_text(event));
        }
    }
    v
}

/// A snapshot as JSON, cut to [`cap::SHOWN_SEGMENTS`] segments.
fn snapshot_value(snap: &crate::model::Snapshot) -> Value {
    let mut v = serde_json::to_value(snap).unwrap_or(Value::Null);
    cap::cap_array(
        &mut v,
        "segments",
        cap::SHOWN_SEGMENTS,
        "segments_not_shown",
    );
    v
}

/// A test's `output`, the text Gradescope shows: what the program controls in it is neutral
/// (the data fields keep it raw).
fn test_output(lab: Lab, s: &ScenarioReport) -> String {
    let mut lines = Vec::new();
    match &s.verdict {
        Verdict::Passed => lines.push("passed".to_string()),
        Verdict::Skipped(r) => lines.push(format!("skipped, not counted: {}", neutral(r))),
        Verdict::Error(r) => lines.push(format!(
            "checker error, not counted: the checker could not run this scenario: {}",
            neutral(r)
        )),
        Verdict::Failed => {
            for run in &s.runs {
                lines.push(format!("$ {}", words::run_command(run)));
            }
            for c in s.checks.iter().filter(|c| !c.passed && c.skipped.is_none()) {
                lines.push(format!(
                    "{}: expected {}, got {}",
                    neutral(&c.what),
                    neutral(&c.expected),
                    neutral(&c.actual)
                ));
                if let Some(h) = &c.hint {
                    lines.push(format!("  likely mistake: {}", neutral(h)));
                }
            }
            if let Some(run) = s.runs.first() {
                if !run.stderr.trim().is_empty() {
                    let stderr =
                        cap::shown_output(run.stderr.trim_end(), run.dropped_by_stream.stderr);
                    lines.push(format!("stderr: {}", neutral_lines(stderr)));
                }
            }
            lines.push(format!("guide: {}#common-mistakes", lab.guide()));
        }
    }
    lines.join("\n")
}

/// The Gradescope test of one scenario of `lab`; `problem` is why the lab could not be
/// checked at all, if it could not (in words).
pub fn test_value(lab: Lab, problem: Option<&str>, s: &ScenarioReport) -> Value {
    let name = format!("{}: {}", s.slug, s.title);
    // A scenario that cannot run here is skipped whatever the lab's problem (`check_lab`).
    let skipped = matches!(s.verdict, Verdict::Skipped(_));
    if let Some(problem) = problem.filter(|_| !skipped) {
        return json!({
            "name": name,
            "score": 0,
            "max_score": 1,
            "status": "failed",
            "output": problem,
            "tags": [lab],
            "extra_data": { "outcome": "failed", "lab": lab },
        });
    }
    let extra = json!({
        "outcome": match s.verdict { Verdict::Passed => "passed", Verdict::Failed => "failed", Verdict::Skipped(_) => "skipped", Verdict::Error(_) => "error" },
        "lab": lab,
        "checks": s.checks,
        "runs": s.runs.iter().map(run_value).collect::<Vec<_>>(),
        "snapshots": s.snapshots.iter().map(snapshot_value).collect::<Vec<_>>(),
    });
    let mut test = json!({
        "name": name,
        "output": test_output(lab, s),
        "tags": [lab],
        "extra_data": extra,
    });
    let (score, max, status) = match s.verdict {
        Verdict::Passed => (1, 1, "passed"),
        Verdict::Failed => (0, 1, "failed"),
        // Neither earns nor costs points: the student's work was not judged. Not passed
        // either, which is what a 0/0 test without a status would show.
        Verdict::Skipped(_) | Verdict::Error(_) => (0, 0, "failed"),
    };
    test["score"] = json!(score);
    test["max_score"] = json!(max);
    test["status"] = json!(status);
    // Checks and hints quote what the program printed: cut like its output.
    cap::cap_strings(&mut test);
    test
}

/// The whole document.
pub fn document(report: &Report) -> Value {
    let mut tests = Vec::new();
    for lab in &report.labs {
        let problem = lab.problem.as_ref().map(|p| words::lab_problem(lab.lab, p));
        for s in &lab.scenarios {
            tests.push(test_value(lab.lab, problem.as_deref(), s));
        }
    }
    let score: u64 = tests.iter().map(|t| t["score"].as_u64().unwrap_or(0)).sum();
    let max: u64 = tests
        .iter()
        .map(|t| t["max_score"].as_u64().unwrap_or(0))
        .sum();
    let labs: Vec<Value> = report
        .labs
        .iter()
        .map(|l| {
            json!({
                "lab": l.lab,
                "done": l.is_done(),
                "program": l.program,
                "problem": l.problem.as_ref().map(|p| words::lab_problem(l.lab, p)),
                "counts": l.counts(),
                "left_out": super::left_out::json(&l.left_out),
            })
        })
        .collect();
    json!({
        "score": score,
        "max_score": max,
        "output": report.summary(),
        "tests": tests,
        "extra_data": {
            "source": report.source,
            "isolation": {
                "mode": report.isolation.mode,
                "why": words::isolation_why(&report.isolation),
            },
            "runs_as": words::runs_as(&report.runs_as),
            "tracing": match &report.tracing {
                None => json!({ "on": true }),
                Some(reason) => json!({
                    "on": false,
                    "why": reason,
                    "cannot_attribute": words::untraced_keys_limit(report),
                }),
            },
            "counts": report.counts(),
            "labs": labs,
        },
    })
}

/// Writes the document, pretty-printed, and a newline.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &document(report))?;
    writeln!(out)
}

/// The document a grader reads when the checker could not produce a report: no score, the
/// reason, and the exit status.
pub fn render_error(message: &str, code: u8, out: &mut dyn Write) -> io::Result<()> {
    let mut doc = super::gradescope::Results::nothing(
        format!("The checker could not grade this submission: {message}"),
        Default::default(),
    );
    doc.visibility = None;
    doc.extra_data = json!({ "error": message, "exit_code": code });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Purpose;

    fn scenario(verdict: Verdict) -> ScenarioReport {
        ScenarioReport {
            slug: "create/a",
            title: "made up",
            purpose: Purpose::Behaviour,
            verdict,
            checks: Vec::new(),
            stop: None,
            runs: Vec::new(),
            snapshots: Vec::new(),
            elapsed: std::time::Duration::ZERO,
        }
    }

    #[test]
    fn skipped_and_err_tests_count_for_nothing_and_never_show_as_passed() {
        for (verdict, says) in [
            (
                Verdict::Skipped("needs root".into()),
                "skipped, not counted: needs root",
            ),
            (
                Verdict::Error("no namespace".into()),
                "checker error, not counted: ",
            ),
        ] {
            let t = test_value(Lab::Create, None, &scenario(verdict));
            assert_eq!(
                (t["score"].as_u64(), t["max_score"].as_u64()),
                (Some(0), Some(0))
            );
            assert_eq!(
                t["status"], "failed",
                "Gradescope shows a 0/0 test without one as passed"
            );
            assert!(t["output"].as_str().unwrap().starts_with(says), "{t}");
        }
    }
}
