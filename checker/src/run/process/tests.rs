//! [`supervise`] when the signal it waits for never comes.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{supervise, Capture, Ended, KillReason, Watch};
use crate::model::run::Termination;

/// A watcher whose descriptor never becomes readable, as when another thread of the
/// checker took the SIGCHLD meant for its signalfd; the main process has ended by its
/// third look.
struct Deaf {
    never: OwnedFd,
    _writer: OwnedFd,
    looks: usize,
}

impl Watch for Deaf {
    fn fd(&self) -> Option<BorrowedFd<'_>> {
        Some(self.never.as_fd())
    }
    fn check(&mut self) -> std::io::Result<Option<Ended>> {
        self.looks += 1;
        Ok((self.looks >= 3).then_some(Ended::Code(0)))
    }
    fn terminate(&mut self) {}
    fn kill_all(&mut self, _why: KillReason) {}
    fn finish(&mut self) -> std::io::Result<Ended> {
        Ok(Ended::Code(0))
    }
    fn settled(&self) -> bool {
        true
    }
}

#[test]
fn a_lost_sigchld_delays_the_end_of_a_run_but_never_turns_it_into_a_timeout() {
    let (never, writer) = nix::unistd::pipe().unwrap();
    let mut watch = Deaf {
        never,
        _writer: writer,
        looks: 0,
    };
    let mut child = Command::new("true")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut capture = Capture::new(&mut child);
    let ended = supervise(
        &mut watch,
        &mut capture,
        Instant::now(),
        Duration::from_secs(3),
    );
    let _ = child.wait();
    assert_eq!(ended.unwrap(), Termination::Exited { code: 0 });
    assert!(watch.looks >= 3);
}
