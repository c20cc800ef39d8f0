//! Human-facing text: the resolved design printed by `endotrial validate`, the sample-size
//! summary printed by `endotrial size`, and the grant-ready report (Markdown and HTML) written by
//! `endotrial report`. Numbers for people are rounded and grouped ("1,600,000", "80.0%"); the
//! CSVs keep full precision. The report's only varying line is its date (`SOURCE_DATE_EPOCH`
//! fixes it, for byte-identical reports).

use crate::engine::shard::ENGINE;
use crate::engine::summary::SummaryRow;
use crate::model::adaptation::Selection;
use crate::model::design::Design;
use crate::model::vocabulary::{Effect, Randomisation, Sidedness, TestKind, TimeResolution};
use crate::model::vocabulary::{Intersection, LabelCounts};
use crate::stats::boundaries;
use crate::stats::power;
use crate::tools::size::SizeSearch;

/// A probability as a percentage for people: one decimal; two significant digits below 1%, so
/// that a small share never prints as "0.0%".
pub fn pct(p: f64) -> String {
    let x = 100.0 * p;
    if x == 0.0 || x.abs() >= 1.0 || !x.is_finite() {
        format!("{x:.1}%")
    } else {
        let decimals = (1 - x.abs().log10().floor() as i32).max(1) as usize;
        format!("{x:.decimals$}%")
    }
}

/// A power as a percentage, with more decimals where one would round it onto the other side of
/// the target (79.96% is not "80.0%" when the target is 80%).
fn power_pct(power: f64, target: f64) -> String {
    let mut decimals = 1;
    loop {
        let text = format!("{:.decimals$}", 100.0 * power);
        let shown: f64 = text.parse().expect("a formatted number");
        if decimals >= 6 || (shown >= 100.0 * target) == (power >= target) {
            return format!("{text}%");
        }
        decimals += 1;
    }
}

/// A whole number with thousands separators: 1600000 -> "1,600,000".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A non-negative count or mean rounded to a whole number, with separators.
pub fn whole(x: f64) -> String {
    thousands(x.round() as u64)
}

/// A money amount rounded to whole units: "EUR 4,249,144".
pub fn money(amount: f64, currency: &str) -> String {
    format!("{currency} {}", whole(amount))
}

/// A unit price as given (a total is rounded, a price is not): "EUR 15,000", "EUR 12.50".
fn price(amount: f64, currency: &str) -> String {
    if amount.fract() == 0.0 {
        money(amount, currency)
    } else {
        let cents = (amount * 100.0).round() as u64;
        format!("{currency} {}.{:02}", thousands(cents / 100), cents % 100)
    }
}

/// A number from the scenario for people: at most 4 significant digits (0.074468085106383 ->
/// 0.07447), exact values as written (0.4, 15000).
fn num(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return x.to_string();
    }
    let decimals = (3 - x.abs().log10().floor() as i32).max(0) as usize;
    let text = format!("{x:.decimals$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    match text.parse::<f64>() {
        Ok(v) if v >= 1000.0 && v.fract() == 0.0 => thousands(v as u64),
        _ => text,
    }
}

/// Where a report's numbers come from: the date, the engine, the scenario file (its SHA-256
/// and the sources its comments cite).
#[derive(Debug, Clone)]
pub struct Provenance {
    /// UTC date of the run, YYYY-MM-DD.
    pub date: String,
    /// The scenario copy written beside the report.
    pub file: String,
    pub sha256: String,
    pub sources: Vec<String>,
    /// The command that reproduces the report from the copy.
    pub command: String,
}

impl Provenance {
    pub fn of(text: &str, file: &str, command: String) -> Provenance {
        Provenance {
            date: today(),
            file: file.to_string(),
            sha256: crate::engine::shard::text_sha256(text),
            sources: sources(text),
            command,
        }
    }
}

/// Today's UTC date, or the date of `SOURCE_DATE_EPOCH` when set (reproducible reports).
fn today() -> String {
    let seconds = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        });
    let (y, m, d) = civil_from_days(seconds.div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`;
/// written here rather than adding a date crate for one line of the report).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// The sources a scenario's comments cite: each "Source:" or "Sources:" comment, to the end of
/// its sentence (continued over the following comment lines), then any trial registration
/// (NCT number), DOI or web address in the comments not already quoted.
pub fn sources(text: &str) -> Vec<String> {
    let comments: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix('#'))
        .map(str::trim)
        .collect();
    let mut found: Vec<String> = Vec::new();
    for (i, line) in comments.iter().enumerate() {
        let Some(rest) = line
            .strip_prefix("Sources:")
            .or_else(|| line.strip_prefix("Source:"))
        else {
            continue;
        };
        let mut cited = rest.trim().to_string();
        for next in &comments[i + 1..] {
            if end_of_sentence(&cited).is_some() || next.is_empty() {
                break;
            }
            cited = format!("{cited} {next}");
        }
        let end = end_of_sentence(&cited).unwrap_or(cited.len());
        found.push(cited[..end].trim_end_matches('.').trim().to_string());
    }
    for word in comments.iter().flat_map(|l| l.split_whitespace()) {
        let word = word.trim_matches(|c: char| "()[];,.\"'".contains(c));
        let cites = (word.starts_with("NCT")
            && word.len() == 11
            && word[3..].bytes().all(|b| b.is_ascii_digit()))
            || word.starts_with("doi:")
            || word.starts_with("https://")
            || word.starts_with("http://");
        if cites && !found.iter().any(|f| f.contains(word)) {
            found.push(word.to_string());
        }
    }
    found
}

/// Byte index just past the first full stop that ends a sentence outside brackets.
fn end_of_sentence(text: &str) -> Option<usize> {
    let mut depth = 0i32;
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'(' | b'[' => depth += 1,
            b')' | b']' => depth -= 1,
            b'.' if depth <= 0 && bytes.get(i + 1).is_none_or(|n| *n == b' ') => {
                return Some(i + 1);
            }
            _ => {}
        }
    }
    None
}

fn test_phrase(test: TestKind) -> &'static str {
    match test {
        TestKind::ChiSquare => "Pearson chi-square test (without continuity correction)",
        TestKind::ChiSquareYates => "chi-square test with Yates' continuity correction",
        TestKind::FisherExact => "Fisher exact test",
        TestKind::Cmh => "Cochran-Mantel-Haenszel test stratified by diagnostic label",
        TestKind::Logrank => "log-rank test",
        TestKind::LogrankStratified => "log-rank test stratified by diagnostic label",
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

/// How the report names diagnostic label `l`: its endotype's display name (labels are the
/// endotypes, in file order).
fn label_shown(d: &Design, l: usize) -> &str {
    d.endotypes[l].display.as_str()
}

/// "placebo : personalised", in arm order (as the ratio).
fn arm_names(d: &Design) -> String {
    d.arms
        .iter()
        .map(|a| a.display.as_str())
        .collect::<Vec<_>>()
        .join(" : ")
}

/// Expected evaluable patients, all arms, at total sample size `n`.
fn expected_evaluable(d: &Design, n: u64) -> f64 {
    n as f64 * (1.0 - d.dropout)
}

/// The one-line verdict on a candidate N.
fn candidate_line(n: u64, rows: &[SummaryRow], target: f64) -> String {
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

/// Decimals that show a power's distance from `target` to two significant digits: 4 for usual
/// targets, 6 for 0.9999 (where 4 would print every power, SE and interval as 0.9999 or 0).
fn target_decimals(target: f64) -> usize {
    let gap = target.min(1.0 - target);
    if gap > 0.0 {
        ((-gap.log10()).ceil() as usize + 2).clamp(4, 8)
    } else {
        4
    }
}

/// A power to 4 decimals (more for a target near 0 or 1: `target_decimals`), or more where
/// that would round it onto the other side of the target (0.89996 is not "0.9000" when the
/// target is 0.9).
pub fn power_text(power: f64, target: f64) -> String {
    let mut decimals = target_decimals(target);
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
        match s.analytic_n {
            Some(n) => format!("N = {n}"),
            None if d.adaptation.is_some() => "none (adaptive enrichment)".into(),
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
    let Some(n) = s.chosen else {
        return out;
    };
    let rows = &s.candidates[&n];
    out += &format!("  chosen: {}\n", candidate_line(n, rows, target));
    let evaluable = if d.survival.is_some() {
        format!("{} lost to follow-up", pct(d.dropout))
    } else if d.dropout > 0.0 {
        format!(
            "{:.1} expected evaluable after {} dropout",
            expected_evaluable(d, n),
            pct(d.dropout)
        )
    } else {
        "no dropout".into()
    };
    out += &format!(
        "          {n} randomised, {evaluable}; screening: mean {:.1}, 95th percentile {}\n",
        rows[0].mean_screened, rows[0].p95_screened
    );
    if let Some(sv) = &rows[0].survival {
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
        let p95 = if rows[0].p95_cost.is_nan() {
            String::new()
        } else {
            format!(", 95th percentile {}", money(rows[0].p95_cost, cur))
        };
        out += &format!(
            "          cost: mean {}{p95} ({} per screened, {} per randomised patient)\n",
            money(rows[0].mean_cost, cur),
            price(c.screening, cur),
            price(c.per_patient, cur),
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
        boundaries::characteristics(&b, s.design.analysis.alpha, sides, 1.0 - s.target).inflation
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

/// What the report's paragraphs cite beside the candidate rows.
pub struct Context<'a> {
    /// `Searched::describe` of the power searched.
    pub searched: &'a str,
    pub target: f64,
    /// Summary rows at the scenario's own (planned) N.
    pub stated: &'a [SummaryRow],
    pub provenance: &'a Provenance,
}

/// Sensitivity P(label l | the endotype of that name) and positive predictive value
/// P(that endotype | label l).
fn label_accuracy(d: &Design, l: usize) -> (f64, f64) {
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
fn perfect_classification(d: &Design) -> bool {
    d.endotypes
        .iter()
        .enumerate()
        .all(|(e, t)| t.classified_as.get(e) == Some(&1.0))
}

/// The classifier's rules in words, in the order they are tried.
fn rules_text(d: &Design) -> Option<String> {
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
fn effect_text(d: &Design, t: usize, e: usize, value: f64) -> String {
    let t = &d.treatments[t];
    let endotype = &d.endotypes[e];
    let control = endotype.control_risk;
    let treated = crate::model::design::treated_risk(t.effect, value, control).unwrap_or(f64::NAN);
    let measure = match t.effect {
        Effect::Risk => String::new(),
        Effect::RiskDifference => {
            format!("risk difference {:+.1} percentage points, ", 100.0 * value)
        }
        other => format!("{} {}, ", other.name(), num(value)),
    };
    let outcome = match &d.survival {
        Some(m) => format!("{}-day mortality", m.reference_day),
        None => d.event.clone(),
    };
    format!(
        "{} in {}: {measure}{outcome} {} under {} against {} under control",
        t.display,
        endotype.display,
        pct(treated),
        t.display,
        pct(control)
    )
}

/// The ready-to-paste justification paragraph for one comparison at N.
pub fn justification(d: &Design, row: &SummaryRow, n: u64, cx: &Context) -> String {
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
    let evaluable = if let Some(m) = &d.survival {
        match m.follow_up_days {
            Some(f) if d.dropout > 0.0 => {
                format!(", {} lost to follow-up by day {f}", pct(d.dropout))
            }
            _ => String::new(),
        }
    } else if d.dropout > 0.0 {
        format!(
            ", of whom about {} are expected to be evaluable after {} dropout",
            whole(expected_evaluable(d, n)),
            pct(d.dropout)
        )
    } else {
        String::new()
    };
    // A time-to-event design: the mortality by the reference day, the hazard ratio and the
    // deaths behind the power.
    let (outcome, effect) = match (&d.survival, &row.survival) {
        (Some(m), Some(s)) => (
            format!("{}-day mortality", m.reference_day),
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
            ) + &duration_clause(s),
        ),
        _ => (d.event.clone(), String::new()),
    };
    let mut text = format!(
        "With N = {} patients randomised {} ({}){evaluable}, the trial has {} power (95% Monte Carlo interval {} to {}) \
         to detect {direction} in {} from {} under {} to {} under {} (a difference of {:+.1} percentage points{effect}), \
         using the {} at {} alpha {}, based on R = {} simulated trials{}.",
        thousands(n),
        ratio_string(d),
        arm_names(d),
        power_pct(row.power, cx.target),
        pct(row.power_ci_low),
        pct(row.power_ci_high),
        outcome,
        pct(row.true_risk_control),
        d.arms[d.control].display,
        pct(row.true_risk_arm),
        d.arms[arm].display,
        100.0 * row.true_difference,
        test_phrase(d.analysis.test),
        sided(d),
        d.analysis.alpha,
        thousands(row.replicates),
        if row.replicates > d.replicates {
            format!(
                " at this N (the search simulates {} at each N it tries, and more where the power lies within Monte Carlo error of the target)",
                thousands(d.replicates)
            )
        } else {
            String::new()
        },
    );
    if !d.analysis.hypotheses.is_empty() {
        text += &format!(" The power stated is the {}.", cx.searched);
    }
    if let (Some(plan), Some(q)) = (&d.sequential, &row.sequential) {
        text += &format!(
            " N is the maximum sample size of a group-sequential design with {} analyses (at {} of the {}), {} and {}, each comparison monitored at every look; \
             the trial stops early with probability {} ({} for efficacy, {} for futility) and randomises on average {} patients (95th percentile {}).",
            plan.looks.len(),
            looks_text(plan),
            if d.survival.is_some() {
                "deaths"
            } else {
                "patients' outcomes"
            },
            plan.efficacy_words(),
            plan.futility_words(),
            pct(q.p_early_stop),
            pct(q.p_early_efficacy),
            pct(q.p_early_futility),
            whole(q.expected_randomised),
            thousands(q.p95_randomised),
        );
    }
    if let Some(a) = &d.adaptation {
        text += &format!(
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
            },
            sided(d),
            d.analysis.alpha
        );
    }
    let comparisons = d.comparisons().count();
    if comparisons > 1 {
        text += &format!(
            " The {comparisons} comparisons with {} are each tested at alpha {}, without adjustment across arms.",
            d.arms[d.control].display, d.analysis.alpha
        );
    }
    let mut treatments: Vec<usize> = d.arms[arm]
        .treatment_by_stratum
        .iter()
        .flatten()
        .copied()
        .collect();
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
        text += &format!(
            " The treatment effects assumed act on the true endotype: {}.",
            effects.join("; ")
        );
    }
    let composition: Vec<String> = d
        .endotypes
        .iter()
        .zip(&d.composition)
        .filter(|(_, p)| **p > 0.0)
        .map(|(e, p)| format!("{} {}", e.display, pct(*p)))
        .collect();
    text += &format!(
        " These {} are those of the randomised population ({}), which accounts for the endotype prevalences{}.",
        if d.survival.is_some() {
            "mortalities"
        } else {
            "risks"
        },
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
        text += &match rules_text(d) {
            Some(rules) => format!(" Labels are measured by the rules {rules}"),
            None => " Labels are given by the scenario's classification probabilities".into(),
        };
        text += &format!("; per eligible label: {}.", accuracy.join("; "));
    }
    if d.eligible_fraction < 1.0 {
        text += &format!(
            " As {} of screened patients are eligible, about {} patients (95th percentile {}) must be screened to randomise {}.",
            pct(d.eligible_fraction),
            whole(row.mean_screened),
            thousands(row.p95_screened),
            thousands(n)
        );
    }
    if let Some(c) = &d.cost {
        text += &if row.p95_cost.is_nan() {
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

/// The design assumptions as Markdown tables, rounded for people.
fn assumptions(d: &Design) -> String {
    let mut md = String::from("## Design assumptions\n\n");
    // A time-to-event design states its mortality by the reference day (the whole hazard is in
    // the survival curves of survival.svg).
    let risk = match &d.survival {
        Some(m) => format!("mortality by day {}", m.reference_day),
        None => "risk".to_string(),
    };
    md += &format!(
        "| true endotype | prevalence at screening | control {risk} | classified as | share of randomised |\n|---|---|---|---|---|\n"
    );
    for (e, share) in d.endotypes.iter().zip(&d.composition) {
        let classified: Vec<String> = (0..d.labels.len())
            .zip(&e.classified_as)
            .filter(|(_, p)| **p > 0.0)
            .map(|(l, p)| format!("{} {}", label_shown(d, l), pct(*p)))
            .collect();
        md += &format!(
            "| {} | {} | {} | {} | {} |\n",
            e.display,
            pct(e.prevalence),
            pct(e.control_risk),
            classified.join(", "),
            pct(*share)
        );
    }
    md += "\n| treatment | effect measure | value by true endotype |\n|---|---|---|\n";
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
    md += &format!(
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
            pct(d.true_risk[a])
        );
    }
    let eligible: Vec<&str> = d.eligible.iter().map(|&l| label_shown(d, l)).collect();
    md += &format!(
        "\n| setting | value |\n|---|---|\n| endpoint | {} ({}) |\n| eligible labels | {} ({} of screened) |\n\
         | classification | {} |\n| randomisation | {} |\n| {} |\n| test | {} |\n| alternative | {} |\n| alpha | {} |\n",
        d.event,
        d.better.phrase(),
        eligible.join(", "),
        pct(d.eligible_fraction),
        match rules_text(d) {
            Some(rules) => rules,
            None if perfect_classification(d) => "label = true endotype".into(),
            None => "classification probabilities given in the scenario".into(),
        },
        match d.randomisation {
            Randomisation::Block => "permuted blocks",
            Randomisation::Simple => "simple",
        },
        match d
            .survival
            .as_ref()
            .map(|m| (m.follow_up_days, m.analysis_events))
        {
            None => format!("dropout | {}", pct(d.dropout)),
            Some((Some(f), events)) => format!(
                "follow-up | {f} days{}; {} lost to follow-up by then",
                events.map_or(String::new(), |k| format!(
                    ", or to the analysis at death {k}"
                )),
                pct(d.dropout)
            ),
            Some((None, events)) => format!(
                "follow-up | to the analysis at death {}",
                events.expect("validated: a follow-up or an event count")
            ),
        },
        test_phrase(d.analysis.test),
        sided(d),
        d.analysis.alpha
    );
    if !d.analysis.hypotheses.is_empty() {
        md += &format!(
            "| hypotheses | {} ({} adjustment) |\n",
            hypothesis_names(d),
            d.analysis.multiplicity.as_str()
        );
    }
    md + "\n"
}

fn power_table(rows: &[SummaryRow]) -> String {
    if rows.iter().any(|r| r.survival.is_some()) {
        return survival_power_table(rows);
    }
    let mut md = String::from(
        "| comparison | power | MC SE | 95% MC interval | normal approximation | true difference | Wald coverage |\n|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        md += &format!(
            "{} {} | {:+.4} | {} |\n",
            power_cells(r),
            dash(r.analytic_power),
            r.true_difference,
            dash(r.coverage)
        );
    }
    md
}

/// A value to 4 decimals, or "-" when it does not apply (NaN).
fn dash(v: f64) -> String {
    if v.is_nan() {
        "-".to_string()
    } else {
        format!("{v:.4}")
    }
}

/// The first cells of a power table's row: the comparison, the power, its MC SE and interval.
fn power_cells(r: &SummaryRow) -> String {
    format!(
        "| {} vs {} | {:.4} | {:.4} | {:.4} to {:.4} |",
        r.arm, r.control, r.power, r.power_se, r.power_ci_low, r.power_ci_high
    )
}

/// The study's duration in words, first randomisation to the analysis (nothing without
/// accrual, where every patient starts at once).
fn duration_clause(s: &crate::engine::summary::SurvivalColumns) -> String {
    if s.mean_duration_days.is_nan() {
        return String::new();
    }
    format!(
        "; the analysis comes on average {} days ({:.1} months) after the first randomisation, {} days in 95% of trials",
        whole(s.mean_duration_days),
        s.mean_duration_days / crate::model::sequential::DAYS_PER_MONTH,
        whole(s.p95_duration_days)
    )
}

/// The power table of a time-to-event design: the hazard ratio, the deaths and the Cox
/// estimate's coverage in place of the risk difference.
fn survival_power_table(rows: &[SummaryRow]) -> String {
    let mut md = String::from(
        "| comparison | power | MC SE | 95% MC interval | Schoenfeld approximation | true hazard ratio | mean deaths | Cox Wald coverage |\n|---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let s = r.survival.as_ref().expect("time-to-event rows");
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
    md += "## Sample-size justification\n\n";
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
    md += &format!(
        "## Power curve\n\n![Power against total sample size]({REPORT_SVG})\n\n\
         Simulated power at each total sample size, with its Monte Carlo 95% interval (bars and band); \
         the dashed line is the target {}; dotted vertical lines mark the N chosen and the N planned in the scenario \
         (when it lies within the range drawn).\n\n",
        pct(cx.target)
    );
    md += &assumptions(d);
    if let Some(m) = &d.survival {
        md += &format!(
            "## Survival curves\n\n![True survival by arm]({})\n\n\
             Each arm's true survival from randomisation to day {}, from the model (the endotype mixture of the randomised \
             population, classification and treatment by label, no loss to follow-up): the curves the Kaplan-Meier estimates \
             of a large trial would follow.\n\n",
            crate::output::plot::SURVIVAL_SVG,
            m.reference_day
        );
    }
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
    let p = cx.provenance;
    md += &format!(
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
    let (Some(plan), Some((b, _, _))) = (&d.sequential, boundaries::of_design(d)) else {
        return String::new();
    };
    let mut md = format!(
        "## Interim analyses\n\n{} analyses, {}; {}. Boundaries on the z scale (positive = benefit), \
         as rpact's `getDesignGroupSequential` defines them, at N = {}:\n\n\
         | look | outcomes known | randomised | efficacy z | nominal p | alpha spent | futility z |{}\n\
         |---|---|---|---|---|---|---|{}\n",
        plan.looks.len(),
        plan.efficacy_words(),
        plan.futility_words(),
        thousands(s.n),
        if d.accrual.is_some() { " months |" } else { "" },
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
        if let Some(months) = d.months_to_look(k) {
            md += &format!(" {months:.1} |");
        }
        md += "\n";
    }
    if let Some(row) = search.candidates.get(&s.n).and_then(|r| r.first())
        && let Some(q) = &row.sequential
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

/// The report as a standalone HTML page. The answer box, wrapped log and folded candidate table
/// keep it within the width of a page (`.ci/report-layout` checks it in Chromium).
pub fn report_html(markdown: &str, title: &str) -> String {
    use pulldown_cmark::{Options, Parser, html};
    let mut body = String::new();
    html::push_html(&mut body, Parser::new_ext(markdown, Options::ENABLE_TABLES));
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>\n\
         body {{ font-family: sans-serif; max-width: 1000px; margin: 2em auto; padding: 0 1em; line-height: 1.45; overflow-wrap: break-word; }}\n\
         blockquote {{ margin: 1em 0; padding: 0.6em 1.2em; border: 2px solid #2a6; border-radius: 6px; background: #f2fbf5; font-size: 1.1em; }}\n\
         blockquote p {{ margin: 0.3em 0; }}\n\
         table {{ border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }} th, td {{ border: 1px solid #bbb; padding: 0.25em 0.6em; text-align: left; }}\n\
         pre {{ background: #f4f4f4; padding: 0.8em; white-space: pre-wrap; }} img {{ max-width: 100%; height: auto; }}\n\
         details {{ margin: 1em 0; }} summary {{ cursor: pointer; }}\n\
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
        let (sensitivity, ppv) = label_accuracy(d, l);
        out += &format!(" {name} {sensitivity:.4} / {ppv:.4};");
    }
    out + "\n"
}

/// The resolved design, as `validate` prints it.
/// A plan's looks as percentages of the outcomes: "50.0%, 100.0%".
fn looks_text(plan: &crate::model::sequential::SequentialPlan) -> String {
    plan.looks
        .iter()
        .map(|&t| pct(t))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The boundaries of a sequential design, look by look, with the inflation of the maximum
/// information and the expected information (as rpact's `getDesignCharacteristics` gives them).
pub fn sequential_text(d: &Design) -> String {
    let (Some(plan), Some((b, beta_spent, sides))) = (&d.sequential, boundaries::of_design(d))
    else {
        return String::new();
    };
    // An event-driven design looks at fractions of its deaths, at random calendar times.
    let event_driven = d.survival.is_some();
    let (units, column) = if event_driven {
        ("deaths", "deaths")
    } else {
        ("patients' outcomes", "outcomes")
    };
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
    for (k, &t) in plan.looks.iter().enumerate() {
        let dash =
            |v: Option<f64>, digits: usize| v.map_or("-".to_string(), |v| format!("{v:.digits$}"));
        out += &format!(
            "    {:>4}  {:>8.4}  {:>8}  {:>10}  {:>7}  {:>10.4}  {:>9.6}  {:>11.6}  {:>10}  {:>10}\n",
            k + 1,
            t,
            plan.evaluable[k],
            if event_driven {
                "-".to_string()
            } else {
                d.randomised_by_look(k).to_string()
            },
            dash(d.months_to_look(k), 1),
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
    let c = boundaries::characteristics(&b, d.analysis.alpha, sides, beta);
    out += &format!(
        "    inflation factor {:.4}: for {} power, the maximum information ({}) is {:.4} x the fixed design's; expected {:.4} x under that alternative, {:.4} x under the null\n",
        c.inflation,
        pct(1.0 - beta),
        if event_driven { "deaths" } else { "patients" },
        c.inflation,
        c.expected_h1,
        c.expected_h0
    );
    out
}

/// The scenario's hypotheses by name: "overall, mals".
fn hypothesis_names(d: &Design) -> String {
    d.analysis
        .hypotheses
        .iter()
        .map(|&h| d.hypothesis_name(h))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An adaptive design's selection rule, in words.
fn selection_words(selection: Selection) -> String {
    match selection {
        Selection::Best => "the population with the best observed effect".to_string(),
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
fn adaptation_text(d: &Design) -> String {
    let Some(a) = &d.adaptation else {
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
fn per_arm(d: &Design, what: &str) -> String {
    let mut out = String::new();
    for (a, arm) in d.arms.iter().enumerate() {
        out += &format!(
            "    {:<16} ratio {}  {what} {:.4}  [by label:",
            arm.name, arm.ratio, d.true_risk[a]
        );
        for (s, &l) in d.eligible.iter().enumerate() {
            let t = arm.treatment_by_stratum[s].map_or("none", |t| d.treatments[t].name.as_str());
            out += &format!(" {} {:.4} ({t});", d.labels[l], d.stratum_risk[a][s]);
        }
        out += "]\n";
    }
    out
}

/// `validate`'s model lines for a time-to-event endpoint: follow-up and analysis, mortality
/// per arm, the hazard ratio and Schoenfeld's power.
fn survival_text(d: &Design) -> String {
    let m = d.survival.as_ref().expect("a time-to-event design");
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
    out += &match m.follow_up_days {
        Some(f) if d.dropout > 0.0 => {
            format!(
                "; loss to follow-up {} by day {f} (exponential)\n",
                d.dropout
            )
        }
        _ => "; no loss to follow-up\n".to_string(),
    };
    out += &format!(
        "  true mortality by day {} per arm (no loss to follow-up):\n",
        m.reference_day
    );
    out += &per_arm(d, "mortality");
    for a in d.comparisons() {
        let vs = format!("  {} vs {}", d.arms[a].name, d.arms[d.control].name);
        out += &match d.true_hazard_ratio(a) {
            Some(hr) => format!(
                "{vs}: true hazard ratio {hr:.4}; Schoenfeld power {:.4} ({}, alpha {})\n",
                power::analytic_power(d, a),
                d.analysis.sidedness.as_str(),
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
    if d.survival.is_some() {
        return out + &survival_text(d) + &sequential_text(d);
    }
    out += &format!(
        "\n  true risk of {} per arm (dropout {}):\n",
        d.event, d.dropout
    );
    out += &per_arm(d, "risk");
    out += &sequential_text(d);
    out += &adaptation_text(d);
    for a in d.comparisons() {
        let power = if d.adaptation.is_some() {
            " (all eligible labels); power by simulation only (the selection changes the populations tested)".to_string()
        } else {
            format!(
                "; normal-approximation power {:.4} (pooled z test of the risk difference, {}, alpha {}{})",
                power::analytic_power(d, a),
                d.analysis.sidedness.as_str(),
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
            d.true_risk[a] - d.true_risk[d.control],
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_rounded_and_grouped_for_people() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_600_000), "1,600,000");
        assert_eq!(money(4_249_143.6, "EUR"), "EUR 4,249,144");
        assert_eq!(price(15000.0, "EUR"), "EUR 15,000");
        assert_eq!(price(12.5, "EUR"), "EUR 12.50");
        assert_eq!(price(1234.999, "USD"), "USD 1,235.00");
        assert_eq!(pct(0.8003), "80.0%");
        assert_eq!(pct(0.018), "1.8%");
        assert_eq!(pct(0.0), "0.0%");
        assert_eq!(pct(0.00042), "0.042%");
        assert_eq!(pct(0.0042), "0.42%");
        assert_eq!(num(0.074468085106383), "0.07447");
        assert_eq!(num(0.4), "0.4");
        assert_eq!(num(4420.0), "4,420");
        assert_eq!(num(2.0), "2");
        assert_eq!(power_pct(0.79996, 0.8), "79.996%");
        assert_eq!(power_pct(0.80041, 0.8), "80.0%");
    }

    #[test]
    fn dates_are_gregorian() {
        // Python: datetime.date(1970, 1, 1) + datetime.timedelta(days=d)
        for (days, date) in [
            (0, (1970, 1, 1)),
            (-1, (1969, 12, 31)),
            (11_016, (2000, 2, 29)),
            (19_000, (2022, 1, 8)),
            (20_418, (2025, 11, 26)),
            (110_000, (2271, 3, 4)),
        ] {
            assert_eq!(civil_from_days(days), date, "day {days}");
        }
    }

    #[test]
    fn sources_are_the_cited_sentences_and_registrations() {
        let text = "# Trial X (NCT04990232; JAMA 2025).\n# Sources: domain.md (ImmunoSep: rates,\n\
                    # 1.8% attrition). ASSUMPTION: none.\n#\n# See https://example.org/a.\nname = \"x\" # Source: not a comment line\n";
        assert_eq!(
            sources(text),
            [
                "domain.md (ImmunoSep: rates, 1.8% attrition)",
                "NCT04990232",
                "https://example.org/a"
            ]
        );
        assert!(sources("name = \"x\"\n").is_empty());
    }

    #[test]
    fn powers_never_round_onto_the_target() {
        assert_eq!(power_text(0.89996, 0.9), "0.89996");
        assert_eq!(power_text(0.8999999, 0.9), "0.8999999");
        assert_eq!(power_text(0.80041, 0.8), "0.8004");
        assert_eq!(power_text(0.9, 0.9), "0.9000");
    }
}
