//! The command line: clap types, converted once into a [`Plan`]; nothing downstream sees
//! clap.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

use crate::error::{UsageError, Word};
use crate::model::Lab;
use crate::plan::{
    AssignmentGradePlan, AssignmentPlan, AssignmentSource, CheckPlan, Format, GradePlan,
    GradescopePlan, Plan, RunOptions, Selection, SkeletonPlan, Source, TracePlan, Track, WatchPlan,
};
use crate::run::isolation::IsolationRequest;

mod words;

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
        #[arg(long, value_delimiter = ',', value_name = "LAB,...")]
        labs: Vec<OsString>,
        /// When students see their results.
        #[arg(long, value_enum, default_value_t = VisibilityArg::AfterDueDate)]
        visibility: VisibilityArg,
    },
    /// Print a shell completion script: `shmlab completions bash > ~/.local/share/bash-completion/completions/shmlab`.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `shmlab man > shmlab.1 && man ./shmlab.1`.
    Man,
    /// Show the next hint for LAB (a nudge first, the exact code last); --all shows every one.
    Hint {
        /// The lab.
        lab: OsString,
        /// Every level at once.
        #[arg(long)]
        all: bool,
    },
    /// Restore LAB's starter file from the kit's untouched copy (asks first).
    Reset {
        /// The lab.
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
        lab: OsString,
        /// Which track's solution.
        #[arg(long, value_enum, default_value_t = LangArg::Rust)]
        lang: LangArg,
    },
    /// Explain an errno (EACCES, EINVAL, ...) for each of the four calls, or a concept (key,
    /// IPC_PRIVATE, SHM_DEST, nattch, ...); without TOPIC, list the topics.
    Explain {
        /// An errno name or a concept.
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
    #[arg(long, value_delimiter = ',', value_name = "LAB,...")]
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
    /// Labs (create, access, attach, detach, remove, stat, set) or scenarios
    /// (create/default-mode; `shmlab list --scenarios` lists them).
    #[arg(value_name = "LAB[/SCENARIO]")]
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
    /// Run the programs in a copy of DIR (the submission's folder), made afresh for each
    /// scenario, instead of a copy of the folder holding each program (or its source).
    #[arg(long, value_name = "DIR")]
    workdir: Option<PathBuf>,
    /// Check the program (--program) or submission folder (--dir) against this assignment
    /// file instead of the labs.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["labs", "solutions", "partial", "workdir"])]
    assignment: Option<PathBuf>,
    #[command(flatten)]
    common: Common,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum IsolationArg {
    Auto,
    Namespace,
    Keys,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum VisibilityArg {
    Hidden,
    AfterDueDate,
    AfterPublished,
    Visible,
}

impl VisibilityArg {
    /// Gradescope's spelling.
    fn name(self) -> &'static str {
        match self {
            VisibilityArg::Hidden => "hidden",
            VisibilityArg::AfterDueDate => "after_due_date",
            VisibilityArg::AfterPublished => "after_published",
            VisibilityArg::Visible => "visible",
        }
    }
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum LangArg {
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
enum FormatArg {
    /// For a person: one line per scenario, failures expanded.
    Human,
    /// Gradescope results.json.
    Json,
    /// JUnit XML (one testsuite per lab), for CI test reporters.
    Junit,
    /// GitHub Actions annotations: an ::error on the lab's file per failed scenario.
    Github,
}

fn parse_timeout(s: &str) -> Result<f64, String> {
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

impl Common {
    fn run_options(&self, trace: bool) -> RunOptions {
        RunOptions {
            isolation: match self.isolation {
                IsolationArg::Auto => IsolationRequest::Auto,
                IsolationArg::Namespace => IsolationRequest::Namespace,
                IsolationArg::Keys => IsolationRequest::Keys,
            },
            timeout: Duration::from_secs_f64(self.timeout),
            trace,
        }
    }
}

impl Cli {
    /// The plan this command line asks for.
    pub fn into_plan(self) -> Result<Plan, UsageError> {
        Ok(match self.command {
            Command::List(args) if args.scenarios => Plan::ListScenarios(Selection::everything()),
            Command::List(args) => Plan::List(CheckPlan {
                selection: Selection::everything(),
                source: source(args.solutions, None, args.dir, args.lang.into())?,
                format: Format::Human,
                verbose: false,
                run: args.common.run_options(true),
                partial: None,
                output: None,
                workdir: None,
            }),
            Command::Check(args) if args.assignment.is_some() => {
                let source = match (args.program, args.dir) {
                    (Some(p), _) => {
                        check_executable(&p, "--program ")?;
                        AssignmentSource::Program(p)
                    }
                    (None, Some(d)) if d.is_dir() => AssignmentSource::Dir(d),
                    (None, Some(d)) => return Err(UsageError::NoSubmissionFolder(d)),
                    (None, None) => return Err(UsageError::AssignmentNeedsProgram),
                };
                Plan::Assignment(AssignmentPlan {
                    file: args.assignment.unwrap_or_default(),
                    source,
                    format: match args.format {
                        FormatArg::Json => Format::Json,
                        FormatArg::Human => Format::Human,
                        FormatArg::Junit | FormatArg::Github => {
                            return Err(UsageError::AssignmentFormat)
                        }
                    },
                    verbose: args.verbose,
                    run: args.common.run_options(!args.no_trace),
                    output: args.output,
                })
            }
            Command::Check(args) => Plan::Check(check_plan(args)?),
            Command::Grade(g) if g.assignment.is_some() => {
                if !g.submissions.is_dir() {
                    return Err(UsageError::NoSubmissions(g.submissions));
                }
                Plan::AssignmentGrade(AssignmentGradePlan {
                    file: g.assignment.unwrap_or_default(),
                    submissions: g.submissions,
                    out: g.out,
                    run: g.common.run_options(!g.no_trace),
                })
            }
            Command::Assignment(AssignmentCommand::Schema) => Plan::AssignmentSchema,
            Command::Assignment(AssignmentCommand::New {
                program,
                dir,
                out,
                force,
                common,
            }) => Plan::AssignmentNew(SkeletonPlan {
                source: match (program, dir) {
                    (Some(p), _) => AssignmentSource::Program(p),
                    (None, Some(d)) => AssignmentSource::Dir(d),
                    (None, None) => return Err(UsageError::AssignmentNeedsProgram),
                },
                out,
                force,
                run: common.run_options(true),
            }),
            Command::Trace(t) => {
                if t.command[0].as_bytes().contains(&b'/') {
                    check_executable(Path::new(&t.command[0]), "")?;
                }
                if let Some(path) = &t.stdin {
                    let unreadable = |reason: String| UsageError::NoStdinFile {
                        path: path.clone(),
                        reason,
                    };
                    std::fs::File::open(path).map_err(|e| unreadable(e.to_string()))?;
                    if path.is_dir() {
                        return Err(unreadable("it is a directory".into()));
                    }
                }
                Plan::Trace(TracePlan {
                    command: t.command,
                    stdin: t.stdin,
                    full: t.full,
                    run: t.common.run_options(true),
                })
            }
            Command::Grade(g) => {
                if !g.submissions.is_dir() {
                    return Err(UsageError::NoSubmissions(g.submissions));
                }
                let jobs = g
                    .jobs
                    .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
                if jobs == 0 {
                    return Err(UsageError::NoJobs);
                }
                let mut labs = g
                    .labs
                    .iter()
                    .map(|l| lab_arg(l))
                    .collect::<Result<Vec<_>, _>>()?;
                if labs.is_empty() {
                    labs = Lab::ALL.to_vec();
                }
                labs.sort();
                labs.dedup();
                Plan::Grade(GradePlan {
                    submissions: g.submissions,
                    out: g.out,
                    jobs,
                    labs,
                    run: g.common.run_options(!g.no_trace),
                })
            }
            Command::Dev(DevCommand::Check(common)) => Plan::DevCheck(common.run_options(true)),
            Command::Explain { topic } => Plan::Explain(
                topic
                    .map(|t| text(&t, Word::Topic).map(str::to_string))
                    .transpose()?,
            ),
            Command::Gradescope {
                out,
                labs,
                visibility,
            } => Plan::Gradescope(GradescopePlan {
                out,
                labs: labs
                    .iter()
                    .map(|l| lab_arg(l).map(|l| l.name().to_string()))
                    .collect::<Result<_, _>>()?,
                visibility: visibility.name().into(),
            }),
            Command::Watch { lang, dir, common } => Plan::Watch(WatchPlan {
                source: source(false, None, dir, lang.into())?,
                run: common.run_options(true),
            }),
            Command::Completions { shell } => {
                let mut out = Vec::new();
                clap_complete::generate(shell, &mut Cli::command(), "shmlab", &mut out);
                Plan::Print(out)
            }
            Command::Man => {
                let mut out = Vec::new();
                // Rendering into memory cannot fail.
                let _ = clap_mangen::Man::new(Cli::command()).render(&mut out);
                Plan::Print(out)
            }
            Command::Hint { lab, all } => Plan::Hint {
                lab: lab_arg(&lab)?,
                all,
            },
            Command::Reset { lab, lang, yes } => Plan::Reset {
                lab: lab_arg(&lab)?,
                track: lang.into(),
                yes,
            },
            Command::Solution { lab, lang } => Plan::Solution {
                lab: lab_arg(&lab)?,
                track: lang.into(),
            },
        })
    }
}

/// Where the programs come from; `program` is only for a selection of one lab.
fn source(
    solutions: bool,
    program: Option<PathBuf>,
    dir: Option<PathBuf>,
    track: Track,
) -> Result<Source, UsageError> {
    Ok(if solutions {
        Source::Solutions(track)
    } else if let Some(p) = program {
        check_executable(&p, "--program ")?;
        Source::Program(p)
    } else if let Some(d) = dir {
        if !d.is_dir() {
            return Err(UsageError::NoSuchDir(d));
        }
        Source::Dir(d)
    } else {
        Source::Labs(track)
    })
}

fn check_plan(args: CheckArgs) -> Result<CheckPlan, UsageError> {
    let names = args
        .labs
        .iter()
        .map(|l| text(l, Word::LabOrScenario).map(str::to_string))
        .collect::<Result<Vec<_>, _>>()?;
    let selection = selection(&names)?;
    if args.program.is_some() && (args.labs.is_empty() || selection.labs.len() != 1) {
        return Err(UsageError::ProgramNeedsOneLab);
    }
    let source = source(args.solutions, args.program, args.dir, args.lang.into())?;
    if let Some(w) = &args.workdir {
        if !w.is_dir() {
            return Err(UsageError::NoWorkdir(w.clone()));
        }
    }
    Ok(CheckPlan {
        selection,
        source,
        format: match args.format {
            FormatArg::Human => Format::Human,
            FormatArg::Json => Format::Json,
            FormatArg::Junit => Format::Junit,
            FormatArg::Github => Format::Github,
        },
        verbose: args.verbose,
        run: args.common.run_options(!args.no_trace),
        partial: args.partial,
        output: args.output,
        workdir: args.workdir,
    })
}

/// Whether the command line asks for `--format json`. It takes the arguments as they came
/// (any bytes): a grader that asked for JSON gets it even when another argument is not text.
pub fn wants_json(args: &[OsString]) -> bool {
    // Only the checker's own options: after `--` come a traced program's arguments.
    let own = args.iter().position(|a| a == "--").unwrap_or(args.len());
    let args = &args[..own];
    args.iter().any(|a| a == "--format=json")
        || args
            .windows(2)
            .any(|w| w[0] == "--format" && w[1] == "json")
}

#[cfg(test)]
mod tests;
