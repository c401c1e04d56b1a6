//! Seed files: a run kept on disk, with why it is kept and what it must do when replayed.
//!
//! Format 1, one item a line; `#` lines and blank lines are ignored before the `---` line:
//!
//! ```text
//! # anything
//! format 1
//! seed 42
//! mutant none                       (optional: the mistake the model makes, `none` by default)
//! expect clean                      (or: expect violation conservation)
//! why the first seed that refused a QUIET with a receive in progress
//! ---
//! profile call_site=deferred ...    (the run's steps as a scenario script, SPEC.md section 6)
//! setup clients=2 transports=1 inbox=yes other=0
//! c0 submit m0
//! ...
//! ```
//!
//! The steps are kept, not only the seed, so a seed file replays the same run after the generator changes. The
//! script part is parsed with the script parser, with the header lines blanked, so that every error names the
//! line of the seed file itself.

use std::fmt;
use std::path::Path;

use logoff_core::*;

use crate::invariants::Invariant;
use crate::liveness::verify_script_typed;
use crate::observe::{ClientReturn, Observed};
use crate::output::{write_file, COMMAND};
use crate::role::Provider;
use crate::script::{self, Expectation, MessagePhase, Script, TransportPhase, TransportsReturned};
use crate::simulate::{Config, Observer};
use crate::text;
use crate::trace::Trace;

/// The seed-file format this program reads and writes.
pub const FORMAT: u32 = 1;

/// The longest `why` line, in characters (well within a line's bound).
pub const WHY_CHARS_MAX: usize = 1_000;

/// What replaying a seed file must show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expected {
    /// Every step is enabled (or expected to be rejected), every expectation holds, no invariant breaks.
    Clean,
    /// The run breaks this invariant.
    Violation(Invariant),
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expected::Clean => f.write_str("clean"),
            Expected::Violation(invariant) => write!(f, "violation {invariant}"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeedFile {
    pub seed: u64,
    pub expect: Expected,
    pub why: String,
    pub script: Script,
}

/// A malformed seed file: the file, the line (from 1) and what was expected there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeedFileError {
    pub file: String,
    pub line: usize,
    /// The column (from 1), for errors in the steps.
    pub column: Option<usize>,
    pub message: String,
}

impl fmt::Display for SeedFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.column {
            Some(column) => write!(f, "{}:{}:{}: error: {}", self.file, self.line, column, self.message),
            None => write!(f, "{}:{}: error: {}", self.file, self.line, self.message),
        }
    }
}

impl std::error::Error for SeedFileError {}

impl SeedFile {
    /// Reads a seed file. `file` names it in errors. Lines are read as a script's are ([`text::lines`]); each
    /// header key may appear once.
    pub fn parse(source: &[u8], file: &str) -> Result<SeedFile, SeedFileError> {
        let error = |line: usize, message: String| SeedFileError {
            file: file.to_string(),
            line,
            column: None,
            message: text::with_excerpts(&message),
        };
        let (mut format, mut seed, mut expect, mut why, mut mutant) = (None, None, None, None, None);
        // The line of each header key seen so far, to refuse a repeated one.
        let mut seen: Vec<(&str, usize)> = Vec::new();
        let mut separator = None;
        let mut last_line = 0;
        let mut lines = text::lines(source);
        for (line, content) in lines.by_ref() {
            last_line = line;
            let content = content.map_err(|e| SeedFileError {
                file: file.to_string(),
                line,
                column: Some(e.column),
                message: format!("{}; expected {}", e.problem, e.expected),
            })?;
            let content = content.trim();
            if content == "---" {
                separator = Some(line);
                break;
            }
            if content.is_empty() || content.starts_with('#') {
                continue;
            }
            let (key, value) = content.split_once(' ').map_or((content, ""), |(k, v)| (k, v.trim()));
            if let Some((_, first)) = seen.iter().find(|(seen_key, _)| *seen_key == key) {
                return Err(error(line, format!("`{key}` repeated (first at line {first}); expected each key once")));
            }
            seen.push((key, line));
            match key {
                "format" => {
                    let number: u32 = value.parse().map_err(|_| {
                        error(line, format!("format `{value}` is not a number; expected `format {FORMAT}`"))
                    })?;
                    if number != FORMAT {
                        return Err(error(line, format!("format {number} is not supported; expected format {FORMAT}")));
                    }
                    format = Some(number);
                }
                "seed" => {
                    let number = value.parse::<u64>().map_err(|_| {
                        error(line, format!("seed `{value}` is not a number; expected a decimal number below 2^64"))
                    })?;
                    seed = Some(number);
                }
                "expect" => {
                    let parsed = match value.split_once(' ') {
                        None if value == "clean" => Some(Expected::Clean),
                        Some(("violation", name)) => Invariant::from_name(name.trim()).map(Expected::Violation),
                        _ => None,
                    };
                    let names: Vec<&str> = Invariant::ALL.iter().map(|i| i.name()).collect();
                    expect = Some(parsed.ok_or_else(|| {
                        error(
                            line,
                            format!(
                                "`expect {value}` is not an outcome; expected `expect clean` or `expect violation` \
                                 and one of {}",
                                names.join(", ")
                            ),
                        )
                    })?);
                }
                "mutant" => mutant = Some(value.parse::<Mutant>().map_err(|e| error(line, e))?),
                "why" if !value.is_empty() => why = Some(value.to_string()),
                "why" => return Err(error(line, "`why` is empty; expected the reason the seed is kept".to_string())),
                other => {
                    return Err(error(
                        line,
                        format!("unknown key `{other}`; expected format, seed, mutant, expect, why, or the `---` line"),
                    ))
                }
            }
        }
        let Some(separator) = separator else {
            return Err(error(last_line.max(1), "no `---` line; expected one between the header and the steps".into()));
        };
        let missing = |what: &str| error(separator, format!("the header has no `{what}` line before `---`"));
        format.ok_or_else(|| missing("format"))?;
        let seed = seed.ok_or_else(|| missing("seed"))?;
        let expect = expect.ok_or_else(|| missing("expect"))?;
        let why = why.ok_or_else(|| missing("why"))?;
        // Blank the header so that the script parser's line numbers are the seed file's.
        let mut body = vec![b'\n'; separator];
        body.extend_from_slice(lines.rest());
        let mut script = script::parse(&body, file).map_err(|e| SeedFileError {
            file: file.to_string(),
            line: e.line,
            column: Some(e.column),
            message: format!("{}; expected {}", e.problem, e.expected),
        })?;
        script.mutant = mutant.unwrap_or_default();
        Ok(SeedFile { seed, expect, why, script })
    }

    /// Checks a `why` text as [`SeedFile::parse`] would read it back: one line of text, not empty, without white
    /// space at either end, without control characters, at most [`WHY_CHARS_MAX`] characters.
    pub fn check_why(why: &str) -> Result<(), String> {
        if why.trim().is_empty() {
            return Err("the reason is empty; expected a line saying why the seed is kept".to_string());
        }
        if why.trim() != why {
            return Err("the reason starts or ends with white space; expected it trimmed".to_string());
        }
        if let Some(character) = why.chars().find(|c| text::forbidden(*c)) {
            return Err(format!(
                "the reason holds the control character U+{:04X}; expected one line of text",
                u32::from(character)
            ));
        }
        let count = why.chars().count();
        if count > WHY_CHARS_MAX {
            return Err(format!("the reason is {count} characters long; expected at most {WHY_CHARS_MAX}"));
        }
        Ok(())
    }

    /// Writes the seed file to `path`, whole or not at all, after checking that it reads back as itself: a seed
    /// file that `replay` would refuse is never reported saved.
    pub fn save(&self, path: &Path) -> Result<(), String> {
        self.save_with_header(path, None)
    }

    /// [`save`](SeedFile::save) with `header` (comment lines) in place of the first line, which says how the file
    /// replays (`conform` writes its own).
    pub fn save_with_header(&self, path: &Path, header: Option<&str>) -> Result<(), String> {
        let name = path.display().to_string();
        SeedFile::check_why(&self.why).map_err(|e| format!("cannot save {name}: {e}"))?;
        let text = self.to_string();
        let body = |text: &str| text.split_once('\n').map_or(String::new(), |(_, body)| body.to_string());
        let text = header.map_or(text.clone(), |header| format!("{header}{}", body(&text)));
        match SeedFile::parse(text.as_bytes(), &name) {
            Ok(read_back) if body(&read_back.to_string()) == body(&text) => {}
            Ok(_) => return Err(format!("cannot save {name}: it does not read back as written (a bug)")),
            Err(e) => return Err(format!("cannot save {name}: it would not read back: {e}")),
        }
        write_whole(path, &text)
    }

    /// Writes the seed file to `path`, whole or not at all, without reading it back: for a file built from a run
    /// as it was recorded ([`Recorder`]), which reads back by construction.
    pub fn write(&self, path: &Path) -> Result<(), String> {
        SeedFile::check_why(&self.why).map_err(|e| format!("cannot save {}: {e}", path.display()))?;
        write_whole(path, &self.to_string())
    }

    /// Replays the steps with every invariant checked after every step, and compares the outcome with `expect`.
    /// Returns a one-line description of what happened, or of how it differs from what was expected.
    pub fn replay(&self) -> Result<String, String> {
        self.replay_with(&mut Provider::model())
    }

    /// [`replay`](SeedFile::replay) with `provider` in the store provider's role.
    pub fn replay_with(&self, provider: &mut Provider) -> Result<String, String> {
        let result = verify_script_typed(&self.script, provider).map(|outcome| outcome.steps as u64);
        match (self.expect, result) {
            (Expected::Clean, Ok(steps)) => {
                Ok(format!("clean ({}), as expected", text::plural(steps, "step", "steps")))
            }
            (Expected::Clean, Err(failed)) => Err(format!("expected a clean run; {}", failed.error)),
            (Expected::Violation(expected), Err(failed)) if failed.broken == Some(expected) => {
                Ok(format!("violation of {expected}, as expected: {}", failed.error))
            }
            (Expected::Violation(expected), Err(failed)) => {
                Err(format!("expected a violation of {expected}; {}", failed.error))
            }
            (Expected::Violation(expected), Ok(steps)) => Err(format!(
                "expected a violation of {expected}; the run was clean ({})",
                text::plural(steps, "step", "steps")
            )),
        }
    }
}

impl fmt::Display for SeedFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "# logoff-sim seed file: replay with `{COMMAND} replay FILE`")?;
        writeln!(f, "format {FORMAT}")?;
        writeln!(f, "seed {}", self.seed)?;
        if self.script.mutant != Mutant::None {
            writeln!(f, "mutant {}", self.script.mutant)?;
        }
        writeln!(f, "expect {}", self.expect)?;
        writeln!(f, "why {}", self.why)?;
        writeln!(f, "---")?;
        write!(f, "{}", self.script)
    }
}

/// Reads and parses a seed file (`-`: standard input); the error is the message to print (exit 2).
pub fn read(path: &Path) -> Result<SeedFile, String> {
    let name = text::input_name(path);
    let source = text::read(path).map_err(|e| format!("{name}: error: {e}; expected a seed file"))?;
    SeedFile::parse(&source, &name).map_err(|e| e.to_string())
}

/// The run a file holds, and its title: a seed file (`.seed`, which names its own mutant) or a scenario script
/// (run with `mutant`); the error is the message to print (exit 2).
pub fn read_run(path: &Path, mutant: Option<Mutant>) -> Result<(Script, String), String> {
    let name = text::input_name(path);
    if path.extension().is_some_and(|e| e == "seed") {
        if mutant.is_some() {
            return Err(format!("{name}: error: --mutant is for --seed or a script; a seed file names its own mutant"));
        }
        let seed_file = read(path)?;
        let title = format!("{name} (seed {})", seed_file.seed);
        return Ok((seed_file.script, title));
    }
    let source =
        text::read(path).map_err(|e| format!("{name}: error: {e}; expected a scenario script or a seed file"))?;
    let mut script = script::parse(&source, &name).map_err(|e| e.to_string())?;
    script.mutant = mutant.unwrap_or(Mutant::None);
    Ok((script, name))
}

/// Writes a seed file's text to `path`, whole or not at all, its directory created first.
fn write_whole(path: &Path, text: &str) -> Result<(), String> {
    if let Some(directory) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(directory).map_err(|e| format!("cannot create {}: {e}", directory.display()))?;
    }
    write_file(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Records a generated run as its script while it runs ([`script_of`] without a trace and without applying the
/// steps again): the steps as they come, then, when it ends, the expectations that pin down where it ended.
pub struct Recorder {
    script: Script,
    observed: Observed,
}

impl Recorder {
    pub fn new(config: &Config, file: &str) -> Recorder {
        let mut script = Script::new(file, config.profile, config.setup);
        script.mutant = config.mutant;
        Recorder { script, observed: Observed::new() }
    }

    /// The script recorded (with its final expectations once the run has ended).
    pub fn into_script(self) -> Script {
        self.script
    }
}

impl Observer for Recorder {
    fn step(&mut self, _: u64, action: Action, effects: &Effects) {
        self.script.push_step(action);
        self.observed.record(action, effects);
    }

    fn rejected(&mut self, _: u64, action: Action, _: NotEnabled) {
        self.script.push_step(action);
        self.script.push_expectation(Expectation::Rejected);
    }

    fn finish(&mut self, model: &Model) {
        for expectation in final_expectations(model, &self.observed) {
            self.script.push_expectation(expectation);
        }
    }
}

/// The script of a generated run: its steps (a step a client attempted that was not enabled is followed by
/// `expect rejected`), then expectations that pin down where the run ended, so that the script fails if the
/// model's behaviour changes.
pub fn script_of(config: &Config, trace: &Trace, file: &str) -> Script {
    let mut script = Script::new(file, config.profile, config.setup);
    script.mutant = config.mutant;
    let mut model =
        Model::new(config.profile, config.setup).expect("a generated setup is valid").with_mutant(config.mutant);
    let mut observed = Observed::new();
    for step in &trace.steps {
        script.push_step(step.action);
        match step.result {
            Ok(_) => {
                if let Ok(effects) = model.apply(step.action) {
                    observed.record(step.action, &effects);
                }
            }
            Err(_) => script.push_expectation(Expectation::Rejected),
        }
    }
    for expectation in final_expectations(&model, &observed) {
        script.push_expectation(expectation);
    }
    script
}

/// The expectations that pin down where a run ended: the store, the StoreLogoffTransports calls and the last
/// return, reception, each client's last return, each transport's state and log, each message used.
pub fn final_expectations(model: &Model, observed: &Observed) -> Vec<Expectation> {
    let setup = model.setup();
    let mut expectations = vec![
        Expectation::Store(model.store_phase()),
        Expectation::TransportsCalls(observed.transports_calls().to_vec()),
    ];
    let returned = match (model.store_phase(), observed.transports_returned()) {
        (StorePhase::LoggingOff, _) => TransportsReturned::Pending,
        (_, Some(flags)) => TransportsReturned::Flags(flags),
        (_, None) => TransportsReturned::None,
    };
    expectations.push(Expectation::TransportsReturned(returned));
    expectations.push(Expectation::Reception { enabled: model.reception_enabled() });
    for c in ClientId::all(usize::from(setup.clients)) {
        if let ClientReturn::Returned(hresult, flags) = observed.client_return(c) {
            expectations.push(Expectation::Returned { client: c, hresult, flags });
        }
    }
    for t in TransportId::all(usize::from(setup.transports)) {
        if let Some(state) = model.transport(t) {
            expectations.push(Expectation::Transport(t, TransportPhase::of(*state)));
            expectations.push(Expectation::TransportLog(t, observed.transport_log(t).to_vec()));
        }
    }
    for (i, state) in model.messages().iter().enumerate() {
        let phase = MessagePhase::of(state);
        if phase != MessagePhase::Unused {
            expectations.push(Expectation::Message(MessageId(i as u8), phase));
        }
    }
    expectations
}
