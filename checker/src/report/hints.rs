//! The hints of each lab, in levels, per track: the numbered list under "## Hints" (Rust) or
//! "## Hints in C" in the lab's guide, read from the guide itself (built into the checker),
//! so `shmlab hint` and the guide can never disagree. The first level is a nudge, the last
//! the exact code.

use crate::model::Lab;
use crate::plan::Track;

/// The guide's text, as it was when the checker was built.
fn guide(lab: Lab) -> &'static str {
    match lab {
        Lab::Create => include_str!("../../../docs/labs/create.md"),
        Lab::Access => include_str!("../../../docs/labs/access.md"),
        Lab::Attach => include_str!("../../../docs/labs/attach.md"),
        Lab::Detach => include_str!("../../../docs/labs/detach.md"),
        Lab::Remove => include_str!("../../../docs/labs/remove.md"),
        Lab::Stat => include_str!("../../../docs/labs/stat.md"),
        Lab::Set => include_str!("../../../docs/labs/set.md"),
        Lab::Memo => include_str!("../../../docs/labs/memo.md"),
        Lab::Share => include_str!("../../../docs/labs/share.md"),
    }
}

/// The guide's heading of the track's hints, and its anchor.
fn section(track: Track) -> (&'static str, &'static str) {
    match track {
        Track::Rust => ("## Hints", "hints"),
        Track::C => ("## Hints in C", "hints-in-c"),
    }
}

/// The levels of `lab`'s hints in `track`, each as the guide writes it (its number taken
/// off).
pub fn levels(lab: Lab, track: Track) -> Vec<String> {
    let text = guide(lab);
    let heading = format!("\n{}\n", section(track).0);
    let Some(start) = text.find(&heading) else {
        return Vec::new();
    };
    let body = &text[start + heading.len()..];
    let body = &body[..body.find("\n## ").unwrap_or(body.len())];
    let mut levels: Vec<String> = Vec::new();
    for line in body.lines() {
        let numbered = line
            .split_once(". ")
            .filter(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
        match numbered {
            Some((_, rest)) => levels.push(rest.to_string()),
            None => {
                if let Some(last) = levels.last_mut() {
                    last.push('\n');
                    last.push_str(line.strip_prefix("   ").unwrap_or(line));
                }
            }
        }
    }
    levels.iter().map(|l| l.trim_end().to_string()).collect()
}

/// The command that asks for `lab`'s hints in `track` (C says so: the track may differ
/// from the last check's).
fn command(lab: Lab, track: Track) -> String {
    match track {
        Track::Rust => format!("cargo shmlab hint {lab}"),
        Track::C => format!("cargo shmlab hint --lang c {lab}"),
    }
}

/// One level, as `shmlab hint` prints it; `again` when the student asked after the last
/// level and sees it once more.
pub fn render(lab: Lab, track: Track, level: usize, text: &str, of: usize, again: bool) -> String {
    let (_, anchor) = section(track);
    let lang = match track {
        Track::Rust => "",
        Track::C => " (C)",
    };
    let before = if again {
        format!("No more hints for {lab}{lang}: that was the last one, here it is again.\n")
    } else {
        String::new()
    };
    let after = if level < of {
        format!(
            "(`{}` again for the next level, `--all` for every one)",
            command(lab, track)
        )
    } else {
        let solution = match track {
            Track::Rust => format!("cargo shmlab solution {lab}"),
            Track::C => format!("cargo shmlab solution --lang c {lab}"),
        };
        format!("That was the last hint; `{solution}` shows the reference solution once your {lab} passes.")
    };
    format!(
        "{before}Hint {level} of {of} for {lab}{lang} (docs/labs/{lab}.md#{anchor}):\n{text}\n{after}\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_lab_has_hints_in_levels_ending_with_the_code_in_each_track() {
        for track in [Track::Rust, Track::C] {
            for lab in Lab::ALL {
                let l = levels(lab, track);
                assert!(l.len() >= 3, "{lab} {track:?}: {l:?}");
                assert!(
                    l.last().unwrap().starts_with("Almost there"),
                    "{lab} {track:?}: {l:?}"
                );
                assert!(l.iter().all(|h| !h.trim().is_empty()), "{lab}");
            }
        }
        // A level that goes on over several lines keeps them (a code block, say).
        assert!(levels(Lab::Create, Track::Rust)[4].contains("shm::shmget(args.key"));
    }

    /// A file name or a call of the other language, in a hint.
    fn other_language(track: Track, hint: &str) -> Option<&'static str> {
        let rust = [
            "labs/src/bin",
            ".rs`",
            "shm::",
            "todo!()",
            "Result<",
            "Option",
        ];
        let c = [
            "labs/c/",
            ".c`",
            "NULL",
            "(void *)",
            "struct shmid_ds",
            "errno ==",
        ];
        let other = match track {
            Track::Rust => &c[..],
            Track::C => &rust[..],
        };
        other.iter().copied().find(|w| hint.contains(w))
    }

    #[test]
    fn no_c_hint_names_a_rust_file_or_call_and_no_rust_hint_a_c_one() {
        for track in [Track::Rust, Track::C] {
            for lab in Lab::ALL {
                for (i, h) in levels(lab, track).iter().enumerate() {
                    assert_eq!(
                        other_language(track, h),
                        None,
                        "{lab} {track:?} hint {}: {h}",
                        i + 1
                    );
                }
            }
        }
    }

    #[test]
    fn the_c_hints_open_the_c_file() {
        for lab in Lab::ALL {
            let first = &levels(lab, Track::C)[0];
            assert!(first.contains(&format!("labs/c/{lab}.c")), "{lab}: {first}");
        }
    }

    #[test]
    fn the_last_level_says_there_is_no_more_and_where_the_solution_is() {
        let last = render(Lab::Detach, Track::C, 4, "Almost there", 4, true);
        assert!(last.starts_with("No more hints for detach (C)"), "{last}");
        assert!(last.contains("docs/labs/detach.md#hints-in-c"), "{last}");
        assert!(
            last.contains("`cargo shmlab solution --lang c detach` shows the reference solution once your detach passes"),
            "{last}"
        );
        let first = render(Lab::Detach, Track::Rust, 1, "Open", 4, false);
        assert!(
            first.contains("`cargo shmlab hint detach` again"),
            "{first}"
        );
    }
}
