//! adaptr 1.4.0's `check_performance` metrics (R/check_performance.R) from a Bayesian tally,
//! each with its Monte Carlo standard error:
//! - a proportion p of n trials: sqrt(p (1 - p) / n);
//! - a mean: SD / sqrt(n); an SD s: sqrt((m4 - s^4) / n) / (2 s), the delta method with the
//!   fourth central moment m4;
//! - a quantile (R's type 7, as `quantile` and `median`): half the distance between the
//!   quantiles at p -+ 1.96 sqrt(p (1 - p) / n), over 1.96 (the order-statistic interval's
//!   width as an SE; 0 when the distribution is flat there); the minimum and maximum have none;
//! - rmse = sqrt(mean squared error): the SE of the mean square over 2 rmse (delta method);
//! - idp: the SD of each selecting trial's value 100 (y_selected - y_min) / (y_max - y_min)
//!   over sqrt(n selected) (100 minus it when lower is better).
//!
//! adaptr's `uncertainty = TRUE` bootstraps the same quantities; the tests compare both.

use crate::engine::bayesian::select::{ArmStatus, Ending};
use crate::engine::bayesian::{POOLED, stratum_names, stratum_truth};
use crate::engine::tally::Tally;
use crate::engine::tally::bayesian::{BayesianTally, EVENT_BITS, SIZE_EVENT_BITS, StratumTally};
use crate::model::bayesian::BayesianPlan;
use crate::model::design::Design;
use crate::model::vocabulary::Better;

/// One metric of one adaptation stratum ("all": the whole trial): adaptr's name, the
/// estimate and its Monte Carlo SE (NaN: none).
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    pub stratum: String,
    pub name: String,
    pub estimate: f64,
    pub mc_se: f64,
}

fn metric(name: impl Into<String>, estimate: f64, mc_se: f64) -> Metric {
    Metric {
        stratum: String::new(),
        name: name.into(),
        estimate,
        mc_se,
    }
}

const Z: f64 = 1.959_963_984_540_054;

/// A distribution of values with their trials, sorted by value.
struct Weighted(Vec<(f64, u64)>);

impl Weighted {
    fn n(&self) -> u64 {
        self.0.iter().map(|v| v.1).sum()
    }

    fn mean(&self) -> f64 {
        let n = self.n() as f64;
        self.0.iter().map(|&(v, c)| v * c as f64).sum::<f64>() / n
    }

    fn central_moment(&self, k: i32) -> f64 {
        let m = self.mean();
        let n = self.n() as f64;
        self.0
            .iter()
            .map(|&(v, c)| (v - m).powi(k) * c as f64)
            .sum::<f64>()
            / n
    }

    /// The sample SD (n - 1 denominator, as R's `sd`).
    fn sd(&self) -> f64 {
        let n = self.n() as f64;
        (self.central_moment(2) * n / (n - 1.0)).sqrt()
    }

    /// The value at 0-based order statistic `i`.
    fn order(&self, i: u64) -> f64 {
        let mut cum = 0;
        for &(v, c) in &self.0 {
            cum += c;
            if cum > i {
                return v;
            }
        }
        self.0.last().map_or(f64::NAN, |v| v.0)
    }

    /// R's `quantile(type = 7)`.
    fn quantile(&self, p: f64) -> f64 {
        let n = self.n();
        if n == 0 {
            return f64::NAN;
        }
        let h = (n - 1) as f64 * p.clamp(0.0, 1.0);
        let lo = h.floor();
        let x_lo = self.order(lo as u64);
        let x_hi = self.order((lo as u64 + 1).min(n - 1));
        x_lo + (h - lo) * (x_hi - x_lo)
    }

    fn quantile_se(&self, p: f64) -> f64 {
        let d = Z * (p * (1.0 - p) / self.n() as f64).sqrt();
        (self.quantile(p + d) - self.quantile(p - d)) / (2.0 * Z)
    }

    fn mean_se(&self) -> f64 {
        self.sd() / (self.n() as f64).sqrt()
    }

    fn sd_se(&self) -> f64 {
        let s2 = self.central_moment(2);
        let m4 = self.central_moment(4);
        ((m4 - s2 * s2).max(0.0) / self.n() as f64).sqrt() / (2.0 * s2.sqrt())
    }

    /// Mean, SD, median, p25, p75, p0, p100 (adaptr's `summarise_num`), with their SEs.
    fn summary(&self, prefix: &str, out: &mut Vec<Metric>) {
        out.push(metric(
            format!("{prefix}_mean"),
            self.mean(),
            self.mean_se(),
        ));
        out.push(metric(format!("{prefix}_sd"), self.sd(), self.sd_se()));
        for (name, p) in [("median", 0.5), ("p25", 0.25), ("p75", 0.75)] {
            out.push(metric(
                format!("{prefix}_{name}"),
                self.quantile(p),
                self.quantile_se(p),
            ));
        }
        out.push(metric(format!("{prefix}_p0"), self.quantile(0.0), f64::NAN));
        out.push(metric(
            format!("{prefix}_p100"),
            self.quantile(1.0),
            f64::NAN,
        ));
    }
}

fn sorted(mut v: Vec<(f64, u64)>) -> Weighted {
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    Weighted(v)
}

fn proportion(name: impl Into<String>, k: u64, n: u64) -> Metric {
    let p = k as f64 / n as f64;
    metric(name, p, (p * (1.0 - p) / n as f64).sqrt())
}

/// rmse and mae of errors, with SEs; NaN when no trial selected an arm.
fn error_metrics(errors: &Weighted, rmse: &str, mae: &str, out: &mut Vec<Metric>) {
    if errors.n() == 0 {
        out.push(metric(rmse, f64::NAN, f64::NAN));
        out.push(metric(mae, f64::NAN, f64::NAN));
        return;
    }
    let squares = sorted(errors.0.iter().map(|&(e, c)| (e * e, c)).collect());
    let ms = squares.mean();
    let r = ms.sqrt();
    out.push(metric(rmse, r, squares.mean_se() / (2.0 * r)));
    let absolute = sorted(errors.0.iter().map(|&(e, c)| (e.abs(), c)).collect());
    out.push(metric(
        mae,
        absolute.quantile(0.5),
        absolute.quantile_se(0.5),
    ));
}

/// Sizes and events of trials (or of one stratum's part of them), with their trials.
type Sizes = Vec<(f64, f64, u64)>;

/// The whole trial's sizes and events.
fn trial_sizes(plan: &BayesianPlan, b: &BayesianTally) -> Sizes {
    let events_of = |key: u64| (key & ((1 << EVENT_BITS) - 1)) as f64;
    b.ends
        .iter()
        .map(|(&k, &c)| {
            (
                plan.randomised[(k >> EVENT_BITS) as usize] as f64,
                events_of(k),
                c,
            )
        })
        .collect()
}

/// One stratum's sizes and events.
fn stratum_sizes(s: &StratumTally) -> Sizes {
    s.sizes
        .iter()
        .map(|(&k, &c)| {
            (
                (k >> SIZE_EVENT_BITS) as f64,
                (k & ((1 << SIZE_EVENT_BITS) - 1)) as f64,
                c,
            )
        })
        .collect()
}

/// adaptr's size, events and event-ratio summaries (`size_*`, `sum_ys_*`, `ratio_ys_*`); the
/// ratio over the trials with patients (a label's stratum may have none).
fn size_metrics(sizes: &Sizes, out: &mut Vec<Metric>) {
    sorted(sizes.iter().map(|&(n, _, c)| (n, c)).collect()).summary("size", out);
    sorted(sizes.iter().map(|&(_, e, c)| (e, c)).collect()).summary("sum_ys", out);
    sorted(
        sizes
            .iter()
            .filter(|&&(n, _, _)| n > 0.0)
            .map(|&(n, e, c)| (e / n, c))
            .collect(),
    )
    .summary("ratio_ys", out);
}

/// adaptr's performance metrics, in its `check_performance` order (n_summarised first): of
/// the whole trial pooled; with `by_label` the whole trial's size and events, how often every
/// label concluded and some label found a superior arm, then each label's own metrics.
pub fn metrics(
    design: &Design,
    plan: &BayesianPlan,
    trials: u64,
    b: &BayesianTally,
) -> Vec<Metric> {
    let names = stratum_names(design, plan);
    let truth = stratum_truth(design, plan);
    let named = |stratum: &str, v: Vec<Metric>| -> Vec<Metric> {
        v.into_iter()
            .map(|m| Metric {
                stratum: stratum.to_string(),
                ..m
            })
            .collect()
    };
    if !plan.by_label {
        let v = stratum_metrics(
            design,
            trials,
            &b.strata[0],
            &truth[0],
            &trial_sizes(plan, b),
        );
        return named(POOLED, v);
    }
    let mut all = vec![metric("n_summarised", trials as f64, f64::NAN)];
    size_metrics(&trial_sizes(plan, b), &mut all);
    all.push(proportion("prob_all_conclusive", b.all_conclusive, trials));
    all.push(proportion("prob_any_superior", b.any_superior, trials));
    let mut out = named(POOLED, all);
    for ((name, s), truth) in names.iter().zip(&b.strata).zip(&truth) {
        let v = stratum_metrics(design, trials, s, truth, &stratum_sizes(s));
        out.extend(named(name, v));
    }
    out
}

/// adaptr's `check_performance` metrics of one stratum's trials, `truth` its arms' true event
/// probabilities.
fn stratum_metrics(
    design: &Design,
    trials: u64,
    s: &StratumTally,
    truth: &[f64],
    sizes: &Sizes,
) -> Vec<Metric> {
    let mut out = vec![metric("n_summarised", trials as f64, f64::NAN)];
    size_metrics(sizes, &mut out);
    let ending = |e: Ending| s.endings[e.index()];
    out.push(proportion(
        "prob_conclusive",
        trials - ending(Ending::Max),
        trials,
    ));
    out.push(proportion(
        "prob_superior",
        ending(Ending::Superiority),
        trials,
    ));
    out.push(proportion(
        "prob_equivalence",
        ending(Ending::Equivalence),
        trials,
    ));
    out.push(proportion(
        "prob_futility",
        ending(Ending::Futility),
        trials,
    ));
    out.push(proportion("prob_max", ending(Ending::Max), trials));
    let k = design.arms.len();
    for (a, arm) in design.arms.iter().enumerate() {
        out.push(proportion(
            format!("prob_select_arm_{}", arm.name),
            s.selected[a],
            trials,
        ));
    }
    out.push(proportion("prob_select_none", s.selected[k], trials));
    let values = |m: &std::collections::BTreeMap<u64, u64>| {
        sorted(
            m.iter()
                .map(|(&bits, &c)| (f64::from_bits(bits), c))
                .collect(),
        )
    };
    let (errors, errors_te) = (values(&s.errors), values(&s.errors_te));
    let mut rmse = Vec::new();
    error_metrics(&errors, "rmse", "mae", &mut rmse);
    let mut rmse_te = Vec::new();
    error_metrics(&errors_te, "rmse_te", "mae_te", &mut rmse_te);
    // adaptr's order: rmse, rmse_te, mae, mae_te.
    out.extend([
        rmse[0].clone(),
        rmse_te[0].clone(),
        rmse[1].clone(),
        rmse_te[1].clone(),
    ]);
    out.push(idp(design.better, truth, &s.selected));
    out
}

/// The ideal design percentage (adaptr's `calculate_idp`) of the selected arms (`selected`:
/// trials by arm, then none), with its SE.
fn idp(better: Better, truth: &[f64], selected: &[u64]) -> Metric {
    let (lo, hi) = truth
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &y| {
            (l.min(y), h.max(y))
        });
    let k = truth.len();
    let n: u64 = selected[..k].iter().sum();
    if n == 0 || hi == lo {
        return metric("idp", f64::NAN, f64::NAN);
    }
    let value = |a: usize| {
        let v = 100.0 * (truth[a] - lo) / (hi - lo);
        match better {
            Better::Higher => v,
            Better::Lower => 100.0 - v,
        }
    };
    let values = sorted((0..k).map(|a| (value(a), selected[a])).collect());
    metric("idp", values.mean(), values.mean_se())
}

/// One arm's row of a Bayesian design's summary.csv, in one stratum: its final statuses and
/// selection.
#[derive(Debug, Clone, PartialEq)]
pub struct ArmRow {
    pub stratum: String,
    pub arm: String,
    /// "control" for the common control (first control), else "arm".
    pub role: &'static str,
    pub true_risk: f64,
    /// True risk minus the first control's (NaN without a common control).
    pub true_difference: f64,
    /// Trials by the arm's final status (`ArmStatus::ALL` order), as proportions.
    pub status: [f64; 6],
    /// P(the arm was declared superior): its type I error when it has no effect, its power
    /// when it has one.
    pub p_superior_se: f64,
    pub p_selected: f64,
    pub mean_randomised: f64,
}

/// The run-level quantities of a Bayesian design's summary.csv.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRow {
    pub expected_randomised: f64,
    pub mean_screened: f64,
    pub p95_screened: u64,
    pub mean_cost: f64,
    pub currency: String,
}

/// Every stratum's arms' rows, stratum by stratum.
pub fn arm_rows(
    design: &Design,
    plan: &BayesianPlan,
    trials: u64,
    b: &BayesianTally,
) -> Vec<ArmRow> {
    let n = trials as f64;
    let names = stratum_names(design, plan);
    let truth = stratum_truth(design, plan);
    let mut rows = Vec::new();
    for ((stratum, s), truth) in names.iter().zip(&b.strata).zip(&truth) {
        for (a, arm) in design.arms.iter().enumerate() {
            let status = s.arm_status[a].map(|c| c as f64 / n);
            let sup = status[ArmStatus::Superior.index()];
            let randomised: u64 = s.allocated.iter().map(|row| row[a]).sum();
            rows.push(ArmRow {
                stratum: stratum.clone(),
                arm: arm.name.clone(),
                role: if plan.control == Some(a) {
                    "control"
                } else {
                    "arm"
                },
                true_risk: truth[a],
                true_difference: plan.control.map_or(f64::NAN, |c| truth[a] - truth[c]),
                status,
                p_superior_se: (sup * (1.0 - sup) / n).sqrt(),
                p_selected: s.selected[a] as f64 / n,
                mean_randomised: randomised as f64 / n,
            });
        }
    }
    rows
}

/// The mean allocation by analysis in one stratum: for each look, the trials whose stratum
/// randomised patients up to it and the share of those patients each arm received (the RAR
/// path).
#[derive(Debug, Clone, PartialEq)]
pub struct AllocationRow {
    pub stratum: String,
    pub look: usize,
    /// Patients randomised in the whole trial by the look.
    pub patients: u64,
    pub trials: u64,
    pub share: Vec<f64>,
}

pub fn allocation_rows(
    design: &Design,
    plan: &BayesianPlan,
    b: &BayesianTally,
) -> Vec<AllocationRow> {
    let names = stratum_names(design, plan);
    let mut rows = Vec::new();
    for (stratum, s) in names.iter().zip(&b.strata) {
        let reaching = s.reaching();
        for (j, row) in s.allocated.iter().enumerate() {
            let total: u64 = row.iter().sum();
            rows.push(AllocationRow {
                stratum: stratum.clone(),
                look: j + 1,
                patients: plan.randomised[j],
                trials: reaching[j],
                share: row
                    .iter()
                    .map(|&v| {
                        if total == 0 {
                            f64::NAN
                        } else {
                            v as f64 / total as f64
                        }
                    })
                    .collect(),
            });
        }
    }
    rows
}

/// The run's size, screening and cost.
pub fn run_row(design: &Design, tally: &Tally, b: &BayesianTally, plan: &BayesianPlan) -> RunRow {
    let n = tally.trials as f64;
    let randomised: f64 = b
        .ends
        .iter()
        .map(|(&k, &c)| plan.randomised[(k >> EVENT_BITS) as usize] as f64 * c as f64)
        .sum::<f64>()
        / n;
    let mean_screened = randomised + tally.mean_failures();
    RunRow {
        expected_randomised: randomised,
        mean_screened,
        p95_screened: tally.screened_quantile(0.95),
        mean_cost: design
            .cost
            .as_ref()
            .map_or(f64::NAN, |c| c.of(mean_screened, randomised)),
        currency: design
            .cost
            .as_ref()
            .map_or(String::new(), |c| c.currency.clone()),
    }
}
