//! `logoff-sim explore`: every state within a bound, or every profile, or a sweep's coverage of them.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use logoff_core::{Mutant, Profile};
use sim::explore::{explore_all_profiles, explore_on, write_counterexamples, Bound, Options as ExploreOptions};
use sim::output::{write, Stream};
use sim::text::plural;
use sim::{err, out};

use super::shared::{mutant_parser, peak_resident_kib, profile_help, Format};

#[derive(clap::Args)]
pub struct Args {
    /// Clients, each holding one reference at the start (1 to 4).
    #[arg(long, default_value_t = Bound::DEFAULT.start.clients, value_parser = clap::value_parser!(u8).range(1..=4))]
    pub clients: u8,
    /// Transports, each logged on at the start (0 to 3).
    #[arg(long, default_value_t = Bound::DEFAULT.start.transports, value_parser = clap::value_parser!(u8).range(0..=3))]
    pub transports: u8,
    /// `yes` or `no`: whether the store holds the default Inbox at the start. With `no`, reception is disabled
    /// from the start (docs/MODEL.md): the spooler receives no inbound message into the store.
    #[arg(long, default_value = "yes", action = clap::ArgAction::Set, value_parser = PossibleValuesParser::new(["yes", "no"]).map(|v| v == "yes"))]
    pub inbox: bool,
    /// Other processes that have the store open at the start (0 to 3, at most --other).
    #[arg(long, default_value_t = Bound::DEFAULT.start.other, value_parser = clap::value_parser!(u8).range(0..=3))]
    pub other_at_start: u8,
    /// Messages named in all, submitted or arrived (0 to 32).
    #[arg(long, default_value_t = Bound::DEFAULT.messages, value_parser = clap::value_parser!(u8).range(0..=32))]
    pub messages: u8,
    /// Other processes that may have the store open at once (0 to 3).
    #[arg(long, default_value_t = Bound::DEFAULT.other, value_parser = clap::value_parser!(u8).range(0..=3))]
    pub other: u8,
    /// References one client may hold at once (1 to 8).
    #[arg(long, default_value_t = Bound::DEFAULT.references, value_parser = clap::value_parser!(u8).range(1..=8))]
    pub references: u8,
    #[arg(long, long_help = profile_help(), help = "The reading of the pages (knobs A1-A10); `default` without it")]
    pub profile: Option<Profile>,
    /// Explore under each of the 1,024 profiles in turn (on --jobs threads) and print one summary.
    #[arg(long, conflicts_with = "profile")]
    pub all_profiles: bool,
    /// Worker threads (1 to 256): the profiles of --all-profiles are explored side by side, and one exploration's
    /// levels are expanded side by side (the same report, field for field, whatever the number).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: u16,
    /// `text` for people, `json` for programs (one document, docs/JSON.md).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// The same as `--format json`.
    #[arg(long)]
    pub json: bool,
    /// The mistake the model makes; `none` (the reference model) by default.
    #[arg(long, default_value = "none", value_parser = mutant_parser())]
    pub mutant: Mutant,
    /// Deduplicate states up to renamings of clients, transports and messages (liveness is then not checked).
    #[arg(long)]
    pub symmetry: bool,
    /// Partial-order reduction by sleep sets (docs/MODEL.md): the same states and verdicts, fewer transitions
    /// taken; not with --symmetry.
    #[arg(long, conflicts_with_all = ["symmetry", "sweep_coverage"])]
    pub reduce: bool,
    /// The most unique states stored, the start included (at least 1); when one more state would pass it, the
    /// search stops with exactly this many stored and says that it is not exhaustive.
    #[arg(long, default_value_t = sim::explore::STATES_MAX_DEFAULT, value_parser = parse_max_states)]
    pub max_states: u64,
    /// Where the counterexamples are written, as NAME.scn and NAME.seed.
    #[arg(long, value_name = "DIR", default_value = "target/explore")]
    pub out: PathBuf,
    /// Instead of checking, measure how much of the reachable states and transitions random sweeps of 10^3,
    /// 10^4, ... up to this many seeds visit (each run within the bound's setup and messages).
    #[arg(long, value_name = "SEEDS", conflicts_with_all = ["all_profiles", "mutant", "symmetry"])]
    pub sweep_coverage: Option<u64>,
    /// No progress bar (it is drawn on standard error only when that is a terminal).
    #[arg(long)]
    pub quiet: bool,
}

pub fn exec(args: Args) -> u8 {
    let Args {
        clients,
        transports,
        inbox,
        other_at_start,
        messages,
        other,
        references,
        profile,
        all_profiles,
        jobs,
        format,
        json,
        mutant,
        symmetry,
        reduce,
        max_states,
        out,
        sweep_coverage,
        quiet,
    } = args;
    if other_at_start > other {
        err!(
            "error: --other-at-start {other_at_start} is more than --other {other}; expected at most --other \
             (the other processes that may have the store open at once)"
        );
        return 2;
    }
    let mut bound = Bound::new(clients, transports, messages, other, references);
    bound.start.inbox = inbox;
    bound.start.other = other_at_start;
    let options = ExploreOptions {
        mutant,
        states_max: max_states,
        symmetry,
        liveness: !symmetry,
        reduce: reduce.then_some(sim::explore::reduce::footprint as sim::explore::reduce::Footprints),
        ..ExploreOptions::new(bound, profile.unwrap_or_default())
    };
    let json = json || format == Format::Json;
    if json && (all_profiles || sweep_coverage.is_some()) {
        err!("error: --format json is for one exploration; expected no --all-profiles or --sweep-coverage with it");
        return 2;
    }
    if let Some(seeds) = sweep_coverage {
        sweep_coverage_command(bound, options.profile, seeds)
    } else if all_profiles {
        all_profiles_command(&options, usize::from(jobs), &out, quiet)
    } else {
        explore_command(&options, usize::from(jobs), &out, json)
    }
}

/// `--max-states`: a number of states, at least 1 (the start is always stored).
fn parse_max_states(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(0) => Err("0 states cannot be explored (the start is always stored); expected at least 1".to_string()),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("`{text}` is not a number of states ({e}); expected a whole number of at least 1")),
    }
}

fn explore_command(options: &ExploreOptions, jobs: usize, out: &Path, json: bool) -> u8 {
    let started = Instant::now();
    let report = explore_on(options, jobs);
    let seconds = started.elapsed().as_secs_f64().max(1e-9);
    // Counterexamples are written before they are reported.
    let (written, errors) = write_counterexamples(&report, out);
    for e in &errors {
        err!("error: {e}");
    }
    let mut code = if errors.is_empty() { 0 } else { 2 };
    if report.failing() {
        code = code.max(1);
    }
    if json {
        let document = sim::documents::Explore::of(&report, &written, seconds);
        out!("{}", sim::documents::pretty(&document));
        return code;
    }
    let text = sim::explore::Text { report: &report, seconds, peak_kib: peak_resident_kib() };
    write(Stream::Stdout, format_args!("{text}"));
    for (counterexample, scn) in &written {
        err!(
            "VIOLATION {} in {} ({} in the script): {}",
            counterexample.violation.invariant,
            plural(counterexample.steps.len() as u64, "step", "steps"),
            plural(report.script(counterexample, "").steps() as u64, "step", "steps"),
            counterexample.violation
        );
        err!("  script: {} (replay: {})", scn.display(), sim::failures::script_replay(options.mutant, scn));
    }
    code
}

/// `explore --all-profiles`: every profile in turn, on `jobs` threads; one summary.
fn all_profiles_command(options: &ExploreOptions, jobs: usize, out: &Path, quiet: bool) -> u8 {
    out!(
        "explore {} all {} profiles mutant={} symmetry={} liveness={}{} jobs={jobs}",
        options.bound,
        Profile::COUNT,
        options.mutant,
        if options.symmetry { "yes" } else { "no" },
        if options.liveness { "yes" } else { "no" },
        if options.reduce.is_some() { " reduce=yes" } else { "" }
    );
    let started = Instant::now();
    let bar = sim::output::progress(u64::from(Profile::COUNT), "profiles", quiet);
    let reports = match explore_all_profiles(options, jobs, &|| bar.inc(1)) {
        Ok(reports) => reports,
        Err(e) => {
            err!("error: {e}");
            return 2;
        }
    };
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64().max(1e-9);
    let mut code = 0;
    let failing: Vec<&sim::explore::Report> = reports.iter().filter(|report| report.failing()).collect();
    for report in &failing {
        let (written, errors) = write_counterexamples(report, out);
        for e in &errors {
            err!("error: {e}");
            code = 2;
        }
        for (counterexample, scn) in written {
            err!(
                "VIOLATION under profile {} ('{}'): {} in {}; script {}",
                report.options.profile.index(),
                report.options.profile,
                counterexample.violation,
                plural(counterexample.steps.len() as u64, "step", "steps"),
                scn.display()
            );
        }
    }
    let unique: u64 = reports.iter().map(|report| report.unique).sum();
    let transitions: u64 = reports.iter().map(|report| report.transitions).sum();
    let smallest = reports.iter().map(|report| report.unique).min().unwrap_or(0);
    let largest = reports.iter().map(|report| report.unique).max().unwrap_or(0);
    out!("profiles explored: {}, exhaustively: {}", reports.len(), reports.iter().filter(|r| r.complete).count());
    out!("unique states: {unique} in all ({smallest} to {largest} a profile)");
    out!("transitions: {transitions}");
    out!("profiles with a violation: {}", failing.len());
    out!(
        "time: {seconds:.2} s with {}; {:.0} states/s; {:.0} transitions/s",
        plural(jobs as u64, "job", "jobs"),
        unique as f64 / seconds,
        transitions as f64 / seconds
    );
    let peak = peak_resident_kib().map_or("unknown".to_string(), |kib| format!("{:.1} MiB", kib as f64 / 1024.0));
    out!("peak resident memory: {peak}");
    if !failing.is_empty() {
        code = code.max(1);
    }
    code
}

/// `explore --sweep-coverage N`: the share of the reachable states and transitions that sweeps of 10^3, 10^4, ...,
/// N seeds visit.
fn sweep_coverage_command(bound: Bound, profile: Profile, seeds: u64) -> u8 {
    use sim::state_coverage::{measure, reachable};
    let started = Instant::now();
    let reachable = reachable(bound, profile);
    out!(
        "sweep coverage at {bound} profile='{profile}': {} reachable states, {} transitions (explored in {:.2} s)",
        reachable.states.len(),
        reachable.transitions.len(),
        started.elapsed().as_secs_f64()
    );
    let mut checkpoints: Vec<u64> =
        std::iter::successors(Some(1_000u64), |n| n.checked_mul(10)).take_while(|n| *n < seeds).collect();
    checkpoints.push(seeds);
    out!("{:>12} {:>24} {:>24} {:>20}", "seeds", "states visited", "transitions visited", "states outside bound");
    for row in measure(bound, profile, &reachable, &checkpoints) {
        out!(
            "{:>12} {:>24} {:>24} {:>20}",
            row.seeds,
            format!("{} ({:.1}%)", row.states, row.states_percent),
            format!("{} ({:.1}%)", row.transitions, row.transitions_percent),
            row.outside
        );
    }
    0
}
