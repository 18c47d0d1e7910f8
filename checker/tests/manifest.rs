//! The workspace's manifest says what the kit needs: its `rust-version` is the highest any
//! crate of its dependency tree declares (an older Rust fails on that crate, with an error
//! about it rather than about the kit).

mod common;

use std::process::Command;

fn version(v: &str) -> Vec<u64> {
    v.split('.').map(|p| p.parse().unwrap()).collect()
}

#[test]
fn rust_version_is_the_highest_of_the_dependency_tree() {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(common::workspace())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let members: Vec<&str> = meta["workspace_members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    let mut needed: Option<(Vec<u64>, String)> = None;
    let mut declared = None;
    for p in meta["packages"].as_array().unwrap() {
        let Some(v) = p["rust_version"].as_str() else {
            continue;
        };
        if members.contains(&p["id"].as_str().unwrap()) {
            declared = Some(version(v));
            continue;
        }
        if needed.as_ref().is_none_or(|(n, _)| version(v) > *n) {
            needed = Some((version(v), p["name"].as_str().unwrap().to_string()));
        }
    }
    let (needed, by) = needed.unwrap();
    let mut declared = declared.expect("the workspace declares a rust-version");
    declared.resize(needed.len().max(declared.len()), 0);
    let mut needed_full = needed.clone();
    needed_full.resize(declared.len(), 0);
    assert_eq!(
        declared, needed_full,
        "rust-version should be what {by} needs"
    );
}
