//! A traced run from start to end: spawning the program traced, the tracer as the run's
//! [`Watch`], and the probe that says whether tracing works here.
#![allow(unsafe_code)]

use std::collections::{BTreeSet, HashMap};
use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::process::Command;
use std::time::{Duration, Instant};

use nix::sched::{sched_getaffinity, sched_setaffinity, CpuSet};
use nix::sys::ptrace::{self, Options};
use nix::sys::signal::{kill, killpg, SigSet, SigmaskHow, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;

use super::super::seccomp::hook;
use super::super::{feed, prepare, supervise, Capture, Ended, Input, KillReason, RunOutput, Watch};
use super::inspect::ipc_namespace;
use super::{kept, Tracer, Tracing};
use crate::model::timeline::TraceEvent;
use crate::model::Termination;

impl Watch for Tracer {
    fn fd(&self) -> Option<BorrowedFd<'_>> {
        Some(self.signals.as_fd())
    }
    fn check(&mut self) -> io::Result<Option<Ended>> {
        while let Ok(Some(_)) = self.signals.read_signal() {}
        self.reap(false)?;
        Ok(self.ended)
    }
    fn terminate(&mut self) {
        self.note_signalled(KillReason::Timeout);
        let _ = killpg(Pid::from_raw(self.main), Signal::SIGTERM);
        for pid in &self.tracees {
            let _ = kill(Pid::from_raw(*pid), Signal::SIGTERM);
        }
    }
    fn kill_all(&mut self, why: KillReason) {
        self.note_signalled(why);
        let _ = killpg(Pid::from_raw(self.main), Signal::SIGKILL);
        for pid in &self.tracees {
            let _ = kill(Pid::from_raw(*pid), Signal::SIGKILL);
        }
    }
    fn finish(&mut self) -> io::Result<Ended> {
        while self.ended.is_none() {
            self.reap(true)?;
            if self.ended.is_none()
                && waitpid(
                    Pid::from_raw(self.main),
                    Some(WaitPidFlag::WNOHANG | WaitPidFlag::__WALL),
                ) == Err(nix::errno::Errno::ECHILD)
            {
                // Reaped elsewhere; its status is lost.
                self.ended = Some(Ended::Signal(Signal::SIGKILL, false));
            }
        }
        Ok(self.ended.expect("set by the loop"))
    }
    fn settled(&self) -> bool {
        self.tracees.is_empty()
    }
}

/// Runs `cmd` like [`super::run`], under the tracer; returns the output and the timeline.
/// More than `max_children` processes started, and the whole run is killed.
/// An `Err` from spawning means tracing is not allowed here (ptrace or seccomp refused).
///
/// The tracer and the program share one CPU for the run (see [`Pin`]).
pub fn run(
    cmd: &mut Command,
    stdin: Input<'_>,
    timeout: Duration,
    max_children: usize,
) -> io::Result<(RunOutput, Vec<TraceEvent>)> {
    run_recording(cmd, stdin, timeout, Tracing::checking(max_children), None)
}

/// [`run`], writing down each segment a process of the run creates in `record` (a keys
/// mode claim file) as soon as its `shmget` returns: a checker killed before its next
/// snapshot still leaves it on record for the next one to remove.
pub fn run_recording(
    cmd: &mut Command,
    stdin: Input<'_>,
    timeout: Duration,
    tracing: Tracing,
    record: Option<BorrowedFd<'_>>,
) -> io::Result<(RunOutput, Vec<TraceEvent>)> {
    use std::os::fd::AsRawFd;
    let _pin = Pin::here();
    traced(cmd, stdin, timeout, tracing, record.map(|f| f.as_raw_fd()))
}

/// The calling process kept on the CPU it runs on, until dropped (then its former CPU set
/// is given back); the program it starts inherits the setting.
///
/// Each ptrace stop hands the CPU from the program to the tracer and back. On two CPUs, each
/// hand-over wakes a process on the other CPU, and each `shmat`/`shmdt` of the program
/// changes its address space, which must then be flushed from the other CPU's TLB too: an
/// inter-processor interrupt each time, which a virtual machine makes expensive. On one
/// CPU, neither happens: a loop of `shmat`/`shmdt` ran 6 times faster traced on a 2-CPU VM
/// (the trace benchmark). A program's threads and processes then share that CPU: nothing a
/// lab program notices, and the timeout stays the same.
struct Pin {
    former: Option<CpuSet>,
}

impl Pin {
    fn here() -> Pin {
        let me = Pid::from_raw(0);
        let Ok(former) = sched_getaffinity(me) else {
            return Pin { former: None };
        };
        // SAFETY: sched_getcpu takes nothing and returns the CPU number or -1.
        let cpu = unsafe { libc::sched_getcpu() };
        let mut one = CpuSet::new();
        let pinned = usize::try_from(cpu)
            .ok()
            .filter(|c| former.is_set(*c).unwrap_or(false))
            .is_some_and(|c| one.set(c).is_ok() && sched_setaffinity(me, &one).is_ok());
        Pin {
            former: pinned.then_some(former),
        }
    }
}

impl Drop for Pin {
    fn drop(&mut self) {
        if let Some(former) = &self.former {
            let _ = sched_setaffinity(Pid::from_raw(0), former);
        }
    }
}

fn traced(
    cmd: &mut Command,
    stdin: Input<'_>,
    timeout: Duration,
    tracing: Tracing,
    record: Option<std::os::fd::RawFd>,
) -> io::Result<(RunOutput, Vec<TraceEvent>)> {
    let mut mask = SigSet::empty();
    mask.add(Signal::SIGCHLD);
    // SIGCHLD is taken through a signalfd, so that poll wakes for every tracee's stop.
    nix::sys::signal::sigprocmask(SigmaskHow::SIG_BLOCK, Some(&mask), None)?;
    let signals = SignalFd::with_flags(&mask, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)?;
    let tty = prepare(cmd, stdin)?;
    hook(cmd);
    let start = Instant::now();
    let spawned = cmd.spawn();
    super::super::dialogue::detach(cmd);
    let mut child = spawned?;
    let pid = child.id() as i32;
    let main = Pid::from_raw(pid);
    // The first stop is the SIGTRAP after exec; set the options there.
    loop {
        match waitpid(main, Some(WaitPidFlag::__WALL)) {
            Ok(WaitStatus::Stopped(_, Signal::SIGTRAP)) => break,
            Ok(WaitStatus::Stopped(_, _)) => {
                let _ = ptrace::cont(main, None);
            }
            Ok(WaitStatus::Exited(..) | WaitStatus::Signaled(..)) => {
                return Err(io::Error::other(
                    "the program ended before it could be traced",
                ));
            }
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let options = Options::PTRACE_O_TRACESYSGOOD
        | Options::PTRACE_O_TRACESECCOMP
        | Options::PTRACE_O_TRACEFORK
        | Options::PTRACE_O_TRACEVFORK
        | Options::PTRACE_O_TRACECLONE
        | Options::PTRACE_O_TRACEEXEC
        | Options::PTRACE_O_TRACEEXIT
        | Options::PTRACE_O_EXITKILL;
    if let Err(e) = ptrace::setoptions(main, options) {
        let _ = killpg(main, Signal::SIGKILL);
        let _ = child.wait();
        return Err(e.into());
    }
    let _ = ptrace::cont(main, None);
    feed(&mut child, stdin);
    let mut capture = Capture::new(&mut child).talking(tty, pid, stdin);
    let mut tracer = Tracer {
        main: pid,
        signals,
        tracees: BTreeSet::from([pid]),
        pending: HashMap::new(),
        tgids: HashMap::from([(pid, pid)]),
        threads: HashMap::from([(pid, BTreeSet::from([pid]))]),
        ending: BTreeSet::new(),
        exiting: BTreeSet::new(),
        attached: HashMap::new(),
        ipc_ns: ipc_namespace(None),
        ns_calls: false,
        left_namespace: false,
        spawn_failed: None,
        spawning: HashMap::new(),
        events: kept::Kept::new(tracing.keep_all),
        ended: None,
        survivors: Vec::new(),
        children: 0,
        max_children: tracing.max_children,
        every_text: tracing.every_text,
        signalled: HashMap::new(),
        ends: Vec::new(),
        record,
        deferred: None,
        unplaced: None,
        foresee: true,
        creds: HashMap::new(),
        maps_read: 0,
        fresh: None,
        faults: HashMap::new(),
    };
    let out = supervise(&mut tracer, &mut capture, start, timeout);
    tracer.kill_all(KillReason::Outlived);
    // Collect what is left, so no traced process outlives the run.
    let deadline = Instant::now() + Duration::from_secs(2);
    while !tracer.tracees.is_empty() && Instant::now() < deadline {
        if tracer.reap(false).is_err() {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    tracer.settle(true);
    let (events, place) = std::mem::take(&mut tracer.events).into_events();
    let (survivors, children) = (std::mem::take(&mut tracer.survivors), tracer.children);
    let mut output = capture.into_output(pid, out?, start);
    output.survivors = survivors;
    output.children = children;
    output.left_namespace = tracer.left_namespace;
    output.spawn_failed = tracer.spawn_failed;
    // The fault that killed the program, if one did: its last SIGSEGV or SIGBUS, of the
    // signal it died of.
    output.fault = tracer.faults.remove(&pid).filter(|f| {
        matches!(output.termination, Termination::Signaled { signal, .. } if signal == f.signal)
    });
    output.ends = std::mem::take(&mut tracer.ends);
    for end in &mut output.ends {
        end.after_events = place(end.after_events);
    }
    Ok((output, events))
}

/// Whether tracing works here: runs the checker's own `--version` under the tracer. `Err`
/// says why not.
pub fn probe() -> Result<(), String> {
    // The checker itself, asked for its version: a program every machine that runs the
    // checker has.
    let mut cmd = match std::env::current_exe() {
        Ok(me) => Command::new(me),
        Err(_) => Command::new("/bin/true"),
    };
    cmd.arg("--version");
    match run(&mut cmd, Input::Null, Duration::from_secs(5), 8) {
        Ok(_) => Ok(()),
        Err(e) => Err(format!(
            "ptrace or seccomp is not allowed here ({e}), as in some containers"
        )),
    }
}
