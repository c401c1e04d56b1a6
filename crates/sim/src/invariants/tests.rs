//! The checker's own tests: what its violations name, and that they stay small.

use super::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const C0: ClientId = ClientId(0);
const C1: ClientId = ClientId(1);
const T0: TransportId = TransportId(0);
const M0: MessageId = MessageId(0);

/// Takes `steps` under `profile` and `mutant` (with `store` as the store provider, if given), checking each;
/// returns the first violation and the number of the step (from 1) that broke it.
fn first_violation(
    profile: &str,
    clients: u8,
    mutant: Mutant,
    store: Option<&mut dyn StoreProvider>,
    steps: &[Action],
) -> (Violation, usize) {
    let setup = Setup { clients, transports: 1, inbox: true, other: 0 };
    let mut model = Model::new(profile.parse().unwrap(), setup).unwrap().with_mutant(mutant);
    let mut checker = Checker::new(&model);
    let mut roles = Roles { store, ..Roles::default() };
    for (i, action) in steps.iter().enumerate() {
        let before = model;
        let effects = model.apply_with_roles(*action, &mut roles).unwrap_or_else(|e| panic!("{action}: {e}"));
        if let Err(violation) = checker.after_step(&before, *action, &effects, &model) {
            return (violation, i + 1);
        }
    }
    panic!("no violation in {steps:?}")
}

fn message(profile: &str, mutant: Mutant, steps: &[Action]) -> String {
    first_violation(profile, 1, mutant, None, steps).0.to_string()
}

/// Shows that a wrong HRESULT names the call, the HRESULT expected and the one seen.
#[test]
fn a_wrong_hresult_names_the_call_and_both_hresults() {
    let steps = [Action::Submit(C0, M0), Action::Send(M0, T0), Action::Logoff(C0, LogoffFlags::ORDERLY)];
    assert_eq!(
        message("call_site=deferred", Mutant::BusyWhileSending, &steps),
        "only-release-after-complete (R5, R14): a call failed with the wrong HRESULT: c0 logoff: \
         expected S_OK, seen MAPI_E_BUSY"
    );
}

/// Shows that the call at zero names the mode expected (the saved one) and the mode passed.
#[test]
fn the_call_at_zero_names_both_modes() {
    let steps = [Action::Logoff(C0, LogoffFlags::ORDERLY), Action::Logoff(C0, LogoffFlags::PURGE), Action::Release(C0)];
    assert_eq!(
        message("call_site=deferred", Mutant::FirstModeWins, &steps),
        "transports-call-site (R2, R3, R4, A1, A9, A10): at zero: not the saved mode, or not ABORT (R3, R4): \
         expected PURGE, seen ORDERLY"
    );
}

/// Shows that a missing OUTBOUND_QUEUE names the activity flags expected and those returned.
#[test]
fn wrong_activity_flags_name_both_flag_sets() {
    let steps = [Action::Submit(C0, M0), Action::Logoff(C0, LogoffFlags::QUIET)];
    assert_eq!(
        message("call_site=eager,queue_is_activity=yes", Mutant::QuietNoFlags, &steps),
        "output-flags-exact (R13): the activity flags do not describe the state: expected OUTBOUND_QUEUE, seen 0"
    );
}

/// Shows that a lost message names the message and both states, and that a changed saved mode names both.
#[test]
fn moved_messages_and_changed_state_name_the_values() {
    let steps = [Action::Submit(C0, M0), Action::Send(M0, T0), Action::TransportLogoff(T0)];
    assert!(message("default", Mutant::LogoffLosesSendingMessage, &steps).ends_with(
        "the message being sent did not go back to the queue at TransportLogoff (R16): m0: expected queued, \
         seen sent"
    ));
    let steps = [Action::Logoff(C0, LogoffFlags::ORDERLY), Action::Logoff(C0, LogoffFlags::empty())];
    assert!(message("call_site=deferred", Mutant::InvalidLogoffForgetsMode, &steps).ends_with(
        "StoreLogoff with invalid flags changed the state: `c0 logoff 0`: expected open, saved mode ORDERLY, \
         seen open, no saved mode"
    ));
    let flags = LogoffFlags::ORDERLY | LogoffFlags::from_bits_retain(0x0010_0000);
    assert!(message("default", Mutant::HighUndefinedBitsAccepted, &[Action::Logoff(C0, flags)]).ends_with(
        "StoreLogoff accepted invalid flags: `c0 logoff ORDERLY|0x100000`: expected MAPI_E_INVALID_PARAMETER, \
         seen S_OK"
    ));
}

/// A store provider that calls StoreLogoffTransports for every valid StoreLogoff, even while a call of its own
/// is in progress (instead of MAPI_E_BUSY).
struct Overlapping;

impl StoreProvider for Overlapping {
    fn call(&mut self, _: ClientId, call: StoreCall) -> StoreAnswer {
        match call {
            StoreCall::StoreLogoff(flags) => match Mode::from_input(flags.bits(), InputCheck::Mask) {
                Ok(mode) => StoreAnswer::CallTransports(mode),
                Err(hr) => StoreAnswer::Return(CallResult::Status(hr, LogoffFlags::empty())),
            },
            StoreCall::Submit(_) => StoreAnswer::Return(CallResult::Status(HResult::S_OK, LogoffFlags::empty())),
            StoreCall::AddRef | StoreCall::Release => StoreAnswer::Return(CallResult::Count(2)),
        }
    }

    fn transports_returned(&mut self, _: ClientId, flags: LogoffFlags, _: bool) -> AfterTransports {
        let invalidate = flags.contains(LogoffFlags::COMPLETE);
        AfterTransports { invalidate, result: CallResult::Status(HResult::S_OK, flags) }
    }
}

/// Shows that a second StoreLogoffTransports call while one is in progress is reported at the step that makes
/// it, under transports-call-site, with the mode of the call in progress and the call made (it used to be
/// seen only at the end of the run, as a client call that never returned).
#[test]
fn an_overlapping_call_is_reported_where_it_is_made() {
    let steps =
        [Action::Submit(C0, M0), Action::Logoff(C0, LogoffFlags::NO_WAIT), Action::Logoff(C1, LogoffFlags::ORDERLY)];
    let (violation, step) = first_violation("call_site=eager", 2, Mutant::None, Some(&mut Overlapping), &steps);
    assert_eq!(step, 3);
    assert_eq!(
        violation.to_string(),
        "transports-call-site (R2, R3, R4, A1, A9, A10): StoreLogoffTransports called while another call is in \
         progress (MODEL.md decision 7): `c1 logoff ORDERLY`: expected no second call while the NO_WAIT call is \
         in progress (MAPI_E_BUSY), seen `transports-called ORDERLY by c1 logoff`"
    );
}

/// Shows that a violation stays small, plain data: the sweep path copies it and formats nothing.
#[test]
fn a_violation_is_small_copy_data() {
    fn copy<T: Copy>() {}
    copy::<Violation>();
    assert!(std::mem::size_of::<Violation>() <= 96, "{} bytes", std::mem::size_of::<Violation>());
}

/// Shows that the table lists every invariant once, in the order of `Invariant::ALL`, and that the requirements
/// printed are the table's.
#[test]
fn the_table_follows_the_invariants() {
    for (entry, invariant) in TABLE.iter().zip(Invariant::ALL) {
        assert_eq!(entry.invariant, invariant);
        assert_eq!(invariant.requirements(), entry.requirements);
        assert!(entry.function.contains("::"), "{}", entry.function);
    }
}

/// A store provider that answers anything: calls StoreLogoffTransports in any mode, returns any count, HRESULT
/// or flags, and invalidates the store or not.
struct Chaos<'a>(&'a mut ChaCha8Rng);

fn flags(rng: &mut ChaCha8Rng) -> LogoffFlags {
    let all = [0u32, 1, 2, 4, 8, 0x10, 0x10000, 0x20000, 0x40000, 0x80000, 0x30000, 0x50000, 0x10001];
    LogoffFlags::from_bits_retain(all[rng.random_range(0..all.len())])
}

fn result(rng: &mut ChaCha8Rng) -> CallResult {
    if rng.random_bool(0.3) {
        CallResult::Count(rng.random_range(0..4))
    } else {
        let hrs = [HResult::S_OK, HResult::INVALID_OBJECT, HResult::BUSY, HResult::INVALID_PARAMETER];
        CallResult::Status(hrs[rng.random_range(0..4)], flags(rng))
    }
}

impl StoreProvider for Chaos<'_> {
    fn call(&mut self, _: ClientId, _: StoreCall) -> StoreAnswer {
        if self.0.random_bool(0.3) {
            let modes = [Mode::NoWait, Mode::Orderly, Mode::Purge, Mode::Abort, Mode::Quiet];
            StoreAnswer::CallTransports(modes[self.0.random_range(0..5)])
        } else {
            StoreAnswer::Return(result(self.0))
        }
    }
    fn transports_returned(&mut self, _: ClientId, _: LogoffFlags, _: bool) -> AfterTransports {
        AfterTransports { invalidate: self.0.random_bool(0.5), result: result(self.0) }
    }
}

/// Every invariant's function on one step, each asserted to raise only its own invariant (counted in `raised`);
/// then the step checked as usual.
fn judge(
    checker: &mut Checker,
    before: &Model,
    action: Action,
    effects: &Effects,
    after: &Model,
    raised: &mut [u32; 13],
) -> Result<(), Violation> {
    let mut next = *checker;
    let step = Step::new(checker, &mut next, before, action, effects.as_slice(), after);
    for invariant in Invariant::ALL {
        if let Err(found) = checker.check_one(invariant, &step) {
            assert_eq!(found.violation.invariant, invariant, "`{action}`: {}", found.violation);
            raised[invariant.index()] += 1;
        }
    }
    checker.after_step(before, action, effects, after)
}

/// Shows that each invariant's function raises only its own invariant: random runs under random profiles,
/// mutants and setups, some with a store provider that answers anything, every function judging every step.
#[test]
fn each_function_raises_only_its_own_invariant() {
    let mut raised = [0u32; 13];
    let mut actions = Vec::new();
    for seed in 0..20_000u64 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let profile = Profile::from_index(rng.random_range(0..Profile::COUNT));
        let mutant =
            if rng.random_bool(0.5) { Mutant::ALL[rng.random_range(0..Mutant::ALL.len())] } else { Mutant::None };
        let setup = Setup {
            clients: rng.random_range(1..=3),
            transports: rng.random_range(0..=2),
            inbox: rng.random_bool(0.8),
            other: rng.random_range(0..=1),
        };
        let mut model = Model::new(profile, setup).unwrap().with_mutant(mutant);
        let mut checker = Checker::new(&model);
        let chaos_from = if rng.random_bool(0.3) { rng.random_range(0..30) } else { usize::MAX };
        for i in 0..60 {
            model.enabled(&mut actions);
            let Some(mut action) = (!actions.is_empty()).then(|| actions[rng.random_range(0..actions.len())]) else {
                break;
            };
            if rng.random_bool(0.05) {
                action = Action::Logoff(ClientId(rng.random_range(0..setup.clients)), flags(&mut rng));
            }
            let before = model;
            let applied = if i >= chaos_from {
                let mut store_rng = ChaCha8Rng::seed_from_u64(rng.random());
                let mut chaos = Chaos(&mut store_rng);
                model.apply_with_roles(action, &mut Roles { store: Some(&mut chaos), ..Roles::default() })
            } else {
                model.apply(action)
            };
            let Ok(effects) = applied else { continue };
            if judge(&mut checker, &before, action, &effects, &model, &mut raised).is_err() {
                break;
            }
        }
    }
    // Two that random runs seldom reach: a refused ABORT that stops a send, a send started during ORDERLY.
    let refused = [Action::Submit(C0, M0), Action::Send(M0, T0), Action::Logoff(C0, LogoffFlags::ABORT)];
    let orderly = [
        Action::Submit(C0, M0),
        Action::Submit(C0, MessageId(1)),
        Action::Send(M0, T0),
        Action::Logoff(C0, LogoffFlags::ORDERLY),
        Action::Send(MessageId(1), TransportId(1)),
    ];
    for (profile, mutant, steps) in [
        ("call_site=eager,abort=refuse", Mutant::RefusedAbortStopsSends, &refused[..]),
        ("call_site=eager,orderly=keep", Mutant::OrderlyStartsSend, &orderly[..]),
    ] {
        let setup = Setup { clients: 1, transports: 2, inbox: false, other: 0 };
        let mut model = Model::new(profile.parse().unwrap(), setup).unwrap().with_mutant(mutant);
        let mut checker = Checker::new(&model);
        for action in steps {
            let before = model;
            let effects = model.apply(*action).unwrap_or_else(|e| panic!("{action}: {e}"));
            if judge(&mut checker, &before, *action, &effects, &model, &mut raised).is_err() {
                break;
            }
        }
    }
    assert!(raised.iter().all(|count| *count > 0), "every invariant raised at least once: {raised:?}");
}
