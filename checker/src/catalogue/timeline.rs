//! Timeline expectations: what the program did while it ran, from the trace of its calls.

use crate::model::timeline::{errno_name, shmat_flags, shmctl_cmd, shmget_flags};
use crate::model::{Call, Return, TraceEvent};
use crate::scenario::Ctx;

fn calls<'a>(
    events: &'a [TraceEvent],
    pred: impl Fn(&Call) -> bool + 'a,
) -> impl Iterator<Item = &'a TraceEvent> + 'a {
    events.iter().filter(move |e| pred(&e.call))
}

fn shmgets(events: &[TraceEvent]) -> Vec<&TraceEvent> {
    calls(events, |c| matches!(c, Call::Shmget { .. })).collect()
}

fn flags_of(e: &TraceEvent) -> i32 {
    match e.call {
        Call::Shmget { flags, .. } | Call::Shmat { flags, .. } => flags,
        _ => 0,
    }
}

/// One shmget, with (`creates`) or without IPC_CREAT, and IPC_EXCL exactly when `exclusive`.
pub fn timeline_shmget(c: &mut Ctx<'_>, creates: bool, exclusive: bool) {
    c.with_timeline("the program's shmget calls", |c, events| {
        let gets = shmgets(events);
        c.check("timeline", "number of shmget calls", 1, gets.len(), gets.len() == 1, || match (gets.len(), creates) {
            (0, _) => "the program never called shmget".into(),
            (n, true) => format!("shmget was called {n} times: one call with IPC_CREAT creates the segment or opens the existing one"),
            (n, false) => format!("shmget was called {n} times: one shmget(key, 0, 0) finds the segment"),
        });
        if gets.is_empty() {
            return;
        }
        // The call that matters: the one with the scenario's key (another, such as an
        // IPC_PRIVATE segment of the program's own, is not the lab's call); else the one with
        // IPC_CREAT if any (create), else the first.
        let keys: Vec<i32> = c.obs.keys.iter().chain([&c.obs.free_key]).map(|k| k.raw()).collect();
        let get = gets
            .iter()
            .find(|e| matches!(e.call, Call::Shmget { key, .. } if keys.contains(&key)))
            .or_else(|| gets.iter().find(|e| flags_of(e) & libc::IPC_CREAT != 0))
            .unwrap_or(&gets[0]);
        let flags = flags_of(get);
        let shown = shmget_flags(flags);
        let has_creat = flags & libc::IPC_CREAT != 0;
        let has_excl = flags & libc::IPC_EXCL != 0;
        if creates {
            c.check("timeline", "IPC_CREAT in shmget's flags", "IPC_CREAT", &shown, has_creat, || {
                "create must pass IPC_CREAT, or shmget only looks the key up".into()
            });
            let expected = if exclusive { "IPC_EXCL" } else { "no IPC_EXCL" };
            c.check("timeline", "IPC_EXCL in shmget's flags", expected, &shown, has_excl == exclusive, || {
                if exclusive {
                    "--exclusive must add IPC_EXCL to the flags: IPC_CREAT | IPC_EXCL | mode".into()
                } else {
                    "IPC_EXCL was passed without --exclusive: then an existing key fails with EEXIST instead of giving back its id".into()
                }
            });
        } else {
            c.check("timeline", "shmget's flags", "no IPC_CREAT (flags 0)", &shown, !has_creat, || {
                "access must not pass IPC_CREAT: shmget(key, 0, 0) looks the key up and never creates".into()
            });
        }
    });
}

/// Exactly one shmat, with SHM_RDONLY exactly when `readonly`, and nattch up by one right after.
pub fn timeline_shmat(c: &mut Ctx<'_>, readonly: bool) {
    let before = c.setup_before(0).nattch;
    c.with_timeline("the program's shmat calls", |c, events| {
        let ats: Vec<&TraceEvent> = calls(events, |c| matches!(c, Call::Shmat { .. })).collect();
        c.check("timeline", "number of shmat calls", 1, ats.len(), ats.len() == 1, || match ats.len() {
            0 => "the program never called shmat".into(),
            n => format!("shmat was called {n} times: attach once, and use the address it returns"),
        });
        let Some(at) = ats.first() else { return };
        let flags = flags_of(at);
        let has_rdonly = flags & libc::SHM_RDONLY != 0;
        let expected = if readonly { "SHM_RDONLY" } else { "0 (read-write)" };
        c.check("timeline", "shmat's flags", expected, shmat_flags(flags), has_rdonly == readonly, || {
            if readonly {
                "--readonly was given but shmat was called without SHM_RDONLY: pass SHM_RDONLY as shmat's flags".into()
            } else {
                "SHM_RDONLY was passed without --readonly: a read-only attachment cannot be written".into()
            }
        });
        if at.ret.is_some_and(|r| r.is_ok()) {
            let after = at.segment.as_ref().map_or(0, |s| s.nattch);
            c.check("timeline", "nattch right after shmat", before + 1, after, after == before + 1, || {
                "nattch did not go up by one when the program attached".into()
            });
        }
    });
}

/// shmdt with the address shmat returned, successful, and nattch back down while alive.
pub fn timeline_shmdt(c: &mut Ctx<'_>, before_nattch: u64) {
    c.with_timeline("the program's shmdt call", |c, events| {
        let attached: Vec<u64> = calls(events, |c| matches!(c, Call::Shmat { .. }))
            .filter_map(|e| match e.ret {
                Some(Return::Value(v)) => Some(v as u64),
                _ => None,
            })
            .collect();
        let dts: Vec<&TraceEvent> = calls(events, |c| matches!(c, Call::Shmdt { .. })).collect();
        let good = dts.iter().find(|e| matches!(e.call, Call::Shmdt { addr } if attached.contains(&addr)) && e.ret.is_some_and(|r| r.is_ok()));
        let shown = if dts.is_empty() {
            "no shmdt call".to_string()
        } else {
            dts.iter().map(|e| e.call_line()).collect::<Vec<_>>().join("; ")
        };
        c.check("timeline", "shmdt with the address shmat returned", "a successful shmdt", shown, good.is_some(), || {
            match (dts.is_empty(), attached.is_empty()) {
                (true, false) => "your program exited without calling shmdt: the kernel detached it for you, but the lab asks you to detach explicitly".into(),
                (true, true) => "the program attached nothing (no successful shmat) and made no shmdt call: attach with shmat, read, then shmdt the address shmat returned".into(),
                (false, true) => "shmdt was called, but no shmat of the program had succeeded: attach first, then detach the address shmat returned".into(),
                (false, false) => "shmdt was not called with the address shmat returned: pass exactly that pointer".into(),
            }
        });
        if let Some(dt) = good {
            let after = dt.segment.as_ref().map_or(0, |s| s.nattch);
            c.check("timeline", "nattch right after shmdt, while the program still ran", before_nattch, after, after == before_nattch, || {
                "nattch did not go back down when the program detached".into()
            });
        }
    });
}

/// A successful shmctl with `cmd` on setup segment 0's id.
pub fn timeline_shmctl(c: &mut Ctx<'_>, cmd: i32) {
    let id = c.obs.setup_ids[0];
    c.with_timeline("the program's shmctl calls", |c, events| {
        let ctls: Vec<&TraceEvent> = calls(events, |c| matches!(c, Call::Shmctl { .. })).collect();
        let name = shmctl_cmd(cmd);
        let on_id = |e: &TraceEvent, k: i32| matches!(e.call, Call::Shmctl { id: i, cmd, .. } if i == id && cmd == k);
        let found = ctls.iter().find(|e| on_id(e, cmd) && e.ret.is_some_and(|r| r.is_ok()));
        let shown = if ctls.is_empty() {
            "no shmctl call".to_string()
        } else {
            ctls.iter().map(|e| e.call.text()).collect::<Vec<_>>().join("; ")
        };
        c.check("timeline", format!("shmctl({id}, {name}) called"), format!("shmctl({id}, {name}, ...)"), shown, found.is_some(), || {
            let other_id = ctls.iter().find_map(|e| match e.call {
                Call::Shmctl { id: i, cmd: k, .. } if k == cmd && i != id => Some(i),
                _ => None,
            });
            let failed = ctls.iter().find(|e| on_id(e, cmd)).and_then(|e| match e.ret {
                Some(Return::Errno(errno)) => Some(errno_name(errno)),
                _ => None,
            });
            match (other_id, failed) {
                (_, Some(errno)) => format!("shmctl({id}, {name}) failed with {errno}"),
                (Some(i), None) => format!("{name} was called on {i}, not on the segment's id {id}: pass the id shmget returned"),
                (None, None) => format!("{name} was never called: call shmctl(id, {name}, ...) with the id shmget returned"),
            }
        });
        if cmd == libc::IPC_SET {
            let set_at = ctls.iter().position(|e| on_id(e, libc::IPC_SET));
            let stat_first = set_at.is_some_and(|i| ctls[..i].iter().any(|e| on_id(e, libc::IPC_STAT)));
            if set_at.is_some() {
                c.check("timeline", "IPC_STAT before IPC_SET", "IPC_STAT first", if stat_first { "IPC_STAT first" } else { "IPC_SET without IPC_STAT" }, stat_first, || {
                    "IPC_SET was not preceded by IPC_STAT: fill the buffer with the segment's current values first, then change the mode".into()
                });
            }
        }
    });
}
