//! Caps on the report's own size: a program that prints megabytes, or makes thousands of
//! shm calls, must not make a report of megabytes. Every format cuts what it shows the same
//! way, with a marker where it cut; the checks themselves saw everything the checker kept
//! (64 KiB of each stream, [`OUTPUT_CAP`]).
//!
//! Per run, a report shows at most [`SHOWN_BYTES`] of each of stdout and stderr, and the
//! JSON at most [`SHOWN_EVENTS`] timeline events; any other text (a check's expected or
//! actual value, a hint) at most [`SHOWN_BYTES`] too, and a snapshot at most
//! [`SHOWN_SEGMENTS`] segments.

use serde_json::Value;

use crate::model::run::OUTPUT_CAP;

/// Bytes of a text shown in a report (each of a run's stdout and stderr, a check's values).
pub const SHOWN_BYTES: usize = 4096;
/// Timeline events of one run shown in a JSON report.
pub const SHOWN_EVENTS: usize = 100;
/// Segments of one snapshot shown in a JSON report.
pub const SHOWN_SEGMENTS: usize = 64;

/// The first `max` bytes of `text` (cut on a character boundary), and how many bytes were
/// left out.
pub fn cut(text: &str, max: usize) -> (&str, usize) {
    if text.len() <= max {
        return (text, 0);
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (&text[..end], text.len() - end)
}

/// A run's stream as a report shows it: at most [`SHOWN_BYTES`], and a marker when it was
/// cut here or when `dropped` bytes were already dropped past the capture cap.
pub fn shown_output(text: &str, dropped: u64) -> String {
    let (kept, hidden) = cut(text, SHOWN_BYTES);
    let marker = match (hidden, dropped) {
        (0, 0) => return text.to_string(),
        (0, d) => format!("[… {d} bytes more were dropped: the checker keeps {OUTPUT_CAP} bytes of each stream]"),
        (h, 0) => format!("[… {h} bytes more not shown: a report shows {SHOWN_BYTES} bytes of each stream]"),
        (h, d) => format!("[… {h} bytes more not shown: a report shows {SHOWN_BYTES} bytes of each stream; and {d} bytes more were dropped: the checker keeps {OUTPUT_CAP}]"),
    };
    let sep = if kept.is_empty() || kept.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    format!("{kept}{sep}{marker}")
}

/// A text as a report shows it: at most [`SHOWN_BYTES`], with a marker where it was cut.
pub fn shown_text(text: &str) -> String {
    match cut(text, SHOWN_BYTES) {
        (_, 0) => text.to_string(),
        (kept, hidden) => format!("{kept}[… {hidden} bytes more not shown]"),
    }
}

/// Room left for a marker: a text already cut, with its marker, is not cut again.
const MARKER_ROOM: usize = 256;

/// Cuts every string in `v` longer than [`SHOWN_BYTES`] (and the room of a marker).
pub fn cap_strings(v: &mut Value) {
    match v {
        Value::String(s) if s.len() > SHOWN_BYTES + MARKER_ROOM => *s = shown_text(s),
        Value::Array(items) => items.iter_mut().for_each(cap_strings),
        Value::Object(map) => map.values_mut().for_each(cap_strings),
        _ => {}
    }
}

/// Keeps the first `max` items of the array at `v[key]`; when it cut, records how many it
/// left out in `v[not_shown]`.
pub fn cap_array(v: &mut Value, key: &str, max: usize, not_shown: &str) {
    let Some(items) = v.get_mut(key).and_then(Value::as_array_mut) else {
        return;
    };
    if items.len() <= max {
        return;
    }
    let hidden = items.len() - max;
    items.truncate(max);
    v[not_shown] = Value::from(hidden);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_cut_on_a_character_boundary_with_a_marker() {
        let text = "é".repeat(SHOWN_BYTES);
        let shown = shown_output(&text, 0);
        assert!(shown.len() < SHOWN_BYTES + 200, "{}", shown.len());
        assert!(shown.ends_with("bytes more not shown: a report shows 4096 bytes of each stream]"));
        assert_eq!(shown_output("short\n", 0), "short\n");
        assert_eq!(
            shown_output("short\n", 7),
            "short\n[… 7 bytes more were dropped: the checker keeps 65536 bytes of each stream]"
        );
    }

    #[test]
    fn long_strings_anywhere_are_cut_and_long_arrays_say_how_many_are_left_out() {
        let mut v = serde_json::json!({ "a": ["x".repeat(10_000)], "events": [1, 2, 3] });
        cap_strings(&mut v);
        assert!(v["a"][0].as_str().unwrap().len() < SHOWN_BYTES + 50);
        cap_array(&mut v, "events", 2, "events_not_shown");
        assert_eq!(v["events"], serde_json::json!([1, 2]));
        assert_eq!(v["events_not_shown"], 1);
    }
}
