//! The checks of a share run on the trace of both processes: the parent creates and
//! attaches, forks; the child detaches what it inherited (nattch 2 → 1, lpid the child's)
//! and ends; only then does the parent detach and remove.

use super::{child_of, end_of, MODE, SIZE};
use crate::model::timeline::{key_text, shmget_flags};
use crate::model::{Call, Effect, Return, TraceEvent};
use crate::scenario::Ctx;

/// Every check on the round trip's timeline.
pub fn check(c: &mut Ctx<'_>) {
    let key = c.obs.free_key.raw();
    let parent = c.run().pid;
    c.with_timeline("the calls of the parent and the child", |c, events| {
        let Some(created) = created(c, events, parent, key) else {
            return;
        };
        let Some(addr) = attached_before_fork(c, events, parent) else {
            return;
        };
        let Some(child) = child_of(events, parent) else {
            c.check("timeline", "a fork of the parent", "fork()", "no fork", false, || "the parent never forked: after shmat, fork(); the child writes TEXT, the parent waits and reads".into());
            return;
        };
        if let Some(cpid) = created {
            c.field("cpid", "the segment's cpid (its creator)", parent, cpid, || "the segment must be created by the parent, before the fork".into());
        }
        child_detached(c, events, child, addr);
        removed_after_child(c, events, parent, child);
    });
}

/// The parent's shmget; the cpid the segment had right after it.
fn created(c: &mut Ctx<'_>, events: &[TraceEvent], parent: i32, key: i32) -> Option<Option<i32>> {
    let at = events
        .iter()
        .position(|e| e.pid == parent && matches!(e.call, Call::Shmget { .. }));
    let get = at.map(|i| &events[i]);
    let expected = format!(
        "shmget({}, {SIZE}, IPC_CREAT|IPC_EXCL|0{MODE:o}) by the parent",
        key_text(key)
    );
    let Some(get) = get else {
        c.check("timeline", "the parent's shmget", expected, "no shmget by the parent", false, || "the parent must create the segment before the fork: shmget(KEY, 1024, IPC_CREAT | IPC_EXCL | 0600)".into());
        return None;
    };
    let Call::Shmget {
        key: used,
        size,
        flags,
    } = get.call
    else {
        return None;
    };
    let ok = used == key
        && size == SIZE
        && flags & libc::IPC_CREAT != 0
        && flags & libc::IPC_EXCL != 0
        && flags & 0o777 == MODE;
    c.check("timeline", "the parent's shmget", expected, get.call.text(), ok, || {
        if used != key {
            format!("shmget was given key {}, not KEY: pass the key from the command line", key_text(used))
        } else if size != SIZE {
            format!("the segment was created with size {size}: 1023 bytes of text and a NUL need {SIZE}")
        } else if flags & libc::IPC_EXCL == 0 || flags & libc::IPC_CREAT == 0 {
            format!("the flags were {}: the segment is the run's own, so create it with IPC_CREAT | IPC_EXCL | 0600", shmget_flags(flags))
        } else {
            format!("the mode bits were 0{:o}: the contract's mode is 0600", flags & 0o777)
        }
    });
    if let Some(i) = at {
        c.at_event(i);
    }
    Some(get.segment.as_ref().map(|s| s.cpid))
}

/// The parent's one shmat, before its fork; the address it returned.
fn attached_before_fork(c: &mut Ctx<'_>, events: &[TraceEvent], parent: i32) -> Option<u64> {
    let fork_at = events
        .iter()
        .position(|e| e.pid == parent && matches!(e.call, Call::Fork { .. }))
        .unwrap_or(events.len());
    let ats: Vec<(u64, usize)> = events[..fork_at]
        .iter()
        .enumerate()
        .filter(|(_, e)| e.pid == parent)
        .filter_map(|(i, e)| match (&e.call, e.ret) {
            (Call::Shmat { .. }, Some(Return::Value(v))) => Some((v as u64, i)),
            _ => None,
        })
        .collect();
    c.check("timeline", "the parent's shmat before the fork", "one successful shmat", format!("{} successful", ats.len()), ats.len() == 1, || match ats.len() {
        0 => "the parent must attach before the fork (shmat(id, NULL, 0)): the child inherits that attachment and writes through it".into(),
        n => format!("the parent attached {n} times before the fork: once is enough, and the child inherits it"),
    });
    if fork_at < events.len() {
        c.at_event(fork_at);
    }
    ats.first().map(|(a, _)| *a)
}

/// The child detached (nattch back to 1: 2 while both were attached; lpid the child's) and
/// ended holding nothing.
fn child_detached(c: &mut Ctx<'_>, events: &[TraceEvent], child: i32, addr: u64) {
    let dt_at = events
        .iter()
        .position(|e| e.pid == child && matches!(e.call, Call::Shmdt { addr: a } if a == addr));
    let dt = dt_at.map(|i| &events[i]);
    // Decided at the child's shmdt, or else at its end.
    let moment = dt_at.or_else(|| end_of(events, child));
    let ended_attached = events.iter().find_map(|e| match &e.effect {
        Effect::Exit { attached } if e.pid == child && !attached.is_empty() => {
            Some(attached[0].nattch)
        }
        _ => None,
    });
    let shown = match (dt, ended_attached) {
        (Some(e), _) => e.call_line(),
        (None, Some(n)) => format!("no shmdt: it ended still attached (nattch {n})"),
        (None, None) => "no shmdt".into(),
    };
    let ok = dt.is_some_and(|e| e.succeeded());
    // Still running when the program ended: the checker killed it, maybe before its shmdt.
    let killed = c.run().survivors.contains(&child);
    c.check("timeline", "the child's shmdt of the address it inherited", "a successful shmdt", shown, ok, || {
        if killed {
            "the child was still running when the program ended, and the checker killed it before it detached: the parent must waitpid for the child, which detaches after writing".into()
        } else if ended_attached.is_some() {
            "the child ended without shmdt: exiting detached it, but the contract asks the child to detach, as every process that attaches does".into()
        } else {
            "the child must detach the attachment it inherited: shmdt with the address the parent's shmat returned, after writing".into()
        }
    });
    if let Some(i) = moment {
        c.at_event(i);
    }
    let Some(state) = dt
        .filter(|e| e.succeeded())
        .and_then(|e| e.segment.as_ref())
    else {
        return;
    };
    c.field("nattch", "nattch right after the child's shmdt (2 while both were attached)", 1u64, state.nattch, || {
        "after the child's shmdt only the parent should still be attached: nattch counts every process that has the segment mapped, and the child inherited the parent's attachment at the fork".into()
    });
    if let Some(i) = dt_at {
        c.at_event(i);
    }
    c.field("lpid", "lpid right after the child's shmdt", child, state.lpid, || "lpid is the pid of the last process that attached or detached: right after the child's shmdt it is the child's".into());
    if let Some(i) = dt_at {
        c.at_event(i);
    }
}

/// The parent's shmdt, then its IPC_RMID, both after the child's end.
fn removed_after_child(c: &mut Ctx<'_>, events: &[TraceEvent], parent: i32, child: i32) {
    let rmid = events.iter().position(|e| {
        e.pid == parent
            && matches!(
                e.call,
                Call::Shmctl {
                    cmd: libc::IPC_RMID,
                    ..
                }
            )
            && e.succeeded()
    });
    let Some(rmid) = rmid else {
        let by_child = events.iter().any(|e| {
            e.pid == child
                && matches!(
                    e.call,
                    Call::Shmctl {
                        cmd: libc::IPC_RMID,
                        ..
                    }
                )
                && e.succeeded()
        });
        c.check(
            "timeline",
            "the parent's IPC_RMID",
            "shmctl(id, IPC_RMID, NULL)",
            "none that succeeded",
            false,
            || {
                if by_child {
                    format!("the child (pid {child}) removed the segment: it went on into the parent's code, so the parent's own IPC_RMID found no segment; end the child's branch with _exit(0) (Rust: shm::exit_now(0)) right after its shmdt")
                } else {
                    "the parent must remove the segment after reading: shmctl(id, IPC_RMID, NULL)"
                        .into()
                }
            },
        );
        return;
    };
    let end = end_of(events, child);
    let after_child = end.is_some_and(|end| end < rmid);
    c.check("timeline", "the parent's IPC_RMID after the child's exit", "after", if after_child { "after" } else { "before the child ended" }, after_child, || {
        "the parent removed the segment while the child was still running: waitpid for the child first (the removal waits for no one: a child that has not attached yet could not any more)".into()
    });
    c.at_event(rmid);
    let dt_before = events[..rmid]
        .iter()
        .any(|e| e.pid == parent && matches!(e.call, Call::Shmdt { .. }) && e.succeeded());
    c.check("timeline", "the parent's shmdt before its IPC_RMID", "shmdt first", if dt_before { "shmdt first" } else { "IPC_RMID first" }, dt_before, || {
        "the parent removed the segment before detaching: it works on Linux (the segment goes with its last attachment), but the contract's order is shmdt, then IPC_RMID".into()
    });
    c.at_event(rmid);
}

/// No fork happened (a failed shmget ends the run before it).
pub fn no_fork(c: &mut Ctx<'_>) {
    c.with_timeline("the program's fork", |c, events| {
        let forked = events.iter().any(|e| matches!(e.call, Call::Fork { .. }));
        c.check(
            "timeline",
            "fork calls",
            "none (shmget failed first)",
            if forked {
                "a fork"
            } else {
                "none (shmget failed first)"
            },
            !forked,
            || {
                "the program forked although shmget had failed: stop at the first failed call"
                    .into()
            },
        );
    });
}
