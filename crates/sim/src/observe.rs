//! What a run has shown so far, beyond the model's current state: the record that scenario expectations, the
//! invariant checker and trace rendering read.
//!
//! The model holds only the present. Some things a script expects are about the past: which modes
//! StoreLogoffTransports was called with, what it last returned, what a client's last StoreLogoff returned, and
//! which calls the spooler and the provider made concerning each transport. [`Observed`] keeps exactly those,
//! built by feeding it every applied step with its effects, in order ([`Observed::record`]).

use logoff_core::{
    Action, CallResult, ClientCall, ClientId, Effect, Effects, HResult, LogoffFlags, Mode, TransportCall, TransportId,
    CLIENTS_MAX, TRANSPORTS_MAX,
};

/// What a client's most recent StoreLogoff or submit has done so far (`expect cN returned`). AddRef and Release
/// return reference counts, not HRESULTs, and leave this unchanged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ClientReturn {
    /// The client has made no StoreLogoff and no submit.
    #[default]
    NoCall,
    /// The client's StoreLogoff is in progress: it waits for StoreLogoffTransports (A1 `eager`).
    Pending,
    /// The call returned this HRESULT and wrote back these flags (zero for a submit and for every failure).
    Returned(HResult, LogoffFlags),
}

/// The record of a run: fed each applied step in order, it answers the questions about the past that the model's
/// present state cannot.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Observed {
    /// The input mode of every StoreLogoffTransports call so far, in order.
    transports_calls: Vec<Mode>,
    /// The output flags of the most recent StoreLogoffTransports return, if any call has returned.
    transports_returned: Option<LogoffFlags>,
    /// For each client, its most recent StoreLogoff or submit.
    client_returns: [ClientReturn; CLIENTS_MAX],
    /// For each transport, the calls concerning it, in order.
    transport_logs: [Vec<TransportCall>; TRANSPORTS_MAX],
}

impl Observed {
    /// The record of a run in which no step has been taken yet.
    pub fn new() -> Observed {
        Observed::default()
    }

    /// Records one applied step and its effects, in the order they were applied. A step that was not enabled
    /// changed nothing and must not be recorded. Ids beyond the model's maxima cannot come out of the model; if
    /// they are fed anyway they are ignored rather than panicking.
    pub fn record(&mut self, action: Action, effects: &Effects) {
        // A StoreLogoff is in progress until its return appears among the effects, possibly of this very step.
        if let Action::Logoff(client, _) = action {
            self.set_client_return(client, ClientReturn::Pending);
        }
        for effect in effects {
            match *effect {
                Effect::TransportsCalled { mode, .. } => self.transports_calls.push(mode),
                Effect::TransportsReturned { flags, .. } => self.transports_returned = Some(flags),
                Effect::Transport { transport, call } => {
                    if let Some(log) = self.transport_logs.get_mut(transport.index()) {
                        log.push(call);
                    }
                }
                Effect::Returned {
                    client,
                    call: ClientCall::StoreLogoff | ClientCall::Submit,
                    result: CallResult::Status(hresult, flags),
                } => self.set_client_return(client, ClientReturn::Returned(hresult, flags)),
                _ => {}
            }
        }
    }

    fn set_client_return(&mut self, client: ClientId, value: ClientReturn) {
        if let Some(slot) = self.client_returns.get_mut(client.index()) {
            *slot = value;
        }
    }

    /// The input modes of every StoreLogoffTransports call so far, in order (`expect transports-calls`).
    pub fn transports_calls(&self) -> &[Mode] {
        &self.transports_calls
    }

    /// The output flags of the most recent StoreLogoffTransports return, or `None` if no call has returned
    /// (`expect transports-returned`). Whether a call is in progress now is the model's to say
    /// (`Model::store_phase`).
    pub fn transports_returned(&self) -> Option<LogoffFlags> {
        self.transports_returned
    }

    /// The client's most recent StoreLogoff or submit (`expect cN returned`); `NoCall` for an undeclared client.
    pub fn client_return(&self, client: ClientId) -> ClientReturn {
        self.client_returns.get(client.index()).copied().unwrap_or_default()
    }

    /// The calls that the spooler and the provider made concerning the transport, in order (`expect tJ log`);
    /// empty for an undeclared transport.
    pub fn transport_log(&self, transport: TransportId) -> &[TransportCall] {
        self.transport_logs.get(transport.index()).map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use logoff_core::{LogoffOutcome, MessageId, Model, Profile, Setup, TransportLogoffFlags};

    /// A model and its record, stepped together as the script runner does.
    struct Run {
        model: Model,
        observed: Observed,
    }

    impl Run {
        fn new(profile: Profile) -> Run {
            let model = Model::new(profile, Setup::default()).expect("the default setup is valid");
            Run { model, observed: Observed::new() }
        }

        fn step(&mut self, action: Action) -> &Observed {
            let effects = self.model.apply(action).expect("the test's steps are enabled");
            self.observed.record(action, &effects);
            &self.observed
        }
    }

    const C0: ClientId = ClientId(0);
    const T0: TransportId = TransportId(0);
    const M0: MessageId = MessageId(0);

    /// Shows that an eager StoreLogoff is pending until the blocking call returns, and that its return and the
    /// StoreLogoffTransports call and return are recorded.
    #[test]
    fn eager_logoff_is_pending_until_it_returns() {
        let mut profile = Profile::default();
        profile.set("call_site", "eager").unwrap();
        let mut run = Run::new(profile);
        let observed = run.step(Action::Submit(C0, M0));
        assert_eq!(observed.client_return(C0), ClientReturn::Returned(HResult::S_OK, LogoffFlags::empty()));
        run.step(Action::Send(M0, T0));
        let observed = run.step(Action::Logoff(C0, LogoffFlags::NO_WAIT));
        assert_eq!(observed.client_return(C0), ClientReturn::Pending);
        assert_eq!(observed.transports_calls(), &[Mode::NoWait]);
        assert_eq!(observed.transports_returned(), None);
        let observed = run.step(Action::Sent(T0, M0));
        assert_eq!(observed.client_return(C0), ClientReturn::Returned(HResult::S_OK, LogoffFlags::COMPLETE));
        assert_eq!(observed.transports_returned(), Some(LogoffFlags::COMPLETE));
    }

    /// Shows that AddRef and Release returns do not count as the client's last call, and that transport calls
    /// are logged per transport in order.
    #[test]
    fn counts_do_not_count_and_transport_calls_are_logged() {
        let mut run = Run::new(Profile::default());
        run.step(Action::Logoff(C0, LogoffFlags::empty()));
        run.step(Action::AddRef(C0));
        run.step(Action::Release(C0));
        run.step(Action::TransportLogoff(T0));
        let observed = run.step(Action::LogoffReturns(T0, LogoffOutcome::Ok));
        let invalid = ClientReturn::Returned(HResult::INVALID_PARAMETER, LogoffFlags::empty());
        assert_eq!(observed.client_return(C0), invalid);
        assert_eq!(observed.client_return(ClientId(1)), ClientReturn::NoCall);
        let log = [
            TransportCall::DiscardAddressTypes,
            TransportCall::Logoff(TransportLogoffFlags::empty()),
            TransportCall::MakeInvalid,
            TransportCall::ReleaseSupport,
        ];
        assert_eq!(observed.transport_log(T0), &log);
        assert!(observed.transport_log(TransportId(200)).is_empty());
        assert!(observed.transports_calls().is_empty());
    }
}
