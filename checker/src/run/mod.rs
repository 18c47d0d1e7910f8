//! Running scenarios: isolation, setup, the program's runs, snapshots, cleanup.
//!
//! This module fills an [`Observation`] and knows nothing about reports. Whatever happens
//! (the program crashes, hangs, forks, or the setup fails half-way), every segment the
//! scenario made or the program created is removed before the next scenario starts.

pub mod build;
pub mod isolation;
pub mod litter;
mod needs;
pub mod process;
pub mod program;
pub mod registry;
pub mod workdir;

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use shm::{AtFlags, IpcFlags, Key, Mode, ShmId, ShmctlCmd};

use crate::model::{Observation, RunRecord, SegmentBytes, SegmentState, Snapshot};
use crate::scenario::{Action, Arg, Owner, Playbook, Scenario, Step, OTHER_GID, OTHER_UID};
use isolation::{Isolation, IsolationChoice};
pub use needs::unmet_need;
use needs::{rmid_forced, unmet};
pub use program::Program;
use workdir::{Workdir, WorkdirError};

/// What every scenario of a checker run shares.
#[derive(Debug, Clone)]
pub struct Environment {
    /// The isolation in force.
    pub isolation: IsolationChoice,
    /// Whether the checker runs as root.
    pub is_root: bool,
    /// Time allowed for each run of the program.
    pub timeout: Duration,
    /// Whether runs are traced; `Err` says why not.
    pub tracing: Result<(), String>,
}

/// Why the checker could not run a scenario (its own trouble, never the student's).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("could not create an IPC namespace: {0}")]
    Namespace(shm::Errno),
    #[error("could not find unused keys in this machine's IPC namespace")]
    NoFreeKeys,
    #[error("{0}")]
    Registry(String),
    #[error("setup: {call} failed: {errno}")]
    Setup {
        call: &'static str,
        errno: shm::Errno,
    },
    #[error("setup: the segment could not be filled: {0}")]
    Fill(shm::AccessError),
    #[error("setup: {0}")]
    Helper(std::io::Error),
    #[error("setup: another process could not attach and detach the segment")]
    History,
    /// `SHM_LOCK` refused: the machine does not let the checker lock memory.
    #[error("this machine does not let the checker lock a segment in memory (SHM_LOCK: {0}; RLIMIT_MEMLOCK too small, or CAP_IPC_LOCK missing)")]
    Lock(shm::Errno),
    #[error("the checker could not detach: {0}")]
    Release(std::io::Error),
    #[error("could not list segments: {0}")]
    List(shm::Errno),
    #[error(transparent)]
    Workdir(#[from] WorkdirError),
    #[error("could not run {program}: {source}")]
    Program {
        program: String,
        source: std::io::Error,
    },
}

fn setup(call: &'static str) -> impl FnOnce(shm::Errno) -> RunError {
    move |errno| RunError::Setup { call, errno }
}

/// What running one scenario gave: what was seen, or why nothing was.
#[derive(Debug)]
pub enum RunOutcome {
    /// It ran: everything the checker saw.
    Observed(Box<Observation>),
    /// The environment does not allow it; the reason says why.
    Skipped(String),
    /// The checker could not run it (its own failure, not the student's).
    Error(RunError),
}

/// Key base in namespace mode: every namespace is fresh, so keys can be the same each time
/// (and reports are reproducible).
const NAMESPACE_KEY_BASE: i32 = 0x5eed_0000;
/// High byte of keys in keys mode, so a segment made by the checker can be told apart.
const KEYS_MODE_MARK: u32 = 0x5c00_0000;

/// Seconds since the epoch as the kernel stamps shm times (`ktime_get_real_seconds`, the
/// coarse clock): the fine clock can be a tick ahead at a second's boundary, which would make
/// a time set during the run look older than the run's start.
fn now_secs() -> i64 {
    nix::time::clock_gettime(nix::time::ClockId::CLOCK_REALTIME_COARSE).map_or_else(
        |_| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        },
        |t| t.tv_sec(),
    )
}

fn random_u32() -> u32 {
    let mut buf = [0u8; 4];
    if std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut buf))
        .is_err()
    {
        let t = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        return t ^ std::process::id().rotate_left(16);
    }
    u32::from_ne_bytes(buf)
}

/// The keys of a scenario: one per setup segment, and one with no segment.
struct Keys {
    setup: Vec<Key>,
    free: Key,
    /// In keys mode, the claim on the key base, where the scenario's segments are recorded.
    claim: Option<registry::Claim>,
}

impl Keys {
    fn all(&self) -> impl Iterator<Item = Key> + '_ {
        self.setup.iter().copied().chain(std::iter::once(self.free))
    }
}

fn pick_keys(mode: Isolation, n: usize) -> Result<Keys, RunError> {
    let make = |base: i32| Keys {
        setup: (0..n).map(|i| Key::new(base + i as i32 + 1)).collect(),
        free: Key::new(base + 0xff),
        claim: None,
    };
    if mode == Isolation::Namespace {
        return Ok(make(NAMESPACE_KEY_BASE));
    }
    let registry = registry::shared().map_err(|e| RunError::Registry(e.to_string()))?;
    for _ in 0..32 {
        let base = (KEYS_MODE_MARK | (random_u32() & 0x00ff_ff00)) as i32;
        let mut keys = make(base);
        // Claimed first, so that two checkers never pick the same base.
        let Some(claim) = registry.claim_base(base) else {
            continue;
        };
        if keys
            .all()
            .all(|k| shm::shmget(k, 0, IpcFlags::empty()) == Err(shm::Errno::ENOENT))
        {
            keys.claim = Some(claim);
            return Ok(keys);
        }
    }
    Err(RunError::NoFreeKeys)
}

/// Runs `scenario` against `program`.
pub fn run_scenario(env: &Environment, scenario: &Scenario, program: &Program) -> RunOutcome {
    run_playbook(env, scenario.playbook(), program)
}

/// Runs what `scenario` sets up and runs against `program`.
pub fn run_playbook(env: &Environment, scenario: Playbook<'_>, program: &Program) -> RunOutcome {
    if let Some(reason) = unmet(env, scenario) {
        return RunOutcome::Skipped(reason);
    }
    if env.isolation.mode == Isolation::Namespace {
        if let Err(e) = isolation::fresh_namespace() {
            return RunOutcome::Error(RunError::Namespace(e));
        }
        if let Some(reason) = rmid_forced(scenario) {
            return RunOutcome::Skipped(reason);
        }
    }
    let keys = match pick_keys(env.isolation.mode, scenario.setup.len()) {
        Ok(k) => k,
        Err(e) => return RunOutcome::Error(e),
    };
    // A folder of the scenario's own, removed (below, after the sweep) when it ends.
    let workdir = match Workdir::create(program) {
        Ok(w) => w,
        Err(e) => return RunOutcome::Error(e.into()),
    };
    let mut scene = Scene {
        env,
        keys,
        setup_ids: Vec::new(),
        spans: Vec::new(),
        seen: BTreeSet::new(),
        program_uid: program.uid,
        exclusive_uid: program.exclusive_uid,
        workdir: workdir.path(),
    };
    let result = scene.play(scenario, program).map(|mut obs| {
        obs.left_out = workdir.skipped().to_vec();
        obs
    });
    // No process of the scenario outlives it (the holder is gone by now, so every child left
    // is the program's).
    process::sweep();
    scene.clean_up();
    drop(workdir);
    match result {
        Ok(obs) => RunOutcome::Observed(Box::new(obs)),
        // Not the checker's failure: the machine does not allow what the scenario sets up.
        Err(e @ RunError::Lock(_)) => RunOutcome::Skipped(e.to_string()),
        Err(e) => RunOutcome::Error(e),
    }
}

/// One scenario in progress: what it created, so that cleanup finds everything.
struct Scene<'a> {
    env: &'a Environment,
    keys: Keys,
    setup_ids: Vec<ShmId>,
    /// The program's runs: their processes, and when.
    spans: Vec<RunSpan>,
    /// Every segment id that appeared in a snapshot.
    seen: BTreeSet<i32>,
    /// The uid the program runs as.
    program_uid: u32,
    /// Whether that uid is the checker run's alone (then all it creates is the run's).
    exclusive_uid: bool,
    /// The scenario's working folder, where every run starts.
    workdir: &'a Path,
}

/// One run of the program, for telling its segments from others': its processes (the
/// program, and when traced every process it started) and the seconds it lived in.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RunSpan {
    pids: BTreeSet<i32>,
    from: i64,
    to: i64,
}

impl RunSpan {
    /// Whether a segment created by `cpid` at `ctime` was made by this run. A pid alone is
    /// no proof (pids come round, and another user's old segment can carry this run's pid):
    /// the segment must also have been made while the run lived, and its process was not
    /// reaped (so its pid could not be reused) until the run ended.
    fn made(&self, cpid: i32, ctime: i64) -> bool {
        self.pids.contains(&cpid) && self.from <= ctime && ctime <= self.to
    }

    /// The span of a run started at `from` and ended (reaped) at `to`.
    fn of(pid: i32, timeline: Option<&[crate::model::TraceEvent]>, from: i64, to: i64) -> Self {
        let mut pids: BTreeSet<i32> = std::iter::once(pid).filter(|p| *p > 0).collect();
        for e in timeline.unwrap_or_default() {
            pids.insert(e.pid);
            if let crate::model::Call::Fork { child } = e.call {
                pids.insert(child);
            }
        }
        RunSpan { pids, from, to }
    }
}

impl Scene<'_> {
    fn play(&mut self, scenario: Playbook<'_>, program: &Program) -> Result<Observation, RunError> {
        let mut initial_contents = Vec::new();
        for (i, spec) in scenario.setup.iter().enumerate() {
            if let Some(fixed) = spec.key {
                // The program's own key: the segment's key from now on (its `Arg::Key`, the
                // keys this scenario's segments are known by).
                self.keys.setup[i] = Key::new(fixed);
            }
            let key = self.keys.setup[i];
            if self.env.isolation.mode == Isolation::Namespace {
                isolation::unguessable_next_id();
            }
            let id = shm::shmget(
                key,
                spec.size,
                IpcFlags::IPC_CREAT | IpcFlags::IPC_EXCL | Mode::new(0o600),
            )
            .map_err(setup("shmget"))?;
            self.setup_ids.push(id);
            if let Some(claim) = self.keys.claim.as_mut() {
                if let Ok(st) = shm::ipc_stat(id) {
                    claim.record(id.raw(), st.cpid(), st.ctime());
                }
            }
            let bytes = spec.initial_bytes();
            if bytes.iter().any(|b| *b != 0) {
                let a = shm::shmat(id, None, AtFlags::empty()).map_err(setup("shmat"))?;
                let written = a.write_at(0, &bytes);
                shm::shmdt(a).map_err(setup("shmdt"))?;
                written.map_err(RunError::Fill)?;
            }
            initial_contents.push(bytes);
            let (uid, gid) = match spec.owner {
                Owner::Program => (program.uid, program.gid),
                Owner::ProgramOtherGroup => (
                    program.uid,
                    if self.env.is_root {
                        OTHER_GID
                    } else {
                        program.gid
                    },
                ),
                Owner::Other => (OTHER_UID, OTHER_GID),
            };
            let mut st = shm::ipc_stat(id).map_err(setup("IPC_STAT"))?;
            st.set_mode(Mode::new(spec.mode));
            st.set_uid(uid);
            st.set_gid(gid);
            shm::shmctl(id, ShmctlCmd::IpcSet(&st)).map_err(setup("IPC_SET"))?;
            if spec.locked {
                shm::shmctl(id, ShmctlCmd::ShmLock).map_err(RunError::Lock)?;
            }
            if spec.history {
                let status = process::in_child(move || {
                    let Ok(a) = shm::shmat(id, None, AtFlags::SHM_RDONLY) else {
                        return 1;
                    };
                    i32::from(shm::shmdt(a).is_err())
                })
                .map_err(RunError::Helper)?;
                if status != 0 {
                    return Err(RunError::History);
                }
            }
        }
        let held: Vec<ShmId> = scenario
            .setup
            .iter()
            .zip(&self.setup_ids)
            .flat_map(|(spec, id)| std::iter::repeat_n(*id, spec.held))
            .collect();
        let mut holder = if held.is_empty() {
            None
        } else {
            Some(process::Holder::start(&held).map_err(RunError::Helper)?)
        };

        let mut snapshots = vec![self.snapshot("before")?];
        let mut runs = Vec::new();
        let mut after_run = Vec::new();
        let mut contents = Vec::new();
        for step in scenario.steps {
            match step {
                Step::Run(inv) => {
                    if self.env.isolation.mode == Isolation::Namespace {
                        isolation::unguessable_next_id();
                    }
                    let argv: Vec<String> = inv
                        .args
                        .iter()
                        .map(|a| match a {
                            Arg::Lit(s) => s.clone(),
                            Arg::Key(n) => self.keys.setup[*n].to_string(),
                            Arg::FreeKey => self.keys.free.to_string(),
                        })
                        .collect();
                    let input = match &inv.answers {
                        Some(script) => process::Input::Ask(script),
                        None => inv.stdin.as_deref().into(),
                    };
                    let record = self.run_program(program, argv, input)?;
                    runs.push(record);
                    let label = format!("after run {}", runs.len());
                    let snap = self.snapshot(&label)?;
                    // Read after the snapshot: the checker's own attach moves atime and lpid.
                    let mut bytes = BTreeMap::new();
                    // Every segment of the scenario: the setup's and those the runs made.
                    if scenario.read_contents {
                        for seg in &snap.segments {
                            if let Some(read) = read_contents(ShmId::new(seg.id)) {
                                bytes.insert(seg.id, read);
                            }
                        }
                    }
                    contents.push(bytes);
                    after_run.push(snapshots.len());
                    snapshots.push(snap);
                }
                Step::Checker(Action::ReleaseHeld) => {
                    if let Some(h) = holder.as_mut() {
                        h.release().map_err(RunError::Release)?;
                    }
                    snapshots.push(self.snapshot("after the checker detached")?);
                }
            }
        }
        drop(holder.take());
        Ok(Observation {
            keys: self.keys.setup.clone(),
            free_key: self.keys.free,
            setup_ids: self.setup_ids.iter().map(|id| id.raw()).collect(),
            program_uid: program.uid,
            program_gid: program.gid,
            snapshots,
            runs,
            after_run,
            contents,
            initial_contents,
            tracing: self.env.tracing.clone(),
            left_out: Vec::new(),
        })
    }

    fn run_program(
        &mut self,
        program: &Program,
        argv: Vec<String>,
        input: process::Input<'_>,
    ) -> Result<RunRecord, RunError> {
        let mut cmd = Command::new(&program.path);
        cmd.args(&argv).current_dir(self.workdir);
        program::environment(&mut cmd, program);
        if let Some((uid, gid)) = program.run_as {
            cmd.uid(uid).gid(gid);
        }
        process::limit(
            &mut cmd,
            process::Limits::for_run(self.env.timeout, Some(program.process_limit)),
        );
        let started = now_secs();
        // From a runner process of its own, so that a program killing its parent cannot
        // take the checker down.
        let trace = self
            .env
            .tracing
            .is_ok()
            .then(|| process::tracer::Tracing::checking(program::MAX_CHILDREN));
        // Traced, what the program creates is written down at once (keys mode).
        let record = self.keys.claim.as_ref().map(|c| c.file());
        let (out, timeline) =
            process::run_from_runner(&mut cmd, input, self.env.timeout, trace, record).map_err(
                |source| RunError::Program {
                    program: program.display.clone(),
                    source,
                },
            )?;
        self.spans.push(RunSpan::of(
            out.pid,
            timeline.as_deref(),
            started,
            now_secs(),
        ));
        let name = program.path.file_name().map_or_else(
            || program.display.clone(),
            |n| n.to_string_lossy().into_owned(),
        );
        let mut shown = vec![name];
        shown.extend(argv);
        Ok(RunRecord {
            argv: shown,
            stdin: match input {
                process::Input::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
                process::Input::Ask(_) => Some(
                    out.exchanges
                        .iter()
                        .filter_map(|e| e.answered.as_deref())
                        .map(|a| format!("{a}\n"))
                        .collect(),
                ),
                _ => None,
            },
            pid: out.pid,
            termination: out.termination,
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            dropped: out.dropped,
            dropped_by_stream: out.dropped_by_stream,
            started,
            timeline,
            survivors: out.survivors,
            children: out.children,
            left_namespace: out.left_namespace,
            // Every run's processes and threads are capped at this many of its own.
            spawn_failed: out.spawn_failed.map(|f| crate::model::run::SpawnFailed {
                limit: Some(program::EXTRA_PROCESSES),
                ..f
            }),
            fault: out.fault,
            exchanges: out.exchanges,
        })
    }

    /// Whether a listed segment belongs to this scenario. In a private namespace, all do. In
    /// the machine's namespace, only by evidence that cannot repeat: the setup's, one already
    /// seen as ours, one created by the run's own uid (root), one created by a process of a
    /// run while it lived (see [`RunSpan::made`]), or one at the scenario's claimed keys
    /// created by the program's uid.
    fn is_ours(&self, id: ShmId, st: &shm::SegmentStat) -> bool {
        self.env.isolation.mode == Isolation::Namespace
            || self.setup_ids.contains(&id)
            || self.seen.contains(&id.raw())
            || (self.exclusive_uid && st.cuid() == self.program_uid)
            || self.spans.iter().any(|r| r.made(st.cpid(), st.ctime()))
            || (st.cuid() == self.program_uid && self.keys.all().any(|k| k == st.key()))
    }

    fn snapshot(&mut self, label: &str) -> Result<Snapshot, RunError> {
        let all = shm::list_segments().map_err(RunError::List)?;
        let segments: Vec<SegmentState> = all
            .iter()
            .filter(|(id, st)| self.is_ours(*id, st))
            .map(|(id, st)| SegmentState::new(*id, st))
            .collect();
        for s in &segments {
            if self.seen.insert(s.id) {
                if let Some(claim) = self.keys.claim.as_mut() {
                    claim.record(s.id, s.cpid, s.ctime);
                }
            }
        }
        Ok(Snapshot {
            label: label.to_string(),
            segments,
        })
    }

    /// Removes every segment of the scenario, by id. Segments still attached by a process
    /// that escaped are marked for destruction and go when it dies.
    fn clean_up(&mut self) {
        let mut ids: BTreeSet<i32> = self.seen.clone();
        ids.extend(self.setup_ids.iter().map(|id| id.raw()));
        if let Ok(all) = shm::list_segments() {
            ids.extend(
                all.iter()
                    .filter(|(id, st)| self.is_ours(*id, st))
                    .map(|(id, _)| id.raw()),
            );
        }
        for id in ids {
            let _ = shm::shmctl(ShmId::new(id), ShmctlCmd::IpcRmid);
        }
    }
}

/// The bytes of a segment, read through a read-only attachment of the checker's own.
fn read_contents(id: ShmId) -> Option<SegmentBytes> {
    let a = shm::shmat(id, None, AtFlags::SHM_RDONLY).ok()?;
    let mut bytes = vec![0u8; a.len()];
    let ok = a.read_at(0, &mut bytes).is_ok();
    let past_size = a.read_past_size();
    let _ = shm::shmdt(a);
    ok.then_some(SegmentBytes { bytes, past_size })
}
