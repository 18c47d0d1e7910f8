//! `shmlab grade SUBMISSIONS_DIR`: a whole class at once.
//!
//! Each subdirectory is one student: either a Cargo project shaped like `labs/` (built
//! against this kit's `shm` crate), or executables or C sources named after the labs
//! (`create`, `create.c`, ...; C is compiled with the system `cc`). Every submission is
//! checked by its own `shmlab check --dir ... --format json` process, `--jobs` at a time, so
//! a submission that crashes or hangs its checker costs only its own result. The results
//! are one JSON report per student and a CSV with one row per student and a column per lab.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::catalogue::LABS;

/// What `grade` was asked to do.
#[derive(Debug, Clone)]
pub struct GradePlan {
    /// One subdirectory per student.
    pub submissions: PathBuf,
    /// Where reports, the CSV and builds go.
    pub out: PathBuf,
    /// Checkers at once.
    pub jobs: usize,
    /// Passed on to each `check`.
    pub check_args: Vec<String>,
    /// Each run's timeout, for the limit on a whole submission.
    pub timeout_secs: f64,
}

/// One student's programs, ready to check.
struct Prepared {
    student: String,
    dir: PathBuf,
    /// Labs that could not be built, with the reason.
    problems: BTreeMap<&'static str, String>,
}

fn students(dir: &Path, out_dir: &Path) -> std::io::Result<Vec<(String, PathBuf)>> {
    // The output directory may sit among the submissions (`grade .`): it is not a student.
    let out_dir = std::fs::canonicalize(out_dir).ok();
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(dir)?
        .flatten()
        .filter(|e| e.path().is_dir())
        .filter(|e| std::fs::canonicalize(e.path()).ok() != out_dir)
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .filter(|(name, _)| !name.starts_with('.'))
        .collect();
    out.sort();
    Ok(out)
}

fn first_lines(text: &str, n: usize) -> String {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .take(n)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs a build command with a time limit; its output goes through files (a build can
/// print a lot). A build still running at the limit is killed with its process group.
fn build_within(cmd: &mut Command, limit: Duration) -> std::io::Result<std::process::Output> {
    use std::os::unix::process::CommandExt;
    let out = tempfile::tempfile()?;
    let err = tempfile::tempfile()?;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(err.try_clone()?)
        .process_group(0)
        .spawn()?;
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if started.elapsed() > limit {
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(child.id() as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
            let _ = child.wait();
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("the build did not finish within {} s", limit.as_secs()),
            ));
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let read = |mut f: std::fs::File| -> std::io::Result<Vec<u8>> {
        use std::io::{Read, Seek};
        f.rewind()?;
        let mut v = Vec::new();
        f.read_to_end(&mut v)?;
        Ok(v)
    };
    Ok(std::process::Output {
        status,
        stdout: read(out)?,
        stderr: read(err)?,
    })
}

/// Time allowed to compile one C file.
const CC_LIMIT: Duration = Duration::from_secs(60);
/// Time allowed to build one Cargo project.
const CARGO_LIMIT: Duration = Duration::from_secs(600);

/// Copies a student's executable, or compiles their C source, for each lab.
fn prepare_plain(src: &Path, build: &Path, problems: &mut BTreeMap<&'static str, String>) {
    use std::os::unix::fs::PermissionsExt;
    for lab in LABS.iter().map(|l| l.name) {
        let exe = src.join(lab);
        let c = src.join(format!("{lab}.c"));
        let dest = build.join(lab);
        if exe.is_file() {
            let copied = std::fs::copy(&exe, &dest).and_then(|_| {
                std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(0o755))
            });
            if let Err(e) = copied {
                problems.insert(lab, format!("{} could not be copied: {e}", exe.display()));
            }
        } else if c.is_file() {
            match build_within(
                Command::new("cc").args(["-O1", "-o"]).arg(&dest).arg(&c),
                CC_LIMIT,
            ) {
                Ok(out) if out.status.success() => {}
                Ok(out) => {
                    let errors = first_lines(&String::from_utf8_lossy(&out.stderr), 8);
                    problems.insert(lab, format!("{lab}.c does not compile:\n{errors}"));
                }
                Err(e) => {
                    problems.insert(lab, format!("{lab}.c could not be compiled: {e}"));
                }
            }
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

/// Builds a Cargo project shaped like `labs/` against this kit's crates, in a workspace of
/// its own under `work`, sharing one target directory across students.
fn prepare_cargo(
    src: &Path,
    work: &Path,
    target: &Path,
    build: &Path,
    problems: &mut BTreeMap<&'static str, String>,
) {
    let fail_all = |problems: &mut BTreeMap<&'static str, String>, why: String| {
        for lab in LABS.iter().map(|l| l.name) {
            problems.insert(lab, why.clone());
        }
    };
    let Some(kit) = crate::cargo_build::find_workspace() else {
        return fail_all(problems, "a Cargo submission needs the shmlab workspace to build against: run grade inside the repository".into());
    };
    let manifest = match std::fs::read_to_string(kit.join("Cargo.toml")) {
        Ok(m) => m,
        Err(e) => return fail_all(problems, format!("cannot read the kit's Cargo.toml: {e}")),
    };
    // The kit's workspace manifest, with the student's crate as its only member and the
    // kit's own crates by absolute path.
    let shm_path = kit.join("shm").display().to_string();
    let manifest: String = manifest
        .lines()
        .map(|l| {
            if l.starts_with("members") {
                "members = [\"labs\"]".to_string()
            } else if l.starts_with("default-members") {
                String::new()
            } else if l.starts_with("shm = ") {
                format!("shm = {{ path = {shm_path:?} }}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let copy = || -> std::io::Result<()> {
        let _ = std::fs::remove_dir_all(work);
        std::fs::create_dir_all(work.join("labs"))?;
        copy_tree(src, &work.join("labs"))?;
        std::fs::write(work.join("Cargo.toml"), manifest)?;
        if kit.join("Cargo.lock").is_file() {
            std::fs::copy(kit.join("Cargo.lock"), work.join("Cargo.lock"))?;
        }
        Ok(())
    };
    if let Err(e) = copy() {
        return fail_all(
            problems,
            format!("the project could not be copied for building: {e}"),
        );
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = build_within(
        Command::new(cargo)
            .args([
                "build",
                "--quiet",
                "--bins",
                "--message-format=json-render-diagnostics",
            ])
            .current_dir(work)
            .env("CARGO_TARGET_DIR", target),
        CARGO_LIMIT,
    );
    let out = match out {
        Ok(o) => o,
        Err(e) => return fail_all(problems, format!("the project could not be built: {e}")),
    };
    if !out.status.success() {
        let errors = first_lines(&String::from_utf8_lossy(&out.stderr), 12);
        return fail_all(problems, format!("the project does not compile:\n{errors}"));
    }
    for (name, exe) in crate::cargo_build::executables(&out.stdout) {
        if LABS.iter().any(|l| l.name == name) {
            let _ = std::fs::copy(exe, build.join(&name));
        }
    }
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if name == "target" || name.to_string_lossy().starts_with('.') {
            continue;
        }
        let (src, dest) = (entry.path(), to.join(&name));
        if entry.file_type()?.is_dir() {
            std::fs::create_dir_all(&dest)?;
            copy_tree(&src, &dest)?;
        } else {
            std::fs::copy(&src, &dest)?;
        }
    }
    Ok(())
}

fn prepare(student: &str, src: &Path, out: &Path) -> Prepared {
    use std::os::unix::fs::PermissionsExt;
    let build = out.join("build").join(student);
    let _ = std::fs::remove_dir_all(&build);
    let mut problems = BTreeMap::new();
    if let Err(e) = std::fs::create_dir_all(&build) {
        for lab in LABS.iter().map(|l| l.name) {
            problems.insert(lab, format!("cannot create {}: {e}", build.display()));
        }
    }
    // Programs run as another user when the checker is root: let it in.
    for d in [out.to_path_buf(), out.join("build"), build.clone()] {
        let _ = std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755));
    }
    if src.join("Cargo.toml").is_file() {
        prepare_cargo(
            src,
            &out.join("work").join(student),
            &out.join("target"),
            &build,
            &mut problems,
        );
    } else {
        prepare_plain(src, &build, &mut problems);
    }
    Prepared {
        student: student.to_string(),
        dir: build,
        problems,
    }
}

/// A student's report, with the labs that did not build marked as such.
fn finish_report(p: &Prepared, report: Option<Value>, ended: &str, log: &str) -> Value {
    let mut doc = report.unwrap_or_else(|| {
        let why = [ended.to_string(), first_lines(log, 5)]
            .join("\n")
            .trim()
            .to_string();
        json!({
            "score": 0,
            "max_score": 0,
            "output": format!("The checker could not grade this submission: {why}"),
            "tests": [],
            "extra_data": { "error": why },
        })
    });
    if let Some(tests) = doc["tests"].as_array_mut() {
        for t in tests.iter_mut() {
            let lab = t["extra_data"]["lab"].as_str().unwrap_or("").to_string();
            if let Some(problem) = p.problems.get(lab.as_str()) {
                t["output"] = json!(problem);
                t["score"] = json!(0);
                t["status"] = json!("failed");
            }
        }
    }
    doc["extra_data"]["student"] = json!(p.student);
    doc
}

/// Passed scenarios per lab, from a report.
fn lab_scores(doc: &Value) -> BTreeMap<String, u64> {
    let mut scores: BTreeMap<String, u64> = LABS.iter().map(|l| (l.name.to_string(), 0)).collect();
    for t in doc["tests"].as_array().into_iter().flatten() {
        if let Some(lab) = t["extra_data"]["lab"].as_str() {
            *scores.entry(lab.to_string()).or_default() += t["score"].as_u64().unwrap_or(0);
        }
    }
    scores
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A running check of one student.
struct Running {
    index: usize,
    child: Child,
    started: Instant,
}

/// What a batch came to.
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    /// Submissions graded.
    pub graded: usize,
    /// Of those, how many the checker could not grade (its error is in the report).
    pub errors: usize,
    /// Wall time.
    pub took: Duration,
}

/// How long one submission's checker may run: far more than its scenarios can take.
fn per_submission(timeout_secs: f64) -> Duration {
    let scenarios: usize = LABS
        .iter()
        .map(|l| crate::catalogue::scenarios(l.name).len())
        .sum();
    Duration::from_secs_f64((timeout_secs * scenarios as f64 * 2.0 + 60.0).max(600.0))
}

/// Why a checker gave no report, in words.
fn checker_end(status: Option<std::process::ExitStatus>, cap: Duration) -> String {
    use std::os::unix::process::ExitStatusExt;
    match status {
        None => format!(
            "its checker was stopped after {} s, the limit for one submission",
            cap.as_secs()
        ),
        Some(s) => match (s.code(), s.signal()) {
            (_, Some(sig)) => format!(
                "its checker was killed by {}",
                crate::scenario::signal_name(sig)
            ),
            (Some(code), _) => format!("its checker exited with status {code} without a report"),
            _ => "its checker ended without a report".into(),
        },
    }
}

/// Grades every submission and writes the reports and the CSV.
pub fn grade(plan: &GradePlan) -> std::io::Result<Summary> {
    let start = Instant::now();
    std::fs::create_dir_all(&plan.out)?;
    let list = students(&plan.submissions, &plan.out)?;
    let prepared: Vec<Prepared> = list
        .iter()
        .map(|(name, dir)| prepare(name, dir, &plan.out))
        .collect();
    let me = std::env::current_exe()?;
    let cap = per_submission(plan.timeout_secs);
    let progress = std::io::stderr().is_terminal();
    let mut queue = 0..prepared.len();
    let mut running: Vec<Running> = Vec::new();
    let mut reports: Vec<Option<Value>> = vec![None; prepared.len()];
    let mut done = 0;
    crate::run::process::catch_interrupts();
    loop {
        let stop = crate::run::process::interrupted();
        while running.len() < plan.jobs.max(1) && !stop {
            let Some(i) = queue.next() else { break };
            let p = &prepared[i];
            let stdout = std::fs::File::create(plan.out.join(format!("{}.raw.json", p.student)))?;
            let stderr = std::fs::File::create(plan.out.join(format!("{}.log", p.student)))?;
            let child = Command::new(&me)
                .args(["check", "--format", "json", "--dir"])
                .arg(&p.dir)
                .args(&plan.check_args)
                .stdin(Stdio::null())
                .stdout(stdout)
                .stderr(stderr)
                .spawn()?;
            running.push(Running {
                index: i,
                child,
                started: Instant::now(),
            });
        }
        if running.is_empty() {
            break;
        }
        let mut still = Vec::with_capacity(running.len());
        for mut r in running.drain(..) {
            if stop {
                // Interrupted: each checker stops its scenario, cleans up and reports.
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(r.child.id() as i32),
                    nix::sys::signal::Signal::SIGINT,
                );
            }
            let status = match r.child.try_wait()? {
                Some(s) => Some(s),
                None if r.started.elapsed() > cap => {
                    let _ = r.child.kill();
                    let _ = r.child.wait();
                    None
                }
                None => {
                    still.push(r);
                    continue;
                }
            };
            let p = &prepared[r.index];
            let raw = plan.out.join(format!("{}.raw.json", p.student));
            let parsed = std::fs::read(&raw)
                .ok()
                .and_then(|b| serde_json::from_slice::<Value>(&b).ok());
            let _ = std::fs::remove_file(&raw);
            let log = std::fs::read_to_string(plan.out.join(format!("{}.log", p.student)))
                .unwrap_or_default();
            let doc = finish_report(p, parsed, &checker_end(status, cap), &log);
            std::fs::write(
                plan.out.join(format!("{}.json", p.student)),
                serde_json::to_string_pretty(&doc).unwrap_or_default(),
            )?;
            reports[r.index] = Some(doc);
            done += 1;
            if progress {
                eprint!("\rgrading: {done}/{} submissions", prepared.len());
                let _ = std::io::stderr().flush();
            }
        }
        running = still;
        std::thread::sleep(Duration::from_millis(5));
    }
    if progress {
        eprintln!();
    }
    write_csv(plan, &prepared, &reports)?;
    let errors = reports
        .iter()
        .flatten()
        .filter(|d| {
            d["extra_data"]["error"]
                .as_str()
                .is_some_and(|e| !e.is_empty())
        })
        .count();
    if crate::run::process::interrupted() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::Interrupted,
            format!(
                "interrupted after {done} of {} submissions; grades.csv lists those",
                prepared.len()
            ),
        ));
    }
    Ok(Summary {
        graded: prepared.len(),
        errors,
        took: start.elapsed(),
    })
}

/// One row per student (a submission not graded shows as not graded), a column per lab.
fn write_csv(
    plan: &GradePlan,
    prepared: &[Prepared],
    reports: &[Option<Value>],
) -> std::io::Result<()> {
    let mut csv = String::from("student");
    for lab in LABS {
        csv.push(',');
        csv.push_str(lab.name);
    }
    csv.push_str(",score,max_score,error\n");
    for (p, doc) in prepared.iter().zip(reports) {
        let doc = doc.clone().unwrap_or_else(
            || json!({ "extra_data": { "error": "not graded: grading was interrupted" } }),
        );
        let scores = lab_scores(&doc);
        csv.push_str(&csv_field(&p.student));
        for lab in LABS {
            csv.push_str(&format!(",{}", scores.get(lab.name).copied().unwrap_or(0)));
        }
        let error = doc["extra_data"]["error"].as_str().unwrap_or("");
        csv.push_str(&format!(
            ",{},{},{}\n",
            doc["score"].as_u64().unwrap_or(0),
            doc["max_score"].as_u64().unwrap_or(0),
            csv_field(&first_lines(error, 1))
        ));
    }
    std::fs::write(plan.out.join("grades.csv"), csv)
}
