//! A time-to-event endpoint's validated model (`[endpoint] kind = "time_to_event"`): the
//! control arm's mortality per true endotype as a piecewise-exponential hazard, follow-up, the
//! event-driven analysis, how times are recorded, accrual and loss to follow-up. A treatment's
//! `hazard_ratio` multiplies the hazard of the true endotype it acts on.
//!
//! Checked here: every time-to-event key (a key of another kind is refused by `kind_keys`).

use std::collections::BTreeMap;

use crate::model::accrual::AccrualShape;
use crate::model::hazard::PiecewiseHazard;
use crate::model::raw::{InvalidKey, RawScenario};
use crate::model::sequential::DAYS_PER_MONTH;
use crate::model::vocabulary::{EndpointKind, TimeResolution};

/// Longest accrual (days): 10,000 years.
pub const MAX_ACCRUAL_DAYS: f64 = 3_652_500.0;

/// Largest sample size drawn patient by patient (memory: about 32 bytes a patient per worker).
pub const MAX_PATIENT_LEVEL: u64 = 10_000_000;

/// How patients are randomised over calendar time.
#[derive(Debug, Clone, PartialEq)]
pub enum Arrivals {
    /// Randomisation times uniform over `days` (the order statistics of N uniforms).
    Uniform { days: f64 },
    /// Randomisation times from a piecewise-uniform density (`accrual_intensity`), sorted.
    Piecewise(AccrualShape),
    /// A Poisson process of `per_day` randomisations a day.
    Poisson { per_day: f64 },
}

/// The validated time-to-event model.
#[derive(Debug, Clone, PartialEq)]
pub struct SurvivalModel {
    /// Days each patient is followed after randomisation (`None`: until the analysis).
    pub follow_up_days: Option<f64>,
    /// Analyse at the calendar time of this event (`None`: when the last patient has been
    /// followed `follow_up_days`).
    pub analysis_events: Option<u64>,
    pub resolution: TimeResolution,
    /// `None`: no accrual given (a fixed-follow-up design's duration is then not computed).
    pub arrivals: Option<Arrivals>,
    /// Per arm (in the scenario's order): the probability of loss to follow-up by
    /// `follow_up_days` (`arm.dropout`, or `enrollment.dropout`), and its hazard per day
    /// (exponential censoring).
    pub dropout: Vec<f64>,
    pub dropout_hazard: Vec<f64>,
    /// The control arm's hazard per true endotype.
    pub control: Vec<PiecewiseHazard>,
    /// The day at which mortality is stated (the `true_mean` of the design): the follow-up, or
    /// without one the last day of any `control_mortality`.
    pub reference_day: f64,
}

impl SurvivalModel {
    /// Whether the analysis waits for an event count (so patients' calendar times matter).
    pub fn is_event_driven(&self) -> bool {
        self.analysis_events.is_some()
    }

    /// The probability of loss to follow-up when every arm has the same one.
    pub fn common_dropout(&self) -> Option<f64> {
        let first = self.dropout[0];
        self.dropout.iter().all(|&d| d == first).then_some(first)
    }

    /// Whether a trial can be drawn at count level (a fixed follow-up recorded in days);
    /// otherwise patient by patient (continuous times, or an event-driven calendar).
    pub fn is_count_level(&self) -> bool {
        self.resolution == TimeResolution::Day && !self.is_event_driven()
    }
}

fn refuse(key: &str, message: &str) -> InvalidKey {
    InvalidKey::new(key, message.to_string())
}

/// The day -> cumulative mortality points of one endotype, as a hazard: piecewise constant, or
/// Weibull of `shape` through its one point.
fn mortality(
    name: &str,
    points: &BTreeMap<String, f64>,
    shape: Option<f64>,
) -> Result<PiecewiseHazard, InvalidKey> {
    let key = format!("endotype.{name}.control_mortality");
    let positive = |d: f64| d.is_finite() && d > 0.0;
    let parsed = by_day(&key, points, positive, "> 0", "{ 28 = 0.35 }")?;
    match (shape, &parsed[..]) {
        (None, _) => PiecewiseHazard::through(&parsed).map_err(|m| InvalidKey::new(key, m)),
        (Some(kappa), &[(day, p)]) => PiecewiseHazard::weibull(day, p, kappa).map_err(|m| {
            let key = if m.contains("Weibull shape") {
                "endpoint.weibull_shape".to_string()
            } else {
                key
            };
            InvalidKey::new(key, m)
        }),
        (Some(_), _) => Err(InvalidKey::new(
            key,
            format!(
                "a Weibull hazard (endpoint.weibull_shape) goes through one point, the mortality by one day, e.g. {{ 28 = 0.3 }}; found {} points",
                parsed.len()
            ),
        )),
    }
}

/// A time-to-event endpoint's model (`None` for another kind). The checks run in the order of
/// the scenario's tables.
pub fn model(raw: &RawScenario) -> Result<Option<SurvivalModel>, InvalidKey> {
    if raw.endpoint.kind != EndpointKind::TimeToEvent {
        return Ok(None);
    }
    let e = &raw.endpoint;
    let control = raw
        .endotype
        .iter()
        .map(|en| {
            let points = en.control_mortality.as_ref().ok_or_else(|| {
                refuse(
                    &format!("endotype.{}.control_mortality", en.name),
                    "missing: a time-to-event endpoint needs each endotype's cumulative mortality under control, e.g. { 28 = 0.35, 90 = 0.45 }",
                )
            })?;
            mortality(&en.name, points, e.weibull_shape)
        })
        .collect::<Result<Vec<_>, _>>()?;
    // Each hazard ratio (> 0) is checked with the other effects (design/arms.rs, `resolve_treatment`).
    let resolution = e.time_resolution.unwrap_or_default();
    follow_up_and_events(raw, resolution)?;
    let arrivals = arrivals(raw)?;
    if e.analysis_events.is_some() && arrivals.is_none() {
        return Err(refuse(
            "enrollment.accrual_days",
            "missing: an event-driven analysis (analysis_events) happens in calendar time, so it needs accrual_days or accrual_per_month",
        ));
    }
    let dropout: Vec<f64> = raw
        .arm
        .iter()
        .map(|a| a.dropout.unwrap_or(raw.enrollment.dropout))
        .collect();
    let mut dropout_hazard = Vec::with_capacity(dropout.len());
    for (a, &d) in raw.arm.iter().zip(&dropout) {
        let key = match a.dropout {
            Some(_) => format!("arm.{}.dropout", a.name),
            None => "enrollment.dropout".to_string(),
        };
        if !(0.0..1.0).contains(&d) {
            return Err(InvalidKey::new(
                key,
                format!("expected a probability in [0, 1), found {d}"),
            ));
        }
        dropout_hazard.push(match (d, e.follow_up_days) {
            (0.0, _) => 0.0,
            (d, Some(f)) => -(-d).ln_1p() / f,
            (_, None) => {
                return Err(InvalidKey::new(
                    key,
                    "is the probability of loss to follow-up by endpoint.follow_up_days: give follow_up_days too",
                ));
            }
        });
    }
    design_for_time_to_event(raw)?;
    let reference_day = e.follow_up_days.unwrap_or_else(|| {
        control
            .iter()
            .map(PiecewiseHazard::last_day)
            .fold(0.0, f64::max)
    });
    let model = SurvivalModel {
        follow_up_days: e.follow_up_days,
        analysis_events: e.analysis_events,
        resolution,
        arrivals,
        dropout,
        dropout_hazard,
        control,
        reference_day,
    };
    let n = raw.enrollment.sample_size;
    if !model.is_count_level() && n > MAX_PATIENT_LEVEL {
        return Err(InvalidKey::new(
            "enrollment.sample_size",
            format!(
                "continuous times and event-driven analyses are simulated patient by patient: expected at most {MAX_PATIENT_LEVEL} patients, found {n} (a fixed follow-up in days is drawn at count level and takes any size)"
            ),
        ));
    }
    Ok(Some(model))
}

/// The follow-up (whole days at day resolution) and the event count of an event-driven
/// analysis: at least one of the two.
fn follow_up_and_events(raw: &RawScenario, resolution: TimeResolution) -> Result<(), InvalidKey> {
    let e = &raw.endpoint;
    if let Some(f) = e.follow_up_days {
        let whole = resolution == TimeResolution::Continuous || f.fract() == 0.0;
        if !(f.is_finite() && f > 0.0 && f <= 36_525.0 && whole) {
            return Err(InvalidKey::new(
                "endpoint.follow_up_days",
                format!(
                    "expected a number of days in (0, 36525]{}, found {f}",
                    if whole {
                        ""
                    } else {
                        ", whole with time_resolution = \"day\""
                    }
                ),
            ));
        }
    }
    let n = raw.enrollment.sample_size;
    match e.analysis_events {
        None if e.follow_up_days.is_none() => Err(refuse(
            "endpoint.follow_up_days",
            "missing: a time-to-event endpoint needs follow_up_days (each patient followed this long), analysis_events (analyse at that event), or both",
        )),
        Some(k) if k == 0 || k > n => Err(InvalidKey::new(
            "endpoint.analysis_events",
            format!(
                "expected a number of events from 1 to enrollment.sample_size ({n}), found {k}"
            ),
        )),
        _ => Ok(()),
    }
}

/// The randomisation times: uniform over `accrual_days`, Poisson at `accrual_per_month`, or
/// none (every patient at day 0); accrual lasts at most 10,000 years, so that calendar times
/// stay finite and far from overflow.
fn arrivals(raw: &RawScenario) -> Result<Option<Arrivals>, InvalidKey> {
    let en = &raw.enrollment;
    let arrivals = match (en.accrual_days, en.accrual_per_month) {
        (Some(_), Some(_)) => {
            return Err(refuse(
                "enrollment.accrual_days",
                "expected accrual_days (uniform randomisation times) or accrual_per_month (Poisson arrivals), not both",
            ));
        }
        (Some(days), None) if !(days.is_finite() && days > 0.0) => {
            return Err(InvalidKey::new(
                "enrollment.accrual_days",
                format!("expected a number of days > 0, found {days}"),
            ));
        }
        (Some(days), None) => Some(match &en.accrual_intensity {
            None => Arrivals::Uniform { days },
            Some(pieces) => Arrivals::Piecewise(intensity(pieces, days)?),
        }),
        (None, Some(m)) if !(m.is_finite() && m > 0.0) => {
            return Err(InvalidKey::new(
                "enrollment.accrual_per_month",
                format!("expected a positive number of patients per month, found {m}"),
            ));
        }
        (None, Some(m)) => Some(Arrivals::Poisson {
            per_day: m / DAYS_PER_MONTH,
        }),
        (None, None) => None,
    };
    let n = en.sample_size;
    if en.accrual_intensity.is_some() && en.accrual_days.is_none() {
        return Err(refuse(
            "enrollment.accrual_intensity",
            "shapes accrual over enrollment.accrual_days: give accrual_days (the last day of accrual) too",
        ));
    }
    let span = match &arrivals {
        Some(Arrivals::Uniform { days }) => *days,
        Some(Arrivals::Piecewise(shape)) => shape.end(),
        Some(Arrivals::Poisson { per_day }) => n as f64 / per_day,
        None => 0.0,
    };
    if span > MAX_ACCRUAL_DAYS {
        let key = if en.accrual_days.is_some() {
            "enrollment.accrual_days"
        } else {
            "enrollment.accrual_per_month"
        };
        return Err(InvalidKey::new(
            key,
            format!(
                "accrual of {n} patients would last {span:e} days; expected at most {MAX_ACCRUAL_DAYS:e} (10,000 years)"
            ),
        ));
    }
    Ok(arrivals)
}

/// A table keyed by day (`{ 28 = 0.35 }`) as (day, value) pairs in order of day: TOML keys
/// are strings, and "7" sorts after "28". A key that is not a number, or not a `valid` day
/// (`expected` says which), is refused, naming it.
fn by_day(
    key: &str,
    table: &BTreeMap<String, f64>,
    valid: impl Fn(f64) -> bool,
    expected: &str,
    example: &str,
) -> Result<Vec<(f64, f64)>, InvalidKey> {
    let mut parsed = table
        .iter()
        .map(|(day, &value)| {
            let d: f64 = day.trim().parse().map_err(|_| {
                InvalidKey::new(
                    format!("{key}.{day}"),
                    format!("expected a day (a number {expected}) as the key, e.g. {example}"),
                )
            })?;
            if !valid(d) {
                return Err(InvalidKey::new(
                    format!("{key}.{day}"),
                    format!("expected a day {expected}, found {day}"),
                ));
            }
            Ok((d, value))
        })
        .collect::<Result<Vec<_>, InvalidKey>>()?;
    parsed.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(parsed)
}

/// The shape of accrual over `days` from `enrollment.accrual_intensity` (start day ->
/// relative intensity).
fn intensity(pieces: &BTreeMap<String, f64>, days: f64) -> Result<AccrualShape, InvalidKey> {
    let key = "enrollment.accrual_intensity";
    let from_zero = |d: f64| d.is_finite() && d >= 0.0;
    let parsed = by_day(key, pieces, from_zero, ">= 0", "{ 0 = 10, 180 = 25 }")?;
    AccrualShape::new(&parsed, days).map_err(|m| InvalidKey::new(key, m))
}

/// What a time-to-event endpoint allows of the rest of the design: interim looks only
/// event-driven and with two arms, no multiple hypotheses yet.
fn design_for_time_to_event(raw: &RawScenario) -> Result<(), InvalidKey> {
    if raw.sequential.is_some() {
        // Looks are fractions of the planned deaths, reached at random calendar times: only an
        // event-driven design has them. With more arms, the deaths a look counts are shared by
        // the comparisons, so no comparison's information would be at its planned fraction.
        if raw.endpoint.analysis_events.is_none() {
            return Err(refuse(
                "sequential.looks",
                "with a time-to-event endpoint the looks are fractions of endpoint.analysis_events (event-driven): set analysis_events",
            ));
        }
        if raw.arm.len() != 2 {
            return Err(refuse(
                "sequential",
                "interim looks of a time-to-event design are for two arms (one comparison, whose deaths are the trial's); remove [sequential] or keep two arms",
            ));
        }
    }
    if raw.analysis().hypotheses.is_some() {
        return Err(refuse(
            "analysis.hypotheses",
            "several hypotheses per comparison are not yet available for time-to-event endpoints; remove `hypotheses`",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::model::scenario::{Scenario, ScenarioError};
    use std::path::Path;

    /// The shipped time-to-event scenario with each `(from, to)` edit made once, parsed.
    fn edited(edits: &[(&str, &str)]) -> Result<Scenario, ScenarioError> {
        let mut text = include_str!("../../scenarios/immunosep_survival.toml").to_string();
        for (from, to) in edits {
            assert!(text.contains(from), "{from}");
            text = text.replacen(from, to, 1);
        }
        Scenario::from_text(Path::new("s.toml"), text)
    }

    /// The refusal of the shipped scenario with `from` replaced by `to`.
    fn refusal(from: &str, to: &str) -> String {
        match edited(&[(from, to)]) {
            Ok(_) => panic!("{to} accepted"),
            Err(e) => e.to_string(),
        }
    }

    /// A rate of accrual that is not positive is refused as such, not as an accrual that
    /// never ends (0 a month makes it infinite) or not at all (a negative rate).
    #[test]
    fn accrual_rates_not_positive_say_so() {
        for rate in ["0", "-5"] {
            let e = refusal("accrual_days = 730", &format!("accrual_per_month = {rate}"));
            assert!(
                e.contains("expected a positive number of patients per month"),
                "{rate}: {e}"
            );
        }
    }

    /// The limits are inclusive: 10,000 years of accrual, and 10,000,000 patients drawn one by
    /// one (continuous times).
    #[test]
    fn the_limits_themselves_are_accepted() {
        let scenario = edited(&[
            ("accrual_days = 730", "accrual_days = 3652500"),
            ("sample_size = 280", "sample_size = 10000000"),
            (
                "time_resolution = \"day\"",
                "time_resolution = \"continuous\"",
            ),
        ]);
        assert!(
            scenario.is_ok(),
            "{:?}",
            scenario.err().map(|e| e.to_string())
        );
        assert!(refusal("accrual_days = 730", "accrual_days = 3652500.5").contains("10,000 years"));
    }
}
