//! TEMPORARY: the new checker against the old one, step by step, on random walks.

use super::old;
use logoff_core::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

struct Chaos<'a>(&'a mut ChaCha8Rng);

fn flags(rng: &mut ChaCha8Rng) -> LogoffFlags {
    let all = [0u32, 1, 2, 4, 8, 0x10, 0x10000, 0x20000, 0x40000, 0x80000, 0x30000, 0x50000, 0x10001];
    LogoffFlags::from_bits_retain(all[rng.random_range(0..all.len())])
}

fn result(rng: &mut ChaCha8Rng) -> CallResult {
    if rng.random_bool(0.3) {
        CallResult::Count(rng.random_range(0..4))
    } else {
        let hrs = [HResult::S_OK, HResult::INVALID_OBJECT, HResult::BUSY, HResult::INVALID_PARAMETER];
        CallResult::Status(hrs[rng.random_range(0..4)], flags(rng))
    }
}

impl StoreProvider for Chaos<'_> {
    fn call(&mut self, _: ClientId, _: StoreCall) -> StoreAnswer {
        if self.0.random_bool(0.3) {
            let modes = [Mode::NoWait, Mode::Orderly, Mode::Purge, Mode::Abort, Mode::Quiet];
            StoreAnswer::CallTransports(modes[self.0.random_range(0..5)])
        } else {
            StoreAnswer::Return(result(self.0))
        }
    }
    fn transports_returned(&mut self, _: ClientId, _: LogoffFlags, _: bool) -> AfterTransports {
        AfterTransports { invalidate: self.0.random_bool(0.5), result: result(self.0) }
    }
}

#[test]
fn new_checker_agrees_with_old() {
    let mut counts = [0u32; 13];
    let mut actions = Vec::new();
    for seed in 0..400_000u64 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let profile = Profile::from_index(rng.random_range(0..Profile::COUNT));
        let mutant =
            if rng.random_bool(0.5) { Mutant::ALL[rng.random_range(0..Mutant::ALL.len())] } else { Mutant::None };
        let setup = Setup {
            clients: rng.random_range(1..=3),
            transports: rng.random_range(0..=2),
            inbox: rng.random_bool(0.8),
            other: rng.random_range(0..=1),
        };
        let Ok(model) = Model::new(profile, setup) else { continue };
        let mut model = model.with_mutant(mutant);
        let mut new = super::Checker::new(&model);
        let mut old = old::Checker::new(&model);
        let chaos_from = if rng.random_bool(0.3) { rng.random_range(0..30) } else { usize::MAX };
        let mut ended = false;
        for i in 0..60 {
            model.enabled(&mut actions);
            if actions.is_empty() {
                break;
            }
            let mut action = actions[rng.random_range(0..actions.len())];
            if rng.random_bool(0.05) {
                // An invalid or odd StoreLogoff.
                action = Action::Logoff(ClientId(rng.random_range(0..setup.clients)), flags(&mut rng));
            }
            let before = model;
            let applied = if i >= chaos_from {
                let mut store_rng = ChaCha8Rng::seed_from_u64(rng.random());
                let mut chaos = Chaos(&mut store_rng);
                let mut roles = Roles { store: Some(&mut chaos), ..Roles::default() };
                model.apply_with_roles(action, &mut roles)
            } else {
                model.apply(action)
            };
            let Ok(effects) = applied else { continue };
            let a = new.after_step(&before, action, &effects, &model).map_err(|v| v.to_string());
            let b = old.after_step(&before, action, &effects, &model).map_err(|v| v.to_string());
            assert_eq!(a, b, "seed {seed} step {i} {action}: {:?}", effects.as_slice());
            if let Err(e) = a {
                let name = e.split(' ').next().unwrap();
                counts[super::Invariant::from_name(name).unwrap().index()] += 1;
                ended = true;
                break;
            }
            assert_eq!(new.packed(), old.packed(), "seed {seed} step {i}");
        }
        if !ended {
            let a = new.at_end(&model).map_err(|v| v.to_string());
            let b = old.at_end(&model).map_err(|v| v.to_string());
            assert_eq!(a, b, "seed {seed} at end");
        }
    }
    eprintln!("{counts:?}");
}
