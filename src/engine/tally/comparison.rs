//! What one comparison yields in one trial, and its sufficient statistics over many trials
//! beneath every endpoint. Sums of values in [-1, 1] are kept in fixed point (see `tally`).

use serde::{Deserialize, Serialize};

use crate::model::design::Design;
use crate::stats::analysis::Statistic;

const FIXED_ONE: f64 = (1u64 << 62) as f64;

pub(crate) fn to_fixed(v: f64) -> i128 {
    (v * FIXED_ONE).round() as i128
}

pub(crate) fn from_fixed(v: i128) -> f64 {
    v as f64 / FIXED_ONE
}

/// R's quantile type 1 of a distribution given as (value, trials) in increasing order of value:
/// the first value whose cumulative count reaches `q` x `trials` (at least one trial).
pub(crate) fn quantile_of<T>(
    counts: impl IntoIterator<Item = (T, u64)>,
    q: f64,
    trials: u64,
) -> Option<T> {
    let target = ((q * trials as f64).ceil() as u64).max(1);
    let mut cum = 0;
    counts
        .into_iter()
        .find(|&(_, c)| {
            cum += c;
            cum >= target
        })
        .map(|(v, _)| v)
}

/// What one comparison (arm vs control) yields in one trial, for any endpoint: the test's
/// p-value, the effect estimate with its 95% interval, and the per-arm observed means.
#[derive(Debug, Clone, Copy)]
pub struct ComparisonOutcome {
    /// Whether the overall test rejected.
    pub rejected: bool,
    /// The overall test's statistic, when the hypotheses' p-values need it.
    pub statistic: Option<Statistic>,
    /// Estimate and 95% interval; `None` when the effect is not estimable (an empty arm).
    pub estimate: Option<(f64, f64, f64)>,
    /// Observed event risk in the arm and in control (when estimable).
    pub observed: Option<(f64, f64)>,
    pub evaluable_arm: u64,
    pub evaluable_control: u64,
}

/// Sufficient statistics of one comparison within one diagnostic label (analysis stratum).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubgroupTally {
    /// Trials in which the within-label test rejected.
    pub rejections: u64,
    /// Trials in which both arms had evaluable patients with that label.
    pub estimable: u64,
    pub sum_difference: i128,
    pub sum_evaluable_arm: u64,
    pub sum_evaluable_control: u64,
}

/// Sufficient statistics of one comparison over many trials.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComparisonTally {
    pub rejections: u64,
    /// Trials in which the effect was estimable: both arms evaluable (binary); a finite Cox
    /// estimate (time to event: deaths in both arms, and a likelihood that is not monotone,
    /// |log HR| <= 30 within 100 Newton steps: `stats::survival::cox`).
    pub estimable: u64,
    /// Estimable trials whose 95% interval contains the true effect.
    pub covered: u64,
    pub sum_estimate: i128,
    pub sum_estimate_sq: i128,
    pub sum_observed_arm: i128,
    pub sum_observed_control: i128,
    pub sum_evaluable_arm: u64,
    pub sum_evaluable_control: u64,
    /// One per analysis stratum.
    pub subgroups: Vec<SubgroupTally>,
    /// Trials in which the treatment-by-label interaction test rejected.
    pub interaction_rejections: u64,
    /// Per hypothesis: trials in which the multiplicity procedure rejected it.
    pub hypothesis_rejections: Vec<u64>,
    /// Trials rejecting at least one hypothesis, all of them, at least one true null.
    pub any_rejected: u64,
    pub all_rejected: u64,
    pub true_null_rejected: u64,
}

impl ComparisonTally {
    pub(crate) fn new(design: &Design) -> ComparisonTally {
        ComparisonTally {
            subgroups: vec![SubgroupTally::default(); design.eligible.len()],
            hypothesis_rejections: vec![0; design.analysis.hypotheses.len()],
            ..ComparisonTally::default()
        }
    }

    pub(crate) fn record(&mut self, o: &ComparisonOutcome, truth: f64) {
        self.rejections += u64::from(o.rejected);
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

    pub(crate) fn merge(&mut self, o: &ComparisonTally) {
        self.rejections += o.rejections;
        self.estimable += o.estimable;
        self.covered += o.covered;
        self.sum_estimate += o.sum_estimate;
        self.sum_estimate_sq += o.sum_estimate_sq;
        self.sum_observed_arm += o.sum_observed_arm;
        self.sum_observed_control += o.sum_observed_control;
        self.sum_evaluable_arm += o.sum_evaluable_arm;
        self.sum_evaluable_control += o.sum_evaluable_control;
        for (a, b) in self.subgroups.iter_mut().zip(&o.subgroups) {
            a.rejections += b.rejections;
            a.estimable += b.estimable;
            a.sum_difference += b.sum_difference;
            a.sum_evaluable_arm += b.sum_evaluable_arm;
            a.sum_evaluable_control += b.sum_evaluable_control;
        }
        self.interaction_rejections += o.interaction_rejections;
        for (a, b) in self
            .hypothesis_rejections
            .iter_mut()
            .zip(&o.hypothesis_rejections)
        {
            *a += b;
        }
        self.any_rejected += o.any_rejected;
        self.all_rejected += o.all_rejected;
        self.true_null_rejected += o.true_null_rejected;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_point_round_trips_to_1e_18() {
        for v in [-1.0, -0.123456789, 0.0, 1e-12, 0.5, 1.0] {
            assert!((from_fixed(to_fixed(v)) - v).abs() < 1e-18);
        }
    }
}
