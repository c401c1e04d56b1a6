//! Sweeps: many seeds in parallel, summed into one summary that does not depend on the number of jobs.

use std::fmt;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use logoff_core::{Mutant, Profile};

use crate::coverage::{Coverage, CoverageTable};
use crate::invariants::{Invariant, Violation};
use crate::simulate::{Config, Simulator, RUN_STEPS_MAX};
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
    /// The summary of two disjoint sets of seeds, or `None` if a total would pass u64::MAX (only a summary read
    /// from a file can get there: a sweep has at most 2^64 - 1 seeds).
    pub fn merge(mut self, other: Summary) -> Option<Summary> {
        self.runs = self.runs.checked_add(other.runs)?;
        self.steps = self.steps.checked_add(other.steps)?;
        for i in 0..Invariant::ALL.len() {
            self.violations[i] = self.violations[i].checked_add(other.violations[i])?;
            self.first_failure[i] = match (self.first_failure[i], other.first_failure[i]) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        let counts = |c: &Coverage| c.sometimes.iter().chain(&c.knob_values).copied().collect::<Vec<u64>>();
        if counts(&self.coverage).iter().zip(counts(&other.coverage)).any(|(a, b)| a.checked_add(b).is_none()) {
            return None;
        }
        self.coverage.add(&other.coverage);
        Some(self)
    }

    /// The failing runs: each breaks one invariant, so the sum of the counts (which [`Summary::check`] bounds by
    /// `runs`).
    pub fn failing_runs(&self) -> u64 {
        self.violations.iter().fold(0u64, |sum, count| sum.saturating_add(*count))
    }

    /// Checks a summary read from a file against the seeds it says it ran (`seeds`, of which `runs` is the number):
    /// runs equal to their number, no more failing runs than runs, a first failing seed for exactly the invariants
    /// with failures and inside `seeds`, no coverage counter above the runs. Says what is wrong, expected against
    /// found.
    pub fn check(&self, seeds: &[Range<u64>]) -> Result<(), String> {
        let length = seeds.iter().try_fold(0u64, |sum, r| sum.checked_add(r.end.checked_sub(r.start)?));
        let Some(length) = length else {
            return Err("its ranges add up to more than 2^64 - 1 seeds".to_string());
        };
        if self.runs != length {
            return Err(format!("runs is {}; expected {length}, the number of seeds it ran", self.runs));
        }
        let steps_max = self.runs.saturating_mul(u64::from(RUN_STEPS_MAX));
        if self.steps > steps_max {
            return Err(format!(
                "steps is {}; expected at most {steps_max}, {RUN_STEPS_MAX} for each of its {} runs",
                self.steps, self.runs
            ));
        }
        let failing = self.violations.iter().try_fold(0u64, |sum, count| sum.checked_add(*count));
        if failing.is_none_or(|failing| failing > self.runs) {
            return Err(format!("its violations add up to more than its {} runs", self.runs));
        }
        for invariant in Invariant::ALL {
            let (count, first) = (self.violations[invariant.index()], self.first_failure[invariant.index()]);
            match first {
                None if count > 0 => {
                    return Err(format!("{invariant}: {count} failing runs but no first failing seed"));
                }
                Some(seed) if count == 0 => {
                    return Err(format!("{invariant}: first failing seed {seed} but no failing run"));
                }
                Some(seed) if !seeds.iter().any(|r| r.contains(&seed)) => {
                    return Err(format!("{invariant}: first failing seed {seed} is not among the seeds it ran"));
                }
                _ => {}
            }
        }
        let counters = self.coverage.sometimes.iter().chain(&self.coverage.knob_values);
        if let Some(count) = counters.copied().find(|count| *count > self.runs) {
            return Err(format!("a coverage counter is {count}; expected at most its {} runs", self.runs));
        }
        Ok(())
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
    Threads(#[from] std::io::Error),
    /// A bug of the sweep itself: it must run every seed of its range exactly once.
    #[error("the sweep ran {ran} runs for the {expected} seeds of its range (a bug)")]
    Incomplete { ran: u64, expected: u64 },
    /// Ranges that overlap or are not in order: a seed would run twice.
    #[error("the ranges to run overlap or are out of order ({0}); expected disjoint ranges in increasing order")]
    Ranges(String),
}

/// Runs every seed of `seeds` on `jobs` threads, each exactly once, and checks that it did. `profile` overrides the
/// profile drawn by each seed; `mutant` is the mistake the model makes. `on_failure` is called from the worker
/// thread for each failing run, in no particular order.
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
    /// Disjoint, in increasing order.
    pub ranges: &'a [Range<u64>],
    pub jobs: usize,
    pub profile: Option<Profile>,
    pub mutant: Mutant,
    /// Set (by a signal handler) to stop: chunks already running finish, no new one starts.
    pub stop: &'a AtomicBool,
}

/// The chunks of a list of ranges, numbered in order: chunk `i` is found without listing the chunks before it, so
/// that memory does not grow with the length of the ranges.
struct Chunks<'a> {
    ranges: &'a [Range<u64>],
    /// The index of the first chunk of each range, and one past the last chunk.
    firsts: Vec<u64>,
}

impl<'a> Chunks<'a> {
    fn new(ranges: &'a [Range<u64>]) -> Chunks<'a> {
        let mut firsts = vec![0u64];
        for range in ranges {
            let last = *firsts.last().expect("starts with 0");
            // At most 2^64 / CHUNK_SEEDS chunks in all: no overflow.
            firsts.push(last + (range.end - range.start).div_ceil(CHUNK_SEEDS));
        }
        Chunks { ranges, firsts }
    }

    fn count(&self) -> u64 {
        *self.firsts.last().expect("starts with 0")
    }

    /// Which range chunk `index` (< count) is in, and its seeds.
    fn locate(&self, index: u64) -> (usize, Range<u64>) {
        let range = self.firsts.partition_point(|first| *first <= index) - 1;
        let seeds = &self.ranges[range];
        // (index - first) * CHUNK_SEEDS < the range's length: no sum passes its end, even at the top of u64.
        let start = seeds.start + (index - self.firsts[range]) * CHUNK_SEEDS;
        (range, start..start + CHUNK_SEEDS.min(seeds.end - start))
    }

    /// The seeds of the chunks from `index` on, as ranges.
    fn from(&self, index: u64) -> Vec<Range<u64>> {
        if index >= self.count() {
            return Vec::new();
        }
        let (range, chunk) = self.locate(index);
        std::iter::once(chunk.start..self.ranges[range].end).chain(self.ranges[range + 1..].iter().cloned()).collect()
    }
}

/// Runs every seed of the ranges, in chunks taken in order by `jobs` threads, and stops starting chunks once
/// `stop` is set. Returns the summary of the seeds run and the ranges left to run (empty unless stopped), so that a
/// later call can go on with them: the two summaries merged are the summary of all the seeds. Memory does not
/// depend on the number of seeds: a counter hands out the next chunk, every chunk taken is finished, so the seeds
/// run are exactly the chunks before the counter.
pub fn sweep_part(
    part: &Part<'_>,
    on_failure: &(dyn Fn(Failure) + Sync),
    on_progress: &(dyn Fn(u64) + Sync),
) -> Result<(Summary, Vec<Range<u64>>), SweepError> {
    for pair in part.ranges.windows(2) {
        if pair[0].end > pair[1].start {
            return Err(SweepError::Ranges(format!("{:?} then {:?}", pair[0], pair[1])));
        }
    }
    if let Some(empty) = part.ranges.iter().find(|r| r.start >= r.end) {
        return Err(SweepError::Ranges(format!("{empty:?} is empty")));
    }
    let chunks = Chunks::new(part.ranges);
    let next = AtomicU64::new(0);
    let worker = || {
        let mut simulator = Simulator::new();
        let mut summary = Summary::default();
        while !part.stop.load(Ordering::Relaxed) {
            let index = next.fetch_add(1, Ordering::Relaxed);
            if index >= chunks.count() {
                break;
            }
            let (_, chunk) = chunks.locate(index);
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
        }
        summary
    };
    let results: Vec<Summary> = std::thread::scope(|scope| {
        let handles = (0..part.jobs.max(1))
            .map(|_| std::thread::Builder::new().spawn_scoped(scope, worker))
            .collect::<Result<Vec<_>, _>>()?;
        Ok::<_, SweepError>(
            handles
                .into_iter()
                .map(|handle| handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
                .collect(),
        )
    })?;
    let taken = next.load(Ordering::Relaxed).min(chunks.count());
    let remaining = chunks.from(taken);
    let mut summary = Summary::default();
    for done in results {
        summary = summary.merge(done).ok_or(SweepError::Incomplete { ran: u64::MAX, expected: 0 })?;
    }
    let total: u64 = part.ranges.iter().map(|r| r.end - r.start).sum();
    let left: u64 = remaining.iter().map(|r| r.end - r.start).sum();
    if summary.runs != total - left {
        return Err(SweepError::Incomplete { ran: summary.runs, expected: total - left });
    }
    Ok((summary, remaining))
}

/// The printed summary of a sweep: counts, then rates (which vary from machine to machine), then coverage.
pub struct Report<'a> {
    pub summary: &'a Summary,
    /// The number of seeds of the range the summary is of: "every seed of the range, once" is printed only when the
    /// runs are that many (a summary's runs are checked to be distinct seeds of the range).
    pub seeds: u64,
    pub elapsed: Duration,
    pub jobs: usize,
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.summary;
        if s.runs == self.seeds {
            writeln!(f, "runs: {} (every seed of the range, once)", s.runs)?;
        } else {
            writeln!(f, "runs: {} of the {} seeds of the range (each once; the others not run)", s.runs, self.seeds)?;
        }
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
