//! Property tests: whatever a student's program does (segments of any size and bytes, any
//! calls in any order with any results, any output, any end), the checker's evaluation, its
//! hints and every renderer come back with a verdict and a document, never a panic. A panic
//! there once cost a student the whole report (issue 20).
//!
//! Each property runs a bounded number of cases (`config`), so the suite stays a few seconds
//! long in `cargo test`. A case that fails is shrunk by proptest to a small input: add it as
//! an example test next to the fix (`catalogue/panic_tests.rs`, `report/...`), which keeps
//! it found.

mod dialogue;
mod evaluate;
mod gen;
mod progress;
mod render;

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

/// `cases` cases, unless `PROPTEST_CASES` says how many (for a longer hunt).
pub fn config(cases: u32) -> Config {
    Config {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(cases),
        // The examples of a failure go into a regular test, not a file next to the source.
        failure_persistence: None,
        ..Config::default()
    }
}

/// Runs `test` on the cases of the strategy `make` makes, in a thread with room for
/// proptest's deep value trees (a debug build overflows the 2 MiB of a test thread); a
/// failure panics with the shrunk input.
pub fn check<S, F>(name: &str, cases: u32, make: F, test: fn(S::Value) -> Result<(), TestCaseError>)
where
    S: Strategy,
    S::Value: std::fmt::Debug + 'static,
    F: FnOnce() -> S + Send + 'static,
{
    let name = name.to_string();
    std::thread::Builder::new()
        .name(name.clone())
        .stack_size(256 << 20)
        .spawn(move || {
            if let Err(e) = TestRunner::new(config(cases)).run(&make(), test) {
                panic!("{name}: {e}");
            }
        })
        .unwrap()
        .join()
        .unwrap_or_else(|_| panic!("a property failed"));
}
