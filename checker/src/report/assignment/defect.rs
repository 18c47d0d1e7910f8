//! The main defect of a submission: the one sentence its grade gives (the CSV's column,
//! Gradescope's output), chosen by the kind of each failed check and how sure its hint is
//! (`model::check`), both decided where the checks were made.

use super::AssignmentReport;
use crate::model::check::{Certainty, CheckKind};
use crate::scenario::{Check, Verdict};

impl AssignmentReport {
    /// The main defect, in a sentence: the problem if nothing could run; else the likely
    /// mistake of a failed check, taken in this order:
    ///
    /// 1. a generic check whose hint names one cause (it explains what else failed);
    /// 2. the first check whose hint names one cause (a later scenario may tell what an
    ///    earlier one could not: which of two causes it was);
    /// 3. a generic check's hint, else the first failed check's (what it expected and saw,
    ///    where no mistake is named);
    ///
    /// else the checker's own error in a scenario.
    pub fn main_defect(&self) -> Option<String> {
        if let Some(p) = &self.problem {
            return Some(p.clone());
        }
        let failed: Vec<&Check> = self
            .scenarios
            .iter()
            .flat_map(|s| s.checks.iter())
            .filter(|c| !c.passed && c.skipped.is_none())
            .collect();
        let generic = |c: &&&Check| c.kind == CheckKind::Generic;
        let definite = |c: &&&Check| c.hint.is_some() && c.certainty == Certainty::Definite;
        let chosen = failed
            .iter()
            .filter(generic)
            .find(definite)
            .or_else(|| failed.iter().find(definite))
            .or_else(|| failed.iter().find(generic))
            .or(failed.first());
        if let Some(c) = chosen {
            return Some(c.hint.clone().unwrap_or_else(|| {
                format!("{}: expected {}, saw {}", c.what, c.expected, c.actual)
            }));
        }
        self.scenarios.iter().find_map(|s| match &s.verdict {
            Verdict::Error(e) => Some(format!("the checker could not run {}: {e}", s.name)),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assignment::Visibility;
    use crate::report::assignment::ScenarioResult;
    use crate::scenario::ctx::Moment;

    /// A failed check with that hint.
    fn failed(what: &str, hint: Option<&str>, certainty: Certainty, kind: CheckKind) -> Check {
        Check {
            what: what.into(),
            field: "segment",
            expected: "a segment".into(),
            actual: "no segment".into(),
            passed: false,
            skipped: None,
            hint: hint.map(Into::into),
            note: None,
            explain: None,
            certainty,
            kind,
            at: Moment::default(),
        }
    }

    fn open(what: &str, hint: &str) -> Check {
        failed(what, Some(hint), Certainty::Open, CheckKind::Expectation)
    }

    fn definite(what: &str, hint: &str) -> Check {
        failed(
            what,
            Some(hint),
            Certainty::Definite,
            CheckKind::Expectation,
        )
    }

    fn generic(hint: &str, certainty: Certainty) -> Check {
        failed(
            "run 1: crashes (crash)",
            Some(hint),
            certainty,
            CheckKind::Generic,
        )
    }

    /// A report whose scenarios hold these checks, in this order.
    fn report(scenarios: Vec<Vec<Check>>) -> AssignmentReport {
        let scenarios = scenarios
            .into_iter()
            .enumerate()
            .map(|(i, checks)| ScenarioResult {
                name: format!("s{i}"),
                title: format!("scenario {i}"),
                points: 1,
                earned: 0,
                visibility: Visibility::Visible,
                verdict: Verdict::Failed,
                checks,
                runs: Vec::new(),
            })
            .collect();
        AssignmentReport::sample(scenarios, Vec::new())
    }

    #[test]
    fn a_later_definite_hint_wins_over_an_earlier_one_that_leaves_the_cause_open() {
        let r = report(vec![
            vec![open(
                "run 1: the segment",
                "it removes always, or it is inverted",
            )],
            vec![definite(
                "run 1: the segment",
                "the test of the answer is inverted",
            )],
        ]);
        assert_eq!(
            r.main_defect().as_deref(),
            Some("the test of the answer is inverted")
        );
    }

    #[test]
    fn the_first_definite_hint_wins_over_a_later_definite_one() {
        let r = report(vec![vec![
            open("run 1: text", "another text"),
            definite("run 1: size", "too small"),
            definite("run 2: text", "no NUL copied"),
        ]]);
        assert_eq!(r.main_defect().as_deref(), Some("too small"));
    }

    #[test]
    fn a_definite_generic_hint_wins_over_every_other() {
        let r = report(vec![
            vec![definite("run 1: size", "too small")],
            vec![
                generic("crashed, cause open", Certainty::Open),
                generic("crashed after a failed shmat", Certainty::Definite),
            ],
        ]);
        assert_eq!(
            r.main_defect().as_deref(),
            Some("crashed after a failed shmat")
        );
    }

    #[test]
    fn a_definite_hint_wins_over_a_generic_one_that_leaves_the_cause_open() {
        let r = report(vec![vec![
            definite("run 1: size", "too small"),
            generic("crashed, cause open", Certainty::Open),
        ]]);
        assert_eq!(r.main_defect().as_deref(), Some("too small"));
    }

    #[test]
    fn with_no_definite_hint_a_generic_one_comes_first_then_the_first_failed_check() {
        let open_generic = report(vec![vec![
            open("run 1: text", "another text"),
            generic("crashed, cause open", Certainty::Open),
        ]]);
        assert_eq!(
            open_generic.main_defect().as_deref(),
            Some("crashed, cause open")
        );
        let only_open = report(vec![
            vec![open("run 1: the segment", "removed, or never created")],
            vec![open("run 2: text", "another text")],
        ]);
        assert_eq!(
            only_open.main_defect().as_deref(),
            Some("removed, or never created")
        );
    }

    #[test]
    fn a_definite_mark_without_a_hint_is_passed_over_and_no_hint_says_what_was_seen() {
        let r = report(vec![vec![
            failed(
                "run 1: output",
                None,
                Certainty::Definite,
                CheckKind::Expectation,
            ),
            open("run 2: text", "another text"),
        ]]);
        // No definite hint: the first failed check, which names no mistake.
        assert_eq!(
            r.main_defect().as_deref(),
            Some("run 1: output: expected a segment, saw no segment")
        );
    }

    #[test]
    fn passed_skipped_and_noted_checks_are_never_the_main_defect() {
        let mut passed = definite("run 1: size", "too small");
        passed.passed = true;
        let mut skipped = definite("run 1: calls", "no IPC_RMID");
        skipped.skipped = Some("not traced".into());
        let mut note = generic("exits without shmdt", Certainty::Definite);
        note.passed = true;
        note.hint = None;
        note.note = Some("exits without shmdt".into());
        let r = report(vec![vec![passed, skipped, note, open("run 2: text", "x")]]);
        assert_eq!(r.main_defect().as_deref(), Some("x"));
    }

    #[test]
    fn a_problem_comes_before_any_check_and_an_error_after_none() {
        let mut r = report(vec![vec![definite("run 1: size", "too small")]]);
        r.problem = Some("it does not build".into());
        assert_eq!(r.main_defect().as_deref(), Some("it does not build"));
        let mut r = report(vec![Vec::new()]);
        r.scenarios[0].verdict = Verdict::Error("interrupted".into());
        assert_eq!(
            r.main_defect().as_deref(),
            Some("the checker could not run s0: interrupted")
        );
    }
}
