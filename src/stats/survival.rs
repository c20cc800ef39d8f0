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
//! Beside it, Schoenfeld's approximation of the events needed and of the power.
//!
//! Not yet part of scenarios: issue 10 builds the time-to-event endpoint on it. Checked against
//! R 4.2.2 (survival's survdiff, rpact 3.3.4) in the tests.

use statrs::distribution::{ContinuousCDF, Normal};

use crate::stats::analysis::{Statistic, normal_upper};
use crate::stats::boundaries::Sides;

/// One distinct event time: patients at risk and events, in the arm and in control.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RiskSet {
    pub arm_at_risk: u64,
    pub arm_events: u64,
    pub control_at_risk: u64,
    pub control_events: u64,
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
        let n = (r.arm_at_risk + r.control_at_risk) as f64;
        let d = (r.arm_events + r.control_events) as f64;
        if d == 0.0 {
            return;
        }
        let share = r.arm_at_risk as f64 / n;
        self.observed += r.arm_events as f64;
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

/// The risk sets of individual observations `(time, event, in_arm)`, in increasing time: one
/// per distinct time with at least one event.
pub fn risk_sets(observations: &[(f64, bool, bool)]) -> Vec<RiskSet> {
    let mut sorted: Vec<(f64, bool, bool)> = observations.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (mut arm_left, mut control_left) =
        sorted.iter().fold(
            (0u64, 0u64),
            |(a, c), o| {
                if o.2 { (a + 1, c) } else { (a, c + 1) }
            },
        );
    let mut out = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let t = sorted[i].0;
        let mut set = RiskSet {
            arm_at_risk: arm_left,
            control_at_risk: control_left,
            ..RiskSet::default()
        };
        // Everyone with this time leaves after it (events and censorings alike).
        while i < sorted.len() && sorted[i].0 == t {
            let (_, event, in_arm) = sorted[i];
            match (in_arm, event) {
                (true, true) => set.arm_events += 1,
                (false, true) => set.control_events += 1,
                _ => {}
            }
            if in_arm {
                arm_left -= 1;
            } else {
                control_left -= 1;
            }
            i += 1;
        }
        if set.arm_events + set.control_events > 0 {
            out.push(set);
        }
    }
    out
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

/// Schoenfeld's power of a log-rank test with `events` events (two-sided: both sides), as
/// rpact's `getPowerSurvival`.
pub fn schoenfeld_power(
    events: f64,
    hazard_ratio: f64,
    arm_share: f64,
    alpha: f64,
    sides: Sides,
) -> f64 {
    let drift = (events * arm_share * (1.0 - arm_share)).sqrt() * hazard_ratio.ln().abs();
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

    /// `o <- survdiff(Surv(futime, fustat) ~ rx + strata(resid.ds), data = ovarian)`:
    /// rx = 2 observed 2 + 3 = 5, expected 1.47402597402597 + 5.43077755577756, o$chisq
    /// 1.27964345120336.
    #[test]
    fn stratified_log_rank_matches_survdiff() {
        let mut lr = LogRank::default();
        for stratum in [1, 2] {
            let obs: Vec<(f64, bool, bool)> = OVARIAN
                .iter()
                .filter(|o| o.3 == stratum)
                .map(|o| (o.0, o.1, o.2))
                .collect();
            for r in risk_sets(&obs) {
                lr.add(&r);
            }
        }
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
    #[test]
    fn schoenfeld_matches_rpact() {
        let e = schoenfeld_events(0.7, 0.5, 0.025, 0.2, Sides::One);
        assert!((e - 246.787104547358).abs() < 1e-9, "{e}");
        let e = schoenfeld_events(0.6, 2.0 / 3.0, 0.05, 0.1, Sides::Two);
        assert!((e - 181.202165891163).abs() < 1e-9, "{e}");
        let p = schoenfeld_power(300.0, 0.75, 0.5, 0.025, Sides::One);
        assert!((p - 0.702441606207973).abs() < 1e-12, "{p}");
        // The events for a power give that power back.
        let e = schoenfeld_events(0.8, 0.5, 0.05, 0.1, Sides::Two);
        let p = schoenfeld_power(e, 0.8, 0.5, 0.05, Sides::Two);
        assert!((p - 0.9).abs() < 1e-6, "{p}");
    }

    #[test]
    fn no_events_is_uninformative() {
        let lr = LogRank::default();
        assert_eq!(lr.statistic(), Statistic::Uninformative);
        let sets = risk_sets(&[(3.0, false, true), (4.0, false, false)]);
        assert!(sets.is_empty());
    }
}
