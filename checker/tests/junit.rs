//! `--format junit` and `--output`: the JUnit XML a CI test reporter reads, one testsuite per
//! lab and one testcase per scenario, read back by a JUnit parser; every format can go to a
//! file, leaving stdout alone.

mod common;

use common::{json_report, shmlab, workspace};

fn buggy_create() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("junit");
    std::fs::create_dir_all(&dir).unwrap();
    let exe = dir.join("create");
    let ok = std::process::Command::new("cc")
        .args(["-O1", "-o"])
        .arg(&exe)
        .arg(workspace().join("checker/fixtures/c/create_mode_zero.c"))
        .status()
        .unwrap()
        .success();
    assert!(ok);
    exe
}

#[test]
fn junit_output_is_read_back_by_a_junit_parser_with_the_same_counts_and_the_diagnosis() {
    let exe = buggy_create();
    let out = shmlab()
        .args(["check", "create", "--format", "junit", "--program"])
        .arg(&exe)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let xml = String::from_utf8(out.stdout).unwrap();
    let report = quick_junit::Report::deserialize_from_str(&xml)
        .unwrap_or_else(|e| panic!("not JUnit XML ({e}):\n{xml}"));
    let (_, doc) = json_report(shmlab().args(["check", "create", "--program"]).arg(&exe));
    let counts = &doc["extra_data"]["counts"];
    assert_eq!(report.test_suites.len(), 1, "one suite per lab checked");
    let suite = &report.test_suites[0];
    assert_eq!(suite.test_cases.len(), 6);
    assert_eq!(suite.failures, counts["failed"].as_u64().unwrap() as usize);
    assert_eq!(suite.skipped, counts["skipped"].as_u64().unwrap() as usize);
    assert!(xml.contains("IPC_CREAT alone gives mode 0000"), "{xml}");
    assert!(xml.contains("classname=\"shmlab.create\""), "{xml}");
}

#[test]
fn every_format_can_go_to_a_file_and_leave_stdout_alone() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("junit-output");
    std::fs::create_dir_all(&dir).unwrap();
    for (format, starts) in [("human", "Checking"), ("json", "{"), ("junit", "<?xml")] {
        let file = dir.join(format!("report.{format}"));
        let out = shmlab()
            .args([
                "check",
                "access",
                "--solutions",
                "--format",
                format,
                "--output",
            ])
            .arg(&file)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{format}");
        assert!(out.stdout.is_empty(), "{format}: stdout stays empty");
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.starts_with(starts), "{format}: {text}");
    }
}

#[test]
fn github_annotations_put_each_failure_on_the_labs_file() {
    let exe = buggy_create();
    let out = shmlab()
        .args(["check", "create", "--format", "github", "--program"])
        .arg(&exe)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let errors: Vec<&str> = text.lines().filter(|l| l.starts_with("::error ")).collect();
    assert!(!errors.is_empty(), "{text}");
    for e in &errors {
        assert!(e.contains("file="), "{e}");
        assert!(e.contains("title=create/"), "{e}");
    }
    assert!(text.contains("IPC_CREAT alone gives mode 0000"), "{text}");
    let out = shmlab()
        .args(["check", "access", "--solutions", "--format", "github"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("::notice file=solutions/src/bin/solution-access.rs,title=lab access::done"),
        "{text}"
    );
}
