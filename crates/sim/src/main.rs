//! `logoff-sim`: the command line of the simulator. Exit codes: 0 clean, 1 a violation or a failed expectation,
//! 2 bad input (a malformed file or flag value) or an output that cannot be written, with a message naming what
//! was wrong; 141 when the reader of its output went away (see `sim::output`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Parser, Subcommand, ValueEnum};
use logoff_core::{Mutant, Profile};
use sim::explore::{explore, Bound, Options as ExploreOptions};
use sim::failures::{self, Keeper};
use sim::invariants::Invariant;
use sim::mutants::{hunt, Table, HUNT_SEEDS_DEFAULT, SHRUNK_STEPS_MAX};
use sim::output::{write, Stream, COMMAND};
use sim::render::Picture;
use sim::seedfile::{script_of, Expected, SeedFile};
use sim::shard::{Document, FailureRecord, SeedRange, Shard};
use sim::simulate::{Config, Simulator, FAULT_PHASE_TICKS, RUN_STEPS_MAX, RUN_TICKS_MAX};
use sim::sweep::{sweep, Report};
use sim::text::{self, plural};
use sim::trace::Trace;
use sim::{err, out};

const EXIT_CODES: &str = "Exit codes: 0 clean; 1 a violation or a failed expectation (written to disk first); 2 bad \
                          input or an output that cannot be written; 141 the reader of the output went away.";

const SCRIPT_EXIT_CODES: &str = "Exit codes: 0 every expectation holds and no invariant breaks; 1 an expectation, a \
                                 step or an invariant fails (file and line named); 2 a malformed or unreadable file \
                                 (file, line and column named). With several files, the largest of their codes.";

#[derive(Parser)]
#[command(
    name = "logoff-sim",
    version,
    about = "Deterministic simulator of the MAPI store logoff protocol (docs/SPEC.md)",
    after_help = "The protocol, the requirements R1-R21 and the knobs A1-A10 are in docs/SPEC.md; the model's own \
                  decisions in docs/MODEL.md. `logoff-sim list mutants|knobs|invariants` lists the names the options \
                  take."
)]
struct Cli {
    /// Without a command, a short guide is printed.
    #[command(subcommand)]
    command: Option<Command>,
}

/// What `logoff-sim` alone prints: the three ways to use the project, and where to go from there.
const GUIDE: &str = "logoff-sim: a deterministic simulator of the MAPI store logoff protocol (docs/SPEC.md).

Three ways to use it:
  1. Run the regression suite (scenarios, seed corpus, mutants, explorer, snapshots):
       cargo test --workspace
  2. Replay a failing seed bit for bit (every failure names the seed file it wrote first):
       cargo run -q --release -p sim --bin logoff-sim -- replay target/sim-failures/seed-14-profile-0-none.seed
  3. Review changed trace snapshots (install the tool once: cargo install cargo-insta):
       cargo insta review

The main job, a sweep of seeded runs:
  cargo run -q --release -p sim --bin logoff-sim -- sweep --seeds 0..1000000 --jobs 2
Every command and its options: logoff-sim --help; the values options take: logoff-sim list mutants|knobs|invariants.
";

/// Counting one finished piece of work on a progress bar while passing its result on.
trait IncAnd {
    fn inc_and<T>(&self, value: T) -> T;
}

impl IncAnd for indicatif::ProgressBar {
    fn inc_and<T>(&self, value: T) -> T {
        self.inc(1);
        value
    }
}

/// A subcommand's closing help: one example, then its exit codes.
fn with_example(example: &str, exit_codes: &str) -> String {
    format!("Example:\n  {example}\n\n{exit_codes}")
}

/// The help of `--profile`: its form and every knob with its two values.
fn profile_help() -> String {
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
fn mutant_parser() -> impl TypedValueParser<Value = Mutant> {
    let names = std::iter::once("none").chain(Mutant::ALL.iter().map(|mutant| mutant.name()));
    PossibleValuesParser::new(names).map(|name| Mutant::from_name(&name).unwrap_or_default())
}

/// `--why`: a reason that a seed file can hold and read back.
fn parse_why(why: &str) -> Result<String, String> {
    SeedFile::check_why(why).map(|()| why.to_string())
}

#[derive(Subcommand)]
enum Command {
    /// Run one seed: print its configuration, its trace and the trace's hash.
    #[command(after_help = with_example("cargo run -q --release -p sim --bin logoff-sim -- run --seed 14 --profile call_site=eager", EXIT_CODES))]
    Run {
        /// The seed (0 to 2^64-1): it chooses the setup, the workload, the faults and, without --profile, the
        /// profile.
        #[arg(long)]
        seed: u64,
        #[arg(long, long_help = profile_help(), help = "The reading of the pages (knobs A1-A10); drawn by the seed without it")]
        profile: Option<Profile>,
        /// The mistake the model makes; `none` (the reference model) by default.
        #[arg(long, default_value = "none", value_parser = mutant_parser())]
        mutant: Mutant,
        /// `text` for people, `json` for programs: one document with the configuration, the trace and the verdict
        /// (docs/JSON.md).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// The same as `--format json`.
        #[arg(long)]
        json: bool,
        /// Also write the run as a scenario script that reproduces it.
        #[arg(long, value_name = "FILE", value_parser = parse_output_path)]
        emit_script: Option<PathBuf>,
        /// Also write the run as a seed file (for `sim-seeds/`), with `--why` saying why it is kept.
        #[arg(long, value_name = "FILE", requires = "why", value_parser = parse_output_path)]
        save_seed: Option<PathBuf>,
        /// Why the seed is kept: the `why` line of the seed file (one line of text, not empty).
        #[arg(long, requires = "save_seed", value_parser = parse_why)]
        why: Option<String>,
        /// Where a failing run is written as a seed file [default: $CARGO_TARGET_DIR/sim-failures, or
        /// target/sim-failures].
        #[arg(long, value_name = "DIR")]
        failures: Option<PathBuf>,
    },
    /// Run a range of seeds in parallel and print a summary: violations by invariant, coverage, rates.
    #[command(after_help = with_example("cargo run -q --release -p sim --bin logoff-sim -- sweep --seeds 0..1000000 --jobs 2", EXIT_CODES))]
    Sweep {
        /// `A..B`: the seeds from A up to, not including, B (A < B).
        #[arg(long, value_parser = parse_seeds, required_unless_present = "resume")]
        seeds: Option<std::ops::Range<u64>>,
        /// Go on with an interrupted sweep from the summary it wrote (its range, shard, profile, mutant and --show);
        /// the summary printed is that of the whole sweep. SIGINT or SIGTERM stops a sweep between chunks of seeds:
        /// the failing seeds found are already on disk, the partial summary is written and printed, exit code 130.
        #[arg(long, value_name = "SUMMARY.json", conflicts_with_all = ["seeds", "profile", "mutant", "shard", "shard_from_env"])]
        resume: Option<PathBuf>,
        /// Worker threads (1 to 256); the summary is the same with any number.
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=256))]
        jobs: u16,
        #[arg(long, long_help = profile_help(), help = "The reading of the pages (knobs A1-A10); drawn per seed without it")]
        profile: Option<Profile>,
        /// The mistake the model makes; `none` (the reference model) by default.
        #[arg(long, default_value = "none", value_parser = mutant_parser())]
        mutant: Mutant,
        /// Where each failing run is written as a seed file before it is reported (the smallest 1,000 failing
        /// seeds are kept) [default: $CARGO_TARGET_DIR/sim-failures, or target/sim-failures].
        #[arg(long, value_name = "DIR")]
        failures: Option<PathBuf>,
        /// Print at most this many failing seeds, the smallest first (all are counted).
        #[arg(long, default_value_t = 20)]
        show: u64,
        /// Run only part K of N of the range (from 0): disjoint, contiguous parts; `logoff-sim merge` adds their JSON
        /// summaries up.
        #[arg(long, value_name = "K/N", conflicts_with = "shard_from_env")]
        shard: Option<Shard>,
        /// Run part K of N, K read from JOB_COMPLETION_INDEX (Kubernetes), SLURM_ARRAY_TASK_ID (Slurm) or
        /// LOGOFF_SIM_SHARD (a GitHub Actions matrix), the first that is set.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
        shard_from_env: Option<u64>,
        /// Run a shard that has no seeds (more shards than seeds) and report it, instead of refusing it (exit 2):
        /// for a job array of fixed size whose shards `merge` adds up.
        #[arg(long)]
        allow_empty_shard: bool,
        /// `text` for people, `json` for programs (one document, docs/JSON.md).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// No progress bar (it is drawn on standard error only when that is a terminal).
        #[arg(long)]
        quiet: bool,
    },
    /// Add up the JSON summaries of the shards of one sweep into the summary of the whole range: the same, times
    /// and rates aside, as one machine would print for it.
    #[command(after_help = with_example("cargo run -q --release -p sim --bin logoff-sim -- merge summary-0.json summary-1.json summary-2.json summary-3.json", "Exit codes: 0 merged, no failing run; 1 merged, failing runs; 2 a file that cannot be \
                            read or is not a shard of the same sweep, or a shard missing or given twice."))]
    Merge {
        /// The JSON summaries (`sweep --shard K/N --format json`), one for each shard.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// `text` for people, `json` for programs.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Replay seed files (the format of sim-seeds/README.md) and check each ends as its `expect` line says.
    #[command(after_help = with_example("cargo run -q --release -p sim --bin logoff-sim -- replay sim-seeds/purge-blocked.seed", SCRIPT_EXIT_CODES))]
    Replay {
        /// Seed files; `-` reads one from standard input.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// `text` for people, `json` for programs (one document for all the files, docs/JSON.md).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// No progress bar (it is drawn on standard error only when that is a terminal).
        #[arg(long)]
        quiet: bool,
    },
    /// Run scenario scripts (docs/SPEC.md section 6) with every invariant checked after every step and liveness
    /// after the last.
    #[command(after_help = with_example("cargo run -q --release -p sim --bin logoff-sim -- script tests/scenarios/a2-orderly-keep.scn", SCRIPT_EXIT_CODES))]
    Script {
        /// The mistake the model makes; `none` (the reference model) by default.
        #[arg(long, default_value = "none", value_parser = mutant_parser())]
        mutant: Mutant,
        /// Scenario scripts (`.scn`); `-` reads one from standard input.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// `text` for people, `json` for programs (one document for all the files, docs/JSON.md).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Reduce a failing seed file to a short script that breaks the same invariant (no step can go, every step
    /// enabled; no client, transport, Inbox or other process the setup can lose; messages renamed m0, m1, ...), and
    /// write it as a scenario script that `logoff-sim script --mutant M` reproduces.
    #[command(after_help = with_example("cargo run -q --release -p sim --bin logoff-sim -- shrink sim-seeds/mutant-logoff-loses-sending-message.seed --out shrunk.scn", "Exit codes: 0 shrunk; 1 the seed file's steps do not break its invariant; 2 bad input \
                            or an output that cannot be written."))]
    Shrink {
        /// A seed file whose `expect violation NAME` line names the invariant to keep breaking.
        seed_file: PathBuf,
        /// Where to write the shrunk script, `-` for standard output [default: the seed file's name with
        /// `.shrunk.scn` in $CARGO_TARGET_DIR/sim-failures, or target/sim-failures]; never the seed file itself.
        #[arg(long, value_name = "FILE", value_parser = parse_output_path)]
        out: Option<PathBuf>,
        /// `text` for people, `json` for programs (one document, docs/JSON.md).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Hunt every mutant: sweep seeds until a run breaks an invariant, shrink it, write the script, print a table.
    #[command(after_help = with_example("cargo run -q --release -p sim --bin logoff-sim -- mutants --seeds 10000 --out target/mutants", "Exit codes: 0 every mutant caught and shrunk to at most 12 steps, and the reference \
                            model clean on the same seeds; 1 otherwise; 2 an output that cannot be written."))]
    Mutants {
        /// Seeds tried for each mutant (from 0).
        #[arg(long, default_value_t = HUNT_SEEDS_DEFAULT)]
        seeds: u64,
        /// Where the shrunk scripts are written, one `NAME.scn` a mutant.
        #[arg(long, value_name = "DIR", default_value = "target/mutants")]
        out: PathBuf,
        /// `text` for people, `json` for programs (one document, docs/JSON.md).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// No progress bar (it is drawn on standard error only when that is a terminal).
        #[arg(long)]
        quiet: bool,
    },
    /// Explore every state reachable within a bound (breadth first, every invariant on every transition) and write
    /// the shortest counterexample of each broken invariant as a script.
    #[command(after_help = with_example("cargo run -q --release -p sim --bin logoff-sim -- explore --mutant late-return --clients 1", "Exit codes: 0 no violation (and, without --max-states reached, none within the bound); \
                            1 a violation, its shortest counterexample written first; 2 bad input or an output that \
                            cannot be written."))]
    Explore {
        /// Clients, each holding one reference at the start (1 to 4).
        #[arg(long, default_value_t = Bound::DEFAULT.start.clients, value_parser = clap::value_parser!(u8).range(1..=4))]
        clients: u8,
        /// Transports, each logged on at the start (0 to 3).
        #[arg(long, default_value_t = Bound::DEFAULT.start.transports, value_parser = clap::value_parser!(u8).range(0..=3))]
        transports: u8,
        /// `yes` or `no`: whether the store holds the default Inbox at the start. With `no`, reception is disabled
        /// from the start (docs/MODEL.md): the spooler receives no inbound message into the store.
        #[arg(long, default_value = "yes", action = clap::ArgAction::Set, value_parser = PossibleValuesParser::new(["yes", "no"]).map(|v| v == "yes"))]
        inbox: bool,
        /// Other processes that have the store open at the start (0 to 3, at most --other).
        #[arg(long, default_value_t = Bound::DEFAULT.start.other, value_parser = clap::value_parser!(u8).range(0..=3))]
        other_at_start: u8,
        /// Messages named in all, submitted or arrived (0 to 32).
        #[arg(long, default_value_t = Bound::DEFAULT.messages, value_parser = clap::value_parser!(u8).range(0..=32))]
        messages: u8,
        /// Other processes that may have the store open at once (0 to 3).
        #[arg(long, default_value_t = Bound::DEFAULT.other, value_parser = clap::value_parser!(u8).range(0..=3))]
        other: u8,
        /// References one client may hold at once (1 to 8).
        #[arg(long, default_value_t = Bound::DEFAULT.references, value_parser = clap::value_parser!(u8).range(1..=8))]
        references: u8,
        #[arg(long, long_help = profile_help(), help = "The reading of the pages (knobs A1-A10); `default` without it")]
        profile: Option<Profile>,
        /// Explore under each of the 1,024 profiles in turn (on --jobs threads) and print one summary.
        #[arg(long, conflicts_with = "profile")]
        all_profiles: bool,
        /// Worker threads for --all-profiles (1 to 256).
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=256))]
        jobs: u16,
        /// `text` for people, `json` for programs (one document, docs/JSON.md).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// The same as `--format json`.
        #[arg(long)]
        json: bool,
        /// The mistake the model makes; `none` (the reference model) by default.
        #[arg(long, default_value = "none", value_parser = mutant_parser())]
        mutant: Mutant,
        /// Deduplicate states up to renamings of clients, transports and messages (liveness is then not checked).
        #[arg(long)]
        symmetry: bool,
        /// The most unique states stored, the start included (at least 1); when one more state would pass it, the
        /// search stops with exactly this many stored and says that it is not exhaustive.
        #[arg(long, default_value_t = sim::explore::STATES_MAX_DEFAULT, value_parser = parse_max_states)]
        max_states: u64,
        /// Where the counterexamples are written, as NAME.scn and NAME.seed.
        #[arg(long, value_name = "DIR", default_value = "target/explore")]
        out: PathBuf,
        /// Instead of checking, measure how much of the reachable states and transitions random sweeps of 10^3,
        /// 10^4, ... up to this many seeds visit (each run within the bound's setup and messages).
        #[arg(long, value_name = "SEEDS", conflicts_with_all = ["all_profiles", "mutant", "symmetry"])]
        sweep_coverage: Option<u64>,
        /// No progress bar (it is drawn on standard error only when that is a terminal).
        #[arg(long)]
        quiet: bool,
    },
    /// Find the shortest script whose observable results differ between two readings of the pages (two profiles,
    /// or the two values of one knob), and print it as a script that passes under the first. Every setup within the
    /// bound is searched: 1 up to --clients clients, 0 up to --transports transports, without and with the Inbox,
    /// 0 up to --other other processes holding the store open at the start; the script is the shortest over all of
    /// them, and among the shortest the one from the smallest setup (fewest clients, then transports, then no
    /// Inbox, then other processes), then the first in breadth-first order.
    #[command(after_help = with_example("cargo run -q --release -p sim --bin logoff-sim -- diff --knob orderly", "Exit codes: 0 a witness found and printed (and written with --out); 1 the two readings \
                            cannot be told apart within the bound; 2 bad input (two --profile values that are one \
                            reading among them) or an output that cannot be written."))]
    Diff {
        /// The two readings, each `default` or knob=value pairs; give it twice (or use --knob).
        #[arg(long, num_args = 1, action = clap::ArgAction::Append, conflicts_with = "knob")]
        profile: Vec<Profile>,
        /// The knob whose two values are compared, the others at their defaults (or, if that shows no difference,
        /// one other knob at its second value): one of the names of `logoff-sim list knobs`.
        #[arg(long, value_parser = PossibleValuesParser::new(Profile::KNOBS))]
        knob: Option<String>,
        /// The most clients (1 to 4): setups with 1 up to this many are searched.
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=4))]
        clients: u8,
        /// The most transports (0 to 3): setups with 0 up to this many are searched.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(0..=3))]
        transports: u8,
        /// Messages named in all (0 to 32).
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(0..=32))]
        messages: u8,
        /// Other processes open at once (0 to 3); setups with 0 up to this many open at the start are searched.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(0..=3))]
        other: u8,
        /// References one client may hold (1 to 8).
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=8))]
        references: u8,
        /// Also write the witness to this file.
        #[arg(long, value_name = "FILE", value_parser = parse_output_path)]
        out: Option<PathBuf>,
    },
    /// Draw a run as a sequence diagram: one lane per actor, one arrow per call and per return, blocked calls as
    /// spans, the step that breaks an invariant in red. Mermaid text, SVG, or one HTML page that steps through it.
    #[command(after_help = with_example("cargo run -q --release -p sim --bin logoff-sim -- render sim-seeds/mutant-logoff-loses-sending-message.seed --to html -o failure.html", "Exit codes: 0 drawn (whether or not the run breaks an invariant); 1 drawn, but the program \
                            under test (--cmd) failed, so the run stops there with no verdict; 2 bad input or an output \
                            that cannot be written; 130 interrupted."))]
    Render {
        /// A scenario script (`.scn`) or a seed file (`.seed`) to draw; `-` reads a script from standard input.
        #[arg(required_unless_present = "seed", conflicts_with = "seed")]
        file: Option<PathBuf>,
        /// Draw the run of this seed instead of a file.
        #[arg(long)]
        seed: Option<u64>,
        #[arg(long, long_help = profile_help(), help = "With --seed: the reading of the pages; drawn by the seed without it")]
        profile: Option<Profile>,
        /// The mistake the model makes (with --seed or a script; a seed file names its own).
        #[arg(long, value_parser = mutant_parser())]
        mutant: Option<Mutant>,
        /// What to draw (`log`: the run as `check-trace` reads it) [default: from the extension of -o: .mmd or .md,
        /// .svg, .html, .log; mermaid on standard output].
        #[arg(long, value_parser = PossibleValuesParser::new(Picture::NAMES).map(|v| Picture::from_name(&v).expect("a listed name")))]
        to: Option<Picture>,
        /// The file to write, `-` for standard output [default: standard output]; a link or a device is written
        /// through, never replaced, and the input file is never overwritten.
        #[arg(short = 'o', long = "out", value_name = "FILE", value_parser = parse_output_path)]
        out: Option<PathBuf>,
        /// Draw the run with this program in --role (`logoff-sim conform`'s --cmd): how a failure it was found to
        /// have looks. SIGINT or SIGTERM ends it at once (exit 130), the program killed.
        #[arg(long, value_name = "PROGRAM ARGS", conflicts_with = "mutant")]
        cmd: Option<String>,
        /// With --cmd: the role the program plays.
        #[arg(long, requires = "cmd", default_value = "store", value_parser = PossibleValuesParser::new(sim::conform::ROLES))]
        role: String,
        /// With --cmd: how long the program may take to answer one message (milliseconds).
        #[arg(long, requires = "cmd", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=600_000))]
        timeout_ms: u64,
    },
    /// Put a store provider, a MAPI spooler or a transport provider written by you under test: run PROGRAM as a
    /// child process in that role (--role store, spooler or transport; JSON lines on its standard input and output,
    /// docs/CONFORM.md), one process for many runs, in scenario scripts and seeded runs, every invariant checked;
    /// write each failure as a seed file and shrink it against the same program. SIGINT or SIGTERM stops it at once
    /// with a partial summary (exit 130); the program and everything it started are killed on every way out.
    #[command(after_help = with_example("cargo run -q --release -p sim --bin logoff-sim -- conform --role store --cmd 'python3 examples/providers/good_store.py' --scripts tests/scenarios --seeds 0..10000", "Exit codes: 0 every script and seed passed (or the replayed file passed); 1 a failure \
                            (written, shrunk, printed), or a replayed file that still fails; 2 bad input, or a program \
                            that cannot be started or does not answer hello; 130 interrupted."))]
    Conform {
        /// The role the program plays: the store provider, the MAPI spooler, or every transport provider.
        #[arg(long, value_parser = PossibleValuesParser::new(sim::conform::ROLES))]
        role: String,
        /// The program and its arguments, one string split as a shell splits words ('python3 store.py').
        #[arg(long, value_name = "PROGRAM ARGS")]
        cmd: String,
        /// `A..B`: the seeds to run after the scripts (each drawing its setup, workload, faults and, without
        /// --profile, profile).
        #[arg(long, value_parser = parse_seeds, default_value = "0..10000")]
        seeds: std::ops::Range<u64>,
        /// Run no seeds: only the scripts of --scripts.
        #[arg(long, conflicts_with = "seeds", requires = "scripts")]
        no_seeds: bool,
        /// The knobs to fix, `knob=value` pairs (or `default`, all ten): each seed draws the others, and only the
        /// scripts written for these values run. For a provider that implements one reading of the pages.
        #[arg(long, value_name = "KNOB=VALUE,...", value_parser = sim::conform::FixedKnobs::parse)]
        profile: Option<sim::conform::FixedKnobs>,
        /// Scenario scripts to run first: `.scn` files, or directories whose `.scn` files are run in name order.
        #[arg(long, value_name = "PATH")]
        scripts: Vec<PathBuf>,
        /// Instead of sweeping, replay one file against the program: a seed file or a shrunk script it wrote
        /// (either fails, exit 1, while the program still does what was found, and passes once it is fixed), or
        /// any scenario script.
        #[arg(long, value_name = "FILE", conflicts_with_all = ["scripts"])]
        replay: Option<PathBuf>,
        /// How long the program may take to answer one message (milliseconds).
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=600_000))]
        timeout_ms: u64,
        /// Where failing runs are written (seed files and shrunk scripts) [default: $CARGO_TARGET_DIR/sim-failures,
        /// or target/sim-failures].
        #[arg(long, value_name = "DIR")]
        failures: Option<PathBuf>,
        /// Shrink and print at most this many failing seeds (all are counted).
        #[arg(long, default_value_t = 3)]
        show: usize,
        /// No progress bar (it is drawn on standard error only when that is a terminal).
        #[arg(long)]
        quiet: bool,
    },
    /// Check a log of a real run: is it a behaviour the model allows under some reading of the pages, and under
    /// which? The log: a `setup` line, then `STEP -> EFFECTS` lines as a trace prints them (`run` and `render --to
    /// log` write this form), or the same as JSON lines (`{"setup":{...}}`, then `{"step":"...","effects":[...]}`);
    /// the first line that no profile explains is named. A `profile` line (as a script's, unnamed knobs at their
    /// default) judges the log under that profile only. Calls still in progress at the end of the log are named,
    /// with whether the model lets them return if the run goes on with no new work.
    #[command(after_help = with_example("cargo run -q --release -p sim --bin logoff-sim -- run --seed 14 > run.log && cargo run -q --release -p sim --bin logoff-sim -- check-trace run.log", "Exit codes: 0 allowed under at least one profile (calls still in progress at the end are \
                            named, and the model lets them return under at least one of those profiles); 1 a line \
                            that no profile explains, or calls left in progress that the model lets return under \
                            none; 2 a log that cannot be read (file, line and, for a text log, column named)."))]
    CheckTrace {
        /// The log; `-` reads it from standard input.
        log: PathBuf,
        /// Print every profile that explains the log, not only the values each knob takes among them.
        #[arg(long)]
        list: bool,
    },
    /// List the names that options take, and runs nothing.
    #[command(after_help = with_example("cargo run -q --release -p sim --bin logoff-sim -- list mutants", "Exit codes: 0; 2 an output that cannot be written."))]
    List {
        /// What to list.
        what: Listing,
    },
}

/// How a command prints its result.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

/// What `logoff-sim list` prints.
#[derive(Clone, Copy, ValueEnum)]
enum Listing {
    /// The mutants of `--mutant`, with who would make the mistake and what it is.
    Mutants,
    /// The knobs A1-A10 of `--profile` and of a script's `profile` line, with their values (default first).
    Knobs,
    /// The invariants the checker evaluates after every step, with the requirements each checks.
    Invariants,
}

/// `--max-states`: a number of states, at least 1 (the start is always stored).
fn parse_max_states(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(0) => Err("0 states cannot be explored (the start is always stored); expected at least 1".to_string()),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("`{text}` is not a number of states ({e}); expected a whole number of at least 1")),
    }
}

/// `A..B` with A < B.
fn parse_seeds(text: &str) -> Result<std::ops::Range<u64>, String> {
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

/// The longest line of a command-line error that is printed: clap quotes a bad value whole, and a value can be
/// hundreds of kilobytes long.
const ERROR_LINE_CHARS_MAX: usize = 300;

/// Parses the command line; help, version and errors are written through [`sim::output`], so that a closed or full
/// stream is handled as everywhere else.
fn parse_command_line() -> Result<Cli, u8> {
    Cli::try_parse().map_err(|error| {
        let rendered = error.render().to_string();
        let mut shown = String::with_capacity(rendered.len().min(4_096));
        for line in rendered.lines() {
            // Help and version are printed whole; only errors quote values.
            let cut = if error.use_stderr() { line.char_indices().nth(ERROR_LINE_CHARS_MAX) } else { None };
            match cut {
                Some((cut, _)) => shown.push_str(&format!("{}...\n", &line[..cut])),
                None => shown.push_str(&format!("{line}\n")),
            }
        }
        let stream = if error.use_stderr() { Stream::Stderr } else { Stream::Stdout };
        write(stream, format_args!("{shown}"));
        u8::try_from(error.exit_code()).unwrap_or(2)
    })
}

/// Refuses `-` named more than once: standard input can be read only once.
fn stdin_at_most_once(files: &[PathBuf]) -> Result<(), u8> {
    if files.iter().filter(|path| *path == Path::new("-")).count() > 1 {
        err!("error: `-` is named more than once; expected standard input at most once");
        return Err(2);
    }
    Ok(())
}

/// An output path: a file name, or `-` for standard output where the command says so.
fn parse_output_path(text: &str) -> Result<PathBuf, String> {
    if text.is_empty() {
        return Err("an empty name is not a file path; expected the path of the file to write, or -".to_string());
    }
    Ok(PathBuf::from(text))
}

/// Refuses `-` for an output of a command whose standard output already carries its result.
fn not_stdout(option: &str, path: Option<&Path>, carries: &str) -> Result<(), u8> {
    if path == Some(Path::new("-")) {
        err!("error: {option} -: standard output carries {carries}; expected the path of a file");
        return Err(2);
    }
    Ok(())
}

fn main() -> ExitCode {
    sim::interrupt::install();
    let cli = match parse_command_line() {
        Ok(cli) => cli,
        Err(code) => return ExitCode::from(code),
    };
    let Some(command) = cli.command else {
        write(Stream::Stdout, format_args!("{GUIDE}"));
        return ExitCode::SUCCESS;
    };
    let code = match command {
        Command::Run { seed, profile, mutant, format, json, emit_script, save_seed, why, failures } => {
            let json = json || format == Format::Json;
            let mut config = Config::from_seed(seed, profile);
            config.mutant = mutant;
            let save = save_seed.as_deref().zip(why.as_deref());
            let failures = failures.unwrap_or_else(failures::default_dir);
            let checked = not_stdout("--emit-script", emit_script.as_deref(), "the trace")
                .and_then(|()| not_stdout("--save-seed", save_seed.as_deref(), "the trace"))
                .and_then(|()| match (&emit_script, &save_seed) {
                    (Some(a), Some(b)) if a == b || sim::output::same_file(a, b) => {
                        err!("error: --emit-script and --save-seed name the same file {}; expected two", a.display());
                        Err(2)
                    }
                    _ => Ok(()),
                });
            if let Err(code) = checked {
                return ExitCode::from(code);
            }
            run(&config, json, emit_script.as_deref(), save, &failures)
        }
        Command::Sweep {
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
        } => {
            let failures = failures.unwrap_or_else(failures::default_dir);
            let jobs = usize::from(jobs);
            let (Some(seeds), None) = (seeds, &resume) else {
                let path = resume.unwrap_or_default();
                return ExitCode::from(match resume_request(&path, jobs, format, quiet) {
                    Ok(request) => sweep_command(&request, &failures),
                    Err(e) => {
                        err!("{e}");
                        2
                    }
                });
            };
            let shard = match (shard, shard_from_env) {
                (Some(shard), _) => Some(shard),
                (None, Some(count)) => match Shard::from_env(count, |name| std::env::var(name).ok()) {
                    Ok(shard) => Some(shard),
                    Err(e) => {
                        err!("error: --shard-from-env: {e}");
                        return ExitCode::from(2);
                    }
                },
                (None, None) => None,
            };
            let sweep = SweepRequest {
                seeds,
                jobs,
                profile,
                mutant,
                show,
                shard,
                allow_empty: allow_empty_shard,
                format,
                quiet,
                previous: None,
            };
            sweep_command(&sweep, &failures)
        }
        Command::Merge { files, format } => merge_command(&files, format),
        Command::Replay { files, quiet, format } => {
            stdin_at_most_once(&files).map_or_else(|code| code, |()| replay(&files, quiet, format))
        }
        Command::Script { mutant, files, format } => {
            stdin_at_most_once(&files).map_or_else(|code| code, |()| script_command(&files, mutant, format))
        }
        Command::Shrink { seed_file, out, format } => shrink_command(&seed_file, out, format),
        Command::Mutants { seeds, out, format, quiet } => mutants_command(seeds, &out, format, quiet),
        Command::List { what } => list(what),
        Command::CheckTrace { log, list } => check_trace_command(&log, list),
        Command::Conform {
            role,
            cmd,
            seeds,
            no_seeds,
            profile,
            scripts,
            replay,
            timeout_ms,
            failures,
            show,
            quiet,
        } => {
            let request = ConformRequest {
                role,
                cmd,
                seeds: if no_seeds { seeds.start..seeds.start } else { seeds },
                fixed: profile.unwrap_or_default(),
                scripts,
                timeout: std::time::Duration::from_millis(timeout_ms),
                failures: failures.unwrap_or_else(failures::default_dir),
                show,
                quiet,
            };
            match replay {
                Some(file) => conform_replay(&request, &file),
                None => conform_command(&request),
            }
        }
        Command::Render { file, seed, profile, mutant, to, out, cmd, timeout_ms, role } => {
            let cmd = cmd.map(|cmd| (cmd, std::time::Duration::from_millis(timeout_ms), role));
            render_command(file.as_deref(), seed, profile, mutant, to, out.as_deref(), cmd)
        }
        Command::Diff { profile, knob, clients, transports, messages, other, references, out } => {
            if let Err(code) = not_stdout("--out", out.as_deref(), "the witness already") {
                return ExitCode::from(code);
            }
            let bound = Bound::new(clients, transports, messages, other, references);
            diff_command(&profile, knob.as_deref(), bound, out.as_deref())
        }
        Command::Explore {
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
            max_states,
            out,
            sweep_coverage,
            quiet,
        } => {
            if other_at_start > other {
                err!(
                    "error: --other-at-start {other_at_start} is more than --other {other}; expected at most --other \
                     (the other processes that may have the store open at once)"
                );
                return ExitCode::from(2);
            }
            let mut bound = Bound::new(clients, transports, messages, other, references);
            bound.start.inbox = inbox;
            bound.start.other = other_at_start;
            let options = ExploreOptions {
                mutant,
                states_max: max_states,
                symmetry,
                liveness: !symmetry,
                ..ExploreOptions::new(bound, profile.unwrap_or_default())
            };
            let json = json || format == Format::Json;
            if json && (all_profiles || sweep_coverage.is_some()) {
                err!("error: --format json is for one exploration; expected no --all-profiles or --sweep-coverage with it");
                return ExitCode::from(2);
            }
            if let Some(seeds) = sweep_coverage {
                sweep_coverage_command(bound, options.profile, seeds)
            } else if all_profiles {
                explore_all_profiles(&options, usize::from(jobs), &out, quiet)
            } else {
                explore_command(&options, &out, json)
            }
        }
    };
    ExitCode::from(code)
}

/// The name of an input in messages: its path, or `<stdin>` for `-`.
fn input_name(path: &Path) -> String {
    if path == Path::new("-") {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    }
}

fn run(
    config: &Config,
    json: bool,
    emit_script: Option<&Path>,
    save_seed: Option<(&Path, &str)>,
    failures: &Path,
) -> u8 {
    let config = *config;
    let mut trace = Trace::default();
    let outcome = Simulator::new().run(&config, &mut trace);
    let mut code = 0;
    if let Some((violation, _)) = outcome.violation {
        // Written before anything is reported, so that nothing found is lost.
        let written = failures::write(&config, violation, failures);
        match written {
            Ok(path) => err!("seed file: {} (replay: {})", path.display(), failures::replay_command(&path)),
            Err(e) => {
                err!("error: {e}; the failure was NOT kept on disk (the command below reproduces it)");
                code = 2;
            }
        }
    }
    if json {
        out!("{}", trace.json(&config, &outcome));
    } else {
        out!("seed={} profile='{}' mutant={}", config.seed, config.profile, config.mutant);
        out!("config {}", serde_json::to_string(&config).expect("a configuration always serialises"));
        out!(
            "limits fault_phase_ticks={FAULT_PHASE_TICKS} run_ticks_max={RUN_TICKS_MAX} run_steps_max={RUN_STEPS_MAX}"
        );
        write(Stream::Stdout, format_args!("{}", trace.text()));
        out!("steps={} ticks={} trace_hash={:016x}", outcome.steps, outcome.ticks, trace.hash());
    }
    if let Some(path) = emit_script {
        let script = script_of(&config, &trace, &path.display().to_string());
        if let Err(e) = sim::output::write_file(path, &script.to_string()) {
            err!("error: cannot write the script to {}: {e}", path.display());
            code = 2;
        }
    }
    if let Some((path, why)) = save_seed {
        let expect =
            outcome.violation.map_or(Expected::Clean, |(violation, _)| Expected::Violation(violation.invariant));
        let script = script_of(&config, &trace, &path.display().to_string());
        let seed_file = SeedFile { seed: config.seed, expect, why: why.to_string(), script };
        if let Err(e) = seed_file.save(path) {
            err!("error: {e}");
            code = 2;
        }
    }
    match outcome.violation {
        None => {
            if !json {
                out!("clean");
            }
            code
        }
        Some((violation, step)) => {
            err!("violation at step {step}: {violation}");
            err!("reproduce: {}", failures::reproduce(&config));
            err!("render: {}", failures::render_command(&config, failures));
            code.max(1)
        }
    }
}

/// What `logoff-sim sweep` was asked to do.
struct SweepRequest {
    seeds: std::ops::Range<u64>,
    jobs: usize,
    profile: Option<Profile>,
    mutant: Mutant,
    show: u64,
    shard: Option<Shard>,
    format: Format,
    quiet: bool,
    /// Whether a shard without seeds is run (and reported) rather than refused.
    allow_empty: bool,
    /// The summary of an interrupted sweep to go on with (`--resume`), and its file: its remaining seeds are run.
    previous: Option<(PathBuf, Document)>,
}

/// Reads a sweep's JSON summary (for `--resume` and `merge`): at most [`SUMMARY_BYTES_MAX`] bytes, a UTF-8
/// byte-order mark skipped, then checked whole ([`Document::check`]).
fn read_document(path: &Path) -> Result<Document, String> {
    use std::io::Read;
    let name = input_name(path);
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

/// The request that goes on with an interrupted sweep, from its summary (checked whole by [`read_document`]).
fn resume_request(path: &Path, jobs: usize, format: Format, quiet: bool) -> Result<SweepRequest, String> {
    let name = input_name(path);
    let document = read_document(path)?;
    if document.remaining.is_empty() {
        return Err(format!("{name}: that sweep finished; nothing to resume"));
    }
    let (profile, mutant) = document.reading().map_err(|e| format!("{name}: {e}"))?;
    Ok(SweepRequest {
        seeds: document.seeds.start..document.seeds.end,
        jobs,
        profile,
        mutant,
        show: document.show,
        shard: document.shard,
        allow_empty: false,
        format,
        quiet,
        previous: Some((path.to_path_buf(), document)),
    })
}

fn sweep_command(request: &SweepRequest, failures: &Path) -> u8 {
    let SweepRequest { ref seeds, jobs, profile, mutant, show, shard, allow_empty, format, quiet, ref previous } =
        *request;
    let covered = shard.map_or(seeds.clone(), |shard| shard.range(seeds));
    if covered.is_empty() && !allow_empty {
        err!(
            "error: shard {} of {}..{} has no seeds ({} shards of {} seeds); expected at most {} shards, or \
             --allow-empty-shard",
            shard.map_or(String::new(), |shard| shard.to_string()),
            seeds.start,
            seeds.end,
            shard.map_or(1, |shard| shard.count),
            seeds.end - seeds.start,
            seeds.end - seeds.start
        );
        return 2;
    }
    let ranges: Vec<std::ops::Range<u64>> = match previous {
        Some((_, document)) => document.remaining.iter().map(|r| r.start..r.end).collect(),
        None if covered.is_empty() => Vec::new(),
        None => vec![covered.clone()],
    };
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
        Some((path, document)) => match document.summary.clone().merge(summary) {
            Some(summary) => summary,
            None => {
                err!(
                    "{}: error: its totals and this sweep's pass 2^64 - 1; expected a summary of fewer steps",
                    path.display()
                );
                return 2;
            }
        },
        None => summary,
    };
    let kept = keeper.into_kept();
    let unwritten = kept.iter().filter(|one| one.written.is_err()).count() as u64;
    let first_error = kept.iter().find_map(|one| one.written.as_ref().err().cloned()).unwrap_or_default();
    let mut records: Vec<FailureRecord> = kept
        .iter()
        .map(|one| {
            let written = one.written.as_ref().ok().map(|path| path.display().to_string());
            FailureRecord::new(&one.failure, written, failures)
        })
        .chain(previous.iter().flat_map(|(_, document)| document.failures.iter().cloned()))
        .collect();
    records.sort_by_key(|record| record.seed);
    records.truncate(usize::try_from(show).unwrap_or(usize::MAX).min(failures::FILES_MAX));
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
    let document = Document {
        schema_version: 1,
        command: "sweep".to_string(),
        seeds: SeedRange { start: seeds.start, end: seeds.end },
        shard,
        covered: SeedRange { start: covered.start, end: covered.end },
        remaining: remaining.iter().map(|r| SeedRange { start: r.start, end: r.end }).collect(),
        profile: profile.map(|p| p.to_string()),
        mutant: mutant.name().to_string(),
        violations: Document::violations_of(&summary),
        summary,
        failures: records,
        show,
        jobs: jobs as u64,
        seconds: elapsed.as_secs_f64() + previous.as_ref().map_or(0.0, |(_, document)| document.seconds),
    };
    if !remaining.is_empty() {
        code = sim::interrupt::EXIT_INTERRUPTED;
        // The partial summary is written before it is reported, so that the sweep can go on from it. Its name holds
        // the number of runs so far, so that it never replaces the summary it was resumed from.
        let part = shard.map_or(String::new(), |shard| format!("-shard-{}-of-{}", shard.index, shard.count));
        let path = failures.join(format!(
            "sweep-{}-{}{part}-interrupted-after-{}.json",
            seeds.start, seeds.end, document.summary.runs
        ));
        let text = serde_json::to_string_pretty(&document).expect("a summary always serialises");
        let input = previous.as_ref().map(|(input, _)| input.as_path());
        let written = match input {
            // Resumed and stopped before a chunk ran: the input is still the whole truth.
            Some(input) if sim::output::same_file(input, &path) => Ok(()),
            _ => std::fs::create_dir_all(failures).and_then(|()| sim::output::write_file(&path, &format!("{text}\n"))),
        };
        let left: u64 = remaining.iter().map(|r| r.end - r.start).sum();
        match written {
            Ok(()) => err!(
                "interrupted: {} of the range not run; partial summary in {}\n  go on: {COMMAND} sweep --resume {}",
                plural(left, "seed", "seeds"),
                path.display(),
                path.display()
            ),
            Err(e) => {
                err!("interrupted: {left} seeds not run; error: cannot write {}: {e}", path.display());
                code = 2;
            }
        }
    }
    if format == Format::Json {
        out!("{}", serde_json::to_string_pretty(&document).expect("a summary always serialises"));
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

/// The most bytes of one summary file `merge` reads (a summary shows at most a few thousand failures).
const SUMMARY_BYTES_MAX: u64 = 64 << 20;

fn merge_command(files: &[PathBuf], format: Format) -> u8 {
    let mut documents = Vec::new();
    for path in files {
        match read_document(path) {
            Ok(document) => documents.push((input_name(path), document)),
            Err(e) => {
                err!("{e}");
                return 2;
            }
        }
    }
    let merged = match sim::shard::merge(&documents) {
        Ok(merged) => merged,
        Err(e) => {
            err!("error: {e}");
            return 2;
        }
    };
    let code = u8::from(merged.summary.failing_runs() > 0);
    if format == Format::Json {
        out!("{}", serde_json::to_string_pretty(&merged).expect("a summary always serialises"));
        return code;
    }
    out!(
        "merge of {} seeds={}..{} profile={} mutant={}",
        plural(documents.len() as u64, "shard", "shards"),
        merged.seeds.start,
        merged.seeds.end,
        merged.profile.as_deref().map_or("drawn per seed".to_string(), |p| format!("'{p}'")),
        merged.mutant
    );
    for failure in &merged.failures {
        err!(
            "FAIL seed {} step {}: {} ({})\n  reproduce: {}\n  render: {}",
            failure.seed,
            failure.step,
            failure.invariant,
            failure.what,
            failure.reproduce,
            failure.render
        );
    }
    let elapsed = std::time::Duration::from_secs_f64(merged.seconds.max(0.0));
    let jobs = usize::try_from(merged.jobs).unwrap_or(usize::MAX);
    let seeds = merged.seeds.end - merged.seeds.start;
    write(Stream::Stdout, format_args!("{}", Report { summary: &merged.summary, seeds, elapsed, jobs }));
    code
}

/// The process's peak resident set size (Linux's VmHWM), for the sweep's report.
fn peak_resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Reads and parses a seed file, or reports why it cannot be (exit 2).
fn read_seed_file(path: &Path) -> Result<SeedFile, u8> {
    let name = input_name(path);
    let source = text::read(path).map_err(|e| {
        err!("{name}: error: {e}; expected a seed file");
        2
    })?;
    SeedFile::parse(&source, &name).map_err(|e| {
        err!("{e}");
        2
    })
}

fn replay(files: &[PathBuf], quiet: bool, format: Format) -> u8 {
    let mut code = 0;
    let mut results = Vec::new();
    let bar = sim::output::progress(files.len() as u64, "files", quiet || files.len() < 2);
    for path in files {
        bar.inc(1);
        let name = input_name(path);
        let (status, what) = match read_seed_file(path) {
            Err(failed) => {
                code = code.max(failed);
                ("malformed", "the file cannot be read as a seed file (the message is on standard error)".to_string())
            }
            Ok(seed_file) => match seed_file.replay() {
                Ok(what) => {
                    if format == Format::Text {
                        out!("{name}: ok: {what}");
                    }
                    ("ok", what)
                }
                Err(what) => {
                    err!("{name}: FAILED: {what}");
                    err!("  rerun: {COMMAND} replay {name}");
                    code = code.max(1);
                    ("failed", what)
                }
            },
        };
        results.push(serde_json::json!({ "file": name, "status": status, "what": what }));
    }
    bar.finish_and_clear();
    if format == Format::Json {
        let document = serde_json::json!({
            "schema_version": 1,
            "command": "replay",
            "files": results,
            "exit_code": code,
        });
        out!("{}", serde_json::to_string_pretty(&document).expect("a result always serialises"));
    }
    code
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
        results.push(serde_json::json!({
            "file": file,
            "status": status,
            "exit_code": code,
            "steps": counts.map(|(steps, _)| steps),
            "expectations": counts.map(|(_, expectations)| expectations),
            "message": message,
        }));
        exit_code = exit_code.max(code);
    }
    if format == Format::Json {
        let document = serde_json::json!({
            "schema_version": 1,
            "command": "script",
            "mutant": mutant.name(),
            "files": results,
            "exit_code": exit_code,
        });
        out!("{}", serde_json::to_string_pretty(&document).expect("a result always serialises"));
    }
    exit_code
}

fn shrink_command(path: &Path, out: Option<PathBuf>, format: Format) -> u8 {
    let name = input_name(path);
    let out = match out {
        Some(out) => out,
        None if path == Path::new("-") => {
            err!("error: reading the seed file from standard input; expected --out FILE for the shrunk script");
            return 2;
        }
        None => {
            let stem = path.file_stem().map_or("shrunk".into(), |stem| stem.to_string_lossy());
            failures::default_dir().join(format!("{stem}.shrunk.scn"))
        }
    };
    if let Err(e) = sim::output::refuse_input("--out", &out, &[path]) {
        err!("{e}");
        return 2;
    }
    let to_stdout = out == Path::new("-");
    if to_stdout && format == Format::Json {
        err!("error: --out - with --format json: standard output carries the JSON document; expected a file");
        return 2;
    }
    let seed_file = match read_seed_file(path) {
        Ok(seed_file) => seed_file,
        Err(code) => return code,
    };
    let Expected::Violation(invariant) = seed_file.expect else {
        err!("{name}: error: the seed file expects a clean run; expected `expect violation NAME` to shrink");
        return 2;
    };
    let before = sim::shrink::applied_steps(&seed_file.script).len() as u64;
    let document = |shrunk: Option<&sim::script::Script>, code: u8| {
        serde_json::json!({
            "schema_version": 1,
            "command": "shrink",
            "input": name,
            "seed": seed_file.seed,
            "mutant": seed_file.script.mutant.name(),
            "invariant": invariant.name(),
            "requirements": invariant.requirements(),
            "steps_before": before,
            "steps_after": shrunk.map(|s| s.steps()),
            "out": shrunk.map(|_| out.display().to_string()),
            "script": shrunk.map(|s| s.to_string()),
            "replay": shrunk.map(|s| format!("{COMMAND} script --mutant {} {}", s.mutant, out.display())),
            "render": shrunk.map(|s| format!(
                "{COMMAND} render --mutant {} {} -o {}",
                s.mutant,
                out.display(),
                out.with_extension("html").display()
            )),
            "exit_code": code,
        })
    };
    let Some(shrunk) = sim::shrink::shrink(&seed_file.script, invariant) else {
        err!("{name}: its steps do not break {invariant}: nothing to shrink");
        if format == Format::Json {
            out!("{}", serde_json::to_string_pretty(&document(None, 1)).expect("a result always serialises"));
        }
        return 1;
    };
    let text = format!(
        "# Shrunk by `logoff-sim shrink` from {name} (seed {}).\n# breaks: {invariant} ({})\n\
         # replay: {COMMAND} script --mutant {} {}\n# render: {COMMAND} render --mutant {} {} -o {}\n{shrunk}",
        seed_file.seed,
        invariant.requirements(),
        shrunk.mutant,
        out.display(),
        shrunk.mutant,
        out.display(),
        out.with_extension("html").display()
    );
    if let Err(e) = sim::output::write_file(&out, &text) {
        err!("error: cannot write {}: {e}", out.display());
        return 2;
    }
    if format == Format::Json {
        out!("{}", serde_json::to_string_pretty(&document(Some(&shrunk), 0)).expect("a result always serialises"));
    } else {
        // With `--out -` the script is standard output, and this line goes to standard error.
        let stream = if to_stdout { Stream::Stderr } else { Stream::Stdout };
        write(
            stream,
            format_args!(
                "{} -> {}, breaking {invariant}: {}\n",
                plural(before, "step", "steps"),
                plural(shrunk.steps() as u64, "step", "steps"),
                if to_stdout { "standard output".to_string() } else { out.display().to_string() }
            ),
        );
    }
    0
}

fn mutants_command(seeds: u64, out: &Path, format: Format, quiet: bool) -> u8 {
    if let Err(e) = std::fs::create_dir_all(out) {
        err!("error: cannot create {}: {e}", out.display());
        return 2;
    }
    let rows: Vec<(Mutant, Option<sim::mutants::Caught>)> = {
        let bar = sim::output::progress(Mutant::ALL.len() as u64, "mutants", quiet);
        let rows = Mutant::ALL.iter().map(|mutant| (*mutant, bar.inc_and(hunt(*mutant, 0..seeds)))).collect();
        bar.finish_and_clear();
        rows
    };
    let mut code = 0;
    let mut entries = Vec::new();
    for (mutant, caught) in &rows {
        let path = out.join(format!("{mutant}.scn"));
        let page = path.with_extension("html");
        match caught {
            Some(caught) => {
                if let Err(e) = sim::output::write_file(&path, &caught.scenario_text(&path.display().to_string())) {
                    err!("error: cannot write {}: {e}", path.display());
                    code = 2;
                }
                if caught.shrunk_steps() > SHRUNK_STEPS_MAX {
                    code = code.max(1);
                }
            }
            None => code = code.max(1),
        }
        let explored = caught.as_ref().and_then(|c| c.explored.as_ref());
        entries.push(serde_json::json!({
            "mutant": mutant.name(),
            "implementer": mutant.implementer().map(|who| who.name()),
            "description": mutant.description(),
            "caught": caught.is_some(),
            "invariant": caught.as_ref().map(|c| c.invariant.name()),
            "requirements": caught.as_ref().map(|c| c.invariant.requirements()),
            "seed": caught.as_ref().map(|c| c.seed),
            "seeds_needed": caught.as_ref().map(|c| c.seeds_needed),
            "steps_before": caught.as_ref().map(|c| c.steps_before),
            "shrunk_steps": caught.as_ref().map(|c| c.shrunk_steps()),
            "explored_steps": explored.map(|(script, _, _)| script.steps()),
            "explored_bound": explored.map(|(_, _, bound)| bound.short()),
            "explored_invariant": explored.map(|(_, violation, _)| violation.invariant.name()),
            "explore_command": caught.as_ref().and_then(|c| c.explore_command()),
            "script": caught.as_ref().map(|_| path.display().to_string()),
            "replay": caught.as_ref().map(|_| format!("{COMMAND} script --mutant {mutant} {}", path.display())),
            "render": caught.as_ref().map(|_| format!(
                "{COMMAND} render --mutant {mutant} {} -o {}",
                path.display(),
                page.display()
            )),
        }));
    }
    if format == Format::Text {
        write(Stream::Stdout, format_args!("{}", Table(&rows)));
    }
    let reference = sweep(0..seeds, 2, None, Mutant::None, &|failure| {
        err!("the reference model broke {} at seed {}", failure.violation, failure.config.seed);
    });
    let reference_failing = match reference {
        Ok(summary) => {
            if format == Format::Text {
                out!(
                    "reference model on seeds 0..{seeds}: {}",
                    plural(summary.failing_runs(), "failing run", "failing runs")
                );
            }
            if summary.failing_runs() > 0 {
                code = code.max(1);
            }
            Some(summary.failing_runs())
        }
        Err(e) => {
            err!("error: {e}");
            code = 2;
            None
        }
    };
    let liveness_only =
        rows.iter().filter(|(_, caught)| caught.as_ref().is_some_and(|c| c.invariant == Invariant::Liveness)).count();
    if format == Format::Json {
        let document = serde_json::json!({
            "schema_version": 1,
            "command": "mutants",
            "seeds": seeds,
            "out": out.display().to_string(),
            "shrunk_steps_max": SHRUNK_STEPS_MAX,
            "mutants": entries,
            "reference": { "seeds": seeds, "failing_runs": reference_failing },
            "caught_by_liveness": liveness_only,
            "exit_code": code,
        });
        out!("{}", serde_json::to_string_pretty(&document).expect("a result always serialises"));
    } else {
        out!("mutants caught by liveness: {liveness_only}; shrunk scripts written to {}", out.display());
        out!("draw one: {COMMAND} render --mutant NAME {}/NAME.scn -o {}/NAME.html", out.display(), out.display());
    }
    code
}

/// `logoff-sim render`: reads the run (a seed's, a script's or a seed file's), draws it, writes the picture.
fn render_command(
    file: Option<&Path>,
    seed: Option<u64>,
    profile: Option<Profile>,
    mutant: Option<Mutant>,
    to: Option<Picture>,
    out: Option<&Path>,
    cmd: Option<(String, std::time::Duration, String)>,
) -> u8 {
    let extension = out.and_then(|path| path.extension()).and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    let picture = match (to, out, extension.as_deref().and_then(Picture::from_extension)) {
        (Some(picture), _, _) | (None, _, Some(picture)) => picture,
        (None, None, None) => Picture::Mermaid,
        (None, Some(path), None) if path == Path::new("-") => Picture::Mermaid,
        (None, Some(path), None) => {
            err!(
                "error: cannot tell what to draw from the name {}; expected --to mermaid|svg|html|log, or an \
                 output ending in .mmd, .md, .svg, .html or .log",
                path.display()
            );
            return 2;
        }
    };
    if profile.is_some() && seed.is_none() {
        err!("error: --profile is for --seed; a script or seed file names its own profile");
        return 2;
    }
    if let (Some(out), Some(file)) = (out, file) {
        if let Err(e) = sim::output::refuse_input("-o", out, &[file]) {
            err!("{e}");
            return 2;
        }
    }
    let (script, title) = match (seed, file) {
        (Some(seed), _) => {
            let mut config = Config::from_seed(seed, profile);
            config.mutant = mutant.unwrap_or(Mutant::None);
            let mut trace = Trace::default();
            Simulator::new().run(&config, &mut trace);
            (script_of(&config, &trace, &format!("seed {seed}")), format!("seed {seed}"))
        }
        (None, Some(path)) => match read_run(path, mutant) {
            Ok(read) => read,
            Err(code) => return code,
        },
        (None, None) => unreachable!("clap requires a file or --seed"),
    };
    let mut program_failed = None;
    let picture = match cmd {
        None => sim::render::render(&script, &title, picture),
        Some((cmd, timeout, role)) => {
            let mut program = match start_program(&cmd, timeout, &role) {
                Ok(program) => program,
                Err(code) => return code,
            };
            let played = match role.as_str() {
                "store" => "the store provider",
                "spooler" => "the spooler",
                _ => "every transport",
            };
            let title = format!("{title} with `{cmd}` as {played}");
            let mut played = program.played();
            let mut provider = played.provider();
            let picture = sim::render::render_with(&script, &title, picture, &mut provider);
            if sim::interrupt::requested() {
                err!("interrupted: nothing drawn");
                return sim::interrupt::EXIT_INTERRUPTED;
            }
            program_failed = provider.failure();
            picture
        }
    };
    match out {
        None => {
            write(Stream::Stdout, format_args!("{picture}"));
            program_failed.as_ref().map_or(0, |why| {
                err!("error: the program under test failed, so the run has no verdict (drawn up to that step): {why}");
                1
            })
        }
        Some(path) => match sim::output::write_file(path, &picture) {
            Ok(()) => {
                if path != Path::new("-") {
                    err!("wrote {}", path.display());
                }
                program_failed.as_ref().map_or(0, |why| {
                    err!("error: the program under test failed, so the run has no verdict (drawn up to that step): {why}");
                    1
                })
            }
            Err(e) => {
                err!("error: cannot write {}: {e}", path.display());
                2
            }
        },
    }
}

/// The run a file holds, and its title: a seed file (`.seed`, which names its own mutant) or a scenario script
/// (run with `mutant`); or exit code 2 with the reason on standard error.
fn read_run(path: &Path, mutant: Option<Mutant>) -> Result<(sim::script::Script, String), u8> {
    let name = input_name(path);
    if path.extension().is_some_and(|e| e == "seed") {
        if mutant.is_some() {
            err!("{name}: error: --mutant is for --seed or a script; a seed file names its own mutant");
            return Err(2);
        }
        let seed_file = read_seed_file(path)?;
        let title = format!("{name} (seed {})", seed_file.seed);
        return Ok((seed_file.script, title));
    }
    let source = text::read(path).map_err(|e| {
        err!("{name}: error: {e}; expected a scenario script or a seed file");
        2
    })?;
    let mut script = sim::script::parse(&source, &name).map_err(|e| {
        err!("{e}");
        2
    })?;
    script.mutant = mutant.unwrap_or(Mutant::None);
    Ok((script, name))
}

/// `text` as one shell word in single quotes (a `'` inside written `'\''`), so that a printed command pastes.
fn shell_quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// What `logoff-sim conform` was asked to do.
struct ConformRequest {
    role: String,
    cmd: String,
    seeds: std::ops::Range<u64>,
    fixed: sim::conform::FixedKnobs,
    scripts: Vec<PathBuf>,
    timeout: std::time::Duration,
    failures: PathBuf,
    show: usize,
    quiet: bool,
}

impl ConformRequest {
    /// The command line that reruns part of this request, for messages.
    fn command(&self) -> String {
        let timeout = match self.timeout.as_millis() {
            1000 => String::new(),
            ms => format!(" --timeout-ms {ms}"),
        };
        format!("{COMMAND} conform --role {} --cmd {}{timeout}", self.role, shell_quoted(&self.cmd))
    }

    /// The command that replays a file `conform` wrote against the program.
    fn replay(&self, path: &Path) -> String {
        format!("{} --replay {}", self.command(), path.display())
    }

    /// The program, started and greeted: one that cannot start or does not answer `hello` is bad input (exit 2).
    fn program(&self) -> Result<sim::conform::Program, u8> {
        start_program(&self.cmd, self.timeout, &self.role)
    }
}

/// The program of `--cmd` in `role`, started and greeted: one that cannot start or does not answer `hello` is bad
/// input (exit 2, the reason on standard error).
/// SIGINT or SIGTERM ends every wait for the program at once (the command then ends with exit 130, the program
/// and everything it started killed).
fn start_program(cmd: &str, timeout: std::time::Duration, role: &str) -> Result<sim::conform::Program, u8> {
    let mut program = sim::conform::Program::new(cmd, timeout, role).map_err(|e| {
        err!("error: --cmd: {e}");
        2u8
    })?;
    // The first signal ends every wait for the program (the command stops with what it has); a second one ends
    // the process at once, after killing the program and everything it started.
    sim::interrupt::graceful();
    sim::interrupt::on_exit(sim::conform::kill_every_program);
    program.stop_when(sim::interrupt::flag());
    program.handshake().map_err(|e| {
        if sim::interrupt::requested() {
            err!("interrupted: {e}");
            return sim::interrupt::EXIT_INTERRUPTED;
        }
        err!("error: --cmd {}: {e}", shell_quoted(cmd));
        2u8
    })?;
    Ok(program)
}

/// The `.scn` files a `--scripts` path names: the file itself, or a directory's `.scn` files in name order.
fn script_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let entries =
                std::fs::read_dir(path).map_err(|e| format!("{}: error: cannot list it: {e}", path.display()))?;
            let mut found: Vec<PathBuf> = entries
                .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "scn"))
                .collect();
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

/// `logoff-sim conform`: scripts, then seeds, against the program; failures written, shrunk and printed. It stops
/// at the first answer that did not come in time (the program is broken: every further run would pay the time
/// limit again), and at SIGINT or SIGTERM (exit 130, with a summary of what ran).
fn conform_command(request: &ConformRequest) -> u8 {
    let files = match script_files(&request.scripts) {
        Ok(files) => files,
        Err(e) => {
            err!("{e}");
            return 2;
        }
    };
    let mut program = match request.program() {
        Ok(program) => program,
        Err(code) => return code,
    };
    let interrupted = || sim::interrupt::requested();
    let started = Instant::now();
    let mut code = 0;
    // Why the sweep stopped before its end, if it did.
    let mut halted: Option<String> = None;
    let (mut scripts_passed, mut scripts_run, mut scripts_skipped) = (0, 0, 0);
    for (index, path) in files.iter().enumerate() {
        let (script, _) = match read_run(path, None) {
            Ok(read) => read,
            Err(failed) => return failed,
        };
        if !request.fixed.admits(script.profile) {
            scripts_skipped += 1;
            continue;
        }
        let result = sim::conform::run_script(&mut program.played(), &script);
        if interrupted() {
            halted = Some(format!("interrupted: scripts not run: {}", files.len() - index));
            break;
        }
        scripts_run += 1;
        match result {
            Ok(_) => scripts_passed += 1,
            Err(error) => {
                err!("FAIL {error}");
                err!("  rerun: {} --replay {}", request.command(), path.display());
                code = 1;
            }
        }
        if program.timed_out() {
            let left = files.len() - index - 1;
            halted = Some(format!(
                "stopped at {}: the program did not answer in time; {} and the seeds not run",
                path.display(),
                plural(left as u64, "script", "scripts")
            ));
            break;
        }
    }
    if !files.is_empty() {
        let skipped = match scripts_skipped {
            0 => String::new(),
            n => format!(" ({} written for other values of the fixed knobs skipped)", plural(n, "script", "scripts")),
        };
        out!("scripts: {scripts_passed} of {scripts_run} passed{skipped}");
    }
    let seeds = request.seeds.clone();
    let bar = sim::output::progress(seeds.end - seeds.start, "seeds", request.quiet);
    let mut runs = 0u64;
    let mut steps = 0u64;
    let mut failing = Vec::new();
    for seed in seeds.clone().take_while(|_| halted.is_none()) {
        let run = sim::conform::run_seed(&mut program.played(), seed, &request.fixed);
        if interrupted() {
            // The run the signal cut short is not counted.
            halted = Some(format!("interrupted: seeds {seed}..{} not run", seeds.end));
            break;
        }
        runs += 1;
        steps += run.trace.steps.len() as u64;
        bar.inc(1);
        if let Some(verdict) = &run.verdict {
            // Written before anything is reported, so that nothing found is lost.
            let path =
                request.failures.join(format!("conform-seed-{seed}-profile-{}.seed", run.config.profile.index()));
            let found = format!("{}..{}", request.seeds.start, request.seeds.end);
            let why = format!("found by {} --seeds {found} at seed {seed}: {verdict}", request.command());
            let why: String = why.replace(['\n', '\r'], " ").trim().to_string();
            let seed_file =
                SeedFile { seed, expect: Expected::Clean, why, script: run.script(&path.display().to_string()) };
            // As a sweep does, the files of the smallest 1,000 failing seeds are kept (they come in seed order).
            let written = if failing.len() < 1000 {
                save_conform_seed(&seed_file, &path, &request.replay(&path))
            } else {
                Err("not written: past 1,000".into())
            };
            failing.push((run, path, written));
        }
        if program.timed_out() {
            halted = Some(format!(
                "stopped at seed {seed}: the program did not answer in time; {} not run",
                plural(seeds.end - seed - 1, "seed", "seeds")
            ));
            break;
        }
    }
    bar.finish_and_clear();
    if !seeds.is_empty() {
        let seconds = started.elapsed().as_secs_f64().max(1e-9);
        out!(
            "seeds {}..{}: {} runs, {} steps, {} failing; {} messages to the program; {:.0} steps/s, {:.0} messages/s",
            seeds.start,
            seeds.end,
            runs,
            steps,
            failing.len(),
            program.exchanges,
            steps as f64 / seconds,
            program.exchanges as f64 / seconds
        );
    }
    if let Some(why) = &halted {
        err!("{why}");
        code = 1;
    }
    for (run, path, written) in failing.iter().take(request.show) {
        let verdict = run.verdict.as_ref().expect("a failing run has a verdict");
        err!("FAIL seed {} profile '{}': {verdict}", run.config.seed, run.config.profile);
        match written {
            Ok(()) => {
                err!("  seed file: {} (replay: {})", path.display(), request.replay(path));
                let page = path.with_extension("html");
                let timeout = match request.timeout.as_millis() {
                    1000 => String::new(),
                    ms => format!(" --timeout-ms {ms}"),
                };
                err!(
                    "  render: {COMMAND} render --cmd {}{timeout} {} -o {}",
                    shell_quoted(&request.cmd),
                    path.display(),
                    page.display()
                );
            }
            Err(e) => err!("  error: {e}"),
        }
        if interrupted() {
            // Shown, not checked again nor shrunk: the program is gone.
            continue;
        }
        // Run again in a fresh process, so that what an earlier run left in the program does not count.
        let _ = program.handshake();
        if !sim::conform::deterministic(&mut program.played(), run) && !interrupted() {
            err!("  NOT DETERMINISTIC: the program did something else when the seed ran again (same lines in)");
        }
        let shrunk_path = path.with_extension("shrunk.scn");
        let shrunk = sim::conform::shrink(&mut program.played(), run, &shrunk_path.display().to_string());
        if let Some(shrunk) = shrunk.filter(|_| !interrupted()) {
            let replay = request.replay(&shrunk_path);
            let text = format!(
                "# Shrunk by `logoff-sim conform` against `{}` from seed {}.\n# breaks: {verdict}\n\
                 # It fails (exit 1) while the program does this, and passes once that is fixed; replay: {replay}\n\
                 {shrunk}",
                request.cmd, run.config.seed,
            );
            match sim::output::write_file(&shrunk_path, &text) {
                Ok(()) => {
                    let steps = plural(shrunk.steps() as u64, "step", "steps");
                    err!("  shrunk to {steps}: {} (replay: {replay})", shrunk_path.display());
                    for line in shrunk.to_string().lines() {
                        err!("    {line}");
                    }
                }
                Err(e) => err!("  error: cannot write {}: {e}", shrunk_path.display()),
            }
        }
    }
    if !failing.is_empty() {
        code = 1;
    }
    if interrupted() {
        return sim::interrupt::EXIT_INTERRUPTED;
    }
    if let Err(why) = program.close() {
        err!("FAIL {why}");
        code = 1;
    }
    code
}

/// Writes a seed file that `conform` found: `expect clean` (the run the program should have made, so that
/// replaying it fails while the program still fails it), what was found in `why`, and a header naming the command
/// that replays it against the program.
fn save_conform_seed(seed_file: &SeedFile, path: &Path, replay: &str) -> Result<(), String> {
    let name = path.display().to_string();
    SeedFile::check_why(&seed_file.why).map_err(|e| format!("cannot save {name}: {e}"))?;
    let text = seed_file.to_string();
    let body = text.split_once('\n').map_or("", |(_, body)| body);
    let text = format!(
        "# logoff-sim conform seed file: it fails (exit 1) while the program does what `why` says, and passes once \
         that is fixed; replay with `{replay}`\n{body}"
    );
    SeedFile::parse(text.as_bytes(), &name).map_err(|e| format!("cannot save {name}: it would not read back: {e}"))?;
    if let Some(directory) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(directory).map_err(|e| format!("cannot create {}: {e}", directory.display()))?;
    }
    sim::output::write_file(path, &text).map_err(|e| format!("cannot write {name}: {e}"))
}

/// `logoff-sim conform --replay FILE`: one seed file or script against the program.
fn conform_replay(request: &ConformRequest, path: &Path) -> u8 {
    let mut program = match request.program() {
        Ok(program) => program,
        Err(code) => return code,
    };
    let name = input_name(path);
    let result = if path.extension().is_some_and(|e| e == "seed") {
        let seed_file = match read_seed_file(path) {
            Ok(seed_file) => seed_file,
            Err(code) => return code,
        };
        let mut played = program.played();
        let mut provider = played.provider();
        seed_file.replay_with(&mut provider).map(|what| format!("{name}: ok: {what}")).map_err(|what| {
            err!("{name}: FAILED: {what}");
            1
        })
    } else {
        let (script, _) = match read_run(path, None) {
            Ok(read) => read,
            Err(code) => return code,
        };
        sim::conform::run_script(&mut program.played(), &script)
            .map(|outcome| format!("{name}: ok ({})", plural(outcome.steps as u64, "step", "steps")))
            .map_err(|error| {
                err!("{error}");
                error.exit_code()
            })
    };
    if sim::interrupt::requested() {
        err!("interrupted");
        return sim::interrupt::EXIT_INTERRUPTED;
    }
    let closed = program.close();
    match (result, closed) {
        (Err(code), _) => code,
        (Ok(_), Err(why)) => {
            err!("{name}: FAILED: {why}");
            1
        }
        (Ok(what), Ok(())) => {
            out!("{what}");
            0
        }
    }
}

/// `logoff-sim check-trace LOG`.
fn check_trace_command(path: &Path, list_all: bool) -> u8 {
    use sim::check_trace::{KnobSummary, Verdict};
    let name = input_name(path);
    let source = match text::read(path) {
        Ok(source) => source,
        Err(e) => {
            err!("{name}: error: {e}; expected a log");
            return 2;
        }
    };
    let log = match sim::check_trace::read(&source, &name) {
        Ok(log) => log,
        Err(e) => {
            err!("{e}");
            return 2;
        }
    };
    // Under the profile of the log's `profile` line, or under some of all `Profile::COUNT`.
    let among = |count: usize| match log.profile {
        Some((line, _)) => format!("the profile of line {line}"),
        None => format!("{count} of {} profiles", Profile::COUNT),
    };
    let none = match log.profile {
        Some((line, _)) => format!("the profile of line {line} does not explain"),
        None => "no profile explains".to_string(),
    };
    let blocked_text = |blocked: &sim::check_trace::Blocked| blocked.calls.join(", ");
    match sim::check_trace::check(&log) {
        Verdict::Allowed(profiles, blocked) => {
            out!(
                "{name}: allowed ({}) under {}: {}",
                plural(log.steps.len() as u64, "step", "steps"),
                among(profiles.len()),
                KnobSummary(&profiles)
            );
            if let Some(blocked) = blocked {
                out!(
                    "{name}: still in progress at the end of the log: {}; the model lets {} return if the run goes \
                     on with no new work (transports completing what they started, the spooler sending and \
                     receiving) under {} of these {}",
                    blocked_text(&blocked),
                    if blocked.calls.len() == 1 { "it" } else { "them" },
                    blocked.returning.len(),
                    plural(profiles.len() as u64, "profile", "profiles")
                );
            }
            if list_all {
                for profile in &profiles {
                    out!("  {profile}");
                }
            }
            0
        }
        Verdict::NeverReturns(profiles, blocked) => {
            err!(
                "{name}: every step is explained (under {}), but at the end of the log {} still in progress and \
                 the model lets {} return under none of them (R21): {}",
                among(profiles.len()),
                if blocked.calls.len() == 1 {
                    format!("{} is", blocked_text(&blocked))
                } else {
                    format!("{} are", blocked_text(&blocked))
                },
                if blocked.calls.len() == 1 { "it" } else { "them" },
                blocked.stuck.as_deref().unwrap_or("")
            );
            1
        }
        Verdict::Unexplained(at) if log.profile.is_some() => {
            err!(
                "{name}:{}: {none} this line: `{}` caused `{}`; under it the model says `{}`",
                at.line,
                at.step,
                at.logged,
                at.expected
            );
            1
        }
        Verdict::Unexplained(at) => {
            err!(
                "{name}:{}: {none} this line: `{}` caused `{}`; {} every line before it, and under the first of \
                 them the model says `{}`",
                at.line,
                at.step,
                at.logged,
                if at.profiles_before == 1 {
                    "1 profile explains".to_string()
                } else {
                    format!("{} profiles explain", at.profiles_before)
                },
                at.expected
            );
            1
        }
    }
}

fn list(what: Listing) -> u8 {
    match what {
        Listing::Mutants => {
            out!("{:<32} {:<15} what", "mutant", "implementer");
            out!("{:<32} {:<15} {}", "none", "-", Mutant::None.description());
            for mutant in Mutant::ALL {
                let implementer = mutant.implementer().map_or("-", |who| who.name());
                out!("{:<32} {:<15} {}", mutant.name(), implementer, mutant.description());
            }
        }
        Listing::Knobs => {
            let (first, second) = (Profile::from_index(0).values(), Profile::from_index(Profile::COUNT - 1).values());
            out!("{:<4} {:<24} values (default first)", "", "knob");
            for (i, knob) in Profile::KNOBS.iter().enumerate() {
                out!("A{:<3} {knob:<24} {} {}", i + 1, first[i], second[i]);
            }
        }
        Listing::Invariants => {
            out!("{:<32} requirements", "invariant");
            for invariant in Invariant::ALL {
                out!("{:<32} {}", invariant.name(), invariant.requirements());
            }
        }
    }
    0
}

/// Writes each counterexample of a report as NAME.scn and NAME.seed in `out`; returns those written with their
/// script's path, and whether every write succeeded.
fn write_counterexamples<'a>(
    report: &'a sim::explore::Report,
    out: &Path,
) -> (Vec<(&'a sim::explore::Counterexample, PathBuf)>, bool) {
    let options = &report.options;
    let mut written = Vec::new();
    let mut all = true;
    for counterexample in report.first.iter().flatten() {
        let invariant = counterexample.violation.invariant;
        let name = format!("explore-{}-profile-{}-{}", options.mutant, options.profile.index(), invariant.name());
        let scn = out.join(format!("{name}.scn"));
        let script = report.script(counterexample, &scn.display().to_string());
        let header = format!(
            "# Shortest counterexample found by `logoff-sim explore` ({}, mutant {}).\n# breaks: {} ({})\n\
             # replay: {COMMAND} script --mutant {} {}\n",
            options.bound,
            options.mutant,
            invariant,
            invariant.requirements(),
            options.mutant,
            scn.display()
        );
        let seed_file = SeedFile {
            seed: 0,
            expect: Expected::Violation(invariant),
            why: format!("found by logoff-sim explore at {}: {}", options.bound, counterexample.violation),
            script: script.clone(),
        };
        let result = std::fs::create_dir_all(out)
            .map_err(|e| format!("cannot create {}: {e}", out.display()))
            .and_then(|()| {
                sim::output::write_file(&scn, &format!("{header}{script}"))
                    .map_err(|e| format!("cannot write {}: {e}", scn.display()))
            })
            .and_then(|()| seed_file.save(&out.join(format!("{name}.seed"))));
        match result {
            Ok(()) => written.push((counterexample, scn)),
            Err(e) => {
                err!("error: {e}");
                all = false;
            }
        }
    }
    (written, all)
}

fn explore_command(options: &ExploreOptions, out: &Path, json: bool) -> u8 {
    let started = Instant::now();
    let report = explore(options);
    let seconds = started.elapsed().as_secs_f64().max(1e-9);
    // Counterexamples are written before they are reported.
    let (written, all_written) = write_counterexamples(&report, out);
    let mut code = if all_written { 0 } else { 2 };
    if report.failing() {
        code = code.max(1);
    }
    if json {
        let violations: serde_json::Map<String, serde_json::Value> = Invariant::ALL
            .iter()
            .map(|invariant| (invariant.name().to_string(), report.violations[invariant.index()].into()))
            .collect();
        let counterexamples: Vec<serde_json::Value> = written
            .iter()
            .map(|(counterexample, scn)| {
                serde_json::json!({
                    "invariant": counterexample.violation.invariant.name(),
                    "what": counterexample.violation.detail().to_string(),
                    "steps": counterexample.steps.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
                    "script": scn.display().to_string(),
                })
            })
            .collect();
        let document = serde_json::json!({
            "schema_version": 1,
            "command": "explore",
            "bound": options.bound.to_string(),
            "profile": options.profile.to_string(),
            "mutant": options.mutant.name(),
            "symmetry": options.symmetry,
            "liveness": options.liveness,
            "unique_states": report.unique,
            "transitions": report.transitions,
            "depth": report.depth,
            "blocked_states_checked": report.blocked,
            "exhaustive": report.complete,
            "violations": violations,
            "counterexamples": counterexamples,
            "seconds": seconds,
            "bytes_per_state": report.bytes_per_state,
        });
        out!("{}", serde_json::to_string_pretty(&document).expect("a report always serialises"));
        return code;
    }
    out!(
        "explore {} profile='{}' mutant={} symmetry={} liveness={}",
        options.bound,
        options.profile,
        options.mutant,
        if options.symmetry { "yes" } else { "no" },
        if options.liveness { "yes" } else { "no" }
    );
    out!("states generated: {} (one a transition, before deduplication)", report.transitions + 1);
    out!("unique states: {}", report.unique);
    out!("transitions: {}", report.transitions);
    out!("depth: {}", report.depth);
    out!("terminal states (nothing enabled within the bound): {}", report.terminal);
    out!("states with a blocked call, liveness checked: {}", report.blocked);
    out!(
        "exhaustive: {}",
        if report.complete {
            "yes".to_string()
        } else {
            format!("no, stopped by --max-states {} with {} states stored", options.states_max, report.unique)
        }
    );
    out!("violations by invariant:");
    for invariant in Invariant::ALL {
        let count = report.violations[invariant.index()];
        let label = format!("{} ({})", invariant.name(), invariant.requirements());
        out!("  {label:<62} {count:>10}");
    }
    out!(
        "time: {seconds:.2} s; {:.0} states/s; {:.0} transitions/s",
        report.unique as f64 / seconds,
        report.transitions as f64 / seconds
    );
    let peak = peak_resident_kib().map_or("unknown".to_string(), |kib| format!("{:.1} MiB", kib as f64 / 1024.0));
    out!(
        "memory: {:.1} bytes per state held (fingerprint and parent link); peak resident {peak}",
        report.bytes_per_state
    );
    for (counterexample, scn) in &written {
        err!(
            "VIOLATION {} in {} ({} in the script): {}",
            counterexample.violation.invariant,
            plural(counterexample.steps.len() as u64, "step", "steps"),
            plural(report.script(counterexample, "").steps() as u64, "step", "steps"),
            counterexample.violation
        );
        err!("  script: {} (replay: {COMMAND} script --mutant {} {})", scn.display(), options.mutant, scn.display());
    }
    code
}

/// `explore --all-profiles`: every profile in turn, on `jobs` threads; one summary.
fn explore_all_profiles(options: &ExploreOptions, jobs: usize, out: &Path, quiet: bool) -> u8 {
    use rayon::prelude::*;
    out!(
        "explore {} all {} profiles mutant={} symmetry={} liveness={} jobs={jobs}",
        options.bound,
        Profile::COUNT,
        options.mutant,
        if options.symmetry { "yes" } else { "no" },
        if options.liveness { "yes" } else { "no" }
    );
    let pool = match rayon::ThreadPoolBuilder::new().num_threads(jobs).build() {
        Ok(pool) => pool,
        Err(e) => {
            err!("error: cannot start the worker threads: {e}");
            return 2;
        }
    };
    let started = Instant::now();
    let bar = sim::output::progress(u64::from(Profile::COUNT), "profiles", quiet);
    let reports: Vec<sim::explore::Report> = pool.install(|| {
        (0..Profile::COUNT)
            .into_par_iter()
            .map(|index| bar.inc_and(explore(&ExploreOptions { profile: Profile::from_index(index), ..*options })))
            .collect()
    });
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64().max(1e-9);
    let mut code = 0;
    let failing: Vec<&sim::explore::Report> = reports.iter().filter(|report| report.failing()).collect();
    for report in &failing {
        let (written, all) = write_counterexamples(report, out);
        if !all {
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

fn diff_command(profiles: &[Profile], knob: Option<&str>, bound: Bound, out: Option<&Path>) -> u8 {
    let states_max = sim::explore::STATES_MAX_DEFAULT;
    let witness = match (knob, profiles) {
        (Some(knob), _) => {
            let index = Profile::KNOBS.iter().position(|name| *name == knob).unwrap_or_default();
            sim::diff::diff_knob(index, bound, states_max)
        }
        (None, [first, second]) if first == second => {
            err!(
                "error: the two --profile values are the same reading ('{first}'); expected two readings that differ \
                 in at least one knob (a knob written at its default value is the default)"
            );
            return 2;
        }
        (None, [first, second]) => sim::diff::diff(*first, *second, bound, states_max),
        (None, _) => {
            err!("error: give --profile twice (the two readings) or --knob NAME; expected two readings to compare");
            return 2;
        }
    };
    let Some(witness) = witness else {
        out!(
            "no difference within {}: the two readings cannot be told apart by any script from any setup within the \
             bound",
            sim::diff::searched(&bound)
        );
        return 1;
    };
    let file = out.map_or("witness.scn".to_string(), |path| path.display().to_string());
    let text = witness.text(&file);
    if let Some(path) = out {
        if let Err(e) = sim::output::write_file(path, &text) {
            err!("error: cannot write {}: {e}", path.display());
            return 2;
        }
    }
    write(Stream::Stdout, format_args!("{text}"));
    0
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
