//! The diagram as one self-contained HTML page: the SVG with the trace beside it, and buttons (or the arrow keys)
//! that step through the run. Nothing is fetched: no script, style or font comes from elsewhere.

use std::fmt::Write as _;

use super::svg::escape;
use super::Diagram;

const STYLE: &str = "\
body { font-family: DejaVu Sans, Arial, Helvetica, sans-serif; margin: 16px; color: #1f2328; }
#controls { margin-bottom: 12px; }
#controls button { font-size: 14px; margin-right: 4px; }
#position { margin-left: 8px; font-size: 13px; }
.layout { display: flex; align-items: flex-start; gap: 16px; }
.layout > div:last-child { min-width: 30em; }
.picture { flex: none; max-width: 72vw; overflow-x: auto; }
ol.trace { font-family: DejaVu Sans Mono, Consolas, monospace; font-size: 12px; margin: 0; padding-left: 3.5em; \
max-width: 46em; }
ol.trace li { padding: 1px 4px; white-space: pre-wrap; cursor: pointer; }
ol.trace li.current { background: #ddf4ff; }
ol.trace li.later { color: #8c959f; }
ol.trace li.violation { color: #c00000; font-weight: bold; }
p.verdict { font-weight: bold; }
p.verdict.violation { color: #c00000; }
";

const SCRIPT: &str = "\
(function () {
  var steps = document.querySelectorAll('ol.trace li');
  var last = steps.length;
  var current = last;
  function show(n) {
    current = Math.max(0, Math.min(last, n));
    document.querySelectorAll('svg [data-step]').forEach(function (element) {
      var step = parseInt(element.getAttribute('data-step'), 10);
      element.style.visibility = step <= current ? 'visible' : 'hidden';
    });
    steps.forEach(function (item, index) {
      item.classList.toggle('current', index + 1 === current);
      item.classList.toggle('later', index + 1 > current);
    });
    document.getElementById('position').textContent = 'step ' + current + ' of ' + last;
  }
  document.getElementById('first').onclick = function () { show(0); };
  document.getElementById('previous').onclick = function () { show(current - 1); };
  document.getElementById('next').onclick = function () { show(current + 1); };
  document.getElementById('all').onclick = function () { show(last); };
  steps.forEach(function (item, index) { item.onclick = function () { show(index + 1); }; });
  document.addEventListener('keydown', function (event) {
    if (event.key === 'ArrowRight' || event.key === 'ArrowDown') { show(current + 1); event.preventDefault(); }
    if (event.key === 'ArrowLeft' || event.key === 'ArrowUp') { show(current - 1); event.preventDefault(); }
    if (event.key === 'Home') { show(0); }
    if (event.key === 'End') { show(last); }
  });
  // `page.html#step=N` opens the page at step N.
  var wanted = /^#step=([0-9]+)$/.exec(window.location.hash);
  show(wanted ? parseInt(wanted[1], 10) : last);
})();
";

pub(super) fn write(diagram: &Diagram) -> String {
    let svg = super::svg::write(diagram);
    let broken_row = diagram.broken.and_then(|broken| broken.row);
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    let _ = writeln!(out, "<title>{}</title>", escape(&diagram.title));
    let _ = writeln!(out, "<style>\n{STYLE}</style>\n</head>\n<body>");
    out.push_str(
        "<div id=\"controls\"><button id=\"first\">start</button><button id=\"previous\">&#x25C0; back</button>\
         <button id=\"next\">next &#x25B6;</button><button id=\"all\">end</button>\
         <span id=\"position\"></span></div>\n",
    );
    out.push_str("<div class=\"layout\">\n<div class=\"picture\">\n");
    out.push_str(&svg);
    out.push_str("</div>\n<div>\n<ol class=\"trace\">\n");
    for (index, row) in diagram.rows.iter().enumerate() {
        let class = if broken_row == Some(index) { " class=\"violation\"" } else { "" };
        let rejected = if row.rejected { "   (not enabled)" } else { "" };
        let _ = writeln!(
            out,
            "<li{class} data-line=\"{}\">line {}: {}{rejected}</li>",
            row.line,
            row.line,
            escape(&row.text)
        );
    }
    if let (Some(_), None) = (diagram.broken, broken_row) {
        out.push_str("<li class=\"violation\">after the last step: the world settles</li>\n");
    }
    out.push_str("</ol>\n");
    match (diagram.violation_text(), &diagram.failed) {
        (Some(text), _) => {
            let _ = writeln!(out, "<p class=\"verdict violation\">{}</p>", escape(&text));
        }
        (None, Some(why)) => {
            let text = format!("no verdict: the provider under test failed: {why}");
            let _ = writeln!(out, "<p class=\"verdict violation\">{}</p>", escape(&text));
        }
        (None, None) => {
            out.push_str("<p class=\"verdict\">clean: no invariant broken, and every blocked call returns</p>\n")
        }
    }
    let _ = writeln!(out, "</div>\n</div>\n<script>\n{SCRIPT}</script>\n</body>\n</html>");
    out
}
