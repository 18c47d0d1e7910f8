//! Reading a prompt: the choices it names (a menu, `[y/n]`, `Change or Delete?`), and
//! whether it asks a yes-or-no question or for a text.

use std::sync::LazyLock;

use regex_lite::Regex;

use super::vocabulary::Vocabulary;

// The shapes of choices in a prompt, compiled once.
static BRACKET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[\[\(\{<]\s*([^\[\]\(\)\{\}<>]{1,60}?)\s*[\]\)\}>]").expect("valid regex")
});
static LABELLED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\w{1,8})\s*(?:=|:|-|for|to)\s*(.+)$").expect("valid regex"));
static LETTERED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[\(\[](\w)[\)\]](\w*)").expect("valid regex"));
static PAIR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[\s:,?])([A-Za-z]{1,5})\s*/\s*([A-Za-z]{1,5})\b").expect("valid regex")
});
static ITEM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*[\[\(]?\s*([0-9]{1,2}|[A-Za-z])\s*(?:[\]\)\.:\-]|=>|->)\s*(\S.*)$")
        .expect("valid regex")
});
static NUMBERED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b([0-9]{1,2})\s*(?:to|for|=|:|-)\s*([A-Za-z]+)").expect("valid regex")
});
static MARKER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|\s)[\[\(]?([0-9]{1,2})[\]\)\.:]\s*").expect("valid regex"));

/// A choice the prompt offers: what to type, and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offered {
    /// What to type (`y`, `2`, `Delete`).
    pub word: String,
    /// Its label (`write a new text` for `2) write a new text`; the word itself otherwise).
    pub label: String,
}

/// What a prompt asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Question {
    /// A choice among these (a menu, `[y/n]`, `Change or Delete?`).
    Choice(Vec<Offered>),
    /// No choices named.
    Open,
}

/// The choices a prompt names: a numbered or lettered menu in its last lines, or the
/// alternatives in brackets (`[y/n]`, `(yes/no)`) or joined by `or` on its last line.
pub fn question(prompt: &str, vocab: &Vocabulary) -> Question {
    let lines: Vec<&str> = prompt.lines().filter(|l| !l.trim().is_empty()).collect();
    let last = lines.last().copied().unwrap_or_default();
    // Alternatives in brackets on the last line.
    let bracket = &*BRACKET;
    for cap in bracket.captures_iter(last) {
        let parts: Vec<&str> = cap[1]
            .split(['/', '|', ','])
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        // Choices, not data in brackets (`[id 3, size 256]`): short, and one of them a word
        // the vocabulary knows.
        let known = parts.iter().any(|p| {
            p.split(|c: char| !c.is_alphanumeric())
                .any(|w| vocab.knows(w))
        });
        if parts.len() >= 2 && known && parts.iter().all(|p| p.len() <= 20) {
            // `1 = yes`, `2 - no`, `c: change`: the word to type, then what it means.
            let labelled = &*LABELLED;
            return Question::Choice(
                parts
                    .iter()
                    .map(|p| match labelled.captures(p) {
                        Some(c) => Offered {
                            word: c[1].to_string(),
                            label: c[2].trim().to_string(),
                        },
                        None => Offered {
                            word: p.to_string(),
                            label: p.to_string(),
                        },
                    })
                    .collect(),
            );
        }
    }
    // `(c)hange, (d)elete or (q)uit`, `[r]ead/[w]rite`: the letter to type, and its word.
    let lettered = &*LETTERED;
    let letters: Vec<Offered> = lettered
        .captures_iter(last)
        .map(|c| Offered {
            word: c[1].to_string(),
            label: format!("{}{}", &c[1], &c[2]),
        })
        .collect();
    if letters.len() >= 2 {
        return Question::Choice(letters);
    }
    // `y/n`, `Y/N`, `yes/no` without brackets.
    let pair = &*PAIR;
    for c in pair.captures_iter(last) {
        let (a, b) = (&c[1], &c[2]);
        let yes_no = (vocab.means("yes", a) && vocab.means("no", b))
            || (vocab.means("no", a) && vocab.means("yes", b));
        if yes_no {
            return Question::Choice(
                [a, b]
                    .iter()
                    .map(|w| Offered {
                        word: w.to_string(),
                        label: w.to_string(),
                    })
                    .collect(),
            );
        }
    }
    // A menu: lines such as `1) read`, `2. write`, `3 - exit`, `[d] delete`, `r: read`.
    let item = &*ITEM;
    let tail = &lines[lines.len().saturating_sub(12)..];
    let menu: Vec<Offered> = tail
        .iter()
        .filter_map(|l| item.captures(l))
        .map(|c| Offered {
            word: c[1].to_string(),
            label: c[2].trim().to_string(),
        })
        .collect();
    if menu.len() >= 2 {
        return Question::Choice(menu);
    }
    // `1 to change, 2 to delete, 0 to exit`, `enter 1 for read, 2 for write`.
    let numbered = &*NUMBERED;
    for line in tail.iter().rev().take(3) {
        let items: Vec<Offered> = numbered
            .captures_iter(line)
            .map(|c| Offered {
                word: c[1].to_string(),
                label: c[2].to_string(),
            })
            .collect();
        if items.len() >= 2 {
            return Question::Choice(items);
        }
    }
    // `read, write, exit`, `change/delete/quit`: words of the vocabulary listed on the last
    // line.
    for line in tail.iter().rev().take(2) {
        if !line.contains([',', '/', '|']) {
            continue;
        }
        let listed: Vec<Offered> = line
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| {
                w.len() > 2 && vocab.knows(w) && !vocab.means("yes", w) && !vocab.means("no", w)
            })
            .map(|w| Offered {
                word: w.to_string(),
                label: w.to_string(),
            })
            .collect();
        if listed.len() >= 2 {
            return Question::Choice(listed);
        }
    }
    // A menu on one line: `[1] show  [2] change  [3] delete`, `1) read 2) write 3) exit`.
    let marker = &*MARKER;
    for line in tail.iter().rev() {
        let marks: Vec<regex_lite::Captures<'_>> = marker.captures_iter(line).collect();
        if marks.len() < 2 {
            continue;
        }
        let items: Vec<Offered> = marks
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let end = marks
                    .get(i + 1)
                    .map_or(line.len(), |n| n.get(0).map_or(line.len(), |m| m.start()));
                let start = c.get(0).map_or(0, |m| m.end());
                Offered {
                    word: c[1].to_string(),
                    label: line[start.min(end)..end].trim().to_string(),
                }
            })
            .collect();
        if items.iter().all(|o| !o.label.is_empty()) {
            return Question::Choice(items);
        }
    }
    // `Change or Delete?`, `(c)hange, (d)elete or (q)uit`: words of the vocabulary joined
    // by `or`.
    let lower = last.to_lowercase();
    if lower.contains(" or ") {
        let known =
            |w: &str| vocab.0.iter().any(|(_, ws)| ws.iter().any(|x| x == w)) && w.len() > 1;
        let parts: Vec<String> = last
            .split([',', '?', ':', '/'])
            .flat_map(|p| p.split(" or "))
            .flat_map(|p| p.split(" OR "))
            .filter_map(|p| p.split_whitespace().last().map(str::to_string))
            .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()).to_string())
            .filter(|w| known(&w.to_lowercase()))
            .collect();
        if parts.len() >= 2 {
            return Question::Choice(
                parts
                    .into_iter()
                    .map(|w| Offered {
                        label: w.clone(),
                        word: w,
                    })
                    .collect(),
            );
        }
    }
    Question::Open
}

/// Whether the choices offered are a yes and a no.
pub(super) fn is_yes_no(offered: &[Offered], vocab: &Vocabulary) -> bool {
    offered.len() <= 3
        && offered
            .iter()
            .any(|o| vocab.means("yes", &o.word) || vocab.means("yes", &o.label))
        && offered
            .iter()
            .any(|o| vocab.means("no", &o.word) || vocab.means("no", &o.label))
}

pub(super) fn last_line(prompt: &str) -> String {
    prompt
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default()
        .to_lowercase()
}

/// Whether the prompt's last line reads as a yes-or-no question.
pub(super) fn looks_yes_no(prompt: &str) -> bool {
    let last = last_line(prompt);
    [
        "do you",
        "would you",
        "want to",
        "wanna",
        "shall",
        "should i",
        "y/n",
        "yes/no",
        "(y",
        "[y",
        "are you sure",
        "press y",
        "enter y",
        "type y",
        "y or n",
        "yes or no",
        "y for yes",
        "1 for yes",
    ]
    .iter()
    .any(|w| has_phrase(&last, w, true))
}

/// Whether `text` holds `phrase` as words: not inside a longer word where the phrase starts
/// with a letter or digit (`type` in `prototype`), nor, with `whole`, running on into one
/// where it ends with a letter or digit (`type y` in `type your message`, `y or n` in
/// `any or none`).
fn has_phrase(text: &str, phrase: &str, whole: bool) -> bool {
    let word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    let starts_word = word(phrase.chars().next());
    let ends_word = word(phrase.chars().next_back());
    text.match_indices(phrase).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + phrase.len()..].chars().next();
        let inside = starts_word && word(before);
        let runs_on = whole && ends_word && word(after);
        !(inside || runs_on)
    })
}

/// Whether the prompt's last line asks for a text.
pub fn asks_for_text(prompt: &str) -> bool {
    names_text(&last_line(prompt)) && !looks_yes_no(prompt)
}

/// A request for a text and a yes-or-no question printed on one line with no read between
/// them (`Enter new string: Delete it? (y/n)`): the request and the question, when the line
/// is that. A program prints such a line when its read of the text returned at once.
pub fn text_request_then_question(line: &str) -> Option<(&str, &str)> {
    let line = line.trim();
    let cut = line.find(": ")?;
    let (request, question) = (&line[..=cut], line[cut + 1..].trim());
    (names_text(&request.to_lowercase()) && !question.is_empty() && looks_yes_no(question))
        .then_some((request, question))
}

/// Whether `line` (lower case) speaks of typing a text.
fn names_text(last: &str) -> bool {
    [
        "enter",
        "type",
        "input",
        "string",
        "text",
        "message",
        "new value",
        "new content",
        "write the",
        "what should",
    ]
    .iter()
    .any(|w| has_phrase(last, w, false))
}

/// Whether the program says the last answer was not one it takes.
pub(super) fn complains(prompt: &str) -> bool {
    let lower = prompt.to_lowercase();
    [
        "invalid",
        "unknown",
        "not valid",
        "try again",
        "please answer",
        "please enter y",
        "unrecognized",
        "wrong choice",
        "bad choice",
    ]
    .iter()
    .any(|w| lower.contains(w))
}
