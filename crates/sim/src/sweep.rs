//! Sweeps: many seeds in parallel, summed into one summary that does not depend on the number of jobs.

use std::fmt;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use logoff_core::{Mutant, Profile};
use rayon::prelude::*;

use crate::coverage::{Coverage, CoverageTable};
use crate::invariants::{Invariant, Violation};
use crate::simulate::{Config, Simulator};
use crate::text;

/// Seeds handed to a worker at a time; the buffers of the simulator are reused within a chunk.
const CHUNK_SEEDS: u64 = 1_024;

/// What a sweep found. Every field is a sum or a minimum over the seeds, so it is the same with any number of jobs.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Summary {
    pub runs: u64,
    pub steps: u64,
    /// Failing runs, by invariant (indexed by `Invariant::index`).
    pub violations: [u64; Invariant::ALL.len()],
    /// The lowest failing seed, by invariant.
    pub first_failure: [Option<u64>; Invariant::ALL.len()],
    pub coverage: Coverage,
}

impl Default for Summary {
    fn default() -> Self {
        Summary {
            runs: 0,
            steps: 0,
            violations: [0; Invariant::ALL.len()],
            first_failure: [None; Invariant::ALL.len()],
            coverage: Coverage::default(),
        }
    }
}

impl Summary {
    /// The summary of two disjoint sets of seeds.
    pub fn merge(mut self, other: Summary) -> Summary {
        self.runs += other.runs;
        self.steps += other.steps;
        for i in 0..Invariant::ALL.len() {
            self.violations[i] += other.violations[i];
            self.first_failure[i] = match (self.first_failure[i], other.first_failure[i]) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        self.coverage.add(&other.coverage);
        self
    }

    pub fn failing_runs(&self) -> u64 {
        self.violations.iter().sum()
    }
}

/// A failing run, handed to the sweep's caller as soon as it is found (to be written to disk before anything else).
pub struct Failure {
    pub config: Config,
    pub violation: Violation,
    pub step: u32,
}

/// Why a sweep did not give a summary.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error("cannot start the worker threads: {0}")]
    Threads(#[from] rayon::ThreadPoolBuildError),
    /// A bug of the sweep itself: it must run every seed of its range exactly once.
    #[error("the sweep ran {ran} runs for the {expected} seeds of its range (a bug)")]
    Incomplete { ran: u64, expected: u64 },
}

/// Runs every seed of `seeds` on `jobs` threads, each exactly once, and checks that it did. `profile` overrides the profile drawn by each seed; `mutant` is
/// the mistake the model makes. `on_failure` is called from the worker thread for each failing run, in no
/// particular order.
pub fn sweep(
    seeds: Range<u64>,
    jobs: usize,
    profile: Option<Profile>,
    mutant: Mutant,
    on_failure: &(dyn Fn(Failure) + Sync),
) -> Result<Summary, SweepError> {
    sweep_with_progress(seeds, jobs, profile, mutant, on_failure, &|_| {})
}

/// [`sweep`], calling `on_progress` with the number of seeds each chunk ran as it finishes (for a progress bar; it
/// decides nothing).
pub fn sweep_with_progress(
    seeds: Range<u64>,
    jobs: usize,
    profile: Option<Profile>,
    mutant: Mutant,
    on_failure: &(dyn Fn(Failure) + Sync),
    on_progress: &(dyn Fn(u64) + Sync),
) -> Result<Summary, SweepError> {
    let never = AtomicBool::new(false);
    let part = Part { ranges: std::slice::from_ref(&seeds), jobs, profile, mutant, stop: &never };
    sweep_part(&part, on_failure, on_progress).map(|(summary, _)| summary)
}

/// What [`sweep_part`] runs: the seeds of some ranges, on `jobs` threads, until `stop` is set.
pub struct Part<'a> {
    pub ranges: &'a [Range<u64>],
    pub jobs: usize,
    pub profile: Option<Profile>,
    pub mutant: Mutant,
    /// Set (by a signal handler) to stop: chunks already running finish, no new one starts.
    pub stop: &'a AtomicBool,
}

/// Runs every seed of the ranges, in chunks, and stops starting chunks once `stop` is set. Returns the summary of
/// the seeds run and the ranges left to run (empty unless stopped), so that a later call can go on with them: the
/// two summaries merged are the summary of all the seeds.
pub fn sweep_part(
    part: &Part<'_>,
    on_failure: &(dyn Fn(Failure) + Sync),
    on_progress: &(dyn Fn(u64) + Sync),
) -> Result<(Summary, Vec<Range<u64>>), SweepError> {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(part.jobs).build()?;
    // Every range cut in chunks; chunk * CHUNK_SEEDS < the range's length, so no sum passes its end or overflows,
    // even at the top of u64.
    let chunks: Vec<Range<u64>> = part
        .ranges
        .iter()
        .flat_map(|seeds| {
            let length = seeds.end.saturating_sub(seeds.start);
            (0..length.div_ceil(CHUNK_SEEDS)).map(move |chunk| {
                let start = seeds.start + chunk * CHUNK_SEEDS;
                start..start + CHUNK_SEEDS.min(seeds.end - start)
            })
        })
        .collect();
    let results: Vec<Option<Summary>> = pool.install(|| {
        chunks
            .par_iter()
            .map(|chunk| {
                if part.stop.load(Ordering::Relaxed) {
                    return None;
                }
                let mut simulator = Simulator::new();
                let mut summary = Summary::default();
                for seed in chunk.clone() {
                    let mut config = Config::from_seed(seed, part.profile);
                    config.mutant = part.mutant;
                    let outcome = simulator.run(&config, &mut ());
                    summary.runs += 1;
                    summary.steps += u64::from(outcome.steps);
                    summary.coverage.add(&outcome.coverage);
                    if let Some((violation, step)) = outcome.violation {
                        let i = violation.invariant.index();
                        summary.violations[i] += 1;
                        summary.first_failure[i] = Some(summary.first_failure[i].map_or(seed, |s| s.min(seed)));
                        on_failure(Failure { config, violation, step });
                    }
                }
                on_progress(chunk.end - chunk.start);
                Some(summary)
            })
            .collect()
    });
    let mut summary = Summary::default();
    let mut remaining: Vec<Range<u64>> = Vec::new();
    let mut expected = 0;
    for (chunk, result) in chunks.iter().zip(results) {
        match result {
            Some(done) => {
                expected += chunk.end - chunk.start;
                summary = summary.merge(done);
            }
            // Adjacent chunks left over are one range again.
            None => match remaining.last_mut() {
                Some(last) if last.end == chunk.start => last.end = chunk.end,
                _ => remaining.push(chunk.clone()),
            },
        }
    }
    if summary.runs != expected {
        return Err(SweepError::Incomplete { ran: summary.runs, expected });
    }
    Ok((summary, remaining))
}

/// The printed summary of a sweep: counts, then rates (which vary from machine to machine), then coverage.
pub struct Report<'a> {
    pub summary: &'a Summary,
    pub elapsed: Duration,
    pub jobs: usize,
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.summary;
        writeln!(f, "runs: {} (every seed of the range, once)", s.runs)?;
        writeln!(f, "steps: {}", s.steps)?;
        writeln!(f, "failing runs: {}", s.failing_runs())?;
        writeln!(f, "violations by invariant:")?;
        for invariant in Invariant::ALL {
            let i = invariant.index();
            let first = s.first_failure[i].map(|seed| format!("  (first seed {seed})")).unwrap_or_default();
            let label = format!("{} ({})", invariant.name(), invariant.requirements());
            writeln!(f, "  {label:<62} {:>10}{first}", s.violations[i])?;
        }
        writeln!(f, "coverage (runs that reached it):")?;
        write!(f, "{}", CoverageTable(&s.coverage))?;
        let seconds = self.elapsed.as_secs_f64().max(1e-9);
        writeln!(
            f,
            "time: {:.2} s with {}; {:.0} runs/s; {:.0} steps/s",
            seconds,
            text::plural(self.jobs as u64, "job", "jobs"),
            s.runs as f64 / seconds,
            s.steps as f64 / seconds
        )
    }
}
