//! The learner's commands: `hint` (the next level of a lab's hints in the student's track,
//! remembered), `reset` (the starter restored, after asking, the student's file kept as
//! `FILE.orig`) and `solution` (shown only once the lab has passed).

use std::io::BufRead;

use super::cargo_build::find_workspace;
use super::progress;
use super::starters;
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

/// `shmlab reset LAB [--lang c] [--yes]`: the student's file becomes the starter again (the
/// one its solution gives, [`starters`]); what it held is kept next to it, as `FILE.orig`.
pub fn reset(lab: Lab, track: Track, yes: bool) -> Result<u8, Fatal> {
    let ws = find_workspace().ok_or(UsageError::NoWorkspace)?;
    let shown = starters::student_file(lab, track);
    let mine = ws.join(&shown);
    let kept = format!("{shown}.orig");
    let cannot = |reason: String| UsageError::CannotReset {
        shown: shown.clone(),
        reason,
    };
    let starter = starters::derive(&ws, lab, track).map_err(cannot)?;
    if !yes {
        eprint!("Replace {shown} with the untouched starter? What it holds now is kept as {kept}. [y/N] ");
        // A line from the terminal, or from a pipe (`echo y | shmlab reset create`); end of
        // input is a no.
        let mut answer = String::new();
        let _ = std::io::stdin().lock().read_line(&mut answer);
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            eprintln!("shmlab: {shown} is left as it was");
            return Ok(exit_codes::OK);
        }
    }
    let had = mine.is_file();
    if had {
        std::fs::copy(&mine, ws.join(&kept))
            .map_err(|e| cannot(format!("cannot keep a copy as {kept}: {e}")))?;
    }
    std::fs::write(&mine, starter).map_err(|e| cannot(e.to_string()))?;
    if had {
        eprintln!("shmlab: {shown} is the starter again; what it held is in {kept}");
    } else {
        eprintln!("shmlab: {shown} is the starter again");
    }
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
    let file = starters::source(lab, track);
    let cannot = |reason: String| UsageError::CannotReset {
        shown: file.clone(),
        reason,
    };
    let marked = std::fs::read_to_string(ws.join(&file)).map_err(|e| cannot(e.to_string()))?;
    let text = starters::solution(&marked).map_err(|e| cannot(e.to_string()))?;
    write_out(|out| out.write_all(text.as_bytes()))?;
    Ok(exit_codes::OK)
}
