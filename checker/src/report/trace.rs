//! `shmlab trace`: the timeline of one program, then its output.

use std::io::{self, Write};

use super::words::{event_line, shell_words, termination_text};
use crate::model::TraceEvent;
use crate::run::isolation::{Isolation, IsolationChoice, IsolationReason};
use crate::run::process::RunOutput;

/// What a trace found.
pub struct Trace<'a> {
    /// The program and its arguments.
    pub command: &'a [String],
    /// Where it ran.
    pub choice: &'a IsolationChoice,
    pub output: &'a RunOutput,
    pub events: &'a [TraceEvent],
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

/// Writes the trace.
pub fn render(t: &Trace<'_>, w: &mut dyn Write) -> io::Result<()> {
    writeln!(
        w,
        "shmlab trace: `{}` {}",
        shell_words(t.command),
        place(t.choice)
    )?;
    if t.events.is_empty() {
        writeln!(w, "(no shm calls)")?;
    }
    for e in t.events {
        writeln!(w, "{}", event_line(e))?;
    }
    writeln!(
        w,
        "[{}] {}",
        t.output.pid,
        termination_text(&t.output.termination)
    )?;
    writeln!(w, "--- stdout")?;
    w.write_all(&t.output.stdout)?;
    writeln!(w, "--- stderr")?;
    w.write_all(&t.output.stderr)?;
    Ok(())
}
