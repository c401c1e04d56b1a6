//! The seeded simulator: determinism, the sweep's independence from the number of jobs, emitted scripts that
//! reproduce their runs, and a 100,000-seed sweep that is clean and reaches every coverage item.

use logoff_core::Profile;
use sim::coverage::Sometimes;
use sim::liveness::verify_script;
use sim::seedfile::script_of;
use sim::simulate::{Config, Simulator};
use sim::sweep::{sweep, Summary};
use sim::trace::Trace;

fn traced(seed: u64, profile: Option<Profile>) -> (Trace, sim::simulate::Outcome) {
    let config = Config::from_seed(seed, profile);
    let mut trace = Trace::default();
    let outcome = Simulator::new().run(&config, &mut trace);
    (trace, outcome)
}

fn quiet_sweep(seeds: std::ops::Range<u64>, jobs: usize, profile: Option<Profile>) -> Summary {
    sweep(seeds, jobs, profile, logoff_core::Mutant::None, &|failure| {
        panic!("seed {} broke {}", failure.config.seed, failure.violation);
    })
    .expect("a thread pool")
}

/// Shows that the same seed gives the same trace, byte for byte, whether the simulator is new or reused.
#[test]
fn a_seed_gives_the_same_trace_every_time() {
    let mut reused = Simulator::new();
    for seed in 0..300 {
        let (first, outcome) = traced(seed, None);
        let config = Config::from_seed(seed, None);
        let mut second = Trace::default();
        let again = reused.run(&config, &mut second);
        assert_eq!(first.text(), second.text(), "seed {seed}");
        assert_eq!(first.hash(), second.hash(), "seed {seed}");
        assert_eq!(outcome, again, "seed {seed}");
        assert!(!first.steps.is_empty(), "seed {seed} took no step");
    }
}

/// Shows that different seeds give different runs (the seed really drives the run).
#[test]
fn different_seeds_give_different_traces() {
    let hashes: std::collections::BTreeSet<u64> = (0..200).map(|seed| traced(seed, None).0.hash()).collect();
    assert!(hashes.len() > 190, "only {} distinct traces in 200 seeds", hashes.len());
}

/// Shows that the sweep's summary is the same with one job and with two.
#[test]
fn a_sweep_summary_does_not_depend_on_the_number_of_jobs() {
    let one = quiet_sweep(0..20_000, 1, None);
    let two = quiet_sweep(0..20_000, 2, None);
    assert_eq!(one, two);
    assert_eq!(one.runs, 20_000);
    let eager: Profile = "call_site=eager".parse().unwrap();
    assert_eq!(quiet_sweep(5..3_000, 1, Some(eager)), quiet_sweep(5..3_000, 2, Some(eager)));
}

/// Shows that a run's emitted script replays with every step enabled and every invariant and final expectation
/// holding, and that a script with one final expectation changed fails.
#[test]
fn emitted_scripts_reproduce_their_runs() {
    for seed in 0..300 {
        let config = Config::from_seed(seed, None);
        let (trace, outcome) = traced(seed, None);
        assert!(outcome.violation.is_none());
        let script = script_of(&config, &trace, "emitted.scn");
        let reparsed = sim::script::parse(script.to_string().as_bytes(), "emitted.scn").expect("emitted scripts parse");
        assert_eq!(reparsed, script, "seed {seed}: the script does not read back as written");
        let steps = verify_script(&script).unwrap_or_else(|e| panic!("seed {seed}: {e}")).steps;
        assert!(steps >= trace.steps.len(), "seed {seed}");
    }
    let config = Config::from_seed(7, None);
    let text = script_of(&config, &traced(7, None).0, "emitted.scn").to_string();
    let altered = text.replace("expect store destroyed", "expect store open");
    assert_ne!(altered, text);
    let script = sim::script::parse(altered.as_bytes(), "altered.scn").unwrap();
    assert!(verify_script(&script).unwrap_err().to_string().contains("expectation failed"));
}

/// Shows that 100,000 seeds with drawn profiles break no invariant and reach every coverage item, including
/// every value of every knob.
#[test]
fn a_100k_seed_sweep_is_clean_and_reaches_everything() {
    let summary = quiet_sweep(0..100_000, 2, None);
    assert_eq!(summary.failing_runs(), 0);
    for what in Sometimes::ALL {
        assert!(summary.coverage.count(what) > 0, "no run reached: {}", what.name());
    }
    for (i, count) in summary.coverage.knob_values.iter().enumerate() {
        assert!(*count > 0, "knob value {i} was never exercised");
    }
}

/// Shows that each of the ten profiles that flip one knob sweeps clean, and `call_site=eager,eager_shared=defer`
/// (A10 changes nothing under `deferred`, so its one-knob profile is the default's behaviour).
#[test]
fn every_single_knob_profile_sweeps_clean() {
    let eager_defer = Profile::from_index(1 | 1 << 9);
    for profile in (0..Profile::KNOBS.len()).map(|knob| Profile::from_index(1 << knob)).chain([eager_defer]) {
        let summary = quiet_sweep(0..5_000, 2, Some(profile));
        assert_eq!(summary.failing_runs(), 0, "{profile}");
    }
}
