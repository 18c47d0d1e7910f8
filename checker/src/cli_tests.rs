//! Tests of the command line's conversion into a plan.
use super::*;

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn scenarios_are_selected_by_slug_in_catalogue_order() {
    let s = selection(&names(&[
        "stat/fresh",
        "create/mode-600",
        "create/default-mode",
    ]))
    .unwrap();
    assert_eq!(
        s.labs,
        vec![
            (
                Lab::Create,
                Scenarios::Only(vec!["create/default-mode", "create/mode-600"])
            ),
            (Lab::Stat, Scenarios::Only(vec!["stat/fresh"])),
        ]
    );
}

#[test]
fn a_lab_name_selects_all_its_scenarios_even_next_to_one_of_them() {
    let s = selection(&names(&["create/mode-600", "create"])).unwrap();
    assert_eq!(s.labs, vec![(Lab::Create, Scenarios::All)]);
    assert_eq!(selection(&[]).unwrap(), Selection::everything());
}

#[test]
fn unknown_labs_and_scenarios_get_the_nearest_name() {
    let e = selection(&names(&["creat"])).unwrap_err().to_string();
    assert!(e.contains("did you mean 'create'"), "{e}");
    let e = selection(&names(&["create/default-mod"]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("did you mean 'create/default-mode'"), "{e}");
    let e = selection(&names(&["crate/default-mode"]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("did you mean 'create/default-mode'"), "{e}");
}
