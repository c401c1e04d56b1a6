//! The peers, side by side: the same model explored by our explorer and by stateright, and tested by our
//! simulator and by proptest-state-machine. Only this crate depends on the peers; `logoff-core` and `sim` never do.

pub mod probe;
pub mod proptest_machine;
pub mod stateright_model;
