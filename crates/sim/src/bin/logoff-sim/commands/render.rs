//! `logoff-sim render`: a run drawn as a sequence diagram.

use std::path::{Path, PathBuf};

use clap::builder::{PossibleValuesParser, TypedValueParser};
use logoff_core::{Mutant, Profile};
use sim::err;
use sim::output::{write, Stream};
use sim::render::Picture;
use sim::seedfile::Recorder;
use sim::simulate::{Config, Simulator};

use super::shared::{mutant_parser, parse_output_path, profile_help};

#[derive(clap::Args)]
pub struct Args {
    /// A scenario script (`.scn`) or a seed file (`.seed`) to draw; `-` reads a script from standard input.
    #[arg(required_unless_present = "seed", conflicts_with = "seed")]
    pub file: Option<PathBuf>,
    /// Draw the run of this seed instead of a file.
    #[arg(long)]
    pub seed: Option<u64>,
    #[arg(long, long_help = profile_help(), help = "With --seed: the reading of the pages; drawn by the seed without it")]
    pub profile: Option<Profile>,
    /// The mistake the model makes (with --seed or a script; a seed file names its own).
    #[arg(long, value_parser = mutant_parser())]
    pub mutant: Option<Mutant>,
    /// What to draw (`log`: the run as `check-trace` reads it) [default: from the extension of -o: .mmd or .md,
    /// .svg, .html, .log; mermaid on standard output].
    #[arg(long, value_parser = PossibleValuesParser::new(Picture::NAMES).map(|v| Picture::from_name(&v).expect("a listed name")))]
    pub to: Option<Picture>,
    /// The file to write, `-` for standard output [default: standard output]; a link or a device is written
    /// through, never replaced, and the input file is never overwritten.
    #[arg(short = 'o', long = "out", value_name = "FILE", value_parser = parse_output_path)]
    pub out: Option<PathBuf>,
    /// Draw the run with this program in --role (`logoff-sim conform`'s --cmd): how a failure it was found to
    /// have looks. SIGINT or SIGTERM ends it at once (exit 130), the program killed.
    #[arg(long, value_name = "PROGRAM ARGS", conflicts_with = "mutant")]
    pub cmd: Option<String>,
    /// With --cmd: the role the program plays.
    #[arg(long, requires = "cmd", default_value = "store", value_parser = PossibleValuesParser::new(sim::conform::ROLES))]
    pub role: String,
    /// With --cmd: how long the program may take to answer one message (milliseconds).
    #[arg(long, requires = "cmd", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=600_000))]
    pub timeout_ms: u64,
}

pub fn exec(args: Args) -> u8 {
    let Args { file, seed, profile, mutant, to, out, cmd, timeout_ms, role } = args;
    let cmd = cmd.map(|cmd| (cmd, std::time::Duration::from_millis(timeout_ms), role));
    render_command(file.as_deref(), seed, profile, mutant, to, out.as_deref(), cmd)
}

/// `logoff-sim render`: reads the run (a seed's, a script's or a seed file's), draws it, writes the picture.
fn render_command(
    file: Option<&Path>,
    seed: Option<u64>,
    profile: Option<Profile>,
    mutant: Option<Mutant>,
    to: Option<Picture>,
    out: Option<&Path>,
    cmd: Option<(String, std::time::Duration, String)>,
) -> u8 {
    let picture = match sim::render::picture_for(to, out) {
        Ok(picture) => picture,
        Err(e) => {
            err!("error: {e}");
            return 2;
        }
    };
    if profile.is_some() && seed.is_none() {
        err!("error: --profile is for --seed; a script or seed file names its own profile");
        return 2;
    }
    if let (Some(out), Some(file)) = (out, file) {
        if let Err(e) = sim::output::refuse_input("-o", out, &[file]) {
            err!("{e}");
            return 2;
        }
    }
    let (script, title) = match (seed, file) {
        (Some(seed), _) => {
            let mut config = Config::from_seed(seed, profile);
            config.mutant = mutant.unwrap_or(Mutant::None);
            let mut recorder = Recorder::new(&config, &format!("seed {seed}"));
            Simulator::new().run(&config, &mut recorder);
            (recorder.into_script(), format!("seed {seed}"))
        }
        (None, Some(path)) => match sim::seedfile::read_run(path, mutant) {
            Ok(read) => read,
            Err(e) => {
                err!("{e}");
                return 2;
            }
        },
        (None, None) => unreachable!("clap requires a file or --seed"),
    };
    let mut program_failed = None;
    let picture = match cmd {
        None => sim::render::render(&script, &title, picture),
        Some((cmd, timeout, role)) => {
            let mut program = match sim::conform::start_program(&cmd, timeout, &role) {
                Ok(program) => program,
                Err((code, e)) => {
                    err!("{e}");
                    return code;
                }
            };
            let played = match role.as_str() {
                "store" => "the store provider",
                "spooler" => "the spooler",
                _ => "every transport",
            };
            let title = format!("{title} with `{cmd}` as {played}");
            let mut played = program.played();
            let mut provider = played.provider();
            let picture = sim::render::render_with(&script, &title, picture, &mut provider);
            if sim::interrupt::requested() {
                err!("interrupted: nothing drawn");
                return sim::interrupt::EXIT_INTERRUPTED;
            }
            program_failed = provider.failure();
            picture
        }
    };
    match out {
        None => {
            write(Stream::Stdout, format_args!("{picture}"));
            program_failed.as_ref().map_or(0, |why| {
                err!("error: the program under test failed, so the run has no verdict (drawn up to that step): {why}");
                1
            })
        }
        Some(path) => match sim::output::write_file(path, &picture) {
            Ok(()) => {
                if path != Path::new("-") {
                    err!("wrote {}", path.display());
                }
                program_failed.as_ref().map_or(0, |why| {
                    err!("error: the program under test failed, so the run has no verdict (drawn up to that step): {why}");
                    1
                })
            }
            Err(e) => {
                err!("error: cannot write {}: {e}", path.display());
                2
            }
        },
    }
}
