//! How much of the state space random simulation reaches: at a bound where exploration is exhaustive, the share
//! of the reachable model states and transitions that a sweep of N seeds visits, for N = 10^3, 10^4, ...
//!
//! The sweep's runs start from the bound's setup under the bound's profile, with at most the bound's messages
//! (each run's drawn outbound and inbound counts are cut to fit); everything else is drawn by each seed as in any
//! sweep. A run can still leave the bound (a client's plan may hold more references, another process may open more
//! often): such states are counted apart, as outside. States are compared by the model's packed encoding
//! (`Model::packed`); transitions by (state before, step, state after).

use logoff_core::*;

use crate::explore::{fingerprint, Bound, Fingerprints, Options, State};
use crate::simulate::{Config, Observer, Simulator};

/// The model states and transitions reachable within the bound, as fingerprints (sets looked up, never iterated:
/// only their sizes and memberships are reported).
pub struct Reachable {
    pub states: Fingerprints,
    pub transitions: Fingerprints,
}

/// Every model state and transition reachable within `bound` under `profile` (a breadth-first search over the
/// explorer's states, projected on the model).
pub fn reachable(bound: Bound, profile: Profile) -> Reachable {
    let options = Options::new(bound, profile);
    let start = State::initial(&options);
    // The explorer's own fingerprints of whole states decide what is new, as in `explore`.
    let mut seen = Fingerprints::default();
    seen.insert(start.fingerprint(false));
    let mut reachable = Reachable { states: Fingerprints::default(), transitions: Fingerprints::default() };
    reachable.states.insert(fingerprint(&start.model.packed()));
    let mut frontier = vec![start];
    let mut actions = Vec::new();
    while let Some(state) = frontier.pop() {
        state.actions(&bound, &mut actions);
        for action in &actions {
            let Ok(next) = state.step(*action) else { continue };
            let after = next.model.packed();
            reachable.states.insert(fingerprint(&after));
            reachable.transitions.insert(fingerprint(&(state.model.packed(), *action, after)));
            if seen.insert(next.fingerprint(false)) {
                frontier.push(next);
            }
        }
    }
    reachable
}

/// What the sweep has visited so far: every state and transition once, counted as it is first seen (so no set is
/// ever iterated).
struct Visited<'a> {
    reachable: &'a Reachable,
    states: Fingerprints,
    transitions: Fingerprints,
    states_inside: u64,
    transitions_inside: u64,
    outside: u64,
}

impl Visited<'_> {
    fn state(&mut self, state: u64) {
        if self.states.insert(state) {
            if self.reachable.states.contains(&state) {
                self.states_inside += 1;
            } else {
                self.outside += 1;
            }
        }
    }

    fn transition(&mut self, transition: u64) {
        if self.transitions.insert(transition) && self.reachable.transitions.contains(&transition) {
            self.transitions_inside += 1;
        }
    }
}

/// An observer that keeps its own copy of the model and records each state and transition a run visits.
struct Visits<'a, 'b> {
    model: Model,
    visited: &'a mut Visited<'b>,
}

impl Observer for Visits<'_, '_> {
    fn step(&mut self, _: u64, action: Action, _: &Effects) {
        let before = self.model.packed();
        if self.model.apply(action).is_ok() {
            let after = self.model.packed();
            self.visited.state(fingerprint(&after));
            self.visited.transition(fingerprint(&(before, action, after)));
        }
    }

    fn rejected(&mut self, _: u64, _: Action, _: NotEnabled) {}
}

/// The coverage after one number of seeds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Row {
    pub seeds: u64,
    /// Reachable states visited, and their share of all reachable states.
    pub states: u64,
    pub states_percent: f64,
    pub transitions: u64,
    pub transitions_percent: f64,
    /// States visited that are not reachable within the bound.
    pub outside: u64,
}

/// The configuration of seed `seed` for a coverage sweep: the seed's own draws, within the bound.
pub fn config(seed: u64, bound: Bound, profile: Profile) -> Config {
    let mut config = Config::from_seed(seed, Some(profile));
    config.setup = bound.setup();
    config.outbound = config.outbound.min(bound.messages);
    config.inbound = config.inbound.min(bound.messages - config.outbound);
    config
}

/// Sweeps seeds 0, 1, ... and reports the coverage of `reachable` after each count of `checkpoints` (increasing).
pub fn measure(bound: Bound, profile: Profile, reachable: &Reachable, checkpoints: &[u64]) -> Vec<Row> {
    let mut simulator = Simulator::new();
    let mut visited = Visited {
        reachable,
        states: Fingerprints::default(),
        transitions: Fingerprints::default(),
        states_inside: 0,
        transitions_inside: 0,
        outside: 0,
    };
    let start = Model::new(profile, bound.setup()).expect("a bound's setup is valid");
    visited.state(fingerprint(&start.packed()));
    let mut rows = Vec::new();
    let mut seed = 0;
    for &checkpoint in checkpoints {
        while seed < checkpoint {
            let config = config(seed, bound, profile);
            simulator.run(&config, &mut Visits { model: start, visited: &mut visited });
            seed += 1;
        }
        rows.push(Row {
            seeds: checkpoint,
            states: visited.states_inside,
            states_percent: 100.0 * visited.states_inside as f64 / reachable.states.len().max(1) as f64,
            transitions: visited.transitions_inside,
            transitions_percent: 100.0 * visited.transitions_inside as f64 / reachable.transitions.len().max(1) as f64,
            outside: visited.outside,
        });
    }
    rows
}
