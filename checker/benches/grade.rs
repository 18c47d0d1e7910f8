//! `cargo bench -p shmlab-checker --bench grade`: batch grading speed.
//!
//! Grades 40 generated submissions (the reference solutions, as executables) with
//! `--jobs 1` and `--jobs 2`, and prints submissions per second and the speed-up (target:
//! 1.8x or better on 2 cores). Then the checker's own cost per scenario: the time to check
//! one submission, less the time its programs take when run bare with the same arguments,
//! divided by the scenarios (target: under 2 ms). It prints figures; it asserts nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use shmlab_checker::app::starters::write_c_solutions;
use shmlab_checker::model::Lab;

const SUBMISSIONS: usize = 40;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn shmlab() -> PathBuf {
    // cargo bench builds the benchmark; the checker binary is built by the same command.
    let exe = std::env::current_exe().unwrap();
    let release = exe.parent().unwrap().parent().unwrap();
    release.join("shmlab")
}

fn solutions() -> Vec<(String, PathBuf)> {
    let status = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args([
            "build",
            "--quiet",
            "--release",
            "-p",
            "shmlab-solutions",
            "-p",
            "shmlab-checker",
        ])
        .current_dir(workspace())
        .status()
        .unwrap();
    assert!(status.success());
    let dir = workspace().join("target/release");
    shmlab_checker::model::Lab::ALL
        .iter()
        .map(|l| (l.name().to_string(), dir.join(format!("solution-{l}"))))
        .collect()
}

fn grade(class: &Path, jobs: usize, extra: &[&str]) -> Duration {
    let out = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let status = Command::new(shmlab())
        .args(["grade", "--jobs", &jobs.to_string(), "--out"])
        .arg(out.path())
        .args(extra)
        .arg(class)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    t.elapsed()
}

/// The arguments the checker gives each lab's program, one per run, with the standard
/// input it gives it (from a report).
fn invocations(report: &serde_json::Value) -> Vec<(Vec<String>, Option<String>)> {
    let mut out = Vec::new();
    for t in report["tests"].as_array().unwrap() {
        for run in t["extra_data"]["runs"].as_array().into_iter().flatten() {
            let argv = run["argv"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap().to_string())
                .collect();
            out.push((argv, run["stdin"].as_str().map(str::to_string)));
        }
    }
    out
}

fn main() {
    let bins = solutions();
    let class = tempfile::tempdir().unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(class.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    for i in 0..SUBMISSIONS {
        let dir = class.path().join(format!("student{i:02}"));
        std::fs::create_dir(&dir).unwrap();
        for (lab, exe) in &bins {
            std::fs::copy(exe, dir.join(lab)).unwrap();
        }
    }
    println!(
        "batch grading of {SUBMISSIONS} submissions ({} labs, {} scenarios each)",
        shmlab_checker::model::Lab::ALL.len(),
        shmlab_checker::catalogue::all().len()
    );
    for (label, extra) in [("traced", &[][..]), ("--no-trace", &["--no-trace"][..])] {
        let one = grade(class.path(), 1, extra);
        let two = grade(class.path(), 2, extra);
        let rate = |d: Duration| SUBMISSIONS as f64 / d.as_secs_f64();
        println!(
            "{label:<11} --jobs 1: {:>6.2} s ({:>5.1}/s)   --jobs 2: {:>6.2} s ({:>5.1}/s)   speed-up {:.2}x",
            one.as_secs_f64(),
            rate(one),
            two.as_secs_f64(),
            rate(two),
            one.as_secs_f64() / two.as_secs_f64()
        );
    }

    // The same class handed in as C sources (the C track's solutions with their lab.c and
    // lab.h): most of the time is compiling, which runs under --jobs too.
    let c_class = tempfile::tempdir().unwrap();
    std::fs::set_permissions(c_class.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    for i in 0..SUBMISSIONS {
        let dir = c_class.path().join(format!("student{i:02}"));
        std::fs::create_dir(&dir).unwrap();
        write_c_solutions(&workspace(), &dir, &Lab::ALL).unwrap();
    }
    let one = grade(c_class.path(), 1, &["--no-trace"]);
    let two = grade(c_class.path(), 2, &["--no-trace"]);
    println!(
        "C sources, --no-trace --jobs 1: {:>6.2} s   --jobs 2: {:>6.2} s   speed-up {:.2}x (target 1.8x on 2 cores)",
        one.as_secs_f64(),
        two.as_secs_f64(),
        one.as_secs_f64() / two.as_secs_f64()
    );

    // The checker's own cost per scenario, on one submission.
    let dir = class.path().join("student00");
    let t = Instant::now();
    let report = Command::new(shmlab())
        .args(["check", "--format", "json", "--no-trace", "--dir"])
        .arg(&dir)
        .output()
        .unwrap();
    let checked = t.elapsed();
    let doc: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    let scenarios = doc["tests"].as_array().unwrap().len();
    let runs = invocations(&doc);
    // The same programs with the same arguments, bare (their failures are expected: no
    // segment exists outside the checker's setup).
    // In an IPC namespace of their own where the machine allows it, so that what they make
    // (memo's segment) vanishes with it; else the segments they created are removed after.
    let isolated = nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWIPC).is_ok();
    let mut pids = Vec::new();
    let t = Instant::now();
    for (argv, stdin) in &runs {
        let mut cmd = Command::new(dir.join(&argv[0]));
        cmd.args(&argv[1..])
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let Ok(mut child) = cmd.spawn() else { continue };
        pids.push(child.id() as i32);
        if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
            use std::io::Write;
            let _ = pipe.write_all(text.as_bytes());
        }
        let _ = child.wait();
    }
    let bare = t.elapsed();
    if !isolated {
        for (id, st) in shm::list_segments().unwrap_or_default() {
            if pids.contains(&st.cpid()) {
                let _ = shm::shmctl(id, shm::ShmctlCmd::IpcRmid);
            }
        }
    }
    let per = (checked.as_secs_f64() - bare.as_secs_f64()) / scenarios as f64;
    println!(
        "one submission, not traced: {:.1} ms for {scenarios} scenarios; its {} program runs bare: {:.1} ms; the checker's own cost: {:.2} ms per scenario",
        checked.as_secs_f64() * 1e3,
        runs.len(),
        bare.as_secs_f64() * 1e3,
        per * 1e3
    );
}
