//! Traces as pictures: a run as a sequence diagram with one lane per actor, drawn as Mermaid text, as SVG, or as
//! one self-contained HTML page that shows the SVG beside the trace and steps through the run.
//!
//! [`diagram`] turns a script into a [`Diagram`] by running it with every invariant checked after every step (the
//! one checking path, [`Checker::after_step`], and liveness after the last step); the three writers only draw it.

mod html;
mod mermaid;
mod svg;

use std::fmt::Write as _;

use std::fmt;

use logoff_core::*;

use crate::invariants::{apply_checked, Checker, Violation};
use crate::role::Provider;
use crate::script::{ItemKind, Script};

/// What `logoff-sim render --to` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Picture {
    Mermaid,
    Svg,
    Html,
    /// Not a picture but the run's log: `setup`, then one `STEP -> EFFECTS` line a step, the form
    /// `logoff-sim check-trace` reads.
    Log,
}

impl Picture {
    pub const NAMES: [&'static str; 4] = ["mermaid", "svg", "html", "log"];

    pub fn from_name(name: &str) -> Option<Picture> {
        match name {
            "mermaid" => Some(Picture::Mermaid),
            "svg" => Some(Picture::Svg),
            "html" => Some(Picture::Html),
            "log" => Some(Picture::Log),
            _ => None,
        }
    }

    /// The picture an output file's extension asks for: `.mmd` or `.md`, `.svg`, `.html` or `.htm`.
    pub fn from_extension(extension: &str) -> Option<Picture> {
        match extension {
            "mmd" | "md" => Some(Picture::Mermaid),
            "svg" => Some(Picture::Svg),
            "html" | "htm" => Some(Picture::Html),
            "log" => Some(Picture::Log),
            _ => None,
        }
    }
}

/// Draws the script's run: the one entry point of this module.
pub fn render(script: &Script, title: &str, picture: Picture) -> String {
    render_with(script, title, picture, &mut Provider::model())
}

/// [`render`] with `provider` in the store provider's role (a program under test: `logoff-sim render --cmd`).
pub fn render_with(script: &Script, title: &str, picture: Picture, provider: &mut Provider) -> String {
    let diagram = diagram(script, title, provider);
    match picture {
        Picture::Mermaid => mermaid::write(&diagram),
        Picture::Svg => svg::write(&diagram),
        Picture::Html => html::write(&diagram),
        Picture::Log => log(&diagram),
    }
}

/// The run as a log: the setup, then each step with what it caused, as a trace prints it (without times).
fn log(diagram: &Diagram) -> String {
    let mut out = format!("# {}\n# {}\n{}\n", diagram.title, diagram.subtitle, diagram.setup_line);
    let (applied, failed_at) = match &diagram.failed {
        // The step at which the provider failed was not carried out: it is a comment, not a step of the log.
        Some(_) => (&diagram.rows[..diagram.rows.len().saturating_sub(1)], diagram.rows.last()),
        None => (&diagram.rows[..], None),
    };
    for row in applied {
        let _ = match row.effects.as_str() {
            "" => writeln!(out, "{}", row.text),
            effects => writeln!(out, "{} -> {effects}", row.text),
        };
    }
    if let (Some(why), Some(row)) = (&diagram.failed, failed_at) {
        let why = why.replace(['\n', '\r'], " ");
        let _ = writeln!(out, "# {}: not carried out: the provider under test failed: {why}", row.text);
    }
    out
}

/// A lane of the diagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Lane {
    Client(ClientId),
    Store,
    Spooler,
    Transport(TransportId),
    Other,
}

impl fmt::Display for Lane {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Lane::Client(c) => write!(f, "{c}"),
            Lane::Store => f.write_str("store"),
            Lane::Spooler => f.write_str("spooler"),
            Lane::Transport(t) => write!(f, "{t}"),
            Lane::Other => f.write_str("other"),
        }
    }
}

impl Lane {
    /// The caption of the lane's head.
    pub fn caption(self) -> &'static str {
        match self {
            Lane::Client(_) => "client",
            Lane::Store => "store provider",
            Lane::Spooler => "MAPI spooler",
            Lane::Transport(_) => "transport",
            Lane::Other => "other processes",
        }
    }
}

/// One thing drawn within a step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A call (`reply: false`) or a return (`reply: true`) from one lane to another.
    Arrow { from: Lane, to: Lane, label: String, reply: bool },
    /// Something that happened at one lane.
    Note { lane: Lane, text: String },
    /// A client call starts to block: its span runs until the matching `Unblock`.
    Block(Lane),
    /// The blocked call returns.
    Unblock(Lane),
}

/// One step of the run: its script text and what it drew.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// The line of the script the step is on.
    pub line: usize,
    /// The step in script syntax.
    pub text: String,
    /// The step was not enabled (the script expected it to be rejected).
    pub rejected: bool,
    /// What the step caused, as a trace line prints it: the effects separated by `; `, or `rejected: WHY`.
    pub effects: String,
    pub events: Vec<Event>,
}

/// The first broken invariant and where: `row` is the index of the step that broke it, or `None` when liveness
/// failed after the last step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Broken {
    pub violation: Violation,
    pub row: Option<usize>,
}

/// A run ready to draw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagram {
    pub title: String,
    /// The script's profile, setup and mutant, as one line.
    pub subtitle: String,
    /// The script's `setup` line.
    pub setup_line: String,
    pub lanes: Vec<Lane>,
    pub rows: Vec<Row>,
    pub broken: Option<Broken>,
    /// Why the provider under test failed (`render --cmd`): the run stops at that step, and has no verdict.
    pub failed: Option<String>,
}

impl Diagram {
    /// The text of the violation note: the invariant, its requirements and what was seen.
    pub fn violation_text(&self) -> Option<String> {
        self.broken.map(|broken| {
            let at = broken.row.map_or("after the last step".to_string(), |row| format!("at step {}", row + 1));
            format!("VIOLATION {at}: {}", broken.violation)
        })
    }
}

/// Runs the script's steps (expectations are not checked: a picture shows what happened) with every invariant
/// checked after every step, up to the first violation; then, if none, lets the world settle and checks liveness.
/// A provider that fails stops the diagram at the step where it failed, with its message as a note.
pub fn diagram(script: &Script, title: &str, provider: &mut Provider) -> Diagram {
    let setup = script.setup;
    let mut model =
        Model::new(script.profile, setup).expect("a parsed script's setup is valid").with_mutant(script.mutant);
    let mut checker = Checker::new(&model);
    let mut rows = Vec::new();
    let mut broken = None;
    let mut uses_other = setup.other > 0;
    provider.start(&script.file, &mut model);
    for item in &script.items {
        let ItemKind::Step(action) = item.kind else { continue };
        uses_other |= action.actor() == Actor::Other;
        let before = model;
        let mut violated = None;
        let applied = apply_checked(&before, &mut model, &mut checker, action, &mut violated, |model, action| {
            provider.apply(model, action)
        });
        if let Some(why) = provider.failure() {
            let events = vec![note(Lane::Store, format!("the provider under test failed: {why}"))];
            rows.push(Row {
                line: item.line,
                text: action.to_string(),
                rejected: false,
                effects: String::new(),
                events,
            });
            break;
        }
        let (events, rejected, caused) = match applied {
            Ok(effects) => {
                let events = events_of(action, &effects);
                if let Some(violation) = violated {
                    broken = Some(Broken { violation, row: Some(rows.len()) });
                }
                let caused: Vec<String> = effects.iter().map(|effect| effect.to_string()).collect();
                (events, false, caused.join("; "))
            }
            Err(why) => (rejected_events(action, why), true, format!("rejected: {why}")),
        };
        rows.push(Row { line: item.line, text: action.to_string(), rejected, effects: caused, events });
        if broken.is_some() {
            break;
        }
    }
    if broken.is_none() && provider.failure().is_none() {
        let mut settled = model;
        if let Err(violation) = crate::liveness::settle_with(&mut settled, &mut checker, provider) {
            broken = Some(Broken { violation, row: None });
        }
    }
    let mut lanes: Vec<Lane> = ClientId::all(usize::from(setup.clients)).map(Lane::Client).collect();
    lanes.extend([Lane::Store, Lane::Spooler]);
    lanes.extend(TransportId::all(usize::from(setup.transports)).map(Lane::Transport));
    if uses_other {
        lanes.push(Lane::Other);
    }
    let mutant = if script.mutant == Mutant::None { String::new() } else { format!(" mutant={}", script.mutant) };
    let subtitle = format!(
        "profile {}; setup clients={} transports={} inbox={} other={}{mutant}",
        script.profile,
        setup.clients,
        setup.transports,
        if setup.inbox { "yes" } else { "no" },
        setup.other
    );
    let setup_line = format!(
        "setup clients={} transports={} inbox={} other={}",
        setup.clients,
        setup.transports,
        if setup.inbox { "yes" } else { "no" },
        setup.other
    );
    Diagram { title: title.to_string(), subtitle, setup_line, lanes, rows, broken, failed: provider.failure() }
}

/// The call a client step makes, as drawn on its arrow.
fn client_call(action: Action) -> Option<(ClientId, String)> {
    match action {
        Action::AddRef(c) => Some((c, "AddRef".to_string())),
        Action::Release(c) => Some((c, "Release".to_string())),
        Action::Logoff(c, flags) => Some((c, format!("StoreLogoff({flags})"))),
        Action::Submit(c, m) => Some((c, format!("SubmitMessage({m})"))),
        _ => None,
    }
}

fn arrow(from: Lane, to: Lane, label: impl Into<String>) -> Event {
    Event::Arrow { from, to, label: label.into(), reply: false }
}

fn reply(from: Lane, to: Lane, label: impl Into<String>) -> Event {
    Event::Arrow { from, to, label: label.into(), reply: true }
}

fn note(lane: Lane, text: impl Into<String>) -> Event {
    Event::Note { lane, text: text.into() }
}

/// What a step draws: the step's own arrow (FlushQueues and TransportLogoff are drawn from their effects, which
/// carry the flags), then one arrow or note per effect, with a client's call drawn as blocked when it does not
/// return within the step.
fn events_of(action: Action, effects: &Effects) -> Vec<Event> {
    let mut events = Vec::new();
    match action {
        Action::AddRef(_) | Action::Release(_) | Action::Logoff(..) | Action::Submit(..) => {
            let (c, call) = client_call(action).expect("a client step");
            events.push(arrow(Lane::Client(c), Lane::Store, call));
        }
        Action::Arrive(t, m) => events.push(note(Lane::Transport(t), format!("{m} arrives"))),
        Action::Send(m, t) => events.push(arrow(Lane::Spooler, Lane::Transport(t), format!("send {m}"))),
        Action::Sent(t, m) => events.push(reply(Lane::Transport(t), Lane::Spooler, format!("{m} sent"))),
        Action::SendFailed(t, m) => {
            events.push(reply(Lane::Transport(t), Lane::Spooler, format!("send of {m} failed")))
        }
        Action::Receive(m, t) => events.push(arrow(Lane::Spooler, Lane::Transport(t), format!("receive {m}"))),
        Action::Received(t, m) => {
            events.push(reply(Lane::Transport(t), Lane::Spooler, format!("{m} received into the store")))
        }
        Action::Flush(..) | Action::TransportLogoff(_) => {}
        Action::Flushed(t) => events.push(reply(Lane::Transport(t), Lane::Spooler, "FlushQueues returned")),
        Action::LogoffReturns(t, outcome) => {
            let hresult = match outcome {
                LogoffOutcome::Ok => "S_OK",
                LogoffOutcome::Error => "MAPI_E_CALL_FAILED",
            };
            events.push(reply(Lane::Transport(t), Lane::Spooler, format!("TransportLogoff returned {hresult}")));
        }
        Action::OtherOpen => events.push(arrow(Lane::Other, Lane::Store, "another process opens the store")),
        Action::OtherClose => events.push(arrow(Lane::Other, Lane::Store, "another process closes it")),
    }
    for effect in effects {
        events.push(match *effect {
            Effect::TransportsCalled { mode, .. } => {
                arrow(Lane::Store, Lane::Spooler, format!("StoreLogoffTransports({mode})"))
            }
            Effect::TransportsReturned { flags, other_process } => {
                let other = if other_process { " (other process)" } else { "" };
                reply(Lane::Spooler, Lane::Store, format!("StoreLogoffTransports returned {flags}{other}"))
            }
            Effect::ReceptionDisabled => note(Lane::Spooler, "reception disabled"),
            Effect::StoreReleased => arrow(Lane::Spooler, Lane::Store, "Release (the spooler's reference)"),
            Effect::StoreInvalidated => note(Lane::Store, "store object invalidated"),
            Effect::StoreDestroyed => note(Lane::Store, "store object destroyed"),
            Effect::Transport { transport, call } => {
                let t = Lane::Transport(transport);
                match call {
                    TransportCall::Flush(flags) => arrow(Lane::Spooler, t, format!("FlushQueues({flags})")),
                    TransportCall::DiscardAddressTypes => {
                        note(Lane::Spooler, format!("discards {transport}'s address types"))
                    }
                    TransportCall::Logoff(flags) => arrow(Lane::Spooler, t, format!("TransportLogoff({flags})")),
                    TransportCall::MakeInvalid => arrow(t, Lane::Spooler, "MakeInvalid (its logon object)"),
                    TransportCall::ReleaseSupport => arrow(t, Lane::Spooler, "Release (its support object)"),
                }
            }
            Effect::SendStopped { transport, message } => {
                note(Lane::Transport(transport), format!("send of {message} stopped"))
            }
            Effect::ReceiveStopped { transport, message } => {
                note(Lane::Transport(transport), format!("receive of {message} stopped"))
            }
            Effect::FlushAbandoned { transport } => note(Lane::Transport(transport), "flush abandoned"),
            Effect::Returned { client, call, result } => {
                let call = match call {
                    ClientCall::AddRef => "AddRef",
                    ClientCall::Release => "Release",
                    ClientCall::StoreLogoff => "StoreLogoff",
                    ClientCall::Submit => "SubmitMessage",
                };
                let result = match result {
                    CallResult::Count(count) => count.to_string(),
                    CallResult::Status(hresult, flags) if flags.is_empty() => hresult.to_string(),
                    CallResult::Status(hresult, flags) => format!("{hresult} {flags}"),
                };
                reply(Lane::Store, Lane::Client(client), format!("{call} returned {result}"))
            }
        });
    }
    // A client call that did not return within its step blocks; a return of an earlier call ends its span.
    if let Some((c, _)) = client_call(action) {
        let returned = effects.iter().any(|e| matches!(e, Effect::Returned { client, .. } if *client == c));
        if !returned {
            events.insert(1, Event::Block(Lane::Client(c)));
        }
    }
    let mut drawn = Vec::with_capacity(events.len());
    let calling = client_call(action).map(|(c, _)| c);
    for event in events {
        let unblocks = match &event {
            Event::Arrow { to: Lane::Client(c), reply: true, .. } if Some(*c) != calling => Some(*c),
            _ => None,
        };
        drawn.push(event);
        if let Some(c) = unblocks {
            drawn.push(Event::Unblock(Lane::Client(c)));
        }
    }
    drawn
}

/// What a step that was not enabled draws: its call, refused.
fn rejected_events(action: Action, why: NotEnabled) -> Vec<Event> {
    match client_call(action) {
        Some((c, call)) => vec![arrow(Lane::Client(c), Lane::Store, format!("{call}: not enabled ({why})"))],
        None => {
            let lane = match action.actor() {
                Actor::Transport(t) => Lane::Transport(t),
                Actor::Other => Lane::Other,
                _ => Lane::Spooler,
            };
            vec![note(lane, format!("{action}: not enabled ({why})"))]
        }
    }
}

/// What to draw: `to` when given, else what the extension of the output `out` names (`.mmd` or `.md`, `.svg`,
/// `.html`, `.log`), mermaid on standard output; an error when the name tells nothing.
pub fn picture_for(to: Option<Picture>, out: Option<&std::path::Path>) -> Result<Picture, String> {
    let extension = out.and_then(|path| path.extension()).and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    match (to, out, extension.as_deref().and_then(Picture::from_extension)) {
        (Some(picture), _, _) | (None, _, Some(picture)) => Ok(picture),
        (None, None, None) => Ok(Picture::Mermaid),
        (None, Some(path), None) if path == std::path::Path::new("-") => Ok(Picture::Mermaid),
        (None, Some(path), None) => Err(format!(
            "cannot tell what to draw from the name {}; expected --to mermaid|svg|html|log, or an output ending in \
             .mmd, .md, .svg, .html or .log",
            path.display()
        )),
    }
}
