//! `cargo run --release -p bench`: the peers side by side, in one run, on one thread. It prints figures and
//! ratios; it asserts nothing.
//!
//! (a) Exhaustive exploration: our explorer (`sim::explore::explore`) against stateright's breadth-first checker
//!     on the same model, bound and profile, both checking every invariant on every transition and the final
//!     states, neither checking liveness from blocked states nor reducing symmetry: unique states per second.
//! (b) Random testing: our simulator (`Simulator::run` over consecutive seeds, the sweep's path) against
//!     proptest-state-machine (crates/bench/src/proptest_machine.rs): steps per second, every invariant on.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use bench::{proptest_machine, stateright_model};
use logoff_core::Profile;
use sim::explore::{explore, Bound, Options};
use sim::simulate::{Config, Simulator};

/// The bound of (a). Stateright explores the default bound in about 10 s on this machine (one thread): well under
/// the two minutes we allow it, so the comparison is made at the default bound.
const BOUND: Bound = Bound::DEFAULT;

/// How long the simulator runs consecutive seeds in (b).
const SIMULATION_TIME: Duration = Duration::from_secs(5);

/// Cases of proptest-state-machine in (b), each of 1 to `TRANSITIONS_MAX` transitions (32 steps a case on average,
/// about the simulator's 43 steps a run): about 4 s.
const PROPTEST_CASES: u32 = 100_000;

fn main() -> ExitCode {
    println!("peers, side by side, one thread each");
    println!("  stateright {}, proptest-state-machine {}", locked("stateright"), locked("proptest-state-machine"));
    if let Err(message) = exploration() {
        eprintln!("bench: {message}");
        return ExitCode::FAILURE;
    }
    if let Err(message) = testing() {
        eprintln!("bench: {message}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// The workspace's Cargo.lock as it was when this binary was built.
const CARGO_LOCK: &str = include_str!("../../../Cargo.lock");

/// The version of `package` that Cargo.lock resolved ("?" if it is not there).
fn locked(package: &str) -> &'static str {
    let name = format!("name = \"{package}\"");
    let mut lines = CARGO_LOCK.lines();
    while let Some(line) = lines.next() {
        if line == name {
            if let Some(version) = lines.next().and_then(|l| l.strip_prefix("version = \"")) {
                return version.trim_end_matches('"');
            }
        }
    }
    "?"
}

fn exploration() -> Result<(), String> {
    let options = Options { liveness: false, symmetry: false, ..Options::new(BOUND, Profile::default()) };
    println!();
    let default = if BOUND == Bound::DEFAULT { ", the default bound" } else { ", smaller than the default bound" };
    println!("(a) exhaustive exploration at {}{default}, default profile, liveness off, symmetry off", BOUND.short());
    println!("    {BOUND}");

    let start = Instant::now();
    let ours = explore(&options);
    let ours_seconds = start.elapsed().as_secs_f64();
    let ours_rate = ours.unique as f64 / ours_seconds;
    println!(
        "  sim::explore     {:>10} unique states, {:>10} transitions, {:>7.2} s, {:>10.0} states/s",
        ours.unique, ours.transitions, ours_seconds, ours_rate
    );

    let theirs = stateright_model::check(options);
    let theirs_rate = theirs.unique as f64 / theirs.seconds;
    println!(
        "  stateright BFS   {:>10} unique states, {:>10} generated,   {:>7.2} s, {:>10.0} states/s",
        theirs.unique, theirs.generated, theirs.seconds, theirs_rate
    );
    println!(
        "  ratio: sim::explore is {:.2}x stateright's unique states/s; same count: {}",
        ours_rate / theirs_rate,
        if ours.unique == theirs.unique { "yes" } else { "NO" }
    );
    let ours_violations: u64 = ours.violations.iter().sum();
    println!(
        "  violations: sim::explore {ours_violations}, stateright {} transitions + {} final states",
        theirs.violations, theirs.stuck
    );
    Ok(())
}

fn testing() -> Result<(), String> {
    println!();
    println!("(b) random testing, every invariant on every step");

    let mut simulator = Simulator::new();
    let (mut runs, mut steps, mut failing) = (0u64, 0u64, 0u64);
    let start = Instant::now();
    while start.elapsed() < SIMULATION_TIME {
        // A hundred runs between two looks at the clock.
        for seed in runs..runs + 100 {
            let outcome = simulator.run(&Config::from_seed(seed, None), &mut ());
            steps += u64::from(outcome.steps);
            failing += u64::from(outcome.violation.is_some());
        }
        runs += 100;
    }
    let sim_seconds = start.elapsed().as_secs_f64();
    let sim_rate = steps as f64 / sim_seconds;
    println!(
        "  Simulator::run           seeds 0..{runs}: {steps:>10} steps, {sim_seconds:>6.2} s, {sim_rate:>10.0} steps/s \
         ({:.0} steps a run, {failing} failing)",
        steps as f64 / runs as f64
    );

    let max = proptest_machine::TRANSITIONS_MAX;
    let (pt_steps, pt_seconds) = proptest_machine::run(PROPTEST_CASES, max)?;
    let pt_rate = pt_steps as f64 / pt_seconds;
    println!(
        "  proptest-state-machine   {PROPTEST_CASES} cases of 1..={max}: {pt_steps:>10} steps, {pt_seconds:>6.2} s, \
         {pt_rate:>10.0} steps/s"
    );
    println!("  ratio: Simulator::run is {:.2}x proptest-state-machine's steps/s", sim_rate / pt_rate);
    Ok(())
}
