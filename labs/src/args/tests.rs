//! Every lab's argument parsing, tested through its `parse`: no command line, no exit.

use shm::{Key, Mode};

use super::*;
use crate::share::{SHARE_SEGMENT_SIZE, SHARE_TEXT_MAX};

fn create(args: &[&str]) -> Result<CreateArgs, UsageError> {
    CreateArgs::parse(args)
}

#[test]
fn create_defaults_to_mode_0644_not_exclusive() {
    assert_eq!(
        create(&["0x1234", "4096"]).unwrap(),
        CreateArgs {
            key: Key::new(0x1234),
            size: 4096,
            mode: Mode::new(0o644),
            exclusive: false,
        }
    );
}

#[test]
fn create_accepts_options_in_any_position() {
    let want = CreateArgs {
        key: Key::new(0o17),
        size: 5000,
        mode: Mode::new(0o600),
        exclusive: true,
    };
    assert_eq!(
        create(&["017", "5000", "--mode", "600", "--exclusive"]).unwrap(),
        want
    );
    assert_eq!(
        create(&["--exclusive", "017", "--mode=0600", "5000"]).unwrap(),
        want
    );
}

#[test]
fn key_parses_like_strtol_base_zero() {
    let key = |s| KeyArgs::parse("access", &[s]).unwrap().key;
    assert_eq!(key("4660"), Key::new(0x1234));
    assert_eq!(key("0x1234"), Key::new(0x1234));
    assert_eq!(key("011064"), Key::new(0x1234));
    assert_eq!(key("0xffffffff"), Key::new(-1));
    assert_eq!(key("-1"), Key::new(-1));
}

#[test]
fn key_zero_and_a_key_with_spaces_are_bad_usage_with_the_reason() {
    let err = |s| KeyArgs::parse("access", &[s]).unwrap_err().to_string();
    assert_eq!(
        err("0"),
        "access: invalid key '0': 0 is IPC_PRIVATE, a new segment every time that no other program can find by its key: give a non-zero key\nusage: access KEY"
    );
    assert!(err("0x0").contains("0 is IPC_PRIVATE"));
    for s in [" 0x10", "0x10 ", "12abc", ""] {
        assert!(
            err(s).starts_with(&format!("access: invalid key '{s}': expected a number")),
            "{s:?}: {}",
            err(s)
        );
    }
}

#[test]
fn create_without_size_names_what_is_missing() {
    let e = create(&["0x1234"]).unwrap_err();
    assert_eq!(e.message(), "missing SIZE");
    assert_eq!(
        e.to_string(),
        "create: missing SIZE\nusage: create KEY SIZE [--mode OCTAL] [--exclusive]"
    );
}

#[test]
fn create_rejects_bad_numbers_and_modes() {
    assert!(create(&["0x1234", "0x10"]).is_err(), "SIZE is decimal");
    assert!(create(&["0x1234", "-5"]).is_err());
    assert!(create(&["0x1234", "4k"]).is_err());
    assert!(create(&["zz", "4096"]).is_err());
    assert!(create(&["1", "4096", "--mode", "999"]).is_err());
    assert!(create(&["1", "4096", "--mode", "1644"]).is_err());
    assert!(create(&["1", "4096", "--mode"]).is_err());
}

#[test]
fn create_rejects_unknown_repeated_and_extra_arguments() {
    let msg = |args: &[&str]| create(args).unwrap_err().message().to_string();
    assert_eq!(msg(&["1", "2", "3"]), "unexpected argument '3'");
    assert_eq!(msg(&["1", "2", "--excl"]), "unknown option '--excl'");
    assert_eq!(
        msg(&["1", "2", "--exclusive", "--exclusive"]),
        "--exclusive given twice"
    );
    assert_eq!(
        msg(&["1", "2", "--exclusive=yes"]),
        "--exclusive takes no value"
    );
    assert_eq!(msg(&[]), "missing KEY");
}

#[test]
fn size_zero_is_left_for_the_kernel_to_refuse() {
    assert_eq!(create(&["1", "0"]).unwrap().size, 0);
}

#[test]
fn key_labs_take_exactly_one_key() {
    assert_eq!(
        KeyArgs::parse("stat", &["0x10"]).unwrap(),
        KeyArgs { key: Key::new(16) }
    );
    let e = KeyArgs::parse::<&str>("stat", &[]).unwrap_err();
    assert_eq!(e.to_string(), "stat: missing KEY\nusage: stat KEY");
    assert!(KeyArgs::parse("remove", &["1", "2"]).is_err());
    assert!(KeyArgs::parse("remove", &["1", "--force"]).is_err());
}

#[test]
fn attach_reads_by_default() {
    assert_eq!(
        AttachArgs::parse(&["42"]).unwrap(),
        AttachArgs {
            key: Key::new(42),
            write: None,
            readonly: false,
        }
    );
    assert!(AttachArgs::parse(&["42", "--readonly"]).unwrap().readonly);
}

#[test]
fn attach_write_takes_the_next_argument_verbatim() {
    let args = AttachArgs::parse(&["42", "--write", "--not-an-option"]).unwrap();
    assert_eq!(args.write.as_deref(), Some("--not-an-option"));
    let args = AttachArgs::parse(&["--write", "", "42"]).unwrap();
    assert_eq!(args.write.as_deref(), Some(""));
    let args = AttachArgs::parse(&["42", "--write=a=b c"]).unwrap();
    assert_eq!(args.write.as_deref(), Some("a=b c"));
}

#[test]
fn attach_refuses_to_write_through_a_readonly_attachment() {
    assert!(AttachArgs::parse(&["42", "--write", "hi", "--readonly"]).is_err());
}

#[test]
fn set_requires_mode_and_takes_optional_owner() {
    assert_eq!(
        SetArgs::parse(&["0x10", "--mode", "640"]).unwrap(),
        SetArgs {
            key: Key::new(16),
            mode: Mode::new(0o640),
            uid: None,
            gid: None,
        }
    );
    assert_eq!(
        SetArgs::parse(&["0x10", "--gid", "4343", "--mode", "600", "--uid", "4242"]).unwrap(),
        SetArgs {
            key: Key::new(16),
            mode: Mode::new(0o600),
            uid: Some(4242),
            gid: Some(4343),
        }
    );
    let e = SetArgs::parse(&["0x10"]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "set: --mode is required\nusage: set KEY --mode OCTAL [--uid UID] [--gid GID]"
    );
    assert!(SetArgs::parse(&["0x10", "--mode", "600", "--uid", "-1"]).is_err());
    assert!(SetArgs::parse(&["0x10", "--mode", "600", "--gid", "4294967296"]).is_err());
}

#[test]
fn a_lone_double_dash_ends_the_options() {
    let args = KeyArgs::parse("access", &["--", "-1"]).unwrap();
    assert_eq!(args.key, Key::new(-1));
}

#[test]
fn share_takes_a_key_and_a_text_of_1_to_1023_bytes() {
    assert_eq!(
        ShareArgs::parse(&["0x1234", "hello from the child"]).unwrap(),
        ShareArgs {
            key: Key::new(0x1234),
            text: "hello from the child".into(),
        }
    );
    let longest = "x".repeat(SHARE_TEXT_MAX);
    assert_eq!(ShareArgs::parse(&["1", &longest]).unwrap().text, longest);
    assert_eq!(SHARE_SEGMENT_SIZE, 1024);
    let msg = |args: &[&str]| ShareArgs::parse(args).unwrap_err().to_string();
    assert_eq!(
        msg(&["0x1234"]),
        "share: missing TEXT\nusage: share KEY TEXT"
    );
    assert_eq!(
        msg(&["0x1234", ""]),
        "share: TEXT is empty: give the child something to write\nusage: share KEY TEXT"
    );
    assert!(msg(&["1", &"x".repeat(1024)]).starts_with("share: TEXT is 1024 bytes: at most 1023"));
    assert!(ShareArgs::parse(&["1", "a", "b"]).is_err());
    assert!(ShareArgs::parse(&["zz", "a"]).is_err());
}

#[test]
fn share_text_may_start_with_dashes_after_a_lone_double_dash() {
    assert!(ShareArgs::parse(&["1", "--x"]).is_err());
    assert_eq!(ShareArgs::parse(&["1", "--", "--x"]).unwrap().text, "--x");
    assert_eq!(ShareArgs::parse(&["1", "-x"]).unwrap().text, "-x");
}
