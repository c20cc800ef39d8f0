//! Scale-out and regression commands: `merge`, `slurm` and `check`.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::{
    BadInput, CheckArgs, Outcome, SCENARIO_COPY, SlurmArgs, Tolerance, load_all, simulate,
    thread_pool, write_file, write_results,
};
use crate::engine::tally::Tally;
use crate::model::scenario::Scenario;
use crate::output::slurm::{self, SlurmOptions};
use crate::tools::check::{self, SummaryTable};

pub(super) fn merge_command(shard_dir: &Path, out: Option<&Path>) -> anyhow::Result<()> {
    let (scenario, tally) = crate::engine::shard::merge_dir(shard_dir)?;
    let dir = match out {
        Some(out) => out.join(&scenario.design.name),
        // As documented: <out>/<name>/ with <out> two levels above the shards folder (which
        // `run --shard` makes <out>/<name>/shards). Resolved first, so that `merge .` inside
        // the shards folder means that folder, not its parent.
        None => {
            let abs = std::fs::canonicalize(shard_dir)
                .with_context(|| format!("cannot resolve '{}'", shard_dir.display()))?;
            let out = abs.parent().and_then(Path::parent).unwrap_or(&abs);
            out.join(&scenario.design.name)
        }
    };
    write_results(&dir, &scenario, &tally)
}

pub(super) fn slurm_command(args: &SlurmArgs) -> anyhow::Result<()> {
    let mut scenario = Scenario::load(&args.scenario)?;
    scenario.override_simulation(args.replicates, args.seed)?;
    let absolute = |p: &Path| {
        std::path::absolute(p).with_context(|| format!("cannot resolve '{}'", p.display()))
    };
    let binary = match &args.bin {
        Some(b) => absolute(b)?,
        None => std::env::current_exe().context("cannot locate the endotrial binary")?,
    };
    let scenario_path = absolute(&args.scenario)?;
    let out = absolute(&args.out)?;
    let name = &scenario.design.name;
    let job_dir = out.join(name).join("slurm");
    let shard_dir = out.join(name).join("shards");
    let mut run_args = Vec::new();
    if let Some(r) = args.replicates {
        run_args.extend(["--replicates".to_string(), r.to_string()]);
    }
    if let Some(s) = args.seed {
        run_args.extend(["--seed".to_string(), s.to_string()]);
    }
    let opts = SlurmOptions {
        shards: args.shards,
        partition: args.partition.clone(),
        time: args.time.clone(),
        mem: args.mem.clone(),
        cpus_per_task: args.cpus_per_task,
        run_args,
    };
    let array = job_dir.join("shards.sbatch");
    let merge = job_dir.join("merge.sbatch");
    let submit = job_dir.join("submit.sh");
    write_file(
        &array,
        slurm::array_script(&binary, &scenario_path, &out, name, &opts, &job_dir).as_bytes(),
    )?;
    write_file(
        &merge,
        slurm::merge_script(&binary, &shard_dir, name, &opts, &job_dir).as_bytes(),
    )?;
    crate::output::files::write_script_atomic(
        &submit,
        slurm::submit_script(&shard_dir, &array, &merge).as_bytes(),
    )
    .with_context(|| format!("cannot write '{}'", submit.display()))?;
    println!(
        "wrote {} (array of {} shards), {} and {}
submit with:  bash {}
results:      {}",
        array.display(),
        args.shards,
        merge.display(),
        submit.display(),
        submit.display(),
        out.join(name).join("summary.csv").display()
    );
    Ok(())
}

/// Scenario files named on the command line, folders expanded to their *.toml (sorted).
fn expand_scenarios(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut in_dir: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| format!("cannot list '{}'", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|e| e == "toml"))
                .collect();
            in_dir.sort();
            if in_dir.is_empty() {
                return Err(
                    BadInput(format!("{}: no scenario files (*.toml)", p.display())).into(),
                );
            }
            files.extend(in_dir);
        } else {
            files.push(p.clone());
        }
    }
    Ok(files)
}

pub(super) fn check_command(args: &CheckArgs) -> anyhow::Result<Outcome> {
    if !(args.fwer > 0.0 && args.fwer < 1.0) {
        return Err(BadInput(format!(
            "--fwer: expected a level in (0, 1), found {}",
            args.fwer
        ))
        .into());
    }
    let scenarios = load_all(&expand_scenarios(&args.scenarios)?)?;
    let committed = scenarios
        .iter()
        .map(|s| committed_run(&args.against, s))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let pool = thread_pool(args.threads)?;
    let mut found = Findings::default();
    for (s, committed) in scenarios.iter().zip(&committed) {
        let name = &s.design.name;
        let dir = committed.dir.as_path();
        if !found.settings_allow_comparing(args.tolerance, name, committed) {
            continue;
        }
        let tally = simulate(&pool, &s.design, 0..s.design.replicates, args.quiet);
        let (tests, changes) = found.compare_files(args.tolerance, s, committed, &tally)?;
        found.report += &match args.tolerance {
            Tolerance::Exact => format!(
                "{name}: {} against {}\n",
                if changes == 0 { "identical" } else { "MOVED" },
                dir.display()
            ),
            Tolerance::Mc => format!(
                "{name}: {tests} Monte Carlo comparisons against {}\n",
                dir.display()
            ),
        };
    }
    let Findings {
        report,
        mut moved,
        tested,
    } = found;
    let flags = crate::stats::multiplicity::holm(
        &tested.iter().map(|(_, t)| t.p).collect::<Vec<_>>(),
        args.fwer,
    );
    moved.extend(
        tested
            .into_iter()
            .zip(flags)
            .filter(|(_, flagged)| *flagged)
            .map(|((name, t), _)| (name, t.moved)),
    );
    print!("{report}");
    if moved.is_empty() {
        println!("check: all {} scenario(s) match", scenarios.len());
        return Ok(Outcome::Done);
    }
    println!(
        "\n{:<22} {:<24} {:<34} {:>24} {:>24} {:>10}",
        "scenario", "arm", "column", "committed", "now", "diff/SE"
    );
    for (name, m) in &moved {
        let z = m.z.map_or(String::from("-"), |z| format!("{z:+.2}"));
        println!(
            "{name:<22} {:<24} {:<34} {:>24} {:>24} {z:>10}",
            m.arm, m.column, m.old, m.new
        );
    }
    println!("\ncheck: {} value(s) moved", moved.len());
    Ok(Outcome::Regression)
}

/// What `check` has found so far: the lines of its report, the values moved (by scenario), and
/// in Monte Carlo mode every test made, for Holm's correction over all of them.
#[derive(Default)]
struct Findings {
    report: String,
    moved: Vec<(String, check::Moved)>,
    tested: Vec<(String, check::Tested)>,
}

impl Findings {
    /// Notes the simulation settings in which the scenario differs from its committed results:
    /// in exact mode they cannot be identical, so each is a change and nothing is run (false);
    /// in Monte Carlo mode the scenario's own trials are compared with them (true).
    fn settings_allow_comparing(
        &mut self,
        tolerance: Tolerance,
        name: &str,
        committed: &CommittedRun,
    ) -> bool {
        let dir = committed.dir.as_path();
        for (key, now, then) in &committed.settings_differ {
            let column = format!("scenario.toml:simulation.{key}");
            match tolerance {
                Tolerance::Exact => self.moved.push((
                    name.to_string(),
                    check::Moved::setting(&column, &then.to_string(), &now.to_string()),
                )),
                Tolerance::Mc => {
                    self.report += &format!(
                        "{name}: note: simulation.{key} is {now} in the scenario, {then} in {}\n",
                        dir.join(SCENARIO_COPY).display()
                    )
                }
            }
        }
        if !committed.settings_differ.is_empty() && tolerance == Tolerance::Exact {
            let keys: Vec<String> = committed
                .settings_differ
                .iter()
                .map(|(key, now, then)| {
                    format!("simulation.{key} {now} in the scenario, {then} committed")
                })
                .collect();
            self.report += &format!(
                "{name}: SETTINGS DIFFER from {} ({}): not compared\n",
                dir.display(),
                keys.join("; ")
            );
            return false;
        }
        true
    }

    /// Compares every result file of the re-run `tally` with the committed one: (Monte Carlo
    /// tests made, values or files changed).
    fn compare_files(
        &mut self,
        tolerance: Tolerance,
        s: &Scenario,
        committed: &CommittedRun,
        tally: &Tally,
    ) -> anyhow::Result<(usize, usize)> {
        let name = &s.design.name;
        let replicates = (committed.replicates as f64, s.design.replicates as f64);
        let (mut tests, mut changes) = (0, 0);
        for ((file, key), (_, now)) in check::RESULT_FILES
            .iter()
            .zip(super::result_csvs(&s.design, tally))
        {
            let committed_path = committed.dir.join(file);
            let then = match std::fs::read(&committed_path) {
                Ok(bytes) => Some(bytes),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => {
                    return Err(e)
                        .with_context(|| format!("cannot read '{}'", committed_path.display()));
                }
            };
            let (then, now) = match (then, now) {
                (None, None) => continue,
                (then, None) | (then @ None, Some(_)) => {
                    let m = check::Moved::file_presence(file, then.is_some());
                    self.moved.push((name.clone(), m));
                    changes += 1;
                    continue;
                }
                (Some(a), Some(b)) => (a, b),
            };
            let old = SummaryTable::parse_keyed(&then, key).map_err(|e| {
                BadInput(format!(
                    "{}: not a result file of endotrial: {e}",
                    committed_path.display()
                ))
            })?;
            let new = SummaryTable::parse_keyed(&now, key).expect("own output parses");
            let prefix = |mut m: check::Moved| {
                m.column = format!("{file}:{}", m.column);
                (name.clone(), m)
            };
            match tolerance {
                Tolerance::Exact => {
                    let m = check::compare_exact(&old, &new);
                    changes += m.len();
                    self.moved.extend(m.into_iter().map(prefix));
                }
                Tolerance::Mc => {
                    let (t, changed) = check::compare_monte_carlo(&old, &new, replicates);
                    tests += t.len();
                    changes += changed.len();
                    self.moved.extend(changed.into_iter().map(prefix));
                    self.tested.extend(t.into_iter().map(|mut t| {
                        t.moved.column = format!("{file}:{}", t.moved.column);
                        (name.clone(), t)
                    }));
                }
            }
        }
        Ok((tests, changes))
    }
}

/// What a scenario's committed results were made with, read before anything is simulated.
struct CommittedRun {
    dir: PathBuf,
    replicates: u64,
    /// (key, the scenario's value, the committed value) of the simulation settings that differ.
    settings_differ: Vec<(&'static str, u64, u64)>,
}

/// The committed run of `scenario` under `against`: the seed and replicates of its summary.csv
/// (whole numbers, replicates >= 1), which must agree with its scenario.toml when one is there
/// (a hand-edited or mixed result set is bad input, exit 2), compared with the scenario's own.
fn committed_run(against: &Path, scenario: &Scenario) -> anyhow::Result<CommittedRun> {
    let design = &scenario.design;
    let dir = against.join(&design.name);
    let path = dir.join("summary.csv");
    let bytes = std::fs::read(&path).map_err(|e| {
        BadInput(format!(
            "{}: no committed results for scenario '{}' ({e}); run it and commit the output",
            path.display(),
            design.name
        ))
    })?;
    let table = SummaryTable::parse(&bytes)
        .map_err(|e| BadInput(format!("{}: not a summary.csv: {e}", path.display())))?;
    let number = |c: &str, least: u64| {
        table
            .first(c)
            .and_then(|v| v.parse::<u64>().ok())
            .filter(|&v| v >= least)
            .ok_or_else(|| {
                BadInput(format!(
                    "{}: column `{c}` missing or not a whole number >= {least} (found {})",
                    path.display(),
                    crate::model::text::shorten(table.first(c).unwrap_or("nothing"))
                ))
            })
    };
    let (replicates, seed) = (number("replicates", 1)?, number("seed", 0)?);
    let copy = dir.join(SCENARIO_COPY);
    if copy.exists() {
        let text = Scenario::read_text(&copy).map_err(|e| BadInput(e.to_string()))?;
        let value: toml::Table = text
            .parse()
            .map_err(|e| BadInput(format!("{}: not a scenario file: {e}", copy.display())))?;
        let setting = |key: &str| {
            value
                .get("simulation")
                .and_then(|t| t.get(key))
                .and_then(toml::Value::as_integer)
                .and_then(|v| u64::try_from(v).ok())
        };
        for (key, in_summary) in [("replicates", replicates), ("seed", seed)] {
            if setting(key) != Some(in_summary) {
                return Err(BadInput(format!(
                    "{}: the committed results disagree: summary.csv has {key} {in_summary}, {} has simulation.{key} {}; re-run the scenario and commit its output",
                    dir.display(),
                    copy.display(),
                    setting(key).map_or("missing".to_string(), |v| v.to_string())
                ))
                .into());
            }
        }
    }
    let settings_differ = [
        ("replicates", design.replicates, replicates),
        ("seed", design.seed, seed),
    ]
    .into_iter()
    .filter(|(_, now, then)| now != then)
    .collect();
    Ok(CommittedRun {
        dir,
        replicates,
        settings_differ,
    })
}
