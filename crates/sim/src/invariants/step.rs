//! What every invariant's function reads: one step summarised ([`Step`], its effects scanned once), where each
//! check stands in the order violations are reported ([`Rank`]), and the helpers that raise one invariant
//! ([`Checks`]).

use super::{CallInProgress, Checker, Invariant, Logon, Subject, Value, Violation};
use logoff_core::*;

/// Where a check stands in the order the checker reports: when one step breaks several invariants, the violation
/// of the lowest rank is the one reported. The order is the order in which the checker made its checks before they
/// were filed by invariant (issue 16), on which the mutant table and the explorer's counterexamples depend: the
/// step's input, calls after COMPLETE, reference counts, transports, the call site, the steps during a call, the
/// call, its return, the clients' results, the messages, and last what is still blocked. Within one invariant's
/// function the checks come in rank order, so that its first violation is its lowest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Rank(u16);

impl Rank {
    /// R1: a StoreLogoff's flags.
    pub const INPUT: Rank = Rank(0);
    /// R5, R14: the step's own call on an invalid or released store.
    pub const AFTER_COMPLETE: Rank = Rank(100);
    /// R6: a Release without a reference.
    pub const RELEASE: Rank = Rank(200);
    /// R6: the clients' counts after the step, and calls while blocked or without a reference.
    pub const HELD: Rank = Rank(300);
    /// R15-R19.
    pub const TRANSPORTS: Rank = Rank(400);
    /// R2-R4, A1, A9, A10.
    pub const CALL_SITE: Rank = Rank(500);
    /// R10, R11: what starts while a blocking call is in progress.
    pub const DURING_CALL: Rank = Rank(600);
    /// The call made in the step: R7, or ABORT and QUIET (R8, R9, R21), or a blocking call disabling reception.
    pub const AT_CALL: Rank = Rank(700);
    /// R12: the flushes at the start of a PURGE.
    pub const PURGE_START: Rank = Rank(701);
    /// R13: input bits echoed in the return.
    pub const RETURN_ECHO: Rank = Rank(800);
    /// R13: the return's activity flags (or R7's exact COMPLETE).
    pub const RETURN_FLAGS: Rank = Rank(801);
    /// R14: COMPLETE with a send or receive in progress.
    pub const RETURN_WORKING: Rank = Rank(802);
    /// R13: COMPLETE and the store's release together.
    pub const RETURN_RELEASE: Rank = Rank(803);
    /// R5: the store usable after COMPLETE.
    pub const RETURN_INVALID: Rank = Rank(804);
    /// R10, R11: a blocking call's return.
    pub const RETURN_BLOCKING: Rank = Rank(805);
    /// R12: a PURGE's return before its flushes.
    pub const RETURN_FLUSHES: Rank = Rank(806);
    /// R13: a submit that did not return.
    pub const SUBMIT_RETURNED: Rank = Rank(1000);
    /// R20.
    pub const CONSERVATION: Rank = Rank(1100);
    /// R21: a blocking call still in progress with nothing left to wait for.
    pub const BLOCKED: Rank = Rank(1200);

    /// R6 (and R13): the count or HRESULT of the client return that is effect `i`.
    pub const fn count(i: usize) -> Rank {
        Rank(Rank::RELEASE.0 + 1 + i as u16)
    }

    /// R5 and R13: the client return that is effect `i`, its `part`-th check (0 or 1).
    pub const fn result(i: usize, part: u16) -> Rank {
        Rank(900 + 2 * i as u16 + part)
    }
}

/// A violation found by one invariant's function, with the rank of the check that found it.
#[derive(Clone, Copy, Debug)]
pub(super) struct Found {
    pub rank: Rank,
    pub violation: Violation,
}

/// What an invariant's function returns: `Err` is its first violation.
pub(super) type Check = Result<(), Found>;

/// The checks of one invariant: every violation they raise is of that invariant.
pub(super) struct Checks(pub Invariant);

impl Checks {
    #[inline]
    pub fn fail(&self, rank: Rank, what: &'static str, expected: Value, seen: Value) -> Check {
        Err(Found { rank, violation: Violation::new(self.0, what, expected, seen) })
    }

    /// [`Checks::fail`] about a subject.
    #[inline]
    pub fn fail_of(&self, rank: Rank, subject: Subject, what: &'static str, expected: Value, seen: Value) -> Check {
        Err(Found { rank, violation: Violation::new(self.0, what, expected, seen).of(subject) })
    }

    #[inline]
    pub fn ensure(&self, rank: Rank, condition: bool, what: &'static str, expected: Value, seen: Value) -> Check {
        if condition {
            Ok(())
        } else {
            self.fail(rank, what, expected, seen)
        }
    }

    /// [`Checks::ensure`] about a subject.
    #[inline]
    pub fn ensure_of(
        &self,
        rank: Rank,
        condition: bool,
        subject: Subject,
        what: &'static str,
        expected: Value,
        seen: Value,
    ) -> Check {
        if condition {
            Ok(())
        } else {
            self.fail_of(rank, subject, what, expected, seen)
        }
    }

    /// The messages and the spooler's work as they were before the step (R7, R8): `moved` names the first message
    /// that moved, `changed` the spooler's state before against after.
    pub fn unchanged(
        &self,
        rank: Rank,
        moved: &'static str,
        changed: &'static str,
        before: &Model,
        after: &Model,
    ) -> Check {
        if before.messages() != after.messages() {
            let (subject, expected, seen) = first_moved(before.messages(), after.messages());
            self.fail_of(rank, subject, moved, expected, seen)?;
        }
        self.ensure(
            rank,
            before.spooler() == after.spooler(),
            changed,
            Value::Spooler(*before.spooler()),
            Value::Spooler(*after.spooler()),
        )
    }
}

/// The first message whose state differs between two records: the message, its state in `expected`, in `seen`.
pub(super) fn first_moved(expected: &Messages, seen: &Messages) -> (Subject, Value, Value) {
    let moved = expected.iter().zip(seen.iter()).position(|(a, b)| a != b).unwrap_or(0);
    let m = MessageId(moved as u8);
    (Subject::Message(m), Value::Message(expected.get(m)), Value::Message(seen.get(m)))
}

/// One step, as every invariant's function reads it: the model around it, the action, the shadow after it, and
/// its effects scanned once into the facts the invariants share.
pub struct Step<'a> {
    pub before: &'a Model,
    pub after: &'a Model,
    pub action: Action,
    pub effects: &'a [Effect],
    /// After the step, by the checker's shadow moved past it (R21 judges what is still blocked): the
    /// StoreLogoffTransports call in progress, whether another process had the store when it was made, the
    /// transports logged on and the flushes running (a bit a transport).
    pub(super) call_after: Option<CallInProgress>,
    pub(super) other_at_call_after: bool,
    pub(super) logons_after: [Logon; TRANSPORTS_MAX],
    pub(super) flushing_after: u8,
    /// The first StoreLogoffTransports call of the step.
    pub called: Option<(Mode, Caller)>,
    /// The first return of a StoreLogoffTransports call: its flags and whether R7 decided it.
    pub returned: Option<(LogoffFlags, bool)>,
    /// The call of this step found another process holding the store (R7): nothing after the call is judged as a
    /// logoff of the store.
    pub with_other: bool,
    /// The spooler released the store in this step.
    pub released: bool,
    /// The spooler disabled reception in this step.
    pub reception_disabled: bool,
    /// Bit `i`: effect `i` is a client call's return.
    pub returns: u16,
    /// Bit `i`: effect `i` is a call concerning a transport.
    pub transport_calls: u16,
    /// Bit `i`: effect `i` is a FlushQueues call.
    pub flushes: u16,
    /// Bit `i`: effect `i` is a stopped send or receive.
    pub stops: u16,
    /// Bit `i`: effect `i` changes the spooler's work for the store (reception disabled, a send stopped).
    pub work: u16,
    /// Bit `i`: effect `i` is the store's release.
    pub releases: u16,
}

impl<'a> Step<'a> {
    /// Scans the effects once, into the facts and into `next`, a copy of `checker` that it moves past the step.
    #[inline(always)]
    pub fn new(
        checker: &Checker,
        next: &mut Checker,
        before: &'a Model,
        action: Action,
        effects: &'a [Effect],
        after: &'a Model,
    ) -> Step<'a> {
        let (mut called, mut returned, mut reception_disabled) = (None, None, false);
        let (mut returns, mut transport_calls, mut flushes, mut stops, mut work, mut releases) = (0, 0, 0, 0, 0, 0);
        next.track_action(action);
        for (i, effect) in effects.iter().enumerate() {
            let bit = 1u16 << i;
            next.track_effect(effect);
            match *effect {
                Effect::TransportsCalled { mode, caller } => called = called.or(Some((mode, caller))),
                Effect::TransportsReturned { flags, other_process } => {
                    returned = returned.or(Some((flags, other_process)))
                }
                Effect::ReceptionDisabled => {
                    work |= bit;
                    reception_disabled = true;
                }
                Effect::StoreReleased => releases |= bit,
                Effect::Transport { call, .. } => {
                    transport_calls |= bit;
                    if matches!(call, TransportCall::Flush(_)) {
                        flushes |= bit;
                    }
                }
                Effect::SendStopped { .. } => {
                    stops |= bit;
                    work |= bit;
                }
                Effect::ReceiveStopped { .. } => stops |= bit,
                Effect::Returned { .. } => returns |= bit,
                Effect::StoreInvalidated | Effect::StoreDestroyed | Effect::FlushAbandoned { .. } => {}
            }
        }
        if let Action::Logoff(c, flags) = action {
            // A StoreLogoff that was not refused saves its mode (R2).
            let refused = Each { effects, rest: returns }.any(|(_, effect)| {
                matches!(effect, Effect::Returned { client, call: ClientCall::StoreLogoff, result: CallResult::Status(hr, _) }
                    if client == c && hr != HResult::S_OK)
            });
            if !refused {
                next.saved = super::decode_mode(flags, checker.profile.input);
            }
        }
        next.messages = *after.messages();
        Step {
            before,
            after,
            action,
            effects,
            call_after: next.in_progress,
            other_at_call_after: next.other_at_call,
            logons_after: next.logons,
            flushing_after: next.flushing,
            called,
            returned,
            with_other: called.is_some() && checker.other > 0,
            released: releases != 0,
            reception_disabled,
            returns,
            transport_calls,
            flushes,
            stops,
            work,
            releases,
        }
    }

    /// The first effect of those in `mask`.
    #[inline(always)]
    pub fn first(&self, mask: u16) -> Option<Effect> {
        self.each(mask).next().map(|(_, effect)| effect)
    }

    /// The effects in `mask`, in order, with their places in the step.
    #[inline(always)]
    pub fn each(&self, mask: u16) -> Each<'a> {
        Each { effects: self.effects, rest: mask }
    }

    /// The client returns of the step, in order, with their places.
    #[inline(always)]
    pub fn client_returns(&self) -> impl Iterator<Item = (usize, ClientId, ClientCall, CallResult)> + '_ {
        self.each(self.returns).filter_map(|(i, effect)| match effect {
            Effect::Returned { client, call, result } => Some((i, client, call, result)),
            _ => None,
        })
    }

    /// The first return to `c`, any call.
    #[inline(always)]
    pub fn answer_to(&self, c: ClientId) -> Option<(ClientCall, CallResult)> {
        self.client_returns().find(|(_, client, ..)| *client == c).map(|(_, _, call, result)| (call, result))
    }

    /// The calls concerning transport `t`, in order.
    #[inline(always)]
    pub fn calls_on(&self, t: TransportId) -> impl Iterator<Item = TransportCall> + '_ {
        self.each(self.transport_calls).filter_map(move |(_, effect)| match effect {
            Effect::Transport { transport, call } if transport == t => Some(call),
            _ => None,
        })
    }

    /// The first three calls concerning transport `t`.
    #[inline(always)]
    pub fn first_calls_on(&self, t: TransportId) -> [Option<TransportCall>; 3] {
        let mut calls = self.calls_on(t);
        [calls.next(), calls.next(), calls.next()]
    }
}

/// The effects of a step that a bit mask names, in order, with their places.
pub struct Each<'a> {
    effects: &'a [Effect],
    rest: u16,
}

impl Iterator for Each<'_> {
    type Item = (usize, Effect);

    #[inline]
    fn next(&mut self) -> Option<(usize, Effect)> {
        if self.rest == 0 {
            return None;
        }
        let i = self.rest.trailing_zeros() as usize;
        self.rest &= self.rest - 1;
        self.effects.get(i).map(|effect| (i, *effect))
    }
}
