//! Partial-order reduction (`explore --reduce`, `sim::explore::reduce`): that every pair of steps its relation
//! calls independent commutes, with the same verdicts, in every reachable state of small bounds, for the reference
//! model and every mutant; and that reduction changes no verdict, no count of states, no shortest counterexample
//! length and no witness, for the reference model under all 1,024 profiles and every mutant under twelve, at small
//! bounds. Each check is shown to fail with a relation that is wrong.

use std::collections::HashSet;

use logoff_core::{Action, Effects, Model, Mutant, Profile};
use rayon::prelude::*;
use sim::explore::reduce::{self, Footprints};
use sim::explore::{explore, explore_on, Bound, Options, Report, State};
use sim::invariants::{apply_checked, Violation};

/// A step taken in place, with its effects and verdict.
fn step(state: &State, action: Action) -> (State, Effects, Option<Violation>) {
    let mut next = *state;
    let mut broken = None;
    let effects = apply_checked(&state.model, &mut next.model, &mut next.checker, action, &mut broken, Model::apply)
        .expect("only enabled steps are taken");
    (next, effects, broken)
}

/// The first pair of steps, in some reachable state of `options`, that `footprints` make independent and that is
/// not a diamond: each step enabled (within the bound) after the other, taking them in either order reaching the
/// same state, each step's verdict and locality the same before and after the other.
fn broken_diamond(options: &Options, footprints: Footprints) -> Option<String> {
    let root = State::initial(options);
    let mut seen = HashSet::from([root]);
    let mut frontier = vec![root];
    let (mut here, mut there) = (Vec::new(), Vec::new());
    while let Some(state) = frontier.pop() {
        state.actions(&options.bound, &mut here);
        let steps: Vec<_> = here.iter().map(|a| (*a, step(&state, *a))).collect();
        for (_, (next, _, broken)) in &steps {
            if broken.is_none() && seen.insert(*next) {
                frontier.push(*next);
            }
        }
        if !reduce::quiet(&state.model) {
            continue;
        }
        let mutant = state.model.mutant();
        for (i, (a, (after_a, effects_a, verdict_a))) in steps.iter().enumerate() {
            for (b, (after_b, effects_b, verdict_b)) in &steps[i + 1..] {
                if !(reduce::local(*a, effects_a)
                    && reduce::local(*b, effects_b)
                    && reduce::independent(footprints, mutant, *a, *b))
                {
                    continue;
                }
                // A step that breaks an invariant ends its run there: what follows it is never explored.
                let pair = || format!("`{a}` and `{b}` in {:?}", state.model);
                let mut after_both = [None, None];
                for (k, (first, after_first, verdict_first, second, effects_second, verdict_second)) in
                    [(a, after_a, verdict_a, b, effects_b, verdict_b), (b, after_b, verdict_b, a, effects_a, verdict_a)]
                        .into_iter()
                        .enumerate()
                {
                    if verdict_first.is_some() {
                        continue;
                    }
                    after_first.actions(&options.bound, &mut there);
                    if !there.contains(second) {
                        return Some(format!("{}: `{second}` is not enabled after `{first}`", pair()));
                    }
                    let (next, effects, verdict) = step(after_first, *second);
                    if verdict != *verdict_second {
                        return Some(format!(
                            "{}: the verdict of `{second}` is {verdict_second:?} before `{first}`, {verdict:?} after",
                            pair()
                        ));
                    }
                    if reduce::local(*second, &effects) != reduce::local(*second, effects_second) {
                        return Some(format!("{}: `{second}` returns at once on one side of `{first}` only", pair()));
                    }
                    after_both[k] = verdict.is_none().then_some(next);
                }
                if let [Some(ab), Some(ba)] = after_both {
                    if ab != ba {
                        return Some(format!("{}: the two orders reach different states", pair()));
                    }
                }
            }
        }
    }
    None
}

/// One client, two transports, one message, one other process, two references: every kind of step (AddRef
/// needs the second reference, and a Release that returns at once too), and two transports side by side.
const SMALL: Bound = Bound::new(1, 2, 1, 1, 2);
/// One client, two transports, two messages, no other process, one reference: two messages side by side.
const MESSAGES: Bound = Bound::new(1, 2, 2, 0, 1);
/// Two clients, two transports, one message, no other process, two references each: two clients side by side.
const CLIENTS: Bound = Bound::new(2, 2, 1, 0, 2);
/// Two clients, two transports, two messages, no other process, two references each.
const LARGER: Bound = Bound::new(2, 2, 2, 0, 2);

/// The reference model and every mutant.
fn models() -> Vec<Mutant> {
    std::iter::once(Mutant::None).chain(Mutant::ALL.iter().copied()).collect()
}

/// The default profile, each knob flipped, and every knob flipped.
fn some_profiles() -> Vec<Profile> {
    let mut indexes: Vec<u32> = (0..Profile::KNOBS.len()).map(|knob| 1 << knob).collect();
    indexes.extend([0, Profile::COUNT - 1]);
    indexes.into_iter().map(Profile::from_index).collect()
}

/// Every pair (model, profile) of `models` and `profiles`.
fn cases(models: &[Mutant], profiles: &[Profile]) -> Vec<(Mutant, Profile)> {
    models.iter().flat_map(|m| profiles.iter().map(move |p| (*m, *p))).collect()
}

/// Checks every independent pair of every reachable state of `bound` in every case.
fn diamonds(bound: Bound, cases: &[(Mutant, Profile)]) {
    let broken: Vec<String> = cases
        .par_iter()
        .filter_map(|(mutant, profile)| {
            let options = Options { mutant: *mutant, ..Options::new(bound, *profile) };
            broken_diamond(&options, reduce::footprint).map(|why| format!("{mutant} under '{profile}': {why}"))
        })
        .collect();
    assert!(broken.is_empty(), "{} cases are not diamonds; the first: {}", broken.len(), broken[0]);
}

/// Every model under the default profile at the small bound and at the bound of two messages; the reference model
/// under each knob flipped and all flipped at the small bound, and under the default profile at the bound of two
/// clients.
/// (Wider, once, see docs/MODEL.md.)
#[test]
fn every_pair_called_independent_is_a_diamond_under_every_mutant() {
    diamonds(SMALL, &cases(&models(), &[Profile::default()]));
    diamonds(MESSAGES, &cases(&models(), &[Profile::default()]));
    diamonds(SMALL, &cases(&[Mutant::None], &some_profiles()));
    diamonds(CLIENTS, &cases(&[Mutant::None], &[Profile::default()]));
}

/// The check above can fail: a relation that calls every two steps independent is caught.
#[test]
fn a_relation_that_calls_everything_independent_is_not_a_diamond() {
    let everything: Footprints = |_, _| Some(0);
    let why = broken_diamond(&Options::new(LARGER, Profile::default()), everything);
    assert!(why.is_some(), "a relation calling AddRef and Release independent passed the diamond check");
}

/// What reduction must not change: every count of states, the verdict and the shortest counterexample of each
/// invariant, and the witness (the steps of the counterexample).
fn summary(report: &Report) -> impl PartialEq + std::fmt::Debug {
    let first: Vec<_> =
        report.first.iter().map(|c| c.as_ref().map(|c| (c.violation.invariant, c.steps.clone()))).collect();
    let verdicts: Vec<bool> = report.violations.iter().map(|n| *n > 0).collect();
    (report.unique, report.depth, report.terminal, report.blocked, report.complete, verdicts, first)
}

/// The first mutant and profile at `bound` under which exploring with `relation` differs from exploring
/// without reduction, with both summaries.
fn first_difference(bound: Bound, footprints: Footprints, cases: &[(Mutant, Profile)]) -> Option<String> {
    cases.par_iter().find_map_first(|(mutant, profile)| {
        let plain = Options { mutant: *mutant, ..Options::new(bound, *profile) };
        let reduced = Options { reduce: Some(footprints), ..plain };
        let (plain, reduced) = (explore(&plain), explore(&reduced));
        let (a, b) = (summary(&plain), summary(&reduced));
        (a != b).then(|| format!("{mutant} under '{profile}':\nwithout: {a:?}\nwith:    {b:?}"))
    })
}

/// One client, one transport, one message, one other process, two references: small enough for every profile.
const TINY: Bound = Bound::new(1, 1, 1, 1, 2);

/// The reference model under every profile at the tiny bound; every model under the default profile, each knob
/// flipped and all flipped at the small bound; every model under the default profile at the larger bound.
#[test]
fn reduction_changes_no_verdict_count_or_witness_for_any_mutant_or_profile() {
    let every: Vec<Profile> = (0..Profile::COUNT).map(Profile::from_index).collect();
    let difference = first_difference(TINY, reduce::footprint, &cases(&[Mutant::None], &every));
    assert!(difference.is_none(), "{}", difference.unwrap_or_default());
    let difference = first_difference(SMALL, reduce::footprint, &cases(&models(), &some_profiles()));
    assert!(difference.is_none(), "{}", difference.unwrap_or_default());
    let difference = first_difference(LARGER, reduce::footprint, &cases(&models(), &[Profile::default()]));
    assert!(difference.is_none(), "{}", difference.unwrap_or_default());
}

/// The comparison above can fail: with a wrong relation, some state, verdict or witness is lost.
#[test]
fn a_wrong_relation_changes_what_the_explorer_finds() {
    let everything: Footprints = |_, _| Some(0);
    assert!(first_difference(LARGER, everything, &[(Mutant::None, Profile::default())]).is_some());
}

/// With reduction, the report is the same on any number of jobs, field for field, at a bound whose levels span
/// several batches, for the reference model and for a mutant it catches.
#[test]
fn reduction_gives_the_same_report_on_any_number_of_jobs() {
    for mutant in [Mutant::None, Mutant::ReceptionNotDisabled] {
        let options = Options {
            mutant,
            reduce: Some(reduce::footprint),
            ..Options::new(Bound::new(2, 2, 2, 1, 1), Profile::default())
        };
        same_report_on_any_number_of_jobs(&options);
    }
}

fn same_report_on_any_number_of_jobs(options: &Options) {
    let key = |report: &Report| {
        let counts = (report.unique, report.transitions, report.depth, report.terminal, report.blocked);
        let first: Vec<_> = report.first.iter().map(|c| c.as_ref().map(|c| c.steps.clone())).collect();
        let reduction = (report.slept, report.reexpanded, report.bytes_per_state.to_bits());
        (counts, report.violations, first, reduction)
    };
    let one = explore_on(options, 1);
    assert!(one.slept > 0 && one.reexpanded > 0, "the bound exercises sleeping and re-expansion");
    assert_eq!(one.failing(), options.mutant != Mutant::None, "{}", options.mutant);
    for jobs in [2, 3] {
        assert_eq!(key(&one), key(&explore_on(options, jobs)), "{} on {jobs} jobs", options.mutant);
    }
}
