//! The simulator of the MAPI store logoff protocol: scenario scripts, seeded runs, invariants, replay.
//!
//! `logoff-core` holds the protocol; this crate decides what happens next and checks what happened.

pub mod check_trace;
pub mod conform;
pub mod coverage;
pub mod diff;
pub mod documents;
pub mod explore;
pub mod failures;
pub mod interrupt;
pub mod invariants;
pub mod liveness;
pub mod mutants;
pub mod observe;
pub mod output;
pub mod render;
pub mod role;
pub mod script;
pub mod seedfile;
pub mod shard;
pub mod shrink;
pub mod simulate;
pub mod state_coverage;
pub mod sweep;
pub mod text;
pub mod trace;
