//! Biomarkers and classification rules: the exact classification matrix P(label | true endotype).
//!
//! Model (documented for users): given the true endotype, biomarkers are independent, each
//! lognormal (median, geometric SD) or normal (mean, SD). An optional assay CV adds independent
//! multiplicative measurement error exp(e), e ~ N(0, ln(1 + cv^2)) (median-unbiased). Rules are
//! tried in order and the first whose every condition holds gives the label; no match gives the
//! default label. `above = x` means measured value > x, `below = y` means < y, so a value on a
//! threshold meets neither (only a point mass, gsd 1 without assay error, puts patients there).
//!
//! Exactness: the thresholds of a biomarker cut its line into pieces (the thresholds themselves
//! and the open intervals between them); the rules' boxes are unions of products of pieces, so
//! the probability of each label is a finite sum of products of piece probabilities
//! (independence), each a difference of CDFs. A lognormal with lognormal error is lognormal
//! (closed form); a normal with multiplicative error is integrated over the error numerically
//! (Simpson, 4,000 panels over +-10 SD: error far below 1e-10).
//! Nothing here runs per trial: the matrix is computed once and used as `classified_as` is.

use statrs::function::erf::erfc;

/// Standard normal CDF.
fn phi(z: f64) -> f64 {
    0.5 * erfc(-z * std::f64::consts::FRAC_1_SQRT_2)
}

/// A biomarker's distribution within one true endotype.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Marginal {
    /// ln X ~ N(mu, sigma^2): median e^mu, geometric SD e^sigma.
    LogNormal {
        mu: f64,
        sigma: f64,
    },
    Normal {
        mean: f64,
        sd: f64,
    },
}

impl Marginal {
    /// CDF of the measured value at `x`, with multiplicative assay error of log-SD `err`.
    pub fn measured_cdf(&self, x: f64, err: f64) -> f64 {
        if x == f64::INFINITY {
            return 1.0;
        }
        if x == f64::NEG_INFINITY {
            return 0.0;
        }
        if let Some(at) = self.atom(err) {
            // ln x is NaN or -inf for x <= 0: never at or above the atom.
            return if x.ln() >= at { 1.0 } else { 0.0 };
        }
        match *self {
            Marginal::LogNormal { mu, sigma } => {
                if x <= 0.0 {
                    return 0.0;
                }
                phi((x.ln() - mu) / (sigma * sigma + err * err).sqrt())
            }
            Marginal::Normal { mean, sd } => {
                let cdf = |t: f64| phi((t - mean) / sd);
                if err == 0.0 {
                    return cdf(x);
                }
                // P(X e^{err Z} <= x) = E_Z[ P(X <= x e^{-err Z}) ], Simpson's rule over Z.
                const PANELS: usize = 4000;
                let (a, b) = (-10.0, 10.0);
                let h = (b - a) / PANELS as f64;
                let f = |z: f64| (-0.5 * z * z).exp() * cdf(x * (-err * z).exp());
                let mut sum = f(a) + f(b);
                for i in 1..PANELS {
                    let z = a + i as f64 * h;
                    sum += if i % 2 == 1 { 4.0 } else { 2.0 } * f(z);
                }
                sum * h / 3.0 / (2.0 * std::f64::consts::PI).sqrt()
            }
        }
    }

    /// P(measured < x). The same as `measured_cdf` except at an atom.
    pub fn measured_cdf_below(&self, x: f64, err: f64) -> f64 {
        match self.atom(err) {
            // ln x is NaN or -inf for x <= 0 and inf for x = inf: 0, 0 and 1, as they must be.
            Some(at) => {
                if x.ln() > at {
                    1.0
                } else {
                    0.0
                }
            }
            None => self.measured_cdf(x, err),
        }
    }

    /// The log of the one value a lognormal of gsd 1 without assay error takes (all its mass at
    /// the median); `None` for every other distribution, which has no atom.
    fn atom(&self, err: f64) -> Option<f64> {
        match *self {
            Marginal::LogNormal { mu, sigma } if sigma == 0.0 && err == 0.0 => Some(mu),
            _ => None,
        }
    }

    /// Draws one measured value (for patient-level cross-checks).
    pub fn sample<R: rand::Rng + ?Sized>(&self, rng: &mut R, err: f64) -> f64 {
        use rand_distr::{Distribution, StandardNormal};
        let z: f64 = StandardNormal.sample(rng);
        let e: f64 = StandardNormal.sample(rng);
        let true_value = match *self {
            Marginal::LogNormal { mu, sigma } => (mu + sigma * z).exp(),
            Marginal::Normal { mean, sd } => mean + sd * z,
        };
        true_value * (err * e).exp()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Biomarker {
    pub name: String,
    pub unit: Option<String>,
    /// One per true endotype.
    pub by_endotype: Vec<Marginal>,
    /// Log-SD of the multiplicative assay error: sqrt(ln(1 + cv^2)).
    pub assay_log_sd: f64,
    pub assay_cv: f64,
}

/// A rule: every (biomarker, above, below) must hold; `label` is a label index.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub label: usize,
    /// (biomarker index, lower bound (exclusive, -inf if none), upper bound (+inf if none)).
    pub when: Vec<(usize, f64, f64)>,
}

impl Rule {
    pub fn matches(&self, values: &[f64]) -> bool {
        self.when
            .iter()
            .all(|&(b, lo, hi)| values[b] > lo && values[b] < hi)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Classifier {
    pub biomarkers: Vec<Biomarker>,
    pub rules: Vec<Rule>,
    pub default: usize,
}

impl Classifier {
    /// The label of a patient with measured biomarker `values`.
    pub fn classify(&self, values: &[f64]) -> usize {
        self.rules
            .iter()
            .find(|r| r.matches(values))
            .map_or(self.default, |r| r.label)
    }

    /// P(label | true endotype), indexed `[endotype][label]`, exactly.
    pub fn matrix(&self, endotypes: usize, labels: usize) -> Vec<Vec<f64>> {
        // Each biomarker's line in pieces: its rules' thresholds and the open intervals between.
        let pieces: Vec<Vec<Piece>> = (0..self.biomarkers.len())
            .map(|b| {
                let mut cuts: Vec<f64> = self
                    .rules
                    .iter()
                    .flat_map(|r| r.when.iter().filter(|w| w.0 == b).flat_map(|w| [w.1, w.2]))
                    .filter(|v| v.is_finite())
                    .collect();
                cuts.sort_by(f64::total_cmp);
                cuts.dedup();
                let mut pieces = Vec::with_capacity(2 * cuts.len() + 1);
                let mut lo = f64::NEG_INFINITY;
                for &cut in &cuts {
                    pieces.extend([Piece::Between(lo, cut), Piece::At(cut)]);
                    lo = cut;
                }
                pieces.push(Piece::Between(lo, f64::INFINITY));
                pieces
            })
            .collect();
        // P(piece | endotype), `[biomarker][endotype][piece]`: once each, as a normal marker with
        // assay error costs an integral.
        let prob: Vec<Vec<Vec<f64>>> = self
            .biomarkers
            .iter()
            .zip(&pieces)
            .map(|(m, pieces)| {
                m.by_endotype[..endotypes]
                    .iter()
                    .map(|dist| {
                        pieces
                            .iter()
                            .map(|piece| piece.probability(dist, m.assay_log_sd))
                            .collect()
                    })
                    .collect()
            })
            .collect();
        let mut out = vec![vec![0.0; labels]; endotypes];
        // Odometer over cells, a cell being one piece of each biomarker's line. Biomarkers are
        // independent given the endotype, so a cell's probability is the product of its pieces'.
        let mut cell = vec![0usize; pieces.len()];
        loop {
            // A rule holds on the whole cell iff each of its bounds contains the piece.
            let label = self
                .rules
                .iter()
                .find(|r| {
                    r.when
                        .iter()
                        .all(|&(b, lo, hi)| pieces[b][cell[b]].within(lo, hi))
                })
                .map_or(self.default, |r| r.label);
            for (e, row) in out.iter_mut().enumerate() {
                row[label] += prob
                    .iter()
                    .zip(&cell)
                    .map(|(p, &k)| p[e][k])
                    .product::<f64>();
            }
            // Next cell.
            let mut b = 0;
            loop {
                if b == pieces.len() {
                    return out;
                }
                cell[b] += 1;
                if cell[b] < pieces[b].len() {
                    break;
                }
                cell[b] = 0;
                b += 1;
            }
        }
    }
}

/// A piece of a biomarker's line: an open interval between thresholds, or a threshold itself,
/// where only a point mass (gsd 1, no assay error) puts patients. Rules' bounds are strict, so a
/// patient on a threshold meets neither side of it.
#[derive(Debug, Clone, Copy)]
enum Piece {
    Between(f64, f64),
    At(f64),
}

impl Piece {
    /// Whether every value in the piece meets `lo < value < hi`.
    fn within(self, lo: f64, hi: f64) -> bool {
        match self {
            Piece::Between(a, b) => lo <= a && b <= hi,
            Piece::At(x) => lo < x && x < hi,
        }
    }

    /// P(measured value in the piece).
    fn probability(self, dist: &Marginal, err: f64) -> f64 {
        let p = match self {
            Piece::Between(a, b) => dist.measured_cdf_below(b, err) - dist.measured_cdf(a, err),
            Piece::At(x) => dist.measured_cdf(x, err) - dist.measured_cdf_below(x, err),
        };
        // A difference of CDFs can round to just below 0.
        p.max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lognormal_cdf_is_the_normal_cdf_of_the_log() {
        let m = Marginal::LogNormal {
            mu: 9000f64.ln(),
            sigma: 2f64.ln(),
        };
        // P(X <= median) = 0.5; P(X <= 4420) = pnorm(log(4420 / 9000) / log(2)).
        assert!((m.measured_cdf(9000.0, 0.0) - 0.5).abs() < 1e-15);
        let z = (4420f64 / 9000.0).ln() / 2f64.ln();
        assert!((m.measured_cdf(4420.0, 0.0) - phi(z)).abs() < 1e-15);
        assert_eq!(m.measured_cdf(-1.0, 0.0), 0.0);
    }

    /// `gsd = 1` without assay error is a point mass at the median: P(X <= x) steps from 0 to 1
    /// there.
    #[test]
    fn a_lognormal_of_gsd_one_is_a_point_mass_at_its_median() {
        let m = Marginal::LogNormal {
            mu: 9000f64.ln(),
            sigma: 0.0,
        };
        assert_eq!(m.measured_cdf(4420.0, 0.0), 0.0);
        assert_eq!(m.measured_cdf(9000.0, 0.0), 1.0);
        assert_eq!(m.measured_cdf(20000.0, 0.0), 1.0);
        // P(X < x) steps after the median; at infinities and x <= 0 it is the CDF's value.
        for (x, below) in [(4420.0, 0.0), (9000.0, 0.0), (20000.0, 1.0)] {
            assert_eq!(m.measured_cdf_below(x, 0.0), below, "x = {x}");
        }
        for (x, below) in [
            (f64::NEG_INFINITY, 0.0),
            (-1.0, 0.0),
            (0.0, 0.0),
            (f64::INFINITY, 1.0),
        ] {
            assert_eq!(m.measured_cdf_below(x, 0.0), below, "x = {x}");
            assert_eq!(m.measured_cdf(x, 0.0), below, "x = {x}");
        }
        // Assay error spreads it: lognormal of log-SD err, without an atom.
        let err = 0.2;
        for x in [4420.0, 9000.0, 20000.0] {
            let cdf = phi((x / 9000f64).ln() / err);
            assert!((m.measured_cdf(x, err) - cdf).abs() < 1e-15);
            assert!((m.measured_cdf_below(x, err) - cdf).abs() < 1e-15);
        }
    }

    /// `above = x` means measured > x and `below = y` means < y: a value on a threshold meets
    /// neither. Only a point mass (gsd 1, no assay error) puts patients there, and the matrix must
    /// then agree with the rules applied to the patient.
    #[test]
    fn a_point_mass_on_a_threshold_meets_neither_side() {
        let at = |median: f64| Marginal::LogNormal {
            mu: median.ln(),
            sigma: 0.0,
        };
        let spread = Marginal::LogNormal {
            mu: 4420f64.ln(),
            sigma: 2f64.ln(),
        };
        let c = Classifier {
            biomarkers: vec![Biomarker {
                name: "ferritin".into(),
                unit: None,
                by_endotype: vec![
                    at(4420.0),
                    at(3000.0),
                    at(5000.0),
                    at(5500.0),
                    at(6000.0),
                    spread,
                ],
                assay_log_sd: 0.0,
                assay_cv: 0.0,
            }],
            rules: vec![
                Rule {
                    label: 0,
                    when: vec![(0, 4420.0, 5000.0)],
                },
                Rule {
                    label: 1,
                    when: vec![(0, f64::NEG_INFINITY, 4420.0)],
                },
                Rule {
                    label: 1,
                    when: vec![(0, 5500.0, f64::INFINITY)],
                },
            ],
            default: 2,
        };
        // The rules applied to one patient.
        for (value, label) in [
            (4420.0, 2),
            (3000.0, 1),
            (4700.0, 0),
            (5000.0, 2),
            (5200.0, 2),
            (5500.0, 2),
            (6000.0, 1),
        ] {
            assert_eq!(c.classify(&[value]), label, "value {value}");
        }
        // The matrix: each point mass wholly in one label. A lognormal of median 4420 and
        // log-SD s splits as (P(4420 < X < 5000), P(X < 4420) + P(X > 5500), the rest).
        let split = |s: f64| {
            let (f5000, f5500) = (
                phi((5000f64 / 4420.0).ln() / s),
                phi((5500f64 / 4420.0).ln() / s),
            );
            [f5000 - 0.5, 0.5 + 1.0 - f5500, f5500 - f5000]
        };
        let expected = [
            [0.0, 0.0, 1.0],
            [0.0, 1.0, 0.0],
            [0.0, 0.0, 1.0],
            [0.0, 0.0, 1.0],
            [0.0, 1.0, 0.0],
            split(2f64.ln()),
        ];
        let m = c.matrix(6, 3);
        for (e, (row, want)) in m.iter().zip(expected).enumerate() {
            for (l, (p, q)) in row.iter().zip(want).enumerate() {
                assert!((p - q).abs() < 1e-15, "endotype {e} label {l}: {p} vs {q}");
            }
        }
        // With assay error the point mass at 4420 spreads into a lognormal: no atom is left.
        let err = (1.0f64 + 0.2 * 0.2).ln().sqrt();
        let mut noisy = c.clone();
        noisy.biomarkers[0].assay_log_sd = err;
        for (p, q) in noisy.matrix(1, 3)[0].iter().zip(split(err)) {
            assert!((p - q).abs() < 1e-14, "{p} vs {q}");
        }
    }

    #[test]
    fn normal_with_multiplicative_error_integrates_to_a_cdf() {
        let m = Marginal::Normal {
            mean: 10.0,
            sd: 2.0,
        };
        // Without error: the normal CDF. With error: a tiny error changes little, and the
        // result is a CDF (monotone, from 0 to 1).
        assert!((m.measured_cdf(10.0, 0.0) - 0.5).abs() < 1e-15);
        let small = m.measured_cdf(11.0, 1e-6);
        assert!((small - m.measured_cdf(11.0, 0.0)).abs() < 1e-6);
        let mut last = 0.0;
        for x in [0.0, 5.0, 8.0, 10.0, 12.0, 20.0, 40.0] {
            let c = m.measured_cdf(x, 0.3);
            assert!(c >= last && (0.0..=1.0).contains(&c));
            last = c;
        }
        assert!(last > 0.999);
    }
}
