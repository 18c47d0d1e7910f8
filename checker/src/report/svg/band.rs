//! A segment's band: its life as a rectangle, hatched from SHM_DEST on, nattch as a step
//! line in it, and its start and end named under it.

use std::fmt::Write;

use super::draw::{x, Rows, CHAR_W, FONT};
use super::layout::{Band, Fate};
use super::xml::esc;

/// Draws band `b` with its top at `top`; `id` is the picture's id prefix.
pub fn draw(s: &mut String, b: &Band, top: f64, id: &str) {
    let (x0, x1) = (x(b.start) - 6.0, x(b.end) + 6.0);
    let rect_h = 26.0;
    let title = band_title(b);
    let _ = write!(
        s,
        r#"<g class="band" data-id="{}" data-fate="{}"><title>{}</title>"#,
        b.id,
        fate_word(b.fate),
        esc(&title)
    );
    let _ = write!(
        s,
        r##"<text x="12" y="{:.1}" font-weight="bold" fill="#111">segment {}</text><text x="12" y="{:.1}" fill="#444">key {}</text>"##,
        top + 14.0,
        b.id,
        top + 28.0,
        crate::model::timeline::key_text(b.key)
    );
    let _ = write!(
        s,
        r##"<rect x="{x0:.1}" y="{top:.1}" width="{:.1}" height="{rect_h}" fill="#e6eef8" stroke="#2c4a6e" stroke-width="1.2"/>"##,
        (x1 - x0).max(2.0)
    );
    if let Some(d) = b.dest_at {
        let dx = x(d).max(x0);
        let _ = write!(
            s,
            r##"<rect class="dest" x="{dx:.1}" y="{top:.1}" width="{:.1}" height="{rect_h}" fill="url(#{id}-dest)" stroke="#8a1c1c" stroke-width="1.2"><title>marked for destruction (SHM_DEST): its key is free again, and it goes when its last attachment does</title></rect>"##,
            (x1 - dx).max(2.0)
        );
    }
    // nattch as a step line in the band, its value written where it changes.
    let max = b.nattch.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1) as f64;
    let y_of = |v: u64| top + rect_h - 4.0 - (v as f64 / max) * (rect_h - 10.0);
    let mut d = String::new();
    let mut rows = Rows::new(1);
    let mut labels = String::new();
    for (k, (col, v)) in b.nattch.iter().enumerate() {
        let px = if k == 0 { x0 } else { x(*col) };
        let _ = if k == 0 {
            write!(d, "M{px:.1},{:.1}", y_of(*v))
        } else {
            write!(d, " H{px:.1} V{:.1}", y_of(*v))
        };
        let text = format!("nattch {v}");
        if let Some(0) = rows.place(
            px + 4.0 + text.len() as f64 * FONT * CHAR_W / 2.0,
            text.len(),
        ) {
            let _ = write!(
                labels,
                r##"<text x="{:.1}" y="{:.1}" font-size="10" fill="#2c4a6e">{text}</text>"##,
                px + 4.0,
                top - 2.0 + rect_h + 14.0 - 2.0
            );
        }
    }
    let _ = write!(d, " H{x1:.1}");
    let _ = write!(
        s,
        r##"<path class="nattch" d="{d}" fill="none" stroke="#2c4a6e" stroke-width="2"><title>nattch, the number of attachments, over time</title></path>"##
    );
    // The start, SHM_DEST and the end, named under the band when they fit.
    let mut events = Vec::new();
    if !b.existed {
        events.push((x0 + 6.0, "created".to_string()));
    }
    if let Some(d) = b.dest_at {
        events.push((x(d), "SHM_DEST".to_string()));
    }
    match b.fate {
        Fate::Destroyed => events.push((x1 - 6.0, "destroyed".to_string())),
        Fate::Remains => events.push((x1 - 6.0, "still there".to_string())),
        Fate::Unknown => {}
    }
    let mut under = Rows::new(1);
    for (px, word) in events {
        if under.place(px, word.len()).is_some() {
            let _ = write!(
                labels,
                r##"<text x="{px:.1}" y="{:.1}" text-anchor="middle" font-size="10" font-style="italic" fill="#111">{word}</text>"##,
                top + rect_h + 26.0
            );
        }
    }
    if b.fate == Fate::Destroyed {
        let _ = write!(
            s,
            r##"<path d="M{0:.1},{1:.1} l8,8 m0,-8 l-8,8" stroke="#111" stroke-width="2" transform="translate(-4,0)"/>"##,
            x1,
            top + rect_h / 2.0 - 4.0
        );
    }
    s.push_str(&labels);
    s.push_str("</g>");
}

fn fate_word(f: Fate) -> &'static str {
    match f {
        Fate::Destroyed => "destroyed",
        Fate::Remains => "remains",
        Fate::Unknown => "unknown",
    }
}

fn band_title(b: &Band) -> String {
    let start = if b.existed {
        "existed before the run".to_string()
    } else {
        "created during the run".to_string()
    };
    let dest = if b.dest_at.is_some() {
        "; marked for destruction (SHM_DEST)"
    } else {
        ""
    };
    let end = match b.fate {
        Fate::Destroyed => "; destroyed",
        Fate::Remains => "; still there after the run",
        Fate::Unknown => "",
    };
    let steps: Vec<String> = b.nattch.iter().map(|(_, v)| v.to_string()).collect();
    format!(
        "segment {} (key {}): {start}{dest}{end}; nattch {}",
        b.id,
        crate::model::timeline::key_text(b.key),
        steps.join(" → ")
    )
}
