//! The checks of a memo run on the trace of its calls: how it opened the segment, one
//! attach, a detach before exit, and IPC_RMID exactly after a y to delete, after shmdt.

use super::contract::{Turn, MODE, SIZE};
use crate::model::timeline::{errno_name, key_text, shmget_flags};
use crate::model::{Call, Effect, Return, TraceEvent};
use crate::scenario::evidence::Evidence;
use crate::scenario::{Ctx, Kind};

/// The first shmget of the run: its key, its flags, and the errno it failed with.
pub fn first_shmget(evidence: &Evidence<'_>) -> Option<(i32, i32, Option<i32>)> {
    let gets = evidence.calls(Kind::Shmget)?;
    gets.first().and_then(|e| match (e.call.clone(), e.ret) {
        (Call::Shmget { key, flags, .. }, Some(Return::Errno(errno))) => {
            Some((key, flags, Some(errno)))
        }
        (Call::Shmget { key, flags, .. }, _) => Some((key, flags, None)),
        _ => None,
    })
}

/// The checks on the run's trace (skipped with the reason where it was not traced).
pub fn check(c: &mut Ctx<'_>, turn: &Turn, key: i32) {
    c.with_timeline("the run's shm calls", |c, events| {
        opened(c, events, key);
        attached_once(c, events);
        detached(c, events);
        removed(c, events, turn.deletes);
    });
}

fn opened(c: &mut Ctx<'_>, events: &[TraceEvent], key: i32) {
    let Some(first) = events
        .iter()
        .find(|e| matches!(e.call, Call::Shmget { .. }))
    else {
        c.check("timeline", "the first shmget", "shmget(KEY, 201, IPC_CREAT|IPC_EXCL|0644)", "no shmget call", false, || "the program made no shmget call: connect or create with shmget(KEY, 201, IPC_CREAT | IPC_EXCL | 0644)".into());
        return;
    };
    let Call::Shmget {
        key: used,
        size,
        flags,
    } = first.call
    else {
        return;
    };
    let excl = flags & libc::IPC_EXCL != 0;
    let creat = flags & libc::IPC_CREAT != 0;
    let ok = used == key && creat && excl && size == SIZE as u64 && (flags & 0o777) as u32 == MODE;
    let expected = format!(
        "shmget({}, {SIZE}, IPC_CREAT|IPC_EXCL|0{MODE:o})",
        key_text(key)
    );
    c.check("timeline", "the first shmget", expected, first.call.text(), ok, || {
        if used != key {
            format!("shmget was given key {}, not KEY ({}): {}", key_text(used), key_text(key), match used {
                0 => "IPC_PRIVATE makes a new segment every time",
                -1 => "ftok gives -1 when its file does not exist",
                _ => "pass the key from the command line",
            })
        } else if !creat {
            "the first shmget has no IPC_CREAT, so it cannot create the segment on a first run: try IPC_CREAT | IPC_EXCL | 0644 first, and open with shmget(KEY, 0, 0) on EEXIST".into()
        } else if !excl {
            format!("shmget(KEY, ..., {}) without IPC_EXCL returns an existing segment without saying so, so the program cannot tell a new segment from an old one: add IPC_EXCL and take EEXIST as \"it exists\"", shmget_flags(flags))
        } else if size != SIZE as u64 {
            format!("the segment is created with size {size}: 200 bytes of text and a NUL need {SIZE}")
        } else {
            format!("the mode bits are 0{:o}: the contract's mode is 0{MODE:o}, in shmget's flags", flags & 0o777)
        }
    });
}

fn attached_once(c: &mut Ctx<'_>, events: &[TraceEvent]) {
    let ats: Vec<&TraceEvent> = events
        .iter()
        .filter(|e| matches!(e.call, Call::Shmat { .. }) && e.succeeded())
        .collect();
    let most = ats
        .iter()
        .filter_map(|e| e.segment.as_ref().map(|s| s.nattch))
        .max()
        .unwrap_or(0);
    c.check("timeline", "successful shmat calls", 1, ats.len(), ats.len() == 1, || match ats.len() {
        0 => "the program never attached the segment: shmat(id, NULL, 0) once after shmget, to read and write the text".into(),
        n => format!("shmat was called {n} times in one run (nattch rose to {most} while it ran): attach once after shmget and use that address until you detach"),
    });
}

fn detached(c: &mut Ctx<'_>, events: &[TraceEvent]) {
    let attached: Vec<u64> = events
        .iter()
        .filter_map(|e| match (&e.call, e.ret) {
            (Call::Shmat { .. }, Some(Return::Value(v))) => Some(v as u64),
            _ => None,
        })
        .collect();
    let undone = attached
        .iter()
        .filter(|addr| {
            events
                .iter()
                .any(|e| matches!(e.call, Call::Shmdt { addr: a } if a == **addr) && e.succeeded())
        })
        .count();
    let exited_attached = events
        .iter()
        .any(|e| matches!(&e.effect, Effect::Exit { attached } if !attached.is_empty()));
    if attached.is_empty() {
        return;
    }
    let ok = undone == attached.len() && !exited_attached;
    let actual = if undone == 0 {
        "no successful shmdt".to_string()
    } else {
        format!("{undone} of {} detached", attached.len())
    };
    c.check("timeline", "shmdt before the program exits", "every attachment detached", actual, ok, || {
        if undone == 0 {
            "the program exited without calling shmdt: exiting detached it, so the segment looks fine afterwards, but the contract asks for shmdt before every exit (and before IPC_RMID)".into()
        } else {
            format!("only {undone} of the {} attachments {} detached: every shmat needs its shmdt (better: attach once)", attached.len(), if undone == 1 { "was" } else { "were" })
        }
    });
}

fn removed(c: &mut Ctx<'_>, events: &[TraceEvent], deletes: bool) {
    let rmid = |e: &&TraceEvent| {
        matches!(
            e.call,
            Call::Shmctl {
                cmd: libc::IPC_RMID,
                ..
            }
        )
    };
    let rmids: Vec<(usize, &TraceEvent)> =
        events.iter().enumerate().filter(|(_, e)| rmid(e)).collect();
    if !deletes {
        c.check("timeline", "IPC_RMID calls", "none (the answer to delete was not y)", rmids.len(), rmids.is_empty(), || "the program called shmctl(IPC_RMID) although the answer to `delete the segment?` was not y: remove only after a y".into());
        return;
    }
    let Some((at, call)) = rmids.first() else {
        return; // the segment's own check says it is still there, and why
    };
    if let Some(Return::Errno(e)) = call.ret {
        c.check(
            "timeline",
            "shmctl(id, IPC_RMID, NULL)",
            "success",
            format!("failed with {}", errno_name(e)),
            false,
            || {
                format!(
                    "shmctl(id, IPC_RMID, NULL) failed with {}: pass the id shmget returned",
                    errno_name(e)
                )
            },
        );
        return;
    }
    let detach_after = events[at + 1..]
        .iter()
        .any(|e| matches!(e.call, Call::Shmdt { .. }));
    c.check("timeline", "shmdt, then IPC_RMID", "shmdt first", if detach_after { "IPC_RMID first" } else { "shmdt first" }, !detach_after, || {
        "IPC_RMID came before shmdt: it works on Linux (the segment goes with its last attachment), but the contract's order is shmdt, then shmctl(id, IPC_RMID, NULL)".into()
    });
}
