//! The Python programs the guides show, written with the real `sysv_ipc` library, pass every
//! lab: proof that the checker fails only what a lab's contract forbids (`sysv_ipc` attaches
//! on construction, which is a note, not a failure).
//!
//! `sysv_ipc` is not part of Python, and a fresh machine does not have it: where it cannot
//! be imported when the tests are built (`checker/build.rs`), this test is ignored with the
//! reason. `.ci/run` installs it as root (`python3-sysv-ipc`), so CI runs it.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{json_report, outcomes, shmlab, workspace, LABS};

/// Where `python3` on PATH finds `sysv_ipc`, or why it does not.
fn sysv_ipc_module() -> Result<PathBuf, String> {
    let out = Command::new("python3")
        .args(["-c", "import sysv_ipc; print(sysv_ipc.__file__)"])
        .output()
        .map_err(|e| format!("python3 does not run: {e}"))?;
    if !out.status.success() {
        return Err("python3 cannot import sysv_ipc: install it (pip install sysv_ipc)".into());
    }
    Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

/// A python3 every user can reach (programs run as uid 65534 when the test is root).
fn reachable_python() -> PathBuf {
    ["/usr/bin/python3", "/usr/local/bin/python3"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from("python3"))
}

/// The lab's program, from `checker/fixtures/python/sysv_ipc/`, made to find the module in
/// `lib` (a directory every user can read) and run by `python`.
fn program(dir: &Path, lib: &Path, python: &Path, lab: &str) -> PathBuf {
    let source = workspace().join(format!("checker/fixtures/python/sysv_ipc/{lab}.py"));
    let text = std::fs::read_to_string(&source).unwrap();
    let body = text.split_once('\n').map_or("", |(_, rest)| rest);
    let p = dir.join(lab);
    std::fs::write(
        &p,
        format!(
            "#!{}\nimport sys; sys.path.insert(0, {:?})\n{body}",
            python.display(),
            lib.display().to_string()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

#[test]
#[cfg_attr(
    not(shmlab_sysv_ipc),
    ignore = "needs Python's sysv_ipc module (pip install sysv_ipc), which a fresh machine does not have"
)]
fn the_guides_sysv_ipc_programs_pass_every_lab() {
    let module = sysv_ipc_module().unwrap_or_else(|why| panic!("{why}"));
    let dir = tempfile::Builder::new()
        .prefix("shmlab-python-")
        .tempdir()
        .unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let lib = dir.path().join("lib");
    std::fs::create_dir(&lib).unwrap();
    std::fs::set_permissions(&lib, std::fs::Permissions::from_mode(0o755)).unwrap();
    let copy = lib.join(module.file_name().unwrap());
    std::fs::copy(&module, &copy).unwrap();
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)).unwrap();
    let python = reachable_python();
    let mut problems = Vec::new();
    for lab in LABS {
        let p = program(dir.path(), &lib, &python, lab);
        let (code, doc) = json_report(shmlab().args(["check", lab, "--program"]).arg(&p));
        let bad: Vec<(String, String)> = outcomes(&doc)
            .into_iter()
            .filter(|(_, o)| o != "passed" && o != "skipped")
            .collect();
        if code != 0 || !bad.is_empty() {
            problems.push(format!("{lab}: exit {code}, {bad:?}\n{doc:#}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
