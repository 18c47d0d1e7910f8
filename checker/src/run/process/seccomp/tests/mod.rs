//! The filters run on calls: by a BPF evaluator that does what the kernel does (each
//! program on `struct seccomp_data`, then the action of highest precedence), and, for a
//! few calls, by the kernel itself in a forked child.

use seccompiler::sock_filter;

use super::compat::{
    AUDIT_ARCH, BPF_JEQ_K, BPF_JSET_K, BPF_LD_W_ABS, BPF_RET_K, COMPAT, DATA_ARCH, DATA_NR,
};
use super::*;
use crate::model::timeline as trace;

mod kernel;

// The other instructions `seccompiler` writes (linux/bpf_common.h).
const BPF_JA: u16 = 0x05;
const BPF_JGT_K: u16 = 0x25;
const BPF_JGE_K: u16 = 0x35;
const BPF_ALU_AND_K: u16 = 0x54;
const JUMPS: [u16; 4] = [BPF_JEQ_K, BPF_JSET_K, BPF_JGT_K, BPF_JGE_K];

const ALLOW: u32 = libc::SECCOMP_RET_ALLOW;
const TRACE: u32 = libc::SECCOMP_RET_TRACE;
const EPERM: u32 = libc::SECCOMP_RET_ERRNO | libc::EPERM as u32;
const ENOSYS: u32 = libc::SECCOMP_RET_ERRNO | libc::ENOSYS as u32;
const NEWIPC: u64 = libc::CLONE_NEWIPC as u64;
const NEWUSER: u64 = libc::CLONE_NEWUSER as u64;
const NEWNS: u64 = libc::CLONE_NEWNS as u64;
const SIGCHLD: u64 = libc::SIGCHLD as u64;

/// What one program returns for a call (`arch`, `nr`, `args`), run as the kernel would on
/// `struct seccomp_data`: the number, the arch, the instruction pointer (which no filter
/// reads), then the six arguments, each as its low and high 32 bits.
fn run(prog: &[sock_filter], arch: u32, nr: u32, args: [u64; 6]) -> u32 {
    let word = |offset: u32| match (offset, offset.wrapping_sub(16)) {
        (DATA_NR, _) => nr,
        (DATA_ARCH, _) => arch,
        (16..=63, from_args) => match (args[from_args as usize / 8], from_args % 8) {
            (arg, 0) => arg as u32,
            (arg, 4) => (arg >> 32) as u32,
            _ => panic!("a word across two arguments at {offset}"),
        },
        (other, _) => panic!("the filters read no word at {other}"),
    };
    let (mut pc, mut acc) = (0usize, 0u32);
    loop {
        let ins = &prog[pc];
        pc += 1;
        match ins.code {
            BPF_LD_W_ABS => acc = word(ins.k),
            BPF_ALU_AND_K => acc &= ins.k,
            BPF_JA => pc += ins.k as usize,
            code if JUMPS.contains(&code) => {
                let hit = match code {
                    BPF_JEQ_K => acc == ins.k,
                    BPF_JSET_K => acc & ins.k != 0,
                    BPF_JGT_K => acc > ins.k,
                    _ => acc >= ins.k,
                };
                pc += usize::from(if hit { ins.jt } else { ins.jf });
            }
            BPF_RET_K => return ins.k,
            other => panic!("opcode {other:#x}"),
        }
    }
}

/// The action of a run's filters for a call, and how many of them said other than allow:
/// the kernel runs every filter, the most recently installed first, and keeps the first
/// action of highest precedence (the lowest `SECCOMP_RET_ACTION_FULL` bits, as a signed
/// number: kill, trap, errno, user notif, trace, log, allow).
fn judged(filters: &[BpfProgram], arch: u32, nr: u32, args: [u64; 6]) -> (u32, usize) {
    let precedence = |ret: u32| (ret & libc::SECCOMP_RET_ACTION_FULL) as i32;
    let mut ret = ALLOW;
    let mut deciding = 0;
    for prog in filters.iter().rev() {
        let this = run(prog, arch, nr, args);
        if this != ALLOW {
            deciding += 1;
        }
        if precedence(this) < precedence(ret) {
            ret = this;
        }
    }
    (ret, deciding)
}

fn verdict(filters: &[BpfProgram], arch: u32, nr: u32, arg0: u64) -> u32 {
    judged(filters, arch, nr, [arg0, 0, 0, 0, 0, 0]).0
}

#[test]
fn every_jump_lands_inside_the_filter_on_a_return_or_a_load() {
    for traced in [false, true] {
        for prog in filters(traced) {
            assert!(prog.len() < 256, "a short filter");
            for (i, ins) in prog.iter().enumerate() {
                let targets = match ins.code {
                    code if JUMPS.contains(&code) => vec![ins.jt as usize, ins.jf as usize],
                    BPF_JA => vec![ins.k as usize],
                    _ => continue,
                };
                for off in targets {
                    let to = i + 1 + off;
                    assert!(to < prog.len(), "instruction {i}");
                    let code = prog[to].code;
                    assert!(
                        matches!(code, BPF_RET_K | BPF_LD_W_ABS | BPF_JA) || JUMPS.contains(&code),
                        "instruction {i}"
                    );
                }
            }
            assert_eq!(prog.last().unwrap().code, BPF_RET_K);
        }
    }
}

#[test]
fn no_filter_kills_a_call_of_another_architecture() {
    for traced in [false, true] {
        for prog in filters(traced) {
            let kills = |i: &sock_filter| {
                let action = i.k & libc::SECCOMP_RET_ACTION_FULL;
                let kill = [
                    libc::SECCOMP_RET_KILL_PROCESS,
                    libc::SECCOMP_RET_KILL_THREAD,
                ];
                i.code == BPF_RET_K && kill.contains(&action)
            };
            assert!(!prog.iter().any(kills), "{traced}: {prog:?}");
        }
    }
}

#[test]
fn a_new_ipc_namespace_is_refused_untraced_and_traced_in_the_compat_abi() {
    let c = COMPAT;
    for traced in [false, true] {
        let f = filters(traced);
        assert_eq!(verdict(&f, c.arch, c.unshare, NEWIPC), EPERM, "{traced}");
        assert_eq!(verdict(&f, c.arch, c.clone, NEWIPC), EPERM, "{traced}");
        assert_eq!(verdict(&f, c.arch, c.setns, 0), EPERM, "{traced}");
        assert_eq!(verdict(&f, c.arch, c.clone, 0), ALLOW);
        assert_eq!(verdict(&f, c.arch, c.clone3, 0), ENOSYS);
        let native_unshare = verdict(&f, AUDIT_ARCH, libc::SYS_unshare as u32, NEWIPC);
        let expected = if traced { TRACE } else { EPERM };
        assert_eq!(native_unshare, expected, "{traced}");
    }
}

#[test]
fn traced_forks_and_shm_calls_stop_and_ordinary_calls_and_exec_do_not() {
    let f = filters(true);
    let stops = |nr: i64| verdict(&f, AUDIT_ARCH, nr as u32, 0) == TRACE;
    for nr in trace::nr::ALL.into_iter().chain(PROCESS_CALLS) {
        assert!(stops(nr), "{nr}");
    }
    for nr in [libc::SYS_getppid, libc::SYS_execve, libc::SYS_write] {
        assert!(!stops(nr), "{nr}");
    }
    let untraced = filters(false);
    assert_eq!(
        verdict(&untraced, AUDIT_ARCH, libc::SYS_clone as u32, 0),
        ALLOW
    );
}

#[test]
fn the_shm_calls_stop_for_the_tracer_only_when_traced() {
    let traces = |filters: &[BpfProgram]| {
        filters
            .iter()
            .flatten()
            .any(|i| i.code == BPF_RET_K && i.k & libc::SECCOMP_RET_ACTION_FULL == TRACE)
    };
    assert!(traces(&filters(true)));
    assert!(!traces(&filters(false)));
}

#[test]
fn each_native_number_has_one_rule_at_most() {
    for traced in [false, true] {
        let rules = rules::rules(traced);
        for (i, r) in rules.iter().enumerate() {
            assert!(
                rules[..i].iter().all(|earlier| earlier.nr != r.nr),
                "{traced}: {r:?}"
            );
        }
    }
}

/// A call the table tries: its ABI, number and first two arguments, and the action of
/// the untraced and the traced filters.
struct Case {
    what: &'static str,
    arch: u32,
    nr: u32,
    args: [u64; 2],
    untraced: u32,
    traced: u32,
}

fn case(
    what: &'static str,
    arch: u32,
    nr: i64,
    args: [u64; 2],
    untraced: u32,
    traced: u32,
) -> Case {
    let nr = nr as u32;
    Case {
        what,
        arch,
        nr,
        args,
        untraced,
        traced,
    }
}

/// The calls of the table, with the numbers of this machine: what each is, its first two
/// arguments, and the action of the untraced and of the traced filters.
#[rustfmt::skip]
fn cases() -> Vec<Case> {
    let native = |what, nr, args, untraced, traced| case(what, AUDIT_ARCH, nr, args, untraced, traced);
    let c = COMPAT;
    let compat = |what, nr: u32, args, both| case(what, c.arch, nr.into(), args, both, both);
    use libc::{SYS_clone, SYS_clone3, SYS_setns, SYS_unshare};
    let mut cases = vec![
        native("shmget",                  libc::SYS_shmget, [0, 4096],              ALLOW,  TRACE),
        native("shmat",                   libc::SYS_shmat,  [0, 0],                 ALLOW,  TRACE),
        native("shmdt",                   libc::SYS_shmdt,  [0, 0],                 ALLOW,  TRACE),
        native("shmctl",                  libc::SYS_shmctl, [0, 0],                 ALLOW,  TRACE),
        native("clone (a fork)",          SYS_clone,        [SIGCHLD, 0],           ALLOW,  TRACE),
        native("clone NEWIPC",            SYS_clone,        [NEWIPC | SIGCHLD, 0],  EPERM,  TRACE),
        native("clone NEWUSER",           SYS_clone,        [NEWUSER | SIGCHLD, 0], ALLOW,  TRACE),
        native("clone NEWNS",             SYS_clone,        [NEWNS | SIGCHLD, 0],   ALLOW,  TRACE),
        native("clone NEWUSER|NEWIPC",    SYS_clone,        [NEWUSER | NEWIPC, 0],  EPERM,  TRACE),
        native("clone, flags past 32 bits", SYS_clone,      [1 << 40, 0],           ALLOW,  TRACE),
        native("clone3",                  SYS_clone3,       [0, 88],                ENOSYS, ENOSYS),
        native("unshare NEWIPC",          SYS_unshare,      [NEWIPC, 0],            EPERM,  TRACE),
        native("unshare NEWUSER",         SYS_unshare,      [NEWUSER, 0],           ALLOW,  ALLOW),
        native("unshare NEWNS",           SYS_unshare,      [NEWNS, 0],             ALLOW,  ALLOW),
        native("unshare NEWUSER|NEWIPC",  SYS_unshare,      [NEWUSER | NEWIPC, 0],  EPERM,  TRACE),
        native("setns (any type)",        SYS_setns,        [3, 0],                 EPERM,  TRACE),
        native("setns NEWIPC",            SYS_setns,        [3, NEWIPC],            EPERM,  TRACE),
        native("execve",                  libc::SYS_execve, [0, 0],                 ALLOW,  ALLOW),
        native("getppid",                 libc::SYS_getppid, [0, 0],                ALLOW,  ALLOW),
        native("write",                   libc::SYS_write,  [1, 0],                 ALLOW,  ALLOW),
        compat("compat unshare NEWIPC",   c.unshare,        [NEWIPC, 0],            EPERM),
        compat("compat unshare NEWUSER",  c.unshare,        [NEWUSER, 0],           ALLOW),
        compat("compat clone NEWIPC",     c.clone,          [NEWIPC | SIGCHLD, 0],  EPERM),
        compat("compat clone (a fork)",   c.clone,          [SIGCHLD, 0],           ALLOW),
        compat("compat setns",            c.setns,          [3, 0],                 EPERM),
        compat("compat clone3",           c.clone3,         [0, 88],                ENOSYS),
        compat("compat getpid",           20,               [0, 0],                 ALLOW),
        // Another architecture: its numbers are not known here, whatever they are.
        case("riscv64 unshare NEWIPC", 0xc000_00f3, 97,     [NEWIPC, 0],            ALLOW,  ALLOW),
    ];
    cases.extend(x86_64_cases());
    cases
}

/// Calls only x86_64 has: `fork` and `vfork`, x32, and i386's `ipc` multiplexer.
#[cfg(target_arch = "x86_64")]
#[rustfmt::skip]
fn x86_64_cases() -> Vec<Case> {
    let native = |what, nr, untraced, traced| case(what, AUDIT_ARCH, nr, [0, 0], untraced, traced);
    let x32 = |what, nr: i64| case(what, AUDIT_ARCH, nr | 0x4000_0000, [NEWIPC, 0], ENOSYS, ENOSYS);
    vec![
        native("fork",  libc::SYS_fork,  ALLOW, TRACE),
        native("vfork", libc::SYS_vfork, ALLOW, TRACE),
        x32("x32 shmget",  libc::SYS_shmget),
        x32("x32 unshare", libc::SYS_unshare),
        x32("x32 getpid",  libc::SYS_getpid),
        // i386's `ipc(SHMGET, ...)` runs, not traced: the tracer does not follow that ABI.
        case("compat ipc(SHMGET)", COMPAT.arch, 117, [23, 0], ALLOW, ALLOW),
    ]
}

#[cfg(not(target_arch = "x86_64"))]
fn x86_64_cases() -> Vec<Case> {
    vec![]
}

#[test]
fn every_call_of_the_table_gets_its_action_from_one_filter_at_most() {
    let (untraced, traced) = (filters(false), filters(true));
    for c in cases() {
        let args = [c.args[0], c.args[1], 0, 0, 0, 0];
        for (filters, expected, mode) in [
            (&untraced, c.untraced, "untraced"),
            (&traced, c.traced, "traced"),
        ] {
            let (got, deciding) = judged(filters, c.arch, c.nr, args);
            assert_eq!(got, expected, "{} ({mode}): {got:#x}", c.what);
            assert!(
                deciding <= 1,
                "{} ({mode}): {deciding} filters decide",
                c.what
            );
        }
    }
}

#[test]
fn the_untraced_filters_refuse_exactly_the_calls_the_tracer_counts_as_namespace_calls() {
    for c in cases().iter().filter(|c| c.arch == AUDIT_ARCH) {
        let args = [c.args[0], c.args[1], 0, 0, 0, 0];
        let refused = c.untraced == EPERM;
        assert_eq!(is_namespace_call(c.nr.into(), args), refused, "{}", c.what);
    }
}
