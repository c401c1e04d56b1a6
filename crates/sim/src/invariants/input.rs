//! R1-R4, A1, A7, A9, A10: a StoreLogoff's input, and who calls StoreLogoffTransports, when, with which mode.

use super::step::{Check, Checks, Rank, Step};
use super::{decode_mode, Checker, Invariant, Subject, Value};
use logoff_core::*;

/// R1, A7: invalid StoreLogoff flags return MAPI_E_INVALID_PARAMETER and change nothing; valid ones are accepted.
#[inline(always)]
pub(super) fn invalid_input_changes_nothing(checker: &Checker, step: &Step) -> Check {
    const I: Checks = Checks(Invariant::InvalidInputChangesNothing);
    const R: Rank = Rank::INPUT;
    let action = step.action;
    let Action::Logoff(c, flags) = action else { return Ok(()) };
    let returned = step.client_returns().find_map(|(_, client, call, result)| match (call, result) {
        (ClientCall::StoreLogoff, CallResult::Status(hr, out)) if client == c => Some((hr, out)),
        _ => None,
    });
    let valid = decode_mode(flags, checker.profile.input).is_some();
    let subject = Subject::Step(action);
    match returned {
        Some((hr, out)) if hr == HResult::INVALID_PARAMETER => {
            I.ensure_of(
                R,
                !valid,
                subject,
                "valid StoreLogoff flags were refused with MAPI_E_INVALID_PARAMETER",
                Value::Text("S_OK or MAPI_E_BUSY"),
                Value::HResult(hr),
            )?;
            I.ensure_of(
                R,
                out.is_empty(),
                subject,
                "a failed StoreLogoff wrote back flags",
                Value::Flags(LogoffFlags::empty()),
                Value::Flags(out),
            )?;
            if step.before != step.after {
                let (part, expected, seen) = first_change(step.before, step.after);
                let part = if part == Subject::None { subject } else { part };
                return I.fail_of(R, part, "StoreLogoff with invalid flags changed the state", expected, seen);
            }
            Ok(())
        }
        // R5 comes first: an invalid store answers MAPI_E_INVALID_OBJECT whatever the flags.
        Some((hr, _)) if hr == HResult::INVALID_OBJECT => Ok(()),
        _ => I.ensure_of(
            R,
            valid,
            subject,
            "StoreLogoff accepted invalid flags",
            Value::HResult(HResult::INVALID_PARAMETER),
            match returned {
                Some((hr, _)) => Value::HResult(hr),
                None => Value::Text("a StoreLogoffTransports call"),
            },
        ),
    }
}

/// What an unchanging step changed, as expected against seen: the store, the messages, the spooler, a transport,
/// a client, or the other processes.
fn first_change(before: &Model, after: &Model) -> (Subject, Value, Value) {
    if before.store() != after.store() {
        return (Subject::None, Value::Store(*before.store()), Value::Store(*after.store()));
    }
    if before.messages() != after.messages() {
        return super::step::first_moved(before.messages(), after.messages());
    }
    if before.spooler() != after.spooler() {
        return (Subject::None, Value::Spooler(*before.spooler()), Value::Spooler(*after.spooler()));
    }
    for t in TransportId::all(TRANSPORTS_MAX) {
        if before.transport(t) != after.transport(t) {
            let state = |model: &Model| Value::Transport(model.transport(t).copied());
            return (Subject::Transport(t), state(before), state(after));
        }
    }
    for c in ClientId::all(CLIENTS_MAX) {
        if before.client(c) != after.client(c) {
            let references = |model: &Model| Value::Count(model.client(c).map_or(0, |c| u32::from(c.references)));
            return (Subject::Client(c), references(before), references(after));
        }
    }
    let others = |model: &Model| Value::Count(u32::from(model.other_processes()));
    (Subject::None, others(before), others(after))
}

/// R2-R4, A1, A9, A10: who calls StoreLogoffTransports, with which mode, and that the call at zero is not skipped.
#[inline(always)]
pub(super) fn transports_call_site(checker: &Checker, step: &Step) -> Check {
    const I: Checks = Checks(Invariant::TransportsCallSite);
    const R: Rank = Rank::CALL_SITE;
    let (action, called) = (step.action, step.called);
    let eager = checker.profile.call_site == CallSite::Eager;
    if let Some((mode, caller)) = called {
        let call = Value::Effect(Effect::TransportsCalled { mode, caller });
        if let Some(first) = checker.in_progress {
            // MODEL.md decision 7: while a call is in progress a StoreLogoff returns MAPI_E_BUSY, and a Release
            // cannot bring the count to zero (the blocked client holds a reference).
            let what = "StoreLogoffTransports called while another call is in progress (MODEL.md decision 7)";
            return I.fail_of(R, Subject::Step(action), what, Value::Busy(first.mode), call);
        }
        match (caller, action) {
            (Caller::StoreLogoff(c), Action::Logoff(acting, flags)) if c == acting => {
                let what = "StoreLogoffTransports called from StoreLogoff under `deferred` (A1), or under \
                            `eager_shared=defer` while another client holds a reference (A10)";
                let allowed = eager && !checker.defers(c);
                I.ensure(R, allowed, what, Value::Text("no call before the count reaches zero"), call)?;
                let passed = decode_mode(flags, checker.profile.input);
                let what = "not called with the mode passed";
                I.ensure(R, passed == Some(mode), what, Value::Mode(passed), Value::Mode(Some(mode)))?;
            }
            (Caller::Release(c), Action::Release(acting)) if c == acting => {
                I.ensure(
                    R,
                    step.after.references() == 0,
                    "StoreLogoffTransports called before the count reached zero",
                    Value::Count(0),
                    Value::Count(step.after.references()),
                )?;
                // Under `eager` a saved mode was passed already, except under A10 `defer` (a StoreLogoff made
                // while another client held a reference saved its mode without a call).
                let saved_passes = !eager || checker.profile.eager_shared == EagerShared::Defer;
                let expected =
                    if saved_passes && !checker.called { checker.saved.unwrap_or(Mode::Abort) } else { Mode::Abort };
                I.ensure(
                    R,
                    mode == expected,
                    "at zero: not the saved mode, or not ABORT (R3, R4)",
                    Value::Mode(Some(expected)),
                    Value::Mode(Some(mode)),
                )?;
            }
            _ => {
                let what = "StoreLogoffTransports called from a step that cannot make it";
                return I.fail_of(R, Subject::Step(action), what, Value::Text("no call"), call);
            }
        }
    }
    if let Action::Release(_) = action {
        if checker.total_references() == 1 && !checker.complete {
            let due = match checker.profile.zero_call {
                ZeroCall::Once => !checker.called,
                ZeroCall::UntilComplete => true,
            };
            I.ensure(
                R,
                called.is_some() == due,
                "at zero the call was skipped, or made when not due (R4, A9)",
                Value::Text(if due { "a StoreLogoffTransports call" } else { "no call" }),
                called.map_or(Value::Text("no call"), |(mode, caller)| {
                    Value::Effect(Effect::TransportsCalled { mode, caller })
                }),
            )?;
        }
    }
    if let Action::Logoff(c, flags) = action {
        let accepted = decode_mode(flags, checker.profile.input).is_some()
            && !checker.complete
            && checker.in_progress.is_none()
            && !checker.blocked.iter().any(|b| *b);
        if accepted && eager && !checker.defers(c) {
            I.ensure(
                R,
                called.map(|c| c.1) == Some(Caller::StoreLogoff(c)),
                "eager StoreLogoff made no StoreLogoffTransports call",
                Value::Mode(decode_mode(flags, checker.profile.input)),
                Value::Text("no call"),
            )?;
        }
    }
    Ok(())
}
