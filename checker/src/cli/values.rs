//! The values of the command line's options, as clap reads them, and what each becomes in
//! the plan.

use clap::ValueEnum;

use crate::plan::{ColorWhen, Track, Visibility};

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ColorArg {
    Auto,
    Always,
    Never,
}

impl From<ColorArg> for ColorWhen {
    fn from(c: ColorArg) -> ColorWhen {
        match c {
            ColorArg::Auto => ColorWhen::Auto,
            ColorArg::Always => ColorWhen::Always,
            ColorArg::Never => ColorWhen::Never,
        }
    }
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum IsolationArg {
    Auto,
    Namespace,
    Keys,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum VisibilityArg {
    Hidden,
    AfterDueDate,
    AfterPublished,
    Visible,
}

impl From<VisibilityArg> for Visibility {
    fn from(v: VisibilityArg) -> Visibility {
        match v {
            VisibilityArg::Hidden => Visibility::Hidden,
            VisibilityArg::AfterDueDate => Visibility::AfterDueDate,
            VisibilityArg::AfterPublished => Visibility::AfterPublished,
            VisibilityArg::Visible => Visibility::Visible,
        }
    }
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LangArg {
    /// The Rust labs: labs/src/bin/*.rs, built with cargo.
    Rust,
    /// The C labs: labs/c/*.c with labs/c/lab.c, built with $CC or cc.
    C,
}

impl From<LangArg> for Track {
    fn from(l: LangArg) -> Track {
        match l {
            LangArg::Rust => Track::Rust,
            LangArg::C => Track::C,
        }
    }
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FormatArg {
    /// For a person: one line per scenario, failures expanded.
    Human,
    /// Gradescope results.json.
    Json,
    /// JUnit XML (one testsuite per lab), for CI test reporters.
    Junit,
    /// GitHub Actions annotations: an ::error on the lab's file per failed scenario.
    Github,
    /// One self-contained HTML page (give --output FILE): the summary, then each lab, every
    /// failed scenario open with a picture of its runs.
    Html,
}

pub(super) fn parse_timeout(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 3600.0 => Ok(v),
        Ok(v) if v <= 0.0 => Err(format!(
            "'{s}' is too short: a timeout is more than 0 seconds (at most 3600), e.g. 5 or 0.5"
        )),
        Ok(_) => Err(format!(
            "'{s}' is too long: a timeout is at most 3600 seconds (and more than 0), e.g. 5 or 0.5"
        )),
        Err(_) => Err(format!(
            "'{s}' is not a number of seconds: give more than 0 and at most 3600, e.g. 5 or 0.5"
        )),
    }
}
