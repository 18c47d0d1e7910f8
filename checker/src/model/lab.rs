//! The labs, in teaching order.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

/// A lab: one operation, one program named after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Lab {
    Create,
    Access,
    Attach,
    Detach,
    Remove,
    Stat,
    Set,
    Memo,
    Share,
}

impl Lab {
    /// Every lab, in teaching order.
    pub const ALL: [Lab; 9] = [
        Lab::Create,
        Lab::Access,
        Lab::Attach,
        Lab::Detach,
        Lab::Remove,
        Lab::Stat,
        Lab::Set,
        Lab::Memo,
        Lab::Share,
    ];

    /// Its name, which is also the program's name.
    pub fn name(self) -> &'static str {
        match self {
            Lab::Create => "create",
            Lab::Access => "access",
            Lab::Attach => "attach",
            Lab::Detach => "detach",
            Lab::Remove => "remove",
            Lab::Stat => "stat",
            Lab::Set => "set",
            Lab::Memo => "memo",
            Lab::Share => "share",
        }
    }

    /// Its number in teaching order, from 1.
    pub fn number(self) -> usize {
        self as usize + 1
    }

    /// What it teaches, in one line.
    pub fn summary(self) -> &'static str {
        match self {
            Lab::Create => "create a segment with shmget(IPC_CREAT | mode)",
            Lab::Access => "find an existing segment by its key with shmget(key, 0, 0)",
            Lab::Attach => "attach with shmat and read or write the segment",
            Lab::Detach => "attach, read, then detach explicitly with shmdt",
            Lab::Remove => "remove a segment with shmctl(IPC_RMID)",
            Lab::Stat => "print a segment's metadata from shmctl(IPC_STAT)",
            Lab::Set => "change a segment's mode and owner with shmctl(IPC_SET)",
            Lab::Memo => "capstone: keep a text in one segment over several runs",
            Lab::Share => "capstone: fork, and a child and its parent share one segment",
        }
    }

    /// Whether the lab's program is meant to create segments (`create`, and `memo`, whose
    /// scenarios judge themselves which segments are one too many); in every other lab a
    /// segment left behind is reported.
    pub fn creates_segments(self) -> bool {
        matches!(self, Lab::Create | Lab::Memo)
    }

    /// The guide, relative to the workspace.
    pub fn guide(self) -> String {
        format!("docs/labs/{}.md", self.name())
    }

    /// The lab named exactly `name`.
    pub fn from_name(name: &str) -> Option<Lab> {
        Lab::ALL.into_iter().find(|l| l.name() == name)
    }

    /// The lab name closest to `name`, for "did you mean".
    pub fn nearest(name: &str) -> Lab {
        Lab::ALL
            .into_iter()
            .min_by_key(|l| strsim::damerau_levenshtein(&name.to_lowercase(), l.name()))
            .unwrap_or(Lab::Create)
    }
}

/// Why a lab has no program to check: every one of its scenarios fails with this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabProblem {
    /// The lab's Rust program does not compile (cargo printed the errors): `file` holds the
    /// first error that keeps it from building (its own file, or the library's), and
    /// `first_error` is that error in one line, when cargo gave one; `errors` is that error as
    /// the compiler rendered it, kept where no one sees the compiler's stderr.
    DoesNotCompile {
        file: String,
        first_error: Option<String>,
        errors: Option<String>,
    },
    /// The lab's C source does not compile (the compiler printed the errors, kept in
    /// `errors`), or could not be compiled (`why`).
    SourceDoesNotCompile {
        file: String,
        why: Option<String>,
        errors: Option<String>,
    },
    /// The crate built, but has no binary for the lab.
    NoBinary { package: String, name: String },
    /// No program at this path.
    NotFound { path: PathBuf },
    /// Something at this path, but not an executable file.
    NotExecutable { path: PathBuf },
    /// It exists, but could not start as `uid`: it exited with a shell's 126 or 127 before
    /// any shm call (an interpreter it needs is missing or out of that user's reach).
    CouldNotStart {
        program: String,
        uid: u32,
        code: i32,
        /// The last line it printed on stderr, which usually names what failed.
        said: Option<String>,
    },
    /// It cannot be run as `uid`, the unprivileged user of a root checker, and is never run
    /// as root instead.
    Unreachable {
        program: String,
        uid: u32,
        what: Unreachable,
    },
    /// The system could not execute it as `uid` (`execve` failed: a missing interpreter, a
    /// binary for another machine).
    CannotExecute {
        program: String,
        uid: u32,
        error: String,
    },
}

/// What keeps the unprivileged user from running a program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unreachable {
    /// The interpreter its `#!` line names (for `#!/usr/bin/env NAME`, found on the
    /// programs' `PATH`) is out of that user's reach.
    Interpreter(PathBuf),
    /// The program itself is out of its reach, and its mode keeps it from others, so no copy
    /// is made.
    Program,
    /// A copy in a temporary directory is still not executable (a `noexec` mount).
    CopyNotExecutable,
    /// The copy could not be made.
    CopyFailed(String),
}

impl fmt::Display for Lab {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`, so that `{:<7}` lines labs up in a column.
        f.pad(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_lab_name_is_suggested() {
        assert_eq!(Lab::nearest("creat"), Lab::Create);
        assert_eq!(Lab::nearest("atach"), Lab::Attach);
        assert_eq!(Lab::nearest("stats"), Lab::Stat);
        assert_eq!(Lab::nearest("Remove"), Lab::Remove);
    }

    #[test]
    fn labs_are_numbered_in_teaching_order() {
        for (i, lab) in Lab::ALL.into_iter().enumerate() {
            assert_eq!(lab.number(), i + 1);
            assert_eq!(Lab::from_name(lab.name()), Some(lab));
        }
        assert_eq!(Lab::from_name("nope"), None);
    }
}
