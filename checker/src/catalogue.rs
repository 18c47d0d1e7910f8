//! The labs and their scenarios: what the checker runs, and what it expects.
//!
//! Every hint here is written for a student reading their report: what was seen, the
//! likely mistake in one sentence, and the fix. Each lab's guide (`docs/labs/<lab>.md`)
//! lists the same scenarios by slug.

use crate::scenario::{
    show, Action, Arg, Ctx, Invocation, Need, Owner, Scenario, SegmentSpec, SegmentState, Step,
    MARKER, OTHER_GID, OTHER_UID,
};
use crate::trace::{shmat_flags, shmctl_cmd, shmget_flags, Call, Return, TraceEvent};

/// A lab: one operation, one program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lab {
    /// Its name, which is also the program's name.
    pub name: &'static str,
    /// What it teaches, in one line.
    pub summary: &'static str,
}

/// The labs, in teaching order.
pub const LABS: [Lab; 7] = [
    Lab {
        name: "create",
        summary: "create a segment with shmget(IPC_CREAT | mode)",
    },
    Lab {
        name: "access",
        summary: "find an existing segment by its key with shmget(key, 0, 0)",
    },
    Lab {
        name: "attach",
        summary: "attach with shmat and read or write the segment",
    },
    Lab {
        name: "detach",
        summary: "attach, read, then detach explicitly with shmdt",
    },
    Lab {
        name: "remove",
        summary: "remove a segment with shmctl(IPC_RMID)",
    },
    Lab {
        name: "stat",
        summary: "print a segment's metadata from shmctl(IPC_STAT)",
    },
    Lab {
        name: "set",
        summary: "change a segment's mode and owner with shmctl(IPC_SET)",
    },
];

/// The guide of `lab`, relative to the workspace.
pub fn guide(lab: &str) -> String {
    format!("docs/labs/{lab}.md")
}

/// The lab named `name`.
pub fn find(name: &str) -> Option<&'static Lab> {
    LABS.iter().find(|l| l.name == name)
}

/// The lab name closest to `name`, for "did you mean".
pub fn nearest(name: &str) -> &'static str {
    LABS.iter()
        .map(|l| {
            (
                strsim::damerau_levenshtein(&name.to_lowercase(), l.name),
                l.name,
            )
        })
        .min()
        .map(|(_, n)| n)
        .unwrap_or("create")
}

fn args(list: &[Arg]) -> Step {
    Step::Run(Invocation {
        args: list.to_vec(),
        stdin: None,
    })
}

fn lit(s: &str) -> Arg {
    Arg::Lit(s.to_string())
}

fn key(n: usize) -> Arg {
    Arg::Key(n)
}

const FREE: Arg = Arg::FreeKey;

struct Def {
    slug: &'static str,
    title: &'static str,
    needs: Vec<Need>,
    setup: Vec<SegmentSpec>,
    steps: Vec<Step>,
    read_contents: bool,
    expect: fn(&mut Ctx<'_>),
}

fn def(slug: &'static str, title: &'static str, expect: fn(&mut Ctx<'_>)) -> Def {
    Def {
        slug,
        title,
        needs: Vec::new(),
        setup: Vec::new(),
        steps: Vec::new(),
        read_contents: false,
        expect,
    }
}

impl Def {
    fn needs(mut self, needs: &[Need]) -> Def {
        self.needs = needs.to_vec();
        self
    }
    fn setup(mut self, seg: SegmentSpec) -> Def {
        self.setup.push(seg);
        self
    }
    fn run(mut self, list: &[Arg]) -> Def {
        self.steps.push(args(list));
        self
    }
    fn then(mut self, action: Action) -> Def {
        self.steps.push(Step::Checker(action));
        self
    }
    fn reading_contents(mut self) -> Def {
        self.read_contents = true;
        self
    }
    fn build(self, lab: &'static str) -> Scenario {
        Scenario {
            lab,
            slug: self.slug,
            title: self.title,
            needs: self.needs,
            setup: self.setup,
            steps: self.steps,
            read_contents: self.read_contents,
            expect: self.expect,
        }
    }
}

/// The scenarios of `lab`, in the order they run.
pub fn scenarios(lab: &str) -> Vec<Scenario> {
    let (name, defs) = match lab {
        "create" => ("create", create()),
        "access" => ("access", access()),
        "attach" => ("attach", attach()),
        "detach" => ("detach", detach()),
        "remove" => ("remove", remove()),
        "stat" => ("stat", stat()),
        "set" => ("set", set()),
        _ => return Vec::new(),
    };
    defs.into_iter().map(|d| d.build(name)).collect()
}

// ---------------------------------------------------------------------------------------
// Shared expectations

/// stdout is `line` followed by a newline (a missing final newline is forgiven).
fn stdout_line(c: &mut Ctx<'_>, line: &str, hint: impl FnOnce(&str) -> String) -> bool {
    let actual = c.run().stdout.clone();
    let ok = actual == format!("{line}\n") || actual == line;
    c.check(
        "stdout",
        "standard output",
        show(&format!("{line}\n")),
        show(&actual),
        ok,
        || hint(&actual),
    )
}

fn stdout_empty(c: &mut Ctx<'_>) -> bool {
    c.stdout("", |_| {
        "this lab prints nothing on success: remove the extra output (stdout must hold exactly the contract's result)".into()
    })
}

fn id_hint(actual: &str, id: i32, what: &str) -> String {
    let trimmed = actual.trim();
    if trimmed.is_empty() {
        return format!("print the id that shmget returned ({what}), then a newline");
    }
    if trimmed.contains(&id.to_string()) && trimmed != id.to_string() {
        return "print only the id and a newline: stdout must hold nothing else (no labels, no extra lines)".into();
    }
    match trimmed.parse::<i64>() {
        Ok(0) if id != 0 => "0 is not the id here: print shmget's return value itself, not the result of a comparison".into(),
        Ok(_) => format!("the id printed is not {what} ({id}): print the value shmget returned"),
        Err(_) => "print the id as a decimal number".into(),
    }
}

fn mode_hint(expected: u32, actual: u32, flag: &str) -> String {
    if actual == 0 {
        "IPC_CREAT alone gives mode 0000: OR the permission bits into the flags (IPC_CREAT | 0644)"
            .into()
    } else if actual == (decimal_as_octal(expected) & 0o777) {
        format!(
            "the mode was read as a decimal number: parse {flag} in base 8 ({:o} means 0{:o})",
            expected, expected
        )
    } else if actual == 0o644 && expected != 0o644 {
        format!("the mode is the default 0644: the value of {flag} was not passed to the call")
    } else {
        format!("the permission bits should be {expected:04o}: they are the low 9 bits of the flags, taken from {flag}")
    }
}

/// The value an octal mode's digits would have if read as decimal (600 → 0o1130).
fn decimal_as_octal(mode: u32) -> u32 {
    format!("{mode:o}").parse::<u32>().unwrap_or(0)
}

/// A failed-call scenario: the status is 1, stderr names `errno`, and nothing changed.
fn fails_with(c: &mut Ctx<'_>, call: &str, errno: &'static str) {
    let errno_hint = format!(
        "{call} fails with {errno} here; the program must report it and exit with status 1"
    );
    c.status_hinted(1, |code, _| {
        (code == 0)
            .then(|| format!("{errno_hint}, not 0: check the call's result (-1 in C, Err in Rust)"))
    });
    c.errno(call, errno);
}

fn missing_key(c: &mut Ctx<'_>, call: &str) {
    fails_with(c, call, "ENOENT");
    c.nothing_created(
        "a missing key must not create a segment: only the create lab passes IPC_CREAT",
    );
}

fn missing_key_def(lab: &'static str) -> Def {
    let slug: &'static str = match lab {
        "access" => "access/missing-key",
        "attach" => "attach/missing-key",
        "detach" => "detach/missing-key",
        "remove" => "remove/missing-key",
        "stat" => "stat/missing-key",
        _ => "set/missing-key",
    };
    let d = def(slug, "a key with no segment fails with ENOENT", |c| {
        missing_key(c, "shmget")
    });
    if lab == "set" {
        d.run(&[FREE, lit("--mode"), lit("600")])
    } else {
        d.run(&[FREE])
    }
}

fn created_one<'a>(c: &mut Ctx<'a>) -> Option<&'a SegmentState> {
    let created = c.created();
    let n = created.len();
    let ok = n == 1;
    c.check("segments-created", "segments that exist after the run and did not before", "exactly 1", n, ok, || {
        if n == 0 {
            "no new segment exists after the run: shmget needs IPC_CREAT to create one (and nothing may remove it before exit)".into()
        } else {
            format!("{n} segments were created: call shmget once, with the key from the command line")
        }
    });
    created.first().copied()
}

fn check_new_segment(c: &mut Ctx<'_>, size: usize, mode: u32, flag: &str) {
    // A program that crashed, hung or hit a todo!() gets that one check; the ones below are
    // then not recorded (see Ctx::check).
    c.status(0);
    let Some(seg) = created_one(c) else { return };
    let pid = c.run().pid;
    let free = c.obs.free_key;
    let (uid, gid) = (c.obs.program_uid, c.obs.program_gid);
    c.field("key", "key of the new segment", free.to_string(), seg.key.clone(), || {
        if seg.raw_key == 0 {
            "the segment has key 0 (IPC_PRIVATE): pass the key from the command line, not IPC_PRIVATE, or no other process can find it".into()
        } else {
            "the segment has another key: parse KEY like strtol(s, NULL, 0), so 0x1234 is hexadecimal and 010 is octal".into()
        }
    });
    c.field("size", "size of the new segment (shm_segsz)", size, seg.size, || {
        format!("shm_segsz is exactly the size passed to shmget ({size}), not rounded: pass SIZE from the command line")
    });
    c.field(
        "mode",
        "permission bits of the new segment",
        format!("{mode:04o}"),
        format!("{:04o}", seg.perms()),
        || mode_hint(mode, seg.perms(), flag),
    );
    c.field("cpid", "creator pid (shm_cpid)", pid, seg.cpid, || {
        "the segment was created by another process, not by the program the checker ran: did it fork, or run another program?".into()
    });
    c.field("uid", "owner (shm_perm.uid)", uid, seg.uid, || {
        "the owner should be the user who ran the program".into()
    });
    c.field("gid", "group (shm_perm.gid)", gid, seg.gid, || {
        "the group should be the group of the user who ran the program".into()
    });
    c.field("nattch", "attachments after the program exited", 0u64, seg.nattch, || {
        "something still has the segment attached after the program exited: a child process left running?".into()
    });
    if let Some(bytes) = c.obs.contents.get(&seg.id) {
        let nonzero = bytes.iter().position(|b| *b != 0);
        c.check(
            "contents",
            "contents of the new segment",
            "all zero bytes",
            nonzero.map_or("all zero bytes".to_string(), |i| {
                format!("byte {i} is {:#04x}", bytes[i])
            }),
            nonzero.is_none(),
            || "a new segment starts zero-filled, and the create lab must not write to it".into(),
        );
    }
    stdout_line(c, &seg.id.to_string(), |actual| {
        id_hint(actual, seg.id, "the new segment's id")
    });
}

fn check_existing_unchanged(c: &mut Ctx<'_>, hint: &str) {
    c.nothing_created("a new segment appeared: when the key has a segment, shmget must return it (was IPC_PRIVATE passed instead of the key?)");
    c.unchanged(0, hint);
    contents_unchanged(c, 0, hint);
}

fn contents_unchanged(c: &mut Ctx<'_>, n: usize, hint: &str) {
    let id = c.obs.setup_ids[n];
    let Some(actual) = c.obs.contents.get(&id) else {
        return;
    };
    let expected = c.obs.initial_contents[n].clone();
    let first = expected.iter().zip(actual).position(|(a, b)| a != b);
    c.check(
        "contents",
        "contents of the segment",
        "unchanged",
        first.map_or("unchanged".to_string(), |i| {
            format!("changed from byte {i}")
        }),
        first.is_none(),
        || hint.to_string(),
    );
}

// ---------------------------------------------------------------------------------------
// Timeline expectations: what the program did while it ran, from the trace.

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
fn timeline_shmget(c: &mut Ctx<'_>, creates: bool, exclusive: bool) {
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
        // The call that matters: the one with IPC_CREAT if any (create), else the first.
        let get = gets.iter().find(|e| flags_of(e) & libc::IPC_CREAT != 0).unwrap_or(&gets[0]);
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
fn timeline_shmat(c: &mut Ctx<'_>, readonly: bool) {
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
fn timeline_shmdt(c: &mut Ctx<'_>, before_nattch: u64) {
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
            dts.iter().map(|e| e.line()).collect::<Vec<_>>().join("; ")
        };
        c.check("timeline", "shmdt with the address shmat returned", "a successful shmdt", shown, good.is_some(), || {
            if dts.is_empty() {
                "your program exited without calling shmdt: the kernel detached it for you, but the lab asks you to detach explicitly".into()
            } else {
                "shmdt was not called with the address shmat returned: pass exactly that pointer".into()
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
fn timeline_shmctl(c: &mut Ctx<'_>, cmd: i32) {
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
                Some(Return::Errno(errno)) => Some(crate::trace::errno_name(errno)),
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

// ---------------------------------------------------------------------------------------
// Lab 1: create

fn create() -> Vec<Def> {
    vec![
        def("create/default-mode", "creates a new segment with mode 0644", |c| {
            check_new_segment(c, 4096, 0o644, "the default (0644)");
            timeline_shmget(c, true, false);
        })
            .needs(&[Need::Persistence])
            .run(&[FREE, lit("4096")])
            .reading_contents(),
        def("create/mode-600", "--mode 600 and an odd size are used as given", |c| {
            check_new_segment(c, 5000, 0o600, "--mode");
            timeline_shmget(c, true, false);
        })
            .needs(&[Need::Persistence])
            .run(&[FREE, lit("5000"), lit("--mode"), lit("600")])
            .reading_contents(),
        def("create/existing-key", "an existing key gives back its segment, unchanged", |c| {
            c.status(0);
            let id = c.obs.setup_ids[0];
            stdout_line(c, &id.to_string(), |a| id_hint(a, id, "the existing segment's id"));
            check_existing_unchanged(c, "opening an existing segment must not change it: shmget ignores the mode bits for an existing key, so nothing else may touch it");
            timeline_shmget(c, true, false);
        })
        .setup(SegmentSpec::new(4096, 0o640).holding(b"existing data\0"))
        .run(&[key(0), lit("4096")])
        .reading_contents(),
        def("create/exclusive-existing", "--exclusive on an existing key fails with EEXIST", |c| {
            c.status_hinted(1, |code, stderr| match (code, crate::scenario::errno_in(stderr)) {
                (0, Some("EEXIST")) => Some("shmget failed with EEXIST, as it should, but the program exited with status 0: exit with status 1 when a call fails".into()),
                (0, _) => Some("--exclusive must add IPC_EXCL: with IPC_CREAT | IPC_EXCL, shmget fails with EEXIST when the key already has a segment".into()),
                _ => None,
            });
            c.errno("shmget", "EEXIST");
            check_existing_unchanged(c, "a failed shmget changes nothing: the program must stop after the error");
            timeline_shmget(c, true, true);
        })
        .setup(SegmentSpec::new(4096, 0o640).holding(b"existing data\0"))
        .run(&[key(0), lit("4096"), lit("--exclusive")])
        .reading_contents(),
        def("create/larger-than-existing", "a size larger than the existing segment fails with EINVAL", |c| {
            fails_with(c, "shmget", "EINVAL");
            c.nothing_created("a new segment appeared: pass the key from the command line, not IPC_PRIVATE");
            c.unchanged(0, "a failed shmget changes nothing");
        })
        .setup(SegmentSpec::new(1024, 0o644))
        .run(&[key(0), lit("4096")]),
        def("create/missing-arguments", "no SIZE: usage error, status 2", |c| {
            c.status(2);
            c.nothing_created("with bad arguments, exit with status 2 before calling shmget");
        })
        .run(&[FREE]),
    ]
}

// ---------------------------------------------------------------------------------------
// Lab 2: access

fn access() -> Vec<Def> {
    vec![
        def("access/existing", "prints the id of the key's segment, changes nothing", |c| {
            c.status(0);
            let id = c.obs.setup_ids[0];
            stdout_line(c, &id.to_string(), |a| id_hint(a, id, "the segment's id"));
            c.nothing_created("access must never create a segment: call shmget(key, 0, 0), without IPC_CREAT");
            c.unchanged(0, "access only looks the segment up: it must not attach, change or remove it");
            timeline_shmget(c, false, false);
        })
        .setup(SegmentSpec::new(4096, 0o644).marked())
        .run(&[key(0)]),
        def("access/missing-key", "a key with no segment fails with ENOENT, creates nothing", |c| {
            fails_with(c, "shmget", "ENOENT");
            c.nothing_created("access must never create a segment: IPC_CREAT was passed, so a missing key made a new one");
            timeline_shmget(c, false, false);
        })
        .run(&[FREE]),
        def("access/missing-arguments", "no KEY: usage error, status 2", |c| {
            c.status(2);
            c.nothing_created("with bad arguments, exit with status 2 before calling shmget");
        })
        .run(&[]),
    ]
}

// ---------------------------------------------------------------------------------------
// Lab 3: attach

fn attached_by_program(c: &mut Ctx<'_>) {
    let id = c.obs.setup_ids[0];
    let pid = c.run().pid;
    let started = c.run().started;
    let Some(seg) = c.after().by_id(id).cloned() else {
        return;
    };
    c.field("lpid", "last attach/detach pid (shm_lpid)", pid, seg.lpid, || {
        "the program never attached the segment: lpid would be its pid after shmat (and after the exit that detaches it)".into()
    });
    c.check(
        "atime",
        "last attach time (shm_atime)",
        format!("at or after the run started ({started})"),
        seg.atime,
        seg.atime >= started,
        || "shm_atime did not move: the segment was never attached with shmat".into(),
    );
    c.field(
        "nattch",
        "attachments after the program exited",
        0u64,
        seg.nattch,
        || {
            "the segment is still attached after the program exited: did a child process keep it?"
                .into()
        },
    );
}

fn write_hint(expected: &[u8], actual: &[u8], text: &[u8]) -> String {
    let n = text.len();
    if actual == c_initial(expected, n) {
        return "the segment is unchanged: the text never reached it (write through the pointer shmat returned, not into a local copy)".into();
    }
    if actual.get(..n) == Some(text) && actual.get(n) == Some(&MARKER) {
        return "the text was written without its terminating NUL: copy strlen(TEXT) + 1 bytes (strcpy does), so readers know where it ends".into();
    }
    if let Some(off) = actual.windows(n).position(|w| w == text).filter(|o| *o > 0) {
        return format!(
            "the text landed at offset {off}: write it at offset 0, the address shmat returned"
        );
    }
    if actual.get(..=n) == expected.get(..=n) {
        let last = actual
            .iter()
            .zip(expected)
            .rposition(|(a, b)| a != b)
            .unwrap_or(n);
        return format!("bytes after the text's NUL were changed (up to offset {last}): write TEXT and its NUL only, not a whole buffer");
    }
    "the bytes at offset 0 are not TEXT followed by a NUL: copy exactly the text given with --write"
        .into()
}

/// What a segment held before the program wrote `n + 1` bytes: the marker everywhere.
fn c_initial(expected: &[u8], n: usize) -> Vec<u8> {
    let mut v = expected.to_vec();
    for b in v.iter_mut().take(n + 1) {
        *b = MARKER;
    }
    v
}

fn read_hint(actual: &str, text: &str, size: Option<usize>) -> String {
    if actual.is_empty() {
        return "nothing was printed: print the text read from the segment, then a newline".into();
    }
    if actual.trim_end_matches('\n') == text {
        return "print exactly one newline after the text".into();
    }
    if actual.starts_with(text) {
        return match size {
            Some(size) => format!("the segment holds no NUL: stop reading at its size ({size} bytes, shm_segsz) instead of running past it"),
            None => "the output goes past the text: stop at the first NUL byte, where the C string ends".into(),
        };
    }
    if text.starts_with(actual.trim_end_matches('\n')) {
        return "the text was cut short: read up to the first NUL, not a fixed number of bytes"
            .into();
    }
    "print the text the segment holds, read from offset 0 of the attachment".into()
}

fn attach() -> Vec<Def> {
    vec![
        def("attach/write", "--write puts TEXT and its NUL at offset 0, nothing else", |c| {
            c.status(0);
            stdout_empty(c);
            let id = c.obs.setup_ids[0];
            if let Some(actual) = c.obs.contents.get(&id).cloned() {
                let mut expected = c.obs.initial_contents[0].clone();
                expected[..6].copy_from_slice(b"hello\0");
                let first = expected.iter().zip(&actual).position(|(a, b)| a != b);
                c.check("contents", "segment bytes after --write hello", "\"hello\\0\" at offset 0, every other byte untouched", first.map_or("as expected".to_string(), |i| format!("differs from byte {i}: {}", show(&String::from_utf8_lossy(&actual[..actual.len().min(16)])))), first.is_none(), || write_hint(&expected, &actual, b"hello"));
            }
            attached_by_program(c);
            timeline_shmat(c, false);
        })
        .setup(SegmentSpec::new(64, 0o644).marked())
        .run(&[key(0), lit("--write"), lit("hello")])
        .reading_contents(),
        def("attach/read", "prints the text up to its NUL", |c| {
            c.status(0);
            let text = "greetings from the checker";
            c.stdout(&format!("{text}\n"), |a| read_hint(a, text, None));
            attached_by_program(c);
            timeline_shmat(c, false);
        })
        .setup(SegmentSpec::new(64, 0o644).holding(b"greetings from the checker\0"))
        .run(&[key(0)]),
        def("attach/read-without-nul", "a segment with no NUL is read up to its size", |c| {
            c.status(0);
            let text = "ABCDEFGHIJKLMNOP";
            c.stdout(&format!("{text}\n"), |a| read_hint(a, text, Some(16)));
        })
        .setup(SegmentSpec::new(16, 0o644).holding(b"ABCDEFGHIJKLMNOP"))
        .run(&[key(0)]),
        def("attach/readonly", "--readonly attaches with SHM_RDONLY and reads", |c| {
            c.status_hinted(0, |code, stderr| match (code, crate::scenario::errno_in(stderr)) {
                (1, Some("EACCES")) if stderr.contains("shmget") => Some(
                    "shmget failed with EACCES: mode bits in the flags of shmget ask for that access to an existing segment; look it up with flags 0".into(),
                ),
                (1, Some("EACCES")) => Some(
                    "--readonly must attach with SHM_RDONLY: the segment's mode 0444 grants read only, so a read-write shmat fails with EACCES".into(),
                ),
                _ => None,
            });
            c.stdout("read me\n", |a| read_hint(a, "read me", None));
            timeline_shmat(c, true);
        })
        .needs(&[Need::Unprivileged])
        .setup(SegmentSpec::new(64, 0o444).holding(b"read me\0"))
        .run(&[key(0), lit("--readonly")]),
        def("attach/readonly-needed", "a read-write attach of a read-only segment fails with EACCES", |c| {
            c.status_hinted(1, |code, _| {
                (code == 0).then(|| "without --readonly the attach must be read-write, which the segment's mode 0444 refuses with EACCES: pass SHM_RDONLY only for --readonly".into())
            });
            c.errno("shmat", "EACCES");
        })
        .needs(&[Need::Unprivileged])
        .setup(SegmentSpec::new(64, 0o444).holding(b"read me\0"))
        .run(&[key(0)]),
        missing_key_def("attach"),
    ]
}

// ---------------------------------------------------------------------------------------
// Lab 4: detach

fn detached_by_program(c: &mut Ctx<'_>, before_nattch: u64) {
    let id = c.obs.setup_ids[0];
    let pid = c.run().pid;
    let started = c.run().started;
    let Some(seg) = c.after().by_id(id).cloned() else {
        c.check("segment-exists", "the segment after the run", "still there", "gone", false, || {
            "the segment was removed: the detach lab detaches with shmdt and must not call IPC_RMID".into()
        });
        return;
    };
    c.check("mode", "SHM_DEST flag (mode & 01000)", "not set", if seg.is_marked_for_destruction() { "set" } else { "not set" }, !seg.is_marked_for_destruction(), || {
        "the segment was marked for removal: the detach lab detaches with shmdt and must not call IPC_RMID".into()
    });
    c.field("nattch", "attachments after the run", before_nattch, seg.nattch, || {
        format!("nattch should be back to {before_nattch}, what it was before the run: shmdt the attachment the program made, and only that one")
    });
    c.field(
        "lpid",
        "last attach/detach pid (shm_lpid)",
        pid,
        seg.lpid,
        || "the program never attached or detached this segment: lpid would be its pid".into(),
    );
    c.check(
        "dtime",
        "last detach time (shm_dtime)",
        format!("at or after the run started ({started})"),
        seg.dtime,
        seg.dtime >= started,
        || "shm_dtime did not move: the segment was never detached".into(),
    );
}

fn detach_status(c: &mut Ctx<'_>) {
    c.status_hinted(0, |code, stderr| {
        (code == 1 && stderr.contains("shmdt") && crate::scenario::errno_in(stderr) == Some("EINVAL")).then(|| {
            "shmdt failed with EINVAL: it needs the exact address shmat returned, so keep that pointer unchanged and read through a copy".into()
        })
    });
}

fn detach() -> Vec<Def> {
    vec![
        def("detach/read-and-detach", "prints the text, detaches", |c| {
            detach_status(c);
            c.stdout("detach me\n", |a| read_hint(a, "detach me", None));
            detached_by_program(c, 0);
            timeline_shmdt(c, 0);
        })
        .setup(SegmentSpec::new(64, 0o644).holding(b"detach me\0"))
        .run(&[key(0)]),
        def(
            "detach/other-attachment-kept",
            "another process's attachment is left alone",
            |c| {
                detach_status(c);
                c.stdout("shared\n", |a| read_hint(a, "shared", None));
                detached_by_program(c, 1);
                timeline_shmdt(c, 1);
            },
        )
        .setup(SegmentSpec::new(64, 0o644).holding(b"shared\0").held(1))
        .run(&[key(0)]),
        missing_key_def("detach"),
    ]
}

// ---------------------------------------------------------------------------------------
// Lab 5: remove

const NO_RMID: &str = "IPC_RMID was not called on this segment: call shmctl(id, IPC_RMID, NULL) with the id shmget returned";

fn remove_status(c: &mut Ctx<'_>) {
    c.status_hinted(0, |code, stderr| {
        (code == 1 && stderr.contains("shmctl") && crate::scenario::errno_in(stderr) == Some("EINVAL")).then(|| {
            "shmctl failed with EINVAL: no segment has that id; pass the id shmget returned, not the key".into()
        })
    });
}

fn remove() -> Vec<Def> {
    vec![
        def("remove/unattached", "an unattached segment is gone after the run", |c| {
            remove_status(c);
            stdout_empty(c);
            let id = c.obs.setup_ids[0];
            let after = c.after().by_id(id).cloned();
            c.check("segment-exists", "the segment after the run", "gone", if after.is_some() { "still there" } else { "gone" }, after.is_none(), || NO_RMID.into());
            c.nothing_created("a new segment appeared: the remove lab only looks up the key, without IPC_CREAT");
            timeline_shmctl(c, libc::IPC_RMID);
        })
        .setup(SegmentSpec::new(4096, 0o644))
        .run(&[key(0)]),
        def("remove/attached-elsewhere", "an attached segment is marked SHM_DEST and goes at its last detach", |c| {
            remove_status(c);
            let id = c.obs.setup_ids[0];
            match c.after().by_id(id).cloned() {
                None => {
                    c.check("segment-exists", "the segment after the run", "still there (another process holds it)", "gone", false, || {
                        "the segment vanished while another process was attached: the kernel never does that, so the checker's setup was disturbed".into()
                    });
                }
                Some(seg) => {
                    c.check("mode", "SHM_DEST flag (mode & 01000)", "set", if seg.is_marked_for_destruction() { "set" } else { "not set" }, seg.is_marked_for_destruction(), || NO_RMID.into());
                    c.field("key", "key after IPC_RMID", "0x00000000".to_string(), seg.key.clone(), || NO_RMID.into());
                    c.field("nattch", "attachments", 1u64, seg.nattch, || "only the checker's attachment should remain".into());
                }
            }
            let gone = c.after_step(1).by_id(id).is_none();
            c.check("segment-exists", "the segment after the checker detached", "gone", if gone { "gone" } else { "still there" }, gone, || {
                "the segment survived its last detach, so it was never marked for destruction: IPC_RMID was not called on it".into()
            });
            timeline_shmctl(c, libc::IPC_RMID);
        })
        .setup(SegmentSpec::new(4096, 0o644).held(1))
        .run(&[key(0)])
        .then(Action::ReleaseHeld),
        missing_key_def("remove"),
        def("remove/not-owner", "removing another user's segment fails with EPERM", |c| {
            fails_with(c, "shmctl", "EPERM");
            c.unchanged(0, "the segment belongs to another user, so IPC_RMID fails with EPERM and it must stay intact");
        })
        .needs(&[Need::Unprivileged, Need::OtherIds])
        .setup(SegmentSpec::new(4096, 0o666).owned_by(Owner::Other))
        .run(&[key(0)]),
    ]
}

// ---------------------------------------------------------------------------------------
// Lab 6: stat

const STAT_FIELDS: [&str; 14] = [
    "key", "shmid", "size", "mode", "uid", "gid", "cuid", "cgid", "cpid", "lpid", "nattch",
    "atime", "dtime", "ctime",
];

fn stat_values(seg: &SegmentState) -> [String; 14] {
    [
        seg.key.clone(),
        seg.id.to_string(),
        seg.size.to_string(),
        format!("{:04o}", seg.perms()),
        seg.uid.to_string(),
        seg.gid.to_string(),
        seg.cuid.to_string(),
        seg.cgid.to_string(),
        seg.cpid.to_string(),
        seg.lpid.to_string(),
        seg.nattch.to_string(),
        seg.atime.to_string(),
        seg.dtime.to_string(),
        seg.ctime.to_string(),
    ]
}

/// The C name of a stat line's field.
fn c_field(field: &str) -> &'static str {
    match field {
        "key" => "shm_perm.__key",
        "shmid" => "the id shmget returned",
        "size" => "shm_segsz",
        "mode" => "shm_perm.mode",
        "uid" => "shm_perm.uid",
        "gid" => "shm_perm.gid",
        "cuid" => "shm_perm.cuid",
        "cgid" => "shm_perm.cgid",
        "cpid" => "shm_cpid",
        "lpid" => "shm_lpid",
        "nattch" => "shm_nattch",
        "atime" => "shm_atime",
        "dtime" => "shm_dtime",
        _ => "shm_ctime",
    }
}

fn stat_hint(
    field: &str,
    expected: &str,
    actual: Option<&str>,
    printed: &[Option<String>],
    values: &[String; 14],
    seg: &SegmentState,
) -> String {
    let Some(actual) = actual else {
        return format!(
            "the line `{field}: ...` is missing: print all 14 lines, in the contract's order"
        );
    };
    let me = STAT_FIELDS.iter().position(|f| *f == field).unwrap_or(0);
    // A true swap first: this line shows the other field's value and the other line this one's.
    let swapped = (0..14)
        .find(|&o| o != me && values[o] == actual && printed[o].as_deref() == Some(expected));
    // Else any other field with this value, unless the value is too common to tell (0).
    let same_value = || (0..14).find(|&o| o != me && values[o] == actual && actual != "0");
    if let Some(o) = swapped.or_else(same_value) {
        let other = STAT_FIELDS[o];
        return format!(
            "the value printed for {field} is the segment's {other}: print {} on the {field} line, not {}",
            c_field(field),
            c_field(other)
        );
    }
    let decimal = seg.perms().to_string();
    match field {
        "mode" if actual.trim_start_matches('0') == decimal => {
            "the mode was printed in decimal: print it in octal with 4 digits (%04o)".into()
        }
        "mode" if actual == format!("{:o}", seg.perms()) => {
            "print the mode with 4 octal digits, zero-padded (%04o)".into()
        }
        "mode" if actual == format!("{:04o}", seg.raw_mode) => {
            "print only the nine permission bits (mode & 0777)".into()
        }
        "key"
            if actual.trim_start_matches("0x").parse::<u64>().ok()
                == Some(seg.raw_key as u32 as u64)
                || actual == (seg.raw_key as u32).to_string() =>
        {
            "print the key in hexadecimal as 0x followed by 8 digits (0x%08x)".into()
        }
        "key" => "print the key as 0x%08x".into(),
        _ => format!(
            "{field} should be {expected}, the value IPC_STAT reports in {}",
            c_field(field)
        ),
    }
}

fn check_stat(c: &mut Ctx<'_>) {
    check_stat_lines(c);
    timeline_shmctl(c, libc::IPC_STAT);
}

fn check_stat_lines(c: &mut Ctx<'_>) {
    c.status(0);
    let id = c.obs.setup_ids[0];
    let Some(seg) = c.after().by_id(id).cloned() else {
        return;
    };
    let out = c.run().stdout.clone();
    let lines: Vec<&str> = out.lines().collect();
    let values = stat_values(&seg);
    let printed_all: Vec<Option<String>> = STAT_FIELDS
        .iter()
        .enumerate()
        .map(|(i, f)| {
            lines
                .get(i)
                .and_then(|l| l.strip_prefix(&format!("{f}:")))
                .map(|v| v.trim().to_string())
        })
        .collect();
    let mut all_ok = true;
    for (i, (field, expected)) in STAT_FIELDS.iter().zip(&values).enumerate() {
        let line = lines.get(i).copied();
        let printed = line
            .and_then(|l| l.strip_prefix(&format!("{field}:")))
            .map(str::trim);
        let label_ok = line.is_some_and(|l| l.starts_with(&format!("{field}:")));
        let actual = match (line, printed) {
            (None, _) => "(missing)".to_string(),
            (Some(l), None) => show(l),
            (Some(_), Some(v)) => v.to_string(),
        };
        let ok = label_ok && printed == Some(expected.as_str());
        let hint_actual = if label_ok { printed } else { None };
        all_ok &= c.check(field_name(field), format!("line {}: {field}", i + 1), format!("{field}: {expected}"), if label_ok { format!("{field}: {actual}") } else { actual }, ok, || {
            if line.is_some() && !label_ok {
                format!("line {} should start with `{field}: `: print the 14 lines in the contract's order, each as `name: value`", i + 1)
            } else {
                stat_hint(field, expected, hint_actual, &printed_all, &values, &seg)
            }
        });
    }
    if lines.len() > 14 {
        c.check("stdout", "lines on stdout", 14, lines.len(), false, || {
            "print exactly the 14 lines and nothing else".into()
        });
    }
    let _ = all_ok;
}

fn field_name(f: &str) -> &'static str {
    STAT_FIELDS
        .iter()
        .copied()
        .find(|x| *x == f)
        .unwrap_or("stdout")
}

fn stat() -> Vec<Def> {
    vec![
        def(
            "stat/fresh",
            "prints the metadata of a fresh segment",
            check_stat,
        )
        .setup(SegmentSpec::new(1234, 0o640))
        .run(&[key(0)]),
        def(
            "stat/with-history",
            "prints times, lpid and nattch of a segment in use",
            check_stat,
        )
        .setup(SegmentSpec::new(4096, 0o644).with_history().held(1))
        .run(&[key(0)]),
        def(
            "stat/owner-differs",
            "owner and creator differ: uid/gid vs cuid/cgid",
            check_stat,
        )
        .needs(&[Need::OtherIds])
        .setup(
            SegmentSpec::new(2048, 0o644)
                .owned_by(Owner::Other)
                .with_history()
                .held(1),
        )
        .run(&[key(0)]),
        missing_key_def("stat"),
    ]
}

// ---------------------------------------------------------------------------------------
// Lab 7: set

const ZEROED: &str = "IPC_SET was given a zeroed struct shmid_ds, which also sets uid and gid to 0: fill the buffer with IPC_STAT first, then change only the mode";

fn set_status(c: &mut Ctx<'_>) {
    c.status_hinted(0, |code, stderr| {
        (code == 1 && crate::scenario::errno_in(stderr) == Some("EINVAL")).then(|| {
            "IPC_SET failed with EINVAL: the buffer held a uid or gid that does not exist here, as a zeroed struct shmid_ds does; fill it with IPC_STAT first".into()
        })
    });
}

fn check_set(c: &mut Ctx<'_>, mode: u32, uid: Option<u32>, gid: Option<u32>) {
    check_set_state(c, mode, uid, gid);
    timeline_shmctl(c, libc::IPC_SET);
}

fn check_set_state(c: &mut Ctx<'_>, mode: u32, uid: Option<u32>, gid: Option<u32>) {
    set_status(c);
    stdout_empty(c);
    let before = c.setup_before(0).clone();
    let Some(after) = c.after().by_id(before.id).cloned() else {
        c.check(
            "segment-exists",
            "the segment after the run",
            "still there",
            "gone",
            false,
            || "the set lab must not remove the segment".into(),
        );
        return;
    };
    c.field("mode", "permission bits after IPC_SET", format!("{mode:04o}"), format!("{:04o}", after.perms()), || {
        if after.perms() == before.perms() {
            "the mode did not change: set shm_perm.mode in the buffer that IPC_STAT filled, then pass it to IPC_SET".into()
        } else {
            mode_hint(mode, after.perms(), "--mode")
        }
    });
    let want_uid = uid.unwrap_or(before.uid);
    let want_gid = gid.unwrap_or(before.gid);
    c.field("uid", "owner (shm_perm.uid)", want_uid, after.uid, || {
        if uid.is_some() && after.uid == before.uid {
            "--uid was not applied: set shm_perm.uid in the buffer before IPC_SET".into()
        } else if after.uid == 0 {
            ZEROED.into()
        } else {
            "IPC_SET changed the owner: keep shm_perm.uid as IPC_STAT read it unless --uid is given"
                .into()
        }
    });
    c.field("gid", "group (shm_perm.gid)", want_gid, after.gid, || {
        if gid.is_some() && after.gid == before.gid {
            "--gid was not applied: set shm_perm.gid in the buffer before IPC_SET".into()
        } else if after.gid == 0 {
            ZEROED.into()
        } else {
            "IPC_SET changed the group: keep shm_perm.gid as IPC_STAT read it unless --gid is given"
                .into()
        }
    });
    for (field, b, a) in [
        ("cuid", before.cuid, after.cuid),
        ("cgid", before.cgid, after.cgid),
    ] {
        c.field(field, format!("{field} (never changes)"), b, a, || {
            "the creator's ids never change".into()
        });
    }
    c.field("size", "size", before.size, after.size, || {
        "IPC_SET cannot change the size; something else replaced the segment".into()
    });
    let started = c.run().started;
    c.check(
        "ctime",
        "change time (shm_ctime)",
        format!("at or after the run started ({started})"),
        after.ctime,
        after.ctime >= started,
        || "shm_ctime did not move: IPC_SET was never applied".into(),
    );
}

fn set() -> Vec<Def> {
    vec![
        def("set/mode", "--mode changes only the permission bits", |c| check_set(c, 0o640, None, None))
            .setup(SegmentSpec::new(4096, 0o600))
            .run(&[key(0), lit("--mode"), lit("640")]),
        def("set/keeps-owner", "uid and gid survive a mode change", |c| check_set(c, 0o604, None, None))
            .setup(SegmentSpec::new(4096, 0o600).owned_by(Owner::ProgramOtherGroup))
            .run(&[key(0), lit("--mode"), lit("604")]),
        def("set/uid-gid", "--uid and --gid are applied", |c| check_set(c, 0o600, Some(OTHER_UID), Some(OTHER_GID)))
            .needs(&[Need::OtherIds])
            .setup(SegmentSpec::new(4096, 0o644))
            .run(&[key(0), lit("--mode"), lit("600"), lit("--uid"), lit(&OTHER_UID.to_string()), lit("--gid"), lit(&OTHER_GID.to_string())]),
        def("set/not-owner", "changing another user's segment fails with EPERM", |c| {
            fails_with(c, "shmctl", "EPERM");
            c.unchanged(0, "the segment belongs to another user, so IPC_SET fails with EPERM and nothing may change");
        })
        .needs(&[Need::Unprivileged, Need::OtherIds])
        .setup(SegmentSpec::new(4096, 0o666).owned_by(Owner::Other))
        .run(&[key(0), lit("--mode"), lit("600")]),
        missing_key_def("set"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_lab_has_scenarios_with_unique_slugs_under_its_name() {
        let mut seen = std::collections::HashSet::new();
        for lab in LABS {
            let list = scenarios(lab.name);
            assert!(list.len() >= 3, "{} has {} scenarios", lab.name, list.len());
            for s in list {
                assert!(s.slug.starts_with(&format!("{}/", lab.name)), "{}", s.slug);
                assert!(seen.insert(s.slug), "duplicate slug {}", s.slug);
                assert!(
                    s.steps.iter().any(|st| matches!(st, Step::Run(_))),
                    "{} runs nothing",
                    s.slug
                );
            }
        }
    }

    #[test]
    fn nearest_lab_name_is_suggested() {
        assert_eq!(nearest("creat"), "create");
        assert_eq!(nearest("atach"), "attach");
        assert_eq!(nearest("stats"), "stat");
        assert_eq!(nearest("Remove"), "remove");
    }

    #[test]
    fn decimal_reading_of_an_octal_mode_is_recognised() {
        assert_eq!(decimal_as_octal(0o600), 600);
        assert!(mode_hint(0o600, 600 & 0o777, "--mode").contains("base 8"));
        assert!(mode_hint(0o644, 0, "the default").contains("IPC_CREAT alone"));
    }
}
