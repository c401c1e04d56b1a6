//! `logoff-sim replay`: seed files replayed, each checked against its `expect` line.

use std::path::{Path, PathBuf};

use sim::documents::{pretty, Replay, ReplayFile, SCHEMA_VERSION};
use sim::text::input_name;
use sim::{err, out};

use super::shared::{stdin_at_most_once, Format};

#[derive(clap::Args)]
pub struct Args {
    /// Seed files; `-` reads one from standard input.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// `text` for people, `json` for programs (one document for all the files, docs/JSON.md).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// No progress bar (it is drawn on standard error only when that is a terminal).
    #[arg(long)]
    pub quiet: bool,
}

pub fn exec(args: Args) -> u8 {
    let Args { files, quiet, format } = args;
    stdin_at_most_once(&files).map_or_else(|code| code, |()| replay(&files, quiet, format))
}

fn replay(files: &[PathBuf], quiet: bool, format: Format) -> u8 {
    let mut code = 0;
    let mut results = Vec::new();
    let bar = sim::output::progress(files.len() as u64, "files", quiet || files.len() < 2);
    for path in files {
        bar.inc(1);
        let name = input_name(path);
        let (status, what) = match sim::seedfile::read(path) {
            Err(e) => {
                err!("{e}");
                code = code.max(2);
                ("malformed", "the file cannot be read as a seed file (the message is on standard error)".to_string())
            }
            Ok(seed_file) => match seed_file.replay() {
                Ok(what) => {
                    if format == Format::Text {
                        out!("{name}: ok: {what}");
                    }
                    ("ok", what)
                }
                Err(what) => {
                    err!("{name}: FAILED: {what}");
                    err!("  rerun: {}", sim::failures::replay_command(Path::new(&name)));
                    code = code.max(1);
                    ("failed", what)
                }
            },
        };
        results.push(ReplayFile { file: name, status, what });
    }
    bar.finish_and_clear();
    if format == Format::Json {
        let document = Replay { command: "replay", exit_code: code, files: results, schema_version: SCHEMA_VERSION };
        out!("{}", pretty(&document));
    }
    code
}
