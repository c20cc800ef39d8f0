//! The continuous tests against R 4.2.2 (stats), on fixed data: the values were made by this
//! R code (the data rounded to 3 decimals, so that both sides read the same numbers):
//!
//! ```r
//! set.seed(11)
//! y1 <- round(rnorm(9, -2, 3), 3); y0 <- round(rnorm(11, -0.5, 2.5), 3)
//! a <- t.test(y1, y0, var.equal = TRUE); b <- t.test(y1, y0)
//! lab1 <- c(1,1,2,2,2,3,3,1,2); lab0 <- c(1,2,2,3,3,1,1,2,3,3,2)
//! d <- data.frame(y = c(y1, y0), arm = factor(c(rep(1, 9), rep(0, 11)), levels = c(0, 1)),
//!                 label = factor(c(lab1, lab0)))
//! m <- lm(y ~ arm + label, d); summary(m)$coefficients["arm1", ]; confint(m)["arm1", ]
//! anova(m, lm(y ~ arm * label, d))
//! ```

use super::*;

const Y1: [f64; 9] = [
    -3.773, -1.92, -6.55, -6.088, 1.535, -4.802, 1.971, -0.125, -2.137,
];
const Y0: [f64; 11] = [
    -3.01, -2.571, -1.371, -4.346, -1.139, -3.375, -0.469, -1.057, 1.719, -1.98, -2.139,
];
const LAB1: [usize; 9] = [1, 1, 2, 2, 2, 3, 3, 1, 2];
const LAB0: [usize; 11] = [1, 2, 2, 3, 3, 1, 1, 2, 3, 3, 2];

fn moments(y: &[f64]) -> Moments {
    let mut m = Moments::default();
    y.iter().for_each(|&x| m.push(x));
    m
}

/// Per label (1 to 3): the arm's and control's moments.
fn by_label() -> Vec<(Moments, Moments)> {
    (1..=3)
        .map(|l| {
            let pick = |y: &[f64], lab: &[usize]| {
                let v: Vec<f64> = y
                    .iter()
                    .zip(lab)
                    .filter(|(_, k)| **k == l)
                    .map(|(y, _)| *y)
                    .collect();
                moments(&v)
            };
            (pick(&Y1, &LAB1), pick(&Y0, &LAB0))
        })
        .collect()
}

fn close(a: f64, b: f64, tol: f64) {
    assert!((a - b).abs() <= tol * b.abs().max(1.0), "{a} vs {b}");
}

#[test]
fn pooled_t_test_matches_t_test_var_equal() {
    let t = t_test(&moments(&Y1), &moments(&Y0)).unwrap();
    close(t.t(), -0.587_394_388_598_259_3, 1e-12);
    assert_eq!(t.df, 18.0);
    close(
        p_value(Some(t), Alternative::TwoSided),
        0.564_235_335_782_857_6,
        1e-10,
    );
    let (lo, hi) = t.interval(0.95);
    close(lo, -2.9187664150244346, 1e-10);
    close(hi, 1.643_271_465_529_485, 1e-10);
}

#[test]
fn welch_matches_t_test() {
    let t = welch(&moments(&Y1), &moments(&Y0)).unwrap();
    close(t.t(), -0.552_658_766_522_416_2, 1e-12);
    close(t.df, 11.475749662430928, 1e-12);
    close(
        p_value(Some(t), Alternative::TwoSided),
        0.591_099_437_094_009,
        1e-10,
    );
    let (lo, hi) = t.interval(0.95);
    close(lo, -3.1648140331612407, 1e-9);
    close(hi, 1.8893190836662914, 1e-9);
}

#[test]
fn ancova_and_interaction_match_lm_and_anova() {
    let strata = by_label();
    let t = ancova(&strata).unwrap();
    close(t.difference, -0.5182758620689657, 1e-12);
    close(t.se, 1.1453839852608527, 1e-12);
    close(t.t(), -0.45249092770485366, 1e-12);
    assert_eq!(t.df, 16.0);
    close(
        p_value(Some(t), Alternative::TwoSided),
        0.656_990_234_803_841_4,
        1e-10,
    );
    let (lo, hi) = t.interval(0.95);
    close(lo, -2.9463814420666057, 1e-10);
    close(hi, 1.9098297179286745, 1e-10);
    close(
        interaction(&strata).unwrap(),
        0.780_134_151_068_463_8,
        1e-10,
    );
    // One label: the model is the pooled t test, with no interaction to test.
    let one = [(moments(&Y1), moments(&Y0))];
    assert_eq!(
        ancova(&one).unwrap().t(),
        t_test(&one[0].0, &one[0].1).unwrap().t()
    );
    assert_eq!(interaction(&one), None);
}

/// One-sided p-values are the tails of the same t, in the direction of the alternative.
#[test]
fn one_sided_p_values_are_the_t_tails() {
    let t = t_test(&moments(&Y1), &moments(&Y0)).unwrap();
    let two = p_value(Some(t), Alternative::TwoSided);
    close(p_value(Some(t), Alternative::Less), two / 2.0, 1e-12);
    close(
        p_value(Some(t), Alternative::Greater),
        1.0 - two / 2.0,
        1e-12,
    );
}

#[test]
fn degenerate_data_have_no_statistic() {
    let one = moments(&[1.0]);
    assert_eq!(t_test(&one, &Moments::default()), None);
    assert_eq!(t_test(&one, &one), None, "df = 0");
    assert_eq!(welch(&one, &moments(&Y0)), None);
    assert_eq!(
        t_test(&moments(&[2.0, 2.0]), &moments(&[2.0])),
        None,
        "no variation"
    );
    assert_eq!(statistic(None), Statistic::Uninformative);
    assert_eq!(ancova(&[(Moments::default(), moments(&Y0))]), None);
}

/// Cells combined give the moments of their union.
#[test]
fn combined_moments_are_those_of_the_union() {
    let (a, b) = Y0.split_at(4);
    let m = moments(a).combine(moments(b));
    let whole = moments(&Y0);
    assert_eq!(m.n, whole.n);
    close(m.mean, whole.mean, 1e-14);
    close(m.ss, whole.ss, 1e-13);
    assert_eq!(Moments::default().combine(whole), whole);
    assert_eq!(whole.combine(Moments::default()), whole);
    let s = Moments::of_sum(4, 10.0, 2.5);
    assert_eq!((s.mean, s.ss), (2.5, 2.5));
}

/// `pt(t, df, ncp)` and `qt(0.975, df)` of R 4.2.2, printed with digits = 17.
#[test]
fn noncentral_t_and_quantiles_match_r() {
    for (t, df, ncp, r) in [
        (2.1, 10.0, 1.5, 0.689_768_093_441_926_6),
        (-1.3, 25.0, 0.8, 0.020013930260832202),
        (1.96, 58.0, 2.8, 0.201_913_577_240_343_3),
        (0.5, 3.0, -1.2, 0.948_563_324_811_191_8),
        (3.0, 200.0, 3.1, 0.4591290386152585),
        (-2.0, 7.0, -2.5, 0.694_407_678_830_966_8),
    ] {
        close(noncentral_t_cdf(t, df, ncp), r, 1e-10);
    }
    for (df, r) in [
        (1.0, 12.706_204_736_174_694),
        (2.5, 3.574_654_842_003_692),
        (10.0, 2.228_138_851_986_274),
        (57.3, 2.002_238_268_231_336),
        (1000.0, 1.9623390808264076),
    ] {
        close(t_quantile(0.975, df), r, 1e-10);
    }
}

/// `power.t.test` of R 4.2.2: two-sided with both regions (strict = TRUE) and one-sided.
#[test]
fn t_power_matches_power_t_test() {
    // power.t.test(n = 30, delta = 1, sd = 2, strict = TRUE)$power
    let se = |n: f64, sd: f64| sd * (2.0 / n).sqrt();
    close(
        t_power(1.0, se(30.0, 2.0), 58.0, 0.05, Alternative::TwoSided),
        0.477_896_520_760_208_6,
        1e-10,
    );
    // power.t.test(n = 140, delta = 0.7, sd = 3.2, strict = TRUE)$power
    close(
        t_power(-0.7, se(140.0, 3.2), 278.0, 0.05, Alternative::TwoSided),
        0.44595082029173394,
        1e-10,
    );
    // power.t.test(n = 12, delta = 1.5, sd = 1.8, sig.level = 0.025, alternative = "one.sided")
    close(
        t_power(1.5, se(12.0, 1.8), 22.0, 0.025, Alternative::Greater),
        0.496762569336758,
        1e-10,
    );
    close(
        t_power(-1.5, se(12.0, 1.8), 22.0, 0.025, Alternative::Less),
        0.496762569336758,
        1e-10,
    );
}

/// The memoised critical values decide as the p-values do, for t statistics on both sides of
/// and right at each critical value, each alternative, and for the interaction's F.
#[test]
fn decisions_by_critical_value_are_the_p_values() {
    use crate::stats::analysis::Level;
    for alt in [
        Alternative::TwoSided,
        Alternative::Greater,
        Alternative::Less,
    ] {
        let level = Level::new(0.05, alt, 0);
        let mut d = Decisions::new(level.clone());
        for df in [1.0, 2.0, 7.0, 58.0, 274.0, 10_000.0] {
            let tail = if alt == Alternative::TwoSided {
                0.025
            } else {
                0.05
            };
            let c = t_quantile(1.0 - tail, df);
            for t in [
                -2.0 * c,
                -c,
                -c * (1.0 + 1e-9),
                0.0,
                c * (1.0 - 1e-3),
                c,
                c * (1.0 + 1e-7),
                3.0 * c,
            ] {
                let test = Some(MeanTest {
                    difference: t,
                    se: 1.0,
                    df,
                });
                assert_eq!(
                    d.rejects(test),
                    statistic(test).rejects(&level),
                    "{alt:?} df {df} t {t}"
                );
            }
        }
        assert_eq!(d.rejects(None), statistic(None).rejects(&level));
        // Welch's fractional degrees of freedom take the p-value's path.
        let welch = Some(MeanTest {
            difference: 2.0,
            se: 1.0,
            df: 37.5,
        });
        assert_eq!(d.rejects(welch), statistic(welch).rejects(&level));
        assert_eq!(d.interval_quantile(58.0), t_quantile(0.975, 58.0));
    }
    let mut d = Decisions::new(Level::new(0.05, Alternative::TwoSided, 0));
    let m = |n: u64, mean: f64, ss: f64| Moments { n, mean, ss };
    for shift in [0.0, 0.5, 1.0, 1.5, 2.0, 3.0] {
        let strata = [
            (m(20, 0.0, 60.0), m(22, 0.4, 70.0)),
            (m(18, shift, 55.0), m(19, 0.0, 50.0)),
            (m(9, 1.0, 20.0), m(11, 0.5, 30.0)),
        ];
        assert_eq!(
            d.interaction_rejects(&strata),
            interaction(&strata).unwrap_or(1.0) <= 0.05,
            "shift {shift}"
        );
    }
    assert!(!d.interaction_rejects(&[(m(5, 0.0, 4.0), m(5, 1.0, 4.0))]));
}
