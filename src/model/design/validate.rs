//! `Design::try_from`: the validation of a scenario, one function per table (`population` for
//! the endotypes and `[enrollment]`, `arms` for treatments and arms, the plans' own modules for
//! `[sequential]`, `[adaptation]` and the time-to-event endpoint), in the order their errors are
//! reported; and the checks of the top-level keys, `[analysis]` and `[cost]`.

use std::collections::HashSet;

use crate::model::adaptation;
use crate::model::bayesian::{self, BayesianPlan};
use crate::model::design::checks::{check_name, lookup};
use crate::model::design::{
    Analysis, Cost, Design, DesignKind, EndpointModel, Hypothesis, MAX_ENDOTYPES, arms, population,
};
use crate::model::raw::{InvalidKey, RawAnalysis, RawCost, RawScenario};
use crate::model::reestimation::Reestimated;
use crate::model::sequential;
use crate::model::survival;
use crate::model::vocabulary::{
    Better, EndpointKind, MarginScale, Procedure, Randomisation, ReestimationEffectKind, Sidedness,
    TestKind,
};
use crate::model::{continuous, kind_keys, margin, ordinal};

impl TryFrom<RawScenario> for Design {
    type Error = InvalidKey;

    fn try_from(raw: RawScenario) -> Result<Design, InvalidKey> {
        let name = folder_name(&raw)?;
        let labels = endotype_names(&raw)?;
        kind_keys::check(&raw)?;
        let survival = survival::model(&raw)?;
        let continuous = continuous::model(&raw)?;
        let ordinal = ordinal::model(&raw)?;
        let event = continuous::outcome_name(&raw)?;
        let (endotypes, classifier) = population::endotypes(&raw, &labels, survival.as_ref())?;
        let population = population::enrollment(&raw, &endotypes, &labels)?;
        let treatments = arms::treatments(&raw, &endotypes, &labels)?;
        let treatment_names: Vec<String> = treatments.iter().map(|t| t.name.clone()).collect();
        let mut warnings = population::assay_warnings(&raw);
        let eligible = &population.eligible;
        let arms = arms::arms(&raw, &labels, eligible, &treatment_names, &mut warnings)?;
        let arm_names: Vec<String> = arms.iter().map(|a| a.name.clone()).collect();

        let (control, analysis, bayesian) = decisions(&raw, &labels, eligible, &arm_names)?;
        if let Some(b) = &bayesian {
            by_label_strata(b, &labels, &population)?;
        }
        let mut sequential = sequential_plan(&raw, survival.as_ref())?;
        let accrual = sequential::accrual(&raw)?;
        let adaptation = adaptation::plan(&raw)?;

        // Continuous means, and ordinal log odds ratios, are not risks (not bounded to [0, 1]).
        let risks = continuous.is_none() && ordinal.is_none();
        let (stratum_mean, true_mean) =
            arms::means(&arms, &endotypes, &treatments, &population, risks);
        // A re-estimation of patients for the planned effect sizes for the scenario's own
        // risks (of deaths: its hazard ratio, `planned_hazard_ratio`).
        if let Some(r) = sequential.as_mut().and_then(|p| p.reestimation.as_mut()) {
            let arm = usize::from(control == 0);
            r.planned_risks = (r.effect == ReestimationEffectKind::Planned
                && r.unit == Reestimated::Patients)
                .then(|| (true_mean[arm], true_mean[control]));
        }
        let cost = cost(raw.cost)?;
        direction_warnings(
            raw.endpoint.better,
            &analysis,
            &arms,
            &true_mean,
            control,
            &mut warnings,
        );

        let mut design = Design {
            name,
            description: raw.description,
            replicates: raw.simulation.replicates,
            seed: raw.simulation.seed,
            endotypes,
            labels,
            eligible: population.eligible,
            sample_size: raw.enrollment.sample_size,
            dropout: raw.enrollment.dropout,
            randomisation: match &bayesian {
                None => raw.enrollment.randomisation.unwrap_or_default(),
                Some(_) => Randomisation::Simple,
            },
            event,
            better: raw.endpoint.better,
            treatments,
            arms,
            control,
            analysis,
            eligible_fraction: population.eligible_fraction,
            stratum_prob: population.stratum_prob,
            composition: population.composition,
            stratum_mean,
            true_mean,
            cost,
            classifier,
            warnings,
            endpoint: match (survival, continuous, ordinal) {
                (Some(m), ..) => EndpointModel::TimeToEvent(m),
                (None, Some(m), _) => EndpointModel::Continuous(m),
                (None, None, Some(m)) => EndpointModel::Ordinal(m),
                (None, None, None) => EndpointModel::Binary,
            },
            kind: match (sequential, adaptation, bayesian) {
                (None, None, Some(b)) => DesignKind::Bayesian(Box::new(b)),
                (_, _, Some(_)) => unreachable!("[bayesian] is refused with [sequential]"),
                (None, None, None) => DesignKind::Fixed,
                (Some(p), None, None) => DesignKind::GroupSequential(p),
                (Some(p), Some(a), None) => DesignKind::AdaptiveEnrichment(p, a),
                (None, Some(_), None) => {
                    unreachable!("[adaptation] is refused without [sequential]")
                }
            },
            accrual,
        };
        null_boundary_risks(&design)?;
        planned_hazard_ratio(&mut design)?;
        Ok(design)
    }
}

/// A re-estimation of deaths for the planned effect sizes for `hazard_ratio` as written, by
/// default the scenario's true hazard ratio, which must then be one number.
fn planned_hazard_ratio(design: &mut Design) -> Result<(), InvalidKey> {
    let arm = usize::from(design.control == 0);
    let ratio = design.true_hazard_ratio(arm);
    let Some(r) = design.reestimation_mut() else {
        return Ok(());
    };
    let written = r.planned_hazard_ratio.is_some();
    if written || r.unit != Reestimated::Deaths || r.effect != ReestimationEffectKind::Planned {
        return Ok(());
    }
    match ratio {
        Some(hr) => {
            r.planned_hazard_ratio = Some(hr);
            Ok(())
        }
        None => Err(InvalidKey::new(
            "sequential.reestimate.effect",
            "\"planned\" sizes the next stage for the scenario's hazard ratio, but its hazards \
             are not proportional (endotypes with different control hazards or hazard ratios \
             are mixed), so no one hazard ratio is true: write the one to size for \
             (sequential.reestimate.hazard_ratio), or use effect = \"observed\"",
        )),
    }
}

/// A re-estimated design is also simulated on the boundary of its null hypothesis (its type I
/// error): with a non-inferiority margin every label's risk moved by the margin must stay a
/// risk.
fn null_boundary_risks(design: &Design) -> Result<(), InvalidKey> {
    // Deaths: the null boundary is a hazard ratio, always a valid one.
    let risks = design
        .reestimation()
        .is_some_and(|r| r.unit == Reestimated::Patients);
    if !risks || design.at_null_boundary().is_some() {
        return Ok(());
    }
    Err(InvalidKey::new(
        "analysis.non_inferiority_margin",
        "with sequential.reestimate the trials are also run on the null boundary, the arm's risk          in every label moved from control's by the margin; here that leaves [0, 1]: a smaller          margin, or control risks further from 0 and 1",
    ))
}

/// How the trial decides: `[analysis]` (the control arm, its index in `arm_names`, and the
/// analysis), or `[bayesian]` (its plan; the control is its common control, or the first arm
/// when it has none, and the analysis is unused).
fn decisions(
    raw: &RawScenario,
    labels: &[String],
    eligible: &[usize],
    arm_names: &[String],
) -> Result<(usize, Analysis, Option<BayesianPlan>), InvalidKey> {
    let Some(b) = &raw.bayesian else {
        let an = raw.analysis.as_ref().ok_or_else(|| {
            InvalidKey::new(
                "analysis",
                "missing table [analysis] (the control arm and the test), or [bayesian] for a \
                 Bayesian adaptive design",
            )
        })?;
        let (control, mut analysis) = analysis(an, labels, eligible, arm_names)?;
        analysis.margin = margin::margin(raw)?;
        return Ok((control, analysis, None));
    };
    let refuse = |key: &str, why: &str| Err(InvalidKey::new(key, why));
    if raw.analysis.is_some() {
        return refuse(
            "analysis",
            "a Bayesian design decides by its [bayesian] rules: remove [analysis] (no \
             frequentist test is run on Bayesian trials)",
        );
    }
    if raw.sequential.is_some() || raw.adaptation.is_some() {
        return refuse(
            "sequential",
            "a Bayesian design's looks are bayesian.looks: remove [sequential] and [adaptation]",
        );
    }
    if raw.endpoint.kind != EndpointKind::Binary {
        return refuse(
            "bayesian",
            "Bayesian adaptive designs are built for binary endpoints so far (Beta posteriors); \
             set endpoint.kind = \"binary\"",
        );
    }
    if raw.enrollment.randomisation == Some(Randomisation::Block) {
        return refuse(
            "enrollment.randomisation",
            "a Bayesian design randomises each patient with the current allocation \
             probabilities (as adaptr): use \"simple\" or leave the key out",
        );
    }
    let plan = bayesian::plan(b, &raw.arm, raw.enrollment.sample_size)?;
    let analysis = Analysis {
        test: TestKind::ChiSquare,
        alpha: 0.05,
        sidedness: Sidedness::TwoSided,
        hypotheses: Vec::new(),
        multiplicity: Procedure::default(),
        margin: None,
        two_sided_power: true,
    };
    Ok((plan.control.unwrap_or(0), analysis, Some(plan)))
}

/// A label-stratified Bayesian design adapts in every eligible label: each must have patients.
fn by_label_strata(
    plan: &BayesianPlan,
    labels: &[String],
    population: &population::Population,
) -> Result<(), InvalidKey> {
    if !plan.by_label {
        return Ok(());
    }
    let empty = population
        .eligible
        .iter()
        .zip(&population.stratum_prob)
        .find(|(_, p)| **p <= 0.0);
    match empty {
        Some((&l, _)) => Err(InvalidKey::new(
            "bayesian.by_label",
            format!(
                "the eligible label '{}' is given to no patient (no endotype is classified as \
                 it), so it has no data to adapt on: make it not eligible, or set by_label = false",
                labels[l]
            ),
        )),
        None => Ok(()),
    }
}

/// The `[analysis]` table: the control arm (its index in `arm_names`) and the analysis.
fn analysis(
    an: &RawAnalysis,
    labels: &[String],
    eligible: &[usize],
    arm_names: &[String],
) -> Result<(usize, Analysis), InvalidKey> {
    let control = lookup("analysis.control", "arm", &an.control, arm_names)?;
    if !(an.alpha > 0.0 && an.alpha < 1.0) {
        return Err(InvalidKey::new(
            "analysis.alpha",
            format!(
                "expected a significance level in (0, 1), found {}",
                an.alpha
            ),
        ));
    }
    let hypotheses = hypotheses(an, labels, eligible)?;
    if an.multiplicity.is_some() && hypotheses.is_empty() {
        return Err(InvalidKey::new(
            "analysis.multiplicity",
            "a multiplicity procedure needs `hypotheses` to apply to",
        ));
    }
    // true (both directions) is what a one-sided test counts anyway.
    if an.two_sided_power == Some(false) && an.alternative == Sidedness::OneSided {
        return Err(InvalidKey::new(
            "analysis.two_sided_power",
            "a one-sided test rejects in one direction only, so its power counts nothing else: remove the key, or set alternative = \"two_sided\"",
        ));
    }
    let analysis = Analysis {
        test: an.test,
        alpha: an.alpha,
        sidedness: an.alternative,
        hypotheses,
        multiplicity: an.multiplicity.unwrap_or_default(),
        margin: None,
        two_sided_power: an.two_sided_power.unwrap_or(true),
    };
    Ok((control, analysis))
}

/// The `[sequential]` plan: an event-driven design looks at fractions of its deaths, others of
/// their patients.
fn sequential_plan(
    raw: &RawScenario,
    survival: Option<&survival::SurvivalModel>,
) -> Result<Option<sequential::SequentialPlan>, InvalidKey> {
    match survival.and_then(|m| m.analysis_events) {
        Some(events) => sequential::plan(raw, events, "endpoint.analysis_events", "deaths"),
        None => sequential::plan(
            raw,
            raw.enrollment.sample_size,
            "enrollment.sample_size",
            "patients",
        ),
    }
}

/// The scenario's name (it becomes a folder under the output folder), after checking the
/// number of replicates.
fn folder_name(raw: &RawScenario) -> Result<String, InvalidKey> {
    let name = raw.name.trim().to_string();
    // The name becomes a directory under the output folder.
    if name.is_empty()
        || name == "."
        || name == ".."
        || name.contains(['/', '\\'])
        || name.chars().any(char::is_control)
    {
        return Err(InvalidKey::new(
            "name",
            format!(
                "expected a non-empty name usable as a folder name (no '/', '\\', '..'), found '{}'",
                raw.name
            ),
        ));
    }
    if raw.simulation.replicates == 0 {
        return Err(InvalidKey::new(
            "simulation.replicates",
            "expected a positive number of virtual trials, found 0",
        ));
    }
    Ok(name)
}

/// The endotypes' names (the labels): one to `MAX_ENDOTYPES`, unique.
fn endotype_names(raw: &RawScenario) -> Result<Vec<String>, InvalidKey> {
    if raw.endotype.is_empty() {
        return Err(InvalidKey::new(
            "endotype",
            "expected at least one [[endotype]]",
        ));
    }
    if raw.endotype.len() > MAX_ENDOTYPES {
        return Err(InvalidKey::new(
            "endotype",
            format!(
                "expected at most {MAX_ENDOTYPES} [[endotype]] tables, found {}",
                raw.endotype.len()
            ),
        ));
    }
    let mut seen = HashSet::new();
    for (i, e) in raw.endotype.iter().enumerate() {
        check_name(&format!("endotype[{i}].name"), &e.name, &mut seen)?;
    }
    Ok(raw.endotype.iter().map(|e| e.name.clone()).collect())
}

/// `analysis.hypotheses`: "overall" or eligible labels, each once.
fn hypotheses(
    an: &RawAnalysis,
    labels: &[String],
    eligible: &[usize],
) -> Result<Vec<Hypothesis>, InvalidKey> {
    Ok(match &an.hypotheses {
        None => Vec::new(),
        Some(names) => {
            if names.is_empty() {
                return Err(InvalidKey::new(
                    "analysis.hypotheses",
                    "expected at least one hypothesis",
                ));
            }
            let mut seen = HashSet::new();
            let mut out = Vec::new();
            for n in names {
                if !seen.insert(n.clone()) {
                    return Err(InvalidKey::new(
                        "analysis.hypotheses",
                        format!("'{n}' is listed twice"),
                    ));
                }
                out.push(if n == "overall" {
                    Hypothesis::Overall
                } else {
                    let l = labels.iter().position(|l| l == n);
                    match l.and_then(|l| eligible.iter().position(|&e| e == l)) {
                        Some(s) => Hypothesis::Stratum(s),
                        None => {
                            let eligible_names: Vec<&str> = eligible.iter().map(|&l| labels[l].as_str()).collect();
                            return Err(InvalidKey::new(
                                "analysis.hypotheses",
                                format!("unknown hypothesis '{n}'; expected \"overall\" or an eligible label: {}", eligible_names.join(", ")),
                            ));
                        }
                    }
                });
            }
            out
        }
    })
}

/// `[cost]`: costs >= 0 and a currency.
fn cost(cost: Option<RawCost>) -> Result<Option<Cost>, InvalidKey> {
    Ok(match cost {
        None => None,
        Some(c) => {
            for (key, v) in [
                ("cost.screening", c.screening),
                ("cost.per_patient", c.per_patient),
            ] {
                if !(v.is_finite() && v >= 0.0) {
                    return Err(InvalidKey::new(
                        key,
                        format!("expected a cost >= 0, found {v}"),
                    ));
                }
            }
            if c.currency.trim().is_empty() {
                return Err(InvalidKey::new(
                    "cost.currency",
                    "expected a currency name, e.g. \"EUR\"",
                ));
            }
            Some(Cost {
                currency: c.currency,
                screening: c.screening,
                per_patient: c.per_patient,
            })
        }
    })
}

/// A one-sided test of an arm the scenario's own effects make worse than control almost never
/// rejects: say so.
fn direction_warnings(
    better: Better,
    analysis: &Analysis,
    arms: &[crate::model::design::Arm],
    true_mean: &[f64],
    control: usize,
    warnings: &mut Vec<InvalidKey>,
) {
    let benefit = match better {
        Better::Higher => 1.0,
        Better::Lower => -1.0,
    };
    if analysis.sidedness == Sidedness::OneSided {
        for (a, arm) in arms.iter().enumerate() {
            // The effect beyond the null: against a margin, the arm may be somewhat worse.
            let d: f64 = match analysis.margin {
                None => true_mean[a] - true_mean[control],
                // Mortality by the reference day of control's hazard times the margin.
                Some(m) if m.scale == MarginScale::HazardRatio => {
                    true_mean[a] - (1.0 - (1.0 - true_mean[control]).powf(m.null))
                }
                Some(m) if m.scale.is_ratio() => true_mean[a] - m.null * true_mean[control],
                Some(m) => true_mean[a] - true_mean[control] - m.null,
            };
            if a != control && d * benefit < -1e-12 {
                let (key, beyond) = match analysis.margin {
                    None => ("analysis.alternative", "worse than control"),
                    Some(_) => (
                        "analysis.non_inferiority_margin",
                        "worse than control by more than the non-inferiority margin",
                    ),
                };
                warnings.push(InvalidKey::new(
                    key,
                    format!(
                        "arm '{}' is {beyond} by the scenario's own effects ({:.4} vs {:.4}, {} is better): a one-sided test in the direction of benefit will almost never reject",
                        arm.name, true_mean[a], true_mean[control],
                        if benefit > 0.0 { "higher" } else { "lower" }
                    ),
                ));
            }
        }
    }
}
