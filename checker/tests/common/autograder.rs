//! A Gradescope autograder image, as Gradescope makes and runs it (its "Autograder
//! Specifications"): the zip unpacked in `ROOT/source`, `setup.sh` run there once as root in
//! a fresh `HOME`, then for each submission `run_autograder` copied to `ROOT/run_autograder`
//! and run from `ROOT` as root, with the plain `PATH` of Gradescope's image, the submission
//! in `ROOT/submission`, and `ROOT/results/results.json` read back. `ROOT` is a temporary
//! directory (the scripts take `AUTOGRADER_ROOT`) instead of `/autograder`.
//!
//! The image stands for one with Rust installed where setup.sh finds it (the toolchain's own
//! `bin` on setup's PATH, its crates in `CARGO_HOME`), as a course image with Rust would; the
//! setup's release build goes to the tests' target directory (`CARGO_TARGET_DIR`), so that
//! it is built once.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::{shmlab, workspace};

/// Gradescope's PATH when it runs `run_autograder` (Ubuntu's default): no cargo in it.
const GRADESCOPE_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

fn sysroot() -> PathBuf {
    let out = Command::new(std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()))
        .args(["--print", "sysroot"])
        .current_dir(workspace())
        .output()
        .unwrap();
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

fn cargo_home() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(&std::env::var_os("HOME").unwrap()).join(".cargo"))
}

/// Writes the zip with `args` (from the kit's checkout `kit`) and returns its entries' names
/// and the zip's path.
pub fn bundle(kit: &Path, dir: &Path, args: &[&str]) -> (Vec<String>, PathBuf) {
    let zip = dir.join("autograder.zip");
    shmlab()
        .current_dir(kit)
        .arg("gradescope")
        .args(args)
        .arg("--out")
        .arg(&zip)
        .assert()
        .success();
    let archive = zip::ZipArchive::new(std::fs::File::open(&zip).unwrap()).unwrap();
    let names = archive
        .file_names()
        .map(|n| n.unwrap().into_owned())
        .collect();
    (names, zip)
}

/// An autograder image: the zip unpacked and setup.sh run.
pub struct Image {
    root: tempfile::TempDir,
}

impl Image {
    pub fn new(args: &[&str]) -> Image {
        let root = tempfile::Builder::new()
            .prefix("shmlab-gradescope-")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .unwrap();
        std::fs::set_permissions(root.path(), PermissionsExt::from_mode(0o755)).unwrap();
        let (_, zip) = bundle(&workspace(), root.path(), args);
        let source = root.path().join("source");
        let mut archive = zip::ZipArchive::new(std::fs::File::open(&zip).unwrap()).unwrap();
        archive.extract(&source).unwrap();
        let home = root.path().join("setup-home");
        std::fs::create_dir(&home).unwrap();
        let out = Command::new("bash")
            .arg(source.join("setup.sh"))
            .current_dir(&source)
            .env_clear()
            .env(
                "PATH",
                format!("{}:{GRADESCOPE_PATH}", sysroot().join("bin").display()),
            )
            .env("HOME", &home)
            .env("CARGO_HOME", cargo_home())
            .env("CARGO_TARGET_DIR", workspace().join("target"))
            .env("AUTOGRADER_ROOT", root.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "setup.sh fails:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // What Gradescope does: the script is copied to the root and run from there.
        std::fs::copy(
            source.join("run_autograder"),
            root.path().join("run_autograder"),
        )
        .unwrap();
        Image { root }
    }

    pub fn path(&self) -> &Path {
        self.root.path()
    }

    /// Lays out `files` (name, bytes, mode) as the submission.
    pub fn submit(&self, files: &[(String, Vec<u8>, u32)]) {
        let sub = self.path().join("submission");
        let _ = std::fs::remove_dir_all(&sub);
        let _ = std::fs::remove_dir_all(self.path().join("results"));
        std::fs::create_dir_all(&sub).unwrap();
        for (name, bytes, mode) in files {
            let p = sub.join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, bytes).unwrap();
            std::fs::set_permissions(&p, PermissionsExt::from_mode(*mode)).unwrap();
        }
    }

    /// `run_autograder` as Gradescope starts it.
    pub fn command(&self) -> Command {
        let home = self.path().join("run-home");
        std::fs::create_dir_all(&home).unwrap();
        let tmp = self.path().join("tmp");
        std::fs::create_dir_all(&tmp).unwrap();
        let mut cmd = Command::new(self.path().join("run_autograder"));
        cmd.current_dir(self.path())
            .env_clear()
            .env("PATH", GRADESCOPE_PATH)
            .env("HOME", &home)
            // Only so that the test finds what the grading left running (below).
            .env("TMPDIR", &tmp)
            .env("AUTOGRADER_ROOT", self.path())
            .stdin(Stdio::null());
        cmd
    }

    pub fn results(&self) -> serde_json::Value {
        let text = std::fs::read_to_string(self.path().join("results/results.json")).unwrap();
        assert!(
            text.len() < 1_000_000,
            "results.json is {} bytes",
            text.len()
        );
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    }

    /// Grades `files` and returns results.json.
    pub fn grade(&self, files: &[(String, Vec<u8>, u32)]) -> serde_json::Value {
        self.submit(files);
        let out = self.command().output().unwrap();
        assert!(
            out.status.success(),
            "run_autograder exits 0: {out:?}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.results()
    }

    /// The processes whose command line names this root: what the grading left running.
    pub fn left_running(&self) -> Vec<String> {
        let needle = self.path().display().to_string();
        let mut found = Vec::new();
        for e in std::fs::read_dir("/proc").unwrap().flatten() {
            if let Ok(cmdline) = std::fs::read(e.path().join("cmdline")) {
                let text = String::from_utf8_lossy(&cmdline).replace('\0', " ");
                if text.contains(&needle) {
                    found.push(text);
                }
            }
        }
        found
    }
}

pub fn file(name: &str, bytes: Vec<u8>, mode: u32) -> (String, Vec<u8>, u32) {
    (name.to_string(), bytes, mode)
}

pub fn read(rel: &str) -> Vec<u8> {
    std::fs::read(workspace().join(rel)).unwrap()
}

/// The files of a folder of the kit, as a student hands them in (subfolders kept).
pub fn folder_files(rel: &str) -> Vec<(String, Vec<u8>, u32)> {
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<(String, Vec<u8>, u32)>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let name = format!("{prefix}{}", e.file_name().to_string_lossy());
            if e.path().is_dir() {
                walk(&e.path(), &format!("{name}/"), out);
            } else {
                let mode = std::fs::metadata(e.path()).unwrap().permissions().mode() & 0o777;
                out.push(file(&name, std::fs::read(e.path()).unwrap(), mode));
            }
        }
    }
    let mut out = Vec::new();
    walk(&workspace().join(rel), "", &mut out);
    out
}
