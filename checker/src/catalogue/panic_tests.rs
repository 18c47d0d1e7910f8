//! Observations that once made an evaluation panic (found in the field or by the property
//! tests, `checker/tests/fuzz/`), each evaluated again here: the checks and hints must come
//! out, and say something true.

use std::collections::BTreeMap;

use super::memo::contract;
use crate::model::{Observation, RunRecord, SegmentBytes, SegmentState, Snapshot, Termination};
use crate::scenario::{evaluate, Evaluation, Scenario, Step, Verdict};

const KEY: i32 = 0x5eed_00ff;

fn scenario(slug: &str) -> Scenario {
    super::all()
        .into_iter()
        .find(|s| s.slug == slug)
        .unwrap_or_else(|| panic!("no scenario {slug}"))
}

fn segment(size: usize, cpid: i32) -> SegmentState {
    SegmentState {
        id: 0,
        key: KEY,
        size,
        mode: 0o666,
        uid: 1000,
        gid: 1000,
        cuid: 1000,
        cgid: 1000,
        cpid,
        lpid: cpid,
        nattch: 0,
        atime: 1_700_000_000,
        dtime: 1_700_000_000,
        ctime: 1_700_000_000,
    }
}

fn run(pid: i32, stdin: &[u8], stdout: String) -> RunRecord {
    RunRecord {
        argv: vec!["memo".into(), format!("{KEY}")],
        stdin: Some(String::from_utf8_lossy(stdin).into_owned()),
        pid,
        termination: Termination::Exited { code: 0 },
        stdout,
        stderr: String::new(),
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

/// The runs of a memo scenario with no setup, each printing what the contract asks, by a
/// program that made the segment `size` bytes and leaves `bytes` in it.
fn memo_runs(s: &Scenario, size: usize, bytes: &[u8]) -> Observation {
    let stdins: Vec<Vec<u8>> = s
        .steps
        .iter()
        .filter_map(|st| match st {
            Step::Run(i) => Some(i.stdin.clone().unwrap_or_default()),
            Step::Checker(_) => None,
        })
        .collect();
    let mut found: Option<Vec<u8>> = None;
    let mut runs = Vec::new();
    for (i, stdin) in stdins.iter().enumerate() {
        let turn = contract::turn(found.as_deref(), stdin);
        runs.push(run(100 + i as i32, stdin, turn.stdout));
        found = Some(contract::text_of(bytes).to_vec());
    }
    let after = |n: usize| Snapshot {
        label: format!("after run {n}"),
        segments: vec![segment(size, 100)],
    };
    let contents = BTreeMap::from([(
        0,
        SegmentBytes {
            bytes: bytes.to_vec(),
            past_size: vec![0; 4096 - size],
        },
    )]);
    Observation {
        keys: Vec::new(),
        free_key: shm::Key::new(KEY),
        setup_ids: Vec::new(),
        program_uid: 1000,
        program_gid: 1000,
        snapshots: std::iter::once(Snapshot {
            label: "before".into(),
            segments: Vec::new(),
        })
        .chain((1..=runs.len()).map(after))
        .collect(),
        after_run: (1..=runs.len()).collect(),
        contents: vec![contents; runs.len()],
        runs,
        initial_contents: Vec::new(),
        tracing: Err("not traced in this test".into()),
        left_out: Vec::new(),
    }
}

fn hints(e: &Evaluation) -> Vec<&str> {
    e.checks
        .iter()
        .filter(|c| !c.passed)
        .filter_map(|c| c.hint.as_deref())
        .collect()
}

/// Issue 20: a 200-byte segment holding 200 bytes of text and no NUL made the contents hint
/// index byte 200 of a 200-byte slice, and the panic lost the whole report.
#[test]
fn text_filling_a_200_byte_segment_is_told_there_is_no_room_for_the_nul() {
    let s = scenario("memo/long-text");
    let Some(Step::Run(first)) = s.steps.first() else {
        panic!("memo/long-text starts with a run")
    };
    let stdin = first.stdin.clone().unwrap_or_default();
    let text = contract::turn(None, &stdin).writes.unwrap_or_default();
    assert_eq!(text.len(), contract::MAX_TEXT);
    let e = evaluate(&s, &memo_runs(&s, 200, &text));
    assert_eq!(e.verdict, Verdict::Failed);
    let hints = hints(&e);
    assert!(
        hints.iter().any(|h| h.contains("create it with size 201")),
        "{hints:#?}"
    );
    assert!(
        hints.iter().any(|h| h.contains(
            "the segment is only 200 bytes, so the 200 bytes of text fill it and leave no room for the NUL"
        )),
        "{hints:#?}"
    );
}
