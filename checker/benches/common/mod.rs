//! What the benchmarks that run the `shmlab` command share.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Builds the release `shmlab` (a benchmark measures what a user runs) and returns its path.
pub fn release_shmlab() -> PathBuf {
    let status = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["build", "--quiet", "--release", "-p", "shmlab-checker"])
        .current_dir(workspace())
        .status()
        .unwrap();
    assert!(status.success());
    workspace().join("target/release/shmlab")
}
