//! Judging made-up observations: no program runs.

use std::collections::BTreeMap;
use std::path::Path;

use super::*;
use crate::model::{RunRecord, SegmentBytes, Snapshot};
use crate::scenario::answer::Answer;

const FILE: &str = r#"
name = "t"
[[scenario]]
name = "two-runs"
[[scenario.run]]
answers = ["change: yes", "text: alpha", "delete: no"]
expect = { segment = "exists", size_at_least = 200, text = "alpha" }
[[scenario.run]]
answers = ["change: no", "delete: no"]
expect = { segment = "exists", same_segment = true, text = "alpha", shows_previous_text = true }
"#;

fn seg(id: i32, key: i32, size: usize) -> SegmentState {
    SegmentState {
        id,
        key,
        size,
        mode: 0o666,
        uid: 1000,
        gid: 1000,
        cuid: 1000,
        cgid: 1000,
        cpid: 50,
        lpid: 50,
        nattch: 0,
        atime: 0,
        dtime: 0,
        ctime: 1_700_000_000,
    }
}

pub(super) fn run(stdout: &str) -> RunRecord {
    RunRecord {
        argv: vec!["prog".into()],
        stdin: None,
        pid: 50,
        termination: Termination::Exited { code: 0 },
        stdout: stdout.into(),
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

fn bytes(text: &str, size: usize) -> SegmentBytes {
    let mut b = text.as_bytes().to_vec();
    b.resize(size, 0);
    SegmentBytes {
        bytes: b,
        past_size: vec![0; 16],
    }
}

/// Two runs; after each, `after[i]` with the text `texts[i]` in each segment.
fn observation(after: [Vec<SegmentState>; 2], texts: [&str; 2], out: [&str; 2]) -> Observation {
    let contents = after
        .iter()
        .zip(texts)
        .map(|(segs, t)| {
            segs.iter()
                .map(|s| (s.id, bytes(t, s.size)))
                .collect::<BTreeMap<_, _>>()
        })
        .collect();
    let [a, b] = after;
    Observation {
        keys: Vec::new(),
        free_key: shm::Key::new(0x5eed_00ff),
        setup_ids: Vec::new(),
        program_uid: 1000,
        program_gid: 1000,
        snapshots: vec![
            Snapshot {
                label: "before".into(),
                segments: Vec::new(),
            },
            Snapshot {
                label: "after run 1".into(),
                segments: a,
            },
            Snapshot {
                label: "after run 2".into(),
                segments: b,
            },
        ],
        runs: vec![run(out[0]), run(out[1])],
        after_run: vec![1, 2],
        contents,
        initial_contents: Vec::new(),
        tracing: Err("not traced".into()),
        left_out: Vec::new(),
    }
}

fn assignment() -> Assignment {
    crate::assignment::parse(FILE, Path::new("t.toml")).unwrap()
}

#[test]
fn a_segment_kept_at_the_programs_own_key_passes() {
    let a = assignment();
    let obs = observation(
        [vec![seg(0, 0x1234, 256)], vec![seg(0, 0x1234, 256)]],
        ["alpha", "alpha"],
        ["created", "it holds alpha"],
    );
    let j = judge(&a, &a.scenarios[0], &obs);
    assert_eq!(j.verdict, Verdict::Passed, "{:#?}", j.checks);
    assert_eq!(j.earned, 1);
}

#[test]
fn a_private_segment_per_run_is_a_leak_and_loses_the_text() {
    let a = assignment();
    let obs = observation(
        [vec![seg(0, 0, 256)], vec![seg(0, 0, 256), seg(1, 0, 256)]],
        ["alpha", ""],
        ["", ""],
    );
    let j = judge(&a, &a.scenarios[0], &obs);
    assert_eq!(j.verdict, Verdict::Failed);
    assert!(
        j.generic.iter().any(|g| g.kind == Kind::LeakPerRun),
        "{:#?}",
        j.generic
    );
    // Its check says it is a generic one, and that the segments seen name its one cause;
    // the run's own expectations are expectations.
    use crate::model::check::{Certainty, CheckKind};
    let leak = j.checks.iter().find(|c| c.kind == CheckKind::Generic);
    let leak = leak.expect("a generic check");
    assert!(leak.what.contains("leak_per_run"), "{leak:?}");
    assert_eq!(leak.certainty, Certainty::Definite);
    assert!(j
        .checks
        .iter()
        .filter(|c| !c.what.contains("leak_per_run"))
        .all(|c| c.kind == CheckKind::Expectation));
}

#[test]
fn a_stored_newline_passes_with_a_note() {
    let a = assignment();
    let obs = observation(
        [vec![seg(0, 7, 200)], vec![seg(0, 7, 200)]],
        ["alpha\n", "alpha\n"],
        ["", "alpha"],
    );
    let j = judge(&a, &a.scenarios[0], &obs);
    assert_eq!(j.verdict, Verdict::Passed, "{:#?}", j.checks);
    assert!(j
        .checks
        .iter()
        .any(|c| c.note.as_deref().is_some_and(|n| n.contains("newline"))));
}

#[test]
fn a_segment_too_small_fails_on_its_size_with_the_fix() {
    let a = assignment();
    let obs = observation(
        [vec![seg(0, 7, 100)], vec![seg(0, 7, 100)]],
        ["alpha", "alpha"],
        ["", "alpha"],
    );
    let j = judge(&a, &a.scenarios[0], &obs);
    let size = j
        .checks
        .iter()
        .find(|c| c.field == "size" && !c.passed)
        .unwrap();
    assert!(size.hint.as_deref().unwrap().contains("at least 200"));
}

#[test]
fn a_second_run_that_does_not_show_the_text_fails_that_check_alone() {
    let a = assignment();
    let obs = observation(
        [vec![seg(0, 7, 256)], vec![seg(0, 7, 256)]],
        ["alpha", "alpha"],
        ["", "Change it?"],
    );
    let j = judge(&a, &a.scenarios[0], &obs);
    let failed: Vec<&str> = j
        .checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| c.what.as_str())
        .collect();
    assert_eq!(failed, ["run 2: shows what the segment held"]);
}

#[test]
fn a_text_after_a_header_is_found_where_it_stands_whole() {
    let mut b = vec![1, 0, 0, 0, 5, 0, 0, 0];
    b.extend_from_slice(b"alpha\0");
    b.resize(64, 0);
    assert_eq!(super::text_after_header(&b, "alpha"), Some(8));
    // At offset 0 already, inside a longer word, or too short to tell: not moved.
    assert_eq!(super::text_after_header(b"alpha\0", "alpha"), None);
    assert_eq!(super::text_after_header(b"\x01alphabet\0", "alpha"), None);
    assert_eq!(super::text_after_header(b"\x01ab\0", "ab"), None);
    // A stored newline after it counts as whole.
    assert_eq!(super::text_after_header(b"\x01\x00cat\n\0", "cat"), Some(2));
}

/// A run that removed the segment (`IPC_RMID`, traced), answering `delete` as `yes` says.
fn removing_run(removes: bool, yes: bool) -> RunRecord {
    use crate::model::dialogue::Exchange;
    use crate::model::timeline::{Call, Effect, Return, TraceEvent};
    let mut r = run("");
    r.exchanges = vec![Exchange {
        asked: "Delete it? (y/n)".into(),
        answered: Some(if yes { "y" } else { "n" }.into()),
        answer: Some(Answer::parse(if yes { "delete: yes" } else { "delete: no" }).unwrap()),
        retry: false,
    }];
    r.timeline = Some(
        removes
            .then_some(TraceEvent {
                pid: 50,
                call: Call::Shmctl {
                    id: 0,
                    cmd: 0,
                    buf: 0,
                    set: None,
                },
                ret: Some(Return::Value(0)),
                segment: None,
                segment_id: Some(0),
                held: None,
                held_cut: false,
                effect: Effect::Call { before: None },
                repeats: 0,
            })
            .into_iter()
            .collect(),
    );
    r
}

/// The hint for a segment removed in a run that answered no rests on what the scenario's
/// other runs show: removed when told yes too (whatever the answer), kept when told yes
/// (inverted), or no run told yes (either, said as such): one cause is definite, two are
/// left open.
#[test]
fn a_segment_removed_after_a_no_is_explained_by_the_runs_that_said_yes() {
    let file = FILE.replace(
        "\"change: no\", \"delete: no\"",
        "\"change: no\", \"delete: yes\"",
    );
    let a = crate::assignment::parse(&file, Path::new("t.toml")).unwrap();
    let hint_of = |second_removes: bool, second_says_yes: bool| {
        let mut obs = observation([vec![], vec![]], ["", ""], ["", ""]);
        obs.runs = vec![
            removing_run(true, false),
            removing_run(second_removes, second_says_yes),
        ];
        let j = judge(&a, &a.scenarios[0], &obs);
        j.checks
            .iter()
            .find(|c| c.what == "run 1: the segment")
            .and_then(|c| Some((c.hint.clone()?, c.certainty)))
            .unwrap()
    };
    use crate::model::check::Certainty;
    let (always, sure) = hint_of(true, true);
    assert!(
        always.contains("in every run, whatever the answer"),
        "{always}"
    );
    assert_eq!(sure, Certainty::Definite);
    let (inverted, sure) = hint_of(false, true);
    assert_eq!(sure, Certainty::Definite);
    assert!(
        inverted.contains("the test of the answer is inverted"),
        "{inverted}"
    );
    assert!(!inverted.contains("whatever"), "{inverted}");
    let (unknown, sure) = hint_of(true, false);
    assert!(
        unknown.contains("whatever the answer, or its test"),
        "{unknown}"
    );
    assert_eq!(sure, Certainty::Open);
}

/// A text the program never waited for (the checker typed its other answers, never the
/// text) is said as such, not as a segment left empty.
#[test]
fn a_text_never_typed_is_said_as_the_program_not_waiting_for_it() {
    use crate::model::dialogue::Exchange;
    let a = assignment();
    let mut obs = observation(
        [vec![seg(0, 0x1234, 256)], vec![seg(0, 0x1234, 256)]],
        ["", ""],
        ["", ""],
    );
    let asked = |asked: &str, answered: &str, meaning: &str| Exchange {
        asked: asked.into(),
        answered: Some(answered.into()),
        answer: Some(Answer::parse(meaning).unwrap()),
        retry: false,
    };
    obs.runs[0].exchanges = vec![
        asked("Change? (y/n)", "y", "change: yes"),
        asked("Text: Delete? (y/n)", "n", "delete: no"),
    ];
    let j = judge(&a, &a.scenarios[0], &obs);
    let text = j
        .checks
        .iter()
        .find(|c| c.what == "run 1: text at offset 0")
        .unwrap();
    assert!(!text.passed);
    assert!(
        text.hint
            .as_deref()
            .unwrap()
            .contains("did not wait for the text"),
        "{text:?}"
    );
}
