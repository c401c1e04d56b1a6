//! Witnesses of the contradictions between the pages: the shortest script whose observable results differ between
//! two readings (two profiles), found by a breadth-first exploration of the product of the two models.
//!
//! Both models take the same step from the same start. What is observable of a step is what a script can expect:
//! whether the step is enabled, its effects (StoreLogoffTransports called and returned with their flags, returns
//! of client calls with HRESULT and flags, every call concerning a transport, reception disabled, the store
//! released or invalidated), and afterwards each message's state, the store's phase, reception and each
//! transport's phase. The first step, in breadth-first order, after which the two differ ends the witness: no
//! shorter script tells the two readings apart within the bound.
//!
//! The witness is written as a script under the first reading: its steps, then the expectations that hold under
//! it and not under the second (so the script passes under the first profile and fails under the second), with
//! the second reading's results as comments.

use logoff_core::*;

use crate::explore::{fingerprint, path, Bound, Fingerprints};
use crate::observe::Observed;
use crate::script::{Expectation, Script};
use crate::seedfile::final_expectations;

/// A shortest script that tells two readings apart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Witness {
    pub first: Profile,
    pub second: Profile,
    pub bound: Bound,
    pub steps: Vec<Action>,
}

/// What one model observably did at one step: rejected, or applied with these effects and this state after.
#[derive(PartialEq, Eq)]
enum Seen {
    Rejected,
    Applied { effects: Vec<Effect>, after: Observable },
}

/// The parts of a model's state that a script can expect.
#[derive(PartialEq, Eq)]
struct Observable {
    messages: Messages,
    store: StorePhase,
    reception: bool,
    transports: [Option<TransportState>; TRANSPORTS_MAX],
}

fn observable(model: &Model) -> Observable {
    Observable {
        messages: *model.messages(),
        store: model.store_phase(),
        reception: model.reception_enabled(),
        transports: std::array::from_fn(|i| model.transport(TransportId(i as u8)).copied()),
    }
}

/// Applies `action` to `model` (when enabled) and says what a script would see.
fn take(model: &mut Model, action: Action) -> Seen {
    match model.apply(action) {
        Err(_) => Seen::Rejected,
        Ok(effects) => Seen::Applied { effects: effects.as_slice().to_vec(), after: observable(model) },
    }
}

/// The shortest script within `bound` after which the readings `first` and `second` observably differ, or `None`
/// if none does within the bound (at most `states_max` pairs of states).
pub fn diff(first: Profile, second: Profile, bound: Bound, states_max: u64) -> Option<Witness> {
    let setup = bound.setup();
    let start = (
        Model::new(first, setup).expect("a bound's setup is valid"),
        Model::new(second, setup).expect("a bound's setup is valid"),
    );
    let key = |pair: &(Model, Model)| fingerprint(&(pair.0.packed(), pair.1.packed()));
    let mut seen = Fingerprints::default();
    seen.insert(key(&start));
    let mut parents: Vec<(u32, Action)> = vec![(u32::MAX, Action::OtherOpen)];
    let mut frontier = vec![(start, 0u32)];
    let mut next_frontier = Vec::new();
    let (mut enabled_first, mut enabled_second) = (Vec::new(), Vec::new());
    while !frontier.is_empty() {
        for ((a, b), id) in frontier.drain(..) {
            a.enabled(&mut enabled_first);
            b.enabled(&mut enabled_second);
            // A step enabled in either reading is taken in both: enabled in one only is itself a difference.
            let extra: Vec<Action> =
                enabled_second.iter().filter(|action| !enabled_first.contains(action)).copied().collect();
            for action in enabled_first.iter().chain(&extra).copied() {
                if !bound.allows(&a, action) && !bound.allows(&b, action) {
                    continue;
                }
                let (mut next_a, mut next_b) = (a, b);
                if take(&mut next_a, action) != take(&mut next_b, action) {
                    return Some(Witness { first, second, bound, steps: path(&parents, id, Some(action)) });
                }
                let pair = (next_a, next_b);
                if seen.insert(key(&pair)) {
                    let next_id = u32::try_from(parents.len()).expect("fewer than 2^32 pairs");
                    parents.push((id, action));
                    next_frontier.push((pair, next_id));
                    if parents.len() as u64 >= states_max {
                        return None;
                    }
                }
            }
        }
        std::mem::swap(&mut frontier, &mut next_frontier);
    }
    None
}

/// What a script can expect after `steps` under `profile`: the steps' own `expect rejected` lines aside, the
/// expectations of `seedfile::final_expectations`, and whether the last step was rejected.
fn outcome(profile: Profile, setup: Setup, steps: &[Action]) -> (Vec<Expectation>, bool) {
    let mut model = Model::new(profile, setup).expect("a bound's setup is valid");
    let mut observed = Observed::new();
    let mut last_rejected = false;
    for action in steps {
        match model.apply(*action) {
            Ok(effects) => {
                observed.record(*action, &effects);
                last_rejected = false;
            }
            Err(_) => last_rejected = true,
        }
    }
    (final_expectations(&model, &observed), last_rejected)
}

impl Witness {
    /// The witness as a script under the first reading: its steps (the last followed by `expect rejected` if the
    /// first reading rejects it), then the expectations that hold under the first reading and not the second.
    pub fn script(&self, file: &str) -> Script {
        let setup = self.bound.setup();
        let (first, first_rejected) = outcome(self.first, setup, &self.steps);
        let (second, _) = outcome(self.second, setup, &self.steps);
        let mut script = Script::new(file, self.first, setup);
        for action in &self.steps {
            script.push_step(*action);
        }
        if first_rejected {
            script.push_expectation(Expectation::Rejected);
        }
        for expectation in first.into_iter().filter(|e| !second.contains(e)) {
            script.push_expectation(expectation);
        }
        script
    }

    /// The witness as a file: a header naming the two readings and what the second one gives instead, then
    /// [`Witness::script`].
    pub fn text(&self, file: &str) -> String {
        let setup = self.bound.setup();
        let (first, _) = outcome(self.first, setup, &self.steps);
        let (second, second_rejected) = outcome(self.second, setup, &self.steps);
        let differing: Vec<String> = self
            .first
            .values()
            .iter()
            .zip(self.second.values())
            .zip(Profile::KNOBS)
            .filter(|((a, b), _)| *a != b)
            .map(|((a, b), knob)| format!("{knob}={a} against {knob}={b}"))
            .collect();
        let mut text = format!(
            "# Witness found by `logoff-sim diff`: the shortest script after which the readings\n\
             # {} part, within the bound\n# {}.\n\
             # The script passes under the profile below and fails under the other reading.\n",
            differing.join(", "),
            self.bound
        );
        if second_rejected {
            text.push_str("# Under the other reading the last step is not enabled.\n");
        }
        for expectation in second.iter().filter(|e| !first.contains(e)) {
            text.push_str(&format!("# Under the other reading instead: {expectation}\n"));
        }
        text.push_str(&self.script(file).to_string());
        text
    }
}

/// The witness of one knob: its two values, the other knobs at their defaults; if those do not tell the two values
/// apart within `bound`, the other knobs one at a time at their second value, in the order of `Profile::KNOBS`.
pub fn diff_knob(knob: usize, bound: Bound, states_max: u64) -> Option<Witness> {
    let flip = 1u32 << knob;
    let bases =
        std::iter::once(0).chain((0..Profile::KNOBS.len()).filter(|other| *other != knob).map(|other| 1 << other));
    bases
        .map(|base: u32| (Profile::from_index(base), Profile::from_index(base | flip)))
        .find_map(|(first, second)| diff(first, second, bound, states_max))
}
