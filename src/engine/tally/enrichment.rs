//! What adaptive enrichment adds to a tally: selections, first rejections per look, futility
//! stops and the screening before and after the selection.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::engine::tally::block::Block;
use crate::engine::tally::comparison::quantile_of;
use crate::engine::tally::invariants::{at_most, at_most_patients, same_len, sums_to_map};

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

impl Block for EnrichmentTally {
    fn merge(&mut self, o: &EnrichmentTally) {
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

    fn check(&self, fresh: &EnrichmentTally, t: u64, patients: u128) -> Result<(), String> {
        same_len("enrichment.looks", self.looks, fresh.looks)?;
        same_len(
            "enrichment.selected",
            self.selected.len(),
            fresh.selected.len(),
        )?;
        same_len(
            "enrichment.rejected_at",
            self.rejected_at.len(),
            fresh.rejected_at.len(),
        )?;
        same_len(
            "enrichment.randomised_after",
            self.randomised_after.len(),
            fresh.randomised_after.len(),
        )?;
        at_most("enrichment.futility", self.futility, t)?;
        for (h, &selected) in self.selected.iter().enumerate() {
            at_most(&format!("enrichment.selected[{h}]"), selected, t)?;
        }
        // A hypothesis is first rejected at one look at most.
        for (h, looks) in self.rejected_at.chunks(self.looks.max(1)).enumerate() {
            let first = looks.iter().map(|&x| u128::from(x)).sum::<u128>();
            at_most_patients(
                &format!("enrichment.rejected_at of hypothesis {h}"),
                first,
                u128::from(t),
            )?;
        }
        for (h, &r) in self.randomised_after.iter().enumerate() {
            at_most_patients(&format!("enrichment.randomised_after[{h}]"), r, patients)?;
        }
        sums_to_map("enrichment.screened_before", &self.screened_before, t)?;
        sums_to_map("enrichment.screened_after", &self.screened_after, t)?;
        at_most_patients(
            "enrichment.sum_randomised_before + sum_randomised_after",
            self.sum_randomised_before
                .saturating_add(self.sum_randomised_after),
            patients,
        )
    }
}
