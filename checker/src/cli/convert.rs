//! The command line turned into a [`Plan`]: each command's arguments checked and converted
//! once, so that nothing downstream sees clap.

use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::Duration;

// The clap types of the parent, and what it imports for them.
use super::*;

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
        let color = ColorWhen::from(self.color);
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
                html: None,
                workdir: None,
                color,
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
                        _ => return Err(UsageError::AssignmentFormat),
                    },
                    verbose: args.verbose,
                    run: args.common.run_options(!args.no_trace),
                    output: args.output,
                    text: args.text_report,
                    gradescope: args.gradescope_results,
                })
            }
            Command::Check(args) => Plan::Check(check_plan(args, color)?),
            Command::Grade(g) if g.assignment.is_some() => {
                if !g.submissions.is_dir() {
                    return Err(UsageError::NoSubmissions(g.submissions));
                }
                Plan::AssignmentGrade(AssignmentGradePlan {
                    file: g.assignment.unwrap_or_default(),
                    submissions: g.submissions,
                    out: g.out,
                    jobs: jobs(g.jobs)?,
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
                    html: t.html,
                    run: t.common.run_options(true),
                })
            }
            Command::Grade(g) => {
                if !g.submissions.is_dir() {
                    return Err(UsageError::NoSubmissions(g.submissions));
                }
                let jobs = jobs(g.jobs)?;
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
            Command::Inspect { id, json } => Plan::Inspect(InspectPlan { id, json }),
            Command::Dev(DevCommand::Check(common)) => Plan::DevCheck(common.run_options(true)),
            Command::Dev(DevCommand::Starters { write }) => Plan::DevStarters { write },
            Command::Dev(DevCommand::Diagram { check }) => Plan::DevDiagram { check },
            Command::Explain { topic } => Plan::Explain(
                topic
                    .map(|t| text(&t, Word::Topic).map(str::to_string))
                    .transpose()?,
            ),
            Command::Gradescope {
                out,
                labs,
                visibility,
                limit,
                full,
                assignment,
            } => Plan::Gradescope(GradescopePlan {
                out,
                assignment,
                settings: Settings {
                    labs: labs
                        .iter()
                        .map(|l| lab_arg(l).map(|l| l.name().to_string()))
                        .collect::<Result<_, _>>()?,
                    visibility: visibility.into(),
                    limit_secs: limit,
                    full,
                    assignment: None,
                },
            }),
            Command::Autograde { root } => Plan::Autograde(AutogradePlan {
                root: root.unwrap_or_else(crate::app::autograde::default_root),
            }),
            Command::Watch { lang, dir, common } => Plan::Watch(WatchPlan {
                source: source(false, None, dir, lang.into())?,
                run: common.run_options(true),
            }),
            Command::Completions { shell } => {
                let mut out = Vec::new();
                clap_complete::generate(shell, &mut Cli::command(), "shmlab", &mut out);
                if shell == clap_complete::Shell::Bash {
                    // And `cargo shmlab`, the alias students run.
                    out.extend_from_slice(include_bytes!("cargo-completion.bash"));
                }
                Plan::Print(out)
            }
            Command::Man {
                command: None,
                out: Some(dir),
            } => Plan::ManPages(dir),
            #[cfg(not(feature = "full"))]
            Command::Man { .. } => return Err(UsageError::NotInThisBuild(FullOnly::ManPages)),
            #[cfg(feature = "full")]
            Command::Man { command, out: None } => {
                Plan::Print(man::man_page(command.as_deref()).ok_or_else(|| {
                    UsageError::NoManPage {
                        name: command.unwrap_or_default(),
                        pages: man::pages().join(", "),
                    }
                })?)
            }
            #[cfg(feature = "full")]
            Command::Man {
                command: Some(_),
                out: Some(_),
            } => unreachable!("clap: --out conflicts with COMMAND"),
            Command::Hint { lab, lang, all } => Plan::Hint {
                lab: lab_arg(&lab)?,
                track: lang.map(Into::into),
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

fn check_plan(args: CheckArgs, color: ColorWhen) -> Result<CheckPlan, UsageError> {
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
            FormatArg::Html => Format::Html,
        },
        verbose: args.verbose,
        run: args.common.run_options(!args.no_trace),
        partial: args.partial,
        output: args.output,
        html: args.html,
        workdir: args.workdir,
        color,
    })
}

/// `--jobs`, or the number of cores; 0 is no number of jobs.
fn jobs(asked: Option<usize>) -> Result<usize, UsageError> {
    let jobs = asked.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if jobs == 0 {
        return Err(UsageError::NoJobs);
    }
    Ok(jobs)
}
