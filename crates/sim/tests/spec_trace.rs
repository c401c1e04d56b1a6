//! SPEC.md traced to the pages (issue 15): every requirement R1-R21 and every value of every knob of
//! `Profile::KNOBS` has, in its own place in docs/SPEC.md, a sentence of a page quoted exactly or a `Decision:` mark;
//! and every sentence quoted from a page is that page's text, verbatim, in docs/pages/.
//!
//! The format this test reads (SPEC.md's "How to read this document" says it too):
//! - a quote is `page NNN: "SENTENCE"` or `pages NNN, NNN: "SENTENCE"` (also `pages NNN-NNN` and `pages NNN and
//!   NNN`); more quotes from the same pages may follow, separated by white space only: `page 004: "A." "B."`;
//! - a requirement's place is its list item, the line `- RN. ...` and the indented lines under it;
//! - a knob value's place is the list item `- `KNOB=VALUE` ...` and the indented lines under it.
//!
//! A quoted sentence must appear in the file of each page it is attributed to, after both sides are normalised:
//! HTML tags dropped, HTML entities decoded, Markdown markup (`**bold**`, `_parameter_`, `[text](target)`) reduced
//! to its text, and runs of white space taken as one space. It is looked for in the page's English sentences (the
//! `sxs-lookup` spans) joined by spaces, and in the page's whole text (which holds the translation, page 000's
//! only text, and the one English line outside the spans). It must read as a sentence: it starts with no
//! lower-case letter and ends with `.`, `:` or `;`.

use logoff_core::Profile;
use std::collections::BTreeMap;

mod common;

/// A run of quotes attributed to the same pages.
#[derive(Debug)]
struct Quote {
    pages: Vec<u32>,
    text: String,
    /// 1-based line of SPEC.md where the quote starts.
    line: usize,
}

/// Reduces a page's text, or a quote, to what a reader sees: no HTML tags or entities, no Markdown emphasis or link
/// targets, single spaces.
fn normalise(text: &str) -> String {
    // HTML tags.
    let mut untagged = String::with_capacity(text.len());
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => untagged.push(c),
            _ => {}
        }
    }
    // HTML entities.
    let mut decoded = String::with_capacity(untagged.len());
    let mut rest = untagged.as_str();
    while let Some(at) = rest.find('&') {
        decoded.push_str(&rest[..at]);
        rest = &rest[at..];
        let entity = rest.find(';').filter(|end| *end <= 10).map(|end| (&rest[1..end], end));
        let character = entity.and_then(|(name, _)| match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some(' '),
            _ => {
                let number = name.strip_prefix('#')?;
                let value = match number.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                    None => number.parse().ok()?,
                };
                char::from_u32(value)
            }
        });
        match (character, entity) {
            (Some(c), Some((_, end))) => {
                decoded.push(c);
                rest = &rest[end + 1..];
            }
            _ => {
                decoded.push('&');
                rest = &rest[1..];
            }
        }
    }
    decoded.push_str(rest);
    // Markdown links: `[text](target)` is `text`.
    let mut unlinked = String::with_capacity(decoded.len());
    let mut rest = decoded.as_str();
    while let Some(open) = rest.find('[') {
        unlinked.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let link = after.find(']').and_then(|close| {
            let target = after[close + 1..].strip_prefix('(')?;
            let end = target.find(')')?;
            Some((&after[..close], &target[end + 1..]))
        });
        match link {
            Some((text, next)) if !text.contains('[') => {
                unlinked.push_str(text);
                rest = next;
            }
            _ => {
                unlinked.push('[');
                rest = after;
            }
        }
    }
    unlinked.push_str(rest);
    // Bold, then an underscore that opens or closes an emphasis (not one inside a word, as in LOGOFF_ABORT).
    let unbold = unlinked.replace("**", "");
    let chars: Vec<char> = unbold.chars().collect();
    let word = |i: Option<usize>| i.and_then(|i| chars.get(i)).is_some_and(|c| c.is_alphanumeric());
    let plain: String = chars
        .iter()
        .enumerate()
        .filter(|(i, c)| **c != '_' || (word(i.checked_sub(1)) && word(Some(i + 1))))
        .map(|(_, c)| *c)
        .collect();
    plain.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The texts a quote of a page may be found in: its English sentences joined by spaces, and its whole text.
fn page_texts(raw: &str) -> [String; 2] {
    let marker = "<span class=\"sxs-lookup\"><span data-stu-id=\"";
    let mut english = Vec::new();
    let mut rest = raw;
    while let Some(at) = rest.find(marker) {
        rest = &rest[at + marker.len()..];
        let Some(start) = rest.find("\">") else { break };
        rest = &rest[start + 2..];
        let end = rest.find("</span>").unwrap_or(rest.len());
        english.push(normalise(&rest[..end]));
        rest = &rest[end..];
    }
    [english.join(" "), normalise(raw)]
}

/// The page numbers of an attribution such as `004`, `001, 002`, `001 and 002` or `000-002`, if `text` starts
/// with one followed by a colon and an opening quotation mark (white space, line ends included, may stand between
/// the parts); returns them and the rest of `text` from that quotation mark.
fn attribution(text: &str) -> Option<(Vec<u32>, &str)> {
    fn number(s: &str) -> Option<(u32, &str)> {
        let digits = s.get(..3)?;
        let rest = &s[3..];
        if !digits.bytes().all(|b| b.is_ascii_digit()) || rest.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        Some((digits.parse().ok()?, rest))
    }
    let (first, mut rest) = number(text)?;
    let mut pages = vec![first];
    loop {
        if let Some(after) = rest.strip_prefix(':') {
            let quote = after.trim_start();
            return (quote.starts_with('"') && quote.len() < after.len()).then_some((pages, quote));
        }
        if let Some(after) = rest.strip_prefix('-') {
            let (last, after) = number(after)?;
            let from = *pages.last()?;
            if last <= from {
                return None;
            }
            pages.extend(from + 1..=last);
            rest = after;
        } else {
            let after = match rest.strip_prefix(',') {
                Some(after) => after.trim_start(),
                None => rest.trim_start().strip_prefix("and")?.trim_start(),
            };
            let (next, after) = number(after)?;
            pages.push(next);
            rest = after;
        }
    }
}

/// Every quote attributed to a page in `text`, in order; `first_line` is the line `text` starts at.
fn quotes(text: &str, first_line: usize) -> Vec<Quote> {
    let mut found = Vec::new();
    let mut search = 0;
    while let Some(at) = text[search..].find("age").map(|a| a + search) {
        search = at + 3;
        let Some(start) = at.checked_sub(1).filter(|p| matches!(&text.as_bytes()[*p], b'p' | b'P')) else {
            continue;
        };
        if text[..start].chars().next_back().is_some_and(|c| c.is_alphanumeric()) {
            continue;
        }
        let after = &text[at + 3..];
        let after = after.strip_prefix('s').unwrap_or(after);
        let numbers = after.trim_start();
        if numbers.len() == after.len() {
            continue;
        }
        let Some((pages, mut rest)) = attribution(numbers) else { continue };
        // `rest` starts at an opening quotation mark; read quotes while only white space separates them.
        while let Some(inside) = rest.strip_prefix('"') {
            let Some(end) = inside.find('"') else { break };
            let start = text.len() - inside.len();
            found.push(Quote {
                pages: pages.clone(),
                text: inside[..end].to_string(),
                line: first_line + text[..start].matches('\n').count(),
            });
            rest = inside[end + 1..].trim_start();
            search = text.len() - rest.len();
        }
    }
    found
}

/// The list items of SPEC.md whose first line starts with `prefix`: for each, the rest of its first line and the
/// item's whole text (its first line and the indented lines under it), and its 1-based line.
fn items<'a>(spec: &'a str, prefix: &str) -> Vec<(&'a str, String, usize)> {
    let lines: Vec<&str> = spec.lines().collect();
    let mut found = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let Some(head) = line.strip_prefix(prefix) else { continue };
        let mut item = line.to_string();
        for next in &lines[index + 1..] {
            if next.trim().is_empty() || !next.starts_with([' ', '\t']) {
                break;
            }
            item.push('\n');
            item.push_str(next);
        }
        found.push((head, item, index + 1));
    }
    found
}

/// Whether a place of SPEC.md rests on something: a quote of a page or a `Decision:` mark.
fn traced(item: &str) -> bool {
    item.contains("Decision:") || !quotes(item, 1).is_empty()
}

/// Everything wrong with `spec` (the text of SPEC.md) against `pages` (page number to the raw text of its file)
/// and `knob_values` (each knob with each of its values); empty when nothing is.
fn check(spec: &str, pages: &BTreeMap<u32, String>, knob_values: &[(String, String)]) -> Vec<String> {
    let mut problems = Vec::new();
    let texts: BTreeMap<u32, [String; 2]> = pages.iter().map(|(n, raw)| (*n, page_texts(raw))).collect();
    for quote in quotes(spec, 1) {
        let wanted = normalise(&quote.text);
        let sentence = wanted.chars().next().is_some_and(|c| !c.is_lowercase()) && wanted.ends_with(['.', ':', ';']);
        if !sentence {
            problems.push(format!(
                "SPEC.md:{}: the quote \"{}\" is not a whole sentence (expected a first letter that is not lower \
                 case and a last character `.`, `:` or `;`)",
                quote.line, quote.text
            ));
        }
        for page in &quote.pages {
            match texts.get(page) {
                None => problems.push(format!(
                    "SPEC.md:{}: a quote is attributed to page {page:03}, which is not in docs/pages/ (expected one \
                     of {:03?})",
                    quote.line,
                    pages.keys().collect::<Vec<_>>()
                )),
                Some(both) if !both.iter().any(|text| text.contains(&wanted)) => problems.push(format!(
                    "SPEC.md:{}: the quote \"{wanted}\" is not in page {page:03} (expected its verbatim text)",
                    quote.line
                )),
                Some(_) => {}
            }
        }
    }
    let requirements = items(spec, "- R");
    let mut numbered: BTreeMap<u32, Vec<(String, usize)>> = BTreeMap::new();
    for (head, item, line) in &requirements {
        let digits: String = head.chars().take_while(char::is_ascii_digit).collect();
        if let (Ok(number), true) = (digits.parse::<u32>(), head[digits.len()..].starts_with(". ")) {
            numbered.entry(number).or_default().push((item.clone(), *line));
        }
    }
    for number in 1..=21 {
        if !numbered.contains_key(&number) {
            problems.push(format!("R{number}: no list item `- R{number}. ` in SPEC.md (expected one)"));
        }
    }
    for (number, places) in &numbered {
        if places.len() > 1 {
            let lines: Vec<usize> = places.iter().map(|(_, line)| *line).collect();
            problems
                .push(format!("R{number}: {} list items in SPEC.md, at lines {lines:?} (expected one)", places.len()));
        }
        for (item, line) in places {
            if !traced(item) {
                problems.push(format!(
                    "SPEC.md:{line}: R{number} has neither a quote of a page (page NNN: \"...\") nor a `Decision:` \
                     mark"
                ));
            }
        }
    }
    for (knob, value) in knob_values {
        let prefix = format!("- `{knob}={value}`");
        let places = items(spec, &prefix);
        match places.as_slice() {
            [] => {
                problems.push(format!("knob value {knob}={value}: no list item `{prefix}` in SPEC.md (expected one)"))
            }
            [(_, item, line)] => {
                if !traced(item) {
                    problems.push(format!(
                        "SPEC.md:{line}: {knob}={value} has neither a quote of a page (page NNN: \"...\") nor a \
                         `Decision:` mark"
                    ));
                }
            }
            more => problems.push(format!(
                "knob value {knob}={value}: {} list items `{prefix}` in SPEC.md (expected one)",
                more.len()
            )),
        }
    }
    problems
}

/// The page files of docs/pages/, by number (`004_....txt` is page 4).
fn pages() -> BTreeMap<u32, String> {
    let mut pages = BTreeMap::new();
    for path in common::files("docs/pages", "txt") {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let number: u32 =
            name.get(..3).and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("{name}: no page number"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(pages.insert(number, text).is_none(), "two files for page {number:03}");
    }
    pages
}

/// Each knob of the profile with each of its two values, from the code (so a new knob is checked at once).
fn knob_values() -> Vec<(String, String)> {
    let first = Profile::from_index(0).values();
    let last = Profile::from_index(Profile::COUNT - 1).values();
    Profile::KNOBS
        .iter()
        .zip(first.iter().zip(last.iter()))
        .flat_map(|(knob, (a, b))| [(knob.to_string(), a.to_string()), (knob.to_string(), b.to_string())])
        .collect()
}

fn spec() -> String {
    std::fs::read_to_string(common::workspace_dir("docs/SPEC.md")).expect("docs/SPEC.md can be read")
}

/// Shows that docs/SPEC.md is traced: every requirement and knob value rests on a quote or a decision, and every
/// quote is its page's text.
#[test]
fn spec_is_traced_to_the_pages() {
    let spec = spec();
    let problems = check(&spec, &pages(), &knob_values());
    assert!(problems.is_empty(), "docs/SPEC.md is not traced to docs/pages/:\n{}", problems.join("\n"));
    // The check looked at something: SPEC.md quotes every page, and many times.
    let quoted = quotes(&spec, 1);
    for page in 0..=4 {
        assert!(quoted.iter().any(|q| q.pages.contains(&page)), "no quote of page {page:03}");
    }
    assert!(quoted.len() >= 40, "only {} quotes", quoted.len());
}

/// Shows that the five page files are there and are what the project received (their sizes), so that a quote
/// cannot pass against an edited page.
#[test]
fn page_files_are_the_received_ones() {
    let sizes: Vec<(u32, usize)> = pages().iter().map(|(n, text)| (*n, text.len())).collect();
    assert_eq!(sizes, [(0, 5884), (1, 18674), (2, 15686), (3, 7859), (4, 13606)]);
}

/// The place of R`number` in `spec`: its list item's text.
fn requirement(spec: &str, number: u32) -> String {
    let prefix = format!("- R{number}. ");
    items(spec, &prefix).pop().unwrap_or_else(|| panic!("no R{number}")).1
}

/// Shows that one altered word in one quote fails the check, naming the line.
#[test]
fn an_altered_quote_fails() {
    let spec = spec();
    let item = requirement(&spec, 10);
    let quote = &quotes(&item, 1)[0];
    let altered_quote = quote.text.replacen("the", "teh", 1);
    assert_ne!(altered_quote, quote.text);
    let altered = spec.replacen(&item, &item.replacen(&quote.text, &altered_quote, 1), 1);
    let problems = check(&altered, &pages(), &knob_values());
    assert_eq!(problems.len(), quote.pages.len(), "{problems:#?}");
    assert!(problems[0].contains("is not in page") && problems[0].contains("teh"), "{problems:#?}");
}

/// Shows that a quote attributed to the wrong page fails: page 003's sentence is not on page 004.
#[test]
fn a_quote_of_another_page_fails() {
    let spec = spec();
    let item = requirement(&spec, 18);
    assert!(item.contains("page 003: \""), "{item}");
    let moved = spec.replacen(&item, &item.replacen("page 003: \"", "page 004: \"", 1), 1);
    let problems = check(&moved, &pages(), &knob_values());
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(problems[0].contains("is not in page 004"), "{problems:#?}");
}

/// Shows that a requirement stripped of its quotes and decisions fails, naming it; and one missing altogether.
#[test]
fn a_requirement_without_a_source_fails() {
    let spec = spec();
    let item = requirement(&spec, 5);
    let first_line = item.lines().next().unwrap();
    let stripped = spec.replacen(&item, "- R5. The provider does what it likes.", 1);
    let problems = check(&stripped, &pages(), &knob_values());
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(problems[0].contains("R5 has neither"), "{problems:#?}");
    let removed = spec.replacen(&item, "", 1);
    let problems = check(&removed, &pages(), &knob_values());
    assert!(problems.iter().any(|p| p.contains("no list item `- R5. `")), "{problems:#?}: {first_line}");
}

/// Shows that every knob value needs its own place: a new knob (here one the code does not have) fails until SPEC.md
/// documents both its values, and a value stripped of its quotes fails.
#[test]
fn an_undocumented_knob_value_fails() {
    let spec = spec();
    let mut knobs = knob_values();
    knobs.push(("new_knob".to_string(), "first".to_string()));
    let problems = check(&spec, &pages(), &knobs);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(problems[0].contains("new_knob=first"), "{problems:#?}");
    let (_, item, _) = items(&spec, "- `call_site=eager`").pop().expect("call_site=eager has its place");
    let stripped = spec.replacen(&item, "- `call_site=eager`: the call is made from StoreLogoff.", 1);
    let problems = check(&stripped, &pages(), &knob_values());
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(problems[0].contains("call_site=eager has neither"), "{problems:#?}");
}

/// Shows the normalisation: markup on the page side, line breaks and indentation on SPEC.md's side, the attribution
/// forms, and that a fragment or a page that does not exist is refused.
#[test]
fn quotes_are_matched_after_normalising_both_sides() {
    let page = "<span data-ttu-id=\"x-1\">Traducción.</span><span class=\"sxs-lookup\"><span data-stu-id=\"x-1\">Call \
                **StoreLogoff** with  _ulFlags_ set to LOGOFF_ORDERLY, see [IXPLogon::AddressTypes](a.md) &amp; \
                more.</span></span> <span data-ttu-id=\"x-2\">Otra.</span><span class=\"sxs-lookup\"><span \
                data-stu-id=\"x-2\">Second sentence.</span></span>";
    let pages = BTreeMap::from([(1, page.to_string()), (2, page.to_string())]);
    let good = "- R1. Something.\n  pages 001, 002: \"Call StoreLogoff with ulFlags set to LOGOFF_ORDERLY, see\n  \
                IXPLogon::AddressTypes & more.\" \"Second sentence.\"\n";
    let found = quotes(good, 1);
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[1].pages, [1, 2]);
    assert_eq!(found[0].line, 2);
    let only = |problems: Vec<String>| -> Vec<String> {
        problems.into_iter().filter(|p| !p.starts_with("R") || p.starts_with("R1:")).collect()
    };
    assert!(only(check(good, &pages, &[])).is_empty());
    // Across the two sentences, with the translation between them in the page's whole text: found in the English.
    let across = "- R1. x; page 001: \"LOGOFF_ORDERLY, see IXPLogon::AddressTypes & more. Second sentence.\"\n";
    assert_eq!(only(check(across, &pages, &[])).len(), 0);
    let broken = "- R1. x; pages\n  001 and\n  002:\n  \"Second sentence.\"\n";
    assert_eq!(quotes(broken, 1)[0].pages, [1, 2]);
    assert_eq!(quotes(broken, 1)[0].line, 4);
    let range = "- R1. x; pages 001-002: \"Second sentence.\"\n";
    assert_eq!(quotes(range, 1)[0].pages, [1, 2]);
    assert_eq!(only(check(range, &pages, &[])).len(), 0);
    for bad in [
        "- R1. x; page 001: \"sentence.\"\n",
        "- R1. x; page 001: \"Second sentence\"\n",
        "- R1. x; pages 001-003: \"Second sentence.\"\n",
        "- R1. x; page 001: \"Call StoreLogoff with ulFlags set to LOGOFF ORDERLY, see IXPLogon::AddressTypes & more.\"\n",
    ] {
        assert_eq!(only(check(bad, &pages, &[])).len(), 1, "{bad}");
    }
    // Not an attribution (no colon): not a quote, so R1 rests on nothing.
    let loose = "- R1. As page 001 \"Second sentence.\" says.\n";
    assert!(quotes(loose, 1).is_empty());
    assert!(check(loose, &pages, &[]).iter().any(|p| p.contains("R1 has neither")));
}
