//! What the student has done, kept between runs in a small plain-text file (see
//! `app::progress`): the first time each lab passed, per track, and the hint level seen per
//! lab. Parsing and writing are pure; unknown or malformed lines are ignored, so a hand edit
//! cannot break the checker.
//!
//! ```text
//! # shmlab progress: written by `shmlab check` and `shmlab hint`; delete it to start over
//! done rust create 1796300000
//! hint create 2
//! ```

use std::collections::BTreeMap;

use super::Lab;

/// The progress of one workspace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    /// When each lab first passed, in epoch seconds, by track name (`rust`, `c`) and lab.
    pub done: BTreeMap<(String, Lab), i64>,
    /// The highest hint level seen, per lab (1 is the first).
    pub hints: BTreeMap<Lab, usize>,
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
                        p.hints.insert(lab, level);
                    }
                }
                _ => {}
            }
        }
        p
    }

    /// The file's text.
    pub fn render(&self) -> String {
        let mut out = format!("{HEADER}\n");
        for ((track, lab), when) in &self.done {
            out.push_str(&format!("done {track} {lab} {when}\n"));
        }
        for (lab, level) in &self.hints {
            out.push_str(&format!("hint {lab} {level}\n"));
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

    /// The next hint level of `lab`, out of `levels`: one more than seen, at most `levels`.
    pub fn next_hint(&mut self, lab: Lab, levels: usize) -> usize {
        // Saturating: the file is the student's, and may say any level.
        let seen = self.hints.get(&lab).copied().unwrap_or(0);
        let next = seen.saturating_add(1).min(levels.max(1));
        self.hints.insert(lab, next);
        next
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
        assert_eq!(p.next_hint(Lab::Set, 3), 1);
        assert_eq!(p.next_hint(Lab::Set, 3), 2);
        let text = p.render() + "garbage line\nhint nolab 3\ndone c attach soon\n";
        let back = Progress::parse(&text);
        assert_eq!(back, p);
        assert!(back.has_passed("rust", Lab::Create));
        assert!(!back.has_passed("c", Lab::Create));
    }

    #[test]
    fn hint_levels_stop_at_the_last() {
        let mut p = Progress::default();
        for _ in 0..5 {
            p.next_hint(Lab::Access, 2);
        }
        assert_eq!(p.hints[&Lab::Access], 2);
    }

    #[test]
    fn a_hand_edited_hint_level_past_any_number_gives_the_last_level() {
        let mut p = Progress::parse("hint create 18446744073709551615\n");
        assert_eq!(p.next_hint(Lab::Create, 4), 4);
    }
}
