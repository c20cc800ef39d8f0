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
//!   of the k-th death, which depends on every patient's randomisation time). Buffers are
//!   reused from trial to trial.

use std::collections::BinaryHeap;

use rand::{Rng, RngExt};
use rand_distr::{Beta, Distribution, Exp1, Gamma};

use crate::endpoint::binary::{
    BinomialSampler, BlockState, Simulator, chain_probabilities, multinomial, negative_binomial,
};
use crate::model::design::Design;
use crate::model::hazard::PiecewiseHazard;
use crate::model::scenario::TimeResolution;
use crate::model::survival::{Arrivals, SurvivalModel};
use crate::stats::survival::{RiskSet, push_risk_sets};

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
    /// Patient level: the hazard ratio of arm x stratum x endotype (`(a * strata + s) *
    /// endotypes + e`), cumulative P(stratum), and per stratum cumulative P(endotype).
    hazard_ratio: Vec<f64>,
    endotypes: usize,
    stratum_cdf: Vec<f64>,
    endotype_cdf: Vec<Vec<f64>>,
    count_level: bool,
    follow_up: f64,
    eligible_fraction: f64,
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
    /// patients at risk and the deaths.
    at_risk: Vec<u64>,
    deaths: Vec<u64>,
    days: usize,
    /// Patient level: (recorded time, death, arm, stratum) of each patient randomised by the
    /// analysis, sorted by time.
    patients: Vec<Patient>,
    /// Patient level, as drawn: each patient's randomisation time, and the time from it to
    /// death or the end of follow-up (no analysis yet), in order of randomisation.
    entries: Vec<f64>,
    drawn: Vec<Patient>,
    /// The calendar times of the earliest deaths (as bits: non-negative floats order as their
    /// bits), the latest on top, and a copy to select an interim's death from.
    calendar: BinaryHeap<u64>,
    selected: Vec<u64>,
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

impl SurvivalSimulator {
    pub fn new(design: &Design) -> SurvivalSimulator {
        let model = design.survival.clone().expect("a time-to-event design");
        let (arms, strata) = (design.arms.len(), design.eligible.len());
        let count_level = model.is_count_level();
        let follow_up = model.follow_up_days.unwrap_or(f64::INFINITY);
        let n = design.sample_size;
        let mut cells = Vec::new();
        let mut cell_range = Vec::new();
        let mut cell_chain = Vec::new();
        let mut endotype_cdf = Vec::new();
        for a in 0..arms {
            for s in 0..strata {
                let weights = design.endotypes_in_stratum(s);
                let first = cells.len();
                let mut p = Vec::new();
                for (e, &w) in weights.iter().enumerate() {
                    if w <= 0.0 {
                        continue;
                    }
                    cells.push(if count_level {
                        day_samplers(&model.control[e], design.hazard_ratio(a, s, e), &model, n)
                    } else {
                        Vec::new()
                    });
                    p.push(w);
                }
                cell_range.push(first..cells.len());
                cell_chain.push(
                    chain_probabilities(&p)
                        .into_iter()
                        .map(|c| BinomialSampler::without_search_tables(c, n))
                        .collect(),
                );
                if a == 0 {
                    endotype_cdf.push(cumulative(&weights));
                }
            }
        }
        let endotypes = design.endotypes.len();
        let hazard_ratio = (0..arms * strata * endotypes)
            .map(|i| {
                design.hazard_ratio(
                    i / (strata * endotypes),
                    i / endotypes % strata,
                    i % endotypes,
                )
            })
            .collect();
        SurvivalSimulator {
            binary: Simulator::new(design),
            hazard_ratio,
            endotypes,
            sample_size: n,
            arms,
            strata,
            cells,
            cell_range,
            cell_chain,
            stratum_cdf: cumulative(&design.stratum_prob),
            endotype_cdf,
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
            // Grown as needed: an event-driven trial may stop long before the sample size.
            patients: Vec::with_capacity(self.sample_size.min(1 << 16) as usize),
            entries: Vec::new(),
            drawn: Vec::new(),
            calendar: BinaryHeap::new(),
            selected: Vec::new(),
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
            self.analyse_at(out, self.final_analysis(out));
        }
    }

    /// The count-level trial: every patient followed `follow_up_days`, recorded in days.
    fn counts<R: Rng + ?Sized>(&self, rng: &mut R, out: &mut SurvivalTrial) {
        let (strata, days) = (self.strata, out.days);
        self.binary
            .allocate(rng, self.sample_size, &mut out.block, &mut out.arm_counts);
        out.at_risk.fill(0);
        out.deaths.fill(0);
        out.events.fill(0);
        out.randomised.copy_from_slice(&out.arm_counts);
        for a in 0..self.arms {
            self.binary
                .draw_labels(rng, out.arm_counts[a], &mut out.labels);
            for (s, &n_s) in out.labels.iter().enumerate() {
                let g = a * strata + s;
                let range = self.cell_range[g].clone();
                let counts = &mut out.counts[range.clone()];
                multinomial(rng, n_s, &self.cell_chain[g], counts);
                for (cell, &n) in self.cells[range].iter().zip(counts.iter()) {
                    let mut alive = n;
                    for (d, (death, loss)) in cell.iter().enumerate() {
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
                }
            }
        }
        out.duration = match self.model.arrivals {
            None => f64::NAN,
            Some(arrivals) => accrual_span(rng, arrivals, self.sample_size) + self.follow_up,
        };
    }

    /// Draws the patients of a patient-level trial (continuous times, or an analysis at the
    /// k-th death) without analysing them: `analyse_at` does, at the final analysis
    /// (`final_analysis`) or at an interim (`interim_analysis`).
    pub fn draw_patients<R: Rng + ?Sized>(&self, rng: &mut R, out: &mut SurvivalTrial) {
        let n = self.sample_size;
        let model = &self.model;
        let k = model.analysis_events.map_or(usize::MAX, |k| k as usize);
        out.block.restart();
        out.drawn.clear();
        out.entries.clear();
        out.calendar.clear();
        let mut arrivals = ArrivalTimes::start(model.arrivals, n);
        for _ in 0..n {
            let entry = arrivals.next(rng);
            // Every later patient is randomised after the k-th death: not in the analysis.
            if out.calendar.len() == k && entry.to_bits() > *out.calendar.peek().expect("k > 0") {
                break;
            }
            out.arm_counts.fill(0);
            self.binary
                .allocate(rng, 1, &mut out.block, &mut out.arm_counts);
            let arm = out
                .arm_counts
                .iter()
                .position(|&c| c == 1)
                .expect("one patient");
            let stratum = pick(&self.stratum_cdf, rng.random());
            let endotype = pick(&self.endotype_cdf[stratum], rng.random());
            let ratio =
                self.hazard_ratio[(arm * self.strata + stratum) * self.endotypes + endotype];
            let death = model.control[endotype].inverse(rng.sample::<f64, _>(Exp1) / ratio);
            let loss = if model.dropout_hazard > 0.0 {
                rng.sample::<f64, _>(Exp1) / model.dropout_hazard
            } else {
                f64::INFINITY
            };
            let end = loss.min(self.follow_up);
            // A hazard so small that the death time overflows: never dies.
            let dies = death.is_finite() && death <= end;
            if dies && k < usize::MAX {
                out.calendar.push((entry + death).to_bits());
                if out.calendar.len() > k {
                    out.calendar.pop();
                }
            }
            out.entries.push(entry);
            out.drawn.push(Patient {
                time: death.min(end),
                death: dies,
                arm: arm as u32,
                stratum: stratum as u32,
            });
        }
    }

    /// The calendar time of the final analysis of the drawn patients: the k-th death, or (a
    /// fixed follow-up, or fewer deaths than planned) when the last patient's follow-up ends.
    pub fn final_analysis(&self, trial: &SurvivalTrial) -> f64 {
        let k = self
            .model
            .analysis_events
            .map_or(usize::MAX, |k| k as usize);
        match trial.calendar.peek() {
            Some(&bits) if trial.calendar.len() == k => f64::from_bits(bits),
            _ => trial.entries.last().copied().unwrap_or(0.0) + self.follow_up,
        }
    }

    /// The calendar time of the `events`-th death of the drawn patients (an interim of an
    /// event-driven design, `events` at most analysis_events), or `None` when fewer deaths come.
    pub fn interim_analysis(&self, trial: &mut SurvivalTrial, events: u64) -> Option<f64> {
        let i = (events as usize).checked_sub(1)?;
        if i >= trial.calendar.len() {
            return None;
        }
        trial.selected.clear();
        trial.selected.extend_from_slice(trial.calendar.as_slice());
        Some(f64::from_bits(*trial.selected.select_nth_unstable(i).1))
    }

    /// Analyses the drawn patients at calendar time `analysis`: those randomised by then,
    /// followed until then at most, recorded at the trial's resolution and sorted by time.
    pub fn analyse_at(&self, out: &mut SurvivalTrial, analysis: f64) {
        out.duration = match self.model.arrivals {
            Some(_) => analysis - out.entries.first().copied().unwrap_or(0.0),
            None => f64::NAN,
        };
        out.randomised.fill(0);
        out.events.fill(0);
        out.patients.clear();
        let day = self.model.resolution == TimeResolution::Day;
        for (&entry, &drawn) in out.entries.iter().zip(&out.drawn) {
            // Randomised in increasing order: every later patient comes after the analysis.
            if entry > analysis {
                break;
            }
            let mut p = drawn;
            // Followed until the analysis at most (the k-th death itself is seen: compared
            // in calendar time, as it was chosen, so that rounding cannot censor it).
            if entry + p.time > analysis {
                p.time = analysis - entry;
                p.death = false;
            }
            if day {
                p.time = if p.death {
                    p.time.ceil()
                } else {
                    p.time.floor()
                };
            }
            out.randomised[p.arm as usize] += 1;
            out.events[p.arm as usize] += u64::from(p.death);
            out.patients.push(p);
        }
        out.patients
            .sort_unstable_by(|a, b| a.time.total_cmp(&b.time));
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
        if self.count_level {
            let days = trial.days;
            for g in 0..groups {
                let of = |a: usize, v: &[u64], d: usize| -> u64 {
                    if stratified {
                        v[(a * strata + g) * days + d]
                    } else {
                        (0..strata).map(|s| v[(a * strata + s) * days + d]).sum()
                    }
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
        for g in 0..groups {
            let observations = trial
                .patients
                .iter()
                .filter(|p| {
                    let a = p.arm as usize;
                    (!stratified || p.stratum as usize == g) && (a == arm || a == control)
                })
                .map(|p| (p.time, p.death, p.arm as usize == arm));
            push_risk_sets(observations, sets);
        }
    }
}

/// Each day's death probability and loss probability given no death, for a patient at risk at
/// the day's start, as samplers.
fn day_samplers(
    control: &PiecewiseHazard,
    hazard_ratio: f64,
    model: &SurvivalModel,
    bound: u64,
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
                BinomialSampler::without_search_tables(death, bound),
                BinomialSampler::without_search_tables(lost_given_alive, bound),
            )
        })
        .collect()
}

fn cumulative(p: &[f64]) -> Vec<f64> {
    let mut total = 0.0;
    p.iter()
        .map(|&x| {
            total += x;
            total
        })
        .collect()
}

/// The category of uniform `u` by the cumulative probabilities `cdf`: never one of
/// probability 0 (the comparison is strict), and the last category that has probability when
/// rounding leaves `u` above the last sum.
fn pick(cdf: &[f64], u: f64) -> usize {
    let total = *cdf.last().expect("non-empty");
    cdf.iter().position(|&c| u * total < c).unwrap_or_else(|| {
        let mut last = cdf.len() - 1;
        while last > 0 && cdf[last] == cdf[last - 1] {
            last -= 1;
        }
        last
    })
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

/// Randomisation times in increasing order, one patient at a time (so that a trial stops
/// drawing patients once the rest cannot be in the analysis).
enum ArrivalTimes {
    /// All at time 0 (no accrual given: only the follow-up matters).
    None,
    /// The order statistics of n uniforms on [0, days], from the smallest, by Renyi's
    /// representation: -ln(1 - U(i)) is the i-th order statistic of n standard exponentials,
    /// whose gaps are independent, the i-th exponential with mean 1 / (n - i + 1).
    Uniform {
        days: f64,
        n: u64,
        drawn: u64,
        log_gap: f64,
    },
    /// Exponential gaps.
    Poisson { per_day: f64, last: f64 },
}

impl ArrivalTimes {
    fn start(arrivals: Option<Arrivals>, n: u64) -> ArrivalTimes {
        match arrivals {
            None => ArrivalTimes::None,
            Some(Arrivals::Uniform { days }) => ArrivalTimes::Uniform {
                days,
                n,
                drawn: 0,
                log_gap: 0.0,
            },
            Some(Arrivals::Poisson { per_day }) => ArrivalTimes::Poisson { per_day, last: 0.0 },
        }
    }

    fn next<R: Rng + ?Sized>(&mut self, rng: &mut R) -> f64 {
        match self {
            ArrivalTimes::None => 0.0,
            ArrivalTimes::Uniform {
                days,
                n,
                drawn,
                log_gap,
            } => {
                *log_gap += rng.sample::<f64, _>(Exp1) / (*n - *drawn) as f64;
                *drawn += 1;
                -(-*log_gap).exp_m1() * *days
            }
            ArrivalTimes::Poisson { per_day, last } => {
                *last += rng.sample::<f64, _>(Exp1) / *per_day;
                *last
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::scenario::Scenario;
    use rand::SeedableRng;
    use rand::rngs::ChaCha8Rng;

    fn design(extra: &str) -> Design {
        let text = format!(
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
        Scenario::from_text(std::path::Path::new("t.toml"), text)
            .unwrap()
            .design
    }

    /// Uniform accrual: the i-th of n randomisation times has mean i / (n + 1) of the period and
    /// variance i (n - i + 1) / ((n + 1)^2 (n + 2)) (a Beta(i, n - i + 1)); Poisson arrivals: the
    /// i-th has mean i / rate and variance i / rate^2. Within 4 SE for the first, middle and last.
    #[test]
    fn arrival_times_have_their_order_statistics_laws() {
        let n = 50u64;
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let draws = 40_000;
        for arrivals in [
            Arrivals::Uniform { days: 365.0 },
            Arrivals::Poisson { per_day: 0.5 },
        ] {
            let mut sums = vec![0.0; n as usize];
            for _ in 0..draws {
                let mut times = ArrivalTimes::start(Some(arrivals), n);
                let mut last = 0.0;
                for sum in sums.iter_mut() {
                    let t = times.next(&mut rng);
                    assert!(t >= last);
                    last = t;
                    *sum += t / f64::from(draws);
                }
            }
            for i in [1u64, 25, 50] {
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
                    "{arrivals:?} {i}: {got} vs {mean}"
                );
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
