//! `calibrate`: a Bayesian design's superiority threshold under the global null.

use super::{BadInput, CalibrateArgs, bar, load_with, trials_style, write_file};
use crate::engine::bayesian::critical::critical_thresholds;
use crate::model::design::Design;
use crate::output::calibration::{calibration_csv, calibration_text, grid};
use crate::tools::calibrate::{Unreachable, calibrate};

pub(super) fn calibrate_command(args: &CalibrateArgs) -> anyhow::Result<()> {
    let (scenario, pool) = load_with(&args.scenario, &args.sim)?;
    let d = &scenario.design;
    let floor = check(d, args)?;
    let criticals = |design: &Design, label: &str| {
        let b = bar(design.replicates, trials_style(), args.sim.quiet, label);
        let c = pool.install(|| {
            critical_thresholds(design, args.symmetric, 0..design.replicates, &|n| b.inc(n))
        });
        b.finish_and_clear();
        c
    };
    let null = criticals(&d.without_effects(), &format!("{} null", d.name));
    let alternative = criticals(d, &d.name);
    let calibrated = calibrate(&null, args.target, floor);
    match calibrated {
        Ok(k) => {
            let path = args.sim.out.join(&d.name).join("calibration.csv");
            let thresholds = grid(k.threshold, floor);
            write_file(&path, &calibration_csv(d, &thresholds, &null, &alternative))?;
            print!(
                "{}",
                calibration_text(d, &k, args.target, args.symmetric, &alternative)
            );
            println!("  -> {}", path.display());
            Ok(())
        }
        Err(Unreachable::AtEveryThreshold { share }) => Err(BadInput(format!(
            "{}: no superiority threshold below 1 keeps P(superiority declared) under the global null at or below --target {}: {share} of {} trials declare superiority at every threshold (their other arms are dropped as inferior or futile): lower bayesian.inferiority{}",
            d.name,
            args.target,
            d.replicates,
            if d.arms.len() == 2 && !args.symmetric { ", or calibrate both with --symmetric" } else { "" }
        ))
        .into()),
        Err(Unreachable::BelowFloor { threshold, floor }) => Err(BadInput(format!(
            "{}: the design declares superiority under the global null in at most --target {} of {} trials at any threshold above {floor} (the threshold found, {threshold}, is not above {floor}: one half, or the inferiority threshold if higher): nothing to calibrate",
            d.name, args.target, d.replicates
        ))
        .into()),
    }
}

/// The design and arguments calibrate can work with; the floor the threshold must exceed.
fn check(d: &Design, args: &CalibrateArgs) -> anyhow::Result<f64> {
    if !(args.target > 0.0 && args.target < 1.0) {
        return Err(BadInput(format!(
            "--target: expected a probability in (0, 1), found {}",
            args.target
        ))
        .into());
    }
    let Some(plan) = d.bayesian() else {
        return Err(BadInput(format!(
            "{}: `calibrate` sets the superiority threshold of a Bayesian adaptive design ([bayesian]); this scenario has none (`size` searches a frequentist design's sample size)",
            d.name
        ))
        .into());
    };
    if plan.superiority.windows(2).any(|w| w[0] != w[1]) {
        return Err(BadInput(format!(
            "{}: bayesian.superiority differs by look; `calibrate` finds one threshold for every look (give a single value)",
            d.name
        ))
        .into());
    }
    if args.symmetric && d.arms.len() != 2 {
        return Err(BadInput(format!(
            "{}: --symmetric needs two arms, this design has {}: with more, an arm dropped as inferior does not end the trial, and the chance of declaring superiority is not monotone in a threshold that moves inferiority too; calibrate superiority alone",
            d.name,
            d.arms.len()
        ))
        .into());
    }
    let inferiority = plan.inferiority.iter().copied().fold(0.5, f64::max);
    Ok(if args.symmetric { 0.5 } else { inferiority })
}
