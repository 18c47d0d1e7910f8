//! The checker interrupted, killed, or run several times at once: nothing is left behind
//! and nothing interferes.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::shmlab;

/// A lab program that never finishes, in a directory every user can enter.
fn sleeper() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::Builder::new()
        .prefix("shmlab-sleeper-")
        .tempdir()
        .unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let p = dir.path().join("attach");
    std::fs::write(
        &p,
        format!("#!/bin/sh\nexec sleep 3{}\n", std::process::id() % 10),
    )
    .unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    (dir, p)
}

/// Segments of this machine's namespace with a keys-mode key (0x5c......).
fn marked_segments() -> Vec<i32> {
    shm::list_segments()
        .unwrap()
        .into_iter()
        .filter(|(_, st)| (st.key().raw() as u32) >> 24 == 0x5c)
        .map(|(id, _)| id.raw())
        .collect()
}

fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn sleeping(p: &std::path::Path) -> bool {
    let name = std::fs::read_to_string(p).unwrap();
    let arg = name.split_whitespace().last().unwrap().to_string();
    let out = Command::new("pgrep")
        .args(["-f", &format!("sleep {arg}")])
        .output()
        .unwrap();
    !out.stdout.is_empty()
}

static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn a_checker_killed_mid_scenario_leaves_nothing_the_next_run_does_not_clean() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (_dir, program) = sleeper();
    let before = marked_segments();
    let mut checker = std::process::Command::new(assert_cmd::cargo::cargo_bin("shmlab"))
        .args([
            "check",
            "attach",
            "--isolation",
            "keys",
            "--no-trace",
            "--timeout",
            "30",
            "--program",
        ])
        .arg(&program)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("the scenario's segment", || {
        marked_segments().iter().any(|id| !before.contains(id))
    });
    wait_for("the program", || sleeping(&program));
    checker.kill().unwrap(); // SIGKILL: no chance to clean up
    checker.wait().unwrap();
    // The program dies with its checker.
    wait_for("the program to die with the checker", || {
        !sleeping(&program)
    });
    let left: Vec<i32> = marked_segments()
        .into_iter()
        .filter(|id| !before.contains(id))
        .collect();
    assert!(
        !left.is_empty(),
        "SIGKILL leaves the scenario's segment (until the next run)"
    );
    // The next checker in keys mode removes what the killed one recorded.
    let out = shmlab()
        .args([
            "check",
            "stat",
            "--isolation",
            "keys",
            "--program",
            "/bin/true",
        ])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("left by an earlier checker that was killed")
    );
    let still: Vec<i32> = marked_segments()
        .into_iter()
        .filter(|id| left.contains(id))
        .collect();
    assert!(still.is_empty(), "not cleaned: {still:?}");
}

#[test]
fn an_interrupted_checker_cleans_up_and_says_so() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (_dir, program) = sleeper();
    let before = marked_segments();
    let checker = std::process::Command::new(assert_cmd::cargo::cargo_bin("shmlab"))
        .args([
            "check",
            "attach",
            "--isolation",
            "keys",
            "--timeout",
            "30",
            "--program",
        ])
        .arg(&program)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("the program", || sleeping(&program));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(checker.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let out = checker.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("interrupted"));
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("the checker was interrupted before this scenario"));
    assert!(!sleeping(&program));
    let left: Vec<i32> = marked_segments()
        .into_iter()
        .filter(|id| !before.contains(id))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn several_checkers_at_once_do_not_interfere_in_keys_mode() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let children: Vec<_> = (0..3)
        .map(|_| {
            std::process::Command::new(assert_cmd::cargo::cargo_bin("shmlab"))
                .current_dir(common::workspace())
                .args([
                    "check",
                    "--solutions",
                    "--isolation",
                    "keys",
                    "--format",
                    "json",
                ])
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", doc["output"]);
        assert_eq!(doc["score"], doc["max_score"]);
    }
}
