//! The words of a script line and the values they name: a line cut into words with their columns, a cursor
//! over them, the `Problem` a malformed word gives, and the readers of numbers, names, flags, HRESULTs and modes.

use logoff_core::{FlushFlags, HResult, LogoffFlags, MessageId, Mode, TransportLogoffFlags, MESSAGES_MAX};

use crate::text;

/// An error on one line, before the file and line are known.
#[derive(Debug)]
pub(super) struct Problem {
    pub(super) column: usize,
    pub(super) problem: String,
    pub(super) expected: String,
}

impl Problem {
    /// A problem at a column. Every word the message quotes between backticks is cut to a short excerpt, so that a
    /// megabyte-long word gives a one-line message.
    pub(super) fn new(column: usize, problem: impl Into<String>, expected: impl Into<String>) -> Problem {
        Problem { column, problem: text::with_excerpts(&problem.into()), expected: expected.into() }
    }
}

/// One word of a line and the column (in characters, from 1) where it starts.
#[derive(Clone, Copy, Debug)]
pub(super) struct Word<'a> {
    pub(super) text: &'a str,
    pub(super) column: usize,
}

impl Word<'_> {
    /// The column of the character `offset` bytes into the word.
    pub(super) fn column_at(&self, offset: usize) -> usize {
        self.column + self.text.get(..offset).map_or(0, |prefix| prefix.chars().count())
    }
}

/// Splits a line into words, dropping its comment.
pub(super) fn words(line: &str) -> Vec<Word<'_>> {
    let content = line.split('#').next().unwrap_or_default();
    let mut words = Vec::new();
    let mut start: Option<(usize, usize)> = None;
    let mut column = 0;
    for (offset, character) in content.char_indices() {
        column += 1;
        match (character.is_ascii_whitespace(), start) {
            (true, Some((begin, begin_column))) => {
                words.push(Word { text: &content[begin..offset], column: begin_column });
                start = None;
            }
            (false, None) => start = Some((offset, column)),
            _ => {}
        }
    }
    if let Some((begin, begin_column)) = start {
        words.push(Word { text: &content[begin..], column: begin_column });
    }
    words
}

/// The words of one line, read left to right.
pub(super) struct Cursor<'w, 'a> {
    pub(super) words: &'w [Word<'a>],
    pub(super) next: usize,
}

impl<'a> Cursor<'_, 'a> {
    /// The column just after the last word, where a missing word would go.
    pub(super) fn end_column(&self) -> usize {
        self.words.last().map_or(1, |word| word.column + word.text.chars().count())
    }

    pub(super) fn peek(&self) -> Option<Word<'a>> {
        self.words.get(self.next).copied()
    }

    /// The next word, or a problem saying that `what` is missing and `expected` was expected.
    pub(super) fn take(&mut self, what: &str, expected: &str) -> Result<Word<'a>, Problem> {
        let word = self.peek().ok_or_else(|| Problem::new(self.end_column(), format!("missing {what}"), expected))?;
        self.next += 1;
        Ok(word)
    }

    pub(super) fn rest(&mut self) -> &[Word<'a>] {
        let rest = self.words.get(self.next..).unwrap_or_default();
        self.next = self.words.len();
        rest
    }

    pub(super) fn finish(&self) -> Result<(), Problem> {
        match self.peek() {
            None => Ok(()),
            Some(word) => Err(Problem::new(word.column, format!("unexpected `{}`", word.text), "the end of the line")),
        }
    }
}

/// Names separated by commas, for "expected one of ...".
pub(super) fn one_of(names: &[&str]) -> String {
    format!("one of {}", names.join(", "))
}
/// A message name: within the model's bound (`m0` to `m31`) whatever the setup.
pub(super) fn message(word: Word<'_>) -> Result<MessageId, Problem> {
    let number = name_number(word, 'm', "message")?;
    match u8::try_from(number) {
        Ok(id) if number < MESSAGES_MAX as u64 => Ok(MessageId(id)),
        _ => Err(Problem::new(
            word.column,
            format!("message `{}` is beyond the last message m{}", word.text, MESSAGES_MAX - 1),
            format!("m0 to m{}", MESSAGES_MAX - 1),
        )),
    }
}

/// Whether a word is shaped like a name with this prefix (a letter then digits), valid or not.
pub(super) fn looks_like_name(word: Word<'_>, prefix: char) -> bool {
    word.text
        .strip_prefix(prefix)
        .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
}

/// The number of a name such as `c0` or `m12`: the prefix, then decimal digits without leading zeros.
pub(super) fn name_number(word: Word<'_>, prefix: char, noun: &str) -> Result<u64, Problem> {
    let digits = word.text.strip_prefix(prefix).unwrap_or_default();
    let well_formed =
        !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) && (digits == "0" || !digits.starts_with('0'));
    if !well_formed {
        return Err(Problem::new(
            word.column,
            format!("bad {noun} name `{}`", word.text),
            format!("`{prefix}` followed by a decimal number without leading zeros, such as {prefix}0"),
        ));
    }
    // Saturating: any number this large is beyond every bound, and is reported as such.
    Ok(digits.bytes().fold(0u64, |n, b| n.saturating_mul(10).saturating_add(u64::from(b - b'0'))))
}

/// A number: decimal digits, or `0x` and hexadecimal digits; it must fit 32 bits.
pub(super) fn number(word: Word<'_>) -> Result<u32, Problem> {
    let (digits, radix) = match word.text.strip_prefix("0x") {
        Some(hex) => (hex, 16),
        None => (word.text, 10),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Err(Problem::new(
            word.column,
            format!("bad number `{}`", word.text),
            "decimal digits, or 0x followed by hexadecimal digits",
        ));
    }
    // Only digits are left, so the only possible error is overflow.
    u32::from_str_radix(digits, radix).map_err(|_| {
        Problem::new(word.column, format!("number `{}` does not fit 32 bits", word.text), "a number up to 0xFFFFFFFF")
    })
}

/// Which flag names a FLAGS word may use.
#[derive(Clone, Copy)]
pub(super) enum FlagNames {
    /// The nine LOGOFF_ names of StoreLogoff and StoreLogoffTransports.
    Logoff,
    /// The five FLUSH_ names of FlushQueues.
    Flush,
    /// NORMAL and HURRY of TransportLogoff (LOGOFF_NORMAL, LOGOFF_HURRY).
    TransportLogoff,
}

impl FlagNames {
    pub(super) fn prefix(self) -> &'static str {
        match self {
            FlagNames::Logoff | FlagNames::TransportLogoff => "LOGOFF_",
            FlagNames::Flush => "FLUSH_",
        }
    }

    pub(super) fn bits(self, name: &str) -> Option<u32> {
        match self {
            FlagNames::Logoff => LogoffFlags::from_name(name).map(|f| f.bits()),
            FlagNames::Flush => FlushFlags::from_name(name).map(|f| f.bits()),
            FlagNames::TransportLogoff => TransportLogoffFlags::from_name(name).map(|f| f.bits()),
        }
    }

    pub(super) fn names(self) -> Vec<&'static str> {
        match self {
            FlagNames::Logoff => LogoffFlags::all().iter_names().map(|(name, _)| name).collect(),
            FlagNames::Flush => FlushFlags::all().iter_names().map(|(name, _)| name).collect(),
            FlagNames::TransportLogoff => TransportLogoffFlags::all().iter_names().map(|(name, _)| name).collect(),
        }
    }

    pub(super) fn expected(self) -> String {
        format!("{} (with or without {}) or a number, joined by |", self.names().join(", "), self.prefix())
    }
}

/// The most items of a list line (`expect tJ log`, `expect transports-calls`). With it, the canonical text of any
/// line that parses (flags written by name, as `Display` writes them) stays within the line bound, so that it
/// parses again: 64 of the widest log items take about 3,500 bytes. (A line holds at most one other FLAGS word,
/// whose canonical text is at most about 90 bytes however it was written.)
pub const LIST_ITEMS_MAX: usize = 64;

/// The problem of a list longer than its bound, at its first item too many.
pub(super) fn too_many(word: Word<'_>, what: &str) -> Problem {
    Problem::new(word.column, format!("more than {LIST_ITEMS_MAX} {what}"), format!("at most {LIST_ITEMS_MAX} {what}"))
}

/// FLAGS: terms joined by `|`, each a name or a number.
pub(super) fn flags(word: Word<'_>, names: FlagNames) -> Result<u32, Problem> {
    let mut bits = 0u32;

    // The column is counted term by term, so that a line of many terms is read in linear time.
    let mut column = word.column;
    for term in word.text.split('|') {
        let term_word = Word { text: term, column };

        column += term.chars().count() + 1;
        if term.is_empty() {
            return Err(Problem::new(
                term_word.column,
                format!("empty flag term in `{}`", word.text),
                names.expected(),
            ));
        }
        if term.starts_with(|c: char| c.is_ascii_digit()) {
            bits |= number(term_word)?;
            continue;
        }
        let bare = term.strip_prefix(names.prefix()).unwrap_or(term);
        match names.bits(bare) {
            Some(bit) => bits |= bit,
            None => {
                let upper = term.to_ascii_uppercase();
                let bare_upper = upper.strip_prefix(names.prefix()).unwrap_or(&upper);
                let hint = if names.bits(bare_upper).is_some() { " (flag names are upper case)" } else { "" };
                return Err(Problem::new(
                    term_word.column,
                    format!("unknown flag name `{term}`{hint}"),
                    names.expected(),
                ));
            }
        }
    }
    Ok(bits)
}

pub(super) fn hresult(word: Word<'_>) -> Result<HResult, Problem> {
    if word.text.starts_with(|c: char| c.is_ascii_digit()) {
        return number(word).map(HResult);
    }
    HResult::from_name(word.text).ok_or_else(|| {
        let names: Vec<&str> = HResult::NAMED.iter().map(|(name, _)| *name).collect();
        Problem::new(word.column, format!("unknown HRESULT `{}`", word.text), format!("{} or a number", one_of(&names)))
    })
}

pub(super) fn mode(word: Word<'_>) -> Result<Mode, Problem> {
    let bare = word.text.strip_prefix("LOGOFF_").unwrap_or(word.text);
    Mode::ALL.into_iter().find(|mode| mode.name() == bare).ok_or_else(|| {
        let names: Vec<&str> = Mode::ALL.iter().map(|mode| mode.name()).collect();
        Problem::new(
            word.column,
            format!("unknown mode `{}`", word.text),
            format!("{} (with or without LOGOFF_)", one_of(&names)),
        )
    })
}

/// One word out of a fixed list of choices.
pub(super) fn choice<T: Copy>(word: Word<'_>, what: &str, choices: &[(&str, T)]) -> Result<T, Problem> {
    choices.iter().find(|(name, _)| *name == word.text).map(|(_, value)| *value).ok_or_else(|| {
        let names: Vec<&str> = choices.iter().map(|(name, _)| *name).collect();
        Problem::new(word.column, format!("unknown {what} `{}`", word.text), one_of(&names))
    })
}
