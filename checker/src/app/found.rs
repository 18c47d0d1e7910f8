//! What the programs' sources give: a program per lab, or why there is none. The C track's
//! build (`c_build`) and the sources (`programs`) both speak it, so neither needs the other's
//! types.

use std::path::PathBuf;

use crate::model::lab::LabProblem;
use crate::model::Lab;

/// A lab's program: its path, how reports name it, and the folder its runs happen in a
/// copy of.
#[derive(Debug, Clone)]
pub struct Found {
    pub path: PathBuf,
    pub shown: String,
    /// The submission's folder: the one holding the program (`--program`, `--dir`), or its
    /// source (`labs/src/bin`, `labs/c`); `None` for an empty working folder.
    pub folder: Option<PathBuf>,
}

/// A program per lab, or why there is none.
pub type Programs = Vec<(Lab, Result<Found, LabProblem>)>;
