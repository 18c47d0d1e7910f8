//! What watch listens to: the files (notify's events, without build output and editors'
//! temporary files), the keys (one at a time at a terminal), and the terminal's settings
//! that make keys arrive one at a time, put back on every way out.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};

use nix::sys::termios::{self, LocalFlags, SetArg, SpecialCharacterIndices, Termios};

/// What the loop is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Input {
    /// A file that matters changed.
    Changed,
    /// `r` or Enter.
    Rerun,
    /// `q`, Ctrl-C, Ctrl-D, the end of input, SIGINT or SIGTERM.
    Quit,
}

/// Starts the file watcher: every change under `root` that matters sends [`Input::Changed`],
/// and leaves the file's path in `changed`.
pub(super) fn watch_files(
    root: &Path,
    tx: Sender<Input>,
    changed: Arc<Mutex<Option<PathBuf>>>,
) -> notify::Result<notify::RecommendedWatcher> {
    use notify::Watcher;
    let base = root.to_path_buf();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event {
            let file = event.paths.iter().find(|p| !is_ignored(&base, p));
            if let Some(file) = file.filter(|_| is_change(&event.kind)) {
                if let Ok(mut c) = changed.lock() {
                    *c = Some(file.clone());
                }
                let _ = tx.send(Input::Changed);
            }
        }
    })?;
    watcher.watch(root, notify::RecursiveMode::Recursive)?;
    Ok(watcher)
}

/// Whether the event changes a file: opening and reading one (as every check does) does not.
pub(super) fn is_change(kind: &notify::EventKind) -> bool {
    use notify::event::{AccessKind, AccessMode, EventKind};
    match kind {
        EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_) => true,
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) | EventKind::Any | EventKind::Other => false,
    }
}

/// Whether a change to `path` is to be ignored: build output (`target/`), version control,
/// and editors' temporary and backup files.
pub(super) fn is_ignored(root: &Path, path: &Path) -> bool {
    let rel = path.strip_prefix(root).unwrap_or(path);
    if rel
        .components()
        .any(|c| matches!(c.as_os_str().to_str(), Some("target" | ".git")))
    {
        return true;
    }
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    name.starts_with(".#")
        || name.starts_with(".goutputstream-")
        || (name.starts_with('#') && name.ends_with('#'))
        || name.ends_with('~')
        || [".swp", ".swx", ".swo", ".tmp"]
            .iter()
            .any(|ext| name.ends_with(ext))
        || name == "4913"
}

/// Reads the keys from stdin, in a thread of its own, until the end of input.
pub(super) fn read_keys(tx: Sender<Input>) {
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut buf = [0u8; 64];
        loop {
            match stdin.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    for input in buf[..n].iter().filter_map(|b| key(*b)) {
                        if tx.send(input).is_err() {
                            return;
                        }
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        let _ = tx.send(Input::Quit);
    });
}

/// What a key means: `r` or Enter re-runs; `q`, Ctrl-C and Ctrl-D quit.
pub(super) fn key(byte: u8) -> Option<Input> {
    match byte {
        b'r' | b'R' | b'\n' | b'\r' => Some(Input::Rerun),
        b'q' | b'Q' | 0x03 | 0x04 => Some(Input::Quit),
        _ => None,
    }
}

/// The terminal's settings before watch changed them, put back when this is dropped (on
/// return, on an error, and on a panic, which unwinds).
pub(super) struct Terminal {
    saved: Option<Termios>,
}

impl Terminal {
    /// At a terminal: one key at a time, not echoed, and Ctrl-C a key rather than a signal.
    pub(super) fn raw() -> Terminal {
        let stdin = std::io::stdin();
        if !stdin.is_terminal() {
            return Terminal { saved: None };
        }
        let Ok(saved) = termios::tcgetattr(&stdin) else {
            return Terminal { saved: None };
        };
        let mut raw = saved.clone();
        raw.local_flags
            .remove(LocalFlags::ICANON | LocalFlags::ECHO | LocalFlags::ISIG);
        raw.control_chars[SpecialCharacterIndices::VMIN as usize] = 1;
        raw.control_chars[SpecialCharacterIndices::VTIME as usize] = 0;
        match termios::tcsetattr(&stdin, SetArg::TCSANOW, &raw) {
            Ok(()) => Terminal { saved: Some(saved) },
            Err(_) => Terminal { saved: None },
        }
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        if let Some(saved) = &self.saved {
            let _ = termios::tcsetattr(std::io::stdin(), SetArg::TCSANOW, saved);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_output_and_editor_temporary_files_are_ignored() {
        let root = Path::new("/w/labs");
        for p in [
            "/w/labs/target/debug/create",
            "/w/labs/src/bin/.create.rs.swp",
            "/w/labs/src/bin/create.rs~",
            "/w/labs/src/bin/.#create.rs",
            "/w/labs/src/bin/#create.rs#",
            "/w/labs/src/bin/4913",
        ] {
            assert!(is_ignored(root, Path::new(p)), "{p}");
        }
        assert!(!is_ignored(root, Path::new("/w/labs/src/bin/create.rs")));
        assert!(!is_ignored(root, Path::new("/w/labs/c/create.c")));
    }

    #[test]
    fn keys_r_and_enter_rerun_and_q_ctrl_c_ctrl_d_quit() {
        assert_eq!(key(b'r'), Some(Input::Rerun));
        assert_eq!(key(b'\n'), Some(Input::Rerun));
        assert_eq!(key(b'q'), Some(Input::Quit));
        assert_eq!(key(0x03), Some(Input::Quit));
        assert_eq!(key(0x04), Some(Input::Quit));
        assert_eq!(key(b'x'), None);
    }
}
