//! Hints from evidence, on made-up observations: each hint follows from what the run shows,
//! and says less when the run was not traced.

use std::collections::BTreeMap;

use super::evidence::{BadDetach, Evidence, Kind, Outcome};
use super::status::{crash_hint, rejected_argument};
use super::*;
use crate::model::TraceEvent;
use crate::model::{Call, Effect, Lab, Observation, Return, RunRecord, Snapshot, Termination};

const PID: i32 = 77;

pub(super) fn event(call: Call, ret: Option<Return>) -> TraceEvent {
    TraceEvent {
        pid: PID,
        call,
        ret,
        segment: None,
        segment_id: None,
        held: None,
        effect: Effect::Call { before: None },
        repeats: 0,
        held_cut: false,
    }
}

pub(super) fn obs(
    code: i32,
    argv: &[&str],
    stderr: &str,
    timeline: Option<Vec<TraceEvent>>,
) -> Observation {
    let traced = timeline.is_some();
    Observation {
        keys: vec![shm::Key::new(0x5eed_0001)],
        free_key: shm::Key::new(0x5eed_00ff),
        setup_ids: vec![],
        program_uid: 65534,
        program_gid: 65534,
        snapshots: vec![
            Snapshot {
                label: "before".into(),
                segments: vec![],
            },
            Snapshot {
                label: "after run 1".into(),
                segments: vec![],
            },
        ],
        runs: vec![RunRecord {
            argv: argv.iter().map(|s| s.to_string()).collect(),
            stdin: None,
            pid: PID,
            termination: Termination::Exited { code },
            stdout: String::new(),
            stderr: stderr.into(),
            dropped: 0,
            dropped_by_stream: Default::default(),
            started: 0,
            timeline,
            survivors: vec![],
            children: 0,
            left_namespace: false,
            spawn_failed: None,
            fault: None,
            exchanges: Vec::new(),
        }],
        after_run: vec![1],
        contents: vec![BTreeMap::new()],
        initial_contents: vec![],
        tracing: if traced {
            Ok(())
        } else {
            Err("not traced in this test".into())
        },
        left_out: Vec::new(),
    }
}

pub(super) fn scenario(expect: fn(&mut Ctx<'_>)) -> Scenario {
    Scenario {
        lab: Lab::Set,
        slug: "test/scenario",
        title: "a made-up scenario",
        purpose: Purpose::Behaviour,
        needs: vec![],
        setup: vec![],
        steps: vec![],
        read_contents: false,
        expect,
    }
}

/// Expects status 0, then a field check that a stop must suppress.
pub(super) fn status_then_field(c: &mut Ctx<'_>) {
    c.status(0);
    c.field("uid", "owner", 1, 2, || "--uid was not applied".into());
}

#[test]
fn a_usage_error_names_the_rejected_argument_and_stops_the_checks() {
    let argv = ["set", "0x5eed0001", "--mode", "640"];
    let o = obs(
        2,
        &argv,
        "set: invalid mode '640' (write it as 0640)\n",
        None,
    );
    let e = evaluate(&scenario(status_then_field), &o);
    assert_eq!(e.stop, Some(Stop::UsageRejected));
    assert_eq!(e.checks.len(), 1, "{:#?}", e.checks);
    let hint = e.checks[0].hint.as_deref().unwrap();
    assert!(hint.contains("rejected `--mode 640`"), "{hint}");
    assert!(!hint.contains("KEY may be"), "{hint}");
}

#[test]
fn a_usage_message_that_only_repeats_the_synopsis_names_no_argument() {
    let argv: Vec<String> = ["set", "0x5eed0001", "--mode", "640"]
        .map(String::from)
        .into();
    assert_eq!(
        rejected_argument(&argv, "usage: set KEY --mode OCTAL [--uid UID]"),
        None
    );
    assert_eq!(
        rejected_argument(&argv, "set: bad key \"0x5eed0001\""),
        Some("0x5eed0001".into())
    );
}

#[test]
fn exit_2_after_shm_calls_is_not_called_a_usage_rejection() {
    let calls = vec![event(
        Call::Shmget {
            key: 1,
            size: 0,
            flags: 0,
        },
        Some(Return::Value(0)),
    )];
    let o = obs(2, &["set", "0x5eed0001"], "oops", Some(calls));
    let e = evaluate(&scenario(status_then_field), &o);
    assert_eq!(e.stop, None);
}

#[test]
fn a_program_that_cannot_start_is_one_problem_and_its_stderr_is_not_read_as_an_errno() {
    fn expect(c: &mut Ctx<'_>) {
        c.status(1);
        c.errno("shmget", "EEXIST");
    }
    let o = obs(
        126,
        &["create"],
        "/tmp/x/create: 2: exec: /root/python3: Permission denied\n",
        None,
    );
    let e = evaluate(&scenario(expect), &o);
    assert_eq!(e.stop, Some(Stop::CouldNotStart));
    assert_eq!(e.checks.len(), 1, "{:#?}", e.checks);
    assert!(!e.checks[0].hint.as_deref().unwrap().contains("EACCES"));
}

#[test]
fn a_crash_right_after_a_successful_shmdt_is_use_after_detach() {
    let calls = vec![
        event(
            Call::Shmat {
                id: 0,
                addr: 0,
                flags: 0,
            },
            Some(Return::Value(0x7000)),
        ),
        event(Call::Shmdt { addr: 0x7000 }, Some(Return::Value(0))),
    ];
    let hint = crash_hint(libc::SIGSEGV, &Evidence::from_events(Some(&calls), PID));
    assert!(hint.contains("after shmdt(0x7000) succeeded"), "{hint}");
    assert!(
        hint.contains("used the segment after shmdt detached it"),
        "{hint}"
    );
    // Untraced, every cause is listed, use after detach among them.
    let hint = crash_hint(libc::SIGSEGV, &Evidence::from_events(None, PID));
    assert!(hint.contains("after shmdt detached it"), "{hint}");
    assert!(hint.contains("SHM_RDONLY"), "{hint}");
}

#[test]
fn a_second_shmdt_of_the_same_address_is_told_apart_from_a_wrong_address() {
    let twice = vec![
        event(
            Call::Shmat {
                id: 0,
                addr: 0,
                flags: 0,
            },
            Some(Return::Value(0x7000)),
        ),
        event(Call::Shmdt { addr: 0x7000 }, Some(Return::Value(0))),
        event(
            Call::Shmdt { addr: 0x7000 },
            Some(Return::Errno(libc::EINVAL)),
        ),
    ];
    let e = Evidence::from_events(Some(&twice), PID);
    assert_eq!(
        e.bad_detach(),
        Some(Some(BadDetach::Twice { addr: 0x7000 }))
    );
    let wrong = vec![
        event(
            Call::Shmat {
                id: 0,
                addr: 0,
                flags: 0,
            },
            Some(Return::Value(0x7000)),
        ),
        event(
            Call::Shmdt { addr: 0x7001 },
            Some(Return::Errno(libc::EINVAL)),
        ),
    ];
    let e = Evidence::from_events(Some(&wrong), PID);
    assert_eq!(
        e.bad_detach(),
        Some(Some(BadDetach::NotAttached {
            addr: 0x7001,
            attached: Some(0x7000)
        }))
    );
    assert_eq!(Evidence::from_events(None, PID).bad_detach(), None);
}

#[test]
fn a_call_never_made_is_told_as_such() {
    let calls = vec![event(
        Call::Shmget {
            key: 1,
            size: 0,
            flags: 0,
        },
        Some(Return::Value(0)),
    )];
    let e = Evidence::from_events(Some(&calls), PID);
    assert_eq!(e.outcome(Kind::Shmctl, |_| true), Some(Outcome::NotCalled));
    assert_eq!(e.outcome(Kind::Shmget, |_| true), Some(Outcome::Succeeded));
    assert_eq!(
        Evidence::from_events(None, PID).outcome(Kind::Shmctl, |_| true),
        None
    );
}

#[test]
fn exit_1_before_any_shm_call_is_not_called_every_call_succeeded() {
    let o = obs(
        1,
        &["access", "0x5eed0001"],
        "access: invalid key 0x5eed0001\n",
        Some(vec![]),
    );
    let e = evaluate(&scenario(status_then_field), &o);
    let hint = e.checks[0].hint.as_deref().unwrap();
    assert!(hint.contains("before making any shm call"), "{hint}");
    assert!(
        hint.contains("invalid key"),
        "the program's own words: {hint}"
    );
    assert!(!hint.contains("every shm call succeeded"), "{hint}");
    // Untraced: the status and what stderr said, no claim about the calls.
    let o = obs(1, &["access", "0x5eed0001"], "access: invalid key\n", None);
    let hint = evaluate(&scenario(status_then_field), &o).checks[0]
        .hint
        .clone()
        .unwrap();
    assert!(!hint.contains("succeeded"), "{hint}");
    assert!(hint.contains("exited with status 1"), "{hint}");
}

fn attach(flags: i32) -> TraceEvent {
    event(
        Call::Shmat {
            id: 0,
            addr: 0,
            flags,
        },
        Some(Return::Value(0x7000)),
    )
}

fn get() -> TraceEvent {
    event(
        Call::Shmget {
            key: 1,
            size: 0,
            flags: 0,
        },
        Some(Return::Value(0)),
    )
}

#[test]
fn a_crash_with_nothing_attached_is_not_blamed_on_shared_memory() {
    let shm_causes = [
        "SHM_RDONLY",
        "after shmdt",
        "(void *) -1",
        "segment's pages",
    ];
    // Only a shmget before the crash: not attached, so not in shared memory.
    let calls = vec![get()];
    let hint = crash_hint(libc::SIGSEGV, &Evidence::from_events(Some(&calls), PID));
    assert!(
        hint.contains("it had not attached any segment, so the crash is not in shared memory"),
        "{hint}"
    );
    assert!(
        hint.contains("after shmget(0x00000001, 0, 0) = 0"),
        "{hint}"
    );
    for cause in shm_causes {
        assert!(!hint.contains(cause), "{cause}: {hint}");
    }
    // No shm call at all.
    let hint = crash_hint(libc::SIGSEGV, &Evidence::from_events(Some(&[]), PID));
    assert!(hint.contains("before any shm call"), "{hint}");
    for cause in shm_causes {
        assert!(!hint.contains(cause), "{cause}: {hint}");
    }
    // Untraced: the program's own memory is among the causes.
    let hint = crash_hint(libc::SIGSEGV, &Evidence::from_events(None, PID));
    assert!(hint.contains("uninitialised or NULL pointer"), "{hint}");
}

#[test]
fn a_crash_names_only_the_shared_memory_causes_the_trace_shows() {
    // Attached read-write, detached, then another call: use after shmdt is possible, a
    // SHM_RDONLY write is not.
    let calls = vec![
        get(),
        attach(0),
        event(Call::Shmdt { addr: 0x7000 }, Some(Return::Value(0))),
        get(),
    ];
    let hint = crash_hint(libc::SIGSEGV, &Evidence::from_events(Some(&calls), PID));
    assert!(
        hint.contains("using the segment after shmdt(0x7000) detached it"),
        "{hint}"
    );
    assert!(!hint.contains("SHM_RDONLY"), "{hint}");
    assert!(!hint.contains("(void *) -1"), "{hint}");
    assert!(!hint.contains("segment's pages"), "nothing held: {hint}");
    // Still attached with SHM_RDONLY when it crashed after a later call.
    let calls = vec![attach(libc::SHM_RDONLY), get()];
    let hint = crash_hint(libc::SIGSEGV, &Evidence::from_events(Some(&calls), PID));
    assert!(
        hint.contains("writing through its SHM_RDONLY attachment"),
        "{hint}"
    );
    assert!(!hint.contains("after shmdt"), "{hint}");
    // A child's attachment is not the program's.
    let mut child = attach(0);
    child.pid = PID + 1;
    let calls = vec![get(), child];
    let hint = crash_hint(libc::SIGSEGV, &Evidence::from_events(Some(&calls), PID));
    assert!(hint.contains("not in shared memory"), "{hint}");
}

/// A SIGSEGV the tracer saw strike at `addr`.
fn segv_at(addr: u64, code: i32) -> crate::model::Fault {
    crate::model::Fault {
        signal: libc::SIGSEGV,
        addr,
        code,
        mapped_from: Some(addr & !0xfff),
    }
}

#[test]
fn a_crash_is_told_by_where_it_struck_not_by_the_last_call() {
    let mut attach = attach(0);
    attach.segment = Some(crate::model::SegmentState {
        id: 0,
        key: 1,
        size: 256,
        mode: 0o600,
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
    });
    let calls = vec![
        attach,
        event(Call::Shmdt { addr: 0x7000 }, Some(Return::Value(0))),
    ];
    let traced = Evidence::from_events(Some(&calls), PID);
    // Inside what shmdt detached: used after shmdt, with the address.
    let hint = crash_hint(libc::SIGSEGV, &traced.with_fault(segv_at(0x7004, 1)));
    assert!(
        hint.contains("SIGSEGV at 0x7004, inside the attachment shmdt(0x7000) had detached"),
        "{hint}"
    );
    assert!(
        hint.contains("the program used the segment after shmdt detached it"),
        "{hint}"
    );
    // A NULL pointer right after a correct shmdt: the NULL pointer, not the shmdt.
    let hint = crash_hint(libc::SIGSEGV, &traced.with_fault(segv_at(0x8, 1)));
    assert!(hint.contains("a NULL pointer (address 0x8)"), "{hint}");
    assert!(!hint.contains("after shmdt"), "{hint}");
    // Elsewhere: its own memory, and no segment cause.
    let hint = crash_hint(libc::SIGSEGV, &traced.with_fault(segv_at(0x5555_0000, 1)));
    assert!(
        hint.contains(
            "SIGSEGV at 0x55550000, outside every segment it attached: in its own memory"
        ),
        "{hint}"
    );
    assert!(!hint.contains("shmdt"), "{hint}");
    // A fault without an address (sent by kill, or SI_KERNEL): no cause is claimed, the
    // ones the trace allows are listed.
    let hint = crash_hint(
        libc::SIGSEGV,
        &traced.with_fault(segv_at(0, libc::SI_KERNEL)),
    );
    assert!(!hint.contains("the program used"), "{hint}");
    assert!(
        hint.contains("the trace allows using the segment after shmdt(0x7000) detached it"),
        "{hint}"
    );
    // Untraced, a fault is never taken (there is none): every cause is listed.
    let untraced = Evidence::from_events(None, PID).with_fault(segv_at(0x8, 1));
    assert!(!untraced.has_fault());
    let hint = crash_hint(libc::SIGSEGV, &untraced);
    assert!(hint.contains("uninitialised or NULL pointer"), "{hint}");
}
