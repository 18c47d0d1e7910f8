//! The command line: usage errors are one plain sentence and exit status 2.

mod common;

use common::shmlab;
use predicates::prelude::*;

/// `shmlab ARGS` is a usage error: status 2, and stderr says `says`.
fn usage_error<I, S>(args: I, says: &str)
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    shmlab()
        .args(args)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(says));
}

#[test]
fn unknown_lab_names_the_nearest_one() {
    usage_error(
        ["check", "atach"],
        "unknown lab 'atach': did you mean 'attach'?",
    );
}

#[test]
fn missing_program_is_a_usage_error() {
    usage_error(
        ["check", "create", "--program", "/no/such/a.out"],
        "--program /no/such/a.out: no such file",
    );
}

#[test]
fn non_executable_program_says_to_chmod() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("lab.py");
    std::fs::write(&p, "print(1)\n").unwrap();
    shmlab()
        .args(["check", "create", "--program"])
        .arg(&p)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not executable: run `chmod +x"));
}

#[test]
fn program_needs_exactly_one_lab() {
    usage_error(
        ["check", "--program", "/bin/true"],
        "--program checks one lab",
    );
    usage_error(
        ["check", "create", "stat", "--program", "/bin/true"],
        "--program checks one lab",
    );
}

#[test]
fn missing_dir_is_a_usage_error() {
    usage_error(["check", "--dir", "/no/such/dir"], "no such directory");
}

#[test]
fn bad_timeout_and_isolation_are_usage_errors() {
    usage_error(["check", "--timeout", "soon"], "not a number of seconds");
    usage_error(["check", "--isolation", "jail"], "invalid value 'jail'");
}

#[test]
fn solutions_and_program_conflict() {
    shmlab()
        .args(["check", "create", "--solutions", "--program", "/bin/true"])
        .assert()
        .code(2);
}

#[test]
fn forbidden_namespaces_with_namespace_isolation_is_an_environment_error() {
    shmlab()
        .env("SHMLAB_FORBID_NAMESPACES", "1")
        .args([
            "check",
            "create",
            "--program",
            "/bin/true",
            "--isolation",
            "namespace",
        ])
        .assert()
        .code(3)
        .stderr(predicate::str::contains(
            "--isolation namespace is not possible",
        ));
}

#[test]
fn a_missing_program_in_dir_fails_its_lab_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    shmlab()
        .args(["check", "stat", "--dir"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "not found: put the stat program there",
        ));
}

#[test]
fn help_lists_the_commands() {
    shmlab()
        .arg("--help")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("check").and(predicate::str::contains("list")));
}

#[test]
fn json_is_written_even_when_the_checker_cannot_run() {
    let out = shmlab()
        .env("SHMLAB_FORBID_NAMESPACES", "1")
        .args([
            "check",
            "create",
            "--program",
            "/bin/true",
            "--isolation",
            "namespace",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let doc: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("a JSON document on stdout");
    assert_eq!(doc["score"], 0);
    assert_eq!(doc["extra_data"]["exit_code"], 3);
    assert!(doc["output"].as_str().unwrap().contains("could not grade"));
    let out = shmlab()
        .args(["check", "nope", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let doc: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("a JSON document on stdout");
    assert!(doc["extra_data"]["error"]
        .as_str()
        .unwrap()
        .contains("unknown lab"));
}

#[test]
fn an_unreadable_stdin_file_for_trace_is_a_usage_error() {
    usage_error(
        ["trace", "--stdin", "/no/such/answers", "--", "true"],
        "--stdin /no/such/answers: cannot be read",
    );
}

#[test]
fn explain_tells_an_errno_per_call_and_a_concept_and_suggests_the_nearest_topic() {
    shmlab()
        .args(["explain", "EACCES"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("EACCES: Permission denied"))
        .stdout(predicate::str::contains("  shmat "))
        .stdout(predicate::str::contains("More: docs/"));
    shmlab()
        .args(["explain", "shm_dest"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("SHM_DEST: Mode bit 01000"));
    usage_error(["explain", "EACESS"], "did you mean 'EACCES'?");
}

#[test]
fn completions_offer_the_labs_the_scenarios_and_the_topics() {
    // (fish's generator in clap_complete leaves out the values of positional arguments.)
    for shell in ["bash", "zsh"] {
        let out = shmlab().args(["completions", shell]).output().unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        for word in [
            "memo",
            "create/default-mode",
            "share/",
            "EACCES",
            "SHM_DEST",
        ] {
            assert!(text.contains(word), "{shell} completes {word}");
        }
    }
    usage_error(["completions", "tcsh"], "invalid value 'tcsh'");
    // The words completed are still checked by the checker, with its own sentence.
    usage_error(["hint", "creat"], "did you mean 'create'?");
}

/// What bash completes for the words `line` (the last one being completed), with the bash
/// completions `shmlab completions bash` prints sourced, and a stand-in for cargo's own
/// completion (rustup's `_cargo`) defined first.
fn bash_completes(line: &[&str]) -> String {
    let script = shmlab()
        .args(["completions", "bash"])
        .output()
        .unwrap()
        .stdout;
    let dir = tempfile::Builder::new()
        .prefix("shmlab-bash-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    let file = dir.path().join("shmlab.bash");
    std::fs::write(&file, script).unwrap();
    let words: Vec<String> = line.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        r#"_cargo() {{ COMPREPLY=(cargo-own); }}
source "$1"
COMP_WORDS=({words}); COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
spec=$(complete -p "${{COMP_WORDS[0]}}"); fn=${{spec#*-F }}; fn=${{fn%% *}}
"$fn" "${{COMP_WORDS[0]}}" "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
echo "${{COMPREPLY[*]}}""#,
        words = words.join(" ")
    );
    let out = std::process::Command::new("bash")
        .args(["--norc", "-c", &program, "bash"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn bash_completes_shmlab_and_cargo_shmlab_alike_and_leaves_cargo_its_own() {
    assert_eq!(bash_completes(&["shmlab", "ch"]), "check");
    assert_eq!(bash_completes(&["cargo", "shmlab", "ch"]), "check");
    assert_eq!(
        bash_completes(&["cargo", "shmlab", "hint", "cre"]),
        "create"
    );
    assert_eq!(
        bash_completes(&["cargo", "+stable", "shmlab", "check", "--fo"]),
        "--format"
    );
    assert_eq!(
        bash_completes(&["cargo", "shmlab", "check", "--format", "js"]),
        "json"
    );
    // Any other cargo command is cargo's.
    assert_eq!(bash_completes(&["cargo", "bu"]), "cargo-own");
}

#[test]
fn every_page_the_manual_points_to_exists_with_exit_status_and_environment() {
    let dir = tempfile::Builder::new()
        .prefix("shmlab-man-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    shmlab()
        .args(["man", "--out"])
        .arg(dir.path())
        .assert()
        .success();
    let main = std::fs::read_to_string(dir.path().join("shmlab.1")).unwrap();
    assert!(main.contains(".TH shmlab 1"), "{main}");
    let mut pointed = 0;
    for word in main.split_whitespace() {
        if let Some(name) = word
            .strip_prefix("shmlab\\-")
            .and_then(|w| w.strip_suffix("(1)"))
        {
            let page = std::fs::read_to_string(dir.path().join(format!("shmlab-{name}.1")))
                .unwrap_or_else(|_| panic!("shmlab-{name}(1) is pointed to but not written"));
            assert!(page.contains(&format!(".TH shmlab-{name} 1")), "{page}");
            pointed += 1;
        }
    }
    assert!(pointed >= 10, "{main}");
    for page in ["shmlab.1", "shmlab-check.1"] {
        let text = std::fs::read_to_string(dir.path().join(page)).unwrap();
        assert!(text.contains(".SH \"EXIT STATUS\""), "{page}");
        assert!(text.contains(".SH ENVIRONMENT"), "{page}");
        assert!(text.contains("NO_COLOR"), "{page}");
    }
    shmlab()
        .args(["man", "check"])
        .assert()
        .success()
        .stdout(predicate::str::contains(".TH shmlab-check 1"));
    usage_error(["man", "nope"], "no manual page for 'nope'");
}

#[test]
fn help_is_wrapped_and_lists_every_lab() {
    let mut subs = vec![Vec::<&str>::new()];
    for s in [
        "list",
        "check",
        "trace",
        "grade",
        "watch",
        "gradescope",
        "hint",
        "explain",
    ] {
        subs.push(vec![s]);
    }
    for sub in subs {
        let out = shmlab().args(&sub).arg("--help").output().unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        for line in text.lines() {
            assert!(line.chars().count() <= 100, "{sub:?}: {line}");
        }
    }
    let out = shmlab().args(["check", "-h"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap().replace('\n', " ");
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        text.contains("create, access, attach, detach, remove, stat, set, memo, share"),
        "{text}"
    );
}

#[test]
fn the_gradescope_zip_that_cannot_be_written_names_out() {
    usage_error(
        ["gradescope", "--out", "/nonexistent/dir/autograder.zip"],
        "--out /nonexistent/dir/autograder.zip: cannot be written",
    );
}

#[test]
fn an_unwritable_partial_file_is_a_usage_error() {
    usage_error(
        [
            "check",
            "create",
            "--solutions",
            "--partial",
            "/no/such/dir/partial.jsonl",
        ],
        "--partial /no/such/dir/partial.jsonl: cannot be written",
    );
}

#[test]
fn timeouts_out_of_bounds_say_the_real_bounds_never_a_dash_dash_tip() {
    for (t, says) in [
        (
            "-1",
            "'-1' is too short: a timeout is more than 0 seconds (at most 3600)",
        ),
        ("0", "'0' is too short"),
        (
            "99999",
            "'99999' is too long: a timeout is at most 3600 seconds",
        ),
        ("soon", "'soon' is not a number of seconds"),
    ] {
        shmlab()
            .args(["check", "create", "--timeout", t])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(says))
            .stderr(predicate::str::contains("-- -1").not());
    }
}

#[test]
fn a_json_error_carries_the_same_sentence_as_stderr() {
    let out = shmlab()
        .args(["check", "create", "--timeout", "0", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let said = doc["output"].as_str().unwrap();
    assert!(said.contains("'0' is too short"), "{said}");
    assert!(
        !said.contains("invalid value for one of the arguments"),
        "{said}"
    );
}

#[test]
fn grade_errors_name_the_path_and_the_fix_and_an_empty_class_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    shmlab()
        .arg("grade")
        .arg(&empty)
        .arg("--out")
        .arg(dir.path().join("out"))
        .assert()
        .code(3)
        .stderr(
            predicate::str::contains("no submissions in")
                .and(predicate::str::contains("one subdirectory per student")),
        );
    let class = dir.path().join("class");
    std::fs::create_dir_all(class.join("alice")).unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    shmlab()
        .arg("grade")
        .arg(&class)
        .arg("--out")
        .arg(&file)
        .assert()
        .code(3)
        .stderr(predicate::str::contains(
            "a-file: it exists and is not a directory",
        ));
    shmlab()
        .arg("grade")
        .arg(&class)
        .arg("--out")
        .arg(file.join("below"))
        .assert()
        .code(3)
        .stderr(
            predicate::str::contains("cannot be created").and(predicate::str::contains(
                "give a directory you can write to",
            )),
        );
}

#[test]
fn without_cargo_the_message_fits_the_command_and_suggests_dir() {
    for cmd in ["list", "check"] {
        shmlab()
            .env("CARGO", "/no/such/cargo")
            .arg(cmd)
            .assert()
            .code(3)
            .stderr(predicate::str::contains(
                "put cargo on PATH or name it in $CARGO",
            ))
            .stderr(predicate::str::contains("--dir DIR"))
            .stderr(predicate::str::contains("--program").not());
    }
}

/// A name with a byte that is not UTF-8 (`$'\xff'` in bash), as Linux allows in any file
/// name and argument.
fn not_utf8(prefix: &str) -> std::ffi::OsString {
    use std::os::unix::ffi::OsStrExt;
    let mut bytes = prefix.as_bytes().to_vec();
    bytes.push(0xff);
    std::ffi::OsStr::from_bytes(&bytes).to_os_string()
}

/// `/bin/true` copied to `dir/name`, where every user can run it.
fn true_at(dir: &std::path::Path, name: &std::ffi::OsStr) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let to = dir.join(name);
    std::fs::copy("/bin/true", &to).unwrap();
    std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o755)).unwrap();
    to
}

#[test]
fn a_lab_name_that_is_not_utf8_is_a_one_line_usage_error_never_a_panic() {
    let out = shmlab()
        .env("RUST_BACKTRACE", "1")
        .arg("check")
        .arg(not_utf8(""))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr,
        "error: '\\xFF' is not a lab or a scenario (it is not UTF-8 text): `shmlab list --scenarios` shows them\n"
    );
    for (args, says) in [
        (vec!["explain".into(), not_utf8("EACCES")], "is not a topic"),
        (vec!["hint".into(), not_utf8("create")], "is not a lab"),
        (
            vec!["grade".into(), "/".into(), "--labs".into(), not_utf8("")],
            "is not a lab",
        ),
    ] {
        shmlab()
            .env("RUST_BACKTRACE", "1")
            .args(args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(says))
            .stderr(predicate::str::contains("panicked").not());
    }
    // A word clap itself expects (a --format) gets clap's sentence, not a panic either.
    shmlab()
        .env("RUST_BACKTRACE", "1")
        .args(["check", "--format"])
        .arg(not_utf8("json"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid value"))
        .stderr(predicate::str::contains("panicked").not());
}

#[test]
fn json_is_written_when_an_argument_is_not_utf8() {
    let out = shmlab()
        .args(["check", "--format", "json"])
        .arg(not_utf8(""))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let doc: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("a JSON document on stdout");
    assert_eq!(doc["score"], 0);
    assert_eq!(doc["extra_data"]["exit_code"], 2);
    let error = doc["extra_data"]["error"].as_str().unwrap();
    assert!(
        error.contains("'\\xFF' is not a lab or a scenario"),
        "{error}"
    );
}

#[test]
fn a_program_whose_path_is_not_utf8_is_checked_and_named_lossily() {
    let dir = common::shared_tempdir("shmlab-cli-");
    let program = true_at(dir.path(), &not_utf8("prog-"));
    let out = shmlab()
        .args(["check", "create/default-mode", "--program"])
        .arg(&program)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // /bin/true creates no segment: the verdict is a failure, not an error.
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("prog-\u{FFFD}"), "{stdout}");
    assert!(stdout.contains("create/default-mode"), "{stdout}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn grade_takes_directories_whose_names_are_not_utf8() {
    let dir = common::shared_tempdir("shmlab-cli-");
    let class = dir.path().join(not_utf8("class-"));
    std::fs::create_dir_all(class.join("alice")).unwrap();
    true_at(&class.join("alice"), "create".as_ref());
    let out_dir = dir.path().join(not_utf8("out-"));
    let out = shmlab()
        .arg("grade")
        .arg(&class)
        .args(["--labs", "create", "--jobs", "1", "--out"])
        .arg(&out_dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    // The summary names the reports' directory, lossily.
    assert!(stdout.contains("out-\u{FFFD}/grades.csv"), "{stdout}");
    let csv = std::fs::read_to_string(out_dir.join("grades.csv")).unwrap();
    assert!(csv.lines().any(|l| l.starts_with("alice,0,")), "{csv}");
}

#[test]
fn trace_passes_arguments_that_are_not_utf8_to_the_program_unchanged() {
    let out = shmlab()
        .args(["trace", "--", "/bin/echo"])
        .arg(not_utf8("a"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = &out.stdout;
    // The program got the byte; the report shows it escaped, never raw.
    let echoed = b"--- stdout\na\\xff\n";
    assert!(
        stdout.windows(echoed.len()).any(|w| w == echoed),
        "{}",
        String::from_utf8_lossy(stdout)
    );
    // The command line the report shows says which byte it was, never a panic.
    assert!(String::from_utf8_lossy(stdout).contains("/bin/echo 'a\\xff'"));
}
