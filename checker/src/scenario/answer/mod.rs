//! Answering a program's questions in the words its prompt offers.
//!
//! An assignment gives each run's answers as meanings (`change: yes`, `text: hello`,
//! `delete: no`); a [`Responder`] reads each prompt as the program printed it, finds the
//! choices it names (`[y/n]`, `(yes/no)`, `Change or Delete?`, a numbered menu), and types
//! the word that means the answer. A question asked again at once (the word was not one the
//! program takes) gets the next word for the same meaning. Everything here is pure: the
//! run module calls it with the text the program printed.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::model::dialogue::Exchange;

/// One answer, as a meaning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    /// Yes or no to a question about `topic` (`change`, `delete`), or to whatever is asked
    /// next when the topic is `None`.
    Decide { topic: Option<String>, yes: bool },
    /// This text, typed as it is.
    Text(String),
    /// The menu entry (or the word among those offered) that means this.
    Choose(String),
}

impl Answer {
    /// Reads `yes`, `no`, `TOPIC: yes`, `TOPIC: no`, `text: ANY TEXT`, `choose: WORD`.
    pub fn parse(s: &str) -> Result<Answer, String> {
        let (head, rest) = match s.split_once(':') {
            Some((h, r)) => (h.trim(), Some(r.strip_prefix(' ').unwrap_or(r))),
            None => (s.trim(), None),
        };
        let yes_no = |w: &str| match w.trim().to_ascii_lowercase().as_str() {
            "yes" | "y" | "true" => Some(true),
            "no" | "n" | "false" => Some(false),
            _ => None,
        };
        match (head.to_ascii_lowercase().as_str(), rest) {
            ("text", Some(t)) => Ok(Answer::Text(t.to_string())),
            ("choose", Some(w)) if !w.trim().is_empty() => Ok(Answer::Choose(w.trim().to_lowercase())),
            (_, None) => yes_no(head)
                .map(|yes| Answer::Decide { topic: None, yes })
                .ok_or_else(|| format!("`{s}` is not an answer: write yes, no, TOPIC: yes, TOPIC: no, text: SOME TEXT or choose: WORD")),
            (topic, Some(v)) if !topic.is_empty() && topic.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') => yes_no(v)
                .map(|yes| Answer::Decide { topic: Some(topic.to_string()), yes })
                .ok_or_else(|| format!("`{s}`: after `{topic}:` comes yes or no")),
            _ => Err(format!("`{s}` is not an answer: write yes, no, TOPIC: yes, TOPIC: no, text: SOME TEXT or choose: WORD")),
        }
    }

    /// The meaning, as the assignment file writes it.
    pub fn meaning(&self) -> String {
        match self {
            Answer::Decide { topic: None, yes } => yes_no(*yes).into(),
            Answer::Decide {
                topic: Some(t),
                yes,
            } => format!("{t}: {}", yes_no(*yes)),
            Answer::Text(t) => format!("text: {t}"),
            Answer::Choose(w) => format!("choose: {w}"),
        }
    }
}

fn yes_no(yes: bool) -> &'static str {
    if yes {
        "yes"
    } else {
        "no"
    }
}

/// The words that mean each thing, lowercase: `yes`, `no`, `quit`, and each topic's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vocabulary(pub BTreeMap<String, Vec<String>>);

impl Default for Vocabulary {
    fn default() -> Self {
        let table: [(&str, &[&str]); 6] = [
            (
                "yes",
                &["y", "yes", "o", "oui", "s", "si", "ja", "ok", "true"],
            ),
            ("no", &["n", "no", "non", "nein", "false"]),
            (
                "change",
                &[
                    "change",
                    "c",
                    "modify",
                    "m",
                    "update",
                    "u",
                    "edit",
                    "write",
                    "w",
                    "new",
                    "replace",
                    "set",
                    "store",
                    "overwrite",
                    "enter",
                ],
            ),
            (
                "delete",
                &[
                    "delete", "d", "remove", "rm", "destroy", "erase", "del", "free", "clear",
                ],
            ),
            (
                "quit",
                &[
                    "quit", "exit", "q", "x", "leave", "done", "nothing", "none", "keep", "skip",
                    "end", "bye", "e",
                ],
            ),
            (
                "show",
                &[
                    "show", "read", "display", "view", "print", "content", "contents", "r", "s",
                    "p",
                ],
            ),
        ];
        Vocabulary(
            table
                .iter()
                .map(|(k, words)| (k.to_string(), words.iter().map(|w| w.to_string()).collect()))
                .collect(),
        )
    }
}

impl Vocabulary {
    /// This vocabulary with `extra` words added to its meanings.
    pub fn extended(mut self, extra: &BTreeMap<String, Vec<String>>) -> Vocabulary {
        for (k, words) in extra {
            let entry = self.0.entry(k.to_lowercase()).or_default();
            for w in words {
                let w = w.to_lowercase();
                if !entry.contains(&w) {
                    entry.insert(0, w);
                }
            }
        }
        self
    }

    fn means(&self, meaning: &str, word: &str) -> bool {
        let word = word.trim().to_lowercase();
        self.0.get(meaning).is_some_and(|ws| ws.contains(&word))
            || (word.len() > 2 && word == meaning)
    }

    /// Whether a phrase (a menu label, a question) speaks of `meaning`: one of its words
    /// longer than one letter is in the vocabulary.
    fn mentions(&self, meaning: &str, phrase: &str) -> bool {
        words(phrase).any(|w| w.len() > 1 && self.means(meaning, &w))
    }
}

fn words(s: &str) -> impl Iterator<Item = String> + '_ {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

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
    let bracket = regex::Regex::new(r"[\[\(\{<]\s*([^\[\]\(\)\{\}<>]{1,60}?)\s*[\]\)\}>]")
        .expect("valid regex");
    for cap in bracket.captures_iter(last) {
        let parts: Vec<&str> = cap[1]
            .split(['/', '|', ','])
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        if parts.len() >= 2 && parts.iter().all(|p| p.len() <= 20) {
            return Question::Choice(
                parts
                    .iter()
                    .map(|p| Offered {
                        word: p.to_string(),
                        label: p.to_string(),
                    })
                    .collect(),
            );
        }
    }
    // A menu: lines such as `1) read`, `2. write`, `3 - exit`, `[d] delete`, `r: read`.
    let item =
        regex::Regex::new(r"^\s*[\[\(]?\s*([0-9]{1,2}|[A-Za-z])\s*(?:[\]\)\.:\-]|=>|->)\s*(\S.*)$")
            .expect("valid regex");
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
    // A menu on one line: `[1] show  [2] change  [3] delete`, `1) read 2) write 3) exit`.
    let marker =
        regex::Regex::new(r"(?:^|\s)[\[\(]?([0-9]{1,2})[\]\)\.:]\s*").expect("valid regex");
    for line in tail.iter().rev() {
        let marks: Vec<regex::Captures<'_>> = marker.captures_iter(line).collect();
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

/// What to type next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// This line (a newline follows).
    Line(String),
    /// End of input.
    EndOfInput,
}

/// A run's answers, as the assignment gives them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Script {
    pub answers: Vec<Answer>,
    pub vocabulary: Vocabulary,
}

/// Answers one run's questions, in order.
#[derive(Debug, Clone)]
pub struct Responder {
    pending: VecDeque<Answer>,
    vocab: Vocabulary,
    /// The last prompt answered, its answer, and the words already tried for it.
    last: Option<(String, Answer, Vec<String>)>,
    /// Whether a menu's entry to show the contents was chosen already (once per run, as a
    /// person would before anything else).
    looked: bool,
    pub exchanges: Vec<Exchange>,
}

/// At most this many words are tried for one meaning.
const TRIES: usize = 4;

impl Responder {
    pub fn new(script: &Script) -> Responder {
        Responder {
            pending: script.answers.iter().cloned().collect(),
            vocab: script.vocabulary.clone(),
            last: None,
            looked: false,
            exchanges: Vec::new(),
        }
    }

    /// The reply to `prompt` (what the program printed since the last answer).
    pub fn respond(&mut self, prompt: &str) -> Reply {
        let asked = prompt
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or_default()
            .trim()
            .to_string();
        let question = question(prompt, &self.vocab);
        // The same question again at once, or a complaint: the word was not taken.
        if let Some((before, answer, tried)) = self.last.clone() {
            let refused =
                (prompt.trim() == before.trim() && !prompt.trim().is_empty()) || complains(prompt);
            if refused && tried.len() < TRIES {
                let next = self
                    .words_for(&answer, &question)
                    .into_iter()
                    .find(|w| !tried.contains(w));
                if let Some(word) = next {
                    let mut tried = tried;
                    tried.push(word.clone());
                    self.last = Some((prompt.to_string(), answer.clone(), tried));
                    return self.say(asked, word, &answer, true);
                }
            }
        }
        // A menu that offers to show the contents: chosen once first, as a person would, so
        // that the program shows what it holds; the answers are not used up.
        if let Question::Choice(offered) = &question {
            let explicit = self.pending.iter().any(|a| matches!(a, Answer::Choose(_)));
            if !self.looked && !explicit && !is_yes_no(offered, &self.vocab) && offered.len() >= 3 {
                if let Some(o) = offered
                    .iter()
                    .find(|o| self.vocab.mentions("show", &o.label))
                {
                    self.looked = true;
                    let look = Answer::Choose("show".into());
                    self.last = None;
                    let word = o.word.clone();
                    return self.say(asked, word, &look, false);
                }
            }
        }
        let Some(answer) = self.take(&question, prompt) else {
            self.last = None;
            self.exchanges.push(Exchange {
                asked,
                answered: None,
                meaning: String::new(),
                retry: false,
            });
            return Reply::EndOfInput;
        };
        let word = self
            .words_for(&answer, &question)
            .into_iter()
            .next()
            .unwrap_or_default();
        self.last = Some((prompt.to_string(), answer.clone(), vec![word.clone()]));
        self.say(asked, word, &answer, false)
    }

    fn say(&mut self, asked: String, word: String, answer: &Answer, retry: bool) -> Reply {
        self.exchanges.push(Exchange {
            asked,
            answered: Some(word.clone()),
            meaning: answer.meaning(),
            retry,
        });
        Reply::Line(word)
    }

    /// The answer this question takes, removed from those pending.
    fn take(&mut self, question: &Question, prompt: &str) -> Option<Answer> {
        let wants_text = asks_for_text(prompt);
        let index = match question {
            Question::Choice(offered) if !is_yes_no(offered, &self.vocab) => self.for_menu(offered),
            _ => {
                let topic = self.topic_of(prompt);
                let yes_no_asked = matches!(question, Question::Choice(_))
                    || looks_yes_no(prompt)
                    || (topic.is_some() && last_line(prompt).trim_end().ends_with('?'));
                let text_next = matches!(self.pending.front(), Some(Answer::Text(_)));
                if !yes_no_asked && (wants_text || text_next) {
                    self.pending
                        .iter()
                        .position(|a| matches!(a, Answer::Text(_)))
                        .or(Some(0))
                } else {
                    // The first decision about the topic asked; the "no"s before it are
                    // questions this program does not ask.
                    topic
                        .and_then(|t| {
                            self.pending.iter().position(
                                |a| matches!(a, Answer::Decide { topic: Some(x), .. } if *x == t),
                            )
                        })
                        .or_else(|| {
                            self.pending
                                .iter()
                                .position(|a| matches!(a, Answer::Decide { .. }))
                        })
                        .or(Some(0))
                }
            }
        }?;
        if index >= self.pending.len() {
            return None;
        }
        // Skipped: only decisions to say no, which a program that does not ask them honours.
        let skipped: Vec<Answer> = self.pending.drain(..index).collect();
        let kept: Vec<Answer> = skipped
            .into_iter()
            .filter(|a| !matches!(a, Answer::Decide { yes: false, .. }))
            .collect();
        let answer = self.pending.pop_front();
        for a in kept.into_iter().rev() {
            self.pending.push_front(a);
        }
        answer
    }

    /// Which pending answer a menu (or a choice of words that are not yes and no) takes: an
    /// explicit choice, the first "yes" whose topic is offered, or, when every decision left
    /// is a "no", the way out (and every "no" with it).
    fn for_menu(&mut self, offered: &[Offered]) -> Option<usize> {
        let offers = |topic: &str| {
            offered
                .iter()
                .any(|o| self.vocab.mentions(topic, &o.label) || self.vocab.means(topic, &o.word))
        };
        for (i, a) in self.pending.iter().enumerate() {
            match a {
                Answer::Choose(_) => return Some(i),
                Answer::Decide {
                    topic: Some(t),
                    yes: true,
                } if offers(t) => return Some(i),
                Answer::Text(_) => return Some(i),
                Answer::Decide { topic: None, .. } => return Some(i),
                _ => {}
            }
        }
        // Only "no"s are left: the menu's way out stands for all of them; a menu without one
        // gets the end of input, as a person would give it (Ctrl-D).
        let way_out = offered.iter().any(|o| {
            self.vocab.mentions("quit", &o.label)
                || self.vocab.means("quit", &o.word)
                || self.vocab.means("no", &o.word)
        });
        if self.pending.is_empty() || !way_out {
            self.pending.clear();
            return None;
        }
        let last = self.pending.len() - 1;
        let rest: Vec<Answer> = self.pending.drain(..last).collect();
        drop(rest);
        Some(0)
    }

    fn topic_of(&self, prompt: &str) -> Option<String> {
        let last = prompt.lines().rev().find(|l| !l.trim().is_empty())?;
        self.pending.iter().find_map(|a| match a {
            Answer::Decide { topic: Some(t), .. } if self.vocab.mentions(t, last) => {
                Some(t.clone())
            }
            _ => None,
        })
    }

    /// The words that could mean `answer` to `question`, best first.
    fn words_for(&self, answer: &Answer, question: &Question) -> Vec<String> {
        let offered: &[Offered] = match question {
            Question::Choice(o) => o,
            Question::Open => &[],
        };
        let mut out: Vec<String> = Vec::new();
        let mut push = |w: String| {
            if !out.contains(&w) {
                out.push(w);
            }
        };
        match answer {
            Answer::Text(t) => push(t.clone()),
            Answer::Decide { topic, yes } => {
                let meaning = yes_no(*yes);
                if is_yes_no(offered, &self.vocab) || offered.is_empty() {
                    for o in offered {
                        if self.vocab.means(meaning, &o.word) || self.vocab.means(meaning, &o.label)
                        {
                            push(o.word.clone());
                        }
                    }
                } else {
                    // A choice of words that are not yes and no: the topic's, or the way out.
                    let wanted = if *yes {
                        topic.as_deref().unwrap_or("change")
                    } else {
                        "quit"
                    };
                    for o in offered {
                        if self.vocab.mentions(wanted, &o.label)
                            || self.vocab.means(wanted, &o.word)
                        {
                            push(o.word.clone());
                        }
                    }
                    if !*yes {
                        for o in offered {
                            if self.vocab.means("no", &o.word)
                                || self.vocab.mentions("no", &o.label)
                            {
                                push(o.word.clone());
                            }
                        }
                    }
                }
                let base = if *yes {
                    ["y", "yes", "Y", "1"]
                } else {
                    ["n", "no", "N", "0"]
                };
                for w in base {
                    push(w.to_string());
                }
            }
            Answer::Choose(w) => {
                for o in offered {
                    if self.vocab.mentions(w, &o.label)
                        || self.vocab.means(w, &o.word)
                        || o.label.to_lowercase().contains(w.as_str())
                    {
                        push(o.word.clone());
                    }
                }
                push(w.clone());
            }
        }
        out
    }
}

/// Whether the choices offered are a yes and a no.
fn is_yes_no(offered: &[Offered], vocab: &Vocabulary) -> bool {
    offered.iter().any(|o| vocab.means("yes", &o.word))
        && offered.iter().any(|o| vocab.means("no", &o.word))
}

fn last_line(prompt: &str) -> String {
    prompt
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default()
        .to_lowercase()
}

/// Whether the prompt's last line reads as a yes-or-no question.
fn looks_yes_no(prompt: &str) -> bool {
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
    ]
    .iter()
    .any(|w| last.contains(w))
}

/// Whether the prompt's last line asks for a text.
fn asks_for_text(prompt: &str) -> bool {
    let last = last_line(prompt);
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
    .any(|w| last.contains(w))
        && !looks_yes_no(prompt)
}

/// Whether the program says the last answer was not one it takes.
fn complains(prompt: &str) -> bool {
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

#[cfg(test)]
mod tests;
