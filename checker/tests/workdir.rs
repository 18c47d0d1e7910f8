//! Where programs run: each scenario in a fresh copy of the submission's folder, which a
//! program that `ftok`s its own source, or writes a file next to itself, needs; the
//! submission itself is never written, and the copy follows no link and takes nothing the
//! program's uid could not read itself.

mod common;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::{json_report, outcomes, reachable_checker, shared_tempdir, shmlab, workspace};

/// A student's folder: `create.c` (checker/fixtures/workdir/create.c, which `ftok`s
/// "create.c" and appends to ran.txt in its working directory) and its program `create`.
fn student_folder() -> tempfile::TempDir {
    let dir = shared_tempdir("shmlab-workdir-");
    let fixtures = workspace().join("checker/fixtures");
    std::fs::copy(
        fixtures.join("workdir/create.c"),
        dir.path().join("create.c"),
    )
    .unwrap();
    let status = std::process::Command::new("cc")
        .args(["-Wall", "-Wextra", "-O1", "-I"])
        .arg(fixtures.join("c"))
        .arg("-o")
        .arg(dir.path().join("create"))
        .arg(dir.path().join("create.c"))
        .status()
        .expect("cc runs");
    assert!(status.success(), "the fixture compiles");
    dir
}

/// Every entry under `dir`: its mode and, for a file, its bytes.
fn listing(dir: &Path) -> BTreeMap<PathBuf, (u32, Vec<u8>)> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        let bytes = if meta.is_file() {
            std::fs::read(&path).unwrap()
        } else {
            Vec::new()
        };
        out.insert(path.clone(), (meta.permissions().mode(), bytes));
        if meta.is_dir() {
            out.extend(listing(&path));
        }
    }
    out
}

fn assert_all_passed(doc: &serde_json::Value) {
    let outcomes = outcomes(doc);
    assert!(
        outcomes.values().all(|o| o == "passed"),
        "{outcomes:?}\n{doc:#}"
    );
    assert_eq!(outcomes.len(), 6, "{outcomes:?}");
}

#[test]
fn a_program_that_ftoks_its_own_source_runs_in_a_copy_of_its_folder() {
    let folder = student_folder();
    let before = listing(folder.path());
    // A temporary directory of the test's own, to see every working folder go.
    let tmp = shared_tempdir("shmlab-workdir-tmp-");
    let (code, doc) = json_report(
        shmlab()
            .env("TMPDIR", tmp.path())
            .args(["check", "create", "--program"])
            .arg(folder.path().join("create")),
    );
    assert_eq!(code, 0, "{doc:#}");
    assert_all_passed(&doc);
    assert_eq!(
        listing(folder.path()),
        before,
        "the submission is unchanged: no ran.txt"
    );
    assert_eq!(
        listing(tmp.path()),
        BTreeMap::new(),
        "every working folder was removed"
    );
}

#[test]
#[cfg_attr(
    not(shmlab_root),
    ignore = "needs root: runs the checker as uid 65534 with setpriv"
)]
fn a_program_that_ftoks_its_own_source_runs_in_a_copy_of_its_folder_as_a_user() {
    common::require_root();
    let folder = student_folder();
    let before = listing(folder.path());
    let (_bin, checker) = reachable_checker();
    let mut cmd = assert_cmd::Command::new("setpriv");
    cmd.args(["--reuid", "65534", "--regid", "65534", "--clear-groups"])
        .arg(&checker)
        .args(["check", "create", "--program"])
        .arg(folder.path().join("create"))
        .current_dir("/")
        .env("NO_COLOR", "1");
    let (code, doc) = json_report(&mut cmd);
    assert_eq!(code, 0, "{doc:#}");
    assert_all_passed(&doc);
    assert_eq!(
        listing(folder.path()),
        before,
        "the submission is unchanged"
    );
}

#[test]
fn workdir_names_the_folder_the_runs_happen_in_a_copy_of() {
    let folder = student_folder();
    // The program alone, away from its source.
    let bin = shared_tempdir("shmlab-workdir-bin-");
    std::fs::rename(folder.path().join("create"), bin.path().join("create")).unwrap();
    let before = listing(folder.path());

    let (code, doc) = json_report(
        shmlab()
            .args(["check", "create", "--program"])
            .arg(bin.path().join("create")),
    );
    assert_eq!(code, 1, "without its source, ftok fails: {doc:#}");
    assert!(doc.to_string().contains("ftok: No such file"), "{doc:#}");

    let (code, doc) = json_report(
        shmlab()
            .args(["check", "create", "--workdir"])
            .arg(folder.path())
            .arg("--program")
            .arg(bin.path().join("create")),
    );
    assert_eq!(code, 0, "{doc:#}");
    assert_all_passed(&doc);
    assert_eq!(
        listing(folder.path()),
        before,
        "the submission is unchanged"
    );

    let out = shmlab()
        .args([
            "check",
            "create",
            "--workdir",
            "/no/such/folder",
            "--program",
        ])
        .arg(bin.path().join("create"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("--workdir /no/such/folder: no such directory"));
}

#[test]
fn a_symbolic_link_in_the_folder_is_not_followed() {
    let folder = student_folder();
    // The source elsewhere, anyone may read it; the folder holds only a link to it.
    let elsewhere = shared_tempdir("shmlab-workdir-elsewhere-");
    std::fs::rename(
        folder.path().join("create.c"),
        elsewhere.path().join("create.c"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        elsewhere.path().join("create.c"),
        folder.path().join("create.c"),
    )
    .unwrap();
    let (code, doc) = json_report(
        shmlab()
            .args(["check", "create/default-mode", "--program"])
            .arg(folder.path().join("create")),
    );
    assert_eq!(code, 1, "the link was not copied: {doc:#}");
    assert!(doc.to_string().contains("ftok: No such file"), "{doc:#}");
    assert_eq!(
        left_out(&doc),
        [(
            "create.c".to_string(),
            "a symbolic link, which the copy does not follow".to_string()
        )],
        "the report says what the copy left out: {doc:#}"
    );
    // Said to the student too, once, under the program's line.
    let out = shmlab()
        .args(["check", "create/default-mode", "--program"])
        .arg(folder.path().join("create"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.matches("which left out create.c (a symbolic link")
            .count(),
        1,
        "{text}"
    );
}

/// What the JSON report's one lab says its runs' copy left out: each path and why.
fn left_out(doc: &serde_json::Value) -> Vec<(String, String)> {
    doc["extra_data"]["labs"][0]["left_out"]
        .as_array()
        .expect("the lab's left_out")
        .iter()
        .map(|e| {
            (
                e["path"].as_str().unwrap().to_string(),
                e["why"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
#[cfg_attr(
    not(shmlab_root),
    ignore = "needs root: a file closed to the programs' uid is one only a root checker could copy"
)]
fn a_file_closed_to_the_programs_uid_is_not_copied() {
    common::require_root();
    let folder = student_folder();
    let source = folder.path().join("create.c");
    std::fs::set_permissions(&source, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (code, doc) = json_report(
        shmlab()
            .args(["check", "create/default-mode", "--program"])
            .arg(folder.path().join("create")),
    );
    assert_eq!(code, 1, "create.c (0600, root's) was not copied: {doc:#}");
    assert!(doc.to_string().contains("ftok: No such file"), "{doc:#}");
    assert_eq!(
        left_out(&doc),
        [(
            "create.c".to_string(),
            "not readable by the user programs run as".to_string()
        )],
        "{doc:#}"
    );
    // Readable by others: copied.
    std::fs::set_permissions(&source, std::fs::Permissions::from_mode(0o604)).unwrap();
    let (code, doc) = json_report(
        shmlab()
            .args(["check", "create/default-mode", "--program"])
            .arg(folder.path().join("create")),
    );
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(left_out(&doc), [], "nothing left out: {doc:#}");
}
