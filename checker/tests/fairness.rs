//! Correct programs get full marks whatever else runs on the machine: another process of
//! uid 65534 holding threads, or a student's thread bomb checked at the same time. As root,
//! each checker's programs run as a uid of its own, so the process limit counts that run
//! alone.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{json_report, outcomes, require_root, shared_tempdir, shmlab, start_as, workspace};

/// Kills the child when dropped.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The most threads a running `hold_threads` holds.
fn bomb_threads() -> u64 {
    let mut most = 0;
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let status = std::fs::read_to_string(entry.path().join("status")).unwrap_or_default();
        if status.lines().next() == Some("Name:\thold_threads") {
            let n = status
                .lines()
                .find_map(|l| l.strip_prefix("Threads:"))
                .and_then(|n| n.trim().parse().ok())
                .unwrap_or(0);
            most = most.max(n);
        }
    }
    most
}

fn share_solution(dir: &Path) -> PathBuf {
    let bins = common::built("shmlab-solutions");
    let exe = dir.join("share");
    std::fs::copy(&bins["solution-share"], &exe).unwrap();
    exe
}

fn assert_all_passed(doc: &serde_json::Value) {
    let got = outcomes(doc);
    assert!(!got.is_empty(), "{doc}");
    for (slug, outcome) in &got {
        assert_eq!(outcome, "passed", "{slug}: {doc:#}");
    }
}

#[test]
#[cfg_attr(
    not(shmlab_root),
    ignore = "needs root: starts a process as uid 65534, and only a root checker gives its programs a uid of their own"
)]
fn a_correct_program_passes_next_to_another_nobody_process_holding_threads() {
    require_root();
    let dir = shared_tempdir("shmlab-fair-");
    let holder = common::compile_hostile(dir.path(), "hold_threads", &["-pthread"]);
    let _held = Killed(start_as(65534, &holder, &["80", "60"]));
    let share = share_solution(dir.path());
    for traced in [true, false] {
        let mut cmd = shmlab();
        cmd.args(["check", "share", "--program"]).arg(&share);
        if !traced {
            cmd.arg("--no-trace");
        }
        let (_, doc) = json_report(&mut cmd);
        assert_all_passed(&doc);
    }
}

#[test]
#[cfg_attr(
    not(shmlab_root),
    ignore = "needs root: only a root checker gives its programs a uid of their own"
)]
fn a_correct_program_passes_while_a_thread_bomb_is_checked_next_to_it() {
    require_root();
    let dir = shared_tempdir("shmlab-fair-");
    let bomb = common::compile_hostile(dir.path(), "hold_threads", &["-pthread"]);
    // The bomb, checked as a share program at the same time: 200 threads for 20 s.
    let bomb_script = dir.path().join("share-bomb");
    std::fs::write(
        &bomb_script,
        format!("#!/bin/sh\nexec {} 200 20\n", bomb.display()),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&bomb_script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let bomb_check = Killed(
        Command::new(assert_cmd::cargo::cargo_bin("shmlab"))
            .current_dir(workspace())
            .args([
                "check",
                "share",
                "--no-trace",
                "--timeout",
                "20",
                "--program",
            ])
            .arg(&bomb_script)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    // Checked once the bomb holds its threads.
    let started = std::time::Instant::now();
    while bomb_threads() < 50 && started.elapsed().as_secs() < 20 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(bomb_threads() >= 50, "the bomb never started its threads");
    let share = share_solution(dir.path());
    for _ in 0..3 {
        let (_, doc) = json_report(shmlab().args(["check", "share", "--program"]).arg(&share));
        assert_all_passed(&doc);
    }
    drop(bomb_check);
}

#[test]
fn a_program_polling_without_pause_ends_at_its_timeout_with_its_loop_in_one_line() {
    let dir = shared_tempdir("shmlab-fair-");
    let exe = common::compile_hostile(dir.path(), "poll_stat", &[]);
    let (_, doc) = json_report(
        shmlab()
            .args([
                "check",
                "create/default-mode",
                "--timeout",
                "1",
                "--program",
            ])
            .arg(&exe),
    );
    let run = &doc["tests"][0]["extra_data"]["runs"][0];
    assert_eq!(run["termination"]["kind"], "timed_out", "{run}");
    let timeline = run["timeline"].as_array().expect("traced");
    let polls: Vec<&serde_json::Value> = timeline
        .iter()
        .filter(|e| e["call"]["cmd"] == libc::IPC_STAT)
        .collect();
    assert_eq!(
        polls.len(),
        1,
        "the polling loop is one event: {timeline:?}"
    );
    assert!(
        polls[0]["repeats"].as_u64().unwrap_or(0) > 100,
        "{:?}",
        polls[0]
    );
}
