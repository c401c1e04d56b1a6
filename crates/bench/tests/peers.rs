//! Both peers agree with us: stateright's breadth-first checker, given the same model, counts the same unique
//! states as our explorer (liveness and symmetry off, so that both do the same work), and the same violations.

use bench::stateright_model::{check, NOTHING_PENDING_AT_END, NO_VIOLATION};
use logoff_core::{Mutant, Profile};
use sim::explore::{explore, Bound, Options};

const BOUNDS: [Bound; 3] = [Bound::new(1, 1, 1, 0, 1), Bound::new(1, 1, 2, 1, 2), Bound::new(2, 1, 2, 1, 2)];

fn options(bound: Bound, mutant: Mutant) -> Options {
    Options { liveness: false, symmetry: false, mutant, ..Options::new(bound, Profile::default()) }
}

#[test]
fn stateright_counts_the_unique_states_our_explorer_counts() {
    for bound in BOUNDS {
        let options = options(bound, Mutant::None);
        let ours = explore(&options);
        let theirs = check(options);
        println!("{}: sim::explore {} unique, stateright {} unique", bound.short(), ours.unique, theirs.unique);
        assert!(ours.complete, "{}", bound.short());
        assert!(ours.unique > 1, "{}", bound.short());
        assert_eq!(theirs.unique, ours.unique, "unique states at {}", bound.short());
        assert!(!ours.failing(), "{}", bound.short());
        assert_eq!((theirs.violations, theirs.stuck), (0, 0), "{}", bound.short());
        assert!(theirs.discoveries.is_empty(), "{}: {:?}", bound.short(), theirs.discoveries);
        // Stateright's state count is the initial state and every transition that led to a state; ours counts
        // every transition, and without a violation every transition leads to a state.
        assert_eq!(theirs.generated, ours.transitions + 1, "transitions at {}", bound.short());
    }
}

#[test]
fn stateright_finds_the_violations_our_explorer_finds() {
    let bound = BOUNDS[1];
    let mut mutants_seen = 0;
    for mutant in Mutant::ALL.iter().copied().filter(|m| *m != Mutant::None) {
        let options = options(bound, mutant);
        let ours = explore(&options);
        let theirs = check(options);
        assert_eq!(theirs.unique, ours.unique, "unique states of {mutant} at {}", bound.short());
        let ours_violations: u64 = ours.violations.iter().sum();
        assert_eq!(theirs.violations + theirs.stuck, ours_violations, "violations of {mutant}");
        assert_eq!(theirs.generated - 1 + theirs.violations, ours.transitions, "transitions of {mutant}");
        if ours_violations > 0 {
            mutants_seen += 1;
            println!(
                "{mutant}: {} unique, violations: sim::explore {ours_violations}, stateright {} + {} final",
                ours.unique, theirs.violations, theirs.stuck
            );
            let mut expected = Vec::new();
            if theirs.violations > 0 {
                expected.push(NO_VIOLATION);
                assert!(theirs.first_violation.is_some(), "{mutant}");
            }
            if theirs.stuck > 0 {
                expected.push(NOTHING_PENDING_AT_END);
            }
            expected.sort_unstable();
            assert_eq!(theirs.discoveries, expected, "{mutant}");
        }
    }
    assert!(mutants_seen > 0, "some mutant breaks an invariant within {}", bound.short());
}
