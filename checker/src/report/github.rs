//! The report as GitHub Actions workflow commands (`--format github`): **one** line per lab,
//! so that a whole run stays within what GitHub shows (10 errors and 10 notices per step, 50
//! per job): an `::error` on the lab's source file, relative to the repository
//! (`file=labs/c/create.c`), carrying the first failed check's likely mistake and how many
//! scenarios failed; an `::error` for a lab that does not compile or has no program; an
//! `::error` for scenarios the checker could not run (`ERR`, never counted as the student's
//! failure); a `::notice` for a lab done (saying what was skipped, and why); then the summary
//! line. The escaping is GitHub's: `%`, CR and LF in a message, and also `:` and `,` in a
//! property.

use std::io::{self, Write};
use std::path::Path;

use super::cap::shown_text;
use super::neutral::neutral;
use super::{words, LabReport, Report};
use crate::model::lab::LabProblem;
use crate::scenario::Verdict;

fn message(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn property(text: &str) -> String {
    message(text).replace(':', "%3A").replace(',', "%2C")
}

/// The lab's source file as GitHub places an annotation: a path relative to the repository
/// (the current directory). A program outside it (`--dir /tmp/x`) has none.
fn source_file(lab: &LabReport) -> Option<String> {
    let shown = match &lab.problem {
        // It does not compile: the file of its first error is where to look.
        Some(
            LabProblem::DoesNotCompile { file, .. } | LabProblem::SourceDoesNotCompile { file, .. },
        ) => Some(file.clone()),
        _ => lab.program.clone(),
    }?;
    let path = Path::new(&shown);
    if path.is_relative() {
        return Some(shown);
    }
    let here = std::env::current_dir().ok()?;
    path.strip_prefix(&here)
        .ok()
        .map(|p| p.display().to_string())
}

/// The one annotation of a lab, if it has one: (command, title, message).
fn annotation(lab: &LabReport) -> Option<(&'static str, String, String)> {
    if let Some(problem) = &lab.problem {
        let text = shown_text(&words::lab_problem(lab.lab, problem)).to_string();
        return Some(("error", format!("lab {}", lab.lab), text));
    }
    let c = lab.counts();
    let failed: Vec<_> = lab
        .scenarios
        .iter()
        .filter(|s| s.verdict == Verdict::Failed)
        .collect();
    if let Some(first) = failed.first() {
        let check = first
            .checks
            .iter()
            .find(|c| !c.passed && c.skipped.is_none());
        let text = match check {
            Some(c) => match &c.hint {
                Some(h) => format!("{}: {h}", c.what),
                None => format!("{}: expected {}, got {}", c.what, c.expected, c.actual),
            },
            None => "failed".into(),
        };
        let more = match failed.len() {
            1 => String::new(),
            n => format!(
                " ({n} of the lab's {} scenarios failed)",
                lab.scenarios.len()
            ),
        };
        return Some((
            "error",
            format!("{}: {}", first.slug, first.title),
            format!("{}{more}", neutral(shown_text(&text))),
        ));
    }
    if let Some(s) = lab
        .scenarios
        .iter()
        .find(|s| matches!(s.verdict, Verdict::Error(_)))
    {
        let Verdict::Error(reason) = &s.verdict else {
            return None;
        };
        return Some((
            "error",
            format!("lab {}: checker error", lab.lab),
            format!(
                "ERR, not counted: the checker could not run {} of the lab's scenarios ({}: {})",
                c.errors,
                s.slug,
                neutral(shown_text(reason))
            ),
        ));
    }
    if lab.is_done() {
        let skipped = lab.scenarios.iter().find_map(|s| match &s.verdict {
            Verdict::Skipped(r) => Some(r),
            _ => None,
        });
        let text = match skipped {
            None => "done".to_string(),
            Some(r) => format!(
                "done; {} scenario(s) skipped, not counted: {}",
                c.skipped,
                neutral(shown_text(r))
            ),
        };
        return Some(("notice", format!("lab {}", lab.lab), text));
    }
    None
}

/// Writes `report` as workflow commands.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for lab in &report.labs {
        let Some((command, title, text)) = annotation(lab) else {
            continue;
        };
        let file = source_file(lab)
            .map(|f| format!("file={},", property(&neutral(&f))))
            .unwrap_or_default();
        writeln!(
            out,
            "::{command} {file}title={}::{}",
            property(&title),
            message(&text)
        )?;
    }
    writeln!(out, "{}", report.summary())
}

/// A checker error (it could not check at all) as the one workflow command a teacher sees.
pub fn render_error(text: &str, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "::error title={}::{}",
        property("shmlab could not check the labs"),
        message(&neutral(text))
    )
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
                        certainty: crate::model::check::Certainty::Open,
                        kind: crate::model::check::CheckKind::Expectation,
                        at: Default::default(),
                    }],
                    stop: None,
                    runs: Vec::new(),
                    snapshots: Vec::new(),
                    elapsed: std::time::Duration::ZERO,
                }],
                left_out: Vec::new(),
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

    fn lab(lab: crate::model::Lab, verdicts: Vec<Verdict>) -> LabReport {
        use crate::report::ScenarioReport;
        use crate::scenario::Purpose;
        LabReport {
            lab,
            program: Some(format!("labs/src/bin/{lab}.rs")),
            problem: None,
            scenarios: verdicts
                .into_iter()
                .map(|verdict| ScenarioReport {
                    slug: "create/a",
                    title: "made up",
                    purpose: Purpose::Behaviour,
                    verdict,
                    checks: Vec::new(),
                    stop: None,
                    runs: Vec::new(),
                    snapshots: Vec::new(),
                    elapsed: std::time::Duration::ZERO,
                })
                .collect(),
            left_out: Vec::new(),
        }
    }

    #[test]
    fn one_annotation_per_lab_whatever_failed_and_err_and_skips_are_said() {
        use crate::model::Lab;
        let failed = annotation(&lab(Lab::Create, vec![Verdict::Failed; 6])).unwrap();
        assert_eq!(failed.0, "error");
        assert!(
            failed.2.ends_with("(6 of the lab's 6 scenarios failed)"),
            "{failed:?}"
        );
        let err = annotation(&lab(
            Lab::Create,
            vec![Verdict::Passed, Verdict::Error("no namespace".into())],
        ))
        .unwrap();
        assert_eq!(err.0, "error");
        assert!(err.2.starts_with("ERR, not counted"), "{err:?}");
        let skipped = annotation(&lab(
            Lab::Create,
            vec![Verdict::Passed, Verdict::Skipped("needs root".into())],
        ))
        .unwrap();
        assert_eq!(skipped.0, "notice");
        assert!(
            skipped.2.contains("skipped, not counted: needs root"),
            "{skipped:?}"
        );
        let mut broken = lab(Lab::Create, vec![Verdict::Failed]);
        broken.program = None;
        broken.problem = Some(LabProblem::DoesNotCompile {
            file: "labs/src/bin/create.rs".into(),
            first_error: Some("error: expected `;`, found `}` (line 21)".into()),
            errors: None,
        });
        assert_eq!(
            source_file(&broken).as_deref(),
            Some("labs/src/bin/create.rs")
        );
    }
}
