//! What the checker observed of a run's shm calls, as answers a hint can rest on: did the
//! program make a call, with what, and what came back. Untraced, every answer is `None`, and
//! a hint then says less rather than something the program may not have done.
//!
//! A hint is a claim about the program. The rule every hint follows: state a cause only when
//! an answer here (or a snapshot, the output, or how the run ended) shows it; otherwise state
//! what the lab needs, not what the program "did".

use super::fault::{fault_cause, FaultCause};
use crate::model::timeline::SetFields;
use crate::model::Fault;
use crate::model::{Call, Observation, Return, TraceEvent};

/// The four shm calls, as a hint names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Shmget,
    Shmat,
    Shmdt,
    Shmctl,
}

impl Kind {
    /// The call's name: `shmget`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Shmget => "shmget",
            Kind::Shmat => "shmat",
            Kind::Shmdt => "shmdt",
            Kind::Shmctl => "shmctl",
        }
    }

    /// The kind a call's name names: `"shmctl"` → `Shmctl`.
    pub fn from_name(name: &str) -> Option<Kind> {
        [Kind::Shmget, Kind::Shmat, Kind::Shmdt, Kind::Shmctl]
            .into_iter()
            .find(|k| k.name() == name)
    }

    /// Whether `call` is one of this kind.
    pub fn matches(self, call: &Call) -> bool {
        matches!(
            (self, call),
            (Kind::Shmget, Call::Shmget { .. })
                | (Kind::Shmat, Call::Shmat { .. })
                | (Kind::Shmdt, Call::Shmdt { .. })
                | (Kind::Shmctl, Call::Shmctl { .. })
        )
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The evidence of one run: its timeline when it was traced.
#[derive(Debug, Clone, Copy)]
pub struct Evidence<'a> {
    events: Option<&'a [TraceEvent]>,
    /// The pid of the program the checker started.
    pub pid: i32,
    /// Where the SIGSEGV or SIGBUS that killed it struck, when traced.
    fault: Option<Fault>,
}

/// What happened to a failed call the program made, as far as the trace shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The program made no such call.
    NotCalled,
    /// The call (the last of its kind) failed with this errno.
    Failed(i32),
    /// The call (the last of its kind) failed, with an errno the trace does not show.
    FailedUnseen,
    /// Every such call succeeded.
    Succeeded,
}

impl<'a> Evidence<'a> {
    /// The evidence of run `n` of `obs` (nothing when it was not traced).
    pub fn of(obs: &'a Observation, n: usize) -> Evidence<'a> {
        let run = &obs.runs[n];
        let events = match (&obs.tracing, &run.timeline) {
            (Ok(()), Some(events)) => Some(events.as_slice()),
            _ => None,
        };
        Evidence {
            events,
            pid: run.pid,
            fault: run.fault.filter(|_| events.is_some()),
        }
    }

    /// Evidence from a timeline, for tests.
    pub fn from_events(events: Option<&'a [TraceEvent]>, pid: i32) -> Evidence<'a> {
        Evidence {
            events,
            pid,
            fault: None,
        }
    }

    /// The same, with the fault that killed the program (a traced run's).
    pub fn with_fault(self, fault: Fault) -> Evidence<'a> {
        Evidence {
            fault: Some(fault).filter(|_| self.events.is_some()),
            ..self
        }
    }

    /// Whether the tracer saw where the fault that killed the program struck.
    pub fn has_fault(&self) -> bool {
        self.fault.is_some()
    }

    /// What the faulting address says the program did, when it says something (see
    /// [`fault_cause`]).
    pub fn fault_cause(&self) -> Option<FaultCause> {
        fault_cause(&self.fault?, self.events?, self.pid)
    }

    /// Whether the run was traced (the answers below are `Some`).
    pub fn traced(&self) -> bool {
        self.events.is_some()
    }

    /// Every call of `kind`, by any process of the run, in order.
    pub fn calls(&self, kind: Kind) -> Option<Vec<&'a TraceEvent>> {
        self.events
            .map(|events| events.iter().filter(|e| kind.matches(&e.call)).collect())
    }

    /// Whether the program made a call of `kind`.
    pub fn made(&self, kind: Kind) -> Option<bool> {
        self.calls(kind).map(|c| !c.is_empty())
    }

    /// Whether the program made any shm call at all.
    pub fn any_shm_call(&self) -> Option<bool> {
        self.events.map(|events| {
            events.iter().any(|e| {
                [Kind::Shmget, Kind::Shmat, Kind::Shmdt, Kind::Shmctl]
                    .iter()
                    .any(|k| k.matches(&e.call))
            })
        })
    }

    /// How the calls of `kind` came out: not made, the last failed one's errno, or all
    /// succeeded. With `only`, only the calls it accepts count (shmctl with one command).
    pub fn outcome(&self, kind: Kind, only: impl Fn(&Call) -> bool) -> Option<Outcome> {
        let calls: Vec<&TraceEvent> = self
            .calls(kind)?
            .into_iter()
            .filter(|e| only(&e.call))
            .collect();
        if calls.is_empty() {
            return Some(Outcome::NotCalled);
        }
        Some(
            calls
                .iter()
                .rev()
                .find_map(|e| match e.ret {
                    Some(Return::Errno(errno)) => Some(Outcome::Failed(errno)),
                    Some(Return::Failed) => Some(Outcome::FailedUnseen),
                    _ => None,
                })
                .unwrap_or(Outcome::Succeeded),
        )
    }

    /// The last call of `kind` that failed, if the trace shows one.
    pub fn last_failed(&self, kind: Kind) -> Option<&'a TraceEvent> {
        self.calls(kind)?
            .into_iter()
            .rev()
            .find(|e| matches!(e.ret, Some(Return::Errno(_)) | Some(Return::Failed)))
    }

    /// The last shm call the program's own process made before it ended (not its children's).
    pub fn last_own_call(&self) -> Option<Option<&'a TraceEvent>> {
        self.events.map(|events| {
            events.iter().rev().find(|e| {
                e.pid == self.pid
                    && [Kind::Shmget, Kind::Shmat, Kind::Shmdt, Kind::Shmctl]
                        .iter()
                        .any(|k| k.matches(&e.call))
            })
        })
    }

    /// The fields the last `shmctl(id, IPC_SET, ...)` passed, if it made one.
    pub fn ipc_set(&self, id: i32) -> Option<Option<SetFields>> {
        self.calls(Kind::Shmctl).map(|calls| {
            calls.iter().rev().find_map(|e| match e.call {
                Call::Shmctl {
                    id: i,
                    cmd: libc::IPC_SET,
                    set,
                    ..
                } if i == id => set,
                _ => None,
            })
        })
    }

    /// The addresses successful `shmat` calls returned, in order.
    pub fn attached_addresses(&self) -> Option<Vec<u64>> {
        self.calls(Kind::Shmat).map(|calls| {
            calls
                .iter()
                .filter_map(|e| match e.ret {
                    Some(Return::Value(v)) => Some(v as u64),
                    _ => None,
                })
                .collect()
        })
    }
}

/// What the program's own process did with attachments before it ended, for a crash: the
/// shared-memory causes of a SIGSEGV that the trace allows, and no others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Attachments {
    /// A `shmat` of the process succeeded.
    pub attached: bool,
    /// It still held a `SHM_RDONLY` attachment when it ended.
    pub readonly_held: bool,
    /// It still held some attachment when it ended.
    pub held: bool,
    /// The address of the last successful `shmdt`, when nothing is attached there again.
    pub detached: Option<u64>,
    /// A failed `shmat`, with its errno where the trace shows it.
    pub failed_shmat: Option<Option<i32>>,
}

impl Attachments {
    /// Whether shared memory can be the cause of a crash at all: the process attached a
    /// segment, or a failed shmat gave it `(void *) -1`.
    pub fn touched_shared_memory(&self) -> bool {
        self.attached || self.failed_shmat.is_some()
    }
}

impl Evidence<'_> {
    /// What the program's own process (not its children) did with attachments, in order.
    pub fn attachments(&self) -> Option<Attachments> {
        let events = self.events?;
        let mut a = Attachments::default();
        // Address → whether it is read-only, for what is still attached.
        let mut held: Vec<(u64, bool)> = Vec::new();
        for e in events.iter().filter(|e| e.pid == self.pid) {
            match (&e.call, e.ret) {
                (Call::Shmat { flags, .. }, Some(Return::Value(v))) => {
                    a.attached = true;
                    held.push((v as u64, flags & libc::SHM_RDONLY != 0));
                    if a.detached == Some(v as u64) {
                        a.detached = None;
                    }
                }
                (Call::Shmat { .. }, Some(Return::Errno(errno))) => {
                    a.failed_shmat = Some(Some(errno))
                }
                (Call::Shmat { .. }, Some(Return::Failed)) => a.failed_shmat = Some(None),
                (Call::Shmdt { addr }, Some(Return::Value(_))) => {
                    held.retain(|(at, _)| at != addr);
                    a.detached = Some(*addr);
                }
                _ => {}
            }
        }
        a.held = !held.is_empty();
        a.readonly_held = held.iter().any(|(_, ro)| *ro);
        Some(a)
    }
}

/// Why a `shmdt` failed, as the trace shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadDetach {
    /// The address had been detached already by an earlier, successful `shmdt`.
    Twice { addr: u64 },
    /// The address is not one `shmat` returned.
    NotAttached { addr: u64, attached: Option<u64> },
}

impl Evidence<'_> {
    /// The first failed `shmdt`, and why it failed.
    pub fn bad_detach(&self) -> Option<Option<BadDetach>> {
        let dts = self.calls(Kind::Shmdt)?;
        let attached = self.attached_addresses().unwrap_or_default();
        let Some((i, failed)) = dts
            .iter()
            .enumerate()
            .find(|(_, e)| matches!(e.ret, Some(Return::Errno(_) | Return::Failed)))
        else {
            return Some(None);
        };
        let Call::Shmdt { addr } = failed.call else {
            return Some(None);
        };
        let detached_before = dts[..i]
            .iter()
            .any(|e| e.succeeded() && matches!(e.call, Call::Shmdt { addr: a } if a == addr));
        Some(Some(if detached_before {
            BadDetach::Twice { addr }
        } else {
            BadDetach::NotAttached {
                addr,
                attached: attached.first().copied(),
            }
        }))
    }
}
