//! Continuous trials, fixed or group-sequential (the monitor of `sequential`): each comparison's
//! test (the t test, pooled, Welch or adjusted for the label, or Wilcoxon's on the patients'
//! values), mean difference and 95% interval (the pooled t test's with the Wilcoxon test), its
//! within-label tests, interaction test and hypotheses, and
//! with `responder_below` the chi-square test of the dichotomised outcome in the same trial,
//! recorded into the tally (its continuous block is `tally::continuous`).

use rand::Rng;

use crate::endpoint::binary::{BlockState, Simulator};
use crate::endpoint::continuous::{ContinuousSimulator, TrialMoments};
use crate::engine::Endpoint;
use crate::engine::binary_analysis::HypothesisScratch;
use crate::engine::sequential::{Monitor, Segments, SequentialScratch};
use crate::engine::tally::Tally;
use crate::engine::tally::comparison::{ComparisonOutcome, ComparisonTally, to_fixed};
use crate::model::design::Design;
use crate::model::vocabulary::{Better, TestKind};
use crate::stats::analysis::{self, Alternative, Level, Statistic, Table};
use crate::stats::means::{self, Decisions, MeanTest, Moments};
use crate::stats::power;
use crate::stats::ranks;

/// Per-worker buffers of a continuous trial's analysis.
#[derive(Debug, Clone)]
pub struct ContinuousScratch {
    /// (arm, control) moments per stratum of the comparison being analysed.
    strata: Vec<(Moments, Moments)>,
    stratum_statistic: Vec<Option<Statistic>>,
    hypotheses: HypothesisScratch,
    /// The level's decisions and the intervals' quantiles, per degrees of freedom met.
    decisions: Decisions,
    /// Whether a comparison's statistic is needed on the normal scale (the looks' boundaries,
    /// the hypotheses' p-values): its t distribution function is computed only then.
    needs_z: bool,
    /// With the Wilcoxon test: the comparison's outcomes (arm, control) per stratum and
    /// pooled, and the ranking's buffer.
    stratum_values: Vec<(Vec<f64>, Vec<f64>)>,
    pooled_values: (Vec<f64>, Vec<f64>),
    ranking: Vec<(f64, bool)>,
}

/// The continuous endpoint as the parallel loop runs it: a fixed-sample trial, or a
/// group-sequential one (`[sequential]`).
pub struct ContinuousEndpoint<'a> {
    design: &'a Design,
    simulator: ContinuousSimulator,
    monitor: Option<Monitor>,
    level: Level,
    /// The dichotomised analysis' level (responders: a higher proportion is a benefit when a
    /// lower outcome is), with `responder_below`.
    responder_level: Option<Level>,
}

impl<'a> ContinuousEndpoint<'a> {
    pub fn new(design: &'a Design) -> ContinuousEndpoint<'a> {
        let model = design.continuous().expect("a continuous design");
        let alpha = design.analysis.alpha;
        ContinuousEndpoint {
            design,
            simulator: ContinuousSimulator::new(design),
            monitor: Monitor::new(design),
            level: power::level(design, alpha, 0),
            responder_level: model.responder_below.map(|_| {
                let alt = responder_alternative(design);
                power::level_for(design, alpha, alt, responder_benefit(design), 0)
            }),
        }
    }
}

/// The alternative of the dichotomised analysis: two-sided, or one-sided for benefit.
pub fn responder_alternative(design: &Design) -> Alternative {
    match power::alternative(design) {
        Alternative::TwoSided => Alternative::TwoSided,
        _ => responder_benefit(design),
    }
}

/// The direction of benefit of the dichotomised analysis: responders are outcomes at or below
/// the threshold, so more of them is a benefit exactly when a lower outcome is better.
fn responder_benefit(design: &Design) -> Alternative {
    match design.better {
        Better::Lower => Alternative::Greater,
        Better::Higher => Alternative::Less,
    }
}

/// The design's t test of `arm` (moments `a`) against control (`c`), or within one stratum
/// (`strata` of one pair): the adjusted model within one label is the pooled t test; the
/// Wilcoxon test's estimate is the pooled t test's.
fn test_of(
    test: TestKind,
    a: &Moments,
    c: &Moments,
    strata: &[(Moments, Moments)],
) -> Option<MeanTest> {
    match test {
        TestKind::TTest | TestKind::Wilcoxon => means::t_test(a, c),
        TestKind::Welch => means::welch(a, c),
        TestKind::AncovaLabels if strata.len() == 1 => means::t_test(a, c),
        TestKind::AncovaLabels => means::ancova(strata),
        TestKind::ChiSquare
        | TestKind::ChiSquareYates
        | TestKind::FisherExact
        | TestKind::Cmh
        | TestKind::FarringtonManning
        | TestKind::Logrank
        | TestKind::LogrankStratified
        | TestKind::ProportionalOdds => {
            unreachable!("validated: a continuous endpoint is analysed by a test of means")
        }
    }
}

/// The per-trial statistics of comparison `arm` vs control; the comparison's stratum moments are
/// left in `scratch.strata`.
pub fn compare(
    design: &Design,
    trial: &TrialMoments,
    arm: usize,
    level: &Level,
    scratch: &mut ContinuousScratch,
) -> ComparisonOutcome {
    let c = design.control;
    for (s, pair) in scratch.strata.iter_mut().enumerate() {
        *pair = (trial.cell(arm, s), trial.cell(c, s));
    }
    let (a, k) = (trial.arm(arm), trial.arm(c));
    let test = test_of(design.analysis.test, &a, &k, &scratch.strata);
    // Tested against the non-inferiority margin if there is one; the estimate stays the test's.
    let tested = test.map(|t| t.against(design.analysis.null_difference()));
    let wilcoxon = design.analysis.test == TestKind::Wilcoxon;
    let statistic = if wilcoxon {
        let (pa, pc) = &mut scratch.pooled_values;
        pa.clear();
        pc.clear();
        for (s, (sa, sc)) in scratch.stratum_values.iter_mut().enumerate() {
            sa.clear();
            sa.extend_from_slice(trial.values(arm, s));
            sc.clear();
            sc.extend_from_slice(trial.values(c, s));
            pa.extend_from_slice(sa);
            pc.extend_from_slice(sc);
        }
        Some(
            ranks::wilcoxon_of_values(pa, pc, &mut scratch.ranking)
                .map_or(Statistic::Uninformative, Statistic::Z),
        )
    } else {
        scratch.needs_z.then(|| means::statistic(tested))
    };
    let rejected = match statistic {
        Some(s) => s.rejects(level),
        None => scratch.decisions.rejects(tested),
    };
    let estimate = test.map(|t| {
        let half = scratch.decisions.interval_quantile(t.df) * t.se;
        (t.difference, t.difference - half, t.difference + half)
    });
    ComparisonOutcome {
        rejected,
        statistic,
        estimate,
        observed: estimate.map(|_| (a.mean, k.mean)),
        evaluable_arm: a.n,
        evaluable_control: k.n,
    }
}

/// Records the within-label tests, the interaction test and the hypotheses of one trial's
/// comparison `arm`, whose stratum moments are in `scratch.strata`.
pub(crate) fn record_subgroups(
    tally: &mut ComparisonTally,
    design: &Design,
    arm: usize,
    overall: Option<Statistic>,
    level: &Level,
    scratch: &mut ContinuousScratch,
) {
    let wilcoxon = design.analysis.test == TestKind::Wilcoxon;
    for (((sub, pair), stat), (va, vc)) in tally
        .subgroups
        .iter_mut()
        .zip(&scratch.strata)
        .zip(&mut scratch.stratum_statistic)
        .zip(&scratch.stratum_values)
    {
        let (a, c) = pair;
        let rejected = if wilcoxon {
            let statistic = ranks::wilcoxon_of_values(va, vc, &mut scratch.ranking)
                .map_or(Statistic::Uninformative, Statistic::Z);
            *stat = Some(statistic);
            statistic.rejects(level)
        } else {
            let test = test_of(design.analysis.test, a, c, std::slice::from_ref(pair))
                .map(|t| t.against(design.analysis.null_difference()));
            if scratch.needs_z {
                *stat = Some(means::statistic(test));
            }
            scratch.decisions.rejects(test)
        };
        sub.rejections += u64::from(rejected);
        sub.sum_evaluable_arm += a.n;
        sub.sum_evaluable_control += c.n;
        if a.n > 0 && c.n > 0 {
            sub.estimable += 1;
            sub.sum_difference += to_fixed(a.mean - c.mean);
        }
    }
    if scratch.strata.len() > 1 {
        let rejected = scratch.decisions.interaction_rejects(&scratch.strata);
        tally.interaction_rejections += u64::from(rejected);
    }
    scratch.hypotheses.record(
        tally,
        design,
        arm,
        overall,
        &scratch.stratum_statistic,
        level,
    );
}

impl ContinuousEndpoint<'_> {
    /// Records comparison `j` (of `arm`) of a trial whose analysis of it is final: its
    /// estimate, within-label tests, interaction and hypotheses.
    fn record_comparison(
        &self,
        tally: &mut Tally,
        (j, arm): (usize, usize),
        outcome: &ComparisonOutcome,
        scratch: &mut ContinuousScratch,
    ) {
        let d = self.design;
        let truth = d.true_mean[arm] - d.true_mean[d.control];
        let t = &mut tally.comparisons[j];
        t.record(outcome, truth);
        record_subgroups(t, d, arm, outcome.statistic, &self.level, scratch);
    }
}

impl Segments for ContinuousEndpoint<'_> {
    type Trial = TrialMoments;
    type Scratch = ContinuousScratch;

    fn allocator(&self) -> &Simulator {
        self.simulator.allocator()
    }

    fn new_trial(&self, design: &Design) -> TrialMoments {
        TrialMoments::new(design)
    }

    fn restart(&self, trial: &mut TrialMoments) {
        self.simulator.restart(trial);
    }

    fn allocation<'t>(&self, trial: &'t mut TrialMoments) -> (&'t mut BlockState, &'t mut [u64]) {
        (&mut trial.block, &mut trial.randomised)
    }

    fn add_outcomes<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        a: usize,
        n: u64,
        trial: &mut TrialMoments,
    ) {
        self.simulator.add_outcomes(rng, a, n, trial);
    }

    fn analyse(
        &self,
        design: &Design,
        trial: &TrialMoments,
        arm: usize,
        scratch: &mut ContinuousScratch,
    ) -> ComparisonOutcome {
        compare(design, trial, arm, &self.level, scratch)
    }

    fn record(
        &self,
        tally: &mut Tally,
        _design: &Design,
        comparison: (usize, usize),
        outcome: &ComparisonOutcome,
        scratch: &mut ContinuousScratch,
    ) {
        self.record_comparison(tally, comparison, outcome, scratch);
    }
}

impl Endpoint for ContinuousEndpoint<'_> {
    type Buffers = (
        TrialMoments,
        ContinuousScratch,
        Option<SequentialScratch<TrialMoments>>,
    );

    fn buffers(&self) -> Self::Buffers {
        let d = self.design;
        let strata = d.eligible.len();
        (
            TrialMoments::new(d),
            ContinuousScratch {
                strata: vec![(Moments::default(), Moments::default()); strata],
                stratum_statistic: vec![None; strata],
                hypotheses: HypothesisScratch::new(d),
                decisions: Decisions::new(self.level.clone()),
                needs_z: self.monitor.is_some() || !d.analysis.hypotheses.is_empty(),
                stratum_values: vec![(Vec::new(), Vec::new()); strata],
                pooled_values: (Vec::new(), Vec::new()),
                ranking: Vec::new(),
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
        if let Some(level) = &self.responder_level {
            for (j, arm) in d.comparisons().enumerate() {
                let table = responder_table(d, trial, arm);
                let rejected = analysis::chi_square_z(&table, false).rejects(level);
                tally.continuous_mut().responder_rejections[j] += u64::from(rejected);
            }
        }
        tally.record_screening(failures, d.sample_size);
    }
}

/// The pooled 2 x 2 table of responders of `arm` against control.
fn responder_table(design: &Design, trial: &TrialMoments, arm: usize) -> Table {
    let sum = |a: usize| {
        (0..design.eligible.len())
            .map(|s| trial.responders_in(a, s))
            .fold((0, 0), |(r, n), (x, m)| (r + x, n + m))
    };
    let ((ra, na), (rc, nc)) = (sum(arm), sum(design.control));
    Table::new(ra, na, rc, nc)
}
