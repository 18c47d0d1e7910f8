//! Process control: running a student's program with a timeout and captured output, and the
//! small helper processes the checker forks (a holder of attachments, a one-shot attacher).
//!
//! This is the one module of the checker allowed `unsafe`: `fork` and `pidfd_open`. The
//! checker is single-threaded whenever it forks (it never starts threads), so the child may
//! run ordinary Rust code before it exits.
#![allow(unsafe_code)]

pub mod tracer;

use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::fcntl::OFlag;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{kill, killpg, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::{fork, pipe2, ForkResult, Pid};

/// How a run of the program ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Termination {
    /// It exited with this status.
    Exited { code: i32 },
    /// A signal killed it.
    Signaled { signal: i32, core_dumped: bool },
    /// It ran past the timeout and was killed with its process group.
    TimedOut { after_ms: u64 },
    /// It killed the process that ran it (its parent), and died with it.
    KilledItsParent { signal: i32 },
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

/// Bytes kept of each of stdout and stderr.
pub const OUTPUT_CAP: usize = 64 * 1024;

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
/// descendant survives) or when `timeout` passes.
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
/// drained, or the timeout passes.
pub(crate) fn supervise(
    watch: &mut dyn Watch,
    capture: &mut Capture,
    start: Instant,
    timeout: Duration,
) -> io::Result<Termination> {
    let mut ended: Option<Ended> = None;
    // After the program exits, its group is killed and the pipes drain for a moment.
    let mut drain_deadline: Option<Instant> = None;
    let mut timed_out = false;
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
        let deadline = drain_deadline.unwrap_or(start + timeout);
        if now >= deadline {
            if ended.is_none() {
                timed_out = true;
                watch.kill_all();
                ended = Some(watch.finish()?);
            }
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
    Ok(match (timed_out, ended) {
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

/// Resource limits set on the program between fork and exec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// CPU seconds (SIGXCPU at the soft limit, SIGKILL a second later).
    pub cpu_secs: u64,
    /// Bytes of address space.
    pub address_space: u64,
    /// Processes of the program's uid (a fork loop stops at it); `None` leaves it alone.
    pub processes: Option<u64>,
    /// Largest file it may write, in bytes.
    pub file_size: u64,
    /// Open files.
    pub open_files: u64,
}

impl Limits {
    /// The limits for a run with `timeout`, allowing `processes` processes of its uid.
    pub fn for_run(timeout: Duration, processes: Option<u64>) -> Limits {
        Limits {
            cpu_secs: timeout.as_secs() + 2,
            address_space: 2 << 30,
            processes,
            file_size: 16 << 20,
            open_files: 256,
        }
    }
}

/// Sets `limits` on the program `cmd` starts, between fork and exec (after the switch to
/// another uid, so the process count is the new user's).
pub fn limit(cmd: &mut Command, limits: Limits) {
    let set = move |resource: libc::__rlimit_resource_t, soft: u64, hard: u64| -> io::Result<()> {
        let lim = libc::rlimit {
            rlim_cur: soft,
            rlim_max: hard,
        };
        // SAFETY: setrlimit reads the struct on our stack; it is async-signal-safe.
        if unsafe { libc::setrlimit(resource, &lim) } == -1 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    };
    // SAFETY: the closure runs between fork and exec and only calls setrlimit and prctl,
    // which are async-signal-safe and allocate nothing.
    unsafe {
        cmd.pre_exec(move || {
            // Die with the checker, even when it is killed outright (after the uid switch,
            // which clears this setting).
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) == -1 {
                return Err(io::Error::last_os_error());
            }
            set(libc::RLIMIT_CPU, limits.cpu_secs, limits.cpu_secs + 1)?;
            set(libc::RLIMIT_AS, limits.address_space, limits.address_space)?;
            set(libc::RLIMIT_FSIZE, limits.file_size, limits.file_size)?;
            set(libc::RLIMIT_NOFILE, limits.open_files, limits.open_files)?;
            set(libc::RLIMIT_CORE, 0, 0)?;
            if let Some(n) = limits.processes {
                set(libc::RLIMIT_NPROC, n, n)?;
            }
            Ok(())
        });
    }
}

/// How many processes `uid` has now (from /proc), to set a process limit above it.
pub fn processes_of(uid: u32) -> u64 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0;
    };
    let mut n = 0;
    for entry in dir.flatten() {
        let name = entry.file_name();
        if !name.to_string_lossy().bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(status) = std::fs::read_to_string(entry.path().join("status")) else {
            continue;
        };
        let real = status
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<u32>().ok());
        if real == Some(uid) {
            n += 1;
        }
    }
    n
}

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
        // Reap them, and any zombie already there.
        for _ in 0..left.len() + 1 {
            match waitpid(None::<Pid>, Some(WaitPidFlag::__WALL)) {
                Ok(_) => {}
                Err(_) => break,
            }
        }
    }
    killed
}

/// What the runner process sends back: the run, or why it could not run.
#[derive(serde::Serialize, serde::Deserialize)]
enum RunnerReply {
    Ran(RunOutput, Option<Vec<crate::trace::TraceEvent>>),
    Failed { not_found: bool, message: String },
}

/// Runs `cmd` (traced or not) from a forked runner process, so that a program that kills its
/// parent kills the runner, not the checker: it then gets a verdict, and dies with the
/// runner (its parent-death signal). Returns the output and the timeline, if traced.
pub fn run_from_runner(
    cmd: &mut Command,
    stdin: Option<&[u8]>,
    timeout: Duration,
    trace: Option<usize>,
) -> io::Result<(RunOutput, Option<Vec<crate::trace::TraceEvent>>)> {
    let (r, w) = pipe2(OFlag::O_CLOEXEC)?;
    let (rfd, wfd) = (r.as_raw_fd(), w.as_raw_fd());
    let start = Instant::now();
    let checker = nix::unistd::getpid();
    let runner = fork_with(move || {
        // The runner dies with the checker, and the program with the runner.
        // SAFETY: prctl with PR_SET_PDEATHSIG takes integers only.
        unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) };
        if nix::unistd::getppid() != checker {
            return 1; // the checker is already gone
        }
        // SAFETY: the fork's copies of the pipe ends, each owned once here.
        let mut out = unsafe {
            drop(OwnedFd::from_raw_fd(rfd));
            std::fs::File::from_raw_fd(wfd)
        };
        let reply = match trace {
            Some(max) => {
                tracer::run(cmd, stdin, timeout, max).map(|(o, e)| RunnerReply::Ran(o, Some(e)))
            }
            None => run(cmd, stdin, timeout).map(|o| RunnerReply::Ran(o, None)),
        }
        .unwrap_or_else(|e| RunnerReply::Failed {
            not_found: e.kind() == io::ErrorKind::NotFound,
            message: e.to_string(),
        });
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
        (Ok(RunnerReply::Ran(output, mut events)), _) => {
            for e in events.iter_mut().flatten() {
                if let Some(s) = e.segment.as_mut() {
                    s.restore_raw();
                }
            }
            Ok((output, events))
        }
        (Ok(RunnerReply::Failed { not_found, message }), _) => Err(io::Error::new(
            if not_found {
                io::ErrorKind::NotFound
            } else {
                io::ErrorKind::Other
            },
            message,
        )),
        (Err(_), Ok(WaitStatus::Signaled(_, sig, _))) => Ok((
            RunOutput {
                pid: 0,
                termination: Termination::KilledItsParent { signal: sig as i32 },
                stdout: Vec::new(),
                stderr: Vec::new(),
                dropped: 0,
                elapsed: start.elapsed(),
                survivors: Vec::new(),
                children: 0,
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
