//! `shmlab`, the checker of the System V shared memory labs.
//!
//! Data flows one way: [`cli`] (clap) → [`plan`] → [`app`] (orchestration) → [`run`] (how to
//! run: isolation, processes, tracer) and [`scenario`] (what to check, from the
//! [`catalogue`]) → [`model`] (plain data) → [`report`] (renderers). A student failing a
//! check is a verdict, never an error; [`error`] holds the checker's own troubles (bad
//! usage, an environment it cannot use) and maps them to exit statuses.

pub mod app;
pub mod catalogue;
pub mod cli;
pub mod error;
pub mod model;
pub mod plan;
pub mod report;
pub mod run;
pub mod scenario;

pub use error::exit_codes;
