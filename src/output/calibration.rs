//! What `calibrate` prints and writes: the calibrated superiority threshold with its Monte
//! Carlo interval, and calibration.csv, the probability of declaring superiority under the
//! global null and under the scenario at a grid of thresholds (both read off the same trials'
//! critical thresholds, so the curve is exact for those trials at every threshold).

use crate::model::design::Design;
use crate::output::result_csv::{num, to_csv};
use crate::tools::calibrate::{Calibration, declaring};

/// The probability of declaring superiority at `t` among trials with critical thresholds
/// `critical`, with its binomial Monte Carlo SE.
pub fn declared(critical: &[f64], t: f64) -> (f64, f64) {
    let n = critical.len() as f64;
    let p = declaring(critical, t) as f64 / n;
    (p, (p * (1.0 - p) / n).sqrt())
}

/// Thresholds of calibration.csv: 0.90 to 0.99 by 0.005, 0.991 to 0.999 by 0.001, and the
/// calibrated one; those above `floor` only.
pub fn grid(calibrated: f64, floor: f64) -> Vec<f64> {
    let mut t: Vec<f64> = (0..19).map(|i| 0.9 + 0.005 * f64::from(i)).collect();
    t.extend((1..10).map(|i| 0.99 + 0.001 * f64::from(i)));
    // Printed and parsed so that 0.9 + 0.005 * 3 is the 0.915 a reader types.
    let mut t: Vec<f64> = t
        .into_iter()
        .map(|x| format!("{x:.3}").parse().expect("a decimal"))
        .chain([calibrated])
        .filter(|&x| x > floor)
        .collect();
    t.sort_by(f64::total_cmp);
    t.dedup();
    t
}

pub fn calibration_csv(d: &Design, thresholds: &[f64], null: &[f64], scenario: &[f64]) -> Vec<u8> {
    to_csv(
        [
            "scenario",
            "threshold",
            "trials",
            "seed",
            "p_superiority_null",
            "mc_se_null",
            "p_superiority_scenario",
            "mc_se_scenario",
        ],
        thresholds.iter().map(|&t| {
            let (p0, se0) = declared(null, t);
            let (p1, se1) = declared(scenario, t);
            [
                d.name.clone(),
                num(t),
                null.len().to_string(),
                d.seed.to_string(),
                num(p0),
                num(se0),
                num(p1),
                num(se1),
            ]
        }),
    )
}

/// The terminal summary of a calibration that met its target.
pub fn calibration_text(
    d: &Design,
    k: &Calibration,
    target: f64,
    symmetric: bool,
    scenario: &[f64],
) -> String {
    let plan = d.bayesian().expect("a Bayesian design");
    let under = match plan.control {
        Some(c) => format!("every arm as {}", d.arms[c].display),
        None => "every arm untreated".to_string(),
    };
    let (p0, se0) = (
        k.declaring as f64 / k.trials as f64,
        (target * (1.0 - target) / k.trials as f64).sqrt(),
    );
    let (p1, se1) = declared(scenario, k.threshold);
    let mut out = format!(
        "{}: superiority threshold calibrated under the global null ({under}), {} trials, seed {}\n",
        d.name, k.trials, d.seed
    );
    out += &format!(
        "  threshold {} (95% MC interval {:.4} to {:.4}): the smallest with P(superiority declared) <= {target}\n",
        k.threshold, k.interval.0, k.interval.1
    );
    out += &format!(
        "  P(superiority declared) at {}: null {:.4} of these trials (a fresh run: {target} +- {:.4} MC SE); scenario {:.4} (MC SE {:.4})\n",
        k.threshold, p0, se0, p1, se1
    );
    if symmetric {
        out += &format!(
            "  with inferiority = 1 - threshold = {} (symmetric, as adaptr's calibrate_trial)\n",
            format!("{:.12}", 1.0 - k.threshold)
                .trim_end_matches('0')
                .trim_end_matches('.')
        );
    }
    if plan.by_label {
        out += "  P(superiority declared) counts every trial in which some label declares an arm superior: the chance of a false claim in any label (familywise over labels and arms)\n";
    }
    if plan.control.is_some() && d.arms.len() > 2 {
        out += "  P(superiority declared) counts every trial in which an arm is declared superior to the control, also when the trial goes on with it as the new control (adaptr's prob_superior counts only the trials that stop there)\n";
    }
    out += &format!("  set in [bayesian]: superiority = {}\n", k.threshold);
    out
}
