//! `fork(2)`, `waitpid(2)` and `_exit(2)`, safe for a program that has one thread.
//!
//! After [`fork`] there are two processes running the same program. The child's memory is a
//! copy of the parent's, so a variable the child changes stays as it was in the parent. But
//! an [`Attachment`](crate::Attachment) is inherited as a mapping of the same pages: what the
//! child writes through it, the parent reads (and `shm_nattch` counts both attachments).
//!
//! ```
//! use shm::{exit_now, fork, shmat, shmctl, shmdt, shmget};
//! use shm::{AtFlags, ChildExit, Forked, IpcFlags, Key, Mode, ShmctlCmd};
//!
//! # fn main() -> Result<(), shm::Errno> {
//! let id = shmget(Key::PRIVATE, 64, IpcFlags::IPC_CREAT | Mode::new(0o600))?;
//! let seg = shmat(id, None, AtFlags::empty())?;
//! match fork()? {
//!     Forked::Child => {
//!         // The same segment, at the same address, without calling shmat again.
//!         let done = seg.write_cstr("from the child").is_ok() && shmdt(seg).is_ok();
//!         exit_now(if done { 0 } else { 1 }) // never return into the parent's code
//!     }
//!     Forked::Parent(child) => assert_eq!(child.wait()?, ChildExit::Exited(0)),
//! }
//! assert_eq!(seg.read_cstr(), b"from the child");
//! shmdt(seg)?;
//! shmctl(id, ShmctlCmd::IpcRmid)?;
//! # Ok(())
//! # }
//! ```
//!
//! # Why only with one thread
//!
//! `fork` copies the calling thread alone. A lock that another thread held at that moment
//! (the allocator's, stdout's) stays locked in the child forever, so in a program with
//! several threads the child may only make async-signal-safe calls until it execs. Safe code
//! cannot promise that, so [`fork`] first counts the threads in `/proc/self/task` and
//! refuses with `EAGAIN` unless there is exactly one. With one thread no other thread can
//! start between the count and the fork (only this thread could start it), and the child,
//! an exact copy of that thread, may run any code.

use std::fmt;

use nix::errno::Errno;
use nix::sys::signal::Signal;

/// Which side of a [`fork`] this process is on.
#[derive(Debug)]
#[must_use = "the child must end with exit_now, and the parent should wait for the child"]
pub enum Forked {
    /// This is the new process (C: `fork()` returned 0). End it with [`exit_now`]: returning
    /// from here would run the rest of the parent's code a second time, in the child.
    Child,
    /// This is the process that called `fork` (C: `fork()` returned the child's pid); the
    /// child is running.
    Parent(Child),
}

/// A child process started by [`fork`] and not waited for yet.
#[derive(Debug)]
#[must_use = "a child that is never waited for stays a zombie until its parent exits"]
pub struct Child {
    pid: libc::pid_t,
}

/// How a child ended, as `waitpid` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChildExit {
    /// It exited with this status (C: `WIFEXITED`, `WEXITSTATUS`).
    Exited(i32),
    /// A signal with this number killed it (C: `WIFSIGNALED`, `WTERMSIG`).
    Signaled(i32),
}

impl ChildExit {
    /// Whether it exited with status 0.
    pub fn is_success(self) -> bool {
        self == ChildExit::Exited(0)
    }
}

impl fmt::Display for ChildExit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ChildExit::Exited(status) => write!(f, "exited with status {status}"),
            ChildExit::Signaled(sig) => match Signal::try_from(sig) {
                Ok(name) => write!(f, "killed by signal {sig} ({})", name.as_str()),
                Err(_) => write!(f, "killed by signal {sig}"),
            },
        }
    }
}

impl Child {
    /// The child's process id.
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// [`waitpid(2)`](https://man7.org/linux/man-pages/man2/waitpid.2.html) with flags 0:
    /// blocks until the child has ended, collects its status (so it is no zombie any more)
    /// and says how it ended. Interrupted by a signal (`EINTR`), it waits again.
    ///
    /// # Errors
    /// - `ECHILD`: the child was already collected elsewhere (`waitpid(-1, ...)`), or
    ///   `SIGCHLD` is ignored, so the kernel collected it itself.
    pub fn wait(self) -> Result<ChildExit, Errno> {
        loop {
            let mut status: libc::c_int = 0;
            // SAFETY: `status` is a valid, writable int, the only memory waitpid writes.
            let r = unsafe { libc::waitpid(self.pid, &mut status, 0) };
            match Errno::result(r) {
                Err(Errno::EINTR) => continue,
                Err(e) => return Err(e),
                Ok(_) => {}
            }
            if libc::WIFEXITED(status) {
                return Ok(ChildExit::Exited(libc::WEXITSTATUS(status)));
            }
            if libc::WIFSIGNALED(status) {
                return Ok(ChildExit::Signaled(libc::WTERMSIG(status)));
            }
            // Stopped or continued: flags 0 never reports those, but if it did, the child
            // has not ended yet.
        }
    }
}

/// [`fork(2)`](https://man7.org/linux/man-pages/man2/fork.2.html): starts a child process,
/// a copy of this one, and returns in both: [`Forked::Child`] in the child,
/// [`Forked::Parent`] in the parent.
///
/// The child inherits every attachment of the parent at the same address (`shm_nattch` goes
/// up by one for each, and `shm_lpid` becomes the parent's pid), a copy of all other memory,
/// and copies of the parent's buffers: text printed with `print!` and not flushed yet is in
/// the child's copy of stdout's buffer too. `println!` flushes at each newline, and
/// [`exit_now`] never flushes, so a child that ends with it prints nothing twice.
///
/// # Errors
/// - `EAGAIN`: this process has more than one thread, which this wrapper refuses (see
///   [why only with one thread](crate::process#why-only-with-one-thread)); or the limit of
///   processes (`RLIMIT_NPROC`, `pid_max`, the cgroup's `pids.max`) is reached.
/// - `ENOMEM`: no memory for the copy.
/// - `ENOENT` (or another errno of reading a directory): `/proc/self/task` cannot be read,
///   so the threads cannot be counted (`/proc` is not mounted).
pub fn fork() -> Result<Forked, Errno> {
    if thread_count()? != 1 {
        return Err(Errno::EAGAIN);
    }
    // SAFETY: the process has exactly one thread (counted just above; no other thread can
    // have started since, as only this one could start it). The child is a copy of this one
    // thread and of memory no other thread was changing, so no lock is held by a thread
    // that does not exist in the child: it may run any code, not only async-signal-safe
    // calls. fork touches no memory of ours.
    let pid = unsafe { libc::fork() };
    match Errno::result(pid)? {
        0 => Ok(Forked::Child),
        pid => Ok(Forked::Parent(Child { pid })),
    }
}

/// [`_exit(2)`](https://man7.org/linux/man-pages/man2/_exit.2.html): ends this process at
/// once with `status`, without running destructors, `atexit` handlers, or flushing stdout's
/// buffer. The way for a [`fork`]ed child to end: whatever the parent's code would do on its
/// way out (flush a buffer it copied, remove a segment in a `Drop`), the child does not do.
///
/// Like any exit, it detaches every attachment the process still has.
pub fn exit_now(status: i32) -> ! {
    // SAFETY: _exit has no preconditions. Skipping destructors only leaks, which is safe.
    unsafe { libc::_exit(status) }
}

/// The number of threads of this process: the entries of `/proc/self/task`.
pub(crate) fn thread_count() -> Result<usize, Errno> {
    let io_errno = |e: std::io::Error| e.raw_os_error().map_or(Errno::EIO, Errno::from_raw);
    let tasks = std::fs::read_dir("/proc/self/task").map_err(io_errno)?;
    let mut count = 0;
    for entry in tasks {
        entry.map_err(io_errno)?;
        count += 1;
    }
    Ok(count)
}
