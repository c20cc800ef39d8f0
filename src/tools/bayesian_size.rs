//! The maximum sample size of a Bayesian adaptive design: the smallest maximum N at which a
//! chosen probability (each targeted arm's chance of being declared superior, or a stratum's
//! chance of ending conclusively) reaches a target, by simulation.
//!
//! - Targets: by default the best arm of each stratum (with a control, if it beats it) must be
//!   declared superior; `--arm` and `--label` name others.
//! - The analyses scale with N: analyses every K patients (from the first look, K after it)
//!   stay every K up to N, the grid of N is then the first look plus multiples of K; irregular
//!   looks keep their fractions of N (rounded, strictly increasing), on a grid of every N. The
//!   pipeline (patients randomised ahead of their outcome at each look) keeps its size in
//!   patients, capped at N.
//! - Thresholds that differ by look keep their looks only when the number of looks does not
//!   change (fractions); with analyses every K patients they must be one value.
//! - Search: from the scenario's N, double (or halve) until the target is bracketed, then bisect
//!   on the grid. Every candidate runs the scenario's trials with its seed: trial i draws from
//!   the same stream at every N (common random numbers), so neighbouring candidates differ by
//!   the design, not by the noise. The probabilities need not be monotone in N (a look more or
//!   less moves decisions); the answer is the smallest N evaluated that reaches the target with
//!   the grid point below it evaluated short of it, and the text says when either is within 2
//!   Monte Carlo SEs of the target.

use std::collections::BTreeMap;

use crate::engine::bayesian::metrics::{ArmRow, Metric, arm_rows, metrics, run_row};
use crate::engine::bayesian::select::ArmStatus;
use crate::engine::bayesian::{POOLED, stratum_names};
use crate::engine::tally::Tally;
use crate::model::bayesian::{BayesianPlan, Threshold};
use crate::model::design::{Design, DesignKind};

/// How a design's analyses follow its maximum N.
#[derive(Debug, Clone, PartialEq)]
pub enum Schedule {
    /// At `first`, then every `every` patients, and at N.
    Regular { first: u64, every: u64 },
    /// At these fractions of N (the last is 1).
    Fractions(Vec<f64>),
}

impl Schedule {
    pub fn of(plan: &BayesianPlan) -> Schedule {
        let looks = &plan.looks;
        let first = looks[0];
        let every = looks.get(1).map_or(first, |&l| l - first);
        let regular = looks.len() > 1
            && looks[..looks.len() - 1]
                .iter()
                .enumerate()
                .all(|(i, &l)| l == first + i as u64 * every)
            && looks[looks.len() - 1] - looks[looks.len() - 2] <= every;
        if regular {
            Schedule::Regular { first, every }
        } else {
            let n = *looks.last().expect("looks") as f64;
            Schedule::Fractions(looks.iter().map(|&l| l as f64 / n).collect())
        }
    }

    /// The step of the grid of maximum N.
    pub fn step(&self) -> u64 {
        match self {
            Schedule::Regular { every, .. } => *every,
            Schedule::Fractions(_) => 1,
        }
    }

    /// The smallest N the schedule allows.
    pub fn smallest(&self) -> u64 {
        match self {
            Schedule::Regular { first, .. } => *first,
            Schedule::Fractions(f) => f.len() as u64,
        }
    }

    /// The grid point at or above `n`.
    pub fn on_grid(&self, n: u64) -> u64 {
        match self {
            Schedule::Regular { first, every } => {
                first + n.saturating_sub(*first).div_ceil(*every) * every
            }
            Schedule::Fractions(_) => n.max(self.smallest()),
        }
    }

    /// The looks at maximum N `n` (on the grid).
    pub fn looks(&self, n: u64) -> Vec<u64> {
        match self {
            Schedule::Regular { first, every } => {
                let mut looks: Vec<u64> = (0..)
                    .map(|i| first + i * every)
                    .take_while(|&l| l < n)
                    .collect();
                looks.push(n);
                looks
            }
            Schedule::Fractions(f) => {
                let mut looks = Vec::with_capacity(f.len());
                let mut floor = 0;
                for (i, &x) in f.iter().enumerate() {
                    // Room for the looks after this one, one patient each.
                    let room = n - (f.len() - 1 - i) as u64;
                    let l = ((x * n as f64).round() as u64).clamp(floor + 1, room);
                    looks.push(l);
                    floor = l;
                }
                looks
            }
        }
    }
}

/// Why a design's maximum N cannot be searched.
pub fn refusal(plan: &BayesianPlan) -> Option<String> {
    let Schedule::Regular { .. } = Schedule::of(plan) else {
        return None;
    };
    let varies = |v: &[f64]| v.windows(2).any(|w| w[0] != w[1]);
    let keys = [
        ("superiority", varies(&plan.superiority)),
        ("inferiority", varies(&plan.inferiority)),
        (
            "equivalence.probability",
            plan.equivalence
                .as_ref()
                .is_some_and(|e| varies(&e.probability)),
        ),
        (
            "futility.probability",
            plan.futility
                .as_ref()
                .is_some_and(|f| varies(&f.probability)),
        ),
        (
            "adaptive_randomisation.soften_power",
            varies(&plan.allocation.soften_power),
        ),
    ];
    keys.iter().find(|k| k.1).map(|(key, _)| {
        format!(
            "bayesian.{key} differs by look, and the number of analyses changes with the maximum N (analyses every so many patients): give one value, or list the looks (they then keep their fractions of N)"
        )
    })
}

/// One value per look, for `looks` looks: the plan's own when their number is unchanged,
/// else its (single) value repeated.
fn resized(v: &[f64], looks: usize) -> Vec<f64> {
    if v.len() == looks {
        v.to_vec()
    } else {
        vec![v[0]; looks]
    }
}

/// The design at maximum sample size `n` (on the schedule's grid).
pub fn at_max(design: &Design, n: u64) -> Design {
    let plan = design.bayesian().expect("a Bayesian design");
    let looks = Schedule::of(plan).looks(n);
    let k = looks.len();
    // The pipeline at each look, in patients (the last randomises N).
    let last = plan.looks.len() - 1;
    let mut floor = 0;
    let randomised: Vec<u64> = looks
        .iter()
        .enumerate()
        .map(|(j, &l)| {
            let r = if j + 1 == k {
                n
            } else {
                let i = j.min(last.saturating_sub(1));
                (l + (plan.randomised[i] - plan.looks[i])).min(n).max(floor)
            };
            floor = r;
            r
        })
        .collect();
    let threshold = |t: &Option<Threshold>| {
        t.as_ref().map(|t| Threshold {
            probability: resized(&t.probability, k),
            ..t.clone()
        })
    };
    let mut p = plan.clone();
    p.superiority = resized(&plan.superiority, k);
    p.inferiority = resized(&plan.inferiority, k);
    p.equivalence = threshold(&plan.equivalence);
    p.futility = threshold(&plan.futility);
    p.allocation.soften_power = resized(&plan.allocation.soften_power, k);
    p.randomised = randomised;
    p.looks = looks;
    let mut d = design.clone();
    d.sample_size = n;
    d.kind = DesignKind::Bayesian(Box::new(p));
    d
}

/// What must reach the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aim {
    /// Each targeted arm declared superior in its stratum.
    Superior,
    /// Each targeted stratum's adaptation ending conclusively (not at the maximum).
    Conclusive,
}

/// The probabilities a candidate is judged on: (stratum, arm or none for the stratum itself).
#[derive(Debug, Clone, PartialEq)]
pub struct Targets {
    pub aim: Aim,
    pub cells: Vec<(String, Option<usize>)>,
}

impl Targets {
    /// The best arm of each stratum (with a control, when it has a true benefit over it: the
    /// arm a trial is run to find; another arm with a smaller benefit is rarely left to be
    /// declared superior), or the strata; narrowed to `arm` and `label` when given.
    pub fn of(
        d: &Design,
        aim: Aim,
        arm: Option<&str>,
        label: Option<&str>,
    ) -> Result<Targets, String> {
        let plan = d.bayesian().expect("a Bayesian design");
        let strata = stratum_names(d, plan);
        if let Some(l) = label
            && (!plan.by_label || !strata.iter().any(|s| s == l))
        {
            return Err(if plan.by_label {
                format!(
                    "--label: unknown label '{l}'; expected one of: {}",
                    strata.join(", ")
                )
            } else {
                "--label applies to designs adapting by label (bayesian.by_label = true)".into()
            });
        }
        let arm_index = arm
            .map(|name| {
                d.arms.iter().position(|a| a.name == name).ok_or_else(|| {
                    let names: Vec<&str> = d.arms.iter().map(|a| a.name.as_str()).collect();
                    format!(
                        "--arm: unknown arm '{name}'; expected one of: {}",
                        names.join(", ")
                    )
                })
            })
            .transpose()?;
        let in_label = |s: &String| label.is_none_or(|l| l == s);
        let cells: Vec<(String, Option<usize>)> = match aim {
            Aim::Conclusive => strata
                .iter()
                .filter(|s| in_label(s))
                .map(|s| (s.clone(), None))
                .collect(),
            Aim::Superior => {
                let truth = crate::engine::bayesian::stratum_truth(d, plan);
                let sign = d.benefit_sign();
                let mut cells = Vec::new();
                for (s, t) in strata.iter().zip(&truth) {
                    if !in_label(s) {
                        continue;
                    }
                    // The best arm (the first of equals); with a control, only if it beats it.
                    let best =
                        (0..t.len()).fold(0, |b, a| if sign * t[a] > sign * t[b] { a } else { b });
                    let arms: Vec<usize> = match (arm_index, plan.control) {
                        (Some(a), _) => vec![a],
                        (None, Some(c)) => Some(best)
                            .filter(|&b| sign * (t[b] - t[c]) > 1e-12)
                            .into_iter()
                            .collect(),
                        (None, None) => vec![best],
                    };
                    cells.extend(arms.into_iter().map(|a| (s.clone(), Some(a))));
                }
                cells
            }
        };
        if cells.is_empty() {
            return Err(
                "no arm has a true benefit to be declared superior in the strata asked: name one with --arm (its chance of being declared superior is then searched), or search --conclusive".into(),
            );
        }
        Ok(Targets { aim, cells })
    }

    /// Each target's probability with its Monte Carlo SE, in `cells` order.
    pub fn values(&self, arms: &[ArmRow], metrics: &[Metric], trials: u64) -> Vec<(f64, f64)> {
        let n = trials as f64;
        self.cells
            .iter()
            .map(|(stratum, arm)| {
                let p = match arm {
                    Some(a) => arms
                        .iter()
                        .filter(|r| &r.stratum == stratum)
                        .nth(*a)
                        .map_or(f64::NAN, |r| r.status[ArmStatus::Superior.index()]),
                    None => metrics
                        .iter()
                        .find(|m| &m.stratum == stratum && m.name == "prob_conclusive")
                        .map_or(f64::NAN, |m| m.estimate),
                };
                (p, (p * (1.0 - p) / n).sqrt())
            })
            .collect()
    }

    /// The targets in words: "anakinra in the mals label", "every label ending conclusively".
    pub fn describe(&self, d: &Design) -> Vec<String> {
        self.cells
            .iter()
            .map(|(s, arm)| {
                let place = if s == POOLED {
                    String::new()
                } else {
                    format!(" ({s})")
                };
                match arm {
                    Some(a) => format!("{}{place}", d.arms[*a].name),
                    None => format!("conclusive{place}"),
                }
            })
            .collect()
    }
}

/// One candidate maximum N: each target's probability and SE, the expected numbers randomised
/// and screened.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub values: Vec<(f64, f64)>,
    pub expected_randomised: f64,
    pub mean_screened: f64,
}

impl Candidate {
    pub fn of(d: &Design, tally: &Tally, targets: &Targets) -> Candidate {
        let plan = d.bayesian().expect("a Bayesian design");
        let b = tally.bayesian().expect("a Bayesian tally");
        let arms = arm_rows(d, plan, tally.trials, b);
        let m = metrics(d, plan, tally.trials, b);
        let run = run_row(d, tally, b, plan);
        Candidate {
            values: targets.values(&arms, &m, tally.trials),
            expected_randomised: run.expected_randomised,
            mean_screened: run.mean_screened,
        }
    }

    /// Whether every target reaches `target`.
    pub fn reaches(&self, target: f64) -> bool {
        self.values.iter().all(|&(p, _)| p >= target)
    }
}

/// A finished search.
#[derive(Debug, Clone, PartialEq)]
pub struct BayesianSizeSearch {
    pub schedule: Schedule,
    pub candidates: BTreeMap<u64, Candidate>,
    pub chosen: Option<u64>,
    /// The largest N considered.
    pub max: u64,
}

/// Searches the smallest maximum N in `[min, max]` (on the grid) whose candidate reaches
/// `target`; `evaluate` simulates the design at a maximum N.
pub fn search(
    design: &Design,
    target: f64,
    (min, max): (Option<u64>, Option<u64>),
    mut evaluate: impl FnMut(&Design) -> Candidate,
) -> BayesianSizeSearch {
    let plan = design.bayesian().expect("a Bayesian design");
    let schedule = Schedule::of(plan);
    let step = schedule.step();
    let lo_bound = schedule.on_grid(min.unwrap_or(0).max(schedule.smallest()));
    let hi_bound = {
        let cap = max.unwrap_or_else(|| design.sample_size.saturating_mul(16));
        // The largest grid point at most the cap (at least the smallest).
        let g = schedule.on_grid(cap);
        if g > cap && g >= lo_bound + step {
            g - step
        } else {
            g.max(lo_bound)
        }
    };
    let mut candidates: BTreeMap<u64, Candidate> = BTreeMap::new();
    let mut reaches = |n: u64, c: &mut BTreeMap<u64, Candidate>| {
        c.entry(n)
            .or_insert_with(|| evaluate(&at_max(design, n)))
            .reaches(target)
    };
    // Bracket: `below` does not reach, `above` does.
    let start = schedule
        .on_grid(design.sample_size)
        .clamp(lo_bound, hi_bound);
    let (mut below, mut above) = (None, None);
    if reaches(start, &mut candidates) {
        above = Some(start);
        let mut n = start;
        while n > lo_bound {
            let next = schedule
                .on_grid(lo_bound.max(n / 2))
                .min(n - step.min(n - lo_bound));
            if reaches(next, &mut candidates) {
                above = Some(next);
                n = next;
            } else {
                below = Some(next);
                break;
            }
        }
    } else {
        below = Some(start);
        let mut n = start;
        while n < hi_bound {
            let next = schedule.on_grid(n.saturating_mul(2)).min(hi_bound);
            if reaches(next, &mut candidates) {
                above = Some(next);
                break;
            }
            below = Some(next);
            n = next;
        }
    }
    let chosen = above.map(|mut hi| {
        if let Some(mut lo) = below {
            // Bisect on the grid between a point short of the target and one reaching it.
            while hi - lo > step {
                let mid = schedule.on_grid(lo + (hi - lo) / 2);
                let mid = if mid >= hi { hi - step } else { mid };
                if reaches(mid, &mut candidates) {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
        }
        hi
    });
    BayesianSizeSearch {
        schedule,
        candidates,
        chosen,
        max: hi_bound,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::scenario::Scenario;

    fn design(bayesian: &str, n: u64) -> Design {
        let text = format!(
            r#"
name = "s"
[simulation]
replicates = 10
seed = 1
[[endotype]]
name = "all"
prevalence = 1.0
control_risk = 0.3
[enrollment]
sample_size = {n}
[endpoint]
event = "response"
better = "higher"
[[treatment]]
name = "drug"
effect = "risk"
by_endotype = {{ all = 0.4 }}
[[arm]]
name = "control"
ratio = 1
[[arm]]
name = "drug"
ratio = 1
treatment = "drug"
[bayesian]
control = "control"
{bayesian}
"#
        );
        Scenario::from_text(std::path::Path::new("s.toml"), text)
            .expect("valid")
            .design
    }

    fn plan(d: &Design) -> &BayesianPlan {
        d.bayesian().expect("Bayesian")
    }

    #[test]
    fn analyses_every_k_patients_stay_every_k() {
        let d = design("look_every = 100", 450);
        let s = Schedule::of(plan(&d));
        assert_eq!(
            s,
            Schedule::Regular {
                first: 100,
                every: 100
            }
        );
        assert_eq!(s.looks(300), vec![100, 200, 300]);
        assert_eq!(s.looks(650), vec![100, 200, 300, 400, 500, 600, 650]);
        assert_eq!(
            (s.on_grid(0), s.on_grid(101), s.on_grid(200)),
            (100, 200, 200)
        );
        // The vignette's shape: a first look later than the spacing, with a pipeline.
        let d = design(
            "looks = [300, 400, 500, 600]\nrandomised_at_looks = [400, 500, 600, 600]",
            600,
        );
        let s = Schedule::of(plan(&d));
        assert_eq!(
            s,
            Schedule::Regular {
                first: 300,
                every: 100
            }
        );
        assert_eq!((s.smallest(), s.on_grid(350), s.step()), (300, 400, 100));
        let at = at_max(&d, 800);
        assert_eq!(plan(&at).looks, vec![300, 400, 500, 600, 700, 800]);
        assert_eq!(plan(&at).randomised, vec![400, 500, 600, 700, 800, 800]);
        assert_eq!(plan(&at).superiority.len(), 6);
        assert_eq!(at.sample_size, 800);
        let small = at_max(&d, 300);
        assert_eq!(plan(&small).looks, vec![300]);
        assert_eq!(plan(&small).randomised, vec![300]);
    }

    #[test]
    fn irregular_looks_keep_their_fractions_and_per_look_thresholds() {
        let d = design(
            "looks = [100, 250, 500]\nsuperiority = [0.999, 0.995, 0.99]",
            500,
        );
        let s = Schedule::of(plan(&d));
        assert_eq!(s, Schedule::Fractions(vec![0.2, 0.5, 1.0]));
        assert_eq!(refusal(plan(&d)), None);
        let at = at_max(&d, 1000);
        assert_eq!(plan(&at).looks, vec![200, 500, 1000]);
        assert_eq!(plan(&at).superiority, vec![0.999, 0.995, 0.99]);
        // Tiny N: strictly increasing, one patient a look at least.
        assert_eq!(s.looks(3), vec![1, 2, 3]);
        assert_eq!(s.looks(4), vec![1, 2, 4]);
        assert_eq!(s.smallest(), 3);
    }

    #[test]
    fn thresholds_by_look_refuse_a_changing_number_of_looks() {
        let d = design(
            "looks = [100, 200, 300]\nsuperiority = [0.999, 0.995, 0.99]",
            300,
        );
        let why = refusal(plan(&d)).expect("refused");
        assert!(
            why.contains("bayesian.superiority differs by look"),
            "{why}"
        );
        assert_eq!(refusal(plan(&design("look_every = 100", 300))), None);
    }

    #[test]
    fn the_search_brackets_then_bisects_on_the_grid() {
        // A probability rising with N by steps of 0.1 every 100 patients: 0.8 first at 800.
        let d = design("look_every = 100", 300);
        let mut seen = Vec::new();
        let found = search(&d, 0.8, (None, None), |at| {
            seen.push(at.sample_size);
            let p = (at.sample_size as f64 / 1000.0).min(1.0);
            Candidate {
                values: vec![(p, 0.0)],
                expected_randomised: 0.0,
                mean_screened: 0.0,
            }
        });
        assert_eq!(found.chosen, Some(800), "{seen:?}");
        assert!(!found.candidates[&700].reaches(0.8));
        assert_eq!(found.max, 4800);
        assert!(seen.len() <= 6, "{seen:?}");
        // Reached at the start: searched downwards.
        let found = search(&design("look_every = 100", 2000), 0.8, (None, None), |at| {
            let p = (at.sample_size as f64 / 1000.0).min(1.0);
            Candidate {
                values: vec![(p, 0.0)],
                expected_randomised: 0.0,
                mean_screened: 0.0,
            }
        });
        assert_eq!(found.chosen, Some(800));
        // Never reached below the cap.
        let found = search(&d, 0.8, (None, Some(500)), |_| Candidate {
            values: vec![(0.5, 0.0)],
            expected_randomised: 0.0,
            mean_screened: 0.0,
        });
        assert_eq!((found.chosen, found.max), (None, 500));
    }
}
