//! How a run ended, checked first: a program that crashed, hung, could not start, rejected
//! its arguments or hit a `todo!()` gets that one check, and the checks after it are not
//! recorded (they would only add causes the program did not have).

use super::ctx::{Ctx, Stop};
use super::evidence::{Evidence, Kind, Outcome};
use super::fault::FaultCause;
use crate::model::run::{SpawnCause, MAX_CHILDREN, OUTPUT_CAP};
use crate::model::timeline::{errno_name, key_text, signal_name};
use crate::model::{Call, Effect, Return, Termination, TraceEvent};

/// Exit statuses a shell gives a command it could not run: found but not executable (126),
/// not found (127). No lab's contract uses them.
pub const CANNOT_EXECUTE: i32 = 126;
pub const NOT_FOUND: i32 = 127;

/// The usage-error exit status of every lab.
const USAGE: i32 = 2;

impl<'a> Ctx<'a> {
    /// Checks the exit status; first, whether the program finished normally at all. If it
    /// crashed, timed out, could not start, rejected its arguments or hit a `todo!()`, that
    /// is the one check reported.
    pub fn status(&mut self, expected: i32) -> bool {
        self.status_hinted(expected, |_, _| None)
    }

    /// Like [`status`](Self::status), with a lab's own hint for an unexpected status
    /// (`None` falls back to the general one).
    pub fn status_hinted(
        &mut self,
        expected: i32,
        special: impl FnOnce(i32, &str) -> Option<String>,
    ) -> bool {
        let run = self.run();
        let lab = self.lab;
        let stderr = run.stderr.clone();
        let max = MAX_CHILDREN;
        let evidence = self.evidence();
        let key = self.command_key();
        if run.left_namespace {
            self.check("namespace", "the program stayed in the IPC namespace the checker set up", "no unshare(CLONE_NEWIPC) or setns", "it moved to another IPC namespace, and the checker stopped it", false, || {
                "the program left the checker's IPC namespace (unshare or setns with CLONE_NEWIPC), so its segments could not be checked: a lab program must use the namespace it was started in".into()
            });
            return self.stop(Stop::LeftNamespace);
        }
        if run.children > max && !matches!(run.termination, Termination::Exited { .. }) {
            let n = run.children;
            self.check("processes", "processes the program started", format!("at most {max}"), n, false, || {
                "too many processes: the program kept forking (a fork() in a loop?) and the checker stopped it".into()
            });
            return self.stop(Stop::ForkLoop);
        }
        if let Some(failed) = run.spawn_failed {
            // Only the run's own doing; a failure from outside it is the checker's to
            // report (an error of the scenario), never a check of the program.
            if let SpawnCause::AtLimit(limit) = failed.cause() {
                let what = if failed.thread {
                    "a new thread (pthread_create)"
                } else {
                    "a fork()"
                };
                let tasks = failed.tasks;
                self.check("processes", "processes and threads the program had at once", format!("fewer than {limit}"), format!("{tasks}, when {what} failed with {}", errno_name(failed.errno)), false, || {
                    format!("the program reached the limit of {limit} processes and threads a run may have, so {what} failed: does it start processes or threads in a loop, or never wait for the children it started?")
                });
                return self.stop(Stop::ProcessLimit);
            }
        }
        match run.termination {
            Termination::KilledItsParent { signal } => {
                self.check("signal", "the program finished", "a normal exit", format!("it sent {} to its parent and died with it", signal_name(signal)), false, || {
                    "the program killed the process that ran it (kill(getppid(), ...)): a lab program must never signal other processes".into()
                });
                self.stop(Stop::KilledItsParent)
            }
            Termination::TimedOut { after_ms } => {
                let hint = timeout_hint(run);
                self.check(
                    "status",
                    "the program finished",
                    "an exit within the timeout",
                    format!("still running after {} ms, killed", after_ms),
                    false,
                    || hint,
                );
                self.stop(Stop::TimedOut)
            }
            Termination::Signaled { signal, .. } => {
                self.check(
                    "signal",
                    "the program finished",
                    "a normal exit",
                    format!("killed by {}", signal_name(signal)),
                    false,
                    || crash_hint(signal, &evidence),
                );
                self.stop(Stop::Crashed)
            }
            Termination::Exited { code } => {
                if code == expected {
                    self.check("status", "exit status", expected, code, true, String::new);
                    self.housekeeping();
                    return true;
                }
                if is_todo(&stderr) {
                    // Rust's todo!() says "not yet implemented"; the C starters'
                    // lab_not_implemented() says "not implemented: CALL".
                    let rust = stderr.contains("not yet implemented");
                    self.check("status", "exit status", expected, code, false, || {
                        if rust {
                            format!("this lab is not implemented yet: replace the todo!() calls in labs/src/bin/{lab}.rs (the guide is docs/labs/{lab}.md)")
                        } else {
                            format!("this lab is not implemented yet: write the TODO steps of your {lab} program (labs/c/{lab}.c in the C track; the guide is docs/labs/{lab}.md)")
                        }
                    });
                    return self.stop(Stop::NotImplemented);
                }
                if code == 101 && stderr.contains("panicked") {
                    self.check("status", "exit status", expected, code, false, || {
                        format!(
                            "the program panicked: {}",
                            first_line_with(&stderr, "panicked").unwrap_or_default()
                        )
                    });
                    return self.stop(Stop::Panicked);
                }
                // Only what the trace does not contradict: a program that made shm calls
                // did start, and did not stop at its arguments.
                let no_calls = evidence.any_shm_call() != Some(true);
                if matches!(code, CANNOT_EXECUTE | NOT_FOUND) && no_calls {
                    let said = last_line(&stderr);
                    self.check("status", "the program started", "it runs", format!("exit status {code}{}", said.as_deref().map(|s| format!(": {s}")).unwrap_or_default()), false, || {
                        let what = if code == NOT_FOUND { "a command it runs was not found" } else { "a command it runs could not be executed" };
                        format!("the program could not start: exit status {code} is a shell's for {what}, before any shm call; this is about how it is started, not about its shm code")
                    });
                    return self.stop(Stop::CouldNotStart);
                }
                if code == USAGE && no_calls {
                    let argv = run.argv.clone();
                    let rejected = rejected_argument(&argv, &stderr);
                    let said = last_line(&stderr).unwrap_or_else(|| "(nothing on stderr)".into());
                    self.check("status", "exit status", expected, format!("{code} (bad usage): {said}"), false, || {
                        let args = argv.get(1..).unwrap_or_default().join(" ");
                        match rejected {
                            Some(arg) => format!("the program rejected `{arg}` as bad usage, but `{args}` follows the usage line of docs/labs/{lab}.md: parse the arguments as the guide describes"),
                            None => format!("the program exited with status 2 (bad usage) for `{args}`, which follows the usage line of docs/labs/{lab}.md: parse the arguments as the guide describes"),
                        }
                    });
                    return self.stop(Stop::UsageRejected);
                }
                let ok = self.check("status", "exit status", expected, code, false, || {
                    special(code, &stderr)
                        .unwrap_or_else(|| status_hint(expected, code, &stderr, &evidence, key))
                });
                self.housekeeping();
                ok
            }
        }
    }

    /// Records that the checks stop here.
    fn stop(&mut self, why: Stop) -> bool {
        self.stopped = Some(why);
        false
    }

    /// What every run must also get right: leave no process behind, and print a sane amount.
    fn housekeeping(&mut self) {
        let run = self.run();
        let (survivors, dropped, children) = (run.survivors.clone(), run.dropped, run.children);
        if !survivors.is_empty() {
            let list = survivors
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join(", ");
            self.check("processes", "processes left running after the program exited", "none", format!("{} (pids {list}), killed by the checker", survivors.len()), false, || {
                if children > MAX_CHILDREN {
                    format!("the program started {children} processes and hit the process limit: look for a fork() in a loop")
                } else {
                    "the program left child processes running: wait for them (waitpid) before exiting".into()
                }
            });
        }
        if dropped > 0 {
            self.check(
                "stdout",
                "size of the output",
                format!("at most {} KiB per stream", OUTPUT_CAP / 1024),
                format!("{dropped} bytes more, dropped"),
                false,
                || {
                    "the program printed far more than the lab asks for: look for a print in a loop"
                        .into()
                },
            );
        }
    }
}

/// Why a run may not have finished, from what it was given and what it printed.
fn timeout_hint(run: &crate::model::RunRecord) -> String {
    let Some(input) = &run.stdin else {
        return "the program never finished: look for a loop that never ends or a read from stdin (stdin is /dev/null); --timeout sets the limit".into();
    };
    let lines = input.lines().count();
    let given = if lines == 0 {
        "stdin was empty".to_string()
    } else {
        format!("stdin held {lines} line(s), then ended")
    };
    match most_repeated_line(&run.stdout) {
        Some((line, n)) if n > lines + 1 => format!(
            "{given}, but the program went on printing {line:?} ({n} times before it was stopped): at end of input every read returns at once (fgets gives NULL, scanf and getchar EOF, read_line Ok(0)); treat it as the end, not as an answer to ask again"
        ),
        _ => format!("the program never finished: {given}; look for a loop that waits for more input or never ends; --timeout sets the limit"),
    }
}

/// The line stdout repeats most, and how often (the output of a loop).
fn most_repeated_line(stdout: &str) -> Option<(String, usize)> {
    let mut counts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for line in stdout.lines().map(str::trim_end).filter(|l| !l.is_empty()) {
        *counts.entry(line).or_default() += 1;
    }
    counts
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .map(|(l, n)| (l.chars().take(80).collect(), n))
}

/// The argument a usage message names: a value of the command line (not an option, whose
/// name a usage synopsis repeats anyway) that stderr quotes as a whole word, shown with its
/// option. `None` when stderr names none: then the hint says less.
pub fn rejected_argument(argv: &[String], stderr: &str) -> Option<String> {
    let words: Vec<&str> = stderr
        .split(|c: char| c.is_whitespace() || "'\"`‘’“”:,;()[]<>=".contains(c))
        .filter(|w| !w.is_empty())
        .collect();
    let args = argv.get(1..)?;
    let i = args
        .iter()
        .position(|a| !a.starts_with('-') && words.contains(&a.as_str()))?;
    Some(match i.checked_sub(1).map(|p| &args[p]) {
        Some(option) if option.starts_with("--") => format!("{option} {}", args[i]),
        _ => args[i].clone(),
    })
}

/// What a fatal signal usually means in these labs: every cause a lab program can have, its
/// own memory as well as shared memory (said where the run was not traced).
pub fn signal_meaning(signal: i32) -> String {
    let name = signal_name(signal);
    let meaning = match signal {
        libc::SIGSEGV => "a memory access outside what is mapped: in the program's own memory (an uninitialised or NULL pointer, an index past an array's end, a recursion too deep for the stack), or in shared memory (using the segment after shmdt detached it, writing through a SHM_RDONLY attachment, going past the end of the segment's pages, or using the (void *) -1 that a failed shmat returned)",
        libc::SIGBUS => "an access the memory behind a mapping cannot serve, such as past the end of a mapped segment or file",
        libc::SIGABRT => "the program aborted (an assertion, or a Rust panic with panic=abort)",
        libc::SIGFPE => "an arithmetic error such as a division by zero",
        libc::SIGKILL => "it was killed from outside (out of memory, or another process)",
        _ => "the program was stopped by a signal it did not handle",
    };
    format!("{name}: {meaning}")
}

/// The program's own pointers and arrays, which a crash outside shared memory points to:
/// in the code it ran after its last shm call.
const OWN_MEMORY: &str = "look at the pointers and arrays it uses after that call (an uninitialised or NULL pointer, an index past an array's end, a recursion too deep for the stack)";

/// A call and what it returned, without the pid: `shmget(0x5eed0001, 0, 0) = 3`.
fn call_and_result(e: &crate::model::TraceEvent) -> String {
    let line = e.call_line();
    match line.split_once("] ") {
        Some((_, rest)) => rest.to_string(),
        None => line,
    }
}

/// A crash explained from the trace: by the last shm call where it is one of the
/// shared-memory causes; else where it happened and which causes the trace allows (none at
/// all when the program had attached nothing). Untraced, every cause it can have.
pub fn crash_hint(signal: i32, evidence: &Evidence<'_>) -> String {
    let name = signal_name(signal);
    if signal != libc::SIGSEGV && signal != libc::SIGBUS {
        return signal_meaning(signal);
    }
    let (Some(last), Some(mem)) = (evidence.last_own_call(), evidence.attachments()) else {
        return signal_meaning(signal);
    };
    // Where it struck, when the tracer saw it: the cause, known. (Outside shared memory when
    // nothing was attached at all is said below, with where it happened.)
    match evidence.fault_cause() {
        Some(FaultCause::OwnMemory { .. }) if !mem.touched_shared_memory() => {}
        Some(cause) => return cause.text(signal),
        None => {}
    }
    let Some(last) = last else {
        return format!(
            "{name} before any shm call: the program had attached no segment, so the crash is not in shared memory: {}",
            OWN_MEMORY.replace("it uses after that call", "of the code that runs before its first shm call")
        );
    };
    // The last call alone suggests a cause only when the tracer saw no faulting address
    // (a fault it saw whose address tells nothing rules those guesses out as certain).
    if signal == libc::SIGSEGV && !evidence.has_fault() {
        match (&last.call, last.ret) {
            (Call::Shmdt { addr }, Some(Return::Value(_))) => return format!(
                "{name} after shmdt({addr:#x}) succeeded, the program's last shm call: the program used the segment after shmdt detached it; read or copy what you need before shmdt, and do not touch the pointer after it"
            ),
            (Call::Shmat { .. }, Some(Return::Errno(errno))) => return format!(
                "{name} after shmat failed with {}: the program used the (void *) -1 that the failed shmat returned; check shmat's result before using it",
                errno_name(errno)
            ),
            (Call::Shmat { .. }, Some(Return::Failed)) => return format!(
                "{name} after shmat failed: the program used the (void *) -1 that the failed shmat returned; check shmat's result before using it"
            ),
            (Call::Shmat { flags, .. }, Some(Return::Value(_))) if flags & libc::SHM_RDONLY != 0 => return format!(
                "{name} after a SHM_RDONLY attach, the program's last shm call: writing through a SHM_RDONLY attachment faults; attach read-write to write"
            ),
            _ => {}
        }
    }
    let at = format!(
        "{name} after {}, the program's last shm call",
        call_and_result(last)
    );
    if !mem.touched_shared_memory() {
        return format!("{at}: it had not attached any segment, so the crash is not in shared memory: {OWN_MEMORY}");
    }
    // Only the shared-memory causes whose event the trace shows.
    let mut causes = Vec::new();
    if signal == libc::SIGSEGV {
        match mem.failed_shmat {
            Some(Some(errno)) => causes.push(format!(
                "using the (void *) -1 that a failed shmat returned (it failed with {})",
                errno_name(errno)
            )),
            Some(None) => causes.push("using the (void *) -1 that a failed shmat returned".into()),
            None => {}
        }
        if let Some(addr) = mem.detached {
            causes.push(format!(
                "using the segment after shmdt({addr:#x}) detached it"
            ));
        }
        if mem.readonly_held {
            causes.push("writing through its SHM_RDONLY attachment".into());
        }
    }
    if mem.held {
        causes.push("going past the end of the segment's pages".into());
    }
    if causes.is_empty() {
        return format!("{at}: it held no attachment by then, so the crash is not an access to an attached segment: {OWN_MEMORY}");
    }
    format!(
        "{at}: in shared memory, the trace allows {}; else the crash is in the program's own memory: {OWN_MEMORY}",
        causes.join(", or ")
    )
}

/// Why stderr does not name `errno` for `call`, from what the trace shows of the call: a
/// program that never made it had nothing to report. Untraced, what the lab needs.
pub fn errno_hint(
    call: &str,
    errno: &str,
    found: Option<&str>,
    evidence: &Evidence<'_>,
    key: Option<i32>,
) -> String {
    let text = super::ctx::errno_text(errno);
    let how =
        format!("perror(\"{call}\") in C or eprintln!(\"{call}: {{e}}\") with the Errno in Rust");
    if let Some(other) = found {
        let why = Kind::from_name(call)
            .and_then(|k| evidence.last_failed(k))
            .and_then(|e| failure_explained(e, key))
            .map(|why| format!(": {why}"))
            .unwrap_or_default();
        return format!("{call} should fail with {errno} ({text}) here, not {other}{why}");
    }
    let outcome = Kind::from_name(call).and_then(|k| evidence.outcome(k, |_| true));
    match outcome {
        Some(Outcome::NotCalled) => format!("the program made no {call} call, so it had no error to report: here {call} fails with {errno}; make the call, and when it fails print one line on stderr naming the call and the error, e.g. {how}"),
        Some(Outcome::Failed(e)) => format!("{call} failed with {}, but stderr does not name the error: print one line on stderr naming the call and the error, e.g. {how}", errno_name(e)),
        Some(Outcome::FailedUnseen) => format!("{call} failed, but stderr does not name the error: print one line on stderr naming the call and the error, e.g. {how}"),
        Some(Outcome::Succeeded) => format!("every {call} call of the program succeeded, so it had no error to report: here {call} must fail with {errno}; look at which id or key it was given"),
        None => format!("here {call} fails with {errno} ({text}), which the program must report: one line on stderr naming the call and the error, e.g. {how}"),
    }
}

/// Whether stderr shows a `todo!()` or `unimplemented!()` panic.
pub fn is_todo(stderr: &str) -> bool {
    stderr.contains("not yet implemented") || stderr.contains("not implemented")
}

fn first_line_with(text: &str, needle: &str) -> Option<String> {
    text.lines()
        .find(|l| l.contains(needle))
        .map(|l| l.trim().to_string())
}

/// The last line of `text` with something on it.
pub fn last_line(text: &str) -> Option<String> {
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(|l| l.trim().to_string())
}

impl Ctx<'_> {
    /// The KEY of the run's command line: every lab takes it first, read like
    /// `strtol(s, NULL, 0)`.
    pub(super) fn command_key(&self) -> Option<i32> {
        self.run().argv.get(1).and_then(|a| parse_key(a))
    }
}

/// A KEY as the labs read it, like `strtol(s, NULL, 0)` on the whole word: decimal, `0x`
/// hexadecimal or `0` octal, within a key's 32 bits.
fn parse_key(word: &str) -> Option<i32> {
    let (negative, digits) = match word.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, word.strip_prefix('+').unwrap_or(word)),
    };
    let value = if let Some(hex) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        i64::from_str_radix(hex, 16).ok()?
    } else if digits.len() > 1 && digits.starts_with('0') {
        i64::from_str_radix(&digits[1..], 8).ok()?
    } else {
        digits.parse::<i64>().ok()?
    };
    let value = if negative {
        value.checked_neg()?
    } else {
        value
    };
    // A key is a 32-bit int: 0xffffffff on the command line is the key -1.
    (i64::from(i32::MIN)..=i64::from(u32::MAX))
        .contains(&value)
        .then_some(value as i32)
}

/// Why a failed call failed, when its own arguments and the segment as it was show it: a
/// key other than the command line's `key` (KEY misread), a size larger than the segment's,
/// a `shmid_ds` address that is not the program's memory. `None`: the trace does not say.
fn failure_explained(e: &TraceEvent, key: Option<i32>) -> Option<String> {
    let errno = match e.ret {
        Some(Return::Errno(errno)) => errno,
        _ => return None,
    };
    let before = match &e.effect {
        Effect::Call { before } => before.as_ref(),
        _ => None,
    };
    match e.call {
        Call::Shmget { key: given, .. } if key.is_some_and(|k| k != given) => {
            let wanted = key_text(key.unwrap_or_default());
            let given = if given == libc::IPC_PRIVATE {
                "0 (IPC_PRIVATE; atoi and sscanf with %d read \"0x...\" as 0)".to_string()
            } else {
                key_text(given)
            };
            Some(format!("shmget was given key {given}, not the KEY of the command line ({wanted}), and failed with {}: parse KEY with strtol(s, NULL, 0), which reads 0x... as hexadecimal", errno_name(errno)))
        }
        Call::Shmget { size, .. } if errno == libc::EINVAL => before
            .filter(|seg| (seg.size as u64) < size)
            .map(|seg| format!("shmget asked for {size} bytes, but the segment at that key has {}: shmget fails with EINVAL when the size is larger than the segment's; to use an existing segment, pass 0 as the size", seg.size)),
        Call::Shmctl { cmd, buf, .. } if errno == libc::EFAULT => {
            let what = if cmd == libc::IPC_SET { "read" } else { "write" };
            Some(format!("shmctl failed with EFAULT: the buffer address {buf:#x} is not memory the kernel can {what}; declare a struct shmid_ds and pass its address (&ds), not an uninitialised pointer"))
        }
        _ => None,
    }
}

fn status_hint(
    expected: i32,
    actual: i32,
    stderr: &str,
    evidence: &Evidence<'_>,
    key: Option<i32>,
) -> String {
    match (expected, actual) {
        (1, 0) => "the program exited with status 0 where a call must fail: check each call's result and exit with status 1 when one fails".into(),
        (0, 1) => {
            // The failed call, from the trace where there is one, else from stderr.
            let failed = [Kind::Shmget, Kind::Shmat, Kind::Shmdt, Kind::Shmctl]
                .into_iter()
                .find_map(|k| match evidence.outcome(k, |_| true) {
                    Some(Outcome::Failed(errno)) => Some((k, errno_name(errno))),
                    _ => None,
                });
            let said = last_line(stderr)
                .map(|l| format!(" (stderr: {})", super::ctx::show(&l)))
                .unwrap_or_default();
            match (failed, evidence.any_shm_call()) {
                (Some((k, e)), _) => evidence
                    .last_failed(k)
                    .and_then(|event| failure_explained(event, key))
                    .unwrap_or_else(|| format!("{k} failed with {e} where the call should have succeeded")),
                (None, Some(false)) => format!("the program exited with status 1 before making any shm call{said}: what it reports is not a failed shm call; here every call should succeed, so look at what runs before the first one (how KEY and the options are parsed)"),
                (None, Some(true)) => format!("the shm calls the program made all succeeded, yet it exited with status 1{said}: exit with status 1 only when a call failed"),
                (None, None) => match super::ctx::errno_in(stderr) {
                    Some(e) => format!("the program reported {e} where the call should have succeeded: {}", last_line(stderr).unwrap_or_default()),
                    None => format!("the program exited with status 1{said}, where every call should succeed: status 1 is for a failed call"),
                },
            }
        }
        (2, 0) | (2, 1) => "with missing or malformed arguments, print a usage line on stderr and exit with status 2, before making any call".into(),
        _ => format!("the contract's exit statuses are 0 for success, 1 when a call failed and 2 for bad usage; this run expected {expected}"),
    }
}
