//! Reports as a person and a grader see them, pinned with insta. Volatile values (pids,
//! times, temporary paths) are replaced by placeholders; ids and keys are stable because
//! each scenario runs in a fresh IPC namespace, where ids start at 0.

mod common;

use common::{filters, shmlab};

fn human(args: &[&str]) -> String {
    let out = shmlab().args(args).output().unwrap();
    format!(
        "exit status: {}\n--- stdout\n{}--- stderr\n{}",
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    for (re, with) in filters() {
        s.add_filter(re, with);
    }
    s
}

#[test]
#[ignore = "needs root: the reports name uid 65534 and include the scenarios only root can run"]
fn untouched_starter_report() {
    common::require_root();
    let dir = common::pristine_dir();
    let dir_text = dir.path().display().to_string();
    let report = human(&[
        "check",
        "create",
        "--isolation",
        "namespace",
        "--dir",
        &dir_text,
    ])
    .replace(&dir_text, "[STARTERS]");
    settings().bind(|| insta::assert_snapshot!(report));
}

#[test]
#[ignore = "needs root: the reports name uid 65534 and include the scenarios only root can run"]
fn solutions_report_for_stat() {
    common::require_root();
    settings().bind(|| {
        insta::assert_snapshot!(human(&[
            "check",
            "stat",
            "--solutions",
            "--isolation",
            "namespace"
        ]))
    });
}

#[test]
#[ignore = "needs root: the reports name uid 65534 and include the scenarios only root can run"]
fn verbose_report_shows_runs_and_snapshots() {
    common::require_root();
    settings().bind(|| {
        insta::assert_snapshot!(human(&[
            "check",
            "remove",
            "--solutions",
            "--isolation",
            "namespace",
            "--verbose"
        ]))
    });
}

#[test]
#[ignore = "needs root: the reports name uid 65534 and include the scenarios only root can run"]
fn json_report_of_a_failing_c_program() {
    common::require_root();
    let dir = tempfile::tempdir().unwrap();
    let exe = dir.path().join("create");
    let status = std::process::Command::new("cc")
        .args(["-O1", "-o"])
        .arg(&exe)
        .arg(common::workspace().join("checker/fixtures/c/create_mode_zero.c"))
        .status()
        .unwrap();
    assert!(status.success());
    let out = shmlab()
        .args([
            "check",
            "create",
            "--isolation",
            "namespace",
            "--format",
            "json",
            "--program",
        ])
        .arg(&exe)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let mut doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    common::redact_json(&mut doc);
    settings().bind(|| insta::assert_json_snapshot!(doc));
}

/// The timeline of every reference solution in turn, run by one shell in one namespace, and
/// of a program that forks while attached: `shmlab trace` as a student would use it.
#[test]
#[ignore = "needs root: the reports name uid 65534 and include the scenarios only root can run"]
fn trace_of_every_solution_and_of_a_forking_program() {
    common::require_root();
    let bins = common::built("shmlab-solutions");
    let s = |lab: &str| bins[&format!("solution-{lab}")].display().to_string();
    let script = format!(
        "{c} 0x1234 4096 && {a} 0x1234 && {at} 0x1234 --write hi && {at} 0x1234 --readonly && {d} 0x1234 && {st} 0x1234 >/dev/null && {se} 0x1234 --mode 600 && {r} 0x1234",
        c = s("create"),
        a = s("access"),
        at = s("attach"),
        d = s("detach"),
        st = s("stat"),
        se = s("set"),
        r = s("remove")
    );
    let dir = tempfile::tempdir().unwrap();
    let fork = dir.path().join("trace_fork");
    let status = std::process::Command::new("cc")
        .args(["-O1", "-o"])
        .arg(&fork)
        .arg(common::workspace().join("checker/fixtures/c/trace_fork.c"))
        .status()
        .unwrap();
    assert!(status.success());
    // Paths differ from machine to machine: replaced before the generic filters run.
    let target_dir = bins["solution-create"]
        .parent()
        .unwrap()
        .display()
        .to_string();
    let fork_path = fork.display().to_string();
    let solutions_trace =
        human(&["trace", "--", "sh", "-c", &script]).replace(&target_dir, "[TARGET]");
    let fork_trace = human(&["trace", "--", &fork_path]).replace(&fork_path, "[TMP]/trace_fork");
    settings().bind(|| {
        insta::assert_snapshot!("trace_solutions", solutions_trace);
        insta::assert_snapshot!("trace_fork", fork_trace);
    });
}
