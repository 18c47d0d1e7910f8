//! The report as JUnit XML (`--format junit`), for the test reporters of CI systems (GitHub
//! Actions, GitLab, Jenkins): one testsuite per lab, one testcase per scenario with its
//! `time`, the likely mistake as a failure's message (`type` `failed`, or the lab's problem:
//! `does-not-compile`, `no-program`, `cannot-start`) and the failed checks as its text; a
//! skipped scenario is skipped with its reason (also in a lab that could not be built), and
//! one the checker could not run is an `<error>`. A checker error is one `<error>` testcase
//! ([`render_error`]). The document keeps to `checker/tests/junit.xsd`, the strict schema the
//! tests hold it to: no `skipped` on `<testsuites>`, and no character XML forbids.

use std::io::{self, Write};
use std::time::Duration;

use quick_junit::{NonSuccessKind, Report as Junit, TestCase, TestCaseStatus, TestSuite};

use super::cap::shown_text;
use super::neutral::{neutral, neutral_lines};
use super::{words, LabReport, Report, ScenarioReport};
use crate::model::lab::LabProblem;
use crate::scenario::Verdict;

/// The `type` of a lab's problem.
fn problem_type(problem: &LabProblem) -> &'static str {
    match problem {
        LabProblem::DoesNotCompile { .. } | LabProblem::SourceDoesNotCompile { .. } => {
            "does-not-compile"
        }
        LabProblem::NoBinary { .. } | LabProblem::NotFound { .. } => "no-program",
        LabProblem::NotExecutable { .. }
        | LabProblem::CouldNotStart { .. }
        | LabProblem::Unreachable { .. }
        | LabProblem::CannotExecute { .. } => "cannot-start",
    }
}

fn case_status(lab: &LabReport, s: &ScenarioReport) -> TestCaseStatus {
    match (&lab.problem, &s.verdict) {
        // What cannot run here is skipped for every program alike (`check_lab`).
        (_, Verdict::Skipped(reason)) => {
            let mut st = TestCaseStatus::skipped();
            st.set_message(neutral(reason));
            st
        }
        (_, Verdict::Error(reason)) => failure(
            NonSuccessKind::Error,
            "checker-error",
            &format!("the checker could not run this scenario: {reason}"),
            reason,
        ),
        (Some(p), _) => {
            let text = words::lab_problem(lab.lab, p);
            failure(NonSuccessKind::Failure, problem_type(p), &text, &text)
        }
        (None, Verdict::Passed) => TestCaseStatus::success(),
        (None, Verdict::Failed) => failure(
            NonSuccessKind::Failure,
            "failed",
            &first_hint(s),
            &details(s),
        ),
    }
}

/// The XML document of `report`, its timestamp when the checks started.
pub fn document(report: &Report) -> Junit {
    let mut doc = Junit::new("shmlab");
    let total: Duration = report
        .labs
        .iter()
        .flat_map(|l| &l.scenarios)
        .map(|s| s.elapsed)
        .sum();
    let started = chrono::Utc::now() - chrono::Duration::from_std(total).unwrap_or_default();
    // The time on `<testsuites>`, the timestamp on each `<testsuite>`: where JUnit's schema
    // has them.
    doc.set_time(total);
    for lab in &report.labs {
        let mut suite = TestSuite::new(format!("lab {}: {}", lab.lab.number(), lab.lab));
        suite
            .set_timestamp(started)
            .set_time(lab.scenarios.iter().map(|s| s.elapsed).sum());
        for s in &lab.scenarios {
            let mut case = TestCase::new(format!("{}: {}", s.slug, s.title), case_status(lab, s));
            case.set_classname(format!("shmlab.{}", lab.lab))
                .set_time(s.elapsed);
            suite.add_test_case(case);
        }
        doc.add_test_suite(suite);
    }
    doc
}

fn failure(kind: NonSuccessKind, ty: &str, message: &str, text: &str) -> TestCaseStatus {
    let mut st = TestCaseStatus::non_success(kind);
    st.set_message(neutral(shown_text(message)));
    st.set_type(ty);
    st.set_description(shown_text(&neutral_lines(text)));
    st
}

/// The likely mistake of the first failed check that has one.
fn first_hint(s: &ScenarioReport) -> String {
    s.checks
        .iter()
        .filter(|c| !c.passed && c.skipped.is_none())
        .find_map(|c| c.hint.clone())
        .unwrap_or_else(|| "failed".into())
}

/// Every failed check, as the human report shows it.
fn details(s: &ScenarioReport) -> String {
    let mut out = String::new();
    for c in s.checks.iter().filter(|c| !c.passed && c.skipped.is_none()) {
        out.push_str(&format!(
            "✗ {}: expected {}, got {}\n",
            c.what, c.expected, c.actual
        ));
        if let Some(h) = &c.hint {
            out.push_str(&format!("  → {h}\n"));
        }
    }
    out
}

/// Writes `report` as JUnit XML.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    write_doc(&document(report), out)
}

/// A checker error (it could not check at all) as a document a CI reporter shows: one
/// `<error>` testcase that says why.
pub fn render_error(text: &str, out: &mut dyn Write) -> io::Result<()> {
    let mut doc = Junit::new("shmlab");
    let mut suite = TestSuite::new("shmlab");
    suite
        .set_timestamp(chrono::Utc::now())
        .set_time(Duration::ZERO);
    let mut case = TestCase::new(
        "shmlab could not check the labs",
        failure(NonSuccessKind::Error, "checker-error", text, text),
    );
    case.set_classname("shmlab").set_time(Duration::ZERO);
    suite.add_test_case(case);
    doc.add_test_suite(suite);
    write_doc(&doc, out)
}

fn write_doc(doc: &Junit, out: &mut dyn Write) -> io::Result<()> {
    let xml = doc
        .to_string()
        .map_err(|e| io::Error::other(e.to_string()))?;
    writeln!(out, "{}", strict(&xml))
}

/// The document as the strict schema has it: `<testsuites>` without the `skipped` count
/// (JUnit's own schema has none there; each `<testsuite>` keeps its own), and any character
/// XML forbids written as an escape (the text the checker quotes is already neutral; this
/// is the guarantee for anything else).
fn strict(xml: &str) -> String {
    let mut xml = xml.to_string();
    if let Some(start) = xml.find("<testsuites") {
        let end = xml[start..].find('>').map_or(xml.len(), |e| start + e);
        let tag = &xml[start..end];
        if let Some(at) = tag.find(" skipped=\"") {
            let close = tag[at + 10..]
                .find('"')
                .map_or(tag.len(), |c| at + 10 + c + 1);
            xml.replace_range(start + at..start + close, "");
        }
    }
    xml.chars()
        .map(|c| match c {
            '\t'
            | '\n'
            | '\r'
            | '\u{20}'..='\u{d7ff}'
            | '\u{e000}'..='\u{fffd}'
            | '\u{10000}'.. => c.to_string(),
            c => c.escape_unicode().to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Lab;
    use crate::report::{LabReport, RunsAs};
    use crate::run::isolation::{Isolation, IsolationChoice, IsolationReason};
    use crate::scenario::Purpose;

    fn scenario(slug: &'static str, verdict: Verdict) -> ScenarioReport {
        ScenarioReport {
            slug,
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

    fn report(scenarios: Vec<ScenarioReport>) -> Report {
        Report {
            source: "made up".into(),
            isolation: IsolationChoice {
                mode: Isolation::Keys,
                reason: IsolationReason::KeysRequested,
            },
            runs_as: RunsAs::OwnUid(1000),
            tracing: None,
            labs: vec![LabReport {
                lab: Lab::Stat,
                program: None,
                problem: None,
                scenarios,
                left_out: Vec::new(),
            }],
        }
    }

    #[test]
    fn text_a_program_controls_is_neutral_and_the_xml_stays_valid() {
        let said = "x\u{1}\u{fffe}\u{ffff}\x1b[2J\u{202e}\r\nPASS";
        let mut s = scenario("stat/a", Verdict::Failed);
        s.checks.push(crate::scenario::Check {
            what: "stdout".into(),
            field: "stdout",
            expected: "ok".into(),
            actual: said.into(),
            passed: false,
            skipped: None,
            hint: Some(format!("it printed {said}")),
            note: None,
            explain: None,
            certainty: crate::model::check::Certainty::Open,
            kind: crate::model::check::CheckKind::Expectation,
            at: Default::default(),
        });
        let xml = document(&report(vec![s])).to_string().unwrap();
        assert!(
            !xml.contains(['\u{1}', '\u{fffe}', '\u{ffff}', '\x1b', '\u{202e}', '\r']),
            "{xml}"
        );
        assert!(
            xml.contains(r#"message="it printed x\u{1}\u{fffe}\u{ffff}\u{1b}[2J\u{202e}\r\nPASS""#),
            "{xml}"
        );
        let back = quick_junit::Report::deserialize_from_str(&xml).unwrap();
        assert_eq!(back.test_suites[0].failures, 1);
    }

    #[test]
    fn skips_are_skipped_with_the_reason_and_errors_are_errors() {
        let report = report(vec![
            scenario("stat/a", Verdict::Passed),
            scenario("stat/b", Verdict::Skipped("needs root".into())),
            scenario("stat/c", Verdict::Error("no namespace".into())),
        ]);
        let xml = document(&report).to_string().unwrap();
        let back = quick_junit::Report::deserialize_from_str(&xml).unwrap();
        assert_eq!(back.tests, 3);
        assert_eq!(back.test_suites[0].skipped, 1);
        assert_eq!(back.test_suites[0].errors, 1);
        assert!(xml.contains("<skipped message=\"needs root\""), "{xml}");
    }

    #[test]
    fn a_lab_that_does_not_compile_fails_its_scenarios_but_a_skip_stays_a_skip() {
        let mut r = report(vec![
            scenario("stat/a", Verdict::Failed),
            scenario("stat/b", Verdict::Skipped("needs root".into())),
        ]);
        r.labs[0].problem = Some(LabProblem::SourceDoesNotCompile {
            file: "labs/c/stat.c".into(),
            why: None,
            errors: Some("stat.c:1: error: 'nope' undeclared".into()),
        });
        let xml = document(&r).to_string().unwrap();
        let back = quick_junit::Report::deserialize_from_str(&xml).unwrap();
        assert_eq!(back.test_suites[0].failures, 1, "{xml}");
        assert_eq!(back.test_suites[0].skipped, 1, "{xml}");
        assert!(xml.contains("type=\"does-not-compile\""), "{xml}");
        assert!(xml.contains("nope"), "{xml}");
    }

    #[test]
    fn the_root_tag_has_no_skipped_count_and_forbidden_characters_are_escaped() {
        let xml = strict("<testsuites name=\"x\" tests=\"1\" skipped=\"1\" failures=\"0\">a\u{fffe}</testsuites>");
        assert_eq!(
            xml,
            "<testsuites name=\"x\" tests=\"1\" failures=\"0\">a\\u{fffe}</testsuites>"
        );
    }
}
