//! The model's own roles, the reference implementations, with their mutants: the store provider
//! ([`ReferenceStore`], which keeps its state in the model's [`StoreState`] and reads the clients' references),
//! the spooler ([`ReferenceSpooler`]) and the transport ([`ReferenceTransport`]). Each reads the [`World`] and
//! the mutant it records, and answers as the role's trait says; the model carries out the answers.

use crate::action::*;
use crate::effect::*;
use crate::flags::*;
use crate::mutant::Mutant;
use crate::profile::*;
use crate::role::*;
use crate::state::*;
use crate::world::World;

/// The model's own store provider, for one call: its state (`Open` with the saved mode, `Invalid`, `Destroyed`),
/// the clients' references (the reference count is their sum), and the world.
pub(crate) struct ReferenceStore<'a> {
    pub state: &'a mut StoreState,
    pub clients: &'a [ClientState; CLIENTS_MAX],
    pub world: &'a World,
}

impl ReferenceStore<'_> {
    /// The model's own store provider: its answer to a client's call.
    #[inline]
    pub(crate) fn call(&mut self, client: ClientId, call: StoreCall) -> StoreAnswer {
        match call {
            StoreCall::AddRef => StoreAnswer::Return(CallResult::Count(references(self.clients))),
            StoreCall::Release => self.release(),
            StoreCall::StoreLogoff(flags) => self.store_logoff(client, flags),
            StoreCall::Submit(_) => {
                let hr = if *self.state == StoreState::Invalid && self.world.mutant != Mutant::NoInvalidObject {
                    HResult::INVALID_OBJECT
                } else if self.world.mutant == Mutant::SubmitRefusedDuringLogoff
                    && matches!(self.world.spooler, SpoolerState::LoggingOff { .. })
                {
                    HResult::BUSY
                } else {
                    HResult::S_OK
                };
                StoreAnswer::Return(CallResult::Status(hr, LogoffFlags::empty()))
            }
        }
    }

    /// IUnknown::Release (the count already taken down). At zero the provider calls StoreLogoffTransports if R4,
    /// A1 and A9 say so.
    fn release(&mut self) -> StoreAnswer {
        let count = references(self.clients);
        let returns = StoreAnswer::Return(CallResult::Count(count));
        let early_call = self.world.mutant == Mutant::TransportsAtFirstRelease
            && matches!(*self.state, StoreState::Open { called: false, .. })
            && self.world.spooler == SpoolerState::Serving;
        if count > 0 && !early_call {
            return returns;
        }
        match *self.state {
            StoreState::Open { saved, called } => {
                let mut call_now = match self.world.profile.zero_call {
                    ZeroCall::Once => !called,
                    // Open means that no call returned COMPLETE.
                    ZeroCall::UntilComplete => true,
                };
                if self.world.mutant == Mutant::NoAbortAtZero && saved.is_none() && !called {
                    call_now = false;
                }
                if !call_now {
                    return returns;
                }
                // Under `eager` a saved mode means its call was made already: only ABORT is left (R4); except
                // under `eager_shared=defer` (A10), where a StoreLogoff made while another client held a reference
                // saved its mode without a call, which is then passed as under `deferred`.
                let mode = match (self.world.profile.call_site, self.world.profile.eager_shared, called) {
                    (CallSite::Deferred, _, false) | (CallSite::Eager, EagerShared::Defer, false) => {
                        saved.unwrap_or(Mode::Abort)
                    }
                    _ => Mode::Abort,
                };
                StoreAnswer::CallTransports(mode)
            }
            // A destroyed store has no reference left to release, but a mutant may destroy it early.
            StoreState::Invalid | StoreState::Destroyed => returns,
        }
    }

    /// IMsgStore::StoreLogoff: MAPI_E_INVALID_OBJECT on an invalid store (R5, before the flags), then R1's check,
    /// then MAPI_E_BUSY while another StoreLogoffTransports call is in progress; otherwise the mode is saved (R2)
    /// and, under `eager`, passed to StoreLogoffTransports at once (A1), unless another client holds a reference
    /// and `eager_shared=defer` (A10) has the call return as under `deferred`.
    fn store_logoff(&mut self, client: ClientId, flags: LogoffFlags) -> StoreAnswer {
        let fail = |hr: HResult| StoreAnswer::Return(CallResult::Status(hr, LogoffFlags::empty()));
        let StoreState::Open { saved, called } = *self.state else {
            let hr = if self.world.mutant == Mutant::NoInvalidObject { HResult::S_OK } else { HResult::INVALID_OBJECT };
            return fail(hr);
        };
        let lowest_mode = Mode::ALL.into_iter().find(|mode| flags.contains(mode.flag()));
        // The mistake of reading only the low 16 bits for undefined ones: the undefined high bits go unseen.
        let checked = if self.world.mutant == Mutant::HighUndefinedBitsAccepted {
            flags.bits() & (0xFFFF | LogoffFlags::OUTPUT.bits())
        } else {
            flags.bits()
        };
        let mode = match Mode::from_input(checked, self.world.profile.input) {
            Ok(mode) => mode,
            Err(_)
                if self.world.mutant == Mutant::SeveralModesAccepted
                    && flags.bits() & !0x1F == 0
                    && lowest_mode.is_some() =>
            {
                lowest_mode.unwrap_or(Mode::Abort)
            }
            Err(hr) => {
                if self.world.mutant == Mutant::InvalidFlagsSaved && lowest_mode.is_some() {
                    *self.state = StoreState::Open { saved: lowest_mode, called };
                }
                if self.world.mutant == Mutant::InvalidLogoffForgetsMode {
                    *self.state = StoreState::Open { saved: None, called };
                }
                return fail(hr);
            }
        };
        let sending = self.world.activity().contains(LogoffFlags::OUTBOUND);
        if matches!(self.world.spooler, SpoolerState::LoggingOff { .. })
            || (self.world.mutant == Mutant::BusyWhileSending && sending)
        {
            return fail(HResult::BUSY);
        }
        let saved = if self.world.mutant == Mutant::FirstModeWins && saved.is_some() { saved } else { Some(mode) };
        *self.state = StoreState::Open { saved, called };
        let shared = shared_with_others(self.clients, client);
        match self.world.profile.call_site {
            CallSite::Eager if !(shared && self.world.profile.eager_shared == EagerShared::Defer) => {
                StoreAnswer::CallTransports(mode)
            }
            _ => {
                let mut out = match self.world.profile.storelogoff_out {
                    StoreLogoffOut::None => LogoffFlags::empty(),
                    StoreLogoffOut::Complete => LogoffFlags::COMPLETE,
                };
                if self.world.mutant == Mutant::StoreLogoffEchoesInput {
                    out |= mode.flag();
                }
                StoreAnswer::Return(CallResult::Status(HResult::S_OK, out))
            }
        }
    }

    /// The model's own store provider when its StoreLogoffTransports call returns: it follows the flags (R5), and
    /// the client's call returns them (a StoreLogoff) or the count (a Release).
    pub(crate) fn returned(&self, caller: Caller, flags: LogoffFlags) -> AfterTransports {
        let result = match caller {
            Caller::StoreLogoff(_) => {
                let out =
                    if self.world.mutant == Mutant::EagerDropsActivity { flags & LogoffFlags::COMPLETE } else { flags };
                CallResult::Status(HResult::S_OK, out)
            }
            Caller::Release(_) => CallResult::Count(references(self.clients)),
        };
        AfterTransports { invalidate: flags.contains(LogoffFlags::COMPLETE), result }
    }
}

/// The model's own spooler, for a role implementation to delegate to (and differ from in one decision).
#[derive(Clone, Copy, Debug, Default)]
pub struct ReferenceSpooler;

impl ReferenceSpooler {
    /// The mistakes in serving the store that the model's own spooler makes under `mutant`.
    pub fn habits(mutant: Mutant) -> SpoolerHabits {
        SpoolerHabits {
            receives_without_inbox: mutant == Mutant::ReceiveWithoutInbox,
            delivers_after_release: mutant == Mutant::DeliverAfterRelease,
        }
    }
}

impl SpoolerRole for ReferenceSpooler {
    fn store_logoff_transports(&mut self, world: &World, mode: Mode) -> SpoolerPlan {
        spooler_plan(world, mode)
    }

    fn may_return(&mut self, world: &World, mode: Mode, flushes_awaited: u8) -> Option<LogoffFlags> {
        may_return(world, mode, flushes_awaited)
    }

    fn transport_logoff(&mut self, world: &World, _: TransportId) -> TransportLogoffCall {
        transport_logoff_call(world)
    }
}

/// The model's own transport provider.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReferenceTransport;

impl TransportRole for ReferenceTransport {
    fn logoff(&mut self, world: &World, _: TransportId) -> TransportLogoffEffects {
        transport_logoff(world)
    }

    fn logoff_returned(&mut self, world: &World, _: TransportId, outcome: LogoffOutcome) -> &'static [TransportCall] {
        logoff_returned(world, outcome)
    }
}

/// The activity flags the model's own spooler reports (R13): the world's, except that under
/// `queue-flag-misreported` a send in progress is reported as a queued message too.
fn reported_activity(world: &World) -> LogoffFlags {
    let activity = world.activity();
    if world.mutant == Mutant::QueueFlagMisreported && activity.contains(LogoffFlags::OUTBOUND) {
        activity | LogoffFlags::OUTBOUND_QUEUE
    } else {
        activity
    }
}

/// Transport activity for ABORT and QUIET (R8, R9, A4).
fn transport_activity(world: &World) -> bool {
    let activity = reported_activity(world);
    activity.intersects(LogoffFlags::INBOUND | LogoffFlags::OUTBOUND)
        || (world.profile.queue_is_activity == QueueIsActivity::Yes && activity.contains(LogoffFlags::OUTBOUND_QUEUE))
}

/// The model's own spooler: what it does with a StoreLogoffTransports call (R7-R14, A2-A5).
fn spooler_plan(world: &World, mode: Mode) -> SpoolerPlan {
    let mut plan = SpoolerPlan {
        stop_activity: false,
        flush: None,
        flush_logged_off: false,
        release_store: false,
        outcome: SpoolerOutcome::Block { await_flushes: false, sends: true, receives: false },
    };
    if world.other > 0 && world.mutant != Mutant::OtherProcessIgnored {
        if mode == Mode::Purge && world.mutant == Mutant::R7PurgeFlushes {
            plan.flush = Some(FlushFlags::UPLOAD);
        }
        // R7: the call is ignored; the spooler goes on serving the store.
        plan.outcome = SpoolerOutcome::Return {
            flags: ReturnFlags::Fixed(LogoffFlags::COMPLETE),
            other_process: true,
            stop_serving: world.mutant == Mutant::R7StopsServing,
        };
        return plan;
    }
    match mode {
        Mode::Abort | Mode::Quiet => {
            if transport_activity(world) {
                if mode == Mode::Quiet || world.profile.abort == Abort::Refuse {
                    // R8, R9: no logoff, nothing changes; the kinds of activity come back.
                    let mut flags = reported_activity(world);
                    if mode == Mode::Quiet && world.mutant == Mutant::QuietNoFlags {
                        flags = LogoffFlags::empty();
                    }
                    plan.stop_activity = mode == Mode::Abort && world.mutant == Mutant::RefusedAbortStopsSends;
                    plan.outcome = SpoolerOutcome::Return {
                        flags: ReturnFlags::Fixed(flags),
                        other_process: false,
                        stop_serving: false,
                    };
                    return plan;
                }
                plan.stop_activity = world.mutant != Mutant::StopKeepsSends;
            }
            plan.release_store = true;
            plan.outcome = SpoolerOutcome::Return {
                flags: ReturnFlags::CompleteAndActivity,
                other_process: false,
                stop_serving: false,
            };
        }
        Mode::NoWait | Mode::Orderly | Mode::Purge => {
            if mode == Mode::Purge && world.mutant != Mutant::PurgeSkipsFlush {
                plan.flush = Some(match world.profile.purge_flush {
                    PurgeFlush::Upload => FlushFlags::UPLOAD,
                    PurgeFlush::Both => FlushFlags::UPLOAD | FlushFlags::DOWNLOAD,
                });
                plan.flush_logged_off = world.mutant == Mutant::FlushLoggedOffTransports;
            }
            plan.outcome = SpoolerOutcome::Block {
                await_flushes: plan.flush.is_some(),
                // A2: under `keep` an ORDERLY logoff starts no new send.
                sends: mode != Mode::Orderly
                    || world.profile.orderly == Orderly::Drain
                    || world.mutant == Mutant::OrderlyStartsSend,
                receives: world.mutant == Mutant::ReceptionNotDisabled,
            };
        }
    }
    plan
}

/// The model's own spooler: whether a blocking call may return (R10, R11, R12, A2): no send or receive in
/// progress, the queue drained where the mode drains it (as far as a logged-on transport can send it), and,
/// for PURGE, every awaited flush done. It returns COMPLETE and the activity left.
fn may_return(world: &World, mode: Mode, flushes_awaited: u8) -> Option<LogoffFlags> {
    let activity = reported_activity(world);
    let busy = activity.intersects(LogoffFlags::INBOUND | LogoffFlags::OUTBOUND);
    let can_send = if world.mutant == Mutant::LateReturn {
        world.transports_declared().iter().any(|t| !matches!(t, TransportState::LoggedOff))
    } else {
        world.any_transport_logged_on()
    };
    let sendable = activity.contains(LogoffFlags::OUTBOUND_QUEUE) && can_send;
    let done = match mode {
        Mode::Orderly if world.profile.orderly == Orderly::Keep && world.mutant == Mutant::OrderlyWaitsForQueue => {
            !busy && !sendable
        }
        Mode::Orderly if world.profile.orderly == Orderly::Keep => !busy,
        Mode::NoWait if world.mutant == Mutant::NoWaitReturnsEarly => !busy,
        Mode::Purge => !busy && !sendable && flushes_awaited == 0,
        _ => !busy && !sendable,
    };
    done.then_some(LogoffFlags::COMPLETE | activity)
}

/// The model's own spooler at TransportLogoff: the address types first (R15), the flags of A6.
fn transport_logoff_call(world: &World) -> TransportLogoffCall {
    TransportLogoffCall {
        discard_address_types: world.mutant != Mutant::AddressTypesKept,
        flags: match world.profile.transport_logoff_flags {
            TransportLogoffArg::Zero => TransportLogoffFlags::empty(),
            TransportLogoffArg::Normal => TransportLogoffFlags::NORMAL,
        },
        forget_awaited_flush: world.mutant != Mutant::PurgeWaitsForAbandonedFlush,
    }
}

/// The model's own transport at TransportLogoff: a send in progress goes back to the queue (R16), a receive
/// stops.
fn transport_logoff(world: &World) -> TransportLogoffEffects {
    TransportLogoffEffects {
        send: if world.mutant == Mutant::LogoffLosesSendingMessage {
            SendFate::TakenAsSent
        } else {
            SendFate::Requeued
        },
        stop_receive: world.mutant != Mutant::LogoffKeepsReceive,
    }
}

/// The model's own transport when TransportLogoff returns: on `ok`, MakeInvalid on its logon object, then the
/// release of its support object (R17).
fn logoff_returned(world: &World, outcome: LogoffOutcome) -> &'static [TransportCall] {
    match outcome {
        LogoffOutcome::Error => &[],
        LogoffOutcome::Ok if world.mutant == Mutant::SupportReleasedFirst => {
            &[TransportCall::ReleaseSupport, TransportCall::MakeInvalid]
        }
        LogoffOutcome::Ok => &[TransportCall::MakeInvalid, TransportCall::ReleaseSupport],
    }
}
