//! R15-R19, A6: TransportLogoff's order of calls and its aftermath.

use super::step::{Check, Checks, Rank, Step};
use super::{Checker, Invariant, Logon, Subject, Value};
use logoff_core::*;

/// R15-R19, A6: address types discarded, then TransportLogoff with A6's flags; the message being sent back in the
/// queue (R16); MakeInvalid then the support object's release after it returns (R17); logged off (R18); and no
/// call on the transport after it (R19).
#[inline(always)]
pub(super) fn transport_logoff_order(checker: &Checker, step: &Step) -> Check {
    const I: Checks = Checks(Invariant::TransportLogoffOrder);
    const R: Rank = Rank::TRANSPORTS;
    let (action, after) = (step.action, step.after);
    let acting_transport = match action {
        Action::Arrive(t, _)
        | Action::Send(_, t)
        | Action::Sent(t, _)
        | Action::SendFailed(t, _)
        | Action::Receive(_, t)
        | Action::Received(t, _)
        | Action::Flush(t, _)
        | Action::Flushed(t)
        | Action::TransportLogoff(t) => Some(t),
        _ => None,
    };
    let logon = |t: TransportId| {
        Value::Text(match checker.logons[t.index()] {
            Logon::On => "logged-on",
            Logon::LoggingOff => "logging-off",
            Logon::Off => "logged-off",
        })
    };
    if let Some(t) = acting_transport {
        I.ensure_of(
            R,
            checker.logons[t.index()] == Logon::On,
            Subject::Step(action),
            "a call on a transport after TransportLogoff (R19)",
            Value::Text("logged-on"),
            logon(t),
        )?;
    }
    for (_, effect) in step.each(step.flushes) {
        if let Effect::Transport { transport, .. } = effect {
            I.ensure_of(
                R,
                checker.logons[transport.index()] == Logon::On,
                Subject::Transport(transport),
                "FlushQueues after TransportLogoff (R19)",
                Value::Text("logged-on"),
                logon(transport),
            )?;
        }
    }
    match action {
        Action::TransportLogoff(t) => {
            let expected_flags = match checker.profile.transport_logoff_flags {
                TransportLogoffArg::Zero => TransportLogoffFlags::empty(),
                TransportLogoffArg::Normal => TransportLogoffFlags::NORMAL,
            };
            let calls = step.first_calls_on(t);
            let expected =
                [Some(TransportCall::DiscardAddressTypes), Some(TransportCall::Logoff(expected_flags)), None];
            let subject = Subject::Transport(t);
            let what = if calls[0] != expected[0] {
                "address types not discarded before TransportLogoff (R15)"
            } else if calls[1] != expected[1] {
                "TransportLogoff not called, or called with the wrong flags (A6)"
            } else {
                "more calls on the transport inside TransportLogoff"
            };
            I.ensure_of(R, calls == expected, subject, what, Value::Calls(expected), Value::Calls(calls))?;
            I.ensure_of(
                R,
                matches!(after.transport(t), Some(TransportState::LoggingOff)),
                subject,
                "the transport is not logging off after TransportLogoff",
                Value::Transport(Some(TransportState::LoggingOff)),
                Value::Transport(after.transport(t).copied()),
            )?;
            // R16: the message being sent is neither sent nor lost; it is back in the queue. A message being
            // received stays at its source: available again.
            for (i, message) in checker.messages.iter().enumerate() {
                let m = MessageId(i as u8);
                let now = after.message(m);
                if message == MessageState::Sending(t) {
                    I.ensure_of(
                        R,
                        now == Some(MessageState::Queued),
                        Subject::Message(m),
                        "the message being sent did not go back to the queue at TransportLogoff (R16)",
                        Value::Message(Some(MessageState::Queued)),
                        Value::Message(now),
                    )?;
                }
                if message == MessageState::Receiving(t) {
                    I.ensure_of(
                        R,
                        now == Some(MessageState::Available(t)),
                        Subject::Message(m),
                        "the message being received did not go back to its transport at TransportLogoff",
                        Value::Message(Some(MessageState::Available(t))),
                        Value::Message(now),
                    )?;
                }
            }
        }
        Action::LogoffReturns(t, outcome) => {
            let calls = step.first_calls_on(t);
            let expected = match outcome {
                LogoffOutcome::Ok => [Some(TransportCall::MakeInvalid), Some(TransportCall::ReleaseSupport), None],
                LogoffOutcome::Error => [None, None, None],
            };
            I.ensure_of(
                R,
                calls == expected,
                Subject::Transport(t),
                "not MakeInvalid then the support object's release, in that order, after TransportLogoff (R17)",
                Value::Calls(expected),
                Value::Calls(calls),
            )?;
            I.ensure_of(
                R,
                matches!(after.transport(t), Some(TransportState::LoggedOff)),
                Subject::Transport(t),
                "the transport is not logged off after TransportLogoff returned (R18)",
                Value::Transport(Some(TransportState::LoggedOff)),
                Value::Transport(after.transport(t).copied()),
            )?;
        }
        _ => {
            if let Some(effect) = step.first(step.transport_calls & !step.flushes) {
                I.fail_of(
                    R,
                    Subject::Step(action),
                    "logoff calls on a transport outside TransportLogoff",
                    Value::Text("FlushQueues only"),
                    Value::Effect(effect),
                )?;
            }
        }
    }
    Ok(())
}
