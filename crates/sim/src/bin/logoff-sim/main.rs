//! `logoff-sim`: the command line of the simulator. Exit codes: 0 clean, 1 a violation or a failed expectation,
//! 2 bad input (a malformed file or flag value) or an output that cannot be written, with a message naming what
//! was wrong; 141 when the reader of its output went away (see `sim::output`).
//!
//! This file installs the interrupt handler, parses the command line and hands it to the command's `exec` (one
//! file a command in `commands/`); what a command does beyond reading its options and printing lives in the
//! library, where a unit test can reach it.

use std::process::ExitCode;

use sim::output::{write, Stream};

mod commands;

fn main() -> ExitCode {
    sim::interrupt::install();
    let cli = match commands::parse_command_line() {
        Ok(cli) => cli,
        Err(code) => return ExitCode::from(code),
    };
    let Some(command) = cli.command else {
        write(Stream::Stdout, format_args!("{}", commands::GUIDE));
        return ExitCode::SUCCESS;
    };
    ExitCode::from(command.exec())
}
