//! The JSON documents of `--format json` that are not a sweep's summary ([`crate::shard::Document`]) nor a run's
//! ([`crate::trace::Trace::json`]): typed, so that each is written one way (docs/JSON.md).
//!
//! Decision: the fields are declared in the order of their names, the order in which these documents were first
//! written (as `serde_json` maps, which sort their keys), so that the bytes stay the same.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::explore::{Counterexample, Report};
use crate::invariants::Invariant;

/// The version every document here carries.
pub const SCHEMA_VERSION: u32 = 1;

/// Writes a document as the commands print it: pretty, two spaces.
pub fn pretty<T: Serialize>(document: &T) -> String {
    serde_json::to_string_pretty(document).expect("a document always serialises")
}

/// `logoff-sim replay --format json`.
#[derive(Serialize)]
pub struct Replay {
    pub command: &'static str,
    pub exit_code: u8,
    pub files: Vec<ReplayFile>,
    pub schema_version: u32,
}

/// One seed file replayed.
#[derive(Serialize)]
pub struct ReplayFile {
    pub file: String,
    pub status: &'static str,
    pub what: String,
}

/// `logoff-sim script --format json`.
#[derive(Serialize)]
pub struct Scripts {
    pub command: &'static str,
    pub exit_code: u8,
    pub files: Vec<ScriptFile>,
    pub mutant: &'static str,
    pub schema_version: u32,
}

/// One script run.
#[derive(Serialize)]
pub struct ScriptFile {
    pub exit_code: u8,
    pub expectations: Option<usize>,
    pub file: String,
    pub message: String,
    pub status: &'static str,
    pub steps: Option<usize>,
}

/// `logoff-sim shrink --format json`; the fields of the shrunk script are `None` when nothing was shrunk.
#[derive(Serialize)]
pub struct Shrink {
    pub command: &'static str,
    pub exit_code: u8,
    pub input: String,
    pub invariant: &'static str,
    pub mutant: &'static str,
    pub out: Option<String>,
    pub render: Option<String>,
    pub replay: Option<String>,
    pub requirements: &'static str,
    pub schema_version: u32,
    pub script: Option<String>,
    pub seed: u64,
    pub steps_after: Option<usize>,
    pub steps_before: u64,
}

/// `logoff-sim mutants --format json`.
#[derive(Serialize)]
pub struct Mutants {
    pub caught_by_liveness: usize,
    pub command: &'static str,
    pub exit_code: u8,
    pub mutants: Vec<MutantRow>,
    pub out: String,
    pub reference: Reference,
    pub schema_version: u32,
    pub seeds: u64,
    pub shrunk_steps_max: usize,
}

/// One mutant hunted; the fields of the catch are `None` when it was not caught.
#[derive(Serialize)]
pub struct MutantRow {
    pub caught: bool,
    pub description: &'static str,
    pub explore_command: Option<String>,
    pub explored_bound: Option<String>,
    pub explored_invariant: Option<&'static str>,
    pub explored_steps: Option<usize>,
    pub implementer: Option<&'static str>,
    pub invariant: Option<&'static str>,
    pub mutant: &'static str,
    pub render: Option<String>,
    pub replay: Option<String>,
    pub requirements: Option<&'static str>,
    pub script: Option<String>,
    pub seed: Option<u64>,
    pub seeds_needed: Option<u64>,
    pub shrunk_steps: Option<usize>,
    pub steps_before: Option<usize>,
}

/// The reference model on the seeds the mutants were hunted on; `failing_runs` is `None` when the sweep failed.
#[derive(Serialize)]
pub struct Reference {
    pub failing_runs: Option<u64>,
    pub seeds: u64,
}

/// `logoff-sim explore --format json`.
#[derive(Serialize)]
pub struct Explore {
    pub blocked_states_checked: u64,
    pub bound: String,
    pub bytes_per_state: f64,
    pub command: &'static str,
    pub counterexamples: Vec<ExploreCounterexample>,
    pub depth: u32,
    pub exhaustive: bool,
    pub liveness: bool,
    pub mutant: &'static str,
    pub profile: String,
    /// With `--reduce` only: what the sleep sets saved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reduction: Option<ExploreReduction>,
    pub schema_version: u32,
    pub seconds: f64,
    pub symmetry: bool,
    pub transitions: u64,
    pub unique_states: u64,
    /// Violations by invariant name (in the order of the names).
    pub violations: BTreeMap<&'static str, u64>,
}

/// What the sleep sets of `explore --reduce` saved.
#[derive(Serialize)]
pub struct ExploreReduction {
    /// Partial re-expansions: states expanded again for steps that had been asleep in them (a state may be counted
    /// more than once).
    pub reexpanded: u64,
    /// Steps asleep at a state's first expansion (some are taken later in a re-expansion).
    pub slept: u64,
}

/// One counterexample written.
#[derive(Serialize)]
pub struct ExploreCounterexample {
    pub invariant: &'static str,
    pub script: String,
    pub steps: Vec<String>,
    pub what: String,
}

impl Explore {
    /// The document of an exploration that took `seconds`, with the counterexamples written (and their scripts).
    pub fn of(report: &Report, written: &[(&Counterexample, std::path::PathBuf)], seconds: f64) -> Explore {
        let options = &report.options;
        Explore {
            blocked_states_checked: report.blocked,
            bound: options.bound.to_string(),
            bytes_per_state: report.bytes_per_state,
            command: "explore",
            counterexamples: written
                .iter()
                .map(|(counterexample, scn)| ExploreCounterexample {
                    invariant: counterexample.violation.invariant.name(),
                    script: scn.display().to_string(),
                    steps: counterexample.steps.iter().map(|a| a.to_string()).collect(),
                    what: counterexample.violation.detail().to_string(),
                })
                .collect(),
            depth: report.depth,
            exhaustive: report.complete,
            liveness: options.liveness,
            mutant: options.mutant.name(),
            profile: options.profile.to_string(),
            reduction: options.reduce.map(|_| ExploreReduction { reexpanded: report.reexpanded, slept: report.slept }),
            schema_version: SCHEMA_VERSION,
            seconds,
            symmetry: options.symmetry,
            transitions: report.transitions,
            unique_states: report.unique,
            violations: Invariant::ALL
                .iter()
                .map(|invariant| (invariant.name(), report.violations[invariant.index()]))
                .collect(),
        }
    }
}
