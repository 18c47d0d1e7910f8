//! What to check: scenarios as data, the checks context, and the pure evaluation of what a
//! run observed into a verdict. Depends on `model` only: nothing here runs a process, so
//! every function is testable on made-up observations.

pub mod answer;
pub mod assignment;
pub mod caught;
pub mod ctx;
pub mod evidence;
pub mod fault;
pub mod spec;
pub mod status;
pub mod verdict;

pub use ctx::{errno_in, errno_text, show, Check, Ctx, Moment, Stop};
pub use evidence::{Evidence, Kind};
pub use spec::{
    Action, Arg, Invocation, Need, Owner, Playbook, Purpose, Scenario, SegmentSpec, Step, MARKER,
    OTHER_GID, OTHER_UID,
};
pub use status::{is_todo, signal_meaning};
pub use verdict::{evaluate, Evaluation, Verdict};

#[cfg(test)]
mod failure_tests;
#[cfg(test)]
mod hint_tests;
#[cfg(test)]
mod tests;
