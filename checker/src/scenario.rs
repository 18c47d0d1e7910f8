//! Scenarios as data, what a run observed, and the pure evaluation of one into a verdict.
//!
//! A scenario is a setup (segments the checker creates and may hold attached), steps (runs
//! of the program, or actions of the checker between them), and an `expect` function that
//! turns an [`Observation`] into [`Check`]s. Nothing here runs a process: the `run` module
//! fills the observation, so everything in this module is testable on made-up data.

use std::collections::BTreeMap;

use serde::Serialize;
use shm::Key;

use crate::run::process::Termination;
use crate::trace::TraceEvent;

/// What a scenario needs from the environment; unmet, it is skipped with the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Need {
    /// The program must run without CAP_IPC_OWNER, so permission checks apply to it.
    Unprivileged,
    /// The setup gives segments uids and gids other than the program's (root only).
    OtherIds,
    /// Segments must outlive their creator (`shm_rmid_forced` = 0).
    Persistence,
}

/// Who owns a segment the checker creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// uid and gid of the program.
    Program,
    /// uid of the program, and another group where the checker can set one.
    ProgramOtherGroup,
    /// Another user and group ([`OTHER_UID`], [`OTHER_GID`]); needs [`Need::OtherIds`].
    Other,
}

/// A uid that is neither root, the checker's nor the program's.
pub const OTHER_UID: u32 = 4242;
/// A gid that is neither root's, the checker's nor the program's.
pub const OTHER_GID: u32 = 4343;
/// The byte the checker fills segments with to show stray writes.
pub const MARKER: u8 = b'#';

/// A segment the checker creates before the program runs.
#[derive(Debug, Clone)]
pub struct SegmentSpec {
    /// Size in bytes.
    pub size: usize,
    /// Permission bits.
    pub mode: u32,
    /// Owner.
    pub owner: Owner,
    /// Bytes written at offset 0; `fill` fills the rest.
    pub contents: Vec<u8>,
    /// Fill byte for the rest of the segment (0 = leave zero).
    pub fill: u8,
    /// Attached and detached by another process before the run, to give it a history.
    pub history: bool,
    /// Attachments the checker holds during the run (through a helper process).
    pub held: usize,
}

impl SegmentSpec {
    /// A zero-filled segment of `size` bytes with `mode`, owned by the program.
    pub fn new(size: usize, mode: u32) -> SegmentSpec {
        SegmentSpec {
            size,
            mode,
            owner: Owner::Program,
            contents: Vec::new(),
            fill: 0,
            history: false,
            held: 0,
        }
    }

    /// With `text` at offset 0 (as given: add `\0` yourself) and the marker after it.
    pub fn holding(mut self, text: &[u8]) -> SegmentSpec {
        self.contents = text.to_vec();
        self.fill = MARKER;
        self
    }

    /// Filled with the marker byte.
    pub fn marked(mut self) -> SegmentSpec {
        self.fill = MARKER;
        self
    }

    /// Owned by `owner`.
    pub fn owned_by(mut self, owner: Owner) -> SegmentSpec {
        self.owner = owner;
        self
    }

    /// With `n` attachments held by the checker during the run.
    pub fn held(mut self, n: usize) -> SegmentSpec {
        self.held = n;
        self
    }

    /// Attached and detached by another process first.
    pub fn with_history(mut self) -> SegmentSpec {
        self.history = true;
        self
    }

    /// The bytes the segment holds after setup.
    pub fn initial_bytes(&self) -> Vec<u8> {
        let mut bytes = vec![self.fill; self.size];
        let n = self.contents.len().min(self.size);
        bytes[..n].copy_from_slice(&self.contents[..n]);
        bytes
    }
}

/// One argument of an invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// Literal text.
    Lit(String),
    /// The key of setup segment `n`.
    Key(usize),
    /// A key that has no segment when the run starts.
    FreeKey,
}

/// One run of the program.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// Its arguments.
    pub args: Vec<Arg>,
    /// Scripted standard input (`None`: /dev/null).
    pub stdin: Option<Vec<u8>>,
}

/// Something the checker does between runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Detach every attachment the checker holds.
    ReleaseHeld,
}

/// A step of a scenario; each is followed by a snapshot.
#[derive(Debug, Clone)]
pub enum Step {
    /// Run the program.
    Run(Invocation),
    /// Act as the checker.
    Checker(Action),
}

/// A scenario of a lab.
#[derive(Clone)]
pub struct Scenario {
    /// The lab it belongs to.
    pub lab: &'static str,
    /// `lab/name`, stable, used in reports and docs.
    pub slug: &'static str,
    /// What it shows, in a few words.
    pub title: &'static str,
    /// What the environment must allow.
    pub needs: Vec<Need>,
    /// Segments created first.
    pub setup: Vec<SegmentSpec>,
    /// Runs and checker actions, in order.
    pub steps: Vec<Step>,
    /// Setup segments (by index) whose contents are read after the first run.
    pub read_contents: bool,
    /// Turns the observation into checks.
    pub expect: fn(&mut Ctx<'_>),
}

impl std::fmt::Debug for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scenario")
            .field("slug", &self.slug)
            .finish_non_exhaustive()
    }
}

/// The metadata of one segment at one moment, as the checker's IPC_STAT saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct SegmentState {
    pub id: i32,
    pub key: String,
    pub size: usize,
    /// Mode word in octal, with SHM_DEST (01000) when set.
    pub mode: String,
    pub uid: u32,
    pub gid: u32,
    pub cuid: u32,
    pub cgid: u32,
    pub cpid: i32,
    pub lpid: i32,
    pub nattch: u64,
    pub atime: i64,
    pub dtime: i64,
    pub ctime: i64,
    #[serde(skip)]
    pub raw_mode: u32,
    #[serde(skip)]
    pub raw_key: i32,
}

impl SegmentState {
    /// Sets the raw fields (not part of reports) from the shown ones, after the state came
    /// back from the runner process as JSON.
    pub fn restore_raw(&mut self) {
        self.raw_mode = u32::from_str_radix(&self.mode, 8).unwrap_or(0);
        self.raw_key =
            u32::from_str_radix(self.key.trim_start_matches("0x"), 16).unwrap_or(0) as i32;
    }

    /// From the checker's stat of `id`.
    pub fn new(id: shm::ShmId, st: &shm::SegmentStat) -> SegmentState {
        SegmentState {
            id: id.raw(),
            key: st.key().to_string(),
            size: st.size(),
            mode: format!("{:04o}", st.raw_mode() & 0o7777),
            uid: st.uid(),
            gid: st.gid(),
            cuid: st.cuid(),
            cgid: st.cgid(),
            cpid: st.cpid(),
            lpid: st.lpid(),
            nattch: st.nattch(),
            atime: st.atime(),
            dtime: st.dtime(),
            ctime: st.ctime(),
            raw_mode: st.raw_mode(),
            raw_key: st.key().raw(),
        }
    }

    /// The nine permission bits.
    pub fn perms(&self) -> u32 {
        self.raw_mode & 0o777
    }

    /// Whether SHM_DEST is set.
    pub fn is_marked_for_destruction(&self) -> bool {
        self.raw_mode & shm::consts::SHM_DEST != 0
    }
}

/// Every segment of interest at one moment.
#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    /// When: `before`, `after run 1`, `after the checker detached`.
    pub label: String,
    /// The segments, by id.
    pub segments: Vec<SegmentState>,
}

impl Snapshot {
    /// The segment with this id.
    pub fn by_id(&self, id: i32) -> Option<&SegmentState> {
        self.segments.iter().find(|s| s.id == id)
    }
}

/// What one run produced.
#[derive(Debug, Clone, Serialize)]
pub struct RunRecord {
    /// The command line, with keys filled in.
    pub argv: Vec<String>,
    pub pid: i32,
    pub termination: Termination,
    pub stdout: String,
    pub stderr: String,
    /// Output bytes dropped past the cap.
    pub dropped: u64,
    /// Epoch seconds when it started.
    #[serde(skip)]
    pub started: i64,
    #[serde(skip)]
    pub stdout_raw: Vec<u8>,
    /// Every shm call of the run, when it was traced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Vec<TraceEvent>>,
    /// Processes it started that were still running when it exited (killed by the checker).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub survivors: Vec<i32>,
    /// Processes it started, when traced.
    pub children: usize,
}

/// Everything a scenario observed.
#[derive(Debug, Clone)]
pub struct Observation {
    /// Keys of the setup segments, by index.
    pub keys: Vec<Key>,
    /// The key that had no segment.
    pub free_key: Key,
    /// Ids of the setup segments, by index.
    pub setup_ids: Vec<i32>,
    /// uid and gid the program ran with.
    pub program_uid: u32,
    pub program_gid: u32,
    /// Snapshot 0 is `before`; then one after each step.
    pub snapshots: Vec<Snapshot>,
    /// One per run step.
    pub runs: Vec<RunRecord>,
    /// Contents of segments after the first run, by id (when the scenario reads them).
    pub contents: BTreeMap<i32, Vec<u8>>,
    /// What each setup segment held before the run, by index.
    pub initial_contents: Vec<Vec<u8>>,
    /// Whether runs were traced; `Err` says why not.
    pub tracing: Result<(), String>,
}

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

/// Collects checks while an `expect` function reads an observation.
pub struct Ctx<'a> {
    pub obs: &'a Observation,
    /// The lab being checked, for pointers into its guide.
    pub lab: &'static str,
    pub checks: Vec<Check>,
    /// Set once the program did not finish normally: later checks would only add noise.
    stopped: bool,
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
    pub fn new(obs: &'a Observation, lab: &'static str) -> Ctx<'a> {
        Ctx {
            obs,
            lab,
            checks: Vec::new(),
            stopped: false,
        }
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
        if self.stopped {
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
        if self.stopped {
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
        let max = crate::run::program::MAX_CHILDREN;
        if run.children > max && !matches!(run.termination, Termination::Exited { .. }) {
            let n = run.children;
            self.check("processes", "processes the program started", format!("at most {max}"), n, false, || {
                "too many processes: the program kept forking (a fork() in a loop?) and the checker stopped it".into()
            });
            self.stopped = true;
            return false;
        }
        match run.termination {
            Termination::KilledItsParent { signal } => {
                self.check("signal", "the program finished", "a normal exit", format!("it sent {} to its parent and died with it", signal_name(signal)), false, || {
                    "the program killed the process that ran it (kill(getppid(), ...)): a lab program must never signal other processes".into()
                });
                self.stopped = true;
                false
            }
            Termination::TimedOut { after_ms } => {
                self.check("status", "the program finished", "an exit within the timeout", format!("still running after {} ms, killed", after_ms), false, || {
                    "the program never finished: look for a loop that never ends or a read from stdin (stdin is /dev/null); --timeout sets the limit".into()
                });
                self.stopped = true;
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
                self.stopped = true;
                false
            }
            Termination::Exited { code } => {
                if code != expected && is_todo(&stderr) {
                    self.check("status", "exit status", expected, code, false, || {
                        format!("this lab is not implemented yet: replace the todo!() calls in labs/src/bin/{lab}.rs (the guide is docs/labs/{lab}.md)")
                    });
                    self.stopped = true;
                    return false;
                }
                if code == 101 && stderr.contains("panicked") {
                    self.check("status", "exit status", expected, code, false, || {
                        format!(
                            "the program panicked: {}",
                            first_line_with(&stderr, "panicked").unwrap_or_default()
                        )
                    });
                    self.stopped = true;
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
                if children > crate::run::program::MAX_CHILDREN {
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
                format!(
                    "at most {} KiB per stream",
                    crate::run::process::OUTPUT_CAP / 1024
                ),
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
                .map(|s| format!("key {} (id {}, created by pid {})", s.key, s.id, s.cpid))
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
                format!("segment {} after the run", before.key),
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
                format!("{field} of segment {}", before.key),
                b,
                a,
                false,
                || hint.to_string(),
            );
        }
        if ok {
            self.check(
                "segment-exists",
                format!("segment {}", before.key),
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

/// A signal's name, `SIGSEGV`.
pub fn signal_name(signal: i32) -> String {
    nix::sys::signal::Signal::try_from(signal)
        .map(|s| s.as_str().to_string())
        .unwrap_or_else(|_| format!("signal {signal}"))
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

/// The fields a program can change, with before and after values, where they differ.
pub fn diff_fields(b: &SegmentState, a: &SegmentState) -> Vec<(&'static str, String, String)> {
    let mut out = Vec::new();
    macro_rules! cmp {
        ($($f:ident),*) => {$(
            if b.$f != a.$f {
                out.push((stringify!($f), b.$f.to_string(), a.$f.to_string()));
            }
        )*};
    }
    cmp!(key, size, mode, uid, gid, cuid, cgid, cpid, lpid, nattch, atime, dtime, ctime);
    out
}

/// A check's outcome for a whole scenario.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", content = "reason", rename_all = "snake_case")]
pub enum Verdict {
    /// Every check passed.
    Passed,
    /// At least one check failed.
    Failed,
    /// Not run; the reason says why.
    Skipped(String),
    /// The checker could not run it (its own failure, not the student's).
    Error(String),
}

/// Evaluates `scenario` on `obs`.
pub fn evaluate(scenario: &Scenario, obs: &Observation) -> (Verdict, Vec<Check>) {
    let mut ctx = Ctx::new(obs, scenario.lab);
    (scenario.expect)(&mut ctx);
    // Only the create lab makes segments: anywhere else, one left behind is reported, even
    // where the scenario did not ask.
    let asked = ctx.checks.iter().any(|c| c.field == "segments-created");
    if scenario.lab != "create" && !asked && !ctx.stopped && !obs.runs.is_empty() {
        let n = ctx.created().len();
        ctx.nothing_created(&format!("the program left {n} segment(s) behind: only the create lab creates segments, and a program that makes one for its own use must remove it"));
    }
    let judged: Vec<&Check> = ctx.checks.iter().filter(|c| c.skipped.is_none()).collect();
    let verdict = if judged.iter().all(|c| c.passed) && !judged.is_empty() {
        Verdict::Passed
    } else {
        Verdict::Failed
    };
    (verdict, ctx.checks)
}
