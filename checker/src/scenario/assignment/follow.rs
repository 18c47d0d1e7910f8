//! Finding the segment a program works on, whatever its key: the one at the assignment's
//! key, or the one the program created or used, followed from run to run by its key.

use std::collections::BTreeSet;

use crate::assignment::{Assignment, Find};
use crate::model::{Call, Observation, SegmentState, Snapshot};

use super::hints::Hint;
use crate::model::check::Certainty;

/// `SHM_DEST`: marked for removal.
const SHM_DEST: u32 = 0o1000;

/// The segment followed through a scenario's runs.
pub struct Follow<'a> {
    obs: &'a Observation,
    /// The key known so far (the assignment's, or the program's once seen).
    key: Option<i32>,
    /// The id found after each run.
    ids: Vec<Option<i32>>,
}

impl<'a> Follow<'a> {
    pub fn new(assignment: &Assignment, obs: &'a Observation) -> Follow<'a> {
        let key = match assignment.segment.find {
            Find::Created => None,
            Find::Key => assignment.fixed_key(),
            Find::Argument => Some(obs.keys.first().copied().unwrap_or(obs.free_key).raw()),
        };
        Follow {
            obs,
            key,
            ids: Vec::new(),
        }
    }

    /// The snapshot right before run `r`, and right after it.
    pub fn around(&self, r: usize) -> Option<(&'a Snapshot, &'a Snapshot)> {
        let after = *self.obs.after_run.get(r)?;
        Some((
            self.obs.snapshots.get(after.checked_sub(1)?)?,
            self.obs.snapshots.get(after)?,
        ))
    }

    /// The ids of the segments run `r` made that are there after it.
    pub fn made_by(&self, r: usize) -> Vec<&'a SegmentState> {
        let Some((before, after)) = self.around(r) else {
            return Vec::new();
        };
        let old: BTreeSet<i32> = before.segments.iter().map(|s| s.id).collect();
        after
            .segments
            .iter()
            .filter(|s| !old.contains(&s.id))
            .collect()
    }

    /// The keys run `r`'s own `shmget` calls asked for and got (traced runs only).
    fn keys_used(&self, r: usize) -> Vec<i32> {
        let Some(run) = self.obs.runs.get(r) else {
            return Vec::new();
        };
        run.timeline
            .iter()
            .flatten()
            .filter_map(|e| match (&e.call, &e.ret) {
                (Call::Shmget { key, .. }, Some(ret)) if ret.is_ok() => Some(*key),
                _ => None,
            })
            .collect()
    }

    /// The segment after run `r` (called for each run in order); `None`: there is none.
    pub fn after(&mut self, r: usize) -> Option<SegmentState> {
        let (_, after) = self.around(r)?;
        let live = |s: &&SegmentState| s.mode & SHM_DEST == 0;
        if self.key.is_none() {
            // The key the program used: from its calls, or from a segment it made.
            self.key = self.keys_used(r).into_iter().find(|k| *k != 0).or_else(|| {
                let made = self.made_by(r);
                made.iter().find(|s| s.key != 0).map(|s| s.key)
            });
        }
        let found = match self.key {
            Some(k) => after
                .segments
                .iter()
                .filter(live)
                .find(|s| s.key == k)
                .cloned(),
            // IPC_PRIVATE only: the one it made last.
            None => self
                .made_by(r)
                .into_iter()
                .rfind(|s| s.mode & SHM_DEST == 0)
                .cloned(),
        };
        self.ids.push(found.as_ref().map(|s| s.id));
        found
    }

    /// Whether run `r` created the segment found after it (`None`: none was found).
    pub fn created_in(&self, r: usize) -> Option<bool> {
        let id = (*self.ids.get(r)?)?;
        let (before, _) = self.around(r)?;
        Some(!before.segments.iter().any(|s| s.id == id))
    }

    /// The key followed, once known.
    pub fn key(&self) -> Option<i32> {
        self.key
    }

    /// Whether run `r` removed a segment (a successful `IPC_RMID`); `None`: not traced.
    fn removed_in(&self, r: usize) -> Option<bool> {
        let timeline = self.obs.runs.get(r)?.timeline.as_ref()?;
        Some(timeline.iter().any(|e| {
            matches!(e.call, Call::Shmctl { cmd, .. } if cmd & 0xff == 0)
                && e.ret.as_ref().is_some_and(|r| r.is_ok())
        }))
    }

    /// How run `r` answered the question of deleting: `None` when it was not asked.
    fn answered_delete(&self, r: usize) -> Option<bool> {
        let run = self.obs.runs.get(r)?;
        let said = |yes: bool| run.exchanges.iter().any(|e| e.decided("delete", yes));
        if said(true) {
            Some(true)
        } else if said(false) {
            Some(false)
        } else {
            None
        }
    }

    /// Why no segment was found after run `r`, for a hint: one cause where the runs show
    /// it, else the causes they leave open.
    pub fn why_none(&self, r: usize) -> Option<Hint> {
        let made = self.made_by(r);
        if made.iter().any(|s| s.key == 0) {
            return Some(Hint::definite("the program made its segment with IPC_PRIVATE, which no later run can find: use a key of its own (a constant, or ftok on one of its files)"));
        }
        let run = self.obs.runs.get(r);
        let removed = self.removed_in(r) == Some(true);
        if removed && self.answered_delete(r) == Some(false) {
            // The scenario's other runs tell why: one asked to delete that did not remove
            // (inverted), or that removed as well (removed whatever the answer).
            let asked: Vec<Option<bool>> = (0..self.obs.runs.len())
                .filter(|&o| o != r && self.answered_delete(o) == Some(true))
                .map(|o| self.removed_in(o))
                .collect();
            let (why, certainty) = if asked.contains(&Some(true)) {
                ("it removes the segment in every run, whatever the answer: the IPC_RMID is outside the test of the answer (braces missing around the if's body, or a cleanup at the end)", Certainty::Definite)
            } else if asked.contains(&Some(false)) {
                ("the test of the answer is inverted (strcmp returns 0 when the strings are equal)", Certainty::Definite)
            } else {
                // No run of this scenario answered yes (or none was traced): both fit.
                ("it removes the segment whatever the answer, or its test of the answer is inverted (strcmp returns 0 when the strings are equal)", Certainty::Open)
            };
            let no = run
                .and_then(|run| run.exchanges.iter().find(|e| e.decided("delete", false)))
                .map_or(String::new(), |e| {
                    format!(
                        " (\"{}\" to \"{}\")",
                        e.answered.as_deref().unwrap_or_default().escape_debug(),
                        e.asked.escape_debug()
                    )
                });
            return Some(Hint {
                text: format!("the program removed the segment (IPC_RMID) in a run that answered no to deleting it{no}: {why}"),
                certainty,
            });
        }
        if removed {
            return Some(Hint::definite("the program removed the segment (IPC_RMID) in this run, though it was not asked to"));
        }
        let traced = run.is_some_and(|run| run.timeline.is_some());
        if traced && self.keys_used(r).is_empty() {
            let failed = run
                .and_then(|run| run.timeline.as_ref())
                .and_then(|t| t.iter().find_map(failed_shmget));
            return Some(Hint::definite(
                failed
                    .or_else(|| run.and_then(no_shmget))
                    .unwrap_or_else(|| {
                        "the program made no successful shmget call in this run".into()
                    }),
            ));
        }
        Some(Hint::open("no segment of the program's is there after this run: it removed it, or never created one"))
    }
}

/// A failed `shmget`, said with its errno: without `IPC_CREAT`, `ENOENT` is the first run's
/// (nothing has that key yet).
fn failed_shmget(e: &crate::model::TraceEvent) -> Option<String> {
    use crate::model::timeline::{errno_name, Return};
    let (Call::Shmget { flags, .. }, Some(Return::Errno(errno))) = (&e.call, &e.ret) else {
        return None;
    };
    let name = errno_name(*errno);
    let text = crate::scenario::ctx::errno_text(&name);
    Some(if *errno == libc::ENOENT && flags & libc::IPC_CREAT == 0 {
        format!("{} failed with ENOENT ({text}): no segment has that key yet, and without IPC_CREAT shmget makes none; the run that finds none must create it (IPC_CREAT)", e.call.text())
    } else {
        format!(
            "{} failed with {name} ({text}), and no other shmget of the run succeeded",
            e.call.text()
        )
    })
}

/// A run that made no shmget call at all and exited with a failure: how it ended, what it
/// printed last, and the arguments it was given (a program that wants a key on its command
/// line, say, stops with its usage).
fn no_shmget(run: &crate::model::RunRecord) -> Option<String> {
    let tried = run
        .timeline
        .as_ref()?
        .iter()
        .any(|e| matches!(e.call, Call::Shmget { .. }));
    let crate::model::Termination::Exited { code } = run.termination else {
        return None;
    };
    if tried || code == 0 {
        return None;
    }
    let said = [&run.stderr, &run.stdout]
        .iter()
        .flat_map(|o| o.lines())
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map_or(String::new(), |l| {
            // Its own path, where it prints it (a usage line), as the name it was built as:
            // the folder is the run's temporary copy.
            let own = run.argv.first().map(String::as_str).unwrap_or_default();
            let name = own.rsplit('/').next().unwrap_or(own);
            let suffix = format!("/{name}");
            let l = l
                .split(' ')
                .map(|w| {
                    if !name.is_empty() && (w == own || w.ends_with(&suffix)) {
                        format!("./{name}")
                    } else {
                        w.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join(" ");
            let l: String = l.chars().take(120).collect();
            format!(" after printing \"{}\"", l.escape_debug())
        });
    let args = match run.argv.get(1..) {
        Some(a) if !a.is_empty() => format!("the arguments {}", a.join(" ").escape_debug()),
        _ => "no arguments".to_string(),
    };
    Some(format!("the program made no shmget call: it exited with status {code}{said}; the assignment runs it with {args}"))
}
