//! A red team's probes that broke the grader once, each kept as the test that failed before
//! its fix (the probes that held are in the report of that review, and most in the other
//! attack suites: attacks.rs, hostile.rs, security.rs, neutral.rs, build_sandbox.rs):
//!
//! - a program's output giving orders to the CI whose log shows the report (GitHub Actions
//!   obeys `::error::` at a line's start after blanks, and `##[error]` anywhere in a line;
//!   checker/fixtures/hostile/ci_commands.c);
//! - class folders whose names forge lines of `grade`'s progress, or that only differ in
//!   bytes that are not UTF-8 and so shared one report;
//! - the compiler quoting a student's `compile_error!` or `#error` into the log;
//! - a program holding the machine's memory in segments it no longer maps (shm_hog.c);
//! - a program leaving files in /tmp, /var/tmp and /dev/shm (leaves_files.c), or message
//!   queues and semaphore sets in keys mode (leaves_queue.c);
//! - under `grade`, a program reading another student's build in the output folder.

mod common;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::{compile_hostile, json_report, require_root, shared_tempdir, shmlab};

/// The lines of `text` that a CI runner would take for a command: GitHub's `::name::` at
/// the start once blanks are trimmed, its older `##[name]` and Azure's `##vso[` anywhere.
fn ci_commands(text: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(text)
        .lines()
        .filter(|line| {
            line.trim_start().starts_with("::") || line.contains("##[") || line.contains("##vso[")
        })
        .map(str::to_string)
        .collect()
}

#[test]
fn a_programs_ci_commands_are_shown_not_obeyed_in_any_report() {
    let dir = shared_tempdir("shmlab-red-");
    let exe = compile_hostile(dir.path(), "ci_commands", &[]);
    let runs: [(&str, Vec<&OsStr>); 4] = [
        (
            "check",
            vec!["check".as_ref(), "create/default-mode".as_ref()],
        ),
        (
            "check --verbose",
            vec![
                "check".as_ref(),
                "create/default-mode".as_ref(),
                "--verbose".as_ref(),
            ],
        ),
        (
            "check --format junit",
            vec![
                "check".as_ref(),
                "create/default-mode".as_ref(),
                "--format".as_ref(),
                "junit".as_ref(),
            ],
        ),
        ("trace", vec!["trace".as_ref(), "--".as_ref()]),
    ];
    for (what, args) in runs {
        let mut cmd = shmlab();
        cmd.args(args);
        if what == "trace" {
            cmd.arg(&exe);
        } else {
            cmd.arg("--program").arg(&exe);
        }
        let out = cmd.output().unwrap();
        for (stream, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            assert_eq!(
                ci_commands(text),
                Vec::<String>::new(),
                "{what} ({stream}) has lines a CI would obey:\n{}",
                String::from_utf8_lossy(text)
            );
        }
        // The program's text is still shown, with only the command's opening escaped.
        let shown = String::from_utf8_lossy(&out.stdout);
        let escaped: &[&str] = match what {
            "check --verbose" => &[r"the grade is ##\u{5b}notice]FORGED"],
            "trace" => &[
                r"\u{3a}:error file=labs/src/bin/create.rs",
                r"the grade is ##\u{5b}notice]FORGED",
            ],
            _ => &[],
        };
        for text in escaped {
            assert!(shown.contains(text), "{what}: no {text:?} in\n{shown}");
        }
    }
    // GitHub's own format: one command per lab, the checker's, and nothing of the program's.
    let out = shmlab()
        .args([
            "check",
            "create/default-mode",
            "--format",
            "github",
            "--program",
        ])
        .arg(&exe)
        .output()
        .unwrap();
    let commands = ci_commands(&out.stdout);
    assert_eq!(commands.len(), 1, "{commands:?}");
    assert!(
        commands[0].starts_with("::error ") && !commands[0].contains("FORGED"),
        "{commands:?}"
    );
    assert_eq!(ci_commands(&out.stderr), Vec::<String>::new());
}

/// A class folder whose students hand in one shell script as `create`, under `names`.
fn class_of(names: &[&[u8]]) -> tempfile::TempDir {
    let class = shared_tempdir("shmlab-red-class-");
    for name in names {
        let dir = class.path().join(OsStr::from_bytes(name));
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let script = dir.join("create");
        std::fs::write(&script, "#!/bin/sh\necho 0\n").unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    class
}

#[test]
fn grade_gives_every_class_folder_a_report_of_its_own_and_forges_no_line() {
    let forged = b"mallory\ngraded alice (1 of 4): 6\x1b[2J\xe2\x80\xae";
    let class = class_of(&[b"bad\xfc", b"bad\xfd", b"bad\xfe\xff", forged]);
    let out_dir = shared_tempdir("shmlab-red-out-");
    let out = shmlab()
        .args(["grade", "--labs", "create", "--jobs", "2", "--out"])
        .arg(out_dir.path())
        .arg(class.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let log = String::from_utf8_lossy(&out.stderr);
    for line in log.lines() {
        assert!(!line.starts_with("graded alice"), "a forged line:\n{log}");
    }
    assert!(!log.contains(['\x1b', '\u{202e}', '\u{fffd}']), "{log}");
    assert!(log.contains(r"graded bad\xfc ("), "{log}");
    // One row and one report per folder, under names that tell them apart.
    let csv = std::fs::read_to_string(out_dir.path().join("grades.csv")).unwrap();
    let students: Vec<&str> = csv
        .lines()
        .skip(1)
        .map(|row| row.split(',').next().unwrap())
        .collect();
    assert_eq!(
        students,
        [
            r"bad\xfc",
            r"bad\xfd",
            r"bad\xfe\xff",
            r"mallory\ngraded alice (1 of 4): 6\u{1b}[2J\u{202e}",
        ],
        "{csv}"
    );
    for student in &students {
        let report = out_dir.path().join(format!("{student}.json"));
        assert!(report.is_file(), "no {report:?}");
    }
}

/// The first run of the scenario in a JSON report.
fn first_stdout(doc: &serde_json::Value) -> String {
    doc["tests"][0]["extra_data"]["runs"][0]["stdout"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
#[cfg_attr(
    not(shmlab_root),
    ignore = "needs root: the cap is the namespace's own, which a user's namespace cannot set"
)]
fn the_segments_of_a_scenario_hold_at_most_512_mib_of_memory() {
    require_root();
    let dir = shared_tempdir("shmlab-red-");
    let exe = compile_hostile(dir.path(), "shm_hog", &[]);
    for traced in [true, false] {
        let mut cmd = shmlab();
        cmd.args(["check", "create/default-mode", "--isolation", "namespace"]);
        if !traced {
            cmd.arg("--no-trace");
        }
        let (_, doc) = json_report(cmd.arg("--program").arg(&exe));
        assert_eq!(
            first_stdout(&doc),
            "held 512 MiB: No space left on device\n",
            "traced: {traced}"
        );
    }
}

/// Whether anything is at `path` (a link included).
fn exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

#[test]
#[cfg_attr(
    not(shmlab_root),
    ignore = "needs root: as a user the program runs as you, and its files are yours"
)]
fn what_a_program_leaves_where_every_user_may_write_is_removed() {
    require_root();
    let dir = shared_tempdir("shmlab-red-");
    let exe = compile_hostile(dir.path(), "leaves_files", &[]);
    for isolation in ["namespace", "keys"] {
        let (_, doc) = json_report(
            shmlab()
                .args(["check", "create/default-mode", "--isolation", isolation])
                .arg("--program")
                .arg(&exe),
        );
        let left: Vec<PathBuf> = first_stdout(&doc).lines().map(PathBuf::from).collect();
        assert_eq!(
            left.len(),
            5,
            "{isolation}: the program made its files: {left:?}"
        );
        for path in &left {
            assert!(!exists(path), "{isolation}: {path:?} is still there");
        }
    }
}

/// What a student adds to a lab so that the compiler quotes it: a C `#error` or Rust's
/// `compile_error!`, each a command of GitHub's older form and one of the newer form on a
/// line of its own.
const C_ERROR: &str = "#error ##[error]FORGED by the C compiler\n";
const RUST_ERROR: &str =
    "compile_error!(\"##[error]FORGED by rustc\\n::error::FORGED on its own line\");\n";

#[test]
fn a_compilers_quote_of_the_students_code_gives_no_order_to_the_ci() {
    let ws = common::student_workspace();
    let rust = ws.path().join("labs/src/bin/create.rs");
    let mut text = std::fs::read_to_string(&rust).unwrap();
    text.push_str(RUST_ERROR);
    std::fs::write(&rust, text).unwrap();
    let c = ws.path().join("labs/c");
    std::fs::create_dir_all(&c).unwrap();
    let starters = common::pristine_c();
    for entry in std::fs::read_dir(starters.path()).unwrap() {
        let from = entry.unwrap().path();
        std::fs::copy(&from, c.join(from.file_name().unwrap())).unwrap();
    }
    let source = c.join("create.c");
    let text = std::fs::read_to_string(&source).unwrap();
    std::fs::write(&source, format!("{C_ERROR}{text}")).unwrap();
    for lang in ["rust", "c"] {
        let out = shmlab()
            .current_dir(ws.path())
            .args(["check", "create", "--format", "github", "--lang", lang])
            .output()
            .unwrap();
        let log = String::from_utf8_lossy(&out.stderr);
        assert!(
            log.contains("FORGED"),
            "{lang}: the compiler's messages are shown:\n{log}"
        );
        assert_eq!(
            ci_commands(&out.stderr),
            Vec::<String>::new(),
            "{lang}: the build's messages have lines a CI would obey:\n{log}"
        );
        let commands = ci_commands(&out.stdout);
        assert_eq!(commands.len(), 1, "{lang}: {commands:?}");
    }
}

#[test]
#[cfg_attr(
    not(shmlab_root),
    ignore = "needs root: as a user the programs run as you, who may read it all"
)]
fn a_students_program_cannot_read_another_students_build_or_report() {
    require_root();
    // A class folder only root can enter, as the note of `grade` asks for; bob's `create`
    // finds grade's output folder in its checker's command line and lists the builds there.
    let class = tempfile::tempdir().unwrap();
    for (name, script) in [
        ("alice", "#!/bin/sh\necho 0\n"),
        (
            "bob",
            "#!/bin/sh\nd=$(tr '\\0' '\\n' < /proc/$PPID/cmdline | grep -A1 -x -- --dir | tail -n 1)\nls \"$(dirname \"$d\")\" \"$(dirname \"$(dirname \"$d\")\")\" 2>&1\necho 0\n",
        ),
    ] {
        let dir = class.path().join(name);
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("create"), script).unwrap();
        std::fs::set_permissions(dir.join("create"), std::fs::Permissions::from_mode(0o755))
            .unwrap();
    }
    let out_dir = shared_tempdir("shmlab-red-out-");
    let out = shmlab()
        .args(["grade", "--labs", "create", "--jobs", "1", "--out"])
        .arg(out_dir.path())
        .arg(class.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out_dir.path().join("bob.json")).unwrap()).unwrap();
    let seen = first_stdout(&report);
    assert!(seen.contains("Permission denied"), "{seen}");
    assert!(!seen.contains("alice"), "bob's program saw: {seen}");
    let csv = std::fs::read_to_string(out_dir.path().join("grades.csv")).unwrap();
    assert!(csv.contains("\nalice,"), "{csv}");
}

#[test]
#[cfg_attr(
    not(shmlab_root),
    ignore = "needs root: keys mode as root, whose runs have a uid of their own"
)]
fn a_programs_message_queues_and_semaphores_do_not_outlive_it_in_keys_mode() {
    use shm::others::{remove, Other};
    require_root();
    let dir = shared_tempdir("shmlab-red-");
    let exe = compile_hostile(dir.path(), "leaves_queue", &[]);
    let (_, doc) = json_report(
        shmlab()
            .args(["check", "create/default-mode", "--isolation", "keys"])
            .arg("--program")
            .arg(&exe),
    );
    let made: Vec<(Other, i32)> = first_stdout(&doc)
        .lines()
        .filter_map(|line| match line.split_once(' ')? {
            ("msg", id) => Some((Other::MessageQueue, id.parse().ok()?)),
            ("sem", id) => Some((Other::SemaphoreSet, id.parse().ok()?)),
            _ => None,
        })
        .collect();
    assert_eq!(made.len(), 2, "the program made both: {made:?}");
    // Each is gone already: removing it again finds nothing (and cleans up if not).
    for (kind, id) in made {
        assert_eq!(
            remove(kind, id),
            Err(shm::Errno::EINVAL),
            "{kind:?} {id} was left"
        );
    }
}

/// A "create" that never calls shmget and prints 0: in a fresh IPC namespace the first
/// segment's id was 0, so untraced it printed the existing segment's id and passed. The
/// setup segment's id is now one no program can guess.
#[test]
fn a_program_printing_a_constant_id_does_not_pass_untraced() {
    let dir = shared_tempdir("shmlab-constant-id-");
    let program = dir.path().join("create");
    std::fs::write(&program, "#!/bin/sh\necho 0\n").unwrap();
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
    for _ in 0..3 {
        let (code, doc) = json_report(
            shmlab()
                .args([
                    "check",
                    "create/existing-key",
                    "--isolation",
                    "namespace",
                    "--no-trace",
                    "--program",
                ])
                .arg(&program),
        );
        assert_eq!(code, 1, "a constant 0 passed: {doc:#}");
        assert_eq!(doc["tests"][0]["status"], "failed", "{doc:#}");
    }
}

/// `grade --assignment` names its students as `grade` does: neutral, so a folder's name
/// forges no progress line nor CSV row, and unique, so two names that differ only in bytes
/// that are not UTF-8 are two students (they were one, or none); its output is the checker's
/// alone (0700).
#[test]
fn grade_assignment_names_every_folder_neutrally_and_keeps_its_output_closed() {
    let forged = b"mallory\nshmlab: grading alice ...\x1b[2J";
    let class = shared_tempdir("shmlab-red-asgn-class-");
    let reference = common::workspace().join("assignments/shmegegge/shmegegge.c");
    for name in [&b"bad\xfc"[..], b"bad\xfd", forged] {
        let dir = class.path().join(OsStr::from_bytes(name));
        std::fs::create_dir(&dir).unwrap();
        std::fs::copy(&reference, dir.join("shmegegge.c")).unwrap();
    }
    let out_base = shared_tempdir("shmlab-red-asgn-out-");
    // Made by grade itself, so its mode is grade's doing.
    let out_dir = out_base.path().join("grades");
    let out = shmlab()
        .arg("grade")
        .arg(class.path())
        .arg("--assignment")
        .arg(common::workspace().join("assignments/shmegegge.toml"))
        .args(["--jobs", "2", "--out"])
        .arg(&out_dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let log = String::from_utf8_lossy(&out.stderr);
    for line in log.lines() {
        assert!(
            !line.starts_with("shmlab: grading alice"),
            "a forged line:\n{log}"
        );
    }
    assert!(!log.contains('\x1b'), "{log}");
    let csv = std::fs::read_to_string(out_dir.join("grades.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    let students: Vec<&str> = rows.iter().map(|r| r.split(',').next().unwrap()).collect();
    assert_eq!(
        students,
        [
            r"bad\xfc",
            r"bad\xfd",
            r"mallory\nshmlab: grading alice ...\u{1b}[2J"
        ],
        "{csv}"
    );
    assert!(rows.iter().all(|r| r.contains(",9,9,pass,")), "{csv}");
    for student in &students {
        assert!(
            out_dir.join(format!("{student}.json")).is_file(),
            "{student}"
        );
    }
    let mode = std::fs::metadata(&out_dir).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700, "{mode:o}");
}
