//! Hostile programs (checker/fixtures/hostile/): each ends in a verdict that names what it
//! did, and leaves no process and no segment behind, in both isolation modes.

mod common;

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use common::{json_report, shmlab, workspace};

/// (source, the one scenario it runs in, what the report must say: one of the `|`-separated
/// texts; the first when traced, the second when not)
const CASES: [(&str, &str, &str); 10] = [
    (
        "loop_forever",
        "create/default-mode",
        "still running after 1000 ms, killed",
    ),
    (
        "fork_loop",
        "create/default-mode",
        "too many processes|still running after 1000 ms, killed",
    ),
    ("flood_stdout", "create/default-mode", "bytes more, dropped"),
    ("write_past_end", "attach/write", "killed by SIGSEGV"),
    ("segv", "create/default-mode", "killed by SIGSEGV"),
    ("leak_500", "create/default-mode", "500 segments were created"),
    (
        "background_holder",
        "attach/write",
        // Untraced, a child killed with the group before its setsid leaves no trace at all,
        // and the report is about the missing work.
        "processes left running after the program exited|did a child process keep it?|the text never reached it",
    ),
    // As root the program runs as another uid and cannot signal the checker; as a user it
    // kills its runner process, and gets a verdict all the same.
    (
        "kill_parent",
        "create/default-mode",
        "sent SIGKILL to its parent|the program never called shmget|no new segment exists after the run",
    ),
    (
        "close_stdout",
        "create/default-mode",
        "the program never called shmget|no new segment exists after the run",
    ),
    (
        "sleep_after_work",
        "create/default-mode",
        "still running after 1000 ms, killed",
    ),
];

/// Compiles the hostile programs under short unique names (their process names), in a
/// directory every user can enter.
fn compile(
    tag: &str,
) -> (
    tempfile::TempDir,
    Vec<(PathBuf, &'static str, &'static str, String)>,
) {
    let dir = tempfile::Builder::new()
        .prefix("shmlab-hostile-")
        .tempdir()
        .unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut out = Vec::new();
    for (i, (src, lab, says)) in CASES.iter().enumerate() {
        let name = format!("hx{tag}{}{i}", std::process::id() % 1000);
        let exe = dir.path().join(&name);
        let ok = Command::new("cc")
            .args(["-O1", "-o"])
            .arg(&exe)
            .arg(workspace().join(format!("checker/fixtures/hostile/{src}.c")))
            .status()
            .unwrap()
            .success();
        assert!(ok, "{src} compiles");
        out.push((exe, *lab, *says, name));
    }
    (dir, out)
}

/// Processes whose name starts with `prefix`, zombies included.
fn processes_named(prefix: &str) -> Vec<String> {
    let out = Command::new("ps")
        .args(["-eo", "pid,stat,comm"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| {
            l.split_whitespace()
                .nth(2)
                .is_some_and(|c| c.starts_with(prefix))
        })
        .map(str::to_string)
        .collect()
}

fn host_segments() -> BTreeSet<i32> {
    shm::list_segments()
        .unwrap()
        .into_iter()
        .map(|(id, _)| id.raw())
        .collect()
}

/// One mode at a time: each compares the machine's segments before and after.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn run_all(isolation: &str, tag: &str, extra: &[&str]) {
    let _one_at_a_time = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (_dir, cases) = compile(tag);
    let before = host_segments();
    let mut problems = Vec::new();
    for (exe, lab, says, name) in &cases {
        let started = Instant::now();
        let (code, doc) = json_report(
            shmlab()
                .args(["check", lab, "--timeout", "1", "--isolation", isolation])
                .args(extra)
                .arg("--program")
                .arg(exe),
        );
        eprintln!("{name} ({lab}): {:?}", started.elapsed());
        let text = doc.to_string();
        if code != 1 {
            problems.push(format!(
                "{name}: exit status {code}, expected 1 (a verdict)"
            ));
        }
        if !says.split('|').any(|s| text.contains(s)) {
            problems.push(format!("{name}: the report does not say {says:?}"));
        }
        let left = processes_named(name);
        if !left.is_empty() {
            problems.push(format!("{name}: processes left: {left:?}"));
        }
    }
    let after = host_segments();
    let leaked: Vec<_> = after.difference(&before).collect();
    if !leaked.is_empty() {
        problems.push(format!(
            "segments left in the machine's namespace: {leaked:?}"
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn hostile_programs_get_a_verdict_and_leave_nothing_in_namespace_mode() {
    run_all("namespace", "n", &[]);
}

#[test]
fn hostile_programs_get_a_verdict_and_leave_nothing_in_keys_mode_untraced() {
    // Untraced, so the process group kill and the sweep of orphans do the work alone.
    run_all("keys", "k", &["--no-trace"]);
}

/// As an ordinary user the program can signal its parent: it kills the runner the checker
/// started it from, and the checker still gives a verdict.
#[test]
#[cfg_attr(
    not(shmlab_root),
    ignore = "needs root: runs the checker as uid 65534 with setpriv"
)]
fn a_program_killing_its_parent_gets_a_verdict_when_the_checker_is_not_root() {
    common::require_root();
    let (dir, cases) = compile("p");
    let (exe, lab, _, _) = cases
        .iter()
        .find(|c| c.3 == format!("hxp{}7", std::process::id() % 1000))
        .unwrap();
    let (_bin, checker) = common::reachable_checker();
    let out = Command::new("setpriv")
        .args(["--reuid", "65534", "--regid", "65534", "--clear-groups"])
        .arg(&checker)
        .args(["check", lab, "--format", "json", "--program"])
        .arg(exe)
        .current_dir("/")
        .output()
        .unwrap();
    drop(dir);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("sent SIGKILL to its parent"), "{text}");
}

/// A program that prints 200 MB gives a report of a few KiB: each stream is shown up to
/// 4 KiB in the report (the cap `docs/checker/instructor.md` states), with a marker.
#[test]
fn a_flood_of_output_keeps_the_json_report_under_its_cap() {
    let dir = tempfile::tempdir().unwrap();
    let exe = dir.path().join("flood_stdout");
    let ok = Command::new("cc")
        .args(["-O1", "-o"])
        .arg(&exe)
        .arg(workspace().join("checker/fixtures/hostile/flood_stdout.c"))
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let out = shmlab()
        .args([
            "check",
            "create/default-mode",
            "--timeout",
            "3",
            "--format",
            "json",
        ])
        .arg("--program")
        .arg(&exe)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // 4 KiB of stdout, 4 KiB of stderr at most, and the rest of the document.
    assert!(
        out.stdout.len() < 16 * 1024,
        "{} bytes of JSON for one scenario",
        out.stdout.len()
    );
    let text = doc.to_string();
    assert!(text.contains("bytes more not shown: a report shows 4096 bytes of each stream"));
}

/// A program's escapes, NULs and carriage returns reach the grader's terminal only as visible
/// escapes, in the plain and the verbose report, and a 10 MB line is cut.
#[test]
fn terminal_escapes_in_a_programs_output_are_shown_not_obeyed() {
    let dir = tempfile::tempdir().unwrap();
    let exe = dir.path().join("escapes");
    let ok = Command::new("cc")
        .args(["-O1", "-o"])
        .arg(&exe)
        .arg(workspace().join("checker/fixtures/hostile/escapes.c"))
        .status()
        .unwrap()
        .success();
    assert!(ok);
    for extra in [&[][..], &["--verbose"][..]] {
        let out = shmlab()
            .args(["check", "create/default-mode"])
            .args(extra)
            .arg("--program")
            .arg(&exe)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        for (name, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            for bad in [0x1bu8, 0x00, 0x07, b'\r'] {
                assert!(
                    !bytes.contains(&bad),
                    "{extra:?}: byte {bad:#04x} reached the terminal through {name}"
                );
            }
            assert!(
                bytes.len() < 64 * 1024,
                "{extra:?}: {} bytes on {name}",
                bytes.len()
            );
        }
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("\\u{1b}[2J"), "the escape is shown: {text}");
    }
}

/// Starts `shmlab check create --program loop_forever --timeout 1 ARGS` (each scenario takes
/// its timeout), waits until `finished(stderr so far)` says a scenario has finished, kills
/// the checker with SIGKILL, and returns its stderr.
fn kill_after_first_scenario(tag: &str, args: &[&str], finished: &dyn Fn(&str) -> bool) -> String {
    use std::io::Read;
    use std::os::unix::process::ExitStatusExt;
    use std::sync::{Arc, Mutex};
    let dir = tempfile::tempdir().unwrap();
    let name = format!("hxs{tag}{}", std::process::id() % 1000);
    let exe = dir.path().join(&name);
    let ok = Command::new("cc")
        .args(["-O1", "-o"])
        .arg(&exe)
        .arg(workspace().join("checker/fixtures/hostile/loop_forever.c"))
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("shmlab"))
        .current_dir(workspace())
        .env("NO_COLOR", "1")
        .env_remove("SHMLAB_FORBID_NAMESPACES")
        .args(["check", "create", "--timeout", "1"])
        .args(args)
        .arg("--program")
        .arg(&exe)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let seen = Arc::new(Mutex::new(String::new()));
    let mut stderr = child.stderr.take().unwrap();
    let into = Arc::clone(&seen);
    let reader = std::thread::spawn(move || {
        let mut chunk = [0u8; 4096];
        while let Ok(n) = stderr.read(&mut chunk) {
            if n == 0 {
                break;
            }
            into.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&chunk[..n]));
        }
    });
    let started = Instant::now();
    while started.elapsed().as_secs() < 60 && !finished(&seen.lock().unwrap()) {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the checker ended first"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    let status = child.wait().unwrap();
    reader.join().unwrap();
    assert_eq!(status.signal(), Some(9));
    // The runner and the program die with the checker (their parent-death signal); they
    // may still be zombies for a moment, until whoever adopted them reaps them.
    let live = || -> Vec<String> {
        processes_named(&name)
            .into_iter()
            .filter(|l| {
                l.split_whitespace()
                    .nth(1)
                    .is_some_and(|s| !s.starts_with('Z'))
            })
            .collect()
    };
    let since = Instant::now();
    while !live().is_empty() && since.elapsed().as_secs() < 3 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(live().is_empty(), "processes left: {:?}", live());
    let text = seen.lock().unwrap().clone();
    text
}

#[test]
fn a_checker_killed_with_sigkill_has_already_printed_the_scenarios_it_finished() {
    let text = kill_after_first_scenario("h", &[], &|stderr| stderr.contains("shmlab: [1/"));
    assert!(
        text.contains("FAIL  create/default-mode  ") && text.starts_with("shmlab: [1/"),
        "{text}"
    );
}

#[test]
fn a_checker_killed_with_sigkill_leaves_the_scenarios_it_finished_in_its_partial_file() {
    let dir = tempfile::tempdir().unwrap();
    let partial = dir.path().join("partial.jsonl");
    let path = partial.to_str().unwrap().to_string();
    let watch = partial.clone();
    kill_after_first_scenario("j", &["--format", "json", "--partial", &path], &move |_| {
        std::fs::read_to_string(&watch).is_ok_and(|t| t.contains("\"test\""))
    });
    let text = std::fs::read_to_string(&partial).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(lines[0]["started"], true, "{text}");
    assert!(lines[0]["scenarios"].as_u64() > Some(1), "{text}");
    let first = &lines[1]["test"];
    assert!(
        first["name"]
            .as_str()
            .unwrap()
            .starts_with("create/default-mode: "),
        "{text}"
    );
    assert_eq!(first["status"], "failed", "{text}");
    assert!(
        first["output"]
            .as_str()
            .unwrap()
            .contains("still running after 1000 ms"),
        "{text}"
    );
    // Killed: no line says the report is complete.
    assert!(lines.iter().all(|l| l.get("finished").is_none()), "{text}");
}

#[test]
fn a_finished_check_ends_its_partial_file_with_the_score() {
    let dir = tempfile::tempdir().unwrap();
    let partial = dir.path().join("partial.jsonl");
    let (_, doc) = json_report(
        shmlab()
            .args(["check", "create", "--solutions", "--partial"])
            .arg(&partial),
    );
    let text = std::fs::read_to_string(&partial).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let tests: Vec<&serde_json::Value> = lines.iter().filter_map(|l| l.get("test")).collect();
    let reported: Vec<&serde_json::Value> = doc["tests"].as_array().unwrap().iter().collect();
    assert_eq!(tests, reported, "the partial file holds the report's tests");
    let last = lines.last().unwrap();
    assert_eq!(last["finished"], true);
    assert_eq!(last["score"], doc["score"]);
    assert_eq!(last["max_score"], doc["max_score"]);
}

/// Keys mode, traced: a segment the program creates is written down as its `shmget`
/// returns, so a checker killed before its next snapshot leaves it on record, and the next
/// checker removes it.
#[test]
fn a_segment_made_just_before_the_checker_is_killed_is_removed_by_the_next_one() {
    use std::os::unix::process::ExitStatusExt;
    let dir = tempfile::Builder::new()
        .prefix("shmlab-hostile-")
        .tempdir()
        .unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let registry = tempfile::tempdir().unwrap();
    let exe = dir.path().join("private_then_sleep");
    let ok = Command::new("cc")
        .args(["-O1", "-o"])
        .arg(&exe)
        .arg(workspace().join("checker/fixtures/hostile/private_then_sleep.c"))
        .status()
        .unwrap()
        .success();
    assert!(ok);
    // Its segment: the only one of 4099 bytes (the size no other test uses).
    let ours = || {
        shm::list_segments()
            .unwrap()
            .into_iter()
            .filter(|(_, st)| st.size() == 4099)
            .map(|(id, _)| id)
            .collect::<Vec<_>>()
    };
    let _one_at_a_time = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("shmlab"))
        .current_dir(workspace())
        .env("SHMLAB_REGISTRY", registry.path().join("registry"))
        .args(["check", "create/default-mode", "--isolation", "keys"])
        .args(["--timeout", "20", "--program"])
        .arg(&exe)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Killed once the segment is on record: the program then sleeps, so no snapshot of the
    // run has been taken, and only the record made when its shmget returned can name it.
    // (Killing as soon as the segment exists would race the tracer's stop at that return.)
    let recorded = |id: i32| {
        walk(registry.path()).iter().any(|f| {
            std::fs::read_to_string(f)
                .unwrap_or_default()
                .lines()
                .any(|l| l.split_whitespace().next() == Some(&id.to_string()))
        })
    };
    let started = Instant::now();
    while started.elapsed().as_secs() < 20 && !ours().first().is_some_and(|id| recorded(id.raw())) {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    child.kill().unwrap();
    assert_eq!(child.wait().unwrap().signal(), Some(9));
    let left = ours();
    assert_eq!(left.len(), 1, "the program made its segment");
    // The next checker in keys mode, with the same registry, sweeps what was recorded.
    let out = Command::new(assert_cmd::cargo::cargo_bin("shmlab"))
        .current_dir(workspace())
        .env("SHMLAB_REGISTRY", registry.path().join("registry"))
        .args(["trace", "--isolation", "keys", "--", "true"])
        .output()
        .unwrap();
    let still = ours();
    for id in &still {
        let _ = shm::shmctl(*id, shm::ShmctlCmd::IpcRmid);
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        still.is_empty(),
        "the segment was not on record, and stayed: {stderr}"
    );
    assert!(
        stderr.contains("removed 1 segment(s) left by an earlier checker that was killed"),
        "{stderr}"
    );
}

/// Every file under `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
