//! Bayesian adaptive trials with adaptr 1.4.0's rules (R/run_trial.R, followed step for step,
//! with the order of its checks: inferiority, superiority, equivalence, futility), at count
//! level: the patients randomised between two analyses are a multinomial over the active arms
//! with the current allocation probabilities (adaptr draws each with `sample(prob = )`: the
//! same law), each arm's evaluable patients and events binomial (its true event probability is
//! the mixture over the endotypes and labels of the patients randomised, `Design::true_mean`).
//! The posterior probabilities are exact (`posterior = "exact"`) or shares of posterior draws
//! as adaptr computes them (`"draws"`), redrawn exactly when adaptr redraws.
//!
//! `select` picks the arm a trial recommends (adaptr's `extract_results`), `metrics` computes
//! adaptr's `check_performance` from the tally, `reallocate` is its `reallocate_probs`.

pub mod critical;
pub mod evidence;
pub mod metrics;
pub mod reallocate;
pub mod select;

use rand::Rng;
use rand_distr::{Binomial, Distribution, Hypergeometric};

use crate::engine::Endpoint;
use crate::engine::bayesian::evidence::Evidence;
use crate::engine::bayesian::reallocate::reallocate;
use crate::engine::bayesian::select::{ArmStatus, Ending, TrialEnd, selected_arm};
use crate::engine::tally::bayesian::BayesianTally;
use crate::engine::tally::{DesignTally, Tally};
use crate::model::bayesian::{BayesianPlan, ControlShare};
use crate::model::design::{Design, DesignKind};
use crate::model::vocabulary::Better;
use crate::stats::sampling::{BinomialSampler, negative_binomial};

/// The Bayesian design's trials.
pub struct BayesianEndpoint<'a> {
    design: &'a Design,
    plan: &'a BayesianPlan,
    /// Events of an evaluable patient in each arm.
    events: Vec<BinomialSampler>,
    /// Evaluable (not lost to follow-up) among those randomised; `None` without dropout.
    evaluable: Option<BinomialSampler>,
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
        // Outcomes are drawn per arm for at most one batch of randomised patients at a time.
        let step = largest_step(&plan.randomised).max(largest_step(&plan.looks));
        BayesianEndpoint {
            design,
            plan,
            events: design
                .true_mean
                .iter()
                .map(|&p| BinomialSampler::new(p, step))
                .collect(),
            evaluable: (design.dropout > 0.0)
                .then(|| BinomialSampler::new(1.0 - design.dropout, step)),
        }
    }
}

/// One trial's state, reused from trial to trial.
pub struct TrialState {
    evidence: Evidence,
    /// Per arm: randomised; evaluable and events among those followed up (what the analyses
    /// see); and among all randomised, once the trial has ended (the pipeline's outcomes too).
    randomised: Vec<u64>,
    n: Vec<u64>,
    events: Vec<u64>,
    n_all: Vec<u64>,
    events_all: Vec<u64>,
    /// Patients of each look's batch whose outcome is not yet known: `[look * arms + arm]`;
    /// batches before `oldest` are all followed up.
    unfollowed: Vec<u64>,
    oldest: usize,
    /// 0..arms.
    every_arm: Vec<usize>,
    status: Vec<ArmStatus>,
    status_look: Vec<Option<u64>>,
    estimate: Vec<Option<f64>>,
    /// The allocation probabilities of each arm (those randomised with at the next look).
    alloc: Vec<f64>,
    active: Vec<usize>,
    probs_best: Vec<f64>,
    /// The last P(best) of each arm, when it was among those computed.
    probs_best_last: Vec<Option<f64>>,
    /// P(better than control), equivalence and futility of the arms in `rows` (arm indices).
    rows: Vec<usize>,
    better: Vec<f64>,
    equivalence: Vec<f64>,
    futility: Vec<f64>,
    /// Patients randomised to each arm at each look: `[look * arms + arm]`.
    pub allocated: Vec<u64>,
    /// Arms marked at one check (reused).
    marked: Vec<usize>,
    new_alloc: Vec<f64>,
    /// The largest probability compared with the superiority threshold, and the smallest
    /// compared with the inferiority threshold, at any check of this trial (`critical` reads
    /// them from trials run with the thresholds switched off).
    pub superiority_seen: f64,
    pub inferiority_seen: f64,
}

impl TrialState {
    fn new(design: &Design, plan: &BayesianPlan) -> TrialState {
        let k = design.arms.len();
        TrialState {
            evidence: Evidence::new(
                plan.posterior,
                plan.prior,
                design.better == Better::Lower,
                k,
                // The all-arms equivalence rule (no common control) shifts the grid.
                plan.equivalence
                    .as_ref()
                    .filter(|_| plan.control.is_none())
                    .map_or(0.0, |e| e.difference),
            ),
            randomised: vec![0; k],
            n: vec![0; k],
            events: vec![0; k],
            n_all: vec![0; k],
            events_all: vec![0; k],
            unfollowed: vec![0; k * plan.looks.len()],
            oldest: 0,
            every_arm: (0..k).collect(),
            status: vec![ArmStatus::Active; k],
            status_look: vec![None; k],
            estimate: vec![None; k],
            alloc: vec![0.0; k],
            active: Vec::with_capacity(k),
            probs_best: Vec::with_capacity(k),
            probs_best_last: vec![None; k],
            rows: Vec::with_capacity(k),
            better: Vec::with_capacity(k),
            equivalence: Vec::with_capacity(k),
            futility: Vec::with_capacity(k),
            allocated: vec![0; k * plan.looks.len()],
            marked: Vec::with_capacity(k),
            new_alloc: Vec::with_capacity(k),
            superiority_seen: f64::NEG_INFINITY,
            inferiority_seen: f64::INFINITY,
        }
    }

    fn reset(&mut self, plan: &BayesianPlan) {
        let k = self.n.len();
        self.randomised.iter_mut().for_each(|v| *v = 0);
        self.n.iter_mut().for_each(|v| *v = 0);
        self.events.iter_mut().for_each(|v| *v = 0);
        self.status.iter_mut().for_each(|s| *s = ArmStatus::Active);
        self.status_look.iter_mut().for_each(|s| *s = None);
        self.estimate.iter_mut().for_each(|s| *s = None);
        self.probs_best_last.iter_mut().for_each(|s| *s = None);
        self.allocated.iter_mut().for_each(|v| *v = 0);
        self.unfollowed.iter_mut().for_each(|v| *v = 0);
        self.oldest = 0;
        self.superiority_seen = f64::NEG_INFINITY;
        self.inferiority_seen = f64::INFINITY;
        self.alloc.copy_from_slice(&plan.allocation.start);
        self.active.clear();
        self.active.extend(0..k);
    }

    /// Marks `arm` with `status` at this analysis, with its estimate from the current evidence.
    fn conclude(&mut self, arm: usize, status: ArmStatus, followed: u64) {
        self.status[arm] = status;
        self.status_look[arm] = Some(followed);
        self.estimate[arm] = Some(self.evidence.estimate(arm));
    }

    /// Concludes every arm in `marked` with `status` and drops it from the active arms.
    fn drop_marked(&mut self, status: ArmStatus, followed: u64) {
        for i in 0..self.marked.len() {
            let a = self.marked[i];
            self.conclude(a, status, followed);
            self.drop_active(a);
        }
    }

    fn drop_active(&mut self, arm: usize) {
        self.active.retain(|&a| a != arm);
    }

    fn record_probs_best(&mut self) {
        self.probs_best_last.iter_mut().for_each(|p| *p = None);
        for (i, &a) in self.evidence.arms().iter().enumerate() {
            self.probs_best_last[a] = Some(self.probs_best[i]);
        }
    }

    /// P(best) over the arms of the last refresh, remembered per arm.
    fn compute_probs_best(&mut self) {
        self.evidence.probs_best(&mut self.probs_best);
        self.record_probs_best();
    }

    /// The comparisons with `control` of the arms of the last refresh (the control's row
    /// holds NaN, as adaptr's NA).
    fn compare(&mut self, control: usize, plan: &BayesianPlan, check_eq: bool, check_fut: bool) {
        self.rows.clear();
        self.rows.extend_from_slice(self.evidence.arms());
        self.better.clear();
        self.equivalence.clear();
        self.futility.clear();
        for i in 0..self.rows.len() {
            let a = self.rows[i];
            let own = a == control;
            self.better.push(if own {
                f64::NAN
            } else {
                self.evidence.better(a, control)
            });
            if check_eq && let Some(e) = &plan.equivalence {
                self.equivalence.push(if own {
                    f64::NAN
                } else {
                    self.evidence.equivalent(a, control, e.difference)
                });
            }
            if check_fut && let Some(f) = &plan.futility {
                self.futility.push(if own {
                    f64::NAN
                } else {
                    self.evidence.futile(a, control, f.difference)
                });
            }
        }
    }

    /// Keeps the comparison rows of the active arms only (adaptr reuses the same draws'
    /// probabilities after dropping arms without a new control).
    fn keep_active_rows(&mut self) {
        let mut w = 0;
        for r in 0..self.rows.len() {
            if self.active.contains(&self.rows[r]) {
                self.rows[w] = self.rows[r];
                self.better[w] = self.better[r];
                if !self.equivalence.is_empty() {
                    self.equivalence[w] = self.equivalence[r];
                }
                if !self.futility.is_empty() {
                    self.futility[w] = self.futility[r];
                }
                w += 1;
            }
        }
        self.rows.truncate(w);
        self.better.truncate(w);
        if !self.equivalence.is_empty() {
            self.equivalence.truncate(w);
        }
        if !self.futility.is_empty() {
            self.futility.truncate(w);
        }
    }

    /// New allocation probabilities of the active arms (in the order of the last refresh,
    /// which is `active`'s), written into `alloc`.
    fn reallocate(&mut self, plan: &BayesianPlan, look: usize, control: Option<usize>) {
        let al = &plan.allocation;
        let k = al.start.len();
        let n_active = self.active.len();
        let mut fixed: Vec<Option<f64>> = self.active.iter().map(|&a| al.fixed[a]).collect();
        let mut min: Vec<Option<f64>> = self.active.iter().map(|&a| al.min[a]).collect();
        let mut max: Vec<Option<f64>> = self.active.iter().map(|&a| al.max[a]).collect();
        let mut match_arm = None;
        if let Some(c) = control
            && al.adaptive
        {
            let pos = self.active.iter().position(|&a| a == c);
            match (&al.control, pos) {
                (ControlShare::Free, _) | (_, None) => {}
                (ControlShare::Fixed(shares), Some(p)) => {
                    // adaptr: c(control_prob_fixed, 1)[1 + n_arms - active]; the first control's
                    // own fixed share is the one the rule sets.
                    fixed[p] = Some(shares.get(k - n_active).copied().unwrap_or(1.0));
                    min[p] = None;
                    max[p] = None;
                }
                (ControlShare::Match, Some(p)) => {
                    min[p] = None;
                    max[p] = None;
                    match_arm = Some(p);
                }
            }
        }
        reallocate(
            &self.probs_best,
            &fixed,
            &min,
            &max,
            al.soften_power[look],
            match_arm,
            &mut self.new_alloc,
        );
        for (i, &a) in self.active.iter().enumerate() {
            self.alloc[a] = self.new_alloc[i];
        }
    }
}

impl Endpoint for BayesianEndpoint<'_> {
    type Buffers = TrialState;

    fn buffers(&self) -> TrialState {
        TrialState::new(self.design, self.plan)
    }

    fn trial<R: Rng + ?Sized>(&self, rng: &mut R, s: &mut TrialState, tally: &mut Tally) {
        let end = self.run(rng, s);
        let randomised = end.randomised;
        let failures = negative_binomial(rng, randomised, self.design.eligible_fraction);
        tally.trials += 1;
        tally.record_screening(failures, randomised);
        let DesignTally::Bayesian(b) = &mut tally.design else {
            panic!("a Bayesian tally");
        };
        record(b, self.design, self.plan, s, &end);
    }
}

/// Records one finished trial.
fn record(
    b: &mut BayesianTally,
    design: &Design,
    plan: &BayesianPlan,
    s: &TrialState,
    end: &TrialEnd,
) {
    let selected = selected_arm(plan, &s.status, &s.status_look, &s.probs_best_last, end);
    let truth = &design.true_mean;
    let errors = selected.map(|a| {
        let est = s.estimate[a].expect("a selected arm has an estimate");
        let err = est - truth[a];
        let te = plan.control.filter(|&c| c != a).map(|c| {
            let est_c = s.estimate[c].expect("the first control has an estimate");
            (est - est_c) - (truth[a] - truth[c])
        });
        (err, te)
    });
    let events: u64 = s.events_all.iter().sum();
    b.record(end, selected, &s.status, events, errors, &s.allocated);
}

impl BayesianEndpoint<'_> {
    /// Runs one trial's analyses; the arms' final state is left in `s`.
    pub(super) fn run<R: Rng + ?Sized>(&self, rng: &mut R, s: &mut TrialState) -> TrialEnd {
        let plan = self.plan;
        s.reset(plan);
        let mut control = plan.control;
        let mut check_eq = plan.equivalence.is_some();
        let mut check_fut = plan.futility.is_some();
        let (mut randomised, mut followed_before) = (0, 0);
        let mut ending = Ending::Max;
        let mut stopped_at = plan.looks.len() - 1;
        for (look, &followed) in plan.looks.iter().enumerate() {
            self.randomise(rng, s, look, plan.randomised[look] - randomised);
            randomised = plan.randomised[look];
            self.follow(rng, s, followed - followed_before);
            followed_before = followed;
            s.evidence.refresh(rng, &s.active, &s.n, &s.events);
            s.compute_probs_best();
            let stop = match control {
                None => self.without_control(rng, s, look, followed, &mut check_eq),
                Some(c) => self.with_control(
                    rng,
                    s,
                    look,
                    followed,
                    c,
                    (&mut control, &mut check_eq, &mut check_fut),
                ),
            };
            if let Some(e) = stop {
                ending = e;
                stopped_at = look;
                break;
            }
        }
        // Arms still active take their estimate from the last evidence.
        for i in 0..s.active.len() {
            let a = s.active[i];
            s.estimate[a] = Some(s.evidence.estimate(a));
        }
        if let Some(c) = control
            && s.status[c] == ArmStatus::Active
        {
            s.status[c] = ArmStatus::Control;
        }
        self.follow_up_all(rng, s);
        if plan.has_pipeline() {
            // adaptr's final analysis of all randomised patients (`final_ests = TRUE`): every
            // arm's estimate from all its outcomes, pipeline included.
            s.evidence
                .refresh(rng, &s.every_arm, &s.n_all, &s.events_all);
            for a in 0..s.n.len() {
                s.estimate[a] = Some(s.evidence.estimate(a));
            }
        }
        TrialEnd {
            ending,
            look: stopped_at,
            followed: plan.looks[stopped_at],
            randomised: plan.randomised[stopped_at],
        }
    }

    /// The outcomes of `m` more patients, the earliest randomised first: whole batches, and
    /// of a batch taken in part a multivariate hypergeometric share of its arms (the order of
    /// patients within a batch is exchangeable).
    fn follow<R: Rng + ?Sized>(&self, rng: &mut R, s: &mut TrialState, mut m: u64) {
        let k = s.n.len();
        while m > 0 {
            let b = s.oldest;
            let row = b * k..(b + 1) * k;
            let available: u64 = s.unfollowed[row.clone()].iter().sum();
            if available == 0 {
                s.oldest += 1;
                continue;
            }
            let take = m.min(available);
            let (mut population, mut left) = (available, take);
            for a in 0..k {
                let here = s.unfollowed[row.start + a];
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
                s.unfollowed[row.start + a] -= x;
                let (n, e) = self.outcomes(rng, a, x);
                s.n[a] += n;
                s.events[a] += e;
            }
            m -= take;
        }
    }

    /// Evaluable patients and events of `x` patients of arm `a` followed up.
    fn outcomes<R: Rng + ?Sized>(&self, rng: &mut R, a: usize, x: u64) -> (u64, u64) {
        let evaluable = match &self.evaluable {
            Some(e) => e.sample(rng, x),
            None => x,
        };
        (evaluable, self.events[a].sample(rng, evaluable))
    }

    /// Every arm's outcomes among all randomised: those followed up, and the pipeline's.
    fn follow_up_all<R: Rng + ?Sized>(&self, rng: &mut R, s: &mut TrialState) {
        let k = s.n.len();
        s.n_all.copy_from_slice(&s.n);
        s.events_all.copy_from_slice(&s.events);
        for b in s.oldest..s.unfollowed.len() / k {
            for a in 0..k {
                let x = s.unfollowed[b * k + a];
                if x > 0 {
                    let (n, e) = self.outcomes(rng, a, x);
                    s.n_all[a] += n;
                    s.events_all[a] += e;
                }
            }
        }
    }

    /// Randomises `n_new` patients over the active arms with the current allocation: look
    /// `look`'s batch.
    fn randomise<R: Rng + ?Sized>(&self, rng: &mut R, s: &mut TrialState, look: usize, n_new: u64) {
        let n_arms = s.n.len();
        let mut left = n_new;
        let mut mass: f64 = s.active.iter().map(|&a| s.alloc[a]).sum();
        for (i, &a) in s.active.iter().enumerate() {
            let k = if i + 1 == s.active.len() {
                left
            } else if left == 0 || s.alloc[a] <= 0.0 {
                0
            } else {
                let p = (s.alloc[a] / mass).clamp(0.0, 1.0);
                Binomial::new(left, p).expect("p in [0, 1]").sample(rng)
            };
            mass -= s.alloc[a];
            left -= k;
            s.allocated[look * n_arms + a] = k;
            s.unfollowed[look * n_arms + a] = k;
            s.randomised[a] += k;
        }
    }

    /// adaptr's checks without a common control: inferior arms dropped (P(best) recomputed
    /// after each round), then superiority, then equivalence of all; else reallocation.
    fn without_control<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        s: &mut TrialState,
        look: usize,
        followed: u64,
        check_eq: &mut bool,
    ) -> Option<Ending> {
        let plan = self.plan;
        let inferiority = plan.inferiority[look];
        loop {
            s.inferiority_seen = s.inferiority_seen.min(smallest(&s.probs_best));
            rows_where(
                s.evidence.arms(),
                &s.probs_best,
                |p| p < inferiority,
                &mut s.marked,
            );
            if s.marked.is_empty() {
                break;
            }
            s.drop_marked(ArmStatus::Inferior, followed);
            s.evidence.refresh(rng, &s.active, &s.n, &s.events);
            s.compute_probs_best();
        }
        *check_eq = plan.equivalence.is_some();
        let (best_pos, best_p) = first_max(&s.probs_best);
        s.superiority_seen = s.superiority_seen.max(best_p);
        // One arm left is the best with probability 1, above any threshold (adaptr never goes
        // on with one arm); said outright so that a run without the threshold stops here too.
        if best_p > plan.superiority[look] || s.active.len() == 1 {
            let arm = s.evidence.arms()[best_pos];
            s.conclude(arm, ArmStatus::Superior, followed);
            s.active.clear();
            s.active.push(arm);
            return Some(Ending::Superiority);
        }
        if *check_eq && let Some(e) = &plan.equivalence {
            let p = s.evidence.all_equivalent(e.difference);
            if p > e.probability[look] {
                for i in 0..s.active.len() {
                    let a = s.active[i];
                    s.conclude(a, ArmStatus::Equivalence, followed);
                }
                return Some(Ending::Equivalence);
            }
        }
        s.reallocate(plan, look, None);
        None
    }

    /// adaptr's checks against a common control, repeated while a superior arm becomes the
    /// new control.
    fn with_control<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        s: &mut TrialState,
        look: usize,
        followed: u64,
        first: usize,
        (control, check_eq, check_fut): (&mut Option<usize>, &mut bool, &mut bool),
    ) -> Option<Ending> {
        let plan = self.plan;
        let mut c = control.unwrap_or(first);
        s.compare(c, plan, *check_eq, *check_fut);
        let mut update = false;
        let mut stop_eq = false;
        let mut stop_fut = false;
        let mut run_check = true;
        let mut stop = None;
        while run_check {
            run_check = false;
            // Inferiority: every arm below the threshold against the current control.
            s.inferiority_seen = s.inferiority_seen.min(smallest(&s.better));
            rows_where(
                &s.rows,
                &s.better,
                |p| p < plan.inferiority[look],
                &mut s.marked,
            );
            if !s.marked.is_empty() {
                update = true;
                s.drop_marked(ArmStatus::Inferior, followed);
            }
            let (best_row, best_p) = first_max(&s.better);
            s.superiority_seen = s.superiority_seen.max(best_p);
            if best_p > plan.superiority[look] {
                // The best arm becomes the control, the old control is inferior.
                update = true;
                let new_control = s.rows[best_row];
                s.status[c] = ArmStatus::Inferior;
                s.status_look[c] = Some(followed);
                s.estimate[c] = Some(s.evidence.estimate(c));
                s.drop_active(c);
                c = new_control;
                *control = Some(c);
                run_check = true;
                if *check_eq && plan.equivalence.as_ref().is_some_and(|e| e.only_first) {
                    *check_eq = false;
                }
                if *check_fut && plan.futility.as_ref().is_some_and(|f| f.only_first) {
                    *check_fut = false;
                }
            } else {
                if *check_eq && let Some(e) = &plan.equivalence {
                    rows_where(
                        &s.rows,
                        &s.equivalence,
                        |p| p > e.probability[look],
                        &mut s.marked,
                    );
                    if !s.marked.is_empty() {
                        update = true;
                        s.drop_marked(ArmStatus::Equivalence, followed);
                        if s.active.len() == 1 {
                            stop_eq = true;
                            *check_fut = false;
                        }
                    }
                }
                if *check_fut && let Some(f) = &plan.futility {
                    rows_where(
                        &s.rows,
                        &s.futility,
                        |p| p > f.probability[look],
                        &mut s.marked,
                    );
                    // An arm already found equivalent is not futile.
                    let status = &s.status;
                    s.marked.retain(|&a| status[a] != ArmStatus::Equivalence);
                    if !s.marked.is_empty() {
                        update = true;
                        s.drop_marked(ArmStatus::Futile, followed);
                        if s.active.len() == 1 {
                            stop_fut = true;
                        }
                    }
                }
            }
            if s.active.len() == 1 {
                let a = s.active[0];
                let status = if stop_eq || stop_fut {
                    ArmStatus::Active
                } else {
                    ArmStatus::Superior
                };
                s.conclude(a, status, followed);
                stop = Some(if stop_eq {
                    Ending::Equivalence
                } else if stop_fut {
                    Ending::Futility
                } else {
                    Ending::Superiority
                });
            }
            if update {
                s.evidence.refresh(rng, &s.active, &s.n, &s.events);
                s.compute_probs_best();
                if run_check {
                    s.compare(c, plan, *check_eq, *check_fut);
                } else {
                    s.keep_active_rows();
                }
            }
            if stop.is_none() {
                s.reallocate(plan, look, Some(c));
            }
        }
        stop
    }
}

/// The arms of the rows whose value passes `keep` (NaN, adaptr's NA, never does), into `out`.
fn rows_where(rows: &[usize], values: &[f64], keep: impl Fn(f64) -> bool, out: &mut Vec<usize>) {
    out.clear();
    out.extend(
        rows.iter()
            .zip(values)
            .filter(|&(_, &v)| !v.is_nan() && keep(v))
            .map(|(&a, _)| a),
    );
}

/// The smallest non-NaN value (+inf when there is none).
fn smallest(values: &[f64]) -> f64 {
    values
        .iter()
        .filter(|v| !v.is_nan())
        .fold(f64::INFINITY, |m, &v| m.min(v))
}

/// The position and value of the first largest non-NaN value (R's `which.max`); (0, -inf)
/// when there is none.
fn first_max(values: &[f64]) -> (usize, f64) {
    let mut best = (0, f64::NEG_INFINITY);
    for (i, &v) in values.iter().enumerate() {
        if v > best.1 {
            best = (i, v);
        }
    }
    best
}
