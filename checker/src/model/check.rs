//! What a check is, as data a report can decide on: its kind, and how sure its hint is of
//! the cause it names. Set where the check and its hint are made (`scenario`), read where a
//! grade picks the one sentence it gives (`report::assignment`'s main defect).

/// What kind of check it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckKind {
    /// What the scenario expects: a lab's check, an assignment's expectation on a run, how
    /// a run ended.
    Expectation,
    /// One of the kit's generic checks, which hold for every assignment (a crash, a segment
    /// left behind by each run): what it saw explains what else failed.
    Generic,
}

/// How sure a hint is of the cause it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Certainty {
    /// The evidence names this one cause: the run shows it, and no other cause fits what
    /// was seen.
    Definite,
    /// The cause is left open: the hint names several causes the evidence could not tell
    /// apart, or only says what was seen (and a hint nobody weighed, as the labs', is open).
    Open,
}
