//! Failing runs on disk: each one found by `sweep` or `run` is written as a seed file before it is reported, so that
//! nothing found is ever lost; and the commands that reproduce it, runnable from a fresh clone as printed.
//!
//! Decisions:
//! - The directory is `sim-failures` in cargo's target directory: `$CARGO_TARGET_DIR` when it is set, else
//!   `target` under the current directory (the workspace root, where the README's commands run).
//! - A file's name holds the seed, the profile's index (0 to 1023, see `Profile::index`) and the mutant, so that the
//!   same seed under another profile or mutant never overwrites it: `seed-14-profile-0-none.seed`.
//! - A sweep keeps at most [`FILES_MAX`] files: those of the smallest failing seeds, whatever the number of jobs
//!   and the order in which the workers find them. A file is written as soon as its run is found among the
//!   smallest; a file pushed out by a smaller seed found later is removed. The failures a sweep prints are the
//!   smallest seeds too, in order.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use logoff_core::Mutant;

use crate::invariants::Violation;
use crate::output::COMMAND;
use crate::seedfile::{script_of, Expected, SeedFile};
use crate::simulate::{Config, Simulator};
use crate::sweep::Failure;
use crate::trace::Trace;

/// The most seed files one sweep keeps.
pub const FILES_MAX: usize = 1_000;

/// The default directory of failing seed files.
pub fn default_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| PathBuf::from("target"), PathBuf::from);
    target.join("sim-failures")
}

/// The name of a run's seed file: distinct for every seed, profile and mutant.
pub fn file_name(config: &Config) -> String {
    format!("seed-{}-profile-{}-{}.seed", config.seed, config.profile.index(), config.mutant)
}

/// The command that reruns a configuration, as it can be pasted into a shell at the workspace root.
pub fn reproduce(config: &Config) -> String {
    let mutant = if config.mutant == Mutant::None { String::new() } else { format!(" --mutant {}", config.mutant) };
    format!("{COMMAND} run --seed {} --profile '{}'{mutant}", config.seed, config.profile)
}

/// The command that draws a configuration's run as an HTML page (`logoff-sim render`), named after its seed file
/// and written beside it in `dir` (never into the directory the command runs in).
pub fn render_command(config: &Config, dir: &Path) -> String {
    let mutant = if config.mutant == Mutant::None { String::new() } else { format!(" --mutant {}", config.mutant) };
    let page = dir.join(file_name(config).replace(".seed", ".html"));
    format!("{COMMAND} render --seed {} --profile '{}'{mutant} -o {}", config.seed, config.profile, page.display())
}

/// The command that replays a seed file.
pub fn replay_command(path: &Path) -> String {
    format!("{COMMAND} replay {}", path.display())
}

/// Runs the configuration again with a trace and writes it as a seed file in `dir`; returns the file's path.
pub fn write(config: &Config, violation: Violation, dir: &Path) -> Result<PathBuf, String> {
    let mut trace = Trace::default();
    Simulator::new().run(config, &mut trace);
    let path = dir.join(file_name(config));
    let seed_file = SeedFile {
        seed: config.seed,
        expect: Expected::Violation(violation.invariant),
        why: format!("found by the simulator: {violation}; reproduce: {}", reproduce(config)),
        script: script_of(config, &trace, &path.display().to_string()),
    };
    seed_file.save(&path)?;
    Ok(path)
}

/// A failure of a sweep and what became of its seed file.
pub struct Kept {
    pub failure: Failure,
    pub written: Result<PathBuf, String>,
}

/// The failures of a sweep whose seed files are kept: the [`FILES_MAX`] smallest seeds.
pub struct Keeper<'a> {
    dir: &'a Path,
    kept: Mutex<BTreeMap<u64, Kept>>,
}

impl<'a> Keeper<'a> {
    pub fn new(dir: &'a Path) -> Keeper<'a> {
        Keeper { dir, kept: Mutex::new(BTreeMap::new()) }
    }

    /// Writes the failure's seed file if its seed is among the smallest so far, and removes the file it pushes
    /// out. Called from the sweep's workers; the lock makes the set on disk follow the set in memory.
    pub fn offer(&self, failure: Failure) {
        let mut kept = self.kept.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let seed = failure.config.seed;
        let largest = kept.last_key_value().map(|(seed, _)| *seed);
        if kept.len() >= FILES_MAX && largest.is_some_and(|largest| seed > largest) {
            return;
        }
        let written = write(&failure.config, failure.violation, self.dir);
        kept.insert(seed, Kept { failure, written });
        if kept.len() > FILES_MAX {
            if let Some((_, pushed_out)) = kept.pop_last() {
                if let Ok(path) = pushed_out.written {
                    // A file that cannot be removed stays: one file too many loses nothing.
                    let _ = std::fs::remove_file(path);
                }
            }
        }
    }

    /// The kept failures, smallest seed first.
    pub fn into_kept(self) -> Vec<Kept> {
        let kept = self.kept.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
        kept.into_values().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shows the cap of a sweep's failure files: offered more than [`FILES_MAX`] failures in a scrambled order (as
    /// workers find them), the keeper keeps exactly the smallest seeds, and the files on disk are exactly theirs (a
    /// file pushed out by a smaller seed is removed; the test fails if it is not).
    #[test]
    fn the_keeper_keeps_the_smallest_seeds_on_disk() {
        let dir = std::env::temp_dir().join(format!("logoff-sim-keeper-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mutant = Mutant::from_name("transports-at-first-release").expect("a mutant of the catalogue");
        let mut failures = Vec::new();
        let mut simulator = Simulator::new();
        let mut seed = 0u64;
        while failures.len() < FILES_MAX + 50 {
            let mut config = Config::from_seed(seed, None);
            config.mutant = mutant;
            if let Some((violation, step)) = simulator.run(&config, &mut ()).violation {
                failures.push(Failure { config, violation, step });
            }
            seed += 1;
        }
        let mut expected: Vec<u64> = failures.iter().map(|f| f.config.seed).collect();
        expected.sort_unstable();
        expected.truncate(FILES_MAX);
        // Largest first, then the rest interleaved: every kept seed at some point pushes one out.
        failures.reverse();
        let (first, second): (Vec<_>, Vec<_>) = failures.into_iter().enumerate().partition(|(i, _)| i % 2 == 0);
        let keeper = Keeper::new(&dir);
        for (_, failure) in first.into_iter().chain(second) {
            keeper.offer(failure);
        }
        let kept = keeper.into_kept();
        let seeds: Vec<u64> = kept.iter().map(|one| one.failure.config.seed).collect();
        assert_eq!(seeds, expected);
        assert!(kept.iter().all(|one| one.written.is_ok()));
        let mut on_disk: Vec<String> =
            std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        on_disk.sort();
        let mut names: Vec<String> = kept.iter().map(|one| file_name(&one.failure.config)).collect();
        names.sort();
        assert_eq!(on_disk, names);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
