//! Issue 20: a memo program that makes a 200-byte segment and fills it with 200 bytes of text
//! (no NUL) made the checker panic, exit 3 and lose all 13 scenarios. Now every scenario is
//! reported, in every format, and the long text's failure says why.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{json_report, outcomes, shmlab, workspace};

/// The fixture, compiled once for both tests (one must not run it while the other writes it).
fn program() -> &'static Path {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    EXE.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("memo-full-segment");
        std::fs::create_dir_all(&dir).unwrap();
        let exe = dir.join("memo");
        let ok = std::process::Command::new("cc")
            .args(["-Wall", "-Wextra", "-O1", "-o"])
            .arg(&exe)
            .arg(workspace().join("checker/fixtures/c/memo_no_room_for_nul.c"))
            .status()
            .expect("the system C compiler (cc) runs")
            .success();
        assert!(ok, "memo_no_room_for_nul.c compiles");
        exe
    })
}

#[test]
fn text_filling_a_200_byte_segment_gets_all_13_memo_scenarios_reported_with_the_reason() {
    let exe = program();
    let (code, doc) = json_report(shmlab().args(["check", "memo", "--program"]).arg(exe));
    assert_eq!(code, 1, "failures, not the checker's own error:\n{doc:#}");
    let outcomes = outcomes(&doc);
    assert_eq!(outcomes.len(), 13, "{outcomes:?}");
    assert!(
        !outcomes.values().any(|o| o == "error"),
        "no scenario is lost to the checker: {outcomes:?}"
    );
    assert_eq!(outcomes["memo/long-text"], "failed");
    let long = doc["tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"].as_str().unwrap().starts_with("memo/long-text"))
        .unwrap()
        .to_string();
    assert!(
        long.contains("the segment is only 200 bytes, so the 200 bytes of text fill it and leave no room for the NUL"),
        "{long}"
    );
    assert!(long.contains("create it with size 201"), "{long}");
    let text = doc.to_string();
    assert!(!text.contains("the checker failed"), "{text}");
}

#[test]
fn text_filling_a_200_byte_segment_is_reported_in_every_format_without_a_panic() {
    let exe = program();
    for format in ["human", "json", "junit", "github"] {
        let out = shmlab()
            .args(["check", "memo", "--format", format, "--program"])
            .arg(exe)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{format}:\n{stdout}\n{stderr}");
        let all = if format == "junit" {
            r#"tests="13""#
        } else {
            "13 scenarios"
        };
        assert!(stdout.contains(all), "{format}:\n{stdout}");
        for said in [
            "panicked",
            "the checker itself failed",
            "the checker failed",
        ] {
            assert!(!stderr.contains(said), "{format}: {stderr}");
            assert!(!stdout.contains(said), "{format}: {stdout}");
        }
    }
}
