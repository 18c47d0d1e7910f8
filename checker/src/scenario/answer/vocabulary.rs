//! The words that mean yes, no, a way out, or a topic (change, delete, show), which the
//! responder matches against the choices a prompt offers.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The words that mean each thing, lowercase: `yes`, `no`, `quit`, and each topic's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vocabulary(pub BTreeMap<String, Vec<String>>);

impl Default for Vocabulary {
    fn default() -> Self {
        let table: [(&str, &[&str]); 8] = [
            (
                "create",
                &[
                    "create",
                    "creat",
                    "created",
                    "initialize",
                    "initialise",
                    "allocate",
                ],
            ),
            (
                "yes",
                &["y", "yes", "o", "oui", "s", "si", "ja", "ok", "true", "1"],
            ),
            ("no", &["n", "no", "non", "nein", "false", "0"]),
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
            // A question about keeping (the segment, the text) asks the opposite of one about
            // deleting or changing it.
            ("keep", &["keep", "preserve", "retain"]),
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

    /// Whether `word` means anything here.
    pub(super) fn knows(&self, word: &str) -> bool {
        let word = word.trim().to_lowercase();
        !word.is_empty() && self.0.values().any(|ws| ws.contains(&word))
    }

    pub(super) fn means(&self, meaning: &str, word: &str) -> bool {
        let word = word.trim().to_lowercase();
        self.0.get(meaning).is_some_and(|ws| ws.contains(&word))
            || (word.len() > 2 && word == meaning)
    }

    /// Whether a phrase (a menu label, a question) speaks of `meaning`: one of its words
    /// longer than one letter is in the vocabulary.
    pub(super) fn mentions(&self, meaning: &str, phrase: &str) -> bool {
        words(phrase).any(|w| w.len() > 1 && self.means(meaning, &w))
    }
}

fn words(s: &str) -> impl Iterator<Item = String> + '_ {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}
