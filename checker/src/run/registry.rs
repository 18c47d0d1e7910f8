//! What a checker holds, written down as it goes, so that a checker killed mid-scenario
//! (SIGKILL leaves it no chance to clean up) leaves nothing that the next one does not
//! remove: the key bases of keys mode, and the uid its programs run as when it is root.
//!
//! The registry is a directory only the checker's user can write: `/run/shmlab` for root
//! (`$TMPDIR/shmlab-keys-0` where `/run` cannot be used), else
//! `$XDG_RUNTIME_DIR/shmlab` or `$TMPDIR/shmlab-keys-<uid>`. The checker makes it with mode
//! 0700 and, before each use, opens it without following a link and checks that it is a
//! directory, owned by the checker's euid, with no permission for anyone else; everything
//! after that goes through that descriptor (`openat`, `unlinkat`), never through the path.
//! A registry that fails the check is refused with a sentence; nothing in it is followed or
//! deleted.
//!
//! Each claim is a file in it, created with `O_CREAT|O_EXCL|O_NOFOLLOW` and locked with
//! `flock` for as long as it is held:
//! - `<base>` (8 hex digits): a scenario's key base; it gets `id cpid ctime` for every
//!   segment the scenario sees.
//! - `uid-<n>`: the uid the checker's programs run as; held for the checker's whole run.
//!
//! At its start, a checker looks at the files no live checker holds. For a key base, the
//! segments written there are removed, but only those whose id, creator pid and creation
//! time all still match what was written. For a uid, every process of that uid is killed, and
//! every segment it created and every working folder it owns is removed: the uid was the dead
//! checker's alone.

use std::fmt;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{openat, Flock, FlockArg, OFlag};
use nix::sys::stat::{fstat, mkdirat, Mode, SFlag};
use nix::unistd::{unlinkat, UnlinkatFlags};
use shm::{ShmId, ShmctlCmd};

/// Why a registry directory is not the checker's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Untrusted {
    /// It is a symbolic link.
    Link,
    /// It is not a directory.
    NotADirectory,
    /// Another user owns it.
    Owner(u32),
    /// Others may read, write or enter it.
    Mode(u32),
}

impl fmt::Display for Untrusted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Untrusted::Link => f.write_str("it is a symbolic link"),
            Untrusted::NotADirectory => f.write_str("it is not a directory"),
            Untrusted::Owner(uid) => write!(f, "it belongs to uid {uid}"),
            Untrusted::Mode(mode) => write!(f, "its mode is {mode:04o}, not 0700"),
        }
    }
}

/// Why the registry cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The directory is there, but not as the checker makes it.
    #[error("the checker's registry {} is not its own ({why}): the checker did not make it so; remove it and run again", path.display())]
    Untrusted { path: PathBuf, why: Untrusted },
    /// It could not be made or opened.
    #[error("the checker's registry {} could not be opened: {errno}", path.display())]
    Open { path: PathBuf, errno: Errno },
}

/// The registry directory, opened and checked.
pub struct Registry {
    dir: OwnedFd,
    path: PathBuf,
}

/// What [`Registry::sweep_stale`] removed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Swept {
    /// Segments removed.
    pub segments: usize,
    /// Processes killed.
    pub processes: usize,
    /// Entries left alone because they were not the checker's (named, for a note).
    pub refused: Vec<String>,
}

/// Set, the registry is there instead (the tests use it to keep theirs apart); it is
/// checked like any other.
pub const REGISTRY_DIR: &str = "SHMLAB_REGISTRY";

/// Where the registry may live for this user, in order of preference: the first that can be
/// made or opened is used (a directory only this user can write where there is one, else
/// the temporary directory).
fn locations() -> Vec<PathBuf> {
    if let Some(dir) = std::env::var_os(REGISTRY_DIR).filter(|d| !d.is_empty()) {
        return vec![PathBuf::from(dir)];
    }
    let euid = nix::unistd::geteuid();
    let mut places = Vec::new();
    if euid.is_root() {
        let run = Path::new("/run");
        let usable = std::fs::symlink_metadata(run).is_ok_and(|m| {
            use std::os::unix::fs::MetadataExt;
            m.is_dir() && m.uid() == 0 && m.mode() & 0o022 == 0
        });
        if usable {
            places.push(run.join("shmlab"));
        }
    } else if let Some(runtime) = std::env::var_os("XDG_RUNTIME_DIR") {
        let runtime = PathBuf::from(runtime);
        if runtime.is_absolute() {
            places.push(runtime.join("shmlab"));
        }
    }
    places.push(std::env::temp_dir().join(format!("shmlab-keys-{euid}")));
    places
}

impl Registry {
    /// Opens (making it if need be) the registry of this user: at the first of its places
    /// that can be made or opened (a read-only `/run` passes on to the next); one that is
    /// there but not the checker's own is refused, never passed over.
    pub fn open() -> Result<Registry, RegistryError> {
        let mut last = None;
        for place in locations() {
            match Registry::open_at(&place) {
                Err(e @ RegistryError::Open { .. }) => last = Some(e),
                other => return other,
            }
        }
        Err(last.expect("there is always the temporary directory"))
    }

    /// Opens (making it if need be) the registry at `path`, checking that it is the
    /// checker's own.
    pub fn open_at(path: &Path) -> Result<Registry, RegistryError> {
        let err = |errno| RegistryError::Open {
            path: path.to_path_buf(),
            errno,
        };
        let parent = path.parent().unwrap_or(Path::new("/"));
        let name = path.file_name().ok_or_else(|| err(Errno::EINVAL))?;
        let parent_fd = openat(
            nix::fcntl::AT_FDCWD,
            parent,
            OFlag::O_DIRECTORY | OFlag::O_CLOEXEC | OFlag::O_PATH,
            Mode::empty(),
        )
        .map_err(err)?;
        match mkdirat(&parent_fd, name, Mode::S_IRWXU) {
            Ok(()) | Err(Errno::EEXIST) => {}
            Err(e) => return Err(err(e)),
        }
        let untrusted = |why| RegistryError::Untrusted {
            path: path.to_path_buf(),
            why,
        };
        let dir = match openat(
            &parent_fd,
            name,
            OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC | OFlag::O_RDONLY,
            Mode::empty(),
        ) {
            Ok(fd) => fd,
            Err(Errno::ELOOP) => return Err(untrusted(Untrusted::Link)),
            Err(Errno::ENOTDIR) => {
                // O_NOFOLLOW|O_DIRECTORY on a link gives ENOTDIR on some kernels.
                let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.is_symlink());
                return Err(untrusted(if is_link {
                    Untrusted::Link
                } else {
                    Untrusted::NotADirectory
                }));
            }
            Err(e) => return Err(err(e)),
        };
        let st = fstat(&dir).map_err(err)?;
        let euid = nix::unistd::geteuid().as_raw();
        if SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT != SFlag::S_IFDIR {
            return Err(untrusted(Untrusted::NotADirectory));
        }
        if st.st_uid != euid {
            return Err(untrusted(Untrusted::Owner(st.st_uid)));
        }
        if st.st_mode & 0o077 != 0 {
            return Err(untrusted(Untrusted::Mode(st.st_mode & 0o7777)));
        }
        Ok(Registry {
            dir,
            path: path.to_path_buf(),
        })
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Claims `name`, or `None` when another checker holds it (or it cannot be made).
    fn claim(&self, name: &str) -> Option<Claim> {
        let fd = openat(
            &self.dir,
            name,
            OFlag::O_CREAT
                | OFlag::O_EXCL
                | OFlag::O_NOFOLLOW
                | OFlag::O_RDWR
                | OFlag::O_APPEND
                | OFlag::O_CLOEXEC,
            Mode::S_IRUSR | Mode::S_IWUSR,
        )
        .ok()?;
        let file = Flock::lock(File::from(fd), FlockArg::LockExclusiveNonblock).ok()?;
        // A sweeper may have taken the file for a dead checker's between its creation and
        // our lock, and removed it: then the lock is on a file nobody else can find, and the
        // name is free for another checker. Held only if the name is still this file.
        let ours = fstat(file.as_fd()).ok()?;
        let named =
            nix::sys::stat::fstatat(&self.dir, name, nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW)
                .ok()?;
        if (named.st_dev, named.st_ino) != (ours.st_dev, ours.st_ino) {
            return None;
        }
        Some(Claim {
            dir: self.dir.try_clone().ok()?,
            name: name.to_string(),
            file,
        })
    }

    /// Claims the key base `base` for one scenario.
    pub fn claim_base(&self, base: i32) -> Option<Claim> {
        self.claim(&format!("{:08x}", base as u32))
    }

    /// Claims `uid` for the checker's programs, for as long as the claim lives.
    pub fn claim_uid(&self, uid: u32) -> Option<Claim> {
        self.claim(&format!("uid-{uid}"))
    }

    /// Removes what checkers that died left: for each claim no live checker holds, the
    /// segments recorded under a key base that still match their record, and the processes
    /// and segments of a uid.
    pub fn sweep_stale(&self) -> Swept {
        let mut swept = Swept::default();
        let Ok(entries) = std::fs::read_dir(format!("/proc/self/fd/{}", self.dir.as_raw_fd()))
        else {
            return swept;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let kind = if let Some(uid) = name.strip_prefix("uid-") {
                match uid.parse::<u32>() {
                    Ok(uid) if uid != 0 => Kind::Uid(uid),
                    _ => continue,
                }
            } else if name.len() == 8 && u32::from_str_radix(&name, 16).is_ok() {
                Kind::Base
            } else {
                continue;
            };
            let Some(mut file) = self.open_stale(&name, &mut swept) else {
                continue;
            };
            match kind {
                Kind::Base => {
                    let mut text = String::new();
                    let _ = file.read_to_string(&mut text);
                    swept.segments += remove_recorded(&text);
                }
                Kind::Uid(uid) => {
                    swept.processes += super::process::kill_uid(uid);
                    swept.segments += remove_created_by(uid);
                    super::workdir::sweep_of(uid);
                    super::litter::remove_left_by(uid);
                }
            }
            let _ = unlinkat(&self.dir, name.as_str(), UnlinkatFlags::NoRemoveDir);
        }
        swept
    }

    /// Opens the claim `name` if it is a file of the checker's own and no live checker holds
    /// it; anything else is noted in `swept.refused` and left alone.
    fn open_stale(&self, name: &str, swept: &mut Swept) -> Option<Flock<File>> {
        let fd = match openat(
            &self.dir,
            name,
            OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC,
            Mode::empty(),
        ) {
            Ok(fd) => fd,
            Err(_) => {
                swept.refused.push(name.to_string());
                return None;
            }
        };
        let st = fstat(&fd).ok()?;
        let is_file = SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT == SFlag::S_IFREG;
        if !is_file || st.st_uid != nix::unistd::geteuid().as_raw() || st.st_nlink != 1 {
            swept.refused.push(name.to_string());
            return None;
        }
        // A live checker holds its claim's lock: leave it alone.
        Flock::lock(File::from(fd), FlockArg::LockExclusiveNonblock).ok()
    }
}

enum Kind {
    Base,
    Uid(u32),
}

/// A claim, held until dropped.
pub struct Claim {
    dir: OwnedFd,
    name: String,
    file: Flock<File>,
}

impl Claim {
    /// The claim file, for a traced run to write down the segments its program creates
    /// as they come (the same lines as [`Claim::record`]).
    pub fn file(&self) -> BorrowedFd<'_> {
        self.file.as_fd()
    }

    /// Writes down a segment of the scenario.
    pub fn record(&mut self, id: i32, cpid: i32, ctime: i64) {
        let _ = self
            .file
            .write_all(format!("{id} {cpid} {ctime}\n").as_bytes());
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        // Cleaned up after itself: forget it (the lock goes with the file).
        let _ = unlinkat(&self.dir, self.name.as_str(), UnlinkatFlags::NoRemoveDir);
    }
}

impl fmt::Debug for Claim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Claim({})", self.name)
    }
}

/// The registry of this checker run, and what its sweep removed.
static SHARED: std::sync::OnceLock<(Result<Registry, RegistryError>, Swept)> =
    std::sync::OnceLock::new();

fn opened() -> &'static (Result<Registry, RegistryError>, Swept) {
    SHARED.get_or_init(|| match Registry::open() {
        Ok(r) => {
            let swept = r.sweep_stale();
            (Ok(r), swept)
        }
        Err(e) => (Err(e), Swept::default()),
    })
}

/// The registry of this checker run: opened (made if need be) once, at first use, when
/// what dead checkers left is swept too.
pub fn shared() -> Result<&'static Registry, &'static RegistryError> {
    opened().0.as_ref()
}

/// What the sweep at the opening of [`shared`] removed (nothing when it has not opened).
pub fn swept() -> Swept {
    SHARED.get().map(|(_, s)| s.clone()).unwrap_or_default()
}

/// One line of a claim file: `id cpid ctime`.
fn parse_record(line: &str) -> Option<(i32, i32, i64)> {
    let mut words = line.split_whitespace();
    let id = words.next()?.parse().ok()?;
    let cpid = words.next()?.parse().ok()?;
    let ctime = words.next()?.parse().ok()?;
    words.next().is_none().then_some((id, cpid, ctime))
}

/// Removes the segments recorded in `text` that still match their record (id, creator pid
/// and creation time); returns how many.
fn remove_recorded(text: &str) -> usize {
    let recorded: Vec<(i32, i32, i64)> = text.lines().filter_map(parse_record).collect();
    if recorded.is_empty() {
        return 0;
    }
    let segments = shm::list_segments().unwrap_or_default();
    segments
        .iter()
        .filter(|(id, st)| {
            recorded.iter().any(|(i, cpid, ctime)| {
                *i == id.raw() && *cpid == st.cpid() && *ctime == st.ctime()
            })
        })
        .filter(|(id, _)| shm::shmctl(ShmId::new(id.raw()), ShmctlCmd::IpcRmid).is_ok())
        .count()
}

/// Removes every segment `uid` created; returns how many.
pub fn remove_created_by(uid: u32) -> usize {
    shm::list_segments()
        .unwrap_or_default()
        .iter()
        .filter(|(_, st)| st.cuid() == uid)
        .filter(|(id, _)| shm::shmctl(ShmId::new(id.raw()), ShmctlCmd::IpcRmid).is_ok())
        .count()
}

#[cfg(test)]
mod tests;
