//! A store provider written in Rust, put under test from your own `cargo test` with `sim::conform::check`.
//!
//! Run it: `cargo run --release -p sim --example rust_store` (it checks 10,000 seeds and prints what failed).
//! `crates/sim/tests/conform.rs` runs the same store in the test suite, and shows that the check catches the
//! store's one optional mistake (`calls_at_first_release`).

use logoff_core::*;
use sim::role::Lifecycle;

/// A store provider that follows the reading of the pages it is given (A1, A7, A8, A9 and A10 are its knobs).
#[derive(Default)]
pub struct RustStore {
    profile: Profile,
    references: u32,
    /// The references each client holds (A10 asks whether another client holds one).
    held: [u32; CLIENTS_MAX],
    saved: Option<Mode>,
    /// It called StoreLogoffTransports (and, for A9 `until_complete`, no call returned COMPLETE yet).
    called: bool,
    in_progress: bool,
    /// The call blocked in StoreLogoffTransports is a Release (else a StoreLogoff).
    release_blocked: bool,
    invalid: bool,
    /// The mistake to make: call StoreLogoffTransports at the first Release, not when the count reaches zero.
    pub calls_at_first_release: bool,
}

impl StoreProvider for RustStore {
    fn call(&mut self, client: ClientId, call: StoreCall) -> StoreAnswer {
        let status = |hr: HResult, flags: LogoffFlags| StoreAnswer::Return(CallResult::Status(hr, flags));
        match call {
            StoreCall::AddRef => {
                self.references += 1;
                self.held[client.index()] += 1;
                StoreAnswer::Return(CallResult::Count(self.references))
            }
            StoreCall::Release => {
                self.references -= 1;
                self.held[client.index()] -= 1;
                let first_release_mistake = self.calls_at_first_release && !self.called && !self.in_progress;
                let zero_call = match self.profile.zero_call {
                    ZeroCall::Once => !self.called,
                    ZeroCall::UntilComplete => true,
                };
                if (self.references == 0 && !self.invalid && zero_call) || first_release_mistake {
                    // R4: at zero, the saved mode under `deferred` or A10 `defer` (if its call was not made),
                    // else ABORT.
                    let mode = match (self.profile.call_site, self.profile.eager_shared, self.called) {
                        (CallSite::Deferred, _, false) | (CallSite::Eager, EagerShared::Defer, false) => {
                            self.saved.unwrap_or(Mode::Abort)
                        }
                        _ => Mode::Abort,
                    };
                    self.called = true;
                    self.in_progress = true;
                    self.release_blocked = true;
                    return StoreAnswer::CallTransports(mode);
                }
                StoreAnswer::Return(CallResult::Count(self.references))
            }
            StoreCall::StoreLogoff(flags) => {
                if self.invalid {
                    return status(HResult::INVALID_OBJECT, LogoffFlags::empty());
                    // R5
                }
                let Ok(mode) = Mode::from_input(flags.bits(), self.profile.input) else {
                    return status(HResult::INVALID_PARAMETER, LogoffFlags::empty());
                    // R1, A7
                };
                if self.in_progress {
                    return status(HResult::BUSY, LogoffFlags::empty()); // R3
                }
                self.saved = Some(mode); // R2
                let shared = self.held.iter().enumerate().any(|(i, n)| i != client.index() && *n > 0);
                let defer = shared && self.profile.eager_shared == EagerShared::Defer; // A10
                match self.profile.call_site {
                    CallSite::Eager if !defer => {
                        self.called = true;
                        self.in_progress = true;
                        self.release_blocked = false;
                        StoreAnswer::CallTransports(mode)
                    }
                    _ => match self.profile.storelogoff_out {
                        StoreLogoffOut::None => status(HResult::S_OK, LogoffFlags::empty()),
                        StoreLogoffOut::Complete => status(HResult::S_OK, LogoffFlags::COMPLETE),
                    },
                }
            }
            StoreCall::Submit(_) if self.invalid => status(HResult::INVALID_OBJECT, LogoffFlags::empty()),
            StoreCall::Submit(_) => status(HResult::S_OK, LogoffFlags::empty()),
        }
    }

    fn transports_returned(&mut self, _client: ClientId, flags: LogoffFlags, _other: bool) -> AfterTransports {
        self.in_progress = false;
        let complete = flags.contains(LogoffFlags::COMPLETE);
        self.invalid |= complete; // R5
                                  // The blocked call: a StoreLogoff returns the flags, a Release the count.
        let result = if self.release_blocked {
            CallResult::Count(self.references)
        } else {
            CallResult::Status(HResult::S_OK, flags)
        };
        AfterTransports { invalidate: complete, result }
    }
}

impl Lifecycle for RustStore {
    fn start(&mut self, _run: &str, profile: Profile, setup: Setup) {
        let mistake = self.calls_at_first_release;
        *self = RustStore {
            profile,
            references: u32::from(setup.clients),
            held: std::array::from_fn(|i| u32::from(i < usize::from(setup.clients))),
            calls_at_first_release: mistake,
            ..RustStore::default()
        };
    }

    fn failure(&self) -> Option<String> {
        None
    }
}

#[allow(dead_code)]
fn main() {
    let report = sim::conform::check(&mut RustStore::default(), 0..10_000, &sim::conform::FixedKnobs::default());
    println!("{} runs, {} steps, {} failing", report.runs, report.steps, report.failures.len());
    for run in report.failures.iter().take(3) {
        println!("seed {}: {}", run.config.seed, run.verdict.as_ref().expect("a failing run has a verdict"));
    }
    std::process::exit(i32::from(!report.failures.is_empty()));
}
