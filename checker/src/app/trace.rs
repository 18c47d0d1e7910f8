//! `shmlab trace -- PROGRAM ARGS...`: the timeline of any program, run like a lab program
//! (from a runner process, under the same limits, with the same sweep afterwards), as the
//! user who asked. The program reads `--stdin FILE`, or else the checker's own stdin.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::io::IsTerminal;
use std::os::fd::AsFd;
use std::process::Command;

use super::check::enter;
use super::{check_sysv, write_out};
use crate::error::{exit_codes, Fatal, UsageError};
use crate::model::{SegmentState, TraceEvent};
use crate::plan::TracePlan;
use crate::report::trace as render;
use crate::run::isolation::{self, Isolation};
use crate::run::process::{self, Input, Limits, RunOutput};

/// Processes a traced program may start before `shmlab trace` stops it as a fork loop.
const TRACE_MAX_CHILDREN: usize = 1000;

/// Traces the command and prints its timeline.
pub fn execute(plan: &TracePlan) -> Result<u8, Fatal> {
    check_sysv()?;
    let choice = isolation::choose(plan.run.isolation)?;
    process::tracer::probe().map_err(Fatal::CannotTrace)?;
    enter(&choice)?;
    if choice.mode == Isolation::Namespace {
        isolation::fresh_namespace().map_err(|e| Fatal::IpcNamespace(e.into()))?;
    }
    process::catch_interrupts();
    // The picture's file, opened first: a path that cannot be written is a usage error
    // before anything runs.
    let mut html = match &plan.html {
        Some(path) => Some(
            std::fs::File::create(path).map_err(|e| UsageError::HtmlFile {
                path: path.clone(),
                reason: e.to_string(),
            })?,
        ),
        None => None,
    };
    let file = match &plan.stdin {
        Some(path) => Some(
            std::fs::File::open(path).map_err(|e| UsageError::NoStdinFile {
                path: path.clone(),
                reason: e.to_string(),
            })?,
        ),
        None => None,
    };
    let own = std::io::stdin();
    // A terminal is not handed over: the program runs in a process group of its own, in the
    // background of the terminal, where reading it would stop it (SIGTTIN).
    let terminal = file.is_none() && own.is_terminal();
    let input = match &file {
        Some(f) => Input::File(f.as_fd()),
        None if terminal => Input::Null,
        None => Input::File(own.as_fd()),
    };
    let program = &plan.command[0];
    let mut cmd = Command::new(program);
    cmd.args(&plan.command[1..]);
    process::limit(&mut cmd, Limits::for_run(plan.run.timeout, None));
    let ran = process::run_from_runner(
        &mut cmd,
        input,
        plan.run.timeout,
        Some(process::tracer::Tracing {
            max_children: TRACE_MAX_CHILDREN,
            keep_all: plan.full,
            every_text: true,
        }),
        None,
    );
    // Nothing the program started outlives the trace.
    process::sweep();
    let (out, events) = match ran {
        Ok(r) => r,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(UsageError::NoSuchCommand(shown(program)).into());
        }
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            return Err(UsageError::NotExecutable {
                shown: shown(program),
                path: program.into(),
            }
            .into());
        }
        Err(e) => {
            return Err(Fatal::CouldNotRun {
                program: shown(program),
                source: e,
            })
        }
    };
    let events = events.unwrap_or_default();
    let left = segments_left(choice.mode, &out, &events);
    let command: Vec<String> = plan.command.iter().map(|a| shown(a)).collect();
    let trace = render::Trace {
        command: &command,
        choice: &choice,
        output: &out,
        events: &events,
        left: &left,
        terminal_stdin: terminal,
    };
    write_out(|w| render::render(&trace, w))?;
    if let Some(file) = html.as_mut() {
        let mut text = Vec::new();
        render::render(&trace, &mut text).map_err(Fatal::Write)?;
        let text = String::from_utf8_lossy(&text);
        crate::report::html::render_trace(&trace, &text, file)
            .and_then(|()| std::io::Write::flush(file))
            .map_err(Fatal::Write)?;
    }
    Ok(exit_codes::OK)
}

/// An argument as reports show it: neutral, a byte that is not UTF-8 as `\xNN`.
fn shown(arg: &OsStr) -> String {
    crate::report::neutral::neutral(std::os::unix::ffi::OsStrExt::as_bytes(arg))
}

/// The segments the program left when it ended: in a private namespace every segment there;
/// in the machine's namespace those a process of the run created (its `IPC_PRIVATE` ones
/// included).
fn segments_left(mode: Isolation, out: &RunOutput, events: &[TraceEvent]) -> Vec<SegmentState> {
    let Ok(all) = shm::list_segments() else {
        return Vec::new();
    };
    let mut pids: BTreeSet<i32> = out.ends.iter().map(|e| e.pid).collect();
    pids.insert(out.pid);
    pids.extend(events.iter().map(|e| e.pid));
    all.iter()
        .filter(|(_, st)| mode == Isolation::Namespace || pids.contains(&st.cpid()))
        .map(|(id, st)| SegmentState::new(*id, st))
        .collect()
}
