//! R20, R21: every message is conserved, and every blocked call returns.

use super::step::first_moved;
use super::step::{Check, Checks, Rank, Step};
use super::{activity_of, Checker, Invariant, Logon, Subject, Value, Violation};
use logoff_core::*;

/// R20: the checker moves its own copy of every message by the steps and effects, and the model must agree.
#[inline(always)]
pub(super) fn conservation(checker: &Checker, step: &Step) -> Check {
    const I: Checks = Checks(Invariant::Conservation);
    const R: Rank = Rank::CONSERVATION;
    let (action, after) = (step.action, step.after);
    let mut messages = checker.messages;
    let mut moves = |m: MessageId, from: MessageState, to: MessageState, what: &'static str| {
        let now = messages.get(m);
        if now != Some(from) {
            return I.fail_of(R, Subject::Message(m), what, Value::Message(Some(from)), Value::Message(now));
        }
        messages.set(m, to);
        Ok(())
    };
    match action {
        Action::Submit(_, m) => {
            let accepted = step.client_returns().any(|(_, _, call, result)| {
                matches!((call, result), (ClientCall::Submit, CallResult::Status(hr, _)) if hr == HResult::S_OK)
            });
            if accepted {
                moves(m, MessageState::Unused, MessageState::Queued, "a submitted name was in use")?;
            }
        }
        Action::Arrive(t, m) => moves(m, MessageState::Unused, MessageState::Available(t), "an arrival reused a name")?,
        Action::Send(m, t) => moves(m, MessageState::Queued, MessageState::Sending(t), "sent a message not queued")?,
        Action::Sent(t, m) => moves(m, MessageState::Sending(t), MessageState::Sent, "sent twice, or not sending")?,
        Action::SendFailed(t, m) => moves(m, MessageState::Sending(t), MessageState::Queued, "failed a send not made")?,
        Action::Receive(m, t) => {
            if !checker.inbox {
                let what = "received into a store without the default Inbox";
                return I.fail(R, what, Value::Text("no reception (inbox=no)"), Value::Step(action));
            }
            moves(m, MessageState::Available(t), MessageState::Receiving(t), "received a message not available")?
        }
        // A delivery into a released store is R14's (only_release_after_complete).
        Action::Received(t, m) => {
            moves(m, MessageState::Receiving(t), MessageState::Delivered, "delivered twice, or not receiving")?
        }
        _ => {}
    }
    for (_, effect) in step.each(step.stops) {
        match effect {
            Effect::SendStopped { transport, message } => {
                moves(message, MessageState::Sending(transport), MessageState::Queued, "stopped a send not made")?
            }
            Effect::ReceiveStopped { transport, message } => moves(
                message,
                MessageState::Receiving(transport),
                MessageState::Available(transport),
                "stopped a receive not made",
            )?,
            _ => {}
        }
    }
    if &messages != after.messages() {
        let (subject, expected, seen) = first_moved(&messages, after.messages());
        let what = "a message moved, appeared or vanished without a step that moves it";
        return I.fail_of(R, subject, what, expected, seen);
    }
    Ok(())
}

/// R21 after a step: ABORT and QUIET return at once, and a blocking call returns in the step in which its last
/// condition becomes true (section 5), so while one is in progress after the step at least one condition must
/// still hold, by the checker's own view of the run.
#[inline(always)]
pub(super) fn liveness(checker: &Checker, step: &Step) -> Check {
    const I: Checks = Checks(Invariant::Liveness);
    if let (Some((mode @ (Mode::Abort | Mode::Quiet), _)), None, false) = (step.called, step.returned, step.with_other)
    {
        let what = "ABORT or QUIET did not return at once (R21)";
        I.fail(Rank::AT_CALL, what, Value::Text("a return in the same step"), Value::InProgress(mode))?;
    }
    let Some(call) = step.call_after else { return Ok(()) };
    if !call.mode.blocks() || step.other_at_call_after {
        return Ok(());
    }
    let activity = activity_of(step.after.messages());
    let busy = activity.intersects(LogoffFlags::INBOUND | LogoffFlags::OUTBOUND);
    let drains = call.mode != Mode::Orderly || checker.profile.orderly == Orderly::Drain;
    let sendable = activity.contains(LogoffFlags::OUTBOUND_QUEUE) && step.logons_after.contains(&Logon::On);
    let flushes = call.mode == Mode::Purge && call.flushes_awaited & step.flushing_after != 0;
    I.ensure(
        Rank::BLOCKED,
        busy || (drains && sendable) || flushes,
        "a blocking call did not return in the step its last condition became true",
        Value::Text("its return (nothing left to wait for)"),
        Value::InProgress(call.mode),
    )
}

impl Checker {
    /// R21, at the end of a run that had time to settle: no call is still blocked.
    pub fn at_end(&self, model: &Model) -> Result<(), Violation> {
        self.settled(model).map_err(|found| found.violation)
    }

    fn settled(&self, model: &Model) -> Check {
        const I: Checks = Checks(Invariant::Liveness);
        const R: Rank = Rank::BLOCKED;
        if let Some(call) = self.in_progress {
            let what = "a StoreLogoffTransports call never returned";
            I.fail(R, what, Value::Text("no call in progress"), Value::InProgress(call.mode))?;
        }
        if let Some(c) = self.blocked.iter().position(|b| *b) {
            let c = ClientId(c as u8);
            let seen = match model.client(c).and_then(|client| client.blocked) {
                Some(BlockedCall::StoreLogoff) => "its logoff in progress",
                Some(BlockedCall::Release) => "its release in progress",
                None => "a call in progress",
            };
            let what = "a client call never returned";
            I.fail_of(R, Subject::Client(c), what, Value::Text("no call in progress"), Value::Text(seen))?;
        }
        I.ensure(
            R,
            !matches!(model.store_phase(), StorePhase::LoggingOff),
            "the store is still logging off when the run ended",
            Value::Text("not logging off"),
            Value::Text(model.store_phase().name()),
        )?;
        // Work pending with nothing done about it: the spooler still serves the store, a transport is logged on
        // and idle, and a message waits for it.
        if !self.released {
            for (i, logon) in self.logons.iter().enumerate() {
                let t = TransportId(i as u8);
                if *logon != Logon::On {
                    continue;
                }
                let sending = self.messages.iter().any(|m| m == MessageState::Sending(t));
                let receiving = self.messages.iter().any(|m| m == MessageState::Receiving(t));
                let first = |wanted: MessageState| {
                    self.messages.iter().position(|m| m == wanted).map(|i| Value::MessageIs(MessageId(i as u8), wanted))
                };
                if let (Some(queued), false) = (first(MessageState::Queued), sending) {
                    let what = "work pending: a queued message and an idle transport";
                    I.fail_of(R, Subject::Transport(t), what, Value::Text("a send started"), queued)?;
                }
                if let (Some(available), true, false) = (first(MessageState::Available(t)), self.inbox, receiving) {
                    let what = "work pending: a message available at an idle transport";
                    I.fail_of(R, Subject::Transport(t), what, Value::Text("a reception started"), available)?;
                }
            }
        }
        Ok(())
    }
}
