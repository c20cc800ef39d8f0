//! Sample-size re-estimation by conditional power (`[sequential] reestimate`):
//! - simulated against fresh 100,000-iteration runs of rpact 3.3.4's `getSimulationRates` on
//!   inverse-normal designs (superiority with the observed effect; non-inferiority on the risk
//!   difference with the planned effect, 2:1, three stages and futility; non-inferiority on the
//!   risk ratio), within 4 combined SE, under the scenario's effect and on the null boundary.
//!   rpact's own test file (test-f_simulation_base_rates.R) re-estimates only
//!   group-sequential designs (the cumulative statistic, which does not keep the type I error
//!   once the stages are resized) and one-sample ones: endotrial has neither, so none of its
//!   values apply;
//! - against the exact law of a small two-stage design: every stage-1 table, the stage-2 size
//!   by rpact's formula written again here, every stage-2 table and allocation;
//! - the type I error of a large design within MC error of alpha;
//! - bad keys exit 2 naming them.

use crate::common::{self, assert_mc};

use endotrial::engine;
use endotrial::engine::summary;
use endotrial::engine::tally::Tally;
use endotrial::model::design::Design;

/// A two-arm binary design, one endotype, `arm_risk` against `control_risk`.
#[allow(clippy::too_many_arguments)]
fn binary(
    control_risk: f64,
    arm_risk: f64,
    better: &str,
    n: u64,
    ratios: (u32, u32),
    analysis: &str,
    sequential: &str,
    replicates: u64,
) -> String {
    common::OneEndotype {
        name: "ssr",
        seed: 2026,
        replicates,
        control_risk,
        arm_risk,
        better,
        sample_size: n,
        ratios,
        analysis: &format!("alpha = 0.025\nalternative = \"one_sided\"\n{analysis}"),
        rest: &format!("[sequential]\n{sequential}"),
    }
    .toml()
}

/// rpact's results for one value of pi1.
struct Rpact {
    overall: f64,
    reject: &'static [f64],
    futility: &'static [f64],
    expected_n: f64,
    /// Mean conditional power achieved by each re-estimated stage (from the second look).
    cp: &'static [f64],
}

/// What endotrial simulated for the same design.
fn simulate(d: &Design) -> Tally {
    engine::simulate(d, 0..d.replicates, &|_| {})
}

/// Compares a simulation of `d` with rpact's run of `iterations` under the scenario's effect
/// (`alt`) and on the null boundary (`null`, of which endotrial keeps the rejections and the
/// patients). Proportions use their binomial SE; means of quantities within [lo, hi] the
/// largest SE such a quantity can have, (hi - lo) / 2 / sqrt(n).
fn assert_rpact(what: &str, d: &Design, alt: &Rpact, null: &Rpact, iterations: f64) {
    let tally = simulate(d);
    let r = tally.trials as f64;
    let s = tally.sequential().unwrap();
    let e = s.reestimation.as_ref().unwrap();
    let rule = d.reestimation().unwrap();
    let p_se = |p: f64| (p * (1.0 - p) / r + p * (1.0 - p) / iterations).sqrt();
    let bounded_se =
        |lo: f64, hi: f64, n: f64, m: f64| (hi - lo) / 2.0 * (1.0 / n + 1.0 / m).sqrt();
    let looks = s.looks;
    let mut overall = 0;
    for k in 0..looks {
        let reject = s.efficacy[k] as f64 / r;
        overall += s.efficacy[k];
        assert_mc(
            &format!("{what}: reject at look {}", k + 1),
            reject,
            alt.reject[k],
            p_se(alt.reject[k]),
        );
        if k + 1 < looks {
            let futile = s.futility[k] as f64 / r;
            let reference = alt.futility.get(k).copied().unwrap_or(0.0);
            assert_mc(
                &format!("{what}: futility at look {}", k + 1),
                futile,
                reference,
                p_se(reference),
            );
        }
    }
    let power = overall as f64 / r;
    assert_mc(
        &format!("{what}: power"),
        power,
        alt.overall,
        p_se(alt.overall),
    );
    let (lo, hi) = (rule.stage_min[0] as f64, rule.max_total as f64);
    let n = s.sum_randomised as f64 / r;
    assert_mc(
        &format!("{what}: expected N"),
        n,
        alt.expected_n,
        bounded_se(lo, hi, r, iterations),
    );
    // The mean conditional power achieved, over the trials that reached each look.
    let rows = summary::sequential_rows(d, &tally);
    for ((row, &reached), &reference) in rows.iter().zip(&s.reached).skip(1).zip(alt.cp) {
        let reached = reached as f64;
        let reference_reached = iterations * (reached / r);
        let cp = row.reestimation.unwrap().mean_conditional_power;
        assert_mc(
            &format!("{what}: conditional power at look {}", row.look),
            cp,
            reference,
            bounded_se(0.0, 1.0, reached, reference_reached),
        );
    }
    let type_i = e.null_rejections as f64 / r;
    assert_mc(
        &format!("{what}: type I error"),
        type_i,
        null.overall,
        p_se(null.overall),
    );
    let null_n = e.null_randomised as f64 / r;
    assert_mc(
        &format!("{what}: expected N under H0"),
        null_n,
        null.expected_n,
        bounded_se(lo, hi, r, iterations),
    );
}

/// ```r
/// library(rpact)  # 3.3.4
/// d <- getDesignInverseNormal(kMax = 2, alpha = 0.025, typeOfDesign = "asOF", informationRates = c(0.5, 1))
/// s <- getSimulationRates(d, pi1 = c(0.2, 0.35), pi2 = 0.2, plannedSubjects = c(100, 200),
///   conditionalPower = 0.8, minNumberOfSubjectsPerStage = c(100, 100),
///   maxNumberOfSubjectsPerStage = c(100, 300), maxNumberOfIterations = 100000, seed = 1)
/// s$overallReject                # 0.02485 0.84277
/// s$rejectPerStage               # 0.00129 0.02356 / 0.09515 0.74762
/// s$expectedNumberOfSubjects     # 386.4806 276.5655
/// s$conditionalPowerAchieved[2,] # 0.1608319 0.6653003
///
/// dB <- getDesignInverseNormal(kMax = 3, alpha = 0.025, typeOfDesign = "asP",
///   informationRates = c(1, 2, 3) / 3, futilityBounds = c(0, 0), bindingFutility = FALSE)
/// sB <- getSimulationRates(dB, pi1 = c(0.30, 0.22), pi2 = 0.25, thetaH0 = 0.05,
///   allocationRatioPlanned = 2, directionUpper = FALSE, plannedSubjects = c(100, 200, 300),
///   conditionalPower = 0.8, minNumberOfSubjectsPerStage = c(100, 100, 100),
///   maxNumberOfSubjectsPerStage = c(100, 400, 400), pi1H1 = 0.22, pi2H1 = 0.25,
///   maxNumberOfIterations = 100000, seed = 11)
/// # overallReject 0.02652 0.59529; rejectPerStage 0.01245 0.00820 0.00587 | 0.09718 0.27392 0.22419
/// # futilityPerStage 0.50992 0.12199 | 0.19298 0.00469; expectedNumberOfSubjects 429.81414 553.88598
/// # conditionalPowerAchieved (looks 2, 3) 0.291863627354075 0.234216420735776 | 0.387659278689385 0.518357768052460
///
/// dC <- getDesignInverseNormal(kMax = 2, alpha = 0.025, typeOfDesign = "asOF", informationRates = c(0.4, 1))
/// sC <- getSimulationRates(dC, pi1 = c(0.25, 0.2), pi2 = 0.2, thetaH0 = 1.25, riskRatio = TRUE,
///   directionUpper = FALSE, plannedSubjects = c(400, 1000), conditionalPower = 0.9,
///   minNumberOfSubjectsPerStage = c(400, 400), maxNumberOfSubjectsPerStage = c(400, 1600),
///   maxNumberOfIterations = 100000, seed = 12)
/// # overallReject 0.02529 0.60667; rejectPerStage 0.00033 0.02496 | 0.01415 0.59252
/// # expectedNumberOfSubjects 1934.42562 1624.61021; conditionalPowerAchieved 0.192093650487139 0.551584050217526
/// ```
/// endotrial randomises in permuted blocks, rpact gives the arm ceil(r n / (1 + r)) of each
/// stage: the same law where a stage fills whole blocks, within a patient otherwise.
#[test]
fn reestimated_designs_agree_with_rpacts_simulation() {
    let reestimate = |extra: &str| {
        format!("reestimate = {{ conditional_power = 0.8, max_sample_size = 400{extra} }}")
    };
    let a = binary(
        0.2,
        0.35,
        "higher",
        200,
        (1, 1),
        "test = \"chi_square\"",
        &format!(
            "looks = [0.5, 1.0]\nefficacy = \"obrien_fleming\"\n{}",
            reestimate("")
        ),
        100_000,
    );
    assert_rpact(
        "superiority, observed effect",
        &common::design(&a),
        &Rpact {
            overall: 0.84277,
            reject: &[0.09515, 0.74762],
            futility: &[],
            expected_n: 276.5655,
            cp: &[0.6653003],
        },
        &Rpact {
            overall: 0.02485,
            reject: &[0.00129, 0.02356],
            futility: &[],
            expected_n: 386.4806,
            cp: &[0.1608319],
        },
        100_000.0,
    );
    let b = binary(
        0.25,
        0.22,
        "lower",
        300,
        (1, 2),
        "test = \"farrington_manning\"\nnon_inferiority_margin = 0.05\nmargin_scale = \"risk_difference\"",
        "looks = [0.3333333333333333, 0.6666666666666666, 1.0]\nefficacy = \"pocock\"\nfutility = \"z\"\nfutility_bounds = [0, 0]\nreestimate = { conditional_power = 0.8, max_sample_size = 900, effect = \"planned\" }",
        100_000,
    );
    assert_rpact(
        "non-inferiority, risk difference, planned effect, three stages",
        &common::design(&b),
        &Rpact {
            overall: 0.59529,
            reject: &[0.09718, 0.27392, 0.22419],
            futility: &[0.19298, 0.00469],
            expected_n: 553.88598,
            cp: &[0.387659278689385, 0.518357768052460],
        },
        &Rpact {
            overall: 0.02652,
            reject: &[0.01245, 0.00820, 0.00587],
            futility: &[0.50992, 0.12199],
            expected_n: 429.81414,
            cp: &[0.291863627354075, 0.234216420735776],
        },
        100_000.0,
    );
    let c = binary(
        0.2,
        0.2,
        "lower",
        1000,
        (1, 1),
        "test = \"farrington_manning\"\nnon_inferiority_margin = 1.25\nmargin_scale = \"risk_ratio\"",
        "looks = [0.4, 1.0]\nefficacy = \"obrien_fleming\"\nreestimate = { conditional_power = 0.9, min_sample_size = 800, max_sample_size = 2000 }",
        100_000,
    );
    assert_rpact(
        "non-inferiority, risk ratio, observed effect",
        &common::design(&c),
        &Rpact {
            overall: 0.60667,
            reject: &[0.01415, 0.59252],
            futility: &[],
            expected_n: 1624.61021,
            cp: &[0.551584050217526],
        },
        &Rpact {
            overall: 0.02529,
            reject: &[0.00033, 0.02496],
            futility: &[],
            expected_n: 1934.42562,
            cp: &[0.192093650487139],
        },
        100_000.0,
    );
}

/// rpact's inverse-normal O'Brien-Fleming-type bounds at information 0.5 and 1, alpha 0.025
/// (`getDesignInverseNormal(kMax = 2, alpha = 0.025, typeOfDesign = "asOF")$criticalValues`).
const OBF_HALF: [f64; 2] = [2.96258804272755, 1.96859564632177];

/// The pooled two-sample z of x1 / m1 against x0 / m0 (0 without events or non-events, as
/// rpact sets a statistic without information).
fn pooled_z(x1: u64, m1: u64, x0: u64, m0: u64) -> f64 {
    let pooled = (x1 + x0) as f64 / (m1 + m0) as f64;
    if pooled == 0.0 || pooled == 1.0 {
        return 0.0;
    }
    let (r1, r0) = (x1 as f64 / m1 as f64, x0 as f64 / m0 as f64);
    (r1 - r0) / (pooled * (1.0 - pooled) * (1.0 / m1 as f64 + 1.0 / m0 as f64)).sqrt()
}

/// The exact operating characteristics of a two-stage 1:1 superiority design (10 + 10 at the
/// interim, O'Brien-Fleming-type bounds, futility z <= 0, stage 2 of 30 to 60 patients sized
/// for conditional power 0.8 at the observed risks) at true risks `p1` (arm) and `p0`:
/// (P(efficacy at 1), P(futility at 1), power, expected N, mean conditional power achieved
/// over the trials that continue). Stage 2's size is rpact's formula
/// (`getSimulationRatesStageSubjectsCpp`, thetaH0 = 0: the restricted risks are the pooled
/// risk), written here from its source; an odd stage gives the extra patient to either arm
/// with probability 1/2 (the first place of a fresh permuted block).
fn exact_two_stage(p1: f64, p0: f64) -> (f64, f64, f64, f64, f64) {
    use statrs::distribution::{ContinuousCDF, Normal};
    let phi = Normal::standard();
    let (c1, c2) = (OBF_HALF[0], OBF_HALF[1]);
    let z_cp = phi.inverse_cdf(0.8);
    let stage1_arm = common::binomial_pmf(10, p1);
    let stage1_control = common::binomial_pmf(10, p0);
    let (mut efficacy1, mut futility1, mut power, mut n, mut cp_sum, mut go_on) =
        (0.0, 0.0, 0.0, 20.0, 0.0, 0.0);
    for (x1, &f1) in stage1_arm.iter().enumerate() {
        for (x0, &f0) in stage1_control.iter().enumerate() {
            let w = f1 * f0;
            let z1 = pooled_z(x1 as u64, 10, x0 as u64, 10);
            if z1 >= c1 {
                efficacy1 += w;
                power += w;
                continue;
            }
            if z1 <= 0.0 {
                futility1 += w;
                continue;
            }
            go_on += w;
            let c = (c2 - z1 * 0.5f64.sqrt()) / 0.5f64.sqrt();
            let (r1, r0) = (x1 as f64 / 10.0, x0 as f64 / 10.0);
            let f = (r1 + r0) / 2.0;
            let sd0 = (2.0 * f * (1.0 - f)).sqrt();
            let sd1 = (r1 * (1.0 - r1) + r0 * (1.0 - r0)).sqrt();
            let effect = r1 - r0;
            let raw = 2.0 * (c * sd0 + z_cp * sd1).max(0.0).powi(2) / effect.max(1e-12).powi(2);
            let m = raw.clamp(30.0, 60.0).ceil() as u64;
            n += w * m as f64;
            let drift = if sd1 == 0.0 {
                0.0
            } else {
                effect * (m as f64).sqrt() / (2f64.sqrt() * sd1)
                    + effect.signum() * c * (1.0 - sd0 / sd1)
            };
            cp_sum += w * phi.sf(c - drift);
            let splits: Vec<(u64, f64)> = if m.is_multiple_of(2) {
                vec![(m / 2, 1.0)]
            } else {
                vec![(m / 2 + 1, 0.5), (m / 2, 0.5)]
            };
            for (m1, share) in splits {
                let m0 = m - m1;
                let arm = common::binomial_pmf(m1, p1);
                let control = common::binomial_pmf(m0, p0);
                for (y1, &g1) in arm.iter().enumerate() {
                    for (y0, &g0) in control.iter().enumerate() {
                        let z2 = pooled_z(y1 as u64, m1, y0 as u64, m0);
                        if (z1 + z2) * 0.5f64.sqrt() >= c2 {
                            power += w * share * g1 * g0;
                        }
                    }
                }
            }
        }
    }
    (efficacy1, futility1, power, n, cp_sum / go_on)
}

/// The simulated re-estimated design against its exact law, at an effect and under the null.
#[test]
fn a_small_two_stage_design_has_its_exact_law() {
    let text = binary(
        0.3,
        0.5,
        "higher",
        40,
        (1, 1),
        "test = \"chi_square\"",
        "looks = [0.5, 1.0]\nefficacy = \"obrien_fleming\"\nfutility = \"z\"\nfutility_bounds = [0]\nreestimate = { conditional_power = 0.8, min_sample_size = 50, max_sample_size = 80 }",
        400_000,
    );
    let d = common::design(&text);
    let tally = simulate(&d);
    let r = tally.trials as f64;
    let s = tally.sequential().unwrap();
    let e = s.reestimation.as_ref().unwrap();
    let p_se = |p: f64| (p * (1.0 - p) / r).sqrt();
    let (efficacy1, futility1, power, n, cp) = exact_two_stage(0.5, 0.3);
    assert_mc(
        "efficacy at look 1",
        s.efficacy[0] as f64 / r,
        efficacy1,
        p_se(efficacy1),
    );
    assert_mc(
        "futility at look 1",
        s.futility[0] as f64 / r,
        futility1,
        p_se(futility1),
    );
    let simulated_power = (s.efficacy[0] + s.efficacy[1]) as f64 / r;
    assert_mc("power", simulated_power, power, p_se(power));
    assert_mc(
        "expected N",
        s.sum_randomised as f64 / r,
        n,
        30.0 / r.sqrt(),
    );
    let reached = s.reached[1] as f64;
    let rows = summary::sequential_rows(&d, &tally);
    let simulated_cp = rows[1].reestimation.unwrap().mean_conditional_power;
    assert_mc(
        "conditional power achieved",
        simulated_cp,
        cp,
        0.5 / reached.sqrt(),
    );
    let (_, _, size, null_n, _) = exact_two_stage(0.3, 0.3);
    let type_i = e.null_rejections as f64 / r;
    assert_mc("type I error", type_i, size, p_se(size));
    assert_mc(
        "expected N under H0",
        e.null_randomised as f64 / r,
        null_n,
        30.0 / r.sqrt(),
    );
    // The exact law is not a trivial one: the interim stops some trials and sizes the rest.
    assert!(
        efficacy1 > 0.01 && futility1 > 0.05 && n > 40.0 && n < 70.0,
        "{efficacy1} {futility1} {n}"
    );
}

/// With stages of hundreds, the combination keeps the type I error at alpha (the pooled z is
/// then close to normal), however the stages were sized.
#[test]
fn the_type_i_error_of_a_large_design_is_alpha() {
    let text = binary(
        0.2,
        0.3,
        "higher",
        600,
        (1, 1),
        "test = \"chi_square\"",
        "looks = [0.5, 1.0]\nefficacy = \"obrien_fleming\"\nreestimate = { conditional_power = 0.9, max_sample_size = 1800 }",
        200_000,
    );
    let d = common::design(&text);
    let rows = common::run(&d);
    let e = rows[0].reestimation.as_ref().unwrap();
    assert_mc("type I error", e.type_i_error, 0.025, e.type_i_error_se);
    // Sized by the data: the trials under the null mostly go to the maximum.
    assert!(e.null_expected_total > 1500.0, "{}", e.null_expected_total);
}

#[test]
fn bad_reestimation_keys_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    let ok_sequential = "looks = [0.5, 1.0]\nefficacy = \"obrien_fleming\"\n";
    let design = |analysis: &str, reestimate: &str| {
        binary(
            0.2,
            0.3,
            "higher",
            200,
            (1, 1),
            analysis,
            &format!("{ok_sequential}reestimate = {{ {reestimate} }}"),
            100,
        )
    };
    let chi = "test = \"chi_square\"";
    for (what, text, key) in [
        (
            "conditional power of 1",
            design(chi, "conditional_power = 1.0, max_sample_size = 400"),
            "sequential.reestimate.conditional_power",
        ),
        (
            "maximum below the planned N",
            design(chi, "conditional_power = 0.8, max_sample_size = 150"),
            "sequential.reestimate.max_sample_size",
        ),
        (
            "minimum below the first stage",
            design(
                chi,
                "conditional_power = 0.8, min_sample_size = 100, max_sample_size = 400",
            ),
            "sequential.reestimate.min_sample_size",
        ),
        (
            "a typo",
            design(
                chi,
                "conditional_power = 0.8, max_sample_size = 400, efect = \"planned\"",
            ),
            "efect",
        ),
        (
            "an unknown effect",
            design(
                chi,
                "conditional_power = 0.8, max_sample_size = 400, effect = \"assumed\"",
            ),
            "effect",
        ),
        (
            "a stratified test",
            design(
                "test = \"cmh\"",
                "conditional_power = 0.8, max_sample_size = 400",
            ),
            "analysis.test",
        ),
        (
            "two-sided",
            design(chi, "conditional_power = 0.8, max_sample_size = 400")
                .replace("alternative = \"one_sided\"", "alternative = \"two_sided\""),
            "analysis.alternative",
        ),
        (
            "a pipeline",
            design(chi, "conditional_power = 0.8, max_sample_size = 400")
                .replace("[endpoint]\n", "[endpoint]\nassessment_day = 28\n")
                .replace(
                    "sample_size = 200\n",
                    "sample_size = 200\naccrual_per_month = 20\n",
                ),
            "enrollment.accrual_per_month",
        ),
    ] {
        common::assert_refused(dir.path(), &results, &text, what, key);
    }
    // A third arm.
    let three = design(chi, "conditional_power = 0.8, max_sample_size = 400").replace(
        "[analysis]",
        "[[arm]]\nname = \"other\"\nratio = 1\ntreatment = \"new\"\n[analysis]",
    );
    common::assert_refused(
        dir.path(),
        &results,
        &three,
        "three arms",
        "sequential.reestimate",
    );
    // A margin that moves a risk out of [0, 1] on the null boundary.
    let low = binary(
        0.02,
        0.02,
        "higher",
        200,
        (1, 1),
        "test = \"farrington_manning\"\nnon_inferiority_margin = 0.05\nmargin_scale = \"risk_difference\"",
        &format!(
            "{ok_sequential}reestimate = {{ conditional_power = 0.8, max_sample_size = 400 }}"
        ),
        100,
    );
    common::assert_refused(
        dir.path(),
        &results,
        &low,
        "a null boundary outside [0, 1]",
        "analysis.non_inferiority_margin",
    );
    // One look: nothing to re-estimate at.
    let one = design(chi, "conditional_power = 0.8, max_sample_size = 400")
        .replace("looks = [0.5, 1.0]", "looks = [1.0]");
    common::assert_refused(dir.path(), &results, &one, "one look", "sequential.looks");
}

/// rpact's results for one design with re-estimated deaths.
struct RpactDeaths {
    reject: &'static [f64],
    futility: &'static [f64],
    /// Mean conditional power achieved by each re-estimated stage (from the second look).
    cp: &'static [f64],
    /// Mean deaths at the last analysis, and the share of trials at the most.
    expected_deaths: f64,
    /// Mean patients randomised by the last analysis (rpact's expectedNumberOfSubjects).
    expected_subjects: f64,
    p_max: f64,
    /// Mean days from the first randomisation to each look.
    analysis_time: &'static [f64],
}

/// The event-driven design of scenarios/classic_event_driven_reestimation.toml at hazard ratio
/// `hr`, with `rest` (looks, bounds, re-estimation), `ratio`:1.
fn event_driven(hr: f64, deaths: u64, ratio: u32, sequential: &str, replicates: u64) -> String {
    let shipped = std::fs::read_to_string(common::shipped_path(
        "classic_event_driven_reestimation.toml",
    ))
    .unwrap();
    let head = shipped.split("[sequential]").next().unwrap();
    format!("{head}[sequential]\n{sequential}\n")
        .replace("replicates = 100000", &format!("replicates = {replicates}"))
        .replace("all = 0.8 }", &format!("all = {hr} }}"))
        .replace(
            "analysis_events = 380",
            &format!("analysis_events = {deaths}"),
        )
        .replace(
            "name = \"experimental\"\nratio = 1",
            &format!("name = \"experimental\"\nratio = {ratio}"),
        )
}

/// Compares a simulation of `d` with rpact's run of `iterations` under the scenario's hazard
/// ratio (`alt`), and its built-in run with every hazard ratio 1 with rpact's run at hazard
/// ratio 1 (`null`: the type I error and the deaths).
fn assert_rpact_deaths(what: &str, d: &Design, alt: &RpactDeaths, null: &RpactDeaths, m: f64) {
    let tally = simulate(d);
    // The invariants a merge checks (the null run's patients and deaths within bounds, every
    // trial's deaths counted once).
    endotrial::engine::tally::check::check(&tally, d).unwrap_or_else(|e| panic!("{what}: {e}"));
    let r = tally.trials as f64;
    let s = tally.sequential().unwrap();
    let e = s.reestimation.as_ref().unwrap();
    let rule = d.reestimation().unwrap();
    let p_se = |p: f64| (p * (1.0 - p) / r + p * (1.0 - p) / m).sqrt();
    let bounded_se =
        |lo: f64, hi: f64, n: f64, m: f64| (hi - lo) / 2.0 * (1.0 / n + 1.0 / m).sqrt();
    let rows = summary::sequential_rows(d, &tally);
    let mut overall = 0;
    for (k, row) in rows.iter().enumerate() {
        overall += s.efficacy[k];
        let reject = s.efficacy[k] as f64 / r;
        let look = k + 1;
        assert_mc(
            &format!("{what}: reject at look {look}"),
            reject,
            alt.reject[k],
            p_se(alt.reject[k]),
        );
        if k + 1 < s.looks {
            let futile = s.futility[k] as f64 / r;
            let reference = alt.futility.get(k).copied().unwrap_or(0.0);
            assert_mc(
                &format!("{what}: futility at look {look}"),
                futile,
                reference,
                p_se(reference),
            );
        }
        // rpact recruits at fixed, evenly spaced times, endotrial at the order statistics of
        // uniforms: the same in expectation, to within a day here.
        let days = row.months * endotrial::model::sequential::DAYS_PER_MONTH;
        assert!(
            (days - alt.analysis_time[k]).abs() < 2.0,
            "{what}: day of look {look}: {days} against {}",
            alt.analysis_time[k]
        );
    }
    let power: f64 = alt.reject.iter().sum();
    assert_mc(
        &format!("{what}: power"),
        overall as f64 / r,
        power,
        p_se(power),
    );
    let (lo, hi) = (rule.stage_min[0] as f64, rule.max_total as f64);
    let deaths = tally.survival().unwrap().sum_events as f64 / r;
    assert_mc(
        &format!("{what}: expected deaths"),
        deaths,
        alt.expected_deaths,
        bounded_se(lo, hi, r, m),
    );
    let at_max = e
        .deaths
        .range(rule.max_total..)
        .map(|(_, n)| n)
        .sum::<u64>() as f64
        / r;
    assert_mc(
        &format!("{what}: P(most deaths)"),
        at_max,
        alt.p_max,
        p_se(alt.p_max),
    );
    if s.looks == 2 {
        // Two stages, continuous times: the second stage at its most (fewest) deaths is a
        // final analysis at the most (fewest) deaths in all, exactly.
        let trials_at = |d: u64| e.deaths.get(&d).copied().unwrap_or(0);
        assert_eq!(e.at_max[1], trials_at(rule.max_total), "{what}");
        assert_eq!(e.at_min[1], trials_at(rule.min_total), "{what}");
        assert!(e.at_max[1] > 0 && e.at_min[1] > 0, "{what}");
    }
    for ((row, &reached), &reference) in rows.iter().zip(&s.reached).skip(1).zip(alt.cp) {
        let reached = reached as f64;
        let cp = row.reestimation.unwrap().mean_conditional_power;
        assert_mc(
            &format!("{what}: conditional power at look {}", row.look),
            cp,
            reference,
            bounded_se(0.0, 1.0, reached, m * reached / r),
        );
    }
    let null_power: f64 = null.reject.iter().sum();
    let type_i = e.null_rejections as f64 / r;
    assert_mc(
        &format!("{what}: type I error"),
        type_i,
        null_power,
        p_se(null_power),
    );
    // Patients lie in [0, 1600]: their SE is at most 800 / sqrt(n) each.
    let subjects_se = 800.0 * (1.0 / r + 1.0 / m).sqrt();
    let subjects = tally.survival().unwrap().sum_randomised as f64 / r;
    assert_mc(
        &format!("{what}: expected patients"),
        subjects,
        alt.expected_subjects,
        subjects_se,
    );
    let null_subjects = e.null_randomised as f64 / r;
    assert_mc(
        &format!("{what}: expected patients under H0"),
        null_subjects,
        null.expected_subjects,
        subjects_se,
    );
    let null_deaths = e.null_deaths as f64 / r;
    assert_mc(
        &format!("{what}: expected deaths under H0"),
        null_deaths,
        null.expected_deaths,
        bounded_se(lo, hi, r, m),
    );
}

/// Re-estimated deaths against fresh 40,000-iteration runs of rpact 3.3.4's
/// `getSimulationSurvival` (R 4.2.2; 19 s each, about 2,100 trials/s, on this machine):
/// ```r
/// lambda2 <- -log(0.7) / 28
/// d <- getDesignInverseNormal(kMax = 2, alpha = 0.025, sided = 1,
///   informationRates = c(0.5, 1), typeOfDesign = "asOF")
/// run <- function(hr, theta, seed, design = d, planned = c(190, 380), mins = c(NA, 190),
///                 maxs = c(NA, 600), alloc = 1) {
///   s <- getSimulationSurvival(design = design, hazardRatio = hr, lambda2 = lambda2,
///     accrualTime = c(0, 720), maxNumberOfSubjects = 1600, plannedEvents = planned,
///     allocation1 = alloc, allocation2 = 1, directionUpper = FALSE,
///     conditionalPower = 0.8, thetaH1 = theta, minNumberOfEventsPerStage = mins,
///     maxNumberOfEventsPerStage = maxs, maxNumberOfIterations = 40000, seed = seed,
///     longTimeSimulationAllowed = TRUE)
///   g <- getData(s)
///   last <- g[!duplicated(g$iterationNumber, fromLast = TRUE), ]
///   total <- last$overallEvents1 + last$overallEvents2   # deaths at the last analysis
///   list(s$rejectPerStage, s$futilityPerStage, s$conditionalPowerAchieved,
///        s$expectedNumberOfEvents, mean(total >= sum(planned[1], maxs[-1])), s$analysisTime,
///        s$expectedNumberOfSubjects)
/// }
/// run(0.8, NA_real_, 20261207)   # observed effect
/// # 0.077400 0.701125 | 0 | 0.619841629896816 | 564.991025 | 0.4082 | 158.908627758283 354.154989521894
/// # | 752.930032435
/// run(1, NA_real_, 20261209)
/// # 0.001475 0.023850 | 0 | 0.162738386666273 | 761.46175 | 0.9036 | 152.766488588145 421.081853002884
/// # | 934.357073265625
/// run(0.8, 0.8, 20261208)        # planned effect (thetaH1)
/// # 0.077150 0.699925 | 0 | 0.760373397142973 | 553.93885 | 0.2602 | 158.895469281829 348.816644675665
/// # | 742.085102015
/// run(1, 0.8, 20261210)
/// # 0.001750 0.023625 | 0 | 0.470728188625031 | 753.48085 | 0.8137 | 152.796452525268 417.537563596287
/// # | 926.33145685625
/// d3 <- getDesignInverseNormal(kMax = 3, alpha = 0.025, sided = 1,
///   informationRates = c(1, 2, 3) / 3, typeOfDesign = "asP", futilityBounds = c(0, 0),
///   bindingFutility = FALSE)
/// a3 <- list(design = d3, planned = c(120, 240, 360), mins = c(NA, 120, 120),
///            maxs = c(NA, 300, 300), alloc = 2)
/// do.call(run, c(list(0.75, NA_real_, 20261211), a3))   # 2:1, Pocock, futility at z <= 0
/// # 0.236975 0.397800 0.220275 | 0.068675 0.000625 | 0.478752473401016 0.524673376636851 |
/// # 379.412925 | 0.1659 | 122.860016084275 257.410947479083 391.415736520691 | 568.259719358414
/// do.call(run, c(list(1, NA_real_, 20261212), a3))
/// # 0.013150 0.008550 0.005325 | 0.500900 0.124575 | 0.214907305041046 0.111642146166634 |
/// # 365.72565 | 0.308025 | 114.157468038044 259.700893338749 395.352636460075 | 516.710452559874
/// ```
/// (With 2:1 allocation and 120 deaths the log-rank test is a little anticonservative: both
/// simulations reject at 0.027 under the null.)
#[test]
fn reestimated_deaths_agree_with_rpacts_simulation() {
    const M: f64 = 40_000.0;
    let two = |effect: &str| {
        format!(
            "looks = [0.5, 1.0]\nefficacy = \"obrien_fleming\"\nreestimate = {{ conditional_power = 0.8, max_events = 790, effect = \"{effect}\" }}"
        )
    };
    let observed = common::design(&event_driven(0.8, 380, 1, &two("observed"), 40_000));
    assert_rpact_deaths(
        "observed",
        &observed,
        &RpactDeaths {
            reject: &[0.0774, 0.701125],
            futility: &[],
            cp: &[0.619841629896816],
            expected_deaths: 564.991025,
            expected_subjects: 752.930032435,
            p_max: 0.4082,
            analysis_time: &[158.908627758283, 354.154989521894],
        },
        &RpactDeaths {
            reject: &[0.001475, 0.02385],
            futility: &[],
            cp: &[0.162738386666273],
            expected_deaths: 761.46175,
            expected_subjects: 934.357073265625,
            p_max: 0.9036,
            analysis_time: &[152.766488588145, 421.081853002884],
        },
        M,
    );
    let planned = common::design(&event_driven(0.8, 380, 1, &two("planned"), 40_000));
    assert_eq!(
        planned.reestimation().unwrap().planned_hazard_ratio,
        Some(0.8)
    );
    assert_rpact_deaths(
        "planned",
        &planned,
        &RpactDeaths {
            reject: &[0.07715, 0.699925],
            futility: &[],
            cp: &[0.760373397142973],
            expected_deaths: 553.93885,
            expected_subjects: 742.085102015,
            p_max: 0.2602,
            analysis_time: &[158.895469281829, 348.816644675665],
        },
        &RpactDeaths {
            reject: &[0.00175, 0.023625],
            futility: &[],
            cp: &[0.470728188625031],
            expected_deaths: 753.48085,
            expected_subjects: 926.33145685625,
            p_max: 0.8137,
            analysis_time: &[152.796452525268, 417.537563596287],
        },
        M,
    );
    let three = common::design(&event_driven(
        0.75,
        360,
        2,
        "looks = [0.3333333333333333, 0.6666666666666666, 1.0]\nefficacy = \"pocock\"\nfutility = \"z\"\nfutility_bounds = [0, 0]\nreestimate = { conditional_power = 0.8, max_events = 720 }",
        40_000,
    ));
    assert_eq!(three.reestimation().unwrap().stage_max, vec![120, 300, 300]);
    assert_rpact_deaths(
        "three stages, 2:1",
        &three,
        &RpactDeaths {
            reject: &[0.236975, 0.3978, 0.220275],
            futility: &[0.068675, 0.000625],
            cp: &[0.478752473401016, 0.524673376636851],
            expected_deaths: 379.412925,
            expected_subjects: 568.259719358414,
            p_max: 0.1659,
            analysis_time: &[122.860016084275, 257.410947479083, 391.415736520691],
        },
        &RpactDeaths {
            reject: &[0.01315, 0.00855, 0.005325],
            futility: &[0.5009, 0.124575],
            cp: &[0.214907305041046, 0.111642146166634],
            expected_deaths: 365.72565,
            expected_subjects: 516.710452559874,
            p_max: 0.308025,
            analysis_time: &[114.157468038044, 259.700893338749, 395.352636460075],
        },
        M,
    );
}

/// The built-in run on the null boundary is the scenario run at the null: with a hazard-ratio
/// margin of 1.3 it is every hazard ratio 1.3 (the type I error of the non-inferiority test),
/// and its rejections, deaths and patients agree with a run of the scenario at hazard ratio 1.3
/// within MC error; the type I error is alpha within MC error (deaths in the hundreds).
#[test]
fn the_null_run_of_reestimated_deaths_is_the_scenario_at_the_margin() {
    let sequential = "looks = [0.5, 1.0]\nefficacy = \"obrien_fleming\"\nreestimate = { conditional_power = 0.8, max_events = 790 }";
    let margin = |hr: f64| {
        event_driven(hr, 380, 1, sequential, 60_000).replace(
            "alternative = \"one_sided\"",
            "alternative = \"one_sided\"\nnon_inferiority_margin = 1.3\nmargin_scale = \"hazard_ratio\"",
        )
    };
    let at_one = common::run(&common::design(&margin(1.0))).remove(0);
    let at_margin = common::run(&common::design(&margin(1.3))).remove(0);
    let e = at_one.reestimation.as_ref().unwrap();
    let m = at_margin.reestimation.as_ref().unwrap();
    let se = |a: f64, b: f64| (a * a + b * b).sqrt();
    assert_mc(
        "type I error: built in against the scenario at the margin",
        e.type_i_error,
        at_margin.power,
        se(e.type_i_error_se, at_margin.power_se),
    );
    // Both the built-in null runs (same seed, same law): the same to MC error.
    assert_mc("type I error", e.type_i_error, 0.025, e.type_i_error_se);
    assert_mc(
        "type I error at the margin",
        m.type_i_error,
        0.025,
        m.type_i_error_se,
    );
    let deaths = at_margin.survival().unwrap().mean_events;
    // Deaths lie in [190, 790]: their SE is at most 300 / sqrt(n) each.
    assert_mc(
        "deaths on the null boundary",
        e.null_expected_total,
        deaths,
        300.0 * (2.0 / 60_000.0f64).sqrt(),
    );
    // Non-inferior (HR 1 against a margin of 1.3): power well above alpha.
    assert!(at_one.power > 0.8, "{}", at_one.power);
}

#[test]
fn bad_death_reestimation_keys_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    let with = |reestimate: &str| {
        event_driven(
            0.8,
            380,
            1,
            &format!(
                "looks = [0.5, 1.0]\nefficacy = \"obrien_fleming\"\nreestimate = {{ {reestimate} }}"
            ),
            100,
        )
    };
    for (what, text, key) in [
        (
            "patients for deaths",
            with("conditional_power = 0.8, max_sample_size = 790"),
            "sequential.reestimate.max_sample_size",
        ),
        (
            "no maximum",
            with("conditional_power = 0.8"),
            "sequential.reestimate.max_events",
        ),
        (
            "more deaths than patients",
            with("conditional_power = 0.8, max_events = 1601"),
            "sequential.reestimate.max_events",
        ),
        (
            "fewer than the planned",
            with("conditional_power = 0.8, max_events = 379"),
            "sequential.reestimate.max_events",
        ),
        (
            "a minimum below the first stage",
            with("conditional_power = 0.8, min_events = 190, max_events = 790"),
            "sequential.reestimate.min_events",
        ),
        (
            "the planned effect of a mixture",
            with("conditional_power = 0.8, max_events = 790, effect = \"planned\"")
                .replace(
                    "name = \"all\"\nprevalence = 1.0\ncontrol_mortality = { 28 = 0.3 }",
                    "name = \"all\"\nprevalence = 0.5\ncontrol_mortality = { 28 = 0.3 }\n[[endotype]]\nname = \"other\"\nprevalence = 0.5\ncontrol_mortality = { 28 = 0.5 }",
                )
                .replace("by_endotype = { all = 0.8 }", "by_endotype = { all = 0.8, other = 0.8 }"),
            "sequential.reestimate.effect",
        ),
        (
            "a hazard ratio for the observed effect",
            with("conditional_power = 0.8, max_events = 790, hazard_ratio = 0.75"),
            "sequential.reestimate.hazard_ratio",
        ),
        (
            "a hazard ratio of 0",
            with("conditional_power = 0.8, max_events = 790, effect = \"planned\", hazard_ratio = 0.0"),
            "sequential.reestimate.hazard_ratio",
        ),
    ] {
        common::assert_refused(dir.path(), &results, &text, what, key);
    }
    // A mixture sized for a written hazard ratio is fine.
    let mixture = with("conditional_power = 0.8, max_events = 790, effect = \"planned\", hazard_ratio = 0.75")
        .replace(
            "name = \"all\"\nprevalence = 1.0\ncontrol_mortality = { 28 = 0.3 }",
            "name = \"all\"\nprevalence = 0.5\ncontrol_mortality = { 28 = 0.3 }\n[[endotype]]\nname = \"other\"\nprevalence = 0.5\ncontrol_mortality = { 28 = 0.5 }",
        )
        .replace("by_endotype = { all = 0.8 }", "by_endotype = { all = 0.8, other = 0.8 }");
    assert_eq!(
        common::design(&mixture)
            .reestimation()
            .unwrap()
            .planned_hazard_ratio,
        Some(0.75)
    );
    // Deaths for a binary trial.
    let binary_deaths = binary(
        0.2,
        0.3,
        "higher",
        200,
        (1, 1),
        "test = \"chi_square\"",
        "looks = [0.5, 1.0]\nefficacy = \"obrien_fleming\"\nreestimate = { conditional_power = 0.8, max_events = 400 }",
        100,
    );
    common::assert_refused(
        dir.path(),
        &results,
        &binary_deaths,
        "deaths for a binary trial",
        "sequential.reestimate.max_events",
    );
}

/// rpact 3.3.4's own test of re-estimated events (test-f_simulation_base_survival.R, "Perform
/// recalculation of number of events based on conditional power": `resultsWithSSR1`, thetaH1 =
/// 1.3, and `resultsWithSSR2`, the observed effect; 100 iterations each), at hazard ratios 1,
/// 1.3 and 1.6 (the design's benefit is a higher hazard: directionUpper = TRUE), and a fresh
/// 20,000-iteration run of the same (R 4.2.2; 30 s):
/// ```r
/// dIN <- getDesignInverseNormal(informationRates = c(0.4, 0.7, 1))   # classic O'Brien-Fleming
/// for (theta in c(1.3, NA_real_)) {
///   s <- getSimulationSurvival(design = dIN, hazardRatio = c(1, 1.3, 1.6),
///     pi2 = 0.3, conditionalPower = 0.8, thetaH1 = theta, plannedEvents = c(58, 102, 146),
///     minNumberOfEventsPerStage = c(NA_real_, 44, 44),
///     maxNumberOfEventsPerStage = 4 * c(NA_real_, 44, 44),
///     maxNumberOfSubjects = 800, maxNumberOfIterations = 20000, seed = 20261213)
///   print(list(s$overallReject, s$rejectPerStage, s$expectedNumberOfEvents,
///     s$conditionalPowerAchieved, s$analysisTime))
/// }
/// ```
/// Time is in months there (accrual over 12, pi2 at 12); here a month is 30 days, which
/// changes no event's order, so no rejection or count.
#[test]
fn rpacts_own_test_of_reestimated_events() {
    struct Case {
        hr: f64,
        /// rpact's test (100 iterations): overallReject and expectedNumberOfEvents.
        own: (f64, f64),
        /// The fresh run: rejectPerStage, expectedNumberOfEvents, conditionalPowerAchieved
        /// (looks 2 and 3), analysisTime (months).
        reject: [f64; 3],
        events: f64,
        cp: [f64; 2],
        months: [f64; 3],
    }
    let planned = [
        Case {
            hr: 1.0,
            own: (0.04, 401.92),
            reject: [0.00055, 0.00865, 0.0156],
            events: 406.48925,
            cp: [0.101747459541081, 0.136123798172202],
            months: [7.94053754205306, 17.7931633645069, 30.2015913337957],
        },
        Case {
            hr: 1.3,
            own: (0.75, 325.77),
            reject: [0.0123, 0.28075, 0.387],
            events: 335.16655,
            cp: [0.287877724699455, 0.544795039232862],
            months: [7.43030620671188, 16.1726287604652, 25.6187367175314],
        },
        Case {
            hr: 1.6,
            own: (1.0, 221.24),
            reject: [0.0658, 0.757, 0.1679],
            events: 231.09255,
            cp: [0.475492261387695, 0.718999640562994],
            months: [7.01478269353009, 14.6705965314446, 21.71689113971],
        },
    ];
    let observed = [
        Case {
            hr: 1.0,
            own: (0.04, 401.86),
            reject: [0.00055, 0.0083, 0.01685],
            events: 401.4547,
            cp: [0.108093946124927, 0.0716531588243616],
            months: [7.94053754205306, 17.5536807095688, 29.8674273075851],
        },
        Case {
            hr: 1.3,
            own: (0.68, 306.7),
            reject: [0.0123, 0.232, 0.40515],
            events: 314.7634,
            cp: [0.35567025176713, 0.478267883976023],
            months: [7.43030620671188, 15.1067223579214, 24.1593603122194],
        },
        Case {
            hr: 1.6,
            own: (0.98, 183.79),
            reject: [0.0658, 0.6721, 0.2429],
            events: 193.85065,
            cp: [0.598357375372163, 0.731150735524796],
            months: [7.01478269353009, 12.710483964614, 18.3992988583596],
        },
    ];
    const FRESH: f64 = 20_000.0;
    for (effect, cases) in [
        ("effect = \"planned\", hazard_ratio = 1.3", &planned),
        ("effect = \"observed\"", &observed),
    ] {
        for c in cases.iter() {
            let what = format!("{effect}, HR {}", c.hr);
            let text = format!(
                r#"
name = "rpact_ssr"
[simulation]
replicates = 20000
seed = 3
[[endotype]]
name = "all"
prevalence = 1.0
control_mortality = {{ 360 = 0.3 }}
[enrollment]
sample_size = 800
accrual_days = 360
[endpoint]
event = "discharge"
better = "higher"
kind = "time_to_event"
analysis_events = 146
time_resolution = "continuous"
[[treatment]]
name = "experimental"
effect = "hazard_ratio"
by_endotype = {{ all = {} }}
[[arm]]
name = "control"
ratio = 1
[[arm]]
name = "experimental"
ratio = 1
treatment = "experimental"
[analysis]
control = "control"
test = "logrank"
alpha = 0.025
alternative = "one_sided"
[sequential]
looks = [0.4, 0.7, 1.0]
efficacy = "wang_tsiatis"
efficacy_parameter = 0
reestimate = {{ conditional_power = 0.8, max_events = 410, {effect} }}
"#,
                c.hr
            );
            let d = common::design(&text);
            let rule = d.reestimation().unwrap();
            assert_eq!(
                (&rule.stage_min, &rule.stage_max),
                (&vec![58, 44, 44], &vec![58, 176, 176])
            );
            let tally = simulate(&d);
            let r = tally.trials as f64;
            let s = tally.sequential().unwrap();
            let rows = summary::sequential_rows(&d, &tally);
            let se = |p: f64, m: f64| (p * (1.0 - p) / r + p * (1.0 - p) / m).sqrt();
            let power: f64 = s.efficacy.iter().sum::<u64>() as f64 / r;
            // rpact's own 100 iterations: weak (SE up to 0.05), but theirs.
            assert_mc(
                &format!("{what}: rpact's test, power"),
                power,
                c.own.0,
                se(c.own.0, 100.0).max(se(power, 100.0)),
            );
            let deaths = tally.survival().unwrap().sum_events as f64 / r;
            let events_se = |m: f64| (410.0 - 58.0) / 2.0 * (1.0 / r + 1.0 / m).sqrt();
            assert_mc(
                &format!("{what}: rpact's test, events"),
                deaths,
                c.own.1,
                events_se(100.0),
            );
            // The fresh run.
            for (k, row) in rows.iter().enumerate() {
                let look = k + 1;
                let reject = s.efficacy[k] as f64 / r;
                assert_mc(
                    &format!("{what}: reject at look {look}"),
                    reject,
                    c.reject[k],
                    se(c.reject[k], FRESH),
                );
                let days = row.months * endotrial::model::sequential::DAYS_PER_MONTH;
                let rpact_days = c.months[k] * 30.0;
                assert!(
                    (days / rpact_days - 1.0).abs() < 0.01,
                    "{what}: day of look {look}: {days} against {rpact_days}"
                );
                if k > 0 {
                    let reached = s.reached[k] as f64;
                    let cp = row.reestimation.unwrap().mean_conditional_power;
                    assert_mc(
                        &format!("{what}: conditional power at look {look}"),
                        cp,
                        c.cp[k - 1],
                        0.5 * (1.0 / reached + 1.0 / (FRESH * reached / r)).sqrt(),
                    );
                }
            }
            assert_mc(
                &format!("{what}: events"),
                deaths,
                c.events,
                events_se(FRESH),
            );
        }
    }
}
