//! Orchestration: the only code that combines `run` (how to run) and `scenario` (what to
//! check), for each command of the plan.

pub mod assignment;
pub mod autograde;
pub mod c_build;
pub mod cargo_build;
pub mod cargo_messages;
pub mod check;
pub mod dev;
pub mod diagram;
pub mod found;
#[cfg(not(feature = "full"))]
pub mod full;
pub mod grade;
#[cfg(feature = "full")]
pub mod gradescope;
pub mod inspect;
pub mod learn;
pub mod pool;
pub mod programs;
pub mod progress;
pub mod starters;
pub mod trace;
pub mod watch;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{error_sink, Cli};
#[cfg(not(feature = "full"))]
use crate::error::UsageError;
use crate::error::{exit_codes, Fatal};
#[cfg(not(feature = "full"))]
use crate::plan::FullOnly;
use crate::plan::{ColorWhen, ErrorSink, Format, Plan};
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
        Plan::DevStarters { write } => dev::starters(write),
        Plan::DevDiagram { check } => diagram::execute(check),
        Plan::Watch(p) => watch::execute(&p),
        #[cfg(feature = "full")]
        Plan::Gradescope(p) => gradescope::execute(&p),
        #[cfg(not(feature = "full"))]
        Plan::Gradescope(_) => Err(UsageError::NotInThisBuild(FullOnly::Gradescope).into()),
        Plan::Autograde(p) => autograde::execute(&p),
        Plan::Print(text) => write_out(|out| out.write_all(&text)).map(|()| exit_codes::OK),
        #[cfg(feature = "full")]
        Plan::ManPages(dir) => man_pages(&dir),
        #[cfg(not(feature = "full"))]
        Plan::ManPages(_) => Err(UsageError::NotInThisBuild(FullOnly::ManPages).into()),
        Plan::Explain(topic) => explain(topic.as_deref()),
        Plan::Hint { lab, track, all } => learn::hint(lab, track, all),
        Plan::Reset { lab, track, yes } => learn::reset(lab, track, yes),
        Plan::Solution { lab, track } => learn::solution(lab, track),
        Plan::Assignment(p) => assignment::check(&p),
        Plan::AssignmentGrade(p) => assignment::grade(&p),
        #[cfg(feature = "full")]
        Plan::AssignmentSchema => assignment::schema(),
        #[cfg(not(feature = "full"))]
        Plan::AssignmentSchema => Err(UsageError::NotInThisBuild(FullOnly::Schema).into()),
        Plan::AssignmentNew(p) => assignment::new(&p),
    }
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    // The arguments as they came: a path may be any bytes, and a word that is not text is
    // a usage error, never a panic.
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // A CI grader gets the error in the format (and the file) it asked for, whatever goes
    // wrong.
    let sink = error_sink(&args);
    let parsed = Cli::try_parse_from(&args);
    // A build without the full feature hands on what needs it (a JUnit error included).
    #[cfg(not(feature = "full"))]
    {
        let needs = match &parsed {
            Ok(cli) => cli.full_only(),
            Err(_) => (sink.format == Format::Junit).then_some(FullOnly::Junit),
        };
        if let Some(what) = needs {
            return match full::hand_on(what, &args) {
                Ok(code) => ExitCode::from(code),
                Err(fatal) => {
                    eprintln!("error: {fatal}");
                    ExitCode::from(fatal.exit_code())
                }
            };
        }
    }
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            let code = if e.use_stderr() {
                exit_codes::USAGE
            } else {
                exit_codes::OK
            };
            if code != exit_codes::OK {
                // The same sentence as on stderr: clap's first line, without its "error: ".
                let rendered = e.render().to_string();
                let first = rendered.lines().next().unwrap_or_default();
                report_error(&sink, first.trim_start_matches("error: "), code);
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
            report_error(&sink, &message, fatal.exit_code());
            ExitCode::from(fatal.exit_code())
        }
    }
}

/// A checker error, in the format the command line asked for: the JSON error document
/// (no score, the reason, the exit status: "no results" never happens), a JUnit `<error>`
/// testcase, a GitHub `::error`; in the `--output` file when there is one (then also the
/// human sentence), else on stdout (where the human format adds nothing to stderr's line).
/// A file that cannot be written gets the document on stdout instead.
fn report_error(sink: &ErrorSink, message: &str, code: u8) {
    #[cfg(feature = "full")]
    use crate::report::junit;
    use crate::report::{github, html, json};
    let render = |out: &mut dyn std::io::Write| match sink.format {
        Format::Json => json::render_error(message, code, out),
        #[cfg(feature = "full")]
        Format::Junit => junit::render_error(message, out),
        #[cfg(not(feature = "full"))]
        Format::Junit => writeln!(out, "error: {}", crate::report::neutral::neutral(message)),
        Format::Github => github::render_error(message, out),
        Format::Html => html::render_error(message, out),
        Format::Human => writeln!(out, "error: {}", crate::report::neutral::neutral(message)),
    };
    if let Some(path) = &sink.output {
        if let Ok(mut file) = std::fs::File::create(path) {
            if render(&mut file).is_ok() {
                return;
            }
        }
    }
    if sink.format != Format::Human {
        let _ = write_out(|out| render(out));
    }
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

/// Whether the human report is coloured: never in a file unless `--color always`; on stdout,
/// `NO_COLOR` switches it off, `CLICOLOR_FORCE` or `FORCE_COLOR` on, else `anstream` decides
/// (a terminal that supports colour, `CLICOLOR`, `TERM`).
pub fn use_color(when: ColorWhen, to_stdout: bool) -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    let forced = |name: &str| {
        std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0" && v != "false")
    };
    match when {
        ColorWhen::Never => false,
        ColorWhen::Always => true,
        ColorWhen::Auto if !to_stdout => false,
        ColorWhen::Auto if set("NO_COLOR") => false,
        ColorWhen::Auto if forced("FORCE_COLOR") || forced("CLICOLOR_FORCE") => true,
        ColorWhen::Auto => matches!(
            anstream::AutoStream::choice(&std::io::stdout()),
            anstream::ColorChoice::Always | anstream::ColorChoice::AlwaysAnsi
        ),
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

/// `shmlab man --out DIR`: shmlab.1 and shmlab-COMMAND.1 for each subcommand.
#[cfg(feature = "full")]
fn man_pages(dir: &std::path::Path) -> Result<u8, Fatal> {
    use crate::cli::man::{man_page, pages};
    let unwritable = |e: std::io::Error| crate::error::UsageError::OutFile {
        path: dir.to_path_buf(),
        reason: e.to_string(),
    };
    std::fs::create_dir_all(dir).map_err(unwritable)?;
    let mut names = vec![None];
    names.extend(pages().into_iter().map(Some));
    for name in &names {
        let file = match name {
            None => "shmlab.1".to_string(),
            Some(n) => format!("shmlab-{n}.1"),
        };
        let page = man_page(name.as_deref()).unwrap_or_default();
        std::fs::write(dir.join(file), page).map_err(unwritable)?;
    }
    eprintln!(
        "shmlab: wrote {} manual pages into {}",
        names.len(),
        dir.display()
    );
    Ok(exit_codes::OK)
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
