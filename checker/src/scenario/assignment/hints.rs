//! The likely mistakes behind an assignment's failed expectations, each from what the run
//! shows (its answers, its conversation, its calls).

use crate::model::check::Certainty;
use crate::model::RunRecord;
use crate::scenario::answer::Answer;

use super::told;

/// A likely mistake, and how sure it is of its cause: decided here, where it is written,
/// from what the run shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    pub text: String,
    pub certainty: Certainty,
}

impl Hint {
    /// A hint whose cause the evidence names alone.
    pub fn definite(text: impl Into<String>) -> Hint {
        Hint {
            text: text.into(),
            certainty: Certainty::Definite,
        }
    }

    /// A hint that leaves the cause open: several fit, or it says only what was seen.
    pub fn open(text: impl Into<String>) -> Hint {
        Hint {
            text: text.into(),
            certainty: Certainty::Open,
        }
    }
}

/// Why the segment is still there after a run asked to delete it.
pub(super) fn gone_hint(run: &RunRecord) -> Hint {
    if let Some(hint) = told::delete_not_taken(run, "delete") {
        return hint;
    }
    let told = run.exchanges.iter().any(|e| e.decided("delete", true));
    if !told && !run.exchanges.is_empty() {
        return Hint::definite("the program never waited for the answer to deleting the segment, so it was never told to: it read what was left of the answer before (scanf(\"%c\") without a space before %c, or getchar after scanf, takes the newline)");
    }
    Hint::open("the segment is still there after the run that was asked to delete it: IPC_RMID (shmctl(id, IPC_RMID, NULL)) was not called, or failed, or was called on another segment")
}

/// Whether the run typed a text.
pub(super) fn typed(run: &RunRecord) -> bool {
    run.exchanges
        .iter()
        .any(|e| matches!(e.answer, Some(Answer::Text(_))))
}

/// What the segment's text says of how it was stored: one cause only when the text shows
/// it (the end of a longer text left after a shorter one: no NUL copied).
pub(super) fn text_hint(want: &str, have: &str) -> Hint {
    if have.is_empty() {
        Hint::open(
            "the segment holds no text: nothing was copied into it, or a NUL was written first",
        )
    } else if have.trim().is_empty() {
        Hint::open("the segment holds only blanks or a newline, not the text typed")
    } else if have.starts_with(want) {
        Hint::definite("the text runs on past what was typed: the NUL after it was not copied (copy strlen + 1 bytes, or use strcpy)")
    } else if want.starts_with(have.trim_end()) {
        Hint::open("only the start of the text is there: the input was read up to the first space (scanf(\"%s\")), or cut short")
    } else {
        Hint::open("the segment holds another text than the one typed")
    }
}
