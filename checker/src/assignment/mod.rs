//! An instructor's assignment file (TOML): what to build and run, the scenarios (runs that
//! share one private IPC namespace, with the answers to give), how to find the segment, what
//! each run must leave, and what it is worth. Read with errors that point at the line and
//! column ([`parse`]), and described by a JSON Schema generated from these types
//! ([`schema`]), so that an editor checks the file as it is written.
//!
//! Plain data, with no checker imports but the answers' meanings
//! ([`crate::scenario::answer`]).

mod file;
mod run;
mod validate;

pub use file::*;
pub use run::*;

use std::path::Path;

/// Why an assignment file could not be used: one sentence, with where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}:{line}:{column}: {message}")]
pub struct AssignmentError {
    pub path: String,
    /// 1-based; 0 when the error is about the whole file.
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// The 1-based line and column of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Reads the assignment in `text` (from `path`, named in errors), and checks what the types
/// alone cannot (answers, patterns, modes, keys).
pub fn parse(text: &str, path: &Path) -> Result<Assignment, AssignmentError> {
    let shown = path.display().to_string();
    let at = |span: Option<std::ops::Range<usize>>, message: String| {
        let (line, column) = span.map_or((0, 0), |s| line_column(text, s.start));
        AssignmentError {
            path: shown.clone(),
            line,
            column,
            message,
        }
    };
    let assignment: Assignment =
        toml::from_str(text).map_err(|e| at(e.span(), e.message().trim_end().to_string()))?;
    assignment.validate().map_err(|(needles, message)| {
        // Pointed at the place the file names what is wrong: each word found after the
        // one before (a scenario's name, then its key); the last found is where.
        let mut from = 0;
        let mut found = None;
        for n in &needles {
            match text[from..].find(n.as_str()) {
                Some(i) => {
                    found = Some(from + i);
                    from += i + n.len();
                }
                None => break,
            }
        }
        at(found.map(|i| i..i), message)
    })?;
    Ok(assignment)
}

/// Reads the assignment file at `path`.
pub fn load(path: &Path) -> Result<Assignment, AssignmentError> {
    let text = std::fs::read_to_string(path).map_err(|e| AssignmentError {
        path: path.display().to_string(),
        line: 0,
        column: 0,
        message: format!("cannot be read: {e}"),
    })?;
    parse(&text, path)
}

#[cfg(feature = "full")]
/// The JSON Schema of assignment files, for editors (`#:schema` or taplo's settings).
pub fn schema() -> String {
    let schema = schemars::schema_for!(Assignment);
    serde_json::to_string_pretty(&schema).unwrap_or_default()
}

#[cfg(test)]
mod tests;
