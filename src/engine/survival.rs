//! Time-to-event trials: each trial's log-rank test and Cox estimate per comparison, recorded
//! into the tally (its time-to-event block is `tally::survival`).
//!
//! An event-driven design with re-estimated deaths (`DeathReestimation`) sizes each stage
//! after an interim for a conditional power, and combines the stages' log-rank increments by
//! the inverse normal method with the planned weights (rpact's `getSimulationSurvival` with
//! `conditionalPower`). Each such trial is run twice from its own stream: as the scenario
//! states it, recorded in full, then on the boundary of the null hypothesis (every hazard
//! ratio the null's times control's), of which the rejection, the patients and the deaths are
//! kept: the design's type I error.

use rand::Rng;

use crate::endpoint::survival::{SurvivalSimulator, SurvivalTrial};
use crate::engine::Endpoint;
use crate::engine::sequential::StoppingRule;
use crate::engine::tally::Tally;
use crate::engine::tally::comparison::{ComparisonOutcome, to_fixed};
use crate::engine::tally::sequential::Decision;
use crate::model::design::Design;
use crate::model::reestimation::Reestimation;
use crate::model::vocabulary::TestKind;
use crate::stats::analysis::{Level, Statistic, Z_975};
use crate::stats::reestimation::{
    Combination, InverseNormal, conditional_power_deaths, log_rank_effect, power_quantile,
    stage_deaths, stage_log_rank_z,
};
use crate::stats::survival::{Cox, LogRank, RiskSet};
use crate::stats::{boundaries, power};

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
    /// An event-driven design whose looks wait for re-estimated deaths (instead of `looks`).
    reestimation: Option<DeathReestimation>,
}

/// What every stage decision of a design with re-estimated deaths needs, computed once.
struct DeathReestimation {
    rule: Reestimation,
    /// The stages' log-rank score increments combined, and the bounds on the combination.
    combination: InverseNormal,
    /// The normal quantile of the conditional power aimed at.
    z_power: f64,
    /// Patients randomised to the arm per patient to control.
    allocation: f64,
    /// +1 when a higher hazard is a benefit.
    sign: f64,
    /// `effect = "planned"`: the log hazard ratio against the null (positive = benefit) every
    /// stage is sized for.
    planned_effect: Option<f64>,
    /// The trials on the boundary of the null hypothesis.
    null: SurvivalSimulator,
}

/// How a trial with re-estimated deaths ended: rejected, and the patients randomised and
/// deaths seen by its last analysis.
struct Course {
    efficacy: bool,
    randomised: u64,
    deaths: u64,
}

impl DeathReestimation {
    fn new(design: &Design) -> Option<DeathReestimation> {
        let rule = design.reestimation()?.clone();
        let plan = design.sequential().expect("re-estimation has looks");
        let (b, _, _) = boundaries::of_design(design).expect("boundaries");
        let arm = usize::from(design.control == 0);
        let sign = design.benefit_sign();
        let null = design.analysis.margin.map_or(1.0, |m| m.null);
        let most = rule.max_total;
        Some(DeathReestimation {
            combination: InverseNormal::new(plan.looks.clone(), b.efficacy, b.futility),
            z_power: power_quantile(rule.conditional_power),
            allocation: f64::from(design.arms[arm].ratio)
                / f64::from(design.arms[design.control].ratio),
            sign,
            planned_effect: rule
                .planned_hazard_ratio
                .map(|hr| sign * (hr.ln() - null.ln())),
            null: SurvivalSimulator::at_null(design, null).drawing_until_death(most),
            rule,
        })
    }
}

impl<'a> SurvivalEndpoint<'a> {
    pub fn new(design: &'a Design) -> SurvivalEndpoint<'a> {
        SurvivalEndpoint {
            design,
            simulator: match design.reestimation() {
                Some(r) => SurvivalSimulator::new(design).drawing_until_death(r.max_total),
                None => SurvivalSimulator::new(design),
            },
            level: power::level(design, design.analysis.alpha, 0),
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
            reestimation: DeathReestimation::new(design),
        }
    }

    /// The log-rank test of comparison `arm` in `trial` as analysed, and the outcome it records
    /// (its Cox estimate; `rejected` left for the caller).
    fn analyse(
        &self,
        trial: &SurvivalTrial,
        arm: usize,
        analysis: &mut Analysis,
    ) -> ComparisonOutcome {
        let (statistic, log_rank) = self.test(trial, arm, analysis);
        self.estimate(trial, arm, analysis, statistic, &log_rank)
    }

    /// The test of comparison `arm` in `trial` as analysed, on its risk sets (left in `sets`):
    /// the log-rank statistic, or the Cox score test of a non-inferiority margin; and the
    /// log-rank sums the Cox fit starts from. All an interim look that goes on needs.
    fn test(
        &self,
        trial: &SurvivalTrial,
        arm: usize,
        (sets, cox): &mut Analysis,
    ) -> (Statistic, LogRank) {
        self.simulator
            .risk_sets(trial, arm, self.design.control, self.stratified, sets);
        let mut log_rank = LogRank::default();
        sets.iter().for_each(|r| log_rank.add(r));
        let statistic = match self.null_log_hr {
            Some(beta0) => cox.score_test(sets, beta0),
            None => log_rank.statistic(),
        };
        (statistic, log_rank)
    }

    /// The outcome of comparison `arm` whose risk sets `test` left in `sets`: `statistic` and
    /// the Cox estimate.
    fn estimate(
        &self,
        trial: &SurvivalTrial,
        arm: usize,
        (sets, cox): &mut Analysis,
        statistic: Statistic,
        log_rank: &LogRank,
    ) -> ComparisonOutcome {
        let c = self.design.control;
        let fit = cox.fit(sets, log_rank);
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
            reach(tally, k, trial, randomised);
            let seq = tally.sequential_mut();
            // The Cox estimate only where the trial ends: a look that goes on needs the test.
            let (statistic, log_rank) = self.test(trial, arm, sets);
            let decision = rule.decide(k, statistic);
            if decision.stops() || last {
                let mut outcome = self.estimate(trial, arm, sets, statistic, &log_rank);
                outcome.rejected = decision.efficacy;
                seq.decide(0, k, decision);
                seq.end(k, randomised);
                self.record(trial, 0, arm, &outcome, tally);
                return;
            }
        }
    }

    /// One event-driven trial drawn by `sim` whose looks after the first wait for re-estimated
    /// deaths (two arms: validated). A look whose death never comes (a capped follow-up, or
    /// loss) is when every drawn patient's follow-up has ended; the stages after it add no
    /// deaths and have z 0. With a tally, records the trial and the re-estimations.
    fn reestimated<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        (r, sim): (&DeathReestimation, &SurvivalSimulator),
        trial: &mut SurvivalTrial,
        sets: &mut Analysis,
        mut tally: Option<&mut Tally>,
    ) -> Course {
        let arm = self.design.comparisons().next().expect("two arms");
        sim.draw_patients(rng, trial);
        let plan = &r.combination;
        let looks = plan.looks.len();
        let mut target = r.rule.stage_min[0];
        // The last look's deaths and cumulative z, and the stages' z combined so far.
        let (mut before, mut z_before) = (0, 0.0);
        let mut combination = Combination::default();
        for k in 0..looks {
            let time = sim
                .death_time(trial, target)
                .unwrap_or_else(|| sim.follow_up_end(trial));
            sim.analyse_at(trial, time);
            let randomised: u64 = trial.randomised.iter().sum();
            let deaths: u64 = trial.events.iter().sum();
            if let Some(t) = tally.as_deref_mut() {
                reach(t, k, trial, randomised);
            }
            let (statistic, log_rank) = self.test(trial, arm, sets);
            let z = match statistic {
                Statistic::Z(z) => r.sign * z,
                // No deaths: no information (as rpact's log-rank statistic, 0).
                _ => 0.0,
            };
            let stage_z = stage_log_rank_z((before, z_before), (deaths, z));
            let combined = plan.add(&mut combination, stage_z);
            let (efficacy, futile) = plan.decide(k, combined);
            if efficacy || futile || k + 1 == looks {
                if let Some(t) = tally {
                    let mut outcome = self.estimate(trial, arm, sets, statistic, &log_rank);
                    outcome.rejected = efficacy;
                    let seq = t.sequential_mut();
                    seq.decide(0, k, Decision::one_sided(efficacy, futile));
                    seq.end(k, randomised);
                    self.record(trial, 0, arm, &outcome, t);
                }
                return Course {
                    efficacy,
                    randomised,
                    deaths,
                };
            }
            let c = plan.next_critical(k, combined);
            let effect = r
                .planned_effect
                .unwrap_or_else(|| log_rank_effect(z, deaths, r.allocation));
            let bounds = (r.rule.stage_min[k + 1], r.rule.stage_max[k + 1]);
            let stage = stage_deaths(r.z_power, c, effect, r.allocation, bounds);
            if let Some(t) = tally.as_deref_mut() {
                let achieved = conditional_power_deaths(stage, c, effect, r.allocation);
                t.sequential_mut()
                    .reestimation_mut()
                    .sized(k + 1, stage, bounds, achieved);
            }
            target = deaths + stage;
            (before, z_before) = (deaths, z);
        }
        unreachable!("the last look stops")
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
        match (&self.reestimation, &self.looks) {
            (Some(r), _) => {
                let course = self.reestimated(rng, (r, &self.simulator), trial, sets, Some(tally));
                *tally
                    .sequential_mut()
                    .reestimation_mut()
                    .deaths
                    .entry(course.deaths)
                    .or_insert(0) += 1;
            }
            (None, Some(looks)) => self.monitored(rng, looks, trial, sets, tally),
            (None, None) => {
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
        if let Some(r) = &self.reestimation {
            let null = self.reestimated(rng, (r, &r.null), trial, sets, None);
            let rt = tally.sequential_mut().reestimation_mut();
            rt.null_trial(null.efficacy, null.randomised);
            rt.null_deaths += u128::from(null.deaths);
        }
    }
}

/// Records that a trial reached event-driven look `k` with `randomised` patients, at the
/// calendar time `trial` is analysed at.
fn reach(tally: &mut Tally, k: usize, trial: &SurvivalTrial, randomised: u64) {
    let seq = tally.sequential_mut();
    seq.reach(k, randomised);
    if !trial.duration.is_nan() {
        seq.days_at[k] += to_fixed(trial.duration);
    }
}
