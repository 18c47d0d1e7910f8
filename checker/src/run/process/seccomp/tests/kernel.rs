//! The filters installed for real, in a forked child, and a few calls made under them: what
//! the evaluator cannot show (that the kernel takes the action of highest precedence
//! across the three filters, and that no filter kills a call of the compat ABI).

use std::io::Read;
use std::os::fd::AsRawFd;

use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::Pid;

use super::super::{compiled, install};
use super::NEWIPC;
use seccompiler::BpfProgram;

const EPERM: i64 = -(libc::EPERM as i64);
const ENOSYS: i64 = -(libc::ENOSYS as i64);
const EINVAL: i64 = -(libc::EINVAL as i64);

/// A call made in the child, and what it must return there: its result or minus its errno
/// (or 1, for a probe that compares a result itself).
struct Probe {
    what: &'static str,
    call: fn() -> i64,
    expect: i64,
}

fn probe(what: &'static str, call: fn() -> i64, expect: i64) -> Probe {
    Probe { what, call, expect }
}

/// A native call's result, or minus its errno.
fn native(nr: i64, a0: u64, a1: u64) -> i64 {
    // SAFETY: the calls probed take integers, or a null pointer they refuse.
    let r = unsafe { libc::syscall(nr, a0, a1) };
    if r == -1 {
        -i64::from(nix::errno::Errno::last_raw())
    } else {
        r
    }
}

/// A call of the i386 compat ABI from this 64-bit process (`int 0x80`, which the kernel
/// and seccomp see as `AUDIT_ARCH_I386`): its result or minus its errno. The arguments go
/// in ebx, ecx, edx, esi and edi.
#[cfg(target_arch = "x86_64")]
fn compat(nr: u32, args: [u32; 5]) -> i64 {
    let ret: i32;
    // SAFETY: `int 0x80` makes the system call, and the calls probed write no memory of
    // this process; rbx (which LLVM keeps for itself) is swapped in and out around it, and
    // r8-r11, which older kernels zero on that path, are declared clobbered.
    unsafe {
        std::arch::asm!(
            "xchg {b}, rbx",
            "int 0x80",
            "xchg {b}, rbx",
            b = inout(reg) u64::from(args[0]) => _,
            inlateout("eax") nr as i32 => ret,
            in("ecx") args[1],
            in("edx") args[2],
            in("esi") args[3],
            in("edi") args[4],
            out("r8") _,
            out("r9") _,
            out("r10") _,
            out("r11") _,
        );
    }
    i64::from(ret)
}

/// Forks a child that installs `filters`, makes the `probes`' calls and writes their
/// results to a pipe. Returns them, or how the child ended if it did not exit with 0.
fn in_child(filters: &[BpfProgram], probes: &[Probe]) -> Result<Vec<i64>, String> {
    let (reader, writer) = nix::unistd::pipe().unwrap();
    // SAFETY: the child makes raw system calls only (no allocation, no lock) and leaves with
    // `_exit`, so the test harness's other threads do not matter to it.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork");
    if pid == 0 {
        let code = if install(filters).is_err() { 2 } else { 0 };
        for p in probes.iter().filter(|_| code == 0) {
            let r = (p.call)();
            // SAFETY: writes the 8 bytes of a live local to the pipe.
            unsafe { libc::write(writer.as_raw_fd(), (&r as *const i64).cast(), 8) };
        }
        // SAFETY: ends the child at once.
        unsafe { libc::_exit(code) };
    }
    drop(writer);
    let mut bytes = Vec::new();
    std::fs::File::from(reader).read_to_end(&mut bytes).unwrap();
    let pid = Pid::from_raw(pid);
    let status = waitpid(pid, None).unwrap();
    if status != WaitStatus::Exited(pid, 0) {
        return Err(format!("the child ended so: {status:?}"));
    }
    let words = bytes.chunks_exact(8);
    Ok(words
        .map(|w| i64::from_ne_bytes(w.try_into().unwrap()))
        .collect())
}

/// Probes of the native ABI. With the tracing filters and no tracer, a call that stops for
/// the tracer fails with ENOSYS instead (seccomp(2)).
fn native_probes(traced: bool) -> Vec<Probe> {
    let stops_or = |untraced: i64| if traced { ENOSYS } else { untraced };
    let mut probes = vec![
        probe(
            "unshare(CLONE_NEWIPC)",
            || native(libc::SYS_unshare, NEWIPC, 0),
            stops_or(EPERM),
        ),
        probe("unshare(0)", || native(libc::SYS_unshare, 0, 0), 0),
        probe(
            "setns(-1, 0)",
            || native(libc::SYS_setns, u64::MAX, 0),
            stops_or(EPERM),
        ),
        probe("clone3(NULL, 0)", || native(libc::SYS_clone3, 0, 0), ENOSYS),
        probe(
            "shmdt(NULL)",
            || native(libc::SYS_shmdt, 0, 0),
            stops_or(EINVAL),
        ),
        probe(
            "getppid() > 0",
            || i64::from(native(libc::SYS_getppid, 0, 0) > 0),
            1,
        ),
    ];
    #[cfg(target_arch = "x86_64")]
    probes.push(probe(
        "x32 getpid",
        || native(libc::SYS_getpid | 0x4000_0000, 0, 0),
        ENOSYS,
    ));
    probes
}

/// i386's `getpid` gives this process's pid.
#[cfg(target_arch = "x86_64")]
fn compat_getpid() -> Probe {
    let same = || i64::from(compat(20, [0; 5]) == native(libc::SYS_getpid, 0, 0));
    probe("compat getpid", same, 1)
}

/// Probes of the i386 compat ABI: the same in traced and untraced runs.
#[cfg(target_arch = "x86_64")]
fn compat_probes() -> Vec<Probe> {
    // The numbers are written out below: a `fn` cannot capture them.
    let c = super::COMPAT;
    assert_eq!((c.unshare, c.setns, c.clone3), (310, 346, 435));
    vec![
        compat_getpid(),
        probe(
            "compat unshare(CLONE_NEWIPC)",
            || compat(310, [NEWIPC as u32, 0, 0, 0, 0]),
            EPERM,
        ),
        probe("compat unshare(0)", || compat(310, [0; 5]), 0),
        probe(
            "compat setns(-1, 0)",
            || compat(346, [u32::MAX, 0, 0, 0, 0]),
            EPERM,
        ),
        probe("compat clone3(NULL, 0)", || compat(435, [0; 5]), ENOSYS),
        // ipc(SHMDT, 0, 0, 0, NULL): runs, untraced, and the kernel refuses the address.
        probe(
            "compat ipc(SHMDT, NULL)",
            || compat(117, [22, 0, 0, 0, 0]),
            EINVAL,
        ),
    ]
}

#[test]
fn the_kernel_applies_the_installed_filters_as_the_evaluator_says() {
    for traced in [false, true] {
        #[allow(unused_mut)]
        let mut probes = native_probes(traced);
        #[cfg(target_arch = "x86_64")]
        {
            // Some kernels have no i386 emulation (`ia32_emulation=0`): nothing to try there.
            match in_child(&[], &[compat_getpid()]) {
                Ok(r) if r == [1] => probes.extend(compat_probes()),
                other => eprintln!("no i386 compat ABI here ({other:?}): not probed"),
            }
        }
        let results =
            in_child(compiled(traced), &probes).unwrap_or_else(|e| panic!("traced {traced}: {e}"));
        assert_eq!(results.len(), probes.len());
        for (p, got) in probes.iter().zip(&results) {
            assert_eq!(*got, p.expect, "traced {traced}: {}", p.what);
        }
    }
}
