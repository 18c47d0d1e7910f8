//! Builds of student code never read as root: `grade` (and the C track of `check`) compile
//! a copy of the student's folder that follows no link, as a uid of its own when the checker is
//! root, so a `#include`, a source that is a link, an `include_str!` or a build script gets
//! nothing that uid could not read. Most tests need root, as CI runs them.

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use common::{require_root, shmlab, workspace, LABS};
use shmlab_checker::app::c_build;
use shmlab_checker::model::lab::LabProblem;
use shmlab_checker::model::Lab;

/// A root-only file (0600, in a 0700 directory) and the text only it holds.
struct Secret {
    _dir: tempfile::TempDir,
    path: PathBuf,
    text: String,
}

fn secret() -> Secret {
    // Under cargo's target directory, not /tmp: the graded class is kept for the whole test
    // binary (a static is never dropped), so its secret would stay behind there.
    let dir = tempfile::Builder::new()
        .prefix("shmlab-secret-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let text = format!(
        "TOP_SECRET_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let path = dir.path().join("secret");
    std::fs::write(&path, format!("{text}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    Secret {
        _dir: dir,
        path,
        text,
    }
}

/// A Cargo project shaped like `labs/`: the kit's library, and `bins` as its binaries.
fn cargo_project(dir: &Path, bins: &[(&str, String)], build_rs: Option<String>) {
    let labs = workspace().join("labs");
    std::fs::create_dir_all(dir.join("src/bin")).unwrap();
    std::fs::copy(labs.join("Cargo.toml"), dir.join("Cargo.toml")).unwrap();
    common::copy_library(&labs.join("src"), &dir.join("src"));
    for (name, source) in bins {
        std::fs::write(dir.join(format!("src/bin/{name}.rs")), source).unwrap();
    }
    if let Some(b) = build_rs {
        std::fs::write(dir.join("build.rs"), b).unwrap();
    }
}

/// A build script that writes down who ran it and with what environment, and what it could
/// read of the secret.
fn build_script(secret: &Path, proof: &Path) -> String {
    format!(
        r#"fn main() {{
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let uid = status.lines().find(|l| l.starts_with("Uid:")).unwrap_or("").to_string();
    let secret = std::fs::read_to_string({secret:?}).unwrap_or_else(|e| format!("unreadable: {{e}}"));
    let home = std::env::var("HOME").unwrap_or_default();
    let path = std::env::var("PATH").unwrap_or_default();
    std::fs::write({proof:?}, format!("{{uid}}\nhome={{home}}\npath={{path}}\nsecret={{secret}}\n")).unwrap();
}}
"#
    )
}

/// Where a build script may write its proof: a folder every user may write, but not at the
/// top of /tmp, where what a build's uid leaves goes with the uid (`run/litter.rs`). The
/// folder that holds it (removed when dropped), and the folder.
fn proof_folder() -> (tempfile::TempDir, PathBuf) {
    let shared = common::shared_tempdir("shmlab-proof-");
    let proofs = shared.path().join("proofs");
    std::fs::create_dir(&proofs).unwrap();
    std::fs::set_permissions(&proofs, std::fs::Permissions::from_mode(0o1777)).unwrap();
    (shared, proofs)
}

/// One class graded as root, shared by the tests below: the attacks and two correct
/// submissions.
struct Graded {
    secret: Secret,
    out: PathBuf,
    output: Output,
    proofs: PathBuf,
}

impl Graded {
    fn proof(&self) -> PathBuf {
        self.proofs.join("proof")
    }

    fn report(&self, student: &str) -> String {
        std::fs::read_to_string(self.out.join(format!("{student}.json"))).unwrap()
    }

    /// `student`'s report, row and programs hold no byte of the secret.
    fn assert_no_leak_for(&self, student: &str) {
        let text = self.secret.text.as_bytes();
        let report = self.report(student);
        assert!(!contains(report.as_bytes(), text), "{report}");
        let csv = std::fs::read_to_string(self.out.join("grades.csv")).unwrap();
        assert!(!contains(csv.as_bytes(), text), "{csv}");
        for file in files(&self.out.join("build").join(student)) {
            let bytes = std::fs::read(&file).unwrap();
            assert!(
                !contains(&bytes, text),
                "the secret is in {}",
                file.display()
            );
        }
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let t = entry.file_type().unwrap();
        if t.is_dir() {
            out.extend(files(&entry.path()));
        } else if t.is_file() {
            out.push(entry.path());
        }
    }
    out
}

fn graded() -> &'static Graded {
    static GRADED: OnceLock<Graded> = OnceLock::new();
    GRADED.get_or_init(|| {
        let secret = secret();
        // Held by a static, so removed when the tests have ended.
        let class = common::removed_at_exit(tempfile::tempdir().unwrap());
        let out = common::removed_at_exit(tempfile::tempdir().unwrap());
        let (shared, proofs) = proof_folder();
        let _ = common::removed_at_exit(shared);
        let root = class.as_path();

        // C that includes the secret.
        let include = root.join("include");
        std::fs::create_dir_all(&include).unwrap();
        std::fs::write(
            include.join("create.c"),
            format!(
                "#include {:?}\nint main(void) {{ return 0; }}\n",
                secret.path
            ),
        )
        .unwrap();

        // A source and an executable that are links to the secret.
        let linked = root.join("linked");
        std::fs::create_dir_all(&linked).unwrap();
        std::os::unix::fs::symlink(&secret.path, linked.join("create.c")).unwrap();
        std::os::unix::fs::symlink(&secret.path, linked.join("access")).unwrap();

        // Cargo: a build script that writes down its uid, and include_str! of the secret.
        let print = format!(
            "fn main() {{ eprint!(\"{{}}\", include_str!({:?})); std::process::exit(1); }}\n",
            secret.path
        );
        let proof = proofs.join("proof");
        cargo_project(
            &root.join("rust-sneaky"),
            &[("create", print)],
            Some(build_script(&secret.path, &proof)),
        );

        // Correct submissions: the C solutions, and the Rust solutions as a Cargo project.
        let good_c = root.join("good-c");
        std::fs::create_dir_all(&good_c).unwrap();
        shmlab_checker::app::starters::write_c_solutions(&workspace(), &good_c, &Lab::ALL).unwrap();
        let solutions = workspace().join("solutions/src/bin");
        let bins: Vec<(&str, String)> = LABS
            .iter()
            .map(|lab| {
                let file = solutions.join(format!("solution-{lab}.rs"));
                (*lab, std::fs::read_to_string(file).unwrap())
            })
            .collect();
        cargo_project(&root.join("good-rust"), &bins, None);

        let output = shmlab()
            .args(["grade", "--jobs", "2", "--out"])
            .arg(&out)
            .arg(root)
            .output()
            .unwrap();
        Graded {
            secret,
            out,
            output,
            proofs,
        }
    })
}

#[test]
#[cfg_attr(
    not(shmlab_root),
    ignore = "needs root: the secret must be a file only root can read"
)]
fn a_c_include_of_a_root_only_file_shows_in_no_report() {
    require_root();
    let g = graded();
    g.assert_no_leak_for("include");
    let report = g.report("include");
    assert!(report.contains("create.c does not compile"), "{report}");
    assert!(report.contains("Permission denied"), "{report}");
}

#[test]
#[cfg_attr(
    not(shmlab_root),
    ignore = "needs root: the secret must be a file only root can read"
)]
fn a_source_or_program_linked_to_a_root_only_file_is_not_followed() {
    require_root();
    let g = graded();
    g.assert_no_leak_for("linked");
    let report = g.report("linked");
    assert!(
        report.contains("create.c was not used: it is a symbolic link"),
        "{report}"
    );
    assert!(
        report.contains("access was not used: it is a symbolic link"),
        "{report}"
    );
    let build = g.out.join("build/linked");
    assert!(!build.join("access").exists() && !build.join("create").exists());
}

#[test]
#[cfg_attr(
    not(shmlab_root),
    ignore = "needs root: the secret must be a file only root can read"
)]
fn include_str_of_a_root_only_file_does_not_build() {
    require_root();
    let g = graded();
    g.assert_no_leak_for("rust-sneaky");
    let report = g.report("rust-sneaky");
    assert!(report.contains("the project does not compile"), "{report}");
    assert!(!g.out.join("build/rust-sneaky/create").exists());
}

#[test]
#[cfg_attr(
    not(shmlab_root),
    ignore = "needs root: the secret must be a file only root can read"
)]
fn the_secret_is_in_no_file_grade_wrote_nor_in_its_output() {
    require_root();
    let g = graded();
    let text = g.secret.text.as_bytes();
    for (name, bytes) in [("stdout", &g.output.stdout), ("stderr", &g.output.stderr)] {
        assert!(
            !contains(bytes, text),
            "the secret is in grade's {name}: {}",
            String::from_utf8_lossy(bytes)
        );
    }
    for file in files(&g.out) {
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !contains(&bytes, text),
            "the secret is in {}",
            file.display()
        );
    }
}

#[test]
#[cfg_attr(
    not(shmlab_root),
    ignore = "needs root: checks that a build script runs as a uid of the build's own"
)]
fn a_build_script_runs_unprivileged_with_a_clean_environment() {
    require_root();
    let g = graded();
    let proof = g.proof();
    let meta = std::fs::metadata(&proof).expect("the build script ran");
    let uid = meta.uid();
    assert!(
        shmlab_checker::run::program::RUN_UIDS.contains(&uid),
        "the build script's file belongs to uid {uid}, not to a uid of the build's own"
    );
    let said = std::fs::read_to_string(&proof).unwrap();
    assert!(
        said.starts_with(&format!("Uid:\t{uid}\t{uid}\t{uid}")),
        "{said}"
    );
    assert!(said.contains("secret=unreadable"), "{said}");
    assert!(!said.contains(&g.secret.text), "{said}");
    let home = said.lines().find_map(|l| l.strip_prefix("home=")).unwrap();
    let path = said.lines().find_map(|l| l.strip_prefix("path=")).unwrap();
    assert!(!home.starts_with("/root") && !home.is_empty(), "{said}");
    assert!(!path.contains("/root"), "{said}");
}

#[test]
#[cfg_attr(
    not(shmlab_root),
    ignore = "needs root: the unprivileged builds must still grade correct work fully"
)]
fn correct_c_and_cargo_submissions_still_get_full_marks_as_root() {
    require_root();
    let g = graded();
    assert_eq!(
        g.output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&g.output.stderr)
    );
    let csv = std::fs::read_to_string(g.out.join("grades.csv")).unwrap();
    for student in ["good-c", "good-rust"] {
        let row: Vec<&str> = csv
            .lines()
            .find(|l| l.starts_with(&format!("{student},")))
            .unwrap()
            .split(',')
            .collect();
        let n = LABS.len();
        assert_eq!(row[n + 1], row[n + 2], "full marks for {student}: {csv}");
        assert_ne!(row[n + 1], "0", "{csv}");
    }
}

#[test]
#[cfg_attr(
    not(shmlab_root),
    ignore = "needs root: a root checker must not build as root where it cannot confine the build"
)]
fn without_mount_namespaces_a_cargo_submission_is_never_built_as_root() {
    require_root();
    let class = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let (_shared, proofs) = proof_folder();
    let proof = proofs.join("proof");
    let solution =
        std::fs::read_to_string(workspace().join("solutions/src/bin/solution-create.rs")).unwrap();
    cargo_project(
        &class.path().join("ada"),
        &[("create", solution)],
        Some(build_script(Path::new("/nonexistent"), &proof)),
    );
    let output = shmlab()
        .env("SHMLAB_FORBID_NAMESPACES", "1")
        .args(["grade", "--labs", "create", "--out"])
        .arg(out.path())
        .arg(class.path())
        .output()
        .unwrap();
    let report = std::fs::read_to_string(out.path().join("ada.json")).unwrap();
    match std::fs::metadata(&proof) {
        // Rust installed where every uid can reach it: built as the build's uid.
        Ok(meta) => assert_ne!(meta.uid(), 0, "{report}"),
        // Else (under /root, as here): the lab's problem says how to fix it.
        Err(_) => assert!(
            report.contains("can read it, or run grade as a normal user"),
            "{report}\n{}",
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}

#[test]
fn a_c_lab_whose_source_is_a_link_is_that_labs_problem_and_not_compiled() {
    let src = common::pristine_c();
    let starters = common::pristine_c();
    // A link to a C file that compiles: it still is not followed.
    std::fs::remove_file(src.path().join("create.c")).unwrap();
    std::os::unix::fs::symlink(
        starters.path().join("create.c"),
        src.path().join("create.c"),
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let programs = c_build::build(
        src.path(),
        out.path(),
        &[Lab::Create, Lab::Access],
        "labs/c",
        None,
    );
    match &programs[0] {
        (
            Lab::Create,
            Err(LabProblem::SourceDoesNotCompile {
                file,
                why: Some(why),
                ..
            }),
        ) => {
            assert_eq!(file, "labs/c/create.c");
            assert!(why.contains("a symbolic link"), "{why}");
        }
        other => panic!("create.c is a link, not built: {other:?}"),
    }
    assert!(programs[1].1.is_ok(), "access still builds: {programs:?}");
    assert!(!out.path().join("create").exists());
}

#[test]
fn a_students_entry_in_the_class_folder_may_be_a_link_followed_once() {
    use std::os::unix::fs::symlink;
    let store = common::shared_tempdir("shmlab-store-");
    let class = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    // ada's folder, reached through a link (as run_autograder links the submission).
    let ada = store.path().join("ada");
    std::fs::create_dir(&ada).unwrap();
    let solution = common::built("shmlab-solutions")["solution-create"].clone();
    std::fs::copy(solution, ada.join("create")).unwrap();
    symlink(&ada, class.path().join("ada")).unwrap();
    // bob's entry leads to one more link: not followed.
    symlink(&ada, store.path().join("bob")).unwrap();
    symlink(store.path().join("bob"), class.path().join("bob")).unwrap();
    let result = shmlab()
        .args(["grade", "--labs", "create", "--out"])
        .arg(out.path())
        .arg(class.path())
        .output()
        .unwrap();
    let csv = std::fs::read_to_string(out.path().join("grades.csv")).unwrap();
    let score = |student: &str| -> (String, String) {
        let row: Vec<&str> = csv
            .lines()
            .find(|l| l.starts_with(&format!("{student},")))
            .unwrap_or_else(|| panic!("{csv}\n{}", String::from_utf8_lossy(&result.stderr)))
            .split(',')
            .collect();
        (row[2].to_string(), row[3].to_string())
    };
    let (got, max) = score("ada");
    assert_eq!(got, max, "{csv}");
    assert_eq!(score("bob").0, "0", "{csv}");
    let bob = std::fs::read_to_string(out.path().join("bob.json")).unwrap();
    assert!(bob.contains("could not be copied for the build"), "{bob}");
}

#[test]
fn a_cargo_project_with_a_lab_that_does_not_compile_still_gives_the_other_labs() {
    // A student's project, shaped like labs/: create done, stat half written, the rest
    // missing. Built as the kit's own code would be (the checker's user), into a target of
    // its own.
    let dir = tempfile::Builder::new()
        .prefix("shmlab-half-built-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    let solution =
        std::fs::read_to_string(workspace().join("solutions/src/bin/solution-create.rs")).unwrap();
    let half = "fn main() {\n    let id = shm::shmget(\n}\n".to_string();
    cargo_project(
        &dir.path().join("project"),
        &[("create", solution), ("stat", half)],
        None,
    );
    let bins = shmlab_checker::app::cargo_build::build_project(
        &dir.path().join("project"),
        &dir.path().join("target"),
    )
    .expect("create builds although stat does not");
    assert!(bins.contains_key("create"), "{bins:?}");
    assert!(!bins.contains_key("stat"), "{bins:?}");
    // The labs the project does not have are not made up.
    assert_eq!(bins.len(), 1, "{bins:?}");
}
