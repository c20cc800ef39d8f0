//! What a group-sequential design adds to a tally: stops per comparison and look, trials
//! reaching and ending at each look, patients randomised.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::engine::tally::block::Block;
use crate::engine::tally::comparison::{quantile_of, to_fixed};
use crate::engine::tally::invariants::{at_most, at_most_patients, same_len, sums_to, sums_to_map};

/// What a group-sequential design adds to a tally.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SequentialTally {
    pub looks: usize,
    /// Per comparison x look (`comparison * looks + look`): trials in which the comparison
    /// stopped there for efficacy, and for futility.
    pub efficacy: Vec<u64>,
    pub futility: Vec<u64>,
    /// A two-sided design whose power counts benefit only (`two_sided_power = false`): per
    /// comparison x look, trials in which the comparison crossed the bound for harm and
    /// stopped (not counted in `efficacy`). Empty otherwise.
    #[serde(default)]
    pub harm: Vec<u64>,
    /// Per look: trials that ended there (no comparison left, or the last look).
    pub ended: Vec<u64>,
    /// Per look: trials that reached it, and the patients randomised by then summed over them.
    pub reached: Vec<u64>,
    pub randomised_at: Vec<u128>,
    /// Patients randomised per trial (the pipeline of a stopped trial included): value ->
    /// trials, for the quantiles, and their exact sum.
    pub randomised: BTreeMap<u64, u64>,
    pub sum_randomised: u128,
    /// Per look of an event-driven time-to-event design (reached at a random calendar time):
    /// days from the first randomisation to the look, fixed-point, summed over the trials that
    /// reached it. Empty otherwise.
    #[serde(default)]
    pub days_at: Vec<i128>,
    /// A design with sample-size re-estimation: its stages' sizing, and its trials on the
    /// boundary of the null hypothesis.
    #[serde(default)]
    pub reestimation: Option<ReestimationTally>,
}

/// What a comparison's analysis at a look decided: stop for efficacy, for futility, for harm
/// (a two-sided bound crossed against the arm, when the power counts benefit only), or none of
/// them (go on, or the last look).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Decision {
    pub efficacy: bool,
    pub futile: bool,
    pub harm: bool,
}

impl Decision {
    /// A one-sided design's decision (it has no bound for harm).
    pub fn one_sided(efficacy: bool, futile: bool) -> Decision {
        Decision {
            efficacy,
            futile,
            harm: false,
        }
    }

    /// Whether the comparison stops here (before its last look).
    pub fn stops(self) -> bool {
        self.efficacy || self.futile || self.harm
    }
}

/// What sample-size re-estimation adds to a sequential tally.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReestimationTally {
    /// Per look, for the stage that ends there (none at the first): the conditional power its
    /// size achieves at the effect it was sized for, fixed-point, summed over the trials that
    /// sized it; and the trials whose size was the stage's most, and its fewest.
    pub conditional_power: Vec<i128>,
    pub at_max: Vec<u64>,
    pub at_min: Vec<u64>,
    /// The same trials on the boundary of the null hypothesis: those that rejected it, and the
    /// patients they randomised.
    pub null_rejections: u64,
    pub null_randomised: u128,
    /// Re-estimated deaths (event-driven time to event): the deaths at each trial's last
    /// analysis (value -> trials, for the quantiles), and the deaths of the trials on the null
    /// boundary summed. Empty and 0 for re-estimated patients.
    #[serde(default)]
    pub deaths: BTreeMap<u64, u64>,
    #[serde(default)]
    pub null_deaths: u128,
}

impl ReestimationTally {
    /// Records the size `n` chosen for the stage that ends at look `k`, within `bounds`
    /// (fewest, most), and the conditional power it achieves.
    pub(crate) fn sized(&mut self, k: usize, n: u64, bounds: (u64, u64), achieved: f64) {
        self.conditional_power[k] += to_fixed(achieved);
        self.at_max[k] += u64::from(n == bounds.1);
        self.at_min[k] += u64::from(n == bounds.0);
    }

    /// Records a trial run on the boundary of the null: whether it rejected, and the patients
    /// it randomised.
    pub(crate) fn null_trial(&mut self, rejected: bool, randomised: u64) {
        self.null_rejections += u64::from(rejected);
        self.null_randomised += u128::from(randomised);
    }

    pub(crate) fn new(looks: usize) -> ReestimationTally {
        ReestimationTally {
            conditional_power: vec![0; looks],
            at_max: vec![0; looks],
            at_min: vec![0; looks],
            null_rejections: 0,
            null_randomised: 0,
            deaths: BTreeMap::new(),
            null_deaths: 0,
        }
    }
}

impl Block for ReestimationTally {
    fn merge(&mut self, o: &ReestimationTally) {
        for (a, b) in self.conditional_power.iter_mut().zip(&o.conditional_power) {
            *a += b;
        }
        for (a, b) in self.at_max.iter_mut().zip(&o.at_max) {
            *a += b;
        }
        for (a, b) in self.at_min.iter_mut().zip(&o.at_min) {
            *a += b;
        }
        self.null_rejections += o.null_rejections;
        self.null_randomised += o.null_randomised;
        for (&k, &v) in &o.deaths {
            *self.deaths.entry(k).or_insert(0) += v;
        }
        self.null_deaths += o.null_deaths;
    }

    fn check(&self, fresh: &ReestimationTally, t: u64, patients: u128) -> Result<(), String> {
        let looks = fresh.at_max.len();
        for (name, len) in [
            ("conditional_power", self.conditional_power.len()),
            ("at_max", self.at_max.len()),
            ("at_min", self.at_min.len()),
        ] {
            same_len(&format!("sequential.reestimation.{name}"), len, looks)?;
        }
        for k in 0..looks {
            at_most(
                &format!("sequential.reestimation.at_max[{k}]"),
                self.at_max[k],
                t,
            )?;
            at_most(
                &format!("sequential.reestimation.at_min[{k}]"),
                self.at_min[k],
                t,
            )?;
            let cp = self.conditional_power[k];
            if cp < 0 || cp > to_fixed(t as f64) {
                return Err(format!(
                    "sequential.reestimation.conditional_power[{k}]: outside [0, trials]"
                ));
            }
        }
        at_most(
            "sequential.reestimation.null_rejections",
            self.null_rejections,
            t,
        )?;
        at_most_patients(
            "sequential.reestimation.null_randomised",
            self.null_randomised,
            patients,
        )?;
        if !self.deaths.is_empty() {
            sums_to_map("sequential.reestimation.deaths", &self.deaths, t)?;
        }
        // Each death is a patient's.
        at_most_patients(
            "sequential.reestimation.null_deaths",
            self.null_deaths,
            patients,
        )
    }
}

/// The `q` quantile (R's type 1) of a count per trial, tallied value -> trials over `trials`
/// trials (the largest value when rounding leaves the target unreached; 0 when empty).
pub(crate) fn count_quantile(counts: &BTreeMap<u64, u64>, q: f64, trials: u64) -> u64 {
    quantile_of(counts.iter().map(|(&n, &t)| (n, t)), q, trials)
        .unwrap_or_else(|| counts.keys().next_back().copied().unwrap_or(0))
}

impl SequentialTally {
    /// `timed`: the looks come at random calendar times (event-driven), kept in `days_at`.
    /// `harm`: a two-sided design whose power counts benefit only, whose stops for harm are
    /// kept apart.
    pub(crate) fn new(
        looks: usize,
        comparisons: usize,
        (timed, reestimated, harm): (bool, bool, bool),
    ) -> SequentialTally {
        SequentialTally {
            looks,
            efficacy: vec![0; looks * comparisons],
            futility: vec![0; looks * comparisons],
            harm: if harm {
                vec![0; looks * comparisons]
            } else {
                Vec::new()
            },
            ended: vec![0; looks],
            reached: vec![0; looks],
            randomised_at: vec![0; looks],
            randomised: BTreeMap::new(),
            sum_randomised: 0,
            days_at: if timed { vec![0; looks] } else { Vec::new() },
            reestimation: reestimated.then(|| ReestimationTally::new(looks)),
        }
    }

    /// A trial reached look `k` with `randomised` patients randomised.
    pub fn reach(&mut self, k: usize, randomised: u64) {
        self.reached[k] += 1;
        self.randomised_at[k] += u128::from(randomised);
    }

    /// Comparison `j` stopped at look `k` with `decision` (none of its stops: the last look).
    pub fn decide(&mut self, j: usize, k: usize, decision: Decision) {
        let at = j * self.looks + k;
        self.efficacy[at] += u64::from(decision.efficacy);
        self.futility[at] += u64::from(decision.futile);
        if decision.harm {
            self.harm[at] += 1;
        }
    }

    /// A trial ended at look `k` with `randomised` patients randomised.
    pub fn end(&mut self, k: usize, randomised: u64) {
        self.ended[k] += 1;
        *self.randomised.entry(randomised).or_insert(0) += 1;
        self.sum_randomised += u128::from(randomised);
    }

    /// The re-estimation block of a design with sample-size re-estimation.
    pub(crate) fn reestimation_mut(&mut self) -> &mut ReestimationTally {
        self.reestimation
            .as_mut()
            .expect("a re-estimated design has a re-estimation tally")
    }

    /// Smallest number randomised whose empirical CDF reaches `q` (R's quantile type 1).
    pub(crate) fn randomised_quantile(&self, q: f64, trials: u64) -> u64 {
        count_quantile(&self.randomised, q, trials)
    }

    /// Smallest look (0-based) at which the share of trials ended by then reaches `q`.
    pub(crate) fn ended_quantile(&self, q: f64, trials: u64) -> usize {
        quantile_of(self.ended.iter().copied().enumerate(), q, trials).unwrap_or(self.looks - 1)
    }
}

impl Block for SequentialTally {
    fn merge(&mut self, o: &SequentialTally) {
        let add = |a: &mut [u64], b: &[u64]| a.iter_mut().zip(b).for_each(|(a, b)| *a += b);
        add(&mut self.efficacy, &o.efficacy);
        add(&mut self.futility, &o.futility);
        add(&mut self.harm, &o.harm);
        add(&mut self.ended, &o.ended);
        add(&mut self.reached, &o.reached);
        for (a, b) in self.randomised_at.iter_mut().zip(&o.randomised_at) {
            *a += b;
        }
        for (&k, &v) in &o.randomised {
            *self.randomised.entry(k).or_insert(0) += v;
        }
        self.sum_randomised += o.sum_randomised;
        for (a, b) in self.days_at.iter_mut().zip(&o.days_at) {
            *a += b;
        }
        if let (Some(a), Some(b)) = (&mut self.reestimation, &o.reestimation) {
            a.merge(b);
        }
    }

    fn check(&self, fresh: &SequentialTally, t: u64, patients: u128) -> Result<(), String> {
        same_len("sequential.looks", self.looks, fresh.looks)?;
        for (name, v, f) in [
            ("efficacy", &self.efficacy, &fresh.efficacy),
            ("futility", &self.futility, &fresh.futility),
            ("harm", &self.harm, &fresh.harm),
            ("ended", &self.ended, &fresh.ended),
            ("reached", &self.reached, &fresh.reached),
        ] {
            same_len(&format!("sequential.{name}"), v.len(), f.len())?;
        }
        same_len(
            "sequential.randomised_at",
            self.randomised_at.len(),
            fresh.randomised_at.len(),
        )?;
        same_len(
            "sequential.days_at",
            self.days_at.len(),
            fresh.days_at.len(),
        )?;
        // A comparison stops once, at one look.
        let per = self.looks.max(1);
        for (j, (efficacy, futility)) in self
            .efficacy
            .chunks(per)
            .zip(self.futility.chunks(per))
            .enumerate()
        {
            let harm = self.harm.get(j * per..(j + 1) * per).unwrap_or(&[]);
            let stops = efficacy
                .iter()
                .chain(futility)
                .chain(harm)
                .map(|&x| u128::from(x))
                .sum::<u128>();
            at_most_patients(
                &format!("sequential: comparison {j}'s stops"),
                stops,
                u128::from(t),
            )?;
        }
        sums_to("sequential.ended", self.ended.iter().copied(), t)?;
        for (k, (&reached, &randomised)) in self.reached.iter().zip(&self.randomised_at).enumerate()
        {
            at_most(&format!("sequential.reached[{k}]"), reached, t)?;
            let most = u128::from(reached) * (patients / u128::from(t.max(1)));
            at_most_patients(&format!("sequential.randomised_at[{k}]"), randomised, most)?;
        }
        sums_to_map("sequential.randomised", &self.randomised, t)?;
        at_most_patients("sequential.sum_randomised", self.sum_randomised, patients)?;
        match (&self.reestimation, &fresh.reestimation) {
            (None, None) => Ok(()),
            (Some(r), Some(f)) => r.check(f, t, patients),
            _ => Err(
                "sequential.reestimation: present in one of the design and the tally only".into(),
            ),
        }
    }
}
