//! `shmlab trace -- PROGRAM ARGS...`: the timeline of any program, run like a lab program
//! (from a runner process, under the same limits, with the same sweep afterwards), as the
//! user who asked.

use std::process::Command;

use super::check::enter;
use super::{check_sysv, write_out};
use crate::error::{exit_codes, Fatal, UsageError};
use crate::plan::TracePlan;
use crate::report::trace as render;
use crate::run::isolation::{self, Isolation};
use crate::run::process::{self, Limits};

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
    let program = &plan.command[0];
    let mut cmd = Command::new(program);
    cmd.args(&plan.command[1..]);
    process::limit(&mut cmd, Limits::for_run(plan.run.timeout, None));
    let ran = process::run_from_runner(&mut cmd, None, plan.run.timeout, Some(TRACE_MAX_CHILDREN));
    // Nothing the program started outlives the trace.
    process::sweep();
    let (out, events) = match ran {
        Ok(r) => r,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(UsageError::NoSuchCommand(program.clone()).into());
        }
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            return Err(UsageError::NotExecutable {
                shown: program.clone(),
                path: program.into(),
            }
            .into());
        }
        Err(e) => {
            return Err(Fatal::CouldNotRun {
                program: program.clone(),
                source: e,
            })
        }
    };
    let trace = render::Trace {
        command: &plan.command,
        choice: &choice,
        output: &out,
        events: events.as_deref().unwrap_or_default(),
    };
    write_out(|w| render::render(&trace, w))?;
    Ok(exit_codes::OK)
}
