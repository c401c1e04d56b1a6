//! Liveness after the last step (R21): from wherever a script or a replay stops, the world is let run with no new
//! work and no faults — sends, receives, flushes and TransportLogoff calls complete, the spooler sends what it may
//! — and every blocked call must return within `SETTLE_STEPS_MAX` steps. Every settling step is checked like any
//! other.

use logoff_core::*;

use crate::invariants::{apply_checked, Checker, Invariant, Value, Violation};
use crate::role::Provider;
use crate::script::{self, RunError, RunErrorKind, Script};

/// The most steps settling may take: far more than the work a bounded state can hold (32 messages, each a few
/// steps from done, plus three flushes and three logoffs).
pub const SETTLE_STEPS_MAX: u32 = 512;

/// The next step of a fair world with no new work: completions first, then the spooler's sends and receives, in a
/// fixed order. `None` when nothing more can happen.
fn next_progress(model: &Model) -> Option<Action> {
    let transports = usize::from(model.setup().transports);
    for t in TransportId::all(transports) {
        let candidates = match model.transport(t) {
            Some(TransportState::LoggedOn { sending, receiving, flushing }) => [
                sending.map(|m| Action::Sent(t, m)),
                receiving.map(|m| Action::Received(t, m)),
                flushing.then_some(Action::Flushed(t)),
            ],
            Some(TransportState::LoggingOff) => [Some(Action::LogoffReturns(t, LogoffOutcome::Ok)), None, None],
            _ => [None, None, None],
        };
        if let Some(action) = candidates.into_iter().flatten().find(|a| model.check(*a).is_ok()) {
            return Some(action);
        }
    }
    for (i, state) in model.messages().iter().enumerate() {
        let m = MessageId(i as u8);
        let found = match state {
            MessageState::Queued => {
                TransportId::all(transports).map(|t| Action::Send(m, t)).find(|a| model.check(*a).is_ok())
            }
            MessageState::Available(t) => Some(Action::Receive(m, t)).filter(|a| model.check(*a).is_ok()),
            _ => None,
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

/// Lets the world settle and checks that nothing is left blocked. Returns the number of settling steps.
pub fn settle(model: &mut Model, checker: &mut Checker) -> Result<u32, Violation> {
    settle_with(model, checker, &mut Provider::model())
}

/// [`settle`] with `provider` in the store provider's role; stops early, without a verdict, if it fails.
pub fn settle_with(model: &mut Model, checker: &mut Checker, provider: &mut Provider) -> Result<u32, Violation> {
    let mut steps = 0;
    while let Some(action) = next_progress(model) {
        if steps == SETTLE_STEPS_MAX {
            return Err(Violation::new(
                Invariant::Liveness,
                "the world did not settle within its bound of 512 steps (SETTLE_STEPS_MAX)",
                Value::Text("no step left to take"),
                Value::Step(action),
            ));
        }
        let before = *model;
        let mut broken = None;
        apply_checked(&before, model, checker, action, &mut broken, |model, action| provider.apply(model, action))
            .expect("settling takes only enabled steps");
        if provider.failure().is_some() {
            return Ok(steps);
        }
        if let Some(violation) = broken {
            return Err(violation);
        }
        steps += 1;
    }
    checker.at_end(model).map(|()| steps)
}

/// Runs a script as `logoff-sim script` does: every invariant after every step, every expectation, and then
/// liveness after the last step, reported at the script's last line.
pub fn verify_script(script: &Script) -> Result<script::Outcome, RunError> {
    verify_script_with(script, &mut Provider::model())
}

/// [`verify_script`] with `provider` in the store provider's role (started first, named after the script).
pub fn verify_script_with(script: &Script, provider: &mut Provider) -> Result<script::Outcome, RunError> {
    verify_script_typed(script, provider).map_err(|failed| failed.error)
}

/// Why a script failed, and the invariant it broke when it broke one: kept typed for a seed file's `expect`.
#[derive(Debug)]
pub struct Failed {
    pub error: RunError,
    pub broken: Option<Invariant>,
}

/// [`verify_script_with`], saying which invariant broke, if one did.
pub fn verify_script_typed(script: &Script, provider: &mut Provider) -> Result<script::Outcome, Failed> {
    let mut checker: Option<Checker> = None;
    let mut broken = None;
    let mut check = |before: &Model, action: &Action, effects: &Effects, after: &Model| {
        let checker = checker.get_or_insert_with(|| Checker::new(before));
        checker.after_step(before, *action, effects, after).map_err(|violation| {
            broken = Some(violation.invariant);
            violation.to_string()
        })
    };
    let run = script::run_checked_with(script, &mut check, provider.reborrow());
    let outcome = run.map_err(|error| Failed { error, broken })?;
    let mut model = outcome.model;
    let mut checker = checker.unwrap_or_else(|| Checker::new(&outcome.model));
    let settled = settle_with(&mut model, &mut checker, provider);
    if let Some(why) = provider.failure() {
        let line = script.items.last().map_or(1, |item| item.line);
        let error = RunError {
            file: script.file.clone(),
            line,
            kind: RunErrorKind::Harness(format!("after the last line: {why}")),
        };
        return Err(Failed { error, broken: None });
    }
    settled.map_err(|violation| Failed {
        error: RunError {
            file: script.file.clone(),
            line: script.items.last().map_or(1, |item| item.line),
            kind: RunErrorKind::InvariantViolated(format!("after the last line: {violation}")),
        },
        broken: Some(violation.invariant),
    })?;
    Ok(outcome)
}
