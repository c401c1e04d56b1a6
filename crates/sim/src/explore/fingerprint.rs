//! Fingerprints: a state is remembered by a 64-bit hash of its packed encoding, taken by a fixed hasher (the same
//! on every machine), or with symmetry of its class's representative ([`canonical`]).

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hash, Hasher};

use logoff_core::*;

use super::State;

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

/// The fingerprint that deduplicates a state: of the state itself, or with `symmetry` of its canonical form. It is
/// taken over the packed encodings of the model and the checker (`Model::packed`, `Checker::packed`), which leave
/// out only what never changes within one exploration (profile, setup, mutant).
pub(super) fn key(state: &State, symmetry: bool) -> u64 {
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
