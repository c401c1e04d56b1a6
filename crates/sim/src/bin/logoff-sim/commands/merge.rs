//! `logoff-sim merge`: the JSON summaries of a sweep's shards added up.

use std::path::PathBuf;

use sim::output::{write, Stream};
use sim::sweep::Report;
use sim::text::input_name;
use sim::text::plural;
use sim::{err, out};

use super::shared::Format;

#[derive(clap::Args)]
pub struct Args {
    /// The JSON summaries (`sweep --shard K/N --format json`), one for each shard.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// `text` for people, `json` for programs.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

pub fn exec(args: Args) -> u8 {
    merge_command(&args.files, args.format)
}

fn merge_command(files: &[PathBuf], format: Format) -> u8 {
    let mut documents = Vec::new();
    for path in files {
        match sim::shard::read_document(path) {
            Ok(document) => documents.push((input_name(path), document)),
            Err(e) => {
                err!("{e}");
                return 2;
            }
        }
    }
    let merged = match sim::shard::merge(&documents) {
        Ok(merged) => merged,
        Err(e) => {
            err!("error: {e}");
            return 2;
        }
    };
    let code = u8::from(merged.summary.failing_runs() > 0);
    if format == Format::Json {
        out!("{}", sim::documents::pretty(&merged));
        return code;
    }
    out!(
        "merge of {} seeds={}..{} profile={} mutant={}",
        plural(documents.len() as u64, "shard", "shards"),
        merged.seeds.start,
        merged.seeds.end,
        merged.profile.as_deref().map_or("drawn per seed".to_string(), |p| format!("'{p}'")),
        merged.mutant
    );
    for failure in &merged.failures {
        err!(
            "FAIL seed {} step {}: {} ({})\n  reproduce: {}\n  render: {}",
            failure.seed,
            failure.step,
            failure.invariant,
            failure.what,
            failure.reproduce,
            failure.render
        );
    }
    let elapsed = std::time::Duration::from_secs_f64(merged.seconds.max(0.0));
    let jobs = usize::try_from(merged.jobs).unwrap_or(usize::MAX);
    let seeds = merged.seeds.end - merged.seeds.start;
    write(Stream::Stdout, format_args!("{}", Report { summary: &merged.summary, seeds, elapsed, jobs }));
    code
}
