//! What the outputs call an endpoint's quantities, in one `match` on the endpoint's kind: a new
//! kind of endpoint is a compile error here, and its words go here, instead of in `if` chains
//! across the report, the terminal tables and `compare`.

use crate::model::design::{Design, EndpointModel};

/// The words for one design's endpoint.
pub struct EndpointWords {
    /// The outcome whose risks are compared: the event, or "28-day mortality".
    pub outcome: String,
    /// A risk in a table's heading: "risk", or "mortality by day 28".
    pub risk: String,
    /// The risks, plural, in a sentence: "risks" or "mortalities".
    pub risks: &'static str,
    /// What interim looks are fractions of, in a sentence and as a column's heading.
    pub information: &'static str,
    pub information_column: &'static str,
    /// What a group-sequential design's maximum information counts.
    pub maximum_information: &'static str,
    /// The outcome and how it is analysed, as `compare` tells designs apart.
    pub analysis: String,
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
        },
    }
}
