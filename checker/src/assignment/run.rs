//! The runs of an assignment's scenarios: their arguments, answers and expectations.

use serde::{Deserialize, Serialize};

use super::Mode;
use crate::scenario::answer::Answer;

/// An answer, as a meaning: `"yes"`, `"no"`, `"change: yes"`, `"delete: no"`,
/// `"text: hello"`, `"choose: read"`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "full", derive(schemars::JsonSchema))]
#[serde(try_from = "String", into = "String")]
pub struct AnswerSpec(#[cfg_attr(feature = "full", schemars(with = "String"))] pub Answer);

impl TryFrom<String> for AnswerSpec {
    type Error = String;
    fn try_from(s: String) -> Result<AnswerSpec, String> {
        Answer::parse(&s).map(AnswerSpec)
    }
}

impl From<AnswerSpec> for String {
    fn from(a: AnswerSpec) -> String {
        a.0.meaning()
    }
}

/// A regular expression in Rust's `regex-lite` syntax: the `regex` crate's, with ASCII
/// `\w`, `\d` and `\b`; `(?i)` ignores the case of ASCII letters.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "full", derive(schemars::JsonSchema))]
#[serde(try_from = "String", into = "String")]
pub struct Pattern(pub String);

impl TryFrom<String> for Pattern {
    type Error = String;
    fn try_from(s: String) -> Result<Pattern, String> {
        regex_lite::Regex::new(&s)
            .map(|_| Pattern(s.clone()))
            .map_err(|e| {
                format!(
                    "`{s}` is not a regular expression: {}",
                    e.to_string().lines().last().unwrap_or_default()
                )
            })
    }
}

impl From<Pattern> for String {
    fn from(p: Pattern) -> String {
        p.0
    }
}

impl Pattern {
    pub fn is_match(&self, text: &str) -> bool {
        regex_lite::Regex::new(&self.0).is_ok_and(|r| r.is_match(text))
    }
}

/// One run of the program.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "full", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RunSpec {
    /// Its arguments; `{key}` stands for the segment's key (with `find = "argument"`).
    #[serde(default)]
    pub args: Vec<String>,
    /// The answers to its questions, in order, as meanings; end of input after the last.
    #[serde(default)]
    pub answers: Vec<AnswerSpec>,
    /// What must hold after it.
    #[serde(default)]
    pub expect: Expect,
    /// Expectations of this run that are told, never failed (`["output_contains"]`).
    #[serde(default)]
    pub loose: Vec<ExpectName>,
}

/// The name of an expectation, as in `expect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[cfg_attr(feature = "full", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ExpectName {
    Segment,
    Size,
    SizeAtLeast,
    Mode,
    Text,
    WithinSize,
    Nattch,
    SameSegment,
    OutputContains,
    OutputMatches,
    ShowsPreviousText,
    CreatedSays,
    ExitStatus,
}

/// Whether the segment is there after a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "full", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    Exists,
    Gone,
}

/// How the text at offset 0 is compared.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "full", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum TextMatch {
    /// Exactly the text, up to the first NUL.
    Exact,
    /// The text, with one trailing newline (or `\r\n`) allowed (told, as a note).
    #[default]
    Line,
    /// Starting with the text.
    Prefix,
}

/// What must hold after a run; everything is optional.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[cfg_attr(feature = "full", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The segment exists, or is gone (removed, or marked for removal).
    pub segment: Option<Presence>,
    /// Its size is exactly this.
    pub size: Option<usize>,
    /// Its size is at least this.
    pub size_at_least: Option<usize>,
    /// Its permission bits (octal).
    pub mode: Option<Mode>,
    /// The text at offset 0.
    pub text: Option<String>,
    /// How `text` is compared.
    #[serde(default)]
    pub text_match: TextMatch,
    /// Nothing written past its size (in the rest of its last page).
    pub within_size: Option<bool>,
    /// Attachments left after the run (0: the program detached, or exited).
    pub nattch: Option<u64>,
    /// The same segment (the same id) as after the run before.
    pub same_segment: Option<bool>,
    /// Lines of its output (stdout and stderr) must contain each of these.
    #[serde(default)]
    pub output_contains: Vec<String>,
    /// Its output must match each of these patterns.
    #[serde(default)]
    pub output_matches: Vec<Pattern>,
    /// Its output shows the text the segment held before it (the run before's).
    pub shows_previous_text: Option<bool>,
    /// This pattern is in its output if and only if the run created the segment
    /// (`"(?i)creat"`).
    pub created_says: Option<Pattern>,
    /// Its exit status.
    pub exit_status: Option<i32>,
}
