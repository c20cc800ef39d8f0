//! The engine: the parallel Monte Carlo loop (here), the per-trial statistics and exact
//! tallies (`summary`), and shard files with their exact merge (`shard`). Imports `model`,
//! `stats` and `endpoint`.
//!
//! The parallel loop: trials in fixed chunks over rayon, each trial on its own random
//! stream, tallies merged exactly.
//!
//! Trial `i` uses ChaCha8 seeded from the scenario seed with stream number `i`: its draws depend
//! only on (seed, i), never on the thread that runs it or on the trials before it. Together with
//! integer tallies this makes any split of the trial indices (threads, shards, machines) give the
//! same totals.

pub mod sequential;
pub mod shard;
pub mod summary;

use std::ops::Range;

use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;
use rayon::prelude::*;

use crate::endpoint::binary::{Simulator, TrialCounts};
use crate::engine::sequential::{Monitor, SequentialScratch};
use crate::engine::summary::{Scratch, Tally};
use crate::model::design::Design;

/// Trials per unit of parallel work and of progress reporting.
const CHUNK: u64 = 256;

/// The 256-bit ChaCha key of a run: `seed` expanded as `SeedableRng::seed_from_u64` does.
pub fn run_key(seed: u64) -> [u8; 32] {
    ChaCha8Rng::seed_from_u64(seed).get_seed()
}

/// The random stream of trial `index` of the run with key `key`.
pub fn trial_rng(key: [u8; 32], index: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::from_seed(key);
    rng.set_stream(index);
    rng
}

/// Simulates the trials with indices in `trials` on the current rayon pool and tallies them.
/// `progress` is called with the number of trials finished, chunk by chunk.
pub fn simulate(design: &Design, trials: Range<u64>, progress: &(dyn Fn(u64) + Sync)) -> Tally {
    let simulator = Simulator::new(design);
    let monitor = Monitor::new(design);
    let key = run_key(design.seed);
    let chunks = (trials.end - trials.start).div_ceil(CHUNK);
    let worker = || {
        (
            Tally::new(design),
            TrialCounts::new(design),
            Scratch::new(design),
            monitor.as_ref().map(|m| SequentialScratch::new(design, m)),
        )
    };
    (0..chunks)
        .into_par_iter()
        .fold(
            worker,
            |(mut tally, mut counts, mut scratch, mut seq), chunk| {
                let start = trials.start + chunk * CHUNK;
                let end = (start + CHUNK).min(trials.end);
                for i in start..end {
                    let rng = &mut trial_rng(key, i);
                    match (&monitor, &mut seq) {
                        (Some(m), Some(seq)) => {
                            m.trial(design, &simulator, rng, seq, &mut scratch, &mut tally)
                        }
                        _ => {
                            simulator.simulate(rng, &mut counts);
                            tally.record(design, &counts, &mut scratch);
                        }
                    }
                }
                progress(end - start);
                (tally, counts, scratch, seq)
            },
        )
        .map(|(tally, ..)| tally)
        .reduce(
            || Tally::new(design),
            |mut a, b| {
                a.merge(&b);
                a
            },
        )
}
