//! The memo contract as a model: from what a run starts with (the text of an existing
//! segment, or none) and its standard input, what it must print and leave. The scenarios
//! derive every expectation from it, so the guide's rules are written once.

/// The prompts and lines the contract fixes.
pub const NEW: &str = "new segment: no text yet";
pub const CHANGE: &str = "change the text? [y/n] ";
pub const NEW_TEXT: &str = "new text: ";
pub const DELETE: &str = "delete the segment? [y/n] ";
pub const AGAIN: &str = "please answer y or n";
pub const DELETED: &str = "segment deleted";
/// The longest text, in bytes; the segment holds it and a NUL.
pub const MAX_TEXT: usize = 200;
/// The segment's size.
pub const SIZE: usize = MAX_TEXT + 1;
/// The segment's permission bits.
pub const MODE: u32 = 0o644;

/// What one run must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Turn {
    /// Whether the run creates the segment (there was none).
    pub creates: bool,
    /// Its whole stdout.
    pub stdout: String,
    /// The text it writes, when the answer to the first question is `y` and a line follows.
    pub writes: Option<Vec<u8>>,
    /// Whether it removes the segment.
    pub deletes: bool,
    /// The text the segment holds afterwards; `None` when it is gone.
    pub after: Option<Vec<u8>>,
}

/// A y/n answer, as the contract reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    Yes,
    No,
}

/// The lines of a standard input, as a program reading line by line gets them.
struct Input<'a> {
    rest: &'a [u8],
}

impl<'a> Input<'a> {
    fn line(&mut self) -> Option<&'a [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        let end = self.rest.iter().position(|b| *b == b'\n');
        let (line, rest) = match end {
            Some(i) => (&self.rest[..i], &self.rest[i + 1..]),
            None => (self.rest, &self.rest[self.rest.len()..]),
        };
        self.rest = rest;
        Some(line)
    }

    /// Asks `prompt` until the answer is y or n; end of input is n.
    fn ask(&mut self, prompt: &str, out: &mut String) -> Answer {
        loop {
            out.push_str(prompt);
            let Some(line) = self.line() else {
                return Answer::No;
            };
            match line.trim_ascii() {
                b"y" => return Answer::Yes,
                b"n" => return Answer::No,
                _ => {
                    out.push_str(AGAIN);
                    out.push('\n');
                }
            }
        }
    }
}

/// What a run that finds `before` (`None`: no segment) and reads `stdin` must do.
pub fn turn(before: Option<&[u8]>, stdin: &[u8]) -> Turn {
    let mut out = String::new();
    match before {
        None => out.push_str(NEW),
        Some(text) => {
            out.push_str("text: ");
            out.push_str(&String::from_utf8_lossy(text));
        }
    }
    out.push('\n');
    let mut input = Input { rest: stdin };
    let mut text = before.map_or_else(Vec::new, <[u8]>::to_vec);
    let mut writes = None;
    if input.ask(CHANGE, &mut out) == Answer::Yes {
        out.push_str(NEW_TEXT);
        if let Some(line) = input.line() {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let kept = line[..line.len().min(MAX_TEXT)].to_vec();
            text.clone_from(&kept);
            writes = Some(kept);
        }
    }
    let deletes = input.ask(DELETE, &mut out) == Answer::Yes;
    if deletes {
        out.push_str(DELETED);
        out.push('\n');
    }
    Turn {
        creates: before.is_none(),
        stdout: out,
        writes,
        deletes,
        after: (!deletes).then_some(text),
    }
}

/// The text a segment's bytes hold: up to the first NUL, at most [`MAX_TEXT`] bytes.
pub fn text_of(bytes: &[u8]) -> &[u8] {
    let bytes = &bytes[..bytes.len().min(MAX_TEXT)];
    let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
    &bytes[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_first_run_answering_n_twice_prints_the_guides_example() {
        let t = turn(None, b"n\nn\n");
        assert_eq!(
            t.stdout,
            "new segment: no text yet\nchange the text? [y/n] delete the segment? [y/n] "
        );
        assert!(t.creates && !t.deletes);
        assert_eq!(t.after, Some(Vec::new()));
    }

    #[test]
    fn a_change_writes_the_line_without_its_newline_or_cr() {
        let t = turn(Some(b"old"), b"y\nnew text\r\nn\n");
        assert_eq!(t.writes.as_deref(), Some(&b"new text"[..]));
        assert!(t
            .stdout
            .starts_with("text: old\nchange the text? [y/n] new text: delete"));
    }

    #[test]
    fn a_long_line_keeps_200_bytes() {
        let line = "x".repeat(300);
        let t = turn(None, format!("y\n{line}\nn\n").as_bytes());
        assert_eq!(t.writes.unwrap().len(), 200);
    }

    #[test]
    fn end_of_input_answers_n_to_every_question_and_changes_nothing() {
        let t = turn(None, b"");
        assert_eq!(t.stdout, format!("{NEW}\n{CHANGE}{DELETE}"));
        let t = turn(Some(b"keep"), b"y\n");
        assert_eq!(t.stdout, format!("text: keep\n{CHANGE}{NEW_TEXT}{DELETE}"));
        assert_eq!((t.writes, t.after), (None, Some(b"keep".to_vec())));
    }

    #[test]
    fn a_wrong_answer_asks_again_and_whitespace_is_ignored() {
        let t = turn(None, b"maybe\n  n \ny\n");
        assert_eq!(
            t.stdout,
            format!("{NEW}\n{CHANGE}{AGAIN}\n{CHANGE}{DELETE}{DELETED}\n")
        );
        assert!(t.deletes);
        assert_eq!(t.after, None);
    }

    #[test]
    fn the_text_of_a_segment_ends_at_its_nul_or_at_200_bytes() {
        assert_eq!(text_of(b"abc\0def"), b"abc");
        assert_eq!(text_of(&[b'z'; 201]).len(), 200);
    }
}
