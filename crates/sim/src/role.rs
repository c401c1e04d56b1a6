//! Who plays the roles in a run: the model's own (the reference implementations, with the model's mutant), or a
//! store provider from outside the model ([`Role`]: a program under test, driven by `sim::conform`, or a Rust
//! implementation), a Rust spooler ([`SpoolerRole`]) or a Rust transport ([`TransportRole`]). Every path that takes steps
//! (the simulator, the script runner, settling, shrinking) takes them through [`Provider::apply`].

use logoff_core::*;

/// A store provider from outside the model that can be started afresh for each run, and that can fail outside
/// the protocol (a program that crashed, hung or answered out of protocol).
pub trait Role: StoreProvider {
    /// A new run begins: a new store object under this profile and setup. `run` names the run in messages.
    fn start(&mut self, run: &str, profile: Profile, setup: Setup);
    /// Why the implementation can no longer play, once it cannot; the run stops at the step where it failed.
    fn failure(&self) -> Option<String>;
    /// The run is over: a last chance to find a failure that belongs to it (a program that wrote a line nobody
    /// asked for after its last answer).
    fn finish(&mut self) {}
}

/// The roles of a run: `Provider::model()` for the model's own, `Provider::outside(role)` for a store provider
/// from outside, `with_spooler` and `with_transport` for a Rust spooler or transport (the others the model's own).
#[derive(Default)]
pub struct Provider<'a> {
    store: Option<&'a mut dyn Role>,
    spooler: Option<&'a mut dyn SpoolerRole>,
    transport: Option<&'a mut dyn TransportRole>,
}

/// A [`Role`] seen as the [`StoreProvider`] it is (without trait upcasting, for the minimum Rust version).
struct AsStore<'r, 'a>(&'r mut (dyn Role + 'a));

impl StoreProvider for AsStore<'_, '_> {
    fn call(&mut self, client: ClientId, call: StoreCall) -> StoreAnswer {
        self.0.call(client, call)
    }

    fn transports_returned(&mut self, client: ClientId, flags: LogoffFlags, other_process: bool) -> AfterTransports {
        self.0.transports_returned(client, flags, other_process)
    }
}

impl<'a> Provider<'a> {
    /// The model's own roles.
    pub fn model() -> Provider<'static> {
        Provider::default()
    }

    /// `role` as the store provider, the other roles the model's own.
    pub fn outside(role: &'a mut dyn Role) -> Provider<'a> {
        Provider { store: Some(role), ..Provider::default() }
    }

    /// The same, with `spooler` as the MAPI spooler.
    pub fn with_spooler(self, spooler: &'a mut dyn SpoolerRole) -> Provider<'a> {
        Provider { spooler: Some(spooler), ..self }
    }

    /// The same, with `transport` as every transport provider.
    pub fn with_transport(self, transport: &'a mut dyn TransportRole) -> Provider<'a> {
        Provider { transport: Some(transport), ..self }
    }

    /// Whether the model's own roles all play (so that the model's mutant is the only mistake made).
    pub fn is_model(&self) -> bool {
        self.store.is_none() && self.spooler.is_none() && self.transport.is_none()
    }

    /// Starts a run (nothing to do for the model's own roles, which live in the model).
    pub fn start(&mut self, run: &str, profile: Profile, setup: Setup) {
        if let Some(role) = &mut self.store {
            role.start(run, profile, setup);
        }
    }

    /// Takes one step of the model with these roles.
    pub fn apply(&mut self, model: &mut Model, action: Action) -> Result<Effects, NotEnabled> {
        match (&mut self.store, &mut self.spooler, &mut self.transport) {
            (None, None, None) => model.apply(action),
            (Some(role), None, None) => model.apply_with(action, AsStore(&mut **role)),
            (store, spooler, transport) => {
                let mut store = store.as_mut().map(|role| AsStore(&mut **role));
                let mut roles = Roles {
                    store: store.as_mut().map(|s| s as &mut dyn StoreProvider),
                    spooler: spooler.as_mut().map(|s| &mut **s as &mut dyn SpoolerRole),
                    transport: transport.as_mut().map(|t| &mut **t as &mut dyn TransportRole),
                };
                model.apply_with_roles(action, &mut roles)
            }
        }
    }

    /// Ends a run (see [`Role::finish`]).
    pub fn finish(&mut self) {
        if let Some(role) = &mut self.store {
            role.finish();
        }
    }

    /// Why the store provider from outside can no longer play; never for the model's own.
    pub fn failure(&self) -> Option<String> {
        self.store.as_ref().and_then(|role| role.failure())
    }

    /// The same roles, borrowed for a shorter while.
    pub fn reborrow(&mut self) -> Provider<'_> {
        Provider {
            store: self.store.as_mut().map(|role| &mut **role as &mut dyn Role),
            spooler: self.spooler.as_mut().map(|s| &mut **s as &mut dyn SpoolerRole),
            transport: self.transport.as_mut().map(|t| &mut **t as &mut dyn TransportRole),
        }
    }
}
