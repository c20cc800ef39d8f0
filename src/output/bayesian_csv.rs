//! The result CSVs of a Bayesian adaptive design: summary.csv (one row per arm and adaptation
//! stratum: its final statuses, selection, patients, and the run's size, screening and cost),
//! bayesian.csv (adaptr's `check_performance` metrics with Monte Carlo SEs) and allocation.csv
//! (the mean allocation by analysis: the RAR path). Their `label` column names the stratum:
//! "all" pooled (the whole trial), else the label (and "all" for the whole trial's metrics).

use crate::engine::bayesian::metrics::{AllocationRow, ArmRow, Metric, RunRow};
use crate::engine::bayesian::select::ArmStatus;
use crate::model::bayesian::{BayesianPlan, PosteriorMode};
use crate::model::design::Design;
use crate::output::result_csv::{num, to_csv};
use crate::tools::bayesian_size::{Aim, BayesianSizeSearch, Targets};

/// summary.csv's columns for a Bayesian design.
pub const BAYESIAN_SUMMARY_COLUMNS: [&str; 25] = [
    "scenario",
    "label",
    "arm",
    "role",
    "replicates",
    "seed",
    "max_sample_size",
    "looks",
    "posterior",
    "true_risk",
    "true_difference",
    "p_superior",
    "p_superior_se",
    "p_inferior",
    "p_futile",
    "p_equivalence",
    "p_active",
    "p_control",
    "p_selected",
    "mean_randomised_arm",
    "expected_randomised",
    "mean_screened",
    "p95_screened",
    "mean_cost",
    "currency",
];

pub fn summary_csv(d: &Design, plan: &BayesianPlan, arms: &[ArmRow], run: &RunRow) -> Vec<u8> {
    let posterior = match plan.posterior {
        PosteriorMode::Exact => "exact".to_string(),
        PosteriorMode::Draws(n) => format!("draws_{n}"),
    };
    let p = |r: &ArmRow, s: ArmStatus| num(r.status[s.index()]);
    to_csv(
        BAYESIAN_SUMMARY_COLUMNS,
        arms.iter().map(|r| {
            [
                d.name.clone(),
                r.stratum.clone(),
                r.arm.clone(),
                r.role.to_string(),
                d.replicates.to_string(),
                d.seed.to_string(),
                d.sample_size.to_string(),
                plan.looks.len().to_string(),
                posterior.clone(),
                num(r.true_risk),
                num(r.true_difference),
                p(r, ArmStatus::Superior),
                num(r.p_superior_se),
                p(r, ArmStatus::Inferior),
                p(r, ArmStatus::Futile),
                p(r, ArmStatus::Equivalence),
                p(r, ArmStatus::Active),
                p(r, ArmStatus::Control),
                num(r.p_selected),
                num(r.mean_randomised),
                num(run.expected_randomised),
                num(run.mean_screened),
                run.p95_screened.to_string(),
                num(run.mean_cost),
                run.currency.clone(),
            ]
        }),
    )
}

pub fn metrics_csv(d: &Design, metrics: &[Metric]) -> Vec<u8> {
    to_csv(
        ["scenario", "label", "metric", "estimate", "mc_se"],
        metrics.iter().map(|m| {
            [
                d.name.clone(),
                m.stratum.clone(),
                m.name.clone(),
                num(m.estimate),
                num(m.mc_se),
            ]
        }),
    )
}

pub fn allocation_csv(d: &Design, rows: &[AllocationRow]) -> Vec<u8> {
    let mut header = vec![
        "scenario".to_string(),
        "label".into(),
        "look".into(),
        "patients".into(),
        "trials".into(),
    ];
    header.extend(d.arms.iter().map(|a| format!("share_{}", a.name)));
    to_csv(
        header,
        rows.iter().map(|r| {
            let mut v = vec![
                d.name.clone(),
                r.stratum.clone(),
                r.look.to_string(),
                r.patients.to_string(),
                r.trials.to_string(),
            ];
            v.extend(r.share.iter().map(|&s| num(s)));
            v
        }),
    )
}

/// sample_size.csv of a Bayesian design's search: one row per maximum N evaluated and target.
pub fn sample_size_csv(d: &Design, search: &BayesianSizeSearch, targets: &Targets) -> Vec<u8> {
    let mut rows = Vec::new();
    for (&n, c) in &search.candidates {
        for ((stratum, arm), &(p, se)) in targets.cells.iter().zip(&c.values) {
            rows.push([
                d.name.clone(),
                n.to_string(),
                stratum.clone(),
                arm.map_or(String::new(), |a| d.arms[a].name.clone()),
                match targets.aim {
                    Aim::Superior => "superior".to_string(),
                    Aim::Conclusive => "conclusive".to_string(),
                },
                num(p),
                num(se),
                num(c.expected_randomised),
                num(c.mean_screened),
                if search.chosen == Some(n) { "yes" } else { "" }.to_string(),
            ]);
        }
    }
    to_csv(
        [
            "scenario",
            "max_sample_size",
            "label",
            "arm",
            "aim",
            "probability",
            "mc_se",
            "expected_randomised",
            "mean_screened",
            "chosen",
        ],
        rows,
    )
}
