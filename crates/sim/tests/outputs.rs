//! Files the command writes (issue 14, items 1-3): never over what the user did not ask to replace, never over an
//! input, never a temporary file left behind, and default outputs under the target directory.

mod common;

use std::os::unix::fs::FileTypeExt;
use std::path::Path;
use std::process::{Command, Stdio};

use common::{logoff_sim_in, scratch, workspace_dir};

fn copy_seed(directory: &Path) {
    std::fs::copy(workspace_dir("sim-seeds/busy.seed"), directory.join("busy.seed")).expect("the seed file copies");
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Shows that an output naming the input is refused (exit 2) and the input is left as it was, for `render -o` and
/// `shrink --out`, also through a symbolic link to the input.
#[test]
fn an_input_is_never_overwritten() {
    let directory = scratch("outputs", "input");
    copy_seed(&directory);
    std::os::unix::fs::symlink("busy.seed", directory.join("alias.svg")).unwrap();
    let before = std::fs::read(directory.join("busy.seed")).unwrap();
    for args in [
        &["render", "busy.seed", "-o", "busy.seed", "--to", "svg"][..],
        &["render", "busy.seed", "-o", "alias.svg"][..],
        &["shrink", "busy.seed", "--out", "./busy.seed"][..],
    ] {
        let output = logoff_sim_in(&directory, args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", stderr(&output));
        assert!(stderr(&output).contains("is the input"), "{args:?}: {}", stderr(&output));
        assert_eq!(std::fs::read(directory.join("busy.seed")).unwrap(), before, "{args:?} changed the input");
    }
    assert!(std::fs::symlink_metadata(directory.join("alias.svg")).unwrap().file_type().is_symlink());
}

/// Shows that a symbolic link keeps its link (the target gets the picture), a dangling link gets its target
/// created, and a named pipe stays a pipe and receives the picture (as `/dev/null` or a terminal would).
#[test]
fn links_and_devices_are_written_through() {
    let directory = scratch("outputs", "through");
    copy_seed(&directory);
    std::os::unix::fs::symlink("real.svg", directory.join("link.svg")).unwrap();
    let output = logoff_sim_in(&directory, &["render", "busy.seed", "-o", "link.svg"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(std::fs::symlink_metadata(directory.join("link.svg")).unwrap().file_type().is_symlink());
    assert!(std::fs::read_to_string(directory.join("real.svg")).unwrap().starts_with("<svg"));
    // Written again: the link still a link, the target replaced whole.
    let output = logoff_sim_in(&directory, &["render", "busy.seed", "-o", "link.svg", "--to", "mermaid"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(std::fs::symlink_metadata(directory.join("link.svg")).unwrap().file_type().is_symlink());
    assert!(std::fs::read_to_string(directory.join("real.svg")).unwrap().contains("sequenceDiagram"));

    let fifo = directory.join("pipe.html");
    let status = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
    assert!(status.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).expect("the pipe can be read"))
    };
    let output = logoff_sim_in(&directory, &["render", "busy.seed", "-o", "pipe.html"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let received = reader.join().unwrap();
    assert!(received.contains("<html"), "the pipe received: {}", &received[..received.len().min(200)]);
    assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo(), "the pipe was replaced");
}

/// Shows that `-o -` and `-o /dev/stdout` write to standard output, and that `/dev/stdout` stays a link.
#[test]
fn standard_output_by_name() {
    let directory = scratch("outputs", "stdout");
    copy_seed(&directory);
    for out in ["-", "/dev/stdout"] {
        let output = logoff_sim_in(&directory, &["render", "busy.seed", "-o", out, "--to", "svg"]);
        assert_eq!(output.status.code(), Some(0), "-o {out}: {}", stderr(&output));
        assert!(String::from_utf8_lossy(&output.stdout).starts_with("<svg"), "-o {out}");
    }
    assert!(std::fs::symlink_metadata("/dev/stdout").unwrap().file_type().is_symlink());
    assert!(!directory.join("-").exists());
    // `run` prints its trace on standard output: a script or seed file there would mix with it.
    let output = logoff_sim_in(&directory, &["run", "--seed", "1", "--emit-script", "-"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    // `diff` prints its witness on standard output already: `--out -` would print it twice.
    let output = logoff_sim_in(&directory, &["diff", "--knob", "orderly", "--out", "-"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(output.stdout.is_empty());
}

/// `logoff-sim ARGS` in `directory` with a file-size limit of 1,000 bytes (SIGXFSZ ignored): a write past it fails
/// part way, as on a full disk.
fn run_with_a_full_disk(directory: &Path, args: &[&str]) -> std::process::Output {
    use std::os::unix::process::CommandExt;
    let mut command = Command::new(env!("CARGO_BIN_EXE_logoff-sim"));
    command.current_dir(directory).args(args);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(|| {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit { rlim_cur: 1_000, rlim_max: 1_000 };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    command.stdout(Stdio::null()).output().expect("logoff-sim runs")
}

fn names_in(directory: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(directory).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

/// Shows that a write that fails part way (here the file-size limit, as a full disk would) is exit 2 and leaves no
/// temporary file and no partial output behind; and that an existing file, named directly or through a symbolic
/// link, keeps its contents (a link's target is replaced whole, never truncated in place).
#[test]
fn a_failed_write_leaves_nothing_behind() {
    let directory = scratch("outputs", "full");
    copy_seed(&directory);
    let output = run_with_a_full_disk(&directory, &["render", "busy.seed", "-o", "page.html"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert_eq!(names_in(&directory), ["busy.seed"], "left behind");

    std::fs::write(directory.join("existing.html"), "hello").unwrap();
    std::os::unix::fs::symlink("existing.html", directory.join("link.html")).unwrap();
    for out in ["existing.html", "link.html"] {
        let output = run_with_a_full_disk(&directory, &["render", "busy.seed", "-o", out]);
        assert_eq!(output.status.code(), Some(2), "{out}: {}", stderr(&output));
        assert_eq!(std::fs::read_to_string(directory.join("existing.html")).unwrap(), "hello", "{out}");
        assert_eq!(names_in(&directory), ["busy.seed", "existing.html", "link.html"], "{out}: left behind");
    }
    assert!(std::fs::symlink_metadata(directory.join("link.html")).unwrap().file_type().is_symlink());
    // A dangling link whose target cannot be written whole: the target is not left half-written.
    std::os::unix::fs::symlink("absent.html", directory.join("dangling.html")).unwrap();
    let output = run_with_a_full_disk(&directory, &["render", "busy.seed", "-o", "dangling.html"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(!directory.join("absent.html").exists(), "a half-written target was left");
}

/// Shows that a sweep whose failures cannot be written says so plainly and exits 2, not 1 with "their seed files
/// in DIR"; and that `run` does the same.
#[test]
fn failures_not_kept_are_exit_2() {
    let directory = scratch("outputs", "unkept");
    copy_seed(&directory);
    let args = [
        "sweep",
        "--seeds",
        "0..200",
        "--mutant",
        "transports-at-first-release",
        "--failures",
        "busy.seed/under-a-file",
        "--quiet",
    ];
    let output = logoff_sim_in(&directory, &args);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(text.contains("could NOT be written") && text.contains("not kept"), "{text}");
    assert!(!text.contains("their seed files in"), "{text}");
    let output = logoff_sim_in(
        &directory,
        &["run", "--seed", "0", "--mutant", "transports-at-first-release", "--failures", "busy.seed/x"],
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("NOT kept"), "{}", stderr(&output));
}

/// Shows that the default outputs go under the target directory: the render command that `run` prints, and
/// `shrink` without `--out`; nothing is written where the command runs.
#[test]
fn default_outputs_go_under_target() {
    let directory = scratch("outputs", "defaults");
    copy_seed(&directory);
    let output = logoff_sim_in(&directory, &["run", "--seed", "0", "--mutant", "transports-at-first-release"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let render = stderr(&output).lines().find_map(|line| line.strip_prefix("render: ").map(str::to_string)).unwrap();
    assert!(render.contains(" -o target/sim-failures/seed-0-"), "{render}");
    std::fs::copy(workspace_dir("sim-seeds/mutant-logoff-loses-sending-message.seed"), directory.join("mutant.seed"))
        .unwrap();
    let output = logoff_sim_in(&directory, &["shrink", "mutant.seed"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(directory.join("target/sim-failures/mutant.shrunk.scn").is_file());
    let mut names: Vec<String> =
        std::fs::read_dir(&directory).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names, ["busy.seed", "mutant.seed", "target"]);
}
