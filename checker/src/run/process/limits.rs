//! What is set on a program between fork and exec: resource limits, and no new privileges.

use std::io;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::Duration;

/// Resource limits set on the program between fork and exec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// CPU seconds (SIGXCPU at the soft limit, SIGKILL a second later).
    pub cpu_secs: u64,
    /// Bytes of address space.
    pub address_space: u64,
    /// Processes of the program's uid (a fork loop stops at it); `None` leaves it alone.
    pub processes: Option<u64>,
    /// Largest file it may write, in bytes.
    pub file_size: u64,
    /// Open files.
    pub open_files: u64,
}

impl Limits {
    /// The limits for a run with `timeout`, allowing `processes` processes of its uid.
    pub fn for_run(timeout: Duration, processes: Option<u64>) -> Limits {
        Limits {
            cpu_secs: timeout.as_secs() + 2,
            address_space: 2 << 30,
            processes,
            file_size: 16 << 20,
            open_files: 256,
        }
    }
}

/// Sets `limits` on the program `cmd` starts, between fork and exec (after the switch to
/// another uid, so the process count is the new user's).
pub fn limit(cmd: &mut Command, limits: Limits) {
    let set = move |resource: libc::__rlimit_resource_t, soft: u64, hard: u64| -> io::Result<()> {
        let lim = libc::rlimit {
            rlim_cur: soft,
            rlim_max: hard,
        };
        // SAFETY: setrlimit reads the struct on our stack; it is async-signal-safe.
        if unsafe { libc::setrlimit(resource, &lim) } == -1 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    };
    // SAFETY: the closure runs between fork and exec and only calls setrlimit and prctl,
    // which are async-signal-safe and allocate nothing.
    unsafe {
        cmd.pre_exec(move || {
            // Die with the checker, even when it is killed outright (after the uid switch,
            // which clears this setting).
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) == -1 {
                return Err(io::Error::last_os_error());
            }
            set(libc::RLIMIT_CPU, limits.cpu_secs, limits.cpu_secs + 1)?;
            set(libc::RLIMIT_AS, limits.address_space, limits.address_space)?;
            set(libc::RLIMIT_FSIZE, limits.file_size, limits.file_size)?;
            set(libc::RLIMIT_NOFILE, limits.open_files, limits.open_files)?;
            set(libc::RLIMIT_CORE, 0, 0)?;
            if let Some(n) = limits.processes {
                set(libc::RLIMIT_NPROC, n, n)?;
            }
            Ok(())
        });
    }
}

/// Makes the program that `cmd` starts unable to gain privileges (`PR_SET_NO_NEW_PRIVS`,
/// set between fork and exec, after the switch to another uid): a setuid or setgid bit, or
/// file capabilities, on it or on anything it executes are then ignored, so it runs as the
/// uid the report names. Set for every run, traced or not (the tracer's seccomp filter needs
/// it too). The setting is inherited by every child and kept across exec, and cannot be
/// undone.
pub fn no_new_privileges(cmd: &mut Command) {
    // SAFETY: the closure runs between fork and exec and only calls prctl, which is
    // async-signal-safe and allocates nothing.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// How many processes `uid` has now (from /proc), to set a process limit above it.
pub fn processes_of(uid: u32) -> u64 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0;
    };
    let mut n = 0;
    for entry in dir.flatten() {
        let name = entry.file_name();
        if !name.to_string_lossy().bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(status) = std::fs::read_to_string(entry.path().join("status")) else {
            continue;
        };
        let real = status
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<u32>().ok());
        if real == Some(uid) {
            n += 1;
        }
    }
    n
}
