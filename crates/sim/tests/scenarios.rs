//! Runs every scenario under `tests/scenarios/` (SPEC.md section 6) in-process, in sorted order, and fails
//! listing every file that does not pass, each with its message.

mod common;

const SCENARIOS: &str = "tests/scenarios";

/// Shows that every checked-in scenario passes: each expectation holds and each step is enabled where it should be.
#[test]
fn every_scenario_passes() {
    let directory = common::workspace_dir(SCENARIOS);
    let files = common::files(SCENARIOS, "scn");
    // A run of no scenario would pass while testing nothing.
    assert!(
        files.len() >= 70,
        "only {} scenarios found in {SCENARIOS}; expected the 70 and more checked in",
        files.len()
    );
    let mut failures = Vec::new();
    for path in &files {
        let name = path.strip_prefix(&directory).unwrap_or(path).display().to_string();
        let result = std::fs::read(path)
            .map_err(|error| format!("{name}: error: cannot read the file ({error})"))
            .and_then(|source| {
                let script = sim::script::parse(&source, &name).map_err(|e| e.to_string())?;
                sim::liveness::verify_script(&script).map_err(|e| e.to_string())
            });
        if let Err(message) = result {
            failures.push(format!("{message}\n  rerun: {} script {SCENARIOS}/{name}", sim::output::COMMAND));
        }
    }
    assert!(failures.is_empty(), "{} of {} scenarios failed:\n{}", failures.len(), files.len(), failures.join("\n"));
}

/// Shows that docs/MODEL.md's table has a row for each of R1-R21 and for each value of each knob, and that every
/// scenario it names exists (so the table cannot drift from the tests).
#[test]
fn the_model_document_names_existing_scenarios() {
    let document = std::fs::read_to_string(common::workspace_dir("docs/MODEL.md")).unwrap();
    let rows: Vec<&str> = document.lines().filter(|line| line.starts_with("| R") || line.starts_with("| A")).collect();
    for r in 1..=21 {
        assert!(rows.iter().any(|row| row.starts_with(&format!("| R{r} |"))), "no row for R{r}");
    }
    for (i, knob) in logoff_core::Profile::KNOBS.iter().enumerate() {
        for index in [0, 1 << i] {
            let value = logoff_core::Profile::from_index(index).values()[i];
            let label = format!("| A{} `{knob}={value}` |", i + 1);
            assert!(rows.iter().any(|row| row.starts_with(&label)), "no row for {label}");
        }
    }
    let existing: Vec<String> = common::files(SCENARIOS, "scn")
        .iter()
        .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    let mut named = 0;
    for row in rows {
        let scenario_column = row.split('|').nth(3).unwrap_or("");
        for name in scenario_column.split('`').skip(1).step_by(2) {
            if name.starts_with('r') || name.starts_with('a') && name.contains('-') {
                assert!(existing.iter().any(|e| e == name), "MODEL.md names a scenario that does not exist: {name}");
                named += 1;
            }
        }
    }
    assert!(named >= 39, "only {named} scenarios named");
}
