//! Reading a `.scn` file (SPEC.md section 6) into a [`Script`]. Every malformed input is a [`ScriptError`] naming
//! the line and the column of the offending word; nothing here panics.
//!
//! Decisions where SPEC.md is silent:
//! - Lines are read by [`crate::text::lines`]: LF or CRLF line ends, a UTF-8 byte-order mark skipped, no other
//!   control character anywhere, at most 4,096 bytes a line and 1 MiB a file.
//! - A script with no step (empty, or only comments, headers and expectations) is malformed: it would pass while
//!   testing nothing.
//! - Words are separated by ASCII white space; `#` starts a comment anywhere on a line.
//! - `profile` and `setup` may come in either order, each at most once, before the first step. Expectations may
//!   come before them: the names they use are checked against the setup of the whole file.
//! - A knob or a setup field named twice on its line is malformed. `profile` or `setup` alone keeps the defaults.
//! - Numbers are decimal digits or `0x` followed by hexadecimal digits (of either case); no sign.
//! - `expect transports-calls` takes mode names only (`NO_WAIT` or `LOGOFF_NO_WAIT`, ...), not numbers.
//! - When a file has several errors, the first one by line and column is reported.

use std::fmt;

use crate::text;

use logoff_core::{
    Action, ClientId, FlushFlags, LogoffFlags, LogoffOutcome, Profile, ProfileError, Setup, SetupError, TransportCall,
    TransportId, TransportLogoffFlags,
};

use super::words::*;
use super::{Expectation, Item, ItemKind, MessagePhase, Script, TransportPhase, TransportsReturned, STORE_PHASES};

/// A malformed script: the line and column (both from 1, the column counted in characters) of the offending word,
/// what was wrong with it, and what was expected there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub problem: String,
    pub expected: String,
}

impl fmt::Display for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ScriptError { file, line, column, problem, expected } = self;
        write!(f, "{file}:{line}:{column}: error: {problem}; expected {expected}")
    }
}

impl std::error::Error for ScriptError {}

/// Parses the bytes of a script. `file_name` is used in every message about it. Lines are read by
/// [`crate::text::lines`] (LF or CRLF, bounded, no control characters); a script with no step is malformed.
pub fn parse(source: &[u8], file_name: &str) -> Result<Script, ScriptError> {
    let mut parser = Parser::default();
    let mut first_error: Option<(usize, Problem)> = None;
    let mut last_line = 0;
    for (line, text) in text::lines(source) {
        last_line = line;
        let result = text
            .map_err(|error| Problem::new(error.column, error.problem, error.expected))
            .and_then(|text| parser.line(line, text));
        if let Err(problem) = result {
            note(&mut first_error, line, problem);
        }
    }
    // The names' bounds need the setup, which may come after an expectation; a broken setup line has already been
    // reported, and checking against a setup that was not meant would only add noise.
    if !parser.setup_broken {
        for name in &parser.names {
            if let Err(problem) = name.check(&parser.setup) {
                note(&mut first_error, name.line, problem);
            }
        }
    }
    // Only for a file with nothing else wrong: an unreadable line may be what hid the steps.
    if parser.first_step_line.is_none() && first_error.is_none() {
        note(
            &mut first_error,
            last_line.max(1),
            Problem::new(1, "the script has no step", "at least one step (a script without steps tests nothing)"),
        );
    }
    match first_error {
        Some((line, Problem { column, problem, expected })) => {
            Err(ScriptError { file: file_name.to_string(), line, column, problem, expected })
        }
        None => Ok(Script {
            file: file_name.to_string(),
            profile: parser.profile,
            setup: parser.setup,
            items: parser.items,
            mutant: logoff_core::Mutant::None,
        }),
    }
}

/// Keeps the first error by line and column.
fn note(first_error: &mut Option<(usize, Problem)>, line: usize, problem: Problem) {
    let earlier = match first_error {
        None => true,
        Some((first_line, first)) => (line, problem.column) < (*first_line, first.column),
    };
    if earlier {
        *first_error = Some((line, problem));
    }
}

/// A client or transport name whose bound is checked once the setup of the whole file is known.
struct NameUse {
    line: usize,
    column: usize,
    kind: NameKind,
    /// Saturated at u64::MAX: beyond every bound all the same.
    number: u64,
    /// The name as written (a short excerpt), for the message.
    text: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum NameKind {
    Client,
    Transport,
}

impl NameUse {
    fn check(&self, setup: &Setup) -> Result<(), Problem> {
        let (noun, prefix, field, count) = match self.kind {
            NameKind::Client => ("client", 'c', "clients", setup.clients),
            NameKind::Transport => ("transport", 't', "transports", setup.transports),
        };
        if self.number < u64::from(count) {
            return Ok(());
        }
        let expected = match count {
            0 => format!("no {noun} name, as setup declares {field}=0"),
            1 => format!("{prefix}0"),
            _ => format!("{prefix}0 to {prefix}{}", count - 1),
        };
        Err(Problem::new(self.column, format!("{noun} `{}` is beyond setup ({field}={count})", self.text), expected))
    }
}

#[derive(Default)]
struct Parser {
    profile: Profile,
    setup: Setup,
    items: Vec<Item>,
    profile_line: Option<usize>,
    setup_line: Option<usize>,
    /// Whether a `setup` line was malformed: then its names cannot be checked against it.
    setup_broken: bool,
    first_step_line: Option<usize>,
    names: Vec<NameUse>,
}

const LINE_START: &str = "a step (cN, tJ, spooler or other), expect, profile or setup";

impl Parser {
    /// Reads one line into the parser, or names what is wrong with it.
    fn line(&mut self, line: usize, text: &str) -> Result<(), Problem> {
        let words = words(text);
        let mut cursor = Cursor { words: &words, next: 0 };
        let Some(first) = cursor.peek() else {
            return Ok(());
        };
        cursor.next = 1;
        let mut names = Names { line, uses: Vec::new() };
        let kind = match first.text {
            "profile" => return self.header(line, first, &mut cursor, Header::Profile),
            "setup" => return self.header(line, first, &mut cursor, Header::Setup),
            "expect" => ItemKind::Expect(expectation(&mut cursor, &mut names)?),
            _ => ItemKind::Step(step(first, &mut cursor, &mut names)?),
        };
        cursor.finish()?;
        if matches!(kind, ItemKind::Step(_)) && self.first_step_line.is_none() {
            self.first_step_line = Some(line);
        }
        self.names.append(&mut names.uses);
        let text = words.iter().map(|word| word.text).collect::<Vec<_>>().join(" ");
        self.items.push(Item { line, text, kind });
        Ok(())
    }

    fn header(
        &mut self,
        line: usize,
        first: Word<'_>,
        cursor: &mut Cursor<'_, '_>,
        header: Header,
    ) -> Result<(), Problem> {
        let (word, earlier) = match header {
            Header::Profile => ("profile", &mut self.profile_line),
            Header::Setup => ("setup", &mut self.setup_line),
        };
        if let Some(earlier) = *earlier {
            return Err(Problem::new(
                first.column,
                format!("`{word}` repeated (first at line {earlier})"),
                format!("at most one {word} line"),
            ));
        }
        if let Some(step_line) = self.first_step_line {
            return Err(Problem::new(
                first.column,
                format!("`{word}` after a step (line {step_line})"),
                "profile and setup before the first step",
            ));
        }
        *earlier = Some(line);
        match header {
            Header::Profile => {
                let words = profile_words(cursor.rest())?;
                self.profile = key_values(&words).and_then(|pairs| profile(&pairs))?
            }
            Header::Setup => {
                let parsed = key_values(cursor.rest()).and_then(|pairs| setup(&pairs));
                self.setup_broken = parsed.is_err();
                self.setup = parsed?;
            }
        }
        Ok(())
    }
}

#[derive(Clone, Copy)]
enum Header {
    Profile,
    Setup,
}

/// One `key=value` word, with the columns of both halves.
struct KeyValue<'a> {
    key: &'a str,
    key_column: usize,
    value: Word<'a>,
}

/// Splits `key=value` words, refusing a key named twice.
fn key_values<'a>(words: &[Word<'a>]) -> Result<Vec<KeyValue<'a>>, Problem> {
    let mut pairs: Vec<KeyValue<'a>> = Vec::new();
    for word in words {
        let Some((key, value)) = word.text.split_once('=') else {
            return Err(Problem::new(word.column, format!("`{}` is not key=value", word.text), "key=value"));
        };
        if let Some(earlier) = pairs.iter().find(|pair| pair.key == key) {
            return Err(Problem::new(
                word.column,
                format!("`{key}` is set twice on this line (first at column {})", earlier.key_column),
                "each of them at most once",
            ));
        }
        let value = Word { text: value, column: word.column_at(key.len() + 1) };
        pairs.push(KeyValue { key, key_column: word.column, value });
    }
    Ok(pairs)
}

/// The words of a `profile` line in the forms `--profile` takes too: `default` alone (no pairs), or pairs
/// separated by white space or commas (white space around a comma allowed); an empty item (two commas with only
/// white space between them, or a comma at either end) is an error.
fn profile_words<'a>(words: &[Word<'a>]) -> Result<Vec<Word<'a>>, Problem> {
    if let [only] = words {
        if only.text == "default" {
            return Ok(Vec::new());
        }
    }
    let mut pieces = Vec::with_capacity(words.len());
    // Whether the text so far ends with a comma that no item has followed yet; true at the start, so that a
    // leading comma is an empty item.
    let mut comma_open = true;
    for word in words {
        let mut column = word.column;
        let parts: Vec<&str> = word.text.split(',').collect();
        for (index, piece) in parts.iter().enumerate() {
            let last = index + 1 == parts.len();
            if piece.is_empty() {
                // An empty piece is the gap before the first comma of a word, or after its last one: white space
                // may stand there; anywhere else it is an item with nothing in it.
                let empty_item = if index == 0 { comma_open && parts.len() > 1 } else { !last };
                if empty_item {
                    return Err(Problem::new(column, format!("empty item in `{}`", word.text), "knob=value"));
                }
            } else {
                pieces.push(Word { text: piece, column });
            }
            if !last {
                comma_open = true;
            } else if !piece.is_empty() {
                comma_open = false;
            }
            column += piece.chars().count() + 1;
        }
    }
    if comma_open && !pieces.is_empty() {
        let last = words.last().map_or(1, |word| word.column);
        return Err(Problem::new(last, "the profile ends with a comma", "knob=value after the last comma"));
    }
    Ok(pieces)
}

/// `profile knob=value ...`: read by [`Profile::from_pairs`], as the command line's `--profile` is.
fn profile(pairs: &[KeyValue<'_>]) -> Result<Profile, Problem> {
    Profile::from_pairs(pairs.iter().map(|pair| (pair.key, pair.value.text))).map_err(|(index, error)| {
        let pair = &pairs[index];
        match error {
            ProfileError::UnknownKnob(knob) => {
                Problem::new(pair.key_column, format!("unknown knob `{knob}`"), one_of(&Profile::KNOBS))
            }
            ProfileError::UnknownValue { knob, value, expected } => Problem::new(
                pair.value.column,
                format!("unknown value `{value}` for knob {knob}"),
                format!("`{}` or `{}`", expected[0], expected[1]),
            ),
            ProfileError::Repeated(knob) => {
                Problem::new(pair.key_column, format!("knob `{knob}` is set twice"), "each knob at most once")
            }
        }
    })
}

/// `setup clients=N transports=N inbox=yes|no other=N`: unnamed fields keep their default.
fn setup(pairs: &[KeyValue<'_>]) -> Result<Setup, Problem> {
    const FIELDS: [&str; 4] = ["clients", "transports", "inbox", "other"];
    let mut setup = Setup::default();
    for pair in pairs {
        let count = |setup_field: &mut u8| -> Result<(), Problem> {
            let number = number(pair.value)?;
            // Out of range for a u8 is out of range for the model too; Setup::validate says which range.
            *setup_field = u8::try_from(number).unwrap_or(u8::MAX);
            Ok(())
        };
        match pair.key {
            "clients" => count(&mut setup.clients)?,
            "transports" => count(&mut setup.transports)?,
            "other" => count(&mut setup.other)?,
            "inbox" => {
                setup.inbox = match pair.value.text {
                    "yes" => true,
                    "no" => false,
                    other => {
                        return Err(Problem::new(
                            pair.value.column,
                            format!("unknown value `{other}` for inbox"),
                            "`yes` or `no`",
                        ))
                    }
                }
            }
            other => {
                return Err(Problem::new(pair.key_column, format!("unknown setup field `{other}`"), one_of(&FIELDS)))
            }
        }
    }
    setup.validate().map_err(|error| {
        let field = match error {
            SetupError::Clients(_) => "clients",
            SetupError::Transports(_) => "transports",
            SetupError::Other(_) => "other",
        };
        // The defaults are in range, so the field is on the line; the fallbacks only keep this free of panics.
        let pair = pairs.iter().find(|pair| pair.key == field);
        let column = pair.map_or(1, |pair| pair.key_column);
        let written = pair.map_or("", |pair| pair.value.text);
        // SetupError's text reads "...; expected ..."; keep its range and this module's message format.
        let text = error.to_string();
        let expected = text.split_once("; expected ").map_or("a value in range", |(_, expected)| expected);
        Problem::new(column, format!("{field}={written} is out of range"), expected)
    })?;
    Ok(setup)
}

/// The client and transport names of one line, collected for the bound check.
struct Names {
    line: usize,
    uses: Vec<NameUse>,
}

impl Names {
    /// The number of a client or transport name, remembered for the bound check. A number too large for an id
    /// fails that check, so the id saturated here is never used.
    fn number(&mut self, word: Word<'_>, kind: NameKind) -> Result<u8, Problem> {
        let (prefix, noun) = match kind {
            NameKind::Client => ('c', "client"),
            NameKind::Transport => ('t', "transport"),
        };
        let number = name_number(word, prefix, noun)?;
        let text = text::excerpt(word.text).into_owned();
        self.uses.push(NameUse { line: self.line, column: word.column, kind, number, text });
        Ok(u8::try_from(number).unwrap_or(u8::MAX))
    }

    fn client(&mut self, word: Word<'_>) -> Result<ClientId, Problem> {
        self.number(word, NameKind::Client).map(ClientId)
    }

    fn transport(&mut self, word: Word<'_>) -> Result<TransportId, Problem> {
        self.number(word, NameKind::Transport).map(TransportId)
    }
}

/// A step line: an actor, a verb, then its arguments.
fn step(first: Word<'_>, cursor: &mut Cursor<'_, '_>, names: &mut Names) -> Result<Action, Problem> {
    const CLIENT_VERBS: [&str; 4] = ["addref", "release", "logoff", "submit"];
    const TRANSPORT_VERBS: [&str; 6] = ["arrive", "sent", "send-failed", "received", "flushed", "logoff-returns"];
    const SPOOLER_VERBS: [&str; 4] = ["send", "receive", "flush", "logoff"];
    const MESSAGE: &str = "a message name such as m0";
    const TRANSPORT: &str = "a transport name such as t0";
    let unknown_verb = |word: Word<'_>, of: &str, verbs: &[&str]| {
        Problem::new(word.column, format!("unknown verb `{}`{of}", word.text), one_of(verbs))
    };
    if looks_like_name(first, 'c') {
        let client = names.client(first)?;
        let verb = cursor.take("verb", &one_of(&CLIENT_VERBS))?;
        return match verb.text {
            "addref" => Ok(Action::AddRef(client)),
            "release" => Ok(Action::Release(client)),
            "logoff" => {
                let word = cursor.take("flags", &FlagNames::Logoff.expected())?;
                Ok(Action::Logoff(client, LogoffFlags::from_bits_retain(flags(word, FlagNames::Logoff)?)))
            }
            "submit" => Ok(Action::Submit(client, message(cursor.take("message", MESSAGE)?)?)),
            _ => Err(unknown_verb(verb, " for a client", &CLIENT_VERBS)),
        };
    }
    if looks_like_name(first, 't') {
        let transport = names.transport(first)?;
        let verb = cursor.take("verb", &one_of(&TRANSPORT_VERBS))?;
        return match verb.text {
            "arrive" => Ok(Action::Arrive(transport, message(cursor.take("message", MESSAGE)?)?)),
            "sent" => Ok(Action::Sent(transport, message(cursor.take("message", MESSAGE)?)?)),
            "send-failed" => Ok(Action::SendFailed(transport, message(cursor.take("message", MESSAGE)?)?)),
            "received" => Ok(Action::Received(transport, message(cursor.take("message", MESSAGE)?)?)),
            "flushed" => Ok(Action::Flushed(transport)),
            "logoff-returns" => {
                let outcomes = [("ok", LogoffOutcome::Ok), ("error", LogoffOutcome::Error)];
                let outcome = choice(cursor.take("outcome", "`ok` or `error`")?, "outcome", &outcomes)?;
                Ok(Action::LogoffReturns(transport, outcome))
            }
            _ => Err(unknown_verb(verb, " for a transport", &TRANSPORT_VERBS)),
        };
    }
    match first.text {
        "spooler" => {
            let verb = cursor.take("verb", &one_of(&SPOOLER_VERBS))?;
            match verb.text {
                "send" | "receive" => {
                    let message = message(cursor.take("message", MESSAGE)?)?;
                    let transport = names.transport(cursor.take("transport", TRANSPORT)?)?;
                    Ok(if verb.text == "send" {
                        Action::Send(message, transport)
                    } else {
                        Action::Receive(message, transport)
                    })
                }
                "flush" => {
                    let transport = names.transport(cursor.take("transport", TRANSPORT)?)?;
                    let word = cursor.take("flags", &FlagNames::Flush.expected())?;
                    Ok(Action::Flush(transport, FlushFlags::from_bits_retain(flags(word, FlagNames::Flush)?)))
                }
                "logoff" => Ok(Action::TransportLogoff(names.transport(cursor.take("transport", TRANSPORT)?)?)),
                _ => Err(unknown_verb(verb, " for the spooler", &SPOOLER_VERBS)),
            }
        }
        "other" => {
            let verbs = [("open", Action::OtherOpen), ("close", Action::OtherClose)];
            choice(cursor.take("verb", "`open` or `close`")?, "verb for other", &verbs)
        }
        _ => Err(Problem::new(first.column, format!("unknown verb `{}`", first.text), LINE_START)),
    }
}

/// An `expect` line, after the word `expect`.
fn expectation(cursor: &mut Cursor<'_, '_>, names: &mut Names) -> Result<Expectation, Problem> {
    const SUBJECTS: &str =
        "cN, tJ, mK, transports-calls, transports-returned, store, reception or rejected after `expect`";
    let subject = cursor.take("expectation", SUBJECTS)?;
    if looks_like_name(subject, 'c') {
        let client = names.client(subject)?;
        let what = cursor.take("expectation", "`returned` or `pending`")?;
        return match what.text {
            "returned" => {
                let hresult = hresult(cursor.take("HRESULT", "an HRESULT such as S_OK")?)?;
                let flags = match cursor.peek() {
                    Some(word) => {
                        cursor.next += 1;
                        LogoffFlags::from_bits_retain(flags(word, FlagNames::Logoff)?)
                    }
                    None => LogoffFlags::empty(),
                };
                Ok(Expectation::Returned { client, hresult, flags })
            }
            "pending" => Ok(Expectation::Pending(client)),
            _ => Err(Problem::new(
                what.column,
                format!("unknown expectation `{}` for a client", what.text),
                "`returned` or `pending`",
            )),
        };
    }
    if looks_like_name(subject, 't') {
        let transport = names.transport(subject)?;
        let what = cursor.take("expectation", "`log` or a transport state")?;
        if what.text == "log" {
            return transport_log(transport, cursor);
        }
        let phases: Vec<(&str, TransportPhase)> = TransportPhase::ALL.iter().map(|p| (p.name(), *p)).collect();
        return Ok(Expectation::Transport(transport, choice(what, "transport state", &phases)?));
    }
    if looks_like_name(subject, 'm') {
        let message = message(subject)?;
        let phases: Vec<(&str, MessagePhase)> = MessagePhase::ALL.iter().map(|p| (p.name(), *p)).collect();
        let what = cursor.take("message state", &one_of(&phases.iter().map(|(n, _)| *n).collect::<Vec<_>>()))?;
        return Ok(Expectation::Message(message, choice(what, "message state", &phases)?));
    }
    match subject.text {
        "rejected" => Ok(Expectation::Rejected),
        "store" => {
            let phases: Vec<_> = STORE_PHASES.iter().map(|p| (p.name(), *p)).collect();
            let what = cursor.take("store state", &one_of(&phases.iter().map(|(n, _)| *n).collect::<Vec<_>>()))?;
            Ok(Expectation::Store(choice(what, "store state", &phases)?))
        }
        "reception" => {
            let what = cursor.take("reception state", "`enabled` or `disabled`")?;
            let enabled = choice(what, "reception state", &[("enabled", true), ("disabled", false)])?;
            Ok(Expectation::Reception { enabled })
        }
        "transports-returned" => {
            let word = cursor.take("flags", "FLAGS, `pending` or `none`")?;
            Ok(Expectation::TransportsReturned(match word.text {
                "pending" => TransportsReturned::Pending,
                "none" => TransportsReturned::None,
                _ => TransportsReturned::Flags(LogoffFlags::from_bits_retain(flags(word, FlagNames::Logoff)?)),
            }))
        }
        "transports-calls" => {
            let rest = cursor.rest();
            match rest {
                [] => Err(Problem::new(
                    cursor.end_column(),
                    "missing modes",
                    "one or more modes such as NO_WAIT, or `none`",
                )),
                [only] if only.text == "none" => Ok(Expectation::TransportsCalls(Vec::new())),
                words if words.len() > LIST_ITEMS_MAX => Err(too_many(words[LIST_ITEMS_MAX], "modes")),
                words => {
                    words.iter().map(|word| mode(*word)).collect::<Result<_, _>>().map(Expectation::TransportsCalls)
                }
            }
        }
        _ => Err(Problem::new(subject.column, format!("unknown expectation `{}`", subject.text), SUBJECTS)),
    }
}

/// The items of `expect tJ log ...`, parsed into the calls they name so that they compare by value.
fn transport_log(transport: TransportId, cursor: &mut Cursor<'_, '_>) -> Result<Expectation, Problem> {
    const ITEMS: &str = "none, or items among flush:FLAGS, discard-address-types, logoff:FLAGS, make-invalid and \
                         release-support";
    let rest = cursor.rest();
    if let [only] = rest {
        if only.text == "none" {
            return Ok(Expectation::TransportLog(transport, Vec::new()));
        }
    }
    if rest.is_empty() {
        return Err(Problem::new(cursor.end_column(), "missing log items", ITEMS));
    }
    if rest.len() > LIST_ITEMS_MAX {
        return Err(too_many(rest[LIST_ITEMS_MAX], "log items"));
    }
    let mut calls = Vec::with_capacity(rest.len());
    for word in rest {
        let call = match word.text {
            "discard-address-types" => TransportCall::DiscardAddressTypes,
            "make-invalid" => TransportCall::MakeInvalid,
            "release-support" => TransportCall::ReleaseSupport,
            text => {
                if let Some(flag_text) = text.strip_prefix("flush:") {
                    let flag_word = Word { text: flag_text, column: word.column_at("flush:".len()) };
                    TransportCall::Flush(FlushFlags::from_bits_retain(flags(flag_word, FlagNames::Flush)?))
                } else if let Some(flag_text) = text.strip_prefix("logoff:") {
                    let flag_word = Word { text: flag_text, column: word.column_at("logoff:".len()) };
                    let bits = flags(flag_word, FlagNames::TransportLogoff)?;
                    TransportCall::Logoff(TransportLogoffFlags::from_bits_retain(bits))
                } else {
                    return Err(Problem::new(word.column, format!("unknown log item `{text}`"), ITEMS));
                }
            }
        };
        calls.push(call);
    }
    Ok(Expectation::TransportLog(transport, calls))
}
