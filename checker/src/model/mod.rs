//! Plain data, with no checker imports: the labs, segment states and snapshots, the
//! timeline of calls, and what runs produced. Every other layer speaks in these types.

pub mod copied;
pub mod dialogue;
pub mod inspect;
pub mod lab;
pub mod progress;
pub mod run;
pub mod segment;
pub mod timeline;

pub use lab::Lab;
pub use run::{Observation, RunRecord, SegmentBytes, Termination};
pub use segment::{SegmentState, Snapshot};
pub use timeline::{Call, Effect, Return, TraceEvent};
