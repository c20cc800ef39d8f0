//! The validated `[[treatment]]` and `[[arm]]` tables, and the exact event risk of each arm
//! per analysis stratum: the mixture over the true endotypes that carry the stratum's label.

use std::collections::{BTreeMap, HashSet};

use crate::model::design::checks::{check_name, display_name, lookup};
use crate::model::design::population::Population;
use crate::model::design::{Arm, Endotype, Treatment, treated_mean};
use crate::model::raw::{InvalidKey, RawArm, RawScenario, RawTreatment};
use crate::model::vocabulary::Effect;

/// The `[[treatment]]` tables, their effects checked on every endotype they name.
pub(super) fn treatments(
    raw: &RawScenario,
    endotypes: &[Endotype],
    labels: &[String],
) -> Result<Vec<Treatment>, InvalidKey> {
    let mut seen = HashSet::new();
    let mut treatments = Vec::with_capacity(raw.treatment.len());
    for (i, t) in raw.treatment.iter().enumerate() {
        check_name(&format!("treatment[{i}].name"), &t.name, &mut seen)?;
        treatments.push(resolve_treatment(t, endotypes, labels)?);
    }
    Ok(treatments)
}

/// The `[[arm]]` tables (at least two), with a warning for an assignment to a label that is
/// never randomised and for fewer than two patients an arm.
pub(super) fn arms(
    raw: &RawScenario,
    labels: &[String],
    eligible: &[usize],
    treatment_names: &[String],
    warnings: &mut Vec<InvalidKey>,
) -> Result<Vec<Arm>, InvalidKey> {
    if raw.arm.len() < 2 {
        return Err(InvalidKey::new(
            "arm",
            format!(
                "expected at least two [[arm]] tables (a control and a comparator), found {}",
                raw.arm.len()
            ),
        ));
    }
    let mut seen = HashSet::new();
    let mut arms = Vec::with_capacity(raw.arm.len());
    for (i, a) in raw.arm.iter().enumerate() {
        check_name(&format!("arm[{i}].name"), &a.name, &mut seen)?;
        arms.push(resolve_arm(a, labels, eligible, treatment_names)?);
        for label in a.assign.iter().flat_map(|m| m.keys()) {
            let l = labels.iter().position(|n| n == label).expect("resolved");
            if !eligible.contains(&l) {
                warnings.push(InvalidKey::new(
                    format!("arm.{}.assign.{label}", a.name),
                    format!("label '{label}' is not eligible (enrollment.eligible): patients with it are never randomised, so this assignment has no effect"),
                ));
            }
        }
    }
    // Fewer than two patients an arm: a trial with an arm of one or none can test nothing.
    if raw.enrollment.sample_size < 2 * arms.len() as u64 {
        warnings.push(InvalidKey::new(
            "enrollment.sample_size",
            format!(
                "{} patients for {} arms is fewer than two an arm: most trials have an arm with one patient or none, and their test cannot reject",
                raw.enrollment.sample_size,
                arms.len()
            ),
        ));
    }
    Ok(arms)
}

/// Exact mean outcomes (event risks, or means of a continuous outcome) per arm and stratum, and
/// per arm over the randomised population. `risks`: the outcomes are risks, so a sum's rounding
/// beyond [0, 1] is clamped.
pub(super) fn means(
    arms: &[Arm],
    endotypes: &[Endotype],
    treatments: &[Treatment],
    population: &Population,
    risks: bool,
) -> (Vec<Vec<f64>>, Vec<f64>) {
    let bound = |m: f64| if risks { m.clamp(0.0, 1.0) } else { m };
    let Population {
        eligible,
        label_prob,
        stratum_prob,
        ..
    } = population;
    // Exact event risks per arm and stratum: mixture over the true endotypes with that label.
    let mut stratum_mean = vec![vec![0.0; eligible.len()]; arms.len()];
    for (a, arm) in arms.iter().enumerate() {
        for (s, &l) in eligible.iter().enumerate() {
            if label_prob[l] <= 0.0 {
                continue; // an empty stratum: never sampled
            }
            let mut mean = 0.0;
            for (e, endo) in endotypes.iter().enumerate() {
                let weight = endo.prevalence * endo.classified_as[l] / label_prob[l];
                let r = match arm.treatment_by_stratum[s] {
                    None => endo.control_mean,
                    Some(t) => treatment_mean(&treatments[t], e, endo.control_mean),
                };
                mean += weight * r;
            }
            stratum_mean[a][s] = bound(mean); // risks: rounding only, each term is in [0, 1]
        }
    }
    let true_mean: Vec<f64> = stratum_mean
        .iter()
        .map(|r| {
            r.iter()
                .zip(stratum_prob.iter())
                .map(|(r, p)| r * p)
                .sum::<f64>()
        })
        .map(bound)
        .collect();
    (stratum_mean, true_mean)
}

/// The mean outcome of true endotype `e` under treatment `t` (a risk already validated to lie
/// in [0, 1], or a mean).
fn treatment_mean(t: &Treatment, e: usize, control: f64) -> f64 {
    match t.by_endotype[e] {
        None => control,
        Some(v) => treated_mean(t.effect, v, control).expect("validated"),
    }
}

fn resolve_treatment(
    t: &RawTreatment,
    endotypes: &[Endotype],
    labels: &[String],
) -> Result<Treatment, InvalidKey> {
    let mut by_endotype = vec![None; endotypes.len()];
    for (name, &value) in &t.by_endotype {
        let key = format!("treatment.{}.by_endotype.{name}", t.name);
        let e = lookup(&key, "endotype", name, labels)?;
        let valid = match t.effect {
            Effect::RiskRatio | Effect::OddsRatio => value.is_finite() && value >= 0.0,
            Effect::HazardRatio | Effect::CommonOddsRatio => value.is_finite() && value > 0.0,
            Effect::RiskDifference => (-1.0..=1.0).contains(&value),
            Effect::Risk => (0.0..=1.0).contains(&value),
            Effect::MeanDifference | Effect::Mean => value.is_finite(),
        };
        if !valid {
            let expected = match t.effect {
                Effect::RiskRatio => "a finite risk ratio >= 0",
                Effect::OddsRatio => "a finite odds ratio >= 0",
                Effect::RiskDifference => "a risk difference in [-1, 1]",
                Effect::Risk => "a risk in [0, 1]",
                Effect::HazardRatio => "a hazard ratio > 0",
                Effect::MeanDifference => "a finite mean difference",
                Effect::Mean => "a finite mean",
                Effect::CommonOddsRatio => "a finite common odds ratio > 0",
            };
            return Err(InvalidKey::new(
                key,
                format!("expected {expected}, found {value}"),
            ));
        }
        treated_mean(t.effect, value, endotypes[e].control_mean)
            .map_err(|m| InvalidKey::new(&key, format!("{} {value} {m}", t.effect.name())))?;
        by_endotype[e] = Some(value);
    }
    Ok(Treatment {
        name: t.name.clone(),
        display: display_name(
            &format!("treatment.{}.display_name", t.name),
            &t.name,
            &t.display_name,
        )?,
        effect: t.effect,
        by_endotype,
    })
}

fn resolve_arm(
    a: &RawArm,
    labels: &[String],
    eligible: &[usize],
    treatments: &[String],
) -> Result<Arm, InvalidKey> {
    let key = |k: &str| format!("arm.{}.{k}", a.name);
    if a.ratio == 0 {
        return Err(InvalidKey::new(
            key("ratio"),
            "expected a positive integer allocation ratio, found 0",
        ));
    }
    let by_label: BTreeMap<usize, usize> = match (&a.assign, &a.treatment) {
        (Some(_), Some(_)) => {
            return Err(InvalidKey::new(
                key("assign"),
                "expected either `assign` or `treatment`, not both",
            ));
        }
        (None, None) => BTreeMap::new(),
        (None, Some(t)) => {
            let t = lookup(&key("treatment"), "treatment", t, treatments)?;
            (0..labels.len()).map(|l| (l, t)).collect()
        }
        (Some(map), None) => {
            let mut m = BTreeMap::new();
            for (label, t) in map {
                let k = format!("{}.{label}", key("assign"));
                let l = lookup(&k, "label (labels are endotype names)", label, labels)?;
                m.insert(l, lookup(&k, "treatment", t, treatments)?);
            }
            m
        }
    };
    Ok(Arm {
        name: a.name.clone(),
        display: display_name(&key("display_name"), &a.name, &a.display_name)?,
        ratio: a.ratio,
        treatment_by_stratum: eligible.iter().map(|l| by_label.get(l).copied()).collect(),
    })
}
