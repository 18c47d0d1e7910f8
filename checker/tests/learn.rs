//! The learner's commands: hints in levels, remembered; progress that `list` shows after a
//! restart; a solution only after its lab passes; a reset that asks first. None of them
//! touches the student's files: progress goes to a file of the test's own, and `reset` runs
//! in a made-up workspace.

mod common;

use std::path::{Path, PathBuf};

use common::shmlab;
use predicates::prelude::*;

/// A progress file of this test alone.
fn state(name: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("state-{name}.txt"));
    let _ = std::fs::remove_file(&p);
    p
}

#[test]
fn hint_shows_the_next_level_each_time_and_list_remembers_it() {
    let st = state("hints");
    let mut seen = Vec::new();
    for level in 1..=3 {
        let out = shmlab()
            .env("SHMLAB_STATE", &st)
            .args(["hint", "create"])
            .output()
            .unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.starts_with(&format!("Hint {level} of 5 for create")),
            "{text}"
        );
        seen.push(text);
    }
    seen.dedup();
    assert_eq!(seen.len(), 3, "three different levels");
    // Each run is a new process (a restart): it reads what the last one saved.
    shmlab()
        .env("SHMLAB_STATE", &st)
        .args(["hint", "create", "--all"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("Hint 5 of 5").and(predicate::str::contains("Hint 1 of 5")),
        );
    assert!(std::fs::read_to_string(&st)
        .unwrap()
        .contains("hint rust create 5"));
}

#[test]
fn list_shows_the_hints_seen_for_the_students_labs() {
    let st = state("list");
    std::fs::write(&st, "hint rust access 2\n").unwrap();
    // Whatever the student's labs hold (untouched, half done, solved), list shows the
    // progress file's hints next to each lab.
    shmlab()
        .env("SHMLAB_STATE", &st)
        .args(["list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("hints seen: 2 of 5"));
}

#[test]
fn a_solution_is_shown_only_once_its_lab_has_passed() {
    let st = state("solution");
    shmlab()
        .env("SHMLAB_STATE", &st)
        .args(["solution", "stat"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("once your stat lab passes"));
    std::fs::write(&st, "done rust stat 1796300000\n").unwrap();
    shmlab()
        .env("SHMLAB_STATE", &st)
        .args(["solution", "stat"])
        .assert()
        .success()
        .stdout(predicate::str::contains("IpcStat"));
    shmlab()
        .env("SHMLAB_STATE", &st)
        .args(["solution", "stat", "--lang", "c"])
        .assert()
        .code(2);
}

/// A workspace of its own, with one student file and its pristine starter.
fn made_up_workspace() -> tempfile::TempDir {
    let ws = tempfile::Builder::new()
        .prefix("shmlab-reset-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    for (path, text) in [
        ("Cargo.toml", ""),
        ("labs/Cargo.toml", ""),
        ("labs/src/bin/create.rs", "// my work\n"),
        ("checker/starters/rust/create.rs", "// the starter\n"),
    ] {
        let p = ws.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    ws
}

#[test]
fn reset_asks_first_and_restores_the_starter_only_on_yes() {
    let ws = made_up_workspace();
    let mine = ws.path().join("labs/src/bin/create.rs");
    shmlab()
        .current_dir(ws.path())
        .args(["reset", "create"])
        .write_stdin("n\n")
        .assert()
        .success()
        .stderr(predicate::str::contains("left as it was"));
    assert_eq!(std::fs::read_to_string(&mine).unwrap(), "// my work\n");
    shmlab()
        .current_dir(ws.path())
        .args(["reset", "create"])
        .write_stdin("y\n")
        .assert()
        .success();
    assert_eq!(std::fs::read_to_string(&mine).unwrap(), "// the starter\n");
}
