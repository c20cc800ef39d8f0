//! Statistical tests of one arm against control on a binary endpoint: pure functions over counts
//! returning a p-value, plus the Wald interval for the risk difference.
//!
//! Conventions follow R so that a statistician can reproduce any single trial:
//! - `chi_square`: Pearson's X^2 without correction = the pooled two-sample z test; one-sided
//!   p-values as `prop.test(correct = FALSE, alternative = ...)`.
//! - `chi_square_yates`: `prop.test(correct = TRUE)`, whose correction is min(0.5, |O - E|).
//! - `fisher_exact`: `fisher.test`; the two-sided p sums the tables no more probable than the
//!   observed one, with R's relative tolerance 1e-7.
//! - `cmh`: `mantelhaen.test(correct = FALSE)` for 2 x 2 x K tables.
//!
//! Degenerate tables (an empty arm, or no events / only events overall) have no defined statistic
//! in R (NaN); here their p-value is 1, so they never count as a rejection.
//!
//! The normal tail uses statrs' `erfc`; the Fisher sum is written here because it runs inside the
//! per-trial loop: it walks the hypergeometric pmf by its ratio recursion from the mode, with no
//! allocation and no log-gamma calls.

use statrs::function::erf::erfc;

use crate::model::vocabulary::{Margin, TestKind};

/// 1/sqrt(2).
const FRAC_1_SQRT_2: f64 = std::f64::consts::FRAC_1_SQRT_2;
/// Relative tolerance of R's `fisher.test` when comparing table probabilities.
const FISHER_REL_ERR: f64 = 1.0 + 1e-7;
/// The 97.5% normal quantile, for 95% Wald intervals.
pub const Z_975: f64 = 1.959_963_984_540_054;

/// The alternative hypothesis, for the arm's risk relative to control.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alternative {
    TwoSided,
    /// Arm risk greater than control.
    Greater,
    /// Arm risk less than control.
    Less,
}

/// A 2 x 2 table: events and evaluable patients in the arm and in control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Table {
    pub arm_events: u64,
    pub arm_n: u64,
    pub control_events: u64,
    pub control_n: u64,
}

impl Table {
    pub fn new(arm_events: u64, arm_n: u64, control_events: u64, control_n: u64) -> Table {
        debug_assert!(arm_events <= arm_n && control_events <= control_n);
        Table {
            arm_events,
            arm_n,
            control_events,
            control_n,
        }
    }

    fn total(&self) -> u64 {
        self.arm_n + self.control_n
    }

    fn events(&self) -> u64 {
        self.arm_events + self.control_events
    }

    /// Risk difference arm - control, when both arms have evaluable patients.
    pub fn difference(&self) -> Option<f64> {
        (self.arm_n > 0 && self.control_n > 0).then(|| {
            self.arm_events as f64 / self.arm_n as f64
                - self.control_events as f64 / self.control_n as f64
        })
    }

    /// Wald interval for the risk difference at normal quantile `z`.
    pub fn wald_interval(&self, z: f64) -> Option<(f64, f64)> {
        let d = self.difference()?;
        let (n1, n0) = (self.arm_n as f64, self.control_n as f64);
        let (p1, p0) = (self.arm_events as f64 / n1, self.control_events as f64 / n0);
        let half = z * (p1 * (1.0 - p1) / n1 + p0 * (1.0 - p0) / n0).sqrt();
        Some((d - half, d + half))
    }
}

/// Upper tail of the standard normal, P(Z > z).
pub fn normal_upper(z: f64) -> f64 {
    0.5 * erfc(z * FRAC_1_SQRT_2)
}

/// p-value of a signed normal statistic `z` (positive when the arm's risk is higher).
fn normal_p_value(z: f64, alt: Alternative) -> f64 {
    match alt {
        Alternative::TwoSided => erfc(z.abs() * FRAC_1_SQRT_2),
        Alternative::Greater => normal_upper(z),
        Alternative::Less => normal_upper(-z),
    }
}

/// A test's result before its p-value: the signed normal statistic of the z tests, the p-value
/// of the exact test with the sign of the observed difference (its direction), or nothing (a
/// table without information: p = 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Statistic {
    Z(f64),
    P { p: f64, sign: f64 },
    Uninformative,
}

impl Statistic {
    pub fn p_value(self, alt: Alternative) -> f64 {
        match self {
            Statistic::Z(z) => normal_p_value(z, alt),
            Statistic::P { p, .. } => p,
            Statistic::Uninformative => 1.0,
        }
    }

    /// Whether the test rejects at `level` in a direction the level counts: the decision of
    /// `p_value(alt) <= alpha`, and for a level counting one direction of a two-sided test
    /// (`Level::counting`), a statistic on that side.
    #[inline]
    pub fn rejects(self, level: &Level) -> bool {
        self.crosses(level) && level.counts(self.direction())
    }

    /// Whether the test rejects at `level` in either direction (`p_value(alt) <= alpha`): a
    /// two-sided sequential design stops there, whichever direction its power counts.
    #[inline]
    pub fn crosses(self, level: &Level) -> bool {
        match self {
            Statistic::Z(z) => level.rejects_z(z),
            Statistic::P { p, .. } => p <= level.alpha,
            Statistic::Uninformative => 1.0 <= level.alpha,
        }
    }

    /// The statistic's direction: positive when the arm's outcome is the higher.
    pub fn direction(self) -> f64 {
        match self {
            Statistic::Z(z) => z,
            Statistic::P { sign, .. } => sign,
            Statistic::Uninformative => 0.0,
        }
    }
}

/// Relative half-width of the band around a critical value where the decision is left to the
/// p-value. Outside it, comparing the statistic with the critical value decides exactly as the
/// p-value would (their error is far below it); inside, the p-value decides, as it always did.
const GUARD: f64 = 1e-6;

/// A significance level and alternative with their critical values, computed once per design,
/// so that a decision needs no p-value: the erfc of each p-value was an eighth of a trial's time.
#[derive(Debug, Clone)]
pub struct Level {
    pub alpha: f64,
    pub alt: Alternative,
    /// The one direction of a two-sided test whose rejections count (rpact's `twoSidedPower =
    /// FALSE`: the benefit's, `Greater` or `Less`); `None`: every rejection counts.
    counted: Option<Alternative>,
    /// Critical value of the normal statistic on the side(s) of `alt`.
    z: f64,
    /// Upper alpha-quantiles of chi-square with 1, 2, ... degrees of freedom.
    chi2: Vec<f64>,
}

impl Level {
    /// `max_df`: the largest chi-square degrees of freedom a decision will need.
    pub fn new(alpha: f64, alt: Alternative, max_df: u32) -> Level {
        use statrs::distribution::{ChiSquared, ContinuousCDF, Normal};
        let tail = match alt {
            Alternative::TwoSided => alpha / 2.0,
            _ => alpha,
        };
        let z = Normal::standard().inverse_cdf(1.0 - tail);
        let z2 = Normal::standard().inverse_cdf(1.0 - alpha / 2.0);
        // A level of 0 (a look without an efficacy stop) rejects nothing: infinite bounds.
        let chi2 = (1..=max_df)
            .map(|df| match df {
                _ if alpha <= 0.0 => f64::INFINITY,
                1 => z2 * z2,
                _ => ChiSquared::new(f64::from(df))
                    .expect("df > 0")
                    .inverse_cdf(1.0 - alpha),
            })
            .collect();
        Level {
            alpha,
            alt,
            counted: None,
            z,
            chi2,
        }
    }

    /// This two-sided level counting only the rejections in `direction` (`Greater`: a
    /// statistic above 0). The test is unchanged (alpha / 2 in each tail); only its rejections
    /// in the other direction no longer count as rejections.
    pub fn counting(self, direction: Alternative) -> Level {
        debug_assert!(self.alt == Alternative::TwoSided && direction != Alternative::TwoSided);
        Level {
            counted: Some(direction),
            ..self
        }
    }

    /// Whether a rejection whose statistic has sign `direction` counts.
    #[inline]
    pub fn counts(&self, direction: f64) -> bool {
        match self.counted {
            None | Some(Alternative::TwoSided) => true,
            Some(Alternative::Greater) => direction > 0.0,
            Some(Alternative::Less) => direction < 0.0,
        }
    }

    #[inline]
    fn rejects_z(&self, z: f64) -> bool {
        let x = match self.alt {
            Alternative::TwoSided => z.abs(),
            Alternative::Greater => z,
            Alternative::Less => -z,
        };
        if (x - self.z).abs() > GUARD * self.z {
            x > self.z
        } else {
            // An infinite bound (level 0) lands here; p underflowing to 0 must not reject.
            self.alpha > 0.0 && normal_p_value(z, self.alt) <= self.alpha
        }
    }

    /// Whether a chi-square statistic `x` on `df` degrees of freedom rejects.
    #[inline]
    pub fn rejects_chi2(&self, x: f64, df: u32) -> bool {
        match self.chi2.get(df as usize - 1) {
            Some(&c) if (x - c).abs() > GUARD * c => x > c,
            _ => chi_square_upper(x, df) <= self.alpha,
        }
    }
}

/// Pearson chi-square test of a 2 x 2 table, optionally with Yates' correction (as R's
/// `prop.test`: correction min(0.5, |O - E|)).
pub fn chi_square(t: &Table, yates: bool, alt: Alternative) -> f64 {
    chi_square_z(t, yates).p_value(alt)
}

/// The chi-square test's statistic as a signed normal deviate (sqrt of X-squared).
pub fn chi_square_z(t: &Table, yates: bool) -> Statistic {
    let (n1, n0) = (t.arm_n as f64, t.control_n as f64);
    let n = t.total() as f64;
    let m1 = t.events() as f64;
    let m0 = n - m1;
    if t.arm_n == 0 || t.control_n == 0 || m1 == 0.0 || m0 == 0.0 {
        return Statistic::Uninformative;
    }
    // Every cell has the same |O - E| = |x1 n0 - x0 n1| / n, and
    // sum(1/E) = n (1/n1 + 1/n0)(1/m1 + 1/m0).
    let signed = (t.arm_events as f64 * n0 - t.control_events as f64 * n1) / n;
    let mut dev = signed.abs();
    if yates {
        dev -= dev.min(0.5);
    }
    let x2 = dev * dev * n * (1.0 / n1 + 1.0 / n0) * (1.0 / m1 + 1.0 / m0);
    Statistic::Z(signed.signum() * x2.sqrt())
}

/// Farrington and Manning's (1990) restricted maximum-likelihood risks (arm, control) under
/// the null `theta` (a difference p1 - p0, or with `ratio` a ratio p1 / p0), at observed risks
/// `r1`, `r0` and allocation n1 / n0: rpact 3.3.4's `.getFarringtonManningValuesDiff` and
/// `...Ratio` (the cubic's trigonometric root for the difference, the quadratic's for the ratio).
pub fn farrington_manning_risks(
    r1: f64,
    r0: f64,
    theta: f64,
    ratio: bool,
    allocation: f64,
) -> (f64, f64) {
    let pooled = (allocation * r1 + r0) / (1.0 + allocation);
    let a = 1.0 + 1.0 / allocation;
    if ratio {
        if theta == 1.0 {
            return (pooled, pooled);
        }
        let b = -((1.0 + r0 / allocation) * theta + 1.0 / allocation + r1);
        let c = (r1 + r0 / allocation) * theta;
        let ml1 = (-b - (b * b - 4.0 * a * c).max(0.0).sqrt()) / (2.0 * a);
        return (ml1, ml1 / theta);
    }
    if theta == 0.0 {
        return (pooled, pooled);
    }
    let b = -(1.0 + 1.0 / allocation + r1 + r0 / allocation + theta * (1.0 / allocation + 2.0));
    let c = theta * theta + theta * (2.0 * r1 + 1.0 / allocation + 1.0) + r1 + r0 / allocation;
    let d = -theta * (1.0 + theta) * r1;
    let v = b.powi(3) / (3.0 * a).powi(3) - b * c / (6.0 * a * a) + d / (2.0 * a);
    let root = (b * b / (3.0 * a).powi(2) - c / (3.0 * a)).max(0.0).sqrt();
    let (u, w) = if v == 0.0 {
        (root, std::f64::consts::FRAC_PI_2)
    } else {
        let u = v.signum() * root;
        // v / u^3 is within [-1, 1] in exact arithmetic; rounding can step past it.
        (
            u,
            (std::f64::consts::PI + (v / u.powi(3)).clamp(-1.0, 1.0).acos()) / 3.0,
        )
    };
    let ml1 = (2.0 * u * w.cos() - b / (3.0 * a)).clamp(0.0, 1.0);
    (ml1, (ml1 - theta).clamp(0.0, 1.0))
}

/// Farrington and Manning's score z of a 2 x 2 table against a non-inferiority margin (rpact's
/// `getSimulationRates` statistic with `thetaH0`): (r1 - r0 - theta) / sqrt(ml1 (1 - ml1) / n1 +
/// ml0 (1 - ml0) / n0) for a difference, (r1 - theta r0) / sqrt(ml1 (1 - ml1) / n1 + theta^2
/// ml0 (1 - ml0) / n0) for a ratio, with the restricted risks of `farrington_manning_risks`.
/// Without a margin it is the pooled z, so exactly `chi_square_z`. An arm without patients, or
/// a null variance of 0, gives no information; an observed effect on the margin gives z = 0
/// (as rpact).
pub fn farrington_manning_z(t: &Table, margin: Option<&Margin>) -> Statistic {
    let Some(m) = margin else {
        return chi_square_z(t, false);
    };
    if t.arm_n == 0 || t.control_n == 0 {
        return Statistic::Uninformative;
    }
    let (n1, n0) = (t.arm_n as f64, t.control_n as f64);
    let (r1, r0) = (t.arm_events as f64 / n1, t.control_events as f64 / n0);
    let ratio = m.scale.is_ratio();
    let theta = m.null;
    let (numerator, scale0) = if ratio {
        (r1 - theta * r0, theta * theta)
    } else {
        (r1 - r0 - theta, 1.0)
    };
    if numerator == 0.0 {
        return Statistic::Z(0.0);
    }
    let (ml1, ml0) = farrington_manning_risks(r1, r0, theta, ratio, n1 / n0);
    let variance = ml1 * (1.0 - ml1) / n1 + scale0 * ml0 * (1.0 - ml0) / n0;
    if variance > 0.0 {
        Statistic::Z(numerator / variance.sqrt())
    } else {
        Statistic::Uninformative
    }
}

/// Fisher's exact test of a 2 x 2 table (conditional on both margins), as R's `fisher.test`.
pub fn fisher_exact(t: &Table, alt: Alternative) -> f64 {
    let n1 = t.arm_n;
    let n0 = t.control_n;
    let m = t.events();
    let x = t.arm_events;
    let lo = m.saturating_sub(n0);
    let hi = m.min(n1);
    if lo == hi {
        return 1.0;
    }
    let h = Hypergeometric {
        n1,
        n0,
        m,
        lo,
        hi,
        mode: ((((n1 + 1) * (m + 1)) as f64 / (n1 + n0 + 2) as f64).floor() as u64).clamp(lo, hi),
    };
    let f_obs = h.at(x);
    let cut = f_obs * FISHER_REL_ERR;
    let (mut total, mut tail) = (0.0, 0.0);
    h.walk(|k, f| {
        total += f;
        let counted = match alt {
            Alternative::TwoSided => f <= cut,
            Alternative::Greater => k >= x,
            Alternative::Less => k <= x,
        };
        if counted {
            tail += f;
        }
    });
    (tail / total).min(1.0)
}

/// Fisher's test decisions by margins: for each (arm size, control size, events) met, the
/// interval of arm events the test accepts, computed once for every outcome of those margins.
///
/// Written here because Fisher's test is the costliest decision: one test walks the whole
/// support, while a run meets a few thousand margins over and over. A region's p-values come
/// from sorted prefix sums in one pass; one within 1e-9 (relative) of alpha is recomputed by
/// `fisher_exact` itself, so every decision is `fisher_exact(..) <= alpha`'s (a test checks every
/// outcome of many margins).
#[derive(Debug, Clone, Default)]
pub struct FisherRegions {
    accepted: std::collections::HashMap<(u64, u64, u64), Region, BuildMul>,
    /// Pmf by outcome, outcomes by increasing pmf, p-values (reused buffers).
    pmf: Vec<f64>,
    by_pmf: Vec<u64>,
    p: Vec<f64>,
}

/// The accepted outcomes of one set of margins: `lo..=hi`, or `Irregular` when the decisions
/// are not an interval (not expected: then each table is tested directly).
#[derive(Debug, Clone, Copy)]
enum Region {
    Interval(u64, u64),
    Irregular,
}

impl FisherRegions {
    /// Whether Fisher's test of `t` rejects at `level` (as `fisher_exact(t, alt) <= alpha`).
    pub fn rejects(&mut self, t: &Table, level: &Level) -> bool {
        let key = (t.arm_n, t.control_n, t.events());
        let region = match self.accepted.get(&key) {
            Some(&r) => r,
            None => {
                let r = self.region(t, level);
                self.accepted.insert(key, r);
                r
            }
        };
        let crosses = match region {
            Region::Interval(lo, hi) => t.arm_events < lo || t.arm_events > hi,
            Region::Irregular => fisher_exact(t, level.alt) <= level.alpha,
        };
        crosses && level.counts(t.difference().unwrap_or(0.0))
    }

    fn region(&mut self, t: &Table, level: &Level) -> Region {
        let (n1, n0, m) = (t.arm_n, t.control_n, t.events());
        let lo = m.saturating_sub(n0);
        let hi = m.min(n1);
        let table = |x: u64| Table::new(x, n1, m - x, n0);
        if lo == hi {
            // One outcome: p = 1.
            return if 1.0 <= level.alpha {
                Region::Interval(1, 0)
            } else {
                Region::Interval(lo, hi)
            };
        }
        let h = Hypergeometric {
            n1,
            n0,
            m,
            lo,
            hi,
            mode: ((((n1 + 1) * (m + 1)) as f64 / (n1 + n0 + 2) as f64).floor() as u64)
                .clamp(lo, hi),
        };
        self.pmf.clear();
        self.pmf.resize((hi - lo + 1) as usize, 0.0);
        let mut total = 0.0;
        h.walk(|k, f| {
            self.pmf[(k - lo) as usize] = f;
            total += f;
        });
        self.fill_p_values(level.alt, total);
        let (f, p) = (&self.pmf, &self.p);
        let accepts = |i: usize| {
            let fast = p[i].min(1.0);
            if (fast - level.alpha).abs() > 1e-9 * level.alpha {
                fast > level.alpha
            } else {
                fisher_exact(&table(lo + i as u64), level.alt) > level.alpha
            }
        };
        let (mut first, mut last, mut count) = (None, 0, 0);
        for i in (0..f.len()).filter(|&i| accepts(i)) {
            first.get_or_insert(i);
            last = i;
            count += 1;
        }
        match first {
            None => Region::Interval(1, 0),
            Some(a) if last - a + 1 == count => Region::Interval(lo + a as u64, lo + last as u64),
            Some(_) => Region::Irregular,
        }
    }

    /// Fast p-values of every outcome, into `self.p` from `self.pmf` (of mass `total`):
    /// two-sided, the mass of outcomes no more likely (to 1e-7) than x, from prefix sums over
    /// the outcomes sorted by pmf; one-sided, the tail sums.
    fn fill_p_values(&mut self, alt: Alternative, total: f64) {
        let f = &self.pmf;
        let p = &mut self.p;
        p.clear();
        p.resize(f.len(), 0.0);
        match alt {
            Alternative::TwoSided => {
                // Unimodal: merging the two sides from the ends sorts by pmf.
                self.by_pmf.clear();
                let (mut a, mut b) = (0usize, f.len() - 1);
                while a <= b {
                    if f[a] <= f[b] {
                        self.by_pmf.push(a as u64);
                        a += 1;
                    } else {
                        self.by_pmf.push(b as u64);
                        if b == 0 {
                            break;
                        }
                        b -= 1;
                    }
                }
                let (mut sum, mut j) = (0.0, 0);
                for &i in &self.by_pmf {
                    let cut = f[i as usize] * FISHER_REL_ERR;
                    while j < self.by_pmf.len() && f[self.by_pmf[j] as usize] <= cut {
                        sum += f[self.by_pmf[j] as usize];
                        j += 1;
                    }
                    p[i as usize] = sum / total;
                }
            }
            Alternative::Greater => {
                let mut sum = 0.0;
                for i in (0..f.len()).rev() {
                    sum += f[i];
                    p[i] = sum / total;
                }
            }
            Alternative::Less => {
                let mut sum = 0.0;
                for i in 0..f.len() {
                    sum += f[i];
                    p[i] = sum / total;
                }
            }
        }
    }
}

/// A multiplicative hash for the margins (the default SipHash costs more than a decision).
#[derive(Debug, Clone, Copy, Default)]
pub struct BuildMul;

impl std::hash::BuildHasher for BuildMul {
    type Hasher = MulHasher;
    fn build_hasher(&self) -> MulHasher {
        MulHasher(0)
    }
}

#[derive(Debug, Clone, Copy)]
pub struct MulHasher(u64);

impl std::hash::Hasher for MulHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(26) ^ i).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 29)
    }
}

/// The hypergeometric pmf of the arm's events given both margins, unnormalised and anchored at 1
/// at the mode so that nothing overflows (far tails underflow harmlessly to 0). It is walked by
/// the ratio recursion f(k+1)/f(k) = (n1-k)(m-k) / ((k+1)(n0-m+k+1)).
struct Hypergeometric {
    n1: u64,
    n0: u64,
    m: u64,
    lo: u64,
    hi: u64,
    mode: u64,
}

impl Hypergeometric {
    fn ratio(&self, k: u64) -> f64 {
        ((self.n1 - k) as f64 * (self.m - k) as f64)
            / ((k + 1) as f64 * (self.n0 + k + 1 - self.m) as f64)
    }

    /// The unnormalised pmf at `x`.
    fn at(&self, x: u64) -> f64 {
        let mut f = 1.0;
        for k in self.mode..x {
            f *= self.ratio(k);
        }
        for k in x..self.mode {
            f /= self.ratio(k);
        }
        f
    }

    /// Calls `visit(k, f(k))` once for every k of the support, outwards from the mode.
    fn walk(&self, mut visit: impl FnMut(u64, f64)) {
        visit(self.mode, 1.0);
        let mut f = 1.0;
        for k in self.mode..self.hi {
            f *= self.ratio(k);
            visit(k + 1, f);
        }
        f = 1.0;
        for k in (self.lo..self.mode).rev() {
            f /= self.ratio(k);
            visit(k, f);
        }
    }
}

/// Cochran-Mantel-Haenszel test over strata, as R's `mantelhaen.test` for 2 x 2 x K tables.
/// Strata with fewer than two patients carry no information and are skipped (R refuses them).
pub fn cmh(strata: &[Table], correct: bool, alt: Alternative) -> f64 {
    cmh_z(strata, correct).p_value(alt)
}

/// The CMH statistic as a signed normal deviate.
pub fn cmh_z(strata: &[Table], correct: bool) -> Statistic {
    let (mut delta, mut var) = (0.0, 0.0);
    for t in strata {
        let n = t.total() as f64;
        if t.total() < 2 {
            continue;
        }
        let (n1, n0, m1) = (t.arm_n as f64, t.control_n as f64, t.events() as f64);
        delta += t.arm_events as f64 - n1 * m1 / n;
        var += n1 * n0 * m1 * (n - m1) / (n * n * (n - 1.0));
    }
    if var <= 0.0 {
        return Statistic::Uninformative;
    }
    let yates = if correct && delta.abs() >= 0.5 {
        0.5
    } else {
        0.0
    };
    let stat = (delta.abs() - yates) / var.sqrt();
    Statistic::Z(delta.signum() * stat)
}

/// Treatment-by-label interaction: the Wald test of the arm x label interaction terms of the
/// saturated logistic model `events ~ arm * label` (what R's `glm(..., binomial)` gives), which
/// equals Woolf's test of homogeneity of the stratum log odds ratios: with L_k the log odds ratio
/// and w_k the inverse of its variance 1/a + 1/b + 1/c + 1/d, W = sum w (L - L_w)^2 on K - 1 df.
/// Strata with an empty cell have an infinite log odds ratio (glm's estimate diverges) and are
/// left out; with fewer than two strata left the p-value is 1.
pub fn interaction_wald(strata: &[Table]) -> f64 {
    interaction_statistic(strata).map_or(1.0, |(x, df)| chi_square_upper(x, df))
}

/// Whether the interaction test rejects at `level` (as `interaction_wald(strata) <= alpha`).
#[inline]
pub fn interaction_rejects(strata: &[Table], level: &Level) -> bool {
    interaction_statistic(strata).map_or(1.0 <= level.alpha, |(x, df)| level.rejects_chi2(x, df))
}

/// Woolf's heterogeneity statistic and its degrees of freedom (`None`: fewer than two strata
/// with every cell non-empty).
fn interaction_statistic(strata: &[Table]) -> Option<(f64, u32)> {
    heterogeneity(strata.iter().filter_map(|t| {
        let a = t.arm_events as f64;
        let b = (t.arm_n - t.arm_events) as f64;
        let c = t.control_events as f64;
        let d = (t.control_n - t.control_events) as f64;
        if a == 0.0 || b == 0.0 || c == 0.0 || d == 0.0 {
            return None;
        }
        Some((
            (a * d / (b * c)).ln(),
            1.0 / (1.0 / a + 1.0 / b + 1.0 / c + 1.0 / d),
        ))
    }))
}

/// The Wald test of equal effects across strata from each stratum's (estimate, inverse
/// variance): W = sum w (L - L_w)^2 on K - 1 degrees of freedom, L_w the weighted mean
/// (Woolf's statistic for log odds ratios). `None` with fewer than two strata.
pub fn heterogeneity(estimates: impl IntoIterator<Item = (f64, f64)>) -> Option<(f64, u32)> {
    let (mut sw, mut swl, mut swl2, mut k) = (0.0, 0.0, 0.0, 0u32);
    for (l, w) in estimates {
        sw += w;
        swl += w * l;
        swl2 += w * l * l;
        k += 1;
    }
    if k < 2 {
        return None;
    }
    Some(((swl2 - swl * swl / sw).max(0.0), k - 1))
}

/// P(chi-square with `df` degrees of freedom > x); closed forms for 1 and 2 df.
pub fn chi_square_upper(x: f64, df: u32) -> f64 {
    match df {
        1 => erfc((x / 2.0).sqrt()),
        2 => (-x / 2.0).exp(),
        _ => {
            use statrs::distribution::{ChiSquared, ContinuousCDF};
            ChiSquared::new(f64::from(df)).expect("df > 0").sf(x)
        }
    }
}

/// The statistic of `test` against the design's non-inferiority `margin` (only the
/// Farrington-Manning test takes one: validation refuses a margin with another binary test).
#[inline]
pub fn statistic_against(
    test: TestKind,
    margin: Option<&Margin>,
    pooled: &Table,
    strata: &[Table],
    alt: Alternative,
) -> Statistic {
    match test {
        TestKind::FarringtonManning => farrington_manning_z(pooled, margin),
        _ => statistic(test, pooled, strata, alt),
    }
}

/// p-value of `test` for the pooled table `pooled` (and, for CMH, its `strata`).
pub fn p_value(test: TestKind, pooled: &Table, strata: &[Table], alt: Alternative) -> f64 {
    statistic(test, pooled, strata, alt).p_value(alt)
}

/// The statistic of `test` for the pooled table `pooled` (and, for CMH, its `strata`).
#[inline]
pub fn statistic(test: TestKind, pooled: &Table, strata: &[Table], alt: Alternative) -> Statistic {
    match test {
        TestKind::ChiSquare => chi_square_z(pooled, false),
        TestKind::ChiSquareYates => chi_square_z(pooled, true),
        TestKind::FisherExact => Statistic::P {
            p: fisher_exact(pooled, alt),
            sign: pooled.difference().unwrap_or(0.0).signum(),
        },
        TestKind::Cmh => cmh_z(strata, false),
        TestKind::FarringtonManning => farrington_manning_z(pooled, None),
        TestKind::Logrank
        | TestKind::LogrankStratified
        | TestKind::TTest
        | TestKind::Welch
        | TestKind::AncovaLabels
        | TestKind::ProportionalOdds
        | TestKind::Wilcoxon => {
            unreachable!("validated: only a binary endpoint's tests analyse tables")
        }
    }
}

#[cfg(test)]
mod tests;
