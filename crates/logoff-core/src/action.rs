//! The vocabulary of the model (SPEC.md section 5): who acts, and the one `Action` enum of every step.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::flags::{FlushFlags, LogoffFlags};

/// The most clients a run may declare.
pub const CLIENTS_MAX: usize = 4;
/// The most transports a run may declare.
pub const TRANSPORTS_MAX: usize = 3;
/// The most messages (both directions together) a run may name: `m0` to `m31`.
pub const MESSAGES_MAX: usize = 32;
/// The most references one client may hold at once (AddRef beyond it is not enabled).
pub const REFERENCES_PER_CLIENT_MAX: u8 = 8;
/// The most other processes that may hold the store open at once.
pub const OTHER_PROCESSES_MAX: u8 = 3;

macro_rules! id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $max:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub struct $name(pub u8);

        impl $name {
            /// The letter that starts the name in scripts.
            pub const PREFIX: char = $prefix;

            pub const fn index(self) -> usize {
                self.0 as usize
            }

            /// Every id below the maximum, in ascending order.
            pub fn all(count: usize) -> impl Iterator<Item = $name> + Clone {
                (0..count.min($max)).map(|i| $name(i as u8))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}{}", $prefix, self.0)
            }
        }
    };
}

id!(
    /// A client of the store in the local process: `c0`, `c1`, ...
    ClientId, 'c', CLIENTS_MAX
);
id!(
    /// A transport provider logon: `t0`, `t1`, ...
    TransportId, 't', TRANSPORTS_MAX
);
id!(
    /// A message, outbound or inbound: `m0`, `m1`, ...
    MessageId, 'm', MESSAGES_MAX
);

/// How `IXPLogon::TransportLogoff` returns: `ok` is S_OK, `error` is MAPI_E_CALL_FAILED.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum LogoffOutcome {
    Ok,
    Error,
}

impl LogoffOutcome {
    pub const fn name(self) -> &'static str {
        match self {
            LogoffOutcome::Ok => "ok",
            LogoffOutcome::Error => "error",
        }
    }
}

/// One step of a run. The order of the variants is the order of SPEC.md section 5.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Action {
    /// `cN addref`: IUnknown::AddRef.
    AddRef(ClientId),
    /// `cN release`: IUnknown::Release.
    Release(ClientId),
    /// `cN logoff FLAGS`: IMsgStore::StoreLogoff with any flag bits, valid or not.
    Logoff(ClientId, LogoffFlags),
    /// `cN submit mK`: a new outbound message enters the Outbox.
    Submit(ClientId, MessageId),
    /// `tJ arrive mK`: an inbound message becomes available at the transport.
    Arrive(TransportId, MessageId),
    /// `spooler send mK tJ`: the spooler starts sending a queued message.
    Send(MessageId, TransportId),
    /// `tJ sent mK`: the send completes.
    Sent(TransportId, MessageId),
    /// `tJ send-failed mK`: the send fails and the message goes back to the queue.
    SendFailed(TransportId, MessageId),
    /// `spooler receive mK tJ`: the spooler starts receiving an available message into the store.
    Receive(MessageId, TransportId),
    /// `tJ received mK`: the message is delivered into the store.
    Received(TransportId, MessageId),
    /// `spooler flush tJ FLAGS`: IXPLogon::FlushQueues.
    Flush(TransportId, FlushFlags),
    /// `tJ flushed`: the flush completes.
    Flushed(TransportId),
    /// `spooler logoff tJ`: IXPLogon::TransportLogoff.
    TransportLogoff(TransportId),
    /// `tJ logoff-returns ok|error`: TransportLogoff returns.
    LogoffReturns(TransportId, LogoffOutcome),
    /// `other open`: another process opens the store for the same profile.
    OtherOpen,
    /// `other close`: another process closes it.
    OtherClose,
}

impl Action {
    /// The actor that takes the step, for traces.
    pub fn actor(&self) -> Actor {
        match *self {
            Action::AddRef(c) | Action::Release(c) | Action::Logoff(c, _) | Action::Submit(c, _) => Actor::Client(c),
            Action::Send(..) | Action::Receive(..) | Action::Flush(..) | Action::TransportLogoff(_) => Actor::Spooler,
            Action::Arrive(t, _)
            | Action::Sent(t, _)
            | Action::SendFailed(t, _)
            | Action::Received(t, _)
            | Action::Flushed(t)
            | Action::LogoffReturns(t, _) => Actor::Transport(t),
            Action::OtherOpen | Action::OtherClose => Actor::Other,
        }
    }
}

/// Who takes a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Actor {
    Client(ClientId),
    Spooler,
    Transport(TransportId),
    Other,
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Client(c) => write!(f, "{c}"),
            Actor::Spooler => f.write_str("spooler"),
            Actor::Transport(t) => write!(f, "{t}"),
            Actor::Other => f.write_str("other"),
        }
    }
}

/// Writes the action in the script syntax of SPEC.md section 6, so that a trace is a script.
impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Action::AddRef(c) => write!(f, "{c} addref"),
            Action::Release(c) => write!(f, "{c} release"),
            Action::Logoff(c, flags) => write!(f, "{c} logoff {flags}"),
            Action::Submit(c, m) => write!(f, "{c} submit {m}"),
            Action::Arrive(t, m) => write!(f, "{t} arrive {m}"),
            Action::Send(m, t) => write!(f, "spooler send {m} {t}"),
            Action::Sent(t, m) => write!(f, "{t} sent {m}"),
            Action::SendFailed(t, m) => write!(f, "{t} send-failed {m}"),
            Action::Receive(m, t) => write!(f, "spooler receive {m} {t}"),
            Action::Received(t, m) => write!(f, "{t} received {m}"),
            Action::Flush(t, flags) => write!(f, "spooler flush {t} {flags}"),
            Action::Flushed(t) => write!(f, "{t} flushed"),
            Action::TransportLogoff(t) => write!(f, "spooler logoff {t}"),
            Action::LogoffReturns(t, outcome) => write!(f, "{t} logoff-returns {}", outcome.name()),
            Action::OtherOpen => f.write_str("other open"),
            Action::OtherClose => f.write_str("other close"),
        }
    }
}

/// The shape of a run: SPEC.md section 6's `setup` line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Setup {
    /// Clients, each holding one reference at the start: 1 to `CLIENTS_MAX`.
    pub clients: u8,
    /// Transports, each logged on at the start: 0 to `TRANSPORTS_MAX`.
    pub transports: u8,
    /// Whether the store holds the default Inbox.
    pub inbox: bool,
    /// Other processes holding the store open at the start: 0 to `OTHER_PROCESSES_MAX`.
    pub other: u8,
}

impl Default for Setup {
    fn default() -> Self {
        Setup { clients: 1, transports: 1, inbox: true, other: 0 }
    }
}

/// A setup outside the model's bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetupError {
    Clients(u8),
    Transports(u8),
    Other(u8),
}

impl fmt::Display for SetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetupError::Clients(n) => write!(f, "clients={n} is out of range; expected 1 to {CLIENTS_MAX}"),
            SetupError::Transports(n) => write!(f, "transports={n} is out of range; expected 0 to {TRANSPORTS_MAX}"),
            SetupError::Other(n) => write!(f, "other={n} is out of range; expected 0 to {OTHER_PROCESSES_MAX}"),
        }
    }
}

impl std::error::Error for SetupError {}

impl Setup {
    pub fn validate(&self) -> Result<(), SetupError> {
        if self.clients == 0 || usize::from(self.clients) > CLIENTS_MAX {
            return Err(SetupError::Clients(self.clients));
        }
        if usize::from(self.transports) > TRANSPORTS_MAX {
            return Err(SetupError::Transports(self.transports));
        }
        if self.other > OTHER_PROCESSES_MAX {
            return Err(SetupError::Other(self.other));
        }
        Ok(())
    }
}

/// The StoreLogoff flag values that `enabled()` offers: the five modes, then a fixed set of invalid values
/// (no mode, two modes, an undefined bit above the low 16, and an output-only bit, which is invalid only under
/// `input=strict`).
pub const CANONICAL_LOGOFF_FLAGS: [LogoffFlags; 9] = [
    LogoffFlags::NO_WAIT,
    LogoffFlags::ORDERLY,
    LogoffFlags::PURGE,
    LogoffFlags::ABORT,
    LogoffFlags::QUIET,
    LogoffFlags::empty(),
    LogoffFlags::NO_WAIT.union(LogoffFlags::ABORT),
    LogoffFlags::ORDERLY.union(LogoffFlags::from_bits_retain(0x0010_0000)),
    LogoffFlags::QUIET.union(LogoffFlags::COMPLETE),
];

/// The FlushQueues flag sets that `enabled()` offers: the two that PURGE uses (A5).
pub const CANONICAL_FLUSH_FLAGS: [FlushFlags; 2] = [FlushFlags::UPLOAD, FlushFlags::UPLOAD.union(FlushFlags::DOWNLOAD)];
