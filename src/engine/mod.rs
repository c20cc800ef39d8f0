//! The engine: the parallel Monte Carlo loop (here), each endpoint's trials as the loop runs
//! them (`BinaryEndpoint` here with its per-trial statistics in `binary_analysis`, `sequential`,
//! `survival`, `continuous`, `enrichment`), the exact tallies they record into with their invariants
//! (`tally`), the rows computed from a tally (`summary`) and the design's own values they read
//! (`design_values`), and shard files with their exact merge (`shard`). Imports `model`,
//! `stats` and `endpoint`; data flows binary_analysis -> tally -> endpoints -> summary.
//!
//! The parallel loop: trials in fixed chunks over rayon, each trial on its own random
//! stream, tallies merged exactly.
//!
//! Trial `i` uses ChaCha8 seeded from the scenario seed with stream number `i`: its draws depend
//! only on (seed, i), never on the thread that runs it or on the trials before it. Together with
//! integer tallies this makes any split of the trial indices (threads, shards, machines) give the
//! same totals.

pub mod bayesian;
pub mod binary_analysis;
pub mod continuous;
pub mod design_values;
pub mod enrichment;
pub mod ordinal;
pub mod reestimation;
pub mod sequential;
pub mod shard;
pub mod stop;
pub mod summary;
pub mod survival;
pub mod tally;

use std::ops::Range;

use rand::rngs::ChaCha8Rng;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;

use crate::endpoint::binary::{Simulator, TrialCounts};
use crate::engine::bayesian::BayesianEndpoint;
use crate::engine::binary_analysis::Scratch;
use crate::engine::continuous::ContinuousEndpoint;
use crate::engine::enrichment::EnrichmentEndpoint;
use crate::engine::ordinal::OrdinalEndpoint;
use crate::engine::reestimation::ReestimationEndpoint;
use crate::engine::sequential::{BinarySegments, Monitor, SequentialScratch};
use crate::engine::survival::SurvivalEndpoint;
use crate::engine::tally::Tally;
use crate::model::design::{Design, DesignKind, EndpointModel};

/// Trials per unit of parallel work and of progress reporting.
pub(crate) const CHUNK: u64 = 256;

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

/// The seam between the parallel loop and an endpoint: per-worker buffers, and one virtual
/// trial simulated and recorded into a tally. The loop knows nothing else of the endpoint, so a
/// new endpoint (a continuous one, say) is one more implementation.
pub trait Endpoint: Sync {
    /// Reused from trial to trial by one worker, so that nothing is allocated per trial.
    type Buffers: Send;
    fn buffers(&self) -> Self::Buffers;
    /// Simulates one trial from `rng` and records it in `tally`.
    fn trial<R: Rng + ?Sized>(&self, rng: &mut R, buffers: &mut Self::Buffers, tally: &mut Tally);
}

/// The binary endpoint: a fixed-sample trial, or a group-sequential one (`[sequential]`).
pub struct BinaryEndpoint<'a> {
    design: &'a Design,
    simulator: Simulator,
    monitor: Option<Monitor>,
}

impl<'a> BinaryEndpoint<'a> {
    pub fn new(design: &'a Design) -> BinaryEndpoint<'a> {
        BinaryEndpoint {
            design,
            simulator: Simulator::new(design),
            monitor: Monitor::new(design),
        }
    }
}

impl Endpoint for BinaryEndpoint<'_> {
    type Buffers = (
        TrialCounts,
        Scratch,
        Option<SequentialScratch<BinarySegments>>,
    );

    fn buffers(&self) -> Self::Buffers {
        let d = self.design;
        (
            TrialCounts::new(d),
            Scratch::new(d),
            self.monitor
                .as_ref()
                .map(|m| SequentialScratch::new(d, m, &self.simulator)),
        )
    }

    fn trial<R: Rng + ?Sized>(&self, rng: &mut R, buffers: &mut Self::Buffers, tally: &mut Tally) {
        let (counts, scratch, seq) = buffers;
        match (&self.monitor, seq) {
            (Some(m), Some(seq)) => m.trial(self.design, &self.simulator, rng, seq, scratch, tally),
            _ => {
                self.simulator.simulate(rng, counts);
                tally.record(self.design, counts, scratch);
            }
        }
    }
}

/// Simulates the trials with indices in `trials` on the current rayon pool and tallies them.
/// `progress` is called with the number of trials finished, chunk by chunk.
pub fn simulate(design: &Design, trials: Range<u64>, progress: &(dyn Fn(u64) + Sync)) -> Tally {
    match (&design.endpoint, &design.kind) {
        (EndpointModel::TimeToEvent(_), DesignKind::Fixed | DesignKind::GroupSequential(_)) => {
            run(design, &SurvivalEndpoint::new(design), trials, progress)
        }
        (EndpointModel::Binary, DesignKind::AdaptiveEnrichment(..)) => {
            run(design, &EnrichmentEndpoint::new(design), trials, progress)
        }
        (EndpointModel::Binary, DesignKind::GroupSequential(p)) if p.reestimation.is_some() => {
            run(design, &ReestimationEndpoint::new(design), trials, progress)
        }
        (EndpointModel::Binary, DesignKind::Fixed | DesignKind::GroupSequential(_)) => {
            run(design, &BinaryEndpoint::new(design), trials, progress)
        }
        (EndpointModel::Continuous(_), DesignKind::Fixed | DesignKind::GroupSequential(_)) => {
            run(design, &ContinuousEndpoint::new(design), trials, progress)
        }
        (EndpointModel::Ordinal(_), DesignKind::Fixed | DesignKind::GroupSequential(_)) => {
            run(design, &OrdinalEndpoint::new(design), trials, progress)
        }
        (EndpointModel::Binary, DesignKind::Bayesian(_)) => {
            run(design, &BayesianEndpoint::new(design), trials, progress)
        }
        (
            EndpointModel::TimeToEvent(_)
            | EndpointModel::Continuous(_)
            | EndpointModel::Ordinal(_),
            DesignKind::AdaptiveEnrichment(..) | DesignKind::Bayesian(_),
        ) => unreachable!(
            "validation refuses [adaptation] and [bayesian] with a time-to-event, continuous or \
             ordinal endpoint"
        ),
    }
}

/// The parallel loop over trials of any endpoint.
fn run<E: Endpoint>(
    design: &Design,
    endpoint: &E,
    trials: Range<u64>,
    progress: &(dyn Fn(u64) + Sync),
) -> Tally {
    let key = run_key(design.seed);
    let chunks = (trials.end - trials.start).div_ceil(CHUNK);
    let tally = (0..chunks)
        .into_par_iter()
        .fold(
            || (Tally::new(design), endpoint.buffers()),
            |(mut tally, mut buffers), chunk| {
                if stop::requested() {
                    return (tally, buffers);
                }
                let start = trials.start + chunk * CHUNK;
                let end = (start + CHUNK).min(trials.end);
                for i in start..end {
                    endpoint.trial(&mut trial_rng(key, i), &mut buffers, &mut tally);
                }
                progress(end - start);
                (tally, buffers)
            },
        )
        .map(|(tally, _)| tally)
        .reduce(
            || Tally::new(design),
            |mut a, b| {
                a.merge(&b);
                a
            },
        );
    stop::unwind_if_requested();
    tally
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// Trial `i` of a run with seed `s` draws from ChaCha8 keyed as `seed_from_u64(s)`, on stream
    /// `i`: what a cluster job or another tool needs to rebuild any trial's draws.
    #[test]
    fn each_trial_draws_from_stream_index_of_the_seeds_key() {
        for seed in [1, 2021] {
            for index in [0, 5, 1 << 40] {
                let mut direct = ChaCha8Rng::seed_from_u64(seed);
                direct.set_stream(index);
                let mut engine = trial_rng(run_key(seed), index);
                for _ in 0..4 {
                    assert_eq!(direct.next_u64(), engine.next_u64(), "{seed} {index}");
                }
            }
        }
        assert_ne!(run_key(1), run_key(2));
    }

    /// The progress callback counts every trial of a shard once (a shard that does not start at
    /// 0 and ends in an incomplete chunk).
    #[test]
    fn progress_counts_each_trial_of_a_shard_once() {
        let text = include_str!("../../scenarios/immunosep.toml");
        let path = std::path::Path::new("immunosep.toml");
        let design = crate::model::scenario::Scenario::from_text(path, text.into())
            .unwrap()
            .design;
        let done = AtomicU64::new(0);
        let tally = simulate(&design, 1000..1700, &|n| {
            done.fetch_add(n, Ordering::Relaxed);
        });
        assert_eq!(done.into_inner(), 700);
        assert_eq!(tally.trials, 700);
    }
}
