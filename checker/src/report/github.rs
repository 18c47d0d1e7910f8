//! The report as GitHub Actions workflow commands (`--format github`): one `::error` per
//! failed scenario, on the lab's file, so failures show on the commit and the pull request;
//! a `::notice` per lab done; and the summary line. The escaping is GitHub's: `%`, CR and LF
//! in a message, and also `:` and `,` in a property.

use std::io::{self, Write};

use super::cap::shown_text;
use super::neutral::neutral;
use super::{words, Report};
use crate::scenario::Verdict;

fn message(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn property(text: &str) -> String {
    message(text).replace(':', "%3A").replace(',', "%2C")
}

/// Writes `report` as workflow commands.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for lab in &report.labs {
        let file = lab
            .program
            .as_deref()
            .map(|f| format!("file={},", property(&neutral(f))))
            .unwrap_or_default();
        if let Some(problem) = &lab.problem {
            let text = shown_text(&words::lab_problem(lab.lab, problem));
            writeln!(
                out,
                "::error {file}title={}::{}",
                property(&format!("lab {}", lab.lab)),
                message(&text)
            )?;
            continue;
        }
        for s in &lab.scenarios {
            if s.verdict != Verdict::Failed {
                continue;
            }
            let hint = s
                .checks
                .iter()
                .filter(|c| !c.passed && c.skipped.is_none())
                .find_map(|c| {
                    c.hint.clone().or_else(|| {
                        Some(format!(
                            "{}: expected {}, got {}",
                            c.what, c.expected, c.actual
                        ))
                    })
                })
                .unwrap_or_else(|| "failed".into());
            writeln!(
                out,
                "::error {file}title={}::{}",
                property(&format!("{}: {}", s.slug, s.title)),
                message(&neutral(shown_text(&hint)))
            )?;
        }
        if lab.is_done() {
            writeln!(
                out,
                "::notice {file}title={}::done",
                property(&format!("lab {}", lab.lab))
            )?;
        }
    }
    writeln!(out, "{}", report.summary())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_and_properties_are_escaped_as_github_reads_them() {
        assert_eq!(message("50% done\nnext"), "50%25 done%0Anext");
        assert_eq!(property("create/a: b, c"), "create/a%3A b%2C c");
    }

    #[test]
    fn a_program_cannot_start_a_workflow_command_of_its_own() {
        use crate::model::Lab;
        use crate::report::{LabReport, RunsAs, ScenarioReport};
        use crate::run::isolation::{Isolation, IsolationChoice, IsolationReason};
        use crate::scenario::{Check, Purpose};
        let forged = "\n::warning::forged\r\n::add-mask::x\u{1b}[2J\u{202e}";
        let report = Report {
            source: "made up".into(),
            isolation: IsolationChoice {
                mode: Isolation::Keys,
                reason: IsolationReason::KeysRequested,
            },
            runs_as: RunsAs::OwnUid(1000),
            tracing: None,
            labs: vec![LabReport {
                lab: Lab::Create,
                program: Some(format!("./create{forged}")),
                problem: None,
                scenarios: vec![ScenarioReport {
                    slug: "create/a",
                    title: "made up",
                    purpose: Purpose::Behaviour,
                    verdict: Verdict::Failed,
                    checks: vec![Check {
                        what: "stdout".into(),
                        field: "stdout",
                        expected: "\"0\\n\"".into(),
                        actual: forged.into(),
                        passed: false,
                        skipped: None,
                        hint: None,
                        note: None,
                        explain: None,
                        at: Default::default(),
                    }],
                    stop: None,
                    runs: Vec::new(),
                    snapshots: Vec::new(),
                }],
            }],
        };
        let mut out = Vec::new();
        render(&report, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(
            lines[0].starts_with("::error file=./create\\n%3A%3Awarning%3A%3Aforged\\r"),
            "{text}"
        );
        assert!(
            lines[0].ends_with("got \\n::warning::forged\\r\\n::add-mask::x\\u{1b}[2J\\u{202e}"),
            "{text}"
        );
        assert!(!text.contains(['\r', '\x1b', '\u{202e}']), "{text}");
    }
}
