//! The lean probe: the simulator's work for a seed, with the leanest driver we can write, so that `cargo xtask
//! bench` measures how far `Simulator::run` is from it (issue 17, target 1).
//!
//! **The same work.** For `Config::from_seed(seed, None)` the probe takes the simulator's workload and faults as
//! drawn (`Simulator::draw`: the clients' plans, the first events, the four generators), then fires the same
//! events in the same order (tick, then order of scheduling), draws the same numbers from the same generators,
//! takes the same steps through `Model::apply`, checks each with the same `Checker::after_step`, stops at the same
//! limits (R21) and checks `Checker::at_end` when the queue is empty. crates/bench/tests/probe.rs holds it to that:
//! the same steps, in the same order, with the same outcome, as `Simulator::run` on seeds 0..2000.
//!
//! **What it leaves out, and why the simulator need not do it either:**
//! - coverage (`Coverage::record`, the `Sometimes` counts): a sweep's report, not a decision of the run;
//! - the observer: a step is handed to a closure the compiler inlines (a no-op when measuring);
//! - the provider indirection (`Provider::apply`, `Provider::failure` after every event): the model's own roles are
//!   the only ones a sweep uses;
//! - `Model::check` before `Model::apply`: `apply` checks the step itself and changes nothing when it is not
//!   enabled, which is all the simulator learns from the check (a rejected misuse is only counted);
//! - events carrying their payload through the heap: the heap holds bare `u64` keys (tick << 24 | sequence), and
//!   the events sit in a vector indexed by their sequence.
//!
//! It draws its start through `Simulator::draw`, which fills a heap and drains it into the probe's: a few events a
//! run more than it needs, charged to the probe.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use logoff_core::*;
use rand::Rng;
use sim::invariants::{Checker, Violation};
use sim::simulate::{unsettled, Config, Draws, EventKind, Simulator, FAULT_PHASE_TICKS, RUN_STEPS_MAX, RUN_TICKS_MAX};

/// The bits of an event key that hold its sequence (as in the simulator).
const SEQUENCE_BITS: u32 = 24;
const SEQUENCE: u64 = (1 << SEQUENCE_BITS) - 1;

/// How a probed run ended: the figures the simulator's `Outcome` has, coverage aside.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub steps: u32,
    pub ticks: u64,
    /// The first broken invariant and the number of the step that broke it (1-based).
    pub violation: Option<(Violation, u32)>,
}

/// The probe's buffers, reused from run to run.
#[derive(Default)]
pub struct Probe {
    start: Simulator,
    keys: BinaryHeap<Reverse<u64>>,
    events: Vec<EventKind>,
}

impl Probe {
    pub fn new() -> Probe {
        Probe::default()
    }

    /// Runs `config` to its end, handing each step taken to `step`.
    pub fn run(&mut self, config: &Config, step: impl FnMut(Action)) -> Outcome {
        let Probe { start, keys, events } = self;
        keys.clear();
        events.clear();
        let draws = start.draw(config, |key, kind| {
            let sequence = (key & SEQUENCE) as usize;
            if events.len() <= sequence {
                events.resize(sequence + 1, EventKind::Spooler);
            }
            events[sequence] = kind;
            keys.push(Reverse(key));
        });
        // Sequence 0 is never scheduled: the vector's first slot is a filler.
        events.resize(draws.sequence as usize + 1, EventKind::Spooler);
        let model =
            Model::new(config.profile, config.setup).expect("a drawn setup is valid").with_mutant(config.mutant);
        let mut run = Run {
            config,
            checker: Checker::new(&model),
            model,
            draws,
            next_intent: [0; CLIENTS_MAX],
            messages: 0,
            spooler_pending: false,
            keys,
            events,
            tick: 0,
            steps: 0,
            step,
        };
        let violation = run.fire_all();
        Outcome { steps: run.steps, ticks: run.tick, violation }
    }
}

/// One probed run.
struct Run<'a, F> {
    config: &'a Config,
    model: Model,
    checker: Checker,
    draws: Draws,
    /// Each client's next planned call, an index into its plan.
    next_intent: [u8; CLIENTS_MAX],
    /// Messages named so far.
    messages: u8,
    spooler_pending: bool,
    keys: &'a mut BinaryHeap<Reverse<u64>>,
    events: &'a mut Vec<EventKind>,
    tick: u64,
    steps: u32,
    step: F,
}

impl<F: FnMut(Action)> Run<'_, F> {
    fn at(&mut self, tick: u64, event: EventKind) {
        self.keys.push(Reverse(tick << SEQUENCE_BITS | self.events.len() as u64));
        self.events.push(event);
    }

    fn fire_all(&mut self) -> Option<(Violation, u32)> {
        while let Some(Reverse(key)) = self.keys.pop() {
            self.tick = key >> SEQUENCE_BITS;
            if self.tick > RUN_TICKS_MAX || self.steps >= RUN_STEPS_MAX {
                return Some((unsettled(self.steps, self.tick), self.steps));
            }
            let taken = match self.events[(key & SEQUENCE) as usize] {
                EventKind::Act(action) => self.take(action),
                EventKind::Client(c) => self.client(c),
                EventKind::Spooler => {
                    self.spooler_pending = false;
                    match self.spooler() {
                        Some(action) => self.take(action),
                        None => Ok(()),
                    }
                }
                EventKind::Arrival(preferred) => self.arrival(preferred),
            };
            if let Err(violation) = taken {
                return Some((violation, self.steps));
            }
        }
        self.checker.at_end(&self.model).err().map(|violation| (violation, self.steps))
    }

    /// A new message's name, while there are names left.
    fn name(&mut self) -> Option<MessageId> {
        (usize::from(self.messages) < MESSAGES_MAX).then(|| {
            self.messages += 1;
            MessageId(self.messages - 1)
        })
    }

    fn logged_on(&self, t: TransportId) -> Option<&TransportState> {
        self.model.transport(t).filter(|state| matches!(state, TransportState::LoggedOn { .. }))
    }

    fn transports(&self) -> impl Iterator<Item = TransportId> {
        TransportId::all(usize::from(self.config.setup.transports))
    }

    fn arrival(&mut self, preferred: TransportId) -> Result<(), Violation> {
        let transport = match self.logged_on(preferred) {
            Some(_) => Some(preferred),
            None => self.transports().find(|t| self.logged_on(*t).is_some()),
        };
        // The simulator names the message whether or not a transport takes it.
        match (transport, self.name()) {
            (Some(t), Some(m)) => self.take(Action::Arrive(t, m)),
            _ => Ok(()),
        }
    }

    fn client(&mut self, c: ClientId) -> Result<(), Violation> {
        let plan = self.draws.plans[c.index()];
        let Some(&intent) = plan.intents().get(usize::from(self.next_intent[c.index()])) else { return Ok(()) };
        let gap = u64::from(self.draws.workload.random_range(1..=self.config.client_gap_ticks_max));
        if self.model.client(c).is_none_or(|client| client.blocked.is_none()) {
            self.next_intent[c.index()] += 1;
            let action = intent.action(c, || self.name());
            if let Some(action) = action {
                self.take(action)?;
            }
            if usize::from(self.next_intent[c.index()]) == plan.intents().len() {
                return Ok(());
            }
        }
        self.at(self.tick + gap, EventKind::Client(c));
        Ok(())
    }

    /// The first of the first `messages` messages in `state`.
    fn first(&self, state: MessageState) -> Option<MessageId> {
        self.model.messages().first(usize::from(self.messages)).position(|s| s == state).map(|i| MessageId(i as u8))
    }

    /// The sends and receives the spooler may start, transport by transport, a send first.
    fn startable(&self, mut each: impl FnMut(Action)) {
        let (sending, receiving) = (self.model.sending_allowed(), self.model.reception_enabled());
        for t in self.transports() {
            if let Some(TransportState::LoggedOn { sending: busy_sending, receiving: busy_receiving, .. }) =
                self.logged_on(t)
            {
                if sending && busy_sending.is_none() {
                    self.first(MessageState::Queued).into_iter().for_each(|m| each(Action::Send(m, t)));
                }
                if receiving && busy_receiving.is_none() {
                    self.first(MessageState::Available(t)).into_iter().for_each(|m| each(Action::Receive(m, t)));
                }
            }
        }
    }

    /// The spooler's choice among what it may start, at random.
    fn spooler(&mut self) -> Option<Action> {
        let mut choices = [Action::OtherOpen; 2 * TRANSPORTS_MAX];
        let mut count = 0;
        self.startable(|action| {
            choices[count] = action;
            count += 1;
        });
        (count > 0).then(|| choices[self.draws.spooler.random_range(0..count as u32) as usize])
    }

    /// Takes `action` if it is enabled: checks it, then schedules what it sets in motion.
    fn take(&mut self, action: Action) -> Result<(), Violation> {
        let before = self.model;
        let Ok(effects) = self.model.apply(action) else { return Ok(()) };
        self.steps += 1;
        (self.step)(action);
        self.checker.after_step(&before, action, &effects, &self.model)?;
        let now = self.tick;
        let config = self.config;
        let environment = &mut self.draws.environment;
        match action {
            Action::Send(m, t) => {
                let ticks = u64::from(environment.random_range(1..=config.send_ticks_max));
                let fails = now < FAULT_PHASE_TICKS && environment.random_range(0..100) < config.send_failure_percent;
                self.at(now + ticks, EventKind::Act(if fails { Action::SendFailed(t, m) } else { Action::Sent(t, m) }));
                self.midway(t, ticks);
            }
            Action::Receive(m, t) => {
                let ticks = u64::from(environment.random_range(1..=config.receive_ticks_max));
                self.at(now + ticks, EventKind::Act(Action::Received(t, m)));
                self.midway(t, ticks);
            }
            _ => {}
        }
        for effect in &effects {
            if let Effect::Transport { transport: t, call } = *effect {
                let environment = &mut self.draws.environment;
                match call {
                    TransportCall::Flush(_) => {
                        let ticks = u64::from(environment.random_range(1..=config.flush_ticks_max));
                        self.at(now + ticks, EventKind::Act(Action::Flushed(t)));
                        self.midway(t, ticks);
                    }
                    TransportCall::Logoff(_) => {
                        let ticks = u64::from(environment.random_range(1..=5u32));
                        let error = environment.random_range(0..100) < config.logoff_error_percent;
                        let outcome = if error { LogoffOutcome::Error } else { LogoffOutcome::Ok };
                        self.at(now + ticks, EventKind::Act(Action::LogoffReturns(t, outcome)));
                    }
                    _ => {}
                }
            }
        }
        if !self.spooler_pending {
            let mut work = false;
            self.startable(|_| work = true);
            if work {
                self.spooler_pending = true;
                let delay = self.draws.spooler.random_range(1..=config.spooler_delay_ticks_max);
                self.at(now + u64::from(delay), EventKind::Spooler);
            }
        }
        Ok(())
    }

    /// In the fault phase, sometimes a TransportLogoff strictly before an operation of `ticks` ticks completes.
    fn midway(&mut self, t: TransportId, ticks: u64) {
        if ticks < 2 || self.tick >= FAULT_PHASE_TICKS {
            return;
        }
        let faults = &mut self.draws.faults;
        if faults.random_range(0..100) < self.config.midway_logoff_percent {
            let at = self.tick + faults.random_range(1..ticks);
            if at < FAULT_PHASE_TICKS {
                self.at(at, EventKind::Act(Action::TransportLogoff(t)));
            }
        }
    }
}
