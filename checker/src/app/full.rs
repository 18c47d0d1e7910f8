//! The full build, reached from a build without it.
//!
//! `cargo shmlab`, the students' alias, builds the checker without the `full` feature (the
//! Gradescope zip, JUnit, the manual pages, the assignment files' JSON Schema): a fresh
//! clone's first report comes sooner. A command that needs the feature is run again, with the
//! same arguments, by the full build of the same checkout, through the cargo that ran this
//! one; the first time, cargo builds it (its progress shows).

use std::ffi::OsString;
use std::process::Command;

use crate::error::{exit_codes, Fatal, UsageError};
use crate::plan::FullOnly;

/// Set for the full build run from here: it never hands a command on again.
const HANDED_ON: &str = "SHMLAB_FROM_LEAN_BUILD";

/// Runs `args` (this process's whole command line) by the full build; its exit status.
pub fn hand_on(what: FullOnly, args: &[OsString]) -> Result<u8, Fatal> {
    // `cargo run` tells the program which cargo ran it; a binary run by hand has no cargo to
    // build with.
    let cargo = match std::env::var_os("CARGO") {
        Some(cargo) if std::env::var_os(HANDED_ON).is_none() => cargo,
        _ => return Err(UsageError::NotInThisBuild(what).into()),
    };
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    eprintln!(
        "shmlab: {}: running the full checker (`cargo shmlab` builds it without, to be quicker)",
        crate::error::full_only_what(what)
    );
    let status = Command::new(cargo)
        .args([
            "run",
            "--manifest-path",
            manifest,
            "--package",
            "shmlab-checker",
        ])
        .args(["--bin", "shmlab", "--"])
        .args(args.iter().skip(1))
        .env(HANDED_ON, "1")
        .status()
        .map_err(|_| UsageError::NotInThisBuild(what))?;
    Ok(status
        .code()
        .and_then(|c| u8::try_from(c).ok())
        .unwrap_or(exit_codes::ENVIRONMENT))
}
