//! `logoff-sim sweep`: a range of seeds in parallel, or the rest of an interrupted sweep; its summary.

use std::path::{Path, PathBuf};
use std::time::Instant;

use logoff_core::{Mutant, Profile};
use sim::failures::{self, Keeper};
use sim::output::{write, Stream};
use sim::shard::{shown_failures, write_interrupted, Request, Shard};
use sim::sweep::Report;
use sim::text::plural;
use sim::{err, out};

use super::shared::{mutant_parser, parse_seeds, peak_resident_kib, profile_help, Format};

#[derive(clap::Args)]
pub struct Args {
    /// `A..B`: the seeds from A up to, not including, B (A < B).
    #[arg(long, value_parser = parse_seeds, required_unless_present = "resume")]
    pub seeds: Option<std::ops::Range<u64>>,
    /// Go on with an interrupted sweep from the summary it wrote (its range, shard, profile, mutant and --show);
    /// the summary printed is that of the whole sweep. SIGINT or SIGTERM stops a sweep between chunks of seeds:
    /// the failing seeds found are already on disk, the partial summary is written and printed, exit code 130.
    #[arg(long, value_name = "SUMMARY.json", conflicts_with_all = ["seeds", "profile", "mutant", "shard", "shard_from_env"])]
    pub resume: Option<PathBuf>,
    /// Worker threads (1 to 256); the summary is the same with any number.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: u16,
    #[arg(long, long_help = profile_help(), help = "The reading of the pages (knobs A1-A10); drawn per seed without it")]
    pub profile: Option<Profile>,
    /// The mistake the model makes; `none` (the reference model) by default.
    #[arg(long, default_value = "none", value_parser = mutant_parser())]
    pub mutant: Mutant,
    /// Where each failing run is written as a seed file before it is reported (the smallest 1,000 failing
    /// seeds are kept) [default: $CARGO_TARGET_DIR/sim-failures, or target/sim-failures].
    #[arg(long, value_name = "DIR")]
    pub failures: Option<PathBuf>,
    /// Print at most this many failing seeds, the smallest first (all are counted).
    #[arg(long, default_value_t = 20)]
    pub show: u64,
    /// Run only part K of N of the range (from 0): disjoint, contiguous parts; `logoff-sim merge` adds their JSON
    /// summaries up.
    #[arg(long, value_name = "K/N", conflicts_with = "shard_from_env")]
    pub shard: Option<Shard>,
    /// Run part K of N, K read from JOB_COMPLETION_INDEX (Kubernetes), SLURM_ARRAY_TASK_ID (Slurm) or
    /// LOGOFF_SIM_SHARD (a GitHub Actions matrix), the first that is set.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub shard_from_env: Option<u64>,
    /// Run a shard that has no seeds (more shards than seeds) and report it, instead of refusing it (exit 2):
    /// for a job array of fixed size whose shards `merge` adds up.
    #[arg(long)]
    pub allow_empty_shard: bool,
    /// `text` for people, `json` for programs (one document, docs/JSON.md).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// No progress bar (it is drawn on standard error only when that is a terminal).
    #[arg(long)]
    pub quiet: bool,
}

pub fn exec(args: Args) -> u8 {
    let Args {
        seeds,
        resume,
        jobs,
        profile,
        mutant,
        failures,
        show,
        shard,
        shard_from_env,
        allow_empty_shard,
        format,
        quiet,
    } = args;
    let failures = failures.unwrap_or_else(failures::default_dir);
    let jobs = usize::from(jobs);
    let (Some(seeds), None) = (seeds, &resume) else {
        let path = resume.unwrap_or_default();
        return match Request::resume(&path, jobs) {
            Ok(request) => sweep_command(&request, format, quiet, &failures),
            Err(e) => {
                err!("{e}");
                2
            }
        };
    };
    let shard = match (shard, shard_from_env) {
        (Some(shard), _) => Some(shard),
        (None, Some(count)) => match Shard::from_env(count, |name| std::env::var(name).ok()) {
            Ok(shard) => Some(shard),
            Err(e) => {
                err!("error: --shard-from-env: {e}");
                return 2;
            }
        },
        (None, None) => None,
    };
    let request = Request { seeds, jobs, profile, mutant, show, shard, allow_empty: allow_empty_shard, previous: None };
    sweep_command(&request, format, quiet, &failures)
}

fn sweep_command(request: &Request, format: Format, quiet: bool, failures: &Path) -> u8 {
    let Request { ref seeds, jobs, profile, mutant, show, shard, allow_empty, ref previous } = *request;
    let covered = match Shard::covered(shard, seeds, allow_empty) {
        Ok(covered) => covered,
        Err(e) => {
            err!("error: {e}");
            return 2;
        }
    };
    let ranges = request.ranges(&covered);
    let profile_text = profile.map_or("drawn per seed".to_string(), |p| format!("'{p}'"));
    if format == Format::Text {
        let part = shard.map_or(String::new(), |shard| format!(" shard={shard} ({}..{})", covered.start, covered.end));
        let resumed = if previous.is_some() { " (resumed)" } else { "" };
        out!(
            "sweep seeds={}..{}{part} jobs={jobs} profile={profile_text} mutant={mutant}{resumed}",
            seeds.start,
            seeds.end
        );
    }
    // A signal stops the sweep between chunks; the seed files found so far are already on disk.
    sim::interrupt::graceful();
    let keeper = Keeper::new(failures);
    // Disjoint ranges of u64 (checked when read): no overflow.
    let total: u64 = ranges.iter().map(|r| r.end - r.start).sum();
    let bar = sim::output::progress(total, "seeds", quiet);
    let started = Instant::now();
    let on_failure = |failure| keeper.offer(failure);
    let part = sim::sweep::Part { ranges: &ranges, jobs, profile, mutant, stop: sim::interrupt::flag() };
    let (summary, remaining) = match sim::sweep::sweep_part(&part, &on_failure, &|n| bar.inc(n)) {
        Ok(result) => result,
        Err(e) => {
            err!("error: {e}");
            return 2;
        }
    };
    let elapsed = started.elapsed();
    bar.finish_and_clear();
    let summary = match previous {
        Some(resumed) => match resumed.merged(summary) {
            Ok(summary) => summary,
            Err(e) => {
                err!("{e}");
                return 2;
            }
        },
        None => summary,
    };
    let kept = keeper.into_kept();
    let unwritten = kept.iter().filter(|one| one.written.is_err()).count() as u64;
    let first_error = kept.iter().find_map(|one| one.written.as_ref().err().cloned()).unwrap_or_default();
    let records = shown_failures(&kept, previous.as_ref().map(|resumed| &resumed.document), show, failures);
    for record in &records {
        let file = record.seed_file.as_deref().map_or("NOT written".to_string(), |path| format!("written to {path}"));
        err!(
            "FAIL seed {} step {}: {}: {} ({file})\n  reproduce: {}\n  render: {}",
            record.seed,
            record.step,
            record.invariant,
            record.what,
            record.reproduce,
            record.render
        );
    }
    let mut code = u8::from(summary.failing_runs() > 0);
    if unwritten > 0 {
        // A failure that could not be written is not kept: the sweep did not do what was asked (exit 2).
        err!(
            "error: {} failing; the seed files of {} could NOT be written in {} ({}): those failures were not kept, \
             only the commands above reproduce them",
            plural(summary.failing_runs(), "run", "runs"),
            plural(unwritten, "run", "runs"),
            failures.display(),
            first_error
        );
        code = 2;
    } else if summary.failing_runs() > 0 {
        err!(
            "{} failing (their seed files in {}: the smallest seeds, at most {})",
            plural(summary.failing_runs(), "run", "runs"),
            failures.display(),
            failures::FILES_MAX
        );
    }
    let document = request.document(&covered, &remaining, summary, records, elapsed.as_secs_f64());
    if !remaining.is_empty() {
        code = sim::interrupt::EXIT_INTERRUPTED;
        let input = previous.as_ref().map(|resumed| resumed.path.as_path());
        let (path, written) = write_interrupted(&document, failures, input);
        let left: u64 = remaining.iter().map(|r| r.end - r.start).sum();
        match written {
            Ok(()) => err!(
                "interrupted: {} of the range not run; partial summary in {}\n  go on: {}",
                plural(left, "seed", "seeds"),
                path.display(),
                failures::resume_command(&path)
            ),
            Err(e) => {
                err!("interrupted: {left} seeds not run; error: cannot write {}: {e}", path.display());
                code = 2;
            }
        }
    }
    if format == Format::Json {
        out!("{}", sim::documents::pretty(&document));
        return code;
    }
    if !remaining.is_empty() {
        let ranges: Vec<String> = remaining.iter().map(|r| format!("{}..{}", r.start, r.end)).collect();
        out!("interrupted: seeds not run: {}", ranges.join(", "));
    }
    let report = Report { summary: &document.summary, seeds: covered.end - covered.start, elapsed, jobs };
    write(Stream::Stdout, format_args!("{report}"));
    match peak_resident_kib() {
        Some(kib) => out!("peak resident memory: {:.1} MiB", kib as f64 / 1024.0),
        None => out!("peak resident memory: unknown on this system"),
    }
    code
}
