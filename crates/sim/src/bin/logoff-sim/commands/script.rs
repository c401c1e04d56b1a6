//! `logoff-sim script`: scenario scripts run, every invariant checked.

use std::path::PathBuf;

use logoff_core::Mutant;
use sim::documents::{pretty, ScriptFile, Scripts, SCHEMA_VERSION};
use sim::text::{self, input_name, plural};
use sim::{err, out};

use super::shared::{mutant_parser, stdin_at_most_once, Format};

#[derive(clap::Args)]
pub struct Args {
    /// The mistake the model makes; `none` (the reference model) by default.
    #[arg(long, default_value = "none", value_parser = mutant_parser())]
    pub mutant: Mutant,
    /// Scenario scripts (`.scn`); `-` reads one from standard input.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// `text` for people, `json` for programs (one document for all the files, docs/JSON.md).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

pub fn exec(args: Args) -> u8 {
    let Args { mutant, files, format } = args;
    stdin_at_most_once(&files).map_or_else(|code| code, |()| script_command(&files, mutant, format))
}

/// `logoff-sim script FILE...`: runs each file in the order given, with the model making `mutant`'s mistake, every
/// invariant checked after every step and liveness after the last ([`sim::liveness::verify_script`]); prints one
/// line for each (or, with `--format json`, one document for all), and returns the largest of their exit codes
/// (0 pass, 1 failed, 2 malformed or unreadable).
fn script_command(paths: &[PathBuf], mutant: Mutant, format: Format) -> u8 {
    let mut exit_code = 0;
    let mut results = Vec::new();
    for path in paths {
        let file = input_name(path);
        let (code, message, counts) = match text::read(path) {
            Err(error) => (2, format!("{file}: error: {error}; expected a readable scenario file"), None),
            Ok(source) => match sim::script::parse(&source, &file) {
                Err(error) => (2, error.to_string(), None),
                Ok(mut script) => {
                    script.mutant = mutant;
                    match sim::liveness::verify_script(&script) {
                        Ok(outcome) => {
                            let line = format!(
                                "{file}: ok ({}, {})",
                                plural(outcome.steps as u64, "step", "steps"),
                                plural(outcome.expectations as u64, "expectation", "expectations")
                            );
                            (0, line, Some((outcome.steps, outcome.expectations)))
                        }
                        Err(error) => (error.exit_code(), error.to_string(), None),
                    }
                }
            },
        };
        match (format, code) {
            (Format::Text, 0) => out!("{message}"),
            _ if code != 0 => err!("{message}"),
            _ => {}
        }
        let status = ["ok", "failed", "malformed"][usize::from(code.min(2))];
        results.push(ScriptFile {
            exit_code: code,
            expectations: counts.map(|(_, expectations)| expectations),
            file,
            message,
            status,
            steps: counts.map(|(steps, _)| steps),
        });
        exit_code = exit_code.max(code);
    }
    if format == Format::Json {
        let document = Scripts {
            command: "script",
            exit_code,
            files: results,
            mutant: mutant.name(),
            schema_version: SCHEMA_VERSION,
        };
        out!("{}", pretty(&document));
    }
    exit_code
}
