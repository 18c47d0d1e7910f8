//! Isolation of scenarios: a private IPC namespace each, or unique keys in the machine's
//! namespace.
//!
//! Root makes a namespace with `unshare(CLONE_NEWIPC)`. Another user first enters a user
//! namespace that maps only their own uid and gid (so programs they run keep their uid and
//! have no capabilities: permission checks stay on), once, and then makes an IPC namespace
//! per scenario. Many containers and CI machines forbid user namespaces: then keys mode.

use std::fmt;

use nix::sched::{unshare, CloneFlags};
use nix::unistd::{getegid, geteuid};
use serde::Serialize;

use super::process;

/// How scenarios are kept apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Isolation {
    /// A fresh private IPC namespace per scenario.
    Namespace,
    /// The machine's IPC namespace, with unique random keys and removal by id.
    Keys,
}

impl fmt::Display for Isolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Isolation::Namespace => "namespace",
            Isolation::Keys => "keys",
        })
    }
}

/// What the user asked for with `--isolation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IsolationRequest {
    /// Namespace where allowed, else keys.
    Auto,
    /// Namespace, or fail.
    Namespace,
    /// Keys.
    Keys,
}

/// The isolation that will run, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IsolationChoice {
    /// The mode.
    pub mode: Isolation,
    /// Why this mode.
    pub reason: IsolationReason,
}

/// Why an isolation mode was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IsolationReason {
    /// Namespaces are allowed; `in_user_namespace` when a non-root user needs one first.
    NamespacesAllowed { in_user_namespace: bool },
    /// Keys mode, asked for with `--isolation keys`.
    KeysRequested,
    /// Keys mode, because namespaces are not allowed here: the probe's reason.
    NamespacesForbidden(String),
}

/// Set (non-empty), the checker behaves as on a machine that forbids namespaces; the tests
/// use it to exercise the fallback.
pub const FORBID_NAMESPACES: &str = "SHMLAB_FORBID_NAMESPACES";

/// Whether this process may make IPC namespaces; `Err` says why not.
fn namespaces_allowed() -> Result<(), String> {
    if std::env::var_os(FORBID_NAMESPACES).is_some_and(|v| !v.is_empty()) {
        return Err(format!("{FORBID_NAMESPACES} is set (it makes the checker behave as where namespaces are forbidden)"));
    }
    let root = geteuid().is_root();
    // Try in a throwaway child so a half-made user namespace never sticks to the checker.
    let status = process::in_child(move || match enter_user_namespace_if_needed(root) {
        Ok(()) => match unshare(CloneFlags::CLONE_NEWIPC) {
            Ok(()) => 0,
            Err(_) => 3,
        },
        Err(_) => 2,
    })
    .map_err(|e| format!("could not fork to test namespaces: {e}"))?;
    match (status, root) {
        (0, _) => Ok(()),
        (2, _) => Err("this user may not create user namespaces here (common in containers and on Ubuntu with AppArmor restrictions)".into()),
        (3, true) => Err("unshare(CLONE_NEWIPC) is not permitted here (no CAP_SYS_ADMIN in this container)".into()),
        (3, false) => Err("an IPC namespace could not be created inside the user namespace".into()),
        (other, _) => Err(format!("the namespace probe failed (status {other})")),
    }
}

fn enter_user_namespace_if_needed(root: bool) -> std::io::Result<()> {
    if root {
        return Ok(());
    }
    let uid = geteuid().as_raw();
    let gid = getegid().as_raw();
    unshare(CloneFlags::CLONE_NEWUSER)?;
    std::fs::write("/proc/self/setgroups", "deny")?;
    std::fs::write("/proc/self/uid_map", format!("{uid} {uid} 1"))?;
    std::fs::write("/proc/self/gid_map", format!("{gid} {gid} 1"))?;
    Ok(())
}

/// Why `--isolation namespace` cannot be had.
#[derive(Debug, thiserror::Error)]
#[error("--isolation namespace is not possible: {0}; use --isolation keys (or auto)")]
pub struct NamespaceForbidden(pub String);

/// Decides the isolation for `request`.
pub fn choose(request: IsolationRequest) -> Result<IsolationChoice, NamespaceForbidden> {
    let namespace = || IsolationChoice {
        mode: Isolation::Namespace,
        reason: IsolationReason::NamespacesAllowed {
            in_user_namespace: !geteuid().is_root(),
        },
    };
    let keys = |reason| IsolationChoice {
        mode: Isolation::Keys,
        reason,
    };
    match request {
        IsolationRequest::Keys => Ok(keys(IsolationReason::KeysRequested)),
        IsolationRequest::Namespace => namespaces_allowed()
            .map(|()| namespace())
            .map_err(NamespaceForbidden),
        IsolationRequest::Auto => Ok(match namespaces_allowed() {
            Ok(()) => namespace(),
            Err(reason) => keys(IsolationReason::NamespacesForbidden(reason)),
        }),
    }
}

/// Once per checker run in namespace mode: enter the user namespace a non-root user needs.
pub fn prepare(choice: &IsolationChoice) -> std::io::Result<()> {
    if choice.mode == Isolation::Namespace {
        enter_user_namespace_if_needed(geteuid().is_root())?;
    }
    Ok(())
}

/// The most shared memory all the segments of a scenario's namespace may hold together
/// (`kernel.shmall`, which is the namespace's own). A segment holds memory that no process
/// maps any more (attach, fill, detach, repeat), so `RLIMIT_AS` does not bound it: without
/// this cap, one program could take all the machine's memory for as long as its run lasts.
/// Past it, `shmget` fails with `ENOSPC`.
pub const SHM_ALL_BYTES: u64 = 512 << 20;

/// Per scenario in namespace mode: leave the previous IPC namespace (which dies with its
/// segments once nothing is left in it) for a fresh, empty one, whose segments may hold
/// [`SHM_ALL_BYTES`] in all. Where `/proc/sys` cannot be written (a container that mounts
/// it read-only), the namespace keeps the kernel's default.
pub fn fresh_namespace() -> nix::Result<()> {
    unshare(CloneFlags::CLONE_NEWIPC)?;
    let page = nix::unistd::sysconf(nix::unistd::SysconfVar::PAGE_SIZE)
        .ok()
        .flatten()
        .and_then(|p| u64::try_from(p).ok())
        .filter(|&p| p > 0)
        .unwrap_or(4096);
    // The file is the namespace's own: this writes the new namespace's limit only.
    let _ = std::fs::write(
        "/proc/sys/kernel/shmall",
        (SHM_ALL_BYTES / page).to_string(),
    );
    Ok(())
}

/// In namespace mode, before the checker makes a setup segment and before each run: the next
/// segment made in the namespace gets an id no one can guess (`kernel.shm_next_id`, the
/// namespace's own, good for one segment). In a fresh namespace ids start at 0, so a program
/// that printed a constant 0 would print the right id untraced. Where the file cannot be
/// written (a kernel without checkpoint/restore, `/proc/sys` read-only), ids stay as the
/// kernel gives them.
pub fn unguessable_next_id() {
    use std::hash::{BuildHasher, Hasher};
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    let _ = std::fs::write("/proc/sys/kernel/shm_next_id", next_id(random).to_string());
}

/// An id from `random`: a sequence number from 1 to 65000 and an index below 32768, which
/// the kernel takes whether or not it extends its ids past 32768 (`ipcmni_extend`), and
/// below `i32::MAX`.
fn next_id(random: u64) -> i32 {
    let seq = 1 + (random >> 16) % 65_000;
    let idx = random % 32_768;
    i32::try_from(seq * 32_768 + idx).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod next_id_tests {
    use super::next_id;

    #[test]
    fn an_id_is_never_0_and_always_an_int() {
        for r in [0, 1, u64::MAX, 0xffff, 0x1_0000, 64_999 << 16 | 32_767] {
            let id = next_id(r);
            assert!(id >= 32_768, "{r:#x}: {id}");
        }
        assert_eq!(next_id(64_999 << 16 | 32_767), 65_000 * 32_768 + 32_767);
    }
}
