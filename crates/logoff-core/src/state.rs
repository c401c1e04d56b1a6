//! The state of the world, part by part: where each message is, each transport logon, each client, the store
//! object and the spooler's relation to it. Plain data: the model ([`crate::Model`]) changes it, the roles read it
//! through a [`crate::World`].

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::action::*;
use crate::effect::Caller;
use crate::flags::Mode;

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

    /// The first of the first `count` messages in `state`: its byte compared, none decoded.
    #[inline]
    pub fn first_in(&self, count: usize, state: MessageState) -> Option<MessageId> {
        let byte = Messages::encode(state);
        self.0[..count.min(MESSAGES_MAX)].iter().position(|b| *b == byte).map(|i| MessageId(i as u8))
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
    pub(crate) const IDLE: TransportState =
        TransportState::LoggedOn { sending: None, receiving: None, flushing: false };

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

/// The spooler's mistakes in serving the store that the guards read: decisions of the spooler role, made at the
/// start of a run ([`crate::SpoolerRole::habits`]) and recorded here. A correct spooler has none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SpoolerHabits {
    /// It receives into a store that does not hold the default Inbox (the mutant `receive-without-inbox`).
    pub receives_without_inbox: bool,
    /// It goes on delivering into the store, and flushing, after it released it (`deliver-after-release`).
    pub delivers_after_release: bool,
}

/// The total reference count of the store object: the clients' references.
#[inline]
pub(crate) fn references(clients: &[ClientState; CLIENTS_MAX]) -> u32 {
    clients.iter().map(|c| u32::from(c.references)).sum()
}

/// Whether a client other than `client` holds a reference to the store object (A10: the store is not "being
/// used only by the caller", page 004).
#[inline]
pub(crate) fn shared_with_others(clients: &[ClientState; CLIENTS_MAX], client: ClientId) -> bool {
    clients.iter().enumerate().any(|(i, state)| i != client.index() && state.references > 0)
}
