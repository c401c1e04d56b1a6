//! The invariant checker: every invariant is a named function citing the requirements it checks, run after every
//! step of every run, generated or scripted.
//!
//! The checker keeps its own record of what happened (a shadow of references, messages, transports, flushes and
//! the store's logoff history), built from the actions and effects alone, and compares the model against it. It
//! computes what must hold from that record (activity, what is logged on, what a PURGE waits for), never with the
//! model's helpers: an invariant that asked the model how it decides would check the model against itself. It
//! reads the model's guards only where a guard is itself what a requirement states (reception disabled, R10;
//! sending and reception unchanged, R7).

use logoff_core::*;
use std::fmt;

/// The invariants, in the order of SPEC.md section 3.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub enum Invariant {
    /// R1: invalid StoreLogoff flags return MAPI_E_INVALID_PARAMETER and change nothing.
    InvalidInputChangesNothing,
    /// R2-R4, A1, A9: when, by whom and with which mode StoreLogoffTransports is called.
    TransportsCallSite,
    /// R5, R14: after COMPLETE only AddRef and Release work; after the spooler released the store it does nothing
    /// more for it.
    OnlyReleaseAfterComplete,
    /// R6: reference counts follow AddRef and Release and never go below zero.
    ReferenceCounts,
    /// R7: with another process holding the store, the call returns exactly COMPLETE and changes nothing else.
    OtherProcess,
    /// R8, R9, A3, A4: ABORT and QUIET refuse exactly when there is activity, and a refusal changes nothing.
    RefusedChangesNothing,
    /// R10: NO_WAIT (and PURGE) disables reception at once and returns only when the queue is drained.
    NoWaitDrains,
    /// R11, A2: ORDERLY starts no new reception (nor, under `keep`, a send) and returns when nothing is in progress.
    OrderlyStartsNothing,
    /// R12, A5: PURGE flushes every logged-on transport and returns after those flushes.
    PurgeFlushesFirst,
    /// R13: the output flags describe the state at the return, exactly.
    OutputFlagsExact,
    /// R15-R19, A6: TransportLogoff's order of calls and its aftermath.
    TransportLogoffOrder,
    /// R20: every message is in exactly one place, moves only along its lifecycle, and is never lost or doubled.
    Conservation,
    /// R21: every blocked call returns once the faults stop; nothing is stuck when the run ends.
    Liveness,
}

impl Invariant {
    pub const ALL: [Invariant; 13] = [
        Invariant::InvalidInputChangesNothing,
        Invariant::TransportsCallSite,
        Invariant::OnlyReleaseAfterComplete,
        Invariant::ReferenceCounts,
        Invariant::OtherProcess,
        Invariant::RefusedChangesNothing,
        Invariant::NoWaitDrains,
        Invariant::OrderlyStartsNothing,
        Invariant::PurgeFlushesFirst,
        Invariant::OutputFlagsExact,
        Invariant::TransportLogoffOrder,
        Invariant::Conservation,
        Invariant::Liveness,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Invariant::InvalidInputChangesNothing => "invalid-input-changes-nothing",
            Invariant::TransportsCallSite => "transports-call-site",
            Invariant::OnlyReleaseAfterComplete => "only-release-after-complete",
            Invariant::ReferenceCounts => "reference-counts",
            Invariant::OtherProcess => "other-process",
            Invariant::RefusedChangesNothing => "refused-changes-nothing",
            Invariant::NoWaitDrains => "no-wait-drains",
            Invariant::OrderlyStartsNothing => "orderly-starts-nothing",
            Invariant::PurgeFlushesFirst => "purge-flushes-first",
            Invariant::OutputFlagsExact => "output-flags-exact",
            Invariant::TransportLogoffOrder => "transport-logoff-order",
            Invariant::Conservation => "conservation",
            Invariant::Liveness => "liveness",
        }
    }

    pub const fn requirements(self) -> &'static str {
        match self {
            Invariant::InvalidInputChangesNothing => "R1, A7",
            Invariant::TransportsCallSite => "R2, R3, R4, A1, A9",
            Invariant::OnlyReleaseAfterComplete => "R5, R14",
            Invariant::ReferenceCounts => "R6",
            Invariant::OtherProcess => "R7",
            Invariant::RefusedChangesNothing => "R8, R9, A3, A4",
            Invariant::NoWaitDrains => "R10",
            Invariant::OrderlyStartsNothing => "R11, A2",
            Invariant::PurgeFlushesFirst => "R12, A5",
            Invariant::OutputFlagsExact => "R13",
            Invariant::TransportLogoffOrder => "R15, R16, R17, R18, R19, A6",
            Invariant::Conservation => "R20",
            Invariant::Liveness => "R21",
        }
    }

    pub fn from_name(name: &str) -> Option<Invariant> {
        Invariant::ALL.into_iter().find(|i| i.name() == name)
    }

    pub const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Invariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A broken invariant: which one, and what was seen (a fixed text, so that the sweep path formats nothing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Violation {
    pub invariant: Invariant,
    pub what: &'static str,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.invariant, self.invariant.requirements(), self.what)
    }
}

fn fail(invariant: Invariant, what: &'static str) -> Result<(), Violation> {
    Err(Violation { invariant, what })
}

fn ensure(condition: bool, invariant: Invariant, what: &'static str) -> Result<(), Violation> {
    if condition {
        Ok(())
    } else {
        fail(invariant, what)
    }
}

/// The checker's own view of a transport.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Logon {
    On,
    LoggingOff,
    Off,
}

/// A StoreLogoffTransports call in progress, as the checker saw it start.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct CallInProgress {
    mode: Mode,
    /// Bit J: a transport whose flush the PURGE must see finish (or see logged off) before it returns.
    flushes_awaited: u8,
}

/// The checker: the shadow state and the per-step checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Checker {
    profile: Profile,
    inbox: bool,
    references: [u32; CLIENTS_MAX],
    blocked: [bool; CLIENTS_MAX],
    messages: Messages,
    logons: [Logon; TRANSPORTS_MAX],
    other: u8,
    /// The mode of the last StoreLogoff that was accepted (R2).
    saved: Option<Mode>,
    /// A StoreLogoffTransports call has been made.
    called: bool,
    /// A StoreLogoffTransports call returned COMPLETE: the store is invalid (R5).
    complete: bool,
    /// The spooler released the store (R14).
    released: bool,
    in_progress: Option<CallInProgress>,
    /// Bit J: the checker saw a flush start on transport J and not end.
    flushing: u8,
    /// Another process had the store open when the call in progress was made (R7).
    other_at_call: bool,
}

/// The mode that R1 and A7 make of raw flags: exactly one of the five mode bits, nothing undefined, output-only
/// bits only under `input=mask`. Written out again here on purpose: the checker does not trust the model's parser.
fn decode_mode(flags: LogoffFlags, input: InputCheck) -> Option<Mode> {
    let bits = flags.bits();
    if bits & !0x000F_001F != 0 {
        return None;
    }
    if input == InputCheck::Strict && bits & 0x000F_0000 != 0 {
        return None;
    }
    match bits & 0x1F {
        0x01 => Some(Mode::NoWait),
        0x02 => Some(Mode::Orderly),
        0x04 => Some(Mode::Purge),
        0x08 => Some(Mode::Abort),
        0x10 => Some(Mode::Quiet),
        _ => None,
    }
}

/// The activity flags of R13, counted from the checker's own view of the messages.
fn activity_of(messages: &Messages) -> LogoffFlags {
    let mut flags = LogoffFlags::empty();
    for message in messages.iter() {
        match message {
            MessageState::Queued => flags |= LogoffFlags::OUTBOUND_QUEUE,
            MessageState::Sending(_) => flags |= LogoffFlags::OUTBOUND,
            MessageState::Receiving(_) => flags |= LogoffFlags::INBOUND,
            _ => {}
        }
    }
    flags
}

impl Checker {
    /// The checker of a run that starts in `model`'s initial state.
    pub fn new(model: &Model) -> Checker {
        let setup = *model.setup();
        let mut references = [0; CLIENTS_MAX];
        references[..usize::from(setup.clients)].fill(1);
        let mut logons = [Logon::Off; TRANSPORTS_MAX];
        logons[..usize::from(setup.transports)].fill(Logon::On);
        Checker {
            profile: *model.profile(),
            inbox: setup.inbox,
            references,
            blocked: [false; CLIENTS_MAX],
            messages: Messages::UNUSED,
            logons,
            other: setup.other,
            saved: None,
            called: false,
            complete: false,
            released: false,
            in_progress: None,
            flushing: 0,
            other_at_call: false,
        }
    }

    /// One bit for each transport the checker knows to be logged on.
    fn logged_on_bits(&self) -> u8 {
        self.logons.iter().enumerate().fold(0, |bits, (i, l)| if *l == Logon::On { bits | 1 << i } else { bits })
    }

    /// The shadow packed into six words: an injective encoding for a given profile and setup (which it leaves
    /// out), for the fingerprints of an exhaustive exploration.
    pub fn packed(&self) -> [u64; 6] {
        let [m0, m1, m2, m3] = self.messages.words();
        let mut clients = 0u64;
        for (i, (references, blocked)) in self.references.iter().zip(self.blocked).enumerate() {
            // A reachable shadow mirrors the model's counts, at most REFERENCES_PER_CLIENT_MAX: 8 bits.
            debug_assert!(*references < 256);
            clients |= (u64::from(*references) | u64::from(blocked) << 8) << (i * 9);
        }
        let mut logons = 0u64;
        for (i, logon) in self.logons.iter().enumerate() {
            let bits = match logon {
                Logon::On => 0,
                Logon::LoggingOff => 1,
                Logon::Off => 2,
            };
            logons |= bits << (i * 2);
        }
        let saved = self.saved.map_or(0, |mode| 1 + mode_number(mode));
        let flags = u64::from(self.called) | u64::from(self.complete) << 1 | u64::from(self.released) << 2;
        let in_progress =
            self.in_progress.map_or(0, |call| 1 | mode_number(call.mode) << 1 | u64::from(call.flushes_awaited) << 4);
        let other = u64::from(self.other) | u64::from(self.other_at_call) << 8;
        // Clients take bits 0-35, logons 36-41, saved 42-44, flags 45-47, flushing 48-55.
        let first = clients | logons << 36 | saved << 42 | flags << 45 | u64::from(self.flushing) << 48;
        [m0, m1, m2, m3, first, in_progress | other << 16]
    }

    /// The checker's view of one client: its references and whether it has a call in progress.
    pub fn client_part(&self, c: ClientId) -> (u32, bool) {
        (self.references[c.index()], self.blocked[c.index()])
    }

    /// The same shadow with clients, transports and messages renamed as `Model::renamed` renames them.
    pub fn renamed(&self, renaming: &Renaming) -> Checker {
        let mut renamed = *self;
        for (old, new) in renaming.clients.iter().enumerate() {
            renamed.references[usize::from(*new)] = self.references[old];
            renamed.blocked[usize::from(*new)] = self.blocked[old];
        }
        for (old, new) in renaming.transports.iter().enumerate() {
            renamed.logons[usize::from(*new)] = self.logons[old];
        }
        renamed.flushing = renaming.transport_bits(self.flushing);
        if let Some(call) = &mut renamed.in_progress {
            call.flushes_awaited = renaming.transport_bits(call.flushes_awaited);
        }
        renamed.messages = self.messages.renamed(renaming);
        renamed
    }

    /// The checker's view of one transport, for sort keys: its logon, and whether it is flushing and awaited.
    pub fn transport_part(&self, t: TransportId) -> (u8, bool, bool) {
        let logon = match self.logons[t.index()] {
            Logon::On => 0,
            Logon::LoggingOff => 1,
            Logon::Off => 2,
        };
        let bit = 1 << t.0;
        let awaited = self.in_progress.is_some_and(|call| call.flushes_awaited & bit != 0);
        (logon, self.flushing & bit != 0, awaited)
    }

    /// The checker's view of the messages.
    pub fn messages(&self) -> &Messages {
        &self.messages
    }

    fn total_references(&self) -> u32 {
        self.references.iter().sum()
    }

    /// Checks one applied step: `before` and `after` are the model around it, `effects` what it returned.
    pub fn after_step(
        &mut self,
        before: &Model,
        action: Action,
        effects: &Effects,
        after: &Model,
    ) -> Result<(), Violation> {
        let effects = effects.as_slice();
        self.invalid_input_changes_nothing(before, action, effects, after)?;
        self.only_release_after_complete(action, effects)?;
        self.reference_counts(action, effects, after)?;
        self.transport_logoff_order(action, effects, after)?;
        self.logoff_calls(before, action, effects, after)?;
        self.client_results(action, effects)?;
        let messages = self.conservation(action, effects, after)?;
        self.track(action, effects);
        self.messages = messages;
        self.still_blocked_for_a_reason()
    }

    /// The results clients get (R5, A1, A8, MODEL.md decisions 5 and 7): StoreLogoff writes back exactly what the
    /// profile says and never an input bit; a failure writes back nothing; MAPI_E_INVALID_OBJECT only after
    /// COMPLETE, MAPI_E_BUSY only while a StoreLogoffTransports call is in progress; submit succeeds until COMPLETE.
    fn client_results(&self, action: Action, effects: &[Effect]) -> Result<(), Violation> {
        const I: Invariant = Invariant::OutputFlagsExact;
        let returned_flags = effects.iter().find_map(|e| match *e {
            Effect::TransportsReturned { flags, .. } => Some(flags),
            _ => None,
        });
        for effect in effects {
            let Effect::Returned { call, result: CallResult::Status(hr, out), .. } = *effect else { continue };
            if hr != HResult::S_OK {
                ensure(out.is_empty(), I, "a failed call wrote back flags")?;
                let expected = if self.complete {
                    HResult::INVALID_OBJECT
                } else if call == ClientCall::StoreLogoff
                    && matches!(action, Action::Logoff(_, flags) if decode_mode(flags, self.profile.input).is_none())
                {
                    HResult::INVALID_PARAMETER
                } else if call == ClientCall::StoreLogoff && self.in_progress.is_some() {
                    HResult::BUSY
                } else {
                    HResult::S_OK
                };
                ensure(hr == expected, Invariant::OnlyReleaseAfterComplete, "a call failed with the wrong HRESULT")?;
                continue;
            }
            ensure(!self.complete, Invariant::OnlyReleaseAfterComplete, "a call on the invalid store succeeded")?;
            match call {
                ClientCall::Submit => ensure(out.is_empty(), I, "submit wrote back flags")?,
                ClientCall::StoreLogoff => {
                    ensure(!out.intersects(LogoffFlags::MODES), I, "StoreLogoff echoed input bits")?;
                    let expected = match self.profile.call_site {
                        CallSite::Eager => returned_flags,
                        CallSite::Deferred => Some(match self.profile.storelogoff_out {
                            StoreLogoffOut::None => LogoffFlags::empty(),
                            StoreLogoffOut::Complete => LogoffFlags::COMPLETE,
                        }),
                    };
                    ensure(Some(out) == expected, I, "StoreLogoff did not write back what A1 and A8 say")?;
                }
                ClientCall::AddRef | ClientCall::Release => {}
            }
        }
        if let Action::Submit(c, _) = action {
            let answered = effects.iter().any(|e| matches!(*e, Effect::Returned { client, .. } if client == c));
            ensure(answered, I, "submit did not return")?;
        }
        Ok(())
    }

    /// Section 5: a blocking call returns in the step in which its last condition becomes true, so while one is
    /// in progress at least one condition must still hold, by the checker's own view of the run.
    fn still_blocked_for_a_reason(&self) -> Result<(), Violation> {
        let Some(call) = self.in_progress else { return Ok(()) };
        if !call.mode.blocks() || self.other_at_call {
            return Ok(());
        }
        let activity = activity_of(&self.messages);
        let busy = activity.intersects(LogoffFlags::INBOUND | LogoffFlags::OUTBOUND);
        let drains = call.mode != Mode::Orderly || self.profile.orderly == Orderly::Drain;
        let sendable = activity.contains(LogoffFlags::OUTBOUND_QUEUE) && self.logged_on_bits() != 0;
        let flushes = call.mode == Mode::Purge && call.flushes_awaited & self.flushing != 0;
        ensure(
            busy || (drains && sendable) || flushes,
            Invariant::Liveness,
            "a blocking call did not return in the step its last condition became true",
        )
    }

    /// R1, A7.
    fn invalid_input_changes_nothing(
        &self,
        before: &Model,
        action: Action,
        effects: &[Effect],
        after: &Model,
    ) -> Result<(), Violation> {
        const I: Invariant = Invariant::InvalidInputChangesNothing;
        let Action::Logoff(c, flags) = action else { return Ok(()) };
        let returned = effects.iter().find_map(|e| match *e {
            Effect::Returned { client, call: ClientCall::StoreLogoff, result: CallResult::Status(hr, out) }
                if client == c =>
            {
                Some((hr, out))
            }
            _ => None,
        });
        let valid = decode_mode(flags, self.profile.input).is_some();
        match returned {
            Some((hr, out)) if hr == HResult::INVALID_PARAMETER => {
                ensure(!valid, I, "valid StoreLogoff flags were refused with MAPI_E_INVALID_PARAMETER")?;
                ensure(out.is_empty(), I, "a failed StoreLogoff wrote back flags")?;
                ensure(before == after, I, "StoreLogoff with invalid flags changed the state")
            }
            // R5 comes first: an invalid store answers MAPI_E_INVALID_OBJECT whatever the flags.
            Some((hr, _)) if hr == HResult::INVALID_OBJECT => Ok(()),
            _ => ensure(valid, I, "StoreLogoff accepted invalid flags"),
        }
    }

    /// R5, R14.
    fn only_release_after_complete(&self, action: Action, effects: &[Effect]) -> Result<(), Violation> {
        const I: Invariant = Invariant::OnlyReleaseAfterComplete;
        if self.complete {
            if let Action::Logoff(c, _) | Action::Submit(c, _) = action {
                let refused = effects.iter().any(|e| {
                    matches!(*e, Effect::Returned { client, result: CallResult::Status(hr, out), .. }
                        if client == c && hr == HResult::INVALID_OBJECT && out.is_empty())
                });
                ensure(refused, I, "a call on the invalid store did not return MAPI_E_INVALID_OBJECT")?;
                ensure(
                    !effects.iter().any(|e| matches!(e, Effect::TransportsCalled { .. })),
                    I,
                    "a call on the invalid store reached StoreLogoffTransports",
                )?;
            }
        }
        if self.released {
            ensure(
                !matches!(
                    action,
                    Action::Send(..)
                        | Action::Receive(..)
                        | Action::Flush(..)
                        | Action::Sent(..)
                        | Action::SendFailed(..)
                        | Action::Received(..)
                ),
                I,
                "the spooler worked for a store it had released",
            )?;
            ensure(
                !effects.iter().any(|e| matches!(e, Effect::Transport { call: TransportCall::Flush(_), .. })),
                I,
                "the spooler started a flush for a store it had released",
            )?;
        }
        Ok(())
    }

    /// R6.
    fn reference_counts(&self, action: Action, effects: &[Effect], after: &Model) -> Result<(), Violation> {
        const I: Invariant = Invariant::ReferenceCounts;
        let mut expected = self.references;
        match action {
            Action::AddRef(c) => expected[c.index()] += 1,
            Action::Release(c) => {
                ensure(expected[c.index()] > 0, I, "Release by a client that holds no reference")?;
                expected[c.index()] -= 1;
            }
            _ => {}
        }
        let total: u32 = expected.iter().sum();
        for effect in effects {
            match *effect {
                Effect::Returned { call: ClientCall::AddRef | ClientCall::Release, result, .. } => match result {
                    CallResult::Count(count) => {
                        ensure(count == total, I, "AddRef or Release returned a count that is not the reference count")?
                    }
                    CallResult::Status(..) => fail(I, "AddRef or Release returned an HRESULT instead of a count")?,
                },
                Effect::Returned {
                    call: ClientCall::StoreLogoff | ClientCall::Submit,
                    result: CallResult::Count(_),
                    ..
                } => {
                    fail(Invariant::OutputFlagsExact, "StoreLogoff or a submit returned a count instead of an HRESULT")?
                }
                _ => {}
            }
        }
        for (i, expected) in expected.iter().enumerate().take(usize::from(after.setup().clients)) {
            let held = after.client(ClientId(i as u8)).map_or(0, |c| u32::from(c.references));
            ensure(held == *expected, I, "a client's references differ from its AddRef and Release calls")?;
        }
        if let Action::AddRef(c) | Action::Release(c) | Action::Logoff(c, _) | Action::Submit(c, _) = action {
            ensure(!self.blocked[c.index()], I, "a client made a call while one of its calls was in progress")?;
            ensure(self.references[c.index()] > 0, I, "a client that holds no reference made a call")?;
        }
        Ok(())
    }

    /// R15-R19, A6.
    fn transport_logoff_order(&self, action: Action, effects: &[Effect], after: &Model) -> Result<(), Violation> {
        const I: Invariant = Invariant::TransportLogoffOrder;
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
        if let Some(t) = acting_transport {
            ensure(self.logons[t.index()] == Logon::On, I, "a call on a transport after TransportLogoff (R19)")?;
        }
        for effect in effects {
            if let Effect::Transport { transport, call: TransportCall::Flush(_) } = *effect {
                ensure(self.logons[transport.index()] == Logon::On, I, "FlushQueues after TransportLogoff (R19)")?;
            }
        }
        let calls_on = |t: TransportId| {
            effects.iter().filter_map(move |e| match *e {
                Effect::Transport { transport, call } if transport == t => Some(call),
                _ => None,
            })
        };
        match action {
            Action::TransportLogoff(t) => {
                let expected_flags = match self.profile.transport_logoff_flags {
                    TransportLogoffArg::Zero => TransportLogoffFlags::empty(),
                    TransportLogoffArg::Normal => TransportLogoffFlags::NORMAL,
                };
                let mut calls = calls_on(t);
                ensure(
                    calls.next() == Some(TransportCall::DiscardAddressTypes),
                    I,
                    "address types not discarded before TransportLogoff (R15)",
                )?;
                ensure(
                    calls.next() == Some(TransportCall::Logoff(expected_flags)),
                    I,
                    "TransportLogoff not called, or called with the wrong flags (A6)",
                )?;
                ensure(calls.next().is_none(), I, "more calls on the transport inside TransportLogoff")?;
                ensure(
                    matches!(after.transport(t), Some(TransportState::LoggingOff)),
                    I,
                    "the transport is not logging off after TransportLogoff",
                )?;
                // R16: the message being sent is neither sent nor lost; it is back in the queue. A message being
                // received stays at its source: available again.
                for (i, message) in self.messages.iter().enumerate() {
                    let now = after.message(MessageId(i as u8));
                    if message == MessageState::Sending(t) {
                        ensure(
                            now == Some(MessageState::Queued),
                            I,
                            "the message being sent did not go back to the queue at TransportLogoff (R16)",
                        )?;
                    }
                    if message == MessageState::Receiving(t) {
                        ensure(
                            now == Some(MessageState::Available(t)),
                            I,
                            "the message being received did not go back to its transport at TransportLogoff",
                        )?;
                    }
                }
            }
            Action::LogoffReturns(t, outcome) => {
                let calls: [Option<TransportCall>; 3] = {
                    let mut it = calls_on(t);
                    [it.next(), it.next(), it.next()]
                };
                let expected = match outcome {
                    LogoffOutcome::Ok => [Some(TransportCall::MakeInvalid), Some(TransportCall::ReleaseSupport), None],
                    LogoffOutcome::Error => [None, None, None],
                };
                ensure(calls == expected, I, "MakeInvalid then the support object's release, in that order (R17)")?;
                ensure(
                    matches!(after.transport(t), Some(TransportState::LoggedOff)),
                    I,
                    "the transport is not logged off after TransportLogoff returned (R18)",
                )?;
            }
            _ => {
                for effect in effects {
                    if let Effect::Transport { call, .. } = *effect {
                        ensure(
                            matches!(call, TransportCall::Flush(_)),
                            I,
                            "logoff calls on a transport outside TransportLogoff",
                        )?;
                    }
                }
            }
        }
        Ok(())
    }

    /// The StoreLogoffTransports calls and returns of one step: R2-R4, R7-R13, A1-A5, A9.
    fn logoff_calls(&self, before: &Model, action: Action, effects: &[Effect], after: &Model) -> Result<(), Violation> {
        let called = effects.iter().find_map(|e| match *e {
            Effect::TransportsCalled { mode, caller } => Some((mode, caller)),
            _ => None,
        });
        let returned = effects.iter().find_map(|e| match *e {
            Effect::TransportsReturned { flags, other_process } => Some((flags, other_process)),
            _ => None,
        });
        let released_now = effects.iter().any(|e| matches!(e, Effect::StoreReleased));
        self.call_site(action, called, after)?;

        // Steps taken while a blocking call is in progress (R10, R11).
        if let Some(call) = self.in_progress {
            self.during_call(call.mode, action)?;
        }
        if let Some((mode, _)) = called {
            let others = self.other > 0;
            if others {
                const I: Invariant = Invariant::OtherProcess;
                ensure(
                    returned.map(|r| r.0) == Some(LogoffFlags::COMPLETE),
                    I,
                    "R7: the return is not exactly COMPLETE",
                )?;
                ensure(!released_now, I, "R7: the spooler released the store")?;
                ensure(
                    !effects.iter().any(|e| matches!(e, Effect::ReceptionDisabled | Effect::SendStopped { .. })),
                    I,
                    "R7: the spooler changed its work for the store",
                )?;
                ensure(before.messages() == after.messages(), I, "R7: messages moved")?;
                ensure(before.spooler() == after.spooler(), I, "R7: the spooler's work for the store changed")?;
                ensure(
                    before.reception_enabled() == after.reception_enabled()
                        && before.sending_allowed() == after.sending_allowed(),
                    I,
                    "R7: sending or reception changed",
                )?;
                ensure(
                    !effects.iter().any(|e| matches!(e, Effect::Transport { .. })),
                    I,
                    "R7: the spooler called a transport",
                )?;
                if let Some((flags, _)) = returned {
                    self.return_flags(flags, true, released_now, after)?;
                }
                return Ok(());
            }
            match mode {
                Mode::Abort | Mode::Quiet => {
                    self.abort_or_quiet(before, mode, returned, released_now, after)?;
                }
                Mode::NoWait | Mode::Orderly | Mode::Purge => {
                    const I: Invariant = Invariant::NoWaitDrains;
                    ensure(!after.reception_enabled(), I, "reception is enabled after a blocking logoff started")?;
                    if self.inbox && before.reception_enabled() {
                        ensure(
                            effects.iter().any(|e| matches!(e, Effect::ReceptionDisabled)),
                            I,
                            "reception was not disabled when the call started",
                        )?;
                    }
                    if mode == Mode::Purge {
                        self.purge_started(effects)?;
                    }
                }
            }
        }
        if let Some((flags, other_process)) = returned {
            self.return_flags(flags, other_process, released_now, after)?;
            let mode = called.map(|c| c.0).or(self.in_progress.map(|c| c.mode));
            if let (Some(mode), false) = (mode, other_process) {
                if mode.blocks() {
                    self.blocking_return(mode, flags, action, after)?;
                }
            }
        } else if let Some((mode, _)) = called {
            ensure(mode.blocks(), Invariant::Liveness, "ABORT or QUIET did not return at once (R21)")?;
        }
        Ok(())
    }

    /// R2-R4, A1, A9: who calls StoreLogoffTransports, with which mode, and that the call at zero is not skipped.
    fn call_site(&self, action: Action, called: Option<(Mode, Caller)>, after: &Model) -> Result<(), Violation> {
        const I: Invariant = Invariant::TransportsCallSite;
        let eager = self.profile.call_site == CallSite::Eager;
        if let Some((mode, caller)) = called {
            match (caller, action) {
                (Caller::StoreLogoff(c), Action::Logoff(acting, flags)) if c == acting => {
                    ensure(eager, I, "StoreLogoffTransports called from StoreLogoff under `deferred` (A1)")?;
                    ensure(decode_mode(flags, self.profile.input) == Some(mode), I, "not called with the mode passed")?;
                }
                (Caller::Release(c), Action::Release(acting)) if c == acting => {
                    ensure(after.references() == 0, I, "StoreLogoffTransports called before the count reached zero")?;
                    let expected = if !eager && !self.called { self.saved.unwrap_or(Mode::Abort) } else { Mode::Abort };
                    ensure(mode == expected, I, "at zero: not the saved mode, or not ABORT (R3, R4)")?;
                }
                _ => return fail(I, "StoreLogoffTransports called from a step that cannot make it"),
            }
        }
        if let Action::Release(_) = action {
            if self.total_references() == 1 && !self.complete {
                let due = match self.profile.zero_call {
                    ZeroCall::Once => !self.called,
                    ZeroCall::UntilComplete => true,
                };
                ensure(called.is_some() == due, I, "at zero the call was skipped, or made when not due (R4, A9)")?;
            }
        }
        if let Action::Logoff(c, flags) = action {
            let accepted = decode_mode(flags, self.profile.input).is_some()
                && !self.complete
                && self.in_progress.is_none()
                && !self.blocked.iter().any(|b| *b);
            if accepted && eager {
                ensure(called.map(|c| c.1) == Some(Caller::StoreLogoff(c)), I, "eager StoreLogoff made no call")?;
            }
        }
        Ok(())
    }

    /// R10, R11, A2: what may not start while a blocking call is in progress.
    fn during_call(&self, mode: Mode, action: Action) -> Result<(), Violation> {
        match action {
            Action::Receive(..) => {
                let invariant =
                    if mode == Mode::Orderly { Invariant::OrderlyStartsNothing } else { Invariant::NoWaitDrains };
                fail(invariant, "a reception started while the logoff was in progress")
            }
            Action::Send(..) if mode == Mode::Orderly && self.profile.orderly == Orderly::Keep => {
                fail(Invariant::OrderlyStartsNothing, "a send started during ORDERLY under `keep`")
            }
            _ => Ok(()),
        }
    }

    /// R8, R9, A3, A4.
    fn abort_or_quiet(
        &self,
        before: &Model,
        mode: Mode,
        returned: Option<(LogoffFlags, bool)>,
        released_now: bool,
        after: &Model,
    ) -> Result<(), Violation> {
        const I: Invariant = Invariant::RefusedChangesNothing;
        let Some((flags, _)) = returned else {
            return fail(Invariant::Liveness, "ABORT or QUIET did not return at once (R21)");
        };
        let activity = activity_of(&self.messages);
        let busy = activity.intersects(LogoffFlags::INBOUND | LogoffFlags::OUTBOUND)
            || (self.profile.queue_is_activity == QueueIsActivity::Yes
                && activity.contains(LogoffFlags::OUTBOUND_QUEUE));
        let refuses = busy && (mode == Mode::Quiet || self.profile.abort == Abort::Refuse);
        ensure(flags.contains(LogoffFlags::COMPLETE) != refuses, I, "refused without activity, or completed with it")?;
        if refuses {
            ensure(!released_now, I, "a refused logoff released the store")?;
            ensure(before.messages() == after.messages(), I, "a refused logoff moved messages")?;
            ensure(before.spooler() == after.spooler(), I, "a refused logoff changed the spooler")?;
            for t in TransportId::all(TRANSPORTS_MAX) {
                ensure(before.transport(t) == after.transport(t), I, "a refused logoff changed a transport")?;
            }
        } else {
            ensure(released_now, I, "a completed ABORT or QUIET did not release the store")?;
        }
        Ok(())
    }

    /// R12, A5: at the start of a PURGE, every logged-on transport is flushed, or already flushing.
    fn purge_started(&self, effects: &[Effect]) -> Result<(), Violation> {
        const I: Invariant = Invariant::PurgeFlushesFirst;
        let flags = match self.profile.purge_flush {
            PurgeFlush::Upload => FlushFlags::UPLOAD,
            PurgeFlush::Both => FlushFlags::UPLOAD | FlushFlags::DOWNLOAD,
        };
        for t in TransportId::all(TRANSPORTS_MAX) {
            let flushed_now = effects.iter().any(|e| {
                matches!(*e, Effect::Transport { transport, call: TransportCall::Flush(f) } if transport == t && f == flags)
            });
            let bit = 1u8 << t.0;
            if self.logged_on_bits() & bit == 0 {
                continue;
            }
            if self.flushing & bit != 0 {
                ensure(!flushed_now, I, "PURGE flushed a transport that was already flushing")?
            } else {
                ensure(flushed_now, I, "PURGE did not call FlushQueues, with the flags of A5, on a transport")?
            }
        }
        Ok(())
    }

    /// R13 (and R7's exact COMPLETE, R5's invalidation).
    fn return_flags(
        &self,
        flags: LogoffFlags,
        other_process: bool,
        released_now: bool,
        after: &Model,
    ) -> Result<(), Violation> {
        const I: Invariant = Invariant::OutputFlagsExact;
        ensure(!flags.intersects(LogoffFlags::MODES), I, "input bits echoed in the output flags")?;
        if other_process {
            ensure(flags == LogoffFlags::COMPLETE, I, "R7's return is not exactly COMPLETE")?;
        } else {
            let activity = activity_of(after.messages());
            ensure(flags & LogoffFlags::ACTIVITY == activity, I, "the activity flags do not describe the state")?;
            ensure(
                !(flags.contains(LogoffFlags::COMPLETE)
                    && flags.intersects(LogoffFlags::INBOUND | LogoffFlags::OUTBOUND)),
                Invariant::OnlyReleaseAfterComplete,
                "COMPLETE with a send or receive still in progress: the spooler released a store it still works for",
            )?;
            ensure(flags.contains(LogoffFlags::COMPLETE) == released_now, I, "COMPLETE without the store released")?;
        }
        if flags.contains(LogoffFlags::COMPLETE) {
            ensure(
                matches!(after.store_phase(), StorePhase::Invalid | StorePhase::Destroyed),
                Invariant::OnlyReleaseAfterComplete,
                "the store is still usable after COMPLETE (R5)",
            )?;
        }
        Ok(())
    }

    /// R10, R11, R12 at the return of a blocking call.
    fn blocking_return(
        &self,
        mode: Mode,
        flags: LogoffFlags,
        action_of_return: Action,
        after: &Model,
    ) -> Result<(), Violation> {
        let invariant = match mode {
            Mode::Orderly => Invariant::OrderlyStartsNothing,
            _ => Invariant::NoWaitDrains,
        };
        ensure(flags.contains(LogoffFlags::COMPLETE), invariant, "a blocking logoff returned without COMPLETE")?;
        let activity = activity_of(after.messages());
        ensure(
            !activity.intersects(LogoffFlags::INBOUND | LogoffFlags::OUTBOUND),
            invariant,
            "returned while a message was being sent or received",
        )?;
        let drains = mode != Mode::Orderly || self.profile.orderly == Orderly::Drain;
        let mut logged_on = self.logged_on_bits();
        if let Action::TransportLogoff(t) = action_of_return {
            logged_on &= !(1 << t.0);
        }
        let any_logged_on = logged_on != 0;
        if drains && any_logged_on {
            ensure(!activity.contains(LogoffFlags::OUTBOUND_QUEUE), invariant, "returned before the queue was sent")?;
        }
        if mode == Mode::Purge {
            // The awaited flushes, less those that finished or whose transport logged off in this step.
            // A PURGE awaits every transport logged on when it started, flushed then or flushing already.
            let awaited = self.in_progress.map_or_else(|| self.logged_on_bits(), |c| c.flushes_awaited);
            // The flushes still running by the checker's own view, this step's completions and logoffs included.
            let mut running = self.flushing;
            match action_of_return {
                Action::Flushed(t) | Action::TransportLogoff(t) => running &= !(1 << t.0),
                _ => {}
            }
            ensure(awaited & running == 0, Invariant::PurgeFlushesFirst, "PURGE returned before a flush completed")?;
        }
        Ok(())
    }

    /// R20: the checker moves its own copy of every message by the steps and effects, and the model must agree.
    fn conservation(&self, action: Action, effects: &[Effect], after: &Model) -> Result<Messages, Violation> {
        const I: Invariant = Invariant::Conservation;
        let mut messages = self.messages;
        let mut step = |m: MessageId, from: MessageState, to: MessageState, what: &'static str| {
            if messages.get(m) != Some(from) {
                return fail(I, what);
            }
            messages.set(m, to);
            Ok(())
        };
        match action {
            Action::Submit(_, m) => {
                let accepted = effects.iter().any(|e| {
                    matches!(*e, Effect::Returned { call: ClientCall::Submit, result: CallResult::Status(hr, _), .. }
                        if hr == HResult::S_OK)
                });
                if accepted {
                    step(m, MessageState::Unused, MessageState::Queued, "a submitted name was in use")?;
                }
            }
            Action::Arrive(t, m) => {
                step(m, MessageState::Unused, MessageState::Available(t), "an arrival reused a name")?
            }
            Action::Send(m, t) => step(m, MessageState::Queued, MessageState::Sending(t), "sent a message not queued")?,
            Action::Sent(t, m) => step(m, MessageState::Sending(t), MessageState::Sent, "sent twice, or not sending")?,
            Action::SendFailed(t, m) => {
                step(m, MessageState::Sending(t), MessageState::Queued, "failed a send not made")?
            }
            Action::Receive(m, t) => {
                if !self.inbox {
                    return Err(Violation { invariant: I, what: "received into a store without the default Inbox" });
                }
                step(m, MessageState::Available(t), MessageState::Receiving(t), "received a message not available")?
            }
            Action::Received(t, m) => {
                if self.released {
                    return Err(Violation {
                        invariant: I,
                        what: "delivered into a store the spooler had released (R14)",
                    });
                }
                step(m, MessageState::Receiving(t), MessageState::Delivered, "delivered twice, or not receiving")?
            }
            _ => {}
        }
        for effect in effects {
            match *effect {
                Effect::SendStopped { transport, message } => {
                    step(message, MessageState::Sending(transport), MessageState::Queued, "stopped a send not made")?
                }
                Effect::ReceiveStopped { transport, message } => step(
                    message,
                    MessageState::Receiving(transport),
                    MessageState::Available(transport),
                    "stopped a receive not made",
                )?,
                _ => {}
            }
        }
        ensure(&messages == after.messages(), I, "a message moved, appeared or vanished without a step that moves it")?;
        Ok(messages)
    }

    /// Moves the shadow state past the step (after every check passed).
    fn track(&mut self, action: Action, effects: &[Effect]) {
        match action {
            Action::AddRef(c) => self.references[c.index()] += 1,
            Action::Release(c) => self.references[c.index()] -= 1,
            Action::Logoff(c, flags) => {
                let refused = effects.iter().any(|e| {
                    matches!(*e, Effect::Returned { client, call: ClientCall::StoreLogoff, result: CallResult::Status(hr, _) }
                        if client == c && hr != HResult::S_OK)
                });
                if !refused {
                    self.saved = decode_mode(flags, self.profile.input);
                }
            }
            Action::Flushed(t) => {
                self.flushing &= !(1 << t.0);
                if let Some(call) = &mut self.in_progress {
                    call.flushes_awaited &= !(1 << t.0);
                }
            }
            Action::TransportLogoff(t) => {
                self.flushing &= !(1 << t.0);
                self.logons[t.index()] = Logon::LoggingOff;
                if let Some(call) = &mut self.in_progress {
                    call.flushes_awaited &= !(1 << t.0);
                }
            }
            Action::LogoffReturns(t, _) => self.logons[t.index()] = Logon::Off,
            Action::OtherOpen => self.other += 1,
            Action::OtherClose => self.other -= 1,
            _ => {}
        }
        if let Action::AddRef(c) | Action::Release(c) | Action::Logoff(c, _) | Action::Submit(c, _) = action {
            let returned = effects.iter().any(|e| matches!(*e, Effect::Returned { client, .. } if client == c));
            self.blocked[c.index()] = !returned;
        }
        for effect in effects {
            match *effect {
                Effect::Transport { transport, call: TransportCall::Flush(_) } => self.flushing |= 1 << transport.0,
                Effect::TransportsCalled { mode, .. } => {
                    self.called = true;
                    self.other_at_call = self.other > 0;
                    let flushes_awaited = if mode == Mode::Purge { self.logged_on_bits() } else { 0 };
                    self.in_progress = Some(CallInProgress { mode, flushes_awaited });
                }
                Effect::TransportsReturned { flags, .. } => {
                    self.in_progress = None;
                    if flags.contains(LogoffFlags::COMPLETE) {
                        self.complete = true;
                    }
                }
                Effect::StoreReleased => self.released = true,
                Effect::Returned { client, .. } => self.blocked[client.index()] = false,
                _ => {}
            }
        }
    }

    /// R21, at the end of a run that had time to settle: no call is still blocked.
    pub fn at_end(&self, model: &Model) -> Result<(), Violation> {
        const I: Invariant = Invariant::Liveness;
        ensure(self.in_progress.is_none(), I, "a StoreLogoffTransports call never returned")?;
        ensure(!self.blocked.iter().any(|b| *b), I, "a client call never returned")?;
        ensure(
            !matches!(model.store_phase(), StorePhase::LoggingOff),
            I,
            "the store is still logging off when the run ended",
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
                let queued = self.messages.iter().any(|m| m == MessageState::Queued);
                let available = self.messages.iter().any(|m| m == MessageState::Available(t));
                ensure(!queued || sending, I, "work pending: a queued message and an idle transport")?;
                ensure(
                    !(self.inbox && available && !receiving),
                    I,
                    "work pending: a message available at an idle transport",
                )?;
            }
        }
        Ok(())
    }
}
