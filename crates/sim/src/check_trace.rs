//! Trace validation of a real log: is what a run did a behaviour the model allows under some reading of the
//! pages, and under which? A team with a provider and no harness of its own logs a run in the trace's form and
//! checks the log here.
//!
//! The log is read line by line: a `setup` line (or the `config {...}` line that `logoff-sim run` prints), then one
//! line a step, `STEP -> EFFECTS` with the effects separated by `; ` as a trace prints them (`STEP` alone for a
//! step that caused nothing, `STEP -> rejected: WHY` for a call that was not enabled), optionally after the
//! `[t=N] ` of a trace. Comments (`#`), blank lines, and the other lines `run` prints are skipped. The same log may
//! be written as JSON lines (one object a line: `setup`, optionally `profile`, then `step` with `effects` or
//! `rejected`). Every step is applied with the model's own store provider under each of the 1,024 profiles, or only
//! under the one a `profile` line names, and its effects compared with the logged ones, text for text.
//!
//! Decisions:
//! - Lines are read as a script's are ([`crate::text::lines`]): LF or CRLF line ends, no other control character
//!   anywhere (effects included), so a log with old Mac (CR) line ends or a NUL is malformed at its line and
//!   column, not a step that no profile explains.
//! - A `profile` line (at most one, before the first step, read as a script's) restricts the judgement to the
//!   profile it names, unnamed knobs at their default. The profile inside a `config` line is not read: that line
//!   gives the setup only, so that what `run` prints is judged under every profile.
//! - A log with no step is malformed: it shows nothing.
//! - A log may end with calls still in progress (a client's StoreLogoff or Release waiting, StoreLogoffTransports
//!   or a TransportLogoff not returned): they are named, with whether the model lets them return if the run goes
//!   on fairly with no new work ([`crate::liveness::settle`]). A log may stop anywhere, so it stays allowed if the
//!   model lets them return under some profile that explains it; if it lets them return under none, no profile
//!   explains the log (R21).

use std::fmt;

use logoff_core::*;

use crate::invariants::{apply_checked, Checker};
use crate::liveness::settle;
use crate::script::{self, ItemKind};

/// A step of the log: its line, the step, and what the log says it caused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogStep {
    pub line: usize,
    pub action: Action,
    /// The effects as a trace prints them, or `rejected: WHY`.
    pub logged: String,
}

/// A log read: its setup, the profile its `profile` line names (with that line), and its steps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Log {
    pub setup: Setup,
    pub profile: Option<(usize, Profile)>,
    pub steps: Vec<LogStep>,
}

/// A log line that no profile explains.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unexplained {
    pub line: usize,
    /// The step and what the log says it caused.
    pub step: String,
    pub logged: String,
    /// The profiles that explain every line before it, and what the model says the step causes under the first
    /// of them.
    pub profiles_before: usize,
    pub expected: String,
}

/// The calls still in progress at the end of a log that the model explains, and whether it lets them return.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blocked {
    /// The calls made and not returned (`c0 release`, `StoreLogoffTransports ORDERLY for c1 logoff`, `t0
    /// TransportLogoff`), in that order; the same under every profile that explains the log, since each call and
    /// each return is a logged effect or step.
    pub calls: Vec<String>,
    /// The profiles that explain the steps and under which the fair world with no new work brings every one back.
    pub returning: Vec<Profile>,
    /// Why they do not return under the first profile that explains the steps and does not bring them back.
    pub stuck: Option<String>,
}

/// What [`check`] found: the profiles under which the model does exactly what the log says (in index order), with
/// the calls still in progress at its end, if any; or the first line that none explains.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Allowed(Vec<Profile>, Option<Blocked>),
    Unexplained(Unexplained),
    /// Every step explained, but calls are left in progress that the model lets return under none of the profiles
    /// that explain the steps.
    NeverReturns(Vec<Profile>, Blocked),
}

/// Reads a log; the error names the line (and, for a text log, the column) and what was expected.
pub fn read(source: &[u8], file: &str) -> Result<Log, String> {
    if source.len() > crate::text::FILE_BYTES_MAX {
        return Err(format!(
            "{file}: error: the log is longer than {} bytes; expected a log of one run (split a longer one)",
            crate::text::FILE_BYTES_MAX
        ));
    }
    let mut lines = Vec::new();
    for (at, line) in crate::text::lines(source) {
        let line =
            line.map_err(|e| format!("{file}:{at}:{}: error: {}; expected {}", e.column, e.problem, e.expected))?;
        lines.push(line);
    }
    let json_lines =
        lines.iter().map(|line| line.trim()).find(|line| !line.is_empty()).is_some_and(|line| line.starts_with('{'));
    let converted;
    let lines: Vec<&str> = if json_lines {
        converted = from_json_lines(&lines, file)?;
        converted.iter().map(String::as_str).collect()
    } else {
        lines
    };
    // A script with the log's steps on the same lines, so that the script parser's errors name the log's lines.
    let mut script_source = String::with_capacity(source.len());
    let mut logged = Vec::new();
    let mut has_setup = false;
    let mut profile_line = None;
    for (index, line) in lines.iter().enumerate() {
        let trimmed = line.trim();
        let skipped = trimmed.is_empty()
            || trimmed.starts_with('#')
            || trimmed.starts_with("seed=")
            || trimmed.starts_with("limits ")
            || trimmed.starts_with("steps=")
            || trimmed == "clean";
        let first_word = trimmed.split_whitespace().next().unwrap_or_default();
        if skipped {
            script_source.push('\n');
        } else if first_word == "setup" || first_word == "profile" {
            // Read by the script parser, as a script's are: at most once each, before the first step.
            has_setup |= first_word == "setup";
            if first_word == "profile" {
                profile_line = profile_line.or(Some(index + 1));
            }
            script_source.push_str(line);
            script_source.push('\n');
        } else if let Some(json) = trimmed.strip_prefix("config ") {
            let value: serde_json::Value = serde_json::from_str(json)
                .map_err(|e| format!("{file}:{}: error: {e}; expected `config` and a JSON object", index + 1))?;
            let setup: Setup = serde_json::from_value(value.get("setup").cloned().unwrap_or_default())
                .map_err(|e| format!("{file}:{}: error: {e}; expected the config's \"setup\"", index + 1))?;
            has_setup = true;
            script_source.push_str(&setup_line(&setup));
        } else {
            // `[t=000123] ` is blanked out, so that columns stay those of the log.
            let (prefix, rest) = match line.trim_start().strip_prefix("[t=").and_then(|r| r.split_once("] ")) {
                Some((_, rest)) => (line.len() - rest.len(), rest),
                None => (0, *line),
            };
            let (step, caused) = match rest.split_once("->") {
                Some((step, caused)) => (step, Some(caused)),
                None => (rest, None),
            };
            if step.trim().is_empty() {
                return Err(format!("{file}:{}: error: no step on the line; expected STEP -> EFFECTS", index + 1));
            }
            script_source.push_str(&" ".repeat(prefix));
            script_source.push_str(step);
            script_source.push('\n');
            // Effects are compared word for word: spacing is not part of what happened.
            let caused = caused.unwrap_or("").split_whitespace().collect::<Vec<_>>().join(" ");
            logged.push((index + 1, caused));
        }
    }
    if !has_setup {
        return Err(format!(
            "{file}: error: no setup; expected a `setup clients=N transports=N inbox=yes|no other=N` line (or the \
             `config` line of `logoff-sim run`) before the steps"
        ));
    }
    if logged.is_empty() {
        return Err(format!(
            "{file}: error: the log has no step; expected `STEP -> EFFECTS` lines after the setup (a log without \
             steps shows nothing)"
        ));
    }
    let script = script::parse(script_source.as_bytes(), file).map_err(|e| match json_lines {
        // The converted line's columns are not the JSON line's: the message names the line and quotes the word.
        true => format!("{}:{}: error: {}; expected {}", e.file, e.line, e.problem, e.expected),
        false => e.to_string(),
    })?;
    // Each step takes what its own line logged: every logged line holds a step, and the parser keeps lines.
    let mut steps = Vec::new();
    for item in &script.items {
        match item.kind {
            ItemKind::Step(action) => {
                let Ok(at) = logged.binary_search_by_key(&item.line, |(line, _)| *line) else {
                    return Err(format!("{file}:{}: error: a step that was not logged as one", item.line));
                };
                steps.push(LogStep { line: item.line, action, logged: logged[at].1.clone() });
            }
            ItemKind::Expect(_) => {
                return Err(format!("{file}:{}: error: an expectation; expected a step of the log", item.line));
            }
        }
    }
    Ok(Log { setup: script.setup, profile: profile_line.map(|line| (line, script.profile)), steps })
}

/// A setup as a log's (and a script's) `setup` line.
fn setup_line(setup: &Setup) -> String {
    let inbox = if setup.inbox { "yes" } else { "no" };
    format!("setup clients={} transports={} inbox={inbox} other={}\n", setup.clients, setup.transports, setup.other)
}

/// What a JSON value is, for messages: `a boolean (true)`, `a number (3)`, ...
fn kind(value: &serde_json::Value) -> String {
    let text = crate::text::excerpt(&value.to_string()).into_owned();
    match value {
        serde_json::Value::Null => "null".to_string(),
        serde_json::Value::Bool(_) => format!("a boolean ({text})"),
        serde_json::Value::Number(_) => format!("a number ({text})"),
        serde_json::Value::String(_) => format!("a string ({text})"),
        serde_json::Value::Array(_) => format!("a list ({text})"),
        serde_json::Value::Object(_) => format!("an object ({text})"),
    }
}

/// The JSON-lines form of a log, line for line in the text form: `{"setup":{"clients":2,"transports":1,
/// "inbox":true,"other":0}}`, optionally `{"profile":"call_site=eager"}` (a `profile` line), then one object a
/// step, `{"step":"c0 logoff ORDERLY","effects":["..."]}` or `{"step":"...","rejected":"why"}` (the objects of `run
/// --format json`'s `steps`, where `rejected` is null for a step that was taken; `tick` and other fields are
/// ignored). Blank lines are kept. A field of the wrong type, or a string with a control character, is refused.
fn from_json_lines(lines: &[&str], file: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::with_capacity(lines.len());
    for (index, line) in lines.iter().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            out.push(String::new());
            continue;
        }
        let at = index + 1;
        let value: serde_json::Value = serde_json::from_str(line)
            .map_err(|e| format!("{file}:{at}: error: {e}; expected one JSON object a line"))?;
        let expected = "expected {\"setup\":{...}}, {\"profile\":\"...\"} or {\"step\":\"...\",\"effects\":[...]}";
        let wrong = |field: &str, value: &serde_json::Value, what: &str| {
            format!("{file}:{at}: error: \"{field}\" is {}; expected {what}", kind(value))
        };
        // A string of one line: the step, an effect, a reason or a profile.
        let text = |field: &str, value: &serde_json::Value| -> Result<String, String> {
            let Some(text) = value.as_str() else { return Err(wrong(field, value, "a string")) };
            if let Some(bad) = text.chars().find(|c| crate::text::forbidden(*c)) {
                return Err(format!(
                    "{file}:{at}: error: \"{field}\" holds the control or invisible character U+{:04X}; expected \
                     text of one line, as a trace prints it",
                    u32::from(bad)
                ));
            }
            Ok(text.to_string())
        };
        let present: Vec<&str> =
            ["setup", "profile", "step"].into_iter().filter(|key| value.get(key).is_some()).collect();
        if present.len() > 1 {
            return Err(format!("{file}:{at}: error: {} on one line; {expected}, one a line", present.join(" and ")));
        }
        if let Some(setup) = value.get("setup") {
            let setup: Setup = serde_json::from_value(setup.clone()).map_err(|e| {
                format!("{file}:{at}: error: {e}; expected the setup's clients, transports, inbox, other")
            })?;
            out.push(setup_line(&setup).trim_end().to_string());
            continue;
        }
        if let Some(profile) = value.get("profile") {
            out.push(format!("profile {}", text("profile", profile)?));
            continue;
        }
        let step = value.get("step").ok_or_else(|| format!("{file}:{at}: error: no \"step\"; {expected}"))?;
        let step = text("step", step)?;
        if step.contains("->") {
            return Err(format!("{file}:{at}: error: a step of one line, without `->`; {expected}"));
        }
        let effects = match value.get("effects") {
            None | Some(serde_json::Value::Null) => Vec::new(),
            Some(serde_json::Value::Array(effects)) => {
                effects.iter().map(|effect| text("effects", effect)).collect::<Result<Vec<_>, _>>()?
            }
            Some(other) => return Err(wrong("effects", other, "a list of strings")),
        };
        let caused = match value.get("rejected") {
            None | Some(serde_json::Value::Null) => effects.join("; "),
            Some(why) => {
                if !why.is_string() {
                    return Err(wrong(
                        "rejected",
                        why,
                        "a string (why the step was not enabled) or null (it was taken)",
                    ));
                }
                let why = text("rejected", why)?;
                if !effects.is_empty() {
                    return Err(format!(
                        "{file}:{at}: error: a step both rejected and with effects; expected one of them"
                    ));
                }
                format!("rejected: {why}")
            }
        };
        out.push(format!("{step} -> {caused}"));
    }
    Ok(out)
}

/// What the model does with the log's steps under one profile: the index of the first step it does not do as
/// logged (or `steps.len()`), and what it does there.
fn explained_steps(log: &Log, profile: Profile) -> (usize, String) {
    let Ok(mut model) = Model::new(profile, log.setup) else { return (0, "an invalid setup".to_string()) };
    for (index, step) in log.steps.iter().enumerate() {
        let caused = match model.apply(step.action) {
            Ok(effects) => effects.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "),
            Err(why) => format!("rejected: {why}"),
        };
        let caused = caused.split_whitespace().collect::<Vec<_>>().join(" ");
        if caused != step.logged {
            return (index, caused);
        }
    }
    (log.steps.len(), String::new())
}

/// The calls in progress in `model`: clients' StoreLogoff and Release calls waiting, StoreLogoffTransports, and
/// TransportLogoff calls not returned.
fn calls_in_progress(model: &Model) -> Vec<String> {
    let mut calls = Vec::new();
    for c in ClientId::all(usize::from(model.setup().clients)) {
        match model.client(c).and_then(|client| client.blocked) {
            Some(BlockedCall::StoreLogoff) => calls.push(format!("{c} logoff")),
            Some(BlockedCall::Release) => calls.push(format!("{c} release")),
            None => {}
        }
    }
    if let SpoolerState::LoggingOff { mode, caller, .. } = model.spooler() {
        let (call, c) = match caller {
            Caller::StoreLogoff(c) => ("logoff", c),
            Caller::Release(c) => ("release", c),
        };
        calls.push(format!("StoreLogoffTransports {mode} for {c} {call}"));
    }
    for t in TransportId::all(usize::from(model.setup().transports)) {
        if model.transport(t) == Some(&TransportState::LoggingOff) {
            calls.push(format!("{t} TransportLogoff"));
        }
    }
    calls
}

/// Under `profile`, which explains every step of the log: the calls in progress at its end, and whether the fair
/// world with no new work brings every one back (`Err` says why not).
fn ending(log: &Log, profile: Profile) -> (Vec<String>, Result<(), String>) {
    let Ok(mut model) = Model::new(profile, log.setup) else { return (Vec::new(), Ok(())) };
    let mut checker = Checker::new(&model);
    for step in &log.steps {
        let before = model;
        // A rejected step changes nothing (it was logged as rejected, and the model agrees).
        let mut broken = None;
        let _ = apply_checked(&before, &mut model, &mut checker, step.action, &mut broken, Model::apply);
        if let Some(violation) = broken {
            return (calls_in_progress(&model), Err(format!("at line {}: {violation}", step.line)));
        }
    }
    let calls = calls_in_progress(&model);
    if calls.is_empty() {
        return (calls, Ok(()));
    }
    let settled = settle(&mut model, &mut checker).map(|_| ()).map_err(|violation| violation.to_string());
    (calls, settled)
}

/// Tries the log under every profile, or under the one its `profile` line names.
pub fn check(log: &Log) -> Verdict {
    let candidates: Vec<Profile> = match log.profile {
        Some((_, profile)) => vec![profile],
        None => (0..Profile::COUNT).map(Profile::from_index).collect(),
    };
    let results: Vec<(Profile, usize, String)> = candidates
        .into_iter()
        .map(|profile| {
            let (explained, caused) = explained_steps(log, profile);
            (profile, explained, caused)
        })
        .collect();
    let allowed: Vec<Profile> =
        results.iter().filter(|(_, explained, _)| *explained == log.steps.len()).map(|(p, _, _)| *p).collect();
    if !allowed.is_empty() {
        let mut blocked = Blocked { calls: Vec::new(), returning: Vec::new(), stuck: None };
        for profile in &allowed {
            let (calls, settled) = ending(log, *profile);
            blocked.calls = calls;
            match settled {
                Ok(()) => blocked.returning.push(*profile),
                Err(why) => {
                    blocked.stuck.get_or_insert(why);
                }
            }
        }
        if blocked.calls.is_empty() {
            return Verdict::Allowed(allowed, None);
        }
        if blocked.returning.is_empty() {
            return Verdict::NeverReturns(allowed, blocked);
        }
        return Verdict::Allowed(allowed, Some(blocked));
    }
    let furthest = results.iter().map(|(_, explained, _)| *explained).max().unwrap_or(0);
    let at_furthest: Vec<&(Profile, usize, String)> = results.iter().filter(|r| r.1 == furthest).collect();
    let step = &log.steps[furthest];
    Verdict::Unexplained(Unexplained {
        line: step.line,
        step: step.action.to_string(),
        logged: step.logged.clone(),
        profiles_before: at_furthest.len(),
        expected: at_furthest.first().map(|r| r.2.clone()).unwrap_or_default(),
    })
}

/// The profiles, knob by knob: the values each knob takes among them (`call_site=eager orderly=drain|keep ...`).
pub struct KnobSummary<'a>(pub &'a [Profile]);

impl fmt::Display for KnobSummary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, knob) in Profile::KNOBS.iter().enumerate() {
            let mut values: Vec<&str> = Vec::new();
            for profile in self.0 {
                let value = profile.values()[i];
                if !values.contains(&value) {
                    values.push(value);
                }
            }
            values.sort_unstable();
            let separator = if i == 0 { "" } else { " " };
            write!(f, "{separator}{knob}={}", values.join("|"))?;
        }
        Ok(())
    }
}
