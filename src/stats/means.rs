//! Tests of one arm against control on a continuous endpoint, from each cell's sufficient
//! statistics (patients, mean, sum of squared deviations), as R computes them on the patients:
//! - `t_test`: `t.test(var.equal = TRUE)`, the pooled two-sample t;
//! - `welch`: `t.test(var.equal = FALSE)`, Welch-Satterthwaite degrees of freedom;
//! - `ancova`: the arm's t in `lm(y ~ arm + label)` (one intercept per diagnostic label);
//! - `interaction`: the F test of `anova(lm(y ~ arm + label), lm(y ~ arm * label))`.
//!
//! A test's statistic is returned on the normal scale, z = Phi^-1(F_t(t; df)) (computed from the
//! tail, so that no precision is lost), as rpact's `getSimulationMeans(normalApproximation =
//! FALSE)` does: its p-value is the t test's, so every decision (a fixed level, group-sequential
//! bounds, multiplicity) is made on z as for the other endpoints. Degenerate data (too few
//! patients, no variation) have no statistic: p = 1, as for tables.
//!
//! The noncentral t distribution (analytic power) is written here, as R's `pnt` (Lenth's AS
//! 243 with Guenther's twin series): statrs has none.

use statrs::distribution::{ContinuousCDF, FisherSnedecor, Normal, StudentsT};
use statrs::function::beta::beta_reg;
use statrs::function::gamma::ln_gamma;

use std::collections::HashMap;

use crate::stats::analysis::{Alternative, BuildMul, Level, Statistic, normal_upper};

/// A cell's sufficient statistics: patients, their mean outcome and the sum of squared
/// deviations from it (kept instead of the sum of squares, which loses precision to
/// cancellation).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Moments {
    pub n: u64,
    pub mean: f64,
    pub ss: f64,
}

impl Moments {
    /// The moments of `n` values with sum `sum` and squared deviations `ss` from their mean.
    pub fn of_sum(n: u64, sum: f64, ss: f64) -> Moments {
        Moments {
            n,
            mean: if n > 0 { sum / n as f64 } else { 0.0 },
            ss,
        }
    }

    /// Adds one value (Welford's update).
    #[inline]
    pub fn push(&mut self, x: f64) {
        self.n += 1;
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.ss += d * (x - self.mean);
    }

    /// The moments of the union of two cells (Chan, Golub and LeVeque's update).
    #[inline]
    pub fn combine(self, o: Moments) -> Moments {
        if o.n == 0 {
            return self;
        }
        if self.n == 0 {
            return o;
        }
        let n = self.n + o.n;
        let d = o.mean - self.mean;
        let (a, b) = (self.n as f64, o.n as f64);
        Moments {
            n,
            mean: self.mean + d * b / n as f64,
            ss: self.ss + o.ss + d * d * a * b / n as f64,
        }
    }

    /// The unbiased variance (NaN below two patients).
    pub fn variance(&self) -> f64 {
        if self.n < 2 {
            f64::NAN
        } else {
            self.ss / (self.n - 1) as f64
        }
    }
}

/// A t test of a mean difference: the estimate (arm minus control), its standard error and the
/// degrees of freedom of its t.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanTest {
    pub difference: f64,
    pub se: f64,
    pub df: f64,
}

impl MeanTest {
    fn checked(self) -> Option<MeanTest> {
        (self.se > 0.0 && self.se.is_finite() && self.df >= 1.0 && self.difference.is_finite())
            .then_some(self)
    }

    pub fn t(&self) -> f64 {
        self.difference / self.se
    }

    /// The test of H0: difference = `null` (a non-inferiority margin on the mean-difference
    /// scale): the same SE and degrees of freedom, the estimate less the null. A null of 0 is
    /// the test itself, bit for bit.
    pub fn against(self, null: f64) -> MeanTest {
        MeanTest {
            difference: self.difference - null,
            ..self
        }
    }

    /// The statistic on the normal scale: z with Phi(z) = F_t(t; df).
    pub fn z(&self) -> f64 {
        t_to_z(self.t(), self.df)
    }

    /// The `level` confidence interval, estimate -/+ t quantile x SE (as `t.test` and
    /// `confint(lm)`).
    pub fn interval(&self, level: f64) -> (f64, f64) {
        let q = t_quantile(0.5 + level / 2.0, self.df);
        (self.difference - q * self.se, self.difference + q * self.se)
    }
}

/// Student's t with `df` degrees of freedom (df >= 1, finite).
fn students_t(df: f64) -> StudentsT {
    StudentsT::new(0.0, 1.0, df).expect("df > 0")
}

/// P(T > t) for Student's t on `df` degrees of freedom.
pub fn t_upper(t: f64, df: f64) -> f64 {
    students_t(df).sf(t)
}

/// The `p` quantile of Student's t on `df` degrees of freedom.
pub fn t_quantile(p: f64, df: f64) -> f64 {
    students_t(df).inverse_cdf(p)
}

/// z with Phi(z) = F_t(t; df), from the smaller tail.
pub fn t_to_z(t: f64, df: f64) -> f64 {
    let tail = t_upper(t.abs(), df);
    let z = -Normal::standard().inverse_cdf(tail);
    if t < 0.0 { -z } else { z }
}

/// The pooled two-sample t test, as `t.test(var.equal = TRUE)`: at least three patients, one in
/// each arm.
pub fn t_test(arm: &Moments, control: &Moments) -> Option<MeanTest> {
    if arm.n == 0 || control.n == 0 || arm.n + control.n < 3 {
        return None;
    }
    let df = (arm.n + control.n - 2) as f64;
    let pooled = (arm.ss + control.ss) / df;
    MeanTest {
        difference: arm.mean - control.mean,
        se: (pooled * (1.0 / arm.n as f64 + 1.0 / control.n as f64)).sqrt(),
        df,
    }
    .checked()
}

/// Welch's t test, as `t.test(var.equal = FALSE)`: at least two patients in each arm.
pub fn welch(arm: &Moments, control: &Moments) -> Option<MeanTest> {
    if arm.n < 2 || control.n < 2 {
        return None;
    }
    let v1 = arm.variance() / arm.n as f64;
    let v0 = control.variance() / control.n as f64;
    let v = v1 + v0;
    let df = v * v / (v1 * v1 / (arm.n - 1) as f64 + v0 * v0 / (control.n - 1) as f64);
    MeanTest {
        difference: arm.mean - control.mean,
        se: v.sqrt(),
        df,
    }
    .checked()
}

/// The additive model `y ~ arm + label` fitted to per-label (arm, control) moments: the arm's
/// coefficient is the precision-weighted mean of the within-label differences (weights
/// n1 n0 / (n1 + n0)), and the residual sum of squares adds the within-cell sums and the
/// weighted spread of those differences around it.
struct Additive {
    estimate: f64,
    weight: f64,
    rss: f64,
    df: f64,
    /// Labels with patients in both arms, and the patients and cells with patients (for the
    /// interaction model's degrees of freedom).
    both: u64,
    n: u64,
    cells: u64,
}

fn additive(strata: &[(Moments, Moments)]) -> Option<Additive> {
    let (mut sw, mut swd, mut within, mut n, mut labels, mut cells, mut both) =
        (0.0, 0.0, 0.0, 0u64, 0u64, 0u64, 0u64);
    for (a, c) in strata {
        n += a.n + c.n;
        within += a.ss + c.ss;
        labels += u64::from(a.n + c.n > 0);
        cells += u64::from(a.n > 0) + u64::from(c.n > 0);
        if a.n > 0 && c.n > 0 {
            let w = (a.n * c.n) as f64 / (a.n + c.n) as f64;
            sw += w;
            swd += w * (a.mean - c.mean);
            both += 1;
        }
    }
    if sw <= 0.0 || n < labels + 2 {
        return None;
    }
    let estimate = swd / sw;
    let spread: f64 = strata
        .iter()
        .filter(|(a, c)| a.n > 0 && c.n > 0)
        .map(|(a, c)| {
            let w = (a.n * c.n) as f64 / (a.n + c.n) as f64;
            let d = a.mean - c.mean - estimate;
            w * d * d
        })
        .sum();
    Some(Additive {
        estimate,
        weight: sw,
        rss: within + spread,
        df: (n - labels - 1) as f64,
        both,
        n,
        cells,
    })
}

/// The arm's t test in `lm(y ~ arm + label)`: labels without patients have no intercept (R
/// drops the aliased coefficient), so df = patients - labels with patients - 1.
pub fn ancova(strata: &[(Moments, Moments)]) -> Option<MeanTest> {
    let m = additive(strata)?;
    MeanTest {
        difference: m.estimate,
        se: (m.rss / m.df / m.weight).sqrt(),
        df: m.df,
    }
    .checked()
}

/// The treatment-by-label interaction F test, `anova(lm(y ~ arm + label), lm(y ~ arm * label))`:
/// its p-value (`None`: fewer than two labels with patients in both arms, or no residual
/// degrees of freedom).
pub fn interaction(strata: &[(Moments, Moments)]) -> Option<f64> {
    let (f, df1, df2) = interaction_statistic(strata)?;
    Some(f_upper(f, df1, df2))
}

/// The interaction's F statistic and its degrees of freedom.
fn interaction_statistic(strata: &[(Moments, Moments)]) -> Option<(f64, f64, f64)> {
    let m = additive(strata)?;
    let full: f64 = strata.iter().map(|(a, c)| a.ss + c.ss).sum();
    let df1 = m.both.checked_sub(1).filter(|&d| d > 0)? as f64;
    let df2 = m.n.checked_sub(m.cells).filter(|&d| d > 0)? as f64;
    if full <= 0.0 {
        return None;
    }
    Some((((m.rss - full).max(0.0) / df1) / (full / df2), df1, df2))
}

fn f_upper(f: f64, df1: f64, df2: f64) -> f64 {
    FisherSnedecor::new(df1, df2).expect("df > 0").sf(f)
}

/// Relative half-width of the band around a critical value where the p-value decides (as
/// `analysis::Level`'s).
const GUARD: f64 = 1e-6;

/// A level's decisions on t and F statistics of whole degrees of freedom without their
/// p-values: the critical value of each degrees of freedom met is computed once (per worker)
/// and kept, and within `GUARD` of it the p-value decides, so every decision is the p-value's.
/// The t and F distribution functions (regularised incomplete beta) were two thirds of a
/// continuous trial's time. Degrees of freedom that are not whole (Welch) decide by the
/// p-value.
#[derive(Debug, Clone)]
pub struct Decisions {
    level: Level,
    /// Critical t per degrees of freedom (for `level`'s alternative), the two-sided 95%
    /// quantile per degrees of freedom (intervals), and critical F per (df1, df2).
    t: HashMap<u64, f64, BuildMul>,
    interval: HashMap<u64, f64, BuildMul>,
    f: HashMap<(u64, u64), f64, BuildMul>,
}

impl Decisions {
    pub fn new(level: Level) -> Decisions {
        Decisions {
            level,
            t: HashMap::default(),
            interval: HashMap::default(),
            f: HashMap::default(),
        }
    }

    /// Whether `test` rejects at the level: `statistic(test).rejects(level)`.
    pub fn rejects(&mut self, test: Option<MeanTest>) -> bool {
        let Some(t) = test.filter(|t| t.df.fract() == 0.0) else {
            return statistic(test).rejects(&self.level);
        };
        let (alpha, alt) = (self.level.alpha, self.level.alt);
        let tail = match alt {
            Alternative::TwoSided => alpha / 2.0,
            Alternative::Greater | Alternative::Less => alpha,
        };
        let critical = *self
            .t
            .entry(t.df as u64)
            .or_insert_with(|| t_quantile(1.0 - tail, t.df));
        let x = match alt {
            Alternative::TwoSided => t.t().abs(),
            Alternative::Greater => t.t(),
            Alternative::Less => -t.t(),
        };
        if (x - critical).abs() > GUARD * critical {
            x > critical && self.level.counts(t.t())
        } else {
            statistic(test).rejects(&self.level)
        }
    }

    /// The two-sided 95% t quantile on `df` degrees of freedom.
    pub fn interval_quantile(&mut self, df: f64) -> f64 {
        if df.fract() != 0.0 {
            return t_quantile(0.975, df);
        }
        *self
            .interval
            .entry(df as u64)
            .or_insert_with(|| t_quantile(0.975, df))
    }

    /// Whether the interaction F test rejects at the level's alpha: `interaction(strata)
    /// .unwrap_or(1.0) <= alpha`.
    pub fn interaction_rejects(&mut self, strata: &[(Moments, Moments)]) -> bool {
        let alpha = self.level.alpha;
        let Some((f, df1, df2)) = interaction_statistic(strata) else {
            return 1.0 <= alpha;
        };
        let critical = *self.f.entry((df1 as u64, df2 as u64)).or_insert_with(|| {
            FisherSnedecor::new(df1, df2)
                .expect("df > 0")
                .inverse_cdf(1.0 - alpha)
        });
        if (f - critical).abs() > GUARD * critical {
            f > critical
        } else {
            f_upper(f, df1, df2) <= alpha
        }
    }
}

/// The test's statistic on the normal scale (`Uninformative` when it has none).
pub fn statistic(test: Option<MeanTest>) -> Statistic {
    test.map_or(Statistic::Uninformative, |t| Statistic::Z(t.z()))
}

/// P(T <= t) for the noncentral t with `df` degrees of freedom and noncentrality `ncp`, as R's
/// `pt(t, df, ncp)` (nmath/pnt.c: AS 243, Lenth 1989, with Guenther's twin series; the normal
/// approximation of Abramowitz and Stegun 26.7.10 beyond df = 4e5).
pub fn noncentral_t_cdf(t: f64, df: f64, ncp: f64) -> f64 {
    const ITRMAX: u32 = 1000;
    const ERRMAX: f64 = 1e-12;
    if ncp == 0.0 {
        return 1.0 - t_upper(t, df);
    }
    if !t.is_finite() {
        return if t < 0.0 { 0.0 } else { 1.0 };
    }
    let (negdel, tt, del) = if t >= 0.0 {
        (false, t, ncp)
    } else {
        if ncp > 40.0 {
            return 0.0;
        }
        (true, -t, -ncp)
    };
    // The lower tail of the result, flipped when t < 0.
    let finish = |tnc: f64| {
        let tnc = tnc.min(1.0);
        if negdel { 1.0 - tnc } else { tnc }
    };
    if df > 4e5 || del * del > 2.0 * std::f64::consts::LN_2 * 1021.0 {
        let s = 1.0 / (4.0 * df);
        let z = (tt * (1.0 - s) - del) / (1.0 + tt * tt * 2.0 * s).sqrt();
        let lower = 1.0 - normal_upper(z);
        return if negdel { 1.0 - lower } else { lower };
    }
    let x = tt * tt / (tt * tt + df);
    let mut tnc = 0.0;
    if x > 0.0 {
        let lambda = del * del;
        let mut p = 0.5 * (-0.5 * lambda).exp();
        if p == 0.0 {
            return finish(0.0);
        }
        let mut q = (2.0 / std::f64::consts::PI).sqrt() * p * del;
        let mut s = 0.5 - p;
        if s < 1e-7 {
            s = -0.5 * (-0.5 * lambda).exp_m1();
        }
        let mut a = 0.5;
        let b = 0.5 * df;
        let rxb = (1.0 - x).powf(b);
        let albeta = 0.5 * std::f64::consts::PI.ln() + ln_gamma(b) - ln_gamma(0.5 + b);
        let mut xodd = beta_reg(a, b, x);
        let mut godd = 2.0 * rxb * (a * x.ln() - albeta).exp();
        let t0 = b * x;
        let mut xeven = if t0 < f64::EPSILON { t0 } else { 1.0 - rxb };
        let mut geven = t0 * rxb;
        tnc = p * xodd + q * xeven;
        for it in 1..=ITRMAX {
            a += 1.0;
            xodd -= godd;
            xeven -= geven;
            godd *= x * (a + b - 1.0) / a;
            geven *= x * (a + b - 0.5) / (a + 0.5);
            p *= lambda / f64::from(2 * it);
            q *= lambda / f64::from(2 * it + 1);
            tnc += p * xodd + q * xeven;
            s -= p;
            if s < -1e-10 || (s <= 0.0 && it > 1) {
                break;
            }
            if (2.0 * s * (xodd - godd)).abs() < ERRMAX {
                break;
            }
        }
    }
    tnc += 1.0 - normal_upper(-del);
    finish(tnc)
}

/// Power of a t test of a mean difference `delta` with standard error `se` (its t on `df`
/// degrees of freedom is noncentral with ncp = delta / se), at level `alpha`. Two-sided power
/// counts both rejection regions, as `power.t.test(..., strict = TRUE)`.
pub fn t_power(delta: f64, se: f64, df: f64, alpha: f64, alt: Alternative) -> f64 {
    let ncp = delta / se;
    let upper = |q: f64, ncp: f64| 1.0 - noncentral_t_cdf(q, df, ncp);
    match alt {
        Alternative::TwoSided => {
            let q = t_quantile(1.0 - alpha / 2.0, df);
            upper(q, ncp) + noncentral_t_cdf(-q, df, ncp)
        }
        Alternative::Greater => upper(t_quantile(1.0 - alpha, df), ncp),
        Alternative::Less => noncentral_t_cdf(-t_quantile(1.0 - alpha, df), df, ncp),
    }
}

/// The p-value of a statistic on the normal scale, for the alternative `alt`.
pub fn p_value(test: Option<MeanTest>, alt: Alternative) -> f64 {
    statistic(test).p_value(alt)
}

#[cfg(test)]
mod tests;
