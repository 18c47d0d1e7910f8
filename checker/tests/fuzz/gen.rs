//! Strategies for what a run can observe: segments of any size and bytes, any calls and
//! results in any order, any output, any end. Values are drawn mostly from small pools that
//! the checks look for (the scenario's keys, small ids, the run's pids, the sizes and modes
//! the labs ask for, the contract's lines), so that the generated runs reach the deep paths
//! of the checks and hints, and sometimes from anywhere at all.
//!
//! Only what the runner guarantees is kept (`run::Scene::play`): one key, id and the spec's
//! initial bytes per setup segment, the setup segments in the first snapshot, a snapshot
//! after every step, the contents read after every run.

use std::collections::BTreeMap;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

use shmlab_checker::model::run::{Dropped, SpawnFailed};
use shmlab_checker::model::timeline::{Attached, Effect, Return, SetFields};
use shmlab_checker::model::{
    Call, Fault, Observation, RunRecord, SegmentBytes, SegmentState, Snapshot, Termination,
    TraceEvent,
};
use shmlab_checker::scenario::{Arg, Scenario, Step, OTHER_GID, OTHER_UID};

/// The keys of the setup segments, by index.
pub fn setup_key(n: usize) -> i32 {
    0x5eed_0001 + n as i32
}
/// The key with no segment.
pub const FREE_KEY: i32 = 0x5eed_00ff;
/// The uid and gid the program runs as.
pub const UID: u32 = 1000;
/// The pid of run `n`; its children follow it.
pub fn pid(n: usize) -> i32 {
    100 + 10 * n as i32
}

fn key() -> impl Strategy<Value = i32> {
    prop_oneof![
        4 => (0usize..3).prop_map(setup_key),
        4 => Just(FREE_KEY),
        1 => Just(0),
        1 => Just(-1),
        1 => any::<i32>(),
    ]
}

fn id() -> impl Strategy<Value = i32> {
    prop_oneof![8 => 0..5i32, 1 => Just(-1), 1 => any::<i32>()]
}

/// The sizes the labs use.
const SIZES: [usize; 11] = [0, 1, 10, 100, 199, 200, 201, 256, 1024, 4096, 5000];

fn size() -> impl Strategy<Value = usize> {
    sized(Vec::new())
}

/// A size: one the labs use, one of `more` (the scenario's own), or any.
fn sized(more: Vec<usize>) -> impl Strategy<Value = usize> {
    let more = if more.is_empty() {
        SIZES.to_vec()
    } else {
        more
    };
    prop_oneof![
        3 => select(SIZES.to_vec()),
        3 => select(more),
        1 => 0..6000usize,
    ]
}

fn mode() -> impl Strategy<Value = u32> {
    prop_oneof![
        3 => select(vec![0o600u32, 0o640, 0o644, 0o666, 0o444, 0o1644, 0o1000, 0o2600, 0]),
        1 => 0..0o10000u32,
        1 => any::<u32>(),
    ]
}

fn uid() -> impl Strategy<Value = u32> {
    prop_oneof![4 => Just(UID), 1 => Just(0), 1 => Just(OTHER_UID), 1 => Just(OTHER_GID), 1 => any::<u32>()]
}

fn pid_any() -> impl Strategy<Value = i32> {
    prop_oneof![6 => (0usize..3, 0..3i32).prop_map(|(n, c)| pid(n) + c), 1 => Just(1), 1 => Just(0), 1 => any::<i32>()]
}

fn time() -> impl Strategy<Value = i64> {
    prop_oneof![3 => Just(0i64), 3 => Just(1_700_000_000i64), 1 => any::<i64>()]
}

pub fn segment() -> impl Strategy<Value = SegmentState> {
    segment_of(Vec::new())
}

/// A segment, its size perhaps one of `sizes`.
fn segment_of(sizes: Vec<usize>) -> impl Strategy<Value = SegmentState> {
    (
        (id(), key(), sized(sizes), mode()),
        (uid(), uid(), uid(), uid()),
        (
            pid_any(),
            pid_any(),
            prop_oneof![4 => 0..4u64, 1 => any::<u64>()],
        ),
        (time(), time(), time()),
    )
        .prop_map(
            |(
                (id, key, size, mode),
                (uid, gid, cuid, cgid),
                (cpid, lpid, nattch),
                (atime, dtime, ctime),
            )| {
                SegmentState {
                    id,
                    key,
                    size,
                    mode,
                    uid,
                    gid,
                    cuid,
                    cgid,
                    cpid,
                    lpid,
                    nattch,
                    atime,
                    dtime,
                    ctime,
                }
            },
        )
}

fn snapshot(label: String, sizes: Vec<usize>) -> impl Strategy<Value = Snapshot> {
    vec(segment_of(sizes), 0..4).prop_map(move |segments| Snapshot {
        label: label.clone(),
        segments,
    })
}

/// Bytes, `len` of them give or take: a short prefix of text, NULs and newlines (where the
/// checks read), then one byte repeated, with a few bytes set anywhere. Built from a handful
/// of values, so that a case stays cheap to make and to shrink whatever its length.
fn bytes(len: usize, texts: &[Vec<u8>]) -> impl Strategy<Value = Vec<u8>> {
    let byte = || prop_oneof![3 => Just(0u8), 3 => b'a'..=b'z', 1 => Just(b'\n'), 1 => any::<u8>()];
    let texts = texts.to_vec();
    let prefix = prop_oneof![
        1 => vec(byte(), 0..80),
        1 => (0..texts.len().max(1), any::<bool>()).prop_map(move |(i, nul)| {
            let mut t = texts.get(i).cloned().unwrap_or_default();
            if nul {
                t.push(0);
            }
            t
        }),
    ];
    (
        prop_oneof![6 => Just(len.min(5000)), 1 => 0..300usize],
        prefix,
        prop_oneof![3 => Just(0u8), 1 => byte()],
        prop_oneof![3 => Just(Vec::new()), 1 => vec((any::<proptest::sample::Index>(), byte()), 1..4)],
    )
        .prop_map(|(n, prefix, fill, set)| {
            let mut b = vec![fill; n];
            let k = prefix.len().min(n);
            b[..k].copy_from_slice(&prefix[..k]);
            if n > 0 {
                for (at, v) in set {
                    b[at.index(n)] = v;
                }
            }
            b
        })
}

fn segment_bytes(size: usize, texts: &[Vec<u8>]) -> impl Strategy<Value = SegmentBytes> {
    let page = size.div_ceil(4096).max(1) * 4096;
    (
        bytes(size, texts),
        prop_oneof![3 => Just(Vec::new()), 1 => bytes(page - size.min(page), texts)],
    )
        .prop_map(|(bytes, past_size)| SegmentBytes { bytes, past_size })
}

/// The contents the checker read after a run: some of the segments of its snapshot.
fn contents(
    after: &Snapshot,
    texts: &[Vec<u8>],
) -> impl Strategy<Value = BTreeMap<i32, SegmentBytes>> {
    let each: Vec<_> = after
        .segments
        .iter()
        .map(|s| {
            (
                Just(s.id),
                proptest::option::weighted(0.8, segment_bytes(s.size, texts)),
            )
        })
        .collect();
    each.prop_map(|v| v.into_iter().filter_map(|(id, b)| Some((id, b?))).collect())
}

/// Text made of the words the checks look for, and anything else.
pub fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        30 => words(),
        // Past the output cap, a multi-byte character across it.
        1 => (1..3usize, words()).prop_map(|(k, w)| format!("{}é{w}", "x".repeat(k * 32 * 1024 - 1))),
    ]
}

fn words() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        4 => select(vec![
            "0", "1", "2", "5", "-1", "0x5eed0001", "0x5eed00ff", "1592590337", "\n", " ", ": ", "=",
            "text: ", "new segment: no text yet", "change the text? [y/n] ", "new text: ",
            "delete the segment? [y/n] ", "please answer y or n", "segment deleted", "hello memo",
            "id", "key", "size", "mode", "0644", "0600", "uid", "gid", "nattch", "cpid", "lpid",
            "atime", "dtime", "ctime", "not set", "parent", "child", "usage: ", "error: ",
            "shmget", "shmat", "shmdt", "shmctl", "EACCES", "EEXIST", "ENOENT", "EINVAL", "EPERM",
            "Permission denied", "File exists", "No such file or directory", "Invalid argument",
            "memo: segment too small", "thread 'main' panicked at src/bin/x.rs:1:1:\n",
            "not yet implemented", "not implemented", "\u{1b}[31m", "\r", "\t", "é", "\u{202e}",
        ]).prop_map(str::to_string),
        1 => any::<String>(),
        1 => vec(any::<u8>(), 0..8).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ];
    vec(word, 0..12).prop_map(|w| w.concat())
}

pub fn termination() -> impl Strategy<Value = Termination> {
    prop_oneof![
        6 => Just(Termination::Exited { code: 0 }),
        3 => select(vec![1, 2, 101, 126, 127, 255, -1]).prop_map(|code| Termination::Exited { code }),
        1 => any::<i32>().prop_map(|code| Termination::Exited { code }),
        1 => (prop_oneof![select(vec![6, 9, 11, 15]), any::<i32>()], any::<bool>())
            .prop_map(|(signal, core_dumped)| Termination::Signaled { signal, core_dumped }),
        1 => any::<u64>().prop_map(|after_ms| Termination::TimedOut { after_ms }),
        1 => any::<i32>().prop_map(|signal| Termination::KilledItsParent { signal }),
    ]
}

fn addr() -> impl Strategy<Value = u64> {
    prop_oneof![2 => Just(0u64), 3 => Just(0x7f00_0000_0000u64), 1 => Just(u64::MAX), 1 => any::<u64>()]
}

fn flags() -> impl Strategy<Value = i32> {
    prop_oneof![
        3 => select(vec![0, 0o644, 0o1000 | 0o644, 0o3000 | 0o644, 0o1000, 0o10000, 0o20000, 0o40000]),
        1 => any::<i32>(),
    ]
}

pub fn call() -> impl Strategy<Value = Call> {
    prop_oneof![
        (
            key(),
            prop_oneof![size().prop_map(|s| s as u64), any::<u64>()],
            flags()
        )
            .prop_map(|(key, size, flags)| Call::Shmget { key, size, flags }),
        (id(), addr(), flags()).prop_map(|(id, addr, flags)| Call::Shmat { id, addr, flags }),
        addr().prop_map(|addr| Call::Shmdt { addr }),
        (
            id(),
            prop_oneof![3 => 0..4i32, 1 => select(vec![11, 12, 13, 14, 15]), 1 => any::<i32>()],
            addr(),
            proptest::option::of(
                (uid(), uid(), mode()).prop_map(|(uid, gid, mode)| SetFields { uid, gid, mode })
            ),
        )
            .prop_map(|(id, cmd, buf, set)| Call::Shmctl { id, cmd, buf, set }),
        pid_any().prop_map(|child| Call::Fork { child }),
        Just(Call::Exec),
        prop_oneof![Just(i32::MIN), any::<i32>()].prop_map(|status| Call::Exit { status }),
        prop_oneof![Just(u64::MAX), any::<u64>()].prop_map(|count| Call::Omitted { count }),
    ]
}

fn attached() -> impl Strategy<Value = Vec<Attached>> {
    vec(
        (id(), any::<u64>()).prop_map(|(id, nattch)| Attached {
            id,
            nattch: nattch % 5,
        }),
        0..3,
    )
}

pub fn event() -> impl Strategy<Value = TraceEvent> {
    let ret = proptest::option::of(prop_oneof![
        3 => prop_oneof![0..5i64, Just(0x7f00_0000_0000i64), any::<i64>()].prop_map(Return::Value),
        2 => prop_oneof![select(vec![1, 2, 12, 13, 17, 22, 28, 43]), any::<i32>()].prop_map(Return::Errno),
        1 => Just(Return::Failed),
    ]);
    let effect = prop_oneof![
        3 => proptest::option::of(segment()).prop_map(|before| Effect::Call { before }),
        1 => attached().prop_map(|inherited| Effect::Fork { inherited }),
        1 => (text(), attached()).prop_map(|(program, detached)| Effect::Exec { program, detached }),
        1 => attached().prop_map(|attached| Effect::Exit { attached }),
    ];
    (
        pid_any(),
        call(),
        ret,
        proptest::option::of(segment()),
        proptest::option::of(id()),
        proptest::option::of(text()),
        effect,
        prop_oneof![3 => Just(0u64), 1 => 0..10u64, 1 => Just(u64::MAX), 1 => any::<u64>()],
    )
        .prop_map(
            |(pid, call, ret, segment, segment_id, held, effect, repeats)| TraceEvent {
                pid,
                call,
                ret,
                segment,
                segment_id,
                held,
                effect,
                repeats,
                held_cut: false,
            },
        )
}

fn run(n: usize, argv: Vec<String>, stdin: Option<String>) -> impl Strategy<Value = RunRecord> {
    (
        termination(),
        (text(), text()),
        (
            prop_oneof![4 => Just(0u64), 1 => any::<u64>()],
            any::<u64>(),
            any::<u64>(),
        ),
        proptest::option::weighted(0.7, vec(event(), 0..8)),
        (
            vec(pid_any(), 0..2),
            prop_oneof![3 => 0..3usize, 1 => any::<usize>()],
            any::<bool>(),
        ),
        (
            proptest::option::weighted(0.2, spawn_failed()),
            proptest::option::weighted(0.3, fault()),
        ),
    )
        .prop_map(
            move |(
                termination,
                (stdout, stderr),
                (dropped, out, err),
                timeline,
                (survivors, children, left_namespace),
                (spawn_failed, fault),
            )| RunRecord {
                argv: argv.clone(),
                stdin: stdin.clone(),
                pid: pid(n),
                termination,
                stdout,
                stderr,
                dropped,
                dropped_by_stream: Dropped {
                    stdout: if out % 2 == 0 { out % 3 } else { out },
                    stderr: if err % 2 == 0 { err % 3 } else { err },
                },
                started: 1_700_000_000,
                timeline,
                survivors,
                children,
                left_namespace,
                spawn_failed,
                fault,
                exchanges: Vec::new(),
            },
        )
}

/// Where a SIGSEGV or SIGBUS struck: in the first page, the last, or anywhere, with any code.
fn fault() -> impl Strategy<Value = Fault> {
    (
        prop_oneof![Just(libc::SIGSEGV), Just(libc::SIGBUS)],
        prop_oneof![0..8192u64, (u64::MAX - 8192).., any::<u64>()],
        prop_oneof![Just(1), Just(2), Just(libc::SI_KERNEL), any::<i32>()],
        proptest::option::of(any::<u64>()),
    )
        .prop_map(|(signal, addr, code, mapped_from)| Fault {
            signal,
            addr,
            code,
            mapped_from,
        })
}

/// A fork or clone that failed: at the limit or far from it, with any numbers.
fn spawn_failed() -> impl Strategy<Value = SpawnFailed> {
    (
        any::<bool>(),
        prop_oneof![Just(libc::EAGAIN), Just(libc::ENOMEM), any::<i32>()],
        prop_oneof![0..80u64, any::<u64>()],
        proptest::option::of(prop_oneof![Just(64u64), any::<u64>()]),
    )
        .prop_map(|(thread, errno, tasks, limit)| SpawnFailed {
            thread,
            errno,
            tasks,
            limit,
        })
}

/// What running `s` can observe, in the shape the runner gives it.
pub fn observation(s: &Scenario) -> BoxedStrategy<Observation> {
    let setup = s.setup.len();
    let runs: Vec<_> = s
        .steps
        .iter()
        .filter_map(|st| match st {
            Step::Run(inv) => Some(inv.clone()),
            Step::Checker(_) => None,
        })
        .collect();
    let n_runs = runs.len();
    let runs: Vec<_> = runs
        .into_iter()
        .enumerate()
        .map(|(n, inv)| {
            let argv = std::iter::once("prog".to_string())
                .chain(inv.args.iter().map(|a| match a {
                    Arg::Lit(s) => s.clone(),
                    Arg::Key(k) => shm::Key::new(setup_key(*k)).to_string(),
                    Arg::FreeKey => shm::Key::new(FREE_KEY).to_string(),
                }))
                .collect();
            let stdin = inv.stdin.map(|b| String::from_utf8_lossy(&b).into_owned());
            run(n, argv, stdin)
        })
        .collect();
    let labels: Vec<String> = std::iter::once("before".to_string())
        .chain((1..=s.steps.len()).map(|n| format!("after step {n}")))
        .collect();
    let texts = texts(s);
    // The sizes a program of this scenario may give: the setup's, and its texts', with or
    // without room for a NUL.
    let sizes: Vec<usize> = (s.setup.iter().map(|spec| spec.size))
        .chain(texts.iter().flat_map(|t| [t.len(), t.len() + 1]))
        .collect();
    let snapshots: Vec<_> = labels
        .into_iter()
        .map(|l| snapshot(l, sizes.clone()))
        .collect();
    let after_run: Vec<usize> = s
        .steps
        .iter()
        .enumerate()
        .filter(|(_, st)| matches!(st, Step::Run(_)))
        .map(|(i, _)| i + 1)
        .collect();
    // What the checker wrote in its setup segments: the spec's bytes, not an observation.
    let initial: Vec<Vec<u8>> = s.setup.iter().map(|spec| spec.initial_bytes()).collect();
    let initial = Just(initial);
    let tracing = prop_oneof![
        Just(Ok(())),
        Just(Err("tracing was switched off with --no-trace".to_string()))
    ];
    // The setup segments are there when the checker takes its first snapshot: it made them
    // just before (id `n` for setup segment `n`, as in a fresh namespace).
    let setup_segments = vec(segment_of(sizes), setup..=setup);
    (snapshots, runs, initial, tracing, setup_segments)
        .prop_map(|(mut snapshots, runs, initial, tracing, setup_segments)| {
            let setup_ids: Vec<i32> = (0..setup_segments.len() as i32).collect();
            for (n, mut seg) in setup_segments.into_iter().enumerate() {
                seg.id = n as i32;
                seg.key = setup_key(n);
                let before = &mut snapshots[0].segments;
                before.retain(|s| s.id != seg.id);
                before.insert(n, seg);
            }
            // A snapshot lists each id once.
            for snap in &mut snapshots {
                let mut seen = std::collections::BTreeSet::new();
                snap.segments.retain(|s| seen.insert(s.id));
            }
            (snapshots, runs, initial, tracing, setup_ids)
        })
        .prop_flat_map(move |(snapshots, runs, initial, tracing, setup_ids)| {
            let read: Vec<_> = after_run
                .iter()
                .map(|i| contents(&snapshots[*i], &texts))
                .collect();
            let after_run = after_run.clone();
            let rest = Just((snapshots, runs, initial, tracing, setup_ids));
            (read, rest).prop_map(
                move |(contents, (snapshots, runs, initial, tracing, ids))| {
                    debug_assert_eq!(runs.len(), n_runs);
                    Observation {
                        keys: (0..setup).map(|n| shm::Key::new(setup_key(n))).collect(),
                        free_key: shm::Key::new(FREE_KEY),
                        setup_ids: ids,
                        program_uid: UID,
                        program_gid: UID,
                        snapshots,
                        runs,
                        after_run: after_run.clone(),
                        contents,
                        initial_contents: initial,
                        tracing,
                        left_out: Vec::new(),
                    }
                },
            )
        })
        .boxed()
}

/// The texts a scenario gives its program (the lines of its inputs, whole and cut at the
/// lengths the labs care about, and what its setup segments hold): what a program may write
/// in a segment, which the checks compare with.
fn texts(s: &Scenario) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = s.setup.iter().map(|spec| spec.contents.clone()).collect();
    for st in &s.steps {
        if let Step::Run(inv) = st {
            for line in inv
                .stdin
                .as_deref()
                .unwrap_or_default()
                .split(|b| *b == b'\n')
            {
                for n in [line.len(), 199, 200, 201, 1] {
                    out.push(line[..n.min(line.len())].to_vec());
                }
                let mut with_newline = line.to_vec();
                with_newline.push(b'\n');
                out.push(with_newline);
            }
        }
    }
    out.sort();
    out.dedup();
    out
}
