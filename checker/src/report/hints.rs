//! The hints of each lab, in levels: the numbered list under "## Hints" in the lab's guide,
//! read from the guide itself (built into the checker), so `shmlab hint` and the guide can
//! never disagree. The first level is a nudge, the last the exact code.

use crate::model::Lab;

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

/// The levels of `lab`'s hints, each as the guide writes it (its number taken off).
pub fn levels(lab: Lab) -> Vec<String> {
    let text = guide(lab);
    let Some(start) = text.find("\n## Hints\n") else {
        return Vec::new();
    };
    let body = &text[start + "\n## Hints\n".len()..];
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

/// One level, as `shmlab hint` prints it.
pub fn render(lab: Lab, level: usize, text: &str, of: usize) -> String {
    let more = if level < of {
        format!("\n(`shmlab hint {lab}` again for the next level, `--all` for every one)")
    } else {
        String::new()
    };
    format!("Hint {level} of {of} for {lab} (docs/labs/{lab}.md#hints):\n{text}{more}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_lab_has_hints_in_levels_ending_with_the_code() {
        for lab in Lab::ALL {
            let l = levels(lab);
            assert!(l.len() >= 3, "{lab}: {l:?}");
            assert!(
                l.last().unwrap().starts_with("Almost there"),
                "{lab}: {l:?}"
            );
            assert!(l.iter().all(|h| !h.trim().is_empty()), "{lab}");
        }
        // A level that goes on over several lines keeps them (a code block, say).
        assert!(levels(Lab::Create)[4].contains("shm::shmget(args.key"));
    }
}
