//! `shmlab assignment new`: a commented assignment file written from what the instructor's
//! own solution did. The solution is run through three runs in one private namespace
//! (change the text; keep it; delete it), traced, and the file states what those runs
//! showed: the segment's size, the text kept, the deletion, and, as comments, the questions
//! the program asked and the answers it took. The file is read back before it is written,
//! so it is always one the checker accepts.

use std::fmt::Write as _;
use std::path::Path;

use super::{load_text, program_of};
use crate::app::check::environment;
use crate::error::{exit_codes, Fatal, UsageError};
use crate::model::Call;
use crate::plan::SkeletonPlan;
use crate::report::assignment::AssignmentReport;

/// The probe: three runs that show what a solution does.
const PROBE: &str = r#"
name = "probe"
[[scenario]]
name = "probe"
[[scenario.run]]
answers = ["change: yes", "text: first text", "delete: no"]
[[scenario.run]]
answers = ["change: no", "delete: no"]
[[scenario.run]]
answers = ["change: no", "delete: yes"]
"#;

fn quoted(s: &str) -> String {
    format!("{:?}", s)
}

/// The file, from the probe's report.
fn skeleton(name: &str, shown: &str, probe: &AssignmentReport, size: Option<usize>) -> String {
    let mut t = String::new();
    let _ = writeln!(t, "#:schema ./assignment.schema.json");
    let _ = writeln!(
        t,
        "# Written by `shmlab assignment new` from three runs of {shown}:"
    );
    if let Some(s) = probe.scenarios.first() {
        for (i, run) in s.runs.iter().enumerate() {
            let _ = writeln!(t, "#   run {}:", i + 1);
            for e in &run.exchanges {
                let said = e.answered.as_deref().map_or("end of input".into(), quoted);
                let _ = writeln!(
                    t,
                    "#     asked {} -> {} ({})",
                    quoted(&e.asked),
                    said,
                    e.meaning()
                );
            }
        }
    }
    let _ = writeln!(
        t,
        "# Change what it checks below; `shmlab check --assignment THIS --program P` tries it."
    );
    let _ = writeln!(
        t,
        "# Every field is described in docs/checker/assignments.md.\n"
    );
    let _ = writeln!(t, "name = {}\ntitle = \"\"\n", quoted(name));
    let _ = writeln!(t, "[program]\n# auto: the submission's Makefile, else cc on its sources; or make, cc, none.\nbuild = \"auto\"\nsources = [\"*.c\"]\n");
    let _ = writeln!(t, "[segment]\n# created: whatever key the student chose, followed from run to run.\nfind = \"created\"\n");
    let _ = writeln!(t, "[checks]\n# \"fail\", \"note\" or \"off\"; or {{ as = \"fail\", points = 1 }}.\nleak_per_run = \"fail\"\nftok_failed = \"note\"\nmissing_shmdt = \"note\"\nattach_loop = \"fail\"\nwrite_past_size = \"fail\"\ncrash = \"fail\"\nloop_at_end_of_input = \"fail\"\nremove_while_attached = \"note\"\n");
    let size_line = size.map_or(String::new(), |n| format!("size_at_least = {n}\n"));
    let _ = write!(
        t,
        r#"[[scenario]]
name = "first-run"
title = "the first run creates the segment and stores the text typed"
points = 2

[[scenario.run]]
answers = ["change: yes", "text: alpha", "delete: no"]
[scenario.run.expect]
segment = "exists"
{size_line}text = "alpha"

[[scenario]]
name = "keeps-text"
title = "the next run finds the same segment and shows the text"
points = 3

[[scenario.run]]
answers = ["change: yes", "text: bravo", "delete: no"]
[scenario.run.expect]
text = "bravo"

[[scenario.run]]
answers = ["change: no", "delete: no"]
[scenario.run.expect]
segment = "exists"
same_segment = true
text = "bravo"
shows_previous_text = true

[[scenario]]
name = "deletes"
title = "asked to delete, it removes the segment"
points = 2

[[scenario.run]]
answers = ["change: yes", "text: charlie", "delete: no"]

[[scenario.run]]
answers = ["change: no", "delete: yes"]
[scenario.run.expect]
segment = "gone"
"#
    );
    t
}

/// Writes the skeleton made from `plan.program`'s runs.
pub fn new(plan: &SkeletonPlan) -> Result<u8, Fatal> {
    crate::app::check_sysv()?;
    if plan.out.exists() && !plan.force {
        return Err(UsageError::OutputFile {
            path: plan.out.clone(),
            reason: "it exists (give --force to replace it)".into(),
        }
        .into());
    }
    let probe = load_text(PROBE, Path::new("probe"))?;
    let builds = tempfile::tempdir().map_err(Fatal::Grade)?;
    let submission = program_of(&probe, &plan.source, builds.path());
    let shown = submission.shown.clone();
    let env = environment(&plan.run)?;
    let report = submission.check(&env, &probe);
    if let Some(p) = &report.problem {
        return Err(UsageError::SkeletonProgram(p.clone()).into());
    }
    // The size its first shmget gave the segment, from the trace.
    let size = report
        .scenarios
        .first()
        .and_then(|s| s.runs.first())
        .and_then(|r| r.timeline.as_ref())
        .and_then(|t| {
            t.iter().find_map(|e| match (&e.call, &e.ret) {
                (Call::Shmget { .. }, Some(ret)) if ret.is_ok() => {
                    e.segment.as_ref().map(|s| s.size)
                }
                _ => None,
            })
        });
    let name = plan
        .out
        .file_stem()
        .map_or("assignment".into(), |s| s.to_string_lossy().into_owned());
    let text = skeleton(&name, &shown, &report, size);
    // Always a file the checker reads.
    load_text(&text, &plan.out)?;
    std::fs::write(&plan.out, text).map_err(|e| UsageError::OutputFile {
        path: plan.out.clone(),
        reason: e.to_string(),
    })?;
    eprintln!("shmlab: wrote {}", plan.out.display());
    Ok(exit_codes::OK)
}
