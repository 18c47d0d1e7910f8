//! Builds of student code (`cc`, `cargo`): as whom, in what directory, and what they read.
//!
//! A compiler reads whatever its user can: a `#include "/etc/shadow"`, a source that is a
//! symbolic link, a `build.rs`, a procedural macro or an `include_str!` would all read as
//! root if a root checker built them. So when the checker is root, a build runs as an
//! unprivileged uid ([`Builder::for_students`]) in a [`BuildBox`]: a fresh directory owned
//! by that uid, holding a copy of the student's folder, with resource limits, a clean
//! environment, and nothing in reach that the uid could not read anyway. When the checker
//! is not root there is nothing to drop, and the build runs as its user, in the same kind
//! of copy.
//!
//! The copy never follows a symbolic link: it takes regular files and directories of the
//! student's folder only, opened without following links, and leaves out (with a note,
//! [`Skipped`]) links, devices, pipes, files with other hard links, and anything on another
//! file system. A program the build made comes back out through [`BuildBox::copy_out`],
//! which takes only a regular file that the build's uid owns.
//!
//! ```no_run
//! use shmlab_checker::run::build::{BuildBox, Builder};
//! use std::time::Duration;
//!
//! let mut bx = BuildBox::new(Builder::for_students(65534, 65534))?;
//! let src = bx.copy_in("class/alice".as_ref(), "src".as_ref())?;
//! let mut cc = bx.command("cc", &src, Duration::from_secs(60))?;
//! cc.args(["-o", "../out/create", "create.c"]);
//! // ... run it, then:
//! bx.copy_out(&bx.out().join("create"), "grades/build/alice/create".as_ref())?;
//! # Ok::<(), shmlab_checker::run::build::BoxError>(())
//! ```

pub(crate) mod copy;
#[cfg(test)]
mod tests;
pub mod toolchain;

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Component, Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use nix::fcntl::OFlag;
use nix::sys::stat::{fstat, Mode, SFlag};
use nix::unistd::geteuid;

use super::process::build::{confine_build, limit_build, mount_namespaces_allowed, Bind};
use super::process::{self, Limits};
use copy::{file_kind, CopyRules};
pub use copy::{SkipReason, Skipped};
use toolchain::{reachable_by, Toolchain};

/// The `PATH` of a build run as another uid: directories every user can reach.
pub const BUILD_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// The most a build copies from a student's folder, in bytes.
pub const MAX_COPY: u64 = 256 << 20;

/// The largest program a build may hand back, in bytes.
pub const MAX_PROGRAM: u64 = 256 << 20;

/// Who runs a build of student code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builder {
    /// The checker's own user: it is not root, so there is nothing to drop.
    Checker,
    /// An unprivileged uid and gid, for a root checker.
    Unprivileged { uid: u32, gid: u32 },
}

impl Builder {
    /// Who builds student code: `uid` and `gid` when the checker is root, else the checker's
    /// own user.
    pub fn for_students(uid: u32, gid: u32) -> Builder {
        if geteuid().is_root() {
            Builder::Unprivileged { uid, gid }
        } else {
            Builder::Checker
        }
    }

    pub(crate) fn owner(self) -> Option<(u32, u32)> {
        match self {
            Builder::Checker => None,
            Builder::Unprivileged { uid, gid } => Some((uid, gid)),
        }
    }
}

/// Why a build could not be prepared, or its program not taken back.
#[derive(Debug, thiserror::Error)]
pub enum BoxError {
    #[error("no directory for the build: {0}")]
    Dir(#[source] io::Error),
    #[error("{path} could not be copied for the build: {source}")]
    Copy {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{path} holds more than {} MiB, the most a build copies", MAX_COPY >> 20)]
    TooLarge { path: PathBuf },
    #[error("the Rust toolchain was not found: {0}")]
    NoToolchain(String),
    #[error("uid {uid} cannot reach the Rust toolchain ({path}), and this machine does not allow the mount namespace that would show it to that uid: install Rust where uid {uid} can read it, or run grade as a normal user")]
    ToolchainUnreachable { uid: u32, path: PathBuf },
    #[error("{path} is not a program the build made: {why}")]
    NotBuilt { path: PathBuf, why: &'static str },
    #[error("the program could not be copied to {path}: {source}")]
    Output {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// A fresh directory for one build, owned by its [`Builder`] and removed when dropped: the
/// student's files copied in, `home/` (its `HOME`), `tmp/`, and `out/` for its programs.
#[derive(Debug)]
pub struct BuildBox {
    dir: tempfile::TempDir,
    builder: Builder,
    skipped: Vec<Skipped>,
    handed_over: std::cell::Cell<bool>,
    /// The uid of this build alone (root), given back when the box is dropped.
    uid: Option<crate::run::program::OwnUid>,
}

impl Drop for BuildBox {
    fn drop(&mut self) {
        // Nothing of the build outlives it (a `setsid` process of a build script): killed
        // before its directory goes, and its uid given back after.
        if let Some(uid) = &self.uid {
            process::kill_uid(uid.id);
        }
    }
}

impl BuildBox {
    /// A new, empty box in the temporary directory. Until its first command it belongs to the
    /// checker alone (mode 0700), so the copy is made where no build can interfere.
    pub fn new(builder: Builder) -> Result<BuildBox, BoxError> {
        let dir = tempfile::Builder::new()
            .prefix("shmlab-build-")
            .tempdir()
            .map_err(BoxError::Dir)?;
        let bx = BuildBox {
            dir,
            builder,
            skipped: Vec::new(),
            handed_over: std::cell::Cell::new(false),
            uid: None,
        };
        for sub in ["home", "tmp", "out"] {
            bx.mkdir(&bx.path().join(sub)).map_err(BoxError::Dir)?;
        }
        Ok(bx)
    }

    /// A box for building one student's code: as root, under a uid of its own (so a build
    /// cannot touch another's, nor anything of the programs), else as the checker's user.
    /// Where no uid of its own can be had, the uid the checker's programs run as.
    pub fn for_student() -> Result<BuildBox, BoxError> {
        if !geteuid().is_root() {
            return BuildBox::new(Builder::Checker);
        }
        match crate::run::program::own_uid() {
            Ok(uid) => {
                let mut bx = BuildBox::new(Builder::for_students(uid.id, uid.id))?;
                bx.uid = Some(uid);
                Ok(bx)
            }
            Err(_) => {
                let id = crate::run::program::run_user().id;
                BuildBox::new(Builder::for_students(id, id))
            }
        }
    }

    /// The box's directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Where a build writes its programs.
    pub fn out(&self) -> PathBuf {
        self.path().join("out")
    }

    /// Who builds in it.
    pub fn builder(&self) -> Builder {
        self.builder
    }

    /// Makes the empty directory `rel` in the box (its parent exists), owned by the builder.
    pub fn dir(&self, rel: &Path) -> Result<PathBuf, BoxError> {
        self.before_hand_over(rel)?;
        let path = self.path().join(rel);
        self.mkdir(&path).map_err(|source| BoxError::Copy {
            path: path.clone(),
            source,
        })?;
        Ok(path)
    }

    /// What the copies left out so far.
    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }

    /// Creates the directory `path` in the box, owned by the builder.
    fn mkdir(&self, path: &Path) -> io::Result<()> {
        std::fs::create_dir(path)?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))?;
        if let Some((uid, gid)) = self.builder.owner() {
            std::os::unix::fs::lchown(path, Some(uid), Some(gid))?;
        }
        Ok(())
    }

    fn before_hand_over(&self, path: &Path) -> Result<(), BoxError> {
        if self.handed_over.get() {
            return Err(BoxError::Copy {
                path: path.to_path_buf(),
                source: io::Error::other("the box already belongs to the build"),
            });
        }
        Ok(())
    }

    /// Copies the student's folder `from` into the box as `name` (a path in the box whose
    /// parent exists), without following any symbolic link, and returns the copy's path.
    /// `from` itself must not be a link either (the directories above it may be). Hidden
    /// entries (a name starting with `.`) and `target` directories are left out, like
    /// anything [`Skipped`] lists.
    pub fn copy_in(&mut self, from: &Path, name: &Path) -> Result<PathBuf, BoxError> {
        self.before_hand_over(from)?;
        let dest = self.path().join(name);
        self.mkdir(&dest).map_err(|source| BoxError::Copy {
            path: from.to_path_buf(),
            source,
        })?;
        let skipped = copy::copy_tree(from, &dest, &CopyRules::build(self.builder.owner()))?;
        self.skipped.extend(skipped);
        Ok(dest)
    }

    /// Writes a file of the checker's own (a manifest) into the box, owned by the builder.
    pub fn write(&self, rel: &Path, contents: &[u8]) -> Result<(), BoxError> {
        self.before_hand_over(rel)?;
        let path = self.path().join(rel);
        let write = || -> io::Result<()> {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o644)
                .open(&path)?;
            io::Write::write_all(&mut f, contents)?;
            if let Some((uid, gid)) = self.builder.owner() {
                std::os::unix::fs::fchown(&f, Some(uid), Some(gid))?;
            }
            Ok(())
        };
        write().map_err(|source| BoxError::Copy { path, source })
    }

    /// Gives the box to the builder: from now on its processes may write in it, and the
    /// checker only removes it or takes programs out with [`BuildBox::copy_out`].
    fn hand_over(&self) -> Result<(), BoxError> {
        if self.handed_over.get() {
            return Ok(());
        }
        if let Some((uid, gid)) = self.builder.owner() {
            std::os::unix::fs::lchown(self.path(), Some(uid), Some(gid)).map_err(BoxError::Dir)?;
        }
        self.handed_over.set(true);
        Ok(())
    }

    /// A command that runs `program` (a name looked up on [`BUILD_PATH`] when the builder is
    /// another uid) in `cwd`, as the builder, with the build limits for `time` and no way to
    /// gain privileges. For another uid the environment is only `PATH`, `HOME` (the box's
    /// `home/`) and `TMPDIR` (its `tmp/`).
    pub fn command(
        &self,
        program: impl AsRef<OsStr>,
        cwd: &Path,
        time: Duration,
    ) -> Result<Command, BoxError> {
        self.hand_over()?;
        let mut cmd = Command::new(program);
        cmd.current_dir(cwd);
        if let Some((uid, gid)) = self.builder.owner() {
            self.clean_env(&mut cmd);
            cmd.uid(uid).gid(gid);
        }
        self.limit(&mut cmd, time);
        Ok(cmd)
    }

    fn clean_env(&self, cmd: &mut Command) {
        cmd.env_clear()
            .env("PATH", BUILD_PATH)
            .env("HOME", self.path().join("home"))
            .env("TMPDIR", self.path().join("tmp"));
    }

    fn limit(&self, cmd: &mut Command, time: Duration) {
        let uid = self
            .builder
            .owner()
            .map_or_else(|| geteuid().as_raw(), |(uid, _)| uid);
        limit_build(
            cmd,
            Limits {
                cpu_secs: time.as_secs() + 2,
                address_space: 8 << 30,
                processes: Some(process::processes_of(uid) + 512),
                file_size: MAX_PROGRAM,
                open_files: 4096,
            },
        );
    }

    /// A `cargo` command (add the subcommand and its arguments) that builds as the builder,
    /// from `/` (so no `.cargo/config.toml` above the box applies), within the limits for
    /// `time`. The checker's own user runs its own `$CARGO` (else `cargo`) with its own
    /// environment, into `shared_target`. Another uid runs the toolchain's cargo with a
    /// fresh `CARGO_HOME` in the box, the crates cache read-only and `--offline`, into a target
    /// directory in the box; where the toolchain is out of its reach (under `/root`), in a
    /// private mount namespace that shows it inside the box.
    pub fn cargo(
        &self,
        kit: &Path,
        shared_target: &Path,
        time: Duration,
    ) -> Result<Command, BoxError> {
        let Some((uid, gid)) = self.builder.owner() else {
            self.hand_over()?;
            let mut cmd = toolchain::cargo_command();
            cmd.current_dir("/").env("CARGO_TARGET_DIR", shared_target);
            self.limit(&mut cmd, time);
            return Ok(cmd);
        };
        let toolchain = Toolchain::find(kit)?;
        let (home, target) = (self.path().join("home"), self.path().join("target"));
        let cargo_home = home.join(".cargo");
        let shown = self.path().join("toolchain");
        let mut shares = vec![(toolchain.sysroot.clone(), shown.clone())];
        for cache in ["registry", "git"] {
            let real = toolchain.cargo_home.join(cache);
            if real.is_dir() {
                shares.push((real, cargo_home.join(cache)));
            }
        }
        let prepare = |confined: bool| -> io::Result<()> {
            self.mkdir(&target)?;
            self.mkdir(&cargo_home)?;
            for (from, onto) in &shares {
                if confined {
                    self.mkdir(onto)?;
                } else {
                    std::os::unix::fs::symlink(from, onto)?;
                }
            }
            Ok(())
        };
        let confined = mount_namespaces_allowed()
            && std::env::var_os(super::isolation::FORBID_NAMESPACES).is_none();
        prepare(confined).map_err(BoxError::Dir)?;
        self.hand_over()?;
        let bin = shown.join("bin");
        let mut needed = vec![bin.join("cargo"), bin.join("rustc")];
        needed.extend(shares.iter().skip(1).map(|(_, onto)| onto.clone()));
        if !confined && !reachable_by(uid, gid, &needed) {
            return Err(BoxError::ToolchainUnreachable {
                uid,
                path: toolchain.sysroot,
            });
        }
        let mut cmd = Command::new(bin.join("cargo"));
        cmd.current_dir("/");
        self.clean_env(&mut cmd);
        cmd.env("CARGO_HOME", &cargo_home)
            .env("RUSTC", bin.join("rustc"))
            .env("CARGO_TARGET_DIR", &target)
            // The crates cache is read-only: never try to clean it.
            .env("CARGO_CACHE_AUTO_CLEAN_FREQUENCY", "never")
            .arg("--offline");
        if confined {
            let binds: Vec<Bind> = shares
                .into_iter()
                .map(|(from, onto)| Bind { from, onto })
                .collect();
            confine_build(&mut cmd, &binds, uid, gid).map_err(BoxError::Dir)?;
        } else {
            cmd.uid(uid).gid(gid);
        }
        self.limit(&mut cmd, time);
        Ok(cmd)
    }

    /// Copies the program `built`, which a build in this box made, to `to` (mode 0755,
    /// written under a temporary name and renamed, so no one ever runs half a file). It
    /// must be a regular file, not a link, and, when the builder is another uid, inside the
    /// box and owned by that uid: a build cannot hand back a file only root could read.
    pub fn copy_out(&self, built: &Path, to: &Path) -> Result<(), BoxError> {
        let not_built = |why| BoxError::NotBuilt {
            path: built.to_path_buf(),
            why,
        };
        let owner = self.builder.owner();
        if owner.is_some()
            && (!built.starts_with(self.path())
                || built.components().any(|c| c == Component::ParentDir))
        {
            return Err(not_built("it is outside the build's directory"));
        }
        let flags = OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC;
        let fd = nix::fcntl::open(built, flags, Mode::empty())
            .map_err(|_| not_built("it cannot be opened, or is a symbolic link"))?;
        let stat = fstat(&fd).map_err(|_| not_built("it cannot be read"))?;
        if file_kind(&stat) != SFlag::S_IFREG {
            return Err(not_built("it is not a regular file"));
        }
        if owner.is_some_and(|(uid, _)| stat.st_uid != uid) {
            return Err(not_built("the build's user does not own it"));
        }
        let output = |source| BoxError::Output {
            path: to.to_path_buf(),
            source,
        };
        let parent = to.parent().unwrap_or(Path::new("."));
        let mut tmp = tempfile::Builder::new()
            .prefix(".shmlab-")
            .tempfile_in(parent)
            .map_err(output)?;
        let copied = io::copy(&mut File::from(fd).take(MAX_PROGRAM + 1), tmp.as_file_mut())
            .map_err(output)?;
        if copied > MAX_PROGRAM {
            return Err(not_built(
                "it is larger than the largest program a build may make",
            ));
        }
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o755))
            .map_err(output)?;
        tmp.persist(to).map_err(|e| output(e.error))?;
        Ok(())
    }
}
