//! The pristine starters, derived from the reference solutions: one source per lab and
//! track, so the starter a student is handed and the solution cannot drift apart.
//!
//! A solution file (`solutions/src/bin/solution-LAB.rs`, `solutions/c/LAB.c`) is marked:
//!
//! ```text
//! fn create(args: &CreateArgs) -> Result<ShmId, Errno> {
//!     //> // TODO: ask for the segment, creating it ...
//!     //> todo!("lab create: call shmget here")
//!     // BEGIN SOLUTION
//!     shmget(args.key, args.size, flags | args.mode)
//!     // END SOLUTION
//! }
//! ```
//!
//! Lines between `// BEGIN SOLUTION` and `// END SOLUTION` are the solution's alone; a line
//! `//> TEXT` is the starter's alone (the starter has `TEXT` at the marker's indentation);
//! every other line is both's. The file compiles as the solution (the starter's lines are
//! comments), [`solution`] is what `shmlab solution` shows, and [`starter`] is the starter:
//! what `labs/` holds in a fresh clone (`shmlab dev starters` writes it there, `dev check`
//! and `.ci/run` check it is so), what `shmlab reset` restores, and what the kit's tests
//! build, never the student's `labs/`. The C starters share `labs/c/lab.c` and `lab.h` with
//! the C solutions: those two files exist once.

use std::path::{Path, PathBuf};

use crate::model::Lab;
use crate::plan::Track;

const BEGIN: &str = "// BEGIN SOLUTION";
const END: &str = "// END SOLUTION";
const STARTER: &str = "//>";

/// The files of the C track that the labs and the solutions share, in `labs/c`.
pub const C_SHARED: [&str; 3] = ["lab.c", "lab.h", "Makefile"];

/// A marked file that cannot be read as one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MarkError {
    #[error("line {0}: BEGIN SOLUTION inside another")]
    Nested(usize),
    #[error("line {0}: END SOLUTION without a BEGIN")]
    Unopened(usize),
    #[error("line {0}: BEGIN SOLUTION never ended")]
    Unclosed(usize),
    #[error("line {0}: a starter line (//>) inside a solution block")]
    StarterInSolution(usize),
}

/// What a line of a marked file is.
enum Line<'a> {
    Both(&'a str),
    Starter(String),
    Solution(&'a str),
}

fn lines(marked: &str) -> Result<Vec<Line<'_>>, MarkError> {
    let mut out = Vec::new();
    let mut open: Option<usize> = None;
    for (i, l) in marked.lines().enumerate() {
        let n = i + 1;
        let t = l.trim();
        if t == BEGIN {
            if open.is_some() {
                return Err(MarkError::Nested(n));
            }
            open = Some(n);
        } else if t == END {
            open.take().ok_or(MarkError::Unopened(n))?;
        } else if let Some(at) = t.starts_with(STARTER).then(|| l.find(STARTER)).flatten() {
            if open.is_some() {
                return Err(MarkError::StarterInSolution(n));
            }
            let rest = &l[at + STARTER.len()..];
            let rest = rest.strip_prefix(' ').unwrap_or(rest);
            out.push(Line::Starter(if rest.is_empty() {
                String::new()
            } else {
                format!("{}{rest}", &l[..at])
            }));
        } else if open.is_some() {
            out.push(Line::Solution(l));
        } else {
            out.push(Line::Both(l));
        }
    }
    match open {
        Some(n) => Err(MarkError::Unclosed(n)),
        None => Ok(out),
    }
}

fn join<'a>(ls: impl Iterator<Item = &'a str>) -> String {
    let mut s = ls.collect::<Vec<_>>().join("\n");
    s.push('\n');
    s
}

/// The starter a marked solution file holds.
pub fn starter(marked: &str) -> Result<String, MarkError> {
    let ls = lines(marked)?;
    Ok(join(ls.iter().filter_map(|l| match l {
        Line::Both(t) => Some(*t),
        Line::Starter(t) => Some(t.as_str()),
        Line::Solution(_) => None,
    })))
}

/// The solution a marked solution file holds, without the starter's lines and the markers.
pub fn solution(marked: &str) -> Result<String, MarkError> {
    let ls = lines(marked)?;
    Ok(join(ls.iter().filter_map(|l| match l {
        Line::Both(t) | Line::Solution(t) => Some(*t),
        Line::Starter(_) => None,
    })))
}

/// The solution's own lines that make a shared-memory call, each from the call's name to
/// the end of the statement, without white space (`shmget(key,0,0)`,
/// `shmget(args.key,args.size,flags|args.mode)`): what no starter may contain.
pub fn solution_calls(marked: &str) -> Result<Vec<String>, MarkError> {
    const CALLS: [&str; 5] = ["shmget(", "shmat(", "shmdt(", "shmctl(", "ipc_stat("];
    Ok(lines(marked)?
        .into_iter()
        .filter_map(|l| match l {
            Line::Solution(t) => Some(t.trim()),
            _ => None,
        })
        .filter(|t| !t.starts_with("//") && !t.starts_with("/*") && !t.starts_with('*'))
        .filter_map(|t| {
            CALLS
                .iter()
                .filter_map(|c| t.find(c))
                .min()
                .map(|at| &t[at..])
        })
        .map(|call| squeeze(call.trim_end_matches([';', ',', '?'])))
        .collect())
}

/// `text` without white space.
fn squeeze(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The lines of `starter` that hold one of the solution's calls (white space aside), with
/// the call.
pub fn answers_in(starter: &str, calls: &[String]) -> Vec<(usize, String)> {
    starter
        .lines()
        .enumerate()
        .filter_map(|(i, l)| {
            let l = squeeze(l);
            calls
                .iter()
                .find(|c| l.contains(c.as_str()))
                .map(|c| (i + 1, c.clone()))
        })
        .collect()
}

/// The marked solution file of `lab` in `track`, relative to the workspace.
pub fn source(lab: Lab, track: Track) -> String {
    match track {
        Track::Rust => format!("solutions/src/bin/solution-{lab}.rs"),
        Track::C => format!("solutions/c/{lab}.c"),
    }
}

/// The student's file of `lab` in `track`, relative to the workspace.
pub fn student_file(lab: Lab, track: Track) -> String {
    match track {
        Track::Rust => format!("labs/src/bin/{lab}.rs"),
        Track::C => format!("labs/c/{lab}.c"),
    }
}

/// A derivation that failed: the file, and why.
pub fn derive(ws: &Path, lab: Lab, track: Track) -> Result<String, String> {
    let path = source(lab, track);
    let text = std::fs::read_to_string(ws.join(&path))
        .map_err(|e| format!("{path} cannot be read: {e}"))?;
    starter(&text).map_err(|e| format!("{path}: {e}"))
}

/// Writes the pristine starters of `track` into `dir`, each named as in `labs/` (`create.rs`,
/// `create.c`), with the C track's shared files; returns the paths written.
pub fn write_pristine(ws: &Path, track: Track, dir: &Path) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{} cannot be made: {e}", dir.display()))?;
    let mut written = Vec::new();
    for lab in Lab::ALL {
        let name = Path::new(&student_file(lab, track))
            .file_name()
            .map(PathBuf::from)
            .unwrap_or_default();
        let to = dir.join(name);
        std::fs::write(&to, derive(ws, lab, track)?)
            .map_err(|e| format!("{} cannot be written: {e}", to.display()))?;
        written.push(to);
    }
    if track == Track::C {
        for f in C_SHARED {
            let to = dir.join(f);
            std::fs::copy(ws.join("labs/c").join(f), &to)
                .map_err(|e| format!("labs/c/{f} cannot be copied: {e}"))?;
            written.push(to);
        }
    }
    Ok(written)
}

/// Writes the C solutions of `labs` into `dir` as a submission would hold them (`create.c`,
/// ..., without the markers), with `labs/c`'s `lab.c` and `lab.h`.
pub fn write_c_solutions(ws: &Path, dir: &Path, labs: &[Lab]) -> Result<(), String> {
    for lab in labs {
        let path = source(*lab, Track::C);
        let marked = std::fs::read_to_string(ws.join(&path))
            .map_err(|e| format!("{path} cannot be read: {e}"))?;
        let text = solution(&marked).map_err(|e| format!("{path}: {e}"))?;
        let to = dir.join(format!("{lab}.c"));
        std::fs::write(&to, text)
            .map_err(|e| format!("{} cannot be written: {e}", to.display()))?;
    }
    for f in ["lab.c", "lab.h"] {
        std::fs::copy(ws.join("labs/c").join(f), dir.join(f))
            .map_err(|e| format!("labs/c/{f} cannot be copied: {e}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MARKED: &str = "\
//> //! Lab x: the starter's header.
// BEGIN SOLUTION
//! Reference solution of lab x.
// END SOLUTION

fn access(key: Key) -> Result<ShmId, Errno> {
    //> // TODO: find the segment, never creating it.
    //>
    //> todo!(\"lab x\")
    // BEGIN SOLUTION
    shm::shmget(key, 0, shm::IpcFlags::empty())
    // END SOLUTION
}
";

    #[test]
    fn a_marked_file_gives_the_starter_and_the_solution() {
        assert_eq!(
            starter(MARKED).unwrap(),
            "//! Lab x: the starter's header.\n\nfn access(key: Key) -> Result<ShmId, Errno> {\n    // TODO: find the segment, never creating it.\n\n    todo!(\"lab x\")\n}\n"
        );
        assert_eq!(
            solution(MARKED).unwrap(),
            "//! Reference solution of lab x.\n\nfn access(key: Key) -> Result<ShmId, Errno> {\n    shm::shmget(key, 0, shm::IpcFlags::empty())\n}\n"
        );
    }

    #[test]
    fn a_starter_holding_the_solutions_call_is_found() {
        let calls = solution_calls(MARKED).unwrap();
        assert_eq!(calls, ["shmget(key,0,shm::IpcFlags::empty())"]);
        let leaky = "    // TODO: return shmget(key, 0,  shm::IpcFlags::empty());\n";
        assert_eq!(answers_in(leaky, &calls), [(1, calls[0].clone())]);
        assert!(answers_in(&starter(MARKED).unwrap(), &calls).is_empty());
    }

    #[test]
    fn bad_markers_are_errors_with_their_line() {
        assert_eq!(
            starter("// BEGIN SOLUTION\n// BEGIN SOLUTION\n"),
            Err(MarkError::Nested(2))
        );
        assert_eq!(starter("x\n// END SOLUTION\n"), Err(MarkError::Unopened(2)));
        assert_eq!(
            starter("// BEGIN SOLUTION\nx\n"),
            Err(MarkError::Unclosed(1))
        );
        assert_eq!(
            solution("// BEGIN SOLUTION\n//> y\n// END SOLUTION\n"),
            Err(MarkError::StarterInSolution(2))
        );
    }

    #[test]
    fn every_starter_in_the_kit_is_derived_and_holds_no_solution_call() {
        let ws = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        for track in [Track::Rust, Track::C] {
            for lab in Lab::ALL {
                let marked = std::fs::read_to_string(ws.join(source(lab, track))).unwrap();
                let s = starter(&marked).unwrap();
                let calls = solution_calls(&marked).unwrap();
                assert!(!calls.is_empty(), "{lab} {track:?}: no call marked");
                assert_eq!(answers_in(&s, &calls), [], "{lab} {track:?}");
            }
        }
    }
}
