//! `shmlab trace`: the timeline of one program, with the end of every process it started
//! in its place, the segments it left, then its output.

use std::io::{self, Write};

use super::neutral::neutral_lines;
use super::words::{event_line, shell_words, spawn_failed_text, termination_text};
use crate::model::run::{Termination, OUTPUT_CAP};
use crate::model::timeline::{key_text, signal_name};
use crate::model::Effect;
use crate::model::{SegmentState, TraceEvent};
use crate::run::isolation::{Isolation, IsolationChoice, IsolationReason};
use crate::run::process::{KillReason, ProcessEnd, RunOutput};

/// What a trace found.
pub struct Trace<'a> {
    /// The program and its arguments.
    pub command: &'a [String],
    /// Where it ran.
    pub choice: &'a IsolationChoice,
    pub output: &'a RunOutput,
    pub events: &'a [TraceEvent],
    /// The segments left when it ended (in keys mode, those its processes created).
    pub left: &'a [SegmentState],
    /// The checker's stdin is a terminal, so the program read /dev/null.
    pub terminal_stdin: bool,
}

/// Where the program ran, in words.
fn place(choice: &IsolationChoice) -> String {
    if choice.mode == Isolation::Namespace {
        return "in a private IPC namespace (its segments vanish when it ends)".into();
    }
    let why = match &choice.reason {
        IsolationReason::NamespacesForbidden(reason) => format!("because {reason}"),
        _ => "as asked with --isolation keys".to_string(),
    };
    format!("in this machine's IPC namespace ({why}); the segments it makes stay")
}

/// Why the checker killed a process, in words.
pub fn kill_reason(why: KillReason) -> &'static str {
    match why {
        KillReason::Outlived => "it was still running when the program had ended",
        KillReason::Timeout => "the run went past its timeout",
        KillReason::TooManyProcesses => "the run started too many processes (a fork loop)",
        KillReason::LeftNamespace => {
            "a process of the run made a shm call from an IPC namespace of its own, where the checker cannot see its segments"
        }
        KillReason::Interrupted => "shmlab was interrupted",
    }
}

/// How one process ended, in words: who killed it, and why, when it was the checker.
pub fn end_text(end: &ProcessEnd) -> String {
    match (end.killed_by_checker, end.termination) {
        (Some(why), Termination::Signaled { signal, .. }) => format!(
            "killed by the checker with {}: {}",
            signal_name(signal),
            kill_reason(why)
        ),
        (_, t) => termination_text(&t),
    }
}

/// The line for the program's own end: a timeout is the run's, not a signal's.
fn main_end_text(output: &RunOutput, end: Option<&ProcessEnd>) -> String {
    match (output.termination, end) {
        (Termination::Signaled { .. }, Some(end)) => end_text(end),
        (t, _) => termination_text(&t),
    }
}

/// The segments left, in one line.
fn left_line(t: &Trace<'_>) -> String {
    if t.left.is_empty() {
        return "segments left: none".into();
    }
    let list: Vec<String> = t
        .left
        .iter()
        .map(|s| format!("key {} (id {})", key_text(s.key), s.id))
        .collect();
    let fate = if t.choice.mode == Isolation::Namespace {
        "they vanish with the private namespace"
    } else {
        "they stay in this machine's namespace: `ipcrm -m ID` removes one"
    };
    format!(
        "segments left: {}: {}; {fate}",
        t.left.len(),
        list.join(", ")
    )
}

/// The marker after a stream cut at the cap.
pub fn cut_marker(stream: &str, dropped: u64) -> String {
    format!("[{stream} cut at {OUTPUT_CAP} bytes: {dropped} bytes more were dropped]")
}

/// A stream of the program, line by line, each line neutral.
fn write_stream(w: &mut dyn Write, name: &str, bytes: &[u8], dropped: u64) -> io::Result<()> {
    writeln!(w, "--- {name}")?;
    w.write_all(neutral_lines(bytes).as_bytes())?;
    if dropped > 0 {
        if !bytes.ends_with(b"\n") {
            writeln!(w)?;
        }
        writeln!(w, "{}", cut_marker(name, dropped))?;
    }
    Ok(())
}

/// Writes the trace.
pub fn render(t: &Trace<'_>, w: &mut dyn Write) -> io::Result<()> {
    writeln!(
        w,
        "shmlab trace: `{}` {}",
        shell_words(t.command),
        place(t.choice)
    )?;
    if t.terminal_stdin {
        writeln!(
            w,
            "(stdin is a terminal, so the program reads /dev/null: pipe its input in, or give --stdin FILE)"
        )?;
    }
    if t.events.is_empty() {
        writeln!(w, "(no shm calls)")?;
    }
    let main = t.output.pid;
    let main_end = t.output.ends.iter().find(|e| e.pid == main);
    let mut ends = t.output.ends.iter().peekable();
    let mut write_ends = |w: &mut dyn Write, upto: usize| -> io::Result<()> {
        while let Some(end) = ends.next_if(|e| e.after_events <= upto) {
            let text = if end.pid == main {
                main_end_text(t.output, Some(end))
            } else {
                end_text(end)
            };
            writeln!(w, "[{}] {text}", end.pid)?;
        }
        Ok(())
    };
    for (i, e) in t.events.iter().enumerate() {
        write_ends(w, i)?;
        // The end of a process that held nothing is said by its process-end line.
        if matches!(&e.effect, Effect::Exit { attached } if attached.is_empty()) {
            continue;
        }
        writeln!(w, "{}", event_line(e))?;
    }
    write_ends(w, usize::MAX)?;
    if let Some(failed) = &t.output.spawn_failed {
        writeln!(w, "note: {}", spawn_failed_text(failed))?;
    }
    if main_end.is_none() {
        // The runner died (the program killed it): no process ends were sent back.
        writeln!(w, "[{main}] {}", main_end_text(t.output, None))?;
    }
    writeln!(w, "{}", left_line(t))?;
    let cut = t.output.dropped_by_stream;
    write_stream(w, "stdout", &t.output.stdout, cut.stdout)?;
    write_stream(w, "stderr", &t.output.stderr, cut.stderr)?;
    Ok(())
}
