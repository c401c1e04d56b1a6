//! `logoff-sim diff`: the shortest script that tells two readings of the pages apart.

use std::path::{Path, PathBuf};

use clap::builder::PossibleValuesParser;
use logoff_core::Profile;
use sim::explore::Bound;
use sim::output::{write, Stream};
use sim::{err, out};

use super::shared::{not_stdout, parse_output_path};

#[derive(clap::Args)]
pub struct Args {
    /// The two readings, each `default` or knob=value pairs; give it twice (or use --knob).
    #[arg(long, num_args = 1, action = clap::ArgAction::Append, conflicts_with = "knob")]
    pub profile: Vec<Profile>,
    /// The knob whose two values are compared, the others at their defaults (or, if that shows no difference,
    /// one other knob at its second value): one of the names of `logoff-sim list knobs`.
    #[arg(long, value_parser = PossibleValuesParser::new(Profile::KNOBS))]
    pub knob: Option<String>,
    /// The most clients (1 to 4): setups with 1 up to this many are searched.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=4))]
    pub clients: u8,
    /// The most transports (0 to 3): setups with 0 up to this many are searched.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(0..=3))]
    pub transports: u8,
    /// Messages named in all (0 to 32).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(0..=32))]
    pub messages: u8,
    /// Other processes open at once (0 to 3); setups with 0 up to this many open at the start are searched.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(0..=3))]
    pub other: u8,
    /// References one client may hold (1 to 8).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=8))]
    pub references: u8,
    /// Also write the witness to this file.
    #[arg(long, value_name = "FILE", value_parser = parse_output_path)]
    pub out: Option<PathBuf>,
}

pub fn exec(args: Args) -> u8 {
    let Args { profile, knob, clients, transports, messages, other, references, out } = args;
    if let Err(code) = not_stdout("--out", out.as_deref(), "the witness already") {
        return code;
    }
    let bound = Bound::new(clients, transports, messages, other, references);
    diff_command(&profile, knob.as_deref(), bound, out.as_deref())
}

fn diff_command(profiles: &[Profile], knob: Option<&str>, bound: Bound, out: Option<&Path>) -> u8 {
    let states_max = sim::explore::STATES_MAX_DEFAULT;
    let witness = match (knob, profiles) {
        (Some(knob), _) => {
            let index = Profile::KNOBS.iter().position(|name| *name == knob).unwrap_or_default();
            sim::diff::diff_knob(index, bound, states_max)
        }
        (None, [first, second]) if first == second => {
            err!(
                "error: the two --profile values are the same reading ('{first}'); expected two readings that differ \
                 in at least one knob (a knob written at its default value is the default)"
            );
            return 2;
        }
        (None, [first, second]) => sim::diff::diff(*first, *second, bound, states_max),
        (None, _) => {
            err!("error: give --profile twice (the two readings) or --knob NAME; expected two readings to compare");
            return 2;
        }
    };
    let Some(witness) = witness else {
        out!(
            "no difference within {}: the two readings cannot be told apart by any script from any setup within the \
             bound",
            sim::diff::searched(&bound)
        );
        return 1;
    };
    let file = out.map_or("witness.scn".to_string(), |path| path.display().to_string());
    let text = witness.text(&file);
    if let Some(path) = out {
        if let Err(e) = sim::output::write_file(path, &text) {
            err!("error: cannot write {}: {e}", path.display());
            return 2;
        }
    }
    write(Stream::Stdout, format_args!("{text}"));
    0
}
