//! What the runs of a scenario produced: how each ended, its output, its timeline, and the
//! snapshots around it. Filled by `run`, read by `scenario` and `report`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use shm::Key;

use super::segment::Snapshot;
use super::timeline::TraceEvent;

/// Bytes kept of each of stdout and stderr.
pub const OUTPUT_CAP: usize = 64 * 1024;

/// How many processes a traced program may start before the checker stops it as a fork
/// loop.
pub const MAX_CHILDREN: usize = 32;

/// The first fork, vfork or clone of a traced run that failed for want of processes or
/// memory (EAGAIN or ENOMEM): a process or a thread the program asked for and did not get.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpawnFailed {
    /// A thread (`clone` with `CLONE_THREAD`, as `pthread_create` makes), else a process.
    pub thread: bool,
    /// Its errno.
    pub errno: i32,
    /// The run's processes and threads alive when it failed, the one asking included.
    pub tasks: u64,
    /// How many processes and threads a run may have at once (its RLIMIT_NPROC, counted for
    /// the run alone), where the checker set one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
}

/// Why a fork or clone failed, as far as the run shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpawnCause {
    /// The run itself had (about) as many processes and threads as it may have: the
    /// program's doing.
    AtLimit(u64),
    /// The run was far from its limit: something outside it (the machine's memory or
    /// processes) made the call fail, and the program is not to blame.
    Elsewhere,
}

impl SpawnFailed {
    /// Why it failed. At the limit means within an eighth of it: the kernel also counts the
    /// run's processes that ended and are not yet reaped, which the tracer no longer does.
    pub fn cause(&self) -> SpawnCause {
        match self.limit {
            Some(limit)
                if self.errno == libc::EAGAIN && self.tasks.saturating_add(limit / 8) >= limit =>
            {
                SpawnCause::AtLimit(limit)
            }
            _ => SpawnCause::Elsewhere,
        }
    }
}

/// How a run of the program ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Termination {
    /// It exited with this status.
    Exited { code: i32 },
    /// A signal killed it.
    Signaled { signal: i32, core_dumped: bool },
    /// It ran past the timeout and was stopped with its process group (SIGTERM, then
    /// SIGKILL after a grace period).
    TimedOut { after_ms: u64 },
    /// It killed the process that ran it (its parent), and died with it.
    KilledItsParent { signal: i32 },
}

/// Bytes of each output stream dropped past [`OUTPUT_CAP`]: which stream was cut, and by
/// how much (a stream that was cut ends where the cap is).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dropped {
    pub stdout: u64,
    pub stderr: u64,
}

impl Dropped {
    /// Whether neither stream was cut.
    pub fn is_none(&self) -> bool {
        self.stdout == 0 && self.stderr == 0
    }
}

/// What one run produced.
#[derive(Debug, Clone, Serialize)]
pub struct RunRecord {
    /// The command line, with keys filled in.
    pub argv: Vec<String>,
    /// The standard input the checker gave it (`None`: /dev/null).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stdin: Option<String>,
    pub pid: i32,
    pub termination: Termination,
    pub stdout: String,
    pub stderr: String,
    /// Output bytes dropped past the cap (both streams).
    pub dropped: u64,
    /// The same, stream by stream.
    #[serde(skip_serializing_if = "Dropped::is_none")]
    pub dropped_by_stream: Dropped,
    /// Epoch seconds when it started.
    #[serde(skip)]
    pub started: i64,
    /// Every shm call of the run, when it was traced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Vec<TraceEvent>>,
    /// Processes it started that were still running when it exited (killed by the checker).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub survivors: Vec<i32>,
    /// Processes it started, when traced.
    pub children: usize,
    /// A process of the run made a shm call from an IPC namespace of its own (it called
    /// `unshare(CLONE_NEWIPC)` or `setns`), so its calls were about segments the checker
    /// neither set up nor sees; the checker stopped the run at that call (SIGKILL to all its
    /// processes). Known only when traced.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub left_namespace: bool,
    /// The first fork or clone of the run that failed for want of processes or memory;
    /// known only when traced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spawn_failed: Option<SpawnFailed>,
    /// Where the SIGSEGV or SIGBUS that killed the program struck; known only when traced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<super::fault::Fault>,
    /// What the program asked and the checker answered, when it answered on a terminal
    /// (an assignment's runs).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exchanges: Vec<super::dialogue::Exchange>,
}

/// The bytes of a segment, read by the checker after a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SegmentBytes {
    /// Its `shm_segsz` bytes.
    pub bytes: Vec<u8>,
    /// The bytes mapped past its size, to the end of its last page: zero unless a program
    /// wrote past the size it asked for.
    pub past_size: Vec<u8>,
}

impl SegmentBytes {
    /// How many bytes past the size are not zero (a write past the end shows there).
    pub fn written_past_size(&self) -> usize {
        self.past_size
            .iter()
            .rposition(|b| *b != 0)
            .map_or(0, |i| i + 1)
    }
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
    /// For each run, the index in `snapshots` of the snapshot taken right after it.
    pub after_run: Vec<usize>,
    /// For each run, the bytes of the segments after it, by id (when the scenario reads
    /// them: the setup segments and those the run created).
    pub contents: Vec<BTreeMap<i32, SegmentBytes>>,
    /// What each setup segment held before the run, by index.
    pub initial_contents: Vec<Vec<u8>>,
    /// Whether runs were traced; `Err` says why not.
    pub tracing: Result<(), String>,
    /// What the runs' copy of the program's folder left out (the runs start in that copy).
    pub left_out: Vec<crate::model::copied::Skipped>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(errno: i32, tasks: u64, limit: Option<u64>) -> SpawnFailed {
        SpawnFailed {
            thread: false,
            errno,
            tasks,
            limit,
        }
    }

    #[test]
    fn a_fork_fails_at_the_limit_only_when_the_run_is_near_it_and_out_of_processes() {
        assert_eq!(
            failed(libc::EAGAIN, 64, Some(64)).cause(),
            SpawnCause::AtLimit(64)
        );
        // Ended processes not yet reaped count for the kernel, not for the tracer.
        assert_eq!(
            failed(libc::EAGAIN, 57, Some(64)).cause(),
            SpawnCause::AtLimit(64)
        );
        assert_eq!(
            failed(libc::EAGAIN, 2, Some(64)).cause(),
            SpawnCause::Elsewhere
        );
        assert_eq!(
            failed(libc::ENOMEM, 64, Some(64)).cause(),
            SpawnCause::Elsewhere
        );
        assert_eq!(
            failed(libc::EAGAIN, 64, None).cause(),
            SpawnCause::Elsewhere
        );
        assert_eq!(
            failed(libc::EAGAIN, u64::MAX, Some(u64::MAX)).cause(),
            SpawnCause::AtLimit(u64::MAX)
        );
    }
}
