//! The validated `[sequential]` table (what the user asked for; `stats::boundaries` computes
//! the bounds from it) and the patient pipeline (`enrollment.accrual_per_month`,
//! `endpoint.assessment_day`).

use crate::model::raw::{InvalidKey, RawScenario, RawSequential};
use crate::model::reestimation::{self, Reestimation};
use crate::model::vocabulary::{
    EfficacyFamily, EndpointKind, FutilityFamily, Sidedness, SpendingFamily, TestKind,
};

/// Most looks a design may have (rpact's limit on kMax): each look adds a numerical
/// integration to the boundaries, and no protocol has more.
pub const MAX_LOOKS: usize = 20;

/// Days in a month: 365.25 / 12.
pub const DAYS_PER_MONTH: f64 = 30.4375;

/// A spending function with its parameter (rho of Kim-DeMets, gamma of Hwang-Shih-DeCani), or
/// the cumulative spending written per look (`SpendingFamily::User`: rpact's
/// `userAlphaSpending`, `userBetaSpending`).
#[derive(Debug, Clone, PartialEq)]
pub struct SpendingRule {
    pub family: SpendingFamily,
    pub parameter: Option<f64>,
    pub user: Option<Vec<f64>>,
}

/// How the efficacy bounds are found.
#[derive(Debug, Clone, PartialEq)]
pub enum EfficacyRule {
    Spending(SpendingRule),
    /// Classic Wang-Tsiatis with its Delta.
    WangTsiatis(f64),
}

/// The futility rule of a one-sided design.
#[derive(Debug, Clone, PartialEq)]
pub enum FutilityRule {
    None,
    /// Fixed bounds on the z scale, one per interim look.
    Bounds(Vec<f64>),
    /// Beta spending of `beta` by `rule` (rpact's `typeBetaSpending`).
    BetaSpending {
        rule: SpendingRule,
        beta: f64,
    },
}

/// A group-sequential plan.
#[derive(Debug, Clone, PartialEq)]
pub struct SequentialPlan {
    /// Planned information fractions, increasing, the last 1.
    pub looks: Vec<f64>,
    /// Patients whose outcome is known at each look: the first `evaluable[k]` randomised
    /// (round(fraction x sample size)), strictly increasing, the last the sample size. An
    /// event-driven time-to-event design: the deaths at each look (round(fraction x
    /// analysis_events)).
    pub evaluable: Vec<u64>,
    pub efficacy: EfficacyRule,
    pub futility: FutilityRule,
    pub binding: bool,
    /// Sample-size re-estimation at the interim looks (the stages then combined by the
    /// inverse normal method); `None`: the planned looks.
    pub reestimation: Option<Reestimation>,
}

impl SequentialPlan {
    /// The plan's words for reports: "O'Brien-Fleming-type alpha spending".
    pub fn efficacy_words(&self) -> String {
        match &self.efficacy {
            EfficacyRule::Spending(r) if r.family == SpendingFamily::User => {
                let u = r.user.as_deref().expect("user spending is written");
                if u[..u.len() - 1].iter().all(|&a| a == 0.0) {
                    "no early efficacy stop (all of alpha at the last look)".into()
                } else {
                    format!("alpha spending as written ({})", list(u))
                }
            }
            EfficacyRule::Spending(r) => format!("{} alpha spending", spending_words(r)),
            EfficacyRule::WangTsiatis(d) => format!("Wang-Tsiatis bounds (Delta = {d})"),
        }
    }

    pub fn futility_words(&self) -> String {
        let binding = if self.binding {
            "binding"
        } else {
            "non-binding"
        };
        match &self.futility {
            FutilityRule::None => "no futility rule".into(),
            FutilityRule::Bounds(b) => {
                let b: Vec<String> = b.iter().map(|v| format!("{v}")).collect();
                format!("{binding} futility bounds z <= {}", b.join(", "))
            }
            FutilityRule::BetaSpending { rule, .. } if rule.family == SpendingFamily::User => {
                format!(
                    "{binding} futility by beta spending as written ({})",
                    list(rule.user.as_deref().expect("user spending is written"))
                )
            }
            FutilityRule::BetaSpending { rule, beta } => {
                format!(
                    "{binding} futility by {} beta spending (beta = {beta})",
                    spending_words(rule)
                )
            }
        }
    }
}

fn list(v: &[f64]) -> String {
    v.iter()
        .map(|x| format!("{x}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn spending_words(r: &SpendingRule) -> String {
    match (r.family, r.parameter) {
        (SpendingFamily::User, _) => match &r.user {
            Some(u) => format!("as written ({})", list(u)),
            None => "as written".into(),
        },
        (SpendingFamily::ObrienFleming, _) => "O'Brien-Fleming-type".into(),
        (SpendingFamily::Pocock, _) => "Pocock-type".into(),
        (SpendingFamily::KimDemets, Some(p)) => format!("Kim-DeMets (rho = {p})"),
        (SpendingFamily::HwangShihDecani, Some(p)) => format!("Hwang-Shih-DeCani (gamma = {p})"),
        (f, None) => f.as_str().into(),
    }
}

/// Randomisation rate and assessment delay: what puts patients in the pipeline at a look.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Accrual {
    pub per_month: f64,
    pub assessment_day: f64,
}

impl Accrual {
    /// Patients randomised while one patient waits for the outcome: the pipeline at a look.
    pub fn pipeline(&self) -> u64 {
        // The 1e-9 keeps an exact product (60 a month, 30.4375 days) from rounding down.
        (self.per_month * self.assessment_day / DAYS_PER_MONTH + 1e-9).floor() as u64
    }

    /// Months from the first randomisation to the outcome of the `n`-th randomised patient
    /// (randomisation at a constant rate: patient n is randomised (n - 1) / rate months after
    /// the first; before issue 29 it was put at n / rate, one accrual interval late).
    pub fn months_to_outcome(&self, n: u64) -> f64 {
        n.saturating_sub(1) as f64 / self.per_month + self.assessment_day / DAYS_PER_MONTH
    }
}

fn spending_rule(
    family: SpendingFamily,
    parameter: Option<f64>,
    key: &str,
) -> Result<SpendingRule, InvalidKey> {
    let needs = matches!(
        family,
        SpendingFamily::KimDemets | SpendingFamily::HwangShihDecani
    );
    match (needs, parameter) {
        (true, None) => Err(InvalidKey::new(
            key,
            format!(
                "the {} family needs a parameter (rho of kim_demets > 0, gamma of hwang_shih_decani)",
                family.as_str()
            ),
        )),
        (false, Some(_)) => Err(InvalidKey::new(
            key,
            format!("the {} family takes no parameter", family.as_str()),
        )),
        (true, Some(p)) => {
            let ok = match family {
                SpendingFamily::KimDemets => p > 0.0 && p <= 20.0,
                _ => p.is_finite() && (-20.0..=20.0).contains(&p) && p != 0.0,
            };
            if ok {
                Ok(SpendingRule {
                    family,
                    parameter: Some(p),
                    user: None,
                })
            } else {
                Err(InvalidKey::new(
                    key,
                    format!(
                        "expected rho in (0, 20] for kim_demets, gamma in [-20, 20] and not 0 for hwang_shih_decani (0 is linear: use kim_demets with rho = 1), found {p}"
                    ),
                ))
            }
        }
        (false, None) => Ok(SpendingRule {
            family,
            parameter: None,
            user: None,
        }),
    }
}

/// The pipeline keys: both or neither; only for sequential designs.
pub fn accrual(raw: &RawScenario) -> Result<Option<Accrual>, InvalidKey> {
    // A time-to-event endpoint reads the accrual keys as its own (`survival::model`).
    if raw.endpoint.kind == EndpointKind::TimeToEvent {
        return Ok(None);
    }
    let rate = raw.enrollment.accrual_per_month;
    let day = raw.endpoint.assessment_day;
    let (per_month, assessment_day) = match (rate, day) {
        (None, None) => return Ok(None),
        (Some(_), None) => {
            return Err(InvalidKey::new(
                "endpoint.assessment_day",
                "expected with enrollment.accrual_per_month: the days from randomisation to the outcome",
            ));
        }
        (None, Some(_)) => {
            return Err(InvalidKey::new(
                "enrollment.accrual_per_month",
                "expected with endpoint.assessment_day: randomised patients per month",
            ));
        }
        (Some(r), Some(d)) => (r, d),
    };
    if !(per_month.is_finite() && per_month > 0.0) {
        return Err(InvalidKey::new(
            "enrollment.accrual_per_month",
            format!("expected a positive number of patients per month, found {per_month}"),
        ));
    }
    if !(assessment_day.is_finite() && assessment_day >= 0.0) {
        return Err(InvalidKey::new(
            "endpoint.assessment_day",
            format!("expected a number of days >= 0, found {assessment_day}"),
        ));
    }
    if raw.sequential.is_none() {
        return Err(InvalidKey::new(
            "enrollment.accrual_per_month",
            "the pipeline and study duration are computed for [sequential] designs (a fixed design: add [sequential] with looks = [1.0])",
        ));
    }
    Ok(Some(Accrual {
        per_month,
        assessment_day,
    }))
}

/// Validates `[sequential]` for a design whose full information is `total` patients (or deaths,
/// event-driven) as given by key `what`, counted in `units`. The checks run in the order of the
/// table's keys, so that the first error reported is the first a reader meets.
pub fn plan(
    raw: &RawScenario,
    total: u64,
    what: &str,
    units: &str,
) -> Result<Option<SequentialPlan>, InvalidKey> {
    let Some(seq) = &raw.sequential else {
        return Ok(None);
    };
    let (looks, evaluable) = looks(&seq.looks, total, what, units)?;
    analysis_for_looks(raw)?;
    let alpha = raw.analysis().alpha;
    let efficacy = efficacy_rule(seq, &looks, alpha)?;
    let interim = looks.len() - 1;
    futility_keys(
        seq,
        interim,
        raw.analysis().alternative == Sidedness::TwoSided,
    )?;
    let futility = futility_rule(seq, &looks, &efficacy, alpha)?;
    let reestimation = match &seq.reestimate {
        Some(r) => Some(reestimation::reestimation(raw, r, &looks, evaluable[0])?),
        None => None,
    };
    Ok(Some(SequentialPlan {
        looks,
        evaluable,
        efficacy,
        futility,
        binding: seq.binding_futility,
        reestimation,
    }))
}

fn key(k: &str) -> String {
    format!("sequential.{k}")
}

/// The looks as fractions (the last exactly 1) and the patients (or deaths) evaluable at each.
fn looks(
    looks: &[f64],
    total: u64,
    what: &str,
    units: &str,
) -> Result<(Vec<f64>, Vec<u64>), InvalidKey> {
    let valid = !looks.is_empty()
        && looks.iter().all(|&t| t > 0.0 && t <= 1.0)
        && looks.windows(2).all(|w| w[0] < w[1])
        && (looks[looks.len() - 1] - 1.0).abs() < 1e-9;
    if !valid {
        return Err(InvalidKey::new(
            key("looks"),
            format!("expected increasing fractions in (0, 1] ending at 1, found {looks:?}"),
        ));
    }
    if looks.len() > MAX_LOOKS {
        return Err(InvalidKey::new(
            key("looks"),
            format!(
                "expected at most {MAX_LOOKS} looks (as rpact's kMax), found {}",
                looks.len()
            ),
        ));
    }
    let mut looks = looks.to_vec();
    *looks.last_mut().expect("non-empty") = 1.0;
    let evaluable: Vec<u64> = looks
        .iter()
        .map(|&t| ((t * total as f64).round() as u64).min(total))
        .collect();
    if evaluable[0] == 0 || evaluable.windows(2).any(|w| w[0] >= w[1]) {
        return Err(InvalidKey::new(
            key("looks"),
            format!(
                "with {what} = {total} the looks fall at {evaluable:?} {units}; expected at least one at the first look and more at each following one"
            ),
        ));
    }
    Ok((looks, evaluable))
}

/// The `[analysis]` keys that group-sequential looks cannot serve.
fn analysis_for_looks(raw: &RawScenario) -> Result<(), InvalidKey> {
    let an = raw.analysis();
    if matches!(an.test, TestKind::FisherExact | TestKind::ChiSquareYates) {
        return Err(InvalidKey::new(
            "analysis.test",
            format!(
                "{} has no z-scale statistic to compare with group-sequential boundaries; with [sequential] use chi_square (pooled z) or cmh (stratified z)",
                an.test.as_str()
            ),
        ));
    }
    if an.hypotheses.is_some() && raw.adaptation.is_none() {
        return Err(InvalidKey::new(
            "analysis.hypotheses",
            "several hypotheses per comparison are monitored across looks by closed testing with [adaptation] (adaptive enrichment; selection = \"all\" keeps every population); add it or remove `hypotheses`",
        ));
    }
    Ok(())
}

fn efficacy_rule(
    seq: &RawSequential,
    looks: &[f64],
    alpha: f64,
) -> Result<EfficacyRule, InvalidKey> {
    if seq.efficacy_spending.is_some() && seq.efficacy != EfficacyFamily::User {
        return Err(InvalidKey::new(
            key("efficacy_spending"),
            "is only used with efficacy = \"user\"; remove it or set sequential.efficacy",
        ));
    }
    let written = matches!(
        seq.efficacy,
        EfficacyFamily::User | EfficacyFamily::NoEarlyEfficacy
    );
    if written && seq.efficacy_parameter.is_some() {
        return Err(InvalidKey::new(
            key("efficacy_parameter"),
            format!(
                "efficacy = \"{}\" takes no parameter; remove it",
                if seq.efficacy == EfficacyFamily::User {
                    "user"
                } else {
                    "no_early_efficacy"
                }
            ),
        ));
    }
    let family = match seq.efficacy {
        EfficacyFamily::User => {
            let written = seq.efficacy_spending.as_deref().ok_or_else(|| {
                InvalidKey::new(
                    key("efficacy_spending"),
                    format!(
                        "efficacy = \"user\" needs the cumulative alpha spent by each of the {} looks, the last analysis.alpha ({alpha})",
                        looks.len()
                    ),
                )
            })?;
            let user = user_spending(written, looks, "efficacy_spending", "alpha", Some(alpha))?;
            return Ok(EfficacyRule::Spending(user_rule(user)));
        }
        EfficacyFamily::NoEarlyEfficacy => {
            let mut spent = vec![0.0; looks.len()];
            *spent.last_mut().expect("at least one look") = alpha;
            return Ok(EfficacyRule::Spending(user_rule(spent)));
        }
        EfficacyFamily::WangTsiatis => {
            return match seq.efficacy_parameter {
                Some(d) if d.is_finite() && (-0.5..=1.0).contains(&d) => {
                    Ok(EfficacyRule::WangTsiatis(d))
                }
                Some(d) => Err(InvalidKey::new(
                    key("efficacy_parameter"),
                    format!(
                        "expected Delta in [-0.5, 1] for wang_tsiatis (0: O'Brien-Fleming, 0.5: Pocock), found {d}"
                    ),
                )),
                None => Err(InvalidKey::new(
                    key("efficacy_parameter"),
                    "wang_tsiatis needs Delta (0: O'Brien-Fleming, 0.5: Pocock)",
                )),
            };
        }
        EfficacyFamily::ObrienFleming => SpendingFamily::ObrienFleming,
        EfficacyFamily::Pocock => SpendingFamily::Pocock,
        EfficacyFamily::KimDemets => SpendingFamily::KimDemets,
        EfficacyFamily::HwangShihDecani => SpendingFamily::HwangShihDecani,
    };
    Ok(EfficacyRule::Spending(spending_rule(
        family,
        seq.efficacy_parameter,
        &key("efficacy_parameter"),
    )?))
}

fn user_rule(user: Vec<f64>) -> SpendingRule {
    SpendingRule {
        family: SpendingFamily::User,
        parameter: None,
        user: Some(user),
    }
}

/// Cumulative spending written per look: one value per look, from 0, not decreasing, the last
/// `total` when given (else in (0, 0.5): a beta).
fn user_spending(
    written: &[f64],
    looks: &[f64],
    k: &str,
    what: &str,
    total: Option<f64>,
) -> Result<Vec<f64>, InvalidKey> {
    if written.len() != looks.len() {
        return Err(InvalidKey::new(
            key(k),
            format!(
                "expected one cumulative {what} per look ({}), found {}",
                looks.len(),
                written.len()
            ),
        ));
    }
    let ordered = written.iter().all(|v| v.is_finite() && *v >= 0.0)
        && written.windows(2).all(|w| w[0] <= w[1]);
    let last = written[written.len() - 1];
    let ends = match total {
        Some(t) => (last - t).abs() <= 1e-12 * t,
        None => last > 0.0 && last < 0.5,
    };
    if !(ordered && ends) {
        let end = match total {
            Some(t) => format!("the last {t} (analysis.alpha)"),
            None => "the last the total beta, in (0, 0.5)".to_string(),
        };
        return Err(InvalidKey::new(
            key(k),
            format!(
                "expected the cumulative {what} spent by each look, from 0 and not decreasing, {end}; found {written:?}"
            ),
        ));
    }
    Ok(written.to_vec())
}

/// Futility keys that do not fit the design or the rule chosen.
fn futility_keys(seq: &RawSequential, interim: usize, two_sided: bool) -> Result<(), InvalidKey> {
    if seq.futility != FutilityFamily::None && two_sided {
        return Err(InvalidKey::new(
            key("futility"),
            "futility bounds are for one-sided designs (analysis.alternative = \"one_sided\"); a two-sided design stops only for efficacy",
        ));
    }
    if seq.futility != FutilityFamily::None && interim == 0 {
        return Err(InvalidKey::new(
            key("futility"),
            "a design with one look has no interim to stop at for futility",
        ));
    }
    let unused = |k: &str, what: &str| {
        Err(InvalidKey::new(
            key(k),
            format!("is only used with {what}; remove it or set sequential.futility"),
        ))
    };
    if seq.futility_bounds.is_some() && seq.futility != FutilityFamily::Z {
        return unused("futility_bounds", "futility = \"z\"");
    }
    let beta_spending = !matches!(seq.futility, FutilityFamily::None | FutilityFamily::Z);
    if seq.futility_beta.is_some() && !beta_spending {
        return unused("futility_beta", "a beta-spending futility rule");
    }
    if seq.futility_beta.is_some() && seq.futility == FutilityFamily::User {
        return Err(InvalidKey::new(
            key("futility_beta"),
            "with futility = \"user\" the total beta is the last value of futility_spending; remove futility_beta",
        ));
    }
    if seq.futility_spending.is_some() && seq.futility != FutilityFamily::User {
        return unused("futility_spending", "futility = \"user\"");
    }
    if seq.futility_parameter.is_some() && seq.futility == FutilityFamily::User {
        return Err(InvalidKey::new(
            key("futility_parameter"),
            "futility = \"user\" takes no parameter; remove it",
        ));
    }
    if seq.futility_parameter.is_some() && !beta_spending {
        return unused("futility_parameter", "a beta-spending futility rule");
    }
    if seq.binding_futility && seq.futility == FutilityFamily::None {
        return unused("binding_futility", "a futility rule");
    }
    Ok(())
}

fn futility_rule(
    seq: &RawSequential,
    looks: &[f64],
    efficacy: &EfficacyRule,
    alpha: f64,
) -> Result<FutilityRule, InvalidKey> {
    let interim = looks.len() - 1;
    let family = match seq.futility {
        FutilityFamily::None => return Ok(FutilityRule::None),
        FutilityFamily::Z => return futility_bounds(seq.futility_bounds.as_deref(), interim),
        FutilityFamily::User => SpendingFamily::User,
        FutilityFamily::ObrienFleming => SpendingFamily::ObrienFleming,
        FutilityFamily::Pocock => SpendingFamily::Pocock,
        FutilityFamily::KimDemets => SpendingFamily::KimDemets,
        FutilityFamily::HwangShihDecani => SpendingFamily::HwangShihDecani,
    };
    if let EfficacyRule::WangTsiatis(_) = efficacy {
        return Err(InvalidKey::new(
            key("futility"),
            "beta spending is defined with an alpha-spending efficacy rule (as rpact's typeBetaSpending), not wang_tsiatis",
        ));
    }
    let (rule, beta) = if family == SpendingFamily::User {
        let written = seq.futility_spending.as_deref().ok_or_else(|| {
            InvalidKey::new(
                key("futility_spending"),
                format!(
                    "futility = \"user\" needs the cumulative beta spent by each of the {} looks, the last the total beta",
                    looks.len()
                ),
            )
        })?;
        let user = user_spending(written, looks, "futility_spending", "beta", None)?;
        (user_rule(user), written[written.len() - 1])
    } else {
        let rule = spending_rule(family, seq.futility_parameter, &key("futility_parameter"))?;
        (rule, seq.futility_beta.unwrap_or(0.2))
    };
    if !(beta > 0.0 && beta < 0.5) {
        return Err(InvalidKey::new(
            key("futility_beta"),
            format!("expected a type II error in (0, 0.5), found {beta}"),
        ));
    }
    if alpha >= 0.5 {
        return Err(InvalidKey::new(
            "analysis.alpha",
            "beta spending needs alpha below 0.5",
        ));
    }
    Ok(FutilityRule::BetaSpending { rule, beta })
}

/// Fixed futility bounds on the z scale, one per interim look.
fn futility_bounds(bounds: Option<&[f64]>, interim: usize) -> Result<FutilityRule, InvalidKey> {
    match bounds {
        None => Err(InvalidKey::new(
            key("futility_bounds"),
            format!(
                "futility = \"z\" needs {interim} bound(s) on the z scale, one per interim look"
            ),
        )),
        Some(b) if b.len() != interim => Err(InvalidKey::new(
            key("futility_bounds"),
            format!(
                "expected {interim} bound(s), one per interim look, found {}",
                b.len()
            ),
        )),
        Some(b) if b.iter().any(|v| !v.is_finite() || v.abs() > 8.0) => Err(InvalidKey::new(
            key("futility_bounds"),
            format!("expected z values in [-8, 8], found {b:?}"),
        )),
        Some(b) => Ok(FutilityRule::Bounds(b.to_vec())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pipeline_is_the_patients_randomised_during_the_assessment_delay() {
        let a = |per_month, assessment_day| Accrual {
            per_month,
            assessment_day,
        };
        // Exact products are whole patients (not one fewer by rounding).
        assert_eq!(a(60.0, 30.4375).pipeline(), 60);
        assert_eq!(a(12.0, 2.0 * 30.4375).pipeline(), 24);
        // Otherwise the patients fully randomised: 10 a month over 28 days is 9.2.
        assert_eq!(a(10.0, 28.0).pipeline(), 9);
        assert_eq!(a(10.0, 0.0).pipeline(), 0);
        // The outcome of the 280th patient at 10 a month, assessed on day 9.
        // The 280th patient is randomised 279 intervals of 1/10 month after the first.
        assert!((a(10.0, 9.0).months_to_outcome(280) - (27.9 + 9.0 / 30.4375)).abs() < 1e-12);
        assert!((a(10.0, 9.0).months_to_outcome(1) - 9.0 / 30.4375).abs() < 1e-15);
    }
}
