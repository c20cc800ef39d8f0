//! The log-rank test as R's `survival::survdiff` (rho = 0) computes it, from risk sets: at each
//! distinct event time, the patients at risk (time >= t; a patient censored at t is still at
//! risk at t) and the events, by arm. The arm's observed-minus-expected events and their
//! hypergeometric variance are summed over event times (and over strata, for the stratified
//! test: survdiff's `strata()`), and z = (O - E) / sqrt(V), positive when the arm has more
//! events than expected (a higher hazard).
//!
//! Risk sets are the sufficient statistics of the test, so an engine that simulates event counts
//! per day (events recorded in whole days, as trial data are) can feed them directly.
//!
//! From the same risk sets, the Cox estimate of the hazard ratio of the arm against control
//! (one binary covariate, Efron's approximation for ties as R's `coxph` by default; stratified
//! like the test), and Schoenfeld's approximation of the events needed and of the power.
//!
//! Checked against R 4.2.2 (survival 3.4's survdiff and coxph, rpact 3.3.4) in the tests.

use statrs::distribution::{ContinuousCDF, Normal};

use crate::model::hazard::PiecewiseHazard;
use crate::stats::analysis::{Statistic, normal_upper};
use crate::stats::boundaries::Sides;
use crate::stats::quadrature::integrate;

/// For a patient at risk at `from` with hazard `h` times `ratio` and a competing constant
/// `censoring` hazard: the probabilities of dying, and of being censored first, before `to`.
/// Exact where the hazard has a closed form (`competing_exact`); a Weibull hazard with
/// censoring is integrated on the scale of its cumulative hazard, x = ratio (H(t) - H(from)):
/// P(death) = integral over [0, X] of exp(-x - censoring (t(x) - from)) dx, a smooth integrand
/// below 1, by 10-point Gauss-Legendre on panels of width at most 1 in x, except near x = 0
/// when `from` is 0 (t(x) ~ x^(1 / kappa)), where panels halve in width down to 2^-12. X is
/// cut at 60: exp(-60) is below any probability reported.
pub fn competing(
    h: &PiecewiseHazard,
    ratio: f64,
    censoring: f64,
    from: f64,
    to: f64,
) -> (f64, f64) {
    if let Some(exact) = h.competing_exact(ratio, censoring, from, to) {
        return exact;
    }
    if to <= from {
        return (0.0, 0.0);
    }
    let start = h.cumulative(from);
    let total = ratio * (h.cumulative(to) - start);
    let alive = (-total - censoring * (to - from)).exp();
    let cut = total.min(60.0);
    let at = |x: f64| h.inverse(start + x / ratio);
    let integrand = |x: f64| (-x - censoring * (at(x) - from)).exp();
    let edge = cut.min(1.0);
    let mut death = integrate(edge, cut, 1.0, integrand);
    let mut hi = edge;
    if from == 0.0 {
        for _ in 0..12 {
            let lo = 0.5 * hi;
            death += integrate(lo, hi, hi - lo, integrand);
            hi = lo;
        }
    }
    death += integrate(0.0, hi, hi, integrand);
    (death, (1.0 - death - alive).max(0.0))
}

/// One distinct event time: patients at risk and events, in the arm and in control.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RiskSet {
    pub arm_at_risk: u64,
    pub arm_events: u64,
    pub control_at_risk: u64,
    pub control_events: u64,
}

/// A count as a float: the same value as `x as f64` for every count below 2^63, through the
/// signed conversion, one instruction on x86-64 where the unsigned one takes several (the
/// patient-level trials convert every risk set's four counts).
#[inline]
fn real(x: u64) -> f64 {
    debug_assert!(x < 1 << 63);
    x as i64 as f64
}

/// The log-rank sums: the arm's observed and expected events and the variance of O - E.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LogRank {
    pub observed: f64,
    pub expected: f64,
    pub variance: f64,
}

impl LogRank {
    /// Adds one risk set (of any stratum: the stratified test sums within-stratum terms).
    #[inline]
    pub fn add(&mut self, r: &RiskSet) {
        let n = real(r.arm_at_risk + r.control_at_risk);
        let d = real(r.arm_events + r.control_events);
        if d == 0.0 {
            return;
        }
        let share = real(r.arm_at_risk) / n;
        self.observed += real(r.arm_events);
        self.expected += d * share;
        // Hypergeometric variance of the arm's events given the margins (ties as survdiff).
        if n > 1.0 {
            self.variance += d * share * (1.0 - share) * (n - d) / (n - 1.0);
        }
    }

    /// The signed log-rank statistic (no information: no events, or one patient at risk).
    pub fn statistic(&self) -> Statistic {
        if self.variance > 0.0 {
            Statistic::Z((self.observed - self.expected) / self.variance.sqrt())
        } else {
            Statistic::Uninformative
        }
    }
}

/// The Cox model's log hazard ratio of the arm against control and its variance (the inverse
/// of the observed information at the estimate).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CoxFit {
    pub log_hr: f64,
    pub variance: f64,
}

/// One term of Efron's sum, as the Cox fit reads it: the j-th of the d deaths of a risk set
/// leaving it, with f = j / d: [arm deaths d1 on the set's first term (0 on the others),
/// r1 - f d1, r0, f d0], r the patients at risk and d the deaths, arm (1) and control (0).
/// What does not depend on beta is computed once per fit, in the order of operations of the
/// sum itself, so that the fit's arithmetic, and its result, is bit for bit the sum's.
type CoxTerm = [f64; 4];

/// Score and observed information of the Cox partial likelihood at `beta`, Efron's handling of
/// tied events: the d deaths of a risk set leave it one after another, each removing on average
/// a share 1/d of every dead patient's weight. One division per death.
fn cox_score(terms: &[CoxTerm], beta: f64) -> (f64, f64) {
    let w = beta.exp();
    let (mut score, mut information) = (0.0, 0.0);
    for &[d1, arm_left, r0, control_gone] in terms {
        score += d1;
        let a = arm_left * w;
        let p = a / (a + r0 - control_gone);
        score -= p;
        information += p * (1.0 - p);
    }
    (score, information)
}

/// The terms of risk set `[d1, d0, r1, r0]` (d1 + d0 > 0) appended to `terms`.
fn push_terms([d1, d0, r1, r0]: [f64; 4], terms: &mut Vec<CoxTerm>) {
    let d = d1 + d0;
    for j in 0..d as u64 {
        let f = j as f64 / d;
        terms.push([if j == 0 { d1 } else { 0.0 }, r1 - f * d1, r0, f * d0]);
    }
}

/// The Cox estimate from the risk sets (a stratified fit: the risk sets of every stratum), or
/// `None` when it is infinite (no events in one arm, or a monotone likelihood). Allocates: a
/// loop over trials keeps one `Cox` instead.
pub fn cox(sets: &[RiskSet], log_rank: &LogRank) -> Option<CoxFit> {
    Cox::default().fit(sets, log_rank)
}

/// The Cox fit with its buffer, reused from trial to trial: the risk sets with events as
/// Efron's terms, computed once per fit rather than at each Newton step (a fit reads every
/// set five times or so; conversions from u64 and a division per tied death are saved).
#[derive(Debug, Clone, Default)]
pub struct Cox {
    rows: Vec<CoxTerm>,
}

impl Cox {
    /// As `cox`. Newton's method from the log-rank's one-step estimate (O - E) / V, which is
    /// within a few per cent of the estimate, so that two or three steps reach it.
    pub fn fit(&mut self, sets: &[RiskSet], log_rank: &LogRank) -> Option<CoxFit> {
        if log_rank.variance <= 0.0 {
            return None;
        }
        self.load(sets);
        let start = ((log_rank.observed - log_rank.expected) / log_rank.variance).clamp(-5.0, 5.0);
        cox_from(&self.rows, start)
    }

    /// The score test of the log hazard ratio `beta0` (a non-inferiority margin's log): the Cox
    /// score over the square root of the information at `beta0`, Efron's handling of ties, as
    /// R's `coxph(... + offset(beta0 * arm))` score test; positive when the arm has more deaths
    /// than `beta0` expects. Without ties it is rpact's log-rank statistic against `thetaH0`:
    /// at each death the arm's share of the risk set's weight, theta0 r1 / (theta0 r1 + r0),
    /// is expected, and the variance sums its binomial variance. At beta0 = 0 it differs from
    /// survdiff's log-rank only in the variance of tied deaths.
    pub fn score_test(&mut self, sets: &[RiskSet], beta0: f64) -> Statistic {
        self.load(sets);
        let (score, information) = cox_score(&self.rows, beta0);
        if information > 0.0 {
            Statistic::Z(score / information.sqrt())
        } else {
            Statistic::Uninformative
        }
    }

    /// The terms of the sets: one per death (a set without deaths has none, and adds nothing
    /// to the score).
    fn load(&mut self, sets: &[RiskSet]) {
        self.rows.clear();
        for r in sets {
            let set = [
                real(r.arm_events),
                real(r.control_events),
                real(r.arm_at_risk),
                real(r.control_at_risk),
            ];
            push_terms(set, &mut self.rows);
        }
    }
}

/// Newton's method for the Cox estimate from `start` (|start| <= 30). The partial likelihood
/// is concave in beta; a step is at most 5, and one that makes the score larger in size is
/// halved, so that it reaches the estimate from any start. An estimate that runs past
/// |beta| = 30, or does not settle in 100 steps, is infinite (a monotone likelihood).
fn cox_from(rows: &[CoxTerm], start: f64) -> Option<CoxFit> {
    let mut beta = start;
    let (mut score, mut information) = cox_score(rows, beta);
    for _ in 0..100 {
        if information <= 0.0 || beta.abs() > 30.0 {
            return None;
        }
        // Far from the estimate the score is flat and a Newton step overshoots by orders of
        // magnitude; no step moves the hazard ratio by more than a factor e^5.
        let mut step = (score / information).clamp(-5.0, 5.0);
        let (mut next_score, mut next_information) = cox_score(rows, beta + step);
        let mut halvings = 0;
        while next_score.abs() > score.abs() && halvings < 60 {
            step /= 2.0;
            (next_score, next_information) = cox_score(rows, beta + step);
            halvings += 1;
        }
        beta += step;
        (score, information) = (next_score, next_information);
        if step.abs() <= 1e-13 * (1.0 + beta.abs()) {
            return (information > 0.0 && beta.abs() <= 30.0).then(|| CoxFit {
                log_hr: beta,
                variance: 1.0 / information,
            });
        }
    }
    None
}

/// The risk sets of individual observations `(time, event, in_arm)`, in increasing time: one
/// per distinct time with at least one event.
pub fn risk_sets(observations: &[(f64, bool, bool)]) -> Vec<RiskSet> {
    let mut sorted: Vec<(f64, bool, bool)> = observations.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut out = Vec::new();
    push_risk_sets(&sorted, |&o| Some(o), &mut out);
    out
}

/// Appends to `out` the risk sets of `items` already sorted by time, each seen through `view`
/// as `(time, event, in_arm)` or left out (`None`: another stratum or arm), so that the
/// engine's patient-level trials use it on their buffers without copying or allocating.
pub fn push_risk_sets<T>(
    items: &[T],
    view: impl Fn(&T) -> Option<(f64, bool, bool)>,
    out: &mut Vec<RiskSet>,
) {
    let (mut arm, mut control) = (0u64, 0u64);
    for (_, _, in_arm) in items.iter().filter_map(&view) {
        if in_arm {
            arm += 1;
        } else {
            control += 1;
        }
    }
    push_risk_sets_of(items, view, (arm, control), out);
}

/// `push_risk_sets` when the items `view` keeps are known to number `(arm, control)`.
pub fn push_risk_sets_of<T>(
    items: &[T],
    view: impl Fn(&T) -> Option<(f64, bool, bool)>,
    (mut arm_left, mut control_left): (u64, u64),
    out: &mut Vec<RiskSet>,
) {
    // Then the sets, in one pass over the sorted items.
    let mut set = RiskSet::default();
    let mut time = f64::NAN;
    for (t, event, in_arm) in items.iter().filter_map(&view) {
        if t != time {
            if set.arm_events + set.control_events > 0 {
                out.push(set);
            }
            set = RiskSet {
                arm_at_risk: arm_left,
                control_at_risk: control_left,
                ..RiskSet::default()
            };
            time = t;
        }
        // Everyone with this time leaves after it (events and censorings alike).
        set.arm_events += u64::from(event & in_arm);
        set.control_events += u64::from(event & !in_arm);
        arm_left -= u64::from(in_arm);
        control_left -= u64::from(!in_arm);
    }
    if set.arm_events + set.control_events > 0 {
        out.push(set);
    }
}

/// The one-sided normal quantile of the design's alpha (alpha / 2 two-sided).
fn critical(alpha: f64, sides: Sides) -> f64 {
    let tail = match sides {
        Sides::One => alpha,
        Sides::Two => alpha / 2.0,
    };
    Normal::standard().inverse_cdf(1.0 - tail)
}

/// Schoenfeld's approximation: the events a log-rank test needs for power 1 - `beta` at
/// `hazard_ratio`, with a share `arm_share` of the patients in the arm,
/// (z_alpha + z_beta)^2 / (share (1 - share) ln(HR)^2), as rpact's `getSampleSizeSurvival`.
pub fn schoenfeld_events(
    hazard_ratio: f64,
    arm_share: f64,
    alpha: f64,
    beta: f64,
    sides: Sides,
) -> f64 {
    let z = critical(alpha, sides) + Normal::standard().inverse_cdf(1.0 - beta);
    z * z / (arm_share * (1.0 - arm_share) * hazard_ratio.ln().powi(2))
}

/// Mean of the log-rank z (benefit positive) after `events` deaths when the tested arm's hazard
/// is `hazard_ratio` times control's and it holds `arm_share` of the patients (Schoenfeld).
pub fn schoenfeld_drift(events: f64, hazard_ratio: f64, arm_share: f64) -> f64 {
    (events * arm_share * (1.0 - arm_share)).sqrt() * -hazard_ratio.ln()
}

/// Schoenfeld's power of a log-rank test with `events` events, as rpact's `getPowerSurvival`:
/// one-sided, a test for a hazard ratio below 1 (rpact's `directionUpper = FALSE`), so a
/// `hazard_ratio` above 1 gives a power below alpha; two-sided, both sides.
pub fn schoenfeld_power(
    events: f64,
    hazard_ratio: f64,
    arm_share: f64,
    alpha: f64,
    sides: Sides,
) -> f64 {
    let drift = schoenfeld_drift(events, hazard_ratio, arm_share);
    let c = critical(alpha, sides);
    match sides {
        Sides::One => normal_upper(c - drift),
        Sides::Two => normal_upper(c - drift) + normal_upper(c + drift),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `survival::aml` (R 4.2.2, survival 3.4): time, status, and whether in "Nonmaintained".
    const AML: [(f64, bool, bool); 23] = [
        (9.0, true, false),
        (13.0, true, false),
        (13.0, false, false),
        (18.0, true, false),
        (23.0, true, false),
        (28.0, false, false),
        (31.0, true, false),
        (34.0, true, false),
        (45.0, false, false),
        (48.0, true, false),
        (161.0, false, false),
        (5.0, true, true),
        (5.0, true, true),
        (8.0, true, true),
        (8.0, true, true),
        (12.0, true, true),
        (16.0, false, true),
        (23.0, true, true),
        (27.0, true, true),
        (30.0, true, true),
        (33.0, true, true),
        (43.0, true, true),
        (45.0, true, true),
    ];

    /// `s <- survdiff(Surv(time, status) ~ x, data = aml)`: the Nonmaintained group has
    /// s$obs 11, s$exp 7.31066400769928, s$var[2, 2] 4.00755074593873, s$chisq 3.3963886989776.
    #[test]
    fn log_rank_matches_survdiff() {
        let mut lr = LogRank::default();
        for r in risk_sets(&AML) {
            lr.add(&r);
        }
        assert_eq!(lr.observed, 11.0);
        assert!((lr.expected - 7.31066400769928).abs() < 1e-12, "{lr:?}");
        assert!((lr.variance - 4.00755074593873).abs() < 1e-12, "{lr:?}");
        let Statistic::Z(z) = lr.statistic() else {
            panic!("informative")
        };
        assert!((z * z - 3.3963886989776).abs() < 1e-12);
        // More events than expected in the arm: positive.
        assert!(z > 0.0);
    }

    /// `survival::ovarian`: futime, fustat, rx == 2, resid.ds (the stratum).
    const OVARIAN: [(f64, bool, bool, u8); 26] = [
        (59.0, true, false, 2),
        (115.0, true, false, 2),
        (156.0, true, false, 2),
        (421.0, false, true, 2),
        (431.0, true, false, 2),
        (448.0, false, false, 1),
        (464.0, true, true, 2),
        (475.0, true, true, 2),
        (477.0, false, false, 2),
        (563.0, true, true, 1),
        (638.0, true, false, 1),
        (744.0, false, true, 1),
        (769.0, false, true, 2),
        (770.0, false, true, 2),
        (803.0, false, false, 1),
        (855.0, false, false, 1),
        (1040.0, false, false, 2),
        (1106.0, false, false, 1),
        (1129.0, false, true, 1),
        (1206.0, false, true, 2),
        (1227.0, false, true, 1),
        (268.0, true, false, 2),
        (329.0, true, false, 2),
        (353.0, true, true, 1),
        (365.0, true, true, 2),
        (377.0, false, true, 1),
    ];

    /// The risk sets of `OVARIAN` within each stratum (resid.ds 1, then 2).
    fn ovarian_risk_sets() -> Vec<RiskSet> {
        [1, 2]
            .iter()
            .flat_map(|&stratum| {
                let obs: Vec<(f64, bool, bool)> = OVARIAN
                    .iter()
                    .filter(|o| o.3 == stratum)
                    .map(|o| (o.0, o.1, o.2))
                    .collect();
                risk_sets(&obs)
            })
            .collect()
    }

    /// `o <- survdiff(Surv(futime, fustat) ~ rx + strata(resid.ds), data = ovarian)`:
    /// rx = 2 observed 2 + 3 = 5, expected 1.47402597402597 + 5.43077755577756, o$chisq
    /// 1.27964345120336.
    #[test]
    fn stratified_log_rank_matches_survdiff() {
        let mut lr = LogRank::default();
        ovarian_risk_sets().iter().for_each(|r| lr.add(r));
        assert_eq!(lr.observed, 5.0);
        assert!(
            (lr.expected - (1.47402597402597 + 5.43077755577756)).abs() < 1e-12,
            "{lr:?}"
        );
        let Statistic::Z(z) = lr.statistic() else {
            panic!("informative")
        };
        assert!((z * z - 1.27964345120336).abs() < 1e-12, "{}", z * z);
        assert!(z < 0.0);
    }

    /// rpact 3.3.4:
    /// getSampleSizeSurvival(hazardRatio=0.7, alpha=0.025, beta=0.2, sided=1, lambda2=0.05,
    ///   accrualTime=c(0,12), followUpTime=12)$maxNumberOfEvents                 # 246.787104547358
    /// getSampleSizeSurvival(hazardRatio=0.6, alpha=0.05, beta=0.1, sided=2,
    ///   allocationRatioPlanned=2, ...)$maxNumberOfEvents                          # 181.202165891163
    /// getPowerSurvival(hazardRatio=0.75, alpha=0.025, sided=1, maxNumberOfEvents=300,
    ///   maxNumberOfSubjects=600, lambda2=0.05, accrualTime=c(0,12),
    ///   directionUpper=FALSE)$overallReject                                      # 0.702441606207973
    /// getPowerSurvival(hazardRatio=0.9, alpha=0.05, sided=2, maxNumberOfEvents=100,
    ///   maxNumberOfSubjects=200, lambda2=0.05, accrualTime=c(0,12))$overallReject  # 0.0823513558001211
    ///   (both sides: the side of the effect alone gives 0.0759058580552961)
    #[test]
    fn schoenfeld_matches_rpact() {
        let e = schoenfeld_events(0.7, 0.5, 0.025, 0.2, Sides::One);
        assert!((e - 246.787104547358).abs() < 1e-9, "{e}");
        let e = schoenfeld_events(0.6, 2.0 / 3.0, 0.05, 0.1, Sides::Two);
        assert!((e - 181.202165891163).abs() < 1e-9, "{e}");
        let p = schoenfeld_power(300.0, 0.75, 0.5, 0.025, Sides::One);
        assert!((p - 0.702441606207973).abs() < 1e-12, "{p}");
        let p = schoenfeld_power(100.0, 0.9, 0.5, 0.05, Sides::Two);
        assert!((p - 0.0823513558001211).abs() < 1e-10, "{p}");
        // The events for a power give that power back.
        let e = schoenfeld_events(0.8, 0.5, 0.05, 0.1, Sides::Two);
        let p = schoenfeld_power(e, 0.8, 0.5, 0.05, Sides::Two);
        assert!((p - 0.9).abs() < 1e-6, "{p}");
        // One-sided against the effect: below alpha (1 - 0.702... mirrored).
        let p = schoenfeld_power(300.0, 1.0 / 0.75, 0.5, 0.025, Sides::One);
        let mirrored = normal_upper(
            Normal::standard().inverse_cdf(0.975) + (75.0f64).sqrt() * (0.75f64).ln().abs(),
        );
        assert!(p < 0.025 && (p - mirrored).abs() < 1e-15, "{p}");
    }

    /// R's `g <- rep(0:1, n / 2)` data: times `t`, status `st` (1 dead), patients in control
    /// and in the arm by turns.
    fn alternating_arms(t: &[i32], st: &[i32]) -> Vec<(f64, bool, bool)> {
        t.iter()
            .zip(st)
            .enumerate()
            .map(|(i, (&t, &st))| (f64::from(t), st == 1, i % 2 == 1))
            .collect()
    }

    fn fit(obs: &[(f64, bool, bool)]) -> CoxFit {
        let sets = risk_sets(obs);
        let mut lr = LogRank::default();
        sets.iter().for_each(|r| lr.add(r));
        cox(&sets, &lr).expect("finite")
    }

    /// `coxph(Surv(time, status) ~ x2, data = aml, ties = "efron",
    ///   control = coxph.control(eps = 1e-14, iter.max = 100))`, x2 = Nonmaintained:
    /// coef 0.915532575014773, vcov 0.262076702095891 (R 4.2.2, survival 3.4).
    #[test]
    fn cox_matches_coxph_efron() {
        let f = fit(&AML);
        assert!((f.log_hr - 0.915532575014773).abs() < 1e-10, "{f:?}");
        assert!((f.variance - 0.262076702095891).abs() < 1e-10, "{f:?}");
    }

    /// A Weibull hazard with exponential censoring: the probability of censoring first is the
    /// integral of g exp(-ratio (H(t) - H(from)) - g (t - from)), bounded and smooth enough
    /// for a midpoint rule of 2,000,000 bins; death is what neither censoring nor survival
    /// takes. Shapes below and above 1, from day 0 (where kappa < 1 makes the hazard
    /// infinite) and later, long and short intervals; without censoring the closed form.
    #[test]
    fn weibull_competing_risks_match_a_brute_force_integral() {
        for shape in [0.6, 1.5] {
            let h = PiecewiseHazard::weibull(28.0, 0.3, shape).unwrap();
            for (ratio, g, from, to) in [
                (0.75, 0.002, 0.0, 28.0),
                (1.0, 0.01, 0.0, 1.0),
                (0.5, 0.001, 27.0, 28.0),
                (1.3, 0.0005, 10.0, 2000.0),
            ] {
                let (d, c) = competing(&h, ratio, g, from, to);
                let start = ratio * h.cumulative(from);
                let survive = |t: f64| (-(ratio * h.cumulative(t) - start) - g * (t - from)).exp();
                let steps = 2_000_000;
                let dt = (to - from) / f64::from(steps);
                let censored: f64 = (0..steps)
                    .map(|i| g * survive(from + (f64::from(i) + 0.5) * dt) * dt)
                    .sum();
                let death = 1.0 - censored - survive(to);
                assert!(
                    (c - censored).abs() < 1e-9,
                    "{shape} {from}-{to}: {c} vs {censored}"
                );
                assert!(
                    (d - death).abs() < 1e-9,
                    "{shape} {from}-{to}: {d} vs {death}"
                );
            }
            let (d, c) = competing(&h, 0.8, 0.0, 3.0, 9.0);
            let treated = h.scaled(0.8);
            assert!((d - (1.0 - treated.survival(9.0) / treated.survival(3.0))).abs() < 1e-15);
            assert_eq!(c, 0.0);
        }
    }

    /// The score test against a hazard-ratio margin, with ties, against R 4.2.2 (survival 3.4):
    /// ```r
    /// time <- c(1,1,2,2,2,3,4,4,5,6,6,7,8,8,9,10, 1,2,3,3,4,5,5,6,7,8,9,9,10,10,11,12)
    /// status <- c(1,1,1,0,1,1,1,1,0,1,1,0,1,1,1,0, 1,0,1,1,1,1,0,1,1,1,0,1,1,1,1,0)
    /// arm <- c(rep(1,16), rep(0,16)); s <- rep(c(rep(1,8), rep(2,8)), 2)
    /// f <- coxph(Surv(time, status) ~ arm + offset(log(theta) * arm), ties = "efron",
    ///   init = 0, control = coxph.control(iter.max = 0))   # + strata(s): stratified
    /// sum(residuals(f, type = "score")) / sqrt(1 / f$var)  # the signed z (f$score = z^2)
    /// # theta 1: 1.27008113988467; 1.3: 0.642337932101786; 0.7: 2.15772751299536
    /// # stratified, theta 1.3: 1.57695856822785
    /// ```
    #[test]
    fn score_test_of_a_margin_matches_coxph_with_an_offset() {
        let time = [
            1, 1, 2, 2, 2, 3, 4, 4, 5, 6, 6, 7, 8, 8, 9, 10, 1, 2, 3, 3, 4, 5, 5, 6, 7, 8, 9, 9,
            10, 10, 11, 12,
        ];
        let status = [
            1, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1,
            1, 1, 0,
        ];
        let obs: Vec<(f64, bool, bool)> = (0..32)
            .map(|i| (f64::from(time[i]), status[i] == 1, i < 16))
            .collect();
        let z = |sets: &[RiskSet], theta: f64| match Cox::default().score_test(sets, theta.ln()) {
            Statistic::Z(z) => z,
            other => panic!("{other:?}"),
        };
        let sets = risk_sets(&obs);
        for (theta, r) in [
            (1.0, 1.27008113988467),
            (1.3, 0.642337932101786),
            (0.7, 2.15772751299536),
        ] {
            assert!(
                (z(&sets, theta) - r).abs() < 1e-12,
                "{theta}: {}",
                z(&sets, theta)
            );
        }
        // Stratified: the risk sets of each stratum together.
        let stratum = |k: usize| (k % 16) / 8;
        let mut strata = Vec::new();
        for s in 0..2 {
            let within: Vec<_> = (0..32)
                .filter(|&k| stratum(k) == s)
                .map(|k| obs[k])
                .collect();
            strata.extend(risk_sets(&within));
        }
        assert!((z(&strata, 1.3) - 1.57695856822785).abs() < 1e-12);
        // Without deaths: no information.
        assert_eq!(
            Cox::default().score_test(&[], 0.3),
            Statistic::Uninformative
        );
    }

    /// Without ties, the score test against theta0 is rpact's log-rank statistic with thetaH0
    /// (f_simulation_base_survival.cpp, logRankTest), written out here death by death.
    #[test]
    fn score_test_without_ties_is_rpacts_log_rank_against_theta0() {
        // (time, death, in the arm), distinct times.
        let obs = [
            (1.5, true, true),
            (2.1, true, false),
            (2.7, false, true),
            (3.3, true, true),
            (3.9, true, false),
            (4.4, true, false),
            (5.0, false, false),
            (5.8, true, true),
            (6.1, true, false),
            (7.7, true, true),
            (8.2, false, true),
            (9.0, true, false),
        ];
        let theta: f64 = 1.4;
        let (mut r1, mut r0) = (6.0, 6.0);
        let (mut numerator, mut denominator) = (0.0, 0.0);
        for &(_, death, arm) in &obs {
            if death {
                let e1 = theta * r1 / (theta * r1 + r0);
                numerator += if arm { 1.0 } else { 0.0 } - e1;
                denominator += theta * r1 * r0 / (theta * r1 + r0).powi(2);
            }
            if arm {
                r1 -= 1.0;
            } else {
                r0 -= 1.0;
            }
        }
        let rpact = numerator / denominator.sqrt();
        match Cox::default().score_test(&risk_sets(&obs), theta.ln()) {
            Statistic::Z(z) => assert!((z - rpact).abs() < 1e-12, "{z} vs {rpact}"),
            other => panic!("{other:?}"),
        }
    }

    /// Heavy ties (times in whole days): set.seed(1); n <- 60; t <- ceiling(rexp(n, 0.1));
    /// st <- rbinom(n, 1, 0.8); g <- rep(0:1, 30); coxph(Surv(t, st) ~ g, ties = "efron"):
    /// coef -0.2157315749794884, vcov 0.0816948072831035; survdiff: obs 25, exp
    /// 27.57135417145652, var 11.237438630987022, chisq 0.588378054126566.
    #[test]
    fn cox_and_log_rank_with_many_ties_match_r() {
        let t = [
            8, 12, 2, 2, 5, 29, 13, 6, 10, 2, 14, 8, 13, 45, 11, 11, 19, 7, 4, 6, 24, 7, 3, 6, 2,
            1, 6, 40, 12, 10, 15, 1, 4, 14, 3, 11, 4, 8, 8, 3, 11, 11, 13, 13, 6, 4, 13, 10, 6, 21,
            5, 22, 33, 6, 6, 10, 3, 4, 12, 8,
        ];
        let st = [
            0, 1, 1, 1, 1, 0, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
            1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
            0, 1,
        ];
        let obs = alternating_arms(&t, &st);
        let f = fit(&obs);
        assert!((f.log_hr - -0.2157315749794884).abs() < 1e-10, "{f:?}");
        assert!((f.variance - 0.0816948072831035).abs() < 1e-10, "{f:?}");
        let mut lr = LogRank::default();
        risk_sets(&obs).iter().for_each(|r| lr.add(r));
        assert_eq!(lr.observed, 25.0);
        assert!((lr.expected - 27.57135417145652).abs() < 1e-10);
        assert!((lr.variance - 11.237438630987022).abs() < 1e-10);
    }

    /// `coxph(Surv(futime, fustat) ~ rx2 + strata(resid.ds), data = ovarian, ties = "efron")`
    /// (rx2 = rx == 2): coef -0.662632002807054, vcov 0.354604792717758.
    #[test]
    fn stratified_cox_matches_coxph() {
        let sets = ovarian_risk_sets();
        let mut lr = LogRank::default();
        sets.iter().for_each(|r| lr.add(r));
        let f = cox(&sets, &lr).unwrap();
        assert!((f.log_hr - -0.662632002807054).abs() < 1e-10, "{f:?}");
        assert!((f.variance - 0.354604792717758).abs() < 1e-10, "{f:?}");
    }

    /// From any start, with steps halved where Newton's would overshoot: the estimates of
    /// the tests above, and one far from 0 (`set.seed(2); n <- 40; g <- rep(0:1, 20);
    /// t <- ceiling(rexp(n, 0.05 * exp(1.5 * g))); st <- rbinom(n, 1, 0.85)`, `coxph(Surv(t,
    /// st) ~ g, ties = "efron")`: coef 1.502771624881058, vcov 0.1907635082285025).
    #[test]
    fn cox_reaches_the_estimate_from_any_start() {
        let t = [
            38, 2, 3, 8, 2, 3, 22, 7, 27, 1, 15, 6, 14, 8, 22, 4, 29, 21, 35, 3, 8, 4, 17, 2, 32,
            1, 12, 5, 1, 3, 98, 1, 12, 2, 4, 2, 15, 4, 19, 14,
        ];
        let st = [
            1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
            0, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1,
        ];
        let strong = alternating_arms(&t, &st);
        let cases = [
            (risk_sets(&AML), 0.915532575014773, 0.262076702095891),
            (ovarian_risk_sets(), -0.662632002807054, 0.354604792717758),
            (risk_sets(&strong), 1.502771624881058, 0.1907635082285025),
            // One death in the arm, then one in control, each with one patient a side: the
            // score 1 - 2p is flat far from 0, so that from +-2.4 capped Newton steps
            // without the halving swing between +-2.4 and -+2.6 for ever; the estimate is 0
            // and the variance 1 / (2 p (1 - p)) = 2.
            (
                vec![
                    RiskSet {
                        arm_at_risk: 1,
                        arm_events: 1,
                        control_at_risk: 1,
                        control_events: 0,
                    },
                    RiskSet {
                        arm_at_risk: 1,
                        arm_events: 0,
                        control_at_risk: 1,
                        control_events: 1,
                    },
                ],
                0.0,
                2.0,
            ),
            lopsided_strata(),
        ];
        for (sets, log_hr, variance) in &cases {
            for start in [-25.0, -5.0, -2.4, -1.0, 0.0, 1.0, 2.4, 5.0, 25.0] {
                let mut cox = Cox::default();
                cox.load(sets);
                let f =
                    cox_from(&cox.rows, start).unwrap_or_else(|| panic!("{log_hr} from {start}"));
                assert!((f.log_hr - log_hr).abs() < 1e-10, "{start}: {f:?}");
                assert!((f.variance - variance).abs() < 1e-10, "{start}: {f:?}");
            }
        }
        let f = fit(&strong);
        assert!((f.log_hr - 1.502771624881058).abs() < 1e-10, "{f:?}");
    }

    /// Six strata with one death each: five of 1000 arm patients and 1 control, an arm death;
    /// one of 1 arm patient and 500 controls, a control death. The score
    /// 5 / (1000 w + 1) - w / (w + 500), w = e^beta, is zero at the root of
    /// 1000 w^2 - 4 w - 2500, so the estimate is exact; R's
    /// `coxph(Surv(time, status) ~ arm + strata(s))` on those strata gives 0.45941027666351 and
    /// variance 158.714578709012 (to its tolerance). The score has two plateaus far apart, so
    /// from -1 a Newton step of about 4 overshoots: halving it converges, whereas a step cut
    /// some other way (to below 2, say) can settle on a false estimate.
    fn lopsided_strata() -> (Vec<RiskSet>, f64, f64) {
        let mut sets = vec![
            RiskSet {
                arm_at_risk: 1000,
                arm_events: 1,
                control_at_risk: 1,
                control_events: 0,
            };
            5
        ];
        sets.push(RiskSet {
            arm_at_risk: 1,
            arm_events: 0,
            control_at_risk: 500,
            control_events: 1,
        });
        let w = (4.0 + (16.0 + 1e7_f64).sqrt()) / 2000.0;
        let (p_arm, p_control) = (1000.0 * w / (1000.0 * w + 1.0), w / (w + 500.0));
        let information = 5.0 * p_arm * (1.0 - p_arm) + p_control * (1.0 - p_control);
        (sets, w.ln(), 1.0 / information)
    }

    /// The last event time's set is kept when both arms have a death at it.
    #[test]
    fn a_last_death_in_each_arm_makes_a_risk_set() {
        let sets = risk_sets(&[(1.0, true, true), (2.0, true, false), (2.0, true, true)]);
        let last = RiskSet {
            arm_at_risk: 1,
            arm_events: 1,
            control_at_risk: 1,
            control_events: 1,
        };
        assert_eq!(sets.len(), 2);
        assert_eq!(sets[1], last);
    }

    /// No events in one arm: the estimate is infinite.
    #[test]
    fn cox_without_events_in_an_arm_is_not_estimable() {
        let obs = [
            (3.0, true, false),
            (4.0, true, false),
            (5.0, false, true),
            (6.0, false, true),
        ];
        let sets = risk_sets(&obs);
        let mut lr = LogRank::default();
        sets.iter().for_each(|r| lr.add(r));
        assert_eq!(cox(&sets, &lr), None);
    }

    #[test]
    fn no_events_is_uninformative() {
        let lr = LogRank::default();
        assert_eq!(lr.statistic(), Statistic::Uninformative);
        let sets = risk_sets(&[(3.0, false, true), (4.0, false, false)]);
        assert!(sets.is_empty());
    }
}
