//! `shmlab watch`: re-checks the lab being worked on each time a file is saved, and moves on
//! to the next lab when it passes.
//!
//! Every check is a child process of this executable (`shmlab check ...`), waited for before
//! the next one starts, and stopped (SIGTERM, a grace period, then SIGKILL) when watch quits:
//! a check that is stopped cleans up its own runs, and whatever it leaves comes to watch, the
//! subreaper, which kills and reaps it before exiting. Two kinds of child:
//!
//! - `shmlab check --format json`, quiet, for every lab's `done` (`extra_data.labs[].done`):
//!   the lab being worked on is the first that is not done;
//! - `shmlab check LAB`, with the terminal as its stdout and stderr: the report the student
//!   reads. Its exit status 0 means the lab passes.
//!
//! At a terminal, each check of the lab starts on a cleared screen (`console`), under a status
//! line that names the file whose change started it: one lab's view, redrawn, never a pile
//! of old reports.
//!
//! File events come from `notify` (inotify on Linux), debounced; where they never arrive
//! (WSL on a Windows drive, network file systems), `r` or Enter re-runs by hand. `q`, Ctrl-C
//! and the end of input quit. At a terminal, stdin is put in non-canonical, no-echo mode
//! (without signals, so Ctrl-C is a key like `q`) and restored on every way out. Only these
//! three flags, through nix's termios: the raw mode of `console` (`read_key`) and `crossterm`
//! is `cfmakeraw`, which also turns off output processing, and the checks' reports, written to
//! the same terminal meanwhile, would lose their carriage returns (each line starting where
//! the one above ended).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use super::cargo_build::find_workspace;
use crate::error::{exit_codes, Fatal, UsageError};
use crate::model::Lab;
use crate::plan::{RunOptions, Source, Track, WatchPlan};
use crate::run;

mod inputs;
mod say;

use inputs::{read_keys, watch_files, Input, Terminal};
use say::{clear_screen, say, Say};

/// How long the files must stay quiet after a save before the check starts: editors write a
/// file in several steps (a temporary file, a rename, a chmod).
const DEBOUNCE: Duration = Duration::from_millis(300);
/// How long a stopped check has to clean up after SIGTERM before it is killed.
const GRACE: Duration = Duration::from_secs(3);
/// How often the loop looks at a running check, the keys and interrupts.
const TICK: Duration = Duration::from_millis(50);

/// The student asked to quit (or watch was interrupted): every loop unwinds on it.
struct Quit;

/// Runs the watch loop until the student quits or every lab passes; returns the exit status.
pub fn execute(plan: &WatchPlan) -> Result<u8, Fatal> {
    let (root, shown) = watched(&plan.source)?;
    let exe = std::env::current_exe().map_err(|source| Fatal::CouldNotRun {
        program: "shmlab (its own executable, for each check)".into(),
        source,
    })?;
    let (tx, rx) = mpsc::channel();
    let changed = Arc::new(Mutex::new(None));
    let watcher = watch_files(&root, tx.clone(), changed.clone());
    if let Err(e) = &watcher {
        say(Say::NoEvents(&e.to_string()));
    }
    let _leaving = Leaving {
        _terminal: Terminal::raw(),
    };
    run::process::catch_interrupts();
    read_keys(tx);
    let mut w = Watch {
        exe,
        source: &plan.source,
        run: &plan.run,
        shown,
        root,
        rx,
        changed,
        pending: false,
    };
    // Both ends are the same: the loop has waited for (or stopped) its check.
    let _ = w.run();
    drop(watcher);
    Ok(exit_codes::OK)
}

/// On every way out of [`execute`] (a return, or a panic, which unwinds): whatever the
/// checks left is killed and reaped, then the terminal is restored.
struct Leaving {
    _terminal: Terminal,
}

impl Drop for Leaving {
    fn drop(&mut self) {
        run::process::sweep();
    }
}

/// The directory watched, and how the status line names it.
fn watched(source: &Source) -> Result<(PathBuf, String), Fatal> {
    let (dir, shown) = match source {
        Source::Labs(_) => {
            let ws = find_workspace().ok_or(UsageError::NoWorkspace)?;
            (ws.join("labs"), "labs/".to_string())
        }
        Source::Solutions(_) => {
            let ws = find_workspace().ok_or(UsageError::NoWorkspace)?;
            (ws.join("solutions"), "solutions/".to_string())
        }
        Source::Dir(d) => (d.clone(), d.display().to_string()),
        Source::Program(p) => {
            let parent = p.parent().filter(|d| !d.as_os_str().is_empty());
            let dir = parent.unwrap_or(Path::new(".")).to_path_buf();
            (dir, p.display().to_string())
        }
    };
    // Events name absolute paths under the canonical directory.
    Ok((dir.canonicalize().unwrap_or(dir), shown))
}

/// The loop's state.
struct Watch<'a> {
    exe: PathBuf,
    source: &'a Source,
    run: &'a RunOptions,
    shown: String,
    /// The directory watched (canonical), to name a changed file from it.
    root: PathBuf,
    rx: Receiver<Input>,
    /// The file whose change came last, taken when a check starts.
    changed: Arc<Mutex<Option<PathBuf>>>,
    /// A change (or `r`) came while a check ran: the next wait does not wait.
    pending: bool,
}

impl Watch<'_> {
    fn run(&mut self) -> Result<(), Quit> {
        // The lab being worked on, once known (`Some(None)`: every lab passes).
        let mut current: Option<Option<Lab>> = None;
        loop {
            if current.is_none() {
                say(Say::Looking { root: &self.shown });
                current = self.first_not_done()?;
                if current.is_none() {
                    say(Say::NoStatus);
                    self.wait()?;
                    continue;
                }
            }
            let Some(Some(lab)) = current else {
                say(Say::AllDone);
                return Ok(());
            };
            let changed = self
                .changed
                .lock()
                .ok()
                .and_then(|mut c| c.take())
                .map(|p| {
                    p.strip_prefix(&self.root)
                        .unwrap_or(&p)
                        .display()
                        .to_string()
                });
            clear_screen();
            say(Say::Checking {
                root: &self.shown,
                lab,
                changed: changed.as_deref(),
            });
            if self.check(lab)? {
                match self.first_not_done()? {
                    Some(next) if next != Some(lab) => {
                        say(Say::Passes { lab, next });
                        current = Some(next);
                        continue;
                    }
                    Some(_) => {}
                    None => current = None,
                }
            }
            self.wait()?;
        }
    }

    /// `shmlab check LAB`, its report on the terminal; whether the lab passes.
    fn check(&mut self, lab: Lab) -> Result<bool, Quit> {
        self.pending = false;
        let mut cmd = self.command();
        cmd.arg(lab.name());
        match cmd.spawn() {
            Ok(child) => Ok(self.supervise(child)?.success()),
            Err(e) => {
                say(Say::CannotRun(&e.to_string()));
                Ok(false)
            }
        }
    }

    /// The first lab that is not done, from `shmlab check --format json` (`Some(None)`: all
    /// are done); `None` when the check gave no status, after showing what it said.
    fn first_not_done(&mut self) -> Result<Option<Option<Lab>>, Quit> {
        let files = (tempfile::tempfile(), tempfile::tempfile());
        let (Ok(mut out), Ok(mut err)) = files else {
            say(Say::CannotRun("no temporary file for the status check"));
            return Ok(None);
        };
        let mut cmd = self.command();
        cmd.args(["--format", "json"]);
        if let (Ok(o), Ok(e)) = (out.try_clone(), err.try_clone()) {
            cmd.stdout(o).stderr(e);
        }
        let child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                say(Say::CannotRun(&e.to_string()));
                return Ok(None);
            }
        };
        self.supervise(child)?;
        let read = |f: &mut std::fs::File| {
            let mut text = Vec::new();
            let _ = std::io::Seek::rewind(f).and_then(|()| f.read_to_end(&mut text));
            text
        };
        let found = first_not_done_in(&read(&mut out));
        if found.is_none() {
            // The checker's own message (a build that failed, an environment it cannot use).
            let _ = std::io::stderr().write_all(&read(&mut err));
        }
        Ok(found)
    }

    /// `shmlab check` with the same source and run options; stdin is not the child's.
    fn command(&self) -> Command {
        let mut cmd = Command::new(&self.exe);
        cmd.arg("check")
            .args(source_args(self.source))
            .args(super::grade::check_args(self.run))
            .stdin(Stdio::null());
        cmd
    }

    /// Waits for `child`, noting changes meanwhile; on quit, stops it first.
    fn supervise(&mut self, mut child: Child) -> Result<ExitStatus, Quit> {
        loop {
            match child.try_wait() {
                Ok(Some(status)) => return Ok(status),
                Ok(None) => {}
                Err(_) => return child.wait().map_err(|_| Quit),
            }
            if run::process::interrupted() {
                stop(&mut child);
                return Err(Quit);
            }
            match self.rx.recv_timeout(TICK) {
                Ok(Input::Quit) => {
                    stop(&mut child);
                    return Err(Quit);
                }
                Ok(Input::Changed | Input::Rerun) => self.pending = true,
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => std::thread::sleep(TICK),
            }
        }
    }

    /// Waits for a save (then for the files to stay quiet) or for `r`.
    fn wait(&mut self) -> Result<(), Quit> {
        let mut quiet_since = if std::mem::take(&mut self.pending) {
            Some(Instant::now())
        } else {
            None
        };
        loop {
            if run::process::interrupted() {
                return Err(Quit);
            }
            let timeout = match quiet_since {
                Some(t) if t.elapsed() >= DEBOUNCE => return Ok(()),
                Some(t) => (DEBOUNCE - t.elapsed()).min(TICK),
                None => TICK,
            };
            match self.rx.recv_timeout(timeout) {
                Ok(Input::Quit) | Err(RecvTimeoutError::Disconnected) => return Err(Quit),
                Ok(Input::Rerun) => return Ok(()),
                Ok(Input::Changed) => quiet_since = Some(Instant::now()),
                Err(RecvTimeoutError::Timeout) => {}
            }
        }
    }
}

/// Stops a check: SIGTERM (it cleans up its runs), a grace period, then SIGKILL; reaped.
fn stop(child: &mut Child) {
    if let Ok(pid) = i32::try_from(child.id()) {
        let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
    }
    let start = Instant::now();
    while start.elapsed() < GRACE {
        if !matches!(child.try_wait(), Ok(None)) {
            return;
        }
        std::thread::sleep(TICK);
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// The flags that give `shmlab check` the same programs.
fn source_args(source: &Source) -> Vec<String> {
    let lang = |t: &Track| {
        match t {
            Track::Rust => "rust",
            Track::C => "c",
        }
        .to_string()
    };
    match source {
        Source::Labs(t) => vec!["--lang".into(), lang(t)],
        Source::Solutions(t) => vec!["--solutions".into(), "--lang".into(), lang(t)],
        Source::Dir(d) => vec!["--dir".into(), d.display().to_string()],
        Source::Program(p) => vec!["--program".into(), p.display().to_string()],
    }
}

/// The first lab, in teaching order, that a `check --format json` document says is not done
/// (`Some(None)`: all are); `None` when the document has no lab status.
fn first_not_done_in(json: &[u8]) -> Option<Option<Lab>> {
    let doc: serde_json::Value = serde_json::from_slice(json).ok()?;
    let labs = doc["extra_data"]["labs"].as_array()?;
    let is_done = |lab: Lab| {
        labs.iter()
            .any(|l| l["lab"] == lab.name() && l["done"] == true)
    };
    Some(Lab::ALL.into_iter().find(|lab| !is_done(*lab)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lab_worked_on_is_the_first_not_done_in_teaching_order() {
        let doc = br#"{"extra_data":{"labs":[
            {"lab":"access","done":false},{"lab":"create","done":true},
            {"lab":"attach","done":false}]}}"#;
        assert_eq!(first_not_done_in(doc), Some(Some(Lab::Access)));
        let all: Vec<_> = Lab::ALL
            .iter()
            .map(|l| serde_json::json!({"lab": l.name(), "done": true}))
            .collect();
        let doc = serde_json::json!({"extra_data": {"labs": all}}).to_string();
        assert_eq!(first_not_done_in(doc.as_bytes()), Some(None));
        assert_eq!(first_not_done_in(br#"{"extra_data":{"error":"x"}}"#), None);
    }
}
