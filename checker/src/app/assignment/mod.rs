//! `shmlab check --assignment` and `shmlab grade --assignment`: an instructor's assignment
//! file, run on a program or a class of submissions. The programs run through the same
//! runner as the labs' (`run::run_playbook`: isolation, tracer, working folder, run uid,
//! timeouts); each run answers the program's questions on a terminal
//! ([`crate::scenario::answer`]), and [`crate::scenario::assignment`] judges what it left.

pub mod build;
mod grade;
mod skeleton;

use std::path::{Path, PathBuf};

pub use grade::grade;
pub use skeleton::new;

use super::check::environment;
use super::write_out;
use crate::assignment::{self, Assignment, ExtraFile, Find, ScenarioSpec};
use crate::error::{exit_codes, Fatal, UsageError};
use crate::plan::{AssignmentPlan, AssignmentSource, Format};
use crate::report::assignment::{
    render_human, render_json, AssignmentReport, GenericPoints, MadeFile, ScenarioResult,
};
use crate::run::{self, Environment, Program, RunOutcome};
use crate::scenario::answer::{Script, Vocabulary};
use crate::scenario::assignment::{judge, Kind};
use crate::scenario::{caught, Arg, Invocation, Need, Playbook, SegmentSpec, Step, Verdict};

/// What running an assignment's scenario takes, made from its file.
pub struct Prepared {
    needs: Vec<Need>,
    setup: Vec<SegmentSpec>,
    steps: Vec<Step>,
}

impl Prepared {
    pub fn of(a: &Assignment, s: &ScenarioSpec) -> Prepared {
        let vocabulary = Vocabulary::default().extended(&a.vocabulary);
        let setup: Vec<SegmentSpec> = s
            .setup
            .iter()
            .map(|seg| {
                let mut spec = SegmentSpec::new(seg.size, seg.mode.0);
                spec.contents = seg.text.as_bytes().to_vec();
                spec.contents.push(0);
                match (a.segment.find, a.fixed_key()) {
                    (Find::Key, Some(key)) => spec.at_key(key),
                    _ => spec,
                }
            })
            .collect();
        let key_arg = if setup.is_empty() {
            Arg::FreeKey
        } else {
            Arg::Key(0)
        };
        let steps = s
            .runs
            .iter()
            .map(|r| {
                Step::Run(Invocation {
                    args: r
                        .args
                        .iter()
                        .map(|w| {
                            if w == "{key}" && a.segment.find == Find::Argument {
                                key_arg.clone()
                            } else {
                                Arg::Lit(w.clone())
                            }
                        })
                        .collect(),
                    stdin: None,
                    answers: Some(Script {
                        answers: r.answers.iter().map(|x| x.0.clone()).collect(),
                        vocabulary: vocabulary.clone(),
                    }),
                })
            })
            .collect();
        Prepared {
            needs: if s.runs.len() > 1 {
                vec![Need::Persistence]
            } else {
                Vec::new()
            },
            setup,
            steps,
        }
    }

    fn playbook(&self) -> Playbook<'_> {
        Playbook {
            needs: &self.needs,
            setup: &self.setup,
            steps: &self.steps,
            read_contents: true,
        }
    }
}

/// Runs every scenario of `a` on `program` (or reports `problem` for each).
pub fn check_program(
    env: &Environment,
    a: &Assignment,
    program: Result<&Program, String>,
    shown: String,
) -> AssignmentReport {
    let mut scenarios = Vec::new();
    let mut seen: Vec<(Kind, String, String)> = Vec::new();
    let mut left_out = None;
    let problem = program.as_ref().err().cloned();
    for spec in &a.scenarios {
        let base = ScenarioResult {
            name: spec.name.clone(),
            title: spec.title.clone(),
            points: spec.points,
            earned: 0,
            visibility: spec.visibility,
            verdict: Verdict::Failed,
            checks: Vec::new(),
            runs: Vec::new(),
        };
        let Ok(program) = program else {
            scenarios.push(base);
            continue;
        };
        if run::process::interrupted() {
            // Stopped (SIGTERM, SIGINT): what was not reached is said, and not counted.
            scenarios.push(ScenarioResult {
                verdict: Verdict::Error("the checker was interrupted before this scenario".into()),
                ..base
            });
            continue;
        }
        let prepared = Prepared::of(a, spec);
        let outcome = run::run_playbook(env, prepared.playbook(), program);
        if let (None, RunOutcome::Observed(obs)) = (&left_out, &outcome) {
            // The same folder is copied for every scenario: the first copy says it.
            left_out = Some(obs.left_out.clone());
        }
        let result = match outcome {
            RunOutcome::Observed(obs) => match caught::catch(|| judge(a, spec, &obs)) {
                Ok(j) => {
                    seen.extend(
                        j.generic
                            .iter()
                            .map(|g| (g.kind, spec.name.clone(), g.hint.text.clone())),
                    );
                    ScenarioResult {
                        earned: j.earned,
                        verdict: j.verdict,
                        checks: j.checks,
                        runs: obs.runs.clone(),
                        ..base
                    }
                }
                Err(p) => ScenarioResult {
                    verdict: Verdict::Error(format!(
                        "the checker failed on this scenario ({}): please report it, with the program",
                        p.message
                    )),
                    runs: obs.runs.clone(),
                    ..base
                },
            },
            RunOutcome::Skipped(why) => ScenarioResult {
                verdict: Verdict::Skipped(why),
                ..base
            },
            RunOutcome::Error(e) => ScenarioResult {
                verdict: Verdict::Error(e.to_string()),
                ..base
            },
        };
        scenarios.push(result);
    }
    let generic_points = Kind::ALL
        .iter()
        .filter(|k| k.setting(a).points() > 0)
        .map(|&kind| GenericPoints {
            kind,
            points: kind.setting(a).points(),
            seen: seen
                .iter()
                .filter(|(k, _, _)| *k == kind)
                .map(|(_, scenario, hint)| (scenario.clone(), hint.clone()))
                .collect(),
        })
        .collect();
    AssignmentReport {
        name: a.name.clone(),
        title: a.title.clone(),
        program: shown,
        problem,
        isolation: env.isolation.clone(),
        runs_as: super::check::runs_as(),
        tracing: env.tracing.clone().err(),
        scenarios,
        generic_points,
        made_files: Vec::new(),
        left_out: left_out.unwrap_or_default(),
    }
}

/// The assignment file, read.
pub fn load(path: &Path) -> Result<Assignment, Fatal> {
    assignment::load(path).map_err(|e| Fatal::Usage(UsageError::Assignment(e)))
}

/// The assignment file, read, and its text as written.
pub fn load_with_text(path: &Path) -> Result<(Assignment, String), Fatal> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Fatal::Usage(UsageError::Assignment(assignment::AssignmentError {
            path: path.display().to_string(),
            line: 0,
            column: 0,
            message: format!("cannot be read: {e}"),
        }))
    })?;
    Ok((load_text(&text, path)?, text))
}

/// An assignment from its text (named `path` in errors).
pub fn load_text(text: &str, path: &Path) -> Result<Assignment, Fatal> {
    assignment::parse(text, path).map_err(|e| Fatal::Usage(UsageError::Assignment(e)))
}

/// A submission, ready to check.
pub struct Submission {
    /// The program ready to run, or why there is none.
    pub program: Result<Program, String>,
    /// How it is shown.
    pub shown: String,
    /// The files the program expects that the submission lacks, which the checker makes.
    pub made: Vec<MadeFile>,
}

impl Submission {
    /// Runs every scenario of `a` on it.
    pub fn check(self, env: &Environment, a: &Assignment) -> AssignmentReport {
        let mut report = check_program(
            env,
            a,
            self.program.as_ref().map_err(Clone::clone),
            self.shown,
        );
        report.made_files = self.made;
        report
    }
}

/// The program of a submission: `Ok` with the program ready to run, or the problem.
pub fn program_of(a: &Assignment, source: &AssignmentSource, out: &Path) -> Submission {
    let (path, shown, folder) = match source {
        AssignmentSource::Program(p) => {
            let folder = std::fs::canonicalize(p)
                .ok()
                .and_then(|c| c.parent().map(Path::to_path_buf));
            (p.clone(), p.display().to_string(), folder)
        }
        AssignmentSource::Dir(d) => match build::build(d, &a.program, out) {
            Ok(b) => (b.path, b.shown, Some(b.folder)),
            Err(why) => {
                return Submission {
                    program: Err(why),
                    shown: d.display().to_string(),
                    made: Vec::new(),
                }
            }
        },
    };
    // A file the program expects that the submission lacks is made in the runs' folder
    // (empty, or as the assignment gives it), and the report says so.
    let missing: Vec<&ExtraFile> = a
        .program
        .files
        .iter()
        .filter(|f| {
            folder
                .as_ref()
                .is_none_or(|d| std::fs::symlink_metadata(d.join(f.name())).is_err())
        })
        .collect();
    let made = missing
        .iter()
        .map(|f| MadeFile {
            name: f.name().to_string(),
            given: f.is_given(),
        })
        .collect();
    let files = missing
        .iter()
        .map(|f| (PathBuf::from(f.name()), f.text().as_bytes().to_vec()))
        .collect();
    let program = Program::prepare(&path, shown.clone())
        .map(|p| p.in_folder(folder).with_files(files))
        .map_err(|problem| crate::report::assignment::program_problem(&problem));
    Submission {
        program,
        shown,
        made,
    }
}

/// `shmlab check --assignment FILE --program P | --dir D`.
pub fn check(plan: &AssignmentPlan) -> Result<u8, Fatal> {
    super::check_sysv()?;
    let a = load(&plan.file)?;
    let out = tempfile::tempdir().map_err(Fatal::Grade)?;
    let submission = program_of(&a, &plan.source, out.path());
    let env = environment(&plan.run)?;
    let report = submission.check(&env, &a);
    let render = |o: &mut dyn std::io::Write| match plan.format {
        Format::Json => render_json(&report, o),
        _ => render_human(&report, plan.verbose, o),
    };
    match &plan.output {
        Some(path) => write_file(path, render)?,
        None => write_out(render)?,
    }
    if let Some(path) = &plan.text {
        write_file(path, |o| render_human(&report, false, o))?;
    }
    if let Some(path) = &plan.gradescope {
        let results = crate::report::assignment::results(&report, Default::default());
        write_file(path, |o| {
            serde_json::to_writer_pretty(&mut *o, &results).map_err(std::io::Error::from)?;
            writeln!(o)
        })?;
    }
    Ok(if report.passed() {
        exit_codes::OK
    } else {
        exit_codes::FAILED
    })
}

/// Writes `render`'s report into the file at `path`.
fn write_file(
    path: &Path,
    render: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<(), Fatal> {
    let mut f = std::fs::File::create(path).map_err(|e| UsageError::OutputFile {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    render(&mut f).map_err(Fatal::Write)
}

/// `shmlab assignment schema`: the JSON Schema of assignment files.
#[cfg(feature = "full")]
pub fn schema() -> Result<u8, Fatal> {
    write_out(|o| writeln!(o, "{}", assignment::schema()))?;
    Ok(exit_codes::OK)
}
