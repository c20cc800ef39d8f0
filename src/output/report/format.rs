//! Numbers for people: rounded and grouped ("1,600,000", "80.0%"), a power never rounded onto
//! its target; the CSVs keep full precision.

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

/// A time-to-event design's loss to follow-up for people: "5.0%" when every arm has it, else
/// per arm ("5.0% on placebo, 10.0% on anakinra"); `None` without loss.
pub fn loss_to_follow_up(d: &crate::model::design::Design) -> Option<String> {
    let m = d.survival()?;
    match m.common_dropout() {
        Some(0.0) => None,
        Some(p) => Some(pct(p)),
        None => Some(
            d.arms
                .iter()
                .zip(&m.dropout)
                .map(|(a, &p)| format!("{} on {}", pct(p), a.display))
                .collect::<Vec<_>>()
                .join(", "),
        ),
    }
}

/// A power as a percentage, with more decimals where one would round it onto the other side of
/// the target (79.96% is not "80.0%" when the target is 80%).
pub(super) fn power_pct(power: f64, target: f64) -> String {
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
pub(super) fn price(amount: f64, currency: &str) -> String {
    if amount.fract() == 0.0 {
        money(amount, currency)
    } else {
        let cents = (amount * 100.0).round() as u64;
        format!("{currency} {}.{:02}", thousands(cents / 100), cents % 100)
    }
}

/// A number from the scenario for people: at most 4 significant digits (0.074468085106383 ->
/// 0.07447), exact values as written (0.4, 15000).
pub(crate) fn num(x: f64) -> String {
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

/// Decimals that show a power's distance from `target` to two significant digits: 4 for usual
/// targets, 6 for 0.9999 (where 4 would print every power, SE and interval as 0.9999 or 0).
pub(super) fn target_decimals(target: f64) -> usize {
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

/// A value to 4 decimals, or "-" when it does not apply (NaN).
pub(super) fn dash(v: f64) -> String {
    if v.is_nan() {
        "-".to_string()
    } else {
        format!("{v:.4}")
    }
}

/// The study's duration in words, first randomisation to the analysis (nothing without
/// accrual, where every patient starts at once).
pub(super) fn duration_clause(s: &crate::engine::summary::SurvivalColumns) -> String {
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
    fn powers_never_round_onto_the_target() {
        assert_eq!(power_text(0.89996, 0.9), "0.89996");
        assert_eq!(power_text(0.8999999, 0.9), "0.8999999");
        assert_eq!(power_text(0.80041, 0.8), "0.8004");
        assert_eq!(power_text(0.9, 0.9), "0.9000");
    }
}
