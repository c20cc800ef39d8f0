//! Calibration of a Bayesian design's superiority threshold: the smallest threshold whose
//! probability of declaring superiority under the global null is at most a target, read off
//! the trials' critical thresholds (`engine::bayesian::critical`). Deterministic: the same
//! scenario and seed give the same threshold on any machine.

use statrs::distribution::{ContinuousCDF, Normal};

/// A calibrated threshold and what it rests on.
#[derive(Debug, Clone, PartialEq)]
pub struct Calibration {
    /// The shortest decimal among the thresholds giving the smallest one's trials.
    pub threshold: f64,
    /// The thresholds in `[lowest, below)` all declare superiority in the same trials.
    pub lowest: f64,
    pub below: f64,
    /// Trials declaring superiority at `threshold`, of `trials`.
    pub declaring: u64,
    pub trials: u64,
    /// Distribution-free 95% interval of the threshold whose probability is the target (order
    /// statistics of the critical thresholds around the target's rank).
    pub interval: (f64, f64),
}

/// Why no threshold meets the target.
#[derive(Debug, Clone, PartialEq)]
pub enum Unreachable {
    /// More than the target's share of trials declare superiority at every threshold below 1.
    AtEveryThreshold { share: f64 },
    /// The threshold would be at or below `floor` (the inferiority threshold or one half).
    BelowFloor { threshold: f64, floor: f64 },
}

/// Trials of `critical` (sorted ascending) that declare superiority at threshold `t`.
pub fn declaring(critical: &[f64], t: f64) -> u64 {
    (critical.len() - critical.partition_point(|&c| c <= t)) as u64
}

/// The smallest threshold in `(floor, 1)` at which at most `target` of the trials declare
/// superiority, given their sorted critical thresholds.
pub fn calibrate(critical: &[f64], target: f64, floor: f64) -> Result<Calibration, Unreachable> {
    let n = critical.len();
    assert!(n > 0 && target > 0.0 && target < 1.0);
    // At most m trials may declare superiority (the relative slack absorbs the rounding of
    // target * n, e.g. 0.07 * 100).
    let m = ((target * n as f64) * (1.0 + 1e-12)).floor() as usize;
    if m >= n {
        return Err(Unreachable::AtEveryThreshold { share: 1.0 });
    }
    // Declaring at t: critical > t. The (m+1)-th largest critical value is the smallest
    // threshold leaving at most m above it.
    let lowest = critical[n - 1 - m];
    let share_at_one = declaring(critical, 1.0) as f64 / n as f64;
    if lowest >= 1.0 {
        return Err(Unreachable::AtEveryThreshold {
            share: share_at_one,
        });
    }
    if lowest <= floor {
        return Err(Unreachable::BelowFloor {
            threshold: lowest,
            floor,
        });
    }
    let next = critical.partition_point(|&c| c <= lowest);
    let below = critical.get(next).copied().unwrap_or(1.0).min(1.0);
    let threshold = shortest_decimal(lowest, below);
    let z = Normal::standard().inverse_cdf(0.975);
    let centre = n as f64 * (1.0 - target);
    let half = z * (n as f64 * target * (1.0 - target)).sqrt();
    let rank = |r: f64| critical[(r.max(1.0) as usize).min(n) - 1];
    Ok(Calibration {
        threshold,
        lowest,
        below,
        declaring: declaring(critical, threshold),
        trials: n as u64,
        interval: (rank((centre - half).floor()), rank((centre + half).ceil())),
    })
}

/// The decimal with the fewest digits in `[lo, hi)` (`lo` itself when none has fewer than 17),
/// so that the scenario file states a threshold a reader can check by eye.
pub fn shortest_decimal(lo: f64, hi: f64) -> f64 {
    for digits in 1..=16 {
        let scale = 10f64.powi(digits);
        // Parsing the printed decimal gives the double nearest to it, as a scenario file would.
        let up: f64 = format!("{:.*}", digits as usize, (lo * scale).ceil() / scale)
            .parse()
            .expect("a decimal");
        for candidate in [up, up - 1.0 / scale] {
            let candidate: f64 = format!("{candidate:.*}", digits as usize)
                .parse()
                .expect("a decimal");
            if candidate >= lo && candidate < hi {
                return candidate;
            }
        }
    }
    lo
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declaring_counts_critical_values_strictly_above_the_threshold() {
        let c = [0.5, 0.9, 0.95, 0.95, 0.99, f64::INFINITY];
        assert_eq!(declaring(&c, 0.95), 2);
        assert_eq!(declaring(&c, 0.949), 4);
        assert_eq!(declaring(&c, 0.0), 6);
        assert_eq!(declaring(&c, 1.0), 1);
    }

    #[test]
    fn the_threshold_is_the_smallest_meeting_the_target_written_short() {
        // 100 trials, critical values 0.900, 0.901, ..., 0.999 (i/1000 + 0.9 for i < 100).
        let c: Vec<f64> = (0..100).map(|i| 0.9 + i as f64 / 1000.0).collect();
        // At most 5 above: the 6th largest, 0.994; 0.994 itself leaves 0.995..0.999 above.
        let k = calibrate(&c, 0.05, 0.5).unwrap();
        assert_eq!(k.lowest, c[94]);
        assert_eq!(k.below, c[95]);
        assert_eq!(k.declaring, 5);
        assert_eq!(k.trials, 100);
        assert!(k.threshold >= c[94] && k.threshold < c[95]);
        assert_eq!(format!("{}", k.threshold), "0.994");
        // A target of 0.07 * 100 = 7 (rounding below 7 must not lose a trial).
        assert_eq!(calibrate(&c, 0.07, 0.5).unwrap().declaring, 7);
    }

    #[test]
    fn ties_and_limits_are_refused_or_respected() {
        // Ties at the rank: the threshold at the tied value leaves fewer than m above.
        let mut c = vec![0.9; 90];
        c.extend(vec![0.97; 10]);
        let k = calibrate(&c, 0.05, 0.5).unwrap();
        assert_eq!((k.lowest, k.declaring), (0.97, 0));
        assert_eq!(k.below, 1.0);
        assert_eq!(k.threshold, 0.97);
        // Ten trials declaring at every threshold: 5% is out of reach.
        let mut c = vec![0.9; 90];
        c.extend(vec![f64::INFINITY; 10]);
        assert_eq!(
            calibrate(&c, 0.05, 0.5),
            Err(Unreachable::AtEveryThreshold { share: 0.1 })
        );
        let c = vec![0.3; 100];
        assert_eq!(
            calibrate(&c, 0.05, 0.5),
            Err(Unreachable::BelowFloor {
                threshold: 0.3,
                floor: 0.5
            })
        );
    }

    #[test]
    fn the_interval_brackets_the_rank_of_the_target() {
        let c: Vec<f64> = (0..10_000).map(|i| i as f64 / 10_000.0).collect();
        let k = calibrate(&c, 0.05, 0.1).unwrap();
        // Rank 9500 +- 1.96 sqrt(10000 * 0.05 * 0.95) = 42.7: about 0.9457 to 0.9544.
        assert!(
            k.interval.0 > 0.945 && k.interval.0 < 0.946,
            "{:?}",
            k.interval
        );
        assert!(
            k.interval.1 > 0.954 && k.interval.1 < 0.955,
            "{:?}",
            k.interval
        );
        assert!(k.interval.0 < k.threshold && k.threshold < k.interval.1);
    }

    #[test]
    fn shortest_decimals() {
        assert_eq!(shortest_decimal(0.98731, 0.98742), 0.9874);
        assert_eq!(shortest_decimal(0.987_312, 0.9874), 0.98732);
        assert_eq!(shortest_decimal(0.95, 0.96), 0.95);
        assert_eq!(shortest_decimal(0.949_999, 0.950_001), 0.95);
        assert_eq!(shortest_decimal(0.1, 0.3), 0.1);
        let lo = 0.123_456_789_012_345_6;
        assert_eq!(shortest_decimal(lo, lo), lo);
    }
}
