//! Reading cargo's `--message-format=json` output: which binaries were built, and, for each
//! target that did not compile, its first error (the message and where it is). With
//! `--keep-going` every lab that compiles is built even when another does not, so one
//! unfinished lab blocks nothing.

use std::collections::BTreeMap;
use std::path::PathBuf;

/// The first error of a target that did not compile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstError {
    /// The file the error is in, as the compiler names it (relative to the workspace).
    pub file: String,
    /// `error[E0425]: cannot find value `x` in this scope (line 12)`.
    pub text: String,
    /// The error as the compiler rendered it (with its source lines), when cargo gave it.
    pub rendered: Option<String>,
}

/// What a build gave: the executables by target name, and the first error of each target
/// that did not compile, by target name (the library's under its own name).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    pub executables: BTreeMap<String, PathBuf>,
    pub errors: BTreeMap<String, FirstError>,
    /// The library target's name, when the package has one (a lab fails with its error when
    /// the library does not compile).
    pub library: Option<String>,
    /// Every error as the compiler rendered it, in order.
    pub rendered_errors: String,
}

impl Outcome {
    /// The first error that keeps the binary `name` from being built: its own, else the
    /// library's (which every binary needs), else any other of the package's.
    pub fn error_for(&self, name: &str) -> Option<&FirstError> {
        self.errors
            .get(name)
            .or_else(|| self.library.as_ref().and_then(|l| self.errors.get(l)))
            .or_else(|| self.errors.values().next())
    }
}

/// One message line's worth of what cargo printed, for the caller to show: a diagnostic's
/// rendered text (warnings and errors, as the compiler renders them).
pub fn rendered(line: &[u8]) -> Option<String> {
    let msg = serde_json::from_slice::<serde_json::Value>(line).ok()?;
    if msg["reason"] != "compiler-message" {
        return None;
    }
    msg["message"]["rendered"].as_str().map(str::to_string)
}

/// Reads every line of cargo's JSON messages into an [`Outcome`].
pub fn outcome(messages: &[u8]) -> Outcome {
    let mut out = Outcome::default();
    for line in messages.split(|b| *b == b'\n') {
        let Ok(msg) = serde_json::from_slice::<serde_json::Value>(line) else {
            continue;
        };
        let target = &msg["target"];
        let Some(name) = target["name"].as_str() else {
            continue;
        };
        let kinds = target["kind"].as_array().cloned().unwrap_or_default();
        if kinds.iter().any(|k| k == "lib" || k == "rlib") {
            out.library = Some(name.to_string());
        }
        match msg["reason"].as_str() {
            Some("compiler-artifact") => {
                if let Some(exe) = msg["executable"].as_str() {
                    out.executables.insert(name.to_string(), PathBuf::from(exe));
                }
            }
            Some("compiler-message") => {
                if msg["message"]["level"] == "error" {
                    if let Some(text) = msg["message"]["rendered"].as_str() {
                        out.rendered_errors.push_str(text);
                    }
                }
                if !out.errors.contains_key(name) {
                    if let Some(first) = first_error(&msg["message"]) {
                        out.errors.insert(name.to_string(), first);
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// A diagnostic that is an error with a place in a file ("aborting due to ..." has none).
fn first_error(message: &serde_json::Value) -> Option<FirstError> {
    if message["level"] != "error" {
        return None;
    }
    let spans = message["spans"].as_array()?;
    let span = spans
        .iter()
        .find(|s| s["is_primary"] == true)
        .or_else(|| spans.first())?;
    let file = span["file_name"].as_str()?.to_string();
    let code = message["code"]["code"]
        .as_str()
        .map(|c| format!("[{c}]"))
        .unwrap_or_default();
    let line = span["line_start"].as_u64().unwrap_or(0);
    let what = message["message"].as_str().unwrap_or("").trim();
    Some(FirstError {
        file,
        text: format!("error{code}: {what} (line {line})"),
        rendered: message["rendered"].as_str().map(str::to_string),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAT_BROKEN: &str = r#"{"reason":"compiler-artifact","target":{"kind":["lib"],"name":"shmlab_labs"},"executable":null}
{"reason":"compiler-message","target":{"kind":["bin"],"name":"stat"},"message":{"rendered":"error: expected `;`\n","level":"error","message":"expected `;`, found `}`","code":null,"spans":[{"file_name":"labs/src/bin/stat.rs","line_start":21,"is_primary":true}]}}
{"reason":"compiler-message","target":{"kind":["bin"],"name":"stat"},"message":{"rendered":"error: aborting\n","level":"error","message":"aborting due to 1 previous error","code":null,"spans":[]}}
{"reason":"compiler-artifact","target":{"kind":["bin"],"name":"create"},"executable":"/t/debug/create"}
{"reason":"build-finished","success":false}"#;

    #[test]
    fn a_broken_lab_gives_its_file_and_first_error_and_the_others_their_programs() {
        let o = outcome(STAT_BROKEN.as_bytes());
        assert_eq!(o.executables["create"], PathBuf::from("/t/debug/create"));
        assert!(!o.executables.contains_key("stat"));
        let e = o.error_for("stat").unwrap();
        assert_eq!(e.file, "labs/src/bin/stat.rs");
        assert_eq!(e.text, "error: expected `;`, found `}` (line 21)");
        assert_eq!(o.library.as_deref(), Some("shmlab_labs"));
        assert_eq!(o.rendered_errors, "error: expected `;`\nerror: aborting\n");
    }

    #[test]
    fn a_broken_library_is_every_labs_first_error() {
        let lines = r#"{"reason":"compiler-message","target":{"kind":["lib"],"name":"shmlab_labs"},"message":{"level":"error","message":"cannot find value `x` in this scope","code":{"code":"E0425"},"spans":[{"file_name":"labs/src/lib.rs","line_start":3,"is_primary":true}]}}
{"reason":"compiler-message","target":{"kind":["lib"],"name":"shmlab_labs"},"message":{"level":"warning","message":"unused","spans":[{"file_name":"labs/src/lib.rs","line_start":1,"is_primary":true}]}}"#;
        let o = outcome(lines.as_bytes());
        let e = o.error_for("create").unwrap();
        assert_eq!(e.file, "labs/src/lib.rs");
        assert_eq!(
            e.text,
            "error[E0425]: cannot find value `x` in this scope (line 3)"
        );
        assert_eq!(rendered(b"not json"), None);
    }
}
