//! The upper tail of the larger of two correlated standard normals, P(max(X, Y) > z) with
//! corr(X, Y) = rho: the Spiessens-Debois adjusted p-value of an intersection of a population
//! and a subpopulation whose z statistics correlate as sqrt(n_S / n_F) (rpact's
//! `intersectionTest = "SpiessensDebois"`, which calls mvtnorm). Written here: one smooth
//! one-dimensional integral, to about 1e-12, with no dependency.
//!
//! P(max > z) = P(X > z) + P(Y > z) - P(X > z, Y > z) = 2 Q(z) - integral over x > z of
//! phi(x) Q((z - rho x) / s), s = sqrt(1 - rho^2), Q the upper normal tail. Both terms are
//! tails, so a tiny p-value keeps its relative precision (1 - P(max <= z) would not).

use std::f64::consts::PI;

use crate::stats::analysis::normal_upper;
use crate::stats::quadrature::integrate_split;

/// P(max(X, Y) > z) for standard normals X, Y with correlation `rho` in [0, 1].
pub fn max_of_two_upper(z: f64, rho: f64) -> f64 {
    let tail = normal_upper(z);
    let s = (1.0 - rho * rho).max(0.0).sqrt();
    if s == 0.0 {
        return tail;
    }
    let density = |x: f64| (-0.5 * x * x).exp() / (2.0 * PI).sqrt();
    let integrand = |x: f64| density(x) * normal_upper((z - rho * x) / s);
    // phi(x) below -40, and 12 beyond the lower end, is below 1e-30 of the integral's scale.
    let lo = z.max(-40.0);
    let hi = lo + 12.0;
    // Q((z - rho x) / s) falls from 1 to 0 around x = z / rho over a width of about s: panels
    // of width s there, 0.5 elsewhere.
    let centre = if rho > 0.0 { z / rho } else { f64::INFINITY };
    let (a, b) = ((centre - 8.0 * s).max(lo), (centre + 8.0 * s).min(hi));
    let joint = if a < b {
        integrate_split(lo, a, 0.5, &[], integrand)
            + integrate_split(a, b, s, &[], integrand)
            + integrate_split(b, hi, 0.5, &[], integrand)
    } else {
        integrate_split(lo, hi, 0.5, &[], integrand)
    };
    (2.0 * tail - joint).clamp(tail, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against R 4.2.2's mvtnorm (Miwa, 4097 steps): 2 Q(z) - pmvnorm(lower = c(z, z)), to
    /// 1e-9 relative (Miwa's own error is about 1e-12; statrs' erfc of a negative argument,
    /// behind Q(z) for z < 0, is off by about 1e-12 too). At z = 5.5 Miwa's absolute error is
    /// 1e-6 to 5e-4 of the tail, so the values there are Simpson's rule in Python (math.erfc,
    /// 400,000 steps over [z, z + 12]) of the same integral: 3.788989879386093e-08 where
    /// mvtnorm gives 3.788995841477738e-08 (rho 0.6).
    #[test]
    fn matches_mvtnorm() {
        for (rho, z, r) in [
            (0.6, -1.0, 0.9274741283101133),
            (0.6, 0.3, 0.5226819805868919),
            (0.6, 2.1, 0.0317229950234512),
            (0.6, 5.5, 3.788989879386093e-08),
            (0.95, -1.0, 0.8718699791679022),
            (0.95, 0.3, 0.4303874930164665),
            (0.95, 2.1, 0.02333406129621),
            (0.95, 5.5, 3.106750500246006e-08),
            (0.3, -1.0, 0.9545421514843715),
            (0.3, 0.3, 0.573358318901397),
            (0.3, 2.1, 0.03433696466098834),
            (0.3, 5.5, 3.797845885169809e-08),
            // Nearly one population (s = 0.045): the fall of Q is steep around x = z / rho.
            (0.999, 0.3, 0.3888935259158885),
            (0.999, 2.1, 0.01864891949955999),
        ] {
            let ours = max_of_two_upper(z, rho);
            assert!(
                ((ours - r) / r).abs() < 1e-9,
                "rho {rho}, z {z}: {ours} vs {r}"
            );
        }
    }

    /// Independent: 1 - (1 - Q)^2 (Sidak's); identical: Q.
    #[test]
    fn the_extremes_of_the_correlation() {
        for z in [-2.0, 0.0, 1.5, 4.0] {
            let q = normal_upper(z);
            let independent = max_of_two_upper(z, 0.0);
            assert!((independent - (2.0 * q - q * q)).abs() < 1e-11, "{z}");
            assert_eq!(max_of_two_upper(z, 1.0), q);
        }
    }
}
