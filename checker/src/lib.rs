//! `shmlab`, the checker of the System V shared memory labs.
//!
//! Data flows one way: `cli` → plan → `scenario` (from the `catalogue`) → `run` (isolation,
//! spawn, snapshots) → verdict → `report`. A student failing a check is a verdict, never an
//! error; errors are the checker's own trouble (bad usage, an environment it cannot use).

pub mod cargo_build;
pub mod catalogue;
pub mod cli;
pub mod grade;
pub mod report;
pub mod run;
pub mod scenario;
pub mod trace;

/// Exit statuses of `shmlab`, documented in `docs/checker.md`.
pub mod exit_codes {
    /// No selected scenario failed (skipped ones are counted apart).
    pub const OK: u8 = 0;
    /// At least one scenario failed, or a lab does not compile or is missing.
    pub const FAILED: u8 = 1;
    /// The command line was wrong: unknown lab, missing program, bad option.
    pub const USAGE: u8 = 2;
    /// The environment cannot run the checks.
    pub const ENVIRONMENT: u8 = 3;
}
