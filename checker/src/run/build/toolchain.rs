//! The Rust toolchain of a build run as another uid, and whether that uid can reach it.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::BoxError;

/// The Rust toolchain a build as another uid uses: the instructor's, found as root (the
/// sysroot of `$RUSTC`, else `rustc`, asked from the kit's directory so that its
/// `rust-toolchain` file counts), with its crates cache.
pub(super) struct Toolchain {
    pub(super) sysroot: PathBuf,
    pub(super) cargo_home: PathBuf,
}

impl Toolchain {
    pub(super) fn find(kit: &Path) -> Result<Toolchain, BoxError> {
        let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
        let out = Command::new(&rustc)
            .args(["--print", "sysroot"])
            .current_dir(kit)
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .map_err(|e| BoxError::NoToolchain(format!("{} --print sysroot: {e}", show(&rustc))))?;
        let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if !out.status.success() || text.is_empty() {
            return Err(BoxError::NoToolchain(format!(
                "{} --print sysroot failed",
                show(&rustc)
            )));
        }
        let sysroot = PathBuf::from(text);
        for tool in ["cargo", "rustc"] {
            if !sysroot.join("bin").join(tool).is_file() {
                return Err(BoxError::NoToolchain(format!(
                    "no {tool} in {}",
                    sysroot.join("bin").display()
                )));
            }
        }
        let cargo_home = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))
            .unwrap_or_else(|| PathBuf::from("/root/.cargo"));
        Ok(Toolchain {
            sysroot,
            cargo_home,
        })
    }
}

fn show(s: &OsString) -> String {
    s.to_string_lossy().into_owned()
}

/// Whether `uid` can execute each of `paths` (checked by a shell run as that uid).
pub(super) fn reachable_by(uid: u32, gid: u32, paths: &[PathBuf]) -> bool {
    paths.iter().all(|p| {
        Command::new("/bin/sh")
            .args(["-c", "test -x \"$1\"", "sh"])
            .arg(p)
            .uid(uid)
            .gid(gid)
            .env_clear()
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}
