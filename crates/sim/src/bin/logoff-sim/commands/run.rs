//! `logoff-sim run`: one seed, its configuration, trace and hash.

use std::path::{Path, PathBuf};

use logoff_core::{Mutant, Profile};
use sim::failures;
use sim::output::{write, Stream};
use sim::script::Script;
use sim::seedfile::{script_of, Expected, SeedFile};
use sim::simulate::{Config, Simulator, FAULT_PHASE_TICKS, RUN_STEPS_MAX, RUN_TICKS_MAX};
use sim::trace::Trace;
use sim::{err, out};

use super::shared::{mutant_parser, not_stdout, parse_output_path, profile_help, Format};

#[derive(clap::Args)]
pub struct Args {
    /// The seed (0 to 2^64-1): it chooses the setup, the workload, the faults and, without --profile, the
    /// profile.
    #[arg(long)]
    pub seed: u64,
    #[arg(long, long_help = profile_help(), help = "The reading of the pages (knobs A1-A10); drawn by the seed without it")]
    pub profile: Option<Profile>,
    /// The mistake the model makes; `none` (the reference model) by default.
    #[arg(long, default_value = "none", value_parser = mutant_parser())]
    pub mutant: Mutant,
    /// `text` for people, `json` for programs: one document with the configuration, the trace and the verdict
    /// (docs/JSON.md).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// The same as `--format json`.
    #[arg(long)]
    pub json: bool,
    /// Also write the run as a scenario script that reproduces it.
    #[arg(long, value_name = "FILE", value_parser = parse_output_path)]
    pub emit_script: Option<PathBuf>,
    /// Also write the run as a seed file (for `sim-seeds/`), with `--why` saying why it is kept.
    #[arg(long, value_name = "FILE", requires = "why", value_parser = parse_output_path)]
    pub save_seed: Option<PathBuf>,
    /// Why the seed is kept: the `why` line of the seed file (one line of text, not empty).
    #[arg(long, requires = "save_seed", value_parser = parse_why)]
    pub why: Option<String>,
    /// Where a failing run is written as a seed file [default: $CARGO_TARGET_DIR/sim-failures, or
    /// target/sim-failures].
    #[arg(long, value_name = "DIR")]
    pub failures: Option<PathBuf>,
}

pub fn exec(args: Args) -> u8 {
    let Args { seed, profile, mutant, format, json, emit_script, save_seed, why, failures } = args;
    let json = json || format == Format::Json;
    let mut config = Config::from_seed(seed, profile);
    config.mutant = mutant;
    let save = save_seed.as_deref().zip(why.as_deref());
    let failures = failures.unwrap_or_else(failures::default_dir);
    let checked = not_stdout("--emit-script", emit_script.as_deref(), "the trace")
        .and_then(|()| not_stdout("--save-seed", save_seed.as_deref(), "the trace"))
        .and_then(|()| match (&emit_script, &save_seed) {
            (Some(a), Some(b)) if a == b || sim::output::same_file(a, b) => {
                err!("error: --emit-script and --save-seed name the same file {}; expected two", a.display());
                Err(2)
            }
            _ => Ok(()),
        });
    if let Err(code) = checked {
        return code;
    }
    run(&config, json, emit_script.as_deref(), save, &failures)
}

fn run(
    config: &Config,
    json: bool,
    emit_script: Option<&Path>,
    save_seed: Option<(&Path, &str)>,
    failures: &Path,
) -> u8 {
    let config = *config;
    let mut trace = Trace::default();
    let outcome = Simulator::new().run(&config, &mut trace);
    let mut code = 0;
    let reproduce = failures::reproduce(&config);
    if let Some((violation, _)) = outcome.violation {
        // Written before anything is reported, so that nothing found is lost.
        let written = failures::write(&config, violation, &reproduce, failures);
        match written {
            Ok(path) => err!("seed file: {} (replay: {})", path.display(), failures::replay_command(&path)),
            Err(e) => {
                err!("error: {e}; the failure was NOT kept on disk (the command below reproduces it)");
                code = 2;
            }
        }
    }
    if json {
        out!("{}", trace.json(&config, &outcome));
    } else {
        out!("seed={} profile='{}' mutant={}", config.seed, config.profile, config.mutant);
        out!("config {}", serde_json::to_string(&config).expect("a configuration always serialises"));
        out!(
            "limits fault_phase_ticks={FAULT_PHASE_TICKS} run_ticks_max={RUN_TICKS_MAX} run_steps_max={RUN_STEPS_MAX}"
        );
        write(Stream::Stdout, format_args!("{}", trace.text()));
        out!("steps={} ticks={} trace_hash={:016x}", outcome.steps, outcome.ticks, trace.hash());
    }
    // The run as a script, built once for both files (named after each).
    let script = (emit_script.is_some() || save_seed.is_some()).then(|| script_of(&config, &trace, ""));
    let named = |path: &Path| Script { file: path.display().to_string(), ..script.clone().expect("built when asked") };
    if let Some(path) = emit_script {
        if let Err(e) = sim::output::write_file(path, &named(path).to_string()) {
            err!("error: cannot write the script to {}: {e}", path.display());
            code = 2;
        }
    }
    if let Some((path, why)) = save_seed {
        let expect =
            outcome.violation.map_or(Expected::Clean, |(violation, _)| Expected::Violation(violation.invariant));
        let seed_file = failures::Origin::Kept { seed: config.seed, expect, why }.seed_file(named(path));
        if let Err(e) = seed_file.save(path) {
            err!("error: {e}");
            code = 2;
        }
    }
    match outcome.violation {
        None => {
            if !json {
                out!("clean");
            }
            code
        }
        Some((violation, step)) => {
            err!("violation at step {step}: {violation}");
            err!("reproduce: {reproduce}");
            err!("render: {}", failures::render_command(&config, failures));
            code.max(1)
        }
    }
}

/// `--why`: a reason that a seed file can hold and read back.
fn parse_why(why: &str) -> Result<String, String> {
    SeedFile::check_why(why).map(|()| why.to_string())
}
