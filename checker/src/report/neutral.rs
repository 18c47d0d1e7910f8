//! What a program controls, made neutral to show: its output, its arguments and those of
//! what it execs, the paths of programs, the text it left in a segment. A program must not
//! be able to write on the reader's terminal through a report (clear the screen, set the
//! window title, ring the bell, move the cursor back over a line), to forge a line of the
//! report (a newline, then `PASS  create/default-mode`), or to hide or reorder text
//! (bidirectional controls, zero-width and other invisible characters). Nor may it give
//! orders to the CI that shows the report's log: GitHub Actions obeys a line that starts with
//! `::` after blanks (`::error::`, `::stop-commands::`) and `##[error]` anywhere in a line,
//! Azure Pipelines `##vso[`; so the `:` of such a start and that `[` are escaped too.
//!
//! [`neutral`] is the one function that decides what is escaped; [`quoted`] and
//! [`neutral_lines`] are the same function in the two other forms a report needs: a quoted
//! string value, and text shown as lines. Each takes text or raw bytes: bytes that are not
//! UTF-8 are shown as `\xNN`. Escapes are written as Rust writes them (`\n`, `\r`, `\t`,
//! `\0`, `\u{1b}`, `\u{202e}`), so a value quoted by the catalogue's checks (Rust's `{:?}`)
//! reads the same, and neutralising such a value again changes nothing.
//!
//! JSON keeps the raw text in its data fields (serde escapes control characters, and a
//! string value cannot make a line of its own); the text a JSON report shows to a person
//! (Gradescope's `output`) is neutral.

use std::fmt::Write;

/// `text` on one line, shown and not obeyed: every control character (C0, DEL,
/// C1), the line and paragraph separators, the bidirectional controls, the zero-width
/// and other invisible characters (Unicode's default-ignorable ones: the soft hyphen, the
/// word joiner, the tag characters...), and the noncharacters are escaped; bytes that are
/// not UTF-8 are shown as `\xNN`. Ordinary printable text (accents, CJK, emoji) is kept,
/// and so are backslashes: `neutral(neutral(x)) == neutral(x)`.
pub fn neutral(text: impl AsRef<[u8]>) -> String {
    render(text.as_ref(), Form::Line)
}

/// `text` as a quoted value: `"…"`, neutral, with `"` and `\` escaped too (what Rust's
/// `{:?}` shows for ordinary text).
pub fn quoted(text: impl AsRef<[u8]>) -> String {
    render(text.as_ref(), Form::Quoted)
}

/// `text` shown as lines: each line neutral, with its real line break kept (a carriage
/// return is still shown as `\r`).
pub fn neutral_lines(text: impl AsRef<[u8]>) -> String {
    render(text.as_ref(), Form::Lines)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Line,
    Quoted,
    Lines,
}

fn render(bytes: &[u8], form: Form) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    if form == Form::Quoted {
        out.push('"');
    }
    // Whether the last thing written was a character kept as it is, which a variation
    // selector may follow.
    let mut after_kept = false;
    // Whether only blanks were written since the start of the line (a CI's log trims them
    // before it looks for a command).
    let mut line_start = form != Form::Quoted;
    for chunk in bytes.utf8_chunks() {
        let mut chars = chunk.valid().chars().peekable();
        while let Some(c) = chars.next() {
            let starts_command = match c {
                ':' => line_start && chars.peek() == Some(&':'),
                '[' => out.ends_with("##") || out.ends_with("##vso"),
                _ => false,
            };
            line_start = match c {
                '\n' => form == Form::Lines,
                c => line_start && c.is_whitespace() && !is_hidden(c),
            };
            let kept = match c {
                _ if starts_command => {
                    escape(&mut out, c);
                    false
                }
                '\n' if form == Form::Lines => {
                    out.push('\n');
                    false
                }
                '"' | '\\' if form == Form::Quoted => {
                    out.push('\\');
                    out.push(c);
                    false
                }
                c if is_variation_selector(c) => {
                    // One after a character is how an emoji or an ideograph is written
                    // (❤️); a run of them carries hidden data.
                    if after_kept {
                        out.push(c);
                    } else {
                        escape(&mut out, c);
                    }
                    false
                }
                c if is_hidden(c) => {
                    escape(&mut out, c);
                    false
                }
                c => {
                    out.push(c);
                    true
                }
            };
            after_kept = kept;
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
            after_kept = false;
            line_start = false;
        }
    }
    if form == Form::Quoted {
        out.push('"');
    }
    out
}

/// The escape of one character, as Rust writes it.
fn escape(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\0' => out.push_str("\\0"),
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

/// A character that acts on the terminal or on the text around it instead of showing:
/// Unicode's controls (Cc), format characters (Cf), line and paragraph separators (Zl, Zp),
/// default-ignorable code points, and noncharacters (variation selectors apart).
fn is_hidden(c: char) -> bool {
    c.is_control() // C0, DEL and C1
        || matches!(
            c as u32,
            0x00ad // soft hyphen
            | 0x034f // combining grapheme joiner
            | 0x0600..=0x0605 | 0x06dd | 0x070f | 0x0890 | 0x0891 | 0x08e2 // prepended marks
            | 0x061c // Arabic letter mark
            | 0x115f | 0x1160 | 0x3164 | 0xffa0 // Hangul fillers
            | 0x17b4 | 0x17b5 // Khmer inherent vowels
            | 0x180e // Mongolian vowel separator
            | 0x200b..=0x200f // zero-width space, (non-)joiner, left-to-right and right-to-left marks
            | 0x2028 | 0x2029 // line and paragraph separators
            | 0x202a..=0x202e // bidirectional embeddings and overrides
            | 0x2060..=0x206f // word joiner, invisible operators, bidirectional isolates
            | 0xfdd0..=0xfdef // noncharacters
            | 0xfeff // zero-width no-break space (byte order mark)
            | 0xfff0..=0xfffb // interlinear annotations, and unassigned
            | 0x110bd | 0x110cd // Kaithi number signs
            | 0x13430..=0x1343f // Egyptian hieroglyph format controls
            | 0x1bca0..=0x1bca3 // shorthand format controls
            | 0x1d173..=0x1d17a // musical formatting
            | 0xe0000..=0xe00ff // tag characters, and unassigned
            | 0xe01f0..=0xe0fff // unassigned, ignorable
        )
        || (c as u32 & 0xfffe) == 0xfffe // noncharacters U+FFFE, U+FFFF, and each plane's
}

/// A variation selector: shown as it is right after a character it may select a form of,
/// escaped anywhere else.
fn is_variation_selector(c: char) -> bool {
    matches!(c as u32, 0xfe00..=0xfe0f | 0xe0100..=0xe01ef | 0x180b..=0x180d | 0x180f)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each class of character, and what a report shows of it.
    #[test]
    fn every_class_of_hidden_character_is_shown_as_an_escape() {
        let table: &[(&str, &str, &str)] = &[
            ("C0: escape, clear screen", "a\x1b[2Jb", r"a\u{1b}[2Jb"),
            (
                "C0: window title, bell",
                "\x1b]0;pwned\x07",
                r"\u{1b}]0;pwned\u{7}",
            ),
            ("C0: NUL, CR, LF, tab", "x\0y\r\n\tz", r"x\0y\r\n\tz"),
            (
                "C0: backspace, vertical tab, form feed",
                "\x08\x0b\x0c",
                r"\u{8}\u{b}\u{c}",
            ),
            ("DEL", "a\x7fb", r"a\u{7f}b"),
            ("C1: NEL, CSI", "a\u{85}b\u{9b}2J", r"a\u{85}b\u{9b}2J"),
            ("bidi: Arabic letter mark", "a\u{61c}b", r"a\u{61c}b"),
            ("bidi: LRM, RLM", "\u{200e}\u{200f}", r"\u{200e}\u{200f}"),
            (
                "bidi: embeddings, overrides",
                "ab\u{202a}\u{202e}cd",
                r"ab\u{202a}\u{202e}cd",
            ),
            ("bidi: isolates", "\u{2066}\u{2069}", r"\u{2066}\u{2069}"),
            (
                "zero width: space, joiners",
                "a\u{200b}\u{200c}\u{200d}b",
                r"a\u{200b}\u{200c}\u{200d}b",
            ),
            (
                "invisible: word joiner, operators",
                "a\u{2060}\u{2064}b",
                r"a\u{2060}\u{2064}b",
            ),
            (
                "invisible: BOM, Mongolian vowel separator",
                "\u{feff}a\u{180e}",
                r"\u{feff}a\u{180e}",
            ),
            ("invisible: Hangul filler", "a\u{3164}b", r"a\u{3164}b"),
            (
                "tag characters",
                "flag\u{e0041}\u{e007f}",
                r"flag\u{e0041}\u{e007f}",
            ),
            ("soft hyphen", "hy\u{ad}phen", r"hy\u{ad}phen"),
            (
                "other format characters",
                "\u{600}1\u{13430}",
                r"\u{600}1\u{13430}",
            ),
            (
                "line and paragraph separators",
                "a\u{2028}b\u{2029}",
                r"a\u{2028}b\u{2029}",
            ),
            (
                "noncharacters",
                "\u{fffe}\u{ffff}\u{fdd0}\u{10ffff}",
                r"\u{fffe}\u{ffff}\u{fdd0}\u{10ffff}",
            ),
            (
                "interlinear annotation",
                "\u{fff9}a\u{fffb}",
                r"\u{fff9}a\u{fffb}",
            ),
            ("variation selector alone", "\u{fe0f}", r"\u{fe0f}"),
            (
                "a run of variation selectors",
                "a\u{fe0f}\u{fe01}\u{e0100}",
                "a\u{fe0f}\\u{fe01}\\u{e0100}",
            ),
            (
                "a variation selector after an escape",
                "\x1b\u{fe0f}",
                r"\u{1b}\u{fe0f}",
            ),
            (
                "printable text is kept",
                "é ü 日本 ❤️ 😀 ½",
                "é ü 日本 ❤️ 😀 ½",
            ),
            (
                "an error line is kept",
                "shmget: Permission denied",
                "shmget: Permission denied",
            ),
            (
                "backslashes and quotes are kept",
                r#"a\nb "c""#,
                r#"a\nb "c""#,
            ),
        ];
        for (class, text, shown) in table {
            assert_eq!(neutral(text), *shown, "{class}");
            assert_eq!(neutral(neutral(text)), *shown, "{class}: neutral twice");
        }
    }

    #[test]
    fn bytes_that_are_not_utf8_are_shown_as_hex() {
        assert_eq!(neutral(b"ok\xff\xfe!"), r"ok\xff\xfe!");
        assert_eq!(neutral(b"\xe2\x82"), r"\xe2\x82");
        assert_eq!(neutral(b"caf\xc3\xa9"), "café");
    }

    #[test]
    fn a_forged_line_stays_on_the_line_it_is_quoted_in() {
        let argv = "true \n[1] shmdt(0x1) = 0 FORGED-LINE \nPASS  create/default-mode";
        let shown = neutral(argv);
        assert_eq!(shown.lines().count(), 1, "{shown}");
        assert_eq!(
            shown,
            r"true \n[1] shmdt(0x1) = 0 FORGED-LINE \nPASS  create/default-mode"
        );
    }

    #[test]
    fn quoted_is_what_debug_shows_for_ordinary_text_and_hides_nothing() {
        for text in [
            "",
            "hi\n",
            "shmget: ENOENT (No such file or directory)\n",
            r#"a "b" \c"#,
            "é\t日本\r\n",
        ] {
            assert_eq!(quoted(text), format!("{text:?}"));
        }
        assert_eq!(
            quoted("a\u{61c}\u{2060}\u{e0041}\u{ad}"),
            r#""a\u{61c}\u{2060}\u{e0041}\u{ad}""#
        );
        assert_eq!(quoted(b"\xff\""), r#""\xff\"""#);
    }

    #[test]
    fn a_ci_command_in_a_programs_text_is_shown_not_obeyed() {
        let table: &[(&str, &str)] = &[
            ("::error::forged", r"\u{3a}:error::forged"),
            (
                "  \u{a0}::stop-commands::x",
                "  \u{a0}\\u{3a}:stop-commands::x",
            ),
            ("x ##[error]forged", r"x ##\u{5b}error]forged"),
            (
                "##vso[task.logissue type=error]x",
                r"##vso\u{5b}task.logissue type=error]x",
            ),
            ("a::b ::c # [d] #[e]", "a::b ::c # [d] #[e]"),
        ];
        for (text, shown) in table {
            assert_eq!(neutral(text), *shown, "{text:?}");
            assert_eq!(neutral(neutral(text)), *shown, "{text:?}: neutral twice");
        }
        assert_eq!(
            neutral_lines("ok\n ::error::x\n##[warning]y"),
            "ok\n \\u{3a}:error::x\n##\\u{5b}warning]y"
        );
        assert_eq!(quoted("::error::x"), r#""::error::x""#);
    }

    #[test]
    fn lines_keep_their_breaks_and_nothing_else() {
        assert_eq!(neutral_lines("a\nb\r\n\x1b[2J\n"), "a\nb\\r\n\\u{1b}[2J\n");
        assert_eq!(neutral_lines(b"x\xff\ny"), "x\\xff\ny");
        assert_eq!(neutral_lines("0\n0\nhi\n"), "0\n0\nhi\n");
    }
}
