//! A run's conversation: what the program asked on its terminal and what the checker
//! answered, in order. Filled by `run` (the checker answers through a pty), read by
//! `scenario` and `report`.

use serde::{Deserialize, Serialize};

/// One question and its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exchange {
    /// The last line of what the program printed before it waited for input (its prompt).
    pub asked: String,
    /// What the checker typed (without the newline); `None`: end of input (Ctrl-D).
    pub answered: Option<String>,
    /// What the answer means, as the assignment gives it; `None` at end of input.
    pub answer: Option<Answer>,
    /// Whether this answer repeats an earlier one in other words, because the program asked
    /// the same question again (the word before was not one it takes).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub retry: bool,
}

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

pub fn yes_no(yes: bool) -> &'static str {
    if yes {
        "yes"
    } else {
        "no"
    }
}

impl Exchange {
    /// Whether this answer was `topic: yes` (`yes`) or `topic: no`.
    pub fn decided(&self, topic: &str, yes: bool) -> bool {
        matches!(&self.answer, Some(Answer::Decide { topic: Some(t), yes: y }) if t == topic && *y == yes)
    }

    /// What the answer means, in the assignment's words (`change: yes`); empty at end of
    /// input.
    pub fn meaning(&self) -> String {
        self.answer
            .as_ref()
            .map(Answer::meaning)
            .unwrap_or_default()
    }
}
