//! Each segment's life in a run, for its band: when it was created (or that it was there
//! before), when SHM_DEST was set, nattch after every call that changed it, and whether it
//! was destroyed or is still there.

use super::layout::{column, Band, Fate, Input, MAX_BANDS};
use crate::model::Effect;

/// The segments' lives.
pub fn bands(input: &Input<'_>, last: f64) -> (Vec<Band>, usize) {
    let n = input.events.len();
    let mut order: Vec<i32> = input.before.iter().map(|s| s.id).collect();
    for e in input.events {
        let ids = e.segment_id.into_iter().chain(match &e.effect {
            Effect::Fork { inherited } => inherited.iter().map(|a| a.id).collect(),
            _ => Vec::new(),
        });
        for id in ids {
            if !order.contains(&id) {
                order.push(id);
            }
        }
    }
    let not_drawn = order.len().saturating_sub(MAX_BANDS);
    order.truncate(MAX_BANDS);
    let bands = order
        .into_iter()
        .map(|id| band(input, id, n, last))
        .collect();
    (bands, not_drawn)
}

fn band(input: &Input<'_>, id: i32, n: usize, last: f64) -> Band {
    let before = input.before.iter().find(|s| s.id == id);
    let mut b = Band {
        id,
        key: before.map_or(0, |s| s.key),
        existed: before.is_some(),
        start: 0.0,
        end: last,
        fate: Fate::Unknown,
        dest_at: before
            .filter(|s| s.is_marked_for_destruction())
            .map(|_| 0.0),
        nattch: vec![(0.0, before.map_or(0, |s| s.nattch))],
    };
    let mut seen = before.is_some();
    let mut dest = before.is_some_and(|s| s.is_marked_for_destruction());
    let mut nattch = before.map_or(0, |s| s.nattch);
    let step = |b: &mut Band, col: f64, value: u64| {
        if b.nattch.last().map(|(_, v)| *v) != Some(value) {
            b.nattch.push((col, value));
        }
    };
    for (i, e) in input.events.iter().enumerate() {
        let col = column(i, n);
        match &e.effect {
            Effect::Call { before } if e.segment_id == Some(id) => {
                if !seen && before.is_some() {
                    // There before the run's first call on it.
                    b.existed = true;
                    b.nattch = vec![(0.0, before.as_ref().map_or(0, |s| s.nattch))];
                }
                match (before, &e.segment) {
                    (None, Some(s)) if !seen && e.succeeded() => {
                        // Created by this call.
                        b.start = col;
                        b.key = s.key;
                        b.nattch = vec![(col, s.nattch)];
                    }
                    (Some(_), None) if e.succeeded() => {
                        b.end = col;
                        b.fate = Fate::Destroyed;
                        step(&mut b, col, 0);
                        return b;
                    }
                    _ => {}
                }
                if let Some(s) = &e.segment {
                    if !seen {
                        b.key = s.key;
                    }
                    seen = true;
                    nattch = s.nattch;
                    step(&mut b, col, nattch);
                    if s.is_marked_for_destruction() && !dest {
                        dest = true;
                        b.dest_at = Some(col);
                    }
                }
            }
            Effect::Fork { inherited } => {
                if let Some(a) = inherited.iter().find(|a| a.id == id) {
                    nattch = a.nattch;
                    step(&mut b, col, nattch);
                }
            }
            Effect::Exec { detached, .. } => {
                if let Some(a) = detached.iter().find(|a| a.id == id) {
                    nattch = a.nattch;
                    step(&mut b, col, nattch);
                }
            }
            Effect::Exit { attached } => {
                let held = attached.iter().filter(|a| a.id == id).count() as u64;
                if held > 0 {
                    nattch = attached
                        .iter()
                        .find(|a| a.id == id)
                        .map_or(nattch, |a| a.nattch)
                        .saturating_sub(held);
                    step(&mut b, col, nattch);
                    if nattch == 0 && dest {
                        // The last detach of a segment marked for destruction destroys it.
                        b.end = col;
                        b.fate = Fate::Destroyed;
                        return b;
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(after) = input.after {
        match after.iter().find(|s| s.id == id) {
            Some(s) => {
                b.fate = Fate::Remains;
                step(&mut b, last, s.nattch);
                if s.is_marked_for_destruction() && !dest {
                    b.dest_at = Some(last);
                }
            }
            None => {
                // Gone by the time the checker looked: destroyed as the program ended.
                b.fate = Fate::Destroyed;
                b.end = last - 0.5;
            }
        }
    }
    b
}
