//! `shmlab dev diagram [--check]`: the lifecycle diagram of `docs/concepts.md`
//! (`docs/lifecycle.svg`), drawn by the checker's own renderer from a traced run of the share
//! lab's reference solution, so the picture in the docs is what the checker sees and cannot
//! drift from it. What varies between runs (pids, addresses, ids, times) is numbered in order
//! of appearance, so the same program draws the same picture byte for byte. `--check`
//! compares instead of writing, and fails when the file differs (a test runs it).

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

use super::cargo_build::find_workspace;
use super::check::enter;
use super::check_sysv;
use super::programs::built_in;
use crate::error::{exit_codes, Fatal, UsageError};
use crate::model::timeline::Attached;
use crate::model::{Call, Effect, Lab, Return, SegmentState, TraceEvent};
use crate::report::svg;
use crate::report::words::termination_text;
use crate::run::isolation::{self, Isolation, IsolationRequest};
use crate::run::process::{self, Input, Limits};

/// Where the diagram goes, in the workspace.
pub const DIAGRAM: &str = "docs/lifecycle.svg";
/// The key and text the solution is run with.
const KEY: &str = "0x00001234";
const TEXT: &str = "hello";

/// Draws the diagram, and writes it or (`check`) compares it with the file.
pub fn execute(check: bool) -> Result<u8, Fatal> {
    check_sysv()?;
    let ws = find_workspace().ok_or(UsageError::NoWorkspace)?;
    let share = built_in(&ws, &[Lab::Share], "shmlab-solutions", "solution-", "")?;
    let program = match share.into_iter().next() {
        Some((_, Ok(found))) => found.path,
        _ => {
            return Err(Fatal::CouldNotRun {
                program: "solution-share".into(),
                source: std::io::Error::other("the share solution did not build"),
            })
        }
    };
    // The diagram's ids start at 0, as in a private namespace; keys mode would work too, its
    // ids numbered below.
    let choice = isolation::choose(IsolationRequest::Auto)?;
    process::tracer::probe().map_err(Fatal::CannotTrace)?;
    enter(&choice)?;
    if choice.mode == Isolation::Namespace {
        isolation::fresh_namespace().map_err(|e| Fatal::IpcNamespace(e.into()))?;
    }
    let timeout = Duration::from_secs(10);
    let mut cmd = Command::new(&program);
    cmd.args([KEY, TEXT]);
    process::limit(&mut cmd, Limits::for_run(timeout, None));
    let ran = process::run_from_runner(
        &mut cmd,
        Input::Null,
        timeout,
        Some(process::tracer::Tracing {
            max_children: 4,
            keep_all: true,
            every_text: true,
        }),
        None,
    );
    process::sweep();
    let (out, events) = ran.map_err(|source| Fatal::CouldNotRun {
        program: "solution-share".into(),
        source,
    })?;
    let mut numbers = Numbers::default();
    let events: Vec<TraceEvent> = events
        .unwrap_or_default()
        .iter()
        .map(|e| numbers.event(e))
        .collect();
    let ends = out
        .ends
        .iter()
        .map(|e| svg::End {
            pid: numbers.pid(e.pid),
            after_events: e.after_events,
            text: termination_text(&e.termination),
        })
        .collect();
    let input = svg::Input {
        events: &events,
        main_pid: numbers.pid(out.pid),
        main_end: termination_text(&out.termination),
        ends,
        before: &[],
        after: Some(&[]),
        pins: Vec::new(),
    };
    let picture = svg::picture(
        &input,
        &format!("The life of a segment: share {KEY} {TEXT} (the share lab's solution)"),
        "lifecycle",
    ) + "\n";
    let path = ws.join(DIAGRAM);
    if check {
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        if on_disk == picture {
            println!("{DIAGRAM} is what the checker draws today");
            return Ok(exit_codes::OK);
        }
        println!("{DIAGRAM} differs from what the checker draws today: run `cargo shmlab dev diagram` and commit it");
        return Ok(exit_codes::FAILED);
    }
    std::fs::write(&path, picture).map_err(Fatal::Write)?;
    println!("wrote {DIAGRAM}");
    Ok(exit_codes::OK)
}

/// Stable numbers for what varies between runs, in order of appearance: pids from 1000,
/// addresses from 0x7f0000000000 a page apart, segment ids from 0; times are left out.
#[derive(Default)]
struct Numbers {
    pids: BTreeMap<i32, i32>,
    addrs: BTreeMap<u64, u64>,
    ids: BTreeMap<i32, i32>,
}

impl Numbers {
    fn pid(&mut self, pid: i32) -> i32 {
        if pid <= 0 {
            return pid;
        }
        let next = 1000 + self.pids.len() as i32;
        *self.pids.entry(pid).or_insert(next)
    }

    fn addr(&mut self, addr: u64) -> u64 {
        if addr == 0 {
            return 0;
        }
        let next = 0x7f00_0000_0000 + 0x1000 * self.addrs.len() as u64;
        *self.addrs.entry(addr).or_insert(next)
    }

    fn id(&mut self, id: i32) -> i32 {
        let next = self.ids.len() as i32;
        *self.ids.entry(id).or_insert(next)
    }

    fn state(&mut self, s: &SegmentState) -> SegmentState {
        SegmentState {
            id: self.id(s.id),
            cpid: self.pid(s.cpid),
            lpid: self.pid(s.lpid),
            atime: 0,
            dtime: 0,
            ctime: 0,
            ..s.clone()
        }
    }

    fn attached(&mut self, list: &[Attached]) -> Vec<Attached> {
        list.iter()
            .map(|a| Attached {
                id: self.id(a.id),
                nattch: a.nattch,
            })
            .collect()
    }

    fn event(&mut self, e: &TraceEvent) -> TraceEvent {
        let call = match &e.call {
            Call::Shmat { id, addr, flags } => Call::Shmat {
                id: self.id(*id),
                addr: self.addr(*addr),
                flags: *flags,
            },
            Call::Shmdt { addr } => Call::Shmdt {
                addr: self.addr(*addr),
            },
            Call::Shmctl { id, cmd, buf, set } => Call::Shmctl {
                id: self.id(*id),
                cmd: *cmd,
                buf: self.addr(*buf),
                set: *set,
            },
            Call::Fork { child } => Call::Fork {
                child: self.pid(*child),
            },
            other => other.clone(),
        };
        let ret = match (&e.call, e.ret) {
            (Call::Shmat { .. }, Some(Return::Value(v))) => {
                Some(Return::Value(self.addr(v as u64) as i64))
            }
            (Call::Shmget { .. }, Some(Return::Value(v))) => {
                Some(Return::Value(i64::from(self.id(v as i32))))
            }
            (_, r) => r,
        };
        let effect = match &e.effect {
            Effect::Call { before } => Effect::Call {
                before: before.as_ref().map(|s| self.state(s)),
            },
            Effect::Fork { inherited } => Effect::Fork {
                inherited: self.attached(inherited),
            },
            Effect::Exec { program, detached } => Effect::Exec {
                program: program.clone(),
                detached: self.attached(detached),
            },
            Effect::Exit { attached } => Effect::Exit {
                attached: self.attached(attached),
            },
        };
        TraceEvent {
            pid: self.pid(e.pid),
            call,
            ret,
            segment: e.segment.as_ref().map(|s| self.state(s)),
            segment_id: e.segment_id.map(|id| self.id(id)),
            effect,
            ..e.clone()
        }
    }
}
