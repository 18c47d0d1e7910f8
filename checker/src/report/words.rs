//! The words for what the checker observed: what a traced event did, how a run ended. Every
//! renderer (and the hints that quote a timeline) says these things the same way.

use super::cap::shown_text;
use super::neutral::{neutral, neutral_lines};
use super::{Report, RunsAs};
use crate::model::lab::LabProblem;
use crate::model::lab::Unreachable;
use crate::model::run::SpawnFailed;
use crate::model::timeline::{errno_name, signal_name, Attached, HELD_BYTES};
use crate::model::{Call, Effect, Lab, SegmentState, Termination, TraceEvent};
use crate::run::isolation::{Isolation, IsolationChoice, IsolationReason};
use crate::run::program::SAFE_PATH;
use crate::scenario::signal_meaning;

/// A failed fork or clone: "a fork failed with EAGAIN while the run had 2 processes and
/// threads".
pub fn spawn_failed_text(failed: &SpawnFailed) -> String {
    let what = if failed.thread {
        "a new thread"
    } else {
        "a fork"
    };
    format!(
        "{what} failed with {} while the run had {} processes and threads",
        errno_name(failed.errno),
        failed.tasks,
    )
}

/// A scenario's error when a fork or clone failed twice for a reason outside the run: the
/// machine, not the program.
pub fn spawn_elsewhere(failed: &SpawnFailed) -> String {
    let of = failed
        .limit
        .map(|l| format!(" (of the {l} it may have)"))
        .unwrap_or_default();
    format!(
        "{}{of}, in two tries: the machine was short of processes or memory, not the program; run the check again",
        spawn_failed_text(failed)
    )
}

/// Why a lab could not be checked, in one sentence. The paths and what the program said
/// are the student's: neutral.
pub fn lab_problem(lab: Lab, problem: &LabProblem) -> String {
    match problem {
        LabProblem::DoesNotCompile {
            file,
            first_error,
            errors,
        } => {
            let first = first_error
                .as_deref()
                .map(|f| format!(": {}", neutral(f)))
                .unwrap_or_default();
            let messages = match errors {
                Some(errors) => format!(";\n{}", neutral_lines(errors)),
                None => "; the compiler's messages are above".into(),
            };
            format!(
                "{} does not compile{first}; the other labs are checked all the same{messages}",
                neutral(file)
            )
        }
        LabProblem::SourceDoesNotCompile {
            file,
            why: None,
            errors: None,
        } => {
            format!("{} does not compile: the compiler's errors are above", neutral(file))
        }
        LabProblem::SourceDoesNotCompile {
            file,
            why: None,
            errors: Some(errors),
        } => format!(
            "{} does not compile:\n{}",
            neutral(file),
            neutral_lines(errors)
        ),
        LabProblem::SourceDoesNotCompile {
            file,
            why: Some(why),
            ..
        } => format!("{} could not be compiled: {}", neutral(file), neutral(why)),
        LabProblem::NoBinary { package, name } => {
            format!("the {package} crate has no binary named {name}")
        }
        LabProblem::NotFound { path } => format!(
            "{} not found: put the {lab} program there, named {lab}",
            neutral(path.as_os_str().as_encoded_bytes())
        ),
        LabProblem::NotExecutable { path } => format!(
            "{} is not an executable file: compile it, or chmod +x it",
            neutral(path.as_os_str().as_encoded_bytes())
        ),
        LabProblem::CouldNotStart {
            program,
            uid,
            code,
            said,
        } => {
            let what = if *code == 127 {
                "a command it starts was not found"
            } else {
                "a command it starts could not be executed"
            };
            let said = said
                .as_deref()
                .map(|s| format!(" It printed: {}.", neutral(shown_text(s))))
                .unwrap_or_default();
            let program = neutral(program);
            format!(
                "{program} could not start as uid {uid}: it exited with status {code} ({what}) before any shm call, so none of its scenarios could be checked.{said} Make the program and its interpreter (the #! line) exist and be executable by uid {uid}, through every directory on the way; this is not a mistake in its shm code."
            )
        }
        LabProblem::Unreachable { program, uid, what } => {
            let why = match what {
                Unreachable::Interpreter(interp) => format!(
                    "the interpreter its #! line names, {}, cannot be run by uid {uid}: install the interpreter where every user can reach it (its directories and the file open to others), or name one that is (the PATH programs get is {SAFE_PATH})",
                    neutral(std::os::unix::ffi::OsStrExt::as_bytes(interp.as_os_str()))
                ),
                Unreachable::Program => format!(
                    "uid {uid} cannot reach it and its mode keeps it from other users: make it readable and executable by everyone (chmod a+rx), with every directory on the way open"
                ),
                Unreachable::CopyNotExecutable => format!(
                    "uid {uid} cannot reach it, and cannot run even a copy in the temporary directory (is /tmp mounted noexec?): put it where every user can reach it"
                ),
                Unreachable::CopyFailed(e) => format!(
                    "uid {uid} cannot reach it, and copying it where it could failed ({e}): put it where every user can reach it"
                ),
            };
            format!(
                "{program} cannot run as uid {uid}, so none of its scenarios were run (the checker never runs a program as root): {why}; this is not a mistake in its shm code"
            )
        }
        LabProblem::CannotExecute { program, uid, error } => format!(
            "{} could not be executed as uid {uid} ({}), so none of its scenarios could be checked: check its #! line names an interpreter that exists, or that it was compiled for this machine; this is not a mistake in its shm code",
            neutral(program),
            neutral(error)
        ),
    }
}

/// Why this isolation, in one sentence.
pub fn isolation_why(choice: &IsolationChoice) -> String {
    match &choice.reason {
        IsolationReason::NamespacesAllowed {
            in_user_namespace: false,
        } => "a private IPC namespace per scenario".into(),
        IsolationReason::NamespacesAllowed {
            in_user_namespace: true,
        } => "a private IPC namespace per scenario, inside a user namespace that maps only your own uid".into(),
        IsolationReason::KeysRequested => {
            "unique random keys in this machine's IPC namespace, as requested".into()
        }
        IsolationReason::NamespacesForbidden(reason) => {
            format!("unique random keys in this machine's IPC namespace, because {reason}")
        }
    }
}

/// What an untraced run in keys mode cannot tell, where it cannot: as a user (no uid of the
/// run's own), a segment made by a process the program started has only its creator's pid,
/// which the checker never learnt.
pub fn untraced_keys_limit(report: &Report) -> Option<&'static str> {
    (report.tracing.is_some()
        && report.isolation.mode == Isolation::Keys
        && matches!(report.runs_as, RunsAs::OwnUid(_)))
    .then_some(
        "untraced in keys mode, a segment made by a process the program started (not by the program itself, nor at the scenario's keys) cannot be told from your other processes' segments: it is neither judged nor removed (trace the runs, or run the checker as root, to have it)",
    )
}

/// Whom the programs ran as, in words.
pub fn runs_as(r: &RunsAs) -> String {
    match r {
        RunsAs::OwnUid(uid) => {
            format!("your own uid {uid}, without capabilities, so permission checks apply")
        }
        RunsAs::RunUid { uid, own: Ok(()) } => format!(
            "uid {uid}, a user of this checker run's own, since the checker runs as root, so permission checks apply and limits count this run alone"
        ),
        RunsAs::RunUid { uid, own: Err(why) } => format!(
            "uid {uid} (nobody), since the checker runs as root, so permission checks apply (no uid of the run's own: {why})"
        ),
    }
}

/// The event as one line: `[4242] shmat(3, NULL, SHM_RDONLY) = 0x7f… → nattch 1, lpid 4242,
/// atime set`.
pub fn event_line(e: &TraceEvent) -> String {
    let mut effect = effect_text(e);
    if let Some(text) = &e.held {
        let held = if text.is_empty() {
            "it held no text (a NUL at offset 0)".to_string()
        } else if e.held_cut {
            format!(
                "it held \"{}\", and more: no NUL in the first {HELD_BYTES} bytes",
                neutral(shown_text(text))
            )
        } else {
            // Neutral, not quoted: the tracer already wrote a byte that is not UTF-8 as
            // `\xNN`, which quoting would double.
            format!("it held \"{}\"", neutral(shown_text(text)))
        };
        effect = if effect.is_empty() {
            held
        } else {
            format!("{effect}; {held}")
        };
    }
    if effect.is_empty() {
        e.call_line()
    } else {
        format!("{} → {effect}", e.call_line())
    }
}

/// What an event changed, in words (empty for a failed call).
pub fn effect_text(e: &TraceEvent) -> String {
    let list = |items: &[Attached], each: &dyn Fn(&Attached) -> String| {
        items.iter().map(each).collect::<Vec<_>>().join("; ")
    };
    match &e.effect {
        Effect::Call { .. } if !e.succeeded() => String::new(),
        Effect::Call { before } => {
            let text = segment_change(before.as_ref(), e.segment.as_ref());
            match (time_note(&e.call), e.segment.is_some()) {
                (Some(note), true) if text.is_empty() || text == "no change" => note.to_string(),
                (Some(note), true) => format!("{text}, {note}"),
                _ => text,
            }
        }
        Effect::Fork { inherited } => list(inherited, &|a| {
            format!("inherits segment {}: nattch {}", a.id, a.nattch)
        }),
        Effect::Exec { program, detached } => {
            let mut text = format!("runs `{}`", neutral(program));
            for a in detached {
                text.push_str(&format!(
                    "; detached from segment {}: nattch {}",
                    a.id, a.nattch
                ));
            }
            text
        }
        Effect::Exit { attached } => list(attached, &|a| {
            format!(
                "still attached to segment {} (nattch {}): the kernel detaches it as the process ends",
                a.id, a.nattch
            )
        }),
    }
}

/// What changed between two states of one segment, in words. Times are left out (they
/// move in whole seconds, so a diff would depend on the clock); [`time_note`] names the
/// time a call sets.
pub fn segment_change(before: Option<&SegmentState>, after: Option<&SegmentState>) -> String {
    match (before, after) {
        (None, None) => String::new(),
        (Some(_), None) => "segment destroyed".into(),
        (None, Some(a)) => format!(
            "new segment: key {}, size {}, mode {}",
            a.key(),
            a.size,
            a.mode_text()
        ),
        (Some(b), Some(a)) => {
            let mut parts = Vec::new();
            if b.key != a.key {
                parts.push(format!("key {}", a.key()));
            }
            if b.mode != a.mode {
                if a.is_marked_for_destruction() && !b.is_marked_for_destruction() {
                    parts.push("marked for destruction (SHM_DEST)".into());
                }
                if b.perms() != a.perms() {
                    parts.push(format!("mode {:04o}", a.perms()));
                }
            }
            for (name, x, y) in [("uid", b.uid, a.uid), ("gid", b.gid, a.gid)] {
                if x != y {
                    parts.push(format!("{name} {y}"));
                }
            }
            if b.nattch != a.nattch {
                parts.push(format!("nattch {}", a.nattch));
            }
            if b.lpid != a.lpid {
                parts.push(format!("lpid {}", a.lpid));
            }
            if parts.is_empty() {
                "no change".into()
            } else {
                parts.join(", ")
            }
        }
    }
}

/// The time field a successful call sets: `shmat` the attach time, `shmdt` the detach time,
/// `IPC_SET` the change time.
pub fn time_note(call: &Call) -> Option<&'static str> {
    match call {
        Call::Shmat { .. } => Some("atime set"),
        Call::Shmdt { .. } => Some("dtime set"),
        Call::Shmctl {
            cmd: libc::IPC_SET, ..
        } => Some("ctime set"),
        _ => None,
    }
}

/// A run's end, in words.
pub fn termination_text(t: &Termination) -> String {
    match t {
        Termination::Exited { code } => format!("exited with status {code}"),
        Termination::Signaled {
            signal,
            core_dumped,
        } => {
            format!(
                "killed by {}{}",
                signal_meaning(*signal),
                if *core_dumped { " (core dumped)" } else { "" }
            )
        }
        Termination::TimedOut { after_ms } => {
            format!("timed out after {after_ms} ms and was killed")
        }
        Termination::KilledItsParent { signal } => {
            format!(
                "killed its parent process with {}, and died with it",
                signal_name(*signal)
            )
        }
    }
}

/// A command line as a user could paste it (neutral: an argument that would act on the
/// terminal or hide text is shown escaped, and the line can then no longer be pasted as is).
pub fn shell_words(argv: &[String]) -> String {
    let words = argv
        .iter()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    neutral(words)
}

/// A run as a shell command that repeats it: `printf 'y\nhi\n' | memo 0x1234` when the
/// checker gave it a standard input, the command alone otherwise. A long input is cut.
pub fn run_command(run: &crate::model::RunRecord) -> String {
    let command = shell_words(&run.argv);
    match &run.stdin {
        None => command,
        Some(input) if input.is_empty() => format!("{command} < /dev/null"),
        Some(input) => {
            let mut escaped = String::new();
            for c in input.chars().take(120) {
                match c {
                    '\n' => escaped.push_str("\\n"),
                    '\\' => escaped.push_str("\\\\"),
                    '%' => escaped.push_str("%%"),
                    '\'' => escaped.push_str("'\\''"),
                    c if c.is_control() => escaped.push_str(&format!("\\{:03o}", c as u32 & 0xff)),
                    c => escaped.push(c),
                }
            }
            let more = input.chars().count().saturating_sub(120);
            let cut = if more > 0 {
                format!("[… {more} more characters]")
            } else {
                String::new()
            };
            format!("printf '{escaped}{cut}' | {command}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Return;

    #[test]
    fn a_run_with_stdin_is_shown_as_printf_piped_into_it() {
        let mut run = crate::model::RunRecord {
            argv: vec!["memo".into(), "0x1234".into()],
            stdin: Some("y\nit's 100%\n".into()),
            pid: 1,
            termination: crate::model::Termination::Exited { code: 0 },
            stdout: String::new(),
            stderr: String::new(),
            dropped: 0,
            dropped_by_stream: Default::default(),
            started: 0,
            timeline: None,
            survivors: Vec::new(),
            children: 0,
            left_namespace: false,
            spawn_failed: None,
            fault: None,
            exchanges: Vec::new(),
        };
        assert_eq!(
            run_command(&run),
            r"printf 'y\nit'\''s 100%%\n' | memo 0x1234"
        );
        run.stdin = Some(String::new());
        assert_eq!(run_command(&run), "memo 0x1234 < /dev/null");
        run.stdin = None;
        assert_eq!(run_command(&run), "memo 0x1234");
    }

    fn state(nattch: u64, lpid: i32) -> SegmentState {
        SegmentState {
            id: 0,
            key: 0x1234,
            size: 10,
            mode: 0o644,
            uid: 1,
            gid: 1,
            cuid: 1,
            cgid: 1,
            cpid: 7,
            lpid,
            nattch,
            atime: 0,
            dtime: 0,
            ctime: 0,
        }
    }

    #[test]
    fn lines_show_results_and_effects() {
        let e = TraceEvent {
            pid: 42,
            call: Call::Shmget {
                key: 0x1234,
                size: 10,
                flags: libc::IPC_CREAT | libc::IPC_EXCL | 0o600,
            },
            ret: Some(Return::Errno(libc::EEXIST)),
            segment: None,
            segment_id: None,
            held: None,
            effect: Effect::Call { before: None },
            repeats: 0,
            held_cut: false,
        };
        assert_eq!(
            event_line(&e),
            "[42] shmget(0x00001234, 10, IPC_CREAT|IPC_EXCL|0600) = -1 EEXIST (File exists)"
        );
        let e = TraceEvent {
            call: Call::Shmat {
                id: 0,
                addr: 0,
                flags: 0,
            },
            ret: Some(Return::Value(0x7f00_0000)),
            segment: Some(state(1, 42)),
            segment_id: Some(0),
            held: None,
            effect: Effect::Call {
                before: Some(state(0, 0)),
            },
            ..e
        };
        assert_eq!(
            event_line(&e),
            "[42] shmat(0, NULL, 0) = 0x7f000000 → nattch 1, lpid 42, atime set"
        );
    }

    #[test]
    fn what_a_program_controls_in_an_event_stays_on_its_line() {
        let e = TraceEvent {
            pid: 7,
            call: Call::Exec,
            ret: None,
            segment: None,
            segment_id: None,
            held: Some("held\x1b[2J\u{202e}".into()),
            effect: Effect::Exec {
                program: "true \n[1] shmdt(0x1) = 0 FORGED-LINE \x1b[2J \x07 \r \u{61c}".into(),
                detached: Vec::new(),
            },
            repeats: 0,
            held_cut: false,
        };
        assert_eq!(
            event_line(&e),
            r#"[7] execve(...) → runs `true \n[1] shmdt(0x1) = 0 FORGED-LINE \u{1b}[2J \u{7} \r \u{61c}`; it held "held\u{1b}[2J\u{202e}""#
        );
        assert_eq!(
            shell_words(&["./a\nPASS".into(), "b\u{2060}".into()]),
            r"'./a\nPASS' 'b\u{2060}'"
        );
    }

    #[test]
    fn a_fork_names_what_the_child_inherits() {
        let e = TraceEvent {
            pid: 1,
            call: Call::Fork { child: 2 },
            ret: None,
            segment: None,
            segment_id: None,
            held: None,
            effect: Effect::Fork {
                inherited: vec![Attached { id: 0, nattch: 2 }],
            },
            repeats: 0,
            held_cut: false,
        };
        assert_eq!(
            event_line(&e),
            "[1] fork() = 2 → inherits segment 0: nattch 2"
        );
    }
}
