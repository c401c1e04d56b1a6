//! Scenario scripts (SPEC.md section 6): parse a `.scn` file into a [`Script`], run it against the model, and
//! report the result the way `logoff-sim script` does.
//!
//! A [`Script`] is plain data: a profile, a setup and the items (steps and expectations) with their line numbers.
//! [`parse`] builds one from the bytes of a file; the seeded simulator builds one with [`Script::new`],
//! [`Script::push_step`] and [`Script::push_expectation`], writes it with `Display` (which [`parse`] reads back
//! to an equal script), and replays it with [`run_checked`] (or, with every invariant and liveness,
//! [`crate::liveness::verify_script`]).
//!
//! Exit codes and messages (one line each; `FILE` is the path as given):
//! - 0, on stdout: `FILE: ok (N steps, M expectations)`.
//! - 1, on stderr: `FILE:LINE: expectation failed: expected <...>, found <...>`,
//!   `FILE:LINE: step not enabled: <step as written>: <the failed precondition>`, or
//!   `FILE:LINE: invariant violated: <message>`.
//! - 2, on stderr: `FILE:LINE:COLUMN: error: <what was wrong>; expected <what was expected>` for a malformed file
//!   (columns count characters from 1), or `FILE: error: ...` for a file that cannot be read.
//!
//! An empty file (or one holding only blank lines and comments) is a valid script with no steps: it passes.

mod parse;
mod run;
mod words;

use std::fmt;

use logoff_core::{
    Action, ClientId, HResult, LogoffFlags, MessageId, MessageState, Mode, Mutant, Profile, Setup, StorePhase,
    TransportCall, TransportId, TransportState,
};

pub use parse::{parse, ScriptError};
pub use run::{run_checked, run_checked_with, Outcome, RunError, RunErrorKind, StepCheck};
pub use words::LIST_ITEMS_MAX;

/// A scenario: the profile and setup of the run, then its steps and expectations in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Script {
    /// The name used in every message about the script (the path of a file, or any label).
    pub file: String,
    pub profile: Profile,
    pub setup: Setup,
    pub items: Vec<Item>,
    /// The mistake the model makes while the script runs: not part of the script's text (SPEC.md section 6 has
    /// no word for it), set by `logoff-sim script --mutant` or a seed file's `mutant` line.
    pub mutant: Mutant,
}

/// One step or expectation, with the line it is on (counted from 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub line: usize,
    /// The item as written, without its comment, its words separated by single spaces.
    pub text: String,
    pub kind: ItemKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ItemKind {
    Step(Action),
    Expect(Expectation),
}

/// An `expect` line of SPEC.md section 6.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expectation {
    /// `expect cN returned HRESULT [FLAGS]`: the client's most recent StoreLogoff or submit returned this
    /// HRESULT with exactly these output flags (written without FLAGS when they are zero).
    Returned { client: ClientId, hresult: HResult, flags: LogoffFlags },
    /// `expect cN pending`: the client has a call in progress.
    Pending(ClientId),
    /// `expect transports-calls MODE...` or `none` (the empty list).
    TransportsCalls(Vec<Mode>),
    /// `expect transports-returned FLAGS|pending|none`.
    TransportsReturned(TransportsReturned),
    /// `expect store open|logging-off|invalid|destroyed`.
    Store(StorePhase),
    /// `expect mK unused|queued|sending|sent|available|receiving|delivered`.
    Message(MessageId, MessagePhase),
    /// `expect tJ logged-on|logging-off|logged-off`.
    Transport(TransportId, TransportPhase),
    /// `expect tJ log ITEM...` or `none` (the empty list), compared item by item.
    TransportLog(TransportId, Vec<TransportCall>),
    /// `expect reception enabled|disabled`.
    Reception { enabled: bool },
    /// `expect rejected`: the previous step was not enabled and was not applied.
    Rejected,
}

/// What `expect transports-returned` expects of the most recent StoreLogoffTransports call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportsReturned {
    /// It returned exactly these flags.
    Flags(LogoffFlags),
    /// It is in progress.
    Pending,
    /// No call has been made.
    None,
}

/// The words of `expect mK ...`: a message's state without the transport it is at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessagePhase {
    /// The name has not been used yet: no submit and no arrival named it.
    Unused,
    Queued,
    Sending,
    Sent,
    Available,
    Receiving,
    Delivered,
}

impl MessagePhase {
    pub const ALL: [MessagePhase; 7] = [
        MessagePhase::Unused,
        MessagePhase::Queued,
        MessagePhase::Sending,
        MessagePhase::Sent,
        MessagePhase::Available,
        MessagePhase::Receiving,
        MessagePhase::Delivered,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            MessagePhase::Unused => "unused",
            MessagePhase::Queued => "queued",
            MessagePhase::Sending => "sending",
            MessagePhase::Sent => "sent",
            MessagePhase::Available => "available",
            MessagePhase::Receiving => "receiving",
            MessagePhase::Delivered => "delivered",
        }
    }

    /// The phase of a message state.
    pub const fn of(state: MessageState) -> MessagePhase {
        match state {
            MessageState::Unused => MessagePhase::Unused,
            MessageState::Queued => MessagePhase::Queued,
            MessageState::Sending(_) => MessagePhase::Sending,
            MessageState::Sent => MessagePhase::Sent,
            MessageState::Available(_) => MessagePhase::Available,
            MessageState::Receiving(_) => MessagePhase::Receiving,
            MessageState::Delivered => MessagePhase::Delivered,
        }
    }
}

/// The words of `expect tJ ...`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportPhase {
    LoggedOn,
    LoggingOff,
    LoggedOff,
}

impl TransportPhase {
    pub const ALL: [TransportPhase; 3] =
        [TransportPhase::LoggedOn, TransportPhase::LoggingOff, TransportPhase::LoggedOff];

    pub const fn name(self) -> &'static str {
        match self {
            TransportPhase::LoggedOn => "logged-on",
            TransportPhase::LoggingOff => "logging-off",
            TransportPhase::LoggedOff => "logged-off",
        }
    }

    pub const fn of(state: TransportState) -> TransportPhase {
        match state {
            TransportState::LoggedOn { .. } => TransportPhase::LoggedOn,
            TransportState::LoggingOff => TransportPhase::LoggingOff,
            TransportState::LoggedOff => TransportPhase::LoggedOff,
        }
    }
}

/// The store phases in the order of SPEC.md section 6, for parsing `expect store`.
pub const STORE_PHASES: [StorePhase; 4] =
    [StorePhase::Open, StorePhase::LoggingOff, StorePhase::Invalid, StorePhase::Destroyed];

/// Writes the items after `expect`, e.g. `c0 returned S_OK COMPLETE`: the part that failure messages quote.
struct ExpectationBody<'a>(&'a Expectation);

impl fmt::Display for ExpectationBody<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Expectation::Returned { client, hresult, flags } => {
                write!(f, "{client} returned {hresult}")?;
                if !flags.is_empty() {
                    write!(f, " {flags}")?;
                }
                Ok(())
            }
            Expectation::Pending(client) => write!(f, "{client} pending"),
            Expectation::TransportsCalls(modes) => {
                f.write_str("transports-calls ")?;
                write_list(f, modes)
            }
            Expectation::TransportsReturned(TransportsReturned::Flags(flags)) => {
                write!(f, "transports-returned {flags}")
            }
            Expectation::TransportsReturned(TransportsReturned::Pending) => f.write_str("transports-returned pending"),
            Expectation::TransportsReturned(TransportsReturned::None) => f.write_str("transports-returned none"),
            Expectation::Store(phase) => write!(f, "store {}", phase.name()),
            Expectation::Message(message, phase) => write!(f, "{message} {}", phase.name()),
            Expectation::Transport(transport, phase) => write!(f, "{transport} {}", phase.name()),
            Expectation::TransportLog(transport, calls) => {
                write!(f, "{transport} log ")?;
                write_list(f, calls)
            }
            Expectation::Reception { enabled: true } => f.write_str("reception enabled"),
            Expectation::Reception { enabled: false } => f.write_str("reception disabled"),
            Expectation::Rejected => f.write_str("rejected"),
        }
    }
}

/// Writes items separated by spaces, or `none` for an empty list (the syntax of `transports-calls` and `log`).
fn write_list<T: fmt::Display>(f: &mut fmt::Formatter<'_>, items: &[T]) -> fmt::Result {
    if items.is_empty() {
        return f.write_str("none");
    }
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(" ")?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

/// Writes the expectation as a script line: `expect store invalid`.
impl fmt::Display for Expectation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "expect {}", ExpectationBody(self))
    }
}

/// Writes the item as a script line, in canonical form (not necessarily as it was written).
impl fmt::Display for ItemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ItemKind::Step(action) => write!(f, "{action}"),
            ItemKind::Expect(expectation) => write!(f, "{expectation}"),
        }
    }
}

impl Script {
    /// The line of the first item of a script built with [`Script::new`]: its `Display` writes the profile on
    /// line 1 and the setup on line 2.
    pub const FIRST_ITEM_LINE: usize = 3;

    /// A script with no items yet, to be filled with [`Script::push_step`] and [`Script::push_expectation`].
    pub fn new(file: impl Into<String>, profile: Profile, setup: Setup) -> Script {
        Script { file: file.into(), profile, setup, items: Vec::new(), mutant: Mutant::None }
    }

    /// Appends a step on the next line of the script as `Display` writes it.
    pub fn push_step(&mut self, action: Action) {
        self.push(ItemKind::Step(action));
    }

    /// Appends an expectation on the next line of the script as `Display` writes it.
    pub fn push_expectation(&mut self, expectation: Expectation) {
        self.push(ItemKind::Expect(expectation));
    }

    fn push(&mut self, kind: ItemKind) {
        let line = Script::FIRST_ITEM_LINE + self.items.len();
        self.items.push(Item { line, text: kind.to_string(), kind });
    }

    /// The number of steps, as the `ok` line reports it.
    pub fn steps(&self) -> usize {
        self.items.iter().filter(|item| matches!(item.kind, ItemKind::Step(_))).count()
    }

    /// The number of expectations, as the `ok` line reports it.
    pub fn expectations(&self) -> usize {
        self.items.len() - self.steps()
    }
}

/// Writes the whole script: the profile with every knob, the setup with every field, then one item a line. For
/// a script built with [`Script::new`] the line numbers of the items are those of this text, and [`parse`]
/// reads it back to an equal script.
impl fmt::Display for Script {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "profile {}", self.profile)?;
        let Setup { clients, transports, inbox, other } = self.setup;
        let inbox = if inbox { "yes" } else { "no" };
        writeln!(f, "setup clients={clients} transports={transports} inbox={inbox} other={other}")?;
        for item in &self.items {
            writeln!(f, "{}", item.kind)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use logoff_core::{FlushFlags, Model, TransportLogoffFlags};

    const WIDEST: Setup = Setup { clients: 4, transports: 3, inbox: true, other: 0 };

    /// Parses one item under the widest setup.
    fn parse_item(line: &str) -> ItemKind {
        let source = format!("setup clients=4 transports=3\n{line}\n");
        let script = parse(source.as_bytes(), "item.scn").unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(script.items.len(), 1);
        script.items[0].kind.clone()
    }

    /// Shows that every action the model offers along a long deterministic walk, and actions with bits no name
    /// covers, are written as lines that parse back to the same action.
    #[test]
    fn step_lines_round_trip() {
        let mut model = Model::new(Profile::default(), WIDEST).unwrap();
        let mut enabled = Vec::new();
        for step in 0..200 {
            model.enabled(&mut enabled);
            for action in &enabled {
                assert_eq!(parse_item(&action.to_string()), ItemKind::Step(*action), "{action}");
            }
            let Some(&next) = enabled.get(step * 7 % enabled.len().max(1)) else { break };
            model.apply(next).unwrap();
        }
        let odd = [
            Action::Logoff(ClientId(3), LogoffFlags::from_bits_retain(0x8012_0121)),
            Action::Logoff(ClientId(0), LogoffFlags::empty()),
            Action::Flush(TransportId(2), FlushFlags::from_bits_retain(0xFFFF_FFFF)),
            Action::Submit(ClientId(1), MessageId(31)),
        ];
        for action in odd {
            assert_eq!(parse_item(&action.to_string()), ItemKind::Step(action), "{action}");
        }
    }

    /// Shows that a script built in code is written as text that parses back to an equal script, line numbers
    /// included.
    #[test]
    fn built_scripts_round_trip_through_text() {
        let mut profile = Profile::default();
        profile.set("call_site", "eager").unwrap();
        let mut script = Script::new("built.scn", profile, Setup { inbox: false, ..WIDEST });
        script.push_step(Action::Submit(ClientId(0), MessageId(4)));
        script.push_step(Action::AddRef(ClientId(3)));
        script.push_expectation(Expectation::Rejected);
        script.push_expectation(Expectation::Returned {
            client: ClientId(0),
            hresult: HResult(0x1234),
            flags: LogoffFlags::COMPLETE | LogoffFlags::from_bits_retain(0x100),
        });
        script.push_expectation(Expectation::Returned {
            client: ClientId(1),
            hresult: HResult::BUSY,
            flags: LogoffFlags::empty(),
        });
        script.push_expectation(Expectation::Pending(ClientId(2)));
        script.push_expectation(Expectation::TransportsCalls(vec![]));
        script.push_expectation(Expectation::TransportsCalls(vec![Mode::Purge, Mode::Abort]));
        for returned in
            [TransportsReturned::Pending, TransportsReturned::None, TransportsReturned::Flags(LogoffFlags::empty())]
        {
            script.push_expectation(Expectation::TransportsReturned(returned));
        }
        for phase in STORE_PHASES {
            script.push_expectation(Expectation::Store(phase));
        }
        for phase in MessagePhase::ALL {
            script.push_expectation(Expectation::Message(MessageId(31), phase));
        }
        for phase in TransportPhase::ALL {
            script.push_expectation(Expectation::Transport(TransportId(2), phase));
        }
        script.push_expectation(Expectation::TransportLog(TransportId(1), vec![]));
        script.push_expectation(Expectation::TransportLog(
            TransportId(0),
            vec![
                TransportCall::Flush(FlushFlags::UPLOAD | FlushFlags::from_bits_retain(0x40)),
                TransportCall::DiscardAddressTypes,
                TransportCall::Logoff(TransportLogoffFlags::NORMAL | TransportLogoffFlags::HURRY),
                TransportCall::Logoff(TransportLogoffFlags::from_bits_retain(6)),
                TransportCall::MakeInvalid,
                TransportCall::ReleaseSupport,
            ],
        ));
        script.push_expectation(Expectation::Reception { enabled: true });
        script.push_expectation(Expectation::Reception { enabled: false });
        let text = script.to_string();
        let parsed = parse(text.as_bytes(), "built.scn").unwrap_or_else(|error| panic!("{error}\n{text}"));
        assert_eq!(parsed, script, "{text}");
        assert_eq!(script.steps(), 2);
        assert_eq!(script.expectations(), script.items.len() - 2);
    }

    /// Shows the per-step check: it sees the model before and after each applied step (not a rejected one), and
    /// its failure stops the run as an invariant violation at that step's line.
    #[test]
    fn the_step_check_runs_after_every_applied_step() {
        let source = b"c0 addref\nc0 release\nt0 flushed\nexpect rejected\nc0 release\nexpect store destroyed\n";
        let mut seen = Vec::new();
        let script = parse(source, "check.scn").unwrap();
        let outcome = run_checked(&script, &mut |before, action, _effects, after| {
            seen.push((before.references(), *action, after.references()));
            Ok(())
        })
        .unwrap();
        assert_eq!(
            seen,
            [
                (1, Action::AddRef(ClientId(0)), 2),
                (2, Action::Release(ClientId(0)), 1),
                (1, Action::Release(ClientId(0)), 0)
            ]
        );
        assert_eq!((outcome.steps, outcome.expectations), (4, 2));

        let failure = run_checked(&script, &mut |_, action, _, _| match action {
            Action::Release(_) => Err("releases are forbidden here".to_string()),
            _ => Ok(()),
        })
        .unwrap_err();
        assert_eq!(failure.exit_code(), 1);
        assert_eq!(failure.to_string(), "check.scn:2: invariant violated: releases are forbidden here");
    }

    /// Shows that a script built in code with a setup out of bounds is reported, not run, and exits 2.
    #[test]
    fn a_built_script_with_an_invalid_setup_is_refused() {
        let script = Script::new("bad.scn", Profile::default(), Setup { clients: 0, ..Setup::default() });
        let error = run_checked(&script, &mut |_, _, _, _| Ok(())).unwrap_err();
        assert_eq!(error.exit_code(), 2);
        assert_eq!(error.to_string(), "bad.scn: error: invalid setup: clients=0 is out of range; expected 1 to 4");
    }
}
