//! `cargo bench -p shmlab-checker --bench fairness`: do correct students get full marks
//! whatever else runs on the machine?
//!
//! Grades a class of 10 correct students (the C track's reference solutions, as sources)
//! and one whose share program is a thread bomb (starts as many threads as it may and holds
//! them), 10 times with `--jobs 2`. As root, another uid-65534 process holds 80 threads the
//! whole time too (the user programs ran as before each checker had a uid of its own). It
//! prints, for each round, how many of the 10 got full marks and the lowest score; goal: 10
//! of 10 every time. It prints figures; it asserts nothing.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

const STUDENTS: usize = 10;
const ROUNDS: usize = 10;

mod common;

use common::{release_shmlab as shmlab, workspace};
use shmlab_checker::app::starters::write_c_solutions;
use shmlab_checker::model::Lab;

fn open_dir(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn main() {
    let shmlab = shmlab();
    let class = tempfile::Builder::new()
        .prefix("shmlab-fair-")
        .tempdir()
        .unwrap();
    open_dir(class.path());
    for i in 0..STUDENTS {
        let dir = class.path().join(format!("student{i:02}"));
        std::fs::create_dir(&dir).unwrap();
        write_c_solutions(&workspace(), &dir, &Lab::ALL).unwrap();
    }
    let bomb = class.path().join("zz-bomb");
    std::fs::create_dir(&bomb).unwrap();
    let holder = class.path().join("hold_threads");
    let ok = Command::new("cc")
        .args(["-O2", "-pthread", "-o"])
        .arg(&holder)
        .arg(workspace().join("checker/fixtures/hostile/hold_threads.c"))
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "cc could not compile hold_threads.c");
    // The bomb's share program (the lab that forks) holds as many threads as it may for 2 s
    // each run; its other labs are missing.
    {
        let script = bomb.join("share");
        std::fs::write(
            &script,
            format!("#!/bin/sh\nexec {} 500 2\n", holder.display()),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let root = nix::unistd::geteuid().is_root();
    let mut nobody = root.then(|| {
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&holder)
            .args(["80", "3600"])
            .stdout(Stdio::null())
            .spawn()
            .ok()
    });
    println!(
        "{STUDENTS} correct students and a thread bomb, graded {ROUNDS} times (--jobs 2){}",
        if root {
            ", next to a uid-65534 process holding 80 threads"
        } else {
            " (not root: programs run as you, and the process limit counts your every process)"
        }
    );
    let mut perfect_rounds = 0;
    for round in 1..=ROUNDS {
        let out = tempfile::tempdir().unwrap();
        let t = Instant::now();
        let _ = Command::new(&shmlab)
            .args(["grade", "--jobs", "2", "--out"])
            .arg(out.path())
            .arg(class.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let (mut full, mut lowest, mut max) = (0, f64::MAX, 0.0);
        for i in 0..STUDENTS {
            let report = out.path().join(format!("student{i:02}.json"));
            let doc: serde_json::Value = std::fs::read(&report)
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok())
                .unwrap_or_default();
            let (score, of) = (
                doc["score"].as_f64().unwrap_or(0.0),
                doc["max_score"].as_f64().unwrap_or(0.0),
            );
            if of > 0.0 && score == of {
                full += 1;
            }
            lowest = lowest.min(score);
            max = f64::max(max, of);
        }
        if full == STUDENTS {
            perfect_rounds += 1;
        }
        println!(
            "round {round:>2}: {full:>2}/{STUDENTS} full marks, lowest {lowest}/{max}, {:.1} s",
            t.elapsed().as_secs_f64()
        );
    }
    println!("{perfect_rounds}/{ROUNDS} rounds with every correct student at full marks");
    if let Some(Some(mut child)) = nobody.take() {
        let _ = child.kill();
        let _ = child.wait();
    }
}
