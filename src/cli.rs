//! The command line: `endotrial run` and `endotrial validate`.
//!
//! Exit codes: 0 success, 2 bad input (scenario or arguments), 1 anything else.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::design::Design;
use crate::output;
use crate::power;
use crate::scenario::{Scenario, ScenarioError};
use crate::{engine, summary};

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
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Scenario files (TOML).
    #[arg(required = true)]
    pub scenarios: Vec<PathBuf>,
    /// Number of virtual trials (overrides simulation.replicates).
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
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            let bad_input = e
                .chain()
                .any(|c| c.is::<ScenarioError>() || c.is::<BadInput>());
            ExitCode::from(if bad_input { 2 } else { 1 })
        }
    }
}

fn dispatch(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Run(args) => run(&args),
        Command::Validate { scenarios } => {
            for s in load_all(&scenarios)? {
                print!("{}", describe(&s.design));
            }
            Ok(())
        }
    }
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
            "{prefix} [{bar:40}] {human_pos}/{human_len} trials ({per_sec}, eta {eta})",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar.set_prefix(name.to_string());
    bar
}

fn run(args: &RunArgs) -> anyhow::Result<()> {
    let mut scenarios = load_all(&args.scenarios)?;
    for s in &mut scenarios {
        s.override_simulation(args.replicates, args.seed)?;
    }
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(t) = args.threads {
        pool = pool.num_threads(t as usize);
    }
    let pool = pool.build().context("cannot start the worker threads")?;
    for s in &scenarios {
        let design = &s.design;
        let bar = progress_bar(design.replicates, args.quiet, &design.name);
        let tally =
            pool.install(|| engine::simulate(design, 0..design.replicates, &|n| bar.inc(n)));
        bar.finish_and_clear();
        let rows = summary::summarise(design, &tally);
        let dir = args.out.join(&design.name);
        let write = |file: &str, bytes: &[u8]| {
            let path = dir.join(file);
            output::write_atomic(&path, bytes)
                .with_context(|| format!("cannot write '{}'", path.display()))
        };
        write("summary.csv", &output::summary_csv(&rows))?;
        write("scenario.toml", s.text.as_bytes())?;
        print!("{}", output::summary_table(&rows));
        println!("  -> {}", dir.join("summary.csv").display());
    }
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
