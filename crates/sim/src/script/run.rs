//! Running a parsed script against the model: steps are applied, expectations checked at that point of the run.

use std::fmt;

use logoff_core::{Action, Effects, Model, NotEnabled, SetupError, StorePhase};

use super::{Expectation, ExpectationBody, ItemKind, MessagePhase, Script, TransportPhase, TransportsReturned};
use crate::observe::{ClientReturn, Observed};
use crate::role::Provider;

/// A check run after every applied step with the model before the step, the step, its effects and the model
/// after it; an `Err` names what went wrong and stops the run (`invariant violated`). The invariant checker
/// plugs in here.
pub type StepCheck<'a> = dyn FnMut(&Model, &Action, &Effects, &Model) -> Result<(), String> + 'a;

/// A script that passed: what it ran, and the state it left, for traces and further checks.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The steps taken, counting those that were not enabled and were expected to be rejected.
    pub steps: usize,
    /// The expectations checked (all of them held).
    pub expectations: usize,
    pub model: Model,
    pub observed: Observed,
}

/// Why a run stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunError {
    pub file: String,
    /// The line of the item that failed; 0 only for [`RunErrorKind::InvalidSetup`].
    pub line: usize,
    pub kind: RunErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunErrorKind {
    /// An expectation did not hold: what it expected and what was found, in script words.
    ExpectationFailed { expected: String, found: String },
    /// A step was not enabled and the next item is not `expect rejected`.
    NotEnabled { step: String, reason: NotEnabled },
    /// The per-step check failed after this step.
    InvariantViolated(String),
    /// The setup is out of the model's bounds. `parse` never lets this through; a script built in code can.
    InvalidSetup(SetupError),
    /// The store provider under test failed outside the protocol (crashed, hung, answered out of protocol).
    Harness(String),
}

impl RunError {
    /// 1, or 2 for an invalid setup (a malformed script rather than a failed run).
    pub fn exit_code(&self) -> u8 {
        match self.kind {
            RunErrorKind::InvalidSetup(_) => 2,
            _ => 1,
        }
    }
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let RunError { file, line, kind } = self;
        match kind {
            RunErrorKind::ExpectationFailed { expected, found } => {
                write!(f, "{file}:{line}: expectation failed: expected {expected}, found {found}")
            }
            RunErrorKind::NotEnabled { step, reason } => write!(f, "{file}:{line}: step not enabled: {step}: {reason}"),
            RunErrorKind::InvariantViolated(message) => write!(f, "{file}:{line}: invariant violated: {message}"),
            RunErrorKind::InvalidSetup(error) => write!(f, "{file}: error: invalid setup: {error}"),
            RunErrorKind::Harness(why) => write!(f, "{file}:{line}: the provider under test failed: {why}"),
        }
    }
}

impl std::error::Error for RunError {}

/// What the most recent step did, for `expect rejected`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LastStep {
    NoStep,
    Applied,
    Rejected,
}

/// Runs the script, calling `check` after every applied step. Stops at the first expectation that fails, the
/// first step that is not enabled (unless the next item is `expect rejected`), or the first failed check.
pub fn run_checked(script: &Script, check: &mut StepCheck<'_>) -> Result<Outcome, RunError> {
    run_checked_with(script, check, Provider::model())
}

/// [`run_checked`] with `provider` in the store provider's role (started first, named after the script); a
/// provider that fails stops the run at the line of the step.
pub fn run_checked_with(
    script: &Script,
    check: &mut StepCheck<'_>,
    mut provider: Provider,
) -> Result<Outcome, RunError> {
    let fail = |line: usize, kind: RunErrorKind| RunError { file: script.file.clone(), line, kind };
    let mut model = Model::new(script.profile, script.setup)
        .map_err(|e| fail(0, RunErrorKind::InvalidSetup(e)))?
        .with_mutant(script.mutant);
    provider.start(&script.file, &mut model);
    let mut observed = Observed::new();
    let mut last_step = LastStep::NoStep;
    let mut steps = 0;
    let mut expectations = 0;
    for (index, item) in script.items.iter().enumerate() {
        match &item.kind {
            ItemKind::Step(action) => {
                steps += 1;
                let before = Clone::clone(&model);
                let applied = provider.apply(&mut model, *action);
                if let Some(why) = provider.failure() {
                    return Err(fail(item.line, RunErrorKind::Harness(why)));
                }
                match applied {
                    Ok(effects) => {
                        observed.record(*action, &effects);
                        last_step = LastStep::Applied;
                        check(&before, action, &effects, &model)
                            .map_err(|message| fail(item.line, RunErrorKind::InvariantViolated(message)))?;
                    }
                    Err(reason) => {
                        let next = script.items.get(index + 1).map(|next| &next.kind);
                        if next != Some(&ItemKind::Expect(Expectation::Rejected)) {
                            return Err(fail(item.line, RunErrorKind::NotEnabled { step: item.text.clone(), reason }));
                        }
                        last_step = LastStep::Rejected;
                    }
                }
            }
            ItemKind::Expect(expectation) => {
                expectations += 1;
                if let Err(found) = found_if_unmet(expectation, &model, &observed, last_step) {
                    let expected = ExpectationBody(expectation).to_string();
                    return Err(fail(item.line, RunErrorKind::ExpectationFailed { expected, found }));
                }
            }
        }
    }
    Ok(Outcome { steps, expectations, model, observed })
}

/// Checks one expectation; if it does not hold, returns what was found instead, in script words.
fn found_if_unmet(
    expectation: &Expectation,
    model: &Model,
    observed: &Observed,
    last_step: LastStep,
) -> Result<(), String> {
    let holds_or = |holds: bool, found: &dyn Fn() -> String| if holds { Ok(()) } else { Err(found()) };
    match expectation {
        Expectation::Returned { client, hresult, flags } => match observed.client_return(*client) {
            ClientReturn::NoCall => Err("no call".to_string()),
            ClientReturn::Pending => Err("pending".to_string()),
            ClientReturn::Returned(found_hresult, found_flags) => {
                holds_or(found_hresult == *hresult && found_flags == *flags, &|| {
                    if found_flags.is_empty() {
                        found_hresult.to_string()
                    } else {
                        format!("{found_hresult} {found_flags}")
                    }
                })
            }
        },
        Expectation::Pending(client) => {
            let pending = model.client(*client).is_some_and(|state| state.blocked.is_some());
            holds_or(pending, &|| "no call in progress".to_string())
        }
        Expectation::TransportsCalls(modes) => {
            let found = observed.transports_calls();
            holds_or(found == modes.as_slice(), &|| words(found))
        }
        Expectation::TransportsReturned(expected) => {
            let found = if model.store_phase() == StorePhase::LoggingOff {
                TransportsReturned::Pending
            } else {
                observed.transports_returned().map_or(TransportsReturned::None, TransportsReturned::Flags)
            };
            holds_or(found == *expected, &|| match found {
                TransportsReturned::Flags(flags) => flags.to_string(),
                TransportsReturned::Pending => "pending".to_string(),
                TransportsReturned::None => "none".to_string(),
            })
        }
        Expectation::Store(phase) => {
            let found = model.store_phase();
            holds_or(found == *phase, &|| found.name().to_string())
        }
        Expectation::Message(message, phase) => {
            let found = model.message(*message);
            holds_or(found.map(MessagePhase::of) == Some(*phase), &|| {
                found.map_or("no such message", |state| state.name()).to_string()
            })
        }
        Expectation::Transport(transport, phase) => {
            let found = model.transport(*transport).map(|state| TransportPhase::of(*state));
            holds_or(found == Some(*phase), &|| found.map_or("no such transport", TransportPhase::name).to_string())
        }
        Expectation::TransportLog(transport, calls) => {
            let found = observed.transport_log(*transport);
            holds_or(found == calls.as_slice(), &|| words(found))
        }
        Expectation::Reception { enabled } => {
            let found = model.reception_enabled();
            holds_or(found == *enabled, &|| if found { "enabled" } else { "disabled" }.to_string())
        }
        Expectation::Rejected => match last_step {
            LastStep::Rejected => Ok(()),
            LastStep::Applied => Err("applied".to_string()),
            LastStep::NoStep => Err("no step".to_string()),
        },
    }
}

/// Items separated by spaces, or `none`: the script's own syntax for lists.
fn words<T: fmt::Display>(items: &[T]) -> String {
    if items.is_empty() {
        return "none".to_string();
    }
    items.iter().map(|item| item.to_string()).collect::<Vec<_>>().join(" ")
}
