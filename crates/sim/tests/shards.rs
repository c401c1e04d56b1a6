//! Sweeps spread over many machines (`sweep --shard K/N --format json`, then `merge`): four shards run as separate
//! processes add up to exactly the summary of the whole range run at once, and a merge refuses anything that is not
//! every shard of one sweep exactly once.

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_logoff-sim");

/// A fresh directory of this test.
fn directory(name: &str) -> PathBuf {
    let directory = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("shards-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&directory);
    std::fs::create_dir_all(&directory).unwrap();
    directory
}

/// Runs the binary in `directory`, returning its exit code and standard output.
fn run(directory: &Path, args: &[&str]) -> (i32, String) {
    let output = Command::new(BIN)
        .current_dir(directory)
        .env_remove("CARGO_TARGET_DIR")
        .args(args)
        .output()
        .expect("logoff-sim runs");
    (output.status.code().unwrap_or(-1), String::from_utf8_lossy(&output.stdout).into_owned())
}

/// A document without what differs from machine to machine or between a sweep and a merge.
fn comparable(json: &str) -> serde_json::Value {
    let mut value: serde_json::Value = serde_json::from_str(json).expect("one JSON document");
    for field in ["seconds", "jobs", "command", "shard"] {
        value.as_object_mut().unwrap().remove(field);
    }
    value
}

/// Shows that four shards, each its own process, merge into the summary of the whole range: the same counts,
/// violations, first failing seeds, coverage and failures shown; and that the shards are disjoint and cover it.
#[test]
fn four_shards_merge_into_the_whole() {
    let directory = directory("whole");
    let sweep = ["sweep", "--seeds", "0..4000", "--mutant", "transports-at-first-release", "--format", "json"];
    let mut files = Vec::new();
    let mut covered = Vec::new();
    for k in 0..4 {
        let shard = format!("{k}/4");
        let (code, json) = run(&directory, &[&sweep[..], &["--shard", &shard]].concat());
        assert_eq!(code, 1, "the mutant fails in every shard");
        let document: serde_json::Value = serde_json::from_str(&json).unwrap();
        covered.push((document["covered"]["start"].as_u64().unwrap(), document["covered"]["end"].as_u64().unwrap()));
        let file = format!("shard-{k}.json");
        std::fs::write(directory.join(&file), json).unwrap();
        files.push(file);
    }
    assert_eq!(covered, vec![(0, 1000), (1000, 2000), (2000, 3000), (3000, 4000)]);
    let (_, whole) = run(&directory, &sweep);
    let (code, merged) = run(
        &directory,
        &[&["merge", "--format", "json"][..], &files.iter().map(String::as_str).collect::<Vec<_>>()].concat(),
    );
    assert_eq!(code, 1);
    assert_eq!(comparable(&merged), comparable(&whole));
    assert!(comparable(&whole)["summary"]["runs"] == 4000);
}

/// Shows that a merge refuses a missing shard, a shard given twice, and a shard of another sweep, with exit 2.
#[test]
fn a_merge_needs_every_shard_of_one_sweep_once() {
    let directory = directory("refusals");
    let shard = |k: u64, seeds: &str| {
        let (_, json) = run(&directory, &["sweep", "--seeds", seeds, "--shard", &format!("{k}/2"), "--format", "json"]);
        let file = format!("{seeds}-{k}.json");
        std::fs::write(directory.join(&file), json).unwrap();
        file
    };
    let (a0, a1, b1) = (shard(0, "0..100"), shard(1, "0..100"), shard(1, "0..200"));
    assert_eq!(run(&directory, &["merge", &a0, &a1]).0, 0);
    for files in [vec![&a0], vec![&a0, &a0, &a1], vec![&a0, &b1]] {
        let (code, _) =
            run(&directory, &[&["merge"][..], &files.iter().map(|f| f.as_str()).collect::<Vec<_>>()].concat());
        assert_eq!(code, 2, "{files:?}");
    }
}

/// Shows `--shard-from-env` reading the index of each job system the deploy files use (`deploy/`): Kubernetes'
/// JOB_COMPLETION_INDEX, Slurm's SLURM_ARRAY_TASK_ID, and LOGOFF_SIM_SHARD for a GitHub Actions matrix; and an
/// error (exit 2) when none is set.
#[test]
fn the_shard_index_comes_from_the_job_system() {
    let directory = directory("env");
    for variable in ["JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID", "LOGOFF_SIM_SHARD"] {
        let output = Command::new(BIN)
            .current_dir(&directory)
            .env_remove("JOB_COMPLETION_INDEX")
            .env_remove("SLURM_ARRAY_TASK_ID")
            .env_remove("LOGOFF_SIM_SHARD")
            .env(variable, "3")
            .args(["sweep", "--seeds", "0..160", "--shard-from-env", "16", "--format", "json"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{variable}");
        let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!((document["covered"]["start"].as_u64(), document["covered"]["end"].as_u64()), (Some(30), Some(40)));
    }
    let output = Command::new(BIN)
        .current_dir(&directory)
        .env_remove("JOB_COMPLETION_INDEX")
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("LOGOFF_SIM_SHARD")
        .args(["sweep", "--seeds", "0..160", "--shard-from-env", "16"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

/// Shows that an interrupted sweep loses nothing and can go on (issue 9, item 5): SIGINT sent to a real sweep stops
/// it with exit 130 and writes its partial summary, whose seeds not run are listed; `sweep --resume` runs them, and
/// its summary equals that of the whole range run without interruption.
#[test]
fn an_interrupted_sweep_goes_on_where_it_stopped() {
    let directory = directory("interrupt");
    let mutant = "transports-at-first-release";
    let args = ["sweep", "--seeds", "0..600000", "--mutant", mutant, "--format", "json", "--failures", "f"];
    let child = Command::new(BIN)
        .current_dir(&directory)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("logoff-sim runs");
    std::thread::sleep(std::time::Duration::from_millis(300));
    interrupt(child.id());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(130), "{}", String::from_utf8_lossy(&output.stderr));
    let partial: serde_json::Value = serde_json::from_slice(&output.stdout).expect("the partial summary");
    assert!(!partial["remaining"].as_array().unwrap().is_empty(), "seeds were left");
    let runs = partial["summary"]["runs"].as_u64().unwrap();
    assert!(runs < 600_000);
    let saved = format!("f/sweep-0-600000-interrupted-after-{runs}.json");
    assert!(directory.join(&saved).exists(), "the partial summary is on disk");
    let (code, resumed) = run(&directory, &["sweep", "--resume", &saved, "--format", "json", "--failures", "f"]);
    assert_eq!(code, 1, "the mutant's failures");
    let (_, whole) =
        run(&directory, &["sweep", "--seeds", "0..600000", "--mutant", mutant, "--format", "json", "--failures", "g"]);
    assert_eq!(without_files(&resumed), without_files(&whole));
}

/// A change made to a document, to see it refused.
type Forgery = Box<dyn Fn(&mut serde_json::Value)>;

/// Sends SIGINT to a process.
fn interrupt(pid: u32) {
    // SAFETY: kill(2) with a pid this test started and still holds.
    let sent = unsafe { libc::kill(pid as libc::pid_t, libc::SIGINT) };
    assert_eq!(sent, 0, "SIGINT sent");
}

/// A document without what differs between failures directories (the seed file and the page written there).
fn without_files(json: &str) -> serde_json::Value {
    let mut value = comparable(json);
    for failure in value["failures"].as_array_mut().unwrap() {
        failure.as_object_mut().unwrap().remove("seed_file");
        failure.as_object_mut().unwrap().remove("render");
    }
    value
}

/// A sweep's document of 0..3000 with a mutant, interrupted after 0..2000 (made from the document of a sweep of
/// 0..2000, as an interrupted sweep writes it), and the document of the whole range run at once.
fn partial_and_whole(directory: &Path) -> (serde_json::Value, String) {
    let mutant = ["--mutant", "transports-at-first-release", "--format", "json", "--failures", "f"];
    let (_, first) = run(directory, &[&["sweep", "--seeds", "0..2000"][..], &mutant].concat());
    let (_, whole) = run(directory, &[&["sweep", "--seeds", "0..3000"][..], &mutant].concat());
    let mut partial: serde_json::Value = serde_json::from_str(&first).unwrap();
    partial["seeds"]["end"] = 3000.into();
    partial["covered"]["end"] = 3000.into();
    partial["remaining"] = serde_json::json!([{ "start": 2000, "end": 3000 }]);
    (partial, whole)
}

/// Shows that `sweep --resume` checks what it reads (issue 14, item 5): a true partial summary resumes to the whole
/// sweep's summary; ranges outside the sweep, seeds already run, copies of one range, reversed or empty ranges,
/// counts that do not add up and totals past u64::MAX are refused with exit 2, each named.
#[test]
fn resume_refuses_a_summary_that_is_not_true() {
    let directory = directory("resume-forged");
    let (partial, whole) = partial_and_whole(&directory);
    let write = |name: &str, value: &serde_json::Value| {
        std::fs::write(directory.join(name), serde_json::to_string_pretty(value).unwrap()).unwrap();
    };
    write("true.json", &partial);
    let (code, resumed) = run(&directory, &["sweep", "--resume", "true.json", "--format", "json", "--failures", "f"]);
    assert_eq!(code, 1);
    assert_eq!(without_files(&resumed), without_files(&whole));
    let (_, text) = run(&directory, &["sweep", "--resume", "true.json", "--failures", "f"]);
    assert!(text.contains("runs: 3000 (every seed of the range, once)"), "{text}");

    let forged: Vec<(&str, Forgery)> = vec![
        ("outside the sweep", Box::new(|v| v["remaining"] = serde_json::json!([{ "start": 2000, "end": 9000 }]))),
        ("seeds run again", Box::new(|v| v["remaining"] = serde_json::json!([{ "start": 1000, "end": 3000 }]))),
        (
            "copies of one range",
            Box::new(|v| {
                v["remaining"] = serde_json::Value::Array(vec![serde_json::json!({ "start": 2000, "end": 3000 }); 1000])
            }),
        ),
        ("a reversed range", Box::new(|v| v["remaining"] = serde_json::json!([{ "start": 3000, "end": 2000 }]))),
        ("runs past u64", Box::new(|v| v["summary"]["runs"] = u64::MAX.into())),
        ("runs forged", Box::new(|v| v["summary"]["runs"] = 1999.into())),
        ("steps past u64", Box::new(|v| v["summary"]["steps"] = u64::MAX.into())),
        ("a failure outside", Box::new(|v| v["failures"][0]["seed"] = 2500.into())),
        ("a forged command", Box::new(|v| v["failures"][0]["reproduce"] = "x".into())),
        ("a first failure outside", Box::new(|v| v["summary"]["first_failure"][1] = 2999.into())),
        ("a bogus mutant", Box::new(|v| v["mutant"] = "bogus".into())),
        ("a nonsense profile", Box::new(|v| v["profile"] = "nonsense".into())),
    ];
    for (what, forge) in &forged {
        let mut value = partial.clone();
        forge(&mut value);
        write("forged.json", &value);
        let output = Command::new(BIN)
            .current_dir(&directory)
            .args(["sweep", "--resume", "forged.json", "--failures", "f"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{what}: {stderr}");
        assert!(stderr.contains("forged.json: error:"), "{what}: {stderr}");
    }
}

/// Shows that `merge` checks each shard (issue 14, item 6): forged runs, totals past u64::MAX, failures and first
/// failures outside the shard, forged commands and unknown names are refused with exit 2; a byte-order mark is
/// accepted.
#[test]
fn merge_refuses_a_shard_that_is_not_true() {
    let directory = directory("merge-forged");
    let sweep = ["sweep", "--seeds", "0..3000", "--mutant", "transports-at-first-release", "--format", "json"];
    let shards: Vec<serde_json::Value> = (0..3)
        .map(|k| {
            serde_json::from_str(&run(&directory, &[&sweep[..], &["--shard", &format!("{k}/3")]].concat()).1).unwrap()
        })
        .collect();
    let merge = |first: &serde_json::Value, bom: bool| {
        for (k, shard) in std::iter::once(first).chain(&shards[1..]).enumerate() {
            let text = serde_json::to_string(shard).unwrap();
            std::fs::write(directory.join(format!("{k}.json")), if bom { format!("\u{feff}{text}") } else { text })
                .unwrap();
        }
        Command::new(BIN).current_dir(&directory).args(["merge", "0.json", "1.json", "2.json"]).output().unwrap()
    };
    let output = merge(&shards[0], true);
    assert_eq!(output.status.code(), Some(1), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains("runs: 3000 (every seed of the range, once)"));
    let forged: Vec<(&str, Forgery)> = vec![
        ("runs past u64", Box::new(|v| v["summary"]["runs"] = u64::MAX.into())),
        ("runs forged", Box::new(|v| v["summary"]["runs"] = 999.into())),
        ("a first failure outside", Box::new(|v| v["summary"]["first_failure"][1] = 2500.into())),
        ("a failure outside", Box::new(|v| v["failures"][0]["seed"] = 2500.into())),
        ("a forged command", Box::new(|v| v["failures"][0]["reproduce"] = "x".into())),
        ("a forged step", Box::new(|v| v["failures"][0]["step"] = 1.into())),
        ("a bogus mutant", Box::new(|v| v["mutant"] = "bogus".into())),
        ("a nonsense profile", Box::new(|v| v["profile"] = "nonsense".into())),
        ("violations past the runs", Box::new(|v| v["summary"]["violations"][0] = 5000.into())),
        ("steps past the runs' limit", Box::new(|v| v["summary"]["steps"] = 4_000_001.into())),
        ("a forged seed file", Box::new(|v| v["failures"][0]["seed_file"] = "/etc/passwd".into())),
        ("the smallest failure left out", Box::new(|v| _ = v["failures"].as_array_mut().unwrap().remove(0))),
        ("failures left out", Box::new(|v| v["failures"].as_array_mut().unwrap().truncate(5))),
    ];
    for (what, forge) in &forged {
        let mut value = shards[0].clone();
        forge(&mut value);
        let output = merge(&value, false);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{what}: {stderr}");
        assert!(stderr.contains("0.json: "), "{what}: {stderr}");
    }
}

/// Shows that a shard without seeds is refused (exit 2) unless asked for with --allow-empty-shard, and that empty
/// shards so asked for merge into the whole range (issue 14, item 7).
#[test]
fn an_empty_shard_is_refused_unless_asked_for() {
    let directory = directory("empty-shard");
    assert_eq!(run(&directory, &["sweep", "--seeds", "0..4000", "--shard", "0/5000"]).0, 2);
    let mut files = Vec::new();
    for k in 0..3 {
        let args =
            ["sweep", "--seeds", "7..9", "--shard", &format!("{k}/3"), "--allow-empty-shard", "--format", "json"];
        let (code, json) = run(&directory, &args);
        assert_eq!(code, 0);
        let file = format!("{k}.json");
        std::fs::write(directory.join(&file), json).unwrap();
        files.push(file);
    }
    let (code, text) =
        run(&directory, &[&["merge"][..], &files.iter().map(String::as_str).collect::<Vec<_>>()].concat());
    assert_eq!(code, 0);
    assert!(text.contains("runs: 2 (every seed of the range, once)"), "{text}");
}

/// Shows that a sweep's memory does not depend on the length of its range (issue 14, item 4): a sweep of every seed
/// but one of u64, interrupted after a second, stops at once with a small peak and its partial summary.
#[test]
fn memory_is_flat_over_any_range() {
    let directory = directory("flat");
    let child = Command::new(BIN)
        .current_dir(&directory)
        .args(["sweep", "--seeds", "0..18446744073709551615", "--failures", "f", "--quiet"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("logoff-sim runs");
    std::thread::sleep(std::time::Duration::from_millis(1000));
    let sent = std::time::Instant::now();
    interrupt(child.id());
    let output = child.wait_with_output().unwrap();
    assert!(sent.elapsed() < std::time::Duration::from_secs(1), "stopped in {:?}", sent.elapsed());
    assert_eq!(output.status.code(), Some(130), "{}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8_lossy(&output.stdout);
    let mib: f64 = text
        .lines()
        .find_map(|line| line.strip_prefix("peak resident memory: "))
        .and_then(|rest| rest.strip_suffix(" MiB"))
        .and_then(|number| number.parse().ok())
        .unwrap_or_else(|| panic!("no peak in {text}"));
    assert!(mib < 64.0, "peak resident memory {mib} MiB");
    assert!(text.contains("of the 18446744073709551615 seeds of the range (each once; the others not run)"), "{text}");
}
