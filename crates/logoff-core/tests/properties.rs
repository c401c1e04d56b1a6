//! Property tests of `logoff-core` with proptest: runs drawn from `enabled()` under any profile and setup, checked
//! against a small reference model of what each logoff mode must end in, and against the promise that a step
//! that is not enabled changes nothing. The same properties are shown to fail on mutated models, so that they are
//! not properties that always pass. Failing cases are kept in `proptest-regressions/` (checked in).

use logoff_core::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, RngSeed, TestCaseError, TestRunner};

/// A generated run: a profile, a setup, and one choice per step (an index into `enabled()`, and the bits of an
/// arbitrary action that may not be enabled).
#[derive(Clone, Debug)]
struct Run {
    profile: Profile,
    setup: Setup,
    choices: Vec<(u16, u32)>,
}

fn runs() -> impl Strategy<Value = Run> {
    (
        0..Profile::COUNT,
        1..=CLIENTS_MAX as u8,
        0..=TRANSPORTS_MAX as u8,
        any::<bool>(),
        0..=1u8,
        prop::collection::vec((any::<u16>(), any::<u32>()), 0..150),
    )
        .prop_map(|(profile, clients, transports, inbox, other, choices)| Run {
            profile: Profile::from_index(profile),
            setup: Setup { clients, transports, inbox, other },
            choices,
        })
}

/// Any action at all, from 32 bits, with ids up to one beyond each maximum.
fn arbitrary_action(bits: u32) -> Action {
    let c = ClientId((bits >> 8 & 7) as u8 % (CLIENTS_MAX as u8 + 1));
    let t = TransportId((bits >> 11 & 3) as u8);
    let m = MessageId((bits >> 13 & 63) as u8 % (MESSAGES_MAX as u8 + 1));
    let flags = LogoffFlags::from_bits_retain(bits >> 19 & 0x1F | (bits & 1) << 16);
    match bits % 16 {
        0 => Action::AddRef(c),
        1 => Action::Release(c),
        2 => Action::Logoff(c, flags),
        3 => Action::Submit(c, m),
        4 => Action::Arrive(t, m),
        5 => Action::Send(m, t),
        6 => Action::Sent(t, m),
        7 => Action::SendFailed(t, m),
        8 => Action::Receive(m, t),
        9 => Action::Received(t, m),
        10 => Action::Flush(t, FlushFlags::UPLOAD),
        11 => Action::Flushed(t),
        12 => Action::TransportLogoff(t),
        13 => Action::LogoffReturns(t, LogoffOutcome::Ok),
        14 => Action::OtherOpen,
        _ => Action::OtherClose,
    }
}

fn count(model: &Model, wanted: impl Fn(MessageState) -> bool) -> usize {
    model.messages().iter().filter(|state| wanted(*state)).count()
}

fn any_logged_on(model: &Model) -> bool {
    TransportId::all(TRANSPORTS_MAX).any(|t| matches!(model.transport(t), Some(TransportState::LoggedOn { .. })))
}

/// The reference model: what a StoreLogoffTransports call in `mode`, made in the step from `before` to `after`
/// (or earlier, for a blocking mode), must end in.
fn expected_end(
    profile: &Profile,
    mode: Mode,
    same_step: bool,
    before: &Model,
    after: &Model,
    flags: LogoffFlags,
) -> Result<(), TestCaseError> {
    let sending = |m: &Model| count(m, |s| matches!(s, MessageState::Sending(_)));
    let receiving = |m: &Model| count(m, |s| matches!(s, MessageState::Receiving(_)));
    let queued = |m: &Model| count(m, |s| s == MessageState::Queued);
    let mut activity = LogoffFlags::empty();
    activity.set(LogoffFlags::INBOUND, receiving(after) > 0);
    activity.set(LogoffFlags::OUTBOUND, sending(after) > 0);
    activity.set(LogoffFlags::OUTBOUND_QUEUE, queued(after) > 0);
    prop_assert_eq!(flags & !LogoffFlags::COMPLETE, activity, "the flags describe the state at the return");
    match mode {
        Mode::Abort | Mode::Quiet => {
            prop_assert!(same_step, "{} returns without waiting", mode);
            let busy = sending(before) + receiving(before) > 0
                || (profile.queue_is_activity == QueueIsActivity::Yes && queued(before) > 0);
            let refuses = busy && (mode == Mode::Quiet || profile.abort == Abort::Refuse);
            prop_assert_eq!(flags.contains(LogoffFlags::COMPLETE), !refuses, "{} completes unless refused", mode);
            if refuses {
                prop_assert_eq!(before.messages(), after.messages(), "a refusal moves nothing");
            }
        }
        Mode::NoWait | Mode::Orderly | Mode::Purge => {
            prop_assert!(flags.contains(LogoffFlags::COMPLETE), "{} always completes", mode);
            prop_assert_eq!(sending(after) + receiving(after), 0, "{} returns with nothing in progress", mode);
            let drains = mode != Mode::Orderly || profile.orderly == Orderly::Drain;
            if drains && any_logged_on(after) {
                prop_assert_eq!(queued(after), 0, "{} returns with the queue sent", mode);
            }
        }
    }
    if flags.contains(LogoffFlags::COMPLETE) {
        prop_assert!(!after.reception_enabled(), "no reception after the store is released");
        prop_assert!(!after.sending_allowed(), "no send after the store is released");
    }
    Ok(())
}

/// Lets the run settle with no new work: completions, then the spooler's sends. Every blocked call must return.
fn settle(model: &mut Model) -> Result<(), TestCaseError> {
    let mut enabled = Vec::new();
    for _ in 0..1_000 {
        model.enabled(&mut enabled);
        let progress = enabled.iter().copied().find(|a| {
            matches!(
                a,
                Action::Sent(..)
                    | Action::Received(..)
                    | Action::Flushed(_)
                    | Action::LogoffReturns(_, LogoffOutcome::Ok)
                    | Action::Send(..)
                    | Action::Receive(..)
            )
        });
        match progress {
            Some(action) => {
                model.apply(action).map_err(|e| TestCaseError::fail(e.to_string()))?;
            }
            None => break,
        }
    }
    prop_assert_ne!(model.store_phase(), StorePhase::LoggingOff, "a logoff never returned");
    for c in ClientId::all(CLIENTS_MAX) {
        if let Some(client) = model.client(c) {
            prop_assert!(client.blocked.is_none(), "{}'s call never returned", c);
        }
    }
    Ok(())
}

/// The properties of one generated run, on a model that makes `mutant`'s mistake.
fn check(run: &Run, mutant: Mutant) -> Result<(), TestCaseError> {
    let mut model = Model::new(run.profile, run.setup).unwrap().with_mutant(mutant);
    let mut enabled = Vec::new();
    let mut call: Option<Mode> = None;
    let (mut submitted, mut arrived) = (0usize, 0usize);
    for (index, bits) in &run.choices {
        // A step that is not enabled changes nothing, whatever its parameters.
        let stray = arbitrary_action(*bits);
        let mut probe = model;
        match probe.apply(stray) {
            Err(_) => prop_assert_eq!(probe, model, "a step that is not enabled changed the state"),
            Ok(_) => prop_assert!(model.check(stray).is_ok()),
        }
        model.enabled(&mut enabled);
        if enabled.is_empty() {
            break;
        }
        let action = enabled[usize::from(*index) % enabled.len()];
        // While a blocking call is in progress nothing new is received, and ORDERLY under `keep` sends nothing new.
        if let Some(mode) = call {
            prop_assert!(!matches!(action, Action::Receive(..)), "a reception started during {}", mode);
            let keeps = mode == Mode::Orderly && run.profile.orderly == Orderly::Keep;
            prop_assert!(!(keeps && matches!(action, Action::Send(..))), "a send started during ORDERLY (keep)");
        }
        let before = model;
        let effects = model.apply(action).map_err(|e| TestCaseError::fail(format!("enabled {action} failed: {e}")))?;
        let mut called_now = false;
        for effect in &effects {
            match *effect {
                Effect::TransportsCalled { mode, .. } => {
                    call = Some(mode);
                    called_now = true;
                }
                Effect::TransportsReturned { flags, other_process } => {
                    let mode = call.take().ok_or_else(|| TestCaseError::fail("a return without a call"))?;
                    if other_process {
                        prop_assert_eq!(flags, LogoffFlags::COMPLETE, "R7 returns exactly COMPLETE");
                    } else {
                        expected_end(&run.profile, mode, called_now, &before, &model, flags)?;
                    }
                }
                Effect::Returned { call: ClientCall::Submit, result: CallResult::Status(HResult::S_OK, _), .. } => {
                    submitted += 1
                }
                _ => {}
            }
        }
        if matches!(action, Action::Arrive(..)) {
            arrived += 1;
        }
        // A message is sent only by its send completing, and delivered only by its receive completing.
        for (i, (was, now)) in before.messages().iter().zip(model.messages().iter()).enumerate() {
            let m = MessageId(i as u8);
            if now == MessageState::Sent && was != MessageState::Sent {
                prop_assert!(matches!(action, Action::Sent(_, sent) if sent == m), "{} became sent by {}", m, action);
            }
            if now == MessageState::Delivered && was != MessageState::Delivered {
                prop_assert!(matches!(action, Action::Received(_, got) if got == m), "{} delivered by {}", m, action);
            }
        }
        // Conservation, counted by the reference model: every accepted message is somewhere, once.
        let outbound =
            count(&model, |s| matches!(s, MessageState::Queued | MessageState::Sending(_) | MessageState::Sent));
        let inbound = count(&model, |s| {
            matches!(s, MessageState::Available(_) | MessageState::Receiving(_) | MessageState::Delivered)
        });
        prop_assert_eq!(outbound, submitted, "outbound messages are conserved");
        prop_assert_eq!(inbound, arrived, "inbound messages are conserved");
    }
    settle(&mut model)
}

proptest! {
    #![proptest_config(Config {
        cases: 2_000,
        // A fixed seed: the suite is deterministic like everything else here (set PROPTEST_RNG_SEED to explore).
        rng_seed: RngSeed::Fixed(0x4c4f_474f_4646),
        // Relative to the crate, where `cargo test` runs: `crates/logoff-core/proptest-regressions/`.
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("proptest-regressions/properties.txt"))),
        ..Config::default()
    })]

    /// Shows that generated runs of the reference model keep every property.
    #[test]
    fn generated_runs_keep_the_protocol(run in runs()) {
        check(&run, Mutant::None)?;
    }
}

/// Shows that the same properties fail on mutated models: they can fail.
#[test]
fn the_properties_catch_mutants() {
    let caught_by_properties = [
        Mutant::QuietNoFlags,
        Mutant::QueueFlagMisreported,
        Mutant::RefusedAbortStopsSends,
        Mutant::NoWaitReturnsEarly,
        Mutant::OrderlyStartsSend,
        Mutant::LogoffLosesSendingMessage,
        Mutant::PurgeWaitsForAbandonedFlush,
        Mutant::OrderlyWaitsForQueue,
    ];
    for mutant in caught_by_properties {
        let config =
            Config { cases: 20_000, failure_persistence: None, rng_seed: RngSeed::Fixed(7), ..Config::default() };
        let mut runner = TestRunner::new(config);
        let result = runner.run(&runs(), |run| check(&run, mutant));
        assert!(result.is_err(), "the properties did not catch {mutant}");
    }
}
