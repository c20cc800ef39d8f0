//! The paragraph a grant writer pastes: the sample-size justification of the chosen design,
//! and the list of its assumptions.

use crate::engine::summary::{EndpointColumns, SummaryRow};
use crate::model::design::{Design, EndpointModel};
use crate::model::ordinal;
use crate::model::survival::SurvivalModel;
use crate::model::vocabulary::{Intersection, Margin, MarginScale, Randomisation};
use crate::output::report::describe::{
    arm_names, effect_text, hypothesis_names, label_accuracy, label_shown, looks_text,
    perfect_classification, power_direction_words, ratio_string, rules_text, selection_words,
    sided, test_phrase,
};
use crate::output::report::format::{
    duration_clause, loss_to_follow_up, money, num, pct, power_pct, thousands, whole,
};
use crate::output::report::provenance::Provenance;
use crate::output::words::{EndpointWords, endpoint_words};
use crate::stats::power;

/// What the report's paragraphs cite beside the candidate rows.
pub struct Context<'a> {
    /// `Searched::describe` of the power searched.
    pub searched: &'a str,
    pub target: f64,
    /// Summary rows at the scenario's own (planned) N.
    pub stated: &'a [SummaryRow],
    pub provenance: &'a Provenance,
}

/// Expected evaluable patients, all arms, at total sample size `n`.
pub(super) fn expected_evaluable(d: &Design, n: u64) -> f64 {
    n as f64 * (1.0 - d.dropout)
}

/// The ready-to-paste justification paragraph for one comparison at N.
pub fn justification(d: &Design, row: &SummaryRow, n: u64, cx: &Context) -> String {
    let arm = d
        .arms
        .iter()
        .position(|a| a.name == row.arm)
        .expect("arm of the design");
    let mut text = power_sentence(d, row, n, cx, arm);
    if !d.analysis.hypotheses.is_empty() {
        text += &format!(" The power stated is the {}.", cx.searched);
    }
    text += &design_sentences(d, row);
    text += &effects_sentence(d, arm);
    text += &population_sentences(d);
    text += &screening_sentences(d, row, n);
    if let Some(planned) = cx
        .stated
        .iter()
        .find(|r| r.arm == row.arm && n != d.sample_size)
    {
        text += &format!(
            " The N = {} planned in the scenario gives {} power (95% Monte Carlo interval {} to {}).",
            thousands(d.sample_size),
            power_pct(planned.power, cx.target),
            pct(planned.power_ci_low),
            pct(planned.power_ci_high)
        );
    }
    // The software, its version and the scenario's checksum are in the provenance table.
    let p = cx.provenance;
    text += &format!(
        " Simulated with seed {}; the scenario file and the software are identified in the provenance section.",
        row.seed
    );
    if !p.sources.is_empty() {
        text += &format!(" Sources cited in the scenario: {}.", p.sources.join("; "));
    }
    text
}

/// The first sentence: N, the power with its Monte Carlo interval, the effect, the test and the
/// simulation behind it.
fn power_sentence(d: &Design, row: &SummaryRow, n: u64, cx: &Context, arm: usize) -> String {
    let direction = if row.true_difference() >= 0.0 {
        "an increase"
    } else {
        "a reduction"
    };
    let dropout = match &d.endpoint {
        EndpointModel::TimeToEvent(m) => match (m.follow_up_days, loss_to_follow_up(d)) {
            (Some(f), Some(loss)) => format!(", {loss} lost to follow-up by day {f}"),
            _ => String::new(),
        },
        EndpointModel::Binary | EndpointModel::Continuous(_) | EndpointModel::Ordinal(_)
            if d.dropout > 0.0 =>
        {
            format!(
                ", of whom about {} are expected to be evaluable after {} dropout",
                whole(expected_evaluable(d, n)),
                pct(d.dropout)
            )
        }
        EndpointModel::Binary | EndpointModel::Continuous(_) | EndpointModel::Ordinal(_) => {
            String::new()
        }
    };
    // A time-to-event design: the mortality by the reference day, the hazard ratio and the
    // deaths behind the power.
    let words = endpoint_words(d);
    let outcome = &words.outcome;
    let effect = match &row.endpoint {
        EndpointColumns::TimeToEvent(s) => {
            format!(
                ", {}; on average {} deaths by the analysis, {} under {} and {} under {}",
                if s.true_hazard_ratio.is_nan() {
                    "no single hazard ratio, as the endotypes' hazards or effects differ"
                        .to_string()
                } else {
                    format!("a hazard ratio of {}", num(s.true_hazard_ratio))
                },
                whole(s.mean_events),
                whole(s.mean_events_control),
                d.arms[d.control].display,
                whole(s.mean_events_arm),
                d.arms[arm].display,
            ) + &duration_clause(s)
        }
        EndpointColumns::Continuous(c) => format!(
            ", with standard deviations {} under {} and {} under {}",
            num(c.true_sd_control),
            d.arms[d.control].display,
            num(c.true_sd_arm),
            d.arms[arm].display,
        ),
        EndpointColumns::Ordinal(o) => format!(
            ", {} of {}; levels worst first, under {}: {}",
            if o.proportional_odds_holds {
                "a common odds ratio"
            } else {
                "an odds ratio, the proportional-odds model's best fit as the odds ratios differ between levels,"
            },
            num(o.true_log_odds_ratio.exp()),
            d.arms[d.control].display,
            d.ordinal().map_or(String::new(), |m| {
                m.levels
                    .iter()
                    .zip(d.true_distribution(d.control))
                    .map(|(l, p)| format!("{l} {}", pct(p)))
                    .collect::<Vec<_>>()
                    .join(", ")
            }),
        ),
        EndpointColumns::Binary(_) => String::new(),
    };
    let (risk_control, risk_arm) = row.true_risks();
    // Non-inferiority: what the power is to show, and the margin it is shown against.
    let aim = match &d.analysis.margin {
        Some(m) => format!(
            "to show that {} is non-inferior to {} on {} (non-inferiority margin {}, H0: {} worse by at least the margin) when {} is {} under {} and {} under {}",
            d.arms[arm].display,
            d.arms[d.control].display,
            outcome,
            margin_words(m),
            d.arms[arm].display,
            outcome,
            words.value(risk_control),
            d.arms[d.control].display,
            words.value(risk_arm),
            d.arms[arm].display,
        ),
        None => format!(
            "to detect {direction} in {} from {} under {} to {} under {}",
            outcome,
            words.value(risk_control),
            d.arms[d.control].display,
            words.value(risk_arm),
            d.arms[arm].display,
        ),
    };
    format!(
        "With N = {} patients randomised {} ({}){dropout}, the trial has {} power (95% Monte Carlo interval {} to {}) \
         {aim} (a difference of {}{effect}), \
         using the {} at {} alpha {}{}, based on R = {} simulated trials{}.",
        thousands(n),
        ratio_string(d),
        arm_names(d),
        power_pct(row.power, cx.target),
        pct(row.power_ci_low),
        pct(row.power_ci_high),
        words.difference(row.true_difference()),
        test_phrase(d.analysis.test),
        sided(d),
        d.analysis.alpha,
        power_direction_words(d),
        thousands(row.replicates),
        if row.replicates > d.replicates {
            format!(
                " at this N (the search simulates {} at each N it tries, and more where the power lies within Monte Carlo error of the target)",
                thousands(d.replicates)
            )
        } else {
            String::new()
        },
    )
}
/// A margin as a reader states it: "4 percentage points (risk difference)", "1.25 (risk
/// ratio)", "1 (mean difference)".
fn margin_words(m: &Margin) -> String {
    match m.scale {
        MarginScale::RiskDifference => {
            format!(
                "{} percentage points (risk difference)",
                num(100.0 * m.margin)
            )
        }
        scale => format!("{} ({})", num(m.margin), scale.as_str().replace('_', " ")),
    }
}

/// The group-sequential looks and their stopping, the adaptation, and the comparisons'
/// (unadjusted) level.
fn design_sentences(d: &Design, row: &SummaryRow) -> String {
    let mut out = String::new();
    if let (Some(plan), Some(q)) = (d.sequential(), row.sequential()) {
        // Counting the benefit's rejections only, a two-arm trial's other early stops are for
        // harm (with more arms a trial stops only when every comparison has).
        let harm = match power::one_way(d) && d.comparisons().count() == 1 {
            true => format!(
                ", {} for harm",
                pct((q.p_early_stop - q.p_early_efficacy - q.p_early_futility).max(0.0))
            ),
            false => String::new(),
        };
        out += &format!(
            " N is the maximum sample size of a group-sequential design with {} analyses (at {} of the {}), {} and {}, each comparison monitored at every look; \
             the trial stops early with probability {} ({} for efficacy, {} for futility{harm}) and randomises on average {} patients (95th percentile {}).",
            plan.looks.len(),
            looks_text(plan),
            endpoint_words(d).information,
            plan.efficacy_words(),
            plan.futility_words(),
            pct(q.p_early_stop),
            pct(q.p_early_efficacy),
            pct(q.p_early_futility),
            whole(q.expected_randomised),
            thousands(q.p95_randomised),
        );
    }
    if let Some(a) = d.adaptation() {
        out += &format!(
            " The design is adaptive: at look {} it keeps {}, and from then on recruits only from the labels of the populations kept; \
             the hypotheses of the {} populations ({}) are tested by closed testing with {} intersection tests, the stages combined by the \
             inverse-normal method with weights fixed by the planned looks, which controls the family-wise error at {} alpha {} in the strong sense.",
            a.at_look + 1,
            selection_words(a.selection),
            d.analysis.hypotheses.len(),
            hypothesis_names(d),
            match a.intersection {
                Intersection::Simes => "Simes",
                Intersection::Bonferroni => "Bonferroni",
                Intersection::Sidak => "Sidak",
                Intersection::SpiessensDebois => "Spiessens-Debois",
            },
            sided(d),
            d.analysis.alpha
        );
    }
    let comparisons = d.comparisons().count();
    if comparisons > 1 {
        out += &format!(
            " The {comparisons} comparisons with {} are each tested at alpha {}, without adjustment across arms.",
            d.arms[d.control].display, d.analysis.alpha
        );
    }
    out
}
/// The treatment effects assumed, on the true endotypes.
fn effects_sentence(d: &Design, arm: usize) -> String {
    let treatments: Vec<usize> = d.arms[arm]
        .treatment_by_stratum
        .iter()
        .flatten()
        .copied()
        .collect();
    effects_of(d, treatments)
}

/// " The treatment effects assumed act on the true endotype: ..." of these treatments (each
/// once), or nothing when none has an effect.
pub(super) fn effects_of(d: &Design, mut treatments: Vec<usize>) -> String {
    let mut out = String::new();
    treatments.sort_unstable();
    treatments.dedup();
    let effects: Vec<String> = treatments
        .iter()
        .flat_map(|&t| {
            d.treatments[t]
                .by_endotype
                .iter()
                .enumerate()
                .filter_map(move |(e, v)| v.map(|v| effect_text(d, t, e, v)))
        })
        .collect();
    if !effects.is_empty() {
        out += &format!(
            " The treatment effects assumed act on the true endotype: {}.",
            effects.join("; ")
        );
    }
    out
}
/// The randomised population the risks are those of, and how accurate its labels are.
pub(super) fn population_sentences(d: &Design) -> String {
    let mut out = String::new();
    let composition: Vec<String> = d
        .endotypes
        .iter()
        .zip(&d.composition)
        .filter(|(_, p)| **p > 0.0)
        .map(|(e, p)| format!("{} {}", e.display, pct(*p)))
        .collect();
    out += &format!(
        " These {} are those of the randomised population ({}), which accounts for the endotype prevalences{}.",
        endpoint_words(d).risks,
        composition.join(", "),
        if perfect_classification(d) {
            " and treatment assigned by diagnostic label, the label being taken as the true endotype"
        } else {
            ", the accuracy of the diagnostic classification and treatment assigned by diagnostic label"
        }
    );
    if !perfect_classification(d) {
        let accuracy: Vec<String> = d
            .eligible
            .iter()
            .filter(|&&l| l < d.endotypes.len())
            .map(|&l| {
                let (sensitivity, ppv) = label_accuracy(d, l);
                format!(
                    "{} sensitivity {}, positive predictive value {}",
                    label_shown(d, l),
                    pct(sensitivity),
                    pct(ppv)
                )
            })
            .collect();
        out += &match rules_text(d) {
            Some(rules) => format!(" Labels are measured by the rules {rules}"),
            None => " Labels are given by the scenario's classification probabilities".into(),
        };
        out += &format!("; per eligible label: {}.", accuracy.join("; "));
    }
    out
}
/// The screening burden and the cost.
fn screening_sentences(d: &Design, row: &SummaryRow, n: u64) -> String {
    let mut out = String::new();
    if d.eligible_fraction < 1.0 {
        out += &format!(
            " As {} of screened patients are eligible, about {} patients (95th percentile {}) must be screened to randomise {}.",
            pct(d.eligible_fraction),
            whole(row.mean_screened),
            thousands(row.p95_screened),
            thousands(n)
        );
    }
    if let Some(c) = &d.cost {
        out += &if row.p95_cost.is_nan() {
            format!(
                " The expected cost is {}.",
                money(row.mean_cost, &c.currency)
            )
        } else {
            format!(
                " The expected cost is {} (95th percentile {}).",
                money(row.mean_cost, &c.currency),
                money(row.p95_cost, &c.currency)
            )
        };
    }
    out
}

/// The design assumptions as Markdown tables, rounded for people: endotypes, treatments, arms
/// and the other settings.
pub(super) fn assumptions(d: &Design) -> String {
    // A time-to-event design states its mortality by the reference day (the whole hazard is in
    // the survival curves of survival.svg).
    let words = endpoint_words(d);
    let mut md = String::from("## Design assumptions\n\n");
    md += &endotype_table(d, &words);
    md += &treatment_table(d);
    md += &arm_table(d, &words);
    md += &settings_table(d);
    md + "\n"
}

fn endotype_table(d: &Design, words: &EndpointWords) -> String {
    let risk = &words.risk;
    let sd = match d.continuous() {
        Some(_) => ("| SD ", "---|"),
        None => ("", ""),
    };
    // An ordinal endpoint's control arm is a distribution over the levels.
    let risk = match d.ordinal() {
        Some(_) => "P(level), worst first",
        None => risk.as_str(),
    };
    let mut md = format!(
        "| true endotype | prevalence at screening | control {risk} {}| classified as | share of randomised |\n|---|---|---|{}---|---|\n",
        sd.0, sd.1
    );
    for (i, (e, share)) in d.endotypes.iter().zip(&d.composition).enumerate() {
        let classified: Vec<String> = (0..d.labels.len())
            .zip(&e.classified_as)
            .filter(|(_, p)| **p > 0.0)
            .map(|(l, p)| format!("{} {}", label_shown(d, l), pct(*p)))
            .collect();
        let sd = d
            .continuous()
            .map_or(String::new(), |m| format!("| {} ", num(m.sd[i])));
        md += &format!(
            "| {} | {} | {} {sd}| {} | {} |\n",
            e.display,
            pct(e.prevalence),
            match d.ordinal() {
                Some(m) => m.control[i]
                    .iter()
                    .map(|q| pct(*q))
                    .collect::<Vec<_>>()
                    .join(", "),
                None => words.value(e.control_mean),
            },
            classified.join(", "),
            pct(*share)
        );
    }
    md
}

fn treatment_table(d: &Design) -> String {
    let mut md =
        String::from("\n| treatment | effect measure | value by true endotype |\n|---|---|---|\n");
    for t in &d.treatments {
        let by: Vec<String> = d
            .endotypes
            .iter()
            .zip(&t.by_endotype)
            .filter_map(|(e, v)| v.map(|v| format!("{} {}", e.display, num(v))))
            .collect();
        md += &format!(
            "| {} | {} | {} |\n",
            t.display,
            t.effect.name(),
            by.join(", ")
        );
    }
    md
}

fn arm_table(d: &Design, words: &EndpointWords) -> String {
    let risk = &words.risk;
    let mut md = format!(
        "\n| arm | ratio | treatment by diagnostic label | true {risk} |\n|---|---|---|---|\n"
    );
    for (a, arm) in d.arms.iter().enumerate() {
        let by: Vec<String> = d
            .eligible
            .iter()
            .zip(&arm.treatment_by_stratum)
            .map(|(&l, t)| {
                format!(
                    "{}: {}",
                    label_shown(d, l),
                    t.map_or("none", |t| d.treatments[t].display.as_str())
                )
            })
            .collect();
        md += &format!(
            "| {} | {} | {} | {} |\n",
            arm.display,
            arm.ratio,
            by.join("; "),
            match d.ordinal() {
                Some(_) => num(ordinal::mean_level(&d.true_distribution(a))),
                None => words.value(d.true_mean[a]),
            }
        );
    }
    md
}

fn settings_table(d: &Design) -> String {
    let eligible: Vec<&str> = d.eligible.iter().map(|&l| label_shown(d, l)).collect();
    // A Bayesian design decides by its rules (listed in its own section), not by a test.
    let decisions = match d.bayesian() {
        Some(_) => "| decisions | Bayesian adaptive: posterior probabilities against thresholds (the rules above) |\n".to_string(),
        None => format!(
            "| test | {} |\n| alternative | {}{} |\n| alpha | {} |\n",
            test_phrase(d.analysis.test),
            sided(d),
            power_direction_words(d),
            d.analysis.alpha
        ),
    };
    let mut md = format!(
        "\n| setting | value |\n|---|---|\n| endpoint | {} ({}) |\n| eligible labels | {} ({} of screened) |\n\
         | classification | {} |\n| randomisation | {} |\n| {} |\n{decisions}",
        d.event,
        d.better.phrase(),
        eligible.join(", "),
        pct(d.eligible_fraction),
        match rules_text(d) {
            Some(rules) => rules,
            None if perfect_classification(d) => "label = true endotype".into(),
            None => "classification probabilities given in the scenario".into(),
        },
        match (d.bayesian(), d.randomisation) {
            (Some(b), _) if b.allocation.adaptive =>
                "response-adaptive (each patient by the current allocation probabilities)",
            (_, Randomisation::Block) => "permuted blocks",
            (_, Randomisation::Simple) => "simple",
        },
        match &d.endpoint {
            EndpointModel::Binary | EndpointModel::Continuous(_) | EndpointModel::Ordinal(_) => {
                format!("dropout | {}", pct(d.dropout))
            }
            EndpointModel::TimeToEvent(m) => follow_up_cells(m, d),
        },
    );
    if !d.analysis.hypotheses.is_empty() {
        md += &format!(
            "| hypotheses | {} ({} adjustment) |\n",
            hypothesis_names(d),
            d.analysis.multiplicity.as_str()
        );
    }
    md
}

/// The settings table's follow-up row of a time-to-event design.
fn follow_up_cells(m: &SurvivalModel, d: &Design) -> String {
    match (m.follow_up_days, m.analysis_events) {
        (Some(f), events) => format!(
            "follow-up | {f} days{}; {} lost to follow-up by then",
            events.map_or(String::new(), |k| format!(
                ", or to the analysis at death {k}"
            )),
            loss_to_follow_up(d).unwrap_or_else(|| pct(0.0))
        ),
        (None, events) => format!(
            "follow-up | to the analysis at death {}",
            events.expect("validated: a follow-up or an event count")
        ),
    }
}
