//! How each process of a traced run ended, and which of them the checker killed, and why.

use serde::{Deserialize, Serialize};

use crate::model::run::Termination;

/// Why the checker (the runner, or the tracer in it) killed a process of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KillReason {
    /// It was still running when the program (the process the run started) had ended.
    Outlived,
    /// The run went past its timeout.
    Timeout,
    /// The run started more processes than it may (a fork loop).
    TooManyProcesses,
    /// A process of the run made a shm call from an IPC namespace of its own.
    LeftNamespace,
    /// The checker was interrupted (SIGINT or SIGTERM).
    Interrupted,
}

/// How one process of a traced run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessEnd {
    /// Its pid (thread-group id).
    pub pid: i32,
    /// Its exit status or the signal that killed it (never `TimedOut` nor
    /// `KilledItsParent`: those are about the run, not one process).
    pub termination: Termination,
    /// The checker sent the signal that killed it, for this reason.
    pub killed_by_checker: Option<KillReason>,
    /// How many timeline events came before it: where it goes in the timeline.
    pub after_events: usize,
}
