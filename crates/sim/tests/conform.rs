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
    // A Python program can take more than the default second to start on a loaded machine: a generous limit,
    // unless the test sets its own.
    let limit: &[&str] = if args.contains(&"--timeout-ms") { &[] } else { &["--timeout-ms", "10000"] };
    logoff_sim(&[&head[..], limit, args].concat())
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

/// Shows item 4 of the issue: the good Python store passes every scenario script and 10,000 seeds (100,000 in
/// `cargo xtask bench`) through
/// `logoff-sim conform`, and the buggy one is caught, shrunk to at most 12 steps, and its seed file replays
/// against it as the violation it found.
#[test]
fn the_python_examples_pass_and_are_caught() {
    let Some(python) = common::python() else { return };
    let directory = scratch("python");
    let failures = directory.display().to_string();
    let good = format!("{python} examples/providers/good_store.py");
    let started = std::time::Instant::now();
    let output = conform("store", &good, &failures, &["--scripts", "tests/scenarios", "--seeds", "0..10000"]);
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", text(&output.stderr));
    assert!(stdout.contains("scripts: 81 of 81 passed"), "{stdout}");
    assert!(stdout.contains("seeds 0..10000: 10000 runs,") && stdout.contains(" 0 failing;"), "{stdout}");
    eprintln!("good_store.py: {} in {:.1} s", stdout.trim(), started.elapsed().as_secs_f64());

    let buggy = format!("{python} examples/providers/buggy_store.py");
    let output = conform("store", &buggy, &failures, &["--seeds", "0..300", "--show", "1"]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("transports-call-site (R2, R3, R4, A1, A9, A10)"), "{stderr}");
    assert!((1..=12).contains(&shrunk_steps(&stderr)), "{stderr}");
    let seed_file = stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("seed file: "))
        .and_then(|rest| rest.split(" (replay").next())
        .unwrap_or_else(|| panic!("{stderr}"));
    // Item 17 of issue 14: the replay command printed for the seed file and for the shrunk script, and the one in
    // each file's header, replays against the program: it fails (exit 1) while the bug is there, passes once fixed.
    let printed: Vec<&str> = stderr.lines().filter_map(|l| l.split("(replay: ").nth(1)?.strip_suffix(')')).collect();
    assert_eq!(printed.len(), 2, "a replay command for the seed file and one for the shrunk script: {stderr}");
    for replay in printed {
        let file = replay.rsplit(' ').next().unwrap();
        let header = std::fs::read_to_string(common::workspace_dir("").join(file)).unwrap();
        assert!(header.lines().take(3).any(|l| l.starts_with('#') && l.contains(replay)), "{file}:\n{header}");
        assert!(!header.contains(&format!("{} replay FILE", sim::output::COMMAND)), "{file}:\n{header}");
        let words = conform::words(replay).unwrap();
        let prefix = conform::words(sim::output::COMMAND).unwrap();
        assert_eq!(words[..prefix.len()], prefix[..], "{replay}");
        let args: Vec<&str> = words[prefix.len()..].iter().map(String::as_str).collect();
        let replayed = logoff_sim(&args);
        assert_eq!(replayed.status.code(), Some(1), "{replay}: {}", text(&replayed.stdout));
        let fixed: Vec<&str> = args.iter().map(|a| if *a == buggy { good.as_str() } else { a }).collect();
        let replayed = logoff_sim(&fixed);
        assert_eq!(replayed.status.code(), Some(0), "{fixed:?}: {}", text(&replayed.stderr));
    }
    // The render command printed draws the program's run, the violating step in red.
    let render =
        format!("  render: {} render --cmd '{buggy}' --timeout-ms 10000 {seed_file} -o ", sim::output::COMMAND);
    assert!(stderr.contains(&render), "{render}\n{stderr}");
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
    let Some(python) = common::python() else { return };
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
    let Some(python) = common::python() else { return };
    let directory = scratch("roles");
    let failures = directory.display().to_string();
    for (role, program) in [("spooler", "good_spooler.py"), ("transport", "good_transport.py")] {
        let command = format!("{python} examples/providers/{program}");
        let output = conform(role, &command, &failures, &["--scripts", "tests/scenarios", "--seeds", "0..10000"]);
        let stdout = text(&output.stdout);
        assert!(output.status.success(), "{role}: {stdout}\n{}", text(&output.stderr));
        assert!(stdout.contains("scripts: 81 of 81 passed"), "{stdout}");
        assert!(stdout.contains(" 0 failing;"), "{stdout}");
    }
    let command = format!("{python} examples/providers/buggy_transport.py");
    let output = conform("transport", &command, &failures, &["--seeds", "0..2000", "--show", "1"]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!((1..=12).contains(&shrunk_steps(&stderr)), "{stderr}");
}

/// A program that answers `hello` (message 1) and `ready` (message 2), then runs `then` for the first call
/// (message 3: an answer must carry `"id":3`).
fn misbehaving(then: &str) -> String {
    format!(
        "sh -c 'read l; echo \"{{\\\"type\\\":\\\"hello\\\",\\\"version\\\":{},\\\"id\\\":1}}\"; read l; \
         echo \"{{\\\"type\\\":\\\"ready\\\",\\\"id\\\":2}}\"; read l; {then}'",
        conform::VERSION
    )
}

/// Shows that `render --cmd` with a program that fails part way says so: exit 1 and the reason on standard error;
/// the page's verdict says there is none (not "clean"); the log ends with the step not carried out as a comment,
/// not as a step that caused nothing.
#[test]
fn render_of_a_failed_program_has_no_verdict() {
    let directory = scratch("render-failed");
    let command = misbehaving("exit 3");
    let seed = common::workspace_dir("sim-seeds/busy.seed").display().to_string();
    let page = directory.join("page.html").display().to_string();
    let output = logoff_sim(&["render", "--cmd", &command, &seed, "-o", &page]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("the program under test failed"), "{stderr}");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("no verdict: the provider under test failed") && !html.contains("clean:"), "{html}");
    let log = directory.join("run.log").display().to_string();
    let output = logoff_sim(&["render", "--cmd", &command, &seed, "-o", &log]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let written = std::fs::read_to_string(&log).unwrap();
    let last = written.lines().last().unwrap();
    assert!(last.starts_with("# ") && last.contains("not carried out: the provider under test failed"), "{written}");
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
            "echo \"{\\\"type\\\":\\\"return\\\",\\\"hresult\\\":\\\"S_OK\\\",\\\"flags\\\":0,\\\"id\\\":3}\"; echo extra; sleep 1",
            &["a line nobody asked for", "`extra` is not a JSON object"],
        ),
        // The program exits, leaving behind a process that holds its output open: an exit, at once.
        ("sleep 30 & exit 3", &["it exited"]),
        ("sleep 30", &["no answer to"]),
        ("echo not-json; sleep 1", &["`not-json` is not a JSON object"]),
        (
            "echo \"{\\\"type\\\":\\\"return\\\",\\\"hresult\\\":\\\"S_MAYBE\\\",\\\"flags\\\":0,\\\"id\\\":3}\"; sleep 1",
            &["unknown HRESULT name"],
        ),
        ("echo \"{\\\"type\\\":\\\"bogus\\\",\\\"id\\\":3}\"; sleep 1", &["expected an answer of \"type\""]),
        // An answer without the message's id.
        ("echo \"{\\\"type\\\":\\\"return\\\",\\\"count\\\":1}\"; sleep 1", &["has no \"id\"; expected \"id\":3"]),
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

// ---- Issue 14: the harness never hangs, never leaks a process, and judges answers deterministically ----

/// A program written into a scratch directory (run with `python3 FILE ARGS`).
fn python_program(directory: &std::path::Path, name: &str, source: &str) -> PathBuf {
    let path = directory.join(name);
    std::fs::write(&path, source).unwrap();
    path
}

/// The preamble of a test program that imports the example providers (`good_store`).
fn importing_examples() -> String {
    let providers = common::workspace_dir("examples/providers").display().to_string();
    format!("import os, subprocess, sys, time\nsys.path.insert(0, {providers:?})\nsys.dont_write_bytecode = True\n")
}

/// `logoff-sim ARGS` started at the workspace root, its standard output and error in files of `directory`.
fn start_logoff_sim(directory: &std::path::Path, args: &[&str]) -> std::process::Child {
    let stdout = std::fs::File::create(directory.join("stdout")).unwrap();
    let stderr = std::fs::File::create(directory.join("stderr")).unwrap();
    Command::new(env!("CARGO_BIN_EXE_logoff-sim"))
        .current_dir(common::workspace_dir(""))
        .env_remove("CARGO_TARGET_DIR")
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .expect("logoff-sim starts")
}

/// Waits at most `limit` for `child` (killed past it): its exit code (None if it had to be killed), its standard
/// output and error, and how long it took.
fn finish_within(
    child: &mut std::process::Child,
    directory: &std::path::Path,
    limit: std::time::Duration,
) -> (Option<i32>, String, String, std::time::Duration) {
    let started = std::time::Instant::now();
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    let read = |name: &str| std::fs::read_to_string(directory.join(name)).unwrap_or_default();
    (code, read("stdout"), read("stderr"), started.elapsed())
}

/// The pids a test program wrote to `file` (its own and its grandchild's), once it has written them.
fn pids_written(file: &std::path::Path) -> Vec<i32> {
    let started = std::time::Instant::now();
    loop {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        if text.ends_with('\n') {
            return text.split_whitespace().map(|pid| pid.parse().unwrap()).collect();
        }
        assert!(started.elapsed().as_secs() < 20, "the program never wrote its pids to {}", file.display());
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// Whether a process is alive (or a zombie nobody reaped): /proc has it.
fn exists(pid: i32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// Kills what a test program left behind (after a failed assertion, so that the test leaks nothing itself).
fn kill_all(pids: &[i32]) {
    for pid in pids {
        // SAFETY: kill(2) on a pid the test program reported; it touches no memory of ours.
        unsafe {
            libc::kill(*pid, libc::SIGKILL);
        }
    }
}

/// A store that answers as good_store.py, after starting a grandchild in a session of its own (out of the
/// program's process group) that holds the program's standard output and error open for five minutes; it writes
/// its pid and the grandchild's to `argv[1]`. With `argv[2] == "hang"` it answers `hello` and then hangs.
fn setsid_program(directory: &std::path::Path) -> PathBuf {
    let source = format!(
        "{}grandchild = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'], start_new_session=True)\n\
         with open(sys.argv[1] + '.tmp', 'w') as f:\n    f.write('%d %d\\n' % (os.getpid(), grandchild.pid))\n\
         os.rename(sys.argv[1] + '.tmp', sys.argv[1])\n\
         if len(sys.argv) > 2 and sys.argv[2] == 'hang':\n    sys.stdin.readline()\n    \
         print('{{\"type\":\"hello\",\"version\":{},\"id\":1}}', flush=True)\n    time.sleep(300)\n\
         import good_store\nsys.exit(good_store.main())\n",
        importing_examples(),
        conform::VERSION
    );
    python_program(directory, "setsid_store.py", &source)
}

/// Shows item 9 of issue 14: a program whose grandchild, in a session of its own, holds the program's pipes open
/// does not make `conform` or `render --cmd` hang, and the grandchild does not outlive the tool.
#[test]
fn a_grandchild_holding_the_pipes_neither_hangs_the_tool_nor_outlives_it() {
    let Some(python) = common::python() else { return };
    let directory = scratch("setsid");
    let program = setsid_program(&directory);
    for (name, extra) in [("conform", &["--seeds", "0..20"][..]), ("render", &[][..])] {
        let pids = directory.join(format!("{name}.pids"));
        let cmd = format!("{python} {} {}", program.display(), pids.display());
        let failures = directory.display().to_string();
        let args: Vec<&str> = match name {
            "conform" => {
                [&["conform", "--role", "store", "--cmd", &cmd, "--quiet", "--failures", &failures][..], extra].concat()
            }
            _ => vec!["render", "--cmd", &cmd, "tests/scenarios/r04-last-reference.scn", "--to", "mermaid"],
        };
        let mut child = start_logoff_sim(&directory, &args);
        let (code, stdout, stderr, took) = finish_within(&mut child, &directory, std::time::Duration::from_secs(30));
        let pids = pids_written(&pids);
        let left: Vec<i32> = pids.iter().copied().filter(|pid| exists(*pid)).collect();
        kill_all(&left);
        assert_eq!(code, Some(0), "{name} took {took:?} (killed if None)\n{stdout}\n{stderr}");
        assert!(left.is_empty(), "{name}: processes of the program outlived the tool: {left:?}");
    }
}

/// Shows item 9 of issue 14: a program that answers `hello` and then hangs costs one time limit, not one per seed:
/// `conform` stops at the first answer that timed out (the program is broken), and reports it once.
#[test]
fn conform_stops_at_the_first_timed_out_answer() {
    let Some(python) = common::python() else { return };
    let directory = scratch("hang");
    let program = setsid_program(&directory);
    let pids = directory.join("hang.pids");
    let cmd = format!("{python} {} {} hang", program.display(), pids.display());
    let failures = directory.display().to_string();
    let args = ["conform", "--role", "store", "--cmd", &cmd, "--quiet", "--failures", &failures, "--timeout-ms", "500"];
    let mut child = start_logoff_sim(&directory, &args);
    let (code, stdout, stderr, took) = finish_within(&mut child, &directory, std::time::Duration::from_secs(60));
    let pids = pids_written(&pids);
    let left: Vec<i32> = pids.iter().copied().filter(|pid| exists(*pid)).collect();
    kill_all(&left);
    assert_eq!(code, Some(1), "took {took:?} (killed if None)\n{stdout}\n{stderr}");
    assert!(took.as_secs() < 15, "the default 10,000 seeds took {took:?}");
    assert_eq!(stderr.matches("no answer to").count(), 1, "one timeout, reported once:\n{stderr}");
    assert!(stderr.contains("did not answer in time; 9999 seeds not run"), "{stderr}");
    assert!(stdout.contains("seeds 0..10000: 1 runs,"), "{stdout}");
    assert!(left.is_empty(), "processes of the program outlived the tool: {left:?}");
}

/// Shows item 9 of issue 14: SIGINT or SIGTERM sent to a running `conform` (or `render --cmd` waiting for an
/// answer) ends it within a second, exit 130, with a partial summary, and no process of the program is left.
#[test]
fn sigint_and_sigterm_end_conform_and_render_at_once_and_kill_the_program() {
    let Some(python) = common::python() else { return };
    let directory = scratch("signals");
    let program = setsid_program(&directory);
    let failures = directory.display().to_string();
    for (name, signal) in [("conform-int", libc::SIGINT), ("conform-term", libc::SIGTERM), ("render-int", libc::SIGINT)]
    {
        let pids = directory.join(format!("{name}.pids"));
        let (cmd, args);
        if name.starts_with("render") {
            cmd = format!("{python} {} {} hang", program.display(), pids.display());
            args = vec!["render", "--cmd", &cmd, "--timeout-ms", "600000", "tests/scenarios/r04-last-reference.scn"];
        } else {
            cmd = format!("{python} {} {}", program.display(), pids.display());
            args = vec!["conform", "--role", "store", "--cmd", &cmd, "--quiet", "--failures", &failures, "--seeds"];
        }
        let args = [&args[..], if name.starts_with("render") { &[][..] } else { &["0..100000000"][..] }].concat();
        let mut child = start_logoff_sim(&directory, &args);
        let pids = pids_written(&pids);
        // Well into its runs (or its wait for an answer).
        std::thread::sleep(std::time::Duration::from_millis(1500));
        assert!(child.try_wait().unwrap().is_none(), "{name}: it ended before the signal");
        // SAFETY: kill(2) on the pid of the child this test started.
        unsafe {
            libc::kill(child.id() as i32, signal);
        }
        let (code, stdout, stderr, took) = finish_within(&mut child, &directory, std::time::Duration::from_secs(30));
        let left: Vec<i32> = pids.iter().copied().filter(|pid| exists(*pid)).collect();
        kill_all(&left);
        eprintln!("{name}: ended {took:?} after the signal");
        assert_eq!(code, Some(130), "{name}: took {took:?} (killed if None)\n{stdout}\n{stderr}");
        assert!(took.as_millis() < 1500, "{name}: it took {took:?} to end");
        assert!(left.is_empty(), "{name}: processes of the program outlived the tool: {left:?}");
        assert!(stderr.contains("interrupted"), "{name}: {stderr}");
        if name.starts_with("conform") {
            assert!(stdout.contains("seeds 0..100000000: ") && stdout.contains(" runs,"), "{name}: {stdout}");
            assert!(stderr.contains("interrupted: seeds "), "{name}: {stderr}");
        }
    }
}

/// A store that answers as good_store.py but writes its answer twice to messages for which `duplicate(msg)` holds,
/// and with `after_bye` writes a line after `bye` before it exits.
fn twice_program(directory: &std::path::Path, name: &str, duplicate: &str, after_bye: bool) -> PathBuf {
    let bye = if after_bye {
        "        if msg.get('type') == 'bye':\n            write(b'{\"type\":\"ready\"}\\n'); flush()\n"
    } else {
        ""
    };
    let source = format!(
        "{}import json, good_store\nout = sys.stdout.buffer\nwrite, flush = out.write, out.flush\n\
         class Twice(good_store.StoreProvider):\n    def __init__(self):\n        super().__init__()\n        \
         for kind, handler in list(self.handlers.items()):\n            self.handlers[kind] = self.wrap(handler)\n    \
         def wrap(self, handler):\n        def answer(msg):\n            line = handler(msg)\n            \
         if {duplicate}:\n                write(good_store.with_id(line, msg)); flush()\n            return line\n        \
         return answer\n\
         def main():\n    provider = Twice()\n    for raw in sys.stdin.buffer:\n        msg = json.loads(raw)\n\
         {bye}        if msg.get('type') == 'bye':\n            return 0\n        \
         write(good_store.with_id(provider.handlers[msg['type']](msg), msg)); flush()\n    return 0\n\
         sys.exit(main())\n",
        importing_examples()
    );
    python_program(directory, name, &source)
}

/// Shows item 10 of issue 14: a second answer to one message is reported as exactly that, in the same words, every
/// time (20 of 20 runs), whether it answers a message in the middle of a run, the last call of a run, the run's
/// `end` (found at the next message, here `bye`), or a line comes after `bye`.
#[test]
fn a_second_answer_is_reported_as_such_every_time() {
    let Some(python) = common::python() else { return };
    let directory = scratch("twice");
    let failures = directory.display().to_string();
    // One client: hello (message 1), start (2), addref (3), release (4, the run's last: the count stays at 1), end (5).
    let script = directory.join("last.scn");
    std::fs::write(&script, "setup clients=1\nc0 addref\nc0 release\nexpect transports-calls none\n").unwrap();
    let script = script.display().to_string();
    let cases = [
        ("middle", "msg.get('type') == 'start'", false, "a second answer to message 2 ("),
        ("last", "msg.get('call') == 'release'", false, "a second answer to message 4 ("),
        ("end", "msg.get('type') == 'end'", false, "a second answer to message 5 ({\"type\":\"end\""),
        ("bye", "False", true, "after the last answer: it wrote `{\"type\":\"ready\"}`, a line nobody asked for"),
    ];
    for (name, duplicate, after_bye, expected) in cases {
        let program = twice_program(&directory, &format!("{name}.py"), duplicate, after_bye);
        let cmd = format!("{python} {}", program.display());
        let mut missed = Vec::new();
        let mut reports = std::collections::BTreeSet::new();
        for _ in 0..20 {
            let output = match name {
                "last" | "end" => logoff_sim(&[
                    "conform",
                    "--role",
                    "store",
                    "--cmd",
                    &cmd,
                    "--timeout-ms",
                    "10000",
                    "--replay",
                    &script,
                ]),
                _ => conform("store", &cmd, &failures, &["--seeds", "0..3", "--show", "1"]),
            };
            let stderr = text(&output.stderr);
            if output.status.code() != Some(1) || !stderr.contains(expected) || stderr.contains("NOT DETERMINISTIC") {
                missed.push(format!("exit {:?}: {stderr}", output.status.code()));
            }
            // The report names the same message in the same words every time (the rates are on standard output).
            reports.insert(stderr.lines().find(|l| !l.contains("last 20 lines")).unwrap_or("").to_string());
        }
        assert!(missed.is_empty(), "{name}: {} of 20 runs missed `{expected}`:\n{}", missed.len(), missed.join("\n"));
        assert_eq!(reports.len(), 1, "{name}: the report differs from run to run: {reports:#?}");
    }
}

/// Shows item 11 of issue 14: the lines of standard error shown with a failure are its last 20 whole lines, even
/// when the program wrote far more than a pipe holds (here 12,000 numbered lines, about 180 KB) as it failed.
#[test]
fn the_end_of_standard_error_shown_is_the_last_20_lines() {
    let directory = scratch("stderr");
    let failures = directory.display().to_string();
    // It closes its standard output first (the harness sees the failure at once), then writes and exits.
    let command = misbehaving("exec 1>&-; seq -f \"log line %g\" 1 12000 >&2; exit 3");
    let output = conform("store", &command, &failures, &["--seeds", "0..1", "--show", "1", "--timeout-ms", "2000"]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let shown: Vec<&str> = stderr.lines().map(str::trim).filter(|l| l.starts_with("log line ")).collect();
    let expected: Vec<String> = (11_981..=12_000).map(|n| format!("log line {n}")).collect();
    assert_eq!(shown, expected, "{stderr}");
}

/// Shows item 19 of issue 14: `conform --help` names the three roles, and `--no-seeds` runs the scripts only
/// (refused without `--scripts`, which would run nothing).
#[test]
fn help_names_the_roles_and_no_seeds_runs_the_scripts_only() {
    let help = text(&logoff_sim(&["conform", "--help"]).stdout);
    for role in ["store provider", "MAPI spooler", "transport provider", "--no-seeds"] {
        assert!(help.contains(role), "`{role}` missing from:\n{help}");
    }
    let directory = scratch("no-seeds");
    let failures = directory.display().to_string();
    let cmd = "python3 examples/providers/good_store.py";
    if common::python().is_some() {
        let output =
            conform("store", cmd, &failures, &["--no-seeds", "--scripts", "tests/scenarios/r04-last-reference.scn"]);
        let stdout = text(&output.stdout);
        assert!(output.status.success(), "{stdout}\n{}", text(&output.stderr));
        assert_eq!(stdout.trim(), "scripts: 1 of 1 passed", "no seed runs");
    }
    let output = conform("store", cmd, &failures, &["--no-seeds"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
}

/// Shows item 3 of issue 16: a spooler program can make the spooler's serving mistakes. The good Python spooler,
/// changed only in its `ready` answer to declare one habit (docs/CONFORM.md), is caught breaking the invariant the
/// mutant of that name breaks (tests/mutants/), and the unchanged program passes the same seeds.
#[test]
fn a_spooler_program_that_declares_a_habit_is_caught() {
    let Some(python) = common::python() else { return };
    let directory = scratch("habits");
    let failures = directory.display().to_string();
    let source = std::fs::read_to_string(common::workspace_dir("examples/providers/good_spooler.py")).unwrap();
    let ready = r#"READY = _line({"type": "ready"})"#;
    assert!(source.contains(ready), "good_spooler.py's ready answer moved");
    for (habit, breaks) in
        [("receives_without_inbox", "conservation (R20)"), ("delivers_after_release", "only-release-after-complete")]
    {
        let program = directory.join(format!("{habit}.py"));
        let declared = format!(r#"READY = _line({{"type": "ready", "{habit}": True}})"#);
        std::fs::write(&program, source.replace(ready, &declared)).unwrap();
        let command = format!("{python} {}", program.display());
        let output = conform("spooler", &command, &failures, &["--seeds", "0..2000", "--show", "1"]);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{habit}: {}\n{stderr}", text(&output.stdout));
        assert!(stderr.contains(breaks), "{habit}: expected `{breaks}` in:\n{stderr}");
    }
    let command = format!("{python} examples/providers/good_spooler.py");
    let output = conform("spooler", &command, &failures, &["--seeds", "0..2000"]);
    assert!(output.status.success(), "{}\n{}", text(&output.stdout), text(&output.stderr));
}
