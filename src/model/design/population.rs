//! The validated population: the endotypes (prevalence, and misclassification by
//! `classified_as` or by biomarker rules) and `[enrollment]` (the eligible labels, dropout, and
//! the exact law of a screened and of a randomised patient).

use std::collections::HashSet;

use crate::model::classify::{Biomarker, Classifier, Marginal, Rule};
use crate::model::design::checks::{
    check_name, check_probability, check_sum_to_one, display_name, lookup, normalise,
};
use crate::model::design::{Endotype, MAX_EXPECTED_SCREENED, MAX_SAMPLE_SIZE};
use crate::model::raw::{
    InvalidKey, RawBiomarker, RawBounds, RawClassifier, RawEnrollment, RawScenario,
};
use crate::model::survival::SurvivalModel;
use crate::model::vocabulary::{EndpointKind, MarkerDistribution};

/// The exact law of the screened and randomised patients, from `[enrollment]` and the endotypes.
pub(super) struct Population {
    /// The eligible labels (the analysis strata), in the scenario's order.
    pub eligible: Vec<usize>,
    /// P(label l) at screening.
    pub label_prob: Vec<f64>,
    /// P(a screened patient is eligible).
    pub eligible_fraction: f64,
    /// P(stratum s) and P(true endotype e) among the randomised.
    pub stratum_prob: Vec<f64>,
    pub composition: Vec<f64>,
}

/// The `[[endotype]]` tables: each endotype's prevalence, control risk (from the survival model
/// for a time-to-event endpoint) and classification; with biomarker rules, the classification
/// is their exact matrix.
pub(super) fn endotypes(
    raw: &RawScenario,
    labels: &[String],
    survival: Option<&SurvivalModel>,
) -> Result<(Vec<Endotype>, Option<Classifier>), InvalidKey> {
    let mut endotypes = Vec::with_capacity(raw.endotype.len());
    for (i, e) in raw.endotype.iter().enumerate() {
        let key = |k: &str| format!("endotype.{}.{k}", e.name);
        check_probability(&key("prevalence"), e.prevalence)?;
        let control_mean = match (survival, raw.endpoint.kind) {
            (Some(m), _) => 1.0 - m.control[i].survival(m.reference_day),
            // Ordinal: the log-odds shift under control (`model::ordinal`).
            (None, EndpointKind::Ordinal) => 0.0,
            (None, EndpointKind::Continuous) => {
                let mean = e.control_mean.ok_or_else(|| {
                    InvalidKey::new(
                        key("control_mean"),
                        "missing: the mean outcome under control",
                    )
                })?;
                if !mean.is_finite() {
                    return Err(InvalidKey::new(
                        key("control_mean"),
                        format!("expected a finite mean, found {mean}"),
                    ));
                }
                mean
            }
            (None, _) => {
                let risk = e.control_risk.ok_or_else(|| {
                    InvalidKey::new(key("control_risk"), "missing: the event risk under control")
                })?;
                check_probability(&key("control_risk"), risk)?;
                risk
            }
        };
        let mut classified_as = vec![0.0; labels.len()];
        match &e.classified_as {
            None => classified_as[i] = 1.0,
            Some(map) => {
                for (label, &p) in map {
                    let k = format!("{}.{label}", key("classified_as"));
                    let l = lookup(&k, "label (labels are endotype names)", label, labels)?;
                    check_probability(&k, p)?;
                    classified_as[l] = p;
                }
                let total: f64 = map.values().sum();
                check_sum_to_one(&key("classified_as"), total)?;
                normalise(classified_as.iter_mut(), total);
            }
        }
        endotypes.push(Endotype {
            name: e.name.clone(),
            display: display_name(&key("display_name"), &e.name, &e.display_name)?,
            prevalence: e.prevalence,
            control_mean,
            classified_as,
        });
    }
    let total: f64 = endotypes.iter().map(|e| e.prevalence).sum();
    check_sum_to_one("endotype.*.prevalence", total)?;
    normalise(endotypes.iter_mut().map(|e| &mut e.prevalence), total);
    let classifier = resolve_classifier(raw, labels)?;
    if let Some(c) = &classifier {
        let matrix = c.matrix(endotypes.len(), labels.len());
        for (e, row) in endotypes.iter_mut().zip(matrix) {
            e.classified_as = row;
        }
    }
    Ok((endotypes, classifier))
}

/// `[enrollment]`: sample size, eligible labels and dropout, and the population they give.
pub(super) fn enrollment(
    raw: &RawScenario,
    endotypes: &[Endotype],
    labels: &[String],
) -> Result<Population, InvalidKey> {
    let enr = &raw.enrollment;
    if enr.sample_size == 0 || enr.sample_size > MAX_SAMPLE_SIZE {
        return Err(InvalidKey::new(
            "enrollment.sample_size",
            format!(
                "expected a number of randomised patients from 1 to {MAX_SAMPLE_SIZE}, found {}",
                enr.sample_size
            ),
        ));
    }
    let eligible = eligible_labels(enr, labels)?;
    if !(0.0..1.0).contains(&enr.dropout) {
        return Err(InvalidKey::new(
            "enrollment.dropout",
            format!("expected a probability in [0, 1), found {}", enr.dropout),
        ));
    }
    let label_prob = label_prob(endotypes, labels.len());
    let eligible_fraction: f64 = eligible.iter().map(|&l| label_prob[l]).sum();
    if eligible_fraction <= 0.0 {
        return Err(InvalidKey::new(
            "enrollment.eligible",
            "no screened patient can be eligible: the eligible labels have probability 0",
        ));
    }
    let screened = enr.sample_size as f64 / eligible_fraction;
    if screened > MAX_EXPECTED_SCREENED {
        return Err(InvalidKey::new(
            "enrollment.eligible",
            format!(
                "the eligible labels have probability {eligible_fraction:e}: randomising {} patients would mean screening about {screened:.3e}, more than {MAX_EXPECTED_SCREENED:e}",
                enr.sample_size
            ),
        ));
    }
    let stratum_prob: Vec<f64> = eligible
        .iter()
        .map(|&l| label_prob[l] / eligible_fraction)
        .collect();
    let composition: Vec<f64> = endotypes
        .iter()
        .map(|e| {
            eligible
                .iter()
                .map(|&l| e.prevalence * e.classified_as[l])
                .sum::<f64>()
                / eligible_fraction
        })
        .collect();
    Ok(Population {
        eligible,
        label_prob,
        eligible_fraction,
        stratum_prob,
        composition,
    })
}

/// `enrollment.eligible`: every label when not given; each listed label once.
fn eligible_labels(enr: &RawEnrollment, labels: &[String]) -> Result<Vec<usize>, InvalidKey> {
    Ok(match &enr.eligible {
        None => (0..labels.len()).collect(),
        Some(names) => {
            if names.is_empty() {
                return Err(InvalidKey::new(
                    "enrollment.eligible",
                    "expected at least one eligible label, found an empty list",
                ));
            }
            let mut seen = HashSet::new();
            let mut idx = Vec::new();
            for n in names {
                let l = lookup("enrollment.eligible", "label", n, labels)?;
                if !seen.insert(l) {
                    return Err(InvalidKey::new(
                        "enrollment.eligible",
                        format!("label '{n}' is listed twice"),
                    ));
                }
                idx.push(l);
            }
            idx
        }
    })
}

/// An assay CV of 1 or more is almost surely a percentage typed as a fraction.
/// P(label l) at screening, for each of `labels` labels.
pub(super) fn label_prob(endotypes: &[Endotype], labels: usize) -> Vec<f64> {
    (0..labels)
        .map(|l| {
            endotypes
                .iter()
                .map(|e| e.prevalence * e.classified_as[l])
                .sum()
        })
        .collect()
}

pub(super) fn assay_warnings(raw: &RawScenario) -> Vec<InvalidKey> {
    let mut warnings = Vec::new();
    for b in &raw.biomarker {
        if b.assay_cv.is_some_and(|cv| cv >= 1.0) {
            warnings.push(InvalidKey::new(
                format!("biomarker.{}.assay_cv", b.name),
                format!(
                    "{} is a coefficient of variation of {}%: did you mean {}?",
                    b.assay_cv.unwrap(),
                    b.assay_cv.unwrap() * 100.0,
                    b.assay_cv.unwrap() / 100.0
                ),
            ));
        }
    }
    warnings
}

/// The biomarker classifier, when the scenario has `[[biomarker]]` and `[classifier]`.
fn resolve_classifier(
    raw: &RawScenario,
    labels: &[String],
) -> Result<Option<Classifier>, InvalidKey> {
    match (&raw.classifier, raw.biomarker.is_empty()) {
        (None, true) => return Ok(None),
        (None, false) => {
            return Err(InvalidKey::new(
                "classifier",
                "[[biomarker]] tables need a [classifier] with rules that turn them into labels",
            ));
        }
        (Some(_), true) => {
            return Err(InvalidKey::new(
                "classifier",
                "a [classifier] needs at least one [[biomarker]] to classify by",
            ));
        }
        (Some(_), false) => {}
    }
    if let Some(e) = raw.endotype.iter().find(|e| e.classified_as.is_some()) {
        return Err(InvalidKey::new(
            format!("endotype.{}.classified_as", e.name),
            "expected either classified_as on endotypes or biomarker rules ([[biomarker]] and [classifier]), not both",
        ));
    }
    let mut seen = HashSet::new();
    let mut biomarkers = Vec::new();
    for (i, b) in raw.biomarker.iter().enumerate() {
        check_name(&format!("biomarker[{i}].name"), &b.name, &mut seen)?;
        biomarkers.push(resolve_biomarker(b, labels)?);
    }
    let names: Vec<String> = biomarkers.iter().map(|b| b.name.clone()).collect();
    let c: &RawClassifier = raw.classifier.as_ref().expect("checked");
    let default = lookup(
        "classifier.default",
        "label (labels are endotype names)",
        &c.default,
        labels,
    )?;
    let mut rules = Vec::new();
    for (i, r) in c.rule.iter().enumerate() {
        let key = format!("classifier.rule[{i}] (label '{}')", r.label);
        let label = lookup(
            &format!("{key}.label"),
            "label (labels are endotype names)",
            &r.label,
            labels,
        )?;
        if r.when.is_empty() {
            return Err(InvalidKey::new(
                format!("{key}.when"),
                "expected at least one condition, found an empty `when`",
            ));
        }
        let mut when = Vec::new();
        for (marker, bounds) in &r.when {
            when.push(condition(
                &format!("{key}.when.{marker}"),
                marker,
                bounds,
                &names,
            )?);
        }
        rules.push(Rule { label, when });
    }
    Ok(Some(Classifier {
        biomarkers,
        rules,
        default,
    }))
}

/// One condition of a rule (key `k`): the biomarker's index in `names` and the bounds
/// `(above, below)` the value must lie within.
fn condition(
    k: &str,
    marker: &str,
    bounds: &RawBounds,
    names: &[String],
) -> Result<(usize, f64, f64), InvalidKey> {
    let b = lookup(k, "biomarker", marker, names)?;
    let lo = bounds.above.unwrap_or(f64::NEG_INFINITY);
    let hi = bounds.below.unwrap_or(f64::INFINITY);
    if bounds.above.is_none() && bounds.below.is_none() {
        return Err(InvalidKey::new(k, "expected `above` and/or `below`"));
    }
    for (side, value) in [("above", bounds.above), ("below", bounds.below)] {
        if value.is_some_and(f64::is_nan) {
            return Err(InvalidKey::new(
                format!("{k}.{side}"),
                "expected a threshold (a number or +-inf), found nan",
            ));
        }
    }
    if lo >= hi {
        return Err(InvalidKey::new(
            k,
            format!("expected above < below, found above = {lo}, below = {hi}"),
        ));
    }
    Ok((b, lo, hi))
}

fn resolve_biomarker(b: &RawBiomarker, labels: &[String]) -> Result<Biomarker, InvalidKey> {
    let key = |k: &str| format!("biomarker.{}.{k}", b.name);
    let cv = b.assay_cv.unwrap_or(0.0);
    if !(cv.is_finite() && cv >= 0.0) {
        return Err(InvalidKey::new(
            key("assay_cv"),
            format!("expected a coefficient of variation >= 0, found {cv}"),
        ));
    }
    for name in b.by_endotype.keys() {
        lookup(
            &format!("{}.{name}", key("by_endotype")),
            "endotype",
            name,
            labels,
        )?;
    }
    let mut by_endotype = Vec::with_capacity(labels.len());
    for e in labels {
        let k = format!("{}.{e}", key("by_endotype"));
        let p = b.by_endotype.get(e).ok_or_else(|| {
            InvalidKey::new(
                &k,
                "missing: every endotype needs its distribution parameters",
            )
        })?;
        let marginal = match b.distribution {
            MarkerDistribution::Lognormal => {
                let (Some(median), Some(gsd), None, None) = (p.median, p.gsd, p.mean, p.sd) else {
                    return Err(InvalidKey::new(
                        k,
                        "a lognormal biomarker takes `median` and `gsd` (only)",
                    ));
                };
                if !(median.is_finite() && median > 0.0 && gsd.is_finite() && gsd >= 1.0) {
                    return Err(InvalidKey::new(
                        k,
                        format!(
                            "expected median > 0 and gsd >= 1, found median = {median}, gsd = {gsd}"
                        ),
                    ));
                }
                Marginal::LogNormal {
                    mu: median.ln(),
                    sigma: gsd.ln(),
                }
            }
            MarkerDistribution::Normal => {
                let (None, None, Some(mean), Some(sd)) = (p.median, p.gsd, p.mean, p.sd) else {
                    return Err(InvalidKey::new(
                        k,
                        "a normal biomarker takes `mean` and `sd` (only)",
                    ));
                };
                if !(mean.is_finite() && sd.is_finite() && sd > 0.0) {
                    return Err(InvalidKey::new(
                        k,
                        format!(
                            "expected a finite mean and sd > 0, found mean = {mean}, sd = {sd}"
                        ),
                    ));
                }
                Marginal::Normal { mean, sd }
            }
        };
        by_endotype.push(marginal);
    }
    Ok(Biomarker {
        name: b.name.clone(),
        unit: b.unit.clone(),
        by_endotype,
        assay_log_sd: (1.0 + cv * cv).ln().sqrt(),
        assay_cv: cv,
    })
}
