//! Where a SIGSEGV or SIGBUS struck, set against the attachments the program's own process
//! held and had detached: the cause of a crash, known from the faulting address instead of
//! guessed from the last shm call.
//!
//! The address is the kernel's (`si_addr`, read by the tracer); the attachments are the
//! timeline's (each successful `shmat`'s address, flags and segment size, each successful
//! `shmdt`'s address). A cause that rests on the attachments needs the whole timeline: with
//! events left out, or an attachment whose address or result is unknown, only what the
//! address alone tells is said.

use crate::model::timeline::{errno_name, signal_name};
use crate::model::{Call, Fault, Return, TraceEvent};

pub use crate::model::fault::PAGE;

/// What the faulting address says the program did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultCause {
    /// It struck inside an attachment the process had detached with `shmdt(detached)`:
    /// it used the segment after shmdt.
    AfterShmdt { addr: u64, detached: u64 },
    /// It struck inside a live `SHM_RDONLY` attachment of a segment of `size` bytes at
    /// `attached`: it wrote through a read-only attachment.
    ReadOnly { addr: u64, attached: u64 },
    /// It struck past the end of a live attachment (in the rest of its last page, or the page
    /// after it): `past` bytes past the `size` of the segment.
    PastEnd { addr: u64, size: u64, past: u64 },
    /// It struck in the first page, where no program maps anything: a NULL pointer (or,
    /// after a failed shmat, possibly `(void *) -1` plus an offset, which wraps around there).
    Null { addr: u64, after_failed_shmat: bool },
    /// It struck in the last page of the address space, just below `(void *) -1`, after a
    /// `shmat` of the process failed (with `errno`, where the trace shows it): it used what
    /// the failed shmat returned.
    FailedShmat { addr: u64, errno: Option<i32> },
    /// It struck outside every segment the process attached: in its own memory.
    OwnMemory { addr: u64 },
}

impl FaultCause {
    /// What the program did, said for a crash by `signal` (a lab's hint and an assignment's
    /// both say it so): where it struck, what that is, and what to do.
    pub fn text(&self, signal: i32) -> String {
        let name = signal_name(signal);
        match *self {
            FaultCause::AfterShmdt { addr, detached } => format!(
                "{name} at {addr:#x}, inside the attachment shmdt({detached:#x}) had detached: the program used the segment after shmdt detached it; read or copy what you need before shmdt, and do not touch the pointer after it"
            ),
            FaultCause::ReadOnly { addr, attached } => format!(
                "{name} at {addr:#x}, inside its SHM_RDONLY attachment at {attached:#x}: the program wrote through a read-only attachment; attach without SHM_RDONLY to write"
            ),
            FaultCause::PastEnd { addr, size, past } => format!(
                "{name} at {addr:#x}, {past} byte(s) past the end of the segment it had attached ({size} bytes): the program went past the end of the segment; keep every index and copy within the size given to shmget"
            ),
            FaultCause::Null {
                addr,
                after_failed_shmat: false,
            } => format!(
                "{name}: the program used a NULL pointer (address {addr:#x}), not the segment; look at which of its pointers is NULL there (never set, or set to NULL and used again)"
            ),
            FaultCause::Null {
                addr,
                after_failed_shmat: true,
            } => format!(
                "{name} in the first page of memory: a NULL pointer (address {addr:#x}), or the (void *) -1 that a failed shmat returned with an offset added (which wraps around to there); check shmat's result against (void *) -1, and look at which of its pointers is NULL"
            ),
            FaultCause::FailedShmat { addr, errno } => format!(
                "{name} at {addr:#x}, just below (void *) -1: the program used the (void *) -1 that the failed shmat returned{}; check shmat's result against (void *) -1 before using it",
                errno.map_or(String::new(), |e| format!(" (it failed with {})", errno_name(e)))
            ),
            FaultCause::OwnMemory { addr } => format!(
                "{name} at {addr:#x}, outside every segment it attached: in its own memory, not a segment; look at its pointers and arrays (an uninitialised pointer, an index past an array's end, a recursion too deep for the stack)"
            ),
        }
    }
}

/// An attachment of the process, as the timeline shows it.
#[derive(Debug, Clone, Copy)]
struct Mapping {
    start: u64,
    /// The segment's size.
    size: u64,
    read_only: bool,
}

impl Mapping {
    /// The end of its size.
    fn end(&self) -> u64 {
        self.start.saturating_add(self.size)
    }

    /// The end of its pages: its size rounded up to a page.
    fn pages_end(&self) -> u64 {
        self.start
            .saturating_add(self.size.div_ceil(PAGE).max(1).saturating_mul(PAGE))
    }

    /// Whether `addr` is in its pages.
    fn has(&self, addr: u64) -> bool {
        addr >= self.start && addr < self.pages_end()
    }
}

/// What process `pid` held and had detached by the end of `events`, and whether the
/// timeline shows all of it.
#[derive(Debug, Default)]
struct Held {
    live: Vec<Mapping>,
    detached: Vec<Mapping>,
    failed_shmat: bool,
    /// The errno of the last failed `shmat`, where the trace shows it.
    errno: Option<i32>,
    /// Events left out, or an attach or detach whose result or address is unknown.
    incomplete: bool,
}

fn held_by(events: &[TraceEvent], pid: i32) -> Held {
    let mut h = Held::default();
    for e in events {
        if matches!(e.call, Call::Omitted { .. }) {
            h.incomplete = true;
        }
        if e.pid != pid {
            continue;
        }
        match (&e.call, e.ret) {
            (Call::Shmat { flags, .. }, Some(Return::Value(v))) => {
                let size = e
                    .segment
                    .as_ref()
                    .or(match &e.effect {
                        crate::model::Effect::Call { before } => before.as_ref(),
                        _ => None,
                    })
                    .map(|s| s.size as u64);
                let Some(size) = size else {
                    h.incomplete = true;
                    continue;
                };
                let m = Mapping {
                    start: v as u64,
                    size,
                    read_only: flags & libc::SHM_RDONLY != 0,
                };
                // What was detached there is mapped again.
                h.detached.retain(|d| !overlaps(d, &m));
                h.live.push(m);
            }
            (Call::Shmat { .. }, Some(Return::Errno(errno))) => {
                h.failed_shmat = true;
                h.errno = Some(errno);
            }
            (Call::Shmat { .. }, Some(Return::Failed)) => {
                h.failed_shmat = true;
                h.errno = None;
            }
            (Call::Shmdt { addr }, Some(Return::Value(_))) => {
                if let Some(i) = h.live.iter().position(|m| m.start == *addr) {
                    h.detached.push(h.live.remove(i));
                } else {
                    h.incomplete = true;
                }
            }
            (Call::Shmat { .. } | Call::Shmdt { .. }, None) => h.incomplete = true,
            (Call::Exec, _) => {
                // A new program: a new address space, nothing attached, nothing failed.
                h = Held {
                    incomplete: h.incomplete,
                    ..Held::default()
                };
            }
            _ => {}
        }
    }
    h
}

/// Whether two attachments' pages overlap.
fn overlaps(a: &Mapping, b: &Mapping) -> bool {
    a.start < b.pages_end() && b.start < a.pages_end()
}

/// Why process `pid` got `fault`, from where it struck and the attachments `events` show;
/// `None` when that cannot be told: the signal came without an address (sent by a process,
/// or a fault the kernel gives no address for), it struck inside a live read-write
/// attachment or in memory mapped without a gap after one, or the timeline is incomplete
/// and the address alone says nothing.
pub fn fault_cause(fault: &Fault, events: &[TraceEvent], pid: i32) -> Option<FaultCause> {
    if !fault.has_address() {
        return None;
    }
    let addr = fault.addr;
    let h = held_by(events, pid);
    if addr < PAGE {
        return Some(FaultCause::Null {
            addr,
            after_failed_shmat: h.failed_shmat,
        });
    }
    if addr > u64::MAX - PAGE && h.failed_shmat {
        return Some(FaultCause::FailedShmat {
            addr,
            errno: h.errno,
        });
    }
    if h.incomplete {
        return None;
    }
    // Inside a live attachment, or past its size within its own pages.
    let past_end = |m: &Mapping| FaultCause::PastEnd {
        addr,
        size: m.size,
        past: addr - m.end(),
    };
    if let Some(m) = h.live.iter().find(|m| m.has(addr)) {
        if addr >= m.end() {
            return Some(past_end(m));
        }
        // Inside it: only a read-only one explains a fault there.
        return m.read_only.then_some(FaultCause::ReadOnly {
            addr,
            attached: m.start,
        });
    }
    if let Some(d) = h.detached.iter().rev().find(|d| d.has(addr)) {
        return Some(FaultCause::AfterShmdt {
            addr,
            detached: d.start,
        });
    }
    // The page after a live attachment's last one.
    if let Some(m) = h
        .live
        .iter()
        .find(|m| addr >= m.pages_end() && addr - m.pages_end() < PAGE)
    {
        return Some(past_end(m));
    }
    // In memory mapped without a gap from a live attachment up: a run past the end of the
    // segment into the mappings after it looks so, as does a stray pointer there. Neither
    // is said. (With no memory map read, any attachment below the address may be one.)
    let from = fault.mapped_from.unwrap_or(0);
    if h.live.iter().any(|m| m.start >= from && m.start < addr) {
        return None;
    }
    Some(FaultCause::OwnMemory { addr })
}

#[cfg(test)]
#[path = "fault_tests.rs"]
mod tests;
