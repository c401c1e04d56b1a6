//! `logoff-sim`: the command line of the simulator.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "logoff-sim", version, about = "Deterministic simulator of the MAPI store logoff protocol")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run scenario scripts (SPEC.md section 6). Exit 0: every expectation holds; 1: one fails or a step is not
    /// enabled; 2: a file is malformed. With several files, the largest of their exit codes.
    Script {
        /// The `.scn` files to run.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Script { files } => ExitCode::from(sim::script::run_files(&files)),
    }
}
