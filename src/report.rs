//! Human-facing text: the resolved design printed by `endotrial validate`, the sample-size
//! summary printed by `endotrial size`, and the grant-ready report (Markdown and HTML) written by
//! `endotrial report`. Reports carry no timestamp, so the same scenario and seed give the same
//! bytes.

use crate::design::Design;
use crate::power;
use crate::scenario::{Better, Randomisation, Sidedness, TestKind};
use crate::shard::ENGINE;
use crate::size::SizeSearch;
use crate::summary::SummaryRow;

fn pct(p: f64) -> String {
    format!("{:.1}%", 100.0 * p)
}

fn test_phrase(test: TestKind) -> &'static str {
    match test {
        TestKind::ChiSquare => "Pearson chi-square test (without continuity correction)",
        TestKind::ChiSquareYates => "chi-square test with Yates' continuity correction",
        TestKind::FisherExact => "Fisher exact test",
        TestKind::Cmh => "Cochran-Mantel-Haenszel test stratified by diagnostic label",
    }
}

fn sided(d: &Design) -> &'static str {
    match d.analysis.sidedness {
        Sidedness::TwoSided => "two-sided",
        Sidedness::OneSided => "one-sided",
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

/// Expected evaluable patients, all arms, at total sample size `n`.
fn expected_evaluable(d: &Design, n: u64) -> f64 {
    n as f64 * (1.0 - d.dropout)
}

/// The one-line verdict on a candidate N.
fn candidate_line(n: u64, rows: &[SummaryRow], target: f64) -> String {
    rows.iter()
        .map(|r| {
            format!(
                "N = {n}: power {} (MC SE {:.4}; 95% CI {:.4} to {:.4}) for {} vs {}",
                power_text(r.power, target),
                r.power_se,
                r.power_ci_low,
                r.power_ci_high,
                r.arm,
                r.control
            )
        })
        .collect::<Vec<_>>()
        .join("\n  ")
}

/// A power to 4 decimals, or more where 4 would round it onto the other side of the target
/// (0.89996 is not "0.9000" when the target is 0.9).
pub fn power_text(power: f64, target: f64) -> String {
    let mut decimals = 4;
    loop {
        let text = format!("{power:.decimals$}");
        let shown: f64 = text.parse().expect("a formatted number");
        if decimals >= 8 || (shown >= target) == (power >= target) {
            return text;
        }
        decimals += 1;
    }
}

/// The report's own power curve, beside report.md (no other command writes it).
pub const REPORT_SVG: &str = "report_power_curve.svg";

/// What `endotrial size` prints.
pub fn size_summary(d: &Design, s: &SizeSearch, target: f64) -> String {
    let arms: Vec<&str> = s.candidates.values().next().map_or(Vec::new(), |rows| {
        rows.iter().map(|r| r.arm.as_str()).collect()
    });
    let mut out = format!(
        "{}: smallest total N with power >= {target} for {} vs {} ({} {}, alpha {}; {} trials per candidate, seed {})\n",
        d.name,
        arms.join(" and "),
        d.arms[d.control].name,
        d.analysis.test.as_str(),
        d.analysis.sidedness.as_str(),
        d.analysis.alpha,
        d.replicates,
        d.seed
    );
    if !d.analysis.hypotheses.is_empty() {
        out += &format!("  searched: {}\n", s.searched);
    }
    out += &format!(
        "  grid: multiples of {} ({} randomisation, ratio {}), N in [{}, {}]\n",
        s.step,
        match d.randomisation {
            Randomisation::Block => "block",
            Randomisation::Simple => "simple",
        },
        ratio_string(d),
        s.min,
        s.max
    );
    out += &format!(
        "  normal approximation{}: {}\n",
        if d.analysis.hypotheses.is_empty() {
            ""
        } else {
            " (the test alone, unadjusted: the search's start)"
        },
        s.analytic_n
            .map_or("target not reached in range".into(), |n| format!("N = {n}"))
    );
    let Some(n) = s.chosen else {
        return out;
    };
    let rows = &s.candidates[&n];
    out += &format!("  chosen: {}\n", candidate_line(n, rows, target));
    out += &format!(
        "          {n} randomised, {:.1} expected evaluable after {} dropout; screening: mean {:.1}, 95th percentile {}\n",
        expected_evaluable(d, n),
        pct(d.dropout),
        rows[0].mean_screened,
        rows[0].p95_screened
    );
    if let Some(c) = &d.cost {
        out += &format!(
            "          cost: mean {:.0} {cur}, 95th percentile {:.0} {cur} ({} per screened, {} per randomised patient)\n",
            rows[0].mean_cost,
            rows[0].p95_cost,
            c.screening,
            c.per_patient,
            cur = c.currency
        );
    }
    if rows.iter().any(|r| r.power_ci_low < target) {
        out += &format!(
            "  note: the 95% Monte Carlo interval at N = {n} includes the target {target}: more replicates may move the choice by a grid step or two.\n"
        );
    }
    if let Some(below) = s.candidates.get(&(n - s.step.min(n))).filter(|_| n > s.min) {
        out += &format!("  below:  {}\n", candidate_line(n - s.step, below, target));
    }
    if !s.dips.is_empty() {
        out += &format!(
            "  note: power is saw-toothed in N (discrete test statistics): it dips back below {target} at N = {} within +10% of the chosen N.\n",
            s.dips
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        );
        out += &match s.stable_from {
            Some(m) => {
                format!("        power stays at or above target from N = {m} on that range.\n")
            }
            None => "        no N on that range keeps power above target to its end.\n".into(),
        };
    }
    out
}

/// The ready-to-paste justification paragraph for one comparison at N.
pub fn justification(d: &Design, row: &SummaryRow, n: u64, searched: &str) -> String {
    let arm = d
        .arms
        .iter()
        .position(|a| a.name == row.arm)
        .expect("arm of the design");
    let direction = if row.true_difference >= 0.0 {
        "an increase"
    } else {
        "a reduction"
    };
    let benefit = match d.better {
        Better::Higher => "higher is better",
        Better::Lower => "lower is better",
    };
    let composition: Vec<String> = d
        .endotypes
        .iter()
        .zip(&d.composition)
        .filter(|(_, p)| **p > 0.0)
        .map(|(e, p)| format!("{} {}", e.name, pct(*p)))
        .collect();
    let mut text = format!(
        "With N = {n} patients randomised {} ({}), of whom about {:.0} are expected to be evaluable after {} dropout, \
         the trial has {} power (95% Monte Carlo interval {} to {}) to detect {direction} in {} ({benefit}) from {} under {} \
         to {} under {} (a difference of {:+.1} percentage points), using the {} at {} alpha {}, based on R = {} simulated trials \
         ({ENGINE}, seed {}).",
        ratio_string(d),
        d.arms
            .iter()
            .map(|a| a.name.as_str())
            .collect::<Vec<_>>()
            .join(" : "),
        expected_evaluable(d, n),
        pct(d.dropout),
        pct(row.power),
        pct(row.power_ci_low),
        pct(row.power_ci_high),
        d.event,
        pct(row.true_risk_control),
        d.arms[d.control].name,
        pct(row.true_risk_arm),
        d.arms[arm].name,
        100.0 * row.true_difference,
        test_phrase(d.analysis.test),
        sided(d),
        d.analysis.alpha,
        row.replicates,
        row.seed,
    );
    if !d.analysis.hypotheses.is_empty() {
        text += &format!(" The power stated is the {searched}.");
    }
    let comparisons = d.comparisons().count();
    if comparisons > 1 {
        text += &format!(
            " The {comparisons} comparisons with {} are each tested at alpha {}, without adjustment across arms.",
            d.arms[d.control].name, d.analysis.alpha
        );
    }
    text += &format!(
        " These risks are those of the randomised population ({}), which accounts for the endotype prevalences, \
         the accuracy of the diagnostic classification and treatment assigned by diagnostic label.",
        composition.join(", ")
    );
    if d.eligible_fraction < 1.0 {
        text += &format!(
            " As {} of screened patients are eligible, about {:.0} patients (95th percentile {}) must be screened to randomise {n}.",
            pct(d.eligible_fraction),
            row.mean_screened,
            row.p95_screened
        );
    }
    text
}

/// The design assumptions as Markdown tables.
fn assumptions(d: &Design) -> String {
    let mut md = String::from("## Design assumptions\n\n");
    md += "| true endotype | prevalence at screening | control risk | classified as | share of randomised |\n|---|---|---|---|---|\n";
    for (e, share) in d.endotypes.iter().zip(&d.composition) {
        let classified: Vec<String> = d
            .labels
            .iter()
            .zip(&e.classified_as)
            .filter(|(_, p)| **p > 0.0)
            .map(|(l, p)| format!("{l} {p}"))
            .collect();
        md += &format!(
            "| {} | {} | {} | {} | {:.4} |\n",
            e.name,
            e.prevalence,
            e.control_risk,
            classified.join(", "),
            share
        );
    }
    md += "\n| treatment | effect | by true endotype |\n|---|---|---|\n";
    for t in &d.treatments {
        let by: Vec<String> = d
            .endotypes
            .iter()
            .zip(&t.by_endotype)
            .filter_map(|(e, v)| v.map(|v| format!("{} {v}", e.name)))
            .collect();
        md += &format!("| {} | {} | {} |\n", t.name, t.effect.name(), by.join(", "));
    }
    md += "\n| arm | ratio | treatment by diagnostic label | true risk |\n|---|---|---|---|\n";
    for (a, arm) in d.arms.iter().enumerate() {
        let by: Vec<String> = d
            .eligible
            .iter()
            .zip(&arm.treatment_by_stratum)
            .map(|(&l, t)| {
                format!(
                    "{}: {}",
                    d.labels[l],
                    t.map_or("none", |t| d.treatments[t].name.as_str())
                )
            })
            .collect();
        md += &format!(
            "| {} | {} | {} | {:.4} |\n",
            arm.name,
            arm.ratio,
            by.join("; "),
            d.true_risk[a]
        );
    }
    let eligible: Vec<&str> = d.eligible.iter().map(|&l| d.labels[l].as_str()).collect();
    md += &format!(
        "\n| setting | value |\n|---|---|\n| endpoint | {} ({}) |\n| eligible labels | {} ({} of screened) |\n\
         | randomisation | {} |\n| dropout | {} |\n| test | {} |\n| alternative | {} |\n| alpha | {} |\n\n",
        d.event,
        match d.better {
            Better::Higher => "higher is better",
            Better::Lower => "lower is better",
        },
        eligible.join(", "),
        pct(d.eligible_fraction),
        match d.randomisation {
            Randomisation::Block => "permuted blocks",
            Randomisation::Simple => "simple",
        },
        d.dropout,
        test_phrase(d.analysis.test),
        sided(d),
        d.analysis.alpha
    );
    md
}

fn power_table(rows: &[SummaryRow]) -> String {
    let mut md = String::from(
        "| comparison | power | MC SE | 95% MC interval | normal approximation | true difference | Wald coverage |\n|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        md += &format!(
            "| {} vs {} | {:.4} | {:.4} | {:.4} to {:.4} | {:.4} | {:+.4} | {:.4} |\n",
            r.arm,
            r.control,
            r.power,
            r.power_se,
            r.power_ci_low,
            r.power_ci_high,
            r.analytic_power,
            r.true_difference,
            r.coverage
        );
    }
    md
}

/// The full report in Markdown. `stated` are the summary rows at the scenario's own N.
pub fn report_markdown(
    d: &Design,
    stated: &[SummaryRow],
    search: &SizeSearch,
    target: f64,
) -> String {
    let mut md = format!("# Sample-size report: {}\n\n", d.name);
    if let Some(desc) = &d.description {
        md += &format!("{}\n\n", desc.trim());
    }
    md += &format!(
        "Simulated with {ENGINE}: {} virtual trials per design point, seed {}. Re-run with \
         `endotrial report` on the same scenario to reproduce every number.\n\n",
        d.replicates, d.seed
    );
    md += &assumptions(d);
    md += &format!(
        "## Power at the stated sample size (N = {})\n\n",
        d.sample_size
    );
    md += &power_table(stated);
    md += &format!("\n## Sample size for {} power\n\n", pct(target));
    md += &format!("```\n{}```\n\n", size_summary(d, search, target));
    md += "| N | comparison | power | MC SE | 95% MC interval | normal approximation | mean screened | p95 screened | chosen |\n|---|---|---|---|---|---|---|---|---|\n";
    for (n, rows) in &search.candidates {
        for r in rows {
            md += &format!(
                "| {n} | {} vs {} | {:.4} | {:.4} | {:.4} to {:.4} | {:.4} | {:.1} | {} | {} |\n",
                r.arm,
                r.control,
                r.power,
                r.power_se,
                r.power_ci_low,
                r.power_ci_high,
                r.analytic_power,
                r.mean_screened,
                r.p95_screened,
                if search.chosen == Some(*n) { "yes" } else { "" }
            );
        }
    }
    md += &format!("\n## Power curve\n\n![Power against total sample size]({REPORT_SVG})\n\n");
    md += "## Screening burden\n\n";
    if let Some(n) = search.chosen {
        let r = &search.candidates[&n][0];
        md += &format!(
            "{} of screened patients are eligible. To randomise N = {n}: on average {:.1} patients screened, \
             95th percentile {} (in one trial in twenty, more than that).\n\n",
            pct(d.eligible_fraction),
            r.mean_screened,
            r.p95_screened
        );
    }
    if let (Some(c), Some(n)) = (&d.cost, search.chosen) {
        let r = &search.candidates[&n][0];
        md += &format!(
            "## Budget\n\nAt N = {n}: {} {cur} per screened patient and {} {cur} per randomised patient give a mean \
             trial cost of {:.0} {cur}; budget {:.0} {cur} to cover the screening of 19 trials in 20 (95th percentile).\n\n",
            c.screening,
            c.per_patient,
            r.mean_cost,
            r.p95_cost,
            cur = c.currency
        );
    }
    md += "## Sample-size justification\n\n";
    match search.chosen {
        Some(n) => {
            for r in &search.candidates[&n] {
                md += &format!("{}\n\n", justification(d, r, n, &search.searched));
            }
        }
        None => {
            md += &format!(
                "The target power of {} is not reached within N = {}; best: {}.\n\n",
                pct(target),
                search.max,
                search
                    .best()
                    .map_or("none".into(), |(n, p)| format!("power {p:.4} at N = {n}"))
            );
        }
    }
    md
}

/// The report as a standalone HTML page.
pub fn report_html(markdown: &str, title: &str) -> String {
    use pulldown_cmark::{Options, Parser, html};
    let mut body = String::new();
    html::push_html(&mut body, Parser::new_ext(markdown, Options::ENABLE_TABLES));
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>\n\
         body {{ font-family: sans-serif; max-width: 1000px; margin: 2em auto; line-height: 1.45; }}\n\
         table {{ border-collapse: collapse; margin: 1em 0; }} th, td {{ border: 1px solid #bbb; padding: 0.25em 0.6em; text-align: left; }}\n\
         pre {{ background: #f4f4f4; padding: 0.8em; overflow-x: auto; }} img {{ max-width: 100%; }}\n\
         </style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        title.replace('&', "&amp;").replace('<', "&lt;")
    )
}

/// The classification matrix with each label's sensitivity and positive predictive value.
fn classification(d: &Design) -> String {
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
        let labelled: f64 = d
            .endotypes
            .iter()
            .map(|e| e.prevalence * e.classified_as[l])
            .sum();
        let ppv = d.endotypes[l].prevalence * d.endotypes[l].classified_as[l] / labelled;
        out += &format!(
            " {name} {:.4} / {:.4};",
            d.endotypes[l].classified_as[l], ppv
        );
    }
    out + "\n"
}

/// The resolved design, as `validate` prints it.
pub fn describe(d: &Design) -> String {
    let mut out = format!("scenario {}", d.name);
    if let Some(desc) = &d.description {
        out += &format!(": {}", desc.trim());
    }
    out += "\n";
    out += &format!(
        "  screening: {:.4} of screened patients are eligible ({}); {:.1} screened on average to randomise {}\n",
        d.eligible_fraction,
        d.eligible
            .iter()
            .map(|&l| d.labels[l].as_str())
            .collect::<Vec<_>>()
            .join(", "),
        d.expected_screened(),
        d.sample_size
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
    out += &format!(
        "\n  true risk of {} per arm (dropout {}):\n",
        d.event, d.dropout
    );
    for (a, arm) in d.arms.iter().enumerate() {
        out += &format!(
            "    {:<16} ratio {}  risk {:.4}  [by label:",
            arm.name, arm.ratio, d.true_risk[a]
        );
        for (s, &l) in d.eligible.iter().enumerate() {
            let t = arm.treatment_by_stratum[s].map_or("none", |t| d.treatments[t].name.as_str());
            out += &format!(" {} {:.4} ({t});", d.labels[l], d.stratum_risk[a][s]);
        }
        out += "]\n";
    }
    for a in d.comparisons() {
        out += &format!(
            "  {} vs {}: true difference {:+.4}; normal-approximation power {:.4} (pooled z test of the risk difference, {}, alpha {}{})\n",
            d.arms[a].name,
            d.arms[d.control].name,
            d.true_risk[a] - d.true_risk[d.control],
            power::analytic_power(d, a),
            d.analysis.sidedness.as_str(),
            d.analysis.alpha,
            match d.analysis.test {
                crate::scenario::TestKind::ChiSquare => "",
                _ => "; an approximation to the chi-square test, not to the test analysed",
            }
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powers_never_round_onto_the_target() {
        assert_eq!(power_text(0.89996, 0.9), "0.89996");
        assert_eq!(power_text(0.8999999, 0.9), "0.8999999");
        assert_eq!(power_text(0.80041, 0.8), "0.8004");
        assert_eq!(power_text(0.9, 0.9), "0.9000");
    }
}
