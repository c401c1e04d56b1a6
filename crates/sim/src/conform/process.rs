//! The program's process: its command line split into words, the running child with its pipes, the kill of it
//! and everything it started, and the draining of its standard error.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, BufWriter, Read};
use std::process::{Child, ChildStdin};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::tree;

/// The lines of the program's standard error kept to show when it fails, and the characters kept of each.
const STDERR_LINES_KEPT: usize = 20;
const STDERR_LINE_CHARS: usize = 300;
/// How long the harness waits, once the program and everything it started are killed, for the rest of its
/// standard error.
const STDERR_DRAIN: Duration = Duration::from_millis(500);

/// Splits a command line into words as a POSIX shell does for plain words, single quotes and double quotes (no
/// variables, globs or escapes inside single quotes).
pub fn words(command: &str) -> Result<Vec<String>, String> {
    let (mut words, mut word, mut started) = (Vec::new(), String::new(), false);
    let mut quote: Option<char> = None;
    let mut chars = command.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"'), '\\') => word.push(chars.next().unwrap_or('\\')),
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => (quote, started) = (Some(c), true),
            (None, '\\') => {
                word.push(chars.next().unwrap_or('\\'));
                started = true;
            }
            (None, c) if c.is_whitespace() => {
                if started {
                    words.push(std::mem::take(&mut word));
                }
                started = false;
            }
            (None, c) => {
                word.push(c);
                started = true;
            }
        }
    }
    if quote.is_some() {
        return Err(format!(
            "`{command}` has a quote that is not closed; expected a command line such as 'python3 store.py'"
        ));
    }
    if started {
        words.push(word);
    }
    if words.is_empty() {
        return Err("the command is empty; expected a command line such as 'python3 store.py'".to_string());
    }
    Ok(words)
}

/// The running child.
pub(super) struct Running {
    pub(super) child: Child,
    /// The program's standard input; `None` once closed.
    pub(super) stdin: Option<BufWriter<ChildStdin>>,
    pub(super) lines: Receiver<Result<String, String>>,
    pub(super) stderr: Arc<Mutex<VecDeque<String>>>,
    /// The thread that drains the program's standard error, joined once it has read to the end.
    pub(super) stderr_reader: Option<JoinHandle<()>>,
}

/// The pids of the programs running in this process (each `Running`'s child), so that killing one program's
/// orphans never kills another program.
static ROOTS: Mutex<Vec<u32>> = Mutex::new(Vec::new());

pub(super) fn roots() -> std::sync::MutexGuard<'static, Vec<u32>> {
    ROOTS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Kills every program running in this process with everything it started: for a process that is about to end
/// at once (a second SIGINT, `sim::interrupt`), so that nothing it started outlives it.
pub fn kill_every_program() {
    let pids: Vec<u32> = roots().clone();
    for pid in &pids {
        tree::kill(*pid, true, &[]);
    }
}

impl Running {
    /// Waits until the program has exited, `deadline` passes or `stop` says so, whichever comes first.
    pub(super) fn wait_exit(&mut self, deadline: Instant, stop: impl Fn() -> bool) {
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline && !stop() {
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Kills the program and everything it started (grandchildren in sessions of their own included), reaps it,
    /// and waits (bounded) until its standard error is read to the end. Never waits on a pipe that a process the
    /// kill could not reach still holds.
    pub(super) fn kill(&mut self) -> String {
        let pid = self.child.id();
        let others: Vec<u32> = roots().iter().copied().filter(|p| *p != pid).collect();
        // try_wait reaps the program if it has exited: its pid is then no longer its own.
        let alive = matches!(self.child.try_wait(), Ok(None));
        tree::kill(pid, alive, &others);
        let _ = self.child.kill();
        let status = self.child.wait().map_or("unknown".to_string(), |status| status.to_string());
        // What it started between the first kill and its death is now an orphan of this process.
        tree::kill(pid, false, &others);
        roots().retain(|p| *p != pid);
        if let Some(reader) = self.stderr_reader.take() {
            let deadline = Instant::now() + STDERR_DRAIN;
            while !reader.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(2));
            }
            if reader.is_finished() {
                let _ = reader.join();
            }
        }
        status
    }
}

/// Reads the program's standard error to its end, whatever it holds (bytes that are not UTF-8, lines without end,
/// lines of any length), so that the program never blocks on a full pipe; keeps the last [`STDERR_LINES_KEPT`]
/// whole lines, each cut to [`STDERR_LINE_CHARS`] characters.
pub(super) fn drain_stderr(pipe: impl Read, kept: &Mutex<VecDeque<String>>) {
    let mut reader = BufReader::new(pipe);
    let (mut line, mut cut) = (Vec::new(), false);
    let keep = |line: &[u8], cut: bool| {
        let text = String::from_utf8_lossy(line);
        let text = text.trim_end();
        let mut shown: String = text.chars().take(STDERR_LINE_CHARS).collect();
        if cut || shown.len() < text.len() {
            shown.push_str(&format!(" [cut at {STDERR_LINE_CHARS} characters]"));
        }
        let mut kept = kept.lock().unwrap_or_else(|e| e.into_inner());
        if kept.len() == STDERR_LINES_KEPT {
            kept.pop_front();
        }
        kept.push_back(shown);
    };
    loop {
        let buffer = match reader.fill_buf() {
            Ok([]) => break,
            Ok(buffer) => buffer,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        let end = buffer.iter().position(|b| *b == b'\n');
        let chunk = &buffer[..end.unwrap_or(buffer.len())];
        // Bytes enough for the characters kept (4 bytes each at most); the rest of a long line is skipped.
        let room = (4 * STDERR_LINE_CHARS).saturating_sub(line.len());
        line.extend_from_slice(&chunk[..chunk.len().min(room)]);
        cut |= chunk.len() > room;
        let used = end.map_or(buffer.len(), |end| end + 1);
        reader.consume(used);
        if end.is_some() {
            keep(&line, cut);
            (line, cut) = (Vec::new(), false);
        }
    }
    if !line.is_empty() || cut {
        keep(&line, cut);
    }
}
