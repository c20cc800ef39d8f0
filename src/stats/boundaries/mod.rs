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
#[derive(Debug, Clone, PartialEq)]
pub enum Spending {
    /// O'Brien-Fleming type: 2 - 2 Phi(z_{1-alpha/2} / sqrt(t)) (rpact "asOF").
    OBrienFleming,
    /// Pocock type: alpha log(1 + (e - 1) t) (rpact "asP").
    Pocock,
    /// Kim-DeMets power family: alpha t^rho (rpact "asKD", gammaA = rho).
    KimDeMets(f64),
    /// Hwang-Shih-DeCani: alpha (1 - e^(-gamma t)) / (1 - e^(-gamma)) (rpact "asHSD").
    HwangShihDeCani(f64),
    /// The cumulative values written per look (rpact "asUser", "bsUser"; "noEarlyEfficacy" is
    /// 0 until the last): look k spends the share values[k] / values[last] of the total.
    User(Vec<f64>),
}

impl Spending {
    /// One-sided alpha spent by look `look`, at fraction `t` in (0, 1] (a function of `t`, or
    /// for spending written per look, of the look).
    pub fn spent(&self, alpha: f64, look: usize, t: f64) -> f64 {
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
            Spending::KimDeMets(rho) => alpha * t.powf(*rho),
            Spending::HwangShihDeCani(0.0) => alpha * t,
            Spending::HwangShihDeCani(gamma) => {
                alpha * (1.0 - (-gamma * t).exp()) / (1.0 - (-gamma).exp())
            }
            Spending::User(values) => alpha * values[look] / values[values.len() - 1],
        }
    }
}

/// How the efficacy bounds are found.
#[derive(Debug, Clone, PartialEq)]
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
            let share = |k: usize| match sides {
                Sides::One => f.spent(alpha, k, fractions[k]),
                // Symmetric: each tail spends the one-sided function of alpha / 2.
                Sides::Two => 2.0 * f.spent(alpha / 2.0, k, fractions[k]),
            };
            bounds_for(&|k, running, total| solve(running, fractions[k], sides, share(k) - total))
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
    fn of(rule: &SpendingRule) -> Spending {
        let p = rule.parameter.unwrap_or(f64::NAN);
        match rule.family {
            SpendingFamily::ObrienFleming => Spending::OBrienFleming,
            SpendingFamily::Pocock => Spending::Pocock,
            SpendingFamily::KimDemets => Spending::KimDeMets(p),
            SpendingFamily::HwangShihDecani => Spending::HwangShihDeCani(p),
            SpendingFamily::User => {
                Spending::User(rule.user.clone().expect("user spending is written"))
            }
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
    let efficacy = match &plan.efficacy {
        EfficacyRule::Spending(r) => Efficacy::Spending(Spending::of(r)),
        EfficacyRule::WangTsiatis(d) => Efficacy::WangTsiatis(*d),
    };
    match (&plan.futility, efficacy.clone()) {
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
                Spending::of(rule),
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
    let plan = design.sequential()?;
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

/// A design's analytic operating characteristics per look at one drift, as rpact's
/// `getPowerRates` / `getPowerMeans` / `getPowerSurvival` give them (`rejectPerStage`,
/// `futilityPerStage`, and the stopping probabilities behind `expectedNumberOfSubjects`).
#[derive(Debug, Clone, PartialEq)]
pub struct Stages {
    /// Probability of rejecting at each look; a two-sided design counts both directions, as
    /// rpact counts two-sided power, or only the benefit's (rpact's `twoSidedPower = FALSE`).
    pub reject: Vec<f64>,
    /// A two-sided design counting the benefit's rejections only: the probability of crossing
    /// the bound for harm at each look (the trial stops there). Empty otherwise.
    pub harm: Vec<f64>,
    /// Probability of stopping for futility at each look (0 at the last look, and without
    /// futility bounds or with two sides).
    pub futility: Vec<f64>,
    /// Probability that the trial ends at each look: rejection or futility at an interim look,
    /// and what is left at the last.
    pub stop: Vec<f64>,
}

impl Stages {
    /// Cumulative probability of rejecting by each look.
    pub fn cumulative_power(&self) -> Vec<f64> {
        self.reject
            .iter()
            .scan(0.0, |total, p| {
                *total += p;
                Some(*total)
            })
            .collect()
    }

    /// The expected value of a quantity reached at each look (patients, months, events) at the
    /// look where the trial stops.
    pub fn expected(&self, at_look: &[f64]) -> f64 {
        self.stop.iter().zip(at_look).map(|(p, x)| p * x).sum()
    }
}

/// The per-look rejection, futility and stopping probabilities of `b` when the z statistic at
/// full information has mean `drift` in the direction of benefit (futility bounds stop trials
/// whether or not they bind). `one_way`: a two-sided design counts its rejections for benefit
/// only, and its crossings of the lower bound (for harm) apart.
pub fn stages(b: &Boundaries, sides: Sides, drift: f64, one_way: bool) -> Stages {
    let e = exits(b, sides, drift);
    let (reject, harm) = match sides {
        Sides::One => (e.reject, Vec::new()),
        Sides::Two if one_way => (e.reject, e.below),
        // The symmetric bounds' lower crossings at this drift are the upper ones at -drift.
        Sides::Two => {
            let mirrored = exits(b, sides, -drift).reject;
            let both = e.reject.iter().zip(&mirrored).map(|(a, b)| a + b);
            (both.collect(), Vec::new())
        }
    };
    let last = b.fractions.len() - 1;
    let mut stop = e.stop;
    stop[last] = 1.0 - stop[..last].iter().sum::<f64>();
    let mut futility = e.futility;
    futility.push(0.0);
    Stages {
        reject,
        harm,
        futility,
        stop,
    }
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
    /// Per look: the probability of crossing the lower bound there (the futility bound's, or a
    /// two-sided design's lower efficacy bound).
    below: Vec<f64>,
    futility: Vec<f64>,
    stop: Vec<f64>,
}

fn exits(b: &Boundaries, sides: Sides, drift: f64) -> Exits {
    let last = b.fractions.len() - 1;
    let mut running: Option<Running> = None;
    let mut e = Exits {
        reject: Vec::new(),
        below: Vec::new(),
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
        e.below.push(below);
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
/// 1 - `beta`; a two-sided design's power counts the benefit's rejections only with `one_way`
/// (rpact's default, `twoSidedPower = FALSE`), both directions without.
pub fn characteristics(
    b: &Boundaries,
    alpha: f64,
    sides: Sides,
    beta: f64,
    one_way: bool,
) -> Characteristics {
    use statrs::distribution::{ContinuousCDF, Normal};
    let both = sides == Sides::Two && !one_way;
    // The rejections per look counted at `drift`: the lower bound's at `drift` are the upper
    // bound's at `-drift` (symmetric bounds).
    let rejection = |drift: f64| {
        let mut r = exits(b, sides, drift).reject;
        if both {
            for (r, m) in r.iter_mut().zip(exits(b, sides, -drift).reject) {
                *r += m;
            }
        }
        r
    };
    let drift = increasing_root(|d| rejection(d).iter().sum(), 1.0 - beta, 0.0, 20.0);
    let tail = match sides {
        Sides::One => alpha,
        Sides::Two => alpha / 2.0,
    };
    let normal = Normal::standard();
    let c = normal.inverse_cdf(1.0 - tail);
    // The fixed design's drift for the same power, counted the same way.
    let fixed = match both {
        false => c + normal.inverse_cdf(1.0 - beta),
        true => increasing_root(
            |f| normal.sf(c - f) + normal.sf(c + f),
            1.0 - beta,
            0.0,
            20.0,
        ),
    };
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
        rejection: rejection(drift),
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
        Efficacy::Spending(efficacy.clone()),
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
                let target = efficacy.spent(alpha, k, t) - a_total;
                solve(null.as_ref(), t, Sides::One, target)
            } else {
                free.efficacy[k]
            };
            let below = |x: f64| crossing(alt.as_ref(), t, x, f64::INFINITY, drift);
            let lk = if k == last {
                ck
            } else {
                let target = futility.spent(beta, k, t) - b_total;
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
mod tests;
