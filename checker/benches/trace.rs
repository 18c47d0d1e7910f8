//! `cargo bench -p shmlab-checker --bench trace`: what tracing costs.
//!
//! Runs one program (100 000 `getppid` system calls and five shm calls) bare, through the
//! checker without tracing, under the checker's tracer (seccomp stops only at shm calls),
//! and under `strace -f -e trace=%ipc` when strace is installed, and prints the median and
//! fastest wall time of each with the ratio to bare. The variants take turns, run after run,
//! so that a busy moment of the machine falls on all of them alike. A second table runs the
//! program with no ordinary calls: the fixed cost per run. The target: the tracer within
//! 1.2x of bare. A third table runs a loop of 50 000 `shmat`/`shmdt` pairs and no ordinary
//! calls: the cost of each traced shm call (the target: within 3x of bare). It prints
//! figures; it asserts nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use shmlab_checker::run::process::{self, Input};

const RUNS: usize = 40;

fn workload() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let exe = dir.path().join("workload");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/workload.c");
    let ok = Command::new("cc")
        .args(["-O2", "-o"])
        .arg(&exe)
        .arg(&src)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "cc could not compile {}", src.display());
    (dir, exe)
}

type Variant<'a> = (&'static str, Box<dyn FnMut() + 'a>);

fn main() {
    // `cargo bench` passes --bench; `-- pairs` (or `calls`, `fixed`) runs one table only,
    // and `-- pairs traced` only the variants whose name has that word (and bare).
    let words: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let only = words.first().cloned();
    let variant = words.get(1).cloned();
    let (_dir, exe) = workload();
    let tracing = process::tracer::probe();
    if let Err(reason) = &tracing {
        println!("tracer: not measured ({reason})");
    }
    let strace = Command::new("strace")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !strace {
        println!("strace: not installed, not measured");
    }
    for (name, calls, pairs) in [
        ("calls", "100000", "0"),
        ("fixed", "0", "0"),
        ("pairs", "0", "50000"),
    ] {
        if only.as_deref().is_none_or(|o| o == name) {
            table(
                &exe,
                calls,
                pairs,
                tracing.is_ok(),
                strace,
                variant.as_deref(),
            );
        }
    }
}

fn table(exe: &Path, calls: &str, pairs: &str, tracing: bool, strace: bool, variant: Option<&str>) {
    let timeout = Duration::from_secs(60);
    let cmd = move || {
        let mut c = Command::new(exe);
        c.args([calls, pairs]);
        c
    };
    let shm_calls = 5 + 2 * pairs.parse::<usize>().unwrap_or(0);
    let runs = if shm_calls > 5 { RUNS / 4 } else { RUNS };
    let mut variants: Vec<Variant<'_>> = vec![
        (
            "bare",
            Box::new(move || {
                let s = cmd()
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .unwrap();
                assert!(s.success());
            }),
        ),
        (
            "checker, not traced",
            Box::new(move || {
                let out = process::run(&mut cmd(), Input::Null, timeout).unwrap();
                assert_eq!(
                    out.termination,
                    shmlab_checker::model::Termination::Exited { code: 0 }
                );
            }),
        ),
    ];
    if tracing {
        variants.push((
            "checker, traced",
            Box::new(move || {
                let (out, events) =
                    process::tracer::run(&mut cmd(), Input::Null, timeout, 8).unwrap();
                assert_eq!(
                    out.termination,
                    shmlab_checker::model::Termination::Exited { code: 0 }
                );
                assert_eq!(events.len(), shm_calls, "every shm call is recorded");
            }),
        ));
    }
    if strace {
        variants.push((
            "strace -f -e trace=%ipc",
            Box::new(move || {
                let s = Command::new("strace")
                    .args(["-f", "-qq", "-e", "trace=%ipc", "-o", "/dev/null"])
                    .arg(exe)
                    .args([calls, pairs])
                    .stdout(Stdio::null())
                    .status()
                    .unwrap();
                assert!(s.success());
            }),
        ));
    }
    if let Some(word) = variant {
        variants.retain(|(name, _)| *name == "bare" || name.contains(word));
    }
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); variants.len()];
    for round in 0..=runs {
        for (i, (_, once)) in variants.iter_mut().enumerate() {
            let t = Instant::now();
            once();
            // Round 0 warms up.
            if round > 0 {
                times[i].push(t.elapsed());
            }
        }
    }
    println!("\n{runs} runs each of {calls} getppid() + {shm_calls} shm calls ({pairs} shmat/shmdt pairs)");
    println!(
        "{:<26} {:>12} {:>12} {:>10}",
        "", "median", "fastest", "vs bare"
    );
    let mut bare = 0.0;
    for ((name, _), t) in variants.iter().zip(times.iter_mut()) {
        t.sort();
        let (med, min) = (t[t.len() / 2].as_secs_f64(), t[0].as_secs_f64());
        if bare == 0.0 {
            bare = med;
        }
        println!(
            "{:<26} {:>9.2} ms {:>9.2} ms {:>9.2}x",
            name,
            med * 1e3,
            min * 1e3,
            med / bare
        );
    }
}
