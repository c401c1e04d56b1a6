//! Who plays the store provider in a run: the model's own (the reference implementation, with its mutant), or a
//! [`Role`] from outside the model — a program under test, driven by `sim::conform`. Every path that takes steps
//! (the simulator, the script runner, settling, shrinking) takes them through [`Provider::apply`].

use logoff_core::*;

/// A store provider from outside the model that can be started afresh for each run, and that can fail outside
/// the protocol (a program that crashed, hung or answered out of protocol).
pub trait Role: StoreProvider {
    /// A new run begins: a new store object under this profile and setup. `run` names the run in messages.
    fn start(&mut self, run: &str, profile: Profile, setup: Setup);
    /// Why the implementation can no longer play, once it cannot; the run stops at the step where it failed.
    fn failure(&self) -> Option<String>;
}

/// The store provider of a run: `Provider::model()` for the model's own, `Provider::outside(role)` for a role.
pub struct Provider<'a>(Option<&'a mut dyn Role>);

impl<'a> Provider<'a> {
    /// The model's own store provider.
    pub fn model() -> Provider<'static> {
        Provider(None)
    }

    pub fn outside(role: &'a mut dyn Role) -> Provider<'a> {
        Provider(Some(role))
    }

    /// Whether the model's own provider plays (so that the model's mutant matters).
    pub fn is_model(&self) -> bool {
        self.0.is_none()
    }

    /// Starts a run (nothing to do for the model's own provider, which lives in the model).
    pub fn start(&mut self, run: &str, profile: Profile, setup: Setup) {
        if let Some(role) = &mut self.0 {
            role.start(run, profile, setup);
        }
    }

    /// Takes one step of the model with this provider in the store provider's role.
    pub fn apply(&mut self, model: &mut Model, action: Action) -> Result<Effects, NotEnabled> {
        match &mut self.0 {
            None => model.apply(action),
            Some(role) => model.apply_with(action, &mut **role),
        }
    }

    /// Why the role can no longer play; never for the model's own provider.
    pub fn failure(&self) -> Option<String> {
        self.0.as_ref().and_then(|role| role.failure())
    }

    /// The same provider, borrowed for a shorter while.
    pub fn reborrow(&mut self) -> Provider<'_> {
        Provider(self.0.as_mut().map(|role| &mut **role as &mut dyn Role))
    }
}
