//! The seccomp filters installed in the program between fork and exec.
//!
//! Every run, traced or not, is kept in the IPC namespace the checker looks at:
//! `unshare` and `clone` with `CLONE_NEWIPC`, and `setns`, fail with EPERM, and `clone3`
//! (whose flags are in memory, out of a filter's reach) fails with ENOSYS, so that the C
//! library falls back to `clone`, whose flags the filter reads. A traced run has the same
//! filter with three differences: the four shm calls stop for the tracer; so do `clone`,
//! `fork` and `vfork`, at their entry; and so do the native namespace calls, which the
//! tracer lets run and then watches for (it stops a run that makes a shm call from another
//! namespace, and says so). The 32-bit compat ABI's namespace calls are refused in every
//! run: the tracer does not follow that ABI.
#![allow(unsafe_code)]

use std::io;
use std::os::unix::process::CommandExt;
use std::process::Command;

use crate::model::timeline as trace;

// BPF opcodes and offsets of `struct seccomp_data` (linux/filter.h, linux/seccomp.h).
const BPF_LD_W_ABS: u16 = 0x20;
const BPF_JEQ_K: u16 = 0x15;
const BPF_JSET_K: u16 = 0x45;
const BPF_RET_K: u16 = 0x06;
const DATA_NR: u32 = 0;
const DATA_ARCH: u32 = 4;
/// The low 32 bits of the first argument (little-endian).
const DATA_ARG0_LOW: u32 = 16;
const SECCOMP_RET_ALLOW: u32 = 0x7fff_0000;
const SECCOMP_RET_TRACE: u32 = 0x7ff0_0000;
const SECCOMP_RET_ERRNO: u32 = 0x0005_0000;
const CLONE_NEWIPC: u32 = libc::CLONE_NEWIPC as u32;

/// `AUDIT_ARCH_*` of this machine (linux/audit.h), and of its 32-bit compat ABI with that
/// ABI's numbers for `unshare`, `setns`, `clone` and `clone3`.
#[cfg(target_arch = "x86_64")]
const AUDIT_ARCH: u32 = 0xc000_003e;
#[cfg(target_arch = "x86_64")]
const COMPAT: (u32, [u32; 4]) = (0x4000_0003, [310, 346, 120, 435]);
/// x32 system calls (same arch as x86_64, numbers with this bit set): refused outright.
#[cfg(target_arch = "x86_64")]
const X32_BIT: Option<u32> = Some(0x4000_0000);
#[cfg(target_arch = "aarch64")]
const AUDIT_ARCH: u32 = 0xc000_00b7;
#[cfg(target_arch = "aarch64")]
const COMPAT: (u32, [u32; 4]) = (0x4000_0028, [337, 375, 120, 435]);
#[cfg(target_arch = "aarch64")]
const X32_BIT: Option<u32> = None;
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
compile_error!("the tracer knows the syscall numbers of x86_64 and aarch64 only");

/// The calls that start a process or a thread: traced, they stop at their entry too, so
/// that the tracer reads the result of a call it let run without a stop at its end (see
/// `tracer::deferred`) before the attachments are copied. (`execve` cannot stop so: the
/// checker's own exec of the program would meet the filter before the tracer has asked for
/// seccomp stops, and fail with ENOSYS.)
#[cfg(target_arch = "x86_64")]
const PROCESS_CALLS: [i64; 3] = [libc::SYS_clone, libc::SYS_fork, libc::SYS_vfork];
#[cfg(target_arch = "aarch64")]
const PROCESS_CALLS: [i64; 1] = [libc::SYS_clone];

/// Where a jump goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum To {
    Next,
    Label(&'static str),
}

/// A filter being written, with jumps to labels resolved at the end.
#[derive(Default)]
struct Asm {
    ins: Vec<(u16, u32, To, To)>,
    labels: Vec<(&'static str, usize)>,
}

impl Asm {
    fn label(&mut self, name: &'static str) {
        self.labels.push((name, self.ins.len()));
    }
    fn load(&mut self, offset: u32) {
        self.ins.push((BPF_LD_W_ABS, offset, To::Next, To::Next));
    }
    fn jump_if(&mut self, code: u16, k: u32, to: &'static str) {
        self.ins.push((code, k, To::Label(to), To::Next));
    }
    fn ret(&mut self, value: u32) {
        self.ins.push((BPF_RET_K, value, To::Next, To::Next));
    }
    fn finish(self) -> Vec<libc::sock_filter> {
        let at = |name: &str| {
            self.labels
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, i)| *i)
                .expect("every label is defined")
        };
        self.ins
            .iter()
            .enumerate()
            .map(|(i, (code, k, jt, jf))| {
                let off = |to: &To| match to {
                    To::Next => 0,
                    To::Label(l) => u8::try_from(at(l) - (i + 1)).expect("a short jump"),
                };
                libc::sock_filter {
                    code: *code,
                    jt: off(jt),
                    jf: off(jf),
                    k: *k,
                }
            })
            .collect()
    }
}

/// The filter: with `traced`, the four shm calls and the namespace calls stop for the
/// tracer; without, the namespace calls fail. `clone3` fails with ENOSYS either way.
fn filter(traced: bool) -> Vec<libc::sock_filter> {
    let (compat_arch, [c_unshare, c_setns, c_clone, c_clone3]) = COMPAT;
    let namespace = if traced { "trace" } else { "eperm" };
    let mut a = Asm::default();
    a.load(DATA_ARCH);
    a.jump_if(BPF_JEQ_K, AUDIT_ARCH, "native");
    a.jump_if(BPF_JEQ_K, compat_arch, "compat");
    // Any other ABI: its numbers are not known here.
    a.ret(SECCOMP_RET_ALLOW);

    a.label("native");
    a.load(DATA_NR);
    if let Some(bit) = X32_BIT {
        a.jump_if(BPF_JSET_K, bit, "enosys");
    }
    if traced {
        for nr in trace::nr::ALL.into_iter().chain(PROCESS_CALLS) {
            a.jump_if(BPF_JEQ_K, nr as u32, "trace");
        }
    }
    a.jump_if(BPF_JEQ_K, libc::SYS_clone3 as u32, "enosys");
    a.jump_if(BPF_JEQ_K, libc::SYS_setns as u32, namespace);
    a.jump_if(BPF_JEQ_K, libc::SYS_unshare as u32, "flags");
    a.jump_if(BPF_JEQ_K, libc::SYS_clone as u32, "flags");
    a.ret(SECCOMP_RET_ALLOW);

    // The compat ABI's namespace calls are refused, traced or not: the tracer knows the
    // native numbers only, and does not see that ABI's shm calls (they go through `ipc`),
    // so it could not tell where they went.
    a.label("compat");
    a.load(DATA_NR);
    a.jump_if(BPF_JEQ_K, c_clone3, "enosys");
    a.jump_if(BPF_JEQ_K, c_setns, "eperm");
    a.jump_if(BPF_JEQ_K, c_unshare, "compat flags");
    a.jump_if(BPF_JEQ_K, c_clone, "compat flags");
    a.ret(SECCOMP_RET_ALLOW);

    // unshare and clone: only a new IPC namespace is refused (or traced).
    a.label("flags");
    a.load(DATA_ARG0_LOW);
    a.jump_if(BPF_JSET_K, CLONE_NEWIPC, namespace);
    a.ret(SECCOMP_RET_ALLOW);
    a.label("compat flags");
    a.load(DATA_ARG0_LOW);
    a.jump_if(BPF_JSET_K, CLONE_NEWIPC, "eperm");
    a.ret(SECCOMP_RET_ALLOW);

    if traced {
        a.label("trace");
        a.ret(SECCOMP_RET_TRACE);
    }
    a.label("eperm");
    a.ret(SECCOMP_RET_ERRNO | libc::EPERM as u32);
    a.label("enosys");
    a.ret(SECCOMP_RET_ERRNO | libc::ENOSYS as u32);
    a.finish()
}

/// The filter program, leaked so that it outlives the fork; its address.
fn leaked(traced: bool) -> usize {
    let prog = Box::leak(filter(traced).into_boxed_slice());
    let fprog = Box::leak(Box::new(libc::sock_fprog {
        len: prog.len() as u16,
        filter: prog.as_mut_ptr(),
    }));
    fprog as *const libc::sock_fprog as usize
}

/// Installs the filter at `fprog_addr` (a `sock_fprog`) in the calling process. Raw system
/// calls only: it runs between fork and exec.
fn install(fprog_addr: usize) -> io::Result<()> {
    // SAFETY: prctl and seccomp take integers and a pointer to the sock_fprog, which was
    // leaked before the fork and is valid in the child's copy of memory.
    unsafe {
        if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 {
            return Err(io::Error::last_os_error());
        }
        let r = libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            0,
            fprog_addr as *const libc::sock_fprog,
        );
        if r == -1 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Makes `cmd` start traced: between fork and exec the child asks to be traced by the
/// checker and installs the tracing filter. The first stop is the exec itself.
pub fn hook(cmd: &mut Command) {
    let fprog_addr = leaked(true);
    // SAFETY: the closure runs in the child between fork and exec and makes only raw system
    // calls (async-signal-safe, no allocation).
    unsafe {
        cmd.pre_exec(move || {
            if libc::ptrace(libc::PTRACE_TRACEME, 0, 0, 0) == -1 {
                return Err(io::Error::last_os_error());
            }
            install(fprog_addr)
        });
    }
}

/// Keeps an untraced program in the checker's IPC namespace: installs the filter that
/// refuses a new IPC namespace (and `setns`), between fork and exec. Without ptrace, the
/// checker could not see such a move, and would judge segments it cannot see.
pub fn confine(cmd: &mut Command) {
    let fprog_addr = leaked(false);
    // SAFETY: the closure runs in the child between fork and exec and makes only raw system
    // calls (async-signal-safe, no allocation).
    unsafe {
        cmd.pre_exec(move || install(fprog_addr));
    }
}

/// Whether system call `nr` with `args` (stopped at by the tracing filter) may move the
/// process to another IPC namespace: `setns`, or `unshare` or `clone` with `CLONE_NEWIPC`.
pub fn is_namespace_call(nr: i64, args: [u64; 6]) -> bool {
    let new_ipc = args[0] & u64::from(CLONE_NEWIPC) != 0;
    nr == libc::SYS_setns || (new_ipc && (nr == libc::SYS_unshare || nr == libc::SYS_clone))
}

/// Whether system call `nr` (stopped at by the tracing filter) starts a process or a thread.
pub fn is_process_call(nr: i64) -> bool {
    PROCESS_CALLS.contains(&nr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_jump_lands_inside_the_filter_on_a_return_or_a_load() {
        for traced in [false, true] {
            let prog = filter(traced);
            for (i, ins) in prog.iter().enumerate() {
                if ins.code == BPF_JEQ_K || ins.code == BPF_JSET_K {
                    for off in [ins.jt, ins.jf] {
                        let to = i + 1 + off as usize;
                        assert!(to < prog.len(), "instruction {i}");
                        assert!(
                            matches!(
                                prog[to].code,
                                BPF_RET_K | BPF_LD_W_ABS | BPF_JEQ_K | BPF_JSET_K
                            ),
                            "instruction {i}"
                        );
                    }
                }
            }
            assert_eq!(prog.last().unwrap().code, BPF_RET_K);
        }
    }

    /// What `prog` returns for a call: the four instructions the filters use, run as the
    /// kernel would on `struct seccomp_data` (nr, arch, then the arguments).
    fn verdict(prog: &[libc::sock_filter], arch: u32, nr: u32, arg0: u32) -> u32 {
        let word = |offset: u32| match offset {
            DATA_NR => nr,
            DATA_ARCH => arch,
            DATA_ARG0_LOW => arg0,
            other => panic!("the filters read no word at {other}"),
        };
        let (mut pc, mut acc) = (0usize, 0u32);
        loop {
            let ins = prog[pc];
            pc += 1;
            match ins.code {
                BPF_LD_W_ABS => acc = word(ins.k),
                BPF_JEQ_K | BPF_JSET_K => {
                    let hit = if ins.code == BPF_JEQ_K {
                        acc == ins.k
                    } else {
                        acc & ins.k != 0
                    };
                    pc += usize::from(if hit { ins.jt } else { ins.jf });
                }
                BPF_RET_K => return ins.k,
                other => panic!("opcode {other:#x}"),
            }
        }
    }

    #[test]
    fn a_new_ipc_namespace_is_refused_untraced_and_traced_in_the_compat_abi() {
        let (compat, [c_unshare, c_setns, c_clone, c_clone3]) = COMPAT;
        let eperm = SECCOMP_RET_ERRNO | libc::EPERM as u32;
        let new_ipc = CLONE_NEWIPC;
        for traced in [false, true] {
            let f = filter(traced);
            assert_eq!(verdict(&f, compat, c_unshare, new_ipc), eperm, "{traced}");
            assert_eq!(verdict(&f, compat, c_clone, new_ipc), eperm, "{traced}");
            assert_eq!(verdict(&f, compat, c_setns, 0), eperm, "{traced}");
            assert_eq!(verdict(&f, compat, c_clone, 0), SECCOMP_RET_ALLOW);
            assert_eq!(
                verdict(&f, compat, c_clone3, 0),
                SECCOMP_RET_ERRNO | libc::ENOSYS as u32
            );
            let native_unshare = verdict(&f, AUDIT_ARCH, libc::SYS_unshare as u32, new_ipc);
            let expected = if traced { SECCOMP_RET_TRACE } else { eperm };
            assert_eq!(native_unshare, expected, "{traced}");
        }
    }

    #[test]
    fn traced_forks_and_shm_calls_stop_and_ordinary_calls_and_exec_do_not() {
        let f = filter(true);
        let stops = |nr: i64| verdict(&f, AUDIT_ARCH, nr as u32, 0) == SECCOMP_RET_TRACE;
        for nr in trace::nr::ALL.into_iter().chain(PROCESS_CALLS) {
            assert!(stops(nr), "{nr}");
        }
        for nr in [libc::SYS_getppid, libc::SYS_execve, libc::SYS_write] {
            assert!(!stops(nr), "{nr}");
        }
        let untraced = filter(false);
        assert_eq!(
            verdict(&untraced, AUDIT_ARCH, libc::SYS_clone as u32, 0),
            SECCOMP_RET_ALLOW
        );
    }

    #[test]
    fn the_shm_calls_stop_for_the_tracer_only_when_traced() {
        let traces = |prog: &[libc::sock_filter]| {
            prog.iter()
                .any(|i| i.code == BPF_RET_K && i.k == SECCOMP_RET_TRACE)
        };
        assert!(traces(&filter(true)));
        assert!(!traces(&filter(false)));
    }
}
