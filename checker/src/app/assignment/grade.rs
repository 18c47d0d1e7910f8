//! `shmlab grade DIR --assignment FILE`: every subdirectory of DIR is a student's
//! submission, built and checked by its own `shmlab check --assignment FILE --dir
//! SUBMISSION` process, `--jobs` at a time (the labs' pool, [`crate::app::pool`]); each gets
//! a report (`STUDENT.txt`, `STUDENT.json`) and a line of `grades.csv` (score, verdict,
//! main defect), in the order of the students' names whatever order they finish in.
//!
//! Nothing is shared between submissions checked at once: each check builds in a build box
//! and a temporary folder of its own, runs every scenario in a fresh copy of the
//! submission's folder, on a terminal of its own, as a uid of its own and, in namespace
//! mode, in an IPC namespace of its own. In keys mode (this machine's namespace) a program
//! that picks its own key would meet another submission's segment at the same key: there,
//! unless the checker passes the key (`find = "argument"`), submissions are checked one at
//! a time.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::load;
use crate::app::grade::check_args;
use crate::app::pool::{checker_end, run_children};
use crate::assignment::{Assignment, Find};
use crate::error::{exit_codes, Fatal};
use crate::plan::AssignmentGradePlan;
use crate::report::assignment::Summary;
use crate::run::isolation::{self, Isolation};

/// A CSV field, quoted when it must be; a leading `=`, `+`, `-` or `@` is defused so that a
/// spreadsheet never runs a student's text as a formula.
fn csv(field: &str) -> String {
    let mut f = field.replace(['\n', '\r'], " ");
    if f.starts_with(['=', '+', '-', '@']) {
        f.insert(0, '\'');
    }
    if f.contains([',', '"']) {
        format!("\"{}\"", f.replace('"', "\"\""))
    } else {
        f
    }
}

/// How many submissions may be checked at once: `jobs`, but one at a time when programs
/// that pick their own keys would share this machine's namespace (keys mode).
fn parallel(a: &Assignment, plan: &AssignmentGradePlan) -> usize {
    let keys = isolation::choose(plan.run.isolation).is_ok_and(|c| c.mode == Isolation::Keys);
    if keys && a.segment.find != Find::Argument && plan.jobs > 1 {
        eprintln!("shmlab: keys isolation and programs that pick their own keys: checking one submission at a time, so that no two meet at the same key");
        1
    } else {
        plan.jobs.max(1)
    }
}

/// How long one submission's checker may run: its build, and far more than its runs take.
fn per_submission(a: &Assignment, timeout: Duration) -> Duration {
    let runs: usize = a.scenarios.iter().map(|s| s.runs.len()).sum();
    Duration::from_secs_f64((timeout.as_secs_f64() * runs as f64 * 2.0 + 120.0).max(600.0))
}

/// Grades every submission.
pub fn grade(plan: &AssignmentGradePlan) -> Result<u8, Fatal> {
    crate::app::check_sysv()?;
    let a = load(&plan.file)?;
    crate::app::grade::make_out(&plan.out)?;
    // Each folder under the name grade gives it: neutral and unique (see `students`).
    let class =
        crate::app::grade::prepare::students(&plan.submissions, &plan.out).map_err(Fatal::Grade)?;
    let (names, dirs): (Vec<String>, Vec<_>) = class.into_iter().unzip();
    if names.is_empty() {
        return Err(Fatal::EmptyClass(plan.submissions.clone()));
    }
    let me = std::env::current_exe().map_err(Fatal::Grade)?;
    let jobs = parallel(&a, plan);
    let cap = per_submission(&a, plan.run.timeout);
    let path = |name: &str, ext: &str| plan.out.join(format!("{name}.{ext}"));
    let mut rows: Vec<Option<String>> = vec![None; names.len()];
    run_children(
        names.len(),
        jobs,
        cap,
        |i| {
            let name = &names[i];
            eprintln!("shmlab: grading {name} ...");
            for stale in ["json", "txt"] {
                let _ = std::fs::remove_file(path(name, stale));
            }
            Command::new(&me)
                .args(["check", "--format", "json", "--assignment"])
                .arg(&plan.file)
                .arg("--dir")
                .arg(&dirs[i])
                .arg("--output")
                .arg(path(name, "json"))
                .arg("--text-report")
                .arg(path(name, "txt"))
                .args(check_args(&plan.run))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(path(name, "log"))?)
                .spawn()
        },
        |i, status| {
            let name = &names[i];
            let summary: Option<Summary> = std::fs::read(path(name, "json"))
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok());
            rows[i] = Some(match summary {
                Some(s) => {
                    let verdict = if s.passed { "pass" } else { "fail" };
                    let defect = s.main_defect.filter(|_| !s.passed).unwrap_or_default();
                    format!(
                        "{},{},{},{verdict},{}",
                        csv(name),
                        s.score,
                        s.max_score,
                        csv(&crate::report::neutral::neutral(&defect))
                    )
                }
                None => {
                    let log = std::fs::read_to_string(path(name, "log")).unwrap_or_default();
                    let why = log.lines().last().map_or_else(
                        || checker_end(status, cap),
                        |l| format!("{}: {l}", checker_end(status, cap)),
                    );
                    format!(
                        "{},0,0,error,{}",
                        csv(name),
                        csv(&crate::report::neutral::neutral(&why))
                    )
                }
            });
            Ok(())
        },
    )
    .map_err(Fatal::Grade)?;
    let mut lines = vec!["student,score,max_score,verdict,main_defect".to_string()];
    for (name, row) in names.iter().zip(rows) {
        lines.push(row.unwrap_or_else(|| {
            format!(
                "{},0,0,error,not graded: grading was interrupted",
                csv(name)
            )
        }));
    }
    let mut f = std::fs::File::create(plan.out.join("grades.csv")).map_err(Fatal::Grade)?;
    writeln!(f, "{}", lines.join("\n")).map_err(Fatal::Grade)?;
    eprintln!(
        "shmlab: {} submission(s) graded, {jobs} at a time: {}",
        names.len(),
        plan.out.join("grades.csv").display()
    );
    Ok(exit_codes::OK)
}
