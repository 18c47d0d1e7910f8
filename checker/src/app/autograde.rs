//! `shmlab autograde`: what Gradescope's `run_autograder` runs for each submission. It
//! grades `ROOT/submission` with `shmlab grade` (so a Cargo project, C sources and
//! executables are built as for a class, under their limits), keeps the labs the
//! instructor chose (`ROOT/source/shmlab-gradescope.json`, written by `shmlab gradescope`),
//! or, when the bundle carries an assignment file, with `shmlab check --assignment FILE
//! --dir ROOT/submission` (built and run as `grade --assignment` does, its report turned
//! into a test per scenario by [`crate::report::assignment::results`]), and **always** writes `ROOT/results/results.json`: first a placeholder that says grading
//! did not finish (so a grader killed outright still leaves one), then the results. It
//! stops the grading at its own time limit, below Gradescope's, or when it is sent SIGTERM
//! (what a platform's timeout sends), and still writes what was graded.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;

use crate::error::{exit_codes, Fatal};
use crate::plan::{AutogradePlan, Settings};
use crate::report::gradescope::Results;

/// The settings file's name, in the autograder's source directory.
pub const SETTINGS: &str = "shmlab-gradescope.json";

/// The assignment file's name in the autograder's source directory, when the bundle was
/// made with `--assignment`.
pub const ASSIGNMENT: &str = "shmlab-assignment.toml";

/// How long the grading may take to stop and write its report once told to.
const GRACE: Duration = Duration::from_secs(20);
/// The same, when the platform itself is stopping us (it kills soon after).
const GRACE_TERM: Duration = Duration::from_secs(5);

/// The settings in `source`, or the defaults with a sentence saying why they were not read.
fn read_settings(source: &Path) -> (Settings, Option<String>) {
    let path = source.join(SETTINGS);
    match std::fs::read(&path) {
        Ok(bytes) => match serde_json::from_slice(&bytes) {
            Ok(s) => (s, None),
            Err(e) => (
                Settings::default(),
                Some(format!(
                    "{} could not be read ({e}): every lab counted",
                    path.display()
                )),
            ),
        },
        Err(e) => (
            Settings::default(),
            Some(format!(
                "{} could not be read ({e}): every lab counted",
                path.display()
            )),
        ),
    }
}

/// Writes `results` to `path` whole: to a temporary file, renamed over it.
fn write(path: &Path, results: &Results) -> Result<(), Fatal> {
    let text = serde_json::to_vec_pretty(results).unwrap_or_default();
    let tmp = path.with_extension("json.part");
    std::fs::write(&tmp, &text)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(Fatal::Write)
}

/// Whether `dir` holds anything.
fn is_empty(dir: &Path) -> bool {
    std::fs::read_dir(dir).map_or(true, |mut d| d.next().is_none())
}

/// How the grading ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Finished,
    /// Our own limit.
    Limit,
    /// SIGTERM or SIGINT.
    Stopped,
}

/// Runs `shmlab ARGS` (a grade or a check), in a process group of its own, until it ends,
/// the limit passes or we are told to stop.
fn run_grade(
    root: &Path,
    args: &[std::ffi::OsString],
    log: &Path,
    settings: &Settings,
) -> Result<End, Fatal> {
    let me = std::env::current_exe().map_err(|source| Fatal::CouldNotRun {
        program: "shmlab grade".into(),
        source,
    })?;
    let log = std::fs::File::create(log).map_err(Fatal::Grade)?;
    let mut cmd = Command::new(me);
    // From the kit's sources: a Cargo submission builds against its crates.
    let source = root.join("source");
    if source.is_dir() {
        cmd.current_dir(source);
    }
    cmd.args(args);
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(log.try_clone().map_err(Fatal::Grade)?)
        .stderr(log)
        .process_group(0)
        .spawn()
        .map_err(|source| Fatal::CouldNotRun {
            program: "shmlab grade".into(),
            source,
        })?;
    let group = Pid::from_raw(child.id() as i32);
    let started = Instant::now();
    let limit = Duration::from_secs(settings.limit_secs);
    let mut end = End::Finished;
    let mut told: Option<Instant> = None;
    loop {
        if child.try_wait().map_err(Fatal::Grade)?.is_some() {
            break;
        }
        if told.is_none() {
            if crate::run::process::interrupted() {
                end = End::Stopped;
            } else if started.elapsed() > limit {
                end = End::Limit;
            }
            if end != End::Finished {
                // The grade and its checks stop their scenario, clean up and report.
                let _ = killpg(group, Signal::SIGTERM);
                told = Some(Instant::now());
            }
        }
        let grace = if crate::run::process::interrupted() {
            GRACE_TERM
        } else {
            GRACE
        };
        if told.is_some_and(|t| t.elapsed() > grace) {
            let _ = killpg(group, Signal::SIGKILL);
            let _ = child.wait();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    if told.is_some() {
        // Stopped: nothing of the grade outlives it (its checks' orphans are in its group).
        let _ = killpg(group, Signal::SIGKILL);
    }
    Ok(end)
}

/// `shmlab autograde`.
pub fn execute(plan: &AutogradePlan) -> Result<u8, Fatal> {
    let started = Instant::now();
    let results_dir = plan.root.join("results");
    std::fs::create_dir_all(&results_dir).map_err(|e| Fatal::OutUnwritable {
        path: results_dir.clone(),
        reason: e.to_string(),
    })?;
    let path = results_dir.join("results.json");
    let (settings, unread) = read_settings(&plan.root.join("source"));
    let vis = settings.visibility;
    crate::run::process::catch_interrupts();
    write(
        &path,
        &Results::nothing(
            "The autograder was stopped before it could grade this submission: nothing was graded. Submit again, or ask your instructor.",
            vis,
        ),
    )?;
    match grade_submission(plan, &path, &settings, unread, started) {
        Ok(()) => Ok(exit_codes::OK),
        // The checker's own failure: said in the results, which Gradescope shows.
        Err(e) => {
            write(
                &path,
                &Results::nothing(
                    format!("The checker could not grade this submission: {e}"),
                    vis,
                ),
            )?;
            Ok(exit_codes::OK)
        }
    }
}

/// Grades the submission and writes its results to `path`.
fn grade_submission(
    plan: &AutogradePlan,
    path: &Path,
    settings: &Settings,
    unread: Option<String>,
    started: Instant,
) -> Result<(), Fatal> {
    let vis = settings.visibility;
    let sub = plan.root.join("submission");
    if !sub.is_dir() || is_empty(&sub) {
        let what = match settings.assignment {
            Some(_) => "Nothing was submitted: hand in your program's sources (and its Makefile, if it has one).",
            None => "Nothing was submitted: hand in your labs (the labs/ project, your C files named create.c ... set.c, or the compiled programs).",
        };
        write(path, &Results::nothing(what, vis))?;
        return Ok(());
    }
    let work = tempfile::Builder::new()
        .prefix("shmlab-autograde-")
        .tempdir()
        .map_err(Fatal::Grade)?;
    let out = work.path().join("out");
    std::fs::create_dir(&out).map_err(Fatal::Grade)?;
    let (args, graded) = match &settings.assignment {
        Some(file) => assignment_args(&plan.root.join("source").join(file), &sub, &out),
        None => labs_args(&sub, work.path(), &out, settings)?,
    };
    let log = work.path().join("grade.log");
    let end = run_grade(&plan.root, &args, &log, settings)?;
    let report: Option<Results> = std::fs::read(graded)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let mut results = match report {
        Some(r) => r,
        None => {
            let said = std::fs::read_to_string(&log).unwrap_or_default();
            let last: Vec<&str> = said.lines().rev().take(3).collect();
            let last: Vec<&str> = last.into_iter().rev().collect();
            Results::nothing(
                format!(
                    "The checker could not grade this submission: {}",
                    last.join(" ").trim()
                ),
                vis,
            )
        }
    };
    results.keep_labs(&settings.labs);
    if !settings.full {
        results.trim();
    }
    let mut notes = Vec::new();
    match end {
        End::Finished => {}
        End::Limit => notes.push(format!(
            "Grading was stopped after {} s, the autograder's limit: the scenarios it did not reach are listed as checker errors and not counted.",
            settings.limit_secs
        )),
        End::Stopped => notes.push(
            "Grading was stopped by the platform (SIGTERM, its time limit): the scenarios it did not reach are listed as checker errors and not counted.".to_string(),
        ),
    }
    if let Some(why) = unread {
        notes.push(format!("Note for the instructor: {why}."));
    }
    if !notes.is_empty() {
        notes.push(std::mem::take(&mut results.output));
        results.output = notes.join("\n").trim().to_string();
    }
    results.visibility = Some(vis);
    results.execution_time = Some(started.elapsed().as_secs());
    write(path, &results)
}

/// The labs: `shmlab grade` on a class of one (the submission, linked into `work`), into
/// `out`; its report is `out/submission.json`.
fn labs_args(
    sub: &Path,
    work: &Path,
    out: &Path,
    settings: &Settings,
) -> Result<(Vec<OsString>, PathBuf), Fatal> {
    // A submission that holds the whole kit hands in its labs/ project.
    let sub = if sub.join("labs/Cargo.toml").is_file() {
        sub.join("labs")
    } else {
        sub.to_path_buf()
    };
    let class = work.join("class");
    std::fs::create_dir(&class).map_err(Fatal::Grade)?;
    std::os::unix::fs::symlink(&sub, class.join("submission")).map_err(Fatal::Grade)?;
    let mut args: Vec<OsString> = vec!["grade".into(), class.into(), "--out".into()];
    args.extend([out.as_os_str().into(), "--jobs".into(), "1".into()]);
    if !settings.labs.is_empty() {
        args.extend(["--labs".into(), settings.labs.join(",").into()]);
    }
    Ok((args, out.join("submission.json")))
}

/// An assignment: `shmlab check --assignment FILE --dir SUB`, the path `grade --assignment`
/// takes for each student, with its report also written as Gradescope's results
/// (`out/results.json`).
fn assignment_args(file: &Path, sub: &Path, out: &Path) -> (Vec<OsString>, PathBuf) {
    let results = out.join("results.json");
    let mut args: Vec<OsString> = vec!["check".into(), "--assignment".into(), file.into()];
    args.extend(["--dir".into(), sub.into(), "--format".into(), "json".into()]);
    args.extend(["--output".into(), out.join("report.json").into()]);
    args.extend(["--gradescope-results".into(), results.clone().into()]);
    (args, results)
}

/// The default root, where Gradescope lays out the autograder: `$AUTOGRADER_ROOT`, else
/// `/autograder`.
pub fn default_root() -> PathBuf {
    std::env::var_os("AUTOGRADER_ROOT")
        .filter(|r| !r.is_empty())
        .map_or_else(|| PathBuf::from("/autograder"), PathBuf::from)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_default_limit_leaves_time_before_gradescopes_ten_minutes() {
        let limit = crate::plan::DEFAULT_LIMIT_SECS + super::GRACE.as_secs();
        assert!(limit < 600, "{limit} s");
    }

    #[test]
    fn missing_settings_are_said_and_every_lab_counts() {
        let dir = tempfile::tempdir().unwrap();
        let (settings, why) = super::read_settings(dir.path());
        assert_eq!(settings, crate::plan::Settings::default());
        assert!(why.unwrap().contains("could not be read"));
    }
}
