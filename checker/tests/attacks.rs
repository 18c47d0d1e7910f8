//! The attacks of issue 19 on how programs run: a script that names an interpreter only root
//! can reach, a segment another user made with a pid the run's program gets again, a child's
//! leaked segments in keys mode, and a process that leaves the program's session while the
//! checker is killed. Each ran, or removed, what it should not have before.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{json_report, require_root, shared_tempdir, shmlab, workspace};
use serde_json::Value;

/// The ids of the segments of `size` bytes on the machine (each test uses a size of its own).
fn segments_of_size(size: usize) -> Vec<shm::ShmId> {
    shm::list_segments()
        .unwrap()
        .into_iter()
        .filter(|(_, st)| st.size() == size)
        .map(|(id, _)| id)
        .collect()
}

/// Removes every segment of `size` bytes when dropped, whatever the test did.
struct RemoveOfSize(usize);

impl Drop for RemoveOfSize {
    fn drop(&mut self) {
        for id in segments_of_size(self.0) {
            let _ = shm::shmctl(id, shm::ShmctlCmd::IpcRmid);
        }
    }
}

fn verdicts(doc: &Value) -> Vec<(String, String)> {
    doc["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap_or_default().to_string(),
                t["status"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// A directory only root can enter (as /root is).
fn root_only_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    dir
}

/// Writes `text` to `path`, executable by everyone.
fn executable(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
#[cfg_attr(
    not(shmlab_root),
    ignore = "needs root: the checker runs scripts as another user only as root"
)]
fn a_script_whose_interpreter_only_root_can_reach_is_never_run_as_root() {
    require_root();
    // A copy of sh in a directory only root can enter, and a script that names it.
    let private = root_only_dir();
    let sh = private.path().join("sh");
    std::fs::copy("/bin/sh", &sh).unwrap();
    let marker = private.path().join("ran-as-root");
    let scripts = shared_tempdir("shmlab-attack-");
    let script = scripts.path().join("create");
    executable(
        &script,
        &format!("#!{}\ntouch {}\necho 0\n", sh.display(), marker.display()),
    );
    for traced in [true, false] {
        let mut cmd = shmlab();
        cmd.args(["check", "create", "--program"]).arg(&script);
        if !traced {
            cmd.arg("--no-trace");
        }
        let (_, doc) = json_report(&mut cmd);
        assert!(!marker.exists(), "traced: {traced}: the script ran as root");
        let runs_as = doc["extra_data"]["runs_as"].as_str().unwrap();
        assert!(runs_as.starts_with("uid 6"), "{runs_as}");
        let text = doc.to_string();
        assert!(
            text.contains("never runs a program as root") && text.contains("cannot be run by uid"),
            "the lab's problem names the interpreter and the fix: {text}"
        );
    }
}

#[test]
#[cfg_attr(
    not(shmlab_root),
    ignore = "needs root: the checker runs scripts as another user only as root"
)]
fn env_finds_interpreters_on_a_path_every_user_can_reach() {
    require_root();
    // An interpreter first on the checker's PATH, in a directory only root can enter (as
    // pyenv's shims under /root): the script must not find it through the checker's PATH.
    let private = root_only_dir();
    let marker = private.path().join("ran-as-root");
    let interp = private.path().join("shmlab-test-interp");
    executable(
        &interp,
        &format!("#!/bin/sh\ntouch {}\necho 0\n", marker.display()),
    );
    let scripts = shared_tempdir("shmlab-attack-");
    let script = scripts.path().join("create");
    executable(&script, "#!/usr/bin/env shmlab-test-interp\n");
    let path = format!(
        "{}:{}",
        private.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let (_, doc) = json_report(
        shmlab()
            .env("PATH", path)
            .args(["check", "create/default-mode", "--program"])
            .arg(&script),
    );
    assert!(!marker.exists(), "the interpreter ran as root");
    let runs_as = doc["extra_data"]["runs_as"].as_str().unwrap();
    assert!(runs_as.starts_with("uid 6"), "{runs_as}");
}

/// The checker, compiled programs and a shell script, run in a PID namespace of their own,
/// where pids are handed out in order and `ns_last_pid` says which comes next.
fn in_pid_namespace(script: &str) -> std::process::Output {
    Command::new("unshare")
        .args(["--pid", "--fork", "--mount-proc", "bash", "-c", script])
        .output()
        .unwrap()
}

#[test]
#[cfg_attr(
    not(shmlab_root),
    ignore = "needs root: makes a PID namespace and sets ns_last_pid, and makes a segment as another user"
)]
fn a_segment_of_another_user_with_the_programs_pid_is_not_the_runs() {
    require_root();
    let _cleanup = RemoveOfSize(4123);
    let dir = shared_tempdir("shmlab-pid-reuse-");
    let foreign = common::compile_hostile(dir.path(), "private_as_told", &[]);
    let solutions = common::lab_dir("shmlab-solutions", "solution-");
    let create_copy = dir.path().join("create");
    std::fs::copy(solutions.path().join("create"), &create_copy).unwrap();
    let shmlab_bin = assert_cmd::cargo::cargo_bin("shmlab");
    // The program's pid when the checker starts right after ns_last_pid is set to 1000.
    let check = format!(
        "echo 1000 > /proc/sys/kernel/ns_last_pid; {} check create/default-mode --isolation keys --no-trace --format json --program {}",
        shmlab_bin.display(),
        create_copy.display()
    );
    let pid_of = |out: &std::process::Output| -> i64 {
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{e}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        doc["tests"][0]["extra_data"]["runs"][0]["pid"]
            .as_i64()
            .unwrap_or_else(|| panic!("no pid: {doc}"))
    };
    let first = in_pid_namespace(&format!("cd {}; {check}", workspace().display()));
    let pid = pid_of(&first);
    // Another user's process gets that pid first, and leaves a segment; a second later the
    // checker starts again the same way, and its program gets the same pid.
    let script = format!(
        "cd {ws}; echo {before} > /proc/sys/kernel/ns_last_pid; setpriv --reuid 4242 --regid 4242 --clear-groups {foreign}; sleep 1.2; {check}",
        ws = workspace().display(),
        before = pid - 1,
        foreign = foreign.display(),
    );
    // The pids come round as planned (another user's process, then the program) unless the
    // checker started a thread more or less before its program this time (a loaded machine):
    // then the other user's segment is removed and the pair is tried again, up to 3 times.
    let mut tries = 0;
    let doc = loop {
        tries += 1;
        let second = in_pid_namespace(&script);
        let stdout = String::from_utf8_lossy(&second.stdout);
        let made_by = stdout.lines().next().unwrap_or_default().trim().to_string();
        let report = stdout.lines().skip(1).collect::<Vec<_>>().join("\n");
        let doc: Value = serde_json::from_str(&report)
            .unwrap_or_else(|e| panic!("{e}: {stdout}{}", String::from_utf8_lossy(&second.stderr)));
        let rerun = doc["tests"][0]["extra_data"]["runs"][0]["pid"].as_i64();
        if (made_by.as_str(), rerun) == (pid.to_string().as_str(), Some(pid)) {
            break doc;
        }
        assert!(
            tries < 3,
            "the pids did not come round as planned in 3 tries (another user's process {made_by}, then the program {rerun:?}, both meant to be {pid})"
        );
        drop(RemoveOfSize(4123));
    };
    assert_eq!(
        segments_of_size(4123).len(),
        1,
        "the checker removed another user's segment because its creator had the program's pid"
    );
    assert_eq!(
        doc["tests"][0]["status"], "passed",
        "the reference solution failed because of another user's segment: {doc}"
    );
}

/// `check create/default-mode` of `exe` in `isolation`, traced or not, as JSON.
fn check_create(exe: &Path, isolation: &str, traced: bool) -> Value {
    let mut cmd = shmlab();
    cmd.args(["check", "create/default-mode"])
        .args(["--isolation", isolation, "--program"])
        .arg(exe);
    if !traced {
        cmd.arg("--no-trace");
    }
    json_report(&mut cmd).1
}

#[test]
#[cfg_attr(
    not(shmlab_root),
    ignore = "needs root: keys mode tells a child's segments by the run's own uid, which only root can give"
)]
fn a_childs_leaked_segments_are_the_runs_in_keys_mode_traced_or_not() {
    require_root();
    let _cleanup = RemoveOfSize(4111);
    let dir = shared_tempdir("shmlab-child-leak-");
    let exe = common::compile_hostile(dir.path(), "child_leaks_private", &[]);
    let in_namespace = verdicts(&check_create(&exe, "namespace", true));
    assert_eq!(in_namespace[0].1, "failed", "{in_namespace:?}");
    for traced in [true, false] {
        let doc = check_create(&exe, "keys", traced);
        assert_eq!(
            segments_of_size(4111),
            vec![],
            "traced: {traced}: the child's segments were left on the machine"
        );
        assert_eq!(
            verdicts(&doc),
            in_namespace,
            "traced: {traced}: keys mode judged the leak otherwise than namespace mode: {doc}"
        );
    }
}

#[test]
fn a_childs_leaked_segments_are_the_runs_in_keys_mode_when_traced() {
    let _cleanup = RemoveOfSize(4111);
    let dir = shared_tempdir("shmlab-child-leak-");
    let exe = common::compile_hostile(dir.path(), "child_leaks_private", &[]);
    let doc = check_create(&exe, "keys", true);
    assert_eq!(
        segments_of_size(4111),
        vec![],
        "the child's segments were left on the machine"
    );
    assert_eq!(doc["tests"][0]["status"], "failed", "{doc}");
}

/// Starts `check` of the setsid sleeper, untraced, waits until its grandchild has written
/// its pid, kills the checker with SIGKILL and returns that pid.
fn kill_checker_while_a_setsid_child_runs(as_user: Option<u32>) -> i32 {
    let dir = shared_tempdir("shmlab-setsid-");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let pidfile = dir.path().join("pid");
    let define = format!("-DPIDFILE=\"{}\"", pidfile.display());
    let exe = common::compile_hostile(dir.path(), "setsid_sleeper", &[&define]);
    let (_keep, reachable) = common::reachable_checker();
    let mut cmd = match as_user {
        Some(uid) => {
            let mut c = Command::new("setpriv");
            c.args([
                format!("--reuid={uid}"),
                format!("--regid={uid}"),
                "--clear-groups".into(),
            ])
            .arg(&reachable);
            c
        }
        None => Command::new(assert_cmd::cargo::cargo_bin("shmlab")),
    };
    let mut child = cmd
        .current_dir("/")
        .env("SHMLAB_STATE", dir.path().join("state.txt"))
        // What the killed checker cannot remove (its program's working folder) goes with
        // this test's folder.
        .env("TMPDIR", dir.path())
        .args([
            "check",
            "create/default-mode",
            "--no-trace",
            "--timeout",
            "30",
        ])
        .arg("--program")
        .arg(&exe)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !pidfile.exists() && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(10));
    }
    let pid: i32 = std::fs::read_to_string(&pidfile)
        .expect("the grandchild wrote its pid")
        .trim()
        .parse()
        .unwrap();
    // setpriv execs the checker: the pid is the checker's.
    child.kill().unwrap();
    assert_eq!(child.wait().unwrap().signal(), Some(9));
    pid
}

/// Whether `pid` is alive (a zombie is not).
fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            let state = s.rsplit(')').next().unwrap_or_default().trim_start();
            !state.starts_with('Z') && !state.starts_with('X')
        })
        .unwrap_or(false)
}

fn gone_within(pid: i32, limit: Duration) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        if !alive(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    );
    false
}

#[test]
fn an_untraced_run_dies_whole_with_a_checker_killed_outright() {
    let pid = kill_checker_while_a_setsid_child_runs(None);
    assert!(
        gone_within(pid, Duration::from_secs(5)),
        "a process that left the program's session outlived the checker"
    );
}

#[test]
#[cfg_attr(
    not(shmlab_root),
    ignore = "needs root: runs the checker as an unprivileged user with setpriv"
)]
fn an_untraced_run_dies_whole_with_a_checker_killed_outright_as_a_user() {
    require_root();
    let pid = kill_checker_while_a_setsid_child_runs(Some(65534));
    assert!(
        gone_within(pid, Duration::from_secs(5)),
        "a process that left the program's session outlived the non-root checker"
    );
}

/// A registry another user made where a checker's used to be: world-writable, holding a claim
/// that names `victim` (a segment of another user, as `ipcs` shows it) and a dangling link
/// named like a claim. Returns the link's target, which must never come to exist.
fn plant_registry(dir: &Path, victim: shm::ShmId, owner: u32) -> PathBuf {
    std::fs::create_dir(dir).unwrap();
    let st = shm::ipc_stat(victim).unwrap();
    std::fs::write(
        dir.join("5c123400"),
        format!("{} {} {}\n", victim.raw(), st.cpid(), st.ctime()),
    )
    .unwrap();
    let target = dir.parent().unwrap().join("made-by-the-checker");
    std::os::unix::fs::symlink(&target, dir.join("5c00ab00")).unwrap();
    std::os::unix::fs::lchown(dir.join("5c123400"), Some(owner), Some(owner)).unwrap();
    std::os::unix::fs::lchown(dir.join("5c00ab00"), Some(owner), Some(owner)).unwrap();
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    std::os::unix::fs::chown(dir, Some(owner), Some(owner)).unwrap();
    target
}

/// A segment of `size` bytes made by `uid`.
fn segment_of(uid: u32, size: usize, dir: &Path) -> shm::ShmId {
    let exe = common::compile_hostile(dir, "private_as_told", &[]);
    let ok = Command::new("setpriv")
        .args([
            format!("--reuid={uid}"),
            format!("--regid={uid}"),
            "--clear-groups".into(),
        ])
        .arg(&exe)
        .arg(size.to_string())
        .status()
        .unwrap()
        .success();
    assert!(ok);
    segments_of_size(size)[0]
}

#[test]
#[cfg_attr(
    not(shmlab_root),
    ignore = "needs root: plants a registry as another user, and checks as root"
)]
fn a_registry_planted_by_another_user_steers_no_root_checker() {
    require_root();
    let _cleanup = RemoveOfSize(4127);
    let tmp = shared_tempdir("shmlab-planted-");
    let victim = segment_of(4242, 4127, tmp.path());
    let target = plant_registry(&tmp.path().join("shmlab-keys-0"), victim, 65534);
    let solutions = common::lab_dir("shmlab-solutions", "solution-");
    for traced in [true, false] {
        let mut cmd = shmlab();
        cmd.env("TMPDIR", tmp.path())
            .env_remove("SHMLAB_REGISTRY")
            .args([
                "check",
                "create/default-mode",
                "--isolation",
                "keys",
                "--program",
            ])
            .arg(solutions.path().join("create"));
        if !traced {
            cmd.arg("--no-trace");
        }
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("removed 1 segment"),
            "a planted claim made the checker remove a segment: {stderr}"
        );
        assert_eq!(segments_of_size(4127), vec![victim], "{stderr}");
        assert!(
            target.symlink_metadata().is_err(),
            "the checker created a file through a planted link"
        );
    }
}

#[test]
#[cfg_attr(
    not(shmlab_root),
    ignore = "needs root: plants a registry as another user, and runs the checker as a user with setpriv"
)]
fn a_registry_planted_by_another_user_is_refused_by_a_users_checker() {
    require_root();
    let _cleanup = RemoveOfSize(4129);
    let tmp = shared_tempdir("shmlab-planted-");
    // The user's own segment: a claim naming it is the only kind their checker could remove.
    let victim = segment_of(65534, 4129, tmp.path());
    let target = plant_registry(&tmp.path().join("shmlab-keys-65534"), victim, 4242);
    let (_keep, checker) = common::reachable_checker();
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(&checker)
        .current_dir("/")
        .env("TMPDIR", tmp.path())
        .env_remove("XDG_RUNTIME_DIR")
        .env_remove("SHMLAB_REGISTRY")
        .env("SHMLAB_STATE", tmp.path().join("state.txt"))
        .args([
            "check",
            "create/default-mode",
            "--isolation",
            "keys",
            "--program",
            "/bin/true",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("is not its own (it belongs to uid 4242)") && stderr.contains("remove it"),
        "{stderr}"
    );
    assert_eq!(segments_of_size(4129), vec![victim], "{stderr}");
    assert!(target.symlink_metadata().is_err());
}
