//! Gradescope with an instructor's assignment file (`shmlab gradescope --assignment`), as
//! Gradescope runs it (see `common/autograder.rs`): the file travels in the bundle, each
//! submission is checked against it, and results.json has a test per scenario.

mod common;

use std::time::{Duration, Instant};

use common::autograder::{file, folder_files, Image};
use common::workspace;

/// A bundle made with `--assignment`: the file travels in it, and each submission is graded
/// against it, a test per scenario worth the scenario's points.
#[test]
#[cfg_attr(
    not(shmlab_root),
    ignore = "needs root: setup.sh and run_autograder run as root, as on Gradescope"
)]
fn gradescope_grades_an_assignment_file_a_test_per_scenario() {
    common::require_root();
    let file = workspace().join("assignments/shmegegge.toml");
    let image = Image::new(&[
        "--assignment",
        file.to_str().unwrap(),
        "--visibility",
        "visible",
    ]);
    assert_eq!(
        std::fs::read(image.path().join("source/shmlab-assignment.toml")).unwrap(),
        std::fs::read(&file).unwrap(),
        "the file is shipped as written"
    );
    let points = |doc: &serde_json::Value| -> Vec<(String, u64, u64)> {
        doc["tests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                let name = t["name"].as_str().unwrap();
                let slug = name.split(':').next().unwrap().to_string();
                (
                    slug,
                    t["score"].as_u64().unwrap(),
                    t["max_score"].as_u64().unwrap(),
                )
            })
            .collect()
    };

    // The reference solution, handed in as its folder: full marks.
    let doc = image.grade(&folder_files("assignments/shmegegge"));
    assert_eq!(
        (&doc["score"], &doc["max_score"]),
        (&9.into(), &9.into()),
        "{doc:#}"
    );
    assert_eq!(doc["visibility"], "visible");
    assert_eq!(
        points(&doc),
        [
            ("first-run".into(), 2, 2),
            ("keeps-text".into(), 4, 4),
            ("deletes".into(), 3, 3),
            ("text-with-spaces".into(), 0, 0),
        ],
        "{doc:#}"
    );
    for t in doc["tests"].as_array().unwrap() {
        assert_eq!(t["status"], "passed", "{t:#}");
        assert_eq!(t["visibility"], "visible", "the file's own: {t:#}");
        let output = t["output"].as_str().unwrap();
        assert!(
            output.contains("asked \""),
            "the conversation is shown: {t:#}"
        );
    }

    // A program that never deletes the segment: the points of that scenario lost, and the
    // test says what was asked, what was answered and what was left.
    let doc = image.grade(&folder_files(
        "checker/fixtures/assignments/shmegegge/never-deletes",
    ));
    assert_eq!(
        (&doc["score"], &doc["max_score"]),
        (&6.into(), &9.into()),
        "{doc:#}"
    );
    let deletes = doc["tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"].as_str().unwrap().starts_with("deletes"))
        .unwrap();
    assert_eq!(deletes["status"], "failed", "{deletes:#}");
    assert_eq!(
        (&deletes["score"], &deletes["max_score"]),
        (&0.into(), &3.into())
    );
    let output = deletes["output"].as_str().unwrap();
    for said in ["(delete: yes)", "expected no segment (removed)", "IPC_RMID"] {
        assert!(output.contains(said), "{said}: {output}");
    }
    assert!(
        doc["output"].as_str().unwrap().contains("Main defect: "),
        "{doc:#}"
    );

    // Nothing handed in: said in the words of an assignment.
    let doc = image.grade(&[]);
    assert_eq!(doc["score"], 0);
    assert!(
        doc["output"]
            .as_str()
            .unwrap()
            .contains("your program's sources"),
        "{doc:#}"
    );
    assert!(
        image.left_running().is_empty(),
        "{:?}",
        image.left_running()
    );
}

/// SIGTERM while an assignment is graded (a program that waits forever): results.json is
/// still written, with the scenarios not reached not counted, and nothing is left running.
#[test]
#[cfg_attr(
    not(shmlab_root),
    ignore = "needs root: setup.sh and run_autograder run as root, as on Gradescope"
)]
fn gradescope_stopped_while_grading_an_assignment_still_leaves_results() {
    common::require_root();
    let assignment = workspace().join("assignments/shmegegge.toml");
    let image = Image::new(&["--assignment", assignment.to_str().unwrap()]);
    let slow = b"#include <unistd.h>\nint main(void) { for (;;) pause(); }\n".to_vec();
    image.submit(&[file("shm.c", slow, 0o644)]);
    let mut child = image.command().spawn().unwrap();
    std::thread::sleep(Duration::from_secs(8));
    assert!(child.try_wait().unwrap().is_none(), "still grading");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let started = Instant::now();
    let status = child.wait().unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(status.success(), "{status:?}");
    let doc = image.results();
    let output = doc["output"].as_str().unwrap();
    assert!(output.contains("stopped by the platform"), "{doc:#}");
    let tests = doc["tests"].as_array().unwrap();
    assert!(!tests.is_empty(), "what was graded is kept: {doc:#}");
    assert!(
        tests.iter().any(|t| t["output"]
            .as_str()
            .unwrap()
            .contains("checker error, not counted")
            && t["max_score"] == 0),
        "{doc:#}"
    );
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        image.left_running().is_empty(),
        "{:?}",
        image.left_running()
    );
}
