//! The JSON that `logoff-sim` prints, through the binary: every command that prints JSON prints exactly one
//! document, with the fields and types docs/JSON.md documents, and the shape of each command's document (each
//! field's path and JSON type, not its values: times, rates and paths vary) is pinned by an insta snapshot, so
//! that a renamed, removed or retyped field shows as a diff. Review changes with `cargo insta review`, or rewrite
//! the snapshots with `INSTA_UPDATE=always cargo test -p sim --test json_schema`.
//!
//! A shape has one line per field path: `summary.runs: integer`, `failures[].seed: integer`,
//! `violation: null|object`. The elements of an array are merged under `[]`, object keys are sorted, integers
//! (`1`) are told from floats (`1.0`), and a key that some objects at a path lack has `absent` among its types.
//! A command's snapshot is the union over several runs of it (a clean run and a failing one, say), chosen so that
//! a field whose type varies with the run (`null` when clean, an object when failing) always shows every type.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Output;

use logoff_core::Mutant;
use serde_json::Value;
use sim::invariants::Invariant;
use sim::simulate::{Config, Simulator};
use sim::trace::Trace;

mod common;

/// How every reproduce, replay and render command the documents hold starts.
const COMMAND: &str = "cargo run -q --release -p sim --bin logoff-sim --";

/// A fresh, empty directory of this test run.
fn scratch(name: &str) -> PathBuf {
    common::scratch("json", name)
}

fn logoff_sim(directory: &Path, args: &[&str]) -> Output {
    common::logoff_sim_in(directory, args)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// One run of a command that prints JSON: its exit code, its standard error and its document.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    json: Value,
}

/// Runs the binary in `directory` with `args` and expects exactly one JSON document, an object, on standard output,
/// whatever the exit code (0, 1 or 2).
fn json_run_any(directory: &Path, args: &[&str]) -> Run {
    let output = logoff_sim(directory, args);
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    let code = output.status.code().unwrap_or_else(|| panic!("{args:?}: killed by a signal; stderr {stderr}"));
    assert!((0..=2).contains(&code), "{args:?}: exit code {code}: stdout {stdout}\nstderr {stderr}");
    // `from_str` refuses anything after the first document but white space.
    let json: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!("{args:?}: standard output is not exactly one JSON document ({e}):\n{stdout}\nstderr {stderr}")
    });
    assert!(json.is_object(), "{args:?}: the document is not an object: {stdout}");
    Run { code, stdout, stderr, json }
}

/// [`json_run_any`], expecting exit code `code`.
fn json_run(directory: &Path, args: &[&str], code: i32) -> Run {
    let run = json_run_any(directory, args);
    assert_eq!(run.code, code, "{args:?}: stdout {}\nstderr {}", run.stdout, run.stderr);
    run
}

// The shape of documents.

/// One step of a path into a document: an object's key, or the elements of an array.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Segment {
    Key(String),
    Elements,
}

/// The types a shape names, in the order it lists them.
const TYPES: [&str; 8] = ["absent", "null", "boolean", "integer", "float", "string", "array", "object"];

/// The JSON type of a value, as an index into [`TYPES`]; numbers are `integer` or `float` by how they are written.
fn type_of(value: &Value) -> usize {
    let name = match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_u64() || n.is_i64() => "integer",
        Value::Number(_) => "float",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    TYPES.iter().position(|t| *t == name).expect("a type of TYPES")
}

/// The paths of one or more documents with the types seen at each.
#[derive(Default)]
struct Shape {
    types: BTreeMap<Vec<Segment>, BTreeSet<usize>>,
    /// How many values were seen at each path: a key seen fewer times than objects at its parent is sometimes
    /// absent.
    seen: BTreeMap<Vec<Segment>, usize>,
    /// How many objects were seen at each path.
    objects: BTreeMap<Vec<Segment>, usize>,
}

impl Shape {
    fn add(&mut self, document: &Value) {
        self.walk(&mut Vec::new(), document);
    }

    fn walk(&mut self, path: &mut Vec<Segment>, value: &Value) {
        self.types.entry(path.clone()).or_default().insert(type_of(value));
        *self.seen.entry(path.clone()).or_default() += 1;
        match value {
            Value::Array(elements) => {
                path.push(Segment::Elements);
                for element in elements {
                    self.walk(path, element);
                }
                path.pop();
            }
            Value::Object(fields) => {
                *self.objects.entry(path.clone()).or_default() += 1;
                for (key, field) in fields {
                    path.push(Segment::Key(key.clone()));
                    self.walk(path, field);
                    path.pop();
                }
            }
            _ => {}
        }
    }

    /// One line a path, `path: type|type`, in the order of the paths (a field's own fields after it).
    fn text(&self) -> String {
        let absent = TYPES.iter().position(|t| *t == "absent").expect("absent is a type");
        let mut lines = String::new();
        for (path, types) in &self.types {
            let mut types = types.clone();
            if let Some((Segment::Key(_), parent)) = path.split_last() {
                if self.seen[path] < self.objects.get(parent).copied().unwrap_or(0) {
                    types.insert(absent);
                }
            }
            let names: Vec<&str> = types.iter().map(|t| TYPES[*t]).collect();
            lines.push_str(&format!("{}: {}\n", path_text(path), names.join("|")));
        }
        lines
    }
}

/// `summary.coverage.sometimes[]`; the document itself is `(document)`.
fn path_text(path: &[Segment]) -> String {
    if path.is_empty() {
        return "(document)".to_string();
    }
    let mut text = String::new();
    for segment in path {
        match segment {
            Segment::Key(key) if text.is_empty() => text.push_str(key),
            Segment::Key(key) => {
                text.push('.');
                text.push_str(key);
            }
            Segment::Elements => text.push_str("[]"),
        }
    }
    text
}

/// The shape of the documents of several runs of one command: the union of their paths and types.
fn shape<'a>(documents: impl IntoIterator<Item = &'a Value>) -> String {
    let mut shape = Shape::default();
    for document in documents {
        shape.add(document);
    }
    shape.text()
}

// Reading fields, each of the type the schema gives it.

fn field<'a>(document: &'a Value, pointer: &str) -> &'a Value {
    document.pointer(pointer).unwrap_or_else(|| panic!("no field {pointer} in {document:#}"))
}

fn integer(document: &Value, pointer: &str) -> u64 {
    let value = field(document, pointer);
    value.as_u64().unwrap_or_else(|| panic!("{pointer} is {value}; expected an integer"))
}

fn integer_or_null(document: &Value, pointer: &str) -> Option<u64> {
    let value = field(document, pointer);
    if value.is_null() {
        return None;
    }
    Some(value.as_u64().unwrap_or_else(|| panic!("{pointer} is {value}; expected an integer or null")))
}

fn float(document: &Value, pointer: &str) -> f64 {
    let value = field(document, pointer);
    assert!(value.is_f64(), "{pointer} is {value}; expected a float");
    value.as_f64().expect("a float")
}

fn string<'a>(document: &'a Value, pointer: &str) -> &'a str {
    let value = field(document, pointer);
    value.as_str().unwrap_or_else(|| panic!("{pointer} is {value}; expected a string"))
}

fn string_or_null<'a>(document: &'a Value, pointer: &str) -> Option<&'a str> {
    let value = field(document, pointer);
    if value.is_null() {
        return None;
    }
    Some(value.as_str().unwrap_or_else(|| panic!("{pointer} is {value}; expected a string or null")))
}

fn boolean(document: &Value, pointer: &str) -> bool {
    let value = field(document, pointer);
    value.as_bool().unwrap_or_else(|| panic!("{pointer} is {value}; expected true or false"))
}

fn array<'a>(document: &'a Value, pointer: &str) -> &'a Vec<Value> {
    let value = field(document, pointer);
    value.as_array().unwrap_or_else(|| panic!("{pointer} is {value}; expected an array"))
}

fn object<'a>(document: &'a Value, pointer: &str) -> &'a serde_json::Map<String, Value> {
    let value = field(document, pointer);
    value.as_object().unwrap_or_else(|| panic!("{pointer} is {value}; expected an object"))
}

fn null(document: &Value, pointer: &str) {
    let value = field(document, pointer);
    assert!(value.is_null(), "{pointer} is {value}; expected null");
}

/// Checks the fields every document has: `schema_version` 1, an integer, and `command`.
fn header(document: &Value, command: &str) {
    assert_eq!(integer(document, "/schema_version"), 1);
    assert_eq!(string(document, "/command"), command);
}

/// Checks `exit_code`, when the document has one, against the process's.
fn exit_code(run: &Run) {
    assert_eq!(integer(&run.json, "/exit_code"), run.code as u64, "the document's exit code is the process's");
}

/// The names of the invariants, in the order of `logoff-sim list invariants`.
fn invariant_names() -> Vec<&'static str> {
    Invariant::ALL.iter().map(|invariant| invariant.name()).collect()
}

/// Checks that a command names the binary and its subcommand: `cargo run ... -- run --seed 4 ...`.
fn command_line(line: &str, subcommand: &str) {
    let expected = format!("{COMMAND} {subcommand}");
    assert!(line.starts_with(&expected), "`{line}` does not start with `{expected}`");
}

// The commands.

/// Checks a document of `run --json`, `steps_run` and `ticks` included, and returns its `verdict`.
fn check_run(document: &Value, seed: u64, mutant: &str) -> String {
    header(document, "run");
    assert_eq!(integer(document, "/config/seed"), seed);
    assert_eq!(string(document, "/config/mutant"), mutant);
    object(document, "/config/profile");
    object(document, "/config/setup");
    assert!(!string(document, "/profile").is_empty());
    let hash = string(document, "/trace_hash");
    assert!(hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit()), "trace_hash {hash}");
    let steps = array(document, "/steps");
    let mut applied = 0;
    for (i, step) in steps.iter().enumerate() {
        integer(step, "/tick");
        assert!(!string(step, "/step").is_empty(), "step {i}");
        for effect in array(step, "/effects") {
            assert!(effect.is_string(), "step {i}: effect {effect}");
        }
        match step.get("rejected").expect("every step has `rejected`, null when applied") {
            serde_json::Value::Null => applied += 1,
            why => {
                assert!(why.is_string(), "step {i}: rejected {why}");
                assert!(array(step, "/effects").is_empty(), "step {i}: a rejected step has no effects");
            }
        }
    }
    assert_eq!(integer(document, "/steps_run"), applied, "steps_run counts the steps applied");
    integer(document, "/ticks");
    let verdict = string(document, "/verdict");
    match verdict {
        "clean" => null(document, "/violation"),
        "violation" => {
            assert!(invariant_names().contains(&string(document, "/violation/invariant")));
            assert!(string(document, "/violation/requirements").starts_with('R'));
            assert!(!string(document, "/violation/what").is_empty());
            let step = integer(document, "/violation/step");
            assert!((1..=applied).contains(&step), "violation at step {step} of {applied}");
        }
        other => panic!("verdict {other}; expected clean or violation"),
    }
    verdict.to_string()
}

/// The first clean seed of the reference model whose run has a step a client attempted that was not enabled, so
/// that the snapshot shows `steps[].rejected` whatever the generator draws.
fn seed_with_a_rejected_step() -> u64 {
    let mut simulator = Simulator::new();
    (0..10_000)
        .find(|seed| {
            let mut trace = Trace::default();
            let outcome = simulator.run(&Config::from_seed(*seed, None), &mut trace);
            outcome.violation.is_none() && trace.steps.iter().any(|step| step.result.is_err())
        })
        .expect("some seed below 10,000 has a rejected step")
}

/// Shows `run --format json` and its alias `run --json`: the same document, the trace hash the text prints, a run
/// with a rejected step, and a failing run with its violation (and its reproduce and render commands on standard
/// error, its seed file on disk).
#[test]
fn run_prints_one_document() {
    let directory = scratch("run");
    let format = json_run(&directory, &["run", "--seed", "14", "--format", "json"], 0);
    let alias = json_run(&directory, &["run", "--seed", "14", "--json"], 0);
    assert_eq!(format.stdout, alias.stdout, "--json is --format json");
    assert_eq!(check_run(&format.json, 14, "none"), "clean");
    let text_run = text(&logoff_sim(&directory, &["run", "--seed", "14"]).stdout);
    let hash = string(&format.json, "/trace_hash");
    assert!(text_run.contains(&format!("trace_hash={hash}\n")), "the text run has another hash than {hash}");

    let seed = seed_with_a_rejected_step();
    let rejected = json_run(&directory, &["run", "--seed", &seed.to_string(), "--json"], 0);
    assert_eq!(check_run(&rejected.json, seed, "none"), "clean");
    assert!(
        array(&rejected.json, "/steps").iter().any(|step| step.get("rejected").is_some()),
        "seed {seed} has a step that was not enabled"
    );

    let args = ["run", "--seed", "0", "--mutant", "transports-at-first-release", "--format", "json", "--failures", "f"];
    let failing = json_run(&directory, &args, 1);
    assert_eq!(check_run(&failing.json, 0, "transports-at-first-release"), "violation");
    assert!(
        failing.stderr.contains(&format!("reproduce: {COMMAND} run --seed 0 ")),
        "no reproduce command: {}",
        failing.stderr
    );
    assert!(failing.stderr.contains(&format!("render: {COMMAND} render --seed 0 ")), "{}", failing.stderr);
    let written = std::fs::read_dir(directory.join("f")).expect("the failing seed was written").count();
    assert_eq!(written, 1);

    insta::assert_snapshot!("run", shape([&format.json, &rejected.json, &failing.json]));
}

/// Checks a document of `sweep` or `merge` over `seeds`, and that its counts by name are those of its summary.
fn check_sweep(document: &Value, command: &str, seeds: (u64, u64), mutant: &str, profile: Option<&str>) {
    header(document, command);
    assert_eq!((integer(document, "/seeds/start"), integer(document, "/seeds/end")), seeds);
    let covered = (integer(document, "/covered/start"), integer(document, "/covered/end"));
    match document["shard"] {
        Value::Null => assert_eq!(covered, seeds, "a whole sweep covers its range"),
        _ => {
            assert_eq!(command, "sweep", "only a sweep's shard has a shard");
            assert!(integer(document, "/shard/index") < integer(document, "/shard/count"));
        }
    }
    assert!(array(document, "/remaining").is_empty(), "a finished sweep has no seeds left");
    match profile {
        None => null(document, "/profile"),
        Some(knobs) => {
            let profile = string(document, "/profile");
            assert!(profile.starts_with(knobs), "profile {profile}: every knob, those given first");
        }
    }
    assert_eq!(string(document, "/mutant"), mutant);
    assert_eq!(integer(document, "/summary/runs"), covered.1 - covered.0);
    integer(document, "/summary/steps");
    let names = invariant_names();
    let counts = array(document, "/summary/violations");
    let firsts = array(document, "/summary/first_failure");
    let by_name = array(document, "/violations");
    assert_eq!((counts.len(), firsts.len(), by_name.len()), (names.len(), names.len(), names.len()));
    for (i, name) in names.iter().enumerate() {
        let count = integer(document, &format!("/summary/violations/{i}"));
        let first = integer_or_null(document, &format!("/summary/first_failure/{i}"));
        let entry = &by_name[i];
        assert_eq!(string(entry, "/invariant"), *name, "violations are in the order of the invariants");
        assert!(string(entry, "/requirements").starts_with('R'), "{name}");
        assert_eq!(integer(entry, "/count"), count, "{name}");
        assert_eq!(integer_or_null(entry, "/first_seed"), first, "{name}");
        assert_eq!(count == 0, first.is_none(), "{name}: a first failing seed exactly when one failed");
    }
    for list in ["sometimes", "knob_values"] {
        for (i, _) in array(document, &format!("/summary/coverage/{list}")).iter().enumerate() {
            integer(document, &format!("/summary/coverage/{list}/{i}"));
        }
    }
    let show = integer(document, "/show");
    let failures = array(document, "/failures");
    let failing: u64 = (0..names.len()).map(|i| integer(document, &format!("/summary/violations/{i}"))).sum();
    assert_eq!(failures.len() as u64, failing.min(show), "the failing runs shown, at most show");
    let mut previous = None;
    for failure in failures {
        let seed = integer(failure, "/seed");
        assert!(previous < Some(seed), "failures are in seed order, each once");
        previous = Some(seed);
        integer(failure, "/step");
        let invariant = string(failure, "/invariant");
        let i = names.iter().position(|name| *name == invariant).expect("an invariant's name");
        assert!(integer(document, &format!("/summary/first_failure/{i}")) <= seed);
        assert!(!string(failure, "/what").is_empty());
        string_or_null(failure, "/seed_file");
        let reproduce = string(failure, "/reproduce");
        command_line(reproduce, &format!("run --seed {seed} "));
        assert!(reproduce.contains(&format!("--mutant {mutant}")), "{reproduce}");
        let render = string(failure, "/render");
        command_line(render, &format!("render --seed {seed} "));
        assert!(render.contains(&format!("--mutant {mutant}")), "{render}");
    }
    integer(document, "/jobs");
    assert!(float(document, "/seconds") >= 0.0);
}

/// Shows `sweep --format json`: a clean sweep, a sweep of a mutant whose failures are listed with their seed files
/// and their reproduce and render commands, a sweep under one profile, and the two shards of a sweep.
#[test]
fn sweep_prints_one_document() {
    let directory = scratch("sweep");
    let clean = json_run(&directory, &["sweep", "--seeds", "0..300", "--format", "json", "--quiet"], 0);
    check_sweep(&clean.json, "sweep", (0, 300), "none", None);
    assert_eq!(integer(&clean.json, "/show"), 20);
    assert_eq!(integer(&clean.json, "/jobs"), 2);
    assert!(array(&clean.json, "/failures").is_empty());

    let mutant = "transports-at-first-release";
    let args = ["sweep", "--seeds", "0..300", "--mutant", mutant, "--format", "json", "--quiet", "--failures", "f"];
    let failing = json_run(&directory, &args, 1);
    check_sweep(&failing.json, "sweep", (0, 300), mutant, None);
    let failures = array(&failing.json, "/failures");
    assert!(!failures.is_empty(), "the mutant breaks an invariant below seed 300");
    for failure in failures {
        let file = string_or_null(failure, "/seed_file").expect("each failing seed shown was written");
        assert!(file.starts_with("f/"), "{file} is in --failures");
        assert!(directory.join(file).is_file(), "{file} exists");
    }

    let knobs = "call_site=eager,orderly=drain";
    let args = ["sweep", "--seeds", "0..300", "--profile", knobs, "--format", "json", "--quiet", "--failures", "f"];
    let profiled = json_run_any(&directory, &args);
    check_sweep(&profiled.json, "sweep", (0, 300), "none", Some("call_site=eager orderly=drain "));

    let mut documents = vec![clean.json, failing.json, profiled.json];
    for (k, covered) in [(0, (0, 150)), (1, (150, 300))] {
        let shard = format!("{k}/2");
        let args = ["sweep", "--seeds", "0..300", "--shard", &shard, "--format", "json", "--quiet"];
        let part = json_run(&directory, &args, 0);
        check_sweep(&part.json, "sweep", (0, 300), "none", None);
        assert_eq!((integer(&part.json, "/shard/index"), integer(&part.json, "/shard/count")), (k, 2));
        assert_eq!((integer(&part.json, "/covered/start"), integer(&part.json, "/covered/end")), covered);
        documents.push(part.json);
    }
    insta::assert_snapshot!("sweep", shape(&documents));
}

/// Shows `merge --format json` of the two shards of a sweep (clean, of a mutant, under one profile): the document
/// of the whole sweep, whose summary, counts and failures are those one machine prints for the whole range (docs/JSON.md).
#[test]
fn merge_prints_the_whole_sweep() {
    let directory = scratch("merge");
    let mut documents = Vec::new();
    let runs = [("none", None, 0), ("transports-at-first-release", None, 1), ("none", Some("call_site=eager"), 0)];
    for (mutant, profile, code) in runs {
        let mut sweep =
            vec!["sweep", "--seeds", "0..300", "--mutant", mutant, "--format", "json", "--quiet", "--failures", "f"];
        if let Some(knobs) = profile {
            sweep.extend(["--profile", knobs]);
        }
        let whole = json_run(&directory, &sweep, code);
        check_sweep(&whole.json, "sweep", (0, 300), mutant, profile);
        let mut files = Vec::new();
        for k in 0..2 {
            let shard = format!("{k}/2");
            let mut args = sweep.to_vec();
            args.extend(["--shard", &shard]);
            let part = json_run_any(&directory, &args);
            check_sweep(&part.json, "sweep", (0, 300), mutant, profile);
            let failing = array(&part.json, "/violations").iter().any(|entry| integer(entry, "/count") > 0);
            assert_eq!(part.code, i32::from(failing), "a shard fails when one of its seeds does");
            let file = format!("{mutant}-{}-{k}.json", documents.len());
            std::fs::write(directory.join(&file), &part.stdout).expect("the shard's summary can be written");
            files.push(file);
        }
        let merged = json_run(&directory, &["merge", "--format", "json", &files[0], &files[1]], code);
        check_sweep(&merged.json, "merge", (0, 300), mutant, profile);
        null(&merged.json, "/shard");
        assert_eq!(integer(&merged.json, "/jobs"), 4, "a merge's jobs are the sum of its shards'");
        for same in ["/seeds", "/covered", "/profile", "/mutant", "/summary", "/violations", "/failures", "/show"] {
            assert_eq!(field(&merged.json, same), field(&whole.json, same), "{mutant}: {same}");
        }
        documents.push(merged.json);
    }
    insta::assert_snapshot!("merge", shape(&documents));
}

/// Checks a document of `replay` or `script`: its files in the order given, each with its status.
fn check_files(run: &Run, command: &str, names: &[&str], statuses: &[&str]) {
    header(&run.json, command);
    exit_code(run);
    let files = array(&run.json, "/files");
    assert_eq!(files.len(), names.len());
    for ((file, name), status) in files.iter().zip(names).zip(statuses) {
        assert_eq!(string(file, "/file"), *name, "the files in the order given");
        assert_eq!(string(file, "/status"), *status, "{name}");
    }
}

/// Shows `replay --format json`: checked-in seed files that replay as they expect, one whose expectation fails,
/// and one that is not a seed file.
#[test]
fn replay_prints_one_document() {
    let directory = scratch("replay");
    let seeds = common::workspace_dir("sim-seeds");
    for name in ["busy.seed", "mutant-logoff-loses-sending-message.seed"] {
        std::fs::copy(seeds.join(name), directory.join(name)).expect("the seed file can be copied");
    }
    let busy = std::fs::read_to_string(directory.join("busy.seed")).expect("busy.seed can be read");
    assert!(busy.contains("\nexpect clean\n"), "busy.seed expects a clean run");
    let broken = busy.replace("\nexpect clean\n", "\nexpect violation conservation\n");
    std::fs::write(directory.join("broken.seed"), broken).expect("the broken seed file can be written");
    std::fs::write(directory.join("garbage.seed"), "this is not a seed file\n").expect("it can be written");

    let names = ["busy.seed", "mutant-logoff-loses-sending-message.seed"];
    let ok = json_run(&directory, &["replay", "--format", "json", names[0], names[1]], 0);
    check_files(&ok, "replay", &names, &["ok", "ok"]);
    let failed = json_run(&directory, &["replay", "--format", "json", "broken.seed", "busy.seed"], 1);
    check_files(&failed, "replay", &["broken.seed", "busy.seed"], &["failed", "ok"]);
    let malformed = json_run(&directory, &["replay", "--format", "json", "garbage.seed", "broken.seed"], 2);
    check_files(&malformed, "replay", &["garbage.seed", "broken.seed"], &["malformed", "failed"]);
    for run in [&ok, &failed, &malformed] {
        for (i, _) in array(&run.json, "/files").iter().enumerate() {
            assert!(!string(&run.json, &format!("/files/{i}/what")).is_empty());
        }
    }
    assert!(failed.stderr.contains("broken.seed: FAILED"), "failures are also on standard error: {}", failed.stderr);
    insta::assert_snapshot!("replay", shape([&ok.json, &failed.json, &malformed.json]));
}

/// Checks one file of a `script` document: `steps` and `expectations` are integers exactly when it passed.
fn check_script_file(file: &Value, code: u64) {
    assert_eq!(integer(file, "/exit_code"), code);
    let passed = code == 0;
    assert_eq!(integer_or_null(file, "/steps").is_some(), passed, "{file}");
    assert_eq!(integer_or_null(file, "/expectations").is_some(), passed, "{file}");
    assert!(!string(file, "/message").is_empty());
}

/// Shows `script --format json`: a checked-in scenario that passes, the same under a mutant that breaks it, and a
/// file that is not a script.
#[test]
fn script_prints_one_document() {
    let directory = scratch("script");
    let name = "a2-orderly-keep.scn";
    std::fs::copy(common::workspace_dir("tests/scenarios").join(name), directory.join(name))
        .expect("the scenario can be copied");
    std::fs::write(directory.join("garbage.scn"), "this is not a script\n").expect("it can be written");

    let ok = json_run(&directory, &["script", "--format", "json", name], 0);
    check_files(&ok, "script", &[name], &["ok"]);
    assert_eq!(string(&ok.json, "/mutant"), "none");
    check_script_file(&array(&ok.json, "/files")[0], 0);
    let message = string(&ok.json, "/files/0/message");
    let (steps, expectations) = (integer(&ok.json, "/files/0/steps"), integer(&ok.json, "/files/0/expectations"));
    assert!(message.starts_with(&format!("{name}: ok ({steps} step")), "{message}");
    assert!(message.contains(&format!(", {expectations} expectation")), "{message}");

    let args = ["script", "--mutant", "orderly-starts-send", "--format", "json", name];
    let failed = json_run(&directory, &args, 1);
    check_files(&failed, "script", &[name], &["failed"]);
    assert_eq!(string(&failed.json, "/mutant"), "orderly-starts-send");
    check_script_file(&array(&failed.json, "/files")[0], 1);
    assert!(failed.stderr.contains(string(&failed.json, "/files/0/message")), "also on standard error");

    let malformed = json_run(&directory, &["script", "--format", "json", name, "garbage.scn"], 2);
    check_files(&malformed, "script", &[name, "garbage.scn"], &["ok", "malformed"]);
    check_script_file(&array(&malformed.json, "/files")[1], 2);
    insta::assert_snapshot!("script", shape([&ok.json, &failed.json, &malformed.json]));
}

/// Shows `shrink --format json`: a checked-in seed file of a mutant shrunk to a script written to `--out`, with the
/// commands that replay and draw it; and a seed file whose steps break nothing, which has nothing to shrink.
#[test]
fn shrink_prints_one_document() {
    let directory = scratch("shrink");
    let seeds = common::workspace_dir("sim-seeds");
    let input = seeds.join("mutant-logoff-loses-sending-message.seed");
    let input = input.to_str().expect("a UTF-8 path");
    let shrunk = json_run(&directory, &["shrink", "--format", "json", input, "--out", "shrunk.scn"], 0);
    let document = &shrunk.json;
    header(document, "shrink");
    exit_code(&shrunk);
    assert_eq!(string(document, "/input"), input);
    integer(document, "/seed");
    assert_eq!(string(document, "/mutant"), "logoff-loses-sending-message");
    assert!(invariant_names().contains(&string(document, "/invariant")));
    assert!(string(document, "/requirements").starts_with('R'));
    let (before, after) = (integer(document, "/steps_before"), integer(document, "/steps_after"));
    assert!(1 <= after && after <= before, "{before} steps shrunk to {after}");
    assert_eq!(string(document, "/out"), "shrunk.scn");
    let written = std::fs::read_to_string(directory.join("shrunk.scn")).expect("the shrunk script was written");
    assert!(written.ends_with(string(document, "/script")), "the script written is the document's");
    let replay = string(document, "/replay");
    command_line(replay, "script --mutant logoff-loses-sending-message shrunk.scn");
    command_line(string(document, "/render"), "render --mutant logoff-loses-sending-message shrunk.scn -o ");

    let busy = std::fs::read_to_string(seeds.join("busy.seed")).expect("busy.seed can be read");
    let clean = busy.replace("\nexpect clean\n", "\nexpect violation conservation\n");
    std::fs::write(directory.join("clean.seed"), clean).expect("the seed file can be written");
    let nothing = json_run(&directory, &["shrink", "--format", "json", "clean.seed", "--out", "clean.scn"], 1);
    header(&nothing.json, "shrink");
    exit_code(&nothing);
    assert_eq!(string(&nothing.json, "/invariant"), "conservation");
    for absent in ["/steps_after", "/out", "/script", "/replay", "/render"] {
        null(&nothing.json, absent);
    }
    assert!(!directory.join("clean.scn").exists(), "nothing written");
    insta::assert_snapshot!("shrink", shape([&shrunk.json, &nothing.json]));
}

/// Checks a document of `mutants --seeds SEEDS`: one entry a mutant, a caught one with its script written and the
/// commands that replay and draw it, an uncaught one with nulls.
fn check_mutants(run: &Run, seeds: u64, directory: &Path, out: &str) {
    let document = &run.json;
    header(document, "mutants");
    exit_code(run);
    assert_eq!(integer(document, "/seeds"), seeds);
    assert_eq!(string(document, "/out"), out);
    assert_eq!(integer(document, "/reference/seeds"), seeds);
    assert_eq!(integer_or_null(document, "/reference/failing_runs"), Some(0), "the reference model is clean");
    let most = integer(document, "/shrunk_steps_max");
    let entries = array(document, "/mutants");
    let names: Vec<&str> = Mutant::ALL.iter().map(|mutant| mutant.name()).collect();
    assert_eq!(entries.iter().map(|entry| string(entry, "/mutant")).collect::<Vec<_>>(), names);
    let mut liveness = 0;
    for entry in entries {
        let name = string(entry, "/mutant");
        string(entry, "/implementer");
        assert!(!string(entry, "/description").is_empty());
        let caught = boolean(entry, "/caught");
        let invariant = string_or_null(entry, "/invariant");
        assert_eq!(invariant.is_some(), caught, "{name}");
        liveness += u64::from(invariant == Some("liveness"));
        if caught {
            assert!(invariant_names().contains(&invariant.expect("caught")));
            string(entry, "/requirements");
            assert!(integer(entry, "/seed") < seeds, "{name}");
            assert!(integer(entry, "/seeds_needed") <= seeds, "{name}");
            assert!(integer(entry, "/shrunk_steps") <= integer(entry, "/steps_before"), "{name}");
            if run.code == 0 {
                assert!(integer(entry, "/shrunk_steps") <= most, "{name}");
            }
            let explored = integer_or_null(entry, "/explored_steps").is_some();
            assert_eq!(string_or_null(entry, "/explored_bound").is_some(), explored, "{name}");
            assert_eq!(string_or_null(entry, "/explored_invariant").is_some(), explored, "{name}");
            if let Some(command) = string_or_null(entry, "/explore_command") {
                command_line(command, "explore --clients ");
                assert!(command.ends_with(&format!(" --mutant {name}")), "{name}: {command}");
            }
            assert_eq!(string_or_null(entry, "/explore_command").is_some(), explored, "{name}");
            let script = string(entry, "/script");
            assert_eq!(script, format!("{out}/{name}.scn"), "{name}: the script is in --out");
            assert!(directory.join(script).is_file(), "{name}: {script} was written");
            command_line(string(entry, "/replay"), &format!("script --mutant {name} {script}"));
            command_line(string(entry, "/render"), &format!("render --mutant {name} {script} -o "));
        } else {
            for absent in ["/requirements", "/seed", "/seeds_needed", "/steps_before", "/shrunk_steps"] {
                null(entry, absent);
            }
            for absent in ["/explored_steps", "/explored_bound", "/explored_invariant", "/explore_command", "/script"] {
                null(entry, absent);
            }
            for absent in ["/replay", "/render"] {
                null(entry, absent);
            }
        }
    }
    assert_eq!(integer(document, "/caught_by_liveness"), liveness);
}

/// Shows `mutants --format json`: a hunt of 300 seeds a mutant, and of one seed, which catches only some mutants.
#[test]
fn mutants_prints_one_document() {
    let directory = scratch("mutants");
    let hunt = json_run_any(&directory, &["mutants", "--format", "json", "--seeds", "300", "--out", "m", "--quiet"]);
    check_mutants(&hunt, 300, &directory, "m");
    let short = json_run(&directory, &["mutants", "--format", "json", "--seeds", "1", "--out", "m1", "--quiet"], 1);
    check_mutants(&short, 1, &directory, "m1");
    let entries = array(&short.json, "/mutants");
    assert!(entries.iter().any(|entry| !boolean(entry, "/caught")), "one seed does not catch every mutant");
    assert!(entries.iter().any(|entry| boolean(entry, "/caught")), "seed 0 catches some mutant");
    insta::assert_snapshot!("mutants", shape([&hunt.json, &short.json]));
}

/// Checks a document of `explore` within the smallest bound.
fn check_explore(run: &Run, mutant: &str) {
    let document = &run.json;
    header(document, "explore");
    assert!(string(document, "/bound").starts_with("clients=1 transports=1 "), "{}", string(document, "/bound"));
    assert!(!string(document, "/profile").is_empty());
    assert_eq!(string(document, "/mutant"), mutant);
    assert!(!boolean(document, "/symmetry"));
    assert!(boolean(document, "/liveness"), "liveness is checked without --symmetry");
    assert!(integer(document, "/unique_states") > 0);
    assert!(integer(document, "/transitions") > 0);
    integer(document, "/depth");
    integer(document, "/blocked_states_checked");
    assert!(boolean(document, "/exhaustive"), "the bound is small");
    let violations = object(document, "/violations");
    let names: Vec<&str> = violations.keys().map(String::as_str).collect();
    let mut expected = invariant_names();
    expected.sort_unstable();
    assert_eq!(names, expected, "a count for each invariant");
    for name in &expected {
        integer(document, &format!("/violations/{name}"));
    }
    let counterexamples = array(document, "/counterexamples");
    let broken = violations.values().filter(|count| count.as_u64() != Some(0)).count();
    assert_eq!(counterexamples.len(), broken, "one counterexample for each invariant broken");
    assert_eq!(run.code, i32::from(broken > 0));
    for counterexample in counterexamples {
        let invariant = string(counterexample, "/invariant");
        assert_ne!(integer(document, &format!("/violations/{invariant}")), 0);
        assert!(!string(counterexample, "/what").is_empty());
        let steps = array(counterexample, "/steps");
        assert!(!steps.is_empty() && steps.iter().all(Value::is_string), "{steps:?}");
        let script = string(counterexample, "/script");
        assert!(script.starts_with("e/") && script.ends_with(".scn"), "{script} is in --out");
    }
    assert!(float(document, "/seconds") > 0.0);
    assert!(float(document, "/bytes_per_state") > 0.0);
}

/// Shows `explore --format json` and its alias `explore --json` within a small bound (the same document, time
/// aside), and a mutant's exploration with its counterexample.
#[test]
fn explore_prints_one_document() {
    let directory = scratch("explore");
    let bound = ["--clients", "1", "--transports", "1", "--messages", "1", "--other", "0", "--references", "1"];
    let run = |extra: &[&str], code: i32| {
        let mut args = vec!["explore"];
        args.extend(bound);
        args.extend(["--out", "e", "--quiet"]);
        args.extend(extra);
        json_run(&directory, &args, code)
    };
    let format = run(&["--format", "json"], 0);
    check_explore(&format, "none");
    let alias = run(&["--json"], 0);
    check_explore(&alias, "none");
    let without_time = |document: &Value| {
        let mut document = document.clone();
        document.as_object_mut().expect("an object").remove("seconds");
        document
    };
    assert_eq!(without_time(&format.json), without_time(&alias.json), "--json is --format json");

    let failing = run(&["--json", "--mutant", "invalid-flags-saved"], 1);
    check_explore(&failing, "invalid-flags-saved");
    for counterexample in array(&failing.json, "/counterexamples") {
        assert!(directory.join(string(counterexample, "/script")).is_file(), "the counterexample was written");
    }
    assert!(!array(&failing.json, "/counterexamples").is_empty());
    insta::assert_snapshot!("explore", shape([&format.json, &alias.json, &failing.json]));
}

// The shape function itself.

/// A document like a sweep's, for the tests of the shape.
fn example() -> Value {
    serde_json::json!({
        "schema_version": 1,
        "command": "sweep",
        "shard": null,
        "summary": { "runs": 300, "first_failure": [null, 4] },
        "failures": [
            { "seed": 4, "seed_file": "f/seed-4.seed", "reproduce": "cargo run" },
            { "seed": 7, "seed_file": null }
        ],
        "remaining": [],
        "seconds": 0.25
    })
}

/// Shows the shape's lines: sorted paths, arrays merged under `[]`, integers told from floats, unions, and a key
/// that some elements lack.
#[test]
fn the_shape_lists_each_path_with_its_types() {
    assert_eq!(
        shape([&example()]),
        "(document): object\n\
         command: string\n\
         failures: array\n\
         failures[]: object\n\
         failures[].reproduce: absent|string\n\
         failures[].seed: integer\n\
         failures[].seed_file: null|string\n\
         remaining: array\n\
         schema_version: integer\n\
         seconds: float\n\
         shard: null\n\
         summary: object\n\
         summary.first_failure: array\n\
         summary.first_failure[]: null|integer\n\
         summary.runs: integer\n"
    );
    let mut other = example();
    other["shard"] = serde_json::json!({ "index": 0, "count": 2 });
    let union = shape([&example(), &other]);
    assert!(union.contains("\nshard: null|object\nshard.count: integer\nshard.index: integer\n"), "{union}");
}

/// Shows that the check can fail: an integer turned into a string, an integer turned into a float, and a renamed
/// field each change the shape.
#[test]
fn the_shape_shows_a_changed_type_or_name() {
    let original = shape([&example()]);

    let mut retyped = example();
    retyped["summary"]["runs"] = Value::String("300".to_string());
    let changed = shape([&retyped]);
    assert_ne!(changed, original);
    assert!(changed.contains("\nsummary.runs: string\n"), "{changed}");

    let mut floated = example();
    floated["schema_version"] = serde_json::json!(1.0);
    assert!(shape([&floated]).contains("\nschema_version: float\n"));
    assert_ne!(shape([&floated]), original);

    let mut renamed = example();
    let failure = renamed["failures"][0].as_object_mut().expect("an object");
    let file = failure.remove("seed_file").expect("seed_file");
    failure.insert("seedfile".to_string(), file);
    let changed = shape([&renamed]);
    assert_ne!(changed, original);
    assert!(changed.contains("\nfailures[].seed_file: absent|null\n"), "{changed}");
    assert!(changed.contains("\nfailures[].seedfile: absent|string\n"), "{changed}");
}
