//! The MAPI store logoff protocol as a pure state machine (SPEC.md sections 1-5).
//!
//! `logoff-core` never does I/O, never reads a clock and never draws a random number: a step goes in as an
//! [`Action`], its effects come out as [`Effects`]. Everything that decides what happens next, and when, belongs
//! to the simulator.
//!
//! Call order on a [`Model`]: the getters read it; [`Model::enabled`] lists the steps that may come next;
//! [`Model::check`] says whether one is enabled; [`Model::apply`] takes one, with every blocked call that it lets
//! return, and hands back its effects, or changes nothing and returns [`NotEnabled`].

mod action;
mod effect;
mod flags;
mod model;
mod mutant;
mod profile;
mod reference;
mod role;
mod state;
mod world;

pub use action::*;
pub use effect::*;
pub use flags::*;
pub use model::*;
pub use mutant::*;
pub use profile::*;
pub use reference::{ReferenceSpooler, ReferenceTransport};
pub use role::*;
pub use state::*;
pub use world::*;
