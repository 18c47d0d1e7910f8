//! Every renderer on anything a report can hold: the scenarios evaluated on generated
//! observations, any verdict and lab problem, and the trace of any calls.

use proptest::collection::vec;
use proptest::prelude::*;

use shmlab_checker::catalogue;
use shmlab_checker::model::lab::{LabProblem, Unreachable};
use shmlab_checker::model::Lab;
use shmlab_checker::report::{self, github, human, json, junit, list, words};
use shmlab_checker::report::{LabReport, Report, RunsAs, ScenarioReport};
use shmlab_checker::run::isolation::{Isolation, IsolationChoice, IsolationReason};
use shmlab_checker::run::process::{KillReason, ProcessEnd, RunOutput};
use shmlab_checker::scenario::{evaluate, Stop, Verdict};

use super::{check, gen};

fn verdict() -> impl Strategy<Value = Option<Verdict>> {
    prop_oneof![
        6 => Just(None),
        1 => gen::text().prop_map(|t| Some(Verdict::Skipped(t))),
        1 => gen::text().prop_map(|t| Some(Verdict::Error(t))),
        1 => Just(Some(Verdict::Passed)),
        1 => Just(Some(Verdict::Failed)),
    ]
}

fn stop() -> impl Strategy<Value = Option<Stop>> {
    proptest::option::weighted(
        0.2,
        proptest::sample::select(vec![
            Stop::NotImplemented,
            Stop::Panicked,
            Stop::Crashed,
            Stop::TimedOut,
            Stop::KilledItsParent,
            Stop::ForkLoop,
            Stop::LeftNamespace,
            Stop::CouldNotStart,
            Stop::UsageRejected,
        ]),
    )
}

fn problem() -> impl Strategy<Value = Option<LabProblem>> {
    let t = gen::text;
    proptest::option::weighted(
        0.15,
        prop_oneof![
            (t(), proptest::option::of(t()), proptest::option::of(t())).prop_map(
                |(file, first_error, errors)| LabProblem::DoesNotCompile {
                    file,
                    first_error,
                    errors
                }
            ),
            (t(), proptest::option::of(t()), proptest::option::of(t())).prop_map(
                |(file, why, errors)| LabProblem::SourceDoesNotCompile { file, why, errors }
            ),
            (t(), t()).prop_map(|(package, name)| LabProblem::NoBinary { package, name }),
            t().prop_map(|p| LabProblem::NotFound { path: p.into() }),
            t().prop_map(|p| LabProblem::NotExecutable { path: p.into() }),
            (t(), any::<u32>(), any::<i32>(), proptest::option::of(t())).prop_map(
                |(program, uid, code, said)| LabProblem::CouldNotStart {
                    program,
                    uid,
                    code,
                    said
                }
            ),
            (t(), any::<u32>(), t()).prop_map(|(program, uid, error)| LabProblem::CannotExecute {
                program,
                uid,
                error
            }),
            (t(), any::<u32>(), t(), 0..4u8).prop_map(|(program, uid, text, k)| {
                LabProblem::Unreachable {
                    program,
                    uid,
                    what: match k {
                        0 => Unreachable::Interpreter(text.into()),
                        1 => Unreachable::Program,
                        2 => Unreachable::CopyNotExecutable,
                        _ => Unreachable::CopyFailed(text),
                    },
                }
            }),
        ],
    )
}

/// A scenario of `lab` evaluated on a generated observation, its verdict and stop perhaps
/// replaced by any other.
fn scenario_report(lab: Lab) -> impl Strategy<Value = ScenarioReport> {
    let n = catalogue::scenarios(lab).len();
    (0..n).prop_flat_map(move |i| {
        let s = catalogue::scenarios(lab).swap_remove(i);
        (gen::observation(&s), verdict(), stop()).prop_map(move |(obs, verdict, stop)| {
            let e = evaluate(&s, &obs);
            ScenarioReport {
                slug: s.slug,
                title: s.title,
                purpose: s.purpose,
                verdict: verdict.unwrap_or(e.verdict),
                checks: e.checks,
                stop: stop.or(e.stop),
                runs: obs.runs,
                snapshots: obs.snapshots,
                elapsed: std::time::Duration::ZERO,
            }
        })
    })
}

/// An entry a folder's copy left out: any name (the student chose it), any reason.
fn left_out() -> impl Strategy<Value = shmlab_checker::model::copied::Skipped> {
    use shmlab_checker::model::copied::{SkipReason, Skipped};
    let why = proptest::sample::select(vec![
        SkipReason::SymbolicLink,
        SkipReason::NotAFile,
        SkipReason::HardLink,
        SkipReason::OtherFileSystem,
        SkipReason::TooDeep,
        SkipReason::Unreadable,
        SkipReason::OverLimit,
    ]);
    (gen::text(), why).prop_map(|(name, why)| Skipped {
        path: name.into(),
        why,
    })
}

fn lab_report() -> impl Strategy<Value = LabReport> {
    proptest::sample::select(Lab::ALL.to_vec()).prop_flat_map(|lab| {
        (
            vec(scenario_report(lab), 0..3),
            problem(),
            proptest::option::of(gen::text()),
            vec(left_out(), 0..3),
        )
            .prop_map(move |(scenarios, problem, program, left_out)| LabReport {
                lab,
                program,
                problem,
                scenarios,
                left_out,
            })
    })
}

fn isolation() -> impl Strategy<Value = IsolationChoice> {
    prop_oneof![
        any::<bool>().prop_map(|u| IsolationChoice {
            mode: Isolation::Namespace,
            reason: IsolationReason::NamespacesAllowed {
                in_user_namespace: u
            },
        }),
        Just(IsolationChoice {
            mode: Isolation::Keys,
            reason: IsolationReason::KeysRequested
        }),
        gen::text().prop_map(|t| IsolationChoice {
            mode: Isolation::Keys,
            reason: IsolationReason::NamespacesForbidden(t),
        }),
    ]
}

fn report() -> impl Strategy<Value = Report> {
    let runs_as = prop_oneof![
        any::<u32>().prop_map(RunsAs::OwnUid),
        (any::<u32>(), proptest::option::of(gen::text())).prop_map(|(uid, e)| RunsAs::RunUid {
            uid,
            own: e.map_or(Ok(()), Err)
        }),
    ];
    (
        gen::text(),
        isolation(),
        runs_as,
        proptest::option::of(gen::text()),
        vec(lab_report(), 0..3),
    )
        .prop_map(|(source, isolation, runs_as, tracing, labs)| Report {
            source,
            isolation,
            runs_as,
            tracing,
            labs,
        })
}

/// An HTML page the renderers wrote parses as XML, with no script in it.
fn well_formed(page: &[u8]) -> Result<(), TestCaseError> {
    let text = std::str::from_utf8(page).unwrap();
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(text, options);
    prop_assert!(doc.is_ok(), "{:?}", doc.err());
    let doc = doc.unwrap();
    prop_assert!(doc.descendants().all(|n| n.tag_name().name() != "script"));
    Ok(())
}

fn renders(r: Report) -> Result<(), TestCaseError> {
    for (color, verbose) in [(false, false), (true, true)] {
        let mut out = Vec::new();
        human::render(&r, human::Style { color, verbose }, &mut out).unwrap();
        prop_assert!(!out.is_empty());
    }
    let mut out = Vec::new();
    json::render(&r, &mut out).unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    prop_assert!(doc.is_object());
    let mut out = Vec::new();
    junit::render(&r, &mut out).unwrap();
    let mut out = Vec::new();
    github::render(&r, &mut out).unwrap();
    // The page, pictures and all, is well-formed whatever the report holds.
    let mut out = Vec::new();
    report::html::render(&r, &mut out).unwrap();
    well_formed(&out)?;
    for lab in &r.labs {
        for s in &lab.scenarios {
            let _ = json::test_value(lab.lab, None, s);
        }
    }
    let _ = (r.summary(), r.counts(), words::untraced_keys_limit(&r));
    let progress = r.labs.iter().map(|l| (l.lab, r.source.clone())).collect();
    list::render(&r, &progress, &mut Vec::new()).unwrap();
    Ok(())
}

#[test]
fn every_format_renders_any_report_without_panic() {
    check(
        "every_format_renders_any_report_without_panic",
        256,
        report,
        renders,
    );
}

fn process_end() -> impl Strategy<Value = ProcessEnd> {
    (
        prop_oneof![3 => (0usize..3).prop_map(gen::pid), 1 => any::<i32>()],
        gen::termination(),
        proptest::option::of(proptest::sample::select(vec![
            KillReason::Outlived,
            KillReason::Timeout,
            KillReason::TooManyProcesses,
            KillReason::LeftNamespace,
            KillReason::Interrupted,
        ])),
        prop_oneof![0..10usize, Just(usize::MAX)],
    )
        .prop_map(
            |(pid, termination, killed_by_checker, after_events)| ProcessEnd {
                pid,
                termination,
                killed_by_checker,
                after_events,
            },
        )
}

type TraceCase = (
    Vec<String>,
    IsolationChoice,
    RunOutput,
    Vec<shmlab_checker::model::TraceEvent>,
    Vec<shmlab_checker::model::SegmentState>,
    bool,
);

fn trace_case() -> impl Strategy<Value = TraceCase> {
    let output = (
        gen::termination(),
        (vec(any::<u8>(), 0..64), vec(any::<u8>(), 0..64)),
        (any::<u64>(), any::<u64>(), any::<u64>()),
        vec(process_end(), 0..4),
        (vec(any::<i32>(), 0..2), any::<usize>(), any::<bool>()),
    )
        .prop_map(
            |(
                termination,
                (stdout, stderr),
                (dropped, o, e),
                ends,
                (survivors, children, left_namespace),
            )| RunOutput {
                pid: gen::pid(0),
                termination,
                stdout,
                stderr,
                dropped,
                dropped_by_stream: shmlab_checker::model::run::Dropped {
                    stdout: o,
                    stderr: e,
                },
                elapsed: std::time::Duration::from_millis(5),
                survivors,
                children,
                left_namespace,
                spawn_failed: None,
                fault: None,
                ends,
                exchanges: Vec::new(),
            },
        );
    (
        vec(gen::text(), 0..4),
        isolation(),
        output,
        vec(gen::event(), 0..10),
        vec(gen::segment(), 0..3),
        any::<bool>(),
    )
}

fn traces(
    (command, choice, output, events, left, terminal_stdin): TraceCase,
) -> Result<(), TestCaseError> {
    let t = report::trace::Trace {
        command: &command,
        choice: &choice,
        output: &output,
        events: &events,
        left: &left,
        terminal_stdin,
    };
    let mut out = Vec::new();
    report::trace::render(&t, &mut out).unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let mut page = Vec::new();
    report::html::render_trace(&t, &text, &mut page).unwrap();
    well_formed(&page)?;
    for e in &events {
        let _ = (words::event_line(e), words::effect_text(e), e.call_line());
    }
    for end in &output.ends {
        let _ = report::trace::end_text(end);
    }
    Ok(())
}

#[test]
fn the_trace_renders_any_calls_and_ends_without_panic() {
    check(
        "the_trace_renders_any_calls_and_ends_without_panic",
        512,
        trace_case,
        traces,
    );
}
