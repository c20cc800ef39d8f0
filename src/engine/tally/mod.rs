//! Sufficient statistics of a run (or a share of one), mergeable exactly in any order: what
//! every design records (`comparison`), and the block each kind of endpoint or design adds
//! (`survival`, `continuous`; `sequential`, `enrichment`), each a [`Block`] that merges and checks itself;
//! `check` holds a tally's invariants, for shards read from disk.
//!
//! Everything accumulated is an integer: counts, and sums of values in [-1, 1] in fixed point
//! (2^-62 units, summed in i128). Integer addition is associative, so the totals (and the CSV) are
//! bit-identical however the trials are split between threads, shards or machines: a float sum
//! would depend on the split (rayon issue #663). The rounding is < 1e-18 per trial.

pub mod bayesian;
pub mod block;
pub mod check;
pub mod comparison;
pub mod continuous;
pub mod enrichment;
pub mod invariants;
pub mod sequential;
pub mod survival;

use serde::{Deserialize, Serialize};

pub use crate::engine::tally::block::Block;

use crate::endpoint::binary::TrialCounts;
use crate::engine::binary_analysis::{Scratch, compare, record_subgroups};
use crate::engine::tally::bayesian::BayesianTally;
use crate::engine::tally::comparison::{ComparisonOutcome, ComparisonTally, quantile_of};
use crate::engine::tally::continuous::ContinuousTally;
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
    /// What the endpoint adds (the design's `EndpointModel`).
    pub endpoint: EndpointTally,
    /// What the design adds (the design's `DesignKind`).
    pub design: DesignTally,
}

/// What the endpoint adds to the comparisons' statistics, one variant per `EndpointModel`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum EndpointTally {
    /// A binary endpoint's statistics are all in the comparisons.
    Binary,
    /// Events, size at the analysis and duration.
    TimeToEvent(SurvivalTally),
    /// The dichotomised analysis.
    Continuous(ContinuousTally),
    /// An ordinal endpoint's statistics are all in the comparisons.
    Ordinal,
}

/// What the design adds, one variant per `DesignKind`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DesignTally {
    Fixed,
    /// Stopping and stage-wise counts.
    GroupSequential(SequentialTally),
    /// The same, and selection, rejection per look and screening before and after it.
    AdaptiveEnrichment(SequentialTally, EnrichmentTally),
    /// Endings, selections, arm statuses, sizes, errors and the allocation path.
    Bayesian(BayesianTally),
}

impl Block for EndpointTally {
    fn merge(&mut self, other: &EndpointTally) {
        match (self, other) {
            (EndpointTally::Binary, EndpointTally::Binary) => {}
            (EndpointTally::TimeToEvent(a), EndpointTally::TimeToEvent(b)) => a.merge(b),
            (EndpointTally::Continuous(a), EndpointTally::Continuous(b)) => a.merge(b),
            (EndpointTally::Ordinal, EndpointTally::Ordinal) => {}
            (
                EndpointTally::Binary
                | EndpointTally::TimeToEvent(_)
                | EndpointTally::Continuous(_)
                | EndpointTally::Ordinal,
                _,
            ) => panic!("tallies of different endpoints merged"),
        }
    }

    fn check(&self, fresh: &EndpointTally, trials: u64, patients: u128) -> Result<(), String> {
        match (self, fresh) {
            (EndpointTally::Binary, EndpointTally::Binary) => Ok(()),
            (EndpointTally::TimeToEvent(s), EndpointTally::TimeToEvent(f)) => {
                s.check(f, trials, patients)
            }
            (EndpointTally::Continuous(s), EndpointTally::Continuous(f)) => {
                s.check(f, trials, patients)
            }
            (EndpointTally::Ordinal, EndpointTally::Ordinal) => Ok(()),
            (
                EndpointTally::Binary
                | EndpointTally::TimeToEvent(_)
                | EndpointTally::Continuous(_)
                | EndpointTally::Ordinal,
                _,
            ) => Err("endpoint: the tally's kind of endpoint is not the design's".into()),
        }
    }
}

impl Block for DesignTally {
    fn merge(&mut self, other: &DesignTally) {
        match (self, other) {
            (DesignTally::Fixed, DesignTally::Fixed) => {}
            (DesignTally::GroupSequential(a), DesignTally::GroupSequential(b)) => a.merge(b),
            (DesignTally::AdaptiveEnrichment(a, e), DesignTally::AdaptiveEnrichment(b, f)) => {
                a.merge(b);
                e.merge(f);
            }
            (DesignTally::Bayesian(a), DesignTally::Bayesian(b)) => a.merge(b),
            (
                DesignTally::Fixed
                | DesignTally::GroupSequential(_)
                | DesignTally::AdaptiveEnrichment(..)
                | DesignTally::Bayesian(_),
                _,
            ) => panic!("tallies of different designs merged"),
        }
    }

    fn check(&self, fresh: &DesignTally, trials: u64, patients: u128) -> Result<(), String> {
        match (self, fresh) {
            (DesignTally::Fixed, DesignTally::Fixed) => Ok(()),
            (DesignTally::GroupSequential(s), DesignTally::GroupSequential(f)) => {
                s.check(f, trials, patients)
            }
            (DesignTally::AdaptiveEnrichment(s, e), DesignTally::AdaptiveEnrichment(f, g)) => {
                s.check(f, trials, patients)?;
                e.check(g, trials, patients)
            }
            (DesignTally::Bayesian(s), DesignTally::Bayesian(f)) => s.check(f, trials, patients),
            (
                DesignTally::Fixed
                | DesignTally::GroupSequential(_)
                | DesignTally::AdaptiveEnrichment(..)
                | DesignTally::Bayesian(_),
                _,
            ) => Err("design: the tally's kind of design is not the design's".into()),
        }
    }
}

/// Bins of the screened histogram at most (8 bytes each, per worker).
const SCREENED_BINS: u64 = 1 << 16;

/// The window of the screened histogram: from (fewest randomised) + (mean - 12 SD of its
/// negative binomial screen failures) to (sample size) + (mean + 12 SD), where by Cantelli's
/// inequality any quantile between 0.007 and 0.993 lies; counts outside it are kept in the end
/// bins. Bins are single values (exact quantiles) unless the window is wider than
/// `SCREENED_BINS` values (only for designs screening millions), then powers of two wide. A
/// sequential (or Bayesian) trial randomises at least the patients randomised by its first
/// look. (For a trial screening at several eligible shares, the window spans the lowest.)
fn screened_window(design: &Design) -> (u64, u32) {
    let q = design.eligible_fraction;
    let fewest = match (design.sequential(), design.survival(), design.bayesian()) {
        (_, _, Some(b)) => b.looks[0],
        (Some(_), _, _) => design.randomised_by_look(0),
        // An event-driven analysis may come before the last randomisation.
        (_, Some(m), _) => m.analysis_events.unwrap_or(design.sample_size),
        _ => design.sample_size,
    };
    // A label-stratified Bayesian trial may end up screening for its rarest label alone.
    let q_rarest = match design.bayesian() {
        Some(b) if b.by_label => (0..design.eligible.len())
            .map(|s| design.screened_with(s))
            .fold(q, f64::min),
        _ => q,
    };
    let failures = |n: u64, sds: f64, q: f64| {
        let n = n as f64;
        n * (1.0 - q) / q + sds * (n * (1.0 - q)).sqrt() / q
    };
    let most = design.most_randomised();
    let (lo, hi) = if q_rarest >= 1.0 {
        (fewest, most)
    } else {
        (
            fewest + failures(fewest, -12.0, q).max(0.0).floor() as u64,
            most + failures(most, 12.0, q_rarest).ceil() as u64,
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
            endpoint: match &design.endpoint {
                EndpointModel::Binary => EndpointTally::Binary,
                EndpointModel::TimeToEvent(_) => {
                    EndpointTally::TimeToEvent(SurvivalTally::new(comparisons))
                }
                EndpointModel::Continuous(m) => EndpointTally::Continuous(ContinuousTally::new(
                    comparisons,
                    m.responder_below.is_some(),
                )),
                EndpointModel::Ordinal(_) => EndpointTally::Ordinal,
            },
            design: {
                // Event-driven looks come at random calendar times, kept in the sequential
                // block.
                let timed = match design.endpoint {
                    EndpointModel::Binary
                    | EndpointModel::Continuous(_)
                    | EndpointModel::Ordinal(_) => false,
                    EndpointModel::TimeToEvent(_) => true,
                };
                let reestimated = design
                    .sequential()
                    .is_some_and(|p| p.reestimation.is_some());
                // A two-sided power counted for benefit keeps the stops for harm apart.
                let harm = !design.analysis.two_sided_power;
                let sequential = |looks: usize| {
                    SequentialTally::new(looks, comparisons, (timed, reestimated, harm))
                };
                match &design.kind {
                    DesignKind::Fixed => DesignTally::Fixed,
                    DesignKind::GroupSequential(plan) => {
                        DesignTally::GroupSequential(sequential(plan.looks.len()))
                    }
                    DesignKind::AdaptiveEnrichment(plan, _) => DesignTally::AdaptiveEnrichment(
                        sequential(plan.looks.len()),
                        EnrichmentTally::new(design.analysis.hypotheses.len(), plan.looks.len()),
                    ),
                    DesignKind::Bayesian(plan) => DesignTally::Bayesian(BayesianTally::new(
                        design.arms.len(),
                        plan.looks.len(),
                        if plan.by_label {
                            design.eligible.len()
                        } else {
                            1
                        },
                    )),
                }
            },
        }
    }

    /// The stopping counts of a design with interim looks.
    pub fn sequential(&self) -> Option<&SequentialTally> {
        match &self.design {
            DesignTally::Fixed | DesignTally::Bayesian(_) => None,
            DesignTally::GroupSequential(s) | DesignTally::AdaptiveEnrichment(s, _) => Some(s),
        }
    }

    /// The block of a Bayesian adaptive design.
    pub fn bayesian(&self) -> Option<&BayesianTally> {
        match &self.design {
            DesignTally::Bayesian(b) => Some(b),
            DesignTally::Fixed
            | DesignTally::GroupSequential(_)
            | DesignTally::AdaptiveEnrichment(..) => None,
        }
    }

    pub(crate) fn sequential_mut(&mut self) -> &mut SequentialTally {
        match &mut self.design {
            DesignTally::GroupSequential(s) | DesignTally::AdaptiveEnrichment(s, _) => s,
            DesignTally::Fixed | DesignTally::Bayesian(_) => panic!("a design with looks"),
        }
    }

    /// The events and duration of a time-to-event endpoint.
    pub fn survival(&self) -> Option<&SurvivalTally> {
        match &self.endpoint {
            EndpointTally::Binary | EndpointTally::Continuous(_) | EndpointTally::Ordinal => None,
            EndpointTally::TimeToEvent(s) => Some(s),
        }
    }

    pub(crate) fn survival_mut(&mut self) -> &mut SurvivalTally {
        match &mut self.endpoint {
            EndpointTally::TimeToEvent(s) => s,
            EndpointTally::Binary | EndpointTally::Continuous(_) | EndpointTally::Ordinal => {
                panic!("a time-to-event endpoint")
            }
        }
    }

    /// The dichotomised analysis of a continuous endpoint.
    pub fn continuous(&self) -> Option<&ContinuousTally> {
        match &self.endpoint {
            EndpointTally::Binary | EndpointTally::TimeToEvent(_) | EndpointTally::Ordinal => None,
            EndpointTally::Continuous(c) => Some(c),
        }
    }

    pub(crate) fn continuous_mut(&mut self) -> &mut ContinuousTally {
        match &mut self.endpoint {
            EndpointTally::Continuous(c) => c,
            EndpointTally::Binary | EndpointTally::TimeToEvent(_) | EndpointTally::Ordinal => {
                panic!("a continuous endpoint")
            }
        }
    }

    /// The selections and first rejections of an adaptive-enrichment design.
    pub fn enrichment(&self) -> Option<&EnrichmentTally> {
        match &self.design {
            DesignTally::AdaptiveEnrichment(_, e) => Some(e),
            DesignTally::Fixed | DesignTally::GroupSequential(_) | DesignTally::Bayesian(_) => None,
        }
    }

    /// The sequential and enrichment blocks of an adaptive-enrichment design, both at once.
    pub(crate) fn enrichment_mut(&mut self) -> (&mut SequentialTally, &mut EnrichmentTally) {
        match &mut self.design {
            DesignTally::AdaptiveEnrichment(s, e) => (s, e),
            DesignTally::Fixed | DesignTally::GroupSequential(_) | DesignTally::Bayesian(_) => {
                panic!("an adaptive-enrichment design")
            }
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
        let truth = design.true_mean[arm] - design.true_mean[design.control];
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
        self.endpoint.merge(&other.endpoint);
        self.design.merge(&other.design);
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
