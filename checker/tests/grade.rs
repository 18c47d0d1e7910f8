//! `shmlab grade` on a generated class of 20: correct, buggy, broken and empty submissions.

mod common;

use std::path::Path;

use common::{built, shmlab, workspace, LABS};

fn write_class(root: &Path) {
    let solutions = built("shmlab-solutions");
    for i in 0..20 {
        let dir = root.join(format!("student{i:02}"));
        std::fs::create_dir_all(&dir).unwrap();
        match i % 4 {
            // Correct: the reference solutions, as executables.
            0 => {
                for lab in LABS {
                    std::fs::copy(&solutions[&format!("solution-{lab}")], dir.join(lab)).unwrap();
                }
            }
            // Buggy: C sources with a typical mistake, compiled by grade.
            1 => {
                let fixtures = workspace().join("checker/fixtures/c");
                std::fs::copy(fixtures.join("common.h"), dir.join("common.h")).unwrap();
                std::fs::copy(fixtures.join("create_mode_zero.c"), dir.join("create.c")).unwrap();
                std::fs::copy(fixtures.join("stat_mode_decimal.c"), dir.join("stat.c")).unwrap();
            }
            // Broken: C that does not compile, and a program that crashes.
            2 => {
                std::fs::write(dir.join("create.c"), "int main( {\n").unwrap();
                std::fs::write(dir.join("access"), "#!/bin/sh\nkill -SEGV $$\n").unwrap();
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(
                    dir.join("access"),
                    std::fs::Permissions::from_mode(0o755),
                )
                .unwrap();
            }
            // Empty.
            _ => {}
        }
    }
}

#[test]
fn a_class_is_graded_in_parallel_into_a_csv_and_reports() {
    let class = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    write_class(class.path());
    let result = shmlab()
        .args(["grade", "--jobs", "2", "--out"])
        .arg(out.path())
        .arg(class.path())
        .output()
        .unwrap();
    assert_eq!(
        result.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    assert!(String::from_utf8_lossy(&result.stdout).contains("graded 20 submissions"));
    // In a log, each phase of each student is a line of its own: built, then graded.
    let log = String::from_utf8_lossy(&result.stderr);
    let lines = |start: &str| log.lines().filter(|l| l.starts_with(start)).count();
    assert_eq!((lines("built "), lines("graded ")), (20, 20), "{log}");

    let csv = std::fs::read_to_string(out.path().join("grades.csv")).unwrap();
    let rows: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(rows[0][0], "student");
    assert_eq!(rows[0][1..=LABS.len()], LABS);
    assert_eq!(rows.len(), 21, "{csv}");
    for row in &rows[1..] {
        let i: usize = row[0].trim_start_matches("student").parse().unwrap();
        let n = LABS.len();
        let (score, max): (u64, u64) = (row[n + 1].parse().unwrap(), row[n + 2].parse().unwrap());
        match i % 4 {
            0 => assert_eq!(score, max, "a correct submission gets everything: {row:?}"),
            1 => assert!(score > 0 && score < max, "a buggy one some: {row:?}"),
            _ => assert!(
                score <= 1,
                "a broken or empty one (almost) nothing: {row:?}"
            ),
        }
        assert!(out.path().join(format!("{}.json", row[0])).is_file());
        // The same report as a page, with the runs drawn.
        let page = std::fs::read_to_string(out.path().join(format!("{}.html", row[0]))).unwrap();
        assert!(
            page.starts_with("<!DOCTYPE html>") && page.trim_end().ends_with("</html>"),
            "{page}"
        );
    }
    let broken: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("student02.json")).unwrap()).unwrap();
    let text = broken.to_string();
    assert!(text.contains("create.c does not compile"), "{text}");
    assert!(text.contains("killed by SIGSEGV"), "{text}");
    let empty: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("student03.json")).unwrap()).unwrap();
    assert!(empty
        .to_string()
        .contains("the submission has no create program"));
}

#[test]
fn grading_a_missing_directory_is_a_usage_error() {
    shmlab().args(["grade", "/no/such/class"]).assert().code(2);
}

#[test]
fn labs_limits_grading_to_the_labs_a_course_counts() {
    let class = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let solutions = built("shmlab-solutions");
    let dir = class.path().join("ada");
    std::fs::create_dir_all(&dir).unwrap();
    // Only create is submitted: memo, left out of the course, costs nothing.
    std::fs::copy(&solutions["solution-create"], dir.join("create")).unwrap();
    let result = shmlab()
        .args(["grade", "--labs", "create,access", "--out"])
        .arg(out.path())
        .arg(class.path())
        .output()
        .unwrap();
    assert_eq!(
        result.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let csv = std::fs::read_to_string(out.path().join("grades.csv")).unwrap();
    let rows: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(
        rows[0][..5],
        ["student", "create", "access", "score", "max_score"]
    );
    let report = std::fs::read_to_string(out.path().join("ada.json")).unwrap();
    assert!(
        !report.contains("\"memo\""),
        "memo was not graded: {report}"
    );
    assert!(rows[1][1].parse::<u64>().unwrap() > 0, "{csv}");
    assert_eq!(rows[1][2], "0", "no access program: {csv}");
}

#[test]
fn an_unknown_lab_in_labs_is_a_usage_error_naming_the_nearest() {
    let class = tempfile::tempdir().unwrap();
    shmlab()
        .args(["grade", "--labs", "mem"])
        .arg(class.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("memo"));
}

/// A Cargo submission shaped like `labs/`, with `create.rs` as given.
fn cargo_submission(dir: &Path, create: &str) {
    let labs = workspace().join("labs");
    std::fs::create_dir_all(dir).unwrap();
    std::fs::copy(labs.join("Cargo.toml"), dir.join("Cargo.toml")).unwrap();
    common::copy_library(&labs.join("src"), &dir.join("src"));
    std::fs::create_dir_all(dir.join("src/bin")).unwrap();
    std::fs::write(dir.join("src/bin/create.rs"), create).unwrap();
}

#[test]
#[cfg_attr(
    shmlab_root,
    ignore = "needs a user with cargo: as root, each submission builds as a uid of its own in a target of its own, and this is about the one a user's grade shares"
)]
fn students_sharing_a_target_never_get_each_others_binaries() {
    let class = tempfile::tempdir().unwrap();
    let solution =
        std::fs::read_to_string(workspace().join("solutions/src/bin/solution-create.rs")).unwrap();
    // The broken one's files are the older: a shared build would find them up to date.
    cargo_submission(
        &class.path().join("b-broken"),
        "fn main() { this is not rust }\n",
    );
    std::thread::sleep(std::time::Duration::from_millis(50));
    cargo_submission(&class.path().join("a-correct"), &solution);
    let out = class.path().join("out");
    let result = shmlab()
        .args(["grade", "--labs", "create", "--jobs", "2", "--out"])
        .arg(&out)
        .arg(class.path())
        .output()
        .unwrap();
    assert_eq!(
        result.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let broken = std::fs::read_to_string(out.join("b-broken.json")).unwrap();
    assert!(broken.contains("does not compile"), "{broken}");
    let correct = std::fs::read_to_string(out.join("a-correct.json")).unwrap();
    assert!(!correct.contains("does not compile"), "{correct}");
}
