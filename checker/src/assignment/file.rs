//! The types of an assignment file, as serde reads them and schemars describes them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::RunSpec;

/// An assignment: the program students hand in, the scenarios it is run through, and what
/// each is worth.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "full", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Assignment {
    /// A short name, used in reports and the grades' CSV (`shmegegge`).
    pub name: String,
    /// What the program does, in a line.
    #[serde(default)]
    pub title: String,
    /// What to build and run.
    #[serde(default)]
    pub program: ProgramSpec,
    /// How the checker finds the segment the program works on.
    #[serde(default)]
    pub segment: SegmentFinding,
    /// Words the programs may use for a meaning, added to the checker's own
    /// (`yes = ["ja"]`, `change = ["alter"]`).
    #[serde(default)]
    pub vocabulary: BTreeMap<String, Vec<String>>,
    /// The kit's generic checks: how each counts (see [`GenericChecks`] for the defaults).
    #[serde(default)]
    pub checks: GenericChecks,
    /// The scenarios, in the order they run and are reported.
    #[serde(rename = "scenario")]
    pub scenarios: Vec<ScenarioSpec>,
}

/// What to build and run, from the submission's own folder (the runs' working folder is a
/// fresh copy of it).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "full", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ProgramSpec {
    /// How to build: `auto` (its Makefile if it has one, else `cc` on `sources`), `make`,
    /// `cc`, or `none` (run what is there).
    #[serde(default)]
    pub build: Build,
    /// The C sources `cc` compiles (globs, in the submission's folder).
    #[serde(default = "default_sources")]
    pub sources: Vec<String>,
    /// The program to run, by name or glob (`shm`, `*.py`); the first executable file that
    /// matches. Empty: the one executable the build made, or the only one there is.
    #[serde(default)]
    pub name: String,
    /// Files the program expects in its folder: a name (`"keyfile"`, the file given to
    /// `ftok`, say), made empty in the runs' folder when the submission lacks it, or
    /// `{ name = "...", text = "..." }`, made with that text. Either way the report notes it.
    #[serde(default)]
    pub files: Vec<ExtraFile>,
}

/// A file the program expects in its folder.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "full", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum ExtraFile {
    /// Its name (a path in the submission's folder): made empty when missing.
    Name(String),
    /// Its name and what it holds, made so when missing.
    Given {
        name: String,
        #[serde(default)]
        text: String,
    },
}

impl ExtraFile {
    /// Its path in the submission's folder.
    pub fn name(&self) -> &str {
        match self {
            ExtraFile::Name(n) | ExtraFile::Given { name: n, .. } => n,
        }
    }

    /// What it holds when the checker makes it.
    pub fn text(&self) -> &str {
        match self {
            ExtraFile::Name(_) => "",
            ExtraFile::Given { text, .. } => text,
        }
    }

    /// Whether the file gives what it holds.
    pub fn is_given(&self) -> bool {
        matches!(self, ExtraFile::Given { .. })
    }

    /// Whether its name stays inside the submission's folder: relative, no `..`.
    pub(super) fn is_inside(&self) -> bool {
        let p = std::path::Path::new(self.name());
        !self.name().is_empty()
            && p.components().all(|c| {
                matches!(
                    c,
                    std::path::Component::Normal(_) | std::path::Component::CurDir
                )
            })
            && p.components()
                .any(|c| matches!(c, std::path::Component::Normal(_)))
    }
}

fn default_sources() -> Vec<String> {
    vec!["*.c".into()]
}

impl Default for ProgramSpec {
    fn default() -> Self {
        ProgramSpec {
            build: Build::Auto,
            sources: default_sources(),
            name: String::new(),
            files: Vec::new(),
        }
    }
}

/// How a submission is built.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "full", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Build {
    /// Its Makefile if it has one, else `cc` on the sources.
    #[default]
    Auto,
    /// `make`.
    Make,
    /// `cc -o PROGRAM SOURCES`.
    Cc,
    /// Nothing: run what is there.
    None,
}

/// How the checker finds the segment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "full", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct SegmentFinding {
    /// `created`: whatever segment the program creates or uses, found in the scenario's
    /// namespace and followed across runs by its key (students pick their own key).
    /// `key`: the segment at `key`. `argument`: the key the checker passes as `{key}` in a
    /// run's arguments.
    #[serde(default)]
    pub find: Find,
    /// With `find = "key"`: the key (`0x1234`, or decimal).
    #[serde(default)]
    pub key: Option<String>,
}

/// Where the segment is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "full", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Find {
    /// The one the program created or used, whatever its key.
    #[default]
    Created,
    /// At a fixed key.
    Key,
    /// At the key passed on the command line as `{key}`.
    Argument,
}

/// How a generic check counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "full", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Weight {
    /// Seen in any run, it fails the assignment (and costs its points).
    Fail,
    /// Seen, it is told, never failed.
    Note,
    /// Not looked for.
    Off,
}

/// A generic check's setting: `"fail"`, `"note"`, `"off"`, or `{ as = "fail", points = 2 }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "full", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum CheckSetting {
    /// Just how it counts.
    Plain(Weight),
    /// How it counts, and what not seeing it is worth.
    Weighted {
        #[serde(rename = "as")]
        weight: Weight,
        #[serde(default)]
        points: u32,
    },
}

impl CheckSetting {
    pub fn weight(&self) -> Weight {
        match self {
            CheckSetting::Plain(w) | CheckSetting::Weighted { weight: w, .. } => *w,
        }
    }
    pub fn points(&self) -> u32 {
        match self {
            CheckSetting::Plain(_) => 0,
            CheckSetting::Weighted { points, .. } => *points,
        }
    }
}

fn fail() -> CheckSetting {
    CheckSetting::Plain(Weight::Fail)
}
fn note() -> CheckSetting {
    CheckSetting::Plain(Weight::Note)
}

/// The kit's generic checks, which apply to every assignment.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "full", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct GenericChecks {
    /// A run leaves a new segment behind each time (`IPC_PRIVATE`, or a new key per run).
    #[serde(default = "fail")]
    pub leak_per_run: CheckSetting,
    /// The key is 0xffffffff: `ftok` failed (its file is missing) and returned -1.
    #[serde(default = "note")]
    pub ftok_failed: CheckSetting,
    /// The program attaches and exits without `shmdt` (seen in the trace).
    #[serde(default = "note")]
    pub missing_shmdt: CheckSetting,
    /// The program attaches again and again in one run.
    #[serde(default = "fail")]
    pub attach_loop: CheckSetting,
    /// Bytes written past the segment's size.
    #[serde(default = "fail")]
    pub write_past_size: CheckSetting,
    /// The program is killed by a signal (a crash).
    #[serde(default = "fail")]
    pub crash: CheckSetting,
    /// The program runs until the timeout once its input has ended.
    #[serde(default = "fail")]
    pub loop_at_end_of_input: CheckSetting,
    /// `IPC_RMID` while the program itself is still attached (allowed on Linux).
    #[serde(default = "note")]
    pub remove_while_attached: CheckSetting,
}

impl Default for GenericChecks {
    fn default() -> Self {
        GenericChecks {
            leak_per_run: fail(),
            ftok_failed: note(),
            missing_shmdt: note(),
            attach_loop: fail(),
            write_past_size: fail(),
            crash: fail(),
            loop_at_end_of_input: fail(),
            remove_while_attached: note(),
        }
    }
}

/// Who sees a scenario's result (Gradescope's visibility).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "full", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    #[default]
    Visible,
    Hidden,
    AfterDueDate,
    AfterPublished,
}

/// A scenario: runs of the program in one private IPC namespace, one after the other.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "full", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ScenarioSpec {
    /// Short and stable: `keeps-text`.
    pub name: String,
    /// What it shows, in a few words.
    #[serde(default)]
    pub title: String,
    /// What passing it is worth.
    #[serde(default = "one")]
    pub points: u32,
    #[serde(default)]
    pub visibility: Visibility,
    /// Segments the checker creates first: at the key it passes as `{key}` with
    /// `find = "argument"`, at the assignment's key with `find = "key"`. Not with
    /// `find = "created"`: the key a submission will use is its own, unknown beforehand.
    #[serde(default)]
    pub setup: Vec<SetupSegment>,
    /// The runs, in order.
    #[serde(rename = "run")]
    pub runs: Vec<RunSpec>,
}

fn one() -> u32 {
    1
}

/// A segment made before the first run.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "full", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SetupSegment {
    pub size: usize,
    /// Permission bits, in octal: `"0666"`.
    #[serde(default = "default_mode")]
    pub mode: Mode,
    /// Text at offset 0 (a NUL follows it).
    #[serde(default)]
    pub text: String,
}

fn default_mode() -> Mode {
    Mode(0o666)
}

/// Permission bits, written in octal as a string (`"0644"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "full", derive(schemars::JsonSchema))]
#[serde(try_from = "String", into = "String")]
pub struct Mode(pub u32);

impl TryFrom<String> for Mode {
    type Error = String;
    fn try_from(s: String) -> Result<Mode, String> {
        u32::from_str_radix(s.trim_start_matches("0o"), 8)
            .ok()
            .filter(|m| *m <= 0o777)
            .map(Mode)
            .ok_or_else(|| {
                format!("`{s}` is not a mode: write permission bits in octal, such as \"0666\"")
            })
    }
}

impl From<Mode> for String {
    fn from(m: Mode) -> String {
        format!("{:04o}", m.0)
    }
}
