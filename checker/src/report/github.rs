//! The report as GitHub Actions workflow commands (`--format github`): one `::error` per
//! failed scenario, on the lab's file, so failures show on the commit and the pull request;
//! a `::notice` per lab done; and the summary line. The escaping is GitHub's: `%`, CR and LF
//! in a message, and also `:` and `,` in a property.

use std::io::{self, Write};

use super::cap::{neutral, shown_text};
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
            .map(|f| format!("file={},", property(f)))
            .unwrap_or_default();
        if let Some(problem) = &lab.problem {
            let text = neutral(&shown_text(&words::lab_problem(lab.lab, problem)));
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
                message(&neutral(&shown_text(&hint)))
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
}
