//! `logoff-sim list`: the names options take.

use clap::ValueEnum;
use logoff_core::{Mutant, Profile};
use sim::invariants::Invariant;
use sim::out;

#[derive(clap::Args)]
pub struct Args {
    /// What to list.
    pub what: Listing,
}

pub fn exec(args: Args) -> u8 {
    list(args.what)
}

/// What `logoff-sim list` prints.
#[derive(Clone, Copy, ValueEnum)]
pub enum Listing {
    /// The mutants of `--mutant`, with who would make the mistake and what it is.
    Mutants,
    /// The knobs A1-A10 of `--profile` and of a script's `profile` line, with their values (default first).
    Knobs,
    /// The invariants the checker evaluates after every step, with the requirements each checks.
    Invariants,
}

fn list(what: Listing) -> u8 {
    match what {
        Listing::Mutants => {
            out!("{:<32} {:<15} what", "mutant", "implementer");
            out!("{:<32} {:<15} {}", "none", "-", Mutant::None.description());
            for mutant in Mutant::ALL {
                let implementer = mutant.implementer().map_or("-", |who| who.name());
                out!("{:<32} {:<15} {}", mutant.name(), implementer, mutant.description());
            }
        }
        Listing::Knobs => {
            let (first, second) = (Profile::from_index(0).values(), Profile::from_index(Profile::COUNT - 1).values());
            out!("{:<4} {:<24} values (default first)", "", "knob");
            for (i, knob) in Profile::KNOBS.iter().enumerate() {
                out!("A{:<3} {knob:<24} {} {}", i + 1, first[i], second[i]);
            }
        }
        Listing::Invariants => {
            out!("{:<32} requirements", "invariant");
            for invariant in Invariant::ALL {
                out!("{:<32} {}", invariant.name(), invariant.requirements());
            }
        }
    }
    0
}
