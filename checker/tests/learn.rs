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
fn list_shows_the_hints_seen_for_the_students_labs_in_their_track() {
    let st = state("list");
    std::fs::write(&st, "hint rust access 2\nhint c access 4\n").unwrap();
    let ws = common::student_workspace();
    shmlab()
        .current_dir(ws.path())
        .env_remove("CARGO_TARGET_DIR")
        .env("SHMLAB_STATE", &st)
        .args(["list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("hints seen: 2 of 5"));
    // The list makes Rust the student's track: `hint` follows it.
    assert!(std::fs::read_to_string(&st).unwrap().contains("track rust"));
}

#[test]
fn hint_gives_the_tracks_own_hints_and_counts_them_apart() {
    let st = state("tracks");
    let hint = |args: &[&str]| -> String {
        let out = shmlab()
            .env("SHMLAB_STATE", &st)
            .arg("hint")
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let c = hint(&["--lang", "c", "detach"]);
    assert!(c.starts_with("Hint 1 of 5 for detach (C)"), "{c}");
    assert!(c.contains("labs/c/detach.c"), "{c}");
    // Without --lang, the track of the last hint (or check, or list) is kept.
    let c2 = hint(&["detach"]);
    assert!(c2.starts_with("Hint 2 of 5 for detach (C)"), "{c2}");
    let rust = hint(&["--lang", "rust", "detach"]);
    assert!(rust.starts_with("Hint 1 of 4 for detach "), "{rust}");
    assert!(rust.contains("labs/src/bin/detach.rs"), "{rust}");
    for _ in 0..3 {
        hint(&["--lang", "c", "detach"]);
    }
    let again = hint(&["--lang", "c", "detach"]);
    assert!(
        again.starts_with("No more hints for detach (C): that was the last one"),
        "{again}"
    );
    assert!(again.contains("shmdt(p)"), "{again}");
    assert!(
        again.contains("`cargo shmlab solution --lang c detach` shows the reference solution"),
        "{again}"
    );
    let saved = std::fs::read_to_string(&st).unwrap();
    assert!(saved.contains("hint c detach 5"), "{saved}");
    assert!(saved.contains("hint rust detach 1"), "{saved}");
}

#[test]
fn a_lab_that_does_not_compile_names_its_file_and_the_other_labs_are_checked() {
    let ws = common::student_workspace();
    // A student halfway through stat, who forgot a semicolon.
    let stat = ws.path().join("labs/src/bin/stat.rs");
    let text = std::fs::read_to_string(&stat).unwrap();
    let todo = text
        .lines()
        .find(|l| l.contains("todo!(\"lab stat: call shmctl"))
        .unwrap();
    let half_done = text.replace(
        todo,
        "    let mut buf = SegmentStat::zeroed()\n    shm::shmctl(id, shm::ShmctlCmd::IpcStat(&mut buf))?;\n    Ok(buf)",
    );
    std::fs::write(&stat, half_done).unwrap();
    let st = state("broken");
    let run = |args: &[&str]| {
        shmlab()
            .current_dir(ws.path())
            .env_remove("CARGO_TARGET_DIR")
            .env("SHMLAB_STATE", &st)
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["check", "create", "stat"]);
    let report = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{report}\n{stderr}");
    assert!(
        report.contains("labs/src/bin/stat.rs does not compile: error: expected `;`"),
        "{report}"
    );
    // create was built and checked: its scenarios ran, and stop at the starter's todo!().
    assert!(report.contains("create/default-mode"), "{report}");
    assert!(
        report.contains("not implemented yet: replace the todo!() calls in labs/src/bin/create.rs"),
        "{report}"
    );
    // The compiler's own message is shown, pointing at the line.
    assert!(stderr.contains("labs/src/bin/stat.rs:"), "{stderr}");
    let list = run(&["list"]);
    let list = String::from_utf8_lossy(&list.stdout);
    let status = |lab: &str| {
        list.lines()
            .find(|l| l.split_whitespace().nth(1) == Some(lab))
            .unwrap_or_else(|| panic!("{lab}: {list}"))
            .to_string()
    };
    assert!(status("stat").contains("does not compile"), "{list}");
    for lab in ["create", "access", "share"] {
        assert!(status(lab).contains("not started"), "{list}");
    }
}

#[test]
fn the_kits_tests_never_compile_the_students_labs() {
    // `cargo test` builds a binary only for its tests; the labs' binaries have none, so a
    // lab that does not compile cannot fail `cargo test --workspace`.
    let out = std::process::Command::new(env!("CARGO"))
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .current_dir(common::workspace())
        .output()
        .unwrap();
    assert!(out.status.success());
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let labs = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "shmlab-labs")
        .unwrap();
    let bins: Vec<&serde_json::Value> = labs["targets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"][0] == "bin")
        .collect();
    assert_eq!(bins.len(), common::LABS.len());
    for b in bins {
        assert_eq!(b["test"], false, "{b}");
        assert_eq!(b["doctest"], false, "{b}");
    }
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
        .stdout(predicate::str::contains("IpcStat"))
        // The solution as a solution: without the starter's lines and the markers.
        .stdout(predicate::str::contains("SOLUTION").not())
        .stdout(predicate::str::contains("//>").not());
    shmlab()
        .env("SHMLAB_STATE", &st)
        .args(["solution", "stat", "--lang", "c"])
        .assert()
        .code(2);
}

/// A workspace of its own, with one student file and its solution, marked (which gives the
/// starter).
fn made_up_workspace() -> tempfile::TempDir {
    let ws = tempfile::Builder::new()
        .prefix("shmlab-reset-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    for (path, text) in [
        ("Cargo.toml", ""),
        ("labs/Cargo.toml", ""),
        ("labs/src/bin/create.rs", "// my work\n"),
        (
            "solutions/src/bin/solution-create.rs",
            "//> // the starter\n// BEGIN SOLUTION\n// the solution\n// END SOLUTION\n",
        ),
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
        .success()
        .stderr(predicate::str::contains(
            "labs/src/bin/create.rs is the starter again; what it held is in labs/src/bin/create.rs.orig",
        ));
    assert_eq!(std::fs::read_to_string(&mine).unwrap(), "// the starter\n");
    assert_eq!(
        std::fs::read_to_string(ws.path().join("labs/src/bin/create.rs.orig")).unwrap(),
        "// my work\n",
        "the student's work is kept"
    );
}

#[test]
fn run_from_outside_a_checkout_it_says_which_checkout_it_uses() {
    let st = state("outside");
    let elsewhere = tempfile::tempdir().unwrap();
    shmlab()
        .current_dir(elsewhere.path())
        .env("SHMLAB_STATE", &st)
        .args(["hint", "create"])
        .assert()
        .success()
        .stderr(predicate::str::contains(format!(
            "shmlab: not inside a checkout of the kit, so using {}, the one this shmlab was built from",
            common::workspace().display()
        )));
}
