//! R5, R6, R14: after COMPLETE only AddRef and Release work, reference counts follow the calls, and a released
//! store gets no more work.

use super::step::{Check, Checks, Rank, Step};
use super::{decode_mode, Checker, Invariant, Subject, Value};
use logoff_core::*;

/// R5, R14: calls on the invalid store return MAPI_E_INVALID_OBJECT and reach nothing, the store is invalid after
/// COMPLETE, and the spooler does nothing more for a store it released.
#[inline(always)]
pub(super) fn only_release_after_complete(checker: &Checker, step: &Step) -> Check {
    const I: Checks = Checks(Invariant::OnlyReleaseAfterComplete);
    let action = step.action;
    if checker.complete {
        if let Action::Logoff(c, _) | Action::Submit(c, _) = action {
            const R: Rank = Rank::AFTER_COMPLETE;
            let answer = step.answer_to(c).map(|(_, result)| result);
            let refused = answer == Some(CallResult::Status(HResult::INVALID_OBJECT, LogoffFlags::empty()));
            let seen = match answer {
                Some(CallResult::Status(hr, out)) if out.is_empty() => Value::HResult(hr),
                Some(CallResult::Status(_, out)) => Value::Flags(out),
                Some(CallResult::Count(count)) => Value::Count(count),
                None => Value::Text("no return"),
            };
            let subject = Subject::Step(action);
            let what = "a call on the invalid store did not return MAPI_E_INVALID_OBJECT";
            I.ensure_of(R, refused, subject, what, Value::HResult(HResult::INVALID_OBJECT), seen)?;
            if let Some((mode, caller)) = step.called {
                let what = "a call on the invalid store reached StoreLogoffTransports";
                let call = Value::Effect(Effect::TransportsCalled { mode, caller });
                return I.fail_of(R, subject, what, Value::Text("no StoreLogoffTransports call"), call);
            }
        }
    }
    if checker.released {
        const R: Rank = Rank::AFTER_COMPLETE;
        I.ensure(
            R,
            !matches!(
                action,
                Action::Send(..)
                    | Action::Receive(..)
                    | Action::Flush(..)
                    | Action::Sent(..)
                    | Action::SendFailed(..)
                    | Action::Received(..)
            ),
            "the spooler worked for a store it had released",
            Value::Text("no work for it (R14)"),
            Value::Step(action),
        )?;
        if let Some(flush) = step.first(step.flushes) {
            let what = "the spooler started a flush for a store it had released";
            I.fail(R, what, Value::Text("no flush for it (R14)"), Value::Effect(flush))?;
        }
    }
    if let Some((flags, other_process)) = step.returned {
        if !(step.with_other || other_process) {
            I.ensure(
                Rank::RETURN_WORKING,
                !(flags.contains(LogoffFlags::COMPLETE)
                    && flags.intersects(LogoffFlags::INBOUND | LogoffFlags::OUTBOUND)),
                "COMPLETE with a send or receive still in progress: the spooler released a store it still works for",
                Value::Text("no COMPLETE while a send or receive is in progress"),
                Value::Flags(flags),
            )?;
        }
        if flags.contains(LogoffFlags::COMPLETE) {
            I.ensure(
                Rank::RETURN_INVALID,
                matches!(step.after.store_phase(), StorePhase::Invalid | StorePhase::Destroyed),
                "the store is still usable after COMPLETE (R5)",
                Value::Text("invalid or destroyed"),
                Value::Text(step.after.store_phase().name()),
            )?;
        }
    }
    for (i, client, call, result) in step.client_returns() {
        let CallResult::Status(hr, _) = result else { continue };
        let subject = Subject::Call(client, call);
        if hr != HResult::S_OK {
            let expected = if checker.complete {
                HResult::INVALID_OBJECT
            } else if call == ClientCall::StoreLogoff
                && matches!(action, Action::Logoff(_, flags) if decode_mode(flags, checker.profile.input).is_none())
            {
                HResult::INVALID_PARAMETER
            } else if call == ClientCall::StoreLogoff && checker.in_progress.is_some() {
                HResult::BUSY
            } else {
                HResult::S_OK
            };
            I.ensure_of(
                Rank::result(i, 1),
                hr == expected,
                subject,
                "a call failed with the wrong HRESULT",
                Value::HResult(expected),
                Value::HResult(hr),
            )?;
            continue;
        }
        I.ensure_of(
            Rank::result(i, 0),
            !checker.complete,
            subject,
            "a call on the invalid store succeeded",
            Value::HResult(HResult::INVALID_OBJECT),
            Value::HResult(hr),
        )?;
    }
    Ok(())
}

/// R6: reference counts follow AddRef and Release, never go below zero, and AddRef and Release return them; a
/// client calls only with a reference and no call of its own in progress.
#[inline(always)]
pub(super) fn reference_counts(checker: &Checker, step: &Step) -> Check {
    const I: Checks = Checks(Invariant::ReferenceCounts);
    let action = step.action;
    let mut expected = checker.references;
    match action {
        Action::AddRef(c) => expected[c.index()] += 1,
        Action::Release(c) => {
            I.ensure_of(
                Rank::RELEASE,
                expected[c.index()] > 0,
                Subject::Client(c),
                "Release by a client that holds no reference",
                Value::Text("at least 1 reference"),
                Value::Count(0),
            )?;
            expected[c.index()] -= 1;
        }
        _ => {}
    }
    let total: u32 = expected.iter().sum();
    for (i, client, call, result) in step.client_returns() {
        if !matches!(call, ClientCall::AddRef | ClientCall::Release) {
            continue;
        }
        let subject = Subject::Call(client, call);
        match result {
            CallResult::Count(count) => I.ensure_of(
                Rank::count(i),
                count == total,
                subject,
                "AddRef or Release returned a count that is not the reference count",
                Value::Count(total),
                Value::Count(count),
            )?,
            CallResult::Status(hr, _) => I.fail_of(
                Rank::count(i),
                subject,
                "AddRef or Release returned an HRESULT instead of a count",
                Value::Count(total),
                Value::HResult(hr),
            )?,
        }
    }
    const R: Rank = Rank::HELD;
    for (i, expected) in expected.iter().enumerate().take(usize::from(step.after.setup().clients)) {
        let held = step.after.client(ClientId(i as u8)).map_or(0, |c| u32::from(c.references));
        I.ensure_of(
            R,
            held == *expected,
            Subject::Client(ClientId(i as u8)),
            "a client's references differ from its AddRef and Release calls",
            Value::Count(*expected),
            Value::Count(held),
        )?;
    }
    if let Action::AddRef(c) | Action::Release(c) | Action::Logoff(c, _) | Action::Submit(c, _) = action {
        I.ensure(
            R,
            !checker.blocked[c.index()],
            "a client made a call while one of its calls was in progress",
            Value::Text("no call until that one returns"),
            Value::Step(action),
        )?;
        I.ensure(
            R,
            checker.references[c.index()] > 0,
            "a client that holds no reference made a call",
            Value::Text("no call without a reference (R6)"),
            Value::Step(action),
        )?;
    }
    Ok(())
}
