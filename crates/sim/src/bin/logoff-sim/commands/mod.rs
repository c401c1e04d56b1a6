//! The commands of `logoff-sim`, one file each (an `Args` struct for clap and an `exec`), and what several share:
//! the command line itself, the output format, the parsers of seed ranges and output paths.

use clap::{Parser, Subcommand};
use sim::output::{write, Stream};

mod check_trace;
mod conform;
mod diff;
mod explore;
mod list;
mod merge;
mod mutants;
mod render;
mod replay;
mod run;
mod script;
mod shared;
mod shrink;
mod sweep;

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
pub struct Cli {
    /// Without a command, a short guide is printed.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What `logoff-sim` alone prints: the three ways to use the project, and where to go from there.
pub const GUIDE: &str = "logoff-sim: a deterministic simulator of the MAPI store logoff protocol (docs/SPEC.md).

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

/// A subcommand's closing help: one example, then its exit codes.
fn with_example(example: &str, exit_codes: &str) -> String {
    format!("Example:\n  {example}\n\n{exit_codes}")
}

#[derive(Subcommand)]
pub enum Command {
    /// Run one seed: print its configuration, its trace and the trace's hash.
    #[command(after_help = with_example("cargo run -q --release -p sim --bin logoff-sim -- run --seed 14 --profile call_site=eager", EXIT_CODES))]
    Run(run::Args),
    /// Run a range of seeds in parallel and print a summary: violations by invariant, coverage, rates.
    #[command(after_help = with_example("cargo run -q --release -p sim --bin logoff-sim -- sweep --seeds 0..1000000 --jobs 2", EXIT_CODES))]
    Sweep(sweep::Args),
    /// Add up the JSON summaries of the shards of one sweep into the summary of the whole range: the same, times
    /// and rates aside, as one machine would print for it.
    #[command(after_help = with_example("cargo run -q --release -p sim --bin logoff-sim -- merge summary-0.json summary-1.json summary-2.json summary-3.json", "Exit codes: 0 merged, no failing run; 1 merged, failing runs; 2 a file that cannot be \
                            read or is not a shard of the same sweep, or a shard missing or given twice."))]
    Merge(merge::Args),
    /// Replay seed files (the format of sim-seeds/README.md) and check each ends as its `expect` line says.
    #[command(after_help = with_example("cargo run -q --release -p sim --bin logoff-sim -- replay sim-seeds/purge-blocked.seed", SCRIPT_EXIT_CODES))]
    Replay(replay::Args),
    /// Run scenario scripts (docs/SPEC.md section 6) with every invariant checked after every step and liveness
    /// after the last.
    #[command(after_help = with_example("cargo run -q --release -p sim --bin logoff-sim -- script tests/scenarios/a2-orderly-keep.scn", SCRIPT_EXIT_CODES))]
    Script(script::Args),
    /// Reduce a failing seed file to a short script that breaks the same invariant (no step can go, every step
    /// enabled; no client, transport, Inbox or other process the setup can lose; messages renamed m0, m1, ...), and
    /// write it as a scenario script that `logoff-sim script --mutant M` reproduces.
    #[command(after_help = with_example("cargo run -q --release -p sim --bin logoff-sim -- shrink sim-seeds/mutant-logoff-loses-sending-message.seed --out shrunk.scn", "Exit codes: 0 shrunk; 1 the seed file's steps do not break its invariant; 2 bad input \
                            or an output that cannot be written."))]
    Shrink(shrink::Args),
    /// Hunt every mutant: sweep seeds until a run breaks an invariant, shrink it, write the script, print a table.
    #[command(after_help = with_example("cargo run -q --release -p sim --bin logoff-sim -- mutants --seeds 10000 --out target/mutants", "Exit codes: 0 every mutant caught and shrunk to at most 12 steps, and the reference \
                            model clean on the same seeds; 1 otherwise; 2 an output that cannot be written."))]
    Mutants(mutants::Args),
    /// Explore every state reachable within a bound (breadth first, every invariant on every transition) and write
    /// the shortest counterexample of each broken invariant as a script.
    #[command(after_help = with_example("cargo run -q --release -p sim --bin logoff-sim -- explore --mutant late-return --clients 1", "Exit codes: 0 no violation (and, without --max-states reached, none within the bound); \
                            1 a violation, its shortest counterexample written first; 2 bad input or an output that \
                            cannot be written."))]
    Explore(explore::Args),
    /// Find the shortest script whose observable results differ between two readings of the pages (two profiles,
    /// or the two values of one knob), and print it as a script that passes under the first. Every setup within the
    /// bound is searched: 1 up to --clients clients, 0 up to --transports transports, without and with the Inbox,
    /// 0 up to --other other processes holding the store open at the start; the script is the shortest over all of
    /// them, and among the shortest the one from the smallest setup (fewest clients, then transports, then no
    /// Inbox, then other processes), then the first in breadth-first order.
    #[command(after_help = with_example("cargo run -q --release -p sim --bin logoff-sim -- diff --knob orderly", "Exit codes: 0 a witness found and printed (and written with --out); 1 the two readings \
                            cannot be told apart within the bound; 2 bad input (two --profile values that are one \
                            reading among them) or an output that cannot be written."))]
    Diff(diff::Args),
    /// Draw a run as a sequence diagram: one lane per actor, one arrow per call and per return, blocked calls as
    /// spans, the step that breaks an invariant in red. Mermaid text, SVG, or one HTML page that steps through it.
    #[command(after_help = with_example("cargo run -q --release -p sim --bin logoff-sim -- render sim-seeds/mutant-logoff-loses-sending-message.seed --to html -o failure.html", "Exit codes: 0 drawn (whether or not the run breaks an invariant); 1 drawn, but the program \
                            under test (--cmd) failed, so the run stops there with no verdict; 2 bad input or an output \
                            that cannot be written; 130 interrupted."))]
    Render(render::Args),
    /// Put a store provider, a MAPI spooler or a transport provider written by you under test: run PROGRAM as a
    /// child process in that role (--role store, spooler or transport; JSON lines on its standard input and output,
    /// docs/CONFORM.md), one process for many runs, in scenario scripts and seeded runs, every invariant checked;
    /// write each failure as a seed file and shrink it against the same program. SIGINT or SIGTERM stops it at once
    /// with a partial summary (exit 130); the program and everything it started are killed on every way out.
    #[command(after_help = with_example("cargo run -q --release -p sim --bin logoff-sim -- conform --role store --cmd 'python3 examples/providers/good_store.py' --scripts tests/scenarios --seeds 0..10000", "Exit codes: 0 every script and seed passed (or the replayed file passed); 1 a failure \
                            (written, shrunk, printed), or a replayed file that still fails; 2 bad input, or a program \
                            that cannot be started or does not answer hello; 130 interrupted."))]
    Conform(conform::Args),
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
    CheckTrace(check_trace::Args),
    /// List the names that options take, and runs nothing.
    #[command(after_help = with_example("cargo run -q --release -p sim --bin logoff-sim -- list mutants", "Exit codes: 0; 2 an output that cannot be written."))]
    List(list::Args),
}

impl Command {
    /// Runs the command; returns the process's exit code.
    pub fn exec(self) -> u8 {
        match self {
            Command::Run(args) => run::exec(args),
            Command::Sweep(args) => sweep::exec(args),
            Command::Merge(args) => merge::exec(args),
            Command::Replay(args) => replay::exec(args),
            Command::Script(args) => script::exec(args),
            Command::Shrink(args) => shrink::exec(args),
            Command::Mutants(args) => mutants::exec(args),
            Command::Explore(args) => explore::exec(args),
            Command::Diff(args) => diff::exec(args),
            Command::Render(args) => render::exec(args),
            Command::Conform(args) => conform::exec(args),
            Command::CheckTrace(args) => check_trace::exec(args),
            Command::List(args) => list::exec(args),
        }
    }
}

/// The longest line of a command-line error that is printed: clap quotes a bad value whole, and a value can be
/// hundreds of kilobytes long.
const ERROR_LINE_CHARS_MAX: usize = 300;

/// Parses the command line; help, version and errors are written through [`sim::output`], so that a closed or full
/// stream is handled as everywhere else.
pub fn parse_command_line() -> Result<Cli, u8> {
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
