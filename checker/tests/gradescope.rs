//! `shmlab gradescope`: the autograder zip, and its `run_autograder` run against a fake
//! `/autograder` tree (a temporary root) for a correct, a buggy, a non-compiling and an empty
//! submission: each gets a valid results.json that says why.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{shmlab, workspace};

/// The zip, unpacked as Gradescope unpacks it into `/autograder/source`.
fn unpacked(root: &Path) -> PathBuf {
    let zip = root.join("autograder.zip");
    shmlab()
        .args([
            "gradescope",
            "--labs",
            "create,access",
            "--visibility",
            "visible",
            "--out",
        ])
        .arg(&zip)
        .assert()
        .success();
    let source = root.join("source");
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&zip).unwrap()).unwrap();
    archive.extract(&source).unwrap();
    for script in ["setup.sh", "run_autograder"] {
        assert!(source.join(script).is_file(), "{script} is in the zip");
    }
    assert!(
        source.join("checker/Cargo.toml").is_file(),
        "the kit's sources are in the zip"
    );
    source
}

/// Runs `run_autograder` on `submission` (files to write) and returns results.json.
fn grade(root: &Path, source: &Path, files: &[(&str, Vec<u8>, u32)]) -> serde_json::Value {
    let sub = root.join("submission");
    let _ = std::fs::remove_dir_all(&sub);
    let _ = std::fs::remove_dir_all(root.join("results"));
    std::fs::create_dir_all(&sub).unwrap();
    for (name, bytes, mode) in files {
        let p = sub.join(name);
        std::fs::write(&p, bytes).unwrap();
        std::fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(*mode)).unwrap();
    }
    let status = Command::new("bash")
        .arg(source.join("run_autograder"))
        .env("AUTOGRADER_ROOT", root)
        .env("SHMLAB", assert_cmd::cargo::cargo_bin("shmlab"))
        .status()
        .unwrap();
    assert!(status.success(), "run_autograder always exits 0");
    let text = std::fs::read_to_string(root.join("results/results.json")).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("results.json is not JSON ({e}): {text}"))
}

#[test]
fn run_autograder_writes_results_for_a_correct_a_buggy_a_broken_and_an_empty_submission() {
    let root = tempfile::Builder::new()
        .prefix("shmlab-gradescope-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    std::fs::set_permissions(
        root.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let source = unpacked(root.path());

    // Correct: the reference solutions, handed in as executables.
    let solutions = common::built("shmlab-solutions");
    let files: Vec<(&str, Vec<u8>, u32)> = common::LABS
        .iter()
        .map(|lab| {
            (
                *lab,
                std::fs::read(&solutions[&format!("solution-{lab}")]).unwrap(),
                0o755,
            )
        })
        .collect();
    let doc = grade(root.path(), &source, &files);
    assert_eq!(doc["visibility"], "visible");
    assert_eq!(doc["score"], doc["max_score"], "{doc:#}");
    assert_eq!(
        doc["max_score"], 9,
        "only create (6) and access (3) count: {doc:#}"
    );

    // Buggy: a C source that forgets the mode bits.
    let c = |name: &str| std::fs::read(workspace().join("checker/fixtures/c").join(name)).unwrap();
    let doc = grade(
        root.path(),
        &source,
        &[
            ("create.c", c("create_mode_zero.c"), 0o644),
            ("common.h", c("common.h"), 0o644),
        ],
    );
    let score = doc["score"].as_u64().unwrap();
    assert!(score > 0 && score < 9, "{doc:#}");
    assert!(
        doc.to_string().contains("IPC_CREAT alone gives mode 0000"),
        "{doc:#}"
    );

    // Broken: a create.c that does not compile.
    let doc = grade(
        root.path(),
        &source,
        &[(
            "create.c",
            b"int main(void) { return nope; }\n".to_vec(),
            0o644,
        )],
    );
    assert_eq!(doc["score"], 0, "{doc:#}");
    assert!(doc.to_string().contains("does not compile"), "{doc:#}");

    // Empty: nothing handed in.
    let doc = grade(root.path(), &source, &[]);
    assert_eq!(doc["score"], 0);
    assert!(
        doc["output"]
            .as_str()
            .unwrap()
            .contains("Nothing was submitted"),
        "{doc:#}"
    );
}
