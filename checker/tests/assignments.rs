//! The shipped assignment (`assignments/shmegegge.toml`): its reference solution passes, and
//! each of the student-like submissions in `checker/fixtures/assignments/shmegegge/` gets the
//! verdict `verdicts.json` gives it, with its main defect named and its notes told, through
//! `shmlab grade --assignment` (the CSV and the per-student reports).

mod common;

use std::path::PathBuf;

use common::{shmlab, workspace};

fn assignment() -> PathBuf {
    workspace().join("assignments/shmegegge.toml")
}

fn fixtures() -> PathBuf {
    workspace().join("checker/fixtures/assignments/shmegegge")
}

#[derive(serde::Deserialize)]
struct Expected {
    name: String,
    verdict: String,
    #[serde(default)]
    defect: String,
    #[serde(default)]
    notes: Vec<String>,
}

#[test]
fn the_reference_solution_passes_every_scenario() {
    let out = shmlab()
        .args(["check", "--assignment"])
        .arg(assignment())
        .arg("--dir")
        .arg(workspace().join("assignments/shmegegge"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("Score: 9/9. Verdict: PASS."), "{text}");
}

#[test]
fn every_submission_gets_its_verdict_and_its_main_defect() {
    let expected: Vec<Expected> =
        serde_json::from_slice(&std::fs::read(fixtures().join("verdicts.json")).unwrap()).unwrap();
    assert!(expected.len() >= 12);
    let out = tempfile::tempdir().unwrap();
    let status = shmlab()
        .arg("grade")
        .arg(fixtures())
        .arg("--assignment")
        .arg(assignment())
        .arg("--out")
        .arg(out.path())
        .args(["--timeout", "3"])
        .output()
        .unwrap();
    assert_eq!(
        status.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let csv = std::fs::read_to_string(out.path().join("grades.csv")).unwrap();
    let mut wrong = Vec::new();
    for e in &expected {
        let line = csv
            .lines()
            .find(|l| l.starts_with(&format!("{},", e.name)))
            .unwrap_or_else(|| panic!("{} is not in grades.csv:\n{csv}", e.name));
        let report = std::fs::read_to_string(out.path().join(format!("{}.txt", e.name))).unwrap();
        let json: serde_json::Value = serde_json::from_slice(
            &std::fs::read(out.path().join(format!("{}.json", e.name))).unwrap(),
        )
        .unwrap();
        let verdict = if json["passed"] == true {
            "pass"
        } else {
            "fail"
        };
        if verdict != e.verdict {
            wrong.push(format!(
                "{}: {verdict}, expected {}\n{report}",
                e.name, e.verdict
            ));
            continue;
        }
        assert!(line.contains(&format!(",{verdict},")), "{line}");
        if !e.defect.is_empty() && !line.contains(&e.defect) {
            wrong.push(format!(
                "{}: main defect without \"{}\": {line}",
                e.name, e.defect
            ));
        }
        for n in &e.notes {
            if !report.contains(n.as_str()) {
                wrong.push(format!("{}: no note \"{n}\"\n{report}", e.name));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

#[test]
fn a_mistake_in_the_file_is_one_sentence_with_its_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    let text =
        std::fs::read_to_string(assignment())
            .unwrap()
            .replacen("size_at_least", "size_atleast", 1);
    std::fs::write(&file, &text).unwrap();
    let line = text
        .lines()
        .position(|l| l.contains("size_atleast"))
        .unwrap()
        + 1;
    let out = shmlab()
        .args(["check", "--assignment"])
        .arg(&file)
        .args(["--program", "/bin/true"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("bad.toml:{line}:")), "{err}");
    assert!(err.contains("size_atleast"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn the_shipped_schema_is_the_one_the_types_make() {
    let out = shmlab().args(["assignment", "schema"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let shipped =
        std::fs::read_to_string(workspace().join("assignments/assignment.schema.json")).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        shipped.trim(),
        "regenerate it: shmlab assignment schema > assignments/assignment.schema.json"
    );
}

#[test]
fn the_skeleton_written_from_the_reference_is_one_the_reference_passes() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mine.toml");
    let out = shmlab()
        .args(["assignment", "new", "--dir"])
        .arg(workspace().join("assignments/shmegegge"))
        .arg("--out")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("asked \"Change it? [y/n]\""), "{text}");
    assert!(text.contains("size_at_least = 256"), "{text}");
    let out = shmlab()
        .args(["check", "--assignment"])
        .arg(&file)
        .arg("--dir")
        .arg(workspace().join("assignments/shmegegge"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // Not twice without --force.
    let again = shmlab()
        .args(["assignment", "new", "--program", "/bin/true", "--out"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
}

#[test]
fn a_failing_submissions_report_shows_the_questions_the_answers_and_the_mistake() {
    let out = shmlab()
        .args(["check", "--isolation", "namespace", "--assignment"])
        .arg(assignment())
        .arg("--dir")
        .arg(fixtures().join("never-deletes"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    // From the first scenario on: the header names the machine's isolation and uid.
    let body = &text[text.find("\nPASS first-run").expect("the first scenario")..];
    let mut s = insta::Settings::clone_current();
    for (re, with) in common::filters() {
        s.add_filter(re, with);
    }
    s.bind(|| insta::assert_snapshot!("never_deletes_report", body));
}

/// An assignment that passes the key on the command line and sets up the segment first: the
/// kit's own memo, as an instructor would grade it with a file.
#[test]
fn a_key_passed_as_an_argument_finds_the_segment_the_checker_set_up() {
    let dir = common::shared_tempdir("shmlab-asgn-memo-");
    let program = dir.path().join("memo");
    // The solutions' lab.c and lab.h are the labs' own.
    let lib = workspace().join("labs/c");
    let built = std::process::Command::new("cc")
        .arg("-o")
        .arg(&program)
        .arg(format!("-I{}", lib.display()))
        .arg(workspace().join("solutions/c/memo.c"))
        .arg(lib.join("lab.c"))
        .status()
        .unwrap();
    assert!(built.success());
    let file = dir.path().join("memo.toml");
    std::fs::write(
        &file,
        r#"
name = "memo-like"
[segment]
find = "argument"
[[scenario]]
name = "existing"
setup = [{ size = 4096, mode = "0600", text = "old words" }]
[[scenario.run]]
args = ["{key}"]
answers = ["change: yes", "text: new words", "delete: no"]
expect = { segment = "exists", text = "new words", shows_previous_text = true }
[[scenario.run]]
args = ["{key}"]
answers = ["change: no", "delete: yes"]
expect = { segment = "gone" }
"#,
    )
    .unwrap();
    let out = shmlab()
        .args(["check", "--assignment"])
        .arg(&file)
        .arg("--program")
        .arg(&program)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("Score: 1/1. Verdict: PASS."), "{text}");
}

/// Copies the fixtures `names` into a class folder of their own.
fn class_of(names: &[&str]) -> tempfile::TempDir {
    let class = common::shared_tempdir("shmlab-asgn-class-");
    for name in names {
        let ok = std::process::Command::new("cp")
            .arg("-a")
            .arg(fixtures().join(name))
            .arg(class.path().join(name))
            .status()
            .unwrap()
            .success();
        assert!(ok, "{name}");
    }
    class
}

fn grade_csv(class: &std::path::Path, jobs: &str) -> String {
    let out = tempfile::tempdir().unwrap();
    let done = shmlab()
        .arg("grade")
        .arg(class)
        .arg("--assignment")
        .arg(assignment())
        .arg("--out")
        .arg(out.path())
        .args(["--timeout", "3", "--jobs", jobs])
        .output()
        .unwrap();
    assert_eq!(
        done.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    for report in ["yesno-ftok.txt", "yesno-ftok.json", "never-deletes.txt"] {
        assert!(out.path().join(report).is_file(), "{report}");
    }
    std::fs::read_to_string(out.path().join("grades.csv")).unwrap()
}

/// Submissions checked two at a time share nothing (a namespace, a work folder, a terminal
/// and a uid each): the grades are those of one at a time, row for row.
#[test]
fn grading_two_at_a_time_gives_the_grades_of_one_at_a_time() {
    let class = class_of(&[
        "yesno-ftok",
        "never-deletes",
        "python-plain",
        "ipc-private",
        "menu-numbers",
    ]);
    let one = grade_csv(class.path(), "1");
    let two = grade_csv(class.path(), "2");
    assert_eq!(one.lines().count(), 6, "{one}");
    assert!(one.contains("\nyesno-ftok,9,9,pass,"), "{one}");
    assert!(one.contains("\nnever-deletes,6,9,fail,"), "{one}");
    assert_eq!(one, two);
}

/// An assignment that fixes the key, with a segment set up first: made at that key, so the
/// program (whose key is that constant, 4321) finds the text the checker left there.
#[test]
fn a_fixed_keys_setup_segment_is_the_one_the_program_finds() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fixed.toml");
    std::fs::write(
        &file,
        r#"
name = "fixed-key"
[segment]
find = "key"
key = "4321"
[[scenario]]
name = "existing"
setup = [{ size = 256, mode = "0666", text = "old words" }]
[[scenario.run]]
answers = ["change: no", "delete: no"]
expect = { segment = "exists", size = 256, text = "old words", shows_previous_text = true }
[[scenario.run]]
answers = ["change: yes", "text: new words", "delete: no"]
expect = { segment = "exists", same_segment = true, text = "new words", shows_previous_text = true }
"#,
    )
    .unwrap();
    let out = shmlab()
        .args(["check", "--assignment"])
        .arg(&file)
        .arg("--dir")
        .arg(fixtures().join("never-deletes"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("Score: 1/1. Verdict: PASS."), "{text}");
    // The same file with find = "created" cannot know where to make it: refused, where.
    let created = std::fs::read_to_string(&file)
        .unwrap()
        .replace("find = \"key\"", "find = \"created\"");
    std::fs::write(&file, created).unwrap();
    let out = shmlab()
        .args(["check", "--assignment"])
        .arg(&file)
        .args(["--program", "/bin/true"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("fixed.toml:8:1: scenario `existing` sets up a segment"),
        "{err}"
    );
}

/// Files the assignment lists that a submission lacks are made in the runs' folder (empty,
/// or with the text the file gives), and the report notes it: the program still runs.
#[test]
fn a_listed_file_the_submission_lacks_is_made_and_noted() {
    let dir = common::shared_tempdir("shmlab-asgn-files-");
    let sub = dir.path().join("alice");
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(
        sub.join("shm.c"),
        r#"#include <stdio.h>
#include <sys/ipc.h>
#include <sys/shm.h>

int main(void)
{
    key_t key = ftok("keyfile", 'k');
    if (key == -1) { perror("ftok"); return 1; }
    int id = shmget(key, 256, IPC_CREAT | 0666);
    if (id == -1) { perror("shmget"); return 1; }
    FILE *f = fopen("data/greeting.txt", "r");
    char line[64] = "";
    if (f) { fgets(line, sizeof line, f); fclose(f); }
    printf("greeting: %s\n", line);
    return 0;
}
"#,
    )
    .unwrap();
    let file = dir.path().join("files.toml");
    std::fs::write(
        &file,
        r#"
name = "files"
[program]
files = ["keyfile", { name = "data/greeting.txt", text = "hello from the file" }]
[checks]
leak_per_run = "off"
[[scenario]]
name = "runs"
[[scenario.run]]
expect = { segment = "exists", output_contains = ["greeting: hello from the file"] }
"#,
    )
    .unwrap();
    let out = shmlab()
        .args(["check", "--assignment"])
        .arg(&file)
        .arg("--dir")
        .arg(&sub)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("note: keyfile is not in the submission: the checker made it (empty)"),
        "{text}"
    );
    assert!(
        text.contains("note: data/greeting.txt is not in the submission: the checker made it (with the text the assignment gives)"),
        "{text}"
    );
    assert!(
        !sub.join("keyfile").exists(),
        "the submission is never written"
    );
    // Handed in, the student's own is used, and nothing is noted.
    std::fs::create_dir(sub.join("data")).unwrap();
    std::fs::write(sub.join("data/greeting.txt"), "mine\n").unwrap();
    std::fs::write(sub.join("keyfile"), "").unwrap();
    let out = shmlab()
        .args(["check", "-v", "--assignment"])
        .arg(&file)
        .arg("--dir")
        .arg(&sub)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("not in the submission"), "{text}");
    assert!(text.contains("greeting: mine"), "{text}");
}

/// In keys mode (this machine's namespace), two programs with the same constant key would
/// meet at it if checked at once: `--jobs 2` checks one at a time there, says so, and both
/// get the grade they get alone.
#[test]
fn in_keys_mode_programs_with_their_own_keys_are_checked_one_at_a_time() {
    let class = common::shared_tempdir("shmlab-asgn-keys-");
    for name in ["first", "second"] {
        let ok = std::process::Command::new("cp")
            .arg("-a")
            .arg(fixtures().join("never-deletes"))
            .arg(class.path().join(name))
            .status()
            .unwrap()
            .success();
        assert!(ok);
    }
    let out = tempfile::tempdir().unwrap();
    let done = shmlab()
        .env("SHMLAB_FORBID_NAMESPACES", "1")
        .arg("grade")
        .arg(class.path())
        .arg("--assignment")
        .arg(assignment())
        .arg("--out")
        .arg(out.path())
        .args(["--timeout", "3", "--jobs", "2"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&done.stderr);
    assert_eq!(done.status.code(), Some(0), "{said}");
    assert!(said.contains("checking one submission at a time"), "{said}");
    let csv = std::fs::read_to_string(out.path().join("grades.csv")).unwrap();
    assert!(csv.contains("\nfirst,6,9,fail,"), "{csv}");
    assert!(csv.contains("\nsecond,6,9,fail,"), "{csv}");
}

/// A class folder written with a umask of 077: the submission's files are closed to the uid
/// its program runs as, so the runs' copy leaves them out, the program's `ftok("shm.c")`
/// fails, and the report says why in every form: the note, the JSON, Gradescope's output.
#[test]
#[cfg_attr(
    not(shmlab_root),
    ignore = "needs root: only a root checker runs programs as a uid that cannot read the folder"
)]
fn what_the_runs_copy_left_out_is_said() {
    use std::os::unix::fs::PermissionsExt;
    common::require_root();
    let dir = common::shared_tempdir("shmlab-asgn-left-out-");
    let sub = dir.path().join("alice");
    std::fs::create_dir(&sub).unwrap();
    std::fs::copy(fixtures().join("yesno-ftok/shm.c"), sub.join("shm.c")).unwrap();
    std::fs::set_permissions(sub.join("shm.c"), std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = tempfile::tempdir().unwrap();
    let status = shmlab()
        .arg("grade")
        .arg(dir.path())
        .arg("--assignment")
        .arg(assignment())
        .arg("--out")
        .arg(out.path())
        .args(["--timeout", "3"])
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(0));
    let report = std::fs::read_to_string(out.path().join("alice.txt")).unwrap();
    assert!(
        report.contains(
            "note: the runs start in a copy of the program's folder, which left out shm.c (not readable by the user programs run as)"
        ),
        "{report}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("alice.json")).unwrap()).unwrap();
    assert_eq!(
        json["left_out"],
        serde_json::json!([{"path": "shm.c", "why": "not readable by the user programs run as"}]),
        "{json:#}"
    );
    // Readable by others, nothing is left out and nothing said.
    std::fs::set_permissions(sub.join("shm.c"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let again = shmlab()
        .args(["check", "--format", "json", "--assignment"])
        .arg(assignment())
        .arg("--dir")
        .arg(&sub)
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(json["left_out"], serde_json::json!([]), "{json:#}");
}
