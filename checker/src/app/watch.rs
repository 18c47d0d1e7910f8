//! `shmlab watch`: to be written (see the helper's brief). Until then it says so.

use crate::error::{Fatal, UsageError};
use crate::plan::WatchPlan;

/// Runs the watch loop.
pub fn execute(_plan: &WatchPlan) -> Result<u8, Fatal> {
    Err(UsageError::NoWorkspace.into())
}
