//! The copy of a student's folder into a build's box, or into a program's working folder
//! (`run/workdir.rs`): regular files and directories only, each opened without following a
//! link and checked to be what was looked at.

use std::ffi::{CStr, OsString};
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use nix::fcntl::{openat, AtFlags, OFlag};
use nix::sys::stat::{fstat, fstatat, FileStat, Mode, SFlag};
use nix::unistd::{Gid, Uid};

use super::{BoxError, MAX_COPY};

/// How deep the copy goes into a student's folder.
const MAX_DEPTH: usize = 32;

pub use crate::model::copied::{SkipReason, Skipped};

pub(super) fn file_kind(stat: &FileStat) -> SFlag {
    SFlag::from_bits_truncate(stat.st_mode & SFlag::S_IFMT.bits())
}

/// What a copy takes, for whom, and how much.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CopyRules {
    /// Every entry `fchown`ed to this uid and gid (a root checker's copy for another user).
    pub owner: Option<(u32, u32)>,
    /// Only what this uid and gid could read themselves, by the entry's own mode bits (a
    /// file readable, a directory readable and searchable); the rest is skipped
    /// ([`SkipReason::Unreadable`]), and so is an entry whose `open` is refused.
    pub readable_by: Option<(u32, u32)>,
    /// The most bytes copied.
    pub max_bytes: u64,
    /// The most entries (files and directories) copied.
    pub max_entries: usize,
    /// Past a limit: leave the rest out ([`SkipReason::OverLimit`]) instead of failing with
    /// [`BoxError::TooLarge`].
    pub skip_past_limits: bool,
}

impl CopyRules {
    /// A build's copy: everything regular, up to [`MAX_COPY`], or the build fails.
    pub(crate) fn build(owner: Option<(u32, u32)>) -> CopyRules {
        CopyRules {
            owner,
            readable_by: None,
            max_bytes: MAX_COPY,
            max_entries: usize::MAX,
            skip_past_limits: false,
        }
    }
}

/// Copies the folder `from` into the existing directory `dest` as `rules` say, and returns
/// what it left out.
pub(crate) fn copy_tree(
    from: &Path,
    dest: &Path,
    rules: &CopyRules,
) -> Result<Vec<Skipped>, BoxError> {
    let copy_err = |source: io::Error| BoxError::Copy {
        path: from.to_path_buf(),
        source,
    };
    let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    let top = nix::fcntl::open(from, flags, Mode::empty()).map_err(|e| copy_err(e.into()))?;
    let stat = fstat(&top).map_err(|e| copy_err(e.into()))?;
    let mut copier = Copier {
        rules: *rules,
        dev: stat.st_dev,
        left: rules.max_bytes,
        entries: 0,
        top: from,
        skipped: Vec::new(),
    };
    copier.dir(top, Path::new(""), dest, 0)?;
    Ok(copier.skipped)
}

/// Whether `uid` and `gid` may read `stat`'s entry (and search it, for a directory) by its
/// own mode bits, as the kernel decides for a user without privileges.
fn readable_by(stat: &FileStat, (uid, gid): (u32, u32)) -> bool {
    let need = if file_kind(stat) == SFlag::S_IFDIR {
        0o5
    } else {
        0o4
    };
    let bits = if stat.st_uid == uid {
        stat.st_mode >> 6
    } else if stat.st_gid == gid {
        stat.st_mode >> 3
    } else {
        stat.st_mode
    };
    bits & need == need
}

/// One copy of a student's folder.
struct Copier<'a> {
    rules: CopyRules,
    /// The folder's file system: nothing on another is copied.
    dev: u64,
    /// Bytes the copy may still take.
    left: u64,
    /// Entries copied so far.
    entries: usize,
    top: &'a Path,
    skipped: Vec<Skipped>,
}

impl Copier<'_> {
    fn fail(&self, rel: &Path, source: io::Error) -> BoxError {
        BoxError::Copy {
            path: self.top.join(rel),
            source,
        }
    }

    fn skip(&mut self, rel: PathBuf, why: SkipReason) {
        self.skipped.push(Skipped { path: rel, why });
    }

    fn chown(&self, fd: impl AsFd) -> io::Result<()> {
        if let Some((uid, gid)) = self.rules.owner {
            nix::unistd::fchown(fd, Some(Uid::from_raw(uid)), Some(Gid::from_raw(gid)))?;
        }
        Ok(())
    }

    /// Copies the directory open as `fd` (`rel` in the folder) into `dest`, which exists.
    /// Its entries are listed through `/proc/self/fd`, which names the directory opened, not
    /// whatever its path leads to now.
    fn dir(&mut self, fd: OwnedFd, rel: &Path, dest: &Path, depth: usize) -> Result<(), BoxError> {
        let listing = Path::new("/proc/self/fd").join(fd.as_raw_fd().to_string());
        let mut names: Vec<OsString> = Vec::new();
        for entry in std::fs::read_dir(&listing).map_err(|e| self.fail(rel, e))? {
            let name = entry.map_err(|e| self.fail(rel, e))?.file_name();
            if name.as_bytes().starts_with(b".") || name == "target" {
                continue;
            }
            names.push(name);
        }
        names.sort();
        for name in names {
            let (rel, dest) = (rel.join(&name), dest.join(&name));
            let c =
                std::ffi::CString::new(name.into_vec()).map_err(|e| self.fail(&rel, e.into()))?;
            self.entry(&fd, &c, rel, &dest, depth)?;
        }
        Ok(())
    }

    fn entry(
        &mut self,
        parent: &OwnedFd,
        name: &CStr,
        rel: PathBuf,
        dest: &Path,
        depth: usize,
    ) -> Result<(), BoxError> {
        let stat = fstatat(parent, name, AtFlags::AT_SYMLINK_NOFOLLOW)
            .map_err(|e| self.fail(&rel, e.into()))?;
        let kind = file_kind(&stat);
        if kind == SFlag::S_IFLNK {
            self.skip(rel, SkipReason::SymbolicLink);
            return Ok(());
        }
        if kind != SFlag::S_IFDIR && kind != SFlag::S_IFREG {
            self.skip(rel, SkipReason::NotAFile);
            return Ok(());
        }
        if stat.st_dev != self.dev {
            self.skip(rel, SkipReason::OtherFileSystem);
            return Ok(());
        }
        let dir_flags = if kind == SFlag::S_IFDIR {
            if depth >= MAX_DEPTH {
                self.skip(rel, SkipReason::TooDeep);
                return Ok(());
            }
            OFlag::O_DIRECTORY
        } else {
            if stat.st_nlink > 1 {
                self.skip(rel, SkipReason::HardLink);
                return Ok(());
            }
            OFlag::O_NONBLOCK
        };
        if self.entries >= self.rules.max_entries {
            if self.rules.skip_past_limits {
                self.skip(rel, SkipReason::OverLimit);
                return Ok(());
            }
            return Err(BoxError::TooLarge {
                path: self.top.to_path_buf(),
            });
        }
        let flags = OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC | dir_flags;
        let fd = match openat(parent, name, flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(nix::errno::Errno::EACCES) if self.rules.readable_by.is_some() => {
                self.skip(rel, SkipReason::Unreadable);
                return Ok(());
            }
            Err(e) => return Err(self.fail(&rel, e.into())),
        };
        // What was opened is what was looked at, not something put there since.
        let opened = fstat(&fd).map_err(|e| self.fail(&rel, e.into()))?;
        if (opened.st_dev, opened.st_ino) != (stat.st_dev, stat.st_ino)
            || file_kind(&opened) != kind
        {
            self.skip(rel, SkipReason::NotAFile);
            return Ok(());
        }
        // Judged on what was opened: a mode changed since the look is the one that counts.
        if let Some(user) = self.rules.readable_by {
            if !readable_by(&opened, user) {
                self.skip(rel, SkipReason::Unreadable);
                return Ok(());
            }
        }
        self.entries += 1;
        if kind == SFlag::S_IFDIR {
            std::fs::create_dir(dest)
                .and_then(|()| {
                    std::fs::set_permissions(dest, std::fs::Permissions::from_mode(0o755))
                })
                .and_then(|()| match self.rules.owner {
                    Some((uid, gid)) => std::os::unix::fs::lchown(dest, Some(uid), Some(gid)),
                    None => Ok(()),
                })
                .map_err(|e| self.fail(&rel, e))?;
            return self.dir(fd, &rel, dest, depth + 1);
        }
        self.file(fd, &opened, &rel, dest)
    }

    fn file(
        &mut self,
        fd: OwnedFd,
        stat: &FileStat,
        rel: &Path,
        dest: &Path,
    ) -> Result<(), BoxError> {
        let size = u64::try_from(stat.st_size).unwrap_or(u64::MAX);
        if size > self.left {
            if self.rules.skip_past_limits {
                self.skip(rel.to_path_buf(), SkipReason::OverLimit);
                return Ok(());
            }
            return Err(BoxError::TooLarge {
                path: self.top.to_path_buf(),
            });
        }
        let mode = if stat.st_mode & 0o111 != 0 {
            0o755
        } else {
            0o644
        };
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(dest)
            .map_err(|e| self.fail(rel, e))?;
        self.chown(&out).map_err(|e| self.fail(rel, e))?;
        let copied = io::copy(&mut File::from(fd).take(self.left + 1), &mut out)
            .map_err(|e| self.fail(rel, e))?;
        if copied > self.left {
            if self.rules.skip_past_limits {
                // It grew while it was copied: what was copied of it goes.
                drop(out);
                std::fs::remove_file(dest).map_err(|e| self.fail(rel, e))?;
                self.skip(rel.to_path_buf(), SkipReason::OverLimit);
                return Ok(());
            }
            return Err(BoxError::TooLarge {
                path: self.top.to_path_buf(),
            });
        }
        self.left -= copied;
        Ok(())
    }
}
