//! The calendar chunks of a patient-level trial: how many patients each chunk of calendar time
//! randomises (from exact tables of the counts' law, or drawn chunk by chunk), and which chunk
//! a calendar time falls in.

use rand::Rng;
use rand_distr::{Beta, Distribution, Gamma, Poisson};

use crate::model::accrual::AccrualShape;
use crate::model::survival::Arrivals;
use crate::stats::sampling::BinomialSampler;

/// Days between the first and the last of `n` randomisations.
pub(super) fn accrual_span<R: Rng + ?Sized>(rng: &mut R, arrivals: &Arrivals, n: u64) -> f64 {
    if n < 2 {
        return 0.0;
    }
    match arrivals {
        // The range of n uniforms on [0, A] is A Beta(n - 1, 2).
        Arrivals::Uniform { days } => {
            days * Beta::new((n - 1) as f64, 2.0).expect("n >= 2").sample(rng)
        }
        // The largest of n uniforms is a Beta(n, 1); given it, the other n - 1 are uniforms
        // below it, the smallest of them a fraction Beta(1, n - 1) of it. Both go through the
        // quantile of the accrual's shape.
        Arrivals::Piecewise(shape) => {
            let top = Beta::new(n as f64, 1.0).expect("n >= 2").sample(rng);
            let rest = Beta::new(1.0, (n - 1) as f64).expect("n >= 2").sample(rng);
            shape.quantile(top) - shape.quantile(top * rest)
        }
        // n - 1 exponential gaps.
        &Arrivals::Poisson { per_day } => Gamma::new((n - 1) as f64, 1.0 / per_day)
            .expect("n >= 2, rate > 0")
            .sample(rng),
    }
}

/// Patients per calendar chunk wanted: an event-driven trial draws at most one chunk past its
/// analysis, and each chunk costs a count draw and the allocation of its patients.
pub(super) const PATIENTS_PER_CHUNK: u64 = 48;

/// At most this many chunks are tracked (Poisson arrivals: twice the expected span).
pub(super) const MAX_CHUNKS: u64 = 1 << 12;

/// Entries of the chunk count samplers' tables, all chunks together (8 bytes each): a count of
/// patients left beyond its table is drawn by rand_distr's binomial instead.
pub(super) const CHUNK_TABLE_ENTRIES: u64 = 1 << 20;

/// Randomisation times by calendar chunks of equal width: chunk j is [j w, (j + 1) w), and a
/// chunk's patients are independent uniforms within it, given how many there are.
///
/// A piecewise intensity (`shape`) keeps the chunks of uniform accrual on the scale of its
/// distribution function (chunk j holds the fractions [j w, (j + 1) w), w = 1 / chunks): the
/// same draws, and the patients' fractions go through its quantile (which keeps their order)
/// to calendar days; the chunks' calendar starts are the quantiles of their fractions.
#[derive(Debug, Clone)]
pub(super) struct Accrual {
    pub(super) width: f64,
    /// A piecewise intensity: `chunk` gives fractions of accrual, not days.
    pub(super) shape: Option<AccrualShape>,
    /// 1 / width: a first guess at a time's chunk without a division (`chunk_of`).
    pub(super) per_width: f64,
    /// The chunk starts j width, j = 0..=chunks, as `chunk` computes them.
    pub(super) starts: Vec<f64>,
    /// Chunks whose deaths are counted apart (`chunk_of`); any death later counts in one more.
    pub(super) chunks: usize,
    pub(super) counts: ChunkCounts,
}

#[derive(Debug, Clone)]
pub(super) enum ChunkCounts {
    /// All at time 0 (no accrual given: only the follow-up matters): one chunk of every patient.
    None,
    /// N uniforms over the period: chunk j takes a binomial share 1 / (chunks - j) of the
    /// patients left (a multinomial over equal chunks, drawn as a chain).
    Uniform(Vec<BinomialSampler>),
    /// A Poisson process: a Poisson count per chunk, until the N-th patient.
    Poisson(Poisson<f64>),
}

impl Accrual {
    pub(super) fn new(arrivals: Option<&Arrivals>, n: u64) -> Accrual {
        let chunks = n.div_ceil(PATIENTS_PER_CHUNK).clamp(1, MAX_CHUNKS / 2);
        let mut accrual = Accrual::without_starts(arrivals, n, chunks);
        accrual.starts = (0..=accrual.chunks)
            .map(|j| {
                let start = j as f64 * accrual.width;
                accrual.shape.as_ref().map_or(start, |s| s.quantile(start))
            })
            .collect();
        accrual
    }

    fn without_starts(arrivals: Option<&Arrivals>, n: u64, chunks: u64) -> Accrual {
        // Uniform accrual over `days` days (1 for the fractions of a piecewise shape).
        let uniform = |days: f64, shape: Option<AccrualShape>| Accrual {
            width: days / chunks as f64,
            per_width: chunks as f64 / days,
            shape,
            starts: Vec::new(),
            chunks: chunks as usize,
            counts: ChunkCounts::Uniform(
                (0..chunks)
                    .map(|j| {
                        let bound = n.min(CHUNK_TABLE_ENTRIES / chunks);
                        BinomialSampler::without_search_tables(1.0 / (chunks - j) as f64, bound)
                    })
                    .collect(),
            ),
        };
        match arrivals {
            None => Accrual {
                width: 0.0,
                per_width: 0.0,
                shape: None,
                starts: Vec::new(),
                chunks: 0,
                counts: ChunkCounts::None,
            },
            Some(&Arrivals::Uniform { days }) => uniform(days, None),
            Some(Arrivals::Piecewise(shape)) => uniform(1.0, Some(shape.clone())),
            Some(&Arrivals::Poisson { per_day }) => {
                let per_chunk = n.min(PATIENTS_PER_CHUNK) as f64;
                Accrual {
                    width: per_chunk / per_day,
                    per_width: per_day / per_chunk,
                    shape: None,
                    starts: Vec::new(),
                    chunks: (2 * chunks) as usize,
                    counts: ChunkCounts::Poisson(Poisson::new(per_chunk).expect("positive mean")),
                }
            }
        }
    }

    /// Turns chunk `j`'s drawn randomisation `times` (increasing) into calendar days: with a
    /// piecewise intensity they are fractions of accrual, through the shape's quantile, and
    /// held within the chunk's calendar start (so that no death of the chunk falls before it).
    pub(super) fn to_days(&self, j: usize, times: &mut [f64]) {
        if let Some(shape) = &self.shape {
            let start = self.starts[j];
            for t in times {
                *t = shape.quantile(*t).max(start);
            }
        }
    }

    /// Chunk `j`'s start, width and patients, `left` patients not yet randomised (start and
    /// width as fractions of accrual with a piecewise intensity: `to_days`).
    pub(super) fn chunk<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        j: usize,
        left: u64,
    ) -> (f64, f64, u64) {
        let start = j as f64 * self.width;
        match &self.counts {
            ChunkCounts::None => (0.0, 0.0, left),
            ChunkCounts::Uniform(shares) => (start, self.width, shares[j].sample(rng, left)),
            ChunkCounts::Poisson(count) => {
                let c = count.sample(rng) as u64;
                if c <= left {
                    return (start, self.width, c);
                }
                // The N-th patient comes in this chunk: the first `left` of its c uniforms are
                // independent uniforms below the (left + 1)-th, a Beta(left + 1, c - left).
                let end = Beta::new((left + 1) as f64, (c - left) as f64)
                    .expect("positive shapes")
                    .sample(rng);
                (start, self.width * end, left)
            }
        }
    }

    /// The chunk a death at calendar time `t` falls in (`chunks` beyond the last): compared
    /// with the same chunk starts as `chunk` draws from, so that a patient of chunk j never
    /// dies in a chunk before j.
    pub(super) fn chunk_of(&self, t: f64) -> usize {
        if self.chunks == 0 {
            return 0;
        }
        if self.shape.is_some() {
            // Chunks of unequal calendar width: the last start at or before t.
            return (self.starts.partition_point(|&s| s <= t).max(1) - 1).min(self.chunks);
        }
        // A guess within a chunk of the answer (t >= 0) without a division or an unsigned
        // conversion (several instructions on x86-64), then a walk along the exact chunk starts.
        let mut j = ((t * self.per_width) as i64 as usize).min(self.chunks);
        while j < self.chunks && t >= self.starts[j + 1] {
            j += 1;
        }
        while j > 0 && t < self.starts[j] {
            j -= 1;
        }
        j
    }
}
