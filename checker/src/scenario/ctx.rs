//! The checks of one scenario: [`Ctx`] reads an observation and records [`Check`]s, with the
//! likely mistake of each failed one. Everything here is pure.

use serde::Serialize;

use crate::model::run::{MAX_CHILDREN, OUTPUT_CAP};
use crate::model::segment::{diff_fields, SegmentState, Snapshot};
use crate::model::timeline::{signal_name, TraceEvent};
use crate::model::{Lab, Observation, RunRecord, Termination};

/// One expectation and how it came out.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// What was looked at: `exit status`, `stdout`, `mode of the new segment`.
    pub what: String,
    /// The field name, for tools: `status`, `stdout`, `errno`, `mode`, `nattch`, ...
    pub field: &'static str,
    pub expected: String,
    pub actual: String,
    pub passed: bool,
    /// Not judged, and why (a timeline check where tracing is not possible).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// The likely mistake, in one sentence, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// Why the checks of a run stopped at its first one: the program did not get far enough
/// for the rest to mean anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stop {
    /// It hit a `todo!()` (or C's "not implemented"): the lab is not started.
    NotImplemented,
    /// It panicked.
    Panicked,
    /// A signal killed it.
    Crashed,
    /// It ran past the timeout.
    TimedOut,
    /// It killed its parent.
    KilledItsParent,
    /// It started more processes than allowed.
    ForkLoop,
    /// It moved to another IPC namespace, where the checker cannot see its segments.
    LeftNamespace,
}

/// Collects checks while an `expect` function reads an observation.
pub struct Ctx<'a> {
    pub obs: &'a Observation,
    /// The lab being checked, for pointers into its guide.
    pub lab: Lab,
    pub checks: Vec<Check>,
    /// Set once the program did not finish normally: later checks would only add noise.
    stopped: Option<Stop>,
}

/// The errno names and texts a lab's stderr line may use.
pub fn errno_text(name: &str) -> &'static str {
    match name {
        "ENOENT" => "No such file or directory",
        "EEXIST" => "File exists",
        "EINVAL" => "Invalid argument",
        "EACCES" => "Permission denied",
        "EPERM" => "Operation not permitted",
        "ENOSPC" => "No space left on device",
        "EIDRM" => "Identifier removed",
        _ => "",
    }
}

const KNOWN_ERRNOS: [&str; 7] = [
    "ENOENT", "EEXIST", "EINVAL", "EACCES", "EPERM", "ENOSPC", "EIDRM",
];

/// The errno a stderr text names, if any.
pub fn errno_in(stderr: &str) -> Option<&'static str> {
    let lower = stderr.to_lowercase();
    KNOWN_ERRNOS.into_iter().find(|name| {
        lower.contains(&name.to_lowercase()) || lower.contains(&errno_text(name).to_lowercase())
    })
}

/// What a fatal signal usually means in these labs.
pub fn signal_meaning(signal: i32) -> String {
    let name = signal_name(signal);
    let meaning = match signal {
        libc::SIGSEGV => "a memory access outside what is mapped: writing through a SHM_RDONLY attachment, writing past the end of the segment's pages, or using the (void *) -1 that a failed shmat returned",
        libc::SIGBUS => "an access past the end of the segment's memory",
        libc::SIGABRT => "the program aborted (an assertion, or a Rust panic with panic=abort)",
        libc::SIGFPE => "an arithmetic error such as a division by zero",
        libc::SIGKILL => "it was killed from outside (out of memory, or another process)",
        _ => "the program was stopped by a signal it did not handle",
    };
    format!("{name}: {meaning}")
}

impl<'a> Ctx<'a> {
    /// A context over `obs`.
    pub fn new(obs: &'a Observation, lab: Lab) -> Ctx<'a> {
        Ctx {
            obs,
            lab,
            checks: Vec::new(),
            stopped: None,
        }
    }

    /// Why the checks stopped early, if they did.
    pub fn stopped(&self) -> Option<Stop> {
        self.stopped
    }

    /// Records a check.
    pub fn check(
        &mut self,
        field: &'static str,
        what: impl Into<String>,
        expected: impl ToString,
        actual: impl ToString,
        passed: bool,
        hint: impl FnOnce() -> String,
    ) -> bool {
        if self.stopped.is_some() {
            return passed;
        }
        let hint = if passed { None } else { Some(hint()) };
        self.checks.push(Check {
            what: what.into(),
            field,
            expected: expected.to_string(),
            actual: actual.to_string(),
            passed,
            skipped: None,
            hint,
        });
        passed
    }

    /// The first run's timeline, or why there is none.
    pub fn timeline(&self) -> Result<&'a [TraceEvent], String> {
        match (&self.obs.tracing, &self.run().timeline) {
            (Err(reason), _) => Err(reason.clone()),
            (Ok(()), Some(events)) => Ok(events),
            (Ok(()), None) => Err("no timeline was recorded for this run".into()),
        }
    }

    /// Runs timeline checks, or records them as skipped with the reason.
    pub fn with_timeline(
        &mut self,
        what: &str,
        checks: impl FnOnce(&mut Ctx<'a>, &'a [TraceEvent]),
    ) {
        if self.stopped.is_some() {
            return;
        }
        match self.timeline() {
            Ok(events) => checks(self, events),
            Err(reason) => self.checks.push(Check {
                what: what.into(),
                field: "timeline",
                expected: "checked on the timeline".into(),
                actual: "not traced".into(),
                passed: false,
                skipped: Some(reason),
                hint: None,
            }),
        }
    }

    /// The first run.
    pub fn run(&self) -> &'a RunRecord {
        &self.obs.runs[0]
    }

    /// The snapshot before anything ran.
    pub fn before(&self) -> &'a Snapshot {
        &self.obs.snapshots[0]
    }

    /// The snapshot after step `n` (0-based).
    pub fn after_step(&self, n: usize) -> &'a Snapshot {
        &self.obs.snapshots[n + 1]
    }

    /// The snapshot after the first step.
    pub fn after(&self) -> &'a Snapshot {
        self.after_step(0)
    }

    /// Setup segment `n` as it was before the run.
    pub fn setup_before(&self, n: usize) -> &'a SegmentState {
        self.before()
            .by_id(self.obs.setup_ids[n])
            .expect("setup segments are in the before snapshot")
    }

    /// Segments in the `after` snapshot that were not there before.
    pub fn created(&self) -> Vec<&'a SegmentState> {
        let before = self.before();
        self.after()
            .segments
            .iter()
            .filter(|s| before.by_id(s.id).is_none())
            .collect()
    }

    /// Checks the exit status; first, whether the program finished normally at all. If it
    /// crashed, timed out or hit a `todo!()`, that is the one check reported.
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
        if run.left_namespace {
            self.check("namespace", "the program stayed in the IPC namespace the checker set up", "no unshare(CLONE_NEWIPC) or setns", "it moved to another IPC namespace, and the checker stopped it", false, || {
                "the program left the checker's IPC namespace (unshare or setns with CLONE_NEWIPC), so its segments could not be checked: a lab program must use the namespace it was started in".into()
            });
            self.stopped = Some(Stop::LeftNamespace);
            return false;
        }
        if run.children > max && !matches!(run.termination, Termination::Exited { .. }) {
            let n = run.children;
            self.check("processes", "processes the program started", format!("at most {max}"), n, false, || {
                "too many processes: the program kept forking (a fork() in a loop?) and the checker stopped it".into()
            });
            self.stopped = Some(Stop::ForkLoop);
            return false;
        }
        match run.termination {
            Termination::KilledItsParent { signal } => {
                self.check("signal", "the program finished", "a normal exit", format!("it sent {} to its parent and died with it", signal_name(signal)), false, || {
                    "the program killed the process that ran it (kill(getppid(), ...)): a lab program must never signal other processes".into()
                });
                self.stopped = Some(Stop::KilledItsParent);
                false
            }
            Termination::TimedOut { after_ms } => {
                self.check("status", "the program finished", "an exit within the timeout", format!("still running after {} ms, killed", after_ms), false, || {
                    "the program never finished: look for a loop that never ends or a read from stdin (stdin is /dev/null); --timeout sets the limit".into()
                });
                self.stopped = Some(Stop::TimedOut);
                false
            }
            Termination::Signaled { signal, .. } => {
                self.check(
                    "signal",
                    "the program finished",
                    "a normal exit",
                    format!("killed by {}", signal_name(signal)),
                    false,
                    || signal_meaning(signal),
                );
                self.stopped = Some(Stop::Crashed);
                false
            }
            Termination::Exited { code } => {
                if code != expected && is_todo(&stderr) {
                    self.check("status", "exit status", expected, code, false, || {
                        format!("this lab is not implemented yet: replace the todo!() calls in labs/src/bin/{lab}.rs (the guide is docs/labs/{lab}.md)")
                    });
                    self.stopped = Some(Stop::NotImplemented);
                    return false;
                }
                if code == 101 && stderr.contains("panicked") {
                    self.check("status", "exit status", expected, code, false, || {
                        format!(
                            "the program panicked: {}",
                            first_line_with(&stderr, "panicked").unwrap_or_default()
                        )
                    });
                    self.stopped = Some(Stop::Panicked);
                    return false;
                }
                let ok = self.check(
                    "status",
                    "exit status",
                    expected,
                    code,
                    code == expected,
                    || {
                        special(code, &stderr)
                            .unwrap_or_else(|| status_hint(expected, code, &stderr))
                    },
                );
                self.housekeeping();
                ok
            }
        }
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

    /// Checks that stdout is exactly `expected`.
    pub fn stdout(&mut self, expected: &str, hint: impl FnOnce(&str) -> String) -> bool {
        let actual = self.run().stdout.clone();
        let ok = actual == expected;
        self.check(
            "stdout",
            "standard output",
            show(expected),
            show(&actual),
            ok,
            || hint(&actual),
        )
    }

    /// Checks that stderr names the errno `name` (by name or its text).
    pub fn errno(&mut self, call: &str, name: &'static str) -> bool {
        let stderr = self.run().stderr.clone();
        let found = errno_in(&stderr);
        let ok = found == Some(name);
        let text = errno_text(name);
        self.check(
            "errno",
            "the error named on stderr",
            format!("a line like `{call}: {name} ({text})`"),
            if stderr.trim().is_empty() { "(nothing on stderr)".to_string() } else { show(stderr.trim()) },
            ok,
            || match found {
                None => format!("when {call} fails, print one line on stderr naming the call and the error, e.g. perror(\"{call}\") in C or eprintln!(\"{call}: {{e}}\") with the Errno in Rust"),
                Some(other) => format!("{call} should fail with {name} ({text}) here, not {other}"),
            },
        )
    }

    /// Checks that no segment was created by the run.
    pub fn nothing_created(&mut self, hint: &str) -> bool {
        let created = self.created();
        let actual = if created.is_empty() {
            "none".to_string()
        } else {
            let mut shown: Vec<String> = created
                .iter()
                .take(3)
                .map(|s| format!("key {} (id {}, created by pid {})", s.key(), s.id, s.cpid))
                .collect();
            if created.len() > 3 {
                shown.push(format!(
                    "and {} more ({} in all)",
                    created.len() - 3,
                    created.len()
                ));
            }
            shown.join(", ")
        };
        self.check(
            "segments-created",
            "segments created by the run",
            "none",
            actual,
            created.is_empty(),
            || hint.to_string(),
        )
    }

    /// Checks that setup segment `n` is unchanged from before the run in every field that
    /// the program could change (times and lpid included).
    pub fn unchanged(&mut self, n: usize, hint: &str) -> bool {
        let before = self.setup_before(n).clone();
        let after = self.after().by_id(before.id).cloned();
        let Some(after) = after else {
            return self.check(
                "segment-exists",
                format!("segment {} after the run", before.key()),
                "still there, unchanged",
                "gone (removed)",
                false,
                || hint.to_string(),
            );
        };
        let mut ok = true;
        for (field, b, a) in diff_fields(&before, &after) {
            ok &= self.check(
                field,
                format!("{field} of segment {}", before.key()),
                b,
                a,
                false,
                || hint.to_string(),
            );
        }
        if ok {
            self.check(
                "segment-exists",
                format!("segment {}", before.key()),
                "unchanged",
                "unchanged",
                true,
                String::new,
            );
        }
        ok
    }

    /// Checks one field of a segment state.
    pub fn field<T: PartialEq + ToString>(
        &mut self,
        field: &'static str,
        what: impl Into<String>,
        expected: T,
        actual: T,
        hint: impl FnOnce() -> String,
    ) -> bool {
        let ok = expected == actual;
        self.check(
            field,
            what,
            expected.to_string(),
            actual.to_string(),
            ok,
            hint,
        )
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

fn status_hint(expected: i32, actual: i32, stderr: &str) -> String {
    match (expected, actual) {
        (1, 0) => "the call failed but the program exited with status 0: check each call's result and exit with status 1 when one fails".into(),
        (0, 1) => match errno_in(stderr) {
            Some(e) => format!("a call failed with {e} where it should have succeeded: {}", first_line(stderr)),
            None => "the program reported a failure where the call should have succeeded".into(),
        },
        (2, 0) | (2, 1) => "with missing or malformed arguments, print a usage line on stderr and exit with status 2, before making any call".into(),
        (_, 2) => "the program rejected its arguments: check the usage line of this lab in the guide (KEY may be 0x hex or 0 octal)".into(),
        _ => format!("the contract's exit statuses are 0 for success, 1 when a call failed and 2 for bad usage; this run expected {expected}"),
    }
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or("").trim().to_string()
}

/// Text as shown in a report: quoted, with escapes for newlines and control bytes.
pub fn show(text: &str) -> String {
    format!("{text:?}")
}
