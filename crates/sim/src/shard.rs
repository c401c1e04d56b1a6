//! Sweeps spread over many machines: the K-th of N disjoint parts of a seed range, the index read from the job
//! system that runs the shards, the JSON document of a sweep, and the merge of the shards' documents into the
//! document of the whole range.
//!
//! Decisions:
//! - Shards are numbered from 0, as Kubernetes Indexed Jobs number their pods. Shard K of N is the contiguous block
//!   of seeds from A + floor(K L / N) to A + floor((K + 1) L / N), L = B - A: every seed falls in exactly one shard,
//!   and blocks differ in size by at most one seed.
//! - `--shard-from-env` reads K from the first variable set among `JOB_COMPLETION_INDEX` (Kubernetes Indexed Job),
//!   `SLURM_ARRAY_TASK_ID` (a Slurm job array started as `--array=0-(N-1)`) and `LOGOFF_SIM_SHARD` (set from a
//!   GitHub Actions matrix, or by hand).
//! - A merge takes the JSON summaries of all N shards of one sweep (same range, profile and mutant), each once;
//!   anything else is an error naming the file. Its summary is the sum of theirs, which is what one machine would
//!   have printed for the whole range, times and rates aside.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use logoff_core::{Mutant, Profile};
use serde::{Deserialize, Serialize};

use crate::failures;
use crate::invariants::Invariant;
use crate::simulate::{Config, Simulator};
use crate::sweep::{Failure, Summary};

/// One part of a sweep: `index` of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

/// The variables `--shard-from-env` reads, in order.
pub const INDEX_VARIABLES: [&str; 3] = ["JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID", "LOGOFF_SIM_SHARD"];

impl Shard {
    /// The seeds a sweep of `seeds` runs, all or its `shard`'s; none only with `allow_empty` (a shard of a job
    /// array of fixed size with more shards than seeds), else an error saying why.
    pub fn covered(shard: Option<Shard>, seeds: &Range<u64>, allow_empty: bool) -> Result<Range<u64>, String> {
        let covered = shard.map_or(seeds.clone(), |shard| shard.range(seeds));
        if covered.is_empty() && !allow_empty {
            return Err(format!(
                "shard {} of {}..{} has no seeds ({} shards of {} seeds); expected at most {} shards, or \
                 --allow-empty-shard",
                shard.map_or(String::new(), |shard| shard.to_string()),
                seeds.start,
                seeds.end,
                shard.map_or(1, |shard| shard.count),
                seeds.end - seeds.start,
                seeds.end - seeds.start
            ));
        }
        Ok(covered)
    }

    /// The seeds of this shard of `seeds`.
    pub fn range(&self, seeds: &Range<u64>) -> Range<u64> {
        let length = u128::from(seeds.end - seeds.start);
        let at = |k: u64| seeds.start + (length * u128::from(k) / u128::from(self.count)) as u64;
        at(self.index)..at(self.index + 1)
    }

    /// Reads the index from the environment, for `count` shards.
    pub fn from_env(count: u64, read: impl Fn(&str) -> Option<String>) -> Result<Shard, String> {
        let Some((variable, value)) = INDEX_VARIABLES.iter().find_map(|name| read(name).map(|value| (*name, value)))
        else {
            return Err(format!(
                "none of {} is set; expected the shard's index in one of them",
                INDEX_VARIABLES.join(", ")
            ));
        };
        let index = value.trim().parse::<u64>().map_err(|_| {
            format!(
                "{variable}={value:?} is not a shard index; expected a number from 0 to {}",
                count.saturating_sub(1)
            )
        })?;
        Shard::new(index, count).map_err(|e| format!("{variable}={value}: {e}"))
    }

    pub fn new(index: u64, count: u64) -> Result<Shard, String> {
        if count == 0 || index >= count {
            return Err(format!("shard {index}/{count} does not exist; expected K/N with 0 <= K < N"));
        }
        Ok(Shard { index, count })
    }
}

/// `K/N`.
impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Shard, String> {
        let (index, count) =
            text.split_once('/').ok_or_else(|| format!("`{text}` is not a shard; expected K/N, such as 0/4"))?;
        let number =
            |s: &str| s.parse::<u64>().map_err(|_| format!("`{s}` is not a number; expected K/N, such as 0/4"));
        Shard::new(number(index)?, number(count)?)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The JSON document of a sweep (`sweep --format json`) or of a merge of shards (`merge`): version 1 of the
/// schema in docs/JSON.md.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Document {
    pub schema_version: u32,
    /// `sweep` or `merge`.
    pub command: String,
    /// The range of the whole sweep.
    pub seeds: SeedRange,
    /// Which part of it this document covers; absent for a whole sweep or a merge.
    pub shard: Option<Shard>,
    /// The seeds this document was to cover (its shard's, or the whole range).
    pub covered: SeedRange,
    /// The seeds of `covered` not run because the sweep was interrupted (SIGINT or SIGTERM): empty when it finished.
    /// `sweep --resume` runs them.
    #[serde(default)]
    pub remaining: Vec<SeedRange>,
    /// The profile every seed ran under, or absent when each seed drew its own.
    pub profile: Option<String>,
    pub mutant: String,
    pub summary: Summary,
    /// The same counts by invariant name, for readers: count and lowest failing seed.
    pub violations: Vec<InvariantCount>,
    /// The failing runs shown, smallest seed first (at most `show`).
    pub failures: Vec<FailureRecord>,
    pub show: u64,
    pub jobs: u64,
    pub seconds: f64,
}

/// `A..B`: the seeds from A up to, not including, B.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SeedRange {
    pub start: u64,
    pub end: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InvariantCount {
    pub invariant: String,
    pub requirements: String,
    pub count: u64,
    pub first_seed: Option<u64>,
}

/// A failing run as a document shows it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FailureRecord {
    pub seed: u64,
    pub step: u32,
    pub invariant: String,
    pub what: String,
    /// Where its seed file was written, if it was.
    pub seed_file: Option<String>,
    pub reproduce: String,
    /// The command that draws the run (`logoff-sim render`).
    pub render: String,
}

/// The most shards a merge takes, and the most workers a document may say it had (as `--jobs` allows).
pub const SHARDS_MAX: u64 = 1 << 20;
const JOBS_MAX: u64 = 256;

impl FailureRecord {
    /// The record of a failing run, from its configuration and what broke, and the command that reruns it.
    pub fn new(failure: &Failure, reproduce: String, seed_file: Option<String>, failures_dir: &Path) -> FailureRecord {
        FailureRecord {
            seed: failure.config.seed,
            step: failure.step,
            invariant: failure.violation.invariant.name().to_string(),
            what: failure.violation.detail().to_string(),
            seed_file,
            reproduce,
            render: failures::render_command(&failure.config, failures_dir),
        }
    }

    /// The record of a failure a sweep kept, its seed file written or not.
    pub fn of_kept(kept: &failures::Kept, failures_dir: &Path) -> FailureRecord {
        let written = kept.written.as_ref().ok().map(|path| path.display().to_string());
        FailureRecord::new(&kept.failure, kept.reproduce.clone(), written, failures_dir)
    }

    /// Runs the record's seed again (under the document's profile and mutant) and checks that the record is what
    /// the run gives: the invariant, the step, what was seen, and the commands (the render command's output
    /// directory may be any).
    fn check(&self, profile: Option<Profile>, mutant: Mutant) -> Result<(), String> {
        let mut config = Config::from_seed(self.seed, profile);
        config.mutant = mutant;
        let outcome = Simulator::new().run(&config, &mut ());
        let Some((violation, step)) = outcome.violation else {
            return Err(format!("failures: seed {} runs clean; expected the failure it names", self.seed));
        };
        let failure = Failure { config, violation, step };
        let expected = FailureRecord::new(&failure, failures::reproduce(&config), None, Path::new(""));
        let file = failures::file_name(&config);
        if let Some(seed_file) = &self.seed_file {
            if Path::new(seed_file).file_name().is_none_or(|name| *name != *file) {
                return Err(format!(
                    "failures: seed {} names the seed file {seed_file}; expected a file named {file}, or null",
                    self.seed
                ));
            }
        }
        let page = failures::file_name(&config).replace(".seed", ".html");
        let render_prefix = expected.render.strip_suffix(&page).unwrap_or(&expected.render);
        let render_ok = self.render.starts_with(render_prefix) && self.render.ends_with(&page);
        if (self.step, &self.invariant, &self.what, &self.reproduce)
            != (step, &expected.invariant, &expected.what, &expected.reproduce)
            || !render_ok
        {
            return Err(format!(
                "failures: seed {} says step {} {}: {} (reproduce `{}`, render `{}`); expected step {} {}: {} \
                 (reproduce `{}`, render `{}DIR/{page}`), what the seed gives when run again",
                self.seed,
                self.step,
                self.invariant,
                self.what,
                self.reproduce,
                self.render,
                expected.step,
                expected.invariant,
                expected.what,
                expected.reproduce,
                render_prefix
            ));
        }
        Ok(())
    }
}

impl Document {
    /// The ranges of `covered` that were run: those not in `remaining`.
    pub fn ran(&self) -> Vec<Range<u64>> {
        let mut ran = Vec::new();
        let mut at = self.covered.start;
        for r in &self.remaining {
            if at < r.start {
                ran.push(at..r.start);
            }
            at = r.end;
        }
        if at < self.covered.end {
            ran.push(at..self.covered.end);
        }
        ran
    }

    /// The profile and mutant the document names, read back (an unknown name is an error).
    pub fn reading(&self) -> Result<(Option<Profile>, Mutant), String> {
        let profile = match &self.profile {
            Some(text) => Some(text.parse::<Profile>().map_err(|e| format!("profile: {e}"))?),
            None => None,
        };
        let mutant = self.mutant.parse::<Mutant>().map_err(|e| format!("mutant: {e}"))?;
        Ok((profile, mutant))
    }

    /// Checks everything a sweep's document says against what it can only be, so that a document read from a file
    /// (for `sweep --resume` or `merge`) is either what a sweep wrote or refused: the version and command; the range
    /// and the shard, and that `covered` is the shard's part of the range; `remaining` inside `covered`, not empty,
    /// disjoint and in order; the profile and mutant names; the summary against the seeds run
    /// ([`Summary::check`]); the counts by name equal to the summary's; and each failure shown, run again: a seed
    /// run, no seed twice, at most `show` of them and no more than the failing runs, breaking the invariant it
    /// names at the step it names, with the reproduce and render commands it has. Errors say expected against
    /// found.
    pub fn check(&self) -> Result<(), String> {
        if self.schema_version != 1 || self.command != "sweep" {
            return Err(format!(
                "schema_version {} command `{}`; expected version 1 of a `sweep` summary",
                self.schema_version, self.command
            ));
        }
        let seeds = self.seeds.start..self.seeds.end;
        if seeds.is_empty() {
            return Err(format!("seeds {}..{} is empty; expected A..B with A < B", seeds.start, seeds.end));
        }
        let covered = match self.shard {
            Some(shard) => {
                Shard::new(shard.index, shard.count)?;
                shard.range(&seeds)
            }
            None => seeds.clone(),
        };
        if (self.covered.start..self.covered.end) != covered {
            return Err(format!(
                "covered is {}..{}; expected {}..{}, the seeds of its shard",
                self.covered.start, self.covered.end, covered.start, covered.end
            ));
        }
        let mut at = covered.start;
        for r in &self.remaining {
            let wrong = if r.start >= r.end {
                "is empty or reversed"
            } else if r.start < covered.start || r.end > covered.end {
                "is outside the seeds it covers"
            } else if r.start < at {
                "overlaps or comes before the range listed before it"
            } else {
                ""
            };
            if !wrong.is_empty() {
                return Err(format!(
                    "remaining {}..{} {wrong} ({}..{}); expected disjoint, non-empty ranges in increasing order \
                     inside it",
                    r.start, r.end, covered.start, covered.end
                ));
            }
            at = r.end;
        }
        let (profile, mutant) = self.reading()?;
        if self.jobs == 0 || self.jobs > JOBS_MAX {
            return Err(format!("jobs is {}; expected 1 to {JOBS_MAX}", self.jobs));
        }
        if !self.seconds.is_finite() || self.seconds < 0.0 {
            return Err(format!("seconds is {}; expected a time of 0 or more", self.seconds));
        }
        let ran = self.ran();
        self.summary.check(&ran).map_err(|e| format!("summary: {e}"))?;
        if self.violations != Document::violations_of(&self.summary) {
            return Err("violations do not match the summary's counts; expected the same counts by name".to_string());
        }
        // A sweep shows its smallest failing seeds: as many as --show, the failing runs and the files kept allow.
        let shown = self.failures.len() as u64;
        let expected = self.show.min(self.summary.failing_runs()).min(failures::FILES_MAX as u64);
        if shown != expected {
            return Err(format!(
                "{shown} failures shown; expected {expected}, the smallest of --show {}, the {} failing runs and the \
                 {} files a sweep keeps",
                self.show,
                self.summary.failing_runs(),
                failures::FILES_MAX
            ));
        }
        for pair in self.failures.windows(2) {
            if pair[0].seed >= pair[1].seed {
                return Err(format!(
                    "failures: seed {} then {}; expected each seed once, smallest first",
                    pair[0].seed, pair[1].seed
                ));
            }
        }
        for record in &self.failures {
            if !ran.iter().any(|r| r.contains(&record.seed)) {
                return Err(format!("failures: seed {} is not among the seeds it ran", record.seed));
            }
            record.check(profile, mutant)?;
        }
        // The failures shown are the smallest failing seeds: each invariant's first failing seed that is not past
        // the last one shown is among them, under that invariant.
        let last = self.failures.last().map(|record| record.seed);
        for invariant in Invariant::ALL {
            let Some(first) = self.summary.first_failure[invariant.index()] else { continue };
            let listed = self.failures.iter().find(|record| record.seed == first);
            let complete = shown == self.summary.failing_runs();
            if (complete || last.is_some_and(|last| first <= last))
                && listed.is_none_or(|record| record.invariant != invariant.name())
            {
                return Err(format!(
                    "failures: the first seed failing {invariant}, {first}, is not shown under it; expected the \
                     smallest failing seeds"
                ));
            }
        }
        Ok(())
    }

    /// The counts by invariant of a summary.
    pub fn violations_of(summary: &Summary) -> Vec<InvariantCount> {
        Invariant::ALL
            .iter()
            .map(|invariant| InvariantCount {
                invariant: invariant.name().to_string(),
                requirements: invariant.requirements().to_string(),
                count: summary.violations[invariant.index()],
                first_seed: summary.first_failure[invariant.index()],
            })
            .collect()
    }
}

/// Merges the documents of all the shards of one sweep (each `(file name, document)`) into the document of the whole
/// range. Every shard must be there exactly once, all of the same sweep, each finished and passing
/// [`Document::check`]; the totals are added with checked arithmetic.
pub fn merge(documents: &[(String, Document)]) -> Result<Document, String> {
    let Some((first_name, first)) = documents.first() else {
        return Err("no summary to merge; expected the JSON summaries of every shard".to_string());
    };
    let Some(Shard { count, .. }) = first.shard else {
        return Err(format!("{first_name}: not the summary of a shard; expected `sweep --shard K/N --format json`"));
    };
    if count > SHARDS_MAX {
        return Err(format!("{first_name}: {count} shards; expected at most {SHARDS_MAX}"));
    }
    let mut seen: Vec<Option<&str>> = vec![None; count as usize];
    let mut summary = Summary::default();
    let mut shown = Vec::new();
    for (name, document) in documents {
        document.check().map_err(|e| format!("{name}: {e}"))?;
        let same = document.seeds == first.seeds
            && document.profile == first.profile
            && document.mutant == first.mutant
            && document.show == first.show;
        if !same {
            return Err(format!("{name}: another sweep than {first_name} (range, profile, mutant or --show differ)"));
        }
        let Some(shard) = document.shard.filter(|shard| shard.count == count) else {
            return Err(format!("{name}: not one of the {count} shards of {first_name}'s sweep"));
        };
        if !document.remaining.is_empty() {
            return Err(format!(
                "{name}: shard {shard} was interrupted; expected it finished (`sweep --resume {name}`)"
            ));
        }
        if let Some(earlier) = seen[shard.index as usize].replace(name) {
            return Err(format!("{name}: shard {shard} is also in {earlier}; expected each shard once"));
        }
        summary = summary
            .merge(document.summary.clone())
            .ok_or_else(|| format!("{name}: the totals pass 2^64 - 1; expected the shards of one range"))?;
        shown.extend(document.failures.iter().cloned());
    }
    if let Some(missing) = seen.iter().position(Option::is_none) {
        return Err(format!("shard {missing}/{count} is missing; expected the summaries of all {count} shards"));
    }
    shown.sort_by_key(|failure| failure.seed);
    shown.truncate(usize::try_from(first.show).unwrap_or(usize::MAX).min(failures::FILES_MAX));
    Ok(Document {
        schema_version: 1,
        command: "merge".to_string(),
        seeds: first.seeds,
        shard: None,
        covered: first.seeds,
        remaining: Vec::new(),
        profile: first.profile.clone(),
        mutant: first.mutant.clone(),
        violations: Document::violations_of(&summary),
        summary,
        failures: shown,
        show: first.show,
        // At most 256 a shard and 2^20 shards: no overflow.
        jobs: documents.iter().map(|(_, d)| d.jobs).sum(),
        seconds: documents.iter().map(|(_, d)| d.seconds).fold(0.0, f64::max),
    })
}

/// The name of the partial summary of an interrupted sweep of `seeds` (its `shard`). It holds the number of runs so
/// far, so that it never replaces the summary the sweep was resumed from.
pub fn interrupted_name(seeds: &Range<u64>, shard: Option<Shard>, runs: u64) -> String {
    let part = shard.map_or(String::new(), |shard| format!("-shard-{}-of-{}", shard.index, shard.count));
    format!("sweep-{}-{}{part}-interrupted-after-{runs}.json", seeds.start, seeds.end)
}

/// Writes the partial summary of an interrupted sweep in `dir` (before it is reported, so that the sweep can go
/// on from it), unless that is `input`, the summary it was resumed from, unchanged (stopped before a chunk ran:
/// the input is still the whole truth). Returns its path, and whether it could be written.
pub fn write_interrupted(document: &Document, dir: &Path, input: Option<&Path>) -> (PathBuf, std::io::Result<()>) {
    let seeds = document.seeds.start..document.seeds.end;
    let path = dir.join(interrupted_name(&seeds, document.shard, document.summary.runs));
    let text = crate::documents::pretty(document);
    let written = match input {
        Some(input) if crate::output::same_file(input, &path) => Ok(()),
        _ => std::fs::create_dir_all(dir).and_then(|()| crate::output::write_file(&path, &format!("{text}\n"))),
    };
    (path, written)
}

/// An interrupted sweep to go on with (`sweep --resume`): its summary's file, the summary, and its reading.
pub struct Resumed {
    pub path: PathBuf,
    pub document: Document,
    pub profile: Option<Profile>,
    pub mutant: Mutant,
}

impl Resumed {
    /// The summary of the whole sweep: the resumed one's totals and this run's.
    pub fn merged(&self, summary: Summary) -> Result<Summary, String> {
        self.document.summary.clone().merge(summary).ok_or_else(|| {
            format!(
                "{}: error: its totals and this sweep's pass 2^64 - 1; expected a summary of fewer steps",
                self.path.display()
            )
        })
    }
}

/// Reads the summary of an interrupted sweep (checked whole by [`read_document`]) to go on with; refuses one
/// with nothing left to run.
pub fn resume(path: &Path) -> Result<Resumed, String> {
    let name = crate::text::input_name(path);
    let document = read_document(path)?;
    if document.remaining.is_empty() {
        return Err(format!("{name}: that sweep finished; nothing to resume"));
    }
    let (profile, mutant) = document.reading().map_err(|e| format!("{name}: {e}"))?;
    Ok(Resumed { path: path.to_path_buf(), document, profile, mutant })
}

/// What a sweep is asked to run: its range and shard, its reading, how many failures it shows, and the interrupted
/// sweep it goes on with, if any.
pub struct Request {
    pub seeds: Range<u64>,
    pub jobs: usize,
    pub profile: Option<Profile>,
    pub mutant: Mutant,
    pub show: u64,
    pub shard: Option<Shard>,
    /// Whether a shard without seeds is run (and reported) rather than refused.
    pub allow_empty: bool,
    /// The interrupted sweep to go on with (`--resume`): its remaining seeds are run.
    pub previous: Option<Resumed>,
}

impl Request {
    /// The request that goes on with the interrupted sweep whose summary is at `path`, on `jobs` threads.
    pub fn resume(path: &Path, jobs: usize) -> Result<Request, String> {
        let resumed = resume(path)?;
        Ok(Request {
            seeds: resumed.document.seeds.start..resumed.document.seeds.end,
            jobs,
            profile: resumed.profile,
            mutant: resumed.mutant,
            show: resumed.document.show,
            shard: resumed.document.shard,
            allow_empty: false,
            previous: Some(resumed),
        })
    }

    /// The seed ranges to run: the `covered` range (none when empty), or what the resumed sweep left.
    pub fn ranges(&self, covered: &Range<u64>) -> Vec<Range<u64>> {
        match &self.previous {
            Some(resumed) => resumed.document.remaining.iter().map(|r| r.start..r.end).collect(),
            None if covered.is_empty() => Vec::new(),
            None => vec![covered.clone()],
        }
    }

    /// The summary document of this sweep, `remaining` not run, after `seconds` (added to the resumed sweep's).
    pub fn document(
        &self,
        covered: &Range<u64>,
        remaining: &[Range<u64>],
        summary: Summary,
        failures: Vec<FailureRecord>,
        seconds: f64,
    ) -> Document {
        Document {
            schema_version: 1,
            command: "sweep".to_string(),
            seeds: SeedRange { start: self.seeds.start, end: self.seeds.end },
            shard: self.shard,
            covered: SeedRange { start: covered.start, end: covered.end },
            remaining: remaining.iter().map(|r| SeedRange { start: r.start, end: r.end }).collect(),
            profile: self.profile.map(|p| p.to_string()),
            mutant: self.mutant.name().to_string(),
            violations: Document::violations_of(&summary),
            summary,
            failures,
            show: self.show,
            jobs: self.jobs as u64,
            seconds: seconds + self.previous.as_ref().map_or(0.0, |resumed| resumed.document.seconds),
        }
    }
}

/// The failures a sweep shows and its summary holds: those it kept and those of the sweep it resumed, smallest
/// seed first, at most `show` (and at most [`failures::FILES_MAX`]).
pub fn shown_failures(
    kept: &[failures::Kept],
    previous: Option<&Document>,
    show: u64,
    failures_dir: &Path,
) -> Vec<FailureRecord> {
    let mut records: Vec<FailureRecord> = kept
        .iter()
        .map(|one| FailureRecord::of_kept(one, failures_dir))
        .chain(previous.iter().flat_map(|document| document.failures.iter().cloned()))
        .collect();
    records.sort_by_key(|record| record.seed);
    records.truncate(usize::try_from(show).unwrap_or(usize::MAX).min(failures::FILES_MAX));
    records
}

/// The most bytes of one summary file `merge` and `sweep --resume` read (a summary shows at most a few thousand
/// failures).
pub const SUMMARY_BYTES_MAX: u64 = 64 << 20;

/// Reads a sweep's JSON summary (for `--resume` and `merge`): at most [`SUMMARY_BYTES_MAX`] bytes, a UTF-8
/// byte-order mark skipped, then checked whole ([`Document::check`]).
pub fn read_document(path: &Path) -> Result<Document, String> {
    use std::io::Read;
    let name = crate::text::input_name(path);
    let mut bytes = Vec::new();
    let reader: Box<dyn Read> = if path == Path::new("-") {
        Box::new(std::io::stdin())
    } else {
        Box::new(
            std::fs::File::open(path)
                .map_err(|e| format!("{name}: error: cannot read the file ({e}); expected a sweep's JSON summary"))?,
        )
    };
    reader
        .take(SUMMARY_BYTES_MAX + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{name}: error: cannot read the file ({e}); expected a sweep's JSON summary"))?;
    if bytes.len() as u64 > SUMMARY_BYTES_MAX {
        return Err(format!("{name}: error: longer than {SUMMARY_BYTES_MAX} bytes; expected a sweep's JSON summary"));
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF".as_slice()).unwrap_or(&bytes);
    let document = serde_json::from_slice::<Document>(body).map_err(|e| {
        format!("{name}:{}:{}: error: {e}; expected a sweep's JSON summary (docs/JSON.md)", e.line(), e.column())
    })?;
    document.check().map_err(|e| format!("{name}: error: {e}"))?;
    Ok(document)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shows that the shards of a range are disjoint, cover it exactly, in order, and differ in size by at most one,
    /// also at the top of u64 and with more shards than seeds.
    #[test]
    fn shards_cover_the_range_exactly_once() {
        let ranges = [0..1_000_000u64, 5..6, 18_446_744_073_709_550_000..u64::MAX, 0..3];
        for seeds in ranges {
            for count in [1u64, 2, 3, 4, 7, 16] {
                let parts: Vec<Range<u64>> = (0..count).map(|k| Shard { index: k, count }.range(&seeds)).collect();
                assert_eq!(parts.first().unwrap().start, seeds.start);
                assert_eq!(parts.last().unwrap().end, seeds.end);
                for pair in parts.windows(2) {
                    assert_eq!(pair[0].end, pair[1].start);
                }
                let sizes: Vec<u64> = parts.iter().map(|r| r.end - r.start).collect();
                assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1, "{sizes:?}");
            }
        }
    }

    /// Shows how the index is read from the environment: the first variable set wins, and a bad or missing index
    /// is an error naming the variable.
    #[test]
    fn the_index_comes_from_the_job_system() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string())
        };
        assert_eq!(Shard::from_env(4, env(&[("SLURM_ARRAY_TASK_ID", "2")])), Ok(Shard { index: 2, count: 4 }));
        let both = env(&[("LOGOFF_SIM_SHARD", "1"), ("JOB_COMPLETION_INDEX", "3")]);
        assert_eq!(Shard::from_env(4, both), Ok(Shard { index: 3, count: 4 }));
        assert!(Shard::from_env(4, env(&[])).unwrap_err().contains("none of JOB_COMPLETION_INDEX"));
        assert!(Shard::from_env(4, env(&[("JOB_COMPLETION_INDEX", "4")])).unwrap_err().contains("does not exist"));
        assert!(Shard::from_env(4, env(&[("JOB_COMPLETION_INDEX", "x")])).unwrap_err().contains("not a shard index"));
        assert_eq!("1/4".parse::<Shard>(), Ok(Shard { index: 1, count: 4 }));
        assert!("4/4".parse::<Shard>().is_err());
        assert!("1-4".parse::<Shard>().is_err());
    }
}
