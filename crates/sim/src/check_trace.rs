//! Trace validation of a real log: is what a run did a behaviour the model allows under some reading of the
//! pages, and under which? A team with a provider and no harness of its own logs a run in the trace's form and
//! checks the log here.
//!
//! The log is read line by line: a `setup` line (or the `config {...}` line that `logoff-sim run` prints), then one
//! line a step, `STEP -> EFFECTS` with the effects separated by `; ` as a trace prints them (`STEP` alone for a
//! step that caused nothing, `STEP -> rejected: WHY` for a call that was not enabled), optionally after the
//! `[t=N] ` of a trace. Comments (`#`), blank lines, and the other lines `run` prints are skipped. The same log may
//! be written as JSON lines (one object a line: `setup`, then `step` with `effects` or `rejected`). Every step is
//! applied under each of the 512 profiles with the model's own store provider, and its effects compared with the
//! logged ones, text for text.

use std::fmt;

use logoff_core::*;

use crate::script::{self, ItemKind};

/// A step of the log: its line, the step, and what the log says it caused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogStep {
    pub line: usize,
    pub action: Action,
    /// The effects as a trace prints them, or `rejected: WHY`.
    pub logged: String,
}

/// A log read: its setup and steps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Log {
    pub setup: Setup,
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

/// What [`check`] found: the profiles under which the model does exactly what the log says (in index order),
/// or the first line that none explains.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Allowed(Vec<Profile>),
    Unexplained(Unexplained),
}

/// Reads a log; the error names the line (and, for a step, the column) and what was expected.
pub fn read(source: &[u8], file: &str) -> Result<Log, String> {
    if source.len() > crate::text::FILE_BYTES_MAX {
        return Err(format!(
            "{file}: error: the log is longer than {} bytes; expected a log of one run (split a longer one)",
            crate::text::FILE_BYTES_MAX
        ));
    }
    let source = source.strip_prefix("\u{feff}".as_bytes()).unwrap_or(source);
    let text =
        std::str::from_utf8(source).map_err(|e| format!("{file}: error: not UTF-8 ({e}); expected a text log"))?;
    let json_lines =
        text.lines().map(str::trim).find(|line| !line.is_empty()).is_some_and(|line| line.starts_with('{'));
    let converted;
    let text = if json_lines {
        converted = from_json_lines(text, file)?;
        converted.as_str()
    } else {
        text
    };
    // A script with the log's steps on the same lines, so that the script parser's errors name the log's lines.
    let mut script_source = String::with_capacity(text.len());
    let mut logged = Vec::new();
    let mut has_setup = false;
    for (index, raw) in text.split('\n').enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let trimmed = line.trim();
        let skipped = trimmed.is_empty()
            || trimmed.starts_with('#')
            || trimmed.starts_with("seed=")
            || trimmed.starts_with("limits ")
            || trimmed.starts_with("steps=")
            || trimmed.starts_with("profile ")
            || trimmed == "clean";
        if skipped {
            script_source.push('\n');
        } else if trimmed.starts_with("setup ") {
            has_setup = true;
            script_source.push_str(line);
            script_source.push('\n');
        } else if let Some(json) = trimmed.strip_prefix("config ") {
            let value: serde_json::Value = serde_json::from_str(json)
                .map_err(|e| format!("{file}:{}: error: {e}; expected `config` and a JSON object", index + 1))?;
            let setup: Setup = serde_json::from_value(value.get("setup").cloned().unwrap_or_default())
                .map_err(|e| format!("{file}:{}: error: {e}; expected the config's \"setup\"", index + 1))?;
            has_setup = true;
            let inbox = if setup.inbox { "yes" } else { "no" };
            script_source.push_str(&format!(
                "setup clients={} transports={} inbox={inbox} other={}\n",
                setup.clients, setup.transports, setup.other
            ));
        } else {
            // `[t=000123] ` is blanked out, so that columns stay those of the log.
            let (prefix, rest) = match line.trim_start().strip_prefix("[t=").and_then(|r| r.split_once("] ")) {
                Some((_, rest)) => (line.len() - rest.len(), rest),
                None => (0, line),
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
    let script = script::parse(script_source.as_bytes(), file).map_err(|e| e.to_string())?;
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
    Ok(Log { setup: script.setup, steps })
}

/// The JSON-lines form of a log, line for line in the text form: `{"setup":{"clients":2,"transports":1,
/// "inbox":true,"other":0}}`, then one object a step, `{"step":"c0 logoff ORDERLY","effects":["..."]}` or
/// `{"step":"...","rejected":"why"}` (the objects of `run --format json`'s `steps`; `tick` and other fields are
/// ignored). Blank lines are kept.
fn from_json_lines(text: &str, file: &str) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    for (index, line) in text.split('\n').enumerate() {
        let line = line.trim();
        if line.is_empty() {
            out.push('\n');
            continue;
        }
        let at = index + 1;
        let value: serde_json::Value = serde_json::from_str(line)
            .map_err(|e| format!("{file}:{at}: error: {e}; expected one JSON object a line"))?;
        let expected = "expected {\"setup\":{...}} or {\"step\":\"...\",\"effects\":[...]}";
        if let Some(setup) = value.get("setup") {
            let setup: Setup = serde_json::from_value(setup.clone()).map_err(|e| {
                format!("{file}:{at}: error: {e}; expected the setup's clients, transports, inbox, other")
            })?;
            let inbox = if setup.inbox { "yes" } else { "no" };
            out.push_str(&format!(
                "setup clients={} transports={} inbox={inbox} other={}\n",
                setup.clients, setup.transports, setup.other
            ));
            continue;
        }
        let step = value.get("step").and_then(serde_json::Value::as_str);
        let step = step.ok_or_else(|| format!("{file}:{at}: error: no \"step\"; {expected}"))?;
        if step.contains('\n') || step.contains("->") {
            return Err(format!("{file}:{at}: error: a step of one line, without `->`; {expected}"));
        }
        let caused = match (value.get("rejected").and_then(serde_json::Value::as_str), value.get("effects")) {
            (Some(why), _) => format!("rejected: {why}"),
            (None, Some(serde_json::Value::Array(effects))) => {
                let effects: Option<Vec<&str>> = effects.iter().map(serde_json::Value::as_str).collect();
                effects
                    .ok_or_else(|| format!("{file}:{at}: error: an effect that is not a string; {expected}"))?
                    .join("; ")
            }
            (None, None) => String::new(),
            (None, Some(_)) => return Err(format!("{file}:{at}: error: \"effects\" is not a list; {expected}")),
        };
        out.push_str(&format!("{step} -> {caused}\n"));
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

/// Tries the log under every profile.
pub fn check(log: &Log) -> Verdict {
    let results: Vec<(Profile, usize, String)> = (0..Profile::COUNT)
        .map(Profile::from_index)
        .map(|profile| {
            let (explained, caused) = explained_steps(log, profile);
            (profile, explained, caused)
        })
        .collect();
    let allowed: Vec<Profile> =
        results.iter().filter(|(_, explained, _)| *explained == log.steps.len()).map(|(p, _, _)| *p).collect();
    if !allowed.is_empty() {
        return Verdict::Allowed(allowed);
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
