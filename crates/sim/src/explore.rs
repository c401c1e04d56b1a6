//! Exhaustive exploration: every state reachable within a bound, breadth first, with every invariant of the
//! checker evaluated on every transition, and the shortest path to each violation.
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

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hash, Hasher};

use logoff_core::*;

use crate::invariants::{apply_checked, Checker, Invariant, Value, Violation};
use crate::liveness::{settle, verify_script};
use crate::output::COMMAND;
use crate::script::{RunErrorKind, Script};

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
        match action {
            Action::Submit(_, _) | Action::Arrive(_, _) => {
                let named = model.messages().iter().filter(|m| *m != MessageState::Unused).count();
                named < usize::from(self.messages)
            }
            Action::AddRef(c) => model.client(c).is_some_and(|client| client.references < self.references),
            Action::OtherOpen => model.other_processes() < self.other,
            _ => true,
        }
    }
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
        }
    }
}

impl Options {
    /// The `logoff-sim explore` command that explores these options (the bound, the profile, the mutant, symmetry),
    /// in the form every command the tool prints takes ([`COMMAND`]). It explores every state within the bound
    /// (not only up to the first violation, as [`find`] does), so it finds at least what `find` finds.
    pub fn command(&self) -> String {
        format!(
            "{COMMAND} explore {} --profile {} --mutant {}{}",
            self.bound.arguments(),
            profile_argument(self.profile),
            self.mutant,
            if self.symmetry { " --symmetry" } else { "" }
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

/// A fixed hasher for fingerprints: each integer is mixed by value (not by its bytes in memory, so the result does
/// not depend on the machine's byte order or word size) with a 64x64->128-bit multiply folded to 64 bits.
#[derive(Default)]
struct Fingerprinter(u64);

const MIX: u64 = 0x9E37_79B9_7F4A_7C15;
const FINAL: u64 = 0xD6E8_FEB8_6659_FD93;

fn fold(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    (product as u64) ^ ((product >> 64) as u64)
}

impl Hasher for Fingerprinter {
    fn write(&mut self, bytes: &[u8]) {
        // Eight bytes at a time, read little-endian whatever the machine.
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.write_u64(u64::from_le_bytes(word) ^ (rest.len() as u64) << 56);
        }
    }
    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }
    fn write_u16(&mut self, n: u16) {
        self.write_u64(u64::from(n));
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = fold(self.0 ^ n, MIX).wrapping_add(n);
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
    fn write_isize(&mut self, n: isize) {
        self.write_u64(n as u64);
    }
    fn finish(&self) -> u64 {
        fold(self.0, FINAL)
    }
}

/// The fingerprint of anything hashable, the same on every machine.
pub fn fingerprint<T: Hash>(value: &T) -> u64 {
    let mut hasher = Fingerprinter::default();
    value.hash(&mut hasher);
    hasher.finish()
}

/// A hasher that passes a fingerprint through: the set of fingerprints need not hash them again.
#[derive(Default)]
pub struct Identity(u64);

impl Hasher for Identity {
    fn write(&mut self, _: &[u8]) {
        unreachable!("only fingerprints (u64) are hashed by Identity")
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A set of fingerprints, for membership only: no exploration ever iterates it, and its hasher is the identity,
/// with no random seed (the fingerprints are already hashed).
pub type Fingerprints = HashSet<u64, BuildHasherDefault<Identity>>;

/// A map from fingerprints, for lookups only, with the same hasher.
pub type FingerprintMap<V> = std::collections::HashMap<u64, V, BuildHasherDefault<Identity>>;

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
        out.retain(|action| bound.allows(&self.model, *action));
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

/// The fingerprint that deduplicates a state: of the state itself, or with `symmetry` of its canonical form. It is
/// taken over the packed encodings of the model and the checker (`Model::packed`, `Checker::packed`), which leave
/// out only what never changes within one exploration (profile, setup, mutant).
fn key(state: &State, symmetry: bool) -> u64 {
    if symmetry {
        return packed_fingerprint(&canonical(state));
    }
    packed_fingerprint(state)
}

fn packed_fingerprint(state: &State) -> u64 {
    let mut hasher = Fingerprinter::default();
    for word in state.model.packed() {
        hasher.write_u64(word);
    }
    for word in state.checker.packed() {
        hasher.write_u64(word);
    }
    hasher.finish()
}

/// A representative of a state's class under renamings of the clients, the transports and the messages: each kind
/// of entity sorted by everything the state says of it, transports first (by what they do, not which message they
/// do it with), then the messages used (by their states, with the transports renamed). Clients and transports
/// with equal keys stay in their order, so two states of one class can still get different representatives (less
/// reduction, never a wrong one: a representative is always a renaming of the state itself, and states of
/// different classes never share one).
fn canonical(state: &State) -> State {
    let (model, checker) = (&state.model, &state.checker);
    let setup = model.setup();
    let mut renaming = Renaming::IDENTITY;

    let caller = match model.spooler() {
        SpoolerState::LoggingOff { caller, .. } => Some(caller.client()),
        _ => None,
    };
    // Fixed arrays, not vectors: this runs for every transition.
    let mut clients: [ClientId; CLIENTS_MAX] = std::array::from_fn(|i| ClientId(i as u8));
    let clients = &mut clients[..usize::from(setup.clients)];
    clients.sort_by_key(|c| {
        let client = model.client(*c).copied().unwrap_or_default();
        (client.references, client.blocked.map(|b| b as u8), caller == Some(*c), checker.client_part(*c))
    });
    for (new, old) in clients.iter().enumerate() {
        renaming.clients[old.index()] = new as u8;
    }

    let awaited = match model.spooler() {
        SpoolerState::LoggingOff { flushes_awaited, .. } => *flushes_awaited,
        _ => 0,
    };
    let mut transports: [TransportId; TRANSPORTS_MAX] = std::array::from_fn(|i| TransportId(i as u8));
    let transports = &mut transports[..usize::from(setup.transports)];
    transports.sort_by_key(|t| {
        let shape = match model.transport(*t) {
            Some(TransportState::LoggedOn { sending, receiving, flushing }) => {
                (0, sending.is_some(), receiving.is_some(), *flushing)
            }
            Some(TransportState::LoggingOff) => (1, false, false, false),
            _ => (2, false, false, false),
        };
        // How many messages are sending, available and receiving at it, in the model and in the checker.
        let mut at = [0u8; 6];
        for (offset, messages) in [(0, model.messages()), (3, checker.messages())] {
            for message in messages.iter() {
                match message {
                    MessageState::Sending(via) if via == *t => at[offset] += 1,
                    MessageState::Available(via) if via == *t => at[offset + 1] += 1,
                    MessageState::Receiving(via) if via == *t => at[offset + 2] += 1,
                    _ => {}
                }
            }
        }
        (shape, awaited & 1 << t.0 != 0, checker.transport_part(*t), at)
    });
    for (new, old) in transports.iter().enumerate() {
        renaming.transports[old.index()] = new as u8;
    }

    // Names are given lowest first, so the messages used are m0 up to the first unused one; they are sorted among
    // themselves, and the unused ones keep their places.
    let by_transport = Renaming { transports: renaming.transports, ..Renaming::IDENTITY };
    let (model_messages, checker_messages) =
        (model.messages().renamed(&by_transport), checker.messages().renamed(&by_transport));
    let used = model.messages().iter().take_while(|m| *m != MessageState::Unused).count();
    let mut messages: [MessageId; MESSAGES_MAX] = std::array::from_fn(|i| MessageId(i as u8));
    let messages = &mut messages[..used];
    messages.sort_by_key(|m| (model_messages.byte(*m), checker_messages.byte(*m)));
    for (new, old) in messages.iter().enumerate() {
        renaming.messages[old.index()] = new as u8;
    }

    State { model: model.renamed(&renaming), checker: checker.renamed(&renaming) }
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

/// A step of the blocked subgraph: its action, the fingerprint of the state it leads to, and whether a call is
/// still blocked there.
#[derive(Clone, Copy)]
struct Edge {
    action: Action,
    to: u64,
    blocked: bool,
}

/// A state with a blocked call, its id in the exploration, and its edges.
struct Node {
    id: u32,
    fingerprint: u64,
    edges: Vec<Edge>,
}

/// A step that fairness requires to be taken when it stays possible: the spooler's sends and receives, and a
/// transport completing what it started (a send or receive completing, a flush completing, TransportLogoff
/// returning). Failures, new work and every client call are required of no one.
fn is_progress(action: Action) -> bool {
    matches!(
        action,
        Action::Send(..)
            | Action::Receive(..)
            | Action::Sent(..)
            | Action::Received(..)
            | Action::Flushed(..)
            | Action::LogoffReturns(_, LogoffOutcome::Ok)
    )
}

/// R21 on the state graph: a strongly connected set of states with a blocked call in which a run can stay forever
/// while being fair. Fairness is strong for every progress step ([`is_progress`]): a step enabled again and again
/// is eventually taken. So a component traps a fair run iff it has a cycle and every progress step enabled in any
/// of its states has a copy that stays inside it. Returns the smallest id of a state of such a component, from
/// which the counterexample's path is built. Components are found by Tarjan's algorithm, iteratively, over the
/// nodes in exploration order, so the result is deterministic; the map below is looked up, never iterated.
fn fair_cycle(graph: &[Node]) -> Option<u32> {
    let index_of: FingerprintMap<usize> =
        graph.iter().enumerate().map(|(index, node)| (node.fingerprint, index)).collect();
    let successors: Vec<Vec<usize>> = graph
        .iter()
        .map(|node| node.edges.iter().filter(|e| e.blocked).filter_map(|e| index_of.get(&e.to).copied()).collect())
        .collect();
    let mut trapping: Option<u32> = None;
    for component in tarjan(&successors) {
        let mut inside = vec![false; graph.len()];
        for n in &component {
            inside[*n] = true;
        }
        let has_cycle = component.len() > 1 || successors[component[0]].contains(&component[0]);
        if !has_cycle {
            continue;
        }
        let stays = |action: Action| {
            component.iter().any(|n| {
                graph[*n]
                    .edges
                    .iter()
                    .any(|e| e.action == action && e.blocked && index_of.get(&e.to).is_some_and(|to| inside[*to]))
            })
        };
        let fair =
            component.iter().all(|n| graph[*n].edges.iter().filter(|e| is_progress(e.action)).all(|e| stays(e.action)));
        if fair {
            let id = component.iter().map(|n| graph[*n].id).min().unwrap_or(0);
            trapping = Some(trapping.map_or(id, |best| best.min(id)));
        }
    }
    trapping
}

/// The strongly connected components of a graph given by successor lists (Tarjan's algorithm, without recursion).
fn tarjan(successors: &[Vec<usize>]) -> Vec<Vec<usize>> {
    const UNVISITED: usize = usize::MAX;
    let count = successors.len();
    let (mut index, mut low, mut on_stack) = (vec![UNVISITED; count], vec![0; count], vec![false; count]);
    let (mut stack, mut components, mut next_index) = (Vec::new(), Vec::new(), 0);
    for root in 0..count {
        if index[root] != UNVISITED {
            continue;
        }
        // The depth-first search's own stack: a node and the position of its next successor.
        let mut calls = vec![(root, 0usize)];
        index[root] = next_index;
        low[root] = next_index;
        next_index += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&(node, position)) = calls.last() {
            if let Some(&successor) = successors[node].get(position) {
                if let Some(call) = calls.last_mut() {
                    call.1 += 1;
                }
                if index[successor] == UNVISITED {
                    index[successor] = next_index;
                    low[successor] = next_index;
                    next_index += 1;
                    stack.push(successor);
                    on_stack[successor] = true;
                    calls.push((successor, 0));
                } else if on_stack[successor] {
                    low[node] = low[node].min(index[successor]);
                }
                continue;
            }
            calls.pop();
            if let Some(&(parent, _)) = calls.last() {
                low[parent] = low[parent].min(low[node]);
            }
            if low[node] == index[node] {
                let mut component = Vec::new();
                while let Some(member) = stack.pop() {
                    on_stack[member] = false;
                    component.push(member);
                    if member == node {
                        break;
                    }
                }
                components.push(component);
            }
        }
    }
    components
}

/// A blocked call, which liveness must see return.
fn has_blocked_call(model: &Model) -> bool {
    model.store_phase() == StorePhase::LoggingOff
        || ClientId::all(usize::from(model.setup().clients))
            .any(|c| model.client(c).is_some_and(|client| client.blocked.is_some()))
}

/// Explores every state reachable within the bound, breadth first.
pub fn explore(options: &Options) -> Report {
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
    };
    let mut seen = Fingerprints::default();
    seen.insert(key(&root, options.symmetry));
    // parents[id] = (the id of the state it was first reached from, the step); the root's entry is never read.
    let mut parents: Vec<(u32, Action)> = vec![(u32::MAX, Action::OtherOpen)];
    let mut frontier: Vec<(State, u32)> = vec![(root, 0)];
    let mut next_frontier: Vec<(State, u32)> = Vec::new();
    let mut actions = Vec::new();
    let mut graph: Vec<Node> = Vec::new();
    let record = |report: &mut Report, violation: Violation, steps: Vec<Action>| {
        let index = violation.invariant.index();
        report.violations[index] += 1;
        report.complete &= !options.stop_at_first;
        if options.stop_at_first && report.candidates.len() < CANDIDATES_MAX {
            report.candidates.push(Counterexample { violation, steps: steps.clone() });
        }
        if report.first[index].is_none() {
            report.first[index] = Some(Counterexample { violation, steps });
        }
    };
    'levels: while !frontier.is_empty() {
        if options.stop_at_first && report.failing() {
            break;
        }
        for (state, id) in frontier.drain(..) {
            state.actions(&options.bound, &mut actions);
            if actions.is_empty() {
                report.terminal += 1;
                if let Err(violation) = state.checker.at_end(&state.model) {
                    record(&mut report, violation, path(&parents, id, None));
                }
                continue;
            }
            // The blocked subgraph, for the fair-cycle check: this state's edges (to blocked states, and its
            // progress steps wherever they lead).
            let blocked_here = options.liveness && has_blocked_call(&state.model);
            let mut edges = Vec::new();
            for action in &actions {
                let mut next = state;
                let mut broken = None;
                apply_checked(&state.model, &mut next.model, &mut next.checker, *action, &mut broken, Model::apply)
                    .expect("enabled() lists only enabled steps");
                report.transitions += 1;
                if let Some(violation) = broken {
                    record(&mut report, violation, path(&parents, id, Some(*action)));
                    continue;
                }
                let fingerprint = key(&next, options.symmetry);
                if blocked_here {
                    let blocked_there = has_blocked_call(&next.model);
                    if blocked_there || is_progress(*action) {
                        edges.push(Edge { action: *action, to: fingerprint, blocked: blocked_there });
                    }
                }
                if seen.contains(&fingerprint) {
                    continue;
                }
                // The limit stops the search before a state past it is stored: `unique` is then exactly the
                // number of states held, and equals `states_max`.
                if report.unique >= options.states_max {
                    report.complete = false;
                    break 'levels;
                }
                seen.insert(fingerprint);
                let next_id = u32::try_from(parents.len()).expect("fewer than 2^32 states");
                parents.push((id, *action));
                report.unique += 1;
                if options.liveness && has_blocked_call(&next.model) {
                    report.blocked += 1;
                    let (mut model, mut checker) = (next.model, next.checker);
                    if let Err(violation) = settle(&mut model, &mut checker) {
                        record(&mut report, violation, path(&parents, next_id, None));
                    }
                }
                next_frontier.push((next, next_id));
            }
            if blocked_here {
                graph.push(Node { id, fingerprint: key(&state, options.symmetry), edges });
            }
        }
        if next_frontier.is_empty() {
            break;
        }
        report.depth += 1;
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
        + seen.capacity() * (std::mem::size_of::<u64>() + 1)
        + parents.capacity() * std::mem::size_of::<(u32, Action)>();
    report.bytes_per_state = held as f64 / report.unique as f64;
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edge(action: Action, to: u64, blocked: bool) -> Edge {
        Edge { action, to, blocked }
    }

    const SEND: Action = Action::Send(MessageId(0), TransportId(0));
    const SENT: Action = Action::Sent(TransportId(0), MessageId(0));
    const FAILED: Action = Action::SendFailed(TransportId(0), MessageId(0));
    const OPEN: Action = Action::OtherOpen;
    const CLOSE: Action = Action::OtherClose;

    /// Shows the fair-cycle check on small graphs: a cycle whose every progress step stays inside traps a fair run;
    /// a cycle that a progress step always leaves does not (strong fairness takes it); and a cycle of failures only
    /// is unfair once the completing step is possible.
    #[test]
    fn fair_cycles_are_those_no_progress_step_leaves() {
        // Queued (1) -> sending (2) -> failed -> queued: `Sent` leads out of the blocked states.
        let retrying = [
            Node { id: 1, fingerprint: 1, edges: vec![edge(SEND, 2, true)] },
            Node { id: 2, fingerprint: 2, edges: vec![edge(FAILED, 1, true), edge(SENT, 3, false)] },
        ];
        assert_eq!(fair_cycle(&retrying), None);
        // The same, but `Sent` puts the message back (a spooler that never finishes a send): a fair trap.
        let looping = [
            Node { id: 1, fingerprint: 1, edges: vec![edge(SEND, 2, true)] },
            Node { id: 2, fingerprint: 2, edges: vec![edge(FAILED, 1, true), edge(SENT, 1, true)] },
        ];
        assert_eq!(fair_cycle(&looping), Some(1));
        // Another process opening and closing forever while nothing can progress: a trap (no progress step at all).
        let toggling = [
            Node { id: 4, fingerprint: 4, edges: vec![edge(OPEN, 5, true)] },
            Node { id: 5, fingerprint: 5, edges: vec![edge(CLOSE, 4, true)] },
        ];
        assert_eq!(fair_cycle(&toggling), Some(4));
        // The same toggling while a send is possible and leads out: fairness takes the send.
        let toggling_with_work = [
            Node { id: 4, fingerprint: 4, edges: vec![edge(OPEN, 5, true), edge(SEND, 6, false)] },
            Node { id: 5, fingerprint: 5, edges: vec![edge(CLOSE, 4, true)] },
        ];
        assert_eq!(fair_cycle(&toggling_with_work), None);
        // No cycle at all: nothing traps.
        let chain = [
            Node { id: 7, fingerprint: 7, edges: vec![edge(OPEN, 8, true)] },
            Node { id: 8, fingerprint: 8, edges: vec![] },
        ];
        assert_eq!(fair_cycle(&chain), None);
    }

    /// Shows Tarjan's components on a graph with two cycles joined by one edge, and a lone node.
    #[test]
    fn tarjan_finds_the_components() {
        let successors = vec![vec![1], vec![0, 2], vec![3], vec![2], vec![]];
        let mut components: Vec<Vec<usize>> = tarjan(&successors)
            .into_iter()
            .map(|mut c| {
                c.sort();
                c
            })
            .collect();
        components.sort();
        assert_eq!(components, vec![vec![0, 1], vec![2, 3], vec![4]]);
    }
}
