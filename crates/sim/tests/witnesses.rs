//! The witnesses of the contradictions between the pages (`tests/witnesses/`, one a knob A1-A10): each is re-derived
//! by `sim::diff` and must equal the checked-in file, pass under its own profile, fail under the other reading, and
//! be the shortest over every setup within the bound (checked by enumerating every shorter script).

use logoff_core::{Action, Model, Profile, Setup, TransportId, TRANSPORTS_MAX};
use sim::diff::{diff_knob, Witness};
use sim::explore::{Bound, STATES_MAX_DEFAULT};
use sim::liveness::verify_script;

mod common;

/// The bound the checked-in witnesses were found at: `logoff-sim diff`'s default.
const WITNESS_BOUND: Bound = Bound::new(2, 1, 2, 1, 2);

fn witness(knob: usize) -> Witness {
    diff_knob(knob, WITNESS_BOUND, STATES_MAX_DEFAULT)
        .unwrap_or_else(|| panic!("no witness for {}", Profile::KNOBS[knob]))
}

/// Shows that every checked-in witness is what the product exploration finds today, byte for byte, so that a change
/// of the model that moves a contradiction shows up here (regenerate with the command the failure prints).
#[test]
fn checked_in_witnesses_are_re_derived() {
    for (index, knob) in Profile::KNOBS.iter().enumerate() {
        let name = format!("tests/witnesses/a{}-{knob}.scn", index + 1);
        let checked_in = std::fs::read_to_string(common::workspace_dir(&name)).unwrap_or_default();
        let derived = witness(index).text(&name);
        assert_eq!(
            checked_in,
            derived,
            "{name} differs from the witness found today; regenerate it with\n  {} diff --knob {knob} --out {name}",
            sim::output::COMMAND
        );
    }
}

/// Shows that each witness tells its two readings apart: it passes (every expectation holds, no invariant breaks)
/// under the first profile, and fails under the second, with the same steps.
#[test]
fn each_witness_passes_under_one_reading_and_fails_under_the_other() {
    for (index, knob) in Profile::KNOBS.iter().enumerate() {
        let found = witness(index);
        let mut script = found.script(&format!("a{}-{knob}.scn", index + 1));
        assert_eq!(script.profile, found.first);
        if let Err(error) = verify_script(&script) {
            panic!("{knob}: the witness fails under its own reading: {error}");
        }
        script.profile = found.second;
        assert!(verify_script(&script).is_err(), "{knob}: the witness passes under the other reading too");
        let differing = (0..Profile::KNOBS.len()).filter(|i| found.first.values()[*i] != found.second.values()[*i]);
        assert_eq!(differing.collect::<Vec<_>>(), vec![index], "{knob}: the readings differ in that knob only");
    }
}

/// Shows that the product exploration says so when two readings cannot be told apart: a profile against itself.
#[test]
fn identical_readings_have_no_witness() {
    let profile = Profile::from_index(0b1_0010_0110);
    assert_eq!(sim::diff::diff(profile, profile, Bound::new(1, 1, 1, 0, 1), STATES_MAX_DEFAULT), None);
}

/// What a script sees of one step in one reading, compared without `sim::diff`'s own code: rejected, or the effects
/// and afterwards the messages, the store's phase, reception and each transport.
fn seen(model: &mut Model, action: Action) -> Option<String> {
    let effects = model.apply(action).ok()?;
    let transports: Vec<_> = (0..TRANSPORTS_MAX).map(|t| model.transport(TransportId(t as u8)).copied()).collect();
    Some(format!(
        "{:?} {:?} {:?} {} {:?}",
        effects.as_slice(),
        model.messages(),
        model.store_phase(),
        model.reception_enabled(),
        transports
    ))
}

/// Whether some script of at most `steps` steps from `models` (the two readings in one state) tells them apart,
/// every script within the bound enumerated, no state deduplicated.
fn some_script_tells_apart(models: (Model, Model), steps: usize, bound: &Bound) -> bool {
    if steps == 0 {
        return false;
    }
    let (mut enabled, mut also) = (Vec::new(), Vec::new());
    models.0.enabled(&mut enabled);
    models.1.enabled(&mut also);
    enabled.extend(also.into_iter().filter(|action| !enabled.contains(action)).collect::<Vec<_>>());
    enabled.into_iter().filter(|action| bound.allows(&models.0, *action) || bound.allows(&models.1, *action)).any(
        |action| {
            let (mut a, mut b) = models;
            seen(&mut a, action) != seen(&mut b, action) || some_script_tells_apart((a, b), steps - 1, bound)
        },
    )
}

/// Shows that each witness is the shortest over every setup within the bound, and starts from the smallest setup
/// that has one that short: every script with fewer steps, from every setup (1-2 clients, 0-1 transports, with and
/// without the Inbox, 0-1 other processes open at the start), and every script as short from a smaller setup (in
/// the order clients, transports, Inbox, other processes), is enumerated and shows the two readings alike.
#[test]
fn each_witness_is_the_shortest_over_every_setup_within_the_bound() {
    let mut setups = Vec::new();
    for clients in 1..=2 {
        for transports in 0..=1 {
            for inbox in [false, true] {
                for other in 0..=1 {
                    setups.push(Setup { clients, transports, inbox, other });
                }
            }
        }
    }
    assert_eq!(sim::diff::setups(&WITNESS_BOUND), setups, "the setups searched, in their order");
    for (index, knob) in Profile::KNOBS.iter().enumerate() {
        let found = witness(index);
        let at = setups.iter().position(|setup| *setup == found.setup).expect("a setup within the bound");
        for (i, setup) in setups.iter().enumerate() {
            let start = (Model::new(found.first, *setup).unwrap(), Model::new(found.second, *setup).unwrap());
            // From a smaller setup no script as short tells them apart; from the others, none shorter.
            let steps = if i < at { found.steps.len() } else { found.steps.len() - 1 };
            assert!(
                !some_script_tells_apart(start, steps, &WITNESS_BOUND),
                "{knob}: a script of at most {steps} steps from {setup:?} tells the readings apart; the witness has {} \
                 from {:?}",
                found.steps.len(),
                found.setup
            );
        }
    }
}
