//! Tests of one arm against control on an ordinal endpoint, from each group's counts per level
//! (levels worst first), as R computes them on the patients:
//! - `proportional_odds`: the maximum-likelihood fit of the cumulative-logit model
//!   logit P(Y <= j) = zeta_j - beta x (x = 1 in the arm), as `MASS::polr(y ~ arm)`; its Wald
//!   statistic beta / SE(beta), the SE from the observed information (polr's `Hess = TRUE`);
//! - `whitehead_information`: Whitehead's (1993) information for the analytic power, as
//!   `Hmisc::popower`.
//!
//! (The Wilcoxon test of the same counts is in `ranks`.)
//!
//! beta > 0 and z > 0 mean the arm's outcomes are higher (better: levels are listed worst first).
//!
//! The fit is written here because it runs once per trial (and per label): Newton-Raphson on
//! the concave log-likelihood (Pratt 1981) with the cutpoints' tridiagonal information solved in
//! O(levels), step halving, nothing allocated per call (`PoScratch`). Levels nobody reached are
//! merged into a neighbour first (the fit of the other parameters is unchanged: the MLE puts the
//! two cutpoints around an empty level together). When the groups do not overlap (the highest
//! level of one is at or below the lowest of the other) the likelihood has no maximum (beta runs
//! to infinity) and the Wald statistic has no value: polr returns a huge beta with a larger SE,
//! a z near 0 (Hauck and Donner 1977); here the test is uninformative (never rejects).

use crate::stats::analysis::Statistic;

/// The fitted log common odds ratio (arm against control) and its standard error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OddsFit {
    pub log_odds_ratio: f64,
    pub se: f64,
}

impl OddsFit {
    pub fn z(&self) -> f64 {
        self.log_odds_ratio / self.se
    }
}

/// What a proportional-odds fit found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OddsOutcome {
    Fit(OddsFit),
    /// The groups do not overlap: the estimate is infinite.
    Separated,
    /// An empty group, or every patient at one level: nothing to estimate.
    Uninformative,
}

impl OddsOutcome {
    pub fn fit(self) -> Option<OddsFit> {
        match self {
            OddsOutcome::Fit(f) => Some(f),
            OddsOutcome::Separated | OddsOutcome::Uninformative => None,
        }
    }

    /// The Wald statistic (uninformative without a finite fit).
    pub fn statistic(self) -> Statistic {
        match self.fit() {
            Some(f) => Statistic::Z(f.z()),
            None => Statistic::Uninformative,
        }
    }
}

/// The information (minus the Hessian of the log-likelihood) and the gradient of the fit: the
/// cutpoints' block is tridiagonal (a cutpoint bounds two levels), coupled with beta.
#[derive(Debug, Clone)]
struct Information {
    diag: Vec<f64>,
    off: Vec<f64>,
    coupling: Vec<f64>,
    beta: f64,
    gradient: Vec<f64>,
    gradient_beta: f64,
}

/// Buffers of the fit, sized for the endpoint's levels (reused across trials).
#[derive(Debug, Clone)]
pub struct PoScratch {
    /// The counts of the levels kept (arm, control).
    arm: Vec<f64>,
    control: Vec<f64>,
    /// The cutpoints, and a trial step's.
    zeta: Vec<f64>,
    trial: Vec<f64>,
    information: Information,
    /// The Newton step of the cutpoints, the information's cutpoint block solved against the
    /// coupling, and the Thomas algorithm's forward factors.
    step: Vec<f64>,
    solved_coupling: Vec<f64>,
    sweep: Vec<f64>,
}

impl PoScratch {
    pub fn new(levels: usize) -> PoScratch {
        let v = |n: usize| vec![0.0; n];
        let m = levels.saturating_sub(1);
        PoScratch {
            arm: v(levels),
            control: v(levels),
            zeta: v(m),
            trial: v(m),
            information: Information {
                diag: v(m),
                off: v(m),
                coupling: v(m),
                beta: 0.0,
                gradient: v(m),
                gradient_beta: 0.0,
            },
            step: v(m),
            solved_coupling: v(m),
            sweep: v(m),
        }
    }

    /// The log-likelihood of both groups' kept counts (`m` cutpoints `zeta`).
    fn log_likelihood(&self, zeta: &[f64], beta: f64) -> f64 {
        let m = zeta.len();
        group_log_likelihood(&self.control[..=m], zeta, 0.0)
            + group_log_likelihood(&self.arm[..=m], zeta, beta)
    }

    /// At the current cutpoints (`m` of them) and `beta`: the Newton step into `self.step` and
    /// the step of beta, and beta's information given the cutpoints (the Schur complement,
    /// 1 / Var(beta)).
    fn newton_step(&mut self, m: usize, beta: f64) -> (f64, f64) {
        let info = &mut self.information;
        for v in [
            &mut info.diag,
            &mut info.off,
            &mut info.coupling,
            &mut info.gradient,
        ] {
            v[..m].fill(0.0);
        }
        (info.beta, info.gradient_beta) = (0.0, 0.0);
        accumulate(info, &self.control[..=m], &self.zeta[..m], 0.0, beta);
        accumulate(info, &self.arm[..=m], &self.zeta[..m], 1.0, beta);
        let info = &self.information;
        solve_tridiagonal(
            &info.diag[..m],
            &info.off[..m],
            &info.gradient[..m],
            &mut self.sweep,
            &mut self.step,
        );
        solve_tridiagonal(
            &info.diag[..m],
            &info.off[..m],
            &info.coupling[..m],
            &mut self.sweep,
            &mut self.solved_coupling,
        );
        let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
        let schur = info.beta - dot(&info.coupling[..m], &self.solved_coupling[..m]);
        let step_beta = (info.gradient_beta - dot(&info.coupling[..m], &self.step[..m])) / schur;
        for (d, z) in self.step[..m].iter_mut().zip(&self.solved_coupling) {
            *d -= z * step_beta;
        }
        (step_beta, schur)
    }
}

fn logistic(u: f64) -> f64 {
    if u >= 0.0 {
        1.0 / (1.0 + (-u).exp())
    } else {
        let e = u.exp();
        e / (1.0 + e)
    }
}

/// The log-likelihood of one group at cutpoints `zeta` with linear predictor `eta` (beta in the
/// arm, 0 under control); -inf when a reached level gets no probability.
fn group_log_likelihood(counts: &[f64], zeta: &[f64], eta: f64) -> f64 {
    let mut lower = 0.0;
    let mut l = 0.0;
    for (j, &n) in counts.iter().enumerate() {
        let upper = zeta.get(j).map_or(1.0, |&z| logistic(z - eta));
        if n > 0.0 {
            let p = upper - lower;
            if p <= 0.0 {
                return f64::NEG_INFINITY;
            }
            l += n * p.ln();
        }
        lower = upper;
    }
    l
}

/// Adds one group's gradient and information to `info` (`x` = 1 in the arm, 0 under control).
fn accumulate(info: &mut Information, counts: &[f64], zeta: &[f64], x: f64, beta: f64) {
    let m = zeta.len();
    // Level j lies between cutpoints j - 1 and j: its probability is F_j - F_{j-1}, with the
    // density d and its slope d2 at both ends (none beyond the outer levels).
    let (mut f_lo, mut d_lo, mut d2_lo) = (0.0, 0.0, 0.0);
    for (j, &n) in counts.iter().enumerate() {
        let (f_hi, d_hi, d2_hi) = if j < m {
            let f = logistic(zeta[j] - x * beta);
            let d = f * (1.0 - f);
            (f, d, d * (1.0 - 2.0 * f))
        } else {
            (1.0, 0.0, 0.0)
        };
        if n > 0.0 {
            let p = f_hi - f_lo;
            // dp/d zeta_j = d_hi, dp/d zeta_{j-1} = -d_lo, dp/d beta = -x (d_hi - d_lo); the
            // information adds n (p' p'^T / p^2 - p'' / p), the gradient n p' / p.
            let (p_hi, p_lo, p_beta) = (d_hi, -d_lo, -x * (d_hi - d_lo));
            let (w, w2) = (n / p, n / (p * p));
            if j < m {
                info.gradient[j] += w * p_hi;
                info.diag[j] += w2 * p_hi * p_hi - w * d2_hi;
                info.coupling[j] += w2 * p_hi * p_beta + w * x * d2_hi;
            }
            if j > 0 {
                info.gradient[j - 1] += w * p_lo;
                info.diag[j - 1] += w2 * p_lo * p_lo + w * d2_lo;
                info.coupling[j - 1] += w2 * p_lo * p_beta - w * x * d2_lo;
                if j < m {
                    info.off[j - 1] += w2 * p_lo * p_hi;
                }
            }
            info.gradient_beta += w * p_beta;
            info.beta += w2 * p_beta * p_beta - w * x * x * (d2_hi - d2_lo);
        }
        (f_lo, d_lo, d2_lo) = (f_hi, d_hi, d2_hi);
    }
}

/// Solves the tridiagonal system (diagonal `diag`, both off-diagonals `off`) y = rhs into
/// `out` (Thomas algorithm; the system is positive definite, so no pivoting is needed).
fn solve_tridiagonal(diag: &[f64], off: &[f64], rhs: &[f64], sweep: &mut [f64], out: &mut [f64]) {
    let m = diag.len();
    let mut denom = diag[0];
    out[0] = rhs[0] / denom;
    for k in 1..m {
        sweep[k - 1] = off[k - 1] / denom;
        denom = diag[k] - off[k - 1] * sweep[k - 1];
        out[k] = (rhs[k] - off[k - 1] * out[k - 1]) / denom;
    }
    for k in (0..m - 1).rev() {
        out[k] -= sweep[k] * out[k + 1];
    }
}

/// Newton's iterations stop when no parameter moves by more than this.
const TOLERANCE: f64 = 1e-8;
/// Steps no larger than this (in log odds) are taken without checking the likelihood.
const TRUSTED_STEP: f64 = 1.0;
const MAX_ITERATIONS: usize = 100;

/// The maximum-likelihood fit of the proportional-odds model to two groups' counts per level
/// (worst first), as `MASS::polr(y ~ arm, Hess = TRUE)`.
pub fn proportional_odds(arm: &[f64], control: &[f64], s: &mut PoScratch) -> OddsOutcome {
    // Keep the levels somebody reached; note where each group starts and ends among them.
    let mut kept = 0;
    let (mut lo_a, mut hi_a, mut lo_c, mut hi_c) = (usize::MAX, 0, usize::MAX, 0);
    let (mut n_a, mut n_c) = (0.0, 0.0);
    for (&a, &c) in arm.iter().zip(control) {
        if a + c <= 0.0 {
            continue;
        }
        if a > 0.0 {
            lo_a = lo_a.min(kept);
            hi_a = kept;
        }
        if c > 0.0 {
            lo_c = lo_c.min(kept);
            hi_c = kept;
        }
        s.arm[kept] = a;
        s.control[kept] = c;
        n_a += a;
        n_c += c;
        kept += 1;
    }
    if n_a <= 0.0 || n_c <= 0.0 || kept < 2 {
        return OddsOutcome::Uninformative;
    }
    if hi_c <= lo_a || hi_a <= lo_c {
        return OddsOutcome::Separated;
    }
    let m = kept - 1;
    // Start from the pooled cumulative logits and no effect.
    let total = n_a + n_c;
    let mut cumulative = 0.0;
    for j in 0..m {
        cumulative += s.arm[j] + s.control[j];
        let q = cumulative / total;
        s.zeta[j] = (q / (1.0 - q)).ln();
    }
    let mut beta = 0.0;
    // The log-likelihood at the current point, once computed (only large steps need it).
    let mut l: Option<f64> = None;
    let fit = |beta: f64, schur: f64| {
        if schur > 0.0 && schur.is_finite() && beta.is_finite() {
            OddsOutcome::Fit(OddsFit {
                log_odds_ratio: beta,
                se: schur.recip().sqrt(),
            })
        } else {
            OddsOutcome::Uninformative
        }
    };
    for _ in 0..MAX_ITERATIONS {
        let (step_beta, schur) = s.newton_step(m, beta);
        if !(schur > 0.0 && schur.is_finite()) {
            return OddsOutcome::Uninformative;
        }
        let largest = s.step[..m]
            .iter()
            .fold(step_beta.abs(), |a, &d| a.max(d.abs()));
        if largest < TOLERANCE {
            // Newton's error after this step is of the order of its square: the step is taken;
            // the SE is the information's here (a relative error of the order of the step).
            return fit(beta + step_beta, schur);
        }
        // Halve the step until the cutpoints stay ordered and the likelihood does not fall;
        // a small ordered step is in Newton's quadratic region and taken as it is.
        let mut t = 1.0;
        loop {
            for j in 0..m {
                s.trial[j] = s.zeta[j] + t * s.step[j];
            }
            let b = beta + t * step_beta;
            let ordered = s.trial[..m].windows(2).all(|w| w[0] < w[1]);
            if ordered && t * largest <= TRUSTED_STEP {
                s.zeta[..m].copy_from_slice(&s.trial[..m]);
                (beta, l) = (b, None);
                break;
            }
            let l0 = *l.get_or_insert_with(|| s.log_likelihood(&s.zeta[..m], beta));
            let lt = if ordered {
                s.log_likelihood(&s.trial[..m], b)
            } else {
                f64::NEG_INFINITY
            };
            if lt >= l0 {
                s.zeta[..m].copy_from_slice(&s.trial[..m]);
                (beta, l) = (b, Some(lt));
                break;
            }
            t *= 0.5;
        }
    }
    OddsOutcome::Uninformative
}

/// The value a proportional-odds fit converges to when `arm` and `control` (level
/// distributions, worst first) are observed in the proportion `arm_share` : 1 - `arm_share`: the
/// fit to the expected counts. It is the common log odds ratio when one holds, and otherwise
/// the model's best approximation (the estimand of the trial's estimate). `None` when the
/// distributions do not overlap.
pub fn limit_log_odds_ratio(arm: &[f64], control: &[f64], arm_share: f64) -> Option<f64> {
    // The likelihood is scale-free in the counts: any total gives the same estimate.
    let scale = |p: &[f64], w: f64| p.iter().map(|q| q * w * 1e4).collect::<Vec<f64>>();
    let mut s = PoScratch::new(arm.len());
    proportional_odds(
        &scale(arm, arm_share),
        &scale(control, 1.0 - arm_share),
        &mut s,
    )
    .fit()
    .map(|f| f.log_odds_ratio)
}

/// Whitehead's (1993) information for the log common odds ratio with `n_arm` and `n_control`
/// patients whose pooled level distribution is `p`: V = n1 n2 n (1 - sum p^3) / (3 (n + 1)^2),
/// as `Hmisc::popower` (whose power is Phi(|log OR| sqrt(V) - z)).
pub fn whitehead_information(p: &[f64], n_arm: f64, n_control: f64) -> f64 {
    let n = n_arm + n_control;
    let ps = 1.0 - p.iter().map(|q| q * q * q).sum::<f64>();
    n_arm * n_control * n / 3.0 / ((n + 1.0) * (n + 1.0)) * ps
}

#[cfg(test)]
mod tests;
