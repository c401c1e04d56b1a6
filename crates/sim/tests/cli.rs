//! The `logoff-sim` commands other than `script`, through the binary: the defects of issue 7 (each test failed
//! before its fix), the failing-seed directory, and the help that lists what the options take.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;

use logoff_core::{Mutant, Profile};

mod common;

const BIN: &str = env!("CARGO_BIN_EXE_logoff-sim");

/// A fresh, empty directory of this test run.
fn scratch(name: &str) -> PathBuf {
    common::scratch("cli", name)
}

/// The binary, to run in `directory`, without the CARGO_TARGET_DIR that `cargo test` may have been given: failing
/// seeds must land in the scratch directory, not in the real target directory.
fn command(directory: &Path) -> Command {
    let mut command = Command::new(BIN);
    command.current_dir(directory).env_remove("CARGO_TARGET_DIR");
    command
}

/// Runs the binary in `directory` with `args`.
fn logoff_sim(directory: &Path, args: &[&str]) -> Output {
    command(directory).args(args).output().expect("logoff-sim runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The names of the files of a directory, sorted.
fn listing(directory: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(directory)
        .map(|entries| entries.map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

/// Shows that a seed range at the top of u64 runs every one of its seeds (issue 7, item 2): it used to run none,
/// or 1,024 of 1,615, and to panic on overflow in a debug build.
#[test]
fn a_sweep_at_the_top_of_u64_runs_every_seed() {
    let directory = scratch("top");
    for (range, runs) in
        [("18446744073709551000..18446744073709551615", 615), ("18446744073709550000..18446744073709551615", 1615)]
    {
        let output = logoff_sim(&directory, &["sweep", "--seeds", range, "--jobs", "2"]);
        let stdout = text(&output.stdout);
        assert_eq!(output.status.code(), Some(0), "{range}: {}", text(&output.stderr));
        assert!(stdout.contains(&format!("runs: {runs} (every seed of the range, once)\n")), "{range}: {stdout}");
    }
}

/// Shows that a reader that goes away ends the command quietly, with the status of a Unix tool stopped by SIGPIPE,
/// and no panic (issue 7, item 3: `sweep ... | head -1` used to panic with exit 101).
#[test]
fn a_closed_stdout_ends_quietly() {
    let directory = scratch("pipe");
    let mut child = command(&directory)
        .args(["sweep", "--seeds", "0..20000", "--jobs", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("logoff-sim runs");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert!(first.starts_with("sweep seeds=0..20000"), "{first}");
    // The reader is dropped here: the summary, written after the sweep, meets a closed pipe.
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(sim::output::EXIT_BROKEN_PIPE), "{}", text(&output.stderr));
    assert_eq!(text(&output.stderr), "", "quietly");
}

/// Shows that a full standard output is an error with exit 2 and a message, not a panic, and that a full standard
/// error is exit 2 too (issue 7, item 3).
#[test]
fn a_full_output_is_an_error() {
    if !Path::new("/dev/full").exists() {
        common::skip("a_full_output_is_an_error", "this system has no /dev/full");
        return;
    }
    let directory = scratch("full");
    let full = || std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let output = command(&directory).args(["run", "--seed", "1"]).stdout(full()).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(text(&output.stderr), "error: cannot write to standard output: No space left on device (os error 28)\n");
    let output = command(&directory)
        .args(["run", "--seed", "0", "--mutant", "transports-at-first-release", "--failures", "f"])
        .stderr(full())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stdout));
    assert_eq!(listing(&directory.join("f")).len(), 1, "the failing seed was written before anything was said");
}

/// Shows that `run --save-seed` refuses a `--why` that the seed-file reader would refuse or misread (empty, a
/// newline that would inject a header line), writes nothing then, and that what it does write replays (issue 7,
/// item 5).
#[test]
fn save_seed_writes_only_what_replays() {
    let directory = scratch("why");
    for why in ["", "  ", "kept\nexpect clean", "kept\r", " padded "] {
        let output = logoff_sim(&directory, &["run", "--seed", "3", "--save-seed", "s.seed", "--why", why]);
        assert_eq!(output.status.code(), Some(2), "{why:?}");
        assert!(text(&output.stderr).contains("--why"), "{why:?}: {}", text(&output.stderr));
        assert!(!directory.join("s.seed").exists(), "{why:?}");
    }
    let output = logoff_sim(&directory, &["run", "--seed", "3", "--save-seed", "s.seed", "--why", "a kept run"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let output = logoff_sim(&directory, &["replay", "s.seed"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
}

/// Shows that `shrink` never overwrites the seed file it reads, however the path is spelt (issue 7, item 8).
#[test]
fn shrink_refuses_to_overwrite_its_input() {
    let directory = scratch("shrink");
    let source = common::workspace_dir("sim-seeds/mutant-logoff-loses-sending-message.seed");
    let original = std::fs::read(&source).unwrap();
    std::fs::write(directory.join("s.seed"), &original).unwrap();
    let roundabout = format!("../{}/s.seed", directory.file_name().unwrap().to_string_lossy());
    for out in ["s.seed", "./s.seed", &roundabout] {
        let output = logoff_sim(&directory, &["shrink", "s.seed", "--out", out]);
        assert_eq!(output.status.code(), Some(2), "{out}");
        assert!(text(&output.stderr).contains("is the input s.seed"), "{}", text(&output.stderr));
        assert_eq!(std::fs::read(directory.join("s.seed")).unwrap(), original, "{out}");
    }
    let output = logoff_sim(&directory, &["shrink", "s.seed", "--out", "s.scn"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let output = logoff_sim(&directory, &["script", "--mutant", "logoff-loses-sending-message", "s.scn"]);
    assert_eq!(output.status.code(), Some(1), "the shrunk script breaks the invariant: {}", text(&output.stderr));
}

/// Shows that `run --json` prints one JSON document and nothing else, with the verdict in it (issue 7, item 9).
#[test]
fn run_json_is_one_document() {
    let directory = scratch("json");
    let output = logoff_sim(&directory, &["run", "--seed", "14", "--json"]);
    assert_eq!(output.status.code(), Some(0));
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).expect("stdout is one JSON document");
    assert_eq!(document["verdict"], "clean");
    assert!(document["violation"].is_null());
    assert_eq!(document["config"]["seed"], 14);
    assert!(document["steps"].as_array().is_some_and(|steps| !steps.is_empty()));

    let args = ["run", "--seed", "0", "--json", "--mutant", "transports-at-first-release", "--failures", "f"];
    let output = logoff_sim(&directory, &args);
    assert_eq!(output.status.code(), Some(1));
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).expect("stdout is one JSON document");
    assert_eq!(document["verdict"], "violation");
    assert_eq!(document["violation"]["invariant"], "transports-call-site");
    assert!(document["violation"]["step"].as_u64().is_some_and(|step| step > 0));
}

/// Shows that the reproduce command a failure prints starts with the README's way of running the binary from a
/// fresh clone, and that the rest of it, run as printed by a shell, reproduces the violation (issue 7, item 10).
#[test]
fn reproduce_commands_run_as_printed() {
    let directory = scratch("reproduce");
    let output = logoff_sim(&directory, &["run", "--seed", "0", "--mutant", "transports-at-first-release"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    let printed = stderr.lines().find_map(|line| line.strip_prefix("reproduce: ")).expect("a reproduce line");
    let arguments = printed.strip_prefix(sim::output::COMMAND).expect("the README's command");
    let readme = std::fs::read_to_string(common::workspace_dir("README.md")).unwrap();
    assert!(readme.contains(sim::output::COMMAND), "README.md shows the same command");
    let output = Command::new("sh")
        .current_dir(&directory)
        .arg("-c")
        .arg(format!("'{BIN}'{arguments}"))
        .output()
        .expect("sh runs");
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("transports-call-site"));
    // The default directory is in cargo's target directory, and CARGO_TARGET_DIR moves it.
    let seed_line = stderr.lines().find(|line| line.starts_with("seed file: ")).unwrap();
    assert!(seed_line.starts_with("seed file: target/sim-failures/seed-0-profile-"), "{seed_line}");
    let output = command(&directory)
        .env("CARGO_TARGET_DIR", "elsewhere")
        .args(["run", "--seed", "0", "--mutant", "transports-at-first-release"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(listing(&directory.join("elsewhere/sim-failures")).len(), 1);
}

/// Shows the failing-seed directory of a sweep (issue 7, item 11): past 1,000 failures the files kept are those of
/// the 1,000 smallest failing seeds, the same with 1 and 2 jobs; the failures shown are the smallest too; and the
/// same seeds under another mutant are written beside them, not over them.
#[test]
fn failing_seed_files_are_the_smallest_and_never_collide() {
    let directory = scratch("failures");
    let mutant = "transports-at-first-release";
    let mut stderrs = Vec::new();
    for jobs in ["1", "2"] {
        let dir = format!("jobs{jobs}");
        let args =
            ["sweep", "--seeds", "0..2500", "--jobs", jobs, "--mutant", mutant, "--failures", &dir, "--show", "3"];
        let output = logoff_sim(&directory, &args);
        assert_eq!(output.status.code(), Some(1));
        stderrs.push(text(&output.stderr));
    }
    assert_eq!(stderrs[0], stderrs[1].replace("jobs2", "jobs1"), "the same failures are shown with 1 and 2 jobs");
    let (one, two) = (listing(&directory.join("jobs1")), listing(&directory.join("jobs2")));
    assert_eq!(one, two, "the same files are kept with 1 and 2 jobs");
    assert_eq!(one.len(), sim::failures::FILES_MAX);

    let failing = Mutex::new(Vec::new());
    let summary = sim::sweep::sweep(0..2500, 2, None, Mutant::from_name(mutant).unwrap(), &|failure| {
        failing.lock().unwrap().push(failure.config);
    })
    .unwrap();
    assert!(summary.failing_runs() > sim::failures::FILES_MAX as u64, "enough failures to pass the bound");
    let mut failing = failing.into_inner().unwrap();
    failing.sort_by_key(|config| config.seed);
    let mut expected: Vec<String> =
        failing.iter().take(sim::failures::FILES_MAX).map(sim::failures::file_name).collect();
    expected.sort();
    assert_eq!(one, expected, "the smallest failing seeds are kept");
    let shown: Vec<&str> = stderrs[0].lines().filter(|line| line.starts_with("FAIL seed ")).collect();
    assert_eq!(shown.len(), 3);
    for (line, config) in shown.iter().zip(&failing) {
        assert!(line.starts_with(&format!("FAIL seed {} ", config.seed)), "{line}");
    }

    let other = "no-abort-at-zero";
    let args = ["sweep", "--seeds", "0..200", "--jobs", "2", "--mutant", other, "--failures", "jobs1"];
    let output = logoff_sim(&directory, &args);
    assert_eq!(output.status.code(), Some(1));
    let after = listing(&directory.join("jobs1"));
    let others = after.iter().filter(|name| name.ends_with(&format!("-{other}.seed"))).count();
    assert!(others > 0);
    assert_eq!(after.len(), sim::failures::FILES_MAX + others, "no file was overwritten");
}

/// Shows that `--profile` refuses a knob given twice and an empty item, as a script's `profile` line does (issue 7,
/// item 6).
#[test]
fn the_profile_option_refuses_what_scripts_refuse() {
    let directory = scratch("profile");
    for (profile, fragment) in [
        ("call_site=eager,call_site=deferred", "knob call_site is set twice"),
        ("call_site=eager,,orderly=drain", "empty item"),
        ("call_site=eager,", "empty item"),
    ] {
        let output = logoff_sim(&directory, &["run", "--seed", "1", "--profile", profile]);
        assert_eq!(output.status.code(), Some(2), "{profile}");
        assert!(text(&output.stderr).contains(fragment), "{profile}: {}", text(&output.stderr));
    }
}

/// Shows that counts are written in the singular where they are one (issue 7, item 12): "1 job".
#[test]
fn one_job_is_singular() {
    let directory = scratch("singular");
    let output = logoff_sim(&directory, &["sweep", "--seeds", "0..10", "--jobs", "1"]);
    assert!(text(&output.stdout).contains(" with 1 job; "), "{}", text(&output.stdout));
}

/// Shows that `list` and `--help` name every value the options take and the exit codes of every command (issue
/// 7, "--help").
#[test]
fn help_and_list_name_every_value() {
    let directory = scratch("help");
    let mutants = text(&logoff_sim(&directory, &["list", "mutants"]).stdout);
    let run_help = text(&logoff_sim(&directory, &["run", "--help"]).stdout);
    for mutant in Mutant::ALL {
        assert!(mutants.contains(mutant.name()), "{mutant}");
        assert!(run_help.contains(mutant.name()), "run --help lists {mutant}");
    }
    let knobs = text(&logoff_sim(&directory, &["list", "knobs"]).stdout);
    for knob in Profile::KNOBS {
        assert!(knobs.contains(knob), "{knob}");
        assert!(run_help.contains(knob), "run --help describes {knob}");
    }
    let invariants = text(&logoff_sim(&directory, &["list", "invariants"]).stdout);
    for invariant in sim::invariants::Invariant::ALL {
        assert!(invariants.contains(invariant.name()), "{invariant}");
    }
    for command in ["run", "sweep", "replay", "script", "shrink", "mutants", "list"] {
        let help = text(&logoff_sim(&directory, &[command, "--help"]).stdout);
        assert!(help.contains("Exit codes: 0"), "{command} --help names its exit codes");
    }
}

/// Shows that the project stands on its own: no file of the repository refers to a path outside it (the
/// specification used to be read from a sibling directory), and the documents the help names exist.
#[test]
fn no_file_refers_to_a_path_outside_the_repository() {
    let root = common::workspace_dir("");
    let mut offending = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(directory) = stack.pop() {
        for entry in std::fs::read_dir(&directory).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                if !matches!(name.as_str(), "target" | ".git" | "corpus" | "artifacts") {
                    stack.push(path);
                }
                continue;
            }
            let Ok(contents) = std::fs::read_to_string(&path) else { continue };
            for (number, line) in contents.lines().enumerate() {
                // This test names the patterns it looks for; it is the only file allowed to.
                if name == "cli.rs" {
                    continue;
                }
                if line.contains("../shared") || line.contains("/work/") || line.contains("shared/SPEC") {
                    offending.push(format!("{}:{}: {line}", path.display(), number + 1));
                }
            }
        }
    }
    assert!(offending.is_empty(), "files that refer outside the repository:\n{}", offending.join("\n"));
    for document in ["docs/SPEC.md", "docs/MODEL.md", "sim-seeds/README.md"] {
        assert!(root.join(document).exists(), "{document}");
    }
}

/// Shows that help and version go through the same careful output as everything else: a full standard output is
/// exit 2, not 0. (A closed standard output cannot be told from /dev/null: Rust's runtime reopens a closed one there
/// before `main`.)
#[test]
fn help_to_a_full_output_is_an_error() {
    if !Path::new("/dev/full").exists() {
        common::skip("help_to_a_full_output_is_an_error", "this system has no /dev/full");
        return;
    }
    let directory = scratch("help-full");
    for args in [&["--help"][..], &["--version"], &["list", "mutants"]] {
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
        let output = command(&directory).args(args).stdout(full).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
}

/// Shows that `-` is refused as an output path (it would make a file named `-`), and that standard input may be
/// named at most once as an input (the second read would find it empty).
#[test]
fn dashes_are_refused_where_they_cannot_work() {
    let directory = scratch("dashes");
    for args in [
        &["shrink", "x.seed", "--out", "-"][..],
        &["run", "--seed", "1", "--emit-script", "-"],
        &["run", "--seed", "1", "--save-seed", "-", "--why", "kept"],
        &["replay", "-", "-"],
        &["script", "-", "-"],
    ] {
        let output = logoff_sim(&directory, args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(!directory.join("-").exists(), "{args:?}");
    }
}

/// Shows that a command-line error quotes a huge value only in part.
#[test]
fn command_line_errors_are_short() {
    let directory = scratch("short");
    let huge = "x".repeat(100_000);
    for args in [
        &["run", "--seed", "1", "--profile", &huge][..],
        &["run", "--seed", "1", "--mutant", &huge],
        &["run", "--seed", "1", "--save-seed", "s.seed", "--why", &format!("{huge}\n")],
    ] {
        let output = logoff_sim(&directory, args);
        assert_eq!(output.status.code(), Some(2));
        assert!(output.stderr.len() < 4_000, "{} bytes", output.stderr.len());
    }
}

/// Shows `explore` through the binary: 0 and "exhaustive: yes" for the reference model at a small bound; 1 for a
/// mutant, with its counterexample written as a script before it is reported, and that script breaking the same
/// invariant under `logoff-sim script`; one JSON document with `--json`; 2 for a bound out of range.
#[test]
fn explore_exits_by_its_verdict_and_writes_counterexamples() {
    let directory = scratch("explore");
    let small = ["--clients", "1", "--transports", "1", "--messages", "1", "--other", "0", "--references", "1"];
    let output = logoff_sim(&directory, &[&["explore"][..], &small].concat());
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("unique states: 323\n"), "{}", text(&output.stdout));
    assert!(text(&output.stdout).contains("exhaustive: yes"));

    let output = logoff_sim(&directory, &[&["explore", "--mutant", "late-return", "--out", "ce"][..], &small].concat());
    assert_eq!(output.status.code(), Some(1));
    let written = listing(&directory.join("ce"));
    let script = written.iter().find(|name| name.ends_with("-liveness.scn")).expect("a liveness counterexample");
    assert!(written.iter().any(|name| name.ends_with("-liveness.seed")), "{written:?}");
    let replay = logoff_sim(&directory, &["script", "--mutant", "late-return", &format!("ce/{script}")]);
    assert_eq!(replay.status.code(), Some(1));
    assert!(text(&replay.stderr).contains("liveness (R21)"), "{}", text(&replay.stderr));

    let output = logoff_sim(&directory, &[&["explore", "--json"][..], &small].concat());
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).expect("one JSON document");
    assert_eq!(document["unique_states"], 323);
    assert_eq!(document["exhaustive"], true);

    let output = logoff_sim(&directory, &["explore", "--clients", "5"]);
    assert_eq!(output.status.code(), Some(2));
}

/// Shows `diff` through the binary: a witness for a knob (exit 0, the script printed and written), and exit 1 when
/// two readings cannot be told apart within the bound (A6 with no transport).
#[test]
fn diff_prints_a_witness_or_says_there_is_none() {
    let directory = scratch("diff");
    let output = logoff_sim(&directory, &["diff", "--knob", "input", "--out", "w.scn"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains("c0 logoff QUIET|COMPLETE\nexpect c0 returned S_OK\n"),
        "{}",
        text(&output.stdout)
    );
    assert_eq!(std::fs::read_to_string(directory.join("w.scn")).unwrap(), text(&output.stdout));
    let replay = logoff_sim(&directory, &["script", "w.scn"]);
    assert_eq!(replay.status.code(), Some(0), "{}", text(&replay.stderr));
    let args = ["diff", "--profile", "default", "--profile", "transport_logoff_flags=normal", "--transports", "0"];
    let output = logoff_sim(&directory, &args);
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stdout).starts_with("no difference within"), "{}", text(&output.stdout));
}

/// Shows the help that teaches (issue 9, item 6): `logoff-sim` alone prints a short guide to the three ways to use
/// the project, and every subcommand's help has an example that names a real file or value.
#[test]
fn help_teaches() {
    let directory = scratch("guide");
    let output = logoff_sim(&directory, &[]);
    assert_eq!(output.status.code(), Some(0));
    let guide = text(&output.stdout);
    for needed in ["cargo test --workspace", "replay", "cargo insta review", "cargo install cargo-insta"] {
        assert!(guide.contains(needed), "the guide names {needed}: {guide}");
    }
    for command in ["run", "sweep", "merge", "replay", "script", "shrink", "mutants", "explore", "diff", "list"] {
        let help = text(&logoff_sim(&directory, &[command, "--help"]).stdout);
        let example = help.lines().skip_while(|line| *line != "Example:").nth(1).unwrap_or_default();
        assert!(example.contains(&format!("logoff-sim -- {command}")), "{command}: {help}");
        // The files an example names exist in the repository.
        for word in example.split_whitespace().filter(|w| w.ends_with(".scn") || w.ends_with(".seed")) {
            if word.starts_with("tests/") || word.starts_with("sim-seeds/") {
                assert!(common::workspace_dir(word).exists(), "{command}: {word}");
            }
        }
    }
}

/// Shows the progress bar (issue 9, item 1): on a terminal (a pseudo-terminal made by `script`) a sweep draws it on
/// standard error, with `--quiet` it does not, and without a terminal nothing but the summary is written; the
/// summary itself is the same either way.
#[test]
fn progress_is_drawn_only_on_a_terminal() {
    let directory = scratch("progress");
    let has_script = Command::new("script").arg("--version").output().is_ok_and(|o| o.status.success());
    if !has_script {
        common::skip("progress_is_drawn_only_on_a_terminal", "no `script` command (util-linux) to make a terminal");
        return;
    }
    let sweep = |quiet: bool| {
        let command = format!("'{BIN}' sweep --seeds 0..100000 --jobs 1{}", if quiet { " --quiet" } else { "" });
        let output = Command::new("script")
            .current_dir(&directory)
            .env_remove("CARGO_TARGET_DIR")
            .args(["-qec", &command, "/dev/null"])
            .output()
            .expect("script runs");
        text(&output.stdout)
    };
    let (drawn, quiet) = (sweep(false), sweep(true));
    assert!(drawn.contains("/100000 seeds"), "a bar on the terminal: {drawn}");
    assert!(!quiet.contains("/100000 seeds"), "no bar with --quiet: {quiet}");
    let summary = |screen: &str| -> Vec<String> {
        // A cleared bar leaves its erasing sequence at the start of the next line: read from the label on.
        screen
            .lines()
            .filter_map(|line| {
                ["failing runs:", "runs:", "steps:"]
                    .iter()
                    .find_map(|label| line.find(label).map(|at| line[at..].to_string()))
            })
            .collect()
    };
    assert_eq!(summary(&drawn), summary(&quiet));
    let piped = logoff_sim(&directory, &["sweep", "--seeds", "0..2000", "--jobs", "1"]);
    assert_eq!(text(&piped.stderr), "", "nothing on a standard error that is not a terminal");
}

/// Shows `script --format json` and `replay --format json` (issue 9, item 2): one document for all the files, each
/// with its status and exit code, and the largest code as the document's and the process's.
#[test]
fn script_and_replay_print_one_json_document() {
    let directory = scratch("json-files");
    std::fs::write(directory.join("pass.scn"), "c0 addref\nexpect store open\n").unwrap();
    std::fs::write(directory.join("fail.scn"), "c0 addref\nexpect store invalid\n").unwrap();
    std::fs::write(directory.join("bad.scn"), "c0 jump\n").unwrap();
    let output = logoff_sim(&directory, &["script", "--format", "json", "pass.scn", "fail.scn", "bad.scn"]);
    assert_eq!(output.status.code(), Some(2));
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).expect("one JSON document");
    assert_eq!((document["schema_version"].as_u64(), document["command"].as_str()), (Some(1), Some("script")));
    let statuses: Vec<&str> =
        document["files"].as_array().unwrap().iter().map(|f| f["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["ok", "failed", "malformed"]);
    assert_eq!(document["files"][0]["steps"], 1);
    assert_eq!(document["exit_code"], 2);

    let seed = common::workspace_dir("sim-seeds/purge-blocked.seed");
    let output = logoff_sim(&directory, &["replay", "--format", "json", &seed.display().to_string()]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).expect("one JSON document");
    assert_eq!(document["command"], "replay");
    assert_eq!(document["files"][0]["status"], "ok");
}
