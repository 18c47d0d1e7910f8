//! What the conversation of a run says about a state that is not what was asked for: the
//! answers the program was given, the questions it asked next, and its calls. Each hint
//! follows from those alone, and says nothing when they do not tell.

use crate::model::dialogue::{Answer, Exchange};
use crate::model::timeline::Call;
use crate::model::RunRecord;
use crate::scenario::answer::{asks_for_text, text_request_then_question};

use super::hints::Hint;

/// The answer after which the program was to ask for the text: the first yes (or menu
/// choice) of the run, with its place.
fn trigger(exchanges: &[Exchange]) -> Option<(usize, &Exchange)> {
    exchanges.iter().enumerate().find(|(_, e)| {
        matches!(
            e.answer,
            Some(Answer::Decide { yes: true, .. }) | Some(Answer::Choose(_))
        )
    })
}

/// How an exchange is quoted: `"y" to "Change it? [y/n]"`.
fn quoted(e: &Exchange) -> String {
    format!(
        "\"{}\" to \"{}\"",
        e.answered.as_deref().unwrap_or_default().escape_debug(),
        e.asked.trim().escape_debug()
    )
}

/// Why the segment does not hold the text when the program never got to read it; `None`
/// when the text was typed (what the segment holds then says more), or when the
/// conversation does not tell. When it tells, it tells one cause: the conversation shows it.
pub(super) fn text_never_typed(run: &RunRecord, have: &str) -> Option<Hint> {
    let typed = |e: &Exchange| matches!(e.answer, Some(Answer::Text(_)));
    if run.exchanges.iter().any(typed) {
        return None;
    }
    let (i, yes) = trigger(&run.exchanges)?;
    if !have.is_empty() && have.trim_matches(['\n', '\r']).is_empty() {
        return Some(Hint::definite(format!(
            "the program did not wait for the text: after {} it read the newline left behind that answer, and stored it (scanf(\"%c\") and scanf(\"%d\") leave the newline in the input, and fgets or getchar then take it at once): read answers with scanf(\" %c\"), or whole lines with fgets",
            quoted(yes)
        )));
    }
    let next = run.exchanges.get(i + 1);
    if let Some((request, question)) = next.and_then(|n| text_request_then_question(&n.asked)) {
        return Some(Hint::definite(format!(
            "the program did not wait for the text: after {} it printed \"{}\" and went on to \"{}\" without reading one: most often the newline left behind that answer, which ends the read at once (scanf(\"%c\") and scanf(\"%d\") leave it in the input; scanf(\"%[^\\n]\") then reads nothing, fgets an empty line): read answers with scanf(\" %c\"), or whole lines with fgets",
            quoted(yes),
            request.escape_debug(),
            question.escape_debug()
        )));
    }
    match next {
        Some(next) if asks_for_text(&next.asked) => None,
        _ => Some(Hint::definite(format!(
            "the program never asked for the text after {}: it did not take that answer for a yes (a line read with fgets still ends in \"\\n\", so strcmp(line, \"yes\") is not 0: strip the newline, or compare its first letter)",
            quoted(yes)
        ))),
    }
}

/// Why the segment is still there after a run that was answered yes to deleting it, when
/// the trace shows no `IPC_RMID`; `None` untraced, or when the program did call it. The
/// cause stays open: no `IPC_RMID` in the program, or a yes it did not take for one.
pub(super) fn delete_not_taken(run: &RunRecord, topic: &str) -> Option<Hint> {
    let told = run.exchanges.iter().find(|e| e.decided(topic, true))?;
    let calls = run.timeline.as_ref()?;
    let removed = calls
        .iter()
        .any(|t| matches!(t.call, Call::Shmctl { cmd, .. } if cmd & 0xff == libc::IPC_RMID));
    (!removed).then(|| {
        Hint::open(format!(
            "the program was answered {} and made no shmctl(IPC_RMID) call: deleting a segment is shmctl(id, IPC_RMID, NULL) (shmdt only detaches it), unless the program did not take that answer for a yes",
            quoted(told)
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::check::Certainty;

    fn exchange(asked: &str, answered: &str, answer: &str) -> Exchange {
        Exchange {
            asked: asked.into(),
            answered: Some(answered.into()),
            answer: Some(Answer::parse(answer).unwrap()),
            retry: false,
        }
    }

    fn run(
        exchanges: Vec<Exchange>,
        timeline: Option<Vec<crate::model::timeline::TraceEvent>>,
    ) -> RunRecord {
        RunRecord {
            exchanges,
            timeline,
            ..super::super::tests::run("")
        }
    }

    #[test]
    fn a_stored_newline_with_no_text_typed_is_the_newline_left_behind() {
        let r = run(
            vec![
                exchange("Change it? (y/n):", "y", "change: yes"),
                exchange("Enter new content: Delete it? (y/n):", "n", "delete: no"),
            ],
            None,
        );
        let hint = text_never_typed(&r, "\n").unwrap();
        assert_eq!(hint.certainty, Certainty::Definite);
        let hint = hint.text;
        assert!(hint.contains("did not wait for the text"), "{hint}");
        assert!(hint.contains("\"y\" to \"Change it? (y/n):\""), "{hint}");
    }

    #[test]
    fn a_text_request_run_into_the_next_question_is_a_read_that_did_not_wait() {
        let r = run(
            vec![
                exchange("Overwrite it? (y/n)", "y", "change: yes"),
                exchange(
                    "Enter new string: Delete the segment? (y/n)",
                    "n",
                    "delete: no",
                ),
            ],
            None,
        );
        let hint = text_never_typed(&r, "").unwrap().text;
        assert!(hint.contains("did not wait for the text"), "{hint}");
        assert!(
            hint.contains(
                "printed \"Enter new string:\" and went on to \"Delete the segment? (y/n)\""
            ),
            "{hint}"
        );
    }

    #[test]
    fn no_text_question_after_a_yes_is_a_yes_not_taken() {
        let r = run(
            vec![
                exchange("Change data? (yes/no)", "yes", "change: yes"),
                exchange("Delete segment? (yes/no)", "no", "delete: no"),
            ],
            None,
        );
        let hint = text_never_typed(&r, "").unwrap().text;
        assert!(hint.contains("never asked for the text"), "{hint}");
    }

    #[test]
    fn says_nothing_when_the_text_was_typed_or_asked_for() {
        let typed = run(
            vec![
                exchange("Change? [y/n]", "y", "change: yes"),
                exchange("New text:", "alpha", "text: alpha"),
            ],
            None,
        );
        assert_eq!(text_never_typed(&typed, "alph"), None);
        let asked = run(
            vec![
                exchange("Change? [y/n]", "y", "change: yes"),
                exchange("Enter the new string:", "n", "delete: no"),
            ],
            None,
        );
        assert_eq!(text_never_typed(&asked, ""), None);
        // No yes at all: nothing to say.
        let none = run(vec![exchange("Delete? [y/n]", "n", "delete: no")], None);
        assert_eq!(text_never_typed(&none, ""), None);
    }

    #[test]
    fn a_delete_not_taken_needs_the_trace() {
        let told = vec![exchange("Delete segment? (yes/no)", "yes", "delete: yes")];
        assert_eq!(delete_not_taken(&run(told.clone(), None), "delete"), None);
        let hint = delete_not_taken(&run(told, Some(vec![])), "delete").unwrap();
        // No IPC_RMID, or a yes not taken for one: the trace alone does not tell which.
        assert_eq!(hint.certainty, Certainty::Open);
        let hint = hint.text;
        assert!(hint.contains("made no shmctl(IPC_RMID) call"), "{hint}");
        let not_told = vec![exchange("Delete segment? (yes/no)", "no", "delete: no")];
        assert_eq!(
            delete_not_taken(&run(not_told, Some(vec![])), "delete"),
            None
        );
    }
}
