//! Exit statuses and the one stderr line a lab prints before it exits on a failed call.

use std::fmt::Display;
use std::io::{self, Write as _};
use std::process;

use shm::Errno;

/// Exit status when a call failed.
pub const EXIT_FAILURE: i32 = 1;
/// Exit status on bad usage (missing, extra or malformed arguments).
pub const EXIT_USAGE: i32 = 2;

/// The one stderr line for a failed call: `CALL: ERRNAME (strerror text)`.
///
/// ```
/// assert_eq!(
///     shmlab_labs::failure_line("shmget", shm::Errno::EEXIST),
///     "shmget: EEXIST (File exists)"
/// );
/// ```
pub fn failure_line(call: &str, err: Errno) -> String {
    format!("{call}: {err:?} ({})", err.desc())
}

/// Reports that `call` failed with `err` (one line on stderr, see [`failure_line`]) and exits
/// with status 1.
pub fn fail(call: &str, err: Errno) -> ! {
    exit_failure(&failure_line(call, err))
}

/// Reports a failure that has no errno, as `WHAT: REASON` on stderr, and exits with status 1.
///
/// For example `fail_with("attach", "text does not fit in the segment")`.
pub fn fail_with(what: &str, reason: impl Display) -> ! {
    exit_failure(&format!("{what}: {reason}"))
}

fn exit_failure(line: &str) -> ! {
    // Whatever was printed on stdout so far still goes out.
    let _ = io::stdout().flush();
    eprintln!("{line}");
    process::exit(EXIT_FAILURE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_line_has_errno_name_and_text() {
        assert_eq!(
            failure_line("shmget", Errno::ENOENT),
            "shmget: ENOENT (No such file or directory)"
        );
        assert_eq!(
            failure_line("shmctl", Errno::EPERM),
            "shmctl: EPERM (Operation not permitted)"
        );
    }
}
