//! User-written alpha and beta spending (`efficacy = "user"` with `efficacy_spending`,
//! `futility = "user"` with `futility_spending`) and no early efficacy stop
//! (`efficacy = "no_early_efficacy"`), against rpact 3.3.4's own test values
//! (tests/testthat/test-f_design_group_sequential.R), to 1e-6; the engine's infinite interim
//! bounds against the analytic power; bad spending vectors exit 2 naming the key.

use crate::common::{self, assert_mc};

use endotrial::model::design::Design;
use endotrial::model::sequential::FutilityRule;
use endotrial::stats::boundaries::{self, Spending};
use endotrial::stats::power;

/// A two-arm binary design (30% vs 20% mortality, N = 400, one-sided) with `sequential`.
fn design_text(alpha: f64, sequential: &str) -> String {
    common::OneEndotype {
        name: "spending",
        seed: 41,
        replicates: 100_000,
        control_risk: 0.3,
        arm_risk: 0.2,
        better: "lower",
        sample_size: 400,
        ratios: (1, 1),
        analysis: &format!("test = \"chi_square\"\nalpha = {alpha}\nalternative = \"one_sided\""),
        rest: &format!("[sequential]\n{sequential}"),
    }
    .toml()
}

fn close(what: &str, ours: &[f64], rpact: &[f64]) {
    assert_eq!(ours.len(), rpact.len(), "{what}");
    for (k, (&a, &b)) in ours.iter().zip(rpact).enumerate() {
        let ok = (a.is_infinite() && b.is_infinite() && a.signum() == b.signum())
            || (a - b).abs() < 1e-6;
        assert!(ok, "{what} at look {}: {a} vs rpact {b}", k + 1);
    }
}

fn bounds(d: &Design) -> (boundaries::Boundaries, Option<Vec<f64>>) {
    let (b, beta, _) = boundaries::of_design(d).unwrap();
    (b, beta)
}

/// x5: `getDesignGroupSequential(typeOfDesign = "asUser", userAlphaSpending = c(0.01, 0.02,
/// 0.03, 0.05))` (rpact takes alpha from the last value, 0.05; endotrial asks for it in
/// analysis.alpha): criticalValues 2.3263479 2.2192994 2.1201347 1.8189562, stageLevels 0.01
/// 0.01323318 0.016997342 0.034459057, alphaSpent 0.01 0.02 0.03 0.04999999.
#[test]
fn user_alpha_spending_is_rpacts_as_user() {
    let d = common::design(&design_text(
        0.05,
        "looks = [0.25, 0.5, 0.75, 1.0]\nefficacy = \"user\"\nefficacy_spending = [0.01, 0.02, 0.03, 0.05]",
    ));
    let (b, _) = bounds(&d);
    close(
        "critical values",
        &b.efficacy,
        &[2.3263479, 2.2192994, 2.1201347, 1.8189562],
    );
    close(
        "stage levels",
        &b.stage_levels(),
        &[0.01, 0.01323318, 0.016997342, 0.034459057],
    );
    close(
        "alpha spent",
        &b.alpha_spent,
        &[0.01, 0.02, 0.03, 0.04999999],
    );
}

/// x6a and x6b: `getDesignGroupSequential(kMax = 3, alpha = 0.13, typeOfDesign = "asP",
/// typeBetaSpending = "bsUser", informationRates = c(0.35, 0.7, 1), bindingFutility = FALSE
/// (TRUE), userBetaSpending = c(0.01, 0.05, 0.3))`.
#[test]
fn user_beta_spending_is_rpacts_bs_user() {
    for (binding, power, futility, critical, levels) in [
        (
            false,
            [0.31774348, 0.5598179, 0.7],
            [-1.2557044, -0.16828659],
            [1.5446617, 1.4828682, 1.4620058],
            [0.061214062, 0.069054712, 0.071869812],
        ),
        (
            true,
            [0.31728597, 0.55917233, 0.7],
            [-1.2569879, -0.17011271],
            [1.5446617, 1.4827312, 1.4588737],
            [0.061214062, 0.069072925, 0.072299935],
        ),
    ] {
        let d = common::design(&design_text(
            0.13,
            &format!(
                "looks = [0.35, 0.7, 1.0]\nefficacy = \"pocock\"\nfutility = \"user\"\nfutility_spending = [0.01, 0.05, 0.3]\nbinding_futility = {binding}"
            ),
        ));
        let what = if binding { "binding" } else { "non-binding" };
        let (b, beta) = bounds(&d);
        close(&format!("{what}: critical values"), &b.efficacy, &critical);
        close(
            &format!("{what}: futility bounds"),
            b.futility.as_ref().unwrap(),
            &futility,
        );
        close(
            &format!("{what}: alpha spent"),
            &b.alpha_spent,
            &[0.061214062, 0.10266465, 0.13],
        );
        close(
            &format!("{what}: beta spent"),
            beta.as_ref().unwrap(),
            &[0.01, 0.05, 0.3],
        );
        close(&format!("{what}: stage levels"), &b.stage_levels(), &levels);
        // The cumulative power of the design at the drift that spends beta.
        let plan = d.sequential().unwrap();
        let FutilityRule::BetaSpending { rule, beta } = &plan.futility else {
            panic!("beta spending");
        };
        let s = boundaries::beta_spending(
            &plan.looks,
            0.13,
            Spending::Pocock,
            *beta,
            Spending::User(rule.user.clone().unwrap()),
            binding,
        )
        .unwrap();
        close(&format!("{what}: power"), &s.power, &power);
    }
}

/// x15 and x16: `getDesignGroupSequential(typeOfDesign = "noEarlyEfficacy", futilityBounds =
/// c(0, 0.5))` (criticalValues Inf Inf 1.959964) and with `futilityBounds = c(0, 0.5, 1),
/// bindingFutility = TRUE` (Inf Inf Inf 1.8848634; stageLevels 0 0 0 0.029724142; alphaSpent
/// ends 0.02499999).
#[test]
fn no_early_efficacy_is_rpacts() {
    let inf = f64::INFINITY;
    let d = common::design(&design_text(
        0.025,
        "looks = [0.3333333333333333, 0.6666666666666666, 1.0]\nefficacy = \"no_early_efficacy\"\nfutility = \"z\"\nfutility_bounds = [0, 0.5]",
    ));
    let (b, _) = bounds(&d);
    close(
        "non-binding: critical values",
        &b.efficacy,
        &[inf, inf, 1.959964],
    );
    close(
        "non-binding: stage levels",
        &b.stage_levels(),
        &[0.0, 0.0, 0.025],
    );
    let d = common::design(&design_text(
        0.025,
        "looks = [0.25, 0.5, 0.75, 1.0]\nefficacy = \"no_early_efficacy\"\nfutility = \"z\"\nfutility_bounds = [0, 0.5, 1]\nbinding_futility = true",
    ));
    let (b, _) = bounds(&d);
    close(
        "binding: critical values",
        &b.efficacy,
        &[inf, inf, inf, 1.8848634],
    );
    close(
        "binding: stage levels",
        &b.stage_levels(),
        &[0.0, 0.0, 0.0, 0.029724142],
    );
    close("binding: alpha spent", &b.alpha_spent[3..], &[0.02499999]);
    // The engine never stops for efficacy before the last look, and its power is the
    // crossing probability of the boundaries.
    let rows = common::run(&d);
    let s = endotrial::engine::summary::sequential_rows(
        &d,
        &endotrial::engine::simulate(&d, 0..d.replicates, &|_| {}),
    );
    assert!(s[..3].iter().all(|r| r.p_efficacy == 0.0));
    let analytic = power::analytic_power(&d, 1);
    assert_mc("power", rows[0].power, analytic, rows[0].power_se);
}

#[test]
fn bad_spending_vectors_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    let looks = "looks = [0.5, 1.0]\n";
    for (what, sequential, key) in [
        (
            "not ending at alpha",
            "efficacy = \"user\"\nefficacy_spending = [0.01, 0.02]",
            "sequential.efficacy_spending",
        ),
        (
            "decreasing",
            "efficacy = \"user\"\nefficacy_spending = [0.02, 0.01]",
            "sequential.efficacy_spending",
        ),
        (
            "one value short",
            "efficacy = \"user\"\nefficacy_spending = [0.025]",
            "sequential.efficacy_spending",
        ),
        (
            "missing",
            "efficacy = \"user\"",
            "sequential.efficacy_spending",
        ),
        (
            "without user",
            "efficacy = \"pocock\"\nefficacy_spending = [0.01, 0.025]",
            "sequential.efficacy_spending",
        ),
        (
            "beta of 0.6",
            "efficacy = \"pocock\"\nfutility = \"user\"\nfutility_spending = [0.1, 0.6]",
            "sequential.futility_spending",
        ),
        (
            "beta twice",
            "efficacy = \"pocock\"\nfutility = \"user\"\nfutility_spending = [0.1, 0.2]\nfutility_beta = 0.2",
            "sequential.futility_beta",
        ),
        (
            "a parameter for user spending",
            "efficacy = \"user\"\nefficacy_spending = [0.01, 0.025]\nefficacy_parameter = 2",
            "sequential.efficacy_parameter",
        ),
        (
            "a parameter for no early efficacy",
            "efficacy = \"no_early_efficacy\"\nefficacy_parameter = 2",
            "sequential.efficacy_parameter",
        ),
        (
            "a parameter for user beta spending",
            "efficacy = \"pocock\"\nfutility = \"user\"\nfutility_spending = [0.1, 0.2]\nfutility_parameter = 2",
            "sequential.futility_parameter",
        ),
        (
            "user beta with Wang-Tsiatis",
            "efficacy = \"wang_tsiatis\"\nefficacy_parameter = 0.2\nfutility = \"user\"\nfutility_spending = [0.1, 0.2]",
            "sequential.futility",
        ),
    ] {
        let text = design_text(0.025, &format!("{looks}{sequential}"));
        common::assert_refused(dir.path(), &results, &text, what, key);
    }
}
