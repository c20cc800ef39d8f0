//! One virtual trial of a time-to-event endpoint, down to the risk sets of its analysis.
//!
//! Model. Each randomised patient has an arm (permuted blocks or simple randomisation, as the
//! binary endpoint), a diagnostic label (a stratum), a true endotype given the label, a death
//! time with the endotype's control hazard times the hazard ratio the arm gives that endotype
//! with that label, and an exponential time to loss to follow-up. Follow-up ends
//! `follow_up_days` after randomisation, or at the analysis.
//!
//! Recording (time_resolution = "day"): day k is the interval (k - 1, k]. A death during day k
//! is recorded at day k; a patient lost, or still alive when follow-up ends, at time x is
//! recorded as censored at floor(x) days (last known alive at the end of that day). Ties are
//! handled as R's survdiff: a patient censored at day k is at risk for the deaths of day k.
//! "continuous" records exact times (no ties).
//!
//! Two ways to draw a trial, with the same law for the risk sets (the simulator and the risk
//! sets are here):
//! - Count level (`count_level`): a fixed follow-up, day resolution and no event-driven
//!   analysis. The patients of each arm x label x endotype cell are a count, and each day's
//!   deaths and losses are binomial draws among those still at risk, with the exact
//!   competing-risk probabilities of that day. A trial costs draws per cell and day, whatever
//!   the sample size.
//! - Patient level (`patient_level`): continuous times, or an event-driven analysis (analyse at
//!   the calendar time of the k-th death, which depends on every patient's randomisation
//!   time). Patients are drawn a calendar chunk at a time (`accrual`): how many each chunk
//!   randomises, their randomisation times in order, then each patient in turn: its arm (the
//!   next place of the permuted blocks), its label and endotype given the arm, its death and
//!   loss times. An event-driven trial stops drawing after the chunk by whose end the k-th
//!   death has come. Buffers are reused from trial to trial.

mod accrual;
mod count_level;
mod patient_level;
#[cfg(test)]
mod tests;

use rand::Rng;

use crate::endpoint::binary::{BlockState, Simulator};
use crate::endpoint::survival::accrual::Accrual;
use crate::model::design::Design;
use crate::model::hazard::PiecewiseHazard;
use crate::model::survival::SurvivalModel;
use crate::stats::sampling::{
    BinomialSampler, chain_probabilities, negative_binomial, table_share,
};
use crate::stats::survival::{self, RiskSet, push_risk_sets, push_risk_sets_of};

/// One cell of patients (an arm, a stratum and a true endotype) at count level: each day's
/// death probability and loss probability given no death.
type Cell = Vec<(BinomialSampler, BinomialSampler)>;

/// Everything a time-to-event trial needs from the design, computed once per run.
#[derive(Debug, Clone)]
pub struct SurvivalSimulator {
    binary: Simulator,
    model: SurvivalModel,
    sample_size: u64,
    arms: usize,
    strata: usize,
    /// Cells with positive probability, grouped by (arm, stratum) in order.
    cells: Vec<Cell>,
    /// Per (arm, stratum) `arm * strata + s`: the range of its cells, and the chain samplers of
    /// the multinomial over them.
    cell_range: Vec<std::ops::Range<usize>>,
    cell_chain: Vec<Vec<BinomialSampler>>,
    /// Patient level: each cell's true endotype and hazard ratio, and the calendar chunks.
    cell_law: Vec<CellLaw>,
    /// Patient level, per arm: its cells (contiguous), and each cell's cumulative probability
    /// among them given the arm (indexed by cell).
    arm_cells: Vec<std::ops::Range<usize>>,
    cell_cumulative: Vec<f64>,
    accrual: Accrual,
    count_level: bool,
    follow_up: f64,
    eligible_fraction: f64,
}

/// What a patient of one cell (arm, label, true endotype) needs at patient level.
#[derive(Debug, Clone)]
struct CellLaw {
    stratum: u32,
    endotype: usize,
    hazard_ratio: f64,
    /// The mean death time when the control hazard is one constant (exponential survival).
    exponential_mean: Option<f64>,
}

/// One trial: what the analysis needs, reused from trial to trial.
#[derive(Debug, Clone)]
pub struct SurvivalTrial {
    /// Randomised by the analysis, per arm.
    pub randomised: Vec<u64>,
    /// Deaths observed by the analysis, per arm.
    pub events: Vec<u64>,
    /// Days from the first randomisation to the analysis (NaN without accrual).
    pub duration: f64,
    /// Count level: per (arm, stratum) and day (`(arm * strata + s) * days + day - 1`), the
    /// patients at risk and the deaths; patient level in whole days (`by_day`), the same
    /// indexed by the recorded day itself (`+ day`).
    at_risk: Vec<u64>,
    deaths: Vec<u64>,
    days: usize,
    /// Patient level in whole days, tabulated as the count level is (`tabulate_days`; index:
    /// the recorded day), instead of `patients`.
    by_day: bool,
    /// Patient level: (recorded time, death, arm, stratum) of each patient randomised by the
    /// analysis, sorted by time (`sorted` and `buckets`: the sort's scratch).
    patients: Vec<Patient>,
    sorted: Vec<Patient>,
    buckets: Vec<u32>,
    /// Patient level, as drawn (by calendar chunk, not in order of randomisation): each
    /// patient's randomisation time, and the time from it to death or the end of follow-up
    /// (no analysis yet); the first and last randomisation times.
    drawn: Vec<Drawn>,
    first_entry: f64,
    last_entry: f64,
    /// Event-driven: the calendar time of every death drawn and the chunk it falls in
    /// (`Accrual::chunk_of`), the deaths per chunk and (last place) after every chunk, and
    /// scratch to select the k-th death from.
    calendar: Vec<(f64, u32)>,
    deaths_by_chunk: Vec<u64>,
    selected: Vec<f64>,
    /// Scratch of a calendar chunk: its randomisation times, in order.
    entries: Vec<f64>,
    /// Scratch: label counts, cell counts, arm counts.
    labels: Vec<u64>,
    counts: Vec<u64>,
    arm_counts: Vec<u64>,
    block: BlockState,
}

#[derive(Debug, Clone, Copy)]
struct Patient {
    time: f64,
    death: bool,
    arm: u32,
    stratum: u32,
}

/// A patient as drawn: randomisation time, and the rest before any analysis.
#[derive(Debug, Clone, Copy)]
struct Drawn {
    entry: f64,
    patient: Patient,
}

impl Drawn {
    /// The patient as an analysis at calendar time `analysis` sees it: none if randomised
    /// after it; else followed until it at most (the k-th death itself is seen: compared in
    /// calendar time, as it was chosen, so that rounding cannot censor it). Written without a
    /// branch on censoring: a third of the patients are censored, at random.
    #[inline]
    fn at(&self, analysis: f64) -> Option<Patient> {
        if self.entry > analysis {
            return None;
        }
        let mut p = self.patient;
        let censored = self.entry + p.time > analysis;
        p.time = std::hint::select_unpredictable(censored, analysis - self.entry, p.time);
        p.death &= !censored;
        Some(p)
    }
}

/// Each day's death probability and loss probability given no death, for a patient at risk at
/// the day's start, as samplers.
fn day_samplers(
    control: &PiecewiseHazard,
    (hazard_ratio, loss_hazard): (f64, f64),
    model: &SurvivalModel,
    bound: u64,
    share: usize,
) -> Vec<(BinomialSampler, BinomialSampler)> {
    let days = model
        .follow_up_days
        .expect("count level: a fixed follow-up") as u32;
    (1..=days)
        .map(|d| {
            let (death, lost) = survival::competing(
                control,
                hazard_ratio,
                loss_hazard,
                f64::from(d - 1),
                f64::from(d),
            );
            let lost_given_alive = if death < 1.0 {
                (lost / (1.0 - death)).clamp(0.0, 1.0)
            } else {
                0.0
            };
            (
                BinomialSampler::without_search_tables_within(death, bound, share),
                BinomialSampler::without_search_tables_within(lost_given_alive, bound, share),
            )
        })
        .collect()
}

impl SurvivalSimulator {
    pub fn new(design: &Design) -> SurvivalSimulator {
        SurvivalSimulator::with_hazard_ratios(design, |a, s, e| design.hazard_ratio(a, s, e))
    }

    /// The design's trials with every arm's hazard ratio `null` times control's, in every
    /// label and true endotype: on the boundary of the null hypothesis.
    pub fn at_null(design: &Design, null: f64) -> SurvivalSimulator {
        let c = design.control;
        SurvivalSimulator::with_hazard_ratios(design, |a, s, e| {
            design.hazard_ratio(c, s, e) * if a == c { 1.0 } else { null }
        })
    }

    /// The same simulator drawing an event-driven trial's patients until its `deaths`-th death
    /// is certain to be among them (a re-estimated final analysis may come after the planned
    /// one).
    pub fn drawing_until_death(mut self, deaths: u64) -> SurvivalSimulator {
        self.model.analysis_events = Some(deaths);
        self
    }

    /// The simulator with `hazard_ratio(arm, stratum, true endotype)` against the control
    /// hazard of the endotype.
    fn with_hazard_ratios(
        design: &Design,
        hazard_ratio: impl Fn(usize, usize, usize) -> f64,
    ) -> SurvivalSimulator {
        let model = design.survival().cloned().expect("a time-to-event design");
        let (arms, strata) = (design.arms.len(), design.eligible.len());
        let count_level = model.is_count_level();
        let follow_up = model.follow_up_days.unwrap_or(f64::INFINITY);
        let n = design.sample_size;
        // Count level: per cell (arm, stratum, endotype) a death and a loss sampler per day of
        // follow-up, and one chain sampler; they share the tables' memory.
        let cell_count: usize = (0..arms * strata)
            .map(|c| {
                let weights = design.endotypes_in_stratum(c % strata);
                weights.iter().filter(|&&w| w > 0.0).count()
            })
            .sum();
        let days = model.follow_up_days.map_or(0, |d| d as usize);
        let share = table_share(cell_count * (1 + if count_level { 2 * days } else { 0 }));
        let mut cells = Vec::new();
        let mut cell_range = Vec::new();
        let mut cell_chain = Vec::new();
        let mut cell_law = Vec::new();
        let mut cell_cumulative = Vec::new();
        for a in 0..arms {
            let mut cumulative = 0.0;
            for s in 0..strata {
                let weights = design.endotypes_in_stratum(s);
                let first = cells.len();
                let mut p = Vec::new();
                for (e, &w) in weights.iter().enumerate() {
                    if w <= 0.0 {
                        continue;
                    }
                    let ratio = hazard_ratio(a, s, e);
                    cells.push(if count_level {
                        let loss = model.dropout_hazard[a];
                        day_samplers(&model.control[e], (ratio, loss), &model, n, share)
                    } else {
                        Vec::new()
                    });
                    cell_law.push(CellLaw {
                        stratum: s as u32,
                        endotype: e,
                        hazard_ratio: ratio,
                        exponential_mean: model.control[e].constant().map(|r| 1.0 / (r * ratio)),
                    });
                    cumulative += design.stratum_prob[s] * w;
                    cell_cumulative.push(cumulative);
                    p.push(w);
                }
                cell_range.push(first..cells.len());
                cell_chain.push(
                    chain_probabilities(&p)
                        .into_iter()
                        .map(|c| BinomialSampler::without_search_tables_within(c, n, share))
                        .collect(),
                );
            }
        }
        let arm_cells: Vec<_> = (0..arms)
            .map(|a| cell_range[a * strata].start..cell_range[(a + 1) * strata - 1].end)
            .collect();
        // Given the arm, in case rounding left the total short of 1.
        for range in &arm_cells {
            let total = range.clone().last().map_or(1.0, |c| cell_cumulative[c]);
            for c in range.clone() {
                cell_cumulative[c] /= total;
            }
        }
        SurvivalSimulator {
            binary: Simulator::new(design),
            cell_law,
            arm_cells,
            cell_cumulative,
            accrual: Accrual::new(model.arrivals.as_ref(), n),
            sample_size: n,
            arms,
            strata,
            cells,
            cell_range,
            cell_chain,
            count_level,
            follow_up,
            eligible_fraction: design.eligible_fraction,
            model,
        }
    }

    pub fn new_trial(&self) -> SurvivalTrial {
        let days = if self.count_level {
            self.follow_up as usize
        } else {
            0
        };
        let groups = self.arms * self.strata;
        SurvivalTrial {
            randomised: vec![0; self.arms],
            events: vec![0; self.arms],
            duration: f64::NAN,
            at_risk: vec![0; groups * days],
            deaths: vec![0; groups * days],
            days,
            by_day: false,
            // Grown as needed: an event-driven trial may stop long before the sample size.
            patients: Vec::with_capacity(self.sample_size.min(1 << 16) as usize),
            sorted: Vec::new(),
            buckets: Vec::new(),
            drawn: Vec::new(),
            first_entry: 0.0,
            last_entry: 0.0,
            calendar: Vec::new(),
            deaths_by_chunk: vec![0; self.accrual.chunks + 1],
            selected: Vec::new(),
            entries: Vec::new(),
            labels: vec![0; self.strata],
            counts: vec![0; self.cells.len()],
            arm_counts: vec![0; self.arms],
            block: BlockState::new(self.arms),
        }
    }

    /// Simulates one trial into `out`, analysed at its (final) analysis.
    pub fn simulate<R: Rng + ?Sized>(&self, rng: &mut R, out: &mut SurvivalTrial) {
        if self.count_level {
            out.block.restart();
            self.counts(rng, out);
        } else {
            self.draw_patients(rng, out);
            let analysis = self.final_analysis(out);
            self.analyse_at(out, analysis);
        }
    }

    /// Screen failures before the `randomised` patients of `trial` (fewer than the sample size
    /// when an event-driven analysis came before the last randomisation): negative binomial.
    pub fn screen_failures<R: Rng + ?Sized>(&self, rng: &mut R, randomised: u64) -> u64 {
        if randomised == self.sample_size {
            self.binary.screen_failures(rng)
        } else {
            negative_binomial(rng, randomised, self.eligible_fraction)
        }
    }

    /// The risk sets of comparison `arm` against `control` into `sets`: per stratum when
    /// `stratified`, pooled over strata otherwise; in increasing time within a stratum.
    pub fn risk_sets(
        &self,
        trial: &SurvivalTrial,
        arm: usize,
        control: usize,
        stratified: bool,
        sets: &mut Vec<RiskSet>,
    ) {
        sets.clear();
        let strata = self.strata;
        let groups = if stratified { strata } else { 1 };
        // Counts per day: the count level, or patients in whole days (`tabulate_days`).
        if self.count_level || trial.by_day {
            let days = trial.days;
            for g in 0..groups {
                // The strata the group sums: its own, or every one.
                let group = if stratified { g..g + 1 } else { 0..strata };
                let of = |a: usize, v: &[u64], d: usize| -> u64 {
                    group.clone().map(|s| v[(a * strata + s) * days + d]).sum()
                };
                for d in 0..days {
                    let set = RiskSet {
                        arm_at_risk: of(arm, &trial.at_risk, d),
                        arm_events: of(arm, &trial.deaths, d),
                        control_at_risk: of(control, &trial.at_risk, d),
                        control_events: of(control, &trial.deaths, d),
                    };
                    if set.arm_events + set.control_events > 0 {
                        sets.push(set);
                    }
                }
            }
            return;
        }
        // Patient level: the sorted times of the comparison's two arms, per stratum group.
        if !stratified && self.arms == 2 {
            // Every patient is in the comparison: its arms' sizes are known.
            let totals = (trial.randomised[arm], trial.randomised[control]);
            let view = |p: &Patient| Some((p.time, p.death, p.arm as usize == arm));
            push_risk_sets_of(&trial.patients, view, totals, sets);
            return;
        }
        for g in 0..groups {
            push_risk_sets(
                &trial.patients,
                |p| {
                    let a = p.arm as usize;
                    ((!stratified || p.stratum as usize == g) && (a == arm || a == control))
                        .then_some((p.time, p.death, a == arm))
                },
                sets,
            );
        }
    }
}
