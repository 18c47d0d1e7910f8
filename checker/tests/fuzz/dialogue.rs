//! Whatever a program prints as its prompts (any text, any bytes turned to text), the
//! responder answers or ends the input, and the prompt readers come back, never a panic: the
//! prompt is the student's string.

use proptest::prelude::*;
use shmlab_checker::scenario::answer::{
    question, text_request_then_question, Answer, Responder, Script, Vocabulary,
};

use super::check;

fn prompts() -> impl Strategy<Value = Vec<String>> {
    let word = prop_oneof![
        Just("y/n".to_string()),
        Just("(yes/no)".to_string()),
        Just("[Y/n]".to_string()),
        Just("Enter".to_string()),
        Just("type your".to_string()),
        Just("Keep".to_string()),
        Just("delete".to_string()),
        Just("1. change".to_string()),
        Just(": ".to_string()),
        Just("?".to_string()),
        Just("\n".to_string()),
        "\\PC{0,12}",
    ];
    proptest::collection::vec(proptest::collection::vec(word, 0..8), 0..10)
        .prop_map(|ps| ps.into_iter().map(|w| w.concat()).collect())
}

fn answers() -> impl Strategy<Value = Vec<Answer>> {
    let answer = prop_oneof![
        any::<bool>().prop_map(|yes| Answer::Decide {
            topic: Some("change".into()),
            yes
        }),
        any::<bool>().prop_map(|yes| Answer::Decide {
            topic: Some("delete".into()),
            yes
        }),
        any::<bool>().prop_map(|yes| Answer::Decide { topic: None, yes }),
        "\\PC{0,10}".prop_map(Answer::Text),
        "[a-z]{1,6}".prop_map(Answer::Choose),
    ];
    proptest::collection::vec(answer, 0..6)
}

#[test]
fn any_prompt_gets_an_answer_or_the_end_of_input() {
    check(
        "dialogue",
        256,
        || (prompts(), answers()),
        |(prompts, answers)| {
            let script = Script {
                answers,
                vocabulary: Vocabulary::default(),
            };
            let mut r = Responder::new(&script);
            for p in &prompts {
                let _ = question(p, &Vocabulary::default());
                let _ = text_request_then_question(p);
                let _ = r.respond(p);
            }
            prop_assert_eq!(r.exchanges.len(), prompts.len());
            Ok(())
        },
    );
}
