//! Where the Rust tools are, the toolchain of a build run as another uid, and whether that
//! uid can reach it.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::BoxError;

/// Why a build of a crate of the kit (`cargo build -p`) could not run at all (a lab that does
/// not compile is that lab's problem, not an error).
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// cargo could not be started.
    #[error(
        "could not run cargo ({0}): it is not in $CARGO, on PATH, nor where this checker was built; if Rust is installed, put cargo on PATH or name it in $CARGO, else install it with rustup; programs already built can be checked with --dir DIR"
    )]
    NoCargo(std::io::Error),
}

/// A tool of the Rust toolchain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    Cargo,
    Rustc,
}

impl Tool {
    fn name(self) -> &'static str {
        match self {
            Tool::Cargo => "cargo",
            Tool::Rustc => "rustc",
        }
    }

    /// The variable that names it (`$CARGO`, `$RUSTC`).
    fn var(self) -> &'static str {
        match self {
            Tool::Cargo => "CARGO",
            Tool::Rustc => "RUSTC",
        }
    }
}

/// The toolchain's `bin` directory this checker was built with: cargo tells the crates it
/// builds its own path (`CARGO`), the toolchain's binary itself, not rustup's proxy.
fn built_with() -> Option<&'static Path> {
    option_env!("CARGO").map(Path::new).and_then(Path::parent)
}

/// Whether `name` is an executable file in a directory of `$PATH`.
fn on_path(name: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| {
            std::fs::metadata(dir.join(name))
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
    })
}

/// The tool to run: the one `$CARGO` or `$RUSTC` names; else the one on `PATH`; else the one
/// of the toolchain this checker was built with, which is where it was when the checker was
/// built (`sudo` resets `PATH` to a `secure_path` without `~/.cargo/bin`; a grading image's
/// `PATH` may not have it either); else the bare name, which then fails to start and is
/// reported as missing.
pub fn locate(tool: Tool) -> OsString {
    if let Some(v) = std::env::var_os(tool.var()).filter(|v| !v.is_empty()) {
        return v;
    }
    if on_path(tool.name()) {
        return tool.name().into();
    }
    if let Some(p) = built_with()
        .map(|d| d.join(tool.name()))
        .filter(|p| p.is_file())
    {
        return p.into_os_string();
    }
    tool.name().into()
}

/// A `cargo` command, found by [`locate`]; when cargo is not the one on `PATH`, its `rustc`
/// (which cargo looks for on `PATH`) is named in `$RUSTC`.
pub fn cargo_command() -> Command {
    let cargo = locate(Tool::Cargo);
    let mut cmd = Command::new(&cargo);
    if std::env::var_os("RUSTC").is_none() && !on_path("rustc") {
        cmd.env("RUSTC", locate(Tool::Rustc));
    }
    cmd
}

/// The Rust toolchain a build as another uid uses: the instructor's, found as root (the
/// sysroot of `$RUSTC`, else `rustc`, asked from the kit's directory so that its
/// `rust-toolchain` file counts), with its crates cache.
pub(super) struct Toolchain {
    pub(super) sysroot: PathBuf,
    pub(super) cargo_home: PathBuf,
}

impl Toolchain {
    pub(super) fn find(kit: &Path) -> Result<Toolchain, BoxError> {
        let rustc = locate(Tool::Rustc);
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
