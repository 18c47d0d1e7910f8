//! `shmlab`, the checker of the System V shared memory labs.
//!
//! Data flows one way: [`cli`] (clap) → [`plan`] → [`app`] (orchestration) → [`run`] (how to
//! run: isolation, processes, tracer) and [`scenario`] (what to check, from the
//! [`catalogue`]) → [`model`] (plain data) → [`report`] (renderers). A student failing a
//! check is a verdict, never an error; [`error`] holds the checker's own troubles (bad
//! usage, an environment it cannot use) and maps them to exit statuses.

pub mod app;
pub mod assignment;
pub mod catalogue;
pub mod cli;
pub mod error;
pub mod model;
pub mod plan;
pub mod report;
pub mod run;
pub mod scenario;

pub use error::exit_codes;

#[cfg(test)]
mod layers {
    //! The layer rules of `docs/contributing.md`, checked on the source.

    use std::path::Path;

    fn sources(dir: &Path) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(sources(&path));
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                out.push((path.display().to_string(), text));
            }
        }
        out
    }

    #[test]
    fn model_scenario_and_assignment_import_nothing_from_run_app_or_report() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        for layer in ["model", "scenario", "assignment"] {
            for (path, text) in sources(&src.join(layer)) {
                for above in ["crate::run", "crate::app", "crate::report", "crate::cli"] {
                    assert!(!text.contains(above), "{path} uses {above}");
                }
            }
        }
    }

    #[test]
    fn no_two_modules_import_each_other_and_errors_reach_no_orchestration() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let read = |p: &str| std::fs::read_to_string(src.join(p)).unwrap();
        assert!(
            !read("app/c_build.rs").contains("programs::"),
            "c_build uses programs"
        );
        assert!(
            !read("error.rs").contains("crate::app"),
            "error.rs uses app"
        );
    }

    #[test]
    fn no_source_file_does_two_jobs() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        for (path, text) in sources(&src) {
            let lines = text.lines().count();
            assert!(lines <= 600, "{path} has {lines} lines: split it");
        }
    }
}
