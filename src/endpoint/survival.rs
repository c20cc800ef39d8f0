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
//! Two ways to draw a trial, with the same law for the risk sets:
//! - Count level: a fixed follow-up, day resolution and no event-driven analysis. The
//!   patients of each arm x label x endotype cell are a count, and each day's deaths and
//!   losses are binomial draws among those still at risk, with the exact competing-risk
//!   probabilities of that day. A trial costs draws per cell and day, whatever the sample size.
//! - Patient level: continuous times, or an event-driven analysis (analyse at the calendar time
//!   of the k-th death, which depends on every patient's randomisation time). Patients are
//!   drawn a calendar chunk at a time (`Accrual`): how many each chunk randomises, their
//!   randomisation times in order, then each patient in turn: its arm (the next place of the
//!   permuted blocks), its label and endotype given the arm, its death and loss times. An
//!   event-driven trial stops drawing after the chunk by whose end the k-th death has come.
//!   Buffers are reused from trial to trial.

use rand::{Rng, RngExt};
use rand_distr::{Beta, Distribution, Exp1, Gamma, Poisson};

use crate::endpoint::binary::{BlockState, Simulator};
use crate::model::design::Design;
use crate::model::hazard::PiecewiseHazard;
use crate::model::survival::{Arrivals, SurvivalModel};
use crate::model::vocabulary::TimeResolution;
use crate::stats::sampling::{
    BinomialSampler, chain_probabilities, multinomial, negative_binomial, table_share,
};
use crate::stats::survival::{RiskSet, push_risk_sets, push_risk_sets_of};

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

impl SurvivalSimulator {
    pub fn new(design: &Design) -> SurvivalSimulator {
        let model = design.survival.clone().expect("a time-to-event design");
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
                    let ratio = design.hazard_ratio(a, s, e);
                    cells.push(if count_level {
                        day_samplers(&model.control[e], ratio, &model, n, share)
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
            accrual: Accrual::new(model.arrivals, n),
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

    /// The count-level trial: every patient followed `follow_up_days`, recorded in days.
    fn counts<R: Rng + ?Sized>(&self, rng: &mut R, out: &mut SurvivalTrial) {
        let (strata, days) = (self.strata, out.days);
        out.at_risk.fill(0);
        out.deaths.fill(0);
        out.events.fill(0);
        self.binary
            .allocate(rng, self.sample_size, &mut out.block, &mut out.arm_counts);
        self.for_each_cell(rng, out, |rng, out, a, s, c, n| {
            let g = a * strata + s;
            let mut alive = n;
            for (d, (death, loss)) in self.cells[c].iter().enumerate() {
                if alive == 0 {
                    break;
                }
                let dead = death.sample(rng, alive);
                let lost = loss.sample(rng, alive - dead);
                // Lost during day d + 1: recorded at day d, not at risk on d + 1.
                out.at_risk[g * days + d] += alive - lost;
                out.deaths[g * days + d] += dead;
                out.events[a] += dead;
                alive -= dead + lost;
            }
        });
        out.randomised.copy_from_slice(&out.arm_counts);
        out.duration = match self.model.arrivals {
            None => f64::NAN,
            Some(arrivals) => accrual_span(rng, arrivals, self.sample_size) + self.follow_up,
        };
    }

    /// Draws the patients of a patient-level trial (continuous times, or an analysis at the
    /// k-th death) without analysing them: `analyse_at` does, at the final analysis
    /// (`final_analysis`) or at an interim (`death_time`).
    ///
    /// Chunk by chunk of calendar time: given how many a chunk randomises, their times are the
    /// order statistics of independent uniforms within it, and the patients take their arms
    /// along them in order of randomisation (the permuted blocks run on across chunks), as a
    /// trial randomising each patient in turn on arrival does (`draw_chunk`).
    pub fn draw_patients<R: Rng + ?Sized>(&self, rng: &mut R, out: &mut SurvivalTrial) {
        let k = self.model.analysis_events.unwrap_or(u64::MAX);
        out.block.restart();
        out.drawn.clear();
        out.calendar.clear();
        out.deaths_by_chunk.fill(0);
        out.first_entry = f64::INFINITY;
        out.last_entry = f64::NEG_INFINITY;
        let (mut left, mut deaths_before) = (self.sample_size, 0);
        for chunk in 0.. {
            if left == 0 {
                break;
            }
            let (start, width, count) = self.accrual.chunk(rng, chunk, left);
            left -= count;
            self.draw_chunk(rng, start, width, count, out);
            // Every later patient is randomised, and dies, after this chunk's end (deaths after
            // every chunk, the last place, are not complete until every patient is drawn).
            if chunk < self.accrual.chunks {
                deaths_before += out.deaths_by_chunk[chunk];
                if deaths_before >= k {
                    break;
                }
            }
        }
    }

    /// Draws `count` patients randomised in [start, start + width).
    ///
    /// The chunk's randomisation times are drawn in increasing order, and each patient in turn
    /// takes the next place of the permuted blocks (running on from `out.block`), so that a
    /// look at any calendar time cuts the randomisation sequence where it cuts the trial; then
    /// its label and true endotype given its arm, and its death and loss times.
    fn draw_chunk<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        start: f64,
        width: f64,
        count: u64,
        out: &mut SurvivalTrial,
    ) {
        if count == 0 {
            return;
        }
        let (first, last) = ordered_times(rng, count, (start, width), &mut out.entries);
        out.first_entry = out.first_entry.min(first);
        out.last_entry = out.last_entry.max(last);
        let model = &self.model;
        let event_driven = model.analysis_events.is_some();
        for &entry in &out.entries {
            let a = self.binary.next_arm(rng, &mut out.block);
            let c = self.cell_of(rng, a);
            let law = &self.cell_law[c];
            let e = rng.sample::<f64, _>(Exp1);
            let death = match law.exponential_mean {
                // One constant hazard: the inverse of the cumulative hazard is a product.
                Some(mean) => e * mean,
                None => model.control[law.endotype].inverse(e / law.hazard_ratio),
            };
            let loss = if model.dropout_hazard > 0.0 {
                rng.sample::<f64, _>(Exp1) / model.dropout_hazard
            } else {
                f64::INFINITY
            };
            let end = loss.min(self.follow_up);
            // A hazard so small that the death time overflows: never dies.
            let dies = death.is_finite() && death <= end;
            if dies && event_driven {
                let calendar = entry + death;
                let chunk = self.accrual.chunk_of(calendar);
                out.calendar.push((calendar, chunk as u32));
                // The last place counts the deaths after every chunk.
                out.deaths_by_chunk[chunk] += 1;
            }
            out.drawn.push(Drawn {
                entry,
                patient: Patient {
                    time: if dies { death } else { end },
                    death: dies,
                    arm: a as u32,
                    stratum: law.stratum,
                },
            });
        }
    }

    /// The cell (label and true endotype) of a patient randomised to arm `a`: a categorical
    /// draw given the arm, none when the arm has one cell.
    fn cell_of<R: Rng + ?Sized>(&self, rng: &mut R, a: usize) -> usize {
        let range = self.arm_cells[a].clone();
        if range.len() == 1 {
            return range.start;
        }
        let u = rng.random::<f64>();
        let cumulative = &self.cell_cumulative[range.clone()];
        range.start
            + cumulative
                .iter()
                .position(|&p| u < p)
                .unwrap_or(range.len() - 1)
    }

    /// Count level: splits the patients of each arm (`out.arm_counts`) into labels and each
    /// label's into true endotypes, as counts; `each(rng, out, arm, stratum, cell, patients)`
    /// draws a cell's days as soon as its count is drawn.
    fn for_each_cell<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        out: &mut SurvivalTrial,
        mut each: impl FnMut(&mut R, &mut SurvivalTrial, usize, usize, usize, u64),
    ) {
        for a in 0..self.arms {
            self.binary
                .draw_labels(rng, out.arm_counts[a], &mut out.labels);
            for s in 0..self.strata {
                let g = a * self.strata + s;
                let range = self.cell_range[g].clone();
                multinomial(
                    rng,
                    out.labels[s],
                    &self.cell_chain[g],
                    &mut out.counts[range.clone()],
                );
                for c in range {
                    let patients = out.counts[c];
                    each(rng, out, a, s, c, patients);
                }
            }
        }
    }

    /// The calendar time of the final analysis of the drawn patients: the k-th death, or (a
    /// fixed follow-up, or fewer deaths than planned) when the last patient's follow-up ends.
    pub fn final_analysis(&self, trial: &mut SurvivalTrial) -> f64 {
        self.model
            .analysis_events
            .and_then(|k| self.death_time(trial, k))
            .unwrap_or(trial.last_entry + self.follow_up)
    }

    /// The calendar time of the `i`-th death of the drawn patients (from 1; an interim of an
    /// event-driven design, or its final analysis: at most analysis_events, as drawing stopped
    /// only once every chunk up to that death was complete), selected within its chunk; `None`
    /// when fewer deaths come.
    pub fn death_time(&self, trial: &mut SurvivalTrial, i: u64) -> Option<f64> {
        let rank = usize::try_from(i.checked_sub(1)?).ok()?;
        let mut before = 0;
        for (chunk, &deaths) in trial.deaths_by_chunk.iter().enumerate() {
            if before + deaths > i - 1 {
                trial.selected.clear();
                trial.selected.extend(
                    trial
                        .calendar
                        .iter()
                        .filter(|c| c.1 as usize == chunk)
                        .map(|c| c.0),
                );
                let rank = rank - before as usize;
                return Some(
                    *trial
                        .selected
                        .select_nth_unstable_by(rank, f64::total_cmp)
                        .1,
                );
            }
            before += deaths;
        }
        None
    }

    /// Analyses the drawn patients at calendar time `analysis`: those randomised by then,
    /// followed until then at most, recorded at the trial's resolution; tabulated by day in
    /// whole days, else sorted by time.
    pub fn analyse_at(&self, out: &mut SurvivalTrial, analysis: f64) {
        let day = self.model.resolution == TimeResolution::Day;
        if !(day && self.tabulate_days(out, analysis)) {
            self.sort_patients(out, analysis);
        }
    }

    /// What both ways of analysing set first: the duration, and no patient counted yet.
    fn start_analysis(&self, out: &mut SurvivalTrial, analysis: f64) {
        out.duration = match self.model.arrivals {
            Some(_) => analysis - out.first_entry,
            None => f64::NAN,
        };
        out.randomised.fill(0);
        out.events.fill(0);
        out.patients.clear();
        out.by_day = false;
    }

    /// `analyse_at` by sorting the patients by their recorded times.
    fn sort_patients(&self, out: &mut SurvivalTrial, analysis: f64) {
        self.start_analysis(out, analysis);
        let day = self.model.resolution == TimeResolution::Day;
        let mut longest = 0.0f64;
        for drawn in &out.drawn {
            let Some(mut p) = drawn.at(analysis) else {
                continue;
            };
            if day {
                p.time = if p.death {
                    p.time.ceil()
                } else {
                    p.time.floor()
                };
            }
            out.randomised[p.arm as usize] += 1;
            out.events[p.arm as usize] += u64::from(p.death);
            longest = longest.max(p.time);
            out.patients.push(p);
        }
        sort_by_time(
            &mut out.patients,
            longest,
            &mut out.sorted,
            &mut out.buckets,
        );
    }

    /// Times in whole days, analysed at calendar time `analysis`: each patient counted into
    /// its (arm, stratum) and recorded day, as the count level records a trial (`at_risk`,
    /// `deaths`), instead of sorted: the same risk sets (a death recorded at day k and every
    /// patient recorded at k or later at risk for it), with no sort. False, and nothing done,
    /// when the days to tabulate would outnumber the patients many times over (the sort is
    /// cheaper then).
    fn tabulate_days(&self, out: &mut SurvivalTrial, analysis: f64) -> bool {
        // No recorded time is beyond the longest follow-up to the analysis.
        let longest = (analysis - out.first_entry).min(self.follow_up).ceil();
        // (NaN, or below 0, when no patient was drawn.)
        if !(0.0..=(64 * out.drawn.len().max(16)) as f64).contains(&longest) {
            return false;
        }
        // Index = the recorded day, 0 to longest (a death at time 0 is recorded at day 0), and
        // one day more: a time that is not censored, entry + time <= analysis, may still pass
        // analysis - entry by rounding.
        self.start_analysis(out, analysis);
        let (days, strata) = (longest as usize + 2, self.strata);
        out.days = days;
        out.by_day = true;
        let cells = self.arms * strata * days;
        out.at_risk.clear();
        out.at_risk.resize(cells, 0);
        out.deaths.clear();
        out.deaths.resize(cells, 0);
        for drawn in &out.drawn {
            let Some(p) = drawn.at(analysis) else {
                continue;
            };
            // A death recorded at the day it falls in, a censoring at the last whole day.
            let (death, recorded) = (p.death, recorded_day(p.time, p.death));
            let a = p.arm as usize;
            out.randomised[a] += 1;
            out.events[a] += u64::from(death);
            // At risk on days 0..=recorded (filled below), a death on its day.
            let cell = (a * strata + p.stratum as usize) * days + recorded;
            out.at_risk[cell] += 1;
            out.deaths[cell] += u64::from(death);
        }
        // At risk on day d: recorded at d or later.
        for row in out.at_risk.chunks_mut(days) {
            let mut later = 0;
            for n in row.iter_mut().rev() {
                later += *n;
                *n = later;
            }
        }
        true
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

/// The day a time `time` (>= 0, below 2^53) is recorded at: a death at the day it falls in
/// (its ceiling), a censoring at the last whole day (its floor). By conversion, not `ceil` and
/// `floor`: those are library calls on the baseline x86-64 target, a few per cent of an
/// event-driven trial.
#[inline]
fn recorded_day(time: f64, death: bool) -> usize {
    // Signed conversion: one instruction on x86-64; truncation is the floor for time >= 0.
    let floor = time as i64;
    (floor + i64::from(death && (floor as f64) < time)) as usize
}

/// Each day's death probability and loss probability given no death, for a patient at risk at
/// the day's start, as samplers.
fn day_samplers(
    control: &PiecewiseHazard,
    hazard_ratio: f64,
    model: &SurvivalModel,
    bound: u64,
    share: usize,
) -> Vec<(BinomialSampler, BinomialSampler)> {
    let days = model
        .follow_up_days
        .expect("count level: a fixed follow-up") as u32;
    (1..=days)
        .map(|d| {
            let (death, lost) = control.competing(
                hazard_ratio,
                model.dropout_hazard,
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

/// The randomisation times of `count` (> 0) patients in [start, start + width), in
/// increasing order, into `times`; returns the first and the last. The partial sums of
/// count + 1 standard exponentials over their total are the order statistics of count
/// uniforms (Rényi): linear time, no sort.
fn ordered_times<R: Rng + ?Sized>(
    rng: &mut R,
    count: u64,
    (start, width): (f64, f64),
    times: &mut Vec<f64>,
) -> (f64, f64) {
    times.clear();
    let mut sum = 0.0;
    for _ in 0..count {
        sum += rng.sample::<f64, _>(Exp1);
        times.push(sum);
    }
    let scale = width / (sum + rng.sample::<f64, _>(Exp1));
    for t in times.iter_mut() {
        *t = start + scale * *t;
    }
    (times[0], times[times.len() - 1])
}

/// Days between the first and the last of `n` randomisations.
fn accrual_span<R: Rng + ?Sized>(rng: &mut R, arrivals: Arrivals, n: u64) -> f64 {
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
const PATIENTS_PER_CHUNK: u64 = 48;
/// At most this many chunks are tracked (Poisson arrivals: twice the expected span).
const MAX_CHUNKS: u64 = 1 << 12;
/// Entries of the chunk count samplers' tables, all chunks together (8 bytes each): a count of
/// patients left beyond its table is drawn by rand_distr's binomial instead.
const CHUNK_TABLE_ENTRIES: u64 = 1 << 20;

/// Randomisation times by calendar chunks of equal width: chunk j is [j w, (j + 1) w), and a
/// chunk's patients are independent uniforms within it, given how many there are.
#[derive(Debug, Clone)]
struct Accrual {
    width: f64,
    /// 1 / width: a first guess at a time's chunk without a division (`chunk_of`).
    per_width: f64,
    /// The chunk starts j width, j = 0..=chunks, as `chunk` computes them.
    starts: Vec<f64>,
    /// Chunks whose deaths are counted apart (`chunk_of`); any death later counts in one more.
    chunks: usize,
    counts: ChunkCounts,
}

#[derive(Debug, Clone)]
enum ChunkCounts {
    /// All at time 0 (no accrual given: only the follow-up matters): one chunk of every patient.
    None,
    /// N uniforms over the period: chunk j takes a binomial share 1 / (chunks - j) of the
    /// patients left (a multinomial over equal chunks, drawn as a chain).
    Uniform(Vec<BinomialSampler>),
    /// A Poisson process: a Poisson count per chunk, until the N-th patient.
    Poisson(Poisson<f64>),
}

impl Accrual {
    fn new(arrivals: Option<Arrivals>, n: u64) -> Accrual {
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
    fn chunk<R: Rng + ?Sized>(&self, rng: &mut R, j: usize, left: u64) -> (f64, f64, u64) {
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
    fn chunk_of(&self, t: f64) -> usize {
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

/// Sorts `patients` (times >= 0, the longest `longest`) by time in expected linear time: a
/// counting sort into about one bucket per patient over [0, longest], then an insertion sort,
/// which only moves patients within their bucket. A comparison sort of the ~600 patients of an
/// event-driven trial cost a seventh of the trial. Crowded buckets (times far from uniform)
/// take the comparison sort.
fn sort_by_time(
    patients: &mut Vec<Patient>,
    longest: f64,
    scratch: &mut Vec<Patient>,
    buckets: &mut Vec<u32>,
) {
    const CROWDED: u32 = 16;
    let by_time = |a: &Patient, b: &Patient| a.time.total_cmp(&b.time);
    let n = patients.len();
    if n < 64 || !longest.is_finite() || longest <= 0.0 {
        patients.sort_unstable_by(by_time);
        return;
    }
    let size = n.next_power_of_two();
    let scale = size as f64 / longest;
    // Signed conversion: one instruction on x86-64 (times are >= 0).
    let bucket = |p: &Patient| ((p.time * scale) as i64 as usize).min(size - 1);
    buckets.clear();
    buckets.resize(size + 1, 0);
    for p in patients.iter() {
        buckets[bucket(p) + 1] += 1;
    }
    let mut crowded = false;
    for b in 1..=size {
        crowded |= buckets[b] > CROWDED;
        buckets[b] += buckets[b - 1];
    }
    if crowded {
        patients.sort_unstable_by(by_time);
        return;
    }
    scratch.clear();
    scratch.resize(n, patients[0]);
    for p in patients.iter() {
        let slot = &mut buckets[bucket(p)];
        scratch[*slot as usize] = *p;
        *slot += 1;
    }
    for i in 1..n {
        let p = scratch[i];
        let mut j = i;
        while j > 0 && scratch[j - 1].time > p.time {
            scratch[j] = scratch[j - 1];
            j -= 1;
        }
        scratch[j] = p;
    }
    std::mem::swap(patients, scratch);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::scenario::Scenario;
    use crate::stats::sampling::TABLE_BYTES;
    use rand::SeedableRng;
    use rand::rngs::ChaCha8Rng;

    fn design(extra: &str) -> Design {
        design_replacing(extra, "", "")
    }

    /// `design(extra)` with `from` replaced by `to` in its text.
    fn design_replacing(extra: &str, from: &str, to: &str) -> Design {
        let mut text = format!(
            r#"
name = "risk_sets"
[simulation]
replicates = 1
seed = 1
[[endotype]]
name = "all"
prevalence = 1.0
control_mortality = {{ 3 = 0.2, 10 = 0.5 }}
[enrollment]
sample_size = 200
dropout = 0.6
accrual_days = 100
[endpoint]
event = "death"
better = "lower"
kind = "time_to_event"
follow_up_days = 10
{extra}
[[treatment]]
name = "drug"
effect = "hazard_ratio"
by_endotype = {{ all = 0.5 }}
[[arm]]
name = "placebo"
ratio = 1
[[arm]]
name = "drug"
ratio = 1
treatment = "drug"
[analysis]
control = "placebo"
test = "logrank"
"#
        );
        if !from.is_empty() {
            text = text.replace(from, to);
        }
        Scenario::from_text(std::path::Path::new("t.toml"), text)
            .unwrap()
            .design
    }

    /// A thousand endotypes followed 90 days at N = 20,000 keep the per-day tables within their
    /// bound (2,000 cells x 90 days x 2 samplers x 20,001 n x 8 bytes = 5.8 GB before it).
    #[test]
    fn a_thousand_endotypes_share_the_tables_memory() {
        let mut text = String::from("name = \"many\"\n[simulation]\nreplicates = 1\nseed = 1\n");
        for i in 0..1000 {
            text += &format!(
                "[[endotype]]\nname = \"e{i}\"\nprevalence = 0.001\ncontrol_mortality = {{ 90 = 0.4 }}\n"
            );
        }
        text += "[enrollment]\nsample_size = 20000\n[endpoint]\nevent = \"death\"\nbetter = \"lower\"\n\
                 kind = \"time_to_event\"\nfollow_up_days = 90\n\
                 [[arm]]\nname = \"a\"\nratio = 1\n[[arm]]\nname = \"b\"\nratio = 1\n\
                 [analysis]\ncontrol = \"a\"\ntest = \"logrank\"\n";
        let design = Scenario::from_text(std::path::Path::new("t.toml"), text)
            .unwrap()
            .design;
        let sim = SurvivalSimulator::new(&design);
        let days: usize = sim.cells.iter().map(Vec::len).sum();
        assert_eq!(days, 2000 * 90);
        let bytes: usize = sim
            .cells
            .iter()
            .flatten()
            .map(|(death, lost)| death.table_bytes() + lost.table_bytes())
            .chain(
                sim.cell_chain
                    .iter()
                    .flatten()
                    .map(BinomialSampler::table_bytes),
            )
            .sum();
        assert!(bytes <= TABLE_BYTES, "{bytes}");
        assert!(bytes > TABLE_BYTES / 4, "{bytes}: the share is used");
    }

    /// The randomisation times of `n` patients drawn chunk by chunk, as `draw_chunk` does.
    fn entries(accrual: &Accrual, n: u64, rng: &mut ChaCha8Rng) -> Vec<f64> {
        let (mut left, mut times) = (n, Vec::new());
        for j in 0.. {
            if left == 0 {
                break;
            }
            let (start, width, count) = accrual.chunk(rng, j, left);
            left -= count;
            if count == 0 {
                continue;
            }
            let mut order = Vec::new();
            let (first, last) = ordered_times(rng, count, (start, width), &mut order);
            assert!(order.is_sorted(), "{order:?}");
            assert_eq!((first, last), (order[0], order[order.len() - 1]));
            times.extend(order);
        }
        assert!(times.is_sorted());
        times
    }

    /// Uniform accrual: the i-th of n randomisation times has mean i / (n + 1) of the period and
    /// variance i (n - i + 1) / ((n + 1)^2 (n + 2)) (a Beta(i, n - i + 1)); Poisson arrivals: the
    /// i-th has mean i / rate and variance i / rate^2. Within 4 SE for the first, a middle one
    /// and the last, with several chunks (and, Poisson, the N-th patient's chunk cut short).
    #[test]
    fn arrival_times_have_their_order_statistics_laws() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let draws = 40_000;
        for n in [50u64, 150] {
            for arrivals in [
                Arrivals::Uniform { days: 365.0 },
                Arrivals::Poisson { per_day: 0.5 },
            ] {
                let accrual = Accrual::new(Some(arrivals), n);
                let mut sums = vec![0.0; n as usize];
                for _ in 0..draws {
                    let times = entries(&accrual, n, &mut rng);
                    assert_eq!(times.len() as u64, n);
                    for (sum, t) in sums.iter_mut().zip(times) {
                        *sum += t / f64::from(draws);
                    }
                }
                for i in [1u64, n / 2, n - 1, n] {
                    let x = i as f64;
                    let (mean, var) = match arrivals {
                        Arrivals::Uniform { days } => {
                            let m = (n + 1) as f64;
                            (
                                days * x / m,
                                days * days * x * (m - x) / (m * m * (m + 1.0)),
                            )
                        }
                        Arrivals::Poisson { per_day } => (x / per_day, x / (per_day * per_day)),
                    };
                    let got = sums[i as usize - 1];
                    let se = (var / f64::from(draws)).sqrt();
                    assert!(
                        (got - mean).abs() < 4.0 * se,
                        "{arrivals:?} n {n}, {i}: {got} vs {mean}"
                    );
                }
            }
        }
    }

    /// The chunk count samplers' tables stay within CHUNK_TABLE_ENTRIES whatever N (they took
    /// 1 GB at N = 10^6 before they were capped), and hold every count of a usual design.
    #[test]
    fn chunk_count_tables_are_bounded() {
        let tables = |n: u64| -> u64 {
            match Accrual::new(Some(Arrivals::Uniform { days: 720.0 }), n).counts {
                ChunkCounts::Uniform(shares) => {
                    shares.iter().map(|s| s.mode_table_len() as u64).sum()
                }
                _ => unreachable!("uniform accrual"),
            }
        };
        assert!(tables(10_000_000) <= CHUNK_TABLE_ENTRIES + MAX_CHUNKS);
        // 1,600 patients in 34 chunks: a table for every count left (the last chunk's p = 1
        // needs none).
        assert_eq!(tables(1600), 33 * 1601);
    }

    /// A death is counted in the chunk whose [start, end) holds it, never before its patient's
    /// chunk, also at the chunk edges where `t / width` rounds across, at every number of
    /// chunks (up to Poisson arrivals' 4096) and width.
    #[test]
    fn deaths_fall_in_the_chunk_that_holds_them() {
        let accrual = Accrual::new(Some(Arrivals::Uniform { days: 1.0 / 3.0 }), 4800);
        assert_eq!(accrual.chunks, 100);
        let mut accruals = vec![accrual];
        for days in [1.0 / 3.0, 0.7, 720.0, 1e7 / 3.0] {
            for n in [1, 3 * 48, 7 * 48 - 5, 2048 * 48, 10_000_000] {
                accruals.push(Accrual::new(Some(Arrivals::Uniform { days }), n));
            }
        }
        for per_day in [1e-3, 0.37, 3.0] {
            accruals.push(Accrual::new(Some(Arrivals::Poisson { per_day }), 1 << 30));
        }
        assert!(accruals.iter().any(|a| a.chunks == MAX_CHUNKS as usize));
        for accrual in &accruals {
            let chunks = accrual.chunks;
            let start = |j: usize| j as f64 * accrual.width;
            // The chunk by a search of every start.
            let starts: Vec<f64> = (1..=chunks).map(start).collect();
            let walked = |t: f64| starts.partition_point(|&s| s <= t);
            for j in 0..chunks {
                let edges = [start(j), start(j).next_up(), start(j + 1).next_down()];
                for t in edges.into_iter().chain([start(j).next_down()]) {
                    if t >= 0.0 {
                        assert_eq!(accrual.chunk_of(t), walked(t), "{t}, {chunks} chunks");
                    }
                }
                assert_eq!(accrual.chunk_of(start(j)), j);
                assert_eq!(accrual.chunk_of(start(j + 1).next_down()), j);
            }
            assert_eq!(accrual.chunk_of(start(chunks)), chunks);
            assert_eq!(accrual.chunk_of(1e300), chunks);
        }
    }

    /// An event-driven trial draws every chunk up to the one of its k-th death, and no later
    /// one (the patients after it cannot be in the analysis); when that death comes after the
    /// chunks tracked (or never), it draws every patient. Uniform accrual (5 chunks of 40), and
    /// Poisson arrivals of 4 patients, which often outlast the 2 chunks tracked.
    #[test]
    fn drawing_stops_after_the_chunk_of_the_kth_death() {
        let uniform = design("analysis_events = 40");
        let poisson = design_replacing(
            "analysis_events = 1",
            "sample_size = 200\ndropout = 0.6\naccrual_days = 100",
            "sample_size = 4\ndropout = 0.6\naccrual_per_month = 1",
        );
        for (d, chunks) in [(uniform, 5), (poisson, 2)] {
            let n = d.sample_size as usize;
            let sim = SurvivalSimulator::new(&d);
            assert_eq!(sim.accrual.chunks, chunks);
            let width = sim.accrual.width;
            let mut trial = sim.new_trial();
            let mut rng = ChaCha8Rng::seed_from_u64(4);
            let (mut stopped_early, mut past_the_chunks) = (0, 0);
            for _ in 0..2000 {
                sim.draw_patients(&mut rng, &mut trial);
                let chunk = sim.accrual.chunk_of(sim.final_analysis(&mut trial));
                if chunk == chunks {
                    assert_eq!(trial.drawn.len(), n);
                    past_the_chunks += 1;
                    continue;
                }
                let entries = trial.drawn.iter().map(|d| d.entry);
                let last = entries.fold(0.0f64, f64::max);
                assert!(last < (chunk + 1) as f64 * width, "{last} {chunk}");
                // Uniform: never an empty chunk, so the last drawn is in the k-th death's.
                assert!(n == 4 || last >= chunk as f64 * width, "{last} {chunk}");
                stopped_early += usize::from(trial.drawn.len() < n);
            }
            assert!(stopped_early > 300, "{stopped_early}");
            assert!(past_the_chunks > 20, "{past_the_chunks}");
        }
    }

    /// The bucket sort orders as a comparison sort: spread times, whole days with ties, times
    /// crowded into few buckets (the fallback), and short lists.
    #[test]
    fn patients_sort_by_time() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let (mut scratch, mut buckets) = (Vec::new(), Vec::new());
        // Exponential times, mean 30 (positive: a list whose longest time is 0 takes the
        // comparison sort).
        let spread = |u: f64| -(-u).ln_1p() * 30.0;
        let days = |u: f64| (u * 40.0).ceil();
        let crowded = |u: f64| if u < 0.99 { u * 1e-3 } else { 1e6 * u };
        for (law, n) in [
            (&spread as &dyn Fn(f64) -> f64, 600),
            (&days, 600),
            (&crowded, 600),
            (&spread, 20),
        ] {
            let mut patients: Vec<Patient> = (0..n)
                .map(|i| Patient {
                    time: law(rng.random::<f64>()),
                    death: i % 3 == 0,
                    arm: i % 2,
                    stratum: 0,
                })
                .collect();
            let mut expected: Vec<f64> = patients.iter().map(|p| p.time).collect();
            expected.sort_by(f64::total_cmp);
            let key = |p: &Patient| (p.time.to_bits(), p.arm, p.death);
            let mut ids: Vec<_> = patients.iter().map(key).collect();
            let longest = patients.iter().fold(0.0f64, |m, p| m.max(p.time));
            sort_by_time(&mut patients, longest, &mut scratch, &mut buckets);
            let got: Vec<f64> = patients.iter().map(|p| p.time).collect();
            assert_eq!(got, expected);
            // The same patients, not copies of one.
            let mut after: Vec<_> = patients.iter().map(key).collect();
            ids.sort();
            after.sort();
            assert_eq!(ids, after);
        }
    }

    #[test]
    fn a_recorded_day_is_the_ceiling_of_a_death_and_the_floor_of_a_censoring() {
        for t in [
            0.0,
            1e-300,
            0.3,
            1.0,
            1.0 + f64::EPSILON,
            2.5,
            27.999999,
            28.0,
            1e9 + 0.5,
        ] {
            assert_eq!(recorded_day(t, true), t.ceil() as usize, "{t}");
            assert_eq!(recorded_day(t, false), t.floor() as usize, "{t}");
        }
    }

    /// In whole days the tabulated trial has the risk sets of the sorted one, set for set,
    /// pooled and stratified, two and three arms, at the final analysis and at an early look.
    #[test]
    fn tabulated_days_give_the_risk_sets_of_sorted_patients() {
        let first = "prevalence = 1.0\ncontrol_mortality = { 3 = 0.2, 10 = 0.5 }";
        let strata = "prevalence = 0.5\ncontrol_mortality = { 3 = 0.2, 10 = 0.5 }\n\
                      [[endotype]]\nname = \"other\"\nprevalence = 0.5\ncontrol_mortality = { 10 = 0.3 }";
        let third = "[[arm]]\nname = \"low\"\nratio = 1\ntreatment = \"drug\"\n[analysis]";
        // The follow-up caps the days tabulated in the first three; not in the last.
        let uncapped = ("follow_up_days = 10", "follow_up_days = 1000");
        for (from, to) in [("", ""), (first, strata), ("[analysis]", third), uncapped] {
            let mut d = design_replacing("analysis_events = 60", from, to);
            assert!(
                from.is_empty() || d.eligible.len() == 2 || d.arms.len() == 3 || from == uncapped.0
            );
            d.survival.as_mut().unwrap().resolution = TimeResolution::Day;
            let sim = SurvivalSimulator::new(&d);
            let mut rng = ChaCha8Rng::seed_from_u64(11);
            let (mut tabulated, mut sorted) = (sim.new_trial(), sim.new_trial());
            let (mut a, mut b) = (Vec::new(), Vec::new());
            for _ in 0..200 {
                sim.draw_patients(&mut rng, &mut tabulated);
                sorted.drawn.clone_from(&tabulated.drawn);
                sorted.first_entry = tabulated.first_entry;
                let last = sim.final_analysis(&mut tabulated);
                for analysis in [
                    last,
                    tabulated.first_entry + 0.4 * (last - tabulated.first_entry),
                ] {
                    sim.analyse_at(&mut tabulated, analysis);
                    assert!(tabulated.by_day && tabulated.patients.is_empty());
                    // The days tabulated are those of the longest follow-up, and one spare.
                    let longest = (analysis - tabulated.first_entry).min(sim.follow_up);
                    assert_eq!(tabulated.days as f64, longest.ceil() + 2.0);
                    sim.sort_patients(&mut sorted, analysis);
                    assert!(!sorted.by_day);
                    assert_eq!(tabulated.randomised, sorted.randomised);
                    assert_eq!(tabulated.events, sorted.events);
                    assert_eq!(tabulated.duration.to_bits(), sorted.duration.to_bits());
                    for stratified in [false, true] {
                        let arm = d.comparisons().next().unwrap();
                        sim.risk_sets(&tabulated, arm, d.control, stratified, &mut a);
                        sim.risk_sets(&sorted, arm, d.control, stratified, &mut b);
                        assert!(!a.is_empty());
                        assert_eq!(a, b, "{to} stratified {stratified}");
                    }
                }
            }
        }
    }

    /// Mean recorded patients at risk and deaths per day and arm, over `trials` trials.
    fn mean_tables(d: &Design, trials: u32) -> (bool, Vec<[f64; 4]>) {
        let sim = SurvivalSimulator::new(d);
        let mut trial = sim.new_trial();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut sums = vec![[0.0; 4]; 10];
        for _ in 0..trials {
            sim.simulate(&mut rng, &mut trial);
            for (day, sum) in sums.iter_mut().enumerate() {
                for a in 0..2 {
                    let (at_risk, deaths) = if sim.count_level {
                        (trial.at_risk[a * 10 + day], trial.deaths[a * 10 + day])
                    } else if trial.by_day {
                        // Indexed by the recorded day itself (day + 1 here).
                        let cell = a * trial.days + day + 1;
                        if day + 1 < trial.days {
                            (trial.at_risk[cell], trial.deaths[cell])
                        } else {
                            (0, 0)
                        }
                    } else {
                        let d = (day + 1) as f64;
                        let on = trial.patients.iter().filter(|p| p.arm as usize == a);
                        let at_risk = on.clone().filter(|p| p.time >= d).count();
                        (
                            at_risk as u64,
                            on.filter(|p| p.death && p.time == d).count() as u64,
                        )
                    };
                    sum[2 * a] += at_risk as f64 / f64::from(trials);
                    sum[2 * a + 1] += deaths as f64 / f64::from(trials);
                }
            }
        }
        (sim.count_level, sums)
    }

    /// The recorded risk sets' expectations, exactly: on day d, of the n patients of an arm,
    /// n A(d - 1) (1 - q_d) are at risk (a patient lost during day d was last seen alive at the
    /// end of day d - 1) and n A(d - 1) p_d die, where p_d and q_d are the day's death and loss
    /// probabilities and A the probability of neither so far. Both ways of drawing a trial
    /// (counts; patients, with an event count never reached) within 4 SE (SD per trial at
    /// most sqrt(n / 4)).
    #[test]
    fn recorded_risk_sets_have_the_exact_expectations() {
        for extra in ["", "analysis_events = 200"] {
            let d = design(extra);
            let m = d.survival.as_ref().unwrap();
            let trials = 4000;
            let (count_level, tables) = mean_tables(&d, trials);
            assert_eq!(count_level, extra.is_empty());
            let se = (100.0f64 / 4.0 / f64::from(trials)).sqrt();
            for (a, ratio) in [(0, 1.0), (1, 0.5)] {
                let mut neither = 100.0;
                for (day, t) in tables.iter().enumerate() {
                    let (p, q) = m.control[0].competing(
                        ratio,
                        m.dropout_hazard,
                        day as f64,
                        day as f64 + 1.0,
                    );
                    let (at_risk, deaths) = (neither * (1.0 - q), neither * p);
                    assert!(
                        (t[2 * a] - at_risk).abs() < 4.0 * se,
                        "{extra} arm {a} day {}: at risk {} vs {at_risk}",
                        day + 1,
                        t[2 * a]
                    );
                    assert!(
                        (t[2 * a + 1] - deaths).abs() < 4.0 * se,
                        "{extra} arm {a} day {}: deaths {} vs {deaths}",
                        day + 1,
                        t[2 * a + 1]
                    );
                    neither *= 1.0 - p - q;
                }
            }
        }
    }
}
