//! Process control: running a student's program with a timeout and captured output, and the
//! small helper processes the checker forks (a holder of attachments, a one-shot attacher).
//!
//! This is the one module of the checker allowed `unsafe`: `fork` and `pidfd_open`. The
//! checker is single-threaded whenever it forks (it never starts threads), so the child may
//! run ordinary Rust code before it exits.
#![allow(unsafe_code)]

mod limits;
mod reaper;
mod runner;
pub mod timeout;
pub mod tracer;

pub use limits::{limit, processes_of, Limits};
pub use reaper::{become_subreaper, catch_interrupts, interrupted, sweep};
pub use runner::{in_child, run_from_runner, Holder};

use std::io::{self, Read, Write};
use std::os::fd::{AsFd, FromRawFd, OwnedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;

use crate::model::run::{Termination, OUTPUT_CAP};

/// What one run of the program produced.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RunOutput {
    /// The program's pid.
    pub pid: i32,
    /// How it ended.
    pub termination: Termination,
    /// Captured standard output (at most the cap).
    pub stdout: Vec<u8>,
    /// Captured standard error (at most the cap).
    pub stderr: Vec<u8>,
    /// Bytes of output beyond the cap, counted and dropped.
    pub dropped: u64,
    /// Wall time from spawn to exit.
    pub elapsed: Duration,
    /// Processes the program started that were still running when it exited (then killed);
    /// known only when traced.
    pub survivors: Vec<i32>,
    /// Processes the program started (fork, vfork, clone); known only when traced.
    pub children: usize,
}

fn pidfd_open(pid: i32) -> Option<OwnedFd> {
    // SAFETY: pidfd_open takes a pid and flags and returns a new fd or -1; no memory is shared.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return None;
    }
    // SAFETY: the kernel just returned this fd to us; nothing else owns it.
    Some(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// How the program's main process ended, before timeouts are considered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// Exit status.
    Code(i32),
    /// Killed by a signal; whether it dumped core.
    Signal(i32, bool),
}

impl From<std::process::ExitStatus> for Ended {
    fn from(status: std::process::ExitStatus) -> Ended {
        match status.signal() {
            Some(sig) => Ended::Signal(sig, status.core_dumped()),
            None => Ended::Code(status.code().unwrap_or(-1)),
        }
    }
}

/// Something that knows when the program's processes change state: a pidfd, or the tracer.
pub trait Watch {
    /// Readable when there may be news.
    fn fd(&self) -> Option<std::os::fd::BorrowedFd<'_>>;
    /// Handles what happened; `Some` once the main process has ended.
    fn check(&mut self) -> io::Result<Option<Ended>>;
    /// Asks the run to end: SIGTERM to its process group.
    fn terminate(&mut self);
    /// Kills every process of the run.
    fn kill_all(&mut self);
    /// Waits until the main process has ended (after `kill_all`).
    fn finish(&mut self) -> io::Result<Ended>;
    /// Whether every process the watcher follows is gone.
    fn settled(&self) -> bool;
}

/// Watches an untraced child through a pidfd (or by polling where there is none).
struct PidWatch<'a> {
    child: &'a mut Child,
    pidfd: Option<OwnedFd>,
}

impl Watch for PidWatch<'_> {
    fn fd(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        self.pidfd.as_ref().map(|f| f.as_fd())
    }
    fn check(&mut self) -> io::Result<Option<Ended>> {
        Ok(self.child.try_wait()?.map(Ended::from))
    }
    fn terminate(&mut self) {
        let _ = killpg(Pid::from_raw(self.child.id() as i32), Signal::SIGTERM);
    }
    fn kill_all(&mut self) {
        let _ = killpg(Pid::from_raw(self.child.id() as i32), Signal::SIGKILL);
    }
    fn finish(&mut self) -> io::Result<Ended> {
        Ok(self.child.wait()?.into())
    }
    fn settled(&self) -> bool {
        true
    }
}

/// Spawns `cmd` in its own process group with stdin from /dev/null (or `stdin`), captures
/// stdout and stderr concurrently, and kills the whole group when the program exits (so no
/// descendant survives) or when `timeout` passes (SIGTERM, then SIGKILL after a grace period:
/// see [`timeout::Policy`]).
pub fn run(cmd: &mut Command, stdin: Option<&[u8]>, timeout: Duration) -> io::Result<RunOutput> {
    prepare(cmd, stdin);
    let start = Instant::now();
    let mut child = cmd.spawn()?;
    let pid = child.id() as i32;
    feed(&mut child, stdin);
    let mut capture = Capture::new(&mut child);
    let pidfd = pidfd_open(pid);
    let mut watch = PidWatch {
        child: &mut child,
        pidfd,
    };
    let out = supervise(&mut watch, &mut capture, start, timeout);
    // Whatever happened, nothing of the run's process group outlives it.
    let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
    Ok(capture.into_output(pid, out?, start))
}

/// Sets up stdio and the process group of a run.
pub(crate) fn prepare(cmd: &mut Command, stdin: Option<&[u8]>) {
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .process_group(0);
}

/// Writes scripted input; a program that never reads it gets EPIPE, which is fine.
pub(crate) fn feed(child: &mut Child, stdin: Option<&[u8]>) {
    if let (Some(data), Some(mut pipe)) = (stdin, child.stdin.take()) {
        let _ = pipe.write_all(data);
    }
}

/// The program's stdout and stderr, read as they come, up to [`OUTPUT_CAP`] each.
pub(crate) struct Capture {
    out: Option<std::process::ChildStdout>,
    err: Option<std::process::ChildStderr>,
    bufs: [Vec<u8>; 2],
    dropped: u64,
}

impl Capture {
    pub(crate) fn new(child: &mut Child) -> Capture {
        Capture {
            out: child.stdout.take(),
            err: child.stderr.take(),
            bufs: [Vec::new(), Vec::new()],
            dropped: 0,
        }
    }

    fn is_open(&self) -> bool {
        self.out.is_some() || self.err.is_some()
    }

    fn read(&mut self, which: usize) {
        let mut chunk = [0u8; 8192];
        let n = if which == 0 {
            self.out.as_mut().map(|s| s.read(&mut chunk))
        } else {
            self.err.as_mut().map(|s| s.read(&mut chunk))
        };
        match n {
            Some(Ok(0)) | Some(Err(_)) | None => {
                if which == 0 {
                    self.out = None;
                } else {
                    self.err = None;
                }
            }
            Some(Ok(n)) => {
                let buf = &mut self.bufs[which];
                let keep = n.min(OUTPUT_CAP.saturating_sub(buf.len()));
                buf.extend_from_slice(&chunk[..keep]);
                self.dropped += (n - keep) as u64;
            }
        }
    }

    pub(crate) fn into_output(
        self,
        pid: i32,
        termination: Termination,
        start: Instant,
    ) -> RunOutput {
        let [stdout, stderr] = self.bufs;
        RunOutput {
            pid,
            termination,
            stdout,
            stderr,
            dropped: self.dropped,
            elapsed: start.elapsed(),
            survivors: Vec::new(),
            children: 0,
        }
    }
}

/// Reads output and follows the processes until the main one has ended and its output is
/// drained, or the timeout passes: then SIGTERM, a grace period, and SIGKILL.
pub(crate) fn supervise(
    watch: &mut dyn Watch,
    capture: &mut Capture,
    start: Instant,
    timeout: Duration,
) -> io::Result<Termination> {
    let mut ended: Option<Ended> = None;
    // After the program exits, its group is killed and the pipes drain for a moment.
    let mut drain_deadline: Option<Instant> = None;
    let policy = timeout::Policy::new(timeout);
    let mut terminated = false;
    loop {
        if ended.is_some() && !capture.is_open() && watch.settled() {
            break;
        }
        if interrupted() && ended.is_none() {
            watch.kill_all();
            watch.finish()?;
            return Err(io::Error::new(
                io::ErrorKind::Interrupted,
                "the checker was interrupted",
            ));
        }
        let now = Instant::now();
        if ended.is_none() {
            match policy.action(now - start, terminated) {
                timeout::Escalation::Wait => {}
                timeout::Escalation::Terminate => {
                    terminated = true;
                    watch.terminate();
                }
                timeout::Escalation::Kill => {
                    watch.kill_all();
                    ended = Some(watch.finish()?);
                    break;
                }
            }
        }
        let deadline = drain_deadline.unwrap_or(start + policy.deadline(terminated));
        if now >= deadline && ended.is_some() {
            break;
        }
        let mut fds: Vec<PollFd<'_>> = Vec::with_capacity(3);
        let mut which: Vec<usize> = Vec::with_capacity(3);
        if let Some(s) = &capture.out {
            fds.push(PollFd::new(s.as_fd(), PollFlags::POLLIN));
            which.push(0);
        }
        if let Some(s) = &capture.err {
            fds.push(PollFd::new(s.as_fd(), PollFlags::POLLIN));
            which.push(1);
        }
        let watched = watch.fd();
        let tick = match (&watched, ended.is_none() || !watch.settled()) {
            (Some(fd), true) => {
                fds.push(PollFd::new(*fd, PollFlags::POLLIN));
                which.push(2);
                deadline - now
            }
            // Without a pidfd (Linux < 5.3), look every few milliseconds.
            (None, true) => (deadline - now).min(Duration::from_millis(5)),
            _ => deadline - now,
        };
        let ms = tick.as_millis().clamp(1, i32::MAX as u128) as i32;
        match poll(
            &mut fds,
            PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX),
        ) {
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(e.into()),
        }
        let ready: Vec<usize> = fds
            .iter()
            .zip(&which)
            .filter(|(fd, _)| fd.revents().is_some_and(|r| !r.is_empty()))
            .map(|(_, w)| *w)
            .collect();
        drop(fds);
        for w in ready.iter().filter(|w| **w < 2) {
            capture.read(*w);
        }
        if ended.is_none() || !watch.settled() {
            if let Some(e) = watch.check()? {
                if ended.is_none() {
                    ended = Some(e);
                    watch.kill_all();
                    drain_deadline = Some(Instant::now() + Duration::from_millis(500));
                }
            }
        }
    }
    let ended = match ended {
        Some(e) => e,
        None => watch.finish()?,
    };
    Ok(match (terminated, ended) {
        (true, _) => Termination::TimedOut {
            after_ms: timeout.as_millis() as u64,
        },
        (false, Ended::Signal(signal, core_dumped)) => Termination::Signaled {
            signal,
            core_dumped,
        },
        (false, Ended::Code(code)) => Termination::Exited { code },
    })
}
