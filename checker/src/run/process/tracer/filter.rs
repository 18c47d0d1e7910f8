//! The seccomp filter and the pre-exec hook that make a program start traced.
#![allow(unsafe_code)]

use std::io;
use std::os::unix::process::CommandExt;
use std::process::Command;

use crate::model::timeline as trace;

// BPF opcodes and offsets of `struct seccomp_data` (linux/filter.h, linux/seccomp.h).
const BPF_LD_W_ABS: u16 = 0x20;
const BPF_JEQ_K: u16 = 0x15;
const BPF_RET_K: u16 = 0x06;
const DATA_NR: u32 = 0;
const DATA_ARCH: u32 = 4;
const SECCOMP_RET_ALLOW: u32 = 0x7fff_0000;
const SECCOMP_RET_TRACE: u32 = 0x7ff0_0000;

/// `AUDIT_ARCH_*` of this machine (linux/audit.h).
#[cfg(target_arch = "x86_64")]
const AUDIT_ARCH: u32 = 0xc000_003e;
#[cfg(target_arch = "aarch64")]
const AUDIT_ARCH: u32 = 0xc000_00b7;
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
compile_error!("the tracer knows the syscall numbers of x86_64 and aarch64 only");

fn stmt(code: u16, k: u32) -> libc::sock_filter {
    libc::sock_filter {
        code,
        jt: 0,
        jf: 0,
        k,
    }
}

/// The filter: the four shm calls of this architecture stop for the tracer; all else runs.
fn filter() -> Vec<libc::sock_filter> {
    let calls = trace::nr::ALL;
    let n = calls.len() as u8;
    let mut prog = vec![
        stmt(BPF_LD_W_ABS, DATA_ARCH),
        // Another ABI (e.g. 32-bit calls): allow, since its numbers differ.
        libc::sock_filter {
            code: BPF_JEQ_K,
            jt: 1,
            jf: 0,
            k: AUDIT_ARCH,
        },
        stmt(BPF_RET_K, SECCOMP_RET_ALLOW),
        stmt(BPF_LD_W_ABS, DATA_NR),
    ];
    for (i, nr) in calls.iter().enumerate() {
        // Jump forward to the TRACE return past the remaining comparisons and the ALLOW.
        let to_trace = n - i as u8;
        prog.push(libc::sock_filter {
            code: BPF_JEQ_K,
            jt: to_trace,
            jf: 0,
            k: *nr as u32,
        });
    }
    prog.push(stmt(BPF_RET_K, SECCOMP_RET_ALLOW));
    prog.push(stmt(BPF_RET_K, SECCOMP_RET_TRACE));
    prog
}

/// Makes `cmd` start traced: between fork and exec the child asks to be traced by the
/// checker and installs the seccomp filter. The first stop is the exec itself.
pub fn hook(cmd: &mut Command) {
    let prog = Box::leak(filter().into_boxed_slice());
    let fprog = Box::leak(Box::new(libc::sock_fprog {
        len: prog.len() as u16,
        filter: prog.as_mut_ptr(),
    }));
    let fprog_addr = fprog as *const libc::sock_fprog as usize;
    // SAFETY: the closure runs in the child between fork and exec and makes only raw system
    // calls (async-signal-safe, no allocation). The filter it points to was allocated before
    // the fork and leaked, so it is valid in the child's copy of memory.
    unsafe {
        cmd.pre_exec(move || {
            if libc::ptrace(libc::PTRACE_TRACEME, 0, 0, 0) == -1 {
                return Err(io::Error::last_os_error());
            }
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
            Ok(())
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_jumps_land_on_the_trace_return() {
        let prog = filter();
        let trace_at = prog.len() - 1;
        assert_eq!(prog[trace_at].k, SECCOMP_RET_TRACE);
        for (i, ins) in prog.iter().enumerate().skip(4) {
            if ins.code == BPF_JEQ_K {
                assert_eq!(i + 1 + ins.jt as usize, trace_at, "instruction {i}");
            }
        }
    }
}
