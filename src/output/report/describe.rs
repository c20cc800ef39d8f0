//! The resolved design in words, as `endotrial validate` prints it: arms and ratio, the test,
//! the classification matrix, the sequential plan, the adaptation and the time-to-event model.

use crate::engine::design_values::DesignValues;
use crate::model::adaptation::Selection;
use crate::model::bayesian::{BayesianPlan, ControlShare, PosteriorMode};
use crate::model::continuous::ContinuousModel;
use crate::model::design::{Design, EndpointModel};
use crate::model::ordinal::{self, OrdinalModel};
use crate::model::reestimation::Reestimated;
use crate::model::sequential::DAYS_PER_MONTH;
use crate::model::survival::SurvivalModel;
use crate::model::vocabulary::{
    Effect, LabelCounts, Margin, MarginScale, Sidedness, TestKind, TimeResolution,
};
use crate::output::report::format::{loss_to_follow_up, num, pct};
use crate::output::words::endpoint_words;
use crate::stats::boundaries;
use crate::stats::power;

pub(super) fn test_phrase(test: TestKind) -> &'static str {
    match test {
        TestKind::ChiSquare => "Pearson chi-square test (without continuity correction)",
        TestKind::ChiSquareYates => "chi-square test with Yates' continuity correction",
        TestKind::FisherExact => "Fisher exact test",
        TestKind::Cmh => "Cochran-Mantel-Haenszel test stratified by diagnostic label",
        TestKind::FarringtonManning => {
            "Farrington-Manning score z test (restricted maximum-likelihood variance under the margin)"
        }
        TestKind::Logrank => "log-rank test",
        TestKind::LogrankStratified => "log-rank test stratified by diagnostic label",
        TestKind::TTest => "two-sample t test (pooled variance)",
        TestKind::Welch => "Welch's t test (unequal variances)",
        TestKind::AncovaLabels => {
            "t test of the arm in a linear model adjusted for the diagnostic label"
        }
        TestKind::ProportionalOdds => "Wald test of the proportional-odds (cumulative logit) model",
        TestKind::Wilcoxon => {
            "Wilcoxon-Mann-Whitney test (mid-ranks for ties, normal approximation)"
        }
    }
}

pub(super) fn sided(d: &Design) -> &'static str {
    match d.analysis.sidedness {
        Sidedness::TwoSided => "two-sided",
        Sidedness::OneSided => "one-sided",
    }
}

/// A two-sided design whose power counts benefit only says so after its level: ", power
/// counting rejections for benefit only (rpact's twoSidedPower = FALSE)"; nothing otherwise.
pub(super) fn power_direction_words(d: &Design) -> &'static str {
    match d.analysis.two_sided_power {
        true => "",
        false => ", power counting rejections for benefit only (rpact's twoSidedPower = FALSE)",
    }
}

/// "1:1" or "2:1:1", in arm order.
pub fn ratio_string(d: &Design) -> String {
    d.arms
        .iter()
        .map(|a| a.ratio.to_string())
        .collect::<Vec<_>>()
        .join(":")
}

/// How the report names diagnostic label `l`: its endotype's display name (labels are the
/// endotypes, in file order).
pub(super) fn label_shown(d: &Design, l: usize) -> &str {
    d.endotypes[l].display.as_str()
}

/// "placebo : personalised", in arm order (as the ratio).
pub(super) fn arm_names(d: &Design) -> String {
    d.arms
        .iter()
        .map(|a| a.display.as_str())
        .collect::<Vec<_>>()
        .join(" : ")
}

/// Sensitivity P(label l | the endotype of that name) and positive predictive value
/// P(that endotype | label l).
pub(super) fn label_accuracy(d: &Design, l: usize) -> (f64, f64) {
    let labelled: f64 = d
        .endotypes
        .iter()
        .map(|e| e.prevalence * e.classified_as[l])
        .sum();
    let sensitivity = d.endotypes[l].classified_as[l];
    (
        sensitivity,
        d.endotypes[l].prevalence * sensitivity / labelled,
    )
}

/// Whether every patient's label is their true endotype.
pub(super) fn perfect_classification(d: &Design) -> bool {
    d.endotypes
        .iter()
        .enumerate()
        .all(|(e, t)| t.classified_as.get(e) == Some(&1.0))
}

/// The classifier's rules in words, in the order they are tried.
pub(super) fn rules_text(d: &Design) -> Option<String> {
    let c = d.classifier.as_ref()?;
    let parts: Vec<String> = c
        .rules
        .iter()
        .map(|r| {
            let when: Vec<String> = r
                .when
                .iter()
                .flat_map(|&(b, lo, hi)| {
                    let m = &c.biomarkers[b];
                    let unit = m.unit.as_deref().map_or(String::new(), |u| format!(" {u}"));
                    let above = lo
                        .is_finite()
                        .then(|| format!("{} > {}{unit}", m.name, num(lo)));
                    let below = hi
                        .is_finite()
                        .then(|| format!("{} < {}{unit}", m.name, num(hi)));
                    above.into_iter().chain(below)
                })
                .collect();
            format!("{} if {}", label_shown(d, r.label), when.join(" and "))
        })
        .collect();
    let otherwise = format!("otherwise {}", label_shown(d, c.default));
    let cv: Vec<String> = c
        .biomarkers
        .iter()
        .filter(|b| b.assay_cv > 0.0)
        .map(|b| format!("{} {}", b.name, pct(b.assay_cv)))
        .collect();
    let error = if cv.is_empty() {
        String::new()
    } else {
        format!(", with assay coefficients of variation {}", cv.join(", "))
    };
    Some(format!("{}; {otherwise}{error}", parts.join("; then ")))
}

/// One treatment's assumed effect in one true endotype, in words.
pub(super) fn effect_text(d: &Design, t: usize, e: usize, value: f64) -> String {
    let t = &d.treatments[t];
    let endotype = &d.endotypes[e];
    let mut control = endotype.control_mean;
    let mut treated =
        crate::model::design::treated_mean(t.effect, value, control).unwrap_or(f64::NAN);
    // An ordinal endotype's mean is a log-odds shift: say its mean level instead.
    if let Some(m) = d.ordinal() {
        (control, treated) = (
            ordinal::mean_level(&m.distribution(e, control)),
            ordinal::mean_level(&m.distribution(e, treated)),
        );
    }
    let measure = match t.effect {
        Effect::Risk | Effect::Mean => String::new(),
        Effect::RiskDifference => {
            format!("risk difference {:+.1} percentage points, ", 100.0 * value)
        }
        other => format!("{} {}, ", other.name(), num(value)),
    };
    let words = endpoint_words(d);
    format!(
        "{} in {}: {measure}{} {} under {} against {} under control",
        t.display,
        endotype.display,
        words.outcome,
        words.value(treated),
        t.display,
        words.value(control)
    )
}

/// The classification matrix with each label's sensitivity and positive predictive value.
pub(super) fn classification(d: &Design) -> String {
    let source = match &d.classifier {
        Some(c) => format!(
            "computed exactly from {} biomarker(s) ({}) and {} rule(s), default '{}'",
            c.biomarkers.len(),
            c.biomarkers
                .iter()
                .map(|b| b.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            c.rules.len(),
            d.labels[c.default]
        ),
        None => "as given by classified_as (default: its own name)".into(),
    };
    let mut out = format!("  classification P(label | true endotype), {source}:\n");
    out += &format!("    {:<18}", "true \\ label");
    for l in &d.labels {
        out += &format!(" {l:>16}");
    }
    out += "\n";
    for e in &d.endotypes {
        out += &format!("    {:<18}", e.name);
        for p in &e.classified_as {
            out += &format!(" {p:>16.4}");
        }
        out += "\n";
    }
    out += "    label: sensitivity P(label | endotype of that name), PPV P(endotype | label):";
    for (l, name) in d.labels.iter().enumerate() {
        let (sensitivity, ppv) = label_accuracy(d, l);
        out += &format!(" {name} {sensitivity:.4} / {ppv:.4};");
    }
    out + "\n"
}

/// The resolved design, as `validate` prints it.
/// A plan's looks as percentages of the outcomes: "50.0%, 100.0%".
pub(super) fn looks_text(plan: &crate::model::sequential::SequentialPlan) -> String {
    plan.looks
        .iter()
        .map(|&t| pct(t))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The boundaries of a sequential design, look by look, with the inflation of the maximum
/// information and the expected information (as rpact's `getDesignCharacteristics` gives them).
pub fn sequential_text(d: &Design) -> String {
    let (Some(plan), Some((b, beta_spent, sides))) = (d.sequential(), boundaries::of_design(d))
    else {
        return String::new();
    };
    let words = endpoint_words(d);
    let (units, column) = (words.information, words.information_column);
    // The analytic stages and calendar the summary rows read; an event-driven design looks at
    // fractions of its deaths, at random calendar times.
    let values = DesignValues::of(d);
    let event_driven = !values.fixed_looks;
    let mut out = format!(
        "  sequential: {} look(s) at {} of the {units}; {}; {}\n",
        plan.looks.len(),
        looks_text(plan),
        plan.efficacy_words(),
        plan.futility_words()
    );
    if let Some(a) = d.accrual {
        out += &format!(
            "    pipeline: {} randomised a month, outcome on day {}: {} patient(s) randomised but without an outcome at each look\n",
            a.per_month,
            a.assessment_day,
            a.pipeline()
        );
    }
    out += &format!(
        "    look  fraction  {column:>8}  randomised   months  efficacy z  nominal p  alpha spent  futility z  beta spent\n"
    );
    let levels = b.stage_levels();
    // An event-driven look's expected calendar: at the day its expected deaths reach its count.
    let known = |v: f64| Some(v).filter(|v| !v.is_nan());
    for (k, &t) in plan.looks.iter().enumerate() {
        let dash =
            |v: Option<f64>, digits: usize| v.map_or("-".to_string(), |v| format!("{v:.digits$}"));
        out += &format!(
            "    {:>4}  {:>8.4}  {:>8}  {:>10}  {:>7}  {:>10.4}  {:>9.6}  {:>11.6}  {:>10}  {:>10}\n",
            k + 1,
            t,
            plan.evaluable[k],
            if event_driven {
                dash(known(values.analytic_randomised[k]), 1)
            } else {
                d.randomised_by_look(k).to_string()
            },
            if event_driven {
                dash(known(values.analytic_months[k]), 1)
            } else {
                dash(d.months_to_look(k), 1)
            },
            b.efficacy[k],
            levels[k],
            b.alpha_spent[k],
            dash(b.futility_at(k), 4),
            dash(beta_spent.as_ref().map(|v| v[k]), 6),
        );
    }
    let beta = match &plan.futility {
        crate::model::sequential::FutilityRule::BetaSpending { beta, .. } => *beta,
        _ => 0.2,
    };
    let c = boundaries::characteristics(&b, d.analysis.alpha, sides, beta, power::one_way(d));
    out += &format!(
        "    inflation factor {:.4}: for {} power, the maximum information ({}) is {:.4} x the fixed design's; expected {:.4} x under that alternative, {:.4} x under the null\n",
        c.inflation,
        pct(1.0 - beta),
        words.maximum_information,
        c.inflation,
        c.expected_h1,
        c.expected_h0
    );
    out + &reestimation_text(d) + &analytic_stages_text(d, &values, &b, sides)
}

/// The re-estimation rule in words, with each stage's bounds.
fn reestimation_text(d: &Design) -> String {
    let Some(r) = d.reestimation() else {
        return String::new();
    };
    let effect = match (r.planned_risks, r.planned_hazard_ratio) {
        (Some((arm, control)), _) => {
            format!("the planned risks (arm {arm:.4}, control {control:.4})")
        }
        (_, Some(hr)) => format!("the planned hazard ratio ({hr:.4})"),
        (None, None) if r.unit == Reestimated::Deaths => {
            "the hazard ratio estimated from the last look's log-rank z".to_string()
        }
        (None, None) => "the risks observed so far".to_string(),
    };
    let stages: Vec<String> = (1..r.stage_min.len())
        .map(|k| format!("{} to {}", r.stage_min[k], r.stage_max[k]))
        .collect();
    let (what, statistics) = match r.unit {
        Reestimated::Patients => (
            format!(
                "N from {} to {} (patients per later stage",
                r.min_total, r.max_total
            ),
            "the stages' z statistics",
        ),
        Reestimated::Deaths => (
            format!(
                "the deaths the next look waits for, from {} to {} in all (deaths per later stage",
                r.min_total, r.max_total
            ),
            "the stages' log-rank increments (sqrt(D_k) z_k - sqrt(D_k-1) z_k-1) / sqrt(D_k - D_k-1)",
        ),
    };
    format!(
        "    sample-size re-estimation: after each interim look the next stage is sized for conditional power {} at {effect}, {what}: {}); {statistics} are combined by the inverse normal method with the planned weights (sqrt of each look's information increment), so the efficacy and futility bounds above apply to the combination\n",
        r.conditional_power,
        stages.join(", ")
    )
}

/// Per comparison: the analytic probabilities of stopping at each look at the scenario's
/// effects (rpact's `rejectPerStage`, `futilityPerStage`), and the expected patients (deaths for
/// an event-driven design) at them and under the null.
fn analytic_stages_text(
    d: &Design,
    values: &DesignValues,
    b: &boundaries::Boundaries,
    sides: boundaries::Sides,
) -> String {
    let event_driven = !values.fixed_looks;
    let null = boundaries::stages(b, sides, 0.0, power::one_way(d));
    // What each look has reached: planned deaths, or patients randomised (pipeline included).
    let at_look = match event_driven {
        true => &values.analytic_events,
        false => &values.analytic_randomised,
    };
    let unit = if event_driven { "deaths" } else { "randomised" };
    let mut out = String::new();
    for (arm, stages) in d.comparisons().zip(&values.analytic_stages) {
        let Some(stages) = stages else {
            continue;
        };
        // Counting the benefit's rejections only, the stops for harm have their own column.
        let harm = !stages.harm.is_empty();
        out += &format!(
            "    analytic, {} vs {} (normal approximation at the scenario's effects):\n    look  P(efficacy)  P(futility)  cumulative power{}\n",
            d.arms[arm].name,
            d.arms[d.control].name,
            if harm { "  P(harm)" } else { "" }
        );
        for (k, power) in stages.cumulative_power().iter().enumerate() {
            out += &format!(
                "    {:>4}  {:>11.4}  {:>11.4}  {:>16.4}",
                k + 1,
                stages.reject[k],
                stages.futility[k],
                power
            );
            if harm {
                out += &format!("  {:>7.4}", stages.harm[k]);
            }
            out += "\n";
        }
        // A trial of more comparisons stops only when every one has: no single expectation.
        if values.analytic_stages.len() == 1 {
            out += &format!(
                "    expected {unit} {:.1} at the scenario's effects, {:.1} under the null (of at most {:.0})\n",
                stages.expected(at_look),
                null.expected(at_look),
                at_look[at_look.len() - 1]
            );
            // An event-driven trial's expected calendar (rpact's expectedNumberOfSubjects and
            // studyDuration), where every look's day is known.
            let known = |v: &[f64]| v.iter().all(|x| !x.is_nan());
            if event_driven && known(&values.analytic_randomised) && known(&values.analytic_months)
            {
                out += &format!(
                    "    expected randomised {:.1} and months to the analysis that ends the trial {:.1} at the scenario's effects\n",
                    stages.expected(&values.analytic_randomised),
                    stages.expected(&values.analytic_months)
                );
            }
        }
    }
    out
}

/// The scenario's hypotheses by name: "overall, mals".
pub(super) fn hypothesis_names(d: &Design) -> String {
    d.analysis
        .hypotheses
        .iter()
        .map(|&h| d.hypothesis_name(h))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An adaptive design's selection rule, in words.
pub(super) fn selection_words(selection: Selection) -> String {
    match selection {
        Selection::Best => "the population with the best observed effect".to_string(),
        Selection::RBest(r) => format!("the {r} populations with the best observed effects"),
        Selection::Epsilon(e) => {
            format!("every population within {e} (risk difference) of the best observed effect")
        }
        Selection::Threshold(t) => {
            format!("every population whose z exceeds {t} (none: stop for futility)")
        }
        Selection::All => "every population".to_string(),
    }
}

/// `validate`'s lines for adaptive enrichment: the rule, each population's labels, its
/// composition by true endotype (misclassification) and the eligible fraction of screening while
/// it alone continues; and the eligible fraction after each possible selection.
pub(super) fn adaptation_text(d: &Design) -> String {
    let Some(a) = d.adaptation() else {
        return String::new();
    };
    let selection = selection_words(a.selection);
    let mut out = format!(
        "  adaptation: at look {} keep {selection}; closed testing of {} hypotheses, intersections by {}, stages combined by the inverse-normal method; labels recruited {}\n",
        a.at_look + 1,
        d.analysis.hypotheses.len(),
        a.intersection.as_str(),
        match a.label_counts {
            LabelCounts::Random => "at random (drawn at screening)",
            LabelCounts::Fixed => "by quota",
        }
    );
    let screened = |strata: &[usize]| strata.iter().map(|&s| d.screened_with(s)).sum::<f64>();
    for &h in &d.analysis.hypotheses {
        let strata = d.strata_of(h);
        let weight: f64 = strata.iter().map(|&s| d.stratum_prob[s]).sum();
        let composition: Vec<String> = d
            .endotypes
            .iter()
            .enumerate()
            .map(|(e, endo)| {
                let share: f64 = strata
                    .iter()
                    .map(|&s| d.stratum_prob[s] * d.endotypes_in_stratum(s)[e])
                    .sum::<f64>()
                    / weight;
                format!("{} {share:.4}", endo.name)
            })
            .collect();
        out += &format!(
            "    {:<16} labels {}; by true endotype: {}; eligible fraction if it alone continues {:.4}\n",
            d.hypothesis_name(h),
            strata
                .iter()
                .map(|&s| d.labels[d.eligible[s]].as_str())
                .collect::<Vec<_>>()
                .join(", "),
            composition.join(", "),
            screened(&strata)
        );
    }
    let h = d.analysis.hypotheses.len();
    let mut fractions = Vec::new();
    for mask in 1..1usize << h {
        let names: Vec<&str> = (0..h)
            .filter(|&i| mask >> i & 1 == 1)
            .map(|i| d.hypothesis_name(d.analysis.hypotheses[i]))
            .collect();
        fractions.push(format!(
            "{} {:.4}",
            names.join(" + "),
            screened(&d.strata_of_populations(mask))
        ));
    }
    out += &format!(
        "    eligible fraction of screening: before the selection {:.4}; after it, by the populations kept: {}\n",
        d.eligible_fraction,
        fractions.join("; ")
    );
    out
}

/// One line per arm: its true risk (`what`), and by label with the treatment given.
pub(super) fn per_arm(d: &Design, what: &str) -> String {
    let mut out = String::new();
    for (a, arm) in d.arms.iter().enumerate() {
        out += &format!(
            "    {:<16} ratio {}  {what} {:.4}  [by label:",
            arm.name, arm.ratio, d.true_mean[a]
        );
        for (s, &l) in d.eligible.iter().enumerate() {
            let t = arm.treatment_by_stratum[s].map_or("none", |t| d.treatments[t].name.as_str());
            out += &format!(" {} {:.4} ({t});", d.labels[l], d.stratum_mean[a][s]);
        }
        out += "]\n";
    }
    out
}

/// `validate`'s model lines for a time-to-event endpoint: follow-up and analysis, mortality
/// per arm, the hazard ratio and Schoenfeld's power.
pub(super) fn survival_text(d: &Design, m: &SurvivalModel) -> String {
    let mut out = String::from("\n  time to ");
    out += &d.event;
    out += &match (m.follow_up_days, m.analysis_events) {
        (Some(f), None) => format!(": each patient followed {f} days"),
        (None, Some(k)) => format!(": analysed at the calendar time of death {k}"),
        (Some(f), Some(k)) => {
            format!(": analysed at the calendar time of death {k}, follow-up capped at {f} days")
        }
        (None, None) => unreachable!("validated: one of them"),
    };
    out += match m.resolution {
        TimeResolution::Day => "; times recorded in whole days",
        TimeResolution::Continuous => "; times recorded exactly",
    };
    out += &match (m.follow_up_days, loss_to_follow_up(d)) {
        (Some(f), Some(loss)) => format!("; loss to follow-up {loss} by day {f} (exponential)\n"),
        _ => "; no loss to follow-up\n".to_string(),
    };
    // The calendar of an event-driven analysis without simulation (rpact's analysisTime).
    if let Some(k) = m.analysis_events {
        let values = DesignValues::of(d);
        let day = values.analysis_day;
        out += &if day.is_nan() {
            format!(
                "  the expected deaths never reach {k} (too few patients, follow-up too short, or an accrual too short to have a rate)\n"
            )
        } else {
            format!(
                "  expected deaths reach {k} on day {day:.1} ({:.1} months), with {:.1} randomised (rpact's analysisTime and numberOfSubjects)\n",
                day / DAYS_PER_MONTH,
                values.randomised_at_analysis
            )
        };
    }
    out += &format!(
        "  true mortality by day {} per arm (no loss to follow-up):\n",
        m.reference_day
    );
    out += &per_arm(d, "mortality");
    for a in d.comparisons() {
        let vs = format!("  {} vs {}", d.arms[a].name, d.arms[d.control].name);
        out += &match d.true_hazard_ratio(a) {
            Some(hr) if d.reestimation().is_some() => format!(
                "{vs}: true hazard ratio {hr:.4}; power and type I error by simulation only (the re-estimated stages have random sizes)\n"
            ),
            Some(hr) => format!(
                "{vs}: true hazard ratio {hr:.4}; Schoenfeld power {:.4} ({}{}, alpha {})\n",
                power::analytic_power(d, a),
                d.analysis.alternative_text(),
                d.analysis.margin.map_or(String::new(), |m| format!(
                    ", against the non-inferiority margin {}",
                    m.margin
                )),
                d.analysis.alpha
            ),
            None => format!(
                "{vs}: no single true hazard ratio (the endotypes' hazards or effects differ, so the marginal hazards are not proportional); power by simulation only\n"
            ),
        };
    }
    out
}

pub fn describe(d: &Design) -> String {
    let mut out = format!("scenario {}", d.name);
    if let Some(desc) = &d.description {
        out += &format!(": {}", desc.trim());
    }
    out += "\n";
    out += &format!(
        "  screening: {:.4} of screened patients are eligible ({}); {:.1} screened on average to randomise {}{}\n",
        d.eligible_fraction,
        d.eligible
            .iter()
            .map(|&l| d.labels[l].as_str())
            .collect::<Vec<_>>()
            .join(", "),
        d.expected_screened(),
        d.sample_size,
        match d.bayesian() {
            // The maximum: an adaptive trial may stop before it, and with by_label screens for
            // fewer labels once one has ended.
            Some(b) if b.by_label =>
                " (the maximum, every label open; `run` simulates the screening of the trials as they adapt)",
            Some(_) => " (the maximum; `run` simulates the screening of the trials as they stop)",
            None => "",
        }
    );
    out += &classification(d);
    out += "  randomised patients by true endotype:";
    for (e, p) in d.endotypes.iter().zip(&d.composition) {
        out += &format!(" {} {:.4};", e.name, p);
    }
    out += "\n  randomised patients by diagnostic label (analysis strata):";
    for (&l, p) in d.eligible.iter().zip(&d.stratum_prob) {
        out += &format!(" {} {:.4};", d.labels[l], p);
    }
    out + &match &d.endpoint {
        EndpointModel::Binary => binary_text(d),
        EndpointModel::TimeToEvent(m) => survival_text(d, m) + &sequential_text(d),
        EndpointModel::Continuous(m) => continuous_text(d, m),
        EndpointModel::Ordinal(m) => ordinal_text(d, m),
    }
}

/// An ordinal endpoint's levels and control distribution per endotype, its distribution per
/// arm, its looks, and each comparison's log odds ratio and analytic power.
fn ordinal_text(d: &Design, m: &OrdinalModel) -> String {
    let list = |p: &[f64]| {
        p.iter()
            .map(|q| format!("{q:.4}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut out = format!(
        "\n  {} (ordinal, {} levels worst first: {}; dropout {})\n  P(level) under control per true endotype:",
        d.event,
        m.levels.len(),
        m.levels.join(" | "),
        d.dropout
    );
    for (e, p) in d.endotypes.iter().zip(&m.control) {
        out += &format!(" {} [{}];", e.name, list(p));
    }
    out += "\n  true P(level) per arm (mean level, worst = 1):\n";
    for (a, arm) in d.arms.iter().enumerate() {
        let p = d.true_distribution(a);
        out += &format!(
            "    {:<16} ratio {}  [{}]  mean level {:.4}\n",
            arm.name,
            arm.ratio,
            list(&p),
            ordinal::mean_level(&p)
        );
    }
    out += &sequential_text(d);
    for a in d.comparisons() {
        let (pa, pc) = (d.true_distribution(a), d.true_distribution(d.control));
        let beta = power::true_log_odds_ratio(d, a);
        let holds = match ordinal::common_log_odds_ratio(&pa, &pc) {
            Some(_) => "a common odds ratio",
            None => "the proportional-odds fit's limit: the odds ratios differ between levels",
        };
        let method = if d.has_interim_looks() {
            "across the boundaries"
        } else {
            "as Hmisc::popower"
        };
        out += &format!(
            "  {} vs {}: true odds ratio {:.4} ({holds}); Whitehead's analytic power {:.4} ({}, {method}, {}, alpha {})\n",
            d.arms[a].name,
            d.arms[d.control].name,
            beta.exp(),
            power::analytic_power(d, a),
            test_phrase(d.analysis.test),
            d.analysis.alternative_text(),
            d.analysis.alpha,
        );
    }
    out
}

/// A continuous endpoint's law per endotype, its means per arm, its looks, and each
/// comparison's true difference and analytic power.
fn continuous_text(d: &Design, m: &ContinuousModel) -> String {
    let mut out = format!(
        "\n  {} ({}), normal within each true endotype (dropout {}):",
        d.event,
        d.better.phrase(),
        d.dropout
    );
    for (e, sd) in d.endotypes.iter().zip(&m.sd) {
        out += &format!(
            " {} control mean {} sd {};",
            e.name,
            num(e.control_mean),
            num(*sd)
        );
    }
    out += "\n";
    if let Some(t) = m.responder_below {
        out += &format!(
            "  responder: an outcome <= {}; the dichotomised outcome is analysed too (chi-square test of responders, in the same trials)\n",
            num(t)
        );
    }
    out += "  true mean per arm:\n";
    out += &per_arm(d, "mean");
    out += &sequential_text(d);
    for a in d.comparisons() {
        let method = match (d.analysis.test, d.has_interim_looks()) {
            (TestKind::Wilcoxon, false) => "Noether's formula, P(X > Y) exact",
            (TestKind::Wilcoxon, true) => "Noether's drift across the boundaries",
            (_, true) => "normal approximation across the boundaries",
            (_, false) => "noncentral t",
        };
        out += &format!(
            "  {} vs {}: true difference {:+.4}, true SD {:.4} vs {:.4}; analytic power {:.4} ({}, {method}, {}, alpha {})\n",
            d.arms[a].name,
            d.arms[d.control].name,
            d.true_mean[a] - d.true_mean[d.control],
            d.true_sd(a),
            d.true_sd(d.control),
            power::analytic_power(d, a),
            test_phrase(d.analysis.test),
            d.analysis.alternative_text(),
            d.analysis.alpha,
        );
        if let Some(m) = d.analysis.margin {
            out += &margin_sentence(d, a, &m);
            out += "\n";
        }
    }
    out
}

/// The hypotheses of a non-inferiority comparison in words, on a line of their own:
/// "non-inferiority margin 0.1 (risk difference): H0: short's risk is at least control's +0.1;
/// H1: below it".
pub(super) fn margin_sentence(d: &Design, arm: usize, m: &Margin) -> String {
    let (arm, control) = (&d.arms[arm].name, &d.arms[d.control].name);
    let quantity = match m.scale {
        MarginScale::RiskDifference | MarginScale::RiskRatio => "risk",
        MarginScale::HazardRatio => "hazard",
        MarginScale::MeanDifference => "mean",
    };
    let worse = match d.better {
        crate::model::vocabulary::Better::Lower => ("at least", "below"),
        crate::model::vocabulary::Better::Higher => ("at most", "above"),
    };
    let bound = if m.scale.is_ratio() {
        format!("{} x {control}'s", m.null)
    } else {
        format!("{control}'s {:+}", m.null)
    };
    format!(
        "\n    non-inferiority margin {} ({}): H0: {arm}'s {quantity} is {} {bound}; H1: {} it",
        m.margin,
        m.scale.as_str().replace('_', " "),
        worse.0,
        worse.1
    )
}

/// The binary endpoint's risks per arm, its looks and adaptation, and the analytic power.
fn binary_text(d: &Design) -> String {
    let mut out = format!(
        "\n  true risk of {} per arm (dropout {}):\n",
        d.event, d.dropout
    );
    out += &per_arm(d, "risk");
    if let Some(plan) = d.bayesian() {
        return out + &bayesian_text(d, plan);
    }
    out += &sequential_text(d);
    out += &adaptation_text(d);
    for a in d.comparisons() {
        let power = if d.adaptation().is_some() {
            " (all eligible labels); power by simulation only (the selection changes the populations tested)".to_string()
        } else if d.reestimation().is_some() {
            "; power and type I error by simulation only (the re-estimated stages have random sizes)"
                .to_string()
                + &d
                    .analysis
                    .margin
                    .map_or(String::new(), |m| margin_sentence(d, a, &m))
        } else if let Some(m) = d.analysis.margin {
            format!(
                "; normal-approximation power {:.4} (Farrington-Manning z against the non-inferiority margin, one_sided, alpha {})",
                power::analytic_power(d, a),
                d.analysis.alpha
            ) + &margin_sentence(d, a, &m)
        } else {
            format!(
                "; normal-approximation power {:.4} (pooled z test of the risk difference, {}, alpha {}{})",
                power::analytic_power(d, a),
                d.analysis.alternative_text(),
                d.analysis.alpha,
                match d.analysis.test {
                    crate::model::vocabulary::TestKind::ChiSquare => "",
                    _ => "; an approximation to the chi-square test, not to the test analysed",
                }
            )
        };
        out += &format!(
            "  {} vs {}: true difference {:+.4}{power}\n",
            d.arms[a].name,
            d.arms[d.control].name,
            d.true_mean[a] - d.true_mean[d.control],
        );
    }
    out
}

/// A Bayesian design's rules, as adaptr's `print(trial_spec)` lists them.
pub(super) fn bayesian_text(d: &Design, plan: &BayesianPlan) -> String {
    let list = |v: &[f64]| {
        if v.windows(2).all(|w| w[0] == w[1]) {
            format!("{}", v[0])
        } else {
            v.iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    let looks: Vec<String> = plan.looks.iter().map(u64::to_string).collect();
    let mut out = format!(
        "  Bayesian adaptive design: {} analyses at {} patients with outcome data ({})\n",
        plan.looks.len(),
        looks.join(", "),
        d.better.phrase()
    );
    out += &format!(
        "  posterior: Beta({}, {}) prior per arm; probabilities {}\n",
        plan.prior.0,
        plan.prior.1,
        match plan.posterior {
            PosteriorMode::Exact => "exact (quadrature)".to_string(),
            PosteriorMode::Draws(n) => format!("from {n} posterior draws per arm (as adaptr)"),
        }
    );
    if plan.by_label {
        let labels: Vec<String> = d
            .eligible
            .iter()
            .zip(&d.stratum_prob)
            .map(|(&l, p)| format!("{} ({p:.4})", d.labels[l]))
            .collect();
        out += &format!(
            "  adaptation by label (share of those randomised while all are open): {} each decide, \
             drop arms and allocate on their own patients; a label whose adaptation ends \
             randomises no more (screening then finds only the labels still open); the trial \
             ends when every label has ended, or at {} randomised\n",
            labels.join(", "),
            d.sample_size
        );
    }
    match plan.control {
        Some(c) => out += &format!("  common control: {}\n", d.arms[c].name),
        None => out += "  no common control: arms compared by P(best)\n",
    }
    out += &format!(
        "  stopping: superiority > {}; inferiority < {}\n",
        list(&plan.superiority),
        list(&plan.inferiority)
    );
    if let Some(e) = &plan.equivalence {
        out += &format!(
            "  equivalence: P(|difference| < {}) > {}{}\n",
            e.difference,
            list(&e.probability),
            if e.only_first {
                " (first control only)"
            } else {
                ""
            }
        );
    }
    if let Some(f) = &plan.futility {
        out += &format!(
            "  futility: P(improvement over control < {}) > {}{}\n",
            f.difference,
            list(&f.probability),
            if f.only_first {
                " (first control only)"
            } else {
                ""
            }
        );
    }
    let al = &plan.allocation;
    let start: Vec<String> = d
        .arms
        .iter()
        .zip(&al.start)
        .map(|(a, s)| format!("{} {:.4}", a.name, s))
        .collect();
    if al.adaptive {
        out += &format!(
            "  response-adaptive randomisation: P(best)^{}, start {}{}{}{}\n",
            list(&al.soften_power),
            start.join(", "),
            al.min
                .iter()
                .flatten()
                .next()
                .map_or(String::new(), |m| format!(", min {m}")),
            al.max
                .iter()
                .flatten()
                .next()
                .map_or(String::new(), |m| format!(", max {m}")),
            match &al.control {
                ControlShare::Free => String::new(),
                ControlShare::Match => ", control matched to the best other arm".to_string(),
                ControlShare::Fixed(v) => format!(", control share {:.4}", v[0]),
            }
        );
    } else {
        out += &format!("  fixed allocation: {}\n", start.join(", "));
    }
    out += &format!(
        "  selection without a superior arm: {}\n",
        plan.select.as_str()
    );
    out
}
