//! Gradescope, as Gradescope runs it (its "Autograder Specifications"): the zip unpacked in
//! `ROOT/source`, `setup.sh` run there once as root in a fresh `HOME`, then for each
//! submission `run_autograder` copied to `ROOT/run_autograder` and run from `ROOT` as root,
//! with the plain `PATH` of Gradescope's image, the submission in `ROOT/submission`, and
//! `ROOT/results/results.json` read back. `ROOT` is a temporary directory (the scripts take
//! `AUTOGRADER_ROOT`) instead of `/autograder`.
//!
//! The image the test stands for has Rust installed where setup.sh finds it (the toolchain's
//! own `bin` on setup's PATH, its crates in `CARGO_HOME`), as a course image with Rust would;
//! the setup's release build goes to the tests' target directory (`CARGO_TARGET_DIR`),
//! so that it is built once.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::autograder::{bundle, file, read, Image};
use common::workspace;

/// A Rust submission as a student hands in their `labs/` project: the kit's `labs` crate
/// (its library, manifest) with these labs' programs written, here the solutions'.
fn rust_project(labs: &[&str]) -> Vec<(String, Vec<u8>, u32)> {
    let mut files = vec![file("Cargo.toml", read("labs/Cargo.toml"), 0o644)];
    for e in std::fs::read_dir(workspace().join("labs/src"))
        .unwrap()
        .flatten()
    {
        let p = e.path();
        if p.is_file() {
            let name = format!("src/{}", e.file_name().to_string_lossy());
            files.push(file(&name, std::fs::read(&p).unwrap(), 0o644));
        } else if p.is_dir() && e.file_name() != "bin" {
            for f in std::fs::read_dir(&p).unwrap().flatten() {
                let name = format!(
                    "src/{}/{}",
                    e.file_name().to_string_lossy(),
                    f.file_name().to_string_lossy()
                );
                files.push(file(&name, std::fs::read(f.path()).unwrap(), 0o644));
            }
        }
    }
    for lab in labs {
        files.push(file(
            &format!("src/bin/{lab}.rs"),
            read(&format!("solutions/src/bin/solution-{lab}.rs")),
            0o644,
        ));
    }
    files
}

/// A C submission: the C solutions of `labs` as a student hands them in (no markers), with
/// the kit's `lab.c` and `lab.h`.
fn c_sources(labs: &[&str]) -> Vec<(String, Vec<u8>, u32)> {
    let dir = tempfile::Builder::new()
        .prefix("shmlab-c-submission-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    let labs: Vec<shmlab_checker::model::Lab> = labs
        .iter()
        .map(|l| shmlab_checker::model::Lab::from_name(l).unwrap())
        .collect();
    shmlab_checker::app::starters::write_c_solutions(&workspace(), dir.path(), &labs).unwrap();
    std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            file(&name, std::fs::read(e.path()).unwrap(), 0o644)
        })
        .collect()
}

fn assert_full_marks(doc: &serde_json::Value, what: &str) {
    assert_eq!(
        doc["max_score"], 9,
        "{what}: create (6) and access (3) count: {doc:#}"
    );
    assert_eq!(doc["score"], 9, "{what}: full marks: {doc:#}");
    assert_eq!(
        doc["visibility"], "visible",
        "{what}: the instructor's choice"
    );
    for t in doc["tests"].as_array().unwrap() {
        assert_eq!(t["status"], "passed", "{what}: {t:#}");
    }
}

#[test]
#[cfg_attr(
    not(shmlab_root),
    ignore = "needs root: setup.sh and run_autograder run as root, as on Gradescope"
)]
fn gradescope_gives_a_correct_submission_full_marks_and_every_other_one_a_reason() {
    common::require_root();
    let image = Image::new(&["--labs", "create,access", "--visibility", "visible"]);

    // A correct submission, in each of the three shapes a student may hand in.
    let doc = image.grade(&rust_project(&["create", "access"]));
    assert_full_marks(&doc, "the Rust track (a labs/ project)");
    let doc = image.grade(&c_sources(&["create", "access"]));
    assert_full_marks(&doc, "the C track (create.c, access.c, lab.c, lab.h)");
    let solutions = common::built("shmlab-solutions");
    let exes: Vec<_> = ["create", "access"]
        .iter()
        .map(|lab| {
            let exe = std::fs::read(&solutions[&format!("solution-{lab}")]).unwrap();
            file(lab, exe, 0o755)
        })
        .collect();
    let doc = image.grade(&exes);
    assert_full_marks(&doc, "executables");

    // Buggy: partial marks, and the likely mistake.
    let doc = image.grade(&[
        file(
            "create.c",
            read("checker/fixtures/c/create_mode_zero.c"),
            0o644,
        ),
        file("common.h", read("checker/fixtures/c/common.h"), 0o644),
    ]);
    let score = doc["score"].as_u64().unwrap();
    assert!(score > 0 && score < 9, "{doc:#}");
    assert!(
        doc.to_string().contains("IPC_CREAT alone gives mode 0000"),
        "{doc:#}"
    );

    // Does not compile: the compiler's own error, in the student's results.
    let doc = image.grade(&[file(
        "create.c",
        b"int main(void) { return nope; }\n".to_vec(),
        0o644,
    )]);
    assert_eq!(doc["score"], 0, "{doc:#}");
    let text = doc.to_string();
    assert!(text.contains("does not compile"), "{doc:#}");
    assert!(
        text.contains("nope"),
        "the compiler's error is shown: {doc:#}"
    );

    // Empty.
    let doc = image.grade(&[]);
    assert_eq!(doc["score"], 0);
    assert!(
        doc["output"]
            .as_str()
            .unwrap()
            .contains("Nothing was submitted"),
        "{doc:#}"
    );
    assert!(
        image.left_running().is_empty(),
        "{:?}",
        image.left_running()
    );
}

#[test]
#[cfg_attr(
    not(shmlab_root),
    ignore = "needs root: setup.sh and run_autograder run as root, as on Gradescope"
)]
fn gradescope_submission_cannot_read_the_solutions_and_sigterm_still_leaves_results() {
    common::require_root();
    let image = Image::new(&["--labs", "create", "--visibility", "visible"]);

    // A program that prints the solution of its own lab, wherever the kit is.
    let solution = image.path().join("source/solutions/c/create.c");
    let thief = format!(
        r#"#include <stdio.h>
int main(void) {{
    FILE *f = fopen("{}", "r");
    char line[256];
    if (!f) {{ perror("fopen"); return 1; }}
    while (fgets(line, sizeof line, f)) fputs(line, stdout);
    return 0;
}}
"#,
        solution.display()
    );
    let doc = image.grade(&[file("create.c", thief.into_bytes(), 0o644)]);
    let text = doc.to_string();
    assert!(
        !text.contains("Reference solution of lab 1"),
        "a submission printed the solution into its results: {doc:#}"
    );
    assert!(text.contains("Permission denied"), "{doc:#}");

    // SIGTERM halfway (what a platform's timeout sends): results.json is still written, and
    // nothing of the grading is left running.
    let slow = b"#include <unistd.h>\nint main(void) { for (;;) pause(); }\n".to_vec();
    image.submit(&[file("create.c", slow, 0o644)]);
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
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "it stops within Docker's 10 s grace"
    );
    assert!(status.success(), "{status:?}");
    let doc = image.results();
    assert!(
        doc["output"]
            .as_str()
            .unwrap()
            .contains("stopped by the platform"),
        "{doc:#}"
    );
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        image.left_running().is_empty(),
        "{:?}",
        image.left_running()
    );

    // Its own limit (the instructor's --limit, here 4 s), below the platform's: the same.
    let settings = image.path().join("source/shmlab-gradescope.json");
    let mut chosen: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&settings).unwrap()).unwrap();
    chosen["limit_secs"] = 4.into();
    std::fs::write(&settings, chosen.to_string()).unwrap();
    let started = Instant::now();
    let out = image.command().output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(
        started.elapsed() < Duration::from_secs(40),
        "{:?}",
        started.elapsed()
    );
    let doc = image.results();
    assert!(
        doc["output"]
            .as_str()
            .unwrap()
            .contains("stopped after 4 s, the autograder's limit"),
        "{doc:#}"
    );
    assert!(
        image.left_running().is_empty(),
        "{:?}",
        image.left_running()
    );
}

/// A checkout of the kit with files git does not track: none of them is shipped, and every
/// tracked file is, `src/bin` included.
#[test]
fn the_bundle_holds_what_git_tracks_and_nothing_else() {
    let dir = tempfile::Builder::new()
        .prefix("shmlab-bundle-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    let kit = dir.path().join("kit");
    let ok = Command::new("git")
        .args(["clone", "--quiet", "--no-hardlinks"])
        .arg(workspace())
        .arg(&kit)
        .status()
        .unwrap()
        .success();
    assert!(ok);
    std::fs::write(kit.join(".env"), "TOKEN=secret\n").unwrap();
    std::fs::create_dir_all(kit.join("submissions/alice")).unwrap();
    std::fs::write(kit.join("submissions/alice/create.c"), "int main;\n").unwrap();
    std::fs::create_dir_all(kit.join("shmlab-grades")).unwrap();
    std::fs::write(kit.join("shmlab-grades/grades.csv"), "student\n").unwrap();
    let (names, _) = bundle(&kit, dir.path(), &[]);
    for secret in [
        ".env",
        "submissions/alice/create.c",
        "shmlab-grades/grades.csv",
    ] {
        assert!(!names.iter().any(|n| n == secret), "{secret} is shipped");
    }
    let tracked = Command::new("git")
        .args(["ls-files"])
        .current_dir(&kit)
        .output()
        .unwrap();
    let tracked = String::from_utf8(tracked.stdout).unwrap();
    for f in tracked.lines() {
        assert!(
            names.iter().any(|n| n == f),
            "{f} is tracked but not shipped"
        );
    }
    for f in [
        "labs/src/bin/create.rs",
        "solutions/src/bin/solution-create.rs",
    ] {
        assert!(names.iter().any(|n| n == f), "{f}");
    }
    for f in ["setup.sh", "run_autograder", "shmlab-gradescope.json"] {
        assert!(names.iter().any(|n| n == f), "{f}");
    }
}
