//! The catalogue's hints, on made-up values: whole values, never substrings, and the cause the
//! trace shows rather than a guess.

use super::expect::id_hint;
use super::set::set_mode_hint;
use crate::model::timeline::SetFields;
use shm::Key;

const KEY: Key = Key::new(0x5eed_0001);

#[test]
fn the_key_printed_instead_of_the_id_is_recognised_in_decimal_and_hex() {
    for printed in ["1592590337\n", "0x5eed0001\n", "5eed0001\n"] {
        let hint = id_hint(printed, 0, KEY, "the new segment's id");
        assert!(
            hint.contains("the key (0x5eed0001) was printed, not the id"),
            "{printed}: {hint}"
        );
        assert!(!hint.contains("no labels"), "{hint}");
    }
}

#[test]
fn an_id_among_other_words_is_a_label_but_a_digit_inside_a_number_is_not() {
    assert!(id_hint("id=5\n", 5, KEY, "x").contains("print only the id"));
    // 10 contains the digit 0, which is the id here: a substring is not the id.
    let hint = id_hint("10\n", 0, KEY, "the new segment's id");
    assert!(hint.contains("the id printed (10) is not"), "{hint}");
}

#[test]
fn a_mode_ored_into_the_old_one_is_named_from_the_ipc_set_call() {
    let set = |mode| {
        Some(Some(SetFields {
            uid: 1,
            gid: 1,
            mode,
        }))
    };
    let hint = set_mode_hint(0o640, 0o600, 0o640, set(0o640));
    assert!(hint.contains("IPC_SET was given mode 0640, yet"), "{hint}");
    let hint = set_mode_hint(0o604, 0o640, 0o644, set(0o644));
    assert!(
        hint.contains("IPC_SET was given mode 0644, the old bits 0640 OR'ed with 0604"),
        "{hint}"
    );
    // 0600 OR'ed into 0644 is 0644 again: what was given is said, and both readings.
    let hint = set_mode_hint(0o600, 0o644, 0o644, set(0o644));
    assert!(
        hint.contains("IPC_SET was given mode 0644, the segment's old mode"),
        "{hint}"
    );
    assert!(hint.contains("OR-ing 0600 into 0644 gives 0644"), "{hint}");
    let hint = set_mode_hint(0o600, 0o644, 0o644, Some(None));
    assert!(hint.contains("made no IPC_SET call"), "{hint}");
    // Untraced: what the snapshot shows, no claim about the call.
    let hint = set_mode_hint(0o604, 0o640, 0o644, None);
    assert!(
        hint.contains("the mode became 0644, the old bits 0640 OR'ed with 0604"),
        "{hint}"
    );
    let hint = set_mode_hint(0o600, 0o644, 0o644, None);
    assert!(hint.contains("the mode did not change"), "{hint}");
}
