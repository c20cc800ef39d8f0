//! Tests of `stats::analysis` against closed forms and reference values of R and rpact.

use super::*;

/// Large margins (5,000 a side): the pmf spans hundreds of orders of magnitude, so the
/// regions' anchor at the mode matters, as in `fisher_exact`.
#[test]
fn fisher_regions_of_large_margins() {
    let level = Level::new(0.05, Alternative::TwoSided, 1);
    let mut regions = FisherRegions::default();
    let (n1, n0, m) = (5000, 4000, 4500);
    for x in (500..=4500).step_by(7) {
        let t = Table::new(x, n1, m - x, n0);
        assert_eq!(
            regions.rejects(&t, &level),
            fisher_exact(&t, level.alt) <= 0.05,
            "{t:?}"
        );
    }
}

/// Margins whose decisions were not an interval are decided table by table.
#[test]
fn irregular_regions_fall_back_to_fisher_exact() {
    let level = Level::new(0.05, Alternative::TwoSided, 1);
    let mut regions = FisherRegions::default();
    regions.accepted.insert((20, 20, 12), Region::Irregular);
    for x in 0..=12 {
        let t = Table::new(x, 20, 12 - x, 20);
        assert_eq!(
            regions.rejects(&t, &level),
            fisher_exact(&t, level.alt) <= 0.05,
            "{t:?}"
        );
    }
}

/// A two-sided level counting one direction (`two_sided_power = false`): a statistic crossing
/// either bound stops, but only one on the counted side (strictly: no direction is neither)
/// rejects; without counting, every crossing rejects.
#[test]
fn a_level_counting_one_direction_rejects_only_on_its_side() {
    let both = Level::new(0.05, Alternative::TwoSided, 0);
    let less = both.clone().counting(Alternative::Less);
    let greater = both.clone().counting(Alternative::Greater);
    for d in [-1.0, 0.0, 1.0] {
        assert!(both.counts(d));
    }
    assert!(less.counts(-1e-300) && !less.counts(0.0) && !less.counts(1.0));
    assert!(greater.counts(1e-300) && !greater.counts(0.0) && !greater.counts(-1.0));
    for z in [-2.5, 2.5] {
        assert!(Statistic::Z(z).crosses(&less) && Statistic::Z(z).crosses(&greater));
        assert_eq!(Statistic::Z(z).rejects(&less), z < 0.0);
        assert_eq!(Statistic::Z(z).rejects(&greater), z > 0.0);
        assert!(Statistic::Z(z).rejects(&both));
    }
    // Inside the bounds nothing stops; an exact test's direction is its observed difference's.
    assert!(!Statistic::Z(1.9).crosses(&greater));
    let exact = |sign: f64| Statistic::P { p: 0.01, sign };
    assert!(exact(-1.0).rejects(&less) && !exact(1.0).rejects(&less));
    assert_eq!(exact(-1.0).direction(), -1.0);
    assert_eq!(Statistic::Uninformative.direction(), 0.0);
}

/// An exact test's p-value rejects at or below alpha; a table without information never.
#[test]
fn statistics_without_a_z_decide_by_p_value() {
    let level = Level::new(0.05, Alternative::TwoSided, 1);
    assert!(
        Statistic::P {
            p: 0.049,
            sign: 1.0
        }
        .rejects(&level)
    );
    assert!(
        Statistic::P {
            p: 0.05,
            sign: -1.0
        }
        .rejects(&level)
    );
    assert!(
        !Statistic::P {
            p: 0.051,
            sign: 1.0
        }
        .rejects(&level)
    );
    assert!(!Statistic::Uninformative.rejects(&level));
    assert_eq!(Statistic::Uninformative.p_value(Alternative::Less), 1.0);
    assert_eq!(
        Statistic::P { p: 0.2, sign: 1.0 }.p_value(Alternative::Greater),
        0.2
    );
}

/// Decisions by critical value are those of the p-value, at and around the critical value
/// and far from it, for each alternative and several levels and degrees of freedom.
#[test]
fn critical_values_decide_as_p_values() {
    use rand::{RngExt, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    for alpha in [0.1, 0.05, 0.025, 0.01, 0.001] {
        for alt in [
            Alternative::TwoSided,
            Alternative::Greater,
            Alternative::Less,
        ] {
            let level = Level::new(alpha, alt, 4);
            let sign = if alt == Alternative::Less { -1.0 } else { 1.0 };
            let mut zs: Vec<f64> = (-300..=300)
                .map(|k| sign * level.z * (1.0 + f64::from(k) * 1e-8))
                .collect();
            zs.extend((0..20_000).map(|_| rng.random_range(-6.0..6.0)));
            for z in zs {
                let by_p = normal_p_value(z, alt) <= alpha;
                assert_eq!(
                    Statistic::Z(z).rejects(&level),
                    by_p,
                    "z {z} {alt:?} {alpha}"
                );
            }
            for df in 1..=4 {
                let c = level.chi2[df as usize - 1];
                let mut xs: Vec<f64> = (-300..=300)
                    .map(|k| c * (1.0 + f64::from(k) * 1e-8))
                    .collect();
                xs.extend((0..5_000).map(|_| rng.random_range(0.0..30.0)));
                for x in xs {
                    let by_p = chi_square_upper(x, df) <= alpha;
                    assert_eq!(level.rejects_chi2(x, df), by_p, "x {x} df {df} {alpha}");
                }
            }
        }
    }
}

/// Fisher's decisions from the margins' regions are `fisher_exact(..) <= alpha`'s, for every
/// outcome of every margins up to 24 a side (and a sample of larger ones), each alternative.
#[test]
fn fisher_regions_decide_as_fisher_exact() {
    let mut margins: Vec<(u64, u64)> = (0..=24)
        .flat_map(|a| (0..=24).map(move |b| (a, b)))
        .collect();
    margins.extend([(140, 140), (70, 140), (139, 141), (300, 280)]);
    for alpha in [0.05, 0.01, 0.2] {
        for alt in [
            Alternative::TwoSided,
            Alternative::Greater,
            Alternative::Less,
        ] {
            let level = Level::new(alpha, alt, 1);
            let mut regions = FisherRegions::default();
            for &(n1, n0) in &margins {
                let step = ((n1 + n0) / 40).max(1) as usize;
                for m in (0..=n1 + n0).step_by(step) {
                    for x in m.saturating_sub(n0)..=m.min(n1) {
                        let t = Table::new(x, n1, m - x, n0);
                        assert_eq!(
                            regions.rejects(&t, &level),
                            fisher_exact(&t, alt) <= alpha,
                            "{t:?} {alt:?} {alpha}"
                        );
                    }
                }
            }
        }
    }
}

/// Reference p-values computed with R 4.2.2; each call is written beside its value.
const TOL: f64 = 1e-9;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= TOL * b.max(1e-300) || (a - b).abs() < 1e-14
}

#[test]
fn fisher_matches_r() {
    // TeaTasting: fisher.test(matrix(c(3,1,1,3),2)) -> 0.485714285714286; "greater" -> 0.242857142857143
    let tea = Table::new(3, 4, 1, 4);
    assert!(close(
        fisher_exact(&tea, Alternative::TwoSided),
        0.485714285714286
    ));
    assert!(close(
        fisher_exact(&tea, Alternative::Greater),
        0.242857142857143
    ));
    // Convictions: fisher.test(matrix(c(2,10,15,3),2)) -> 0.000536724119143436; "less" -> 0.000465180943362905
    let conv = Table::new(2, 17, 10, 13);
    assert!(close(
        fisher_exact(&conv, Alternative::TwoSided),
        0.000536724119143436
    ));
    assert!(close(
        fisher_exact(&conv, Alternative::Less),
        0.000465180943362905
    ));
    // fisher.test(matrix(c(12,5,28,35),2)): 0.0993040656997281, greater 0.049652032849864, less 0.986570279525184
    let t = Table::new(12, 40, 5, 40);
    assert!(close(
        fisher_exact(&t, Alternative::TwoSided),
        0.0993040656997281
    ));
    assert!(close(
        fisher_exact(&t, Alternative::Greater),
        0.049652032849864
    ));
    assert!(close(
        fisher_exact(&t, Alternative::Less),
        0.986570279525184
    ));
    // ImmunoSep's reported counts: fisher.test(matrix(c(46,26,85,119),2)) -> 0.00151765593963712
    let im = Table::new(46, 131, 26, 145);
    assert!(close(
        fisher_exact(&im, Alternative::TwoSided),
        0.00151765593963712
    ));
    // A large table, where the pmf spans hundreds of orders of magnitude: the walk must be
    // anchored at the mode. fisher.test(matrix(c(2100,1900,2900,3100),2)) -> 4.85118687133031e-05;
    // "greater" -> 2.42559343566515e-05
    let big = Table::new(2100, 5000, 1900, 5000);
    assert!(close(
        fisher_exact(&big, Alternative::TwoSided),
        4.85118687133031e-05
    ));
    assert!(close(
        fisher_exact(&big, Alternative::Greater),
        2.42559343566515e-05
    ));
}

#[test]
fn chi_square_matches_r() {
    let t = Table::new(12, 40, 5, 40);
    // chisq.test(matrix(c(12,5,28,35),2), correct=FALSE)$p.value -> 0.0557292605293342
    assert!(close(
        chi_square(&t, false, Alternative::TwoSided),
        0.0557292605293342
    ));
    // chisq.test(..., correct=TRUE)$p.value -> 0.101038413203158
    assert!(close(
        chi_square(&t, true, Alternative::TwoSided),
        0.101038413203158
    ));
    // prop.test(c(12,5), c(40,40), correct=FALSE, alternative="greater") -> 0.027864630264667
    assert!(close(
        chi_square(&t, false, Alternative::Greater),
        0.027864630264667
    ));
    // prop.test(..., correct=TRUE, alternative="greater") -> 0.0505192066015791; "less" -> 0.949480793398421
    assert!(close(
        chi_square(&t, true, Alternative::Greater),
        0.0505192066015791
    ));
    assert!(close(
        chi_square(&t, true, Alternative::Less),
        0.949480793398421
    ));
    // prop.test(c(46,26), c(131,145), correct=FALSE) -> 0.00116869341902054
    let im = Table::new(46, 131, 26, 145);
    assert!(close(
        chi_square(&im, false, Alternative::TwoSided),
        0.00116869341902054
    ));
}

#[test]
fn cmh_matches_r_on_agresti_rabbits() {
    // Rabbits <- array(c(0,0,6,5, 3,0,3,6, 6,2,0,4, 5,6,1,0, 2,5,0,0), dim=c(2,2,5))
    // R stores x[treatment, response, k]: x[1,1] = penicillin cured, x[2,1] = control cured.
    let raw = [
        [0, 0, 6, 5],
        [3, 0, 3, 6],
        [6, 2, 0, 4],
        [5, 6, 1, 0],
        [2, 5, 0, 0],
    ];
    let strata: Vec<Table> = raw
        .iter()
        .map(|&[a, c, b, d]| Table::new(a, a + b, c, c + d))
        .collect();
    // mantelhaen.test(Rabbits)$p.value -> 0.0474722551429181 (X-squared 3.92857142857143)
    assert!(close(
        cmh(&strata, true, Alternative::TwoSided),
        0.0474722551429181
    ));
    // mantelhaen.test(Rabbits, correct=FALSE)$p.value -> 0.0173844203520662 (X-squared 5.65714285714286)
    assert!(close(
        cmh(&strata, false, Alternative::TwoSided),
        0.0173844203520662
    ));
    // mantelhaen.test(Rabbits, correct=FALSE, alternative="greater")$p.value -> 0.00869221017603309
    assert!(close(
        cmh(&strata, false, Alternative::Greater),
        0.00869221017603309
    ));
}

#[test]
fn cmh_counts_two_patient_strata_and_skips_smaller_ones() {
    // x <- array(c(5,3,10,12, 1,0,0,1), dim=c(2,2,2))
    // mantelhaen.test(x, correct=FALSE)$p.value -> 0.259172694529249
    let strata = [Table::new(5, 15, 3, 15), Table::new(1, 1, 0, 1)];
    assert!(close(
        cmh(&strata, false, Alternative::TwoSided),
        0.259172694529249
    ));
    // Strata of 0 or 1 patients carry no information (R refuses them): same p-value.
    let with_empty = [
        strata[0],
        strata[1],
        Table::new(0, 0, 0, 0),
        Table::new(1, 1, 0, 0),
    ];
    assert!(close(
        cmh(&with_empty, false, Alternative::TwoSided),
        0.259172694529249
    ));
}

#[test]
fn cmh_with_one_stratum_is_the_chi_square_scaled_by_n_minus_1() {
    // With K = 1 the MH statistic is X^2 (n - 1) / n.
    let t = Table::new(12, 40, 5, 40);
    let p = cmh(&[t], false, Alternative::TwoSided);
    // X^2 = 3.66013071895425 (chisq.test(..., correct=FALSE)$statistic);
    // pchisq(X^2 * 79/80, 1, lower=FALSE) -> 0.0572821007210863
    assert!(close(p, 0.0572821007210863));
}

#[test]
fn interaction_matches_r_glm_wald_test() {
    // R 4.2.2: fit <- glm(cbind(ev, n - ev) ~ arm * label, binomial,
    //   control = glm.control(epsilon = 1e-15, maxit = 200))  # converged to machine precision
    // W <- t(b) %*% solve(V) %*% b over the arm:label coefficients; pchisq(W, K - 1, lower = FALSE).
    // K = 2: W = 0.846545048483362, p = 0.357531567724440
    let two = [Table::new(12, 25, 4, 23), Table::new(30, 95, 17, 97)];
    let p2 = interaction_wald(&two);
    assert!(close(p2, 0.357531567724440), "{p2}");
    // K = 3: W = 6.0057233549804874, p = 0.0496447974987725
    let three = [two[0], two[1], Table::new(20, 60, 22, 58)];
    let p3 = interaction_wald(&three);
    assert!(close(p3, 0.0496447974987725), "{p3}");
    // Identical strata: no interaction at all.
    assert!(close(interaction_wald(&[two[0], two[0]]), 1.0));
    // A stratum with an empty cell is left out: one stratum left, p = 1.
    assert_eq!(interaction_wald(&[two[0], Table::new(0, 10, 3, 10)]), 1.0);
    // ... and with two strata left, the test is theirs (any one empty cell suffices).
    for empty in [
        Table::new(0, 10, 3, 10),
        Table::new(10, 10, 3, 10),
        Table::new(4, 10, 0, 10),
        Table::new(4, 10, 10, 10),
    ] {
        assert!(close(
            interaction_wald(&[two[0], two[1], empty]),
            0.357531567724440
        ));
    }
}

#[test]
fn chi_square_upper_tail_matches_r() {
    // pchisq(6.0057233549804874, 2, lower = FALSE) -> 0.0496447974987725
    assert!(close(
        chi_square_upper(6.005_723_354_980_487, 2),
        0.0496447974987725
    ));
    // pchisq(7.5, 3, lower = FALSE) -> 0.0575584519726364
    assert!((chi_square_upper(7.5, 3) - 0.0575584519726364).abs() < 1e-9);
}

#[test]
fn degenerate_tables_never_reject() {
    for alt in [
        Alternative::TwoSided,
        Alternative::Greater,
        Alternative::Less,
    ] {
        for t in [
            Table::new(0, 10, 0, 10),
            Table::new(10, 10, 10, 10),
            Table::new(0, 0, 3, 10),
        ] {
            assert_eq!(chi_square(&t, false, alt), 1.0);
            assert_eq!(chi_square(&t, true, alt), 1.0);
            assert_eq!(fisher_exact(&t, alt), 1.0);
            assert_eq!(cmh(&[t], false, alt), 1.0);
        }
    }
}

#[test]
fn wald_interval_is_symmetric_around_the_difference() {
    let t = Table::new(12, 40, 5, 40);
    let (lo, hi) = t.wald_interval(Z_975).unwrap();
    let d = t.difference().unwrap();
    assert!((d - 0.175).abs() < 1e-15);
    let se = (0.3f64 * 0.7 / 40.0 + 0.125 * 0.875 / 40.0).sqrt();
    assert!((hi - d - Z_975 * se).abs() < 1e-15 && (d - lo - Z_975 * se).abs() < 1e-15);
    assert!(Table::new(0, 0, 1, 2).wald_interval(Z_975).is_none());
    assert!(Table::new(1, 2, 0, 0).difference().is_none());
    assert!(Table::new(0, 0, 0, 0).difference().is_none());
}

/// A level of 0 (a look without an efficacy stop) rejects nothing, not even a z whose p-value
/// underflows to 0; a positive level decides inside the guard band by the p-value.
#[test]
fn a_level_of_zero_never_rejects_and_the_guard_band_decides_by_p() {
    let never = Level::new(0.0, Alternative::Greater, 2);
    for z in [1.0, 8.0, 40.0, f64::MAX] {
        assert!(!never.rejects_z(z), "{z}");
    }
    let level = Level::new(0.025, Alternative::Greater, 1);
    let c = level.z;
    assert!(!level.rejects_z(c * (1.0 - 1e-8)), "just below the bound");
    assert!(level.rejects_z(c * (1.0 + 1e-8)), "just above the bound");
}
