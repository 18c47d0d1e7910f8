//! What watch says: its status lines, and the cleared screen each check starts on.

use std::io::Write;

use crate::model::Lab;

/// At a terminal, clears the screen and puts the cursor at its top: the check that follows is
/// the only report on it.
pub(super) fn clear_screen() {
    let term = console::Term::stdout();
    if term.is_term() {
        let _ = term.clear_screen();
    }
}

/// A status line of the loop.
pub(super) enum Say<'a> {
    Looking {
        root: &'a str,
    },
    Checking {
        root: &'a str,
        lab: Lab,
        changed: Option<&'a str>,
    },
    Passes {
        lab: Lab,
        next: Option<Lab>,
    },
    AllDone,
    NoStatus,
    NoEvents(&'a str),
    CannotRun(&'a str),
}

/// Prints a status line: every sentence of the loop is here.
pub(super) fn say(what: Say<'_>) {
    let line = match what {
        Say::Looking { root } => {
            format!("watching {root} — finding the first lab that does not pass yet (q: quit)")
        }
        Say::Checking {
            root,
            lab,
            changed: Some(file),
        } => format!("watching {root} — {file} changed: checking {lab} (r: re-run, q: quit)"),
        Say::Checking {
            root,
            lab,
            changed: None,
        } => format!("watching {root} — checking {lab} (r: re-run, q: quit)"),
        Say::Passes {
            lab,
            next: Some(next),
        } => format!("{lab} passes: on to {next}"),
        Say::Passes { lab, next: None } => format!("{lab} passes"),
        Say::AllDone => "every lab passes: nothing left to watch".to_string(),
        Say::NoStatus => "could not tell which labs pass (the checker said why above): save a file or press r to try again".to_string(),
        Say::NoEvents(why) => format!(
            "file events are not available here ({why}): press r or Enter to re-run after each save"
        ),
        Say::CannotRun(why) => format!("could not run the check: {why}"),
    };
    let mut out = std::io::stdout().lock();
    // A closed stdout is the reader's choice; the loop goes on until q.
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}
