//! The binary endpoint's per-trial statistics: each comparison's test decision, effect estimate
//! and interval from the trial's 2 x 2 tables, and its within-label tests, interaction test and
//! hypotheses (multiplicity procedure), with the per-worker buffers they reuse.

use crate::endpoint::binary::TrialCounts;
use crate::engine::tally::comparison::{ComparisonOutcome, ComparisonTally, to_fixed};
use crate::model::design::{Design, Hypothesis};
use crate::model::vocabulary::TestKind;
use crate::stats::analysis::{self, FisherRegions, Level, Statistic, Table, Z_975};
use crate::stats::multiplicity;
use crate::stats::power;

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
    pub hypotheses: HypothesisScratch,
}

/// Hypotheses' p-values, their sort order and the procedure's decisions (per worker).
#[derive(Debug, Clone)]
pub struct HypothesisScratch {
    pub p: Vec<f64>,
    order: Vec<usize>,
    reject: Vec<bool>,
}

impl HypothesisScratch {
    pub fn new(design: &Design) -> HypothesisScratch {
        let m = design.analysis.hypotheses.len();
        HypothesisScratch {
            p: vec![1.0; m],
            order: vec![0; m],
            reject: vec![false; m],
        }
    }

    /// Records the hypotheses of comparison `arm` in one trial in `tally` (nothing when the
    /// design lists none), from the overall test's statistic and each stratum's.
    pub(crate) fn record(
        &mut self,
        tally: &mut ComparisonTally,
        design: &Design,
        arm: usize,
        overall: Option<Statistic>,
        strata: &[Option<Statistic>],
        level: &Level,
    ) {
        let hypotheses = &design.analysis.hypotheses;
        if hypotheses.is_empty() {
            return;
        }
        let statistic = |h: Hypothesis| {
            match h {
                Hypothesis::Overall => overall,
                Hypothesis::Stratum(s) => strata[s],
            }
            .expect("computed when hypotheses are listed")
        };
        // The multiplicity procedures compare p-values with shares of alpha: compute them.
        for (p, &h) in self.p.iter_mut().zip(hypotheses) {
            *p = statistic(h).p_value(level.alt);
        }
        multiplicity::reject(
            design.analysis.multiplicity,
            &self.p,
            level.alpha,
            &mut self.order,
            &mut self.reject,
        );
        let mut rejected = 0;
        let mut null_rejected = false;
        for ((count, &r), &h) in tally
            .hypothesis_rejections
            .iter_mut()
            .zip(&self.reject)
            .zip(hypotheses)
        {
            // A true null rejected in either direction is an error; a power counted for
            // benefit only (two_sided_power = false) counts only rejections for benefit.
            null_rejected |= r && design.is_true_null(arm, h);
            if r && level.counts(statistic(h).direction()) {
                *count += 1;
                rejected += 1;
            }
        }
        tally.any_rejected += u64::from(rejected > 0);
        tally.all_rejected += u64::from(rejected == hypotheses.len());
        tally.true_null_rejected += u64::from(null_rejected);
    }
}

impl Scratch {
    pub fn new(design: &Design) -> Scratch {
        let strata = design.eligible.len();
        Scratch {
            level: power::level(
                design,
                design.analysis.alpha,
                strata.saturating_sub(1) as u32,
            ),
            strata: vec![Table::default(); strata],
            stratum_statistic: vec![None; strata],
            fisher: FisherRegions::default(),
            hypotheses: HypothesisScratch::new(design),
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
    let margin = design.analysis.margin.as_ref();
    let statistic = analysis::statistic_against(test, margin, t, strata, level.alt);
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

/// Records the within-label tests, the interaction test and the hypotheses of one trial in
/// `tally`; `overall` is
/// the overall test's statistic and `scratch.strata` holds this comparison's stratum tables.
pub(crate) fn record_subgroups(
    tally: &mut ComparisonTally,
    design: &Design,
    arm: usize,
    overall: Option<Statistic>,
    scratch: &mut Scratch,
) {
    let level = &scratch.level;
    for ((sub, t), stat) in tally
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
        tally.interaction_rejections +=
            u64::from(analysis::interaction_rejects(&scratch.strata, level));
    }
    scratch.hypotheses.record(
        tally,
        design,
        arm,
        overall,
        &scratch.stratum_statistic,
        &scratch.level,
    );
}
