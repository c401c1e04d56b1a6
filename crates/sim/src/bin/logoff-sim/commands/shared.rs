//! The options and checks several commands share: the output format, the parsers of `--profile` help, `--mutant`,
//! seed ranges and output paths, and the refusals of `-` where it cannot be.

use std::path::{Path, PathBuf};

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::ValueEnum;
use logoff_core::{Mutant, Profile};
use sim::err;

/// The help of `--profile`: its form and every knob with its two values.
pub fn profile_help() -> String {
    let (first, second) = (Profile::from_index(0).values(), Profile::from_index(Profile::COUNT - 1).values());
    let knobs: Vec<String> = Profile::KNOBS
        .iter()
        .enumerate()
        .map(|(i, knob)| format!("A{} {knob}={}|{}", i + 1, first[i], second[i]))
        .collect();
    format!(
        "`default`, or knob=value pairs separated by commas (`call_site=eager,orderly=drain`), each knob at most \
         once; unnamed knobs keep their default (the first value). Knobs: {}.",
        knobs.join(", ")
    )
}

/// `--mutant`: `none` or one of the mutants, listed in `--help`.
pub fn mutant_parser() -> impl TypedValueParser<Value = Mutant> {
    let names = std::iter::once("none").chain(Mutant::ALL.iter().map(|mutant| mutant.name()));
    PossibleValuesParser::new(names).map(|name| Mutant::from_name(&name).unwrap_or_default())
}

/// How a command prints its result.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// `A..B` with A < B.
pub fn parse_seeds(text: &str) -> Result<std::ops::Range<u64>, String> {
    let (start, end) =
        text.split_once("..").ok_or_else(|| format!("`{text}` is not a range; expected A..B, such as 0..1000"))?;
    let number = |s: &str| {
        s.trim().parse::<u64>().map_err(|_| format!("`{s}` is not a seed; expected a decimal number below 2^64"))
    };
    let (start, end) = (number(start)?, number(end)?);
    if start >= end {
        return Err(format!("{start}..{end} is empty; expected A..B with A < B"));
    }
    Ok(start..end)
}

/// Refuses `-` named more than once: standard input can be read only once.
pub fn stdin_at_most_once(files: &[PathBuf]) -> Result<(), u8> {
    if files.iter().filter(|path| *path == Path::new("-")).count() > 1 {
        err!("error: `-` is named more than once; expected standard input at most once");
        return Err(2);
    }
    Ok(())
}

/// An output path: a file name, or `-` for standard output where the command says so.
pub fn parse_output_path(text: &str) -> Result<PathBuf, String> {
    if text.is_empty() {
        return Err("an empty name is not a file path; expected the path of the file to write, or -".to_string());
    }
    Ok(PathBuf::from(text))
}

/// Refuses `-` for an output of a command whose standard output already carries its result.
pub fn not_stdout(option: &str, path: Option<&Path>, carries: &str) -> Result<(), u8> {
    if path == Some(Path::new("-")) {
        err!("error: {option} -: standard output carries {carries}; expected the path of a file");
        return Err(2);
    }
    Ok(())
}

/// The process's peak resident set size (Linux's VmHWM), for the sweep's report.
pub fn peak_resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
