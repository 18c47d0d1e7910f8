//! `shmlab list`: one line per lab with the student's status, or every scenario by slug.

use std::io::{self, Write};

use super::{LabStatus, Report};
use crate::model::Lab;
use crate::scenario::Scenario;

/// A status in words, as `list` shows it.
pub fn status_text(status: LabStatus) -> String {
    match status {
        LabStatus::Done => "done".into(),
        LabStatus::NotStarted => "not started".into(),
        LabStatus::NotDone { passed, of } => format!("not done ({passed} of {of} scenarios pass)"),
        LabStatus::DoesNotCompile => "does not compile".into(),
        LabStatus::Missing => "missing".into(),
        LabStatus::CannotStart => "cannot start".into(),
    }
}

/// The labs in order, each with its status.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "The labs, in order ({}):", report.source)?;
    for lab in &report.labs {
        writeln!(
            out,
            "  {}. {:<7} {:<34} {}",
            lab.lab.number(),
            lab.lab,
            status_text(lab.status()),
            lab.lab.summary()
        )?;
    }
    writeln!(
        out,
        "Next: `cargo shmlab check LAB` for details (`--lang c` for the C track); the guides are in docs/labs/."
    )?;
    Ok(())
}

/// Every scenario of `labs`, by slug, with its title (`shmlab list --scenarios`).
pub fn render_scenarios(labs: &[(Lab, Vec<Scenario>)], out: &mut dyn Write) -> io::Result<()> {
    for (lab, scenarios) in labs {
        writeln!(out, "{}. {lab} — {}", lab.number(), lab.summary())?;
        let width = scenarios.iter().map(|s| s.slug.len()).max().unwrap_or(0);
        for s in scenarios {
            writeln!(out, "  {:width$}  {}", s.slug, s.title)?;
        }
    }
    writeln!(
        out,
        "Run one with `cargo shmlab check LAB/SCENARIO` (several may be named)."
    )?;
    Ok(())
}
