//! The layout in pixels, as SVG text: no script, no external reference, every mark with a
//! `<title>` (what a screen reader says, and what a pointer shows), shapes that read in black
//! and white (a failed call is a cross, a successful one a dot), and no two labels on top of
//! each other (a label that would touch another moves down a row).

use std::fmt::Write;

use super::layout::{Lane, Layout, MarkKind, Role, Span, SpanEnd};
use super::xml::{esc, fit, wrap};

/// A column's width, in pixels.
pub const COL_W: f64 = 104.0;
/// The left margin, where lanes and bands are named.
pub const LEFT: f64 = 176.0;
const RIGHT: f64 = 40.0;
const TOP: f64 = 30.0;
const AXIS_H: f64 = 46.0;
pub(super) const BAND_H: f64 = 58.0;
const LANE_H: f64 = 84.0;
pub(super) const FONT: f64 = 11.0;
/// The width of one character of the monospace font, as a fraction of its size.
pub(super) const CHAR_W: f64 = 0.62;
/// The widest a picture gets before its checks panel wraps.
const MIN_W: f64 = 760.0;

/// The x of a column's centre.
pub fn x(col: f64) -> f64 {
    LEFT + col * COL_W + COL_W / 2.0
}

/// Characters that fit in `px` at the label font.
fn chars_in(px: f64) -> usize {
    (px / (FONT * CHAR_W)).floor().max(4.0) as usize
}

/// Labels of one row of text, kept apart: each takes the first sub-row where it touches
/// nothing.
pub(super) struct Rows {
    taken: Vec<Vec<(f64, f64)>>,
}

impl Rows {
    pub(super) fn new(rows: usize) -> Rows {
        Rows {
            taken: vec![Vec::new(); rows],
        }
    }

    /// The sub-row for text of `chars` characters centred on `cx`, or `None` when every row
    /// is taken there (the text is then only in the titles).
    pub(super) fn place(&mut self, cx: f64, chars: usize) -> Option<usize> {
        let half = chars as f64 * FONT * CHAR_W / 2.0 + 3.0;
        let (a, b) = (cx - half, cx + half);
        for (i, row) in self.taken.iter_mut().enumerate() {
            if row.iter().all(|(l, r)| b <= *l || a >= *r) {
                row.push((a, b));
                return Some(i);
            }
        }
        None
    }
}

/// The drawing's texts beyond the layout: its title, and what each lane and mark says in
/// full.
pub struct Texts<'a> {
    /// A unique prefix for the ids inside the SVG (a page holds several).
    pub id: &'a str,
    /// The title, above the picture.
    pub title: &'a str,
    /// The full line of each event, by index, for its `<title>`.
    pub lines: &'a dyn Fn(usize) -> String,
}

/// The SVG of `layout`.
pub fn svg(layout: &Layout, t: &Texts<'_>) -> String {
    let last = (layout.columns - 1) as f64;
    let width = (LEFT + layout.columns as f64 * COL_W + RIGHT).max(MIN_W);
    let bands_top = TOP + AXIS_H;
    let lanes_top = bands_top + layout.bands.len() as f64 * BAND_H + 10.0;
    let lanes_bottom = lanes_top + layout.lanes.len() as f64 * LANE_H;
    let wrap_at = chars_in(width - 48.0);
    let panel = panel_lines(layout, wrap_at);
    let legend_top = lanes_bottom + 16.0 + panel.len() as f64 * 16.0 + 10.0;
    let height = legend_top + 40.0;
    let id = t.id;
    let mut s = String::new();
    let desc = summary(layout);
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="shmlab-timeline" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" role="img" aria-labelledby="{id}-title {id}-desc" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="{FONT}">"#
    );
    let _ = write!(
        s,
        r#"<title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        esc(t.title),
        esc(&desc)
    );
    let _ = write!(
        s,
        r##"<defs><pattern id="{id}-dest" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="8" height="8" fill="#fde7e7"/><line x1="0" y1="0" x2="0" y2="8" stroke="#8a1c1c" stroke-width="2"/></pattern></defs>"##
    );
    let _ = write!(
        s,
        r##"<rect width="100%" height="100%" fill="#ffffff"/><text x="12" y="20" font-size="14" font-weight="bold" fill="#111">{}</text>"##,
        esc(&fit(t.title, chars_in(width - 24.0) * 11 / 14))
    );
    axis(&mut s, layout, bands_top - 8.0, lanes_bottom, last);
    for (k, band) in layout.bands.iter().enumerate() {
        super::band::draw(&mut s, band, bands_top + k as f64 * BAND_H, id);
    }
    if layout.bands_not_drawn > 0 {
        let _ = write!(
            s,
            r##"<text x="12" y="{:.1}" fill="#444">… and {} more segments, not drawn</text>"##,
            lanes_top - 2.0,
            layout.bands_not_drawn
        );
    }
    for (k, lane) in layout.lanes.iter().enumerate() {
        draw_lane(&mut s, lane, lane_y(lanes_top, k));
    }
    for (parent, child, col) in &layout.forks {
        let (y1, y2) = (lane_y(lanes_top, *parent), lane_y(lanes_top, *child));
        let _ = write!(
            s,
            r##"<g class="fork-line"><line x1="{0:.1}" y1="{y1:.1}" x2="{0:.1}" y2="{1:.1}" stroke="#333" stroke-width="1.5" stroke-dasharray="3 2"/><path d="M{2:.1},{3:.1} l4,-7 l-8,0 z" fill="#333"/></g>"##,
            x(*col),
            y2 - 6.0,
            x(*col),
            y2 - 6.0
        );
    }
    for (k, span) in layout.spans.iter().enumerate() {
        // Attachments of one process at the same time are drawn a little apart.
        let nth = layout.spans[..k]
            .iter()
            .filter(|o| o.lane == span.lane && o.start < span.end && span.start < o.end)
            .count();
        draw_span(
            &mut s,
            span,
            lane_y(lanes_top, span.lane),
            nth,
            &layout.lanes,
        );
    }
    draw_pins(&mut s, layout, TOP + 14.0, lanes_top, lanes_bottom);
    draw_marks(&mut s, layout, lanes_top, t);
    for (k, (line, bold)) in panel.iter().enumerate() {
        let weight = if *bold { r#" font-weight="bold""# } else { "" };
        let _ = write!(
            s,
            r##"<text class="panel-line" x="16" y="{:.1}" fill="#111"{weight}>{}</text>"##,
            lanes_bottom + 22.0 + k as f64 * 16.0,
            esc(line)
        );
    }
    legend(&mut s, legend_top);
    s.push_str("</svg>");
    s
}

fn lane_y(top: f64, k: usize) -> f64 {
    top + k as f64 * LANE_H + 30.0
}

/// What the picture shows, in one sentence per part, for its `<desc>`.
fn summary(layout: &Layout) -> String {
    let lanes: Vec<String> = layout
        .lanes
        .iter()
        .map(|l| match l.role {
            Role::Program => format!("the program (pid {})", l.pid),
            Role::Child { parent } => format!("pid {} (a child of {parent})", l.pid),
        })
        .collect();
    let failed = layout
        .marks
        .iter()
        .filter(|m| m.kind == MarkKind::Failed)
        .count();
    format!(
        "A timeline, left to right, of {} process(es): {}. {} segment(s), {} attachment(s), {} call(s) drawn, {failed} of them failed; {} failed check(s) pinned.",
        layout.lanes.len(),
        lanes.join(", "),
        layout.bands.len(),
        layout.spans.len(),
        layout.marks.len(),
        layout.pins.len()
    )
}

/// Column guides, and the names of the first and last columns.
fn axis(s: &mut String, layout: &Layout, y: f64, bottom: f64, last: f64) {
    s.push_str(r#"<g class="axis">"#);
    for col in 0..layout.columns {
        let cx = x(col as f64);
        let _ = write!(
            s,
            r##"<line x1="{cx:.1}" y1="{:.1}" x2="{cx:.1}" y2="{bottom:.1}" stroke="#e2e2e2" stroke-width="1"/>"##,
            y + 4.0
        );
    }
    let _ = write!(
        s,
        r##"<text x="{:.1}" y="{y:.1}" text-anchor="middle" fill="#555">before</text><text x="{:.1}" y="{y:.1}" text-anchor="middle" fill="#555">after the run</text>"##,
        x(0.0),
        x(last)
    );
    if let Some((col, count)) = layout.gap {
        let _ = write!(
            s,
            r##"<g class="gap"><title>{count} calls are not drawn here: the text timeline has them</title><text x="{:.1}" y="{y:.1}" text-anchor="middle" fill="#555">… {count} calls</text></g>"##,
            x(col)
        );
    }
    s.push_str("</g>");
}

fn draw_lane(s: &mut String, lane: &Lane, y: f64) {
    let role = match lane.role {
        Role::Program => "the program".to_string(),
        Role::Child { parent } => format!("child of {parent}"),
    };
    let end = lane.end_text.as_deref().unwrap_or("its end was not seen");
    let _ = write!(
        s,
        r##"<g class="lane" data-pid="{0}"><title>pid {0}, {1}: {2}</title><text x="12" y="{3:.1}" font-weight="bold" fill="#111">pid {0}</text><text x="12" y="{4:.1}" fill="#444">{1}</text><line x1="{5:.1}" y1="{y:.1}" x2="{6:.1}" y2="{y:.1}" stroke="#111" stroke-width="2"/><line class="lane-end" x1="{6:.1}" y1="{7:.1}" x2="{6:.1}" y2="{8:.1}" stroke="#111" stroke-width="3"/></g>"##,
        lane.pid,
        esc(&role),
        esc(end),
        y - 2.0,
        y + 12.0,
        match lane.role {
            Role::Program => x(0.0) - COL_W / 2.0 + 6.0,
            Role::Child { .. } => x(lane.start),
        },
        x(lane.end),
        y - 8.0,
        y + 8.0,
    );
}

fn draw_span(s: &mut String, span: &Span, y: f64, nth: usize, lanes: &[Lane]) {
    let (x0, x1) = (x(span.start), x(span.end));
    let y0 = y - 7.0 + (nth % 3) as f64 * 3.0;
    let how = match span.ended {
        SpanEnd::Detached => "until its shmdt",
        SpanEnd::Exited => "until the process ended (the kernel detached it)",
        SpanEnd::Exec => "until the process exec'd another program",
        SpanEnd::Open => "still attached when the timeline ends",
    };
    let from = if span.inherited {
        "inherited at the fork"
    } else {
        "from its shmat"
    };
    let pid = lanes.get(span.lane).map_or(0, |l| l.pid);
    let dash = if span.inherited {
        r#" stroke-dasharray="5 3""#
    } else {
        ""
    };
    let mode = if span.readonly { ", read-only" } else { "" };
    let _ = write!(
        s,
        r##"<g class="span" data-pid="{pid}" data-id="{}" data-ended="{}"><title>pid {pid} attached to segment {} at {}{mode}: {from}, {how}</title><rect x="{x0:.1}" y="{y0:.1}" width="{:.1}" height="14" fill="#9cc3e6" fill-opacity="0.75" stroke="#1f3f63" stroke-width="1.5"{dash}/></g>"##,
        span.id,
        match span.ended {
            SpanEnd::Detached => "shmdt",
            SpanEnd::Exited => "exit",
            SpanEnd::Exec => "exec",
            SpanEnd::Open => "open",
        },
        span.id,
        crate::model::timeline::addr_text(span.addr),
        (x1 - x0).max(3.0),
    );
}

fn draw_marks(s: &mut String, layout: &Layout, lanes_top: f64, t: &Texts<'_>) {
    let mut above: Vec<Rows> = layout.lanes.iter().map(|_| Rows::new(1)).collect();
    let mut below: Vec<Rows> = layout.lanes.iter().map(|_| Rows::new(2)).collect();
    let fits = chars_in(COL_W - 8.0);
    for m in &layout.marks {
        let y = lane_y(lanes_top, m.lane);
        let cx = x(m.col);
        let kind = match m.kind {
            MarkKind::Ok => "ok",
            MarkKind::Failed => "failed",
            MarkKind::NoResult => "no-result",
            MarkKind::Fork => "fork",
            MarkKind::Exec => "exec",
            MarkKind::Exit => "exit",
            MarkKind::Omitted => "omitted",
        };
        let _ = write!(
            s,
            r#"<g class="mark" data-kind="{kind}" data-event="{}"><title>{}</title>"#,
            m.event,
            esc(&(t.lines)(m.event))
        );
        let shape = match m.kind {
            MarkKind::Ok => format!(
                r##"<circle cx="{cx:.1}" cy="{y:.1}" r="5.5" fill="#1d5e2a" stroke="#fff" stroke-width="1.5"/>"##
            ),
            MarkKind::Failed => format!(
                r##"<rect x="{:.1}" y="{:.1}" width="16" height="16" fill="#fff" stroke="#b00020" stroke-width="1.5"/><path d="M{:.1},{:.1} l10,10 m0,-10 l-10,10" stroke="#b00020" stroke-width="3"/>"##,
                cx - 8.0,
                y - 8.0,
                cx - 5.0,
                y - 5.0
            ),
            MarkKind::NoResult => format!(
                r##"<circle cx="{cx:.1}" cy="{y:.1}" r="5.5" fill="#fff" stroke="#111" stroke-width="2"/>"##
            ),
            MarkKind::Fork => format!(
                r##"<path d="M{:.1},{:.1} l7,7 l-7,7 l-7,-7 z" fill="#111"/>"##,
                cx,
                y - 7.0
            ),
            MarkKind::Exec => format!(
                r##"<rect x="{:.1}" y="{:.1}" width="11" height="11" fill="#111"/>"##,
                cx - 5.5,
                y - 5.5
            ),
            MarkKind::Exit => format!(
                r##"<rect x="{:.1}" y="{:.1}" width="5" height="18" fill="#111"/>"##,
                cx - 2.5,
                y - 9.0
            ),
            MarkKind::Omitted => format!(
                r##"<path d="M{:.1},{:.1} l4,-5 l4,10 l4,-10 l4,5" fill="none" stroke="#111" stroke-width="2"/>"##,
                cx - 8.0,
                y
            ),
        };
        s.push_str(&shape);
        let name = if m.times > 1 {
            format!("{} ×{}", m.name, m.times)
        } else {
            m.name.clone()
        };
        let name = fit(&name, fits);
        // A white halo keeps a label readable over the lines it crosses.
        let bold = if m.kind == MarkKind::Failed {
            r##" font-weight="bold" fill="#b00020" paint-order="stroke" stroke="#fff" stroke-width="4""##
        } else {
            r##" fill="#111" paint-order="stroke" stroke="#fff" stroke-width="4""##
        };
        if above[m.lane].place(cx, name.chars().count()).is_some() {
            let _ = write!(
                s,
                r#"<text x="{cx:.1}" y="{:.1}" text-anchor="middle"{bold}>{}</text>"#,
                y - 13.0,
                esc(&name)
            );
        }
        let result = fit(&m.result, fits);
        if !result.is_empty() {
            if let Some(row) = below[m.lane].place(cx, result.chars().count()) {
                let _ = write!(
                    s,
                    r#"<text x="{cx:.1}" y="{:.1}" text-anchor="middle"{bold}>{}</text>"#,
                    y + 22.0 + row as f64 * 13.0,
                    esc(&result)
                );
            }
        }
        s.push_str("</g>");
    }
}

fn draw_pins(s: &mut String, layout: &Layout, flag_y: f64, lanes_top: f64, bottom: f64) {
    let mut cols: Vec<f64> = layout.pins.iter().map(|p| p.col).collect();
    cols.dedup_by(|a, b| a == b);
    cols.sort_by(f64::total_cmp);
    cols.dedup();
    for col in cols {
        let here: Vec<_> = layout.pins.iter().filter(|p| p.col == col).collect();
        let numbers: Vec<String> = here.iter().map(|p| p.number.to_string()).collect();
        let label = format!("✗ check {}", numbers.join(","));
        let title: Vec<String> = here
            .iter()
            .map(|p| {
                format!(
                    "check {} failed: {}: expected {}, got {}",
                    p.number, p.pin.what, p.pin.expected, p.pin.actual
                )
            })
            .collect();
        let cx = x(col);
        let w = label.chars().count() as f64 * FONT * CHAR_W + 10.0;
        let lane_ys: Vec<String> = here
            .iter()
            .filter_map(|p| p.lane)
            .map(|l| format!("{:.1}", lane_y(lanes_top, l)))
            .collect();
        let _ = write!(
            s,
            r##"<g class="pin" data-checks="{}" data-lanes="{}"><title>{}</title><line x1="{cx:.1}" y1="{:.1}" x2="{cx:.1}" y2="{bottom:.1}" stroke="#b00020" stroke-width="2" stroke-dasharray="6 3"/><rect x="{:.1}" y="{:.1}" width="{w:.1}" height="16" rx="3" fill="#b00020"/><text x="{cx:.1}" y="{:.1}" text-anchor="middle" font-weight="bold" fill="#fff">{}</text></g>"##,
            numbers.join(","),
            lane_ys.join(","),
            esc(&title.join("; ")),
            flag_y + 8.0,
            cx - w / 2.0,
            flag_y - 8.0,
            flag_y + 4.0,
            esc(&label)
        );
    }
}

/// The failed checks, each with its expected and actual values and its hint, as lines:
/// `(text, bold)`.
fn panel_lines(layout: &Layout, wrap_at: usize) -> Vec<(String, bool)> {
    let mut lines = Vec::new();
    for p in &layout.pins {
        let when = match p.pin.event {
            Some(i) => format!("decided at call {}", i + 1),
            None => "decided after the run".to_string(),
        };
        lines.push((
            format!("✗ check {}: {} ({when})", p.number, p.pin.what),
            true,
        ));
        for (label, text) in [("expected", &p.pin.expected), ("got", &p.pin.actual)] {
            for (k, line) in wrap(&format!("{label}: {text}"), wrap_at)
                .into_iter()
                .enumerate()
            {
                lines.push((
                    if k == 0 {
                        format!("  {line}")
                    } else {
                        format!("    {line}")
                    },
                    false,
                ));
            }
        }
        if let Some(hint) = &p.pin.hint {
            for (k, line) in wrap(&format!("→ {hint}"), wrap_at).into_iter().enumerate() {
                lines.push((
                    if k == 0 {
                        format!("  {line}")
                    } else {
                        format!("    {line}")
                    },
                    false,
                ));
            }
        }
    }
    lines
}

fn legend(s: &mut String, y: f64) {
    let _ = write!(
        s,
        r##"<g class="legend" font-size="10" fill="#333"><circle cx="20" cy="{0:.1}" r="5" fill="#1d5e2a"/><text x="30" y="{1:.1}">call succeeded</text><path d="M125,{2:.1} l9,9 m0,-9 l-9,9" stroke="#b00020" stroke-width="3"/><text x="140" y="{1:.1}">call failed</text><path d="M222,{2:.1} l6,5 l-6,5 l-6,-5 z" fill="#111"/><text x="234" y="{1:.1}">fork</text><rect x="272" y="{3:.1}" width="5" height="14" fill="#111"/><text x="283" y="{1:.1}">process end</text><rect x="358" y="{4:.1}" width="30" height="10" fill="#9cc3e6" stroke="#1f3f63"/><text x="394" y="{1:.1}">attachment (dashed: inherited)</text><rect x="586" y="{4:.1}" width="30" height="10" fill="#fde7e7" stroke="#8a1c1c"/><text x="622" y="{1:.1}">SHM_DEST</text></g>"##,
        y,
        y + 4.0,
        y - 4.5,
        y - 7.0,
        y - 5.0
    );
}
