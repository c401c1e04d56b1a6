//! Snapshots of the text traces of canonical runs: one for each logoff mode under the default profile and one
//! for each profile that flips one knob. Review changes with `cargo insta review`.
//!
//! A canonical run is the first seed (below `SEARCH_SEEDS`) whose run calls StoreLogoffTransports in the mode
//! wanted, or at all for a knob's profile. A change of the generator or of the model shows here as a diff.

use logoff_core::{Effect, Mode, Profile};
use sim::simulate::{Config, Simulator};
use sim::trace::Trace;

const SEARCH_SEEDS: u64 = 10_000;

/// The first seed under `profile` whose run makes a StoreLogoffTransports call that `wanted` accepts, rendered.
fn canonical(profile: Profile, wanted: impl Fn(Mode) -> bool) -> String {
    let mut simulator = Simulator::new();
    for seed in 0..SEARCH_SEEDS {
        let config = Config::from_seed(seed, Some(profile));
        let mut trace = Trace::default();
        let outcome = simulator.run(&config, &mut trace);
        let calls = trace.steps.iter().filter_map(|s| s.result.ok()).flat_map(|effects| {
            effects
                .iter()
                .filter_map(|e| match *e {
                    Effect::TransportsCalled { mode, .. } => Some(mode),
                    _ => None,
                })
                .collect::<Vec<_>>()
        });
        if calls.into_iter().any(&wanted) && trace.steps.len() <= 40 {
            assert!(outcome.violation.is_none(), "seed {seed} broke an invariant");
            return format!(
                "seed={seed} profile='{}'\nconfig {}\n{}steps={} ticks={} trace_hash={:016x}\n",
                config.profile,
                serde_json::to_string(&config).unwrap(),
                trace.text(),
                outcome.steps,
                outcome.ticks,
                trace.hash()
            );
        }
    }
    panic!("no seed below {SEARCH_SEEDS} makes the call wanted under {profile}");
}

/// Shows the trace of a canonical run of each logoff mode under the default profile.
#[test]
fn one_run_per_logoff_mode() {
    for mode in Mode::ALL {
        let name = format!("mode_{}", mode.name().to_lowercase());
        insta::assert_snapshot!(name, canonical(Profile::default(), |m| m == mode));
    }
}

/// Shows the trace of a canonical run under each profile that flips one knob (the default profile's runs above
/// cover the first value of every knob).
#[test]
fn one_run_per_knob_value() {
    for knob in 0..Profile::KNOBS.len() {
        let profile = Profile::from_index(1 << knob);
        let name = format!("knob_{}_{}", Profile::KNOBS[knob], profile.values()[knob]);
        insta::assert_snapshot!(name, canonical(profile, |_| true));
    }
}
