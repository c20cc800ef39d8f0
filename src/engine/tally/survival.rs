//! What a time-to-event design adds to a tally: events, patients randomised by the analysis,
//! duration.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::engine::tally::block::Block;
use crate::engine::tally::comparison::{from_fixed, quantile_of};
use crate::engine::tally::invariants::{at_most_patients, same_len, sums_to_map};

/// What a time-to-event design adds to a tally.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurvivalTally {
    /// Deaths observed by the analysis and patients randomised by then, summed over trials.
    pub sum_events: u128,
    pub sum_randomised: u128,
    /// Per comparison: deaths in the arm and in control, summed over trials.
    pub events_arm: Vec<u128>,
    pub events_control: Vec<u128>,
    /// Days from the first randomisation to the analysis: their fixed-point sum, and trials
    /// per whole day (rounded up) for the quantiles. Empty without accrual.
    pub sum_duration: i128,
    pub duration_days: BTreeMap<u64, u64>,
}

impl SurvivalTally {
    pub fn new(comparisons: usize) -> SurvivalTally {
        SurvivalTally {
            events_arm: vec![0; comparisons],
            events_control: vec![0; comparisons],
            ..SurvivalTally::default()
        }
    }

    /// Mean days from the first randomisation to the analysis (NaN without accrual).
    pub fn mean_duration(&self, trials: u64) -> f64 {
        if self.duration_days.is_empty() {
            f64::NAN
        } else {
            from_fixed(self.sum_duration) / trials as f64
        }
    }

    /// The `q` quantile of the duration in whole days (R's type 1 on days rounded up).
    pub fn duration_quantile(&self, q: f64, trials: u64) -> f64 {
        quantile_of(self.duration_days.iter().map(|(&d, &t)| (d, t)), q, trials)
            .map_or(f64::NAN, |d| d as f64)
    }
}

impl Block for SurvivalTally {
    fn merge(&mut self, o: &SurvivalTally) {
        self.sum_events += o.sum_events;
        self.sum_randomised += o.sum_randomised;
        for (a, b) in self.events_arm.iter_mut().zip(&o.events_arm) {
            *a += b;
        }
        for (a, b) in self.events_control.iter_mut().zip(&o.events_control) {
            *a += b;
        }
        self.sum_duration += o.sum_duration;
        for (&k, &v) in &o.duration_days {
            *self.duration_days.entry(k).or_insert(0) += v;
        }
    }

    fn check(&self, fresh: &SurvivalTally, t: u64, patients: u128) -> Result<(), String> {
        same_len(
            "survival.events_arm",
            self.events_arm.len(),
            fresh.events_arm.len(),
        )?;
        same_len(
            "survival.events_control",
            self.events_control.len(),
            fresh.events_control.len(),
        )?;
        at_most_patients("survival.sum_events", self.sum_events, patients)?;
        at_most_patients("survival.sum_randomised", self.sum_randomised, patients)?;
        for (j, (&a, &c)) in self.events_arm.iter().zip(&self.events_control).enumerate() {
            at_most_patients(
                &format!("survival: comparison {j}'s deaths"),
                a + c,
                patients,
            )?;
        }
        if !self.duration_days.is_empty() {
            sums_to_map("survival.duration_days", &self.duration_days, t)?;
        }
        Ok(())
    }
}
