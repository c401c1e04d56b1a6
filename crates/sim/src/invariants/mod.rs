//! The invariant checker: one function per invariant, each raising only its own, run after every step of every
//! run, generated or scripted.
//!
//! The checker keeps its own record of what happened (a shadow of references, messages, transports, flushes and
//! the store's logoff history), built from the actions and effects alone, and compares the model against it. It
//! computes what must hold from that record (activity, what is logged on, what a PURGE waits for), never with the
//! model's helpers: an invariant that asked the model how it decides would check the model against itself. It
//! reads the model's guards only where a guard is itself what a requirement states (reception disabled, R10;
//! sending and reception unchanged, R7).
//!
//! A step is scanned once into a [`Step`] (`step.rs`), which every invariant's function reads; [`TABLE`] names
//! each invariant's requirements and function. The functions are filed by requirement family: `input.rs` (R1-R4:
//! the input and the call site), `references.rs` (R5, R6, R14: calls after COMPLETE, reference counts),
//! `logoff.rs` (R7-R12: another process, refusals, NO_WAIT, ORDERLY, PURGE), `results.rs` (R13: what calls
//! return), `transports.rs` (R15-R19: TransportLogoff) and `messages.rs` (R20, R21: conservation and liveness).
//! When a step breaks several invariants, the one reported is that of the check of the lowest [`step::Rank`].
//! [`apply_checked`] is the one way a step is applied and checked.

use logoff_core::*;
use std::fmt;

mod input;
mod logoff;
mod messages;
mod references;
mod results;
mod step;
#[cfg(test)]
mod tests;
mod transports;

#[cfg(test)]
use step::Check;
use step::Found;
pub use step::Step;

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
        TABLE[self.index()].requirements
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

/// One invariant: the requirements it checks and the function that checks them after a step.
pub struct Entry {
    pub invariant: Invariant,
    pub requirements: &'static str,
    /// The function's name, in its file.
    pub function: &'static str,
}

/// The table of invariants: each with its requirements and its function. It makes [`TABLE`] and
/// `Checker::first_violation`, which calls the functions directly, in the table's order, so that they are
/// inlined into the hot path.
macro_rules! invariants {
    ($($invariant:ident, $requirements:literal, $file:ident::$function:ident;)*) => {
        /// Every invariant, in the order of [`Invariant::ALL`], with its requirements and its function.
        pub const TABLE: [Entry; Invariant::ALL.len()] = [$(Entry {
            invariant: Invariant::$invariant,
            requirements: $requirements,
            function: concat!(stringify!($file), "::", stringify!($function)),
        },)*];

        impl Checker {
            /// Every invariant's function on `step`: the violation of the lowest rank, if any.
            #[inline(always)]
            fn first_violation(&self, step: &Step) -> Option<Found> {
                let mut first: Option<Found> = None;
                $(if let Err(found) = $file::$function(self, step) {
                    if first.is_none_or(|first| found.rank < first.rank) {
                        first = Some(found);
                    }
                })*
                first
            }

            /// One invariant's function on `step` (for the tests: it raises only its own invariant).
            #[cfg(test)]
            fn check_one(&self, invariant: Invariant, step: &Step) -> Check {
                match invariant {
                    $(Invariant::$invariant => $file::$function(self, step),)*
                }
            }
        }
    };
}

invariants! {
    InvalidInputChangesNothing, "R1, A7", input::invalid_input_changes_nothing;
    TransportsCallSite, "R2, R3, R4, A1, A9, A10", input::transports_call_site;
    OnlyReleaseAfterComplete, "R5, R14", references::only_release_after_complete;
    ReferenceCounts, "R6", references::reference_counts;
    OtherProcess, "R7", logoff::other_process;
    RefusedChangesNothing, "R8, R9, A3, A4", logoff::refused_changes_nothing;
    NoWaitDrains, "R10", logoff::no_wait_drains;
    OrderlyStartsNothing, "R11, A2", logoff::orderly_starts_nothing;
    PurgeFlushesFirst, "R12, A5", logoff::purge_flushes_first;
    OutputFlagsExact, "R13", results::output_flags_exact;
    TransportLogoffOrder, "R15, R16, R17, R18, R19, A6", transports::transport_logoff_order;
    Conservation, "R20", messages::conservation;
    Liveness, "R21", messages::liveness;
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

    /// Checks one applied step: `before` and `after` are the model around it, `effects` what it returned. Every
    /// invariant's function judges the step; the violation reported is the one of the lowest rank. If none, the
    /// shadow moves past the step.
    pub fn after_step(
        &mut self,
        before: &Model,
        action: Action,
        effects: &Effects,
        after: &Model,
    ) -> Result<(), Violation> {
        let mut next = *self;
        let step = Step::new(self, &mut next, before, action, effects.as_slice(), after);
        match self.first_violation(&step) {
            Some(found) => Err(found.violation),
            None => {
                *self = next;
                Ok(())
            }
        }
    }

    /// Moves the shadow past the step's action (before its effects, [`Checker::track_effect`]).
    #[inline(always)]
    fn track_action(&mut self, action: Action) {
        match action {
            Action::AddRef(c) => self.references[c.index()] += 1,
            Action::Release(c) => self.references[c.index()] = self.references[c.index()].saturating_sub(1),
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
            Action::OtherClose => self.other = self.other.saturating_sub(1),
            _ => {}
        }
        // A client's call is in progress until an effect returns it.
        if let Action::AddRef(c) | Action::Release(c) | Action::Logoff(c, _) | Action::Submit(c, _) = action {
            self.blocked[c.index()] = true;
        }
    }

    /// Moves the shadow past one effect, in the order of the step's effects.
    #[inline(always)]
    fn track_effect(&mut self, effect: &Effect) {
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

/// The one way a step is taken and checked: `apply` (the model's own [`Model::apply`], or the roles of a
/// provider) takes `action` in `model`, a copy of `before` (the caller keeps `before`, which it often needs
/// anyway: one copy a step), then, if it took the step, `checker` judges it and writes the invariant it broke, if
/// any, to `broken` (left as it was when the step was not taken). Returns what `apply` returned: the effects, or
/// why the step was not taken. (The effects are returned as `apply` made them and the verdict written apart so
/// that the hot path copies neither.)
/// `apply` may also give the effects as a borrow of a buffer of the caller's (the explorer reuses one, so that no
/// effects are copied at all).
#[inline(always)]
pub fn apply_checked<E, R: std::borrow::Borrow<Effects>>(
    before: &Model,
    model: &mut Model,
    checker: &mut Checker,
    action: Action,
    broken: &mut Option<Violation>,
    apply: impl FnOnce(&mut Model, Action) -> Result<R, E>,
) -> Result<R, E> {
    debug_assert!(before == model, "the step is taken from `before`");
    let applied = apply(model, action);
    if let Ok(effects) = &applied {
        *broken = checker.after_step(before, action, effects.borrow(), model).err();
    }
    applied
}
