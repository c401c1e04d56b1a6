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
use crate::reference::*;
use crate::role::*;
use crate::state::*;
use crate::world::World;

/// Who decides each role's part of a step: the model's own roles ([`Reference`]) or any mix with roles from outside
/// ([`Roles`]). Monomorphised, so that `apply` pays nothing for the choice.
trait Players {
    fn call(&mut self, model: &mut Model, client: ClientId, call: StoreCall) -> StoreAnswer {
        model.reference_store().call(client, call)
    }
    fn returned(
        &mut self,
        model: &mut Model,
        caller: Caller,
        flags: LogoffFlags,
        _other_process: bool,
    ) -> AfterTransports {
        model.reference_store().returned(caller, flags)
    }
    fn spooler_plan(&mut self, world: &World, mode: Mode) -> SpoolerPlan {
        ReferenceSpooler.store_logoff_transports(world, mode)
    }
    fn may_return(&mut self, world: &World, mode: Mode, flushes_awaited: u8) -> Option<LogoffFlags> {
        ReferenceSpooler.may_return(world, mode, flushes_awaited)
    }
    fn transport_logoff_call(&mut self, world: &World, t: TransportId) -> TransportLogoffCall {
        ReferenceSpooler.transport_logoff(world, t)
    }
    fn transport_logoff(&mut self, world: &World, t: TransportId) -> TransportLogoffEffects {
        ReferenceTransport.logoff(world, t)
    }
    fn logoff_returned(&mut self, world: &World, t: TransportId, outcome: LogoffOutcome) -> &'static [TransportCall] {
        ReferenceTransport.logoff_returned(world, t, outcome)
    }
}

/// The model's own roles: the reference implementation of each, with its mutants.
struct Reference;

impl Players for Reference {}

impl Players for Roles<'_> {
    fn call(&mut self, model: &mut Model, client: ClientId, call: StoreCall) -> StoreAnswer {
        match &mut self.store {
            Some(store) => store.call(client, call),
            None => model.reference_store().call(client, call),
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
            None => model.reference_store().returned(caller, flags),
        }
    }

    fn spooler_plan(&mut self, world: &World, mode: Mode) -> SpoolerPlan {
        match &mut self.spooler {
            Some(spooler) => spooler.store_logoff_transports(world, mode),
            None => ReferenceSpooler.store_logoff_transports(world, mode),
        }
    }

    fn may_return(&mut self, world: &World, mode: Mode, flushes_awaited: u8) -> Option<LogoffFlags> {
        match &mut self.spooler {
            Some(spooler) => spooler.may_return(world, mode, flushes_awaited),
            None => ReferenceSpooler.may_return(world, mode, flushes_awaited),
        }
    }

    fn transport_logoff_call(&mut self, world: &World, t: TransportId) -> TransportLogoffCall {
        match &mut self.spooler {
            Some(spooler) => spooler.transport_logoff(world, t),
            None => ReferenceSpooler.transport_logoff(world, t),
        }
    }

    fn transport_logoff(&mut self, world: &World, t: TransportId) -> TransportLogoffEffects {
        match &mut self.transport {
            Some(transport) => transport.logoff(world, t),
            None => ReferenceTransport.logoff(world, t),
        }
    }

    fn logoff_returned(&mut self, world: &World, t: TransportId, outcome: LogoffOutcome) -> &'static [TransportCall] {
        match &mut self.transport {
            Some(transport) => transport.logoff_returned(world, t, outcome),
            None => ReferenceTransport.logoff_returned(world, t, outcome),
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

/// The whole system: small, `Copy`, and bounded by the maxima of `action`. The world the spooler and the
/// transports read, the clients, and the store object as its provider keeps it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Model {
    world: World,
    clients: [ClientState; CLIENTS_MAX],
    store: StoreState,
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
            world: World {
                profile,
                setup,
                transports,
                messages: Messages::UNUSED,
                spooler: SpoolerState::Serving,
                habits: SpoolerHabits::default(),
                other: setup.other,
                mutant: Mutant::None,
            },
            clients,
            store: StoreState::Open { saved: None, called: false },
        })
    }

    /// The same model making the mistake `mutant` from now on (its own spooler's habits with it).
    pub fn with_mutant(mut self, mutant: Mutant) -> Model {
        self.world.mutant = mutant;
        self.world.habits = ReferenceSpooler::habits(mutant);
        self
    }

    /// Starts a run with the roles that `roles` names: a spooler from outside decides its habits
    /// ([`SpoolerRole::habits`]), which the guards read from now on. Call it once, before the first step.
    pub fn start_with_roles(&mut self, roles: &mut Roles) {
        if let Some(spooler) = &mut roles.spooler {
            self.world.habits = spooler.habits(&self.world);
        }
    }

    pub fn mutant(&self) -> Mutant {
        self.world.mutant
    }

    // ----- getters -----

    /// What the spooler and the transports see.
    pub fn world(&self) -> &World {
        &self.world
    }

    pub fn profile(&self) -> &Profile {
        &self.world.profile
    }

    pub fn setup(&self) -> &Setup {
        &self.world.setup
    }

    pub fn client(&self, c: ClientId) -> Option<&ClientState> {
        self.clients[..usize::from(self.world.setup.clients)].get(c.index())
    }

    pub fn transport(&self, t: TransportId) -> Option<&TransportState> {
        self.world.transport(t)
    }

    pub fn message(&self, m: MessageId) -> Option<MessageState> {
        self.world.message(m)
    }

    pub fn messages(&self) -> &Messages {
        &self.world.messages
    }

    pub fn store(&self) -> &StoreState {
        &self.store
    }

    pub fn spooler(&self) -> &SpoolerState {
        &self.world.spooler
    }

    pub fn other_processes(&self) -> u8 {
        self.world.other
    }

    /// The total reference count of the store object.
    pub fn references(&self) -> u32 {
        references(&self.clients)
    }

    /// Whether a client other than `client` holds a reference to the store object (A10).
    pub fn shared_with_others(&self, client: ClientId) -> bool {
        shared_with_others(&self.clients, client)
    }

    pub fn store_phase(&self) -> StorePhase {
        match (self.store, self.world.spooler) {
            (StoreState::Open { .. }, SpoolerState::LoggingOff { .. }) => StorePhase::LoggingOff,
            (StoreState::Open { .. }, _) => StorePhase::Open,
            (StoreState::Invalid, _) => StorePhase::Invalid,
            (StoreState::Destroyed, _) => StorePhase::Destroyed,
        }
    }

    /// The activity flags that StoreLogoffTransports would report now (R8, R9): INBOUND, OUTBOUND, OUTBOUND_QUEUE.
    pub fn activity(&self) -> LogoffFlags {
        self.world.activity()
    }

    /// Whether the spooler would start receiving into the store (the guard "reception enabled").
    pub fn reception_enabled(&self) -> bool {
        self.world.reception_enabled()
    }

    /// Whether the spooler may start a send from the store's queue (the guard "sending allowed").
    pub fn sending_allowed(&self) -> bool {
        self.world.sending_allowed()
    }

    /// The model's own store provider, for one call.
    fn reference_store(&mut self) -> ReferenceStore<'_> {
        ReferenceStore { state: &mut self.store, clients: &self.clients, world: &self.world }
    }

    /// The parts of the state that change during a run, packed into six words: an injective encoding for a given
    /// profile, setup and mutant (which it leaves out, as they never change), so that an exhaustive exploration can
    /// fingerprint a state in a few operations instead of hashing every field.
    pub fn packed(&self) -> [u64; 6] {
        let [m0, m1, m2, m3] = self.world.messages.words();
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
        let first = clients | store << 40 | u64::from(self.world.other) << 48;
        let message = |m: Option<MessageId>| m.map_or(0, |m| 1 + u64::from(m.0));
        let mut second = 0u64;
        for (i, transport) in self.world.transports.iter().enumerate() {
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
        let spooler = match self.world.spooler {
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
            renamed.world.transports[usize::from(*new)] = match self.world.transports[old] {
                TransportState::LoggedOn { sending, receiving, flushing } => TransportState::LoggedOn {
                    sending: sending.map(|m| renaming.message(m)),
                    receiving: receiving.map(|m| renaming.message(m)),
                    flushing,
                },
                other => other,
            };
        }
        renamed.world.messages = self.world.messages.renamed(renaming);
        if let SpoolerState::LoggingOff { caller, flushes_awaited, .. } = &mut renamed.world.spooler {
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
        self.store == StoreState::Destroyed && self.world.spooler != SpoolerState::Released
    }

    // ----- what may happen next -----

    /// Lists every enabled action, with the canonical parameters of SPEC.md section 5, in a fixed order: client
    /// actions by client, then transport actions by transport, then the spooler's, then the other processes'.
    /// `out` is cleared first; reuse it between calls and nothing is allocated once it has grown.
    ///
    /// The list is generated from the state, each guard of `check` evaluated once for all the actions it guards;
    /// in builds with debug assertions (the tests') it is compared with the canonical actions filtered by `check`.
    pub fn enabled(&self, out: &mut Vec<Action>) {
        out.clear();
        let world = &self.world;
        let first_unused = world.messages.iter().position(|m| m == MessageState::Unused).map(|i| MessageId(i as u8));
        for c in ClientId::all(usize::from(world.setup.clients)) {
            let client = &self.clients[c.index()];
            if client.blocked.is_some() || client.references == 0 {
                continue;
            }
            if client.references < REFERENCES_PER_CLIENT_MAX {
                out.push(Action::AddRef(c));
            }
            out.push(Action::Release(c));
            out.extend(CANONICAL_LOGOFF_FLAGS.map(|flags| Action::Logoff(c, flags)));
            if let Some(m) = first_unused {
                out.push(Action::Submit(c, m));
            }
        }
        let flush_allowed = world.spooler != SpoolerState::Released || world.habits.delivers_after_release;
        for (i, transport) in world.transports_declared().iter().enumerate() {
            let t = TransportId(i as u8);
            match *transport {
                TransportState::LoggedOn { sending, receiving, flushing } => {
                    if let Some(m) = first_unused {
                        out.push(Action::Arrive(t, m));
                    }
                    if let Some(m) = sending {
                        out.extend([Action::Sent(t, m), Action::SendFailed(t, m)]);
                    }
                    if let Some(m) = receiving {
                        out.push(Action::Received(t, m));
                    }
                    if !flushing && flush_allowed {
                        out.extend(CANONICAL_FLUSH_FLAGS.map(|flags| Action::Flush(t, flags)));
                    }
                    if flushing {
                        out.push(Action::Flushed(t));
                    }
                    out.push(Action::TransportLogoff(t));
                }
                TransportState::LoggingOff => {
                    out.extend([
                        Action::LogoffReturns(t, LogoffOutcome::Ok),
                        Action::LogoffReturns(t, LogoffOutcome::Error),
                    ]);
                }
                TransportState::LoggedOff => {}
            }
        }
        let sending_allowed = world.sending_allowed();
        let receiving_allowed = (world.setup.inbox || world.habits.receives_without_inbox) && world.reception_enabled();
        let idle = |t: TransportId, receive: bool| match world.transports_declared().get(t.index()) {
            Some(TransportState::LoggedOn { sending, receiving, .. }) => {
                if receive {
                    receiving.is_none()
                } else {
                    sending.is_none()
                }
            }
            _ => false,
        };
        for (i, message) in world.messages.iter().enumerate() {
            let m = MessageId(i as u8);
            match message {
                MessageState::Queued if sending_allowed => {
                    for t in TransportId::all(usize::from(world.setup.transports)) {
                        if idle(t, false) {
                            out.push(Action::Send(m, t));
                        }
                    }
                }
                MessageState::Available(t) if receiving_allowed && idle(t, true) => out.push(Action::Receive(m, t)),
                _ => {}
            }
        }
        if world.other < OTHER_PROCESSES_MAX {
            out.push(Action::OtherOpen);
        }
        if world.other > 0 {
            out.push(Action::OtherClose);
        }
        debug_assert_eq!(*out, self.enabled_by_check(), "enabled() lists the actions check() accepts");
    }

    /// The canonical actions filtered by `check`, in `enabled`'s order: what `enabled` must list.
    fn enabled_by_check(&self) -> Vec<Action> {
        let mut out = Vec::new();
        let mut offer = |action: Action| {
            if self.check(action).is_ok() {
                out.push(action);
            }
        };
        let first_unused =
            self.world.messages.iter().position(|m| m == MessageState::Unused).map(|i| MessageId(i as u8));
        for c in ClientId::all(usize::from(self.world.setup.clients)) {
            offer(Action::AddRef(c));
            offer(Action::Release(c));
            for flags in CANONICAL_LOGOFF_FLAGS {
                offer(Action::Logoff(c, flags));
            }
            if let Some(m) = first_unused {
                offer(Action::Submit(c, m));
            }
        }
        for (i, transport) in self.world.transports_declared().iter().enumerate() {
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
        for (i, message) in self.world.messages.iter().enumerate() {
            let m = MessageId(i as u8);
            match message {
                MessageState::Queued => {
                    for t in TransportId::all(usize::from(self.world.setup.transports)) {
                        offer(Action::Send(m, t));
                    }
                }
                MessageState::Available(t) => offer(Action::Receive(m, t)),
                _ => {}
            }
        }
        offer(Action::OtherOpen);
        offer(Action::OtherClose);
        out
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
                if !self.world.setup.inbox && !self.world.habits.receives_without_inbox {
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
                if self.world.spooler == SpoolerState::Released && !self.world.habits.delivers_after_release {
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
            Action::OtherOpen if self.world.other >= OTHER_PROCESSES_MAX => Err(NotEnabled::OtherProcessesAtMaximum),
            Action::OtherOpen => Ok(()),
            Action::OtherClose if self.world.other == 0 => Err(NotEnabled::NoOtherProcess),
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
    #[inline(always)]
    pub fn apply(&mut self, action: Action) -> Result<Effects, NotEnabled> {
        self.apply_via(action, &mut Reference)
    }

    /// [`apply`](Model::apply) with the roles that `roles` names played from outside the model (the others are the
    /// model's own): every decision of a role goes to it, and the model carries out its answers.
    pub fn apply_with_roles(&mut self, action: Action, roles: &mut Roles) -> Result<Effects, NotEnabled> {
        self.apply_via(action, roles)
    }

    /// [`apply`](Model::apply) of an action that [`enabled`](Model::enabled) listed for this state, without asking
    /// [`check`](Model::check) again (the exhaustive explorer takes only those: 2.4% of its instructions). Debug builds,
    /// the tests' among them, check it all the same and panic on an action that is not enabled.
    /// The effects are written to `effects`, emptied first (a buffer the caller keeps from step to step).
    #[inline(always)]
    pub fn apply_enabled(&mut self, action: Action, effects: &mut Effects) {
        debug_assert_eq!(self.check(action), Ok(()), "{action} is not enabled");
        effects.clear();
        self.perform(action, effects, &mut Reference);
        self.settle(effects, &mut Reference);
    }

    // Inlined into each caller (`perform` and `settle` stay apart): 2.4% fewer instructions in the explorer.
    #[inline(always)]
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
                    self.world.messages.set(m, MessageState::Queued);
                }
                self.carry_out(c, ClientCall::Submit, answer, effects, players);
            }
            Action::Arrive(t, m) => self.world.messages.set(m, MessageState::Available(t)),
            Action::Send(m, t) => {
                self.world.messages.set(m, MessageState::Sending(t));
                self.set_sending(t, Some(m));
            }
            Action::Sent(t, m) => {
                self.world.messages.set(m, MessageState::Sent);
                self.set_sending(t, None);
            }
            Action::SendFailed(t, m) => {
                self.world.messages.set(m, MessageState::Queued);
                self.set_sending(t, None);
            }
            Action::Receive(m, t) => {
                self.world.messages.set(m, MessageState::Receiving(t));
                self.set_receiving(t, Some(m));
            }
            Action::Received(t, m) => {
                self.world.messages.set(m, MessageState::Delivered);
                self.set_receiving(t, None);
            }
            Action::Flush(t, flags) => self.start_flush(t, flags, effects),
            Action::Flushed(t) => self.end_flush(t),
            Action::TransportLogoff(t) => self.transport_logoff(t, effects, players),
            Action::LogoffReturns(t, outcome) => {
                self.world.transports[t.index()] = TransportState::LoggedOff;
                for call in players.logoff_returned(&self.world, t, outcome) {
                    effects.push(Effect::Transport { transport: t, call: *call });
                }
            }
            Action::OtherOpen => self.world.other += 1,
            Action::OtherClose => self.world.other -= 1,
        }
    }

    fn set_sending(&mut self, t: TransportId, message: Option<MessageId>) {
        if let TransportState::LoggedOn { sending, .. } = &mut self.world.transports[t.index()] {
            *sending = message;
        }
    }

    fn set_receiving(&mut self, t: TransportId, message: Option<MessageId>) {
        if let TransportState::LoggedOn { receiving, .. } = &mut self.world.transports[t.index()] {
            *receiving = message;
        }
    }

    fn start_flush(&mut self, t: TransportId, flags: FlushFlags, effects: &mut Effects) {
        if let TransportState::LoggedOn { flushing, .. } = &mut self.world.transports[t.index()] {
            *flushing = true;
        }
        effects.push(Effect::Transport { transport: t, call: TransportCall::Flush(flags) });
    }

    fn end_flush(&mut self, t: TransportId) {
        if let TransportState::LoggedOn { flushing, .. } = &mut self.world.transports[t.index()] {
            *flushing = false;
        }
        if let SpoolerState::LoggingOff { flushes_awaited, .. } = &mut self.world.spooler {
            *flushes_awaited &= !(1 << t.0);
        }
    }

    /// IXPLogon::TransportLogoff (R15-R17): address types are discarded first; a send in progress goes back to the
    /// queue, a receive back to `available`, a flush is abandoned and no PURGE waits for it any more.
    fn transport_logoff(&mut self, t: TransportId, effects: &mut Effects, players: &mut impl Players) {
        let call = players.transport_logoff_call(&self.world, t);
        if call.discard_address_types {
            effects.push(Effect::Transport { transport: t, call: TransportCall::DiscardAddressTypes });
        }
        effects.push(Effect::Transport { transport: t, call: TransportCall::Logoff(call.flags) });
        let done = players.transport_logoff(&self.world, t);
        if let TransportState::LoggedOn { sending, receiving, flushing } = self.world.transports[t.index()] {
            if let Some(m) = sending {
                match done.send {
                    SendFate::TakenAsSent => self.world.messages.set(m, MessageState::Sent),
                    SendFate::Requeued => {
                        self.world.messages.set(m, MessageState::Queued);
                        effects.push(Effect::SendStopped { transport: t, message: m });
                    }
                }
            }
            if let Some(m) = receiving {
                if done.stop_receive {
                    self.world.messages.set(m, MessageState::Available(t));
                    effects.push(Effect::ReceiveStopped { transport: t, message: m });
                }
            }
            if flushing {
                effects.push(Effect::FlushAbandoned { transport: t });
            }
        }
        if let SpoolerState::LoggingOff { flushes_awaited, .. } = &mut self.world.spooler {
            if call.forget_awaited_flush {
                *flushes_awaited &= !(1 << t.0);
            }
        }
        self.world.transports[t.index()] = TransportState::LoggingOff;
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

    /// IMAPISupport::StoreLogoffTransports, made by the provider with the client call `caller` blocked in it.
    fn call_transports(&mut self, mode: Mode, caller: Caller, effects: &mut Effects, players: &mut impl Players) {
        effects.push(Effect::TransportsCalled { mode, caller });
        if let StoreState::Open { saved, .. } = self.store {
            self.store = StoreState::Open { saved, called: true };
        }
        let plan = players.spooler_plan(&self.world, mode);
        if plan.stop_activity {
            self.stop_activity(effects);
        }
        // A blocking call disables reception as it starts (R10, R11, R12).
        if matches!(plan.outcome, SpoolerOutcome::Block { .. }) && self.reception_enabled() {
            effects.push(Effect::ReceptionDisabled);
        }
        let mut flushes_awaited = 0u8;
        for t in TransportId::all(usize::from(self.world.setup.transports)) {
            match (plan.flush, self.world.transports[t.index()]) {
                (Some(flags), TransportState::LoggedOn { flushing: false, .. }) => self.start_flush(t, flags, effects),
                (Some(_), TransportState::LoggedOn { .. }) => {}
                (Some(flags), _) if plan.flush_logged_off => {
                    effects.push(Effect::Transport { transport: t, call: TransportCall::Flush(flags) });
                }
                _ => {}
            }
            if matches!(self.world.transports[t.index()], TransportState::LoggedOn { .. }) {
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
                    ReturnFlags::CompleteAndActivity => LogoffFlags::COMPLETE | self.world.activity(),
                };
                self.transports_return(flags, other_process, caller, effects, players);
                if stop_serving {
                    self.world.spooler = SpoolerState::Released;
                }
            }
            SpoolerOutcome::Block { await_flushes, sends, receives } => {
                let flushes_awaited = if await_flushes { flushes_awaited } else { 0 };
                self.world.spooler = SpoolerState::LoggingOff { mode, caller, flushes_awaited, sends, receives };
            }
        }
    }

    /// A3 `stop`: sends in progress go back to the queue, receives back to their transports.
    fn stop_activity(&mut self, effects: &mut Effects) {
        for t in TransportId::all(usize::from(self.world.setup.transports)) {
            if let TransportState::LoggedOn { sending, receiving, flushing } = self.world.transports[t.index()] {
                if let Some(m) = sending {
                    self.world.messages.set(m, MessageState::Queued);
                    effects.push(Effect::SendStopped { transport: t, message: m });
                }
                if let Some(m) = receiving {
                    self.world.messages.set(m, MessageState::Available(t));
                    effects.push(Effect::ReceiveStopped { transport: t, message: m });
                }
                self.world.transports[t.index()] =
                    TransportState::LoggedOn { sending: None, receiving: None, flushing };
            }
        }
    }

    fn release_store(&mut self, effects: &mut Effects) {
        if self.reception_enabled() {
            effects.push(Effect::ReceptionDisabled);
        }
        self.world.spooler = SpoolerState::Released;
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
        let SpoolerState::LoggingOff { mode, caller, flushes_awaited, .. } = self.world.spooler else {
            return;
        };
        if let Some(flags) = players.may_return(&self.world, mode, flushes_awaited) {
            // Reception was disabled when the call started.
            self.world.spooler = SpoolerState::Released;
            effects.push(Effect::StoreReleased);
            self.transports_return(flags, false, caller, effects, players);
        }
    }
}
