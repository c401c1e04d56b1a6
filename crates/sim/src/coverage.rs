//! Coverage: the "sometimes" properties. Each counter counts the runs in which something happened at least once,
//! so that a sweep shows it reached every path worth reaching.

use logoff_core::*;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Something a sweep must reach. The modes' rows list only what a mode can do: ABORT and QUIET never block
/// (R21), and NO_WAIT, ORDERLY and PURGE never refuse; the invariants check both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Sometimes {
    NoWaitAtOnce,
    NoWaitBlockedThenCompleted,
    OrderlyAtOnce,
    OrderlyBlockedThenCompleted,
    PurgeAtOnce,
    PurgeBlockedThenCompleted,
    AbortCompletedAtOnce,
    AbortRefused,
    QuietCompletedAtOnce,
    QuietRefused,
    OtherProcess,
    TransportLogoffMidSend,
    TransportLogoffMidReceive,
    TransportLogoffMidFlush,
    SendFailedDuringLogoff,
    MisuseInvalidFlags,
    MisuseCallAfterComplete,
    MisuseLogoffWhileBusy,
    MisuseNotEnabled,
    NeverReleased,
    LeftToTheSpoolerByR7,
}

impl Sometimes {
    pub const ALL: [Sometimes; 21] = [
        Sometimes::NoWaitAtOnce,
        Sometimes::NoWaitBlockedThenCompleted,
        Sometimes::OrderlyAtOnce,
        Sometimes::OrderlyBlockedThenCompleted,
        Sometimes::PurgeAtOnce,
        Sometimes::PurgeBlockedThenCompleted,
        Sometimes::AbortCompletedAtOnce,
        Sometimes::AbortRefused,
        Sometimes::QuietCompletedAtOnce,
        Sometimes::QuietRefused,
        Sometimes::OtherProcess,
        Sometimes::TransportLogoffMidSend,
        Sometimes::TransportLogoffMidReceive,
        Sometimes::TransportLogoffMidFlush,
        Sometimes::SendFailedDuringLogoff,
        Sometimes::MisuseInvalidFlags,
        Sometimes::MisuseCallAfterComplete,
        Sometimes::MisuseLogoffWhileBusy,
        Sometimes::MisuseNotEnabled,
        Sometimes::NeverReleased,
        Sometimes::LeftToTheSpoolerByR7,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Sometimes::NoWaitAtOnce => "NO_WAIT completed at once",
            Sometimes::NoWaitBlockedThenCompleted => "NO_WAIT blocked, then completed",
            Sometimes::OrderlyAtOnce => "ORDERLY completed at once",
            Sometimes::OrderlyBlockedThenCompleted => "ORDERLY blocked, then completed",
            Sometimes::PurgeAtOnce => "PURGE completed at once",
            Sometimes::PurgeBlockedThenCompleted => "PURGE blocked, then completed",
            Sometimes::AbortCompletedAtOnce => "ABORT completed at once",
            Sometimes::AbortRefused => "ABORT refused",
            Sometimes::QuietCompletedAtOnce => "QUIET completed at once",
            Sometimes::QuietRefused => "QUIET refused",
            Sometimes::OtherProcess => "R7: another process had the store open",
            Sometimes::TransportLogoffMidSend => "TransportLogoff mid-send",
            Sometimes::TransportLogoffMidReceive => "TransportLogoff mid-receive",
            Sometimes::TransportLogoffMidFlush => "TransportLogoff mid-flush",
            Sometimes::SendFailedDuringLogoff => "send failed during a logoff",
            Sometimes::MisuseInvalidFlags => "misuse: invalid StoreLogoff flags",
            Sometimes::MisuseCallAfterComplete => "misuse: call after COMPLETE",
            Sometimes::MisuseLogoffWhileBusy => "misuse: StoreLogoff during a logoff (MAPI_E_BUSY)",
            Sometimes::MisuseNotEnabled => "misuse: a call the client may not make (a Release too many)",
            Sometimes::NeverReleased => "finding: store destroyed, never released by the spooler (no R7)",
            Sometimes::LeftToTheSpoolerByR7 => "R7: store destroyed, left to the spooler as R7 says",
        }
    }
}

/// The number of knob values (two for each knob).
pub const KNOB_VALUES: usize = 2 * Profile::KNOBS.len();
const SOMETIMES: usize = Sometimes::ALL.len();

/// What one run reached; summed over a sweep, the number of runs that reached each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    /// Indexed by `Sometimes as usize`.
    pub sometimes: [u64; SOMETIMES],
    /// Runs that made a StoreLogoffTransports call, by knob value: knob `i`'s first value at `2 i`, second at
    /// `2 i + 1`, in the order of `Profile::KNOBS`.
    pub knob_values: [u64; KNOB_VALUES],
}

impl Default for Coverage {
    fn default() -> Self {
        Coverage { sometimes: [0; SOMETIMES], knob_values: [0; KNOB_VALUES] }
    }
}

impl Coverage {
    pub fn hit(&mut self, what: Sometimes) {
        self.sometimes[what as usize] = 1;
    }

    /// Adds another sweep's (or run's) counts.
    pub fn add(&mut self, other: &Coverage) {
        for (a, b) in self.sometimes.iter_mut().zip(other.sometimes) {
            *a += b;
        }
        for (a, b) in self.knob_values.iter_mut().zip(other.knob_values) {
            *a += b;
        }
    }

    pub fn count(&self, what: Sometimes) -> u64 {
        self.sometimes[what as usize]
    }

    /// Records what one step reached. `before` is the model before the step.
    pub fn record(&mut self, before: &Model, action: Action, effects: &Effects) {
        let mut called = None;
        for effect in effects {
            match *effect {
                Effect::TransportsCalled { mode, .. } => {
                    called = Some(mode);
                    if self.knob_values.iter().all(|v| *v == 0) {
                        let defaults = Profile::default().values();
                        for (i, (value, default)) in before.profile().values().iter().zip(defaults).enumerate() {
                            self.knob_values[2 * i + usize::from(*value != default)] = 1;
                        }
                    }
                }
                Effect::TransportsReturned { flags, other_process } => {
                    if other_process {
                        self.hit(Sometimes::OtherProcess);
                        continue;
                    }
                    let complete = flags.contains(LogoffFlags::COMPLETE);
                    let what = match (called, before.spooler()) {
                        (Some(Mode::NoWait), _) => Sometimes::NoWaitAtOnce,
                        (Some(Mode::Orderly), _) => Sometimes::OrderlyAtOnce,
                        (Some(Mode::Purge), _) => Sometimes::PurgeAtOnce,
                        (Some(Mode::Abort), _) if complete => Sometimes::AbortCompletedAtOnce,
                        (Some(Mode::Abort), _) => Sometimes::AbortRefused,
                        (Some(Mode::Quiet), _) if complete => Sometimes::QuietCompletedAtOnce,
                        (Some(Mode::Quiet), _) => Sometimes::QuietRefused,
                        (None, SpoolerState::LoggingOff { mode: Mode::NoWait, .. }) => {
                            Sometimes::NoWaitBlockedThenCompleted
                        }
                        (None, SpoolerState::LoggingOff { mode: Mode::Orderly, .. }) => {
                            Sometimes::OrderlyBlockedThenCompleted
                        }
                        (None, SpoolerState::LoggingOff { mode: Mode::Purge, .. }) => {
                            Sometimes::PurgeBlockedThenCompleted
                        }
                        _ => continue,
                    };
                    self.hit(what);
                }
                Effect::SendStopped { .. } if matches!(action, Action::TransportLogoff(_)) => {
                    self.hit(Sometimes::TransportLogoffMidSend)
                }
                Effect::ReceiveStopped { .. } if matches!(action, Action::TransportLogoff(_)) => {
                    self.hit(Sometimes::TransportLogoffMidReceive)
                }
                Effect::FlushAbandoned { .. } => self.hit(Sometimes::TransportLogoffMidFlush),
                Effect::Returned { call: ClientCall::StoreLogoff | ClientCall::Submit, result, .. } => {
                    if let CallResult::Status(hr, _) = result {
                        if hr == HResult::INVALID_PARAMETER {
                            self.hit(Sometimes::MisuseInvalidFlags);
                        } else if hr == HResult::INVALID_OBJECT {
                            self.hit(Sometimes::MisuseCallAfterComplete);
                        } else if hr == HResult::BUSY {
                            self.hit(Sometimes::MisuseLogoffWhileBusy);
                        }
                    }
                }
                _ => {}
            }
        }
        if let (Action::SendFailed(..), SpoolerState::LoggingOff { .. }) = (action, before.spooler()) {
            self.hit(Sometimes::SendFailedDuringLogoff);
        }
    }
}

/// Writes the coverage table of a sweep of `runs` runs, one line each, with `MISSING` where a count is zero.
pub struct CoverageTable<'a>(pub &'a Coverage);

impl fmt::Display for CoverageTable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mark = |count: u64| if count == 0 { "  MISSING" } else { "" };
        for what in Sometimes::ALL {
            let count = self.0.count(what);
            writeln!(f, "  {:<62} {:>10}{}", what.name(), count, mark(count))?;
        }
        let defaults = Profile::default().values();
        let seconds = Profile::from_index(Profile::COUNT - 1).values();
        for (i, knob) in Profile::KNOBS.iter().enumerate() {
            for (j, value) in [defaults[i], seconds[i]].iter().enumerate() {
                let count = self.0.knob_values[2 * i + j];
                let label = format!("knob {knob}={value}");
                writeln!(f, "  {label:<62} {count:>10}{}", mark(count))?;
            }
        }
        Ok(())
    }
}
