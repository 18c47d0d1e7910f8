//! A run drawn as a timeline a student can read at a glance: one lane per process (its fork
//! and its end drawn), each segment's life as a band from its creation to its destruction
//! (SHM_DEST marked, nattch as a step line in it), each attachment a span on its process's
//! lane, every call a mark with its result, and the failed checks pinned where they were
//! decided, with their expected and actual values and hints under the picture.
//!
//! Plain SVG: no script, no external reference, a `<title>` on every mark, shapes that read
//! in black and white. [`layout`] decides what goes where (pure, tested on made-up
//! timelines); [`draw`] turns that into pixels.

mod band;
pub mod draw;
pub mod layout;
mod life;
pub mod xml;

use super::words::{event_line, run_command, termination_text};
use super::ScenarioReport;
use crate::model::{RunRecord, SegmentState, Snapshot};
use crate::scenario::Verdict;
pub use layout::{End, Input, Pin};

/// The SVG of one run; `id` is unique in the page it goes in.
pub fn picture(input: &Input<'_>, title: &str, id: &str) -> String {
    let layout = layout::layout(input);
    let lines = |i: usize| input.events.get(i).map(event_line).unwrap_or_default();
    draw::svg(
        &layout,
        &draw::Texts {
            id,
            title,
            lines: &lines,
        },
    )
}

/// The snapshots on either side of run `k`, where the scenario's steps say which they are
/// (each run followed by its snapshot, and nothing else between).
fn around(
    snapshots: &[Snapshot],
    runs: usize,
    k: usize,
) -> (&[SegmentState], Option<&[SegmentState]>) {
    let before = |i: usize| snapshots.get(i).map_or(&[][..], |s| &s.segments[..]);
    if snapshots.len() == runs + 1 {
        (before(k), Some(before(k + 1)))
    } else if k == 0 {
        (before(0), None)
    } else {
        (&[], None)
    }
}

/// The pictures of a scenario's traced runs, each with its title (the command); a run that
/// was not traced has none. `id` is unique in the page.
pub fn scenario_pictures(s: &ScenarioReport, id: &str) -> Vec<(usize, String)> {
    let several = s.runs.len() > 1;
    s.runs
        .iter()
        .enumerate()
        .filter_map(|(k, run)| {
            let events = run.timeline.as_deref()?;
            let (before, after) = around(&s.snapshots, s.runs.len(), k);
            let pins = if s.verdict == Verdict::Failed {
                pins_of(s, k)
            } else {
                Vec::new()
            };
            let input = Input {
                events,
                main_pid: run.pid,
                main_end: termination_text(&run.termination),
                ends: Vec::new(),
                before,
                after,
                pins,
            };
            let title = if several {
                format!("{} · run {}: $ {}", s.slug, k + 1, run_command(run))
            } else {
                format!("{} · $ {}", s.slug, run_command(run))
            };
            Some((k, picture(&input, &title, &format!("{id}-r{k}"))))
        })
        .collect()
}

/// The failed checks about run `k` (and, on the last run, those about every run).
fn pins_of(s: &ScenarioReport, k: usize) -> Vec<Pin> {
    let last = s.runs.len().saturating_sub(1);
    s.checks
        .iter()
        .filter(|c| !c.passed && c.skipped.is_none())
        .enumerate()
        .filter(|(_, c)| c.at.run.map_or(k == last, |r| r == k))
        .map(|(number, c)| Pin {
            number: number + 1,
            event: c.at.event,
            what: c.what.clone(),
            expected: c.expected.clone(),
            actual: c.actual.clone(),
            hint: c.hint.clone(),
        })
        .collect()
}

/// Whether a run has a picture.
pub fn has_picture(run: &RunRecord) -> bool {
    run.timeline.is_some()
}

#[cfg(test)]
mod tests;
