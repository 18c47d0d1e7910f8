//! Deliberately buggy lab programs (C and Rust, `checker/fixtures/`) each fail their lab in
//! the scenarios the manifest names, with the expected field flagged and a diagnosis, and
//! still pass the scenarios their bug does not touch.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::{json_report, outcomes, shmlab, workspace};
use serde_json::Value;

fn manifest() -> Vec<Value> {
    let text = std::fs::read_to_string(workspace().join("checker/fixtures/manifest.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Compiles every C fixture once per test run, with the system `cc`, into cargo's directory
/// for integration tests' files (under `target/`, so nothing is left in /tmp; the checker
/// copies a program uid 65534 cannot reach).
fn c_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("c-fixtures");
        std::fs::create_dir_all(&dir).unwrap();
        for f in manifest() {
            let source = f["source"].as_str().unwrap();
            if let Some(file) = source.strip_prefix("c/").filter(|f| f.ends_with(".c")) {
                let out = dir.join(file.trim_end_matches(".c"));
                let status = Command::new("cc")
                    .args(["-Wall", "-Wextra", "-O1", "-o"])
                    .arg(&out)
                    .arg(workspace().join("checker/fixtures/c").join(file))
                    .status()
                    .expect("the system C compiler (cc) runs");
                assert!(status.success(), "{file} compiles");
            }
        }
        dir
    })
}

/// A python3 every user can reach where there is one (uid 65534 runs the programs when the
/// tests are root); any python3 on PATH otherwise.
fn python() -> PathBuf {
    ["/usr/bin/python3", "/usr/local/bin/python3"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .or_else(|| {
            std::env::split_paths(&std::env::var_os("PATH")?)
                .map(|d| d.join("python3"))
                .find(|p| p.exists())
        })
        .expect("the fixture tests need python3 (any python3 on PATH)")
}

fn program(f: &Value) -> PathBuf {
    let source = f["source"].as_str().unwrap();
    if let Some(bin) = source.strip_prefix("rust:") {
        return common::built("shmlab-fixtures")[bin].clone();
    }
    if source.ends_with(".c") {
        return c_dir().join(source.trim_start_matches("c/").trim_end_matches(".c"));
    }
    // A script: copied next to the C fixtures, executable, with an interpreter the
    // program's user can reach.
    let text = std::fs::read_to_string(workspace().join("checker/fixtures").join(source)).unwrap();
    let text = text.replacen(
        "#!/usr/bin/env python3",
        &format!("#!{}", python().display()),
        1,
    );
    let out = c_dir().join(source.replace('/', "-"));
    std::fs::write(&out, text).unwrap();
    std::fs::set_permissions(&out, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    out
}

/// Every hint, note and output line of the failed scenarios, for the phrases a fixture's
/// report must not contain.
fn said(doc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for t in doc["tests"].as_array().unwrap() {
        out.push(t["output"].as_str().unwrap_or("").to_string());
        for c in t["extra_data"]["checks"].as_array().into_iter().flatten() {
            for k in ["hint", "note"] {
                if let Some(h) = c[k].as_str() {
                    out.push(h.to_string());
                }
            }
        }
    }
    out
}

/// A correct program (a `passes_all` entry): every scenario passes (or is skipped where the
/// environment does not allow it), with the notes the manifest names.
fn check_correct(f: &Value, doc: &Value, code: i32) -> Vec<String> {
    let name = f["name"].as_str().unwrap();
    let mut problems = Vec::new();
    if code != 0 {
        problems.push(format!("{name}: exit status {code}, expected 0"));
    }
    for (slug, outcome) in outcomes(doc) {
        if outcome != "passed" && outcome != "skipped" {
            problems.push(format!(
                "{name}: {slug} should pass, was {outcome}:\n{}",
                said(doc).join("\n")
            ));
        }
    }
    for note in f["notes"].as_array().into_iter().flatten() {
        let note = note.as_str().unwrap();
        if !said(doc).iter().any(|s| s.contains(note)) {
            problems.push(format!("{name}: no note saying {note:?}"));
        }
    }
    problems
}

fn check_fixture(f: &Value, isolation: &str, extra: &[&str]) -> Vec<String> {
    let name = f["name"].as_str().unwrap();
    let lab = f["lab"].as_str().unwrap();
    let (code, doc) = json_report(
        shmlab()
            .args(["check", lab, "--isolation", isolation])
            .args(extra)
            .arg("--program")
            .arg(program(f)),
    );
    if f["needs"] == "trace" && doc["extra_data"]["tracing"]["on"] != true {
        eprintln!("{name}: tracing is off, so its mistake cannot be seen");
        return Vec::new();
    }
    if f["passes_all"] == true {
        return check_correct(f, &doc, code);
    }
    let got = outcomes(&doc);
    let mut problems = Vec::new();
    for phrase in f["absent"].as_array().into_iter().flatten() {
        let phrase = phrase.as_str().unwrap();
        if let Some(s) = said(&doc).iter().find(|s| s.contains(phrase)) {
            problems.push(format!(
                "{name}: the report says the false {phrase:?}:\n{s}"
            ));
        }
    }
    if let Some(problem) = f["problem"].as_str() {
        // A lab problem: said once for the lab, the same for every scenario, never a
        // student's failed check.
        let said_for_lab = doc["extra_data"]["labs"][0]["problem"]
            .as_str()
            .unwrap_or("");
        if !said_for_lab.contains(problem) {
            problems.push(format!(
                "{name}: the lab's problem should say {problem:?}, was {said_for_lab:?}"
            ));
        }
        if code != 1 {
            problems.push(format!("{name}: exit status {code}, expected 1"));
        }
        return problems;
    }
    // Not root, the scenarios that need other uids are skipped: a fixture whose mistake only
    // they show then has nothing to fail.
    let all_skipped = f["fails"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| got.get(s.as_str().unwrap()).map(String::as_str) == Some("skipped"));
    if code != 1 && !(code == 0 && all_skipped && !common::is_root()) {
        problems.push(format!("{name}: exit status {code}, expected 1"));
    }
    let traced = doc["extra_data"]["tracing"]["on"] == true;
    let fails = f["fails"].as_array().unwrap().iter();
    // Mistakes only the timeline shows: failed when traced, passed when not.
    let fails_traced: Vec<&Value> = f["fails_traced"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    for slug in fails.chain(fails_traced.iter().copied().filter(|_| traced)) {
        let slug = slug.as_str().unwrap();
        // Scenarios that need root are skipped elsewhere, which is fine.
        match got.get(slug).map(String::as_str) {
            Some("failed") => {}
            Some("skipped") if !common::is_root() => {}
            other => problems.push(format!("{name}: {slug} should fail, was {other:?}")),
        }
    }
    let passes = f["passes"].as_array().unwrap().iter();
    for slug in passes.chain(fails_traced.iter().copied().filter(|_| !traced)) {
        let slug = slug.as_str().unwrap();
        match got.get(slug).map(String::as_str) {
            Some("passed") => {}
            Some("skipped") if !common::is_root() => {}
            other => problems.push(format!("{name}: {slug} should pass, was {other:?}")),
        }
    }
    let field = f["field"].as_str().unwrap();
    // Untraced, a hint says less: it may name the mistake in other words.
    let diagnosis = f["diagnosis_untraced"]
        .as_str()
        .filter(|_| !traced)
        .or(f["diagnosis"].as_str())
        .unwrap_or("");
    let first_fail = f["diagnosed_in"]
        .as_str()
        .unwrap_or_else(|| f["fails"][0].as_str().unwrap());
    let test = doc["tests"].as_array().unwrap().iter().find(|t| {
        t["name"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{first_fail}:"))
    });
    if let Some(why) = f["diagnosis_needs_root"]
        .as_str()
        .filter(|_| !common::is_root())
    {
        eprintln!("{name}: its diagnosis is pinned as root only: {why}");
        return problems;
    }
    if let Some(test) = test.filter(|t| t["extra_data"]["outcome"] == "failed") {
        let checks = test["extra_data"]["checks"].as_array().unwrap();
        let flagged: Vec<&str> = checks
            .iter()
            .filter(|c| c["passed"] == false)
            .map(|c| c["field"].as_str().unwrap())
            .collect();
        if !flagged.contains(&field) {
            problems.push(format!(
                "{name}: {first_fail} should flag `{field}`, flagged {flagged:?}"
            ));
        }
        let output = test["output"].as_str().unwrap();
        if !output.contains(diagnosis) {
            problems.push(format!(
                "{name}: {first_fail} should diagnose {diagnosis:?}, said:\n{output}"
            ));
        }
    }
    problems
}

fn check_all(isolation: &str, extra: &[&str]) {
    let mut problems = Vec::new();
    let fixtures: Vec<Value> = manifest()
        .into_iter()
        .filter(|f| f["needs_trace"] != true)
        .collect();
    assert!(fixtures.len() >= 14, "at least two fixtures per lab");
    for lab in common::LABS {
        let n = fixtures.iter().filter(|f| f["lab"] == lab).count();
        assert!(n >= 2, "{lab} has {n} fixtures");
    }
    for f in &fixtures {
        problems.extend(check_fixture(f, isolation, extra));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn buggy_fixtures_fail_with_the_right_diagnosis_in_namespace_mode() {
    check_all("namespace", &[]);
}

#[test]
fn buggy_fixtures_fail_with_the_right_diagnosis_in_keys_mode() {
    check_all("keys", &[]);
}

#[test]
fn buggy_fixtures_fail_on_the_after_the_run_checks_alone_without_tracing() {
    check_all("namespace", &["--no-trace"]);
}

#[test]
fn without_tracing_the_timeline_checks_are_skipped_with_the_reason() {
    let f = manifest()
        .into_iter()
        .find(|f| f["name"] == "c-detach-never-shmdt")
        .unwrap();
    let (_, doc) = json_report(
        shmlab()
            .args(["check", "detach", "--no-trace", "--program"])
            .arg(program(&f)),
    );
    assert_eq!(doc["extra_data"]["tracing"]["on"], false);
    assert!(doc["extra_data"]["tracing"]["why"]
        .as_str()
        .unwrap()
        .contains("--no-trace"));
    let test = &doc["tests"][0];
    let skipped: Vec<&Value> = test["extra_data"]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["skipped"].is_string())
        .collect();
    assert!(!skipped.is_empty(), "{test:#}");
    for c in skipped {
        assert_eq!(c["field"], "timeline");
        assert!(c["skipped"].as_str().unwrap().contains("--no-trace"));
    }
    // The after-the-run checks still ran: the program's output was judged.
    let judged = test["extra_data"]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["field"] == "stdout")
        .count();
    assert_eq!(judged, 1);
}

#[test]
fn a_program_that_cannot_start_is_said_once_for_its_lab_with_the_reason() {
    let f = manifest()
        .into_iter()
        .find(|f| f["name"] == "sh-create-cannot-start-126")
        .unwrap();
    let out = shmlab()
        .args(["check", "create", "--program"])
        .arg(program(&f))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.matches("could not start as uid").count(), 1, "{text}");
    assert!(
        text.contains("exit status 126") || text.contains("status 126"),
        "{text}"
    );
    assert!(
        text.contains("Permission denied"),
        "the reason, from its stderr: {text}"
    );
    // Its stderr is not read as an errno, and no scenario blames its shm calls.
    assert!(!text.contains("EACCES"), "{text}");
    assert!(
        !text.contains("likely mistake") && !text.contains("→"),
        "{text}"
    );
}
