//! Calls without their syscall-exit stop: one stop instead of two for `shmat` and `shmdt`,
//! the calls a loop of attaches and detaches makes.
//!
//! When the run has one traced thread only, a call whose result can be told from the
//! segment is let run to its end without stopping there, and its result is read from the
//! segment at the next thing the tracer sees. With one thread, that is the same thread's
//! next stop (its next shm call, a fork or a new thread, its exit, a signal): nothing the
//! tracer follows can have run in between, so the segment is as the call left it. Forks and
//! new threads stop at their entry for this (see the filter in `seccomp`), before the
//! attachments are copied. An exec cannot: what it drops hides what the call did, and the
//! call's result is then left unseen (no return value), as is an unplaced address.
//!
//! - `shmdt(addr)` of an address the tracer saw `shmat` return detached (nattch one lower,
//!   or the segment destroyed when it was marked for destruction) and returned 0, or it did
//!   not, and returned -1 with EINVAL, its only error.
//! - `shmat(id, NULL, flags)` is let run so only when it is foreseen to succeed: the segment
//!   exists, is small, the process holds few attachments, and the kernel's permission check
//!   passes for the process's credentials. Its result: nattch one higher, it attached. What
//!   is not read so is the address it returned; that is found when the process calls
//!   `shmdt` with an address the tracer does not know (one that detaches this segment is
//!   the one), or else from `/proc/<pid>/maps` at its next fork, new thread, exit or
//!   `shmat` let run so. Until then it is [`Unplaced`], and there is at most one.
//!   Foreseen wrong (it did not attach), the call failed with an errno no one saw
//!   ([`Return::Failed`]), and no `shmat` of the run is let run so again.

use nix::sys::ptrace;
use nix::unistd::Pid;

use super::inspect::{creds_of, mappings_of, state_of};
use super::Tracer;
use crate::model::timeline::{Call, Effect, Return, TraceEvent};
use crate::model::SegmentState;

/// A `shmat` foreseen to succeed is let run without its exit stop only for a segment this
/// large at most...
const SMALL_SEGMENT: usize = 1 << 20;
/// ...by a process holding fewer attachments than this: far from the address-space limit
/// (RLIMIT_AS) and the kernel's limit on mappings, where it would fail with ENOMEM.
const FEW_ATTACHMENTS: usize = 64;

/// How many times in a run an unplaced address is looked up in the memory map before a
/// `shmat` that would need that stops at its exit instead (a read of the map costs more
/// than the stop it saves).
const MAPS_READS: u32 = 8;

/// A call that ran without a syscall-exit stop, whose result is still to be read.
pub(super) struct Deferred {
    /// Its event in the timeline.
    event: usize,
    tgid: i32,
    id: i32,
    before: Option<SegmentState>,
    kind: Kind,
}

enum Kind {
    /// `shmdt(addr)`; `places` when the address was not known, and is the [`Unplaced`]
    /// attachment's if the call detaches.
    Shmdt {
        addr: u64,
        places: bool,
    },
    Shmat,
}

/// A `shmat` that attached, whose address is not known yet.
pub(super) struct Unplaced {
    event: usize,
    tgid: i32,
    id: i32,
}

impl Unplaced {
    /// The process that attached.
    pub(super) fn tgid(&self) -> i32 {
        self.tgid
    }

    /// The segment it attached.
    pub(super) fn id(&self) -> i32 {
        self.id
    }
}

impl Tracer {
    /// Whether thread `raw` is the run's only traced thread (no other can change a segment
    /// before its next stop).
    pub(super) fn alone(&self, raw: i32) -> bool {
        self.tracees.len() == 1 && self.tracees.contains(&raw)
    }

    /// Records the `shmdt(addr)` of thread `pid` as done, lets it run without stopping at
    /// its end, and returns true; or returns false when it must be stopped there. `id` is
    /// the segment attached at `addr`, if the tracer knows it.
    pub(super) fn defer_shmdt(
        &mut self,
        pid: Pid,
        tgid: i32,
        addr: u64,
        id: Option<i32>,
        before: Option<SegmentState>,
        held: Option<(String, bool)>,
    ) -> bool {
        if !self.alone(pid.as_raw()) {
            return false;
        }
        // An unknown address detaches the unplaced attachment, or nothing.
        let (id, places) = match (id, &self.unplaced) {
            (Some(id), _) => (id, false),
            (None, Some(u)) if u.tgid == tgid => (u.id, true),
            (None, _) => return false,
        };
        let before = if places { self.state_now(id) } else { before };
        if !places {
            if let Some(m) = self.attached.get_mut(&tgid) {
                m.remove(&addr);
            }
        }
        self.push_deferred(
            tgid,
            Call::Shmdt { addr },
            id,
            before,
            held,
            Kind::Shmdt { addr, places },
        );
        self.go_on(pid);
        true
    }

    /// Records the `shmat(id, addr, flags)` of thread `pid`, lets it run without stopping at
    /// its end when it is foreseen to succeed, and returns true; or returns false when it
    /// must be stopped there.
    pub(super) fn defer_shmat(
        &mut self,
        pid: Pid,
        tgid: i32,
        (id, addr, flags): (i32, u64, i32),
        before: &Option<SegmentState>,
    ) -> bool {
        let Some(segment) = before else {
            return false;
        };
        let simple = addr == 0 && flags & !libc::SHM_RDONLY == 0;
        let few = self.attached.get(&tgid).map_or(0, |m| m.len()) < FEW_ATTACHMENTS;
        if !self.foresee || !self.alone(pid.as_raw()) {
            return false;
        }
        if !simple || !few || segment.size > SMALL_SEGMENT {
            return false;
        }
        // At most one unplaced attachment: an earlier one is found in the memory map now
        // (once per attachment kept). A program that keeps finding its attachments there
        // (two attaches, then two detaches, in a loop) is better off with the exit stops.
        if self.unplaced.as_ref().is_some_and(|u| u.tgid == tgid) {
            if self.maps_read >= MAPS_READS {
                return false;
            }
            self.place(tgid);
        }
        let creds = match self.creds.entry(tgid) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => match creds_of(tgid) {
                Some(c) => e.insert(c),
                None => return false,
            },
        };
        if !creds.may_attach(segment, flags) {
            return false;
        }
        self.push_deferred(
            tgid,
            Call::Shmat { id, addr, flags },
            id,
            before.clone(),
            None,
            Kind::Shmat,
        );
        self.go_on(pid);
        true
    }

    fn push_deferred(
        &mut self,
        tgid: i32,
        call: Call,
        id: i32,
        before: Option<SegmentState>,
        held: Option<(String, bool)>,
        kind: Kind,
    ) {
        // Its result, for now: a shmdt is taken to detach, a shmat's address is not known.
        let ret = matches!(kind, Kind::Shmdt { .. }).then_some(Return::Value(0));
        let event = self.events.record_at(TraceEvent {
            pid: tgid,
            call,
            ret,
            segment: None,
            segment_id: Some(id),
            held_cut: held.as_ref().is_some_and(|(_, cut)| *cut),
            held: held.map(|(text, _)| text),
            effect: Effect::Call {
                before: before.clone(),
            },
            repeats: 0,
        });
        self.deferred = Some(Deferred {
            event,
            tgid,
            id,
            before,
            kind,
        });
    }

    fn go_on(&mut self, pid: Pid) {
        if ptrace::cont(pid, None).is_err() {
            // It died meanwhile; its end is reported by waitpid.
        }
    }

    /// Reads the result of the deferred call, if there is one; returns the segment's state
    /// it read, which is also its state now. With `dropped`, the process exec'd or ended
    /// since the call, and its attachments went with it: the segment no longer tells what
    /// the call did, and its result is left unseen (no return value).
    pub(super) fn settle(&mut self, dropped: bool) -> Option<SegmentState> {
        let d = self.deferred.take()?;
        let after = state_of(d.id);
        if dropped {
            let event = self.events.at(d.event);
            event.ret = None;
            event.segment = after.clone();
            return after;
        }
        let change = match (&d.before, &after) {
            (Some(b), Some(a)) => Some(a.nattch as i64 - b.nattch as i64),
            // Destroyed: the last attachment of a segment marked for destruction went.
            (Some(_), None) => Some(-1),
            (None, _) => None,
        };
        self.events.at(d.event).segment = after.clone();
        match d.kind {
            Kind::Shmdt { addr, places } => {
                if change == Some(-1) {
                    if places {
                        if let Some(u) = self.unplaced.take() {
                            self.events.at(u.event).ret = Some(Return::Value(addr as i64));
                        }
                    }
                } else {
                    self.events.at(d.event).ret = Some(Return::Errno(libc::EINVAL));
                    if !places {
                        self.attached.entry(d.tgid).or_default().insert(addr, d.id);
                    }
                }
            }
            Kind::Shmat => {
                if change == Some(1) {
                    self.unplaced = Some(Unplaced {
                        event: d.event,
                        tgid: d.tgid,
                        id: d.id,
                    });
                } else {
                    // Foreseen wrong: no guess at why, and no more foreseeing in this run.
                    self.events.at(d.event).ret = Some(Return::Failed);
                    self.foresee = false;
                }
            }
        }
        after
    }

    /// Finds the address of process `tgid`'s unplaced attachment, if it has one, in its
    /// memory map: the one attachment of the segment there that the tracer does not know.
    /// Called while the process is stopped: at the entry of a fork, a new thread or a
    /// `shmdt` another thread could race, at its exit, or at a `shmat` let run so.
    pub(super) fn place(&mut self, tgid: i32) {
        let Some(u) = self.unplaced.take_if(|u| u.tgid == tgid) else {
            return;
        };
        self.maps_read += 1;
        let known = self.attached.get(&tgid);
        let new: Vec<u64> = mappings_of(tgid, u.id)
            .unwrap_or_default()
            .into_iter()
            .filter(|a| known.is_none_or(|m| !m.contains_key(a)))
            .collect();
        if let [addr] = new[..] {
            self.events.at(u.event).ret = Some(Return::Value(addr as i64));
            self.attached.entry(tgid).or_default().insert(addr, u.id);
        }
        // Otherwise its address stays unknown: the event shows no return value.
    }
}
