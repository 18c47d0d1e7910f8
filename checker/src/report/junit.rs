//! The report as JUnit XML (`--format junit`), for the test reporters of CI systems (GitHub
//! Actions, GitLab, Jenkins): one testsuite per lab, one testcase per scenario, the likely
//! mistake as a failure's message and the failed checks as its text; a skipped scenario is
//! skipped with its reason, and one the checker could not run is an error.

use std::io::{self, Write};

use quick_junit::{NonSuccessKind, Report as Junit, TestCase, TestCaseStatus, TestSuite};

use super::cap::shown_text;
use super::neutral::{neutral, neutral_lines};
use super::{words, Report, ScenarioReport};
use crate::scenario::Verdict;

/// The XML document of `report`.
pub fn document(report: &Report) -> Junit {
    let mut doc = Junit::new("shmlab");
    for lab in &report.labs {
        let mut suite = TestSuite::new(format!("lab {}: {}", lab.lab.number(), lab.lab));
        let problem = lab.problem.as_ref().map(|p| words::lab_problem(lab.lab, p));
        for s in &lab.scenarios {
            let status = match (&problem, &s.verdict) {
                (Some(p), _) => failure(NonSuccessKind::Failure, p, p),
                (None, Verdict::Passed) => TestCaseStatus::success(),
                (None, Verdict::Failed) => {
                    failure(NonSuccessKind::Failure, &first_hint(s), &details(s))
                }
                (None, Verdict::Skipped(reason)) => {
                    let mut st = TestCaseStatus::skipped();
                    st.set_message(neutral(reason));
                    st
                }
                (None, Verdict::Error(reason)) => failure(
                    NonSuccessKind::Error,
                    &format!("the checker could not run this scenario: {reason}"),
                    reason,
                ),
            };
            let mut case = TestCase::new(format!("{}: {}", s.slug, s.title), status);
            case.set_classname(format!("shmlab.{}", lab.lab));
            suite.add_test_case(case);
        }
        doc.add_test_suite(suite);
    }
    doc
}

fn failure(kind: NonSuccessKind, message: &str, text: &str) -> TestCaseStatus {
    let mut st = TestCaseStatus::non_success(kind);
    st.set_message(neutral(shown_text(message)));
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
    let xml = document(report)
        .to_string()
        .map_err(|e| io::Error::other(e.to_string()))?;
    writeln!(out, "{xml}")
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
}
