//! Replays every seed file of `sim-seeds/` and checks that each ends as its `expect` line says.

use std::path::{Path, PathBuf};

mod common;

use sim::seedfile::SeedFile;

/// The command that replays just this seed file, from the workspace root.
fn rerun(path: &Path) -> String {
    let relative = path.strip_prefix(common::workspace_dir("")).unwrap_or(path);
    format!("{} replay {}", sim::output::COMMAND, relative.display())
}

fn corpus() -> Vec<PathBuf> {
    common::files("sim-seeds", "seed")
}

/// Shows that every checked-in seed replays to its expected outcome.
#[test]
fn every_seed_file_replays_as_expected() {
    let files = corpus();
    assert!(files.len() >= 16, "the corpus has only {} seed files", files.len());
    let mut failures = Vec::new();
    for path in &files {
        let source = std::fs::read(path).expect("a readable seed file");
        match SeedFile::parse(&source, &path.display().to_string()) {
            Ok(seed_file) => {
                if let Err(what) = seed_file.replay() {
                    failures.push(format!("{}: {what}\n  rerun: {}", path.display(), rerun(path)));
                }
            }
            Err(e) => failures.push(format!("{e}\n  rerun: {}", rerun(path))),
        }
    }
    assert!(failures.is_empty(), "seed files that did not replay as expected:\n{}", failures.join("\n"));
}

/// Shows that a replay notices a changed outcome: a seed file whose last expectation is altered fails.
#[test]
fn a_seed_file_with_a_changed_expectation_fails() {
    let path = corpus().into_iter().next().expect("at least one seed file");
    let text = std::fs::read_to_string(&path).unwrap();
    let altered = text.replacen("expect store destroyed", "expect store open", 1);
    assert_ne!(altered, text, "the first seed file ends with its store destroyed");
    let seed_file = SeedFile::parse(altered.as_bytes(), "altered.seed").unwrap();
    let error = seed_file.replay().unwrap_err();
    assert!(error.contains("expected a clean run") && error.contains("found"), "{error}");
}

/// Shows that malformed seed files are errors naming the file, the line and what was expected.
#[test]
fn malformed_seed_files_name_the_line() {
    let cases: [(&str, &str); 7] = [
        ("format 2\nseed 1\nexpect clean\nwhy x\n---\n", "x.seed:1: error: format 2 is not supported"),
        ("format 1\nseed -1\n", "x.seed:2: error: seed `-1` is not a number"),
        ("format 1\nseed 1\nexpect dirty\n", "x.seed:3: error: `expect dirty` is not an outcome"),
        ("format 1\nseed 1\nexpect clean\nwhy x\ncolour blue\n---\n", "x.seed:5: error: unknown key `colour`"),
        ("format 1\nseed 1\nexpect clean\n", "x.seed:3: error: no `---` line"),
        ("format 1\nexpect clean\nwhy x\n---\n", "x.seed:4: error: the header has no `seed` line"),
        ("format 1\nseed 1\nexpect clean\nwhy x\n---\nc0 frobnicate\n", "x.seed:6:4: error: "),
    ];
    for (source, expected) in cases {
        let error = SeedFile::parse(source.as_bytes(), "x.seed").unwrap_err().to_string();
        assert!(error.starts_with(expected), "{source:?}: got {error:?}, expected it to start with {expected:?}");
    }
    let error = SeedFile::parse(b"format 1\nseed \xff\n", "x.seed").unwrap_err().to_string();
    assert!(error.starts_with("x.seed:2:6: error: this line is not valid UTF-8"), "{error}");
}

/// Shows that a header key given twice is refused at its second line, whichever key it is, rather than the last
/// one winning (issue 7, item 4): `expect violation liveness` then `expect clean` used to replay as clean.
#[test]
fn repeated_header_keys_are_refused() {
    let header = ["format 1", "seed 1", "mutant none", "expect violation liveness", "why x"];
    for (i, repeated) in header.iter().enumerate() {
        let mut lines: Vec<&str> = header.to_vec();
        let second = if i == 3 { "expect clean" } else { repeated };
        lines.push(second);
        let source = format!("{}\n---\nc0 release\n", lines.join("\n"));
        let error = SeedFile::parse(source.as_bytes(), "x.seed").unwrap_err().to_string();
        let key = repeated.split(' ').next().unwrap();
        let expected = format!("x.seed:6: error: `{key}` repeated (first at line {}); expected each key once", i + 1);
        assert_eq!(error, expected);
    }
}

/// Shows that a seed file is read with the script's line rules (issue 7, item 1): a CR-only file, a form feed, and
/// a file without steps are each refused naming the line, and a CRLF file with a byte-order mark reads as LF.
#[test]
fn seed_files_follow_the_line_rules() {
    let good = "format 1\nseed 1\nexpect clean\nwhy x\n---\nc0 release\n";
    let parsed = SeedFile::parse(good.as_bytes(), "x.seed").unwrap();
    let crlf = format!("\u{feff}{}", good.replace('\n', "\r\n"));
    assert_eq!(SeedFile::parse(crlf.as_bytes(), "x.seed").unwrap().to_string(), parsed.to_string());
    let cr_only = good.replace('\n', "\r");
    let error = SeedFile::parse(cr_only.as_bytes(), "x.seed").unwrap_err().to_string();
    assert!(error.starts_with("x.seed:1:9: error: control character U+000D"), "{error}");
    let form_feed = good.replace("c0 release", "c0 release\u{c}");
    let error = SeedFile::parse(form_feed.as_bytes(), "x.seed").unwrap_err().to_string();
    assert!(error.starts_with("x.seed:6:11: error: control character U+000C"), "{error}");
    let no_steps = "format 1\nseed 1\nexpect clean\nwhy x\n---\n# nothing\n";
    let error = SeedFile::parse(no_steps.as_bytes(), "x.seed").unwrap_err().to_string();
    assert!(error.starts_with("x.seed:6:1: error: the script has no step"), "{error}");
}
