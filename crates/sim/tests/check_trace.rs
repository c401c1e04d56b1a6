//! `logoff-sim check-trace` (issue 10, item 5): the log of every checked-in run is accepted under the profiles that
//! explain it, a log of a mutant's run or a tampered log is refused at the right line, and `run`'s own output is a
//! log.

use std::io::Write;
use std::process::{Command, Stdio};

use sim::check_trace::{self, Verdict};
use sim::render::{render, Picture};

mod common;

/// Every checked-in scenario script and seed file, parsed, with its mutant (a seed file names its own).
fn checked_in_runs() -> Vec<sim::script::Script> {
    let mut runs = Vec::new();
    for path in common::files("tests/scenarios", "scn") {
        let name = path.display().to_string();
        runs.push(sim::script::parse(&std::fs::read(&path).unwrap(), &name).unwrap());
    }
    for path in common::files("sim-seeds", "seed") {
        let name = path.display().to_string();
        runs.push(sim::seedfile::SeedFile::parse(&std::fs::read(&path).unwrap(), &name).unwrap().script);
    }
    runs
}

fn checked(log: &str, name: &str) -> Verdict {
    check_trace::check(&check_trace::read(log.as_bytes(), name).unwrap_or_else(|e| panic!("{e}")))
}

/// Shows that the log of every checked-in run of the reference model is allowed, under its own profile among
/// others; and that the log of every mutant's run is refused, at a step line of the log.
#[test]
fn every_checked_in_run_is_allowed_and_every_mutant_run_refused() {
    let (mut allowed, mut refused) = (0, 0);
    for script in checked_in_runs() {
        let log = render(&script, &script.file, Picture::Log);
        match (script.mutant, checked(&log, &script.file)) {
            (logoff_core::Mutant::None, Verdict::Allowed(profiles, _)) => {
                assert!(profiles.contains(&script.profile), "{}: not under its own profile", script.file);
                allowed += 1;
            }
            (logoff_core::Mutant::None, Verdict::Unexplained(at)) => panic!("{}: {at:?}\n{log}", script.file),
            (_, Verdict::Unexplained(at)) => {
                let line = log.lines().nth(at.line - 1).unwrap();
                assert!(line.starts_with(&at.step), "{}: line {} is `{line}`", script.file, at.line);
                refused += 1;
            }
            // A mutant whose mistake shows only in a state the run never reached, or only to liveness.
            (_, Verdict::Allowed(..) | Verdict::NeverReturns(..)) => {}
        }
    }
    assert!(allowed >= 77, "{allowed} runs allowed");
    assert!(refused >= 1, "no mutant run refused");
}

/// Shows that a tampered log is refused at the tampered line: a return the model never makes (MAPI_E_NO_SUPPORT
/// for an S_OK) and a dropped effect.
#[test]
fn a_tampered_log_is_refused_at_the_right_line() {
    for script in checked_in_runs().into_iter().filter(|s| s.mutant == logoff_core::Mutant::None).take(40) {
        let log = render(&script, &script.file, Picture::Log);
        let lines: Vec<&str> = log.lines().collect();
        let Some(at) = lines.iter().position(|l| l.contains(" returned S_OK")) else { continue };
        let mut tampered: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        tampered[at] = tampered[at].replacen(" returned S_OK", " returned MAPI_E_NO_SUPPORT", 1);
        let Verdict::Unexplained(found) = checked(&tampered.join("\n"), &script.file) else {
            panic!("{}: the tampered log was allowed", script.file)
        };
        assert_eq!(found.line, at + 1, "{}: {found:?}", script.file);
        assert!(found.expected.contains(" returned S_OK"), "{found:?}");
        // Drop the last effect of the first step line that has two or more.
        let Some(at) = lines.iter().position(|l| l.contains(" -> ") && l.contains("; ")) else { continue };
        let mut tampered: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        let cut = tampered[at].rfind("; ").unwrap();
        tampered[at].truncate(cut);
        let Verdict::Unexplained(found) = checked(&tampered.join("\n"), &script.file) else {
            panic!("{}: the log with a dropped effect was allowed", script.file)
        };
        assert_eq!(found.line, at + 1, "{}: {found:?}", script.file);
    }
}

fn check_trace_cli(log: &[u8]) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_logoff-sim"))
        .args(["check-trace", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(log).unwrap();
    child.wait_with_output().unwrap()
}

/// Shows that what `run` prints is a log that check-trace accepts under the run's own profile, and that a log it
/// cannot read is refused with the line and what was expected (exit 2).
#[test]
fn run_output_is_a_log_and_bad_logs_are_refused() {
    for seed in [0u64, 14, 77, 1234] {
        let run = common::logoff_sim_in(&common::workspace_dir(""), &["run", "--seed", &seed.to_string()]);
        let checked = check_trace_cli(&run.stdout);
        let stdout = String::from_utf8_lossy(&checked.stdout);
        assert_eq!(checked.status.code(), Some(0), "seed {seed}: {}", String::from_utf8_lossy(&checked.stderr));
        assert!(stdout.contains(": allowed ("), "{stdout}");
    }
    let output = check_trace_cli(b"c0 release -> c0 release returned 0\n");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no setup"), "{output:?}");
    let output = check_trace_cli(b"setup clients=1 transports=1 inbox=yes other=0\nc0 explode -> x\n");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("<stdin>:2:"), "{output:?}");
}

/// Shows the edges of the log format: a line with effects and no step is refused (it used to shift every later
/// line's effects onto the wrong step), a log over 1 MiB is refused rather than cut, a byte-order mark and extra
/// spaces are accepted, and a `profile` line is read.
#[test]
fn the_edges_of_the_log_format() {
    let setup = "setup clients=1 transports=1 inbox=yes other=0\n";
    let shifted = format!("{setup} -> c0 addref returned 2\nc0 addref -> c0 release returned 1\n");
    let error = check_trace::read(shifted.as_bytes(), "shift.log").unwrap_err();
    assert!(error.starts_with("shift.log:2: error: no step"), "{error}");
    let tick_only = format!("{setup}[t=000001] \n");
    assert!(check_trace::read(tick_only.as_bytes(), "tick.log").unwrap_err().starts_with("tick.log:2:"));

    let spaced = format!("\u{feff}{setup}profile default\nc0 addref  ->   c0 addref  returned 2\n");
    assert_eq!(checked(&spaced, "spaced.log"), Verdict::Allowed(vec![logoff_core::Profile::default()], None));

    let mut long = setup.to_string();
    while long.len() <= sim::text::FILE_BYTES_MAX {
        long.push_str("other open\nother close\n");
    }
    let error = check_trace::read(long.as_bytes(), "long.log").unwrap_err();
    assert!(error.contains("longer than"), "{error}");
}

/// Shows the JSON-lines form of a log: the same verdicts, at the same lines, as the text form.
#[test]
fn the_json_lines_form_is_read_line_for_line() {
    let mut compared = 0;
    for script in checked_in_runs().into_iter().take(30) {
        let log = render(&script, &script.file, Picture::Log);
        let json: Vec<String> = log
            .lines()
            .map(|line| {
                if let Some(rest) = line.strip_prefix("setup ") {
                    let field = |key: &str| {
                        rest.split_whitespace().find_map(|kv| kv.strip_prefix(&format!("{key}="))).unwrap().to_string()
                    };
                    format!(
                        r#"{{"setup":{{"clients":{},"transports":{},"inbox":{},"other":{}}}}}"#,
                        field("clients"),
                        field("transports"),
                        field("inbox") == "yes",
                        field("other")
                    )
                } else if line.starts_with('#') {
                    String::new()
                } else {
                    let (step, caused) = line.split_once(" -> ").unwrap_or((line, ""));
                    let value = match caused.strip_prefix("rejected: ") {
                        Some(why) => serde_json::json!({ "step": step, "rejected": why }),
                        None if caused.is_empty() => serde_json::json!({ "step": step, "effects": [] }),
                        None => serde_json::json!({ "step": step, "effects": caused.split("; ").collect::<Vec<_>>() }),
                    };
                    value.to_string()
                }
            })
            .collect();
        assert_eq!(checked(&json.join("\n"), &script.file), checked(&log, &script.file), "{}", script.file);
        compared += 1;
    }
    assert_eq!(compared, 30);
    let error = check_trace::read(
        b"{\"setup\":{\"clients\":1,\"transports\":1,\"inbox\":true,\"other\":0}}\n{\"effects\":[]}\n",
        "x.jsonl",
    )
    .unwrap_err();
    assert!(error.starts_with("x.jsonl:2: error: no \"step\""), "{error}");
}

fn stdout_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Shows that a `profile` line restricts the judgement to the profile it names (issue 14, item 20: it was skipped,
/// and the log judged under every profile): a log allowed under some profiles is allowed under the named one alone, and
/// refused at the right line when the named one does not explain it; a `profile` line after a step is refused.
#[test]
fn a_profile_line_restricts_the_judgement() {
    let setup = "setup clients=1 transports=1 inbox=yes other=0\n";
    // Allowed under both values of A2 without a profile line.
    let steps = "c0 logoff ORDERLY -> c0 logoff returned S_OK 0\n";
    let output = check_trace_cli(format!("{setup}{steps}").as_bytes());
    assert!(
        stdout_of(&output).contains("under 256 of 1024 profiles: call_site=deferred orderly=drain|keep "),
        "{output:?}"
    );
    let output = check_trace_cli(format!("{setup}profile orderly=drain\n{steps}").as_bytes());
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let expected = "under the profile of line 2: call_site=deferred orderly=drain abort=refuse";
    assert!(stdout_of(&output).contains(expected), "{output:?}");
    let log = check_trace::read(format!("{setup}profile orderly=drain\n{steps}").as_bytes(), "p.log").unwrap();
    let drain: logoff_core::Profile = "orderly=drain".parse().unwrap();
    assert_eq!(log.profile, Some((2, drain)));
    assert_eq!(check_trace::check(&log), Verdict::Allowed(vec![drain], None));

    // The logoff is explained under storelogoff_out=none only: a log that names `complete` is refused there.
    let output = check_trace_cli(format!("{setup}profile storelogoff_out=complete\n{steps}").as_bytes());
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = stderr_of(&output);
    assert!(stderr.starts_with("<stdin>:3: the profile of line 2 does not explain this line"), "{stderr}");
    assert!(stderr.contains("; under it the model says `c0 logoff returned S_OK "), "{stderr}");

    let late = check_trace_cli(format!("{setup}{steps}profile default\n").as_bytes());
    assert_eq!(late.status.code(), Some(2), "{late:?}");
    assert!(stderr_of(&late).starts_with("<stdin>:3:1: error: `profile` after a step"), "{late:?}");
}

/// Shows that malformed logs are refused with exit 2, naming the line (and the column of a text log) and what was
/// expected (issue 14, item 20): CR line ends (it said "no setup"), a CR or a NUL inside effects (exit 1 before),
/// a JSON `rejected` or `step` of the wrong type (`"rejected": true` gave "caused ``"), a control character in a
/// JSON string, and a log with no step (a JSON one was reported at line 3 of a one-line file).
#[test]
fn malformed_logs_are_refused_at_their_line() {
    let setup = "setup clients=1 transports=1 inbox=yes other=0";
    let cases: Vec<(String, &str, &str)> = vec![
        (
            format!("{setup}\rc0 addref -> c0 addref returned 2\r"),
            "<stdin>:1:47: error: control character U+000D",
            "LF or CRLF line ends",
        ),
        (
            format!("# a run\r{setup}\rc0 addref -> c0 addref returned 2\r"),
            "<stdin>:1:8: error: control character U+000D",
            "LF or CRLF line ends",
        ),
        (
            format!("{setup}\nc0 addref -> c0 addref\rreturned 2\n"),
            "<stdin>:2:23: error: control character U+000D",
            "LF or CRLF",
        ),
        (
            format!("{setup}\nc0 addref -> c0 addref returned 2\0\n"),
            "<stdin>:2:34: error: control character U+0000",
            "LF or CRLF",
        ),
        (format!("{setup}\n"), "<stdin>: error: the log has no step", "STEP -> EFFECTS"),
    ];
    let json_setup = r#"{"setup":{"clients":1,"transports":1,"inbox":true,"other":0}}"#;
    let json_cases: Vec<(String, &str, &str)> = vec![
        (
            format!("{json_setup}\n{{\"step\":\"c0 addref\",\"rejected\":true}}\n"),
            "<stdin>:2: error: \"rejected\" is a boolean (true)",
            "expected a string",
        ),
        (
            format!("{json_setup}\n{{\"step\":7,\"effects\":[]}}\n"),
            "<stdin>:2: error: \"step\" is a number (7)",
            "expected a string",
        ),
        (
            format!("{json_setup}\n{{\"step\":\"c0 addref\",\"effects\":[\"c0 addref\\u0000returned 2\"]}}\n"),
            "<stdin>:2: error: \"effects\" holds the control or invisible character U+0000",
            "one line",
        ),
        (
            format!("{json_setup}\n{{\"step\":\"c0 addref\",\"rejected\":\"x\",\"effects\":[\"y\"]}}\n"),
            "<stdin>:2: error: a step both rejected and with effects",
            "one of them",
        ),
        (json_setup.to_string(), "<stdin>: error: the log has no step", "STEP -> EFFECTS"),
    ];
    for (log, starts, expected) in cases.iter().chain(&json_cases) {
        let output = check_trace_cli(log.as_bytes());
        let stderr = stderr_of(&output);
        assert_eq!(output.status.code(), Some(2), "{log:?}: {stderr}");
        assert!(stderr.starts_with(starts) && stderr.contains(expected), "{log:?}: {stderr}");
    }
}

/// Shows that calls still in progress at the end of an allowed log are named, with whether the model lets them
/// return (issue 14, item 20: such a log was "allowed" without a word); a log that ends with none says nothing.
#[test]
fn calls_still_in_progress_at_the_end_are_named() {
    let log = "setup clients=1 transports=1 inbox=yes other=0\n\
               c0 submit m0 -> c0 submit returned S_OK 0\n\
               spooler send m0 t0\n\
               c0 logoff ORDERLY -> c0 logoff returned S_OK 0\n\
               c0 release -> transports-called ORDERLY by c0 release; reception-disabled\n";
    let output = check_trace_cli(log.as_bytes());
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let stdout = stdout_of(&output);
    assert!(stdout.contains("allowed (4 steps) under 256 of 1024 profiles"), "{stdout}");
    assert!(
        stdout.contains(
            "still in progress at the end of the log: c0 release, StoreLogoffTransports ORDERLY for c0 release; \
             the model lets them return if the run goes on"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("under 256 of these 256 profiles"), "{stdout}");
    let Verdict::Allowed(profiles, Some(blocked)) = checked(log, "blocked.log") else { panic!("{log}") };
    assert_eq!(blocked.returning, profiles);
    assert_eq!(blocked.stuck, None);

    // The send completing and the release returning: nothing left in progress.
    let finished = format!(
        "{log}t0 sent m0 -> store-released; transports-returned COMPLETE; store-invalidated; store-destroyed; c0 \
         release returned 0\n"
    );
    let output = check_trace_cli(finished.as_bytes());
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(!stdout_of(&output).contains("still in progress"), "{output:?}");
    assert!(matches!(checked(&finished, "finished.log"), Verdict::Allowed(_, None)));
}
