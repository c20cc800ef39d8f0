//! What a Bayesian adaptive design adds to a tally: the analysis at which each trial ended with
//! its events, and per adaptation stratum (the whole trial, or each eligible label with
//! `by_label`) how it ended, which arm it selected, each arm's final status, its size and
//! events, the errors of the selected arm's estimate, and the patients randomised per arm and
//! look (the RAR path). Counts only, and the errors as a multiset (value -> trials): every
//! float statistic is computed from them in one fixed order, so any split of the trials gives
//! the same bytes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::engine::bayesian::select::{ArmStatus, Ending, TrialEnd};
use crate::engine::tally::block::Block;

/// Bits of an `ends` key that hold the events.
pub const EVENT_BITS: u32 = 40;

/// Bits of a `sizes` key that hold the events (a stratum randomises fewer than 2^32).
pub const SIZE_EVENT_BITS: u32 = 32;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BayesianTally {
    /// Trials by (analysis at which the trial ended << EVENT_BITS | events among all
    /// randomised).
    pub ends: BTreeMap<u64, u64>,
    /// Trials in which every stratum's adaptation ended conclusively (not at the maximum), and
    /// in which some stratum's ended in superiority.
    pub all_conclusive: u64,
    pub any_superior: u64,
    /// Trials in which some stratum declared an arm superior: ending there, or going on with
    /// it as the new control (the calibrated type I error counts these).
    pub declared: u64,
    /// One block per adaptation stratum.
    pub strata: Vec<StratumTally>,
}

/// One adaptation stratum's trials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StratumTally {
    /// Trials by ending, in `Ending::ALL` order.
    pub endings: [u64; 4],
    /// Trials by the arm selected; the last element: none selected.
    pub selected: Vec<u64>,
    /// Per arm, trials by its final status in `ArmStatus::ALL` order.
    pub arm_status: Vec<[u64; 6]>,
    /// Trials by the analysis at which the stratum's adaptation ended.
    pub stopped: Vec<u64>,
    /// Trials by (patients randomised in the stratum << SIZE_EVENT_BITS | events among them).
    pub sizes: BTreeMap<u64, u64>,
    /// Error of the selected arm's estimate (f64 bits) -> trials.
    pub errors: BTreeMap<u64, u64>,
    /// Error of the selected arm's estimated difference from the first control -> trials.
    pub errors_te: BTreeMap<u64, u64>,
    /// Patients randomised at each analysis to each arm, summed: `[look][arm]`.
    pub allocated: Vec<Vec<u64>>,
}

/// One stratum's finished trial, as recorded.
pub struct StratumRecord<'a> {
    pub end: &'a TrialEnd,
    pub selected: Option<usize>,
    pub status: &'a [ArmStatus],
    /// Events among all the stratum's randomised patients.
    pub events: u64,
    /// The selected arm's estimation error, and that of its difference from the first control.
    pub errors: Option<(f64, Option<f64>)>,
    /// Patients randomised to each arm at look `j`: `allocated(j, arm)`.
    pub allocated: &'a dyn Fn(usize, usize) -> u64,
}

impl BayesianTally {
    pub fn new(arms: usize, looks: usize, strata: usize) -> BayesianTally {
        BayesianTally {
            ends: BTreeMap::new(),
            all_conclusive: 0,
            any_superior: 0,
            declared: 0,
            strata: vec![StratumTally::new(arms, looks); strata],
        }
    }

    /// Records the trial's end: its last analysis, its events, how its strata ended, and
    /// whether it declared an arm superior.
    pub fn record_end(
        &mut self,
        look: usize,
        events: u64,
        ends: impl Iterator<Item = Ending>,
        declared: bool,
    ) {
        *self
            .ends
            .entry(((look as u64) << EVENT_BITS) | events)
            .or_insert(0) += 1;
        let (mut all_conclusive, mut any_superior) = (true, false);
        for e in ends {
            all_conclusive &= e != Ending::Max;
            any_superior |= e == Ending::Superiority;
        }
        self.all_conclusive += u64::from(all_conclusive);
        self.any_superior += u64::from(any_superior);
        self.declared += u64::from(declared);
    }
}

impl StratumTally {
    fn new(arms: usize, looks: usize) -> StratumTally {
        StratumTally {
            endings: [0; 4],
            selected: vec![0; arms + 1],
            arm_status: vec![[0; 6]; arms],
            stopped: vec![0; looks],
            sizes: BTreeMap::new(),
            errors: BTreeMap::new(),
            errors_te: BTreeMap::new(),
            allocated: vec![vec![0; arms]; looks],
        }
    }

    pub fn record(&mut self, r: &StratumRecord) {
        let arms = r.status.len();
        self.endings[r.end.ending.index()] += 1;
        self.selected[r.selected.unwrap_or(arms)] += 1;
        for (row, s) in self.arm_status.iter_mut().zip(r.status) {
            row[s.index()] += 1;
        }
        self.stopped[r.end.look] += 1;
        *self
            .sizes
            .entry((r.end.randomised << SIZE_EVENT_BITS) | r.events)
            .or_insert(0) += 1;
        if let Some((err, te)) = r.errors {
            *self.errors.entry(err.to_bits()).or_insert(0) += 1;
            if let Some(te) = te {
                *self.errors_te.entry(te.to_bits()).or_insert(0) += 1;
            }
        }
        for (look, row) in self.allocated.iter_mut().enumerate().take(r.end.look + 1) {
            for (a, v) in row.iter_mut().enumerate() {
                *v += (r.allocated)(look, a);
            }
        }
    }

    /// Trials whose stratum was still randomising at each analysis.
    pub fn reaching(&self) -> Vec<u64> {
        let mut reaching = self.stopped.clone();
        for j in (0..reaching.len().saturating_sub(1)).rev() {
            reaching[j] += reaching[j + 1];
        }
        reaching
    }
}

fn add_map(a: &mut BTreeMap<u64, u64>, b: &BTreeMap<u64, u64>) {
    for (k, v) in b {
        *a.entry(*k).or_insert(0) += v;
    }
}

fn add_rows<const N: usize>(a: &mut [[u64; N]], b: &[[u64; N]]) {
    for (x, y) in a.iter_mut().zip(b) {
        for (u, v) in x.iter_mut().zip(y) {
            *u += v;
        }
    }
}

fn add(a: &mut [u64], b: &[u64]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x += y;
    }
}

impl Block for BayesianTally {
    fn merge(&mut self, other: &BayesianTally) {
        add_map(&mut self.ends, &other.ends);
        self.all_conclusive += other.all_conclusive;
        self.any_superior += other.any_superior;
        self.declared += other.declared;
        for (a, b) in self.strata.iter_mut().zip(&other.strata) {
            add(&mut a.endings, &b.endings);
            add(&mut a.selected, &b.selected);
            add_rows(&mut a.arm_status, &b.arm_status);
            add(&mut a.stopped, &b.stopped);
            add_map(&mut a.sizes, &b.sizes);
            add_map(&mut a.errors, &b.errors);
            add_map(&mut a.errors_te, &b.errors_te);
            for (x, y) in a.allocated.iter_mut().zip(&b.allocated) {
                add(x, y);
            }
        }
    }

    fn check(&self, fresh: &BayesianTally, trials: u64, patients: u128) -> Result<(), String> {
        let all = |total: u64, what: &str| {
            if total == trials {
                Ok(())
            } else {
                Err(format!(
                    "bayesian.{what}: {total} trials, expected {trials}"
                ))
            }
        };
        if self.strata.len() != fresh.strata.len() {
            return Err("bayesian: the strata are not the design's".into());
        }
        all(self.ends.values().sum(), "ends")?;
        if self.all_conclusive > trials || self.declared > trials {
            return Err("bayesian: more conclusive or declaring trials than trials".into());
        }
        if self.any_superior > self.declared {
            return Err("bayesian: a superiority ending not counted as declared".into());
        }
        let looks = fresh.strata[0].stopped.len() as u64;
        if self.ends.keys().any(|k| k >> EVENT_BITS >= looks) {
            return Err("bayesian.ends: an analysis beyond the design's".into());
        }
        let mut randomised: u128 = 0;
        for (s, f) in self.strata.iter().zip(&fresh.strata) {
            let shape = s.selected.len() == f.selected.len()
                && s.arm_status.len() == f.arm_status.len()
                && s.stopped.len() == f.stopped.len()
                && s.allocated.len() == f.allocated.len()
                && s.allocated.iter().all(|r| r.len() == f.selected.len() - 1);
            if !shape {
                return Err("bayesian: the shape is not the design's".into());
            }
            all(s.endings.iter().sum(), "endings")?;
            all(s.selected.iter().sum(), "selected")?;
            for row in &s.arm_status {
                all(row.iter().sum(), "arm_status")?;
            }
            all(s.stopped.iter().sum(), "stopped")?;
            all(s.sizes.values().sum(), "sizes")?;
            if s.sizes
                .keys()
                .any(|k| k & ((1 << SIZE_EVENT_BITS) - 1) > k >> SIZE_EVENT_BITS)
            {
                return Err("bayesian.sizes: more events than patients".into());
            }
            let selected = trials - s.selected.last().copied().unwrap_or(0);
            if s.errors.values().sum::<u64>() != selected {
                return Err("bayesian.errors: not one per selected trial".into());
            }
            if s.errors_te.values().sum::<u64>() > selected {
                return Err("bayesian.errors_te: more than the selected trials".into());
            }
            randomised += s
                .allocated
                .iter()
                .flatten()
                .map(|&v| u128::from(v))
                .sum::<u128>();
        }
        if randomised > patients {
            return Err("bayesian.allocated: more patients than randomised".into());
        }
        Ok(())
    }
}
