//! `logoff-sim conform`: a program under test in one role, run through scripts and seeds.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::builder::PossibleValuesParser;
use sim::conform::{Failing, Found};
use sim::failures;
use sim::text::input_name;
use sim::text::plural;
use sim::{err, out};

use super::shared::parse_seeds;

#[derive(clap::Args)]
pub struct Args {
    /// The role the program plays: the store provider, the MAPI spooler, or every transport provider.
    #[arg(long, value_parser = PossibleValuesParser::new(sim::conform::ROLES))]
    pub role: String,
    /// The program and its arguments, one string split as a shell splits words ('python3 store.py').
    #[arg(long, value_name = "PROGRAM ARGS")]
    pub cmd: String,
    /// `A..B`: the seeds to run after the scripts (each drawing its setup, workload, faults and, without
    /// --profile, profile).
    #[arg(long, value_parser = parse_seeds, default_value = "0..10000")]
    pub seeds: std::ops::Range<u64>,
    /// Run no seeds: only the scripts of --scripts.
    #[arg(long, conflicts_with = "seeds", requires = "scripts")]
    pub no_seeds: bool,
    /// The knobs to fix, `knob=value` pairs (or `default`, all ten): each seed draws the others, and only the
    /// scripts written for these values run. For a provider that implements one reading of the pages.
    #[arg(long, value_name = "KNOB=VALUE,...", value_parser = sim::conform::FixedKnobs::parse)]
    pub profile: Option<sim::conform::FixedKnobs>,
    /// Scenario scripts to run first: `.scn` files, or directories whose `.scn` files are run in name order.
    #[arg(long, value_name = "PATH")]
    pub scripts: Vec<PathBuf>,
    /// Instead of sweeping, replay one file against the program: a seed file or a shrunk script it wrote
    /// (either fails, exit 1, while the program still does what was found, and passes once it is fixed), or
    /// any scenario script.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["scripts"])]
    pub replay: Option<PathBuf>,
    /// How long the program may take to answer one message (milliseconds).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=600_000))]
    pub timeout_ms: u64,
    /// Where failing runs are written (seed files and shrunk scripts) [default: $CARGO_TARGET_DIR/sim-failures,
    /// or target/sim-failures].
    #[arg(long, value_name = "DIR")]
    pub failures: Option<PathBuf>,
    /// Shrink and print at most this many failing seeds (all are counted).
    #[arg(long, default_value_t = 3)]
    pub show: usize,
    /// No progress bar (it is drawn on standard error only when that is a terminal).
    #[arg(long)]
    pub quiet: bool,
}

pub fn exec(args: Args) -> u8 {
    let Args { role, cmd, seeds, no_seeds, profile, scripts, replay, timeout_ms, failures, show, quiet } = args;
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
        failures::conform_command(&self.role, &self.cmd, self.timeout.as_millis())
    }

    /// The command that replays a file `conform` wrote against the program.
    fn replay(&self, path: &Path) -> String {
        sim::conform::replay_command(&self.command(), path)
    }

    /// The program, started and greeted: one that cannot start or does not answer `hello` is bad input (exit 2).
    fn program(&self) -> Result<sim::conform::Program, u8> {
        sim::conform::start_program(&self.cmd, self.timeout, &self.role).map_err(|(code, e)| {
            err!("{e}");
            code
        })
    }
}

/// `logoff-sim conform`: scripts, then seeds, against the program; failures written, shrunk and printed. It stops
/// at the first answer that did not come in time (the program is broken: every further run would pay the time
/// limit again), and at SIGINT or SIGTERM (exit 130, with a summary of what ran).
fn conform_command(request: &ConformRequest) -> u8 {
    let files = match sim::conform::script_files(&request.scripts) {
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
    let mut failed = |path: &Path, error: &sim::script::RunError| {
        err!("FAIL {error}");
        err!("  rerun: {}", request.replay(path));
        code = 1;
    };
    let scripts = match sim::conform::run_scripts(&mut program, &files, &request.fixed, &mut failed) {
        Ok(scripts) => scripts,
        Err(e) => {
            err!("{e}");
            return 2;
        }
    };
    // Why the sweep stopped before its end, if it did.
    let mut halted = scripts.halted;
    if !files.is_empty() {
        let skipped = match scripts.skipped {
            0 => String::new(),
            n => format!(" ({} written for other values of the fixed knobs skipped)", plural(n, "script", "scripts")),
        };
        out!("scripts: {} of {} passed{skipped}", scripts.passed, scripts.run);
    }
    let seeds = request.seeds.clone();
    let bar = sim::output::progress(seeds.end - seeds.start, "seeds", request.quiet);
    let mut failing = Failing::new(&request.failures, request.command(), seeds.clone());
    let swept = match halted {
        None => sim::conform::run_seeds(&mut program, seeds.clone(), &request.fixed, &mut failing, &|| bar.inc(1)),
        Some(_) => sim::conform::SeedsRun::default(),
    };
    let (runs, steps) = (swept.runs, swept.steps);
    halted = halted.or(swept.halted);
    bar.finish_and_clear();
    if !seeds.is_empty() {
        let seconds = started.elapsed().as_secs_f64().max(1e-9);
        out!(
            "seeds {}..{}: {} runs, {} steps, {} failing; {} messages to the program; {:.0} steps/s, {:.0} messages/s",
            seeds.start,
            seeds.end,
            runs,
            steps,
            failing.found.len(),
            program.exchanges,
            steps as f64 / seconds,
            program.exchanges as f64 / seconds
        );
    }
    if let Some(why) = &halted {
        err!("{why}");
        code = 1;
    }
    for Found { run, path, written } in failing.found.iter().take(request.show) {
        let verdict = run.verdict.as_ref().expect("a failing run has a verdict");
        err!("FAIL seed {} profile '{}': {verdict}", run.config.seed, run.config.profile);
        match written {
            Ok(()) => {
                err!("  seed file: {} (replay: {})", path.display(), request.replay(path));
                err!("  render: {}", failures::conform_render(&request.cmd, request.timeout.as_millis(), path));
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
        let shrunk_path = request.failures.join(failures::shrunk_name(path));
        let shrunk = sim::conform::shrink(&mut program.played(), run, &shrunk_path.display().to_string());
        if let Some(shrunk) = shrunk.filter(|_| !interrupted()) {
            let replay = request.replay(&shrunk_path);
            let header = failures::conform_shrunk_header(&request.cmd, run.config.seed, &verdict.to_string(), &replay);
            let text = format!("{header}{shrunk}");
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
    if !failing.found.is_empty() {
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

/// `logoff-sim conform --replay FILE`: one seed file or script against the program.
fn conform_replay(request: &ConformRequest, path: &Path) -> u8 {
    let mut program = match request.program() {
        Ok(program) => program,
        Err(code) => return code,
    };
    let name = input_name(path);
    let result = sim::conform::replay_file(&mut program, path).map_err(|(code, message)| {
        err!("{message}");
        code
    });
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
