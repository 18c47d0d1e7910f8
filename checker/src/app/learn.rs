//! The learner's commands: `hint` (the next level of a lab's hints, remembered), `reset` (a
//! starter restored from the kit's pristine copy, after asking) and `solution` (shown only
//! once the lab has passed).

use std::io::BufRead;
use std::path::PathBuf;

use super::cargo_build::find_workspace;
use super::progress;
use super::write_out;
use crate::error::{exit_codes, Fatal, UsageError};
use crate::model::Lab;
use crate::plan::Track;
use crate::report::hints;

/// `shmlab hint [--lang c|rust] LAB [--all]`: the track is `--lang`'s, else that of the
/// student's last check, list or hint, else Rust; it becomes the last track.
pub fn hint(lab: Lab, track: Option<Track>, all: bool) -> Result<u8, Fatal> {
    let ws = find_workspace().ok_or(UsageError::NoWorkspace)?;
    let path = progress::path(&ws);
    let mut p = progress::load(&path);
    let track = track
        .or_else(|| p.track.as_deref().and_then(progress::track_of))
        .unwrap_or(Track::Rust);
    let name = progress::track_name(track);
    p.track = Some(name.to_string());
    let levels = hints::levels(lab, track);
    let of = levels.len();
    let text = if all {
        p.hints.insert((name.to_string(), lab), of);
        levels
            .iter()
            .enumerate()
            .map(|(i, t)| hints::render(lab, track, i + 1, t, of, false))
            .collect::<Vec<_>>()
            .join("\n")
    } else {
        let next = p.next_hint(name, lab, of);
        let shown = levels.get(next.level - 1).map_or("", String::as_str);
        hints::render(lab, track, next.level, shown, of, next.again)
    };
    progress::save(&path, &p);
    write_out(|out| out.write_all(text.as_bytes()))?;
    Ok(exit_codes::OK)
}

/// The student's file of `lab` in `track`, and the kit's pristine copy of it, in `ws`.
fn files(ws: &std::path::Path, lab: Lab, track: Track) -> (PathBuf, PathBuf) {
    match track {
        Track::Rust => (
            ws.join(format!("labs/src/bin/{lab}.rs")),
            ws.join(format!("checker/starters/rust/{lab}.rs")),
        ),
        Track::C => (
            ws.join(format!("labs/c/{lab}.c")),
            ws.join(format!("checker/starters/c/{lab}.c")),
        ),
    }
}

/// `shmlab reset LAB [--lang c] [--yes]`.
pub fn reset(lab: Lab, track: Track, yes: bool) -> Result<u8, Fatal> {
    let ws = find_workspace().ok_or(UsageError::NoWorkspace)?;
    let (mine, pristine) = files(&ws, lab, track);
    let shown = mine
        .strip_prefix(&ws)
        .unwrap_or(&mine)
        .display()
        .to_string();
    if !yes {
        eprint!("Replace {shown} with the untouched starter? Your changes to it are lost. [y/N] ");
        // A line from the terminal, or from a pipe (`echo y | shmlab reset create`); end of
        // input is a no.
        let mut answer = String::new();
        let _ = std::io::stdin().lock().read_line(&mut answer);
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            eprintln!("shmlab: {shown} is left as it was");
            return Ok(exit_codes::OK);
        }
    }
    std::fs::copy(&pristine, &mine).map_err(|e| UsageError::CannotReset {
        shown: shown.clone(),
        reason: e.to_string(),
    })?;
    eprintln!("shmlab: {shown} is the starter again");
    Ok(exit_codes::OK)
}

/// `shmlab solution LAB [--lang c]`: the reference solution, once the lab has passed.
pub fn solution(lab: Lab, track: Track) -> Result<u8, Fatal> {
    let ws = find_workspace().ok_or(UsageError::NoWorkspace)?;
    let p = progress::load(&progress::path(&ws));
    if !p.has_passed(progress::track_name(track), lab) {
        return Err(UsageError::SolutionLocked {
            lab,
            track: progress::track_name(track),
        }
        .into());
    }
    let file = match track {
        Track::Rust => ws.join(format!("solutions/src/bin/solution-{lab}.rs")),
        Track::C => ws.join(format!("solutions/c/{lab}.c")),
    };
    let text = std::fs::read_to_string(&file).map_err(|e| UsageError::CannotReset {
        shown: file.display().to_string(),
        reason: e.to_string(),
    })?;
    write_out(|out| out.write_all(text.as_bytes()))?;
    Ok(exit_codes::OK)
}
