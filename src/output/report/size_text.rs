//! What `endotrial size` prints: the search's candidates and its answer, and the interim
//! (sequential) characteristics of the chosen size.

use crate::engine::summary::{EndpointColumns, SummaryRow};
use crate::model::design::Design;
use crate::model::vocabulary::Randomisation;
use crate::output::report::describe::ratio_string;
use crate::output::report::format::{
    loss_to_follow_up, money, pct, power_text, price, target_decimals,
};
use crate::output::report::justification::expected_evaluable;
use crate::stats::boundaries;
use crate::stats::power;
use crate::tools::size::SizeSearch;

/// The one-line verdict on a candidate N.
pub(super) fn candidate_line(n: u64, rows: &[SummaryRow], target: f64) -> String {
    let decimals = target_decimals(target);
    rows.iter()
        .map(|r| {
            format!(
                "N = {n}: power {} (MC SE {:.decimals$}; 95% CI {:.decimals$} to {:.decimals$}) for {} vs {}",
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

/// What `endotrial size` prints.
pub fn size_summary(d: &Design, s: &SizeSearch, target: f64) -> String {
    let mut out = search_lines(d, s, target);
    let Some(n) = s.chosen else {
        return out;
    };
    let rows = &s.candidates[&n];
    out += &format!("  chosen: {}\n", candidate_line(n, rows, target));
    out += &chosen_details(d, n, &rows[0]);
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
            "  note: power is saw-toothed in N (discrete test statistics): it dips back below {target}, beyond Monte Carlo error, at N = {} within +10% of the chosen N.\n",
            s.dips
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        );
        out += &match s.stable_from {
            Some(m) => {
                format!("        no such dip from N = {m} on that range.\n")
            }
            None => "        the last N of that range dips too.\n".into(),
        };
    }
    out
}

/// What was searched: the question, the grid and the normal approximation's start.
fn search_lines(d: &Design, s: &SizeSearch, target: f64) -> String {
    let arms: Vec<&str> = s.candidates.values().next().map_or(Vec::new(), |rows| {
        rows.iter().map(|r| r.arm.as_str()).collect()
    });
    let mut out = format!(
        "{}: smallest total N with power >= {target} for {} vs {} ({} {}, alpha {}; {} trials per candidate, seed {})\n",
        d.name,
        arms.join(" and "),
        d.arms[d.control].name,
        d.analysis.test.as_str(),
        d.analysis.alternative_text(),
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
        match s.analytic_n {
            Some(n) => format!("N = {n}"),
            None if d.adaptation().is_some() => "none (adaptive enrichment)".into(),
            // Time-to-event mixtures: Schoenfeld's formula needs one hazard ratio.
            None if d
                .comparisons()
                .any(|a| power::analytic_power(d, a).is_nan()) =>
            {
                "none (hazards not proportional)".into()
            }
            None => "target not reached in range".into(),
        }
    );
    out
}

/// What the chosen N means for patients, deaths, duration and cost (from its first row).
fn chosen_details(d: &Design, n: u64, row: &SummaryRow) -> String {
    let evaluable = match &row.endpoint {
        EndpointColumns::TimeToEvent(_) => format!(
            "{} lost to follow-up",
            loss_to_follow_up(d).unwrap_or_else(|| pct(0.0))
        ),
        EndpointColumns::Binary(_)
        | EndpointColumns::Continuous(_)
        | EndpointColumns::Ordinal(_)
            if d.dropout > 0.0 =>
        {
            format!(
                "{:.1} expected evaluable after {} dropout",
                expected_evaluable(d, n),
                pct(d.dropout)
            )
        }
        EndpointColumns::Binary(_)
        | EndpointColumns::Continuous(_)
        | EndpointColumns::Ordinal(_) => "no dropout".into(),
    };
    let mut out = format!(
        "          {n} randomised, {evaluable}; screening: mean {:.1}, 95th percentile {}\n",
        row.mean_screened, row.p95_screened
    );
    if let EndpointColumns::Continuous(c) = &row.endpoint
        && !c.responder_power.is_nan()
    {
        out += &format!(
            "          dichotomised at {} (responders): power {:.4} (MC SE {:.4}) in the same trials\n",
            c.responder_below, c.responder_power, c.responder_power_se
        );
    }
    if let EndpointColumns::TimeToEvent(sv) = &row.endpoint {
        out += &format!(
            "          deaths by the analysis: mean {:.1} (control {:.1}, arm {:.1})\n",
            sv.mean_events, sv.mean_events_control, sv.mean_events_arm
        );
        if !sv.mean_duration_days.is_nan() {
            out += &format!(
                "          duration: mean {:.1} days, 95th percentile {} days (first randomisation to the analysis)\n",
                sv.mean_duration_days, sv.p95_duration_days
            );
        }
    }
    if let Some(c) = &d.cost {
        let cur = &c.currency;
        let p95 = if row.p95_cost.is_nan() {
            String::new()
        } else {
            format!(", 95th percentile {}", money(row.p95_cost, cur))
        };
        out += &format!(
            "          cost: mean {}{p95} ({} per screened, {} per randomised patient)\n",
            money(row.mean_cost, cur),
            price(c.screening, cur),
            price(c.per_patient, cur),
        );
    }
    out
}

/// A sequential design's sample size against the fixed design's (`size`, `report`).
#[derive(Debug, Clone)]
pub struct SequentialSize {
    /// The maximum N found.
    pub n: u64,
    /// The fixed design's N for the same power (`None`: not reached up to `fixed_max`).
    pub fixed_n: Option<u64>,
    pub fixed_max: u64,
    /// Expected number randomised at N under the scenario, and under the global null.
    pub expected: f64,
    pub expected_null: f64,
    pub target: f64,
    /// The design at N.
    pub design: Design,
}

/// `size`'s lines for a sequential design.
pub fn sequential_size_text(s: &SequentialSize) -> String {
    let fixed = match s.fixed_n {
        Some(f) => format!(
            "the fixed design (no interim) needs N = {f} for the same power: {:.3} x",
            s.n as f64 / f as f64
        ),
        None => format!(
            "the fixed design (no interim) does not reach it up to N = {}",
            s.fixed_max
        ),
    };
    let inflation = boundaries::of_design(&s.design).map_or(f64::NAN, |(b, _, sides)| {
        let one_way = power::one_way(&s.design);
        boundaries::characteristics(&b, s.design.analysis.alpha, sides, 1.0 - s.target, one_way)
            .inflation
    });
    format!(
        "  sequential: N = {} is the maximum sample size; {fixed} (the boundaries' inflation factor for {} power: {:.4})\n          expected randomised at N = {}: {:.1} under the scenario's effects, {:.1} under the global null (no treatment effect)\n",
        s.n,
        pct(s.target),
        inflation,
        s.n,
        s.expected,
        s.expected_null
    )
}
