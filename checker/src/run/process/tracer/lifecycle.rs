//! The tracer's view of processes: a fork or a thread starting, an exec, a thread exiting
//! and its process ending, and a thread gone (reaped).

use std::collections::{BTreeMap, BTreeSet};

use nix::sys::ptrace;
use nix::sys::signal::Signal;
use nix::unistd::Pid;

use super::super::{Ended, KillReason, ProcessEnd, Watch};
use super::inspect::{attachments, is_going, syscall_info, syscall_of};
use super::Tracer;
use crate::model::run::{SpawnFailed, Termination};
use crate::model::timeline::{Call, Effect, TraceEvent};

impl Tracer {
    /// A fork, vfork or clone (`event` says which) by thread `pid`.
    pub(super) fn on_fork(&mut self, pid: Pid, event: i32) {
        let raw = pid.as_raw();
        // It succeeded: no need to stop at its end (resumed below without the exit stop).
        self.spawning.remove(&raw);
        if let Ok(child) = ptrace::getevent(pid) {
            let child = child as i32;
            self.tracees.insert(child);
            let parent = self.register(raw);
            // A clone with CLONE_THREAD is a thread of the same process: it shares the
            // process's attachments, adds none, and is no new process.
            if self.register(child) == parent {
                return self.resume(pid, None);
            }
            self.children += 1;
            if self.children > self.max_children {
                // A fork loop: stop it here, whatever uid it runs as (root ignores RLIMIT_NPROC).
                self.kill_all(KillReason::TooManyProcesses);
            }
            // A vfork child borrows its parent's address space until it execs or exits: it
            // has no attachments of its own, and nattch does not change.
            let inherited = if event == libc::PTRACE_EVENT_VFORK {
                BTreeMap::new()
            } else {
                self.attached.get(&parent).cloned().unwrap_or_default()
            };
            let ids: BTreeSet<i32> = inherited.values().copied().collect();
            self.attached.insert(child, inherited);
            self.events.record(TraceEvent {
                pid: parent,
                call: Call::Fork { child },
                ret: None,
                segment: None,
                segment_id: None,
                held: None,
                effect: Effect::Fork {
                    inherited: attachments(&ids),
                },
                repeats: 0,
                held_cut: false,
            });
        }
        self.resume(pid, None);
    }

    /// The exit stop of a fork, vfork or clone by thread `pid` that did not stop at a fork
    /// event first: it failed. The first failure for want of processes or memory is kept,
    /// with how many processes and threads the run had then. (The caller resumes it.)
    pub(super) fn on_spawn_exit(&mut self, pid: Pid, thread: bool) {
        let Ok(info) = syscall_info(pid) else { return };
        if info.op != libc::PTRACE_SYSCALL_INFO_EXIT {
            return;
        }
        // SAFETY: op says the exit member of the union is the one filled.
        let (value, is_error) = unsafe { (info.u.exit.sval, info.u.exit.is_error != 0) };
        let errno = -value as i32;
        if is_error && matches!(errno, libc::EAGAIN | libc::ENOMEM) && self.spawn_failed.is_none() {
            self.spawn_failed = Some(SpawnFailed {
                thread,
                errno,
                tasks: self.tracees.len() as u64,
                limit: None,
            });
        }
    }

    pub(super) fn on_exec(&mut self, pid: Pid) {
        // Reported with the process's id: a thread that execs takes the thread-group leader's
        // id, every other thread is gone, and its old thread id is never reported again.
        let raw = pid.as_raw();
        if let Ok(former) = ptrace::getevent(pid) {
            let former = former as i32;
            if former != raw {
                self.tracees.remove(&former);
                self.pending.remove(&former);
                self.tgids.remove(&former);
            }
        }
        self.tgids.insert(raw, raw);
        self.threads.insert(raw, BTreeSet::from([raw]));
        // Its credentials may change with the program. An attachment still unplaced is
        // dropped with the rest, its address unknown (an exec does not stop at its entry).
        self.creds.remove(&raw);
        let unplaced = self.unplaced.take_if(|u| u.tgid() == raw).map(|u| u.id());
        let dropped = self.attached.remove(&raw).unwrap_or_default();
        let program = std::fs::read(format!("/proc/{raw}/cmdline"))
            .map(|b| {
                b.split(|c| *c == 0)
                    .filter(|a| !a.is_empty())
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default();
        let ids: BTreeSet<i32> = dropped.values().copied().chain(unplaced).collect();
        self.events.record(TraceEvent {
            pid: raw,
            call: Call::Exec,
            ret: None,
            segment: None,
            segment_id: None,
            held: None,
            effect: Effect::Exec {
                program,
                detached: attachments(&ids),
            },
            repeats: 0,
            held_cut: false,
        });
        self.resume(pid, None);
    }

    /// Thread `pid` is exiting. Its process ends with it when it is the last thread, or when
    /// it ends them all (`exit_group`, a killing signal): only then does the kernel detach
    /// what the process still holds.
    pub(super) fn on_exit_stop(&mut self, pid: Pid) {
        let raw = pid.as_raw();
        let tgid = self.register(raw);
        self.exiting.insert(raw);
        // The memory map is still there: find the address of an attachment still unplaced.
        self.place(tgid);
        let others_live = || {
            self.threads.get(&tgid).is_some_and(|threads| {
                threads
                    .iter()
                    .any(|t| *t != raw && !self.exiting.contains(t) && !is_going(tgid, *t))
            })
        };
        // `exit` (as `pthread_exit` calls it) ends one thread; `exit_group` (what `exit()` and
        // a return from `main` call) and a killing signal end them all.
        let thread_only = syscall_of(raw) == Some(libc::SYS_exit) && others_live();
        // A thread that execs ends every other thread first; the process goes on.
        let is_execing = |t: i32| {
            syscall_of(t).is_some_and(|nr| nr == libc::SYS_execve || nr == libc::SYS_execveat)
        };
        let by_exec = self
            .threads
            .get(&tgid)
            .is_some_and(|threads| threads.iter().any(|t| *t != raw && is_execing(*t)));
        if thread_only || by_exec || !self.ending.insert(tgid) {
            // A thread of a process that goes on, or another thread of one already ending.
            return self.resume(pid, None);
        }
        let held = self.attached.get(&tgid).cloned().unwrap_or_default();
        // The end of a child is recorded even when it holds nothing: a parent's IPC_RMID
        // after it, or before it, is then on the timeline (the share lab's order).
        if !held.is_empty() || tgid != self.main {
            // The event message is the wait status: an exit code, or the killing signal.
            let raw_status = ptrace::getevent(pid).map_or(0, |s| s as i32);
            let status = if raw_status & 0x7f == 0 {
                (raw_status >> 8) & 0xff
            } else {
                -(raw_status & 0x7f)
            };
            let ids: BTreeSet<i32> = held.values().copied().collect();
            self.events.record(TraceEvent {
                pid: tgid,
                call: Call::Exit { status },
                ret: None,
                segment: None,
                segment_id: ids.iter().next().copied(),
                held: None,
                effect: Effect::Exit {
                    attached: attachments(&ids),
                },
                repeats: 0,
                held_cut: false,
            });
        }
        self.resume(pid, None);
    }

    /// Thread `pid` is gone (reaped). Its process is gone with its last thread.
    pub(super) fn on_gone(&mut self, pid: i32, how: Ended) {
        self.tracees.remove(&pid);
        self.pending.remove(&pid);
        self.exiting.remove(&pid);
        let tgid = self.tgids.remove(&pid).unwrap_or(pid);
        let last = match self.threads.get_mut(&tgid) {
            Some(threads) => {
                threads.remove(&pid);
                threads.is_empty()
            }
            None => true,
        };
        if last {
            self.threads.remove(&tgid);
            self.attached.remove(&tgid);
            self.creds.remove(&tgid);
            self.unplaced.take_if(|u| u.tgid() == tgid);
            self.ending.remove(&tgid);
            let (termination, by_signal) = match how {
                Ended::Code(code) => (
                    Termination::Exited {
                        code: i32::from(code),
                    },
                    None,
                ),
                Ended::Signal(sig, core_dumped) => (
                    Termination::Signaled {
                        signal: sig as i32,
                        core_dumped,
                    },
                    Some(sig),
                ),
            };
            // Killed by the checker when it died of the signal the checker sent it.
            let killed_by_checker = by_signal
                .filter(|s| matches!(s, Signal::SIGKILL | Signal::SIGTERM))
                .and_then(|_| self.signalled.get(&tgid).copied());
            self.ends.push(ProcessEnd {
                pid: tgid,
                termination,
                killed_by_checker,
                after_events: self.events.position(),
            });
        }
        if pid == self.main {
            self.ended = Some(how);
            // Processes, not threads, still running.
            let mut left: BTreeSet<i32> = BTreeSet::new();
            for t in &self.tracees {
                left.insert(self.tgids.get(t).copied().unwrap_or(*t));
            }
            left.remove(&self.main);
            self.survivors = left.into_iter().collect();
        }
    }
}
