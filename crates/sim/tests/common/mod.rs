//! Helpers shared by the integration tests.
// Each test binary uses only some of these helpers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A directory of the workspace, from its path relative to the workspace root (`tests/scenarios`).
pub fn workspace_dir(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").join(relative)
}

/// The files of a workspace directory with the given extension, sorted by name so that runs and reports are
/// always in the same order.
pub fn files(relative: &str, extension: &str) -> Vec<PathBuf> {
    let dir = workspace_dir(relative);
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|error| panic!("{}: {error}", dir.display()));
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.expect("the directory can be listed").path())
        .filter(|path| path.extension().is_some_and(|e| e == extension))
        .collect();
    files.sort();
    files
}

/// A fresh, empty directory of this test run under the target directory: `PREFIX-NAME-PID-N`.
pub fn scratch(prefix: &str, name: &str) -> PathBuf {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let run = RUNS.fetch_add(1, Ordering::Relaxed);
    let directory =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{prefix}-{name}-{}-{run}", std::process::id()));
    let _ = std::fs::remove_dir_all(&directory);
    std::fs::create_dir_all(&directory).expect("the test directory can be created");
    directory
}

/// Runs the `logoff-sim` binary in `directory` with `args`, without the CARGO_TARGET_DIR that `cargo test` may
/// have been given (failing seeds must land where the test says, not in the real target directory).
pub fn logoff_sim_in(directory: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_logoff-sim"))
        .current_dir(directory)
        .env_remove("CARGO_TARGET_DIR")
        .args(args)
        .output()
        .expect("logoff-sim runs")
}

/// Says that test `name` cannot run here and why, where `cargo test` shows it even when the test passes (standard
/// error written directly, not through the captured `eprintln!`); under `LOGOFF_SIM_NO_SKIP` (set by `.ci/run`,
/// which installs everything the tests need) it fails the test instead, so that nothing skips in CI.
pub fn skip(name: &str, why: &str) {
    use std::io::Write;
    assert!(std::env::var_os("LOGOFF_SIM_NO_SKIP").is_none(), "{name} cannot run: {why} (LOGOFF_SIM_NO_SKIP is set)");
    let _ = writeln!(std::io::stderr(), "SKIPPED {name}: {why}");
}

/// The Python 3 on PATH, for the tests that run the example providers (standard library only); or `None` after
/// [`skip`] says why they cannot run (`.ci/run` installs it).
pub fn python() -> Option<&'static str> {
    let found = Command::new("python3").arg("--version").output().is_ok_and(|output| output.status.success());
    if !found {
        skip(
            "the Python tests",
            "python3 is not installed (the example providers need Python 3, standard library only)",
        );
        return None;
    }
    Some("python3")
}
