//! The store provider as a role with its own interface: the calls it receives, the call it makes
//! (IMAPISupport::StoreLogoffTransports) and the values it returns. [`Model::apply`] uses the model's own store
//! provider (the reference implementation, with its mutants); [`Model::apply_with`] asks any [`StoreProvider`]
//! instead, and the rest of the model (clients, spooler, transports, messages, other processes) plays around it.
//!
//! The provider knows only what crosses its interface: the calls, and the return of its StoreLogoffTransports
//! call. It is told the profile and setup when it is created (by whoever creates it).

use serde::{Deserialize, Serialize};

use crate::action::{ClientId, MessageId};
use crate::effect::CallResult;
use crate::flags::{LogoffFlags, Mode};

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
