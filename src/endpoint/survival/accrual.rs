//! The calendar chunks of a patient-level trial: how many patients each chunk of calendar time
//! randomises (from exact tables of the counts' law, or drawn chunk by chunk), and which chunk
//! a calendar time falls in.

use rand::Rng;
use rand_distr::{Beta, Distribution, Gamma, Poisson};

use crate::model::survival::Arrivals;
use crate::stats::sampling::BinomialSampler;

/// Days between the first and the last of `n` randomisations.
pub(super) fn accrual_span<R: Rng + ?Sized>(rng: &mut R, arrivals: Arrivals, n: u64) -> f64 {
    if n < 2 {
        return 0.0;
    }
    match arrivals {
        // The range of n uniforms on [0, A] is A Beta(n - 1, 2).
        Arrivals::Uniform { days } => {
            days * Beta::new((n - 1) as f64, 2.0).expect("n >= 2").sample(rng)
        }
        // n - 1 exponential gaps.
        Arrivals::Poisson { per_day } => Gamma::new((n - 1) as f64, 1.0 / per_day)
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
#[derive(Debug, Clone)]
pub(super) struct Accrual {
    pub(super) width: f64,
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
    pub(super) fn new(arrivals: Option<Arrivals>, n: u64) -> Accrual {
        let chunks = n.div_ceil(PATIENTS_PER_CHUNK).clamp(1, MAX_CHUNKS / 2);
        let mut accrual = Accrual::without_starts(arrivals, n, chunks);
        accrual.starts = (0..=accrual.chunks)
            .map(|j| j as f64 * accrual.width)
            .collect();
        accrual
    }

    fn without_starts(arrivals: Option<Arrivals>, n: u64, chunks: u64) -> Accrual {
        match arrivals {
            None => Accrual {
                width: 0.0,
                per_width: 0.0,
                starts: Vec::new(),
                chunks: 0,
                counts: ChunkCounts::None,
            },
            Some(Arrivals::Uniform { days }) => Accrual {
                width: days / chunks as f64,
                per_width: chunks as f64 / days,
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
            },
            Some(Arrivals::Poisson { per_day }) => {
                let per_chunk = n.min(PATIENTS_PER_CHUNK) as f64;
                Accrual {
                    width: per_chunk / per_day,
                    per_width: per_day / per_chunk,
                    starts: Vec::new(),
                    chunks: (2 * chunks) as usize,
                    counts: ChunkCounts::Poisson(Poisson::new(per_chunk).expect("positive mean")),
                }
            }
        }
    }

    /// Chunk `j`'s start, width and patients, `left` patients not yet randomised.
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
