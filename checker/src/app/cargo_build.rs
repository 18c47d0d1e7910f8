//! Building the `labs` (or `solutions`) crate, or a project shaped like it, and finding its
//! binaries; builds of untrusted code run under a time limit.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Why the build did not give binaries.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// cargo could not be started.
    #[error(
        "could not run cargo ({0}): if Rust is installed, put cargo on PATH or name it in $CARGO, else install it with rustup; programs already built can be checked with --dir DIR"
    )]
    NoCargo(std::io::Error),
    /// The crate does not compile; cargo printed the errors.
    #[error("the {0} crate does not compile: the compiler's errors are above")]
    DoesNotCompile(String),
}

/// The workspace of the kit: the nearest directory above the current one that has
/// `Cargo.toml` and `labs/Cargo.toml`, else the one this checker was built from.
pub fn find_workspace() -> Option<PathBuf> {
    let here = std::env::current_dir().ok()?;
    let found = here
        .ancestors()
        .find(|d| d.join("Cargo.toml").is_file() && d.join("labs/Cargo.toml").is_file());
    if let Some(d) = found {
        return Some(d.to_path_buf());
    }
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).parent()?;
    built
        .join("labs/Cargo.toml")
        .is_file()
        .then(|| built.to_path_buf())
}

/// Builds `package` in `workspace` and returns its binaries by name. The compiler's
/// messages go to stderr, rendered as usual.
pub fn build(workspace: &Path, package: &str) -> Result<BTreeMap<String, PathBuf>, BuildError> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    // Never a silent wait: the first build takes a while. At a terminal, cargo's own progress
    // shows too.
    eprintln!("shmlab: building the {package} crate (cargo build -p {package}) ...");
    let mut cmd = Command::new(cargo);
    cmd.arg("build");
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        cmd.arg("--quiet");
    }
    let output = cmd
        .args([
            "--package",
            package,
            "--bins",
            "--message-format=json-render-diagnostics",
        ])
        .current_dir(workspace)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(BuildError::NoCargo)?;
    if !output.status.success() {
        return Err(BuildError::DoesNotCompile(package.to_string()));
    }
    Ok(executables(&output.stdout))
}

/// The executables named in cargo's `--message-format=json` output, by target name.
pub fn executables(messages: &[u8]) -> BTreeMap<String, PathBuf> {
    let mut bins = BTreeMap::new();
    for line in messages.split(|b| *b == b'\n') {
        let Ok(msg) = serde_json::from_slice::<serde_json::Value>(line) else {
            continue;
        };
        if msg["reason"] == "compiler-artifact" {
            if let (Some(name), Some(exe)) =
                (msg["target"]["name"].as_str(), msg["executable"].as_str())
            {
                bins.insert(name.to_string(), PathBuf::from(exe));
            }
        }
    }
    bins
}

/// Time allowed to compile one C file.
pub const CC_LIMIT: Duration = Duration::from_secs(60);
/// Time allowed to build one Cargo project.
pub const CARGO_LIMIT: Duration = Duration::from_secs(600);

/// Runs a build command with a time limit; its output goes through files (a build can
/// print a lot). A build still running at the limit is killed with its process group.
pub fn build_within(cmd: &mut Command, limit: Duration) -> std::io::Result<std::process::Output> {
    use std::os::unix::process::CommandExt;
    let out = tempfile::tempfile()?;
    let err = tempfile::tempfile()?;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(err.try_clone()?)
        .process_group(0)
        .spawn()?;
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if started.elapsed() > limit {
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(child.id() as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
            let _ = child.wait();
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("the build did not finish within {} s", limit.as_secs()),
            ));
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let read = |mut f: std::fs::File| -> std::io::Result<Vec<u8>> {
        use std::io::{Read, Seek};
        f.rewind()?;
        let mut v = Vec::new();
        f.read_to_end(&mut v)?;
        Ok(v)
    };
    Ok(std::process::Output {
        status,
        stdout: read(out)?,
        stderr: read(err)?,
    })
}

/// Builds the Cargo project `src`, shaped like `labs/`, against this kit's crates: in a
/// workspace of its own under `work`, with its target directory at `target`, within
/// [`CARGO_LIMIT`]. Returns its binaries by name, or why there are none.
pub fn build_project(
    src: &Path,
    work: &Path,
    target: &Path,
) -> Result<BTreeMap<String, PathBuf>, String> {
    let Some(kit) = find_workspace() else {
        return Err("a Cargo submission needs the shmlab workspace to build against: run grade inside the repository".into());
    };
    let manifest = std::fs::read_to_string(kit.join("Cargo.toml"))
        .map_err(|e| format!("cannot read the kit's Cargo.toml: {e}"))?;
    // The kit's workspace manifest, with the student's crate as its only member and the
    // kit's own crates by absolute path.
    let shm_path = kit.join("shm").display().to_string();
    let manifest: String = manifest
        .lines()
        .map(|l| {
            if l.starts_with("members") {
                "members = [\"labs\"]".to_string()
            } else if l.starts_with("default-members") {
                String::new()
            } else if l.starts_with("shm = ") {
                format!("shm = {{ path = {shm_path:?} }}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let copy = || -> std::io::Result<()> {
        let _ = std::fs::remove_dir_all(work);
        std::fs::create_dir_all(work.join("labs"))?;
        copy_tree(src, &work.join("labs"))?;
        std::fs::write(work.join("Cargo.toml"), manifest)?;
        if kit.join("Cargo.lock").is_file() {
            std::fs::copy(kit.join("Cargo.lock"), work.join("Cargo.lock"))?;
        }
        Ok(())
    };
    copy().map_err(|e| format!("the project could not be copied for building: {e}"))?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = build_within(
        Command::new(cargo)
            .args([
                "build",
                "--quiet",
                "--bins",
                "--message-format=json-render-diagnostics",
            ])
            .current_dir(work)
            .env("CARGO_TARGET_DIR", target),
        CARGO_LIMIT,
    )
    .map_err(|e| format!("the project could not be built: {e}"))?;
    if !out.status.success() {
        let errors = first_lines(&String::from_utf8_lossy(&out.stderr), 12);
        return Err(format!("the project does not compile:\n{errors}"));
    }
    Ok(executables(&out.stdout))
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if name == "target" || name.to_string_lossy().starts_with('.') {
            continue;
        }
        let (src, dest) = (entry.path(), to.join(&name));
        if entry.file_type()?.is_dir() {
            std::fs::create_dir_all(&dest)?;
            copy_tree(&src, &dest)?;
        } else {
            std::fs::copy(&src, &dest)?;
        }
    }
    Ok(())
}

/// The first `n` non-blank lines of `text`.
pub fn first_lines(text: &str, n: usize) -> String {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .take(n)
        .collect::<Vec<_>>()
        .join("\n")
}
