//! `shmlab watch` at a terminal: it re-checks on a save and moves on when a lab passes, `r`
//! re-runs by hand, and quitting leaves no process behind and the terminal as it was.
//!
//! Watch runs with a pseudo-terminal as its stdin, stdout and stderr; the test reads the
//! master side into a buffer and types on it. The programs are copies of the pristine
//! starters in a directory of the test's own (never the student's `labs/`).

mod common;

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Built, LABS};
use nix::sys::termios::{self, LocalFlags};

/// How long a report may take to appear (the checks of one lab take well under a second).
const REPORT: Duration = Duration::from_secs(15);
/// How long watch may take to exit after `q`.
const EXIT: Duration = Duration::from_secs(5);

/// The pristine starters, named after the labs, in a directory under cargo's target.
fn starters_dir() -> tempfile::TempDir {
    let bins = common::build(Built::Pristine);
    let dir = tempfile::Builder::new()
        .prefix("watch-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    for lab in LABS {
        let to = dir.path().join(lab);
        std::fs::copy(&bins[lab], &to).unwrap();
        std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    dir
}

/// `shmlab watch --dir DIR` at a pseudo-terminal.
struct Session {
    child: Child,
    /// The terminal's side that the test types on.
    master: File,
    /// The terminal's own side, kept to read its settings after watch exits.
    slave: OwnedFd,
    screen: Arc<Mutex<Vec<u8>>>,
}

impl Session {
    fn start(dir: &Path) -> Session {
        let pty = nix::pty::openpty(None, None).expect("a pseudo-terminal");
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("shmlab"));
        // The environment of `common::shmlab()`.
        cmd.current_dir(common::workspace())
            .env("NO_COLOR", "1")
            .env_remove("RUST_BACKTRACE")
            .env_remove("SHMLAB_FORBID_NAMESPACES")
            .env(
                "SHMLAB_STATE",
                Path::new(env!("CARGO_TARGET_TMPDIR")).join("shmlab-state.txt"),
            )
            .arg("watch")
            .arg("--dir")
            .arg(dir)
            .stdin(Stdio::from(pty.slave.try_clone().unwrap()))
            .stdout(Stdio::from(pty.slave.try_clone().unwrap()))
            .stderr(Stdio::from(pty.slave.try_clone().unwrap()))
            // Its own group, so that a failing test can kill what it started.
            .process_group(0);
        let child = cmd.spawn().expect("shmlab watch starts");
        drop(cmd);
        let master = File::from(pty.master);
        let screen = Arc::new(Mutex::new(Vec::new()));
        let mut reader = master.try_clone().unwrap();
        let into = Arc::clone(&screen);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            // Ends with EIO once every slave side is closed.
            while let Ok(n @ 1..) = reader.read(&mut buf) {
                into.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Session {
            child,
            master,
            slave: pty.slave,
            screen,
        }
    }

    /// What watch and its checks have written so far.
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.screen.lock().unwrap()).into_owned()
    }

    /// Waits until the screen satisfies `done`; fails with the screen after `timeout`.
    fn wait_for(&self, what: &str, timeout: Duration, done: impl Fn(&str) -> bool) {
        let start = Instant::now();
        while !done(&self.text()) {
            assert!(
                start.elapsed() < timeout,
                "no {what} after {timeout:?}; the screen:\n{}",
                self.text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Types `keys`.
    fn type_keys(&mut self, keys: &[u8]) {
        self.master.write_all(keys).unwrap();
        self.master.flush().unwrap();
    }

    /// Waits for watch to exit; fails (killing it) after `timeout`.
    fn exit_status(&mut self, timeout: Duration) -> ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                start.elapsed() < timeout,
                "watch still running {timeout:?} after quitting; the screen:\n{}",
                self.text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether the terminal is back in canonical mode with echo, as it was before.
    fn is_terminal_restored(&self) -> bool {
        let now = termios::tcgetattr(&self.slave).unwrap();
        now.local_flags
            .contains(LocalFlags::ICANON | LocalFlags::ECHO | LocalFlags::ISIG)
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // A test that failed half-way leaves nothing running.
        if matches!(self.child.try_wait(), Ok(None)) {
            let group = nix::unistd::Pid::from_raw(self.child.id() as i32);
            let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
            let _ = self.child.wait();
        }
    }
}

/// How many times `needle` occurs in `haystack`.
fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

/// The processes (other than this test) whose command line or executable names `dir`.
fn processes_from(dir: &Path) -> Vec<String> {
    processes_naming(&dir.to_string_lossy())
}

/// The processes (other than this test) whose command line or executable contains `dir`.
fn processes_naming(dir: &str) -> Vec<String> {
    let me = std::process::id().to_string();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == me || !name.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        let exe = std::fs::read_link(entry.path().join("exe"))
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        if cmdline.contains(dir) || exe.starts_with(dir) {
            found.push(format!("{name}: {cmdline} ({exe})"));
        }
    }
    found
}

/// One line of the report's summary: the check of a lab has finished.
const SUMMARY: &str = "Labs done: ";

#[test]
fn saving_a_passing_lab_moves_on_to_the_next_and_q_quits_leaving_nothing_running() {
    let dir = starters_dir();
    let solution = &common::built("shmlab-solutions")["solution-create"];
    let mut s = Session::start(dir.path());
    s.wait_for("check of create", REPORT, |t| {
        t.contains("checking create (r: re-run, q: quit)") && t.contains("FAIL  create/")
    });
    s.wait_for("end of create's report", REPORT, |t| t.contains(SUMMARY));
    assert!(!s.text().contains("create passes"), "{}", s.text());

    // A save: the new program is written next to the directory, then renamed over the
    // starter, as editors and linkers do.
    let staged = dir.path().with_extension("create.new");
    std::fs::copy(solution, &staged).unwrap();
    std::fs::set_permissions(&staged, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::rename(&staged, dir.path().join("create")).unwrap();

    s.wait_for("move on to access", REPORT, |t| {
        t.contains("create passes: on to access")
            && t.contains("checking access (r: re-run, q: quit)")
    });
    // The check the save started says which file changed, on a cleared screen.
    assert!(
        s.text()
            .contains("create changed: checking create (r: re-run, q: quit)"),
        "{}",
        s.text()
    );
    assert!(s.text().contains("\x1b[2J"), "the screen is cleared");
    s.type_keys(b"q");
    let status = s.exit_status(EXIT);
    assert!(status.success(), "{status:?}; the screen:\n{}", s.text());
    assert_eq!(processes_from(dir.path()), Vec::<String>::new());
    assert!(s.is_terminal_restored(), "the terminal was left raw");
}

#[test]
fn r_and_enter_rerun_the_check_without_a_file_event_and_ctrl_c_quits() {
    let dir = starters_dir();
    let mut s = Session::start(dir.path());
    let line = "checking create (r: re-run, q: quit)";
    s.wait_for("first check", REPORT, |t| {
        count(t, line) == 1 && count(t, SUMMARY) == 1
    });
    s.type_keys(b"r");
    s.wait_for("re-run after r", REPORT, |t| {
        count(t, line) == 2 && count(t, SUMMARY) == 2
    });
    s.type_keys(b"\r");
    s.wait_for("re-run after Enter", REPORT, |t| {
        count(t, line) == 3 && count(t, SUMMARY) == 3
    });
    s.type_keys(&[0x03]);
    let status = s.exit_status(EXIT);
    assert!(status.success(), "{status:?}; the screen:\n{}", s.text());
    assert_eq!(count(&s.text(), line), 3, "{}", s.text());
    assert_eq!(processes_from(dir.path()), Vec::<String>::new());
    assert!(s.is_terminal_restored(), "the terminal was left raw");
}

#[test]
fn q_during_a_check_stops_the_check_and_the_program_it_runs() {
    let dir = starters_dir();
    // A create that never ends: each of its runs lasts until the checker's timeout.
    let sleep = "sleep 987.125";
    std::fs::write(
        dir.path().join("create"),
        format!("#!/bin/sh\nexec {sleep}\n"),
    )
    .unwrap();
    let mut s = Session::start(dir.path());
    s.wait_for("search for the first lab", REPORT, |t| {
        t.contains("finding the first lab that does not pass yet (q: quit)")
    });
    let start = Instant::now();
    while processes_naming(sleep).is_empty() {
        assert!(start.elapsed() < REPORT, "create never ran: {}", s.text());
        std::thread::sleep(Duration::from_millis(20));
    }
    s.type_keys(b"q");
    let status = s.exit_status(EXIT);
    assert!(status.success(), "{status:?}; the screen:\n{}", s.text());
    assert_eq!(processes_naming(sleep), Vec::<String>::new());
    assert_eq!(processes_from(dir.path()), Vec::<String>::new());
    assert!(s.is_terminal_restored(), "the terminal was left raw");
}
