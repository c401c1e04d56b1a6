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
    let killed = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
    let output = child.wait_with_output().unwrap();
    if !killed.is_ok_and(|status| status.success()) {
        println!("SKIPPED an_interrupted_sweep_goes_on_where_it_stopped: no `kill` command to send SIGINT");
        return;
    }
    assert_eq!(output.status.code(), Some(130), "{}", String::from_utf8_lossy(&output.stderr));
    let partial: serde_json::Value = serde_json::from_slice(&output.stdout).expect("the partial summary");
    assert!(!partial["remaining"].as_array().unwrap().is_empty(), "seeds were left");
    let runs = partial["summary"]["runs"].as_u64().unwrap();
    assert!(runs < 600_000);
    let saved = directory.join("f/sweep-0-600000-interrupted.json");
    assert!(saved.exists(), "the partial summary is on disk");
    let (code, resumed) = run(
        &directory,
        &["sweep", "--resume", "f/sweep-0-600000-interrupted.json", "--format", "json", "--failures", "f"],
    );
    assert_eq!(code, 1, "the mutant's failures");
    let (_, whole) =
        run(&directory, &["sweep", "--seeds", "0..600000", "--mutant", mutant, "--format", "json", "--failures", "g"]);
    let without_files = |json: &str| {
        let mut value = comparable(json);
        for failure in value["failures"].as_array_mut().unwrap() {
            failure.as_object_mut().unwrap().remove("seed_file");
        }
        value
    };
    assert_eq!(without_files(&resumed), without_files(&whole));
}
