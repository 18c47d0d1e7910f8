//! One place for what every integration test needs: the checker command with a fixed
//! environment, the built programs, and the filters that make reports reproducible.
#![allow(dead_code)]

pub mod autograder;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use assert_cmd::Command;

pub const LABS: [&str; 9] = [
    "create", "access", "attach", "detach", "remove", "stat", "set", "memo", "share",
];

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// `shmlab` with a fixed environment: no colour, no backtraces, run from the workspace.
pub fn shmlab() -> Command {
    let mut cmd = Command::cargo_bin("shmlab").unwrap();
    cmd.current_dir(workspace())
        .env("NO_COLOR", "1")
        .env_remove("RUST_BACKTRACE")
        .env_remove("SHMLAB_FORBID_NAMESPACES")
        // Never the student's progress file: the tests' own, under cargo's target.
        .env(
            "SHMLAB_STATE",
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("shmlab-state.txt"),
        );
    cmd
}

/// What a test checks: a crate of the workspace, or the pristine starters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Built {
    /// The package of this name.
    Package(&'static str),
    /// The kit's untouched starters (derived from the solutions), built in a workspace of
    /// their own: the tests never read the student's `labs/src/bin`, which a student edits.
    Pristine,
}

/// Builds `what` once per test binary and returns its binaries by name.
pub fn build(what: Built) -> BTreeMap<String, PathBuf> {
    static CACHE: OnceLock<std::sync::Mutex<BTreeMap<Built, BTreeMap<String, PathBuf>>>> =
        OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    cache
        .entry(what)
        .or_insert_with(|| match what {
            Built::Package(package) => {
                let outcome = shmlab_checker::app::cargo_build::build(&workspace(), package, &[])
                    .expect("cargo runs");
                assert!(
                    outcome.errors.is_empty(),
                    "{package} builds: {:?}",
                    outcome.errors
                );
                outcome.executables
            }
            Built::Pristine => shmlab_checker::app::dev::build_pristine(&workspace())
                .expect("the pristine starters build"),
        })
        .clone()
}

/// Builds `package` once per test binary and returns its binaries by name.
pub fn built(package: &'static str) -> BTreeMap<String, PathBuf> {
    build(Built::Package(package))
}

/// Fails the test, with the reason, where it cannot run: for tests marked
/// `#[cfg_attr(not(shmlab_root), ignore = "needs root: ...")]`, which run when the tests
/// were built as root (`checker/build.rs`) and are ignored otherwise. Built as root and run
/// as someone else, they fail here with this explanation.
pub fn require_root() {
    assert!(
        is_root(),
        "this test needs root (it switches to other uids with setpriv, or pins reports taken as root): run it as root, as CI does"
    );
}

/// A directory every user can enter, holding copies of `package`'s lab binaries named after
/// the labs (`prefix` + lab → lab), for `--dir` and for runs as another user.
pub fn lab_dir(package: &'static str, prefix: &str) -> tempfile::TempDir {
    lab_dir_of(Built::Package(package), prefix)
}

/// A student's workspace as a fresh clone has it, of the test's own: the kit's manifest with
/// `labs` as its only member (against the kit's `shm`), the labs' library and the pristine
/// Rust starters (derived from the solutions), never the student's `labs/src/bin`. It builds
/// into its own `target` (two such workspaces sharing one would share binaries: cargo names
/// a path package's build by its place in the workspace, not by its path).
pub fn student_workspace() -> tempfile::TempDir {
    let kit = workspace();
    let ws = tempfile::Builder::new()
        .prefix("shmlab-student-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    let manifest = shmlab_checker::app::cargo_build::kit_manifest(&kit, &kit.join("shm")).unwrap();
    std::fs::write(ws.path().join("Cargo.toml"), manifest).unwrap();
    std::fs::copy(kit.join("Cargo.lock"), ws.path().join("Cargo.lock")).unwrap();
    let labs = ws.path().join("labs");
    std::fs::create_dir_all(labs.join("src/bin")).unwrap();
    std::fs::copy(kit.join("labs/Cargo.toml"), labs.join("Cargo.toml")).unwrap();
    for entry in std::fs::read_dir(kit.join("labs/src")).unwrap() {
        let p = entry.unwrap().path();
        if p.is_file() {
            std::fs::copy(&p, labs.join("src").join(p.file_name().unwrap())).unwrap();
        } else if p.file_name().is_some_and(|n| n != "bin") {
            let to = labs.join("src").join(p.file_name().unwrap());
            std::fs::create_dir_all(&to).unwrap();
            for e in std::fs::read_dir(&p).unwrap() {
                let f = e.unwrap().path();
                std::fs::copy(&f, to.join(f.file_name().unwrap())).unwrap();
            }
        }
    }
    shmlab_checker::app::starters::write_pristine(
        &kit,
        shmlab_checker::plan::Track::Rust,
        &labs.join("src/bin"),
    )
    .unwrap();
    ws
}

/// The pristine C starters (derived from the C solutions, with `labs/c`'s `lab.c`, `lab.h`
/// and Makefile), in a directory of their own under cargo's target.
pub fn pristine_c() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("shmlab-pristine-c-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    shmlab_checker::app::starters::write_pristine(
        &workspace(),
        shmlab_checker::plan::Track::C,
        dir.path(),
    )
    .expect("the pristine C starters are derived");
    dir
}

/// The pristine starters, in a directory named after the labs, for `--dir`.
pub fn pristine_dir() -> tempfile::TempDir {
    lab_dir_of(Built::Pristine, "")
}

/// Like [`lab_dir`], for any build.
pub fn lab_dir_of(what: Built, prefix: &str) -> tempfile::TempDir {
    let bins = build(what);
    let dir = tempfile::Builder::new()
        .prefix("shmlab-test-")
        .tempdir()
        .unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    for lab in LABS {
        let from = &bins[&format!("{prefix}{lab}")];
        let to = dir.path().join(lab);
        std::fs::copy(from, &to).unwrap();
        std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    dir
}

/// A temporary directory every user can read and enter (mode 0755), such as nobody, whom
/// the checker runs programs as when it is root.
pub fn shared_tempdir(prefix: &str) -> tempfile::TempDir {
    let dir = tempfile::Builder::new().prefix(prefix).tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

/// Keeps `dir` until this test process has ended, then removes it: for a directory a
/// `static` holds (statics are never dropped). A shell started now waits for the process to
/// end and removes it.
pub fn removed_at_exit(dir: tempfile::TempDir) -> PathBuf {
    let path = dir.keep();
    // The shell puts the watcher in the background and ends, so that no child of this
    // process is left unwaited.
    let started = std::process::Command::new("sh")
        .arg("-c")
        .arg(r#"(while kill -0 "$0" 2>/dev/null; do sleep 0.2; done; rm -rf -- "$1") </dev/null >/dev/null 2>&1 &"#)
        .arg(std::process::id().to_string())
        .arg(&path)
        .status()
        .expect("sh runs");
    assert!(started.success());
    path
}

/// Copies the labs' library sources under `from` (every folder but `bin`) to `to`.
pub fn copy_library(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap();
        if path.is_dir() {
            if name != "bin" {
                copy_library(&path, &to.join(name));
            }
        } else {
            std::fs::copy(&path, to.join(name)).unwrap();
        }
    }
}

/// Starts `exe ARGS` as `uid` (no groups) and waits until it says "ready" on stdout.
pub fn start_as(uid: u32, exe: &Path, args: &[&str]) -> std::process::Child {
    use std::io::BufRead;
    let mut child = std::process::Command::new("setpriv")
        .args([
            format!("--reuid={uid}"),
            format!("--regid={uid}"),
            "--clear-groups".into(),
        ])
        .arg(exe)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "ready");
    child
}

/// A copy of the `shmlab` binary where every user can run it.
pub fn reachable_checker() -> (tempfile::TempDir, PathBuf) {
    let dir = shared_tempdir("shmlab-bin-");
    let to = dir.path().join("shmlab");
    std::fs::copy(assert_cmd::cargo::cargo_bin("shmlab"), &to).unwrap();
    std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o755)).unwrap();
    (dir, to)
}

/// The checker as an ordinary user: uid 65534 when the test runs as root, else the test's
/// own. Keep the directory while the command runs (it holds the copy of the checker).
pub fn as_user() -> (Option<tempfile::TempDir>, Command) {
    if !is_root() {
        return (None, shmlab());
    }
    let (bin, checker) = reachable_checker();
    let mut cmd = Command::new("setpriv");
    cmd.args(["--reuid", "65534", "--regid", "65534", "--clear-groups"])
        .arg(checker)
        .current_dir("/")
        .env("NO_COLOR", "1");
    (Some(bin), cmd)
}

/// Compiles `checker/fixtures/hostile/<name>.c` into `dir`, with `flags` after the usual
/// ones (`-pthread`, `-DNAME=VALUE`); the program's path.
pub fn compile_hostile(dir: &Path, name: &str, flags: &[&str]) -> PathBuf {
    let exe = dir.join(name);
    let ok = std::process::Command::new("cc")
        .args(["-Wall", "-Wextra", "-O1"])
        .args(flags)
        .arg("-o")
        .arg(&exe)
        .arg(workspace().join(format!("checker/fixtures/hostile/{name}.c")))
        .status()
        .unwrap()
        .success();
    assert!(ok, "{name}.c compiles");
    exe
}

/// Whether this test process is root.
pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// Runs the checker with `--format json` and returns its exit status and document.
pub fn json_report(cmd: &mut Command) -> (i32, serde_json::Value) {
    let out = cmd.args(["--format", "json"]).output().unwrap();
    let code = out.status.code().unwrap_or(-1);
    let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}); status {code}\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, doc)
}

/// The outcome of each scenario in a JSON report, by slug.
pub fn outcomes(doc: &serde_json::Value) -> BTreeMap<String, String> {
    doc["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let name = t["name"].as_str().unwrap();
            let slug = name.split(':').next().unwrap().to_string();
            (
                slug,
                t["extra_data"]["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Filters for human reports: pids, ids, times, paths and random keys become placeholders.
pub fn filters() -> Vec<(&'static str, &'static str)> {
    vec![
        (r"thread 'main' \(\d+\)", "thread 'main' ([PID])"),
        (r"\bpid \d+", "pid [PID]"),
        (r"\b(cpid|lpid) [1-9]\d*", "$1 [PID]"),
        (r"\b(atime|dtime|ctime) \d{9,}", "$1 [TIME]"),
        (r"\(\d{9,}\)", "([TIME])"),
        (r"got \d{9,}", "got [TIME]"),
        (r"/tmp/[^\s/]+", "[TMP]"),
        (r"0x5c[0-9a-f]{6}", "[KEY]"),
        (r"0x[0-9a-f]{9,}", "[ADDR]"),
        (r"\[\d+\] ", "[PID] "),
        (r"= \d{3,}\b", "= [PID]"),
        // The uid of a root checker's programs: one of its own, from 60600..61000.
        (r"\b60[6-9]\d\d\b", "[RUNUID]"),
        // Segment ids in namespace mode: random from 32768 on (`unguessable_next_id`), where
        // a report names them, and where a program printed one (a number and its newline).
        (r"\b(segment|id|shmid) [1-9]\d{4,}\b", "$1 [ID]"),
        (
            r#""(id|shmid|segment_id|value)": [1-9]\d{4,}\b"#,
            r#""$1": "[ID]""#,
        ),
        (r"\b(shmctl|shmat)\([1-9]\d{4,}\b", "$1([ID]"),
        (r"\b[1-9]\d{4,9}(\\+n)", "[ID]$1"),
    ]
}

/// Replaces pids and times in a JSON report by placeholders: `pid`, `cpid`, `lpid` values
/// that are not 0, the actual and expected values of checks on those fields, and times.
pub fn redact_json(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            let field = map.get("field").and_then(Value::as_str).map(str::to_string);
            if matches!(field.as_deref(), Some("cpid" | "lpid")) {
                for k in ["actual", "expected"] {
                    map.insert(k.into(), "[PID]".into());
                }
            }
            for (k, val) in map.iter_mut() {
                match (k.as_str(), &*val) {
                    ("pid" | "cpid" | "lpid", Value::Number(n)) if n.as_i64() != Some(0) => {
                        *val = "[PID]".into()
                    }
                    ("atime" | "dtime" | "ctime", Value::Number(n)) if n.as_i64() != Some(0) => {
                        *val = "[TIME]".into()
                    }
                    ("argv", _) => {
                        if let Some(first) = val.get_mut(0) {
                            *first = "[PROGRAM]".into();
                        }
                    }
                    ("source" | "program", Value::String(_)) => *val = "[PROGRAM]".into(),
                    _ => redact_json(val),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_json),
        _ => {}
    }
}
