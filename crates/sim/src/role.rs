//! Who plays the roles in a run: the model's own (the reference implementations, with the model's mutant), or
//! implementations from outside the model: a store provider ([`Role`]), a spooler or a transport, each either a
//! program under test (driven by `sim::conform`, with a [`Lifecycle`]) or a plain Rust implementation. Every path
//! that takes steps (the simulator, the script runner, settling, shrinking, rendering) takes them through
//! [`Provider::apply`].

use logoff_core::*;

/// An implementation from outside the model that is started afresh for each run and can fail outside the protocol
/// (a program that crashed, hung or answered out of protocol).
pub trait Lifecycle {
    /// A new run begins under this profile and setup. `run` names the run in messages.
    fn start(&mut self, run: &str, profile: Profile, setup: Setup);
    /// Why the implementation can no longer play, once it cannot; the run stops at the step where it failed.
    fn failure(&self) -> Option<String>;
    /// The run is over: a last chance to find a failure that belongs to it (a program that wrote a line nobody
    /// asked for after its last answer).
    fn finish(&mut self) {}
}

/// A store provider from outside the model.
pub trait Role: StoreProvider + Lifecycle {}
impl<T: StoreProvider + Lifecycle + ?Sized> Role for T {}

/// A spooler from outside the model, with a lifecycle (a program under test).
pub trait SpoolerPlayer: SpoolerRole + Lifecycle {}
impl<T: SpoolerRole + Lifecycle + ?Sized> SpoolerPlayer for T {}

/// A transport from outside the model, with a lifecycle (a program under test).
pub trait TransportPlayer: TransportRole + Lifecycle {}
impl<T: TransportRole + Lifecycle + ?Sized> TransportPlayer for T {}

/// The roles of a run. `Provider::model()` (or `default()`) for the model's own; `outside(store)` for a store
/// provider from outside; `with_spooler` and `with_transport` for plain Rust roles; [`Played::provider`] for the
/// one role a conformance run puts under test.
#[derive(Default)]
pub struct Provider<'a> {
    store: Option<&'a mut dyn Role>,
    spooler: Option<&'a mut dyn SpoolerRole>,
    transport: Option<&'a mut dyn TransportRole>,
    spooler_player: Option<&'a mut dyn SpoolerPlayer>,
    transport_player: Option<&'a mut dyn TransportPlayer>,
}

/// Forwarding views of the players as the core's role traits.
struct AsStore<'r, 'a>(&'r mut (dyn Role + 'a));
struct AsSpooler<'r, 'a>(&'r mut (dyn SpoolerPlayer + 'a));
struct AsTransport<'r, 'a>(&'r mut (dyn TransportPlayer + 'a));

impl StoreProvider for AsStore<'_, '_> {
    fn call(&mut self, client: ClientId, call: StoreCall) -> StoreAnswer {
        self.0.call(client, call)
    }

    fn transports_returned(&mut self, client: ClientId, flags: LogoffFlags, other_process: bool) -> AfterTransports {
        self.0.transports_returned(client, flags, other_process)
    }
}

impl SpoolerRole for AsSpooler<'_, '_> {
    fn habits(&mut self, world: &World) -> SpoolerHabits {
        self.0.habits(world)
    }

    fn store_logoff_transports(&mut self, world: &World, mode: Mode) -> SpoolerPlan {
        self.0.store_logoff_transports(world, mode)
    }

    fn may_return(&mut self, world: &World, mode: Mode, flushes_awaited: u8) -> Option<LogoffFlags> {
        self.0.may_return(world, mode, flushes_awaited)
    }

    fn transport_logoff(&mut self, world: &World, transport: TransportId) -> TransportLogoffCall {
        self.0.transport_logoff(world, transport)
    }
}

impl TransportRole for AsTransport<'_, '_> {
    fn logoff(&mut self, world: &World, transport: TransportId) -> TransportLogoffEffects {
        self.0.logoff(world, transport)
    }

    fn logoff_returned(&mut self, world: &World, t: TransportId, outcome: LogoffOutcome) -> &'static [TransportCall] {
        self.0.logoff_returned(world, t, outcome)
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
    #[inline]
    pub fn is_model(&self) -> bool {
        self.store.is_none()
            && self.spooler.is_none()
            && self.transport.is_none()
            && self.spooler_player.is_none()
            && self.transport_player.is_none()
    }

    fn lifecycles(&mut self) -> impl Iterator<Item = &mut dyn Lifecycle> {
        // Trait upcasting (Rust 1.86): each player is a Lifecycle.
        let store = self.store.as_mut().map(|role| &mut **role as &mut dyn Lifecycle);
        let spooler = self.spooler_player.as_mut().map(|role| &mut **role as &mut dyn Lifecycle);
        let transport = self.transport_player.as_mut().map(|role| &mut **role as &mut dyn Lifecycle);
        store.into_iter().chain(spooler).chain(transport)
    }

    /// Starts a run on `model` (nothing to do for the model's own roles, which live in the model): each player
    /// from outside starts afresh, and a spooler from outside decides its habits, which `model` records.
    pub fn start(&mut self, run: &str, model: &mut Model) {
        let (profile, setup) = (*model.profile(), *model.setup());
        for lifecycle in self.lifecycles() {
            lifecycle.start(run, profile, setup);
        }
        if !self.is_model() {
            self.with_roles(|roles| model.start_with_roles(roles));
        }
    }

    /// Ends a run (see [`Lifecycle::finish`]).
    pub fn finish(&mut self) {
        for lifecycle in self.lifecycles() {
            lifecycle.finish();
        }
    }

    /// Why a role from outside can no longer play; never for the model's own.
    pub fn failure(&self) -> Option<String> {
        let store = self.store.as_ref().and_then(|role| role.failure());
        let spooler = self.spooler_player.as_ref().and_then(|role| role.failure());
        let transport = self.transport_player.as_ref().and_then(|role| role.failure());
        store.or(spooler).or(transport)
    }

    /// Takes one step of the model with these roles.
    #[inline(always)]
    pub fn apply(&mut self, model: &mut Model, action: Action) -> Result<Effects, NotEnabled> {
        if self.is_model() {
            return model.apply(action);
        }
        self.with_roles(|roles| model.apply_with_roles(action, roles))
    }

    /// Calls `f` with the core's view of these roles.
    fn with_roles<R>(&mut self, f: impl FnOnce(&mut Roles) -> R) -> R {
        let mut store = self.store.as_mut().map(|role| AsStore(&mut **role));
        let mut spooler_player = self.spooler_player.as_mut().map(|role| AsSpooler(&mut **role));
        let mut transport_player = self.transport_player.as_mut().map(|role| AsTransport(&mut **role));
        let spooler: Option<&mut dyn SpoolerRole> = match (&mut spooler_player, &mut self.spooler) {
            (Some(player), _) => Some(player),
            (None, Some(spooler)) => Some(&mut **spooler),
            (None, None) => None,
        };
        let transport: Option<&mut dyn TransportRole> = match (&mut transport_player, &mut self.transport) {
            (Some(player), _) => Some(player),
            (None, Some(transport)) => Some(&mut **transport),
            (None, None) => None,
        };
        let mut roles = Roles { store: store.as_mut().map(|s| s as &mut dyn StoreProvider), spooler, transport };
        f(&mut roles)
    }

    /// The same roles, borrowed for a shorter while.
    pub fn reborrow(&mut self) -> Provider<'_> {
        Provider {
            store: self.store.as_mut().map(|role| &mut **role as &mut dyn Role),
            spooler: self.spooler.as_mut().map(|s| &mut **s as &mut dyn SpoolerRole),
            transport: self.transport.as_mut().map(|t| &mut **t as &mut dyn TransportRole),
            spooler_player: self.spooler_player.as_mut().map(|s| &mut **s as &mut dyn SpoolerPlayer),
            transport_player: self.transport_player.as_mut().map(|t| &mut **t as &mut dyn TransportPlayer),
        }
    }
}

/// The one role a conformance run puts under test.
pub enum Played<'a> {
    Store(&'a mut dyn Role),
    Spooler(&'a mut dyn SpoolerPlayer),
    Transport(&'a mut dyn TransportPlayer),
}

impl Played<'_> {
    /// The roles of a run with this one from outside, the others the model's own.
    pub fn provider(&mut self) -> Provider<'_> {
        match self {
            Played::Store(role) => Provider::outside(&mut **role),
            Played::Spooler(role) => Provider { spooler_player: Some(&mut **role), ..Provider::default() },
            Played::Transport(role) => Provider { transport_player: Some(&mut **role), ..Provider::default() },
        }
    }

    pub fn failure(&self) -> Option<String> {
        match self {
            Played::Store(role) => role.failure(),
            Played::Spooler(role) => role.failure(),
            Played::Transport(role) => role.failure(),
        }
    }

    pub fn finish(&mut self) {
        match self {
            Played::Store(role) => role.finish(),
            Played::Spooler(role) => role.finish(),
            Played::Transport(role) => role.finish(),
        }
    }
}
