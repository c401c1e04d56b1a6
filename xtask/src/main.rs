//! Project automation (the cargo-xtask convention): `cargo xtask ci` runs what CI needs to be green.

use std::path::Path;
use std::process::{Command, ExitCode};
use std::time::Instant;

const USAGE: &str = "usage: cargo xtask <command>

commands:
  ci      cargo fmt --check, cargo clippy --all-targets -D warnings, cargo test --workspace
  bench   build logoff-sim with optimisation and print the sweep's throughput and memory figures, issue 17's
          ratios (instructions a step under callgrind, steps a second), then the peers side by side
          (cargo run --release -p bench: stateright, proptest-state-machine)";

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
/// with two jobs (wall time, peak resident memory), then the explorer at the default bound (one and two jobs,
/// without and with `--reduce`: states a second, peak resident memory a state), then the conformance harness with the good Python store over
/// 100,000 seeds (steps and messages a second), then issue 17's ratios ([`ratios`]), then the peers side by side
/// (crates/bench: our explorer against stateright, our simulator against proptest-state-machine, one thread each).
/// It prints the figures; it asserts nothing.
fn bench() -> ExitCode {
    match figures() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask bench: {message}");
            ExitCode::FAILURE
        }
    }
}

/// What [`bench`] does, stopping at the first command that fails.
fn figures() -> Result<(), String> {
    cargo(&["build", "--release", "--package", "sim", "--bin", "logoff-sim"])?;
    cargo(&["build", "--release", "--package", "bench"])?;
    // Cargo builds into $CARGO_TARGET_DIR when it is set (relative to the current directory, as cargo reads it),
    // else into the workspace's target directory.
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"), std::path::PathBuf::from);
    let binary = target.join("release/logoff-sim");
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    // Runs logoff-sim with `args` and prints the lines of its standard output that start with one of `keep` (all
    // of them when `keep` is empty).
    let show = |args: &[&str], keep: &[&str]| -> Result<(), String> {
        eprintln!("$ logoff-sim {}", args.join(" "));
        let (stdout, _) = output(None, &binary, args, &workspace)?;
        for line in stdout.lines().filter(|line| keep.is_empty() || keep.iter().any(|k| line.starts_with(k))) {
            println!("  {line}");
        }
        Ok(())
    };
    let sweep = ["runs:", "steps:", "failing runs:", "time:", "peak resident memory:"];
    show(&["sweep", "--seeds", "0..300000", "--jobs", "1"], &sweep)?;
    show(&["sweep", "--seeds", "0..1000000", "--jobs", "2"], &sweep)?;
    // The explorer at the default bound, liveness on: unique states a second and peak resident memory a state, one
    // and two threads, without and with partial-order reduction.
    for jobs in ["1", "2"] {
        for reduce in [&[][..], &["--reduce"]] {
            let args = [&["explore", "--quiet", "--jobs", jobs][..], reduce].concat();
            show(&args, &["transitions:", "time:", "memory:"])?;
        }
    }
    // The conformance harness against the good Python store over 100,000 seeds (one pipe round trip a message):
    // its rates, and that it passes. `cargo test` runs 10,000 of them.
    let conform = ["conform", "--role", "store", "--cmd", "python3 examples/providers/good_store.py"];
    show(&[&conform[..], &["--scripts", "tests/scenarios", "--seeds", "0..100000", "--quiet"]].concat(), &[])?;
    ratios(&binary, &target.join("release/bench"), &workspace)?;
    // The bench binary writes its figures to standard output, which it shares with this command.
    cargo(&["run", "--release", "--package", "bench"])
}

/// One side of a ratio: what it is, its program, what it counts (`steps` or `states`: the label of the line it
/// prints), its arguments under callgrind and on the wall clock.
struct Side {
    name: &'static str,
    program: &'static str,
    unit: &'static str,
    counted: &'static [&'static str],
    timed: &'static [&'static str],
}

/// The sides of issue 17's ratios that crates/bench measures: the simulator (the sweep's command, and
/// `Simulator::run` alone in the bench binary) against the lean probe taking the same steps (target 1),
/// proptest-state-machine against the walk that draws the same steps without it (item 5), and stateright against
/// the explorer without and with `--reduce` (target 2).
const SIDES: [Side; 8] = [
    Side {
        name: "logoff-sim sweep",
        program: "logoff-sim",
        unit: "steps",
        counted: &["sweep", "--seeds", "0..3000", "--jobs", "1", "--quiet"],
        timed: &["sweep", "--seeds", "0..300000", "--jobs", "1", "--quiet"],
    },
    Side {
        name: "Simulator::run",
        program: "bench",
        unit: "steps",
        counted: &["simulator", "--seeds", "0..3000"],
        timed: &["simulator", "--seeds", "0..300000"],
    },
    Side {
        name: "lean probe",
        program: "bench",
        unit: "steps",
        counted: &["probe", "--seeds", "0..3000"],
        timed: &["probe", "--seeds", "0..300000"],
    },
    Side {
        name: "walk",
        program: "bench",
        unit: "steps",
        counted: &["walk", "--cases", "2000"],
        timed: &["walk", "--cases", "100000"],
    },
    Side {
        name: "proptest-state-machine",
        program: "bench",
        unit: "steps",
        counted: &["proptest", "--cases", "2000"],
        timed: &["proptest", "--cases", "100000"],
    },
    // Exhaustive exploration, liveness off (target 2): counted at 2c1t2m1o2r, timed at the default bound.
    Side {
        name: "sim::explore",
        program: "bench",
        unit: "states",
        counted: &["explore", "small"],
        timed: &["explore", "default"],
    },
    Side {
        name: "sim::explore --reduce",
        program: "bench",
        unit: "states",
        counted: &["explore", "--reduce", "small"],
        timed: &["explore", "--reduce", "default"],
    },
    Side {
        name: "stateright",
        program: "bench",
        unit: "states",
        counted: &["stateright", "small"],
        timed: &["stateright", "default"],
    },
];

/// Runs `program` with `args` (under `valgrind` when given) and returns its standard output and error, or why it
/// failed.
fn output(
    valgrind: Option<&Path>,
    program: &Path,
    args: &[&str],
    workspace: &Path,
) -> Result<(String, String), String> {
    let mut command = match valgrind {
        Some(out) => {
            let mut command = Command::new("valgrind");
            command.arg("--tool=callgrind").arg(format!("--callgrind-out-file={}", out.display())).arg(program);
            command
        }
        None => Command::new(program),
    };
    let output = command
        .args(args)
        .current_dir(workspace)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
    let (stdout, stderr) =
        (String::from_utf8_lossy(&output.stdout).into_owned(), String::from_utf8_lossy(&output.stderr).into_owned());
    if !output.status.success() {
        return Err(format!("{} {} failed ({}):\n{stderr}", program.display(), args.join(" "), output.status));
    }
    Ok((stdout, stderr))
}

/// The number after `label` on the first line of `text` that holds it, commas left out.
fn figure(text: &str, label: &str) -> Option<f64> {
    let line = text.lines().find_map(|line| line.split_once(label))?.1;
    let digits: String =
        line.trim_start().chars().take_while(|c| c.is_ascii_digit() || *c == ',').filter(|c| *c != ',').collect();
    digits.parse().ok()
}

/// Prints instructions a step (or a unique state, for the explorers) of each side (callgrind's exact "I refs" over
/// its steps, start-up included; when valgrind is on PATH) and steps (or states) a second (wall clock, noisy,
/// start-up included), each with its command, then the ratios.
fn ratios(logoff_sim: &Path, bench: &Path, workspace: &Path) -> Result<(), String> {
    let valgrind = Command::new("valgrind").arg("--version").output().is_ok_and(|output| output.status.success());
    println!();
    println!("issue 17's ratios, one thread");
    if !valgrind {
        println!("  valgrind is not on PATH: no instruction counts, wall-clock figures only");
    }
    let mut instructions = [f64::NAN; SIDES.len()];
    let mut rates = [f64::NAN; SIDES.len()];
    for (i, side) in SIDES.iter().enumerate() {
        let program = if side.program == "bench" { bench } else { logoff_sim };
        if valgrind {
            let out = std::env::temp_dir().join(format!("xtask-bench-{}.callgrind", std::process::id()));
            let (stdout, stderr) = output(Some(&out), program, side.counted, workspace)?;
            let _ = std::fs::remove_file(&out);
            let label = format!("{}:", side.unit);
            let steps = figure(&stdout, &label).ok_or_else(|| format!("{}: no {label} line", side.name))?;
            let refs =
                figure(&stderr, "I   refs:").ok_or_else(|| format!("{}: no I refs in valgrind's report", side.name))?;
            instructions[i] = refs / steps;
            let unit = if side.unit == "steps" { "a step " } else { "a state" };
            println!(
                "  {:<24} {:>8.0} instructions {unit}  $ valgrind --tool=callgrind {} {}",
                side.name,
                instructions[i],
                side.program,
                side.counted.join(" ")
            );
        }
        let start = Instant::now();
        let (stdout, _) = output(None, program, side.timed, workspace)?;
        let seconds = start.elapsed().as_secs_f64();
        let label = format!("{}:", side.unit);
        let steps = figure(&stdout, &label).ok_or_else(|| format!("{}: no {label} line", side.name))?;
        rates[i] = steps / seconds;
        println!(
            "  {:<24} {:>8.0} {} a second (wall) $ {} {}",
            side.name,
            rates[i],
            side.unit,
            side.program,
            side.timed.join(" ")
        );
    }
    for (what, ours, theirs) in [
        ("logoff-sim sweep / lean probe", 0, 2),
        ("Simulator::run / lean probe", 1, 2),
        ("proptest-state-machine / walk", 4, 3),
        ("stateright / sim::explore", 7, 5),
        ("stateright / sim::explore --reduce", 7, 6),
    ] {
        let unit = if SIDES[ours].unit == "steps" { "a step" } else { "a state" };
        let counted = if valgrind {
            format!("{:>5.2}x instructions {unit}, ", instructions[ours] / instructions[theirs])
        } else {
            String::new()
        };
        println!("  ratio {what:<36} {counted}{:>5.2}x time {unit} (wall)", rates[theirs] / rates[ours]);
    }
    println!("  (target 1: Simulator::run at most 1.15x the lean probe; the walk pays the model and checker proptest-state-machine pays;");
    println!("   target 2: stateright at least 5x sim::explore's time a state, liveness off in both, instructions at 2c1t2m1o2r)");
    Ok(())
}
