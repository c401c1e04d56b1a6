//! The `explore` command that the mutants table prints for each mutant (issue 14, item 16): run as printed, through
//! the binary, it exits 1 with a violation of the invariant the row names. The rows are whatever `Mutant::ALL`
//! holds; none is named here.

use std::time::Instant;

use logoff_core::Mutant;

mod common;

/// Shows that every row of `mutants --format json` has an `explore` command, and that each, run as printed (after
/// `sim::output::COMMAND`, in a fresh directory), exits 1 naming a violation of the row's `explored_invariant`;
/// and that the text table prints the same commands. The explorations take under a second in all: each bound
/// starts from a shrunk script's setup (at most 2 clients and 2 transports).
#[test]
fn every_printed_explore_command_finds_its_mutant() {
    let directory = common::scratch("mutant-commands", "all");
    let output = common::logoff_sim_in(&directory, &["mutants", "--format", "json", "--out", "m", "--quiet"]);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let rows = document["mutants"].as_array().unwrap();
    assert_eq!(rows.len(), Mutant::ALL.len());
    let table = common::logoff_sim_in(&directory, &["mutants", "--out", "t", "--quiet"]);
    let table = String::from_utf8_lossy(&table.stdout).into_owned();
    let mut slow = Vec::new();
    for row in rows {
        let name = row["mutant"].as_str().unwrap();
        let command = row["explore_command"].as_str().unwrap_or_else(|| panic!("{name}: no explore command"));
        let invariant = row["explored_invariant"].as_str().unwrap();
        let line = table.lines().find(|line| line.starts_with(&format!("{name} "))).unwrap();
        assert!(line.ends_with(&format!("  {command}")), "{name}: the table's row is `{line}`");
        let rest = command.strip_prefix(sim::output::COMMAND).unwrap_or_else(|| panic!("{name}: `{command}`"));
        assert!(!rest.contains(['\'', '"', '\\']), "{name}: a printed command that needs quoting: {command}");
        let arguments: Vec<&str> = rest.split_whitespace().collect();
        let started = Instant::now();
        let run = common::logoff_sim_in(&common::scratch("mutant-commands", name), &arguments);
        let seconds = started.elapsed().as_secs_f64();
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(1), "{name}: `{command}`\n{stderr}");
        assert!(stderr.contains(&format!("VIOLATION {invariant} in ")), "{name}: expected {invariant}: {stderr}");
        if seconds > 5.0 {
            slow.push(format!("{name}: {seconds:.1} s"));
        }
    }
    // Not a failure: where the time goes, for whoever finds this test slow.
    println!("explore commands over 5 s: {slow:?}");
}
