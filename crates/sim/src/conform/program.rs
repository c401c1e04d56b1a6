//! A store provider written by a user, in any language, run as a child process that speaks JSON lines on its
//! standard input and output (docs/CONFORM.md). Every way the program can fail — it exits, hangs past the time
//! limit, writes a line that is not JSON, answers out of protocol — becomes a [`Role::failure`] naming the message
//! it was answering; the harness never panics on it, and the child is always reaped.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use logoff_core::*;
use serde::Serialize;
use serde_json::Value;

use super::process::{drain_stderr, roots, words, Running};
use super::tree;
use crate::role::Lifecycle;

/// The protocol version this harness speaks.
pub const VERSION: u64 = 2;
/// The longest line accepted from the program.
pub const LINE_BYTES_MAX: usize = 64 * 1024;
/// How often the harness looks whether the program exited (or a signal came) while it waits for an answer.
const EXIT_POLL: Duration = Duration::from_millis(20);
/// How long a program that exits (on `bye`, or as it fails) is given to finish, at most.
const EXIT_GRACE: Duration = Duration::from_secs(1);
/// The messages remembered to name the one a second answer answers.
const SENT_KEPT: usize = 64;

/// A message of the harness to the program (docs/CONFORM.md), without its id.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Message<'a> {
    Hello {
        version: u64,
        role: &'a str,
    },
    Start {
        run: &'a str,
        profile: Knobs,
        setup: Setup,
    },
    Call {
        client: u8,
        call: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        flags: Option<u32>,
        #[serde(skip_serializing_if = "Option::is_none")]
        message: Option<u8>,
    },
    TransportsReturned {
        client: u8,
        flags: u32,
        other_process: bool,
    },
    StoreLogoffTransports {
        mode: &'static str,
        world: &'a World,
    },
    MayReturn {
        mode: &'static str,
        flushes_awaited: u8,
        world: &'a World,
    },
    TransportLogoff {
        transport: u8,
        world: &'a World,
    },
    Logoff {
        transport: u8,
        sending: Option<u8>,
        receiving: Option<u8>,
        flushing: bool,
    },
    LogoffReturned {
        transport: u8,
        outcome: &'static str,
    },
    End {
        run: &'a str,
    },
    Bye,
}

/// A message with its id, as it is written.
#[derive(Serialize)]
struct Numbered<'a> {
    #[serde(flatten)]
    message: &'a Message<'a>,
    id: u64,
}

/// The ten knobs of a profile, each by its name: the `profile` of `start`.
struct Knobs(Profile);

impl Serialize for Knobs {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(Profile::KNOBS.iter().zip(self.0.values()))
    }
}

impl std::fmt::Display for Message<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&serde_json::to_string(self).map_err(|_| std::fmt::Error)?)
    }
}

/// A message and its id as one line of JSON.
fn numbered(message: &Message, id: u64) -> String {
    serde_json::to_string(&Numbered { message, id }).expect("a message is plain JSON")
}

/// The roles a program can play.
pub const ROLES: [&str; 3] = ["store", "spooler", "transport"];

/// The program under test, in one role.
pub struct Program {
    words: Vec<String>,
    /// `store`, `spooler` or `transport`.
    role: &'static str,
    timeout: Duration,
    running: Option<Running>,
    failure: Option<String>,
    /// The name of the run in progress, for messages.
    run: String,
    /// The name the program gave in its `hello`, if any.
    pub name: Option<String>,
    /// The messages answered so far, over all runs.
    pub exchanges: u64,
    /// For each client, the call blocked in the provider's StoreLogoffTransports call, if any.
    blocked: [Option<StoreCall>; CLIENTS_MAX],
    /// The last messages sent to the running process, with their ids (counted from 1 over its life), to name the
    /// message a second answer answers.
    sent: VecDeque<(u64, String)>,
    /// Set (by a signal handler) to stop: a wait for an answer ends at once, and the program is killed.
    stop: Option<&'static AtomicBool>,
    /// Whether an answer has ever timed out.
    timed_out: bool,
    /// The spooler's habits, as the program's answer to this run's `start` gave them (none by default).
    habits: SpoolerHabits,
}

impl Program {
    /// A program to run as `command` (a command line), allowed `timeout` for each answer. Nothing is started until
    /// the first run.
    pub fn new(command: &str, timeout: Duration, role: &str) -> Result<Program, String> {
        let role = ROLES
            .iter()
            .copied()
            .find(|r| *r == role)
            .ok_or_else(|| format!("`{role}` is not a role; expected one of {}", ROLES.join(", ")))?;
        Ok(Program {
            words: words(command)?,
            role,
            timeout,
            running: None,
            failure: None,
            run: String::new(),
            name: None,
            exchanges: 0,
            blocked: [None; CLIENTS_MAX],
            sent: VecDeque::new(),
            stop: None,
            timed_out: false,
            habits: SpoolerHabits::default(),
        })
    }

    /// Makes every wait for the program end at once when `flag` is set (by a SIGINT or SIGTERM handler): the
    /// program fails as interrupted and is killed with everything it started.
    pub fn stop_when(&mut self, flag: &'static AtomicBool) {
        self.stop = Some(flag);
    }

    fn interrupted(&self) -> bool {
        interrupted(self.stop)
    }

    /// Whether an answer of the program has ever failed to come within the time limit: a program that hangs once
    /// is broken, and running more seeds would only pay the time limit again.
    pub fn timed_out(&self) -> bool {
        self.timed_out
    }

    fn spawn(&mut self) -> Result<(), String> {
        tree::adopt_orphans();
        let mut command = Command::new(&self.words[0]);
        command.args(&self.words[1..]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let mut child = command.spawn().map_err(|e| format!("cannot start `{}`: {e}", self.words.join(" ")))?;
        roots().push(child.id());
        let stdin = Some(BufWriter::new(child.stdin.take().expect("stdin is piped")));
        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr_pipe = child.stderr.take().expect("stderr is piped");
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut line = Vec::new();
                // The line and its `\r\n`.
                let read = reader.by_ref().take(LINE_BYTES_MAX as u64 + 2).read_until(b'\n', &mut line);
                let end = line.iter().rev().take_while(|b| **b == b'\n' || **b == b'\r').count();
                let item = match read {
                    Ok(0) => Err("it closed its standard output (exited?)".to_string()),
                    Ok(_) if line.len() - end > LINE_BYTES_MAX || end == 0 && line.len() > LINE_BYTES_MAX => {
                        Err(format!("it wrote a line longer than {LINE_BYTES_MAX} bytes"))
                    }
                    Ok(_) => String::from_utf8(line).map_err(|_| "it wrote a line that is not UTF-8".to_string()),
                    Err(e) => Err(format!("its standard output cannot be read: {e}")),
                };
                let last = item.is_err();
                if send.send(item).is_err() || last {
                    return;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(VecDeque::new()));
        let kept = Arc::clone(&stderr);
        let stderr_reader = std::thread::spawn(move || drain_stderr(stderr_pipe, &kept));
        self.running = Some(Running { child, stdin, lines, stderr, stderr_reader: Some(stderr_reader) });
        self.sent.clear();
        let hello = self.exchange(&Message::Hello { version: VERSION, role: self.role }, &["hello"])?;
        if hello.get("version").and_then(Value::as_u64) != Some(VERSION) {
            return Err(self.fail(&format!("it answered hello with {hello}; expected \"version\":{VERSION}")));
        }
        self.name = hello.get("name").and_then(Value::as_str).map(str::to_string);
        Ok(())
    }

    /// Starts the program and exchanges `hello`, so that a program that cannot start is found before any run.
    pub fn handshake(&mut self) -> Result<(), String> {
        self.run = "hello".to_string();
        self.stop();
        self.failure = None;
        self.spawn()
    }

    /// Records the program's failure (with its exit status and the end of its standard error), kills it with
    /// everything it started, and returns the message.
    fn fail(&mut self, what: &str) -> String {
        let mut message = format!("{}: {what}", self.run);
        if let Some(mut running) = self.running.take() {
            let status = running.kill();
            message.push_str(&format!(" (the program: {status})"));
            let tail = running.stderr.lock().map(|lines| lines.iter().cloned().collect::<Vec<_>>()).unwrap_or_default();
            if !tail.is_empty() {
                message.push_str(&format!("; the end of its standard error:\n    {}", tail.join("\n    ")));
            }
        }
        if self.failure.is_none() {
            self.failure = Some(message.clone());
        }
        message
    }

    /// [`fail`](Program::fail) for a program that exited or closed its standard output: it is given the time limit
    /// (one second at most) to finish exiting, so that what it writes to standard error as it goes is shown.
    fn fail_exiting(&mut self, what: &str) -> String {
        let (deadline, stop) = (Instant::now() + self.timeout.min(EXIT_GRACE), self.stop);
        if let Some(running) = self.running.as_mut() {
            running.wait_exit(deadline, || interrupted(stop));
        }
        self.fail(what)
    }

    /// What a line that answers no message in progress is: a second answer to a message sent before (named by its
    /// id), or a line nobody asked for.
    fn unasked(&self, line: &str) -> String {
        let shown: String = line.trim_end().chars().take(200).collect();
        let id = serde_json::from_str::<Value>(line).ok().and_then(|value| value.get("id")?.as_u64());
        let last = self.sent.back().map_or(0, |(id, _)| *id);
        match id {
            Some(id) if id <= last => match self.sent.iter().find(|(sent, _)| *sent == id) {
                Some((_, message)) => format!("a second answer to message {id} ({message}): `{shown}`"),
                None => format!("a second answer to message {id}: `{shown}`"),
            },
            Some(id) => format!("an answer to message {id}, which was not sent: `{shown}`"),
            None => format!("it wrote `{shown}`, a line nobody asked for"),
        }
    }

    /// Sends one message (with the next id) and reads its answer, which must be a JSON object with the message's
    /// id and of one of the `expected` types.
    fn exchange(&mut self, message: &Message, expected: &[&str]) -> Result<Value, String> {
        if self.running.is_none() {
            return Err(self.failure.clone().unwrap_or_else(|| "the program is not running".to_string()));
        }
        // A line the program wrote after its last answer (a second answer, or a line nobody asked for) is not
        // looked for here, where whether it has arrived yet is a race: it comes before this message's answer on
        // the pipe, and is found, named by its id, when that answer is read. So it is reported the same way every
        // time.
        let id = self.sent.back().map_or(1, |(id, _)| id + 1);
        let message = numbered(message, id);
        if self.sent.len() == SENT_KEPT {
            self.sent.pop_front();
        }
        self.sent.push_back((id, message.clone()));
        let running = self.running.as_mut().expect("checked above");
        let sent = match running.stdin.as_mut() {
            Some(stdin) => {
                stdin.write_all(message.as_bytes()).and_then(|()| stdin.write_all(b"\n")).and_then(|()| stdin.flush())
            }
            None => Err(std::io::Error::other("its standard input is closed")),
        };
        if let Err(e) = sent {
            return Err(self.fail_exiting(&format!("cannot send {message}: {e}")));
        }
        // Waits for the answer in short slices, so that a program that exits (while something it started keeps
        // its output open) is reported as exited at once, and a signal ends the wait.
        let deadline = Instant::now() + self.timeout;
        let line = loop {
            let slice = EXIT_POLL.min(deadline.saturating_duration_since(Instant::now()));
            match running.lines.recv_timeout(slice) {
                Ok(Ok(line)) => break line,
                Ok(Err(why)) => return Err(self.fail_exiting(&format!("answering {message}: {why}"))),
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(self.fail_exiting(&format!("answering {message}: it closed its standard output")));
                }
                Err(RecvTimeoutError::Timeout) => {}
            }
            if interrupted(self.stop) {
                return Err(self.fail(&format!("answering {message}: interrupted (SIGINT or SIGTERM)")));
            }
            if let Ok(Some(_)) = running.child.try_wait() {
                if let Ok(Ok(line)) = running.lines.recv_timeout(EXIT_POLL) {
                    break line;
                }
                return Err(self.fail_exiting(&format!("answering {message}: it exited")));
            }
            if Instant::now() >= deadline {
                self.timed_out = true;
                let ms = self.timeout.as_millis();
                return Err(self.fail(&format!("no answer to {message} within {ms} ms (the program was killed)")));
            }
        };
        self.exchanges += 1;
        let text = line.trim_end_matches(['\n', '\r']);
        let value: Value = match serde_json::from_str(text) {
            Ok(value @ Value::Object(_)) => value,
            Ok(_) | Err(_) => {
                let shown: String = text.chars().take(200).collect();
                return Err(self.fail(&format!("answering {message}: `{shown}` is not a JSON object")));
            }
        };
        // The id first: a second answer to an earlier message has that message's type.
        match value.get("id").and_then(Value::as_u64) {
            Some(answered) if answered == id => {}
            Some(_) => {
                let unasked = self.unasked(text);
                return Err(self.fail(&format!("answering {message}: {unasked}")));
            }
            None => {
                return Err(self.fail(&format!("answering {message}: {value} has no \"id\"; expected \"id\":{id}")));
            }
        }
        let kind = value.get("type").and_then(Value::as_str).unwrap_or("");
        if !expected.contains(&kind) {
            let expected = expected.join("\" or \"");
            return Err(
                self.fail(&format!("answering {message}: {value}; expected an answer of \"type\":\"{expected}\""))
            );
        }
        Ok(value)
    }

    /// An answer that is out of protocol: the program fails with `why`.
    fn out_of_protocol(&mut self, message: &str, answer: &Value, why: &str) {
        self.fail(&format!("answering {message}: {answer} is out of protocol: {why}"));
    }

    /// Says `bye` and waits (at most the time limit, one second at most) for the program to exit, then kills
    /// whatever is left of it. A line it writes before it exits (after its last answer, or after `bye`) is its
    /// failure, returned.
    pub fn close(&mut self) -> Result<(), String> {
        if self.running.is_none() {
            return Ok(());
        }
        let id = self.sent.back().map_or(1, |(id, _)| id + 1);
        let others: Vec<u32> = roots().iter().copied().collect();
        let mut running = self.running.take().expect("checked above");
        if let Some(mut stdin) = running.stdin.take() {
            let _ = writeln!(stdin, "{}", numbered(&Message::Bye, id)).and_then(|()| stdin.flush());
            // Dropped here: the program's standard input is closed.
        }
        let deadline = Instant::now() + self.timeout.min(EXIT_GRACE);
        let mut wrote = None;
        while Instant::now() < deadline && !self.interrupted() {
            match running.lines.recv_timeout(EXIT_POLL) {
                Ok(Ok(line)) => {
                    wrote = Some(line);
                    break;
                }
                Ok(Err(_)) | Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => {}
            }
            // Exited, and something it started holds its output: that goes now, and the output ends.
            if let Ok(Some(_)) = running.child.try_wait() {
                tree::kill(running.child.id(), false, &others);
            }
        }
        // A program that wrote a line after its last answer is given the rest of the grace to exit on its own, so
        // that the status reported is its own and not the harness's kill's, whatever the machine's load.
        if wrote.is_some() {
            running.wait_exit(deadline, || self.interrupted());
        }
        let status = running.kill();
        match wrote {
            // Whether it came before or after `bye` reached the program, it answers no message: the same report.
            Some(line) => Err(format!("after the last answer: {} (the program: {status})", self.unasked(&line))),
            None => Ok(()),
        }
    }
}

/// Reads `"hresult"` (a name of the table, or a number) and `"flags"` (an integer) of an answer.
fn status(answer: &Value) -> Result<CallResult, String> {
    let hresult = match answer.get("hresult") {
        Some(Value::String(name)) => {
            HResult::from_name(name).ok_or_else(|| format!("unknown HRESULT name `{name}`"))?
        }
        // As C, C# and Java print them: unsigned, or negative (a signed 32-bit HRESULT).
        Some(Value::Number(n)) => HResult(
            n.as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .or_else(|| n.as_i64().and_then(|n| i32::try_from(n).ok()).map(|n| n as u32))
                .ok_or("an HRESULT number must fit 32 bits, signed or not")?,
        ),
        _ => return Err("expected \"hresult\" (a name such as \"S_OK\")".to_string()),
    };
    let flags = answer
        .get("flags")
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .ok_or("expected \"flags\" (an integer)")?;
    Ok(CallResult::Status(hresult, LogoffFlags::from_bits_retain(flags)))
}

fn count(answer: &Value) -> Result<CallResult, String> {
    answer
        .get("count")
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .map(CallResult::Count)
        .ok_or_else(|| "expected \"count\" (an integer)".to_string())
}

/// The answer given while the program cannot play: the run stops at this step anyway.
const STOPPED: StoreAnswer = StoreAnswer::Return(CallResult::Count(0));

impl StoreProvider for Program {
    fn call(&mut self, client: ClientId, call: StoreCall) -> StoreAnswer {
        if self.failure.is_some() {
            return STOPPED;
        }
        let c = client.0;
        let (call_name, flags, m) = match call {
            StoreCall::AddRef => ("addref", None, None),
            StoreCall::Release => ("release", None, None),
            StoreCall::StoreLogoff(flags) => ("store_logoff", Some(flags.bits()), None),
            StoreCall::Submit(m) => ("submit", None, Some(m.0)),
        };
        let sent = Message::Call { client: c, call: call_name, flags, message: m };
        let message = sent.to_string();
        let Ok(answer) = self.exchange(&sent, &["return", "store_logoff_transports"]) else { return STOPPED };
        if answer.get("type").and_then(Value::as_str) == Some("store_logoff_transports") {
            if !matches!(call, StoreCall::Release | StoreCall::StoreLogoff(_)) {
                self.out_of_protocol(
                    &message,
                    &answer,
                    "only a Release or a StoreLogoff may call StoreLogoffTransports",
                );
                return STOPPED;
            }
            let mode = answer
                .get("mode")
                .and_then(Value::as_str)
                .and_then(|name| Mode::ALL.into_iter().find(|m| m.name() == name));
            return match mode {
                Some(mode) => {
                    self.blocked[usize::from(c) % CLIENTS_MAX] = Some(call);
                    StoreAnswer::CallTransports(mode)
                }
                None => {
                    self.out_of_protocol(
                        &message,
                        &answer,
                        "expected \"mode\": NO_WAIT, ORDERLY, PURGE, ABORT or QUIET",
                    );
                    STOPPED
                }
            };
        }
        let result = match call {
            StoreCall::AddRef | StoreCall::Release => count(&answer),
            StoreCall::StoreLogoff(_) | StoreCall::Submit(_) => status(&answer),
        };
        match result {
            Ok(result) => StoreAnswer::Return(result),
            Err(why) => {
                self.out_of_protocol(&message, &answer, &why);
                STOPPED
            }
        }
    }

    fn transports_returned(&mut self, client: ClientId, flags: LogoffFlags, other_process: bool) -> AfterTransports {
        let stopped = AfterTransports { invalidate: false, result: CallResult::Count(0) };
        if self.failure.is_some() {
            return stopped;
        }
        let sent = Message::TransportsReturned { client: client.0, flags: flags.bits(), other_process };
        let message = sent.to_string();
        let blocked = self.blocked[client.index() % CLIENTS_MAX].take();
        let Ok(answer) = self.exchange(&sent, &["after_transports"]) else { return stopped };
        let Some(invalidate) = answer.get("invalidate").and_then(Value::as_bool) else {
            self.out_of_protocol(&message, &answer, "expected \"invalidate\" (true or false)");
            return stopped;
        };
        // The blocked call decides the kind of result: a count for a Release, an HRESULT for a StoreLogoff.
        let result = match blocked {
            Some(StoreCall::Release) => count(&answer).map_err(|why| format!("{why} for the blocked Release")),
            _ => status(&answer).map_err(|why| format!("{why} for the blocked StoreLogoff")),
        };
        match result {
            Ok(result) => AfterTransports { invalidate, result },
            Err(why) => {
                self.out_of_protocol(&message, &answer, &why);
                stopped
            }
        }
    }
}

impl Lifecycle for Program {
    fn start(&mut self, run: &str, profile: Profile, setup: Setup) {
        self.run = run.to_string();
        self.blocked = [None; CLIENTS_MAX];
        self.habits = SpoolerHabits::default();
        if let Some(running) = &self.running {
            // The tail shown with a failure holds this run's lines only.
            running.stderr.lock().unwrap_or_else(|e| e.into_inner()).clear();
        }
        if self.interrupted() {
            self.failure = Some(format!("{run}: interrupted (SIGINT or SIGTERM)"));
            self.stop();
            return;
        }
        if self.failure.is_some() || self.running.is_none() {
            self.failure = None;
            self.stop();
            if let Err(why) = self.spawn() {
                if self.failure.is_none() {
                    self.failure = Some(format!("{run}: {why}"));
                }
                return;
            }
        }
        let start = Message::Start { run, profile: Knobs(profile), setup };
        if let Ok(ready) = self.exchange(&start, &["ready"]) {
            let habit = |key: &str| ready.get(key).and_then(Value::as_bool).unwrap_or(false);
            self.habits = SpoolerHabits {
                receives_without_inbox: habit("receives_without_inbox"),
                delivers_after_release: habit("delivers_after_release"),
            };
        }
    }

    fn failure(&self) -> Option<String> {
        self.failure.clone()
    }

    /// Closes the run with `end`: its answer, with the id of `end`, comes after any line the program wrote for an
    /// earlier message of the run, so that a second answer to the run's last message is this run's failure.
    fn finish(&mut self) {
        if self.failure.is_none() && self.running.is_some() {
            let run = self.run.clone();
            let _ = self.exchange(&Message::End { run: &run }, &["end"]);
        }
    }
}

impl Program {
    /// The program in the role it plays, for a conformance run.
    pub fn played(&mut self) -> crate::role::Played<'_> {
        match self.role {
            "spooler" => crate::role::Played::Spooler(self),
            "transport" => crate::role::Played::Transport(self),
            _ => crate::role::Played::Store(self),
        }
    }

    /// Ends the program: at once when interrupted, else as [`close`](Program::close) does, its verdict dropped.
    fn stop(&mut self) {
        if self.interrupted() {
            if let Some(mut running) = self.running.take() {
                running.kill();
            }
        }
        let _ = self.close();
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        self.stop();
    }
}

fn flag_bits(value: Option<&Value>) -> Option<u32> {
    value.and_then(Value::as_u64).and_then(|n| u32::try_from(n).ok())
}

impl SpoolerRole for Program {
    fn habits(&mut self, _: &World) -> SpoolerHabits {
        self.habits
    }

    fn store_logoff_transports(&mut self, world_now: &World, mode: Mode) -> SpoolerPlan {
        if self.failure.is_some() {
            return ReferenceSpooler.store_logoff_transports(world_now, mode);
        }
        let sent = Message::StoreLogoffTransports { mode: mode.name(), world: world_now };
        let message = sent.to_string();
        let Ok(answer) = self.exchange(&sent, &["plan"]) else {
            return ReferenceSpooler.store_logoff_transports(world_now, mode);
        };
        let boolean = |key: &str| answer.get(key).and_then(Value::as_bool).unwrap_or(false);
        let flush = match answer.get("flush") {
            None | Some(Value::Null) => Ok(None),
            Some(value) => flag_bits(Some(value)).map(|b| Some(FlushFlags::from_bits_retain(b))).ok_or("flush"),
        };
        let outcome = match answer.get("outcome").and_then(Value::as_str) {
            Some("return") => {
                let flags = match answer.get("flags") {
                    Some(Value::String(s)) if s == "complete_and_activity" => Ok(ReturnFlags::CompleteAndActivity),
                    other => {
                        flag_bits(other).map(|b| ReturnFlags::Fixed(LogoffFlags::from_bits_retain(b))).ok_or("flags")
                    }
                };
                flags.map(|flags| SpoolerOutcome::Return {
                    flags,
                    other_process: boolean("other_process"),
                    stop_serving: boolean("stop_serving"),
                })
            }
            Some("block") => match answer.get("sends").and_then(Value::as_bool) {
                Some(sends) => Ok(SpoolerOutcome::Block {
                    await_flushes: boolean("await_flushes"),
                    sends,
                    receives: boolean("receives"),
                }),
                None => Err("sends"),
            },
            _ => Err("outcome"),
        };
        match (flush, outcome) {
            (Ok(flush), Ok(outcome)) => SpoolerPlan {
                stop_activity: boolean("stop_activity"),
                flush,
                flush_logged_off: boolean("flush_logged_off"),
                release_store: boolean("release_store"),
                outcome,
            },
            (Err(field), _) | (_, Err(field)) => {
                self.out_of_protocol(&message, &answer, &format!("\"{field}\" is missing or ill-typed"));
                ReferenceSpooler.store_logoff_transports(world_now, mode)
            }
        }
    }

    fn may_return(&mut self, world_now: &World, mode: Mode, flushes_awaited: u8) -> Option<LogoffFlags> {
        if self.failure.is_some() {
            return ReferenceSpooler.may_return(world_now, mode, flushes_awaited);
        }
        let sent = Message::MayReturn { mode: mode.name(), flushes_awaited, world: world_now };
        let message = sent.to_string();
        let Ok(answer) = self.exchange(&sent, &["may_return"]) else {
            return ReferenceSpooler.may_return(world_now, mode, flushes_awaited);
        };
        match answer.get("flags") {
            None | Some(Value::Null) => None,
            value => match flag_bits(value) {
                Some(bits) => Some(LogoffFlags::from_bits_retain(bits)),
                None => {
                    self.out_of_protocol(&message, &answer, "expected \"flags\": null or an integer");
                    None
                }
            },
        }
    }

    fn transport_logoff(&mut self, world_now: &World, transport: TransportId) -> TransportLogoffCall {
        if self.failure.is_some() {
            return ReferenceSpooler.transport_logoff(world_now, transport);
        }
        let sent = Message::TransportLogoff { transport: transport.0, world: world_now };
        let message = sent.to_string();
        let Ok(answer) = self.exchange(&sent, &["transport_logoff"]) else {
            return ReferenceSpooler.transport_logoff(world_now, transport);
        };
        let boolean = |key: &str| answer.get(key).and_then(Value::as_bool);
        match (boolean("discard_address_types"), flag_bits(answer.get("flags")), boolean("forget_awaited_flush")) {
            (Some(discard_address_types), Some(bits), Some(forget_awaited_flush)) => TransportLogoffCall {
                discard_address_types,
                flags: TransportLogoffFlags::from_bits_retain(bits),
                forget_awaited_flush,
            },
            _ => {
                self.out_of_protocol(
                    &message,
                    &answer,
                    "expected \"discard_address_types\", \"flags\" and \"forget_awaited_flush\"",
                );
                ReferenceSpooler.transport_logoff(world_now, transport)
            }
        }
    }
}

impl TransportRole for Program {
    fn logoff(&mut self, world_now: &World, transport: TransportId) -> TransportLogoffEffects {
        if self.failure.is_some() {
            return ReferenceTransport.logoff(world_now, transport);
        }
        let (sending, receiving, flushing) = match world_now.transport(transport) {
            Some(TransportState::LoggedOn { sending, receiving, flushing }) => (*sending, *receiving, *flushing),
            _ => (None, None, false),
        };
        let sent = Message::Logoff {
            transport: transport.0,
            sending: sending.map(|m| m.0),
            receiving: receiving.map(|m| m.0),
            flushing,
        };
        let message = sent.to_string();
        let Ok(answer) = self.exchange(&sent, &["logoff"]) else {
            return ReferenceTransport.logoff(world_now, transport);
        };
        let send = match answer.get("send").and_then(Value::as_str) {
            Some("requeued") => Some(SendFate::Requeued),
            Some("taken_as_sent") => Some(SendFate::TakenAsSent),
            _ => None,
        };
        match (send, answer.get("stop_receive").and_then(Value::as_bool)) {
            (Some(send), Some(stop_receive)) => TransportLogoffEffects { send, stop_receive },
            _ => {
                let why = "expected \"send\" (\"requeued\" or \"taken_as_sent\") and \"stop_receive\"";
                self.out_of_protocol(&message, &answer, why);
                ReferenceTransport.logoff(world_now, transport)
            }
        }
    }

    fn logoff_returned(
        &mut self,
        world_now: &World,
        t: TransportId,
        outcome: LogoffOutcome,
    ) -> &'static [TransportCall] {
        if self.failure.is_some() {
            return ReferenceTransport.logoff_returned(world_now, t, outcome);
        }
        let sent = Message::LogoffReturned { transport: t.0, outcome: outcome.name() };
        let message = sent.to_string();
        let Ok(answer) = self.exchange(&sent, &["calls"]) else {
            return ReferenceTransport.logoff_returned(world_now, t, outcome);
        };
        const MI: TransportCall = TransportCall::MakeInvalid;
        const RS: TransportCall = TransportCall::ReleaseSupport;
        let names: Option<Vec<&str>> =
            answer.get("calls").and_then(Value::as_array).map(|calls| calls.iter().filter_map(Value::as_str).collect());
        match names.as_deref() {
            Some([]) => &[],
            Some(["make_invalid"]) => &[MI],
            Some(["release_support"]) => &[RS],
            Some(["make_invalid", "release_support"]) => &[MI, RS],
            Some(["release_support", "make_invalid"]) => &[RS, MI],
            _ => {
                let why = "expected \"calls\": a list of \"make_invalid\" and \"release_support\", each at most once";
                self.out_of_protocol(&message, &answer, why);
                ReferenceTransport.logoff_returned(world_now, t, outcome)
            }
        }
    }
}

/// Whether the stop flag, if any, is set (a signal came).
fn interrupted(stop: Option<&'static AtomicBool>) -> bool {
    stop.is_some_and(|flag| flag.load(Ordering::Relaxed))
}
