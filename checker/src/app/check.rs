//! `check` and `list`: resolve the programs, choose the isolation, run each selected
//! scenario, evaluate what it observed, and render the report.

use std::collections::BTreeMap;
use std::io::IsTerminal;

use super::programs::{self, Programs};
use super::progress;
use super::{check_sysv, create_output, write_out};
use crate::catalogue;
use crate::error::UsageError;
use crate::error::{exit_codes, Fatal};
use crate::model::lab::LabProblem;
use crate::model::run::{SpawnCause, SpawnFailed};
use crate::model::{Lab, Observation};
use crate::plan::{CheckPlan, Format, RunOptions, Scenarios, Selection, Source};
#[cfg(feature = "full")]
use crate::report::junit;
use crate::report::stream::{Progress, Stream};
use crate::report::{
    github, html, human, json, list, words, LabReport, Report, RunsAs, ScenarioReport,
};
use crate::run::isolation::{self, Isolation, IsolationChoice};
use crate::run::{self, Environment, Program, RunError, RunOutcome};
use crate::scenario::{caught, evaluate, Scenario, Stop, Verdict};

/// `shmlab list --scenarios`.
pub fn list_scenarios(selection: &Selection) -> Result<u8, Fatal> {
    let labs: Vec<(Lab, Vec<Scenario>)> = selection
        .labs()
        .map(|lab| (lab, catalogue::scenarios(lab)))
        .collect();
    write_out(|out| list::render_scenarios(&labs, out))?;
    Ok(exit_codes::OK)
}

/// Runs the plan and writes the report (the list of labs, for `listing`); returns the exit
/// status.
pub fn execute(plan: &CheckPlan, listing: bool) -> Result<u8, Fatal> {
    check_sysv()?;
    let partial = match &plan.partial {
        Some(path) => Some(
            std::fs::File::create(path).map_err(|e| UsageError::PartialFile {
                path: path.clone(),
                reason: e.to_string(),
            })?,
        ),
        None => None,
    };
    // The report's file, opened first: a path that cannot be written is a usage error before
    // anything runs.
    let mut output = match &plan.output {
        Some(path) => Some(
            std::fs::File::create(path).map_err(|e| UsageError::OutputFile {
                path: path.clone(),
                reason: e.to_string(),
            })?,
        ),
        None => None,
    };
    let mut html_file = create_output(plan.html.as_deref(), |path, reason| UsageError::HtmlFile {
        path,
        reason,
    })?;
    let labs: Vec<Lab> = plan.selection.labs().collect();
    let mut found = programs::resolve(&plan.source, &labs)?;
    if let Some(folder) = &plan.workdir {
        found = programs::in_folder(found, folder);
    }
    let progress = match (listing, plan.format) {
        (false, Format::Human) if std::io::stderr().is_terminal() => Progress::Overwrite,
        (false, Format::Human) => Progress::Lines,
        _ => Progress::Off,
    };
    let mut stream = Stream::new(count(&plan.selection), progress, partial);
    let prepared = prepare(found);
    let env = environment(&plan.run)?;
    let report = check_prepared_with(
        &env,
        &plan.selection,
        &prepared,
        programs::source_text(&plan.source),
        &mut |lab, problem, s| stream.scenario(lab, problem, s),
    );
    stream.finish(&report);
    let progress = record_progress(&plan.source, &plan.selection, &report);
    let render = |out: &mut dyn std::io::Write| {
        if listing {
            return list::render(&report, &progress, out);
        }
        match plan.format {
            Format::Human => {
                let style = human::Style {
                    color: super::use_color(plan.color, plan.output.is_none()),
                    verbose: plan.verbose,
                };
                human::render(&report, style, out)
            }
            Format::Json => json::render(&report, out),
            #[cfg(feature = "full")]
            Format::Junit => junit::render(&report, out),
            // Handed on to the full build before it comes here (`app::full`).
            #[cfg(not(feature = "full"))]
            Format::Junit => Err(std::io::Error::other(
                crate::error::UsageError::NotInThisBuild(crate::plan::FullOnly::Junit),
            )),
            Format::Github => github::render(&report, out),
            Format::Html => html::render(&report, out),
        }
    };
    match output.as_mut() {
        Some(file) => render(file).map_err(Fatal::Write)?,
        None => write_out(render)?,
    }
    if let Some(file) = html_file.as_mut() {
        html::render(&report, file).map_err(Fatal::Write)?;
    }
    if run::process::interrupted() {
        // The report (written above, in the format asked for) marks what did not run.
        eprintln!("error: interrupted: the scenario in progress was stopped and cleaned up, the rest did not run");
        return Ok(exit_codes::ENVIRONMENT);
    }
    Ok(if listing {
        exit_codes::OK
    } else if report.has_failures() {
        exit_codes::FAILED
    } else if report.counts().errors > 0 {
        exit_codes::ENVIRONMENT
    } else {
        exit_codes::OK
    })
}

/// For the student's own labs: records in the workspace's progress file the labs that passed
/// for the first time, and returns what `list` shows of it per lab.
fn record_progress(
    source: &Source,
    selection: &Selection,
    report: &Report,
) -> BTreeMap<Lab, String> {
    let Source::Labs(track) = source else {
        return BTreeMap::new();
    };
    let Some(ws) = super::cargo_build::find_workspace() else {
        return BTreeMap::new();
    };
    let path = progress::path(&ws);
    let mut p = progress::load(&path);
    let name = progress::track_name(*track);
    let now = progress::now();
    let mut changed = p.track.as_deref() != Some(name);
    // `hint` follows the track of the last check or list.
    p.track = Some(name.to_string());
    // A lab passes only with all of its scenarios run, not one picked by its slug.
    let whole = |lab: Lab| {
        selection
            .labs
            .iter()
            .any(|(l, s)| *l == lab && *s == Scenarios::All)
    };
    for lab in report.labs.iter().filter(|l| l.is_done() && whole(l.lab)) {
        changed |= p.passed(name, lab.lab, now);
    }
    if changed {
        progress::save(&path, &p);
    }
    report
        .labs
        .iter()
        .map(|l| {
            let first = p.done.get(&(name.to_string(), l.lab)).copied();
            let hints = p.hints_seen(name, l.lab);
            let levels = crate::report::hints::levels(l.lab, *track).len();
            (l.lab, list::progress_text(first, hints, levels))
        })
        .collect()
}

/// Where and how programs run, set up once per checker run: isolation chosen (and the user
/// namespace entered), stale keys swept, interrupts caught, tracing probed.
pub fn environment(options: &RunOptions) -> Result<Environment, Fatal> {
    let choice = isolation::choose(options.isolation)?;
    enter(&choice)?;
    run::process::catch_interrupts();
    let tracing = if options.trace {
        run::process::tracer::probe()
    } else {
        Err("tracing was switched off with --no-trace".to_string())
    };
    Ok(Environment {
        isolation: choice,
        is_root: nix::unistd::geteuid().is_root(),
        timeout: options.timeout,
        tracing,
    })
}

/// Enters the isolation chosen: the user namespace a non-root user needs for namespaces, or
/// in keys mode the sweep of what a killed checker left.
pub fn enter(choice: &IsolationChoice) -> Result<(), Fatal> {
    isolation::prepare(choice).map_err(Fatal::UserNamespace)?;
    if choice.mode == Isolation::Keys || nix::unistd::geteuid().is_root() {
        let opened = run::registry::shared();
        if choice.mode == Isolation::Keys {
            // Keys mode needs its registry: without one, a killed checker's segments stay.
            opened.map_err(|e| Fatal::Registry(e.to_string()))?;
        }
        let swept = run::registry::swept();
        if swept.segments > 0 {
            eprintln!(
                "note: removed {} segment(s) left by an earlier checker that was killed",
                swept.segments
            );
        }
        if swept.processes > 0 {
            eprintln!(
                "note: killed {} process(es) left by an earlier checker that was killed",
                swept.processes
            );
        }
        if !swept.refused.is_empty() {
            eprintln!(
                "note: left alone in the checker's registry, as not its own: {}",
                crate::report::neutral::neutral(swept.refused.join(", "))
            );
        }
    }
    Ok(())
}

/// Programs ready to run, per lab.
pub type Prepared = Vec<(Lab, Result<Program, LabProblem>)>;

/// Prepares the programs found (copied where the user they run as cannot reach them): this
/// must happen before a user namespace is entered.
pub fn prepare(found: Programs) -> Prepared {
    found
        .into_iter()
        .map(|(lab, f)| {
            let program =
                f.and_then(|f| Program::prepare(&f.path, f.shown).map(|p| p.in_folder(f.folder)));
            (lab, program)
        })
        .collect()
}

/// Checks the selected scenarios of each program; the report says what was found.
pub fn check(
    options: &RunOptions,
    selection: &Selection,
    found: Programs,
    source: String,
) -> Result<Report, Fatal> {
    let prepared = prepare(found);
    let env = environment(options)?;
    Ok(check_prepared(&env, selection, &prepared, source))
}

/// How many scenarios `selection` runs.
fn count(selection: &Selection) -> usize {
    selection
        .labs
        .iter()
        .map(|(lab, wanted)| {
            catalogue::scenarios(*lab)
                .iter()
                .filter(|s| wanted.includes(s.slug))
                .count()
        })
        .sum()
}

/// Checks programs already prepared, in an environment already set up.
pub fn check_prepared(
    env: &Environment,
    selection: &Selection,
    prepared: &Prepared,
    source: String,
) -> Report {
    check_prepared_with(env, selection, prepared, source, &mut |_, _, _| {})
}

/// Called with each scenario's result as soon as it is known: its lab, why the lab could not
/// be checked at all (if it could not, in words), and the result.
pub type OnScenario<'a> = dyn FnMut(Lab, Option<&str>, &ScenarioReport) + 'a;

/// [`check_prepared`], telling `on_scenario` each result as it comes.
pub fn check_prepared_with(
    env: &Environment,
    selection: &Selection,
    prepared: &Prepared,
    source: String,
    on_scenario: &mut OnScenario<'_>,
) -> Report {
    let runs_as = runs_as();
    let labs = prepared
        .iter()
        .map(|(lab, program)| {
            let wanted = selection
                .labs
                .iter()
                .find(|(l, _)| l == lab)
                .map_or(&Scenarios::All, |(_, s)| s);
            check_lab(env, *lab, wanted, program, on_scenario)
        })
        .collect();
    Report {
        source,
        isolation: env.isolation.clone(),
        runs_as,
        tracing: env.tracing.clone().err(),
        labs,
    }
}

/// Whom the programs run as: the checker's own uid, or, as root, the run's.
pub(crate) fn runs_as() -> RunsAs {
    let uid = nix::unistd::geteuid();
    if !uid.is_root() {
        return RunsAs::OwnUid(uid.as_raw());
    }
    let user = run::program::run_user();
    RunsAs::RunUid {
        uid: user.id,
        own: user.own.clone(),
    }
}

fn check_lab(
    env: &Environment,
    lab: Lab,
    wanted: &Scenarios,
    program: &Result<Program, LabProblem>,
    on_scenario: &mut OnScenario<'_>,
) -> LabReport {
    let scenarios: Vec<Scenario> = catalogue::scenarios(lab)
        .into_iter()
        .filter(|s| wanted.includes(s.slug))
        .collect();
    let mut problem = program.as_ref().err().cloned();
    let mut results = Vec::new();
    // The same folder is copied for every scenario: what the first copy left out is the lab's.
    let mut left_out = None;
    for s in &scenarios {
        let started = std::time::Instant::now();
        let mut result = match (run::unmet_need(env, s), program) {
            // What cannot run here is skipped for every program alike, present, missing or
            // not compiling: the same labs in the same environment have the same full score.
            (Some(reason), _) => report_of(s, Verdict::Skipped(reason), None),
            _ if problem.is_some() => report_of(s, Verdict::Failed, None),
            (None, Err(_)) => report_of(s, Verdict::Failed, None),
            (None, Ok(_)) if run::process::interrupted() => report_of(
                s,
                Verdict::Error("the checker was interrupted before this scenario".into()),
                None,
            ),
            (None, Ok(p)) => match run::run_scenario(env, s, p) {
                RunOutcome::Skipped(reason) => report_of(s, Verdict::Skipped(reason), None),
                RunOutcome::Error(RunError::Program { source, .. }) if cannot_execute(&source) => {
                    // Once per lab: every scenario would fail to run it the same way.
                    problem = Some(LabProblem::CannotExecute {
                        program: p.display.clone(),
                        uid: p.uid,
                        error: source.to_string(),
                    });
                    report_of(s, Verdict::Failed, None)
                }
                RunOutcome::Error(e) => report_of(s, Verdict::Error(e.to_string()), None),
                RunOutcome::Observed(obs) if spawn_elsewhere(&obs).is_some() => {
                    left_out.get_or_insert_with(|| obs.left_out.clone());
                    // A fork or clone failed for want of the machine's processes or memory,
                    // far from the run's own limit: no verdict on the program. Once more.
                    match run::run_scenario(env, s, p) {
                        RunOutcome::Observed(again) => match spawn_elsewhere(&again) {
                            Some(failed) => report_of(
                                s,
                                Verdict::Error(words::spawn_elsewhere(&failed)),
                                Some(*again),
                            ),
                            None => judged(s, *again),
                        },
                        RunOutcome::Skipped(reason) => report_of(s, Verdict::Skipped(reason), None),
                        RunOutcome::Error(e) => report_of(s, Verdict::Error(e.to_string()), None),
                    }
                }
                RunOutcome::Observed(obs) => {
                    left_out.get_or_insert_with(|| obs.left_out.clone());
                    let uid = obs.program_uid;
                    let result = judged(s, *obs);
                    if result.stop == Some(Stop::CouldNotStart) {
                        // Once per lab: the other scenarios would fail the same way.
                        problem = Some(could_not_start(&p.display, uid, &result.runs));
                    }
                    result
                }
            },
        };
        result.elapsed = started.elapsed();
        let said = problem.as_ref().map(|p| words::lab_problem(lab, p));
        on_scenario(lab, said.as_deref(), &result);
        results.push(result);
    }
    LabReport {
        lab,
        program: program.as_ref().ok().map(|p| p.display.clone()),
        problem,
        scenarios: results,
        left_out: left_out.unwrap_or_default(),
    }
}

/// The first fork or clone of a run of `obs` that failed for a reason outside the run.
fn spawn_elsewhere(obs: &Observation) -> Option<SpawnFailed> {
    obs.runs
        .iter()
        .filter_map(|r| r.spawn_failed)
        .find(|f| f.cause() == SpawnCause::Elsewhere)
}

/// The error of a scenario whose evaluation panicked: the checker's own bug, to report.
fn failed_on(panic: &caught::Panic) -> String {
    format!("its checks hit a bug of the checker ({panic}): please report it, with the program")
}

/// Whether running the program failed at its `execve` (not an interruption of the checker).
fn cannot_execute(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::{NotFound, PermissionDenied};
    !run::process::interrupted() && matches!(e.kind(), NotFound | PermissionDenied)
}

/// The report of a scenario that ran. A panic in its checks or hints costs this scenario
/// alone: it is an error that says so, the runs are still shown, and the other scenarios are
/// still checked.
fn judged(s: &Scenario, obs: Observation) -> ScenarioReport {
    match caught::catch(|| evaluate(s, &obs)) {
        Ok(e) => ScenarioReport {
            checks: e.checks,
            stop: e.stop,
            ..report_of(s, e.verdict, Some(obs))
        },
        Err(panic) => report_of(s, Verdict::Error(failed_on(&panic)), Some(obs)),
    }
}

fn could_not_start(program: &str, uid: u32, runs: &[crate::model::RunRecord]) -> LabProblem {
    let (code, said) = match runs.first() {
        Some(run) => (
            match run.termination {
                crate::model::Termination::Exited { code } => code,
                _ => -1,
            },
            crate::scenario::status::last_line(&run.stderr),
        ),
        None => (-1, None),
    };
    LabProblem::CouldNotStart {
        program: program.to_string(),
        uid,
        code,
        said,
    }
}

fn report_of(s: &Scenario, verdict: Verdict, obs: Option<Observation>) -> ScenarioReport {
    let (runs, snapshots) = obs.map(|o| (o.runs, o.snapshots)).unwrap_or_default();
    ScenarioReport {
        slug: s.slug,
        title: s.title,
        purpose: s.purpose,
        verdict,
        checks: Vec::new(),
        stop: None,
        runs,
        snapshots,
        elapsed: std::time::Duration::ZERO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Snapshot, Termination};
    use crate::scenario::{Purpose, Step};

    fn scenario(expect: fn(&mut crate::scenario::Ctx<'_>)) -> Scenario {
        Scenario {
            lab: Lab::Memo,
            slug: "memo/made-up",
            title: "a made-up scenario",
            purpose: Purpose::Behaviour,
            needs: Vec::new(),
            setup: Vec::new(),
            steps: vec![Step::Run(crate::scenario::Invocation {
                args: Vec::new(),
                stdin: None,
                answers: None,
            })],
            read_contents: false,
            expect,
        }
    }

    fn observation() -> Observation {
        let snapshot = |label: &str| Snapshot {
            label: label.into(),
            segments: Vec::new(),
        };
        Observation {
            keys: Vec::new(),
            free_key: shm::Key::new(0x5eed_00ff),
            setup_ids: Vec::new(),
            program_uid: 1000,
            program_gid: 1000,
            snapshots: vec![snapshot("before"), snapshot("after run 1")],
            runs: vec![crate::model::RunRecord {
                argv: vec!["memo".into()],
                stdin: None,
                pid: 77,
                termination: Termination::Exited { code: 0 },
                stdout: "text: x\n".into(),
                stderr: String::new(),
                dropped: 0,
                dropped_by_stream: Default::default(),
                started: 0,
                timeline: None,
                survivors: Vec::new(),
                children: 0,
                left_namespace: false,
                spawn_failed: None,
                fault: None,
                exchanges: Vec::new(),
            }],
            after_run: vec![1],
            contents: vec![BTreeMap::new()],
            initial_contents: Vec::new(),
            tracing: Err("not traced".into()),
            left_out: Vec::new(),
        }
    }

    #[test]
    fn a_panic_in_a_scenarios_checks_is_an_error_for_it_alone_with_the_runs_kept() {
        let r = judged(
            &scenario(|c| {
                let bytes = [b'x'; 200];
                let n = std::hint::black_box(200);
                c.note(
                    "x",
                    "x",
                    "x",
                    String::from_utf8_lossy(&bytes[n..=n]).to_string(),
                );
            }),
            observation(),
        );
        let Verdict::Error(said) = &r.verdict else {
            panic!("{:?}", r.verdict)
        };
        assert!(
            said.starts_with("its checks hit a bug of the checker (range end index 200 out of range for slice of length 200, at checker/src/app/check.rs:"),
            "{said}"
        );
        assert!(
            said.ends_with("): please report it, with the program"),
            "{said}"
        );
        assert_eq!(r.runs.len(), 1, "the run is still shown");
        assert!(r.checks.is_empty() && r.stop.is_none());
    }

    #[test]
    fn a_scenario_that_does_not_panic_is_judged_as_before() {
        let r = judged(
            &scenario(|c| {
                c.status(0);
            }),
            observation(),
        );
        assert_eq!(r.verdict, Verdict::Passed);
        assert_eq!(r.checks.len(), 1);
    }
}
