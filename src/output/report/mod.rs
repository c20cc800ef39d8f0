//! Human-facing text: the resolved design printed by `endotrial validate` (`describe`), the
//! sample-size summary printed by `endotrial size` (`size_text`), and the grant-ready report
//! (Markdown and HTML, here) written by `endotrial report`, with its paragraph
//! (`justification`) and provenance (`provenance`). Numbers for people are rounded and grouped
//! (`format`); the CSVs keep full precision. The report's only varying line is its date
//! (`SOURCE_DATE_EPOCH` fixes it, for byte-identical reports).

pub mod bayesian;
pub mod describe;
pub mod format;
pub mod justification;
pub mod provenance;
pub mod size_text;

use crate::engine::shard::ENGINE;
use crate::engine::summary::{
    BinaryColumns, ContinuousColumns, EndpointColumns, OrdinalColumns, SummaryRow, SurvivalColumns,
};
use crate::model::design::{Design, EndpointModel};
use crate::output::plot;
use crate::output::report::describe::{arm_names, ratio_string};
use crate::output::report::format::{dash, money, pct, power_pct, price, thousands, whole};
use crate::output::report::justification::{Context, assumptions, justification};
use crate::output::report::provenance::Provenance;
use crate::output::report::size_text::{SequentialSize, size_summary};
use crate::stats::boundaries;
use crate::stats::power;
use crate::tools::size::{self, SizeSearch};

/// The report's own power curve, beside report.md (no other command writes it).
pub const REPORT_SVG: &str = "report_power_curve.svg";

/// The report's power curve, with the chosen N and the planned one (when on the curve drawn).
pub fn power_curve(
    d: &Design,
    search: &SizeSearch,
    results: &[(Vec<String>, Vec<SummaryRow>)],
    target: f64,
) -> String {
    let curves = plot::curves(d, &[size::SAMPLE_SIZE_KEY.to_string()], results)
        .expect("sample sizes are numbers");
    let mut marks = Vec::new();
    if let Some(n) = search.chosen {
        marks.push(plot::Mark {
            x: n as f64,
            label: format!("chosen N = {n}"),
        });
    }
    // The planned N when it lies on the curve drawn (half to 1.5 times the chosen N).
    let (lo, hi) = plot::x_range(&curves);
    if search.chosen != Some(d.sample_size) && (lo..=hi).contains(&(d.sample_size as f64)) {
        marks.push(plot::Mark {
            x: d.sample_size as f64,
            label: format!("planned N = {} (the scenario's sample_size)", d.sample_size),
        });
    }
    plot::power_curve_svg(
        &format!("{}: power against total sample size", d.name),
        "total sample size N (randomised)",
        &curves,
        Some(target),
        &marks,
    )
}

fn power_table(rows: &[SummaryRow]) -> String {
    let mut binary = Vec::new();
    let mut survival = Vec::new();
    let mut continuous = Vec::new();
    let mut ordinal = Vec::new();
    for r in rows {
        match &r.endpoint {
            EndpointColumns::Binary(b) => binary.push((r, b)),
            EndpointColumns::TimeToEvent(s) => survival.push((r, s)),
            EndpointColumns::Continuous(c) => continuous.push((r, c)),
            EndpointColumns::Ordinal(o) => ordinal.push((r, o)),
        }
    }
    if !survival.is_empty() {
        return survival_power_table(&survival);
    }
    if !continuous.is_empty() {
        return continuous_power_table(&continuous);
    }
    if !ordinal.is_empty() {
        return ordinal_power_table(&ordinal);
    }
    binary_power_table(&binary)
}

/// The power table of an ordinal endpoint: the odds ratio and the Wald interval's coverage.
fn ordinal_power_table(rows: &[(&SummaryRow, &OrdinalColumns)]) -> String {
    let mut md = String::from(
        "| comparison | power | MC SE | 95% MC interval | Whitehead | true odds ratio | Wald coverage |\n|---|---|---|---|---|---|---|\n",
    );
    for (r, o) in rows {
        md += &format!(
            "{} {} | {:.4} | {} |\n",
            power_cells(r),
            dash(r.analytic_power),
            o.true_log_odds_ratio.exp(),
            dash(o.coverage)
        );
    }
    md
}

/// The power table of a continuous endpoint: the mean difference, the t interval's coverage,
/// and the dichotomised analysis' power in the same trials when there is one.
fn continuous_power_table(rows: &[(&SummaryRow, &ContinuousColumns)]) -> String {
    let dichotomised = rows.iter().any(|(_, c)| !c.responder_power.is_nan());
    let mut md = String::from(
        "| comparison | power | MC SE | 95% MC interval | noncentral t | true difference | t interval coverage |",
    );
    md += if dichotomised {
        " responders' power (chi-square) | MC SE |\n|---|---|---|---|---|---|---|---|---|\n"
    } else {
        "\n|---|---|---|---|---|---|---|\n"
    };
    for (r, c) in rows {
        md += &format!(
            "{} {} | {:+.4} | {} |",
            power_cells(r),
            dash(r.analytic_power),
            c.true_difference,
            dash(c.coverage)
        );
        if dichotomised {
            md += &format!(
                " {} | {} |",
                dash(c.responder_power),
                dash(c.responder_power_se)
            );
        }
        md += "\n";
    }
    md
}

/// The power table of a binary endpoint: the risk difference and the Wald coverage.
fn binary_power_table(rows: &[(&SummaryRow, &BinaryColumns)]) -> String {
    let mut md = String::from(
        "| comparison | power | MC SE | 95% MC interval | normal approximation | true difference | Wald coverage |\n|---|---|---|---|---|---|---|\n",
    );
    for (r, b) in rows {
        md += &format!(
            "{} {} | {:+.4} | {} |\n",
            power_cells(r),
            dash(r.analytic_power),
            b.true_difference,
            dash(b.coverage)
        );
    }
    md
}

/// The first cells of a power table's row: the comparison, the power, its MC SE and interval.
fn power_cells(r: &SummaryRow) -> String {
    format!(
        "| {} vs {} | {:.4} | {:.4} | {:.4} to {:.4} |",
        r.arm, r.control, r.power, r.power_se, r.power_ci_low, r.power_ci_high
    )
}

/// The power table of a time-to-event design: the hazard ratio, the deaths and the Cox
/// estimate's coverage in place of the risk difference.
fn survival_power_table(rows: &[(&SummaryRow, &SurvivalColumns)]) -> String {
    let mut md = String::from(
        "| comparison | power | MC SE | 95% MC interval | Schoenfeld approximation | true hazard ratio | mean deaths | Cox Wald coverage |\n|---|---|---|---|---|---|---|---|\n",
    );
    for (r, s) in rows {
        md += &format!(
            "{} {} | {} | {:.1} | {} |\n",
            power_cells(r),
            dash(r.analytic_power),
            dash(s.true_hazard_ratio),
            s.mean_events,
            dash(s.coverage)
        );
    }
    md
}

/// The best power a search found when it missed the target, for people.
fn best_text(search: &SizeSearch, target: f64) -> String {
    search.best().map_or("none".into(), |(n, p)| {
        format!("power {} at N = {}", power_pct(p, target), thousands(n))
    })
}

/// The answer first: N, power with its interval, screening and cost, in one short box.
fn answer_box(d: &Design, search: &SizeSearch, cx: &Context) -> String {
    let Some(n) = search.chosen else {
        return format!(
            "> **Target power {} not reached** for N up to {}; best: {}.\n\n",
            pct(cx.target),
            thousands(search.max),
            best_text(search, cx.target)
        );
    };
    let rows = &search.candidates[&n];
    let mut md = format!(
        "> **N = {} randomised** ({} {}) for {} power.\n>\n",
        thousands(n),
        ratio_string(d),
        arm_names(d),
        pct(cx.target)
    );
    for r in rows {
        md += &format!(
            "> Power {} (95% Monte Carlo interval {} to {}) for {} vs {}.\n>\n",
            power_pct(r.power, cx.target),
            pct(r.power_ci_low),
            pct(r.power_ci_high),
            r.arm,
            r.control
        );
    }
    if !d.analysis.hypotheses.is_empty() {
        md += &format!("> Searched: the {}.\n>\n", cx.searched);
    }
    let r = &rows[0];
    md += &format!(
        "> Screened: {} on average, {} at the 95th percentile.\n",
        whole(r.mean_screened),
        thousands(r.p95_screened)
    );
    if let Some(c) = &d.cost {
        md += &format!(
            ">\n> Cost: {} on average, {} at the 95th percentile.\n",
            money(r.mean_cost, &c.currency),
            money(r.p95_cost, &c.currency)
        );
    }
    md + "\n"
}

/// The candidates of the search, folded in the HTML (the answer is above them).
fn candidate_table(search: &SizeSearch) -> String {
    let count = search.candidates.len();
    let mut md = format!(
        "<details>\n<summary>All {count} sample sizes evaluated (the chosen one marked)</summary>\n\n\
         | N | comparison | power | MC SE | 95% MC interval | normal approximation | mean screened | p95 screened | chosen |\n|---|---|---|---|---|---|---|---|---|\n"
    );
    for (n, rows) in &search.candidates {
        for r in rows {
            md += &format!(
                "| {} | {} vs {} | {:.4} | {:.4} | {:.4} to {:.4} | {:.4} | {} | {} | {} |\n",
                thousands(*n),
                r.arm,
                r.control,
                r.power,
                r.power_se,
                r.power_ci_low,
                r.power_ci_high,
                r.analytic_power,
                whole(r.mean_screened),
                thousands(r.p95_screened),
                if search.chosen == Some(*n) { "yes" } else { "" }
            );
        }
    }
    md + "\n</details>\n\n"
}

/// The full report in Markdown: the answer, the paragraph to paste, the curve, then the details.
pub fn report_markdown(
    d: &Design,
    search: &SizeSearch,
    cx: &Context,
    sequential: Option<&SequentialSize>,
) -> String {
    let mut md = format!("# Sample-size report: {}\n\n", d.name);
    if let Some(desc) = &d.description {
        md += &format!("{}\n\n", desc.trim());
    }
    md += &answer_box(d, search, cx);
    md += &justification_section(d, search, cx);
    md += &curve_sections(d, cx);
    if let Some(s) = sequential {
        md += &interim_section(s, search);
    }
    md += &format!(
        "## Power at the stated sample size (N = {})\n\n",
        thousands(d.sample_size)
    );
    md += &power_table(cx.stated);
    md += &format!("\n## Sample size for {} power\n\n", pct(cx.target));
    md += &format!("```\n{}```\n\n", size_summary(d, search, cx.target));
    md += &candidate_table(search);
    md += &screening_and_budget(d, search);
    md + &provenance_section(d, cx)
}

/// The paragraph to paste, one per comparison, or why there is none.
fn justification_section(d: &Design, search: &SizeSearch, cx: &Context) -> String {
    let mut md = String::from("## Sample-size justification\n\n");
    match search.chosen {
        Some(n) => {
            for r in &search.candidates[&n] {
                md += &format!("{}\n\n", justification(d, r, n, cx));
            }
        }
        None => {
            md += &format!(
                "The target power of {} is not reached within N = {}; best: {}.\n\n",
                pct(cx.target),
                thousands(search.max),
                best_text(search, cx.target)
            );
        }
    }
    md
}

/// The power curve, the design assumptions and (time to event) the survival curves.
fn curve_sections(d: &Design, cx: &Context) -> String {
    let mut md = String::new();
    md += &format!(
        "## Power curve\n\n![Power against total sample size]({REPORT_SVG})\n\n\
         Simulated power at each total sample size, with its Monte Carlo 95% interval (bars and band); \
         the dashed line is the target {}; dotted vertical lines mark the N chosen and the N planned in the scenario \
         (when it lies within the range drawn).\n\n",
        pct(cx.target)
    );
    md += &assumptions(d);
    if let EndpointModel::TimeToEvent(m) = &d.endpoint {
        md += &format!(
            "## Survival curves\n\n![True survival by arm]({})\n\n\
             Each arm's true survival from randomisation to day {}, from the model (the endotype mixture of the randomised \
             population, classification and treatment by label, no loss to follow-up): the curves the Kaplan-Meier estimates \
             of a large trial would follow.\n\n",
            crate::output::plot::SURVIVAL_SVG,
            m.reference_day
        );
    }
    md
}

/// The screening burden and the budget at the N chosen.
fn screening_and_budget(d: &Design, search: &SizeSearch) -> String {
    let mut md = String::new();
    if let Some(n) = search.chosen {
        let r = &search.candidates[&n][0];
        md += &format!(
            "## Screening burden\n\n{} of screened patients are eligible. To randomise N = {}: on average {} patients screened, \
             95th percentile {} (in one trial in twenty, more than that).\n\n",
            pct(d.eligible_fraction),
            thousands(n),
            whole(r.mean_screened),
            thousands(r.p95_screened)
        );
        if let Some(c) = &d.cost {
            md += &format!(
                "## Budget\n\nAt N = {}: {} per screened patient and {} per randomised patient give a mean \
                 trial cost of {}; {}.\n\n",
                thousands(n),
                price(c.screening, &c.currency),
                price(c.per_patient, &c.currency),
                money(r.mean_cost, &c.currency),
                if r.p95_cost.is_nan() {
                    "with interim looks the numbers screened and randomised both vary, and no 95th percentile of the cost is given".to_string()
                } else {
                    format!(
                        "budget {} to cover the screening of 19 trials in 20 (95th percentile)",
                        money(r.p95_cost, &c.currency)
                    )
                },
            );
        }
    }
    md
}

fn provenance_section(d: &Design, cx: &Context) -> String {
    provenance_table(d, cx.provenance)
}

/// The provenance section: where the report's numbers come from.
pub(super) fn provenance_table(d: &Design, p: &Provenance) -> String {
    let mut md = format!(
        "## Provenance\n\n| record | value |\n|---|---|\n| date (UTC) | {} |\n| engine | {ENGINE} |\n\
         | scenario | `{}` (copy beside this report) |\n| scenario SHA-256 | `{}` |\n| virtual trials per design point | {} |\n\
         | seed | {} |\n| reproduce | `{}` |\n",
        p.date,
        p.file,
        p.sha256,
        thousands(d.replicates),
        d.seed,
        p.command
    );
    if !p.sources.is_empty() {
        md += &format!(
            "| sources cited in the scenario | {} |\n",
            p.sources.join("; ")
        );
    }
    md
}

/// The report's section on the interim analyses: boundaries at the N found, stopping
/// probabilities and expected size.
fn interim_section(s: &SequentialSize, search: &SizeSearch) -> String {
    let d = &s.design;
    let (Some(plan), Some((b, _, _))) = (d.sequential(), boundaries::of_design(d)) else {
        return String::new();
    };
    // A two-arm design's analytic stopping probabilities (more comparisons: one per comparison,
    // in sequential.csv).
    let stages = match d.comparisons().collect::<Vec<_>>()[..] {
        [arm] => power::analytic_stages(d, arm),
        _ => None,
    };
    let analytic_header = match stages {
        Some(_) => (" analytic P(efficacy) | analytic P(futility) |", "---|---|"),
        None => ("", ""),
    };
    let mut md = format!(
        "## Interim analyses\n\n{} analyses, {}; {}. Boundaries on the z scale (positive = benefit), \
         as rpact's `getDesignGroupSequential` defines them, at N = {}{}:\n\n\
         | look | outcomes known | randomised | efficacy z | nominal p | alpha spent | futility z |{}{}\n\
         |---|---|---|---|---|---|---|{}{}\n",
        plan.looks.len(),
        plan.efficacy_words(),
        plan.futility_words(),
        thousands(s.n),
        if stages.is_some() {
            ", with the probabilities of stopping at each look in the normal approximation at the scenario's effects (rpact's `getPowerRates`)"
        } else {
            ""
        },
        analytic_header.0,
        if d.accrual.is_some() { " months |" } else { "" },
        analytic_header.1,
        if d.accrual.is_some() { "---|" } else { "" },
    );
    let levels = b.stage_levels();
    for (k, &e) in plan.evaluable.iter().enumerate() {
        md += &format!(
            "| {} ({}) | {} | {} | {:.3} | {:.4} | {:.4} | {} |",
            k + 1,
            pct(plan.looks[k]),
            thousands(e),
            thousands(d.randomised_by_look(k)),
            b.efficacy[k],
            levels[k],
            b.alpha_spent[k],
            b.futility_at(k).map_or("-".into(), |f| format!("{f:.3}"))
        );
        if let Some(st) = &stages {
            md += &format!(" {:.4} | {:.4} |", st.reject[k], st.futility[k]);
        }
        if let Some(months) = d.months_to_look(k) {
            md += &format!(" {months:.1} |");
        }
        md += "\n";
    }
    if let Some(row) = search.candidates.get(&s.n).and_then(|r| r.first())
        && let Some(q) = row.sequential()
    {
        md += &format!(
            "\nAt N = {}: the trial stops early with probability {} ({} for efficacy, {} for futility) and randomises on average {} patients (95th percentile {}), the pipeline of a stopped trial included; under the global null (no treatment effect), {} on average.",
            thousands(s.n),
            pct(q.p_early_stop),
            pct(q.p_early_efficacy),
            pct(q.p_early_futility),
            whole(s.expected),
            thousands(q.p95_randomised),
            whole(s.expected_null),
        );
        // Event-driven looks come at random numbers randomised.
        if let Some(st) = stages
            .as_ref()
            .filter(|_| !matches!(d.endpoint, EndpointModel::TimeToEvent(_)))
        {
            let randomised: Vec<f64> = (0..plan.looks.len())
                .map(|k| d.randomised_by_look(k) as f64)
                .collect();
            md += &format!(
                " The normal approximation gives {} on average at the scenario's effects.",
                whole(st.expected(&randomised))
            );
        }
        if !q.expected_months.is_nan() {
            md += &format!(
                " The analysis that ends the trial comes on average {:.1} months after the first randomisation (95th percentile {:.1}).",
                q.expected_months, q.p95_months
            );
        }
        md += "\n";
    }
    md += &format!(
        "\n{}.\n\n",
        match s.fixed_n {
            Some(f) => format!(
                "The fixed design without interim analyses needs N = {} for the same power: the maximum N is {:.3} times that",
                thousands(f),
                s.n as f64 / f as f64
            ),
            None => format!(
                "The fixed design without interim analyses does not reach the target up to N = {}",
                thousands(s.fixed_max)
            ),
        }
    );
    md
}

/// The report page's style sheet.
const REPORT_CSS: &str = include_str!("report.css");

/// The report as a standalone HTML page. The answer box, wrapped log and folded candidate table
/// keep it within the width of a page (`.ci/report-layout` checks it in Chromium).
pub fn report_html(markdown: &str, title: &str) -> String {
    use pulldown_cmark::{Options, Parser, html};
    let mut body = String::new();
    html::push_html(&mut body, Parser::new_ext(markdown, Options::ENABLE_TABLES));
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>\n\
         {REPORT_CSS}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        title.replace('&', "&amp;").replace('<', "&lt;")
    )
}
