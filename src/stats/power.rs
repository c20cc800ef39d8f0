//! Power without simulation: the normal approximation (R's `power.prop.test` and its
//! unequal-allocation generalisation) printed beside every simulated power, and exact power by
//! enumeration of every 2 x 2 table for two-arm designs, the yardstick of the engine's tests.

use statrs::distribution::{Binomial, ContinuousCDF, Discrete, Normal};

use crate::model::design::{Design, DesignKind, EndpointModel};
use crate::model::vocabulary::{Randomisation, Sidedness, TestKind};
use crate::stats::analysis::{self, Alternative, Level, Table, normal_upper};
use crate::stats::boundaries::{self, Boundaries, Sides, Stages};
use crate::stats::means;
use crate::stats::ordinal;
use crate::stats::survival;

/// The alternative hypothesis of the design's comparisons, arm relative to control.
pub fn alternative(design: &Design) -> Alternative {
    match design.analysis.sidedness {
        Sidedness::TwoSided => Alternative::TwoSided,
        Sidedness::OneSided => benefit(design),
    }
}

/// The direction of benefit, arm relative to control.
fn benefit(design: &Design) -> Alternative {
    if design.benefit_sign() > 0.0 {
        Alternative::Greater
    } else {
        Alternative::Less
    }
}

/// Whether the design's power counts a two-sided test's rejections for benefit only
/// (`analysis.two_sided_power = false`, rpact's `twoSidedPower = FALSE`).
pub fn one_way(design: &Design) -> bool {
    design.analysis.sidedness == Sidedness::TwoSided && !design.analysis.two_sided_power
}

/// The level and alternative whose power is the design's power in a fixed design: its own, or
/// for a two-sided test whose power counts benefit only, the one-sided test at alpha / 2 for
/// benefit (the same rejections for benefit; the other tail's no longer count).
fn power_test(design: &Design) -> (f64, Alternative) {
    if one_way(design) {
        (design.analysis.alpha / 2.0, benefit(design))
    } else {
        (design.analysis.alpha, alternative(design))
    }
}

/// The design's significance level at `alpha` for the alternative `alt` of its comparisons
/// (`alternative`, or the responders' of a dichotomised outcome), counting a two-sided test's
/// rejections only in the direction `benefit` when its power counts benefit only. `max_df`: as
/// `Level::new`.
pub fn level_for(
    design: &Design,
    alpha: f64,
    alt: Alternative,
    benefit: Alternative,
    max_df: u32,
) -> Level {
    let level = Level::new(alpha, alt, max_df);
    if one_way(design) {
        level.counting(benefit)
    } else {
        level
    }
}

/// The design's significance level at `alpha` for its comparisons (`level_for` with
/// `alternative` and the benefit's direction).
pub fn level(design: &Design, alpha: f64, max_df: u32) -> Level {
    level_for(design, alpha, alternative(design), benefit(design), max_df)
}

fn upper_quantile(p: f64) -> f64 {
    Normal::standard().inverse_cdf(1.0 - p)
}

/// Normal-approximation power of the pooled z test comparing risk `p1` with `n1` evaluable
/// patients against `p0` with `n0`. Two-sided power counts both rejection regions, as
/// `power.prop.test(..., strict = TRUE)`; with n1 = n0 it equals that function exactly.
pub fn normal_power(p1: f64, n1: f64, p0: f64, n0: f64, alpha: f64, alt: Alternative) -> f64 {
    let (sd0, sd1) = standard_errors(p1, n1, p0, n0);
    let delta = p1 - p0;
    // P(z > c) under the alternative, for a signed difference d and critical value c (in SD0s).
    let tail = |d: f64, c: f64| {
        if sd1 > 0.0 {
            normal_upper((c * sd0 - d) / sd1)
        } else if d > c * sd0 {
            1.0
        } else {
            0.0
        }
    };
    match alt {
        Alternative::TwoSided => {
            let c = upper_quantile(alpha / 2.0);
            tail(delta, c) + tail(-delta, c)
        }
        Alternative::Greater => tail(delta, upper_quantile(alpha)),
        Alternative::Less => tail(-delta, upper_quantile(alpha)),
    }
}

/// Standard errors of the difference in risk between `p1` (`n1` patients) and `p0` (`n0`):
/// under the null (the pooled risk) and under the alternative.
fn standard_errors(p1: f64, n1: f64, p0: f64, n0: f64) -> (f64, f64) {
    let pbar = (n1 * p1 + n0 * p0) / (n1 + n0);
    let sd0 = (pbar * (1.0 - pbar) * (1.0 / n1 + 1.0 / n0)).sqrt();
    let sd1 = (p1 * (1.0 - p1) / n1 + p0 * (1.0 - p0) / n0).sqrt();
    (sd0, sd1)
}

/// The expected evaluable patients of arm `a`: its expected size less dropout.
fn expected_evaluable(design: &Design, a: usize) -> f64 {
    design.expected_arm_size(a) * (1.0 - design.dropout)
}

/// The true risks of `arm` and control and their expected evaluable sizes: (p1, n1, p0, n0).
fn expected_arms(design: &Design, arm: usize) -> (f64, f64, f64, f64) {
    let c = design.control;
    let evaluable = |a: usize| expected_evaluable(design, a);
    (
        design.true_mean[arm],
        evaluable(arm),
        design.true_mean[c],
        evaluable(c),
    )
}

/// The design's analytic power for `arm` against control: true marginal risks and expected
/// evaluable arm sizes in the normal approximation; with interim looks, the probability of
/// crossing its boundaries at the drift `sequential_drift` gives.
pub fn analytic_power(design: &Design, arm: usize) -> f64 {
    match (&design.endpoint, &design.kind) {
        // No closed form for adaptive designs: their power is simulated only.
        (_, DesignKind::AdaptiveEnrichment(..) | DesignKind::Bayesian(_)) => f64::NAN,
        _ if design.reestimation().is_some() => f64::NAN,
        (_, DesignKind::GroupSequential(_)) if design.has_interim_looks() => {
            let (b, _, sides) = boundaries::of_design(design).expect("a sequential design");
            match sequential_drift(design, arm, sides) {
                d if d.is_finite() => crossing_power(&b, sides, d, one_way(design)),
                // No variance (certain outcomes): power 1 for a benefit, 0 otherwise.
                d if d == f64::INFINITY => 1.0,
                d if d == f64::NEG_INFINITY => 0.0,
                _ => f64::NAN,
            }
        }
        (EndpointModel::TimeToEvent(_), _) => survival_analytic_power(design, arm),
        // Against a margin (one-sided): the one-look crossing of the Farrington-Manning drift.
        (EndpointModel::Binary, _) if design.analysis.margin.is_some() => {
            let drift = binary_drift(design, arm, Sides::One);
            match drift {
                d if d.is_finite() => normal_upper(upper_quantile(design.analysis.alpha) - d),
                d if d == f64::INFINITY => 1.0,
                _ => 0.0,
            }
        }
        (EndpointModel::Binary, _) => {
            let (p1, n1, p0, n0) = expected_arms(design, arm);
            let (alpha, alt) = power_test(design);
            normal_power(p1, n1, p0, n0, alpha, alt)
        }
        (EndpointModel::Continuous(_), _) if design.analysis.test == TestKind::Wilcoxon => {
            drift_power(design, noether_drift(design, arm))
        }
        (EndpointModel::Continuous(_), _) => {
            let (delta, se, df) = continuous_arms(design, arm);
            if df < 1.0 {
                return f64::NAN;
            }
            let tested = delta - design.analysis.null_difference();
            let (alpha, alt) = power_test(design);
            means::t_power(tested, se, df, alpha, alt)
        }
        (EndpointModel::Ordinal(_), _) => drift_power(design, ordinal_drift(design, arm)),
    }
}

/// The analytic stage-wise characteristics of a design with interim looks for `arm` (rpact's
/// `rejectPerStage`, `futilityPerStage` and stopping probabilities), at the drift its analytic
/// power uses; `None` for a fixed or adaptive design, or where no drift is defined (hazards not
/// proportional, certain outcomes).
pub fn analytic_stages(design: &Design, arm: usize) -> Option<Stages> {
    if !(matches!(design.kind, DesignKind::GroupSequential(_)) && design.has_interim_looks())
        || design.reestimation().is_some()
    {
        return None;
    }
    let (b, _, sides) = boundaries::of_design(design)?;
    let drift = sequential_drift(design, arm, sides);
    drift
        .is_finite()
        .then(|| boundaries::stages(&b, sides, drift, one_way(design)))
}

/// The mean of the z statistic at full information of a design with interim looks, in the
/// direction of benefit (two-sided designs counting both sides: its absolute value, or the
/// log-rank's signed drift). NaN where none is defined; for a binary endpoint with certain
/// outcomes, infinite towards the benefit (or against it).
fn sequential_drift(design: &Design, arm: usize, sides: Sides) -> f64 {
    let oriented = |drift: f64| match sides {
        Sides::Two if !one_way(design) => drift.abs(),
        _ => design.benefit_sign() * drift,
    };
    match &design.endpoint {
        EndpointModel::Binary => binary_drift(design, arm, sides),
        EndpointModel::TimeToEvent(_) => survival_drift(design, arm),
        EndpointModel::Continuous(_) if design.analysis.test == TestKind::Wilcoxon => {
            oriented(noether_drift(design, arm))
        }
        // The normal approximation across the boundaries (rpact's `getPowerMeans(...,
        // normalApproximation = TRUE)`): the z at full information has mean delta / SE.
        EndpointModel::Continuous(_) => {
            let (delta, se, _) = continuous_arms(design, arm);
            oriented((delta - design.analysis.null_difference()) / se)
        }
        EndpointModel::Ordinal(_) => oriented(ordinal_drift(design, arm)),
    }
}

/// Noether's (1987) drift of the Wilcoxon test of a continuous outcome: the z has mean
/// (p - 1/2) sqrt(12 n1 n0 / (n + 1)) at the expected evaluable sizes, with p = P(X_arm >
/// X_control) computed exactly over every pair of the arms' normal cells (label x endotype).
fn noether_drift(design: &Design, arm: usize) -> f64 {
    let model = design.continuous().expect("a continuous design");
    let c = design.control;
    let evaluable = |a: usize| expected_evaluable(design, a);
    let (n1, n0) = (evaluable(arm), evaluable(c));
    let p = design.mean_over_cells(arm, |e, mean_a| {
        design.mean_over_cells(c, |f, mean_c| {
            let sd = (model.sd[e].powi(2) + model.sd[f].powi(2)).sqrt();
            1.0 - normal_upper((mean_a - mean_c) / sd)
        })
    });
    (p - 0.5) * (12.0 * n1 * n0 / (n1 + n0 + 1.0)).sqrt()
}

/// The power of a z with mean `drift` (arm against control, positive: the arm higher) at the
/// design's level, in a fixed design. Two-sided power counts both rejection regions (or the
/// benefit's only: `power_test`).
fn drift_power(design: &Design, drift: f64) -> f64 {
    if !drift.is_finite() {
        return f64::NAN;
    }
    let (alpha, alt) = power_test(design);
    match alt {
        Alternative::TwoSided => {
            let z = upper_quantile(alpha / 2.0);
            normal_upper(z - drift) + normal_upper(z + drift)
        }
        Alternative::Greater => normal_upper(upper_quantile(alpha) - drift),
        Alternative::Less => normal_upper(upper_quantile(alpha) + drift),
    }
}

/// Whitehead's drift of an ordinal comparison (as `Hmisc::popower`, for any allocation and
/// either test: the formula is the proportional-odds score test's, which the Wilcoxon test
/// equals under proportional odds): the log odds ratio's z has mean beta sqrt(V), V Whitehead's
/// information at the expected evaluable sizes and the pooled true distribution, beta the limit
/// of the estimate. Two-sided power counts both regions (popower counts one, a difference below
/// 1e-4 at any useful power).
fn ordinal_drift(design: &Design, arm: usize) -> f64 {
    let c = design.control;
    let evaluable = |a: usize| expected_evaluable(design, a);
    let (n1, n0) = (evaluable(arm), evaluable(c));
    let (pa, pc) = (design.true_distribution(arm), design.true_distribution(c));
    let pooled: Vec<f64> = pa
        .iter()
        .zip(&pc)
        .map(|(a, c)| (n1 * a + n0 * c) / (n1 + n0))
        .collect();
    let beta = true_log_odds_ratio(design, arm);
    beta * ordinal::whitehead_information(&pooled, n1, n0).sqrt()
}

/// The limit of comparison `arm`'s log odds ratio estimate: the proportional-odds fit to the two
/// arms' true distributions in their allocation ratio (the common log odds ratio when one
/// holds); NaN when they do not overlap.
pub fn true_log_odds_ratio(design: &Design, arm: usize) -> f64 {
    let c = design.control;
    limit_in_ratio(
        design,
        arm,
        &design.true_distribution(arm),
        &design.true_distribution(c),
    )
}

/// The limit of the log odds ratio estimate of `arm`'s distribution `pa` against control's
/// `pc`, observed in the arms' allocation ratio: exactly the common log odds ratio when one
/// holds (0 for the same distribution), else the fit's.
pub fn limit_in_ratio(design: &Design, arm: usize, pa: &[f64], pc: &[f64]) -> f64 {
    if let Some(common) = crate::model::ordinal::common_log_odds_ratio(pa, pc) {
        return common;
    }
    let (ra, rc) = (
        f64::from(design.arms[arm].ratio),
        f64::from(design.arms[design.control].ratio),
    );
    ordinal::limit_log_odds_ratio(pa, pc, ra / (ra + rc)).unwrap_or(f64::NAN)
}

/// A continuous comparison's true mean difference, the standard error of its estimate at the
/// expected evaluable sizes, and the degrees of freedom of its t: the t test's power is then
/// that of a noncentral t with ncp = difference / SE on n1 + n0 - 2 degrees of freedom (less one
/// per further label with ancova_labels, whose variance is the labels' mean within-label
/// variance). Exact as `power.t.test(strict = TRUE)` for one endotype (and for unequal
/// allocation); an approximation for a mixture of endotypes, which is not normal.
fn continuous_arms(design: &Design, arm: usize) -> (f64, f64, f64) {
    let c = design.control;
    let evaluable = |a: usize| expected_evaluable(design, a);
    let (n1, n0) = (evaluable(arm), evaluable(c));
    let delta = design.true_mean[arm] - design.true_mean[c];
    let (var1, var0, df) = match design.analysis.test {
        TestKind::AncovaLabels => (
            within_label_variance(design, arm),
            within_label_variance(design, c),
            n1 + n0 - 1.0 - design.eligible.len() as f64,
        ),
        _ => (
            design.true_sd(arm).powi(2),
            design.true_sd(c).powi(2),
            n1 + n0 - 2.0,
        ),
    };
    (delta, (var1 / n1 + var0 / n0).sqrt(), df)
}

/// The variance of a continuous outcome within a label, averaged over the labels of the
/// patients randomised to arm `a`: what a model with one intercept per label leaves.
fn within_label_variance(design: &Design, a: usize) -> f64 {
    let model = design.continuous().expect("a continuous design");
    let second = design.mean_over_cells(a, |e, mean| model.sd[e] * model.sd[e] + mean * mean);
    let between: f64 = (0..design.eligible.len())
        .map(|s| design.stratum_prob[s] * design.stratum_mean[a][s].powi(2))
        .sum();
    (second - between).max(0.0)
}

/// Expected deaths in arm `a` by the end of a fixed follow-up (each patient followed
/// `follow_up_days`, loss to follow-up competing): exact from the model.
pub fn expected_deaths(design: &Design, a: usize) -> f64 {
    let model = design.survival().expect("a time-to-event design");
    let follow_up = model.follow_up_days.expect("a fixed follow-up");
    let per_patient = design.mean_over_patients(a, |e, hr| {
        survival::competing(
            &model.control[e],
            hr,
            model.dropout_hazard[a],
            0.0,
            follow_up,
        )
        .0
    });
    design.expected_arm_size(a) * per_patient
}

/// The events, the tested hazard ratio (below 1 for a benefit; over the non-inferiority margin
/// if there is one) and the arm's share of a log-rank comparison of `arm` against control: the
/// events of the two arms are the analysis_events of an event-driven two-arm design, or the expected deaths by the end of a
/// fixed follow-up. `None` when no single hazard ratio is true (hazards not proportional), or
/// for an event-driven design with more than two arms (the share of the events in each
/// comparison is not fixed).
fn log_rank_inputs(design: &Design, arm: usize) -> Option<(f64, f64, f64)> {
    let model = design.survival().expect("a time-to-event design");
    let hr = design.true_hazard_ratio(arm)?;
    let c = design.control;
    let events = match model.analysis_events {
        Some(k) if design.arms.len() == 2 => k as f64,
        Some(_) => return None,
        None => expected_deaths(design, arm) + expected_deaths(design, c),
    };
    let (ra, rc) = (
        f64::from(design.arms[arm].ratio),
        f64::from(design.arms[c].ratio),
    );
    // One-sided: the test is for a benefit, a lower hazard when lower is better; against a
    // non-inferiority margin theta0, of the hazard ratio over theta0 (rpact's thetaH0).
    let against = hr / design.analysis.margin.map_or(1.0, |m| m.null);
    let tested = if design.benefit_sign() < 0.0 {
        against
    } else {
        1.0 / against
    };
    Some((events, tested, ra / (ra + rc)))
}

/// Schoenfeld's power of the log-rank test of `arm` against control in a fixed design (as
/// rpact's `getPowerSurvival`); NaN where `log_rank_inputs` has none.
fn survival_analytic_power(design: &Design, arm: usize) -> f64 {
    let Some((events, tested, share)) = log_rank_inputs(design, arm) else {
        return f64::NAN;
    };
    // One side is the log-rank test for a hazard ratio below 1, the benefit.
    let (alpha, sides) = match power_test(design) {
        (alpha, Alternative::TwoSided) => (alpha, Sides::Two),
        (alpha, _) => (alpha, Sides::One),
    };
    survival::schoenfeld_power(events, tested, share, alpha, sides)
}

/// Event-driven looks: the log-rank statistics at the looks' deaths are canonical with drift
/// Schoenfeld's at the final count (rpact's getPowerSurvival).
fn survival_drift(design: &Design, arm: usize) -> f64 {
    log_rank_inputs(design, arm).map_or(f64::NAN, |(events, tested, share)| {
        survival::schoenfeld_drift(events, tested, share)
    })
}

/// The drift of a binary comparison across a group-sequential design's boundaries (or at its
/// one look), exactly as rpact's `getPowerRates` defines it: e / sd1 + sign(e) z_alpha
/// (1 - sd0 / sd1), where e is the true effect in the direction of benefit, sd1 its standard
/// error at the expected evaluable sizes, sd0 the same under the null, and z_alpha the one-sided
/// critical value of the design's alpha (alpha / 2 two-sided). For superiority e = p1 - p0 and
/// sd0 uses the pooled risk, so that the one-look design's power is `normal_power` exactly;
/// against a non-inferiority margin theta0, e = p1 - p0 - theta0 (difference) or p1 - theta0
/// p0 (ratio, whose standard errors weigh control's variance by theta0^2), and sd0 uses the
/// Farrington-Manning restricted risks at the true ones. Without variance (certain outcomes):
/// infinite, towards the benefit if there is one. A two-sided design counting the benefit's
/// rejections only takes e in the direction of benefit, as a one-sided design does: the drift
/// is then rpact's two-sided one, signed (its crossings in the effect's direction are those
/// the normal approximation gives most accurately).
fn binary_drift(design: &Design, arm: usize, sides: Sides) -> f64 {
    let (p1, n1, p0, n0) = expected_arms(design, arm);
    let (effect, sd0, sd1) = match design.analysis.margin {
        None => {
            let (sd0, sd1) = standard_errors(p1, n1, p0, n0);
            (p1 - p0, sd0, sd1)
        }
        Some(m) => {
            let ratio = m.scale.is_ratio();
            let theta = m.null;
            let (ml1, ml0) = analysis::farrington_manning_risks(p1, p0, theta, ratio, n1 / n0);
            let weight = if ratio { theta * theta } else { 1.0 };
            let sd = |a: f64, c: f64| (a * (1.0 - a) / n1 + weight * c * (1.0 - c) / n0).sqrt();
            let effect = if ratio {
                p1 - theta * p0
            } else {
                p1 - p0 - theta
            };
            (effect, sd(ml1, ml0), sd(p1, p0))
        }
    };
    // Counting both ways, the sign of the drift changes no total (the bounds are symmetric):
    // |e| is rpact's getPowerRates' own arithmetic, to the last digit.
    let difference = match sides {
        Sides::Two if !one_way(design) => effect.abs(),
        _ => design.benefit_sign() * effect,
    };
    let tail = match sides {
        Sides::One => design.analysis.alpha,
        Sides::Two => design.analysis.alpha / 2.0,
    };
    // R's sign(): 0 for no difference (Rust's signum gives 1 for 0.0).
    let sign = if difference == 0.0 {
        0.0
    } else {
        difference.signum()
    };
    let drift = difference / sd1 + sign * upper_quantile(tail) * (1.0 - sd0 / sd1);
    match drift.is_finite() {
        true => drift,
        false if difference > 0.0 => f64::INFINITY,
        false => f64::NEG_INFINITY,
    }
}

/// Probability of crossing the efficacy bounds of `b` when the z statistic at full information
/// has mean `drift` in the direction of benefit; `one_way`: a two-sided design's crossings for
/// benefit only.
fn crossing_power(b: &Boundaries, sides: Sides, drift: f64, one_way: bool) -> f64 {
    let crossing = |drift: f64| -> f64 {
        boundaries::rejection_probabilities(b, sides, drift)
            .iter()
            .sum()
    };
    match sides {
        Sides::Two if !one_way => crossing(drift) + crossing(-drift),
        // Symmetric bounds: crossing the lower one at this drift is crossing the upper one at
        // the opposite drift. rpact's getPower* counts both, as `normal_power` does.
        _ => crossing(drift),
    }
}

/// Binomial pmf over 0..=n, dropping the negligible (< 1e-300) terms at the ends of the support.
fn binomial_pmf(n: u64, p: f64) -> Vec<(u64, f64)> {
    let b = Binomial::new(p, n).expect("p in [0, 1]");
    (0..=n)
        .map(|k| (k, b.pmf(k)))
        .filter(|&(_, w)| w > 1e-300)
        .collect()
}

/// Exact power of the unstratified test with fixed evaluable sizes: the sum of the probabilities
/// of all 2 x 2 tables that reject.
pub fn exact_power_fixed(
    test: TestKind,
    p1: f64,
    n1: u64,
    p0: f64,
    n0: u64,
    alpha: f64,
    alt: Alternative,
) -> f64 {
    assert!(
        test != TestKind::Cmh,
        "exact enumeration is for the pooled tests"
    );
    let arm = binomial_pmf(n1, p1);
    let control = binomial_pmf(n0, p0);
    let mut power = 0.0;
    for &(x1, w1) in &arm {
        for &(x0, w0) in &control {
            let t = Table::new(x1, n1, x0, n0);
            if analysis::p_value(test, &t, &[], alt) <= alpha {
                power += w1 * w0;
            }
        }
    }
    power
}

/// Distribution of (arm, control) sizes in a two-arm design.
fn allocation_distribution(design: &Design, arm: usize) -> Vec<(u64, u64, f64)> {
    let n = design.sample_size;
    let (ra, rc) = (
        u64::from(design.arms[arm].ratio),
        u64::from(design.arms[design.control].ratio),
    );
    let block = ra + rc;
    match design.randomisation {
        Randomisation::Simple => binomial_pmf(n, ra as f64 / block as f64)
            .into_iter()
            .map(|(k, w)| (k, n - k, w))
            .collect(),
        Randomisation::Block => {
            // The incomplete block's `rest` places are a draw without replacement from the
            // block: hypergeometric(rest; ra of block).
            let (full, rest) = (n / block, n % block);
            let choose = |a: u64, b: u64| -> f64 {
                (0..b).map(|i| (a - i) as f64 / (b - i) as f64).product()
            };
            (rest.saturating_sub(rc)..=rest.min(ra))
                .map(|k| {
                    let w = choose(ra, k) * choose(rc, rest - k) / choose(block, rest);
                    (full * ra + k, full * rc + rest - k, w)
                })
                .collect()
        }
    }
}

/// Exact power of a two-arm design's unstratified test, enumerating the allocation, the dropout
/// of each arm and every 2 x 2 table of events. Cost grows as n^4 with dropout, so this is for
/// small designs (tests, small-sample sizing).
pub fn exact_power(design: &Design, arm: usize) -> f64 {
    assert_eq!(
        design.arms.len(),
        2,
        "exact enumeration covers two-arm designs"
    );
    let (p1, p0) = (design.true_mean[arm], design.true_mean[design.control]);
    let alt = alternative(design);
    let (test, alpha) = (design.analysis.test, design.analysis.alpha);
    let mut power = 0.0;
    for (na, nc, w) in allocation_distribution(design, arm) {
        let keep = 1.0 - design.dropout;
        for (m1, w1) in binomial_pmf(na, keep) {
            for (m0, w0) in binomial_pmf(nc, keep) {
                power += w * w1 * w0 * exact_power_fixed(test, p1, m1, p0, m0, alpha, alt);
            }
        }
    }
    power
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Degenerate risks (0 or 1 in both arms: no variance under the alternative): power is 0 or
    /// 1, never NaN.
    #[test]
    fn normal_power_with_degenerate_risks() {
        for alt in [
            Alternative::TwoSided,
            Alternative::Greater,
            Alternative::Less,
        ] {
            assert_eq!(
                normal_power(0.0, 10.0, 0.0, 10.0, 0.05, alt),
                0.0,
                "{alt:?}"
            );
            assert_eq!(
                normal_power(1.0, 10.0, 1.0, 10.0, 0.05, alt),
                0.0,
                "{alt:?}"
            );
        }
        assert_eq!(
            normal_power(1.0, 10.0, 0.0, 10.0, 0.05, Alternative::Greater),
            1.0
        );
        assert_eq!(
            normal_power(1.0, 10.0, 0.0, 10.0, 0.05, Alternative::Less),
            0.0
        );
    }

    #[test]
    fn normal_power_matches_power_prop_test() {
        // power.prop.test(n=140, p1=0.179, p2=0.351, strict=TRUE)$power -> 0.907606410878293
        let p = normal_power(0.351, 140.0, 0.179, 140.0, 0.05, Alternative::TwoSided);
        assert!((p - 0.907606410878293).abs() < 1e-9, "{p}");
        // power.prop.test(n=50, p1=0.3, p2=0.32, strict=TRUE)$power -> 0.0553180321871061
        let p = normal_power(0.3, 50.0, 0.32, 50.0, 0.05, Alternative::TwoSided);
        assert!((p - 0.0553180321871061).abs() < 1e-9, "{p}");
        // power.prop.test(n=100, p1=0.3, p2=0.45, alternative="one.sided")$power -> 0.70976879072318
        let p = normal_power(0.45, 100.0, 0.3, 100.0, 0.05, Alternative::Greater);
        assert!((p - 0.70976879072318).abs() < 1e-9, "{p}");
        let p = normal_power(0.3, 100.0, 0.45, 100.0, 0.05, Alternative::Less);
        assert!((p - 0.70976879072318).abs() < 1e-9, "{p}");
    }

    #[test]
    fn normal_power_under_the_null_is_alpha() {
        // statrs' normal quantile and erfc agree to about 1e-10 absolute.
        let p = normal_power(0.3, 70.0, 0.3, 140.0, 0.05, Alternative::TwoSided);
        assert!((p - 0.05).abs() < 1e-9, "{p}");
        let p = normal_power(0.3, 70.0, 0.3, 140.0, 0.025, Alternative::Greater);
        assert!((p - 0.025).abs() < 1e-9, "{p}");
    }

    #[test]
    fn exact_power_fixed_of_a_tiny_design_by_hand() {
        // n1 = n0 = 2, one-sided Fisher "greater" at alpha 0.2: only x1 = 2, x0 = 0 gives
        // p = 1/6 <= 0.2, so the power is p1^2 (1 - p0)^2.
        let (p1, p0) = (0.7, 0.2);
        let power = exact_power_fixed(
            TestKind::FisherExact,
            p1,
            2,
            p0,
            2,
            0.2,
            Alternative::Greater,
        );
        assert!(
            (power - (p1 * p1) * (1.0 - p0) * (1.0 - p0)).abs() < 1e-15,
            "{power}"
        );
    }
}
