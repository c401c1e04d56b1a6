//! What the `logoff-sim` command writes to standard output and standard error, through [`out!`](crate::out) and
//! [`err!`](crate::err) rather than `println!`, which panics when its stream is closed or full.
//!
//! Decisions:
//! - Every write is flushed at once, so that a write error is seen where it happens (Rust ignores an error of the
//!   final flush at exit, which would make a full disk look like success).
//! - A closed pipe (`logoff-sim sweep ... | head -1`) ends the process quietly, with exit status 141, the status a
//!   shell reports for a Unix tool stopped by SIGPIPE: the reader wanted no more, and the command did not finish.
//! - Any other write error (a full disk, `>/dev/full`) is reported on standard error, if it can be, and the process
//!   exits with status 2.
//! - Ending the process at any point loses nothing: a regular file (or a new one) is written to a temporary name
//!   and renamed ([`write_file`]), so none is ever left half-written, and the temporary file is removed on every
//!   error (a full disk leaves nothing behind).
//! - What is not a regular file is written through, never replaced: a symbolic link keeps its link and its target
//!   gets the text, a device or pipe (`/dev/null`, `/dev/stdout`) is written to as it is, and `-` is standard
//!   output. A directory is an error.
//! - An output that is one of the command's inputs is refused ([`refuse_input`]), before anything is run.

use std::fmt;
use std::io::{self, Write};
use std::path::Path;

/// How the README runs the command from a fresh clone: every command the tool prints starts with it, so that it
/// runs as printed.
pub const COMMAND: &str = "cargo run -q --release -p sim --bin logoff-sim --";

/// The exit status after standard output or standard error was closed by its reader.
pub const EXIT_BROKEN_PIPE: i32 = 141;

/// Which stream a write goes to.
#[derive(Clone, Copy, Debug)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl fmt::Display for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stream::Stdout => "standard output",
            Stream::Stderr => "standard error",
        })
    }
}

/// Writes to a stream and flushes it; ends the process as the module says if that fails.
pub fn write(stream: Stream, arguments: fmt::Arguments<'_>) {
    let result = match stream {
        Stream::Stdout => {
            let mut handle = io::stdout().lock();
            handle.write_fmt(arguments).and_then(|()| handle.flush())
        }
        Stream::Stderr => {
            let mut handle = io::stderr().lock();
            handle.write_fmt(arguments).and_then(|()| handle.flush())
        }
    };
    if let Err(error) = result {
        end(stream, &error);
    }
}

/// Ends the process after a write error on `stream`.
fn end(stream: Stream, error: &io::Error) -> ! {
    if error.kind() == io::ErrorKind::BrokenPipe {
        std::process::exit(EXIT_BROKEN_PIPE);
    }
    if let Stream::Stdout = stream {
        // Best effort: standard error may be the stream that is full.
        let _ = writeln!(io::stderr(), "error: cannot write to {stream}: {error}");
    }
    std::process::exit(2);
}

/// A progress bar on standard error, with rate and time left: drawn only when standard error is a terminal and
/// `quiet` is false, hidden otherwise. It never writes to standard output, and draws at most a few times a second.
pub fn progress(length: u64, unit: &str, quiet: bool) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if quiet || !io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(length);
    let template = format!("{{bar:40}} {{pos}}/{{len}} {unit} {{per_sec}} ETA {{eta}}");
    if let Ok(style) = indicatif::ProgressStyle::with_template(&template) {
        bar.set_style(style);
    }
    bar
}

/// Writes `contents` to the file `path` as the module says: `-` is standard output; a symbolic link keeps its link
/// (a link to a regular file has its target replaced whole, as a regular file is; a link into /proc, such as
/// /dev/stdout, and a link to a device or pipe are written through; a dangling link gets its target created); an
/// existing file that is not a regular file (a device, a pipe) is written through, so that it stays what it is; a
/// regular file or a new path is written whole or not at all, through a temporary file in the same directory and a
/// rename, and no temporary file is left behind by an error.
pub fn write_file(path: &Path, contents: &str) -> io::Result<()> {
    if path == Path::new("-") {
        // As every write to standard output: a closed pipe ends the process with 141, a full one with 2.
        write(Stream::Stdout, format_args!("{contents}"));
        return Ok(());
    }
    let metadata = match std::fs::symlink_metadata(path) {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return replace_whole(path, contents),
        Err(e) => return Err(e),
    };
    if metadata.is_dir() {
        return Err(io::Error::new(io::ErrorKind::IsADirectory, "it is a directory; expected a file"));
    }
    if metadata.is_file() {
        return replace_whole(path, contents);
    }
    if !metadata.file_type().is_symlink() {
        // A device, a pipe or a socket: written through, never replaced.
        return write_through(path, contents, false);
    }
    let into_proc = std::fs::read_link(path).is_ok_and(|target| target.starts_with("/proc"));
    match std::fs::metadata(path) {
        Ok(target) if target.is_dir() => {
            Err(io::Error::new(io::ErrorKind::IsADirectory, "it links to a directory; expected a file"))
        }
        // A link to a regular file: its target replaced whole, the link kept.
        Ok(target) if target.is_file() && !into_proc => replace_whole(&std::fs::canonicalize(path)?, contents),
        Ok(_) => write_through(path, contents, false),
        // A dangling link: its target is created, and removed again if the write fails.
        Err(e) if e.kind() == io::ErrorKind::NotFound => write_through(path, contents, true),
        Err(e) => Err(e),
    }
}

/// Writes through `path` (opening it, following links); `created` says the file did not exist, so that it is
/// removed again if the write fails.
fn write_through(path: &Path, contents: &str, created: bool) -> io::Result<()> {
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create(created)
        .truncate(true)
        .open(path)
        .and_then(|mut file| file.write_all(contents.as_bytes()).and_then(|()| file.flush()));
    if written.is_err() && created {
        let _ = std::fs::remove_file(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()));
    }
    written
}

/// Replaces the regular file `path` (or creates it) whole: a temporary file in the same directory, then a rename.
fn replace_whole(path: &Path, contents: &str) -> io::Result<()> {
    let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    let temporary = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temporary)
        .and_then(|mut file| file.write_all(contents.as_bytes()))
        .and_then(|()| std::fs::rename(&temporary, path));
    if written.is_err() {
        // Whatever failed (a full disk, a rename across devices), no temporary file stays.
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

/// Whether two paths name the same existing file (after symbolic links): the same device and inode.
pub fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
    }
}

/// Refuses an output that is one of the inputs (or standard output twice): `Err` names both, for exit code 2.
/// `-` as an input is standard input, never the same as an output.
pub fn refuse_input(option: &str, output: &Path, inputs: &[&Path]) -> Result<(), String> {
    if output == Path::new("-") {
        return Ok(());
    }
    match inputs.iter().find(|input| **input != Path::new("-") && same_file(output, input)) {
        Some(input) => Err(format!(
            "error: {option} {} is the input {}; expected another path (an input is never overwritten)",
            output.display(),
            input.display()
        )),
        None => Ok(()),
    }
}

/// `println!` to standard output, ending the process cleanly if it is closed or full.
#[macro_export]
macro_rules! out {
    () => { $crate::output::write($crate::output::Stream::Stdout, format_args!("\n")) };
    ($($argument:tt)*) => {
        $crate::output::write($crate::output::Stream::Stdout, format_args!("{}\n", format_args!($($argument)*)))
    };
}

/// `eprintln!` to standard error, ending the process cleanly if it is closed or full.
#[macro_export]
macro_rules! err {
    ($($argument:tt)*) => {
        $crate::output::write($crate::output::Stream::Stderr, format_args!("{}\n", format_args!($($argument)*)))
    };
}
