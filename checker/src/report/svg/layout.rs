//! What a run's picture shows, worked out from its timeline before anything is drawn: the
//! processes (lanes), the segments' lives (bands, with SHM_DEST and nattch), each attachment
//! (a span on its process's lane), a mark per call, and the failed checks pinned where they
//! were decided. Positions are columns: 0 is "before the run", one per call in timeline
//! order, and the last is "after the run" (where the checker looked at the segments). The
//! drawing (`draw`) only turns columns into pixels.

use std::collections::BTreeMap;

use crate::model::timeline::{addr_text, errno_name, shmctl_cmd, signal_name};
use crate::model::{Call, Effect, Return, SegmentState, TraceEvent};

/// Calls drawn one per column at most: the first [`HEAD`] and the last [`TAIL`]; the ones
/// between share one column, which says how many it stands for (the text timeline has them
/// all).
pub const HEAD: usize = 150;
/// Calls drawn from the end of a long timeline.
pub const TAIL: usize = 50;
/// Segments drawn at most, in the order the run met them.
pub const MAX_BANDS: usize = 8;

/// What the picture of one run is made from.
#[derive(Debug, Clone)]
pub struct Input<'a> {
    /// The run's timeline.
    pub events: &'a [TraceEvent],
    /// The program's pid (its lane is the first).
    pub main_pid: i32,
    /// How the program ended, in words.
    pub main_end: String,
    /// How each process ended, where the tracer said (`shmlab trace`).
    pub ends: Vec<End>,
    /// The segments there before the run.
    pub before: &'a [SegmentState],
    /// The segments there after the run, where the checker looked.
    pub after: Option<&'a [SegmentState]>,
    /// The failed checks of the run, in order.
    pub pins: Vec<Pin>,
}

/// The end of one process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct End {
    pub pid: i32,
    /// How many calls of the timeline came before it.
    pub after_events: usize,
    /// How it ended, in words.
    pub text: String,
}

/// A failed check, with the call it was decided at (`None`: after the run).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    /// Its number among the scenario's failed checks (what the report's list says).
    pub number: usize,
    pub event: Option<usize>,
    pub what: String,
    pub expected: String,
    pub actual: String,
    pub hint: Option<String>,
}

/// Who a lane's process is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The program the checker started.
    Program,
    /// A process it started, by its parent's pid.
    Child { parent: i32 },
}

/// One process.
#[derive(Debug, Clone, PartialEq)]
pub struct Lane {
    pub pid: i32,
    pub role: Role,
    pub start: f64,
    pub end: f64,
    /// How it ended, in words, where known.
    pub end_text: Option<String>,
}

/// How an attachment ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanEnd {
    /// The process called shmdt.
    Detached,
    /// The process ended, and the kernel detached it.
    Exited,
    /// The process exec'd another program, which detached it.
    Exec,
    /// Still attached when the timeline ends.
    Open,
}

/// One attachment, on its process's lane.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    pub lane: usize,
    pub id: i32,
    pub addr: u64,
    pub readonly: bool,
    /// Inherited at a fork rather than made by shmat.
    pub inherited: bool,
    pub start: f64,
    pub end: f64,
    pub ended: SpanEnd,
}

/// What became of a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// Destroyed at the band's end.
    Destroyed,
    /// Still there after the run.
    Remains,
    /// The timeline does not say (no look after the run).
    Unknown,
}

/// One segment's life.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    pub id: i32,
    pub key: i32,
    /// It existed before the run (the band starts at column 0).
    pub existed: bool,
    pub start: f64,
    pub end: f64,
    pub fate: Fate,
    /// Where SHM_DEST was first seen set.
    pub dest_at: Option<f64>,
    /// nattch from each column on where it changed (the first entry is at `start`).
    pub nattch: Vec<(f64, u64)>,
}

/// What kind of call a mark is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkKind {
    /// A shm call that succeeded.
    Ok,
    /// A shm call that failed.
    Failed,
    /// A call whose result the tracer did not see (an exec hid it).
    NoResult,
    Fork,
    Exec,
    Exit,
    /// Calls the tracer counted but did not keep.
    Omitted,
}

/// One call.
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    /// The event's index in the timeline.
    pub event: usize,
    pub lane: usize,
    pub col: f64,
    pub kind: MarkKind,
    /// The call in a few characters: `shmat`, `IPC_RMID`, `fork`.
    pub name: String,
    /// Its result in a few characters: `= 0`, `= -1 EEXIST`.
    pub result: String,
    /// Times it ran in a row (1 unless folded).
    pub times: u64,
}

/// A failed check where it was decided.
#[derive(Debug, Clone, PartialEq)]
pub struct PinAt {
    /// The check's number ([`Pin::number`]).
    pub number: usize,
    pub col: f64,
    /// The lane of the call it was decided at.
    pub lane: Option<usize>,
    pub pin: Pin,
}

/// Everything the picture shows, in columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// Columns, "before" and "after" included.
    pub columns: usize,
    /// The column standing for calls not drawn, and how many.
    pub gap: Option<(f64, usize)>,
    pub lanes: Vec<Lane>,
    pub spans: Vec<Span>,
    pub bands: Vec<Band>,
    /// Segments met but not drawn (past [`MAX_BANDS`]).
    pub bands_not_drawn: usize,
    pub marks: Vec<Mark>,
    /// A fork: the parent's lane, the child's lane, the column.
    pub forks: Vec<(usize, usize, f64)>,
    pub pins: Vec<PinAt>,
}

/// Where event `i` of `n` goes.
pub(super) fn column(i: usize, n: usize) -> f64 {
    if n <= HEAD + TAIL || i < HEAD {
        (i + 1) as f64
    } else if i >= n - TAIL {
        (i - (n - TAIL) + HEAD + 2) as f64
    } else {
        (HEAD + 1) as f64
    }
}

/// Where something that came after `k` events goes: between call `k - 1` and call `k`.
fn between(k: usize, n: usize, last: f64) -> f64 {
    if k >= n {
        last - 0.5
    } else {
        column(k, n) - 0.5
    }
}

/// The lanes of the processes, in the order they appear.
fn lanes(input: &Input<'_>, last: f64) -> Vec<Lane> {
    let n = input.events.len();
    let mut lanes = vec![Lane {
        pid: input.main_pid,
        role: Role::Program,
        start: 0.0,
        end: last,
        end_text: None,
    }];
    for (i, e) in input.events.iter().enumerate() {
        let known = |lanes: &Vec<Lane>, pid: i32| lanes.iter().any(|l| l.pid == pid);
        if let Call::Fork { child } = e.call {
            if !known(&lanes, child) {
                lanes.push(Lane {
                    pid: child,
                    role: Role::Child { parent: e.pid },
                    start: column(i, n),
                    end: last,
                    end_text: None,
                });
            }
        }
        // Calls not kept belong to no process of their own.
        if !known(&lanes, e.pid) && !matches!(e.call, Call::Omitted { .. }) {
            // A process whose fork was not kept (or a thread's own pid).
            lanes.push(Lane {
                pid: e.pid,
                role: Role::Child {
                    parent: input.main_pid,
                },
                start: column(i, n) - 0.5,
                end: last,
                end_text: None,
            });
        }
    }
    for lane in &mut lanes {
        let exit = input
            .events
            .iter()
            .position(|e| e.pid == lane.pid && matches!(e.call, Call::Exit { .. }));
        let end = input.ends.iter().find(|e| e.pid == lane.pid);
        match (exit, end) {
            (Some(i), _) => lane.end = column(i, n),
            (None, Some(end)) => lane.end = between(end.after_events, n, last).max(lane.start),
            (None, None) => {}
        }
        lane.end_text = end.map(|e| e.text.clone()).or_else(|| {
            exit.map(|i| input.events[i].call.text())
                .or_else(|| (lane.role == Role::Program).then(|| input.main_end.clone()))
        });
    }
    lanes
}

/// The attachments, followed call by call.
fn spans(input: &Input<'_>, lanes: &[Lane], last: f64) -> Vec<Span> {
    let n = input.events.len();
    let lane_of = |pid: i32| lanes.iter().position(|l| l.pid == pid).unwrap_or(0);
    let mut open: BTreeMap<i32, Vec<Span>> = BTreeMap::new();
    let mut done = Vec::new();
    fn close(
        open: &mut BTreeMap<i32, Vec<Span>>,
        done: &mut Vec<Span>,
        pid: i32,
        col: f64,
        how: SpanEnd,
    ) {
        for mut s in open.remove(&pid).unwrap_or_default() {
            s.end = col;
            s.ended = how;
            done.push(s);
        }
    }
    for (i, e) in input.events.iter().enumerate() {
        let col = column(i, n);
        match (&e.call, e.ret) {
            (Call::Shmat { id, flags, .. }, Some(Return::Value(addr))) => {
                open.entry(e.pid).or_default().push(Span {
                    lane: lane_of(e.pid),
                    id: *id,
                    addr: addr as u64,
                    readonly: flags & libc::SHM_RDONLY != 0,
                    inherited: false,
                    start: col,
                    end: last,
                    ended: SpanEnd::Open,
                });
            }
            (Call::Shmdt { addr }, Some(Return::Value(_))) => {
                let held = open.entry(e.pid).or_default();
                if let Some(at) = held.iter().position(|s| s.addr == *addr) {
                    let mut s = held.remove(at);
                    s.end = col;
                    s.ended = SpanEnd::Detached;
                    done.push(s);
                }
            }
            (Call::Fork { child }, _) => {
                let copies: Vec<Span> = open
                    .get(&e.pid)
                    .into_iter()
                    .flatten()
                    .map(|s| Span {
                        lane: lane_of(*child),
                        inherited: true,
                        start: col,
                        ..s.clone()
                    })
                    .collect();
                let inherited =
                    matches!(&e.effect, Effect::Fork { inherited } if !inherited.is_empty());
                if inherited {
                    open.entry(*child).or_default().extend(copies);
                }
            }
            (Call::Exec, _) => close(&mut open, &mut done, e.pid, col, SpanEnd::Exec),
            (Call::Exit { .. }, _) => close(&mut open, &mut done, e.pid, col, SpanEnd::Exited),
            _ => {}
        }
    }
    // A process that ended without an exit event (it held nothing the tracer knew of, or its
    // end came from the process ends) ends its spans with its lane.
    for lane in lanes {
        if lane.end < last {
            close(&mut open, &mut done, lane.pid, lane.end, SpanEnd::Exited);
        }
    }
    done.extend(open.into_values().flatten());
    done.sort_by(|a, b| a.lane.cmp(&b.lane).then(a.start.total_cmp(&b.start)));
    done
}

/// A call in a few characters, and its result.
fn mark_words(e: &TraceEvent) -> (String, String) {
    let name = match &e.call {
        Call::Shmget { .. } => "shmget".to_string(),
        Call::Shmat { .. } => "shmat".to_string(),
        Call::Shmdt { .. } => "shmdt".to_string(),
        Call::Shmctl { cmd, .. } => shmctl_cmd(*cmd),
        Call::Fork { .. } => "fork".to_string(),
        Call::Exec => "exec".to_string(),
        Call::Exit { status } if *status < 0 => signal_name(status.saturating_neg()),
        Call::Exit { .. } => e.call.text(),
        Call::Omitted { count } => format!("{count} calls"),
    };
    let result = match (&e.call, e.ret) {
        (Call::Fork { child }, _) => format!("child {child}"),
        (Call::Omitted { .. }, _) => "not kept".to_string(),
        (Call::Exit { status }, _) if *status < 0 => "killed".to_string(),
        (Call::Exit { .. } | Call::Exec, _) => String::new(),
        (_, None) => "(no result)".to_string(),
        (Call::Shmat { .. }, Some(Return::Value(v))) => format!("= {}", addr_text(v as u64)),
        (_, Some(Return::Value(v))) => format!("= {v}"),
        (_, Some(Return::Errno(errno))) => format!("= -1 {}", errno_name(errno)),
        (_, Some(Return::Failed)) => "= -1".to_string(),
    };
    (name, result)
}

fn kind(e: &TraceEvent) -> MarkKind {
    match (&e.call, e.ret) {
        (Call::Fork { .. }, _) => MarkKind::Fork,
        (Call::Exec, _) => MarkKind::Exec,
        (Call::Exit { .. }, _) => MarkKind::Exit,
        (Call::Omitted { .. }, _) => MarkKind::Omitted,
        (_, None) => MarkKind::NoResult,
        (_, Some(Return::Value(_))) => MarkKind::Ok,
        (_, Some(_)) => MarkKind::Failed,
    }
}

/// Lays out the picture of one run.
pub fn layout(input: &Input<'_>) -> Layout {
    let n = input.events.len();
    let drawn = n.min(HEAD + TAIL);
    let gap = (n > HEAD + TAIL).then(|| ((HEAD + 1) as f64, n - HEAD - TAIL));
    let columns = drawn + 2 + usize::from(gap.is_some());
    let last = (columns - 1) as f64;
    let lanes = lanes(input, last);
    let lane_of = |pid: i32| lanes.iter().position(|l| l.pid == pid).unwrap_or(0);
    let marks = input
        .events
        .iter()
        .enumerate()
        .filter(|(i, _)| n <= HEAD + TAIL || *i < HEAD || *i >= n - TAIL)
        .map(|(i, e)| {
            let (name, result) = mark_words(e);
            Mark {
                event: i,
                lane: lane_of(e.pid),
                col: column(i, n),
                kind: kind(e),
                name,
                result,
                times: e.repeats.saturating_add(1),
            }
        })
        .collect();
    let forks = input
        .events
        .iter()
        .enumerate()
        .filter_map(|(i, e)| match e.call {
            Call::Fork { child } => Some((lane_of(e.pid), lane_of(child), column(i, n))),
            _ => None,
        })
        .collect();
    let pins = input
        .pins
        .iter()
        .map(|pin| {
            let at = pin.event.filter(|i| *i < n);
            PinAt {
                number: pin.number,
                col: at.map_or(last, |i| column(i, n)),
                lane: at.map(|i| lane_of(input.events[i].pid)),
                pin: pin.clone(),
            }
        })
        .collect();
    let spans = spans(input, &lanes, last);
    let (bands, bands_not_drawn) = super::life::bands(input, last);
    Layout {
        columns,
        gap,
        lanes,
        spans,
        bands,
        bands_not_drawn,
        marks,
        forks,
        pins,
    }
}
