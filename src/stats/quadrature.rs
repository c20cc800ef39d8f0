//! Composite Gauss-Legendre quadrature: the exact posteriors of Bayesian designs and the
//! expected deaths of an event-driven design over calendar time are integrals of smooth pieces.
//! Written here because the integrands are products of CDFs of our own laws, and a fixed rule
//! keeps results bit-identical on every machine.

/// 10-point Gauss-Legendre on [-1, 1]: nodes (positive half) and weights.
const GL_NODES: [f64; 5] = [
    0.148_874_338_981_631_2,
    0.433_395_394_129_247_2,
    0.679_409_568_299_024_4,
    0.865_063_366_688_984_5,
    0.973_906_528_517_171_7,
];
const GL_WEIGHTS: [f64; 5] = [
    0.295_524_224_714_752_9,
    0.269_266_719_309_996_3,
    0.219_086_362_515_982,
    0.149_451_349_150_580_6,
    0.066_671_344_308_688_1,
];

/// Integral of `f` over [lo, hi] by 10-point Gauss-Legendre on panels at most `width` wide.
pub fn integrate(lo: f64, hi: f64, width: f64, f: impl Fn(f64) -> f64) -> f64 {
    if hi <= lo {
        return 0.0;
    }
    // A width of 0 or below the range's precision would ask for endless panels: one panel.
    let panels = ((hi - lo) / width).ceil().clamp(1.0, 1e6);
    let h = (hi - lo) / panels;
    let mut total = 0.0;
    for p in 0..panels as u64 {
        let mid = lo + (p as f64 + 0.5) * h;
        let half = 0.5 * h;
        let mut s = 0.0;
        for (x, w) in GL_NODES.iter().zip(GL_WEIGHTS) {
            s += w * (f(mid - half * x) + f(mid + half * x));
        }
        total += s * half;
    }
    total
}

/// `integrate` over [lo, hi] split at the points of `breaks` inside it: where the integrand has
/// a kink (a Beta CDF shifted by a difference reaching p = 0 or 1; a hazard changing), a panel
/// straddling it would integrate to only about 1e-6.
pub fn integrate_split(
    lo: f64,
    hi: f64,
    width: f64,
    breaks: &[f64],
    f: impl Fn(f64) -> f64,
) -> f64 {
    let mut total = 0.0;
    let mut from = lo;
    let mut inside: Vec<f64> = breaks
        .iter()
        .copied()
        .filter(|&b| b > lo && b < hi)
        .collect();
    inside.sort_by(f64::total_cmp);
    for b in inside {
        total += integrate(from, b, width, &f);
        from = b;
    }
    total + integrate(from, hi, width, &f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauss_legendre_is_exact_for_degree_19() {
        let v = integrate(0.0, 1.0, 1.0, |x| x.powi(19));
        assert!((v - 1.0 / 20.0).abs() < 1e-15, "{v}");
        let w: f64 = 2.0 * GL_WEIGHTS.iter().sum::<f64>();
        assert!((w - 2.0).abs() < 1e-15);
    }

    /// A kink inside [lo, hi] is integrated exactly once split there.
    #[test]
    fn split_integrates_a_kink_exactly() {
        let v = integrate_split(0.0, 2.0, 2.0, &[0.7], |x| (x - 0.7).abs());
        let exact = 0.7 * 0.7 / 2.0 + 1.3 * 1.3 / 2.0;
        assert!((v - exact).abs() < 1e-15, "{v}");
    }
}
