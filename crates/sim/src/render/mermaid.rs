//! The diagram as Mermaid `sequenceDiagram` text, for a pull request or a Markdown file.

use std::fmt::Write as _;

use super::{Diagram, Event, Lane};

/// Mermaid reads `;` as the end of a statement and `#` as the start of an entity: neither may appear in a label.
fn label(text: &str) -> String {
    text.replace(';', ",").replace('#', "no. ")
}

fn id(lane: Lane) -> String {
    lane.to_string()
}

pub(super) fn write(diagram: &Diagram) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "%% {}", label(&diagram.title));
    let _ = writeln!(out, "%% {}", label(&diagram.subtitle));
    out.push_str("sequenceDiagram\n");
    for lane in &diagram.lanes {
        let _ = writeln!(out, "    participant {} as {} ({})", id(*lane), lane, lane.caption());
    }
    let broken_row = diagram.broken.and_then(|broken| broken.row);
    for (index, row) in diagram.rows.iter().enumerate() {
        let red = broken_row == Some(index);
        let _ = writeln!(out, "    %% step {} (line {}): {}", index + 1, row.line, label(&row.text));
        if red {
            out.push_str("    rect rgb(255, 200, 200)\n");
        }
        let indent = if red { "        " } else { "    " };
        let mut first = true;
        for event in &row.events {
            // The step's number leads its first arrow or note, so that the picture and the trace line up.
            let number = if first { format!("{}. ", index + 1) } else { String::new() };
            match event {
                Event::Arrow { from, to, label: text, reply } => {
                    // A call that was not enabled ends in a cross.
                    let arrow = match (row.rejected, *reply) {
                        (true, _) => "--x",
                        (false, true) => "-->>",
                        (false, false) => "->>",
                    };
                    let _ = writeln!(out, "{indent}{}{arrow}{}: {number}{}", id(*from), id(*to), label(text));
                    first = false;
                }
                Event::Note { lane, text } => {
                    let _ = writeln!(out, "{indent}Note over {}: {number}{}", id(*lane), label(text));
                    first = false;
                }
                Event::Block(lane) => {
                    let _ = writeln!(out, "{indent}activate {}", id(*lane));
                }
                Event::Unblock(lane) => {
                    let _ = writeln!(out, "{indent}deactivate {}", id(*lane));
                }
            }
        }
        if red {
            let (first, last) = span(diagram);
            let text = diagram.violation_text().unwrap_or_default();
            let _ = writeln!(out, "        Note over {first},{last}: {}", label(&text));
            out.push_str("    end\n");
        }
    }
    if let (Some(text), None) = (diagram.violation_text(), broken_row) {
        let (first, last) = span(diagram);
        out.push_str("    rect rgb(255, 200, 200)\n");
        let _ = writeln!(out, "        Note over {first},{last}: {}", label(&text));
        out.push_str("    end\n");
    }
    out
}

/// The first and last lanes: a note over both spans the diagram.
fn span(diagram: &Diagram) -> (String, String) {
    let first = diagram.lanes.first().copied().unwrap_or(Lane::Store);
    let last = diagram.lanes.last().copied().unwrap_or(Lane::Store);
    (id(first), id(last))
}
