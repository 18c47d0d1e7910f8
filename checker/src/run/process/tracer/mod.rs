//! The tracer: the program (and every process it forks) runs under ptrace with a seccomp
//! filter that stops it only at `shmget`, `shmat`, `shmdt` and `shmctl`; every other system
//! call runs at full speed. At each stop the call is decoded, and right after it returns the
//! segment it concerned is read with IPC_STAT, so the timeline shows the kernel's view after
//! every step, while the program is still alive.
//!
//! Threads are followed as threads: a `clone` with `CLONE_THREAD` starts no process and
//! adds no attachment, and a thread's end detaches nothing unless it ends its process. A
//! process that makes a shm call from another IPC namespace than the tracer's (after
//! `unshare(CLONE_NEWIPC)` or `setns`) stops the run: its segments are not the ones the
//! checker set up and looks at, and [`RunOutput::left_namespace`](super::RunOutput::left_namespace) says so.
//!
//! Part of the process-control module, so `unsafe` is allowed here: the pre-exec hook (raw
//! `ptrace`, `prctl` and `seccomp` calls between fork and exec) and `PTRACE_GET_SYSCALL_INFO`.
#![allow(unsafe_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io;
use std::time::{Duration, Instant};

use nix::sys::ptrace;
use nix::sys::signal::Signal;
use nix::sys::signalfd::SignalFd;
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;

mod deferred;
mod inspect;
mod kept;
mod lifecycle;
mod session;

pub use session::{probe, run, run_recording};

/// How a run is traced: what the tracer keeps and reads besides the calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tracing {
    /// More processes started than this, and every process of the run is killed.
    pub max_children: usize,
    /// Every event, none folded or left out (`shmlab trace --full`); else the timeline is
    /// bounded (see `kept.rs`).
    pub keep_all: bool,
    /// The text at every `shmdt`'s address, the program's own included (`shmlab trace`);
    /// else at its children's only, which keeps the program's own `shmdt` fast.
    pub every_text: bool,
}

impl Tracing {
    /// For a check: bounded, and texts read at the children's `shmdt` only.
    pub fn checking(max_children: usize) -> Tracing {
        Tracing {
            max_children,
            keep_all: false,
            every_text: false,
        }
    }
}

use super::seccomp::{is_namespace_call, is_process_call};
use super::{Ended, KillReason, ProcessEnd, Watch};
use crate::model::run::SpawnFailed;
use crate::model::timeline::{Call, Effect, Return, TraceEvent};
use crate::model::{Fault, SegmentState};
use inspect::{
    fault_of, ipc_namespace, mapped_from, read_set_fields, read_text, read_tgid, state_by_key,
    state_of, syscall_info, Creds,
};

/// How long [`Tracer::reap`] keeps looking for the next stop after handling one.
const SPIN: Duration = Duration::from_micros(50);
/// Stops handled by one [`Tracer::reap`] at most.
const MAX_BATCH: usize = 512;

struct Pending {
    call: Call,
    id: Option<i32>,
    before: Option<SegmentState>,
    /// For a shmdt: the text at its address, read at the call's entry.
    held: Option<(String, bool)>,
}

/// Follows the traced processes and records their shm calls.
///
/// ptrace works on threads: every thread of every process is a tracee of its own, and its
/// `pid` in ptrace calls and wait statuses is its thread id. Attachments belong to a process
/// (its address space), so they are kept by thread-group id, and a thread that starts or
/// ends is no process starting or ending.
struct Tracer {
    main: i32,
    signals: SignalFd,
    /// Every traced thread, by thread id.
    tracees: BTreeSet<i32>,
    /// Calls stopped at their entry, by thread id.
    pending: HashMap<i32, Pending>,
    /// The process (thread-group id) of each thread seen.
    tgids: HashMap<i32, i32>,
    /// The live threads of each process, by thread-group id.
    threads: HashMap<i32, BTreeSet<i32>>,
    /// Processes whose end was already recorded (their last thread is on its way out).
    ending: BTreeSet<i32>,
    /// Threads stopped at their exit, by thread id.
    exiting: BTreeSet<i32>,
    /// Attach addresses of each process (by thread-group id), with the segment id.
    attached: HashMap<i32, BTreeMap<u64, i32>>,
    /// The tracer's IPC namespace, where the run's segments are, and whose segments it reads.
    ipc_ns: Option<(u64, u64)>,
    /// A traced process asked for another IPC namespace (`unshare` or `clone` with
    /// `CLONE_NEWIPC`, or `setns`): only from then on is each shm call's namespace checked.
    ns_calls: bool,
    /// A traced process made a shm call from another IPC namespace (and the run was stopped).
    left_namespace: bool,
    /// The first fork or clone of the run that failed for want of processes or memory.
    spawn_failed: Option<SpawnFailed>,
    /// Threads in a fork, vfork or clone let run to its exit stop, and whether it makes a
    /// thread: a call that succeeds stops at its fork event first and goes on from there
    /// without the exit stop, so only a failed one reaches it.
    spawning: HashMap<i32, bool>,
    events: kept::Kept,
    ended: Option<Ended>,
    /// Tracees still alive when the main process ended.
    survivors: Vec<i32>,
    /// Processes started during the run.
    children: usize,
    /// More than this many, and every process of the run is killed (a fork loop).
    max_children: usize,
    /// Whether the text at every `shmdt` is read (see [`Tracing::every_text`]).
    every_text: bool,
    /// Processes (by thread-group id) the checker sent a killing signal, and why (the first
    /// reason stands).
    signalled: HashMap<i32, KillReason>,
    /// How each process ended, in order.
    ends: Vec<ProcessEnd>,
    /// Where each segment a process of the run creates is written down (a claim file).
    record: Option<std::os::fd::RawFd>,
    /// A call let run without its exit stop, whose result is read at the next event.
    deferred: Option<deferred::Deferred>,
    /// A `shmat` let run so that attached, whose address is not known yet.
    unplaced: Option<deferred::Unplaced>,
    /// Whether a `shmat` foreseen to succeed may still go without its exit stop (until one
    /// foreseen so fails).
    foresee: bool,
    /// The credentials of each process (by thread-group id), read at its first `shmat`.
    creds: HashMap<i32, Creds>,
    /// How many times an unplaced address was looked up in a memory map.
    maps_read: u32,
    /// The state of a segment just read when the deferred call was settled: the state
    /// before the call being handled, if it concerns that segment.
    fresh: Option<SegmentState>,
    /// The last SIGSEGV or SIGBUS each process (by thread-group id) was delivered, where it
    /// struck.
    faults: HashMap<i32, Fault>,
}

impl Tracer {
    /// The process thread `tid` belongs to.
    fn tgid_of(&mut self, tid: i32) -> i32 {
        *self
            .tgids
            .entry(tid)
            .or_insert_with(|| read_tgid(tid).unwrap_or(tid))
    }

    /// Notes thread `tid` as a live thread of its process; returns the process.
    fn register(&mut self, tid: i32) -> i32 {
        let tgid = self.tgid_of(tid);
        self.threads.entry(tgid).or_default().insert(tid);
        tgid
    }

    /// Whether thread `tid` now lives in another IPC namespace than the tracer's (it called
    /// `unshare(CLONE_NEWIPC)` or `setns`): its calls concern segments the tracer cannot see.
    fn is_elsewhere(&self, tid: i32) -> bool {
        if !self.ns_calls {
            return false;
        }
        match (self.ipc_ns, ipc_namespace(Some(tid))) {
            (Some(ours), Some(theirs)) => ours != theirs,
            _ => false,
        }
    }

    /// Notes that every live process of the run is about to get a signal from the checker,
    /// for `why`.
    fn note_signalled(&mut self, why: KillReason) {
        let tgids: Vec<i32> = self
            .tracees
            .iter()
            .map(|t| self.tgids.get(t).copied().unwrap_or(*t))
            .collect();
        for tgid in tgids {
            self.signalled.entry(tgid).or_insert(why);
        }
    }

    /// Writes down a segment the run created, in the claim file, as the registry does
    /// (`id cpid ctime`), with one `write` so that a line is whole or absent.
    fn write_down(&self, made: &SegmentState) {
        if let Some(fd) = self.record {
            let line = format!("{} {} {}\n", made.id, made.cpid, made.ctime);
            // SAFETY: the descriptor is the caller's claim file, open for the whole run
            // (`run_recording` borrows it for that long).
            let fd = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
            let _ = nix::unistd::write(fd, line.as_bytes());
        }
    }

    /// The state of segment `id` now: the one just read by [`Tracer::settle`], or IPC_STAT.
    fn state_now(&mut self, id: i32) -> Option<SegmentState> {
        match self.fresh.take() {
            Some(s) if s.id == id => Some(s),
            _ => state_of(id),
        }
    }

    fn resume(&mut self, pid: Pid, sig: Option<Signal>) {
        if ptrace::cont(pid, sig).is_err() {
            // It died meanwhile; its exit is reported by waitpid.
        }
    }

    fn on_seccomp(&mut self, pid: Pid) {
        let Ok(info) = syscall_info(pid) else {
            return self.resume(pid, None);
        };
        if info.op != libc::PTRACE_SYSCALL_INFO_SECCOMP {
            return self.resume(pid, None);
        }
        // SAFETY: op says the seccomp member of the union is the one filled.
        let (nr, args) = unsafe { (info.u.seccomp.nr as i64, info.u.seccomp.args) };
        if is_namespace_call(nr, args) {
            // Let it run: a shm call made from the namespace it may lead to stops the run.
            self.ns_calls = true;
        }
        if is_process_call(nr) {
            // A fork copies the attachments: know their addresses first.
            let raw = pid.as_raw();
            let tgid = self.tgid_of(raw);
            self.place(tgid);
            if self.spawn_failed.is_some() {
                return self.resume(pid, None);
            }
            // Watch for its failure (see `spawning`).
            let thread = nr == libc::SYS_clone && args[0] & libc::CLONE_THREAD as u64 != 0;
            self.spawning.insert(raw, thread);
            if ptrace::syscall(pid, None).is_err() {
                self.spawning.remove(&raw);
            }
            return;
        }
        let Some(mut call) = Call::decode(nr, args) else {
            return self.resume(pid, None);
        };
        let raw = pid.as_raw();
        if self.is_elsewhere(raw) {
            // Its segments are not the ones the checker set up or looks at: any timeline or
            // snapshot would be about the wrong segments. Stop the run here, before the call.
            self.left_namespace = true;
            return self.kill_all(KillReason::LeftNamespace);
        }
        let tgid = self.tgid_of(raw);
        let mut held = None;
        let (id, before) = match &mut call {
            Call::Shmget { key, .. } => {
                let b = state_by_key(*key);
                (b.as_ref().map(|s| s.id), b)
            }
            Call::Shmdt { addr } => {
                let known = |t: &Tracer| t.attached.get(&tgid).and_then(|m| m.get(addr)).copied();
                let mut id = known(self);
                if id.is_none() && !self.alone(raw) {
                    // Another thread could attach or detach before this call ends: the
                    // unplaced attachment's address must be known now.
                    self.place(tgid);
                    id = known(self);
                }
                let (addr, before) = (*addr, id.and_then(|i| self.state_now(i)));
                // What a child leaves in the segment (the share lab's question: did it write
                // before it detached?). Only children: the program's own shmdt stays on the
                // fast path (one read more per call costs a loop of them 7%), except for
                // `shmlab trace`, which reads at every shmdt whose address is mapped.
                if self.every_text {
                    held = read_text(raw, addr);
                } else if tgid != self.main {
                    held = id.and_then(|_| read_text(raw, addr));
                }
                if self.defer_shmdt(pid, tgid, addr, id, before.clone(), held.clone()) {
                    return;
                }
                (id, before)
            }
            Call::Shmctl { id, cmd, buf, set } => {
                if *cmd == libc::IPC_SET && *buf != 0 {
                    *set = read_set_fields(raw, *buf);
                }
                (Some(*id), self.state_now(*id))
            }
            Call::Shmat { id, addr, flags } => {
                let (id, addr, flags) = (*id, *addr, *flags);
                let before = self.state_now(id);
                if self.defer_shmat(pid, tgid, (id, addr, flags), &before) {
                    return;
                }
                (Some(id), before)
            }
            Call::Fork { .. } | Call::Exec | Call::Exit { .. } | Call::Omitted { .. } => {
                (None, None)
            }
        };
        self.spawning.remove(&raw);
        self.pending.insert(
            raw,
            Pending {
                call,
                id,
                before,
                held,
            },
        );
        // Run the call to its syscall-exit stop, to see the result and the state after.
        if ptrace::syscall(pid, None).is_err() {
            self.pending.remove(&raw);
        }
    }

    fn on_syscall_exit(&mut self, pid: Pid) {
        let raw = pid.as_raw();
        let Some(p) = self.pending.remove(&raw) else {
            if let Some(thread) = self.spawning.remove(&raw) {
                self.on_spawn_exit(pid, thread);
            }
            return self.resume(pid, None);
        };
        let tgid = self.tgid_of(raw);
        let info = syscall_info(pid)
            .ok()
            .filter(|i| i.op == libc::PTRACE_SYSCALL_INFO_EXIT);
        // SAFETY: op says the exit member of the union is the one filled.
        let ret = info.map(|i| unsafe { Return::from_raw(i.u.exit.sval, i.u.exit.is_error != 0) });
        let id = match (&p.call, ret) {
            (Call::Shmget { .. }, Some(Return::Value(v))) => Some(v as i32),
            _ => p.id,
        };
        match (&p.call, ret) {
            (Call::Shmat { id, .. }, Some(Return::Value(addr))) => {
                self.attached
                    .entry(tgid)
                    .or_default()
                    .insert(addr as u64, *id);
            }
            (Call::Shmdt { addr }, Some(Return::Value(_))) => {
                if let Some(m) = self.attached.get_mut(&tgid) {
                    m.remove(addr);
                }
            }
            _ => {}
        }
        let after = id.and_then(state_of);
        let before = match &p.call {
            // A shmget that created the segment had nothing before it.
            Call::Shmget { .. } if p.before.as_ref().map(|b| b.id) != id => None,
            _ => p.before,
        };
        if let (Call::Shmget { .. }, None, Some(made)) = (&p.call, &before, &after) {
            self.write_down(made);
        }
        self.events.record(TraceEvent {
            // The process, as the program knows itself (getpid), even when a thread called.
            pid: tgid,
            call: p.call,
            ret,
            segment: after,
            segment_id: id,
            held_cut: p.held.as_ref().is_some_and(|(_, cut)| *cut),
            held: p.held.map(|(text, _)| text),
            effect: Effect::Call { before },
            repeats: 0,
        });
        self.resume(pid, None);
    }

    /// Handles every state change waiting to be collected.
    ///
    /// Not blocking, it waits a little for the next stop before it returns (see [`SPIN`]):
    /// a program making shm calls in a loop stops again within microseconds, and catching
    /// that stop here saves going to sleep in `poll` and being woken by SIGCHLD, which is
    /// most of what a stop costs. It returns after [`MAX_BATCH`] stops at most, so that the
    /// output and the timeout are looked after.
    fn reap(&mut self, block: bool) -> io::Result<()> {
        let mut quiet_since: Option<Instant> = None;
        let mut handled = 0;
        loop {
            let flags = WaitPidFlag::__WALL
                | if block {
                    WaitPidFlag::empty()
                } else {
                    WaitPidFlag::WNOHANG
                };
            let status = match waitpid(None::<Pid>, Some(flags)) {
                Ok(s) => s,
                Err(nix::errno::Errno::EINTR) => continue,
                Err(nix::errno::Errno::ECHILD) => return Ok(()),
                Err(e) => return Err(e.into()),
            };
            if status == WaitStatus::StillAlive {
                let since = *quiet_since.get_or_insert_with(Instant::now);
                if handled == 0 || handled >= MAX_BATCH || since.elapsed() >= SPIN {
                    return Ok(());
                }
                // Let the tracee run, on this CPU if that is where it was woken.
                let _ = nix::sched::sched_yield();
                continue;
            }
            quiet_since = None;
            handled += 1;
            // Whatever happened, the deferred call (if any) is over by now. Its result can be
            // read from the segment unless the process exec'd or ended in between, dropping
            // its attachments.
            let dropped = matches!(
                status,
                WaitStatus::PtraceEvent(_, _, libc::PTRACE_EVENT_EXEC)
                    | WaitStatus::Exited(..)
                    | WaitStatus::Signaled(..)
            );
            self.fresh = self.settle(dropped);
            match status {
                WaitStatus::StillAlive => {}
                WaitStatus::PtraceEvent(pid, _, ev) if ev == libc::PTRACE_EVENT_SECCOMP => {
                    self.on_seccomp(pid)
                }
                WaitStatus::PtraceEvent(pid, _, ev)
                    if ev == libc::PTRACE_EVENT_FORK
                        || ev == libc::PTRACE_EVENT_VFORK
                        || ev == libc::PTRACE_EVENT_CLONE =>
                {
                    self.on_fork(pid, ev)
                }
                WaitStatus::PtraceEvent(pid, _, ev) if ev == libc::PTRACE_EVENT_EXEC => {
                    self.on_exec(pid)
                }
                WaitStatus::PtraceEvent(pid, _, ev) if ev == libc::PTRACE_EVENT_EXIT => {
                    self.on_exit_stop(pid)
                }
                WaitStatus::PtraceEvent(pid, _, _) => self.resume(pid, None),
                WaitStatus::PtraceSyscall(pid) => self.on_syscall_exit(pid),
                WaitStatus::Stopped(pid, sig) => {
                    // A new tracee's first stop is SIGSTOP; anything else is a signal for it.
                    let new = self.tracees.insert(pid.as_raw());
                    if new {
                        self.register(pid.as_raw());
                    }
                    if matches!(sig, Signal::SIGSEGV | Signal::SIGBUS) {
                        // A signal-delivery-stop: where the access struck, before the
                        // program's handler (or its death) takes it.
                        if let Some(mut fault) = fault_of(pid) {
                            let tgid = self.tgid_of(pid.as_raw());
                            if fault.has_address() {
                                fault.mapped_from = mapped_from(tgid, fault.addr);
                            }
                            self.faults.insert(tgid, fault);
                        }
                    }
                    let deliver = if new && sig == Signal::SIGSTOP {
                        None
                    } else {
                        Some(sig)
                    };
                    self.resume(pid, deliver);
                }
                WaitStatus::Exited(pid, _) | WaitStatus::Signaled(pid, ..) => {
                    if let Some(how) = Ended::of(status) {
                        self.on_gone(pid.as_raw(), how)
                    }
                }
                WaitStatus::Continued(_) => {}
            }
            self.fresh = None;
            if block && self.ended.is_some() {
                return Ok(());
            }
        }
    }
}
