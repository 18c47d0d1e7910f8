//! Lab memo's sizes, its first line, and the questions it asks on stdin.

use std::io;
use std::process;

use crate::exit::fail_with;
use crate::output::write_stdout;

/// The size lab memo asks for: room for [`MEMO_TEXT_MAX`] bytes of text and their NUL.
pub const MEMO_SEGMENT_SIZE: usize = MEMO_TEXT_MAX + 1;

/// The most bytes of text lab memo stores (and shows); the NUL goes after them.
pub const MEMO_TEXT_MAX: usize = 200;

/// Prints lab memo's first line: `new segment: no text yet` when `text` is `None` (the segment
/// was just created), else `text: ` followed by the bytes as they are, then a newline.
pub fn print_memo_text(text: Option<&[u8]>) {
    let line = match text {
        None => b"new segment: no text yet\n".to_vec(),
        Some(t) => [b"text: ", t, b"\n"].concat(),
    };
    write_stdout(&line);
}

/// What an answer line means: `Some(true)` for `y`, `Some(false)` for `n` (whitespace around
/// it ignored), `None` for anything else.
///
/// ```
/// use shmlab_labs::parse_answer;
/// assert_eq!(parse_answer(b" y \n"), Some(true));
/// assert_eq!(parse_answer(b"n"), Some(false));
/// assert_eq!(parse_answer(b"yes"), None);
/// ```
pub fn parse_answer(line: &[u8]) -> Option<bool> {
    match line.trim_ascii() {
        b"y" => Some(true),
        b"n" => Some(false),
        _ => None,
    }
}

/// A line as lab memo stores it: without its newline (nor a `\r` before it), cut to at most
/// `max` bytes.
///
/// ```
/// assert_eq!(shmlab_labs::clean_line(b"hello\r\n", 200), b"hello");
/// assert_eq!(shmlab_labs::clean_line(b"abcdef\n", 3), b"abc");
/// ```
pub fn clean_line(line: &[u8], max: usize) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    &line[..line.len().min(max)]
}

/// The questions lab memo asks: prompts on an output (stdout), answers read a line at a time
/// from an input (stdin).
///
/// Once the input has ended, every later question gets "end of input" at once, without
/// reading again: a program that reaches the end of its input always finishes.
///
/// ```no_run
/// let mut dialog = shmlab_labs::Dialog::stdio();
/// if dialog.ask_yes_no("change the text? [y/n] ") {
///     let text = dialog.ask_line("new text: ", shmlab_labs::MEMO_TEXT_MAX); // None at end of input
/// }
/// ```
#[derive(Debug)]
pub struct Dialog<R, W> {
    input: R,
    output: W,
    ended: bool,
}

impl Dialog<io::StdinLock<'static>, io::Stdout> {
    /// A dialog on this program's stdin and stdout.
    pub fn stdio() -> Self {
        Dialog::new(io::stdin().lock(), io::stdout())
    }
}

impl<R: io::BufRead, W: io::Write> Dialog<R, W> {
    /// A dialog reading answers from `input` and writing prompts to `output`.
    pub fn new(input: R, output: W) -> Self {
        Dialog {
            input,
            output,
            ended: false,
        }
    }

    /// Whether the input has ended.
    pub fn has_ended(&self) -> bool {
        self.ended
    }

    /// Prints `question` (no newline is added) and reads answers until one is `y` or `n`;
    /// after anything else it prints `please answer y or n` and asks again. Returns true for
    /// `y`; false for `n` and at end of input.
    pub fn ask_yes_no(&mut self, question: &str) -> bool {
        loop {
            self.say(question);
            match self.read_line().as_deref().map(parse_answer) {
                None => return false,
                Some(Some(answer)) => return answer,
                Some(None) => self.say("please answer y or n\n"),
            }
        }
    }

    /// Prints `prompt` (no newline is added) and reads one line, returned without its newline
    /// and cut to at most `max` bytes (see [`clean_line`]); `None` at end of input.
    pub fn ask_line(&mut self, prompt: &str, max: usize) -> Option<Vec<u8>> {
        self.say(prompt);
        self.read_line().map(|line| clean_line(&line, max).to_vec())
    }

    /// One line with its newline, or `None` at end of input (a read error counts as the end).
    /// A last line without a newline is still a line; the input has ended after it.
    fn read_line(&mut self) -> Option<Vec<u8>> {
        if self.ended {
            return None;
        }
        let mut line = Vec::new();
        match self.input.read_until(b'\n', &mut line) {
            Ok(_) if line.ends_with(b"\n") => Some(line),
            Ok(_) => {
                self.ended = true;
                (!line.is_empty()).then_some(line)
            }
            Err(_) => {
                self.ended = true;
                None
            }
        }
    }

    /// Writes `text` and flushes, so that a prompt shows before the program waits. A closed
    /// pipe ends the program quietly, as in [`print_text`](crate::print_text); any other error
    /// is a failure.
    fn say(&mut self, text: &str) {
        match self
            .output
            .write_all(text.as_bytes())
            .and_then(|()| self.output.flush())
        {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => process::exit(0),
            Err(e) => fail_with("stdout", e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dialog(input: &str) -> Dialog<&[u8], Vec<u8>> {
        Dialog::new(input.as_bytes(), Vec::new())
    }

    #[test]
    fn yes_no_asks_again_until_y_or_n() {
        let mut d = dialog("maybe\n  y \n");
        assert!(d.ask_yes_no("q? "));
        assert_eq!(d.output, b"q? please answer y or n\nq? ");
    }

    #[test]
    fn end_of_input_answers_no_to_every_later_question() {
        let mut d = dialog("");
        assert!(!d.ask_yes_no("a? "));
        assert!(d.has_ended());
        assert_eq!(d.ask_line("t: ", 200), None);
        assert!(!d.ask_yes_no("b? "));
        assert_eq!(d.output, b"a? t: b? ");
    }

    #[test]
    fn a_last_line_without_newline_still_counts() {
        let mut d = dialog("y");
        assert!(d.ask_yes_no("a? "));
        assert!(d.has_ended());
        assert!(!d.ask_yes_no("b? "));
    }

    #[test]
    fn ask_line_drops_the_newline_and_cuts_long_text() {
        let long = format!("y\n{}\r\nn\n", "x".repeat(300));
        let mut d = dialog(&long);
        assert!(d.ask_yes_no("a? "));
        assert_eq!(d.ask_line("t: ", 200), Some(vec![b'x'; 200]));
        assert!(!d.ask_yes_no("b? "));
        assert!(!d.has_ended());
        let mut d = dialog("hello memo\r\n");
        assert_eq!(d.ask_line("t: ", 200).as_deref(), Some(&b"hello memo"[..]));
    }

    #[test]
    fn memo_segment_holds_the_text_and_its_nul() {
        assert_eq!(MEMO_SEGMENT_SIZE, 201);
    }
}
