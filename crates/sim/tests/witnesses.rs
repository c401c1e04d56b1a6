//! The witnesses of the contradictions between the pages (`tests/witnesses/`, one a knob A1-A9): each is re-derived
//! by `sim::diff` and must equal the checked-in file, pass under its own profile, and fail under the other reading.

use logoff_core::Profile;
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
