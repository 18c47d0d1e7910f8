//! Where a memory fault struck: what the kernel told the tracer when a SIGSEGV or SIGBUS was
//! about to be delivered to the program (its `siginfo`). Filled by the tracer, read by the
//! scenario's crash hints.

use serde::{Deserialize, Serialize};

/// The page size the checker's machines map memory in (x86-64 and arm64 with 4 KiB pages):
/// an attachment covers its size rounded up to it.
pub const PAGE: u64 = 4096;

/// A SIGSEGV or SIGBUS the program's own process received, as its `siginfo` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    /// The signal: SIGSEGV or SIGBUS.
    pub signal: i32,
    /// `si_addr`: the address the access faulted at (when [`Fault::has_address`]).
    pub addr: u64,
    /// `si_code`: how it came (`SEGV_MAPERR`, `SEGV_ACCERR`, `BUS_ADRERR`, ...; `SI_USER` and
    /// other codes of zero or less for a signal some process sent).
    pub code: i32,
    /// Where the memory mapped without a gap up to the page of `addr` starts, from the
    /// process's memory map at the fault: `addr`'s page itself when the page below it is not
    /// mapped. A run of writes that went past the end of a segment into the mappings after
    /// it shows here (the segment is in that run). `None` when the map could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mapped_from: Option<u64>,
}

impl Fault {
    /// Whether `addr` is the address of a faulting access: the kernel raised the signal at
    /// an access (a positive code), not a process (`kill`, `raise`: zero or less), nor the
    /// kernel for a fault without an address (`SI_KERNEL`, as a general protection fault
    /// gives: its `si_addr` is 0).
    pub fn has_address(&self) -> bool {
        self.code > 0 && self.code != libc::SI_KERNEL
    }
}
