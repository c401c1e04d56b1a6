//! The model of `sim::explore`, wrapped as a [`stateright::Model`] and checked by stateright's breadth-first
//! checker, single-threaded.
//!
//! The state is `sim::explore::State` itself (the model and the checker's shadow), the initial state and the
//! actions are the explorer's (`State::initial`, `State::actions` within the bound), and a step is
//! `State::step`: the model's `apply` followed by every invariant of `Checker::after_step`. Stateright deduplicates
//! by its own 64-bit fingerprint of the state's derived `Hash`, our explorer by its fingerprint of the packed
//! state: both count the same unique states (crates/bench/tests/peers.rs).
//!
//! **What is checked, and how.** Stateright's properties are predicates over states, and a step that breaks an
//! invariant has no next state (`next_state` returns `None`, as our explorer keeps no state past a violating
//! step). So the model counts the violating transitions itself (an atomic counter, touched only on a violation)
//! and keeps the first one (state, action, violation), and two `always` properties make stateright report them:
//!
//! - "no step breaks an invariant": no violating transition has been seen so far (it reads the counter: the path
//!   stateright gives for it leads to a state checked after the violation, not to it; `first_violation` is exact);
//! - "a final state has nothing pending": a state with nothing enabled within the bound passes `Checker::at_end`
//!   (no call blocked, no work left), the deadlock check our explorer makes at every terminal state.
//!
//! The second needs the state's actions, which stateright computes again for its own expansion: that is one more
//! `State::actions` per state than our explorer does, the price of stateright's property interface.
//!
//! Liveness from blocked states (our explorer's `liveness`) and symmetry have no counterpart here: compare with
//! `liveness: false, symmetry: false`.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use logoff_core::Action;
use sim::explore::{Options, State};
use sim::invariants::Violation;
use stateright::{Checker, HasDiscoveries, Model, Property};

/// The explorer's model as a stateright model.
pub struct LogoffModel {
    pub options: Options,
    /// Violating transitions seen so far.
    violations: AtomicU64,
    /// Final states that failed `Checker::at_end`.
    stuck: AtomicU64,
    /// The first violating transition seen.
    first: Mutex<Option<(State, Action, Violation)>>,
}

/// The names of the properties.
pub const NO_VIOLATION: &str = "no step breaks an invariant";
pub const NOTHING_PENDING_AT_END: &str = "a final state has nothing pending";

thread_local! {
    /// The actions buffer of the final-state property (a property is a plain function of the model and a state).
    static ACTIONS: RefCell<Vec<Action>> = const { RefCell::new(Vec::new()) };
}

impl LogoffModel {
    pub fn new(options: Options) -> LogoffModel {
        LogoffModel { options, violations: AtomicU64::new(0), stuck: AtomicU64::new(0), first: Mutex::new(None) }
    }

    /// Violating transitions seen so far.
    pub fn violations(&self) -> u64 {
        self.violations.load(Ordering::Relaxed)
    }

    /// Final states seen so far that failed `Checker::at_end`.
    pub fn stuck(&self) -> u64 {
        self.stuck.load(Ordering::Relaxed)
    }

    /// The first violating transition seen: the state it left, the step and what it broke.
    pub fn first_violation(&self) -> Option<(State, Action, Violation)> {
        *self.first.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn is_final_and_stuck(&self, state: &State) -> bool {
        ACTIONS.with_borrow_mut(|actions| {
            state.actions(&self.options.bound, actions);
            actions.is_empty() && state.checker.at_end(&state.model).is_err()
        })
    }
}

impl Model for LogoffModel {
    type State = State;
    type Action = Action;

    fn init_states(&self) -> Vec<State> {
        vec![State::initial(&self.options)]
    }

    fn actions(&self, state: &State, actions: &mut Vec<Action>) {
        state.actions(&self.options.bound, actions);
    }

    fn next_state(&self, state: &State, action: Action) -> Option<State> {
        match state.step(action) {
            Ok(next) => Some(next),
            Err(violation) => {
                if self.violations.fetch_add(1, Ordering::Relaxed) == 0 {
                    *self.first.lock().unwrap_or_else(|e| e.into_inner()) = Some((*state, action, violation));
                }
                None
            }
        }
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always(NO_VIOLATION, |model: &LogoffModel, _| model.violations() == 0),
            Property::always(NOTHING_PENDING_AT_END, |model: &LogoffModel, state| {
                if model.is_final_and_stuck(state) {
                    model.stuck.fetch_add(1, Ordering::Relaxed);
                    false
                } else {
                    true
                }
            }),
        ]
    }
}

/// What one run of stateright's checker found.
#[derive(Clone, Debug)]
pub struct StaterightReport {
    /// `Checker::unique_state_count`.
    pub unique: u64,
    /// `Checker::state_count`: the initial state and every transition that led to a state (a violating step
    /// leads to none).
    pub generated: u64,
    /// Violating transitions.
    pub violations: u64,
    /// Final states that failed `Checker::at_end`.
    pub stuck: u64,
    /// The properties stateright reports a discovery for.
    pub discoveries: Vec<&'static str>,
    pub first_violation: Option<(State, Action, Violation)>,
    pub seconds: f64,
}

/// Checks `options` with stateright's breadth-first checker on one thread, to the end: it does not stop at the
/// first discovery, so that every reachable state is visited, as our explorer does without `stop_at_first`.
pub fn check(options: Options) -> StaterightReport {
    let start = Instant::now();
    // "Any of no property" never holds: the checker runs until no state is left.
    let checker = LogoffModel::new(options)
        .checker()
        .threads(1)
        .finish_when(HasDiscoveries::AnyOf(BTreeSet::new()))
        .spawn_bfs()
        .join();
    let seconds = start.elapsed().as_secs_f64();
    let model = checker.model();
    let mut discoveries: Vec<&'static str> = checker.discoveries().into_keys().collect();
    discoveries.sort_unstable();
    StaterightReport {
        unique: checker.unique_state_count() as u64,
        generated: checker.state_count() as u64,
        violations: model.violations(),
        stuck: model.stuck(),
        discoveries,
        first_violation: model.first_violation(),
        seconds,
    }
}
