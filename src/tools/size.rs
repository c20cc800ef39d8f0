//! Sample size by simulation: the smallest total sample size whose simulated power reaches a
//! target, searched on the grid the randomisation allows.
//!
//! - Grid: multiples of one block cycle under permuted blocks (so that every block is complete
//!   and the allocation exact); every integer under simple randomisation.
//! - Start: the normal approximation (analytic power is monotone in N: bisection on the grid).
//! - Search: bracket the target from the start by doubling steps, then bisect. Every candidate
//!   uses the same seed, so trial i draws from the same stream at every N (common random
//!   numbers), which makes neighbouring candidates' powers strongly correlated.
//! - Power of discrete tests is not monotone in N (saw-tooth, most visibly for Fisher and Yates).
//!   So the search then evaluates every grid point from 10% below the bisection's answer up to it
//!   (taking the smallest N that reaches the target), and from it up to 10% above, reporting any
//!   N there whose power dips back below target and the smallest N from which power stays above
//!   target on that range. Each side is capped at 60 evaluations (a coarser stride beyond that).
//! - Monte Carlo awareness: a candidate whose 3-SE Wilson interval holds the target is extended
//!   with further trials (the next indices of the same streams) until it does not, or it has 16
//!   times the replicates, so that a decision at the boundary rests on more than a coin flip.
//!   Wilson, not Wald: a candidate with no failing trial has a Wald SE of 0, which would call a
//!   simulated power of 1 exact; a target the replicates cannot resolve even then is refused
//!   (`trials_needed`). A dip of the saw-tooth is reported only when its interval lies wholly
//!   below the target with all the trials a candidate may have.

use std::collections::BTreeMap;

use crate::engine;
use crate::engine::summary::{self, SummaryRow};
use crate::engine::tally::Tally;
use crate::model::design::{Design, DesignKind, EndpointModel};
use crate::model::scenario::{Scenario, ScenarioError};
use crate::model::vocabulary::Randomisation;
use crate::stats::power;
use crate::tools::sweep::{GridPoint, SetArg, grid};

/// How many grid points each saw-tooth scan evaluates at most.
const SCAN_POINTS: u64 = 60;
/// A candidate whose power is within `UNDECIDED_SE` Monte Carlo SEs of the target is extended
/// with further trials, up to `REFINE` times the replicates.
pub const REFINE: u64 = 16;
const UNDECIDED_SE: f64 = 3.0;

/// The trials a candidate needs before its simulated power can be told from `target` at all:
/// with none failing (or, for a target below 1/2, none succeeding), the Wilson interval at
/// `UNDECIDED_SE` must exclude the target, n / (n + z^2) > target.
pub fn trials_needed(target: f64) -> u64 {
    let odds = (target / (1.0 - target)).max((1.0 - target) / target);
    (UNDECIDED_SE * UNDECIDED_SE * odds).ceil() as u64
}

/// The replicates a search needs for `target` (each candidate may be extended to `REFINE`
/// times them), when `replicates` are too few; `None` when they suffice.
pub fn replicates_needed(target: f64, replicates: u64) -> Option<u64> {
    let needed = trials_needed(target);
    (replicates.saturating_mul(REFINE) < needed).then(|| needed.div_ceil(REFINE))
}

/// A row's power with its Monte Carlo reach: the Wilson interval at `UNDECIDED_SE` of its
/// trials (`replicates`), which stays honest when no trial failed.
fn reach(row: &SummaryRow) -> (f64, f64) {
    let successes = (row.power * row.replicates as f64).round() as u64;
    summary::wilson_interval(successes, row.replicates, UNDECIDED_SE)
}

/// The probability the search brings to the target, for each required comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Searched {
    /// The power of the analysis test (`summary.csv`'s power).
    Test,
    /// The probability of rejecting hypothesis `i` of `analysis.hypotheses` after the
    /// scenario's multiplicity adjustment.
    Hypothesis(usize),
    /// Rejecting at least one hypothesis (disjunctive power), after adjustment.
    Any,
    /// Rejecting every hypothesis (conjunctive power), after adjustment.
    All,
}

impl Searched {
    /// The default: the primary (first-listed) hypothesis when the scenario lists hypotheses, so
    /// that the adjusted power is searched; otherwise the test's power.
    pub fn default_for(d: &Design) -> Searched {
        if d.analysis.hypotheses.is_empty() {
            Searched::Test
        } else {
            Searched::Hypothesis(0)
        }
    }

    /// `--hypothesis NAME|any|all`.
    pub fn parse(d: &Design, name: &str) -> Result<Searched, String> {
        let hypotheses = &d.analysis.hypotheses;
        if hypotheses.is_empty() {
            return Err(
                "the scenario lists no `analysis.hypotheses`: the test's power is searched".into(),
            );
        }
        match name {
            "any" => Ok(Searched::Any),
            "all" => Ok(Searched::All),
            _ => hypotheses
                .iter()
                .position(|&h| d.hypothesis_name(h) == name)
                .map(Searched::Hypothesis)
                .ok_or_else(|| {
                    let names: Vec<&str> =
                        hypotheses.iter().map(|&h| d.hypothesis_name(h)).collect();
                    format!(
                        "unknown hypothesis '{name}'; expected any, all or one of: {}",
                        names.join(", ")
                    )
                }),
        }
    }

    /// What is searched, in words, with the adjustment when there is one.
    pub fn describe(self, d: &Design) -> String {
        let m = d.analysis.hypotheses.len();
        let family = || {
            let procedure = d.analysis.multiplicity;
            let adjustment = match (d.adaptation(), procedure) {
                (Some(a), _) => format!(
                    "closed testing with {} intersections across the adaptive looks",
                    a.intersection.as_str()
                ),
                (None, crate::stats::multiplicity::Procedure::None) => {
                    "no multiplicity adjustment".to_string()
                }
                (None, p) => format!("{} adjustment", p.as_str()),
            };
            format!(
                "{m} hypotheses per comparison, {adjustment}, family-wise alpha {}",
                d.analysis.alpha
            )
        };
        match self {
            Searched::Test => format!("power of the {} test", d.analysis.test.as_str()),
            Searched::Hypothesis(i) => format!(
                "power to reject hypothesis '{}' ({})",
                d.hypothesis_name(d.analysis.hypotheses[i]),
                family()
            ),
            Searched::Any => format!("power to reject at least one hypothesis ({})", family()),
            Searched::All => format!("power to reject every hypothesis ({})", family()),
        }
    }
}

/// The summary rows of a run with `power` (and its SE and interval) replaced by the searched
/// probability: what `size`, `report` and `compare` judge and show.
pub fn searched_rows(d: &Design, tally: &Tally, searched: Searched) -> Vec<SummaryRow> {
    let mut rows = summary::summarise(d, tally);
    if searched == Searched::Test {
        return rows;
    }
    let hypotheses = summary::hypothesis_rows(d, tally);
    let m = d.analysis.hypotheses.len();
    for (row, family) in rows.iter_mut().zip(hypotheses.chunks(m)) {
        debug_assert_eq!(row.arm, family[0].arm);
        let p = match searched {
            Searched::Hypothesis(i) => family[i].power,
            Searched::Any => family[0].any_rejected,
            Searched::All => family[0].all_rejected,
            Searched::Test => unreachable!(),
        };
        let count = (p * tally.trials as f64).round() as u64;
        (row.power_ci_low, row.power_ci_high) =
            summary::wilson_interval(count, tally.trials, crate::stats::analysis::Z_975);
        row.power = p;
        row.power_se = (p * (1.0 - p) / tally.trials as f64).sqrt();
    }
    rows
}

#[derive(Debug, Clone)]
pub struct SizeOptions {
    pub target: f64,
    pub searched: Searched,
    /// Comparisons (arm indices) that must all reach the target.
    pub arms: Vec<usize>,
    pub min: Option<u64>,
    pub max: Option<u64>,
}

/// The result of a search; `candidates` holds every N evaluated.
#[derive(Debug, Clone)]
pub struct SizeSearch {
    pub step: u64,
    pub analytic_n: Option<u64>,
    /// Summary rows of the required comparisons at each N evaluated.
    pub candidates: BTreeMap<u64, Vec<SummaryRow>>,
    /// Smallest N evaluated with power >= target for every required arm.
    pub chosen: Option<u64>,
    /// Within (chosen, 1.1 chosen]: N whose power dips below target beyond Monte Carlo error.
    pub dips: Vec<u64>,
    /// Smallest N from which no dip follows on [chosen, 1.1 chosen].
    pub stable_from: Option<u64>,
    pub min: u64,
    pub max: u64,
    /// `Searched::describe` of the probability searched.
    pub searched: String,
}

impl SizeSearch {
    /// The power that must reach the target: the smallest over the required comparisons.
    pub fn power_at(&self, n: u64) -> Option<f64> {
        self.candidates.get(&n).map(|rows| min_power(rows))
    }

    /// The candidate with the highest power (for "target not reached").
    pub fn best(&self) -> Option<(u64, f64)> {
        self.candidates
            .iter()
            .map(|(&n, rows)| (n, min_power(rows)))
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
    }
}

/// The searched rows of the comparisons the search requires (`arms`, by name).
fn required_rows(d: &Design, tally: &Tally, searched: Searched, arms: &[&str]) -> Vec<SummaryRow> {
    searched_rows(d, tally, searched)
        .into_iter()
        .filter(|r| arms.contains(&r.arm.as_str()))
        .collect()
}

fn min_power(rows: &[SummaryRow]) -> f64 {
    rows.iter().map(|r| r.power).fold(f64::INFINITY, f64::min)
}

/// The step of the sample-size grid.
pub fn grid_step(design: &Design) -> u64 {
    match design.randomisation {
        Randomisation::Block => design.block_size(),
        Randomisation::Simple => 1,
    }
}

/// The design at total sample size `n`. Interim looks stay at their fractions of N; at an N
/// too small to give each look more patients than the last, a look gets at least one patient
/// and no fewer than the look before (a look without new patients repeats the previous test at
/// its own bound: a valid, if wasteful, design that only the smallest candidates meet).
pub fn at_size(design: &Design, n: u64) -> Design {
    let mut d = design.clone();
    d.sample_size = n;
    if let DesignKind::GroupSequential(plan) | DesignKind::AdaptiveEnrichment(plan, _) = &mut d.kind
    {
        let mut floor = 1;
        for (e, &t) in plan.evaluable.iter_mut().zip(&plan.looks) {
            *e = ((t * n as f64).round() as u64).clamp(floor, n.max(1));
            floor = *e;
        }
    }
    d
}

/// Smallest grid N in [lo, hi] whose analytic power reaches the target for every required arm.
fn analytic_size(design: &Design, opts: &SizeOptions, step: u64, lo: u64, hi: u64) -> Option<u64> {
    let reaches = |n: u64| {
        let d = at_size(design, n);
        opts.arms
            .iter()
            .all(|&a| power::analytic_power(&d, a) >= opts.target)
    };
    if !reaches(hi) {
        return None;
    }
    let (mut a, mut b) = (lo / step, hi / step); // in units of step; b reaches
    if reaches(a * step) {
        return Some(a * step);
    }
    while b - a > 1 {
        let m = a + (b - a) / 2;
        if reaches(m * step) { b = m } else { a = m }
    }
    Some(b * step)
}

/// Where a search is, for a progress display: the N just simulated, the candidates evaluated,
/// and an estimate of how many are left (the bisection's remaining halvings and the two
/// saw-tooth scans).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub n: u64,
    pub evaluated: u64,
    pub left: u64,
}

/// Searches the smallest N reaching the target. `progress` is told of each N evaluated.
pub fn search(
    design: &Design,
    opts: &SizeOptions,
    progress: &(dyn Fn(Progress) + Sync),
) -> SizeSearch {
    let (step, min, max, analytic_n) = search_range(design, opts);
    let mut search = Search {
        design,
        opts,
        progress,
        arms: opts
            .arms
            .iter()
            .map(|&a| design.arms[a].name.as_str())
            .collect(),
        s: SizeSearch {
            step,
            analytic_n,
            candidates: BTreeMap::new(),
            chosen: None,
            dips: Vec::new(),
            stable_from: None,
            min,
            max,
            searched: opts.searched.describe(design),
        },
    };
    let start = analytic_n.unwrap_or(max).clamp(min, max);
    let (fail, pass) = search.bracket(start);
    let Some(hi) = pass else {
        return search.s; // not reached within max
    };
    let hi = search.bisect(fail.filter(|&f| f < hi), hi);
    let hi = search.saw_tooth_below(hi);
    search.s.chosen = Some(hi);
    if hi > min {
        search.eval(hi - step, search.scan(hi)); // the neighbour below, reported beside the choice
    }
    search.stability_above(hi);
    search.s
}

/// The grid's step, the range searched and the normal approximation's N, where there is one.
fn search_range(design: &Design, opts: &SizeOptions) -> (u64, u64, u64, Option<u64>) {
    let step = grid_step(design);
    let round_up = |n: u64| n.div_ceil(step) * step;
    let min = round_up(opts.min.unwrap_or(step).max(step));
    let max = (opts.max.unwrap_or(u64::MAX / 4) / step * step).max(min);
    // Without a --max, the analytic search looks up to 10^7 patients; a time-to-event design
    // up to 10^5, because its Cox fit (ties as Efron's) costs time in proportion to a trial's
    // deaths, and a mixture of endotypes has no normal approximation to bound the search
    // (`--max` searches further).
    // A continuous trial dichotomised draws each patient's outcome: up to 10^6.
    let default_cap: u64 = match &design.endpoint {
        EndpointModel::Binary => 10_000_000,
        EndpointModel::TimeToEvent(_) => 100_000,
        EndpointModel::Continuous(m) if m.is_patient_level() => 1_000_000,
        EndpointModel::Continuous(_) | EndpointModel::Ordinal(_) => 10_000_000,
    };
    let analytic_cap = opts
        .max
        .map_or((default_cap / step).max(1) * step, |_| max)
        .max(min);
    let analytic_n = analytic_size(design, opts, step, min, analytic_cap);
    let max = if opts.max.is_none() {
        analytic_n
            .map_or(analytic_cap, |n| (4 * n).max(min + 10 * step))
            .min(analytic_cap)
    } else {
        max
    };
    (step, min, max, analytic_n)
}

/// A search under way: the design, the options, and the candidates evaluated so far.
struct Search<'a> {
    design: &'a Design,
    opts: &'a SizeOptions,
    progress: &'a (dyn Fn(Progress) + Sync),
    arms: Vec<&'a str>,
    s: SizeSearch,
}

impl Search<'_> {
    /// Candidates the scans around `hi` evaluate at most: 10% below, the neighbour, 10% above.
    fn scan(&self, hi: u64) -> u64 {
        ((hi / 10 / self.s.step).min(SCAN_POINTS)) + 1
    }

    fn halvings(&self, span: u64) -> u64 {
        u64::from((span / self.s.step).max(1).ilog2()) + 1
    }

    /// The stride of a scan from `from` to `to`: every grid point, or at most `SCAN_POINTS`.
    fn stride(&self, from: u64, to: u64) -> u64 {
        let step = self.s.step;
        (((to - from) / step).div_ceil(SCAN_POINTS)).max(1) * step
    }

    /// Whether N = `n` reaches the target, simulating it unless it was; `left` is the estimate
    /// of candidates still to come, for the progress display.
    fn eval(&mut self, n: u64, left: u64) -> bool {
        let (design, opts, arms) = (self.design, self.opts, &self.arms);
        let evaluated = self.s.candidates.len() as u64 + 1;
        let progress = self.progress;
        let rows = self.s.candidates.entry(n).or_insert_with(|| {
            let d = at_size(design, n);
            let required = |tally: &Tally| required_rows(&d, tally, opts.searched, arms);
            let mut tally = engine::simulate(&d, 0..d.replicates, &|_| {});
            let mut rows = required(&tally);
            // Monte Carlo aware: while the power is within UNDECIDED_SE of the target, extend
            // the same trial streams (indices R..2R, ...) up to REFINE times the replicates.
            while rows.iter().any(|r| {
                let (lo, hi) = reach(r);
                lo <= opts.target && opts.target <= hi
            }) && tally.trials < REFINE * d.replicates
            {
                let more = engine::simulate(&d, tally.trials..2 * tally.trials, &|_| {});
                tally.merge(&more);
                rows = required(&tally);
            }
            progress(Progress { n, evaluated, left });
            rows
        });
        min_power(rows) >= opts.target
    }

    /// Brackets the target from `start` by doubling steps: (`fail`, `pass`) with `fail` <
    /// target <= `pass`, both on the grid; `pass` is none when the target is not reached
    /// within the range.
    fn bracket(&mut self, start: u64) -> (Option<u64>, Option<u64>) {
        let (step, min, max) = (self.s.step, self.s.min, self.s.max);
        let left = |search: &Search, n: u64| 1 + search.halvings(n) + 2 * search.scan(n);
        let (mut fail, mut pass) = (None, None);
        if self.eval(start, left(self, start)) {
            pass = Some(start);
            let mut k = 1;
            while let Some(p) = pass {
                if p == min {
                    break;
                }
                let n = p.saturating_sub(k * step).max(min);
                if self.eval(n, left(self, k * step)) {
                    pass = Some(n);
                    k *= 2;
                } else {
                    fail = Some(n);
                    break;
                }
            }
        } else {
            fail = Some(start);
            let mut k = 1;
            while let Some(f) = fail {
                if f == max {
                    break;
                }
                let n = (f + k * step).min(max);
                if self.eval(n, left(self, k * step)) {
                    pass = Some(n);
                    break;
                }
                fail = Some(n);
                k *= 2;
            }
        }
        (fail, pass)
    }

    /// Bisects between a failing `lo` (if any) and the passing `hi`; the smallest passing N
    /// the bisection finds.
    fn bisect(&mut self, lo: Option<u64>, mut hi: u64) -> u64 {
        let step = self.s.step;
        if let Some(mut lo) = lo {
            while hi - lo > step {
                let mid = lo + (hi - lo) / step / 2 * step;
                let left = self.halvings(hi - lo) - 1 + 2 * self.scan(hi);
                if self.eval(mid, left) {
                    hi = mid
                } else {
                    lo = mid
                }
            }
        }
        hi
    }

    /// Saw-tooth: the smallest N reaching the target within 10% below `hi`.
    fn saw_tooth_below(&mut self, hi: u64) -> u64 {
        let step = self.s.step;
        let low = ((hi as f64 * 0.9).floor() as u64).div_ceil(step) * step;
        let low = low.max(self.s.min);
        if low < hi {
            let by = self.stride(low, hi);
            let mut n = low;
            while n < hi {
                if self.eval(n, (hi - n) / by + self.scan(hi)) {
                    return n;
                }
                n += by;
            }
        }
        hi
    }

    /// Stability above the choice `hi`, to 10% above it: the dips below the target and the N
    /// from which none follows.
    fn stability_above(&mut self, hi: u64) {
        let (step, target) = (self.s.step, self.opts.target);
        let top = ((hi as f64 * 1.1).floor() as u64 / step * step).min(self.s.max);
        let mut stable_from = hi;
        if top > hi {
            let by = self.stride(hi, top);
            let mut n = hi + by;
            while n <= top {
                self.eval(n, (top - n) / by);
                // Below the target beyond Monte Carlo error, not a noisy estimate near it: a
                // candidate that looks like a dip is simulated with all the trials a candidate
                // may have before it is called one (the scan looks at up to 60, so a 3-SE
                // excursion of a few hundred trials is not rare among them).
                let below = |rows: &[SummaryRow]| rows.iter().any(|r| reach(r).1 < target);
                if below(&self.s.candidates[&n]) {
                    let d = at_size(self.design, n);
                    let tally = engine::simulate(&d, 0..REFINE * d.replicates, &|_| {});
                    let rows = required_rows(&d, &tally, self.opts.searched, &self.arms);
                    if below(&rows) {
                        self.s.dips.push(n);
                        stable_from = n + by;
                    }
                    self.s.candidates.insert(n, rows);
                }
                n += by;
            }
        }
        self.s.stable_from = (stable_from <= top.max(hi)).then_some(stable_from);
    }
}

/// Total sample sizes on a design's grid from `from` to `to` times `centre`, `points` of them.
pub fn size_grid(centre: f64, step: u64, from: f64, to: f64, points: u32) -> Vec<u64> {
    let mut sizes: Vec<u64> = (0..points)
        .map(|i| {
            let f = from + (to - from) * f64::from(i) / f64::from(points - 1);
            ((centre * f / step as f64).round() as u64).max(1) * step
        })
        .collect();
    sizes.dedup();
    sizes
}

/// The key of the total sample size, swept for power curves.
pub const SAMPLE_SIZE_KEY: &str = "enrollment.sample_size";

/// The scenario at `points` total sample sizes on the grid of `step`, from `from` to `to` times
/// `centre` (`size_grid`): the grid points of a power curve.
pub fn size_points(
    scenario: &Scenario,
    step: u64,
    centre: f64,
    (from, to, points): (f64, f64, u32),
) -> Result<Vec<GridPoint>, ScenarioError> {
    let set = SetArg {
        key: SAMPLE_SIZE_KEY.into(),
        values: size_grid(centre, step, from, to, points)
            .iter()
            .map(u64::to_string)
            .collect(),
    };
    grid(scenario, std::slice::from_ref(&set))
}
