//! What a step causes: the effects of SPEC.md section 5, recorded out of `Model::apply`.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::action::{ClientId, MessageId, TransportId};
use crate::flags::{FlushFlags, HResult, LogoffFlags, Mode, TransportLogoffFlags};

/// Who made a StoreLogoffTransports call: the store provider, inside a client's StoreLogoff (A1 `eager`) or inside
/// the client's Release that took the reference count to zero (R4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Caller {
    StoreLogoff(ClientId),
    Release(ClientId),
}

impl Caller {
    pub const fn client(self) -> ClientId {
        match self {
            Caller::StoreLogoff(c) | Caller::Release(c) => c,
        }
    }
}

/// A call that the spooler or the transport provider makes concerning one transport: the items of
/// `expect tJ log` (SPEC.md section 6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TransportCall {
    /// The spooler calls IXPLogon::FlushQueues.
    Flush(FlushFlags),
    /// The spooler discards the session's address types (R15).
    DiscardAddressTypes,
    /// The spooler calls IXPLogon::TransportLogoff (A6 decides the flags).
    Logoff(TransportLogoffFlags),
    /// The provider calls IMAPISupport::MakeInvalid on its logon object (R17).
    MakeInvalid,
    /// The provider releases its support object (R17).
    ReleaseSupport,
}

/// Writes the call as an `expect tJ log` item: `flush:UPLOAD|DOWNLOAD`, `logoff:0`, `make-invalid`, ...
impl fmt::Display for TransportCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportCall::Flush(flags) => write!(f, "flush:{flags}"),
            TransportCall::DiscardAddressTypes => f.write_str("discard-address-types"),
            TransportCall::Logoff(flags) => write!(f, "logoff:{flags}"),
            TransportCall::MakeInvalid => f.write_str("make-invalid"),
            TransportCall::ReleaseSupport => f.write_str("release-support"),
        }
    }
}

/// A client call, for the record of what it returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ClientCall {
    AddRef,
    Release,
    StoreLogoff,
    Submit,
}

/// What a client call returned: AddRef and Release return the new reference count, the others an HRESULT and
/// the flags written back (zero for a submit and for every failure).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum CallResult {
    Count(u32),
    Status(HResult, LogoffFlags),
}

/// One effect of a step. The order of the effects of a step is the order in which they happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Effect {
    /// The store provider called IMAPISupport::StoreLogoffTransports.
    TransportsCalled { mode: Mode, caller: Caller },
    /// StoreLogoffTransports returned these output flags; `other_process` when R7 decided it.
    TransportsReturned { flags: LogoffFlags, other_process: bool },
    /// The spooler disabled reception into the store (R10, R11, R12, R14).
    ReceptionDisabled,
    /// The spooler released the store (R14): it does no further work for it.
    StoreReleased,
    /// The store provider invalidated the store object (R5).
    StoreInvalidated,
    /// No reference remains: the store object is gone.
    StoreDestroyed,
    /// A call concerning one transport (the `expect tJ log` items).
    Transport { transport: TransportId, call: TransportCall },
    /// A send in progress stopped without completing; the message is queued again (R16, A3 `stop`).
    SendStopped { transport: TransportId, message: MessageId },
    /// A receive in progress stopped; the message is available at its transport again.
    ReceiveStopped { transport: TransportId, message: MessageId },
    /// A flush in progress was abandoned because its transport logged off (R21).
    FlushAbandoned { transport: TransportId },
    /// A client call returned.
    Returned { client: ClientId, call: ClientCall, result: CallResult },
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Effect::TransportsCalled { mode, caller } => {
                let (via, client) = match caller {
                    Caller::StoreLogoff(c) => ("logoff", c),
                    Caller::Release(c) => ("release", c),
                };
                write!(f, "transports-called {mode} by {client} {via}")
            }
            Effect::TransportsReturned { flags, other_process } => {
                write!(f, "transports-returned {flags}")?;
                if *other_process {
                    f.write_str(" (other process)")?;
                }
                Ok(())
            }
            Effect::ReceptionDisabled => f.write_str("reception-disabled"),
            Effect::StoreReleased => f.write_str("store-released"),
            Effect::StoreInvalidated => f.write_str("store-invalidated"),
            Effect::StoreDestroyed => f.write_str("store-destroyed"),
            Effect::Transport { transport, call } => write!(f, "{transport} {call}"),
            Effect::SendStopped { transport, message } => write!(f, "{transport} send-stopped {message}"),
            Effect::ReceiveStopped { transport, message } => write!(f, "{transport} receive-stopped {message}"),
            Effect::FlushAbandoned { transport } => write!(f, "{transport} flush-abandoned"),
            Effect::Returned { client, call, result } => {
                let call = match call {
                    ClientCall::AddRef => "addref",
                    ClientCall::Release => "release",
                    ClientCall::StoreLogoff => "logoff",
                    ClientCall::Submit => "submit",
                };
                match result {
                    CallResult::Count(count) => write!(f, "{client} {call} returned {count}"),
                    CallResult::Status(hr, flags) => write!(f, "{client} {call} returned {hr} {flags}"),
                }
            }
        }
    }
}

/// The most effects one step can cause. An ABORT under `stop` at reference count zero causes the most: the call,
/// a stopped send and a stopped receive on each of three transports, reception disabled, the store released, the
/// return, the store invalidated and destroyed, and the Release's return: 13.
pub const EFFECTS_PER_STEP_MAX: usize = 16;

/// The effects of one step, in order, in a fixed-size buffer so that a step allocates nothing.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Effects {
    len: u8,
    items: [Effect; EFFECTS_PER_STEP_MAX],
}

impl Effects {
    pub const fn new() -> Effects {
        Effects { len: 0, items: [Effect::StoreDestroyed; EFFECTS_PER_STEP_MAX] }
    }

    /// Forgets every effect recorded (the buffer is kept).
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// Records one more effect. Exceeding the bound is a bug in the model, not a property of the input.
    pub(crate) fn push(&mut self, effect: Effect) {
        let index = usize::from(self.len);
        assert!(index < EFFECTS_PER_STEP_MAX, "a step caused more than {EFFECTS_PER_STEP_MAX} effects");
        self.items[index] = effect;
        self.len += 1;
    }

    pub fn as_slice(&self) -> &[Effect] {
        &self.items[..usize::from(self.len)]
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Effect> {
        self.as_slice().iter()
    }

    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Default for Effects {
    fn default() -> Self {
        Effects::new()
    }
}

impl fmt::Debug for Effects {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

impl<'a> IntoIterator for &'a Effects {
    type Item = &'a Effect;
    type IntoIter = std::slice::Iter<'a, Effect>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl Serialize for Effects {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.as_slice().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Effects {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let items = Vec::<Effect>::deserialize(deserializer)?;
        if items.len() > EFFECTS_PER_STEP_MAX {
            return Err(serde::de::Error::invalid_length(items.len(), &"at most EFFECTS_PER_STEP_MAX effects"));
        }
        let mut effects = Effects::new();
        items.into_iter().for_each(|effect| effects.push(effect));
        Ok(effects)
    }
}
