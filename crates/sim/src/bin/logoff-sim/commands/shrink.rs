//! `logoff-sim shrink`: a failing seed file reduced to a short script.

use std::path::{Path, PathBuf};

use sim::documents::{pretty, Shrink, SCHEMA_VERSION};
use sim::failures;
use sim::output::{write, Stream};
use sim::seedfile::Expected;
use sim::text::input_name;
use sim::text::plural;
use sim::{err, out};

use super::shared::{parse_output_path, Format};

#[derive(clap::Args)]
pub struct Args {
    /// A seed file whose `expect violation NAME` line names the invariant to keep breaking.
    pub seed_file: PathBuf,
    /// Where to write the shrunk script, `-` for standard output [default: the seed file's name with
    /// `.shrunk.scn` in $CARGO_TARGET_DIR/sim-failures, or target/sim-failures]; never the seed file itself.
    #[arg(long, value_name = "FILE", value_parser = parse_output_path)]
    pub out: Option<PathBuf>,
    /// `text` for people, `json` for programs (one document, docs/JSON.md).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

pub fn exec(args: Args) -> u8 {
    let Args { seed_file, out, format } = args;
    shrink_command(&seed_file, out, format)
}

fn shrink_command(path: &Path, out: Option<PathBuf>, format: Format) -> u8 {
    let name = input_name(path);
    let out = match out {
        Some(out) => out,
        None if path == Path::new("-") => {
            err!("error: reading the seed file from standard input; expected --out FILE for the shrunk script");
            return 2;
        }
        None => failures::default_dir().join(failures::shrunk_name(path)),
    };
    if let Err(e) = sim::output::refuse_input("--out", &out, &[path]) {
        err!("{e}");
        return 2;
    }
    let to_stdout = out == Path::new("-");
    if to_stdout && format == Format::Json {
        err!("error: --out - with --format json: standard output carries the JSON document; expected a file");
        return 2;
    }
    let seed_file = match sim::seedfile::read(path) {
        Ok(seed_file) => seed_file,
        Err(e) => {
            err!("{e}");
            return 2;
        }
    };
    let Expected::Violation(invariant) = seed_file.expect else {
        err!("{name}: error: the seed file expects a clean run; expected `expect violation NAME` to shrink");
        return 2;
    };
    let before = sim::shrink::applied_steps(&seed_file.script).len() as u64;
    let document = |shrunk: Option<&sim::script::Script>, exit_code: u8| Shrink {
        command: "shrink",
        exit_code,
        input: name.clone(),
        invariant: invariant.name(),
        mutant: seed_file.script.mutant.name(),
        out: shrunk.map(|_| out.display().to_string()),
        render: shrunk.map(|s| failures::script_render(s.mutant, &out)),
        replay: shrunk.map(|s| failures::script_replay(s.mutant, &out)),
        requirements: invariant.requirements(),
        schema_version: SCHEMA_VERSION,
        script: shrunk.map(|s| s.to_string()),
        seed: seed_file.seed,
        steps_after: shrunk.map(|s| s.steps()),
        steps_before: before,
    };
    let Some(shrunk) = sim::shrink::shrink(&seed_file.script, invariant) else {
        err!("{name}: its steps do not break {invariant}: nothing to shrink");
        if format == Format::Json {
            out!("{}", pretty(&document(None, 1)));
        }
        return 1;
    };
    let title = format!("Shrunk by `logoff-sim shrink` from {name} (seed {}).", seed_file.seed);
    let text = format!("{}{shrunk}", failures::script_header(&title, &[], invariant, shrunk.mutant, &out, true));
    if let Err(e) = sim::output::write_file(&out, &text) {
        err!("error: cannot write {}: {e}", out.display());
        return 2;
    }
    if format == Format::Json {
        out!("{}", pretty(&document(Some(&shrunk), 0)));
    } else {
        // With `--out -` the script is standard output, and this line goes to standard error.
        let stream = if to_stdout { Stream::Stderr } else { Stream::Stdout };
        write(
            stream,
            format_args!(
                "{} -> {}, breaking {invariant}: {}\n",
                plural(before, "step", "steps"),
                plural(shrunk.steps() as u64, "step", "steps"),
                if to_stdout { "standard output".to_string() } else { out.display().to_string() }
            ),
        );
    }
    0
}
