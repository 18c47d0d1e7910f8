//! Text inside SVG and HTML: neutral first (a program's text can neither hide nor forge
//! anything, and a control character, which XML forbids, becomes an escape), then escaped
//! for markup, so nothing a program controls can open an element or an attribute.

use crate::report::neutral::neutral;

/// `text`, neutral and escaped for an element's text or a quoted attribute.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in neutral(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `text` in at most `max` characters, cut with `…`.
pub fn fit(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// `text` in lines of at most `width` characters, broken between words where it can be;
/// at most [`MAX_LINES`] lines, the last cut with `…`.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(8);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in neutral(text).split(' ') {
        let mut word = word.to_string();
        loop {
            let len = line.chars().count();
            let wlen = word.chars().count();
            if len + usize::from(len > 0) + wlen <= width {
                if len > 0 {
                    line.push(' ');
                }
                line.push_str(&word);
                break;
            }
            if len > 0 {
                lines.push(std::mem::take(&mut line));
                continue;
            }
            // A word longer than a line: cut it.
            let head: String = word.chars().take(width).collect();
            word = word.chars().skip(width).collect();
            lines.push(head);
            if word.is_empty() {
                break;
            }
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    if lines.len() > MAX_LINES {
        lines.truncate(MAX_LINES);
        if let Some(l) = lines.last_mut() {
            *l = fit(&format!("{l} …"), width);
        }
    }
    lines
}

/// Lines a wrapped text takes at most in a picture (the HTML report has the whole text).
pub const MAX_LINES: usize = 12;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_controls_in_a_programs_text_are_escaped() {
        assert_eq!(
            esc("<script>\"a\" & 'b'</script>\x1b[2J"),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;\\u{1b}[2J"
        );
    }

    #[test]
    fn long_text_is_wrapped_between_words_and_a_long_word_is_cut() {
        assert_eq!(wrap("aaa bbb ccc", 7), vec!["aaa bbb", "ccc"]);
        assert_eq!(wrap("abcdefghijkl", 8), vec!["abcdefgh", "ijkl"]);
        assert_eq!(wrap("", 8), vec![""]);
        assert_eq!(wrap(&"word ".repeat(200), 10).len(), MAX_LINES);
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("abc", 4), "abc");
    }
}
