//! Failing runs on disk, and everything printed about them: each one found by `sweep`, `run`, `explore` or
//! `conform` is written as a seed file before it is reported, so that nothing found is ever lost. This module owns
//! the names of those files, the seed files themselves ([`Origin::seed_file`], the one place one is built), the
//! headers of the scripts written beside them, the commands printed to reproduce, replay or draw them (runnable
//! from a fresh clone as printed), and the one cap on how many are kept ([`FILES_MAX`]).
//!
//! Decisions:
//! - The directory is `sim-failures` in cargo's target directory: `$CARGO_TARGET_DIR` when it is set, else
//!   `target` under the current directory (the workspace root, where the README's commands run).
//! - A file's name holds the seed, the profile's index (0 to 1023, see `Profile::index`) and the mutant, so that the
//!   same seed under another profile or mutant never overwrites it: `seed-14-profile-0-none.seed`.
//! - A sweep keeps at most [`FILES_MAX`] files: those of the smallest failing seeds, whatever the number of jobs
//!   and the order in which the workers find them. A file is written as soon as its run is found among the
//!   smallest; a file pushed out by a smaller seed found later is removed. The failures a sweep prints are the
//!   smallest seeds too, in order. `conform`, whose seeds come in order, keeps the first [`FILES_MAX`].

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use logoff_core::{Mutant, Profile};

use crate::invariants::{Invariant, Violation};
use crate::output::COMMAND;
use crate::script::Script;
use crate::seedfile::{Expected, Recorder, SeedFile};
use crate::simulate::{Config, Simulator};
use crate::sweep::Failure;

/// The most seed files one sweep (or one `conform`) keeps.
pub const FILES_MAX: usize = 1_000;

/// [`FILES_MAX`] as messages write it (`1,000`).
pub fn files_max_text() -> String {
    let digits = FILES_MAX.to_string();
    let mut text = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            text.push(',');
        }
        text.push(digit);
    }
    text
}

/// The default directory of failing seed files.
pub fn default_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| PathBuf::from("target"), PathBuf::from);
    target.join("sim-failures")
}

/// The name of a run's seed file: distinct for every seed, profile and mutant.
pub fn file_name(config: &Config) -> String {
    format!("seed-{}-profile-{}-{}.seed", config.seed, config.profile.index(), config.mutant)
}

/// The name of the seed file of a run that `conform` found failing (the program plays the mutant's part).
pub fn conform_file_name(seed: u64, profile: Profile) -> String {
    format!("conform-seed-{seed}-profile-{}.seed", profile.index())
}

/// The name, without extension, of the `.scn` and `.seed` files of an explorer's counterexample.
pub fn explore_name(mutant: Mutant, profile: Profile, invariant: Invariant) -> String {
    format!("explore-{mutant}-profile-{}-{}", profile.index(), invariant.name())
}

/// The name of a mutant's shrunk script (`logoff-sim mutants`).
pub fn mutant_script_name(mutant: Mutant) -> String {
    format!("{mutant}.scn")
}

/// The name of the shrunk script of a seed file: its stem with `.shrunk.scn`.
pub fn shrunk_name(seed_file: &Path) -> String {
    let stem = seed_file.file_stem().map_or("shrunk".into(), |stem| stem.to_string_lossy());
    format!("{stem}.shrunk.scn")
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

/// The command that goes on with an interrupted sweep from its partial summary.
pub fn resume_command(summary: &Path) -> String {
    format!("{COMMAND} sweep --resume {}", summary.display())
}

/// The command that runs a script written for `mutant`.
pub fn script_replay(mutant: Mutant, script: &Path) -> String {
    format!("{COMMAND} script --mutant {mutant} {}", script.display())
}

/// The command that draws a script written for `mutant` as an HTML page beside it.
pub fn script_render(mutant: Mutant, script: &Path) -> String {
    format!("{COMMAND} render --mutant {mutant} {} -o {}", script.display(), script.with_extension("html").display())
}

/// `text` as one shell word in single quotes (a `'` inside written `'\''`), so that a printed command pastes.
pub fn shell_quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// The command line of `conform` with a program in a role (the time limit written when it is not the default).
pub fn conform_command(role: &str, cmd: &str, timeout_ms: u128) -> String {
    format!("{COMMAND} conform --role {role} --cmd {}{}", shell_quoted(cmd), timeout_option(timeout_ms))
}

/// The command that draws a seed file `conform` wrote, with the program, as an HTML page beside it.
pub fn conform_render(cmd: &str, timeout_ms: u128, seed_file: &Path) -> String {
    format!(
        "{COMMAND} render --cmd {}{} {} -o {}",
        shell_quoted(cmd),
        timeout_option(timeout_ms),
        seed_file.display(),
        seed_file.with_extension("html").display()
    )
}

/// ` --timeout-ms N`, or nothing for the default of 1,000.
fn timeout_option(timeout_ms: u128) -> String {
    match timeout_ms {
        1000 => String::new(),
        ms => format!(" --timeout-ms {ms}"),
    }
}

/// Comment lines: `# ` before each.
fn comment(lines: &[String]) -> String {
    lines.iter().map(|line| format!("# {line}\n")).collect()
}

/// The header of a script that breaks `invariant` under `mutant`, written to `path`: `title`, then `about` lines,
/// what it breaks, the command that replays it, and (with `render`) the one that draws it.
pub fn script_header(
    title: &str,
    about: &[String],
    invariant: Invariant,
    mutant: Mutant,
    path: &Path,
    render: bool,
) -> String {
    let mut lines = vec![title.to_string()];
    lines.extend_from_slice(about);
    lines.push(format!("breaks: {invariant} ({})", invariant.requirements()));
    lines.push(format!("replay: {}", script_replay(mutant, path)));
    if render {
        lines.push(format!("render: {}", script_render(mutant, path)));
    }
    comment(&lines)
}

/// The header of a script `conform` shrank against a program: it fails while the program does what it found.
pub fn conform_shrunk_header(cmd: &str, seed: u64, verdict: &str, replay: &str) -> String {
    comment(&[
        format!("Shrunk by `logoff-sim conform` against `{cmd}` from seed {seed}."),
        format!("breaks: {verdict}"),
        format!("It fails (exit 1) while the program does this, and passes once that is fixed; replay: {replay}"),
    ])
}

/// The first line of a seed file `conform` wrote, in place of a seed file's own.
pub fn conform_seed_header(replay: &str) -> String {
    comment(&[format!(
        "logoff-sim conform seed file: it fails (exit 1) while the program does what `why` says, and passes once \
         that is fixed; replay with `{replay}`"
    )])
}

/// Where a seed file comes from, which says what its `why` line holds.
pub enum Origin<'a> {
    /// A run of the simulator that broke an invariant (`sweep`, `run`), and the command that reruns it.
    Simulator { config: &'a Config, violation: &'a Violation, reproduce: &'a str },
    /// A run kept by hand (`run --save-seed --why`).
    Kept { seed: u64, expect: Expected, why: &'a str },
    /// An explorer's counterexample within a bound.
    Explore { bound: &'a str, violation: &'a Violation },
    /// A seed a program under test failed (`conform`): `expect clean`, the run the program should have made.
    Conform { seed: u64, command: &'a str, seeds: &'a Range<u64>, verdict: &'a str },
}

impl Origin<'_> {
    /// The seed file of `script` from this origin: the one place a seed file is built.
    pub fn seed_file(&self, script: Script) -> SeedFile {
        let (seed, expect, why) = match *self {
            Origin::Simulator { config, violation, reproduce } => (
                config.seed,
                Expected::Violation(violation.invariant),
                format!("found by the simulator: {violation}; reproduce: {reproduce}"),
            ),
            Origin::Kept { seed, expect, why } => (seed, expect, why.to_string()),
            Origin::Explore { bound, violation } => (
                0,
                Expected::Violation(violation.invariant),
                format!("found by logoff-sim explore at {bound}: {violation}"),
            ),
            Origin::Conform { seed, command, seeds, verdict } => {
                let why =
                    format!("found by {command} --seeds {}..{} at seed {seed}: {verdict}", seeds.start, seeds.end);
                (seed, Expected::Clean, why.replace(['\n', '\r'], " ").trim().to_string())
            }
        };
        SeedFile { seed, expect, why, script }
    }
}

/// Runs the configuration again, recording its script as it goes, and writes it as a seed file in `dir`, its
/// `why` naming `reproduce` (the command [`reproduce`] gives, built once by the caller, which prints it too);
/// returns the file's path.
pub fn write(config: &Config, violation: Violation, reproduce: &str, dir: &Path) -> Result<PathBuf, String> {
    let path = dir.join(file_name(config));
    let mut recorder = Recorder::new(config, &path.display().to_string());
    Simulator::new().run(config, &mut recorder);
    let seed_file = Origin::Simulator { config, violation: &violation, reproduce }.seed_file(recorder.into_script());
    seed_file.write(&path)?;
    Ok(path)
}

/// A failure of a sweep and what became of its seed file.
pub struct Kept {
    pub failure: Failure,
    /// The command that reruns it ([`reproduce`]).
    pub reproduce: String,
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
        let reproduce = reproduce(&failure.config);
        let written = write(&failure.config, failure.violation, &reproduce, self.dir);
        kept.insert(seed, Kept { failure, reproduce, written });
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
