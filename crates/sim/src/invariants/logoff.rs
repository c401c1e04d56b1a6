//! R7-R12, A2-A5: a StoreLogoffTransports call with another process holding the store, ABORT and QUIET's
//! refusals, and what NO_WAIT, ORDERLY and PURGE wait for.

use super::step::{Check, Checks, Rank, Step};
use super::{activity_of, Checker, Invariant, Subject, Value};
use logoff_core::*;

/// R7: with another process holding the store, the call returns exactly COMPLETE and changes nothing else.
#[inline(always)]
pub(super) fn other_process(_: &Checker, step: &Step) -> Check {
    const I: Checks = Checks(Invariant::OtherProcess);
    const R: Rank = Rank::AT_CALL;
    if !step.with_other {
        return Ok(());
    }
    let returned = step.returned;
    I.ensure(
        R,
        returned.map(|r| r.0) == Some(LogoffFlags::COMPLETE),
        "R7: the return is not exactly COMPLETE",
        Value::Flags(LogoffFlags::COMPLETE),
        returned.map_or(Value::Text("no return"), |r| Value::Flags(r.0)),
    )?;
    if let Some(released) = step.first(step.releases) {
        I.fail(R, "R7: the spooler released the store", Value::Text("no release"), Value::Effect(released))?;
    }
    if let Some(changed) = step.first(step.work) {
        I.fail(R, "R7: the spooler changed its work for the store", Value::Text("no change"), Value::Effect(changed))?;
    }
    I.unchanged(R, "R7: messages moved", "R7: the spooler's work for the store changed", step.before, step.after)?;
    let guards =
        |model: &Model| Value::Guards { sending: model.sending_allowed(), reception: model.reception_enabled() };
    I.ensure(R, guards(step.before) == guards(step.after), "R7: sending or reception changed", guards(step.before), {
        guards(step.after)
    })?;
    if let Some(call) = step.first(step.transport_calls) {
        I.fail(R, "R7: the spooler called a transport", Value::Text("no call"), Value::Effect(call))?;
    }
    Ok(())
}

/// R8, R9, A3, A4: ABORT and QUIET refuse exactly when there is activity, and a refusal changes nothing.
#[inline(always)]
pub(super) fn refused_changes_nothing(checker: &Checker, step: &Step) -> Check {
    const I: Checks = Checks(Invariant::RefusedChangesNothing);
    const R: Rank = Rank::AT_CALL;
    let (Some((mode @ (Mode::Abort | Mode::Quiet), _)), Some((flags, _)), false) =
        (step.called, step.returned, step.with_other)
    else {
        return Ok(());
    };
    let activity = activity_of(&checker.messages);
    let busy = activity.intersects(LogoffFlags::INBOUND | LogoffFlags::OUTBOUND)
        || (checker.profile.queue_is_activity == QueueIsActivity::Yes
            && activity.contains(LogoffFlags::OUTBOUND_QUEUE));
    let refuses = busy && (mode == Mode::Quiet || checker.profile.abort == Abort::Refuse);
    I.ensure(
        R,
        flags.contains(LogoffFlags::COMPLETE) != refuses,
        "refused without activity, or completed with it",
        Value::Outcome { complete: !refuses, activity },
        Value::Flags(flags),
    )?;
    let release = Value::Effect(Effect::StoreReleased);
    if refuses {
        I.ensure(R, !step.released, "a refused logoff released the store", Value::Text("no release"), release)?;
        I.unchanged(
            R,
            "a refused logoff moved messages",
            "a refused logoff changed the spooler",
            step.before,
            step.after,
        )?;
        let (before, after) = (step.before, step.after);
        for t in TransportId::all(TRANSPORTS_MAX) {
            I.ensure_of(
                R,
                before.transport(t) == after.transport(t),
                Subject::Transport(t),
                "a refused logoff changed a transport",
                Value::Transport(before.transport(t).copied()),
                Value::Transport(after.transport(t).copied()),
            )?;
        }
    } else {
        let what = "a completed ABORT or QUIET did not release the store";
        I.ensure(R, step.released, what, release, Value::Text("no release"))?;
    }
    Ok(())
}

/// R10: NO_WAIT and PURGE (and, for reception, ORDERLY) disable reception at once, start no reception while the
/// call is in progress, and return only when the queue is drained.
#[inline(always)]
pub(super) fn no_wait_drains(checker: &Checker, step: &Step) -> Check {
    const I: Checks = Checks(Invariant::NoWaitDrains);
    if let (Some(call), Action::Receive(..)) = (checker.in_progress, step.action) {
        if call.mode != Mode::Orderly {
            let what = "a reception started while the logoff was in progress";
            I.fail(Rank::DURING_CALL, what, Value::Text("reception disabled"), Value::Step(step.action))?;
        }
    }
    if let (Some((Mode::NoWait | Mode::Orderly | Mode::Purge, _)), false) = (step.called, step.with_other) {
        const R: Rank = Rank::AT_CALL;
        I.ensure(
            R,
            !step.after.reception_enabled(),
            "reception is enabled after a blocking logoff started",
            Value::Text("reception disabled"),
            Value::Text("reception enabled"),
        )?;
        if checker.inbox && step.before.reception_enabled() {
            I.ensure(
                R,
                step.reception_disabled,
                "reception was not disabled when the call started",
                Value::Effect(Effect::ReceptionDisabled),
                Value::Text("no such effect"),
            )?;
        }
    }
    match blocking_return(checker, step) {
        Some((mode, flags)) if mode != Mode::Orderly => drained(&I, checker, step, mode, flags),
        _ => Ok(()),
    }
}

/// R11, A2: ORDERLY starts no new reception (nor, under `keep`, a send) and returns when nothing is in progress
/// (and, under `drain`, the queue is sent).
#[inline(always)]
pub(super) fn orderly_starts_nothing(checker: &Checker, step: &Step) -> Check {
    const I: Checks = Checks(Invariant::OrderlyStartsNothing);
    if checker.in_progress.is_some_and(|call| call.mode == Mode::Orderly) {
        let action = step.action;
        match action {
            Action::Receive(..) => {
                let what = "a reception started while the logoff was in progress";
                I.fail(Rank::DURING_CALL, what, Value::Text("reception disabled"), Value::Step(action))?;
            }
            Action::Send(..) if checker.profile.orderly == Orderly::Keep => {
                let what = "a send started during ORDERLY under `keep`";
                I.fail(Rank::DURING_CALL, what, Value::Text("no new send"), Value::Step(action))?;
            }
            _ => {}
        }
    }
    match blocking_return(checker, step) {
        Some((Mode::Orderly, flags)) => drained(&I, checker, step, Mode::Orderly, flags),
        _ => Ok(()),
    }
}

/// R12, A5: PURGE flushes every logged-on transport when it starts and returns after those flushes.
#[inline(always)]
pub(super) fn purge_flushes_first(checker: &Checker, step: &Step) -> Check {
    const I: Checks = Checks(Invariant::PurgeFlushesFirst);
    if let (Some((Mode::Purge, _)), false) = (step.called, step.with_other) {
        // Every logged-on transport is flushed, or already flushing.
        let flags = match checker.profile.purge_flush {
            PurgeFlush::Upload => FlushFlags::UPLOAD,
            PurgeFlush::Both => FlushFlags::UPLOAD | FlushFlags::DOWNLOAD,
        };
        for t in TransportId::all(TRANSPORTS_MAX) {
            let flush = step.each(step.flushes).map(|(_, effect)| effect).find(
                |e| matches!(*e, Effect::Transport { transport, call: TransportCall::Flush(_) } if transport == t),
            );
            let wanted = Effect::Transport { transport: t, call: TransportCall::Flush(flags) };
            let bit = 1u8 << t.0;
            if checker.logged_on_bits() & bit == 0 {
                continue;
            }
            let seen = flush.map_or(Value::Text("no flush"), Value::Effect);
            let subject = Subject::Transport(t);
            if checker.flushing & bit != 0 {
                let what = "PURGE flushed a transport that was already flushing";
                I.ensure_of(Rank::PURGE_START, flush.is_none(), subject, what, Value::Text("no new flush"), seen)?
            } else {
                let what = "PURGE did not call FlushQueues, with the flags of A5, on a transport";
                I.ensure_of(Rank::PURGE_START, flush == Some(wanted), subject, what, Value::Effect(wanted), seen)?
            }
        }
    }
    if let Some((Mode::Purge, _)) = blocking_return(checker, step) {
        // The awaited flushes, less those that finished or whose transport logged off in this step. A PURGE awaits
        // every transport logged on when it started, flushed then or flushing already.
        let awaited = checker.in_progress.map_or_else(|| checker.logged_on_bits(), |c| c.flushes_awaited);
        // The flushes still running by the checker's own view, this step's completions and logoffs included.
        let mut running = checker.flushing;
        if let Action::Flushed(t) | Action::TransportLogoff(t) = step.action {
            running &= !(1 << t.0);
        }
        let waiting = awaited & running;
        I.ensure_of(
            Rank::RETURN_FLUSHES,
            waiting == 0,
            Subject::Transport(TransportId(waiting.trailing_zeros().min(7) as u8)),
            "PURGE returned before a flush completed",
            Value::Text("its flush completed"),
            Value::Text("still flushing"),
        )?;
    }
    Ok(())
}

/// A blocking call (NO_WAIT, ORDERLY, PURGE) that returns in this step, not decided by R7: its mode and flags.
#[inline(always)]
fn blocking_return(checker: &Checker, step: &Step) -> Option<(Mode, LogoffFlags)> {
    let (flags, false) = step.returned? else { return None };
    if step.with_other {
        return None;
    }
    let mode = step.called.map(|c| c.0).or(checker.in_progress.map(|c| c.mode))?;
    mode.blocks().then_some((mode, flags))
}

/// R10, R11 at the return of a blocking call in `mode`: COMPLETE, nothing in progress, and the queue sent when
/// the mode drains it and a transport can send it.
#[inline(always)]
fn drained(checks: &Checks, checker: &Checker, step: &Step, mode: Mode, flags: LogoffFlags) -> Check {
    const R: Rank = Rank::RETURN_BLOCKING;
    let what = "a blocking logoff returned without COMPLETE";
    checks.ensure(R, flags.contains(LogoffFlags::COMPLETE), what, Value::Text("COMPLETE"), Value::Flags(flags))?;
    let activity = activity_of(step.after.messages());
    checks.ensure(
        R,
        !activity.intersects(LogoffFlags::INBOUND | LogoffFlags::OUTBOUND),
        "returned while a message was being sent or received",
        Value::Text("no send or receive in progress"),
        Value::Flags(activity),
    )?;
    let drains = mode != Mode::Orderly || checker.profile.orderly == Orderly::Drain;
    let mut logged_on = checker.logged_on_bits();
    if let Action::TransportLogoff(t) = step.action {
        logged_on &= !(1 << t.0);
    }
    if drains && logged_on != 0 {
        checks.ensure(
            R,
            !activity.contains(LogoffFlags::OUTBOUND_QUEUE),
            "returned before the queue was sent",
            Value::Text("an empty queue"),
            Value::Flags(activity),
        )?;
    }
    Ok(())
}
