//! Gradescope's `results.json`, as typed data: what `run_autograder` (`shmlab autograde`)
//! reads from a student's report, keeps of it (the labs the instructor chose, a trimmed
//! `extra_data`) and writes for Gradescope. The fields are those of Gradescope's
//! specification ("Autograder Specifications", *Output format*); anything else the checker
//! put in a test is kept in `extra_data`, which Gradescope stores and does not show.

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use crate::plan::Visibility;

/// Gradescope's limit on a results.json is 1 MB; the checker stays under it by default.
pub const MAX_BYTES: usize = 1_000_000;

/// A test's status, the only two Gradescope knows. Without one, Gradescope decides from the
/// score, and shows a 0/0 test as passed: every test the checker writes has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Passed,
    Failed,
}

/// One test: a scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Test {
    pub name: String,
    pub score: u64,
    pub max_score: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    #[serde(default)]
    pub output: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// This test's own visibility (an assignment file's per scenario); `None`: the
    /// results' own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Visibility>,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub extra_data: Value,
}

impl Test {
    /// The lab the test belongs to (its first tag, else the start of its name).
    pub fn lab(&self) -> &str {
        match self.tags.first() {
            Some(t) => t,
            None => self.name.split('/').next().unwrap_or_default(),
        }
    }
}

/// The whole file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Results {
    pub score: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_score: Option<u64>,
    #[serde(default)]
    pub output: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Visibility>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_time: Option<u64>,
    #[serde(default)]
    pub tests: Vec<Test>,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub extra_data: Value,
}

impl Results {
    /// No test and no score: `output` says why (nothing handed in, the checker stopped).
    pub fn nothing(output: impl Into<String>, visibility: Visibility) -> Results {
        Results {
            score: 0,
            max_score: Some(0),
            output: output.into(),
            visibility: Some(visibility),
            execution_time: None,
            tests: Vec::new(),
            extra_data: Value::Null,
        }
    }

    /// Only the tests of `labs` count (every test when `labs` is empty); the score and
    /// the maximum are summed again from the tests kept.
    pub fn keep_labs(&mut self, labs: &[String]) {
        if !labs.is_empty() {
            self.tests.retain(|t| labs.iter().any(|l| l == t.lab()));
        }
        self.score = self.tests.iter().map(|t| t.score).sum();
        self.max_score = Some(self.tests.iter().map(|t| t.max_score).sum());
    }

    /// Keeps of each test's `extra_data` only what says what happened (`outcome`, `lab`),
    /// not the runs, checks and snapshots, which `--full` keeps; then, if the file is still
    /// over [`MAX_BYTES`], cuts the longest outputs until it fits.
    pub fn trim(&mut self) {
        for t in &mut self.tests {
            if let Value::Object(map) = &mut t.extra_data {
                map.retain(|k, _| k == "outcome" || k == "lab");
            }
        }
        while self.size() > MAX_BYTES {
            let Some(longest) = self.tests.iter_mut().max_by_key(|t| t.output.len()) else {
                break;
            };
            if longest.output.len() < 256 {
                break;
            }
            let keep = longest.output.len() / 2;
            let (kept, _) = super::cap::cut(&longest.output, keep);
            longest.output =
                format!("{kept}\n[... the rest was cut: results.json is kept under 1 MB]");
        }
    }

    /// The file's size, as written.
    pub fn size(&self) -> usize {
        serde_json::to_vec_pretty(self).map_or(0, |v| v.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test(name: &str, lab: &str, score: u64, max: u64) -> Test {
        Test {
            name: name.into(),
            score,
            max_score: max,
            status: Some(if score == max && max > 0 {
                Status::Passed
            } else {
                Status::Failed
            }),
            output: String::new(),
            tags: vec![lab.into()],
            visibility: None,
            extra_data: serde_json::json!({"outcome": "passed", "lab": lab, "runs": [1, 2, 3]}),
        }
    }

    #[test]
    fn keeping_labs_sums_the_score_again_from_the_tests_kept() {
        let mut r = Results::nothing("", Visibility::Visible);
        r.tests = vec![
            test("create/a", "create", 1, 1),
            test("access/b", "access", 0, 1),
            test("memo/c", "memo", 1, 1),
        ];
        r.keep_labs(&["create".into(), "access".into()]);
        assert_eq!((r.score, r.max_score), (1, Some(2)));
        assert_eq!(r.tests.len(), 2);
    }

    #[test]
    fn trimming_drops_runs_and_keeps_the_file_under_a_megabyte() {
        let mut r = Results::nothing("", Visibility::Visible);
        let mut t = test("create/a", "create", 0, 1);
        t.output = "x".repeat(3 * MAX_BYTES);
        r.tests = vec![t, test("create/b", "create", 1, 1)];
        r.trim();
        assert!(r.size() <= MAX_BYTES, "{}", r.size());
        assert_eq!(
            r.tests[1].extra_data,
            serde_json::json!({"outcome": "passed", "lab": "create"})
        );
        assert!(r.tests[0].output.ends_with("kept under 1 MB]"));
    }

    #[test]
    fn a_test_without_status_reads_and_one_with_status_writes_it() {
        let t: Test =
            serde_json::from_str(r#"{"name":"x","score":0,"max_score":0,"output":"o"}"#).unwrap();
        assert_eq!(t.status, None);
        let s = serde_json::to_string(&test("create/a", "create", 1, 1)).unwrap();
        assert!(s.contains(r#""status":"passed""#), "{s}");
    }
}
