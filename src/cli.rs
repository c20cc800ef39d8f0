//! The command line: `endotrial run` and `endotrial validate`.
//!
//! Exit codes: 0 success, 2 bad input (scenario or arguments), 1 anything else.

use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::check::{self, SummaryTable};
use crate::design::Design;
use crate::engine;
use crate::output;
use crate::plot::{self, Curve};
use crate::power;
use crate::report;
use crate::scenario::{Scenario, ScenarioError};
use crate::shard::{Shard, ShardError, ShardSpec};
use crate::size::{self, SizeOptions, SizeSearch};
use crate::slurm::{self, SlurmOptions};
use crate::summary::{self, Tally};

#[derive(Debug, Parser)]
#[command(
    name = "endotrial",
    version,
    about = "Monte Carlo design of precision-medicine (theranostic) clinical trials"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate each scenario and write <out>/<name>/summary.csv and scenario.toml.
    Run(RunArgs),
    /// Parse and check scenarios; print the resolved design.
    Validate {
        /// Scenario files (TOML).
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
    },
    /// Merge a complete set of shards (from `run --shard`) into summary.csv.
    Merge {
        /// The folder holding the shard files, e.g. results/immunosep/shards.
        shard_dir: PathBuf,
        /// Output folder; results go to <out>/<name>/ (default: two levels above the shards).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Write Slurm scripts: a job array over shards and a dependent merge job.
    Slurm(SlurmArgs),
    /// Re-run scenarios with the seed and replicates of committed results and compare.
    Check(CheckArgs),
    /// Smallest total sample size whose simulated power reaches a target.
    Size(SizeArgs),
    /// Re-run a scenario over a grid of values set by key path; sweep.csv and a power curve.
    Sweep(SweepArgs),
    /// Sample-size report (Markdown and HTML) with a ready-to-paste justification.
    Report(ReportArgs),
    /// Several designs of the same question side by side: power, N for the target, screening, cost.
    Compare(CompareArgs),
}

#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// Scenario files (TOML), one per design.
    #[arg(required = true, num_args = 2..)]
    pub scenarios: Vec<PathBuf>,
    /// Target power of each design's sample-size search.
    #[arg(long, default_value_t = 0.8)]
    pub power: f64,
    #[command(flatten)]
    pub sim: SimArgs,
}

/// Simulation settings shared by run, size, sweep, report and compare.
#[derive(Debug, clap::Args)]
pub struct SimArgs {
    /// Virtual trials per design point (overrides simulation.replicates).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub replicates: Option<u64>,
    /// Random seed (overrides simulation.seed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub threads: Option<u64>,
    /// Output folder; results go to <out>/<name>/.
    #[arg(long, default_value = "results")]
    pub out: PathBuf,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, clap::Args)]
pub struct SizeArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// Target power, in (0, 1).
    #[arg(long)]
    pub power: f64,
    /// The comparison that must reach the target (default: every non-control arm).
    #[arg(long)]
    pub arm: Option<String>,
    /// Smallest total sample size to consider.
    #[arg(long)]
    pub min: Option<u64>,
    /// Largest total sample size to consider.
    #[arg(long)]
    pub max: Option<u64>,
    #[command(flatten)]
    pub sim: SimArgs,
}

#[derive(Debug, clap::Args)]
pub struct SweepArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// KEY=V1,V2,... or KEY=START:END:STEP, e.g. 'endotype.mals.prevalence=0.05,0.07,0.1'.
    /// Several --set make a full grid; the power curve is drawn against the first.
    #[arg(long = "set", required = true, value_name = "KEY=VALUES")]
    pub sets: Vec<crate::sweep::SetArg>,
    /// Target power drawn as a dashed line.
    #[arg(long, default_value_t = 0.8)]
    pub power: f64,
    #[command(flatten)]
    pub sim: SimArgs,
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// Target power of the sample-size search.
    #[arg(long, default_value_t = 0.8)]
    pub power: f64,
    #[command(flatten)]
    pub sim: SimArgs,
}

#[derive(Debug, clap::Args)]
pub struct SlurmArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// Number of array tasks (shards).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub shards: u64,
    /// Slurm partition.
    #[arg(long)]
    pub partition: Option<String>,
    /// Time limit per task.
    #[arg(long, default_value = "01:00:00")]
    pub time: String,
    /// Memory per task.
    #[arg(long, default_value = "1G")]
    pub mem: String,
    /// CPUs per array task (the shard's worker threads).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub cpus_per_task: u64,
    /// Output folder of the shards and merged results.
    #[arg(long, default_value = "results")]
    pub out: PathBuf,
    /// Number of virtual trials (overrides simulation.replicates).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub replicates: Option<u64>,
    /// Random seed (overrides simulation.seed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// The endotrial binary the jobs run (default: this one).
    #[arg(long)]
    pub bin: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Scenario files, or folders whose *.toml are all checked.
    #[arg(required = true)]
    pub scenarios: Vec<PathBuf>,
    /// Folder of committed results (<against>/<name>/summary.csv).
    #[arg(long)]
    pub against: PathBuf,
    /// exact: identical fields; mc: differences judged against Monte Carlo error (Holm).
    #[arg(long, value_enum, default_value_t = Tolerance::Exact)]
    pub tolerance: Tolerance,
    /// Family-wise error rate of the Monte Carlo comparisons (with --tolerance mc).
    #[arg(long, default_value_t = 0.01)]
    pub fwer: f64,
    /// Worker threads (default: all cores).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub threads: Option<u64>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Tolerance {
    Exact,
    Mc,
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Scenario files (TOML).
    #[arg(required = true)]
    pub scenarios: Vec<PathBuf>,
    #[command(flatten)]
    pub sim: SimArgs,
    /// Simulate only share K of N of the trials and write <out>/<name>/shards/K-of-N.json.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<ShardSpec>,
}

/// Bad input (as opposed to a failure of the machine): exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub String);

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match dispatch(cli) {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::Regression) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e:#}");
            let bad_input = e
                .chain()
                .any(|c| c.is::<ScenarioError>() || c.is::<BadInput>() || c.is::<ShardError>());
            ExitCode::from(if bad_input { 2 } else { 1 })
        }
    }
}

/// How a command that ran to the end came out.
enum Outcome {
    Done,
    /// `check` found results that moved.
    Regression,
}

fn dispatch(cli: Cli) -> anyhow::Result<Outcome> {
    match cli.command {
        Command::Run(args) => run(&args)?,
        Command::Validate { scenarios } => {
            for s in load_all(&scenarios)? {
                print!("{}", describe(&s.design));
            }
        }
        Command::Merge { shard_dir, out } => merge(&shard_dir, out.as_deref())?,
        Command::Slurm(args) => write_slurm(&args)?,
        Command::Check(args) => return check_results(&args),
        Command::Size(args) => size(&args)?,
        Command::Sweep(args) => sweep(&args)?,
        Command::Report(args) => report(&args)?,
        Command::Compare(args) => compare(&args)?,
    }
    Ok(Outcome::Done)
}

/// Loads and validates every scenario before anything runs, so that one bad file leaves every
/// result untouched.
fn load_all(paths: &[PathBuf]) -> anyhow::Result<Vec<Scenario>> {
    let scenarios = paths
        .iter()
        .map(|p| Scenario::load(p))
        .collect::<Result<Vec<_>, _>>()?;
    let mut seen: HashMap<&str, &Path> = HashMap::new();
    for s in &scenarios {
        if let Some(first) = seen.insert(&s.design.name, &s.path) {
            return Err(BadInput(format!(
                "{} and {}: both scenarios are named '{}' and would write the same results folder",
                first.display(),
                s.path.display(),
                s.design.name
            ))
            .into());
        }
    }
    Ok(scenarios)
}

fn progress_bar(total: u64, quiet: bool, name: &str) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix} [{bar:40}] {human_pos}/{human_len} trials ({rate}, eta {eta})",
        )
        .expect("valid template")
        .with_key(
            "rate",
            |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.2} M trials/s", state.per_sec() / 1e6);
            },
        )
        .progress_chars("=> "),
    );
    bar.set_prefix(name.to_string());
    bar
}

fn thread_pool(threads: Option<u64>) -> anyhow::Result<rayon::ThreadPool> {
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(t) = threads {
        pool = pool.num_threads(t as usize);
    }
    pool.build().context("cannot start the worker threads")
}

/// Simulates trials `trials` of a scenario on `pool`, with a progress bar.
fn simulate(
    pool: &rayon::ThreadPool,
    design: &Design,
    trials: std::ops::Range<u64>,
    quiet: bool,
) -> Tally {
    let bar = progress_bar(trials.end - trials.start, quiet, &design.name);
    let tally = pool.install(|| engine::simulate(design, trials, &|n| bar.inc(n)));
    bar.finish_and_clear();
    tally
}

fn write_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    output::write_atomic(path, bytes).with_context(|| format!("cannot write '{}'", path.display()))
}

/// Writes summary.csv, subgroups.csv, hypotheses.csv (when the scenario lists hypotheses) and
/// the scenario copy to `dir`, and prints the tables.
fn write_results(dir: &Path, scenario: &Scenario, tally: &Tally) -> anyhow::Result<()> {
    let d = &scenario.design;
    let rows = summary::summarise(d, tally);
    write_file(&dir.join("summary.csv"), &output::summary_csv(&rows))?;
    write_file(
        &dir.join("subgroups.csv"),
        &output::subgroups_csv(&summary::subgroup_rows(d, tally)),
    )?;
    let hypotheses = summary::hypothesis_rows(d, tally);
    let hypotheses_path = dir.join("hypotheses.csv");
    if hypotheses.is_empty() {
        // A scenario that no longer lists hypotheses must not leave a stale file beside it.
        match std::fs::remove_file(&hypotheses_path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(e)
                    .with_context(|| format!("cannot remove '{}'", hypotheses_path.display()));
            }
            _ => {}
        }
    } else {
        write_file(&hypotheses_path, &output::hypotheses_csv(&hypotheses))?;
    }
    write_file(&dir.join("scenario.toml"), scenario.text.as_bytes())?;
    print!("{}", output::summary_table(&rows));
    print!("{}", output::hypotheses_table(&hypotheses));
    println!("  -> {}", dir.join("summary.csv").display());
    Ok(())
}

fn run(args: &RunArgs) -> anyhow::Result<()> {
    let sim = &args.sim;
    let mut scenarios = load_all(&args.scenarios)?;
    for s in &mut scenarios {
        s.override_simulation(sim.replicates, sim.seed)?;
    }
    let pool = thread_pool(sim.threads)?;
    for s in &scenarios {
        let design = &s.design;
        let dir = sim.out.join(&design.name);
        match args.shard {
            None => {
                let tally = simulate(&pool, design, 0..design.replicates, sim.quiet);
                write_results(&dir, s, &tally)?;
            }
            Some(spec) => {
                let trials = spec.trials(design.replicates);
                let tally = simulate(&pool, design, trials.clone(), sim.quiet);
                let path = dir.join("shards").join(spec.file_name());
                write_file(&path, &Shard::new(s, spec, tally).to_json())?;
                println!(
                    "{}: shard {}/{} (trials {}..{}) -> {}",
                    design.name,
                    spec.index,
                    spec.count,
                    trials.start,
                    trials.end,
                    path.display()
                );
            }
        }
    }
    Ok(())
}

fn merge(shard_dir: &Path, out: Option<&Path>) -> anyhow::Result<()> {
    let (scenario, tally) = crate::shard::merge_dir(shard_dir)?;
    let dir = match out {
        Some(out) => out.join(&scenario.design.name),
        None => {
            let abs = std::path::absolute(shard_dir)
                .with_context(|| format!("cannot resolve '{}'", shard_dir.display()))?;
            abs.parent().map(Path::to_path_buf).unwrap_or(abs)
        }
    };
    write_results(&dir, &scenario, &tally)
}

fn write_slurm(args: &SlurmArgs) -> anyhow::Result<()> {
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
    write_file(
        &submit,
        slurm::submit_script(&shard_dir, &array, &merge).as_bytes(),
    )?;
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

fn check_results(args: &CheckArgs) -> anyhow::Result<Outcome> {
    if !(args.fwer > 0.0 && args.fwer < 1.0) {
        return Err(BadInput(format!(
            "--fwer: expected a level in (0, 1), found {}",
            args.fwer
        ))
        .into());
    }
    let mut scenarios = load_all(&expand_scenarios(&args.scenarios)?)?;
    // The committed results fix the seed and replicates of each re-run.
    let mut committed = Vec::new();
    for s in &mut scenarios {
        let path = args.against.join(&s.design.name).join("summary.csv");
        let bytes = std::fs::read(&path).map_err(|e| {
            BadInput(format!(
                "{}: no committed results for scenario '{}' ({e}); run it and commit the output",
                path.display(),
                s.design.name
            ))
        })?;
        let table = SummaryTable::parse(&bytes)
            .map_err(|e| BadInput(format!("{}: not a summary.csv: {e}", path.display())))?;
        let number = |c: &str| {
            table
                .first(c)
                .and_then(|v| v.parse::<u64>().ok())
                .ok_or_else(|| {
                    BadInput(format!(
                        "{}: column `{c}` missing or not an integer",
                        path.display()
                    ))
                })
        };
        s.override_simulation(Some(number("replicates")?), Some(number("seed")?))?;
        committed.push((path, table));
    }
    let pool = thread_pool(args.threads)?;
    let mut report = String::new();
    let mut moved = Vec::new();
    let mut tested = Vec::new();
    for (s, (path, old)) in scenarios.iter().zip(&committed) {
        let tally = simulate(&pool, &s.design, 0..s.design.replicates, args.quiet);
        let new_bytes = output::summary_csv(&summary::summarise(&s.design, &tally));
        let new = SummaryTable::parse(&new_bytes).expect("own output parses");
        let name = &s.design.name;
        match args.tolerance {
            Tolerance::Exact => {
                let m = check::compare_exact(old, &new);
                report += &format!(
                    "{name}: {} against {}\n",
                    if m.is_empty() { "identical" } else { "MOVED" },
                    path.display()
                );
                moved.extend(m.into_iter().map(|m| (name.clone(), m)));
            }
            Tolerance::Mc => {
                let (t, changed) = check::compare_monte_carlo(old, &new);
                report += &format!(
                    "{name}: {} Monte Carlo comparisons against {}\n",
                    t.len(),
                    path.display()
                );
                moved.extend(changed.into_iter().map(|m| (name.clone(), m)));
                tested.extend(t.into_iter().map(|t| (name.clone(), t)));
            }
        }
    }
    let flags = crate::multiplicity::holm(
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
        "\n{:<22} {:<16} {:<24} {:>24} {:>24} {:>10}",
        "scenario", "arm", "column", "committed", "now", "diff/SE"
    );
    for (name, m) in &moved {
        let z = m.z.map_or(String::from("-"), |z| format!("{z:+.2}"));
        println!(
            "{name:<22} {:<16} {:<24} {:>24} {:>24} {z:>10}",
            m.arm, m.column, m.old, m.new
        );
    }
    println!("\ncheck: {} value(s) moved", moved.len());
    Ok(Outcome::Regression)
}

/// Loads one scenario with the shared simulation overrides applied, and its thread pool.
fn load_with(path: &Path, sim: &SimArgs) -> anyhow::Result<(Scenario, rayon::ThreadPool)> {
    let mut scenario = Scenario::load(path)?;
    scenario.override_simulation(sim.replicates, sim.seed)?;
    Ok((scenario, thread_pool(sim.threads)?))
}

fn check_target(power: f64) -> anyhow::Result<()> {
    if power > 0.0 && power < 1.0 {
        Ok(())
    } else {
        Err(BadInput(format!(
            "--power: expected a target power in (0, 1), found {power}"
        ))
        .into())
    }
}

/// A spinner naming the candidate being simulated (hidden when quiet or not a terminal).
fn spinner(quiet: bool, name: &str) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {prefix}: {msg} ({elapsed})")
            .expect("valid template"),
    );
    bar.set_prefix(name.to_string());
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

/// Runs the sample-size search of `scenario` for `args`-like settings.
fn size_search(
    pool: &rayon::ThreadPool,
    scenario: &Scenario,
    target: f64,
    arm: Option<&str>,
    min: Option<u64>,
    max: Option<u64>,
    quiet: bool,
) -> anyhow::Result<SizeSearch> {
    let d = &scenario.design;
    check_target(target)?;
    if let (Some(lo), Some(hi)) = (min, max)
        && lo > hi
    {
        return Err(BadInput(format!("--min {lo} is larger than --max {hi}")).into());
    }
    let arms = match arm {
        None => d.comparisons().collect(),
        Some(name) => {
            let a = d.arms.iter().position(|a| a.name == name).ok_or_else(|| {
                BadInput(format!(
                    "--arm: unknown arm '{name}'; expected one of: {}",
                    d.comparisons()
                        .map(|a| d.arms[a].name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?;
            if a == d.control {
                return Err(BadInput(format!(
                    "--arm: '{name}' is the control arm; name a compared arm"
                ))
                .into());
            }
            vec![a]
        }
    };
    let opts = SizeOptions {
        target,
        arms,
        min,
        max,
    };
    let bar = spinner(quiet, &d.name);
    let search =
        pool.install(|| size::search(d, &opts, &|n| bar.set_message(format!("simulated N = {n}"))));
    bar.finish_and_clear();
    Ok(search)
}

fn size(args: &SizeArgs) -> anyhow::Result<()> {
    let (scenario, pool) = load_with(&args.scenario, &args.sim)?;
    let d = &scenario.design;
    let search = size_search(
        &pool,
        &scenario,
        args.power,
        args.arm.as_deref(),
        args.min,
        args.max,
        args.sim.quiet,
    )?;
    print!("{}", report::size_summary(d, &search, args.power));
    if search.chosen.is_none() {
        let best = search
            .best()
            .map_or(String::from("none evaluated"), |(n, p)| {
                format!("best power {p:.4} at N = {n}")
            });
        return Err(BadInput(format!(
            "{}: target power {} not reached for N in [{}, {}]: {best}; raise --max or revisit the design",
            d.name, args.power, search.min, search.max
        ))
        .into());
    }
    let path = args.sim.out.join(&d.name).join("sample_size.csv");
    write_file(&path, &output::sample_size_csv(&search))?;
    println!("  -> {}", path.display());
    Ok(())
}

/// Simulates every grid point; returns (values, summary rows) per point.
fn run_grid(
    pool: &rayon::ThreadPool,
    points: &[crate::sweep::GridPoint],
    quiet: bool,
    name: &str,
) -> Vec<(Vec<String>, Vec<summary::SummaryRow>)> {
    let total: u64 = points.iter().map(|p| p.scenario.design.replicates).sum();
    let bar = progress_bar(total, quiet, name);
    let out = points
        .iter()
        .map(|p| {
            let d = &p.scenario.design;
            let tally = pool.install(|| engine::simulate(d, 0..d.replicates, &|n| bar.inc(n)));
            (p.values.clone(), summary::summarise(d, &tally))
        })
        .collect();
    bar.finish_and_clear();
    out
}

/// Power curves against the first swept key: one per arm and combination of the other keys.
fn curves(
    keys: &[String],
    results: &[(Vec<String>, Vec<summary::SummaryRow>)],
) -> Option<Vec<Curve>> {
    let mut by_label: BTreeMap<String, Vec<(f64, f64, f64, f64)>> = BTreeMap::new();
    let several_arms = results.first().is_some_and(|(_, rows)| rows.len() > 1);
    for (values, rows) in results {
        let x: f64 = values[0].parse().ok()?;
        for r in rows {
            let mut parts: Vec<String> = keys[1..]
                .iter()
                .zip(&values[1..])
                .map(|(k, v)| format!("{k} = {v}"))
                .collect();
            if several_arms || parts.is_empty() {
                parts.insert(0, format!("{} vs {}", r.arm, r.control));
            }
            by_label.entry(parts.join(", ")).or_default().push((
                x,
                r.power,
                r.power_ci_low,
                r.power_ci_high,
            ));
        }
    }
    Some(
        by_label
            .into_iter()
            .map(|(label, mut points)| {
                points.sort_by(|a, b| a.0.total_cmp(&b.0));
                Curve { label, points }
            })
            .collect(),
    )
}

fn sweep(args: &SweepArgs) -> anyhow::Result<()> {
    check_target(args.power)?;
    let (scenario, pool) = load_with(&args.scenario, &args.sim)?;
    let points = crate::sweep::grid(&scenario, &args.sets)?;
    let name = &scenario.design.name;
    let keys: Vec<String> = args.sets.iter().map(|s| s.key.clone()).collect();
    let results = run_grid(&pool, &points, args.sim.quiet, name);
    let dir = args.sim.out.join(name);
    write_file(&dir.join("sweep.csv"), &output::sweep_csv(&keys, &results))?;
    for (values, rows) in &results {
        let at: Vec<String> = keys
            .iter()
            .zip(values)
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        for r in rows {
            println!(
                "{}  {} vs {}: power {:.4} ({:.4} to {:.4}), true difference {:+.4}",
                at.join(" "),
                r.arm,
                r.control,
                r.power,
                r.power_ci_low,
                r.power_ci_high,
                r.true_difference
            );
        }
    }
    println!("  -> {}", dir.join("sweep.csv").display());
    match curves(&keys, &results) {
        Some(c) => {
            let title = format!("{name}: power against {}", keys[0]);
            write_file(
                &dir.join("power_curve.svg"),
                plot::power_curve_svg(&title, &keys[0], &c, Some(args.power)).as_bytes(),
            )?;
            println!("  -> {}", dir.join("power_curve.svg").display());
        }
        None => println!(
            "  (no power curve: the values of {} are not numbers)",
            keys[0]
        ),
    }
    Ok(())
}

fn report(args: &ReportArgs) -> anyhow::Result<()> {
    let (scenario, pool) = load_with(&args.scenario, &args.sim)?;
    let d = &scenario.design;
    let dir = args.sim.out.join(&d.name);
    let stated = summary::summarise(d, &simulate(&pool, d, 0..d.replicates, args.sim.quiet));
    let search = size_search(
        &pool,
        &scenario,
        args.power,
        None,
        None,
        None,
        args.sim.quiet,
    )?;
    // The power curve: 13 points on the sample-size grid from half to 1.5 times the chosen N.
    let centre = search.chosen.unwrap_or(d.sample_size) as f64;
    let step = search.step;
    let mut sizes: Vec<u64> = (0..13)
        .map(|i| ((centre * (0.5 + i as f64 / 12.0) / step as f64).round() as u64).max(1) * step)
        .collect();
    sizes.dedup();
    let set = crate::sweep::SetArg {
        key: "enrollment.sample_size".into(),
        values: sizes.iter().map(u64::to_string).collect(),
    };
    let points = crate::sweep::grid(&scenario, std::slice::from_ref(&set))?;
    let results = run_grid(&pool, &points, args.sim.quiet, &d.name);
    let curves =
        curves(std::slice::from_ref(&set.key), &results).expect("sample sizes are numbers");
    let svg = plot::power_curve_svg(
        &format!("{}: power against total sample size", d.name),
        "total sample size N (randomised)",
        &curves,
        Some(args.power),
    );
    let md = report::report_markdown(d, &stated, &search, args.power);
    write_file(&dir.join("power_curve.svg"), svg.as_bytes())?;
    write_file(
        &dir.join("sample_size.csv"),
        &output::sample_size_csv(&search),
    )?;
    write_file(&dir.join("report.md"), md.as_bytes())?;
    write_file(
        &dir.join("report.html"),
        report::report_html(&md, &format!("Sample-size report: {}", d.name)).as_bytes(),
    )?;
    print!("{}", report::size_summary(d, &search, args.power));
    println!(
        "  -> {}\n  -> {}",
        dir.join("report.md").display(),
        dir.join("report.html").display()
    );
    Ok(())
}

/// The classification matrix with each label's sensitivity and positive predictive value.
fn classification(d: &Design) -> String {
    let source = match &d.classifier {
        Some(c) => format!(
            "computed exactly from {} biomarker(s) ({}) and {} rule(s), default '{}'",
            c.biomarkers.len(),
            c.biomarkers
                .iter()
                .map(|b| b.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            c.rules.len(),
            d.labels[c.default]
        ),
        None => "as given by classified_as (default: its own name)".into(),
    };
    let mut out = format!("  classification P(label | true endotype), {source}:\n");
    out += &format!("    {:<18}", "true \\ label");
    for l in &d.labels {
        out += &format!(" {l:>16}");
    }
    out += "\n";
    for e in &d.endotypes {
        out += &format!("    {:<18}", e.name);
        for p in &e.classified_as {
            out += &format!(" {p:>16.4}");
        }
        out += "\n";
    }
    out += "    label: sensitivity P(label | endotype of that name), PPV P(endotype | label):";
    for (l, name) in d.labels.iter().enumerate() {
        let labelled: f64 = d
            .endotypes
            .iter()
            .map(|e| e.prevalence * e.classified_as[l])
            .sum();
        let ppv = d.endotypes[l].prevalence * d.endotypes[l].classified_as[l] / labelled;
        out += &format!(
            " {name} {:.4} / {:.4};",
            d.endotypes[l].classified_as[l], ppv
        );
    }
    out + "\n"
}

/// Total sample sizes on a design's grid from `from` to `to` times `centre`, `points` of them.
fn size_grid(centre: f64, step: u64, from: f64, to: f64, points: u32) -> Vec<u64> {
    let mut sizes: Vec<u64> = (0..points)
        .map(|i| {
            let f = from + (to - from) * f64::from(i) / f64::from(points - 1);
            ((centre * f / step as f64).round() as u64).max(1) * step
        })
        .collect();
    sizes.dedup();
    sizes
}

fn compare(args: &CompareArgs) -> anyhow::Result<()> {
    check_target(args.power)?;
    let mut scenarios = load_all(&args.scenarios)?;
    for s in &mut scenarios {
        s.override_simulation(args.sim.replicates, args.sim.seed)?;
    }
    let pool = thread_pool(args.sim.threads)?;
    let mut rows = Vec::new();
    let mut curves = Vec::new();
    for s in &scenarios {
        let d = &s.design;
        let stated = summary::summarise(d, &simulate(&pool, d, 0..d.replicates, args.sim.quiet));
        let search = size_search(&pool, s, args.power, None, None, None, args.sim.quiet)?;
        let centre = search.chosen.unwrap_or(search.max) as f64;
        let set = crate::sweep::SetArg {
            key: "enrollment.sample_size".into(),
            values: size_grid(centre, search.step, 0.25, 1.5, 11)
                .iter()
                .map(u64::to_string)
                .collect(),
        };
        let points = crate::sweep::grid(s, std::slice::from_ref(&set))?;
        for (values, point_rows) in run_grid(&pool, &points, args.sim.quiet, &d.name) {
            for r in point_rows {
                let x: f64 = values[0].parse().expect("sample sizes are numbers");
                let label = if d.comparisons().count() > 1 {
                    format!("{} ({} vs {})", d.name, r.arm, r.control)
                } else {
                    d.name.clone()
                };
                match curves.iter_mut().find(|c: &&mut Curve| c.label == label) {
                    Some(c) => c.points.push((x, r.power, r.power_ci_low, r.power_ci_high)),
                    None => curves.push(Curve {
                        label,
                        points: vec![(x, r.power, r.power_ci_low, r.power_ci_high)],
                    }),
                }
            }
        }
        for row in &stated {
            let at_target = search.chosen.and_then(|n| {
                search.candidates[&n]
                    .iter()
                    .find(|r| r.arm == row.arm)
                    .map(|r| (n, r.clone()))
            });
            rows.push(output::CompareRow {
                design: d.clone(),
                stated: row.clone(),
                at_target,
            });
        }
    }
    let names: Vec<&str> = scenarios.iter().map(|s| s.design.name.as_str()).collect();
    let stem = format!("compare-{}", names.join("-"));
    let csv = args.sim.out.join(format!("{stem}.csv"));
    let svg = args.sim.out.join(format!("{stem}.svg"));
    write_file(&csv, &output::compare_csv(&rows))?;
    let title = format!("power against total sample size, target {}", args.power);
    write_file(
        &svg,
        plot::power_curve_svg(
            &title,
            "total sample size N (randomised)",
            &curves,
            Some(args.power),
        )
        .as_bytes(),
    )?;
    print!("{}", output::compare_table(&rows, args.power));
    println!("  -> {}\n  -> {}", csv.display(), svg.display());
    Ok(())
}

/// The resolved design, as `validate` prints it.
pub fn describe(d: &Design) -> String {
    let mut out = format!("scenario {}", d.name);
    if let Some(desc) = &d.description {
        out += &format!(": {}", desc.trim());
    }
    out += "\n";
    out += &format!(
        "  screening: {:.4} of screened patients are eligible ({}); {:.1} screened on average to randomise {}\n",
        d.eligible_fraction,
        d.eligible
            .iter()
            .map(|&l| d.labels[l].as_str())
            .collect::<Vec<_>>()
            .join(", "),
        d.expected_screened(),
        d.sample_size
    );
    out += &classification(d);
    out += "  randomised patients by true endotype:";
    for (e, p) in d.endotypes.iter().zip(&d.composition) {
        out += &format!(" {} {:.4};", e.name, p);
    }
    out += "\n  randomised patients by diagnostic label (analysis strata):";
    for (&l, p) in d.eligible.iter().zip(&d.stratum_prob) {
        out += &format!(" {} {:.4};", d.labels[l], p);
    }
    out += &format!(
        "\n  true risk of {} per arm (dropout {}):\n",
        d.event, d.dropout
    );
    for (a, arm) in d.arms.iter().enumerate() {
        out += &format!(
            "    {:<16} ratio {}  risk {:.4}  [by label:",
            arm.name, arm.ratio, d.true_risk[a]
        );
        for (s, &l) in d.eligible.iter().enumerate() {
            let t = arm.treatment_by_stratum[s].map_or("none", |t| d.treatments[t].name.as_str());
            out += &format!(" {} {:.4} ({t});", d.labels[l], d.stratum_risk[a][s]);
        }
        out += "]\n";
    }
    for a in d.comparisons() {
        out += &format!(
            "  {} vs {}: true difference {:+.4}; normal-approximation power {:.4} ({} {}, alpha {})\n",
            d.arms[a].name,
            d.arms[d.control].name,
            d.true_risk[a] - d.true_risk[d.control],
            power::analytic_power(d, a),
            d.analysis.test.as_str(),
            d.analysis.sidedness.as_str(),
            d.analysis.alpha
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
