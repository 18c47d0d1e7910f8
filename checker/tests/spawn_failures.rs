//! A fork or a new thread that fails is said as what it was: the program's own doing when
//! its run had as many processes and threads as a run may (the limit, named), and never the
//! program's fault when the run was far from it (an error of the scenario, tried twice).

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{as_user, json_report, require_root, shared_tempdir, shmlab, workspace};

/// The C reference share program, linked with `threads_first.c` (`flags` say how).
fn share_with_threads_first(dir: &Path, flags: &[&str]) -> PathBuf {
    // The C solution of share as a submission holds it, with lab.c and lab.h.
    let c = dir.join("share-solution");
    std::fs::create_dir_all(&c).unwrap();
    shmlab_checker::app::starters::write_c_solutions(
        &workspace(),
        &c,
        &[shmlab_checker::model::Lab::Share],
    )
    .unwrap();
    let share = c.join("share.c").display().to_string();
    let lab = c.join("lab.c").display().to_string();
    let include = format!("-I{}", c.display());
    let mut all = vec!["-pthread", &include, &share, &lab];
    all.extend_from_slice(flags);
    common::compile_hostile(dir, "threads_first", &all)
}

fn round_trip(doc: &serde_json::Value) -> &serde_json::Value {
    doc["tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"].as_str().unwrap().starts_with("share/round-trip"))
        .unwrap_or_else(|| panic!("no round-trip scenario: {doc:#}"))
}

#[test]
fn a_program_that_starts_more_threads_than_a_run_may_is_told_the_limit() {
    let dir = shared_tempdir("shmlab-spawn-");
    let exe = share_with_threads_first(dir.path(), &["-DTHREADS=100"]);
    let (_, doc) = json_report(
        shmlab()
            .args(["check", "share/round-trip", "--program"])
            .arg(&exe),
    );
    let test = round_trip(&doc);
    assert_eq!(test["extra_data"]["outcome"], "failed", "{test:#}");
    let checks = test["extra_data"]["checks"].as_array().unwrap();
    let limit = checks
        .iter()
        .find(|c| c["field"] == "processes")
        .unwrap_or_else(|| panic!("no processes check: {test:#}"));
    let hint = limit["hint"].as_str().unwrap();
    assert!(
        hint.contains("reached the limit of 64 processes and threads"),
        "{hint}"
    );
    assert!(hint.contains("new thread"), "{hint}");
    // The one cause: no hint about forking, writing or reading after it.
    assert_eq!(checks.len(), 1, "{checks:#?}");
}

/// Starts `hold_threads N 30` as uid 65534 once `handoff` exists, then answers the program.
fn take_threads_when_asked(
    holder: PathBuf,
    handoff: PathBuf,
) -> std::thread::JoinHandle<Option<std::process::Child>> {
    std::thread::spawn(move || {
        let started = Instant::now();
        while !handoff.exists() {
            if started.elapsed() > Duration::from_secs(60) {
                return None;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let child = common::start_as(65534, &holder, &["150", "30"]);
        let mut ok = handoff.into_os_string();
        ok.push(".ok");
        std::fs::write(ok, "").unwrap();
        Some(child)
    })
}

#[test]
#[cfg_attr(
    not(shmlab_root),
    ignore = "needs root: runs the checker and another process as uid 65534"
)]
fn a_fork_that_fails_for_a_reason_outside_the_run_is_an_error_of_the_scenario() {
    require_root();
    let dir = shared_tempdir("shmlab-spawn-");
    let meeting = dir.path().join("meeting");
    std::fs::create_dir(&meeting).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&meeting, std::fs::Permissions::from_mode(0o777)).unwrap();
    let handoff = meeting.join("handoff");
    let define = format!("-DHANDOFF=\"{}\"", handoff.display());
    let exe = share_with_threads_first(dir.path(), &[&define]);
    let holder = common::compile_hostile(dir.path(), "hold_threads", &["-pthread"]);
    // A checker of uid 65534 without namespaces, whose programs share their uid's process
    // count with every other process of that uid (in a user namespace of its own, the kernel
    // counts the namespace's alone): the helper takes 150 threads once the program asks.
    let helper = take_threads_when_asked(holder, handoff);
    let (_bin, mut cmd) = as_user();
    let (_, doc) = json_report(
        cmd.env("SHMLAB_FORBID_NAMESPACES", "1")
            .args(["check", "share/round-trip", "--program"])
            .arg(&exe),
    );
    let held = helper.join().unwrap();
    if let Some(mut child) = held {
        let _ = child.kill();
        let _ = child.wait();
    }
    let test = round_trip(&doc);
    assert_eq!(test["extra_data"]["outcome"], "error", "{test:#}");
    let said =
        test["output"].as_str().unwrap_or_default().to_string() + &test["extra_data"].to_string();
    assert!(said.contains("not the program"), "{test:#}");
    assert!(!said.contains("never forked"), "{test:#}");
}
