//! The proof that the checker catches real bugs: each mutant is hunted over seeds until a run breaks an invariant,
//! and the failing run is shrunk to a short script.

use std::fmt;
use std::ops::Range;
use std::path::Path;

use logoff_core::Mutant;

use crate::explore::{self, Bound};
use crate::failures;
use crate::invariants::{Invariant, Violation};
use crate::script::Script;
use crate::seedfile::Recorder;
use crate::shrink::{applied_steps, shape, shrink};
use crate::simulate::{Config, Simulator};
use crate::sweep::{sweep, Failure, Summary, SweepError};

/// The most seeds `logoff-sim mutants` tries for each mutant by default (the target of the project).
pub const HUNT_SEEDS_DEFAULT: u64 = 10_000;
/// The longest shrunk script the project accepts.
pub const SHRUNK_STEPS_MAX: usize = 12;

/// A mutant caught: by which invariant, at which seed, and the shrunk script.
#[derive(Clone, Debug)]
pub struct Caught {
    pub mutant: Mutant,
    pub invariant: Invariant,
    pub seed: u64,
    /// Seeds run before the first failure, that one included.
    pub seeds_needed: u64,
    /// Applied steps of the failing run before shrinking.
    pub steps_before: usize,
    pub shrunk: Script,
    /// The explorer's shortest counterexample from the shrunk script's profile and setup, the invariant it
    /// breaks, and the bound it took.
    pub explored: Option<(Script, Violation, Bound)>,
}

impl Caught {
    pub fn shrunk_steps(&self) -> usize {
        self.shrunk.steps()
    }

    /// Why the shrunk script is longer than the explorer's, where it is and for one of two reasons: the explorer's
    /// script breaks another invariant, or it takes a step that no step of the shrunk script is, whoever takes it
    /// (shrinking removes steps and shrinks the setup but never changes what a step does). `None` where they are
    /// as long, or where the explorer's script is longer, or shorter for neither reason (a shorter script the
    /// shrinker could have found).
    pub fn why_longer(&self) -> Option<String> {
        let (explored, violation, _) = self.explored.as_ref()?;
        if explored.steps() >= self.shrunk_steps() {
            return None;
        }
        if violation.invariant != self.invariant {
            return Some(format!(
                "the explorer's script breaks {}, not {}",
                violation.invariant.name(),
                self.invariant.name()
            ));
        }
        let shrunk: Vec<_> = applied_steps(&self.shrunk).into_iter().map(shape).collect();
        let step = applied_steps(explored).into_iter().find(|step| !shrunk.contains(&shape(*step)))?;
        Some(format!(
            "the explorer's script takes `{step}`, which no step of the shrunk one is: shrinking never changes what a \
             step does"
        ))
    }

    /// The `logoff-sim explore` command that finds the explorer's counterexample: its bound (every option written
    /// out), the shrunk script's profile, the mutant. It exits 1 with a violation of the invariant the explorer
    /// names (it explores the whole bound, so it may name others too).
    pub fn explore_command(&self) -> Option<String> {
        let (_, _, bound) = self.explored.as_ref()?;
        Some(explore::Options { mutant: self.mutant, ..explore::Options::new(*bound, self.shrunk.profile) }.command())
    }

    /// The shrunk script as a `.scn` file, with a header saying where it comes from and what it shows.
    pub fn scenario_text(&self, path: &str) -> String {
        let about = [format!(
            "mutant: {} -- {} ({})",
            self.mutant,
            self.mutant.description(),
            self.mutant.implementer().map_or("", |who| who.name())
        )];
        let title = format!(
            "Shrunk by `logoff-sim mutants` from seed {} ({} steps before shrinking).",
            self.seed, self.steps_before
        );
        let header = failures::script_header(&title, &about, self.invariant, self.mutant, Path::new(path), true);
        format!("{header}{}", self.shrunk)
    }
}

/// Runs seeds in order under `mutant`, each with the profile it draws, until one breaks an invariant whose run
/// shrinks; returns that catch, or `None` if no seed of the range does.
pub fn hunt(mutant: Mutant, seeds: Range<u64>) -> Option<Caught> {
    let mut simulator = Simulator::new();
    for seed in seeds.clone() {
        let mut config = Config::from_seed(seed, None);
        config.mutant = mutant;
        let Some((violation, _)) = simulator.run(&config, &mut ()).violation else { continue };
        let mut recorder = Recorder::new(&config, &failures::mutant_script_name(mutant));
        simulator.run(&config, &mut recorder);
        let script = recorder.into_script();
        if let Some(shrunk) = shrink(&script, violation.invariant) {
            return Some(Caught {
                mutant,
                invariant: violation.invariant,
                seed,
                seeds_needed: seed - seeds.start + 1,
                steps_before: applied_steps(&script).len(),
                explored: explore::find(mutant, shrunk.profile, shrunk.setup),
                shrunk,
            });
        }
    }
    None
}

/// The table `logoff-sim mutants` prints: one row a mutant, ending with the `explore` command that finds it (the
/// explorer's counterexample: its length is the column before).
pub struct Table<'a>(pub &'a [(Mutant, Option<Caught>)]);

impl fmt::Display for Table<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let row = |f: &mut fmt::Formatter<'_>, cells: [&str; 7]| {
            let [mutant, who, by, seeds, shrunk, explored, command] = cells;
            writeln!(f, "{mutant:<32} {who:<15} {by:<30} {seeds:>12} {shrunk:>14} {explored:>14}  {command}")
        };
        let header = ["mutant", "implementer", "caught by", "seeds needed", "shrunk steps", "explored steps"];
        let [a, b, c, d, e, g] = header;
        row(f, [a, b, c, d, e, g, "explore command that finds it"])?;
        for (mutant, caught) in self.0 {
            let who = mutant.implementer().map_or("", |who| who.name());
            match caught {
                Some(c) => {
                    // The explorer's invariant is named only where it is not the one the hunt caught.
                    let explored = c.explored.as_ref().map_or("NOT FOUND".to_string(), |(script, violation, _)| {
                        match violation.invariant == c.invariant {
                            true => script.steps().to_string(),
                            false => format!("{} ({})", script.steps(), violation.invariant.name()),
                        }
                    });
                    let command = c.explore_command().unwrap_or_else(|| "-".to_string());
                    let (seeds, shrunk) = (c.seeds_needed.to_string(), c.shrunk_steps().to_string());
                    row(f, [mutant.name(), who, c.invariant.name(), &seeds, &shrunk, &explored, &command])?
                }
                None => row(f, [mutant.name(), who, "NOT CAUGHT", "-", "-", "-", "-"])?,
            }
        }
        for caught in self.0.iter().filter_map(|(_, caught)| caught.as_ref()) {
            let Some((explored, _, _)) = &caught.explored else { continue };
            if explored.steps() != caught.shrunk_steps() {
                let why = caught.why_longer().unwrap_or_else(|| "the shrinker missed a shorter script".to_string());
                writeln!(
                    f,
                    "{}: shrunk to {} steps, the explorer's script has {}: {why}",
                    caught.mutant,
                    caught.shrunk_steps(),
                    explored.steps()
                )?;
            }
        }
        Ok(())
    }
}

/// The reference model on the seeds the mutants were hunted on (`logoff-sim mutants` requires it clean), on two
/// threads; `on_failure` hears of each failing run.
pub fn reference(seeds: Range<u64>, on_failure: &(dyn Fn(Failure) + Sync)) -> Result<Summary, SweepError> {
    sweep(seeds, 2, None, Mutant::None, on_failure)
}
