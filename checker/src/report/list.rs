//! `shmlab list`: one line per lab with the student's status, or every scenario by slug.

use std::collections::BTreeMap;
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

/// What the progress file says of a lab: when it first passed, the hints seen.
pub fn progress_text(first_passed: Option<i64>, hints: Option<usize>, levels: usize) -> String {
    let mut parts = Vec::new();
    if let Some(t) = first_passed {
        parts.push(format!("first passed {}", date(t)));
    }
    if let Some(h) = hints {
        parts.push(format!("hints seen: {h} of {levels}"));
    }
    parts.join(", ")
}

/// A UTC date, `2026-12-03`, from epoch seconds (the civil calendar, by days).
pub fn date(epoch: i64) -> String {
    let days = epoch.div_euclid(86_400);
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The labs in order, each with its status and, for the student's own labs, its progress.
pub fn render(
    report: &Report,
    progress: &BTreeMap<Lab, String>,
    out: &mut dyn Write,
) -> io::Result<()> {
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
        if let Some(p) = progress.get(&lab.lab).filter(|p| !p.is_empty()) {
            writeln!(out, "             {p}")?;
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_the_civil_calendar() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(1_796_300_000), "2026-12-03");
        assert_eq!(date(951_782_400), "2000-02-29");
        assert_eq!(
            progress_text(Some(0), Some(2), 5),
            "first passed 1970-01-01, hints seen: 2 of 5"
        );
        assert_eq!(progress_text(None, None, 5), "");
    }
}
