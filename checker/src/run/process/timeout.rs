//! What happens to a program that runs past its timeout: SIGTERM to its process group, a
//! grace period to exit, then SIGKILL. The policy is a pure function of the time, so it is
//! tested without running anything.

use std::time::Duration;

/// The longest grace period between SIGTERM and SIGKILL.
pub const GRACE: Duration = Duration::from_millis(200);

/// What the supervisor should do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escalation {
    /// Keep waiting (until [`Policy::deadline`]).
    Wait,
    /// Send SIGTERM: the timeout has passed.
    Terminate,
    /// Send SIGKILL: the grace period after SIGTERM has passed too.
    Kill,
}

/// The timeout of a run and the grace period after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub timeout: Duration,
    pub grace: Duration,
}

impl Policy {
    /// The policy for `timeout`: a grace of [`GRACE`], or of the timeout itself if shorter.
    pub fn new(timeout: Duration) -> Policy {
        Policy {
            timeout,
            grace: GRACE.min(timeout),
        }
    }

    /// What to do `elapsed` after the start, given whether SIGTERM was sent already.
    pub fn action(&self, elapsed: Duration, terminated: bool) -> Escalation {
        match (terminated, elapsed >= self.timeout) {
            (false, false) => Escalation::Wait,
            (false, true) => Escalation::Terminate,
            (true, _) if elapsed >= self.timeout + self.grace => Escalation::Kill,
            (true, _) => Escalation::Wait,
        }
    }

    /// When, after the start, the next step is due.
    pub fn deadline(&self, terminated: bool) -> Duration {
        if terminated {
            self.timeout + self.grace
        } else {
            self.timeout
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn a_run_past_its_timeout_gets_sigterm_then_sigkill_after_the_grace() {
        let p = Policy::new(MS(1000));
        assert_eq!(p.action(MS(999), false), Escalation::Wait);
        assert_eq!(p.deadline(false), MS(1000));
        assert_eq!(p.action(MS(1000), false), Escalation::Terminate);
        assert_eq!(p.action(MS(1100), true), Escalation::Wait);
        assert_eq!(p.deadline(true), MS(1200));
        assert_eq!(p.action(MS(1200), true), Escalation::Kill);
    }

    #[test]
    fn a_short_timeout_gets_a_grace_no_longer_than_itself() {
        let p = Policy::new(MS(50));
        assert_eq!(p.grace, MS(50));
        assert_eq!(p.action(MS(99), true), Escalation::Wait);
        assert_eq!(p.action(MS(100), true), Escalation::Kill);
        assert_eq!(Policy::new(MS(5000)).grace, GRACE);
    }
}
