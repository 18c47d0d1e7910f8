use std::path::Path;

use super::*;

const SMALL: &str = r#"
name = "small"

[[scenario]]
name = "once"

[[scenario.run]]
answers = ["change: yes", "text: hi", "delete: no"]
expect = { segment = "exists", size_at_least = 200, text = "hi" }
"#;

#[test]
fn a_small_assignment_reads_with_its_defaults() {
    let a = parse(SMALL, Path::new("small.toml")).unwrap();
    assert_eq!(a.segment.find, Find::Created);
    assert_eq!(a.checks.leak_per_run.weight(), Weight::Fail);
    assert_eq!(a.scenarios[0].runs[0].answers.len(), 3);
    assert_eq!(a.scenarios[0].points, 1);
    assert_eq!(a.program.sources, ["*.c"]);
}

#[test]
fn an_unknown_field_is_pointed_at_by_line_and_column() {
    let text = SMALL.replace("size_at_least", "size_atleast");
    let e = parse(&text, Path::new("a.toml")).unwrap_err();
    assert_eq!((e.line, e.path.as_str()), (9, "a.toml"));
    assert!(e.column > 1, "{e}");
    assert!(e.message.contains("size_atleast"), "{e}");
}

#[test]
fn a_bad_answer_is_pointed_at_with_the_words_it_takes() {
    let text = SMALL.replace("\"delete: no\"", "\"delete: maybe\"");
    let e = parse(&text, Path::new("a.toml")).unwrap_err();
    assert_eq!(e.line, 8, "{e}");
    assert!(e.message.contains("yes or no"), "{e}");
}

#[test]
fn a_bad_pattern_and_a_bad_mode_are_refused() {
    let text = SMALL.replace("text = \"hi\"", "created_says = \"(creat\"");
    assert!(parse(&text, Path::new("a.toml"))
        .unwrap_err()
        .message
        .contains("regular expression"));
    let text = SMALL.replace("text = \"hi\"", "mode = \"0999\"");
    assert!(parse(&text, Path::new("a.toml"))
        .unwrap_err()
        .message
        .contains("octal"));
}

#[test]
fn a_setup_without_a_known_key_is_refused_at_its_own_line_and_column() {
    // A comment that names a setup first: the error is at the scenario's own.
    let text = SMALL
        .replace("name = \"small\"", "name = \"small\"\n# no setup here")
        .replace(
            "name = \"once\"",
            "name = \"once\"\n  setup = [{ size = 10 }]",
        );
    let e = parse(&text, Path::new("a.toml")).unwrap_err();
    assert!(e.message.contains("find = \"created\""), "{e}");
    assert!(e.message.contains("cannot know the key"), "{e}");
    assert_eq!((e.line, e.column), (7, 3), "{e}");
}

#[test]
fn a_setup_is_made_at_the_fixed_key_or_the_key_passed() {
    let setup = SMALL.replace(
        "name = \"once\"",
        "name = \"once\"\nsetup = [{ size = 10, text = \"old\" }]",
    );
    for find in [
        "[segment]\nfind = \"key\"\nkey = \"0x1234\"\n",
        "[segment]\nfind = \"argument\"\n",
    ] {
        let text = setup.replace("[[scenario]]", &format!("{find}\n[[scenario]]"));
        let a = parse(&text, Path::new("a.toml")).unwrap_or_else(|e| panic!("{find}: {e}"));
        assert_eq!(a.scenarios[0].setup[0].text, "old");
    }
}

#[test]
fn a_fixed_key_of_zero_is_refused() {
    let text = SMALL.replace(
        "[[scenario]]",
        "[segment]\nfind = \"key\"\nkey = \"0\"\n\n[[scenario]]",
    );
    let e = parse(&text, Path::new("a.toml")).unwrap_err();
    assert!(e.message.contains("IPC_PRIVATE"), "{e}");
}

#[test]
fn the_schema_describes_the_scenarios() {
    let s = schema();
    assert!(s.contains("\"scenario\""), "{s}");
    assert!(s.contains("size_at_least"), "{s}");
}

#[test]
fn the_shipped_assignment_reads() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../assignments/shmegegge.toml");
    let a = load(&path).unwrap();
    assert_eq!(a.name, "shmegegge");
}

#[test]
fn a_listed_file_outside_the_submissions_folder_is_refused() {
    for bad in ["../secret", "/etc/passwd", ""] {
        let text = SMALL.replace(
            "[[scenario]]",
            &format!("[program]\nfiles = [\"keyfile\", \"{bad}\"]\n\n[[scenario]]"),
        );
        let e = parse(&text, Path::new("a.toml")).unwrap_err();
        assert!(
            e.message
                .contains("is not a file of the submission's folder"),
            "{bad}: {e}"
        );
        assert_eq!(e.line, 5, "{bad}: {e}");
    }
    let text = SMALL.replace(
        "[[scenario]]",
        "[program]\nfiles = [\"keyfile\", { name = \"data/in.txt\", text = \"1 2\" }]\n\n[[scenario]]",
    );
    let a = parse(&text, Path::new("a.toml")).unwrap();
    assert_eq!(a.program.files[1].name(), "data/in.txt");
    assert_eq!(a.program.files[1].text(), "1 2");
    assert!(!a.program.files[0].is_given());
}
