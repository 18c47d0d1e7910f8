//! The words of the command line turned into what the plan holds: labs, selections of
//! scenarios, and programs checked before anything runs. A word that is not UTF-8 text
//! names nothing the checker knows; a path may be any bytes.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::catalogue;
use crate::error::{UsageError, Word};
use crate::model::Lab;
use crate::plan::{Scenarios, Selection};

/// The labs and scenarios named on the command line (all of them when none is).
pub fn selection(names: &[String]) -> Result<Selection, UsageError> {
    if names.is_empty() {
        return Ok(Selection::everything());
    }
    let mut picked: Vec<(Lab, Scenarios)> = Vec::new();
    for name in names {
        let (lab_name, scenario) = match name.split_once('/') {
            Some((l, s)) => (l, Some(s)),
            None => (name.as_str(), None),
        };
        let lab = Lab::from_name(lab_name).ok_or_else(|| match scenario {
            None => UsageError::UnknownLab {
                name: name.clone(),
                nearest: Lab::nearest(name),
            },
            Some(_) => UsageError::UnknownScenario {
                slug: name.clone(),
                nearest: catalogue::nearest_slug(name),
            },
        })?;
        let wanted = match scenario {
            None => Scenarios::All,
            Some(_) => {
                let slug = catalogue::scenarios(lab)
                    .into_iter()
                    .map(|s| s.slug)
                    .find(|s| s == name)
                    .ok_or_else(|| UsageError::UnknownScenario {
                        slug: name.clone(),
                        nearest: catalogue::nearest_slug(name),
                    })?;
                Scenarios::Only(vec![slug])
            }
        };
        match picked.iter_mut().find(|(l, _)| *l == lab) {
            None => picked.push((lab, wanted)),
            Some((_, have)) => {
                *have = match (std::mem::replace(have, Scenarios::All), wanted) {
                    (Scenarios::Only(mut a), Scenarios::Only(b)) => {
                        for slug in b {
                            if !a.contains(&slug) {
                                a.push(slug);
                            }
                        }
                        Scenarios::Only(a)
                    }
                    _ => Scenarios::All,
                };
            }
        }
    }
    picked.sort_by_key(|(l, _)| *l);
    // Scenarios run in catalogue order, whatever order they were named in.
    for (lab, wanted) in &mut picked {
        if let Scenarios::Only(slugs) = wanted {
            let order: Vec<&'static str> = catalogue::scenarios(*lab)
                .into_iter()
                .map(|s| s.slug)
                .collect();
            slugs.sort_by_key(|s| order.iter().position(|o| o == s));
        }
    }
    Ok(Selection { labs: picked })
}

/// Checks that `path` is an executable file; `flag` is how the error names it
/// (`--program ./a.out`, or just the path).
pub fn check_executable(path: &Path, flag: &str) -> Result<(), UsageError> {
    use std::os::unix::fs::PermissionsExt;
    let shown = format!("{flag}{}", path.display());
    let meta = std::fs::metadata(path).map_err(|_| UsageError::NoSuchFile {
        shown: shown.clone(),
    })?;
    if !meta.is_file() {
        return Err(UsageError::NotAFile { shown });
    }
    if meta.permissions().mode() & 0o111 == 0 {
        return Err(UsageError::NotExecutable {
            shown,
            path: path.to_path_buf(),
        });
    }
    Ok(())
}

/// A lab named on the command line.
pub(super) fn lab_arg(name: &OsStr) -> Result<Lab, UsageError> {
    let name = text(name, Word::Lab)?;
    Lab::from_name(&name.to_lowercase()).ok_or_else(|| UsageError::UnknownLab {
        name: name.to_string(),
        nearest: Lab::nearest(name),
    })
}

/// A word of the command line (a name, never a path) as text; one that is not UTF-8 names
/// nothing the checker knows.
pub(super) fn text(arg: &OsStr, what: Word) -> Result<&str, UsageError> {
    arg.to_str().ok_or_else(|| UsageError::NotText {
        shown: escaped(arg),
        what,
    })
}

/// `arg` as the user typed it: its UTF-8 text as is, every other byte as `\xFF`.
fn escaped(arg: &OsStr) -> String {
    let mut shown = String::new();
    for chunk in arg.as_bytes().utf8_chunks() {
        shown.push_str(chunk.valid());
        for b in chunk.invalid() {
            shown.push_str(&format!("\\x{b:02X}"));
        }
    }
    shown
}
