//! The likely mistakes behind an assignment's failed expectations, each from what the run
//! shows (its answers, its conversation, its calls).

use crate::model::RunRecord;
use crate::scenario::answer::Answer;

use super::told;

/// Why the segment is still there after a run asked to delete it.
pub(super) fn gone_hint(run: &RunRecord) -> String {
    if let Some(hint) = told::delete_not_taken(run, "delete") {
        return hint;
    }
    let told = run.exchanges.iter().any(|e| e.decided("delete", true));
    if !told && !run.exchanges.is_empty() {
        return "the program never waited for the answer to deleting the segment, so it was never told to: it read what was left of the answer before (scanf(\"%c\") without a space before %c, or getchar after scanf, takes the newline)".into();
    }
    "the segment is still there after the run that was asked to delete it: IPC_RMID (shmctl(id, IPC_RMID, NULL)) was not called, or failed, or was called on another segment".into()
}

/// Whether the run typed a text.
pub(super) fn typed(run: &RunRecord) -> bool {
    run.exchanges
        .iter()
        .any(|e| matches!(e.answer, Some(Answer::Text(_))))
}

pub(super) fn text_hint(want: &str, have: &str) -> String {
    if have.is_empty() {
        "the segment holds no text: nothing was copied into it, or a NUL was written first".into()
    } else if have.trim().is_empty() {
        "the segment holds only blanks or a newline, not the text typed".into()
    } else if have.starts_with(want) {
        "the text runs on past what was typed: the NUL after it was not copied (copy strlen + 1 bytes, or use strcpy)".into()
    } else if want.starts_with(have.trim_end()) {
        "only the start of the text is there: the input was read up to the first space (scanf(\"%s\")), or cut short".into()
    } else {
        "the segment holds another text than the one typed".into()
    }
}
