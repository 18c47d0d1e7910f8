//! `cargo bench -p shmlab-checker --bench bounds`: what a program that never pauses costs
//! the checker, measured through the command a user runs (the release `shmlab`).
//!
//! Two create-lab programs: one that polls `shmctl(IPC_STAT)` without pause and never ends
//! (`poll_stat.c`), and one that attaches and detaches its segment 50 000 times
//! (`attach_pairs.c`), both in `checker/fixtures/hostile/`. Each
//! is checked traced and untraced (`check create/default-mode`), and `shmlab trace` runs the
//! pairs program. For each it prints the wall time against the timeout (poll) or the bare
//! run (pairs), and the checker's peak RSS (the largest of its processes, the runner
//! included). Goals: within the timeout + 0.5 s; within 2x of bare for `trace`; under 64 MB.
//! For scale it also times strace tracing the same two calls, where strace is installed.
//! It prints figures; it asserts nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::resource::{getrusage, UsageWho};

const RUNS: usize = 5;

mod common;

use common::{release_shmlab as shmlab, workspace};

fn compile(dir: &Path, name: &str) -> PathBuf {
    let exe = dir.join(name);
    let ok = Command::new("cc")
        .args(["-O2", "-o"])
        .arg(&exe)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("fixtures/hostile/{name}.c")))
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "cc could not compile {name}.c");
    exe
}

/// Runs `cmd` from a fresh copy of this bench (so that the peak RSS is this command's
/// alone); returns the wall time and the peak RSS of its largest process, in KiB.
fn measure(cmd: &[&std::ffi::OsStr]) -> (Duration, i64) {
    let out = Command::new(std::env::current_exe().unwrap())
        .arg("--measure")
        .args(cmd)
        .stderr(Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let mut words = text.split_whitespace();
    let micros: u64 = words.next().and_then(|w| w.parse().ok()).unwrap_or(0);
    let rss: i64 = words.next().and_then(|w| w.parse().ok()).unwrap_or(0);
    (Duration::from_micros(micros), rss)
}

/// In the fresh copy: runs the command, prints its wall time (µs) and peak RSS (KiB).
fn measured(cmd: &[String]) {
    let t = Instant::now();
    let _ = Command::new(&cmd[0])
        .args(&cmd[1..])
        .current_dir(workspace())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let elapsed = t.elapsed();
    let rss = getrusage(UsageWho::RUSAGE_CHILDREN).map_or(0, |u| u.max_rss());
    println!("{} {rss}", elapsed.as_micros());
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--measure") {
        return measured(&args[i + 1..]);
    }
    let shmlab = shmlab();
    let dir = tempfile::Builder::new()
        .prefix("shmlab-bench-")
        .tempdir()
        .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let (poll, pairs) = (
        compile(dir.path(), "poll_stat"),
        compile(dir.path(), "attach_pairs"),
    );
    let check = |exe: &Path, extra: &[&str]| -> Vec<std::ffi::OsString> {
        let mut v: Vec<std::ffi::OsString> = vec![
            shmlab.clone().into(),
            "check".into(),
            "create/default-mode".into(),
            "--program".into(),
            exe.into(),
        ];
        v.extend(extra.iter().map(|s| (*s).into()));
        v
    };
    let timeout = 2;
    println!("{RUNS} runs each; wall time (median), peak RSS of the checker (largest)");
    println!("\npolling IPC_STAT without pause, --timeout {timeout} (goal: within {timeout}.5 s, under 64 MB)");
    for (name, extra) in [("traced", vec![]), ("untraced", vec!["--no-trace"])] {
        let mut extra = extra;
        extra.extend(["--timeout", "2"]);
        let cmd = check(&poll, &extra);
        let refs: Vec<&std::ffi::OsStr> = cmd.iter().map(|s| s.as_os_str()).collect();
        let (times, rss): (Vec<_>, Vec<_>) = (0..RUNS).map(|_| measure(&refs)).unzip();
        println!(
            "  check, {name:<9} {:>7.2} s  {:>6.1} MB",
            median(times).as_secs_f64(),
            *rss.iter().max().unwrap() as f64 / 1024.0
        );
    }
    println!("\n50 000 shmat/shmdt pairs (goal: trace within 2x of bare, under 64 MB)");
    let bare: Vec<std::ffi::OsString> =
        vec![pairs.clone().into(), "0x5eed00ff".into(), "4096".into()];
    let trace: Vec<std::ffi::OsString> = [shmlab.clone().into(), "trace".into(), "--".into()]
        .into_iter()
        .chain(bare.iter().cloned())
        .collect();
    let bare_time = {
        let refs: Vec<&std::ffi::OsStr> = bare.iter().map(|s| s.as_os_str()).collect();
        let times: Vec<Duration> = (0..RUNS).map(|_| measure(&refs).0).collect();
        let t = median(times);
        println!("  bare              {:>7.3} s", t.as_secs_f64());
        // The bare run leaves its segment in the machine's namespace: remove it.
        if let Ok(id) = shm::shmget(shm::Key::new(0x5eed00ff), 0, shm::IpcFlags::empty()) {
            let _ = shm::shmctl(id, shm::ShmctlCmd::IpcRmid);
        }
        t
    };
    for (name, cmd) in [
        ("trace", trace),
        ("check, traced", check(&pairs, &[])),
        ("check, untraced", check(&pairs, &["--no-trace"])),
    ] {
        let refs: Vec<&std::ffi::OsStr> = cmd.iter().map(|s| s.as_os_str()).collect();
        let (times, rss): (Vec<_>, Vec<_>) = (0..RUNS).map(|_| measure(&refs)).unzip();
        let t = median(times);
        println!(
            "  {name:<17} {:>7.3} s  {:>5.1}x bare  {:>6.1} MB",
            t.as_secs_f64(),
            t.as_secs_f64() / bare_time.as_secs_f64(),
            *rss.iter().max().unwrap() as f64 / 1024.0
        );
    }
    // For scale: the least a ptrace tracer of these two calls costs, as strace does it
    // (seccomp stops, and a stop at each call's end); `trace` stops once per call.
    let strace: Vec<std::ffi::OsString> = [
        "strace",
        "-f",
        "-qq",
        "--seccomp-bpf",
        "-e",
        "trace=shmat,shmdt",
        "-o",
        "/dev/null",
    ]
    .into_iter()
    .map(Into::into)
    .chain(bare.iter().cloned())
    .collect();
    if Command::new("strace").arg("-V").output().is_ok() {
        let refs: Vec<&std::ffi::OsStr> = strace.iter().map(|s| s.as_os_str()).collect();
        let times: Vec<Duration> = (0..RUNS).map(|_| measure(&refs).0).collect();
        let t = median(times);
        println!(
            "  (strace, for scale {:>7.3} s  {:>5.1}x bare)",
            t.as_secs_f64(),
            t.as_secs_f64() / bare_time.as_secs_f64()
        );
        if let Ok(id) = shm::shmget(shm::Key::new(0x5eed00ff), 0, shm::IpcFlags::empty()) {
            let _ = shm::shmctl(id, shm::ShmctlCmd::IpcRmid);
        }
    } else {
        println!("  (strace is not installed: no line for scale)");
    }
}
