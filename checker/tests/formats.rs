//! Every format says what happened in its own form, in the `--output` file too: a checker
//! error (it could not check at all) is the JSON error document, a JUnit `<error>`
//! testcase, a GitHub `::error`; a lab that does not compile carries the compiler's errors.

mod common;

use std::path::Path;

use common::shmlab;

/// `check --solutions` with a cargo that does not exist: the checker's own error (exit 3),
/// written as `format` asks, to `--output` when `file` is given.
fn checker_error(format: &str, file: Option<&Path>) -> (i32, String, String) {
    let mut cmd = shmlab();
    cmd.env("CARGO", "/nonexistent/cargo").args([
        "check",
        "create",
        "--solutions",
        "--format",
        format,
    ]);
    if let Some(f) = file {
        cmd.arg("--output").arg(f);
    }
    let out = cmd.output().unwrap();
    let text = match file {
        Some(f) => std::fs::read_to_string(f).unwrap_or_default(),
        None => String::from_utf8_lossy(&out.stdout).into_owned(),
    };
    (
        out.status.code().unwrap_or(-1),
        text,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("shmlab-formats-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap()
}

fn assert_json_error(text: &str) {
    let doc: serde_json::Value =
        serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(doc["score"], 0);
    assert_eq!(doc["extra_data"]["exit_code"], 3, "{doc:#}");
    assert!(
        doc["extra_data"]["error"]
            .as_str()
            .unwrap()
            .starts_with("could not run cargo"),
        "{doc:#}"
    );
}

fn assert_junit_error(text: &str) {
    let doc = quick_junit::Report::deserialize_from_str(text.trim())
        .unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(doc.errors, 1, "{text}");
    assert!(text.contains("type=\"checker-error\""), "{text}");
    assert!(text.contains("could not run cargo"), "{text}");
}

fn assert_github_error(text: &str) {
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "{text}");
    assert!(
        lines[0].starts_with("::error title=shmlab could not check the labs::could not run cargo"),
        "{text}"
    );
}

#[test]
fn a_checker_error_is_written_in_every_format_to_stdout_and_to_the_output_file() {
    let dir = scratch();
    for (format, assert) in [
        ("json", assert_json_error as fn(&str)),
        ("junit", assert_junit_error),
        ("github", assert_github_error),
    ] {
        let (code, text, stderr) = checker_error(format, None);
        assert_eq!(code, 3, "{format}: {stderr}");
        assert(&text);
        let file = dir.path().join(format!("report.{format}"));
        let (code, text, stderr) = checker_error(format, Some(&file));
        assert_eq!(code, 3, "{format}: {stderr}");
        assert(&text);
        assert!(stderr.contains("error: could not run cargo"), "{stderr}");
    }
    // The human format: the sentence on stderr, and in the file when there is one.
    let file = dir.path().join("report.txt");
    let (code, text, _) = checker_error("human", Some(&file));
    assert_eq!(code, 3);
    assert!(text.starts_with("error: could not run cargo"), "{text}");
}

#[test]
fn a_usage_error_is_written_to_the_output_file_in_its_format() {
    let dir = scratch();
    let file = dir.path().join("report.xml");
    let out = shmlab()
        .args(["check", "creat", "--format", "junit", "--output"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let text = std::fs::read_to_string(&file).unwrap();
    let doc = quick_junit::Report::deserialize_from_str(text.trim()).unwrap();
    assert_eq!(doc.errors, 1, "{text}");
    assert!(text.contains("unknown lab"), "{text}");
    // An option clap rejects: the same.
    let file = dir.path().join("report.json");
    let out = shmlab()
        .args(["check", "--format", "json", "--no-such-option", "--output"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(doc["extra_data"]["exit_code"], 2, "{doc:#}");
}

/// A kit whose `labs/c/create.c` does not compile (made here: the tests never read the
/// student's labs).
#[test]
fn a_lab_that_does_not_compile_carries_the_compilers_errors_in_json_junit_and_github() {
    let kit = scratch();
    std::fs::write(kit.path().join("Cargo.toml"), "").unwrap();
    std::fs::create_dir_all(kit.path().join("labs/c")).unwrap();
    std::fs::write(kit.path().join("labs/Cargo.toml"), "").unwrap();
    std::fs::write(
        kit.path().join("labs/c/create.c"),
        "int main(void) { return nope; }\n",
    )
    .unwrap();
    let run = |format: &str| {
        let out = shmlab()
            .current_dir(kit.path())
            .args(["check", "create", "--lang", "c", "--format", format])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let doc: serde_json::Value = serde_json::from_str(&run("json")).unwrap();
    for t in doc["tests"].as_array().unwrap() {
        if t["extra_data"]["outcome"] == "skipped" {
            continue;
        }
        let output = t["output"].as_str().unwrap();
        assert!(output.contains("labs/c/create.c does not compile"), "{t:#}");
        assert!(output.contains("nope"), "the compiler's error: {t:#}");
    }
    let xml = run("junit");
    assert!(xml.contains("type=\"does-not-compile\""), "{xml}");
    assert!(xml.contains("nope"), "{xml}");
    let github = run("github");
    let errors: Vec<&str> = github
        .lines()
        .filter(|l| l.starts_with("::error"))
        .collect();
    assert_eq!(errors.len(), 1, "one annotation for the lab: {github}");
    assert!(
        errors[0].starts_with("::error file=labs/c/create.c,"),
        "{github}"
    );
}

/// `--color`, `NO_COLOR`, `FORCE_COLOR` and `CLICOLOR_FORCE`: escapes only where asked
/// for, and never in an `--output` file unless `--color always`.
#[test]
fn colour_follows_color_and_the_environment_and_never_reaches_a_file_by_itself() {
    let dir = scratch();
    let coloured = |args: &[&str], env: &[(&str, &str)], file: bool| -> bool {
        let mut cmd = shmlab();
        cmd.env_remove("NO_COLOR")
            .env_remove("FORCE_COLOR")
            .env_remove("CLICOLOR_FORCE")
            .args(["check", "access/existing", "--solutions"])
            .args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let path = dir.path().join("report.txt");
        if file {
            cmd.arg("--output").arg(&path);
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        let text = if file {
            std::fs::read(&path).unwrap()
        } else {
            out.stdout
        };
        text.contains(&0x1b)
    };
    assert!(!coloured(&[], &[], false), "not a terminal: no colour");
    assert!(coloured(&["--color", "always"], &[], false));
    assert!(coloured(&[], &[("FORCE_COLOR", "1")], false));
    assert!(coloured(&[], &[("CLICOLOR_FORCE", "1")], false));
    assert!(!coloured(
        &[],
        &[("FORCE_COLOR", "1"), ("NO_COLOR", "1")],
        false
    ));
    assert!(!coloured(
        &["--color", "never"],
        &[("FORCE_COLOR", "1")],
        false
    ));
    assert!(
        !coloured(&[], &[("FORCE_COLOR", "1")], true),
        "a file stays plain"
    );
    assert!(coloured(&["--color", "always"], &[], true));
}

/// The Rust track: a kit whose labs crate does not compile (made here, with no dependency).
#[test]
fn a_crate_that_does_not_compile_carries_cargos_errors_in_the_json() {
    let kit = scratch();
    std::fs::write(
        kit.path().join("Cargo.toml"),
        "[workspace]\nresolver = \"2\"\nmembers = [\"labs\"]\n",
    )
    .unwrap();
    std::fs::create_dir_all(kit.path().join("labs/src/bin")).unwrap();
    std::fs::write(
        kit.path().join("labs/Cargo.toml"),
        "[package]\nname = \"shmlab-labs\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    )
    .unwrap();
    std::fs::write(
        kit.path().join("labs/src/bin/create.rs"),
        "fn main() { nope }\n",
    )
    .unwrap();
    let out = shmlab()
        .current_dir(kit.path())
        .env("CARGO_TARGET_DIR", kit.path().join("target"))
        .args(["check", "create", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let t = doc["tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["extra_data"]["outcome"] != "skipped")
        .unwrap();
    let output = t["output"].as_str().unwrap();
    assert!(output.contains("does not compile"), "{t:#}");
    assert!(
        output.contains("nope"),
        "cargo's error is in the output: {t:#}"
    );
}
