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

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{shmlab, workspace};

/// Gradescope's PATH when it runs `run_autograder` (Ubuntu's default): no cargo in it.
const GRADESCOPE_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

fn sysroot() -> PathBuf {
    let out = Command::new(std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()))
        .args(["--print", "sysroot"])
        .current_dir(workspace())
        .output()
        .unwrap();
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

fn cargo_home() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(&std::env::var_os("HOME").unwrap()).join(".cargo"))
}

/// Writes the zip with `args` (from the kit's checkout `kit`) and returns its entries' names
/// and the zip's path.
fn bundle(kit: &Path, dir: &Path, args: &[&str]) -> (Vec<String>, PathBuf) {
    let zip = dir.join("autograder.zip");
    shmlab()
        .current_dir(kit)
        .arg("gradescope")
        .args(args)
        .arg("--out")
        .arg(&zip)
        .assert()
        .success();
    let archive = zip::ZipArchive::new(std::fs::File::open(&zip).unwrap()).unwrap();
    let names = archive
        .file_names()
        .map(|n| n.unwrap().into_owned())
        .collect();
    (names, zip)
}

/// An autograder image: the zip unpacked and setup.sh run.
struct Image {
    root: tempfile::TempDir,
}

impl Image {
    fn new(args: &[&str]) -> Image {
        let root = tempfile::Builder::new()
            .prefix("shmlab-gradescope-")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .unwrap();
        std::fs::set_permissions(root.path(), PermissionsExt::from_mode(0o755)).unwrap();
        let (_, zip) = bundle(&workspace(), root.path(), args);
        let source = root.path().join("source");
        let mut archive = zip::ZipArchive::new(std::fs::File::open(&zip).unwrap()).unwrap();
        archive.extract(&source).unwrap();
        let home = root.path().join("setup-home");
        std::fs::create_dir(&home).unwrap();
        let out = Command::new("bash")
            .arg(source.join("setup.sh"))
            .current_dir(&source)
            .env_clear()
            .env(
                "PATH",
                format!("{}:{GRADESCOPE_PATH}", sysroot().join("bin").display()),
            )
            .env("HOME", &home)
            .env("CARGO_HOME", cargo_home())
            .env("CARGO_TARGET_DIR", workspace().join("target"))
            .env("AUTOGRADER_ROOT", root.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "setup.sh fails:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // What Gradescope does: the script is copied to the root and run from there.
        std::fs::copy(
            source.join("run_autograder"),
            root.path().join("run_autograder"),
        )
        .unwrap();
        Image { root }
    }

    fn path(&self) -> &Path {
        self.root.path()
    }

    /// Lays out `files` (name, bytes, mode) as the submission.
    fn submit(&self, files: &[(String, Vec<u8>, u32)]) {
        let sub = self.path().join("submission");
        let _ = std::fs::remove_dir_all(&sub);
        let _ = std::fs::remove_dir_all(self.path().join("results"));
        std::fs::create_dir_all(&sub).unwrap();
        for (name, bytes, mode) in files {
            let p = sub.join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, bytes).unwrap();
            std::fs::set_permissions(&p, PermissionsExt::from_mode(*mode)).unwrap();
        }
    }

    /// `run_autograder` as Gradescope starts it.
    fn command(&self) -> Command {
        let home = self.path().join("run-home");
        std::fs::create_dir_all(&home).unwrap();
        let tmp = self.path().join("tmp");
        std::fs::create_dir_all(&tmp).unwrap();
        let mut cmd = Command::new(self.path().join("run_autograder"));
        cmd.current_dir(self.path())
            .env_clear()
            .env("PATH", GRADESCOPE_PATH)
            .env("HOME", &home)
            // Only so that the test finds what the grading left running (below).
            .env("TMPDIR", &tmp)
            .env("AUTOGRADER_ROOT", self.path())
            .stdin(Stdio::null());
        cmd
    }

    fn results(&self) -> serde_json::Value {
        let text = std::fs::read_to_string(self.path().join("results/results.json")).unwrap();
        assert!(
            text.len() < 1_000_000,
            "results.json is {} bytes",
            text.len()
        );
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    }

    /// Grades `files` and returns results.json.
    fn grade(&self, files: &[(String, Vec<u8>, u32)]) -> serde_json::Value {
        self.submit(files);
        let out = self.command().output().unwrap();
        assert!(
            out.status.success(),
            "run_autograder exits 0: {out:?}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.results()
    }

    /// The processes whose command line names this root: what the grading left running.
    fn left_running(&self) -> Vec<String> {
        let needle = self.path().display().to_string();
        let mut found = Vec::new();
        for e in std::fs::read_dir("/proc").unwrap().flatten() {
            if let Ok(cmdline) = std::fs::read(e.path().join("cmdline")) {
                let text = String::from_utf8_lossy(&cmdline).replace('\0', " ");
                if text.contains(&needle) {
                    found.push(text);
                }
            }
        }
        found
    }
}

fn file(name: &str, bytes: Vec<u8>, mode: u32) -> (String, Vec<u8>, u32) {
    (name.to_string(), bytes, mode)
}

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(workspace().join(rel)).unwrap()
}

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

/// The files of a folder of the kit, as a student hands them in (subfolders kept).
fn folder_files(rel: &str) -> Vec<(String, Vec<u8>, u32)> {
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<(String, Vec<u8>, u32)>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let name = format!("{prefix}{}", e.file_name().to_string_lossy());
            if e.path().is_dir() {
                walk(&e.path(), &format!("{name}/"), out);
            } else {
                let mode = std::fs::metadata(e.path()).unwrap().permissions().mode() & 0o777;
                out.push(file(&name, std::fs::read(e.path()).unwrap(), mode));
            }
        }
    }
    let mut out = Vec::new();
    walk(&workspace().join(rel), "", &mut out);
    out
}

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
