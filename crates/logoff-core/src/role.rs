//! The actors as roles, each with its own interface: the calls it receives, the calls it makes and the values it
//! returns. [`StoreProvider`], [`SpoolerRole`] and [`TransportRole`]. [`Model::apply`] uses the model's own roles
//! (the reference implementations, with their mutants); [`Model::apply_with_roles`] asks the ones [`Roles`] names
//! instead, and the rest of the model plays around them.
//!
//! A store provider knows only what crosses its interface: the calls, and the return of its
//! StoreLogoffTransports call. A spooler and a transport read the world (`&World`) but change it only through
//! their answers.

use serde::{Deserialize, Serialize};

use crate::action::{ClientId, LogoffOutcome, MessageId, TransportId};
use crate::effect::{CallResult, TransportCall};
use crate::flags::{FlushFlags, LogoffFlags, Mode};
use crate::state::SpoolerHabits;
use crate::world::World;

/// A client's call on the store object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StoreCall {
    /// IUnknown::AddRef.
    AddRef,
    /// IUnknown::Release.
    Release,
    /// IMsgStore::StoreLogoff with these flags, valid or not.
    StoreLogoff(LogoffFlags),
    /// A new message submitted to the Outbox.
    Submit(MessageId),
}

/// What the store provider does with a client's call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StoreAnswer {
    /// The call returns now: AddRef and Release return the count (`CallResult::Count`), StoreLogoff and Submit an
    /// HRESULT and the flags written back (`CallResult::Status`).
    Return(CallResult),
    /// The provider calls IMAPISupport::StoreLogoffTransports in this mode, with the client's call (a Release or
    /// a StoreLogoff) blocked in it until it returns.
    CallTransports(Mode),
}

/// What the store provider does when its StoreLogoffTransports call returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AfterTransports {
    /// It invalidates the store object (R5: it must when the flags hold LOGOFF_COMPLETE).
    pub invalidate: bool,
    /// What the client's blocked call returns.
    pub result: CallResult,
}

/// The store provider role. An implementation keeps its own state (reference count, saved flags, whether it has
/// called StoreLogoffTransports); the simulator calls it exactly when the protocol sends it a call, and never
/// while one of its StoreLogoffTransports calls is in progress except for the calls of other clients.
pub trait StoreProvider {
    /// `client` calls the store object.
    fn call(&mut self, client: ClientId, call: StoreCall) -> StoreAnswer;
    /// The StoreLogoffTransports call made inside `client`'s call returned these flags (`other_process` when
    /// another process had the store open, R7; the flags alone say nothing of that to a real provider, but a
    /// log of a run does).
    fn transports_returned(&mut self, client: ClientId, flags: LogoffFlags, other_process: bool) -> AfterTransports;
}

impl<P: StoreProvider + ?Sized> StoreProvider for &mut P {
    fn call(&mut self, client: ClientId, call: StoreCall) -> StoreAnswer {
        (**self).call(client, call)
    }

    fn transports_returned(&mut self, client: ClientId, flags: LogoffFlags, other_process: bool) -> AfterTransports {
        (**self).transports_returned(client, flags, other_process)
    }
}

/// The flags a StoreLogoffTransports call returns with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ReturnFlags {
    /// These flags.
    Fixed(LogoffFlags),
    /// LOGOFF_COMPLETE and the activity left once the plan's other steps are done (R8, R9, R13).
    CompleteAndActivity,
}

/// How a StoreLogoffTransports call ends, once the spooler has done the rest of its plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SpoolerOutcome {
    /// It returns at once. `other_process`: the call was ignored because another process has the store open
    /// (R7); `stop_serving`: the spooler then does no more work for the store, without releasing it (a mistake).
    Return { flags: ReturnFlags, other_process: bool, stop_serving: bool },
    /// It blocks (NO_WAIT, ORDERLY, PURGE) until [`SpoolerRole::may_return`] says it may return, having disabled
    /// reception into the store as the call started (R10, R11, R12); with `await_flushes`, it waits for the
    /// flush of every transport logged on now (R12).
    /// `sends`: it goes on starting sends while it waits (A2: ORDERLY under `keep` starts none); `receives`: it
    /// goes on delivering into the store (a mistake: R10-R12 disable reception).
    Block { await_flushes: bool, sends: bool, receives: bool },
}

/// What the spooler does when the store provider calls IMAPISupport::StoreLogoffTransports, in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SpoolerPlan {
    /// It stops the sends and receives in progress (A3 `stop`): sends go back to the queue, receives back to
    /// their transports.
    pub stop_activity: bool,
    /// It calls FlushQueues with these flags on every logged-on transport that is not flushing (R12, A5).
    pub flush: Option<FlushFlags>,
    /// It also calls FlushQueues on transports that are logged off (a mistake).
    pub flush_logged_off: bool,
    /// It releases the store now (R14), disabling reception first.
    pub release_store: bool,
    pub outcome: SpoolerOutcome,
}

/// What the spooler does when it calls IXPLogon::TransportLogoff.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TransportLogoffCall {
    /// It discards the session's address types first (R15).
    pub discard_address_types: bool,
    /// The flags it passes (A6).
    pub flags: crate::flags::TransportLogoffFlags,
    /// A PURGE in progress stops waiting for this transport's flush (R21).
    pub forget_awaited_flush: bool,
}

/// The MAPI spooler's decisions about the store's logoff: the calls it receives (StoreLogoffTransports), the
/// calls it makes (FlushQueues, TransportLogoff, the store's Release) and what StoreLogoffTransports returns. It
/// reads the world (its queue, its transports, reception, other processes) through `world`, read-only; the model
/// carries out what it answers. [`ReferenceSpooler`](crate::ReferenceSpooler) is the model's own.
pub trait SpoolerRole {
    /// The spooler's mistakes in serving the store, which the guards read (receiving without an Inbox, delivering
    /// after the release): asked once, at the start of a run ([`Model::start_with_roles`](crate::Model)). By
    /// default those the world records already: the model's own spooler's, with its mutant.
    fn habits(&mut self, world: &World) -> SpoolerHabits {
        world.habits()
    }
    /// IMAPISupport::StoreLogoffTransports reaches the spooler in `mode`.
    fn store_logoff_transports(&mut self, world: &World, mode: Mode) -> SpoolerPlan;
    /// A blocking StoreLogoffTransports call is in progress in `mode`, `flushes_awaited` holding one bit for each
    /// transport whose flush it still waits for: may it return now, and with which flags? The spooler releases
    /// the store when it returns (R14).
    fn may_return(&mut self, world: &World, mode: Mode, flushes_awaited: u8) -> Option<LogoffFlags>;
    /// The spooler calls IXPLogon::TransportLogoff on `transport`.
    fn transport_logoff(&mut self, world: &World, transport: TransportId) -> TransportLogoffCall;
}

/// What happens to a send in progress when its transport logs off.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SendFate {
    /// It stops and the message goes back to the queue (R16).
    Requeued,
    /// The message is taken as sent (a mistake: it is lost).
    TakenAsSent,
}

/// What a transport does inside IXPLogon::TransportLogoff.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TransportLogoffEffects {
    pub send: SendFate,
    /// A receive in progress stops and its message is available again.
    pub stop_receive: bool,
}

/// A transport provider's decisions about its logoff: what TransportLogoff does to the work in progress, and the
/// calls it makes when TransportLogoff returns (R16, R17). [`ReferenceTransport`](crate::ReferenceTransport) is the model's own.
pub trait TransportRole {
    /// IXPLogon::TransportLogoff reaches `transport`.
    fn logoff(&mut self, world: &World, transport: TransportId) -> TransportLogoffEffects;
    /// TransportLogoff returns `outcome`: the calls the provider makes, in order (for `ok`: MakeInvalid on its
    /// logon object, then the release of its support object, R17).
    fn logoff_returned(
        &mut self,
        world: &World,
        transport: TransportId,
        outcome: LogoffOutcome,
    ) -> &'static [TransportCall];
}

/// Who plays each role in [`Model::apply_with_roles`]: `None` is the model's own.
#[derive(Default)]
pub struct Roles<'a> {
    pub store: Option<&'a mut dyn StoreProvider>,
    pub spooler: Option<&'a mut dyn SpoolerRole>,
    pub transport: Option<&'a mut dyn TransportRole>,
}
