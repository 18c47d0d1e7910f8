use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use super::*;

fn is_root() -> bool {
    geteuid().is_root()
}

/// A student's folder: files, a nested directory, and what the copy must leave out.
fn folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::write(p.join("create.c"), "int main(void) { return 0; }\n").unwrap();
    std::fs::create_dir_all(p.join("src/bin")).unwrap();
    std::fs::write(p.join("src/bin/create.rs"), "fn main() {}\n").unwrap();
    std::fs::write(p.join("run.sh"), "#!/bin/sh\n").unwrap();
    std::fs::set_permissions(p.join("run.sh"), std::fs::Permissions::from_mode(0o700)).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", p.join("access.c")).unwrap();
    std::os::unix::fs::symlink("create.c", p.join("src/alias.c")).unwrap();
    std::os::unix::fs::symlink("/etc", p.join("etc")).unwrap();
    std::fs::create_dir_all(p.join("target/debug")).unwrap();
    std::fs::write(p.join("target/debug/create"), "old").unwrap();
    std::fs::write(p.join(".hidden"), "x").unwrap();
    nix::unistd::mkfifo(&p.join("pipe"), Mode::from_bits_truncate(0o644)).unwrap();
    dir
}

#[test]
fn the_copy_takes_regular_files_and_directories_and_follows_no_link() {
    let src = folder();
    let mut bx = BuildBox::new(Builder::Checker).unwrap();
    let copy = bx.copy_in(src.path(), Path::new("src")).unwrap();
    assert_eq!(
        std::fs::read_to_string(copy.join("create.c")).unwrap(),
        "int main(void) { return 0; }\n"
    );
    assert!(copy.join("src/bin/create.rs").is_file());
    let mode = std::fs::metadata(copy.join("run.sh")).unwrap().mode();
    assert_eq!(mode & 0o111, 0o111, "an executable stays one: {mode:o}");
    for gone in [
        "access.c",
        "src/alias.c",
        "etc",
        "target",
        ".hidden",
        "pipe",
    ] {
        assert!(
            std::fs::symlink_metadata(copy.join(gone)).is_err(),
            "{gone} is not copied"
        );
    }
    let skipped: Vec<String> = bx.skipped().iter().map(|s| s.to_string()).collect();
    assert_eq!(
        skipped,
        [
            "access.c (a symbolic link, which the copy does not follow)",
            "etc (a symbolic link, which the copy does not follow)",
            "pipe (neither a regular file nor a directory)",
            "src/alias.c (a symbolic link, which the copy does not follow)",
        ]
    );
}

#[test]
fn a_folder_named_through_a_link_is_not_copied() {
    let src = folder();
    let outer = tempfile::tempdir().unwrap();
    let link = outer.path().join("student");
    std::os::unix::fs::symlink(src.path(), &link).unwrap();
    let mut bx = BuildBox::new(Builder::Checker).unwrap();
    let err = bx.copy_in(&link, Path::new("src")).unwrap_err();
    assert!(matches!(err, BoxError::Copy { .. }), "{err}");
}

#[test]
fn a_file_with_another_hard_link_is_left_out() {
    let src = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir_in(src.path().parent().unwrap()).unwrap();
    std::fs::write(elsewhere.path().join("secret"), "secret").unwrap();
    if std::fs::hard_link(elsewhere.path().join("secret"), src.path().join("create.c")).is_err() {
        return; // two file systems: nothing to test
    }
    let mut bx = BuildBox::new(Builder::Checker).unwrap();
    let copy = bx.copy_in(src.path(), Path::new("src")).unwrap();
    assert!(!copy.join("create.c").exists());
    assert_eq!(bx.skipped()[0].why, SkipReason::HardLink);
}

#[test]
fn a_program_comes_out_only_as_a_regular_file_never_through_a_link() {
    let bx = BuildBox::new(Builder::Checker).unwrap();
    let dest = tempfile::tempdir().unwrap();
    std::fs::write(bx.out().join("create"), "\x7fELF...").unwrap();
    bx.copy_out(&bx.out().join("create"), &dest.path().join("create"))
        .unwrap();
    let meta = std::fs::metadata(dest.path().join("create")).unwrap();
    assert_eq!(meta.mode() & 0o777, 0o755);
    std::os::unix::fs::symlink("/etc/passwd", bx.out().join("access")).unwrap();
    let err = bx
        .copy_out(&bx.out().join("access"), &dest.path().join("access"))
        .unwrap_err();
    assert!(matches!(err, BoxError::NotBuilt { .. }), "{err}");
    assert!(!dest.path().join("access").exists());
}

#[test]
fn the_box_is_removed_when_dropped() {
    let bx = BuildBox::new(Builder::Checker).unwrap();
    let path = bx.path().to_path_buf();
    assert!(path.join("home").is_dir() && path.join("out").is_dir());
    drop(bx);
    assert!(!path.exists());
}

#[test]
fn students_build_as_the_given_uid_only_under_a_root_checker() {
    let builder = Builder::for_students(65534, 65534);
    if is_root() {
        assert_eq!(
            builder,
            Builder::Unprivileged {
                uid: 65534,
                gid: 65534
            }
        );
    } else {
        assert_eq!(builder, Builder::Checker);
    }
}

#[test]
#[cfg_attr(not(shmlab_root), ignore = "needs root: gives the copy to uid 65534")]
fn a_root_checker_gives_the_copy_to_the_build_uid_and_takes_back_only_its_files() {
    assert!(is_root(), "run as root");
    let src = folder();
    let mut bx = BuildBox::new(Builder::Unprivileged {
        uid: 65534,
        gid: 65534,
    })
    .unwrap();
    let copy = bx.copy_in(src.path(), Path::new("src")).unwrap();
    for p in ["create.c", "src", "src/bin/create.rs"] {
        assert_eq!(std::fs::metadata(copy.join(p)).unwrap().uid(), 65534, "{p}");
    }
    // Root's own file in the box (as a build could never make it) does not come out.
    std::fs::write(bx.out().join("root-only"), "secret").unwrap();
    let dest = tempfile::tempdir().unwrap();
    let err = bx
        .copy_out(&bx.out().join("root-only"), &dest.path().join("create"))
        .unwrap_err();
    assert!(matches!(err, BoxError::NotBuilt { .. }), "{err}");
    // Nor does anything outside the box.
    let err = bx
        .copy_out(Path::new("/etc/passwd"), &dest.path().join("create"))
        .unwrap_err();
    assert!(matches!(err, BoxError::NotBuilt { .. }), "{err}");
    // The compiler runs as that uid, in the copy.
    let mut id = bx.command("id", &copy, Duration::from_secs(10)).unwrap();
    let out = id.arg("-u").output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "65534");
    assert_eq!(std::fs::metadata(bx.path()).unwrap().uid(), 65534);
}
