//! Per-label results, the interaction test and multiplicity: subgroup power against exact
//! enumeration, FWER control under the global null, the nesting of procedures in every simulated
//! trial, and the cost identity.

use crate::common;

use std::path::Path;

use endotrial::endpoint::binary::{Simulator, TrialCounts};
use endotrial::engine;
use endotrial::engine::summary;
use endotrial::model::scenario::Scenario;
use endotrial::model::vocabulary::TestKind;
use endotrial::stats::analysis::{self, Alternative, Table};
use endotrial::stats::multiplicity::{self, Procedure};
use endotrial::stats::power::exact_power_fixed;
use statrs::distribution::{Binomial, Discrete};

fn null_with(procedure: &str, replicates: u64, seed: u64) -> endotrial::model::design::Design {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/null.toml");
    let text = std::fs::read_to_string(path).unwrap().replace(
        "alternative = \"two_sided\"",
        &format!(
            "alternative = \"two_sided\"\nhypotheses = [\"overall\", \"mals\", \"immunoparalysis\"]\nmultiplicity = \"{procedure}\""
        ),
    );
    let mut s = Scenario::from_text(Path::new("null.toml"), text).unwrap();
    s.override_simulation(Some(replicates), Some(seed)).unwrap();
    s.design
}

#[test]
fn fwer_is_controlled_under_the_global_null() {
    let r = 40_000;
    let se = (0.05f64 * 0.95 / r as f64).sqrt();
    for (procedure, seed) in [
        ("bonferroni", 1),
        ("holm", 2),
        ("hochberg", 3),
        ("fixed_sequence", 4),
    ] {
        let d = null_with(procedure, r, seed);
        let rows = summary::hypothesis_rows(&d, &engine::simulate(&d, 0..r, &|_| {}));
        assert_eq!(rows.len(), 3);
        assert!(rows.iter().all(|h| h.true_null));
        let fwer = rows[0].fwer;
        assert!(
            fwer <= 0.05 + common::MC_SE * se,
            "{procedure}: FWER {fwer}"
        );
        assert!(
            (rows[0].any_rejected - fwer).abs() < 1e-15,
            "all hypotheses are true nulls"
        );
    }
    // Without adjustment three tests inflate the FWER well beyond alpha: the check above can fail.
    let d = null_with("none", r, 5);
    let rows = summary::hypothesis_rows(&d, &engine::simulate(&d, 0..r, &|_| {}));
    assert!(
        rows[0].fwer > 0.05 + common::MC_SE * se,
        "unadjusted FWER {}",
        rows[0].fwer
    );
}

fn decisions(procedure: Procedure, p: &[f64]) -> Vec<bool> {
    let mut order = vec![0; p.len()];
    let mut out = vec![false; p.len()];
    multiplicity::reject(procedure, p, 0.05, &mut order, &mut out);
    out
}

fn superset(big: &[bool], small: &[bool]) -> bool {
    big.iter().zip(small).all(|(&b, &s)| b || !s)
}

#[test]
fn holm_contains_bonferroni_and_hochberg_contains_holm_in_every_trial() {
    // Simulated trials of a design with real effects (so that rejections happen), p-values of
    // the overall and within-label tests.
    let d = common::design(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/immunosep.toml"),
        )
        .unwrap(),
    );
    let sim = Simulator::new(&d);
    let key = engine::run_key(99);
    let mut counts = TrialCounts::new(&d);
    let (mut some, mut differ) = (0, 0);
    for i in 0..20_000 {
        sim.simulate(&mut engine::trial_rng(key, i), &mut counts);
        let strata: Vec<Table> = (0..2).map(|s| counts.stratum_table(1, 0, s)).collect();
        let mut p = vec![analysis::p_value(
            TestKind::ChiSquare,
            &counts.table(1, 0),
            &strata,
            Alternative::TwoSided,
        )];
        p.extend(strata.iter().map(|t| {
            analysis::p_value(
                TestKind::ChiSquare,
                t,
                std::slice::from_ref(t),
                Alternative::TwoSided,
            )
        }));
        let bonferroni = decisions(Procedure::Bonferroni, &p);
        let holm = decisions(Procedure::Holm, &p);
        let hochberg = decisions(Procedure::Hochberg, &p);
        assert!(superset(&holm, &bonferroni), "trial {i}: {p:?}");
        assert!(superset(&hochberg, &holm), "trial {i}: {p:?}");
        some += usize::from(bonferroni.iter().any(|&r| r));
        differ += usize::from(holm != bonferroni || hochberg != holm);
    }
    assert!(
        some > 1000 && differ > 100,
        "the property was exercised: {some} {differ}"
    );
    // And on arbitrary p-values, ties included.
    let grid = [0.001, 0.01, 0.0125, 0.016, 0.017, 0.025, 0.03, 0.05, 0.2];
    for &a in &grid {
        for &b in &grid {
            for &c in &grid {
                let p = [a, b, c];
                assert!(superset(
                    &decisions(Procedure::Holm, &p),
                    &decisions(Procedure::Bonferroni, &p)
                ));
                assert!(superset(
                    &decisions(Procedure::Hochberg, &p),
                    &decisions(Procedure::Holm, &p)
                ));
            }
        }
    }
}

#[test]
fn subgroup_power_matches_exact_enumeration_over_random_label_counts() {
    // Fixed arm sizes (1:1 blocks, N = 60, no dropout); the label counts within each arm are
    // binomial(30, P(label b)), and the within-label test sees those counts. Control is listed
    // last, so its within-label tables are not at the start of the engine's cells.
    let d = common::TwoArm {
        replicates: 60_000,
        seed: 41,
        control_last: true,
        ..common::TwoArm::default()
    }
    .design();
    let (arm, control) = (0, 1);
    assert_eq!(d.control, control);
    let tally = engine::simulate(&d, 0..d.replicates, &|_| {});
    let rows = summary::subgroup_rows(&d, &tally);
    assert_eq!(rows.len(), 2);
    for (s, row) in rows.iter().enumerate() {
        let pi = d.stratum_prob[s];
        let size = Binomial::new(pi, 30).unwrap();
        let mut exact = 0.0;
        for k1 in 0..=30u64 {
            for k0 in 0..=30u64 {
                let w = size.pmf(k1) * size.pmf(k0);
                exact += w * exact_power_fixed(
                    TestKind::ChiSquare,
                    d.stratum_mean[arm][s],
                    k1,
                    d.stratum_mean[control][s],
                    k0,
                    0.05,
                    Alternative::TwoSided,
                );
            }
        }
        let se = (exact * (1.0 - exact) / d.replicates as f64).sqrt();
        assert!(
            (row.power - exact).abs() < common::MC_SE * se,
            "label {}: {} vs exact {exact}",
            row.label,
            row.power
        );
        assert!(
            (row.mean_evaluable_arm - 30.0 * pi).abs()
                < common::MC_SE * (30.0 * pi * (1.0 - pi) / d.replicates as f64).sqrt()
        );
        assert_eq!(row.true_risk_arm, d.stratum_mean[arm][s]);
        assert_eq!(row.true_risk_control, d.stratum_mean[control][s]);
        assert!(row.interaction_power > 0.0 && row.interaction_power < 1.0);
    }
}

#[test]
fn cost_is_screening_times_screened_plus_per_patient_times_randomised() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/immunosep_biomarkers.toml");
    let mut s = Scenario::load(&path).unwrap();
    s.override_simulation(Some(5_000), None).unwrap();
    let rows = summary::summarise(&s.design, &engine::simulate(&s.design, 0..5_000, &|_| {}));
    let r = &rows[0];
    assert_eq!(r.currency, "EUR");
    assert_eq!(r.mean_cost, 350.0 * r.mean_screened + 15000.0 * 280.0);
    assert_eq!(r.p95_cost, 350.0 * r.p95_screened as f64 + 15000.0 * 280.0);
}
