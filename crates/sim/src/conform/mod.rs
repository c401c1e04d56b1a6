//! The conformance harness: a store provider that is not the model's — a Rust implementation of
//! [`logoff_core::StoreProvider`] ([`check`]), or a program in any language over JSON lines ([`Program`],
//! docs/CONFORM.md) — plays its role in seeded runs and scenario scripts, and the same invariant checker judges
//! what crosses its interface. Failures are kept as scripts of their steps and shrunk against the same provider.

mod process;
mod program;
mod tree;

pub use process::{kill_every_program, words};
pub use program::{Program, LINE_BYTES_MAX, ROLES, VERSION};

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use logoff_core::*;

use crate::failures;
use crate::invariants::Violation;
use crate::role::{Played, Role};
use crate::script::{Expectation, Script};
use crate::simulate::{Config, Simulator};
use crate::trace::Trace;

/// Why a run of the provider failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// An invariant broke at this step (from 1).
    Violation { violation: Violation, step: usize },
    /// The provider failed outside the protocol at this step (from 1): crashed, hung, answered out of protocol.
    Harness { why: String, step: usize },
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Violation { violation, step } => write!(f, "step {step}: {violation}"),
            Verdict::Harness { why, step } => write!(f, "step {step}: the provider failed: {why}"),
        }
    }
}

/// One seeded run of the provider.
#[derive(Clone, Debug)]
pub struct SeedRun {
    pub config: Config,
    pub trace: Trace,
    pub verdict: Option<Verdict>,
}

impl SeedRun {
    /// The run's steps as a script (a step that was not enabled is followed by `expect rejected`), with no
    /// expectation about where it ended: the model's own provider might end elsewhere.
    pub fn script(&self, file: &str) -> Script {
        let mut script = Script::new(file, self.config.profile, self.config.setup);
        for step in &self.trace.steps {
            script.push_step(step.action);
            if step.result.is_err() {
                script.push_expectation(Expectation::Rejected);
            }
        }
        script
    }
}

/// Knobs fixed to one value (`--profile call_site=eager,input=strict`), the others drawn per seed: how a
/// provider that implements one reading of the pages is run against every reading of the rest.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FixedKnobs(Vec<(String, String)>);

impl FixedKnobs {
    /// Reads `default` (every knob at its default) or `knob=value` pairs separated by commas or spaces.
    pub fn parse(text: &str) -> Result<FixedKnobs, String> {
        text.parse::<Profile>()?;
        if text.trim() == "default" {
            let profile = Profile::default();
            let pairs = Profile::KNOBS.iter().zip(profile.values()).map(|(k, v)| (k.to_string(), v.to_string()));
            return Ok(FixedKnobs(pairs.collect()));
        }
        let pairs = text
            .split([',', ' '])
            .filter(|item| !item.is_empty())
            .filter_map(|item| item.split_once('='))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()));
        Ok(FixedKnobs(pairs.collect()))
    }

    /// The drawn profile with the fixed knobs set.
    pub fn apply(&self, mut profile: Profile) -> Profile {
        for (knob, value) in &self.0 {
            profile.set(knob, value).expect("checked when parsed");
        }
        profile
    }

    /// Whether a profile has the fixed values (a script written for another reading is skipped).
    pub fn admits(&self, profile: Profile) -> bool {
        self.apply(profile) == profile
    }
}

/// Runs one seed (its setup, workload, faults and profile, with `fixed` knobs set) with `role` as the store
/// provider, every invariant checked after every step and liveness at the end.
pub fn run_seed(played: &mut Played, seed: u64, fixed: &FixedKnobs) -> SeedRun {
    let drawn = Config::from_seed(seed, None);
    let config = Config::from_seed(seed, Some(fixed.apply(drawn.profile)));
    let mut trace = Trace::default();
    let outcome = Simulator::new().run_with(&config, &mut trace, &mut played.provider());
    played.finish();
    let verdict = match (played.failure(), outcome.violation) {
        (Some(why), _) => Some(Verdict::Harness { why, step: trace.steps.len() }),
        (None, Some((violation, step))) => Some(Verdict::Violation { violation, step: step as usize }),
        (None, None) => None,
    };
    SeedRun { config, trace, verdict }
}

/// What [`check`] found.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub runs: u64,
    pub steps: u64,
    /// The failing runs, smallest seed first (all of them: a provider under test should fail few).
    pub failures: Vec<SeedRun>,
}

/// The entry point for a Rust implementation of the store provider: runs `seeds` (each drawing its profile, with
/// the `fixed` knobs set) with `role` as the store provider and returns what failed. Use it from `cargo test`:
/// `assert!(sim::conform::check(&mut MyStore::default(), 0..10_000, &FixedKnobs::default()).failures.is_empty())`.
pub fn check(role: &mut dyn Role, seeds: Range<u64>, fixed: &FixedKnobs) -> Report {
    let mut report = Report::default();
    let mut played = Played::Store(role);
    for seed in seeds {
        let run = run_seed(&mut played, seed, fixed);
        report.runs += 1;
        report.steps += run.trace.steps.len() as u64;
        if run.verdict.is_some() {
            report.failures.push(run);
        }
    }
    report
}

/// Runs a failing seed again and says whether the provider did exactly the same (the same trace, byte for byte):
/// the harness is deterministic, so a difference is the provider's.
pub fn deterministic(played: &mut Played, run: &SeedRun) -> bool {
    let again =
        run_seed(played, run.config.seed, &FixedKnobs::parse(&run.config.profile.to_string()).unwrap_or_default());
    // A provider's failure is compared by its step, not by its message (which quotes its standard error).
    let same_verdict = match (&again.verdict, &run.verdict) {
        (Some(Verdict::Harness { step: a, .. }), Some(Verdict::Harness { step: b, .. })) => a == b,
        (a, b) => a == b,
    };
    again.trace.text() == run.trace.text() && same_verdict
}

/// Shrinks a run that broke an invariant, its steps and its setup, to a short script that breaks it against the same
/// provider (`crate::shrink`).
pub fn shrink(played: &mut Played, run: &SeedRun, file: &str) -> Option<Script> {
    let Some(Verdict::Violation { violation, .. }) = &run.verdict else { return None };
    crate::shrink::shrink_with(&run.script(file), violation.invariant, &mut played.provider())
}

/// Runs a scenario script with `role` as the store provider, as `logoff-sim script` runs it with the model's.
pub fn run_script(played: &mut Played, script: &Script) -> Result<crate::script::Outcome, crate::script::RunError> {
    let result = crate::liveness::verify_script_with(script, &mut played.provider());
    played.finish();
    match (result, played.failure()) {
        (Ok(_), Some(why)) => Err(crate::script::RunError {
            file: script.file.clone(),
            line: script.items.last().map_or(1, |item| item.line),
            kind: crate::script::RunErrorKind::Harness(format!("after the last line: {why}")),
        }),
        (result, _) => result,
    }
}

/// The program of `--cmd` in `role`, started and greeted; or the exit code and the message to print: 2 for one
/// that cannot start or does not answer `hello` (bad input), 130 when a signal came first.
/// SIGINT or SIGTERM ends every wait for the program at once (the command then ends with exit 130, the program
/// and everything it started killed).
pub fn start_program(cmd: &str, timeout: std::time::Duration, role: &str) -> Result<Program, (u8, String)> {
    let mut program = Program::new(cmd, timeout, role).map_err(|e| (2, format!("error: --cmd: {e}")))?;
    // The first signal ends every wait for the program (the command stops with what it has); a second one ends
    // the process at once, after killing the program and everything it started.
    crate::interrupt::graceful();
    crate::interrupt::on_exit(kill_every_program);
    program.stop_when(crate::interrupt::flag());
    program.handshake().map_err(|e| {
        if crate::interrupt::requested() {
            return (crate::interrupt::EXIT_INTERRUPTED, format!("interrupted: {e}"));
        }
        (2, format!("error: --cmd {}: {e}", failures::shell_quoted(cmd)))
    })?;
    Ok(program)
}

/// The command that replays a file `conform` wrote against the program (`command`: [`failures::conform_command`]).
pub fn replay_command(command: &str, path: &Path) -> String {
    format!("{command} --replay {}", path.display())
}

/// A failing seed `conform` found, its seed file's path, and whether that file was written.
pub struct Found {
    pub run: SeedRun,
    pub path: PathBuf,
    pub written: Result<(), String>,
}

/// The failing seeds of one `conform` sweep, in seed order: the seed files of the first [`failures::FILES_MAX`]
/// are written as they are offered (as a sweep keeps those of its smallest seeds), the others only counted.
pub struct Failing {
    dir: PathBuf,
    /// The command line of the sweep ([`failures::conform_command`]), for the `why` line and the replay command.
    command: String,
    seeds: Range<u64>,
    pub found: Vec<Found>,
}

impl Failing {
    pub fn new(dir: &Path, command: String, seeds: Range<u64>) -> Failing {
        Failing { dir: dir.to_path_buf(), command, seeds, found: Vec::new() }
    }

    /// Writes the seed file of a failing run (before anything is reported, so that nothing found is lost) while
    /// fewer than [`failures::FILES_MAX`] are kept; a run without a verdict is not a failure and is not kept.
    pub fn offer(&mut self, run: SeedRun) {
        let Some(verdict) = &run.verdict else { return };
        let seed = run.config.seed;
        let path = self.dir.join(failures::conform_file_name(seed, run.config.profile));
        let written = if self.found.len() < failures::FILES_MAX {
            let verdict = verdict.to_string();
            let origin =
                failures::Origin::Conform { seed, command: &self.command, seeds: &self.seeds, verdict: &verdict };
            let seed_file = origin.seed_file(run.script(&path.display().to_string()));
            // `expect clean`: the run the program should have made, so that replaying it fails while the program
            // still does what `why` says; its header names the command that replays it against the program.
            let header = failures::conform_seed_header(&replay_command(&self.command, &path));
            seed_file.save_with_header(&path, Some(&header))
        } else {
            Err(format!("not written: past {}", failures::files_max_text()))
        };
        self.found.push(Found { run, path, written });
    }
}

/// The `.scn` files `--scripts` paths name: a file itself, or a directory's `.scn` files in name order.
pub fn script_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let entries =
                std::fs::read_dir(path).map_err(|e| format!("{}: error: cannot list it: {e}", path.display()))?;
            let mut found: Vec<PathBuf> = entries
                .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "scn"))
                .collect();
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

/// What `conform` did with its scripts, and why it stopped before their end if it did.
#[derive(Debug, Default)]
pub struct ScriptsRun {
    pub passed: u64,
    pub run: u64,
    /// Scripts written for other values of the fixed knobs, not run.
    pub skipped: u64,
    pub halted: Option<String>,
}

/// Runs the scripts `files` against the program in order (those the fixed knobs admit), telling `failed` of each
/// failure; stops at a signal or at the first answer that did not come in time. A file that cannot be read is an
/// error (exit 2).
pub fn run_scripts(
    program: &mut Program,
    files: &[PathBuf],
    fixed: &FixedKnobs,
    failed: &mut dyn FnMut(&Path, &crate::script::RunError),
) -> Result<ScriptsRun, String> {
    let mut done = ScriptsRun::default();
    for (index, path) in files.iter().enumerate() {
        let (script, _) = crate::seedfile::read_run(path, None)?;
        if !fixed.admits(script.profile) {
            done.skipped += 1;
            continue;
        }
        let result = run_script(&mut program.played(), &script);
        if crate::interrupt::requested() {
            done.halted = Some(format!("interrupted: scripts not run: {}", files.len() - index));
            break;
        }
        done.run += 1;
        match result {
            Ok(_) => done.passed += 1,
            Err(error) => failed(path, &error),
        }
        if program.timed_out() {
            let left = files.len() - index - 1;
            done.halted = Some(format!(
                "stopped at {}: the program did not answer in time; {} and the seeds not run",
                path.display(),
                crate::text::plural(left as u64, "script", "scripts")
            ));
            break;
        }
    }
    Ok(done)
}

/// What `conform` did with its seeds, and why it stopped before their end if it did.
#[derive(Debug, Default)]
pub struct SeedsRun {
    pub runs: u64,
    pub steps: u64,
    pub halted: Option<String>,
}

/// Runs `seeds` against the program in order, offering each run to `failing` and calling `done` after each;
/// stops at a signal (the run it cut short is not counted) or at the first answer that did not come in time.
pub fn run_seeds(
    program: &mut Program,
    seeds: Range<u64>,
    fixed: &FixedKnobs,
    failing: &mut Failing,
    done: &dyn Fn(),
) -> SeedsRun {
    let mut swept = SeedsRun::default();
    for seed in seeds.clone() {
        let run = run_seed(&mut program.played(), seed, fixed);
        if crate::interrupt::requested() {
            swept.halted = Some(format!("interrupted: seeds {seed}..{} not run", seeds.end));
            break;
        }
        swept.runs += 1;
        swept.steps += run.trace.steps.len() as u64;
        done();
        failing.offer(run);
        if program.timed_out() {
            swept.halted = Some(format!(
                "stopped at seed {seed}: the program did not answer in time; {} not run",
                crate::text::plural(seeds.end - seed - 1, "seed", "seeds")
            ));
            break;
        }
    }
    swept
}

/// `conform --replay`: replays one file against the program, a seed file (`.seed`, checked against its `expect`
/// line) or a script. Returns the line saying it passed, or the exit code (2 a file that cannot be read, else 1 or
/// the script's) and the message saying why not.
pub fn replay_file(program: &mut Program, path: &Path) -> Result<String, (u8, String)> {
    let name = crate::text::input_name(path);
    if path.extension().is_some_and(|e| e == "seed") {
        let seed_file = crate::seedfile::read(path).map_err(|e| (2, e))?;
        let mut played = program.played();
        let mut provider = played.provider();
        return seed_file
            .replay_with(&mut provider)
            .map(|what| format!("{name}: ok: {what}"))
            .map_err(|what| (1, format!("{name}: FAILED: {what}")));
    }
    let (script, _) = crate::seedfile::read_run(path, None).map_err(|e| (2, e))?;
    run_script(&mut program.played(), &script)
        .map(|outcome| format!("{name}: ok ({})", crate::text::plural(outcome.steps as u64, "step", "steps")))
        .map_err(|error| (error.exit_code(), error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shows conform's cap on failure files: offered more failing seeds than [`failures::FILES_MAX`] (in seed
    /// order, as `conform` finds them), it writes exactly the first `FILES_MAX` files, counts the others, and the
    /// files on disk are exactly those written (the test fails if the cap lets one more through, or one fewer).
    #[test]
    fn conform_keeps_the_files_of_the_first_failing_seeds() {
        let dir = std::env::temp_dir().join(format!("logoff-sim-conform-cap-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let base = Config::from_seed(0, None);
        let mut trace = Trace::default();
        Simulator::new().run(&base, &mut trace);
        assert!(!trace.steps.is_empty(), "a run with steps, so that its seed file reads back");
        let offered = failures::FILES_MAX + 20;
        let mut failing = Failing::new(&dir, "logoff-sim conform --role store --cmd 'x'".to_string(), 0..10_000);
        for seed in 0..offered as u64 {
            let verdict = Some(Verdict::Harness { why: "a test failure".to_string(), step: 1 });
            failing.offer(SeedRun { config: Config { seed, ..base }, trace: trace.clone(), verdict });
        }
        // A run without a verdict is not kept.
        failing.offer(SeedRun { config: base, trace: trace.clone(), verdict: None });
        assert_eq!(failing.found.len(), offered);
        let written: Vec<&Found> = failing.found.iter().filter(|found| found.written.is_ok()).collect();
        assert_eq!(written.len(), failures::FILES_MAX);
        assert!(failing.found[..failures::FILES_MAX].iter().all(|found| found.written.is_ok()));
        assert!(failing.found[failures::FILES_MAX..]
            .iter()
            .all(|found| found.written == Err("not written: past 1,000".to_string())));
        let mut on_disk: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
        on_disk.sort();
        let mut expected: Vec<PathBuf> = written.iter().map(|found| found.path.clone()).collect();
        expected.sort();
        assert_eq!(on_disk, expected);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
