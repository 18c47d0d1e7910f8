//! The checker on real programs: the reference solutions pass, the untouched starters fail,
//! in every isolation mode and as root or not.

mod common;

use common::{is_root, json_report, lab_dir, outcomes, reachable_checker, shmlab, LABS};

fn assert_all_pass(doc: &serde_json::Value, expect_skipped: usize) {
    let outcomes = outcomes(doc);
    let failed: Vec<_> = outcomes
        .iter()
        .filter(|(_, o)| *o != "passed" && *o != "skipped")
        .collect();
    assert!(
        failed.is_empty(),
        "scenarios not passed: {failed:?}\n{doc:#}"
    );
    let skipped = outcomes.values().filter(|o| *o == "skipped").count();
    assert_eq!(skipped, expect_skipped, "{outcomes:?}");
    for lab in LABS {
        assert!(
            outcomes
                .keys()
                .filter(|s| s.starts_with(&format!("{lab}/")))
                .count()
                >= 3,
            "{lab}"
        );
    }
    assert_eq!(doc["score"], doc["max_score"]);
}

#[test]
fn solutions_pass_every_scenario_in_namespace_mode() {
    let (code, doc) =
        json_report(shmlab().args(["check", "--solutions", "--isolation", "namespace"]));
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["extra_data"]["isolation"]["mode"], "namespace");
    assert_all_pass(&doc, if is_root() { 0 } else { 4 });
}

#[test]
fn solutions_pass_every_scenario_in_keys_mode() {
    let (code, doc) = json_report(shmlab().args(["check", "--solutions", "--isolation", "keys"]));
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["extra_data"]["isolation"]["mode"], "keys");
    assert_all_pass(&doc, if is_root() { 0 } else { 4 });
}

#[test]
fn auto_falls_back_to_keys_where_namespaces_are_forbidden() {
    let (code, doc) = json_report(shmlab().env("SHMLAB_FORBID_NAMESPACES", "1").args([
        "check",
        "--solutions",
        "stat",
    ]));
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["extra_data"]["isolation"]["mode"], "keys");
    assert!(doc["extra_data"]["isolation"]["why"]
        .as_str()
        .unwrap()
        .contains("SHMLAB_FORBID_NAMESPACES"));
}

#[test]
fn untouched_starters_fail_every_lab_as_not_implemented() {
    let dir = common::pristine_dir();
    let (code, doc) = json_report(shmlab().args(["check", "--dir"]).arg(dir.path()));
    assert_eq!(code, 1);
    for lab in doc["extra_data"]["labs"].as_array().unwrap() {
        assert_eq!(lab["done"], false, "{lab}");
    }
    let not_implemented = doc["tests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| {
            t["output"]
                .as_str()
                .unwrap()
                .contains("this lab is not implemented yet")
        })
        .count();
    assert!(
        not_implemented >= 20,
        "{not_implemented} scenarios say not implemented"
    );
    assert!(doc["score"].as_u64().unwrap() < doc["max_score"].as_u64().unwrap() / 3);
}

/// `list` of `args`: each lab's line must say `status`.
fn list_says(args: &[&std::ffi::OsStr], status: &str) {
    let out = shmlab().arg("list").args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    for (i, lab) in LABS.iter().enumerate() {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{}. {lab} ", i + 1)))
            .unwrap_or_else(|| panic!("{lab} missing:\n{text}"));
        assert!(line.contains(status), "{line}");
    }
}

#[test]
fn list_shows_every_untouched_starter_not_started_and_every_solution_done() {
    let dir = common::pristine_dir();
    list_says(&["--dir".as_ref(), dir.path().as_os_str()], "not started");
    list_says(&["--solutions".as_ref()], "done");
}

#[test]
fn dev_check_finds_the_starters_failing_the_solutions_passing_and_the_guides_true() {
    let out = shmlab().args(["dev", "check"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert_eq!(text.matches("  ok  ").count(), 4, "{text}");
    assert!(
        text.contains("ok    no starter holds a line of its solution's shm calls"),
        "{text}"
    );
}

#[test]
fn dev_starters_finds_a_labs_file_that_is_not_its_solutions_starter() {
    // A fresh clone's labs/ (derived here, never the kit's own labs/), with the solutions.
    let ws = common::student_workspace();
    let kit = common::workspace();
    for dir in ["solutions/src/bin", "solutions/c"] {
        std::fs::create_dir_all(ws.path().join(dir)).unwrap();
        for entry in std::fs::read_dir(kit.join(dir)).unwrap() {
            let p = entry.unwrap().path();
            if p.extension().is_some_and(|e| e == "rs" || e == "c") {
                std::fs::copy(&p, ws.path().join(dir).join(p.file_name().unwrap())).unwrap();
            }
        }
    }
    let c = common::pristine_c();
    std::fs::create_dir_all(ws.path().join("labs/c")).unwrap();
    for entry in std::fs::read_dir(c.path()).unwrap() {
        let p = entry.unwrap().path();
        std::fs::copy(&p, ws.path().join("labs/c").join(p.file_name().unwrap())).unwrap();
    }
    let run = || {
        let out = shmlab()
            .current_dir(ws.path())
            .args(["dev", "starters"])
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8(out.stdout).unwrap())
    };
    let (code, text) = run();
    assert_eq!(code, Some(0), "{text}");
    // A starter changed by hand, not through its solution.
    std::fs::write(ws.path().join("labs/c/remove.c"), "/* edited */\n").unwrap();
    let (code, text) = run();
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains(
            "FAIL  labs/c/remove.c is not the starter its solution gives (solutions/c/remove.c)"
        ),
        "{text}"
    );
    assert_eq!(text.matches("FAIL").count(), 1, "{text}");
}

#[test]
fn a_single_scenario_runs_alone() {
    let (code, doc) =
        json_report(shmlab().args(["check", "stat/fresh", "create/mode-600", "--solutions"]));
    assert_eq!(code, 0, "{doc:#}");
    let ran: Vec<String> = outcomes(&doc).into_keys().collect();
    assert_eq!(ran, ["create/mode-600", "stat/fresh"]);
}

/// Runs the checker as uid 65534 (when this test runs as root) on copies of the solutions.
fn as_unprivileged(extra_env: &[(&str, &str)], isolation: &str) -> (i32, serde_json::Value) {
    common::require_root();
    let dir = lab_dir("shmlab-solutions", "solution-");
    let (_bin_dir, checker) = reachable_checker();
    let mut cmd = assert_cmd::Command::new("setpriv");
    cmd.args(["--reuid", "65534", "--regid", "65534", "--clear-groups"])
        .arg(&checker)
        .args(["check", "--isolation", isolation, "--dir"])
        .arg(dir.path())
        .current_dir("/")
        .env("NO_COLOR", "1");
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    json_report(&mut cmd)
}

#[test]
#[cfg_attr(
    not(shmlab_root),
    ignore = "needs root: runs the checker as uid 65534 with setpriv"
)]
fn unprivileged_checker_uses_a_user_namespace_and_skips_what_needs_root() {
    let (code, doc) = as_unprivileged(&[], "auto");
    assert_eq!(code, 0, "{doc:#}");
    let iso = &doc["extra_data"]["isolation"];
    // Where user namespaces are allowed (this machine, CI), auto picks them.
    assert_eq!(iso["mode"], "namespace", "{iso}");
    assert!(iso["why"].as_str().unwrap().contains("user namespace"));
    assert_all_pass(&doc, 4);
    let skipped: Vec<_> = doc["tests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["extra_data"]["outcome"] == "skipped")
        .collect();
    for t in skipped {
        assert_eq!(t["max_score"], 0);
        assert_eq!(
            t["status"], "failed",
            "a skipped test never says passed (a 0/0 test without a status would): {t}"
        );
        assert!(
            t["output"]
                .as_str()
                .unwrap()
                .starts_with("skipped, not counted: "),
            "{t}"
        );
        assert!(
            t["output"]
                .as_str()
                .unwrap()
                .contains("only root can arrange"),
            "{t}"
        );
    }
}

#[test]
#[cfg_attr(
    not(shmlab_root),
    ignore = "needs root: runs the checker as uid 65534 with setpriv"
)]
fn unprivileged_checker_without_namespaces_uses_keys() {
    let (code, doc) = as_unprivileged(&[("SHMLAB_FORBID_NAMESPACES", "1")], "auto");
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["extra_data"]["isolation"]["mode"], "keys");
    assert_all_pass(&doc, 4);
}

#[test]
#[cfg_attr(
    not(shmlab_root),
    ignore = "needs root: only a root checker switches programs to a uid of the run's own"
)]
fn root_checker_runs_programs_unprivileged_even_from_an_unreachable_directory() {
    common::require_root();
    // A directory only root may enter, as /root is: the checker must copy the program.
    let private = tempfile::tempdir().unwrap();
    let bins = common::built("shmlab-solutions");
    let inner = private.path().join("inner");
    std::fs::create_dir(&inner).unwrap();
    std::fs::copy(&bins["solution-remove"], inner.join("remove")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(private.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let (code, doc) = json_report(
        shmlab()
            .args(["check", "remove", "--program"])
            .arg(inner.join("remove")),
    );
    assert_eq!(code, 0, "{doc:#}");
    let runs_as = doc["extra_data"]["runs_as"].as_str().unwrap();
    assert!(
        runs_as.contains("a user of this checker run's own"),
        "{runs_as}"
    );
    assert_eq!(outcomes(&doc)["remove/not-owner"], "passed");
}

fn script(dir: &std::path::Path, name: &str, body: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

fn world_dir() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::Builder::new()
        .prefix("shmlab-test-")
        .tempdir()
        .unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

#[test]
fn a_hanging_program_is_killed_at_the_timeout_with_its_children() {
    let dir = world_dir();
    let marker = format!("shmlab-hang-{}", std::process::id());
    // A sleep whose name carries the marker, so that pgrep finds every copy still running.
    let sleeper = dir.path().join(&marker);
    std::fs::copy("/bin/sleep", &sleeper).unwrap();
    // A child in the background, then a parent that never ends.
    let s = sleeper.display();
    let p = script(
        dir.path(),
        "access",
        &format!("#!/bin/sh\n{s} 30 &\nexec {s} 31\n"),
    );
    let (code, doc) = json_report(
        shmlab()
            .args(["check", "access", "--timeout", "0.3", "--program"])
            .arg(&p),
    );
    assert_eq!(code, 1);
    let out = doc["tests"][0]["output"].as_str().unwrap();
    assert!(out.contains("still running after 300 ms, killed"), "{out}");
    assert!(out.contains("never finished"), "{out}");
    let left = std::process::Command::new("pgrep")
        .args(["-f", &marker])
        .output()
        .unwrap();
    assert!(
        left.stdout.is_empty(),
        "processes left: {}",
        String::from_utf8_lossy(&left.stdout)
    );
}

/// At the timeout the program gets SIGTERM first, and a grace period to exit on it: its
/// handler's last words reach the report.
#[test]
fn a_program_past_its_timeout_gets_sigterm_before_sigkill() {
    let dir = world_dir();
    let p = script(
        dir.path(),
        "access",
        "#!/bin/sh\ntrap 'echo caught SIGTERM >&2; exit 7' TERM\nwhile :; do :; done\n",
    );
    let (code, doc) = json_report(
        shmlab()
            .args(["check", "access/existing", "--timeout", "0.3", "--program"])
            .arg(&p),
    );
    assert_eq!(code, 1);
    let out = doc["tests"][0]["output"].as_str().unwrap();
    assert!(out.contains("still running after 300 ms, killed"), "{out}");
    let stderr = doc["tests"][0]["extra_data"]["runs"][0]["stderr"]
        .as_str()
        .unwrap();
    assert_eq!(stderr, "caught SIGTERM\n", "{doc:#}");
}

#[test]
fn a_crash_is_reported_with_the_signal_and_its_usual_meaning() {
    let dir = world_dir();
    let p = script(dir.path(), "stat", "#!/bin/sh\nkill -SEGV $$\n");
    let (code, doc) = json_report(shmlab().args(["check", "stat", "--program"]).arg(&p));
    assert_eq!(code, 1);
    let out = doc["tests"][0]["output"].as_str().unwrap();
    assert!(out.contains("killed by SIGSEGV"), "{out}");
    // Traced, it made no shm call: the hint names no shm cause (issue 20: hints only from
    // evidence), and says what the crash rules out.
    assert!(!out.contains("SHM_RDONLY"), "{out}");
    assert!(out.contains("not in shared memory"), "{out}");
}

#[test]
fn a_python_program_is_graded_like_any_other() {
    // An interpreter every user can reach where there is one (uid 65534 runs the program
    // when this test is root); any python3 on PATH otherwise.
    let python = ["/usr/bin/python3", "/usr/local/bin/python3"]
        .into_iter()
        .map(std::path::PathBuf::from)
        .find(|p| p.exists())
        .or_else(|| {
            std::env::split_paths(&std::env::var_os("PATH")?)
                .map(|d| d.join("python3"))
                .find(|p| p.exists())
        })
        .expect("this test needs python3 (any python3 on PATH)");
    let dir = world_dir();
    let source =
        std::fs::read_to_string(common::workspace().join("checker/fixtures/python/access.py"))
            .unwrap();
    let p = script(
        dir.path(),
        "access",
        &source.replacen(
            "#!/usr/bin/env python3",
            &format!("#!{}", python.display()),
            1,
        ),
    );
    let (code, doc) = json_report(shmlab().args(["check", "access", "--program"]).arg(&p));
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["score"], 3);
}
