//! Non-inferiority (`analysis.non_inferiority_margin`, `analysis.margin_scale`):
//! - analytic power and stage-wise characteristics against rpact 3.3.4's own test values
//!   (tests/testthat/test-f_design_power_calculator.R, "'getPowerRates': Power calculation of
//!   rate in two samples for one-sided group sequential design, riskRatio = FALSE" and
//!   "..., riskRatio = TRUE", the cases on the side of harm), to 1e-6, and fresh
//!   getPowerRates / getPowerMeans runs for fixed and continuous designs;
//! - the simulated Farrington-Manning test against exact enumeration of every 2 x 2 table, with
//!   a z written here from the restricted maximum likelihood found numerically (no closed form
//!   shared with the engine), at the margin (type I error) and at no difference (power);
//! - the simulated group-sequential test against a fresh 20,000-iteration getSimulationRates,
//!   within 4 combined SE;
//! - a continuous margin against the exact noncentral-t power, within 4 SE;
//! - a hazard-ratio margin (the log-rank score test against theta0) against rpact's
//!   getPowerSurvival (Schoenfeld, to 1e-8) and getSimulationSurvival (100,000 iterations,
//!   within 4 combined SE), at the margin (type I error) and at no difference;
//! - bad margins exit 2 naming the key.

use crate::common;

use endotrial::engine;
use endotrial::engine::summary::{self, DesignColumns};
use endotrial::model::design::Design;
use endotrial::stats::power;

/// A two-arm binary design with a margin on `scale`, the arm at `arm_risk`.
#[allow(clippy::too_many_arguments)]
fn binary(
    control_risk: f64,
    arm_risk: f64,
    better: &str,
    n: u64,
    ratios: (u32, u32),
    margin: f64,
    scale: &str,
    alpha: f64,
    sequential: &str,
) -> String {
    common::OneEndotype {
        name: "ni",
        seed: 11,
        replicates: 200,
        control_risk,
        arm_risk,
        better,
        sample_size: n,
        ratios,
        analysis: &format!(
            "test = \"farrington_manning\"\nalpha = {alpha}\nalternative = \"one_sided\"\n\
             non_inferiority_margin = {margin}\nmargin_scale = \"{scale}\""
        ),
        rest: sequential,
    }
    .toml()
}

/// rpact's designGS1 of the test file: Wang-Tsiatis Delta 0.22 at alpha 0.07, looks 0.3, 0.7,
/// 1, futility bounds -0.5 and 0.5 (non-binding).
const GS1: &str = "[sequential]\nlooks = [0.3, 0.7, 1.0]\nefficacy = \"wang_tsiatis\"\nefficacy_parameter = 0.22\nfutility = \"z\"\nfutility_bounds = [-0.5, 0.5]";

fn assert_close(what: &str, ours: f64, rpact: f64) {
    assert!(
        (ours - rpact).abs() < 1e-6,
        "{what}: ours {ours}, rpact {rpact}"
    );
}

/// Overall power, per-look rejection and futility, and expected N against rpact.
fn assert_rpact(what: &str, d: &Design, overall: f64, reject: &[f64], futility: &[f64], n: f64) {
    assert_close(
        &format!("{what} power"),
        power::analytic_power(d, 1),
        overall,
    );
    let tally = engine::simulate(d, 0..d.replicates, &|_| {});
    let looks = summary::sequential_rows(d, &tally);
    for (k, look) in looks.iter().enumerate() {
        assert_close(
            &format!("{what} look {k}"),
            look.analytic_p_efficacy,
            reject[k],
        );
        let f = futility.get(k).copied().unwrap_or(0.0);
        assert_close(&format!("{what} futility {k}"), look.analytic_p_futility, f);
    }
    let row = summary::summarise(d, &tally).remove(0);
    let DesignColumns::Interim(s) = &row.design else {
        panic!("interim looks")
    };
    assert_close(
        &format!("{what} expected N"),
        s.analytic_expected_randomised,
        n,
    );
}

/// ```r
/// designGS1 <- getDesignGroupSequential(informationRates = c(0.3, 0.7, 1), sided = 1,
///     alpha = 0.07, beta = 0.1, futilityBounds = c(-0.5, 0.5), typeOfDesign = "WT",
///     deltaWT = 0.22)
/// getPowerRates(designGS1, groups = 2, thetaH0 = 0.1, pi2 = 0.4, pi1 = c(0.1, 0.2, 0.3),
///     directionUpper = FALSE, maxNumberOfSubjects = 40, allocationRatioPlanned = 3)
/// getPowerRates(designGS1, groups = 2, thetaH0 = -0.1, pi2 = 0.4, pi1 = c(0.2, 0.3, 0.4, 0.5),
///     directionUpper = TRUE, maxNumberOfSubjects = 80, allocationRatioPlanned = 3)
/// getPowerRates(designGS1, groups = 2, thetaH0 = 0.8, pi2 = 0.4, pi1 = c(0.4, 0.5, 0.6),
///     riskRatio = TRUE, directionUpper = TRUE, maxNumberOfSubjects = 80,
///     allocationRatioPlanned = 3)
/// ```
/// (printed to 15 digits; the test file's 8 agree). The test file's first risk-ratio case,
/// thetaH0 = 0.8 with directionUpper = FALSE, is a margin on the side of benefit (superiority
/// by a margin), which endotrial's non-inferiority margin does not express.
#[test]
fn group_sequential_margins_are_rpacts_own_test_values() {
    let rd1 = [
        (
            0.1,
            0.862170833008761,
            [0.212545847920953, 0.47569557954678, 0.173929405541028],
            [0.0234669606078601, 0.0291289189393532],
            27.3337473793596,
        ),
        (
            0.2,
            0.635255291048889,
            [0.110567373634112, 0.329108841409714, 0.195579076005062],
            [0.0592620432932598, 0.096088853985721],
            30.1424039812884,
        ),
        (
            0.3,
            0.373705860069547,
            [0.054245236507255, 0.180027974522625, 0.139432649039667],
            [0.119099618255298, 0.205016769244762],
            30.5258071414399,
        ),
    ];
    for (pi1, overall, reject, futility, n) in rd1 {
        let d = common::design(&binary(
            0.4,
            pi1,
            "lower",
            40,
            (1, 3),
            0.1,
            "risk_difference",
            0.07,
            GS1,
        ));
        assert_rpact(
            &format!("difference, lower better, pi1 {pi1}"),
            &d,
            overall,
            &reject,
            &futility,
            n,
        );
    }
    let rd2 = [
        (
            0.2,
            0.0111533347841367,
            [
                0.00287168292209239,
                0.00492295975560753,
                0.00335869210643677,
            ],
            [0.491052214707627, 0.40736295698097],
            42.4453997310579,
        ),
        (
            0.3,
            0.0674487227096718,
            [0.0111706443047621, 0.0304360010917485, 0.0258420773131612],
            [0.308537538725987, 0.401936705625231],
            51.7193967890705,
        ),
        (
            0.4,
            0.221254974072643,
            [0.0313646476263955, 0.102741201091677, 0.0871491253545703],
            [0.177896921767688, 0.291332408296275],
            58.8235854886205,
        ),
        (
            0.5,
            0.49276326616008,
            [0.0761784557230316, 0.245055389755941, 0.171529420681108],
            [0.0879864399824294, 0.150428998063344],
            61.3151405328314,
        ),
    ];
    for (pi1, overall, reject, futility, n) in rd2 {
        let d = common::design(&binary(
            0.4,
            pi1,
            "higher",
            80,
            (1, 3),
            0.1,
            "risk_difference",
            0.07,
            GS1,
        ));
        assert_rpact(
            &format!("difference, higher better, pi1 {pi1}"),
            &d,
            overall,
            &reject,
            &futility,
            n,
        );
    }
    let rr2 = [
        (
            0.4,
            0.208900642819873,
            [0.0296817829272851, 0.0967411335245078, 0.08247772636808],
            [0.184319993114461, 0.299340541215142],
            58.5099403479106,
        ),
        (
            0.5,
            0.525121043563105,
            [0.0830388091868878, 0.263519026967397, 0.17856320740882],
            [0.0808169959248495, 0.137133479276843],
            61.208414763881,
        ),
        (
            0.6,
            0.834674678343125,
            [0.193518052473669, 0.457863854224942, 0.183292771644514],
            [0.0274599110711953, 0.0360760931157514],
            55.770675305311,
        ),
    ];
    for (pi1, overall, reject, futility, n) in rr2 {
        let d = common::design(&binary(
            0.4,
            pi1,
            "higher",
            80,
            (1, 3),
            0.8,
            "risk_ratio",
            0.07,
            GS1,
        ));
        assert_rpact(
            &format!("ratio, higher better, pi1 {pi1}"),
            &d,
            overall,
            &reject,
            &futility,
            n,
        );
    }
}

/// Fixed designs:
/// ```r
/// f <- getDesignGroupSequential(kMax = 1, alpha = 0.025, sided = 1)
/// getPowerRates(f, groups = 2, thetaH0 = 0.1, pi2 = 0.3, pi1 = 0.3, directionUpper = FALSE,
///     maxNumberOfSubjects = 600)$overallReject                      # 0.76291487035317
/// getPowerRates(f, groups = 2, thetaH0 = 1.3, pi2 = 0.3, pi1 = 0.3, riskRatio = TRUE,
///     directionUpper = FALSE, maxNumberOfSubjects = 600)$overallReject  # 0.557323670883423
/// ```
#[test]
fn fixed_margins_are_rpacts_power() {
    let d = common::design(&binary(
        0.3,
        0.3,
        "lower",
        600,
        (1, 1),
        0.1,
        "risk_difference",
        0.025,
        "",
    ));
    assert_close("difference", power::analytic_power(&d, 1), 0.76291487035317);
    let d = common::design(&binary(
        0.3,
        0.3,
        "lower",
        600,
        (1, 1),
        1.3,
        "risk_ratio",
        0.025,
        "",
    ));
    assert_close("ratio", power::analytic_power(&d, 1), 0.557323670883423);
}

/// The Farrington-Manning z of a table against a risk difference `theta`, with the restricted
/// maximum likelihood found by golden-section search of the profile log likelihood over the
/// control risk (independent of the engine's closed form).
fn oracle_z(x1: u64, n1: u64, x0: u64, n0: u64, theta: f64) -> Option<f64> {
    let (r1, r0) = (x1 as f64 / n1 as f64, x0 as f64 / n0 as f64);
    let ll = |p0: f64| {
        let p1 = p0 + theta;
        let term = |x: u64, n: u64, p: f64| {
            let (x, n) = (x as f64, n as f64);
            (if x > 0.0 { x * p.ln() } else { 0.0 })
                + (if n > x { (n - x) * (1.0 - p).ln() } else { 0.0 })
        };
        term(x1, n1, p1) + term(x0, n0, p0)
    };
    // p0 in (max(0, -theta), min(1, 1 - theta)), so that both risks are in (0, 1).
    let (mut a, mut b) = ((-theta).max(0.0) + 1e-12, (1.0 - theta).min(1.0) - 1e-12);
    let g = (5f64.sqrt() - 1.0) / 2.0;
    for _ in 0..200 {
        let (c, d) = (b - g * (b - a), a + g * (b - a));
        if ll(c) > ll(d) { b = d } else { a = c }
    }
    let p0 = 0.5 * (a + b);
    let p1 = p0 + theta;
    let var = p1 * (1.0 - p1) / n1 as f64 + p0 * (1.0 - p0) / n0 as f64;
    (var > 0.0).then(|| (r1 - r0 - theta) / var.sqrt())
}

/// Exact probability that the oracle's z falls below -z_{alpha} (lower is better) with risks
/// p1 (n1 patients) and p0 (n0), by enumeration of every table.
fn exact_rejection(p1: f64, n1: u64, p0: f64, n0: u64, theta: f64, alpha: f64) -> f64 {
    use statrs::distribution::{Binomial, ContinuousCDF, Discrete, Normal};
    let critical = Normal::standard().inverse_cdf(1.0 - alpha);
    let (b1, b0) = (
        Binomial::new(p1, n1).unwrap(),
        Binomial::new(p0, n0).unwrap(),
    );
    let mut total = 0.0;
    for x1 in 0..=n1 {
        for x0 in 0..=n0 {
            if let Some(z) = oracle_z(x1, n1, x0, n0, theta)
                && z < -critical
            {
                total += b1.pmf(x1) * b0.pmf(x0);
            }
        }
    }
    total
}

/// 60 patients an arm (block randomisation, no dropout: sizes fixed), margin 0.15 on a risk of
/// 0.3, lower is better: at the margin (type I error) and at no difference (power).
#[test]
fn simulated_test_is_the_exact_farrington_manning_test() {
    for (arm_risk, what) in [(0.45, "type I error at the margin"), (0.3, "power")] {
        let text = binary(
            0.3,
            arm_risk,
            "lower",
            120,
            (1, 1),
            0.15,
            "risk_difference",
            0.025,
            "",
        )
        .replace("replicates = 200", "replicates = 40000");
        let d = common::design(&text);
        let row = common::run(&d).remove(0);
        let exact = exact_rejection(arm_risk, 60, 0.3, 60, 0.15, 0.025);
        let se = (exact * (1.0 - exact) / 40000.0).sqrt();
        common::assert_mc(what, row.power, exact, se);
    }
}

/// rpact's `.getFarringtonManningValuesDiff` closed form (the engine's) against the numerical
/// restricted maximum likelihood of `oracle_z`, through the z they give.
#[test]
fn restricted_maximum_likelihood_matches_a_numerical_one() {
    use endotrial::model::vocabulary::{Margin, MarginScale};
    use endotrial::stats::analysis::{self, Statistic, Table};
    for &(x1, n1, x0, n0, theta) in &[
        (18, 60, 21, 60, 0.15_f64),
        (5, 40, 30, 80, -0.1),
        (0, 50, 3, 50, 0.1),
        (44, 50, 20, 30, 0.05),
    ] {
        let margin = Margin {
            scale: MarginScale::RiskDifference,
            margin: theta.abs(),
            null: theta,
        };
        let Statistic::Z(z) =
            analysis::farrington_manning_z(&Table::new(x1, n1, x0, n0), Some(&margin))
        else {
            panic!("informative")
        };
        let oracle = oracle_z(x1, n1, x0, n0, theta).unwrap();
        assert!(
            (z - oracle).abs() < 1e-6,
            "{x1}/{n1} vs {x0}/{n0}: {z} vs {oracle}"
        );
    }
}

/// A two-look group-sequential non-inferiority trial (O'Brien-Fleming, non-binding futility at
/// z = 0), 400 patients, risks 0.3 in both arms, lower is better, margin 0.1 (difference) or 1.3
/// (ratio), against rpact 3.3.4 (R 4.2.2), 20,000 iterations each:
/// ```r
/// d <- getDesignGroupSequential(kMax = 2, alpha = 0.025, sided = 1, typeOfDesign = "asOF",
///     informationRates = c(0.5, 1), futilityBounds = 0, bindingFutility = FALSE)
/// s <- getSimulationRates(d, groups = 2, thetaH0 = 0.1, pi1 = 0.3, pi2 = 0.3,
///     directionUpper = FALSE, plannedSubjects = c(200, 400), maxNumberOfIterations = 20000,
///     seed = 20261207)
/// s$rejectPerStage; s$futilityPerStage   # 0.08235 0.49935; 0.0606
/// s$expectedNumberOfSubjects             # 371.41
/// s <- getSimulationRates(d, groups = 2, thetaH0 = 1.3, riskRatio = TRUE, pi1 = 0.3, pi2 = 0.3,
///     directionUpper = FALSE, plannedSubjects = c(200, 400), maxNumberOfIterations = 20000,
///     seed = 20261208)
/// s$rejectPerStage; s$futilityPerStage   # 0.0406 0.36135; 0.11345
/// s$expectedNumberOfSubjects             # 369.19
/// ```
#[test]
fn simulated_sequential_margins_agree_with_rpacts_simulation() {
    let looks = "[sequential]\nlooks = [0.5, 1.0]\nefficacy = \"obrien_fleming\"\nfutility = \"z\"\nfutility_bounds = [0.0]";
    let rpact_iterations = 20_000.0;
    for (margin, scale, reject, futility, expected_n) in [
        (0.1, "risk_difference", [0.08235, 0.49935], 0.0606, 371.41),
        (1.3, "risk_ratio", [0.0406, 0.36135], 0.11345, 369.19),
    ] {
        let text = binary(0.3, 0.3, "lower", 400, (1, 1), margin, scale, 0.025, looks)
            .replace("replicates = 200", "replicates = 40000");
        let d = common::design(&text);
        let tally = engine::simulate(&d, 0..d.replicates, &|_| {});
        let rows = summary::sequential_rows(&d, &tally);
        let se = |p: f64, n: f64| p * (1.0 - p) / n;
        let combined = |ours: f64, rpact: f64| {
            (se(ours, d.replicates as f64) + se(rpact, rpact_iterations)).sqrt()
        };
        for (k, &r) in reject.iter().enumerate() {
            let ours = rows[k].p_efficacy;
            common::assert_mc(&format!("{scale} look {k}"), ours, r, combined(ours, r));
        }
        let ours = rows[0].p_futility;
        common::assert_mc(
            &format!("{scale} futility"),
            ours,
            futility,
            combined(ours, futility),
        );
        // N is 200 or 400: its SE is 200 x the SE of stopping early.
        let row = summary::summarise(&d, &tally).remove(0);
        let DesignColumns::Interim(s) = &row.design else {
            panic!("interim looks")
        };
        let early = (400.0 - expected_n) / 200.0;
        common::assert_mc(
            &format!("{scale} expected N"),
            s.expected_randomised,
            expected_n,
            200.0 * combined(s.p_early_stop, early),
        );
    }
}

/// A continuous outcome, one endotype (normal, SD 3), no difference, margin 1 point (higher is
/// better), 100 an arm: the t test against the margin has exactly the noncentral-t power
/// `1 - pt(qt(0.975, 198), 198, 1 / (3 sqrt(2 / 100)))` = 0.650108691364332 (R 4.2.2); the
/// analytic power is that to 1e-9 and the simulated within 4 SE.
#[test]
fn continuous_margin_is_the_shifted_t_test() {
    let text = common::OneEndotypeContinuous {
        name: "ni_sofa",
        seed: 5,
        replicates: 40000,
        sd: 3.0,
        difference: 0.0,
        better: "higher",
        sample_size: 200,
        analysis: "test = \"t_test\"\nalpha = 0.025\nalternative = \"one_sided\"\n\
                   non_inferiority_margin = 1.0\nmargin_scale = \"mean_difference\"",
        rest: "",
    }
    .toml();
    let d = common::design(&text);
    let exact = 0.650108691364332;
    let analytic = power::analytic_power(&d, 1);
    assert!((analytic - exact).abs() < 1e-9, "{analytic}");
    let row = common::run(&d).remove(0);
    common::assert_mc(
        "power",
        row.power,
        exact,
        (exact * (1.0 - exact) / 40000.0).sqrt(),
    );
}

/// Bad margins exit 2 naming the key, results untouched.
/// The event-driven time-to-event design of tests/survival.rs (1,600 patients over 720 days,
/// 28-day mortality 0.3 under control, analysis at the 380th death) testing non-inferiority of
/// the drug at hazard ratio `hr` against the margin 1.3.
fn survival_margin(hr: f64, replicates: u64, sequential: &str) -> String {
    let text = crate::survival::EVENT_DRIVEN
        .replace("replicates = 40000", &format!("replicates = {replicates}"))
        .replace("all = 0.75", &format!("all = {hr}"));
    format!("{text}non_inferiority_margin = 1.3\nmargin_scale = \"hazard_ratio\"\n{sequential}")
}

/// rpact 3.3.4 (R 4.2.2), lambda2 <- -log(0.7) / 28:
/// ```r
/// d1 <- getDesignGroupSequential(kMax = 1, alpha = 0.025, sided = 1)
/// getPowerSurvival(d1, lambda2 = lambda2, hazardRatio = 1, thetaH0 = 1.3,
///   directionUpper = FALSE, accrualTime = c(0, 720), maxNumberOfSubjects = 1600,
///   maxNumberOfEvents = 380)$overallReject                      # 0.724828606023817
/// d <- getDesignGroupSequential(kMax = 2, alpha = 0.025, sided = 1,
///   informationRates = c(0.5, 1), typeOfDesign = "asOF")
/// getPowerSurvival(d, <the same>)$rejectPerStage   # 0.124174841255379 0.598981793794440
/// s <- getSimulationSurvival(d, lambda2 = lambda2, hazardRatio = 1, thetaH0 = 1.3,
///   directionUpper = FALSE, accrualTime = c(0, 720), maxNumberOfSubjects = 1600,
///   plannedEvents = c(190, 380), maxNumberOfIterations = 100000, seed = 20261209,
///   longTimeSimulationAllowed = TRUE)
/// s$rejectPerStage   # 0.12775 0.59633 (overallReject 0.72408)
/// # At the margin (hazardRatio = 1.3, seed = 20261210):
/// s0$rejectPerStage  # 0.00172 0.02417 (overallReject 0.02589)
/// ```
#[test]
fn hazard_ratio_margin_is_rpacts_log_rank_against_theta0() {
    let fixed = common::design(&survival_margin(1.0, 100, ""));
    let p = power::analytic_power(&fixed, 1);
    assert!((p - 0.724828606023817).abs() < 1e-8, "{p}");
    let looks = "[sequential]\nlooks = [0.5, 1.0]\nefficacy = \"obrien_fleming\"\n";
    let se = |p: f64| (p * (1.0 - p) / 100_000.0).sqrt();
    for (hr, rpact, overall) in [
        (1.0, [0.12775, 0.59633], 0.72408),
        (1.3, [0.00172, 0.02417], 0.02589),
    ] {
        let d = common::design(&survival_margin(hr, 100_000, looks));
        let tally = engine::simulate(&d, 0..d.replicates, &|_| {});
        let row = summary::summarise(&d, &tally).remove(0);
        let rows = summary::sequential_rows(&d, &tally);
        if hr == 1.0 {
            for (r, analytic) in rows.iter().zip([0.124174841255379, 0.598981793794440]) {
                assert!((r.analytic_p_efficacy - analytic).abs() < 1e-8, "{r:?}");
            }
        }
        for (k, r) in rows.iter().enumerate() {
            let tol = 4.0 * (r.p_efficacy_se.powi(2) + se(rpact[k]).powi(2)).sqrt();
            assert!(
                (r.p_efficacy - rpact[k]).abs() < tol,
                "HR {hr}, look {k}: {} vs {}",
                r.p_efficacy,
                rpact[k]
            );
        }
        let tol = 4.0 * (row.power_se.powi(2) + se(overall).powi(2)).sqrt();
        assert!(
            (row.power - overall).abs() < tol,
            "HR {hr}: {} vs {overall}",
            row.power
        );
        assert_eq!(row.margin.map(|m| m.null), Some(1.3));
    }
}

#[test]
fn bad_margins_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    let good = binary(
        0.3,
        0.3,
        "lower",
        400,
        (1, 1),
        0.1,
        "risk_difference",
        0.025,
        "",
    );
    common::design(&good);
    for (from, to, what, key) in [
        (
            "margin_scale = \"risk_difference\"\n",
            "",
            "margin without scale",
            "analysis.margin_scale",
        ),
        (
            "non_inferiority_margin = 0.1\n",
            "",
            "scale without margin",
            "analysis.non_inferiority_margin",
        ),
        (
            "non_inferiority_margin = 0.1",
            "non_inferiority_margin = -0.1",
            "negative margin",
            "analysis.non_inferiority_margin",
        ),
        (
            "non_inferiority_margin = 0.1",
            "non_inferiority_margin = 1.5",
            "margin above 1",
            "analysis.non_inferiority_margin",
        ),
        (
            "margin_scale = \"risk_difference\"",
            "margin_scale = \"mean_difference\"",
            "scale of another endpoint",
            "analysis.margin_scale",
        ),
        (
            "alternative = \"one_sided\"",
            "alternative = \"two_sided\"",
            "two-sided",
            "analysis.alternative",
        ),
        (
            "test = \"farrington_manning\"",
            "test = \"fisher_exact\"",
            "a test without a margin",
            "analysis.test",
        ),
    ] {
        assert!(good.contains(from), "{what}");
        common::assert_refused(dir.path(), &results, &good.replacen(from, to, 1), what, key);
    }
    // A hazard-ratio margin: on the side of harm (above 1 for deaths), with a log-rank test,
    // and only for time to event.
    let hazard = survival_margin(1.0, 100, "");
    common::design(&hazard);
    for (from, to, what, key) in [
        (
            "non_inferiority_margin = 1.3",
            "non_inferiority_margin = 0.8",
            "a hazard-ratio margin below 1",
            "analysis.non_inferiority_margin",
        ),
        (
            "margin_scale = \"hazard_ratio\"",
            "margin_scale = \"risk_ratio\"",
            "a risk-ratio margin for time to event",
            "analysis.margin_scale",
        ),
    ] {
        assert!(hazard.contains(from), "{what}");
        common::assert_refused(
            dir.path(),
            &results,
            &hazard.replacen(from, to, 1),
            what,
            key,
        );
    }
    let binary_hazard = good.replacen(
        "margin_scale = \"risk_difference\"",
        "margin_scale = \"hazard_ratio\"",
        1,
    );
    common::assert_refused(
        dir.path(),
        &results,
        &binary_hazard,
        "a hazard-ratio margin for a binary endpoint",
        "analysis.margin_scale",
    );
    // A ratio margin on the side of benefit: lower is better, so it must be above 1.
    let ratio = binary(0.3, 0.3, "lower", 400, (1, 1), 0.8, "risk_ratio", 0.025, "");
    common::assert_refused(
        dir.path(),
        &results,
        &ratio,
        "ratio below 1",
        "analysis.non_inferiority_margin",
    );
}
