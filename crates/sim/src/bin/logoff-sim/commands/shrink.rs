//! `logoff-sim shrink`: a failing seed file reduced to a short script.

use std::path::{Path, PathBuf};

use sim::failures;
use sim::output::{write, Stream, COMMAND};
use sim::seedfile::Expected;
use sim::text::plural;
use sim::{err, out};

use super::{input_name, parse_output_path, Format};

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
        None => {
            let stem = path.file_stem().map_or("shrunk".into(), |stem| stem.to_string_lossy());
            failures::default_dir().join(format!("{stem}.shrunk.scn"))
        }
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
    let document = |shrunk: Option<&sim::script::Script>, code: u8| {
        serde_json::json!({
            "schema_version": 1,
            "command": "shrink",
            "input": name,
            "seed": seed_file.seed,
            "mutant": seed_file.script.mutant.name(),
            "invariant": invariant.name(),
            "requirements": invariant.requirements(),
            "steps_before": before,
            "steps_after": shrunk.map(|s| s.steps()),
            "out": shrunk.map(|_| out.display().to_string()),
            "script": shrunk.map(|s| s.to_string()),
            "replay": shrunk.map(|s| format!("{COMMAND} script --mutant {} {}", s.mutant, out.display())),
            "render": shrunk.map(|s| format!(
                "{COMMAND} render --mutant {} {} -o {}",
                s.mutant,
                out.display(),
                out.with_extension("html").display()
            )),
            "exit_code": code,
        })
    };
    let Some(shrunk) = sim::shrink::shrink(&seed_file.script, invariant) else {
        err!("{name}: its steps do not break {invariant}: nothing to shrink");
        if format == Format::Json {
            out!("{}", serde_json::to_string_pretty(&document(None, 1)).expect("a result always serialises"));
        }
        return 1;
    };
    let text = format!(
        "# Shrunk by `logoff-sim shrink` from {name} (seed {}).\n# breaks: {invariant} ({})\n\
         # replay: {COMMAND} script --mutant {} {}\n# render: {COMMAND} render --mutant {} {} -o {}\n{shrunk}",
        seed_file.seed,
        invariant.requirements(),
        shrunk.mutant,
        out.display(),
        shrunk.mutant,
        out.display(),
        out.with_extension("html").display()
    );
    if let Err(e) = sim::output::write_file(&out, &text) {
        err!("error: cannot write {}: {e}", out.display());
        return 2;
    }
    if format == Format::Json {
        out!("{}", serde_json::to_string_pretty(&document(Some(&shrunk), 0)).expect("a result always serialises"));
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
