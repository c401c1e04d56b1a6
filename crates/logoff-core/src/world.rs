//! What a spooler and a transport may see of the world: the profile and setup, the transports, the messages, the
//! spooler's relation to the store and the other processes. A [`World`] is part of the model's state (a borrow,
//! never a copy per step); the roles read it and change it only through their answers. Serialised (serde), it is
//! the `world` of the conformance protocol (docs/CONFORM.md): other processes, the Inbox, reception, the activity
//! flags and each transport with its work in progress.

use serde::ser::{Serialize, SerializeStruct, Serializer};

use crate::action::*;
use crate::flags::LogoffFlags;
use crate::mutant::Mutant;
use crate::profile::Profile;
use crate::state::*;

/// The world a role reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct World {
    pub(crate) profile: Profile,
    pub(crate) setup: Setup,
    pub(crate) transports: [TransportState; TRANSPORTS_MAX],
    pub(crate) messages: Messages,
    pub(crate) spooler: SpoolerState,
    /// The spooler's mistakes in serving the store, which the guards read (decided at the start of a run).
    pub(crate) habits: SpoolerHabits,
    pub(crate) other: u8,
    /// The mistake the model's own roles make, if any (`Mutant::None`: the reference model).
    pub(crate) mutant: Mutant,
}

impl World {
    #[inline]
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    #[inline]
    pub fn setup(&self) -> &Setup {
        &self.setup
    }

    #[inline]
    pub fn transport(&self, t: TransportId) -> Option<&TransportState> {
        self.transports_declared().get(t.index())
    }

    /// The declared transports, `t0` first.
    #[inline]
    pub fn transports_declared(&self) -> &[TransportState] {
        &self.transports[..usize::from(self.setup.transports)]
    }

    #[inline]
    pub fn any_transport_logged_on(&self) -> bool {
        self.transports_declared().iter().any(|t| matches!(t, TransportState::LoggedOn { .. }))
    }

    #[inline]
    pub fn message(&self, m: MessageId) -> Option<MessageState> {
        self.messages.get(m)
    }

    #[inline]
    pub fn messages(&self) -> &Messages {
        &self.messages
    }

    #[inline]
    pub fn spooler(&self) -> &SpoolerState {
        &self.spooler
    }

    /// The spooler's mistakes in serving the store (none for a correct spooler).
    #[inline]
    pub fn habits(&self) -> SpoolerHabits {
        self.habits
    }

    #[inline]
    pub fn other_processes(&self) -> u8 {
        self.other
    }

    /// The mistake the model's own roles make (`Mutant::None`: none); a role from outside makes its own.
    #[inline]
    pub fn mutant(&self) -> Mutant {
        self.mutant
    }

    /// The activity flags of R13, read from the messages: INBOUND, OUTBOUND and OUTBOUND_QUEUE.
    #[inline]
    pub fn activity(&self) -> LogoffFlags {
        let mut flags = LogoffFlags::empty();
        for message in self.messages.iter() {
            match message {
                MessageState::Receiving(_) => flags |= LogoffFlags::INBOUND,
                MessageState::Sending(_) => flags |= LogoffFlags::OUTBOUND,
                MessageState::Queued => flags |= LogoffFlags::OUTBOUND_QUEUE,
                _ => {}
            }
        }
        flags
    }

    /// Whether the spooler would start receiving into the store (the guard "reception enabled").
    #[inline]
    pub fn reception_enabled(&self) -> bool {
        let serving = match self.spooler {
            SpoolerState::Serving => true,
            SpoolerState::LoggingOff { receives, .. } => receives,
            SpoolerState::Released => self.habits.delivers_after_release,
        };
        (self.setup.inbox || self.habits.receives_without_inbox) && serving
    }

    /// Whether the spooler may start a send from the store's queue (the guard "sending allowed").
    #[inline]
    pub fn sending_allowed(&self) -> bool {
        match self.spooler {
            SpoolerState::Serving => true,
            SpoolerState::LoggingOff { sends, .. } => sends,
            SpoolerState::Released => false,
        }
    }
}

/// The conformance protocol's `world`: `{"other","inbox","reception","activity","transports"}`.
impl Serialize for World {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut world = serializer.serialize_struct("World", 5)?;
        world.serialize_field("other", &self.other)?;
        world.serialize_field("inbox", &self.setup.inbox)?;
        world.serialize_field("reception", &self.reception_enabled())?;
        world.serialize_field("activity", &self.activity().bits())?;
        world.serialize_field("transports", &Transports(self.transports_declared()))?;
        world.end()
    }
}

/// The transports of the protocol's `world`, each `{"state","sending","receiving","flushing"}`.
struct Transports<'a>(&'a [TransportState]);

/// One transport of the protocol's `world`.
#[derive(serde::Serialize)]
struct Seen {
    state: &'static str,
    sending: Option<u8>,
    receiving: Option<u8>,
    flushing: bool,
}

impl Serialize for Transports<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|state| match *state {
            TransportState::LoggedOn { sending, receiving, flushing } => {
                Seen { state: state.name(), sending: sending.map(|m| m.0), receiving: receiving.map(|m| m.0), flushing }
            }
            _ => Seen { state: state.name(), sending: None, receiving: None, flushing: false },
        }))
    }
}
