//! `shmlab trace` tells the whole story of a run: it forwards its stdin, shows every
//! process's end (who killed it, and why, when it was the checker), the segments left, and
//! where output was cut.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::Stdio;

use common::workspace;

fn dir() -> tempfile::TempDir {
    common::shared_tempdir("shmlab-trace-")
}

/// `shmlab trace ARGS -- EXE`, with `input` on its stdin; its stdout, after checking that
/// it succeeded.
fn trace(args: &[&str], exe: &Path, input: &[u8]) -> String {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("shmlab"))
        .current_dir(workspace())
        .env("NO_COLOR", "1")
        .env_remove("SHMLAB_FORBID_NAMESPACES")
        .arg("trace")
        .args(args)
        .arg("--")
        .arg(exe)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The program may not read it all: a closed pipe is fine.
    let _ = child.stdin.take().unwrap().write_all(input);
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

#[test]
fn trace_forwards_its_own_stdin_to_the_program() {
    let d = dir();
    let exe = common::compile_hostile(d.path(), "read_yes", &[]);
    let text = trace(&[], &exe, b"y\n");
    assert!(text.contains("] exited with status 0"), "{text}");
    let text = trace(&[], &exe, b"n\n");
    assert!(text.contains("] exited with status 1"), "{text}");
}

#[test]
fn trace_reads_the_file_given_with_stdin() {
    let d = dir();
    let exe = common::compile_hostile(d.path(), "read_yes", &[]);
    let answers = d.path().join("answers");
    std::fs::write(&answers, "\n\ny\n").unwrap();
    // The file wins over the checker's own stdin.
    let text = trace(&["--stdin", answers.to_str().unwrap()], &exe, b"n\n");
    assert!(text.contains("] exited with status 0"), "{text}");
}

#[test]
fn trace_shows_a_child_that_crashes_with_no_attachment() {
    let d = dir();
    let exe = common::compile_hostile(d.path(), "child_crash", &[]);
    let text = trace(&[], &exe, b"");
    let crashed: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("] killed by SIGSEGV"))
        .collect();
    assert_eq!(crashed.len(), 1, "{text}");
    assert!(text.contains("] exited with status 0"), "{text}");
}

#[test]
fn trace_says_which_processes_the_checker_killed_and_why() {
    let d = dir();
    let exe = common::compile_hostile(d.path(), "child_crash", &[]);
    let text = trace(&[], &exe, b"");
    assert!(
        text.contains(
            "] killed by the checker with SIGKILL: it was still running when the program had ended"
        ),
        "{text}"
    );
    assert!(
        !text
            .lines()
            .any(|l| l.ends_with("] killed by SIGKILL") || l.contains("] killed by SIGKILL:")),
        "a bare SIGKILL, with no word of who sent it:\n{text}"
    );
}

#[test]
fn trace_ends_with_the_segments_left_an_ipc_private_leak_included_in_keys_mode() {
    let d = dir();
    let exe = common::compile_hostile(d.path(), "leak_private", &[]);
    let text = trace(&["--isolation", "keys"], &exe, b"");
    // The program prints the id it made.
    let stdout = text.split("--- stdout\n").nth(1).unwrap();
    let id: i32 = stdout.lines().next().unwrap().trim().parse().unwrap();
    let removed = shm::shmctl(shm::ShmId::new(id), shm::ShmctlCmd::IpcRmid);
    assert!(
        text.contains(&format!(
            "segments left: 1: key IPC_PRIVATE (id {id}); they stay in this machine's namespace"
        )),
        "{text}"
    );
    assert!(removed.is_ok(), "the segment was left, and removed here");
}

#[test]
fn trace_says_no_segment_is_left_when_none_is() {
    let d = dir();
    let exe = common::compile_hostile(d.path(), "read_yes", &[]);
    let text = trace(&[], &exe, b"y\n");
    assert!(text.contains("\nsegments left: none\n"), "{text}");
}

#[test]
fn trace_marks_output_cut_at_the_cap() {
    let d = dir();
    let exe = common::compile_hostile(d.path(), "flood_stdout", &[]);
    let text = trace(&["--timeout", "10"], &exe, b"");
    assert!(
        text.contains("\n[stdout cut at 65536 bytes: "),
        "{}",
        &text[text.len().saturating_sub(400)..]
    );
    assert!(!text.contains("[stderr cut"), "stderr was not cut");
}

#[test]
fn trace_shows_the_programs_own_text_its_bytes_and_where_it_was_cut_and_folds_loops() {
    let d = dir();
    let exe = common::compile_hostile(d.path(), "leaves_text", &[]);
    let out = trace(&[], &exe, b"");
    // The program's own shmdt, with a byte that is not UTF-8 said as such.
    assert!(out.contains(r#"it held "caf\xff\xfe ok""#), "{out}");
    assert!(
        out.contains(&format!(
            "it held \"{}\", and more: no NUL in the first 64 bytes",
            "a".repeat(64)
        )),
        "{out}"
    );
    // 5000 polls are one line; 6000 attach and detach calls keep their first and last lines.
    assert!(
        out.contains("IPC_STAT") && out.contains("(x5000 in a row)"),
        "{out}"
    );
    assert!(out.contains("more calls, not kept ..."), "{out}");
    assert!(out.lines().count() < 2600, "{} lines", out.lines().count());
    assert!(out.contains("IPC_RMID"), "the last calls are kept: {out}");
    // --full: every call on its own line.
    let full = trace(&["--full"], &exe, b"");
    assert!(!full.contains("in a row") && !full.contains("not kept"));
    assert!(
        full.lines().count() > 11_000,
        "{} lines",
        full.lines().count()
    );
}
