//! `logoff-sim`: the command line of the simulator. Exit codes: 0 clean, 1 a violation or a failed expectation,
//! 2 bad input (a malformed file or flag value), with a message naming what was wrong.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use clap::{Parser, Subcommand};
use logoff_core::{Mutant, Profile};
use sim::invariants::{Invariant, Violation};
use sim::mutants::{hunt, Table, HUNT_SEEDS_DEFAULT, SHRUNK_STEPS_MAX};
use sim::seedfile::{script_of, Expected, SeedFile};
use sim::simulate::{Config, Simulator, FAULT_PHASE_TICKS, RUN_STEPS_MAX, RUN_TICKS_MAX};
use sim::sweep::{sweep, Failure, Report};
use sim::trace::Trace;

#[derive(Parser)]
#[command(name = "logoff-sim", version, about = "Deterministic simulator of the MAPI store logoff protocol")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run one seed: print its configuration, its trace and the trace's hash.
    Run {
        #[arg(long)]
        seed: u64,
        /// `default`, or knob=value pairs (`call_site=eager,orderly=drain`); without it the seed draws one.
        #[arg(long)]
        profile: Option<Profile>,
        /// The mistake the model makes (`logoff-sim mutants` lists them); `none` by default.
        #[arg(long, default_value = "none")]
        mutant: Mutant,
        /// Print the trace as JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Also write the run as a scenario script that reproduces it.
        #[arg(long, value_name = "FILE")]
        emit_script: Option<PathBuf>,
        /// Also write the run as a seed file (for `sim-seeds/`), with `--why` saying why it is kept.
        #[arg(long, value_name = "FILE", requires = "why")]
        save_seed: Option<PathBuf>,
        /// Why the seed is kept: the `why` line of the seed file.
        #[arg(long, requires = "save_seed")]
        why: Option<String>,
        /// Where a failing run is written as a seed file.
        #[arg(long, value_name = "DIR", default_value = "target/sim-failures")]
        failures: PathBuf,
    },
    /// Run a range of seeds in parallel and print a summary: violations by invariant, coverage, rates.
    Sweep {
        /// `A..B`: the seeds from A up to, not including, B.
        #[arg(long, value_parser = parse_seeds)]
        seeds: std::ops::Range<u64>,
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=256))]
        jobs: u16,
        /// `default`, or knob=value pairs; without it each seed draws its profile.
        #[arg(long)]
        profile: Option<Profile>,
        /// The mistake the model makes; `none` by default.
        #[arg(long, default_value = "none")]
        mutant: Mutant,
        /// Where each failing run is written as a seed file before it is reported.
        #[arg(long, value_name = "DIR", default_value = "target/sim-failures")]
        failures: PathBuf,
        /// Print at most this many failing seeds (all are counted, and written up to 1,000 files).
        #[arg(long, default_value_t = 20)]
        show: u64,
    },
    /// Replay seed files (the format of `sim-seeds/README.md`) and check each ends as its `expect` line says.
    Replay {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Run scenario scripts (SPEC.md section 6) with every invariant checked after every step. Exit 0: every
    /// expectation holds; 1: one fails, a step is not enabled, or an invariant breaks; 2: a file is malformed.
    Script {
        /// The mistake the model makes; `none` by default.
        #[arg(long, default_value = "none")]
        mutant: Mutant,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Reduce a failing seed file to a shortest script that breaks the same invariant (every step enabled), and
    /// write it as a scenario script that `logoff-sim script --mutant M` reproduces.
    Shrink {
        /// A seed file whose `expect violation NAME` line names the invariant to keep breaking.
        seed_file: PathBuf,
        /// Where to write the shrunk script (default: the seed file's name with `.shrunk.scn`).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Hunt every mutant: sweep seeds until a run breaks an invariant, shrink it, write the script, print a table.
    Mutants {
        /// Seeds tried for each mutant (from 0).
        #[arg(long, default_value_t = HUNT_SEEDS_DEFAULT)]
        seeds: u64,
        /// Where the shrunk scripts are written, one `NAME.scn` a mutant.
        #[arg(long, value_name = "DIR", default_value = "target/mutants")]
        out: PathBuf,
    },
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Run { seed, profile, mutant, json, emit_script, save_seed, why, failures } => {
            let mut config = Config::from_seed(seed, profile);
            config.mutant = mutant;
            let save = save_seed.as_deref().zip(why.as_deref());
            run(&config, json, emit_script.as_deref(), save, &failures)
        }
        Command::Sweep { seeds, jobs, profile, mutant, failures, show } => {
            sweep_command(seeds, usize::from(jobs), profile, mutant, &failures, show)
        }
        Command::Replay { files } => replay(&files),
        Command::Script { mutant, files } => sim::script::run_files(&files, mutant),
        Command::Shrink { seed_file, out } => shrink_command(&seed_file, out),
        Command::Mutants { seeds, out } => mutants_command(seeds, &out),
    };
    ExitCode::from(code)
}

/// The command that reproduces a run.
fn reproduce(config: &Config) -> String {
    let mutant = if config.mutant == Mutant::None { String::new() } else { format!(" --mutant {}", config.mutant) };
    format!("logoff-sim run --seed {} --profile '{}'{mutant}", config.seed, config.profile)
}

/// Runs the configuration again with a trace and writes it as a seed file in `dir`; returns the file's path.
fn write_failure(config: &Config, violation: Violation, dir: &Path) -> Result<PathBuf, String> {
    let mut trace = Trace::default();
    Simulator::new().run(config, &mut trace);
    let path = dir.join(format!("seed-{}.seed", config.seed));
    let seed_file = SeedFile {
        seed: config.seed,
        expect: Expected::Violation(violation.invariant),
        why: format!("found by the simulator: {violation}; reproduce: {}", reproduce(config)),
        script: script_of(config, &trace, &path.display().to_string()),
    };
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    std::fs::write(&path, seed_file.to_string()).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

fn run(
    config: &Config,
    json: bool,
    emit_script: Option<&Path>,
    save_seed: Option<(&Path, &str)>,
    failures: &Path,
) -> u8 {
    let (config, seed) = (*config, config.seed);
    let mut trace = Trace::default();
    let outcome = Simulator::new().run(&config, &mut trace);
    if json {
        println!("{}", trace.json(&config));
    } else {
        println!("seed={} profile='{}' mutant={}", config.seed, config.profile, config.mutant);
        println!("config {}", serde_json::to_string(&config).expect("a configuration always serialises"));
        println!(
            "limits fault_phase_ticks={FAULT_PHASE_TICKS} run_ticks_max={RUN_TICKS_MAX} run_steps_max={RUN_STEPS_MAX}"
        );
        print!("{}", trace.text());
        println!("steps={} ticks={} trace_hash={:016x}", outcome.steps, outcome.ticks, trace.hash());
    }
    if let Some(path) = emit_script {
        let script = script_of(&config, &trace, &path.display().to_string());
        if let Err(e) = std::fs::write(path, script.to_string()) {
            eprintln!("error: cannot write the script to {}: {e}", path.display());
            return 2;
        }
    }
    if let Some((path, why)) = save_seed {
        let expect =
            outcome.violation.map_or(Expected::Clean, |(violation, _)| Expected::Violation(violation.invariant));
        let script = script_of(&config, &trace, &path.display().to_string());
        let seed_file = SeedFile { seed, expect, why: why.to_string(), script };
        if let Err(e) = std::fs::write(path, seed_file.to_string()) {
            eprintln!("error: cannot write the seed file {}: {e}", path.display());
            return 2;
        }
    }
    match outcome.violation {
        None => {
            println!("clean");
            0
        }
        Some((violation, step)) => {
            let written = write_failure(&config, violation, failures);
            eprintln!("violation at step {step}: {violation}");
            match written {
                Ok(path) => eprintln!("seed file: {}", path.display()),
                Err(e) => eprintln!("error: {e}"),
            }
            1
        }
    }
}

/// The most seed files one sweep writes.
const SWEEP_FILES_MAX: u64 = 1_000;

fn sweep_command(
    seeds: std::ops::Range<u64>,
    jobs: usize,
    profile: Option<Profile>,
    mutant: Mutant,
    failures: &Path,
    show: u64,
) -> u8 {
    let profile_text = profile.map_or("drawn per seed".to_string(), |p| format!("'{p}'"));
    println!("sweep seeds={}..{} jobs={jobs} profile={profile_text} mutant={mutant}", seeds.start, seeds.end);
    let found = AtomicU64::new(0);
    let on_failure = |failure: Failure| {
        let n = found.fetch_add(1, Ordering::Relaxed);
        let written =
            if n < SWEEP_FILES_MAX { Some(write_failure(&failure.config, failure.violation, failures)) } else { None };
        if n < show {
            let file = match written {
                Some(Ok(path)) => format!(" (written to {})", path.display()),
                Some(Err(e)) => format!(" (NOT written: {e})"),
                None => String::new(),
            };
            eprintln!(
                "FAIL seed {} step {}: {}{file}\n  reproduce: {}",
                failure.config.seed,
                failure.step,
                failure.violation,
                reproduce(&failure.config)
            );
        }
    };
    let started = Instant::now();
    let summary = match sweep(seeds, jobs, profile, mutant, &on_failure) {
        Ok(summary) => summary,
        Err(e) => {
            eprintln!("error: cannot start {jobs} worker threads: {e}");
            return 2;
        }
    };
    print!("{}", Report { summary: &summary, elapsed: started.elapsed(), jobs });
    match peak_resident_kib() {
        Some(kib) => println!("peak resident memory: {:.1} MiB", kib as f64 / 1024.0),
        None => println!("peak resident memory: unknown on this system"),
    }
    u8::from(summary.failing_runs() > 0)
}

/// The process's peak resident set size (Linux's VmHWM), for the sweep's report.
fn peak_resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn replay(files: &[PathBuf]) -> u8 {
    let mut code = 0;
    for path in files {
        let name = path.display().to_string();
        let source = match std::fs::read(path) {
            Ok(source) => source,
            Err(e) => {
                eprintln!("{name}: error: cannot read the file ({e}); expected a seed file");
                code = code.max(2);
                continue;
            }
        };
        let seed_file = match SeedFile::parse(&source, &name) {
            Ok(seed_file) => seed_file,
            Err(e) => {
                eprintln!("{e}");
                code = code.max(2);
                continue;
            }
        };
        match seed_file.replay() {
            Ok(what) => println!("{name}: ok: {what}"),
            Err(what) => {
                eprintln!("{name}: FAILED: {what}");
                code = code.max(1);
            }
        }
    }
    code
}

fn shrink_command(path: &Path, out: Option<PathBuf>) -> u8 {
    let name = path.display().to_string();
    let source = match std::fs::read(path) {
        Ok(source) => source,
        Err(e) => {
            eprintln!("{name}: error: cannot read the file ({e}); expected a seed file");
            return 2;
        }
    };
    let seed_file = match SeedFile::parse(&source, &name) {
        Ok(seed_file) => seed_file,
        Err(e) => {
            eprintln!("{e}");
            return 2;
        }
    };
    let Expected::Violation(invariant) = seed_file.expect else {
        eprintln!("{name}: error: the seed file expects a clean run; expected `expect violation NAME` to shrink");
        return 2;
    };
    let Some(shrunk) = sim::shrink::shrink(&seed_file.script, invariant) else {
        eprintln!("{name}: its steps do not break {invariant}: nothing to shrink");
        return 1;
    };
    let out = out.unwrap_or_else(|| path.with_extension("shrunk.scn"));
    let text = format!(
        "# Shrunk by `logoff-sim shrink` from {name} (seed {}).\n# breaks: {invariant} ({})\n\
         # replay: logoff-sim script --mutant {} {}\n{shrunk}",
        seed_file.seed,
        invariant.requirements(),
        shrunk.mutant,
        out.display()
    );
    if let Err(e) = std::fs::write(&out, text) {
        eprintln!("error: cannot write {}: {e}", out.display());
        return 2;
    }
    let before = sim::shrink::applied_steps(&seed_file.script).len();
    println!("{before} steps -> {} steps, breaking {invariant}: {}", shrunk.steps(), out.display());
    0
}

fn mutants_command(seeds: u64, out: &Path) -> u8 {
    if let Err(e) = std::fs::create_dir_all(out) {
        eprintln!("error: cannot create {}: {e}", out.display());
        return 2;
    }
    let rows: Vec<(Mutant, Option<sim::mutants::Caught>)> =
        Mutant::ALL.iter().map(|mutant| (*mutant, hunt(*mutant, 0..seeds))).collect();
    let mut code = 0;
    for (mutant, caught) in &rows {
        match caught {
            Some(caught) => {
                let path = out.join(format!("{mutant}.scn"));
                if let Err(e) = std::fs::write(&path, caught.scenario_text(&path.display().to_string())) {
                    eprintln!("error: cannot write {}: {e}", path.display());
                    code = 2;
                }
                if caught.shrunk_steps() > SHRUNK_STEPS_MAX {
                    code = code.max(1);
                }
            }
            None => code = code.max(1),
        }
    }
    print!("{}", Table(&rows));
    let reference = sweep(0..seeds, 2, None, Mutant::None, &|failure| {
        eprintln!("the reference model broke {} at seed {}", failure.violation, failure.config.seed);
    });
    match reference {
        Ok(summary) => {
            println!("reference model on seeds 0..{seeds}: {} failing runs", summary.failing_runs());
            if summary.failing_runs() > 0 {
                code = code.max(1);
            }
        }
        Err(e) => {
            eprintln!("error: cannot start the worker threads: {e}");
            code = 2;
        }
    }
    let liveness_only =
        rows.iter().filter(|(_, caught)| caught.as_ref().is_some_and(|c| c.invariant == Invariant::Liveness)).count();
    println!("mutants caught by liveness: {liveness_only}; shrunk scripts written to {}", out.display());
    code
}
