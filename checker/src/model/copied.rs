//! What a copy of a student's folder left out, and why: a build's box and a run's working
//! folder are copies (`run/build/copy.rs`), and a program that opens a file the copy left out
//! does not find it, so the reports say what was left out.

use std::fmt;
use std::path::PathBuf;

/// Why an entry of a student's folder was not copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// A symbolic link: never followed.
    SymbolicLink,
    /// A device, pipe or socket.
    NotAFile,
    /// A regular file with other hard links, which may be outside the folder.
    HardLink,
    /// A mount point: another file system.
    OtherFileSystem,
    /// Deeper than the copy goes.
    TooDeep,
    /// Its mode keeps it from the user the copy is for (the copy's `readable_by`, in `run/build/copy.rs`).
    Unreadable,
    /// Past the most the copy takes, in bytes or entries.
    OverLimit,
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SkipReason::SymbolicLink => "a symbolic link, which the copy does not follow",
            SkipReason::NotAFile => "neither a regular file nor a directory",
            SkipReason::HardLink => "a file with other hard links",
            SkipReason::OtherFileSystem => "on another file system",
            SkipReason::TooDeep => "nested too deep",
            SkipReason::Unreadable => "not readable by the user programs run as",
            SkipReason::OverLimit => "past the most a copy takes",
        })
    }
}

/// An entry of a student's folder the copy left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Its path in the folder.
    pub path: PathBuf,
    /// Why.
    pub why: SkipReason,
}

impl fmt::Display for Skipped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.path.display(), self.why)
    }
}
