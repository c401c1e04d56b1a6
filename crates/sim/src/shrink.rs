//! Shrinking: a failing run reduced to a shortest script that still breaks the same invariant, every step enabled.
//!
//! The steps of the run (client calls, arrivals, completions and the fault choices: failed sends, TransportLogoff,
//! its outcome, flushes, other processes) are reduced by delta debugging (ddmin over complements), then by
//! removing single steps until no step can go (the result is 1-minimal). Removing a step can disable later ones (a
//! send whose submit is gone): each candidate is first replayed with the steps that are no longer enabled dropped
//! as well, so a whole dependent group goes at once and every step of the result is enabled. A candidate counts
//! only if the replay, with every invariant after every step and liveness after the last, breaks the target
//! invariant.

use logoff_core::*;

use crate::invariants::{Checker, Invariant};
use crate::liveness::settle_with;
use crate::role::Provider;
use crate::script::{ItemKind, Script};

/// The most candidate replays one shrink may try.
pub const SHRINK_REPLAYS_MAX: u32 = 20_000;

/// The invariant that `steps` break under the script's profile, setup and mutant; `None` if they break nothing
/// or a step is not enabled.
pub fn broken_invariant(base: &Script, steps: &[Action]) -> Option<Invariant> {
    broken_invariant_with(base, steps, &mut Provider::model())
}

/// [`broken_invariant`] with `provider` in the store provider's role (started afresh). A provider that fails
/// breaks nothing: the candidate is not kept.
pub fn broken_invariant_with(base: &Script, steps: &[Action], provider: &mut Provider) -> Option<Invariant> {
    let mut model = Model::new(base.profile, base.setup).ok()?.with_mutant(base.mutant);
    provider.start(&base.file, base.profile, base.setup);
    let mut checker = Checker::new(&model);
    for action in steps {
        let before = model;
        let effects = provider.apply(&mut model, *action).ok()?;
        if provider.failure().is_some() {
            return None;
        }
        if let Err(violation) = checker.after_step(&before, *action, &effects, &model) {
            return Some(violation.invariant);
        }
    }
    let settled = settle_with(&mut model, &mut checker, provider);
    if provider.failure().is_some() {
        return None;
    }
    settled.err().map(|violation| violation.invariant)
}

/// The steps of a script that were applied (a step followed by `expect rejected` changed nothing and is left out).
pub fn applied_steps(script: &Script) -> Vec<Action> {
    let mut steps = Vec::new();
    for (i, item) in script.items.iter().enumerate() {
        if let ItemKind::Step(action) = item.kind {
            let rejected = matches!(
                script.items.get(i + 1).map(|next| &next.kind),
                Some(ItemKind::Expect(crate::script::Expectation::Rejected))
            );
            if !rejected {
                steps.push(action);
            }
        }
    }
    steps
}

/// The steps of `candidate` that are still enabled when the ones before them have been applied, under the
/// script's profile, setup and mutant.
fn enabled_subsequence(base: &Script, candidate: &[Action], provider: &mut Provider) -> Vec<Action> {
    let Ok(model) = Model::new(base.profile, base.setup) else { return Vec::new() };
    let mut model = model.with_mutant(base.mutant);
    provider.start(&base.file, base.profile, base.setup);
    candidate.iter().copied().filter(|action| provider.apply(&mut model, *action).is_ok()).collect()
}

/// Reduces the script's steps to a 1-minimal list that still breaks `target`, and returns it as a script with
/// steps only. `None` if the script's steps do not break `target` to begin with.
pub fn shrink(script: &Script, target: Invariant) -> Option<Script> {
    shrink_with(script, target, &mut Provider::model())
}

/// [`shrink`] with `provider` in the store provider's role: every candidate is run against it afresh.
pub fn shrink_with(script: &Script, target: Invariant, provider: &mut Provider) -> Option<Script> {
    let mut steps = applied_steps(script);
    if broken_invariant_with(script, &steps, provider) != Some(target) {
        return None;
    }
    let mut replays = 0u32;
    // A candidate is kept as its enabled subsequence, if that still breaks the target.
    let mut try_candidate = |candidate: &[Action]| -> Option<Vec<Action>> {
        replays += 1;
        if replays > SHRINK_REPLAYS_MAX {
            return None;
        }
        let enabled = enabled_subsequence(script, candidate, provider);
        (broken_invariant_with(script, &enabled, provider) == Some(target)).then_some(enabled)
    };
    // ddmin over complements: remove one of `parts` chunks at a time.
    let mut parts = 2usize;
    while steps.len() >= 2 {
        let chunk = steps.len().div_ceil(parts);
        let mut reduced = false;
        for start in (0..steps.len()).step_by(chunk) {
            let candidate: Vec<Action> =
                steps[..start].iter().chain(steps[(start + chunk).min(steps.len())..].iter()).copied().collect();
            if let Some(kept) = try_candidate(&candidate) {
                steps = kept;
                parts = (parts - 1).max(2);
                reduced = true;
                break;
            }
        }
        if !reduced {
            if parts >= steps.len() {
                break;
            }
            parts = (parts * 2).min(steps.len());
        }
    }
    // 1-minimality: no single step can go.
    let mut i = 0;
    while i < steps.len() {
        let mut candidate = steps.clone();
        candidate.remove(i);
        if let Some(kept) = try_candidate(&candidate) {
            steps = kept;
            i = 0;
        } else {
            i += 1;
        }
    }
    let mut shrunk = Script::new(script.file.clone(), script.profile, script.setup);
    shrunk.mutant = script.mutant;
    for action in steps {
        shrunk.push_step(action);
    }
    Some(shrunk)
}
