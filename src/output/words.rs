//! What the outputs call an endpoint's quantities, in one `match` on the endpoint's kind: a new
//! kind of endpoint is a compile error here, and its words go here, instead of in `if` chains
//! across the report, the terminal tables and `compare`.

use crate::model::design::{Design, EndpointModel};
use crate::output::report::format::{num, pct};

/// The words for one design's endpoint.
pub struct EndpointWords {
    /// The outcome whose risks (or means) are compared: the event, "28-day mortality", or a
    /// continuous outcome's name.
    pub outcome: String,
    /// A risk in a table's heading: "risk", "mortality by day 28", or "mean".
    pub risk: String,
    /// The risks, plural, in a sentence: "risks", "mortalities" or "means".
    pub risks: &'static str,
    /// What interim looks are fractions of, in a sentence and as a column's heading.
    pub information: &'static str,
    pub information_column: &'static str,
    /// What a group-sequential design's maximum information counts.
    pub maximum_information: &'static str,
    /// The outcome and how it is analysed, as `compare` tells designs apart.
    pub analysis: String,
    /// Whether the outcome's means are risks, shown as percentages (not a continuous outcome's
    /// means, shown as numbers).
    pub percent: bool,
}

impl EndpointWords {
    /// A mean outcome for people: "35.0%" for a risk, "-1.4" for a continuous outcome.
    pub fn value(&self, v: f64) -> String {
        if self.percent { pct(v) } else { num(v) }
    }

    /// A difference in mean outcome for people: "-5.0 percentage points", or "-1.4".
    pub fn difference(&self, v: f64) -> String {
        if self.percent {
            format!("{:+.1} percentage points", 100.0 * v)
        } else {
            let text = num(v);
            if v > 0.0 { format!("+{text}") } else { text }
        }
    }
}

/// The words for `d`'s endpoint.
pub fn endpoint_words(d: &Design) -> EndpointWords {
    match &d.endpoint {
        EndpointModel::Binary => EndpointWords {
            outcome: d.event.clone(),
            risk: "risk".to_string(),
            risks: "risks",
            information: "patients' outcomes",
            information_column: "outcomes",
            maximum_information: "patients",
            analysis: format!("{} ({})", d.event, d.better.phrase()),
            percent: true,
        },
        // An event-driven design looks at fractions of its deaths, at random calendar times.
        EndpointModel::TimeToEvent(m) => EndpointWords {
            outcome: format!("{}-day mortality", m.reference_day),
            risk: format!("mortality by day {}", m.reference_day),
            risks: "mortalities",
            information: "deaths",
            information_column: "deaths",
            maximum_information: "deaths",
            analysis: format!("time to {} (log-rank)", d.event),
            percent: true,
        },
        EndpointModel::Continuous(_) => EndpointWords {
            outcome: d.event.clone(),
            risk: "mean".to_string(),
            risks: "means",
            information: "patients' outcomes",
            information_column: "outcomes",
            maximum_information: "patients",
            analysis: format!(
                "{} ({}, {})",
                d.event,
                d.better.phrase(),
                d.analysis.test.as_str()
            ),
            percent: false,
        },
        // Levels are listed worst first and counted from 1: a mean level is a number.
        EndpointModel::Ordinal(_) => EndpointWords {
            outcome: format!("the mean level of {}", d.event),
            risk: "mean level".to_string(),
            risks: "mean levels",
            information: "patients' outcomes",
            information_column: "outcomes",
            maximum_information: "patients",
            analysis: format!("{} (ordinal, {})", d.event, d.analysis.test.as_str()),
            percent: false,
        },
    }
}
