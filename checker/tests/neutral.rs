//! Whatever a program controls (its output, the arguments of what it execs, its own file
//! name) is shown neutral in every report: it cannot forge a line, write on the terminal or
//! hide text (checker/fixtures/hostile/forged_argv.c).

mod common;

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{shared_tempdir, shmlab, workspace};

/// The lines the fixture's arguments would forge, as they would start a line.
const FORGED: [&str; 3] = [
    "[1] shmdt(0x1) = 0 FORGED-LINE",
    "PASS  create/default-mode",
    "PASS  forged",
];

/// Characters that must never reach the reader raw: ESC, BEL, CR, and those that hide or
/// reorder text (Arabic letter mark, word joiner, a tag character, soft hyphen, a
/// right-to-left override).
const HIDDEN: [char; 8] = [
    '\x1b',
    '\x07',
    '\r',
    '\u{61c}',
    '\u{2060}',
    '\u{e0041}',
    '\u{ad}',
    '\u{202e}',
];

/// The fixture, compiled, under its own name and under a name that forges a line too.
fn programs(dir: &Path) -> [PathBuf; 2] {
    let exe = dir.join("forged_argv");
    let ok = Command::new("cc")
        .args(["-Wall", "-Wextra", "-O1", "-o"])
        .arg(&exe)
        .arg(workspace().join("checker/fixtures/hostile/forged_argv.c"))
        .status()
        .unwrap()
        .success();
    assert!(ok, "forged_argv.c compiles");
    let named = dir.join("forged\nPASS  forged\x1b[2J\u{202e}");
    std::fs::copy(&exe, &named).unwrap();
    [exe, named]
}

/// Fails when `text` (what `what` printed on one stream) has a forged line or a hidden
/// character.
fn assert_neutral(what: &str, text: &[u8]) {
    let text = String::from_utf8_lossy(text);
    for line in text.split('\n') {
        for forged in FORGED {
            assert!(
                !line.starts_with(forged),
                "{what}: a line starts with {forged:?}:\n{text}"
            );
        }
    }
    for c in HIDDEN {
        assert!(!text.contains(c), "{what}: {c:?} is shown raw:\n{text}");
    }
}

/// Runs `cmd`, checks both its streams, and returns its stdout.
fn neutral_output(what: &str, cmd: &mut assert_cmd::Command) -> String {
    let out = cmd.output().unwrap();
    assert_neutral(&format!("{what} (stdout)"), &out.stdout);
    assert_neutral(&format!("{what} (stderr)"), &out.stderr);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_programs_exec_arguments_and_output_are_shown_neutral_in_the_report() {
    let dir = shared_tempdir("shmlab-neutral-");
    for exe in programs(dir.path()) {
        let name = String::from_utf8_lossy(exe.file_name().unwrap().as_bytes()).into_owned();
        for args in [
            &["--verbose"][..],
            &[][..],
            &["--format", "github"][..],
            &["--format", "junit"][..],
        ] {
            let what = format!("check {args:?} of {name:?}");
            let text = neutral_output(
                &what,
                shmlab()
                    .args(["check", "create/default-mode"])
                    .args(args)
                    .arg("--program")
                    .arg(&exe),
            );
            if args.is_empty() || args == ["--verbose"] {
                assert!(
                    text.contains(r"hidden\u{61c}mark\u{2060}joiner\u{e0041}tag\u{ad}hyphen"),
                    "{what}: stderr is shown escaped:\n{text}"
                );
            }
            if args == ["--verbose"] && text.contains("tracing: on") {
                assert!(
                    text.contains(r"runs `true \n[1] shmdt(0x1) = 0 FORGED-LINE \nPASS  create/default-mode \u{1b}[2J \u{7} \r`"),
                    "{what}: the exec is shown escaped, on its line:\n{text}"
                );
            }
        }
        // The JSON keeps the data raw; the text it shows a person is neutral.
        let out = shmlab()
            .args([
                "check",
                "create/default-mode",
                "--format",
                "json",
                "--program",
            ])
            .arg(&exe)
            .output()
            .unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let shown = doc["tests"][0]["output"].as_str().unwrap();
        assert_neutral(&format!("the JSON output of {name:?}"), shown.as_bytes());
        assert!(shown.contains(r"\u{61c}"), "{shown}");
        assert!(doc["tests"][0]["extra_data"]["runs"][0]["stderr"]
            .as_str()
            .unwrap()
            .contains('\u{61c}'));
    }
}

#[test]
fn shmlab_trace_shows_a_programs_exec_arguments_and_output_neutral() {
    let dir = shared_tempdir("shmlab-neutral-");
    for exe in programs(dir.path()) {
        let name = String::from_utf8_lossy(exe.file_name().unwrap().as_bytes()).into_owned();
        let what = format!("trace of {name:?}");
        let mut cmd = shmlab();
        cmd.arg("trace").arg("--").arg(&exe);
        let text = neutral_output(&what, &mut cmd);
        assert!(
            text.contains(r"runs `true \n[1] shmdt(0x1) = 0 FORGED-LINE \nPASS  create/default-mode \u{1b}[2J \u{7} \r`"),
            "{what}: the exec is shown escaped, on its line:\n{text}"
        );
        assert!(
            text.contains(
                "--- stderr\nhidden\\u{61c}mark\\u{2060}joiner\\u{e0041}tag\\u{ad}hyphen\n"
            ),
            "{what}: stderr is shown escaped, line by line:\n{text}"
        );
    }
}
