//! The seeded discrete-event simulator: one run of the protocol, chosen entirely by its seed.
//!
//! Virtual time is an integer tick count. An event queue ordered by (tick, insertion sequence) decides what happens
//! next; ties break by insertion order. The run's seed feeds one ChaCha generator, which draws the run's
//! configuration (the swarm: workload, fault mix and, unless one is given, the profile) and then one sub-seed for
//! each component: the clients' workload, the environment (durations, failures), the faults and the spooler.
//!
//! A run has two phases: until `FAULT_PHASE_TICKS` faults may be injected (send failures, TransportLogoff at
//! random moments, other processes); after it, none are, and the run must settle: every blocked call returns and
//! the event queue empties within `RUN_STEPS_MAX` steps and `RUN_TICKS_MAX` ticks (R21).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use logoff_core::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::coverage::{Coverage, Sometimes};
use crate::invariants::{apply_checked, Checker, Invariant, Value, Violation};
use crate::role::Provider;

/// Faults (send failures, TransportLogoff, other processes) happen only before this tick.
pub const FAULT_PHASE_TICKS: u64 = 2_000;
/// A run that has not settled by this tick breaks R21.
pub const RUN_TICKS_MAX: u64 = 100_000;
/// A run that has not settled after this many steps breaks R21.
pub const RUN_STEPS_MAX: u32 = 4_000;
/// The most calls one client plans.
pub const CLIENT_INTENTS_MAX: usize = 24;
/// The most outbound, and the most inbound, messages of a run.
pub const MESSAGES_PER_DIRECTION_MAX: u8 = 16;

/// Everything a seed chooses about its run, printed beside the seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    pub seed: u64,
    pub profile: Profile,
    /// The mistake the model makes (not drawn: chosen with `--mutant`).
    pub mutant: Mutant,
    pub setup: Setup,
    /// Messages the clients submit, in all.
    pub outbound: u8,
    /// Messages that arrive at the transports, in all.
    pub inbound: u8,
    /// Percent chance that a client calls StoreLogoff before its last Release.
    pub logoff_percent: u32,
    /// Percent chance that a client misbehaves: bad flags, calls after COMPLETE, a Release too many.
    pub misuse_percent: u32,
    pub client_gap_ticks_max: u32,
    pub spooler_delay_ticks_max: u32,
    pub send_ticks_max: u32,
    pub receive_ticks_max: u32,
    pub flush_ticks_max: u32,
    /// Percent chance that a send in the fault phase fails.
    pub send_failure_percent: u32,
    /// Percent chance that the spooler logs a transport off in the middle of a send, receive or flush.
    pub midway_logoff_percent: u32,
    /// Percent chance that TransportLogoff returns an error.
    pub logoff_error_percent: u32,
    /// TransportLogoff and FlushQueues calls at random moments of the fault phase.
    pub random_logoffs: u8,
    pub random_flushes: u8,
    /// Times another process opens (and later closes) the store in the fault phase.
    pub other_visits: u8,
}

/// Draws `Some(0)` half the time so that whole features are switched off in some runs (swarm testing).
fn maybe(rng: &mut ChaCha8Rng, max: u32) -> u32 {
    if rng.random_bool(0.5) {
        0
    } else {
        rng.random_range(1..=max)
    }
}

impl Config {
    /// The configuration of seed `seed`; `profile` overrides the drawn profile.
    pub fn from_seed(seed: u64, profile: Option<Profile>) -> Config {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let drawn_profile = Profile::from_index(rng.random_range(0..Profile::COUNT));
        let clients = rng.random_range(1..=CLIENTS_MAX as u32) as u8;
        let transports = rng.random_range(1..=TRANSPORTS_MAX as u32) as u8;
        let inbox = rng.random_range(0..4u32) != 0;
        let other = u8::from(rng.random_range(0..8u32) == 0);
        Config {
            seed,
            profile: profile.unwrap_or(drawn_profile),
            mutant: Mutant::None,
            setup: Setup { clients, transports, inbox, other },
            outbound: rng.random_range(0..=u32::from(MESSAGES_PER_DIRECTION_MAX)) as u8,
            inbound: rng.random_range(0..=u32::from(MESSAGES_PER_DIRECTION_MAX)) as u8,
            logoff_percent: rng.random_range(40..=100),
            misuse_percent: maybe(&mut rng, 40),
            client_gap_ticks_max: rng.random_range(1..=200),
            spooler_delay_ticks_max: rng.random_range(1..=20),
            send_ticks_max: rng.random_range(1..=150),
            receive_ticks_max: rng.random_range(1..=150),
            flush_ticks_max: rng.random_range(1..=300),
            send_failure_percent: maybe(&mut rng, 40),
            midway_logoff_percent: maybe(&mut rng, 25),
            logoff_error_percent: maybe(&mut rng, 50),
            random_logoffs: maybe(&mut rng, 2) as u8,
            random_flushes: maybe(&mut rng, 3) as u8,
            other_visits: maybe(&mut rng, 2) as u8,
        }
    }
}

/// The bits R1 leaves undefined: all but the five modes (0x1F) and the four output flags (0x000F0000).
const UNDEFINED_BITS: u32 = !0x000F_001F;

/// Invalid StoreLogoff flags (R1, A7), drawn from the whole 32-bit space: no mode; several modes; a mode with one
/// undefined bit, low (0x20-0x8000) or high (0x00100000-0x80000000); an undefined bit alone; a mode with random
/// undefined bits; a mode with output-only bits (invalid under `input=strict` only, A7).
fn invalid_flags(rng: &mut ChaCha8Rng) -> LogoffFlags {
    let mode = Mode::ALL[rng.random_range(0..5u32) as usize].flag().bits();
    // One of the 23 undefined bits: 11 below the output flags (bits 5-15), 12 above them (bits 20-31).
    let position = rng.random_range(0..23u32);
    let undefined = 1u32 << if position < 11 { 5 + position } else { 9 + position };
    let bits = match rng.random_range(0..6u32) {
        0 => 0,
        // At least two of the five modes.
        1 => {
            let first = rng.random_range(0..5u32);
            let second = (first + rng.random_range(1..5u32)) % 5;
            1 << first | 1 << second | rng.random_range(0..32u32)
        }
        2 => mode | undefined,
        3 => undefined,
        4 => mode | undefined | rng.random::<u32>() & UNDEFINED_BITS,
        _ => mode | rng.random_range(1..16u32) << 16,
    };
    LogoffFlags::from_bits_retain(bits)
}

/// A call a client plans to make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Intent {
    AddRef,
    Release,
    Logoff(LogoffFlags),
    Submit,
}

impl Intent {
    /// The step that makes this call for client `c`; a submission names the message `new_message` gives, and
    /// there is none when it gives none.
    #[inline]
    pub fn action(self, c: ClientId, new_message: impl FnOnce() -> Option<MessageId>) -> Option<Action> {
        match self {
            Intent::AddRef => Some(Action::AddRef(c)),
            Intent::Release => Some(Action::Release(c)),
            Intent::Logoff(flags) => Some(Action::Logoff(c, flags)),
            Intent::Submit => new_message().map(|m| Action::Submit(c, m)),
        }
    }
}

/// One client's planned calls, made one after the other.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    intents: [Intent; CLIENT_INTENTS_MAX],
    len: u8,
    next: u8,
}

impl Plan {
    const EMPTY: Plan = Plan { intents: [Intent::Release; CLIENT_INTENTS_MAX], len: 0, next: 0 };

    fn push(&mut self, intent: Intent) {
        if usize::from(self.len) < CLIENT_INTENTS_MAX {
            self.intents[usize::from(self.len)] = intent;
            self.len += 1;
        }
    }

    fn insert(&mut self, at: usize, intent: Intent) {
        let len = usize::from(self.len);
        if len < CLIENT_INTENTS_MAX {
            let at = at.min(len);
            self.intents.copy_within(at..len, at + 1);
            self.intents[at] = intent;
            self.len += 1;
        }
    }

    fn current(&self) -> Option<Intent> {
        (self.next < self.len).then(|| self.intents[usize::from(self.next)])
    }

    /// Every call planned, in order.
    pub fn intents(&self) -> &[Intent] {
        &self.intents[..usize::from(self.len)]
    }
}

/// What an event does when it fires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// A step decided when the event was scheduled (a completion, a fault, another process).
    Act(Action),
    /// A client makes its next planned call.
    Client(ClientId),
    /// The spooler looks for a send or a receive to start.
    Spooler,
    /// An inbound message arrives at a transport (its name is given when it arrives).
    Arrival(TransportId),
}

/// An event in the queue: its key, which packs (tick, insertion sequence) into one number, tick in the high bits.
/// Keys are unique, and `Reverse` makes the max-heap pop the earliest first, ties broken by insertion order. What
/// the event does is kept apart, in `Simulator::events` at its sequence, so that the heap moves bare numbers.
type Event = Reverse<u64>;

/// Bits of the event key that hold the insertion sequence: room for far more events than a run can schedule.
const SEQUENCE_BITS: u32 = 24;
const SEQUENCE: u64 = (1 << SEQUENCE_BITS) - 1;

/// Receives every step of a run. The sweep uses `()`, which records nothing; `Trace` records everything.
pub trait Observer {
    fn step(&mut self, tick: u64, action: Action, effects: &Effects);
    /// A step that a client attempted and that was not enabled (a misuse such as a Release too many).
    fn rejected(&mut self, tick: u64, action: Action, why: NotEnabled);
    /// The run has ended in `model` (after its last step).
    fn finish(&mut self, _model: &Model) {}
}

impl Observer for () {
    #[inline]
    fn step(&mut self, _: u64, _: Action, _: &Effects) {}
    #[inline]
    fn rejected(&mut self, _: u64, _: Action, _: NotEnabled) {}
}

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub steps: u32,
    pub ticks: u64,
    /// The first broken invariant and the number of the step that broke it (1-based).
    pub violation: Option<(Violation, u32)>,
    pub coverage: Coverage,
}

/// The simulator's buffers, reused from run to run so that a sweep allocates nothing per run or step.
#[derive(Default)]
pub struct Simulator {
    queue: BinaryHeap<Event>,
    /// What each event scheduled in the run does, at its sequence (the first slot, sequence 0, is a filler).
    events: Vec<EventKind>,
}

/// The state of one run in progress.
struct Run<'a, 'p, O: Observer> {
    config: Config,
    provider: &'a mut Provider<'p>,
    model: Model,
    checker: Checker,
    queue: &'a mut BinaryHeap<Event>,
    events: &'a mut Vec<EventKind>,
    sequence: u64,
    tick: u64,
    steps: u32,
    plans: [Plan; CLIENTS_MAX],
    next_message: u8,
    spooler_pending: bool,
    workload: ChaCha8Rng,
    environment: ChaCha8Rng,
    faults: ChaCha8Rng,
    spooler: ChaCha8Rng,
    coverage: Coverage,
    observer: &'a mut O,
}

impl Simulator {
    pub fn new() -> Simulator {
        Simulator::default()
    }

    /// Runs the configuration to its end and reports every step to `observer`.
    pub fn run<O: Observer>(&mut self, config: &Config, observer: &mut O) -> Outcome {
        self.run_with(config, observer, &mut Provider::model())
    }

    /// [`run`](Simulator::run) with `provider` in the store provider's role (started first, named `seed N`);
    /// the run stops at the step where the provider fails (`provider.failure()` then says why).
    pub fn run_with<O: Observer>(&mut self, config: &Config, observer: &mut O, provider: &mut Provider) -> Outcome {
        self.start(config, observer, provider, |run| {
            let violation = run.drive();
            run.observer.finish(&run.model);
            Outcome { steps: run.steps, ticks: run.tick, violation, coverage: run.coverage }
        })
    }

    /// What [`run`](Simulator::run) draws before its first step, for a driver of its own that takes the same steps
    /// (crates/bench's lean probe): `first` receives each first event with its key (tick << 24 | sequence, the
    /// sequence counting from 1), in no particular order.
    pub fn draw(&mut self, config: &Config, mut first: impl FnMut(u64, EventKind)) -> Draws {
        let (mut provider, mut observer) = (Provider::model(), ());
        self.start(config, &mut observer, &mut provider, |run| {
            let events = &run.events;
            run.queue.drain().for_each(|Reverse(key)| first(key, events[(key & SEQUENCE) as usize]));
            let (plans, sequence, workload) = (run.plans, run.sequence, run.workload.clone());
            let (environment, faults, spooler) = (run.environment.clone(), run.faults.clone(), run.spooler.clone());
            Draws { plans, sequence, workload, environment, faults, spooler }
        })
    }

    /// Draws a run's workload and faults, puts its first events in the queue and hands the run to `then` (a run
    /// returned by value would be copied: +0.36% instructions in a sweep).
    fn start<O: Observer, R>(
        &mut self,
        config: &Config,
        observer: &mut O,
        provider: &mut Provider,
        then: impl FnOnce(&mut Run<'_, '_, O>) -> R,
    ) -> R {
        self.queue.clear();
        self.events.clear();
        self.events.push(EventKind::Spooler);
        let mut model = Model::new(config.profile, config.setup)
            .expect("a drawn setup is within the model's bounds")
            .with_mutant(config.mutant);
        if !provider.is_model() {
            provider.start(&format!("seed {}", config.seed), &mut model);
        }
        let mut root = ChaCha8Rng::seed_from_u64(config.seed ^ 0x9E37_79B9_7F4A_7C15);
        let mut run = Run {
            config: *config,
            provider,
            checker: Checker::new(&model),
            model,
            queue: &mut self.queue,
            events: &mut self.events,
            sequence: 0,
            tick: 0,
            steps: 0,
            plans: [Plan::EMPTY; CLIENTS_MAX],
            next_message: 0,
            spooler_pending: false,
            workload: ChaCha8Rng::seed_from_u64(root.random()),
            environment: ChaCha8Rng::seed_from_u64(root.random()),
            faults: ChaCha8Rng::seed_from_u64(root.random()),
            spooler: ChaCha8Rng::seed_from_u64(root.random()),
            coverage: Coverage::default(),
            observer,
        };
        run.plan();
        then(&mut run)
    }
}

/// What a run has drawn before its first step ([`Simulator::draw`]): the clients' plans, the number of events
/// scheduled, and the four generators as they are then.
pub struct Draws {
    pub plans: [Plan; CLIENTS_MAX],
    pub sequence: u64,
    pub workload: ChaCha8Rng,
    pub environment: ChaCha8Rng,
    pub faults: ChaCha8Rng,
    pub spooler: ChaCha8Rng,
}

/// R21 broken: the run had not settled after `steps` steps at tick `ticks`.
pub fn unsettled(steps: u32, ticks: u64) -> Violation {
    Violation::new(
        Invariant::Liveness,
        "the run did not settle within its limits",
        Value::Text("a settled run within 4,000 steps (RUN_STEPS_MAX) and 100,000 ticks (RUN_TICKS_MAX)"),
        Value::Run { steps, ticks },
    )
}

impl<O: Observer> Run<'_, '_, O> {
    fn schedule(&mut self, tick: u64, kind: EventKind) {
        self.sequence += 1;
        debug_assert!(self.sequence < 1 << SEQUENCE_BITS && tick < 1 << (64 - SEQUENCE_BITS));
        debug_assert_eq!(self.events.len() as u64, self.sequence);
        self.events.push(kind);
        self.queue.push(Reverse(tick << SEQUENCE_BITS | self.sequence));
    }

    fn in_fault_phase(&self, tick: u64) -> bool {
        tick < FAULT_PHASE_TICKS
    }

    /// Draws the workload and the faults of the run and puts their first events in the queue.
    fn plan(&mut self) {
        let config = self.config;
        let clients = usize::from(config.setup.clients);
        let rng = &mut self.workload;
        for c in 0..clients {
            let plan = &mut self.plans[c];
            let misuse = rng.random_range(0..100) < config.misuse_percent;
            if rng.random_range(0..100) < config.logoff_percent {
                let mode = Mode::ALL[rng.random_range(0..5u32) as usize];
                plan.push(Intent::Logoff(mode.flag()));
            }
            if misuse {
                // Bad flags (R1), one or two, anywhere: before a valid logoff, or after the last one, so that the
                // saved mode must survive them until the call at zero (R2, R4); a call that may come after
                // COMPLETE (R5); and half the time a valid logoff after them (R2 again, or MAPI_E_BUSY).
                for _ in 0..rng.random_range(1..=2u32) {
                    let bad = invalid_flags(rng);
                    plan.insert(rng.random_range(0..=u32::from(plan.len)) as usize, Intent::Logoff(bad));
                }
                plan.push(Intent::Submit);
                if rng.random_bool(0.5) {
                    let mode = Mode::ALL[rng.random_range(0..5u32) as usize];
                    plan.push(Intent::Logoff(mode.flag()));
                }
            }
            for _ in 0..rng.random_range(0..=2u32) {
                let at = rng.random_range(0..=u32::from(plan.len)) as usize;
                plan.insert(at, Intent::AddRef);
                let after = rng.random_range(at as u32 + 1..=u32::from(plan.len)) as usize;
                plan.insert(after, Intent::Release);
            }
        }
        for i in 0..config.outbound {
            let c = usize::from(i) % clients;
            let at = rng.random_range(0..=u32::from(self.plans[c].len)) as usize;
            self.plans[c].insert(at, Intent::Submit);
        }
        for c in 0..clients {
            let misuse = rng.random_range(0..100) < config.misuse_percent;
            self.plans[c].push(Intent::Release);
            if misuse {
                // A Release too many: not enabled (R6), recorded as a rejected step.
                self.plans[c].push(Intent::Release);
            }
        }
        for c in 0..clients {
            let tick = u64::from(self.workload.random_range(0..=config.client_gap_ticks_max));
            self.schedule(tick, EventKind::Client(ClientId(c as u8)));
        }
        for _ in 0..config.inbound {
            let tick = self.workload.random_range(0..FAULT_PHASE_TICKS);
            let t = TransportId(self.workload.random_range(0..u32::from(config.setup.transports)) as u8);
            self.schedule(tick, EventKind::Arrival(t));
        }
        let transports = u32::from(config.setup.transports);
        for _ in 0..config.random_logoffs {
            let tick = self.faults.random_range(0..FAULT_PHASE_TICKS);
            let t = TransportId(self.faults.random_range(0..transports) as u8);
            self.schedule(tick, EventKind::Act(Action::TransportLogoff(t)));
        }
        for _ in 0..config.random_flushes {
            let tick = self.faults.random_range(0..FAULT_PHASE_TICKS);
            let t = TransportId(self.faults.random_range(0..transports) as u8);
            let flags = CANONICAL_FLUSH_FLAGS[self.faults.random_range(0..2u32) as usize];
            self.schedule(tick, EventKind::Act(Action::Flush(t, flags)));
        }
        if config.setup.other > 0 {
            let tick = self.faults.random_range(0..FAULT_PHASE_TICKS);
            self.schedule(tick, EventKind::Act(Action::OtherClose));
        }
        for _ in 0..config.other_visits {
            let open = self.faults.random_range(0..FAULT_PHASE_TICKS);
            let close = self.faults.random_range(open + 1..=FAULT_PHASE_TICKS);
            self.schedule(open, EventKind::Act(Action::OtherOpen));
            self.schedule(close, EventKind::Act(Action::OtherClose));
        }
    }

    /// Fires events until the queue is empty or a limit is reached; returns the first violation.
    fn drive(&mut self) -> Option<(Violation, u32)> {
        // The model's own roles never fail: only roles from outside are asked after each event.
        let outside = !self.provider.is_model();
        while let Some(Reverse(key)) = self.queue.pop() {
            let kind = self.events[(key & SEQUENCE) as usize];
            let tick = key >> SEQUENCE_BITS;
            self.tick = tick;
            if tick > RUN_TICKS_MAX || self.steps >= RUN_STEPS_MAX {
                return Some((unsettled(self.steps, tick), self.steps));
            }
            if let Err(violation) = self.fire(kind) {
                return Some((violation, self.steps));
            }
            if outside && self.provider.failure().is_some() {
                return None;
            }
        }
        if self.model.destroyed_unreleased() {
            // After an R7 return the spooler goes on serving the store by design: not the finding of SPEC.md
            // section 4, which is about the readings of the pages (A3, A9), so it is counted apart.
            let by_r7 = self.coverage.count(Sometimes::OtherProcess) > 0;
            self.coverage.hit(if by_r7 { Sometimes::LeftToTheSpoolerByR7 } else { Sometimes::NeverReleased });
        }
        self.checker.at_end(&self.model).err().map(|violation| (violation, self.steps))
    }

    fn fire(&mut self, kind: EventKind) -> Result<(), Violation> {
        match kind {
            // A step that is not enabled changes nothing (`step` takes it only if it is).
            EventKind::Act(action) => self.step(action)?,
            EventKind::Client(c) => self.client_turn(c)?,
            EventKind::Spooler => {
                self.spooler_pending = false;
                if let Some(action) = self.spooler_choice() {
                    self.step(action)?;
                }
            }
            EventKind::Arrival(preferred) => {
                let logged_on =
                    |t: TransportId| matches!(self.model.transport(t), Some(TransportState::LoggedOn { .. }));
                let transport = if logged_on(preferred) {
                    Some(preferred)
                } else {
                    TransportId::all(usize::from(self.config.setup.transports)).find(|t| logged_on(*t))
                };
                if let (Some(t), Some(m)) = (transport, self.new_message()) {
                    self.step(Action::Arrive(t, m))?;
                }
            }
        }
        Ok(())
    }

    fn new_message(&mut self) -> Option<MessageId> {
        if usize::from(self.next_message) >= MESSAGES_MAX {
            return None;
        }
        self.next_message += 1;
        Some(MessageId(self.next_message - 1))
    }

    /// The client makes its next planned call, or waits while a call of its own is in progress.
    fn client_turn(&mut self, c: ClientId) -> Result<(), Violation> {
        let Some(intent) = self.plans[c.index()].current() else { return Ok(()) };
        let gap = u64::from(self.workload.random_range(1..=self.config.client_gap_ticks_max));
        if self.model.client(c).is_some_and(|client| client.blocked.is_some()) {
            self.schedule(self.tick + gap, EventKind::Client(c));
            return Ok(());
        }
        self.plans[c.index()].next += 1;
        let action = intent.action(c, || self.new_message());
        if let Some(action) = action {
            let steps = self.steps;
            self.step(action)?;
            // Not taken, so not enabled: a misuse, which left the model as it was, so that it says again why.
            if self.steps == steps {
                if let Err(why) = self.model.check(action) {
                    self.coverage.hit(Sometimes::MisuseNotEnabled);
                    self.observer.rejected(self.tick, action, why);
                }
            }
        }
        if self.plans[c.index()].current().is_some() {
            self.schedule(self.tick + gap, EventKind::Client(c));
        }
        Ok(())
    }

    /// The spooler picks one of the sends and receives it may start, at random.
    fn spooler_choice(&mut self) -> Option<Action> {
        let mut candidates = [Action::OtherOpen; 2 * TRANSPORTS_MAX];
        let mut count = 0;
        for t in TransportId::all(usize::from(self.config.setup.transports)) {
            let TransportState::LoggedOn { sending, receiving, .. } = self.model.transport(t).copied()? else {
                continue;
            };
            if sending.is_none() && self.model.sending_allowed() {
                if let Some(m) = self.first_message(MessageState::Queued) {
                    candidates[count] = Action::Send(m, t);
                    count += 1;
                }
            }
            if receiving.is_none() && self.model.reception_enabled() {
                if let Some(m) = self.first_message(MessageState::Available(t)) {
                    candidates[count] = Action::Receive(m, t);
                    count += 1;
                }
            }
        }
        (count > 0).then(|| candidates[self.spooler.random_range(0..count as u32) as usize])
    }

    /// The first message named so far that is in `state`.
    fn first_message(&self, state: MessageState) -> Option<MessageId> {
        self.model.messages().first_in(usize::from(self.next_message), state)
    }

    /// Applies one step, checks every invariant, records coverage, and schedules what the step sets in motion.
    fn step(&mut self, action: Action) -> Result<(), Violation> {
        let before = self.model;
        let provider = &mut self.provider;
        let mut broken = None;
        let applied =
            apply_checked(&before, &mut self.model, &mut self.checker, action, &mut broken, |model, action| {
                provider.apply(model, action)
            });
        let Ok(effects) = applied else { return Ok(()) };
        self.steps += 1;
        self.observer.step(self.tick, action, &effects);
        if let Some(violation) = broken {
            return Err(violation);
        }
        self.coverage.record(&before, action, &effects);
        self.react(action, &effects);
        if !self.spooler_pending && self.spooler_has_work() {
            self.spooler_pending = true;
            let delay = u64::from(self.spooler.random_range(1..=self.config.spooler_delay_ticks_max));
            self.schedule(self.tick + delay, EventKind::Spooler);
        }
        Ok(())
    }

    fn spooler_has_work(&self) -> bool {
        let sending_allowed = self.model.sending_allowed();
        let reception = self.model.reception_enabled();
        if !sending_allowed && !reception {
            return false;
        }
        let mut free_to_send = false;
        for t in TransportId::all(usize::from(self.config.setup.transports)) {
            if let Some(TransportState::LoggedOn { sending, receiving, .. }) = self.model.transport(t) {
                if reception && receiving.is_none() && self.first_message(MessageState::Available(t)).is_some() {
                    return true;
                }
                free_to_send |= sending.is_none();
            }
        }
        sending_allowed && free_to_send && self.first_message(MessageState::Queued).is_some()
    }

    /// The environment's answer to a step: completions of what it started, and faults in the fault phase.
    fn react(&mut self, action: Action, effects: &Effects) {
        let now = self.tick;
        let faults = self.in_fault_phase(now);
        match action {
            Action::Send(m, t) => {
                let duration = u64::from(self.environment.random_range(1..=self.config.send_ticks_max));
                let fails = faults && self.environment.random_range(0..100) < self.config.send_failure_percent;
                let done = if fails { Action::SendFailed(t, m) } else { Action::Sent(t, m) };
                self.schedule(now + duration, EventKind::Act(done));
                self.maybe_midway_logoff(t, duration);
            }
            Action::Receive(m, t) => {
                let duration = u64::from(self.environment.random_range(1..=self.config.receive_ticks_max));
                self.schedule(now + duration, EventKind::Act(Action::Received(t, m)));
                self.maybe_midway_logoff(t, duration);
            }
            _ => {}
        }
        for effect in effects {
            match *effect {
                Effect::Transport { transport, call: TransportCall::Flush(_) } => {
                    let duration = u64::from(self.environment.random_range(1..=self.config.flush_ticks_max));
                    self.schedule(now + duration, EventKind::Act(Action::Flushed(transport)));
                    self.maybe_midway_logoff(transport, duration);
                }
                Effect::Transport { transport, call: TransportCall::Logoff(_) } => {
                    let duration = u64::from(self.environment.random_range(1..=5u32));
                    let error = self.environment.random_range(0..100) < self.config.logoff_error_percent;
                    let outcome = if error { LogoffOutcome::Error } else { LogoffOutcome::Ok };
                    self.schedule(now + duration, EventKind::Act(Action::LogoffReturns(transport, outcome)));
                }
                _ => {}
            }
        }
    }

    /// In the fault phase, sometimes logs the transport off strictly before its operation completes.
    fn maybe_midway_logoff(&mut self, t: TransportId, duration: u64) {
        if duration < 2 || !self.in_fault_phase(self.tick) {
            return;
        }
        if self.faults.random_range(0..100) < self.config.midway_logoff_percent {
            let at = self.tick + self.faults.random_range(1..duration);
            if self.in_fault_phase(at) {
                self.schedule(at, EventKind::Act(Action::TransportLogoff(t)));
            }
        }
    }
}
