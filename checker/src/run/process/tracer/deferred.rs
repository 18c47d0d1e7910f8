//! A `shmdt` without its syscall-exit stop: one stop instead of two for the call a
//! `shmat`/`shmdt` loop makes half the time.
//!
//! When the run has one traced thread only and the address is one the tracer saw `shmat`
//! return to this process, the call is let run to its end without stopping there, and
//! its result is read from the segment at the next thing the tracer sees. With one thread,
//! that is the same thread's next stop (its next call, its exit, a signal) or its end:
//! nothing the tracer follows can have run in between, so the segment is as the `shmdt`
//! left it. The result follows from the segment: `shmdt` detached (nattch one lower, or the
//! segment destroyed when it was marked for destruction) and returned 0, or it did not, and
//! returned -1 with EINVAL, its only error.

use nix::sys::ptrace;
use nix::unistd::Pid;

use super::inspect::state_of;
use super::Tracer;
use crate::model::timeline::{Call, Effect, Return, TraceEvent};
use crate::model::SegmentState;

/// A `shmdt` that ran without a syscall-exit stop, whose result is still to be read.
pub(super) struct Deferred {
    /// Its event in the timeline.
    event: usize,
    tgid: i32,
    addr: u64,
    id: i32,
    before: Option<SegmentState>,
}

impl Tracer {
    /// Whether thread `raw`'s `shmdt(addr)` of segment `id` can go without its exit stop.
    fn may_defer(&self, raw: i32, id: Option<i32>) -> bool {
        id.is_some() && self.tracees.len() == 1 && self.tracees.contains(&raw)
    }

    /// Records the `shmdt(addr)` of thread `pid` as done, lets it run without stopping at
    /// its end, and returns true; or returns false when it must be stopped there.
    pub(super) fn defer_shmdt(
        &mut self,
        pid: Pid,
        tgid: i32,
        addr: u64,
        id: Option<i32>,
        before: Option<SegmentState>,
        held: Option<String>,
    ) -> bool {
        let Some(id) = id.filter(|_| self.may_defer(pid.as_raw(), id)) else {
            return false;
        };
        if let Some(m) = self.attached.get_mut(&tgid) {
            m.remove(&addr);
        }
        self.events.push(TraceEvent {
            pid: tgid,
            call: Call::Shmdt { addr },
            ret: Some(Return::Value(0)),
            segment: None,
            segment_id: Some(id),
            held,
            effect: Effect::Call {
                before: before.clone(),
            },
        });
        self.deferred = Some(Deferred {
            event: self.events.len() - 1,
            tgid,
            addr,
            id,
            before,
        });
        if ptrace::cont(pid, None).is_err() {
            // It died meanwhile; its end is reported by waitpid.
        }
        true
    }

    /// Reads the result of the deferred `shmdt`, if there is one; returns the segment's
    /// state it read, which is also its state now.
    pub(super) fn settle(&mut self) -> Option<SegmentState> {
        let d = self.deferred.take()?;
        let after = state_of(d.id);
        let detached = match (&d.before, &after) {
            (Some(_), None) => true,
            (Some(b), Some(a)) => a.nattch + 1 == b.nattch,
            (None, _) => false,
        };
        let event = &mut self.events[d.event];
        event.segment = after.clone();
        if !detached {
            event.ret = Some(Return::Errno(libc::EINVAL));
            self.attached
                .entry(d.tgid)
                .or_default()
                .insert(d.addr, d.id);
        }
        after
    }
}
