//! Time-to-event trials: each trial's log-rank test and Cox estimate per comparison, recorded
//! into the tally (its time-to-event block is `tally::survival`).

use rand::Rng;

use crate::endpoint::survival::{SurvivalSimulator, SurvivalTrial};
use crate::engine::Endpoint;
use crate::engine::sequential::StoppingRule;
use crate::engine::tally::Tally;
use crate::engine::tally::comparison::{ComparisonOutcome, to_fixed};
use crate::model::design::Design;
use crate::model::vocabulary::TestKind;
use crate::stats::analysis::{Level, Z_975};
use crate::stats::power;
use crate::stats::survival::{Cox, LogRank, RiskSet};

/// A comparison's risk sets and its Cox fit, reused from trial to trial.
type Analysis = (Vec<RiskSet>, Cox);

/// The time-to-event endpoint as the parallel loop runs it.
pub struct SurvivalEndpoint<'a> {
    design: &'a Design,
    simulator: SurvivalSimulator,
    level: Level,
    stratified: bool,
    /// Per comparison: the true log hazard ratio (NaN when the hazards are not proportional).
    truth: Vec<f64>,
    /// Non-inferiority: the log of the hazard-ratio margin, tested by the Cox score test.
    null_log_hr: Option<f64>,
    /// An event-driven design with interim looks: the decision at each look, and the deaths
    /// each look waits for.
    looks: Option<(StoppingRule, Vec<u64>)>,
}

impl<'a> SurvivalEndpoint<'a> {
    pub fn new(design: &'a Design) -> SurvivalEndpoint<'a> {
        SurvivalEndpoint {
            design,
            simulator: SurvivalSimulator::new(design),
            level: Level::new(design.analysis.alpha, power::alternative(design), 0),
            stratified: design.analysis.test == TestKind::LogrankStratified,
            null_log_hr: design.analysis.margin.map(|m| m.null.ln()),
            truth: design
                .comparisons()
                .map(|a| design.true_hazard_ratio(a).map_or(f64::NAN, f64::ln))
                .collect(),
            looks: design.sequential().map(|plan| {
                let rule = StoppingRule::new(design, 0).expect("a sequential design");
                (rule, plan.evaluable.clone())
            }),
        }
    }

    /// The log-rank test of comparison `arm` in `trial` as analysed, and the outcome it records
    /// (its Cox estimate; `rejected` left for the caller).
    fn analyse(
        &self,
        trial: &SurvivalTrial,
        arm: usize,
        (sets, cox): &mut Analysis,
    ) -> ComparisonOutcome {
        let c = self.design.control;
        self.simulator
            .risk_sets(trial, arm, c, self.stratified, sets);
        let mut log_rank = LogRank::default();
        sets.iter().for_each(|r| log_rank.add(r));
        let statistic = match self.null_log_hr {
            Some(beta0) => cox.score_test(sets, beta0),
            None => log_rank.statistic(),
        };
        let fit = cox.fit(sets, &log_rank);
        let (n_arm, n_control) = (trial.randomised[arm], trial.randomised[c]);
        ComparisonOutcome {
            rejected: false,
            statistic: Some(statistic),
            estimate: fit.map(|f| {
                let half = Z_975 * f.variance.sqrt();
                (f.log_hr, f.log_hr - half, f.log_hr + half)
            }),
            // Crude proportions dead by the analysis: not written by a time-to-event
            // summary.csv, but the tally counts an estimate only with them.
            observed: fit.map(|_| {
                (
                    trial.events[arm] as f64 / n_arm as f64,
                    trial.events[c] as f64 / n_control as f64,
                )
            }),
            evaluable_arm: n_arm,
            evaluable_control: n_control,
        }
    }

    /// Records comparison `j` (of `arm`) at the analysis that decides it.
    fn record(
        &self,
        trial: &SurvivalTrial,
        j: usize,
        arm: usize,
        o: &ComparisonOutcome,
        tally: &mut Tally,
    ) {
        tally.comparisons[j].record(o, self.truth[j]);
        let survival = tally.survival_mut();
        survival.events_arm[j] += u128::from(trial.events[arm]);
        survival.events_control[j] += u128::from(trial.events[self.design.control]);
    }

    /// One event-driven trial with interim looks (two arms: validated). Look k comes at the
    /// calendar time of its planned death; a look whose death never comes (a capped follow-up
    /// with fewer deaths) is passed over, and the trial goes on to its final analysis.
    fn monitored<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        (rule, deaths): &(StoppingRule, Vec<u64>),
        trial: &mut SurvivalTrial,
        sets: &mut Analysis,
        tally: &mut Tally,
    ) {
        let arm = self.design.comparisons().next().expect("two arms");
        self.simulator.draw_patients(rng, trial);
        let looks = rule.looks();
        for (k, &planned) in deaths.iter().enumerate() {
            let last = k + 1 == looks;
            let time = if last {
                self.simulator.final_analysis(trial)
            } else {
                match self.simulator.death_time(trial, planned) {
                    Some(t) => t,
                    None => continue,
                }
            };
            self.simulator.analyse_at(trial, time);
            let randomised: u64 = trial.randomised.iter().sum();
            let seq = tally.sequential_mut();
            seq.reach(k, randomised);
            if !trial.duration.is_nan() {
                seq.days_at[k] += to_fixed(trial.duration);
            }
            let mut outcome = self.analyse(trial, arm, sets);
            let (efficacy, futile) =
                rule.decide(k, outcome.statistic.expect("a log-rank statistic"));
            if efficacy || futile || last {
                outcome.rejected = efficacy;
                seq.decide(0, k, efficacy, futile);
                seq.end(k, randomised);
                self.record(trial, 0, arm, &outcome, tally);
                return;
            }
        }
    }
}

impl Endpoint for SurvivalEndpoint<'_> {
    type Buffers = (SurvivalTrial, Analysis);

    fn buffers(&self) -> Self::Buffers {
        (self.simulator.new_trial(), (Vec::new(), Cox::default()))
    }

    fn trial<R: Rng + ?Sized>(&self, rng: &mut R, buffers: &mut Self::Buffers, tally: &mut Tally) {
        let (trial, sets) = buffers;
        tally.trials += 1;
        match &self.looks {
            Some(looks) => self.monitored(rng, looks, trial, sets, tally),
            None => {
                self.simulator.simulate(rng, trial);
                for (j, arm) in self.design.comparisons().enumerate() {
                    let mut outcome = self.analyse(trial, arm, sets);
                    let statistic = outcome.statistic.expect("a log-rank statistic");
                    outcome.rejected = statistic.rejects(&self.level);
                    self.record(trial, j, arm, &outcome, tally);
                }
            }
        }
        // The trial as analysed when it ended.
        let randomised: u64 = trial.randomised.iter().sum();
        let survival = tally.survival_mut();
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
