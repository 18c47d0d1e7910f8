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
#[cfg_attr(
    not(shmlab_root),
    ignore = "needs root: the reports name the run's own uid and include the scenarios only root can run"
)]
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
#[cfg_attr(
    not(shmlab_root),
    ignore = "needs root: the reports name the run's own uid and include the scenarios only root can run"
)]
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
#[cfg_attr(
    not(shmlab_root),
    ignore = "needs root: the reports name the run's own uid and include the scenarios only root can run"
)]
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
#[cfg_attr(
    not(shmlab_root),
    ignore = "needs root: the reports name the run's own uid and include the scenarios only root can run"
)]
fn json_report_of_a_failing_c_program() {
    common::require_root();
    let dir = tempfile::tempdir().unwrap();
    let exe = c_fixture_as(dir.path(), "create_mode_zero", "create");
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
#[cfg_attr(
    not(shmlab_root),
    ignore = "needs root: the reports name the run's own uid and include the scenarios only root can run"
)]
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
    let fork_path = c_fixture(dir.path(), "trace_fork");
    // Paths differ from machine to machine: replaced before the generic filters run.
    let target_dir = bins["solution-create"]
        .parent()
        .unwrap()
        .display()
        .to_string();
    let solutions_trace =
        human(&["trace", "--", "sh", "-c", &script]).replace(&target_dir, "[TARGET]");
    let fork_trace = human(&["trace", "--", &fork_path]).replace(&fork_path, "[TMP]/trace_fork");
    settings().bind(|| {
        insta::assert_snapshot!("trace_solutions", solutions_trace);
        insta::assert_snapshot!("trace_fork", fork_trace);
    });
}

/// A C fixture of `checker/fixtures/c`, compiled into `dir` under its own name.
fn c_fixture(dir: &std::path::Path, name: &str) -> String {
    c_fixture_as(dir, name, name)
}

/// A C fixture of `checker/fixtures/c`, compiled into `dir` as `exe_name` (the name a
/// report shows).
fn c_fixture_as(dir: &std::path::Path, name: &str, exe_name: &str) -> String {
    let exe = dir.join(exe_name);
    let status = std::process::Command::new("cc")
        .args(["-O1", "-o"])
        .arg(&exe)
        .arg(common::workspace().join(format!("checker/fixtures/c/{name}.c")))
        .status()
        .unwrap();
    assert!(status.success());
    exe.display().to_string()
}

/// The capstone memo over several runs: a program that makes an IPC_PRIVATE segment on every
/// run is told, run by run, and then that it leaks one segment per run, with the count.
#[test]
#[cfg_attr(
    not(shmlab_root),
    ignore = "needs root: the reports name the run's own uid and include the scenarios only root can run"
)]
fn memo_report_of_a_program_that_makes_a_segment_every_run() {
    common::require_root();
    let dir = tempfile::tempdir().unwrap();
    let exe = c_fixture(dir.path(), "memo_private_every_run");
    let report = human(&[
        "check",
        "memo/write-then-read",
        "memo/delete-and-recreate",
        "--isolation",
        "namespace",
        "--program",
        &exe,
    ])
    .replace(&exe, "[TMP]/memo_private_every_run");
    settings().bind(|| insta::assert_snapshot!(report));
}

/// The capstone share, verbose: both processes on the timeline, the text each shmdt saw,
/// and a parent that read before it waited.
#[test]
#[cfg_attr(
    not(shmlab_root),
    ignore = "needs root: the reports name the run's own uid and include the scenarios only root can run"
)]
fn share_verbose_report_of_a_parent_that_reads_before_waiting() {
    common::require_root();
    let dir = tempfile::tempdir().unwrap();
    let exe = c_fixture(dir.path(), "share_read_before_wait");
    let report = human(&[
        "check",
        "share/round-trip",
        "--isolation",
        "namespace",
        "--verbose",
        "--program",
        &exe,
    ])
    .replace(&exe, "[TMP]/share_read_before_wait");
    let mut s = settings();
    s.add_filter(r"expected \d{3,}, got \d{3,}", "expected [PID], got [PID]");
    s.bind(|| insta::assert_snapshot!(report));
}
