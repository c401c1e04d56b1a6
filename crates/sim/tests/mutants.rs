//! The evidence that the checker catches real bugs: every mutant is caught within 10,000 seeds and shrinks to a
//! script of at most 12 steps; the checked-in shrunk scripts break their invariant under their mutant and not
//! under the reference model; and some mutants are caught by liveness alone.

use std::path::Path;

use logoff_core::Mutant;
use sim::invariants::Invariant;
use sim::liveness::verify_script;
use sim::mutants::{hunt, HUNT_SEEDS_DEFAULT, SHRUNK_STEPS_MAX};
use sim::script::RunErrorKind;
use sim::sweep::sweep;

mod common;

/// Shows that each mutant is caught within 10,000 seeds, that its failing run shrinks to at most 12 steps, and that
/// the exhaustive explorer finds it too (from the shrunk script's profile and setup, within the default bound) with
/// a script no longer than the shrunk one, which breaks the invariant the explorer names.
#[test]
fn every_mutant_is_caught_and_shrinks() {
    let mut misses = Vec::new();
    for mutant in Mutant::ALL {
        match hunt(*mutant, 0..HUNT_SEEDS_DEFAULT) {
            None => misses.push(format!("{mutant}: not caught within {HUNT_SEEDS_DEFAULT} seeds")),
            Some(caught) if caught.shrunk_steps() > SHRUNK_STEPS_MAX => {
                misses.push(format!("{mutant}: its shrunk script has {} steps", caught.shrunk_steps()))
            }
            Some(caught) => match &caught.explored {
                None => misses.push(format!("{mutant}: the explorer does not find it")),
                Some((script, _, _)) if script.steps() > caught.shrunk_steps() => misses.push(format!(
                    "{mutant}: the explorer's script has {} steps, the shrunk one {}",
                    script.steps(),
                    caught.shrunk_steps()
                )),
                Some((script, violation, _)) => {
                    let broken = match verify_script(script) {
                        Err(error) => matches!(&error.kind, RunErrorKind::InvariantViolated(message)
                            if message.contains(&format!("{} (", violation.invariant.name()))),
                        Ok(_) => false,
                    };
                    if !broken {
                        misses.push(format!("{mutant}: the explorer's script does not break {}", violation.invariant));
                    }
                }
            },
        }
    }
    assert!(misses.is_empty(), "{}", misses.join("\n"));
}

/// The mutant and the invariant named in a checked-in script's header.
fn header(text: &str, path: &Path) -> (Mutant, Invariant) {
    let field = |key: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(key))
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("{}: no `{key}` line", path.display()))
    };
    let mutant = field("# mutant: ").parse().unwrap();
    let invariant = Invariant::from_name(field("# breaks: ")).unwrap();
    (mutant, invariant)
}

/// Shows that every checked-in shrunk script breaks its invariant under its mutant, and breaks no invariant under
/// the reference model (where its steps either all hold or stop at one that is not enabled).
#[test]
fn checked_in_mutant_scripts_break_their_invariant_only_under_their_mutant() {
    let mut seen = Vec::new();
    for path in common::files("tests/mutants", "scn") {
        let text = std::fs::read_to_string(&path).unwrap();
        let (mutant, invariant) = header(&text, &path);
        assert_eq!(path.file_stem().unwrap().to_string_lossy(), mutant.name(), "file named after its mutant");
        let mut script = sim::script::parse(text.as_bytes(), &path.display().to_string()).unwrap();
        assert!(script.steps() <= SHRUNK_STEPS_MAX, "{}: {} steps", path.display(), script.steps());
        script.mutant = mutant;
        let rerun = format!("rerun: {} script --mutant {mutant} {}", sim::output::COMMAND, path.display());
        let Err(error) = verify_script(&script) else {
            panic!("{}: the mutant {mutant} breaks no invariant\n  {rerun}", path.display());
        };
        match &error.kind {
            RunErrorKind::InvariantViolated(message) => {
                assert!(
                    message.contains(&format!("{} (", invariant.name())),
                    "{}: {message}\n  {rerun}",
                    path.display()
                )
            }
            other => panic!("{}: expected a violation of {invariant}, got {other:?}\n  {rerun}", path.display()),
        }
        script.mutant = Mutant::None;
        if let Err(error) = verify_script(&script) {
            assert!(
                !matches!(error.kind, RunErrorKind::InvariantViolated(_)),
                "{}: the reference model breaks an invariant: {error}\n  rerun: {} script {}",
                path.display(),
                sim::output::COMMAND,
                path.display()
            );
        }
        seen.push(mutant);
    }
    for mutant in Mutant::ALL {
        assert!(seen.contains(mutant), "no checked-in script for {mutant}");
    }
}

/// Shows that some mutants are caught by liveness alone: over 10,000 seeds every run they fail breaks liveness and
/// no other invariant.
#[test]
fn some_mutants_are_caught_only_by_liveness() {
    for mutant in [Mutant::PurgeWaitsForAbandonedFlush, Mutant::OrderlyWaitsForQueue] {
        let summary = sweep(0..HUNT_SEEDS_DEFAULT, 2, None, mutant, &|_| {}).unwrap();
        let liveness = summary.violations[Invariant::Liveness.index()];
        assert!(liveness > 0, "{mutant} is never caught");
        assert_eq!(summary.failing_runs(), liveness, "{mutant} is caught by another invariant too");
    }
}
