//! The same labs in the same environment have the same full score (`max_score`), whatever
//! the submission: a scenario that cannot run here (one that needs root, as an ordinary
//! user) is skipped for every lab, present, missing or not compiling; a missing or broken
//! program fails every scenario that would have run.

mod common;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::{as_user, built, is_root, json_report, shared_tempdir, workspace};
use shmlab_checker::model::Lab;

/// `max_score` per lab, and how many of its scenarios were skipped.
fn per_lab(doc: &serde_json::Value) -> BTreeMap<String, (u64, u64)> {
    let mut out: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for t in doc["tests"].as_array().unwrap() {
        let lab = t["extra_data"]["lab"].as_str().unwrap().to_string();
        let e = out.entry(lab).or_default();
        e.0 += t["max_score"].as_u64().unwrap();
        e.1 += u64::from(t["extra_data"]["outcome"] == "skipped");
    }
    out
}

#[test]
fn a_missing_lab_has_the_same_full_score_as_a_present_one() {
    let solutions = built("shmlab-solutions");
    let mut docs = Vec::new();
    for present in ["remove", "set"] {
        let dir = shared_tempdir("shmlab-full-score-");
        let to = dir.path().join(present);
        std::fs::copy(&solutions[&format!("solution-{present}")], &to).unwrap();
        std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o755)).unwrap();
        let (_bin, mut cmd) = as_user();
        let (code, doc) = json_report(
            cmd.args(["check", "remove", "set", "--dir"])
                .arg(dir.path()),
        );
        assert_eq!(code, 1, "one lab is missing: {doc:#}");
        let tests = doc["tests"].as_array().unwrap();
        let skipped = tests
            .iter()
            .filter(|t| t["extra_data"]["outcome"] == "skipped")
            .count();
        assert!(skipped >= 2, "[other-ids] scenarios of both labs: {doc:#}");
        assert_eq!(
            doc["max_score"].as_u64().unwrap() as usize,
            tests.len() - skipped,
            "the full score counts what can run here: {doc:#}"
        );
        for t in tests {
            match t["extra_data"]["outcome"].as_str().unwrap() {
                "skipped" => {
                    assert_eq!(t["max_score"], 0, "{t}");
                    assert!(t["output"].as_str().unwrap().contains("only root"), "{t}");
                }
                outcome => {
                    let lab = t["extra_data"]["lab"].as_str().unwrap();
                    let want = if lab == present { "passed" } else { "failed" };
                    assert_eq!(outcome, want, "{t}");
                }
            }
        }
        docs.push(per_lab(&doc));
    }
    assert_eq!(docs[0], docs[1], "present and missing: the same per lab");
}

/// A submission of C sources for `labs` from solutions/c, with lab.c and lab.h.
fn c_submission(dir: &Path, labs: &[&str]) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let labs: Vec<Lab> = labs.iter().map(|l| Lab::from_name(l).unwrap()).collect();
    shmlab_checker::app::starters::write_c_solutions(&workspace(), dir, &labs).unwrap();
}

#[test]
fn grade_gives_the_same_full_score_to_complete_missing_and_broken_submissions() {
    let class = shared_tempdir("shmlab-full-score-class-");
    c_submission(&class.path().join("complete"), &["remove", "set"]);
    c_submission(&class.path().join("missing"), &["remove"]);
    c_submission(&class.path().join("broken"), &["remove"]);
    std::fs::write(class.path().join("broken/set.c"), "int main( {\n").unwrap();
    let out = shared_tempdir("shmlab-full-score-out-");
    if is_root() {
        std::os::unix::fs::chown(out.path(), Some(65534), Some(65534)).unwrap();
    }
    let (_bin, mut cmd) = as_user();
    let result = cmd
        .args(["grade", "--labs", "remove,set", "--jobs", "2", "--out"])
        .arg(out.path().join("grades"))
        .arg(class.path())
        .output()
        .unwrap();
    assert_eq!(
        result.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let csv = std::fs::read_to_string(out.path().join("grades/grades.csv")).unwrap();
    let rows: BTreeMap<&str, Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|l| {
            let row: Vec<&str> = l.split(',').collect();
            (row[0], row)
        })
        .collect();
    let (score, max) = (3, 4);
    assert_eq!(rows["complete"][score], rows["complete"][max], "{csv}");
    for student in ["missing", "broken"] {
        assert_eq!(rows[student][max], rows["complete"][max], "{csv}");
        assert!(rows[student][score] < rows["complete"][score], "{csv}");
    }
}

#[test]
fn where_segments_cannot_be_locked_the_locked_scenario_is_skipped_for_present_and_missing_labs() {
    // RLIMIT_MEMLOCK 0 and, as root, no CAP_IPC_LOCK (the checker runs as uid 65534): no
    // SHM_LOCK here, for any program.
    let solutions = built("shmlab-solutions");
    let mut docs = Vec::new();
    for present in [true, false] {
        let dir = shared_tempdir("shmlab-full-score-");
        if present {
            let to = dir.path().join("stat");
            std::fs::copy(&solutions["solution-stat"], &to).unwrap();
            std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let (_bin, checker) = common::reachable_checker();
        let mut cmd = assert_cmd::Command::new("prlimit");
        cmd.arg("--memlock=0:0")
            .current_dir("/")
            .env("NO_COLOR", "1");
        if is_root() {
            cmd.args([
                "setpriv",
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
            ]);
        }
        cmd.arg(checker);
        let (_, doc) = json_report(cmd.args(["check", "stat", "--dir"]).arg(dir.path()));
        let locked = doc["tests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"].as_str().unwrap().starts_with("stat/locked"))
            .unwrap_or_else(|| panic!("no stat/locked: {doc:#}"))
            .clone();
        assert_eq!(locked["extra_data"]["outcome"], "skipped", "{locked:#}");
        assert_eq!(locked["max_score"], 0, "{locked:#}");
        assert!(
            locked["output"]
                .as_str()
                .unwrap()
                .contains("lock a segment"),
            "{locked:#}"
        );
        docs.push(per_lab(&doc));
    }
    assert_eq!(docs[0], docs[1], "present and missing: the same full score");
}
