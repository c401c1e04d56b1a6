//! Fuzzing the two readers of input files, scenario scripts (SPEC.md section 6) and seed files
//! (sim-seeds/README.md), with proptest under a fixed seed, like every other test here.
//!
//! The checked-in files (`tests/scenarios`, `tests/mutants`, `sim-seeds`) are mutated line by line (delete,
//! duplicate, swap), word by word (replace by a word of the files, delete, duplicate) and byte by byte (flip a bit,
//! insert or delete a byte, insert a control character, a CR, a NEL, an LS, ...). Whatever comes out:
//! - neither parser panics;
//! - a rejected file gets a one-line message naming the file and the line (for scripts: `FILE:LINE:COLUMN: error:
//!   ...; expected ...`), with a line and column that are in the file;
//! - an accepted file round-trips: its canonical text (`Display`) is accepted again and written the same.
//!
//! The mutations SPEC.md forbids are rejected wherever they are made (a control character, a repeated header, no
//! step, a line over 4,096 bytes), while harmless ones (CRLF, a BOM, padding to exactly 4,096 bytes, comments,
//! tabs) are not. The parsers are timed on maximal inputs to show that their time is linear in the size of a file
//! and in the length of a line; the timing checks are shown to catch quadratic toys.
//!
//! Two parser bugs found while writing this file have a test of their own at the end.

mod common;

use std::cell::Cell;
use std::hint::black_box;
use std::ops::Range;
use std::sync::{OnceLock, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::test_runner::{Config, RngAlgorithm, RngSeed, TestCaseError, TestRunner};

use sim::script::{self, Script, ScriptError};
use sim::seedfile::{SeedFile, SeedFileError};
use sim::text::{FILE_BYTES_MAX, LINE_BYTES_MAX};

/// The UTF-8 byte-order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

// ---------------------------------------------------------------------------------------------------------------
// The checked-in files.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Script,
    Seed,
}

impl Kind {
    fn other(self) -> Kind {
        match self {
            Kind::Script => Kind::Seed,
            Kind::Seed => Kind::Script,
        }
    }
}

struct Input {
    /// The path from the workspace root, used as the file name in every message.
    name: String,
    kind: Kind,
    bytes: Vec<u8>,
}

struct Corpus {
    inputs: Vec<Input>,
    /// Every word of every file, sorted and without repeats: what a word is replaced by.
    words: Vec<String>,
}

fn corpus() -> &'static Corpus {
    static CORPUS: OnceLock<Corpus> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let mut inputs = Vec::new();
        for (dir, extension, kind) in [
            ("tests/scenarios", "scn", Kind::Script),
            ("tests/mutants", "scn", Kind::Script),
            ("sim-seeds", "seed", Kind::Seed),
        ] {
            for path in common::files(dir, extension) {
                let bytes = std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
                let file_name = path.file_name().expect("a file has a name").to_string_lossy();
                inputs.push(Input { name: format!("{dir}/{file_name}"), kind, bytes });
            }
        }
        let mut words: Vec<String> = inputs
            .iter()
            .flat_map(|input| {
                String::from_utf8_lossy(&input.bytes).split_ascii_whitespace().map(str::to_string).collect::<Vec<_>>()
            })
            .collect();
        words.sort();
        words.dedup();
        assert!(inputs.iter().filter(|input| input.kind == Kind::Seed).count() >= 10, "the seed corpus is there");
        assert!(inputs.len() >= 100 && words.len() >= 100, "the corpus is there");
        Corpus { inputs, words }
    })
}

// ---------------------------------------------------------------------------------------------------------------
// Running properties deterministically.

/// Taken shared by the tests that keep the machine busy, and alone by the tests that time the parsers, so that
/// the tests of this file running in parallel do not disturb the timings.
static MACHINE: RwLock<()> = RwLock::new(());

fn busy() -> RwLockReadGuard<'static, ()> {
    MACHINE.read().unwrap_or_else(PoisonError::into_inner)
}

fn alone() -> RwLockWriteGuard<'static, ()> {
    MACHINE.write().unwrap_or_else(PoisonError::into_inner)
}

/// Runs a property over `cases` values of `strategy`, from a fixed seed and without a failure file, and panics
/// with proptest's report (the shrunk value and the message) if it fails.
fn check_all<S: Strategy>(cases: u32, seed: u64, strategy: &S, test: impl Fn(S::Value) -> Result<(), TestCaseError>) {
    let config = Config {
        cases,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        max_shrink_iters: 4_096,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let _busy = busy();
    if let Err(error) = runner.run(strategy, test) {
        panic!("{error}");
    }
}

/// The source of a failing case, appended to its message: escaped, and only its start when it is long.
fn shown(source: &[u8]) -> String {
    let text: String = String::from_utf8_lossy(source).chars().take(3_000).collect();
    format!("{text:?}")
}

/// Adds the failing source to a failure.
fn with_source(source: &[u8]) -> impl Fn(TestCaseError) -> TestCaseError + '_ {
    move |error| match error {
        TestCaseError::Fail(reason) => TestCaseError::fail(format!("{reason}\nsource: {}", shown(source))),
        other => other,
    }
}

/// Where two texts first differ, for a failure message that does not print megabytes.
fn first_difference(a: &str, b: &str) -> String {
    match a.lines().zip(b.lines()).enumerate().find(|(_, (x, y))| x != y) {
        Some((index, (x, y))) => format!("line {}: {x:?} then {y:?}", index + 1),
        None => format!("{} lines then {} lines", a.lines().count(), b.lines().count()),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// What a parser said, and the checks of it.

/// A parser's verdict on a file, once the checks below have passed.
#[derive(Debug)]
enum Verdict {
    /// Accepted; its canonical text (`Display`), which has been read back to the same text.
    Accepted(String),
    /// Rejected at this line (and column), with this message.
    Rejected { line: usize, column: Option<usize>, message: String },
}

impl Verdict {
    fn rejected(self) -> Result<(usize, Option<usize>, String), TestCaseError> {
        match self {
            Verdict::Rejected { line, column, message } => Ok((line, column, message)),
            Verdict::Accepted(text) => {
                Err(TestCaseError::fail(format!("accepted; canonical text:\n{}", shown(text.as_bytes()))))
            }
        }
    }

    fn accepted(self) -> Result<String, TestCaseError> {
        match self {
            Verdict::Accepted(text) => Ok(text),
            Verdict::Rejected { message, .. } => Err(TestCaseError::fail(format!("rejected: {message}"))),
        }
    }
}

/// Parses `source` as a `kind` file named `name` and checks the outcome: a rejection's message and position, or an
/// acceptance's round trip. A panic in a parser fails the test here, which is the first property.
fn verdict(kind: Kind, source: &[u8], name: &str) -> Result<Verdict, TestCaseError> {
    match kind {
        Kind::Script => match script::parse(source, name) {
            Ok(script) => check_script_round_trip(&script, name).map(Verdict::Accepted),
            Err(error) => check_script_error(&error, source, name),
        },
        Kind::Seed => match SeedFile::parse(source, name) {
            Ok(seed) => check_seed_round_trip(&seed, name).map(Verdict::Accepted),
            Err(error) => check_seed_error(&error, source, name),
        },
    }
}

/// Checks that an accepted script has a step and reads back from its canonical text to the same text, profile,
/// setup and items (the line numbers may differ: the canonical text has no comments, blank lines or extra
/// headers). Returns the canonical text.
fn check_script_round_trip(script: &Script, name: &str) -> Result<String, TestCaseError> {
    prop_assert!(script.steps() >= 1, "a script without a step was accepted");
    prop_assert!(script.items.windows(2).all(|pair| pair[0].line < pair[1].line), "the items are in line order");
    let text = script.to_string();
    let again = script::parse(text.as_bytes(), name).map_err(|error| {
        TestCaseError::fail(format!("the canonical text of an accepted script is rejected: {error}"))
    })?;
    let again_text = again.to_string();
    prop_assert!(again_text == text, "the canonical text changed: {}", first_difference(&text, &again_text));
    prop_assert_eq!(again.profile, script.profile);
    prop_assert_eq!(again.setup, script.setup);
    let kinds = |script: &Script| script.items.iter().map(|item| item.kind.clone()).collect::<Vec<_>>();
    prop_assert!(kinds(&again) == kinds(script), "the items changed");
    Ok(text)
}

/// Checks that an accepted seed file reads back from its canonical text to the same text and values, and that its
/// script does too. Returns the canonical text.
fn check_seed_round_trip(seed: &SeedFile, name: &str) -> Result<String, TestCaseError> {
    check_script_round_trip(&seed.script, name)?;
    let text = seed.to_string();
    let again = SeedFile::parse(text.as_bytes(), name).map_err(|error| {
        TestCaseError::fail(format!("the canonical text of an accepted seed file is rejected: {error}"))
    })?;
    let again_text = again.to_string();
    prop_assert!(again_text == text, "the canonical text changed: {}", first_difference(&text, &again_text));
    prop_assert_eq!(again.seed, seed.seed);
    prop_assert_eq!(again.expect, seed.expect);
    prop_assert_eq!(&again.why, &seed.why);
    prop_assert_eq!(again.script.mutant, seed.script.mutant);
    Ok(text)
}

/// Splits `FILE:LINE[:COLUMN]: error: REST` (the file name holds no `:`), checking that the numbers are numbers.
fn location(message: &str) -> Result<(&str, usize, Option<usize>, &str), TestCaseError> {
    let Some((place, rest)) = message.split_once(": error: ") else {
        return Err(TestCaseError::fail(format!("no `: error: ` in {message:?}")));
    };
    let number = |text: &str| {
        text.parse::<usize>().map_err(|_| TestCaseError::fail(format!("`{text}` is not a number in {message:?}")))
    };
    match place.split(':').collect::<Vec<_>>()[..] {
        [file, line] => Ok((file, number(line)?, None, rest)),
        [file, line, column] => Ok((file, number(line)?, Some(number(column)?), rest)),
        _ => Err(TestCaseError::fail(format!("not FILE:LINE[:COLUMN]: {message:?}"))),
    }
}

/// A message is one line: no line break or other control character (a tab could only be quoted from a line).
fn check_one_line(message: &str) -> Result<(), TestCaseError> {
    let breaks = |c: char| (c.is_control() && c != '\t') || matches!(c, '\u{2028}' | '\u{2029}');
    prop_assert!(!message.chars().any(breaks), "the message is not one line: {:?}", message);
    Ok(())
}

/// Checks that a line (and column) named by an error are in the file: the line from 1 to the number of lines, the
/// column from 1 to one past the last character of that line.
fn check_position(source: &[u8], line: usize, column: Option<usize>) -> Result<(), TestCaseError> {
    let source = source.strip_prefix(BOM).unwrap_or(source);
    let lines: Vec<&[u8]> = source.split(|&byte| byte == b'\n').collect();
    prop_assert!((1..=lines.len()).contains(&line), "line {} of a file of {} lines", line, lines.len());
    if let Some(column) = column {
        let characters = String::from_utf8_lossy(lines[line - 1]).chars().count();
        prop_assert!(
            (1..=characters + 1).contains(&column),
            "column {} of a line of {} characters",
            column,
            characters
        );
    }
    Ok(())
}

/// Checks a script's error: `FILE:LINE:COLUMN: error: PROBLEM; expected EXPECTED` on one line, naming `name` and a
/// position in the file, and agreeing with the error's fields.
fn check_script_error(error: &ScriptError, source: &[u8], name: &str) -> Result<Verdict, TestCaseError> {
    let message = error.to_string();
    check_one_line(&message)?;
    let (file, line, column, rest) = location(&message)?;
    prop_assert_eq!(file, name);
    prop_assert_eq!(&error.file, name);
    prop_assert_eq!((line, column), (error.line, Some(error.column)), "{}", message);
    let Some((problem, expected)) = rest.split_once("; expected ") else {
        return Err(TestCaseError::fail(format!("no `; expected ` in {message:?}")));
    };
    prop_assert!(!problem.is_empty() && !expected.is_empty(), "{}", message);
    check_position(source, line, column)?;
    Ok(Verdict::Rejected { line, column, message })
}

/// Checks a seed file's error: `FILE:LINE[:COLUMN]: error: ...` on one line, naming `name` and a position in the
/// file, and agreeing with the error's fields.
fn check_seed_error(error: &SeedFileError, source: &[u8], name: &str) -> Result<Verdict, TestCaseError> {
    let message = error.to_string();
    check_one_line(&message)?;
    let (file, line, column, rest) = location(&message)?;
    prop_assert_eq!(file, name);
    prop_assert_eq!(&error.file, name);
    prop_assert_eq!((line, column), (error.line, error.column), "{}", message);
    prop_assert!(!rest.trim().is_empty(), "{}", message);
    check_position(source, line, column)?;
    Ok(Verdict::Rejected { line, column, message })
}

// ---------------------------------------------------------------------------------------------------------------
// Lines and words of a file.

/// The lines of a file without their LF (a CR before it stays); joined by LF they give the file back.
fn split_lines(source: &[u8]) -> Vec<Vec<u8>> {
    source.split(|&byte| byte == b'\n').map(<[u8]>::to_vec).collect()
}

fn join_lines(lines: &[Vec<u8>]) -> Vec<u8> {
    lines.join(&b'\n')
}

/// The byte ranges of the words of a file: runs of bytes other than ASCII white space.
fn word_spans(source: &[u8]) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    let mut start = None;
    for (at, byte) in source.iter().enumerate() {
        match (byte.is_ascii_whitespace() || *byte == 0x0B, start) {
            (true, Some(begin)) => {
                spans.push(begin..at);
                start = None;
            }
            (false, None) => start = Some(at),
            _ => {}
        }
    }
    if let Some(begin) = start {
        spans.push(begin..source.len());
    }
    spans
}

/// The first word of a line, its comment dropped: what tells a step from a header or an expectation.
fn first_word(line: &[u8]) -> &[u8] {
    let content = line.split(|&byte| byte == b'#').next().unwrap_or_default();
    content.split(|byte| byte.is_ascii_whitespace()).find(|word| !word.is_empty()).unwrap_or_default()
}

/// The index of the first line of the script: 0 for a script, the line after `---` for a seed file.
fn script_start(kind: Kind, lines: &[Vec<u8>]) -> usize {
    match kind {
        Kind::Script => 0,
        Kind::Seed => {
            lines.iter().position(|line| line.trim_ascii() == b"---").expect("a checked-in seed file has `---`") + 1
        }
    }
}

/// Whether a script line is a step: it has a first word, and that is not a header or `expect`.
fn is_step(line: &[u8]) -> bool {
    !matches!(first_word(line), b"" | b"profile" | b"setup" | b"expect")
}

// ---------------------------------------------------------------------------------------------------------------
// Mutations.

/// Text inserted by [`Mutation::Insert`]: line ends, control characters (forbidden), white space, and characters
/// with a meaning in the syntax.
const INSERTS: [&str; 24] = [
    "\r", "\n", "\r\n", "\t", " ", "\0", "\u{b}", "\u{c}", "\u{1b}", "\u{7f}", "\u{85}", "\u{9f}", "\u{2028}",
    "\u{2029}", "\u{feff}", "\u{a0}", "#", "|", "=", "`", "---", "0x", "é", "LOGOFF_",
];

#[derive(Clone, Debug)]
enum Mutation {
    DeleteLine(Index),
    DuplicateLine(Index),
    SwapLines(Index, Index),
    /// Replaces a word by a word of the corpus.
    ReplaceWord(Index, Index),
    DeleteWord(Index),
    /// Writes a word twice, separated by a space.
    DuplicateWord(Index),
    FlipBit(Index, u8),
    InsertByte(Index, u8),
    DeleteByte(Index),
    Insert(Index, &'static str),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        1 => any::<Index>().prop_map(Mutation::DeleteLine),
        1 => any::<Index>().prop_map(Mutation::DuplicateLine),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        3 => (any::<Index>(), any::<Index>()).prop_map(|(at, word)| Mutation::ReplaceWord(at, word)),
        1 => any::<Index>().prop_map(Mutation::DeleteWord),
        1 => any::<Index>().prop_map(Mutation::DuplicateWord),
        1 => (any::<Index>(), 0u8..8).prop_map(|(at, bit)| Mutation::FlipBit(at, bit)),
        1 => (any::<Index>(), any::<u8>()).prop_map(|(at, byte)| Mutation::InsertByte(at, byte)),
        1 => any::<Index>().prop_map(Mutation::DeleteByte),
        2 => (any::<Index>(), select(INSERTS.to_vec())).prop_map(|(at, text)| Mutation::Insert(at, text)),
    ]
}

/// Applies a mutation; one that has nothing to work on (no word, no byte) changes nothing.
fn apply(source: &mut Vec<u8>, mutation: &Mutation, words: &[String]) {
    let edit_lines = |source: &mut Vec<u8>, edit: &dyn Fn(&mut Vec<Vec<u8>>)| {
        let mut lines = split_lines(source);
        edit(&mut lines);
        *source = join_lines(&lines);
    };
    let spans = word_spans(source);
    let span = |at: &Index| (!spans.is_empty()).then(|| at.get(&spans).clone());
    match mutation {
        Mutation::DeleteLine(at) => edit_lines(source, &|lines| {
            lines.remove(at.index(lines.len()));
        }),
        Mutation::DuplicateLine(at) => edit_lines(source, &|lines| {
            let at = at.index(lines.len());
            lines.insert(at, lines[at].clone());
        }),
        Mutation::SwapLines(a, b) => edit_lines(source, &|lines| {
            let (a, b) = (a.index(lines.len()), b.index(lines.len()));
            lines.swap(a, b);
        }),
        Mutation::ReplaceWord(at, word) => {
            if let Some(span) = span(at) {
                source.splice(span, word.get(words).bytes());
            }
        }
        Mutation::DeleteWord(at) => {
            if let Some(span) = span(at) {
                source.drain(span);
            }
        }
        Mutation::DuplicateWord(at) => {
            if let Some(span) = span(at) {
                let copy: Vec<u8> = std::iter::once(b' ').chain(source[span.clone()].iter().copied()).collect();
                source.splice(span.end..span.end, copy);
            }
        }
        Mutation::FlipBit(at, bit) => {
            if !source.is_empty() {
                let at = at.index(source.len());
                source[at] ^= 1 << bit;
            }
        }
        Mutation::InsertByte(at, byte) => {
            let at = at.index(source.len() + 1);
            source.insert(at, *byte);
        }
        Mutation::DeleteByte(at) => {
            if !source.is_empty() {
                source.remove(at.index(source.len()));
            }
        }
        Mutation::Insert(at, text) => {
            let at = at.index(source.len() + 1);
            source.splice(at..at, text.bytes());
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The properties.

/// Shows that every checked-in file is accepted by its parser and round-trips, and is rejected by the other
/// parser with a well-formed message: the starting point of every mutation below.
#[test]
fn checked_in_files_are_accepted_and_round_trip() {
    for input in &corpus().inputs {
        let checked = verdict(input.kind, &input.bytes, &input.name).and_then(Verdict::accepted);
        checked.unwrap_or_else(|error| panic!("{}: {error}", input.name));
        let other = verdict(input.kind.other(), &input.bytes, &input.name).and_then(Verdict::rejected);
        other.unwrap_or_else(|error| panic!("{} read as the other kind: {error}", input.name));
    }
}

/// Shows that checked-in files with up to four random mutations (lines deleted, duplicated or swapped; words
/// replaced by other words of the files, deleted or duplicated; bits flipped, bytes inserted or deleted, control
/// characters and syntax characters inserted) never make either parser panic; that every rejection is one line
/// naming the file and a line and column in it (`FILE:LINE:COLUMN: error: ...; expected ...` for scripts); and
/// that every accepted file round-trips through its canonical text. Both outcomes occur often, so that both checks
/// run.
#[test]
fn mutated_files_never_panic_and_accepted_ones_round_trip() {
    const CASES: u32 = 4_000;
    let corpus = corpus();
    let (accepted, rejected) = (Cell::new(0u32), Cell::new(0u32));
    let strategy = (any::<Index>(), prop::collection::vec(mutation(), 1..=4));
    check_all(CASES, 0x5eed_f422, &strategy, |(file, mutations)| {
        let input = file.get(&corpus.inputs);
        let mut source = input.bytes.clone();
        for mutation in &mutations {
            apply(&mut source, mutation, &corpus.words);
        }
        let own = verdict(input.kind, &source, &input.name).map_err(with_source(&source))?;
        // The other parser must cope too (a seed file given to `script`, or the reverse).
        verdict(input.kind.other(), &source, &input.name).map_err(with_source(&source))?;
        match own {
            Verdict::Accepted(_) => accepted.set(accepted.get() + 1),
            Verdict::Rejected { .. } => rejected.set(rejected.get() + 1),
        }
        Ok(())
    });
    // Without this, a generator that broke every file (or none) would make the round trip (or the error checks)
    // pass without being tried.
    assert!(accepted.get() >= CASES / 10, "only {} of {CASES} mutated files were accepted", accepted.get());
    assert!(rejected.get() >= CASES / 10, "only {} of {CASES} mutated files were rejected", rejected.get());
}

/// The control characters inserted by [`control_characters_are_rejected_anywhere`]: every kind SPEC.md section 6.1
/// forbids (C0 but tab, CR not before LF, DEL, C1 with NEL, LS and PS); CR, the one with a special case, twice.
const FORBIDDEN: [char; 16] = [
    '\0', '\u{1}', '\u{8}', '\u{b}', '\u{c}', '\r', '\u{e}', '\u{1b}', '\u{1f}', '\u{7f}', '\u{80}', '\u{85}',
    '\u{9f}', '\u{2028}', '\u{2029}', '\r',
];

/// Inserts `character` into `source` at the character boundary chosen by `at`; returns the new source, and the
/// line and column (from 1, in characters) of the inserted character. A CR is inserted so that it is not part of
/// a CRLF: before an LF it is doubled (the first CR is then the offending one).
fn insert_character(source: &[u8], at: Index, character: char) -> (Vec<u8>, usize, usize) {
    let text = std::str::from_utf8(source).expect("a checked-in file is UTF-8");
    let boundaries: Vec<usize> = text.char_indices().map(|(offset, _)| offset).chain([text.len()]).collect();
    let offset = *at.get(&boundaries);
    let mut inserted = character.to_string();
    if character == '\r' && source.get(offset) == Some(&b'\n') {
        inserted.push('\r');
    }
    let mut mutated = source[..offset].to_vec();
    mutated.extend_from_slice(inserted.as_bytes());
    mutated.extend_from_slice(&source[offset..]);
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    let column = text[line_start..offset].chars().count() + 1;
    (mutated, line, column)
}

/// Shows that a control character other than tab (a CR not followed by LF, VT, FF, NUL, ESC, DEL, NEL, other C1
/// characters, LS, PS), inserted anywhere in any checked-in file, in a word, between words, in a comment, in a
/// seed file's header or on its `---` line, makes the file rejected, with the error at that character's line and
/// column. (That the same positions are fine for a tab is shown by `harmless_changes_are_accepted`.)
#[test]
fn control_characters_are_rejected_anywhere() {
    let corpus = corpus();
    let strategy = (any::<Index>(), any::<Index>(), select(FORBIDDEN.to_vec()));
    check_all(1_500, 0xc0c0_0001, &strategy, |(file, at, character)| {
        let input = file.get(&corpus.inputs);
        let (source, line, column) = insert_character(&input.bytes, at, character);
        let verdict = verdict(input.kind, &source, &input.name).map_err(with_source(&source))?;
        let (error_line, error_column, message) = verdict.rejected().map_err(with_source(&source))?;
        prop_assert_eq!((error_line, error_column), (line, Some(column)), "{}", message);
        // "control character" or, for LS and PS, "invisible character": the wording is not the point.
        let named = format!("character U+{:04X}", u32::from(character));
        prop_assert!(message.contains(&named), "{:?} does not name {}", message, named);
        Ok(())
    });
}

/// Shows that a header line of a seed file (`format`, `seed`, `mutant`, `expect`, `why`) given a second time,
/// anywhere before `---` and with its own value or another seed file's, makes the file rejected at the second one.
#[test]
fn repeated_seed_header_keys_are_rejected() {
    let corpus = corpus();
    let seeds: Vec<&Input> = corpus.inputs.iter().filter(|input| input.kind == Kind::Seed).collect();
    // The header lines of every seed file, from which a copy is drawn for the same key.
    let header_lines: Vec<Vec<u8>> = seeds
        .iter()
        .flat_map(|input| {
            let lines = split_lines(&input.bytes);
            let separator = script_start(Kind::Seed, &lines) - 1;
            lines[..separator].iter().filter(|line| !matches!(first_word(line), b"")).cloned().collect::<Vec<_>>()
        })
        .collect();
    let strategy = (any::<Index>(), any::<Index>(), any::<Index>(), any::<Index>());
    check_all(600, 0x5eed_0002, &strategy, |(file, which, copy, position)| {
        let input = file.get(&seeds);
        let mut lines = split_lines(&input.bytes);
        let separator = script_start(Kind::Seed, &lines) - 1;
        let headers: Vec<usize> = (0..separator).filter(|&index| !first_word(&lines[index]).is_empty()).collect();
        let original = *which.get(&headers);
        let key = lines[original].split(|&byte| byte == b' ').next().unwrap_or_default().to_vec();
        prop_assert!(
            [&b"format"[..], b"seed", b"mutant", b"expect", b"why"].contains(&key.as_slice()),
            "an unexpected header line {:?}",
            String::from_utf8_lossy(&lines[original])
        );
        let same_key: Vec<&Vec<u8>> = header_lines.iter().filter(|line| line.starts_with(&key)).collect();
        let copy = (*copy.get(&same_key)).clone();
        let at = position.index(separator + 1);
        lines.insert(at, copy);
        let second = if at <= original { original + 1 } else { at };
        let source = join_lines(&lines);
        let verdict = verdict(Kind::Seed, &source, &input.name).map_err(with_source(&source))?;
        let (line, _, message) = verdict.rejected().map_err(with_source(&source))?;
        prop_assert_eq!(line, second + 1, "{}", message);
        let repeated = format!("`{}` repeated", String::from_utf8_lossy(&key));
        prop_assert!(message.contains(&repeated), "{:?} does not say {}", message, repeated);
        Ok(())
    });
}

/// Shows that a `profile` or `setup` line of a script (or of a seed file's script part) written a second time,
/// anywhere in the script, before or after steps, makes it rejected at the second copy.
#[test]
fn repeated_profile_and_setup_lines_are_rejected() {
    let corpus = corpus();
    let has_header = |input: &&Input| {
        let lines = split_lines(&input.bytes);
        lines[script_start(input.kind, &lines)..].iter().any(|line| matches!(first_word(line), b"profile" | b"setup"))
    };
    let inputs: Vec<&Input> = corpus.inputs.iter().filter(has_header).collect();
    assert!(inputs.len() >= 40, "files with headers: {}", inputs.len());
    let strategy = (any::<Index>(), any::<Index>(), any::<Index>());
    check_all(800, 0x5eed_0003, &strategy, |(file, which, position)| {
        let input = file.get(&inputs);
        let mut lines = split_lines(&input.bytes);
        let start = script_start(input.kind, &lines);
        let headers: Vec<usize> =
            (start..lines.len()).filter(|&index| matches!(first_word(&lines[index]), b"profile" | b"setup")).collect();
        let original = *which.get(&headers);
        let word = String::from_utf8_lossy(first_word(&lines[original])).into_owned();
        let at = start + position.index(lines.len() - start + 1);
        lines.insert(at, lines[original].clone());
        let second = if at <= original { original + 1 } else { at };
        let source = join_lines(&lines);
        let verdict = verdict(input.kind, &source, &input.name).map_err(with_source(&source))?;
        let (line, _, message) = verdict.rejected().map_err(with_source(&source))?;
        prop_assert_eq!(line, second + 1, "{}", message);
        let repeated = format!("`{word}` repeated");
        prop_assert!(message.contains(&repeated), "{:?} does not say {}", message, repeated);
        Ok(())
    });
}

/// Shows that a script (or a seed file's script part) with every step line removed, and any of its expectations,
/// comments and blank lines with them, is rejected for having no step; its headers are kept, so that nothing else
/// is wrong with it. (That one step is enough is shown by `one_step_is_enough`.)
#[test]
fn scripts_without_steps_are_rejected() {
    let corpus = corpus();
    let strategy = (any::<Index>(), prop::collection::vec(any::<bool>(), 1..40));
    check_all(600, 0x5eed_0004, &strategy, |(file, keep)| {
        let input = file.get(&corpus.inputs);
        let lines = split_lines(&input.bytes);
        let start = script_start(input.kind, &lines);
        let kept: Vec<Vec<u8>> = (0..lines.len())
            .filter(|&index| {
                let line = &lines[index];
                let header = matches!(first_word(line), b"profile" | b"setup");
                index < start || header || (!is_step(line) && keep[index % keep.len()])
            })
            .map(|index| lines[index].clone())
            .collect();
        let source = join_lines(&kept);
        let verdict = verdict(input.kind, &source, &input.name).map_err(with_source(&source))?;
        let (_, _, message) = verdict.rejected().map_err(with_source(&source))?;
        prop_assert!(message.contains("the script has no step"), "{:?}", message);
        Ok(())
    });
}

/// Shows the counterpart of `scripts_without_steps_are_rejected`: keeping any one step line is enough.
#[test]
fn one_step_is_enough() {
    let corpus = corpus();
    check_all(200, 0x5eed_0005, &(any::<Index>(), any::<Index>()), |(file, which)| {
        let input = file.get(&corpus.inputs);
        let lines = split_lines(&input.bytes);
        let start = script_start(input.kind, &lines);
        let steps: Vec<usize> = (start..lines.len()).filter(|&index| is_step(&lines[index])).collect();
        let step = *which.get(&steps);
        let kept: Vec<Vec<u8>> = (0..lines.len())
            .filter(|&index| index < start || index == step || !is_step(&lines[index]))
            .map(|index| lines[index].clone())
            .collect();
        // Expectations may name clients or transports of the steps removed, but those are declared by `setup`.
        let source = join_lines(&kept);
        verdict(input.kind, &source, &input.name).and_then(Verdict::accepted).map_err(with_source(&source))?;
        Ok(())
    });
}

/// The padding of `overlong_lines_are_rejected`: white space, comment and word characters, and multi-byte ones.
const PADDING: [&str; 8] = [" ", "\t", "#", "x", "|", "é", "€", "𝄞"];

/// Shows that a line longer than 4,096 bytes (its line end not counted), whatever it held and however it is padded,
/// makes the file rejected at that line, at the column of the first character past the 4,096th byte. (That exactly
/// 4,096 bytes is fine is shown by `harmless_changes_are_accepted`.)
#[test]
fn overlong_lines_are_rejected() {
    let corpus = corpus();
    let strategy = (any::<Index>(), any::<Index>(), select(PADDING.to_vec()), 1usize..=300);
    check_all(600, 0x5eed_0006, &strategy, |(file, which, padding, extra)| {
        let input = file.get(&corpus.inputs);
        let mut lines = split_lines(&input.bytes);
        let at = which.index(lines.len());
        let line = &mut lines[at];
        let crlf = line.last() == Some(&b'\r');
        if crlf {
            line.pop();
        }
        while line.len() < LINE_BYTES_MAX + extra {
            line.extend_from_slice(padding.as_bytes());
        }
        let length = line.len();
        // The column of the first character that does not start within the first 4,096 bytes.
        let column =
            String::from_utf8_lossy(line).char_indices().filter(|(offset, _)| *offset < LINE_BYTES_MAX).count() + 1;
        if crlf {
            line.push(b'\r');
        }
        let source = join_lines(&lines);
        let verdict = verdict(input.kind, &source, &input.name).map_err(with_source(&source))?;
        let (error_line, error_column, message) = verdict.rejected().map_err(with_source(&source))?;
        prop_assert_eq!((error_line, error_column), (at + 1, Some(column)), "{}", message);
        let long = format!("the line is {length} bytes long");
        prop_assert!(message.contains(&long), "{:?} does not say {}", message, long);
        Ok(())
    });
}

/// A change that SPEC.md allows and that does not change what a file means.
#[derive(Clone, Debug)]
enum Harmless {
    /// Pads a line with spaces or tabs to exactly 4,096 bytes.
    PadLine(Index, bool),
    /// Ends a line (not the last one) with CRLF.
    Crlf(Index),
    /// Turns a space of the script part into a tab.
    TabForSpace(Index),
    /// Inserts a comment or a blank line.
    InsertLine(Index, &'static str),
    /// Starts the file with a byte-order mark.
    Bom,
    /// Drops the line end of the last line.
    DropLastLineEnd,
}

/// Lines inserted by [`Harmless::InsertLine`]: comments (with syntax, white space and non-ASCII characters in
/// them) and blank lines.
const HARMLESS_LINES: [&str; 8] =
    ["", "   ", "\t", "#", "# c0 logoff ORDERLY", "  # --- format 2 \u{a0} é € `", "#\t#|=", "# profile setup"];

fn harmless() -> impl Strategy<Value = Harmless> {
    prop_oneof![
        3 => (any::<Index>(), any::<bool>()).prop_map(|(at, tab)| Harmless::PadLine(at, tab)),
        3 => any::<Index>().prop_map(Harmless::Crlf),
        3 => any::<Index>().prop_map(Harmless::TabForSpace),
        3 => (any::<Index>(), select(HARMLESS_LINES.to_vec())).prop_map(|(at, line)| Harmless::InsertLine(at, line)),
        1 => Just(Harmless::Bom),
        1 => Just(Harmless::DropLastLineEnd),
    ]
}

fn apply_harmless(kind: Kind, source: &mut Vec<u8>, change: &Harmless) {
    let bom = source.starts_with(BOM);
    if bom {
        source.drain(..BOM.len());
    }
    let mut lines = split_lines(source);
    match change {
        Harmless::PadLine(at, tab) => {
            let line = at.get_mut(&mut lines);
            let crlf = line.last() == Some(&b'\r');
            if crlf {
                line.pop();
            }
            line.resize(LINE_BYTES_MAX.max(line.len()), if *tab { b'\t' } else { b' ' });
            if crlf {
                line.push(b'\r');
            }
        }
        Harmless::Crlf(at) => {
            // The last line has no LF after it: a CR there would not be a CRLF.
            let count = lines.len() - 1;
            if count > 0 {
                let line = &mut lines[at.index(count)];
                if line.last() != Some(&b'\r') {
                    line.push(b'\r');
                }
            }
        }
        Harmless::TabForSpace(at) => {
            // Only in the script part: a seed file's header keys are followed by one space.
            let start = script_start(kind, &lines);
            let spaces: Vec<(usize, usize)> = (start..lines.len())
                .flat_map(|index| {
                    let line = &lines[index];
                    (0..line.len()).filter(move |&offset| line[offset] == b' ').map(move |offset| (index, offset))
                })
                .collect();
            if !spaces.is_empty() {
                let (index, offset) = *at.get(&spaces);
                lines[index][offset] = b'\t';
            }
        }
        Harmless::InsertLine(at, text) => {
            let at = at.index(lines.len() + 1);
            lines.insert(at, text.as_bytes().to_vec());
        }
        Harmless::Bom | Harmless::DropLastLineEnd => {}
    }
    *source = join_lines(&lines);
    if matches!(change, Harmless::DropLastLineEnd) && source.last() == Some(&b'\n') {
        source.pop();
        // A CRLF goes whole: a CR left at the end would not end a line.
        if source.last() == Some(&b'\r') {
            source.pop();
        }
    }
    if bom || matches!(change, Harmless::Bom) {
        source.splice(0..0, BOM.iter().copied());
    }
}

/// Shows that changes SPEC.md allows leave a file accepted with the same canonical text: a line padded with spaces
/// or tabs to exactly 4,096 bytes, CRLF line ends, a tab for a space between words, comment and blank lines added
/// anywhere, a byte-order mark, no line end on the last line. This is what makes the rejections above mean
/// something: the same files, at the same places, with a tab for a control character or 4,096 bytes for 4,097,
/// are accepted.
#[test]
fn harmless_changes_are_accepted() {
    let corpus = corpus();
    let strategy = (any::<Index>(), prop::collection::vec(harmless(), 1..=8));
    check_all(800, 0x5eed_0007, &strategy, |(file, changes)| {
        let input = file.get(&corpus.inputs);
        let expected = verdict(input.kind, &input.bytes, &input.name)?.accepted()?;
        let mut source = input.bytes.clone();
        for change in &changes {
            apply_harmless(input.kind, &mut source, change);
        }
        let verdict = verdict(input.kind, &source, &input.name).map_err(with_source(&source))?;
        let text = verdict.accepted().map_err(with_source(&source))?;
        prop_assert!(text == expected, "the meaning changed: {}", first_difference(&expected, &text));
        Ok(())
    });
}

// ---------------------------------------------------------------------------------------------------------------
// Maximal inputs and time.

/// The longest time any maximal input may take to parse: far above what a linear parser needs (milliseconds).
const PARSE_TIME_MAX: Duration = Duration::from_secs(2);

/// The largest ratio allowed between the costs per byte of a file and of a sixteenth of it: about 1 for a linear
/// parser, 16 for a quadratic one; one whose quadratic part takes a seventh of the time on the sixteenth already
/// goes over.
const FILE_RATIO_MAX: f64 = 3.0;

/// The largest ratio allowed between the costs per byte of 4,096-byte lines and of 128-byte lines: about 0.5 for a
/// linear parser (short lines cost more each), up to 32 for one quadratic in the length of a line; about 3 on lines
/// of one-digit terms for the old parser's mistake put back (see `reading_time_is_linear_in_the_line_length`).
const LINE_RATIO_MAX: f64 = 1.5;

/// How many times each input is timed; the fastest time counts, so that a busy machine does not fail the test.
const ROUNDS: usize = 5;

/// A real scenario, split into its headers (written once) and its other lines (repeated): the longest file of
/// `tests/scenarios`.
fn scenario_parts() -> (String, Vec<String>) {
    let input = corpus()
        .inputs
        .iter()
        .filter(|input| input.name.starts_with("tests/scenarios/"))
        .max_by_key(|input| (input.bytes.len(), input.name.clone()))
        .expect("there are scenarios");
    let text = std::str::from_utf8(&input.bytes).expect("UTF-8");
    let (headers, rest): (Vec<&str>, Vec<&str>) =
        text.lines().partition(|line| matches!(first_word(line.as_bytes()), b"profile" | b"setup"));
    let mut header: String = headers.iter().map(|line| format!("{line}\n")).collect();
    header.insert_str(0, &format!("# {} repeated\n", input.name));
    (header, rest.iter().map(|line| line.to_string()).collect())
}

/// `header`, then `lines` over and over, as many whole lines as fit in `size` bytes.
fn repeated(header: &str, lines: &[String], size: usize) -> Vec<u8> {
    let mut source = header.as_bytes().to_vec();
    for line in lines.iter().cycle() {
        if source.len() + line.len() + 1 > size {
            break;
        }
        source.extend_from_slice(line.as_bytes());
        source.push(b'\n');
    }
    source
}

/// Flag terms: names with and without `LOGOFF_`, and numbers; about 500 of them on a 4,096-byte line.
const FLAG_NAMES: [&str; 12] = [
    "NO_WAIT",
    "LOGOFF_ORDERLY",
    "PURGE",
    "LOGOFF_ABORT",
    "QUIET",
    "COMPLETE",
    "LOGOFF_INBOUND",
    "OUTBOUND",
    "OUTBOUND_QUEUE",
    "0x20",
    "18",
    "LOGOFF_NO_WAIT",
];

/// The shortest flag terms, one-digit numbers: about 2,000 of them on a 4,096-byte line.
const FLAG_DIGITS: [&str; 5] = ["1", "2", "4", "8", "0"];

/// A step line of exactly `length` bytes: `c0 logoff` and `terms` joined by `|`, the last term a zero padded with
/// leading zeros to the exact length.
fn flag_line(length: usize, terms: &[&str]) -> String {
    let mut line = String::from("c0 logoff ");
    for term in terms.iter().cycle() {
        if line.len() + term.len() + 1 > length - 3 {
            break;
        }
        line.push_str(term);
        line.push('|');
    }
    let zeros = length - line.len();
    line.push_str(&"0".repeat(zeros));
    assert_eq!(line.len(), length);
    line
}

/// Lines that are each malformed in a different way, so that every line of the file makes an error message.
fn error_lines() -> Vec<String> {
    vec![
        "c0 logoff NO_WAIT|BOGUS # unknown flag".to_string(),
        "spooler sned m0 t0".to_string(),
        format!("{} # a long unknown verb", "x".repeat(1_000)),
        format!("c0 logoff {}", "|".repeat(500)),
        "expect c0 returned S_OK 0x100000000".to_string(),
        "c01 addref".to_string(),
        format!("expect t0 log flush:{}", "UPLOAD|".repeat(300)),
    ]
}

/// The kinds of maximal input: a name, how to parse it, and how to make one of about `size` bytes.
type Workload = (&'static str, Kind, fn(usize) -> Vec<u8>);

fn workloads() -> [Workload; 4] {
    [
        ("a scenario's lines repeated", Kind::Script, |size| {
            let (header, lines) = scenario_parts();
            repeated(&header, &lines, size)
        }),
        ("4,096-byte flag lines", Kind::Script, |size| repeated("", &[flag_line(LINE_BYTES_MAX, &FLAG_NAMES)], size)),
        ("lines that are all errors", Kind::Script, |size| repeated("", &error_lines(), size)),
        ("a seed file", Kind::Seed, |size| {
            let (header, lines) = scenario_parts();
            let header = format!("format 1\nseed 7\nexpect clean\nwhy timing\n---\n{header}");
            repeated(&header, &lines, size)
        }),
    ]
}

/// Parses without checking, for timing.
fn parse_only(kind: Kind, source: &[u8]) {
    match kind {
        Kind::Script => drop(black_box(script::parse(black_box(source), "timed.scn"))),
        Kind::Seed => drop(black_box(SeedFile::parse(black_box(source), "timed.seed"))),
    }
}

/// Compares the cost per byte of `run` on `large` with its cost per byte on `small`, and returns their ratio and
/// the time of `large`. `small` is run as many times in a row as it takes to read about as many bytes as `large`,
/// so that both timings last about as long and a busy machine (a time slice lost, a cache shared) slows them
/// alike; each is the fastest of [`ROUNDS`], timed in turn.
fn cost_ratio(small: &[u8], large: &[u8], run: &dyn Fn(&[u8])) -> (f64, Duration) {
    let repeats = (large.len() / small.len()).max(1);
    let (mut small_time, mut large_time) = (Duration::MAX, Duration::MAX);
    for _ in 0..ROUNDS {
        let start = Instant::now();
        for _ in 0..repeats {
            run(black_box(small));
        }
        small_time = small_time.min(start.elapsed());
        let start = Instant::now();
        run(black_box(large));
        large_time = large_time.min(start.elapsed());
    }
    let small_per_byte = small_time.max(Duration::from_micros(1)).as_secs_f64() / (repeats * small.len()) as f64;
    let large_per_byte = large_time.as_secs_f64() / large.len() as f64;
    (large_per_byte / small_per_byte, large_time)
}

/// Shows that the maximal inputs (just under 1 MiB: a real scenario's lines repeated, lines of exactly 4,096 bytes
/// of flag terms, a seed file) are accepted and round-trip, and that one byte more on a line, or one line more in
/// the file, makes them rejected.
#[test]
fn maximal_inputs_are_accepted_and_bounds_are_exact() {
    let _busy = busy();
    for (name, kind, make) in workloads() {
        if name == "lines that are all errors" {
            continue;
        }
        let source = make(FILE_BYTES_MAX);
        assert!(source.len() > FILE_BYTES_MAX - LINE_BYTES_MAX - 1, "{name}: {} bytes", source.len());
        verdict(kind, &source, "maximal").and_then(Verdict::accepted).unwrap_or_else(|error| panic!("{name}: {error}"));

        // Over the file bound: one more line, whole, after the last one.
        let lines = split_lines(&source);
        let mut longer = source.clone();
        while longer.len() <= FILE_BYTES_MAX {
            longer.extend_from_slice(&lines[lines.len() - 2]);
            longer.push(b'\n');
        }
        let (_, _, message) = verdict(kind, &longer, "maximal")
            .and_then(Verdict::rejected)
            .unwrap_or_else(|error| panic!("{name} over 1 MiB: {error}"));
        assert!(message.contains(&format!("longer than {FILE_BYTES_MAX} bytes")), "{message}");

        // Over the line bound: one more byte on the longest line, padded with spaces to exactly 4,096 bytes first (a
        // file smaller by two lines' worth, so that the padding keeps it within 1 MiB).
        let mut lines = split_lines(&make(FILE_BYTES_MAX - 2 * LINE_BYTES_MAX));
        let longest = (0..lines.len()).max_by_key(|&index| (lines[index].len(), index)).expect("lines");
        lines[longest].resize(LINE_BYTES_MAX, b' ');
        let exact = join_lines(&lines);
        verdict(kind, &exact, "maximal")
            .and_then(Verdict::accepted)
            .unwrap_or_else(|error| panic!("{name} with a line of exactly 4,096 bytes: {error}"));
        lines[longest].push(b' ');
        let over = join_lines(&lines);
        let (line, _, message) = verdict(kind, &over, "maximal")
            .and_then(Verdict::rejected)
            .unwrap_or_else(|error| panic!("{name} with a line of 4,097 bytes: {error}"));
        assert_eq!(line, longest + 1, "{message}");
        assert!(message.contains("the line is 4097 bytes long"), "{message}");
    }
}

/// Shows that reading time is linear in the size of a file: for each kind of maximal input (a real scenario's lines
/// repeated, 4,096-byte lines of flag terms, lines that are all errors, a seed file), just under 1 MiB is read in
/// well under 2 s, and at a cost per byte at most [`FILE_RATIO_MAX`] times that of a sixteenth of it (read 16
/// times).
#[test]
fn reading_time_is_linear_in_the_file_size() {
    let _alone = alone();
    for (name, kind, make) in workloads() {
        let large = make(FILE_BYTES_MAX);
        let small = make(FILE_BYTES_MAX / 16);
        let (ratio, large_time) = cost_ratio(&small, &large, &|source| parse_only(kind, source));
        assert!(large_time < PARSE_TIME_MAX, "{name}: {large_time:?} for {} bytes", large.len());
        assert!(
            ratio < FILE_RATIO_MAX,
            "{name}: a byte of {} bytes costs {ratio:.1} times as much as one of {} bytes ({large_time:?})",
            large.len(),
            small.len()
        );
    }
}

/// The two inputs of the line-length check, each of about `size` bytes: lines of 128 bytes and lines of 4,096
/// bytes, each a step with `terms` joined by `|`.
fn short_and_long_lines(size: usize, terms: &[&str]) -> (Vec<u8>, Vec<u8>) {
    (repeated("", &[flag_line(128, terms)], size), repeated("", &[flag_line(LINE_BYTES_MAX, terms)], size))
}

/// Shows that reading time is linear in the length of a line: a megabyte of 4,096-byte lines of `|`-joined flag
/// terms (flag names, about 500 a line; or one-digit numbers, about 2,000 a line) is read at a cost per byte at most
/// [`LINE_RATIO_MAX`] times that of a megabyte of 128-byte lines of the same terms. The old parser, which counted
/// the column of each term from the start of its word, was quadratic here (6.8 s for one line of 200,000 terms,
/// before lines were bounded); put back, that mistake makes a byte of the long lines of digits cost about 3 times
/// as much as one of the short lines, and `the_time_checks_catch_quadratic_readers` shows a toy reader doing the
/// same go over the bound.
#[test]
fn reading_time_is_linear_in_the_line_length() {
    let _alone = alone();
    for (name, terms) in [("flag names", &FLAG_NAMES[..]), ("one-digit numbers", &FLAG_DIGITS[..])] {
        let (short, long) = short_and_long_lines(FILE_BYTES_MAX, terms);
        for source in [&short, &long] {
            verdict(Kind::Script, source, "lines")
                .and_then(Verdict::accepted)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        let (ratio, long_time) = cost_ratio(&short, &long, &|source| parse_only(Kind::Script, source));
        assert!(long_time < PARSE_TIME_MAX, "{name}: {long_time:?}");
        assert!(ratio < LINE_RATIO_MAX, "{name}: a byte of long lines costs {ratio:.1} times as much as of short ones");
    }
}

/// A toy reader quadratic in the size of a file: for each line, it counts the lines before it from the start.
fn quadratic_in_the_file(source: &[u8]) {
    let mut total = 0;
    for (at, _) in source.iter().enumerate().filter(|(_, &byte)| byte == b'\n') {
        total += source[..at].iter().filter(|&&byte| byte == b'\n').count();
    }
    black_box(total);
}

/// A toy reader quadratic in the length of a line, as the old parser was: for each `|`-joined term, it counts the
/// characters of its line before it.
fn quadratic_in_the_line(source: &[u8]) {
    let text = std::str::from_utf8(source).expect("UTF-8");
    let mut total = 0;
    for line in text.lines() {
        for (at, _) in line.match_indices('|') {
            total += line[..at].chars().count();
        }
    }
    black_box(total);
}

/// Shows that the two time checks can fail: the toy readers quadratic in the size of a file and in the length of a
/// line go over [`FILE_RATIO_MAX`] and [`LINE_RATIO_MAX`] on the same kinds of input (smaller ones, to keep the
/// test short).
#[test]
fn the_time_checks_catch_quadratic_readers() {
    let _alone = alone();
    let (header, lines) = scenario_parts();
    let (small, large) = (repeated(&header, &lines, 4 << 10), repeated(&header, &lines, 64 << 10));
    let (ratio, _) = cost_ratio(&small, &large, &quadratic_in_the_file);
    assert!(ratio > FILE_RATIO_MAX, "a quadratic reader's ratio is only {ratio:.1}");

    let (short, long) = short_and_long_lines(256 << 10, &FLAG_NAMES);
    let (ratio, _) = cost_ratio(&short, &long, &quadratic_in_the_line);
    assert!(ratio > LINE_RATIO_MAX, "a reader quadratic in the line has a ratio of only {ratio:.1}");
}

// ---------------------------------------------------------------------------------------------------------------
// The checks themselves can fail.

/// Shows that the message and round-trip checks fail when they should, on errors and scripts made up to break
/// them: a message of two lines, a wrong file name, a line or column outside the file, a missing `; expected`, and
/// a script whose canonical text is not accepted.
#[test]
fn the_checks_can_fail() {
    let source = b"c0 addref\nc0 frobnicate\n";
    let error = script::parse(source, "a.scn").unwrap_err();
    assert!(check_script_error(&error, source, "a.scn").is_ok(), "{error}");
    let broken = [
        ScriptError { problem: "two\nlines".to_string(), ..error.clone() },
        ScriptError { file: "b.scn".to_string(), ..error.clone() },
        ScriptError { line: 0, ..error.clone() },
        ScriptError { line: 4, ..error.clone() },
        ScriptError { column: 0, ..error.clone() },
        ScriptError { column: 15, ..error.clone() },
        ScriptError { expected: String::new(), ..error.clone() },
    ];
    for error in broken {
        assert!(check_script_error(&error, source, "a.scn").is_err(), "{error:?} passed");
    }
    let seed_error = SeedFileError { file: "a.seed".to_string(), line: 1, column: None, message: "x".to_string() };
    assert!(check_seed_error(&seed_error, b"x\n", "a.seed").is_ok());
    assert!(check_seed_error(&SeedFileError { line: 3, ..seed_error.clone() }, b"x\n", "a.seed").is_err());
    assert!(check_seed_error(&SeedFileError { column: Some(3), ..seed_error.clone() }, b"x\n", "a.seed").is_err());
    assert!(check_seed_error(&SeedFileError { message: "\u{85}".into(), ..seed_error }, b"x\n", "a.seed").is_err());

    // A script that the parser would never make: a setup out of bounds, which its canonical text writes as it is.
    let mut script = script::parse(source.split_at(10).0, "a.scn").expect("one step");
    assert!(check_script_round_trip(&script, "a.scn").is_ok());
    script.setup.clients = 0;
    assert!(check_script_round_trip(&script, "a.scn").is_err());
    script.setup.clients = 1;
    script.items.clear();
    assert!(check_script_round_trip(&script, "a.scn").is_err(), "no step");
}

/// Shows that a CR that is the last byte of a file, with no LF after it, is rejected like any CR not followed by
/// LF (SPEC.md section 6.1): the final line has no line end to be part of. (`control_characters_are_rejected_anywhere`
/// inserts CRs at the end of files too; this is the smallest case.)
#[test]
fn a_cr_ending_the_file_is_rejected() {
    for source in [&b"c0 addref\r"[..], b"c0 addref\n\r"] {
        let verdict = verdict(Kind::Script, source, "cr.scn").and_then(Verdict::rejected);
        let (_, _, message) = verdict.unwrap_or_else(|error| panic!("{:?}: {error}", String::from_utf8_lossy(source)));
        assert!(message.contains("character U+000D"), "{message}");
    }
    let seed = b"format 1\nseed 1\nexpect clean\nwhy a CR at the end\n---\nc0 addref\r";
    let (line, _, message) = verdict(Kind::Seed, seed, "cr.seed").and_then(Verdict::rejected).unwrap();
    assert_eq!(line, 6, "{message}");
}

// ---------------------------------------------------------------------------------------------------------------
// Two parser bugs found while writing this file, fixed since; each test failed before its fix.

/// Shows that the canonical text of an accepted line stays within the line bound, so that it parses again. Numbers
/// are written back as flag names (`flush:0x3e`, 10 bytes, becomes `flush:UPLOAD|DOWNLOAD|FORCE|NO_UI|ASYNC_OK`),
/// which made a 4,096-byte `expect t0 log` line about 16,000 bytes long; a list line now holds at most 64 items, and
/// 64 of the widest items fit. (A whole file can still grow past 1 MiB when
/// written back, if it is near the bound and written with numbers: docs/MODEL.md says why that is accepted.)
#[test]
fn canonical_lines_stay_within_the_line_bound() {
    let widest = " flush:0xFFFFFFFF";
    let line = format!("expect t0 log{}", widest.repeat(script::LIST_ITEMS_MAX));
    let source = format!("c0 addref\n{line}\n");
    let parsed = script::parse(source.as_bytes(), "bounds.scn").expect("64 items are accepted");
    if let Err(error) = check_script_round_trip(&parsed, "bounds.scn") {
        panic!("64 of the widest items: {error}");
    }
    let longest = parsed.to_string().lines().map(str::len).max().unwrap_or(0);
    assert!(longest <= LINE_BYTES_MAX, "a canonical line of {longest} bytes");
    let too_many = format!("c0 addref\n{line}{widest}\n");
    let error = script::parse(too_many.as_bytes(), "bounds.scn").unwrap_err().to_string();
    assert!(error.contains("more than 64 log items"), "{error}");
}

/// Shows that a word holding a backtick is cut to a 40-character excerpt in an error message like any other word
/// (docs/SPEC.md section 6.6): the excerpt used to be found by counting backticks, which such a word defeats.
#[test]
fn a_backtick_in_a_word_does_not_defeat_the_excerpt() {
    let word = format!("`{}", "x".repeat(4_000));
    for source in [format!("{word}\n"), format!("c0 logoff NO_WAIT|{word}\n")] {
        let message = script::parse(source.as_bytes(), "quote.scn").unwrap_err().to_string();
        assert!(message.len() < 400, "a message of {} bytes: {}...", message.len(), &message[..100]);
    }
    let seed = format!("{word} 1\n---\nc0 addref\n");
    let message = SeedFile::parse(seed.as_bytes(), "quote.seed").unwrap_err().to_string();
    assert!(message.len() < 400, "a message of {} bytes: {}...", message.len(), &message[..100]);
}
