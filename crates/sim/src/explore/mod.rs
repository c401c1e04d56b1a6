//! Exhaustive exploration: every state reachable within a bound, breadth first, with every invariant of the
//! checker evaluated on every transition, and the shortest path to each violation. With partial-order reduction
//! ([`reduce`], `Options::reduce`), on every transition taken: the others are covered by the argument of
//! docs/MODEL.md, and each counterexample kept is the shortest found (the same lengths in every test, not proven).
//!
//! **The explored state is the pair (model, checker).** The invariants are functions of the checker's shadow, the
//! model before and after a step, the step and its effects (`Checker::after_step`); the shadow is a function of the
//! run's past. Deduplicating pairs, not models, is therefore sound: two runs that reach the same pair are checked
//! alike from there on, so every transition from every reachable pair is checked once. (For the reference model
//! the shadow is a function of the model's state, and the pair counts equal the model's.)
//!
//! **Fingerprints.** A state is remembered by a 64-bit fingerprint ([`fingerprint`]: the state's derived `Hash`
//! fed to a fixed multiply-fold hasher, with integers mixed by value, so the same on every machine), not stored:
//! 8 bytes in a hash set (membership only; its order decides nothing) plus a parent link (12 bytes) from which a
//! path is rebuilt. Two distinct states with one fingerprint would hide the second; with n states the chance of
//! any such collision is about n^2 / 2^65 (3 in a million for 10 million states), as in TLC.
//!
//! **The bound** ([`Bound`]): clients, transports, messages named in all (submitted or arrived), other processes
//! open at once, and references a client may hold. Actions past the bound are not taken; nothing else is pruned.
//!
//! **Liveness (R21).** A state with nothing enabled must pass `Checker::at_end` (no call blocked, no work left
//! pending): this is deadlock detection. From every reachable state in which a call is blocked, the fair world of
//! [`crate::liveness::settle`] (every transport completes what it started, the spooler sends and receives what it
//! may, no new work and no failure) must bring the call back: a state from which it returns is reachable under
//! fair scheduling. What fairness this assumes is written down in docs/MODEL.md.
//!
//! **Symmetry** (`symmetry`): clients, transports and messages are interchangeable. A state is deduplicated by the
//! fingerprint of a representative of its class under renamings ([`canonical`]), and the state expanded is the
//! original, so every path stays a real path. Liveness is not combined with it.

use logoff_core::*;

use crate::invariants::{apply_checked, Checker, Invariant, Value, Violation};
use crate::liveness::{settle, verify_script};
use crate::output::COMMAND;
use crate::script::{RunErrorKind, Script};

mod fair;
mod fingerprint;
pub mod reduce;
mod report;

use fair::{fair_cycle, has_blocked_call, is_progress, Edge, Node};
use fingerprint::key;
pub use fingerprint::{fingerprint, FingerprintMap, Fingerprints, Identity};
use reduce::Sleep;
pub use report::{explore_all_profiles, write_counterexamples, Text};

/// The limits of an exploration, and the setup it starts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bound {
    /// Where every run starts: clients (each holding one reference), transports (each logged on), whether the
    /// store holds the Inbox, other processes that have it open at the start.
    pub start: Setup,
    /// Messages named in all, inbound and outbound.
    pub messages: u8,
    /// Other processes with the store open at once (at least `start.other`).
    pub other: u8,
    /// References one client may hold at once.
    pub references: u8,
}

impl Bound {
    /// The default bound of `logoff-sim explore`: 2 clients, 2 transports, the Inbox, 3 messages, 1 other process,
    /// 2 references a client.
    pub const DEFAULT: Bound = Bound::new(2, 2, 3, 1, 2);

    /// A bound starting with `clients` and `transports`, the Inbox in the store and no other process.
    pub const fn new(clients: u8, transports: u8, messages: u8, other: u8, references: u8) -> Bound {
        Bound { start: Setup { clients, transports, inbox: true, other: 0 }, messages, other, references }
    }

    /// The setup a run within this bound starts from.
    pub fn setup(&self) -> Setup {
        self.start
    }

    /// Whether the bound lets `action` be taken in `model` (the model decides whether it is enabled).
    pub fn allows(&self, model: &Model, action: Action) -> bool {
        self.allows_with(model, action, || named(model))
    }

    /// [`allows`](Bound::allows), with the number of messages named in `model` counted by `named` when needed.
    fn allows_with(&self, model: &Model, action: Action, named: impl FnOnce() -> usize) -> bool {
        match action {
            Action::Submit(_, _) | Action::Arrive(_, _) => named() < usize::from(self.messages),
            Action::AddRef(c) => model.client(c).is_some_and(|client| client.references < self.references),
            Action::OtherOpen => model.other_processes() < self.other,
            _ => true,
        }
    }
}

/// The messages named in `model` (submitted or arrived), which the bound limits.
fn named(model: &Model) -> usize {
    model.messages().iter().filter(|m| *m != MessageState::Unused).count()
}

impl Bound {
    /// A short name for tables: `2c2t3m1o2r`, with `-noinbox` and `+1open` where the start differs from the usual.
    pub fn short(&self) -> String {
        let Bound { start, messages, other, references } = self;
        let inbox = if start.inbox { "" } else { "-noinbox" };
        let open = if start.other > 0 { format!("+{}open", start.other) } else { String::new() };
        format!("{}c{}t{messages}m{other}o{references}r{inbox}{open}", start.clients, start.transports)
    }
}

impl Bound {
    /// The options of `logoff-sim explore` that give exactly this bound, every one written out (so that a printed
    /// command does not depend on the defaults of the day).
    pub fn arguments(&self) -> String {
        let Bound { start, messages, other, references } = self;
        let inbox = if start.inbox { "yes" } else { "no" };
        format!(
            "--clients {} --transports {} --inbox {inbox} --other-at-start {} --messages {messages} --other {other} \
             --references {references}",
            start.clients, start.transports, start.other
        )
    }
}

/// A profile as `--profile` takes it, with no quoting needed: `default`, or its knobs that differ from the default
/// as `knob=value` pairs separated by commas (the others keep their default).
pub fn profile_argument(profile: Profile) -> String {
    let default = Profile::default();
    let pairs: Vec<String> = Profile::KNOBS
        .iter()
        .zip(profile.values().iter().zip(default.values()))
        .filter(|(_, (value, default))| *value != default)
        .map(|(knob, (value, _))| format!("{knob}={value}"))
        .collect();
    if pairs.is_empty() {
        "default".to_string()
    } else {
        pairs.join(",")
    }
}

impl std::fmt::Display for Bound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Bound { start, messages, other, references } = self;
        let inbox = if start.inbox { "yes" } else { "no" };
        write!(
            f,
            "clients={} transports={} inbox={inbox} other-at-start={} messages={messages} other={other} \
             references={references}",
            start.clients, start.transports, start.other
        )
    }
}

/// What to explore.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    pub bound: Bound,
    pub profile: Profile,
    pub mutant: Mutant,
    /// The most unique states stored, the start included (at least 1: the start is always stored). When a new
    /// state would be one more, the search stops there with exactly this many and says it is not exhaustive.
    pub states_max: u64,
    pub symmetry: bool,
    /// Check liveness from every state with a blocked call (not with `symmetry`).
    pub liveness: bool,
    /// Stop at the end of the level in which the first violation is found: in breadth-first order, its paths are
    /// the shortest counterexamples, and each is kept in `Report::candidates`.
    pub stop_at_first: bool,
    /// Partial-order reduction by sleep sets ([`reduce`]; not with `symmetry`) over the independence relation of
    /// these footprints ([`reduce::footprint`], the one `--reduce` uses): the same states, fewer transitions taken.
    pub reduce: Option<reduce::Footprints>,
}

impl Options {
    /// The reference model under `profile`, within `bound`, liveness on, every state explored.
    pub fn new(bound: Bound, profile: Profile) -> Options {
        Options {
            bound,
            profile,
            mutant: Mutant::None,
            states_max: STATES_MAX_DEFAULT,
            symmetry: false,
            liveness: true,
            stop_at_first: false,
            reduce: None,
        }
    }
}

impl Options {
    /// The `logoff-sim explore` command that explores these options (the bound, the profile, the mutant, symmetry),
    /// in the form every command the tool prints takes ([`COMMAND`]). It explores every state within the bound
    /// (not only up to the first violation, as [`find`] does), so it finds at least what `find` finds.
    pub fn command(&self) -> String {
        format!(
            "{COMMAND} explore {} --profile {} --mutant {}{}{}",
            self.bound.arguments(),
            profile_argument(self.profile),
            self.mutant,
            if self.symmetry { " --symmetry" } else { "" },
            if self.reduce.is_some() { " --reduce" } else { "" }
        )
    }
}

/// The default `--max-states`: far above the default bound's 818,434 states, far below this machine's memory.
pub const STATES_MAX_DEFAULT: u64 = 50_000_000;

/// The growth limits tried in turn to find a mutant from a given start, smallest first: (messages, other
/// processes open at once beyond the start, references a client); the last is the default bound's.
pub const ESCALATION: [(u8, u8, u8); 3] = [(1, 0, 1), (2, 1, 2), (3, 1, 2)];

/// The shortest counterexample of a mutant under `profile` from `start`, at the smallest growth limits of
/// [`ESCALATION`] that have one, as a script (see [`Counterexample::script`]), with the bound it took.
pub fn find(mutant: Mutant, profile: Profile, start: Setup) -> Option<(Script, Violation, Bound)> {
    ESCALATION.iter().find_map(|(messages, other, references)| {
        let other = (start.other + other).min(OTHER_PROCESSES_MAX);
        let bound = Bound { start, messages: *messages, other, references: *references };
        let options = Options { mutant, stop_at_first: true, ..Options::new(bound, profile) };
        let report = explore(&options);
        // Every path of the first failing level is a shortest counterexample; their scripts may differ in length
        // once the steps that settling takes anyway are trimmed.
        let file = format!("{mutant}.explored.scn");
        let scripts = report.candidates.iter().map(|c| (c.script(&options, &file), c.violation));
        let (script, violation) = scripts.min_by_key(|(script, _)| script.steps())?;
        Some((script, violation, bound))
    })
}

/// A shortest path to a violation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counterexample {
    pub violation: Violation,
    pub steps: Vec<Action>,
}

/// What an exploration found.
#[derive(Clone, Debug)]
pub struct Report {
    pub options: Options,
    pub unique: u64,
    pub transitions: u64,
    /// The largest number of steps from the start to a state explored.
    pub depth: u32,
    /// States with nothing enabled within the bound.
    pub terminal: u64,
    /// States with a blocked call from which liveness was checked.
    pub blocked: u64,
    /// Whether every reachable state was explored (false when the search stopped at `states_max`).
    pub complete: bool,
    /// Violating transitions (or states, for liveness), by invariant.
    pub violations: [u64; Invariant::ALL.len()],
    /// The shortest counterexample of each invariant, in the order of `Invariant::ALL`.
    pub first: Vec<Option<Counterexample>>,
    /// Bytes held per unique state at the end: the fingerprint set and the parent links.
    pub bytes_per_state: f64,
    /// With `stop_at_first`: every counterexample of the last level explored (at most [`CANDIDATES_MAX`]).
    pub candidates: Vec<Counterexample>,
    /// With `reduce`: steps asleep when a state was first expanded, not taken then (a later arrival with fewer
    /// steps asleep may have some of them taken in a partial re-expansion, counted in `transitions`).
    pub slept: u64,
    /// With `reduce`: partial re-expansions, of states expanded again for steps that had been asleep in them (a
    /// state may be expanded again more than once).
    pub reexpanded: u64,
}

/// The most counterexamples kept as candidates for the shortest script.
pub const CANDIDATES_MAX: usize = 256;

impl Report {
    pub fn failing(&self) -> bool {
        self.violations.iter().any(|n| *n > 0)
    }

    /// The shortest counterexample of all, if any.
    pub fn shortest(&self) -> Option<&Counterexample> {
        self.first.iter().flatten().min_by_key(|c| c.steps.len())
    }

    /// A counterexample as a script that breaks the same invariant when run as `logoff-sim script` runs it.
    pub fn script(&self, counterexample: &Counterexample, file: &str) -> Script {
        counterexample.script(&self.options, file)
    }
}

impl Counterexample {
    /// The counterexample as a script that breaks the same invariant when run as `logoff-sim script` runs it:
    /// its steps, less the trailing steps that the fair settling after a script's last line takes anyway (a
    /// transport completing what it started, the spooler sending): the script is as short as the shrunk scripts
    /// of `logoff-sim mutants`, which are measured the same way.
    pub fn script(&self, options: &Options, file: &str) -> Script {
        let build = |steps: &[Action]| {
            let mut script = Script::new(file, options.profile, options.bound.setup());
            script.mutant = options.mutant;
            for action in steps {
                script.push_step(*action);
            }
            script
        };
        let breaks = |script: &Script| match verify_script(script) {
            Err(error) => matches!(&error.kind, RunErrorKind::InvariantViolated(message)
                if message.contains(&format!("{} (", self.violation.invariant.name()))),
            Ok(_) => false,
        };
        let mut length = self.steps.len();
        while length > 1 && breaks(&build(&self.steps[..length - 1])) {
            length -= 1;
        }
        build(&self.steps[..length])
    }
}

/// One explored state: the model and the checker's shadow of the run that reached it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct State {
    pub model: Model,
    pub checker: Checker,
}

impl State {
    /// Where every run of an exploration starts.
    pub fn initial(options: &Options) -> State {
        let model = Model::new(options.profile, options.bound.setup())
            .expect("a bound's setup is valid")
            .with_mutant(options.mutant);
        State { model, checker: Checker::new(&model) }
    }

    /// The steps the exploration takes from this state: those enabled, within the bound, in `enabled()`'s order.
    pub fn actions(&self, bound: &Bound, out: &mut Vec<Action>) {
        self.model.enabled(out);
        // Messages named are counted once for all the steps that name one.
        let count = std::cell::OnceCell::new();
        out.retain(|action| bound.allows_with(&self.model, *action, || *count.get_or_init(|| named(&self.model))));
    }

    /// The state after `action` (which must be enabled), or the invariant the step breaks.
    pub fn step(&self, action: Action) -> Result<State, Violation> {
        let mut next = *self;
        let mut broken = None;
        apply_checked(&self.model, &mut next.model, &mut next.checker, action, &mut broken, Model::apply)
            .expect("only enabled steps are taken");
        broken.map_or(Ok(next), Err)
    }

    /// The fingerprint that deduplicates this state in an exploration (see [`key`]).
    pub fn fingerprint(&self, symmetry: bool) -> u64 {
        key(self, symmetry)
    }
}

/// The steps from the start to the state `id` of a breadth-first search, then `last` if any. `parents[id]` holds
/// the state it was first reached from and the step; the start is id 0.
pub fn path(parents: &[(u32, Action)], mut id: u32, last: Option<Action>) -> Vec<Action> {
    let mut steps: Vec<Action> = last.into_iter().collect();
    while id != 0 {
        let (parent, action) = parents[id as usize];
        steps.push(action);
        id = parent;
    }
    steps.reverse();
    steps
}

/// A state of the frontier: the state, its id, the steps asleep in it, and, for a partial re-expansion
/// ([`reduce`]), the only steps to take from it (0: every step not asleep).
#[derive(Clone, Copy, Debug)]
struct Entry {
    state: State,
    id: u32,
    /// The steps of its path from the start (its level, but for a partial re-expansion).
    depth: u32,
    sleep: Sleep,
    only: Sleep,
}

/// The number of steps of the path from the start to the state `id` (see [`path`]).
fn path_length(parents: &[(u32, Action)], mut id: u32) -> u32 {
    let mut length = 0;
    while id != 0 {
        id = parents[id as usize].0;
        length += 1;
    }
    length
}

/// What the expansion of one state of a level found, in the order of its actions: the merge replays these in
/// frontier order, so that every count, id, parent and counterexample is what one thread would give.
enum Found {
    /// Nothing is enabled: the state is terminal, and passes `at_end` or not.
    Terminal { id: u32, violation: Option<Violation> },
    /// This many transitions reached states seen before its batch began (nothing else to do with them).
    Seen(u32),
    /// This many steps were asleep at a state's first expansion, and not taken then.
    Slept(u32),
    /// A transition broke an invariant.
    Broken { id: u32, action: Action, violation: Violation },
    /// A transition reached a state not seen before its batch began (it may still be reached earlier in the
    /// level), or, with `reduce`, a state seen before with steps asleep in it that are awake on this arrival
    /// (`sleep`: the steps asleep on this arrival); with liveness, whether settling from it (when a call is
    /// blocked there) brings every call back.
    Reached {
        id: u32,
        /// The steps of the path to the state reached through this transition.
        depth: u32,
        action: Action,
        fingerprint: u64,
        state: State,
        sleep: Sleep,
        settled: Option<Result<(), Violation>>,
    },
    /// The state's edges in the blocked subgraph (liveness only).
    Blocked(Node),
}

/// A state seen, with `reduce`: its id and the steps asleep in it, as two words (so that an entry of the set,
/// fingerprint included, takes 32 bytes, not the 48 a `u128`'s alignment would give it).
#[derive(Clone, Copy)]
struct Stored {
    id: u32,
    sleep: [u64; 2],
}

impl Stored {
    fn sleep(&self) -> Sleep {
        Sleep::from(self.sleep[0]) | Sleep::from(self.sleep[1]) << 64
    }

    fn set_sleep(&mut self, sleep: Sleep) {
        self.sleep = [sleep as u64, (sleep >> 64) as u64];
    }
}

/// The states seen: their fingerprints, or with `reduce` the id and stored sleep set of each.
#[derive(Default)]
struct Seen {
    fingerprints: Fingerprints,
    sleeps: FingerprintMap<Stored>,
}

impl Seen {
    fn contains(&self, fingerprint: &u64) -> bool {
        self.fingerprints.contains(fingerprint) || self.sleeps.contains_key(fingerprint)
    }

    /// Whether an arrival with `sleep` at the state `fingerprint` needs nothing more: the state was seen, and
    /// (with `reduce`) every step asleep in it when it was stored is asleep on this arrival too.
    fn done(&self, fingerprint: &u64, sleep: Sleep) -> bool {
        match self.sleeps.get(fingerprint) {
            Some(stored) => stored.sleep() & !sleep == 0,
            None => self.fingerprints.contains(fingerprint),
        }
    }

    fn insert(&mut self, fingerprint: u64, id: u32, sleep: Sleep, reduce: bool) {
        if reduce {
            let mut stored = Stored { id, sleep: [0; 2] };
            stored.set_sleep(sleep);
            self.sleeps.insert(fingerprint, stored);
        } else {
            self.fingerprints.insert(fingerprint);
        }
    }
}

/// Expands the states of a level, in order, against the states seen before its batch began.
fn expand(options: &Options, seen: &Seen, states: &[Entry], found: &mut Vec<Found>) {
    let mut actions = Vec::new();
    let mut effects = Effects::new();
    // The steps asleep in the state being expanded, with the ones explored from it so far: (bit, footprint).
    let mut asleep: Vec<(Sleep, u64)> = Vec::new();
    // With `reduce`, the bit of each action of the state in a sleep set.
    let mut bits: Vec<Sleep> = Vec::new();
    for entry in states {
        let Entry { state, id, depth, sleep, only } = *entry;
        state.actions(&options.bound, &mut actions);
        if actions.is_empty() {
            found.push(Found::Terminal { id, violation: state.checker.at_end(&state.model).err() });
            continue;
        }
        // Only quiet states hold steps asleep, and steps taken from one keep it quiet (see `reduce`).
        let mutant = state.model.mutant();
        let footprints = options.reduce.filter(|_| reduce::quiet(&state.model));
        asleep.clear();
        bits.clear();
        if options.reduce.is_some() {
            bits.extend(actions.iter().map(|action| reduce::only(*action)));
        }
        if let Some(footprints) = footprints.filter(|_| sleep != 0) {
            for (action, bit) in actions.iter().zip(&bits) {
                if bit & sleep != 0 {
                    asleep.extend(footprints(mutant, *action).map(|footprint| (*bit, footprint)));
                }
            }
        }
        // The blocked subgraph, for the fair-cycle check: this state's edges (to blocked states, and its progress
        // steps wherever they lead). A state with a blocked call is not quiet: nothing is asleep in it.
        let blocked_here = options.liveness && has_blocked_call(&state.model);
        let mut edges = Vec::new();
        let mut seen_run = 0u32;
        let mut slept = 0u32;
        for (i, action) in actions.iter().enumerate() {
            let bit = bits.get(i).copied().unwrap_or(0);
            if (only != 0 && bit & only == 0) || bit & sleep != 0 {
                slept += u32::from(only == 0);
                continue;
            }
            // In place, as `State::step` does it, without moving a state out of a `Result`.
            let mut next = state;
            let mut broken = None;
            let mut buffer = Some(&mut effects);
            let apply = |model: &mut Model, action| {
                let buffer = buffer.take().expect("apply is called once");
                model.apply_enabled(action, buffer);
                Ok::<&Effects, NotEnabled>(&*buffer)
            };
            let _ = apply_checked(&state.model, &mut next.model, &mut next.checker, *action, &mut broken, apply);
            // The steps that stay asleep after this one: those asleep here (or explored before it from here)
            // that are independent of it.
            // A client call that did not return at once is dependent on every step, and is not put to sleep.
            let footprint = footprints
                .filter(|_| reduce::local(*action, &effects))
                .and_then(|footprints| footprints(mutant, *action));
            let mut next_sleep = 0;
            if let Some(footprint) = footprint {
                next_sleep = asleep.iter().filter(|(_, other)| other & footprint == 0).fold(0, |z, (b, _)| z | b);
                if bit != 0 {
                    asleep.push((bit, footprint));
                }
            }
            if let Some(violation) = broken {
                if seen_run > 0 {
                    found.push(Found::Seen(std::mem::take(&mut seen_run)));
                }
                found.push(Found::Broken { id, action: *action, violation });
                continue;
            }
            let fingerprint = key(&next, options.symmetry);
            if blocked_here {
                let blocked_there = has_blocked_call(&next.model);
                if blocked_there || is_progress(*action) {
                    edges.push(Edge { action: *action, to: fingerprint, blocked: blocked_there });
                }
            }
            if seen.done(&fingerprint, next_sleep) {
                seen_run += 1;
                continue;
            }
            if seen_run > 0 {
                found.push(Found::Seen(std::mem::take(&mut seen_run)));
            }
            let settled =
                (options.liveness && !seen.contains(&fingerprint) && has_blocked_call(&next.model)).then(|| {
                    let (mut model, mut checker) = (next.model, next.checker);
                    settle(&mut model, &mut checker).map(|_| ())
                });
            found.push(Found::Reached {
                id,
                depth: depth + 1,
                action: *action,
                fingerprint,
                state: next,
                sleep: next_sleep,
                settled,
            });
        }
        if seen_run > 0 {
            found.push(Found::Seen(seen_run));
        }
        if slept > 0 {
            found.push(Found::Slept(slept));
        }
        if blocked_here {
            found.push(Found::Blocked(Node { id, fingerprint: key(&state, options.symmetry), edges }));
        }
    }
}

/// The states of a level handed to a thread at a time.
const CHUNK_STATES: usize = 256;

/// The chunks a job expands between two merges.
const BATCH_CHUNKS: usize = 8;

/// A chunk's buffer, emptied for a new batch.
fn lock(buffer: &std::sync::Mutex<Vec<Found>>) -> std::sync::MutexGuard<'_, Vec<Found>> {
    let mut found = buffer.lock().unwrap_or_else(|e| e.into_inner());
    found.clear();
    found
}

/// Expands a batch of a level on `jobs` threads: chunks of it taken in turn from a counter, what each found put in
/// that chunk's buffer (`buffers`, kept from batch to batch so that they do not grow again), read back in chunk
/// order. One job expands it in the calling thread. Returns the number of chunks.
fn expand_level(
    options: &Options,
    seen: &Seen,
    batch: &[Entry],
    jobs: usize,
    buffers: &mut Vec<std::sync::Mutex<Vec<Found>>>,
) -> usize {
    let chunks = batch.len().div_ceil(CHUNK_STATES);
    if buffers.len() < chunks {
        buffers.resize_with(chunks, Default::default);
    }
    let chunk_of = |chunk: usize| &batch[chunk * CHUNK_STATES..((chunk + 1) * CHUNK_STATES).min(batch.len())];
    let jobs = jobs.clamp(1, chunks.max(1));
    if jobs == 1 {
        for (chunk, buffer) in buffers.iter().enumerate().take(chunks) {
            expand(options, seen, chunk_of(chunk), &mut lock(buffer));
        }
        return chunks;
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let buffers = &buffers[..chunks];
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| loop {
                let chunk = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if chunk >= chunks {
                    break;
                }
                expand(options, seen, chunk_of(chunk), &mut lock(&buffers[chunk]));
            });
        }
    });
    chunks
}

/// Explores every state reachable within the bound, breadth first, on one thread.
pub fn explore(options: &Options) -> Report {
    explore_on(options, 1)
}

/// Explores every state reachable within the bound, breadth first, each level's states expanded on `jobs`
/// threads: the report is the same, field for field, whatever the number of jobs. The states of a level are
/// expanded in parallel against the states seen before their batch (a read-only set while the batch is expanded); the states they reach that
/// were not seen are then merged in frontier order on one thread (ids given, parents kept: the first to reach a
/// state is its parent, the one with the smallest id), so the search is exactly the one-thread search.
pub fn explore_on(options: &Options, jobs: usize) -> Report {
    let root = State::initial(options);
    let mut report = Report {
        options: *options,
        unique: 1,
        transitions: 0,
        depth: 0,
        terminal: 0,
        blocked: 0,
        complete: true,
        violations: [0; Invariant::ALL.len()],
        first: vec![None; Invariant::ALL.len()],
        bytes_per_state: 0.0,
        candidates: Vec::new(),
        slept: 0,
        reexpanded: 0,
    };
    assert!(!(options.reduce.is_some() && options.symmetry), "reduction is not combined with symmetry");
    let mut seen = Seen::default();
    seen.insert(key(&root, options.symmetry), 0, 0, options.reduce.is_some());
    // parents[id] = (the id of the state it was first reached from, the step); the root's entry is never read.
    let mut parents: Vec<(u32, Action)> = vec![(u32::MAX, Action::OtherOpen)];
    let mut frontier: Vec<Entry> = vec![Entry { state: root, id: 0, depth: 0, sleep: 0, only: 0 }];
    let mut next_frontier: Vec<Entry> = Vec::new();
    // The longest path to a state stored in the next level (with `reduce` it may hold only re-expansions).
    let mut next_depth = 0u32;
    // With `reduce`: the id of the first state stored in the next level, and where each is in `next_frontier`
    // (by id from there): a state reached again before it is expanded has its sleep set narrowed in place.
    let mut next_first_id = 1u32;
    let mut next_positions: Vec<u32> = Vec::new();
    let mut graph: Vec<Node> = Vec::new();
    let mut buffers = Vec::new();
    let record = |report: &mut Report, violation: Violation, steps: Vec<Action>| {
        let index = violation.invariant.index();
        report.violations[index] += 1;
        report.complete &= !options.stop_at_first;
        if options.stop_at_first && report.candidates.len() < CANDIDATES_MAX {
            report.candidates.push(Counterexample { violation, steps: steps.clone() });
        }
        // With `reduce` a state may be stored after one with a longer path (reached through a partial
        // re-expansion): the shortest found is kept. Without it the first found is kept, as breadth-first order
        // finds a shortest first.
        let shorter = |first: &Counterexample| options.reduce.is_some() && steps.len() < first.steps.len();
        if report.first[index].as_ref().is_none_or(shorter) {
            report.first[index] = Some(Counterexample { violation, steps });
        }
    };
    'levels: while !frontier.is_empty() {
        if options.stop_at_first && report.failing() {
            break;
        }
        // A batch of the level at a time, so that what its expansion found is held for a few thousand states only.
        for batch in frontier.chunks(CHUNK_STATES * BATCH_CHUNKS * jobs.max(1)) {
            let chunks = expand_level(options, &seen, batch, jobs, &mut buffers);
            let found = buffers[..chunks]
                .iter_mut()
                .flat_map(|buffer| buffer.get_mut().unwrap_or_else(|e| e.into_inner()).drain(..));
            for found in found {
                match found {
                    Found::Terminal { id, violation } => {
                        report.terminal += 1;
                        if let Some(violation) = violation {
                            record(&mut report, violation, path(&parents, id, None));
                        }
                    }
                    Found::Seen(transitions) => report.transitions += u64::from(transitions),
                    Found::Slept(steps) => report.slept += u64::from(steps),
                    Found::Broken { id, action, violation } => {
                        report.transitions += 1;
                        record(&mut report, violation, path(&parents, id, Some(action)));
                    }
                    Found::Reached { id, depth, action, fingerprint, state, sleep, settled } => {
                        report.transitions += 1;
                        // Seen before (or reached earlier in this level): with `reduce`, the steps asleep in it
                        // that are awake on this arrival are taken from it at the next level.
                        if seen.contains(&fingerprint) {
                            if let Some(stored) = seen.sleeps.get_mut(&fingerprint) {
                                let awake = stored.sleep() & !sleep;
                                if awake != 0 {
                                    // Narrowed to the steps asleep on both arrivals, as in Godefroid's algorithm:
                                    // the set the state is (re-)expanded with.
                                    let sleep = stored.sleep() & sleep;
                                    stored.set_sleep(sleep);
                                    let id = stored.id;
                                    if id >= next_first_id {
                                        let position = next_positions[(id - next_first_id) as usize];
                                        next_frontier[position as usize].sleep &= sleep;
                                    } else {
                                        report.reexpanded += 1;
                                        // Its path is the one it was stored with.
                                        let depth = path_length(&parents, id);
                                        next_frontier.push(Entry { state, id, depth, sleep, only: awake });
                                    }
                                }
                            }
                            continue;
                        }
                        // The limit stops the search before a state past it is stored: `unique` is then exactly the
                        // number of states held, and equals `states_max`.
                        if report.unique >= options.states_max {
                            report.complete = false;
                            break 'levels;
                        }
                        let next_id = u32::try_from(parents.len()).expect("fewer than 2^32 states");
                        seen.insert(fingerprint, next_id, sleep, options.reduce.is_some());
                        if options.reduce.is_some() {
                            next_positions.push(u32::try_from(next_frontier.len()).expect("fewer than 2^32 states"));
                        }
                        parents.push((id, action));
                        report.unique += 1;
                        next_depth = next_depth.max(depth);
                        if let Some(settled) = settled {
                            report.blocked += 1;
                            if let Err(violation) = settled {
                                record(&mut report, violation, path(&parents, next_id, None));
                            }
                        }
                        next_frontier.push(Entry { state, id: next_id, depth, sleep, only: 0 });
                    }
                    Found::Blocked(node) => graph.push(node),
                }
            }
        }
        frontier.clear();
        if next_frontier.is_empty() {
            break;
        }
        report.depth = report.depth.max(std::mem::take(&mut next_depth));
        next_first_id = u32::try_from(parents.len()).expect("fewer than 2^32 states");
        next_positions.clear();
        std::mem::swap(&mut frontier, &mut next_frontier);
    }
    if options.liveness && report.complete {
        if let Some(id) = fair_cycle(&graph) {
            let violation = Violation::new(
                Invariant::Liveness,
                "a fair cycle of steps keeps a call blocked forever",
                Value::Text("every blocked call returns under fair scheduling"),
                Value::Text("a fair cycle that never lets it return"),
            );
            record(&mut report, violation, path(&parents, id, None));
        }
    }
    let held = graph.capacity() * std::mem::size_of::<Node>()
        + graph.iter().map(|node| node.edges.capacity() * std::mem::size_of::<Edge>()).sum::<usize>()
        + seen.fingerprints.capacity() * (std::mem::size_of::<u64>() + 1)
        + seen.sleeps.capacity() * (std::mem::size_of::<(u64, Stored)>() + 1)
        + parents.capacity() * std::mem::size_of::<(u32, Action)>();
    report.bytes_per_state = held as f64 / report.unique as f64;
    report
}
