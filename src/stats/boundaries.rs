//! Group-sequential boundaries on the z scale, as rpact's `getDesignGroupSequential` defines them:
//! the efficacy bound of each look is solved so that the probability, under the null, of first
//! crossing it at that look is the alpha the spending function assigns to it (or, for the
//! classic Wang-Tsiatis family, c_k = C t_k^(Delta - 1/2) with C giving total alpha).
//!
//! The joint law of the statistics at the looks is that of the canonical form (Jennison and
//! Turnbull 2000, ch. 3): Z_k = S_k / sqrt(t_k), with independent Brownian increments of the score
//! S. Crossing probabilities are computed by the usual recursive numerical integration (J&T ch.
//! 19): the sub-density of the statistic among trials still running is carried from look to look
//! on a Simpson grid over the continuation region. Written here because no crate computes it;
//! it is checked against rpact 3.3.4 in the tests.
//!
//! `for_plan` turns a scenario's `[sequential]` plan into boundaries, once per design.

use crate::model::design::Design;
use crate::model::sequential::{EfficacyRule, FutilityRule, SequentialPlan, SpendingRule};
use crate::model::vocabulary::{Sidedness, SpendingFamily};
use crate::stats::analysis::normal_upper;

/// Simpson step on the z scale: crossing probabilities are exact to about 1e-10.
const STEP: f64 = 0.02;
/// Lower end of the continuation region when no futility bound binds (mass below: 6e-16).
const FLOOR: f64 = -8.5;

/// An alpha-spending function (Lan-DeMets): the cumulative type I error spent by information
/// fraction t, of a total `alpha`, one-sided.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Spending {
    /// O'Brien-Fleming type: 2 - 2 Phi(z_{1-alpha/2} / sqrt(t)) (rpact "asOF").
    OBrienFleming,
    /// Pocock type: alpha log(1 + (e - 1) t) (rpact "asP").
    Pocock,
    /// Kim-DeMets power family: alpha t^rho (rpact "asKD", gammaA = rho).
    KimDeMets(f64),
    /// Hwang-Shih-DeCani: alpha (1 - e^(-gamma t)) / (1 - e^(-gamma)) (rpact "asHSD").
    HwangShihDeCani(f64),
}

impl Spending {
    /// One-sided alpha spent by fraction `t` in (0, 1].
    pub fn spent(self, alpha: f64, t: f64) -> f64 {
        use statrs::distribution::{ContinuousCDF, Normal};
        let t = t.clamp(0.0, 1.0);
        match self {
            Spending::OBrienFleming => {
                if t == 0.0 {
                    return 0.0;
                }
                let z = Normal::standard().inverse_cdf(1.0 - alpha / 2.0);
                2.0 * normal_upper(z / t.sqrt())
            }
            Spending::Pocock => alpha * (1.0 + (std::f64::consts::E - 1.0) * t).ln(),
            Spending::KimDeMets(rho) => alpha * t.powf(rho),
            Spending::HwangShihDeCani(0.0) => alpha * t,
            Spending::HwangShihDeCani(gamma) => {
                alpha * (1.0 - (-gamma * t).exp()) / (1.0 - (-gamma).exp())
            }
        }
    }
}

/// How the efficacy bounds are found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Efficacy {
    Spending(Spending),
    /// Classic Wang-Tsiatis: c_k = C t_k^(delta - 1/2) (0: O'Brien-Fleming, 0.5: Pocock).
    WangTsiatis(f64),
}

/// Whether the design rejects in one direction, or symmetrically in both (alpha over both tails).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sides {
    One,
    Two,
}

/// A design's boundaries at its looks.
#[derive(Debug, Clone, PartialEq)]
pub struct Boundaries {
    /// Information fractions of the looks, increasing, the last 1.
    pub fractions: Vec<f64>,
    /// Efficacy bounds on the z scale (two-sided: reject when |z| >= bound).
    pub efficacy: Vec<f64>,
    /// Futility bounds at the interim looks (one-sided designs): stop when z <= bound.
    pub futility: Option<Vec<f64>>,
    /// Whether the futility bounds were taken as binding when solving the efficacy bounds.
    pub binding: bool,
    /// Cumulative type I error spent by each look (two-sided: over both tails).
    pub alpha_spent: Vec<f64>,
}

impl Boundaries {
    /// Nominal one-sided level of each efficacy bound, 1 - Phi(c_k) (rpact's stage levels).
    pub fn stage_levels(&self) -> Vec<f64> {
        self.efficacy.iter().map(|&c| normal_upper(c)).collect()
    }

    /// The futility bound at look `k` (none at the last look, or without futility bounds).
    pub fn futility_at(&self, k: usize) -> Option<f64> {
        self.futility.as_ref().and_then(|f| f.get(k).copied())
    }
}

/// Simpson nodes and weights over [lo, hi].
#[derive(Debug, Clone, Default)]
struct Grid {
    z: Vec<f64>,
    w: Vec<f64>,
}

impl Grid {
    fn simpson(lo: f64, hi: f64) -> Grid {
        let intervals = (((hi - lo) / STEP).ceil() as usize)
            .max(2)
            .next_multiple_of(2);
        let h = (hi - lo) / intervals as f64;
        let z = (0..=intervals).map(|i| lo + i as f64 * h).collect();
        let w = (0..=intervals)
            .map(|i| {
                let k = if i == 0 || i == intervals {
                    1.0
                } else if i % 2 == 1 {
                    4.0
                } else {
                    2.0
                };
                k * h / 3.0
            })
            .collect();
        Grid { z, w }
    }
}

/// The sub-density of Z_k among trials that have not stopped by look k, on a grid over the
/// continuation region (lo_k, hi_k), at information fraction t_k.
#[derive(Debug, Clone)]
struct Running {
    t: f64,
    grid: Grid,
    density: Vec<f64>,
}

fn phi(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// Probability of crossing at fraction `t`: upward past `upper` and downward past `lower`
/// (either may be infinite), among trials still running at `prev` (or from the start), when the
/// statistic at full information has mean `drift` (Z_t has mean drift sqrt(t)).
fn crossing(prev: Option<&Running>, t: f64, lower: f64, upper: f64, drift: f64) -> f64 {
    let Some(r) = prev else {
        let mean = drift * t.sqrt();
        return normal_upper(upper - mean) + normal_upper(mean - lower);
    };
    let sd = (t - r.t).sqrt();
    let (st, sp, step) = (t.sqrt(), r.t.sqrt(), drift * (t - r.t));
    r.grid
        .z
        .iter()
        .zip(&r.grid.w)
        .zip(&r.density)
        .map(|((&u, &w), &f)| {
            let up = normal_upper((upper * st - u * sp - step) / sd);
            let down = normal_upper((u * sp + step - lower * st) / sd);
            w * f * (up + down)
        })
        .sum()
}

/// The running sub-density at fraction `t` over (lower, upper), from the one at `prev`.
fn advance(prev: Option<&Running>, t: f64, lower: f64, upper: f64, drift: f64) -> Running {
    let mean = drift * t.sqrt();
    let grid = Grid::simpson(lower.max(mean + FLOOR), upper.min(mean - FLOOR));
    let density = match prev {
        None => grid.z.iter().map(|&z| phi(z - mean)).collect(),
        Some(r) => {
            let sd = (t - r.t).sqrt();
            let (st, sp, step) = (t.sqrt(), r.t.sqrt(), drift * (t - r.t));
            grid.z
                .iter()
                .map(|&z| {
                    r.grid
                        .z
                        .iter()
                        .zip(&r.grid.w)
                        .zip(&r.density)
                        .map(|((&u, &w), &f)| w * f * phi((z * st - u * sp - step) / sd))
                        .sum::<f64>()
                        * st
                        / sd
                })
                .collect()
        }
    };
    Running { t, grid, density }
}

/// Probability of crossing upward past `upper` at `t` (trials stopped below do not cross).
fn up_crossing(prev: Option<&Running>, t: f64, upper: f64, drift: f64) -> f64 {
    crossing(prev, t, f64::NEG_INFINITY, upper, drift)
}

/// The bound c at which crossing (upward past c, and for two sides downward past -c) at `t`
/// has probability `target`, by bisection (crossing decreases in c).
fn solve(prev: Option<&Running>, t: f64, sides: Sides, target: f64) -> f64 {
    let p = |c: f64| match sides {
        Sides::One => up_crossing(prev, t, c, 0.0),
        Sides::Two => crossing(prev, t, -c, c, 0.0),
    };
    if target <= 0.0 {
        return f64::INFINITY;
    }
    increasing_root(|c| -p(c), -target, FLOOR, 40.0)
}

/// Checks the looks: increasing fractions in (0, 1], the last 1.
fn check_fractions(fractions: &[f64]) -> Result<(), String> {
    if fractions.is_empty() {
        return Err("expected at least one look".into());
    }
    if fractions
        .iter()
        .any(|t| !(t.is_finite() && *t > 0.0 && *t <= 1.0))
    {
        return Err(format!("expected fractions in (0, 1], found {fractions:?}"));
    }
    if fractions.windows(2).any(|w| w[1] <= w[0]) {
        return Err(format!(
            "expected increasing fractions, found {fractions:?}"
        ));
    }
    if (fractions[fractions.len() - 1] - 1.0).abs() > 1e-12 {
        return Err(format!(
            "expected the last look at fraction 1, found {fractions:?}"
        ));
    }
    Ok(())
}

/// Efficacy boundaries for `alpha` (one-sided, or two-sided over both tails), with optional
/// futility bounds at the interim looks (one-sided designs; `binding` futility lowers the
/// efficacy bounds, non-binding leaves them as without futility).
pub fn boundaries(
    fractions: &[f64],
    alpha: f64,
    sides: Sides,
    efficacy: Efficacy,
    futility: Option<(&[f64], bool)>,
) -> Result<Boundaries, String> {
    check_fractions(fractions)?;
    if !(alpha > 0.0 && alpha < 1.0) {
        return Err(format!("expected alpha in (0, 1), found {alpha}"));
    }
    if let Some((bounds, _)) = futility {
        if sides == Sides::Two {
            return Err("futility bounds are for one-sided designs".into());
        }
        if bounds.len() + 1 != fractions.len() {
            return Err(format!(
                "expected {} futility bounds (one per interim look), found {}",
                fractions.len() - 1,
                bounds.len()
            ));
        }
    }
    // The lower end of each look's continuation region while solving the efficacy bounds.
    let lower = |k: usize| match (sides, futility) {
        (Sides::One, Some((bounds, true))) if k + 1 < fractions.len() => bounds[k],
        _ => f64::NEG_INFINITY,
    };
    let bounds_for = |c: &dyn Fn(usize, Option<&Running>, f64) -> f64| {
        let mut running: Option<Running> = None;
        let (mut efficacy, mut spent, mut total) = (Vec::new(), Vec::new(), 0.0);
        for (k, &t) in fractions.iter().enumerate() {
            let bound = c(k, running.as_ref(), total);
            let (lo, hi) = match sides {
                Sides::One => (lower(k), bound),
                Sides::Two => (-bound, bound),
            };
            let crossed = match sides {
                Sides::One => up_crossing(running.as_ref(), t, hi, 0.0),
                Sides::Two => crossing(running.as_ref(), t, lo, hi, 0.0),
            };
            total += crossed;
            efficacy.push(bound);
            spent.push(total);
            if k + 1 < fractions.len() {
                running = Some(advance(running.as_ref(), t, lo, hi, 0.0));
            }
        }
        (efficacy, spent)
    };
    let (efficacy, alpha_spent) = match efficacy {
        Efficacy::Spending(f) => {
            let share = |t: f64| match sides {
                Sides::One => f.spent(alpha, t),
                // Symmetric: each tail spends the one-sided function of alpha / 2.
                Sides::Two => 2.0 * f.spent(alpha / 2.0, t),
            };
            bounds_for(&|k, running, total| {
                solve(running, fractions[k], sides, share(fractions[k]) - total)
            })
        }
        Efficacy::WangTsiatis(delta) => {
            let scaled = |scale: f64| bounds_for(&|k, _, _| scale * fractions[k].powf(delta - 0.5));
            // Total alpha decreases as the scale grows.
            let scale = increasing_root(|c| -scaled(c).1[fractions.len() - 1], -alpha, 0.0, 40.0);
            scaled(scale)
        }
    };
    Ok(Boundaries {
        fractions: fractions.to_vec(),
        efficacy,
        futility: futility.map(|(b, _)| b.to_vec()),
        binding: futility.is_some_and(|(_, binding)| binding),
        alpha_spent,
    })
}

impl Spending {
    fn of(rule: SpendingRule) -> Spending {
        let p = rule.parameter.unwrap_or(f64::NAN);
        match rule.family {
            SpendingFamily::ObrienFleming => Spending::OBrienFleming,
            SpendingFamily::Pocock => Spending::Pocock,
            SpendingFamily::KimDemets => Spending::KimDeMets(p),
            SpendingFamily::HwangShihDecani => Spending::HwangShihDeCani(p),
        }
    }
}

/// A plan's boundaries at level `alpha`, and the cumulative beta spent by each look when its
/// futility rule spends beta.
pub fn for_plan(
    plan: &SequentialPlan,
    alpha: f64,
    sides: Sides,
) -> Result<(Boundaries, Option<Vec<f64>>), String> {
    let efficacy = match plan.efficacy {
        EfficacyRule::Spending(r) => Efficacy::Spending(Spending::of(r)),
        EfficacyRule::WangTsiatis(d) => Efficacy::WangTsiatis(d),
    };
    match (&plan.futility, efficacy) {
        (FutilityRule::None, _) => {
            Ok((boundaries(&plan.looks, alpha, sides, efficacy, None)?, None))
        }
        (FutilityRule::Bounds(b), _) => Ok((
            boundaries(&plan.looks, alpha, sides, efficacy, Some((b, plan.binding)))?,
            None,
        )),
        (FutilityRule::BetaSpending { rule, beta }, Efficacy::Spending(f)) => {
            let d = beta_spending(
                &plan.looks,
                alpha,
                f,
                *beta,
                Spending::of(*rule),
                plan.binding,
            )?;
            Ok((d.boundaries, Some(d.beta_spent)))
        }
        (FutilityRule::BetaSpending { .. }, Efficacy::WangTsiatis(_)) => {
            Err("beta spending needs an alpha-spending efficacy rule".into())
        }
    }
}

/// A design's boundaries, the beta spent by its futility rule (beta spending), and whether they
/// are two-sided; `None` for a fixed-sample design.
pub fn of_design(design: &Design) -> Option<(Boundaries, Option<Vec<f64>>, Sides)> {
    let plan = design.sequential.as_ref()?;
    let sides = match design.analysis.sidedness {
        Sidedness::OneSided => Sides::One,
        Sidedness::TwoSided => Sides::Two,
    };
    let (b, beta) =
        for_plan(plan, design.analysis.alpha, sides).expect("validated plans have boundaries");
    Some((b, beta, sides))
}

/// Probability of rejecting at each look, in the direction of the effect, when the z statistic
/// at full information has mean `drift` (futility bounds stop trials whether or not they bind).
pub fn rejection_probabilities(b: &Boundaries, sides: Sides, drift: f64) -> Vec<f64> {
    exits(b, sides, drift).reject
}

/// What a design costs and gains against the fixed design of the same alpha and power (rpact's
/// `getDesignCharacteristics`): the drift that gives power 1 - beta, the inflation of the maximum
/// information, the probabilities of stopping at each look, and the expected information as a
/// fraction of the fixed design's, under the alternative, half of it and the null.
#[derive(Debug, Clone, PartialEq)]
pub struct Characteristics {
    /// Mean of Z at full information giving power 1 - beta (rpact's `shift` is its square).
    pub drift: f64,
    /// Maximum information over the fixed design's: drift^2 / (z_alpha + z_beta)^2.
    pub inflation: f64,
    /// Per look, under the alternative: probability of rejecting there, and of stopping for
    /// futility there (0 without futility bounds; none at the last look).
    pub rejection: Vec<f64>,
    pub futility: Vec<f64>,
    /// Expected information (so expected evaluable patients) over the fixed design's, under the
    /// alternative, under half its effect, and under the null.
    pub expected_h1: f64,
    pub expected_half: f64,
    pub expected_h0: f64,
}

/// Per look, at `drift`: the probability of rejecting there in the direction of the effect
/// (as rpact counts power), of stopping for futility there, and of stopping there at all (a
/// two-sided design also stops on the lower bound). Futility bounds stop trials whether or not
/// they bind (they are meant to be followed).
struct Exits {
    reject: Vec<f64>,
    futility: Vec<f64>,
    stop: Vec<f64>,
}

fn exits(b: &Boundaries, sides: Sides, drift: f64) -> Exits {
    let last = b.fractions.len() - 1;
    let mut running: Option<Running> = None;
    let mut e = Exits {
        reject: Vec::new(),
        futility: Vec::new(),
        stop: Vec::new(),
    };
    for (k, &t) in b.fractions.iter().enumerate() {
        let c = b.efficacy[k];
        let lo = match (sides, &b.futility) {
            (Sides::Two, _) => -c,
            (Sides::One, Some(l)) if k < last => l[k],
            (Sides::One, _) => f64::NEG_INFINITY,
        };
        let rejected = up_crossing(running.as_ref(), t, c, drift);
        let below = crossing(running.as_ref(), t, lo, f64::INFINITY, drift);
        e.reject.push(rejected);
        e.stop.push(rejected + below);
        if k < last {
            e.futility
                .push(if sides == Sides::One { below } else { 0.0 });
            running = Some(advance(running.as_ref(), t, lo, c, drift));
        }
    }
    e
}

/// The design characteristics of `b` (one- or two-sided, as its alpha was spent) for power
/// 1 - `beta`.
pub fn characteristics(b: &Boundaries, alpha: f64, sides: Sides, beta: f64) -> Characteristics {
    use statrs::distribution::{ContinuousCDF, Normal};
    let power = |drift: f64| exits(b, sides, drift).reject.iter().sum::<f64>();
    let drift = increasing_root(power, 1.0 - beta, 0.0, 20.0);
    let tail = match sides {
        Sides::One => alpha,
        Sides::Two => alpha / 2.0,
    };
    let normal = Normal::standard();
    let fixed = normal.inverse_cdf(1.0 - tail) + normal.inverse_cdf(1.0 - beta);
    let inflation = drift * drift / (fixed * fixed);
    // Expected fraction of the maximum information: the look where each trial stops.
    let expected = |d: f64| {
        let stop = exits(b, sides, d).stop;
        let mut left = 1.0;
        let mut sum = 0.0;
        for (k, &t) in b.fractions.iter().enumerate() {
            let here = if k + 1 == b.fractions.len() {
                left
            } else {
                stop[k]
            };
            sum += t * here;
            left -= here;
        }
        inflation * sum
    };
    let e = exits(b, sides, drift);
    Characteristics {
        drift,
        inflation,
        rejection: e.reject,
        futility: e.futility,
        expected_h1: expected(drift),
        expected_half: expected(drift / 2.0),
        expected_h0: expected(0.0),
    }
}

/// A one-sided design whose futility bounds spend the type II error (rpact's beta spending,
/// `typeBetaSpending`): the drift and the futility bounds are solved together so that, under the
/// alternative, the cumulative probability of stopping for futility by each interim look is the
/// beta the spending function assigns, and the futility and efficacy bounds meet at the last look
/// (total type II error `beta`).
#[derive(Debug, Clone, PartialEq)]
pub struct BetaSpending {
    pub boundaries: Boundaries,
    /// Cumulative type II error spent by each look.
    pub beta_spent: Vec<f64>,
    /// Cumulative probability of rejecting by each look, under the alternative.
    pub power: Vec<f64>,
    /// Mean of the z statistic at full information under the alternative (rpact's `shift` is
    /// its square; the inflation factor is that over the fixed design's (z_alpha + z_beta)^2).
    pub drift: f64,
}

/// Bisection for the x in [lo, hi] where the increasing function `f` reaches `target`.
fn increasing_root(f: impl Fn(f64) -> f64, target: f64, lo: f64, hi: f64) -> f64 {
    let (mut lo, mut hi) = (lo, hi);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if f(mid) < target {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < 1e-13 {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// Beta-spending design: efficacy bounds spend `alpha` by `efficacy`, futility bounds spend
/// `beta` by `futility`; `binding` futility bounds are taken into account by the efficacy bounds.
pub fn beta_spending(
    fractions: &[f64],
    alpha: f64,
    efficacy: Spending,
    beta: f64,
    futility: Spending,
    binding: bool,
) -> Result<BetaSpending, String> {
    check_fractions(fractions)?;
    if !(alpha > 0.0 && alpha < 0.5 && beta > 0.0 && beta < 0.5) {
        return Err(format!(
            "expected alpha and beta in (0, 0.5), found {alpha} and {beta}"
        ));
    }
    let last = fractions.len() - 1;
    let free = boundaries(
        fractions,
        alpha,
        Sides::One,
        Efficacy::Spending(efficacy),
        None,
    )?;
    // The whole design for a given drift.
    let design = |drift: f64| {
        let (mut null, mut alt): (Option<Running>, Option<Running>) = (None, None);
        let (mut c, mut l, mut alpha_spent, mut beta_spent, mut power) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let (mut a_total, mut b_total, mut p_total) = (0.0, 0.0, 0.0);
        for (k, &t) in fractions.iter().enumerate() {
            let ck = if binding {
                let target = efficacy.spent(alpha, t) - a_total;
                solve(null.as_ref(), t, Sides::One, target)
            } else {
                free.efficacy[k]
            };
            let below = |x: f64| crossing(alt.as_ref(), t, x, f64::INFINITY, drift);
            let lk = if k == last {
                ck
            } else {
                let target = futility.spent(beta, t) - b_total;
                let mean = drift * t.sqrt();
                increasing_root(below, target, mean - 12.0, ck)
            };
            a_total += up_crossing(null.as_ref(), t, ck, 0.0);
            b_total += below(lk);
            p_total += up_crossing(alt.as_ref(), t, ck, drift);
            c.push(ck);
            l.push(lk);
            alpha_spent.push(a_total);
            beta_spent.push(b_total);
            power.push(p_total);
            if k < last {
                let null_lower = if binding { lk } else { f64::NEG_INFINITY };
                null = Some(advance(null.as_ref(), t, null_lower, ck, 0.0));
                alt = Some(advance(alt.as_ref(), t, lk, ck, drift));
            }
        }
        (c, l, alpha_spent, beta_spent, power)
    };
    // Total beta decreases as the drift grows: find the drift that spends exactly `beta`.
    let drift = increasing_root(|d| -design(d).3[last], -beta, 0.0, 20.0);
    let (c, mut l, alpha_spent, beta_spent, power) = design(drift);
    l.pop();
    Ok(BetaSpending {
        boundaries: Boundaries {
            fractions: fractions.to_vec(),
            efficacy: c,
            futility: Some(l),
            binding,
            alpha_spent,
        },
        beta_spent,
        power,
        drift,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// rpact 3.3.4 (R 4.2.2), `getDesignGroupSequential(...)`: critical values and cumulative
    /// alpha spent. Each call is written beside its values; rpact spends alpha - 1e-8 at the last
    /// look, hence the tolerance there.
    struct Case {
        call: &'static str,
        fractions: &'static [f64],
        alpha: f64,
        sides: Sides,
        efficacy: Efficacy,
        futility: Option<(&'static [f64], bool)>,
        critical: &'static [f64],
        spent: &'static [f64],
    }

    const ONE_THIRD: f64 = 1.0 / 3.0;
    const TWO_THIRDS: f64 = 2.0 / 3.0;

    const CASES: &[Case] = &[
        Case {
            call: "kMax=3, alpha=0.025, sided=1, typeOfDesign='asOF', informationRates=c(0.3,0.7,1)",
            fractions: &[0.3, 0.7, 1.0],
            alpha: 0.025,
            sides: Sides::One,
            efficacy: Efficacy::Spending(Spending::OBrienFleming),
            futility: None,
            critical: &[3.92857254262661, 2.43874237686396, 2.00000857561827],
            spent: &[4.27257874446862e-05, 0.00738448933253566, 0.02499999],
        },
        Case {
            call: "kMax=4, alpha=0.025, sided=1, typeOfDesign='asP', informationRates=c(0.25,0.5,0.75,1)",
            fractions: &[0.25, 0.5, 0.75, 1.0],
            alpha: 0.025,
            sides: Sides::One,
            efficacy: Efficacy::Spending(Spending::Pocock),
            futility: None,
            critical: &[
                2.36832770352391,
                2.36752428859472,
                2.3581683114171,
                2.35003597289324,
            ],
            spent: &[
                0.00893435048771973,
                0.0155028628200927,
                0.0206997234836478,
                0.02499999,
            ],
        },
        Case {
            call: "kMax=4, alpha=0.025, sided=1, typeOfDesign='asKD', gammaA=2, informationRates=c(0.2,0.45,0.8,1)",
            fractions: &[0.2, 0.45, 0.8, 1.0],
            alpha: 0.025,
            sides: Sides::One,
            efficacy: Efficacy::Spending(Spending::KimDeMets(2.0)),
            futility: None,
            critical: &[
                3.09023230616781,
                2.62186177819967,
                2.22165527194738,
                2.10358796268702,
            ],
            spent: &[0.001, 0.00506249997502939, 0.0159999998595889, 0.02499999],
        },
        Case {
            call: "kMax=3, alpha=0.025, sided=1, typeOfDesign='asHSD', gammaA=-4, informationRates=c(1/3,2/3,1)",
            fractions: &[ONE_THIRD, TWO_THIRDS, 1.0],
            alpha: 0.025,
            sides: Sides::One,
            efficacy: Efficacy::Spending(Spending::HwangShihDeCani(-4.0)),
            futility: None,
            critical: &[3.01073948538569, 2.54653055220842, 1.99922635406256],
            spent: &[0.00130306171619521, 0.00624644514660178, 0.02499999],
        },
        Case {
            // gamma = 0: the linear limit, alpha t.
            call: "kMax=3, alpha=0.025, sided=1, typeOfDesign='asHSD', gammaA=0, informationRates=c(0.3,0.7,1)",
            fractions: &[0.3, 0.7, 1.0],
            alpha: 0.025,
            sides: Sides::One,
            efficacy: Efficacy::Spending(Spending::HwangShihDeCani(0.0)),
            futility: None,
            critical: &[2.43237905858445, 2.25320955365896, 2.2089948579669],
            spent: &[0.00750000000000006, 0.0175000000016736, 0.02499999],
        },
        Case {
            call: "kMax=2, alpha=0.05, sided=2, typeOfDesign='asHSD', gammaA=1, informationRates=c(0.5,1)",
            fractions: &[0.5, 1.0],
            alpha: 0.05,
            sides: Sides::Two,
            efficacy: Efficacy::Spending(Spending::HwangShihDeCani(1.0)),
            futility: None,
            critical: &[2.15549695616402, 2.2026965841651],
            spent: &[0.0311229665600927, 0.04999999],
        },
        Case {
            call: "kMax=3, alpha=0.05, sided=2, typeOfDesign='asOF', informationRates=c(0.3,0.7,1)",
            fractions: &[0.3, 0.7, 1.0],
            alpha: 0.05,
            sides: Sides::Two,
            efficacy: Efficacy::Spending(Spending::OBrienFleming),
            futility: None,
            critical: &[3.92857254262661, 2.43874237686396, 2.00000857561827],
            spent: &[8.54515748893725e-05, 0.0147689786530385, 0.04999999],
        },
        Case {
            call: "kMax=3, alpha=0.025, sided=1, typeOfDesign='WT', deltaWT=0, informationRates=c(1/3,2/3,1)",
            fractions: &[ONE_THIRD, TWO_THIRDS, 1.0],
            alpha: 0.025,
            sides: Sides::One,
            efficacy: Efficacy::WangTsiatis(0.0),
            futility: None,
            critical: &[3.47109144465409, 2.45443229863352, 2.00403557995285],
            spent: &[0.000259173723496486, 0.00716005940148268, 0.02499999],
        },
        Case {
            call: "kMax=3, alpha=0.05, sided=2, typeOfDesign='WT', deltaWT=0.5, informationRates=c(0.25,0.6,1)",
            fractions: &[0.25, 0.6, 1.0],
            alpha: 0.05,
            sides: Sides::Two,
            efficacy: Efficacy::WangTsiatis(0.5),
            futility: None,
            critical: &[2.30884902661265, 2.30884902661265, 2.30884902661265],
            spent: &[0.0209519603888593, 0.0372226734115195, 0.04999999],
        },
        Case {
            call: "kMax=3, alpha=0.025, sided=1, typeOfDesign='asOF', informationRates=c(0.3,0.7,1), futilityBounds=c(0,0.5), bindingFutility=TRUE",
            fractions: &[0.3, 0.7, 1.0],
            alpha: 0.025,
            sides: Sides::One,
            efficacy: Efficacy::Spending(Spending::OBrienFleming),
            futility: Some((&[0.0, 0.5], true)),
            critical: &[3.92857254262661, 2.43515435606241, 1.96624780446291],
            spent: &[4.27257874446862e-05, 0.00738448948444259, 0.025],
        },
        Case {
            call: "the same with bindingFutility=FALSE",
            fractions: &[0.3, 0.7, 1.0],
            alpha: 0.025,
            sides: Sides::One,
            efficacy: Efficacy::Spending(Spending::OBrienFleming),
            futility: Some((&[0.0, 0.5], false)),
            critical: &[3.92857254262661, 2.43874237686396, 2.00000857561827],
            spent: &[4.27257874446862e-05, 0.00738448933253566, 0.02499999],
        },
        Case {
            call: "kMax=3, alpha=0.05, sided=1, typeOfDesign='asKD', gammaA=3, informationRates=c(0.4,0.75,1)",
            fractions: &[0.4, 0.75, 1.0],
            alpha: 0.05,
            sides: Sides::One,
            efficacy: Efficacy::Spending(Spending::KimDeMets(3.0)),
            futility: None,
            critical: &[2.7265513165044, 2.05871617048979, 1.70465198904276],
            spent: &[0.00319999999999998, 0.0210937500316155, 0.05],
        },
    ];

    #[test]
    fn boundaries_match_rpact() {
        for case in CASES {
            let b = boundaries(
                case.fractions,
                case.alpha,
                case.sides,
                case.efficacy,
                case.futility,
            )
            .unwrap();
            for (k, (&ours, &rpact)) in b.efficacy.iter().zip(case.critical).enumerate() {
                assert!(
                    (ours - rpact).abs() < 1e-6,
                    "{}: look {}: {ours} vs rpact {rpact}",
                    case.call,
                    k + 1
                );
            }
            for (k, (&ours, &rpact)) in b.alpha_spent.iter().zip(case.spent).enumerate() {
                assert!(
                    (ours - rpact).abs() < 2e-8,
                    "{}: look {} alpha spent: {ours} vs rpact {rpact}",
                    case.call,
                    k + 1
                );
            }
            // The futility bound of each interim look as given; none at the last look.
            let last = case.fractions.len() - 1;
            assert_eq!(b.futility_at(last), None, "{}", case.call);
            match case.futility {
                Some((bounds, _)) => {
                    for (k, &f) in bounds.iter().enumerate() {
                        assert_eq!(b.futility_at(k), Some(f), "{}", case.call);
                    }
                }
                None => assert!((0..last).all(|k| b.futility_at(k).is_none())),
            }
        }
    }

    /// rpact 3.3.4, `getDesignGroupSequential(..., sided=1, typeBetaSpending=...)` and
    /// `getDesignCharacteristics(d)$shift`.
    struct BetaCase {
        call: &'static str,
        fractions: &'static [f64],
        beta: f64,
        efficacy: Spending,
        futility: Spending,
        binding: bool,
        critical: &'static [f64],
        futility_bounds: &'static [f64],
        beta_spent: &'static [f64],
        power: &'static [f64],
        shift: f64,
    }

    const BETA_CASES: &[BetaCase] = &[
        BetaCase {
            call: "kMax=3, alpha=0.025, beta=0.2, typeOfDesign='asOF', typeBetaSpending='bsOF', informationRates=c(0.3,0.7,1), bindingFutility=FALSE",
            fractions: &[0.3, 0.7, 1.0],
            beta: 0.2,
            efficacy: Spending::OBrienFleming,
            futility: Spending::OBrienFleming,
            binding: false,
            critical: &[3.92857254262661, 2.43874237686396, 2.00000857561827],
            futility_bounds: &[-0.451297880765311, 1.29448792012408],
            beta_spent: &[0.0192949815161362, 0.125584855719798, 0.200000001876587],
            power: &[0.0104071027622893, 0.512295203402221, 0.799999999295014],
            shift: 8.71816108727226,
        },
        BetaCase {
            call: "the same with bindingFutility=TRUE",
            fractions: &[0.3, 0.7, 1.0],
            beta: 0.2,
            efficacy: Spending::OBrienFleming,
            futility: Spending::OBrienFleming,
            binding: true,
            critical: &[3.92857254262661, 2.43819620460272, 1.93093895167112],
            futility_bounds: &[-0.486304162160103, 1.24101409269497],
            beta_spent: &[0.0192949813875172, 0.125584856750359, 0.200000000409149],
            power: &[0.00947929919469581, 0.49125124716238, 0.799999998720312],
            shift: 8.34482342297074,
        },
        BetaCase {
            call: "kMax=2, alpha=0.025, beta=0.1, typeOfDesign='asP', typeBetaSpending='bsP', informationRates=c(0.5,1), bindingFutility=FALSE",
            fractions: &[0.5, 1.0],
            beta: 0.1,
            efficacy: Spending::Pocock,
            futility: Spending::Pocock,
            binding: false,
            critical: &[2.15699921834468, 2.20097697526217],
            futility_bounds: &[1.03133430375169],
            beta_spent: &[0.0620114511279885, 0.10000000087567],
            power: &[0.659991618463922, 0.899999999773025],
            shift: 13.2040384231754,
        },
        BetaCase {
            call: "kMax=4, alpha=0.025, beta=0.2, typeOfDesign='asKD', gammaA=3, typeBetaSpending='bsKD', gammaB=2, informationRates=c(0.25,0.5,0.75,1), bindingFutility=TRUE",
            fractions: &[0.25, 0.5, 0.75, 1.0],
            beta: 0.2,
            efficacy: Spending::KimDeMets(3.0),
            futility: Spending::KimDeMets(2.0),
            binding: true,
            critical: &[
                3.35935371793431,
                2.76038988679647,
                2.35801591724157,
                1.98127984255552,
            ],
            futility_bounds: &[-0.799718184915472, 0.3391511910595, 1.19975894829258],
            beta_spent: &[
                0.0125,
                0.0499999995694498,
                0.112500000381411,
                0.199999999902282,
            ],
            power: &[
                0.0275764863277473,
                0.238374086149892,
                0.56352870325811,
                0.800000001045962,
            ],
            shift: 8.31381726016734,
        },
        BetaCase {
            call: "kMax=3, alpha=0.025, beta=0.2, typeOfDesign='asHSD', gammaA=-4, typeBetaSpending='bsHSD', gammaB=-2, informationRates=c(1/3,2/3,1), bindingFutility=FALSE",
            fractions: &[ONE_THIRD, TWO_THIRDS, 1.0],
            beta: 0.2,
            efficacy: Spending::HwangShihDeCani(-4.0),
            futility: Spending::HwangShihDeCani(-2.0),
            binding: false,
            critical: &[3.01073948538569, 2.54653055220842, 1.99922635406256],
            futility_bounds: &[-0.213275815576314, 0.92695999564603],
            beta_spent: &[0.0296674196118985, 0.0874516632355701, 0.199999999761668],
            power: &[0.0903975070622722, 0.43448732670661, 0.799999999346321],
            shift: 8.3910491783792,
        },
    ];

    #[test]
    fn beta_spending_matches_rpact() {
        let close = |what: &str, ours: &[f64], rpact: &[f64], tol: f64, call: &str| {
            assert_eq!(ours.len(), rpact.len(), "{call}: {what}");
            for (k, (a, b)) in ours.iter().zip(rpact).enumerate() {
                assert!(
                    (a - b).abs() < tol,
                    "{call}: {what} at look {}: {a} vs rpact {b}",
                    k + 1
                );
            }
        };
        for case in BETA_CASES {
            let d = beta_spending(
                case.fractions,
                0.025,
                case.efficacy,
                case.beta,
                case.futility,
                case.binding,
            )
            .unwrap();
            let b = &d.boundaries;
            close("efficacy", &b.efficacy, case.critical, 1e-6, case.call);
            close(
                "futility",
                b.futility.as_ref().unwrap(),
                case.futility_bounds,
                1e-6,
                case.call,
            );
            close(
                "beta spent",
                &d.beta_spent,
                case.beta_spent,
                1e-7,
                case.call,
            );
            close("power", &d.power, case.power, 1e-7, case.call);
            close(
                "shift",
                &[d.drift * d.drift],
                &[case.shift],
                1e-5,
                case.call,
            );
        }
    }

    /// rpact 3.3.4, `getDesignCharacteristics(getDesignGroupSequential(...))`.
    #[test]
    fn characteristics_match_rpact() {
        // kMax=3, alpha=0.025, beta=0.2, sided=1, typeOfDesign="asOF", informationRates=c(0.3,0.7,1)
        // [, futilityBounds=c(0,0.5), bindingFutility=FALSE]; kMax=3, alpha=0.05, beta=0.1,
        // sided=2, typeOfDesign="asP", informationRates=c(1/3,2/3,1).
        #[allow(clippy::type_complexity)]
        let cases: [(
            f64,
            Sides,
            f64,
            &[f64],
            Efficacy,
            Option<(&[f64], bool)>,
            [f64; 5],
            &[f64],
            &[f64],
        ); 3] = [
            (
                0.025,
                Sides::One,
                0.2,
                &[0.3, 0.7, 1.0],
                Efficacy::Spending(Spending::OBrienFleming),
                None,
                [
                    7.96627880069332,
                    1.01495742963553,
                    0.868568171281365,
                    0.982882620241825,
                    1.01269159999989,
                ],
                &[0.00859431773293151, 0.460719653892982, 0.330686028374087],
                &[0.0, 0.0],
            ),
            (
                0.025,
                Sides::One,
                0.2,
                &[0.3, 0.7, 1.0],
                Efficacy::Spending(Spending::OBrienFleming),
                Some((&[0.0, 0.5], false)),
                [
                    8.46964231830289,
                    1.07908932293065,
                    0.867749777778978,
                    0.845823541981269,
                    0.618708759665834,
                ],
                &[0.00978334615279497, 0.486228152546237, 0.303988501300978],
                &[0.0554660258800152, 0.0143563410203369],
            ),
            (
                0.05,
                Sides::Two,
                0.1,
                &[ONE_THIRD, TWO_THIRDS, 1.0],
                Efficacy::Spending(Spending::Pocock),
                None,
                [
                    12.1278884579944,
                    1.15422100995443,
                    0.721150272946002,
                    1.02875457861996,
                    1.13082466278403,
                ],
                &[0.394042138361285, 0.337515984662194, 0.168441876979405],
                &[0.0, 0.0],
            ),
        ];
        for (
            alpha,
            sides,
            beta,
            fractions,
            efficacy,
            futility,
            [shift, inflation, h1, half, h0],
            rejection,
            futile,
        ) in cases
        {
            let b = boundaries(fractions, alpha, sides, efficacy, futility).unwrap();
            let c = characteristics(&b, alpha, sides, beta);
            let near = |a: f64, b: f64, what: &str| {
                assert!((a - b).abs() < 1e-6, "{what}: {a} vs rpact {b}")
            };
            near(c.drift * c.drift, shift, "shift");
            near(c.inflation, inflation, "inflation");
            near(c.expected_h1, h1, "expected under H1");
            near(c.expected_half, half, "expected under half the effect");
            near(c.expected_h0, h0, "expected under H0");
            // One rejection per look; one futility stop per interim look (none at the last).
            assert_eq!(c.rejection.len(), rejection.len());
            assert_eq!(c.futility.len(), rejection.len() - 1);
            for (a, b) in c.rejection.iter().zip(rejection) {
                near(*a, *b, "rejection");
            }
            for (a, b) in c.futility.iter().zip(futile) {
                near(*a, *b, "futility");
            }
        }
    }

    #[test]
    fn one_look_is_the_fixed_design() {
        use statrs::distribution::{ContinuousCDF, Normal};
        let b = boundaries(
            &[1.0],
            0.025,
            Sides::One,
            Efficacy::Spending(Spending::OBrienFleming),
            None,
        )
        .unwrap();
        let z = Normal::standard().inverse_cdf(0.975);
        assert!((b.efficacy[0] - z).abs() < 1e-9, "{:?}", b.efficacy);
    }

    #[test]
    fn bad_looks_and_futility_are_refused() {
        let of = Efficacy::Spending(Spending::OBrienFleming);
        for looks in [
            &[][..],
            &[0.5, 0.4, 1.0],
            &[0.5, 0.9],
            &[0.0, 1.0],
            &[0.5, 1.2],
        ] {
            assert!(
                boundaries(looks, 0.025, Sides::One, of, None).is_err(),
                "{looks:?}"
            );
        }
        assert!(boundaries(&[0.5, 1.0], 0.05, Sides::Two, of, Some((&[0.0], false))).is_err());
        assert!(
            boundaries(
                &[0.5, 1.0],
                0.025,
                Sides::One,
                of,
                Some((&[0.0, 0.1], false))
            )
            .is_err()
        );
        // Beta spending: alpha and beta each in (0, 0.5).
        let bs = |alpha: f64, beta: f64| {
            let spending = Spending::OBrienFleming;
            beta_spending(&[0.5, 1.0], alpha, spending, beta, spending, false).err()
        };
        assert!(bs(0.025, 0.2).is_none());
        for (alpha, beta) in [
            (0.0, 0.2),
            (0.5, 0.2),
            (f64::NAN, 0.2),
            (0.025, 0.0),
            (0.025, 0.5),
            (0.025, f64::NAN),
        ] {
            let err = bs(alpha, beta).expect("refused");
            assert!(
                err.contains("alpha and beta in (0, 0.5)"),
                "{alpha} {beta}: {err}"
            );
        }
        for alpha in [0.0, 1.0, -0.1, f64::NAN] {
            let err = boundaries(&[0.5, 1.0], alpha, Sides::One, of, None).unwrap_err();
            assert!(err.contains("alpha in (0, 1)"), "{alpha}: {err}");
        }
    }
}
