//! `cargo run --release -p bench [COMMAND]`: the yardsticks of issue 17. It prints figures and ratios; it asserts
//! nothing.
//!
//! Without a command (or `peers`), the peers side by side, in one run, on one thread:
//! (a) Exhaustive exploration: our explorer (`sim::explore::explore`) against stateright's breadth-first checker
//!     on the same model, bound and profile, both checking every invariant on every transition and the final
//!     states, neither checking liveness from blocked states nor reducing symmetry: unique states per second.
//! (b) Random testing, steps per second with every invariant on: our simulator (`Simulator::run` over consecutive
//!     seeds, the sweep's path) against the lean probe (crates/bench/src/probe.rs: the same steps); and
//!     proptest-state-machine (crates/bench/src/proptest_machine.rs) against `proptest_machine::walk`, the same
//!     draws without the framework, so that both pay the same model and checker a step.
//!
//! One side alone, for `cargo xtask bench` to count its instructions under callgrind: `simulator --seeds A..B`,
//! `probe --seeds A..B`, `walk --cases N`, `proptest --cases N`, each printing `steps: N` and its time; and
//! `explore [--reduce] BOUND`, `stateright BOUND` (BOUND `small`, 2c1t2m1o2r, or `default`; liveness off, as in
//! (a)), each printing `states: N` and its time.

use std::ops::Range;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use bench::probe::Probe;
use bench::{proptest_machine, stateright_model};
use logoff_core::Profile;
use sim::explore::{explore, explore_on, Bound, Options, Report};
use sim::simulate::{Config, Simulator};

/// The bound of (a). Stateright explores the default bound in about 10 s on this machine (one thread): well under
/// the two minutes we allow it, so the comparison is made at the default bound.
const BOUND: Bound = Bound::DEFAULT;

/// How long the simulator, and then the probe, run consecutive seeds in (b).
const SIMULATION_TIME: Duration = Duration::from_secs(5);

/// Cases of proptest-state-machine, and of the walk, in (b), each of 1 to `TRANSITIONS_MAX` transitions (32 steps
/// a case on average, about the simulator's 43 steps a run): about 4 s for proptest-state-machine.
const PROPTEST_CASES: u32 = 100_000;

const USAGE: &str = "usage: bench [peers | simulator --seeds A..B | probe --seeds A..B | walk --cases N | proptest \
                     --cases N | explore [--reduce] small|default | stateright small|default]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args[..] {
        [] | ["peers"] => peers(),
        ["simulator", "--seeds", seeds] => seeds_of(seeds).map(|seeds| one("Simulator::run", simulated(seeds))),
        ["probe", "--seeds", seeds] => seeds_of(seeds).map(|seeds| one("probe", probed(seeds))),
        ["walk", "--cases", cases] => cases_of(cases)
            .and_then(|cases| proptest_machine::walk(cases, proptest_machine::TRANSITIONS_MAX))
            .map(|figures| one("walk", figures)),
        ["proptest", "--cases", cases] => cases_of(cases)
            .and_then(|cases| proptest_machine::run(cases, proptest_machine::TRANSITIONS_MAX))
            .map(|figures| one("proptest-state-machine", figures)),
        ["explore", bound] => bound_of(bound).map(|options| explored("sim::explore", options)),
        ["explore", "--reduce", bound] => bound_of(bound).map(|options| {
            explored("sim::explore --reduce", Options { reduce: Some(sim::explore::reduce::footprint), ..options })
        }),
        ["stateright", bound] => bound_of(bound).map(|options| {
            let report = stateright_model::check(options);
            println!("states: {}", report.unique);
            println!(
                "time: {:.2} s; {:.0} states/s (stateright)",
                report.seconds,
                report.unique as f64 / report.seconds
            );
        }),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("bench: {message}");
            ExitCode::from(2)
        }
    }
}

fn seeds_of(text: &str) -> Result<Range<u64>, String> {
    let parsed = text.split_once("..").and_then(|(a, b)| Some(a.parse().ok()?..b.parse().ok()?));
    parsed
        .filter(|seeds| seeds.start <= seeds.end)
        .ok_or_else(|| format!("--seeds: expected A..B with A <= B, got {text:?}"))
}

/// The options of (a) at `small` (2c1t2m1o2r) or `default`: liveness off, symmetry off, the default profile.
fn bound_of(text: &str) -> Result<Options, String> {
    let bound = match text {
        "small" => Bound::new(2, 1, 2, 1, 2),
        "default" => Bound::DEFAULT,
        _ => return Err(format!("expected the bound `small` or `default`, got {text:?}")),
    };
    Ok(Options { liveness: false, symmetry: false, ..Options::new(bound, Profile::default()) })
}

/// Explores with `options` and prints `states: N` first, the line `cargo xtask bench` reads, then the time.
fn explored(what: &str, options: Options) {
    let (report, seconds) = timed(&options, 1);
    println!("states: {}", report.unique);
    println!("time: {seconds:.2} s; {:.0} states/s ({what})", report.unique as f64 / seconds);
}

/// Explores with `options` on `jobs` threads: the report and the seconds it took.
fn timed(options: &Options, jobs: usize) -> (Report, f64) {
    let start = Instant::now();
    let report = explore_on(options, jobs);
    (report, start.elapsed().as_secs_f64())
}

fn cases_of(text: &str) -> Result<u32, String> {
    text.parse().map_err(|_| format!("--cases: expected a number of cases, got {text:?}"))
}

/// Prints one side's figures: `steps: N` first, the line `cargo xtask bench` reads.
fn one(what: &str, (steps, seconds): (u64, f64)) {
    println!("steps: {steps}");
    println!("time: {seconds:.2} s; {:.0} steps/s ({what})", steps as f64 / seconds);
}

/// `Simulator::run` over `seeds`, every invariant on, observing nothing: the steps and the seconds.
fn simulated(seeds: Range<u64>) -> (u64, f64) {
    let mut simulator = Simulator::new();
    let start = Instant::now();
    let steps = seeds.map(|seed| u64::from(simulator.run(&Config::from_seed(seed, None), &mut ()).steps)).sum();
    (steps, start.elapsed().as_secs_f64())
}

/// The probe over `seeds`: the same steps as [`simulated`].
fn probed(seeds: Range<u64>) -> (u64, f64) {
    let mut probe = Probe::new();
    let start = Instant::now();
    let steps = seeds.map(|seed| u64::from(probe.run(&Config::from_seed(seed, None), |_| ()).steps)).sum();
    (steps, start.elapsed().as_secs_f64())
}

/// Runs `side` on blocks of a thousand consecutive seeds until `SIMULATION_TIME` has passed: seeds run, steps,
/// seconds.
fn for_a_while(mut side: impl FnMut(Range<u64>) -> (u64, f64)) -> (u64, u64, f64) {
    let (mut runs, mut steps, mut seconds) = (0, 0, 0.0);
    while seconds < SIMULATION_TIME.as_secs_f64() {
        let (block_steps, block_seconds) = side(runs..runs + 1000);
        (runs, steps, seconds) = (runs + 1000, steps + block_steps, seconds + block_seconds);
    }
    (runs, steps, seconds)
}

fn peers() -> Result<(), String> {
    println!("peers, side by side, one thread each");
    println!("  stateright {}, proptest-state-machine {}", locked("stateright"), locked("proptest-state-machine"));
    exploration()?;
    testing()
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

    let (ours, ours_seconds) = timed(&options, 1);
    let ours_rate = ours.unique as f64 / ours_seconds;
    println!(
        "  sim::explore     {:>10} unique states, {:>10} transitions, {:>7.2} s, {:>10.0} states/s",
        ours.unique, ours.transitions, ours_seconds, ours_rate
    );
    // The same exploration with each level's states expanded on two threads (`explore --jobs 2`): the same report,
    // and how much faster.
    let (two, two_seconds) = timed(&options, 2);
    println!(
        "  sim::explore, 2 jobs {:>6} unique states, {:>10} transitions, {:>7.2} s, {:>10.0} states/s: {:.2}x one \
         job; same count: {}",
        two.unique,
        two.transitions,
        two_seconds,
        two.unique as f64 / two_seconds,
        ours_seconds / two_seconds,
        if (two.unique, two.transitions) == (ours.unique, ours.transitions) { "yes" } else { "NO" }
    );

    // The same exploration with partial-order reduction (`explore --reduce`, sleep sets): the same states, fewer
    // transitions taken.
    let reduced = Options { reduce: Some(sim::explore::reduce::footprint), ..options };
    let (sleeping, sleeping_seconds) = timed(&reduced, 1);
    let sleeping_rate = sleeping.unique as f64 / sleeping_seconds;
    println!(
        "  sim::explore --reduce {:>5} unique states, {:>10} transitions, {:>7.2} s, {:>10.0} states/s: {:.2}x \
         without; same count: {}",
        sleeping.unique,
        sleeping.transitions,
        sleeping_seconds,
        sleeping_rate,
        ours_seconds / sleeping_seconds,
        if sleeping.unique == ours.unique { "yes" } else { "NO" }
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
    println!("  ratio: sim::explore --reduce is {:.2}x stateright's unique states/s", sleeping_rate / theirs_rate);
    let ours_violations: u64 = ours.violations.iter().sum();
    println!(
        "  violations: sim::explore {ours_violations}, stateright {} transitions + {} final states",
        theirs.violations, theirs.stuck
    );
    all_profiles_sampled();
    Ok(())
}

/// Every 71st profile and the 41st (16 spread over the 1,024), explored at the default bound with liveness on and
/// `--reduce`, one thread each: their total time, and from it the time `explore --all-profiles --reduce --jobs 2`
/// would take (issue 17's target 4: under ten minutes).
fn all_profiles_sampled() {
    let indexes: Vec<u32> = (0..Profile::COUNT).step_by(71).chain([41]).collect();
    let start = Instant::now();
    let mut states = 0;
    for index in &indexes {
        let options = Options {
            reduce: Some(sim::explore::reduce::footprint),
            ..Options::new(Bound::DEFAULT, Profile::from_index(*index))
        };
        states += explore(&options).unique;
    }
    let seconds = start.elapsed().as_secs_f64();
    let estimate = seconds * f64::from(Profile::COUNT) / indexes.len() as f64 / 2.0;
    println!(
        "  {} profiles (indexes 0, 71, ... 994 and 41) at {}, liveness on, --reduce, one thread: {states} states in \
         {seconds:.1} s; all {} on two cores: about {:.0} min",
        indexes.len(),
        Bound::DEFAULT.short(),
        Profile::COUNT,
        estimate / 60.0
    );
}

fn testing() -> Result<(), String> {
    println!();
    println!("(b) random testing, every invariant on every step");

    let (runs, steps, seconds) = for_a_while(simulated);
    let sim_rate = steps as f64 / seconds;
    println!(
        "  Simulator::run           seeds 0..{runs}: {steps:>10} steps, {seconds:>6.2} s, {sim_rate:>10.0} steps/s \
         ({:.0} steps a run)",
        steps as f64 / runs as f64
    );
    let (runs, steps, seconds) = for_a_while(probed);
    let probe_rate = steps as f64 / seconds;
    println!(
        "  lean probe               seeds 0..{runs}: {steps:>10} steps, {seconds:>6.2} s, {probe_rate:>10.0} steps/s"
    );
    println!("  ratio: the lean probe takes the same steps {:.2}x as fast as Simulator::run", probe_rate / sim_rate);

    let max = proptest_machine::TRANSITIONS_MAX;
    let (walk_steps, walk_seconds) = proptest_machine::walk(PROPTEST_CASES, max)?;
    let walk_rate = walk_steps as f64 / walk_seconds;
    println!(
        "  walk (same draws)        {PROPTEST_CASES} cases of 1..={max}: {walk_steps:>10} steps, {walk_seconds:>6.2} s, \
         {walk_rate:>10.0} steps/s"
    );
    let (pt_steps, pt_seconds) = proptest_machine::run(PROPTEST_CASES, max)?;
    let pt_rate = pt_steps as f64 / pt_seconds;
    println!(
        "  proptest-state-machine   {PROPTEST_CASES} cases of 1..={max}: {pt_steps:>10} steps, {pt_seconds:>6.2} s, \
         {pt_rate:>10.0} steps/s"
    );
    println!(
        "  ratio: the walk is {:.2}x proptest-state-machine's steps/s, both drawing uniformly among the enabled \
         actions and paying State::step (the model and every invariant) once a step; proptest-state-machine also \
         builds a strategy a step and applies the model twice more (in its reference, generating and running)",
        walk_rate / pt_rate
    );
    Ok(())
}
