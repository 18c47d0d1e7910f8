//! Process control: running a student's program with a timeout and captured output, and the
//! small helper processes the checker forks (a holder of attachments, a one-shot attacher).
//!
//! This is the one module of the checker allowed `unsafe`: `fork`, the pre-exec hooks and
//! the tracer's raw `ptrace` calls. The checker is single-threaded whenever it forks (it
//! never starts threads), so the child may run ordinary Rust code before it exits.
#![allow(unsafe_code)]

pub mod build;
mod dialogue;
mod ends;
mod limits;
mod reaper;
mod runner;
pub(crate) mod seccomp;
pub mod timeout;
pub mod tracer;

#[cfg(test)]
mod tests;

pub use ends::{KillReason, ProcessEnd};
pub use limits::{limit, processes_of, Limits};
pub use reaper::{become_subreaper, catch_interrupts, interrupted, kill_uid, sweep};
pub use runner::{in_child, run_from_runner, Holder};

use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::process::CommandExt;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::ptrace;
use nix::sys::signal::{killpg, sigprocmask, SigSet, SigmaskHow, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;

use crate::model::run::{Dropped, Termination, OUTPUT_CAP};

/// What the program reads on its standard input.
#[derive(Debug, Clone, Copy)]
pub enum Input<'a> {
    /// `/dev/null`: end of input at once.
    Null,
    /// These bytes, written through a pipe, then end of input.
    Bytes(&'a [u8]),
    /// This open file, as it is: the checker's own stdin (`shmlab trace`), or a file.
    File(BorrowedFd<'a>),
    /// A terminal of its own, on which the checker answers each question the program asks
    /// with these answers, in the words its prompt offers (see [`dialogue`]).
    Ask(&'a crate::scenario::answer::Script),
}

impl<'a> From<Option<&'a [u8]>> for Input<'a> {
    fn from(bytes: Option<&'a [u8]>) -> Input<'a> {
        bytes.map_or(Input::Null, Input::Bytes)
    }
}

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
    /// Bytes of output beyond the cap, counted and dropped (both streams).
    pub dropped: u64,
    /// The same, stream by stream: which one was cut.
    pub dropped_by_stream: Dropped,
    /// Wall time from spawn to exit.
    pub elapsed: Duration,
    /// Processes the program started that were still running when it exited (then killed);
    /// known only when traced.
    pub survivors: Vec<i32>,
    /// Processes the program started (fork, vfork, clone); known only when traced.
    pub children: usize,
    /// A process of the run made a shm call from an IPC namespace of its own (after
    /// `unshare(CLONE_NEWIPC)` or `setns`), and the run was stopped there; known only when
    /// traced.
    pub left_namespace: bool,
    /// How every process of the run ended, in order, the program's own included; known only
    /// when traced.
    #[serde(default)]
    pub ends: Vec<ProcessEnd>,
    /// The first fork or clone that failed for want of processes or memory (its `limit` is
    /// left for the caller, who set it); known only when traced.
    #[serde(default)]
    pub spawn_failed: Option<crate::model::run::SpawnFailed>,
    /// Where the SIGSEGV or SIGBUS that killed the program's own process struck (its last
    /// one, as the tracer saw it delivered); known only when traced.
    #[serde(default)]
    pub fault: Option<crate::model::Fault>,
    /// What the program asked and the checker answered, when it ran with [`Input::Ask`].
    #[serde(default)]
    pub exchanges: Vec<crate::model::dialogue::Exchange>,
}

/// How the program's main process ended, before timeouts are considered. Only what the
/// kernel can report: an exit status (0 to 255) or a real signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// Exit status.
    Code(u8),
    /// Killed by a signal; whether it dumped core.
    Signal(Signal, bool),
}

impl Ended {
    /// The end a `waitpid` status reports, if it is one (exited or killed; a stop is not).
    pub(crate) fn of(status: WaitStatus) -> Option<Ended> {
        match status {
            // WEXITSTATUS is the low byte of the value given to exit.
            WaitStatus::Exited(_, code) => Some(Ended::Code((code & 0xff) as u8)),
            WaitStatus::Signaled(_, sig, core) => Some(Ended::Signal(sig, core)),
            _ => None,
        }
    }
}

/// Something that knows when the program's processes change state: `waitpid` woken by a
/// signalfd, or the tracer.
pub trait Watch {
    /// Readable when there may be news.
    fn fd(&self) -> Option<std::os::fd::BorrowedFd<'_>>;
    /// Handles what happened; `Some` once the main process has ended.
    fn check(&mut self) -> io::Result<Option<Ended>>;
    /// Asks the run to end (it is past its timeout): SIGTERM to its process group.
    fn terminate(&mut self);
    /// Kills every process of the run, for `why`.
    fn kill_all(&mut self, why: KillReason);
    /// Waits until the main process has ended (after `kill_all`).
    fn finish(&mut self) -> io::Result<Ended>;
    /// Whether every process the watcher follows is gone.
    fn settled(&self) -> bool;
}

/// Watches an untraced child with `waitpid`, woken by SIGCHLD through a signalfd (or by
/// polling where there is none).
///
/// Untraced does not mean that nobody traces it: a program that calls
/// `ptrace(PTRACE_TRACEME)` makes its parent, the runner, its tracer without the runner
/// asking, and then stops at its next signal or `exec`. `Child::try_wait` would take such a
/// stop for an exit (with no status at all); here every stop is let go (detached, with its
/// signal) and only an exit or a killing signal ends the run.
struct PidWatch {
    pid: Pid,
    signals: Option<SignalFd>,
    ended: Option<Ended>,
}

impl PidWatch {
    /// Collects the child's state changes (blocking when `flags` has no WNOHANG) until it has
    /// ended or has nothing more to report.
    fn wait(&mut self, flags: WaitPidFlag) -> io::Result<Option<Ended>> {
        while self.ended.is_none() {
            let status = match waitpid(self.pid, Some(flags)) {
                Ok(s) => s,
                Err(Errno::EINTR) => continue,
                Err(e) => return Err(e.into()),
            };
            match status {
                WaitStatus::StillAlive => break,
                WaitStatus::Stopped(pid, sig) => release(pid, Some(sig)),
                WaitStatus::PtraceEvent(pid, ..) | WaitStatus::PtraceSyscall(pid) => {
                    release(pid, None)
                }
                other => self.ended = Ended::of(other),
            }
        }
        Ok(self.ended)
    }
}

/// Lets go of a program that made the runner its tracer (`PTRACE_TRACEME`) and is stopped:
/// detaches it, passing on the signal it stopped for, except the SIGTRAP a traced `exec`
/// raises, which would kill it and is not the program's.
fn release(pid: Pid, sig: Option<Signal>) {
    let deliver = sig.filter(|s| *s != Signal::SIGTRAP || !is_exec_trap(pid));
    if ptrace::detach(pid, deliver).is_err() {
        // Not a ptrace stop (or it died meanwhile): nothing to let go.
    }
}

/// Whether the tracee `pid` stopped for the SIGTRAP the kernel sends a `PTRACE_TRACEME`
/// process after `exec`: sent with no information (SI_USER), as if by the process itself.
fn is_exec_trap(pid: Pid) -> bool {
    let Ok(info) = ptrace::getsiginfo(pid) else {
        return false;
    };
    // SAFETY: for SI_USER the kernel fills the kill fields (si_pid, si_uid) of the union.
    info.si_code == libc::SI_USER && unsafe { info.si_pid() } == pid.as_raw()
}

impl Watch for PidWatch {
    fn fd(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        self.signals.as_ref().map(|f| f.as_fd())
    }
    fn check(&mut self) -> io::Result<Option<Ended>> {
        if let Some(signals) = &self.signals {
            while let Ok(Some(_)) = signals.read_signal() {}
        }
        self.wait(WaitPidFlag::WNOHANG)
    }
    fn terminate(&mut self) {
        let _ = killpg(self.pid, Signal::SIGTERM);
    }
    fn kill_all(&mut self, _why: KillReason) {
        let _ = killpg(self.pid, Signal::SIGKILL);
    }
    fn finish(&mut self) -> io::Result<Ended> {
        loop {
            if let Some(ended) = self.wait(WaitPidFlag::empty())? {
                return Ok(ended);
            }
        }
    }
    fn settled(&self) -> bool {
        true
    }
}

/// Spawns `cmd` in its own process group with stdin from /dev/null (or `stdin`), captures
/// stdout and stderr concurrently, and kills the whole group when the program exits (so no
/// descendant survives) or when `timeout` passes (SIGTERM, then SIGKILL after a grace period:
/// see [`timeout::Policy`]).
pub fn run(cmd: &mut Command, stdin: Input<'_>, timeout: Duration) -> io::Result<RunOutput> {
    let tty = prepare(cmd, stdin)?;
    // Untraced, a move to another IPC namespace would go unseen: refused instead.
    seccomp::confine(cmd);
    // SIGCHLD is taken through a signalfd, so that poll wakes when the program ends (or
    // stops, see `PidWatch`). Blocked before the spawn, so none is missed; the program starts
    // with an empty signal mask (std resets it between fork and exec).
    let mut mask = SigSet::empty();
    mask.add(Signal::SIGCHLD);
    let mut old_mask = SigSet::empty();
    sigprocmask(SigmaskHow::SIG_BLOCK, Some(&mask), Some(&mut old_mask))?;
    let signals = SignalFd::with_flags(&mask, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC).ok();
    let start = Instant::now();
    let spawned = cmd.spawn();
    dialogue::detach(cmd);
    let out = spawned.map(|mut child| {
        let pid = Pid::from_raw(child.id() as i32);
        feed(&mut child, stdin);
        let mut capture = Capture::new(&mut child).talking(tty, pid.as_raw(), stdin);
        let mut watch = PidWatch {
            pid,
            signals,
            ended: None,
        };
        let out = supervise(&mut watch, &mut capture, start, timeout);
        // Whatever happened, nothing of the run's process group outlives it.
        let _ = killpg(pid, Signal::SIGKILL);
        out.map(|t| capture.into_output(pid.as_raw(), t, start))
    });
    let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&old_mask), None);
    out?
}

/// Sets up stdio and the process group of a run, and takes away the program's means to
/// gain privileges (setuid bits and file capabilities: see [`limits::no_new_privileges`]).
/// Every run goes through here, traced or not. With [`Input::Ask`], stdin and stdout are a
/// pty's slave, and the master is returned.
pub(crate) fn prepare(
    cmd: &mut Command,
    stdin: Input<'_>,
) -> io::Result<Option<std::os::fd::OwnedFd>> {
    limits::no_new_privileges(cmd);
    cmd.stdin(match stdin {
        Input::Null | Input::Ask(_) => Stdio::null(),
        Input::Bytes(_) => Stdio::piped(),
        Input::File(fd) => fd
            .try_clone_to_owned()
            .map_or_else(|_| Stdio::null(), Stdio::from),
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .process_group(0);
    match stdin {
        Input::Ask(_) => dialogue::attach(cmd).map(Some),
        _ => Ok(None),
    }
}

/// Writes scripted input; a program that never reads it gets EPIPE, which is fine.
pub(crate) fn feed(child: &mut Child, stdin: Input<'_>) {
    if let (Input::Bytes(data), Some(mut pipe)) = (stdin, child.stdin.take()) {
        let _ = pipe.write_all(data);
    }
}

/// The program's stdout and stderr, read as they come, up to [`OUTPUT_CAP`] each.
pub(crate) struct Capture {
    out: Option<std::process::ChildStdout>,
    err: Option<std::process::ChildStderr>,
    bufs: [Vec<u8>; 2],
    /// Bytes dropped past the cap, for stdout and stderr.
    dropped: [u64; 2],
    /// The terminal stdout goes to, and the conversation on it, with [`Input::Ask`].
    talk: Option<dialogue::Dialogue>,
    /// The conversation, once the terminal has closed.
    heard_all: Vec<crate::model::dialogue::Exchange>,
}

impl Capture {
    pub(crate) fn new(child: &mut Child) -> Capture {
        Capture {
            out: child.stdout.take(),
            err: child.stderr.take(),
            bufs: [Vec::new(), Vec::new()],
            dropped: [0, 0],
            talk: None,
            heard_all: Vec::new(),
        }
    }

    /// With the conversation of an [`Input::Ask`] run on the pty `tty` (from [`prepare`]).
    pub(crate) fn talking(
        mut self,
        tty: Option<std::os::fd::OwnedFd>,
        pid: i32,
        stdin: Input<'_>,
    ) -> Capture {
        if let (Some(master), Input::Ask(script)) = (tty, stdin) {
            self.talk = Some(dialogue::Dialogue::new(master, pid, script));
        }
        self
    }

    fn is_open(&self) -> bool {
        self.out.is_some() || self.err.is_some() || self.talk.is_some()
    }

    fn read(&mut self, which: usize) {
        let mut chunk = [0u8; 8192];
        let n = if which == 0 {
            match (self.out.as_mut(), self.talk.as_mut()) {
                (Some(s), _) => Some(s.read(&mut chunk)),
                (None, Some(t)) => Some(t.read(&mut chunk)),
                (None, None) => None,
            }
        } else {
            self.err.as_mut().map(|s| s.read(&mut chunk))
        };
        match n {
            // Interrupted, or nothing after all: not the end of the stream.
            Some(Err(e))
                if matches!(
                    e.kind(),
                    io::ErrorKind::Interrupted | io::ErrorKind::WouldBlock
                ) => {}
            Some(Ok(0)) | Some(Err(_)) | None => {
                if which == 0 {
                    self.out = None;
                    if let Some(t) = self.talk.take() {
                        self.heard_all = t.exchanges();
                    }
                } else {
                    self.err = None;
                }
            }
            Some(Ok(n)) => {
                if let Some(t) = self.talk.as_mut() {
                    t.heard(&chunk[..n]);
                }
                let buf = &mut self.bufs[which];
                let keep = n.min(OUTPUT_CAP.saturating_sub(buf.len()));
                buf.extend_from_slice(&chunk[..keep]);
                self.dropped[which] += (n - keep) as u64;
            }
        }
    }

    pub(crate) fn into_output(
        self,
        pid: i32,
        termination: Termination,
        start: Instant,
    ) -> RunOutput {
        let exchanges = match self.talk {
            Some(t) => t.exchanges(),
            None => self.heard_all,
        };
        let [stdout, stderr] = self.bufs;
        RunOutput {
            pid,
            termination,
            stdout,
            stderr,
            dropped: self.dropped[0] + self.dropped[1],
            dropped_by_stream: Dropped {
                stdout: self.dropped[0],
                stderr: self.dropped[1],
            },
            elapsed: start.elapsed(),
            survivors: Vec::new(),
            children: 0,
            left_namespace: false,
            spawn_failed: None,
            fault: None,
            ends: Vec::new(),
            exchanges,
        }
    }
}

/// How long [`supervise`] sleeps at most when it waits for SIGCHLD on a signalfd: the
/// longest a stop or an end goes unseen when another thread took the signal.
const SIGNAL_FALLBACK: Duration = Duration::from_millis(20);

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
            watch.kill_all(KillReason::Interrupted);
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
                    watch.kill_all(KillReason::Timeout);
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
        let talking = capture.out.is_none() && capture.talk.is_some();
        if let Some(t) = capture.talk.as_ref().filter(|_| talking) {
            fds.push(PollFd::new(t.master.as_fd(), PollFlags::POLLIN));
            which.push(0);
        }
        let watched = watch.fd();
        let tick = match (&watched, ended.is_none() || !watch.settled()) {
            (Some(fd), true) => {
                fds.push(PollFd::new(*fd, PollFlags::POLLIN));
                which.push(2);
                // SIGCHLD is meant for the signalfd, but another thread of this process that
                // does not block it can take it first (the signal is then lost to the fd):
                // look anyway every little while.
                (deadline - now).min(SIGNAL_FALLBACK)
            }
            // Without a signalfd, look every few milliseconds.
            (None, true) => (deadline - now).min(Duration::from_millis(5)),
            _ => deadline - now,
        };
        // A conversation looks for the program's wait for input every few milliseconds.
        let tick = if talking && ended.is_none() {
            tick.min(Duration::from_millis(5))
        } else {
            tick
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
        if ended.is_none() {
            if let Some(t) = capture.talk.as_mut() {
                t.converse();
            }
        }
        if ended.is_none() || !watch.settled() {
            if let Some(e) = watch.check()? {
                if ended.is_none() {
                    ended = Some(e);
                    watch.kill_all(KillReason::Outlived);
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
            signal: signal as i32,
            core_dumped,
        },
        (false, Ended::Code(code)) => Termination::Exited {
            code: i32::from(code),
        },
    })
}
