//! Mutants: realistic mistakes of a store provider, spooler or transport implementer, each a small change of the
//! model's behaviour selected at run time. They exist to show that the invariant checker catches real bugs; the
//! reference model is `Mutant::None`.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Who would make the mistake.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Implementer {
    StoreProvider,
    Spooler,
    Transport,
}

impl Implementer {
    pub const fn name(self) -> &'static str {
        match self {
            Implementer::StoreProvider => "store provider",
            Implementer::Spooler => "spooler",
            Implementer::Transport => "transport",
        }
    }
}

macro_rules! mutants {
    ($($variant:ident = $name:literal, $who:ident, $what:literal;)*) => {
        /// One mistake, or none. Serialised by its name (`none`, `first-mode-wins`, ...).
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum Mutant {
            /// The reference model.
            #[default]
            None,
            $(#[doc = $what] $variant,)*
        }

        impl Mutant {
            /// Every mutant, without `None`.
            pub const ALL: &'static [Mutant] = &[$(Mutant::$variant,)*];

            /// The name used on the command line and in seed files.
            pub const fn name(self) -> &'static str {
                match self {
                    Mutant::None => "none",
                    $(Mutant::$variant => $name,)*
                }
            }

            /// What the mistake is.
            pub const fn description(self) -> &'static str {
                match self {
                    Mutant::None => "the reference model",
                    $(Mutant::$variant => $what,)*
                }
            }

            /// Who would make it (`None` for the reference model).
            pub const fn implementer(self) -> Option<Implementer> {
                match self {
                    Mutant::None => None,
                    $(Mutant::$variant => Some(Implementer::$who),)*
                }
            }
        }
    };
}

mutants! {
    TransportsAtFirstRelease = "transports-at-first-release", StoreProvider,
        "calls StoreLogoffTransports at the first Release instead of when the count reaches zero";
    NoAbortAtZero = "no-abort-at-zero", StoreProvider,
        "makes no call at zero when StoreLogoff was never called, instead of calling with LOGOFF_ABORT";
    FirstModeWins = "first-mode-wins", StoreProvider,
        "keeps the first saved mode instead of letting a later StoreLogoff overwrite it";
    SeveralModesAccepted = "several-modes-accepted", StoreProvider,
        "accepts several mode bits, taking the lowest, instead of MAPI_E_INVALID_PARAMETER";
    InvalidFlagsSaved = "invalid-flags-saved", StoreProvider,
        "saves the lowest mode bit of the flags before finding them invalid";
    NoInvalidObject = "no-invalid-object", StoreProvider,
        "answers StoreLogoff and submit on an invalid store instead of MAPI_E_INVALID_OBJECT";
    QuietNoFlags = "quiet-no-flags", Spooler,
        "refuses a QUIET without reporting the kinds of activity";
    QueueFlagMisreported = "queue-flag-misreported", Spooler,
        "reports a message being sent as LOGOFF_OUTBOUND_QUEUE too";
    RefusedAbortStopsSends = "refused-abort-stops-sends", Spooler,
        "stops the sends in progress even when it refuses an ABORT";
    NoWaitReturnsEarly = "no-wait-returns-early", Spooler,
        "returns from NO_WAIT once nothing is in progress, before the queued messages are sent";
    OrderlyStartsSend = "orderly-starts-send", Spooler,
        "starts sending queued messages during an ORDERLY logoff under orderly=keep";
    ReceptionNotDisabled = "reception-not-disabled", Spooler,
        "leaves reception enabled during a NO_WAIT, ORDERLY or PURGE logoff";
    PurgeSkipsFlush = "purge-skips-flush", Spooler,
        "does not call FlushQueues for a PURGE";
    OtherProcessIgnored = "other-process-ignored", Spooler,
        "logs the store off although another process has it open";
    DeliverAfterRelease = "deliver-after-release", Spooler,
        "keeps receiving into the store after releasing it";
    PurgeWaitsForAbandonedFlush = "purge-waits-for-abandoned-flush", Spooler,
        "keeps waiting for the flush of a transport that logged off in the middle of a PURGE";
    OrderlyWaitsForQueue = "orderly-waits-for-queue", Spooler,
        "waits for the queue to drain under orderly=keep, although it starts no send";
    FlushLoggedOffTransports = "flush-logged-off-transports", Spooler,
        "calls FlushQueues for a PURGE on every transport, logged off or not";
    AddressTypesKept = "address-types-kept", Spooler,
        "calls TransportLogoff without discarding the session's address types first";
    LogoffLosesSendingMessage = "logoff-loses-sending-message", Transport,
        "treats the message being sent at TransportLogoff as sent";
    SupportReleasedFirst = "support-released-first", Transport,
        "releases its support object before calling MakeInvalid";
    StoreLogoffEchoesInput = "store-logoff-echoes-input", StoreProvider,
        "writes back the input mode beside the output flags of a deferred StoreLogoff";
    EagerDropsActivity = "eager-drops-activity", StoreProvider,
        "returns only LOGOFF_COMPLETE from an eager StoreLogoff, dropping the activity flags";
    SubmitRefusedDuringLogoff = "submit-refused-during-logoff", StoreProvider,
        "refuses a submit with MAPI_E_BUSY while a StoreLogoffTransports call is in progress";
    BusyWhileSending = "busy-while-sending", StoreProvider,
        "refuses StoreLogoff with MAPI_E_BUSY while a message is being sent";
    R7PurgeFlushes = "r7-purge-flushes", Spooler,
        "calls FlushQueues for a PURGE before noticing that another process has the store open";
    R7StopsServing = "r7-stops-serving", Spooler,
        "quietly stops serving the store after ignoring a logoff because of another process";
    StopKeepsSends = "stop-keeps-sends", Spooler,
        "releases the store under abort=stop without stopping the sends in progress";
    LateReturn = "late-return", Spooler,
        "keeps a NO_WAIT waiting for a transport that is logging off, until TransportLogoff returns";
    ReceiveWithoutInbox = "receive-without-inbox", Spooler,
        "receives into a store that does not hold the default Inbox";
    LogoffKeepsReceive = "logoff-keeps-receive", Transport,
        "leaves the message being received in progress when it is logged off";
    InvalidLogoffForgetsMode = "invalid-logoff-forgets-mode", StoreProvider,
        "forgets the saved mode when it refuses a StoreLogoff with MAPI_E_INVALID_PARAMETER";
    HighUndefinedBitsAccepted = "high-undefined-bits-accepted", StoreProvider,
        "looks for undefined StoreLogoff flags in the low 16 bits only, accepting a mode with an undefined high bit";
}

impl Mutant {
    pub fn from_name(name: &str) -> Option<Mutant> {
        if name == "none" {
            return Some(Mutant::None);
        }
        Mutant::ALL.iter().copied().find(|m| m.name() == name)
    }
}

impl fmt::Display for Mutant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Mutant {
    type Err = String;

    fn from_str(name: &str) -> Result<Mutant, String> {
        Mutant::from_name(name).ok_or_else(|| {
            let names: Vec<&str> = Mutant::ALL.iter().map(|m| m.name()).collect();
            format!("unknown mutant `{name}`; expected none or one of {}", names.join(", "))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shows that every mutant has a distinct name that reads back, and that every implementer has mutants.
    #[test]
    fn mutant_names_are_distinct_and_read_back() {
        let mut names = std::collections::BTreeSet::new();
        for mutant in Mutant::ALL {
            assert!(names.insert(mutant.name()), "{mutant} is named twice");
            assert_eq!(mutant.name().parse::<Mutant>(), Ok(*mutant));
            let json = serde_json::to_string(mutant).unwrap();
            assert_eq!(json, format!("\"{}\"", mutant.name()), "serialised by its name");
        }
        assert!(Mutant::ALL.len() >= 15);
        for who in [Implementer::StoreProvider, Implementer::Spooler, Implementer::Transport] {
            assert!(Mutant::ALL.iter().any(|m| m.implementer() == Some(who)), "no mutant of the {}", who.name());
        }
        assert!("nope".parse::<Mutant>().unwrap_err().starts_with("unknown mutant `nope`; expected none or one of"));
    }
}
