//! Ctrl-C ends every command within a second (issue 14, item 9): SIGINT or SIGTERM, even when the command was
//! started with SIGINT ignored (as a non-interactive shell starts a background job), ends a long command with exit
//! status 130; a sweep first writes its partial summary.

mod common;

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::scratch;

/// Starts `logoff-sim ARGS` with SIGINT ignored, waits `after`, sends `signal`, and returns the exit status, the time
/// it took to end after the signal, and its standard error.
fn interrupt(args: &[&str], after: Duration, signal: libc::c_int) -> (Option<i32>, Duration, String) {
    let directory = scratch("interrupts", args[0]);
    let mut command = Command::new(env!("CARGO_BIN_EXE_logoff-sim"));
    command.current_dir(&directory).env_remove("CARGO_TARGET_DIR").args(args);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(|| {
            libc::signal(libc::SIGINT, libc::SIG_IGN);
            Ok(())
        });
    }
    let child = command.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("logoff-sim runs");
    std::thread::sleep(after);
    let sent = Instant::now();
    // SAFETY: kill(2) with the pid of a child this test holds.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, signal) }, 0);
    let output = child.wait_with_output().unwrap();
    (output.status.code(), sent.elapsed(), String::from_utf8_lossy(&output.stderr).into_owned())
}

/// Shows that long commands with no partial result to give end at once: `explore --all-profiles` (which took 15 s
/// to notice), `mutants` over many seeds and `explore` at a large bound, by SIGINT and by SIGTERM.
#[test]
fn long_commands_end_within_a_second() {
    let commands: [&[&str]; 3] = [
        &["explore", "--all-profiles", "--quiet"],
        &["mutants", "--seeds", "100000000", "--quiet"],
        &["explore", "--clients", "3", "--transports", "3", "--messages", "4"],
    ];
    for args in commands {
        for signal in [libc::SIGINT, libc::SIGTERM] {
            let (code, took, stderr) = interrupt(args, Duration::from_millis(700), signal);
            assert_eq!(code, Some(130), "{args:?} signal {signal}: {stderr}");
            assert!(took < Duration::from_secs(1), "{args:?} signal {signal} took {took:?}");
            assert!(stderr.contains("interrupted"), "{args:?}: {stderr}");
        }
    }
}

/// Shows that a sweep started with SIGINT ignored still stops at SIGINT with its partial summary (exit 130).
#[test]
fn a_sweep_stops_with_its_partial_summary() {
    let (code, took, stderr) =
        interrupt(&["sweep", "--seeds", "0..100000000", "--failures", "f"], Duration::from_millis(500), libc::SIGINT);
    assert_eq!(code, Some(130), "{stderr}");
    assert!(took < Duration::from_secs(1), "took {took:?}");
    assert!(stderr.contains("partial summary in f/sweep-0-100000000-interrupted-after-"), "{stderr}");
}
