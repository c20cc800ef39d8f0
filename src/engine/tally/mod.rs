//! Sufficient statistics of a run (or a share of one), mergeable exactly in any order: what
//! every design records (`comparison`), and what a group-sequential, time-to-event or
//! enrichment design adds (`sequential`, `survival`, `enrichment`); `check` holds a tally's
//! invariants, for shards read from disk.
//!
//! Everything accumulated is an integer: counts, and sums of values in [-1, 1] in fixed point
//! (2^-62 units, summed in i128). Integer addition is associative, so the totals (and the CSV) are
//! bit-identical however the trials are split between threads, shards or machines: a float sum
//! would depend on the split (rayon issue #663). The rounding is < 1e-18 per trial.

pub mod check;
pub mod comparison;
pub mod enrichment;
pub mod sequential;
pub mod survival;

use serde::{Deserialize, Serialize};

use crate::endpoint::binary::TrialCounts;
use crate::engine::binary_analysis::{Scratch, compare, record_subgroups};
use crate::engine::tally::comparison::{ComparisonOutcome, ComparisonTally, quantile_of};
use crate::engine::tally::enrichment::EnrichmentTally;
use crate::engine::tally::sequential::SequentialTally;
use crate::engine::tally::survival::SurvivalTally;
use crate::model::design::{Design, DesignKind, EndpointModel};

/// Sufficient statistics of a run (or a share of one): mergeable exactly, in any order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub trials: u64,
    /// One per comparison, in `Design::comparisons` order.
    pub comparisons: Vec<ComparisonTally>,
    /// Screen failures summed over trials: the exact mean.
    pub sum_failures: u128,
    /// Histogram of patients screened per trial for the quantiles: bin `i` holds the trials with
    /// `offset + (i << shift)` to `offset + ((i + 1) << shift) - 1` screened.
    pub screened: Vec<u64>,
    pub screened_offset: u64,
    pub screened_shift: u32,
    /// Stopping and stage-wise counts of a sequential design.
    pub sequential: Option<SequentialTally>,
    /// Events, size at the analysis and duration of a time-to-event design.
    #[serde(default)]
    pub survival: Option<SurvivalTally>,
    /// Selection, rejection per look and screening of an adaptive-enrichment design.
    #[serde(default)]
    pub enrichment: Option<EnrichmentTally>,
}

/// Bins of the screened histogram at most (8 bytes each, per worker).
const SCREENED_BINS: u64 = 1 << 16;

/// The window of the screened histogram: from (fewest randomised) + (mean - 12 SD of its
/// negative binomial screen failures) to (sample size) + (mean + 12 SD), where by Cantelli's
/// inequality any quantile between 0.007 and 0.993 lies; counts outside it are kept in the end
/// bins. Bins are single values (exact quantiles) unless the window is wider than
/// `SCREENED_BINS` values (only for designs screening millions), then powers of two wide. A
/// sequential trial randomises at least the patients randomised by its first look.
fn screened_window(design: &Design) -> (u64, u32) {
    let q = design.eligible_fraction;
    let fewest = match (design.sequential(), design.survival()) {
        (Some(_), _) => design.randomised_by_look(0),
        // An event-driven analysis may come before the last randomisation.
        (_, Some(m)) => m.analysis_events.unwrap_or(design.sample_size),
        _ => design.sample_size,
    };
    let failures = |n: u64, sds: f64| {
        let n = n as f64;
        n * (1.0 - q) / q + sds * (n * (1.0 - q)).sqrt() / q
    };
    let (lo, hi) = if q >= 1.0 {
        (fewest, design.sample_size)
    } else {
        (
            fewest + failures(fewest, -12.0).max(0.0).floor() as u64,
            design.sample_size + failures(design.sample_size, 12.0).ceil() as u64,
        )
    };
    let width = hi - lo + 1;
    let mut shift = 0;
    while width >> shift >= SCREENED_BINS {
        shift += 1;
    }
    (lo, shift)
}

impl Tally {
    pub fn new(design: &Design) -> Tally {
        let (screened_offset, screened_shift) = screened_window(design);
        let comparisons = design.arms.len() - 1;
        Tally {
            trials: 0,
            comparisons: vec![ComparisonTally::new(design); comparisons],
            sum_failures: 0,
            screened: Vec::new(),
            screened_offset,
            screened_shift,
            // Each kind of design and endpoint adds its block; event-driven looks come at random
            // calendar times, kept in the sequential block.
            sequential: design.sequential().map(|p| {
                let timed = match design.endpoint {
                    EndpointModel::Binary => false,
                    EndpointModel::TimeToEvent(_) => true,
                };
                SequentialTally::new(p.looks.len(), comparisons, timed)
            }),
            survival: match design.endpoint {
                EndpointModel::Binary => None,
                EndpointModel::TimeToEvent(_) => Some(SurvivalTally::new(comparisons)),
            },
            enrichment: match &design.kind {
                DesignKind::Fixed | DesignKind::GroupSequential(_) => None,
                DesignKind::AdaptiveEnrichment(plan, _) => Some(EnrichmentTally::new(
                    design.analysis.hypotheses.len(),
                    plan.looks.len(),
                )),
            },
        }
    }

    /// Records one simulated fixed-sample trial.
    pub fn record(&mut self, design: &Design, counts: &TrialCounts, scratch: &mut Scratch) {
        self.trials += 1;
        for (j, arm) in design.comparisons().enumerate() {
            let outcome = compare(design, counts, arm, scratch);
            self.record_comparison(design, j, arm, &outcome, scratch);
        }
        self.record_screening(counts.screened - design.sample_size, design.sample_size);
    }

    /// Records comparison `j` (of `arm`) of one trial, when its analysis is final; its stratum
    /// tables are in `scratch.strata`.
    pub fn record_comparison(
        &mut self,
        design: &Design,
        j: usize,
        arm: usize,
        outcome: &ComparisonOutcome,
        scratch: &mut Scratch,
    ) {
        let truth = design.true_risk[arm] - design.true_risk[design.control];
        let tally = &mut self.comparisons[j];
        tally.record(outcome, truth);
        record_subgroups(tally, design, arm, outcome.statistic, scratch);
    }

    /// Records the screening of one trial: `failures` screen failures to randomise `randomised`.
    pub fn record_screening(&mut self, failures: u64, randomised: u64) {
        self.sum_failures += u128::from(failures);
        let screened = failures + randomised;
        let bin = (screened.saturating_sub(self.screened_offset) >> self.screened_shift)
            .min(SCREENED_BINS - 1) as usize;
        if bin >= self.screened.len() {
            // Grows only when a new maximum is seen: O(log) times per run, not per trial.
            self.screened.resize(bin + 1, 0);
        }
        self.screened[bin] += 1;
    }

    pub fn merge(&mut self, other: &Tally) {
        self.trials += other.trials;
        for (a, b) in self.comparisons.iter_mut().zip(&other.comparisons) {
            a.merge(b);
        }
        self.sum_failures += other.sum_failures;
        if other.screened.len() > self.screened.len() {
            self.screened.resize(other.screened.len(), 0);
        }
        for (a, b) in self.screened.iter_mut().zip(&other.screened) {
            *a += b;
        }
        if let (Some(a), Some(b)) = (&mut self.sequential, &other.sequential) {
            a.merge(b);
        }
        if let (Some(a), Some(b)) = (&mut self.survival, &other.survival) {
            a.merge(b);
        }
        if let (Some(a), Some(b)) = (&mut self.enrichment, &other.enrichment) {
            a.merge(b);
        }
    }

    /// Smallest number screened whose empirical CDF reaches `q` (R's quantile type 1); with
    /// bins wider than one value, the top of the bin where the CDF reaches `q`.
    pub(crate) fn screened_quantile(&self, q: f64) -> u64 {
        let bin = quantile_of(self.screened.iter().copied().enumerate(), q, self.trials)
            .unwrap_or(self.screened.len().saturating_sub(1));
        self.screened_offset + (((bin as u64 + 1) << self.screened_shift) - 1)
    }

    pub(crate) fn mean_failures(&self) -> f64 {
        self.sum_failures as f64 / self.trials as f64
    }
}
