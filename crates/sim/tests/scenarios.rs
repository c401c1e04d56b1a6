//! Runs every scenario under `tests/scenarios/` (SPEC.md section 6) in-process, in sorted order, and fails
//! listing every file that does not pass, each with its message.

use std::path::{Path, PathBuf};

const SCENARIOS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/scenarios");

/// The `.scn` files of the directory, sorted by name so that the run and its report are always in the same order.
fn scenario_files(directory: &Path) -> Vec<PathBuf> {
    let entries = std::fs::read_dir(directory).unwrap_or_else(|error| panic!("{}: {error}", directory.display()));
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.expect("the directory can be listed").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "scn"))
        .collect();
    files.sort();
    files
}

/// Shows that every checked-in scenario passes: each expectation holds and each step is enabled where it should be.
#[test]
fn every_scenario_passes() {
    let directory = Path::new(SCENARIOS);
    let files = scenario_files(directory);
    let mut failures = Vec::new();
    for path in &files {
        let name = path.strip_prefix(directory).unwrap_or(path).display().to_string();
        let result = std::fs::read(path)
            .map_err(|error| format!("{name}: error: cannot read the file ({error})"))
            .and_then(|source| {
                sim::script::run_source_checked(&source, &name, &mut sim::invariants::script_check())
                    .map_err(|failure| failure.to_string())
            });
        if let Err(message) = result {
            failures.push(message);
        }
    }
    assert!(failures.is_empty(), "{} of {} scenarios failed:\n{}", failures.len(), files.len(), failures.join("\n"));
}
