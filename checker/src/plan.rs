//! What to do, decided once from the command line: plain data, no clap.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use crate::model::Lab;
use crate::run::isolation::IsolationRequest;

/// A command of `shmlab`.
#[derive(Debug, Clone)]
pub enum Plan {
    /// `list`: each lab with the student's status.
    List(CheckPlan),
    /// `list --scenarios`: every scenario, by slug.
    ListScenarios(Selection),
    /// `check`.
    Check(CheckPlan),
    /// `trace -- PROGRAM ARGS...`.
    Trace(TracePlan),
    /// `grade SUBMISSIONS_DIR`.
    Grade(GradePlan),
    /// `inspect [ID]`: the segments of this IPC namespace.
    Inspect(InspectPlan),
    /// `dev check`: the kit's own authoring check.
    DevCheck(RunOptions),
    /// `dev starters [--write]`.
    DevStarters { write: bool },
    /// `dev diagram [--check]`: draw (or compare) the docs' lifecycle diagram.
    DevDiagram { check: bool },
    /// `watch`.
    Watch(WatchPlan),
    /// `gradescope`: the autograder zip.
    Gradescope(GradescopePlan),
    /// `autograde`: one Gradescope submission, as `run_autograder` runs it.
    Autograde(AutogradePlan),
    /// Text made from the command line's own definition (completions, the man page), to print.
    Print(Vec<u8>),
    /// Every manual page, written into this directory (`man --out DIR`).
    ManPages(PathBuf),
    /// `explain [TOPIC]`.
    Explain(Option<String>),
    /// `hint [--lang c|rust] LAB [--all]`: the track when `--lang` names one.
    Hint {
        lab: Lab,
        track: Option<Track>,
        all: bool,
    },
    /// `reset LAB`.
    Reset { lab: Lab, track: Track, yes: bool },
    /// `solution LAB`.
    Solution { lab: Lab, track: Track },
    /// `check --assignment FILE`.
    Assignment(AssignmentPlan),
    /// `grade DIR --assignment FILE`.
    AssignmentGrade(AssignmentGradePlan),
    /// `assignment schema`.
    AssignmentSchema,
    /// `assignment new`.
    AssignmentNew(SkeletonPlan),
}

/// Where an assignment's program comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssignmentSource {
    /// This executable.
    Program(PathBuf),
    /// A submission's folder, built as the assignment says.
    Dir(PathBuf),
}

/// `check --assignment FILE (--program P | --dir D)`.
#[derive(Debug, Clone)]
pub struct AssignmentPlan {
    pub file: PathBuf,
    pub source: AssignmentSource,
    pub format: Format,
    pub verbose: bool,
    pub run: RunOptions,
    pub output: Option<PathBuf>,
    /// Also the report for a person, into this file (what `grade --assignment` keeps).
    pub text: Option<PathBuf>,
    /// Also the report as Gradescope's results.json, into this file (what `autograde`
    /// reads).
    pub gradescope: Option<PathBuf>,
}

/// `assignment new`: a skeleton from a reference program's runs.
#[derive(Debug, Clone)]
pub struct SkeletonPlan {
    pub source: AssignmentSource,
    pub out: PathBuf,
    pub force: bool,
    pub run: RunOptions,
}

/// `grade DIR --assignment FILE`.
#[derive(Debug, Clone)]
pub struct AssignmentGradePlan {
    pub file: PathBuf,
    pub submissions: PathBuf,
    pub out: PathBuf,
    /// Submissions checked at once.
    pub jobs: usize,
    pub run: RunOptions,
}

/// The language of the kit's labs and solutions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Track {
    /// `labs/src/bin/*.rs` and `solutions/src/bin/*.rs`, built with cargo.
    #[default]
    Rust,
    /// `labs/c/*.c` and `solutions/c/*.c`, built with the system C compiler.
    C,
}

/// Where the programs come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The student's labs in this track, built first.
    Labs(Track),
    /// The reference solutions in this track, built first.
    Solutions(Track),
    /// One program, for one lab.
    Program(PathBuf),
    /// A directory of executables named after the labs.
    Dir(PathBuf),
}

/// Which scenarios of a lab to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scenarios {
    /// Every one.
    All,
    /// Only these slugs, in catalogue order.
    Only(Vec<&'static str>),
}

impl Scenarios {
    /// Whether the scenario `slug` is selected.
    pub fn includes(&self, slug: &str) -> bool {
        match self {
            Scenarios::All => true,
            Scenarios::Only(slugs) => slugs.contains(&slug),
        }
    }
}

/// The labs to check, in teaching order, each with its scenarios.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    pub labs: Vec<(Lab, Scenarios)>,
}

impl Selection {
    /// Every scenario of every lab.
    pub fn everything() -> Selection {
        Selection {
            labs: Lab::ALL.into_iter().map(|l| (l, Scenarios::All)).collect(),
        }
    }

    /// The labs selected.
    pub fn labs(&self) -> impl Iterator<Item = Lab> + '_ {
        self.labs.iter().map(|(l, _)| *l)
    }
}

/// What only the full build does (the `full` feature): `cargo shmlab`, the students'
/// alias, builds without it and hands these to a full build (`app::full`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FullOnly {
    /// `gradescope`: the autograder zip.
    Gradescope,
    /// `--format junit`.
    Junit,
    /// `man`: the manual pages.
    ManPages,
    /// `assignment schema`: the assignment files' JSON Schema.
    Schema,
}

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// For a person: one line per scenario, failures expanded.
    Human,
    /// Gradescope results.json.
    Json,
    /// JUnit XML, for CI test reporters.
    Junit,
    /// GitHub Actions workflow commands (annotations on the lab's file).
    Github,
    /// One self-contained HTML page, with pictures of the runs.
    Html,
}

/// Where a checker error is reported besides stderr: in the format asked for, in the
/// `--output` file when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorSink {
    pub format: Format,
    pub output: Option<PathBuf>,
}

/// How programs run: isolation, time, tracing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunOptions {
    pub isolation: IsolationRequest,
    /// Time allowed for each run of a program.
    pub timeout: Duration,
    /// Trace the programs' shm calls.
    pub trace: bool,
}

/// `check` (and `list`).
#[derive(Debug, Clone)]
pub struct CheckPlan {
    pub selection: Selection,
    pub source: Source,
    pub format: Format,
    pub verbose: bool,
    pub run: RunOptions,
    /// Where each scenario's result is written, as JSON lines, as soon as it finishes.
    pub partial: Option<PathBuf>,
    /// Where the report goes instead of stdout.
    pub output: Option<PathBuf>,
    /// Where the HTML page of the report goes as well (`--html`).
    pub html: Option<PathBuf>,
    /// The folder every program's runs happen in a copy of (`--workdir`), instead of the
    /// program's own.
    pub workdir: Option<PathBuf>,
    /// Colours in the human report.
    pub color: ColorWhen,
}

/// When the human report is coloured (`--color`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorWhen {
    /// On a terminal (not in an `--output` file), unless `NO_COLOR` is set; also elsewhere
    /// when `CLICOLOR_FORCE` or `FORCE_COLOR` is.
    #[default]
    Auto,
    Always,
    Never,
}

/// `trace`.
#[derive(Debug, Clone)]
pub struct TracePlan {
    /// The program and its arguments, as given (any bytes: they go to the program unchanged).
    pub command: Vec<OsString>,
    /// What the program reads: this file, or else the checker's own stdin.
    pub stdin: Option<PathBuf>,
    /// Every call on its own line, none folded or left out (`--full`).
    pub full: bool,
    /// Where the run's picture goes, as an HTML page with the trace (`--html`).
    pub html: Option<PathBuf>,
    pub run: RunOptions,
}

/// `inspect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InspectPlan {
    /// One segment, with its bytes; every segment when `None`.
    pub id: Option<i32>,
    /// JSON instead of text.
    pub json: bool,
}

/// `grade`.
#[derive(Debug, Clone)]
pub struct GradePlan {
    /// One subdirectory per student.
    pub submissions: PathBuf,
    /// Where reports, the CSV and builds go.
    pub out: PathBuf,
    /// Checkers at once.
    pub jobs: usize,
    /// The labs graded, in teaching order (all unless `--labs` says).
    pub labs: Vec<Lab>,
    /// How each student's programs run.
    pub run: RunOptions,
}

/// `shmlab watch`: what to check, again and again.
#[derive(Debug, Clone)]
pub struct WatchPlan {
    /// The student's labs (of a track), or a directory of executables.
    pub source: Source,
    pub run: RunOptions,
}

/// `shmlab gradescope`.
#[derive(Debug, Clone)]
pub struct GradescopePlan {
    /// The zip to write.
    pub out: PathBuf,
    /// What goes in the zip's settings file, for `shmlab autograde`.
    pub settings: Settings,
    /// The assignment file to grade with instead of the labs: copied into the zip (as
    /// [`Settings::assignment`] names it).
    pub assignment: Option<PathBuf>,
}

/// `shmlab autograde`: one Gradescope submission.
#[derive(Debug, Clone)]
pub struct AutogradePlan {
    /// Where Gradescope lays out the autograder (`/autograder`).
    pub root: PathBuf,
}

/// When students see the results on Gradescope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    Hidden,
    #[default]
    AfterDueDate,
    AfterPublished,
    Visible,
}

/// Gradescope's default limit for a submission is 10 minutes: the checker stops grading
/// before, to have the time to write what it graded.
pub const DEFAULT_LIMIT_SECS: u64 = 540;

/// What the instructor chose when the Gradescope zip was made (its settings file).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Settings {
    /// The labs that count, by name (every lab when empty).
    #[serde(default)]
    pub labs: Vec<String>,
    #[serde(default)]
    pub visibility: Visibility,
    /// Seconds the whole grading may take.
    #[serde(default = "default_limit")]
    pub limit_secs: u64,
    /// Keep every test's runs, checks and snapshots in `extra_data` (the file may then pass
    /// Gradescope's 1 MB).
    #[serde(default)]
    pub full: bool,
    /// The assignment file the submissions are graded with instead of the labs: its name
    /// in the autograder's source directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignment: Option<String>,
}

fn default_limit() -> u64 {
    DEFAULT_LIMIT_SECS
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            labs: Vec::new(),
            visibility: Visibility::default(),
            limit_secs: DEFAULT_LIMIT_SECS,
            full: false,
            assignment: None,
        }
    }
}
