use super::*;

fn script(answers: &[&str]) -> Script {
    Script {
        answers: answers.iter().map(|a| Answer::parse(a).unwrap()).collect(),
        vocabulary: Vocabulary::default(),
    }
}

fn line(w: &str) -> Reply {
    Reply::Line(w.to_string())
}

#[test]
fn yes_no_prompts_get_the_words_they_offer() {
    let mut r = Responder::new(&script(&["change: yes", "text: hello", "delete: no"]));
    assert_eq!(
        r.respond("Segment holds: old\nChange it? (Y/N) "),
        line("Y")
    );
    assert_eq!(r.respond("New text: "), line("hello"));
    assert_eq!(r.respond("Delete the segment? [yes/no]: "), line("no"));
    assert_eq!(r.respond("bye\n"), Reply::EndOfInput);
}

#[test]
fn a_question_without_choices_gets_y_and_n() {
    let mut r = Responder::new(&script(&["change: no", "delete: yes"]));
    assert_eq!(r.respond("Do you want to modify the string? "), line("n"));
    assert_eq!(r.respond("Do you want to delete the segment? "), line("y"));
}

#[test]
fn a_numbered_menu_is_answered_by_number() {
    let mut r = Responder::new(&script(&["change: yes", "text: hi there", "delete: no"]));
    let menu = "1) read\n2) write\n3) exit\nChoice: ";
    assert_eq!(r.respond(menu), line("1"));
    assert_eq!(r.respond(menu), line("2"));
    assert_eq!(r.respond("Enter the new string: "), line("hi there"));
    assert_eq!(r.respond(menu), line("3"));
}

#[test]
fn change_or_delete_takes_the_word_of_the_first_yes() {
    let mut r = Responder::new(&script(&["change: no", "delete: yes"]));
    assert_eq!(r.respond("Change or Delete? "), line("Delete"));
}

#[test]
fn a_question_asked_again_gets_the_next_word() {
    let mut r = Responder::new(&script(&["change: yes", "text: x"]));
    let q = "Change the text? ";
    assert_eq!(r.respond(q), line("y"));
    assert_eq!(r.respond(q), line("yes"));
    assert_eq!(r.respond("Text: "), line("x"));
    assert!(r.exchanges[1].retry);
}

#[test]
fn a_delete_question_skips_a_change_question_the_program_never_asks() {
    let mut r = Responder::new(&script(&["change: no", "delete: yes"]));
    assert_eq!(r.respond("Delete it? y/n "), line("y"));
}

#[test]
fn bad_answers_are_refused_with_a_sentence() {
    assert!(Answer::parse("maybe").is_err());
    assert!(Answer::parse("change: perhaps").is_err());
    assert_eq!(
        Answer::parse("text:  two spaces").unwrap(),
        Answer::Text(" two spaces".into())
    );
}

#[test]
fn a_menu_that_can_show_the_contents_is_asked_to_once() {
    let mut r = Responder::new(&script(&["change: no", "delete: no"]));
    let menu = "1) read\n2) write\n3) delete\n4) exit\n> ";
    assert_eq!(r.respond(menu), line("1"));
    assert_eq!(r.respond(&format!("content: old\n{menu}")), line("4"));
}

#[test]
fn a_menu_without_a_way_out_gets_the_end_of_input_for_a_no() {
    let mut r = Responder::new(&script(&["delete: no"]));
    assert_eq!(r.respond("[1] change  [2] delete\nop: "), Reply::EndOfInput);
}

#[test]
fn a_menu_on_one_line_is_read_as_a_menu() {
    let mut r = Responder::new(&script(&["change: yes", "text: x"]));
    assert_eq!(
        r.respond("1) show 2) change 3) delete 4) quit\nop: "),
        line("1")
    );
    assert_eq!(
        r.respond("1) show 2) change 3) delete 4) quit\nop: "),
        line("2")
    );
}

#[test]
fn the_many_ways_of_offering_a_choice_are_read() {
    let cases: [(&str, &[&str], &str); 7] = [
        (
            "Would you like to change the content? Y/N ",
            &["change: yes"],
            "Y",
        ),
        ("Change it? (1 = yes, 0 = no): ", &["change: no"], "0"),
        (
            "Do you want to (c)hange, (d)elete or (q)uit? ",
            &["change: no", "delete: yes"],
            "d",
        ),
        (
            "Enter 1 to change, 2 to delete, 0 to exit: ",
            &["change: no", "delete: no"],
            "0",
        ),
        (
            "Press y to change the string, any other key to go on: ",
            &["change: yes", "text: t"],
            "y",
        ),
        (
            "Delete the memory segment?? (yes/no)",
            &["change: no", "delete: yes"],
            "yes",
        ),
        (
            "Do you want to write a new string? ",
            &["change: yes", "text: t"],
            "y",
        ),
    ];
    for (prompt, answers, want) in cases {
        let mut r = Responder::new(&script(answers));
        assert_eq!(r.respond(prompt), line(want), "{prompt}");
    }
}

#[test]
fn data_in_brackets_is_not_taken_for_choices() {
    let mut r = Responder::new(&script(&["change: yes", "text: t"]));
    assert_eq!(
        r.respond("Segment [id 3, size 256]: change it? "),
        line("y")
    );
}

#[test]
fn more_ways_of_asking_are_answered_in_their_words() {
    let cases: [(&str, &[&str], &str); 4] = [
        ("Change it? (1/0): ", &["change: yes"], "1"),
        (
            "Options: read, write, exit\n> ",
            &["change: yes", "text: t"],
            "read",
        ),
        (
            "Enter a new text (empty line: keep it): ",
            &["change: no", "delete: no"],
            "",
        ),
        (
            "What now? change/delete/quit: ",
            &["change: no", "delete: yes"],
            "delete",
        ),
    ];
    for (prompt, answers, want) in cases {
        let mut r = Responder::new(&script(answers));
        assert_eq!(r.respond(prompt), line(want), "{prompt}");
    }
}

#[test]
fn questions_the_answers_do_not_speak_of_are_answered_as_a_person_would() {
    let mut r = Responder::new(&script(&["change: yes", "text: t", "delete: no"]));
    assert_eq!(
        r.respond("No segment yet. Create a new segment? (y/n) "),
        line("y")
    );
    assert_eq!(
        r.respond("Do you want to see the contents? (y/n) "),
        line("y")
    );
    assert_eq!(r.respond("Change the text? (y/n) "), line("y"));
    assert_eq!(r.respond("Text: "), line("t"));
    assert_eq!(r.respond("Change it again? (y/n) "), line("n"));
    assert_eq!(r.respond("Delete the segment? (y/n) "), line("n"));
    assert_eq!(r.respond("Quit? (y/n) "), line("y"));
}

#[test]
fn a_creation_message_on_the_question_line_does_not_hide_the_question() {
    let mut r = Responder::new(&script(&["change: no", "delete: no"]));
    assert_eq!(r.respond("Segment created. Change it? (y/n) "), line("n"));
}

#[test]
fn a_last_yes_or_no_question_past_the_answers_gets_no_once_then_the_end_of_input() {
    let mut r = Responder::new(&script(&["delete: no"]));
    assert_eq!(r.respond("Delete it? (y/n) "), line("n"));
    assert_eq!(r.respond("Is that all? (y/n) "), line("n"));
    assert_eq!(r.respond("Is that all? (y/n) "), Reply::EndOfInput);
}

#[test]
fn a_request_for_your_text_is_not_a_yes_or_no_question() {
    // "type y" and "enter y" are in "type your message" and "enter your string".
    let mut r = Responder::new(&script(&["change: yes", "text: alpha", "delete: no"]));
    let first = "Shared memory is empty.\nDo you want to write a new message? (yes/no): ";
    assert_eq!(r.respond(first), line("yes"));
    assert_eq!(r.respond("Type your message: "), line("alpha"));
    assert_eq!(
        r.respond("Destroy the shared memory? (yes/no): "),
        line("no")
    );
    let mut r = Responder::new(&script(&["change: yes", "text: beta", "delete: no"]));
    assert_eq!(r.respond("Change it? (y/n) "), line("y"));
    assert_eq!(r.respond("Enter your new string: "), line("beta"));
}

#[test]
fn a_question_about_keeping_takes_the_opposite_word() {
    let mut r = Responder::new(&script(&["change: yes", "text: alpha", "delete: no"]));
    assert_eq!(r.respond("Change the stored string? (y/n) "), line("y"));
    assert_eq!(r.respond("New string: "), line("alpha"));
    assert_eq!(
        r.respond("Keep the shared memory segment for next time? (y/n) "),
        line("y")
    );
    assert_eq!(r.exchanges[2].meaning(), "delete: no");
    let mut r = Responder::new(&script(&["change: yes", "text: gamma", "delete: yes"]));
    assert_eq!(r.respond("Keep the current text? (y/n) "), line("n"));
    assert_eq!(r.respond("New text: "), line("gamma"));
    assert_eq!(r.respond("Keep the segment? (y/n) "), line("n"));
    // A menu's "keep" is a way out, not a yes turned round.
    let mut r = Responder::new(&script(&["change: no", "delete: no"]));
    assert_eq!(r.respond("(c)hange, (d)elete or (k)eep? "), line("k"));
}
