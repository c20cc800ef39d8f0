//! The command line: argument definitions, dispatch, and what the commands share (loading,
//! thread pool, progress display, atomic writes of results). `run` and `validate` live here;
//! `scale` holds merge, slurm and check; `design_tools` holds size, sweep, report and compare;
//! `calibrate` the Bayesian threshold; `host` the same work for a program embedding the
//! engine (the R package).
//!
//! Exit codes: 0 success, 2 bad input (scenario or arguments), 1 anything else.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::engine;
use crate::engine::bayesian;
use crate::engine::design_values::DesignValues;
use crate::engine::shard::{Shard, ShardError, ShardSpec};
use crate::engine::summary;
use crate::engine::tally::Tally;
use crate::model::design::{Design, DesignKind, EndpointModel, MAX_SAMPLE_SIZE};
use crate::model::scenario::{Scenario, ScenarioError};
use crate::model::survival::SurvivalModel;
use crate::model::templates::Template;
use crate::output;
use crate::output::result_dir::ResultDir;
use crate::output::{plot, report};

mod calibrate;
mod design_tools;
pub mod host;
mod scale;

use design_tools::{compare_command, report_command, size_command, sweep_command};
use scale::{check_command, merge_command, slurm_command};

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
    #[command(
        after_help = "Examples:\n  endotrial run scenarios/immunosep.toml\n  endotrial run scenarios/*.toml --replicates 1000000 --out results"
    )]
    Run(RunArgs),
    /// Write a commented, valid starting scenario to edit.
    #[command(
        after_help = "Examples:\n  endotrial init my_trial.toml\n  endotrial init --template biomarker my_trial.toml && endotrial validate my_trial.toml"
    )]
    Init {
        /// Where to write it (an existing file is left alone: exit 2).
        #[arg(default_value = "scenario.toml")]
        path: PathBuf,
        /// The kind of design to start from.
        #[arg(long, value_enum, default_value_t = Template::Binary)]
        template: Template,
    },
    /// Parse and check scenarios; print the resolved design.
    #[command(
        after_help = "Examples:\n  endotrial validate scenarios/*.toml\n  endotrial validate --keys scenarios/immunosep.toml   # what sweep --set accepts"
    )]
    Validate {
        /// Scenario files (TOML).
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
        /// List the keys `sweep --set` accepts in each scenario, with their values, instead.
        #[arg(long)]
        keys: bool,
    },
    /// Merge a complete set of shards (from `run --shard`) into summary.csv.
    #[command(
        after_help = "Example:\n  endotrial merge results/immunosep/shards   # -> results/immunosep/summary.csv"
    )]
    Merge {
        /// The folder holding the shard files, e.g. results/immunosep/shards.
        shard_dir: PathBuf,
        /// Output folder; results go to <out>/<name>/ (default: two levels above the shards).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Write Slurm scripts: a job array over shards and a dependent merge job.
    #[command(
        after_help = "Example:\n  endotrial slurm scenarios/immunosep.toml --shards 100 --partition short && bash results/immunosep/slurm/submit.sh"
    )]
    Slurm(SlurmArgs),
    /// Re-run scenarios with the seed and replicates of committed results and compare.
    #[command(
        after_help = "Examples:\n  endotrial check scenarios/ --against results/\n  endotrial check scenarios/ --against results/ --tolerance mc   # after an intended engine change"
    )]
    Check(CheckArgs),
    /// Smallest total sample size whose simulated power reaches a target.
    #[command(
        after_help = "Examples:\n  endotrial size scenarios/immunosep.toml --power 0.8\n  endotrial size scenarios/design_stratified.toml --power 0.9 --arm personalised --max 4000"
    )]
    Size(SizeArgs),
    /// Re-run a scenario over a grid of values set by key path; sweep.csv and a power curve.
    #[command(
        after_help = "Examples:\n  endotrial sweep scenarios/immunosep.toml --set enrollment.sample_size=150:300:50\n  endotrial sweep scenarios/immunosep.toml --set endotype.mals.prevalence=0.05,0.07,0.1 --set enrollment.dropout=0,0.1"
    )]
    Sweep(SweepArgs),
    /// Sample-size report (Markdown and HTML) with a ready-to-paste justification.
    #[command(
        after_help = "Example:\n  endotrial report scenarios/immunosep.toml --power 0.8   # results/immunosep/report.md and report.html"
    )]
    Report(ReportArgs),
    /// Several designs of the same question side by side: power, N for the target, screening,
    /// cost; writes <out>/compare-<names>.csv and .svg.
    #[command(after_help = "Example:\n  endotrial compare scenarios/design_*.toml --power 0.8")]
    Compare(CompareArgs),
    /// Bayesian designs: the smallest superiority threshold whose probability of declaring
    /// superiority under the global null is at most a target; writes <out>/<name>/calibration.csv.
    #[command(
        after_help = "Example:\n  endotrial calibrate scenarios/immunosep_platform_basic.toml --target 0.05"
    )]
    Calibrate(CalibrateArgs),
}

#[derive(Debug, clap::Args)]
pub struct CalibrateArgs {
    /// Scenario file (TOML) with a [bayesian] table.
    pub scenario: PathBuf,
    /// Largest probability of declaring superiority under the global null, in (0, 1).
    #[arg(long, default_value_t = 0.05)]
    pub target: f64,
    /// Set inferiority to 1 - threshold as well (adaptr's default calibration; two arms only).
    #[arg(long)]
    pub symmetric: bool,
    #[command(flatten)]
    pub sim: SimArgs,
}

#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// Scenario files (TOML), one per design.
    #[arg(required = true, num_args = 2..)]
    pub scenarios: Vec<PathBuf>,
    /// Target power of each design's sample-size search.
    #[arg(long, default_value_t = 0.8)]
    pub power: f64,
    /// With `analysis.hypotheses`: the adjusted power to search, of a hypothesis (NAME), of
    /// rejecting any or all of them (default: the first listed, the primary).
    #[arg(long, value_name = "NAME|any|all")]
    pub hypothesis: Option<String>,
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
    /// Output folder: results go to <out>/<name>/ (compare: <out>/compare-<names>.csv and .svg).
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
    /// With `analysis.hypotheses`: the adjusted power to search, of a hypothesis (NAME), of
    /// rejecting any or all of them (default: the first listed, the primary).
    #[arg(long, value_name = "NAME|any|all")]
    pub hypothesis: Option<String>,
    /// Smallest total sample size to consider.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=MAX_SAMPLE_SIZE))]
    pub min: Option<u64>,
    /// Largest total sample size to consider (at most 10^9).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=MAX_SAMPLE_SIZE))]
    pub max: Option<u64>,
    /// Bayesian designs adapting by label: the label whose arms (or conclusion) must reach the
    /// target (default: every label).
    #[arg(long)]
    pub label: Option<String>,
    /// Bayesian designs: search the chance of ending conclusively (not at the maximum) instead
    /// of arms' chance of being declared superior.
    #[arg(long)]
    pub conclusive: bool,
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
    pub sets: Vec<crate::tools::sweep::SetArg>,
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
    /// With `analysis.hypotheses`: the adjusted power to search, of a hypothesis (NAME), of
    /// rejecting any or all of them (default: the first listed, the primary).
    #[arg(long, value_name = "NAME|any|all")]
    pub hypothesis: Option<String>,
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
            ExitCode::from(if is_bad_input(&e) { 2 } else { 1 })
        }
    }
}

/// Whether an error is the user's input (exit 2) rather than the machine's (exit 1).
fn is_bad_input(e: &anyhow::Error) -> bool {
    e.chain()
        .any(|c| c.is::<ScenarioError>() || c.is::<BadInput>() || c.is::<ShardError>())
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
        Command::Init { path, template } => init(&path, template)?,
        Command::Validate { scenarios, keys } => {
            for s in load_all(&scenarios)? {
                if keys {
                    print!("{}", keys_text(&s));
                } else {
                    print!("{}", report::describe::describe(&s.design));
                }
            }
        }
        Command::Merge { shard_dir, out } => merge_command(&shard_dir, out.as_deref())?,
        Command::Slurm(args) => slurm_command(&args)?,
        Command::Check(args) => return check_command(&args),
        Command::Size(args) => size_command(&args)?,
        Command::Sweep(args) => sweep_command(&args)?,
        Command::Report(args) => report_command(&args)?,
        Command::Compare(args) => compare_command(&args)?,
        Command::Calibrate(args) => calibrate::calibrate_command(&args)?,
    }
    Ok(Outcome::Done)
}

/// Writes a starting scenario; an existing file is never overwritten.
fn init(path: &Path, template: Template) -> anyhow::Result<()> {
    if path.exists() {
        return Err(BadInput(format!(
            "{}: already exists; name another file (init never overwrites)",
            path.display()
        ))
        .into());
    }
    write_file(
        path,
        template.text_for(&path.display().to_string()).as_bytes(),
    )?;
    println!(
        "wrote {} ({} template): edit it, then `endotrial validate {0}`",
        path.display(),
        format!("{template:?}").to_lowercase()
    );
    Ok(())
}

/// The keys `sweep --set` accepts, as `validate --keys` prints them.
fn keys_text(s: &Scenario) -> String {
    let keys =
        crate::tools::sweep::sweepable_keys(&s.text).expect("a loaded scenario is valid TOML");
    let mut out = format!(
        "{}: keys that `sweep --set KEY=V1,V2,...` accepts (value in the file):\n",
        s.path.display()
    );
    for (key, value) in keys {
        out += &format!("  {key} = {value}\n");
    }
    out + "  (by_endotype, classified_as and assign also accept names they do not list yet)\n"
}

/// Loads and validates every scenario before anything runs, so that one bad file leaves every
/// result untouched.
fn load_all(paths: &[PathBuf]) -> anyhow::Result<Vec<Scenario>> {
    // Every file is read and judged, so that one message names every bad one.
    let (scenarios, errors): (Vec<_>, Vec<_>) = paths
        .iter()
        .map(|p| Scenario::load(p))
        .partition(Result::is_ok);
    let errors: Vec<String> = errors
        .into_iter()
        .map(|e| e.expect_err("partitioned").to_string())
        .collect();
    match errors.len() {
        0 => {}
        1 => return Err(BadInput(errors[0].clone()).into()),
        n => {
            return Err(BadInput(format!(
                "{n} of {} scenario files are invalid:\n{}",
                paths.len(),
                errors.join("\n")
            ))
            .into());
        }
    }
    let scenarios: Vec<Scenario> = scenarios.into_iter().map(Result::unwrap).collect();
    scenarios.iter().for_each(warn);
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

/// A name in a progress line: at most 16 characters, so the line fits 80 columns.
fn bar_prefix(name: &str) -> String {
    match name.char_indices().nth(15) {
        Some((i, _)) if name.chars().count() > 16 => format!("{}~", &name[..i]),
        _ => name.to_string(),
    }
}

/// Trials done out of `total`, with the rate and the time left; the bar takes what the
/// terminal's width leaves, so the line fits any width down to 80 columns.
fn trials_style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix} [{wide_bar}] {percent:>3}% {rate} eta {eta}")
        .expect("valid template")
        .with_key(
            "rate",
            |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.2} M trials/s", state.per_sec() / 1e6);
            },
        )
        .progress_chars("=> ")
}

/// Candidates of a sample-size search: evaluated out of an estimate that the search revises.
fn search_style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix} [{wide_bar}] {pos}/~{len} candidates, {msg}, eta {eta}")
        .expect("valid template")
        .progress_chars("=> ")
}

/// A progress bar on stderr of `length` in `style`, named; hidden when quiet or not a terminal.
fn bar(length: u64, style: ProgressStyle, quiet: bool, name: &str) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(length), ProgressDrawTarget::stderr());
    bar.set_style(style);
    bar.set_prefix(bar_prefix(name));
    bar
}

fn progress_bar(total: u64, quiet: bool, name: &str) -> ProgressBar {
    bar(total, trials_style(), quiet, name)
}

/// The bar of a sample-size search (length: candidates evaluated plus those estimated left).
fn search_bar(quiet: bool, name: &str) -> ProgressBar {
    bar(1, search_style(), quiet, name)
}

fn thread_pool(threads: Option<u64>) -> anyhow::Result<rayon::ThreadPool> {
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(t) = threads {
        pool = pool.num_threads(t as usize);
    }
    // A host's command (`host::command`) runs on a thread watching a stop token: its workers,
    // where the trials run, watch it too.
    if let Some(token) = engine::stop::watched() {
        pool = pool.start_handler(move |_| engine::stop::watch(Some(token.clone())));
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

/// The scenario as read, written beside its results (by `run` and `report`).
pub(super) const SCENARIO_COPY: &str = "scenario.toml";

fn write_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    output::files::write_atomic(path, bytes)
        .with_context(|| format!("cannot write '{}'", path.display()))
}

/// A result file's name and bytes (`None`: the run has no such file).
type ResultFile = (&'static str, Option<Vec<u8>>);

/// Each result CSV of a run by name, with its bytes.
type ResultFiles = [ResultFile; 7];

/// The result CSVs of a run, named as in `check::RESULT_FILES`: summary.csv, subgroups.csv,
/// hypotheses.csv when the scenario lists hypotheses and sequential.csv when it has
/// `[sequential]` (`None` otherwise).
fn result_csvs(d: &Design, tally: &Tally) -> ResultFiles {
    if let Some(files) = bayesian_csvs(d, tally) {
        return files;
    }
    let values = DesignValues::of(d);
    csvs_of(
        &summary::summary_rows(d, &values, tally),
        &summary::hypothesis_rows(d, tally),
        (d, &values),
        tally,
    )
}

fn csvs_of(
    rows: &[summary::SummaryRow],
    hypotheses: &[summary::HypothesisRow],
    (d, values): (&Design, &DesignValues),
    tally: &Tally,
) -> ResultFiles {
    if let Some(files) = bayesian_csvs(d, tally) {
        return files;
    }
    let sequential = summary::sequential_rows_of(d, values, tally);
    let adaptation = summary::adaptation_rows(d, tally);
    [
        ("summary.csv", Some(output::result_csv::summary_csv(rows))),
        (
            "subgroups.csv",
            // Within-label analyses of a time-to-event endpoint, or of the stages of an
            // adaptive design, are not built yet.
            match (&d.endpoint, &d.kind) {
                (EndpointModel::TimeToEvent(_), _)
                | (_, DesignKind::AdaptiveEnrichment(..) | DesignKind::Bayesian(_)) => None,
                (
                    EndpointModel::Binary
                    | EndpointModel::Continuous(_)
                    | EndpointModel::Ordinal(_),
                    DesignKind::Fixed | DesignKind::GroupSequential(_),
                ) => Some(output::result_csv::subgroups_csv(&summary::subgroup_rows(
                    d, tally,
                ))),
            },
        ),
        (
            "hypotheses.csv",
            (!hypotheses.is_empty()).then(|| output::result_csv::hypotheses_csv(hypotheses)),
        ),
        (
            "sequential.csv",
            (!sequential.is_empty()).then(|| output::result_csv::sequential_csv(&sequential)),
        ),
        (
            "adaptation.csv",
            (!adaptation.is_empty()).then(|| output::result_csv::adaptation_csv(&adaptation)),
        ),
        ("bayesian.csv", None),
        ("allocation.csv", None),
    ]
}

/// The result CSVs of a Bayesian design (`None`: another kind of design): summary.csv by arm,
/// bayesian.csv (adaptr's metrics) and allocation.csv, in `check::RESULT_FILES` order.
fn bayesian_csvs(d: &Design, tally: &Tally) -> Option<ResultFiles> {
    let (plan, b) = (d.bayesian()?, tally.bayesian()?);
    let arms = bayesian::metrics::arm_rows(d, plan, tally.trials, b);
    let run = bayesian::metrics::run_row(d, tally, b, plan);
    let metrics = bayesian::metrics::metrics(d, plan, tally.trials, b);
    let allocation = bayesian::metrics::allocation_rows(d, plan, b);
    Some([
        (
            "summary.csv",
            Some(output::bayesian_csv::summary_csv(d, plan, &arms, &run)),
        ),
        ("subgroups.csv", None),
        ("hypotheses.csv", None),
        ("sequential.csv", None),
        ("adaptation.csv", None),
        (
            "bayesian.csv",
            Some(output::bayesian_csv::metrics_csv(d, &metrics)),
        ),
        (
            "allocation.csv",
            Some(output::bayesian_csv::allocation_csv(d, &allocation)),
        ),
    ])
}

/// The figure an endpoint draws beside its results (`run`'s summary.csv and `report`'s
/// report.md), if any, with its file name.
fn endpoint_figure(d: &Design) -> Option<(&'static str, String)> {
    match &d.endpoint {
        EndpointModel::Binary | EndpointModel::Continuous(_) | EndpointModel::Ordinal(_) => None,
        EndpointModel::TimeToEvent(m) => Some((plot::SURVIVAL_SVG, survival_svg(d, m))),
    }
}

/// A Bayesian design's mean allocation by analysis, one line per arm (per label and arm with
/// `by_label`); `None` for another design.
pub(super) fn allocation_figure(d: &Design, tally: &Tally) -> Option<String> {
    let (plan, b) = (d.bayesian()?, tally.bayesian()?);
    let rows = bayesian::metrics::allocation_rows(d, plan, b);
    let strata = bayesian::stratum_names(d, plan);
    let mut curves = Vec::new();
    for stratum in &strata {
        for (a, arm) in d.arms.iter().enumerate() {
            let points = rows
                .iter()
                .filter(|r| &r.stratum == stratum && r.share[a].is_finite())
                .map(|r| (r.patients as f64, r.share[a]))
                .collect();
            let name = if plan.by_label {
                format!("{}: {}", d.label_display(stratum), arm.display)
            } else {
                arm.display.clone()
            };
            curves.push((name, points));
        }
    }
    Some(plot::allocation_svg(
        &format!("{}: mean allocation by analysis", d.name),
        &curves,
    ))
}

/// Each arm's true survival from day 0 to the follow-up (or the last mortality point), in 200
/// steps.
fn survival_svg(d: &Design, m: &SurvivalModel) -> String {
    let last = m.reference_day;
    let curves: Vec<(String, Vec<(f64, f64)>)> = d
        .arms
        .iter()
        .enumerate()
        .map(|(a, arm)| {
            let points = (0..=200)
                .map(|i| {
                    let t = last * f64::from(i) / 200.0;
                    (t, d.true_survival(a, t))
                })
                .collect();
            (arm.display.clone(), points)
        })
        .collect();
    plot::survival_curves_svg(&format!("{}: true survival by arm", d.name), &curves)
}

/// The terminal's tables of a run: operating characteristics by arm (and hypotheses), or a
/// Bayesian design's arms and adaptr's metrics.
fn result_tables(
    d: &Design,
    tally: &Tally,
    rows: &[summary::SummaryRow],
    hypotheses: &[summary::HypothesisRow],
) -> String {
    match (d.bayesian(), tally.bayesian()) {
        (Some(plan), Some(b)) => output::terminal::bayesian_table(
            d,
            &bayesian::metrics::arm_rows(d, plan, tally.trials, b),
            &bayesian::metrics::metrics(d, plan, tally.trials, b),
        ),
        _ => {
            output::terminal::summary_table(rows) + &output::terminal::hypotheses_table(hypotheses)
        }
    }
}

/// Every file of a run's result folder by name, with its bytes (`None`: the run has no such
/// file, and a stale one must not be left beside the others): the CSVs, the figures and the
/// scenario copy.
fn result_files(scenario: &Scenario, tally: &Tally) -> (String, Vec<ResultFile>) {
    let d = &scenario.design;
    let values = DesignValues::of(d);
    let rows = summary::summary_rows(d, &values, tally);
    let hypotheses = summary::hypothesis_rows(d, tally);
    let mut files: Vec<_> = csvs_of(&rows, &hypotheses, (d, &values), tally).into();
    // The true survival curves of a time-to-event design, beside its results (and no stale
    // curves beside those of another kind of endpoint).
    match endpoint_figure(d) {
        Some((name, svg)) => files.push((name, Some(svg.into_bytes()))),
        None => files.push((plot::SURVIVAL_SVG, None)),
    }
    // A Bayesian design's RAR path, beside allocation.csv.
    files.push((
        plot::ALLOCATION_SVG,
        allocation_figure(d, tally).map(String::into_bytes),
    ));
    files.push((SCENARIO_COPY, Some(scenario.text.clone().into_bytes())));
    (result_tables(d, tally, &rows, &hypotheses), files)
}

/// Writes the result files to `dir`, and prints the tables.
fn write_results(dir: &Path, scenario: &Scenario, tally: &Tally) -> anyhow::Result<()> {
    let (tables, files) = result_files(scenario, tally);
    // Printed first: the numbers reach the user even if a write fails.
    print!("{tables}");
    let cannot = || format!("cannot write the results into '{}'", dir.display());
    let mut out = ResultDir::lock(dir).with_context(cannot)?;
    for (name, bytes) in files {
        match bytes {
            Some(bytes) => out.stage(name, &bytes).with_context(cannot)?,
            // A scenario that no longer lists hypotheses (or has no [sequential]) must not leave
            // a stale file beside it.
            None => out.remove(name),
        }
    }
    out.commit().with_context(cannot)?;
    println!("  -> {}", dir.join("summary.csv").display());
    Ok(())
}

fn run(args: &RunArgs) -> anyhow::Result<()> {
    let sim = &args.sim;
    let mut scenarios = load_all(&args.scenarios)?;
    for s in &mut scenarios {
        s.override_simulation(sim.replicates, sim.seed)?;
    }
    writable_out(&sim.out)?;
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

/// Prints a scenario's likely mistakes on stderr (they do not stop it).
fn warn(s: &Scenario) {
    for w in host::warnings(s) {
        eprintln!("warning: {w}");
    }
}

/// Loads one scenario with the shared simulation overrides applied, and its thread pool.
fn load_with(path: &Path, sim: &SimArgs) -> anyhow::Result<(Scenario, rayon::ThreadPool)> {
    let mut scenario = Scenario::load(path)?;
    warn(&scenario);
    scenario.override_simulation(sim.replicates, sim.seed)?;
    writable_out(&sim.out)?;
    Ok((scenario, thread_pool(sim.threads)?))
}

/// Checks before any simulation that results can be written under `out` (bad input otherwise):
/// an unwritable folder must not cost a whole run first.
fn writable_out(out: &Path) -> anyhow::Result<()> {
    let probe =
        output::files::create_folder(out).and_then(|()| tempfile::NamedTempFile::new_in(out));
    probe.map(drop).map_err(|e| {
        BadInput(format!(
            "--out '{}': cannot write results there ({e})",
            out.display()
        ))
        .into()
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    /// Renders a bar of `style` on an 80-column terminal, part way through.
    fn rendered(style: ProgressStyle, name: &str, message: &str) -> String {
        let term = indicatif::InMemoryTerm::new(4, 80);
        let bar = ProgressBar::with_draw_target(
            Some(1_600_000),
            ProgressDrawTarget::term_like(Box::new(term.clone())),
        );
        bar.set_style(style);
        bar.set_prefix(bar_prefix(name));
        bar.set_message(message.to_string());
        bar.set_position(987_654);
        bar.force_draw();
        term.contents()
    }

    #[test]
    fn progress_lines_fit_80_columns() {
        let long = "a_scenario_name_much_longer_than_the_terminal_allows";
        for (style, message) in [(trials_style(), ""), (search_style(), "N = 1,234,568")] {
            let text = rendered(style, long, message);
            // A line wider than the terminal wraps onto a second row.
            let rows: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
            assert_eq!(rows.len(), 1, "{text}");
            let line = rows[0];
            assert!(line.starts_with("a_scenario_name~ ["), "{line}");
            assert!(line.contains("eta"), "{line}");
        }
        assert_eq!(bar_prefix("immunosep"), "immunosep");
        assert_eq!(bar_prefix("immunosep_biomarkers"), "immunosep_bioma~");
    }
}
