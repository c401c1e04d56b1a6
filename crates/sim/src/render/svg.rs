//! The diagram as an SVG document, written by hand: lanes side by side, time going down, one row per arrow or
//! note. Each step is one `<g class="step" data-step="N">` (the HTML page shows and hides them), blocked calls are
//! spans on their client's lane, and the step that breaks an invariant is drawn in red with the invariant's note.

use std::fmt::Write as _;

use super::{Diagram, Event, Lane};

const RED: &str = "#c00000";
const INK: &str = "#1f2328";
const LEFT: u32 = 56;
const LANE_GAP: u32 = 220;
const LANE_BOX: u32 = 160;
const HEAD_TOP: u32 = 60;
const HEAD_HEIGHT: u32 = 40;
const ROW: u32 = 24;
const STEP_GAP: u32 = 8;
/// The width of a character of the 12-pixel font, for sizing notes (an estimate that errs wide).
const CHAR: f64 = 7.0;

/// Escapes text for XML content and attribute values.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
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

struct Layout<'a> {
    lanes: &'a [Lane],
}

impl Layout<'_> {
    fn x(&self, lane: Lane) -> u32 {
        let index = self.lanes.iter().position(|l| *l == lane).unwrap_or(0) as u32;
        LEFT + LANE_BOX / 2 + 20 + index * LANE_GAP
    }

    fn width(&self) -> u32 {
        LEFT + 40 + LANE_BOX + (self.lanes.len().max(1) as u32 - 1) * LANE_GAP + 20
    }
}

/// A blocked call's span: its lane, the step and height where it starts, and where it ends (None: never returned).
struct Span {
    lane: Lane,
    step: usize,
    top: u32,
    bottom: Option<u32>,
}

pub(super) fn write(diagram: &Diagram) -> String {
    let layout = Layout { lanes: &diagram.lanes };
    let width = layout.width();
    let broken_row = diagram.broken.and_then(|broken| broken.row);
    let mut body = String::new();
    let mut bands = String::new();
    let mut spans: Vec<Span> = Vec::new();
    let mut y = HEAD_TOP + HEAD_HEIGHT + 20;
    for (index, row) in diagram.rows.iter().enumerate() {
        let red = broken_row == Some(index);
        let drawn = row.events.iter().filter(|e| matches!(e, Event::Arrow { .. } | Event::Note { .. })).count() as u32;
        let extra = if red { ROW + 4 } else { 0 };
        let height = drawn.max(1) * ROW + extra;
        let class = if red { "step violation" } else { "step" };
        let _ = writeln!(body, r#"<g class="{class}" data-step="{}" data-line="{}">"#, index + 1, row.line);
        let fill = if red {
            "#ffd7d7"
        } else if index % 2 == 0 {
            "#f6f8fa"
        } else {
            "#ffffff"
        };
        let _ = writeln!(
            bands,
            r#"<rect class="step-band" data-step="{}" x="0" y="{}" width="{width}" height="{}" fill="{fill}"/>"#,
            index + 1,
            y - 4,
            height + 4
        );
        let _ = writeln!(
            body,
            r#"<text class="step-number" x="8" y="{}" font-size="11" fill="{}">{}</text>"#,
            y + 14,
            if red { RED } else { "#57606a" },
            index + 1
        );
        let ink = if red { RED } else { INK };
        let mut row_y = y;
        for event in &row.events {
            match event {
                Event::Arrow { from, to, label, reply } => {
                    let (x1, x2) = (layout.x(*from), layout.x(*to));
                    let line_y = row_y + 17;
                    let dash = if *reply || row.rejected { r#" stroke-dasharray="5,3""# } else { "" };
                    let marker = if red { "arrow-red" } else { "arrow" };
                    let _ = writeln!(
                        body,
                        r#"<line class="arrow" x1="{x1}" y1="{line_y}" x2="{x2}" y2="{line_y}" stroke="{ink}" stroke-width="{}"{dash} marker-end="url(#{marker})"/>"#,
                        if red { 2 } else { 1 }
                    );
                    let _ = writeln!(
                        body,
                        r#"<text x="{}" y="{}" font-size="12" text-anchor="middle" fill="{ink}">{}</text>"#,
                        (x1 + x2) / 2,
                        line_y - 4,
                        escape(label)
                    );
                    row_y += ROW;
                }
                Event::Note { lane, text } => {
                    let x = layout.x(*lane);
                    let w = (text.chars().count() as f64 * CHAR) as u32 + 14;
                    let _ = writeln!(
                        body,
                        r##"<rect class="note" x="{}" y="{}" width="{w}" height="18" rx="3" fill="#fff8c5" stroke="{}"/>"##,
                        x.saturating_sub(w / 2),
                        row_y + 3,
                        if red { RED } else { "#d4a72c" }
                    );
                    let _ = writeln!(
                        body,
                        r#"<text x="{x}" y="{}" font-size="12" text-anchor="middle" fill="{ink}">{}</text>"#,
                        row_y + 16,
                        escape(text)
                    );
                    row_y += ROW;
                }
                Event::Block(lane) => spans.push(Span { lane: *lane, step: index + 1, top: row_y, bottom: None }),
                Event::Unblock(lane) => {
                    if let Some(span) = spans.iter_mut().rev().find(|s| s.lane == *lane && s.bottom.is_none()) {
                        span.bottom = Some(row_y);
                    }
                }
            }
        }
        if red {
            let text = diagram.violation_text().unwrap_or_default();
            let _ = writeln!(
                body,
                r#"<text class="violation-note" x="{}" y="{}" font-size="13" font-weight="bold" fill="{RED}">{}</text>"#,
                LEFT,
                row_y + 16,
                escape(&text)
            );
        }
        let _ = writeln!(body, "</g>");
        y += height + STEP_GAP;
    }
    if let (Some(text), None) = (diagram.violation_text(), broken_row) {
        let _ = writeln!(body, r#"<g class="step violation" data-step="{}">"#, diagram.rows.len() + 1);
        let _ = writeln!(
            bands,
            r##"<rect class="step-band" data-step="{}" x="0" y="{}" width="{width}" height="{}" fill="#ffd7d7"/>"##,
            diagram.rows.len() + 1,
            y - 4,
            ROW + 8
        );
        let _ = writeln!(
            body,
            r#"<text class="violation-note" x="{LEFT}" y="{}" font-size="13" font-weight="bold" fill="{RED}">{}</text>"#,
            y + 14,
            escape(&text)
        );
        let _ = writeln!(body, "</g>");
        y += ROW + 8 + STEP_GAP;
    }
    let bottom = y + 10;
    let height = bottom + 10;

    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="DejaVu Sans, Arial, Helvetica, sans-serif">"#
    );
    let _ = writeln!(out, "<title>{}</title>", escape(&diagram.title));
    out.push_str(
        "<defs>\
         <marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerUnits=\"userSpaceOnUse\" markerWidth=\"10\" markerHeight=\"10\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#1f2328\"/></marker>\
         <marker id=\"arrow-red\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerUnits=\"userSpaceOnUse\" markerWidth=\"10\" markerHeight=\"10\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#c00000\"/></marker>\
         </defs>\n",
    );
    let _ = writeln!(out, r#"<rect x="0" y="0" width="{width}" height="{height}" fill="white"/>"#);
    let _ = writeln!(
        out,
        r#"<text x="8" y="22" font-size="16" font-weight="bold" fill="{INK}">{}</text>"#,
        escape(&diagram.title)
    );
    let _ = writeln!(out, r##"<text x="8" y="42" font-size="12" fill="#57606a">{}</text>"##, escape(&diagram.subtitle));
    // The step bands first, so that lifelines, arrows and spans are drawn over them.
    out.push_str(&bands);
    for lane in &diagram.lanes {
        let x = layout.x(*lane);
        let _ = writeln!(
            out,
            r##"<line class="lifeline" x1="{x}" y1="{}" x2="{x}" y2="{bottom}" stroke="#8c959f" stroke-dasharray="4,4"/>"##,
            HEAD_TOP + HEAD_HEIGHT
        );
    }
    out.push_str(&body);
    for span in &spans {
        let x = layout.x(span.lane) - 5;
        let end = span.bottom.unwrap_or(bottom);
        let open = if span.bottom.is_none() { " still-blocked" } else { "" };
        let _ = writeln!(
            out,
            r##"<rect class="blocked{open}" data-step="{}" x="{x}" y="{}" width="10" height="{}" fill="#c8d1ff" stroke="#4a5bd4"><title>{} blocked in its call</title></rect>"##,
            span.step,
            span.top + 6,
            end.saturating_sub(span.top + 6).max(4),
            span.lane
        );
    }
    for lane in &diagram.lanes {
        let x = layout.x(*lane);
        let _ = writeln!(out, r#"<g class="lane" data-lane="{lane}">"#);
        let _ = writeln!(
            out,
            r##"<rect x="{}" y="{HEAD_TOP}" width="{LANE_BOX}" height="{HEAD_HEIGHT}" rx="4" fill="#ddf4ff" stroke="#0969da"/>"##,
            x - LANE_BOX / 2
        );
        let _ = writeln!(
            out,
            r#"<text x="{x}" y="{}" font-size="14" font-weight="bold" text-anchor="middle" fill="{INK}">{lane}</text>"#,
            HEAD_TOP + 17
        );
        let _ = writeln!(
            out,
            r##"<text x="{x}" y="{}" font-size="11" text-anchor="middle" fill="#57606a">{}</text>"##,
            HEAD_TOP + 32,
            lane.caption()
        );
        let _ = writeln!(out, "</g>");
    }
    out.push_str("</svg>\n");
    out
}
