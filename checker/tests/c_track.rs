//! The C track: the C reference solutions pass every scenario, the untouched C starters
//! (derived from the solutions, never the student's `labs/c`) fail every lab as not started,
//! and a C lab that does not compile is that lab's problem alone.

mod common;

use std::path::{Path, PathBuf};

use common::{json_report, outcomes, pristine_c, shmlab};
use shmlab_checker::app::c_build;
use shmlab_checker::model::lab::LabProblem;
use shmlab_checker::model::Lab;

/// A directory of this test run under cargo's target (nothing is left in /tmp).
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("c-track-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_c_solutions_pass_every_scenario() {
    let (code, doc) = json_report(shmlab().args(["check", "--solutions", "--lang", "c"]));
    let bad: Vec<(String, String)> = outcomes(&doc)
        .into_iter()
        .filter(|(_, o)| o != "passed" && o != "skipped")
        .collect();
    assert!(bad.is_empty(), "{bad:?}\n{doc:#}");
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(
        doc["extra_data"]["labs"].as_array().unwrap().len(),
        Lab::ALL.len()
    );
}

/// Whether the scenario a report's test name names only checks bad usage.
fn is_usage(name: &str) -> bool {
    shmlab_checker::catalogue::all()
        .iter()
        .any(|s| name.contains(s.slug) && s.purpose == shmlab_checker::scenario::Purpose::Usage)
}

#[test]
fn the_untouched_c_starters_fail_every_lab_as_not_started() {
    let out = scratch("starters");
    let starters = pristine_c();
    let programs = c_build::build(starters.path(), &out, &Lab::ALL, "labs/c", None);
    assert!(programs.iter().all(|(_, p)| p.is_ok()), "{programs:?}");
    let (code, doc) = json_report(shmlab().args(["check", "--dir"]).arg(&out));
    assert_eq!(code, 1);
    for test in doc["tests"].as_array().unwrap() {
        let e = &test["extra_data"];
        if e["outcome"] == "passed" {
            // Only the usage scenarios: the starters' argument parsing is done.
            assert!(is_usage(test["name"].as_str().unwrap()), "{test:#}");
            continue;
        }
        if e["outcome"] == "skipped" {
            continue;
        }
        // One check, the status, naming the lab as not implemented and its C file.
        let checks = e["checks"].as_array().unwrap();
        assert_eq!(checks.len(), 1, "{test:#}");
        let hint = checks[0]["hint"].as_str().unwrap();
        assert!(hint.contains("not implemented yet"), "{test:#}");
        assert!(
            hint.contains("labs/c/"),
            "the hint points at the C file: {test:#}"
        );
    }
}

#[test]
fn a_c_lab_that_does_not_compile_is_that_labs_problem_alone() {
    let src = pristine_c();
    let src = src.path();
    std::fs::write(src.join("create.c"), "int main(void) { return nope; }\n").unwrap();
    let out = scratch("broken-out");
    let programs = c_build::build(src, &out, &[Lab::Create, Lab::Access], "labs/c", None);
    match &programs[0] {
        (
            Lab::Create,
            Err(LabProblem::SourceDoesNotCompile {
                file,
                why: None,
                errors: Some(errors),
            }),
        ) => {
            assert_eq!(file, "labs/c/create.c");
            assert!(
                errors.contains("nope"),
                "the compiler's error is kept: {errors}"
            );
        }
        other => panic!("create should not compile: {other:?}"),
    }
    assert!(programs[1].1.is_ok(), "access still builds: {programs:?}");
    // No half-written binary is left for the broken lab.
    assert!(!out.join("create").exists());
}
