//! Sample-size re-estimation by conditional power for two risks, with the stages combined by
//! the inverse normal method: rpact 3.3.4's `getSimulationRates` (`f_simulation_base_rates.cpp`:
//! the conditional critical value, `getSimulationRatesStageSubjectsCpp` and the conditional
//! power it achieves), so that a design re-estimated here is the one rpact simulates; and for
//! deaths of a log-rank test, `getSimulationSurvival` (`f_simulation_base_survival.cpp`:
//! `getIndependentIncrements`, `getEstimatedTheta`, `getSimulationSurvivalStageEventsCpp`).

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

/// The inverse normal combination of a re-estimated design's stages (rpact's
/// getDesignInverseNormal): the stage-wise z statistics (oriented so that positive is a
/// benefit) weighted by the planned information fractions, whatever sizes the stages were
/// given, and its decisions at each look. Both re-estimations (patients, deaths) run it.
#[derive(Debug, Clone)]
pub struct InverseNormal {
    /// Cumulative information fractions of the looks, the last 1.
    pub looks: Vec<f64>,
    /// Bounds on the combined z at each look, and futility bounds at the interim looks.
    efficacy: Vec<f64>,
    futility: Option<Vec<f64>>,
}

/// One trial's combination so far: the weighted sum of its stages' z, and how many stages.
#[derive(Debug, Clone, Copy, Default)]
pub struct Combination {
    weighted: f64,
    stages: usize,
}

impl InverseNormal {
    pub fn new(looks: Vec<f64>, efficacy: Vec<f64>, futility: Option<Vec<f64>>) -> InverseNormal {
        InverseNormal {
            looks,
            efficacy,
            futility,
        }
    }

    /// Adds the next stage's own z to `c` and returns the combined z at its look:
    /// sum_k sqrt(t_k - t_(k-1)) z_k / sqrt(t_k).
    pub fn add(&self, c: &mut Combination, z: f64) -> f64 {
        let k = c.stages;
        let before = if k == 0 { 0.0 } else { self.looks[k - 1] };
        c.weighted += (self.looks[k] - before).sqrt() * z;
        c.stages += 1;
        c.weighted / self.looks[k].sqrt()
    }

    /// At look `k`, the combined z `combined`: whether it rejects (at or above the bound),
    /// and whether it stops for futility (at or below the futility bound, never at the last
    /// look).
    pub fn decide(&self, k: usize, combined: f64) -> (bool, bool) {
        let efficacy = combined >= self.efficacy[k];
        let last = k + 1 == self.looks.len();
        let futile = !efficacy && !last && self.futility.as_ref().is_some_and(|f| combined <= f[k]);
        (efficacy, futile)
    }

    /// The critical value the stage after look `k` must reach on its own, given the combined z
    /// `combined` at look `k` (`conditional_critical_value`).
    pub fn next_critical(&self, k: usize, combined: f64) -> f64 {
        conditional_critical_value(
            self.efficacy[k + 1],
            self.looks[k + 1],
            combined,
            self.looks[k],
        )
    }
}

/// The critical value the next stage's own z must reach for the combination to cross the
/// efficacy bound `next_bound` at the next look (fraction `t_next`), given the combined z
/// `combined` at the current one (fraction `t_now`); infinite when that bound is unreachable.
fn conditional_critical_value(next_bound: f64, t_next: f64, combined: f64, t_now: f64) -> f64 {
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

/// The log-rank z of the deaths between two looks, from the cumulative z statistics
/// `(z_before, z)` at `(before, deaths)` deaths (oriented so that positive is a benefit): the
/// score statistics' independent increments, information proportional to deaths. 0 when no
/// death came between them (no information, as a stage test without events).
pub fn stage_log_rank_z((before, z_before): (u64, f64), (deaths, z): (u64, f64)) -> f64 {
    if deaths <= before {
        return 0.0;
    }
    let (b, d) = (before as f64, deaths as f64);
    (d.sqrt() * z - b.sqrt() * z_before) / (d - b).sqrt()
}

/// The log hazard ratio against the null (positive for a benefit) estimated from a cumulative
/// log-rank z at `deaths` deaths with `allocation` patients in the arm per patient in control:
/// Schoenfeld's z = effect x sqrt(allocation x deaths) / (1 + allocation), inverted (rpact's
/// `getEstimatedTheta` without `thetaH1`); 0 without deaths.
pub fn log_rank_effect(z: f64, deaths: u64, allocation: f64) -> f64 {
    if deaths == 0 {
        return 0.0;
    }
    z * (1.0 + allocation) / (allocation * deaths as f64).sqrt()
}

/// The deaths of the next stage that give the conditional power whose normal quantile is
/// `z_power` at log hazard ratio `effect` against the null (positive for a benefit) for
/// conditional critical value `c`, within `[min, max]` and rounded up (the look comes at the
/// first death that reaches the real number rpact computes); an effect that is not a benefit
/// sizes for 1e-12, so the most (rpact's `max(1 + 1e-12, theta)`).
pub fn stage_deaths(
    z_power: f64,
    c: f64,
    effect: f64,
    allocation: f64,
    (min, max): (u64, u64),
) -> u64 {
    let numerator = (c + z_power).max(0.0);
    let a = allocation;
    let d = numerator * numerator * (1.0 + a) * (1.0 + a) / a / effect.max(1e-12).powi(2);
    d.clamp(min as f64, max as f64).ceil() as u64
}

/// The conditional power of a next stage of `deaths` deaths at log hazard ratio `effect`
/// against the null (positive for a benefit) for conditional critical value `c` (rpact's
/// `conditionalPowerAchieved`).
pub fn conditional_power_deaths(deaths: u64, c: f64, effect: f64, allocation: f64) -> f64 {
    if c.is_infinite() {
        return 0.0;
    }
    let a = allocation;
    let drift = effect * (deaths as f64).sqrt() * a.sqrt() / (1.0 + a);
    Normal::standard().sf(c - drift)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The combined z of `z` with weights from `looks`.
    fn combined_z(z: &[f64], looks: &[f64]) -> f64 {
        let plan = InverseNormal::new(looks.to_vec(), vec![f64::INFINITY; looks.len()], None);
        let mut c = Combination::default();
        z.iter()
            .map(|&z| plan.add(&mut c, z))
            .last()
            .expect("a stage")
    }

    #[test]
    fn two_equal_stages_combine_as_the_pooled_z() {
        // Equal information: (z1 + z2) / sqrt 2.
        let z = combined_z(&[1.0, 2.0], &[0.5, 1.0]);
        assert!((z - 3.0 / 2f64.sqrt()).abs() < 1e-15);
        assert_eq!(combined_z(&[1.7], &[0.3, 1.0]), 1.7);
        // Unequal: (sqrt(0.3) 1 + sqrt(0.5) 2 + sqrt(0.2) (-1)) / 1.
        let z = combined_z(&[1.0, 2.0, -1.0], &[0.3, 0.8, 1.0]);
        let expected = 0.3f64.sqrt() + 2.0 * 0.5f64.sqrt() - 0.2f64.sqrt();
        assert!((z - expected).abs() < 1e-15);
    }

    #[test]
    fn the_conditional_critical_value_rejects_exactly_at_the_bound() {
        // A stage-2 z equal to c makes the combination equal the bound.
        let (t1, b2, z1) = (0.4, 2.0, 0.9);
        let c = conditional_critical_value(b2, 1.0, z1, t1);
        let combined = combined_z(&[z1, c], &[t1, 1.0]);
        assert!((combined - b2).abs() < 1e-12);
        assert!(conditional_critical_value(6.0, 1.0, z1, t1).is_infinite());
        let plan = InverseNormal::new(vec![t1, 1.0], vec![2.5, b2], None);
        assert_eq!(plan.next_critical(0, z1), c);
    }

    #[test]
    fn decisions_at_the_bounds() {
        let plan = InverseNormal::new(vec![0.5, 1.0], vec![2.5, 2.0], Some(vec![0.2]));
        // At a bound: efficacy (>=), futility (<=); the last look has no futility.
        assert_eq!(plan.decide(0, 2.5), (true, false));
        assert_eq!(plan.decide(0, 2.49), (false, false));
        assert_eq!(plan.decide(0, 0.2), (false, true));
        assert_eq!(plan.decide(0, 0.21), (false, false));
        assert_eq!(plan.decide(1, 2.0), (true, false));
        assert_eq!(plan.decide(1, -3.0), (false, false));
        let none = InverseNormal::new(vec![0.5, 1.0], vec![2.5, 2.0], None);
        assert_eq!(none.decide(0, -3.0), (false, false));
    }

    #[test]
    fn the_stage_z_of_deaths_is_the_increment_of_the_score() {
        // Scores S = z sqrt(D): 2 sqrt(100) = 20 then 3 sqrt(300) = 51.96; the increment's z
        // is 31.96 / sqrt(200).
        let z = stage_log_rank_z((100, 2.0), (300, 3.0));
        assert!((z - (3.0 * 300f64.sqrt() - 20.0) / 200f64.sqrt()).abs() < 1e-12);
        // A first stage is its own cumulative z; a stage without deaths has none.
        assert_eq!(stage_log_rank_z((0, 0.0), (190, 1.7)), 1.7);
        assert_eq!(stage_log_rank_z((190, 1.7), (190, 1.7)), 0.0);
    }

    #[test]
    fn stage_deaths_invert_the_conditional_power() {
        // Schoenfeld's drift reaches exactly the aimed power at the real-valued size; the
        // rounded-up size reaches at least it.
        let (z_power, c, effect, a) = (power_quantile(0.8), 1.3, 0.2231, 2.0);
        let d = stage_deaths(z_power, c, effect, a, (1, 10_000));
        let real = (c + z_power).powi(2) * 9.0 / 2.0 / effect.powi(2);
        assert_eq!(d, real.ceil() as u64);
        assert!(conditional_power_deaths(d, c, effect, a) >= 0.8);
        assert!(conditional_power_deaths(d - 1, c, effect, a) < 0.8);
        // Bounds, and an effect that is no benefit sizes for the most.
        assert_eq!(stage_deaths(z_power, c, effect, a, (1, 100)), 100);
        assert_eq!(stage_deaths(z_power, c, effect, a, (5000, 9000)), 5000);
        assert_eq!(stage_deaths(z_power, c, -0.1, a, (10, 700)), 700);
        // Conditional power already reached: the fewest.
        assert_eq!(stage_deaths(z_power, -3.0, effect, a, (10, 700)), 10);
        // The estimated effect inverts Schoenfeld's z.
        let z = effect * (a * 400.0f64).sqrt() / (1.0 + a);
        assert!((log_rank_effect(z, 400, a) - effect).abs() < 1e-14);
        assert_eq!(log_rank_effect(0.0, 0, a), 0.0);
        assert_eq!(conditional_power_deaths(50, f64::INFINITY, effect, a), 0.0);
    }
}
