//! The progress file of a workspace (`.shmlab-state.txt` at its root, or `$SHMLAB_STATE`):
//! loaded and saved here, its content is `model::progress`. A file that cannot be read counts
//! as no progress; one that cannot be written is reported on stderr and changes nothing else.

use std::path::{Path, PathBuf};

use crate::model::progress::Progress;
use crate::plan::Track;

/// The file's name at the workspace root.
pub const FILE: &str = ".shmlab-state.txt";

/// Where the progress of `ws` is kept.
pub fn path(ws: &Path) -> PathBuf {
    std::env::var_os("SHMLAB_STATE")
        .filter(|p| !p.is_empty())
        .map_or_else(|| ws.join(FILE), PathBuf::from)
}

/// The progress kept at `path` (none when there is no file).
pub fn load(path: &Path) -> Progress {
    std::fs::read_to_string(path)
        .map(|t| Progress::parse(&t))
        .unwrap_or_default()
}

/// Writes `progress` to `path` whole (a temporary file renamed over it).
pub fn save(path: &Path, progress: &Progress) {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let written =
        std::fs::write(&tmp, progress.render()).and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        eprintln!(
            "shmlab: could not save your progress to {}: {e}",
            path.display()
        );
    }
}

/// The track's name in the file.
pub fn track_name(track: Track) -> &'static str {
    match track {
        Track::Rust => "rust",
        Track::C => "c",
    }
}

/// The track a name in the file stands for (`None` for a name it does not know).
pub fn track_of(name: &str) -> Option<Track> {
    [Track::Rust, Track::C]
        .into_iter()
        .find(|t| track_name(*t) == name)
}

/// Seconds since the epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
