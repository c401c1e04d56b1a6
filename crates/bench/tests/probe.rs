//! The lean probe takes exactly the simulator's steps: on seeds 0..2000, the same actions in the same order, the
//! same step count, ticks and outcome as `Simulator::run`.

use std::hash::{DefaultHasher, Hash, Hasher};

use bench::probe::Probe;
use logoff_core::{Action, Effects, Mutant, NotEnabled};
use sim::simulate::{Config, Observer, Simulator};

/// A hash of the actions taken, in order.
#[derive(Default)]
struct Actions(DefaultHasher);

impl Observer for Actions {
    fn step(&mut self, _: u64, action: Action, _: &Effects) {
        action.hash(&mut self.0);
    }

    fn rejected(&mut self, _: u64, _: Action, _: NotEnabled) {}
}

/// Runs both on each configuration; returns the steps taken and the failing runs.
fn compare(configs: impl Iterator<Item = Config>) -> (u64, u32) {
    let (mut simulator, mut probe) = (Simulator::new(), Probe::new());
    let (mut steps, mut failing) = (0u64, 0u32);
    for config in configs {
        let seed = config.seed;
        let mut ours = Actions::default();
        let expected = simulator.run(&config, &mut ours);
        let mut theirs = DefaultHasher::new();
        let probed = probe.run(&config, |action| action.hash(&mut theirs));
        assert_eq!(
            (probed.steps, probed.ticks, probed.violation),
            (expected.steps, expected.ticks, expected.violation),
            "seed {seed}"
        );
        assert_eq!(theirs.finish(), ours.0.finish(), "the actions of seed {seed}");
        steps += u64::from(probed.steps);
        failing += u32::from(probed.violation.is_some());
    }
    (steps, failing)
}

#[test]
fn the_probe_takes_the_simulators_steps() {
    let (steps, failing) = compare((0..2000).map(|seed| Config::from_seed(seed, None)));
    println!("{steps} steps, {failing} failing runs");
    // Enough happened for the comparison to mean something.
    assert!(steps > 2000 * 20, "{steps} steps");
}

/// The same with the model's mistakes, so that the violations and the steps that break them are compared too.
#[test]
fn the_probe_finds_the_simulators_violations() {
    let mutants = Mutant::ALL.iter().copied().filter(|m| *m != Mutant::None);
    let configs =
        mutants.flat_map(|mutant| (0..100).map(move |seed| Config { mutant, ..Config::from_seed(seed, None) }));
    let (steps, failing) = compare(configs);
    println!("{steps} steps, {failing} failing runs");
    assert!(failing > 100, "{failing} failing runs");
}
