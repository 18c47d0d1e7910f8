//! Programs that try to gain privileges or to make the checker report what did not happen
//! (checker/fixtures/hostile/): a setuid-root program, a program that makes its runner its
//! tracer, threads, and a program that leaves the checker's IPC namespace.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use common::{is_root, json_report, require_root, shmlab};
use serde_json::{json, Value};

/// A directory every user can enter, for compiled fixtures.
fn reachable_dir() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("shmlab-security-")
        .tempdir()
        .unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

/// The first run of the only scenario of a JSON report.
fn first_run(doc: &Value) -> &Value {
    &doc["tests"][0]["extra_data"]["runs"][0]
}

#[test]
#[cfg_attr(
    not(shmlab_root),
    ignore = "needs root: makes a program setuid root, and the checker runs programs as another uid only as root"
)]
fn setuid_root_program_runs_as_the_uid_the_report_names() {
    require_root();
    let dir = reachable_dir();
    let exe = common::compile_hostile(dir.path(), "setuid_whoami", &[]);
    std::os::unix::fs::chown(&exe, Some(0), Some(0)).unwrap();
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o4755)).unwrap();
    for traced in [false, true] {
        let mut cmd = shmlab();
        cmd.args(["check", "create/default-mode"]);
        if !traced {
            cmd.arg("--no-trace");
        }
        let (_, doc) = json_report(cmd.arg("--program").arg(&exe));
        let runs_as = doc["extra_data"]["runs_as"].as_str().unwrap();
        let uid: u32 = runs_as
            .strip_prefix("uid ")
            .and_then(|r| r.split([',', ' ']).next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no uid in {runs_as}"));
        assert_ne!(uid, 0, "{runs_as}");
        let run = first_run(&doc);
        assert_eq!(
            run["stderr"].as_str(),
            Some(format!("euid={uid}\n").as_str()),
            "traced: {traced}; the setuid bit gave the program another uid than the report names: {run}"
        );
    }
}

#[test]
fn ptrace_traceme_under_no_trace_gives_the_program_s_real_status() {
    let dir = reachable_dir();
    let exe = common::compile_hostile(dir.path(), "traceme", &[]);
    let (_, doc) = json_report(
        shmlab()
            .args(["check", "create/default-mode", "--no-trace", "--program"])
            .arg(&exe),
    );
    let run = first_run(&doc);
    if run["stderr"]
        .as_str()
        .is_some_and(|s| s.contains("refusing to run under a debugger"))
    {
        // ptrace is forbidden here (kernel.yama.ptrace_scope 3): nothing to show.
        eprintln!("PTRACE_TRACEME is not allowed on this machine; nothing to check");
        return;
    }
    // The program made its parent (the runner) its tracer, and then exec'd /bin/true, which
    // exits 0: not a stop mistaken for an exit, nor a SIGTRAP that kills it.
    assert_eq!(
        run["termination"],
        json!({"kind": "exited", "code": 0}),
        "{run}"
    );
    assert_eq!(
        doc["tests"][0]["extra_data"]["outcome"], "passed",
        "{}",
        doc["tests"][0]["output"]
    );
}

/// `shmlab trace -- PROGRAM`'s output, which must succeed.
fn trace(exe: &Path) -> String {
    let out = shmlab().arg("trace").arg("--").arg(exe).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

#[test]
fn a_thread_is_not_shown_as_a_new_process_nor_its_end_as_a_detach() {
    let dir = reachable_dir();
    let exe = common::compile_hostile(dir.path(), "threads", &["-pthread"]);
    let text = trace(&exe);
    assert!(text.contains("from the thread"), "{text}");
    assert!(
        !text.contains("fork()"),
        "a thread shown as a fork:\n{text}"
    );
    assert!(
        !text.contains("still attached"),
        "a thread's end shown as the kernel detaching:\n{text}"
    );
    // The main thread detaches what the worker attached: the tracer knows the address.
    assert!(text.contains(") = 0 → nattch 0, dtime set"), "{text}");
    // Every call is the one process's.
    let pids: std::collections::BTreeSet<&str> = text
        .lines()
        .filter(|l| l.starts_with('['))
        .filter_map(|l| l.split(']').next())
        .collect();
    assert_eq!(pids.len(), 1, "{text}");
}

#[test]
fn a_thread_that_calls_exit_ends_its_process_once() {
    let dir = reachable_dir();
    let exe = common::compile_hostile(dir.path(), "thread_exit", &["-pthread"]);
    let text = trace(&exe);
    assert!(text.contains("the worker ends the program"), "{text}");
    let ends: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("still attached"))
        .collect();
    assert_eq!(ends.len(), 1, "{text}");
    assert!(ends[0].contains("exit(0) → still attached to segment 0 (nattch 1)"));
    assert!(!text.contains("fork()"), "{text}");
}

/// Whether the user programs run as may make a user namespace here (for an IPC namespace of
/// their own): runs the fixture itself, which then creates its segment in a namespace that
/// dies with it.
fn user_namespaces_allowed(exe: &Path) -> bool {
    use std::os::unix::process::CommandExt;
    let mut cmd = Command::new(exe);
    cmd.args(["0x1234", "4096"]);
    if is_root() {
        cmd.uid(65534).gid(65534);
    }
    cmd.output().unwrap().status.success()
}

#[test]
fn a_program_that_leaves_the_ipc_namespace_is_stopped_and_recorded() {
    let dir = reachable_dir();
    let exe = common::compile_hostile(dir.path(), "unshare_ipc", &[]);
    if !user_namespaces_allowed(&exe) {
        eprintln!("user namespaces are forbidden here: a program cannot leave the IPC namespace, nothing to check");
        return;
    }
    for isolation in ["auto", "keys"] {
        let (_, doc) = json_report(
            shmlab()
                .args(["check", "create/existing-key", "--isolation", isolation])
                .arg("--program")
                .arg(&exe),
        );
        let run = first_run(&doc);
        assert_eq!(run["left_namespace"], true, "{isolation}: {run}");
        // Stopped at its shmget, in the other namespace: no timeline of the wrong segment.
        assert_eq!(run["timeline"], json!([]), "{isolation}: {run}");
        assert_eq!(
            run["termination"],
            json!({"kind": "signaled", "signal": 9, "core_dumped": false}),
            "{isolation}: {run}"
        );
        assert_ne!(
            doc["tests"][0]["extra_data"]["outcome"], "passed",
            "{isolation}: a segment in another namespace passed for the setup's"
        );
    }
}

#[test]
fn a_program_cannot_leave_the_ipc_namespace_when_not_traced() {
    let dir = reachable_dir();
    let exe = common::compile_hostile(dir.path(), "unshare_ipc", &[]);
    if !user_namespaces_allowed(&exe) {
        eprintln!("user namespaces are forbidden here: a program cannot leave the IPC namespace, nothing to check");
        return;
    }
    for isolation in ["auto", "keys"] {
        let (_, doc) = json_report(
            shmlab()
                .args(["check", "create/existing-key", "--no-trace"])
                .args(["--isolation", isolation])
                .arg("--program")
                .arg(&exe),
        );
        let run = first_run(&doc);
        // Refused by the seccomp filter of the pre-exec hook: no ptrace needed to see it.
        assert_eq!(
            run["stderr"], "unshare: Operation not permitted\n",
            "{isolation}: {run}"
        );
        assert_eq!(
            run["termination"],
            json!({"kind": "exited", "code": 1}),
            "{isolation}: {run}"
        );
        assert_ne!(
            doc["tests"][0]["extra_data"]["outcome"], "passed",
            "{isolation}: a segment in another namespace passed for the setup's"
        );
    }
}

#[test]
fn a_program_that_stays_in_its_namespace_has_no_left_namespace_field() {
    let (_, doc) = json_report(shmlab().args(["check", "create/existing-key", "--solutions"]));
    let run = first_run(&doc);
    assert_eq!(doc["tests"][0]["extra_data"]["outcome"], "passed", "{run}");
    assert!(run.get("left_namespace").is_none(), "{run}");
}

#[test]
fn a_run_record_says_which_stream_was_cut_at_the_cap() {
    let dir = reachable_dir();
    let exe = common::compile_hostile(dir.path(), "flood_stdout", &[]);
    let (_, doc) = json_report(
        shmlab()
            .args([
                "check",
                "create/default-mode",
                "--timeout",
                "2",
                "--program",
            ])
            .arg(&exe),
    );
    let run = first_run(&doc);
    let by_stream = &run["dropped_by_stream"];
    let stdout = by_stream["stdout"].as_u64().unwrap_or(0);
    assert!(stdout > 0, "{by_stream}");
    assert_eq!(by_stream["stderr"], 0, "{by_stream}");
    assert_eq!(run["dropped"].as_u64(), Some(stdout));
    // The report shows 4 KiB of it, and says where and how much it cut.
    let shown = run["stdout"].as_str().unwrap();
    assert!(shown.starts_with(&"x".repeat(4096)), "{shown}");
    assert!(
        shown.ends_with(&format!(
            "\n[… 61440 bytes more not shown: a report shows 4096 bytes of each stream; and {stdout} bytes more were dropped: the checker keeps 65536]"
        )),
        "{}",
        &shown[4000..]
    );
}
