//! The checker's own errors (never a student's failure, which is a verdict), and the one
//! place that maps them to the documented exit statuses.

use std::path::PathBuf;

use crate::model::Lab;
use crate::plan::FullOnly;

/// Exit statuses of `shmlab`, documented in `docs/checker/instructor.md`.
pub mod exit_codes {
    /// No selected scenario failed (skipped ones are counted apart).
    pub const OK: u8 = 0;
    /// At least one scenario failed, or a lab does not compile or is missing.
    pub const FAILED: u8 = 1;
    /// The command line was wrong: unknown lab, missing program, bad option.
    pub const USAGE: u8 = 2;
    /// The environment cannot run the checks (or the checker was interrupted).
    pub const ENVIRONMENT: u8 = 3;
}

/// A command line that cannot be carried out, in one sentence that says what to do.
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    /// An assignment file that cannot be used, with the line and column.
    #[error(transparent)]
    Assignment(#[from] crate::assignment::AssignmentError),
    #[error("--assignment needs the program: --program PATH, or --dir SUBMISSION_FOLDER")]
    AssignmentNeedsProgram,
    #[error(
        "--assignment reports in the human or the json format (--format human, --format json)"
    )]
    AssignmentFormat,
    #[error("--dir {}: no such directory: give the submission's folder (its sources, Makefile or program)", .0.display())]
    NoSubmissionFolder(PathBuf),
    #[error("the reference program could not be run: {0}")]
    SkeletonProgram(String),
    #[error("unknown lab '{name}': did you mean '{nearest}'? (`shmlab list` shows the labs)")]
    UnknownLab { name: String, nearest: Lab },
    #[error("unknown scenario '{slug}': did you mean '{nearest}'? (`shmlab list --scenarios` shows them)")]
    UnknownScenario { slug: String, nearest: &'static str },
    #[error("--program checks one lab: name it, as in `shmlab check create --program ./a.out`")]
    ProgramNeedsOneLab,
    #[error("{shown}: no such file: give the path of the compiled program (e.g. ./a.out after `cc lab.c`)")]
    NoSuchFile { shown: String },
    #[error("{shown}: not a file: give the path of the program itself")]
    NotAFile { shown: String },
    #[error("{shown}: not executable: run `chmod +x {path}` (a script also needs a #! line)", path = .path.display())]
    NotExecutable { shown: String, path: PathBuf },
    #[error("{0}: no such program: give a path, or a name on PATH")]
    NoSuchCommand(String),
    #[error("--dir {}: no such directory: give the directory that holds the lab programs", .0.display())]
    NoSuchDir(PathBuf),
    #[error("--workdir {}: no such directory: give the folder whose copy the programs run in (the submission's)", .0.display())]
    NoWorkdir(PathBuf),
    #[error("{}: no such directory: give the directory with one subdirectory per student", .0.display())]
    NoSubmissions(PathBuf),
    #[error("--stdin {}: cannot be read ({reason}): give a file for the program to read", .path.display())]
    NoStdinFile { path: PathBuf, reason: String },
    #[error("--partial {}: cannot be written ({reason}): give a file in a directory you can write to", .path.display())]
    PartialFile { path: PathBuf, reason: String },
    #[error("nothing to explain about '{topic}': did you mean '{nearest}'? (`shmlab explain` lists the topics)")]
    UnknownTopic {
        topic: String,
        nearest: &'static str,
    },
    #[error("the {lab} solution is shown once your {lab} lab passes: `cargo shmlab check {lab}{}` first", if *.track == "c" { " --lang c" } else { "" })]
    SolutionLocked { lab: Lab, track: &'static str },
    #[error("{shown}: {reason}")]
    CannotReset { shown: String, reason: String },
    #[error("--output {}: cannot be written ({reason}): give a file in a directory you can write to", .path.display())]
    OutputFile { path: PathBuf, reason: String },
    #[error("--html {}: cannot be written ({reason}): give a file in a directory you can write to", .path.display())]
    HtmlFile { path: PathBuf, reason: String },
    #[error("no segment has id {0} in this IPC namespace: `shmlab inspect` lists them")]
    NoSegment(i32),
    #[error("{}: the bundle is made of the files git tracks, and git ls-files failed ({reason}): run this in a git checkout of the kit", .path.display())]
    NotGitCheckout { path: PathBuf, reason: String },
    #[error("no manual page for '{name}': the pages are shmlab's and its commands' ({pages})")]
    NoManPage { name: String, pages: String },
    #[error("--out {}: cannot be written ({reason}): give a file in a directory you can write to", .path.display())]
    OutFile { path: PathBuf, reason: String },
    #[error("--jobs must be at least 1")]
    NoJobs,
    #[error("cannot find the shmlab workspace (a directory with labs/Cargo.toml): run this inside the repository, or use --program or --dir")]
    NoWorkspace,
    #[error("'{shown}' is not {} (it is not UTF-8 text): {}", .what.named(), .what.listed())]
    NotText { shown: String, what: Word },
    #[error("{}: this shmlab was built without them (the `full` feature, which `cargo shmlab` leaves out): run it as `cargo run -p shmlab-checker -- ...`, or build it with `cargo build -p shmlab-checker`", full_only_what(*.0))]
    NotInThisBuild(FullOnly),
}

/// What the full build brings, as the commands that need it are named.
pub fn full_only_what(what: FullOnly) -> &'static str {
    match what {
        FullOnly::Gradescope => "the Gradescope autograder zip",
        FullOnly::Junit => "the JUnit report (--format junit)",
        FullOnly::ManPages => "the manual pages",
        FullOnly::Schema => "the assignment files' JSON Schema",
    }
}

/// What a word of the command line names: said when the word is not UTF-8 text (a path
/// may be any bytes, a name may not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Word {
    /// `hint LAB`, `--labs LAB,...`.
    Lab,
    /// `check LAB[/SCENARIO]`.
    LabOrScenario,
    /// `explain TOPIC`.
    Topic,
}

impl Word {
    fn named(self) -> &'static str {
        match self {
            Word::Lab => "a lab",
            Word::LabOrScenario => "a lab or a scenario",
            Word::Topic => "a topic",
        }
    }

    fn listed(self) -> &'static str {
        match self {
            Word::Lab => "`shmlab list` shows the labs",
            Word::LabOrScenario => "`shmlab list --scenarios` shows them",
            Word::Topic => "`shmlab explain` lists the topics",
        }
    }
}

/// Why the checker could not do what it was asked.
#[derive(Debug, thiserror::Error)]
pub enum Fatal {
    #[error(transparent)]
    Usage(#[from] UsageError),
    #[error("System V shared memory is not available here ({0}): the kernel needs CONFIG_SYSVIPC, and the container must allow it")]
    NoSysv(shm::Errno),
    #[error(transparent)]
    NamespaceForbidden(#[from] crate::run::isolation::NamespaceForbidden),
    #[error("could not enter the user namespace that namespace isolation needs ({0}): use --isolation keys")]
    UserNamespace(std::io::Error),
    #[error("keys mode cannot run safely: {0}")]
    Registry(String),
    #[error("could not enter a private IPC namespace ({0}): use --isolation keys")]
    IpcNamespace(std::io::Error),
    #[error(transparent)]
    Build(#[from] crate::run::build::toolchain::BuildError),
    #[error("cannot trace: {0}; `shmlab check` still checks the labs, without the timeline")]
    CannotTrace(String),
    #[error("could not run {program}: {source}")]
    CouldNotRun {
        program: String,
        source: std::io::Error,
    },
    #[error("could not write the report: {0}")]
    Write(std::io::Error),
    #[error("grading stopped: {0}")]
    Grade(std::io::Error),
    #[error("--out {}: it exists and is not a directory: give a directory for the reports (it is created if missing)", .0.display())]
    OutNotADirectory(PathBuf),
    #[error("--out {}: cannot be created ({reason}): give a directory you can write to", .path.display())]
    OutUnwritable { path: PathBuf, reason: String },
    #[error("no submissions in {}: put one subdirectory per student there (a Cargo project like labs/, C sources, or executables)", .0.display())]
    EmptyClass(PathBuf),
    #[error("the checker could not grade any submission: the reasons are in {}/*.json (error)", .0.display())]
    NothingGraded(PathBuf),
    #[error("the checker itself failed ({0}): please report this, with the command you ran")]
    Panic(String),
}

impl Fatal {
    /// The documented exit status.
    pub fn exit_code(&self) -> u8 {
        match self {
            Fatal::Usage(_) => exit_codes::USAGE,
            _ => exit_codes::ENVIRONMENT,
        }
    }
}
