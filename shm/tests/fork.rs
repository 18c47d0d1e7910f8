//! Tests of `shm::fork`, `Child::wait` and `exit_now` against the real kernel.
//!
//! `fork` refuses to run in a process with more than one thread, and libtest runs each test
//! in a thread of its own, so this file has its own `main` (`harness = false` in
//! Cargo.toml): the tests run one after another on the main thread, the only one.

use std::panic::{catch_unwind, AssertUnwindSafe};

use shm::{exit_now, fork, ipc_stat, shmat, shmctl, shmdt, shmget};
use shm::{AtFlags, ChildExit, Forked, IpcFlags, Key, Mode, ShmId, ShmctlCmd};

/// Removes the segment when dropped, so a failing assertion leaks nothing. A child never
/// drops it: it ends with `exit_now`, which runs no destructor.
struct Guard(ShmId);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = shmctl(self.0, ShmctlCmd::IpcRmid);
    }
}

fn private(size: usize) -> Guard {
    Guard(shmget(Key::PRIVATE, size, IpcFlags::IPC_CREAT | Mode::new(0o600)).unwrap())
}

/// Runs `body` as the child's whole life: its result is the exit status, a panic is 101.
/// The child never returns into the test's code (nor into the runner below).
fn child_runs(body: impl FnOnce() -> i32) -> ! {
    let status = catch_unwind(AssertUnwindSafe(body)).unwrap_or(101);
    exit_now(status)
}

fn wait_sees_the_status_the_child_exited_with() {
    match fork().unwrap() {
        Forked::Child => child_runs(|| 3),
        Forked::Parent(child) => {
            assert!(child.pid() > 0);
            assert_eq!(child.wait().unwrap(), ChildExit::Exited(3));
        }
    }
}

fn wait_sees_the_signal_that_killed_the_child() {
    match fork().unwrap() {
        Forked::Child => child_runs(|| {
            let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGKILL);
            0
        }),
        Forked::Parent(child) => {
            assert_eq!(child.wait().unwrap(), ChildExit::Signaled(libc::SIGKILL));
        }
    }
}

fn a_child_writing_through_an_inherited_attachment_is_seen_by_the_parent() {
    let g = private(1024);
    let seg = shmat(g.0, None, AtFlags::empty()).unwrap();
    let parent = std::process::id() as i32;
    match fork().unwrap() {
        Forked::Child => child_runs(|| {
            // The attachment came with the fork: both processes count in nattch.
            let before = ipc_stat(g.0).map(|st| st.nattch()).unwrap_or(0);
            seg.write_cstr("from the child").unwrap();
            shmdt(seg).unwrap();
            if before == 2 {
                0
            } else {
                10 + before as i32
            }
        }),
        Forked::Parent(child) => {
            let pid = child.pid();
            assert_eq!(child.wait().unwrap(), ChildExit::Exited(0), "nattch was 2");
            assert_eq!(seg.read_cstr(), b"from the child");
            let st = ipc_stat(g.0).unwrap();
            assert_eq!(st.nattch(), 1, "the child's shmdt leaves the parent's");
            assert_eq!(st.cpid(), parent);
            assert_eq!(st.lpid(), pid, "the child's shmdt was the last detach");
            shmdt(seg).unwrap();
        }
    }
}

fn a_plain_variable_the_child_changes_stays_as_it_was_in_the_parent() {
    let mut text = String::from("before");
    match fork().unwrap() {
        Forked::Child => child_runs(|| {
            text.clear();
            text.push_str("from the child");
            0
        }),
        Forked::Parent(child) => {
            assert_eq!(child.wait().unwrap(), ChildExit::Exited(0));
            assert_eq!(text, "before", "the child changed its own copy");
        }
    }
}

fn a_child_that_exits_attached_is_detached_by_the_kernel() {
    let g = private(64);
    let seg = shmat(g.0, None, AtFlags::empty()).unwrap();
    match fork().unwrap() {
        Forked::Child => child_runs(|| 0),
        Forked::Parent(child) => {
            let pid = child.pid();
            assert_eq!(child.wait().unwrap(), ChildExit::Exited(0));
            let st = ipc_stat(g.0).unwrap();
            assert_eq!(st.nattch(), 1);
            assert_eq!(st.lpid(), pid, "exit detaches, and sets lpid");
            shmdt(seg).unwrap();
        }
    }
}

const TESTS: &[(&str, fn())] = &[
    (
        "wait_sees_the_status_the_child_exited_with",
        wait_sees_the_status_the_child_exited_with,
    ),
    (
        "wait_sees_the_signal_that_killed_the_child",
        wait_sees_the_signal_that_killed_the_child,
    ),
    (
        "a_child_writing_through_an_inherited_attachment_is_seen_by_the_parent",
        a_child_writing_through_an_inherited_attachment_is_seen_by_the_parent,
    ),
    (
        "a_plain_variable_the_child_changes_stays_as_it_was_in_the_parent",
        a_plain_variable_the_child_changes_stays_as_it_was_in_the_parent,
    ),
    (
        "a_child_that_exits_attached_is_detached_by_the_kernel",
        a_child_that_exits_attached_is_detached_by_the_kernel,
    ),
];

/// Runs the tests whose name contains every non-option argument (all of them without one),
/// like libtest's filter; `--list` lists them.
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let chosen = TESTS
        .iter()
        .filter(|(name, _)| filters.iter().all(|f| name.contains(f.as_str())));
    if args.iter().any(|a| a == "--list") {
        for (name, _) in chosen {
            println!("{name}: test");
        }
        return;
    }
    let mut failed = Vec::new();
    let mut ran = 0;
    for (name, test) in chosen {
        ran += 1;
        match catch_unwind(test) {
            Ok(()) => println!("test {name} ... ok"),
            Err(_) => {
                println!("test {name} ... FAILED");
                failed.push(*name);
            }
        }
    }
    println!(
        "\ntest result: {}. {} passed; {} failed",
        if failed.is_empty() { "ok" } else { "FAILED" },
        ran - failed.len(),
        failed.len()
    );
    if !failed.is_empty() {
        std::process::exit(101);
    }
}
