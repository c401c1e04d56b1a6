//! Traces: every step of a run with its virtual time and effects, as readable text, as JSON, and as a hash.

use std::fmt::{self, Write as _};

use logoff_core::*;
use serde::Serialize;

use crate::simulate::{Config, Observer, Outcome};

/// One recorded step: applied (with its effects) or attempted by a client and not enabled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceStep {
    pub tick: u64,
    pub action: Action,
    pub result: Result<Effects, NotEnabled>,
}

/// The observer that records a whole run.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    pub steps: Vec<TraceStep>,
}

impl Observer for Trace {
    fn step(&mut self, tick: u64, action: Action, effects: &Effects) {
        self.steps.push(TraceStep { tick, action, result: Ok(*effects) });
    }

    fn rejected(&mut self, tick: u64, action: Action, why: NotEnabled) {
        self.steps.push(TraceStep { tick, action, result: Err(why) });
    }
}

/// The 64-bit FNV-1a hash: the project's fixed trace hash (the standard library's hasher may change between
/// Rust releases; this one cannot).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

impl fmt::Display for TraceStep {
    /// `[t=000123] c0 logoff ORDERLY -> transports-called ORDERLY by c0 logoff; reception-disabled`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[t={:06}] {}", self.tick, self.action)?;
        match &self.result {
            Ok(effects) => {
                for (i, effect) in effects.iter().enumerate() {
                    f.write_str(if i == 0 { " -> " } else { "; " })?;
                    write!(f, "{effect}")?;
                }
                Ok(())
            }
            Err(why) => write!(f, " -> rejected: {why}"),
        }
    }
}

impl Trace {
    /// The text of the trace, one line a step.
    pub fn text(&self) -> String {
        let mut text = String::new();
        for step in &self.steps {
            let _ = writeln!(text, "{step}");
        }
        text
    }

    /// The hash of the text of the trace.
    pub fn hash(&self) -> u64 {
        fnv1a64(self.text().as_bytes())
    }

    /// The run as one JSON document: the configuration, each step with its tick, its script line and its effects,
    /// then the verdict (`clean` or `violation`, with the broken invariant).
    pub fn json(&self, config: &Config, outcome: &Outcome) -> String {
        #[derive(Serialize)]
        struct Step {
            tick: u64,
            step: String,
            effects: Vec<String>,
            /// Why a step a client attempted was not enabled; null for a step that was applied.
            rejected: Option<String>,
        }
        /// The first broken invariant: its name, its requirements, what was seen, and the step (from 1).
        #[derive(Serialize)]
        struct Broken {
            invariant: &'static str,
            requirements: &'static str,
            what: String,
            step: u32,
        }
        #[derive(Serialize)]
        struct Document<'a> {
            schema_version: u32,
            command: &'static str,
            config: &'a Config,
            profile: String,
            trace_hash: String,
            steps: Vec<Step>,
            steps_run: u32,
            ticks: u64,
            /// `clean` or `violation`.
            verdict: &'static str,
            violation: Option<Broken>,
        }
        let steps = self
            .steps
            .iter()
            .map(|s| Step {
                tick: s.tick,
                step: s.action.to_string(),
                effects: s.result.as_ref().map(|e| e.iter().map(|e| e.to_string()).collect()).unwrap_or_default(),
                rejected: s.result.as_ref().err().map(|why| why.to_string()),
            })
            .collect();
        let document = Document {
            schema_version: 1,
            command: "run",
            config,
            profile: config.profile.to_string(),
            trace_hash: format!("{:016x}", self.hash()),
            steps,
            steps_run: outcome.steps,
            ticks: outcome.ticks,
            verdict: if outcome.violation.is_some() { "violation" } else { "clean" },
            violation: outcome.violation.map(|(violation, step)| Broken {
                invariant: violation.invariant.name(),
                requirements: violation.invariant.requirements(),
                what: violation.detail().to_string(),
                step,
            }),
        };
        serde_json::to_string_pretty(&document).expect("a trace always serialises")
    }
}
