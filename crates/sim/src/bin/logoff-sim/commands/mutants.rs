//! `logoff-sim mutants`: every mutant hunted, shrunk and tabled.

use std::path::{Path, PathBuf};

use logoff_core::Mutant;
use sim::documents::{pretty, MutantRow, Mutants, Reference, SCHEMA_VERSION};
use sim::failures;
use sim::invariants::Invariant;
use sim::mutants::{hunt, reference, Table, HUNT_SEEDS_DEFAULT, SHRUNK_STEPS_MAX};
use sim::output::{write, Stream, COMMAND};
use sim::text::plural;
use sim::{err, out};

use super::shared::Format;

#[derive(clap::Args)]
pub struct Args {
    /// Seeds tried for each mutant (from 0).
    #[arg(long, default_value_t = HUNT_SEEDS_DEFAULT)]
    pub seeds: u64,
    /// Where the shrunk scripts are written, one `NAME.scn` a mutant.
    #[arg(long, value_name = "DIR", default_value = "target/mutants")]
    pub out: PathBuf,
    /// `text` for people, `json` for programs (one document, docs/JSON.md).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// No progress bar (it is drawn on standard error only when that is a terminal).
    #[arg(long)]
    pub quiet: bool,
}

pub fn exec(args: Args) -> u8 {
    let Args { seeds, out, format, quiet } = args;
    mutants_command(seeds, &out, format, quiet)
}

fn mutants_command(seeds: u64, out: &Path, format: Format, quiet: bool) -> u8 {
    if let Err(e) = std::fs::create_dir_all(out) {
        err!("error: cannot create {}: {e}", out.display());
        return 2;
    }
    let rows: Vec<(Mutant, Option<sim::mutants::Caught>)> = {
        let bar = sim::output::progress(Mutant::ALL.len() as u64, "mutants", quiet);
        let rows = Mutant::ALL
            .iter()
            .map(|mutant| {
                let caught = hunt(*mutant, 0..seeds);
                bar.inc(1);
                (*mutant, caught)
            })
            .collect();
        bar.finish_and_clear();
        rows
    };
    let mut code = 0;
    let mut entries = Vec::new();
    for (mutant, caught) in &rows {
        let path = out.join(failures::mutant_script_name(*mutant));
        match caught {
            Some(caught) => {
                if let Err(e) = sim::output::write_file(&path, &caught.scenario_text(&path.display().to_string())) {
                    err!("error: cannot write {}: {e}", path.display());
                    code = 2;
                }
                if caught.shrunk_steps() > SHRUNK_STEPS_MAX {
                    code = code.max(1);
                }
            }
            None => code = code.max(1),
        }
        let explored = caught.as_ref().and_then(|c| c.explored.as_ref());
        entries.push(MutantRow {
            caught: caught.is_some(),
            description: mutant.description(),
            explore_command: caught.as_ref().and_then(|c| c.explore_command()),
            explored_bound: explored.map(|(_, _, bound)| bound.short()),
            explored_invariant: explored.map(|(_, violation, _)| violation.invariant.name()),
            explored_steps: explored.map(|(script, _, _)| script.steps()),
            implementer: mutant.implementer().map(|who| who.name()),
            invariant: caught.as_ref().map(|c| c.invariant.name()),
            mutant: mutant.name(),
            render: caught.as_ref().map(|_| failures::script_render(*mutant, &path)),
            replay: caught.as_ref().map(|_| failures::script_replay(*mutant, &path)),
            requirements: caught.as_ref().map(|c| c.invariant.requirements()),
            script: caught.as_ref().map(|_| path.display().to_string()),
            seed: caught.as_ref().map(|c| c.seed),
            seeds_needed: caught.as_ref().map(|c| c.seeds_needed),
            shrunk_steps: caught.as_ref().map(|c| c.shrunk_steps()),
            steps_before: caught.as_ref().map(|c| c.steps_before),
        });
    }
    if format == Format::Text {
        write(Stream::Stdout, format_args!("{}", Table(&rows)));
    }
    let reference = reference(0..seeds, &|failure| {
        err!("the reference model broke {} at seed {}", failure.violation, failure.config.seed);
    });
    let reference_failing = match reference {
        Ok(summary) => {
            if format == Format::Text {
                out!(
                    "reference model on seeds 0..{seeds}: {}",
                    plural(summary.failing_runs(), "failing run", "failing runs")
                );
            }
            if summary.failing_runs() > 0 {
                code = code.max(1);
            }
            Some(summary.failing_runs())
        }
        Err(e) => {
            err!("error: {e}");
            code = 2;
            None
        }
    };
    let liveness_only =
        rows.iter().filter(|(_, caught)| caught.as_ref().is_some_and(|c| c.invariant == Invariant::Liveness)).count();
    if format == Format::Json {
        let document = Mutants {
            caught_by_liveness: liveness_only,
            command: "mutants",
            exit_code: code,
            mutants: entries,
            out: out.display().to_string(),
            reference: Reference { failing_runs: reference_failing, seeds },
            schema_version: SCHEMA_VERSION,
            seeds,
            shrunk_steps_max: SHRUNK_STEPS_MAX,
        };
        out!("{}", pretty(&document));
    } else {
        out!("mutants caught by liveness: {liveness_only}; shrunk scripts written to {}", out.display());
        out!("draw one: {COMMAND} render --mutant NAME {}/NAME.scn -o {}/NAME.html", out.display(), out.display());
    }
    code
}
