//! Samplers of the counts a trial is made of, each exact for its law and built once per run:
//! binomial by inversion from the mode (with tables), multinomial as a chain of binomials, and
//! the negative binomial of screen failures. Generic: they know nothing of a design; the
//! endpoints (`endpoint/`) and the adaptive enrichment engine draw their trials with them.

use rand::{Rng, RngExt};
use rand_distr::{Binomial, Distribution, Gamma, Poisson};
use statrs::distribution::{Discrete, NegativeBinomial};

/// Binomial(n, p) for one fixed p and any n up to a bound, by inversion from the mode.
///
/// Written here rather than taken from rand_distr because it is the engine's hot spot: rand_distr
/// builds its sampler per call (a `powf` for small n p, BTPE's set-up and rejection loop
/// otherwise), while a trial needs a handful of draws with the same few probabilities and
/// varying n. The pmf at the mode is tabulated once per n; a draw is one uniform and a search
/// outwards from the mode by the ratio recursion, alternating sides, which is an exact inversion
/// (about sqrt(n p q) steps). Beyond the table (n > `MAX_TABULATED`), rand_distr is used.
///
/// For n up to `MAX_SEARCH_TABLE`, the search itself is tabulated: the support in the order the
/// search visits it (mode, mode + 1, mode - 1, ...) with the cumulative pmf in that order, to
/// where the mass left is below 1e-15. A draw then compares its uniform with the cumulative sums
/// (loads and compares, no divisions), and one in more than 10^15 that falls beyond the table
/// takes the search. Both are the same inversion of the same uniform: they can differ only for a
/// uniform within an ulp or two of a cumulative sum, where a sum and a run of subtractions round
/// apart (about 1e-15 of draws; the shipped results were unchanged to the byte).
#[derive(Debug, Clone)]
pub struct BinomialSampler {
    p: f64,
    /// p / (1 - p).
    odds: f64,
    /// pmf at the mode floor((n + 1) p), for n = 0..=bound.
    mode_pmf: Vec<f64>,
    /// Search tables, n = 0..=min(bound, MAX_SEARCH_TABLE): entries `start[n]..start[n + 1]`
    /// of `order` (the outcome) and `cumulative` (the pmf summed in search order), and a guide:
    /// of the L entries of n, `guide[start[n] + g]` is where a uniform in [g / L, (g + 1) / L)
    /// starts its scan (every earlier cumulative sum is below g / L), so a draw scans about one
    /// entry.
    start: Vec<u32>,
    order: Vec<u32>,
    cumulative: Vec<f64>,
    guide: Vec<u32>,
}

/// Largest n tabulated (memory: 8 bytes per n and probability).
const MAX_TABULATED: u64 = 1 << 16;
/// Largest n whose search is tabulated (memory: about 12 x 18 sqrt(n p q) bytes per n).
const MAX_SEARCH_TABLE: u64 = 1024;
/// Mass left beyond a search table.
const SEARCH_TAIL: f64 = 1e-15;

/// The memory all the tables of one design's samplers may take together: a design with
/// thousands of strata (or cells times days) shares it, each sampler tabulating fewer n (the
/// rest are drawn by the same search from the mode, or by `rand_distr`'s binomial beyond the
/// mode table: the same law). No shipped scenario comes near it, so their draws are unchanged.
pub const TABLE_BYTES: usize = 256 << 20;

/// A sampler's share of `TABLE_BYTES` when a design builds `samplers` of them.
pub fn table_share(samplers: usize) -> usize {
    TABLE_BYTES / samplers.max(1)
}

impl BinomialSampler {
    pub fn new(p: f64, bound: u64) -> BinomialSampler {
        Self::within(p, bound, usize::MAX)
    }

    /// As `new`, with tables of about `bytes` at most (half for the pmf at the mode, half for
    /// the search tables; one n's search table may go past it, by 16 bytes per outcome).
    pub fn within(p: f64, bound: u64, bytes: usize) -> BinomialSampler {
        let mut sampler = Self::without_search_tables_within(p, bound, bytes / 2);
        let searched = (sampler.mode_pmf.len() as u64).min(MAX_SEARCH_TABLE + 1);
        for n in 0..searched {
            if sampler.search_table_bytes() >= bytes / 2 {
                break;
            }
            sampler.tabulate_search(n);
        }
        sampler
    }

    /// What its tables take, in bytes.
    #[cfg(test)]
    pub(crate) fn table_bytes(&self) -> usize {
        8 * self.mode_pmf.len() + self.search_table_bytes()
    }

    /// What the search tables take: 4 bytes per start, 16 per outcome (order, sum, guide).
    fn search_table_bytes(&self) -> usize {
        4 * self.start.len() + 16 * self.order.len()
    }

    /// How many n its pmf-at-the-mode table holds (memory: 8 bytes each).
    #[cfg(test)]
    pub(crate) fn mode_table_len(&self) -> usize {
        self.mode_pmf.len()
    }

    /// A sampler that searches from the mode on every draw: 8 bytes per n instead of the search
    /// tables' hundreds, for the many per-day probabilities of a time-to-event endpoint.
    pub fn without_search_tables(p: f64, bound: u64) -> BinomialSampler {
        Self::without_search_tables_within(p, bound, usize::MAX)
    }

    /// As `without_search_tables`, with a pmf-at-the-mode table of `bytes` at most.
    pub fn without_search_tables_within(p: f64, bound: u64, bytes: usize) -> BinomialSampler {
        let table = if p > 0.0 && p < 1.0 {
            (bound.min(MAX_TABULATED) + 1).min((bytes / 8) as u64)
        } else {
            0
        };
        let mode_pmf = (0..table)
            .map(|n| {
                let m = Self::mode(p, n);
                statrs::distribution::Binomial::new(p, n)
                    .expect("p in (0, 1)")
                    .pmf(m)
            })
            .collect();
        BinomialSampler {
            p,
            odds: p / (1.0 - p),
            mode_pmf,
            start: vec![0],
            order: Vec::new(),
            cumulative: Vec::new(),
            guide: Vec::new(),
        }
    }

    /// Appends the search table of `n`: the outcomes in the order `search` visits them, with
    /// the pmf summed in that order, computed by the same recursions.
    fn tabulate_search(&mut self, n: u64) {
        let f_mode = self.mode_pmf[n as usize];
        let mut total = 0.0;
        // Until the mass left is below SEARCH_TAIL, or (the pmf's own rounding may keep the sum
        // from getting there) two outcomes in a row, one each side, fall below 1e-20.
        let mut last_f = 1.0;
        for (k, f) in self.search_order(n, f_mode) {
            total += f;
            self.order.push(k as u32);
            self.cumulative.push(total);
            if 1.0 - total <= SEARCH_TAIL || (f <= 1e-20 && last_f <= 1e-20) {
                break;
            }
            last_f = f;
        }
        let first = *self.start.last().expect("starts at 0") as usize;
        let sums = &self.cumulative[first..];
        let len = sums.len() as f64;
        // Conservative by 1e-12, so that rounding in g / L never skips the outcome.
        let mut j = 0;
        for g in 0..sums.len() {
            let floor = g as f64 / len - 1e-12;
            while j + 1 < sums.len() && sums[j] <= floor {
                j += 1;
            }
            self.guide.push(j as u32);
        }
        self.start.push(self.order.len() as u32);
    }

    fn mode(p: f64, n: u64) -> u64 {
        (((n + 1) as f64 * p).floor() as u64).min(n)
    }

    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R, n: u64) -> u64 {
        if n == 0 || self.p <= 0.0 {
            return 0;
        }
        if self.p >= 1.0 {
            return n;
        }
        let Some(&f_mode) = self.mode_pmf.get(n as usize) else {
            return Binomial::new(n, self.p).expect("p in (0, 1)").sample(rng);
        };
        let u: f64 = rng.random();
        self.tabulated(u, n)
            .unwrap_or_else(|| self.search(u, n, f_mode))
    }

    /// The outcome of uniform `u` from the search table of `n`, if n has one and u falls in it.
    #[inline]
    fn tabulated(&self, u: f64, n: u64) -> Option<u64> {
        let range = self.start.get(n as usize..=n as usize + 1)?;
        let (a, b) = (range[0] as usize, range[1] as usize);
        let g = ((u * (b - a) as f64) as usize).min(b - a - 1);
        let from = a + self.guide[a + g] as usize;
        let j = self.cumulative[from..b].iter().position(|&c| u < c)?;
        Some(u64::from(self.order[from + j]))
    }

    /// The search from the mode for uniform `u`: alternately up and down, subtracting each
    /// outcome's pmf from `u` until it falls below one.
    fn search(&self, mut u: f64, n: u64, f_mode: f64) -> u64 {
        for (k, f) in self.search_order(n, f_mode) {
            if u < f {
                return k;
            }
            u -= f;
        }
        // Only rounding (< 1e-12 of probability) is left: give it to the mode.
        Self::mode(self.p, n)
    }

    /// The support of Binomial(n, p) in the order the search visits it, with each outcome's pmf.
    fn search_order(&self, n: u64, f_mode: f64) -> SearchOrder {
        let m = Self::mode(self.p, n);
        SearchOrder {
            n,
            odds: self.odds,
            lo: (m, f_mode),
            hi: (m, f_mode),
            next: Side::Mode,
        }
    }
}

/// The mode, then alternately one outcome up and one down (skipping a side that has reached
/// its end), each with its pmf by the ratio recursion from the mode's.
struct SearchOrder {
    n: u64,
    odds: f64,
    /// The lowest and highest outcomes visited, with their pmf.
    lo: (u64, f64),
    hi: (u64, f64),
    next: Side,
}

#[derive(Clone, Copy)]
enum Side {
    Mode,
    Up,
    Down,
}

impl Iterator for SearchOrder {
    type Item = (u64, f64);

    fn next(&mut self) -> Option<(u64, f64)> {
        let n = self.n;
        for _ in 0..2 {
            match self.next {
                Side::Mode => {
                    self.next = Side::Up;
                    return Some(self.hi);
                }
                Side::Up => {
                    self.next = Side::Down;
                    let (hi, f) = self.hi;
                    if hi < n {
                        self.hi = (hi + 1, f * ((n - hi) as f64 / (hi + 1) as f64 * self.odds));
                        return Some(self.hi);
                    }
                }
                Side::Down => {
                    self.next = Side::Up;
                    let (lo, f) = self.lo;
                    if lo > 0 {
                        self.lo = (lo - 1, f * (lo as f64 / ((n - lo + 1) as f64 * self.odds)));
                        return Some(self.lo);
                    }
                }
            }
        }
        None
    }
}

/// Conditional probabilities that turn a multinomial into a chain of binomials:
/// element i is p_i / (p_i + ... + p_last); the last is 1.
pub fn chain_probabilities(p: &[f64]) -> Vec<f64> {
    let mut rest: f64 = p.iter().sum();
    p.iter()
        .enumerate()
        .map(|(i, &pi)| {
            let c = if i + 1 == p.len() || rest <= 0.0 {
                1.0
            } else {
                (pi / rest).clamp(0.0, 1.0)
            };
            rest -= pi;
            c
        })
        .collect()
}

/// Draws a multinomial(n, p) into `out` from samplers of the chain probabilities of p.
#[inline]
pub fn multinomial<R: Rng + ?Sized>(
    rng: &mut R,
    mut n: u64,
    chain: &[BinomialSampler],
    out: &mut [u64],
) {
    for (o, c) in out.iter_mut().zip(chain) {
        let k = c.sample(rng, n);
        *o = k;
        n -= k;
    }
}

/// Number of screen failures before the N-th eligible patient: negative binomial(N, q).
///
/// When its support (to where the pmf falls below 1e-20 past the mean) fits in
/// `MAX_SCREENING_TABLE` values, the CDF is tabulated once and a draw is one uniform and a binary
/// search (values beyond the table are reached by continuing the pmf, so the draw stays exact).
/// Wider distributions (huge N or a tiny eligible fraction) are drawn as the gamma-Poisson
/// mixture that defines the negative binomial, Poisson(Gamma(N, (1 - q) / q)), with rand_distr's
/// exact samplers: memory stays bounded whatever N and q.
#[derive(Debug, Clone)]
pub struct ScreeningSampler {
    draw: ScreeningDraw,
}

#[derive(Debug, Clone)]
enum ScreeningDraw {
    /// Everyone is eligible.
    None,
    Table {
        dist: NegativeBinomial,
        cdf: Vec<f64>,
    },
    Mixture(Gamma<f64>),
}

/// Largest screening CDF table (8 bytes a value).
const MAX_SCREENING_TABLE: usize = 1 << 20;

impl ScreeningSampler {
    pub fn new(sample_size: u64, eligible_fraction: f64) -> ScreeningSampler {
        if eligible_fraction >= 1.0 {
            return ScreeningSampler {
                draw: ScreeningDraw::None,
            };
        }
        let dist = NegativeBinomial::new(sample_size as f64, eligible_fraction)
            .expect("validated: N > 0 and q in (0, 1)");
        let mean = sample_size as f64 * (1.0 - eligible_fraction) / eligible_fraction;
        let mixture = || ScreeningSampler {
            draw: ScreeningDraw::Mixture(failures_mixture(sample_size, eligible_fraction)),
        };
        // The table would reach past mean + 40 SD: known too wide without building it.
        let sd = (sample_size as f64 * (1.0 - eligible_fraction)).sqrt() / eligible_fraction;
        if mean + 40.0 * sd > MAX_SCREENING_TABLE as f64 {
            return mixture();
        }
        let mut cdf = Vec::new();
        let mut total = 0.0;
        for k in 0u64.. {
            if cdf.len() == MAX_SCREENING_TABLE {
                return mixture();
            }
            let p = dist.pmf(k);
            total += p;
            cdf.push(total);
            if k as f64 > mean && p < 1e-20 {
                break;
            }
        }
        ScreeningSampler {
            draw: ScreeningDraw::Table { dist, cdf },
        }
    }

    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> u64 {
        let (dist, cdf) = match &self.draw {
            ScreeningDraw::None => return 0,
            ScreeningDraw::Mixture(gamma) => return poisson_of_gamma(rng, gamma),
            ScreeningDraw::Table { dist, cdf } => (dist, cdf),
        };
        let u: f64 = rng.random();
        let k = cdf.partition_point(|&c| c <= u);
        if k < cdf.len() {
            return k as u64;
        }
        let mut total = *cdf.last().expect("non-empty table");
        let mut k = cdf.len() as u64;
        loop {
            let p = dist.pmf(k);
            total += p;
            if total > u || p == 0.0 {
                return k;
            }
            k += 1;
        }
    }
}

/// The gamma mixing distribution of negative binomial(n, q) failures: Gamma(n, (1 - q) / q).
fn failures_mixture(n: u64, q: f64) -> Gamma<f64> {
    Gamma::new(n as f64, (1.0 - q) / q).expect("n > 0 and q in (0, 1)")
}

/// A Poisson draw at a rate drawn from `gamma`: the gamma-Poisson mixture.
fn poisson_of_gamma<R: Rng + ?Sized>(rng: &mut R, gamma: &Gamma<f64>) -> u64 {
    let lambda = gamma.sample(rng);
    // Validation keeps the expected count below 1e15; a rate beyond what rand_distr's Poisson
    // accepts (about 1.8e19) has probability below 1e-1000.
    Poisson::new(lambda.clamp(f64::MIN_POSITIVE, 1e19))
        .expect("positive finite rate")
        .sample(rng) as u64
}

/// Negative binomial(n, q) failures before the n-th success, as the gamma-Poisson mixture (for
/// the sizes that have no tabulated sampler: a sequential trial whose arms left early).
pub fn negative_binomial<R: Rng + ?Sized>(rng: &mut R, n: u64, q: f64) -> u64 {
    if q >= 1.0 || n == 0 {
        return 0;
    }
    poisson_of_gamma(rng, &failures_mixture(n, q))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::ChaCha8Rng;

    /// Asserts that a seeded histogram of `draws` fits `pmf`: Pearson's chi-square with cells
    /// pooled to expected counts >= 20, below the 99.9% quantile of its reference distribution
    /// (Wilson-Hilferty approximation).
    fn assert_fits(hist: &[u64], pmf: impl Fn(u64) -> f64, draws: u64, what: &str) {
        let (mut stat, mut cells, mut obs, mut exp) = (0.0, 0usize, 0.0, 0.0);
        for (k, &h) in hist.iter().enumerate() {
            obs += h as f64;
            exp += pmf(k as u64) * draws as f64;
            if exp >= 20.0 {
                stat += (obs - exp).powi(2) / exp;
                cells += 1;
                (obs, exp) = (0.0, 0.0);
            }
        }
        let df = (cells - 1) as f64;
        let z = 3.090232306167813; // 99.9% normal quantile
        let crit = df * (1.0 - 2.0 / (9.0 * df) + z * (2.0 / (9.0 * df)).sqrt()).powi(3);
        assert!(
            stat < crit,
            "{what}: chi-square {stat} on {df} df exceeds {crit}"
        );
    }

    /// The search table and guide give the search's own outcome for every uniform: at random,
    /// and just below, at and just above every cumulative sum of the table.
    #[test]
    fn search_tables_invert_as_the_search_does() {
        use rand::RngExt;
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        for p in [0.018, 0.174, 0.32, 0.5, 0.93] {
            let sampler = BinomialSampler::new(p, 300);
            for n in [1, 2, 3, 7, 70, 141, 300] {
                let f_mode = sampler.mode_pmf[n as usize];
                let (a, b) = (
                    sampler.start[n as usize] as usize,
                    sampler.start[n as usize + 1] as usize,
                );
                let mut us: Vec<f64> = (0..2000).map(|_| rng.random()).collect();
                for &c in &sampler.cumulative[a..b] {
                    us.extend(
                        [c, c.next_down(), c.next_up()]
                            .into_iter()
                            .filter(|u| *u < 1.0),
                    );
                }
                let sums = &sampler.cumulative[a..b];
                let last = sums[sums.len() - 1];
                for u in us {
                    let searched = sampler.search(u, n, f_mode);
                    // Only a uniform beyond the table's mass (< 1e-15 of them) takes the search.
                    let Some(k) = sampler.tabulated(u, n) else {
                        assert!(u >= last, "p {p} n {n} u {u}: not tabulated");
                        continue;
                    };
                    // A sum and a run of subtractions may round apart, by an ulp or two: only
                    // a uniform that close to a cumulative sum may get the neighbouring outcome.
                    let at_a_boundary = sums.iter().any(|&c| (u - c).abs() <= 8.0 * f64::EPSILON);
                    assert!(
                        k == searched || at_a_boundary,
                        "p {p} n {n} u {u}: {k} vs {searched}"
                    );
                }
                // Inversion: entry j takes the uniforms in [sum j-1, sum j), to the ulp (the
                // first entry whose sum exceeds u, found here by a plain scan).
                for u in sums.iter().flat_map(|&c| [c.next_down(), c]) {
                    let Some(j) = sums.iter().position(|&c| u < c) else {
                        continue;
                    };
                    let k = sampler.tabulated(u, n).map(|k| k as u32);
                    assert_eq!(k, Some(sampler.order[a + j]), "p {p} n {n} u {u}");
                }
                // The search's first boundary is exact too (u equal to the mode's pmf is the
                // next outcome's), and the table holds the support 0..=n only.
                if sums.len() > 1 && sums[1] > sums[0] {
                    let next = u64::from(sampler.order[a + 1]);
                    assert_eq!(sampler.search(sums[0], n, f_mode), next, "p {p} n {n}");
                }
                assert!(sampler.order[a..b].iter().all(|&k| u64::from(k) <= n));
                // The table covers all the mass but rounding, and stops at the first entry
                // that leaves less than SEARCH_TAIL (or where the pmf has died out); its
                // entries are few.
                assert!(1.0 - sums[sums.len() - 1] <= 1e-12, "p {p} n {n}");
                assert!(
                    1.0 - sums[sums.len() - 2] > SEARCH_TAIL,
                    "p {p} n {n}: longer than needed"
                );
                // The search starts at a mode (so that it takes about sqrt(n p q) steps).
                let exact = statrs::distribution::Binomial::new(p, n).unwrap();
                let first = exact.pmf(u64::from(sampler.order[a]));
                assert!(
                    (0..=n).all(|k| exact.pmf(k) <= first),
                    "p {p} n {n}: starts at {}",
                    sampler.order[a]
                );
                // The guide is the documented one: for a uniform in [g / L, (g + 1) / L) it
                // skips every sum below g / L (by a margin of 1e-12) and no other, so a draw
                // scans about one entry. (p 0.5, n 3 has a sum of exactly 2 / 4.)
                let len = sums.len() as f64;
                for (g, &j) in sampler.guide[a..b].iter().enumerate() {
                    let (j, floor) = (j as usize, g as f64 / len - 1e-12);
                    assert!(j == 0 || sums[j - 1] <= floor, "p {p} n {n} g {g}");
                    assert!(j + 1 == sums.len() || sums[j] > floor, "p {p} n {n} g {g}");
                }
                let sd = (n as f64 * p * (1.0 - p)).sqrt();
                assert!(
                    ((b - a) as f64) < 30.0 * sd + 30.0,
                    "p {p} n {n}: {} entries",
                    b - a
                );
            }
        }
    }

    #[test]
    fn chain_probabilities_reproduce_the_multinomial() {
        let c = chain_probabilities(&[0.2, 0.3, 0.5]);
        assert!((c[0] - 0.2).abs() < 1e-15 && (c[1] - 0.375).abs() < 1e-15 && c[2] == 1.0);
        assert_eq!(chain_probabilities(&[1.0, 0.0]), vec![1.0, 1.0]);
        // The last is 1 exactly, though (0.6 + 0.25 + 0.15) - 0.6 - 0.25 rounds above 0.15
        // (else the last label could lose a patient).
        assert_eq!(chain_probabilities(&[0.6, 0.25, 0.15])[2], 1.0);
    }

    /// Goodness of fit of the screening sampler to the negative binomial pmf (seeded).
    #[test]
    fn screening_sampler_fits_the_negative_binomial() {
        let (n, q) = (30u64, 0.41);
        let s = ScreeningSampler::new(n, q);
        // A support this narrow is tabulated (the fast path; the mixture is for wide ones).
        assert!(matches!(s.draw, ScreeningDraw::Table { .. }));
        let dist = NegativeBinomial::new(n as f64, q).unwrap();
        let draws = 200_000u64;
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut hist = vec![0u64; 400];
        for _ in 0..draws {
            hist[s.sample(&mut rng) as usize] += 1;
        }
        assert_fits(&hist, |k| dist.pmf(k), draws, "screening");
    }

    /// Past the end of its table the draw continues the pmf, and stays the same inversion: a
    /// table cut after 5 values gives the full table's draws from the same uniforms.
    #[test]
    fn screening_draws_past_the_table_continue_the_inversion() {
        let full = ScreeningSampler::new(30, 0.41);
        let ScreeningDraw::Table { dist, cdf } = &full.draw else {
            panic!("tabulated");
        };
        let cut = ScreeningSampler {
            draw: ScreeningDraw::Table {
                dist: *dist,
                cdf: cdf[..5].to_vec(),
            },
        };
        let (mut a, mut b) = (ChaCha8Rng::seed_from_u64(4), ChaCha8Rng::seed_from_u64(4));
        for _ in 0..20_000 {
            assert_eq!(full.sample(&mut a), cut.sample(&mut b));
        }
    }

    /// The gamma-Poisson path (support too wide for a table) against the negative binomial:
    /// counts in 20 bins of equal probability, cut at the exact CDF (seeded).
    #[test]
    fn wide_screening_distributions_fit_without_a_table() {
        use statrs::distribution::DiscreteCDF;
        for (n, q, seed) in [(3u64, 1e-5, 8), (280, 1e-4, 9)] {
            let s = ScreeningSampler::new(n, q);
            assert!(matches!(s.draw, ScreeningDraw::Mixture(_)), "N {n} q {q}");
            let dist = NegativeBinomial::new(n as f64, q).unwrap();
            // Bin edges: the smallest k with CDF(k) >= i / 20.
            let edges: Vec<u64> = (1..20)
                .map(|i| {
                    let (mut lo, mut hi) = (0u64, 1u64 << 40);
                    while lo < hi {
                        let mid = lo + (hi - lo) / 2;
                        if dist.cdf(mid) >= f64::from(i) / 20.0 {
                            hi = mid
                        } else {
                            lo = mid + 1
                        }
                    }
                    lo
                })
                .collect();
            let draws = 100_000u64;
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let mut hist = vec![0u64; 20];
            for _ in 0..draws {
                let k = s.sample(&mut rng);
                hist[edges.partition_point(|&e| e < k)] += 1;
            }
            let mut prev = 0.0;
            let probs: Vec<f64> = (0..20)
                .map(|i| {
                    let c = if i < 19 { dist.cdf(edges[i]) } else { 1.0 };
                    let p = c - prev;
                    prev = c;
                    p
                })
                .collect();
            assert_fits(
                &hist,
                |k| probs[k as usize],
                draws,
                "gamma-Poisson screening",
            );
        }
    }

    /// Goodness of fit of the binomial sampler: table and fallback paths, small and large n p,
    /// p above and below 1/2 (seeded).
    #[test]
    fn binomial_sampler_fits_the_binomial() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for (p, n, bound) in [
            (0.018, 116, 280),
            (0.17, 24, 280),
            (0.48, 140, 280),
            (0.93, 60, 60),
            (0.3, 200, 10),
        ] {
            let s = BinomialSampler::new(p, bound);
            assert_draws_fit(&s, n, &mut rng, &format!("p {p} n {n}"));
        }
    }

    /// Asserts that 100,000 seeded draws of `s` at `n` fit Binomial(n, p) (`assert_fits`).
    fn assert_draws_fit(s: &BinomialSampler, n: u64, rng: &mut ChaCha8Rng, what: &str) {
        let exact = statrs::distribution::Binomial::new(s.p, n).unwrap();
        let draws = 100_000u64;
        let mut hist = vec![0u64; n as usize + 1];
        for _ in 0..draws {
            hist[s.sample(rng, n) as usize] += 1;
        }
        assert_fits(&hist, |k| exact.pmf(k), draws, what);
    }

    /// A sampler held to a share of the tables' memory tabulates fewer n and keeps its law:
    /// n inside its search tables, beyond them (the search from the mode) and beyond its mode
    /// table (`rand_distr`), against the exact pmf (seeded).
    #[test]
    fn a_sampler_within_a_memory_share_fits_the_binomial() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let p = 0.3;
        let full = BinomialSampler::new(p, 500);
        let held = BinomialSampler::within(p, 500, 4_000);
        // 2,000 bytes: 250 pmf entries at most, and search tables for the first n only.
        assert_eq!(held.mode_table_len(), 250);
        assert!(held.search_table_bytes() < 2_000 + 16 * 50);
        let searched = held.start.len() - 1;
        assert!((5..60).contains(&searched), "{searched}");
        assert!(full.search_table_bytes() > 100 * held.search_table_bytes());
        for n in [searched as u64 - 1, searched as u64 + 20, 400] {
            assert_draws_fit(&held, n, &mut rng, &format!("n {n}"));
        }
        assert_eq!(table_share(4), TABLE_BYTES / 4);
        assert_eq!(table_share(0), TABLE_BYTES);
    }

    /// Risks of 0 and 1 (an arm with no events, a label with no dropout) are drawn without
    /// tables: no memory for a time-to-event design's many per-day probabilities of 0.
    #[test]
    fn certain_outcomes_need_no_tables() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        for (p, k) in [(0.0, 0), (1.0, 40)] {
            let s = BinomialSampler::new(p, 300);
            assert_eq!(s.mode_table_len(), 0, "p {p}");
            assert_eq!(s.start.len() + s.order.len(), 1, "p {p}");
            assert!((0..20).all(|_| s.sample(&mut rng, 40) == k), "p {p}");
        }
    }

    #[test]
    fn everyone_eligible_means_no_screen_failures() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        assert!((0..100).all(|_| ScreeningSampler::new(5, 1.0).sample(&mut rng) == 0));
        // Also for the sizes drawn on the fly (a sequential trial whose arms left early), and
        // no patient to find means no failure.
        assert_eq!(negative_binomial(&mut rng, 5, 1.0), 0);
        assert_eq!(negative_binomial(&mut rng, 0, 0.3), 0);
    }
}
