//! Answering a program's questions on a terminal of its own: the program's stdin and stdout
//! are a pty's slave (so its prompts come out line-buffered, as on a student's terminal),
//! and the checker, on the master, answers each time the program waits for input (blocked
//! in `read` on fd 0, after a moment without output), in the words its prompt offers
//! ([`Responder`]). When the answers run out it types end of input (Ctrl-D) instead.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::termios::{self, LocalFlags, OutputFlags, SetArg};

use crate::model::dialogue::Exchange;
use crate::scenario::answer::{Reply, Responder, Script};

/// A pty for `cmd`: its stdin and stdout become the slave; returns the master.
pub(crate) fn attach(cmd: &mut Command) -> io::Result<OwnedFd> {
    let pty = nix::pty::openpty(None, None)?;
    let mut t = termios::tcgetattr(pty.slave.as_fd())?;
    // No echo (the answers are recorded apart), output as written (no \r added), lines
    // given to the program one at a time, Ctrl-D as end of input.
    t.local_flags &= !(LocalFlags::ECHO
        | LocalFlags::ECHOE
        | LocalFlags::ECHOK
        | LocalFlags::ECHONL
        | LocalFlags::ECHOCTL);
    t.local_flags |= LocalFlags::ICANON;
    t.output_flags &= !OutputFlags::OPOST;
    termios::tcsetattr(pty.slave.as_fd(), SetArg::TCSANOW, &t)?;
    for fd in [&pty.master, &pty.slave] {
        nix::fcntl::fcntl(
            fd,
            nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::FD_CLOEXEC),
        )?;
    }
    let out = pty.slave.try_clone()?;
    cmd.stdin(Stdio::from(pty.slave)).stdout(Stdio::from(out));
    Ok(pty.master)
}

/// Closes the checker's copies of the slave (held by `cmd` until replaced), so that the
/// master reads end of file once the program's processes have closed theirs.
pub(crate) fn detach(cmd: &mut Command) {
    cmd.stdin(Stdio::null()).stdout(Stdio::null());
}

/// How long the program must have printed nothing before its prompt is taken as complete.
const QUIET: Duration = Duration::from_millis(15);
/// Where the kernel does not say whether the program is reading its stdin: how long a
/// silence counts as waiting.
const QUIET_UNKNOWN: Duration = Duration::from_millis(300);
/// End of input is typed at most this many times (a program that reads again after it).
const MAX_EOFS: usize = 8;

/// One run's conversation in progress.
pub(crate) struct Dialogue {
    pub(crate) master: File,
    pid: i32,
    responder: Responder,
    /// What the program printed since the last answer.
    prompt: Vec<u8>,
    last_output: Instant,
    /// When the last answer was typed, and how many bytes the program had read then.
    answered: Option<(Instant, Option<u64>)>,
    eofs: usize,
}

impl Dialogue {
    pub(crate) fn new(master: OwnedFd, pid: i32, script: &Script) -> Dialogue {
        Dialogue {
            master: File::from(master),
            pid,
            responder: Responder::new(script),
            prompt: Vec::new(),
            last_output: Instant::now(),
            answered: None,
            eofs: 0,
        }
    }

    /// Reads what the program printed on the terminal into `buf`; `Ok(0)` at its end.
    pub(crate) fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.master.read(buf)
    }

    /// Notes output (either stream) as part of the prompt.
    pub(crate) fn heard(&mut self, bytes: &[u8]) {
        self.prompt.extend_from_slice(bytes);
        if self.prompt.len() > 64 * 1024 {
            self.prompt.drain(..32 * 1024);
        }
        self.last_output = Instant::now();
    }

    /// Answers if the program is waiting for input.
    pub(crate) fn converse(&mut self) {
        let now = Instant::now();
        if now.duration_since(self.last_output) < QUIET || self.eofs >= MAX_EOFS {
            return;
        }
        let read_now = bytes_read(self.pid);
        if let Some((at, before)) = self.answered {
            // The last answer must have been read first: the program's count of bytes read
            // went up, or it has printed since (it only does once it has read the answer).
            let printed_since = self.last_output > at && !self.prompt.is_empty();
            let consumed = match (before, read_now) {
                (Some(b), Some(n)) => n > b || printed_since,
                _ => now.duration_since(at) >= QUIET_UNKNOWN,
            };
            if !consumed {
                return;
            }
        }
        let waiting = match reading_stdin(self.pid) {
            Some(w) => w,
            None => now.duration_since(self.last_output) >= QUIET_UNKNOWN,
        };
        if !waiting {
            return;
        }
        let prompt = String::from_utf8_lossy(&self.prompt).into_owned();
        let bytes = match self.responder.respond(&prompt) {
            Reply::Line(mut line) => {
                line.push('\n');
                line.into_bytes()
            }
            Reply::EndOfInput => {
                self.eofs += 1;
                vec![0x04]
            }
        };
        self.prompt.clear();
        if self.master.write_all(&bytes).is_err() {
            self.eofs = MAX_EOFS;
        }
        self.answered = Some((Instant::now(), read_now));
    }

    pub(crate) fn exchanges(self) -> Vec<Exchange> {
        self.responder.exchanges
    }
}

/// Whether `pid` is blocked reading its fd 0 (`/proc/PID/syscall`: `0 0x0 ...`); `None`
/// when the kernel does not say.
fn reading_stdin(pid: i32) -> Option<bool> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/syscall")).ok()?;
    let mut words = text.split_whitespace();
    match (words.next(), words.next()) {
        (Some("running"), _) => Some(false),
        (Some(nr), Some(fd)) => Some(nr == "0" && fd == "0x0"),
        _ => Some(false),
    }
}

/// The bytes `pid` has read so far (`rchar` of `/proc/PID/io`).
fn bytes_read(pid: i32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/io")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("rchar:"))
        .and_then(|v| v.trim().parse().ok())
}
