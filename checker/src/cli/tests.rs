//! Tests of the command line's conversion into a plan.
use super::*;
use crate::plan::{Plan, Scenarios};
use std::ffi::OsStr;

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

/// `$'\xff'` as bash passes it: a byte that is not UTF-8.
fn not_utf8(prefix: &str) -> OsString {
    let mut bytes = prefix.as_bytes().to_vec();
    bytes.push(0xff);
    OsStr::from_bytes(&bytes).to_os_string()
}

/// The plan for `shmlab ARGS`, or the usage error.
fn plan(args: Vec<OsString>) -> Result<Plan, UsageError> {
    let mut argv = vec![OsString::from("shmlab")];
    argv.extend(args);
    Cli::try_parse_from(argv).unwrap().into_plan()
}

#[test]
fn a_word_that_is_not_utf8_names_the_word_and_its_bytes() {
    for (args, said) in [
        (
            vec!["check".into(), not_utf8("cr")],
            "'cr\\xFF' is not a lab or a scenario (it is not UTF-8 text)",
        ),
        (vec!["hint".into(), not_utf8("")], "'\\xFF' is not a lab"),
        (
            vec!["explain".into(), not_utf8("EACC")],
            "'EACC\\xFF' is not a topic",
        ),
        (
            vec!["gradescope".into(), "--labs".into(), not_utf8("create,")],
            "'\\xFF' is not a lab",
        ),
    ] {
        let e = plan(args).unwrap_err();
        assert!(matches!(e, UsageError::NotText { .. }), "{e:?}");
        assert!(e.to_string().starts_with(said), "{e}");
    }
}

#[test]
fn trace_keeps_the_program_and_its_arguments_as_bytes() {
    let Plan::Trace(t) = plan(vec![
        "trace".into(),
        "--".into(),
        "true".into(),
        not_utf8("a"),
    ])
    .unwrap() else {
        panic!("not a trace plan");
    };
    assert_eq!(t.command, vec![OsString::from("true"), not_utf8("a")]);
}

#[test]
fn the_error_sink_is_read_whatever_bytes_the_other_arguments_hold() {
    let sink = error_sink(&[
        "shmlab".into(),
        "check".into(),
        not_utf8(""),
        "--format".into(),
        "json".into(),
        "--output".into(),
        "out.json".into(),
    ]);
    assert_eq!(sink.format, Format::Json);
    assert_eq!(sink.output, Some(PathBuf::from("out.json")));
    let sink = error_sink(&[
        "shmlab".into(),
        "--format=junit".into(),
        "--output=r.xml".into(),
        not_utf8(""),
    ]);
    assert_eq!(sink.format, Format::Junit);
    assert_eq!(sink.output, Some(PathBuf::from("r.xml")));
    // After `--` come the traced program's own arguments.
    let sink = error_sink(&[
        "shmlab".into(),
        "trace".into(),
        "--".into(),
        not_utf8(""),
        "--format=json".into(),
    ]);
    assert_eq!(sink.format, Format::Human);
    assert_eq!(sink.output, None);
}
