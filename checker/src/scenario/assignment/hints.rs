//! The likely mistakes behind an assignment's failed expectations, each from what the run
//! shows (its answers, its conversation).

use crate::assignment::RunSpec;
use crate::model::RunRecord;
use crate::scenario::answer::Answer;

/// Why the segment is still there after a run asked to delete it.
pub(super) fn gone_hint(run: &crate::model::RunRecord) -> String {
    let told = run.exchanges.iter().any(|e| e.meaning == "delete: yes");
    if !told && !run.exchanges.is_empty() {
        return "the program never waited for the answer to deleting the segment, so it was never told to: it read what was left of the answer before (scanf(\"%c\") without a space before %c, or getchar after scanf, takes the newline)".into();
    }
    "the segment is still there after the run that was asked to delete it: IPC_RMID (shmctl(id, IPC_RMID, NULL)) was not called, or failed, or was called on another segment".into()
}

pub(super) fn text_hint(want: &str, have: &str) -> String {
    if have.is_empty() {
        "the segment holds no text: nothing was copied into it, or a NUL was written first".into()
    } else if have.starts_with(want) {
        "the text runs on past what was typed: the NUL after it was not copied (copy strlen + 1 bytes, or use strcpy)".into()
    } else if want.starts_with(have.trim_end()) {
        "only the start of the text is there: the input was read up to the first space (scanf(\"%s\")), or cut short".into()
    } else {
        "the segment holds another text than the one typed".into()
    }
}

/// Whether the run had a text to type that the program never waited for: the checker
/// typed its other answers (the program asked), never the text.
pub(super) fn text_never_typed(spec: &RunSpec, run: &RunRecord) -> bool {
    let texts: Vec<String> = spec
        .answers
        .iter()
        .filter(|a| matches!(a.0, Answer::Text(_)))
        .map(|a| a.0.meaning())
        .collect();
    !texts.is_empty()
        && run.exchanges.iter().any(|e| e.answered.is_some())
        && !run.exchanges.iter().any(|e| texts.contains(&e.meaning))
}

pub(super) fn text_never_typed_hint() -> String {
    "the program never waited for the text, so what was to be typed was never read: it read what was left of the line before (the answer's newline: fgets into a buffer too small for the answer and its newline, or scanf or getchar leaving the newline behind)".into()
}
