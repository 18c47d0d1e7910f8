//! The picture of a made-up share run, a parent that removes the segment before its child
//! is done, checked as data and, drawn, with an XML parser.

use super::layout::{layout, Fate, MarkKind, Role, SpanEnd, HEAD, TAIL};
use super::*;
use crate::model::timeline::Attached;
use crate::model::{Call, Effect, Return, SegmentState, TraceEvent};

const PARENT: i32 = 4100;
const CHILD: i32 = 4101;
const ADDR: u64 = 0x7f5a_1000_0000;

fn state(nattch: u64, mode: u32, key: i32) -> SegmentState {
    SegmentState {
        id: 0,
        key,
        size: 1024,
        mode,
        uid: 1000,
        gid: 1000,
        cuid: 1000,
        cgid: 1000,
        cpid: PARENT,
        lpid: PARENT,
        nattch,
        atime: 0,
        dtime: 0,
        ctime: 1_700_000_000,
    }
}

fn call(
    pid: i32,
    call: Call,
    ret: i64,
    before: Option<SegmentState>,
    after: Option<SegmentState>,
) -> TraceEvent {
    TraceEvent {
        pid,
        call,
        ret: Some(Return::Value(ret)),
        segment: after,
        segment_id: Some(0),
        held: None,
        held_cut: false,
        effect: Effect::Call { before },
        repeats: 0,
    }
}

fn other(pid: i32, call: Call, effect: Effect) -> TraceEvent {
    TraceEvent {
        pid,
        call,
        ret: None,
        segment: None,
        segment_id: None,
        held: None,
        held_cut: false,
        effect,
        repeats: 0,
    }
}

/// A share program that removes the segment right after its fork, before the child has
/// detached: shmget, shmat, fork, IPC_RMID (SHM_DEST), the child's shmdt and exit, the
/// parent's shmdt (which destroys the segment).
pub fn share_events() -> Vec<TraceEvent> {
    let key = 0x5c4a_1bff;
    vec![
        call(
            PARENT,
            Call::Shmget {
                key,
                size: 1024,
                flags: libc::IPC_CREAT | libc::IPC_EXCL | 0o600,
            },
            0,
            None,
            Some(state(0, 0o600, key)),
        ),
        call(
            PARENT,
            Call::Shmat {
                id: 0,
                addr: 0,
                flags: 0,
            },
            ADDR as i64,
            Some(state(0, 0o600, key)),
            Some(state(1, 0o600, key)),
        ),
        other(
            PARENT,
            Call::Fork { child: CHILD },
            Effect::Fork {
                inherited: vec![Attached { id: 0, nattch: 2 }],
            },
        ),
        call(
            PARENT,
            Call::Shmctl {
                id: 0,
                cmd: libc::IPC_RMID,
                buf: 0,
                set: None,
            },
            0,
            Some(state(2, 0o600, key)),
            Some(state(2, 0o1600, 0)),
        ),
        call(
            CHILD,
            Call::Shmdt { addr: ADDR },
            0,
            Some(state(2, 0o1600, 0)),
            Some(state(1, 0o1600, 0)),
        ),
        other(
            CHILD,
            Call::Exit { status: 0 },
            Effect::Exit { attached: vec![] },
        ),
        call(
            PARENT,
            Call::Shmdt { addr: ADDR },
            0,
            Some(state(1, 0o1600, 0)),
            None,
        ),
    ]
}

fn pins() -> Vec<Pin> {
    vec![
        Pin {
            number: 1,
            event: Some(3),
            what: "the parent's IPC_RMID after the child's exit".into(),
            expected: "after".into(),
            actual: "before the child ended".into(),
            hint: Some("the parent removed the segment while the child was still running: waitpid for the child first".into()),
        },
        Pin {
            number: 2,
            event: None,
            what: "standard output".into(),
            expected: "\"child wrote: hello\\n\"".into(),
            actual: "\"child wrote: <b>\\u{1b}[2J</b>\\n\"".into(),
            hint: None,
        },
    ]
}

fn input(events: &[TraceEvent]) -> Input<'_> {
    Input {
        events,
        main_pid: PARENT,
        main_end: "exited with status 0".into(),
        ends: Vec::new(),
        before: &[],
        after: Some(&[]),
        pins: pins(),
    }
}

#[test]
fn a_share_run_has_a_lane_per_process_an_inherited_span_and_a_segment_marked_then_destroyed() {
    let events = share_events();
    let l = layout(&input(&events));
    assert_eq!(l.columns, events.len() + 2);
    let pids: Vec<(i32, Role)> = l.lanes.iter().map(|l| (l.pid, l.role)).collect();
    assert_eq!(
        pids,
        vec![
            (PARENT, Role::Program),
            (CHILD, Role::Child { parent: PARENT })
        ]
    );
    // The child's lane runs from the fork (call 3, column 3) to its exit (call 6).
    assert_eq!((l.lanes[1].start, l.lanes[1].end), (3.0, 6.0));
    let spans: Vec<(usize, bool, f64, f64, SpanEnd)> = l
        .spans
        .iter()
        .map(|s| (s.lane, s.inherited, s.start, s.end, s.ended))
        .collect();
    assert_eq!(
        spans,
        vec![
            (0, false, 2.0, 7.0, SpanEnd::Detached),
            (1, true, 3.0, 5.0, SpanEnd::Detached)
        ]
    );
    let band = &l.bands[0];
    assert_eq!(
        (band.start, band.dest_at, band.end, band.fate),
        (1.0, Some(4.0), 7.0, Fate::Destroyed)
    );
    assert!(!band.existed);
    let steps: Vec<u64> = band.nattch.iter().map(|(_, v)| *v).collect();
    assert_eq!(steps, vec![0, 1, 2, 1, 0]);
    assert_eq!(l.forks, vec![(0, 1, 3.0)]);
    let kinds: Vec<MarkKind> = l.marks.iter().map(|m| m.kind).collect();
    assert_eq!(kinds[2], MarkKind::Fork);
    assert_eq!(kinds[5], MarkKind::Exit);
    assert_eq!(l.marks[3].name, "IPC_RMID");
    assert_eq!(l.marks[1].result, "= 0x7f5a10000000");
    // The removal's check at its call, on the parent's lane; stdout's after the run.
    assert_eq!((l.pins[0].col, l.pins[0].lane), (4.0, Some(0)));
    assert_eq!((l.pins[1].col, l.pins[1].lane), (8.0, None));
}

#[test]
fn a_failed_call_is_a_failed_mark_and_an_exit_still_attached_ends_the_span_there() {
    let mut events = share_events();
    events.truncate(3);
    events.push(TraceEvent {
        ret: Some(Return::Errno(libc::EINVAL)),
        segment: None,
        ..call(CHILD, Call::Shmdt { addr: 0x10 }, 0, None, None)
    });
    events.push(other(
        CHILD,
        Call::Exit { status: 1 },
        Effect::Exit {
            attached: vec![Attached { id: 0, nattch: 2 }],
        },
    ));
    let l = layout(&Input {
        pins: Vec::new(),
        after: None,
        ..input(&events)
    });
    assert_eq!(l.marks[3].kind, MarkKind::Failed);
    assert_eq!(l.marks[3].result, "= -1 EINVAL");
    let child = l.spans.iter().find(|s| s.lane == 1).unwrap();
    assert_eq!((child.end, child.ended), (5.0, SpanEnd::Exited));
    let parent = l.spans.iter().find(|s| s.lane == 0).unwrap();
    assert_eq!(parent.ended, SpanEnd::Open);
    assert_eq!(l.bands[0].fate, Fate::Unknown);
    assert_eq!(l.bands[0].nattch.last().map(|(_, v)| *v), Some(1));
}

#[test]
fn a_long_timeline_draws_its_first_and_last_calls_and_one_column_for_the_rest() {
    let stat = call(
        PARENT,
        Call::Shmctl {
            id: 0,
            cmd: libc::IPC_STAT,
            buf: 0x10,
            set: None,
        },
        0,
        Some(state(0, 0o600, 1)),
        Some(state(0, 0o600, 1)),
    );
    let events = vec![stat; 1000];
    let l = layout(&Input {
        pins: Vec::new(),
        ..input(&events)
    });
    assert_eq!(l.marks.len(), HEAD + TAIL);
    assert_eq!(l.gap, Some(((HEAD + 1) as f64, 1000 - HEAD - TAIL)));
    assert_eq!(l.columns, HEAD + TAIL + 3);
    assert!(l.marks.iter().all(|m| m.col < (l.columns - 1) as f64));
}

/// The drawn SVG, read back with an XML parser: lanes, spans, marks (each with a title),
/// the band with SHM_DEST, the nattch line, and the pinned checks with their values.
#[test]
fn the_svg_of_a_share_run_parses_and_holds_lanes_spans_marks_and_the_pinned_check() {
    let events = share_events();
    let svg = picture(
        &input(&events),
        "share/round-trip · $ share 0x5c4a1bff 'hello'",
        "s1",
    );
    let doc = roxmltree::Document::parse(&svg).expect("the SVG is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2000/svg")
    );
    assert!(doc.descendants().all(|n| n.tag_name().name() != "script"));
    let class = |c: &str| -> Vec<roxmltree::Node<'_, '_>> {
        doc.descendants()
            .filter(|n| n.attribute("class") == Some(c))
            .collect()
    };
    let title_of = |n: &roxmltree::Node<'_, '_>| {
        n.children()
            .find(|c| c.tag_name().name() == "title")
            .and_then(|t| t.text())
            .unwrap_or_default()
            .to_string()
    };
    let lanes: Vec<&str> = class("lane")
        .iter()
        .map(|n| n.attribute("data-pid").unwrap())
        .collect();
    assert_eq!(lanes, vec!["4100", "4101"]);
    let spans = class("span");
    assert_eq!(spans.len(), 2);
    assert!(
        title_of(&spans[1]).contains("inherited at the fork"),
        "{}",
        title_of(&spans[1])
    );
    let marks = class("mark");
    assert_eq!(marks.len(), events.len());
    for m in &marks {
        assert!(!title_of(m).is_empty(), "every mark has a text alternative");
    }
    assert!(
        title_of(&marks[3]).contains("shmctl(0, IPC_RMID, NULL) = 0"),
        "{}",
        title_of(&marks[3])
    );
    assert!(
        title_of(&marks[3]).contains("SHM_DEST"),
        "{}",
        title_of(&marks[3])
    );
    let bands = class("band");
    assert_eq!(bands.len(), 1);
    assert_eq!(bands[0].attribute("data-fate"), Some("destroyed"));
    assert!(bands[0]
        .descendants()
        .any(|n| n.attribute("class") == Some("dest")));
    assert_eq!(class("nattch").len(), 1);
    let pins = class("pin");
    let checks: Vec<&str> = pins
        .iter()
        .map(|p| p.attribute("data-checks").unwrap())
        .collect();
    assert_eq!(checks, vec!["1", "2"]);
    assert!(title_of(&pins[0]).contains("expected after, got before the child ended"));
    let panel: Vec<String> = class("panel-line")
        .iter()
        .map(|n| n.text().unwrap_or_default().to_string())
        .collect();
    assert!(
        panel[0].starts_with(
            "✗ check 1: the parent's IPC_RMID after the child's exit (decided at call 4)"
        ),
        "{panel:?}"
    );
    assert!(panel
        .iter()
        .any(|l| l.contains("→ the parent removed the segment while the child was still running")));
    // What the program printed is shown, never obeyed.
    assert!(
        panel.iter().any(|l| l.contains(r"<b>\u{1b}[2J</b>")),
        "{panel:?}"
    );
    assert!(!svg.contains('\x1b'));
}

#[test]
fn calls_not_kept_make_no_lane_and_a_killed_process_is_named_by_its_signal() {
    let mut events = share_events();
    events.insert(
        3,
        other(
            0,
            Call::Omitted { count: 12 },
            Effect::Call { before: None },
        ),
    );
    events[6] = other(
        CHILD,
        Call::Exit {
            status: -libc::SIGSEGV,
        },
        Effect::Exit { attached: vec![] },
    );
    let l = layout(&input(&events));
    let pids: Vec<i32> = l.lanes.iter().map(|l| l.pid).collect();
    assert_eq!(pids, vec![PARENT, CHILD]);
    let omitted = &l.marks[3];
    assert_eq!(
        (omitted.kind, omitted.lane, omitted.name.as_str()),
        (MarkKind::Omitted, 0, "12 calls")
    );
    let killed = &l.marks[6];
    assert_eq!(
        (killed.name.as_str(), killed.result.as_str()),
        ("SIGSEGV", "killed")
    );
}
