//! Where a fault struck, classified on made-up timelines: one test per cause, and the cases
//! where the timeline or the signal says too little to name one.

use super::*;
use crate::model::{Effect, SegmentState};

const PID: i32 = 41;
const SEG: u64 = 0x7f00_0000_0000;
/// `SEGV_MAPERR` (asm-generic/siginfo.h; libc has no name for it on Linux).
const SEGV_MAPERR: i32 = 1;

fn segment(size: usize) -> SegmentState {
    SegmentState {
        id: 3,
        key: 0x4446,
        size,
        mode: 0o666,
        uid: 0,
        gid: 0,
        cuid: 0,
        cgid: 0,
        cpid: PID,
        lpid: PID,
        nattch: 1,
        atime: 0,
        dtime: 0,
        ctime: 0,
    }
}

fn event(call: Call, ret: Option<Return>, size: Option<usize>) -> TraceEvent {
    TraceEvent {
        pid: PID,
        call,
        ret,
        segment: size.map(segment),
        segment_id: Some(3),
        held: None,
        effect: Effect::Call { before: None },
        repeats: 0,
        held_cut: false,
    }
}

fn attach(at: u64, size: usize, flags: i32) -> TraceEvent {
    let call = Call::Shmat {
        id: 3,
        addr: 0,
        flags,
    };
    event(call, Some(Return::Value(at as i64)), Some(size))
}

fn detach(at: u64) -> TraceEvent {
    event(Call::Shmdt { addr: at }, Some(Return::Value(0)), None)
}

fn failed_attach() -> TraceEvent {
    let call = Call::Shmat {
        id: 3,
        addr: 0,
        flags: 0,
    };
    event(call, Some(Return::Errno(libc::EACCES)), None)
}

/// A SIGSEGV at `addr`, with nothing mapped right below its page.
fn segv(addr: u64) -> Fault {
    Fault {
        signal: libc::SIGSEGV,
        addr,
        code: SEGV_MAPERR,
        mapped_from: Some(addr & !(PAGE - 1)),
    }
}

fn cause(addr: u64, events: &[TraceEvent]) -> Option<FaultCause> {
    fault_cause(&segv(addr), events, PID)
}

#[test]
fn a_fault_inside_a_detached_attachment_is_use_after_shmdt() {
    let events = [attach(SEG, 256, 0), detach(SEG)];
    let after = |addr| FaultCause::AfterShmdt {
        addr,
        detached: SEG,
    };
    assert_eq!(cause(SEG, &events), Some(after(SEG)));
    // Anywhere in its pages, past its size too.
    assert_eq!(cause(SEG + 300, &events), Some(after(SEG + 300)));
    assert_eq!(
        cause(SEG + PAGE, &events),
        Some(FaultCause::OwnMemory { addr: SEG + PAGE })
    );
}

#[test]
fn an_address_attached_again_after_shmdt_is_no_longer_detached() {
    // Detached, then attached read-only at the same address: a fault there is the write.
    let events = [
        attach(SEG, 256, 0),
        detach(SEG),
        attach(SEG, 256, libc::SHM_RDONLY),
    ];
    assert_eq!(
        cause(SEG + 8, &events),
        Some(FaultCause::ReadOnly {
            addr: SEG + 8,
            attached: SEG
        })
    );
}

#[test]
fn a_fault_inside_a_live_read_only_attachment_is_a_write_through_it() {
    let events = [attach(SEG, 100, libc::SHM_RDONLY)];
    assert_eq!(
        cause(SEG + 99, &events),
        Some(FaultCause::ReadOnly {
            addr: SEG + 99,
            attached: SEG
        })
    );
    // Inside a live read-write attachment nothing explains a fault: no cause is named.
    let events = [attach(SEG, 100, 0)];
    assert_eq!(cause(SEG + 99, &events), None);
}

#[test]
fn a_fault_just_past_a_live_attachment_is_past_the_end() {
    let events = [attach(SEG, 100, libc::SHM_RDONLY)];
    // In the rest of its last page.
    assert_eq!(
        cause(SEG + 100, &events),
        Some(FaultCause::PastEnd {
            addr: SEG + 100,
            size: 100,
            past: 0
        })
    );
    // In the page after it.
    let events = [attach(SEG, 4096, 0)];
    assert_eq!(
        cause(SEG + 4096 + 10, &events),
        Some(FaultCause::PastEnd {
            addr: SEG + 4106,
            size: 4096,
            past: 10
        })
    );
    // Two pages after it: not the segment.
    assert_eq!(
        cause(SEG + 2 * 4096, &events),
        Some(FaultCause::OwnMemory {
            addr: SEG + 2 * 4096
        })
    );
}

#[test]
fn a_fault_in_the_first_page_is_a_null_pointer_whatever_the_trace() {
    let events = [attach(SEG, 256, 0), detach(SEG)];
    assert_eq!(
        cause(0, &events),
        Some(FaultCause::Null {
            addr: 0,
            after_failed_shmat: false
        })
    );
    // (void *) -1 plus 17 wraps around to 16: after a failed shmat, that is said too.
    assert_eq!(
        cause(16, &[failed_attach()]),
        Some(FaultCause::Null {
            addr: 16,
            after_failed_shmat: true
        })
    );
    // Even with events left out.
    let omitted = event(Call::Omitted { count: 9 }, None, None);
    assert!(matches!(
        cause(8, &[omitted]),
        Some(FaultCause::Null { addr: 8, .. })
    ));
}

#[test]
fn a_fault_just_below_minus_one_after_a_failed_shmat_is_its_result_used() {
    let events = [failed_attach()];
    assert_eq!(
        cause(u64::MAX, &events),
        Some(FaultCause::FailedShmat {
            addr: u64::MAX,
            errno: Some(libc::EACCES)
        })
    );
    assert_eq!(
        cause(u64::MAX - 63, &events),
        Some(FaultCause::FailedShmat {
            addr: u64::MAX - 63,
            errno: Some(libc::EACCES)
        })
    );
    // Without a failed shmat, the program's own pointer.
    assert_eq!(
        cause(u64::MAX, &[]),
        Some(FaultCause::OwnMemory { addr: u64::MAX })
    );
}

#[test]
fn a_fault_outside_every_attachment_is_in_the_programs_own_memory() {
    let events = [attach(SEG, 256, 0), detach(SEG)];
    assert_eq!(
        cause(0x5555_0000_1000, &events),
        Some(FaultCause::OwnMemory {
            addr: 0x5555_0000_1000
        })
    );
    // A child's attachments are not the program's.
    let mut child = attach(SEG, 256, 0);
    child.pid = PID + 1;
    assert_eq!(
        cause(SEG, &[child]),
        Some(FaultCause::OwnMemory { addr: SEG })
    );
    // An exec starts a new address space: what was detached before is gone.
    let exec = event(Call::Exec, None, None);
    assert_eq!(
        cause(SEG, &[attach(SEG, 256, 0), detach(SEG), exec]),
        Some(FaultCause::OwnMemory { addr: SEG })
    );
}

#[test]
fn an_incomplete_timeline_names_no_cause_that_rests_on_it() {
    let omitted = event(Call::Omitted { count: 9 }, None, None);
    let events = [attach(SEG, 256, 0), omitted, detach(SEG)];
    assert_eq!(cause(SEG, &events), None);
    assert_eq!(cause(0x5555_0000_1000, &events), None);
    // An attachment whose address is not known.
    let unplaced = event(
        Call::Shmat {
            id: 3,
            addr: 0,
            flags: 0,
        },
        None,
        Some(256),
    );
    assert_eq!(cause(0x5555_0000_1000, &[unplaced]), None);
    // One whose segment's size is not known.
    let no_size = event(
        Call::Shmat {
            id: 3,
            addr: 0,
            flags: 0,
        },
        Some(Return::Value(SEG as i64)),
        None,
    );
    assert_eq!(cause(SEG + 8, &[no_size]), None);
}

#[test]
fn a_signal_without_an_address_names_no_cause() {
    let events = [attach(SEG, 256, 0), detach(SEG)];
    for code in [libc::SI_USER, libc::SI_TKILL, libc::SI_KERNEL] {
        let sent = Fault {
            signal: libc::SIGSEGV,
            addr: 0,
            code,
            mapped_from: None,
        };
        assert!(!sent.has_address());
        assert_eq!(fault_cause(&sent, &events, PID), None, "code {code}");
    }
    let bus = Fault {
        signal: libc::SIGBUS,
        addr: SEG,
        code: libc::BUS_ADRERR,
        mapped_from: Some(SEG),
    };
    assert!(matches!(
        fault_cause(&bus, &events, PID),
        Some(FaultCause::AfterShmdt { .. })
    ));
}

#[test]
fn a_fault_in_memory_mapped_on_from_a_live_attachment_names_no_cause() {
    // Writes that ran on past the segment's end into the mappings after it (a library's),
    // until one faulted: not the program's own memory, and not surely the segment either.
    let events = [attach(SEG, 4096, 0)];
    let far = SEG + 0x40_0000;
    let ran_on = Fault {
        mapped_from: Some(SEG),
        ..segv(far)
    };
    assert_eq!(fault_cause(&ran_on, &events, PID), None);
    // A gap after the segment: the fault is elsewhere.
    let gap = Fault {
        mapped_from: Some(SEG + 0x20_0000),
        ..segv(far)
    };
    assert_eq!(
        fault_cause(&gap, &events, PID),
        Some(FaultCause::OwnMemory { addr: far })
    );
    // The memory map not read: an attachment below the address may be the start of it.
    let unknown = Fault {
        mapped_from: None,
        ..segv(far)
    };
    assert_eq!(fault_cause(&unknown, &events, PID), None);
    // Below every attachment, it cannot be one run on.
    let below = Fault {
        mapped_from: None,
        ..segv(0x5555_0000_1000)
    };
    assert_eq!(
        fault_cause(&below, &events, PID),
        Some(FaultCause::OwnMemory {
            addr: 0x5555_0000_1000
        })
    );
}
