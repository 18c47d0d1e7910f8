//! What the student has done, kept between runs in a small plain-text file (see
//! `app::progress`): the first time each lab passed, per track; the hint level seen per
//! track and lab; and the track of the student's last check, list or hint. Parsing and
//! writing are pure; unknown or malformed lines are ignored, so a hand edit cannot break the
//! checker. A `hint LAB N` line without a track (an older file's) counts for the Rust track.
//!
//! ```text
//! # shmlab progress: written by `shmlab check` and `shmlab hint`; delete it to start over
//! track c
//! done rust create 1796300000
//! hint c create 2
//! ```

use std::collections::BTreeMap;

use super::Lab;

/// The progress of one workspace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    /// When each lab first passed, in epoch seconds, by track name (`rust`, `c`) and lab.
    pub done: BTreeMap<(String, Lab), i64>,
    /// The highest hint level seen, by track name and lab (1 is the first).
    pub hints: BTreeMap<(String, Lab), usize>,
    /// The track of the last check, list or hint of the student's labs.
    pub track: Option<String>,
}

/// What [`Progress::next_hint`] gives: the level to show, and whether it was shown before
/// (the student asked again after the last one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NextHint {
    pub level: usize,
    pub again: bool,
}

const HEADER: &str =
    "# shmlab progress: written by `shmlab check` and `shmlab hint`; delete it to start over";

impl Progress {
    /// Reads the file's text.
    pub fn parse(text: &str) -> Progress {
        let mut p = Progress::default();
        for line in text.lines() {
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                ["done", track, lab, when] => {
                    if let (Some(lab), Ok(when)) = (Lab::from_name(lab), when.parse()) {
                        p.done.insert((track.to_string(), lab), when);
                    }
                }
                ["hint", lab, level] => {
                    if let (Some(lab), Ok(level)) = (Lab::from_name(lab), level.parse()) {
                        p.hints.insert(("rust".to_string(), lab), level);
                    }
                }
                ["hint", track, lab, level] => {
                    if let (Some(lab), Ok(level)) = (Lab::from_name(lab), level.parse()) {
                        p.hints.insert((track.to_string(), lab), level);
                    }
                }
                ["track", track] => p.track = Some(track.to_string()),
                _ => {}
            }
        }
        p
    }

    /// The file's text.
    pub fn render(&self) -> String {
        let mut out = format!("{HEADER}\n");
        if let Some(track) = &self.track {
            out.push_str(&format!("track {track}\n"));
        }
        for ((track, lab), when) in &self.done {
            out.push_str(&format!("done {track} {lab} {when}\n"));
        }
        for ((track, lab), level) in &self.hints {
            out.push_str(&format!("hint {track} {lab} {level}\n"));
        }
        out
    }

    /// Records that `lab` passed in `track` at `now`, if it had not before; whether it is new.
    pub fn passed(&mut self, track: &str, lab: Lab, now: i64) -> bool {
        let key = (track.to_string(), lab);
        if self.done.contains_key(&key) {
            return false;
        }
        self.done.insert(key, now);
        true
    }

    /// Whether `lab` has passed in `track`.
    pub fn has_passed(&self, track: &str, lab: Lab) -> bool {
        self.done.contains_key(&(track.to_string(), lab))
    }

    /// The highest hint level of `lab` seen in `track`.
    pub fn hints_seen(&self, track: &str, lab: Lab) -> Option<usize> {
        self.hints.get(&(track.to_string(), lab)).copied()
    }

    /// The next hint level of `lab` in `track`, out of `levels`: one more than seen, at most
    /// `levels` (then again: it was seen before).
    pub fn next_hint(&mut self, track: &str, lab: Lab, levels: usize) -> NextHint {
        // Saturating: the file is the student's, and may say any level.
        let seen = self.hints_seen(track, lab).unwrap_or(0);
        let last = levels.max(1);
        let level = seen.saturating_add(1).min(last);
        self.hints.insert((track.to_string(), lab), level);
        NextHint {
            level,
            again: seen >= last,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_survives_a_round_trip_and_ignores_what_it_does_not_know() {
        let mut p = Progress::default();
        assert!(p.passed("rust", Lab::Create, 100));
        assert!(
            !p.passed("rust", Lab::Create, 200),
            "the first time is kept"
        );
        assert_eq!(p.next_hint("rust", Lab::Set, 3).level, 1);
        assert_eq!(p.next_hint("rust", Lab::Set, 3).level, 2);
        assert_eq!(p.next_hint("c", Lab::Set, 3).level, 1, "each track its own");
        p.track = Some("c".into());
        let text = p.render() + "garbage line\nhint nolab 3\ndone c attach soon\n";
        let back = Progress::parse(&text);
        assert_eq!(back, p);
        assert!(back.has_passed("rust", Lab::Create));
        assert!(!back.has_passed("c", Lab::Create));
    }

    #[test]
    fn hint_levels_stop_at_the_last_and_say_when_it_is_shown_again() {
        let mut p = Progress::default();
        let shown: Vec<NextHint> = (0..3).map(|_| p.next_hint("c", Lab::Access, 2)).collect();
        assert_eq!(
            shown.iter().map(|n| (n.level, n.again)).collect::<Vec<_>>(),
            [(1, false), (2, false), (2, true)]
        );
        assert_eq!(p.hints_seen("c", Lab::Access), Some(2));
        assert_eq!(p.hints_seen("rust", Lab::Access), None);
    }

    #[test]
    fn an_older_files_hint_line_counts_for_the_rust_track() {
        let p = Progress::parse("hint create 2\n");
        assert_eq!(p.hints_seen("rust", Lab::Create), Some(2));
        assert_eq!(p.hints_seen("c", Lab::Create), None);
    }

    #[test]
    fn a_hand_edited_hint_level_past_any_number_gives_the_last_level() {
        let mut p = Progress::parse("hint rust create 18446744073709551615\n");
        assert_eq!(p.next_hint("rust", Lab::Create, 4).level, 4);
    }
}
