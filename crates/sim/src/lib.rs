//! The simulator of the MAPI store logoff protocol: scenario scripts, seeded runs, invariants, replay.
//!
//! `logoff-core` holds the protocol; this crate decides what happens next and checks what happened.

pub mod observe;
pub mod script;
