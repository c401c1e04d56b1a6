//! What an exploration gives back to people and to disk: the report as text, the counterexamples as scripts and
//! seed files, and the exploration of every profile on a pool of threads.

use logoff_core::*;

use super::{explore, Counterexample, Options, Report};
use crate::invariants::Invariant;

/// Writes each counterexample of a report as NAME.scn and NAME.seed in `out`; returns those written with their
/// script's path, and why each of the others could not be written.
pub fn write_counterexamples<'a>(
    report: &'a Report,
    out: &std::path::Path,
) -> (Vec<(&'a Counterexample, std::path::PathBuf)>, Vec<String>) {
    let options = &report.options;
    let mut written = Vec::new();
    let mut errors = Vec::new();
    for counterexample in report.first.iter().flatten() {
        let invariant = counterexample.violation.invariant;
        let name = crate::failures::explore_name(options.mutant, options.profile, invariant);
        let scn = out.join(format!("{name}.scn"));
        let script = report.script(counterexample, &scn.display().to_string());
        let title = format!(
            "Shortest counterexample found by `logoff-sim explore` ({}, mutant {}).",
            options.bound, options.mutant
        );
        let header = crate::failures::script_header(&title, &[], invariant, options.mutant, &scn, false);
        let bound = options.bound.to_string();
        let origin = crate::failures::Origin::Explore { bound: &bound, violation: &counterexample.violation };
        let seed_file = origin.seed_file(script.clone());
        let result = std::fs::create_dir_all(out)
            .map_err(|e| format!("cannot create {}: {e}", out.display()))
            .and_then(|()| {
                crate::output::write_file(&scn, &format!("{header}{script}"))
                    .map_err(|e| format!("cannot write {}: {e}", scn.display()))
            })
            .and_then(|()| seed_file.save(&out.join(format!("{name}.seed"))));
        match result {
            Ok(()) => written.push((counterexample, scn)),
            Err(e) => errors.push(e),
        }
    }
    (written, errors)
}

/// `explore --all-profiles`: explores under each of the [`Profile::COUNT`] profiles, on `jobs` threads, calling
/// `done` after each; the reports in profile order (the same with any number of threads).
pub fn explore_all_profiles(options: &Options, jobs: usize, done: &(dyn Fn() + Sync)) -> Result<Vec<Report>, String> {
    use rayon::prelude::*;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| format!("cannot start the worker threads: {e}"))?;
    Ok(pool.install(|| {
        (0..Profile::COUNT)
            .into_par_iter()
            .map(|index| {
                let report = explore(&Options { profile: Profile::from_index(index), ..*options });
                done();
                report
            })
            .collect()
    }))
}

/// A report as `logoff-sim explore` prints it for people, with the time it took and the process's peak resident
/// memory in KiB (`unknown` where the system does not say), also per unique state: what the search really costs,
/// beside the bytes its structures hold at the end.
pub struct Text<'a> {
    pub report: &'a Report,
    pub seconds: f64,
    pub peak_kib: Option<u64>,
}

impl std::fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Text { report, seconds, peak_kib } = *self;
        let options = &report.options;
        let yes_no = |yes: bool| if yes { "yes" } else { "no" };
        writeln!(
            f,
            "explore {} profile='{}' mutant={} symmetry={} liveness={}{}",
            options.bound,
            options.profile,
            options.mutant,
            yes_no(options.symmetry),
            yes_no(options.liveness),
            if options.reduce.is_some() { " reduce=yes" } else { "" }
        )?;
        writeln!(f, "states generated: {} (one a transition, before deduplication)", report.transitions + 1)?;
        writeln!(f, "unique states: {}", report.unique)?;
        writeln!(f, "transitions: {}", report.transitions)?;
        writeln!(f, "depth: {}", report.depth)?;
        if options.reduce.is_some() {
            writeln!(
                f,
                "reduction (sleep sets): {} steps asleep at a state's first expansion; {} partial re-expansions (a \
                 state expanded again for steps that were asleep)",
                report.slept, report.reexpanded
            )?;
        }
        writeln!(f, "terminal states (nothing enabled within the bound): {}", report.terminal)?;
        writeln!(f, "states with a blocked call, liveness checked: {}", report.blocked)?;
        if report.complete {
            writeln!(f, "exhaustive: yes")?;
        } else {
            writeln!(
                f,
                "exhaustive: no, stopped by --max-states {} with {} states stored",
                options.states_max, report.unique
            )?;
        }
        writeln!(f, "violations by invariant:")?;
        for invariant in Invariant::ALL {
            let count = report.violations[invariant.index()];
            let label = format!("{} ({})", invariant.name(), invariant.requirements());
            writeln!(f, "  {label:<62} {count:>10}")?;
        }
        writeln!(
            f,
            "time: {seconds:.2} s; {:.0} states/s; {:.0} transitions/s",
            report.unique as f64 / seconds,
            report.transitions as f64 / seconds
        )?;
        let peak = match peak_kib {
            Some(kib) => format!(
                "{:.1} MiB ({:.0} bytes a unique state)",
                kib as f64 / 1024.0,
                kib as f64 * 1024.0 / report.unique as f64
            ),
            None => "unknown".to_string(),
        };
        writeln!(
            f,
            "memory: {:.1} bytes per state held (fingerprint and parent link{}); peak resident {peak}",
            report.bytes_per_state,
            if options.reduce.is_some() { ", with the id and sleep set" } else { "" }
        )
    }
}
