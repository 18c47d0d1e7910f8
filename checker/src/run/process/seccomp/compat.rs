//! The part of the filters `seccompiler` cannot declare, written by hand: what the other
//! ABIs of this machine's native architecture may do.
//!
//! `seccompiler` 0.5 knows x86_64, aarch64 and riscv64 only, matches calls by their exact
//! number within that one architecture, and kills any call of another
//! (`SECCOMP_RET_KILL_PROCESS`, see `rules::allow_other_arches`). Two things escape it:
//!
//! - **The 32-bit compat ABI** (i386 on x86_64, arm on aarch64), whose `AUDIT_ARCH_*` is
//!   not one of its targets. Its namespace calls are refused in every run, traced or not:
//!   `unshare` and `clone` with `CLONE_NEWIPC`, and `setns`, fail with EPERM, `clone3` with
//!   ENOSYS. The tracer knows the native numbers only, and does not see that ABI's shm
//!   calls (they go through `ipc`, or numbers of their own), so it could not tell where a
//!   32-bit program's calls went. Everything else in that ABI, `ipc` included, runs.
//! - **x32** (on x86_64): the native architecture with bit 30 set in the number, a whole
//!   range of numbers that `seccompiler`'s rules (one number each) cannot name. Every x32
//!   call fails with ENOSYS: its numbers are not known here.
//!
//! Calls of the native ABI (and of any architecture other than these) are allowed by this
//! filter; the rules in `rules` judge the native ones.

use seccompiler::{sock_filter, BpfProgram};

// BPF opcodes and offsets of `struct seccomp_data` (linux/filter.h, linux/seccomp.h).
pub(super) const BPF_LD_W_ABS: u16 = 0x20;
pub(super) const BPF_JEQ_K: u16 = 0x15;
pub(super) const BPF_JSET_K: u16 = 0x45;
pub(super) const BPF_RET_K: u16 = 0x06;
pub(super) const DATA_NR: u32 = 0;
pub(super) const DATA_ARCH: u32 = 4;
/// The low 32 bits of the first argument (little-endian).
pub(super) const DATA_ARG0_LOW: u32 = 16;
const ERRNO_EPERM: u32 = libc::SECCOMP_RET_ERRNO | libc::EPERM as u32;
const ERRNO_ENOSYS: u32 = libc::SECCOMP_RET_ERRNO | libc::ENOSYS as u32;
const CLONE_NEWIPC: u32 = libc::CLONE_NEWIPC as u32;

/// The compat ABI's numbers of the namespace calls.
pub(super) struct Compat {
    pub arch: u32,
    pub unshare: u32,
    pub setns: u32,
    pub clone: u32,
    pub clone3: u32,
}

/// `AUDIT_ARCH_*` of this machine (linux/audit.h), and its 32-bit compat ABI.
#[cfg(target_arch = "x86_64")]
pub(super) const AUDIT_ARCH: u32 = 0xc000_003e;
#[cfg(target_arch = "x86_64")]
pub(super) const COMPAT: Compat = Compat {
    arch: 0x4000_0003,
    unshare: 310,
    setns: 346,
    clone: 120,
    clone3: 435,
};
/// x32 system calls (same arch as x86_64, numbers with this bit set): refused outright.
#[cfg(target_arch = "x86_64")]
pub(super) const X32_BIT: Option<u32> = Some(0x4000_0000);
#[cfg(target_arch = "aarch64")]
pub(super) const AUDIT_ARCH: u32 = 0xc000_00b7;
#[cfg(target_arch = "aarch64")]
pub(super) const COMPAT: Compat = Compat {
    arch: 0x4000_0028,
    unshare: 337,
    setns: 375,
    clone: 120,
    clone3: 435,
};
#[cfg(target_arch = "aarch64")]
pub(super) const X32_BIT: Option<u32> = None;
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
compile_error!("the tracer knows the syscall numbers of x86_64 and aarch64 only");

/// The filter, the same in traced and untraced runs.
pub(super) fn program() -> BpfProgram {
    let c = COMPAT;
    let mut a = Asm::default();
    a.load(DATA_ARCH);
    a.jump_if(BPF_JEQ_K, AUDIT_ARCH, "native");
    a.jump_if(BPF_JEQ_K, c.arch, "compat");
    // Any other ABI: its numbers are not known here.
    a.ret(libc::SECCOMP_RET_ALLOW);

    a.label("native");
    if let Some(bit) = X32_BIT {
        a.load(DATA_NR);
        a.jump_if(BPF_JSET_K, bit, "enosys");
    }
    a.ret(libc::SECCOMP_RET_ALLOW);

    a.label("compat");
    a.load(DATA_NR);
    a.jump_if(BPF_JEQ_K, c.clone3, "enosys");
    a.jump_if(BPF_JEQ_K, c.setns, "eperm");
    a.jump_if(BPF_JEQ_K, c.unshare, "flags");
    a.jump_if(BPF_JEQ_K, c.clone, "flags");
    a.ret(libc::SECCOMP_RET_ALLOW);

    // unshare and clone: only a new IPC namespace is refused.
    a.label("flags");
    a.load(DATA_ARG0_LOW);
    a.jump_if(BPF_JSET_K, CLONE_NEWIPC, "eperm");
    a.ret(libc::SECCOMP_RET_ALLOW);

    a.label("eperm");
    a.ret(ERRNO_EPERM);
    a.label("enosys");
    a.ret(ERRNO_ENOSYS);
    a.finish()
}

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
    fn finish(self) -> BpfProgram {
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
                sock_filter {
                    code: *code,
                    jt: off(jt),
                    jf: off(jf),
                    k: *k,
                }
            })
            .collect()
    }
}
