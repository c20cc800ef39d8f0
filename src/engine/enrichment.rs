//! Adaptive enrichment (`[adaptation]`): a two-arm trial that recruits every eligible label
//! until an interim look, keeps the populations (hypotheses) that the selection rule picks, and
//! then recruits only from their labels. Every hypothesis is tested by closed testing: each
//! intersection of hypotheses by the chosen local test (Simes or Bonferroni) on the stage-wise
//! p-values of its populations still in the trial, the stages combined by the inverse-normal
//! method with weights fixed by the planned look fractions, against the group-sequential
//! efficacy bounds. The definitions are rpact's (`getSimulationEnrichmentRates`), so that the
//! two agree to Monte Carlo error; the book's chapter `docs/src/enrichment.md` lists them.
//!
//! Count level: each stage's patients are counts per arm x label (a multinomial over the labels
//! recruited, or quotas), their dropouts and events binomial; a trial costs draws per stage and
//! label, whatever the sample size.

use rand::{Rng, RngExt};
use rand_distr::{Binomial, Distribution};
use statrs::distribution::{ContinuousCDF, Normal};

use crate::endpoint::binary::{BlockState, Simulator};
use crate::engine::Endpoint;
use crate::engine::tally::Tally;
use crate::engine::tally::comparison::ComparisonOutcome;
use crate::engine::tally::enrichment::EnrichmentTally;
use crate::engine::tally::sequential::Decision;
use crate::model::adaptation::{AdaptationPlan, MAX_HYPOTHESES, Selection};
use crate::model::design::Design;
use crate::model::vocabulary::{Intersection, LabelCounts, TestKind};
use crate::stats::analysis::{self, Statistic, Table, normal_upper};
use crate::stats::bivariate;
use crate::stats::boundaries;
use crate::stats::sampling::{
    BinomialSampler, chain_probabilities, multinomial, negative_binomial, table_share,
};

/// The labels recruited while a set of populations is in the trial.
#[derive(Debug, Clone)]
struct Recruitment {
    /// The strata recruited, their shares among them, and the chain samplers of that
    /// multinomial.
    strata: Vec<usize>,
    share: Vec<f64>,
    chain: Vec<BinomialSampler>,
    /// P(a screened patient has each recruited label), and their sum (the eligible fraction).
    screened: Vec<f64>,
    eligible: f64,
}

impl Recruitment {
    /// `tables`: the bytes each of its samplers may tabulate (`table_share`).
    fn new(design: &Design, strata: Vec<usize>, tables: usize) -> Recruitment {
        let p: Vec<f64> = strata.iter().map(|&s| design.stratum_prob[s]).collect();
        let total: f64 = p.iter().sum();
        // Labels that no patient has are never recruited (and a population of them only is
        // never kept: it has no observed effect).
        let share: Vec<f64> = p
            .iter()
            .map(|&q| if total > 0.0 { q / total } else { 0.0 })
            .collect();
        let screened: Vec<f64> = strata.iter().map(|&s| design.screened_with(s)).collect();
        Recruitment {
            chain: chain_probabilities(&share)
                .into_iter()
                .map(|c| BinomialSampler::within(c, design.sample_size, tables))
                .collect(),
            eligible: screened.iter().sum(),
            screened,
            share,
            strata,
        }
    }
}

/// Per stratum, one stage's (or the cumulative) counts: patients randomised (both arms), and
/// the 2 x 2 table of the evaluable.
#[derive(Debug, Clone, Copy, Default)]
struct Cell {
    randomised: u64,
    table: Table,
}

impl Cell {
    fn add(&mut self, o: &Cell) {
        self.randomised += o.randomised;
        let (t, u) = (&mut self.table, &o.table);
        t.arm_n += u.arm_n;
        t.arm_events += u.arm_events;
        t.control_n += u.control_n;
        t.control_events += u.control_events;
    }
}

/// The adaptive-enrichment endpoint as the parallel loop runs it.
pub struct EnrichmentEndpoint<'a> {
    design: &'a Design,
    plan: AdaptationPlan,
    sim: Simulator,
    arm: usize,
    /// Patients randomised in each stage (between consecutive looks).
    stages: Vec<u64>,
    /// Efficacy bounds (z) per look, inverse-normal weights per stage, and the norm of the
    /// weights to each look.
    critical: Vec<f64>,
    weights: Vec<f64>,
    norms: Vec<f64>,
    /// Per hypothesis: its strata, as a list and a bit mask; and whether it is a true null.
    strata_of: Vec<Vec<usize>>,
    true_null: Vec<bool>,
    stratified: bool,
    /// +1 when a higher risk is a benefit.
    sign: f64,
    /// Every eligible label (before the selection), and per mask of selected hypotheses the
    /// labels recruited after it.
    initial: Recruitment,
    after: Vec<Recruitment>,
    normal: Normal,
}

impl<'a> EnrichmentEndpoint<'a> {
    pub fn new(design: &'a Design) -> EnrichmentEndpoint<'a> {
        let plan = design.adaptation().cloned().expect("an adaptive design");
        let seq = design.sequential().expect("validated: [sequential]");
        let (b, _, _) = boundaries::of_design(design).expect("a sequential design");
        let mut previous = 0;
        let stages = seq
            .evaluable
            .iter()
            .map(|&n| {
                let m = n - previous;
                previous = n;
                m
            })
            .collect();
        // rpact's inverse-normal weights: sqrt of the planned information increments.
        let mut last = 0.0;
        let weights: Vec<f64> = seq
            .looks
            .iter()
            .map(|&t| {
                let w = f64::sqrt(t - last);
                last = t;
                w
            })
            .collect();
        let norms = weights
            .iter()
            .scan(0.0, |sum, w| {
                *sum += w * w;
                Some(sum.sqrt())
            })
            .collect();
        let strata_of: Vec<Vec<usize>> = design
            .analysis
            .hypotheses
            .iter()
            .map(|&h| design.strata_of(h))
            .collect();
        // The initial recruitment and one per set of populations kept share the tables.
        let populations = 1usize << strata_of.len();
        let share = table_share((populations + 1) * design.eligible.len());
        let after = (0..populations)
            .map(|mask| Recruitment::new(design, design.strata_of_populations(mask), share))
            .collect();
        let arm = design.comparisons().next().expect("two arms");
        EnrichmentEndpoint {
            true_null: design
                .analysis
                .hypotheses
                .iter()
                .map(|&h| design.is_true_null(arm, h))
                .collect(),
            design,
            sim: Simulator::new(design),
            arm,
            stages,
            critical: b.efficacy,
            weights,
            norms,
            strata_of,
            stratified: design.analysis.test == TestKind::Cmh,
            sign: design.benefit_sign(),
            initial: Recruitment::new(design, (0..design.eligible.len()).collect(), share),
            after,
            normal: Normal::standard(),
            plan,
        }
    }

    /// One stage of `m` patients recruited from the labels of `rec` into `stage` (per stratum);
    /// returns (randomised, screen failures).
    fn recruit<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        m: u64,
        rec: &Recruitment,
        b: &mut Buffers,
    ) -> (u64, u64) {
        b.stage.fill(Cell::default());
        let (arm, control) = (self.arm, self.design.control);
        match self.plan.label_counts {
            LabelCounts::Random => {
                self.sim.allocate(rng, m, &mut b.block, &mut b.arms);
                for a in [arm, control] {
                    let labels = &mut b.labels[..rec.strata.len()];
                    multinomial(rng, b.arms[a], &rec.chain, labels);
                    for (&s, &n) in rec.strata.iter().zip(labels.iter()) {
                        let (e, x) = self.sim.draw_cell(rng, a, s, n);
                        let cell = &mut b.stage[s];
                        cell.randomised += n;
                        if a == arm {
                            (cell.table.arm_n, cell.table.arm_events) = (e, x);
                        } else {
                            (cell.table.control_n, cell.table.control_events) = (e, x);
                        }
                    }
                }
                (m, negative_binomial(rng, m, rec.eligible))
            }
            LabelCounts::Fixed => {
                // rpact's quotas: the stage's patients times the label's share, then each arm's
                // part of it rounded (half to even, as R's round).
                let ratio = |a: usize| f64::from(self.design.arms[a].ratio);
                let arm_share = ratio(arm) / (ratio(arm) + ratio(control));
                let mut randomised = 0;
                for (i, (&s, &share)) in rec.strata.iter().zip(&rec.share).enumerate() {
                    let n = m as f64 * share;
                    let n_arm = (n * arm_share).round_ties_even() as u64;
                    let n_control = (n * (1.0 - arm_share)).round_ties_even() as u64;
                    let (ae, ax) = self.sim.draw_cell(rng, arm, s, n_arm);
                    let (ce, cx) = self.sim.draw_cell(rng, control, s, n_control);
                    b.stage[s] = Cell {
                        randomised: n_arm + n_control,
                        table: Table::new(ax, ae, cx, ce),
                    };
                    b.labels[i] = n_arm + n_control;
                    randomised += n_arm + n_control;
                }
                let quotas = &mut b.labels[..rec.strata.len()];
                (randomised, quota_failures(rng, &rec.screened, quotas))
            }
        }
    }

    /// The stage-wise z of hypothesis `h` (positive: benefit), from `cells`: stratified as
    /// rpact's enrichment simulation (the CMH z with binomial variances) for a population of
    /// several labels with `cmh`, the pooled z (the chi-square test's) otherwise.
    fn z(&self, h: usize, cells: &[Cell], stratified: bool) -> f64 {
        let strata = &self.strata_of[h];
        let z = if stratified && strata.len() > 1 {
            let (mut num, mut var) = (0.0, 0.0);
            for &s in strata {
                let t = &cells[s].table;
                let (n1, n0) = (t.arm_n as f64, t.control_n as f64);
                let Some(difference) = t.difference() else {
                    continue;
                };
                let w = n1 * n0 / (n1 + n0);
                let pooled = (t.arm_events + t.control_events) as f64 / (n1 + n0);
                num += w * difference;
                var += w * pooled * (1.0 - pooled);
            }
            if var > 0.0 { num / var.sqrt() } else { 0.0 }
        } else {
            match analysis::chi_square_z(&self.pooled(h, cells), false) {
                Statistic::Z(z) => z,
                // No events, or only events: z is 0 (as rpact sets it).
                _ => 0.0,
            }
        };
        self.sign * z
    }

    /// The table of hypothesis `h`'s population in `cells`, pooled over its labels.
    fn pooled(&self, h: usize, cells: &[Cell]) -> Table {
        let mut c = Cell::default();
        self.strata_of[h].iter().for_each(|&s| c.add(&cells[s]));
        c.table
    }

    /// The observed effect of hypothesis `h` in `cells` (risk difference in the direction of
    /// benefit, pooled over its labels), NaN when an arm has no evaluable patient.
    fn effect(&self, h: usize, cells: &[Cell]) -> f64 {
        self.pooled(h, cells)
            .difference()
            .map_or(f64::NAN, |d| self.sign * d)
    }

    /// The populations kept at the interim, as a mask, by the selection rule on the cumulative
    /// data. Each value gets a uniform jitter in (-1e-5, 1e-5), as rpact adds, so that ties are
    /// broken at random.
    fn select<R: Rng + ?Sized>(&self, rng: &mut R, b: &Buffers) -> u32 {
        let h = self.strata_of.len();
        let value = |rng: &mut R, i: usize| -> f64 {
            let effect = self.effect(i, &b.cumulative);
            // A population with an arm without patients has no observed effect: never kept.
            let v = match self.plan.selection {
                Selection::Threshold(_) if !effect.is_nan() => self.z(i, &b.cumulative, false),
                _ => effect,
            };
            v + rng.random_range(-1e-5..1e-5)
        };
        let mut values = [f64::NAN; MAX_HYPOTHESES];
        for (i, v) in values.iter_mut().enumerate().take(h) {
            *v = value(rng, i);
        }
        let values = &values[..h];
        let best = values
            .iter()
            .copied()
            .filter(|v| !v.is_nan())
            .fold(f64::NEG_INFINITY, f64::max);
        let keep = |i: usize| -> bool {
            let v = values[i];
            !v.is_nan()
                && match self.plan.selection {
                    Selection::All => true,
                    Selection::Best => v == best,
                    Selection::RBest(r) => rank(values, i) < r,
                    Selection::Epsilon(e) => best - v <= e,
                    Selection::Threshold(t) => v > t,
                }
        };
        // Best: the first of equal maxima (R's which.max).
        let mut mask = 0;
        for i in 0..h {
            if keep(i) {
                mask |= 1 << i;
                if self.plan.selection == Selection::Best {
                    break;
                }
            }
        }
        mask
    }

    /// The stage-wise p-value of intersection `set` (a mask of hypotheses available at this
    /// stage) from the hypotheses' p-values `p` (Spiessens-Debois: their z values and the
    /// patients `n` in each population at this stage).
    fn intersection_p(
        &self,
        set: u32,
        (p, z, n): (&[f64], &[f64], &[f64]),
        sorted: &mut Vec<f64>,
    ) -> f64 {
        if self.plan.intersection == Intersection::SpiessensDebois {
            // Two populations, one within the other (validated): their z statistics correlate
            // as sqrt(n_S / n_F); one alone is its own test.
            let members = (0..p.len()).filter(|&i| set >> i & 1 == 1);
            let (z_max, n_min, n_max) = members.fold(
                (f64::NEG_INFINITY, f64::INFINITY, 0.0f64),
                |(zm, lo, hi), i| (zm.max(z[i]), lo.min(n[i]), hi.max(n[i])),
            );
            return if set.count_ones() == 1 {
                normal_upper(z_max)
            } else {
                let rho = if n_max > 0.0 {
                    (n_min / n_max).sqrt()
                } else {
                    0.0
                };
                bivariate::max_of_two_upper(z_max, rho)
            };
        }
        sorted.clear();
        sorted.extend((0..p.len()).filter(|&i| set >> i & 1 == 1).map(|i| p[i]));
        let m = sorted.len() as f64;
        match self.plan.intersection {
            Intersection::Bonferroni => (m * sorted.iter().copied().fold(1.0, f64::min)).min(1.0),
            // 1 - (1 - min p)^m without the cancellation of 1 - (...) for small p.
            Intersection::Sidak => {
                let min = sorted.iter().copied().fold(1.0, f64::min);
                -(m * (-min).ln_1p()).exp_m1()
            }
            Intersection::SpiessensDebois => unreachable!("returned above"),
            Intersection::Simes => {
                sorted.sort_unstable_by(f64::total_cmp);
                sorted
                    .iter()
                    .enumerate()
                    .map(|(i, &q)| m / (i + 1) as f64 * q)
                    .fold(f64::INFINITY, f64::min)
                    .min(1.0)
            }
        }
    }

    /// Look `k`'s stage-wise p-values of the populations still in the trial (`selected`), and
    /// each intersection's inverse-normal combination against the look's bound.
    fn test_intersections(&self, k: usize, selected: u32, b: &mut Buffers) {
        let h = self.strata_of.len();
        let all: u32 = (1 << h) - 1;
        for i in 0..h {
            let kept = selected >> i & 1 == 1;
            b.z[i] = if kept {
                self.z(i, &b.stage, self.stratified)
            } else {
                f64::NAN
            };
            b.p[i] = if kept { normal_upper(b.z[i]) } else { f64::NAN };
            // Only Spiessens-Debois reads the populations' sizes.
            if self.plan.intersection == Intersection::SpiessensDebois {
                b.n[i] = self.strata_of[i]
                    .iter()
                    .map(|&s| (b.stage[s].table.arm_n + b.stage[s].table.control_n) as f64)
                    .sum();
            }
        }
        for set in 1..=all {
            let idx = set as usize - 1;
            let available = set & selected;
            if b.rejected[idx] || available == 0 {
                continue;
            }
            let p = self
                .intersection_p(available, (&b.p, &b.z, &b.n), &mut b.sorted)
                .clamp(f64::MIN_POSITIVE, 1.0 - 1e-16);
            b.z_sum[idx] += self.weights[k] * -self.normal.inverse_cdf(p);
            if b.z_sum[idx] / self.norms[k] >= self.critical[k] {
                b.rejected[idx] = true;
            }
        }
    }

    /// The hypotheses rejected by look `k`: each whose every intersection is (counted while its
    /// population is in the trial, as rpact counts it); the first rejection of each is recorded.
    fn reject_hypotheses(
        &self,
        k: usize,
        selected: u32,
        mut rejected: u32,
        b: &Buffers,
        enr: &mut EnrichmentTally,
    ) -> u32 {
        let h = self.strata_of.len();
        let all: u32 = (1 << h) - 1;
        let looks = self.stages.len();
        for i in 0..h {
            let bit = 1 << i;
            if rejected & bit == 0
                && selected & bit != 0
                && (1..=all)
                    .filter(|set| set & bit != 0)
                    .all(|set| b.rejected[set as usize - 1])
            {
                rejected |= bit;
                enr.rejected_at[i * looks + k] += 1;
            }
        }
        rejected
    }

    /// Records a finished trial's decisions (`rejected`: the hypotheses rejected) and its
    /// evaluable patients in the comparison's tally.
    fn record_decisions(&self, rejected: u32, b: &Buffers, tally: &mut Tally) {
        let h = self.strata_of.len();
        let t = &mut tally.comparisons[0];
        let (mut arm_n, mut control_n) = (0, 0);
        for c in &b.cumulative {
            arm_n += c.table.arm_n;
            control_n += c.table.control_n;
        }
        t.record(
            &ComparisonOutcome {
                rejected: rejected != 0,
                statistic: None,
                estimate: None,
                observed: None,
                evaluable_arm: arm_n,
                evaluable_control: control_n,
            },
            f64::NAN,
        );
        let count = rejected.count_ones() as usize;
        for (i, r) in t.hypothesis_rejections.iter_mut().enumerate() {
            *r += u64::from(rejected >> i & 1 == 1);
        }
        t.any_rejected += u64::from(count > 0);
        t.all_rejected += u64::from(count == h);
        t.true_null_rejected +=
            u64::from((0..h).any(|i| rejected >> i & 1 == 1 && self.true_null[i]));
    }
}

/// Screen failures until every label's quota is filled: the labels are taken in turn; the
/// failures before the current label's remaining quota (negative binomial) are spread over the
/// other labels and the ineligible (binomial chain), which fills part of the later quotas. Each
/// step is exact, since screening is a sequence of independent patients.
fn quota_failures<R: Rng + ?Sized>(rng: &mut R, screened: &[f64], quotas: &mut [u64]) -> u64 {
    let mut failures = 0;
    for i in 0..quotas.len() {
        let need = quotas[i];
        if need == 0 {
            continue;
        }
        let p = screened[i];
        let f = negative_binomial(rng, need, p);
        failures += f;
        quotas[i] = 0;
        // The f screened before the last of this quota: other labels in proportion.
        let (mut left, mut mass) = (f, 1.0 - p);
        for j in i + 1..quotas.len() {
            if left == 0 || mass <= 0.0 {
                break;
            }
            let q = (screened[j] / mass).clamp(0.0, 1.0);
            let got = Binomial::new(left, q).expect("q in [0, 1]").sample(rng);
            // Patients of a label beyond its quota are screened but not randomised.
            let used = got.min(quotas[j]);
            quotas[j] -= used;
            failures -= used;
            left -= got;
            mass -= screened[j];
        }
    }
    failures
}

/// Per-worker buffers of an enrichment trial.
pub struct Buffers {
    block: BlockState,
    arms: Vec<u64>,
    labels: Vec<u64>,
    stage: Vec<Cell>,
    cumulative: Vec<Cell>,
    /// Per hypothesis: this stage's p-value, z and patients (both arms).
    p: Vec<f64>,
    z: Vec<f64>,
    n: Vec<f64>,
    /// Per intersection (mask - 1): rejected so far, and the weighted sum of its stage z.
    rejected: Vec<bool>,
    z_sum: Vec<f64>,
    sorted: Vec<f64>,
}

impl Endpoint for EnrichmentEndpoint<'_> {
    type Buffers = Buffers;

    fn buffers(&self) -> Buffers {
        let strata = self.design.eligible.len();
        let h = self.strata_of.len();
        Buffers {
            block: BlockState::new(self.design.arms.len()),
            arms: vec![0; self.design.arms.len()],
            labels: vec![0; strata],
            stage: vec![Cell::default(); strata],
            cumulative: vec![Cell::default(); strata],
            p: vec![f64::NAN; h],
            z: vec![f64::NAN; h],
            n: vec![0.0; h],
            rejected: vec![false; (1 << h) - 1],
            z_sum: vec![0.0; (1 << h) - 1],
            sorted: Vec::with_capacity(h),
        }
    }

    fn trial<R: Rng + ?Sized>(&self, rng: &mut R, b: &mut Buffers, tally: &mut Tally) {
        let h = self.strata_of.len();
        let looks = self.stages.len();
        let all: u32 = (1 << h) - 1;
        b.block.restart();
        b.cumulative.fill(Cell::default());
        b.rejected.fill(false);
        b.z_sum.fill(0.0);
        tally.trials += 1;
        let mut selected = all;
        let mut rejected: u32 = 0;
        let (mut randomised, mut failures) = (0u64, 0u64);
        let mut screened_before = 0;
        let mut randomised_before = 0;
        let mut after_by_h = [0u64; MAX_HYPOTHESES];
        let at = self.plan.at_look;
        for k in 0..looks {
            let rec = if k <= at {
                &self.initial
            } else {
                &self.after[selected as usize]
            };
            let (n, f) = self.recruit(rng, self.stages[k], rec, b);
            randomised += n;
            failures += f;
            if k > at {
                for (i, count) in after_by_h.iter_mut().enumerate().take(h) {
                    if selected >> i & 1 == 1 {
                        *count += self.strata_of[i]
                            .iter()
                            .map(|&s| b.stage[s].randomised)
                            .sum::<u64>();
                    }
                }
            }
            for (c, s) in b.cumulative.iter_mut().zip(&b.stage) {
                c.add(s);
            }
            if k == at {
                screened_before = randomised + failures;
                randomised_before = randomised;
            }
            self.test_intersections(k, selected, b);
            let (seq, enr) = tally.enrichment_mut();
            rejected = self.reject_hypotheses(k, selected, rejected, b, enr);
            seq.reach(k, randomised);
            let last = k + 1 == looks;
            // rpact's default success criterion: every population still in the trial rejected.
            let success = selected & !rejected == 0;
            let mut futile = false;
            if k == at && !success {
                let kept = self.select(rng, b) & selected;
                for i in 0..h {
                    enr.selected[i] += u64::from(kept >> i & 1 == 1);
                }
                futile = kept == 0;
                enr.futility += u64::from(futile);
                selected = kept;
            }
            if !(success || futile || last) {
                continue;
            }
            let efficacy = rejected != 0 && (success || last);
            seq.decide(0, k, Decision::one_sided(efficacy, futile));
            seq.end(k, randomised);
            if k < at {
                screened_before = randomised + failures;
                randomised_before = randomised;
            }
            *enr.screened_before.entry(screened_before).or_insert(0) += 1;
            *enr.screened_after
                .entry(randomised + failures - screened_before)
                .or_insert(0) += 1;
            enr.sum_randomised_before += u128::from(randomised_before);
            enr.sum_randomised_after += u128::from(randomised - randomised_before);
            for (sum, &n) in enr.randomised_after.iter_mut().zip(&after_by_h) {
                *sum += u128::from(n);
            }
            self.record_decisions(rejected, b, tally);
            tally.record_screening(failures, randomised);
            return;
        }
    }
}

/// The rank (from 0) of `values[i]` among `values` in decreasing order, equal values in order
/// of index (as R's `order(decreasing = TRUE)`). A NaN (no observed effect) is above no number;
/// its own rank means nothing (`select` keeps no NaN).
fn rank(values: &[f64], i: usize) -> usize {
    let v = values[i];
    values
        .iter()
        .enumerate()
        .filter(|&(j, &w)| w > v || (w == v && j < i))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::ChaCha8Rng;

    #[test]
    fn ranks_are_decreasing_with_ties_in_order() {
        let values = [0.1, 0.3, 0.1, 0.2];
        let ranks: Vec<usize> = (0..4).map(|i| rank(&values, i)).collect();
        assert_eq!(ranks, [2, 0, 3, 1]);
        // Exact ties keep the first (the jitter makes them improbable, not impossible).
        assert_eq!(rank(&[0.5, 0.5], 0), 0);
        assert_eq!(rank(&[0.5, 0.5], 1), 1);
    }

    /// A stratified population whose every label had no event, or only events, in a stage has
    /// z = 0 (as rpact sets it), not 0 / 0. The shipped scenario's first population, "overall",
    /// has both eligible labels.
    #[test]
    fn a_stage_without_variation_has_z_zero() {
        let text = include_str!("../../scenarios/immunosep_enrichment.toml");
        let design = crate::model::scenario::Scenario::from_text(
            std::path::Path::new("t.toml"),
            text.into(),
        )
        .unwrap()
        .design;
        let endpoint = EnrichmentEndpoint::new(&design);
        assert_eq!(endpoint.strata_of[0], [0, 1]);
        let cells = |events: fn(u64) -> u64| -> Vec<Cell> {
            [4, 6]
                .map(|n| Cell {
                    randomised: 2 * n,
                    table: Table::new(events(n), n, events(n), n),
                })
                .to_vec()
        };
        for cells in [cells(|_| 0), cells(|n| n)] {
            assert_eq!(endpoint.z(0, &cells, true), 0.0);
            assert_eq!(endpoint.z(0, &cells, false), 0.0);
        }
    }

    /// The intersection p-values of three hypotheses with p = 0.01, 0.2, 0.04, against their
    /// definitions: Bonferroni 3 min p, Simes min over i of 3 p_(i) / i, Sidak 1 - (1 - min p)^3.
    #[test]
    fn intersection_tests_are_their_definitions() {
        let text = include_str!("../../scenarios/immunosep_enrichment.toml");
        let mut design = crate::model::scenario::Scenario::from_text(
            std::path::Path::new("t.toml"),
            text.into(),
        )
        .unwrap()
        .design;
        let p = [0.01, 0.2, 0.04];
        let mut sorted = Vec::new();
        for (test, expected) in [
            (Intersection::Bonferroni, 0.03),
            (
                Intersection::Simes,
                (3.0 * 0.01f64).min(1.5 * 0.04).min(0.2),
            ),
            (Intersection::Sidak, 1.0 - 0.99f64.powi(3)),
        ] {
            if let crate::model::design::DesignKind::AdaptiveEnrichment(_, plan) = &mut design.kind
            {
                plan.intersection = test;
            }
            let endpoint = EnrichmentEndpoint::new(&design);
            let got = endpoint.intersection_p(0b111, (&p, &[0.0; 3], &[1.0; 3]), &mut sorted);
            assert!(
                (got - expected).abs() < 1e-15,
                "{test:?}: {got} vs {expected}"
            );
            // A subset: the two first hypotheses only.
            let two = endpoint.intersection_p(0b011, (&p, &[0.0; 3], &[1.0; 3]), &mut sorted);
            assert!(two < got || test == Intersection::Simes, "{test:?}: {two}");
        }
    }

    /// Screening by quota against screening patient by patient until every quota is filled:
    /// the mean and variance of the screen failures agree within 4 SE (quotas 30 and 70 of labels
    /// with 15% and 35% of screened patients, the rest ineligible).
    #[test]
    fn quota_screening_has_the_law_of_screening_one_patient_at_a_time() {
        // Two labels, and three: with two, the label mass left after the second is never read;
        // with the last quotas large, the failures spread over them do not fill them, so what is
        // left of those failures after each label matters.
        for (screened, quotas) in [
            (&[0.15, 0.35][..], &[30u64, 70][..]),
            (&[0.15, 0.2, 0.25][..], &[30u64, 40, 30][..]),
            (&[0.3, 0.2, 0.2][..], &[30u64, 60, 80][..]),
        ] {
            check_quota_screening(screened, quotas);
        }
    }

    fn check_quota_screening(screened: &[f64], quotas: &[u64]) {
        let draws = 40_000;
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let sampled: Vec<f64> = (0..draws)
            .map(|_| quota_failures(&mut rng, screened, &mut quotas.to_vec()) as f64)
            .collect();
        let direct: Vec<f64> = (0..draws)
            .map(|_| {
                let (mut need, mut failures) = (quotas.to_vec(), 0u64);
                while need.iter().any(|&n| n > 0) {
                    // The patient's label: the first whose cumulative share exceeds u, or none.
                    let u: f64 = rng.random();
                    let mut upper = 0.0;
                    let label = screened.iter().position(|&s| {
                        upper += s;
                        u < upper
                    });
                    match label {
                        Some(l) if need[l] > 0 => need[l] -= 1,
                        _ => failures += 1,
                    }
                }
                failures as f64
            })
            .collect();
        let moments = |v: &[f64]| {
            let n = v.len() as f64;
            let m = v.iter().sum::<f64>() / n;
            let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
            let m4 = v.iter().map(|x| (x - m).powi(4)).sum::<f64>() / n;
            (m, var, (var / n).sqrt(), ((m4 - var * var) / n).sqrt())
        };
        let (m1, v1, se_m1, se_v1) = moments(&sampled);
        let (m2, v2, se_m2, se_v2) = moments(&direct);
        assert!(
            (m1 - m2).abs() < 4.0 * se_m1.hypot(se_m2),
            "{screened:?}: mean {m1} vs {m2}"
        );
        assert!(
            (v1 - v2).abs() < 4.0 * se_v1.hypot(se_v2),
            "{screened:?}: variance {v1} vs {v2}"
        );
        // Not vacuous: the quota of the rarer label usually fills last, after about 200 screened.
        assert!(m2 > 80.0, "{screened:?}: {m2}");
    }
}
