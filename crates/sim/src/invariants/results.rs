//! R13, A1, A8, A10: what StoreLogoffTransports and the clients' calls return.

use super::step::{Check, Checks, Rank, Step};
use super::{activity_of, Checker, Invariant, Subject, Value};
use logoff_core::*;

/// R13 (and A1, A8, A10, MODEL.md decisions 5 and 7): the output flags describe the state at the return, exactly,
/// and never echo an input bit; StoreLogoff writes back exactly what the profile says; a failure writes back
/// nothing; StoreLogoff and submit return an HRESULT, and submit returns in its step.
#[inline(always)]
pub(super) fn output_flags_exact(checker: &Checker, step: &Step) -> Check {
    const I: Checks = Checks(Invariant::OutputFlagsExact);
    let action = step.action;
    for (i, client, call, result) in step.client_returns() {
        if let (ClientCall::StoreLogoff | ClientCall::Submit, CallResult::Count(count)) = (call, result) {
            I.fail_of(
                Rank::count(i),
                Subject::Call(client, call),
                "StoreLogoff or a submit returned a count instead of an HRESULT",
                Value::Text("an HRESULT"),
                Value::Count(count),
            )?;
        }
    }
    if let Some((flags, other_process)) = step.returned {
        let seen = Value::Flags(flags);
        let what = "input bits echoed in the output flags";
        let echo = Value::Flags(flags - LogoffFlags::MODES);
        I.ensure(Rank::RETURN_ECHO, !flags.intersects(LogoffFlags::MODES), what, echo, seen)?;
        if step.with_other || other_process {
            let what = "R7's return is not exactly COMPLETE";
            I.ensure(
                Rank::RETURN_FLAGS,
                flags == LogoffFlags::COMPLETE,
                what,
                Value::Flags(LogoffFlags::COMPLETE),
                seen,
            )?;
        } else {
            let activity = activity_of(step.after.messages());
            I.ensure(
                Rank::RETURN_FLAGS,
                flags & LogoffFlags::ACTIVITY == activity,
                "the activity flags do not describe the state",
                Value::Flags(activity),
                Value::Flags(flags & LogoffFlags::ACTIVITY),
            )?;
            I.ensure(
                Rank::RETURN_RELEASE,
                flags.contains(LogoffFlags::COMPLETE) == step.released,
                "COMPLETE and the store's release do not go together",
                Value::Text(if step.released {
                    "COMPLETE (the store was released)"
                } else {
                    "no COMPLETE (the store was not released)"
                }),
                seen,
            )?;
        }
    }
    let returned_flags = step.returned.map(|(flags, _)| flags);
    for (i, client, call, result) in step.client_returns() {
        let CallResult::Status(hr, out) = result else { continue };
        let subject = Subject::Call(client, call);
        if hr != HResult::S_OK {
            let none = Value::Flags(LogoffFlags::empty());
            let what = "a failed call wrote back flags";
            I.ensure_of(Rank::result(i, 0), out.is_empty(), subject, what, none, Value::Flags(out))?;
            continue;
        }
        const PART: u16 = 1;
        match call {
            ClientCall::Submit => I.ensure_of(
                Rank::result(i, PART),
                out.is_empty(),
                subject,
                "submit wrote back flags",
                Value::Flags(LogoffFlags::empty()),
                Value::Flags(out),
            )?,
            ClientCall::StoreLogoff => {
                I.ensure_of(
                    Rank::result(i, PART),
                    !out.intersects(LogoffFlags::MODES),
                    subject,
                    "StoreLogoff echoed input bits",
                    Value::Flags(out - LogoffFlags::MODES),
                    Value::Flags(out),
                )?;
                let returns_as_deferred = checker.profile.call_site == CallSite::Deferred
                    || matches!(action, Action::Logoff(acting, _) if acting == client && checker.defers(acting));
                let expected = match returns_as_deferred {
                    false => returned_flags,
                    true => Some(match checker.profile.storelogoff_out {
                        StoreLogoffOut::None => LogoffFlags::empty(),
                        StoreLogoffOut::Complete => LogoffFlags::COMPLETE,
                    }),
                };
                I.ensure_of(
                    Rank::result(i, PART),
                    Some(out) == expected,
                    subject,
                    "StoreLogoff did not write back what A1, A8 and A10 say",
                    expected.map_or(Value::Text("no return before a StoreLogoffTransports call returns"), Value::Flags),
                    Value::Flags(out),
                )?;
            }
            ClientCall::AddRef | ClientCall::Release => {}
        }
    }
    if let Action::Submit(c, _) = action {
        I.ensure_of(
            Rank::SUBMIT_RETURNED,
            step.answer_to(c).is_some(),
            Subject::Call(c, ClientCall::Submit),
            "submit did not return",
            Value::Text("a return in the same step"),
            Value::Text("no return"),
        )?;
    }
    Ok(())
}
