//! Partial-order reduction by sleep sets (`explore --reduce`), over the fixed, conservative independence relation
//! written down in docs/MODEL.md ("Partial-order reduction").
//!
//! **The relation.** A step is given a *footprint* ([`footprint`]): the transport it acts on, the message it
//! moves, whether it names a new message (the pool of unused messages and the bound's count of them), whether it
//! moves another process, whether it calls the store provider (a client call that returns at once: the store's
//! state and the clients' references). A client call that starts StoreLogoffTransports, destroys the store or
//! makes it invalid, and every client call under `busy-while-sending`, is dependent on every step. Two steps are
//! independent in a state where no StoreLogoffTransports call is in progress (the spooler is not logging off, no
//! call is blocked) when their footprints share nothing. In such a state `settle` does nothing and the steps with
//! a footprint cannot start a call, so each step reads and writes only what its footprint names (the transport
//! roles read only the profile and the mutant, the spooler's guards read only the spooler's state, which none of
//! them writes there); the two orders reach the same model, and the checker's shadow and verdicts follow the same
//! parts. `tests/reduction.rs` checks the diamond of every independent pair in every reachable state of small
//! bounds: for the reference model and every mutant under the default profile, and for the reference model under
//! twelve profiles.
//!
//! **Sleep sets** (Godefroid 1996, chapter 5, with state caching): a state is expanded with the steps not asleep
//! in it; a step explored from a state falls asleep in the successors of the steps explored after it from there
//! that are independent of it, and stays asleep along independent steps. A state reached again with a sleep set
//! missing some of the steps asleep in it when it was stored has its stored set narrowed to the intersection, and
//! those steps explored from it with that set (a partial re-expansion). Every reachable state is reached; a step
//! skipped in a state was taken from an earlier state of the same run with the same verdict (the diamonds).

use logoff_core::*;

/// A set of steps asleep in a state, one bit a step (see [`bit`]).
pub type Sleep = u128;

/// The footprints of an independence relation: what a step, taken in a [`quiet`] state of a model with the mutant
/// and [`local`] there, touches, one bit a thing; `None` for a step dependent on every step. Two steps are
/// independent where both have a footprint and the footprints share no bit ([`independent`]). [`footprint`] is the
/// one the explorer uses; tests give others.
pub type Footprints = fn(Mutant, Action) -> Option<u64>;

/// The bits of a footprint: the transport acted on (bits 0-2), the message moved (3-34), the pool of unused
/// messages and the bound's count of them (35), another process opened or closed (36), the store provider called
/// (37: its state and the clients' references read and written).
const TRANSPORT: u32 = 0;
const MESSAGE: u32 = TRANSPORT + TRANSPORTS_MAX as u32;
const POOL: u64 = 1 << (MESSAGE + MESSAGES_MAX as u32);
const OTHER: u64 = POOL << 1;
const STORE: u64 = POOL << 2;
const _: () = assert!(MESSAGE + MESSAGES_MAX as u32 + 3 <= u64::BITS);

/// The footprint of each step (see docs/MODEL.md, "Partial-order reduction"). The client calls that return at
/// once call the store provider, which reads and writes only the store's state and the clients' references (and
/// reads the spooler's state, the profile and the mutant, which no step with a footprint changes in a quiet
/// state); a submit also names a new message. Under `busy-while-sending` a StoreLogoff reads whether a message is
/// being sent: every client call is then dependent on every step. TransportLogoff also moves the messages in the
/// transport's hands (sending or receiving through it), which only steps of that transport touch. The transport
/// roles read only the profile and the mutant; the spooler's guards read its state, which no step with a
/// footprint writes in a quiet state.
pub fn footprint(mutant: Mutant, action: Action) -> Option<u64> {
    let transport = |t: TransportId| 1u64 << (TRANSPORT + u32::from(t.0));
    let message = |m: MessageId| 1u64 << (MESSAGE + u32::from(m.0));
    Some(match action {
        Action::AddRef(_) | Action::Release(_) | Action::Logoff(..) | Action::Submit(..)
            if mutant == Mutant::BusyWhileSending =>
        {
            return None
        }
        Action::AddRef(_) | Action::Release(_) | Action::Logoff(..) => STORE,
        Action::Submit(_, m) => STORE | POOL | message(m),
        Action::Arrive(t, m) => POOL | transport(t) | message(m),
        Action::Send(m, t)
        | Action::Receive(m, t)
        | Action::Sent(t, m)
        | Action::SendFailed(t, m)
        | Action::Received(t, m) => transport(t) | message(m),
        Action::Flush(t, _) | Action::Flushed(t) | Action::TransportLogoff(t) | Action::LogoffReturns(t, _) => {
            transport(t)
        }
        Action::OtherOpen | Action::OtherClose => OTHER,
    })
}

/// Whether `a` and `b`, both enabled in a [`quiet`] state of a model with `mutant`, each [`local`] there, are
/// independent there by `footprints`.
pub fn independent(footprints: Footprints, mutant: Mutant, a: Action, b: Action) -> bool {
    matches!((footprints(mutant, a), footprints(mutant, b)), (Some(x), Some(y)) if x & y == 0)
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
        let independent = |mutant, a, b| independent(footprint, mutant, a, b);
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
