//! `Ctx` and `evaluate` on made-up observations: no process runs here.

use std::collections::BTreeMap;

use super::*;
use crate::model::{Lab, Observation, RunRecord, SegmentState, Snapshot, Termination};

fn segment(id: i32, cpid: i32) -> SegmentState {
    SegmentState {
        id,
        key: 0x5eed_0001 + id,
        size: 4096,
        mode: 0o644,
        uid: 1000,
        gid: 1000,
        cuid: 1000,
        cgid: 1000,
        cpid,
        lpid: 0,
        nattch: 0,
        atime: 0,
        dtime: 0,
        ctime: 1_700_000_000,
    }
}

fn run(termination: Termination, stdout: &str, stderr: &str) -> RunRecord {
    RunRecord {
        argv: vec!["prog".into()],
        stdin: None,
        pid: 77,
        termination,
        stdout: stdout.into(),
        stderr: stderr.into(),
        dropped: 0,
        dropped_by_stream: Default::default(),
        started: 1_700_000_000,
        timeline: None,
        survivors: Vec::new(),
        children: 0,
        left_namespace: false,
        spawn_failed: None,
        fault: None,
        exchanges: Vec::new(),
    }
}

/// One setup segment (id 0) before, `after` after the run.
fn observation(run: RunRecord, after: Vec<SegmentState>) -> Observation {
    Observation {
        keys: vec![shm::Key::new(0x5eed_0001)],
        free_key: shm::Key::new(0x5eed_00ff),
        setup_ids: vec![0],
        program_uid: 1000,
        program_gid: 1000,
        snapshots: vec![
            Snapshot {
                label: "before".into(),
                segments: vec![segment(0, 1)],
            },
            Snapshot {
                label: "after run 1".into(),
                segments: after,
            },
        ],
        runs: vec![run],
        after_run: vec![1],
        contents: vec![BTreeMap::new()],
        initial_contents: vec![vec![0; 4096]],
        tracing: Err("not traced in this test".into()),
        left_out: Vec::new(),
    }
}

fn scenario(lab: Lab, expect: fn(&mut Ctx<'_>)) -> Scenario {
    Scenario {
        lab,
        slug: "test/scenario",
        title: "a made-up scenario",
        purpose: Purpose::Behaviour,
        needs: Vec::new(),
        setup: vec![SegmentSpec::new(4096, 0o644)],
        steps: Vec::new(),
        read_contents: false,
        expect,
    }
}

#[test]
fn a_clean_exit_with_the_expected_status_passes() {
    let obs = observation(
        run(Termination::Exited { code: 0 }, "", ""),
        vec![segment(0, 1)],
    );
    let e = evaluate(
        &scenario(Lab::Access, |c| {
            c.status(0);
        }),
        &obs,
    );
    assert_eq!(e.verdict, Verdict::Passed);
    assert_eq!(e.stop, None);
}

#[test]
fn a_todo_panic_stops_the_checks_as_not_implemented() {
    let obs = observation(
        run(
            Termination::Exited { code: 101 },
            "",
            "thread 'main' panicked at src/bin/access.rs:9:5:\nnot yet implemented: lab access",
        ),
        vec![segment(0, 1)],
    );
    let e = evaluate(
        &scenario(Lab::Access, |c| {
            c.status(0);
            c.stdout("0\n", |_| "print the id".into());
        }),
        &obs,
    );
    assert_eq!(e.verdict, Verdict::Failed);
    assert_eq!(e.stop, Some(Stop::NotImplemented));
    assert_eq!(e.checks.len(), 1, "nothing is checked after the stop");
    assert!(e.checks[0]
        .hint
        .as_deref()
        .unwrap()
        .contains("not implemented yet"));
}

#[test]
fn a_crash_is_one_check_naming_the_signal() {
    let obs = observation(
        run(
            Termination::Signaled {
                signal: libc::SIGSEGV,
                core_dumped: false,
            },
            "",
            "",
        ),
        vec![segment(0, 1)],
    );
    let e = evaluate(
        &scenario(Lab::Attach, |c| {
            c.status(0);
        }),
        &obs,
    );
    assert_eq!(e.stop, Some(Stop::Crashed));
    assert_eq!(e.checks[0].actual, "killed by SIGSEGV");
}

#[test]
fn a_segment_left_behind_is_reported_outside_create_only() {
    let obs = observation(
        run(Termination::Exited { code: 0 }, "", ""),
        vec![segment(0, 1), segment(1, 77)],
    );
    let e = evaluate(
        &scenario(Lab::Stat, |c| {
            c.status(0);
        }),
        &obs,
    );
    assert_eq!(e.verdict, Verdict::Failed);
    let leak = e
        .checks
        .iter()
        .find(|c| c.field == "segments-created")
        .unwrap();
    assert!(!leak.passed);
    assert!(leak.actual.contains("created by pid 77"), "{}", leak.actual);
    let e = evaluate(
        &scenario(Lab::Create, |c| {
            c.status(0);
        }),
        &obs,
    );
    assert_eq!(e.verdict, Verdict::Passed, "create makes segments");
}

#[test]
fn unchanged_names_each_field_that_moved() {
    let mut moved = segment(0, 1);
    moved.nattch = 1;
    moved.lpid = 77;
    let obs = observation(run(Termination::Exited { code: 0 }, "", ""), vec![moved]);
    let e = evaluate(
        &scenario(Lab::Access, |c| {
            c.unchanged(0, "leave it alone");
        }),
        &obs,
    );
    let fields: Vec<&str> = e
        .checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| c.field)
        .collect();
    assert_eq!(fields, vec!["lpid", "nattch"]);
}

#[test]
fn timeline_checks_are_skipped_with_the_reason_when_not_traced() {
    let obs = observation(
        run(Termination::Exited { code: 0 }, "", ""),
        vec![segment(0, 1)],
    );
    let e = evaluate(
        &scenario(Lab::Access, |c| {
            c.status(0);
            c.with_timeline("the calls", |_, _| panic!("there is no timeline"));
        }),
        &obs,
    );
    assert_eq!(
        e.verdict,
        Verdict::Passed,
        "a skipped check is not a failure"
    );
    assert_eq!(
        e.checks[1].skipped.as_deref(),
        Some("not traced in this test")
    );
}

#[test]
fn errno_names_and_texts_are_both_recognised() {
    assert_eq!(errno_in("shmget: ENOENT"), Some("ENOENT"));
    assert_eq!(
        errno_in("shmget: No such file or directory"),
        Some("ENOENT")
    );
    assert_eq!(errno_in("all good"), None);
}
