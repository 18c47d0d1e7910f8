//! The pre-exec step of a build of student code that must see directories its uid cannot
//! reach: a private mount namespace with read-only bind mounts, then the switch to that uid.
//!
//! A root checker builds a Cargo submission as an unprivileged uid, but the Rust toolchain
//! and the crates cache usually sit under `/root`, which that uid cannot enter. Between
//! fork and exec, still root, the child moves to a mount namespace of its own (every mount
//! made private, so nothing it does is seen outside), shows each of those directories
//! read-only (and `nosuid`, `nodev`) at a path inside the build's own directory, and only
//! then drops to the uid. The mounts end with the build's last process; the checker's own
//! view of the file system never changes.

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// A directory shown read-only at another path, in the build's mount namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bind {
    /// The directory, as the checker sees it.
    pub from: PathBuf,
    /// Where the build sees it: an existing, empty directory.
    pub onto: PathBuf,
}

fn c_path(p: &Path) -> io::Result<CString> {
    CString::new(p.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a path holds a NUL byte"))
}

/// Makes the process `cmd` starts enter a private mount namespace holding `binds`, then
/// switch to `uid` and `gid` with no supplementary groups, before anything else of its
/// pre-exec runs: register it first, then [`limit_build`] (which must come after the
/// switch). Do not also set
/// `Command::uid`: std switches before any hook runs, and the mounts need root.
///
/// # Errors
///
/// `InvalidInput` if a path holds a NUL byte. The child's own failures (`unshare` or
/// `mount` refused, say `EPERM` in a container) come back from `spawn`.
pub fn confine_build(cmd: &mut Command, binds: &[Bind], uid: u32, gid: u32) -> io::Result<()> {
    let root = c_path(Path::new("/"))?;
    let binds: Vec<(CString, CString)> = binds
        .iter()
        .map(|b| Ok((c_path(&b.from)?, c_path(&b.onto)?)))
        .collect::<io::Result<_>>()?;
    let check = |ret: libc::c_int| -> io::Result<()> {
        if ret == -1 {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    };
    // SAFETY: the closure runs between fork and exec. It only makes system calls (unshare,
    // mount, setgroups, setgid, setuid), which are async-signal-safe, on C strings built
    // before the fork; iterating over the captured vector allocates nothing.
    unsafe {
        cmd.pre_exec(move || {
            check(libc::unshare(libc::CLONE_NEWNS))?;
            // Private, recursively: no mount below propagates back to the machine's view.
            check(libc::mount(
                std::ptr::null(),
                root.as_ptr(),
                std::ptr::null(),
                libc::MS_REC | libc::MS_PRIVATE,
                std::ptr::null(),
            ))?;
            for (from, onto) in &binds {
                check(libc::mount(
                    from.as_ptr(),
                    onto.as_ptr(),
                    std::ptr::null(),
                    libc::MS_BIND,
                    std::ptr::null(),
                ))?;
                // A bind mount takes its flags only from a remount.
                check(libc::mount(
                    std::ptr::null(),
                    onto.as_ptr(),
                    std::ptr::null(),
                    libc::MS_BIND
                        | libc::MS_REMOUNT
                        | libc::MS_RDONLY
                        | libc::MS_NOSUID
                        | libc::MS_NODEV,
                    std::ptr::null(),
                ))?;
            }
            check(libc::setgroups(0, std::ptr::null()))?;
            check(libc::setgid(gid))?;
            check(libc::setuid(uid))?;
            // Never go on as root: a switch that did not happen is an error.
            if libc::getuid() != uid || libc::geteuid() != uid {
                return Err(io::Error::from_raw_os_error(libc::EPERM));
            }
            Ok(())
        });
    }
    Ok(())
}

/// Sets `limits` and no new privileges ([`super::limits::no_new_privileges`]) on the build
/// `cmd` starts, between fork and exec: after the switch to the build's uid (std's own, or
/// [`confine_build`], registered first), so the process limit counts that uid's processes.
pub fn limit_build(cmd: &mut Command, limits: super::Limits) {
    super::limit(cmd, limits);
    super::limits::no_new_privileges(cmd);
}

/// Whether this process may make a private mount namespace (root, on a machine or in a
/// container that allows `unshare(CLONE_NEWNS)` and `mount`). Found out once, by starting
/// `/bin/sh -c :` in one.
pub fn mount_namespaces_allowed() -> bool {
    static ALLOWED: OnceLock<bool> = OnceLock::new();
    *ALLOWED.get_or_init(|| {
        let mut probe = Command::new("/bin/sh");
        probe
            .args(["-c", ":"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // SAFETY: the closure runs between fork and exec and only makes the unshare and
        // mount system calls (async-signal-safe) on string literals.
        unsafe {
            probe.pre_exec(|| {
                if libc::unshare(libc::CLONE_NEWNS) == -1
                    || libc::mount(
                        std::ptr::null(),
                        c"/".as_ptr(),
                        std::ptr::null(),
                        libc::MS_REC | libc::MS_PRIVATE,
                        std::ptr::null(),
                    ) == -1
                {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
        probe.status().is_ok_and(|s| s.success())
    })
}
