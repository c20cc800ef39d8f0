//! Bayesian adaptive trials with adaptr 1.4.0's rules (R/run_trial.R, followed step for step,
//! with the order of its checks: inferiority, superiority, equivalence, futility), at count
//! level: the patients randomised between two analyses are a multinomial over the adaptation
//! strata still open and, within one, over its active arms with its current allocation
//! probabilities (adaptr draws each patient with `sample(prob = )`: the same law); each arm's
//! evaluable patients and events are binomial (its true event probability is the mixture over
//! the endotypes and labels of the patients it randomises, `Design::true_mean` or, per label,
//! `Design::stratum_mean`). The posterior probabilities are exact (`posterior = "exact"`) or
//! shares of posterior draws as adaptr computes them (`"draws"`), redrawn exactly when adaptr
//! redraws.
//!
//! Strata (`stratum`): pooled, the whole trial is one; with `by_label` each eligible label
//! adapts on its own patients, and a label whose adaptation has ended randomises no more: later
//! patients come from the labels still open (the eligible population, and so screening, shrinks).
//! The analyses are at the trial's numbers of patients with outcome data; the trial ends when
//! every stratum has ended, or at the last analysis.
//!
//! `select` picks the arm a stratum recommends (adaptr's `extract_results`), `metrics` computes
//! adaptr's `check_performance` from the tally, `reallocate` is its `reallocate_probs`.

pub mod critical;
pub mod evidence;
pub mod metrics;
pub mod reallocate;
pub mod select;
mod stratum;

use rand::Rng;
use rand_distr::{Binomial, Distribution, Hypergeometric};

use crate::engine::Endpoint;
use crate::engine::bayesian::select::{Ending, TrialEnd, selected_arm};
use crate::engine::bayesian::stratum::Stratum;
use crate::engine::tally::bayesian::{BayesianTally, StratumRecord};
use crate::engine::tally::{DesignTally, Tally};
use crate::model::bayesian::BayesianPlan;
use crate::model::design::{Design, DesignKind};
use crate::stats::sampling::{BinomialSampler, negative_binomial};

/// The name of the one stratum of a pooled design (its rows in the result CSVs).
pub const POOLED: &str = "all";

/// The adaptation strata's names: "all" pooled, else the eligible labels.
pub fn stratum_names(design: &Design, plan: &BayesianPlan) -> Vec<String> {
    if plan.by_label {
        design
            .eligible
            .iter()
            .map(|&l| design.labels[l].clone())
            .collect()
    } else {
        vec![POOLED.to_string()]
    }
}

/// Each stratum's true event probability per arm, `[stratum][arm]`.
pub fn stratum_truth(design: &Design, plan: &BayesianPlan) -> Vec<Vec<f64>> {
    if plan.by_label {
        (0..design.eligible.len())
            .map(|s| design.stratum_mean.iter().map(|arm| arm[s]).collect())
            .collect()
    } else {
        vec![design.true_mean.clone()]
    }
}

/// The Bayesian design's trials.
pub struct BayesianEndpoint<'a> {
    design: &'a Design,
    plan: &'a BayesianPlan,
    /// Events of an evaluable patient in each stratum's arm: `[stratum * arms + arm]`.
    events: Vec<BinomialSampler>,
    /// Evaluable (not lost to follow-up) among those randomised; `None` without dropout.
    evaluable: Option<BinomialSampler>,
    /// Each stratum's share of the eligible patients.
    share: Vec<f64>,
    /// P(a screened patient is eligible and in the stratum).
    screened_with: Vec<f64>,
    truth: Vec<Vec<f64>>,
}

impl<'a> BayesianEndpoint<'a> {
    pub fn new(design: &'a Design) -> BayesianEndpoint<'a> {
        let DesignKind::Bayesian(plan) = &design.kind else {
            panic!("a Bayesian endpoint needs a Bayesian design");
        };
        let largest_step = |v: &[u64]| {
            v.iter()
                .scan(0, |prev, &n| {
                    let d = n - *prev;
                    *prev = n;
                    Some(d)
                })
                .max()
                .unwrap_or(0)
        };
        // Outcomes are drawn per cell for at most one batch of randomised patients at a time.
        let step = largest_step(&plan.randomised).max(largest_step(&plan.looks));
        let truth = stratum_truth(design, plan);
        let (share, screened_with) = if plan.by_label {
            (
                design.stratum_prob.clone(),
                (0..design.eligible.len())
                    .map(|s| design.screened_with(s))
                    .collect(),
            )
        } else {
            (vec![1.0], vec![design.eligible_fraction])
        };
        BayesianEndpoint {
            design,
            plan,
            events: truth
                .iter()
                .flatten()
                .map(|&p| BinomialSampler::new(p, step))
                .collect(),
            evaluable: (design.dropout > 0.0)
                .then(|| BinomialSampler::new(1.0 - design.dropout, step)),
            share,
            screened_with,
            truth,
        }
    }
}

/// One trial's state, reused from trial to trial.
pub struct TrialState {
    strata: Vec<Stratum>,
    /// Patients of each look's batch whose outcome is not yet known, per stratum and arm:
    /// `[(look * strata + stratum) * arms + arm]`; batches before `oldest` are all followed up.
    unfollowed: Vec<u64>,
    oldest: usize,
    /// Patients randomised to each stratum's arms at each look, indexed as `unfollowed`.
    pub allocated: Vec<u64>,
    /// Patients randomised at each look to each stratum (reused).
    batch: Vec<u64>,
    /// Screening: failures drawn so far, and the patients randomised since the eligible
    /// population last changed, with the share of screened patients it then had.
    failures: u64,
    pending: u64,
    eligible_fraction: f64,
}

impl TrialState {
    fn new(design: &Design, plan: &BayesianPlan, strata: usize) -> TrialState {
        let cells = strata * design.arms.len() * plan.looks.len();
        TrialState {
            strata: (0..strata).map(|_| Stratum::new(design, plan)).collect(),
            unfollowed: vec![0; cells],
            oldest: 0,
            allocated: vec![0; cells],
            batch: vec![0; strata],
            failures: 0,
            pending: 0,
            eligible_fraction: 0.0,
        }
    }

    fn reset(&mut self, plan: &BayesianPlan, eligible_fraction: f64) {
        for s in &mut self.strata {
            s.reset(plan);
        }
        self.allocated.iter_mut().for_each(|v| *v = 0);
        self.unfollowed.iter_mut().for_each(|v| *v = 0);
        self.oldest = 0;
        self.failures = 0;
        self.pending = 0;
        self.eligible_fraction = eligible_fraction;
    }

    /// Whether a stratum's adaptation ended in superiority.
    pub fn any_superiority(&self) -> bool {
        self.strata
            .iter()
            .any(|s| s.end.is_some_and(|e| e.ending == Ending::Superiority))
    }

    /// The largest probability any stratum compared with the superiority threshold.
    pub fn superiority_seen(&self) -> f64 {
        self.strata
            .iter()
            .fold(f64::NEG_INFINITY, |m, s| m.max(s.superiority_seen))
    }

    /// The smallest probability any stratum compared with the inferiority threshold.
    pub fn inferiority_seen(&self) -> f64 {
        self.strata
            .iter()
            .fold(f64::INFINITY, |m, s| m.min(s.inferiority_seen))
    }
}

impl Endpoint for BayesianEndpoint<'_> {
    type Buffers = TrialState;

    fn buffers(&self) -> TrialState {
        TrialState::new(self.design, self.plan, self.share.len())
    }

    fn trial<R: Rng + ?Sized>(&self, rng: &mut R, s: &mut TrialState, tally: &mut Tally) {
        let last = self.run(rng, s);
        let randomised = self.plan.randomised[last];
        let failures = s.failures + negative_binomial(rng, s.pending, s.eligible_fraction);
        tally.trials += 1;
        tally.record_screening(failures, randomised);
        let DesignTally::Bayesian(b) = &mut tally.design else {
            panic!("a Bayesian tally");
        };
        self.record(b, s, last);
    }
}

impl BayesianEndpoint<'_> {
    /// Records one finished trial.
    fn record(&self, b: &mut BayesianTally, s: &TrialState, last: usize) {
        let plan = self.plan;
        let k = self.design.arms.len();
        let strata = s.strata.len();
        let events: u64 = s.strata.iter().flat_map(|x| &x.events_all).sum();
        b.record_end(
            last,
            events,
            s.strata.iter().map(|x| x.end.expect("ended").ending),
            s.strata.iter().any(Stratum::declared),
        );
        for (p, (x, tally)) in s.strata.iter().zip(&mut b.strata).enumerate() {
            let end = x.end.expect("every stratum has ended");
            let selected = selected_arm(plan, &x.status, &x.status_look, &x.probs_best_last, &end);
            let truth = &self.truth[p];
            let errors = selected.map(|a| {
                let est = x.estimate[a].expect("a selected arm has an estimate");
                let te = plan.control.filter(|&c| c != a).map(|c| {
                    let est_c = x.estimate[c].expect("the first control has an estimate");
                    (est - est_c) - (truth[a] - truth[c])
                });
                (est - truth[a], te)
            });
            tally.record(&StratumRecord {
                end: &end,
                selected,
                status: &x.status,
                events: x.events_all.iter().sum(),
                errors,
                allocated: &|look, a| s.allocated[(look * strata + p) * k + a],
            });
        }
    }

    /// Runs one trial's analyses; returns the analysis (0-based) at which it ended, and leaves
    /// every stratum's final state in `s`.
    pub(super) fn run<R: Rng + ?Sized>(&self, rng: &mut R, s: &mut TrialState) -> usize {
        let plan = self.plan;
        s.reset(plan, self.design.eligible_fraction);
        let (mut randomised, mut followed_before) = (0, 0);
        let mut last = plan.looks.len() - 1;
        for (look, &followed) in plan.looks.iter().enumerate() {
            self.randomise(rng, s, look, plan.randomised[look] - randomised);
            randomised = plan.randomised[look];
            self.follow(rng, s, followed - followed_before);
            followed_before = followed;
            let mut closed = false;
            for x in s.strata.iter_mut().filter(|x| x.is_open()) {
                if let Some(ending) = x.analyse(rng, plan, look) {
                    x.end = Some(TrialEnd {
                        ending,
                        look,
                        randomised: x.randomised.iter().sum(),
                    });
                    closed = true;
                }
            }
            if s.strata.iter().all(|x| !x.is_open()) {
                last = look;
                break;
            }
            if closed {
                self.narrow_screening(rng, s);
            }
        }
        for x in s.strata.iter_mut().filter(|x| x.is_open()) {
            x.end = Some(TrialEnd {
                ending: Ending::Max,
                look: last,
                randomised: x.randomised.iter().sum(),
            });
        }
        self.follow_up_all(rng, s);
        let pipeline = plan.has_pipeline();
        for x in &mut s.strata {
            x.finish(rng, pipeline);
        }
        last
    }

    /// The screen failures of the patients randomised since the eligible population last
    /// changed (a negative binomial at its eligible share), and the share of the strata still
    /// open from now on.
    fn narrow_screening<R: Rng + ?Sized>(&self, rng: &mut R, s: &mut TrialState) {
        s.failures += negative_binomial(rng, s.pending, s.eligible_fraction);
        s.pending = 0;
        s.eligible_fraction = s
            .strata
            .iter()
            .zip(&self.screened_with)
            .filter(|(x, _)| x.is_open())
            .map(|(_, &q)| q)
            .sum();
    }

    /// The outcomes of `m` more patients, the earliest randomised first: whole batches, and
    /// of a batch taken in part a multivariate hypergeometric share of its cells (the order of
    /// patients within a batch is exchangeable).
    fn follow<R: Rng + ?Sized>(&self, rng: &mut R, s: &mut TrialState, mut m: u64) {
        let k = self.design.arms.len();
        let cells = s.strata.len() * k;
        while m > 0 {
            let b = s.oldest;
            let row = b * cells..(b + 1) * cells;
            let available: u64 = s.unfollowed[row.clone()].iter().sum();
            if available == 0 {
                s.oldest += 1;
                continue;
            }
            let take = m.min(available);
            let (mut population, mut left) = (available, take);
            for cell in 0..cells {
                let here = s.unfollowed[row.start + cell];
                let x = if take == available || here == population {
                    here.min(left)
                } else if left == 0 || here == 0 {
                    0
                } else {
                    Hypergeometric::new(population, here, left)
                        .expect("a valid hypergeometric")
                        .sample(rng)
                };
                population -= here;
                left -= x;
                s.unfollowed[row.start + cell] -= x;
                let (n, e) = self.outcomes(rng, cell, x);
                let (stratum, a) = (cell / k, cell % k);
                s.strata[stratum].n[a] += n;
                s.strata[stratum].events[a] += e;
            }
            m -= take;
        }
    }

    /// Evaluable patients and events of `x` patients of cell `cell` (stratum * arms + arm)
    /// followed up.
    fn outcomes<R: Rng + ?Sized>(&self, rng: &mut R, cell: usize, x: u64) -> (u64, u64) {
        let evaluable = match &self.evaluable {
            Some(e) => e.sample(rng, x),
            None => x,
        };
        (evaluable, self.events[cell].sample(rng, evaluable))
    }

    /// Every arm's outcomes among all randomised: those followed up, and the pipeline's.
    fn follow_up_all<R: Rng + ?Sized>(&self, rng: &mut R, s: &mut TrialState) {
        let k = self.design.arms.len();
        let cells = s.strata.len() * k;
        for x in &mut s.strata {
            x.n_all.copy_from_slice(&x.n);
            x.events_all.copy_from_slice(&x.events);
        }
        for b in s.oldest..s.unfollowed.len() / cells {
            for cell in 0..cells {
                let x = s.unfollowed[b * cells + cell];
                if x > 0 {
                    let (n, e) = self.outcomes(rng, cell, x);
                    let (stratum, a) = (cell / k, cell % k);
                    s.strata[stratum].n_all[a] += n;
                    s.strata[stratum].events_all[a] += e;
                }
            }
        }
    }

    /// Randomises `n_new` patients, look `look`'s batch: over the open strata by their shares
    /// of the eligible patients (pooled: all to the one), then within each over its active
    /// arms with its current allocation.
    fn randomise<R: Rng + ?Sized>(&self, rng: &mut R, s: &mut TrialState, look: usize, n_new: u64) {
        let k = self.design.arms.len();
        let strata = s.strata.len();
        s.pending += n_new;
        if strata == 1 {
            s.batch[0] = n_new;
        } else {
            let (open, share) = (&s.strata, &self.share);
            split(
                rng,
                n_new,
                (0..strata).map(|p| if open[p].is_open() { share[p] } else { 0.0 }),
                &mut s.batch,
            );
        }
        for p in 0..strata {
            let x = &mut s.strata[p];
            if !x.is_open() {
                continue;
            }
            let row = (look * strata + p) * k;
            let mut left = s.batch[p];
            let mut mass: f64 = x.active.iter().map(|&a| x.alloc[a]).sum();
            for (i, &a) in x.active.iter().enumerate() {
                let n = if i + 1 == x.active.len() {
                    left
                } else if left == 0 || x.alloc[a] <= 0.0 {
                    0
                } else {
                    let q = (x.alloc[a] / mass).clamp(0.0, 1.0);
                    Binomial::new(left, q).expect("q in [0, 1]").sample(rng)
                };
                mass -= x.alloc[a];
                left -= n;
                s.allocated[row + a] = n;
                s.unfollowed[row + a] = n;
                x.randomised[a] += n;
            }
        }
    }
}

/// Splits `n` over items by their weights (a multinomial as a chain of binomials; items of
/// weight 0 get none, the last item of positive weight the rest) into `out`.
fn split<R: Rng + ?Sized>(
    rng: &mut R,
    n: u64,
    weights: impl Iterator<Item = f64> + Clone,
    out: &mut [u64],
) {
    let last = weights.clone().enumerate().filter(|(_, w)| *w > 0.0).last();
    let mut mass: f64 = weights.clone().sum();
    let mut left = n;
    for (i, w) in weights.enumerate() {
        let x = if Some(i) == last.map(|l| l.0) {
            left
        } else if left == 0 || w <= 0.0 {
            0
        } else {
            let q = (w / mass).clamp(0.0, 1.0);
            Binomial::new(left, q).expect("q in [0, 1]").sample(rng)
        };
        mass -= w;
        left -= x;
        out[i] = x;
    }
}
