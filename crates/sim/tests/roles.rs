//! The roles of issue 10, item 1: the spooler and the transport as Rust traits (`SpoolerRole`, `TransportRole`),
//! with the model's own as their reference implementations. Run through the traits, the reference roles do
//! exactly what the model does; a role with a mistake is caught by the same invariants; and a role can make the
//! very mistake that a mutant makes, with the same runs.

use logoff_core::*;
use sim::role::Provider;
use sim::simulate::{Config, Simulator};
use sim::trace::Trace;

mod common;

/// The trace of a seed, with the given roles (or the model's own) and the model's mutant.
fn trace(seed: u64, mutant: Mutant, provider: &mut Provider) -> (String, bool) {
    let mut config = Config::from_seed(seed, None);
    config.mutant = mutant;
    let mut trace = Trace::default();
    let outcome = Simulator::new().run_with(&config, &mut trace, provider);
    (trace.text(), outcome.violation.is_some())
}

/// Shows that the reference spooler and transport, played through the role interfaces, give the model's own
/// trace, byte for byte, on 2,000 seeds (and under a mutant of another role, its failing runs too).
#[test]
fn the_reference_roles_through_the_traits_are_the_model() {
    for mutant in [Mutant::None, Mutant::TransportsAtFirstRelease] {
        for seed in 0..2_000 {
            let (spooler, transport) = (&mut ReferenceSpooler, &mut ReferenceTransport);
            let mut roles = Provider::default().with_spooler(spooler).with_transport(transport);
            let through_traits = trace(seed, mutant, &mut roles);
            let own = trace(seed, mutant, &mut Provider::default());
            assert_eq!(through_traits, own, "seed {seed} under {mutant}");
        }
    }
}

/// A spooler that lets a blocking logoff return as soon as no send or receive is in progress, whatever the
/// mode: the mistake of the `no-wait-returns-early` mutant, for every mode.
struct ReturnsEarly;

impl SpoolerRole for ReturnsEarly {
    fn store_logoff_transports(&mut self, world: &World, mode: Mode) -> SpoolerPlan {
        ReferenceSpooler.store_logoff_transports(world, mode)
    }

    fn may_return(&mut self, world: &World, mode: Mode, flushes_awaited: u8) -> Option<LogoffFlags> {
        let idle = !world.messages().iter().any(|m| matches!(m, MessageState::Sending(_) | MessageState::Receiving(_)));
        match ReferenceSpooler.may_return(world, mode, flushes_awaited) {
            Some(flags) => Some(flags),
            None if idle => Some(LogoffFlags::COMPLETE),
            None => None,
        }
    }

    fn transport_logoff(&mut self, world: &World, transport: TransportId) -> TransportLogoffCall {
        ReferenceSpooler.transport_logoff(world, transport)
    }
}

/// A transport that takes the message it is sending as sent when it is logged off: the mistake of the
/// `logoff-loses-sending-message` mutant.
struct LosesSendingMessage;

impl TransportRole for LosesSendingMessage {
    fn logoff(&mut self, world: &World, transport: TransportId) -> TransportLogoffEffects {
        TransportLogoffEffects { send: SendFate::TakenAsSent, ..ReferenceTransport.logoff(world, transport) }
    }

    fn logoff_returned(&mut self, world: &World, t: TransportId, outcome: LogoffOutcome) -> &'static [TransportCall] {
        ReferenceTransport.logoff_returned(world, t, outcome)
    }
}

/// Shows that roles with a mistake are caught by the invariants; and that the transport with the mutant's
/// mistake gives exactly the mutant's runs.
#[test]
fn roles_with_a_mistake_are_caught() {
    let failing = (0..2_000)
        .filter(|seed| trace(*seed, Mutant::None, &mut Provider::default().with_spooler(&mut ReturnsEarly)).1)
        .count();
    assert!(failing > 0, "a spooler that returns early is never caught");

    let mut caught = 0;
    for seed in 0..2_000 {
        let role = trace(seed, Mutant::None, &mut Provider::default().with_transport(&mut LosesSendingMessage));
        let mutant = trace(seed, Mutant::LogoffLosesSendingMessage, &mut Provider::default());
        assert_eq!(role, mutant, "seed {seed}");
        caught += usize::from(role.1);
    }
    assert!(caught > 0, "a transport that loses the message it sends is never caught");
}

/// A spooler that keeps delivering into the store while a blocking logoff waits (the mistake of the
/// `reception-not-disabled` mutant) and one whose ORDERLY logoff under `keep` still starts sends (that of
/// `orderly-starts-send`): decisions of the spooler's plan, which give exactly the mutants' runs.
struct Mistaken {
    receives: bool,
    orderly_sends: bool,
}

impl SpoolerRole for Mistaken {
    fn store_logoff_transports(&mut self, world: &World, mode: Mode) -> SpoolerPlan {
        let mut plan = ReferenceSpooler.store_logoff_transports(world, mode);
        if let SpoolerOutcome::Block { sends, receives, .. } = &mut plan.outcome {
            *receives |= self.receives;
            *sends |= self.orderly_sends;
        }
        plan
    }

    fn may_return(&mut self, world: &World, mode: Mode, flushes_awaited: u8) -> Option<LogoffFlags> {
        ReferenceSpooler.may_return(world, mode, flushes_awaited)
    }

    fn transport_logoff(&mut self, world: &World, transport: TransportId) -> TransportLogoffCall {
        ReferenceSpooler.transport_logoff(world, transport)
    }
}

/// Asserts that `spooler` gives exactly the runs of `mutant` on 2,000 seeds (trace and verdict), and is caught.
fn plays_as_the_mutant(spooler: &mut dyn SpoolerRole, mutant: Mutant) {
    let mut caught = 0;
    for seed in 0..2_000 {
        let role = trace(seed, Mutant::None, &mut Provider::default().with_spooler(spooler));
        let own = trace(seed, mutant, &mut Provider::default());
        assert_eq!(role, own, "seed {seed}: {mutant}");
        caught += usize::from(role.1);
    }
    assert!(caught > 0, "{mutant} is never caught");
}

#[test]
fn the_spoolers_guards_are_decisions_of_its_plan() {
    for (mistake, mutant) in [
        (Mistaken { receives: true, orderly_sends: false }, Mutant::ReceptionNotDisabled),
        (Mistaken { receives: false, orderly_sends: true }, Mutant::OrderlyStartsSend),
    ] {
        plays_as_the_mutant(&mut { mistake }, mutant);
    }
}

/// A spooler that leaves LOGOFF_OUTBOUND_QUEUE out of the flags of a refused ABORT (issue 14, item 13a): with
/// messages queued it reports only the send or receive in progress, or nothing. (Its QUIET twin was already caught
/// by the r09 scenarios.)
struct QueueLeftOutOfRefusedAbort;

impl SpoolerRole for QueueLeftOutOfRefusedAbort {
    fn store_logoff_transports(&mut self, world: &World, mode: Mode) -> SpoolerPlan {
        let mut plan = ReferenceSpooler.store_logoff_transports(world, mode);
        if let SpoolerOutcome::Return { flags: ReturnFlags::Fixed(flags), other_process: false, .. } = &mut plan.outcome
        {
            if mode == Mode::Abort && !flags.contains(LogoffFlags::COMPLETE) {
                flags.remove(LogoffFlags::OUTBOUND_QUEUE);
            }
        }
        plan
    }

    fn may_return(&mut self, world: &World, mode: Mode, flushes_awaited: u8) -> Option<LogoffFlags> {
        ReferenceSpooler.may_return(world, mode, flushes_awaited)
    }

    fn transport_logoff(&mut self, world: &World, transport: TransportId) -> TransportLogoffCall {
        ReferenceSpooler.transport_logoff(world, transport)
    }
}

/// A transport that counts the message it is sending as sent when TransportLogoff arrives while it is also
/// flushing (issue 14, item 13b); outside a flush it requeues the message, as R16 says.
struct FlushSendTakenAsSent;

impl TransportRole for FlushSendTakenAsSent {
    fn logoff(&mut self, world: &World, transport: TransportId) -> TransportLogoffEffects {
        let reference = ReferenceTransport.logoff(world, transport);
        match world.transport(transport) {
            Some(TransportState::LoggedOn { sending: Some(_), flushing: true, .. }) => {
                TransportLogoffEffects { send: SendFate::TakenAsSent, ..reference }
            }
            _ => reference,
        }
    }

    fn logoff_returned(&mut self, world: &World, t: TransportId, outcome: LogoffOutcome) -> &'static [TransportCall] {
        ReferenceTransport.logoff_returned(world, t, outcome)
    }
}

/// The checked-in scenarios that fail with these roles: each one's name and message.
fn failing_scenarios(provider: &mut Provider) -> Vec<(String, String)> {
    let mut failing = Vec::new();
    for path in common::files("tests/scenarios", "scn") {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let script = sim::script::parse(&std::fs::read(&path).unwrap(), &format!("{name}.scn")).unwrap();
        if let Err(error) = sim::liveness::verify_script_with(&script, provider) {
            failing.push((name, error.to_string()));
        }
    }
    failing
}

/// Shows issue 14, item 13: each planted bug fails exactly one checked-in scenario, the one added for it, at the
/// step that shows it and with the invariant that sees it (the reference roles pass every scenario: scenarios.rs).
/// Before those two scenarios no scenario failed with either bug.
#[test]
fn the_scenarios_of_item_13_catch_the_planted_bugs() {
    let spooler = failing_scenarios(&mut Provider::default().with_spooler(&mut QueueLeftOutOfRefusedAbort));
    let names: Vec<&str> = spooler.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["r13-refused-abort-reports-queue"], "{spooler:#?}");
    let message = &spooler[0].1;
    assert!(
        message.starts_with("r13-refused-abort-reports-queue.scn:9: invariant violated: output-flags-exact"),
        "{message}"
    );
    assert!(message.contains("expected OUTBOUND_QUEUE, seen 0"), "{message}");

    let transport = failing_scenarios(&mut Provider::default().with_transport(&mut FlushSendTakenAsSent));
    let names: Vec<&str> = transport.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["r16-logoff-mid-flush-send"], "{transport:#?}");
    let message = &transport[0].1;
    assert!(
        message.starts_with("r16-logoff-mid-flush-send.scn:13: invariant violated: transport-logoff-order"),
        "{message}"
    );
    assert!(message.contains("m1: expected queued, seen sent"), "{message}");
}

/// A spooler that makes one of the mistakes that were the model's guards before issue 16: it receives into a
/// store without the Inbox, or goes on delivering after it released the store (habits of its serving, asked at
/// the start of a run), or reports a send in progress as a queued message too (in the flags it returns).
struct Habitual {
    habits: SpoolerHabits,
    misreports_queue: bool,
}

impl Habitual {
    fn report(&self, flags: &mut LogoffFlags) {
        if self.misreports_queue && flags.contains(LogoffFlags::OUTBOUND) {
            *flags |= LogoffFlags::OUTBOUND_QUEUE;
        }
    }
}

impl SpoolerRole for Habitual {
    fn habits(&mut self, _: &World) -> SpoolerHabits {
        self.habits
    }

    fn store_logoff_transports(&mut self, world: &World, mode: Mode) -> SpoolerPlan {
        let mut plan = ReferenceSpooler.store_logoff_transports(world, mode);
        if let SpoolerOutcome::Return { flags: ReturnFlags::Fixed(flags), .. } = &mut plan.outcome {
            self.report(flags);
        }
        plan
    }

    fn may_return(&mut self, world: &World, mode: Mode, flushes_awaited: u8) -> Option<LogoffFlags> {
        let mut flags = ReferenceSpooler.may_return(world, mode, flushes_awaited)?;
        self.report(&mut flags);
        Some(flags)
    }

    fn transport_logoff(&mut self, world: &World, transport: TransportId) -> TransportLogoffCall {
        ReferenceSpooler.transport_logoff(world, transport)
    }
}

/// Shows issue 16, item 4: `receive-without-inbox`, `deliver-after-release` and `queue-flag-misreported` are
/// decisions of the spooler role, so that a spooler making one of these mistakes gives exactly the mutant's runs
/// (the same trace and verdict, seed by seed), and is caught.
#[test]
fn the_spoolers_serving_mistakes_are_its_decisions() {
    let habits = |receives_without_inbox, delivers_after_release| SpoolerHabits {
        receives_without_inbox,
        delivers_after_release,
    };
    for (mistake, mutant) in [
        (Habitual { habits: habits(true, false), misreports_queue: false }, Mutant::ReceiveWithoutInbox),
        (Habitual { habits: habits(false, true), misreports_queue: false }, Mutant::DeliverAfterRelease),
        (Habitual { habits: habits(false, false), misreports_queue: true }, Mutant::QueueFlagMisreported),
    ] {
        plays_as_the_mutant(&mut { mistake }, mutant);
    }
}
