//! What adaptive enrichment adds to a tally: selections, first rejections per look, futility
//! stops and the screening before and after the selection.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::engine::tally::comparison::quantile_of;

/// What adaptive enrichment adds to a tally.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrichmentTally {
    pub looks: usize,
    /// Per hypothesis: trials in which its population continued after the interim.
    pub selected: Vec<u64>,
    /// Per hypothesis x look (`h * looks + k`): trials in which it was first rejected there.
    pub rejected_at: Vec<u64>,
    /// Trials stopped at the interim because no population was kept.
    pub futility: u64,
    /// Per hypothesis: patients randomised after the interim with its labels, summed.
    pub randomised_after: Vec<u128>,
    /// Per trial, patients screened up to and including the interim's stage, and after it:
    /// value -> trials (for the quantiles), and the randomised after it, summed.
    pub screened_before: BTreeMap<u64, u64>,
    pub screened_after: BTreeMap<u64, u64>,
    pub sum_randomised_before: u128,
    pub sum_randomised_after: u128,
}

impl EnrichmentTally {
    pub fn new(hypotheses: usize, looks: usize) -> EnrichmentTally {
        EnrichmentTally {
            looks,
            selected: vec![0; hypotheses],
            rejected_at: vec![0; hypotheses * looks],
            randomised_after: vec![0; hypotheses],
            ..EnrichmentTally::default()
        }
    }

    pub fn merge(&mut self, o: &EnrichmentTally) {
        let add = |a: &mut [u64], b: &[u64]| a.iter_mut().zip(b).for_each(|(a, b)| *a += b);
        add(&mut self.selected, &o.selected);
        add(&mut self.rejected_at, &o.rejected_at);
        self.futility += o.futility;
        for (a, b) in self.randomised_after.iter_mut().zip(&o.randomised_after) {
            *a += b;
        }
        for (map, other) in [
            (&mut self.screened_before, &o.screened_before),
            (&mut self.screened_after, &o.screened_after),
        ] {
            for (&k, &v) in other {
                *map.entry(k).or_insert(0) += v;
            }
        }
        self.sum_randomised_before += o.sum_randomised_before;
        self.sum_randomised_after += o.sum_randomised_after;
    }

    /// Mean and 95th percentile (R's type 1) of the patients screened before the selection
    /// (`after` false) or after it.
    pub fn screened(&self, after: bool, trials: u64) -> (f64, u64) {
        let map = if after {
            &self.screened_after
        } else {
            &self.screened_before
        };
        let sum: u128 = map
            .iter()
            .map(|(&v, &t)| u128::from(v) * u128::from(t))
            .sum();
        let p95 = quantile_of(map.iter().map(|(&v, &t)| (v, t)), 0.95, trials).unwrap_or(0);
        (sum as f64 / trials as f64, p95)
    }
}
