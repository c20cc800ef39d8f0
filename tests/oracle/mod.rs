//! An exact oracle that shares no code with the engine: plain re-implementations of the tests
//! (written from R's `prop.test`, `fisher.test`, `mantelhaen.test` and the Woolf test, not from
//! `src/analysis.rs`), Holm's procedure, the allocation distribution and exact expectations by
//! enumeration of every trial outcome. Directions come from the scenario's meaning (`better`),
//! never from the engine's helpers. Only statrs' special functions are shared (the normal and
//! chi-square tails, log-binomials), and those are checked against R in the unit tests.
#![allow(dead_code)]

use statrs::distribution::{ChiSquared, ContinuousCDF, Normal};
use statrs::function::factorial::ln_binomial;

/// qnorm(0.975) in R 4.2.2.
pub const Z975: f64 = 1.959963984540054;

/// Which way the alternative points, from the arm's point of view.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Side {
    TwoSided,
    /// One-sided: the arm's event risk is higher than control's.
    ArmHigher,
    /// One-sided: the arm's event risk is lower than control's.
    ArmLower,
}

impl Side {
    /// The one-sided alternative of benefit for `better` ("higher" or "lower"), or two-sided.
    pub fn of(alternative: &str, better: &str) -> Side {
        match (alternative, better) {
            ("two_sided", _) => Side::TwoSided,
            ("one_sided", "higher") => Side::ArmHigher,
            ("one_sided", "lower") => Side::ArmLower,
            other => panic!("unknown alternative/better {other:?}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Test {
    ChiSquare,
    Yates,
    Fisher,
}

impl Test {
    pub fn of(name: &str) -> Test {
        match name {
            "chi_square" => Test::ChiSquare,
            "chi_square_yates" => Test::Yates,
            "fisher_exact" => Test::Fisher,
            other => panic!("no oracle for test {other}"),
        }
    }
}

fn normal_sf(z: f64) -> f64 {
    Normal::standard().sf(z)
}

/// Upper tail of the chi-square; with one degree of freedom, as the two normal tails (faster
/// than the incomplete gamma, which the enumerations would call millions of times).
fn chisq_sf(x: f64, df: f64) -> f64 {
    if df == 1.0 {
        2.0 * normal_sf(x.sqrt())
    } else {
        ChiSquared::new(df).unwrap().sf(x)
    }
}

/// R's `prop.test(c(x1, x0), c(n1, n0), correct)`: the 2 x 2 Pearson statistic summed over its
/// four cells, Yates' 0.5 capped at |O - E|; one-sided via the signed root. R returns NaN when
/// an expected count is 0: such a table never rejects (p = 1 here).
pub fn prop_test(x1: u64, n1: u64, x0: u64, n0: u64, correct: bool, side: Side) -> f64 {
    if n1 == 0 || n0 == 0 {
        return 1.0;
    }
    let obs = [[x1 as f64, (n1 - x1) as f64], [x0 as f64, (n0 - x0) as f64]];
    let n = [n1 as f64, n0 as f64];
    let p = (x1 + x0) as f64 / (n1 + n0) as f64;
    let exp = [[n[0] * p, n[0] * (1.0 - p)], [n[1] * p, n[1] * (1.0 - p)]];
    if exp.iter().flatten().any(|&e| e == 0.0) {
        return 1.0;
    }
    let mut yates: f64 = if correct { 0.5 } else { 0.0 };
    for i in 0..2 {
        for j in 0..2 {
            yates = yates.min((obs[i][j] - exp[i][j]).abs());
        }
    }
    let mut stat = 0.0;
    for i in 0..2 {
        for j in 0..2 {
            stat += ((obs[i][j] - exp[i][j]).abs() - yates).powi(2) / exp[i][j];
        }
    }
    let estimate = x1 as f64 / n1 as f64 - x0 as f64 / n0 as f64;
    let z = estimate.signum() * stat.sqrt();
    match side {
        Side::TwoSided => chisq_sf(stat, 1.0),
        Side::ArmHigher => normal_sf(z),
        Side::ArmLower => normal_sf(-z),
    }
}

/// dhyper(x, m, n, k): x events among k arm patients, m events and n non-events in all.
fn dhyper(x: u64, m: u64, n: u64, k: u64) -> f64 {
    (ln_binomial(m, x) + ln_binomial(n, k - x) - ln_binomial(m + n, k)).exp()
}

/// R's `fisher.test(matrix(c(x1, x0, n1 - x1, n0 - x0), 2))` for a 2 x 2 table: the two-sided
/// p-value sums the tables no more probable than the observed one (relative tolerance 1e-7).
pub fn fisher_test(x1: u64, n1: u64, x0: u64, n0: u64, side: Side) -> f64 {
    let m = x1 + x0;
    let n = (n1 - x1) + (n0 - x0);
    let k = n1;
    let lo = k.saturating_sub(n);
    let hi = k.min(m);
    let d: Vec<f64> = (lo..=hi).map(|x| dhyper(x, m, n, k)).collect();
    let at = |x: u64| d[(x - lo) as usize];
    let p = match side {
        Side::TwoSided => {
            let cut = at(x1) * (1.0 + 1e-7);
            d.iter().filter(|&&v| v <= cut).sum::<f64>()
        }
        Side::ArmHigher => (x1..=hi).map(at).sum(),
        Side::ArmLower => (lo..=x1).map(at).sum(),
    };
    p.min(1.0)
}

pub fn p_value(test: Test, x1: u64, n1: u64, x0: u64, n0: u64, side: Side) -> f64 {
    match test {
        Test::ChiSquare => prop_test(x1, n1, x0, n0, false, side),
        Test::Yates => prop_test(x1, n1, x0, n0, true, side),
        Test::Fisher => fisher_test(x1, n1, x0, n0, side),
    }
}

/// R's `mantelhaen.test(correct = FALSE)` on 2 x 2 x K tables `(x1, n1, x0, n0)`, skipping strata
/// with fewer than two patients. One-sided: the signed statistic against the normal.
pub fn mantel_haenszel(strata: &[(u64, u64, u64, u64)], side: Side) -> f64 {
    let (mut num, mut var) = (0.0, 0.0);
    for &(x1, n1, x0, n0) in strata {
        let t = (n1 + n0) as f64;
        if t < 2.0 {
            continue;
        }
        let m = (x1 + x0) as f64;
        num += x1 as f64 - n1 as f64 * m / t;
        var += n1 as f64 * n0 as f64 * m * (t - m) / (t * t * (t - 1.0));
    }
    if var <= 0.0 {
        return 1.0;
    }
    let z = num / var.sqrt();
    match side {
        Side::TwoSided => chisq_sf(z * z, 1.0),
        Side::ArmHigher => normal_sf(z),
        Side::ArmLower => normal_sf(-z),
    }
}

/// Woolf's test of homogeneity of the stratum log odds ratios (strata with an empty cell left
/// out); p = 1 with fewer than two strata left.
pub fn woolf(strata: &[(u64, u64, u64, u64)]) -> f64 {
    let mut logs = Vec::new();
    for &(x1, n1, x0, n0) in strata {
        let cells = [x1, n1 - x1, x0, n0 - x0].map(|c| c as f64);
        if cells.contains(&0.0) {
            continue;
        }
        let log_or = (cells[0] / cells[1]).ln() - (cells[2] / cells[3]).ln();
        let var: f64 = cells.iter().map(|c| 1.0 / c).sum();
        logs.push((log_or, 1.0 / var));
    }
    if logs.len() < 2 {
        return 1.0;
    }
    let wsum: f64 = logs.iter().map(|l| l.1).sum();
    let pooled = logs.iter().map(|l| l.0 * l.1).sum::<f64>() / wsum;
    let stat: f64 = logs.iter().map(|l| l.1 * (l.0 - pooled).powi(2)).sum();
    chisq_sf(stat, (logs.len() - 1) as f64)
}

/// Holm's step-down procedure: reject the smallest p-values while p_(k) <= alpha / (m - k + 1).
pub fn holm(p: &[f64], alpha: f64) -> Vec<bool> {
    let mut idx: Vec<usize> = (0..p.len()).collect();
    idx.sort_by(|&a, &b| p[a].partial_cmp(&p[b]).unwrap());
    let mut out = vec![false; p.len()];
    for (k, &i) in idx.iter().enumerate() {
        if p[i] > alpha / (p.len() - k) as f64 {
            break;
        }
        out[i] = true;
    }
    out
}

/// Binomial(n, p) pmf as (k, probability), terms below `floor` dropped.
pub fn binomial(n: u64, p: f64, floor: f64) -> Vec<(u64, f64)> {
    (0..=n)
        .map(|k| {
            let w = if p <= 0.0 {
                f64::from(u8::from(k == 0))
            } else if p >= 1.0 {
                f64::from(u8::from(k == n))
            } else {
                (ln_binomial(n, k) + k as f64 * p.ln() + (n - k) as f64 * (1.0 - p).ln()).exp()
            };
            (k, w)
        })
        .filter(|&(_, w)| w > floor)
        .collect()
}

/// Distribution of (arm, control) sizes for N patients with ratio arm:control, from the
/// randomisation's definition: permuted blocks (complete blocks fixed; the last `rest` places
/// are the first places of a random permutation of one block, i.e. without replacement) or
/// independent draws.
pub fn allocation(n: u64, ratio_arm: u64, ratio_control: u64, block: bool) -> Vec<(u64, u64, f64)> {
    let b = ratio_arm + ratio_control;
    if !block {
        return binomial(n, ratio_arm as f64 / b as f64, 0.0)
            .into_iter()
            .map(|(k, w)| (k, n - k, w))
            .collect();
    }
    let (full, rest) = (n / b, n % b);
    (0..=rest)
        .filter(|&k| k <= ratio_arm && rest - k <= ratio_control)
        .map(|k| {
            let w = (ln_binomial(ratio_arm, k) + ln_binomial(ratio_control, rest - k)
                - ln_binomial(b, rest))
            .exp();
            (full * ratio_arm + k, full * ratio_control + rest - k, w)
        })
        .collect()
}

/// Mean and standard deviation of a quantity, from probability-weighted sums.
#[derive(Debug, Default, Clone, Copy)]
pub struct Moments {
    weight: f64,
    sum: f64,
    sum_sq: f64,
}

impl Moments {
    fn add(&mut self, w: f64, v: f64) {
        self.weight += w;
        self.sum += w * v;
        self.sum_sq += w * v * v;
    }

    pub fn mean(&self) -> f64 {
        self.sum / self.weight
    }

    pub fn sd(&self) -> f64 {
        (self.sum_sq / self.weight - self.mean().powi(2))
            .max(0.0)
            .sqrt()
    }

    /// Monte Carlo standard error of the mean of `trials` draws.
    pub fn se(&self, trials: f64) -> f64 {
        self.sd() / trials.sqrt()
    }
}

/// Exact expectations of a two-arm trial's pooled analysis: arm sizes from `allocation`,
/// binomial dropout, binomial events with risks `p1` (arm) and `p0` (control). Estimates are
/// conditional on both arms having evaluable patients (as the engine's columns are).
#[derive(Debug, Default, Clone, Copy)]
pub struct Pooled {
    pub power: f64,
    /// Probability that both arms have evaluable patients.
    pub estimable: f64,
    pub coverage: f64,
    pub difference: Moments,
    pub risk_arm: Moments,
    pub risk_control: Moments,
    pub evaluable_arm: Moments,
    pub evaluable_control: Moments,
}

pub fn pooled(
    (test, side, alpha): (Test, Side, f64),
    allocation: &[(u64, u64, f64)],
    dropout: f64,
    p1: f64,
    p0: f64,
) -> Pooled {
    let truth = p1 - p0;
    let mut o = Pooled::default();
    for &(na, nc, wa) in allocation {
        for (m1, w1) in binomial(na, 1.0 - dropout, 1e-300) {
            for (m0, w0) in binomial(nc, 1.0 - dropout, 1e-300) {
                let w = wa * w1 * w0;
                o.evaluable_arm.add(w, m1 as f64);
                o.evaluable_control.add(w, m0 as f64);
                for (x1, v1) in binomial(m1, p1, 1e-300) {
                    for (x0, v0) in binomial(m0, p0, 1e-300) {
                        let w = w * v1 * v0;
                        if p_value(test, x1, m1, x0, m0, side) <= alpha {
                            o.power += w;
                        }
                        if m1 == 0 || m0 == 0 {
                            continue;
                        }
                        let (r1, r0) = (x1 as f64 / m1 as f64, x0 as f64 / m0 as f64);
                        let d = r1 - r0;
                        let half = Z975
                            * (r1 * (1.0 - r1) / m1 as f64 + r0 * (1.0 - r0) / m0 as f64).sqrt();
                        o.estimable += w;
                        o.coverage += w * f64::from(u8::from((d - truth).abs() <= half));
                        o.difference.add(w, d);
                        o.risk_arm.add(w, r1);
                        o.risk_control.add(w, r0);
                    }
                }
            }
        }
    }
    o.coverage /= o.estimable;
    o
}

/// Two strata (labels a and b, measured without error), fixed arm sizes `n` per arm (1:1
/// blocks, even N, no dropout): the label count in each arm is binomial(n, `pa`), events are
/// binomial with per-arm, per-label risks. Exact expectations of every per-label output, the
/// interaction test and Holm over (overall, a, b), with chi-square tests.
#[derive(Debug, Default, Clone)]
pub struct TwoStrata {
    pub power: f64,
    pub coverage: f64,
    pub mean_difference: f64,
    pub label_power: [f64; 2],
    pub label_estimable: [f64; 2],
    pub label_mean_difference: [f64; 2],
    pub label_mean_evaluable_arm: [f64; 2],
    pub label_mean_evaluable_control: [f64; 2],
    pub interaction_power: f64,
    /// Holm over [overall, a, b]: probability each is rejected, any, all, and any true null.
    pub holm_power: [f64; 3],
    pub holm_any: f64,
    pub holm_all: f64,
    pub holm_fwer: f64,
    /// Probability mass enumerated (1 up to the pruned states).
    pub mass: f64,
}

/// Per arm: (label-a count, events in a, events in b, probability), states below 1e-13 pruned.
fn arm_states(n: u64, pa: f64, ra: f64, rb: f64) -> Vec<(u64, u64, u64, f64)> {
    let mut out = Vec::new();
    for (k, wk) in binomial(n, pa, 0.0) {
        for (xa, wa) in binomial(k, ra, 0.0) {
            for (xb, wb) in binomial(n - k, rb, 0.0) {
                let w = wk * wa * wb;
                if w > 1e-13 {
                    out.push((k, xa, xb, w));
                }
            }
        }
    }
    out
}

/// `risk[arm][label]` with arm 0 = control, 1 = treated; `true_null[h]` for [overall, a, b].
pub fn two_strata(
    n: u64,
    pa: f64,
    risk: [[f64; 2]; 2],
    alpha: f64,
    side: Side,
    true_null: [bool; 3],
) -> TwoStrata {
    let control = arm_states(n, pa, risk[0][0], risk[0][1]);
    let treated = arm_states(n, pa, risk[1][0], risk[1][1]);
    let truth =
        (pa * risk[1][0] + (1.0 - pa) * risk[1][1]) - (pa * risk[0][0] + (1.0 - pa) * risk[0][1]);
    let mut o = TwoStrata::default();
    let mut label_sum = [0.0; 2];
    for &(k1, xa1, xb1, w1) in &treated {
        for &(k0, xa0, xb0, w0) in &control {
            let w = w1 * w0;
            o.mass += w;
            let (x1, x0) = (xa1 + xb1, xa0 + xb0);
            let p_overall = prop_test(x1, n, x0, n, false, side);
            o.power += w * f64::from(u8::from(p_overall <= alpha));
            let (r1, r0) = (x1 as f64 / n as f64, x0 as f64 / n as f64);
            let half = Z975 * (r1 * (1.0 - r1) / n as f64 + r0 * (1.0 - r0) / n as f64).sqrt();
            o.coverage += w * f64::from(u8::from((r1 - r0 - truth).abs() <= half));
            o.mean_difference += w * (r1 - r0);
            let strata = [(xa1, k1, xa0, k0), (xb1, n - k1, xb0, n - k0)];
            let mut p = [p_overall, 1.0, 1.0];
            for (s, &(a, na, c, nc)) in strata.iter().enumerate() {
                p[s + 1] = prop_test(a, na, c, nc, false, side);
                o.label_power[s] += w * f64::from(u8::from(p[s + 1] <= alpha));
                o.label_mean_evaluable_arm[s] += w * na as f64;
                o.label_mean_evaluable_control[s] += w * nc as f64;
                if na > 0 && nc > 0 {
                    o.label_estimable[s] += w;
                    label_sum[s] += w * (a as f64 / na as f64 - c as f64 / nc as f64);
                }
            }
            o.interaction_power += w * f64::from(u8::from(woolf(&strata) <= alpha));
            let rejected = holm(&p, alpha);
            for (power, &r) in o.holm_power.iter_mut().zip(&rejected) {
                *power += w * f64::from(u8::from(r));
            }
            let count = rejected.iter().filter(|&&r| r).count();
            o.holm_any += w * f64::from(u8::from(count > 0));
            o.holm_all += w * f64::from(u8::from(count == 3));
            let null_hit = (0..3).any(|h| rejected[h] && true_null[h]);
            o.holm_fwer += w * f64::from(u8::from(null_hit));
        }
    }
    for ((mean, estimable), sum) in o
        .label_mean_difference
        .iter_mut()
        .zip(&mut o.label_estimable)
        .zip(label_sum)
    {
        *mean = sum / *estimable;
        *estimable /= o.mass;
    }
    o
}
