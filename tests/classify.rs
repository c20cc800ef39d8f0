//! Classification by biomarker rules: the exact matrix against closed-form CDFs (R's pnorm) and
//! against a patient-level simulation of the rules; bad input; sweepable thresholds.

use std::path::Path;

use crate::common;

use endotrial::model::classify::{Biomarker, Classifier, Marginal, Rule};
use endotrial::model::scenario::Scenario;
use endotrial::tools::sweep;
use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;

fn shipped() -> Scenario {
    Scenario::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/immunosep_biomarkers.toml"),
    )
    .unwrap()
}

#[test]
fn matrix_matches_closed_form_cdfs() {
    // R 4.2.2, with s = sqrt(log(gsd)^2 + log(1 + cv^2)) for ferritin (cv 0.10):
    //   pm <- pnorm(log(4420), log(median_f), s_f, lower.tail = FALSE)
    //   pi <- pnorm(log(4420), log(median_f), s_f) * pnorm(log(5000), log(median_h), log(gsd_h))
    let r = [
        [0.8450466224444444, 0.0385621703910475, 0.116391207164508],
        [0.0421114415226359, 0.8251725924965961, 0.132715965980768],
        [0.0227849609243466, 0.0301048589796998, 0.947110180095953],
    ];
    let d = shipped().design;
    for (e, row) in d.endotypes.iter().zip(r) {
        assert_matches_r(&e.name, &e.classified_as, row);
    }
}

/// Asserts that a row of P(label | endotype) is R's to 1e-10 (statrs' erfc and R's pnorm agree
/// to about 1e-11).
fn assert_matches_r(what: &str, row: &[f64], r: [f64; 3]) {
    assert_eq!(row.len(), r.len(), "{what}: {row:?}");
    for (l, (p, q)) in row.iter().zip(r).enumerate() {
        assert!((p - q).abs() < 1e-10, "{what}, label {l}: {p} vs {q}");
    }
}

/// Overlapping rules (first match wins), two biomarkers in one rule, a normal biomarker with
/// multiplicative assay error (the numerically integrated case).
fn overlapping() -> Classifier {
    let ln = |m: f64, g: f64| Marginal::LogNormal {
        mu: m.ln(),
        sigma: g.ln(),
    };
    Classifier {
        biomarkers: vec![
            Biomarker {
                name: "a".into(),
                unit: None,
                by_endotype: vec![ln(10.0, 2.0), ln(4.0, 1.5), ln(6.0, 3.0)],
                assay_log_sd: (1.0f64 + 0.2 * 0.2).ln().sqrt(),
                assay_cv: 0.2,
            },
            Biomarker {
                name: "b".into(),
                unit: None,
                by_endotype: vec![
                    Marginal::Normal {
                        mean: 50.0,
                        sd: 10.0,
                    },
                    Marginal::Normal {
                        mean: 30.0,
                        sd: 8.0,
                    },
                    Marginal::Normal {
                        mean: 40.0,
                        sd: 15.0,
                    },
                ],
                assay_log_sd: (1.0f64 + 0.15 * 0.15).ln().sqrt(),
                assay_cv: 0.15,
            },
        ],
        rules: vec![
            Rule {
                label: 0,
                when: vec![(0, 8.0, f64::INFINITY), (1, 35.0, f64::INFINITY)],
            },
            Rule {
                label: 1,
                when: vec![(0, f64::NEG_INFINITY, 6.0)],
            },
            Rule {
                label: 0,
                when: vec![(1, 55.0, 70.0)],
            },
            Rule {
                label: 1,
                when: vec![(0, 3.0, 12.0), (1, f64::NEG_INFINITY, 38.0)],
            },
        ],
        default: 2,
    }
}

#[test]
fn matrix_matches_a_patient_level_simulation_of_the_rules() {
    let c = overlapping();
    let matrix = c.matrix(3, 3);
    let draws = 200_000u32;
    let mut rng = ChaCha8Rng::seed_from_u64(17);
    for (e, row) in matrix.iter().enumerate() {
        assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        let mut counts = [0u32; 3];
        for _ in 0..draws {
            let values: Vec<f64> = c
                .biomarkers
                .iter()
                .map(|b| b.by_endotype[e].sample(&mut rng, b.assay_log_sd))
                .collect();
            counts[c.classify(&values)] += 1;
        }
        for (l, &p) in row.iter().enumerate() {
            let observed = f64::from(counts[l]) / f64::from(draws);
            let se = (p * (1.0 - p) / f64::from(draws)).sqrt();
            assert!(
                (observed - p).abs() < common::MC_SE * se,
                "endotype {e} label {l}: {observed} vs {p}"
            );
        }
    }
}

/// The same matrix computed independently in R: the lognormal marker's CDF in closed form, the
/// normal marker's measured CDF by `integrate()` over the assay error, the rules written out as a
/// function and evaluated inside each cell. Tolerance 1e-10 (statrs' erfc and R's pnorm agree to
/// about 1e-11); a patient-level simulation can only check the matrix to a few 1e-3.
#[test]
fn matrix_matches_an_independent_r_integration() {
    // R 4.2.2:
    //   sa <- sqrt(log(1 + 0.2^2)); sb <- sqrt(log(1 + 0.15^2))
    //   Fa <- function(x, m, g) ifelse(x <= 0, 0, pnorm(log(x), log(m), sqrt(log(g)^2 + sa^2)))
    //   Fb <- function(x, mean, sd) if (is.infinite(x)) as.numeric(x > 0) else
    //     integrate(function(e) pnorm(x * exp(-e), mean, sd) * dnorm(e, 0, sb), -Inf, Inf,
    //               rel.tol = 1e-13, abs.tol = 0)$value
    //   label <- function(a, b) { if (a > 8 && b > 35) return(1); if (a < 6) return(2)
    //     if (b > 55 && b < 70) return(1); if (a > 3 && a < 12 && b < 38) return(2); 3 }
    //   ca <- c(-Inf, 3, 6, 8, 12, Inf); cb <- c(-Inf, 35, 38, 55, 70, Inf)
    //   then, per endotype, the sum over the 5 x 5 cells of
    //   (Fa(ca[i + 1]) - Fa(ca[i])) * (Fb(cb[j + 1]) - Fb(cb[j])) into label(a point inside the
    //   cell: its midpoint, or its finite end -+ 1 for the two end cells)
    let r = [
        [0.5969799078534394, 0.2831580908125228, 0.1198620013340379],
        [0.0192039885215219, 0.9526226407748258, 0.0281733707036524],
        [0.2589035338415233, 0.5971673424202303, 0.1439291237382463],
    ];
    let matrix = overlapping().matrix(3, 3);
    for (e, (row, expected)) in matrix.iter().zip(r).enumerate() {
        assert_matches_r(&format!("endotype {e}"), row, expected);
    }
    // The integrated branch alone: P(measured b <= x) for mean 50, SD 10, CV 0.15.
    let b = &overlapping().biomarkers[1];
    for (x, q) in [
        (35.0, 0.0991267002422269),
        (38.0, 0.157578064072687),
        (55.0, 0.6618015401890627),
        (70.0, 0.927994137350131),
    ] {
        let p = b.by_endotype[0].measured_cdf(x, b.assay_log_sd);
        assert!((p - q).abs() < 1e-10, "x = {x}: {p} vs {q}");
    }
}

/// `gsd = 1` (no spread) on the `below = 5000` threshold of the HLA-DR rule: those patients meet
/// neither side, so none is labelled immunoparalysis; one unit lower, all are (unless ferritin
/// labels them MALS first, P = 0.0421114415226359 from the R values above).
#[test]
fn a_point_mass_on_a_threshold_through_the_scenario() {
    let mals = 0.0421114415226359;
    for (median, expected) in [
        ("5000", [mals, 0.0, 1.0 - mals]),
        ("4999", [mals, 1.0 - mals, 0.0]),
    ] {
        let text = shipped().text.replacen(
            "immunoparalysis = { median = 3000, gsd = 1.6 }",
            &format!("immunoparalysis = {{ median = {median}, gsd = 1.0 }}"),
            1,
        );
        let s = Scenario::from_text(Path::new("point.toml"), text).unwrap();
        let row = &s.design.endotypes[1].classified_as;
        assert_matches_r(&format!("median {median}"), row, expected);
    }
}

fn invalid(from: &str, to: &str) -> String {
    let text = shipped().text;
    assert!(text.contains(from), "pattern {from}");
    let err = Scenario::from_text(Path::new("bad.toml"), text.replacen(from, to, 1)).unwrap_err();
    err.to_string()
}

#[test]
fn bad_biomarker_input_names_the_key() {
    for (from, to, key) in [
        (
            "when = { hla_dr = { below = 5000 } }",
            "when = { hla = { below = 5000 } }",
            "classifier.rule[1] (label 'immunoparalysis').when.hla",
        ),
        (
            "when = { hla_dr = { below = 5000 } }",
            "when = {}",
            "classifier.rule[1] (label 'immunoparalysis').when",
        ),
        (
            "when = { hla_dr = { below = 5000 } }",
            "when = { hla_dr = { above = 6000, below = 5000 } }",
            "expected above < below",
        ),
        (
            "when = { hla_dr = { below = 5000 } }",
            "when = { hla_dr = { } }",
            "expected `above` and/or `below`",
        ),
        (
            "label = \"mals\"",
            "label = \"mal\"",
            "classifier.rule[0] (label 'mal').label",
        ),
        (
            "default = \"unclassified\"",
            "default = \"none\"",
            "classifier.default",
        ),
        (
            "unclassified = { median = 15000, gsd = 1.8 } }",
            "}",
            "biomarker.hla_dr.by_endotype.unclassified",
        ),
        (
            "mals = { median = 9000, gsd = 2.0 }",
            "mals = { median = 9000, gsd = 0.5 }",
            "biomarker.ferritin.by_endotype.mals",
        ),
        (
            "mals = { median = 9000, gsd = 2.0 }",
            "mals = { mean = 9000, sd = 2.0 }",
            "takes `median` and `gsd`",
        ),
        (
            "assay_cv = 0.10",
            "assay_cv = -0.1",
            "biomarker.ferritin.assay_cv",
        ),
        (
            "control_risk = 0.174\n",
            "control_risk = 0.174\nclassified_as = { mals = 1.0 }\n",
            "endotype.mals.classified_as",
        ),
    ] {
        let message = invalid(from, to);
        assert!(message.contains(key), "expected '{key}' in: {message}");
        assert!(message.contains("bad.toml"));
    }
}

#[test]
fn biomarkers_and_classifier_come_together() {
    let text = shipped().text;
    let (start, end) = (
        text.find("[classifier]").unwrap(),
        text.find("[enrollment]").unwrap(),
    );
    let without_rules = format!("{}{}", &text[..start], &text[end..]);
    let err = Scenario::from_text(Path::new("bad.toml"), without_rules)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("key `classifier`") && err.contains("need a [classifier]"),
        "{err}"
    );
    let (start, end) = (
        text.find("[[biomarker]]").unwrap(),
        text.find("[classifier]").unwrap(),
    );
    let without_markers = format!("{}{}", &text[..start], &text[end..]);
    let err = Scenario::from_text(Path::new("bad.toml"), without_markers)
        .unwrap_err()
        .to_string();
    assert!(err.contains("needs at least one [[biomarker]]"), "{err}");
}

#[test]
fn thresholds_are_sweepable_and_trade_sensitivity_for_predictive_value() {
    let base = shipped();
    let mut last: Option<(f64, f64)> = None;
    for cut in ["3000", "4420", "6000"] {
        let set = sweep::SetArg {
            key: "classifier.rule.mals.when.ferritin.above".into(),
            values: vec![cut.into()],
        };
        let point = sweep::grid(&base, &[set]).unwrap().remove(0);
        let d = &point.scenario.design;
        let sensitivity = d.endotypes[0].classified_as[0];
        let labelled: f64 = d
            .endotypes
            .iter()
            .map(|e| e.prevalence * e.classified_as[0])
            .sum();
        let ppv = d.endotypes[0].prevalence * sensitivity / labelled;
        if let Some((sens, pv)) = last {
            assert!(
                sensitivity < sens && ppv > pv,
                "cut {cut}: sensitivity {sensitivity}, PPV {ppv}"
            );
        }
        last = Some((sensitivity, ppv));
    }
}
