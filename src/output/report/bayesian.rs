//! The report of a Bayesian adaptive design (`endotrial report` on a `[bayesian]` scenario):
//! the operating characteristics a statistician quotes (each arm's chance of being declared
//! superior, per label with `by_label`, with Monte Carlo intervals), the type I error under the
//! global null, the expected size, screening and cost, the RAR path, the rules, the assumptions
//! and the provenance, with a paragraph to paste.

use crate::engine::bayesian::metrics::{ArmRow, Metric, RunRow};
use crate::engine::bayesian::select::ArmStatus;
use crate::engine::bayesian::{POOLED, stratum_names};
use crate::engine::summary::wilson_interval;
use crate::model::bayesian::{BayesianPlan, ControlShare, PosteriorMode};
use crate::model::design::Design;
use crate::output::plot::ALLOCATION_SVG;
use crate::output::report::describe::bayesian_text;
use crate::output::report::format::{money, num, pct, thousands, whole};
use crate::output::report::justification::{assumptions, effects_of, population_sentences};
use crate::output::report::provenance::Provenance;
use crate::output::report::provenance_table;
use crate::tools::bayesian_size::{Aim, BayesianSizeSearch, Candidate, Schedule, Targets};

/// A run's results as the report reads them: the scenario's and the global null's.
pub struct BayesianResults<'a> {
    pub arms: &'a [ArmRow],
    pub metrics: &'a [Metric],
    pub run: &'a RunRow,
    /// The same trials with every arm given the control's treatment.
    pub null_arms: &'a [ArmRow],
    /// Trials of the null run in which an arm was declared superior, and its trials.
    pub null_declared: u64,
    pub trials: u64,
}

/// A share of trials with its 95% Monte Carlo (Wilson) interval: "89.5% of trials (95% Monte
/// Carlo interval 89.1% to 89.9%)".
fn in_trials(p: f64, trials: u64) -> String {
    let (lo, hi) = wilson_interval((p * trials as f64).round() as u64, trials, 1.96);
    format!(
        "{} of trials (95% Monte Carlo interval {} to {})",
        pct(p),
        pct(lo),
        pct(hi)
    )
}

/// How people read a stratum: "the MALS label", or nothing for the whole trial.
fn in_stratum(d: &Design, stratum: &str) -> String {
    if stratum == POOLED {
        return String::new();
    }
    format!(" in the {} label", d.label_display(stratum))
}

/// One value, or "from the first to the last" of per-look thresholds (as written: a
/// calibrated threshold keeps its digits).
fn per_look(v: &[f64]) -> String {
    if v.windows(2).all(|w| w[0] == w[1]) {
        v[0].to_string()
    } else {
        format!(
            "{} at the first analysis to {} at the last",
            v[0],
            v[v.len() - 1]
        )
    }
}

/// When the analyses are, in words.
fn analyses_phrase(plan: &BayesianPlan) -> String {
    let looks = &plan.looks;
    let every = looks[0];
    let regular = looks
        .iter()
        .enumerate()
        .all(|(i, &n)| n == every * (i as u64 + 1) || i + 1 == looks.len());
    let mut out = if regular && looks.len() > 1 {
        format!(
            "adaptive analyses after every {} patients with outcome data ({} analyses)",
            thousands(every),
            looks.len()
        )
    } else {
        let at: Vec<String> = looks.iter().map(|&n| thousands(n)).collect();
        format!(
            "adaptive analyses at {} patients with outcome data",
            at.join(", ")
        )
    };
    if plan.has_pipeline() {
        out += " (more patients randomised by then, awaiting their outcome)";
    }
    out
}

/// The rules, in a sentence's words.
fn rules_phrase(d: &Design, plan: &BayesianPlan) -> String {
    let mut parts = vec![format!(
        "Beta({}, {}) priors; {}",
        num(plan.prior.0),
        num(plan.prior.1),
        match plan.posterior {
            PosteriorMode::Exact => "exact posterior probabilities".to_string(),
            PosteriorMode::Draws(n) => format!("probabilities from {n} posterior draws per arm"),
        }
    )];
    match plan.control {
        Some(c) => {
            let control = &d.arms[c].display;
            parts.push(format!(
                "an arm declared superior to {control} when P(better than {control}) exceeds {} (it then becomes the control) and dropped as inferior below {}",
                per_look(&plan.superiority),
                per_look(&plan.inferiority)
            ));
            if let Some(f) = &plan.futility {
                parts.push(format!(
                    "dropped for futility when P(improvement over {control} < {}) exceeds {}{}",
                    num(f.difference),
                    per_look(&f.probability),
                    if f.only_first {
                        " (against the first control only)"
                    } else {
                        ""
                    }
                ));
            }
            if let Some(e) = &plan.equivalence {
                parts.push(format!(
                    "dropped for equivalence when P(|difference from {control}| < {}) exceeds {}",
                    num(e.difference),
                    per_look(&e.probability)
                ));
            }
        }
        None => {
            parts.push(format!(
                "an arm declared superior when its probability of being the best exceeds {}, and dropped below {}",
                per_look(&plan.superiority),
                per_look(&plan.inferiority)
            ));
            if let Some(e) = &plan.equivalence {
                parts.push(format!(
                    "stopping for equivalence when P(all arms within {}) exceeds {}",
                    num(e.difference),
                    per_look(&e.probability)
                ));
            }
        }
    }
    let al = &plan.allocation;
    parts.push(if al.adaptive {
        let mut rar = format!(
            "response-adaptive randomisation proportional to P(best)^{}",
            per_look(&al.soften_power)
        );
        if let Some(m) = al.min.iter().flatten().next() {
            rar += &format!(", at least {}", pct(*m));
        }
        if let Some(m) = al.max.iter().flatten().next() {
            rar += &format!(", at most {}", pct(*m));
        }
        rar += match &al.control {
            ControlShare::Free => "",
            ControlShare::Fixed(_) if is_sqrt(d, plan) => {
                ", the control's share by the square-root rule"
            }
            ControlShare::Fixed(_) => ", the control's share fixed",
            ControlShare::Match => ", the control's share matched to the best other arm",
        };
        rar
    } else {
        "fixed allocation by the arms' ratios".to_string()
    });
    parts.join("; ")
}

/// Whether the control's fixed share is the square-root rule's (it then starts at
/// sqrt(k - 1) / (sqrt(k - 1) + k - 1)).
fn is_sqrt(d: &Design, plan: &BayesianPlan) -> bool {
    let k = d.arms.len() as f64;
    let r = (k - 1.0).sqrt();
    plan.control
        .is_some_and(|c| (plan.allocation.start[c] - r / (r + k - 1.0)).abs() < 1e-12)
}

/// The arm rows with a true benefit over the control in their stratum (without a control: the
/// best arm of each stratum).
fn effective(d: &Design, plan: &BayesianPlan, arms: &[ArmRow]) -> Vec<usize> {
    let sign = d.benefit_sign();
    match plan.control {
        Some(_) => (0..arms.len())
            .filter(|&i| sign * arms[i].true_difference > 1e-12)
            .collect(),
        None => stratum_names(d, plan)
            .iter()
            .filter_map(|s| {
                (0..arms.len())
                    .filter(|&i| &arms[i].stratum == s)
                    .max_by(|&i, &j| {
                        (sign * arms[i].true_risk).total_cmp(&(sign * arms[j].true_risk))
                    })
            })
            .collect(),
    }
}

fn superior(r: &ArmRow) -> f64 {
    r.status[ArmStatus::Superior.index()]
}

fn metric(metrics: &[Metric], stratum: &str, name: &str) -> f64 {
    metrics
        .iter()
        .find(|m| m.stratum == stratum && m.name == name)
        .map_or(f64::NAN, |m| m.estimate)
}

/// The paragraph to paste.
pub fn bayesian_paragraph(d: &Design, r: &BayesianResults) -> String {
    let plan = d.bayesian().expect("a Bayesian design");
    let mut out = format!(
        "With a maximum of {} patients randomised and {}{}, with adaptr's rules ({}),",
        thousands(d.sample_size),
        analyses_phrase(plan),
        if plan.by_label {
            let labels: Vec<&str> = d
                .eligible
                .iter()
                .map(|&l| d.endotypes[l].display.as_str())
                .collect();
            format!(
                ", each diagnostic label ({}) adapting on its own patients",
                labels.join(", ")
            )
        } else {
            String::new()
        },
        rules_phrase(d, plan)
    );
    let wins: Vec<String> = effective(d, plan, r.arms)
        .into_iter()
        .map(|i| {
            let a = &r.arms[i];
            let arm = d.arm_display(&a.arm);
            match plan.control {
                Some(c) => format!(
                    "{arm} superior to {}{} in {}",
                    d.arms[c].display,
                    in_stratum(d, &a.stratum),
                    in_trials(superior(a), r.trials)
                ),
                None => format!(
                    "{arm} (the best arm{}) superior in {}",
                    in_stratum(d, &a.stratum),
                    in_trials(superior(a), r.trials)
                ),
            }
        })
        .collect();
    out += &if wins.is_empty() {
        " no arm has a true benefit in this scenario.".to_string()
    } else {
        format!(" the design declares {}.", wins.join(", and "))
    };
    let sign = d.benefit_sign();
    let null_arms: Vec<&ArmRow> = r
        .arms
        .iter()
        .filter(|a| {
            plan.control.is_some() && a.role == "arm" && (sign * a.true_difference).abs() <= 1e-12
        })
        .collect();
    if let Some(worst) = null_arms
        .iter()
        .max_by(|a, b| superior(a).total_cmp(&superior(b)))
    {
        out += &format!(
            " An arm without effect{} is declared superior in at most {} of trials.",
            if plan.by_label { " in a label" } else { "" },
            pct(superior(worst))
        );
    }
    out += &format!(
        " When no treatment works{}, an arm is declared superior{} in {}: the {}type I error.",
        if plan.by_label { " in any label" } else { "" },
        if plan.by_label { " in some label" } else { "" },
        in_trials(r.null_declared as f64 / r.trials as f64, r.trials),
        if plan.by_label || d.arms.len() > 2 {
            "familywise "
        } else {
            ""
        }
    );
    out += &format!(
        " On average {} patients are randomised (median {}; at most {})",
        whole(r.run.expected_randomised),
        whole(metric(r.metrics, POOLED, "size_median")),
        thousands(d.sample_size)
    );
    if d.eligible_fraction < 1.0 {
        out += &format!(
            " and {} screened (95th percentile {})",
            whole(r.run.mean_screened),
            thousands(r.run.p95_screened)
        );
    }
    if let Some(c) = &d.cost {
        out += &format!(
            ", at an expected cost of {}",
            money(r.run.mean_cost, &c.currency)
        );
    }
    out += ".";
    out += &effects_of(d, d.treatments.iter().enumerate().map(|(t, _)| t).collect());
    out += &population_sentences(d);
    out += &format!(
        " Based on {} simulated trials (seed {}); the scenario file and the software are identified in the provenance section.",
        thousands(r.trials),
        d.seed
    );
    out
}

/// The table of each arm's endings (per label with `by_label`).
fn operating_table(d: &Design, plan: &BayesianPlan, r: &BayesianResults) -> String {
    let label = if plan.by_label { "label | " } else { "" };
    let mut md = format!(
        "| {label}arm | true {} | superior | 95% MC interval | inferior | futile | equivalent | selected | patients (mean) | superior under the global null |\n|{}---|---|---|---|---|---|---|---|---|---|\n",
        d.event,
        if plan.by_label { "---|" } else { "" }
    );
    for (a, null) in r.arms.iter().zip(r.null_arms) {
        let (lo, hi) = wilson_interval(
            (superior(a) * r.trials as f64).round() as u64,
            r.trials,
            1.96,
        );
        let s = |status: ArmStatus| format!("{:.4}", a.status[status.index()]);
        md += &format!(
            "| {}{} | {} | {:.4} | {:.4} to {:.4} | {} | {} | {} | {:.4} | {:.1} | {:.4} |\n",
            if plan.by_label {
                format!("{} | ", d.label_display(&a.stratum))
            } else {
                String::new()
            },
            d.arm_display(&a.arm),
            pct(a.true_risk),
            superior(a),
            lo,
            hi,
            s(ArmStatus::Inferior),
            s(ArmStatus::Futile),
            s(ArmStatus::Equivalence),
            a.p_selected,
            a.mean_randomised,
            superior(null)
        );
    }
    md
}

/// adaptr's performance metrics, per stratum.
fn metrics_table(metrics: &[Metric]) -> String {
    let mut md = String::from(
        "<details>\n<summary>adaptr's performance metrics (check_performance), with Monte Carlo SEs</summary>\n\n| label | metric | estimate | MC SE |\n|---|---|---|---|\n",
    );
    for m in metrics {
        md += &format!(
            "| {} | {} | {} | {} |\n",
            m.stratum,
            m.name,
            if m.estimate.is_nan() {
                "-".to_string()
            } else {
                format!("{:.4}", m.estimate)
            },
            if m.mc_se.is_nan() {
                "-".to_string()
            } else {
                format!("{:.4}", m.mc_se)
            }
        );
    }
    md + "\n</details>\n\n"
}

/// The headline numbers: each effective arm's chance of being declared superior (the arm
/// named by `name`), then the global null's chance of any.
fn headlines(
    d: &Design,
    plan: &BayesianPlan,
    r: &BayesianResults,
    name: impl Fn(&str) -> String,
) -> Vec<String> {
    let mut lines: Vec<String> = effective(d, plan, r.arms)
        .into_iter()
        .map(|i| {
            let a = &r.arms[i];
            format!(
                "{}{}: declared superior in {}",
                name(&a.arm),
                in_stratum(d, &a.stratum),
                in_trials(superior(a), r.trials)
            )
        })
        .collect();
    lines.push(format!(
        "global null (no treatment works): an arm declared superior in {}",
        in_trials(r.null_declared as f64 / r.trials as f64, r.trials)
    ));
    lines
}

/// The whole report in Markdown.
pub fn bayesian_report_markdown(d: &Design, r: &BayesianResults, p: &Provenance) -> String {
    let plan = d.bayesian().expect("a Bayesian design");
    let mut md = format!("# Bayesian design report: {}\n\n", d.name);
    if let Some(desc) = &d.description {
        md += &format!("{}\n\n", desc.trim());
    }
    md += &format!(
        "> **Maximum N = {}**; expected {} randomised, {} screened.\n>\n",
        thousands(d.sample_size),
        whole(r.run.expected_randomised),
        whole(r.run.mean_screened)
    );
    let lines = headlines(d, plan, r, |a| d.arm_display(a).to_string());
    md += &lines
        .iter()
        .map(|l| format!("> {l}."))
        .collect::<Vec<_>>()
        .join("\n>\n");
    md += "\n\n";
    md += &format!(
        "## Design justification\n\n{}\n\n",
        bayesian_paragraph(d, r)
    );
    md += &format!(
        "## Operating characteristics\n\nThe share of {} simulated trials in which each arm ended superior (its power where it has an effect; its type I error where it has none), inferior, futile or equivalent, was selected, and the patients it randomised; the last column is the same share when every arm is given the control's treatment (the global null).\n\n",
        thousands(r.trials)
    );
    md += &operating_table(d, plan, r);
    md += "\n";
    md += &metrics_table(r.metrics);
    md += &format!(
        "## Allocation\n\n![Mean allocation by analysis]({ALLOCATION_SVG})\n\n\
         Each arm's mean share of the patients randomised before each analysis, over the trials still randomising there{}: response-adaptive randomisation at work. The numbers are in allocation.csv.\n\n",
        if plan.by_label { " in that label" } else { "" }
    );
    md += &format!("## Rules\n\n```\n{}```\n\n", bayesian_text(d, plan));
    md += &assumptions(d);
    md += &format!(
        "## Screening burden\n\n{} of screened patients are eligible{}. On average {} patients are screened to randomise {} (95th percentile {}).\n\n",
        pct(d.eligible_fraction),
        if plan.by_label {
            " while every label is open (fewer once a label's adaptation has ended)"
        } else {
            ""
        },
        whole(r.run.mean_screened),
        whole(r.run.expected_randomised),
        thousands(r.run.p95_screened)
    );
    md + &provenance_table(d, p)
}

/// What `report` prints for a Bayesian design: the headline numbers.
pub fn bayesian_report_text(d: &Design, r: &BayesianResults) -> String {
    let plan = d.bayesian().expect("a Bayesian design");
    let mut out = format!(
        "{}: Bayesian adaptive design, maximum N = {}, {} trials, seed {}\n",
        d.name, d.sample_size, r.trials, d.seed
    );
    for line in headlines(d, plan, r, str::to_string) {
        out += &format!("  {line}\n");
    }
    out += &format!(
        "  expected randomised {:.1}, mean screened {:.1} (95th percentile {})\n",
        r.run.expected_randomised, r.run.mean_screened, r.run.p95_screened
    );
    out
}

/// What `size` prints for a Bayesian design's search.
pub fn bayesian_size_text(
    d: &Design,
    search: &BayesianSizeSearch,
    targets: &Targets,
    target: f64,
) -> String {
    let names = targets.describe(d);
    let what = match targets.aim {
        Aim::Superior => "P(declared superior)",
        Aim::Conclusive => "P(ending conclusively)",
    };
    let mut out = format!(
        "{}: smallest maximum N with {what} >= {target} for {} ({} trials per candidate, seed {})\n",
        d.name,
        names.join(", "),
        d.replicates,
        d.seed
    );
    out += &match &search.schedule {
        Schedule::Regular { first, every } if first == every => format!(
            "  grid: multiples of {every} (analyses every {every} patients with outcome data, and at N), N in [{first}, {}]\n",
            search.max
        ),
        Schedule::Regular { first, every } => format!(
            "  grid: {first} plus multiples of {every} (analyses at {first}, then every {every} patients with outcome data, and at N), N in [{first}, {}]\n",
            search.max
        ),
        Schedule::Fractions(f) => {
            let f: Vec<String> = f.iter().map(|x| format!("{x:.3}")).collect();
            format!(
                "  grid: every N (analyses at fractions {} of N), N up to {}\n",
                f.join(", "),
                search.max
            )
        }
    };
    let line = |n: u64, c: &Candidate| {
        let values: Vec<String> = names
            .iter()
            .zip(&c.values)
            .map(|(name, (p, se))| format!("{name} {p:.4} (MC SE {se:.4})"))
            .collect();
        format!(
            "N = {n}: {}; expected randomised {:.1}, mean screened {:.1}",
            values.join(", "),
            c.expected_randomised,
            c.mean_screened
        )
    };
    let close = |c: &Candidate| {
        c.values
            .iter()
            .any(|&(p, se)| (p - target).abs() < 2.0 * se)
    };
    match search.chosen {
        Some(n) => {
            let c = &search.candidates[&n];
            out += &format!("  chosen: {}\n", line(n, c));
            let below = search.candidates.range(..n).next_back();
            if close(c) || below.is_some_and(|(_, b)| close(b)) {
                out += "  note: a probability here is within 2 Monte Carlo SEs of the target: more replicates may move the choice by a grid step or two.\n";
            }
            if let Some((m, b)) = below {
                out += &format!("  below:  {}\n", line(*m, b));
            }
        }
        None => {
            if let Some((n, c)) = search.candidates.iter().next_back() {
                out += &format!("  not reached; largest evaluated: {}\n", line(*n, c));
            }
        }
    }
    out
}
