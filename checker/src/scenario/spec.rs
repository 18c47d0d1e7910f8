//! Scenarios as data: a setup (segments the checker creates and may hold attached), steps
//! (runs of the program, or actions of the checker between them), and an `expect` function
//! that turns an [`Observation`](crate::model::Observation) into checks.

use serde::Serialize;

use super::ctx::Ctx;
use crate::model::Lab;

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
    /// Locked in memory with `SHM_LOCK` (the mode word then has `SHM_LOCKED`, 02000).
    pub locked: bool,
    /// Made at this key instead of one the checker picks (an assignment's fixed key); it is
    /// then the key `Arg::Key` of this segment stands for.
    pub key: Option<i32>,
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
            locked: false,
            key: None,
        }
    }

    /// Made at `key` (a fixed key the program uses) instead of one the checker picks.
    pub fn at_key(mut self, key: i32) -> SegmentSpec {
        self.key = Some(key);
        self
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

    /// Locked in memory with `SHM_LOCK` by the checker, so `SHM_LOCKED` is set in its mode.
    pub fn locked(mut self) -> SegmentSpec {
        self.locked = true;
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
    /// Answers given on a terminal, to each question as the program asks it (instead of
    /// `stdin`).
    pub answers: Option<super::answer::Script>,
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

/// What a scenario exercises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// The lab's calls and their effects.
    Behaviour,
    /// Only the handling of bad arguments (passes before any call is written).
    Usage,
}

/// A scenario of a lab.
#[derive(Clone)]
pub struct Scenario {
    /// The lab it belongs to.
    pub lab: Lab,
    /// `lab/name`, stable, used in reports and docs.
    pub slug: &'static str,
    /// What it shows, in a few words.
    pub title: &'static str,
    /// What it exercises: the lab's behaviour, or only its handling of bad usage.
    pub purpose: Purpose,
    /// What the environment must allow.
    pub needs: Vec<Need>,
    /// Segments created first.
    pub setup: Vec<SegmentSpec>,
    /// Runs and checker actions, in order.
    pub steps: Vec<Step>,
    /// Whether the contents of the setup segments and of new ones are read after the first run.
    pub read_contents: bool,
    /// Turns the observation into checks.
    pub expect: fn(&mut Ctx<'_>),
}

/// What running a scenario takes, whatever judges it: a lab's scenario, or an assignment's.
#[derive(Debug, Clone, Copy)]
pub struct Playbook<'a> {
    pub needs: &'a [Need],
    pub setup: &'a [SegmentSpec],
    pub steps: &'a [Step],
    pub read_contents: bool,
}

impl Scenario {
    /// What running it takes.
    pub fn playbook(&self) -> Playbook<'_> {
        Playbook {
            needs: &self.needs,
            setup: &self.setup,
            steps: &self.steps,
            read_contents: self.read_contents,
        }
    }
}

impl std::fmt::Debug for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scenario")
            .field("slug", &self.slug)
            .finish_non_exhaustive()
    }
}
