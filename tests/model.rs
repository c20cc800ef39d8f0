//! The model behind the engine: exact derived quantities against hand-computed closed forms, and
//! the count-level engine against a deliberately simple patient-by-patient simulator written
//! independently here (screening one patient at a time, permuted blocks, treatment by label acting
//! on the true endotype). Monte Carlo comparisons use 4 standard errors and fixed seeds.

use crate::common;
use crate::oracle;

use endotrial::engine;
use endotrial::engine::summary;
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

/// Three endotypes with misclassification, two eligible labels, three arms 2:1:1, mortality.
const SCENARIO: &str = r#"
name = "misclassified"
[simulation]
replicates = 40000
seed = 5
[[endotype]]
name = "mals"
prevalence = 0.1
control_risk = 0.6
classified_as = { mals = 0.8, immunoparalysis = 0.1, unclassified = 0.1 }
[[endotype]]
name = "immunoparalysis"
prevalence = 0.3
control_risk = 0.5
classified_as = { immunoparalysis = 0.7, unclassified = 0.3 }
[[endotype]]
name = "unclassified"
prevalence = 0.6
control_risk = 0.3
classified_as = { unclassified = 0.9, immunoparalysis = 0.1 }
[enrollment]
sample_size = 101
eligible = ["mals", "immunoparalysis"]
dropout = 0.06
[endpoint]
event = "death"
better = "lower"
[[treatment]]
name = "anakinra"
effect = "risk_ratio"
by_endotype = { mals = 0.5 }
[[treatment]]
name = "ifn_gamma"
effect = "odds_ratio"
by_endotype = { immunoparalysis = 0.5 }
[[arm]]
name = "placebo"
ratio = 2
[[arm]]
name = "personalised"
ratio = 1
assign = { mals = "anakinra", immunoparalysis = "ifn_gamma" }
[[arm]]
name = "anakinra_all"
ratio = 1
treatment = "anakinra"
[analysis]
control = "placebo"
test = "cmh"
alpha = 0.05
alternative = "two_sided"
"#;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

#[test]
fn derived_quantities_match_closed_forms() {
    let d = common::design(SCENARIO);
    // P(label mals) = 0.1 * 0.8 = 0.08
    // P(label immunoparalysis) = 0.1 * 0.1 + 0.3 * 0.7 + 0.6 * 0.1 = 0.28
    assert!(close(d.eligible_fraction, 0.36));
    assert!(close(d.stratum_prob[0], 0.08 / 0.36) && close(d.stratum_prob[1], 0.28 / 0.36));
    // Randomised by true endotype: mals 0.09, immunoparalysis 0.21, unclassified 0.06 (of 0.36).
    assert!(close(d.composition[0], 0.25));
    assert!(close(d.composition[1], 0.21 / 0.36));
    assert!(close(d.composition[2], 0.06 / 0.36));
    // Placebo: (0.09 * 0.6 + 0.21 * 0.5 + 0.06 * 0.3) / 0.36
    assert!(close(d.true_mean[0], 0.177 / 0.36));
    // Personalised. Label mals (true mals 0.08) gets anakinra: 0.6 * 0.5 = 0.3.
    // Label immunoparalysis gets IFN-gamma: true mals 0.01 unaffected (0.6); true
    // immunoparalysis 0.21 at odds 0.5 * 1 -> risk 1/3; true unclassified 0.06 unaffected (0.3).
    let personalised = 0.08 * 0.3 + 0.01 * 0.6 + 0.21 / 3.0 + 0.06 * 0.3;
    assert!(close(d.true_mean[1], personalised / 0.36));
    assert!(close(d.stratum_mean[1][0], 0.3));
    assert!(close(d.stratum_mean[1][1], (0.006 + 0.07 + 0.018) / 0.28));
    // Anakinra for all: only true MALS benefit, whatever their label.
    let all = 0.09 * 0.3 + 0.21 * 0.5 + 0.06 * 0.3;
    assert!(close(d.true_mean[2], all / 0.36));
    assert!(close(d.expected_screened(), 101.0 / 0.36));
}

#[test]
fn screening_counts_match_the_negative_binomial() {
    let d = common::design(SCENARIO);
    let rows = common::run(&d);
    let (n, q) = (d.sample_size as f64, d.eligible_fraction);
    // Mean: N / q, with SD sqrt(N (1 - q)) / q per trial.
    let se = (n * (1.0 - q)).sqrt() / q / (d.replicates as f64).sqrt();
    assert!((rows[0].mean_screened - n / q).abs() < common::MC_SE * se);
    // 95th percentile: the exact negative binomial quantile of failures, plus N. The sample
    // quantile's SE here is about 0.3 patients, so it must be within one patient.
    let exact_p95 = (d.sample_size..)
        .find(|&s| common::screened_cdf(n, q, s as f64) >= 0.95)
        .unwrap();
    assert!(
        rows[0].p95_screened.abs_diff(exact_p95) <= 1,
        "{} vs {exact_p95}",
        rows[0].p95_screened
    );
}

#[test]
fn observed_risks_are_unbiased_for_the_true_risks() {
    let d = common::design(SCENARIO);
    for row in common::run(&d) {
        let b = row.binary().expect("a binary row");
        // Each trial's observed risk has SD at most 0.5 / sqrt(evaluable).
        let se = |n: f64| 0.5 / (n * d.replicates as f64).sqrt();
        assert!(
            (b.mean_risk_arm - b.true_risk_arm).abs() < common::MC_SE * se(b.mean_evaluable_arm)
        );
        assert!(
            (b.mean_risk_control - b.true_risk_control).abs()
                < common::MC_SE * se(b.mean_evaluable_control)
        );
        assert!(
            b.bias.abs() < common::MC_SE * b.bias_se,
            "{}: bias {} se {}",
            row.arm,
            b.bias,
            b.bias_se
        );
        // Expected evaluable: N * ratio / 4 * (1 - dropout); per-trial SD below 1.3 (block
        // remainder and dropout), below 1.8 for placebo.
        let se = |sd: f64| sd / (d.replicates as f64).sqrt();
        let arm = 101.0 / 4.0 * 0.94;
        assert!(
            (b.mean_evaluable_arm - arm).abs() < common::MC_SE * se(1.3),
            "{}",
            b.mean_evaluable_arm
        );
        let control = 101.0 * 2.0 / 4.0 * 0.94;
        assert!((b.mean_evaluable_control - control).abs() < common::MC_SE * se(1.8));
    }
}

/// Per-trial results of the patient-level simulator for one comparison.
#[derive(Default)]
struct PatientLevel {
    rejections: f64,
    evaluable_arm: f64,
    evaluable_control: f64,
    screened: f64,
    screened_sq: f64,
}

/// Screens patients one at a time; permuted blocks of [placebo, placebo, personalised,
/// anakinra_all]; treatment by label, effect on the true endotype; CMH by label.
fn patient_level(trials: u64, seed: u64) -> Vec<PatientLevel> {
    let prevalence = [0.1, 0.3, 0.6];
    let control_risk = [0.6, 0.5, 0.3];
    let classified = [[0.8, 0.1, 0.1], [0.0, 0.7, 0.3], [0.0, 0.1, 0.9]];
    let eligible = [true, true, false];
    // Risk of true endotype e when the patient's label is l, in arm a.
    let risk = |a: usize, l: usize, e: usize| -> f64 {
        let base = control_risk[e];
        let anakinra = if e == 0 { base * 0.5 } else { base };
        let ifn = if e == 1 {
            let odds = 0.5 * base / (1.0 - base);
            odds / (1.0 + odds)
        } else {
            base
        };
        match (a, l) {
            (1, 0) => anakinra,
            (1, 1) => ifn,
            (2, _) => anakinra,
            _ => base,
        }
    };
    let pick = |rng: &mut ChaCha8Rng, p: &[f64]| {
        let mut u: f64 = rng.random();
        for (i, &pi) in p.iter().enumerate() {
            if u < pi {
                return i;
            }
            u -= pi;
        }
        p.len() - 1
    };
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out: Vec<PatientLevel> = (0..2).map(|_| PatientLevel::default()).collect();
    for _ in 0..trials {
        // [arm][label] -> (evaluable, events)
        let mut counts = [[(0u64, 0u64); 2]; 3];
        let mut block: Vec<usize> = Vec::new();
        let (mut randomised, mut screened) = (0, 0u64);
        while randomised < 101 {
            screened += 1;
            let e = pick(&mut rng, &prevalence);
            let l = pick(&mut rng, &classified[e]);
            if !eligible[l] {
                continue;
            }
            randomised += 1;
            if block.is_empty() {
                block = vec![0, 0, 1, 2];
                // Fisher-Yates shuffle.
                for i in (1..block.len()).rev() {
                    let j = rng.random_range(0..=i);
                    block.swap(i, j);
                }
            }
            let a = block.pop().unwrap();
            if rng.random::<f64>() < 0.06 {
                continue; // dropout
            }
            counts[a][l].0 += 1;
            counts[a][l].1 += u64::from(rng.random::<f64>() < risk(a, l, e));
        }
        for (c, o) in out.iter_mut().enumerate() {
            let arm = c + 1;
            // The oracle's own Mantel-Haenszel test, not the engine's.
            let strata: Vec<(u64, u64, u64, u64)> = (0..2)
                .map(|l| {
                    (
                        counts[arm][l].1,
                        counts[arm][l].0,
                        counts[0][l].1,
                        counts[0][l].0,
                    )
                })
                .collect();
            let p = oracle::mantel_haenszel(&strata, oracle::Side::TwoSided);
            o.rejections += f64::from(u8::from(p <= 0.05));
            o.evaluable_arm += (counts[arm][0].0 + counts[arm][1].0) as f64;
            o.evaluable_control += (counts[0][0].0 + counts[0][1].0) as f64;
            o.screened += screened as f64;
            o.screened_sq += (screened * screened) as f64;
        }
    }
    out
}

#[test]
fn count_level_engine_agrees_with_a_patient_level_simulator() {
    let d = common::design(SCENARIO);
    let tally = engine::simulate(&d, 0..d.replicates, &|_| {});
    let rows = summary::summarise(&d, &tally);
    let trials = 20_000u64;
    let patients = patient_level(trials, 99);
    for (row, p) in rows.iter().zip(&patients) {
        let t = trials as f64;
        let power = p.rejections / t;
        let se = (row.power_se.powi(2) + power * (1.0 - power) / t).sqrt();
        assert!(
            (row.power - power).abs() < common::MC_SE * se,
            "{}: power {} vs {power}",
            row.arm,
            row.power
        );
        // Evaluable counts: binomial(101 * share, 0.94)-like, SD below 5 per trial.
        let se_n = 5.0 * (1.0 / t + 1.0 / d.replicates as f64).sqrt();
        let b = row.binary().expect("a binary row");
        assert!((b.mean_evaluable_arm - p.evaluable_arm / t).abs() < common::MC_SE * se_n);
        assert!((b.mean_evaluable_control - p.evaluable_control / t).abs() < common::MC_SE * se_n);
        let mean = p.screened / t;
        let sd = (p.screened_sq / t - mean * mean).sqrt();
        let se_s = sd * (1.0 / t + 1.0 / d.replicates as f64).sqrt();
        assert!(
            (row.mean_screened - mean).abs() < common::MC_SE * se_s,
            "{} vs {mean}",
            row.mean_screened
        );
    }
    // The personalised arm must have real power here, so the comparison is not vacuous.
    assert!(
        rows[0].power > 0.2 && rows[0].power < 0.95,
        "{}",
        rows[0].power
    );
}

/// `analysis.alpha` lies in (0, 1): both ends and beyond are refused naming the key, values
/// just inside are accepted.
#[test]
fn alpha_outside_the_open_unit_interval_is_refused() {
    let with = |alpha: &str| {
        let text = SCENARIO.replacen("alpha = 0.05", &format!("alpha = {alpha}"), 1);
        endotrial::model::scenario::Scenario::from_text(std::path::Path::new("alpha.toml"), text)
    };
    for bad in ["0.0", "1.0", "-0.1", "1.5"] {
        let err = with(bad).unwrap_err().to_string();
        assert!(
            err.contains("analysis.alpha") && err.contains("in (0, 1)"),
            "alpha {bad}: {err}"
        );
    }
    for good in ["1e-9", "0.999999"] {
        with(good).unwrap_or_else(|e| panic!("alpha {good}: {e}"));
    }
}
