//! Per-trial statistics, their accumulation over trials, and the summary rows computed from them.
//!
//! Everything accumulated is an integer: counts, and sums of values in [-1, 1] in fixed point
//! (2^-62 units, summed in i128). Integer addition is associative, so the totals (and the CSV) are
//! bit-identical however the trials are split between threads, shards or machines: a float sum
//! would depend on the split (rayon issue #663). The rounding is < 1e-18 per trial.

use serde::{Deserialize, Serialize};

use crate::analysis::{self, Table, Z_975};
use crate::design::Design;
use crate::power;
use crate::simulate::TrialCounts;

const FIXED_ONE: f64 = (1u64 << 62) as f64;

fn to_fixed(v: f64) -> i128 {
    (v * FIXED_ONE).round() as i128
}

fn from_fixed(v: i128) -> f64 {
    v as f64 / FIXED_ONE
}

/// What one comparison (arm vs control) yields in one trial, for any endpoint: the test's
/// p-value, the effect estimate with its 95% interval, and the per-arm observed means.
#[derive(Debug, Clone, Copy)]
pub struct ComparisonOutcome {
    pub p_value: f64,
    /// Estimate and 95% interval; `None` when the effect is not estimable (an empty arm).
    pub estimate: Option<(f64, f64, f64)>,
    /// Observed event risk in the arm and in control (when estimable).
    pub observed: Option<(f64, f64)>,
    pub evaluable_arm: u64,
    pub evaluable_control: u64,
}

/// The binary endpoint's per-trial statistics for comparison `arm` vs control. `strata` is
/// scratch space, one table per stratum (used by stratified tests).
pub fn compare(
    design: &Design,
    counts: &TrialCounts,
    arm: usize,
    strata: &mut [Table],
) -> ComparisonOutcome {
    let c = design.control;
    let pooled = counts.table(arm, c);
    for (s, t) in strata.iter_mut().enumerate() {
        *t = counts.stratum_table(arm, c, s);
    }
    let p_value = analysis::p_value(
        design.analysis.test,
        &pooled,
        strata,
        power::alternative(design),
    );
    let estimate = pooled
        .difference()
        .zip(pooled.wald_interval(Z_975))
        .map(|(d, (lo, hi))| (d, lo, hi));
    let observed = estimate.map(|_| {
        (
            pooled.arm_events as f64 / pooled.arm_n as f64,
            pooled.control_events as f64 / pooled.control_n as f64,
        )
    });
    ComparisonOutcome {
        p_value,
        estimate,
        observed,
        evaluable_arm: pooled.arm_n,
        evaluable_control: pooled.control_n,
    }
}

/// Sufficient statistics of one comparison over many trials.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComparisonTally {
    pub rejections: u64,
    /// Trials in which the effect was estimable (both arms evaluable).
    pub estimable: u64,
    /// Estimable trials whose 95% interval contains the true effect.
    pub covered: u64,
    pub sum_estimate: i128,
    pub sum_estimate_sq: i128,
    pub sum_observed_arm: i128,
    pub sum_observed_control: i128,
    pub sum_evaluable_arm: u64,
    pub sum_evaluable_control: u64,
}

impl ComparisonTally {
    fn record(&mut self, o: &ComparisonOutcome, alpha: f64, truth: f64) {
        self.rejections += u64::from(o.p_value <= alpha);
        self.sum_evaluable_arm += o.evaluable_arm;
        self.sum_evaluable_control += o.evaluable_control;
        if let (Some((d, lo, hi)), Some((ra, rc))) = (o.estimate, o.observed) {
            self.estimable += 1;
            self.covered += u64::from(lo <= truth && truth <= hi);
            self.sum_estimate += to_fixed(d);
            self.sum_estimate_sq += to_fixed(d * d);
            self.sum_observed_arm += to_fixed(ra);
            self.sum_observed_control += to_fixed(rc);
        }
    }

    fn merge(&mut self, o: &ComparisonTally) {
        self.rejections += o.rejections;
        self.estimable += o.estimable;
        self.covered += o.covered;
        self.sum_estimate += o.sum_estimate;
        self.sum_estimate_sq += o.sum_estimate_sq;
        self.sum_observed_arm += o.sum_observed_arm;
        self.sum_observed_control += o.sum_observed_control;
        self.sum_evaluable_arm += o.sum_evaluable_arm;
        self.sum_evaluable_control += o.sum_evaluable_control;
    }
}

/// Sufficient statistics of a run (or a share of one): mergeable exactly, in any order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub trials: u64,
    /// One per comparison, in `Design::comparisons` order.
    pub comparisons: Vec<ComparisonTally>,
    /// Histogram of screen failures per trial (index = failures): gives mean and quantiles.
    pub screen_failures: Vec<u64>,
}

impl Tally {
    pub fn new(design: &Design) -> Tally {
        Tally {
            trials: 0,
            comparisons: vec![ComparisonTally::default(); design.arms.len() - 1],
            screen_failures: Vec::new(),
        }
    }

    /// Records one simulated trial. `strata` is scratch space with one table per stratum.
    pub fn record(&mut self, design: &Design, counts: &TrialCounts, strata: &mut [Table]) {
        self.trials += 1;
        for (tally, arm) in self.comparisons.iter_mut().zip(design.comparisons()) {
            let outcome = compare(design, counts, arm, strata);
            let truth = design.true_risk[arm] - design.true_risk[design.control];
            tally.record(&outcome, design.analysis.alpha, truth);
        }
        let failures = (counts.screened - design.sample_size) as usize;
        if failures >= self.screen_failures.len() {
            // Grows only when a new maximum is seen: O(log) times per run, not per trial.
            self.screen_failures.resize(failures + 1, 0);
        }
        self.screen_failures[failures] += 1;
    }

    pub fn merge(&mut self, other: &Tally) {
        self.trials += other.trials;
        for (a, b) in self.comparisons.iter_mut().zip(&other.comparisons) {
            a.merge(b);
        }
        if other.screen_failures.len() > self.screen_failures.len() {
            self.screen_failures.resize(other.screen_failures.len(), 0);
        }
        for (a, b) in self.screen_failures.iter_mut().zip(&other.screen_failures) {
            *a += b;
        }
    }

    /// Smallest number of screen failures whose empirical CDF reaches `q` (R's quantile type 1).
    fn failures_quantile(&self, q: f64) -> u64 {
        let target = (q * self.trials as f64).ceil() as u64;
        let mut cum = 0;
        for (k, &h) in self.screen_failures.iter().enumerate() {
            cum += h;
            if cum >= target.max(1) {
                return k as u64;
            }
        }
        self.screen_failures.len().saturating_sub(1) as u64
    }

    fn mean_failures(&self) -> f64 {
        let total: u128 = self
            .screen_failures
            .iter()
            .enumerate()
            .map(|(k, &h)| k as u128 * u128::from(h))
            .sum();
        total as f64 / self.trials as f64
    }
}

/// One row of summary.csv: a comparison of an arm with control.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    pub scenario: String,
    pub arm: String,
    pub control: String,
    pub test: String,
    pub alternative: String,
    pub alpha: f64,
    pub replicates: u64,
    pub seed: u64,
    pub sample_size: u64,
    pub power: f64,
    pub power_se: f64,
    pub power_ci_low: f64,
    pub power_ci_high: f64,
    pub analytic_power: f64,
    pub true_risk_control: f64,
    pub true_risk_arm: f64,
    pub true_difference: f64,
    pub mean_difference: f64,
    pub bias: f64,
    pub coverage: f64,
    pub mean_risk_control: f64,
    pub mean_risk_arm: f64,
    pub mean_evaluable_control: f64,
    pub mean_evaluable_arm: f64,
    pub mean_screened: f64,
    pub p95_screened: u64,
    // Columns beyond the contract.
    /// Trials in which the difference was estimable (both arms with evaluable patients): the
    /// denominator of mean_difference, bias, coverage and the mean risks.
    pub estimable: u64,
    /// Monte Carlo standard error of mean_difference (and so of bias).
    pub bias_se: f64,
    /// Cost of a trial: screening x screened + per_patient x randomised (NaN without [cost]).
    pub mean_cost: f64,
    /// 95th percentile of the cost (cost is increasing in the number screened).
    pub p95_cost: f64,
    /// Currency of the costs (empty without [cost]).
    pub currency: String,
}

/// Wilson score interval for a binomial proportion at normal quantile `z`.
pub fn wilson_interval(successes: u64, n: u64, z: f64) -> (f64, f64) {
    let n = n as f64;
    let p = successes as f64 / n;
    let z2 = z * z;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = z / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// The summary rows of a completed run.
pub fn summarise(design: &Design, tally: &Tally) -> Vec<SummaryRow> {
    let r = tally.trials;
    let c = design.control;
    let mean_screened = design.sample_size as f64 + tally.mean_failures();
    let p95_screened = design.sample_size + tally.failures_quantile(0.95);
    let cost = |screened: f64| {
        design
            .cost
            .as_ref()
            .map_or(f64::NAN, |c| c.of(screened, design.sample_size))
    };
    design
        .comparisons()
        .zip(&tally.comparisons)
        .map(|(arm, t)| {
            let power = t.rejections as f64 / r as f64;
            let (lo, hi) = wilson_interval(t.rejections, r, Z_975);
            let true_difference = design.true_risk[arm] - design.true_risk[c];
            let est = t.estimable as f64;
            let mean_difference = from_fixed(t.sum_estimate) / est;
            let var = (from_fixed(t.sum_estimate_sq) / est - mean_difference * mean_difference)
                .max(0.0)
                * est
                / (est - 1.0);
            SummaryRow {
                scenario: design.name.clone(),
                arm: design.arms[arm].name.clone(),
                control: design.arms[c].name.clone(),
                test: design.analysis.test.as_str().to_string(),
                alternative: design.analysis.sidedness.as_str().to_string(),
                alpha: design.analysis.alpha,
                replicates: r,
                seed: design.seed,
                sample_size: design.sample_size,
                power,
                power_se: (power * (1.0 - power) / r as f64).sqrt(),
                power_ci_low: lo,
                power_ci_high: hi,
                analytic_power: power::analytic_power(design, arm),
                true_risk_control: design.true_risk[c],
                true_risk_arm: design.true_risk[arm],
                true_difference,
                mean_difference,
                bias: mean_difference - true_difference,
                coverage: t.covered as f64 / est,
                mean_risk_control: from_fixed(t.sum_observed_control) / est,
                mean_risk_arm: from_fixed(t.sum_observed_arm) / est,
                mean_evaluable_control: t.sum_evaluable_control as f64 / r as f64,
                mean_evaluable_arm: t.sum_evaluable_arm as f64 / r as f64,
                mean_screened,
                p95_screened,
                estimable: t.estimable,
                bias_se: (var / est).sqrt(),
                mean_cost: cost(mean_screened),
                p95_cost: cost(p95_screened as f64),
                currency: design
                    .cost
                    .as_ref()
                    .map_or(String::new(), |c| c.currency.clone()),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_prop_test_without_correction() {
        // prop.test(30, 100, correct=FALSE)$conf.int -> 0.218948852949328 0.395848546333467 (R 4.2.2)
        let (lo, hi) = wilson_interval(30, 100, Z_975);
        assert!((lo - 0.218948852949328).abs() < 1e-12, "{lo}");
        assert!((hi - 0.395848546333467).abs() < 1e-12, "{hi}");
        assert_eq!(wilson_interval(0, 10, Z_975).0, 0.0);
    }

    #[test]
    fn fixed_point_round_trips_to_1e_18() {
        for v in [-1.0, -0.123456789, 0.0, 1e-12, 0.5, 1.0] {
            assert!((from_fixed(to_fixed(v)) - v).abs() < 1e-18);
        }
    }
}
