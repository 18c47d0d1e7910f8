//! The build `cargo shmlab` makes (without the `full` feature) checks labs as the full one
//! does, and hands the commands it leaves out to the full build of the same checkout, through
//! the cargo that ran it; run by hand, without cargo, it says in one sentence what to do.

mod common;

use std::path::PathBuf;
use std::process::Command;

/// Both builds, in a target directory of their own: the tests' own `shmlab` stays the full
/// one, and the cargo running these tests holds the lock of its target directory.
fn lean_target() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| common::workspace().join("target"));
    target.join("lean-build")
}

fn cargo() -> Command {
    let mut cmd = Command::new(env!("CARGO"));
    cmd.current_dir(common::workspace())
        .env("CARGO_TARGET_DIR", lean_target())
        .env_remove("SHMLAB_FROM_LEAN_BUILD");
    cmd
}

/// The lean `shmlab`, built as the alias builds it; a copy, since a full build in the same
/// target directory puts its own binary at the same path.
fn lean_binary() -> PathBuf {
    let status = cargo()
        .args(["build", "--quiet", "--package", "shmlab-checker"])
        .args(["--no-default-features", "--bin", "shmlab"])
        .status()
        .unwrap();
    assert!(
        status.success(),
        "the build without the full feature failed"
    );
    let copy = lean_target().join("shmlab-lean");
    std::fs::copy(lean_target().join("debug/shmlab"), &copy).unwrap();
    copy
}

#[test]
fn the_lean_build_hands_what_it_leaves_out_to_the_full_build() {
    let lean = lean_binary();

    // Through cargo (as `cargo shmlab man` runs it): the full build prints the page.
    let out = cargo()
        .args(["run", "--quiet", "--package", "shmlab-checker"])
        .args([
            "--no-default-features",
            "--bin",
            "shmlab",
            "--",
            "man",
            "check",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("the manual pages: running the full checker"),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with(".ie"));

    // The JSON Schema and a JUnit usage error are handed on too, with the full build's answer.
    let schema = cargo()
        .args(["run", "--quiet", "--package", "shmlab-checker"])
        .args(["--no-default-features", "--bin", "shmlab", "--"])
        .args(["assignment", "schema"])
        .output()
        .unwrap();
    assert!(schema.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&schema.stdout).unwrap();
    assert!(doc["properties"].is_object(), "{doc}");
    let junit = cargo()
        .args(["run", "--quiet", "--package", "shmlab-checker"])
        .args(["--no-default-features", "--bin", "shmlab", "--"])
        .args(["check", "nosuchlab", "--format", "junit"])
        .output()
        .unwrap();
    assert_eq!(junit.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&junit.stdout).contains("<testsuites"));

    // By hand, with no cargo that ran it: one sentence, the usage status, no page.
    for args in [&["man"][..], &["gradescope"], &["assignment", "schema"]] {
        let out = Command::new(&lean)
            .args(args)
            .env_remove("CARGO")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(
            stderr.contains("this shmlab was built without them")
                && stderr.contains("cargo run -p shmlab-checker"),
            "{args:?}: {stderr}"
        );
    }

    // What a student runs works in the lean build itself: the labs' list, a hint.
    let out = Command::new(&lean)
        .args(["explain", "nattch"])
        .env_remove("CARGO")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(!out.stdout.is_empty());
}
