//! `shmlab grade DIR --assignment FILE`: every subdirectory of DIR is a student's
//! submission, built and checked in turn; each gets a report (`STUDENT.txt`, `STUDENT.json`)
//! and a line of `grades.csv` (score, verdict, main defect).

use std::io::Write;
use std::path::Path;

use super::{check_program, load, program_of};
use crate::app::check::environment;
use crate::error::{exit_codes, Fatal};
use crate::plan::{AssignmentGradePlan, AssignmentSource};
use crate::report::assignment::{json_value, render_human};

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

fn students(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    names
}

/// Grades every submission.
pub fn grade(plan: &AssignmentGradePlan) -> Result<u8, Fatal> {
    crate::app::check_sysv()?;
    let a = load(&plan.file)?;
    let names = students(&plan.submissions);
    if names.is_empty() {
        return Err(Fatal::EmptyClass(plan.submissions.clone()));
    }
    crate::app::grade::make_out(&plan.out)?;
    let builds = tempfile::tempdir().map_err(Fatal::Grade)?;
    // Built and made ready first: a user namespace, once entered, hides other uids' files.
    let programs: Vec<_> = names
        .iter()
        .map(|n| {
            let source = AssignmentSource::Dir(plan.submissions.join(n));
            program_of(&a, &source, &builds.path().join(n))
        })
        .collect();
    let env = environment(&plan.run)?;
    let mut rows = vec!["student,score,max_score,verdict,main_defect".to_string()];
    for (name, (program, shown)) in names.iter().zip(programs) {
        eprintln!("shmlab: grading {name} ...");
        let report = check_program(&env, &a, program.as_ref().map_err(Clone::clone), shown);
        let mut text = Vec::new();
        render_human(&report, false, &mut text).map_err(Fatal::Write)?;
        let json = serde_json::to_vec_pretty(&json_value(&report)).unwrap_or_default();
        let write = |file: String, bytes: &[u8]| {
            std::fs::write(plan.out.join(file), bytes).map_err(Fatal::Grade)
        };
        write(format!("{name}.txt"), &text)?;
        write(format!("{name}.json"), &json)?;
        let (score, max) = report.score();
        let verdict = if report.passed() { "pass" } else { "fail" };
        let defect = report
            .main_defect()
            .filter(|_| !report.passed())
            .unwrap_or_default();
        rows.push(format!(
            "{},{score},{max},{verdict},{}",
            csv(name),
            csv(&crate::report::neutral::neutral(&defect))
        ));
        if crate::run::process::interrupted() {
            break;
        }
    }
    let mut f = std::fs::File::create(plan.out.join("grades.csv")).map_err(Fatal::Grade)?;
    writeln!(f, "{}", rows.join("\n")).map_err(Fatal::Grade)?;
    eprintln!(
        "shmlab: {} submission(s) graded: {}",
        rows.len() - 1,
        plan.out.join("grades.csv").display()
    );
    Ok(exit_codes::OK)
}
