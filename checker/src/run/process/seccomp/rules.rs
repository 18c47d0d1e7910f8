//! The native ABI's rules, declared as data and compiled to BPF by `seccompiler`.
//!
//! A rule says which calls (a system call number, and a condition on its first argument)
//! get which action. Calls no rule matches are allowed. `seccompiler` gives a filter one
//! action for the calls it matches, so the rules become one filter per action (see
//! [`compile`]); the kernel runs them all and takes the action of highest precedence.

use seccompiler::{
    sock_filter, BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition,
    SeccompFilter, SeccompRule, TargetArch,
};

use super::{compat, PROCESS_CALLS};
use crate::model::timeline as trace;

#[cfg(target_arch = "x86_64")]
const TARGET: TargetArch = TargetArch::x86_64;
#[cfg(target_arch = "aarch64")]
const TARGET: TargetArch = TargetArch::aarch64;

/// Stop for the tracer (`SECCOMP_RET_TRACE`, no data: the tracer reads the call itself).
pub(super) const TRACE: SeccompAction = SeccompAction::Trace(0);
/// Fail with `EPERM`, as a call the program has no right to make.
pub(super) const EPERM: SeccompAction = SeccompAction::Errno(libc::EPERM as u32);
/// Fail with `ENOSYS`, as a call the kernel does not have: the C library falls back.
pub(super) const ENOSYS: SeccompAction = SeccompAction::Errno(libc::ENOSYS as u32);

/// Which of the calls with a rule's number the rule matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Args {
    /// Every one.
    Any,
    /// Those whose first argument has `CLONE_NEWIPC` set (`unshare`, `clone`). Only its
    /// low 32 bits are read: the kernel reads no more of `clone`'s flags, and refuses
    /// `unshare` flags above them.
    NewIpc,
}

/// One rule: the calls numbered `nr` that `args` matches get `action`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Rule {
    pub nr: i64,
    pub args: Args,
    pub action: SeccompAction,
}

const fn rule(nr: i64, args: Args, action: SeccompAction) -> Rule {
    Rule { nr, args, action }
}

/// The native ABI's rules. Every run: `clone3` fails with ENOSYS (its flags are in memory,
/// out of a filter's reach, and the C library then falls back to `clone`). Untraced,
/// `setns` (whatever its namespace type, which a filter cannot read from the descriptor)
/// and `unshare` and `clone` with `CLONE_NEWIPC` fail with EPERM. Traced, those stop for
/// the tracer instead, and so do the four shm calls and every call that starts a process
/// or a thread, whatever its flags ([`PROCESS_CALLS`]).
pub(super) fn rules(traced: bool) -> Vec<Rule> {
    use Args::{Any, NewIpc};
    let mut rules = vec![rule(libc::SYS_clone3, Any, ENOSYS)];
    if traced {
        rules.push(rule(libc::SYS_setns, Any, TRACE));
        rules.push(rule(libc::SYS_unshare, NewIpc, TRACE));
        let stops = trace::nr::ALL.into_iter().chain(PROCESS_CALLS);
        rules.extend(stops.map(|nr| rule(nr, Any, TRACE)));
    } else {
        rules.push(rule(libc::SYS_setns, Any, EPERM));
        rules.push(rule(libc::SYS_unshare, NewIpc, EPERM));
        rules.push(rule(libc::SYS_clone, NewIpc, EPERM));
    }
    rules
}

/// Compiles `rules` with `seccompiler`: one program per action, in the order the actions
/// first appear, each allowing what it does not match.
///
/// Every number has one rule at most (a test checks it), so no two programs return other
/// than "allow" for the same call, and the kernel's precedence between them never decides
/// anything.
///
/// # Panics
///
/// If `seccompiler` refuses the rules or compiles them unlike the version this was written
/// for (see [`allow_other_arches`]): a bug, which the unit tests meet first.
pub(super) fn compile(rules: &[Rule]) -> Vec<BpfProgram> {
    let mut actions: Vec<&SeccompAction> = Vec::new();
    for r in rules {
        if !actions.contains(&&r.action) {
            actions.push(&r.action);
        }
    }
    actions
        .into_iter()
        .map(|action| {
            let matched = rules.iter().filter(|r| r.action == *action);
            let by_nr = matched.map(|r| (r.nr, conditions(r.args))).collect();
            let filter = SeccompFilter::new(by_nr, SeccompAction::Allow, action.clone(), TARGET)
                .expect("a filter of one action other than allow");
            let prog = BpfProgram::try_from(filter).expect("a filter far below the BPF limit");
            allow_other_arches(prog)
        })
        .collect()
}

/// A rule's condition in `seccompiler`'s terms: no rule at all matches every call.
fn conditions(args: Args) -> Vec<SeccompRule> {
    match args {
        Args::Any => vec![],
        Args::NewIpc => {
            let new_ipc = libc::CLONE_NEWIPC as u64;
            let op = SeccompCmpOp::MaskedEq(new_ipc);
            let cond = SeccompCondition::new(0, SeccompCmpArgLen::Dword, op, new_ipc)
                .expect("argument 0 exists");
            vec![SeccompRule::new(vec![cond]).expect("one condition")]
        }
    }
}

/// `seccompiler` starts every program with a check of the architecture that kills the
/// process (`SECCOMP_RET_KILL_PROCESS`, not configurable in 0.5) on any other one. That
/// would kill every 32-bit compat call, which other filters judge instead (and which must
/// otherwise run, see `compat`), and the kernel's highest-precedence action would be that
/// kill whatever the others say. So that one instruction becomes "allow": these rules are
/// about the native numbers only, and say nothing of another ABI's.
///
/// # Panics
///
/// If the program does not start with exactly that check.
fn allow_other_arches(mut prog: BpfProgram) -> BpfProgram {
    let ins = |code, jt, jf, k| sock_filter { code, jt, jf, k };
    let check = [
        ins(compat::BPF_LD_W_ABS, 0, 0, compat::DATA_ARCH),
        ins(compat::BPF_JEQ_K, 1, 0, compat::AUDIT_ARCH),
        ins(compat::BPF_RET_K, 0, 0, libc::SECCOMP_RET_KILL_PROCESS),
    ];
    assert_eq!(
        prog.get(..3),
        Some(&check[..]),
        "seccompiler's programs start with its architecture check"
    );
    prog[2].k = libc::SECCOMP_RET_ALLOW;
    prog
}
