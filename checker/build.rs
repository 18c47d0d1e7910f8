//! Decides, when the tests are built, which of them can run here, so that a plain
//! `cargo test` runs every test it can and ignores the others with the reason:
//!
//! - `shmlab_root`: built as root (uid 0). The tests that need root, marked
//!   `#[cfg_attr(not(shmlab_root), ignore = "needs root: ...")]`, then run; built as anyone
//!   else they are ignored, with that reason.
//! - `shmlab_sysv_ipc`: Python's `sysv_ipc` module can be imported (`.ci/run` installs it as
//!   root), for the test that runs the guides' Python programs.
//! - `no_chromium`: Debian's Chromium (`/usr/bin/chromium`) is not installed, so the
//!   screenshot test of the HTML report is ignored with its reason (`.ci/run` installs it).
//!
//! Installing something later: `touch checker/build.rs` (or `cargo clean -p shmlab-checker`)
//! makes cargo look again. Nothing the checker does at run time depends on these: only which
//! tests are ignored.

use std::process::{Command, Stdio};

fn main() {
    println!("cargo::rustc-check-cfg=cfg(shmlab_root)");
    println!("cargo::rustc-check-cfg=cfg(shmlab_sysv_ipc)");
    println!("cargo::rustc-check-cfg=cfg(no_chromium)");
    // Who builds: another user (sudo, su) changes these; the module may come with PYTHONPATH.
    for var in ["USER", "HOME", "SUDO_UID", "PYTHONPATH"] {
        println!("cargo::rerun-if-env-changed={var}");
    }
    println!("cargo::rerun-if-changed=build.rs");
    if is_root() {
        println!("cargo::rustc-cfg=shmlab_root");
    }
    let sysv_ipc = Command::new("python3")
        .args(["-c", "import sysv_ipc"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if sysv_ipc {
        println!("cargo::rustc-cfg=shmlab_sysv_ipc");
    }
    let chromium = std::path::Path::new("/usr/bin/chromium");
    if chromium.exists() {
        println!("cargo::rerun-if-changed=/usr/bin/chromium");
    } else {
        println!("cargo::rustc-cfg=no_chromium");
    }
}

/// Whether the build runs as uid 0 (the real and effective uids, from /proc).
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .is_some_and(|ids| ids.split_whitespace().take(2).all(|id| id == "0"))
    })
}
