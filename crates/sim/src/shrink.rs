//! Shrinking: a failing run reduced to a short script that still breaks the same invariant, every step enabled,
//! from a setup as small as it needs.
//!
//! The steps of the run (client calls, arrivals, completions and the fault choices: failed sends, TransportLogoff,
//! its outcome, flushes, other processes) are reduced by delta debugging (ddmin over complements), then by
//! removing single steps until no step can go (the result is 1-minimal). Removing a step can disable later ones (a
//! send whose submit is gone): each candidate is first replayed with the steps that are no longer enabled dropped
//! as well, so a whole dependent group goes at once and every step of the result is enabled. A candidate counts
//! only if the replay, with every invariant after every step and liveness after the last, breaks the target
//! invariant.
//!
//! Then the setup ([`smaller_setups`]): one client fewer (its steps dropped, or given to a client before it), one
//! transport fewer (likewise), no Inbox, one other process fewer open at the start, the clients and transports
//! after the one that goes renamed down. The first smaller setup whose steps still break the target is kept, its
//! steps are shrunk again, and so on until no smaller setup does. Last, the messages are renamed `m0`, `m1`, ... in
//! the order they first appear.

use logoff_core::*;

use crate::invariants::{apply_checked, Checker, Invariant};
use crate::liveness::settle_with;
use crate::role::Provider;
use crate::script::{ItemKind, Script};

/// The most candidate replays one shrink may try.
pub const SHRINK_REPLAYS_MAX: u32 = 20_000;

/// The invariant that `steps` break under the script's profile, setup and mutant; `None` if they break nothing
/// or a step is not enabled.
pub fn broken_invariant(base: &Script, steps: &[Action]) -> Option<Invariant> {
    broken_invariant_with(base, steps, &mut Provider::model())
}

/// [`broken_invariant`] with `provider` in the store provider's role (started afresh). A provider that fails
/// breaks nothing: the candidate is not kept.
pub fn broken_invariant_with(base: &Script, steps: &[Action], provider: &mut Provider) -> Option<Invariant> {
    let mut model = Model::new(base.profile, base.setup).ok()?.with_mutant(base.mutant);
    provider.start(&base.file, &mut model);
    let mut checker = Checker::new(&model);
    for action in steps {
        let before = model;
        let mut broken = None;
        let applied = apply_checked(&before, &mut model, &mut checker, *action, &mut broken, |model, action| {
            provider.apply(model, action)
        });
        if applied.is_err() || provider.failure().is_some() {
            return None;
        }
        if let Some(violation) = broken {
            return Some(violation.invariant);
        }
    }
    let settled = settle_with(&mut model, &mut checker, provider);
    if provider.failure().is_some() {
        return None;
    }
    settled.err().map(|violation| violation.invariant)
}

/// The steps of a script that were applied (a step followed by `expect rejected` changed nothing and is left out).
pub fn applied_steps(script: &Script) -> Vec<Action> {
    let mut steps = Vec::new();
    for (i, item) in script.items.iter().enumerate() {
        if let ItemKind::Step(action) = item.kind {
            let rejected = matches!(
                script.items.get(i + 1).map(|next| &next.kind),
                Some(ItemKind::Expect(crate::script::Expectation::Rejected))
            );
            if !rejected {
                steps.push(action);
            }
        }
    }
    steps
}

/// The steps of `candidate` that are still enabled when the ones before them have been applied, under the
/// script's profile, setup and mutant.
fn enabled_subsequence(base: &Script, candidate: &[Action], provider: &mut Provider) -> Vec<Action> {
    let Ok(model) = Model::new(base.profile, base.setup) else { return Vec::new() };
    let mut model = model.with_mutant(base.mutant);
    provider.start(&base.file, &mut model);
    candidate.iter().copied().filter(|action| provider.apply(&mut model, *action).is_ok()).collect()
}

/// Reduces the script's steps to a list that still breaks `target` and from which no step, and no two steps
/// together, can go, and its setup to one where no
/// smaller setup of [`smaller_setups`] breaks it, with the messages renamed `m0`, `m1`, ... in order of
/// appearance; returns it as a script with steps only. `None` if the script's steps do not break `target` to begin
/// with.
pub fn shrink(script: &Script, target: Invariant) -> Option<Script> {
    shrink_with(script, target, &mut Provider::model())
}

/// [`shrink`] with `provider` in the store provider's role: every candidate is run against it afresh.
pub fn shrink_with(script: &Script, target: Invariant, provider: &mut Provider) -> Option<Script> {
    let mut base = Script::new(script.file.clone(), script.profile, script.setup);
    base.mutant = script.mutant;
    let steps = applied_steps(script);
    if broken_invariant_with(&base, &steps, provider) != Some(target) {
        return None;
    }
    let mut shrinker = Shrinker { target, provider, replays: 0 };
    let mut steps = shrinker.steps(&base, steps);
    'smaller: loop {
        for (setup, candidate) in smaller_setups(base.setup, &steps) {
            let mut smaller = base.clone();
            smaller.setup = setup;
            if let Some(kept) = shrinker.try_candidate(&smaller, &candidate) {
                steps = shrinker.steps(&smaller, kept);
                base = smaller;
                continue 'smaller;
            }
        }
        break;
    }
    // Renaming the messages changes nothing the model decides; it is checked all the same.
    let renamed = messages_in_order(&steps);
    if broken_invariant_with(&base, &renamed, shrinker.provider) == Some(target) {
        steps = renamed;
    }
    let mut shrunk = base;
    for action in steps {
        shrunk.push_step(action);
    }
    Some(shrunk)
}

/// What one shrink keeps breaking, against which roles, and how many candidates it has replayed.
struct Shrinker<'p, 'a> {
    target: Invariant,
    provider: &'p mut Provider<'a>,
    replays: u32,
}

impl Shrinker<'_, '_> {
    /// A candidate kept as its enabled subsequence under `base`'s setup, if that still breaks the target (and the
    /// shrink has replays left).
    fn try_candidate(&mut self, base: &Script, candidate: &[Action]) -> Option<Vec<Action>> {
        self.replays += 1;
        if self.replays > SHRINK_REPLAYS_MAX {
            return None;
        }
        let enabled = enabled_subsequence(base, candidate, self.provider);
        (broken_invariant_with(base, &enabled, self.provider) == Some(self.target)).then_some(enabled)
    }

    /// Reduces `steps`, which break the target under `base`'s setup, to a list that still does and from which no
    /// step, and no two steps together, can be removed.
    fn steps(&mut self, base: &Script, mut steps: Vec<Action>) -> Vec<Action> {
        let mut try_candidate = |candidate: &[Action]| self.try_candidate(base, candidate);
        // ddmin over complements: remove one of `parts` chunks at a time.
        let mut parts = 2usize;
        while steps.len() >= 2 {
            let chunk = steps.len().div_ceil(parts);
            let mut reduced = false;
            for start in (0..steps.len()).step_by(chunk) {
                let candidate: Vec<Action> =
                    steps[..start].iter().chain(steps[(start + chunk).min(steps.len())..].iter()).copied().collect();
                if let Some(kept) = try_candidate(&candidate) {
                    steps = kept;
                    parts = (parts - 1).max(2);
                    reduced = true;
                    break;
                }
            }
            if !reduced {
                if parts >= steps.len() {
                    break;
                }
                parts = (parts * 2).min(steps.len());
            }
        }
        'pairs: loop {
            // 1-minimality: no single step can go.
            let mut i = 0;
            while i < steps.len() {
                let mut candidate = steps.clone();
                candidate.remove(i);
                if let Some(kept) = try_candidate(&candidate) {
                    steps = kept;
                    i = 0;
                } else {
                    i += 1;
                }
            }
            // No two steps can go together either: an AddRef and a later Release that undoes it can go only as a
            // pair (without the AddRef, that Release would take the client's last reference).
            for i in 0..steps.len() {
                for j in i + 1..steps.len() {
                    let candidate: Vec<Action> =
                        (0..steps.len()).filter(|k| *k != i && *k != j).map(|k| steps[k]).collect();
                    if let Some(kept) = try_candidate(&candidate) {
                        steps = kept;
                        continue 'pairs;
                    }
                }
            }
            return steps;
        }
    }
}

/// A renaming of clients, transports and messages for steps: old `i` becomes `clients[i]` (and so on); `None`
/// drops every step that names it.
#[derive(Clone, Copy)]
struct Names {
    clients: [Option<u8>; CLIENTS_MAX],
    transports: [Option<u8>; TRANSPORTS_MAX],
    messages: [Option<u8>; MESSAGES_MAX],
}

impl Names {
    const IDENTITY: Names = Names {
        clients: [Some(0), Some(1), Some(2), Some(3)],
        transports: [Some(0), Some(1), Some(2)],
        messages: {
            let mut messages = [None; MESSAGES_MAX];
            let mut i = 0;
            while i < MESSAGES_MAX {
                messages[i] = Some(i as u8);
                i += 1;
            }
            messages
        },
    };

    /// `old` gone (to `into`, or dropped with its steps if `None`), the ones after it one lower.
    fn without(old: usize, into: Option<u8>, count: usize) -> [Option<u8>; 4] {
        let mut names = [None; 4];
        for (i, name) in names.iter_mut().enumerate().take(count) {
            *name = match i.cmp(&old) {
                std::cmp::Ordering::Less => Some(i as u8),
                std::cmp::Ordering::Equal => into,
                std::cmp::Ordering::Greater => Some(i as u8 - 1),
            };
        }
        names
    }

    /// The step renamed, or `None` if it names a client, transport or message that is dropped.
    fn apply(&self, action: Action) -> Option<Action> {
        let c = |c: ClientId| self.clients.get(c.index()).copied().flatten().map(ClientId);
        let t = |t: TransportId| self.transports.get(t.index()).copied().flatten().map(TransportId);
        let m = |m: MessageId| self.messages.get(m.index()).copied().flatten().map(MessageId);
        Some(match action {
            Action::AddRef(client) => Action::AddRef(c(client)?),
            Action::Release(client) => Action::Release(c(client)?),
            Action::Logoff(client, flags) => Action::Logoff(c(client)?, flags),
            Action::Submit(client, message) => Action::Submit(c(client)?, m(message)?),
            Action::Arrive(transport, message) => Action::Arrive(t(transport)?, m(message)?),
            Action::Send(message, transport) => Action::Send(m(message)?, t(transport)?),
            Action::Sent(transport, message) => Action::Sent(t(transport)?, m(message)?),
            Action::SendFailed(transport, message) => Action::SendFailed(t(transport)?, m(message)?),
            Action::Receive(message, transport) => Action::Receive(m(message)?, t(transport)?),
            Action::Received(transport, message) => Action::Received(t(transport)?, m(message)?),
            Action::Flush(transport, flags) => Action::Flush(t(transport)?, flags),
            Action::Flushed(transport) => Action::Flushed(t(transport)?),
            Action::TransportLogoff(transport) => Action::TransportLogoff(t(transport)?),
            Action::LogoffReturns(transport, outcome) => Action::LogoffReturns(t(transport)?, outcome),
            Action::OtherOpen => Action::OtherOpen,
            Action::OtherClose => Action::OtherClose,
        })
    }

    fn rename(&self, steps: &[Action]) -> Vec<Action> {
        steps.iter().filter_map(|action| self.apply(*action)).collect()
    }
}

/// The setups one smaller than `setup`, each with `steps` carried over to it, in the order they are tried: without
/// client `i` (last first; its steps dropped), then with client `i` merged into an earlier client `k` (its steps
/// taken by `k`); the same for transports; then without the Inbox; then with one other process fewer open at the
/// start. The clients and transports after the one that goes are renamed one lower.
pub fn smaller_setups(setup: Setup, steps: &[Action]) -> Vec<(Setup, Vec<Action>)> {
    let mut smaller = Vec::new();
    let clients = usize::from(setup.clients);
    if clients > 1 {
        let fewer = Setup { clients: setup.clients - 1, ..setup };
        let intos = |i: usize| std::iter::once(None).chain((0..i).map(|k| Some(k as u8)));
        for into in (0..clients).rev().flat_map(|i| intos(i).map(move |into| (i, into))) {
            let (i, into) = into;
            let clients = Names::without(i, into, clients);
            let names = Names { clients, ..Names::IDENTITY };
            smaller.push((fewer, names.rename(steps)));
        }
    }
    let transports = usize::from(setup.transports);
    if transports > 0 {
        let fewer = Setup { transports: setup.transports - 1, ..setup };
        let intos = |j: usize| std::iter::once(None).chain((0..j).map(|k| Some(k as u8)));
        for (j, into) in (0..transports).rev().flat_map(|j| intos(j).map(move |into| (j, into))) {
            let without = Names::without(j, into, transports);
            let names = Names { transports: [without[0], without[1], without[2]], ..Names::IDENTITY };
            smaller.push((fewer, names.rename(steps)));
        }
    }
    if setup.inbox {
        smaller.push((Setup { inbox: false, ..setup }, steps.to_vec()));
    }
    if setup.other > 0 {
        smaller.push((Setup { other: setup.other - 1, ..setup }, steps.to_vec()));
    }
    smaller
}

/// The step with every client, transport and message it names renamed to the first (`c0`, `t0`, `m0`): what it
/// does, whoever does it.
pub fn shape(action: Action) -> Action {
    let names = Names {
        clients: [Some(0); CLIENTS_MAX],
        transports: [Some(0); TRANSPORTS_MAX],
        messages: [Some(0); MESSAGES_MAX],
    };
    names.apply(action).expect("every name is renamed")
}

/// The steps with their messages renamed `m0`, `m1`, ... in the order they first appear.
pub fn messages_in_order(steps: &[Action]) -> Vec<Action> {
    let mut names = Names { messages: [None; MESSAGES_MAX], ..Names::IDENTITY };
    let mut next = 0u8;
    for action in steps {
        let message = match *action {
            Action::Submit(_, m)
            | Action::Arrive(_, m)
            | Action::Send(m, _)
            | Action::Sent(_, m)
            | Action::SendFailed(_, m)
            | Action::Receive(m, _)
            | Action::Received(_, m) => m,
            _ => continue,
        };
        if names.messages[message.index()].is_none() {
            names.messages[message.index()] = Some(next);
            next += 1;
        }
    }
    names.rename(steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shows that two steps that can go only together do go: the run of `orderly-starts-send` that `mutants` drew
    /// with ten knobs shrank to 11 steps, since each `c1 addref` can go only with a `c1 release` (alone, its
    /// removal lets c1's references run out before its ORDERLY); removing pairs takes it to the 7 steps of the
    /// explorer's shortest script.
    #[test]
    fn an_addref_goes_together_with_its_release() {
        let source = "profile orderly=keep abort=stop purge_flush=both storelogoff_out=complete \
                      zero_call=until_complete\n\
                      setup clients=2 transports=2 inbox=no other=0\n\
                      c1 addref\nc0 submit m0\nc1 addref\nc0 submit m1\nc0 release\nc1 release\n\
                      spooler send m0 t1\nc1 release\nc1 logoff ORDERLY\nc1 release\nspooler send m1 t0\n";
        let mut script = crate::script::parse(source.as_bytes(), "pairs.scn").unwrap();
        script.mutant = Mutant::OrderlyStartsSend;
        let target = broken_invariant(&script, &applied_steps(&script)).expect("the run breaks an invariant");
        assert_eq!(target, Invariant::OrderlyStartsNothing);
        let shrunk = shrink(&script, target).expect("it shrinks");
        assert_eq!(applied_steps(&shrunk).len(), 7, "{shrunk}");
        assert_eq!(broken_invariant(&shrunk, &applied_steps(&shrunk)), Some(target));
    }

    /// Shows that the setup shrinks with the steps: a run of `stop-keeps-sends` from three clients, three
    /// transports and the Inbox, with a client, a transport, a message and the Inbox it does not need (a message
    /// named m13 sent by t1, another m5 arriving at t2, three clients releasing), shrinks to one client, one
    /// transport, no Inbox, and its one message named m0; the result breaks the same invariant with every step
    /// enabled.
    #[test]
    fn a_needless_client_transport_and_message_go_and_the_messages_are_renamed() {
        let source = "profile call_site=eager orderly=drain abort=stop queue_is_activity=no purge_flush=upload \
                      transport_logoff_flags=zero input=strict storelogoff_out=none zero_call=until_complete\n\
                      setup clients=3 transports=3 inbox=yes other=0\n\
                      c1 release\nt2 arrive m5\nc0 submit m13\nspooler send m13 t1\nc0 release\nc2 release\n";
        let mut script = crate::script::parse(source.as_bytes(), "needless.scn").unwrap();
        script.mutant = Mutant::StopKeepsSends;
        let target = broken_invariant(&script, &applied_steps(&script)).expect("the run breaks an invariant");
        let shrunk = shrink(&script, target).expect("it shrinks");
        assert_eq!(shrunk.setup, Setup { clients: 1, transports: 1, inbox: false, other: 0 });
        let steps = applied_steps(&shrunk);
        assert_eq!(
            steps,
            [
                Action::Submit(ClientId(0), MessageId(0)),
                Action::Send(MessageId(0), TransportId(0)),
                Action::Release(ClientId(0))
            ]
        );
        assert_eq!(broken_invariant(&shrunk, &steps), Some(target));
        assert_eq!(enabled_subsequence(&shrunk, &steps, &mut Provider::model()), steps, "every step enabled");
    }

    /// Shows the smaller setups in the order they are tried, and the steps carried over to each: a client dropped
    /// with its steps or merged into an earlier one, the clients after it renamed one lower.
    #[test]
    fn smaller_setups_drop_or_merge_a_client_and_rename_the_rest() {
        let setup = Setup { clients: 3, transports: 0, inbox: false, other: 1 };
        let steps = [Action::Release(ClientId(1)), Action::Logoff(ClientId(2), LogoffFlags::NO_WAIT)];
        let smaller = smaller_setups(setup, &steps);
        let fewer = Setup { clients: 2, ..setup };
        // Without c2; c2 into c0; c2 into c1; without c1 (c2 becomes c1); c1 into c0; without c0; then one other
        // process fewer.
        assert_eq!(
            smaller,
            vec![
                (fewer, vec![Action::Release(ClientId(1))]),
                (fewer, vec![Action::Release(ClientId(1)), Action::Logoff(ClientId(0), LogoffFlags::NO_WAIT)]),
                (fewer, vec![Action::Release(ClientId(1)), Action::Logoff(ClientId(1), LogoffFlags::NO_WAIT)]),
                (fewer, vec![Action::Logoff(ClientId(1), LogoffFlags::NO_WAIT)]),
                (fewer, vec![Action::Release(ClientId(0)), Action::Logoff(ClientId(1), LogoffFlags::NO_WAIT)]),
                (fewer, vec![Action::Release(ClientId(0)), Action::Logoff(ClientId(1), LogoffFlags::NO_WAIT)]),
                (Setup { other: 0, ..setup }, steps.to_vec()),
            ]
        );
    }
}
