//! The catalogue's hints, on made-up values: whole values, never substrings, and the cause the
//! trace shows rather than a guess.

use super::expect::id_hint;
use super::set::set_mode_hint;
use crate::model::timeline::SetFields;
use shm::Key;

const KEY: Key = Key::new(0x5eed_0001);

#[test]
fn the_key_printed_instead_of_the_id_is_recognised_in_decimal_and_hex() {
    for printed in ["1592590337\n", "0x5eed0001\n", "5eed0001\n"] {
        let hint = id_hint(printed, 0, KEY, "the new segment's id");
        assert!(
            hint.contains("the key (0x5eed0001) was printed, not the id"),
            "{printed}: {hint}"
        );
        assert!(!hint.contains("no labels"), "{hint}");
    }
}

#[test]
fn an_id_among_other_words_is_a_label_but_a_digit_inside_a_number_is_not() {
    assert!(id_hint("id=5\n", 5, KEY, "x").contains("print only the id"));
    // 10 contains the digit 0, which is the id here: a substring is not the id.
    let hint = id_hint("10\n", 0, KEY, "the new segment's id");
    assert!(hint.contains("the id printed (10) is not"), "{hint}");
}

#[test]
fn a_mode_ored_into_the_old_one_is_named_from_the_ipc_set_call() {
    let set = |mode| {
        Some(Some(SetFields {
            uid: 1,
            gid: 1,
            mode,
        }))
    };
    let hint = set_mode_hint(0o640, 0o600, 0o640, set(0o640));
    assert!(hint.contains("IPC_SET was given mode 0640, yet"), "{hint}");
    let hint = set_mode_hint(0o604, 0o640, 0o644, set(0o644));
    assert!(
        hint.contains("IPC_SET was given mode 0644, the old bits 0640 OR'ed with 0604"),
        "{hint}"
    );
    // 0600 OR'ed into 0644 is 0644 again: what was given is said, and both readings.
    let hint = set_mode_hint(0o600, 0o644, 0o644, set(0o644));
    assert!(
        hint.contains("IPC_SET was given mode 0644, the segment's old mode"),
        "{hint}"
    );
    assert!(hint.contains("OR-ing 0600 into 0644 gives 0644"), "{hint}");
    let hint = set_mode_hint(0o600, 0o644, 0o644, Some(None));
    assert!(hint.contains("made no IPC_SET call"), "{hint}");
    // Untraced: what the snapshot shows, no claim about the call.
    let hint = set_mode_hint(0o604, 0o640, 0o644, None);
    assert!(
        hint.contains("the mode became 0644, the old bits 0640 OR'ed with 0604"),
        "{hint}"
    );
    let hint = set_mode_hint(0o600, 0o644, 0o644, None);
    assert!(hint.contains("the mode did not change"), "{hint}");
}

// Hints from evidence, on made-up observations of the catalogue's own scenarios ------------

use std::collections::BTreeMap;

use crate::model::{
    Call, Effect, Observation, Return, RunRecord, SegmentBytes, SegmentState, Snapshot,
    Termination, TraceEvent,
};
use crate::scenario::{evaluate, Arg, Check, Kind, Scenario, Step};

const PID: i32 = 4242;
/// The address every made-up successful shmat returns.
const ADDR: i64 = 0x7f00_0000_0000;

fn scenario_named(slug: &str) -> Scenario {
    super::all()
        .into_iter()
        .find(|s| s.slug == slug)
        .unwrap_or_else(|| panic!("no scenario {slug}"))
}

fn ev(pid: i32, call: Call, ret: Return) -> TraceEvent {
    TraceEvent {
        pid,
        call,
        ret: Some(ret),
        segment: None,
        segment_id: None,
        held: None,
        effect: Effect::Call { before: None },
        repeats: 0,
        held_cut: false,
    }
}

/// One made-up run: how it ended, what it printed, its trace (`None`: not traced).
struct Made {
    end: Termination,
    stdout: String,
    stderr: String,
    trace: Option<Vec<Call>>,
    /// Segments the run made, in the snapshot after it.
    created: Vec<SegmentState>,
}

impl Made {
    fn exit(code: i32, stdout: &str, trace: Option<Vec<Call>>) -> Made {
        Made {
            end: Termination::Exited { code },
            stdout: stdout.into(),
            stderr: String::new(),
            trace,
            created: Vec::new(),
        }
    }
}

fn state(id: i32, key: i32, size: usize, mode: u32, nattch: u64) -> SegmentState {
    SegmentState {
        id,
        key,
        size,
        mode,
        uid: 65534,
        gid: 65534,
        cuid: 65534,
        cgid: 65534,
        cpid: 1,
        lpid: 0,
        nattch,
        atime: 0,
        dtime: 0,
        ctime: 1_700_000_000,
    }
}

/// The result a made-up call returns: success, with the setup segment's id or [`ADDR`].
fn result(call: &Call) -> Return {
    match call {
        Call::Shmat { .. } => Return::Value(ADDR),
        Call::Shmget { key, .. } if *key == 0 => Return::Value(7),
        _ => Return::Value(0),
    }
}

/// An observation of `s` where every run is `made`, and the setup segments are left as the
/// setup made them.
fn observe(s: &Scenario, made: &Made) -> Observation {
    let keys: Vec<shm::Key> = (0..s.setup.len())
        .map(|i| shm::Key::new(0x5eed_0001 + i as i32))
        .collect();
    let free_key = shm::Key::new(0x5eed_00ff);
    let setup: Vec<SegmentState> = s
        .setup
        .iter()
        .enumerate()
        .map(|(i, spec)| {
            let locked = if spec.locked { 0o2000 } else { 0 };
            state(
                i as i32,
                keys[i].raw(),
                spec.size,
                spec.mode | locked,
                spec.held as u64,
            )
        })
        .collect();
    let initial: Vec<Vec<u8>> = s.setup.iter().map(|spec| spec.initial_bytes()).collect();
    let mut snapshots = vec![Snapshot {
        label: "before".into(),
        segments: setup.clone(),
    }];
    let (mut runs, mut after_run, mut contents) = (Vec::new(), Vec::new(), Vec::new());
    for (n, step) in s.steps.iter().enumerate() {
        let mut segments = setup.clone();
        if let Step::Run(inv) = step {
            let pid = PID + runs.len() as i32;
            let argv = std::iter::once("prog".to_string())
                .chain(inv.args.iter().map(|a| match a {
                    Arg::Lit(t) => t.clone(),
                    Arg::Key(i) => keys[*i].to_string(),
                    Arg::FreeKey => free_key.to_string(),
                }))
                .collect();
            let timeline = made.trace.as_ref().map(|calls| {
                calls
                    .iter()
                    .map(|c| ev(pid, c.clone(), result(c)))
                    .collect()
            });
            runs.push(RunRecord {
                argv,
                stdin: inv
                    .stdin
                    .as_ref()
                    .map(|b| String::from_utf8_lossy(b).into_owned()),
                pid,
                termination: made.end,
                stdout: made.stdout.clone(),
                stderr: made.stderr.clone(),
                dropped: 0,
                dropped_by_stream: Default::default(),
                started: 1_700_000_000,
                timeline,
                survivors: vec![],
                children: 0,
                left_namespace: false,
                spawn_failed: None,
                fault: None,
                exchanges: Vec::new(),
            });
            segments.extend(made.created.iter().cloned());
            after_run.push(n + 1);
            let mut bytes = BTreeMap::new();
            if s.read_contents {
                for (seg, b) in setup.iter().zip(&initial) {
                    bytes.insert(
                        seg.id,
                        SegmentBytes {
                            bytes: b.clone(),
                            past_size: vec![],
                        },
                    );
                }
            }
            contents.push(bytes);
        }
        snapshots.push(Snapshot {
            label: format!("after step {}", n + 1),
            segments,
        });
    }
    Observation {
        keys,
        free_key,
        setup_ids: (0..s.setup.len() as i32).collect(),
        program_uid: 65534,
        program_gid: 65534,
        snapshots,
        runs,
        after_run,
        contents,
        initial_contents: initial,
        tracing: if made.trace.is_some() {
            Ok(())
        } else {
            Err("not traced in this test".into())
        },
        left_out: Vec::new(),
    }
}

fn failed_checks(slug: &str, made: &Made) -> Vec<Check> {
    let s = scenario_named(slug);
    evaluate(&s, &observe(&s, made))
        .checks
        .into_iter()
        .filter(|c| !c.passed && c.skipped.is_none())
        .collect()
}

fn hints(checks: &[Check]) -> Vec<String> {
    checks.iter().filter_map(|c| c.hint.clone()).collect()
}

fn shmget(key: i32, flags: i32) -> Call {
    Call::Shmget {
        key,
        size: 0,
        flags,
    }
}

#[test]
fn a_reader_that_never_attached_is_not_told_its_text_was_cut_short() {
    // attach/read: shmget, no shmat, an empty line printed.
    let traced = Made::exit(0, "\n", Some(vec![shmget(0x5eed_0001, 0)]));
    let checks = failed_checks("attach/read", &traced);
    let stdout = checks.iter().find(|c| c.field == "stdout").unwrap();
    let hint = stdout.hint.as_deref().unwrap();
    assert!(hint.contains("the program made no shmat call"), "{hint}");
    for h in hints(&checks) {
        assert!(!h.contains("cut short"), "{h}");
    }
    // Untraced: what the output shows, no claim about a read that may not have happened.
    let untraced = Made::exit(0, "\n", None);
    let checks = failed_checks("attach/read", &untraced);
    let hint = checks
        .iter()
        .find(|c| c.field == "stdout")
        .unwrap()
        .hint
        .clone();
    let hint = hint.unwrap();
    assert!(hint.contains("an empty line was printed"), "{hint}");
    assert!(!hint.contains("cut short"), "{hint}");
    // An attached reader that printed part of the text was cut short.
    let attached = Made::exit(
        0,
        "greet\n",
        Some(vec![
            shmget(0x5eed_0001, 0),
            Call::Shmat {
                id: 0,
                addr: 0,
                flags: 0,
            },
        ]),
    );
    let hint = failed_checks("attach/read", &attached)
        .into_iter()
        .find(|c| c.field == "stdout")
        .and_then(|c| c.hint)
        .unwrap();
    assert!(hint.contains("cut short"), "{hint}");
}

#[test]
fn ipc_excl_with_ipc_private_is_blamed_on_the_key_not_on_a_missing_ipc_excl() {
    let private = state(7, 0, 4096, 0o644, 0);
    let flags = libc::IPC_CREAT | libc::IPC_EXCL | 0o644;
    let mut made = Made::exit(0, "7\n", Some(vec![shmget(0, flags)]));
    made.created = vec![private];
    let checks = failed_checks("create/exclusive-existing", &made);
    let status = checks.iter().find(|c| c.field == "status").unwrap();
    let hint = status.hint.as_deref().unwrap();
    assert!(hint.contains("used key 0 (IPC_PRIVATE), not KEY"), "{hint}");
    assert!(
        hint.contains("IPC_PRIVATE always makes a new segment"),
        "{hint}"
    );
    for h in hints(&checks) {
        assert!(!h.contains("must add IPC_EXCL"), "{h}");
    }
    // Untraced, the segment the run left says the same.
    made.trace = None;
    let checks = failed_checks("create/exclusive-existing", &made);
    let hint = checks
        .iter()
        .find(|c| c.field == "status")
        .unwrap()
        .hint
        .clone();
    let hint = hint.unwrap();
    assert!(
        hint.contains("IPC_PRIVATE always makes a new segment"),
        "{hint}"
    );
    assert!(!hint.contains("must add IPC_EXCL"), "{hint}");
}

#[test]
fn a_program_that_never_called_shmctl_is_not_told_how_to_report_its_failure() {
    let calls = vec![
        shmget(0x5eed_0001, 0),
        Call::Shmat {
            id: 0,
            addr: 0,
            flags: 0,
        },
        Call::Shmdt { addr: ADDR as u64 },
    ];
    for slug in ["remove/not-owner", "set/not-owner"] {
        let checks = failed_checks(slug, &Made::exit(0, "", Some(calls.clone())));
        let errno = checks.iter().find(|c| c.field == "errno").unwrap();
        let hint = errno.hint.as_deref().unwrap();
        assert!(
            hint.contains("the program made no shmctl call"),
            "{slug}: {hint}"
        );
        for h in hints(&checks) {
            assert!(!h.contains("when shmctl fails"), "{slug}: {h}");
        }
        // Untraced: what the lab needs, not a failure the program may never have had.
        let checks = failed_checks(slug, &Made::exit(0, "", None));
        let hint = checks
            .iter()
            .find(|c| c.field == "errno")
            .unwrap()
            .hint
            .clone();
        let hint = hint.unwrap();
        assert!(
            hint.contains("here shmctl fails with EPERM"),
            "{slug}: {hint}"
        );
        assert!(!hint.contains("when shmctl fails"), "{slug}: {hint}");
    }
}

/// Phrases that say the program made a call of `kind` or got something from it; `traced`,
/// also the causes only such a call can have (untraced, a crash lists every cause it can
/// have, as possibilities).
fn claims(kind: Kind, traced: bool) -> Vec<String> {
    let n = kind.name();
    let mut v: Vec<String> = [
        "{} failed",
        "{} succeeded",
        "{} was called",
        "{} was given",
        "after {}(",
        "the program's {}",
        "every {}",
        "its {}",
        "{} created",
        "{} of the program",
        "{} of KEY",
        "when {} fails",
    ]
    .iter()
    .map(|p| p.replace("{}", n))
    .collect();
    if !traced {
        return v;
    }
    match kind {
        // What only an attachment can do: be read, cut short, written through, faulted on.
        Kind::Shmat => v.extend(
            [
                "the kernel detached it",
                "cut short",
                "failed shmat",
                "SHM_RDONLY attachment",
                "segment's pages",
            ]
            .map(String::from),
        ),
        Kind::Shmdt => v.push("shmdt detached it".into()),
        Kind::Shmctl => v.extend(
            [
                "IPC_SET was given",
                "IPC_SET changed",
                "IPC_SET set",
                "IPC_RMID marked",
            ]
            .map(String::from),
        ),
        _ => {}
    }
    v
}

/// `hint` with the negations taken out: "made no shmctl call" says nothing was called.
fn affirmed(hint: &str) -> String {
    let mut h = hint.to_string();
    for kind in [Kind::Shmget, Kind::Shmat, Kind::Shmdt, Kind::Shmctl] {
        for neg in ["no ", "never called ", "without "] {
            h = h.replace(&format!("{neg}{}", kind.name()), "");
        }
    }
    h
}

#[test]
fn no_hint_of_any_scenario_claims_a_call_the_trace_does_not_hold() {
    let all = [Kind::Shmget, Kind::Shmat, Kind::Shmdt, Kind::Shmctl];
    let ends = [
        Termination::Exited { code: 0 },
        Termination::Exited { code: 1 },
        Termination::Exited { code: 2 },
        Termination::Signaled {
            signal: libc::SIGSEGV,
            core_dumped: false,
        },
    ];
    let mut problems = Vec::new();
    for s in super::all() {
        let key = if s.setup.is_empty() {
            0x5eed_00ff
        } else {
            0x5eed_0001
        };
        let get = shmget(key, 0);
        let at = Call::Shmat {
            id: 0,
            addr: 0,
            flags: 0,
        };
        let stat = Call::Shmctl {
            id: 0,
            cmd: libc::IPC_STAT,
            buf: 0x1000,
            set: None,
        };
        // `None`: not traced, when no hint may claim any call.
        let traces: [Option<Vec<Call>>; 6] = [
            None,
            Some(vec![]),
            Some(vec![get.clone()]),
            Some(vec![get.clone(), at.clone()]),
            Some(vec![get.clone(), at, Call::Shmdt { addr: ADDR as u64 }]),
            Some(vec![get, stat]),
        ];
        for trace in &traces {
            let absent: Vec<Kind> = all
                .into_iter()
                .filter(|k| !trace.iter().flatten().any(|c| k.matches(c)))
                .collect();
            for end in ends {
                for stdout in ["", "\n", "0\n", "hello\n"] {
                    let made = Made {
                        end,
                        stdout: stdout.into(),
                        stderr: String::new(),
                        trace: trace.clone(),
                        created: Vec::new(),
                    };
                    let e = evaluate(&s, &observe(&s, &made));
                    for c in &e.checks {
                        for said in c.hint.iter().chain(&c.note) {
                            let said = affirmed(said);
                            for k in &absent {
                                if let Some(claim) = claims(*k, trace.is_some())
                                    .into_iter()
                                    .find(|p| said.contains(p))
                                {
                                    problems.push(format!("{}: {:?} claims {claim:?} with no {k} in the trace: {said}", s.slug, c.what));
                                }
                            }
                            if trace.as_ref().is_none_or(Vec::is_empty)
                                && (said.contains("every shm call")
                                    || said.contains("shm calls the program made"))
                            {
                                problems.push(format!("{}: no call, yet: {said}", s.slug));
                            }
                        }
                    }
                }
            }
        }
    }
    problems.sort();
    problems.dedup();
    assert!(
        problems.is_empty(),
        "{} claims:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
