//! The conformance harness (issue 10): a store provider that is not the model's plays its role, and the same
//! invariants judge it. A Rust store through `sim::conform::check`, the Python examples through
//! `logoff-sim conform`, and programs that crash, hang, write garbage or answer out of protocol.

use std::path::PathBuf;
use std::process::{Command, Output};

use sim::conform::{self, Verdict};
use sim::role::{Lifecycle, Played};

#[path = "../examples/rust_store.rs"]
mod rust_store;

mod common;

use rust_store::RustStore;

fn scratch(name: &str) -> PathBuf {
    common::scratch("conform", name)
}

/// Runs the binary at the workspace root (where the printed commands are meant to be pasted).
fn logoff_sim(args: &[&str]) -> Output {
    common::logoff_sim_in(&common::workspace_dir(""), args)
}

/// Runs `logoff-sim conform --role ROLE --cmd CMD ARGS... --quiet --failures FAILURES` at the workspace root.
fn conform(role: &str, cmd: &str, failures: &str, args: &[&str]) -> Output {
    let head = ["conform", "--role", role, "--cmd", cmd, "--quiet", "--failures", failures];
    logoff_sim(&[&head[..], args].concat())
}

/// The steps of the shrunk script a failure report prints (`shrunk to N steps: FILE`).
fn shrunk_steps(stderr: &str) -> usize {
    let shrunk = stderr.lines().find_map(|l| l.trim().strip_prefix("shrunk to ")).unwrap_or_else(|| panic!("{stderr}"));
    shrunk.split_whitespace().next().and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("{stderr}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn scenarios() -> Vec<sim::script::Script> {
    common::files("tests/scenarios", "scn")
        .iter()
        .map(|path| sim::script::parse(&std::fs::read(path).unwrap(), &path.display().to_string()).unwrap())
        .collect()
}

/// Shows the Rust path: a store provider implemented in Rust passes every scenario and 3,000 seeds through
/// `sim::conform::check`, and the same store with one mistake (StoreLogoffTransports at the first Release) is
/// caught and shrunk to a script of at most 12 steps that breaks transports-call-site (R4).
#[test]
fn a_rust_store_passes_and_its_mistake_is_caught() {
    let mut good = RustStore::default();
    for script in scenarios() {
        if let Err(error) = conform::run_script(&mut Played::Store(&mut good), &script) {
            panic!("{error}");
        }
    }
    let report = conform::check(&mut good, 0..3_000, &sim::conform::FixedKnobs::default());
    assert_eq!(report.runs, 3_000);
    assert!(report.failures.is_empty(), "{:?}", report.failures.first().map(|run| &run.verdict));

    let mut buggy = RustStore::default();
    buggy.calls_at_first_release = true;
    let report = conform::check(&mut buggy, 0..200, &sim::conform::FixedKnobs::default());
    let first = report.failures.first().expect("the mistake is caught within 200 seeds");
    let Some(Verdict::Violation { violation, .. }) = &first.verdict else { panic!("{:?}", first.verdict) };
    assert_eq!(violation.invariant.name(), "transports-call-site");
    assert!(conform::deterministic(&mut Played::Store(&mut buggy), first));
    let shrunk = conform::shrink(&mut Played::Store(&mut buggy), first, "shrunk.scn").expect("it shrinks");
    assert!(shrunk.steps() <= 12, "{shrunk}");
    // The shrunk script passes against the good store: it is the mistake that breaks it.
    assert!(conform::run_script(&mut Played::Store(&mut good), &shrunk).is_ok());
}

/// Shows that the reference model's own answers, given through the role interface, are judged exactly as the
/// model: a store that answers as the model does for a scenario passes it (checked above for RustStore), and a
/// store that never invalidates the store object after COMPLETE breaks R5.
#[test]
fn a_store_that_ignores_complete_is_caught() {
    struct NeverInvalid(RustStore);
    impl logoff_core::StoreProvider for NeverInvalid {
        fn call(&mut self, c: logoff_core::ClientId, call: logoff_core::StoreCall) -> logoff_core::StoreAnswer {
            self.0.call(c, call)
        }
        fn transports_returned(
            &mut self,
            c: logoff_core::ClientId,
            flags: logoff_core::LogoffFlags,
            other: bool,
        ) -> logoff_core::AfterTransports {
            let after = self.0.transports_returned(c, flags, other);
            logoff_core::AfterTransports { invalidate: false, ..after }
        }
    }
    impl Lifecycle for NeverInvalid {
        fn start(&mut self, run: &str, profile: logoff_core::Profile, setup: logoff_core::Setup) {
            self.0.start(run, profile, setup);
        }
        fn failure(&self) -> Option<String> {
            None
        }
    }
    let report = conform::check(&mut NeverInvalid(RustStore::default()), 0..500, &sim::conform::FixedKnobs::default());
    assert!(!report.failures.is_empty(), "a store that keeps an invalid object valid is caught");
}

/// The Python 3 on PATH, or why the Python tests are skipped. `.ci/run` makes sure there is one.
fn python() -> Option<&'static str> {
    let found = Command::new("python3").arg("--version").output().is_ok_and(|output| output.status.success());
    if !found {
        let why = "python3 is not installed (the examples need Python 3, standard library only)";
        assert!(std::env::var_os("LOGOFF_SIM_REQUIRE_PYTHON").is_none(), "{why}");
        eprintln!("SKIPPED: {why}");
        return None;
    }
    Some("python3")
}

/// Shows item 4 of the issue: the good Python store passes every scenario script and 100,000 seeds through
/// `logoff-sim conform`, and the buggy one is caught, shrunk to at most 12 steps, and its seed file replays
/// against it as the violation it found.
#[test]
fn the_python_examples_pass_and_are_caught() {
    let Some(python) = python() else { return };
    let directory = scratch("python");
    let failures = directory.display().to_string();
    let good = format!("{python} examples/providers/good_store.py");
    let started = std::time::Instant::now();
    let output = conform("store", &good, &failures, &["--scripts", "tests/scenarios", "--seeds", "0..100000"]);
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", text(&output.stderr));
    assert!(stdout.contains("scripts: 79 of 79 passed"), "{stdout}");
    assert!(stdout.contains("seeds 0..100000: 100000 runs,") && stdout.contains(" 0 failing;"), "{stdout}");
    eprintln!("good_store.py: {} in {:.1} s", stdout.trim(), started.elapsed().as_secs_f64());

    let buggy = format!("{python} examples/providers/buggy_store.py");
    let output = conform("store", &buggy, &failures, &["--seeds", "0..300", "--show", "1"]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("transports-call-site (R2, R3, R4, A1, A9)"), "{stderr}");
    assert!((1..=12).contains(&shrunk_steps(&stderr)), "{stderr}");
    let seed_file = stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("seed file: "))
        .and_then(|rest| rest.split(" (replay").next())
        .unwrap_or_else(|| panic!("{stderr}"));
    let replayed = logoff_sim(&["conform", "--role", "store", "--cmd", &buggy, "--replay", seed_file]);
    assert!(replayed.status.success(), "{}", text(&replayed.stderr));
    assert!(text(&replayed.stdout).contains("violation of transports-call-site, as expected"));
    let replayed = logoff_sim(&["conform", "--role", "store", "--cmd", &good, "--replay", seed_file]);
    assert_eq!(replayed.status.code(), Some(1), "the good store does not break it");
    // The render command printed draws the program's run, the violating step in red.
    assert!(stderr.contains(&format!("  render: {} render --cmd '{buggy}' {seed_file} -o ", sim::output::COMMAND)));
    let page = directory.join("buggy.html").display().to_string();
    let drawn = logoff_sim(&["render", "--cmd", &buggy, seed_file, "-o", &page]);
    assert!(drawn.status.success(), "{}", text(&drawn.stderr));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("class=\"step violation") && html.contains("as the store provider"), "{html}");
}

/// Shows that a provider whose blocked StoreLogoff returns a count (the kind of a Release's result), or that
/// writes bytes that are not UTF-8 on its standard error, is judged rightly: the first fails at the step it
/// answered, the second passes (its standard error is drained, whatever it holds).
#[test]
fn wrong_kinds_of_result_are_caught_and_stderr_is_drained() {
    let Some(python) = python() else { return };
    let directory = scratch("kinds");
    let providers = common::workspace_dir("examples/providers").display().to_string();
    let wrapper = directory.join("wrong_kind.py");
    std::fs::write(
        &wrapper,
        format!(
            "import sys\nsys.path.insert(0, {providers:?})\nsys.dont_write_bytecode = True\nimport good_store\n\
             class Wrong(good_store.StoreProvider):\n    def on_transports_returned(self, msg):\n        \
             sys.stderr.buffer.write(b'\\xff\\xfe not utf-8\\n'); sys.stderr.flush()\n        \
             if self.in_progress and self.in_progress[1] == 'store_logoff':\n            \
             self.in_progress = None\n            return b'{{\"type\":\"after_transports\",\"invalidate\":true,\"count\":0}}\\n'\n        \
             return super().on_transports_returned(msg)\n\
             good_store.main(Wrong)\n"
        ),
    )
    .unwrap();
    let command = format!("{python} {}", wrapper.display());
    let failures = directory.display().to_string();
    let output = conform("store", &command, &failures, &["--seeds", "0..300", "--show", "1"]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("for the blocked StoreLogoff"), "{stderr}");
    assert!(stderr.contains("not utf-8"), "the end of its standard error is shown: {stderr}");
}

/// Shows the spooler and transport roles over JSON lines: the Python spooler and transport written from
/// docs/CONFORM.md pass every scenario script and 10,000 seeds each, and the transport that takes the message it
/// is sending as sent at logoff (lost mail, R16) is caught and shrunk to at most 12 steps.
#[test]
fn the_python_spooler_and_transports_pass_and_are_caught() {
    let Some(python) = python() else { return };
    let directory = scratch("roles");
    let failures = directory.display().to_string();
    for (role, program) in [("spooler", "good_spooler.py"), ("transport", "good_transport.py")] {
        let command = format!("{python} examples/providers/{program}");
        let output = conform(role, &command, &failures, &["--scripts", "tests/scenarios", "--seeds", "0..10000"]);
        let stdout = text(&output.stdout);
        assert!(output.status.success(), "{role}: {stdout}\n{}", text(&output.stderr));
        assert!(stdout.contains("scripts: 79 of 79 passed"), "{stdout}");
        assert!(stdout.contains(" 0 failing;"), "{stdout}");
    }
    let command = format!("{python} examples/providers/buggy_transport.py");
    let output = conform("transport", &command, &failures, &["--seeds", "0..2000", "--show", "1"]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!((1..=12).contains(&shrunk_steps(&stderr)), "{stderr}");
}

/// A program that answers `hello` and `ready`, then runs `then` (a shell fragment) for the first call.
fn misbehaving(then: &str) -> String {
    format!(
        "sh -c 'read l; echo \"{{\\\"type\\\":\\\"hello\\\",\\\"version\\\":1}}\"; read l; \
         echo \"{{\\\"type\\\":\\\"ready\\\"}}\"; read l; {then}'"
    )
}

/// Shows that a program that crashes, hangs, writes a line that is not JSON, or answers out of protocol gets a
/// verdict naming the step and what went wrong, never a panic of the harness; and that one that cannot start is
/// bad input (exit 2).
#[test]
fn misbehaving_programs_get_a_clear_verdict() {
    let directory = scratch("misbehaving");
    let failures = directory.display().to_string();
    let cases = [
        ("exit 3", &["it closed its standard output"][..]),
        // A second answer to one message: a line nobody asked for (or, if the harness has sent the next message
        // before the line reaches it, an answer that is not JSON).
        (
            "echo \"{\\\"type\\\":\\\"return\\\",\\\"hresult\\\":\\\"S_OK\\\",\\\"flags\\\":0}\"; echo extra; sleep 1",
            &["a line nobody asked for", "`extra` is not a JSON object"],
        ),
        // The program exits, leaving behind a process that holds its output open: an exit, at once.
        ("sleep 30 & exit 3", &["it exited"]),
        ("sleep 30", &["no answer to"]),
        ("echo not-json; sleep 1", &["`not-json` is not a JSON object"]),
        (
            "echo \"{\\\"type\\\":\\\"return\\\",\\\"hresult\\\":\\\"S_MAYBE\\\",\\\"flags\\\":0}\"; sleep 1",
            &["unknown HRESULT name"],
        ),
        ("echo \"{\\\"type\\\":\\\"bogus\\\"}\"; sleep 1", &["expected an answer of \"type\""]),
    ];
    for (then, expected) in cases {
        let command = misbehaving(then);
        let started = std::time::Instant::now();
        // A time limit long enough for `sh` to start on a busy machine; the hang still costs only a few seconds.
        let output = conform("store", &command, &failures, &["--seeds", "0..2", "--show", "1", "--timeout-ms", "2000"]);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{then}: {stderr}");
        assert!(stderr.contains("FAIL seed 0") && stderr.contains(": step "), "{then}: {stderr}");
        assert!(expected.iter().any(|e| stderr.contains(e)), "{then}: expected one of {expected:?} in\n{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(started.elapsed().as_secs() < 20, "{then}: the harness waited {:?}", started.elapsed());
    }
    // Nothing the programs started outlives them (each runs in a process group that is killed).
    std::thread::sleep(std::time::Duration::from_millis(200));
    let ps = Command::new("ps").args(["-eo", "args"]).output().map(|o| text(&o.stdout)).unwrap_or_default();
    assert!(!ps.lines().any(|line| line.trim() == "sleep 30"), "a `sleep 30` outlived its program:\n{ps}");
    let output = logoff_sim(&["conform", "--role", "store", "--cmd", "no-such-program-here", "--seeds", "0..2"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("cannot start `no-such-program-here`"), "{}", text(&output.stderr));
    let output = logoff_sim(&["conform", "--role", "store", "--cmd", "sh -c 'exit 0", "--seeds", "0..2"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("quote that is not closed"), "{}", text(&output.stderr));
}
