//! Trials with sample-size re-estimation: after each interim look that does not stop, the
//! next stage's patients are chosen for a conditional power, and the stages are combined by
//! the inverse normal method with the planned weights, so that the type I error holds however
//! the stages were sized (rpact's `getSimulationRates` with `conditionalPower`).
//!
//! A stage is drawn at count level, as a fixed trial is: its screening (negative binomial), its
//! allocation (the permuted blocks continue across stages), then per arm the labels, dropout
//! and events. Its z is the analysis test on the stage's own counts.
//!
//! Each trial is run twice from its own stream: as the scenario states it, recorded in full,
//! then on the boundary of the null hypothesis (the same planned effect when the re-estimation
//! uses one), of which the rejection and the patients are kept: the design's type I error.

use rand::Rng;

use crate::endpoint::binary::{Simulator, TrialCounts};
use crate::engine::Endpoint;
use crate::engine::binary_analysis::{Scratch, compare};
use crate::engine::tally::Tally;
use crate::engine::tally::sequential::Decision;
use crate::model::design::Design;
use crate::model::reestimation::Reestimation;
use crate::model::vocabulary::MarginScale;
use crate::stats::analysis::{self, Alternative, Statistic};
use crate::stats::boundaries;
use crate::stats::reestimation::{
    Combination, InverseNormal, RiskHypothesis, conditional_power, power_quantile, stage_size,
};
use crate::stats::sampling::{self, ScreeningSampler};

/// The binary endpoint with sample-size re-estimation.
pub struct ReestimationEndpoint<'a> {
    design: &'a Design,
    rule: Rule,
    /// The scenario's trials, and those on the boundary of the null hypothesis.
    scenario: Simulator,
    null: Simulator,
}

/// What every stage decision needs, computed once.
struct Rule {
    reestimation: Reestimation,
    combination: InverseNormal,
    hypothesis: RiskHypothesis,
    /// The normal quantile of the conditional power aimed at.
    z_power: f64,
    /// The compared arm (the one that is not control).
    arm: usize,
    first_screening: ScreeningSampler,
    eligible_fraction: f64,
}

/// How one trial went: the look it stopped at, for efficacy or futility, the patients
/// randomised and screened out.
struct Course {
    stop: usize,
    efficacy: bool,
    futile: bool,
    randomised: u64,
    failures: u64,
}

/// Per-worker buffers.
pub struct Buffers {
    /// Cumulative counts, and those of the current stage.
    total: TrialCounts,
    stage: TrialCounts,
    stage_arms: Vec<u64>,
    scratch: Scratch,
}

impl<'a> ReestimationEndpoint<'a> {
    pub fn new(design: &'a Design) -> ReestimationEndpoint<'a> {
        let plan = design.sequential().expect("re-estimation has looks");
        let reestimation = plan.reestimation.clone().expect("a re-estimated design");
        let (b, _, _) = boundaries::of_design(design).expect("boundaries");
        let arm = usize::from(design.control == 0);
        let margin = design.analysis.margin;
        let ratio = margin.is_some_and(|m| m.scale == MarginScale::RiskRatio);
        let null = design
            .at_null_boundary()
            .expect("validation keeps the null risks in [0, 1]");
        let most = design.most_randomised();
        ReestimationEndpoint {
            design,
            rule: Rule {
                combination: InverseNormal::new(plan.looks.clone(), b.efficacy, b.futility),
                hypothesis: RiskHypothesis {
                    null: design.analysis.null_difference(),
                    ratio,
                    direction: design.benefit_sign(),
                    allocation: f64::from(design.arms[arm].ratio)
                        / f64::from(design.arms[design.control].ratio),
                },
                arm,
                z_power: power_quantile(reestimation.conditional_power),
                first_screening: ScreeningSampler::new(plan.evaluable[0], design.eligible_fraction),
                eligible_fraction: design.eligible_fraction,
                reestimation,
            },
            scenario: Simulator::with_capacity(design, most),
            null: Simulator::with_capacity(&null, most),
        }
    }
}

impl Endpoint for ReestimationEndpoint<'_> {
    type Buffers = Buffers;

    fn buffers(&self) -> Buffers {
        let d = self.design;
        Buffers {
            total: TrialCounts::new(d),
            stage: TrialCounts::new(d),
            stage_arms: vec![0; d.arms.len()],
            scratch: Scratch::new(d),
        }
    }

    fn trial<R: Rng + ?Sized>(&self, rng: &mut R, b: &mut Buffers, tally: &mut Tally) {
        let d = self.design;
        let course = self.rule.run(d, &self.scenario, rng, b, Some(tally));
        let mut outcome = compare(d, &b.total, self.rule.arm, &mut b.scratch);
        outcome.rejected = course.efficacy;
        tally.trials += 1;
        tally.record_comparison(d, 0, self.rule.arm, &outcome, &mut b.scratch);
        let seq = tally.sequential_mut();
        seq.decide(
            0,
            course.stop,
            Decision::one_sided(course.efficacy, course.futile),
        );
        seq.end(course.stop, course.randomised);
        tally.record_screening(course.failures, course.randomised);

        let null = self.rule.run(d, &self.null, rng, b, None);
        tally
            .sequential_mut()
            .reestimation_mut()
            .null_trial(null.efficacy, null.randomised);
    }
}

impl Rule {
    /// Runs one trial drawn by `sim`; with a tally, records the looks reached and the
    /// re-estimations.
    fn run<R: Rng + ?Sized>(
        &self,
        d: &Design,
        sim: &Simulator,
        rng: &mut R,
        b: &mut Buffers,
        mut tally: Option<&mut Tally>,
    ) -> Course {
        let plan = &self.combination;
        let looks = plan.looks.len();
        b.total.restart();
        let mut combination = Combination::default();
        let mut n = self.reestimation.stage_min[0];
        let mut course = Course {
            stop: 0,
            efficacy: false,
            futile: false,
            randomised: 0,
            failures: self.first_screening.sample(rng),
        };
        for k in 0..looks {
            if k > 0 {
                course.failures += sampling::negative_binomial(rng, n, self.eligible_fraction);
            }
            self.draw_stage(sim, rng, n, b);
            course.randomised += n;
            if let Some(t) = tally.as_deref_mut() {
                t.sequential_mut().reach(k, course.randomised);
            }
            let combined = plan.add(&mut combination, self.stage_z(d, &b.stage));
            course.stop = k;
            (course.efficacy, course.futile) = plan.decide(k, combined);
            if course.efficacy || course.futile || k + 1 == looks {
                return course;
            }
            let c = plan.next_critical(k, combined);
            let risks = self.reestimation.planned_risks.unwrap_or_else(|| {
                let rate =
                    |a: usize| b.total.arm_events(a) as f64 / b.total.arm_evaluable(a) as f64;
                (rate(self.arm), rate(d.control))
            });
            let r = &self.reestimation;
            let bounds = (r.stage_min[k + 1], r.stage_max[k + 1]);
            n = stage_size(self.z_power, c, risks, &self.hypothesis, bounds);
            if let Some(t) = tally.as_deref_mut() {
                let achieved = conditional_power(n, c, risks, &self.hypothesis);
                t.sequential_mut()
                    .reestimation_mut()
                    .sized(k + 1, n, bounds, achieved);
            }
        }
        unreachable!("the last look stops")
    }

    /// Randomises `n` patients (the blocks go on from the last stage) and draws their outcomes
    /// into `b.stage`, adding them to `b.total`.
    fn draw_stage<R: Rng + ?Sized>(&self, sim: &Simulator, rng: &mut R, n: u64, b: &mut Buffers) {
        sim.allocate(rng, n, &mut b.total.block, &mut b.stage_arms);
        let strata = b.stage.evaluable.len() / b.stage_arms.len();
        for (a, &m) in b.stage_arms.iter().enumerate() {
            let cells = a * strata..(a + 1) * strata;
            sim.draw_arm(
                rng,
                a,
                m,
                &mut b.stage.evaluable[cells.clone()],
                &mut b.stage.events[cells],
            );
            b.total.randomised[a] += m;
        }
        for (t, s) in b.total.evaluable.iter_mut().zip(&b.stage.evaluable) {
            *t += s;
        }
        for (t, s) in b.total.events.iter_mut().zip(&b.stage.events) {
            *t += s;
        }
    }

    /// The stage's own z, positive for a benefit; 0 where the test has no information (no
    /// events, or an effect on the null: as rpact).
    fn stage_z(&self, d: &Design, stage: &TrialCounts) -> f64 {
        let table = stage.table(self.arm, d.control);
        let margin = d.analysis.margin.as_ref();
        match analysis::statistic_against(
            d.analysis.test,
            margin,
            &table,
            &[],
            Alternative::Greater,
        ) {
            Statistic::Z(z) => self.hypothesis.direction * z,
            Statistic::P { .. } | Statistic::Uninformative => 0.0,
        }
    }
}
