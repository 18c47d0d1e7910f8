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
    /// What the answer means, in the assignment's words (`change: yes`); empty at end of
    /// input.
    pub meaning: String,
    /// Whether this answer repeats an earlier one in other words, because the program asked
    /// the same question again (the word before was not one it takes).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub retry: bool,
}
