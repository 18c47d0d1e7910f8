//! `--format html`: the report as one self-contained page (no script, no network: its style
//! is inline and its pictures are inline SVG), the summary first, then one section per lab,
//! each failed scenario open with the picture of its runs, the passed ones folded. The same
//! report model as every other format, so it says the same thing.
//!
//! The page is well-formed XML as well as HTML (every element closed, every attribute
//! quoted), so a test can read it with an XML parser; everything a program controls is
//! neutral and escaped (`svg::xml::esc`).

use std::io::{self, Write};

use super::list::status_text;
use super::neutral::neutral;
use super::svg::{self, xml::esc};
use super::trace::Trace;
use super::words::{self, run_command, termination_text};
use super::{LabReport, Report, ScenarioReport};
use crate::scenario::Verdict;

/// The page's style: readable printed in black and white, and at any zoom (text wraps, the
/// pictures scroll sideways inside their own box).
const STYLE: &str = "
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;margin:0 auto;max-width:1100px;padding:16px 20px;color:#111;background:#fff;line-height:1.4;overflow-wrap:break-word}
h1{font-size:1.5em;margin:0 0 .3em}
h2{font-size:1.2em;margin:1.6em 0 .4em;border-bottom:2px solid #ccc;padding-bottom:.2em}
code,pre{font-family:'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:.92em;overflow-wrap:anywhere}
pre{background:#f5f5f5;padding:8px;overflow-x:auto;white-space:pre-wrap;overflow-wrap:anywhere}
.summary{font-size:1.1em;font-weight:bold;padding:8px 12px;border:2px solid #1d5e2a;background:#eef7ee}
.summary.failing{border-color:#b00020;background:#fdeeee}
table{border-collapse:collapse;margin:.6em 0}
th,td{border:1px solid #bbb;padding:3px 10px;text-align:left;vertical-align:top}
.env{color:#444;font-size:.9em;margin:.2em 0;overflow-wrap:anywhere}
details{border:1px solid #ccc;border-radius:4px;margin:6px 0;padding:0 10px}
details[open]{padding-bottom:8px}
summary{cursor:pointer;padding:6px 0;overflow-wrap:anywhere}
.tag{display:inline-block;min-width:3.2em;font-weight:bold;font-family:monospace;padding:0 4px;margin-right:6px;text-align:center;border:1px solid}
.tag.pass{color:#1d5e2a}.tag.fail{color:#b00020;border-width:2px}.tag.skip,.tag.err{color:#7a5a00;border-style:dashed}
.checks{list-style:none;padding-left:0}
.checks li{margin:.4em 0;overflow-wrap:anywhere}
.checks .failed{border-left:4px solid #b00020;padding-left:8px}
.checks .passed{color:#333}
.hint{margin-top:.2em}
.note{color:#444}
figure{margin:10px 0;overflow-x:auto;border:1px solid #ddd}
figcaption{font-size:.9em;color:#444;padding:4px 8px}
.problem{color:#b00020;font-weight:bold;overflow-wrap:anywhere}
";

fn head(out: &mut dyn Write, title: &str) -> io::Result<()> {
    writeln!(out, "<!DOCTYPE html>")?;
    writeln!(
        out,
        r#"<html xmlns="http://www.w3.org/1999/xhtml" lang="en"><head><meta charset="utf-8"/><meta name="viewport" content="width=device-width, initial-scale=1"/><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'"/>"#
    )?;
    writeln!(
        out,
        "<title>{}</title><style>{STYLE}</style></head><body>",
        esc(title)
    )
}

/// Writes `report` as a page.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    head(out, &format!("shmlab report: {}", report.source))?;
    writeln!(out, "<header><h1>shmlab: {}</h1>", esc(&report.source))?;
    let failing = report.has_failures() || report.counts().errors > 0;
    writeln!(
        out,
        r#"<p class="summary{}">{}</p>"#,
        if failing { " failing" } else { "" },
        esc(&report.summary())
    )?;
    summary_table(report, out)?;
    writeln!(
        out,
        r#"<p class="env">isolation: {} ({})</p><p class="env">programs run as: {}</p><p class="env">tracing: {}</p>"#,
        report.isolation.mode,
        esc(&words::isolation_why(&report.isolation)),
        esc(&words::runs_as(&report.runs_as)),
        match &report.tracing {
            None => "on (every shm call of a run is recorded and drawn)".to_string(),
            Some(reason) => esc(&format!(
                "off ({reason}); the checks on what happened during a run are skipped, and no run is drawn"
            )),
        }
    )?;
    if let Some(limit) = words::untraced_keys_limit(report) {
        writeln!(out, r#"<p class="env">note: {}</p>"#, esc(limit))?;
    }
    writeln!(out, "</header>")?;
    for lab in &report.labs {
        render_lab(lab, out)?;
    }
    writeln!(out, "</body></html>")
}

fn anchor(lab: &LabReport) -> String {
    format!("lab-{}", lab.lab.name())
}

fn summary_table(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "<table><thead><tr><th>lab</th><th>status</th><th>passed</th><th>failed</th><th>skipped</th></tr></thead><tbody>"
    )?;
    for lab in &report.labs {
        let c = lab.counts();
        writeln!(
            out,
            r##"<tr><td><a href="#{}">{}. {}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>"##,
            anchor(lab),
            lab.lab.number(),
            lab.lab,
            esc(&status_text(lab.status())),
            c.passed,
            c.failed,
            c.skipped + c.errors
        )?;
    }
    writeln!(out, "</tbody></table>")
}

fn render_lab(lab: &LabReport, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        r#"<section id="{}"><h2>Lab {}: {} — {} [{}]</h2>"#,
        anchor(lab),
        lab.lab.number(),
        lab.lab,
        esc(lab.lab.summary()),
        esc(&status_text(lab.status()))
    )?;
    if let Some(program) = &lab.program {
        writeln!(
            out,
            r#"<p class="env">program: <code>{}</code></p>"#,
            esc(program)
        )?;
    }
    if let Some(problem) = &lab.problem {
        writeln!(
            out,
            r#"<p class="problem">FAIL {}</p>"#,
            esc(&words::lab_problem(lab.lab, problem))
        )?;
    }
    for (k, s) in lab.scenarios.iter().enumerate() {
        render_scenario(lab, s, &format!("{}-{k}", lab.lab.name()), out)?;
    }
    writeln!(
        out,
        r#"<p class="env">guide: <code>{}</code></p></section>"#,
        esc(&lab.lab.guide())
    )
}

fn render_scenario(
    lab: &LabReport,
    s: &ScenarioReport,
    id: &str,
    out: &mut dyn Write,
) -> io::Result<()> {
    let (tag, class, open) = match &s.verdict {
        Verdict::Passed => ("PASS", "pass", false),
        Verdict::Failed => ("FAIL", "fail", true),
        Verdict::Skipped(_) => ("SKIP", "skip", false),
        Verdict::Error(_) => ("ERR", "err", true),
    };
    writeln!(
        out,
        r#"<details class="scenario {class}" id="{id}"{}><summary><span class="tag {class}">{tag}</span><code>{}</code> {}</summary>"#,
        if open { r#" open="open""# } else { "" },
        esc(s.slug),
        esc(s.title)
    )?;
    match &s.verdict {
        Verdict::Skipped(reason) => writeln!(out, "<p>skipped: {}</p>", esc(reason))?,
        Verdict::Error(reason) => writeln!(
            out,
            "<p>the checker could not run this scenario: {}</p>",
            esc(reason)
        )?,
        _ => {}
    }
    for (k, run) in s.runs.iter().enumerate() {
        writeln!(
            out,
            r#"<p><code>$ {}</code> — pid {}, {}</p>"#,
            esc(&run_command(run)),
            run.pid,
            esc(&termination_text(&run.termination))
        )?;
        let stderr = run.stderr.trim_end();
        if !stderr.is_empty() && s.verdict == Verdict::Failed && k == 0 {
            writeln!(
                out,
                "<p>stderr:</p><pre>{}</pre>",
                esc_lines(&super::cap::shown_output(
                    stderr,
                    run.dropped_by_stream.stderr
                ))
            )?;
        }
    }
    render_checks(s, out)?;
    let pictures = svg::scenario_pictures(s, id);
    for (k, picture) in pictures {
        let caption = if s.runs.len() > 1 {
            format!("run {}, drawn: time runs left to right, one call per column; hover a mark for its line", k + 1)
        } else {
            "the run, drawn: time runs left to right, one call per column; hover a mark for its line".to_string()
        };
        writeln!(
            out,
            "<figure>{picture}<figcaption>{}</figcaption></figure>",
            esc(&caption)
        )?;
    }
    if s.verdict == Verdict::Failed {
        writeln!(
            out,
            r#"<p class="env">guide: <code>{}#common-mistakes</code></p>"#,
            esc(&lab.lab.guide())
        )?;
    }
    writeln!(out, "</details>")
}

fn render_checks(s: &ScenarioReport, out: &mut dyn Write) -> io::Result<()> {
    if s.checks.is_empty() {
        return Ok(());
    }
    writeln!(out, r#"<ul class="checks">"#)?;
    let mut number = 0;
    for c in &s.checks {
        if let Some(reason) = &c.skipped {
            writeln!(
                out,
                r#"<li class="skipped">– {}: skipped ({})</li>"#,
                esc(&c.what),
                esc(reason)
            )?;
            continue;
        }
        let (class, mark) = if c.passed {
            ("passed", "✓".to_string())
        } else {
            number += 1;
            // The same number as the check's pin in the pictures.
            ("failed", format!("✗ check {number}:"))
        };
        write!(
            out,
            r#"<li class="{class}">{mark} <b>{}</b>: expected <code>{}</code>, got <code>{}</code>"#,
            esc(&c.what),
            esc(&super::cap::shown_text(&c.expected)),
            esc(&super::cap::shown_text(&c.actual))
        )?;
        if let Some(hint) = &c.hint {
            write!(
                out,
                r#"<div class="hint">→ {}</div>"#,
                esc(&super::cap::shown_text(hint))
            )?;
        }
        if let Some(topic) = c.explain {
            write!(
                out,
                r#"<div class="note">(shmlab explain {})</div>"#,
                esc(topic)
            )?;
        }
        if let Some(note) = &c.note {
            write!(out, r#"<div class="note">note: {}</div>"#, esc(note))?;
        }
        writeln!(out, "</li>")?;
    }
    writeln!(out, "</ul>")
}

/// A checker error, as a page of its own: the report could not be made.
pub fn render_error(message: &str, out: &mut dyn Write) -> io::Result<()> {
    head(out, "shmlab: the checker could not make the report")?;
    writeln!(
        out,
        r#"<header><h1>shmlab: no report</h1><p class="summary failing">error: {}</p></header></body></html>"#,
        esc(&neutral(message))
    )
}

/// Text shown as lines in a `<pre>`: each line neutral and escaped, its breaks kept.
fn esc_lines(text: &str) -> String {
    text.lines().map(esc).collect::<Vec<_>>().join("\n")
}

/// `shmlab trace --html`: the trace's picture, then the text trace itself.
pub fn render_trace(t: &Trace<'_>, text: &str, out: &mut dyn Write) -> io::Result<()> {
    let command = words::shell_words(t.command);
    head(out, &format!("shmlab trace: {command}"))?;
    writeln!(
        out,
        "<header><h1>shmlab trace: <code>{}</code></h1></header>",
        esc(&command)
    )?;
    let ends = t
        .output
        .ends
        .iter()
        .map(|e| svg::End {
            pid: e.pid,
            after_events: e.after_events,
            text: super::trace::end_text(e),
        })
        .collect();
    let input = svg::Input {
        events: t.events,
        main_pid: t.output.pid,
        main_end: termination_text(&t.output.termination),
        ends,
        before: &[],
        after: Some(t.left),
        pins: Vec::new(),
    };
    let picture = svg::picture(&input, &format!("$ {command}"), "trace");
    writeln!(
        out,
        "<figure>{picture}<figcaption>the run, drawn: time runs left to right, one call per column; hover a mark for its line</figcaption></figure>"
    )?;
    writeln!(out, "<h2>The trace</h2><pre>{}</pre>", esc_lines(text))?;
    writeln!(out, "</body></html>")
}
