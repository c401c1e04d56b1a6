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
            Invariant::TransportsCallSite => "R2, R3, R4, A1, A9, A10",
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

/// A value a violation names: what was expected or what was seen. Small typed data (`Copy`), formatted only when
/// the violation is displayed, so that the sweep path allocates and formats nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value {
    Text(&'static str),
    Flags(LogoffFlags),
    HResult(HResult),
    /// A mode, or no mode (invalid flags).
    Mode(Option<Mode>),
    Count(u32),
    /// A message's state (`None`: no such message).
    Message(Option<MessageState>),
    /// A message and its state.
    MessageIs(MessageId, MessageState),
    /// A transport's state (`None`: no such transport).
    Transport(Option<TransportState>),
    Store(StoreState),
    Spooler(SpoolerState),
    /// The guards "sending allowed" and "reception enabled".
    Guards {
        sending: bool,
        reception: bool,
    },
    /// A StoreLogoffTransports call in this mode still in progress.
    InProgress(Mode),
    /// No second StoreLogoffTransports call while one in this mode is in progress (MAPI_E_BUSY).
    Busy(Mode),
    /// ABORT or QUIET's outcome: COMPLETE or a refusal, and the transport activity it was decided on.
    Outcome {
        complete: bool,
        activity: LogoffFlags,
    },
    Step(Action),
    Effect(Effect),
    /// The first calls on a transport in one step, in order.
    Calls([Option<TransportCall>; 3]),
    /// A run's length when a limit stopped it.
    Run {
        steps: u32,
        ticks: u64,
    },
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Value::Text(text) => f.write_str(text),
            Value::Flags(flags) => write!(f, "{flags}"),
            Value::HResult(hr) => write!(f, "{hr}"),
            Value::Mode(Some(mode)) => write!(f, "{mode}"),
            Value::Mode(None) => f.write_str("no mode"),
            Value::Count(count) => write!(f, "{count}"),
            Value::Message(Some(state)) => f.write_str(state.name()),
            Value::Message(None) => f.write_str("no such message"),
            Value::MessageIs(m, state) => write!(f, "{m} {}", state.name()),
            Value::Transport(Some(state)) => f.write_str(state.name()),
            Value::Transport(None) => f.write_str("no such transport"),
            Value::Store(StoreState::Open { saved, called }) => {
                match saved {
                    Some(mode) => write!(f, "open, saved mode {mode}")?,
                    None => f.write_str("open, no saved mode")?,
                }
                if called {
                    f.write_str(", StoreLogoffTransports called")?;
                }
                Ok(())
            }
            Value::Store(StoreState::Invalid) => f.write_str("invalid"),
            Value::Store(StoreState::Destroyed) => f.write_str("destroyed"),
            Value::Spooler(SpoolerState::Serving) => f.write_str("serving the store"),
            Value::Spooler(SpoolerState::Released) => f.write_str("the store released"),
            Value::Spooler(SpoolerState::LoggingOff { mode, caller, .. }) => {
                write!(f, "a {mode} logoff in progress for {}", caller.client())
            }
            Value::Guards { sending, reception } => {
                let word = |on: bool, yes: &'static str, no: &'static str| if on { yes } else { no };
                write!(
                    f,
                    "sending {}, reception {}",
                    word(sending, "allowed", "not allowed"),
                    word(reception, "enabled", "disabled")
                )
            }
            Value::InProgress(mode) => write!(f, "the {mode} StoreLogoffTransports call still in progress"),
            Value::Busy(mode) => write!(f, "no second call while the {mode} call is in progress (MAPI_E_BUSY)"),
            Value::Outcome { complete: true, activity } => write!(f, "COMPLETE (activity {activity})"),
            Value::Outcome { complete: false, activity } => write!(f, "a refusal (activity {activity})"),
            Value::Step(action) => write!(f, "`{action}`"),
            Value::Effect(effect) => write!(f, "`{effect}`"),
            Value::Calls(calls) => {
                let mut calls = calls.iter().flatten().peekable();
                if calls.peek().is_none() {
                    return f.write_str("no call");
                }
                for (i, call) in calls.enumerate() {
                    write!(f, "{}{call}", if i == 0 { "" } else { " " })?;
                }
                Ok(())
            }
            Value::Run { steps, ticks } => write!(f, "{steps} steps at tick {ticks}, not settled"),
        }
    }
}

/// What a violation is about, when the invariant looks at one of several: a step, a client's call, a client, a
/// transport or a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subject {
    None,
    Step(Action),
    Call(ClientId, ClientCall),
    Client(ClientId),
    Transport(TransportId),
    Message(MessageId),
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Subject::None => Ok(()),
            Subject::Step(action) => write!(f, "`{action}`"),
            Subject::Call(c, call) => {
                let word = match call {
                    ClientCall::AddRef => "addref",
                    ClientCall::Release => "release",
                    ClientCall::StoreLogoff => "logoff",
                    ClientCall::Submit => "submit",
                };
                write!(f, "{c} {word}")
            }
            Subject::Client(c) => write!(f, "{c}"),
            Subject::Transport(t) => write!(f, "{t}"),
            Subject::Message(m) => write!(f, "{m}"),
        }
    }
}

/// A broken invariant: which one, what went wrong (fixed text), about what, and what was expected against what
/// was seen, as typed values, so that the sweep path formats nothing; `Display` writes it all out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Violation {
    pub invariant: Invariant,
    pub what: &'static str,
    pub subject: Subject,
    pub expected: Value,
    pub seen: Value,
}

impl Violation {
    pub const fn new(invariant: Invariant, what: &'static str, expected: Value, seen: Value) -> Violation {
        Violation { invariant, what, subject: Subject::None, expected, seen }
    }

    /// The same violation, about `subject`.
    pub const fn of(self, subject: Subject) -> Violation {
        Violation { subject, ..self }
    }

    /// Everything but the invariant: `WHAT[: SUBJECT]: expected EXPECTED, seen SEEN`.
    pub fn detail(&self) -> Detail<'_> {
        Detail(self)
    }
}

/// [`Violation::detail`]'s text, written when displayed.
pub struct Detail<'a>(&'a Violation);

impl fmt::Display for Detail<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        f.write_str(v.what)?;
        if v.subject != Subject::None {
            write!(f, ": {}", v.subject)?;
        }
        write!(f, ": expected {}, seen {}", v.expected, v.seen)
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.invariant, self.invariant.requirements(), self.detail())
    }
}

#[inline]
fn fail(invariant: Invariant, what: &'static str, expected: Value, seen: Value) -> Result<(), Violation> {
    Err(Violation::new(invariant, what, expected, seen))
}

#[inline]
fn ensure(
    condition: bool,
    invariant: Invariant,
    what: &'static str,
    expected: Value,
    seen: Value,
) -> Result<(), Violation> {
    if condition {
        Ok(())
    } else {
        fail(invariant, what, expected, seen)
    }
}

/// [`ensure`] about a subject.
#[inline]
fn ensure_of(
    condition: bool,
    subject: Subject,
    invariant: Invariant,
    what: &'static str,
    expected: Value,
    seen: Value,
) -> Result<(), Violation> {
    ensure(condition, invariant, what, expected, seen).map_err(|violation| violation.of(subject))
}

/// The first message whose state differs between two records: the message, its state in `expected`, in `seen`.
/// The messages and the spooler's work as they were before the step (R7, R8): `moved` names the first message that
/// moved, `changed` the spooler's state before against after.
fn unchanged(
    invariant: Invariant,
    moved: &'static str,
    changed: &'static str,
    before: &Model,
    after: &Model,
) -> Result<(), Violation> {
    if before.messages() != after.messages() {
        let (subject, expected, seen) = first_moved(before.messages(), after.messages());
        fail(invariant, moved, expected, seen).map_err(|violation| violation.of(subject))?;
    }
    ensure(
        before.spooler() == after.spooler(),
        invariant,
        changed,
        Value::Spooler(*before.spooler()),
        Value::Spooler(*after.spooler()),
    )
}

fn first_moved(expected: &Messages, seen: &Messages) -> (Subject, Value, Value) {
    let moved = expected.iter().zip(seen.iter()).position(|(a, b)| a != b).unwrap_or(0);
    let m = MessageId(moved as u8);
    (Subject::Message(m), Value::Message(expected.get(m)), Value::Message(seen.get(m)))
}

/// What an unchanging step changed, as expected against seen: the store, the messages, the spooler, a transport,
/// a client, or the other processes.
fn first_change(before: &Model, after: &Model) -> (Subject, Value, Value) {
    if before.store() != after.store() {
        return (Subject::None, Value::Store(*before.store()), Value::Store(*after.store()));
    }
    if before.messages() != after.messages() {
        return first_moved(before.messages(), after.messages());
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

    /// Whether a StoreLogoff of `client` now returns without a call although the profile is `eager`: A10
    /// `eager_shared=defer` while another client holds a reference (the checker's own count, before the step).
    fn defers(&self, client: ClientId) -> bool {
        self.profile.call_site == CallSite::Eager
            && self.profile.eager_shared == EagerShared::Defer
            && self.references.iter().enumerate().any(|(i, count)| i != client.index() && *count > 0)
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
            let Effect::Returned { client, call, result: CallResult::Status(hr, out) } = *effect else { continue };
            let subject = Subject::Call(client, call);
            if hr != HResult::S_OK {
                let none = Value::Flags(LogoffFlags::empty());
                ensure_of(out.is_empty(), subject, I, "a failed call wrote back flags", none, Value::Flags(out))?;
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
                ensure_of(
                    hr == expected,
                    subject,
                    Invariant::OnlyReleaseAfterComplete,
                    "a call failed with the wrong HRESULT",
                    Value::HResult(expected),
                    Value::HResult(hr),
                )?;
                continue;
            }
            ensure_of(
                !self.complete,
                subject,
                Invariant::OnlyReleaseAfterComplete,
                "a call on the invalid store succeeded",
                Value::HResult(HResult::INVALID_OBJECT),
                Value::HResult(hr),
            )?;
            match call {
                ClientCall::Submit => ensure_of(
                    out.is_empty(),
                    subject,
                    I,
                    "submit wrote back flags",
                    Value::Flags(LogoffFlags::empty()),
                    Value::Flags(out),
                )?,
                ClientCall::StoreLogoff => {
                    ensure_of(
                        !out.intersects(LogoffFlags::MODES),
                        subject,
                        I,
                        "StoreLogoff echoed input bits",
                        Value::Flags(out - LogoffFlags::MODES),
                        Value::Flags(out),
                    )?;
                    let returns_as_deferred = self.profile.call_site == CallSite::Deferred
                        || matches!(action, Action::Logoff(acting, _) if acting == client && self.defers(acting));
                    let expected = match returns_as_deferred {
                        false => returned_flags,
                        true => Some(match self.profile.storelogoff_out {
                            StoreLogoffOut::None => LogoffFlags::empty(),
                            StoreLogoffOut::Complete => LogoffFlags::COMPLETE,
                        }),
                    };
                    ensure_of(
                        Some(out) == expected,
                        subject,
                        I,
                        "StoreLogoff did not write back what A1, A8 and A10 say",
                        expected
                            .map_or(Value::Text("no return before a StoreLogoffTransports call returns"), Value::Flags),
                        Value::Flags(out),
                    )?;
                }
                ClientCall::AddRef | ClientCall::Release => {}
            }
        }
        if let Action::Submit(c, _) = action {
            let answered = effects.iter().any(|e| matches!(*e, Effect::Returned { client, .. } if client == c));
            ensure_of(
                answered,
                Subject::Call(c, ClientCall::Submit),
                I,
                "submit did not return",
                Value::Text("a return in the same step"),
                Value::Text("no return"),
            )?;
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
            Value::Text("its return (nothing left to wait for)"),
            Value::InProgress(call.mode),
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
        let subject = Subject::Step(action);
        match returned {
            Some((hr, out)) if hr == HResult::INVALID_PARAMETER => {
                ensure_of(
                    !valid,
                    subject,
                    I,
                    "valid StoreLogoff flags were refused with MAPI_E_INVALID_PARAMETER",
                    Value::Text("S_OK or MAPI_E_BUSY"),
                    Value::HResult(hr),
                )?;
                ensure_of(
                    out.is_empty(),
                    subject,
                    I,
                    "a failed StoreLogoff wrote back flags",
                    Value::Flags(LogoffFlags::empty()),
                    Value::Flags(out),
                )?;
                if before != after {
                    let (part, expected, seen) = first_change(before, after);
                    let part = if part == Subject::None { subject } else { part };
                    return fail(I, "StoreLogoff with invalid flags changed the state", expected, seen)
                        .map_err(|violation| violation.of(part));
                }
                Ok(())
            }
            // R5 comes first: an invalid store answers MAPI_E_INVALID_OBJECT whatever the flags.
            Some((hr, _)) if hr == HResult::INVALID_OBJECT => Ok(()),
            _ => ensure_of(
                valid,
                subject,
                I,
                "StoreLogoff accepted invalid flags",
                Value::HResult(HResult::INVALID_PARAMETER),
                match returned {
                    Some((hr, _)) => Value::HResult(hr),
                    None => Value::Text("a StoreLogoffTransports call"),
                },
            ),
        }
    }

    /// R5, R14.
    fn only_release_after_complete(&self, action: Action, effects: &[Effect]) -> Result<(), Violation> {
        const I: Invariant = Invariant::OnlyReleaseAfterComplete;
        if self.complete {
            if let Action::Logoff(c, _) | Action::Submit(c, _) = action {
                let answer = effects.iter().find_map(|e| match *e {
                    Effect::Returned { client, result, .. } if client == c => Some(result),
                    _ => None,
                });
                let refused = answer == Some(CallResult::Status(HResult::INVALID_OBJECT, LogoffFlags::empty()));
                let seen = match answer {
                    Some(CallResult::Status(hr, out)) if out.is_empty() => Value::HResult(hr),
                    Some(CallResult::Status(_, out)) => Value::Flags(out),
                    Some(CallResult::Count(count)) => Value::Count(count),
                    None => Value::Text("no return"),
                };
                let subject = Subject::Step(action);
                let what = "a call on the invalid store did not return MAPI_E_INVALID_OBJECT";
                ensure_of(refused, subject, I, what, Value::HResult(HResult::INVALID_OBJECT), seen)?;
                if let Some(call) = effects.iter().find(|e| matches!(e, Effect::TransportsCalled { .. })) {
                    let what = "a call on the invalid store reached StoreLogoffTransports";
                    return fail(I, what, Value::Text("no StoreLogoffTransports call"), Value::Effect(*call))
                        .map_err(|violation| violation.of(subject));
                }
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
                Value::Text("no work for it (R14)"),
                Value::Step(action),
            )?;
            if let Some(flush) =
                effects.iter().find(|e| matches!(e, Effect::Transport { call: TransportCall::Flush(_), .. }))
            {
                let what = "the spooler started a flush for a store it had released";
                fail(I, what, Value::Text("no flush for it (R14)"), Value::Effect(*flush))?;
            }
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
                ensure_of(
                    expected[c.index()] > 0,
                    Subject::Client(c),
                    I,
                    "Release by a client that holds no reference",
                    Value::Text("at least 1 reference"),
                    Value::Count(0),
                )?;
                expected[c.index()] -= 1;
            }
            _ => {}
        }
        let total: u32 = expected.iter().sum();
        for effect in effects {
            match *effect {
                Effect::Returned { client, call: call @ (ClientCall::AddRef | ClientCall::Release), result } => {
                    let subject = Subject::Call(client, call);
                    match result {
                        CallResult::Count(count) => ensure_of(
                            count == total,
                            subject,
                            I,
                            "AddRef or Release returned a count that is not the reference count",
                            Value::Count(total),
                            Value::Count(count),
                        )?,
                        CallResult::Status(hr, _) => fail(
                            I,
                            "AddRef or Release returned an HRESULT instead of a count",
                            Value::Count(total),
                            Value::HResult(hr),
                        )
                        .map_err(|violation| violation.of(subject))?,
                    }
                }
                Effect::Returned {
                    client,
                    call: call @ (ClientCall::StoreLogoff | ClientCall::Submit),
                    result: CallResult::Count(count),
                } => fail(
                    Invariant::OutputFlagsExact,
                    "StoreLogoff or a submit returned a count instead of an HRESULT",
                    Value::Text("an HRESULT"),
                    Value::Count(count),
                )
                .map_err(|violation| violation.of(Subject::Call(client, call)))?,
                _ => {}
            }
        }
        for (i, expected) in expected.iter().enumerate().take(usize::from(after.setup().clients)) {
            let held = after.client(ClientId(i as u8)).map_or(0, |c| u32::from(c.references));
            ensure_of(
                held == *expected,
                Subject::Client(ClientId(i as u8)),
                I,
                "a client's references differ from its AddRef and Release calls",
                Value::Count(*expected),
                Value::Count(held),
            )?;
        }
        if let Action::AddRef(c) | Action::Release(c) | Action::Logoff(c, _) | Action::Submit(c, _) = action {
            ensure(
                !self.blocked[c.index()],
                I,
                "a client made a call while one of its calls was in progress",
                Value::Text("no call until that one returns"),
                Value::Step(action),
            )?;
            ensure(
                self.references[c.index()] > 0,
                I,
                "a client that holds no reference made a call",
                Value::Text("no call without a reference (R6)"),
                Value::Step(action),
            )?;
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
        let logon = |t: TransportId| {
            Value::Text(match self.logons[t.index()] {
                Logon::On => "logged-on",
                Logon::LoggingOff => "logging-off",
                Logon::Off => "logged-off",
            })
        };
        if let Some(t) = acting_transport {
            ensure_of(
                self.logons[t.index()] == Logon::On,
                Subject::Step(action),
                I,
                "a call on a transport after TransportLogoff (R19)",
                Value::Text("logged-on"),
                logon(t),
            )?;
        }
        for effect in effects {
            if let Effect::Transport { transport, call: TransportCall::Flush(_) } = *effect {
                ensure_of(
                    self.logons[transport.index()] == Logon::On,
                    Subject::Transport(transport),
                    I,
                    "FlushQueues after TransportLogoff (R19)",
                    Value::Text("logged-on"),
                    logon(transport),
                )?;
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
                let calls: [Option<TransportCall>; 3] = {
                    let mut it = calls_on(t);
                    [it.next(), it.next(), it.next()]
                };
                let expected =
                    [Some(TransportCall::DiscardAddressTypes), Some(TransportCall::Logoff(expected_flags)), None];
                let subject = Subject::Transport(t);
                let (expected_calls, seen_calls) = (Value::Calls(expected), Value::Calls(calls));
                let what = if calls[0] != expected[0] {
                    "address types not discarded before TransportLogoff (R15)"
                } else if calls[1] != expected[1] {
                    "TransportLogoff not called, or called with the wrong flags (A6)"
                } else {
                    "more calls on the transport inside TransportLogoff"
                };
                ensure_of(calls == expected, subject, I, what, expected_calls, seen_calls)?;
                ensure_of(
                    matches!(after.transport(t), Some(TransportState::LoggingOff)),
                    subject,
                    I,
                    "the transport is not logging off after TransportLogoff",
                    Value::Transport(Some(TransportState::LoggingOff)),
                    Value::Transport(after.transport(t).copied()),
                )?;
                // R16: the message being sent is neither sent nor lost; it is back in the queue. A message being
                // received stays at its source: available again.
                for (i, message) in self.messages.iter().enumerate() {
                    let m = MessageId(i as u8);
                    let now = after.message(m);
                    if message == MessageState::Sending(t) {
                        ensure_of(
                            now == Some(MessageState::Queued),
                            Subject::Message(m),
                            I,
                            "the message being sent did not go back to the queue at TransportLogoff (R16)",
                            Value::Message(Some(MessageState::Queued)),
                            Value::Message(now),
                        )?;
                    }
                    if message == MessageState::Receiving(t) {
                        ensure_of(
                            now == Some(MessageState::Available(t)),
                            Subject::Message(m),
                            I,
                            "the message being received did not go back to its transport at TransportLogoff",
                            Value::Message(Some(MessageState::Available(t))),
                            Value::Message(now),
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
                ensure_of(
                    calls == expected,
                    Subject::Transport(t),
                    I,
                    "not MakeInvalid then the support object's release, in that order, after TransportLogoff (R17)",
                    Value::Calls(expected),
                    Value::Calls(calls),
                )?;
                ensure_of(
                    matches!(after.transport(t), Some(TransportState::LoggedOff)),
                    Subject::Transport(t),
                    I,
                    "the transport is not logged off after TransportLogoff returned (R18)",
                    Value::Transport(Some(TransportState::LoggedOff)),
                    Value::Transport(after.transport(t).copied()),
                )?;
            }
            _ => {
                for effect in effects {
                    if let Effect::Transport { call, .. } = *effect {
                        ensure_of(
                            matches!(call, TransportCall::Flush(_)),
                            Subject::Step(action),
                            I,
                            "logoff calls on a transport outside TransportLogoff",
                            Value::Text("FlushQueues only"),
                            Value::Effect(*effect),
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
                    Value::Flags(LogoffFlags::COMPLETE),
                    returned.map_or(Value::Text("no return"), |r| Value::Flags(r.0)),
                )?;
                let effect = |wanted: fn(&Effect) -> bool| effects.iter().copied().find(wanted);
                if let Some(released) = effect(|e| matches!(e, Effect::StoreReleased)) {
                    fail(I, "R7: the spooler released the store", Value::Text("no release"), Value::Effect(released))?;
                }
                if let Some(changed) = effect(|e| matches!(e, Effect::ReceptionDisabled | Effect::SendStopped { .. })) {
                    let what = "R7: the spooler changed its work for the store";
                    fail(I, what, Value::Text("no change"), Value::Effect(changed))?;
                }
                unchanged(I, "R7: messages moved", "R7: the spooler's work for the store changed", before, after)?;
                let guards = |model: &Model| Value::Guards {
                    sending: model.sending_allowed(),
                    reception: model.reception_enabled(),
                };
                ensure(
                    guards(before) == guards(after),
                    I,
                    "R7: sending or reception changed",
                    guards(before),
                    guards(after),
                )?;
                if let Some(call) = effect(|e| matches!(e, Effect::Transport { .. })) {
                    fail(I, "R7: the spooler called a transport", Value::Text("no call"), Value::Effect(call))?;
                }
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
                    ensure(
                        !after.reception_enabled(),
                        I,
                        "reception is enabled after a blocking logoff started",
                        Value::Text("reception disabled"),
                        Value::Text("reception enabled"),
                    )?;
                    if self.inbox && before.reception_enabled() {
                        ensure(
                            effects.iter().any(|e| matches!(e, Effect::ReceptionDisabled)),
                            I,
                            "reception was not disabled when the call started",
                            Value::Effect(Effect::ReceptionDisabled),
                            Value::Text("no such effect"),
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
            ensure(
                mode.blocks(),
                Invariant::Liveness,
                "ABORT or QUIET did not return at once (R21)",
                Value::Text("a return in the same step"),
                Value::InProgress(mode),
            )?;
        }
        Ok(())
    }

    /// R2-R4, A1, A9: who calls StoreLogoffTransports, with which mode, and that the call at zero is not skipped.
    fn call_site(&self, action: Action, called: Option<(Mode, Caller)>, after: &Model) -> Result<(), Violation> {
        const I: Invariant = Invariant::TransportsCallSite;
        let eager = self.profile.call_site == CallSite::Eager;
        if let Some((mode, caller)) = called {
            let call = Value::Effect(Effect::TransportsCalled { mode, caller });
            if let Some(first) = self.in_progress {
                // MODEL.md decision 7: while a call is in progress a StoreLogoff returns MAPI_E_BUSY, and a Release
                // cannot bring the count to zero (the blocked client holds a reference).
                let what = "StoreLogoffTransports called while another call is in progress (MODEL.md decision 7)";
                return fail(I, what, Value::Busy(first.mode), call).map_err(|v| v.of(Subject::Step(action)));
            }
            match (caller, action) {
                (Caller::StoreLogoff(c), Action::Logoff(acting, flags)) if c == acting => {
                    let what = "StoreLogoffTransports called from StoreLogoff under `deferred` (A1), or under \
                                `eager_shared=defer` while another client holds a reference (A10)";
                    let allowed = eager && !self.defers(c);
                    ensure(allowed, I, what, Value::Text("no call before the count reaches zero"), call)?;
                    let passed = decode_mode(flags, self.profile.input);
                    let what = "not called with the mode passed";
                    ensure(passed == Some(mode), I, what, Value::Mode(passed), Value::Mode(Some(mode)))?;
                }
                (Caller::Release(c), Action::Release(acting)) if c == acting => {
                    ensure(
                        after.references() == 0,
                        I,
                        "StoreLogoffTransports called before the count reached zero",
                        Value::Count(0),
                        Value::Count(after.references()),
                    )?;
                    // Under `eager` a saved mode was passed already, except under A10 `defer` (a StoreLogoff made
                    // while another client held a reference saved its mode without a call).
                    let saved_passes = !eager || self.profile.eager_shared == EagerShared::Defer;
                    let expected =
                        if saved_passes && !self.called { self.saved.unwrap_or(Mode::Abort) } else { Mode::Abort };
                    ensure(
                        mode == expected,
                        I,
                        "at zero: not the saved mode, or not ABORT (R3, R4)",
                        Value::Mode(Some(expected)),
                        Value::Mode(Some(mode)),
                    )?;
                }
                _ => {
                    let what = "StoreLogoffTransports called from a step that cannot make it";
                    return fail(I, what, Value::Text("no call"), call).map_err(|v| v.of(Subject::Step(action)));
                }
            }
        }
        if let Action::Release(_) = action {
            if self.total_references() == 1 && !self.complete {
                let due = match self.profile.zero_call {
                    ZeroCall::Once => !self.called,
                    ZeroCall::UntilComplete => true,
                };
                ensure(
                    called.is_some() == due,
                    I,
                    "at zero the call was skipped, or made when not due (R4, A9)",
                    Value::Text(if due { "a StoreLogoffTransports call" } else { "no call" }),
                    called.map_or(Value::Text("no call"), |(mode, caller)| {
                        Value::Effect(Effect::TransportsCalled { mode, caller })
                    }),
                )?;
            }
        }
        if let Action::Logoff(c, flags) = action {
            let accepted = decode_mode(flags, self.profile.input).is_some()
                && !self.complete
                && self.in_progress.is_none()
                && !self.blocked.iter().any(|b| *b);
            if accepted && eager && !self.defers(c) {
                ensure(
                    called.map(|c| c.1) == Some(Caller::StoreLogoff(c)),
                    I,
                    "eager StoreLogoff made no StoreLogoffTransports call",
                    Value::Mode(decode_mode(flags, self.profile.input)),
                    Value::Text("no call"),
                )?;
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
                let what = "a reception started while the logoff was in progress";
                fail(invariant, what, Value::Text("reception disabled"), Value::Step(action))
            }
            Action::Send(..) if mode == Mode::Orderly && self.profile.orderly == Orderly::Keep => {
                let what = "a send started during ORDERLY under `keep`";
                fail(Invariant::OrderlyStartsNothing, what, Value::Text("no new send"), Value::Step(action))
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
            let what = "ABORT or QUIET did not return at once (R21)";
            return fail(Invariant::Liveness, what, Value::Text("a return in the same step"), Value::InProgress(mode));
        };
        let activity = activity_of(&self.messages);
        let busy = activity.intersects(LogoffFlags::INBOUND | LogoffFlags::OUTBOUND)
            || (self.profile.queue_is_activity == QueueIsActivity::Yes
                && activity.contains(LogoffFlags::OUTBOUND_QUEUE));
        let refuses = busy && (mode == Mode::Quiet || self.profile.abort == Abort::Refuse);
        ensure(
            flags.contains(LogoffFlags::COMPLETE) != refuses,
            I,
            "refused without activity, or completed with it",
            Value::Outcome { complete: !refuses, activity },
            Value::Flags(flags),
        )?;
        let release = Value::Effect(Effect::StoreReleased);
        if refuses {
            ensure(!released_now, I, "a refused logoff released the store", Value::Text("no release"), release)?;
            unchanged(I, "a refused logoff moved messages", "a refused logoff changed the spooler", before, after)?;
            for t in TransportId::all(TRANSPORTS_MAX) {
                ensure_of(
                    before.transport(t) == after.transport(t),
                    Subject::Transport(t),
                    I,
                    "a refused logoff changed a transport",
                    Value::Transport(before.transport(t).copied()),
                    Value::Transport(after.transport(t).copied()),
                )?;
            }
        } else {
            let what = "a completed ABORT or QUIET did not release the store";
            ensure(released_now, I, what, release, Value::Text("no release"))?;
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
            let flush = effects.iter().copied().find(
                |e| matches!(*e, Effect::Transport { transport, call: TransportCall::Flush(_) } if transport == t),
            );
            let wanted = Effect::Transport { transport: t, call: TransportCall::Flush(flags) };
            let flushed_now = flush == Some(wanted);
            let bit = 1u8 << t.0;
            if self.logged_on_bits() & bit == 0 {
                continue;
            }
            let seen = flush.map_or(Value::Text("no flush"), Value::Effect);
            if self.flushing & bit != 0 {
                let what = "PURGE flushed a transport that was already flushing";
                ensure_of(flush.is_none(), Subject::Transport(t), I, what, Value::Text("no new flush"), seen)?
            } else {
                let what = "PURGE did not call FlushQueues, with the flags of A5, on a transport";
                ensure_of(flushed_now, Subject::Transport(t), I, what, Value::Effect(wanted), seen)?
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
        let seen = Value::Flags(flags);
        let what = "input bits echoed in the output flags";
        ensure(!flags.intersects(LogoffFlags::MODES), I, what, Value::Flags(flags - LogoffFlags::MODES), seen)?;
        if other_process {
            let what = "R7's return is not exactly COMPLETE";
            ensure(flags == LogoffFlags::COMPLETE, I, what, Value::Flags(LogoffFlags::COMPLETE), seen)?;
        } else {
            let activity = activity_of(after.messages());
            ensure(
                flags & LogoffFlags::ACTIVITY == activity,
                I,
                "the activity flags do not describe the state",
                Value::Flags(activity),
                Value::Flags(flags & LogoffFlags::ACTIVITY),
            )?;
            ensure(
                !(flags.contains(LogoffFlags::COMPLETE)
                    && flags.intersects(LogoffFlags::INBOUND | LogoffFlags::OUTBOUND)),
                Invariant::OnlyReleaseAfterComplete,
                "COMPLETE with a send or receive still in progress: the spooler released a store it still works for",
                Value::Text("no COMPLETE while a send or receive is in progress"),
                seen,
            )?;
            ensure(
                flags.contains(LogoffFlags::COMPLETE) == released_now,
                I,
                "COMPLETE and the store's release do not go together",
                Value::Text(if released_now {
                    "COMPLETE (the store was released)"
                } else {
                    "no COMPLETE (the store was not released)"
                }),
                seen,
            )?;
        }
        if flags.contains(LogoffFlags::COMPLETE) {
            ensure(
                matches!(after.store_phase(), StorePhase::Invalid | StorePhase::Destroyed),
                Invariant::OnlyReleaseAfterComplete,
                "the store is still usable after COMPLETE (R5)",
                Value::Text("invalid or destroyed"),
                Value::Text(after.store_phase().name()),
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
        let what = "a blocking logoff returned without COMPLETE";
        ensure(flags.contains(LogoffFlags::COMPLETE), invariant, what, Value::Text("COMPLETE"), Value::Flags(flags))?;
        let activity = activity_of(after.messages());
        ensure(
            !activity.intersects(LogoffFlags::INBOUND | LogoffFlags::OUTBOUND),
            invariant,
            "returned while a message was being sent or received",
            Value::Text("no send or receive in progress"),
            Value::Flags(activity),
        )?;
        let drains = mode != Mode::Orderly || self.profile.orderly == Orderly::Drain;
        let mut logged_on = self.logged_on_bits();
        if let Action::TransportLogoff(t) = action_of_return {
            logged_on &= !(1 << t.0);
        }
        let any_logged_on = logged_on != 0;
        if drains && any_logged_on {
            ensure(
                !activity.contains(LogoffFlags::OUTBOUND_QUEUE),
                invariant,
                "returned before the queue was sent",
                Value::Text("an empty queue"),
                Value::Flags(activity),
            )?;
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
            let waiting = awaited & running;
            ensure_of(
                waiting == 0,
                Subject::Transport(TransportId(waiting.trailing_zeros().min(7) as u8)),
                Invariant::PurgeFlushesFirst,
                "PURGE returned before a flush completed",
                Value::Text("its flush completed"),
                Value::Text("still flushing"),
            )?;
        }
        Ok(())
    }

    /// R20: the checker moves its own copy of every message by the steps and effects, and the model must agree.
    fn conservation(&self, action: Action, effects: &[Effect], after: &Model) -> Result<Messages, Violation> {
        const I: Invariant = Invariant::Conservation;
        let mut messages = self.messages;
        let mut step = |m: MessageId, from: MessageState, to: MessageState, what: &'static str| {
            let now = messages.get(m);
            if now != Some(from) {
                return fail(I, what, Value::Message(Some(from)), Value::Message(now))
                    .map_err(|v| v.of(Subject::Message(m)));
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
                    let what = "received into a store without the default Inbox";
                    return Err(Violation::new(I, what, Value::Text("no reception (inbox=no)"), Value::Step(action)));
                }
                step(m, MessageState::Available(t), MessageState::Receiving(t), "received a message not available")?
            }
            Action::Received(t, m) => {
                if self.released {
                    let what = "delivered into a store the spooler had released (R14)";
                    return Err(Violation::new(I, what, Value::Text("no delivery"), Value::Step(action)));
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
        if &messages != after.messages() {
            let (subject, expected, seen) = first_moved(&messages, after.messages());
            let what = "a message moved, appeared or vanished without a step that moves it";
            return Err(Violation::new(I, what, expected, seen).of(subject));
        }
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
        if let Some(call) = self.in_progress {
            let what = "a StoreLogoffTransports call never returned";
            fail(I, what, Value::Text("no call in progress"), Value::InProgress(call.mode))?;
        }
        if let Some(c) = self.blocked.iter().position(|b| *b) {
            let c = ClientId(c as u8);
            let seen = match model.client(c).and_then(|client| client.blocked) {
                Some(BlockedCall::StoreLogoff) => "its logoff in progress",
                Some(BlockedCall::Release) => "its release in progress",
                None => "a call in progress",
            };
            let what = "a client call never returned";
            fail(I, what, Value::Text("no call in progress"), Value::Text(seen))
                .map_err(|v| v.of(Subject::Client(c)))?;
        }
        ensure(
            !matches!(model.store_phase(), StorePhase::LoggingOff),
            I,
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
                    fail(I, what, Value::Text("a send started"), queued).map_err(|v| v.of(Subject::Transport(t)))?;
                }
                if let (Some(available), true, false) = (first(MessageState::Available(t)), self.inbox, receiving) {
                    let what = "work pending: a message available at an idle transport";
                    fail(I, what, Value::Text("a reception started"), available)
                        .map_err(|v| v.of(Subject::Transport(t)))?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const C0: ClientId = ClientId(0);
    const C1: ClientId = ClientId(1);
    const T0: TransportId = TransportId(0);
    const M0: MessageId = MessageId(0);

    /// Takes `steps` under `profile` and `mutant` (with `store` as the store provider, if given), checking each;
    /// returns the first violation and the number of the step (from 1) that broke it.
    fn first_violation(
        profile: &str,
        clients: u8,
        mutant: Mutant,
        store: Option<&mut dyn StoreProvider>,
        steps: &[Action],
    ) -> (Violation, usize) {
        let setup = Setup { clients, transports: 1, inbox: true, other: 0 };
        let mut model = Model::new(profile.parse().unwrap(), setup).unwrap().with_mutant(mutant);
        let mut checker = Checker::new(&model);
        let mut roles = Roles { store, ..Roles::default() };
        for (i, action) in steps.iter().enumerate() {
            let before = model;
            let effects = model.apply_with_roles(*action, &mut roles).unwrap_or_else(|e| panic!("{action}: {e}"));
            if let Err(violation) = checker.after_step(&before, *action, &effects, &model) {
                return (violation, i + 1);
            }
        }
        panic!("no violation in {steps:?}")
    }

    fn message(profile: &str, mutant: Mutant, steps: &[Action]) -> String {
        first_violation(profile, 1, mutant, None, steps).0.to_string()
    }

    /// Shows that a wrong HRESULT names the call, the HRESULT expected and the one seen.
    #[test]
    fn a_wrong_hresult_names_the_call_and_both_hresults() {
        let steps = [Action::Submit(C0, M0), Action::Send(M0, T0), Action::Logoff(C0, LogoffFlags::ORDERLY)];
        assert_eq!(
            message("call_site=deferred", Mutant::BusyWhileSending, &steps),
            "only-release-after-complete (R5, R14): a call failed with the wrong HRESULT: c0 logoff: \
             expected S_OK, seen MAPI_E_BUSY"
        );
    }

    /// Shows that the call at zero names the mode expected (the saved one) and the mode passed.
    #[test]
    fn the_call_at_zero_names_both_modes() {
        let steps =
            [Action::Logoff(C0, LogoffFlags::ORDERLY), Action::Logoff(C0, LogoffFlags::PURGE), Action::Release(C0)];
        assert_eq!(
            message("call_site=deferred", Mutant::FirstModeWins, &steps),
            "transports-call-site (R2, R3, R4, A1, A9, A10): at zero: not the saved mode, or not ABORT (R3, R4): \
             expected PURGE, seen ORDERLY"
        );
    }

    /// Shows that a missing OUTBOUND_QUEUE names the activity flags expected and those returned.
    #[test]
    fn wrong_activity_flags_name_both_flag_sets() {
        let steps = [Action::Submit(C0, M0), Action::Logoff(C0, LogoffFlags::QUIET)];
        assert_eq!(
            message("call_site=eager,queue_is_activity=yes", Mutant::QuietNoFlags, &steps),
            "output-flags-exact (R13): the activity flags do not describe the state: expected OUTBOUND_QUEUE, seen 0"
        );
    }

    /// Shows that a lost message names the message and both states, and that a changed saved mode names both.
    #[test]
    fn moved_messages_and_changed_state_name_the_values() {
        let steps = [Action::Submit(C0, M0), Action::Send(M0, T0), Action::TransportLogoff(T0)];
        assert!(message("default", Mutant::LogoffLosesSendingMessage, &steps).ends_with(
            "the message being sent did not go back to the queue at TransportLogoff (R16): m0: expected queued, \
             seen sent"
        ));
        let steps = [Action::Logoff(C0, LogoffFlags::ORDERLY), Action::Logoff(C0, LogoffFlags::empty())];
        assert!(message("call_site=deferred", Mutant::InvalidLogoffForgetsMode, &steps).ends_with(
            "StoreLogoff with invalid flags changed the state: `c0 logoff 0`: expected open, saved mode ORDERLY, \
             seen open, no saved mode"
        ));
        let flags = LogoffFlags::ORDERLY | LogoffFlags::from_bits_retain(0x0010_0000);
        assert!(message("default", Mutant::HighUndefinedBitsAccepted, &[Action::Logoff(C0, flags)]).ends_with(
            "StoreLogoff accepted invalid flags: `c0 logoff ORDERLY|0x100000`: expected MAPI_E_INVALID_PARAMETER, \
             seen S_OK"
        ));
    }

    /// A store provider that calls StoreLogoffTransports for every valid StoreLogoff, even while a call of its own
    /// is in progress (instead of MAPI_E_BUSY).
    struct Overlapping;

    impl StoreProvider for Overlapping {
        fn call(&mut self, _: ClientId, call: StoreCall) -> StoreAnswer {
            match call {
                StoreCall::StoreLogoff(flags) => match Mode::from_input(flags.bits(), InputCheck::Mask) {
                    Ok(mode) => StoreAnswer::CallTransports(mode),
                    Err(hr) => StoreAnswer::Return(CallResult::Status(hr, LogoffFlags::empty())),
                },
                StoreCall::Submit(_) => StoreAnswer::Return(CallResult::Status(HResult::S_OK, LogoffFlags::empty())),
                StoreCall::AddRef | StoreCall::Release => StoreAnswer::Return(CallResult::Count(2)),
            }
        }

        fn transports_returned(&mut self, _: ClientId, flags: LogoffFlags, _: bool) -> AfterTransports {
            let invalidate = flags.contains(LogoffFlags::COMPLETE);
            AfterTransports { invalidate, result: CallResult::Status(HResult::S_OK, flags) }
        }
    }

    /// Shows that a second StoreLogoffTransports call while one is in progress is reported at the step that makes
    /// it, under transports-call-site, with the mode of the call in progress and the call made (it used to be
    /// seen only at the end of the run, as a client call that never returned).
    #[test]
    fn an_overlapping_call_is_reported_where_it_is_made() {
        let steps = [
            Action::Submit(C0, M0),
            Action::Logoff(C0, LogoffFlags::NO_WAIT),
            Action::Logoff(C1, LogoffFlags::ORDERLY),
        ];
        let (violation, step) = first_violation("call_site=eager", 2, Mutant::None, Some(&mut Overlapping), &steps);
        assert_eq!(step, 3);
        assert_eq!(
            violation.to_string(),
            "transports-call-site (R2, R3, R4, A1, A9, A10): StoreLogoffTransports called while another call is in \
             progress (MODEL.md decision 7): `c1 logoff ORDERLY`: expected no second call while the NO_WAIT call is \
             in progress (MAPI_E_BUSY), seen `transports-called ORDERLY by c1 logoff`"
        );
    }

    /// Shows that a violation stays small, plain data: the sweep path copies it and formats nothing.
    #[test]
    fn a_violation_is_small_copy_data() {
        fn copy<T: Copy>() {}
        copy::<Violation>();
        assert!(std::mem::size_of::<Violation>() <= 96, "{} bytes", std::mem::size_of::<Violation>());
    }
}
