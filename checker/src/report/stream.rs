//! What `check` says as it goes, so that a checker killed outright (`SIGKILL`: a CI
//! timeout, the out-of-memory killer) still leaves the result of every scenario that
//! finished:
//!
//! - with `--format human`, one line per scenario on stderr as it finishes, flushed (on a
//!   terminal each line replaces the one before, and the last is cleared when the report is
//!   written);
//! - with `--partial FILE`, any format, one JSON object per line, written as each scenario
//!   finishes: first `{"started": ...}`, then one `{"lab": ..., "test": ...}` per scenario
//!   (`test` is the scenario's Gradescope test, as in the report), and last
//!   `{"finished": true, ...}` once the report is written. A file without its `finished`
//!   line is the part of a report whose checker died.

use std::fs::File;
use std::io::{self, Write};

use serde_json::json;

use super::json::test_value;
use super::{Report, ScenarioReport};
use crate::model::Lab;
use crate::scenario::Verdict;

/// A scenario's tag in a progress line. A scenario that cannot run here is skipped, and one
/// the checker could not run an error, whatever the lab's problem (as in every format).
fn tag(verdict: &Verdict, lab_has_problem: bool) -> &'static str {
    match verdict {
        Verdict::Skipped(_) => "SKIP",
        Verdict::Error(_) => "ERR ",
        _ if lab_has_problem => "FAIL",
        Verdict::Failed => "FAIL",
        Verdict::Passed => "PASS",
    }
}

/// How progress lines are written on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// None at all.
    Off,
    /// One line each, kept (a log, a pipe).
    Lines,
    /// Each replaces the one before (a terminal).
    Overwrite,
}

/// The scenarios' results as they come.
pub struct Stream {
    progress: Progress,
    partial: Option<File>,
    total: usize,
    done: usize,
}

impl Stream {
    /// A stream for `total` scenarios.
    pub fn new(total: usize, progress: Progress, partial: Option<File>) -> Stream {
        let mut stream = Stream {
            progress,
            partial,
            total,
            done: 0,
        };
        stream.partial_line(&json!({ "started": true, "scenarios": total }));
        stream
    }

    /// One line of the partial file, written at once (one `write`), so that a line is
    /// either there whole or not at all. A failed write is not worth stopping the check.
    fn partial_line(&mut self, value: &serde_json::Value) {
        if let Some(file) = self.partial.as_mut() {
            let mut line = value.to_string();
            line.push('\n');
            let _ = file.write_all(line.as_bytes());
        }
    }

    /// Scenario `s` of `lab` finished (`problem`: why the lab could not be checked at all).
    pub fn scenario(&mut self, lab: Lab, problem: Option<&str>, s: &ScenarioReport) {
        self.done += 1;
        self.partial_line(&json!({ "lab": lab, "test": test_value(lab, problem, s) }));
        if self.progress == Progress::Off {
            return;
        }
        let tag = tag(&s.verdict, problem.is_some());
        let line = format!(
            "shmlab: [{}/{}] {tag}  {}  {}",
            self.done, self.total, s.slug, s.title
        );
        let mut err = io::stderr().lock();
        let _ = match self.progress {
            Progress::Overwrite => write!(err, "\r\x1b[K{line}"),
            _ => writeln!(err, "{line}"),
        };
        let _ = err.flush();
    }

    /// The report is complete (and about to be written).
    pub fn finish(&mut self, report: &Report) {
        if self.progress == Progress::Overwrite {
            let mut err = io::stderr().lock();
            let _ = write!(err, "\r\x1b[K");
            let _ = err.flush();
        }
        let c = report.counts();
        let (score, max) = (c.passed, c.passed + c.failed);
        self.partial_line(&json!({
            "finished": true,
            "scenarios": self.done,
            "score": score,
            "max_score": max,
            "output": report.summary(),
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_skip_and_an_err_are_said_as_such_in_a_lab_that_could_not_be_built() {
        assert_eq!(tag(&Verdict::Skipped("needs root".into()), true), "SKIP");
        assert_eq!(tag(&Verdict::Error("no namespace".into()), true), "ERR ");
        assert_eq!(tag(&Verdict::Failed, true), "FAIL");
        assert_eq!(tag(&Verdict::Passed, false), "PASS");
    }
}
