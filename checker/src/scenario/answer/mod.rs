//! Answering a program's questions in the words its prompt offers.
//!
//! An assignment gives each run's answers as meanings (`change: yes`, `text: hello`,
//! `delete: no`); a [`Responder`] reads each prompt as the program printed it, finds the
//! choices it names (`[y/n]`, `(yes/no)`, `Change or Delete?`, a numbered menu), and types
//! the word that means the answer. A question asked again at once (the word was not one the
//! program takes) gets the next word for the same meaning. Everything here is pure: the
//! run module calls it with the text the program printed.

use std::collections::VecDeque;

use crate::model::dialogue::yes_no;
pub use crate::model::dialogue::Answer;
use crate::model::dialogue::Exchange;

mod prompt;
mod vocabulary;

pub use prompt::{asks_for_text, question, text_request_then_question, Offered, Question};
use prompt::{complains, is_yes_no, last_line, looks_yes_no};
pub use vocabulary::Vocabulary;

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
    /// The topics answered so far in this run.
    answered: Vec<String>,
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
            answered: Vec::new(),
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
                    .words_for(&self.spoken(&answer, &question, prompt), &question)
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
        if let Some(answer) = self.implicit(&question, prompt) {
            self.last = None;
            let word = self
                .words_for(&answer, &question)
                .into_iter()
                .next()
                .unwrap_or_default();
            return self.say(asked, word, &answer, false);
        }
        let Some(answer) = self.take(&question, prompt) else {
            self.last = None;
            self.exchanges.push(Exchange {
                asked,
                answered: None,
                answer: None,
                retry: false,
            });
            return Reply::EndOfInput;
        };
        // Asked for a new text when the answer is not to change it: an empty line, which is
        // how such programs are told to keep it.
        let keep = matches!(answer, Answer::Decide { yes: false, .. })
            && matches!(question, Question::Open)
            && asks_for_text(prompt);
        let word = if keep {
            String::new()
        } else {
            self.words_for(&self.spoken(&answer, &question, prompt), &question)
                .into_iter()
                .next()
                .unwrap_or_default()
        };
        if let Answer::Decide { topic: Some(t), .. } = &answer {
            self.answered.push(t.clone());
        }
        self.last = Some((prompt.to_string(), answer.clone(), vec![word.clone()]));
        self.say(asked, word, &answer, false)
    }

    fn say(&mut self, asked: String, word: String, answer: &Answer, retry: bool) -> Reply {
        self.exchanges.push(Exchange {
            asked,
            answered: Some(word.clone()),
            answer: Some(answer.clone()),
            retry,
        });
        Reply::Line(word)
    }

    /// The answer as this question needs it said: a yes-or-no question about keeping
    /// (`Keep the segment for next time?`) asks the opposite of one about deleting or
    /// changing, so its yes and no turn round.
    fn spoken(&self, answer: &Answer, question: &Question, prompt: &str) -> Answer {
        let yes_no = match question {
            Question::Choice(o) => is_yes_no(o, &self.vocab),
            Question::Open => true,
        };
        let last = last_line(prompt);
        match answer {
            Answer::Decide {
                topic: Some(t),
                yes,
            } if yes_no && self.vocab.mentions("keep", &last) && !self.vocab.mentions(t, &last) => {
                Answer::Decide {
                    topic: Some(t.clone()),
                    yes: !yes,
                }
            }
            _ => answer.clone(),
        }
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

    /// A yes-or-no question none of the answers left is about, answered as a person would
    /// without using any of them: yes to creating the segment, no to doing again what was
    /// done (`change it again?`), yes to seeing the contents, yes to going on while answers
    /// are left, and to quitting once none are.
    fn implicit(&self, question: &Question, prompt: &str) -> Option<Answer> {
        let last = last_line(prompt);
        let yes_no = match question {
            Question::Choice(o) => is_yes_no(o, &self.vocab),
            Question::Open => looks_yes_no(prompt) || last.trim_end().ends_with('?'),
        };
        if !yes_no || asks_for_text(prompt) && matches!(question, Question::Open) {
            return None;
        }
        let decide = |topic: &str, yes: bool| {
            Some(Answer::Decide {
                topic: Some(topic.to_string()),
                yes,
            })
        };
        if self.topic_of(prompt).is_some() {
            return None;
        }
        if self.vocab.mentions("create", &last) {
            return decide("create", true);
        }
        if let Some(t) = self.answered.iter().find(|t| self.vocab.mentions(t, &last)) {
            return decide(t, false);
        }
        if self.vocab.mentions("show", &last) {
            return decide("show", true);
        }
        let more = self
            .pending
            .iter()
            .any(|a| !matches!(a, Answer::Decide { yes: false, .. }));
        let said = |words: &[&str]| {
            words
                .iter()
                .any(|w| last.split(|c: char| !c.is_alphanumeric()).any(|x| x == *w))
        };
        if said(&["continue", "again", "another", "more", "else"]) {
            return decide("continue", more);
        }
        if said(&["quit", "exit", "leave", "stop"]) {
            return decide("quit", !more);
        }
        // The answers are used up and the program asks yes or no once more (`anything
        // else?`): no, once; asked again, end of input.
        if self.pending.is_empty()
            && self.exchanges.last().is_none_or(|e| {
                e.answer
                    != Some(Answer::Decide {
                        topic: None,
                        yes: false,
                    })
            })
        {
            return Some(Answer::Decide {
                topic: None,
                yes: false,
            });
        }
        None
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

#[cfg(test)]
mod tests;
