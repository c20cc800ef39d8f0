//! Time-to-event trials: each trial's log-rank test and Cox estimate per comparison, and what
//! the endpoint adds to a tally (events, patients randomised by the analysis, duration).

use std::collections::BTreeMap;

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::endpoint::survival::{SurvivalSimulator, SurvivalTrial};
use crate::engine::Endpoint;
use crate::engine::summary::{ComparisonOutcome, Tally, from_fixed, quantile_of, to_fixed};
use crate::model::design::Design;
use crate::model::scenario::TestKind;
use crate::stats::analysis::{Level, Z_975};
use crate::stats::power;
use crate::stats::survival::{LogRank, RiskSet, cox};

/// What a time-to-event design adds to a tally.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurvivalTally {
    /// Deaths observed by the analysis and patients randomised by then, summed over trials.
    pub sum_events: u128,
    pub sum_randomised: u128,
    /// Per comparison: deaths in the arm and in control, summed over trials.
    pub events_arm: Vec<u128>,
    pub events_control: Vec<u128>,
    /// Days from the first randomisation to the analysis: their fixed-point sum, and trials
    /// per whole day (rounded up) for the quantiles. Empty without accrual.
    pub sum_duration: i128,
    pub duration_days: BTreeMap<u64, u64>,
}

impl SurvivalTally {
    pub fn new(comparisons: usize) -> SurvivalTally {
        SurvivalTally {
            events_arm: vec![0; comparisons],
            events_control: vec![0; comparisons],
            ..SurvivalTally::default()
        }
    }

    pub fn merge(&mut self, o: &SurvivalTally) {
        self.sum_events += o.sum_events;
        self.sum_randomised += o.sum_randomised;
        for (a, b) in self.events_arm.iter_mut().zip(&o.events_arm) {
            *a += b;
        }
        for (a, b) in self.events_control.iter_mut().zip(&o.events_control) {
            *a += b;
        }
        self.sum_duration += o.sum_duration;
        for (&k, &v) in &o.duration_days {
            *self.duration_days.entry(k).or_insert(0) += v;
        }
    }

    /// Mean days from the first randomisation to the analysis (NaN without accrual).
    pub fn mean_duration(&self, trials: u64) -> f64 {
        if self.duration_days.is_empty() {
            f64::NAN
        } else {
            from_fixed(self.sum_duration) / trials as f64
        }
    }

    /// The `q` quantile of the duration in whole days (R's type 1 on days rounded up).
    pub fn duration_quantile(&self, q: f64, trials: u64) -> f64 {
        quantile_of(self.duration_days.iter().map(|(&d, &t)| (d, t)), q, trials)
            .map_or(f64::NAN, |d| d as f64)
    }
}

/// The time-to-event endpoint as the parallel loop runs it.
pub struct SurvivalEndpoint<'a> {
    design: &'a Design,
    simulator: SurvivalSimulator,
    level: Level,
    stratified: bool,
    /// Per comparison: the true log hazard ratio (NaN when the hazards are not proportional).
    truth: Vec<f64>,
}

impl<'a> SurvivalEndpoint<'a> {
    pub fn new(design: &'a Design) -> SurvivalEndpoint<'a> {
        SurvivalEndpoint {
            design,
            simulator: SurvivalSimulator::new(design),
            level: Level::new(design.analysis.alpha, power::alternative(design), 0),
            stratified: design.analysis.test == TestKind::LogrankStratified,
            truth: design
                .comparisons()
                .map(|a| design.true_hazard_ratio(a).map_or(f64::NAN, f64::ln))
                .collect(),
        }
    }
}

impl Endpoint for SurvivalEndpoint<'_> {
    type Buffers = (SurvivalTrial, Vec<RiskSet>);

    fn buffers(&self) -> Self::Buffers {
        (self.simulator.new_trial(), Vec::new())
    }

    fn trial<R: Rng + ?Sized>(&self, rng: &mut R, buffers: &mut Self::Buffers, tally: &mut Tally) {
        let (trial, sets) = buffers;
        let design = self.design;
        let c = design.control;
        self.simulator.simulate(rng, trial);
        tally.trials += 1;
        let survival = tally.survival.as_mut().expect("a time-to-event tally");
        for (j, arm) in design.comparisons().enumerate() {
            self.simulator
                .risk_sets(trial, arm, c, self.stratified, sets);
            let mut log_rank = LogRank::default();
            sets.iter().for_each(|r| log_rank.add(r));
            let statistic = log_rank.statistic();
            let fit = cox(sets, &log_rank);
            let (n_arm, n_control) = (trial.randomised[arm], trial.randomised[c]);
            let outcome = ComparisonOutcome {
                rejected: statistic.rejects(&self.level),
                statistic: Some(statistic),
                estimate: fit.map(|f| {
                    let half = Z_975 * f.variance.sqrt();
                    (f.log_hr, f.log_hr - half, f.log_hr + half)
                }),
                // Crude proportions dead by the analysis (not in summary.csv's columns).
                observed: fit.map(|_| {
                    (
                        trial.events[arm] as f64 / n_arm as f64,
                        trial.events[c] as f64 / n_control as f64,
                    )
                }),
                evaluable_arm: n_arm,
                evaluable_control: n_control,
            };
            tally.comparisons[j].record(&outcome, self.truth[j]);
            survival.events_arm[j] += u128::from(trial.events[arm]);
            survival.events_control[j] += u128::from(trial.events[c]);
        }
        let randomised: u64 = trial.randomised.iter().sum();
        survival.sum_events += u128::from(trial.events.iter().sum::<u64>());
        survival.sum_randomised += u128::from(randomised);
        if !trial.duration.is_nan() {
            survival.sum_duration += to_fixed(trial.duration);
            *survival
                .duration_days
                .entry(trial.duration.ceil() as u64)
                .or_insert(0) += 1;
        }
        let failures = self.simulator.screen_failures(rng, randomised);
        tally.record_screening(failures, randomised);
    }
}
