//! The state machine: clients, the store provider, the spooler, the transports and the other processes.
//!
//! Call order: build a `Model` with `Model::new`; read it with the getters (`&self`); list what may happen next
//! with `enabled`; take one step with `apply`, which checks the step (`check`) and either changes nothing and
//! returns `NotEnabled`, or performs it and every blocked call that it lets return, and returns the effects.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::action::*;
use crate::effect::*;
use crate::flags::*;
use crate::mutant::Mutant;
use crate::profile::*;
use crate::role::*;

/// Who decides each role's part of a step: the model's own roles ([`Reference`]) or any mix with roles from outside
/// ([`Roles`]). Monomorphised, so that `apply` pays nothing for the choice.
trait Players {
    fn call(&mut self, model: &mut Model, client: ClientId, call: StoreCall) -> StoreAnswer;
    fn returned(
        &mut self,
        model: &mut Model,
        caller: Caller,
        flags: LogoffFlags,
        other_process: bool,
    ) -> AfterTransports;
    fn spooler_plan(&mut self, model: &Model, mode: Mode) -> SpoolerPlan {
        model.reference_spooler_plan(mode)
    }
    fn may_return(&mut self, model: &Model, mode: Mode, flushes_awaited: u8) -> Option<LogoffFlags> {
        model.reference_may_return(mode, flushes_awaited)
    }
    fn transport_logoff_call(&mut self, model: &Model, t: TransportId) -> TransportLogoffCall {
        model.reference_transport_logoff_call(t)
    }
    fn transport_logoff(&mut self, model: &Model, t: TransportId) -> TransportLogoffEffects {
        model.reference_transport_logoff(t)
    }
    fn logoff_returned(&mut self, model: &Model, t: TransportId, outcome: LogoffOutcome) -> &'static [TransportCall] {
        model.reference_logoff_returned(t, outcome)
    }
}

/// The model's own roles: the reference implementation of each, with its mutants.
struct Reference;

impl Players for Reference {
    fn call(&mut self, model: &mut Model, client: ClientId, call: StoreCall) -> StoreAnswer {
        model.reference_call(client, call)
    }

    fn returned(
        &mut self,
        model: &mut Model,
        caller: Caller,
        flags: LogoffFlags,
        _other_process: bool,
    ) -> AfterTransports {
        model.reference_returned(caller, flags)
    }
}

impl Players for Roles<'_> {
    fn call(&mut self, model: &mut Model, client: ClientId, call: StoreCall) -> StoreAnswer {
        match &mut self.store {
            Some(store) => store.call(client, call),
            None => model.reference_call(client, call),
        }
    }

    fn returned(
        &mut self,
        model: &mut Model,
        caller: Caller,
        flags: LogoffFlags,
        other_process: bool,
    ) -> AfterTransports {
        match &mut self.store {
            Some(store) => store.transports_returned(caller.client(), flags, other_process),
            None => model.reference_returned(caller, flags),
        }
    }

    fn spooler_plan(&mut self, model: &Model, mode: Mode) -> SpoolerPlan {
        match &mut self.spooler {
            Some(spooler) => spooler.store_logoff_transports(model, mode),
            None => model.reference_spooler_plan(mode),
        }
    }

    fn may_return(&mut self, model: &Model, mode: Mode, flushes_awaited: u8) -> Option<LogoffFlags> {
        match &mut self.spooler {
            Some(spooler) => spooler.may_return(model, mode, flushes_awaited),
            None => model.reference_may_return(mode, flushes_awaited),
        }
    }

    fn transport_logoff_call(&mut self, model: &Model, t: TransportId) -> TransportLogoffCall {
        match &mut self.spooler {
            Some(spooler) => spooler.transport_logoff(model, t),
            None => model.reference_transport_logoff_call(t),
        }
    }

    fn transport_logoff(&mut self, model: &Model, t: TransportId) -> TransportLogoffEffects {
        match &mut self.transport {
            Some(transport) => transport.logoff(model, t),
            None => model.reference_transport_logoff(t),
        }
    }

    fn logoff_returned(&mut self, model: &Model, t: TransportId, outcome: LogoffOutcome) -> &'static [TransportCall] {
        match &mut self.transport {
            Some(transport) => transport.logoff_returned(model, t, outcome),
            None => model.reference_logoff_returned(t, outcome),
        }
    }
}

/// Where one message is. Outbound messages go `Queued` -> `Sending` -> `Sent`; inbound ones go `Available` ->
/// `Receiving` -> `Delivered`. A message name is used once (`Unused` until then).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum MessageState {
    #[default]
    Unused,
    Queued,
    Sending(TransportId),
    Sent,
    Available(TransportId),
    Receiving(TransportId),
    Delivered,
}

impl MessageState {
    /// The script word of `expect mK ...`.
    pub const fn name(self) -> &'static str {
        match self {
            MessageState::Unused => "unused",
            MessageState::Queued => "queued",
            MessageState::Sending(_) => "sending",
            MessageState::Sent => "sent",
            MessageState::Available(_) => "available",
            MessageState::Receiving(_) => "receiving",
            MessageState::Delivered => "delivered",
        }
    }
}

/// Where every message is, one byte each, so that comparing two runs' messages is one memory comparison (the
/// invariant checker compares them after every step). `get` and `set` speak `MessageState`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Messages([u8; MESSAGES_MAX]);

impl Messages {
    pub const UNUSED: Messages = Messages([0; MESSAGES_MAX]);

    const fn encode(state: MessageState) -> u8 {
        match state {
            MessageState::Unused => 0,
            MessageState::Queued => 1,
            MessageState::Sending(t) => 2 | t.0 << 3,
            MessageState::Sent => 3,
            MessageState::Available(t) => 4 | t.0 << 3,
            MessageState::Receiving(t) => 5 | t.0 << 3,
            MessageState::Delivered => 6,
        }
    }

    const fn decode(byte: u8) -> MessageState {
        let t = TransportId(byte >> 3);
        match byte & 7 {
            1 => MessageState::Queued,
            2 => MessageState::Sending(t),
            3 => MessageState::Sent,
            4 => MessageState::Available(t),
            5 => MessageState::Receiving(t),
            6 => MessageState::Delivered,
            _ => MessageState::Unused,
        }
    }

    /// The state of `m`, or `None` beyond `MESSAGES_MAX`.
    pub fn get(&self, m: MessageId) -> Option<MessageState> {
        self.0.get(m.index()).map(|byte| Messages::decode(*byte))
    }

    /// Sets the state of `m`; `m` must be below `MESSAGES_MAX`.
    pub fn set(&mut self, m: MessageId, state: MessageState) {
        self.0[m.index()] = Messages::encode(state);
    }

    /// Every message's state, `m0` first.
    pub fn iter(&self) -> impl Iterator<Item = MessageState> + '_ {
        self.0.iter().map(|byte| Messages::decode(*byte))
    }

    /// The states of the first `count` messages.
    pub fn first(&self, count: usize) -> impl Iterator<Item = MessageState> + '_ {
        self.0[..count.min(MESSAGES_MAX)].iter().map(|byte| Messages::decode(*byte))
    }

    /// The same messages renamed: old message `i` becomes `renaming.messages[i]`, and every transport a message
    /// is at is renamed as `renaming.transports` says.
    pub fn renamed(&self, renaming: &Renaming) -> Messages {
        let mut renamed = Messages::UNUSED;
        for (old, byte) in self.0.iter().enumerate() {
            let state = match Messages::decode(*byte) {
                MessageState::Sending(t) => MessageState::Sending(renaming.transport(t)),
                MessageState::Available(t) => MessageState::Available(renaming.transport(t)),
                MessageState::Receiving(t) => MessageState::Receiving(renaming.transport(t)),
                other => other,
            };
            renamed.0[usize::from(renaming.messages[old])] = Messages::encode(state);
        }
        renamed
    }

    /// The raw byte of a message's state, for sort keys.
    pub fn byte(&self, m: MessageId) -> u8 {
        self.0[m.index()]
    }

    /// The 32 bytes as four words (little-endian), for packed encodings of a state.
    pub fn words(&self) -> [u64; 4] {
        std::array::from_fn(|i| {
            let mut word = [0u8; 8];
            word.copy_from_slice(&self.0[i * 8..i * 8 + 8]);
            u64::from_le_bytes(word)
        })
    }
}

/// A renaming of clients, transports and messages: old `i` becomes `clients[i]` (and so on). Each array is a
/// permutation. For symmetry reduction: the model treats interchangeable entities alike, so a renamed state
/// behaves as the original, renamed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Renaming {
    pub clients: [u8; CLIENTS_MAX],
    pub transports: [u8; TRANSPORTS_MAX],
    pub messages: [u8; MESSAGES_MAX],
}

impl Renaming {
    /// The renaming that changes nothing.
    pub const IDENTITY: Renaming = Renaming {
        clients: [0, 1, 2, 3],
        transports: [0, 1, 2],
        messages: {
            let mut messages = [0u8; MESSAGES_MAX];
            let mut i = 0;
            while i < MESSAGES_MAX {
                messages[i] = i as u8;
                i += 1;
            }
            messages
        },
    };

    pub fn client(&self, c: ClientId) -> ClientId {
        ClientId(self.clients[c.index()])
    }

    pub fn transport(&self, t: TransportId) -> TransportId {
        TransportId(self.transports[t.index()])
    }

    pub fn message(&self, m: MessageId) -> MessageId {
        MessageId(self.messages[m.index()])
    }

    /// A bit set of transports (bit J for transport J), renamed.
    pub fn transport_bits(&self, bits: u8) -> u8 {
        (0..TRANSPORTS_MAX).filter(|j| bits & (1 << j) != 0).fold(0, |renamed, j| renamed | 1 << self.transports[j])
    }
}

/// The number of a mode (0 to 4), for packed encodings.
pub const fn mode_number(mode: Mode) -> u64 {
    match mode {
        Mode::NoWait => 0,
        Mode::Orderly => 1,
        Mode::Purge => 2,
        Mode::Abort => 3,
        Mode::Quiet => 4,
    }
}

impl Default for Messages {
    fn default() -> Self {
        Messages::UNUSED
    }
}

impl fmt::Debug for Messages {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Serialize for Messages {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for Messages {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let states = Vec::<MessageState>::deserialize(deserializer)?;
        if states.len() != MESSAGES_MAX {
            return Err(serde::de::Error::invalid_length(states.len(), &"MESSAGES_MAX message states"));
        }
        let mut messages = Messages::UNUSED;
        for (i, state) in states.into_iter().enumerate() {
            messages.set(MessageId(i as u8), state);
        }
        Ok(messages)
    }
}

/// One transport logon. Only a logged-on transport does anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TransportState {
    LoggedOn {
        sending: Option<MessageId>,
        receiving: Option<MessageId>,
        flushing: bool,
    },
    /// TransportLogoff has been called and has not returned.
    LoggingOff,
    LoggedOff,
}

impl TransportState {
    const IDLE: TransportState = TransportState::LoggedOn { sending: None, receiving: None, flushing: false };

    /// The script word of `expect tJ ...`.
    pub const fn name(self) -> &'static str {
        match self {
            TransportState::LoggedOn { .. } => "logged-on",
            TransportState::LoggingOff => "logging-off",
            TransportState::LoggedOff => "logged-off",
        }
    }
}

/// A client call that is in progress because it waits for StoreLogoffTransports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BlockedCall {
    StoreLogoff,
    Release,
}

/// One client in the local process.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ClientState {
    pub references: u8,
    pub blocked: Option<BlockedCall>,
}

/// The store object, as the store provider sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StoreState {
    /// Usable. `saved` is the mode of the last valid StoreLogoff (R2); `called` says that StoreLogoffTransports
    /// has been called and has not returned COMPLETE (A9).
    Open { saved: Option<Mode>, called: bool },
    /// StoreLogoffTransports returned COMPLETE (R5) and references remain: only AddRef and Release are valid.
    Invalid,
    /// No reference remains.
    Destroyed,
}

/// The spooler's relation to the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SpoolerState {
    /// It sends the store's queue and, if the store holds the Inbox, receives into it.
    Serving,
    /// A StoreLogoffTransports call in a blocking mode is in progress. `flushes_awaited` holds one bit for each
    /// transport whose flush a PURGE waits for (R12).
    /// `sends`: it goes on starting sends meanwhile (A2: not for ORDERLY under `keep`); `receives`: it goes on
    /// delivering into the store (a mistake: R10-R12 disable reception).
    LoggingOff { mode: Mode, caller: Caller, flushes_awaited: u8, sends: bool, receives: bool },
    /// It has released the store and does no further work for it (R14).
    Released,
}

/// What the script runner sees of the store: SPEC.md section 6's store states.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StorePhase {
    Open,
    LoggingOff,
    Invalid,
    Destroyed,
}

impl StorePhase {
    pub const fn name(self) -> &'static str {
        match self {
            StorePhase::Open => "open",
            StorePhase::LoggingOff => "logging-off",
            StorePhase::Invalid => "invalid",
            StorePhase::Destroyed => "destroyed",
        }
    }
}

/// The precondition of a step that does not hold. A step that is not enabled changes nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum NotEnabled {
    NoSuchClient(ClientId),
    NoSuchTransport(TransportId),
    NoSuchMessage(MessageId),
    HoldsNoReference(ClientId),
    CallInProgress(ClientId),
    ReferencesAtMaximum(ClientId),
    MessageUsed(MessageId),
    MessageNotQueued(MessageId),
    MessageNotAvailableAt(MessageId, TransportId),
    TransportNotLoggedOn(TransportId),
    TransportSending(TransportId),
    TransportReceiving(TransportId),
    TransportFlushing(TransportId),
    NotSending(TransportId, MessageId),
    NotReceiving(TransportId, MessageId),
    NotFlushing(TransportId),
    NotLoggingOff(TransportId),
    SendingNotAllowed,
    ReceptionDisabled,
    NoInbox,
    StoreReleased,
    OtherProcessesAtMaximum,
    NoOtherProcess,
}

impl fmt::Display for NotEnabled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotEnabled::NoSuchClient(c) => write!(f, "{c} is not declared by setup"),
            NotEnabled::NoSuchTransport(t) => write!(f, "{t} is not declared by setup"),
            NotEnabled::NoSuchMessage(m) => write!(f, "{m} is beyond the last message m{}", MESSAGES_MAX - 1),
            NotEnabled::HoldsNoReference(c) => write!(f, "{c} holds no reference (R6)"),
            NotEnabled::CallInProgress(c) => write!(f, "{c} has a call in progress"),
            NotEnabled::ReferencesAtMaximum(c) => {
                write!(f, "{c} already holds {REFERENCES_PER_CLIENT_MAX} references, the model's maximum")
            }
            NotEnabled::MessageUsed(m) => write!(f, "{m} is already used"),
            NotEnabled::MessageNotQueued(m) => write!(f, "{m} is not queued"),
            NotEnabled::MessageNotAvailableAt(m, t) => write!(f, "{m} is not available at {t}"),
            NotEnabled::TransportNotLoggedOn(t) => write!(f, "{t} is not logged on"),
            NotEnabled::TransportSending(t) => write!(f, "{t} is already sending"),
            NotEnabled::TransportReceiving(t) => write!(f, "{t} is already receiving"),
            NotEnabled::TransportFlushing(t) => write!(f, "{t} is already flushing"),
            NotEnabled::NotSending(t, m) => write!(f, "{t} is not sending {m}"),
            NotEnabled::NotReceiving(t, m) => write!(f, "{t} is not receiving {m}"),
            NotEnabled::NotFlushing(t) => write!(f, "{t} is not flushing"),
            NotEnabled::NotLoggingOff(t) => write!(f, "{t} is not logging off"),
            NotEnabled::SendingNotAllowed => f.write_str("sending is not allowed in this phase of the store"),
            NotEnabled::ReceptionDisabled => f.write_str("reception is disabled"),
            NotEnabled::NoInbox => f.write_str("the store does not hold the default Inbox"),
            NotEnabled::StoreReleased => f.write_str("the spooler has released the store (R14)"),
            NotEnabled::OtherProcessesAtMaximum => {
                write!(f, "{OTHER_PROCESSES_MAX} other processes already hold the store open, the model's maximum")
            }
            NotEnabled::NoOtherProcess => f.write_str("no other process holds the store open"),
        }
    }
}

impl std::error::Error for NotEnabled {}

/// The whole system: small, `Copy`, and bounded by the maxima of `action`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Model {
    profile: Profile,
    setup: Setup,
    clients: [ClientState; CLIENTS_MAX],
    transports: [TransportState; TRANSPORTS_MAX],
    messages: Messages,
    store: StoreState,
    spooler: SpoolerState,
    other: u8,
    /// The mistake this model makes, if any (`Mutant::None`: the reference model).
    mutant: Mutant,
}

impl Model {
    /// The start of a run: each client holds one reference, each transport is logged on and idle.
    pub fn new(profile: Profile, setup: Setup) -> Result<Model, SetupError> {
        setup.validate()?;
        let mut clients = [ClientState::default(); CLIENTS_MAX];
        for client in &mut clients[..usize::from(setup.clients)] {
            client.references = 1;
        }
        let mut transports = [TransportState::LoggedOff; TRANSPORTS_MAX];
        for transport in &mut transports[..usize::from(setup.transports)] {
            *transport = TransportState::IDLE;
        }
        Ok(Model {
            profile,
            setup,
            clients,
            transports,
            messages: Messages::UNUSED,
            store: StoreState::Open { saved: None, called: false },
            spooler: SpoolerState::Serving,
            other: setup.other,
            mutant: Mutant::None,
        })
    }

    /// The same model making the mistake `mutant` from now on.
    pub fn with_mutant(mut self, mutant: Mutant) -> Model {
        self.mutant = mutant;
        self
    }

    pub fn mutant(&self) -> Mutant {
        self.mutant
    }

    // ----- getters -----

    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    pub fn setup(&self) -> &Setup {
        &self.setup
    }

    pub fn client(&self, c: ClientId) -> Option<&ClientState> {
        self.clients[..usize::from(self.setup.clients)].get(c.index())
    }

    pub fn transport(&self, t: TransportId) -> Option<&TransportState> {
        self.transports[..usize::from(self.setup.transports)].get(t.index())
    }

    pub fn message(&self, m: MessageId) -> Option<MessageState> {
        self.messages.get(m)
    }

    pub fn messages(&self) -> &Messages {
        &self.messages
    }

    pub fn store(&self) -> &StoreState {
        &self.store
    }

    pub fn spooler(&self) -> &SpoolerState {
        &self.spooler
    }

    pub fn other_processes(&self) -> u8 {
        self.other
    }

    /// The total reference count of the store object.
    pub fn references(&self) -> u32 {
        self.clients.iter().map(|c| u32::from(c.references)).sum()
    }

    pub fn store_phase(&self) -> StorePhase {
        match (self.store, self.spooler) {
            (StoreState::Open { .. }, SpoolerState::LoggingOff { .. }) => StorePhase::LoggingOff,
            (StoreState::Open { .. }, _) => StorePhase::Open,
            (StoreState::Invalid, _) => StorePhase::Invalid,
            (StoreState::Destroyed, _) => StorePhase::Destroyed,
        }
    }

    /// Whether the spooler would start receiving into the store (the guard "reception enabled").
    /// The activity flags that StoreLogoffTransports would report now (R8, R9): INBOUND, OUTBOUND, OUTBOUND_QUEUE.
    pub fn activity(&self) -> LogoffFlags {
        self.activity_flags()
    }

    pub fn reception_enabled(&self) -> bool {
        let serving = match self.spooler {
            SpoolerState::Serving => true,
            SpoolerState::LoggingOff { receives, .. } => receives,
            SpoolerState::Released => self.mutant == Mutant::DeliverAfterRelease,
        };
        (self.setup.inbox || self.mutant == Mutant::ReceiveWithoutInbox) && serving
    }

    /// Whether the spooler may start a send from the store's queue (the guard "sending allowed").
    pub fn sending_allowed(&self) -> bool {
        match self.spooler {
            SpoolerState::Serving => true,
            SpoolerState::LoggingOff { sends, .. } => sends,
            SpoolerState::Released => false,
        }
    }

    /// The parts of the state that change during a run, packed into six words: an injective encoding for a given
    /// profile, setup and mutant (which it leaves out, as they never change), so that an exhaustive exploration can
    /// fingerprint a state in a few operations instead of hashing every field.
    pub fn packed(&self) -> [u64; 6] {
        let [m0, m1, m2, m3] = self.messages.words();
        let mut clients = 0u64;
        for (i, client) in self.clients.iter().enumerate() {
            let blocked = match client.blocked {
                None => 0,
                Some(BlockedCall::StoreLogoff) => 1,
                Some(BlockedCall::Release) => 2,
            };
            // References are at most REFERENCES_PER_CLIENT_MAX (8): 8 bits each, then 2 bits for the call.
            clients |= (u64::from(client.references) | blocked << 8) << (i * 10);
        }
        let store = match self.store {
            StoreState::Open { saved, called } => {
                1 | saved.map_or(0, |mode| 1 + mode_number(mode)) << 2 | u64::from(called) << 5
            }
            StoreState::Invalid => 2,
            StoreState::Destroyed => 3,
        };
        // Clients take bits 0-39, the store 40-45, the other processes 48-55.
        let first = clients | store << 40 | u64::from(self.other) << 48;
        let message = |m: Option<MessageId>| m.map_or(0, |m| 1 + u64::from(m.0));
        let mut second = 0u64;
        for (i, transport) in self.transports.iter().enumerate() {
            let bits = match *transport {
                TransportState::LoggedOn { sending, receiving, flushing } => {
                    1 | message(sending) << 2 | message(receiving) << 8 | u64::from(flushing) << 14
                }
                TransportState::LoggingOff => 2,
                TransportState::LoggedOff => 3,
            };
            // 15 bits a transport: bits 0-44.
            second |= bits << (i * 15);
        }
        let spooler = match self.spooler {
            SpoolerState::Serving => 1,
            SpoolerState::Released => 2,
            SpoolerState::LoggingOff { mode, caller, flushes_awaited, sends, receives } => {
                let (kind, client) = match caller {
                    Caller::StoreLogoff(c) => (0, c.0),
                    Caller::Release(c) => (1, c.0),
                };
                3 | mode_number(mode) << 2
                    | kind << 5
                    | u64::from(client) << 6
                    | u64::from(flushes_awaited) << 8
                    | u64::from(sends) << 11
                    | u64::from(receives) << 12
            }
        };
        // The spooler takes bits 48-63 (flushes_awaited has one bit a transport, at most three).
        [m0, m1, m2, m3, first, second | spooler << 48]
    }

    /// The same state with clients, transports and messages renamed: wherever one is named (the arrays, the
    /// caller of a blocked call, a message's transport, a transport's message, the flushes a PURGE awaits).
    pub fn renamed(&self, renaming: &Renaming) -> Model {
        let mut renamed = *self;
        for (old, new) in renaming.clients.iter().enumerate() {
            renamed.clients[usize::from(*new)] = self.clients[old];
        }
        for (old, new) in renaming.transports.iter().enumerate() {
            renamed.transports[usize::from(*new)] = match self.transports[old] {
                TransportState::LoggedOn { sending, receiving, flushing } => TransportState::LoggedOn {
                    sending: sending.map(|m| renaming.message(m)),
                    receiving: receiving.map(|m| renaming.message(m)),
                    flushing,
                },
                other => other,
            };
        }
        renamed.messages = self.messages.renamed(renaming);
        if let SpoolerState::LoggingOff { caller, flushes_awaited, .. } = &mut renamed.spooler {
            *caller = match *caller {
                Caller::StoreLogoff(c) => Caller::StoreLogoff(renaming.client(c)),
                Caller::Release(c) => Caller::Release(renaming.client(c)),
            };
            *flushes_awaited = renaming.transport_bits(*flushes_awaited);
        }
        renamed
    }

    /// SPEC.md section 4's finding: no reference remains and the spooler never released the store.
    pub fn destroyed_unreleased(&self) -> bool {
        self.store == StoreState::Destroyed && self.spooler != SpoolerState::Released
    }

    fn transports_declared(&self) -> &[TransportState] {
        &self.transports[..usize::from(self.setup.transports)]
    }

    fn any_transport_logged_on(&self) -> bool {
        self.transports_declared().iter().any(|t| matches!(t, TransportState::LoggedOn { .. }))
    }

    /// The activity flags of R13, read from the messages.
    fn activity_flags(&self) -> LogoffFlags {
        let mut flags = LogoffFlags::empty();
        for message in self.messages.iter() {
            match message {
                MessageState::Receiving(_) => flags |= LogoffFlags::INBOUND,
                MessageState::Sending(_) if self.mutant == Mutant::QueueFlagMisreported => {
                    flags |= LogoffFlags::OUTBOUND | LogoffFlags::OUTBOUND_QUEUE
                }
                MessageState::Sending(_) => flags |= LogoffFlags::OUTBOUND,
                MessageState::Queued => flags |= LogoffFlags::OUTBOUND_QUEUE,
                _ => {}
            }
        }
        flags
    }

    // ----- what may happen next -----

    /// Lists every enabled action, with the canonical parameters of SPEC.md section 5, in a fixed order: client
    /// actions by client, then transport actions by transport, then the spooler's, then the other processes'.
    /// `out` is cleared first; reuse it between calls and nothing is allocated once it has grown.
    pub fn enabled(&self, out: &mut Vec<Action>) {
        out.clear();
        let mut offer = |action: Action| {
            if self.check(action).is_ok() {
                out.push(action);
            }
        };
        let first_unused = self.messages.iter().position(|m| m == MessageState::Unused).map(|i| MessageId(i as u8));
        for c in ClientId::all(usize::from(self.setup.clients)) {
            offer(Action::AddRef(c));
            offer(Action::Release(c));
            for flags in CANONICAL_LOGOFF_FLAGS {
                offer(Action::Logoff(c, flags));
            }
            if let Some(m) = first_unused {
                offer(Action::Submit(c, m));
            }
        }
        for (i, transport) in self.transports_declared().iter().enumerate() {
            let t = TransportId(i as u8);
            if let Some(m) = first_unused {
                offer(Action::Arrive(t, m));
            }
            if let TransportState::LoggedOn { sending, receiving, .. } = *transport {
                if let Some(m) = sending {
                    offer(Action::Sent(t, m));
                    offer(Action::SendFailed(t, m));
                }
                if let Some(m) = receiving {
                    offer(Action::Received(t, m));
                }
            }
            for flags in CANONICAL_FLUSH_FLAGS {
                offer(Action::Flush(t, flags));
            }
            offer(Action::Flushed(t));
            offer(Action::TransportLogoff(t));
            offer(Action::LogoffReturns(t, LogoffOutcome::Ok));
            offer(Action::LogoffReturns(t, LogoffOutcome::Error));
        }
        for (i, message) in self.messages.iter().enumerate() {
            let m = MessageId(i as u8);
            match message {
                MessageState::Queued => {
                    for t in TransportId::all(usize::from(self.setup.transports)) {
                        offer(Action::Send(m, t));
                    }
                }
                MessageState::Available(t) => offer(Action::Receive(m, t)),
                _ => {}
            }
        }
        offer(Action::OtherOpen);
        offer(Action::OtherClose);
    }

    /// Whether `action` is enabled, and if not, which precondition fails. Accepts any parameter.
    pub fn check(&self, action: Action) -> Result<(), NotEnabled> {
        match action {
            Action::AddRef(c) => {
                let client = self.caller(c)?;
                if client.references >= REFERENCES_PER_CLIENT_MAX {
                    return Err(NotEnabled::ReferencesAtMaximum(c));
                }
                Ok(())
            }
            Action::Release(c) | Action::Logoff(c, _) => self.caller(c).map(|_| ()),
            Action::Submit(c, m) => {
                self.caller(c)?;
                self.unused(m)
            }
            Action::Arrive(t, m) => {
                self.logged_on(t)?;
                self.unused(m)
            }
            Action::Send(m, t) => {
                if self.message_state(m)? != MessageState::Queued {
                    return Err(NotEnabled::MessageNotQueued(m));
                }
                if self.logged_on(t)?.0.is_some() {
                    return Err(NotEnabled::TransportSending(t));
                }
                if !self.sending_allowed() {
                    return Err(NotEnabled::SendingNotAllowed);
                }
                Ok(())
            }
            Action::Sent(t, m) | Action::SendFailed(t, m) => {
                self.message_state(m)?;
                if self.logged_on(t)?.0 != Some(m) {
                    return Err(NotEnabled::NotSending(t, m));
                }
                Ok(())
            }
            Action::Receive(m, t) => {
                if self.message_state(m)? != MessageState::Available(t) {
                    self.transport_state(t)?;
                    return Err(NotEnabled::MessageNotAvailableAt(m, t));
                }
                if self.logged_on(t)?.1.is_some() {
                    return Err(NotEnabled::TransportReceiving(t));
                }
                if !self.setup.inbox && self.mutant != Mutant::ReceiveWithoutInbox {
                    return Err(NotEnabled::NoInbox);
                }
                if !self.reception_enabled() {
                    return Err(NotEnabled::ReceptionDisabled);
                }
                Ok(())
            }
            Action::Received(t, m) => {
                self.message_state(m)?;
                if self.logged_on(t)?.1 != Some(m) {
                    return Err(NotEnabled::NotReceiving(t, m));
                }
                Ok(())
            }
            Action::Flush(t, _) => {
                if self.logged_on(t)?.2 {
                    return Err(NotEnabled::TransportFlushing(t));
                }
                if self.spooler == SpoolerState::Released && self.mutant != Mutant::DeliverAfterRelease {
                    return Err(NotEnabled::StoreReleased);
                }
                Ok(())
            }
            Action::Flushed(t) => {
                if !self.logged_on(t)?.2 {
                    return Err(NotEnabled::NotFlushing(t));
                }
                Ok(())
            }
            Action::TransportLogoff(t) => self.logged_on(t).map(|_| ()),
            Action::LogoffReturns(t, _) => match self.transport_state(t)? {
                TransportState::LoggingOff => Ok(()),
                _ => Err(NotEnabled::NotLoggingOff(t)),
            },
            Action::OtherOpen if self.other >= OTHER_PROCESSES_MAX => Err(NotEnabled::OtherProcessesAtMaximum),
            Action::OtherOpen => Ok(()),
            Action::OtherClose if self.other == 0 => Err(NotEnabled::NoOtherProcess),
            Action::OtherClose => Ok(()),
        }
    }

    /// A client that may make a call: declared, holding a reference (R6), with no call in progress.
    fn caller(&self, c: ClientId) -> Result<&ClientState, NotEnabled> {
        let client = self.client(c).ok_or(NotEnabled::NoSuchClient(c))?;
        if client.blocked.is_some() {
            return Err(NotEnabled::CallInProgress(c));
        }
        if client.references == 0 {
            return Err(NotEnabled::HoldsNoReference(c));
        }
        Ok(client)
    }

    fn message_state(&self, m: MessageId) -> Result<MessageState, NotEnabled> {
        self.message(m).ok_or(NotEnabled::NoSuchMessage(m))
    }

    fn unused(&self, m: MessageId) -> Result<(), NotEnabled> {
        match self.message_state(m)? {
            MessageState::Unused => Ok(()),
            _ => Err(NotEnabled::MessageUsed(m)),
        }
    }

    fn transport_state(&self, t: TransportId) -> Result<TransportState, NotEnabled> {
        self.transport(t).copied().ok_or(NotEnabled::NoSuchTransport(t))
    }

    /// A logged-on transport's (sending, receiving, flushing).
    fn logged_on(&self, t: TransportId) -> Result<(Option<MessageId>, Option<MessageId>, bool), NotEnabled> {
        match self.transport_state(t)? {
            TransportState::LoggedOn { sending, receiving, flushing } => Ok((sending, receiving, flushing)),
            _ => Err(NotEnabled::TransportNotLoggedOn(t)),
        }
    }

    // ----- taking a step -----

    /// Performs one step and every blocked call that it lets return, and returns the effects in order; or, if the
    /// step is not enabled, changes nothing and names the precondition that fails.
    pub fn apply(&mut self, action: Action) -> Result<Effects, NotEnabled> {
        self.apply_via(action, &mut Reference)
    }

    /// [`apply`](Model::apply) with the roles that `roles` names played from outside the model (the others are the
    /// model's own): every decision of a role goes to it, and the model carries out its answers.
    pub fn apply_with_roles(&mut self, action: Action, roles: &mut Roles) -> Result<Effects, NotEnabled> {
        self.apply_via(action, roles)
    }

    fn apply_via(&mut self, action: Action, players: &mut impl Players) -> Result<Effects, NotEnabled> {
        self.check(action)?;
        let mut effects = Effects::new();
        self.perform(action, &mut effects, players);
        self.settle(&mut effects, players);
        Ok(effects)
    }

    fn perform(&mut self, action: Action, effects: &mut Effects, players: &mut impl Players) {
        match action {
            Action::AddRef(c) => {
                self.clients[c.index()].references += 1;
                let answer = players.call(self, c, StoreCall::AddRef);
                self.carry_out(c, ClientCall::AddRef, answer, effects, players);
            }
            Action::Release(c) => {
                self.clients[c.index()].references -= 1;
                let answer = players.call(self, c, StoreCall::Release);
                self.carry_out(c, ClientCall::Release, answer, effects, players);
            }
            Action::Logoff(c, flags) => {
                let answer = players.call(self, c, StoreCall::StoreLogoff(flags));
                self.carry_out(c, ClientCall::StoreLogoff, answer, effects, players);
            }
            Action::Submit(c, m) => {
                let answer = players.call(self, c, StoreCall::Submit(m));
                if let StoreAnswer::Return(CallResult::Status(HResult::S_OK, _)) = answer {
                    self.messages.set(m, MessageState::Queued);
                }
                self.carry_out(c, ClientCall::Submit, answer, effects, players);
            }
            Action::Arrive(t, m) => self.messages.set(m, MessageState::Available(t)),
            Action::Send(m, t) => {
                self.messages.set(m, MessageState::Sending(t));
                self.set_sending(t, Some(m));
            }
            Action::Sent(t, m) => {
                self.messages.set(m, MessageState::Sent);
                self.set_sending(t, None);
            }
            Action::SendFailed(t, m) => {
                self.messages.set(m, MessageState::Queued);
                self.set_sending(t, None);
            }
            Action::Receive(m, t) => {
                self.messages.set(m, MessageState::Receiving(t));
                self.set_receiving(t, Some(m));
            }
            Action::Received(t, m) => {
                self.messages.set(m, MessageState::Delivered);
                self.set_receiving(t, None);
            }
            Action::Flush(t, flags) => self.start_flush(t, flags, effects),
            Action::Flushed(t) => self.end_flush(t),
            Action::TransportLogoff(t) => self.transport_logoff(t, effects, players),
            Action::LogoffReturns(t, outcome) => {
                self.transports[t.index()] = TransportState::LoggedOff;
                for call in players.logoff_returned(self, t, outcome) {
                    effects.push(Effect::Transport { transport: t, call: *call });
                }
            }
            Action::OtherOpen => self.other += 1,
            Action::OtherClose => self.other -= 1,
        }
    }

    fn set_sending(&mut self, t: TransportId, message: Option<MessageId>) {
        if let TransportState::LoggedOn { sending, .. } = &mut self.transports[t.index()] {
            *sending = message;
        }
    }

    fn set_receiving(&mut self, t: TransportId, message: Option<MessageId>) {
        if let TransportState::LoggedOn { receiving, .. } = &mut self.transports[t.index()] {
            *receiving = message;
        }
    }

    fn start_flush(&mut self, t: TransportId, flags: FlushFlags, effects: &mut Effects) {
        if let TransportState::LoggedOn { flushing, .. } = &mut self.transports[t.index()] {
            *flushing = true;
        }
        effects.push(Effect::Transport { transport: t, call: TransportCall::Flush(flags) });
    }

    fn end_flush(&mut self, t: TransportId) {
        if let TransportState::LoggedOn { flushing, .. } = &mut self.transports[t.index()] {
            *flushing = false;
        }
        if let SpoolerState::LoggingOff { flushes_awaited, .. } = &mut self.spooler {
            *flushes_awaited &= !(1 << t.0);
        }
    }

    /// IXPLogon::TransportLogoff (R15-R17): address types are discarded first; a send in progress goes back to the
    /// queue, a receive back to `available`, a flush is abandoned and no PURGE waits for it any more.
    fn transport_logoff(&mut self, t: TransportId, effects: &mut Effects, players: &mut impl Players) {
        let call = players.transport_logoff_call(self, t);
        if call.discard_address_types {
            effects.push(Effect::Transport { transport: t, call: TransportCall::DiscardAddressTypes });
        }
        effects.push(Effect::Transport { transport: t, call: TransportCall::Logoff(call.flags) });
        let done = players.transport_logoff(self, t);
        if let TransportState::LoggedOn { sending, receiving, flushing } = self.transports[t.index()] {
            if let Some(m) = sending {
                match done.send {
                    SendFate::TakenAsSent => self.messages.set(m, MessageState::Sent),
                    SendFate::Requeued => {
                        self.messages.set(m, MessageState::Queued);
                        effects.push(Effect::SendStopped { transport: t, message: m });
                    }
                }
            }
            if let Some(m) = receiving {
                if done.stop_receive {
                    self.messages.set(m, MessageState::Available(t));
                    effects.push(Effect::ReceiveStopped { transport: t, message: m });
                }
            }
            if flushing {
                effects.push(Effect::FlushAbandoned { transport: t });
            }
        }
        if let SpoolerState::LoggingOff { flushes_awaited, .. } = &mut self.spooler {
            if call.forget_awaited_flush {
                *flushes_awaited &= !(1 << t.0);
            }
        }
        self.transports[t.index()] = TransportState::LoggingOff;
    }

    /// The model's own spooler at TransportLogoff: the address types first (R15), the flags of A6.
    pub(crate) fn reference_transport_logoff_call(&self, _: TransportId) -> TransportLogoffCall {
        TransportLogoffCall {
            discard_address_types: self.mutant != Mutant::AddressTypesKept,
            flags: match self.profile.transport_logoff_flags {
                TransportLogoffArg::Zero => TransportLogoffFlags::empty(),
                TransportLogoffArg::Normal => TransportLogoffFlags::NORMAL,
            },
            forget_awaited_flush: self.mutant != Mutant::PurgeWaitsForAbandonedFlush,
        }
    }

    /// The model's own transport at TransportLogoff: a send in progress goes back to the queue (R16), a receive
    /// stops.
    pub(crate) fn reference_transport_logoff(&self, _: TransportId) -> TransportLogoffEffects {
        TransportLogoffEffects {
            send: if self.mutant == Mutant::LogoffLosesSendingMessage {
                SendFate::TakenAsSent
            } else {
                SendFate::Requeued
            },
            stop_receive: self.mutant != Mutant::LogoffKeepsReceive,
        }
    }

    /// The model's own transport when TransportLogoff returns: on `ok`, MakeInvalid on its logon object, then the
    /// release of its support object (R17).
    pub(crate) fn reference_logoff_returned(&self, _: TransportId, outcome: LogoffOutcome) -> &'static [TransportCall] {
        match outcome {
            LogoffOutcome::Error => &[],
            LogoffOutcome::Ok if self.mutant == Mutant::SupportReleasedFirst => {
                &[TransportCall::ReleaseSupport, TransportCall::MakeInvalid]
            }
            LogoffOutcome::Ok => &[TransportCall::MakeInvalid, TransportCall::ReleaseSupport],
        }
    }

    /// Carries out the store provider's answer to `c`'s call: the call returns (a Release that leaves no
    /// reference destroys the store object), or the provider calls StoreLogoffTransports with the call blocked in
    /// it (an AddRef or Submit answered so is treated as a StoreLogoff: out of protocol, for the checker to judge).
    fn carry_out(
        &mut self,
        c: ClientId,
        call: ClientCall,
        answer: StoreAnswer,
        effects: &mut Effects,
        players: &mut impl Players,
    ) {
        match answer {
            StoreAnswer::Return(result) => {
                if call == ClientCall::Release && self.references() == 0 && self.store != StoreState::Destroyed {
                    self.store = StoreState::Destroyed;
                    effects.push(Effect::StoreDestroyed);
                }
                effects.push(Effect::Returned { client: c, call, result });
            }
            StoreAnswer::CallTransports(mode) => {
                let (blocked, caller) = match call {
                    ClientCall::Release => (BlockedCall::Release, Caller::Release(c)),
                    _ => (BlockedCall::StoreLogoff, Caller::StoreLogoff(c)),
                };
                self.clients[c.index()].blocked = Some(blocked);
                self.call_transports(mode, caller, effects, players);
            }
        }
    }

    /// The model's own store provider: its answer to a client's call.
    fn reference_call(&mut self, client: ClientId, call: StoreCall) -> StoreAnswer {
        match call {
            StoreCall::AddRef => StoreAnswer::Return(CallResult::Count(self.references())),
            StoreCall::Release => self.reference_release(),
            StoreCall::StoreLogoff(flags) => self.reference_store_logoff(client, flags),
            StoreCall::Submit(_) => {
                let hr = if self.store == StoreState::Invalid && self.mutant != Mutant::NoInvalidObject {
                    HResult::INVALID_OBJECT
                } else if self.mutant == Mutant::SubmitRefusedDuringLogoff
                    && matches!(self.spooler, SpoolerState::LoggingOff { .. })
                {
                    HResult::BUSY
                } else {
                    HResult::S_OK
                };
                StoreAnswer::Return(CallResult::Status(hr, LogoffFlags::empty()))
            }
        }
    }

    /// IUnknown::Release (the count already taken down). At zero the provider calls StoreLogoffTransports if R4,
    /// A1 and A9 say so.
    fn reference_release(&mut self) -> StoreAnswer {
        let count = self.references();
        let returns = StoreAnswer::Return(CallResult::Count(count));
        let early_call = self.mutant == Mutant::TransportsAtFirstRelease
            && matches!(self.store, StoreState::Open { called: false, .. })
            && self.spooler == SpoolerState::Serving;
        if count > 0 && !early_call {
            return returns;
        }
        match self.store {
            StoreState::Open { saved, called } => {
                let mut call_now = match self.profile.zero_call {
                    ZeroCall::Once => !called,
                    // Open means that no call returned COMPLETE.
                    ZeroCall::UntilComplete => true,
                };
                if self.mutant == Mutant::NoAbortAtZero && saved.is_none() && !called {
                    call_now = false;
                }
                if !call_now {
                    return returns;
                }
                // Under `eager` a saved mode means its call was made already: only ABORT is left (R4); except
                // under `eager_shared=defer` (A10), where a StoreLogoff made while another client held a reference
                // saved its mode without a call, which is then passed as under `deferred`.
                let mode = match (self.profile.call_site, self.profile.eager_shared, called) {
                    (CallSite::Deferred, _, false) | (CallSite::Eager, EagerShared::Defer, false) => {
                        saved.unwrap_or(Mode::Abort)
                    }
                    _ => Mode::Abort,
                };
                StoreAnswer::CallTransports(mode)
            }
            // A destroyed store has no reference left to release, but a mutant may destroy it early.
            StoreState::Invalid | StoreState::Destroyed => returns,
        }
    }

    /// IMsgStore::StoreLogoff: MAPI_E_INVALID_OBJECT on an invalid store (R5, before the flags), then R1's check,
    /// then MAPI_E_BUSY while another StoreLogoffTransports call is in progress; otherwise the mode is saved (R2)
    /// and, under `eager`, passed to StoreLogoffTransports at once (A1), unless another client holds a reference
    /// and `eager_shared=defer` (A10) has the call return as under `deferred`.
    fn reference_store_logoff(&mut self, client: ClientId, flags: LogoffFlags) -> StoreAnswer {
        let fail = |hr: HResult| StoreAnswer::Return(CallResult::Status(hr, LogoffFlags::empty()));
        let StoreState::Open { saved, called } = self.store else {
            let hr = if self.mutant == Mutant::NoInvalidObject { HResult::S_OK } else { HResult::INVALID_OBJECT };
            return fail(hr);
        };
        let lowest_mode = Mode::ALL.into_iter().find(|mode| flags.contains(mode.flag()));
        // The mistake of reading only the low 16 bits for undefined ones: the undefined high bits go unseen.
        let checked = if self.mutant == Mutant::HighUndefinedBitsAccepted {
            flags.bits() & (0xFFFF | LogoffFlags::OUTPUT.bits())
        } else {
            flags.bits()
        };
        let mode = match Mode::from_input(checked, self.profile.input) {
            Ok(mode) => mode,
            Err(_)
                if self.mutant == Mutant::SeveralModesAccepted
                    && flags.bits() & !0x1F == 0
                    && lowest_mode.is_some() =>
            {
                lowest_mode.unwrap_or(Mode::Abort)
            }
            Err(hr) => {
                if self.mutant == Mutant::InvalidFlagsSaved && lowest_mode.is_some() {
                    self.store = StoreState::Open { saved: lowest_mode, called };
                }
                if self.mutant == Mutant::InvalidLogoffForgetsMode {
                    self.store = StoreState::Open { saved: None, called };
                }
                return fail(hr);
            }
        };
        let sending = self.activity_flags().contains(LogoffFlags::OUTBOUND);
        if matches!(self.spooler, SpoolerState::LoggingOff { .. })
            || (self.mutant == Mutant::BusyWhileSending && sending)
        {
            return fail(HResult::BUSY);
        }
        let saved = if self.mutant == Mutant::FirstModeWins && saved.is_some() { saved } else { Some(mode) };
        self.store = StoreState::Open { saved, called };
        let shared = self.shared_with_others(client);
        match self.profile.call_site {
            CallSite::Eager if !(shared && self.profile.eager_shared == EagerShared::Defer) => {
                StoreAnswer::CallTransports(mode)
            }
            _ => {
                let mut out = match self.profile.storelogoff_out {
                    StoreLogoffOut::None => LogoffFlags::empty(),
                    StoreLogoffOut::Complete => LogoffFlags::COMPLETE,
                };
                if self.mutant == Mutant::StoreLogoffEchoesInput {
                    out |= mode.flag();
                }
                StoreAnswer::Return(CallResult::Status(HResult::S_OK, out))
            }
        }
    }

    /// Whether a client other than `client` holds a reference to the store object (A10: the store is not "being
    /// used only by the caller", page 004).
    pub fn shared_with_others(&self, client: ClientId) -> bool {
        self.clients.iter().enumerate().any(|(i, state)| i != client.index() && state.references > 0)
    }

    /// The model's own store provider when its StoreLogoffTransports call returns: it follows the flags (R5), and
    /// the client's call returns them (a StoreLogoff) or the count (a Release).
    fn reference_returned(&mut self, caller: Caller, flags: LogoffFlags) -> AfterTransports {
        let result = match caller {
            Caller::StoreLogoff(_) => {
                let out = if self.mutant == Mutant::EagerDropsActivity { flags & LogoffFlags::COMPLETE } else { flags };
                CallResult::Status(HResult::S_OK, out)
            }
            Caller::Release(_) => CallResult::Count(self.references()),
        };
        AfterTransports { invalidate: flags.contains(LogoffFlags::COMPLETE), result }
    }

    /// Transport activity for ABORT and QUIET (R8, R9, A4).
    fn transport_activity(&self) -> bool {
        let activity = self.activity_flags();
        activity.intersects(LogoffFlags::INBOUND | LogoffFlags::OUTBOUND)
            || (self.profile.queue_is_activity == QueueIsActivity::Yes
                && activity.contains(LogoffFlags::OUTBOUND_QUEUE))
    }

    /// IMAPISupport::StoreLogoffTransports, made by the provider with the client call `caller` blocked in it.
    fn call_transports(&mut self, mode: Mode, caller: Caller, effects: &mut Effects, players: &mut impl Players) {
        effects.push(Effect::TransportsCalled { mode, caller });
        if let StoreState::Open { saved, .. } = self.store {
            self.store = StoreState::Open { saved, called: true };
        }
        let plan = players.spooler_plan(self, mode);
        if plan.stop_activity {
            self.stop_activity(effects);
        }
        // A blocking call disables reception as it starts (R10, R11, R12).
        if matches!(plan.outcome, SpoolerOutcome::Block { .. }) && self.reception_enabled() {
            effects.push(Effect::ReceptionDisabled);
        }
        let mut flushes_awaited = 0u8;
        for t in TransportId::all(usize::from(self.setup.transports)) {
            match (plan.flush, self.transports[t.index()]) {
                (Some(flags), TransportState::LoggedOn { flushing: false, .. }) => self.start_flush(t, flags, effects),
                (Some(_), TransportState::LoggedOn { .. }) => {}
                (Some(flags), _) if plan.flush_logged_off => {
                    effects.push(Effect::Transport { transport: t, call: TransportCall::Flush(flags) });
                }
                _ => {}
            }
            if matches!(self.transports[t.index()], TransportState::LoggedOn { .. }) {
                flushes_awaited |= 1 << t.0;
            }
        }
        if plan.release_store {
            self.release_store(effects);
        }
        match plan.outcome {
            SpoolerOutcome::Return { flags, other_process, stop_serving } => {
                let flags = match flags {
                    ReturnFlags::Fixed(flags) => flags,
                    ReturnFlags::CompleteAndActivity => LogoffFlags::COMPLETE | self.activity_flags(),
                };
                self.transports_return(flags, other_process, caller, effects, players);
                if stop_serving {
                    self.spooler = SpoolerState::Released;
                }
            }
            SpoolerOutcome::Block { await_flushes, sends, receives } => {
                let flushes_awaited = if await_flushes { flushes_awaited } else { 0 };
                self.spooler = SpoolerState::LoggingOff { mode, caller, flushes_awaited, sends, receives };
            }
        }
    }

    /// The model's own spooler: what it does with a StoreLogoffTransports call (R7-R14, A2-A5).
    pub(crate) fn reference_spooler_plan(&self, mode: Mode) -> SpoolerPlan {
        let mut plan = SpoolerPlan {
            stop_activity: false,
            flush: None,
            flush_logged_off: false,
            release_store: false,
            outcome: SpoolerOutcome::Block { await_flushes: false, sends: true, receives: false },
        };
        if self.other > 0 && self.mutant != Mutant::OtherProcessIgnored {
            if mode == Mode::Purge && self.mutant == Mutant::R7PurgeFlushes {
                plan.flush = Some(FlushFlags::UPLOAD);
            }
            // R7: the call is ignored; the spooler goes on serving the store.
            plan.outcome = SpoolerOutcome::Return {
                flags: ReturnFlags::Fixed(LogoffFlags::COMPLETE),
                other_process: true,
                stop_serving: self.mutant == Mutant::R7StopsServing,
            };
            return plan;
        }
        match mode {
            Mode::Abort | Mode::Quiet => {
                if self.transport_activity() {
                    if mode == Mode::Quiet || self.profile.abort == Abort::Refuse {
                        // R8, R9: no logoff, nothing changes; the kinds of activity come back.
                        let mut flags = self.activity_flags();
                        if mode == Mode::Quiet && self.mutant == Mutant::QuietNoFlags {
                            flags = LogoffFlags::empty();
                        }
                        plan.stop_activity = mode == Mode::Abort && self.mutant == Mutant::RefusedAbortStopsSends;
                        plan.outcome = SpoolerOutcome::Return {
                            flags: ReturnFlags::Fixed(flags),
                            other_process: false,
                            stop_serving: false,
                        };
                        return plan;
                    }
                    plan.stop_activity = self.mutant != Mutant::StopKeepsSends;
                }
                plan.release_store = true;
                plan.outcome = SpoolerOutcome::Return {
                    flags: ReturnFlags::CompleteAndActivity,
                    other_process: false,
                    stop_serving: false,
                };
            }
            Mode::NoWait | Mode::Orderly | Mode::Purge => {
                if mode == Mode::Purge && self.mutant != Mutant::PurgeSkipsFlush {
                    plan.flush = Some(match self.profile.purge_flush {
                        PurgeFlush::Upload => FlushFlags::UPLOAD,
                        PurgeFlush::Both => FlushFlags::UPLOAD | FlushFlags::DOWNLOAD,
                    });
                    plan.flush_logged_off = self.mutant == Mutant::FlushLoggedOffTransports;
                }
                plan.outcome = SpoolerOutcome::Block {
                    await_flushes: plan.flush.is_some(),
                    // A2: under `keep` an ORDERLY logoff starts no new send.
                    sends: mode != Mode::Orderly
                        || self.profile.orderly == Orderly::Drain
                        || self.mutant == Mutant::OrderlyStartsSend,
                    receives: self.mutant == Mutant::ReceptionNotDisabled,
                };
            }
        }
        plan
    }

    /// A3 `stop`: sends in progress go back to the queue, receives back to their transports.
    fn stop_activity(&mut self, effects: &mut Effects) {
        for t in TransportId::all(usize::from(self.setup.transports)) {
            if let TransportState::LoggedOn { sending, receiving, flushing } = self.transports[t.index()] {
                if let Some(m) = sending {
                    self.messages.set(m, MessageState::Queued);
                    effects.push(Effect::SendStopped { transport: t, message: m });
                }
                if let Some(m) = receiving {
                    self.messages.set(m, MessageState::Available(t));
                    effects.push(Effect::ReceiveStopped { transport: t, message: m });
                }
                self.transports[t.index()] = TransportState::LoggedOn { sending: None, receiving: None, flushing };
            }
        }
    }

    fn release_store(&mut self, effects: &mut Effects) {
        if self.reception_enabled() {
            effects.push(Effect::ReceptionDisabled);
        }
        self.spooler = SpoolerState::Released;
        effects.push(Effect::StoreReleased);
    }

    /// StoreLogoffTransports returns: the store provider does what it does (it must follow the flags, R5), and
    /// the client call blocked in it returns in the same step.
    fn transports_return(
        &mut self,
        flags: LogoffFlags,
        other_process: bool,
        caller: Caller,
        effects: &mut Effects,
        players: &mut impl Players,
    ) {
        effects.push(Effect::TransportsReturned { flags, other_process });
        let after = players.returned(self, caller, flags, other_process);
        if after.invalidate {
            self.store = StoreState::Invalid;
            effects.push(Effect::StoreInvalidated);
        }
        let c = caller.client();
        self.clients[c.index()].blocked = None;
        let call = match caller {
            Caller::StoreLogoff(_) => ClientCall::StoreLogoff,
            Caller::Release(_) => ClientCall::Release,
        };
        self.carry_out(c, call, StoreAnswer::Return(after.result), effects, players);
    }

    /// Returns the blocking StoreLogoffTransports call in progress if its last condition now holds
    /// (R10, R11, R12, A2): no send or receive in progress, the queue drained where the mode drains it (as far
    /// as a logged-on transport can send it), and, for PURGE, every awaited flush done.
    fn settle(&mut self, effects: &mut Effects, players: &mut impl Players) {
        let SpoolerState::LoggingOff { mode, caller, flushes_awaited, .. } = self.spooler else {
            return;
        };
        if let Some(flags) = players.may_return(self, mode, flushes_awaited) {
            // Reception was disabled when the call started.
            self.spooler = SpoolerState::Released;
            effects.push(Effect::StoreReleased);
            self.transports_return(flags, false, caller, effects, players);
        }
    }

    /// The model's own spooler: whether a blocking call may return (R10, R11, R12, A2): no send or receive in
    /// progress, the queue drained where the mode drains it (as far as a logged-on transport can send it), and,
    /// for PURGE, every awaited flush done. It returns COMPLETE and the activity left.
    pub(crate) fn reference_may_return(&self, mode: Mode, flushes_awaited: u8) -> Option<LogoffFlags> {
        let activity = self.activity_flags();
        let busy = activity.intersects(LogoffFlags::INBOUND | LogoffFlags::OUTBOUND);
        let can_send = if self.mutant == Mutant::LateReturn {
            self.transports_declared().iter().any(|t| !matches!(t, TransportState::LoggedOff))
        } else {
            self.any_transport_logged_on()
        };
        let sendable = activity.contains(LogoffFlags::OUTBOUND_QUEUE) && can_send;
        let done = match mode {
            Mode::Orderly if self.profile.orderly == Orderly::Keep && self.mutant == Mutant::OrderlyWaitsForQueue => {
                !busy && !sendable
            }
            Mode::Orderly if self.profile.orderly == Orderly::Keep => !busy,
            Mode::NoWait if self.mutant == Mutant::NoWaitReturnsEarly => !busy,
            Mode::Purge => !busy && !sendable && flushes_awaited == 0,
            _ => !busy && !sendable,
        };
        done.then_some(LogoffFlags::COMPLETE | activity)
    }
}
