//! The model of `sim::explore` as a `proptest-state-machine` test.
//!
//! **The reference machine** ([`Reference`]) chooses what happens: its state is the options of the run (a bound
//! and a profile, drawn like the simulator's swarm draws a setup and a profile) and the model, and its transitions
//! are drawn uniformly from `State::actions` (the model's enabled actions within the bound), or `None` when
//! nothing is enabled. It applies them with `Model::apply` alone.
//!
//! **The system under test** ([`LogoffTest`]) is `sim::explore::State`, the model with the checker's shadow: each
//! transition is applied with `State::step`, which checks every invariant of `Checker::after_step`, and must break
//! none; a `None` transition (nothing enabled) must pass `Checker::at_end` (no call blocked, no work left). After
//! each transition the system's model must equal the reference's.
//!
//! Shrinking deletes transitions, so `preconditions` says again whether a transition is enabled (`Model::check`)
//! and within the bound.
//!
//! **What a step costs here.** proptest-state-machine generates a whole case before running it, so each step
//! lists the enabled actions (`State::actions`) and builds a strategy to draw from them, checks `preconditions`
//! and applies the model in the reference; running the case applies the reference again, then steps the system
//! (`Model::apply` a third time, and every invariant) and compares the two models. [`walk`] is the same test
//! without the framework: the same draws (a bound and a profile, a length, then uniformly among the enabled
//! actions), each step taken once with `State::step`. The ratio of the two is what proptest-state-machine adds
//! around the model and the checker they both pay.

use std::cell::Cell;
use std::time::Instant;

use logoff_core::*;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::BoxedStrategy;
use proptest::test_runner::{Config, FileFailurePersistence, TestRng, TestRunner};
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sim::explore::{Bound, Options, State};
use sim::invariants::Checker;

/// The reference machine and its state.
#[derive(Clone, Copy, Debug)]
pub struct Reference {
    pub options: Options,
    pub model: Model,
}

/// The largest bound drawn: messages named in all, references a client may hold.
pub const MESSAGES_DRAWN_MAX: u8 = 8;
pub const REFERENCES_DRAWN_MAX: u8 = 3;

/// A bound and a profile: every start the model accepts, every profile.
fn options() -> impl Strategy<Value = Options> {
    (
        1..=CLIENTS_MAX as u8,
        1..=TRANSPORTS_MAX as u8,
        any::<bool>(),
        0..=MESSAGES_DRAWN_MAX,
        0..=OTHER_PROCESSES_MAX,
        1..=REFERENCES_DRAWN_MAX,
        0..Profile::COUNT,
    )
        .prop_map(|(clients, transports, inbox, messages, other, references, profile)| {
            let bound = Bound { start: Setup { clients, transports, inbox, other: 0 }, messages, other, references };
            Options { liveness: false, ..Options::new(bound, Profile::from_index(profile)) }
        })
}

impl ReferenceStateMachine for Reference {
    type State = Reference;
    /// A step, or `None` when nothing is enabled within the bound.
    type Transition = Option<Action>;

    fn init_state() -> BoxedStrategy<Reference> {
        options().prop_map(|options| Reference { options, model: State::initial(&options).model }).boxed()
    }

    fn transitions(reference: &Reference) -> BoxedStrategy<Option<Action>> {
        let mut actions = Vec::new();
        // `State::actions` reads the model alone: the checker beside it here is a fresh one, never consulted.
        let state = State { model: reference.model, checker: Checker::new(&reference.model) };
        state.actions(&reference.options.bound, &mut actions);
        if actions.is_empty() {
            Just(None).boxed()
        } else {
            select(actions).prop_map(Some).boxed()
        }
    }

    fn apply(mut reference: Reference, transition: &Option<Action>) -> Reference {
        if let Some(action) = transition {
            reference.model.apply(*action).expect("only enabled steps are drawn");
        }
        reference
    }

    fn preconditions(reference: &Reference, transition: &Option<Action>) -> bool {
        match transition {
            Some(action) => {
                reference.model.check(*action).is_ok() && reference.options.bound.allows(&reference.model, *action)
            }
            None => {
                let mut actions = Vec::new();
                reference.model.enabled(&mut actions);
                !actions.iter().any(|action| reference.options.bound.allows(&reference.model, *action))
            }
        }
    }
}

/// The test: `sim::explore::State` stepped through the reference's transitions.
pub struct LogoffTest;

impl StateMachineTest for LogoffTest {
    type SystemUnderTest = State;
    type Reference = Reference;

    fn init_test(reference: &Reference) -> State {
        State::initial(&reference.options)
    }

    fn apply(state: State, _: &Reference, transition: Option<Action>) -> State {
        match transition {
            Some(action) => state.step(action).unwrap_or_else(|violation| panic!("{action} breaks {violation:?}")),
            None => {
                if let Err(violation) = state.checker.at_end(&state.model) {
                    panic!("nothing is enabled and {violation:?}");
                }
                state
            }
        }
    }

    fn check_invariants(state: &State, reference: &Reference) {
        assert_eq!(state.model, reference.model, "the system's model follows the reference's");
    }
}

/// Transitions per case: from 1 to this many.
pub const TRANSITIONS_MAX: usize = 64;

/// Runs `cases` cases of at most `transitions_max` transitions each, from proptest's deterministic generator, on
/// this thread. Returns the steps taken (transitions that are actions; `None` transitions are not steps) and the
/// seconds it took, generation included, or proptest's failure.
pub fn run(cases: u32, transitions_max: usize) -> Result<(u64, f64), String> {
    let config =
        Config { cases, failure_persistence: Some(Box::new(FileFailurePersistence::Off)), ..Config::default() };
    let mut runner = TestRunner::new_with_rng(config.clone(), TestRng::deterministic_rng(config.rng_algorithm));
    let steps = Cell::new(0u64);
    let strategy = Reference::sequential_strategy(1..=transitions_max);
    let start = Instant::now();
    runner
        .run(&strategy, |(initial, transitions, seen)| {
            steps.set(steps.get() + transitions.iter().filter(|t| t.is_some()).count() as u64);
            LogoffTest::test_sequential(config.clone(), initial, transitions, seen);
            Ok(())
        })
        .map_err(|error| error.to_string())?;
    Ok((steps.get(), start.elapsed().as_secs_f64()))
}

/// Runs `cases` cases of [`run`]'s test without proptest-state-machine, from a seeded generator, on this thread:
/// each draws a bound and a profile over the same ranges and a length from 1 to `transitions_max`, then at each
/// transition steps `State::step` with an action drawn uniformly from `State::actions`, or, when none is enabled,
/// checks `Checker::at_end`. Returns the steps taken and the seconds it took, or the first violation.
pub fn walk(cases: u32, transitions_max: usize) -> Result<(u64, f64), String> {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let mut actions = Vec::new();
    let mut steps = 0u64;
    let start = Instant::now();
    for _ in 0..cases {
        let start = Setup {
            clients: rng.random_range(1..=CLIENTS_MAX as u8),
            transports: rng.random_range(1..=TRANSPORTS_MAX as u8),
            inbox: rng.random(),
            other: 0,
        };
        let (messages, other) = (rng.random_range(0..=MESSAGES_DRAWN_MAX), rng.random_range(0..=OTHER_PROCESSES_MAX));
        let bound = Bound { start, messages, other, references: rng.random_range(1..=REFERENCES_DRAWN_MAX) };
        let profile = Profile::from_index(rng.random_range(0..Profile::COUNT));
        let options = Options { liveness: false, ..Options::new(bound, profile) };
        let mut state = State::initial(&options);
        for _ in 0..rng.random_range(1..=transitions_max) {
            state.actions(&options.bound, &mut actions);
            if actions.is_empty() {
                state
                    .checker
                    .at_end(&state.model)
                    .map_err(|violation| format!("nothing is enabled and {violation}"))?;
                continue;
            }
            let action = actions[rng.random_range(0..actions.len())];
            state = state.step(action).map_err(|violation| format!("{action} breaks {violation}"))?;
            steps += 1;
        }
    }
    Ok((steps, start.elapsed().as_secs_f64()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest_state_machine::prop_state_machine;

    prop_state_machine! {
        #![proptest_config(Config { cases: 32, failure_persistence: None, ..Config::default() })]

        #[test]
        fn the_checked_model_follows_the_reference(sequential 1..TRANSITIONS_MAX => LogoffTest);
    }

    #[test]
    fn the_benchmark_function_counts_steps() {
        let (steps, seconds) = run(8, 16).expect("the reference model breaks no invariant");
        assert!(steps > 0 && seconds >= 0.0);
    }

    /// The walk takes about as many steps a case as proptest-state-machine does (both draw the same lengths and
    /// stop stepping only when nothing is enabled).
    #[test]
    fn the_walk_takes_proptests_steps_a_case() {
        let cases = 2000;
        let (walked, _) = walk(cases, TRANSITIONS_MAX).expect("the model breaks no invariant");
        let (proptested, _) = run(cases, TRANSITIONS_MAX).expect("the model breaks no invariant");
        let (walked, proptested) = (walked as f64 / f64::from(cases), proptested as f64 / f64::from(cases));
        println!("steps a case: walk {walked:.1}, proptest-state-machine {proptested:.1}");
        assert!((walked - proptested).abs() < 0.1 * proptested, "walk {walked:.1}, proptest {proptested:.1}");
    }
}
