//! Orchestration: the only code that combines `run` (how to run) and `scenario` (what to
//! check), for each command of the plan.

pub mod c_build;
pub mod cargo_build;
pub mod check;
pub mod dev;
pub mod diagram;
pub mod grade;
pub mod gradescope;
pub mod inspect;
pub mod learn;
pub mod programs;
pub mod progress;
pub mod trace;
pub mod watch;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{wants_json, Cli};
use crate::error::{exit_codes, Fatal};
use crate::plan::Plan;
use crate::run;

/// Carries out `plan`; returns the exit status.
pub fn execute(plan: Plan) -> Result<u8, Fatal> {
    match plan {
        Plan::List(p) => check::execute(&p, true),
        Plan::ListScenarios(selection) => check::list_scenarios(&selection),
        Plan::Check(p) => check::execute(&p, false),
        Plan::Trace(p) => trace::execute(&p),
        Plan::Inspect(p) => inspect::execute(&p),
        Plan::Grade(p) => grade::execute(&p),
        Plan::DevCheck(run) => dev::execute(&run),
        Plan::DevDiagram { check } => diagram::execute(check),
        Plan::Watch(p) => watch::execute(&p),
        Plan::Gradescope(p) => gradescope::execute(&p),
        Plan::Print(text) => write_out(|out| out.write_all(&text)).map(|()| exit_codes::OK),
        Plan::Explain(topic) => explain(topic.as_deref()),
        Plan::Hint { lab, all } => learn::hint(lab, all),
        Plan::Reset { lab, track, yes } => learn::reset(lab, track, yes),
        Plan::Solution { lab, track } => learn::solution(lab, track),
    }
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    // The arguments as they came: a path may be any bytes, and a word that is not text is
    // a usage error, never a panic.
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // A CI grader asked for JSON gets JSON, whatever goes wrong.
    let wants_json = wants_json(&args);
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            let code = if e.use_stderr() {
                exit_codes::USAGE
            } else {
                exit_codes::OK
            };
            if wants_json && code != exit_codes::OK {
                // The same sentence as on stderr: clap's first line, without its "error: ".
                let rendered = e.render().to_string();
                let first = rendered.lines().next().unwrap_or_default();
                print_error_json(first.trim_start_matches("error: "), code);
            }
            return ExitCode::from(code);
        }
    };
    // Orphans of the programs come to the checker, which kills and reaps them.
    let _ = run::process::become_subreaper();
    let outcome =
        std::panic::catch_unwind(|| cli.into_plan().map_err(Fatal::from).and_then(execute))
            .unwrap_or_else(|panic| {
                let what = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                Err(Fatal::Panic(what))
            });
    // Nothing of the programs' uid outlives the checker, and the uid is free again.
    run::program::release_run_user();
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(fatal) => {
            let message = fatal.to_string();
            // One line, whatever a path or name in it holds.
            eprintln!("error: {}", crate::report::neutral::neutral(&message));
            if wants_json {
                print_error_json(&message, fatal.exit_code());
            }
            ExitCode::from(fatal.exit_code())
        }
    }
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

/// Writes through `write`; a closed pipe (`shmlab check | head`) is the reader's choice, not
/// an error.
pub fn write_out(
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<(), Fatal> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match write(&mut out).and_then(|()| std::io::Write::flush(&mut out)) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Fatal::Write(e)),
    }
}

/// The file a report or picture goes to once the run is done, created now: a path that
/// cannot be written is the usage error `error` makes of it, before anything runs.
pub fn create_output(
    path: Option<&std::path::Path>,
    error: fn(std::path::PathBuf, String) -> crate::error::UsageError,
) -> Result<Option<std::fs::File>, Fatal> {
    path.map(|p| std::fs::File::create(p).map_err(|e| error(p.to_path_buf(), e.to_string()).into()))
        .transpose()
}

/// Whether System V shared memory works here at all.
pub fn check_sysv() -> Result<(), Fatal> {
    shm::list_segments().map(drop).map_err(Fatal::NoSysv)
}

/// `shmlab explain [TOPIC]`.
fn explain(topic: Option<&str>) -> Result<u8, Fatal> {
    use crate::report::explain as topics;
    let found = topic.map(topics::find).transpose().map_err(|nearest| {
        crate::error::UsageError::UnknownTopic {
            topic: topic.unwrap_or_default().to_string(),
            nearest,
        }
    })?;
    write_out(|out| match found {
        Some(t) => topics::render(t, out),
        None => {
            writeln!(out, "Topics: {}", topics::names().join(", "))?;
            writeln!(out, "`shmlab explain TOPIC` explains one.")
        }
    })?;
    Ok(exit_codes::OK)
}
