//! Posterior probabilities of independent Beta posteriors, the quantities a Bayesian adaptive
//! design decides on (adaptr 1.4.0's `prob_best`, `prob_better`, equivalence, futility and
//! `prob_all_equi`), computed exactly by quadrature (`Exact`) or from posterior draws as adaptr
//! does (`Draws`).
//!
//! Everything is computed in "higher is better" orientation: a design where lower is better
//! passes each posterior reflected (`Beta(a, b)` of p is `Beta(b, a)` of 1 - p), under which
//! P(best), P(better), equivalence (|difference| < d) and futility keep their definitions.
//!
//! Exact mode. Each probability is a one-dimensional integral of Beta densities and CDFs, e.g.
//! P(arm i is best) = integral of f_i(x) prod_{j != i} F_j(x) dx. It is integrated by composite
//! 10-point Gauss-Legendre over where the integrand is not negligible (each posterior's mass
//! beyond its `tails` is below 1e-15), on panels no wider than half the smallest posterior
//! standard deviation involved, so a panel sees a smooth, nearly polynomial piece: the error is
//! far below 1e-12 (checked against closed forms and 30-digit quadrature in the tests). Written
//! here because no crate integrates products of Beta CDFs and the posterior's law must be exact.
//!
//! Priors are Beta(alpha, beta) with alpha, beta >= 1 (validation), so every density is bounded
//! and smooth on [0, 1].

use rand::Rng;
use rand_distr::{Beta, Distribution};
use statrs::function::beta::{beta_reg, ln_beta};

use crate::stats::quadrature::{integrate, integrate_split};

/// Mass of a posterior left outside its `tails` (each side).
const TAIL: f64 = 1e-15;

/// sqrt(2 ln(1 / TAIL)) rounded up: how many sub-Gaussian proxy SDs hold all but `TAIL`.
const SUB_GAUSSIAN_REACH: f64 = 8.32;

/// Panels are this many of the smallest posterior standard deviation wide (the tests agree
/// with 30-digit quadrature to 2e-13 at 0.5, 1 and 2; 10-point Gauss-Legendre integrates a
/// normal density over 2 SDs to 4e-16, over 3 to 2e-12).
const PANEL_SDS: f64 = 2.0;

/// A Beta(a, b) posterior of a probability.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BetaPosterior {
    pub a: f64,
    pub b: f64,
    ln_beta: f64,
}

impl BetaPosterior {
    pub fn new(a: f64, b: f64) -> BetaPosterior {
        BetaPosterior {
            a,
            b,
            ln_beta: ln_beta(a, b),
        }
    }

    /// The posterior of 1 - p (the orientation of a design where lower is better).
    pub fn reflected(&self) -> BetaPosterior {
        BetaPosterior {
            a: self.b,
            b: self.a,
            ln_beta: self.ln_beta,
        }
    }

    pub fn mean(&self) -> f64 {
        self.a / (self.a + self.b)
    }

    pub fn sd(&self) -> f64 {
        let s = self.a + self.b;
        (self.a * self.b / (s * s * (s + 1.0))).sqrt()
    }

    pub fn pdf(&self, x: f64) -> f64 {
        if !(0.0..=1.0).contains(&x) {
            return 0.0;
        }
        let ln = (self.a - 1.0) * ln_or_zero(x, self.a)
            + (self.b - 1.0) * ln_or_zero(1.0 - x, self.b)
            - self.ln_beta;
        ln.exp()
    }

    pub fn cdf(&self, x: f64) -> f64 {
        if x <= 0.0 {
            0.0
        } else if x >= 1.0 {
            1.0
        } else {
            beta_reg(self.a, self.b, x)
        }
    }

    /// The posterior median (adaptr's estimate with `robust = TRUE`, its binary default):
    /// Newton's method on the CDF from Kerman's (2011) approximation (a - 1/3) / (a + b - 2/3),
    /// safeguarded by a bracket, to 1e-14.
    pub fn median(&self) -> f64 {
        let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
        let mut x =
            ((self.a - 1.0 / 3.0) / (self.a + self.b - 2.0 / 3.0)).clamp(1e-12, 1.0 - 1e-12);
        for _ in 0..100 {
            let g = self.cdf(x) - 0.5;
            if g < 0.0 {
                lo = x;
            } else {
                hi = x;
            }
            let density = self.pdf(x);
            let mut next = x - g / density;
            if !(next > lo && next < hi && next.is_finite()) {
                next = 0.5 * (lo + hi);
            }
            if (next - x).abs() < 1e-14 || hi - lo < 1e-14 {
                return next;
            }
            x = next;
        }
        x
    }

    /// (lo, hi): the posterior has mass below `TAIL` under lo and above hi. A Beta(a, b) is
    /// sub-Gaussian with variance proxy 1 / (4 (a + b + 1)) (Marchal and Arbel 2017), so
    /// mean -+ 8.32 proxy SDs bound it (exp(-8.32^2 / 2) < 1e-15); bisection narrows that to a
    /// quarter of a standard deviation (the quadrature only needs to cover the mass, and a
    /// bound a little wide costs a panel). The bisection needs no CDF: with alpha, beta >= 1 the
    /// density is log-concave, so below the mode, where ln f rises with slope s > 0, the mass
    /// under x is at most f(x) / s(x) (the density lies under its tangent's exponential), and
    /// above it the mass over x at most f(x) / -s(x): logarithms only, no continued fraction.
    pub fn tails(&self) -> (f64, f64) {
        let step = self.sd() / 4.0;
        let proxy = 0.5 / (self.a + self.b + 1.0).sqrt();
        let reach = SUB_GAUSSIAN_REACH * proxy;
        let ln_tail = TAIL.ln();
        let search = |mut inside: f64, mut outside: f64, negligible: &dyn Fn(f64) -> bool| {
            if !negligible(outside) {
                return outside;
            }
            while (inside - outside).abs() > step {
                let mid = 0.5 * (inside + outside);
                if negligible(mid) {
                    outside = mid;
                } else {
                    inside = mid;
                }
            }
            outside
        };
        // ln f(x) and the slope of ln f at x, inside (0, 1).
        let log_density =
            |x: f64| (self.a - 1.0) * x.ln() + (self.b - 1.0) * (1.0 - x).ln() - self.ln_beta;
        let slope = |x: f64| (self.a - 1.0) / x - (self.b - 1.0) / (1.0 - x);
        let below =
            |x: f64| x <= 0.0 || (slope(x) > 0.0 && log_density(x) - slope(x).ln() < ln_tail);
        let above =
            |x: f64| x >= 1.0 || (slope(x) < 0.0 && log_density(x) - (-slope(x)).ln() < ln_tail);
        let m = self.mean();
        let lo = search(m, (m - reach).max(0.0), &below);
        let hi = search(m, (m + reach).min(1.0), &above);
        (lo, hi)
    }
}

/// ln(x), or 0 where the exponent multiplying it is 0 (a = 1 at x = 0: the density's factor
/// x^0 is 1).
fn ln_or_zero(x: f64, exponent_plus_one: f64) -> f64 {
    if exponent_plus_one == 1.0 {
        0.0
    } else {
        x.ln()
    }
}

/// Most terms the closed form of P(Y > X) is summed over (beyond: quadrature).
const MAX_TERMS: f64 = 100_000.0;

/// P(Y > X) for Beta(a_y, b_y) and Beta(a_x, b_x) with whole-number parameters, as the sum of
/// a_y terms (Evan Miller's formula; the sum over i < a_y of
/// B(a_x + i, b_x + b_y) / ((b_y + i) B(1 + i, b_y) B(a_x, b_x))), each the one before times
/// (a_x + i)(b_y + i) / ((a_x + b_x + b_y + i)(1 + i)). Of the four equivalent forms (the
/// complement, and the reflected posteriors) the one with the fewest terms is summed. `None`:
/// a parameter is not whole, or every form is too long.
pub fn closed_form_better(y: &BetaPosterior, x: &BetaPosterior) -> Option<f64> {
    let whole = |v: f64| v.fract() == 0.0;
    if !(whole(y.a) && whole(y.b) && whole(x.a) && whole(x.b)) {
        return None;
    }
    // (terms, Y, X, complement?) for P(Y > X) = 1 - P(X > Y) = P(1-X > 1-Y) = 1 - P(1-Y > 1-X).
    let forms = [
        (y.a, *y, *x, false),
        (x.a, *x, *y, true),
        (x.b, x.reflected(), y.reflected(), false),
        (y.b, y.reflected(), x.reflected(), true),
    ];
    let &(terms, yy, xx, complement) = forms
        .iter()
        .min_by(|p, q| p.0.total_cmp(&q.0))
        .expect("four forms");
    if terms > MAX_TERMS {
        return None;
    }
    let (ax, bx, by) = (xx.a, xx.b, yy.b);
    let ln_first = ln_beta(ax, bx + by) - ln_beta(ax, bx);
    let mut sum = 0.0;
    let mut ln_term = ln_first;
    for i in 0..terms as u64 {
        let i = i as f64;
        sum += ln_term.exp();
        ln_term += ((ax + i) * (by + i) / ((ax + bx + by + i) * (1.0 + i))).ln();
    }
    let p = sum.clamp(0.0, 1.0);
    Some(if complement { 1.0 - p } else { p })
}

/// A posterior with its `tails`, as the quadratures need it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounded {
    pub post: BetaPosterior,
    pub lo: f64,
    pub hi: f64,
    pub sd: f64,
}

impl Bounded {
    pub fn new(post: BetaPosterior) -> Bounded {
        let (lo, hi) = post.tails();
        Bounded {
            post,
            lo,
            hi,
            sd: post.sd(),
        }
    }
}

fn narrowest(arms: &[Bounded]) -> f64 {
    PANEL_SDS * arms.iter().map(|b| b.sd).fold(f64::INFINITY, f64::min)
}

/// Probabilities of being best below this are computed on their own (`Exact::prob_best_of`):
/// a complement or a grid sum carries an absolute error near 1e-12, which the square root of
/// softened RAR would turn into allocation errors of 1e-6.
pub const SMALL: f64 = 1e-6;

/// 20-point Gauss-Legendre on [-1, 1]: nodes (positive half, increasing) and weights (mpmath,
/// 40-digit Newton on P_20, rounded to the nearest double).
const GL20_NODES: [f64; 10] = [
    0.076_526_521_133_497_34,
    0.227_785_851_141_645_07,
    0.373_706_088_715_419_55,
    0.510_867_001_950_827_1,
    0.636_053_680_726_515,
    0.746_331_906_460_150_8,
    0.839_116_971_822_218_8,
    0.912_234_428_251_326,
    0.963_971_927_277_913_8,
    0.993_128_599_185_094_9,
];
const GL20_WEIGHTS: [f64; 10] = [
    0.152_753_387_130_725_84,
    0.149_172_986_472_603_74,
    0.142_096_109_318_382_04,
    0.131_688_638_449_176_64,
    0.118_194_531_961_518_41,
    0.101_930_119_817_240_44,
    0.083_276_741_576_704_75,
    0.062_672_048_334_109_07,
    0.040_601_429_800_386_94,
    0.017_614_007_139_152_118,
];

/// Nodes of a grid panel.
const PANEL_NODES: usize = 20;

/// The 20 nodes of [-1, 1] in increasing order, with their weights.
fn panel_rule() -> ([f64; PANEL_NODES], [f64; PANEL_NODES]) {
    let mut t = [0.0; PANEL_NODES];
    let mut w = [0.0; PANEL_NODES];
    for k in 0..10 {
        t[9 - k] = -GL20_NODES[k];
        w[9 - k] = GL20_WEIGHTS[k];
        t[10 + k] = GL20_NODES[k];
        w[10 + k] = GL20_WEIGHTS[k];
    }
    (t, w)
}

/// Legendre polynomials P_0..=P_n at x (the three-term recurrence).
fn legendre(n: usize, x: f64) -> Vec<f64> {
    let mut p = vec![1.0, x];
    for k in 1..n {
        let k = k as f64;
        let next = ((2.0 * k + 1.0) * x * p[k as usize] - k * p[k as usize - 1]) / (k + 1.0);
        p.push(next);
    }
    p.truncate(n + 1);
    p
}

/// The cumulative integration matrix of the panel rule: C[k][m] is the integral from -1 to
/// node k of the Lagrange polynomial of node m, so that sum_m C[k][m] f(t_m) integrates the
/// degree-19 interpolant of f from -1 to t_k (exact for polynomials of degree 19 or less). The
/// interpolant, by Gauss-Legendre's discrete orthogonality, is sum_n (n + 1/2) c_n P_n with
/// c_n = sum_m w_m f(t_m) P_n(t_m); and the integral of P_n from -1 to x is
/// (P_(n+1)(x) - P_(n-1)(x)) / (2n + 1) (x + 1 for n = 0). For a density over a panel two
/// standard deviations wide the result is within 1e-15 of the CDF's increment.
fn cumulative_matrix() -> [[f64; PANEL_NODES]; PANEL_NODES] {
    let (t, w) = panel_rule();
    let n = PANEL_NODES;
    let mut c = [[0.0; PANEL_NODES]; PANEL_NODES];
    let at_nodes: Vec<Vec<f64>> = t.iter().map(|&x| legendre(n, x)).collect();
    for k in 0..n {
        let pk = &at_nodes[k];
        for m in 0..n {
            let pm = &at_nodes[m];
            let mut v = 0.5 * (t[k] + 1.0);
            for j in 1..n {
                v += 0.5 * pm[j] * (pk[j + 1] - pk[j - 1]);
            }
            c[k][m] = w[m] * v;
        }
    }
    c
}

/// Several posteriors' densities and CDFs on one grid of 20-point Gauss-Legendre nodes, for
/// every probability of those arms at once: P(best) of each and P(max - min < d). Within a
/// panel each CDF is its value at the panel's start plus the panel's densities times the
/// cumulative integration matrix (`cumulative_matrix`); a panel adds its Gauss-Legendre sum.
/// The grid starts below every arm's lower tail (where every CDF is below 1e-15) and so costs
/// no continued fraction, and the logarithms of x and 1 - x at a node serve every arm: one
/// exponential per arm and node. (Against the 10-point panels with 4-point sub-integrals of
/// before, about a fifth of the transcendental functions, as accurate: tests.)
///
/// Panels are at most `PANEL_SDS` smallest SDs wide and divide `shift` (the equivalence
/// difference) exactly, so x + shift is a node `shift_nodes` further; beyond the grid every CDF
/// is 1 (the grid spans every arm's tails, and ends at 1 when the tails reach it).
#[derive(Debug, Clone, Default)]
pub struct Grid {
    arms: usize,
    nodes: usize,
    weights: Vec<f64>,
    /// `[arm * nodes + node]`.
    pdf: Vec<f64>,
    cdf: Vec<f64>,
    shift_nodes: usize,
    xs: Vec<f64>,
    ln_x: Vec<f64>,
    ln_1mx: Vec<f64>,
    /// With a shift: each arm's mass between each node and the node `shift` above it,
    /// `[arm * nodes + node]` (above the grid every CDF is 1).
    within: Vec<f64>,
    rule: Option<Box<PanelRule>>,
}

/// The panel rule's nodes, weights and cumulative matrix (transposed: `ct[m][k]` is
/// `C[k][m]`), computed once per grid.
#[derive(Debug, Clone)]
struct PanelRule {
    t: [f64; PANEL_NODES],
    w: [f64; PANEL_NODES],
    ct: [[f64; PANEL_NODES]; PANEL_NODES],
}

impl Grid {
    /// The grid of `arms` for differences of `shift` (0: P(best) only). `false`: the grid
    /// would need more than [0, 1] (wide posteriors of few patients); use `Exact` then.
    pub fn build(&mut self, arms: &[Bounded], shift: f64) -> bool {
        let rule = self.rule.get_or_insert_with(|| {
            let (t, w) = panel_rule();
            let c = cumulative_matrix();
            let mut ct = [[0.0; PANEL_NODES]; PANEL_NODES];
            for (k, row) in c.iter().enumerate() {
                for (m, &v) in row.iter().enumerate() {
                    ct[m][k] = v;
                }
            }
            Box::new(PanelRule { t, w, ct })
        });
        let mut lo = arms.iter().map(|b| b.lo).fold(f64::INFINITY, f64::min);
        let hi = arms.iter().map(|b| b.hi).fold(f64::NEG_INFINITY, f64::max);
        let widest = narrowest(arms);
        let (mut h, mut per_shift) = if shift > 0.0 {
            let m = (shift / widest).ceil().max(1.0);
            (shift / m, m as usize)
        } else {
            (widest, 0)
        };
        let mut panels = ((hi - lo) / h).ceil().max(1.0) as usize;
        // A last panel past p = 1 (where a density stops short, a kink no panel rule sees):
        // the grid then ends at 1, starting lower; where that would start below 0 (wide
        // posteriors of few patients), panels no wider tile [0, 1] exactly (with a shift that
        // divides 1; else `Exact`).
        if lo + panels as f64 * h > 1.0 {
            lo = 1.0 - panels as f64 * h;
            if lo < 0.0 {
                let per_unit = (1.0 / h).ceil();
                if shift > 0.0 {
                    let shifts = (1.0 / shift).round();
                    if (shifts * shift - 1.0).abs() > 1e-12 {
                        return false;
                    }
                    per_shift = (per_unit / shifts).ceil() as usize;
                    h = shift / per_shift as f64;
                    panels = (shifts as usize) * per_shift;
                } else {
                    panels = per_unit as usize;
                    h = 1.0 / per_unit;
                }
                lo = 0.0;
            }
        }
        // A panel at 0 or 1 sees the densities' factors x^(a - 1) and (1 - x)^(b - 1) there,
        // polynomials when a and b are whole numbers (every posterior of a whole-number
        // prior); a fractional power has an unbounded derivative at the end, which the panel
        // rule integrates to only 1e-6: then `Exact`, whose panels resolve it.
        let whole = |v: f64| v.fract() == 0.0;
        if lo + panels as f64 * h >= 1.0 - 1e-12 && !arms.iter().all(|b| whole(b.post.b)) {
            return false;
        }
        if lo <= 0.0 && !arms.iter().all(|b| whole(b.post.a)) {
            return false;
        }
        self.arms = arms.len();
        self.nodes = panels * PANEL_NODES;
        self.shift_nodes = per_shift * PANEL_NODES;
        self.weights.clear();
        self.xs.clear();
        self.ln_x.clear();
        self.ln_1mx.clear();
        let half = 0.5 * h;
        for p in 0..panels {
            let mid = lo + (p as f64 + 0.5) * h;
            for k in 0..PANEL_NODES {
                let x = mid + half * rule.t[k];
                self.xs.push(x);
                self.weights.push(half * rule.w[k]);
                self.ln_x.push(x.ln());
                self.ln_1mx.push((1.0 - x).ln());
            }
        }
        self.pdf.clear();
        self.cdf.clear();
        for b in arms {
            let (a1, b1, ln_beta) = (b.post.a - 1.0, b.post.b - 1.0, b.post.ln_beta);
            let start = self.pdf.len();
            // x^0 is 1 at x = 0 too (the grid may start there).
            self.pdf.extend((0..self.nodes).map(|i| {
                let lx = if a1 == 0.0 { 0.0 } else { a1 * self.ln_x[i] };
                let l1 = if b1 == 0.0 { 0.0 } else { b1 * self.ln_1mx[i] };
                (lx + l1 - ln_beta).exp()
            }));
            let f = &self.pdf[start..];
            let mut at_start = 0.0;
            for p in 0..panels {
                let panel = &f[p * PANEL_NODES..(p + 1) * PANEL_NODES];
                // Column by column: twenty independent sums (a row's sum is one chain of
                // dependent additions, which the processor cannot overlap).
                let mut inc = [0.0; PANEL_NODES];
                for (column, &v) in rule.ct.iter().zip(panel) {
                    for (acc, &c) in inc.iter_mut().zip(column) {
                        *acc += c * v;
                    }
                }
                self.cdf
                    .extend(inc.iter().map(|&i| (at_start + half * i).min(1.0)));
                at_start += half * rule.w.iter().zip(panel).map(|(w, v)| w * v).sum::<f64>();
            }
        }
        self.within.clear();
        if per_shift > 0 {
            let n = self.nodes;
            for j in 0..arms.len() {
                let cdf = &self.cdf[j * n..(j + 1) * n];
                self.within.extend(
                    (0..n).map(|t| cdf.get(t + self.shift_nodes).copied().unwrap_or(1.0) - cdf[t]),
                );
            }
        }
        true
    }

    /// P(arm i has the highest p) for each arm of the grid; the last is one minus the others.
    pub fn probs_best(&self, out: &mut Vec<f64>) {
        out.clear();
        if self.arms == 1 {
            out.push(1.0);
            return;
        }
        for i in 0..self.arms - 1 {
            let mut total = 0.0;
            for t in 0..self.nodes {
                let mut v = self.weights[t] * self.pdf[i * self.nodes + t];
                for j in (0..self.arms).filter(|&j| j != i) {
                    v *= self.cdf[j * self.nodes + t];
                }
                total += v;
            }
            out.push(total.clamp(0.0, 1.0));
        }
        let rest: f64 = out.iter().sum();
        out.push((1.0 - rest).clamp(0.0, 1.0));
    }

    /// Arm `i`'s CDF at node `t` moved by `by` shifts (0 below the grid, 1 above it).
    fn cdf_shifted(&self, i: usize, t: usize, by: isize) -> f64 {
        let at = t as isize + by * self.shift_nodes as isize;
        if at < 0 {
            0.0
        } else if at as usize >= self.nodes {
            1.0
        } else {
            self.cdf[i * self.nodes + at as usize]
        }
    }

    /// P(p_i - p_j < shift): arm i improves on arm j by less than the shift (futility
    /// against control j), as the integral of f_j(y) F_i(y + shift).
    pub fn short_of(&self, i: usize, j: usize) -> f64 {
        let n = self.nodes;
        (0..n)
            .map(|t| self.weights[t] * self.pdf[j * n + t] * self.cdf_shifted(i, t, 1))
            .sum::<f64>()
            .clamp(0.0, 1.0)
    }

    /// P(|p_i - p_j| < shift): arms i and j equivalent, as the integral of
    /// f_j(y) (F_i(y + shift) - F_i(y - shift)).
    pub fn close_to(&self, i: usize, j: usize) -> f64 {
        let n = self.nodes;
        (0..n)
            .map(|t| {
                self.weights[t]
                    * self.pdf[j * n + t]
                    * (self.cdf_shifted(i, t, 1) - self.cdf_shifted(i, t, -1))
            })
            .sum::<f64>()
            .clamp(0.0, 1.0)
    }

    /// P(max p - min p < shift) over the grid's arms.
    pub fn all_equivalent(&self) -> f64 {
        let n = self.nodes;
        let mut total = 0.0;
        for i in 0..self.arms {
            for t in 0..n {
                let mut v = self.weights[t] * self.pdf[i * n + t];
                for j in (0..self.arms).filter(|&j| j != i) {
                    v *= self.within[j * n + t];
                }
                total += v;
            }
        }
        total.clamp(0.0, 1.0)
    }
}

/// Exact posterior probabilities of posteriors in "higher is better" orientation.
pub struct Exact;

impl Exact {
    /// P(arm i has the highest p) for each i of `arms` (ties have probability 0); the last is
    /// one minus the others.
    pub fn probs_best(arms: &[Bounded], out: &mut Vec<f64>) {
        out.clear();
        if arms.len() == 1 {
            out.push(1.0);
            return;
        }
        if arms.len() == 2 {
            let second = Exact::prob_better(&arms[1], &arms[0]);
            out.extend([1.0 - second, second]);
            return;
        }
        let last = arms.len() - 1;
        for i in 0..last {
            out.push(Exact::prob_best_of(arms, i));
        }
        let rest: f64 = out.iter().sum();
        let p = 1.0 - rest;
        out.push(if p < SMALL {
            Exact::prob_best_of(arms, last)
        } else {
            p.clamp(0.0, 1.0)
        });
    }

    /// P(arm i of `arms` has the highest p), integrated on its own (small values keep a small
    /// relative error: response-adaptive randomisation takes their root).
    pub fn prob_best_of(arms: &[Bounded], i: usize) -> f64 {
        let width = narrowest(arms);
        // Below every other arm's lower tail the product of their CDFs is negligible.
        let lo = arms.iter().map(|b| b.lo).fold(0.0, f64::max);
        let arm = &arms[i];
        integrate(lo, arm.hi, width, |x| {
            let mut v = arm.post.pdf(x);
            for (j, other) in arms.iter().enumerate() {
                if j != i {
                    v *= other.post.cdf(x);
                }
            }
            v
        })
        .clamp(0.0, 1.0)
    }

    /// P(p_arm > p_control): by the closed-form sum when the parameters are whole numbers,
    /// else by quadrature.
    pub fn prob_better(arm: &Bounded, control: &Bounded) -> f64 {
        closed_form_better(&arm.post, &control.post)
            .unwrap_or_else(|| quadrature_better(arm, control))
    }

    /// P(|p_arm - p_control| < d).
    pub fn prob_equivalent(arm: &Bounded, control: &Bounded, d: f64) -> f64 {
        let width = narrowest(&[*arm, *control]);
        let (lo, hi) = (control.lo.max(arm.lo - d), control.hi.min(arm.hi + d));
        integrate_split(lo, hi, width, &[d, 1.0 - d], |y| {
            control.post.pdf(y) * (arm.post.cdf(y + d) - arm.post.cdf(y - d))
        })
        .clamp(0.0, 1.0)
    }

    /// P(p_arm - p_control < d): the arm improves on control by less than d (futility).
    pub fn prob_futile(arm: &Bounded, control: &Bounded, d: f64) -> f64 {
        let width = narrowest(&[*arm, *control]);
        integrate_split(control.lo, control.hi, width, &[1.0 - d], |y| {
            control.post.pdf(y) * arm.post.cdf(y + d)
        })
        .clamp(0.0, 1.0)
    }

    /// P(max p - min p < d) over `arms`: the sum over i of P(arm i is the lowest and every
    /// other lies within d above it).
    pub fn prob_all_equivalent(arms: &[Bounded], d: f64) -> f64 {
        let width = narrowest(arms);
        let mut total = 0.0;
        for (i, arm) in arms.iter().enumerate() {
            let lo = arms.iter().map(|b| b.lo - d).fold(arm.lo, f64::max);
            let hi = arms.iter().map(|b| b.hi).fold(arm.hi, f64::min);
            total += integrate_split(lo, hi, width, &[1.0 - d], |x| {
                let mut v = arm.post.pdf(x);
                for (j, other) in arms.iter().enumerate() {
                    if j != i {
                        v *= other.post.cdf(x + d) - other.post.cdf(x);
                    }
                }
                v
            });
        }
        total.clamp(0.0, 1.0)
    }
}

/// P(p_arm > p_control) by quadrature.
fn quadrature_better(arm: &Bounded, control: &Bounded) -> f64 {
    let width = narrowest(&[*arm, *control]);
    integrate(arm.lo.max(control.lo), arm.hi, width, |x| {
        arm.post.pdf(x) * control.post.cdf(x)
    })
    .clamp(0.0, 1.0)
}

/// Posterior draws of several arms, as adaptr's `fun_draws` returns them: `n` draws per arm,
/// column by column (arm-major), reused from call to call (nothing allocated per trial once
/// the buffer has grown).
#[derive(Debug, Clone, Default)]
pub struct Draws {
    n: usize,
    values: Vec<f64>,
    arms: usize,
}

impl Draws {
    pub fn new(n: usize) -> Draws {
        Draws {
            n,
            values: Vec::new(),
            arms: 0,
        }
    }

    /// Fresh draws of each posterior (in the design's orientation: reflect first for lower is
    /// better).
    pub fn draw<R: Rng + ?Sized>(&mut self, rng: &mut R, posteriors: &[BetaPosterior]) {
        self.arms = posteriors.len();
        self.values.clear();
        for p in posteriors {
            let beta = Beta::new(p.a, p.b).expect("a, b >= 1");
            self.values.extend((0..self.n).map(|_| beta.sample(rng)));
        }
    }

    /// Arm k's draws (k in the order given to `draw`).
    pub fn column(&self, k: usize) -> &[f64] {
        &self.values[k * self.n..(k + 1) * self.n]
    }

    /// The share of draws in which each arm is the highest, ties to the first arm (R's
    /// `max.col(ties.method = "first")`), for the arms at `columns`.
    pub fn probs_best(&self, columns: &[usize], out: &mut Vec<f64>) {
        out.clear();
        out.resize(columns.len(), 0.0);
        for d in 0..self.n {
            let mut best = 0;
            let mut best_value = f64::NEG_INFINITY;
            for (i, &k) in columns.iter().enumerate() {
                let v = self.values[k * self.n + d];
                if v > best_value {
                    best = i;
                    best_value = v;
                }
            }
            out[best] += 1.0;
        }
        for o in out.iter_mut() {
            *o /= self.n as f64;
        }
    }

    fn share(&self, arm: usize, control: usize, keep: impl Fn(f64, f64) -> bool) -> f64 {
        let hits = self
            .column(arm)
            .iter()
            .zip(self.column(control))
            .filter(|&(&a, &c)| keep(a, c))
            .count();
        hits as f64 / self.n as f64
    }

    /// Share of draws with arm > control.
    pub fn prob_better(&self, arm: usize, control: usize) -> f64 {
        self.share(arm, control, |a, c| a > c)
    }

    pub fn prob_equivalent(&self, arm: usize, control: usize, d: f64) -> f64 {
        self.share(arm, control, |a, c| (a - c).abs() < d)
    }

    /// Share of draws with arm - control < d (adaptr: `(control - arm) * -1 < d` when higher
    /// is best; reflected designs arrive here oriented).
    pub fn prob_futile(&self, arm: usize, control: usize, d: f64) -> f64 {
        self.share(arm, control, |a, c| a - c < d)
    }

    /// Share of draws in which max - min over `columns` is below d.
    pub fn prob_all_equivalent(&self, columns: &[usize], d: f64) -> f64 {
        let hits = (0..self.n)
            .filter(|&i| {
                let (lo, hi) =
                    columns
                        .iter()
                        .fold((f64::INFINITY, f64::NEG_INFINITY), |acc, &k| {
                            let v = self.values[k * self.n + i];
                            (acc.0.min(v), acc.1.max(v))
                        });
                hi - lo < d
            })
            .count();
        hits as f64 / self.n as f64
    }

    /// The median of arm k's draws (R's `median`: the mean of the middle two of an even
    /// number), sorting a copy in `scratch`.
    pub fn median(&self, k: usize, scratch: &mut Vec<f64>) -> f64 {
        scratch.clear();
        scratch.extend_from_slice(self.column(k));
        let n = scratch.len();
        let mid = n / 2;
        let (_, &mut upper, _) = scratch.select_nth_unstable_by(mid, f64::total_cmp);
        if n % 2 == 1 {
            upper
        } else {
            let lower = scratch[..mid]
                .iter()
                .copied()
                .fold(f64::NEG_INFINITY, f64::max);
            0.5 * (lower + upper)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Evan Miller's closed form of P(p_B > p_A) for integer Beta parameters (a sum of
    /// alpha_B terms): shares nothing with the quadrature.
    fn closed_form_b_beats_a(aa: u32, ba: u32, ab: u32, bb: u32) -> f64 {
        let (aa, ba, bb) = (f64::from(aa), f64::from(ba), f64::from(bb));
        (0..ab)
            .map(|i| {
                let i = f64::from(i);
                (ln_beta(aa + i, ba + bb) - (bb + i).ln() - ln_beta(1.0 + i, bb) - ln_beta(aa, ba))
                    .exp()
            })
            .sum()
    }

    #[test]
    fn prob_better_matches_the_closed_form_sum() {
        for &(aa, ba, ab, bb) in &[
            (1, 1, 1, 1),
            (3, 8, 5, 6),
            (13, 88, 21, 80),
            (150, 351, 171, 330),
            (1, 400, 3, 398),
            (900, 101, 880, 121),
        ] {
            let a = Bounded::new(BetaPosterior::new(f64::from(aa), f64::from(ba)));
            let b = Bounded::new(BetaPosterior::new(f64::from(ab), f64::from(bb)));
            let exact = closed_form_b_beats_a(aa, ba, ab, bb);
            let q = Exact::prob_better(&b, &a);
            assert!(
                (q - exact).abs() < 1e-10,
                "{aa} {ba} {ab} {bb}: {q} vs {exact}"
            );
            let mut best = Vec::new();
            Exact::probs_best(&[a, b], &mut best);
            assert!((best[1] - exact).abs() < 1e-10, "{best:?} vs {exact}");
            assert!((best[0] + best[1] - 1.0).abs() < 1e-10);
        }
    }

    /// References: mpmath at 30 digits (`mp.dps = 30`), with the integrals written out:
    /// ```python
    /// from mpmath import mp, betainc, beta, quad, mpf, fprod
    /// mp.dps = 30
    /// def pdf(a, b, x): return x**(a-1) * (1-x)**(b-1) / beta(a, b)
    /// def cdf(a, b, x): return betainc(a, b, 0, min(max(x, 0), 1), regularized=True)
    /// arms = [(13, 88), (21, 80), (17, 84)]
    /// def best(i): return quad(lambda x: pdf(*arms[i], x) * fprod(
    ///     [cdf(*arms[j], x) for j in range(3) if j != i]), [0, 0.1, 0.15, 0.2, 0.25, 0.3, 1])
    /// def equi(d): return sum(quad(lambda x: pdf(*arms[i], x) * fprod(
    ///     [cdf(*arms[j], x + d) - cdf(*arms[j], x) for j in range(3) if j != i]),
    ///     [0, 0.1, 0.15, 0.2, 0.25, 0.3, 1]) for i in range(3))
    /// print([best(i) for i in range(3)], equi(mpf('0.05')))
    /// # futility / equivalence of arm (21, 80) against control (13, 88), d = 0.05:
    /// a, c = (21, 80), (13, 88)
    /// fut = quad(lambda y: pdf(*c, y) * cdf(*a, y + mpf('0.05')), [0, 0.1, 0.15, 0.2, 1])
    /// equ = quad(lambda y: pdf(*c, y) * (cdf(*a, y + mpf('0.05')) - cdf(*a, y - mpf('0.05'))),
    ///            [0, 0.1, 0.15, 0.2, 1])
    /// ```
    #[test]
    fn three_arm_probabilities_match_30_digit_quadrature() {
        let arms = [
            Bounded::new(BetaPosterior::new(13.0, 88.0)),
            Bounded::new(BetaPosterior::new(21.0, 80.0)),
            Bounded::new(BetaPosterior::new(17.0, 84.0)),
        ];
        let mut best = Vec::new();
        Exact::probs_best(&arms, &mut best);
        let reference = [REF_BEST_0, REF_BEST_1, REF_BEST_2];
        for (b, r) in best.iter().zip(reference) {
            assert!((b - r).abs() < 1e-9, "{best:?}");
        }
        let e = Exact::prob_all_equivalent(&arms, 0.05);
        assert!((e - REF_ALL_EQUIVALENT).abs() < 1e-9, "{e}");
        let mut grid = Grid::default();
        assert!(grid.build(&arms, 0.05));
        grid.probs_best(&mut best);
        for (b, r) in best.iter().zip(reference) {
            assert!((b - r).abs() < 1e-9, "grid {best:?}");
        }
        let e = grid.all_equivalent();
        assert!((e - REF_ALL_EQUIVALENT).abs() < 1e-9, "grid {e}");
        let f = Exact::prob_futile(&arms[1], &arms[0], 0.05);
        assert!((f - REF_FUTILE).abs() < 1e-9, "{f}");
        let q = Exact::prob_equivalent(&arms[1], &arms[0], 0.05);
        assert!((q - REF_EQUIVALENT).abs() < 1e-9, "{q}");
    }

    const REF_BEST_0: f64 = 0.038_109_392_893_581_465;
    const REF_BEST_1: f64 = 0.740_726_366_988_864_6;
    const REF_BEST_2: f64 = 0.221_164_240_117_553_95;
    const REF_ALL_EQUIVALENT: f64 = 0.161_677_577_490_189_93;
    const REF_FUTILE: f64 = 0.286_938_491_528_861_53;
    const REF_EQUIVALENT: f64 = 0.280_272_111_442_881_44;

    /// Parameters that are not whole take the quadrature. Reference (mpmath, 30 digits, with
    /// `pdf` and `cdf` as above): `quad(lambda x: pdf(21.5, 80.5, x) * cdf(13.5, 88.5, x),
    /// [0, 0.1, 0.15, 0.2, 0.25, 0.3, 1])`.
    #[test]
    fn prob_better_of_fractional_parameters_matches_30_digit_quadrature() {
        let p = Exact::prob_better(
            &Bounded::new(BetaPosterior::new(21.5, 80.5)),
            &Bounded::new(BetaPosterior::new(13.5, 88.5)),
        );
        assert!((p - 0.934_173_216_127_594_6).abs() < 1e-10, "{p}");
    }

    /// Skewed posteriors near 0 (few events), where a normal bound of the tails would fail.
    /// References: the mpmath code above with `arms = [(2, 300), (5, 290), (1, 310)]`,
    /// breakpoints [0, 0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 1] and d = 0.01.
    #[test]
    fn skewed_posteriors_match_30_digit_quadrature() {
        let arms = [(2.0, 300.0), (5.0, 290.0), (1.0, 310.0)]
            .map(|(a, b)| Bounded::new(BetaPosterior::new(a, b)));
        let mut best = Vec::new();
        Exact::probs_best(&arms, &mut best);
        let reference = [
            0.099_026_420_493_950_22,
            0.879_809_031_766_865_6,
            0.021_164_547_739_184_122,
        ];
        for (b, r) in best.iter().zip(reference) {
            assert!((b - r).abs() < 1e-9, "{best:?}");
        }
        let e = Exact::prob_all_equivalent(&arms, 0.01);
        assert!((e - 0.270_606_977_148_801_16).abs() < 1e-9, "{e}");
        let mut grid = Grid::default();
        assert!(grid.build(&arms, 0.01));
        grid.probs_best(&mut best);
        for (b, r) in best.iter().zip(reference) {
            assert!((b - r).abs() < 1e-9, "grid {best:?}");
        }
        let e = grid.all_equivalent();
        assert!((e - 0.270_606_977_148_801_16).abs() < 1e-9, "grid {e}");
    }

    #[test]
    fn median_matches_the_cdf() {
        for &(a, b) in &[(1.0, 1.0), (2.0, 30.0), (301.0, 700.0)] {
            let p = BetaPosterior::new(a, b);
            let m = p.median();
            assert!((p.cdf(m) - 0.5).abs() < 1e-12, "{a} {b}");
        }
    }

    #[test]
    fn reflection_swaps_orientation() {
        let a = BetaPosterior::new(5.0, 20.0);
        let c = BetaPosterior::new(9.0, 16.0);
        let up = Exact::prob_better(&Bounded::new(a), &Bounded::new(c));
        let down = Exact::prob_better(&Bounded::new(c.reflected()), &Bounded::new(a.reflected()));
        assert!((up - down).abs() < 1e-12);
    }

    /// Draws estimate the exact probabilities within their binomial noise (4 SE).
    #[test]
    fn draws_agree_with_exact_within_noise() {
        use rand::SeedableRng;
        let arms = [
            BetaPosterior::new(13.0, 88.0),
            BetaPosterior::new(21.0, 80.0),
            BetaPosterior::new(17.0, 84.0),
        ];
        let bounded = arms.map(Bounded::new);
        let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(7);
        let n = 200_000;
        let mut draws = Draws::new(n);
        draws.draw(&mut rng, &arms);
        let (mut exact, mut drawn) = (Vec::new(), Vec::new());
        Exact::probs_best(&bounded, &mut exact);
        draws.probs_best(&[0, 1, 2], &mut drawn);
        let close = |e: f64, d: f64| (e - d).abs() < 4.0 * (e * (1.0 - e) / n as f64).sqrt();
        for (e, d) in exact.iter().zip(&drawn) {
            assert!(close(*e, *d), "{exact:?} {drawn:?}");
        }
        assert!(close(
            Exact::prob_futile(&bounded[1], &bounded[0], 0.05),
            draws.prob_futile(1, 0, 0.05)
        ));
        assert!(close(
            Exact::prob_all_equivalent(&bounded, 0.05),
            draws.prob_all_equivalent(&[0, 1, 2], 0.05)
        ));
        let mut scratch = Vec::new();
        let m = draws.median(1, &mut scratch);
        assert!((m - arms[1].median()).abs() < 0.002, "{m}");
    }
}
/// The grid against separate quadratures on panels a twentieth as wide (and the all-arms
/// equivalence, futility and equivalence against a control, against `Exact`'s own
/// quadratures), on 1,600 random posteriors of 1 to 250 patients: within 1e-10.
#[cfg(test)]
mod grid_tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    #[test]
    fn grid_matches_fine_quadrature_on_random_posteriors() {
        let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(3);
        let mut grid = Grid::default();
        let (mut worst, mut built) = (0.0_f64, 0);
        // Then 300 with rates near 1 (a design where lower is better reflects its posteriors
        // there), whose tails reach p = 1 and whose grid ends at 1; then 300 of 1 to 12
        // patients, whose tails span so much that the grid tiles [0, 1].
        for draw in 0..1600 {
            let rates = if draw < 1000 {
                0.05..0.6
            } else if draw < 1300 {
                0.85..0.99
            } else {
                0.0..1.0
            };
            let arms: Vec<Bounded> = (0..3)
                .map(|_| {
                    let n: f64 = if draw < 1300 {
                        rng.random_range(5.0..250.0)
                    } else {
                        rng.random_range(1.0..12.0)
                    };
                    // Near the ends, whole numbers (a fractional power there sends the grid
                    // to `Exact`: the test of that is below).
                    let n = if draw < 1000 { n } else { n.floor() };
                    let e = (n * rng.random_range(rates.clone())).floor();
                    Bounded::new(BetaPosterior::new(1.0 + e, 1.0 + n - e))
                })
                .collect();
            if !grid.build(&arms, 0.05) {
                // Only a fractional power at an end of [0, 1] is refused.
                assert!(draw < 1000, "{draw}");
                continue;
            }
            built += 1;
            let mut out = Vec::new();
            grid.probs_best(&mut out);
            let width = 0.1 * arms.iter().map(|b| b.sd).fold(f64::INFINITY, f64::min);
            let lo = arms.iter().map(|b| b.lo).fold(0.0, f64::max);
            for i in 0..3 {
                let p = integrate(lo, arms[i].hi, width, |x| {
                    let mut v = arms[i].post.pdf(x);
                    for (j, o) in arms.iter().enumerate() {
                        if j != i {
                            v *= o.post.cdf(x);
                        }
                    }
                    v
                });
                worst = worst.max((p - out[i]).abs());
            }
            let e = Exact::prob_all_equivalent(&arms, 0.05);
            worst = worst.max((e - grid.all_equivalent()).abs());
            // Futility and equivalence of arm 1 against arm 0 as control.
            let f = Exact::prob_futile(&arms[1], &arms[0], 0.05);
            worst = worst.max((f - grid.short_of(1, 0)).abs());
            let q = Exact::prob_equivalent(&arms[1], &arms[0], 0.05);
            worst = worst.max((q - grid.close_to(1, 0)).abs());
        }
        assert!(built > 1300, "{built}");
        assert!(worst < 1e-10, "{worst:e}");
    }

    /// The cumulative matrix integrates every polynomial of degree 19 or less exactly: from -1
    /// to each node, x^j integrates to (t^(j+1) - (-1)^(j+1)) / (j + 1).
    #[test]
    fn the_cumulative_matrix_integrates_polynomials_of_degree_19() {
        let (t, _) = panel_rule();
        let c = cumulative_matrix();
        for j in 0..20 {
            for k in 0..PANEL_NODES {
                let got: f64 = (0..PANEL_NODES).map(|m| c[k][m] * t[m].powi(j)).sum();
                let want = (t[k].powi(j + 1) - (-1.0f64).powi(j + 1)) / f64::from(j + 1);
                assert!(
                    (got - want).abs() < 1e-14,
                    "x^{j} to node {k}: {got} vs {want}"
                );
            }
        }
        // And the whole panel is the Gauss-Legendre sum.
        let (_, w) = panel_rule();
        assert!((w.iter().sum::<f64>() - 2.0).abs() < 1e-14);
    }

    /// The tails found from the log-concave bound hold all but 1e-15 of the mass on each side
    /// (checked with the CDF's continued fraction), and are no wider than the sub-Gaussian
    /// reach.
    #[test]
    fn tails_hold_all_but_1e15_of_the_mass() {
        let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(5);
        // Every posterior of up to 40 patients (where the tail bound's slope matters most),
        // then 2,000 of up to 2,000.
        let small = (0..=40).flat_map(|n| (0..=n).map(move |e| (n as f64, e as f64)));
        let large: Vec<(f64, f64)> = (0..2000)
            .map(|_| {
                let n: f64 = rng.random_range(0.0..2000.0_f64).floor();
                (n, (n * rng.random_range(0.0..1.0)).floor())
            })
            .collect();
        for (n, e) in small.chain(large) {
            let post = BetaPosterior::new(1.0 + e, 1.0 + n - e);
            let (lo, hi) = post.tails();
            assert!(post.cdf(lo) < 1e-15, "{post:?}: F({lo}) = {}", post.cdf(lo));
            assert!(1.0 - post.cdf(hi) < 1e-15, "{post:?}: 1 - F({hi})");
            let reach = SUB_GAUSSIAN_REACH * 0.5 / (post.a + post.b + 1.0).sqrt();
            assert!(lo >= post.mean() - reach - 1e-12 && hi <= post.mean() + reach + 1e-12);
            assert!(lo < post.mean() && post.mean() < hi);
            // And not much wider than needed: within 0.4 SD of the exact 1e-15 quantiles
            // (bisection of the CDF here), the bisection's quarter SD and the tail bound's
            // slack (the grid's cost grows with the width).
            let quantile = |target: f64| {
                let (mut a, mut b) = (0.0_f64, 1.0_f64);
                for _ in 0..200 {
                    let m = 0.5 * (a + b);
                    if post.cdf(m) < target { a = m } else { b = m }
                }
                a
            };
            let (q_lo, q_hi) = (quantile(1e-15), quantile(1.0 - 1e-15));
            let slack = 0.4 * post.sd();
            assert!(lo >= q_lo - slack, "{post:?}: lo {lo} < {q_lo} - {slack}");
            if q_hi < 1.0 - 1e-9 {
                assert!(hi <= q_hi + slack, "{post:?}: hi {hi} > {q_hi} + {slack}");
            }
        }
    }

    /// A grid that would end at p = 1 (or start at 0) refuses posteriors with a fractional
    /// power there: `Exact` integrates them (to 1e-14 of mpmath's 20 digits on this case).
    #[test]
    fn a_fractional_power_at_an_end_goes_to_exact() {
        let arms: Vec<Bounded> = [
            (92.0, 2.718210933209747),
            (102.0, 2.6221494983833793),
            (154.0, 21.088058420952024),
        ]
        .iter()
        .map(|&(a, b)| Bounded::new(BetaPosterior::new(a, b)))
        .collect();
        assert!(!Grid::default().build(&arms, 0.05));
        // mpmath: quad(pdf_2 * cdf_0 * cdf_1, [0.6, 0.8, 0.9, 0.95, 0.98, 0.99, 1]), 20 digits.
        let p = Exact::prob_best_of(&arms, 2);
        assert!((p - 1.892_680_136_874_111e-5).abs() < 1e-14, "{p:e}");
        let whole: Vec<Bounded> = [(92.0, 3.0), (102.0, 3.0), (154.0, 21.0)]
            .iter()
            .map(|&(a, b)| Bounded::new(BetaPosterior::new(a, b)))
            .collect();
        assert!(Grid::default().build(&whole, 0.05));
    }
}
