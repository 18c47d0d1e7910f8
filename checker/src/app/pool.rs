//! Running a class's work `--jobs` at a time: the builds on threads ([`in_parallel`]), and
//! the checkers as child processes ([`run_children`]), each submission's in a process of its
//! own so that one that crashes or hangs its checker costs only its own result. Both
//! `grade` (the labs) and `grade --assignment` use them.

use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

/// `f` of every item, `jobs` at a time, in the items' order.
pub fn in_parallel<T: Sync, R: Send>(
    items: &[T],
    jobs: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, items.len().max(1)) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                let r = f(item);
                results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(r);
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .flatten()
        .collect()
}

/// A running child, for item `index`.
struct Running {
    index: usize,
    child: Child,
    started: Instant,
}

/// Runs the children `spawn(i)` makes for the items `0..count`, `jobs` at a time, and calls
/// `done(i, status)` as each ends: `None` when it ran past `cap` and was killed. Once the
/// checker is interrupted (SIGINT, SIGTERM), no child is started, and each running one is
/// sent SIGINT, so that it stops its scenario, cleans up and reports what it checked.
pub fn run_children(
    count: usize,
    jobs: usize,
    cap: Duration,
    mut spawn: impl FnMut(usize) -> std::io::Result<Child>,
    mut done: impl FnMut(usize, Option<ExitStatus>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut queue = 0..count;
    let mut running: Vec<Running> = Vec::new();
    crate::run::process::catch_interrupts();
    loop {
        let stop = crate::run::process::interrupted();
        while running.len() < jobs.max(1) && !stop {
            let Some(index) = queue.next() else { break };
            running.push(Running {
                index,
                child: spawn(index)?,
                started: Instant::now(),
            });
        }
        if running.is_empty() {
            break;
        }
        let mut still = Vec::with_capacity(running.len());
        for mut r in running.drain(..) {
            if stop {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(r.child.id() as i32),
                    nix::sys::signal::Signal::SIGINT,
                );
            }
            let status = match r.child.try_wait()? {
                Some(s) => Some(s),
                None if r.started.elapsed() > cap => {
                    let _ = r.child.kill();
                    let _ = r.child.wait();
                    None
                }
                None => {
                    still.push(r);
                    continue;
                }
            };
            done(r.index, status)?;
        }
        running = still;
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(())
}

/// Why a checker gave no report, in words.
pub fn checker_end(status: Option<ExitStatus>, cap: Duration) -> String {
    use std::os::unix::process::ExitStatusExt;
    match status {
        None => format!(
            "its checker was stopped after {} s, the limit for one submission",
            cap.as_secs()
        ),
        Some(s) => match (s.code(), s.signal()) {
            (_, Some(sig)) => format!(
                "its checker was killed by {}",
                crate::model::timeline::signal_name(sig)
            ),
            (Some(code), _) => format!("its checker exited with status {code} without a report"),
            _ => "its checker ended without a report".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_the_items_order_whatever_the_jobs() {
        let items: Vec<u64> = (0..20).collect();
        for jobs in [1, 3, 64] {
            let out = in_parallel(&items, jobs, |i| {
                std::thread::sleep(Duration::from_millis(20 - i));
                i * 2
            });
            assert_eq!(out, items.iter().map(|i| i * 2).collect::<Vec<_>>());
        }
    }

    #[test]
    fn no_more_children_than_jobs_run_at_once_and_each_is_reported() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let running = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        let mut ended = Vec::new();
        run_children(
            5,
            2,
            Duration::from_secs(30),
            |_| {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                std::process::Command::new("sleep").arg("0.2").spawn()
            },
            |i, status| {
                running.fetch_sub(1, Ordering::SeqCst);
                assert!(status.is_some_and(|s| s.success()));
                ended.push(i);
                Ok(())
            },
        )
        .unwrap();
        ended.sort();
        assert_eq!(ended, [0, 1, 2, 3, 4]);
        assert_eq!(most.load(Ordering::SeqCst), 2);
    }
}
