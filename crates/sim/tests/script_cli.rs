//! `logoff-sim script` (SPEC.md section 6): through the binary, its wiring (exit codes, messages, standard input,
//! several files); in-process, the malformed inputs (the library's parser, the same messages) and that no input
//! makes the parser or the runner panic.

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;

/// What one `logoff-sim script` invocation did.
struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Writes the files into a directory of their own and runs `logoff-sim script` on them, in the order given.
fn script_files(files: &[(&str, &[u8])]) -> Ran {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let run = RUNS.fetch_add(1, Ordering::Relaxed);
    let directory = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("script_cli-{}-{run}", std::process::id()));
    std::fs::create_dir_all(&directory).expect("the test directory can be created");
    let mut command = Command::new(env!("CARGO_BIN_EXE_logoff-sim"));
    command.current_dir(&directory).arg("script");
    for (name, contents) in files {
        std::fs::write(directory.join(name), contents).expect("the fixture can be written");
        command.arg(name);
    }
    let output = command.output().expect("logoff-sim runs");
    Ran {
        code: output.status.code().expect("logoff-sim exits with a code"),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs one file called `test.scn`.
fn script(text: &str) -> Ran {
    script_files(&[("test.scn", text.as_bytes())])
}

/// What `logoff-sim script` does with one file named `test.scn`, in-process: the library's parser, then, for a file
/// that parses, the run with every invariant after every step and liveness after the last (as the command does);
/// the exit code and the message (empty for a pass). The command's wiring is tested through the binary above.
fn script_in_process(source: &[u8]) -> (u8, String) {
    match sim::script::parse(source, "test.scn") {
        Err(error) => (2, error.to_string()),
        Ok(script) => match sim::liveness::verify_script(&script) {
            Ok(_) => (0, String::new()),
            Err(error) => (error.exit_code(), error.to_string()),
        },
    }
}

/// Asserts that a file is malformed: exit 2 (so nothing on stdout), and exactly one message of the form
/// `test.scn:LINE:COLUMN: error: ...; expected ...` that contains `fragment`. In-process: no binary is started.
fn assert_malformed(text: &str, line: usize, column: usize, fragment: &str) {
    assert_malformed_bytes(text.as_bytes(), line, column, fragment);
}

fn assert_malformed_bytes(source: &[u8], line: usize, column: usize, fragment: &str) {
    let (code, message) = script_in_process(source);
    // Only the start of the file is shown: some fixtures are a megabyte long.
    let shown: String = String::from_utf8_lossy(source).chars().take(200).collect();
    assert_eq!(code, 2, "for:\n{shown}\nmessage: {message}");
    assert_eq!(message.lines().count(), 1, "one message for:\n{shown}\nmessage: {message}");
    let prefix = format!("test.scn:{line}:{column}: error: ");
    assert!(message.starts_with(&prefix), "{prefix:?} for:\n{shown}\nmessage: {message}");
    assert!(message.contains("; expected "), "says what was expected: {message}");
    assert!(message.contains(fragment), "{fragment:?} in: {message}");
}

/// Shows a passing file: exit 0 and one `ok` line on stdout counting steps and expectations.
#[test]
fn a_passing_file_exits_0() {
    let ran = script(
        "profile call_site=eager orderly=drain   # SPEC.md section 6's example
setup clients=1 transports=2 inbox=yes other=0
c0 submit m1
spooler send m1 t0
c0 logoff ORDERLY
expect c0 pending

t0 sent m1
expect c0 returned S_OK COMPLETE
expect store invalid
",
    );
    assert_eq!(ran.stderr, "");
    assert_eq!(ran.stdout, "test.scn: ok (4 steps, 3 expectations)\n");
    assert_eq!(ran.code, 0);
}

/// Shows that a file without a step (empty, only blank lines and comments, or only headers and expectations) is
/// malformed, naming its last line: it would pass while testing nothing (issue 7, item 1).
#[test]
fn a_file_without_steps_is_malformed() {
    let cases = [
        ("", 1),
        ("\n\n", 2),
        ("# nothing here\n   \n", 2),
        ("profile abort=stop\nexpect store open\n", 2),
        ("\u{feff}# a byte-order mark, then nothing\n", 1),
    ];
    for (text, line) in cases {
        assert_malformed(text, line, 1, "the script has no step");
    }
}

/// Shows the accepted line ends (LF, CRLF) against every other separator and control character (issue 7, item 1):
/// the example file with its line ends turned into CR, VT, FF, NEL, LS or PS is malformed at line 1, and the same
/// file with a false expectation is malformed too, never a pass.
#[test]
fn only_lf_and_crlf_end_lines() {
    let example = "profile call_site=eager orderly=drain\nc0 submit m1\nspooler send m1 t0\nc0 logoff ORDERLY\n\
                   t0 sent m1\nexpect c0 returned S_OK COMPLETE\nexpect store invalid\n";
    assert_eq!(script(example).code, 0);
    assert_eq!(script(&example.replace('\n', "\r\n")).code, 0);
    let first_line_end = "profile call_site=eager orderly=drain".chars().count() + 1;
    for separator in ["\r", "\u{b}", "\u{c}", "\u{85}", "\u{2028}", "\u{2029}"] {
        for text in [example.to_string(), example.replace("store invalid", "store open")] {
            let joined = text.replace('\n', separator);
            assert_malformed(&joined, 1, first_line_end, " character U+");
        }
    }
    // A control character hidden in a comment is refused too: it is where a CR-only file hides its steps.
    assert_malformed("c0 release # a\u{7}bell\n", 1, 15, "control character U+0007");
}

/// Shows the bounds of a file (issue 7, item 7): a line past 4,096 bytes and a file past 1 MiB are malformed, and a
/// megabyte of zeros is refused without reading more than the bound; a 130,000-term flag word (1 MB) is refused quickly
/// by the line bound, and a long bad word is quoted as a short excerpt.
#[test]
fn long_lines_and_files_are_malformed() {
    let long_line = format!("c0 logoff {}\n", vec!["NO_WAIT"; 600].join("|"));
    assert_malformed(&long_line, 1, 4097, "the line is 4809 bytes long");
    let within = format!("c0 logoff {}\n", vec!["NO_WAIT"; 500].join("|"));
    assert_eq!(script(&within).code, 0, "a line within the bound is read");
    let big = "# padding padding padding padding padding padding\n".repeat(25_000);
    assert_malformed(&format!("c0 release\n{big}"), 20_973, 1, "the file is longer than 1048576 bytes");
    let huge = format!("c0 logoff {}\n", vec!["NO_WAIT"; 130_000].join("|"));
    let started = std::time::Instant::now();
    assert_malformed(&huge, 1, 4097, "bytes long");
    assert!(started.elapsed().as_secs() < 5, "took {:?}", started.elapsed());
    let ran = script(&format!("c0 {}\n", "x".repeat(4_000)));
    assert!(ran.stderr.contains(&format!("`{}...`", "x".repeat(40))), "{}", ran.stderr);
    assert!(ran.stderr.len() < 400, "a short message: {}", ran.stderr);
}

/// Shows that `-` reads a script from standard input, named `<stdin>` in messages, and that a byte-order mark is
/// skipped (issue 7, item 12).
#[test]
fn a_dash_reads_standard_input() {
    use std::io::Write;
    use std::process::Stdio;
    for (input, stdout) in [
        ("c0 release\nexpect store destroyed\n", "<stdin>: ok (1 step, 1 expectation)\n"),
        ("\u{feff}c0 release\n", "<stdin>: ok (1 step, 0 expectations)\n"),
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_logoff-sim"))
            .args(["script", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("logoff-sim runs");
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        let output = child.wait_with_output().unwrap();
        assert_eq!(String::from_utf8_lossy(&output.stderr), "");
        assert_eq!(String::from_utf8_lossy(&output.stdout), stdout);
    }
}

/// Shows that `expect mK unused` is an expectation a script can write (issue 7, item 12), and that it fails once
/// the name is used.
#[test]
fn expect_unused_is_an_expectation() {
    let ran = script("expect m3 unused\nc0 submit m3\nexpect m3 unused\n");
    assert_eq!(
        (ran.code, ran.stderr.as_str()),
        (1, "test.scn:3: expectation failed: expected m3 unused, found queued\n")
    );
}

/// Shows that a failing expectation exits 1 naming the file, the line, what was expected and what was found.
#[test]
fn a_failing_expectation_exits_1_naming_line_expected_and_found() {
    let ran = script("c0 logoff NO_WAIT\nexpect store open\nexpect c0 returned S_OK COMPLETE\nexpect store open\n");
    assert_eq!(ran.code, 1);
    assert_eq!(ran.stdout, "");
    assert_eq!(ran.stderr, "test.scn:3: expectation failed: expected c0 returned S_OK COMPLETE, found S_OK\n");
}

/// Shows the `found` side of the expectations whose subject has not happened: no call, no call in progress,
/// no StoreLogoffTransports call, an empty log.
#[test]
fn expectations_about_nothing_say_what_was_found() {
    let cases = [
        ("expect c0 returned S_OK", "expected c0 returned S_OK, found no call"),
        ("expect c0 pending", "expected c0 pending, found no call in progress"),
        ("expect transports-calls NO_WAIT", "expected transports-calls NO_WAIT, found none"),
        ("expect transports-returned COMPLETE", "expected transports-returned COMPLETE, found none"),
        ("expect t0 log make-invalid", "expected t0 log make-invalid, found none"),
        ("expect m0 queued", "expected m0 queued, found unused"),
        ("expect rejected", "expected rejected, found no step"),
    ];
    for (line, message) in cases {
        // The step after the expectation only makes the file a script: the expectation is checked before it.
        let ran = script(&format!("{line}\nc0 addref\n"));
        assert_eq!(ran.code, 1, "{line}");
        assert_eq!(ran.stderr, format!("test.scn:1: expectation failed: {message}\n"));
    }
}

/// Shows that `expect cN returned` fails with `found pending` while the client's StoreLogoff waits (A1 `eager`).
#[test]
fn returned_fails_as_pending_while_the_logoff_waits() {
    let ran = script("profile call_site=eager\nc0 submit m0\nspooler send m0 t0\nc0 logoff NO_WAIT\nexpect c0 returned S_OK COMPLETE\n");
    assert_eq!(ran.code, 1);
    assert_eq!(ran.stderr, "test.scn:5: expectation failed: expected c0 returned S_OK COMPLETE, found pending\n");
}

/// Shows that a step that is not enabled exits 1 naming the line, the step as written and the failed precondition.
#[test]
fn a_step_not_enabled_exits_1_naming_line_and_precondition() {
    let ran = script("c0 release\nexpect store destroyed\nc0   addref   # no reference left\n");
    assert_eq!(ran.code, 1);
    assert_eq!(ran.stderr, "test.scn:3: step not enabled: c0 addref: c0 holds no reference (R6)\n");
}

/// Shows that `expect rejected` accepts a step that is not enabled (even after blank and comment lines), which then
/// changed nothing, and fails after a step that was applied.
#[test]
fn expect_rejected_accepts_a_step_not_enabled_and_fails_after_an_enabled_one() {
    let ran = script("t0 sent m0\n\n# the transport is not sending\nexpect rejected\nexpect m0 queued\n");
    assert_eq!(
        (ran.code, ran.stderr.as_str()),
        (1, "test.scn:5: expectation failed: expected m0 queued, found unused\n")
    );

    let ran = script("t0 sent m0\nexpect rejected\nexpect transports-calls none\n");
    assert_eq!((ran.code, ran.stdout.as_str()), (0, "test.scn: ok (1 step, 2 expectations)\n"));

    let ran = script("c0 addref\nexpect rejected\n");
    assert_eq!(
        (ran.code, ran.stderr.as_str()),
        (1, "test.scn:2: expectation failed: expected rejected, found applied\n")
    );
}

/// Shows transport logs compared by value, not as text: prefixes, order of names and numbers are all the same.
#[test]
fn transport_logs_compare_by_value() {
    let ran = script(
        "profile transport_logoff_flags=normal
spooler flush t0 FLUSH_UPLOAD|DOWNLOAD
expect t0 log flush:DOWNLOAD|0x2
t0 flushed
spooler logoff t0
t0 logoff-returns error
expect t0 log flush:UPLOAD|FLUSH_DOWNLOAD discard-address-types logoff:LOGOFF_NORMAL
expect t0 log flush:6 discard-address-types logoff:0x1
expect t0 logged-off
",
    );
    assert_eq!((ran.code, ran.stderr.as_str()), (0, ""));
}

/// Shows that CRLF line ends, tabs and trailing comments read the same as plain lines.
#[test]
fn crlf_tabs_and_comments_read_the_same() {
    let ran = script("setup\tclients=2\r\n\tc1 logoff\tLOGOFF_QUIET # a comment\r\n#\r\nexpect c1 returned\t0x0 0\r\n");
    assert_eq!((ran.code, ran.stderr.as_str()), (0, ""));
    assert_eq!(ran.stdout, "test.scn: ok (1 step, 1 expectation)\n");
}

/// Shows that a malformed file runs no step at all: the step on line 1 is not enabled, but the file is reported as
/// malformed (exit 2) at line 3, and nothing else is said.
#[test]
fn a_malformed_file_runs_no_step() {
    assert_malformed("c0 release\nc0 release\nc0 jump\n", 3, 4, "unknown verb `jump`");
}

/// Shows that with several files each is reported and the exit code is the largest of theirs.
#[test]
fn several_files_exit_with_the_largest_code() {
    let pass: &[u8] = b"c0 addref\nexpect store open\n";
    let fail: &[u8] = b"c0 addref\nexpect store invalid\n";
    let malformed: &[u8] = b"expect store closed\nc0 addref\n";
    let ran = script_files(&[("pass.scn", pass), ("fail.scn", fail)]);
    assert_eq!(ran.code, 1);
    assert_eq!(ran.stdout, "pass.scn: ok (1 step, 1 expectation)\n");
    assert_eq!(ran.stderr, "fail.scn:2: expectation failed: expected store invalid, found open\n");

    let ran = script_files(&[("malformed.scn", malformed), ("fail.scn", fail), ("pass.scn", pass)]);
    assert_eq!(ran.code, 2);
    assert_eq!(ran.stdout, "pass.scn: ok (1 step, 1 expectation)\n");
    assert_eq!(ran.stderr.lines().count(), 2, "{}", ran.stderr);
    assert!(ran.stderr.starts_with("malformed.scn:1:14: error: unknown store state `closed`"), "{}", ran.stderr);

    let ran = script_files(&[("pass.scn", pass), ("also.scn", pass)]);
    assert_eq!(ran.code, 0);
}

/// Shows that a file that cannot be read exits 2 and names the file.
#[test]
fn a_missing_file_exits_2() {
    let output = Command::new(env!("CARGO_BIN_EXE_logoff-sim"))
        .args(["script", "/nonexistent/missing.scn"])
        .output()
        .expect("logoff-sim runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).starts_with("/nonexistent/missing.scn: error: cannot read"));
}

// ----- malformed files: exit 2, naming the line and the column -----

#[test]
fn malformed_unknown_verb() {
    assert_malformed("c0 addref\n  jump c0\n", 2, 3, "unknown verb `jump`");
    assert_malformed("spooler sned m0 t0\n", 1, 9, "unknown verb `sned` for the spooler");
    assert_malformed("other opens\n", 1, 7, "unknown verb for other `opens`");
}

#[test]
fn malformed_unknown_flag_name() {
    assert_malformed("c0 logoff NO_WAIT|SLOWLY\n", 1, 19, "unknown flag name `SLOWLY`");
    // FLUSH names are not LOGOFF names, and the other way round.
    assert_malformed("c0 logoff UPLOAD\n", 1, 11, "unknown flag name `UPLOAD`");
    assert_malformed("spooler flush t0 FLUSH_UPLOAD|LOGOFF_NO_WAIT\n", 1, 31, "unknown flag name `LOGOFF_NO_WAIT`");
    assert_malformed("expect t0 log logoff:ORDERLY\n", 1, 22, "unknown flag name `ORDERLY`");
}

#[test]
fn malformed_lowercase_flag_name() {
    assert_malformed("c0 logoff no_wait\n", 1, 11, "unknown flag name `no_wait` (flag names are upper case)");
    assert_malformed("expect c0 returned s_ok\n", 1, 20, "unknown HRESULT `s_ok`");
    assert_malformed("C0 addref\n", 1, 1, "unknown verb `C0`");
    assert_malformed("expect store Open\n", 1, 14, "unknown store state `Open`");
}

#[test]
fn malformed_unknown_knob() {
    assert_malformed("profile call_site=eager call_sites=eager\n", 1, 25, "unknown knob `call_sites`");
}

#[test]
fn malformed_unknown_knob_value() {
    assert_malformed("profile orderly=Drain\n", 1, 17, "unknown value `Drain` for knob orderly");
    assert_malformed("setup inbox=maybe\n", 1, 13, "unknown value `maybe` for inbox");
}

#[test]
fn malformed_unknown_expectation() {
    assert_malformed("expect weather fine\n", 1, 8, "unknown expectation `weather`");
    assert_malformed("expect c0 happy\n", 1, 11, "unknown expectation `happy` for a client");
    assert_malformed("expect t0 log sent\n", 1, 15, "unknown log item `sent`");
    assert_malformed("expect\n", 1, 7, "missing expectation");
}

#[test]
fn malformed_number_beyond_32_bits() {
    assert_malformed("c0 logoff NO_WAIT|0x100000000\n", 1, 19, "number `0x100000000` does not fit 32 bits");
    assert_malformed("expect c0 returned 4294967296\n", 1, 20, "does not fit 32 bits");
    assert_malformed("setup clients=99999999999\n", 1, 15, "does not fit 32 bits");
    // The largest 32-bit numbers are fine as numbers (here, they are invalid StoreLogoff flags).
    let ran = script("c0 logoff 0xFFFFFFFF\nexpect c0 returned 2147942487\n");
    assert_eq!((ran.code, ran.stderr.as_str()), (0, ""));
}

#[test]
fn malformed_bad_names() {
    assert_malformed("c01 addref\n", 1, 1, "bad client name `c01`");
    assert_malformed("spooler send x3 t0\n", 1, 14, "bad message name `x3`");
    assert_malformed("spooler send m1 t00\n", 1, 17, "bad transport name `t00`");
    assert_malformed("c0 submit m\n", 1, 11, "bad message name `m`");
    assert_malformed("expect c0 returned S_OK\nc0 submit m-1\n", 2, 11, "bad message name `m-1`");
}

#[test]
fn malformed_client_or_transport_beyond_setup() {
    assert_malformed("c1 addref\n", 1, 1, "client `c1` is beyond setup (clients=1)");
    assert_malformed(
        "setup clients=2\nc2 addref\n",
        2,
        1,
        "client `c2` is beyond setup (clients=2); expected c0 to c1",
    );
    assert_malformed("spooler logoff t1\n", 1, 16, "transport `t1` is beyond setup (transports=1); expected t0");
    assert_malformed(
        "setup transports=0\nexpect t0 logged-off\n",
        2,
        8,
        "transport `t0` is beyond setup (transports=0)",
    );
    // The setup of the whole file counts, even for an expectation written before it.
    let ran = script("expect c3 pending\nsetup clients=4\nc0 addref\n");
    assert_eq!(
        (ran.code, ran.stderr.as_str()),
        (1, "test.scn:1: expectation failed: expected c3 pending, found no call in progress\n")
    );
}

#[test]
fn malformed_message_beyond_the_model() {
    assert_malformed("c0 submit m32\n", 1, 11, "message `m32` is beyond the last message m31");
    let ran = script("c0 submit m31\nexpect m31 queued\n");
    assert_eq!((ran.code, ran.stderr.as_str()), (0, ""));
}

#[test]
fn malformed_setup_out_of_range() {
    assert_malformed("setup clients=0\n", 1, 7, "clients=0 is out of range; expected 1 to 4");
    assert_malformed("setup transports=4\n", 1, 7, "transports=4 is out of range; expected 0 to 3");
    assert_malformed("setup other=300\n", 1, 7, "other=300 is out of range");
    assert_malformed("setup clients=2 clients=3\n", 1, 17, "`clients` is set twice");
}

#[test]
fn malformed_profile_or_setup_repeated_or_after_a_step() {
    assert_malformed("profile\nprofile orderly=drain\n", 2, 1, "`profile` repeated (first at line 1)");
    assert_malformed("setup\nprofile\nsetup clients=2\n", 3, 1, "`setup` repeated (first at line 1)");
    assert_malformed("c0 addref\nsetup clients=2\n", 2, 1, "`setup` after a step (line 1)");
    assert_malformed("expect store open\nc0 addref\nprofile abort=stop\n", 3, 1, "`profile` after a step (line 2)");
    // Expectations are not steps: profile and setup may follow them.
    let ran = script("expect store open\nsetup clients=2\nprofile abort=stop\nc1 addref\n");
    assert_eq!((ran.code, ran.stderr.as_str()), (0, ""));
}

#[test]
fn malformed_invalid_utf8() {
    assert_malformed_bytes(b"c0 addref\nexpect store \xE9t\xE9\n", 2, 14, "not valid UTF-8");
    // A column counts characters, not bytes.
    assert_malformed_bytes(&["# é\nc0 addref # é \u{2014} ".as_bytes(), b"\xFF\n"].concat(), 2, 17, "not valid UTF-8");
}

#[test]
fn columns_count_characters() {
    assert_malformed("expect store \u{e9}t\u{e9} # ok\n", 1, 14, "unknown store state");
    assert_malformed("\u{e9}\u{e9}\tc0 addref\n", 1, 1, "unknown verb `\u{e9}\u{e9}`");
    assert_malformed("c0 logoff ORDERLY|\u{e9}|X\n", 1, 19, "unknown flag name `\u{e9}`");
    assert_malformed("c0 logoff ORDERLY|\u{e9}|\n", 1, 19, "unknown flag name");
}

#[test]
fn malformed_missing_or_extra_words() {
    assert_malformed("c0 logoff\n", 1, 10, "missing flags");
    assert_malformed("c0 logoff NO_WAIT ORDERLY\n", 1, 19, "unexpected `ORDERLY`; expected the end of the line");
    assert_malformed("c0 logoff NO_WAIT||ORDERLY\n", 1, 19, "empty flag term");
    assert_malformed("expect transports-calls\n", 1, 24, "missing modes");
    assert_malformed("expect transports-calls none NO_WAIT\n", 1, 25, "unknown mode `none`");
}

// ----- no input panics (in-process) -----

/// The words scripts are made of, right and wrong, for token soups.
const VOCABULARY: &[&str] = &[
    "profile",
    "setup",
    "expect",
    "spooler",
    "other",
    "c0",
    "c1",
    "c3",
    "c4",
    "c01",
    "t0",
    "t1",
    "t2",
    "t3",
    "m0",
    "m1",
    "m31",
    "m32",
    "m99999999999999999999",
    "x3",
    "addref",
    "release",
    "logoff",
    "submit",
    "arrive",
    "send",
    "sent",
    "send-failed",
    "receive",
    "received",
    "flush",
    "flushed",
    "logoff-returns",
    "ok",
    "error",
    "open",
    "close",
    "returned",
    "pending",
    "transports-calls",
    "transports-returned",
    "store",
    "reception",
    "rejected",
    "log",
    "none",
    "enabled",
    "disabled",
    "logging-off",
    "invalid",
    "destroyed",
    "queued",
    "sending",
    "available",
    "receiving",
    "delivered",
    "logged-on",
    "logged-off",
    "flush:UPLOAD",
    "flush:",
    "logoff:0",
    "logoff:NORMAL|HURRY",
    "discard-address-types",
    "make-invalid",
    "release-support",
    "NO_WAIT",
    "ORDERLY",
    "PURGE",
    "ABORT",
    "QUIET",
    "LOGOFF_COMPLETE",
    "COMPLETE|OUTBOUND_QUEUE",
    "UPLOAD|DOWNLOAD",
    "0",
    "0x",
    "0x1F",
    "4294967296",
    "|",
    "||",
    "S_OK",
    "MAPI_E_BUSY",
    "clients=2",
    "clients=0",
    "transports=0",
    "transports=3",
    "inbox=no",
    "other=3",
    "other=",
    "call_site=eager",
    "orderly=drain",
    "abort=stop",
    "zero_call=until_complete",
    "=",
    "#",
    "\u{e9}",
    "\r",
    "\t",
];

/// A line made of vocabulary words; most are nonsense, some are steps and expectations.
fn soup_line() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(VOCABULARY), 0..7).prop_map(|words| words.join(" "))
}

/// Lines that are mostly valid steps and expectations, so that runs go deep into the model.
fn plausible_line() -> impl Strategy<Value = String> {
    let client = prop::sample::select(&["c0", "c1"][..]);
    let transport = prop::sample::select(&["t0", "t1"][..]);
    let message = (0u8..4).prop_map(|m| format!("m{m}"));
    let mode = prop::sample::select(&["NO_WAIT", "ORDERLY", "PURGE", "ABORT", "QUIET", "0", "NO_WAIT|ABORT"][..]);
    prop_oneof![
        (client.clone(), prop::sample::select(&["addref", "release"][..])).prop_map(|(c, v)| format!("{c} {v}")),
        (client.clone(), mode).prop_map(|(c, m)| format!("{c} logoff {m}")),
        (client.clone(), message.clone()).prop_map(|(c, m)| format!("{c} submit {m}")),
        (transport.clone(), message.clone()).prop_map(|(t, m)| format!("{t} arrive {m}")),
        (message.clone(), transport.clone()).prop_map(|(m, t)| format!("spooler send {m} {t}")),
        (message.clone(), transport.clone()).prop_map(|(m, t)| format!("spooler receive {m} {t}")),
        (transport.clone(), message.clone()).prop_map(|(t, m)| format!("{t} sent {m}")),
        (transport.clone(), message.clone()).prop_map(|(t, m)| format!("{t} received {m}")),
        transport.clone().prop_map(|t| format!("spooler flush {t} UPLOAD")),
        transport.clone().prop_map(|t| format!("{t} flushed")),
        transport.clone().prop_map(|t| format!("spooler logoff {t}")),
        transport.prop_map(|t| format!("{t} logoff-returns ok")),
        Just("other open".to_string()),
        Just("expect rejected".to_string()),
        client.prop_map(|c| format!("expect {c} returned S_OK COMPLETE")),
        Just("expect transports-returned pending".to_string()),
    ]
}

/// Parses and runs the bytes; every outcome is fine except a panic. The exit code is 0, 1 or 2 accordingly.
fn run_anything(source: &[u8]) {
    let header = "setup clients=2 transports=2\n";
    for bytes in [source.to_vec(), [header.as_bytes(), source].concat()] {
        // The one way a script is run: parse, then every step, every invariant and liveness at the end.
        let code = match sim::script::parse(&bytes, "fuzz.scn") {
            Err(error) => {
                assert!(error.to_string().starts_with("fuzz.scn:"), "{error}");
                2
            }
            Ok(script) => match sim::liveness::verify_script(&script) {
                Ok(_) => 0,
                Err(error) => {
                    let message = error.to_string();
                    assert!(message.starts_with("fuzz.scn:"), "{message}");
                    error.exit_code()
                }
            },
        };
        assert!(code <= 2);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Shows that arbitrary bytes never make the parser or the runner panic.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        run_anything(&bytes);
    }

    /// Shows that soups of script words never make the parser or the runner panic.
    #[test]
    fn token_soups_never_panic(lines in prop::collection::vec(soup_line(), 0..20)) {
        run_anything(lines.join("\n").as_bytes());
    }

    /// Shows that runs of mostly valid steps, deep into the model, never panic.
    #[test]
    fn plausible_scripts_never_panic(lines in prop::collection::vec(plausible_line(), 0..40)) {
        run_anything(lines.join("\n").as_bytes());
    }
}

/// Shows that a script's `profile` line takes the forms `--profile` takes (one reader of profiles): `default`,
/// and pairs separated by commas; an empty item is an error there too.
#[test]
fn profile_lines_take_the_command_line_forms() {
    // Under `deferred` StoreLogoff makes no StoreLogoffTransports call; under `eager` it does: the expectation tells
    // which profile was read.
    for (profile, calls) in [
        ("profile default", "none"),
        ("profile call_site=eager,orderly=drain", "ABORT"),
        ("profile abort=stop, call_site=eager", "ABORT"),
        ("profile abort=stop , call_site=eager", "ABORT"),
        ("profile input=strict", "none"),
    ] {
        let ran = script(&format!("{profile}\nc0 logoff ABORT\nexpect transports-calls {calls}\n"));
        assert_eq!((ran.code, ran.stderr.as_str()), (0, ""), "{profile}");
    }
    assert_malformed("profile call_site=eager,,orderly=drain\nc0 release\n", 1, 25, "empty item");
    assert_malformed("profile call_site=eager, ,orderly=drain\nc0 release\n", 1, 26, "empty item");
    assert_malformed("profile ,call_site=eager\nc0 release\n", 1, 9, "empty item");
    assert_malformed("profile call_site=eager ,\nc0 release\n", 1, 25, "ends with a comma");
    assert_malformed("profile call_site=eager,call_site=eager\nc0 release\n", 1, 25, "`call_site` is set twice");
}

/// Shows that a name beyond setup is quoted as written, even when its number does not fit 64 bits.
#[test]
fn names_beyond_setup_are_quoted_as_written() {
    assert_malformed("c99999999999999999999999 addref\n", 1, 1, "client `c99999999999999999999999` is beyond setup");
}
