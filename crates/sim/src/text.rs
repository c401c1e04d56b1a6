//! The text of an input file (a scenario script or a seed file): the one place that decides how a file is read,
//! what a line is, and how much of an offending word a message quotes.
//!
//! Decisions (docs/SPEC.md section 6):
//! - A file is read whole, up to [`FILE_BYTES_MAX`] bytes; a longer one is malformed and nothing of it runs. The
//!   bound is applied while reading, so `/dev/zero` or an endless pipe costs at most that much memory.
//! - `-` names standard input.
//! - A UTF-8 byte-order mark at the very start is skipped.
//! - Lines end at LF; a CR just before the LF is part of the line end (CRLF). Every other control character (a CR
//!   elsewhere, VT, FF, NUL, NEL, ...) and the Unicode line and paragraph separators make the file malformed,
//!   wherever they are on the line, comments included: a lone CR is how a file with old Mac line ends would hide
//!   every step inside one comment line. A tab is white space.
//! - A line holds at most [`LINE_BYTES_MAX`] bytes, its line end excluded.

use std::borrow::Cow;
use std::io::Read;
use std::path::Path;

/// The most bytes an input file may hold (1 MiB).
pub const FILE_BYTES_MAX: usize = 1 << 20;

/// The most bytes a line may hold, its line end excluded.
pub const LINE_BYTES_MAX: usize = 4_096;

/// The most characters of an offending word that a message quotes.
pub const EXCERPT_CHARS_MAX: usize = 40;

/// The UTF-8 byte-order mark.
const BYTE_ORDER_MARK: &[u8] = b"\xEF\xBB\xBF";

/// A line that cannot be read: where (line and column from 1, the column counted in characters) and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineError {
    pub line: usize,
    pub column: usize,
    pub problem: String,
    pub expected: String,
}

/// The name of an input in messages: its path, or `<stdin>` for `-`.
pub fn input_name(path: &Path) -> String {
    if path == Path::new("-") {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    }
}

/// Reads a file, or standard input for `-`, keeping at most [`FILE_BYTES_MAX`] + 1 bytes (enough for
/// [`lines`] to tell that the file is too long). The error is a sentence for `FILE: error: ...`.
pub fn read(path: &Path) -> Result<Vec<u8>, String> {
    let limit = FILE_BYTES_MAX as u64 + 1;
    let mut bytes = Vec::new();
    let result = if path == Path::new("-") {
        std::io::stdin().lock().take(limit).read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|file| file.take(limit).read_to_end(&mut bytes))
    };
    result.map(|_| bytes).map_err(|error| format!("cannot read the file ({error})"))
}

/// The lines of a file, numbered from 1, each either its text without the line end or why it cannot be read.
/// A file longer than [`FILE_BYTES_MAX`] gives one error, on the line where the bound falls, and nothing else.
pub fn lines(source: &[u8]) -> Lines<'_> {
    if source.len() > FILE_BYTES_MAX {
        let line = source[..FILE_BYTES_MAX].iter().filter(|&&byte| byte == b'\n').count() + 1;
        return Lines { rest: &[], line: 0, too_long_at: Some(line) };
    }
    let rest = source.strip_prefix(BYTE_ORDER_MARK).unwrap_or(source);
    Lines { rest, line: 0, too_long_at: None }
}

/// The iterator of [`lines`].
pub struct Lines<'a> {
    rest: &'a [u8],
    line: usize,
    too_long_at: Option<usize>,
}

impl<'a> Lines<'a> {
    /// The bytes after the last line returned, untouched.
    pub fn rest(&self) -> &'a [u8] {
        self.rest
    }
}

impl<'a> Iterator for Lines<'a> {
    type Item = (usize, Result<&'a str, LineError>);

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(line) = self.too_long_at.take() {
            let error = LineError {
                line,
                column: 1,
                problem: format!("the file is longer than {FILE_BYTES_MAX} bytes"),
                expected: format!("a file of at most {FILE_BYTES_MAX} bytes (1 MiB)"),
            };
            return Some((line, Err(error)));
        }
        if self.rest.is_empty() {
            return None;
        }
        self.line += 1;
        let (bytes, rest) = match self.rest.iter().position(|&byte| byte == b'\n') {
            // A CR is part of the line end only just before an LF (CRLF).
            Some(end) => {
                let line = &self.rest[..end];
                (line.strip_suffix(b"\r").unwrap_or(line), &self.rest[end + 1..])
            }
            None => (self.rest, &[][..]),
        };
        self.rest = rest;
        Some((self.line, line_text(self.line, bytes)))
    }
}

/// Checks one line's bytes (without the line end): its length, its encoding, its characters.
fn line_text(line: usize, bytes: &[u8]) -> Result<&str, LineError> {
    let error = |column: usize, problem: String, expected: &str| LineError {
        line,
        column,
        problem,
        expected: expected.to_string(),
    };
    if bytes.len() > LINE_BYTES_MAX {
        let column = String::from_utf8_lossy(&bytes[..LINE_BYTES_MAX]).chars().count() + 1;
        let problem = format!("the line is {} bytes long", bytes.len());
        return Err(error(column, problem, &format!("a line of at most {LINE_BYTES_MAX} bytes")));
    }
    let text = std::str::from_utf8(bytes).map_err(|utf8| {
        let valid = std::str::from_utf8(&bytes[..utf8.valid_up_to()]).unwrap_or_default();
        error(valid.chars().count() + 1, "this line is not valid UTF-8".to_string(), "UTF-8 text")
    })?;
    match text.chars().enumerate().find(|(_, character)| forbidden(*character)) {
        None => Ok(text),
        Some((index, character)) => {
            let kind = if character.is_control() { "control" } else { "invisible" };
            Err(error(
                index + 1,
                format!("{kind} character U+{:04X} in the line", u32::from(character)),
                "LF or CRLF line ends, and no other control or invisible character than tab",
            ))
        }
    }
}

/// A character no line may hold: a control character other than tab, a Unicode line or paragraph separator, or a
/// byte-order mark after the start of the file (it would be an invisible part of a word).
pub fn forbidden(character: char) -> bool {
    (character.is_control() && character != '\t') || matches!(character, '\u{2028}' | '\u{2029}' | '\u{feff}')
}

/// At most [`EXCERPT_CHARS_MAX`] characters of a word, with `...` where it was cut.
pub fn excerpt(word: &str) -> Cow<'_, str> {
    match word.char_indices().nth(EXCERPT_CHARS_MAX) {
        None => Cow::Borrowed(word),
        Some((cut, _)) => Cow::Owned(format!("{}...", &word[..cut])),
    }
}

/// A message with every long word cut to an [`excerpt`] (a quoted word keeps its opening backtick and gets its
/// closing one back). Words are what lies between spaces, so that a backtick inside an offending word cannot make
/// it escape the cut.
pub fn with_excerpts(message: &str) -> String {
    message
        .split(' ')
        .map(|word| {
            // The quotes and a following `;` or `,` do not count against the excerpt.
            if word.chars().count() <= EXCERPT_CHARS_MAX + 3 {
                return Cow::Borrowed(word);
            }
            let Some(quoted) = word.strip_prefix('`') else {
                return Cow::Owned(excerpt(word).into_owned());
            };
            // Punctuation after the closing backtick (`;`, `,`) is kept.
            let (inner, tail) = match quoted.rfind('`') {
                Some(close) if quoted.len() - close <= 2 => (&quoted[..close], &quoted[close + 1..]),
                _ => (quoted, ""),
            };
            Cow::Owned(format!("`{}`{tail}", excerpt(inner)))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `1 step`, `2 steps`.
pub fn plural(count: u64, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(source: &[u8]) -> Vec<(usize, Result<&str, LineError>)> {
        lines(source).collect()
    }

    /// Shows that LF and CRLF end lines, that a final line end adds no line, and that a BOM is skipped.
    #[test]
    fn lf_and_crlf_end_lines() {
        assert_eq!(all(b"a\nb\r\nc"), vec![(1, Ok("a")), (2, Ok("b")), (3, Ok("c"))]);
        assert_eq!(all(b"a\n"), vec![(1, Ok("a"))]);
        assert_eq!(all(b"\xEF\xBB\xBFa\n"), vec![(1, Ok("a"))]);
        assert_eq!(all(b""), vec![]);
        assert_eq!(all(b"\n\n"), vec![(1, Ok("")), (2, Ok(""))]);
        let lone_cr_at_the_end = all(b"c0 addref\r");
        assert_eq!(lone_cr_at_the_end[0].1.as_ref().unwrap_err().column, 10, "a CR without LF ends no line");
        let second_bom = all(b"\xEF\xBB\xBF\xEF\xBB\xBFc0 addref\n");
        assert!(second_bom[0].1.as_ref().unwrap_err().problem.starts_with("invisible character U+FEFF"));
    }

    /// Shows that every other line separator and control character is refused, at its column, comments included.
    #[test]
    fn other_separators_are_refused() {
        for separator in ["\r", "\u{b}", "\u{c}", "\0", "\u{85}", "\u{2028}", "\u{2029}", "\u{1b}"] {
            let source = format!("c0 release{separator}# hidden\n");
            let found = all(source.as_bytes());
            let (line, Err(error)) = &found[0] else { panic!("{separator:?} accepted") };
            assert_eq!((*line, error.column), (1, 11), "{separator:?}");
            assert!(error.problem.contains(" character U+"), "{}", error.problem);
        }
        assert_eq!(all(b"a\tb"), vec![(1, Ok("a\tb"))]);
    }

    /// Shows the bounds: a line one byte too long and a file one byte too long are each one error.
    #[test]
    fn lines_and_files_are_bounded() {
        let long = vec![b'x'; LINE_BYTES_MAX + 1];
        let found = all(&long);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].1.as_ref().unwrap_err().column, LINE_BYTES_MAX + 1);
        assert_eq!(all(&long[1..]).len(), 1);
        assert!(all(&long[1..])[0].1.is_ok());
        let big = b"c0 release\n".repeat(FILE_BYTES_MAX / 11 + 1);
        let found = all(&big);
        assert_eq!(found.len(), 1);
        assert!(found[0].1.as_ref().unwrap_err().problem.contains("longer than"));
        assert_eq!(all(&big[..FILE_BYTES_MAX]).len(), FILE_BYTES_MAX / 11 + 1);
    }

    /// Shows that quotes are cut to a short excerpt and short ones are kept.
    #[test]
    fn quotes_are_cut() {
        let long = "x".repeat(1000);
        let message = with_excerpts(&format!("unknown verb `{long}`; expected `a`"));
        assert_eq!(message, format!("unknown verb `{}...`; expected `a`", "x".repeat(EXCERPT_CHARS_MAX)));
        let message = with_excerpts(&format!("unknown verb `{long}`{long}`; expected `a`"));
        assert_eq!(message, format!("unknown verb `{}...`; expected `a`", "x".repeat(EXCERPT_CHARS_MAX)));
        assert_eq!(with_excerpts("a `b`; c"), "a `b`; c");
        assert_eq!(excerpt("héllo"), "héllo");
    }
}
