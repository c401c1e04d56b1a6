//! Witnesses of the contradictions between the pages: the shortest script whose observable results differ between
//! two readings (two profiles), found by a breadth-first exploration of the product of the two models.
//!
//! **Every setup within the bound is searched.** A bound's setup is the largest one searched: every setup with 1 up
//! to its clients, 0 up to its transports, without the Inbox and (if the bound's setup holds it) with it, and 0 up
//! to the bound's `other` processes holding the store open at the start ([`setups`]). All of them start the one
//! breadth-first search together, as its first level, in the order of [`setups`]; a state is remembered with its
//! setup's clients, transports and Inbox. (Not with the other processes open at the start: the model reads them
//! only to start from, and its packed state counts the other processes open now, so two setups that differ only
//! there behave alike from equal states; a state is kept from the first setup, in that order, that reaches it, at
//! its shortest distance.) The frontier of each level stays in the order of the setups its states come from. The
//! search ends at the first level where a step tells the readings apart, so the witness is the shortest over all
//! those setups, and among the shortest it starts from the first setup of that order (fewest clients, then fewest
//! transports, then without the Inbox, then fewest other processes).
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

use crate::explore::{fingerprint, Bound, Fingerprints};
use crate::observe::Observed;
use crate::script::{Expectation, Script};
use crate::seedfile::final_expectations;

/// A shortest script that tells two readings apart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Witness {
    pub first: Profile,
    pub second: Profile,
    /// The bound searched: its setup is the largest one of [`setups`].
    pub bound: Bound,
    /// The setup the witness starts from, one of [`setups`]`(&bound)`.
    pub setup: Setup,
    pub steps: Vec<Action>,
}

/// The setups a search within `bound` starts from, smallest first: ordered by clients (1 up to the bound's), then
/// transports (0 up to the bound's), then the Inbox (without it first; with it only if the bound's setup holds it),
/// then other processes holding the store open at the start (0 up to `bound.other`).
pub fn setups(bound: &Bound) -> Vec<Setup> {
    let start = bound.start;
    let inboxes: &[bool] = if start.inbox { &[false, true] } else { &[false] };
    let mut setups = Vec::new();
    for clients in 1..=start.clients {
        for transports in 0..=start.transports {
            for inbox in inboxes {
                for other in 0..=bound.other.max(start.other) {
                    setups.push(Setup { clients, transports, inbox: *inbox, other });
                }
            }
        }
    }
    setups
}

/// The bound searched, in words: the largest setup and the growth limits.
pub fn searched(bound: &Bound) -> String {
    let Bound { start, messages, other, references } = bound;
    format!(
        "clients=1..{} transports=0..{} inbox={} other-at-start=0..{} messages={messages} other={other} \
         references={references}",
        start.clients,
        start.transports,
        if start.inbox { "no,yes" } else { "no" },
        other.max(&start.other)
    )
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

/// The shortest script, from any of the [`setups`] of `bound`, after which the readings `first` and `second`
/// observably differ (among the shortest, the one from the first setup in that order, then the first in
/// breadth-first order), or `None` if none does within the bound (at most `states_max` pairs of states in all).
pub fn diff(first: Profile, second: Profile, bound: Bound, states_max: u64) -> Option<Witness> {
    let setups = setups(&bound);
    // The packed state leaves the setup out: a state is remembered with the setup's clients, transports and Inbox
    // (the other processes at the start only start the count that the packed state holds).
    let key = |setup: usize, pair: &(Model, Model)| {
        let Setup { clients, transports, inbox, other: _ } = setups[setup];
        fingerprint(&(clients, transports, inbox, pair.0.packed(), pair.1.packed()))
    };
    let mut seen = Fingerprints::default();
    // parents[id] = (the state it was first reached from, the step, its setup); the starts are their own parents.
    let mut parents: Vec<(u32, Action, usize)> = Vec::new();
    let mut frontier = Vec::new();
    for (index, setup) in setups.iter().enumerate() {
        let start = (
            Model::new(first, *setup).expect("a bound's setup is valid"),
            Model::new(second, *setup).expect("a bound's setup is valid"),
        );
        seen.insert(key(index, &start));
        let id = u32::try_from(parents.len()).expect("fewer than 2^32 pairs");
        parents.push((id, Action::OtherOpen, index));
        frontier.push((start, id));
    }
    let mut next_frontier = Vec::new();
    let (mut enabled_first, mut enabled_second) = (Vec::new(), Vec::new());
    while !frontier.is_empty() {
        for ((a, b), id) in frontier.drain(..) {
            let setup = parents[id as usize].2;
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
                    let mut steps = vec![action];
                    let mut at = id;
                    while parents[at as usize].0 != at {
                        steps.push(parents[at as usize].1);
                        at = parents[at as usize].0;
                    }
                    steps.reverse();
                    return Some(Witness { first, second, bound, setup: setups[setup], steps });
                }
                let pair = (next_a, next_b);
                if seen.insert(key(setup, &pair)) {
                    let next_id = u32::try_from(parents.len()).expect("fewer than 2^32 pairs");
                    parents.push((id, action, setup));
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
        let setup = self.setup;
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
        let setup = self.setup;
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
             # {} part, over every setup within the bound\n# {}\n\
             # (among the shortest, the one from the smallest setup: fewest clients, then transports, then no\n\
             # Inbox, then other processes). It passes under the profile below and fails under the other reading.\n",
            differing.join(", "),
            searched(&self.bound)
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
