//! The tracer lets `shmat` and `shmdt` run without a stop at their end where it can read
//! the result from the segment afterwards (`run::process::tracer::deferred`), which is what
//! keeps a traced loop of them within 3x of bare (`cargo bench --bench trace -- pairs`).
//! These runs take each path such a result is read on, and hold the timeline to what the
//! program itself saw: the addresses it printed, the errors it got.

mod common;

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use common::workspace;
use shmlab_checker::model::timeline::{Call, Effect, Return, TraceEvent};
use shmlab_checker::run::process::{self, Input};

/// One test at a time: a tracer waits for any child of its process, so it would reap
/// another test's children (its traced program, or the compiler), and the tests of this
/// file share one process.
static SERIAL: Mutex<()> = Mutex::new(());

/// `checker/fixtures/trace/attach_paths.c`, compiled into a directory every user can read;
/// the test holds [`SERIAL`] while it has it.
fn program() -> (MutexGuard<'static, ()>, tempfile::TempDir, PathBuf) {
    let one_at_a_time = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = common::shared_tempdir("shmlab-deferred-");
    let exe = dir.path().join("attach_paths");
    let ok = Command::new("cc")
        .args(["-Wall", "-Wextra", "-O1", "-pthread", "-o"])
        .arg(&exe)
        .arg(workspace().join("checker/fixtures/trace/attach_paths.c"))
        .status()
        .unwrap()
        .success();
    assert!(ok, "attach_paths.c compiles");
    (one_at_a_time, dir, exe)
}

/// A traced run of `exe PATH` (as nobody with `unprivileged` when the tests run as root):
/// its stdout and its timeline.
fn traced(exe: &Path, path: &str, unprivileged: bool) -> (String, Vec<TraceEvent>) {
    let mut cmd = Command::new(exe);
    cmd.arg(path);
    if unprivileged && common::is_root() {
        cmd.uid(65534).gid(65534);
    }
    let (out, events) =
        process::tracer::run(&mut cmd, Input::Null, Duration::from_secs(20), 8).unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.termination,
        shmlab_checker::model::Termination::Exited { code: 0 },
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (stdout, events)
}

/// The addresses the program printed (`at 0x...`).
fn printed(stdout: &str) -> Vec<u64> {
    stdout
        .lines()
        .filter_map(|l| l.strip_prefix("at 0x"))
        .map(|h| u64::from_str_radix(h, 16).unwrap())
        .collect()
}

fn shmats(events: &[TraceEvent]) -> Vec<&TraceEvent> {
    events
        .iter()
        .filter(|e| matches!(e.call, Call::Shmat { .. }))
        .collect()
}

fn shmdts(events: &[TraceEvent]) -> Vec<&TraceEvent> {
    events
        .iter()
        .filter(|e| matches!(e.call, Call::Shmdt { .. }))
        .collect()
}

fn returned(e: &TraceEvent) -> Option<u64> {
    match e.ret {
        Some(Return::Value(v)) => Some(v as u64),
        _ => None,
    }
}

fn timeline(events: &[TraceEvent]) -> String {
    events
        .iter()
        .map(|e| {
            format!(
                "{} -> {:?}",
                e.call_line(),
                e.segment.as_ref().map(|s| s.nattch)
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn an_attach_kept_and_one_detached_through_an_address_learnt_late_show_what_shmat_returned() {
    let (_serial, _dir, exe) = program();
    let (stdout, events) = traced(&exe, "keep", false);
    let at = printed(&stdout);
    let ats = shmats(&events);
    assert_eq!(at.len(), 2, "{stdout}");
    assert_eq!(
        ats.iter().map(|e| returned(e)).collect::<Vec<_>>(),
        vec![Some(at[0]), Some(at[1])],
        "{}",
        timeline(&events)
    );
    // nattch after each: 1, then 2; the shmdt of the second leaves 1.
    assert_eq!(ats[0].segment.as_ref().map(|s| s.nattch), Some(1));
    assert_eq!(ats[1].segment.as_ref().map(|s| s.nattch), Some(2));
    let dt = shmdts(&events)[0];
    assert_eq!(dt.call, Call::Shmdt { addr: at[1] });
    assert_eq!(dt.ret, Some(Return::Value(0)));
    assert_eq!(dt.segment.as_ref().map(|s| s.nattch), Some(1));
    // The first is still attached as the process ends.
    let exit = events.last().unwrap();
    assert!(
        matches!(&exit.effect, Effect::Exit { attached } if attached.len() == 1),
        "{}",
        timeline(&events)
    );
}

#[test]
fn attaches_two_by_two_each_show_the_address_they_returned_and_every_detach_succeeds() {
    let (_serial, _dir, exe) = program();
    let (stdout, events) = traced(&exe, "two-by-two", false);
    let at = printed(&stdout);
    assert_eq!(at.len(), 25, "{stdout}");
    let ats = shmats(&events);
    assert_eq!(
        ats.iter().map(|e| returned(e)).collect::<Vec<_>>(),
        at.iter().map(|a| Some(*a)).collect::<Vec<_>>(),
        "{}",
        timeline(&events)
    );
    let dts = shmdts(&events);
    assert_eq!(dts.len(), 25);
    assert!(
        dts.iter().all(|e| e.ret == Some(Return::Value(0))),
        "{}",
        timeline(&events)
    );
    // nattch after each call, as the kernel counted it: 1, then 2, 3, 2, 1 each time round.
    let counts: Vec<u64> = events
        .iter()
        .filter(|e| matches!(e.call, Call::Shmat { .. } | Call::Shmdt { .. }))
        .map(|e| e.segment.as_ref().map_or(0, |s| s.nattch))
        .collect();
    let mut expected = vec![1];
    for _ in 0..12 {
        expected.extend([2, 3, 2, 1]);
    }
    expected.push(0);
    assert_eq!(counts, expected, "{}", timeline(&events));
}

#[test]
fn a_fork_after_an_attach_gives_the_child_the_address_shmat_returned() {
    let (_serial, _dir, exe) = program();
    let (stdout, events) = traced(&exe, "fork", false);
    let at = printed(&stdout);
    assert_eq!(
        returned(shmats(&events)[0]),
        Some(at[0]),
        "{}",
        timeline(&events)
    );
    let fork = events
        .iter()
        .find(|e| matches!(e.call, Call::Fork { .. }))
        .unwrap();
    assert!(
        matches!(&fork.effect, Effect::Fork { inherited } if inherited.len() == 1 && inherited[0].nattch == 2),
        "{}",
        timeline(&events)
    );
    let dts = shmdts(&events);
    assert_eq!(dts.len(), 2, "{}", timeline(&events));
    for dt in dts {
        assert_eq!(dt.call, Call::Shmdt { addr: at[0] });
        assert_eq!(dt.ret, Some(Return::Value(0)), "{}", timeline(&events));
    }
}

#[test]
fn a_thread_detaching_an_attach_made_before_it_started_detaches_a_known_address() {
    let (_serial, _dir, exe) = program();
    let (stdout, events) = traced(&exe, "thread", false);
    let at = printed(&stdout);
    assert_eq!(
        returned(shmats(&events)[0]),
        Some(at[0]),
        "{}",
        timeline(&events)
    );
    let dt = shmdts(&events)[0];
    assert_eq!(dt.call, Call::Shmdt { addr: at[0] });
    assert_eq!(dt.ret, Some(Return::Value(0)), "{}", timeline(&events));
    // The segment was marked for removal: the thread's shmdt destroyed it.
    assert_eq!(dt.segment, None);
}

#[test]
fn an_attach_right_before_an_exec_claims_no_result_it_did_not_see() {
    let (_serial, _dir, exe) = program();
    let (_, events) = traced(&exe, "exec", false);
    let ats = shmats(&events);
    assert_eq!(ats.len(), 2, "{}", timeline(&events));
    // The second shmat ran without a stop at its end, and the exec came before anything
    // showed its result: no value, and no error, is claimed for it.
    assert_eq!(ats[1].ret, None, "{}", timeline(&events));
    assert!(
        events.iter().any(|e| matches!(e.call, Call::Exec)),
        "{}",
        timeline(&events)
    );
}

#[test]
fn an_attach_foreseen_to_work_that_fails_claims_no_errno_and_the_next_shows_its_own() {
    let (_serial, _dir, exe) = program();
    let (stdout, events) = traced(&exe, "no-room", false);
    assert_eq!(
        stdout
            .matches("shmat failed: Cannot allocate memory")
            .count(),
        2,
        "the program saw ENOMEM twice: {stdout}"
    );
    let ats = shmats(&events);
    assert_eq!(ats.len(), 3, "{}", timeline(&events));
    assert!(returned(ats[0]).is_some(), "{}", timeline(&events));
    // Foreseen to attach, it did not: it failed, with an errno the tracer did not see.
    assert_eq!(ats[1].ret, Some(Return::Failed), "{}", timeline(&events));
    assert!(ats[1].call_line().ends_with("= -1 (errno not seen)"));
    // From then on shmat stops at its end, and its errno is the real one.
    assert_eq!(
        ats[2].ret,
        Some(Return::Errno(libc::ENOMEM)),
        "{}",
        timeline(&events)
    );
}

#[test]
fn an_attach_the_permissions_refuse_is_stopped_at_its_end_and_shows_eacces() {
    let (_serial, _dir, exe) = program();
    let (stdout, events) = traced(&exe, "denied", true);
    let ats = shmats(&events);
    assert_eq!(ats.len(), 2, "{}", timeline(&events));
    assert_eq!(returned(ats[0]), printed(&stdout).first().copied());
    // Run as nobody (or as the user, who has no CAP_IPC_OWNER), the write attach is
    // refused: foreseen so, it stops at its end, and the errno is the kernel's.
    assert!(
        stdout.contains("shmat failed: Permission denied"),
        "{stdout}"
    );
    assert_eq!(
        ats[1].ret,
        Some(Return::Errno(libc::EACCES)),
        "{}",
        timeline(&events)
    );
}
