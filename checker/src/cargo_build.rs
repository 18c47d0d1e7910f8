//! Building the `labs` (or `solutions`) crate and finding its binaries.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Why the build did not give binaries.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// cargo could not be started.
    #[error(
        "could not run cargo ({0}): install Rust with rustup, or check a program with --program"
    )]
    NoCargo(std::io::Error),
    /// The crate does not compile; cargo printed the errors.
    #[error("the {0} crate does not compile: the compiler's errors are above")]
    DoesNotCompile(String),
}

/// The workspace of the kit: the nearest directory above the current one that has
/// `Cargo.toml` and `labs/Cargo.toml`, else the one this checker was built from.
pub fn find_workspace() -> Option<PathBuf> {
    let here = std::env::current_dir().ok()?;
    let found = here
        .ancestors()
        .find(|d| d.join("Cargo.toml").is_file() && d.join("labs/Cargo.toml").is_file());
    if let Some(d) = found {
        return Some(d.to_path_buf());
    }
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).parent()?;
    built
        .join("labs/Cargo.toml")
        .is_file()
        .then(|| built.to_path_buf())
}

/// Builds `package` in `workspace` and returns its binaries by name. The compiler's
/// messages go to stderr, rendered as usual.
pub fn build(workspace: &Path, package: &str) -> Result<BTreeMap<String, PathBuf>, BuildError> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "build",
            "--quiet",
            "--package",
            package,
            "--bins",
            "--message-format=json-render-diagnostics",
        ])
        .current_dir(workspace)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(BuildError::NoCargo)?;
    if !output.status.success() {
        return Err(BuildError::DoesNotCompile(package.to_string()));
    }
    Ok(executables(&output.stdout))
}

/// The executables named in cargo's `--message-format=json` output, by target name.
pub fn executables(messages: &[u8]) -> BTreeMap<String, PathBuf> {
    let mut bins = BTreeMap::new();
    for line in messages.split(|b| *b == b'\n') {
        let Ok(msg) = serde_json::from_slice::<serde_json::Value>(line) else {
            continue;
        };
        if msg["reason"] == "compiler-artifact" {
            if let (Some(name), Some(exe)) =
                (msg["target"]["name"].as_str(), msg["executable"].as_str())
            {
                bins.insert(name.to_string(), PathBuf::from(exe));
            }
        }
    }
    bins
}
