//! Partial-order reduction by sleep sets (`explore --reduce`), over the fixed, conservative independence relation
//! written down in docs/MODEL.md ("Partial-order reduction").
//!
//! **The relation.** A step is given a *footprint*: the transport it acts on, the message it moves, whether it
//! names a new message (the pool of unused messages and the bound's count of them), whether it moves another
//! process. Client calls (AddRef, Release, StoreLogoff, Submit) have no footprint: the store provider reads the
//! whole model when it answers one, so they are dependent on every step. Two steps with footprints are independent
//! in a state where no StoreLogoffTransports call is in progress (the spooler is not logging off, no call is
//! blocked) when their footprints share nothing. In such a state `settle` does nothing and the steps with a
//! footprint cannot start a call, so each step reads and writes only what its footprint names (the transport
//! roles read only the profile and the mutant, the spooler's guards read only the spooler's state, which none of
//! them writes there); the two orders reach the same model, and the checker's shadow and verdicts follow the same
//! parts. `tests/reduction.rs` checks the diamond of every independent pair in every reachable state of a small
//! bound under every profile and every mutant.
//!
//! **Sleep sets** (Godefroid 1996, chapter 5, with state caching): a state is expanded with the steps not asleep
//! in it; a step explored from a state falls asleep in the successors of the steps explored after it from there
//! that are independent of it, and stays asleep along independent steps. A state reached again with a sleep set
//! missing some of the steps asleep in it when it was stored has those steps explored from it (a partial
//! re-expansion) and its stored set is narrowed to the intersection. Every reachable state is reached; a step
//! skipped in a state was taken from an earlier state of the same run with the same verdict (the diamonds).

use logoff_core::*;

/// A set of steps asleep in a state, one bit a step (see [`bit`]).
pub type Sleep = u128;

/// An independence relation: whether two steps, both enabled in a [`quiet`] state of a model with the mutant,
/// each [`local`] there, are independent there. [`independent`] is the one the explorer uses; tests give others.
pub type Independence = fn(Mutant, Action, Action) -> bool;

/// What a step touches, for the independence relation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Footprint {
    transport: Option<TransportId>,
    message: Option<MessageId>,
    /// It names a new message: the first unused one, and the bound's count of messages named.
    pool: bool,
    /// It opens or closes another process.
    other: bool,
    /// It calls the store provider: reads and writes the store's state and the clients' references.
    store: bool,
}

/// The footprint of a step taken in a quiet state; for a client call, one that returned at once ([`local`]).
/// `None`: dependent on every step (a client call under `busy-while-sending`, whose StoreLogoff reads whether any
/// message is being sent).
fn footprint(mutant: Mutant, action: Action) -> Option<Footprint> {
    let touches = |transport: Option<TransportId>, message: Option<MessageId>| Footprint {
        transport,
        message,
        pool: false,
        other: false,
        store: false,
    };
    let client = Footprint { store: true, ..touches(None, None) };
    Some(match action {
        Action::AddRef(_) | Action::Release(_) | Action::Logoff(..) | Action::Submit(..)
            if mutant == Mutant::BusyWhileSending =>
        {
            return None
        }
        Action::AddRef(_) | Action::Release(_) | Action::Logoff(..) => client,
        Action::Submit(_, m) => Footprint { message: Some(m), pool: true, ..client },
        Action::Arrive(t, m) => Footprint { pool: true, ..touches(Some(t), Some(m)) },
        Action::Send(m, t)
        | Action::Receive(m, t)
        | Action::Sent(t, m)
        | Action::SendFailed(t, m)
        | Action::Received(t, m) => touches(Some(t), Some(m)),
        // TransportLogoff also moves the messages in the transport's hands (sending or receiving through it),
        // which no step of another transport can touch.
        Action::Flush(t, _) | Action::Flushed(t) | Action::TransportLogoff(t) | Action::LogoffReturns(t, _) => {
            touches(Some(t), None)
        }
        Action::OtherOpen | Action::OtherClose => Footprint { other: true, ..touches(None, None) },
    })
}

/// Whether steps may be independent in `model`: no StoreLogoffTransports call is in progress. The steps that
/// [`independent`] relates keep this so.
pub fn quiet(model: &Model) -> bool {
    !matches!(model.spooler(), SpoolerState::LoggingOff { .. })
        && ClientId::all(usize::from(model.setup().clients))
            .all(|c| model.client(c).is_some_and(|client| client.blocked.is_none()))
}

/// Whether a client call whose step had `effects` returned at once: no StoreLogoffTransports call, the store not
/// destroyed or made invalid. Only such a call is independent of anything; a step that is not a client call is
/// local.
pub fn local(action: Action, effects: &Effects) -> bool {
    !matches!(action.actor(), Actor::Client(_)) || effects.iter().all(|e| matches!(e, Effect::Returned { .. }))
}

/// Whether `a` and `b`, both enabled in a [`quiet`] state of a model with `mutant`, each [`local`] there, are
/// independent there.
pub fn independent(mutant: Mutant, a: Action, b: Action) -> bool {
    let (Some(x), Some(y)) = (footprint(mutant, a), footprint(mutant, b)) else {
        return false;
    };
    let shared = |p: Option<u8>, q: Option<u8>| p.is_some() && p == q;
    !(shared(x.transport.map(|t| t.0), y.transport.map(|t| t.0))
        || shared(x.message.map(|m| m.0), y.message.map(|m| m.0))
        || (x.pool && y.pool)
        || (x.other && y.other)
        || (x.store && y.store))
}

/// The steps a transport may take, each a bit of a sleep set: the message of `arrive`, `sent`, `send-failed` and
/// `received` is the one the state gives it (the first unused, the one sending or receiving through it), and no
/// step independent of it changes that; likewise the message of a client's `submit`.
const TRANSPORT_BITS: u32 = 10;
const CLIENT_BITS: u32 = 3 + CANONICAL_LOGOFF_FLAGS.len() as u32;
/// Messages whose `send` and `receive` steps have a bit.
const MESSAGES_WITH_BITS: u8 = 8;
const OTHER_BASE: u32 = TRANSPORT_BITS * TRANSPORTS_MAX as u32;
const CLIENT_BASE: u32 = OTHER_BASE + 2;
const SEND_BASE: u32 = CLIENT_BASE + CLIENT_BITS * CLIENTS_MAX as u32;
const RECEIVE_BASE: u32 = SEND_BASE + (TRANSPORTS_MAX as u32) * MESSAGES_WITH_BITS as u32;
const _: () = assert!(RECEIVE_BASE + (TRANSPORTS_MAX as u32) * (MESSAGES_WITH_BITS as u32) <= Sleep::BITS);

/// The bit of `action` in a sleep set, among the steps enabled in one state; `None` for a step that is never put
/// to sleep (a flush or StoreLogoff with flags that `enabled()` does not offer, a send or receive of a message
/// numbered 8 or more): such a step is always taken.
pub fn bit(action: Action) -> Option<u32> {
    let transport = |t: TransportId, k: u32| Some(u32::from(t.0) * TRANSPORT_BITS + k);
    let client = |c: ClientId, k: u32| Some(CLIENT_BASE + u32::from(c.0) * CLIENT_BITS + k);
    let message = |base: u32, m: MessageId, t: TransportId| {
        (m.0 < MESSAGES_WITH_BITS).then(|| base + u32::from(t.0) * u32::from(MESSAGES_WITH_BITS) + u32::from(m.0))
    };
    match action {
        Action::AddRef(c) => client(c, 0),
        Action::Release(c) => client(c, 1),
        Action::Submit(c, _) => client(c, 2),
        Action::Logoff(c, flags) => {
            let k = CANONICAL_LOGOFF_FLAGS.iter().position(|f| *f == flags)?;
            client(c, 3 + k as u32)
        }
        Action::Arrive(t, _) => transport(t, 0),
        Action::Sent(t, _) => transport(t, 1),
        Action::SendFailed(t, _) => transport(t, 2),
        Action::Received(t, _) => transport(t, 3),
        Action::Flush(t, flags) => {
            let k = CANONICAL_FLUSH_FLAGS.iter().position(|f| *f == flags)?;
            transport(t, 4 + k as u32)
        }
        Action::Flushed(t) => transport(t, 6),
        Action::TransportLogoff(t) => transport(t, 7),
        Action::LogoffReturns(t, LogoffOutcome::Ok) => transport(t, 8),
        Action::LogoffReturns(t, LogoffOutcome::Error) => transport(t, 9),
        Action::OtherOpen => Some(OTHER_BASE),
        Action::OtherClose => Some(OTHER_BASE + 1),
        Action::Send(m, t) => message(SEND_BASE, m, t),
        Action::Receive(m, t) => message(RECEIVE_BASE, m, t),
    }
}

/// The set holding the one step `action`, or nothing.
pub fn only(action: Action) -> Sleep {
    bit(action).map_or(0, |bit| 1 << bit)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every step of the largest model that `enabled()` may offer has its own bit, or none.
    #[test]
    fn no_two_steps_of_a_state_share_a_bit() {
        let mut steps = Vec::new();
        for t in TransportId::all(TRANSPORTS_MAX) {
            steps.extend([Action::Arrive(t, MessageId(0)), Action::Sent(t, MessageId(1))]);
            steps.extend([Action::SendFailed(t, MessageId(1)), Action::Received(t, MessageId(2))]);
            steps.extend(CANONICAL_FLUSH_FLAGS.map(|flags| Action::Flush(t, flags)));
            steps.extend([Action::Flushed(t), Action::TransportLogoff(t)]);
            steps.extend([Action::LogoffReturns(t, LogoffOutcome::Ok), Action::LogoffReturns(t, LogoffOutcome::Error)]);
            for m in MessageId::all(MESSAGES_MAX) {
                steps.extend([Action::Send(m, t), Action::Receive(m, t)]);
            }
        }
        steps.extend([Action::OtherOpen, Action::OtherClose]);
        for c in ClientId::all(CLIENTS_MAX) {
            steps.extend([Action::AddRef(c), Action::Release(c), Action::Submit(c, MessageId(3))]);
            steps.extend(CANONICAL_LOGOFF_FLAGS.map(|flags| Action::Logoff(c, flags)));
        }
        let bits: Vec<u32> = steps.iter().filter_map(|a| bit(*a)).collect();
        let mut unique = bits.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), bits.len(), "two steps share a bit");
        assert!(bits.iter().all(|b| *b < Sleep::BITS));
        assert_eq!(bit(Action::Send(MessageId(8), TransportId(0))), None);
        assert_eq!(bit(Action::Logoff(ClientId(0), LogoffFlags::COMPLETE)), None);
    }

    #[test]
    fn footprints_that_share_something_are_dependent() {
        let none = Mutant::None;
        let logoff = Action::Logoff(ClientId(0), LogoffFlags::ORDERLY);
        assert!(independent(none, logoff, Action::Flushed(TransportId(1))));
        assert!(!independent(Mutant::BusyWhileSending, logoff, Action::Flushed(TransportId(1))));
        assert!(!independent(none, logoff, Action::AddRef(ClientId(1))));
        assert!(independent(none, logoff, Action::OtherOpen));
        let (arrive, submit) =
            (Action::Arrive(TransportId(0), MessageId(0)), Action::Submit(ClientId(0), MessageId(0)));
        assert!(!independent(none, arrive, Action::Arrive(TransportId(1), MessageId(0))));
        assert!(!independent(none, arrive, submit));
        assert!(independent(none, Action::Flushed(TransportId(0)), Action::Flushed(TransportId(1))));
        assert!(!independent(
            none,
            Action::Sent(TransportId(0), MessageId(0)),
            Action::Send(MessageId(0), TransportId(1))
        ));
        assert!(!independent(none, Action::OtherOpen, Action::OtherClose));
        assert!(independent(none, Action::OtherOpen, Action::TransportLogoff(TransportId(0))));
    }
}
