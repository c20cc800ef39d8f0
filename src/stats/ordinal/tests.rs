//! The ordinal tests against R on fixed data sets. Reference values from R 4.2.2, MASS
//! 7.3-58.2, Hmisc 4.8.0:
//!
//! ```r
//! library(MASS)
//! fit <- function(a, c) {   # a, c: counts per level, worst first (arm, control)
//!   K <- length(a)
//!   y <- droplevels(factor(c(rep(1:K, a), rep(1:K, c)), levels = 1:K, ordered = TRUE))
//!   x <- c(rep(1, sum(a)), rep(0, sum(c)))
//!   f <- polr(y ~ x, Hess = TRUE, control = list(reltol = 1e-15, maxit = 10000))
//!   w <- wilcox.test(rep(1:K, a), rep(1:K, c), exact = FALSE, correct = FALSE)
//!   c(coef(f)[["x"]], sqrt(vcov(f)["x", "x"]),
//!     qnorm(w$p.value / 2) * -sign(w$statistic - sum(a) * sum(c) / 2))   # the signed z
//! }
//! # two levels: polr needs three; the same model is glm(y ~ x, binomial)
//! ```

use super::*;
use crate::stats::analysis::normal_upper;
use crate::stats::ranks::wilcoxon;

/// Arm counts, control counts, polr's log odds ratio, its SE, wilcox.test's signed z.
type Case = (&'static [f64], &'static [f64], f64, f64, f64);

const POLR: [Case; 7] = [
    (
        &[10.0, 5.0, 8.0, 4.0, 6.0, 7.0],
        &[14.0, 6.0, 7.0, 5.0, 4.0, 4.0],
        0.516683324864,
        0.398959071683,
        1.287896039943,
    ),
    (
        &[3.0, 4.0, 3.0],
        &[5.0, 3.0, 2.0],
        0.729578794990,
        0.842441745449,
        0.846258734758,
    ),
    // An empty level (the fourth) and a level only control reached.
    (
        &[0.0, 12.0, 30.0, 0.0, 25.0, 40.0],
        &[2.0, 20.0, 25.0, 0.0, 20.0, 30.0],
        0.437640617334,
        0.254290334698,
        1.714497112319,
    ),
    (
        &[50.0, 10.0, 10.0, 10.0, 10.0, 30.0],
        &[63.0, 12.0, 11.0, 9.0, 8.0, 17.0],
        0.525841332613,
        0.239505521052,
        2.193124099161,
    ),
    (
        &[2.0, 0.0, 0.0, 7.0],
        &[5.0, 1.0, 1.0, 3.0],
        1.794270419651,
        1.009050842329,
        1.773305870558,
    ),
    // Large effects: the first Newton steps exceed 1 and the likelihood is checked, halving.
    (
        &[1.0, 2.0, 30.0],
        &[30.0, 2.0, 1.0],
        5.768321007119,
        1.021130764489,
        7.309991287924,
    ),
    (
        &[0.0, 1.0, 1.0, 2.0, 40.0],
        &[25.0, 10.0, 3.0, 1.0, 1.0],
        5.942235130470,
        0.915803815482,
        8.169720254702,
    ),
];

#[test]
fn the_proportional_odds_fit_is_polrs() {
    for (arm, control, beta, se, _) in POLR {
        let mut s = PoScratch::new(arm.len());
        let f = proportional_odds(arm, control, &mut s)
            .fit()
            .expect("a fit");
        // polr maximises with optim's BFGS (its estimate stops ~1e-8 short of the maximum) and
        // takes the SE from a numerical Hessian: agreement to 1e-6.
        assert!(
            (f.log_odds_ratio - beta).abs() < 1e-6,
            "{arm:?}: {f:?} vs {beta}"
        );
        assert!((f.se - se).abs() < 1e-6, "{arm:?}: {f:?} vs {se}");
        assert!((f.z() - beta / se).abs() < 1e-6, "{arm:?}: {f:?}");
    }
}

#[test]
fn two_levels_are_logistic_regression() {
    // glm(y ~ x, binomial, control = list(epsilon = 1e-14)) on arm (2 worse, 5 better) and
    // control (4, 3): coefficient 1.203972804326, SE 1.132843031198 (= log(5 * 4 / (2 * 3))).
    let mut s = PoScratch::new(2);
    let f = proportional_odds(&[2.0, 5.0], &[4.0, 3.0], &mut s)
        .fit()
        .unwrap();
    assert!((f.log_odds_ratio - 1.203972804326).abs() < 1e-9, "{f:?}");
    assert!((f.se - 1.132843031198).abs() < 1e-9, "{f:?}");
}

#[test]
fn the_scratch_is_reused_across_sizes_of_fit() {
    // A fit with fewer kept levels after one with more must not read the old buffers.
    let mut s = PoScratch::new(6);
    let (arm, control, beta, ..) = POLR[0];
    proportional_odds(arm, control, &mut s);
    let f = proportional_odds(
        &[3.0, 0.0, 4.0, 0.0, 3.0, 0.0],
        &[5.0, 0.0, 3.0, 0.0, 2.0, 0.0],
        &mut s,
    );
    assert!((f.fit().unwrap().log_odds_ratio - POLR[1].2).abs() < 1e-8);
    let again = proportional_odds(arm, control, &mut s).fit().unwrap();
    assert!((again.log_odds_ratio - beta).abs() < 1e-8);
}

#[test]
fn separated_and_degenerate_groups_have_no_wald_test() {
    let mut s = PoScratch::new(3);
    // The arm's lowest level is the control's highest: beta runs to infinity.
    assert_eq!(
        proportional_odds(&[0.0, 2.0, 5.0], &[4.0, 3.0, 0.0], &mut s),
        OddsOutcome::Separated
    );
    assert_eq!(
        proportional_odds(&[4.0, 0.0, 0.0], &[0.0, 1.0, 6.0], &mut s),
        OddsOutcome::Separated
    );
    // One level overlapping in the middle is not enough; two are.
    assert!(
        proportional_odds(&[0.0, 2.0, 5.0], &[4.0, 3.0, 1.0], &mut s)
            .fit()
            .is_some()
    );
    assert_eq!(
        proportional_odds(&[0.0, 3.0, 0.0], &[0.0, 4.0, 0.0], &mut s),
        OddsOutcome::Uninformative
    );
    assert_eq!(
        proportional_odds(&[0.0, 0.0, 0.0], &[1.0, 4.0, 2.0], &mut s),
        OddsOutcome::Uninformative
    );
    assert_eq!(OddsOutcome::Separated.statistic(), Statistic::Uninformative);
}

#[test]
fn the_wilcoxon_z_is_wilcox_tests() {
    for (arm, control, _, _, z) in POLR {
        let w = wilcoxon(arm, control).unwrap();
        assert!((w - z).abs() < 1e-9, "{arm:?}: {w} vs {z}");
    }
    // Everybody tied, or an empty group: no statistic.
    assert_eq!(wilcoxon(&[0.0, 3.0, 0.0], &[0.0, 4.0, 0.0]), None);
    assert_eq!(wilcoxon(&[0.0, 0.0, 0.0], &[0.0, 4.0, 0.0]), None);
}

#[test]
fn whiteheads_information_is_popowers() {
    // Hmisc::popower(c(0.2, 0.3, 0.1, 0.4), 1.6, n1 = 100, n2 = 140): power 0.499219627061,
    // 1 / approx.se^2 = 17.355073087585; popower(c(.45, .1, .1, .1, .1, .15), 0.7, n = 280):
    // 0.370724884845, 20.885551094844.
    let z = 1.959963984540054;
    let v = whitehead_information(&[0.2, 0.3, 0.1, 0.4], 100.0, 140.0);
    assert!((v - 17.355073087585).abs() < 1e-9);
    assert!((normal_upper(z - 1.6f64.ln() * v.sqrt()) - 0.499219627061).abs() < 1e-9);
    let v = whitehead_information(&[0.45, 0.1, 0.1, 0.1, 0.1, 0.15], 140.0, 140.0);
    assert!((v - 20.885551094844).abs() < 1e-9);
    assert!((normal_upper(z - 0.7f64.ln().abs() * v.sqrt()) - 0.370724884845).abs() < 1e-9);
}
