//! The patient-level trial: continuous times, or an event-driven analysis (at the calendar time
//! of the k-th death, which depends on every patient's randomisation time). Patients are drawn a
//! calendar chunk at a time (`accrual`), analysed at a calendar time by tabulating whole days or
//! by sorting the recorded times.

use rand::{Rng, RngExt};
use rand_distr::Exp1;

use crate::endpoint::survival::{Drawn, Patient, SurvivalSimulator, SurvivalTrial};
use crate::model::vocabulary::TimeResolution;

impl SurvivalSimulator {
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
            self.draw_chunk(rng, chunk, (start, width), count, out);
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
        chunk: usize,
        (start, width): (f64, f64),
        count: u64,
        out: &mut SurvivalTrial,
    ) {
        if count == 0 {
            return;
        }
        ordered_times(rng, count, (start, width), &mut out.entries);
        self.accrual.to_days(chunk, &mut out.entries);
        let (first, last) = (out.entries[0], out.entries[out.entries.len() - 1]);
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
            let loss_hazard = model.dropout_hazard[a];
            let loss = if loss_hazard > 0.0 {
                rng.sample::<f64, _>(Exp1) / loss_hazard
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

    /// The calendar time of the final analysis of the drawn patients: the k-th death, or (a
    /// fixed follow-up, or fewer deaths than planned) when the last patient's follow-up ends.
    pub fn final_analysis(&self, trial: &mut SurvivalTrial) -> f64 {
        self.model
            .analysis_events
            .and_then(|k| self.death_time(trial, k))
            .unwrap_or_else(|| self.follow_up_end(trial))
    }

    /// The calendar time when the drawn patients' follow-up ends (infinite without a fixed
    /// follow-up): every death there is to see has come.
    pub fn follow_up_end(&self, trial: &SurvivalTrial) -> f64 {
        trial.last_entry + self.follow_up
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
    pub(super) fn sort_patients(&self, out: &mut SurvivalTrial, analysis: f64) {
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
}

/// The day a time `time` (>= 0, below 2^53) is recorded at: a death at the day it falls in
/// (its ceiling), a censoring at the last whole day (its floor). By conversion, not `ceil` and
/// `floor`: those are library calls on the baseline x86-64 target, a few per cent of an
/// event-driven trial.
#[inline]
pub(super) fn recorded_day(time: f64, death: bool) -> usize {
    // Signed conversion: one instruction on x86-64; truncation is the floor for time >= 0.
    let floor = time as i64;
    (floor + i64::from(death && (floor as f64) < time)) as usize
}

/// The randomisation times of `count` (> 0) patients in [start, start + width), in
/// increasing order, into `times`; returns the first and the last. The partial sums of
/// count + 1 standard exponentials over their total are the order statistics of count
/// uniforms (Rényi): linear time, no sort.
pub(super) fn ordered_times<R: Rng + ?Sized>(
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

/// Sorts `patients` (times >= 0, the longest `longest`) by time in expected linear time: a
/// counting sort into about one bucket per patient over [0, longest], then an insertion sort,
/// which only moves patients within their bucket. A comparison sort of the ~600 patients of an
/// event-driven trial cost a seventh of the trial. Crowded buckets (times far from uniform)
/// take the comparison sort.
pub(super) fn sort_by_time(
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
