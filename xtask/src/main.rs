//! Project automation (the cargo-xtask convention): `cargo xtask ci` runs what CI needs to be green.

use std::process::{Command, ExitCode};

const USAGE: &str = "usage: cargo xtask <command>

commands:
  ci      cargo fmt --check, cargo clippy --all-targets -D warnings, cargo test --workspace
  bench   build logoff-sim with optimisation and print the sweep's throughput and memory figures, then the
          peers side by side (cargo run --release -p bench: stateright, proptest-state-machine)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("ci") => ci(),
        Some("bench") => bench(),
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// Runs one cargo command and says which one failed.
fn cargo(args: &[&str]) -> Result<(), String> {
    eprintln!("$ cargo {}", args.join(" "));
    let status = Command::new(env!("CARGO")).args(args).status().map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`cargo {}` failed ({status})", args.join(" ")))
    }
}

fn ci() -> ExitCode {
    let steps: [&[&str]; 3] = [
        &["fmt", "--all", "--", "--check"],
        &["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"],
        &["test", "--workspace"],
    ];
    for step in steps {
        if let Err(message) = cargo(step) {
            eprintln!("xtask ci: {message}");
            return ExitCode::FAILURE;
        }
    }
    eprintln!("xtask ci: all green");
    ExitCode::SUCCESS
}

/// The benchmark: a one-job sweep (steps per second per core, every invariant on), then the 1,000,000-seed sweep
/// with two jobs (wall time, peak resident memory), then the conformance harness with the good Python store over
/// 100,000 seeds (steps and messages a second), then the peers side by side (crates/bench: our explorer
/// against stateright, our simulator against proptest-state-machine, one thread each). It prints the figures; it
/// asserts nothing.
fn bench() -> ExitCode {
    if let Err(message) = cargo(&["build", "--release", "--package", "sim", "--bin", "logoff-sim"]) {
        eprintln!("xtask bench: {message}");
        return ExitCode::FAILURE;
    }
    // Cargo builds into $CARGO_TARGET_DIR when it is set (relative to the current directory, as cargo reads it),
    // else into the workspace's target directory.
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"), std::path::PathBuf::from);
    let binary = target.join("release/logoff-sim");
    let runs: [(&str, &str); 2] = [("0..300000", "1"), ("0..1000000", "2")];
    for (seeds, jobs) in runs {
        eprintln!("$ logoff-sim sweep --seeds {seeds} --jobs {jobs}");
        let output = match Command::new(&binary).args(["sweep", "--seeds", seeds, "--jobs", jobs]).output() {
            Ok(output) => output,
            Err(e) => {
                eprintln!("xtask bench: cannot run {}: {e}", binary.display());
                return ExitCode::FAILURE;
            }
        };
        let stdout = String::from_utf8_lossy(&output.stdout);
        for line in stdout.lines() {
            if line.starts_with("runs:")
                || line.starts_with("steps:")
                || line.starts_with("failing runs:")
                || line.starts_with("time:")
                || line.starts_with("peak resident memory:")
            {
                println!("  {line}");
            }
        }
        if !output.status.success() {
            eprintln!(
                "xtask bench: the sweep failed ({}):\n{}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
            return ExitCode::FAILURE;
        }
    }
    // The conformance harness against the good Python store over 100,000 seeds (one pipe round trip a message):
    // its rates, and that it passes. `cargo test` runs 10,000 of them.
    let conform = ["conform", "--role", "store", "--cmd", "python3 examples/providers/good_store.py"];
    let conform = [&conform[..], &["--scripts", "tests/scenarios", "--seeds", "0..100000", "--quiet"]].concat();
    eprintln!("$ logoff-sim {}", conform.join(" "));
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    match Command::new(&binary).current_dir(&workspace).args(&conform).output() {
        Ok(output) if output.status.success() => {
            String::from_utf8_lossy(&output.stdout).lines().for_each(|line| println!("  {line}"));
        }
        Ok(output) => {
            eprintln!("xtask bench: conform failed ({}):\n{}", output.status, String::from_utf8_lossy(&output.stderr));
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("xtask bench: cannot run {}: {e}", binary.display());
            return ExitCode::FAILURE;
        }
    }
    // The bench binary writes its figures to standard output, which it shares with this command.
    if let Err(message) = cargo(&["run", "--release", "--package", "bench"]) {
        eprintln!("xtask bench: {message}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
