//! Per-trial statistics, their accumulation over trials, and the summary rows computed from them.
//!
//! Everything accumulated is an integer: counts, and sums of values in [-1, 1] in fixed point
//! (2^-62 units, summed in i128). Integer addition is associative, so the totals (and the CSV) are
//! bit-identical however the trials are split between threads, shards or machines: a float sum
//! would depend on the split (rayon issue #663). The rounding is < 1e-18 per trial.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::endpoint::binary::TrialCounts;
use crate::engine::enrichment::EnrichmentTally;
use crate::engine::survival::SurvivalTally;
use crate::model::design::{Design, Hypothesis};
use crate::model::sequential::DAYS_PER_MONTH;
use crate::model::vocabulary::TestKind;
use crate::stats::analysis::{self, FisherRegions, Level, Statistic, Table, Z_975};
use crate::stats::boundaries;
use crate::stats::multiplicity;
use crate::stats::power;

const FIXED_ONE: f64 = (1u64 << 62) as f64;

pub(crate) fn to_fixed(v: f64) -> i128 {
    (v * FIXED_ONE).round() as i128
}

pub(crate) fn from_fixed(v: i128) -> f64 {
    v as f64 / FIXED_ONE
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

/// Per-worker buffers for the per-trial statistics, so that nothing is allocated per trial.
#[derive(Debug, Clone)]
pub struct Scratch {
    /// The design's significance level, with its critical values.
    pub level: Level,
    /// One 2 x 2 table per stratum of the comparison being analysed.
    pub strata: Vec<Table>,
    /// Within-stratum statistics, when the hypotheses' p-values need them.
    pub stratum_statistic: Vec<Option<Statistic>>,
    /// Fisher's test decisions by margins.
    pub fisher: FisherRegions,
    /// Hypotheses' p-values, their sort order and the procedure's decisions.
    pub p: Vec<f64>,
    order: Vec<usize>,
    reject: Vec<bool>,
}

impl Scratch {
    pub fn new(design: &Design) -> Scratch {
        let m = design.analysis.hypotheses.len();
        let strata = design.eligible.len();
        Scratch {
            level: Level::new(
                design.analysis.alpha,
                power::alternative(design),
                strata.saturating_sub(1) as u32,
            ),
            strata: vec![Table::default(); strata],
            stratum_statistic: vec![None; strata],
            fisher: FisherRegions::default(),
            p: vec![1.0; m],
            order: vec![0; m],
            reject: vec![false; m],
        }
    }
}

/// A test's decision on `t` (and `strata`, for a stratified test) and, when the hypotheses'
/// p-values need it, its statistic. Fisher's decisions come from the regions of `fisher`.
fn decide(
    design: &Design,
    t: &Table,
    strata: &[Table],
    level: &Level,
    fisher: &mut FisherRegions,
) -> (bool, Option<Statistic>) {
    let test = design.analysis.test;
    if design.analysis.hypotheses.is_empty() && test == TestKind::FisherExact {
        return (fisher.rejects(t, level), None);
    }
    let statistic = analysis::statistic(test, t, strata, level.alt);
    (statistic.rejects(level), Some(statistic))
}

/// The binary endpoint's per-trial statistics for comparison `arm` vs control; the comparison's
/// stratum tables are left in `scratch.strata` (used by stratified tests and the subgroups).
pub fn compare(
    design: &Design,
    counts: &TrialCounts,
    arm: usize,
    scratch: &mut Scratch,
) -> ComparisonOutcome {
    let c = design.control;
    let pooled = counts.table(arm, c);
    for (s, t) in scratch.strata.iter_mut().enumerate() {
        *t = counts.stratum_table(arm, c, s);
    }
    let (rejected, statistic) = decide(
        design,
        &pooled,
        &scratch.strata,
        &scratch.level,
        &mut scratch.fisher,
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
        rejected,
        statistic,
        estimate,
        observed,
        evaluable_arm: pooled.arm_n,
        evaluable_control: pooled.control_n,
    }
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
    fn new(design: &Design) -> ComparisonTally {
        ComparisonTally {
            subgroups: vec![SubgroupTally::default(); design.eligible.len()],
            hypothesis_rejections: vec![0; design.analysis.hypotheses.len()],
            ..ComparisonTally::default()
        }
    }

    /// Within-label tests, the interaction test and the hypotheses of one trial; `overall` is
    /// the overall test's statistic and `scratch.strata` holds this comparison's stratum tables.
    pub(crate) fn record_subgroups(
        &mut self,
        design: &Design,
        arm: usize,
        overall: Option<Statistic>,
        scratch: &mut Scratch,
    ) {
        let level = &scratch.level;
        for ((sub, t), stat) in self
            .subgroups
            .iter_mut()
            .zip(&scratch.strata)
            .zip(&mut scratch.stratum_statistic)
        {
            // A stratified test within one stratum is that stratum's own test.
            let (rejected, statistic) = decide(
                design,
                t,
                std::slice::from_ref(t),
                level,
                &mut scratch.fisher,
            );
            *stat = statistic;
            sub.rejections += u64::from(rejected);
            sub.sum_evaluable_arm += t.arm_n;
            sub.sum_evaluable_control += t.control_n;
            if let Some(d) = t.difference() {
                sub.estimable += 1;
                sub.sum_difference += to_fixed(d);
            }
        }
        if scratch.strata.len() > 1 {
            self.interaction_rejections +=
                u64::from(analysis::interaction_rejects(&scratch.strata, level));
        }
        let hypotheses = &design.analysis.hypotheses;
        if hypotheses.is_empty() {
            return;
        }
        // The multiplicity procedures compare p-values with shares of alpha: compute them.
        for (p, h) in scratch.p.iter_mut().zip(hypotheses) {
            *p = match *h {
                Hypothesis::Overall => overall,
                Hypothesis::Stratum(s) => scratch.stratum_statistic[s],
            }
            .expect("computed when hypotheses are listed")
            .p_value(level.alt);
        }
        multiplicity::reject(
            design.analysis.multiplicity,
            &scratch.p,
            level.alpha,
            &mut scratch.order,
            &mut scratch.reject,
        );
        let mut rejected = 0;
        let mut null_rejected = false;
        for ((count, &r), &h) in self
            .hypothesis_rejections
            .iter_mut()
            .zip(&scratch.reject)
            .zip(hypotheses)
        {
            if r {
                *count += 1;
                rejected += 1;
                null_rejected |= design.is_true_null(arm, h);
            }
        }
        self.any_rejected += u64::from(rejected > 0);
        self.all_rejected += u64::from(rejected == hypotheses.len());
        self.true_null_rejected += u64::from(null_rejected);
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

/// What a group-sequential design adds to a tally.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SequentialTally {
    pub looks: usize,
    /// Per comparison x look (`comparison * looks + look`): trials in which the comparison
    /// stopped there for efficacy, and for futility.
    pub efficacy: Vec<u64>,
    pub futility: Vec<u64>,
    /// Per look: trials that ended there (no comparison left, or the last look).
    pub ended: Vec<u64>,
    /// Per look: trials that reached it, and the patients randomised by then summed over them.
    pub reached: Vec<u64>,
    pub randomised_at: Vec<u128>,
    /// Patients randomised per trial (the pipeline of a stopped trial included): value ->
    /// trials, for the quantiles, and their exact sum.
    pub randomised: BTreeMap<u64, u64>,
    pub sum_randomised: u128,
    /// Per look of an event-driven time-to-event design (reached at a random calendar time):
    /// days from the first randomisation to the look, fixed-point, summed over the trials that
    /// reached it. Empty otherwise.
    #[serde(default)]
    pub days_at: Vec<i128>,
}

impl SequentialTally {
    /// `timed`: the looks come at random calendar times (event-driven), kept in `days_at`.
    fn new(looks: usize, comparisons: usize, timed: bool) -> SequentialTally {
        SequentialTally {
            looks,
            efficacy: vec![0; looks * comparisons],
            futility: vec![0; looks * comparisons],
            ended: vec![0; looks],
            reached: vec![0; looks],
            randomised_at: vec![0; looks],
            randomised: BTreeMap::new(),
            sum_randomised: 0,
            days_at: if timed { vec![0; looks] } else { Vec::new() },
        }
    }

    fn merge(&mut self, o: &SequentialTally) {
        let add = |a: &mut [u64], b: &[u64]| a.iter_mut().zip(b).for_each(|(a, b)| *a += b);
        add(&mut self.efficacy, &o.efficacy);
        add(&mut self.futility, &o.futility);
        add(&mut self.ended, &o.ended);
        add(&mut self.reached, &o.reached);
        for (a, b) in self.randomised_at.iter_mut().zip(&o.randomised_at) {
            *a += b;
        }
        for (&k, &v) in &o.randomised {
            *self.randomised.entry(k).or_insert(0) += v;
        }
        self.sum_randomised += o.sum_randomised;
        for (a, b) in self.days_at.iter_mut().zip(&o.days_at) {
            *a += b;
        }
    }

    /// A trial reached look `k` with `randomised` patients randomised.
    pub fn reach(&mut self, k: usize, randomised: u64) {
        self.reached[k] += 1;
        self.randomised_at[k] += u128::from(randomised);
    }

    /// Comparison `j` stopped at look `k`: for efficacy, for futility, or neither (the last
    /// look).
    pub fn decide(&mut self, j: usize, k: usize, efficacy: bool, futile: bool) {
        let at = j * self.looks + k;
        self.efficacy[at] += u64::from(efficacy);
        self.futility[at] += u64::from(futile);
    }

    /// A trial ended at look `k` with `randomised` patients randomised.
    pub fn end(&mut self, k: usize, randomised: u64) {
        self.ended[k] += 1;
        *self.randomised.entry(randomised).or_insert(0) += 1;
        self.sum_randomised += u128::from(randomised);
    }

    /// Smallest number randomised whose empirical CDF reaches `q` (R's quantile type 1).
    fn randomised_quantile(&self, q: f64, trials: u64) -> u64 {
        quantile_of(self.randomised.iter().map(|(&n, &t)| (n, t)), q, trials)
            .unwrap_or_else(|| self.randomised.keys().next_back().copied().unwrap_or(0))
    }

    /// Smallest look (0-based) at which the share of trials ended by then reaches `q`.
    fn ended_quantile(&self, q: f64, trials: u64) -> usize {
        quantile_of(self.ended.iter().copied().enumerate(), q, trials).unwrap_or(self.looks - 1)
    }
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
    let fewest = match (&design.sequential, &design.survival) {
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
            sequential: design.sequential.as_ref().map(|p| {
                SequentialTally::new(p.looks.len(), comparisons, design.survival.is_some())
            }),
            survival: design
                .survival
                .as_ref()
                .map(|_| SurvivalTally::new(comparisons)),
            enrichment: design.adaptation.as_ref().map(|_| {
                EnrichmentTally::new(
                    design.analysis.hypotheses.len(),
                    design.sequential.as_ref().map_or(1, |p| p.looks.len()),
                )
            }),
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
        tally.record_subgroups(design, arm, outcome.statistic, scratch);
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
    fn screened_quantile(&self, q: f64) -> u64 {
        let bin = quantile_of(self.screened.iter().copied().enumerate(), q, self.trials)
            .unwrap_or(self.screened.len().saturating_sub(1));
        self.screened_offset + (((bin as u64 + 1) << self.screened_shift) - 1)
    }

    fn mean_failures(&self) -> f64 {
        self.sum_failures as f64 / self.trials as f64
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
    /// Designs with interim looks: what the looks change.
    pub sequential: Option<SequentialColumns>,
    /// Time-to-event designs: their own columns (the binary ones above do not apply).
    pub survival: Option<SurvivalColumns>,
}

/// summary.csv's columns for a time-to-event design.
#[derive(Debug, Clone, PartialEq)]
pub struct SurvivalColumns {
    pub follow_up_days: f64,
    pub analysis_events: Option<u64>,
    pub time_resolution: &'static str,
    /// The day of the true mortalities below: the follow-up, or the last mortality point.
    pub mortality_day: f64,
    pub true_mortality_control: f64,
    pub true_mortality_arm: f64,
    /// NaN when the marginal hazards are not proportional (a mixture of endotypes).
    pub true_hazard_ratio: f64,
    /// The Cox estimate of the log hazard ratio: mean, bias against the truth and its MC SE,
    /// Wald 95% coverage, and the trials where it was finite.
    pub mean_log_hr: f64,
    pub bias: f64,
    pub bias_se: f64,
    pub coverage: f64,
    pub estimable: u64,
    pub mean_events: f64,
    pub mean_events_control: f64,
    pub mean_events_arm: f64,
    pub mean_randomised_at_analysis: f64,
    pub mean_randomised_control: f64,
    pub mean_randomised_arm: f64,
    pub mean_duration_days: f64,
    pub p95_duration_days: f64,
}

/// summary.csv's columns for a design with interim looks.
#[derive(Debug, Clone, PartialEq)]
pub struct SequentialColumns {
    pub looks: usize,
    /// Patients randomised per trial, the pipeline of a stopped trial included.
    pub expected_randomised: f64,
    pub p95_randomised: u64,
    /// The trial ended before the last look (every comparison stopped).
    pub p_early_stop: f64,
    /// This comparison stopped before the last look for efficacy, for futility.
    pub p_early_efficacy: f64,
    pub p_early_futility: f64,
    /// Months from the first randomisation to the analysis that ended the trial (NaN without
    /// `accrual_per_month`).
    pub expected_months: f64,
    pub p95_months: f64,
}

/// One row of sequential.csv: one look of one comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct SequentialRow {
    pub scenario: String,
    pub arm: String,
    pub control: String,
    pub look: usize,
    pub fraction: f64,
    pub planned_evaluable: u64,
    /// `None` for an event-driven design (its looks come at random times).
    pub planned_randomised: Option<u64>,
    pub efficacy_z: f64,
    /// Nominal one-sided level of the efficacy bound.
    pub efficacy_p: f64,
    pub alpha_spent: f64,
    pub futility_z: f64,
    pub beta_spent: f64,
    pub p_efficacy: f64,
    pub p_efficacy_se: f64,
    pub p_futility: f64,
    pub p_futility_se: f64,
    pub cumulative_power: f64,
    pub cumulative_power_se: f64,
    /// Share of trials that reached this look (some comparison still monitored).
    pub p_reached: f64,
    /// Patients randomised by this look, over the trials that reached it.
    pub mean_randomised: f64,
    pub months: f64,
}

/// One row of subgroups.csv: a comparison within one diagnostic label.
#[derive(Debug, Clone, PartialEq)]
pub struct SubgroupRow {
    pub scenario: String,
    pub arm: String,
    pub control: String,
    pub label: String,
    pub test: String,
    pub mean_evaluable_control: f64,
    pub mean_evaluable_arm: f64,
    pub true_risk_control: f64,
    pub true_risk_arm: f64,
    pub true_difference: f64,
    pub mean_difference: f64,
    pub estimable: u64,
    /// Power of the within-label test.
    pub power: f64,
    pub power_se: f64,
    /// Power of the treatment-by-label interaction test (same for every label of a comparison).
    pub interaction_power: f64,
    pub interaction_power_se: f64,
}

/// One row of hypotheses.csv: one hypothesis of a comparison under the multiplicity procedure.
#[derive(Debug, Clone, PartialEq)]
pub struct HypothesisRow {
    pub scenario: String,
    pub arm: String,
    pub control: String,
    pub procedure: String,
    pub alpha: f64,
    pub hypothesis: String,
    pub true_null: bool,
    /// Probability of rejecting this hypothesis after adjustment.
    pub power: f64,
    pub power_se: f64,
    /// Per comparison: at least one rejected, all rejected, at least one true null rejected.
    pub any_rejected: f64,
    pub all_rejected: f64,
    pub fwer: f64,
    pub fwer_se: f64,
    pub fwer_ci_low: f64,
    pub fwer_ci_high: f64,
}

fn binomial_se(p: f64, n: u64) -> f64 {
    (p * (1.0 - p) / n as f64).sqrt()
}

/// Per comparison x diagnostic label.
pub fn subgroup_rows(design: &Design, tally: &Tally) -> Vec<SubgroupRow> {
    let r = tally.trials;
    let c = design.control;
    let mut rows = Vec::new();
    for (arm, t) in design.comparisons().zip(&tally.comparisons) {
        let interaction = t.interaction_rejections as f64 / r as f64;
        let several = design.eligible.len() > 1;
        for (s, sub) in t.subgroups.iter().enumerate() {
            let power = sub.rejections as f64 / r as f64;
            let (risk_c, risk_a) = (design.stratum_risk[c][s], design.stratum_risk[arm][s]);
            rows.push(SubgroupRow {
                scenario: design.name.clone(),
                arm: design.arms[arm].name.clone(),
                control: design.arms[c].name.clone(),
                label: design.labels[design.eligible[s]].clone(),
                test: design.analysis.test.as_str().to_string(),
                mean_evaluable_control: sub.sum_evaluable_control as f64 / r as f64,
                mean_evaluable_arm: sub.sum_evaluable_arm as f64 / r as f64,
                true_risk_control: risk_c,
                true_risk_arm: risk_a,
                true_difference: risk_a - risk_c,
                mean_difference: from_fixed(sub.sum_difference) / sub.estimable as f64,
                estimable: sub.estimable,
                power,
                power_se: binomial_se(power, r),
                interaction_power: if several { interaction } else { f64::NAN },
                interaction_power_se: if several {
                    binomial_se(interaction, r)
                } else {
                    f64::NAN
                },
            });
        }
    }
    rows
}

/// Per comparison x hypothesis (empty when the scenario lists no hypotheses).
pub fn hypothesis_rows(design: &Design, tally: &Tally) -> Vec<HypothesisRow> {
    let r = tally.trials;
    let mut rows = Vec::new();
    for (arm, t) in design.comparisons().zip(&tally.comparisons) {
        let fwer = t.true_null_rejected as f64 / r as f64;
        let (lo, hi) = wilson_interval(t.true_null_rejected, r, Z_975);
        for (&h, &count) in design
            .analysis
            .hypotheses
            .iter()
            .zip(&t.hypothesis_rejections)
        {
            let power = count as f64 / r as f64;
            rows.push(HypothesisRow {
                scenario: design.name.clone(),
                arm: design.arms[arm].name.clone(),
                control: design.arms[design.control].name.clone(),
                procedure: design
                    .adaptation
                    .as_ref()
                    .map_or(design.analysis.multiplicity.as_str(), |a| a.procedure())
                    .to_string(),
                alpha: design.analysis.alpha,
                hypothesis: design.hypothesis_name(h).to_string(),
                true_null: design.is_true_null(arm, h),
                power,
                power_se: binomial_se(power, r),
                any_rejected: t.any_rejected as f64 / r as f64,
                all_rejected: t.all_rejected as f64 / r as f64,
                fwer,
                fwer_se: binomial_se(fwer, r),
                fwer_ci_low: lo,
                fwer_ci_high: hi,
            });
        }
    }
    rows
}

/// One row of adaptation.csv: one hypothesis (population) of an adaptive-enrichment design.
#[derive(Debug, Clone, PartialEq)]
pub struct AdaptationRow {
    pub scenario: String,
    pub arm: String,
    pub control: String,
    pub hypothesis: String,
    /// Probability that the population continues after the interim (trials that stopped
    /// before it, or for futility at it, count as not continuing).
    pub p_selected: f64,
    pub p_selected_se: f64,
    /// Per look: probability that the hypothesis is first rejected there.
    pub p_reject: Vec<f64>,
    /// Probability that no population was kept (a stop for futility at the interim).
    pub p_futility: f64,
    /// Mean patients randomised after the interim with the population's labels.
    pub mean_randomised_after: f64,
    /// Per comparison: mean randomised up to and after the interim; screened (mean, 95th
    /// percentile) and mean cost up to and after it.
    pub mean_randomised_before_selection: f64,
    pub mean_randomised_after_selection: f64,
    pub mean_screened_before: f64,
    pub p95_screened_before: u64,
    pub mean_screened_after: f64,
    pub p95_screened_after: u64,
    pub mean_cost_before: f64,
    pub mean_cost_after: f64,
    pub currency: String,
}

/// Per hypothesis of an adaptive-enrichment design (empty otherwise).
pub fn adaptation_rows(design: &Design, tally: &Tally) -> Vec<AdaptationRow> {
    let Some(e) = &tally.enrichment else {
        return Vec::new();
    };
    let r = tally.trials;
    let p = |n: u64| n as f64 / r as f64;
    let (screened_before, p95_before) = e.screened(false, r);
    let (screened_after, p95_after) = e.screened(true, r);
    let randomised_before = e.sum_randomised_before as f64 / r as f64;
    let randomised_after = e.sum_randomised_after as f64 / r as f64;
    let cost = |screened: f64, randomised: f64| {
        design
            .cost
            .as_ref()
            .map_or(f64::NAN, |c| c.of(screened, randomised))
    };
    let arm = design.comparisons().next().expect("two arms");
    design
        .analysis
        .hypotheses
        .iter()
        .enumerate()
        .map(|(i, &h)| AdaptationRow {
            scenario: design.name.clone(),
            arm: design.arms[arm].name.clone(),
            control: design.arms[design.control].name.clone(),
            hypothesis: design.hypothesis_name(h).to_string(),
            p_selected: p(e.selected[i]),
            p_selected_se: binomial_se(p(e.selected[i]), r),
            p_reject: (0..e.looks)
                .map(|k| p(e.rejected_at[i * e.looks + k]))
                .collect(),
            p_futility: p(e.futility),
            mean_randomised_after: e.randomised_after[i] as f64 / r as f64,
            mean_randomised_before_selection: randomised_before,
            mean_randomised_after_selection: randomised_after,
            mean_screened_before: screened_before,
            p95_screened_before: p95_before,
            mean_screened_after: screened_after,
            p95_screened_after: p95_after,
            mean_cost_before: cost(screened_before, randomised_before),
            mean_cost_after: cost(screened_after, randomised_after),
            currency: design
                .cost
                .as_ref()
                .map_or(String::new(), |c| c.currency.clone()),
        })
        .collect()
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
    // Interim looks make the number randomised vary from trial to trial.
    let interim = tally
        .sequential
        .as_ref()
        .filter(|_| design.has_interim_looks());
    let mean_randomised = match (interim, &tally.survival) {
        (Some(s), _) => s.sum_randomised as f64 / r as f64,
        (_, Some(s)) => s.sum_randomised as f64 / r as f64,
        _ => design.sample_size as f64,
    };
    let mean_screened = mean_randomised + tally.mean_failures();
    let p95_screened = tally.screened_quantile(0.95);
    let mean_cost = design
        .cost
        .as_ref()
        .map_or(f64::NAN, |c| c.of(mean_screened, mean_randomised));
    // Cost increases with the number screened when the number randomised is fixed; with
    // interim looks both vary, and the quantile of their sum is not kept.
    let varies = interim.is_some()
        || design
            .survival
            .as_ref()
            .is_some_and(|m| m.is_event_driven());
    let p95_cost = match &design.cost {
        Some(c) if !varies => c.of(p95_screened as f64, design.sample_size as f64),
        _ => f64::NAN,
    };
    design
        .comparisons()
        .zip(&tally.comparisons)
        .enumerate()
        .map(|(j, (arm, t))| {
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
                power_se: binomial_se(power, r),
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
                mean_cost,
                p95_cost,
                currency: design
                    .cost
                    .as_ref()
                    .map_or(String::new(), |c| c.currency.clone()),
                sequential: interim.map(|s| sequential_columns(design, s, j, r)),
                survival: tally
                    .survival
                    .as_ref()
                    .map(|s| survival_columns(design, t, s, j, arm, r)),
            }
        })
        .collect()
}

/// The summary columns of a time-to-event design, for comparison `j` (of `arm`).
fn survival_columns(
    design: &Design,
    t: &ComparisonTally,
    s: &SurvivalTally,
    j: usize,
    arm: usize,
    trials: u64,
) -> SurvivalColumns {
    let model = design.survival.as_ref().expect("a time-to-event design");
    let r = trials as f64;
    let est = t.estimable as f64;
    let mean = from_fixed(t.sum_estimate) / est;
    let var = (from_fixed(t.sum_estimate_sq) / est - mean * mean).max(0.0) * est / (est - 1.0);
    let true_hazard_ratio = design.true_hazard_ratio(arm).unwrap_or(f64::NAN);
    let proportional = !true_hazard_ratio.is_nan();
    let when = |v: f64| if proportional { v } else { f64::NAN };
    let c = design.control;
    SurvivalColumns {
        follow_up_days: model.follow_up_days.unwrap_or(f64::NAN),
        analysis_events: model.analysis_events,
        time_resolution: model.resolution.as_str(),
        mortality_day: model.reference_day,
        true_mortality_control: design.true_risk[c],
        true_mortality_arm: design.true_risk[arm],
        true_hazard_ratio,
        mean_log_hr: mean,
        bias: when(mean - true_hazard_ratio.ln()),
        bias_se: (var / est).sqrt(),
        coverage: when(t.covered as f64 / est),
        estimable: t.estimable,
        mean_events: s.sum_events as f64 / r,
        mean_events_control: s.events_control[j] as f64 / r,
        mean_events_arm: s.events_arm[j] as f64 / r,
        mean_randomised_at_analysis: s.sum_randomised as f64 / r,
        mean_randomised_control: t.sum_evaluable_control as f64 / r,
        mean_randomised_arm: t.sum_evaluable_arm as f64 / r,
        mean_duration_days: s.mean_duration(trials),
        p95_duration_days: s.duration_quantile(0.95, trials),
    }
}

/// The summary columns of a design with interim looks, for comparison `j`.
fn sequential_columns(
    design: &Design,
    s: &SequentialTally,
    j: usize,
    trials: u64,
) -> SequentialColumns {
    let r = trials as f64;
    let early = |counts: &[u64]| {
        counts[j * s.looks..(j + 1) * s.looks - 1]
            .iter()
            .sum::<u64>() as f64
            / r
    };
    let months = |k: usize| design.months_to_look(k).unwrap_or(f64::NAN);
    SequentialColumns {
        looks: s.looks,
        expected_randomised: s.sum_randomised as f64 / r,
        p95_randomised: s.randomised_quantile(0.95, trials),
        p_early_stop: s.ended[..s.looks - 1].iter().sum::<u64>() as f64 / r,
        p_early_efficacy: early(&s.efficacy),
        p_early_futility: early(&s.futility),
        expected_months: (0..s.looks)
            .map(|k| months(k) * s.ended[k] as f64)
            .sum::<f64>()
            / r,
        p95_months: months(s.ended_quantile(0.95, trials)),
    }
}

/// Per comparison x look of a sequential design: the boundaries and what happened there.
pub fn sequential_rows(design: &Design, tally: &Tally) -> Vec<SequentialRow> {
    let (Some(s), Some((b, beta, _))) = (&tally.sequential, boundaries::of_design(design)) else {
        return Vec::new();
    };
    let plan = design.sequential.as_ref().expect("sequential");
    let r = tally.trials;
    let stage_levels = b.stage_levels();
    // Event-driven looks come at random calendar times; fixed ones at planned patients.
    let fixed_looks = s.days_at.is_empty();
    let mut rows = Vec::new();
    for (j, arm) in design.comparisons().enumerate() {
        let mut cumulative = 0;
        for k in 0..s.looks {
            let at = j * s.looks + k;
            cumulative += s.efficacy[at];
            let p = |n: u64| n as f64 / r as f64;
            rows.push(SequentialRow {
                scenario: design.name.clone(),
                arm: design.arms[arm].name.clone(),
                control: design.arms[design.control].name.clone(),
                look: k + 1,
                fraction: plan.looks[k],
                planned_evaluable: plan.evaluable[k],
                planned_randomised: fixed_looks.then(|| design.randomised_by_look(k)),
                efficacy_z: b.efficacy[k],
                efficacy_p: stage_levels[k],
                alpha_spent: b.alpha_spent[k],
                futility_z: b.futility_at(k).unwrap_or(f64::NAN),
                beta_spent: beta.as_ref().map_or(f64::NAN, |v| v[k]),
                p_efficacy: p(s.efficacy[at]),
                p_efficacy_se: binomial_se(p(s.efficacy[at]), r),
                p_futility: p(s.futility[at]),
                p_futility_se: binomial_se(p(s.futility[at]), r),
                cumulative_power: p(cumulative),
                cumulative_power_se: binomial_se(p(cumulative), r),
                p_reached: p(s.reached[k]),
                mean_randomised: if s.reached[k] == 0 {
                    f64::NAN
                } else {
                    s.randomised_at[k] as f64 / s.reached[k] as f64
                },
                months: if fixed_looks {
                    design.months_to_look(k).unwrap_or(f64::NAN)
                } else {
                    from_fixed(s.days_at[k]) / s.reached[k] as f64 / DAYS_PER_MONTH
                },
            });
        }
    }
    rows
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
