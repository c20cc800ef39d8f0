//! Ordinal trials, fixed or group-sequential (the monitor of `sequential`): each comparison's
//! test (the proportional-odds Wald test or Wilcoxon's), its log common odds ratio and 95%
//! Wald interval (from the proportional-odds fit, whichever the test), its within-label tests,
//! interaction test and hypotheses, recorded into the tally.

use rand::Rng;

use crate::endpoint::binary::{BlockState, Simulator};
use crate::endpoint::ordinal::{OrdinalSimulator, TrialLevels};
use crate::engine::Endpoint;
use crate::engine::binary_analysis::HypothesisScratch;
use crate::engine::sequential::{Monitor, Segments, SequentialScratch};
use crate::engine::tally::Tally;
use crate::engine::tally::comparison::{ComparisonOutcome, ComparisonTally, to_fixed};
use crate::model::design::Design;
use crate::model::ordinal as model_ordinal;
use crate::model::vocabulary::TestKind;
use crate::stats::analysis::{self, Level, Statistic, Z_975};
use crate::stats::ordinal::{self, OddsFit, PoScratch};
use crate::stats::power;
use crate::stats::ranks;

/// Per-worker buffers of an ordinal trial's analysis.
#[derive(Debug, Clone)]
pub struct OrdinalScratch {
    /// The counts per level of the arm and of control being analysed.
    arm: Vec<f64>,
    control: Vec<f64>,
    /// The comparison's counts per stratum and level: the arm's (`strata x levels`), then
    /// control's.
    cells: Vec<f64>,
    fit: PoScratch,
    stratum_statistic: Vec<Option<Statistic>>,
    /// Each label's fit, for the interaction test.
    stratum_fit: Vec<Option<OddsFit>>,
    hypotheses: HypothesisScratch,
}

/// The ordinal endpoint as the parallel loop runs it: a fixed-sample trial, or a
/// group-sequential one (`[sequential]`).
pub struct OrdinalEndpoint<'a> {
    design: &'a Design,
    simulator: OrdinalSimulator,
    monitor: Option<Monitor>,
    level: Level,
    /// Per comparison: the limit of the log odds ratio estimate (`stats::ordinal`), what its
    /// interval should cover.
    truth: Vec<f64>,
}

impl<'a> OrdinalEndpoint<'a> {
    pub fn new(design: &'a Design) -> OrdinalEndpoint<'a> {
        OrdinalEndpoint {
            design,
            simulator: OrdinalSimulator::new(design),
            monitor: Monitor::new(design),
            level: power::level(design, design.analysis.alpha, 0),
            truth: design
                .comparisons()
                .map(|a| power::true_log_odds_ratio(design, a))
                .collect(),
        }
    }
}

/// The design's test of the counts in `s.arm` against `s.control`, and the proportional-odds
/// fit (`None`: no finite estimate).
fn test_of(test: TestKind, s: &mut OrdinalScratch) -> (Statistic, Option<OddsFit>) {
    let fit = ordinal::proportional_odds(&s.arm, &s.control, &mut s.fit);
    let statistic = match test {
        TestKind::ProportionalOdds => fit.statistic(),
        TestKind::Wilcoxon => ranks::wilcoxon_statistic(&s.arm, &s.control),
        TestKind::ChiSquare
        | TestKind::ChiSquareYates
        | TestKind::FisherExact
        | TestKind::Cmh
        | TestKind::FarringtonManning
        | TestKind::Logrank
        | TestKind::LogrankStratified
        | TestKind::TTest
        | TestKind::Welch
        | TestKind::AncovaLabels => {
            unreachable!("validated: an ordinal endpoint is analysed by an ordinal test")
        }
    };
    (statistic, fit.fit())
}

/// The mean level (worst = 1) of counts per level, and their total.
fn mean_level(counts: &[f64]) -> (f64, f64) {
    let n: f64 = counts.iter().sum();
    (model_ordinal::mean_level(counts) / n, n)
}

/// The per-trial statistics of comparison `arm` vs control.
pub fn compare(
    design: &Design,
    trial: &TrialLevels,
    arm: usize,
    level: &Level,
    scratch: &mut OrdinalScratch,
) -> ComparisonOutcome {
    trial.arm_into(arm, &mut scratch.arm);
    trial.arm_into(design.control, &mut scratch.control);
    let levels = scratch.arm.len();
    let strata = design.eligible.len();
    for s in 0..strata {
        let (a, c) = (trial.cell(arm, s), trial.cell(design.control, s));
        for j in 0..levels {
            scratch.cells[s * levels + j] = a[j] as f64;
            scratch.cells[(strata + s) * levels + j] = c[j] as f64;
        }
    }
    let (statistic, fit) = test_of(design.analysis.test, scratch);
    let ((mean_a, n_a), (mean_c, n_c)) = (mean_level(&scratch.arm), mean_level(&scratch.control));
    let estimate = fit.map(|f| {
        let half = Z_975 * f.se;
        (
            f.log_odds_ratio,
            f.log_odds_ratio - half,
            f.log_odds_ratio + half,
        )
    });
    ComparisonOutcome {
        rejected: statistic.rejects(level),
        statistic: Some(statistic),
        estimate,
        observed: estimate.map(|_| (mean_a, mean_c)),
        evaluable_arm: n_a as u64,
        evaluable_control: n_c as u64,
    }
}

impl OrdinalEndpoint<'_> {
    /// Records comparison `j` (of `arm`) of a trial whose analysis of it is final: its
    /// estimate, within-label tests, interaction and hypotheses (its counts per stratum are in
    /// `scratch.cells`).
    fn record_comparison(
        &self,
        tally: &mut Tally,
        (j, arm): (usize, usize),
        outcome: &ComparisonOutcome,
        scratch: &mut OrdinalScratch,
    ) {
        let t = &mut tally.comparisons[j];
        t.record(outcome, self.truth[j]);
        self.record_subgroups(t, arm, outcome.statistic, scratch);
    }

    fn record_subgroups(
        &self,
        tally: &mut ComparisonTally,
        arm: usize,
        overall: Option<Statistic>,
        scratch: &mut OrdinalScratch,
    ) {
        let d = self.design;
        let (levels, strata) = (scratch.arm.len(), d.eligible.len());
        for (s, sub) in tally.subgroups.iter_mut().enumerate() {
            let cells = &scratch.cells;
            scratch
                .arm
                .copy_from_slice(&cells[s * levels..(s + 1) * levels]);
            scratch
                .control
                .copy_from_slice(&cells[(strata + s) * levels..(strata + s + 1) * levels]);
            let (statistic, fit) = test_of(d.analysis.test, scratch);
            scratch.stratum_statistic[s] = Some(statistic);
            scratch.stratum_fit[s] = fit;
            sub.rejections += u64::from(statistic.rejects(&self.level));
            sub.sum_evaluable_arm += scratch.arm.iter().sum::<f64>() as u64;
            sub.sum_evaluable_control += scratch.control.iter().sum::<f64>() as u64;
            if let Some(f) = fit {
                sub.estimable += 1;
                sub.sum_difference += to_fixed(f.log_odds_ratio);
            }
        }
        if d.eligible.len() > 1 {
            // Woolf's statistic of the labels' log odds ratios: the Wald test of the arm x
            // label interaction in the model with cutpoints per label (whose labels' fits are
            // independent); labels without a finite fit are left out.
            let fits = scratch.stratum_fit.iter().flatten();
            let rejected =
                analysis::heterogeneity(fits.map(|f| (f.log_odds_ratio, 1.0 / (f.se * f.se))))
                    .map_or(1.0 <= self.level.alpha, |(x, df)| {
                        self.level.rejects_chi2(x, df)
                    });
            tally.interaction_rejections += u64::from(rejected);
        }
        scratch.hypotheses.record(
            tally,
            d,
            arm,
            overall,
            &scratch.stratum_statistic,
            &self.level,
        );
    }
}

impl Segments for OrdinalEndpoint<'_> {
    type Trial = TrialLevels;
    type Scratch = OrdinalScratch;

    fn allocator(&self) -> &Simulator {
        self.simulator.allocator()
    }

    fn new_trial(&self, design: &Design) -> TrialLevels {
        TrialLevels::new(design)
    }

    fn restart(&self, trial: &mut TrialLevels) {
        self.simulator.restart(trial);
    }

    fn allocation<'t>(&self, trial: &'t mut TrialLevels) -> (&'t mut BlockState, &'t mut [u64]) {
        (&mut trial.block, &mut trial.randomised)
    }

    fn add_outcomes<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        a: usize,
        n: u64,
        trial: &mut TrialLevels,
    ) {
        self.simulator.add_outcomes(rng, a, n, trial);
    }

    fn analyse(
        &self,
        design: &Design,
        trial: &TrialLevels,
        arm: usize,
        scratch: &mut OrdinalScratch,
    ) -> ComparisonOutcome {
        compare(design, trial, arm, &self.level, scratch)
    }

    fn record(
        &self,
        tally: &mut Tally,
        _design: &Design,
        comparison: (usize, usize),
        outcome: &ComparisonOutcome,
        scratch: &mut OrdinalScratch,
    ) {
        self.record_comparison(tally, comparison, outcome, scratch);
    }
}

impl Endpoint for OrdinalEndpoint<'_> {
    type Buffers = (
        TrialLevels,
        OrdinalScratch,
        Option<SequentialScratch<TrialLevels>>,
    );

    fn buffers(&self) -> Self::Buffers {
        let d = self.design;
        let strata = d.eligible.len();
        let levels = d.ordinal().expect("an ordinal design").levels.len();
        (
            TrialLevels::new(d),
            OrdinalScratch {
                arm: vec![0.0; levels],
                control: vec![0.0; levels],
                cells: vec![0.0; 2 * strata * levels],
                fit: PoScratch::new(levels),
                stratum_statistic: vec![None; strata],
                stratum_fit: vec![None; strata],
                hypotheses: HypothesisScratch::new(d),
            },
            self.monitor
                .as_ref()
                .map(|m| SequentialScratch::new(d, m, self)),
        )
    }

    fn trial<R: Rng + ?Sized>(&self, rng: &mut R, buffers: &mut Self::Buffers, tally: &mut Tally) {
        let (trial, scratch, seq) = buffers;
        let d = self.design;
        if let (Some(m), Some(seq)) = (&self.monitor, seq) {
            m.trial(d, self, rng, seq, scratch, tally);
            return;
        }
        let failures = self.fixed_trial(d, rng, trial, scratch, tally);
        tally.record_screening(failures, d.sample_size);
    }
}
