//! The command line: clap types, converted once into a [`Plan`] that the rest uses.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::catalogue::{self, LABS};
use crate::exit_codes;
use crate::report::{human, json, LabReport, Report, ScenarioReport};
use crate::run::isolation::{self, IsolationRequest};
use crate::run::{self, program::NOBODY, Environment, Program};
use crate::scenario::{Check, Verdict};

#[derive(Parser, Debug)]
#[command(
    name = "shmlab",
    version,
    about = "Checks System V shared memory lab programs and says exactly what is wrong"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// List the labs, in order, with your status on each.
    List(Common),
    /// Check labs (all of them when none is named).
    Check(CheckArgs),
    /// Run any program under the tracer (in a private IPC namespace where the machine allows
    /// it) and print every shm call it and its children made, with the segment's state after
    /// each.
    Trace(TraceArgs),
    /// Grade a whole class: every subdirectory of SUBMISSIONS_DIR is one student.
    Grade(GradeArgs),
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
    #[command(flatten)]
    common: Common,
}

#[derive(Args, Debug)]
struct TraceArgs {
    #[command(flatten)]
    common: Common,
    /// The program and its arguments (after `--`).
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "PROGRAM"
    )]
    command: Vec<String>,
}

#[derive(Args, Debug, Clone)]
struct Common {
    /// Where programs run: a private IPC namespace (per scenario), or this machine's
    /// namespace with unique keys; auto takes a namespace where the machine allows it.
    #[arg(long, value_enum, default_value_t = IsolationArg::Auto)]
    isolation: IsolationArg,
    /// Seconds each run of a program may take before it is killed.
    #[arg(long, value_name = "SECS", default_value_t = 5.0, value_parser = parse_timeout)]
    timeout: f64,
}

#[derive(Args, Debug)]
struct CheckArgs {
    /// Labs to check: create, access, attach, detach, remove, stat, set.
    #[arg(value_name = "LAB")]
    labs: Vec<String>,
    /// Check the reference solutions instead of your labs.
    #[arg(long, conflicts_with_all = ["program", "dir"])]
    solutions: bool,
    /// Check this executable (C, Python, anything) for the one LAB named.
    #[arg(long, value_name = "PATH", conflicts_with = "dir")]
    program: Option<PathBuf>,
    /// Check the executables named after the labs in DIR (DIR/create, DIR/access, ...).
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Show each scenario's runs, timelines, snapshots and checks.
    #[arg(long, short)]
    verbose: bool,
    /// Do not trace the programs: the checks on what happened during a run are skipped.
    #[arg(long)]
    no_trace: bool,
    #[command(flatten)]
    common: Common,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum IsolationArg {
    Auto,
    Namespace,
    Keys,
}

/// Report formats.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// For a person: one line per scenario, failures expanded.
    Human,
    /// Gradescope results.json.
    Json,
}

fn parse_timeout(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 3600.0 => Ok(v),
        _ => Err(format!(
            "'{s}' is not a number of seconds between 0 and 3600 (e.g. 5 or 0.5)"
        )),
    }
}

/// Where the programs come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The student's `labs` crate, built first.
    Labs,
    /// The reference solutions, built first.
    Solutions,
    /// One program, for one lab.
    Program(PathBuf),
    /// A directory of executables named after the labs.
    Dir(PathBuf),
}

/// What to do, decided once from the command line.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The labs, in teaching order.
    pub labs: Vec<&'static str>,
    pub source: Source,
    pub format: Format,
    pub verbose: bool,
    pub isolation: IsolationRequest,
    pub timeout: Duration,
    /// `list` rather than `check`.
    pub listing: bool,
    /// Trace the programs' shm calls.
    pub trace: bool,
    /// For `trace`: the command to run.
    pub command: Option<Vec<String>>,
}

/// A problem with the command line or the environment, reported in one sentence.
#[derive(Debug)]
pub struct Fatal {
    pub message: String,
    pub code: u8,
}

fn usage(message: String) -> Fatal {
    Fatal {
        message,
        code: exit_codes::USAGE,
    }
}

fn plan_from(cli: Cli) -> Result<Plan, Fatal> {
    let mut command = None;
    let (args, common, listing) = match cli.command {
        Command::List(common) => (None, common, true),
        Command::Check(args) => {
            let common = args.common.clone();
            (Some(args), common, false)
        }
        Command::Trace(t) => {
            command = Some(t.command);
            (None, t.common, false)
        }
        // Handled by `main` before a plan is made.
        Command::Grade(_) => return Err(usage("grade takes no check plan".into())),
    };
    let mut trace = true;
    let mut labs = Vec::new();
    let mut source = Source::Labs;
    let mut format = Format::Human;
    let mut verbose = false;
    if let Some(args) = args {
        for name in &args.labs {
            let lab = catalogue::find(name).ok_or_else(|| {
                usage(format!(
                    "unknown lab '{name}': did you mean '{}'? (`shmlab list` shows the labs)",
                    catalogue::nearest(name)
                ))
            })?;
            if !labs.contains(&lab.name) {
                labs.push(lab.name);
            }
        }
        format = args.format;
        verbose = args.verbose;
        trace = !args.no_trace;
        source = if args.solutions {
            Source::Solutions
        } else if let Some(p) = args.program {
            if labs.len() != 1 {
                return Err(usage("--program checks one lab: name it, as in `shmlab check create --program ./a.out`".into()));
            }
            check_executable(&p)?;
            Source::Program(p)
        } else if let Some(d) = args.dir {
            if !d.is_dir() {
                return Err(usage(format!(
                    "--dir {}: no such directory: give the directory that holds the lab programs",
                    d.display()
                )));
            }
            Source::Dir(d)
        } else {
            Source::Labs
        };
    }
    if labs.is_empty() {
        labs = LABS.iter().map(|l| l.name).collect();
    }
    labs.sort_by_key(|n| LABS.iter().position(|l| l.name == *n));
    Ok(Plan {
        labs,
        source,
        format,
        verbose,
        isolation: match common.isolation {
            IsolationArg::Auto => IsolationRequest::Auto,
            IsolationArg::Namespace => IsolationRequest::Namespace,
            IsolationArg::Keys => IsolationRequest::Keys,
        },
        timeout: Duration::from_secs_f64(common.timeout),
        listing,
        trace,
        command,
    })
}

fn check_executable(p: &Path) -> Result<(), Fatal> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(p).map_err(|_| {
        usage(format!("--program {}: no such file: give the path of the compiled program (e.g. ./a.out after `cc lab.c`)", p.display()))
    })?;
    if !meta.is_file() {
        return Err(usage(format!(
            "--program {}: not a file: give the path of the program itself",
            p.display()
        )));
    }
    if meta.permissions().mode() & 0o111 == 0 {
        return Err(usage(format!(
            "--program {}: not executable: run `chmod +x {}` (a script also needs a #! line)",
            p.display(),
            p.display()
        )));
    }
    Ok(())
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    // A CI grader asked for JSON gets JSON, whatever goes wrong.
    let wants_json = wants_json(std::env::args());
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            let code = if e.use_stderr() {
                exit_codes::USAGE
            } else {
                exit_codes::OK
            };
            if wants_json && code != exit_codes::OK {
                print_error_json(&e.kind().to_string(), code);
            }
            return ExitCode::from(code);
        }
    };
    // Orphans of the programs come to the checker, which kills and reaps them.
    let _ = run::process::become_subreaper();
    let outcome = std::panic::catch_unwind(|| match cli.command {
        Command::Grade(args) => run_grade(args),
        command => plan_from(Cli { command }).and_then(|plan| match &plan.command {
            Some(command) => trace_command(&plan, command),
            None => execute(&plan),
        }),
    })
    .unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        Err(Fatal {
            message: format!(
                "the checker itself failed ({what}): please report this, with the command you ran"
            ),
            code: exit_codes::ENVIRONMENT,
        })
    });
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(fatal) => {
            eprintln!("error: {}", fatal.message);
            if wants_json {
                print_error_json(&fatal.message, fatal.code);
            }
            ExitCode::from(fatal.code)
        }
    }
}

/// Whether the command line asks for `--format json`.
fn wants_json(args: impl Iterator<Item = String>) -> bool {
    // Only the checker's own options: after `--` come a traced program's arguments.
    let args: Vec<String> = args.take_while(|a| a != "--").collect();
    args.iter().any(|a| a == "--format=json")
        || args
            .windows(2)
            .any(|w| w[0] == "--format" && w[1] == "json")
}

/// The JSON a grader reads when the checker could not produce a report: no score, the
/// reason, and the exit status, so that "no results" never happens.
fn print_error_json(message: &str, code: u8) {
    let doc = serde_json::json!({
        "score": 0,
        "max_score": 0,
        "output": format!("The checker could not grade this submission: {message}"),
        "tests": [],
        "extra_data": { "error": message, "exit_code": code },
    });
    println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
}

/// A program per lab, or why there is none.
type Programs = Vec<(&'static str, Result<(PathBuf, String), String>)>;

fn resolve_programs(plan: &Plan) -> Result<Programs, Fatal> {
    let built = |package: &str, prefix: &str, shown: &str| -> Result<Programs, Fatal> {
        let ws = crate::cargo_build::find_workspace().ok_or_else(|| {
            usage("cannot find the shmlab workspace (a directory with labs/Cargo.toml): run this inside the repository, or use --program or --dir".into())
        })?;
        match crate::cargo_build::build(&ws, package) {
            Ok(bins) => Ok(plan
                .labs
                .iter()
                .map(|lab| {
                    let name = format!("{prefix}{lab}");
                    let r = bins
                        .get(&name)
                        .map(|p| (p.clone(), format!("{shown}/{name}.rs")))
                        .ok_or_else(|| format!("the {package} crate has no binary named {name}"));
                    (*lab, r)
                })
                .collect()),
            Err(e @ crate::cargo_build::BuildError::NoCargo(_)) => Err(Fatal {
                message: e.to_string(),
                code: exit_codes::ENVIRONMENT,
            }),
            Err(e) => Ok(plan
                .labs
                .iter()
                .map(|lab| (*lab, Err(e.to_string())))
                .collect()),
        }
    };
    match &plan.source {
        Source::Labs => built("shmlab-labs", "", "labs/src/bin"),
        Source::Solutions => built("shmlab-solutions", "solution-", "solutions/src/bin"),
        Source::Program(p) => Ok(vec![(
            plan.labs[0],
            Ok((p.clone(), p.display().to_string())),
        )]),
        Source::Dir(d) => Ok(plan
            .labs
            .iter()
            .map(|lab| {
                let p = d.join(lab);
                let r = match check_executable(&p) {
                    Ok(()) => Ok((p.clone(), p.display().to_string())),
                    Err(_) if !p.exists() => Err(format!(
                        "{} not found: put the {lab} program there, named {lab}",
                        p.display()
                    )),
                    Err(_) => Err(format!(
                        "{} is not an executable file: compile it, or chmod +x it",
                        p.display()
                    )),
                };
                (*lab, r)
            })
            .collect()),
    }
}

fn source_text(source: &Source) -> String {
    match source {
        Source::Labs => "your labs (labs/src/bin)".into(),
        Source::Solutions => "the reference solutions (solutions/src/bin)".into(),
        Source::Program(p) => format!("the program {}", p.display()),
        Source::Dir(d) => format!("the programs in {}", d.display()),
    }
}

fn check_sysv() -> Result<(), Fatal> {
    shm::list_segments().map(drop).map_err(|e| Fatal {
        message: format!("System V shared memory is not available here ({e}): the kernel needs CONFIG_SYSVIPC, and the container must allow it"),
        code: exit_codes::ENVIRONMENT,
    })
}

/// Runs the plan and writes the report; returns the exit status.
pub fn execute(plan: &Plan) -> Result<u8, Fatal> {
    check_sysv()?;
    let programs = resolve_programs(plan)?;
    let choice = isolation::choose(plan.isolation).map_err(|m| Fatal {
        message: m,
        code: exit_codes::ENVIRONMENT,
    })?;
    // Programs are prepared (and copied where needed) before a user namespace is entered.
    let prepared: Vec<(&'static str, Result<Program, String>)> = programs
        .into_iter()
        .map(|(lab, r)| (lab, r.map(|(path, shown)| Program::prepare(&path, shown))))
        .collect();
    let is_root = nix::unistd::geteuid().is_root();
    let runs_as = runs_as_text(is_root, &prepared);
    isolation::prepare(&choice).map_err(|e| Fatal {
        message: format!("could not enter the user namespace that namespace isolation needs ({e}): use --isolation keys"),
        code: exit_codes::ENVIRONMENT,
    })?;
    if choice.mode == isolation::Isolation::Keys {
        // What an earlier checker, killed mid-scenario, left behind.
        let removed = run::registry::sweep_stale();
        if removed > 0 {
            eprintln!(
                "note: removed {removed} segment(s) left by an earlier checker that was killed"
            );
        }
    }
    run::process::catch_interrupts();
    let tracing = if plan.trace {
        run::process::tracer::probe()
    } else {
        Err("tracing was switched off with --no-trace".to_string())
    };
    let env = Environment {
        isolation: choice.clone(),
        is_root,
        timeout: plan.timeout,
        tracing: tracing.clone(),
    };
    let mut labs = Vec::new();
    for (lab, program) in &prepared {
        labs.push(check_lab(&env, lab, program));
    }
    let report = Report {
        source: source_text(&plan.source),
        isolation: choice,
        runs_as,
        tracing: tracing.err(),
        labs,
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let written = if plan.listing {
        render_list(&report, &mut out)
    } else {
        match plan.format {
            Format::Human => {
                let color =
                    out.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
                human::render(
                    &report,
                    human::Style {
                        color,
                        verbose: plan.verbose,
                    },
                    &mut out,
                )
            }
            Format::Json => json::render(&report, &mut out),
        }
    };
    match written {
        Ok(()) => {}
        // A closed pipe (`shmlab check | head`) is the reader's choice, not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => {
            return Err(Fatal {
                message: format!("could not write the report: {e}"),
                code: exit_codes::ENVIRONMENT,
            })
        }
    }
    let _ = out.flush();
    let c = report.counts();
    if run::process::interrupted() {
        // The report (written above, in the format asked for) marks what did not run.
        eprintln!("error: interrupted: the scenario in progress was stopped and cleaned up, the rest did not run");
        return Ok(exit_codes::ENVIRONMENT);
    }
    Ok(if plan.listing {
        exit_codes::OK
    } else if c.failed > 0 || report.labs.iter().any(|l| l.problem.is_some()) {
        exit_codes::FAILED
    } else if c.errors > 0 {
        exit_codes::ENVIRONMENT
    } else {
        exit_codes::OK
    })
}

fn runs_as_text(is_root: bool, prepared: &[(&'static str, Result<Program, String>)]) -> String {
    if !is_root {
        let uid = nix::unistd::geteuid();
        return format!("your own uid {uid}, without capabilities, so permission checks apply");
    }
    let reasons: Vec<String> = prepared
        .iter()
        .filter_map(|(lab, p)| {
            p.as_ref()
                .ok()
                .and_then(|p| p.unprivileged.as_ref().err().map(|r| format!("{lab}: {r}")))
        })
        .collect();
    if reasons.is_empty() {
        format!("uid {NOBODY} (nobody), since the checker runs as root, so permission checks apply")
    } else {
        format!(
            "uid {NOBODY} (nobody) where possible; as root for {}",
            reasons.join("; ")
        )
    }
}

fn check_lab(env: &Environment, lab: &'static str, program: &Result<Program, String>) -> LabReport {
    let info = catalogue::find(lab).expect("labs in a plan exist");
    let number = LABS.iter().position(|l| l.name == lab).unwrap_or(0) + 1;
    let scenarios = catalogue::scenarios(lab);
    let (program_shown, problem, results) = match program {
        Err(problem) => {
            let results = scenarios
                .iter()
                .map(|s| ScenarioReport {
                    slug: s.slug,
                    title: s.title,
                    verdict: Verdict::Failed,
                    checks: vec![Check {
                        what: "the program".into(),
                        field: "program",
                        expected: "a program to run".into(),
                        actual: problem.clone(),
                        passed: false,
                        skipped: None,
                        hint: None,
                    }],
                    runs: Vec::new(),
                    snapshots: Vec::new(),
                })
                .collect();
            (None, Some(problem.clone()), results)
        }
        Ok(p) => {
            let results = scenarios
                .iter()
                .map(|s| {
                    let outcome = if run::process::interrupted() {
                        run::ScenarioOutcome::not_run(
                            "the checker was interrupted before this scenario".into(),
                        )
                    } else {
                        run::run_scenario(env, s, p)
                    };
                    let (runs, snapshots) = outcome
                        .observation
                        .map(|o| (o.runs, o.snapshots))
                        .unwrap_or_default();
                    ScenarioReport {
                        slug: s.slug,
                        title: s.title,
                        verdict: outcome.verdict,
                        checks: outcome.checks,
                        runs,
                        snapshots,
                    }
                })
                .collect();
            (Some(p.display.clone()), None, results)
        }
    };
    LabReport {
        lab,
        number,
        summary: info.summary,
        program: program_shown,
        problem,
        scenarios: results,
    }
}

fn render_list(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "The labs, in order ({}):", report.source)?;
    for lab in &report.labs {
        let c = lab.counts();
        let status = if let Some(problem) = &lab.problem {
            if problem.contains("does not compile") {
                "does not compile".to_string()
            } else {
                "missing".to_string()
            }
        } else if lab.is_done() {
            "done".to_string()
        } else {
            let hits_todo = |sc: &ScenarioReport| {
                sc.checks.iter().any(|ch| {
                    ch.hint
                        .as_deref()
                        .is_some_and(|h| h.contains("not implemented yet"))
                })
            };
            let real_passes = lab
                .scenarios
                .iter()
                .filter(|sc| {
                    sc.verdict == Verdict::Passed && !sc.slug.ends_with("missing-arguments")
                })
                .count();
            if real_passes == 0 && lab.scenarios.iter().any(hits_todo) {
                "not started".to_string()
            } else {
                format!(
                    "not done ({} of {} scenarios pass)",
                    c.passed,
                    c.graded() + c.errors
                )
            }
        };
        writeln!(
            out,
            "  {}. {:<7} {:<34} {}",
            lab.number, lab.lab, status, lab.summary
        )?;
    }
    writeln!(
        out,
        "Next: `cargo shmlab check LAB` for details; the guides are in docs/labs/."
    )?;
    Ok(())
}

/// Processes a traced program may start before `shmlab trace` stops it as a fork loop.
const TRACE_MAX_CHILDREN: usize = 1000;

/// `shmlab trace -- PROGRAM ARGS...`: the timeline of any program.
fn trace_command(plan: &Plan, command: &[String]) -> Result<u8, Fatal> {
    check_sysv()?;
    let choice = isolation::choose(plan.isolation).map_err(|m| Fatal {
        message: m,
        code: exit_codes::ENVIRONMENT,
    })?;
    run::process::tracer::probe().map_err(|reason| Fatal {
        message: format!(
            "cannot trace: {reason}; `shmlab check` still checks the labs, without the timeline"
        ),
        code: exit_codes::ENVIRONMENT,
    })?;
    let env_err = |e: std::io::Error| Fatal {
        message: format!("could not enter a private IPC namespace ({e}): use --isolation keys"),
        code: exit_codes::ENVIRONMENT,
    };
    isolation::prepare(&choice).map_err(env_err)?;
    let place = if choice.mode == isolation::Isolation::Namespace {
        isolation::fresh_namespace().map_err(|e| env_err(e.into()))?;
        "in a private IPC namespace (its segments vanish when it ends)".to_string()
    } else {
        let why = match plan.isolation {
            IsolationRequest::Keys => "as asked with --isolation keys".to_string(),
            _ => choice
                .why
                .split_once("because ")
                .map_or(choice.why.clone(), |(_, r)| format!("because {r}")),
        };
        format!("in this machine's IPC namespace ({why}); the segments it makes stay")
    };
    if command[0].contains('/') {
        check_executable(Path::new(&command[0]))
            .map_err(|f| usage(f.message.replace("--program ", "")))?;
    }
    let mut cmd = std::process::Command::new(&command[0]);
    cmd.args(&command[1..]);
    let (out, events) =
        match run::process::tracer::run(&mut cmd, None, plan.timeout, TRACE_MAX_CHILDREN) {
            Ok(r) => r,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(usage(format!(
                    "{}: no such program: give a path, or a name on PATH",
                    command[0]
                )));
            }
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                return Err(usage(format!(
                    "{}: not executable: run `chmod +x` on it",
                    command[0]
                )));
            }
            Err(e) => {
                return Err(Fatal {
                    message: format!("could not run {}: {e}", command[0]),
                    code: exit_codes::ENVIRONMENT,
                })
            }
        };
    let stdout = std::io::stdout();
    let mut w = stdout.lock();
    let mut print = || -> std::io::Result<()> {
        writeln!(w, "shmlab trace: `{}` {place}", human::shell_words(command))?;
        if events.is_empty() {
            writeln!(w, "(no shm calls)")?;
        }
        for e in &events {
            writeln!(w, "{}", e.line())?;
        }
        writeln!(
            w,
            "[{}] {}",
            out.pid,
            human::termination_text(&out.termination)
        )?;
        writeln!(w, "--- stdout")?;
        w.write_all(&out.stdout)?;
        writeln!(w, "--- stderr")?;
        w.write_all(&out.stderr)?;
        Ok(())
    };
    match print() {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => {
            return Err(Fatal {
                message: format!("could not write: {e}"),
                code: exit_codes::ENVIRONMENT,
            })
        }
    }
    Ok(exit_codes::OK)
}

/// `shmlab grade SUBMISSIONS_DIR`: grades every submission and writes the CSV.
fn run_grade(g: GradeArgs) -> Result<u8, Fatal> {
    if !g.submissions.is_dir() {
        return Err(usage(format!(
            "{}: no such directory: give the directory with one subdirectory per student",
            g.submissions.display()
        )));
    }
    let jobs = g
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if jobs == 0 {
        return Err(usage("--jobs must be at least 1".into()));
    }
    let isolation = match g.common.isolation {
        IsolationArg::Auto => "auto",
        IsolationArg::Namespace => "namespace",
        IsolationArg::Keys => "keys",
    };
    let mut check_args = vec![
        "--isolation".to_string(),
        isolation.to_string(),
        "--timeout".to_string(),
        g.common.timeout.to_string(),
    ];
    if g.no_trace {
        check_args.push("--no-trace".into());
    }
    let plan = crate::grade::GradePlan {
        submissions: g.submissions,
        out: g.out.clone(),
        jobs,
        check_args,
        timeout_secs: g.common.timeout,
    };
    let summary = crate::grade::grade(&plan).map_err(|e| Fatal {
        message: format!("grading stopped: {e}"),
        code: exit_codes::ENVIRONMENT,
    })?;
    let n = summary.graded;
    let rate = n as f64 / summary.took.as_secs_f64().max(1e-9);
    println!(
        "graded {n} submissions in {:.1} s ({rate:.2} per second, {jobs} at a time): {} and one report per student in {}",
        summary.took.as_secs_f64(),
        g.out.join("grades.csv").display(),
        g.out.display()
    );
    if n > 0 && summary.errors == n {
        return Err(Fatal {
            message: format!(
                "the checker could not grade any submission: the reasons are in {}/*.json (error)",
                g.out.display()
            ),
            code: exit_codes::ENVIRONMENT,
        });
    }
    if summary.errors > 0 {
        eprintln!(
            "note: {} submission(s) could not be graded; their rows in grades.csv say why",
            summary.errors
        );
    }
    Ok(exit_codes::OK)
}
