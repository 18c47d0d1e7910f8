//! What the runs' copy of a program's folder left out, said once per lab: a program that opens
//! one of those files does not find it, and without this note the report would leave the
//! student (or the instructor grading a class) to guess why.

use crate::model::copied::Skipped;

use super::neutral::neutral;

/// At most this many entries are named; the rest are counted.
const NAMED: usize = 5;

/// The note, or `None` when nothing was left out.
pub fn note(left_out: &[Skipped]) -> Option<String> {
    if left_out.is_empty() {
        return None;
    }
    let mut named: Vec<String> = left_out
        .iter()
        .take(NAMED)
        .map(|s| {
            format!(
                "{} ({})",
                neutral(s.path.as_os_str().as_encoded_bytes()),
                s.why
            )
        })
        .collect();
    if left_out.len() > NAMED {
        named.push(format!("and {} more", left_out.len() - NAMED));
    }
    Some(format!(
        "the runs start in a copy of the program's folder, which left out {}: a program that opens {} does not find {}",
        named.join(", "),
        if left_out.len() == 1 { "it" } else { "them" },
        if left_out.len() == 1 { "it" } else { "them" },
    ))
}

/// The entries, for the JSON report: each path (neutral) and why.
pub fn json(left_out: &[Skipped]) -> serde_json::Value {
    left_out
        .iter()
        .map(|s| {
            serde_json::json!({
                "path": neutral(s.path.as_os_str().as_encoded_bytes()),
                "why": s.why.to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    use std::path::PathBuf;

    use super::*;
    use crate::model::copied::SkipReason;

    fn skipped(name: &[u8], why: SkipReason) -> Skipped {
        Skipped {
            path: PathBuf::from(OsStr::from_bytes(name)),
            why,
        }
    }

    #[test]
    fn nothing_left_out_says_nothing() {
        assert_eq!(note(&[]), None);
    }

    #[test]
    fn names_what_was_left_out_and_why_neutrally() {
        let said = note(&[
            skipped(b"key.txt", SkipReason::Unreadable),
            skipped(b"evil\n  PASS  forged\x1b[2J", SkipReason::SymbolicLink),
        ])
        .unwrap();
        assert!(
            said.contains("key.txt (not readable by the user programs run as)"),
            "{said}"
        );
        assert!(!said.contains('\n') && !said.contains('\x1b'), "{said}");
        assert!(said.ends_with("does not find them"), "{said}");
    }

    #[test]
    fn past_five_the_rest_are_counted() {
        let many: Vec<Skipped> = (0..8)
            .map(|i| skipped(format!("f{i}").as_bytes(), SkipReason::OverLimit))
            .collect();
        let said = note(&many).unwrap();
        assert!(said.contains("f4 (") && !said.contains("f5 ("), "{said}");
        assert!(said.contains("and 3 more"), "{said}");
    }
}
