//! Interrupts (SIGINT, SIGTERM) and the checker as the reaper of every process its
//! programs leave behind.

use std::io;

use nix::sys::signal::{kill, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag};
use nix::unistd::Pid;

static INTERRUPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

extern "C" fn on_interrupt(_: libc::c_int) {
    INTERRUPTED.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// Catches SIGINT and SIGTERM: the run in progress is stopped and cleaned up, and no more
/// scenarios start ([`interrupted`] says so).
pub fn catch_interrupts() {
    let action = nix::sys::signal::SigAction::new(
        nix::sys::signal::SigHandler::Handler(on_interrupt),
        nix::sys::signal::SaFlags::empty(),
        nix::sys::signal::SigSet::empty(),
    );
    for sig in [Signal::SIGINT, Signal::SIGTERM] {
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        let _ = unsafe { nix::sys::signal::sigaction(sig, &action) };
    }
}

/// Whether SIGINT or SIGTERM arrived.
pub fn interrupted() -> bool {
    INTERRUPTED.load(std::sync::atomic::Ordering::SeqCst)
}

/// Makes the checker the reaper of every process its programs leave behind: an orphan is
/// re-parented to the checker (not to init, which in some containers never reaps), so the
/// checker can kill and reap it, and nothing is left in the process table.
pub fn become_subreaper() -> io::Result<()> {
    // SAFETY: prctl with PR_SET_CHILD_SUBREAPER takes integers only.
    if unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) } == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Kills every process of `uid` (as `uid` itself: `kill(-1, SIGKILL)` from a child that took
/// that uid, which reaches exactly the processes whose real or saved uid is `uid`), until none
/// is left; returns how many there were. Only root can do it, and never for root.
pub fn kill_uid(uid: u32) -> usize {
    if uid == 0 || !nix::unistd::geteuid().is_root() {
        return 0;
    }
    let found = super::processes_of(uid) as usize;
    let _ = super::in_child(move || {
        let id = nix::unistd::Gid::from_raw(uid);
        if nix::unistd::setgroups(&[]).is_err()
            || nix::unistd::setgid(id).is_err()
            || nix::unistd::setuid(nix::unistd::Uid::from_raw(uid)).is_err()
        {
            return 1;
        }
        // Zombies still count for kill(-1): a bounded number of rounds, not "until ESRCH".
        for _ in 0..50 {
            if kill(Pid::from_raw(-1), Signal::SIGKILL) == Err(nix::errno::Errno::ESRCH) {
                return 0;
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        0
    });
    found
}

/// The checker's children, from /proc.
fn children() -> Vec<i32> {
    let mut out = Vec::new();
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        for task in tasks.flatten() {
            if let Ok(text) = std::fs::read_to_string(task.path().join("children")) {
                out.extend(
                    text.split_whitespace()
                        .filter_map(|p| p.parse::<i32>().ok()),
                );
            }
        }
    }
    out
}

/// Kills and reaps every child of the checker (at the end of a scenario none should be
/// left: a program's descendant that escaped its process group, say with setsid, ends up
/// here once its parent is gone). Returns how many it killed.
pub fn sweep() -> usize {
    let mut killed = 0;
    for _ in 0..50 {
        let left = children();
        if left.is_empty() {
            break;
        }
        for pid in &left {
            if kill(Pid::from_raw(*pid), Signal::SIGKILL).is_ok() {
                killed += 1;
            }
        }
        // Reap them (each dies of the SIGKILL), then any zombie already there; never wait
        // for a child that is alive: an orphan re-parented meanwhile is the next round's.
        for pid in &left {
            let _ = waitpid(Pid::from_raw(*pid), Some(WaitPidFlag::__WALL));
        }
        while let Ok(status) = waitpid(
            None::<Pid>,
            Some(WaitPidFlag::__WALL | WaitPidFlag::WNOHANG),
        ) {
            if status == nix::sys::wait::WaitStatus::StillAlive {
                break;
            }
        }
    }
    killed
}
