//! The report for a person at a terminal: one line per scenario, failures expanded.

use std::io::{self, Write};

use super::cap;
use super::neutral::{neutral, quoted};
use super::words::{self, termination_text};
use super::{LabReport, Report, ScenarioReport};
use crate::model::segment::diff_fields;
use crate::model::Snapshot;
use crate::scenario::Verdict;

/// How to render.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    /// ANSI colours.
    pub color: bool,
    /// Show every scenario's runs, snapshots and checks.
    pub verbose: bool,
}

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    fn green(&self, t: &str) -> String {
        self.wrap("32", t)
    }
    fn red(&self, t: &str) -> String {
        self.wrap("31;1", t)
    }
    fn yellow(&self, t: &str) -> String {
        self.wrap("33", t)
    }
    fn bold(&self, t: &str) -> String {
        self.wrap("1", t)
    }
    fn dim(&self, t: &str) -> String {
        self.wrap("2", t)
    }
}

/// Writes `report` to `out`.
pub fn render(report: &Report, style: Style, out: &mut dyn Write) -> io::Result<()> {
    let p = Paint { on: style.color };
    writeln!(out, "Checking {}", neutral(&report.source))?;
    writeln!(
        out,
        "isolation: {} ({})",
        report.isolation.mode,
        words::isolation_why(&report.isolation)
    )?;
    writeln!(out, "programs run as: {}", words::runs_as(&report.runs_as))?;
    match &report.tracing {
        None => writeln!(
            out,
            "tracing: on (every shm call of a run is recorded, with the segment's state after it)"
        )?,
        Some(reason) => writeln!(
            out,
            "tracing: off ({}); the checks on what happened during a run are skipped",
            neutral(reason)
        )?,
    }
    if let Some(limit) = words::untraced_keys_limit(report) {
        writeln!(out, "note: {limit}")?;
    }
    for lab in &report.labs {
        writeln!(out)?;
        render_lab(lab, style, &p, out)?;
    }
    writeln!(out)?;
    let c = report.counts();
    let line = report.summary();
    let line = if c.failed > 0 || c.errors > 0 {
        p.red(&line)
    } else {
        p.green(&line)
    };
    writeln!(out, "{line}")?;
    Ok(())
}

fn render_lab(lab: &LabReport, style: Style, p: &Paint, out: &mut dyn Write) -> io::Result<()> {
    let status = if lab.is_done() {
        p.green("done")
    } else {
        p.yellow("not done")
    };
    writeln!(
        out,
        "{} — {} [{status}]",
        p.bold(&format!("Lab {}: {}", lab.lab.number(), lab.lab)),
        lab.lab.summary()
    )?;
    if let Some(program) = &lab.program {
        let program = neutral(program);
        writeln!(out, "  {}", p.dim(&format!("program: {program}")))?;
    }
    if let Some(note) = super::left_out::note(&lab.left_out) {
        writeln!(out, "  {}", p.yellow(&format!("note: {note}")))?;
    }
    if let Some(problem) = &lab.problem {
        writeln!(
            out,
            "  {} {}",
            p.red("FAIL"),
            words::lab_problem(lab.lab, problem)
        )?;
        return Ok(());
    }
    let width = lab
        .scenarios
        .iter()
        .map(|s| s.slug.len())
        .max()
        .unwrap_or(0);
    let mut previous_hints: Option<Vec<&str>> = None;
    for s in &lab.scenarios {
        let tag = match &s.verdict {
            Verdict::Passed => p.green("PASS"),
            Verdict::Failed => p.red("FAIL"),
            Verdict::Skipped(_) => p.yellow("SKIP"),
            Verdict::Error(_) => p.red("ERR "),
        };
        writeln!(out, "  {tag}  {:width$}  {}", s.slug, s.title)?;
        for note in s.checks.iter().filter_map(|c| c.note.as_deref()) {
            writeln!(out, "        {} {}", p.dim("note:"), neutral(note))?;
        }
        match &s.verdict {
            Verdict::Skipped(reason) => writeln!(out, "        skipped: {}", neutral(reason))?,
            Verdict::Error(reason) => writeln!(
                out,
                "        the checker could not run this scenario: {}",
                neutral(reason)
            )?,
            Verdict::Failed => {
                // A lab that fails every scenario the same way (not implemented yet, say)
                // says so once.
                let hints: Vec<&str> = s
                    .checks
                    .iter()
                    .filter(|c| !c.passed && c.skipped.is_none())
                    .filter_map(|c| c.hint.as_deref())
                    .collect();
                if !style.verbose && previous_hints.as_ref() == Some(&hints) && !hints.is_empty() {
                    writeln!(out, "        {}", p.dim("same mistake as above"))?;
                } else {
                    render_failure(lab.lab, s, style, p, out)?;
                }
                previous_hints = Some(hints);
            }
            Verdict::Passed if style.verbose => render_details(s, p, out)?,
            Verdict::Passed => {}
        }
    }
    Ok(())
}

fn render_failure(
    lab: crate::model::Lab,
    s: &ScenarioReport,
    style: Style,
    p: &Paint,
    out: &mut dyn Write,
) -> io::Result<()> {
    for run in &s.runs {
        writeln!(out, "        $ {}", words::run_command(run))?;
    }
    for check in s.checks.iter().filter(|c| !c.passed && c.skipped.is_none()) {
        writeln!(
            out,
            "        {} {}: expected {}, got {}",
            p.red("✗"),
            neutral(&check.what),
            neutral(&check.expected),
            neutral(&check.actual)
        )?;
        if let Some(hint) = &check.hint {
            writeln!(out, "          → {}", neutral(hint))?;
        }
        if let Some(topic) = check.explain {
            writeln!(
                out,
                "          {}",
                p.dim(&format!("(shmlab explain {topic})"))
            )?;
        }
    }
    if let Some(run) = s.runs.first() {
        let stderr = run.stderr.trim_end();
        if !stderr.is_empty() && !style.verbose {
            let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
            let shown = lines
                .iter()
                .position(|l| l.contains("not yet implemented"))
                .unwrap_or(0);
            writeln!(
                out,
                "        stderr: {}",
                neutral(cap::shown_text(lines[shown]))
            )?;
            if lines.len() > 1 {
                writeln!(
                    out,
                    "        {}",
                    p.dim(&format!(
                        "(+{} more lines: --verbose shows them)",
                        lines.len() - 1
                    ))
                )?;
            }
        }
    }
    writeln!(out, "        guide: {}#common-mistakes", lab.guide())?;
    if style.verbose {
        render_details(s, p, out)?;
    }
    Ok(())
}

fn render_details(s: &ScenarioReport, p: &Paint, out: &mut dyn Write) -> io::Result<()> {
    for (i, run) in s.runs.iter().enumerate() {
        writeln!(out, "        run {}: $ {}", i + 1, words::run_command(run))?;
        writeln!(
            out,
            "          pid {}, {}",
            run.pid,
            termination_text(&run.termination)
        )?;
        let cut = run.dropped_by_stream;
        writeln!(
            out,
            "          stdout: {}",
            quoted(cap::shown_output(&run.stdout, cut.stdout))
        )?;
        writeln!(
            out,
            "          stderr: {}",
            quoted(cap::shown_output(&run.stderr, cut.stderr))
        )?;
        if let Some(timeline) = &run.timeline {
            writeln!(out, "          timeline:")?;
            if timeline.is_empty() {
                writeln!(out, "            (no shm calls)")?;
            }
            for event in timeline {
                writeln!(out, "            {}", words::event_line(event))?;
            }
        }
    }
    let mut previous: Option<&Snapshot> = None;
    for snap in &s.snapshots {
        render_snapshot(snap, previous, p, out)?;
        previous = Some(snap);
    }
    for check in &s.checks {
        if let Some(reason) = &check.skipped {
            writeln!(
                out,
                "        {} {}: skipped ({})",
                p.yellow("-"),
                neutral(&check.what),
                neutral(reason)
            )?;
            continue;
        }
        let mark = if check.passed {
            p.green("✓")
        } else {
            p.red("✗")
        };
        writeln!(
            out,
            "        {mark} {}: expected {}, got {}",
            neutral(&check.what),
            neutral(&check.expected),
            neutral(&check.actual)
        )?;
    }
    Ok(())
}

/// A snapshot: every segment in full the first time, then what changed since the previous
/// snapshot, field by field, marked `*`.
fn render_snapshot(
    snap: &Snapshot,
    previous: Option<&Snapshot>,
    p: &Paint,
    out: &mut dyn Write,
) -> io::Result<()> {
    writeln!(
        out,
        "        {}",
        p.dim(&format!("snapshot {}:", snap.label))
    )?;
    let gone: Vec<_> = previous
        .iter()
        .flat_map(|prev| &prev.segments)
        .filter(|b| snap.by_id(b.id).is_none())
        .collect();
    if snap.segments.is_empty() && gone.is_empty() {
        writeln!(out, "          (no segments)")?;
    }
    for s in &snap.segments {
        match previous.map(|prev| prev.by_id(s.id)) {
            Some(Some(b)) => {
                let changed = diff_fields(b, s);
                if changed.is_empty() {
                    writeln!(out, "          id {} key {}: unchanged", s.id, s.key())?;
                } else {
                    let fields: Vec<String> = changed
                        .iter()
                        .map(|(f, was, now)| {
                            format!("{} {was} → {now}", p.yellow(&format!("*{f}")))
                        })
                        .collect();
                    writeln!(
                        out,
                        "          id {} key {}: {}",
                        s.id,
                        s.key(),
                        fields.join(", ")
                    )?;
                }
            }
            found => {
                let new = if matches!(found, Some(None)) {
                    " (new)"
                } else {
                    ""
                };
                writeln!(
                    out,
                    "          id {} key {}{new}: size {} mode {} uid {} gid {} cuid {} cgid {} cpid {} lpid {} nattch {} atime {} dtime {} ctime {}",
                    s.id, s.key(), s.size, s.mode_text(), s.uid, s.gid, s.cuid, s.cgid, s.cpid, s.lpid, s.nattch, s.atime, s.dtime, s.ctime
                )?;
            }
        }
    }
    for gone in gone {
        writeln!(
            out,
            "          id {} key {}: {}",
            gone.id,
            gone.key(),
            p.yellow("*gone")
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Lab;
    use crate::report::RunsAs;
    use crate::run::isolation::{Isolation, IsolationChoice, IsolationReason};
    use crate::scenario::{Check, Purpose, Stop};

    fn scenario(slug: &'static str, verdict: Verdict, hint: &str) -> ScenarioReport {
        ScenarioReport {
            slug,
            title: "a made-up scenario",
            purpose: Purpose::Behaviour,
            verdict,
            checks: vec![Check {
                what: "exit status".into(),
                field: "status",
                expected: "0".into(),
                actual: "101".into(),
                passed: false,
                skipped: None,
                hint: Some(hint.into()),
                note: None,
                explain: None,
                certainty: crate::model::check::Certainty::Open,
                kind: crate::model::check::CheckKind::Expectation,
                at: Default::default(),
            }],
            stop: Some(Stop::NotImplemented),
            runs: Vec::new(),
            snapshots: Vec::new(),
            elapsed: std::time::Duration::ZERO,
        }
    }

    fn report(scenarios: Vec<ScenarioReport>) -> Report {
        Report {
            source: "made-up programs".into(),
            isolation: IsolationChoice {
                mode: Isolation::Keys,
                reason: IsolationReason::KeysRequested,
            },
            runs_as: RunsAs::OwnUid(1000),
            tracing: Some("switched off".into()),
            labs: vec![LabReport {
                lab: Lab::Create,
                program: Some("./create".into()),
                problem: None,
                scenarios,
                left_out: Vec::new(),
            }],
        }
    }

    fn text(r: &Report) -> String {
        let mut out = Vec::new();
        render(r, Style::default(), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_failure_shows_the_check_its_hint_and_the_guide() {
        let t = text(&report(vec![scenario(
            "create/a",
            Verdict::Failed,
            "do it",
        )]));
        assert!(t.contains("isolation: keys (unique random keys in this machine's IPC namespace, as requested)"), "{t}");
        assert!(t.contains("programs run as: your own uid 1000"), "{t}");
        assert!(t.contains("tracing: off (switched off)"), "{t}");
        assert!(t.contains("  FAIL  create/a  a made-up scenario"), "{t}");
        assert!(
            t.contains("✗ exit status: expected 0, got 101\n          → do it"),
            "{t}"
        );
        assert!(
            t.contains("guide: docs/labs/create.md#common-mistakes"),
            "{t}"
        );
        assert!(
            t.ends_with("1 scenario: 0 passed, 1 failed. Labs done: 0 of 1.\n"),
            "{t}"
        );
    }

    /// The characters a program may use to write on the terminal, forge a line or hide text.
    const HIDDEN: [char; 8] = [
        '\x1b',
        '\x07',
        '\r',
        '\u{61c}',
        '\u{2060}',
        '\u{e0041}',
        '\u{ad}',
        '\u{202e}',
    ];

    #[test]
    fn what_a_program_controls_is_shown_neutral_in_every_line() {
        use crate::model::{Call, Effect, RunRecord, Termination, TraceEvent};
        let forged = "\n[1] shmdt(0x1) = 0 FORGED-LINE\nPASS  create/default-mode\x1b[2J\x07\r";
        let hidden = "err\u{61c}\u{2060}\u{e0041}\u{ad}\u{202e}\n";
        let mut s = scenario("create/a", Verdict::Failed, hidden);
        s.checks[0].actual = format!("{forged}{hidden}");
        s.runs.push(RunRecord {
            argv: vec![format!("./create{forged}"), "0x1234".into()],
            stdin: None,
            pid: 1,
            termination: Termination::Exited { code: 0 },
            stdout: forged.into(),
            stderr: format!("{hidden}{hidden}"),
            dropped: 0,
            dropped_by_stream: Default::default(),
            started: 0,
            timeline: Some(vec![TraceEvent {
                pid: 1,
                call: Call::Exec,
                ret: None,
                segment: None,
                segment_id: None,
                held: None,
                effect: Effect::Exec {
                    program: format!("true {forged}"),
                    detached: Vec::new(),
                },
                repeats: 0,
                held_cut: false,
            }]),
            survivors: Vec::new(),
            children: 0,
            left_namespace: false,
            spawn_failed: None,
            fault: None,
            exchanges: Vec::new(),
        });
        let mut r = report(vec![s]);
        r.source = format!("the program ./create{forged}");
        r.labs[0].program = Some(format!("./create{forged}"));
        for verbose in [false, true] {
            let mut out = Vec::new();
            let style = Style {
                verbose,
                ..Style::default()
            };
            render(&r, style, &mut out).unwrap();
            let t = String::from_utf8(out).unwrap();
            for line in t.lines() {
                assert!(
                    !line.starts_with("[1]") && !line.starts_with("PASS"),
                    "a forged line: {line}\n{t}"
                );
            }
            assert!(!t.contains(HIDDEN), "{t}");
            assert!(t.contains(r"\u{61c}\u{2060}\u{e0041}\u{ad}\u{202e}"), "{t}");
            if verbose {
                assert!(
                    t.contains(r"runs `true \n[1] shmdt(0x1) = 0 FORGED-LINE\n"),
                    "{t}"
                );
            }
        }
    }

    #[test]
    fn the_same_mistake_twice_is_told_once() {
        let t = text(&report(vec![
            scenario("create/a", Verdict::Failed, "do it"),
            scenario("create/b", Verdict::Failed, "do it"),
        ]));
        assert_eq!(t.matches("→ do it").count(), 1, "{t}");
        assert!(t.contains("same mistake as above"), "{t}");
    }

    #[test]
    fn skips_say_why_and_count_apart() {
        let t = text(&report(vec![scenario(
            "create/a",
            Verdict::Skipped("needs root".into()),
            "",
        )]));
        assert!(t.contains("  SKIP  create/a"), "{t}");
        assert!(t.contains("skipped: needs root"), "{t}");
        assert!(t.contains("0 passed, 0 failed, 1 skipped"), "{t}");
    }
}
