//! The processes the checker forks: the runner each program runs from, the holder of
//! attachments, and one-shot helpers.

use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::process::Command;
use std::time::{Duration, Instant};

use nix::fcntl::OFlag;
use nix::sys::signal::{kill, Signal};
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::{fork, pipe2, ForkResult, Pid};

use super::{interrupted, run, tracer, Input, RunOutput};
use crate::model::run::Termination;
use crate::model::TraceEvent;

/// What the runner process sends back: the run, or why it could not run.
#[derive(serde::Serialize, serde::Deserialize)]
enum RunnerReply {
    Ran(Box<RunOutput>, Option<Vec<TraceEvent>>),
    Failed { kind: FailKind, message: String },
}

/// Why the program could not be started, as far as the caller needs to tell.
#[derive(serde::Serialize, serde::Deserialize)]
enum FailKind {
    NotFound,
    PermissionDenied,
    Other,
}

impl From<io::ErrorKind> for FailKind {
    fn from(kind: io::ErrorKind) -> FailKind {
        match kind {
            io::ErrorKind::NotFound => FailKind::NotFound,
            io::ErrorKind::PermissionDenied => FailKind::PermissionDenied,
            _ => FailKind::Other,
        }
    }
}

impl From<FailKind> for io::ErrorKind {
    fn from(kind: FailKind) -> io::ErrorKind {
        match kind {
            FailKind::NotFound => io::ErrorKind::NotFound,
            FailKind::PermissionDenied => io::ErrorKind::PermissionDenied,
            FailKind::Other => io::ErrorKind::Other,
        }
    }
}

/// Runs `cmd` (traced or not) from a forked runner process, so that a program that kills its
/// parent kills the runner, not the checker: it then gets a verdict, and dies with the
/// runner (its parent-death signal). Returns the output and the timeline, if traced.
///
/// Traced, each segment a process of the run creates is written down in `record` (a keys
/// mode claim file, see [`crate::run::registry`]) as soon as its `shmget` returns.
pub fn run_from_runner(
    cmd: &mut Command,
    stdin: Input<'_>,
    timeout: Duration,
    trace: Option<tracer::Tracing>,
    record: Option<BorrowedFd<'_>>,
) -> io::Result<(RunOutput, Option<Vec<TraceEvent>>)> {
    let (r, w) = pipe2(OFlag::O_CLOEXEC)?;
    let (rfd, wfd) = (r.as_raw_fd(), w.as_raw_fd());
    let start = Instant::now();
    let checker = nix::unistd::getpid();
    let runner = fork_with(move || {
        // Traced, the runner dies with the checker, and every process of the run with its
        // tracer (PTRACE_O_EXITKILL). Untraced, a process that left the program's group and
        // session would outlive both: there the runner is told of the checker's death as an
        // interrupt, stops the program as for Ctrl-C, and, being the subreaper of the run,
        // kills and reaps every process of it that is left before it goes.
        let death = if trace.is_some() {
            libc::SIGKILL
        } else {
            super::catch_interrupts();
            let _ = super::become_subreaper();
            libc::SIGINT
        };
        // SAFETY: prctl with PR_SET_PDEATHSIG takes integers only.
        unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, death, 0, 0, 0) };
        if nix::unistd::getppid() != checker {
            return 1; // the checker is already gone
        }
        // SAFETY: the fork's copies of the pipe ends, each owned once here.
        let mut out = unsafe {
            drop(OwnedFd::from_raw_fd(rfd));
            std::fs::File::from_raw_fd(wfd)
        };
        let reply = match trace {
            Some(tracing) => tracer::run_recording(cmd, stdin, timeout, tracing, record)
                .map(|(o, e)| RunnerReply::Ran(Box::new(o), Some(e))),
            None => run(cmd, stdin, timeout).map(|o| RunnerReply::Ran(Box::new(o), None)),
        }
        .unwrap_or_else(|e| RunnerReply::Failed {
            kind: e.kind().into(),
            message: e.to_string(),
        });
        if trace.is_none() {
            super::sweep();
        }
        let bytes = serde_json::to_vec(&reply).unwrap_or_default();
        i32::from(out.write_all(&bytes).is_err())
    })?;
    drop(w);
    let mut bytes = Vec::new();
    let mut reply = std::fs::File::from(r);
    let mut chunk = [0u8; 64 * 1024];
    let read = loop {
        match reply.read(&mut chunk) {
            Ok(0) => break Ok(()),
            Ok(n) => bytes.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                // SIGINT or SIGTERM for the checker: the runner stops the program and answers.
                if interrupted() {
                    let _ = kill(runner, Signal::SIGINT);
                }
            }
            Err(e) => break Err(e),
        }
    };
    let status = loop {
        match waitpid(runner, None) {
            Err(nix::errno::Errno::EINTR) => continue,
            other => break other,
        }
    };
    match (serde_json::from_slice::<RunnerReply>(&bytes), status) {
        (Ok(RunnerReply::Ran(output, events)), _) => Ok((*output, events)),
        (Ok(RunnerReply::Failed { kind, message }), _) => Err(io::Error::new(kind.into(), message)),
        (Err(_), Ok(WaitStatus::Signaled(_, sig, _))) => Ok((
            RunOutput {
                pid: 0,
                termination: Termination::KilledItsParent { signal: sig as i32 },
                stdout: Vec::new(),
                stderr: Vec::new(),
                dropped: 0,
                dropped_by_stream: Default::default(),
                elapsed: start.elapsed(),
                survivors: Vec::new(),
                children: 0,
                left_namespace: false,
                spawn_failed: None,
                fault: None,
                ends: Vec::new(),
                exchanges: Vec::new(),
            },
            None,
        )),
        (Err(e), status) => Err(io::Error::other(format!(
            "the runner process failed ({status:?}, {e}, {read:?})"
        ))),
    }
}

/// Forks a child that runs `body` and exits with its return value; returns the child's pid.
///
/// The caller must be single-threaded (the checker never starts threads).
fn fork_with(body: impl FnOnce() -> i32) -> io::Result<Pid> {
    // SAFETY: the checker is single-threaded when it forks, so the child has consistent
    // copies of every lock (allocator included) and may run ordinary code; it leaves through
    // `_exit`, never returning into the parent's stack.
    match unsafe { fork() }? {
        ForkResult::Parent { child } => Ok(child),
        ForkResult::Child => {
            let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)).unwrap_or(101);
            // SAFETY: _exit ends the child at once without running the parent's atexit
            // handlers or flushing buffers the parent also holds.
            unsafe { libc::_exit(code) }
        }
    }
}

/// Runs `body` in a forked child, waits for it, and returns its exit status.
pub fn in_child(body: impl FnOnce() -> i32) -> io::Result<i32> {
    let pid = fork_with(body)?;
    loop {
        match waitpid(pid, None) {
            Ok(WaitStatus::Exited(_, code)) => return Ok(code),
            Ok(WaitStatus::Signaled(_, sig, _)) => return Ok(128 + sig as i32),
            Ok(_) => continue,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

/// A forked process that keeps attachments to segments until told to let go, standing in
/// for "another program is using this segment". The checker itself never attaches while a
/// student program runs, so the program does not inherit (and disturb) an attachment.
pub struct Holder {
    pid: Pid,
    commands: Option<std::fs::File>,
    replies: std::fs::File,
}

impl Holder {
    /// Forks the holder and waits until it has attached `ids` (an id listed twice is attached
    /// twice).
    pub fn start(ids: &[shm::ShmId]) -> io::Result<Holder> {
        let (cmd_r, cmd_w) = pipe2(OFlag::O_CLOEXEC)?;
        let (rep_r, rep_w) = pipe2(OFlag::O_CLOEXEC)?;
        let ids = ids.to_vec();
        let (cr, cw, rr, rw) = (
            cmd_r.as_raw_fd(),
            cmd_w.as_raw_fd(),
            rep_r.as_raw_fd(),
            rep_w.as_raw_fd(),
        );
        let pid = fork_with(move || {
            // SAFETY: in the child, these are the fork's copies of the four pipe ends; each is
            // owned exactly once here (the parent's OwnedFds live in the parent's memory only).
            let (mut commands, mut replies) = unsafe {
                drop(OwnedFd::from_raw_fd(cw));
                drop(OwnedFd::from_raw_fd(rr));
                (
                    std::fs::File::from_raw_fd(cr),
                    std::fs::File::from_raw_fd(rw),
                )
            };
            let mut held = Vec::new();
            for id in ids {
                match shm::shmat(id, None, shm::AtFlags::SHM_RDONLY) {
                    Ok(a) => held.push(a),
                    Err(_) => return 1,
                }
            }
            let _ = replies.write_all(b"r");
            let mut byte = [0u8];
            while let Ok(1) = commands.read(&mut byte) {
                for a in held.drain(..) {
                    let _ = shm::shmdt(a);
                }
                let _ = replies.write_all(b"d");
            }
            0
        })?;
        drop(cmd_r);
        drop(rep_w);
        let mut holder = Holder {
            pid,
            commands: Some(std::fs::File::from(cmd_w)),
            replies: std::fs::File::from(rep_r),
        };
        let mut byte = [0u8];
        match holder.replies.read(&mut byte) {
            Ok(1) if byte[0] == b'r' => Ok(holder),
            _ => Err(io::Error::other(
                "the holder process could not attach the segment",
            )),
        }
    }

    /// Detaches everything the holder attached; returns when it has.
    pub fn release(&mut self) -> io::Result<()> {
        let Some(commands) = self.commands.as_mut() else {
            return Ok(());
        };
        commands.write_all(b"d")?;
        let mut byte = [0u8];
        match self.replies.read(&mut byte) {
            Ok(1) => Ok(()),
            _ => Err(io::Error::other("the holder process did not answer")),
        }
    }

    /// The holder's pid.
    pub fn pid(&self) -> i32 {
        self.pid.as_raw()
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        // Closing the command pipe ends the holder; exiting detaches what it still holds.
        self.commands = None;
        let _ = waitpid(self.pid, None);
    }
}
