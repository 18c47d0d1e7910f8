//! What a scenario needs of the machine, decided before it runs: a scenario that cannot run
//! here is skipped for every program alike, so that the same labs in the same environment
//! have the same full score.

use shm::{IpcFlags, Mode, ShmctlCmd};

use super::isolation::Isolation;
use super::{Environment, RunError};
use crate::scenario::{Need, Playbook, Scenario};

/// Why `scenario` cannot run here, if it cannot, whatever the program: then it is skipped
/// for every program alike, present, missing or not compiling, so that the same labs in the
/// same environment have the same full score.
pub fn unmet_need(env: &Environment, scenario: &Scenario) -> Option<String> {
    unmet(env, scenario.playbook())
}

pub(super) fn unmet(env: &Environment, scenario: Playbook<'_>) -> Option<String> {
    for need in scenario.needs {
        match need {
            Need::OtherIds if !env.is_root => {
                return Some(
                    "needs segments owned by other users, which only root can arrange: run the checker as root (as CI does) to include it".into(),
                );
            }
            _ => {}
        }
    }
    if scenario.setup.iter().any(|spec| spec.locked) {
        if let Some(errno) = lock_refused() {
            return Some(RunError::Lock(errno).to_string());
        }
    }
    // A fresh namespace has it at 0 (checked there, once entered); keys mode uses this one.
    if env.isolation.mode == Isolation::Keys {
        return rmid_forced(scenario);
    }
    None
}

/// Whether this checker may not lock a segment in memory (`SHM_LOCK`), tried once on a
/// private segment of one page: a scenario whose setup locks one is then skipped for every
/// program alike, as one that cannot run here.
fn lock_refused() -> Option<shm::Errno> {
    static REFUSED: std::sync::OnceLock<Option<shm::Errno>> = std::sync::OnceLock::new();
    *REFUSED.get_or_init(|| {
        let flags = IpcFlags::IPC_CREAT | IpcFlags::IPC_EXCL | Mode::new(0o600);
        let id = match shm::shmget(shm::Key::PRIVATE, 4096, flags) {
            Ok(id) => id,
            Err(errno) => return Some(errno),
        };
        let locked = shm::shmctl(id, ShmctlCmd::ShmLock);
        let _ = shm::shmctl(id, ShmctlCmd::IpcRmid);
        locked.err()
    })
}

/// Why `scenario` cannot run in the current IPC namespace, if `kernel.shm_rmid_forced`
/// keeps its segments from persisting.
pub(super) fn rmid_forced(scenario: Playbook<'_>) -> Option<String> {
    let persists = !scenario.setup.is_empty() || scenario.needs.contains(&Need::Persistence);
    (persists && shm::limits().is_ok_and(|l| l.shm_rmid_forced)).then(|| {
        "kernel.shm_rmid_forced is 1 in this IPC namespace, so a segment is destroyed as soon as nothing is attached to it and this scenario's segments cannot persist; use --isolation namespace (a fresh namespace has it at 0), or set it to 0".into()
    })
}
