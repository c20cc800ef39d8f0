//! Group-sequential trials: one virtual trial analysed at each look, stopping for efficacy or
//! futility, at count level.
//!
//! The randomisation sequence is cut into segments at the patients whose outcome is known at a
//! look (`evaluable[k]`) and at the patients randomised by then (`evaluable[k]` plus the
//! pipeline). A segment is randomised (arms drawn from the permuted blocks, which continue
//! across segments; screening drawn for it) when its patients are randomised, and its outcomes
//! are drawn when they become known. Each draw is exact, so the counts at every look have the
//! law of enrolling patients one at a time.
//!
//! The monitor is the same for every endpoint whose patients are drawn in segments (binary
//! counts, continuous moments): a `Segments` implementation adds a segment's outcomes to a
//! trial's cumulative data and analyses a comparison at a look.
//!
//! Multi-arm designs: each comparison with control is monitored with the same boundaries; a
//! comparison that stops takes its arm out of the trial. The arm's places in the block sequence
//! are then left empty, so the other arms keep their ratios and each comparison's information
//! at every look stays as planned (the boundaries stay exact); the trial ends when no
//! comparison is left, or at the last look.

use rand::Rng;

use crate::endpoint::binary::{BlockState, Simulator, TrialCounts};
use crate::engine::binary_analysis::{Scratch, compare};
use crate::engine::tally::Tally;
use crate::engine::tally::comparison::ComparisonOutcome;
use crate::engine::tally::sequential::Decision;
use crate::model::design::Design;
use crate::stats::analysis::{Level, Statistic};
use crate::stats::boundaries::{self, Sides};
use crate::stats::power;
use crate::stats::sampling::{self, ScreeningSampler};

/// Everything a sequential trial needs from the design, computed once per run.
#[derive(Debug, Clone)]
pub struct Monitor {
    looks: usize,
    /// Patients whose outcome is known at each look.
    evaluable: Vec<u64>,
    /// Patients randomised by each look (outcome known plus the pipeline).
    randomised_by: Vec<u64>,
    /// Ends of the segments of the randomisation sequence, increasing, the last the sample size.
    ends: Vec<u64>,
    /// The screening of each segment with every arm open.
    screening: Vec<ScreeningSampler>,
    eligible_fraction: f64,
    rule: StoppingRule,
}

/// The decision at each look of a group-sequential design, for any endpoint whose statistic is
/// a z: the efficacy level, the futility bound, and which sign of z is a benefit.
#[derive(Debug, Clone)]
pub struct StoppingRule {
    /// The efficacy decision at each look, as a significance level on the nominal scale.
    levels: Vec<Level>,
    /// Futility bounds at the interim looks (z, positive = benefit).
    futility: Option<Vec<f64>>,
    /// +1 when a higher risk is a benefit.
    sign: f64,
}

impl StoppingRule {
    /// `None` for a fixed-sample design. `max_df`: the largest chi-square degrees of freedom a
    /// decision will need (as `Level::new`).
    pub fn new(design: &Design, max_df: u32) -> Option<StoppingRule> {
        let plan = design.sequential()?;
        let (b, _, sides) = boundaries::of_design(design)?;
        // One look: the fixed design's level exactly (its bound is the normal quantile).
        let levels = if plan.looks.len() == 1 {
            vec![power::level(design, design.analysis.alpha, max_df)]
        } else {
            b.stage_levels()
                .iter()
                .map(|&p| {
                    let nominal = match sides {
                        Sides::One => p,
                        Sides::Two => 2.0 * p,
                    };
                    power::level(design, nominal, max_df)
                })
                .collect()
        };
        Some(StoppingRule {
            levels,
            futility: b.futility,
            sign: design.benefit_sign(),
        })
    }

    pub fn looks(&self) -> usize {
        self.levels.len()
    }

    /// At look `k`: whether `statistic` rejects for efficacy, stops for futility (never at the
    /// last look), or crosses a two-sided bound for harm when the power counts benefit only
    /// (the trial stops there, as rpact's two-sided designs do, without success).
    pub fn decide(&self, k: usize, statistic: Statistic) -> Decision {
        let level = &self.levels[k];
        // A crossing that does not count (for harm) stops all the same.
        let crossed = statistic.crosses(level);
        let efficacy = crossed && level.counts(statistic.direction());
        let harm = crossed && !efficacy;
        let z = match statistic {
            Statistic::Z(z) => self.sign * z,
            // No events, or only events: the pooled z is 0 (as rpact sets it).
            _ => 0.0,
        };
        let last = k + 1 == self.levels.len();
        let futile = !efficacy && !last && self.futility.as_ref().is_some_and(|f| z <= f[k]);
        Decision {
            efficacy,
            futile,
            harm,
        }
    }
}

/// What a sequential trial draws and analyses, per endpoint: a trial's cumulative data, the
/// outcomes of a segment's patients added to it, and a comparison analysed on it at a look.
pub trait Segments {
    /// A trial's cumulative data, with its patients randomised per arm and its permuted block.
    type Trial;
    /// The per-worker buffers of the analysis.
    type Scratch;
    /// The allocation and screening sampler (the binary endpoint's).
    fn allocator(&self) -> &Simulator;
    fn new_trial(&self, design: &Design) -> Self::Trial;
    /// Empties `trial` for the next one: no patients, no outcomes, a fresh block sequence.
    fn restart(&self, trial: &mut Self::Trial);
    /// The block sequence and the patients randomised per arm.
    fn allocation<'t>(&self, trial: &'t mut Self::Trial) -> (&'t mut BlockState, &'t mut [u64]);
    /// Draws the outcomes of `n` patients of arm `a` and adds them to `trial`.
    fn add_outcomes<R: Rng + ?Sized>(&self, rng: &mut R, a: usize, n: u64, trial: &mut Self::Trial);
    /// Comparison `arm` vs control on the data so far (`rejected` left to the monitor).
    fn analyse(
        &self,
        design: &Design,
        trial: &Self::Trial,
        arm: usize,
        scratch: &mut Self::Scratch,
    ) -> ComparisonOutcome;
    /// Records comparison `comparison.0` (of arm `comparison.1`) of a trial whose analysis of it
    /// is final.
    fn record(
        &self,
        tally: &mut Tally,
        design: &Design,
        comparison: (usize, usize),
        outcome: &ComparisonOutcome,
        scratch: &mut Self::Scratch,
    );

    /// A fixed-sample trial into `trial` (the whole randomisation as one segment: screening,
    /// the arms' blocks, every arm's outcomes), analysed and recorded in `tally`; returns its
    /// screen failures.
    fn fixed_trial<R: Rng + ?Sized>(
        &self,
        design: &Design,
        rng: &mut R,
        trial: &mut Self::Trial,
        scratch: &mut Self::Scratch,
        tally: &mut Tally,
    ) -> u64 {
        self.restart(trial);
        let failures = self.allocator().screen_failures(rng);
        let (block, randomised) = self.allocation(trial);
        self.allocator()
            .allocate(rng, design.sample_size, block, randomised);
        for a in 0..design.arms.len() {
            let n = self.allocation(trial).1[a];
            self.add_outcomes(rng, a, n, trial);
        }
        tally.trials += 1;
        for (j, arm) in design.comparisons().enumerate() {
            let outcome = self.analyse(design, trial, arm, scratch);
            self.record(tally, design, (j, arm), &outcome, scratch);
        }
        failures
    }
}

/// A binary trial's cumulative counts, with one arm's outcomes in one segment per stratum.
#[derive(Debug, Clone)]
pub struct BinarySegments {
    counts: TrialCounts,
    stage_evaluable: Vec<u64>,
    stage_events: Vec<u64>,
}

impl Segments for Simulator {
    type Trial = BinarySegments;
    type Scratch = Scratch;

    fn allocator(&self) -> &Simulator {
        self
    }

    fn new_trial(&self, design: &Design) -> BinarySegments {
        let strata = design.eligible.len();
        BinarySegments {
            counts: TrialCounts::new(design),
            stage_evaluable: vec![0; strata],
            stage_events: vec![0; strata],
        }
    }

    fn restart(&self, t: &mut BinarySegments) {
        t.counts.restart();
    }

    fn allocation<'t>(&self, t: &'t mut BinarySegments) -> (&'t mut BlockState, &'t mut [u64]) {
        (&mut t.counts.block, &mut t.counts.randomised)
    }

    fn add_outcomes<R: Rng + ?Sized>(&self, rng: &mut R, a: usize, n: u64, t: &mut BinarySegments) {
        let strata = t.stage_evaluable.len();
        self.draw_arm(rng, a, n, &mut t.stage_evaluable, &mut t.stage_events);
        let c = &mut t.counts;
        let cells = a * strata..(a + 1) * strata;
        for ((e, x), (se, sx)) in c.evaluable[cells.clone()]
            .iter_mut()
            .zip(&mut c.events[cells])
            .zip(t.stage_evaluable.iter().zip(&t.stage_events))
        {
            *e += se;
            *x += sx;
        }
    }

    fn analyse(
        &self,
        design: &Design,
        t: &BinarySegments,
        arm: usize,
        scratch: &mut Scratch,
    ) -> ComparisonOutcome {
        compare(design, &t.counts, arm, scratch)
    }

    fn record(
        &self,
        tally: &mut Tally,
        design: &Design,
        (j, arm): (usize, usize),
        outcome: &ComparisonOutcome,
        scratch: &mut Scratch,
    ) {
        tally.record_comparison(design, j, arm, outcome, scratch);
    }
}

impl Monitor {
    /// `None` for a fixed-sample design.
    pub fn new(design: &Design) -> Option<Monitor> {
        let plan = design.sequential()?;
        let randomised_by: Vec<u64> = (0..plan.looks.len())
            .map(|k| design.randomised_by_look(k))
            .collect();
        let mut ends: Vec<u64> = plan
            .evaluable
            .iter()
            .chain(&randomised_by)
            .copied()
            .collect();
        ends.sort_unstable();
        ends.dedup();
        let mut start = 0;
        let screening = ends
            .iter()
            .map(|&end| {
                let s = ScreeningSampler::new(end - start, design.eligible_fraction);
                start = end;
                s
            })
            .collect();
        let strata = design.eligible.len().saturating_sub(1) as u32;
        Some(Monitor {
            looks: plan.looks.len(),
            evaluable: plan.evaluable.clone(),
            randomised_by,
            ends,
            screening,
            eligible_fraction: design.eligible_fraction,
            rule: StoppingRule::new(design, strata)?,
        })
    }
}

/// Per-worker buffers of a sequential trial of an endpoint whose data are `T`.
#[derive(Debug, Clone)]
pub struct SequentialScratch<T> {
    /// Cumulative data at the current look.
    trial: T,
    /// Per segment x arm: patients randomised (0 for an arm that had left).
    segment_arms: Vec<u64>,
    /// Arms still randomised, comparisons still monitored.
    arm_open: Vec<bool>,
    comparison_open: Vec<bool>,
}

impl<T> SequentialScratch<T> {
    pub fn new<S: Segments<Trial = T>>(
        design: &Design,
        monitor: &Monitor,
        segments: &S,
    ) -> SequentialScratch<T> {
        let arms = design.arms.len();
        SequentialScratch {
            trial: segments.new_trial(design),
            segment_arms: vec![0; monitor.ends.len() * arms],
            arm_open: vec![true; arms],
            comparison_open: vec![true; arms - 1],
        }
    }
}

impl Monitor {
    /// Simulates one sequential trial and records it in `tally`.
    pub fn trial<S: Segments, R: Rng + ?Sized>(
        &self,
        design: &Design,
        sim: &S,
        rng: &mut R,
        s: &mut SequentialScratch<S::Trial>,
        scratch: &mut S::Scratch,
        tally: &mut Tally,
    ) {
        sim.restart(&mut s.trial);
        s.arm_open.fill(true);
        s.comparison_open.fill(true);
        let mut at = Position::default();
        tally.trials += 1;
        for k in 0..self.looks {
            self.randomise_to_look(k, sim, rng, s, &mut at);
            self.draw_to_look(k, sim, rng, s, &mut at);
            let (randomised, failures) = (at.randomised, at.failures);
            let seq = tally.sequential_mut();
            seq.reach(k, randomised);
            // Each comparison still monitored: efficacy, futility, or on to the next look.
            let last = k + 1 == self.looks;
            for (j, arm) in design.comparisons().enumerate() {
                if !s.comparison_open[j] {
                    continue;
                }
                let mut outcome = sim.analyse(design, &s.trial, arm, scratch);
                let statistic = outcome.statistic.expect("z tests with [sequential]");
                let decision = self.rule.decide(k, statistic);
                if !(decision.stops() || last) {
                    continue;
                }
                outcome.rejected = decision.efficacy;
                sim.record(tally, design, (j, arm), &outcome, scratch);
                let seq = tally.sequential_mut();
                seq.decide(j, k, decision);
                s.comparison_open[j] = false;
                s.arm_open[arm] = false;
            }
            if s.comparison_open.iter().all(|&o| !o) {
                let seq = tally.sequential_mut();
                seq.end(k, randomised);
                tally.record_screening(failures, randomised);
                return;
            }
        }
        unreachable!("every comparison stops at the last look");
    }

    /// Randomises the patients randomised by look `k`, segment by segment, with the arms still
    /// open; screening is drawn for each segment (as one negative binomial once an arm has
    /// closed, since the segment's size then depends on the allocation).
    fn randomise_to_look<S: Segments, R: Rng + ?Sized>(
        &self,
        k: usize,
        sim: &S,
        rng: &mut R,
        s: &mut SequentialScratch<S::Trial>,
        at: &mut Position,
    ) {
        let arms = s.arm_open.len();
        let (block, randomised) = sim.allocation(&mut s.trial);
        while at.allocated < self.ends.len() && self.ends[at.allocated] <= self.randomised_by[k] {
            let len = self.ends[at.allocated] - at.start;
            let all_open = s.arm_open.iter().all(|&o| o);
            if all_open {
                at.failures += self.screening[at.allocated].sample(rng);
            }
            let seg = &mut s.segment_arms[at.allocated * arms..(at.allocated + 1) * arms];
            sim.allocator().allocate(rng, len, block, seg);
            for (n, &open) in seg.iter_mut().zip(&s.arm_open) {
                if !open {
                    *n = 0;
                }
            }
            let m: u64 = seg.iter().sum();
            if !all_open {
                at.failures += sampling::negative_binomial(rng, m, self.eligible_fraction);
            }
            for (r, &n) in randomised.iter_mut().zip(seg.iter()) {
                *r += n;
            }
            at.randomised += m;
            at.start = self.ends[at.allocated];
            at.allocated += 1;
        }
    }

    /// Draws the outcomes known at look `k`, for the arms still analysed.
    fn draw_to_look<S: Segments, R: Rng + ?Sized>(
        &self,
        k: usize,
        sim: &S,
        rng: &mut R,
        s: &mut SequentialScratch<S::Trial>,
        at: &mut Position,
    ) {
        let arms = s.arm_open.len();
        while at.drawn < at.allocated && self.ends[at.drawn] <= self.evaluable[k] {
            for a in 0..arms {
                if !s.arm_open[a] {
                    continue;
                }
                let n = s.segment_arms[at.drawn * arms + a];
                sim.add_outcomes(rng, a, n, &mut s.trial);
            }
            at.drawn += 1;
        }
    }
}

/// How far a sequential trial is: segments randomised and with outcomes drawn, where the next
/// segment starts, and the patients randomised and screen failures so far.
#[derive(Default)]
struct Position {
    allocated: usize,
    drawn: usize,
    start: u64,
    randomised: u64,
    failures: u64,
}
