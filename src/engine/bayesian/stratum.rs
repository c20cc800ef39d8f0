//! One adaptation stratum of a Bayesian trial: the patients whose data one set of adaptr's
//! rules reads. Pooled (`by_label = false`) the stratum is the whole trial; with `by_label`
//! each eligible label is one, with its own posteriors, arms dropped, control, allocation and
//! ending (a drug can win in one label and be dropped in another).
//!
//! `analyse` is one adaptive analysis of adaptr 1.4.0's `run_trial` (R/run_trial.R), step for
//! step, with the order of its checks: inferiority, superiority, equivalence, futility.

use rand::Rng;

use crate::engine::bayesian::evidence::Evidence;
use crate::engine::bayesian::reallocate::reallocate;
use crate::engine::bayesian::select::{ArmStatus, Ending, TrialEnd};
use crate::model::bayesian::{BayesianPlan, ControlShare};
use crate::model::design::Design;
use crate::model::vocabulary::Better;

/// One stratum's state, reused from trial to trial.
pub struct Stratum {
    pub(super) evidence: Evidence,
    /// Per arm: randomised; evaluable and events among those followed up (what the analyses
    /// see); and among all randomised, once the trial has ended (the pipeline's outcomes too).
    pub(super) randomised: Vec<u64>,
    pub(super) n: Vec<u64>,
    pub(super) events: Vec<u64>,
    pub(super) n_all: Vec<u64>,
    pub(super) events_all: Vec<u64>,
    /// 0..arms.
    every_arm: Vec<usize>,
    pub(super) status: Vec<ArmStatus>,
    /// The analysis (0-based) at which each arm's status was set.
    pub(super) status_look: Vec<Option<usize>>,
    pub(super) estimate: Vec<Option<f64>>,
    /// The allocation probabilities of each arm (those randomised with at the next look).
    pub(super) alloc: Vec<f64>,
    pub(super) active: Vec<usize>,
    probs_best: Vec<f64>,
    /// The last P(best) of each arm, when it was among those computed.
    pub(super) probs_best_last: Vec<Option<f64>>,
    /// P(better than control), equivalence and futility of the arms in `rows` (arm indices).
    rows: Vec<usize>,
    better: Vec<f64>,
    equivalence: Vec<f64>,
    futility: Vec<f64>,
    /// Arms marked at one check (reused).
    marked: Vec<usize>,
    /// The reallocation's inputs and output, per active arm (reused).
    fixed: Vec<Option<f64>>,
    min: Vec<Option<f64>>,
    max: Vec<Option<f64>>,
    new_alloc: Vec<f64>,
    /// The current common control, and whether equivalence and futility are still checked.
    control: Option<usize>,
    check_eq: bool,
    check_fut: bool,
    /// How and when the stratum's adaptation ended (`None`: still adapting).
    pub(super) end: Option<TrialEnd>,
    /// Whether an arm was declared superior to the control and became the new control.
    pub(super) new_control: bool,
    /// The largest probability compared with the superiority threshold, and the smallest
    /// compared with the inferiority threshold, at any check of this trial (`critical` reads
    /// them from trials run with the thresholds switched off).
    pub(super) superiority_seen: f64,
    pub(super) inferiority_seen: f64,
}

impl Stratum {
    pub(super) fn new(design: &Design, plan: &BayesianPlan) -> Stratum {
        let k = design.arms.len();
        Stratum {
            evidence: Evidence::new(
                plan.posterior,
                plan.prior,
                design.better == Better::Lower,
                k,
                grid_shift(plan),
            ),
            randomised: vec![0; k],
            n: vec![0; k],
            events: vec![0; k],
            n_all: vec![0; k],
            events_all: vec![0; k],
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
            marked: Vec::with_capacity(k),
            fixed: Vec::with_capacity(k),
            min: Vec::with_capacity(k),
            max: Vec::with_capacity(k),
            new_alloc: Vec::with_capacity(k),
            control: plan.control,
            check_eq: plan.equivalence.is_some(),
            check_fut: plan.futility.is_some(),
            end: None,
            new_control: false,
            superiority_seen: f64::NEG_INFINITY,
            inferiority_seen: f64::INFINITY,
        }
    }

    pub(super) fn reset(&mut self, plan: &BayesianPlan) {
        let k = self.n.len();
        self.randomised.iter_mut().for_each(|v| *v = 0);
        self.n.iter_mut().for_each(|v| *v = 0);
        self.events.iter_mut().for_each(|v| *v = 0);
        self.status.iter_mut().for_each(|s| *s = ArmStatus::Active);
        self.status_look.iter_mut().for_each(|s| *s = None);
        self.estimate.iter_mut().for_each(|s| *s = None);
        self.probs_best_last.iter_mut().for_each(|s| *s = None);
        self.superiority_seen = f64::NEG_INFINITY;
        self.inferiority_seen = f64::INFINITY;
        self.alloc.copy_from_slice(&plan.allocation.start);
        self.active.clear();
        self.active.extend(0..k);
        self.control = plan.control;
        self.check_eq = plan.equivalence.is_some();
        self.check_fut = plan.futility.is_some();
        self.end = None;
        self.new_control = false;
    }

    /// Whether an arm was declared superior here: the adaptation ended in superiority, or an
    /// arm beat the control and became the new one.
    pub(super) fn declared(&self) -> bool {
        self.new_control || self.end.is_some_and(|e| e.ending == Ending::Superiority)
    }

    /// Whether the stratum still randomises and analyses.
    pub(super) fn is_open(&self) -> bool {
        self.end.is_none()
    }

    /// Marks `arm` with `status` at analysis `look`, with its estimate from the current
    /// evidence.
    fn conclude(&mut self, arm: usize, status: ArmStatus, look: usize) {
        self.status[arm] = status;
        self.status_look[arm] = Some(look);
        self.estimate[arm] = Some(self.evidence.estimate(arm));
    }

    /// Concludes every arm in `marked` with `status` and drops it from the active arms.
    fn drop_marked(&mut self, status: ArmStatus, look: usize) {
        for i in 0..self.marked.len() {
            let a = self.marked[i];
            self.conclude(a, status, look);
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
    fn compare(&mut self, control: usize, plan: &BayesianPlan) {
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
            if self.check_eq
                && let Some(e) = &plan.equivalence
            {
                self.equivalence.push(if own {
                    f64::NAN
                } else {
                    self.evidence.equivalent(a, control, e.difference)
                });
            }
            if self.check_fut
                && let Some(f) = &plan.futility
            {
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
    fn reallocate(&mut self, plan: &BayesianPlan, look: usize) {
        let al = &plan.allocation;
        let k = al.start.len();
        let n_active = self.active.len();
        self.fixed.clear();
        self.fixed.extend(self.active.iter().map(|&a| al.fixed[a]));
        self.min.clear();
        self.min.extend(self.active.iter().map(|&a| al.min[a]));
        self.max.clear();
        self.max.extend(self.active.iter().map(|&a| al.max[a]));
        let mut match_arm = None;
        if let Some(c) = self.control
            && al.adaptive
        {
            let pos = self.active.iter().position(|&a| a == c);
            match (&al.control, pos) {
                (ControlShare::Free, _) | (_, None) => {}
                (ControlShare::Fixed(shares), Some(p)) => {
                    // adaptr: c(control_prob_fixed, 1)[1 + n_arms - active]; the first control's
                    // own fixed share is the one the rule sets.
                    self.fixed[p] = Some(shares.get(k - n_active).copied().unwrap_or(1.0));
                    self.min[p] = None;
                    self.max[p] = None;
                }
                (ControlShare::Match, Some(p)) => {
                    self.min[p] = None;
                    self.max[p] = None;
                    match_arm = Some(p);
                }
            }
        }
        reallocate(
            &self.probs_best,
            &self.fixed,
            &self.min,
            &self.max,
            al.soften_power[look],
            match_arm,
            &mut self.new_alloc,
        );
        for (i, &a) in self.active.iter().enumerate() {
            self.alloc[a] = self.new_alloc[i];
        }
    }

    /// Analysis `look` of the stratum's data: the posteriors refreshed, then adaptr's checks
    /// and reallocation. Returns how the stratum's adaptation ends here, if it does.
    pub(super) fn analyse<R: Rng + ?Sized>(
        &mut self,
        rng: &mut R,
        plan: &BayesianPlan,
        look: usize,
    ) -> Option<Ending> {
        self.evidence
            .refresh(rng, &self.active, &self.n, &self.events);
        self.compute_probs_best();
        match self.control {
            None => self.without_control(rng, plan, look),
            Some(c) => self.with_control(rng, plan, look, c),
        }
    }

    /// The stratum's state once the trial has ended: the estimates of the arms still active
    /// (from the last evidence), the control's status, and with a pipeline every arm's
    /// estimate from all its randomised patients (adaptr's `final_ests = TRUE`).
    pub(super) fn finish<R: Rng + ?Sized>(&mut self, rng: &mut R, pipeline: bool) {
        for i in 0..self.active.len() {
            let a = self.active[i];
            self.estimate[a] = Some(self.evidence.estimate(a));
        }
        if let Some(c) = self.control
            && self.status[c] == ArmStatus::Active
        {
            self.status[c] = ArmStatus::Control;
        }
        if pipeline {
            self.evidence
                .refresh(rng, &self.every_arm, &self.n_all, &self.events_all);
            for a in 0..self.n.len() {
                self.estimate[a] = Some(self.evidence.estimate(a));
            }
        }
    }

    /// adaptr's checks without a common control: inferior arms dropped (P(best) recomputed
    /// after each round), then superiority, then equivalence of all; else reallocation.
    fn without_control<R: Rng + ?Sized>(
        &mut self,
        rng: &mut R,
        plan: &BayesianPlan,
        look: usize,
    ) -> Option<Ending> {
        let inferiority = plan.inferiority[look];
        loop {
            self.inferiority_seen = self.inferiority_seen.min(smallest(&self.probs_best));
            rows_where(
                self.evidence.arms(),
                &self.probs_best,
                |p| p < inferiority,
                &mut self.marked,
            );
            if self.marked.is_empty() {
                break;
            }
            self.drop_marked(ArmStatus::Inferior, look);
            self.evidence
                .refresh(rng, &self.active, &self.n, &self.events);
            self.compute_probs_best();
        }
        self.check_eq = plan.equivalence.is_some();
        let (best_pos, best_p) = first_max(&self.probs_best);
        self.superiority_seen = self.superiority_seen.max(best_p);
        // One arm left is the best with probability 1, above any threshold (adaptr never goes
        // on with one arm); said outright so that a run without the threshold stops here too.
        if best_p > plan.superiority[look] || self.active.len() == 1 {
            let arm = self.evidence.arms()[best_pos];
            self.conclude(arm, ArmStatus::Superior, look);
            self.active.clear();
            self.active.push(arm);
            return Some(Ending::Superiority);
        }
        if self.check_eq
            && let Some(e) = &plan.equivalence
        {
            let p = self.evidence.all_equivalent(e.difference);
            if p > e.probability[look] {
                for i in 0..self.active.len() {
                    let a = self.active[i];
                    self.conclude(a, ArmStatus::Equivalence, look);
                }
                return Some(Ending::Equivalence);
            }
        }
        self.reallocate(plan, look);
        None
    }

    /// adaptr's checks against a common control, repeated while a superior arm becomes the
    /// new control.
    fn with_control<R: Rng + ?Sized>(
        &mut self,
        rng: &mut R,
        plan: &BayesianPlan,
        look: usize,
        first: usize,
    ) -> Option<Ending> {
        let mut c = first;
        self.compare(c, plan);
        let mut update = false;
        let mut stop_eq = false;
        let mut stop_fut = false;
        let mut run_check = true;
        let mut stop = None;
        while run_check {
            run_check = false;
            // Inferiority: every arm below the threshold against the current control.
            self.inferiority_seen = self.inferiority_seen.min(smallest(&self.better));
            rows_where(
                &self.rows,
                &self.better,
                |p| p < plan.inferiority[look],
                &mut self.marked,
            );
            if !self.marked.is_empty() {
                update = true;
                self.drop_marked(ArmStatus::Inferior, look);
            }
            let (best_row, best_p) = first_max(&self.better);
            self.superiority_seen = self.superiority_seen.max(best_p);
            if best_p > plan.superiority[look] {
                // The best arm becomes the control, the old control is inferior.
                update = true;
                let new_control = self.rows[best_row];
                self.status[c] = ArmStatus::Inferior;
                self.status_look[c] = Some(look);
                self.estimate[c] = Some(self.evidence.estimate(c));
                self.drop_active(c);
                c = new_control;
                self.control = Some(c);
                self.new_control = true;
                run_check = true;
                if self.check_eq && plan.equivalence.as_ref().is_some_and(|e| e.only_first) {
                    self.check_eq = false;
                }
                if self.check_fut && plan.futility.as_ref().is_some_and(|f| f.only_first) {
                    self.check_fut = false;
                }
            } else {
                if self.check_eq
                    && let Some(e) = &plan.equivalence
                {
                    rows_where(
                        &self.rows,
                        &self.equivalence,
                        |p| p > e.probability[look],
                        &mut self.marked,
                    );
                    if !self.marked.is_empty() {
                        update = true;
                        self.drop_marked(ArmStatus::Equivalence, look);
                        if self.active.len() == 1 {
                            stop_eq = true;
                            self.check_fut = false;
                        }
                    }
                }
                if self.check_fut
                    && let Some(f) = &plan.futility
                {
                    rows_where(
                        &self.rows,
                        &self.futility,
                        |p| p > f.probability[look],
                        &mut self.marked,
                    );
                    // An arm already found equivalent is not futile.
                    let status = &self.status;
                    self.marked.retain(|&a| status[a] != ArmStatus::Equivalence);
                    if !self.marked.is_empty() {
                        update = true;
                        self.drop_marked(ArmStatus::Futile, look);
                        if self.active.len() == 1 {
                            stop_fut = true;
                        }
                    }
                }
            }
            if self.active.len() == 1 {
                let a = self.active[0];
                let status = if stop_eq || stop_fut {
                    ArmStatus::Active
                } else {
                    ArmStatus::Superior
                };
                self.conclude(a, status, look);
                stop = Some(if stop_eq {
                    Ending::Equivalence
                } else if stop_fut {
                    Ending::Futility
                } else {
                    Ending::Superiority
                });
            }
            if update {
                self.evidence
                    .refresh(rng, &self.active, &self.n, &self.events);
                self.compute_probs_best();
                if run_check {
                    self.compare(c, plan);
                } else {
                    self.keep_active_rows();
                }
            }
            if stop.is_none() {
                self.reallocate(plan, look);
            }
        }
        stop
    }
}

/// The difference the posterior grid is built for: the all-arms equivalence rule's without a
/// control; with one, futility's (checked at every analysis), else equivalence's; 0 for none.
fn grid_shift(plan: &BayesianPlan) -> f64 {
    let futility = plan.futility.as_ref().filter(|_| plan.control.is_some());
    futility
        .or(plan.equivalence.as_ref())
        .map_or(0.0, |t| t.difference)
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
