//! What a Bayesian adaptive design adds to a tally: how trials ended, which arm they selected,
//! each arm's final status, the joint distribution of the stopping analysis and the events,
//! the errors of the selected arm's estimate, and the patients randomised per arm and look
//! (the RAR path). Counts only, and the errors as a multiset (value -> trials): every float
//! statistic is computed from them in one fixed order, so any split of the trials gives the
//! same bytes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::engine::bayesian::select::{ArmStatus, TrialEnd};
use crate::engine::tally::block::Block;

/// Bits of an `ends` key that hold the events.
pub const EVENT_BITS: u32 = 40;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BayesianTally {
    /// Trials by ending, in `Ending::ALL` order.
    pub endings: [u64; 4],
    /// Trials by the arm selected; the last element: none selected.
    pub selected: Vec<u64>,
    /// Per arm, trials by its final status in `ArmStatus::ALL` order.
    pub arm_status: Vec<[u64; 6]>,
    /// Trials by (stopping analysis << EVENT_BITS | events among all randomised).
    pub ends: BTreeMap<u64, u64>,
    /// Error of the selected arm's estimate (f64 bits) -> trials.
    pub errors: BTreeMap<u64, u64>,
    /// Error of the selected arm's estimated difference from the first control -> trials.
    pub errors_te: BTreeMap<u64, u64>,
    /// Patients randomised at each analysis to each arm, summed: `[look][arm]`.
    pub allocated: Vec<Vec<u64>>,
}

impl BayesianTally {
    pub fn new(arms: usize, looks: usize) -> BayesianTally {
        BayesianTally {
            endings: [0; 4],
            selected: vec![0; arms + 1],
            arm_status: vec![[0; 6]; arms],
            ends: BTreeMap::new(),
            errors: BTreeMap::new(),
            errors_te: BTreeMap::new(),
            allocated: vec![vec![0; arms]; looks],
        }
    }

    /// Records one trial. `allocated`: its patients per look and arm, `[look * arms + arm]`.
    pub fn record(
        &mut self,
        end: &TrialEnd,
        selected: Option<usize>,
        status: &[ArmStatus],
        events: u64,
        errors: Option<(f64, Option<f64>)>,
        allocated: &[u64],
    ) {
        let arms = status.len();
        self.endings[end.ending.index()] += 1;
        self.selected[selected.unwrap_or(arms)] += 1;
        for (row, s) in self.arm_status.iter_mut().zip(status) {
            row[s.index()] += 1;
        }
        *self
            .ends
            .entry(((end.look as u64) << EVENT_BITS) | events)
            .or_insert(0) += 1;
        if let Some((err, te)) = errors {
            *self.errors.entry(err.to_bits()).or_insert(0) += 1;
            if let Some(te) = te {
                *self.errors_te.entry(te.to_bits()).or_insert(0) += 1;
            }
        }
        for (look, row) in self.allocated.iter_mut().enumerate().take(end.look + 1) {
            for (a, v) in row.iter_mut().enumerate() {
                *v += allocated[look * arms + a];
            }
        }
    }
}

fn add_map(a: &mut BTreeMap<u64, u64>, b: &BTreeMap<u64, u64>) {
    for (k, v) in b {
        *a.entry(*k).or_insert(0) += v;
    }
}

impl Block for BayesianTally {
    fn merge(&mut self, other: &BayesianTally) {
        for (a, b) in self.endings.iter_mut().zip(other.endings) {
            *a += b;
        }
        for (a, b) in self.selected.iter_mut().zip(&other.selected) {
            *a += b;
        }
        for (a, b) in self.arm_status.iter_mut().zip(&other.arm_status) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        add_map(&mut self.ends, &other.ends);
        add_map(&mut self.errors, &other.errors);
        add_map(&mut self.errors_te, &other.errors_te);
        for (a, b) in self.allocated.iter_mut().zip(&other.allocated) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
    }

    fn check(&self, fresh: &BayesianTally, trials: u64, patients: u128) -> Result<(), String> {
        let shape = self.selected.len() == fresh.selected.len()
            && self.arm_status.len() == fresh.arm_status.len()
            && self.allocated.len() == fresh.allocated.len()
            && self
                .allocated
                .iter()
                .all(|r| r.len() == fresh.selected.len() - 1);
        if !shape {
            return Err("bayesian: the shape is not the design's".into());
        }
        let all = |total: u64, what: &str| {
            if total == trials {
                Ok(())
            } else {
                Err(format!(
                    "bayesian.{what}: {total} trials, expected {trials}"
                ))
            }
        };
        all(self.endings.iter().sum(), "endings")?;
        all(self.selected.iter().sum(), "selected")?;
        for row in &self.arm_status {
            all(row.iter().sum(), "arm_status")?;
        }
        all(self.ends.values().sum(), "ends")?;
        let looks = self.allocated.len() as u64;
        if self.ends.keys().any(|k| k >> EVENT_BITS >= looks) {
            return Err("bayesian.ends: an analysis beyond the design's".into());
        }
        let selected = trials - self.selected.last().copied().unwrap_or(0);
        if self.errors.values().sum::<u64>() != selected {
            return Err("bayesian.errors: not one per selected trial".into());
        }
        if self.errors_te.values().sum::<u64>() > selected {
            return Err("bayesian.errors_te: more than the selected trials".into());
        }
        let randomised: u128 = self
            .allocated
            .iter()
            .flatten()
            .map(|&v| u128::from(v))
            .sum();
        if randomised > patients {
            return Err("bayesian.allocated: more patients than randomised".into());
        }
        Ok(())
    }
}
