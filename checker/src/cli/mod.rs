//! The command line: clap types, converted once into a [`Plan`]; nothing downstream sees
//! clap.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use clap::{Args, CommandFactory, Parser, Subcommand};

use crate::error::{UsageError, Word};
use crate::model::Lab;
use crate::plan::{
    AssignmentGradePlan, AssignmentPlan, AssignmentSource, AutogradePlan, CheckPlan, ColorWhen,
    ErrorSink, Format, FullOnly, GradePlan, GradescopePlan, InspectPlan, Plan, RunOptions,
    Selection, Settings, SkeletonPlan, Source, TracePlan, Track, WatchPlan,
};
use crate::run::isolation::IsolationRequest;

pub mod complete;
mod convert;
#[cfg(feature = "full")]
pub mod man;
mod values;
mod words;

use values::{parse_timeout, ColorArg, FormatArg, IsolationArg, LangArg, VisibilityArg};

pub use words::{check_executable, selection};
use words::{lab_arg, text};

#[derive(Parser, Debug)]
#[command(
    name = "shmlab",
    version,
    about = "Checks System V shared memory lab programs and says exactly what is wrong"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Colours: auto (at a terminal, unless NO_COLOR is set; also when CLICOLOR_FORCE or
    /// FORCE_COLOR is), always or never. A report written to --output is not coloured in auto.
    #[arg(long, value_enum, global = true, default_value_t = ColorArg::Auto, value_name = "WHEN")]
    color: ColorArg,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// List the labs, in order, with your status on each (or every scenario, with
    /// --scenarios).
    List(ListArgs),
    /// Check labs (all of them when none is named), or single scenarios (LAB/SCENARIO).
    Check(CheckArgs),
    /// Run any program under the tracer (in a private IPC namespace where the machine allows
    /// it) and print every shm call it and its children made, with the segment's state after
    /// each.
    Trace(TraceArgs),
    /// Grade a whole class: every subdirectory of SUBMISSIONS_DIR is one student.
    Grade(GradeArgs),
    /// Show the shared memory segments of this machine (its IPC namespace): mode decoded,
    /// SHM_DEST and SHM_LOCKED named, owner and creator names, the processes attached now,
    /// times as dates; with an ID, that segment and its bytes.
    Inspect {
        /// One segment's id (as `ipcs -m` shows it): show it with its bytes.
        id: Option<i32>,
        /// JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Re-check the lab you are working on each time a file under labs/ (or --dir) is saved;
    /// r or Enter re-runs by hand, q quits.
    Watch {
        /// Which track: rust (labs/src/bin) or c (labs/c).
        #[arg(long, value_enum, default_value_t = LangArg::Rust, conflicts_with = "dir")]
        lang: LangArg,
        /// Watch and check the executables named after the labs in DIR instead.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        #[command(flatten)]
        common: Common,
    },
    /// Write the Gradescope autograder zip (setup.sh, run_autograder and the kit).
    Gradescope {
        /// The zip to write.
        #[arg(long, value_name = "FILE", default_value = "autograder.zip")]
        out: PathBuf,
        /// Only these labs count (comma-separated; all by default).
        #[arg(long, value_delimiter = ',', value_name = "LAB,...", value_parser = complete::Known::LABS, hide_possible_values = true)]
        labs: Vec<OsString>,
        /// When students see their results.
        #[arg(long, value_enum, default_value_t = VisibilityArg::AfterDueDate)]
        visibility: VisibilityArg,
        /// Seconds the grading of one submission may take, below the assignment's limit on
        /// Gradescope (10 minutes by default): past it, the results so far are written.
        #[arg(long, value_name = "SECS", default_value_t = crate::plan::DEFAULT_LIMIT_SECS)]
        limit: u64,
        /// Keep each test's runs, checks and snapshots in results.json (which may then pass
        /// Gradescope's 1 MB).
        #[arg(long)]
        full: bool,
        /// Grade the submissions with this assignment file instead of the labs (it is
        /// copied into the zip): a test per scenario, worth the points the file gives.
        #[arg(long, value_name = "FILE", conflicts_with = "labs")]
        assignment: Option<PathBuf>,
    },
    /// Grade the Gradescope submission in ROOT/submission into ROOT/results/results.json
    /// (what run_autograder runs).
    #[command(hide = true)]
    Autograde {
        /// Where the autograder is laid out (default: $AUTOGRADER_ROOT, else /autograder).
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
    },
    /// Print a shell completion script: `shmlab completions bash > ~/.local/share/bash-completion/completions/shmlab`.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) of shmlab, or of one COMMAND (shmlab-COMMAND(1)):
    /// `shmlab man > shmlab.1 && man ./shmlab.1`; --out DIR writes every page there.
    Man {
        /// The subcommand whose page to print.
        #[arg(value_name = "COMMAND")]
        command: Option<String>,
        /// Write shmlab.1 and shmlab-COMMAND.1 for every subcommand into DIR.
        #[arg(long, value_name = "DIR", conflicts_with = "command")]
        out: Option<PathBuf>,
    },
    /// Show the next hint for LAB (a nudge first, the exact code last); --all shows every one.
    Hint {
        /// The lab.
        #[arg(value_parser = complete::Known::LABS, hide_possible_values = true)]
        lab: OsString,
        /// Which track's hints: rust or c (default: the track of your last check or list).
        #[arg(long, value_enum)]
        lang: Option<LangArg>,
        /// Every level at once.
        #[arg(long)]
        all: bool,
    },
    /// Restore LAB's starter file from the kit's untouched copy (asks first).
    Reset {
        /// The lab.
        #[arg(value_parser = complete::Known::LABS, hide_possible_values = true)]
        lab: OsString,
        /// Which track's file: rust (labs/src/bin/LAB.rs) or c (labs/c/LAB.c).
        #[arg(long, value_enum, default_value_t = LangArg::Rust)]
        lang: LangArg,
        /// Do not ask.
        #[arg(long, short)]
        yes: bool,
    },
    /// Show the reference solution of LAB, once your LAB has passed.
    Solution {
        /// The lab.
        #[arg(value_parser = complete::Known::LABS, hide_possible_values = true)]
        lab: OsString,
        /// Which track's solution.
        #[arg(long, value_enum, default_value_t = LangArg::Rust)]
        lang: LangArg,
    },
    /// Explain an errno (EACCES, EINVAL, ...) for each of the four calls, or a concept (key,
    /// IPC_PRIVATE, SHM_DEST, nattch, ...); without TOPIC, list the topics.
    Explain {
        /// An errno name or a concept.
        #[arg(value_parser = complete::Known::TOPICS, hide_possible_values = true)]
        topic: Option<OsString>,
    },
    /// For the kit's authors.
    #[command(subcommand)]
    Dev(DevCommand),
    /// Instructors' assignment files (see docs/checker/assignments.md).
    #[command(subcommand)]
    Assignment(AssignmentCommand),
}

#[derive(Subcommand, Debug)]
enum AssignmentCommand {
    /// Print the JSON Schema of assignment files, for editors.
    Schema,
    /// Write a commented assignment file from three traced runs of your own solution.
    New {
        /// Your solution, compiled.
        #[arg(
            long,
            value_name = "PATH",
            conflicts_with = "dir",
            required_unless_present = "dir"
        )]
        program: Option<PathBuf>,
        /// Your solution's folder, built as the file will say (its Makefile, or cc).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// The file to write.
        #[arg(long, value_name = "FILE", default_value = "assignment.toml")]
        out: PathBuf,
        /// Replace FILE if it exists.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        common: Common,
    },
}

#[derive(Subcommand, Debug)]
enum DevCommand {
    /// Every pristine starter fails, every solution passes, and every guide lists exactly
    /// the catalogue's scenarios.
    Check(Common),
    /// Whether labs/ holds the starters the solutions give (what a fresh clone must hold).
    Starters {
        /// Write them into labs/ instead.
        #[arg(long)]
        write: bool,
    },
    /// Draw docs/lifecycle.svg (the lifecycle diagram of docs/concepts.md) from a traced run
    /// of the share solution; --check fails if the file differs instead of writing it.
    Diagram {
        /// Compare with the file instead of writing it.
        #[arg(long)]
        check: bool,
    },
}

#[derive(Args, Debug)]
struct ListArgs {
    /// List every scenario by slug (LAB/SCENARIO), with what it shows, instead of your status.
    #[arg(long, conflicts_with_all = ["solutions", "dir"])]
    scenarios: bool,
    /// The status of the reference solutions instead of your labs.
    #[arg(long, conflicts_with = "dir")]
    solutions: bool,
    /// The status of the executables named after the labs in DIR.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Which track's labs (or solutions): rust (labs/src/bin) or c (labs/c, built with cc).
    #[arg(long, value_enum, default_value_t = LangArg::Rust, conflicts_with = "dir")]
    lang: LangArg,
    #[command(flatten)]
    common: Common,
}

#[derive(Args, Debug)]
struct GradeArgs {
    /// One subdirectory per student: a Cargo project shaped like labs/, or executables or
    /// C sources named after the labs (create, create.c, ...).
    #[arg(value_name = "SUBMISSIONS_DIR")]
    submissions: PathBuf,
    /// Checkers running at once (default: the number of cores).
    #[arg(long, short)]
    jobs: Option<usize>,
    /// Where the reports (STUDENT.json), the logs and grades.csv go.
    #[arg(long, value_name = "DIR", default_value = "shmlab-grades")]
    out: PathBuf,
    /// Do not trace the programs.
    #[arg(long)]
    no_trace: bool,
    /// Only these labs are graded, and get a column (comma-separated; all by default): a
    /// course that skips the capstones passes `--labs create,access,attach,detach,remove,stat,set`.
    #[arg(long, value_delimiter = ',', value_name = "LAB,...", value_parser = complete::Known::LABS, hide_possible_values = true)]
    labs: Vec<OsString>,
    /// Grade this assignment file instead of the labs: each subdirectory is built as it says.
    #[arg(long, value_name = "FILE", conflicts_with = "labs")]
    assignment: Option<PathBuf>,
    #[command(flatten)]
    common: Common,
}

#[derive(Args, Debug)]
struct TraceArgs {
    #[command(flatten)]
    common: Common,
    /// The program reads FILE on its stdin (by default it reads shmlab's own stdin, when
    /// that is not a terminal).
    #[arg(long, value_name = "FILE")]
    stdin: Option<PathBuf>,
    /// Show every call on its own line (by default a run of the same call is one line with a
    /// count, and past 2000 lines only the last 500 are kept).
    #[arg(long)]
    full: bool,
    /// Also write the run, drawn as a timeline, with the trace, to FILE (one HTML page).
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// The program and its arguments (after `--`).
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "PROGRAM"
    )]
    command: Vec<OsString>,
}

#[derive(Args, Debug, Clone)]
struct Common {
    /// Where programs run: a private IPC namespace (per scenario), or this machine's
    /// namespace with unique keys; auto takes a namespace where the machine allows it.
    #[arg(long, value_enum, default_value_t = IsolationArg::Auto)]
    isolation: IsolationArg,
    /// Seconds each run of a program may take before it is stopped.
    #[arg(long, value_name = "SECS", default_value_t = 5.0, value_parser = parse_timeout, allow_negative_numbers = true)]
    timeout: f64,
}

#[derive(Args, Debug)]
struct CheckArgs {
    #[arg(
        value_name = "LAB[/SCENARIO]",
        help = complete::check_labs_help(),
        value_parser = complete::Known::LABS_AND_SLUGS,
        hide_possible_values = true
    )]
    labs: Vec<OsString>,
    /// Check the reference solutions instead of your labs.
    #[arg(long, conflicts_with_all = ["program", "dir"])]
    solutions: bool,
    /// Check this executable (C, Python, anything) for the one LAB named.
    #[arg(long, value_name = "PATH", conflicts_with = "dir")]
    program: Option<PathBuf>,
    /// Check the executables named after the labs in DIR (DIR/create, DIR/access, ...).
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Which track's labs (or solutions): rust (labs/src/bin) or c (labs/c, built with cc).
    #[arg(long, value_enum, default_value_t = LangArg::Rust, conflicts_with_all = ["program", "dir"])]
    lang: LangArg,
    /// Report format.
    #[arg(long, value_enum, default_value_t = FormatArg::Human)]
    format: FormatArg,
    /// Show each scenario's runs, timelines, snapshots and checks.
    #[arg(long, short)]
    verbose: bool,
    /// Do not trace the programs: the checks on what happened during a run are skipped.
    #[arg(long)]
    no_trace: bool,
    /// Write each scenario's result to FILE as soon as it finishes, one JSON object per
    /// line, so that a checker killed outright still leaves the scenarios it finished.
    #[arg(long, value_name = "FILE")]
    partial: Option<PathBuf>,
    /// Write the report (in the --format asked for) to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Also write the report as an HTML page, with pictures of the runs, to FILE (whatever
    /// --format says).
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Run the programs in a copy of DIR (the submission's folder), made afresh for each
    /// scenario, instead of a copy of the folder holding each program (or its source).
    #[arg(long, value_name = "DIR")]
    workdir: Option<PathBuf>,
    /// Check the program (--program) or submission folder (--dir) against this assignment
    /// file instead of the labs.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["labs", "solutions", "partial", "workdir"])]
    assignment: Option<PathBuf>,
    /// With --assignment: also write the report for a person to FILE (`grade --assignment`
    /// keeps it per student).
    #[arg(long, value_name = "FILE", requires = "assignment", hide = true)]
    text_report: Option<PathBuf>,
    /// With --assignment: also write the report as Gradescope's results.json to FILE (what
    /// `autograde` reads).
    #[arg(long, value_name = "FILE", requires = "assignment", hide = true)]
    gradescope_results: Option<PathBuf>,
    #[command(flatten)]
    common: Common,
}

impl Cli {
    /// What of the full build this command line needs, if anything (see [`FullOnly`]).
    pub fn full_only(&self) -> Option<FullOnly> {
        match &self.command {
            Command::Gradescope { .. } => Some(FullOnly::Gradescope),
            Command::Man { .. } => Some(FullOnly::ManPages),
            Command::Assignment(AssignmentCommand::Schema) => Some(FullOnly::Schema),
            Command::Check(args) if matches!(args.format, FormatArg::Junit) => {
                Some(FullOnly::Junit)
            }
            _ => None,
        }
    }
}

/// Where a checker error goes besides stderr: the `--format` and `--output` the command line
/// asks for. It takes the arguments as they came (any bytes), and is read even when the rest
/// of the command line is wrong: a grader that asked for JSON in a file gets JSON in that file,
/// whatever goes wrong.
pub fn error_sink(args: &[OsString]) -> ErrorSink {
    // Only the checker's own options: after `--` come a traced program's arguments.
    let own = args.iter().position(|a| a == "--").unwrap_or(args.len());
    let args = &args[..own];
    let value = |name: &str| -> Option<OsString> {
        let eq = format!("{name}=");
        let mut found = None;
        for (i, a) in args.iter().enumerate() {
            if a == name {
                found = args.get(i + 1).cloned();
            } else if let Some(v) = a.as_bytes().strip_prefix(eq.as_bytes()) {
                found = Some(std::ffi::OsStr::from_bytes(v).to_os_string());
            }
        }
        found
    };
    let format = match value("--format").as_ref().and_then(|f| f.to_str()) {
        Some("json") => Format::Json,
        Some("junit") => Format::Junit,
        Some("github") => Format::Github,
        _ => Format::Human,
    };
    ErrorSink {
        format,
        output: value("--output").map(PathBuf::from),
    }
}

#[cfg(test)]
mod tests;
