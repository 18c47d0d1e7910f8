//! One student's submission, made ready to check: the class folder's students (named
//! neutrally and uniquely), their Cargo project built or their programs and C sources
//! copied and compiled, each in a build box of its own.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::app::cargo_build::{build_submission, build_within, first_lines, not_copied, CC_LIMIT};
use crate::model::Lab;
use crate::report::neutral::neutral;
use crate::run::build::BuildBox;

/// One student's programs, ready to check.
pub(super) struct Prepared {
    pub(super) student: String,
    pub(super) dir: PathBuf,
    /// The submission's folder, which the programs run in a copy of.
    pub(super) src: PathBuf,
    /// Labs that could not be built, with the reason.
    pub(super) problems: BTreeMap<Lab, String>,
}

/// The students: each subdirectory's path, under the name `grade` gives it in its output,
/// its messages and its files. The folder's name, neutral ([`neutral`]): a name is chosen by
/// whoever made the folder, and a newline, an escape or a right-to-left override in it would
/// forge or hide a line of the progress, a row of the CSV, or a file of another name; bytes
/// that are not UTF-8 are shown as `\xNN`, so two names that differ only there stay two
/// students. A name already given (`a\x01` as a folder's own text and as its escape) gets
/// `~2`, `~3`... so no two students ever share a report.
pub(crate) fn students(dir: &Path, out_dir: &Path) -> std::io::Result<Vec<(String, PathBuf)>> {
    use std::os::unix::ffi::OsStrExt;
    // The output directory may sit among the submissions (`grade .`): it is not a student.
    let out_dir = std::fs::canonicalize(out_dir).ok();
    let mut found: Vec<(std::ffi::OsString, PathBuf)> = std::fs::read_dir(dir)?
        .flatten()
        .filter(|e| e.path().is_dir())
        .filter(|e| std::fs::canonicalize(e.path()).ok() != out_dir)
        .map(|e| (e.file_name(), e.path()))
        .filter(|(name, _)| !name.as_bytes().starts_with(b"."))
        .collect();
    found.sort();
    let mut taken = std::collections::BTreeSet::new();
    Ok(found
        .into_iter()
        .map(|(name, path)| {
            let shown = neutral(name.as_bytes());
            let unique = (1..)
                .map(|n| match n {
                    1 => shown.clone(),
                    n => format!("{shown}~{n}"),
                })
                .find(|candidate| !taken.contains(candidate))
                .unwrap_or(shown);
            taken.insert(unique.clone());
            (unique, path)
        })
        .collect())
}

/// Copies a student's executable, or compiles their C source, for each lab: from a copy of
/// their folder that follows no link, compiled in a [`BuildBox::for_student`] (a uid of its own when the
/// checker is root), so that nothing the student names can make `cc` read a file that user
/// could not.
fn prepare_plain(src: &Path, build: &Path, labs: &[Lab], problems: &mut BTreeMap<Lab, String>) {
    let boxed = BuildBox::for_student().and_then(|mut bx| {
        let copy = bx.copy_in(src, Path::new("src"))?;
        Ok((bx, copy))
    });
    let (bx, copy) = match boxed {
        Ok(b) => b,
        Err(e) => {
            for &lab in labs {
                problems.insert(lab, e.to_string());
            }
            return;
        }
    };
    for &lab in labs {
        let (exe, c) = (lab.name().to_string(), format!("{lab}.c"));
        let dest = build.join(lab.name());
        let left_out = bx
            .skipped()
            .iter()
            .find(|s| s.path == Path::new(&exe) || s.path == Path::new(&c));
        if copy.join(&exe).is_file() {
            if let Err(e) = bx.copy_out(&copy.join(&exe), &dest) {
                problems.insert(lab, format!("{exe} could not be copied: {e}"));
            }
        } else if copy.join(&c).is_file() {
            if let Err(why) = compile(&bx, &copy, lab, &dest) {
                problems.insert(lab, why);
            }
        } else if let Some(s) = left_out {
            problems.insert(
                lab,
                format!("{} was not used: it is {}", s.path.display(), s.why),
            );
        } else {
            problems.insert(
                lab,
                format!(
                    "the submission has no {lab} program (an executable named {lab}, or {lab}.c)"
                ),
            );
        }
    }
}

/// Compiles `lab`'s C source in the copy `copy` of a submission and copies the program to
/// `dest`. A submission shaped like the kit's C track links its shared lab.c.
fn compile(bx: &BuildBox, copy: &Path, lab: Lab, dest: &Path) -> Result<(), String> {
    let built = bx.out().join(lab.name());
    let mut cc = bx
        .command("cc", copy, CC_LIMIT)
        .map_err(|e| format!("{lab}.c could not be compiled: {e}"))?;
    cc.args(["-O1", "-o"]).arg(&built).arg(format!("{lab}.c"));
    if copy.join("lab.c").is_file() {
        cc.arg("lab.c");
    }
    match build_within(&mut cc, CC_LIMIT) {
        Ok(out) if out.status.success() => bx
            .copy_out(&built, dest)
            .map_err(|e| format!("{lab}.c could not be compiled: {e}")),
        Ok(out) => {
            let errors = first_lines(&String::from_utf8_lossy(&out.stderr), 8);
            Err(format!(
                "{lab}.c does not compile:\n{errors}{}",
                not_copied(bx.skipped())
            ))
        }
        Err(e) => Err(format!("{lab}.c could not be compiled: {e}")),
    }
}

/// The folder a student's entry in the class folder names. The entry may be a symbolic link
/// (the class folder is the instructor's: `run_autograder` links the submission there),
/// which is followed once; what it leads to must be the folder itself, not one more link,
/// and nothing inside the folder is followed (see [`BuildBox::copy_in`]).
fn submission_dir(entry: &Path) -> PathBuf {
    match std::fs::read_link(entry) {
        Ok(target) => entry.parent().unwrap_or(Path::new("/")).join(target),
        Err(_) => entry.to_path_buf(),
    }
}

pub(super) fn prepare(student: &str, entry: &Path, out: &Path, labs: &[Lab]) -> Prepared {
    use std::os::unix::fs::PermissionsExt;
    let src = &submission_dir(entry);
    let build = out.join("build").join(student);
    let _ = std::fs::remove_dir_all(&build);
    let mut problems = BTreeMap::new();
    if let Err(e) = std::fs::create_dir_all(&build) {
        for &lab in labs {
            problems.insert(lab, format!("cannot create {}: {e}", build.display()));
        }
    }
    // The checker's alone: a student's program, run as another uid when the checker is
    // root, must not read another student's programs or report here. Each checker copies
    // the programs it runs where their uid can reach them (`run::program`).
    for d in [out.join("build"), build.clone()] {
        let _ = std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o700));
    }
    if src.join("Cargo.toml").is_file() {
        let wanted = |name: &str| Lab::from_name(name).is_some_and(|l| labs.contains(&l));
        match build_submission(src, &out.join("target"), &build, &wanted) {
            Ok(bins) => {
                for (name, copied) in bins {
                    if let (Some(lab), Err(e)) = (Lab::from_name(&name), copied) {
                        problems.insert(lab, e);
                    }
                }
            }
            Err(why) => {
                for &lab in labs {
                    problems.insert(lab, why.clone());
                }
            }
        }
    } else {
        prepare_plain(src, &build, labs, &mut problems);
    }
    Prepared {
        student: student.to_string(),
        dir: build,
        src: src.clone(),
        problems,
    }
}
