//! Simulated results against exact enumeration by the independent oracle (`tests/oracle`): every
//! allocation, dropout count and 2 x 2 table, with the tests, their direction (from `better`) and
//! the Wald interval re-implemented there. Covers each pooled test, one- and two-sided, equal and
//! unequal allocation, block (with several places left in the last block) and simple
//! randomisation, with and without dropout, and under the null. Checked columns: power, coverage,
//! mean difference (so bias), mean observed risks, mean evaluable per arm, true risks.
//! Tolerance: 4 Monte Carlo standard errors of the simulated quantity, with a fixed seed.

use crate::common;
use crate::oracle;

use common::TwoArm;
use oracle::{Side, Test};

/// True risks of `TwoArm`'s scenario, from its text: endotype a (prevalence 0.4, control risk
/// 0.3, the risk ratio acts on it), endotype b (0.6, 0.15); every label is eligible, so the
/// randomised mix is the prevalence whatever the misclassification.
fn true_risks(case: &TwoArm) -> (f64, f64) {
    (0.4 * 0.3 * case.effect + 0.6 * 0.15, 0.4 * 0.3 + 0.6 * 0.15)
}

fn exact(case: &TwoArm) -> oracle::Pooled {
    let (p1, p0) = true_risks(case);
    let allocation = oracle::allocation(
        case.sample_size,
        u64::from(case.ratio_drug),
        u64::from(case.ratio_control),
        case.randomisation == "block",
    );
    oracle::pooled(
        (
            Test::of(case.test),
            Side::of(case.alternative, case.better),
            0.05,
        ),
        &allocation,
        case.dropout,
        p1,
        p0,
    )
}

fn within(what: &str, case: &TwoArm, simulated: f64, exact: f64, se: f64) {
    assert!(
        (simulated - exact).abs() < common::MC_SE * se,
        "{what}: {} {} {} N={} ratio {}:{} {} dropout {}: simulated {simulated} vs exact {exact} (4 SE = {})",
        case.test,
        case.alternative,
        case.better,
        case.sample_size,
        case.ratio_drug,
        case.ratio_control,
        case.randomisation,
        case.dropout,
        common::MC_SE * se
    );
}

fn check(case: TwoArm) {
    let design = case.design();
    let row = &common::run(&design)[0];
    let b = row.binary().expect("a binary row");
    let x = exact(&case);
    let r = design.replicates as f64;
    let (p1, p0) = true_risks(&case);
    assert!((b.true_risk_arm - p1).abs() < 1e-12 && (b.true_risk_control - p0).abs() < 1e-12);
    within(
        "power",
        &case,
        row.power,
        x.power,
        (x.power * (1.0 - x.power) / r).sqrt(),
    );
    let est = r * x.estimable;
    within(
        "coverage",
        &case,
        b.coverage,
        x.coverage,
        (x.coverage * (1.0 - x.coverage) / est).sqrt(),
    );
    within(
        "mean_difference",
        &case,
        b.mean_difference,
        x.difference.mean(),
        x.difference.se(est),
    );
    within(
        "bias",
        &case,
        b.bias,
        x.difference.mean() - (p1 - p0),
        x.difference.se(est),
    );
    within(
        "mean_risk_arm",
        &case,
        b.mean_risk_arm,
        x.risk_arm.mean(),
        x.risk_arm.se(est),
    );
    within(
        "mean_risk_control",
        &case,
        b.mean_risk_control,
        x.risk_control.mean(),
        x.risk_control.se(est),
    );
    // The engine's SE of the mean difference estimates the exact one.
    within(
        "bias_se",
        &case,
        b.bias_se,
        x.difference.se(est),
        x.difference.se(est) / 20.0,
    );
    for (what, simulated, m) in [
        ("mean_evaluable_arm", b.mean_evaluable_arm, x.evaluable_arm),
        (
            "mean_evaluable_control",
            b.mean_evaluable_control,
            x.evaluable_control,
        ),
    ] {
        // A deterministic count (no dropout, complete blocks) has SD 0: then it must be exact.
        within(what, &case, simulated, m.mean(), m.se(r).max(1e-12));
    }
}

#[test]
fn the_oracle_matches_r() {
    let close = |a: f64, b: f64| (a - b).abs() < 1e-9 * b.max(1e-12);
    // prop.test(c(12,5), c(40,40), correct=FALSE, alternative="less")$p.value -> 0.972135369735333
    assert!(close(
        oracle::prop_test(12, 40, 5, 40, false, Side::ArmLower),
        0.972135369735333
    ));
    // prop.test(c(3,9), c(17,14), correct=TRUE, alternative="greater")$p.value -> 0.98877279765471
    assert!(close(
        oracle::prop_test(3, 17, 9, 14, true, Side::ArmHigher),
        0.98877279765471
    ));
    // prop.test(c(3,9), c(17,14), correct=TRUE)$p.value -> 0.0224544046905806
    assert!(close(
        oracle::prop_test(3, 17, 9, 14, true, Side::TwoSided),
        0.0224544046905806
    ));
    // fisher.test(matrix(c(3,9,14,5),2), alternative="less")$p.value -> 0.0106559623414099
    assert!(close(
        oracle::fisher_test(3, 17, 9, 14, Side::ArmLower),
        0.0106559623414099
    ));
    // fisher.test(matrix(c(3,9,14,5),2))$p.value -> 0.0119275845947994
    assert!(close(
        oracle::fisher_test(3, 17, 9, 14, Side::TwoSided),
        0.0119275845947994
    ));
    // fisher.test(matrix(c(7,2,3,8),2), alternative="greater")$p.value -> 0.0348892593474637
    assert!(close(
        oracle::fisher_test(7, 10, 2, 10, Side::ArmHigher),
        0.0348892593474637
    ));
    // x <- array(c(5,3,10,12, 8,4,12,16, 2,6,5,4), dim=c(2,2,3))   # x[arm, outcome, stratum]
    // mantelhaen.test(x, correct=FALSE)$p.value -> 0.434330104797504; "less" -> 0.782834947601248
    let strata = [(5, 15, 3, 15), (8, 20, 4, 20), (2, 7, 6, 10)];
    assert!(close(
        oracle::mantel_haenszel(&strata, Side::TwoSided),
        0.434330104797504
    ));
    assert!(close(
        oracle::mantel_haenszel(&strata, Side::ArmLower),
        0.782834947601248
    ));
}

#[test]
fn the_engines_own_enumeration_agrees_with_the_oracle() {
    // power::exact_power (used by the size tests) against the independent enumeration.
    for case in [
        TwoArm {
            test: "fisher_exact",
            alternative: "one_sided",
            better: "lower",
            effect: 0.3,
            sample_size: 43,
            ratio_drug: 3,
            ratio_control: 2,
            dropout: 0.1,
            ..TwoArm::default()
        },
        TwoArm {
            test: "chi_square_yates",
            randomisation: "simple",
            sample_size: 37,
            ..TwoArm::default()
        },
    ] {
        let engine = endotrial::stats::power::exact_power(&case.design(), 1);
        let x = exact(&case).power;
        assert!((engine - x).abs() < 1e-10, "{engine} vs {x}");
    }
}

#[test]
fn chi_square_two_sided_equal_allocation() {
    check(TwoArm {
        test: "chi_square",
        sample_size: 80,
        ..TwoArm::default()
    });
}

#[test]
fn chi_square_one_sided_unequal_simple_randomisation() {
    check(TwoArm {
        test: "chi_square",
        alternative: "one_sided",
        ratio_drug: 2,
        ratio_control: 1,
        randomisation: "simple",
        sample_size: 45,
        seed: 12,
        ..TwoArm::default()
    });
}

#[test]
fn chi_square_one_sided_in_the_direction_of_lower_risk() {
    // better = "lower" with a harmful effect: a one-sided test in the direction of benefit
    // almost never rejects; then with a protective effect it has power.
    for (effect, seed) in [(2.0, 13), (0.2, 14)] {
        check(TwoArm {
            test: "chi_square",
            alternative: "one_sided",
            better: "lower",
            effect,
            seed,
            ..TwoArm::default()
        });
    }
}

#[test]
fn yates_two_sided_unequal_allocation_incomplete_block_with_dropout() {
    check(TwoArm {
        test: "chi_square_yates",
        ratio_drug: 2,
        ratio_control: 1,
        sample_size: 61,
        dropout: 0.1,
        seed: 15,
        ..TwoArm::default()
    });
}

#[test]
fn the_control_arm_may_be_listed_last() {
    // The arm order in the file must not change anything: control is arm 1 here, so the
    // engine's per-arm cells must be found by index, not assumed to start at 0.
    check(TwoArm {
        test: "chi_square",
        alternative: "one_sided",
        ratio_drug: 2,
        ratio_control: 1,
        sample_size: 61,
        dropout: 0.1,
        control_last: true,
        seed: 19,
        ..TwoArm::default()
    });
}

#[test]
fn yates_one_sided() {
    check(TwoArm {
        test: "chi_square_yates",
        alternative: "one_sided",
        sample_size: 50,
        seed: 16,
        ..TwoArm::default()
    });
}

#[test]
fn fisher_two_sided_odd_sample_size_with_dropout() {
    check(TwoArm {
        test: "fisher_exact",
        sample_size: 41,
        dropout: 0.05,
        seed: 17,
        ..TwoArm::default()
    });
}

#[test]
fn fisher_one_sided_simple_randomisation() {
    check(TwoArm {
        test: "fisher_exact",
        alternative: "one_sided",
        randomisation: "simple",
        sample_size: 50,
        seed: 18,
        ..TwoArm::default()
    });
}

#[test]
fn fisher_one_sided_lower_block_of_five_with_three_places_left() {
    // 3:2 blocks, N = 23: four complete blocks and 3 places drawn without replacement from
    // one block (the arm gets 1, 2 or 3 of them; never 0).
    check(TwoArm {
        test: "fisher_exact",
        alternative: "one_sided",
        better: "lower",
        effect: 0.2,
        ratio_drug: 3,
        ratio_control: 2,
        sample_size: 23,
        seed: 19,
        ..TwoArm::default()
    });
}

#[test]
fn type_one_error_under_the_null() {
    for (test, alternative, seed) in [
        ("chi_square", "two_sided", 21),
        ("chi_square_yates", "two_sided", 22),
        ("fisher_exact", "two_sided", 23),
        ("fisher_exact", "one_sided", 24),
        ("chi_square", "one_sided", 25),
    ] {
        check(TwoArm {
            test,
            alternative,
            effect: 1.0,
            sample_size: 40,
            dropout: 0.05,
            seed,
            ..TwoArm::default()
        });
    }
}

#[test]
fn the_last_incomplete_block_is_drawn_without_replacement() {
    use endotrial::endpoint::binary::{Simulator, TrialCounts};
    use endotrial::engine::{run_key, trial_rng};
    // 3:2 blocks, N = 23: the drug arm gets 12 from four complete blocks and k of the last 3
    // places: hypergeometric, P(k = 1, 2, 3) = 0.3, 0.6, 0.1 and never 0 (with replacement,
    // P(k = 0) would be 0.064).
    let d = TwoArm {
        ratio_drug: 3,
        ratio_control: 2,
        sample_size: 23,
        ..TwoArm::default()
    }
    .design();
    let simulator = Simulator::new(&d);
    let mut counts = TrialCounts::new(&d);
    let (key, trials) = (run_key(7), 40_000u64);
    let mut hist = [0u64; 4];
    for i in 0..trials {
        simulator.simulate(&mut trial_rng(key, i), &mut counts);
        assert_eq!(counts.randomised.iter().sum::<u64>(), 23);
        hist[(counts.randomised[1] - 12) as usize] += 1;
    }
    let exact = oracle::allocation(23, 3, 2, true);
    assert_eq!(exact.len(), 3, "k = 1, 2, 3");
    assert_eq!(
        hist[0], 0,
        "the arm cannot get none of 3 places out of 3 + 2"
    );
    for (na, _, w) in exact {
        let observed = hist[(na - 12) as usize] as f64 / trials as f64;
        let se = (w * (1.0 - w) / trials as f64).sqrt();
        assert!(
            (observed - w).abs() < common::MC_SE * se,
            "k = {}: {observed} vs {w}",
            na - 12
        );
    }
}

#[test]
fn analytic_power_with_unequal_allocation_matches_rpact() {
    // 2:1 allocation, N = 90 with 10% dropout: 54 and 27 evaluable expected; risks 0.33 vs 0.21.
    // R 4.2.2, rpact 3.3.4: getPowerRates(pi1 = 0.33, pi2 = 0.21, allocationRatioPlanned = 2,
    //   maxNumberOfSubjects = 81, sided = 1, alpha = 0.05)$overallReject -> 0.290250226123875
    let case = TwoArm {
        alternative: "one_sided",
        ratio_drug: 2,
        ratio_control: 1,
        sample_size: 90,
        dropout: 0.1,
        replicates: 1_000,
        ..TwoArm::default()
    };
    let row = &common::run(&case.design())[0];
    assert!(
        (row.analytic_power - 0.290250226123875).abs() < 1e-9,
        "{}",
        row.analytic_power
    );
    // The other direction of benefit: same power with the risks' roles mirrored.
    let lower = TwoArm {
        better: "lower",
        effect: 0.0,
        ..case
    };
    // Risks 0.09 vs 0.21 under "lower is better": not an rpact case, but power must be high
    // and match the normal approximation computed here from its definition.
    let row = &common::run(&lower.design())[0];
    let (p1, p0, n1, n0) = (0.09f64, 0.21f64, 54.0f64, 27.0f64);
    let pbar = (n1 * p1 + n0 * p0) / (n1 + n0);
    let sd0 = (pbar * (1.0 - pbar) * (1.0 / n1 + 1.0 / n0)).sqrt();
    let sd1 = (p1 * (1.0 - p1) / n1 + p0 * (1.0 - p0) / n0).sqrt();
    // qnorm(0.95) = 1.64485362695147
    let z = (1.64485362695147 * sd0 - (p0 - p1)) / sd1;
    use statrs::distribution::{ContinuousCDF, Normal};
    let expected = Normal::standard().sf(z);
    assert!(
        (row.analytic_power - expected).abs() < 1e-9,
        "{} vs {expected}",
        row.analytic_power
    );
}

/// `bias_se` is the sample SD of the trials' estimates (n - 1 in the denominator) over root n:
/// each trial draws from its own stream, so a run of one trial gives that trial's estimate as
/// its mean difference, and five such runs give the estimates of the run of all five.
#[test]
fn bias_se_is_the_sample_sd_of_the_estimates_over_root_n() {
    use endotrial::engine::{self, summary};
    let d = TwoArm::default().design();
    let one = |i: u64| {
        let tally = engine::simulate(&d, i..i + 1, &|_| {});
        summary::summarise(&d, &tally)[0]
            .binary()
            .expect("a binary row")
            .mean_difference
    };
    let estimates: Vec<f64> = (0..5).map(one).collect();
    let row = &summary::summarise(&d, &engine::simulate(&d, 0..5, &|_| {}))[0];
    let b = row.binary().expect("a binary row");
    assert_eq!(b.estimable, 5);
    common::assert_bias_se(&estimates, b.mean_difference, b.bias_se);
}
