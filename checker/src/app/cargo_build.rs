//! Building the `labs` (or `solutions`) crate, or a project shaped like it, and finding its
//! binaries. Builds of a student's project run in a [`BuildBox`]: a copy that follows no
//! link, as an unprivileged uid when the checker is root, under limits and a time limit.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::cargo_messages::{outcome, rendered, Outcome};
use crate::model::Lab;
use crate::report::neutral::neutral_lines;
use crate::run::build::{BoxError, BuildBox, Builder, Skipped};

pub use crate::run::build::toolchain::BuildError;

/// The workspace of the kit: the nearest directory above the current one that has
/// `Cargo.toml` and `labs/Cargo.toml`, else the one this checker was built from (which it
/// then says on stderr, once).
pub fn find_workspace() -> Option<PathBuf> {
    let here = std::env::current_dir().ok()?;
    let found = here
        .ancestors()
        .find(|d| d.join("Cargo.toml").is_file() && d.join("labs/Cargo.toml").is_file());
    if let Some(d) = found {
        return Some(d.to_path_buf());
    }
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).parent()?;
    let found = built
        .join("labs/Cargo.toml")
        .is_file()
        .then(|| built.to_path_buf());
    if let Some(ws) = &found {
        // Run from outside any checkout: say which one is checked, once.
        static SAID: std::sync::Once = std::sync::Once::new();
        SAID.call_once(|| {
            eprintln!(
                "shmlab: not inside a checkout of the kit, so using {}, the one this shmlab was built from",
                ws.display()
            );
        });
    }
    found
}

/// Builds the binaries `bins` of `package` in `workspace` (every one when `bins` is empty),
/// each on its own: with
/// `--keep-going`, a binary that does not compile keeps no other from being built. The
/// compiler's messages go to stderr as they come, rendered as usual; the outcome says which
/// binaries were built and the first error of each that was not.
pub fn build(workspace: &Path, package: &str, bins: &[String]) -> Result<Outcome, BuildError> {
    use std::io::{BufRead, IsTerminal, Write};
    let terminal = std::io::stderr().is_terminal();
    // Never a silent wait: the first build takes a while. At a terminal, cargo's own progress
    // shows too.
    let which = match bins {
        [] => "every program".to_string(),
        [one] => format!("--bin {one}"),
        more => format!("{} programs", more.len()),
    };
    eprintln!("shmlab: building {package} ({which}) ...");
    // Where cargo is, also when PATH lacks it (sudo's secure_path, a grading image).
    let mut cmd = crate::run::build::toolchain::cargo_command();
    cmd.arg("build");
    if !terminal {
        cmd.arg("--quiet");
    }
    let format = if terminal {
        "--message-format=json-diagnostic-rendered-ansi"
    } else {
        "--message-format=json"
    };
    cmd.args(["--package", package, "--keep-going", format]);
    if bins.is_empty() {
        cmd.arg("--bins");
    }
    for b in bins {
        cmd.args(["--bin", b]);
    }
    // The compiler's messages quote the student's code (a `compile_error!`, a line of
    // Cargo.toml, a build script's output), so in a log they are shown neutral: a CI reading
    // that log must not take a line of theirs for a command (`##[error]`, `::error::`). At a
    // terminal, the person's own code, in the compiler's colours.
    let mut child = cmd
        .current_dir(workspace)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(if terminal {
            Stdio::inherit()
        } else {
            Stdio::piped()
        })
        .spawn()
        .map_err(BuildError::NoCargo)?;
    let cargo_says = child.stderr.take().map(|from| {
        std::thread::spawn(move || {
            let mut stderr = std::io::stderr();
            for line in std::io::BufReader::new(from).split(b'\n') {
                let Ok(line) = line else { break };
                let _ = writeln!(stderr, "{}", neutral_lines(&line));
            }
        })
    });
    let mut messages = Vec::new();
    if let Some(stdout) = child.stdout.take() {
        let mut stderr = std::io::stderr();
        for line in std::io::BufReader::new(stdout).split(b'\n') {
            let Ok(line) = line else { break };
            if let Some(text) = rendered(&line) {
                let shown = if terminal { text } else { neutral_lines(&text) };
                let _ = stderr.write_all(shown.as_bytes());
            }
            messages.extend_from_slice(&line);
            messages.push(b'\n');
        }
    }
    if let Some(said) = cargo_says {
        let _ = said.join();
    }
    child.wait().map_err(BuildError::NoCargo)?;
    Ok(outcome(&messages))
}

/// The executables named in cargo's `--message-format=json` output, by target name.
pub fn executables(messages: &[u8]) -> BTreeMap<String, PathBuf> {
    outcome(messages).executables
}

/// Lines of a compiler's errors a report keeps.
pub const COMPILER_LINES: usize = 40;

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

/// The kit's workspace manifest, with `labs` as its only member and the kit's `shm` crate
/// at `shm` (a path from the workspace's root, or an absolute one).
pub fn kit_manifest(kit: &Path, shm: &Path) -> Result<String, String> {
    kit_manifest_for(kit, shm, "labs")
}

/// Like [`kit_manifest`], with `member` as the only member's directory.
fn kit_manifest_for(kit: &Path, shm: &Path, member: &str) -> Result<String, String> {
    let manifest = std::fs::read_to_string(kit.join("Cargo.toml"))
        .map_err(|e| format!("cannot read the kit's Cargo.toml: {e}"))?;
    let shm = shm.display().to_string();
    Ok(manifest
        .lines()
        .map(|l| {
            if l.starts_with("members") {
                format!("members = [{member:?}]")
            } else if l.starts_with("default-members") {
                String::new()
            } else if l.starts_with("shm = ") {
                format!("shm = {{ path = {shm:?} }}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n"))
}

/// Builds the Cargo project `src`, shaped like `labs/`, against this kit's crates: a copy
/// of it (made by [`BuildBox::copy_in`], which follows no link) as the only member of a
/// workspace of its own in `bx`, within [`CARGO_LIMIT`]. Each binary is built on its own
/// (`--keep-going`): returns those built and the first error of each that was not, or why
/// none was built.
fn build_in(bx: &mut BuildBox, src: &Path, shared_target: &Path) -> Result<Outcome, String> {
    let Some(kit) = find_workspace() else {
        return Err("a Cargo submission needs the shmlab workspace to build against: run grade inside the repository".into());
    };
    // Another uid may not reach the kit (under /root): it gets a copy of the shm crate. The
    // checker's own user builds against the kit's, which its shared target caches.
    let shm_path = match bx.builder() {
        Builder::Checker => kit.join("shm"),
        Builder::Unprivileged { .. } => PathBuf::from("shm"),
    };
    // The member's directory is this build's own: cargo names a workspace member's build by
    // its path in the workspace, so two students' `labs` in one shared target would be the
    // same package, and one could be handed the other's binaries.
    static BUILDS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let member = format!(
        "labs-{}-{}",
        std::process::id(),
        BUILDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let manifest = kit_manifest_for(&kit, &shm_path, &member)?;
    // The labs' manifest names each lab's binary (`test = false`): a lab whose file the project
    // does not have gets a placeholder, so that the others build, and is then left out.
    let mut placeholders = Vec::new();
    let mut copy = |bx: &mut BuildBox| -> Result<PathBuf, BoxError> {
        let ws = bx.dir(Path::new("ws"))?;
        let labs = Path::new("ws").join(&member);
        bx.copy_in(src, &labs)?;
        let bin = labs.join("src/bin");
        if bx.path().join(&labs).join("src").is_dir() && !bx.path().join(&bin).exists() {
            bx.dir(&bin)?;
        }
        for lab in Lab::ALL {
            let file = bin.join(format!("{lab}.rs"));
            let dir = bx.path().join(&bin).join(lab.name());
            if bx.path().join(&bin).is_dir() && !bx.path().join(&file).exists() && !dir.exists() {
                bx.write(&file, b"fn main() {}\n")?;
                placeholders.push(lab.name().to_string());
            }
        }
        if shm_path.is_relative() {
            bx.copy_in(&kit.join("shm"), Path::new("ws/shm"))?;
        }
        bx.write(Path::new("ws/Cargo.toml"), manifest.as_bytes())?;
        if let Ok(lock) = std::fs::read(kit.join("Cargo.lock")) {
            bx.write(Path::new("ws/Cargo.lock"), &lock)?;
        }
        Ok(ws)
    };
    let ws = copy(bx).map_err(|e| format!("the project could not be copied for building: {e}"))?;
    let mut cmd = bx
        .cargo(&kit, shared_target, CARGO_LIMIT)
        .map_err(|e| format!("the project could not be built: {e}"))?;
    cmd.args([
        "build",
        "--quiet",
        "--bins",
        "--keep-going",
        "--message-format=json",
        "--manifest-path",
    ])
    .arg(ws.join("Cargo.toml"));
    let out = build_within(&mut cmd, CARGO_LIMIT).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!(
            "the project could not be built: cargo could not be run ({e}): the grader's Rust toolchain is missing, which is not your fault; tell your instructor"
        ),
        _ => format!("the project could not be built: {e}"),
    })?;
    let mut built = outcome(&out.stdout);
    built
        .executables
        .retain(|name, _| !placeholders.contains(name));
    // The compiler names files by the member's directory: said as `labs/`, as the kit has it.
    let said = |text: &str| text.replace(&format!("{member}/"), "labs/");
    for e in built.errors.values_mut() {
        e.file = said(&e.file);
        e.rendered = e.rendered.as_deref().map(said);
    }
    built.rendered_errors = said(&built.rendered_errors);
    if !out.status.success() && built.executables.is_empty() {
        // Nothing built: the compiler's errors, else cargo's own (a manifest it refused).
        let errors = if built.rendered_errors.is_empty() {
            String::from_utf8_lossy(&out.stderr).into_owned()
        } else {
            built.rendered_errors.clone()
        };
        return Err(format!(
            "the project does not compile:\n{}{}",
            first_lines(&errors, 12),
            not_copied(bx.skipped())
        ));
    }
    Ok(built)
}

/// What a copy left out, as a line to add to a build's errors (empty when nothing).
pub fn not_copied(skipped: &[Skipped]) -> String {
    if skipped.is_empty() {
        return String::new();
    }
    let list: Vec<String> = skipped.iter().map(Skipped::to_string).collect();
    format!("\nnot copied from the submission: {}", list.join(", "))
}

/// Builds the kit's own project `src` (the pristine starters of `dev check`: code the kit
/// trusts) as the checker's user, into `target`. Returns its binaries by name.
pub fn build_project(src: &Path, target: &Path) -> Result<BTreeMap<String, PathBuf>, String> {
    let mut bx = BuildBox::new(Builder::Checker)
        .map_err(|e| format!("the project could not be copied for building: {e}"))?;
    build_in(&mut bx, src, target).map(|o| o.executables)
}

/// Builds a student's Cargo project `src` as a student ([`BuildBox::for_student`]) and copies
/// the binaries `wanted` names into `into`. The checker's own user builds into
/// `shared_target`, shared by every student; another uid builds in a directory of its own,
/// removed afterwards. Returns, by name, each binary copied (or why it could not be), and
/// each that did not compile with its file and first error; `Err` when nothing was built.
pub fn build_submission(
    src: &Path,
    shared_target: &Path,
    into: &Path,
    wanted: &dyn Fn(&str) -> bool,
) -> Result<BTreeMap<String, Result<(), String>>, String> {
    let mut bx = BuildBox::for_student()
        .map_err(|e| format!("the project could not be copied for building: {e}"))?;
    // Builds into the shared target are one at a time until their binaries are copied out:
    // the next one writes the same names in `target/debug`.
    static SHARED: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = matches!(bx.builder(), Builder::Checker)
        .then(|| SHARED.lock().unwrap_or_else(|e| e.into_inner()));
    let built = build_in(&mut bx, src, shared_target)?;
    let mut out: BTreeMap<String, Result<(), String>> = built
        .executables
        .iter()
        .filter(|(name, _)| wanted(name))
        .map(|(name, exe)| {
            let copied = bx
                .copy_out(exe, &into.join(name))
                .map_err(|e| e.to_string());
            (name.clone(), copied)
        })
        .collect();
    for (name, e) in built.errors.iter().filter(|(name, _)| wanted(name)) {
        out.insert(
            name.clone(),
            Err(format!("{} does not compile: {}", e.file, e.text)),
        );
    }
    Ok(out)
}

/// The first `n` non-blank lines of `text`.
pub fn first_lines(text: &str, n: usize) -> String {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .take(n)
        .collect::<Vec<_>>()
        .join("\n")
}
