//! One virtual trial of an ordinal endpoint, as counts per level.
//!
//! Screening, allocation, labels and dropout are drawn as for a binary endpoint (`binary`'s
//! `Simulator`). Within an arm x label cell the evaluable patients are a multinomial over the
//! true endotypes carrying the label, and the patients of one endotype a multinomial over the
//! levels (their distribution under the arm's treatment): the counts per level are exact, never
//! drawn patient by patient. A sequential trial adds each segment's outcomes as they become
//! known (`add_outcomes`). Nothing is allocated per trial: `TrialLevels` is reused.

use rand::Rng;

use crate::endpoint::binary::{BlockState, Simulator};
use crate::model::design::Design;
use crate::stats::sampling::{BinomialSampler, chain_probabilities, multinomial, table_share};

/// One simulated trial of an ordinal endpoint, by arm and stratum (eligible label).
#[derive(Debug, Clone)]
pub struct TrialLevels {
    strata: usize,
    levels: usize,
    /// Patients randomised per arm.
    pub randomised: Vec<u64>,
    /// The evaluable patients per level, indexed `(arm * strata + stratum) * levels + level`.
    pub counts: Vec<u64>,
    /// Patients per stratum of one arm, per endotype of one cell and per level of one
    /// endotype (scratch).
    labels: Vec<u64>,
    endotypes: Vec<u64>,
    drawn: Vec<u64>,
    pub block: BlockState,
}

impl TrialLevels {
    pub fn new(design: &Design) -> TrialLevels {
        let (arms, strata) = (design.arms.len(), design.eligible.len());
        let levels = design.ordinal().expect("an ordinal design").levels.len();
        TrialLevels {
            strata,
            levels,
            randomised: vec![0; arms],
            counts: vec![0; arms * strata * levels],
            labels: vec![0; strata],
            endotypes: vec![0; design.endotypes.len()],
            drawn: vec![0; levels],
            block: BlockState::new(arms),
        }
    }

    /// The counts per level of `arm` within stratum `s`.
    pub fn cell(&self, arm: usize, s: usize) -> &[u64] {
        let i = (arm * self.strata + s) * self.levels;
        &self.counts[i..i + self.levels]
    }

    /// The counts per level of `arm` over every stratum, into `out`.
    pub fn arm_into(&self, arm: usize, out: &mut [f64]) {
        out.fill(0.0);
        for s in 0..self.strata {
            for (o, &k) in out.iter_mut().zip(self.cell(arm, s)) {
                *o += k as f64;
            }
        }
    }
}

/// Everything an ordinal trial needs from the design, computed once per run.
#[derive(Debug, Clone)]
pub struct OrdinalSimulator {
    binary: Simulator,
    strata: usize,
    endotypes: usize,
    levels: usize,
    /// Per stratum: the chain of the multinomial over true endotypes.
    endotype_chain: Vec<Vec<BinomialSampler>>,
    /// Per arm x stratum x endotype cell, indexed `(arm * strata + stratum) * endotypes +
    /// endotype`: the chain of the multinomial over levels.
    level_chain: Vec<Vec<BinomialSampler>>,
}

impl OrdinalSimulator {
    pub fn new(design: &Design) -> OrdinalSimulator {
        let model = design.ordinal().expect("an ordinal design");
        let (arms, strata, endotypes, levels) = (
            design.arms.len(),
            design.eligible.len(),
            design.endotypes.len(),
            model.levels.len(),
        );
        let n = design.sample_size;
        let share = table_share(strata * endotypes + arms * strata * endotypes * levels);
        let chain = |p: &[f64]| -> Vec<BinomialSampler> {
            chain_probabilities(p)
                .iter()
                .map(|&q| BinomialSampler::within(q, n, share))
                .collect()
        };
        let endotype_chain = (0..strata)
            .map(|s| chain(&design.endotypes_in_stratum(s)))
            .collect();
        let mut level_chain = Vec::with_capacity(arms * strata * endotypes);
        for a in 0..arms {
            for s in 0..strata {
                for e in 0..endotypes {
                    level_chain.push(chain(&model.distribution(e, design.outcome_mean(a, s, e))));
                }
            }
        }
        OrdinalSimulator {
            binary: Simulator::new(design),
            strata,
            endotypes,
            levels,
            endotype_chain,
            level_chain,
        }
    }

    /// The allocation, labels, dropout and screening sampler (a binary endpoint's).
    pub fn allocator(&self) -> &Simulator {
        &self.binary
    }

    /// Empties `trial`: no patients, no outcomes, a fresh block sequence.
    pub fn restart(&self, trial: &mut TrialLevels) {
        trial.randomised.fill(0);
        trial.counts.fill(0);
        trial.block.restart();
    }

    /// Draws the outcomes of `n` patients randomised to arm `a` (their labels, dropout, true
    /// endotypes and levels) and adds them to `trial`'s counts.
    pub fn add_outcomes<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        a: usize,
        n: u64,
        trial: &mut TrialLevels,
    ) {
        self.binary.draw_labels(rng, n, &mut trial.labels);
        for s in 0..self.strata {
            let n = self.binary.evaluable_of(rng, trial.labels[s]);
            if n == 0 {
                continue;
            }
            multinomial(rng, n, &self.endotype_chain[s], &mut trial.endotypes);
            let cell = (a * self.strata + s) * self.endotypes;
            let counts = &mut trial.counts[(a * self.strata + s) * self.levels..][..self.levels];
            for (e, &k) in trial.endotypes.iter().enumerate() {
                if k == 0 {
                    continue;
                }
                multinomial(rng, k, &self.level_chain[cell + e], &mut trial.drawn);
                for (c, &d) in counts.iter_mut().zip(&trial.drawn) {
                    *c += d;
                }
            }
        }
    }
}
