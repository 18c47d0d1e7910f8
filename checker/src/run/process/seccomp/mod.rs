//! The seccomp filters installed in the program between fork and exec.
//!
//! Every run, traced or not, is kept in the IPC namespace the checker looks at:
//! `unshare` and `clone` with `CLONE_NEWIPC`, and `setns`, fail with EPERM, and `clone3`
//! (whose flags are in memory, out of a filter's reach) fails with ENOSYS, so that the C
//! library falls back to `clone`, whose flags the filter reads. A traced run has the same
//! filters with three differences: the four shm calls stop for the tracer; so do `clone`,
//! `fork` and `vfork`, at their entry; and so do the native namespace calls, which the
//! tracer lets run and then watches for (it stops a run that makes a shm call from another
//! namespace, and says so). The 32-bit compat ABI's namespace calls are refused in every
//! run: the tracer does not follow that ABI. x32 calls fail with ENOSYS.
//!
//! # How the filters are made
//!
//! The native ABI's rules are data ([`rules::rules`]: a call number, a condition on its
//! flags, an action), compiled to BPF by `seccompiler`, one program per action (it gives a
//! filter a single action for what it matches). What `seccompiler` cannot declare is one
//! small program written by hand ([`compat`]): the compat ABI, which is not one of its
//! target architectures, and the x32 range of numbers. `seccompiler` kills the process on
//! a call of another architecture; that one instruction of its programs is made "allow"
//! (`rules::allow_other_arches`), which leaves the other ABIs to the hand-written program.
//!
//! So a run gets three filters. The kernel runs all of them on each call and takes the
//! action of highest precedence (ERRNO before TRACE before ALLOW; between equal ones, the
//! last filter installed). No two of ours return other than ALLOW for the same call (the
//! tests check it on every call they try), so the result is what that one says, and the
//! order of installation does not matter. An ordinary call costs what it did with one
//! filter: every program decides it from its number and architecture alone, which the
//! kernel (5.11 and later) then caches as allowed without running any of them.
#![allow(unsafe_code)]

mod compat;
mod rules;
#[cfg(test)]
mod tests;

use std::io;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::sync::OnceLock;

use seccompiler::BpfProgram;

/// The calls that start a process or a thread: traced, they stop at their entry too, so
/// that the tracer reads the result of a call it let run without a stop at its end (see
/// `tracer::deferred`) before the attachments are copied. (`execve` cannot stop so: the
/// checker's own exec of the program would meet the filter before the tracer has asked for
/// seccomp stops, and fail with ENOSYS.)
#[cfg(target_arch = "x86_64")]
const PROCESS_CALLS: [i64; 3] = [libc::SYS_clone, libc::SYS_fork, libc::SYS_vfork];
#[cfg(target_arch = "aarch64")]
const PROCESS_CALLS: [i64; 1] = [libc::SYS_clone];

/// The filters of a run, in the order they are installed: the native rules compiled by
/// `seccompiler`, then the hand-written program for the other ABIs.
fn filters(traced: bool) -> Vec<BpfProgram> {
    let mut programs = rules::compile(&rules::rules(traced));
    programs.push(compat::program());
    programs
}

/// The filters, compiled once per process and kept for its life, so that a child between
/// fork and exec reads them from its copy of memory without allocating.
fn compiled(traced: bool) -> &'static [BpfProgram] {
    static TRACED: OnceLock<Vec<BpfProgram>> = OnceLock::new();
    static UNTRACED: OnceLock<Vec<BpfProgram>> = OnceLock::new();
    let cell = if traced { &TRACED } else { &UNTRACED };
    cell.get_or_init(|| filters(traced))
}

/// Installs `filters` in the calling process, in order. Raw system calls only, and no
/// allocation: it runs between fork and exec. (`seccompiler::apply_filter` does about
/// this, but promises nothing about allocating, which a child of a forked process must
/// not do.)
fn install(filters: &[BpfProgram]) -> io::Result<()> {
    // SAFETY: prctl takes integers.
    if unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) } == -1 {
        return Err(io::Error::last_os_error());
    }
    for prog in filters {
        let fprog = libc::sock_fprog {
            // Far below u16::MAX (a test checks it), and nothing may panic here.
            len: prog.len() as u16,
            // seccompiler's `sock_filter` is linux/filter.h's `struct sock_filter`
            // (`repr(C)`, the same fields), and the kernel only reads it.
            filter: prog.as_ptr() as *mut libc::sock_filter,
        };
        // SAFETY: seccomp takes integers and a pointer to the sock_fprog on this stack,
        // whose instructions live as long as the process (see `compiled`); the kernel
        // copies them before it returns.
        let r = unsafe {
            libc::syscall(
                libc::SYS_seccomp,
                libc::SECCOMP_SET_MODE_FILTER,
                0,
                &fprog as *const libc::sock_fprog,
            )
        };
        if r == -1 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Makes `cmd` start traced: between fork and exec the child asks to be traced by the
/// checker and installs the tracing filters. The first stop is the exec itself.
pub fn hook(cmd: &mut Command) {
    let filters = compiled(true);
    // SAFETY: the closure runs in the child between fork and exec and makes only raw system
    // calls (async-signal-safe, no allocation).
    unsafe {
        cmd.pre_exec(move || {
            if libc::ptrace(libc::PTRACE_TRACEME, 0, 0, 0) == -1 {
                return Err(io::Error::last_os_error());
            }
            install(filters)
        });
    }
}

/// Keeps an untraced program in the checker's IPC namespace: installs the filters that
/// refuse a new IPC namespace (and `setns`), between fork and exec. Without ptrace, the
/// checker could not see such a move, and would judge segments it cannot see.
pub fn confine(cmd: &mut Command) {
    let filters = compiled(false);
    // SAFETY: the closure runs in the child between fork and exec and makes only raw system
    // calls (async-signal-safe, no allocation).
    unsafe {
        cmd.pre_exec(move || install(filters));
    }
}

/// Whether system call `nr` with `args` (stopped at by the tracing filter) may move the
/// process to another IPC namespace: `setns`, or `unshare` or `clone` with `CLONE_NEWIPC`.
/// (The calls the untraced filter refuses with EPERM, which a test checks.)
pub fn is_namespace_call(nr: i64, args: [u64; 6]) -> bool {
    let new_ipc = args[0] & libc::CLONE_NEWIPC as u64 != 0;
    nr == libc::SYS_setns || (new_ipc && (nr == libc::SYS_unshare || nr == libc::SYS_clone))
}

/// Whether system call `nr` (stopped at by the tracing filter) starts a process or a thread.
pub fn is_process_call(nr: i64) -> bool {
    PROCESS_CALLS.contains(&nr)
}
