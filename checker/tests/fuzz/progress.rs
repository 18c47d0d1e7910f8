//! The progress file (`.shmlab-state.txt`) is the student's to edit: any text in it reads as
//! some progress, and `list` and `hint` work from it.

use proptest::prelude::*;

use shmlab_checker::model::progress::Progress;
use shmlab_checker::model::Lab;
use shmlab_checker::report::list;

use super::check;

fn file() -> impl Strategy<Value = String> {
    let lab = proptest::sample::select(vec!["create", "memo", "share", "nope"]);
    let number = prop_oneof![
        proptest::sample::select(vec![
            "0",
            "1",
            "-1",
            "18446744073709551615",
            "9223372036854775807",
            "-9223372036854775808",
        ])
        .prop_map(str::to_string),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
    ];
    let line = prop_oneof![
        (lab.clone(), number.clone()).prop_map(|(l, n)| format!("hint {l} {n}")),
        (lab.clone(), number.clone()).prop_map(|(l, n)| format!("hint c {l} {n}")),
        prop_oneof![Just("rust"), Just("c"), Just("x")].prop_map(|t| format!("track {t}")),
        (lab, number).prop_map(|(l, n)| format!("done rust {l} {n}")),
        any::<String>(),
    ];
    proptest::collection::vec(line, 0..8).prop_map(|l| l.join("\n"))
}

fn reads((text, levels): (String, usize)) -> Result<(), TestCaseError> {
    let mut p = Progress::parse(&text);
    prop_assert_eq!(Progress::parse(&p.render()), p.clone());
    for lab in Lab::ALL {
        let first = p.done.get(&("rust".to_string(), lab)).copied();
        let _ = list::progress_text(first, p.hints_seen("rust", lab), levels);
        let level = p.next_hint("rust", lab, levels).level;
        prop_assert!(level >= 1 && level <= levels.max(1));
    }
    Ok(())
}

#[test]
fn any_progress_file_reads_and_gives_a_hint_level_without_panic() {
    let levels = prop_oneof![0..6usize, Just(usize::MAX)];
    check(
        "any_progress_file_reads_and_gives_a_hint_level_without_panic",
        256,
        move || (file(), levels),
        reads,
    );
}
