//! `logoff-sim check-trace`: a log of a real run judged against the model.

use std::path::{Path, PathBuf};

use logoff_core::Profile;
use sim::text::{self, input_name, plural};
use sim::{err, out};

#[derive(clap::Args)]
pub struct Args {
    /// The log; `-` reads it from standard input.
    pub log: PathBuf,
    /// Print every profile that explains the log, not only the values each knob takes among them.
    #[arg(long)]
    pub list: bool,
}

pub fn exec(args: Args) -> u8 {
    check_trace_command(&args.log, args.list)
}

/// `logoff-sim check-trace LOG`.
fn check_trace_command(path: &Path, list_all: bool) -> u8 {
    use sim::check_trace::{KnobSummary, Verdict};
    let name = input_name(path);
    let source = match text::read(path) {
        Ok(source) => source,
        Err(e) => {
            err!("{name}: error: {e}; expected a log");
            return 2;
        }
    };
    let log = match sim::check_trace::read(&source, &name) {
        Ok(log) => log,
        Err(e) => {
            err!("{e}");
            return 2;
        }
    };
    // Under the profile of the log's `profile` line, or under some of all `Profile::COUNT`.
    let among = |count: usize| match log.profile {
        Some((line, _)) => format!("the profile of line {line}"),
        None => format!("{count} of {} profiles", Profile::COUNT),
    };
    let none = match log.profile {
        Some((line, _)) => format!("the profile of line {line} does not explain"),
        None => "no profile explains".to_string(),
    };
    let blocked_text = |blocked: &sim::check_trace::Blocked| blocked.calls.join(", ");
    match sim::check_trace::check(&log) {
        Verdict::Allowed(profiles, blocked) => {
            out!(
                "{name}: allowed ({}) under {}: {}",
                plural(log.steps.len() as u64, "step", "steps"),
                among(profiles.len()),
                KnobSummary(&profiles)
            );
            if let Some(blocked) = blocked {
                out!(
                    "{name}: still in progress at the end of the log: {}; the model lets {} return if the run goes \
                     on with no new work (transports completing what they started, the spooler sending and \
                     receiving) under {} of these {}",
                    blocked_text(&blocked),
                    if blocked.calls.len() == 1 { "it" } else { "them" },
                    blocked.returning.len(),
                    plural(profiles.len() as u64, "profile", "profiles")
                );
            }
            if list_all {
                for profile in &profiles {
                    out!("  {profile}");
                }
            }
            0
        }
        Verdict::NeverReturns(profiles, blocked) => {
            err!(
                "{name}: every step is explained (under {}), but at the end of the log {} still in progress and \
                 the model lets {} return under none of them (R21): {}",
                among(profiles.len()),
                if blocked.calls.len() == 1 {
                    format!("{} is", blocked_text(&blocked))
                } else {
                    format!("{} are", blocked_text(&blocked))
                },
                if blocked.calls.len() == 1 { "it" } else { "them" },
                blocked.stuck.as_deref().unwrap_or("")
            );
            1
        }
        Verdict::Unexplained(at) if log.profile.is_some() => {
            err!(
                "{name}:{}: {none} this line: `{}` caused `{}`; under it the model says `{}`",
                at.line,
                at.step,
                at.logged,
                at.expected
            );
            1
        }
        Verdict::Unexplained(at) => {
            err!(
                "{name}:{}: {none} this line: `{}` caused `{}`; {} every line before it, and under the first of \
                 them the model says `{}`",
                at.line,
                at.step,
                at.logged,
                if at.profiles_before == 1 {
                    "1 profile explains".to_string()
                } else {
                    format!("{} profiles explain", at.profiles_before)
                },
                at.expected
            );
            1
        }
    }
}
