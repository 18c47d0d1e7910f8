//! Plain data, with no checker imports: the labs, segment states and snapshots, the
//! timeline of calls, what runs produced, and what kind of check a check is. Every other
//! layer speaks in these types.

pub mod check;
pub mod copied;
pub mod dialogue;
pub mod fault;
pub mod inspect;
pub mod lab;
pub mod progress;
pub mod run;
pub mod segment;
pub mod timeline;

pub use fault::Fault;
pub use lab::Lab;
pub use run::{Observation, RunRecord, SegmentBytes, Termination};
pub use segment::{SegmentState, Snapshot};
pub use timeline::{Call, Effect, Return, TraceEvent};
