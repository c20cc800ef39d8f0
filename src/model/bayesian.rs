//! The validated `[bayesian]` table: a Bayesian adaptive design with adaptr 1.4.0's rules
//! (Granholm et al.; its `setup_trial` and `run_trial`). Its adaptive analyses decide on
//! posterior probabilities: inferiority, superiority, equivalence and futility thresholds per
//! look, arms dropped, a superior arm becoming the new control, and response-adaptive
//! randomisation (RAR) proportional to P(best)^soften_power within limits. The checks are
//! adaptr's, with its messages' sense and this scenario's key names.

use serde::Deserialize;

use crate::model::raw::{InvalidKey, RawArm};

/// Most adaptive analyses a Bayesian design may have: adaptr's vignettes use up to 40; every
/// look's counts are tallied per arm.
pub const MAX_BAYESIAN_LOOKS: usize = 200;

/// Fewest posterior draws (adaptr's lower limit).
pub const MIN_DRAWS: usize = 100;

/// One value for every look, or one per look.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum PerLook {
    One(f64),
    Each(Vec<f64>),
}

/// A fixed control share, or a rule: "sqrt" (adaptr's "sqrt-based") or "match".
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RawControlShare {
    Share(f64),
    Rule(String),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPrior {
    pub alpha: f64,
    pub beta: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawThreshold {
    pub probability: PerLook,
    pub difference: f64,
    #[serde(default)]
    pub only_first: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAdaptiveRandomisation {
    #[serde(default = "one")]
    pub soften_power: PerLook,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub control: Option<RawControlShare>,
}

fn one() -> PerLook {
    PerLook::One(1.0)
}

/// How the posterior probabilities are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RawPosterior {
    #[default]
    Exact,
    Draws,
}

/// How a trial that ends without a superior arm selects one (adaptr's `select_strategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SelectStrategy {
    /// "control if available": the control with a common control, else none.
    #[default]
    ControlIfAvailable,
    None,
    Control,
    FinalControl,
    ControlOrBest,
    Best,
    List,
    ListOrBest,
}

impl BayesianPlan {
    /// Whether patients are randomised ahead of their outcome (adaptr then estimates from all
    /// randomised patients at the end: `final_ests = TRUE`).
    pub fn has_pipeline(&self) -> bool {
        self.randomised != self.looks
    }
}

impl SelectStrategy {
    pub fn as_str(self) -> &'static str {
        match self {
            SelectStrategy::ControlIfAvailable => "control_if_available",
            SelectStrategy::None => "none",
            SelectStrategy::Control => "control",
            SelectStrategy::FinalControl => "final_control",
            SelectStrategy::ControlOrBest => "control_or_best",
            SelectStrategy::Best => "best",
            SelectStrategy::List => "list",
            SelectStrategy::ListOrBest => "list_or_best",
        }
    }
}

/// `[bayesian]` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBayesian {
    /// Patients with outcome data at each adaptive analysis.
    pub looks: Option<Vec<u64>>,
    /// Or an analysis after every this many patients (the last at `enrollment.sample_size`).
    pub look_every: Option<u64>,
    /// Patients randomised by each analysis (the pipeline of those awaiting their outcome),
    /// at least `looks`; the last is `enrollment.sample_size`.
    pub randomised_at_looks: Option<Vec<u64>>,
    pub prior: Option<RawPrior>,
    #[serde(default)]
    pub posterior: RawPosterior,
    pub n_draws: Option<usize>,
    pub control: Option<String>,
    #[serde(default = "superiority")]
    pub superiority: PerLook,
    #[serde(default = "inferiority")]
    pub inferiority: PerLook,
    pub equivalence: Option<RawThreshold>,
    pub futility: Option<RawThreshold>,
    pub adaptive_randomisation: Option<RawAdaptiveRandomisation>,
    #[serde(default)]
    pub select: SelectStrategy,
    pub select_preferences: Option<Vec<String>>,
    #[serde(default)]
    pub select_last_arm: bool,
    #[serde(default)]
    pub by_label: bool,
}

fn superiority() -> PerLook {
    PerLook::One(0.99)
}

fn inferiority() -> PerLook {
    PerLook::One(0.01)
}

/// How posterior probabilities are computed: by quadrature, or as the share of `n` posterior
/// draws per arm (adaptr's way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PosteriorMode {
    Exact,
    Draws(usize),
}

/// An equivalence or futility rule: the probability threshold per look, the difference, and
/// whether it is checked only against the first control.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    pub probability: Vec<f64>,
    pub difference: f64,
    pub only_first: bool,
}

/// The control arm's share under RAR (adaptr's `control_prob_fixed`).
#[derive(Debug, Clone, PartialEq)]
pub enum ControlShare {
    /// The control is allocated like any arm.
    Free,
    /// A share by the number of active arms: element `k - 2` with k arms active
    /// ("sqrt": sqrt(k - 1) / (sqrt(k - 1) + k - 1); a fixed share: the same for every k);
    /// the control alone takes everything.
    Fixed(Vec<f64>),
    /// The control's share matches the best other arm's.
    Match,
}

/// The allocation rules (adaptr's start, fixed, min and max probabilities, soften power and
/// control share).
#[derive(Debug, Clone, PartialEq)]
pub struct Allocation {
    pub start: Vec<f64>,
    /// Arms whose share is fixed (all, without adaptive randomisation).
    pub fixed: Vec<Option<f64>>,
    pub min: Vec<Option<f64>>,
    pub max: Vec<Option<f64>>,
    /// Per look.
    pub soften_power: Vec<f64>,
    pub control: ControlShare,
    pub adaptive: bool,
}

/// A validated Bayesian adaptive design.
#[derive(Debug, Clone, PartialEq)]
pub struct BayesianPlan {
    /// Patients with outcome data at each adaptive analysis: strictly increasing.
    pub looks: Vec<u64>,
    /// Patients randomised by each analysis: at least `looks`, non-decreasing, the last the
    /// maximum sample size (`looks` itself without a pipeline).
    pub randomised: Vec<u64>,
    /// Beta(alpha, beta) prior of every arm's event probability.
    pub prior: (f64, f64),
    pub posterior: PosteriorMode,
    /// The common control arm (an index into `Design::arms`), if any.
    pub control: Option<usize>,
    /// Per look.
    pub superiority: Vec<f64>,
    pub inferiority: Vec<f64>,
    pub equivalence: Option<Threshold>,
    pub futility: Option<Threshold>,
    pub allocation: Allocation,
    /// The strategy after "control if available" is resolved.
    pub select: SelectStrategy,
    pub select_preferences: Vec<usize>,
    pub select_last_arm: bool,
    /// Each eligible label adapts on its own patients (its own posteriors, arms dropped,
    /// control, allocation and ending); otherwise the trial adapts on all of them.
    pub by_label: bool,
}

fn err(key: &str, message: impl Into<String>) -> InvalidKey {
    InvalidKey::new(format!("bayesian.{key}"), message)
}

fn index_of(key: &str, name: &str, arm_names: &[String]) -> Result<usize, InvalidKey> {
    arm_names.iter().position(|n| n == name).ok_or_else(|| {
        err(
            key,
            format!(
                "unknown arm '{name}'; expected one of: {}",
                arm_names.join(", ")
            ),
        )
    })
}

/// One value per look from `v`, each a probability in `range` (open or closed ends as named).
fn per_look(key: &str, v: &PerLook, looks: usize) -> Result<Vec<f64>, InvalidKey> {
    let values = match v {
        PerLook::One(x) => vec![*x; looks],
        PerLook::Each(xs) if xs.len() == looks => xs.clone(),
        PerLook::Each(xs) => {
            return Err(err(
                key,
                format!(
                    "expected one value or one per look ({looks}), found {}",
                    xs.len()
                ),
            ));
        }
    };
    if let Some(x) = values.iter().find(|x| !(0.0..=1.0).contains(*x)) {
        return Err(err(
            key,
            format!("expected probabilities in [0, 1], found {x}"),
        ));
    }
    Ok(values)
}

fn looks(raw: &RawBayesian, sample_size: u64) -> Result<Vec<u64>, InvalidKey> {
    let looks = match (&raw.looks, raw.look_every) {
        (Some(l), None) => l.clone(),
        (None, Some(k)) if k > 0 => {
            let mut l: Vec<u64> = (1..)
                .map(|i| i * k)
                .take_while(|&n| n < sample_size)
                .collect();
            l.push(sample_size);
            l
        }
        (None, Some(_)) => return Err(err("look_every", "expected a number of patients > 0")),
        (Some(_), Some(_)) => {
            return Err(err(
                "look_every",
                "give either `looks` or `look_every`, not both",
            ));
        }
        (None, None) => {
            return Err(err(
                "looks",
                "expected the patients with outcome data at each adaptive analysis \
                 (e.g. looks = [100, 200, 300]) or look_every = <patients>",
            ));
        }
    };
    if looks.is_empty() || looks.len() > MAX_BAYESIAN_LOOKS {
        return Err(err(
            "looks",
            format!(
                "expected 1 to {MAX_BAYESIAN_LOOKS} analyses, found {}",
                looks.len()
            ),
        ));
    }
    if looks[0] == 0 || looks.windows(2).any(|w| w[1] <= w[0]) {
        return Err(err(
            "looks",
            format!("expected strictly increasing numbers of patients > 0, found {looks:?}"),
        ));
    }
    Ok(looks)
}

/// Patients randomised by each analysis, checked against the looks and the sample size.
fn randomised(raw: &RawBayesian, looks: &[u64], sample_size: u64) -> Result<Vec<u64>, InvalidKey> {
    let (key, randomised) = match &raw.randomised_at_looks {
        None => ("looks", looks.to_vec()),
        Some(r) => ("randomised_at_looks", r.clone()),
    };
    if randomised.len() != looks.len() {
        return Err(err(
            key,
            format!(
                "expected one number per analysis ({}), found {}",
                looks.len(),
                randomised.len()
            ),
        ));
    }
    if let Some((r, l)) = randomised.iter().zip(looks).find(|(r, l)| r < l) {
        return Err(err(
            key,
            format!(
                "patients randomised by an analysis cannot be fewer than those with outcome data: {r} < {l}"
            ),
        ));
    }
    if randomised.windows(2).any(|w| w[1] < w[0]) {
        return Err(err(
            key,
            format!("expected non-decreasing numbers, found {randomised:?}"),
        ));
    }
    let last = *randomised.last().expect("non-empty");
    if last != sample_size {
        return Err(err(
            key,
            format!(
                "the last analysis has randomised the maximum sample size: expected {sample_size} \
                 (enrollment.sample_size), found {last}"
            ),
        ));
    }
    Ok(randomised)
}

fn threshold(
    key: &str,
    raw: &Option<RawThreshold>,
    looks: usize,
) -> Result<Option<Threshold>, InvalidKey> {
    let Some(t) = raw else { return Ok(None) };
    let probability = per_look(&format!("{key}.probability"), &t.probability, looks)?;
    if probability.iter().any(|&p| p <= 0.0) || probability.windows(2).any(|w| w[1] > w[0]) {
        return Err(err(
            &format!("{key}.probability"),
            "expected probabilities in (0, 1], none higher than the one before",
        ));
    }
    if !(t.difference > 0.0 && t.difference.is_finite()) {
        return Err(err(
            &format!("{key}.difference"),
            format!("expected a difference > 0, found {}", t.difference),
        ));
    }
    Ok(Some(Threshold {
        probability,
        difference: t.difference,
        only_first: t.only_first,
    }))
}

/// The `[bayesian]` plan of a design with these arms (their ratios are the start allocation)
/// and maximum sample size.
pub fn plan(
    raw: &RawBayesian,
    arms: &[RawArm],
    sample_size: u64,
) -> Result<BayesianPlan, InvalidKey> {
    let arm_names: Vec<String> = arms.iter().map(|a| a.name.clone()).collect();
    let k = arms.len();
    let looks = looks(raw, sample_size)?;
    let randomised = randomised(raw, &looks, sample_size)?;
    let n_looks = looks.len();
    let prior = match &raw.prior {
        None => (1.0, 1.0),
        Some(p) => {
            if !(p.alpha >= 1.0 && p.beta >= 1.0 && p.alpha.is_finite() && p.beta.is_finite()) {
                return Err(err(
                    "prior",
                    format!(
                        "expected Beta(alpha, beta) with alpha, beta >= 1 (bounded densities), \
                         found alpha = {}, beta = {}",
                        p.alpha, p.beta
                    ),
                ));
            }
            (p.alpha, p.beta)
        }
    };
    let posterior = match (raw.posterior, raw.n_draws) {
        (RawPosterior::Exact, None) => PosteriorMode::Exact,
        (RawPosterior::Exact, Some(_)) => {
            return Err(err(
                "n_draws",
                "exact posteriors use no draws; set posterior = \"draws\" or remove n_draws",
            ));
        }
        (RawPosterior::Draws, n) => {
            let n = n.unwrap_or(5000);
            if n < MIN_DRAWS {
                return Err(err(
                    "n_draws",
                    format!("expected at least {MIN_DRAWS} draws, found {n}"),
                ));
            }
            PosteriorMode::Draws(n)
        }
    };
    let control = raw
        .control
        .as_deref()
        .map(|c| index_of("control", c, &arm_names))
        .transpose()?;
    let superiority = per_look("superiority", &raw.superiority, n_looks)?;
    let inferiority = per_look("inferiority", &raw.inferiority, n_looks)?;
    if superiority.windows(2).any(|w| w[1] > w[0]) {
        return Err(err(
            "superiority",
            "expected thresholds none higher than the one before",
        ));
    }
    if inferiority.windows(2).any(|w| w[1] < w[0]) {
        return Err(err(
            "inferiority",
            "expected thresholds none lower than the one before",
        ));
    }
    if let Some((i, s)) = inferiority.iter().zip(&superiority).find(|(i, s)| i >= s) {
        return Err(err(
            "inferiority",
            format!("each inferiority threshold must be below the superiority one: {i} >= {s}"),
        ));
    }
    if control.is_none() && inferiority.iter().any(|&i| i >= 1.0 / k as f64) {
        return Err(err(
            "inferiority",
            format!(
                "without a common control, inferiority thresholds must be below 1 / arms = {}",
                1.0 / k as f64
            ),
        ));
    }
    let equivalence = threshold("equivalence", &raw.equivalence, n_looks)?;
    if control.is_none() && equivalence.as_ref().is_some_and(|e| e.only_first) {
        return Err(err(
            "equivalence.only_first",
            "only_first applies to designs with a common control",
        ));
    }
    let futility = threshold("futility", &raw.futility, n_looks)?;
    if futility.is_some() && control.is_none() {
        return Err(err(
            "futility",
            "futility is assessed against a common control: set bayesian.control",
        ));
    }
    let allocation = allocation(raw, arms, control, n_looks)?;
    let select = match raw.select {
        SelectStrategy::ControlIfAvailable if control.is_some() => SelectStrategy::Control,
        SelectStrategy::ControlIfAvailable => SelectStrategy::None,
        SelectStrategy::Control | SelectStrategy::FinalControl | SelectStrategy::ControlOrBest
            if control.is_none() =>
        {
            return Err(err(
                "select",
                format!("'{}' needs a common control", raw.select.as_str()),
            ));
        }
        s => s,
    };
    let select_preferences = match (&raw.select_preferences, select) {
        (Some(list), SelectStrategy::List | SelectStrategy::ListOrBest) => {
            let idx = list
                .iter()
                .map(|n| index_of("select_preferences", n, &arm_names))
                .collect::<Result<Vec<usize>, _>>()?;
            let mut seen = idx.clone();
            seen.sort_unstable();
            seen.dedup();
            if seen.len() != idx.len() || idx.is_empty() {
                return Err(err(
                    "select_preferences",
                    "expected arms, each at most once",
                ));
            }
            idx
        }
        (None, SelectStrategy::List | SelectStrategy::ListOrBest) => {
            return Err(err(
                "select_preferences",
                "select = \"list\" or \"list_or_best\" needs select_preferences = [arms]",
            ));
        }
        (Some(_), _) => {
            return Err(err(
                "select_preferences",
                "applies only with select = \"list\" or \"list_or_best\"",
            ));
        }
        (None, _) => Vec::new(),
    };
    if raw.select_last_arm && control.is_none() {
        return Err(err(
            "select_last_arm",
            "applies only to designs with a common control",
        ));
    }
    Ok(BayesianPlan {
        looks,
        randomised,
        prior,
        posterior,
        control,
        superiority,
        inferiority,
        equivalence,
        futility,
        allocation,
        select,
        select_preferences,
        select_last_arm: raw.select_last_arm,
        by_label: raw.by_label,
    })
}

fn allocation(
    raw: &RawBayesian,
    arms: &[RawArm],
    control: Option<usize>,
    n_looks: usize,
) -> Result<Allocation, InvalidKey> {
    let k = arms.len();
    let total: f64 = arms.iter().map(|a| f64::from(a.ratio)).sum();
    let mut start: Vec<f64> = arms.iter().map(|a| f64::from(a.ratio) / total).collect();
    let Some(rar) = &raw.adaptive_randomisation else {
        // Fixed allocation by the arms' ratios (renormalised over the arms still active).
        return Ok(Allocation {
            fixed: start.iter().map(|&s| Some(s)).collect(),
            start,
            min: vec![None; k],
            max: vec![None; k],
            soften_power: vec![1.0; n_looks],
            control: ControlShare::Free,
            adaptive: false,
        });
    };
    let key = "adaptive_randomisation";
    let soften_power = per_look(&format!("{key}.soften_power"), &rar.soften_power, n_looks)?;
    let mut fixed = vec![None; k];
    let share = match (&rar.control, control) {
        (None, _) => ControlShare::Free,
        (Some(_), None) => {
            return Err(err(
                &format!("{key}.control"),
                "a control share needs a common control: set bayesian.control",
            ));
        }
        (Some(RawControlShare::Rule(r)), Some(c)) if r == "sqrt" => {
            if arms.iter().any(|a| a.ratio != arms[0].ratio) {
                return Err(err(
                    &format!("{key}.control"),
                    "\"sqrt\" sets the start allocation itself: give every arm the same ratio",
                ));
            }
            let kf = k as f64;
            let s0 = (kf - 1.0).sqrt();
            for (a, s) in start.iter_mut().enumerate() {
                *s = if a == c {
                    s0 / (s0 + kf - 1.0)
                } else {
                    1.0 / (s0 + kf - 1.0)
                };
            }
            fixed[c] = Some(start[c]);
            ControlShare::Fixed(
                (2..=k)
                    .rev()
                    .map(|m| {
                        let r = (m as f64 - 1.0).sqrt();
                        r / (r + m as f64 - 1.0)
                    })
                    .collect(),
            )
        }
        (Some(RawControlShare::Rule(r)), Some(c)) if r == "match" => {
            let best_other = (0..k)
                .filter(|&a| a != c)
                .map(|a| start[a])
                .fold(0.0, f64::max);
            if (start[c] - best_other).abs() > 1e-12 {
                return Err(err(
                    &format!("{key}.control"),
                    "\"match\" starts the control at the largest other arm's share: give the \
                     control arm the largest other arm's ratio",
                ));
            }
            ControlShare::Match
        }
        (Some(RawControlShare::Rule(r)), Some(_)) => {
            return Err(err(
                &format!("{key}.control"),
                format!("expected \"sqrt\", \"match\" or a share in (0, 1), found \"{r}\""),
            ));
        }
        (Some(RawControlShare::Share(s)), Some(c)) => {
            if !(*s > 0.0 && *s < 1.0) {
                return Err(err(
                    &format!("{key}.control"),
                    format!("expected a share in (0, 1), found {s}"),
                ));
            }
            let others: f64 = (0..k).filter(|&a| a != c).map(|a| start[a]).sum();
            for (a, share) in start.iter_mut().enumerate() {
                *share = if a == c {
                    *s
                } else {
                    *share / others * (1.0 - s)
                };
            }
            fixed[c] = Some(*s);
            ControlShare::Fixed(vec![*s; k - 1])
        }
    };
    let limit = |name: &str, v: Option<f64>| -> Result<Option<f64>, InvalidKey> {
        match v {
            Some(x) if !(0.0..=1.0).contains(&x) => Err(err(
                &format!("{key}.{name}"),
                format!("expected a probability in [0, 1], found {x}"),
            )),
            v => Ok(v),
        }
    };
    let (lo, hi) = (limit("min", rar.min)?, limit("max", rar.max)?);
    if let (Some(l), Some(h)) = (lo, hi)
        && h <= l
    {
        return Err(err(&format!("{key}.max"), "expected max > min"));
    }
    // Limits apply to every arm whose share is not set by the control rule.
    let limited = |a: usize| !(control == Some(a) && share != ControlShare::Free);
    let min: Vec<Option<f64>> = (0..k).map(|a| lo.filter(|_| limited(a))).collect();
    let max: Vec<Option<f64>> = (0..k).map(|a| hi.filter(|_| limited(a))).collect();
    for a in 0..k {
        if min[a].is_some_and(|m| start[a] < m) || max[a].is_some_and(|m| start[a] > m) {
            return Err(err(
                &format!("{key}.min"),
                format!(
                    "arm '{}' starts at {:.4}, outside [min, max]",
                    arms[a].name, start[a]
                ),
            ));
        }
    }
    let floor: f64 = (0..k).map(|a| fixed[a].or(min[a]).unwrap_or(0.0)).sum();
    if floor > 1.0 + 1e-8 {
        return Err(err(
            &format!("{key}.min"),
            format!("the fixed and minimum shares add up to {floor} > 1"),
        ));
    }
    let ceiling: Option<f64> = (0..k).map(|a| fixed[a].or(max[a])).sum();
    if ceiling.is_some_and(|c| c < 1.0 - 1e-8) {
        return Err(err(
            &format!("{key}.max"),
            "the fixed and maximum shares add up to less than 1",
        ));
    }
    Ok(Allocation {
        start,
        fixed,
        min,
        max,
        soften_power,
        control: share,
        adaptive: true,
    })
}
