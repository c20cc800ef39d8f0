//! The analytic stage-wise characteristics of a design with interim looks (sequential.csv's
//! `analytic_p_efficacy`, `analytic_p_futility`, `analytic_cumulative_power`; summary.csv's
//! `analytic_expected_randomised`) against rpact 3.3.4 (R 4.2.2):
//! - rates, two-sided: the values of rpact's own test suite
//!   (tests/testthat/test-f_design_power_calculator.R, "'getPowerRates': Power calculation of
//!   rate in two samples for two-sided group sequential design", first case);
//! - rates, one-sided with futility bounds, lower is better, 2:1: a fresh getPowerRates run;
//! - means, two-sided, 7:10: getPowerMeans with normalApproximation = TRUE (endotrial's
//!   analytic power of a continuous sequential design is the normal approximation; rpact's own
//!   test uses normalApproximation = FALSE, whose t-adjusted shift differs by about 2e-3).
//!
//! Deterministic values: within 1e-6.

use crate::common;

use endotrial::engine::summary::DesignColumns;
use endotrial::engine::{self, summary};
use endotrial::model::design::Design;

const TOL: f64 = 1e-6;

/// A two-arm, one-endotype scenario without dropout or pipeline: rpact's model.
fn scenario(endpoint: &str, n: u64, ratios: (u32, u32), analysis: &str, looks: &str) -> String {
    let (control, drug) = ratios;
    format!(
        r#"
name = "stages"
[simulation]
replicates = 200
seed = 1
{endpoint}
[enrollment]
sample_size = {n}
[[arm]]
name = "control"
ratio = {control}
[[arm]]
name = "drug"
ratio = {drug}
treatment = "drug"
[analysis]
control = "control"
{analysis}
[sequential]
{looks}
"#
    )
}

fn binary(control_risk: f64, drug_risk: f64, better: &str) -> String {
    format!(
        r#"
[[endotype]]
name = "all"
prevalence = 1.0
control_risk = {control_risk}
[endpoint]
event = "death"
better = "{better}"
[[treatment]]
name = "drug"
effect = "risk"
by_endotype = {{ all = {drug_risk} }}
"#
    )
}

/// The analytic columns of a (short) run: per look (p_efficacy, p_futility, cumulative power),
/// and the expected number randomised.
fn analytic(d: &Design) -> (Vec<[f64; 3]>, f64) {
    let tally = engine::simulate(d, 0..d.replicates, &|_| {});
    let looks = summary::sequential_rows(d, &tally)
        .iter()
        .map(|r| {
            [
                r.analytic_p_efficacy,
                r.analytic_p_futility,
                r.analytic_cumulative_power,
            ]
        })
        .collect();
    let rows = summary::summarise(d, &tally);
    let DesignColumns::Interim(s) = &rows[0].design else {
        panic!("a design with interim looks")
    };
    (looks, s.analytic_expected_randomised)
}

fn assert_close(what: &str, ours: f64, rpact: f64) {
    assert!(
        (ours - rpact).abs() < TOL,
        "{what}: ours {ours}, rpact {rpact}"
    );
}

/// Checks the per-look rejection (and futility) probabilities, their cumulative sum, the
/// early-stopping probability and the expected sample size.
fn assert_stages(
    what: &str,
    d: &Design,
    reject: &[f64],
    futility: &[f64],
    early_stop: f64,
    expected_n: f64,
) {
    let (looks, expected) = analytic(d);
    assert_eq!(looks.len(), reject.len(), "{what}");
    let mut cumulative = 0.0;
    for (k, look) in looks.iter().enumerate() {
        cumulative += reject[k];
        assert_close(&format!("{what} look {k} efficacy"), look[0], reject[k]);
        let f = futility.get(k).copied().unwrap_or(0.0);
        assert_close(&format!("{what} look {k} futility"), look[1], f);
        assert_close(&format!("{what} look {k} cumulative"), look[2], cumulative);
    }
    let last = looks.len() - 1;
    let early: f64 = looks[..last].iter().map(|l| l[0] + l[1]).sum();
    assert_close(&format!("{what} early stop"), early, early_stop);
    assert_close(&format!("{what} expected N"), expected, expected_n);
}

/// rpact's test suite, test-f_design_power_calculator.R, "'getPowerRates': Power calculation of
/// rate in two samples for two-sided group sequential design":
/// ```r
/// designGS2 <- getDesignGroupSequential(informationRates = c(0.3, 0.7, 1), alpha = 0.4,
///     sided = 2, beta = 0.1, typeOfDesign = "WT", deltaWT = 0.22)
/// powerResult <- getPowerRates(designGS2, groups = 2, pi2 = 0.5, pi1 = c(0.1, 0.2, 0.3),
///     riskRatio = FALSE, maxNumberOfSubjects = 40, allocationRatioPlanned = 0.5)
/// ```
/// (the values below are the same run printed to 15 digits; the test file's 8 agree).
#[test]
fn two_sided_rates_are_rpacts_own_test_values() {
    let reject = [
        [0.534569285465312, 0.37045798761258, 0.0695549300855062],
        [0.331876122308602, 0.368711949440672, 0.146299146551882],
        [0.213153895422907, 0.277936292594577, 0.15459789897222],
    ];
    let early_stop = [0.905027273077892, 0.700588071749273, 0.491090188017484];
    let expected_n = [20.5865641556203, 26.2829251820711, 30.6964554170237];
    for (i, pi1) in [0.1, 0.2, 0.3].into_iter().enumerate() {
        let d = common::design(&scenario(
            &binary(0.5, pi1, "lower"),
            40,
            (2, 1),
            "test = \"chi_square\"\nalpha = 0.4\nalternative = \"two_sided\"",
            "looks = [0.3, 0.7, 1.0]\nefficacy = \"wang_tsiatis\"\nefficacy_parameter = 0.22",
        ));
        assert_stages(
            &format!("pi1 {pi1}"),
            &d,
            &reject[i],
            &[],
            early_stop[i],
            expected_n[i],
        );
    }
}

/// ```r
/// d2 <- getDesignGroupSequential(kMax=3, alpha=0.025, sided=1, typeOfDesign="asP",
///        informationRates=c(0.3,0.7,1), futilityBounds=c(-0.5,0.5))
/// r <- getPowerRates(d2, groups=2, pi1=0.3, pi2=0.45, maxNumberOfSubjects=300,
///        allocationRatioPlanned=2, directionUpper=FALSE)
/// r$rejectPerStage    # 0.181208548742437 0.298719635530296 0.165343040807523
/// r$futilityPerStage  # 0.0286466645117443 0.0381995394004692
/// r$earlyStop         # 0.546774388184947
/// r$expectedNumberOfSubjects   # 225.607679472853
/// ```
#[test]
fn one_sided_rates_with_futility_are_rpacts() {
    let d = common::design(&scenario(
        &binary(0.45, 0.3, "lower"),
        300,
        (1, 2),
        "test = \"chi_square\"\nalpha = 0.025\nalternative = \"one_sided\"",
        "looks = [0.3, 0.7, 1.0]\nefficacy = \"pocock\"\nfutility = \"z\"\nfutility_bounds = [-0.5, 0.5]",
    ));
    assert_stages(
        "pocock",
        &d,
        &[0.181208548742437, 0.298719635530296, 0.165343040807523],
        &[0.0286466645117443, 0.0381995394004692],
        0.546774388184947,
        225.607679472853,
    );
}

/// ```r
/// d <- getDesignGroupSequential(informationRates = c(0.3, 0.7, 1), alpha = 0.4, sided = 2,
///        beta = 0.1, typeOfDesign = "WT", deltaWT = 0.22)
/// r <- getPowerMeans(d, groups = 2, stDev = 2, normalApproximation = TRUE, alternative = 1.2,
///        maxNumberOfSubjects = 50, allocationRatioPlanned = 0.7)
/// r$rejectPerStage   # 0.359075831392232 0.378967733257689 0.137882306150691
/// r$earlyStop        # 0.738043564649921
/// r$expectedNumberOfSubjects   # 31.7478299024066
/// ```
#[test]
fn two_sided_means_are_rpacts_normal_approximation() {
    let endpoint = r#"
[[endotype]]
name = "all"
prevalence = 1.0
control_mean = 0.0
sd = 2.0
[endpoint]
kind = "continuous"
outcome = "score"
better = "higher"
[[treatment]]
name = "drug"
effect = "mean_difference"
by_endotype = { all = 1.2 }
"#;
    let d = common::design(&scenario(
        endpoint,
        50,
        (10, 7),
        "test = \"t_test\"\nalpha = 0.4\nalternative = \"two_sided\"",
        "looks = [0.3, 0.7, 1.0]\nefficacy = \"wang_tsiatis\"\nefficacy_parameter = 0.22",
    ));
    assert_stages(
        "means",
        &d,
        &[0.359075831392232, 0.378967733257689, 0.137882306150691],
        &[],
        0.738043564649921,
        31.7478299024066,
    );
}
