//! What `shmlab inspect` found about the segments of an IPC namespace: the kernel's view of
//! each ([`SegmentState`]), the names of its owner and creator, the processes attached to it
//! now, and, for one segment, its bytes. Filled by `app::inspect`, said by
//! `report::inspect`.

use serde::Serialize;

use super::segment::SegmentState;

/// One segment, as `inspect` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Inspected {
    #[serde(flatten)]
    pub state: SegmentState,
    /// The names of `uid`, `gid`, `cuid` and `cgid`, where this machine has them.
    pub names: Names,
    /// The processes of this namespace attached to it now, from `/proc/PID/maps` (only
    /// those whose maps the caller may read).
    pub attached: Vec<Holder>,
}

/// The user and group names of a segment's owner and creator (`None`: no such name here).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Names {
    pub user: Option<String>,
    pub group: Option<String>,
    pub cuser: Option<String>,
    pub cgroup: Option<String>,
}

/// A process attached to a segment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Holder {
    pub pid: i32,
    /// Its name (`/proc/PID/comm`).
    pub command: String,
    /// How many times it is attached (a process can attach one segment more than once).
    pub attachments: usize,
}

/// A segment's bytes, read through a read-only attachment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bytes {
    /// The first bytes of the segment (at most [`DUMP_MAX`]), of `size` in all.
    Read { bytes: Vec<u8>, size: usize },
    /// Attaching it failed with this errno (EACCES: no read permission).
    Unreadable(i32),
}

/// The most bytes `inspect ID` shows.
pub const DUMP_MAX: usize = 64 * 1024;
