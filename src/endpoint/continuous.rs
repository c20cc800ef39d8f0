//! One virtual trial of a continuous endpoint, from each cell's sufficient statistics.
//!
//! Screening, allocation, labels and dropout are drawn as for a binary endpoint (`binary`'s
//! `Simulator`). Within an arm x label cell the evaluable patients are a multinomial over the
//! true endotypes carrying the label; the outcomes of the n patients of one endotype are
//! i.i.d. normal(mu, sigma), so their mean is normal(mu, sigma^2 / n) and, independently, their
//! sum of squared deviations is sigma^2 chi-square(n - 1): two draws per endotype give the
//! cell's exact sufficient statistics (its moments), whatever n. With `responder_below` the
//! responders, and with the Wilcoxon test the ranks, are not functions of those statistics:
//! each patient's outcome is drawn (and, for the ranks, kept).
//!
//! A sequential trial adds each segment's outcomes as they become known (`add_outcomes`).
//! Nothing is allocated per trial: `TrialMoments` is reused.

use rand::Rng;
use rand_distr::{ChiSquared, Distribution, StandardNormal};

use crate::endpoint::binary::{BlockState, Simulator};
use crate::model::design::Design;
use crate::stats::means::Moments;
use crate::stats::sampling::{BinomialSampler, chain_probabilities, multinomial, table_share};

/// One simulated trial of a continuous endpoint, by arm and stratum (eligible label).
#[derive(Debug, Clone)]
pub struct TrialMoments {
    strata: usize,
    /// Patients randomised per arm.
    pub randomised: Vec<u64>,
    /// The evaluable patients' outcomes, indexed `arm * strata + stratum`.
    pub cells: Vec<Moments>,
    /// Responders among them (with `responder_below`), indexed like `cells`.
    pub responders: Vec<u64>,
    /// The outcomes themselves (with the Wilcoxon test; empty otherwise), indexed like `cells`.
    pub values: Vec<Vec<f64>>,
    /// Patients per stratum of one arm, and per endotype of one cell (scratch).
    labels: Vec<u64>,
    endotypes: Vec<u64>,
    pub block: BlockState,
}

impl TrialMoments {
    pub fn new(design: &Design) -> TrialMoments {
        let (arms, strata) = (design.arms.len(), design.eligible.len());
        TrialMoments {
            strata,
            randomised: vec![0; arms],
            cells: vec![Moments::default(); arms * strata],
            responders: vec![0; arms * strata],
            values: vec![Vec::new(); arms * strata],
            labels: vec![0; strata],
            endotypes: vec![0; design.endotypes.len()],
            block: BlockState::new(arms),
        }
    }

    /// The moments of `arm` within stratum `s`.
    pub fn cell(&self, arm: usize, s: usize) -> Moments {
        self.cells[arm * self.strata + s]
    }

    /// The moments of `arm` over every stratum.
    pub fn arm(&self, arm: usize) -> Moments {
        self.cells[arm * self.strata..(arm + 1) * self.strata]
            .iter()
            .fold(Moments::default(), |m, &c| m.combine(c))
    }

    /// The outcomes of `arm` within stratum `s` (with the Wilcoxon test).
    pub fn values(&self, arm: usize, s: usize) -> &[f64] {
        &self.values[arm * self.strata + s]
    }

    /// Responders and evaluable patients of `arm` within stratum `s`.
    pub fn responders_in(&self, arm: usize, s: usize) -> (u64, u64) {
        let i = arm * self.strata + s;
        (self.responders[i], self.cells[i].n)
    }
}

/// The outcome's law in one arm x stratum x endotype cell.
#[derive(Debug, Clone, Copy)]
struct Normal {
    mean: f64,
    sd: f64,
}

/// Everything a continuous trial needs from the design, computed once per run.
#[derive(Debug, Clone)]
pub struct ContinuousSimulator {
    binary: Simulator,
    strata: usize,
    endotypes: usize,
    /// Per stratum: the chain of the multinomial over true endotypes.
    endotype_chain: Vec<Vec<BinomialSampler>>,
    /// Indexed `(arm * strata + stratum) * endotypes + endotype`.
    law: Vec<Normal>,
    responder_below: Option<f64>,
    /// Whether each patient's outcome is kept (the Wilcoxon test ranks them).
    ranks: bool,
}

impl ContinuousSimulator {
    pub fn new(design: &Design) -> ContinuousSimulator {
        let model = design.continuous().expect("a continuous design");
        let (arms, strata, endotypes) = (
            design.arms.len(),
            design.eligible.len(),
            design.endotypes.len(),
        );
        let share = table_share(strata * endotypes);
        let endotype_chain = (0..strata)
            .map(|s| {
                chain_probabilities(&design.endotypes_in_stratum(s))
                    .iter()
                    .map(|&p| BinomialSampler::within(p, design.sample_size, share))
                    .collect()
            })
            .collect();
        let mut law = Vec::with_capacity(arms * strata * endotypes);
        for a in 0..arms {
            for s in 0..strata {
                for e in 0..endotypes {
                    law.push(Normal {
                        mean: design.outcome_mean(a, s, e),
                        sd: model.sd[e],
                    });
                }
            }
        }
        ContinuousSimulator {
            binary: Simulator::new(design),
            strata,
            endotypes,
            endotype_chain,
            law,
            responder_below: model.responder_below,
            ranks: model.ranks,
        }
    }

    /// The allocation, labels, dropout and screening sampler (a binary endpoint's).
    pub fn allocator(&self) -> &Simulator {
        &self.binary
    }

    /// Empties `trial`: no patients, no outcomes, a fresh block sequence.
    pub fn restart(&self, trial: &mut TrialMoments) {
        trial.randomised.fill(0);
        trial.cells.fill(Moments::default());
        trial.responders.fill(0);
        for v in &mut trial.values {
            v.clear();
        }
        trial.block.restart();
    }

    /// Draws the outcomes of `n` patients randomised to arm `a` (their labels, dropout, true
    /// endotypes and outcomes) and adds them to `trial`'s cells.
    pub fn add_outcomes<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        a: usize,
        n: u64,
        trial: &mut TrialMoments,
    ) {
        self.binary.draw_labels(rng, n, &mut trial.labels);
        for s in 0..self.strata {
            let n = self.binary.evaluable_of(rng, trial.labels[s]);
            let i = a * self.strata + s;
            let values = &mut trial.values[i];
            let (cell, responders) = self.draw_cell(rng, i, s, n, &mut trial.endotypes, values);
            trial.cells[i] = trial.cells[i].combine(cell);
            trial.responders[i] += responders;
        }
    }

    /// The outcomes of `n` evaluable patients of cell `i` (stratum `s`): their moments and
    /// responders (each outcome also pushed to `values` when they are kept).
    fn draw_cell<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        i: usize,
        s: usize,
        n: u64,
        endotypes: &mut [u64],
        values: &mut Vec<f64>,
    ) -> (Moments, u64) {
        multinomial(rng, n, &self.endotype_chain[s], endotypes);
        let laws = &self.law[i * self.endotypes..(i + 1) * self.endotypes];
        let mut cell = Moments::default();
        let mut responders = 0;
        for (&k, law) in endotypes.iter().zip(laws) {
            if k == 0 {
                continue;
            }
            if self.responder_below.is_none() && !self.ranks {
                cell = cell.combine(sufficient(rng, k, *law));
                continue;
            }
            let threshold = self.responder_below.unwrap_or(f64::NEG_INFINITY);
            for _ in 0..k {
                let z: f64 = StandardNormal.sample(rng);
                let x = law.mean + law.sd * z;
                cell.push(x);
                responders += u64::from(x <= threshold);
                if self.ranks {
                    values.push(x);
                }
            }
        }
        (cell, responders)
    }
}

/// The moments of `k` >= 1 i.i.d. normal outcomes: mean ~ N(mu, sigma^2 / k) and, independent
/// of it, squared deviations ~ sigma^2 chi-square(k - 1).
fn sufficient<R: Rng + ?Sized>(rng: &mut R, k: u64, law: Normal) -> Moments {
    let z: f64 = StandardNormal.sample(rng);
    let kf = k as f64;
    let ss = if k > 1 {
        let chi2: f64 = ChiSquared::new(kf - 1.0).expect("k - 1 > 0").sample(rng);
        law.sd * law.sd * chi2
    } else {
        0.0
    };
    Moments {
        n: k,
        mean: law.mean + law.sd * z / kf.sqrt(),
        ss,
    }
}
