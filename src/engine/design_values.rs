//! What the summary rows read of the design alone, computed once per design instead of once per
//! row or look: the analytic power and the true hazard ratio of each comparison, the
//! group-sequential boundaries with the beta their futility rule spends, the analytic
//! stage-wise probabilities, and each look's
//! calendar month and patients randomised. The rows are a function of (these values, the
//! design's names and counts, the tally).

use crate::model::design::{Design, EndpointModel};
use crate::stats::boundaries::{self, Boundaries, Stages};
use crate::stats::power;

/// The design-only quantities of the summary rows.
#[derive(Debug, Clone)]
pub struct DesignValues {
    /// Per comparison (`Design::comparisons` order): the normal-approximation power (NaN where
    /// there is none) and the true hazard ratio (NaN without one: not a time-to-event design,
    /// or hazards not proportional).
    pub analytic_power: Vec<f64>,
    pub true_hazard_ratio: Vec<f64>,
    /// Per comparison of a design with interim looks: the analytic rejection, futility and
    /// stopping probabilities per look at the drift of its analytic power (`None` where there
    /// is none).
    pub analytic_stages: Vec<Option<Stages>>,
    /// With `[sequential]`: the boundaries and the beta spent per look (beta spending).
    pub boundaries: Option<(Boundaries, Option<Vec<f64>>)>,
    /// Per look of a `[sequential]` design: months from the first randomisation (NaN without
    /// `accrual_per_month`), and the patients randomised by then (read only where the looks
    /// come at planned numbers of patients, not at numbers of deaths).
    pub months_to_look: Vec<f64>,
    pub randomised_by_look: Vec<u64>,
    /// Whether the looks come at planned numbers of patients (not at numbers of deaths, whose
    /// calendar times are random).
    pub fixed_looks: bool,
}

impl DesignValues {
    pub fn of(design: &Design) -> DesignValues {
        let looks = design.sequential().map_or(0, |p| p.looks.len());
        DesignValues {
            analytic_power: design
                .comparisons()
                .map(|a| power::analytic_power(design, a))
                .collect(),
            true_hazard_ratio: design
                .comparisons()
                .map(|a| design.true_hazard_ratio(a).unwrap_or(f64::NAN))
                .collect(),
            analytic_stages: design
                .comparisons()
                .map(|a| power::analytic_stages(design, a))
                .collect(),
            boundaries: boundaries::of_design(design).map(|(b, beta, _)| (b, beta)),
            months_to_look: (0..looks)
                .map(|k| design.months_to_look(k).unwrap_or(f64::NAN))
                .collect(),
            randomised_by_look: (0..looks).map(|k| design.randomised_by_look(k)).collect(),
            fixed_looks: !matches!(design.endpoint, EndpointModel::TimeToEvent(_)),
        }
    }
}
