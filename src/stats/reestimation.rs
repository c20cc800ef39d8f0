//! Sample-size re-estimation by conditional power for two risks, with the stages combined by
//! the inverse normal method: rpact 3.3.4's `getSimulationRates` (`f_simulation_base_rates.cpp`:
//! the conditional critical value, `getSimulationRatesStageSubjectsCpp` and the conditional
//! power it achieves), so that a design re-estimated here is the one rpact simulates.

use statrs::distribution::{ContinuousCDF, Normal};

use crate::stats::analysis::farrington_manning_risks;

/// A conditional critical value at or above this is infinite: the last look's bound is
/// unreachable (rpact treats a critical value >= 6 so).
const UNREACHABLE: f64 = 6.0;

/// The null hypothesis and direction the stages test: arm minus control (or arm over control,
/// `ratio`) against `null`, `direction` +1 when a higher risk in the arm is a benefit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RiskHypothesis {
    pub null: f64,
    pub ratio: bool,
    pub direction: f64,
    /// Patients randomised to the arm per patient to control.
    pub allocation: f64,
}

/// The inverse normal combination of stage-wise z statistics `z` (oriented so that positive is
/// a benefit) with weights from the planned information fractions `looks` (cumulative, the
/// stages `z.len()` first ones).
pub fn combined_z(z: &[f64], looks: &[f64]) -> f64 {
    let mut sum = 0.0;
    let mut before = 0.0;
    for (&z, &t) in z.iter().zip(looks) {
        sum += (t - before).sqrt() * z;
        before = t;
    }
    sum / looks[z.len() - 1].sqrt()
}

/// The critical value the next stage's own z must reach for the combination to cross the
/// efficacy bound `next_bound` at the next look (fraction `t_next`), given the combined z
/// `combined` at the current one (fraction `t_now`); infinite when that bound is unreachable.
pub fn conditional_critical_value(next_bound: f64, t_next: f64, combined: f64, t_now: f64) -> f64 {
    if next_bound >= UNREACHABLE {
        return f64::INFINITY;
    }
    (next_bound * t_next.sqrt() - combined * t_now.sqrt()) / (t_next - t_now).sqrt()
}

/// The standard deviations (null, alternative) of one patient's contribution at risks
/// `(p1, p0)`: the restricted risks under the null, and the risks themselves.
fn spreads(p1: f64, p0: f64, h: &RiskHypothesis) -> (f64, f64, f64) {
    let (mult, shift) = if h.ratio {
        (h.null, 0.0)
    } else {
        (1.0, h.null)
    };
    let (f1, f0) = farrington_manning_risks(p1, p0, h.null, h.ratio, h.allocation);
    let r = h.allocation * mult * mult;
    let null = (f1 * (1.0 - f1) + f0 * (1.0 - f0) * r).sqrt();
    let alt = (p1 * (1.0 - p1) + p0 * (1.0 - p0) * r).sqrt();
    (null, alt, p1 - mult * p0 - shift)
}

/// The normal quantile of a conditional power: `stage_size`'s `z_power`, computed once per
/// design (the inverse normal CDF costs more than the rest of a re-estimation).
pub fn power_quantile(power: f64) -> f64 {
    Normal::standard().inverse_cdf(power)
}

/// The patients of the next stage (both arms) that give the conditional power whose normal
/// quantile is `z_power` at risks `(p1, p0)` for conditional critical value `c`, within
/// `[min, max]` and rounded up; `min` when the risks are undefined (rpact:
/// `getSimulationRatesStageSubjectsCpp`).
pub fn stage_size(
    z_power: f64,
    c: f64,
    (p1, p0): (f64, f64),
    h: &RiskHypothesis,
    (min, max): (u64, u64),
) -> u64 {
    let (null, alt, effect) = spreads(p1, p0, h);
    let z = z_power;
    let numerator = (c * null + z * alt).max(0.0);
    let n = (1.0 + 1.0 / h.allocation) * numerator * numerator
        / (h.direction * effect).max(1e-12).powi(2);
    if n.is_nan() {
        // rpact's std::max(min, NaN) keeps min.
        return min;
    }
    n.clamp(min as f64, max as f64).ceil() as u64
}

/// The conditional power of a next stage of `n` patients at risks `(p1, p0)` for conditional
/// critical value `c` (rpact's `conditionalPowerAchieved`).
pub fn conditional_power(n: u64, c: f64, (p1, p0): (f64, f64), h: &RiskHypothesis) -> f64 {
    if c.is_infinite() {
        return 0.0;
    }
    let (null, alt, effect) = spreads(p1, p0, h);
    if alt == 0.0 {
        // rpact sets the drift to 0 without variance.
        return Normal::standard().sf(c);
    }
    let n = n as f64;
    let a = h.allocation;
    let drift = effect * (a * n).sqrt() / ((1.0 + a).sqrt() * alt)
        + effect.signum() * c * (1.0 - null / alt);
    Normal::standard().sf(c - h.direction * drift)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_equal_stages_combine_as_the_pooled_z() {
        // Equal information: (z1 + z2) / sqrt 2.
        let z = combined_z(&[1.0, 2.0], &[0.5, 1.0]);
        assert!((z - 3.0 / 2f64.sqrt()).abs() < 1e-15);
        assert_eq!(combined_z(&[1.7], &[0.3, 1.0]), 1.7);
    }

    #[test]
    fn the_conditional_critical_value_rejects_exactly_at_the_bound() {
        // A stage-2 z equal to c makes the combination equal the bound.
        let (t1, b2, z1) = (0.4, 2.0, 0.9);
        let c = conditional_critical_value(b2, 1.0, z1, t1);
        let combined = combined_z(&[z1, c], &[t1, 1.0]);
        assert!((combined - b2).abs() < 1e-12);
        assert!(conditional_critical_value(6.0, 1.0, z1, t1).is_infinite());
    }
}
