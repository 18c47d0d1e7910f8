//! The copy of a student's folder into a build's box: regular files and directories only,
//! each opened without following a link and checked to be what was looked at.

use std::ffi::{CStr, OsString};
use std::fmt;
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
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SkipReason::SymbolicLink => "a symbolic link, which builds do not follow",
            SkipReason::NotAFile => "neither a regular file nor a directory",
            SkipReason::HardLink => "a file with other hard links",
            SkipReason::OtherFileSystem => "on another file system",
            SkipReason::TooDeep => "nested too deep",
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

pub(super) fn file_kind(stat: &FileStat) -> SFlag {
    SFlag::from_bits_truncate(stat.st_mode & SFlag::S_IFMT.bits())
}

/// Copies the folder `from` into the existing directory `dest`, every entry owned by
/// `owner` when given, and returns what it left out.
pub(super) fn copy_tree(
    from: &Path,
    dest: &Path,
    owner: Option<(u32, u32)>,
) -> Result<Vec<Skipped>, BoxError> {
    let copy_err = |source: io::Error| BoxError::Copy {
        path: from.to_path_buf(),
        source,
    };
    let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    let top = nix::fcntl::open(from, flags, Mode::empty()).map_err(|e| copy_err(e.into()))?;
    let stat = fstat(&top).map_err(|e| copy_err(e.into()))?;
    let mut copier = Copier {
        owner,
        dev: stat.st_dev,
        left: MAX_COPY,
        top: from,
        skipped: Vec::new(),
    };
    copier.dir(top, Path::new(""), dest, 0)?;
    Ok(copier.skipped)
}

/// One copy of a student's folder into a box.
struct Copier<'a> {
    owner: Option<(u32, u32)>,
    /// The folder's file system: nothing on another is copied.
    dev: u64,
    /// Bytes the copy may still take.
    left: u64,
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
        if let Some((uid, gid)) = self.owner {
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
        let flags = OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC | dir_flags;
        let fd =
            openat(parent, name, flags, Mode::empty()).map_err(|e| self.fail(&rel, e.into()))?;
        // What was opened is what was looked at, not something put there since.
        let opened = fstat(&fd).map_err(|e| self.fail(&rel, e.into()))?;
        if (opened.st_dev, opened.st_ino) != (stat.st_dev, stat.st_ino)
            || file_kind(&opened) != kind
        {
            self.skip(rel, SkipReason::NotAFile);
            return Ok(());
        }
        if kind == SFlag::S_IFDIR {
            std::fs::create_dir(dest)
                .and_then(|()| {
                    std::fs::set_permissions(dest, std::fs::Permissions::from_mode(0o755))
                })
                .and_then(|()| match self.owner {
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
            return Err(BoxError::TooLarge {
                path: self.top.to_path_buf(),
            });
        }
        self.left -= copied;
        Ok(())
    }
}
