//! What the summary rows read of the design alone, computed once per design instead of once per
//! row or look: the analytic power and the true hazard ratio of each comparison, the
//! group-sequential boundaries with the beta their futility rule spends, the analytic
//! stage-wise probabilities, each look's calendar month and patients randomised, and an
//! event-driven design's analytic calendar. The rows are a function of (these values, the
//! design's names and counts, the tally).

use crate::model::design::{Design, EndpointModel};
use crate::model::sequential::DAYS_PER_MONTH;
use crate::stats::boundaries::{self, Boundaries, Stages};
use crate::stats::calendar::Calendar;
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
    /// Per look, without simulation: patients randomised by it and its month (the planned
    /// ones above; for an event-driven design, at the day its expected deaths reach its count,
    /// rpact's `numberOfSubjects` and `analysisTime`), and its deaths (event-driven designs;
    /// NaN otherwise).
    pub analytic_randomised: Vec<f64>,
    pub analytic_months: Vec<f64>,
    pub analytic_events: Vec<f64>,
    /// An event-driven design's final analysis: the day its expected deaths reach
    /// `analysis_events` and the patients randomised by then (NaN where they never do, or
    /// with a fixed follow-up).
    pub analysis_day: f64,
    pub randomised_at_analysis: f64,
}

impl DesignValues {
    pub fn of(design: &Design) -> DesignValues {
        let looks = design.sequential().map_or(0, |p| p.looks.len());
        let fixed_looks = !matches!(design.endpoint, EndpointModel::TimeToEvent(_));
        let calendar = Calendar::of(design);
        // The day of a count of deaths and the patients randomised by then.
        let at_deaths = |deaths: f64| {
            calendar
                .as_ref()
                .and_then(|c| c.day_of_deaths(deaths).map(|t| (t, c.randomised_by(t))))
                .unwrap_or((f64::NAN, f64::NAN))
        };
        let planned = |k: usize| design.sequential().expect("looks").evaluable[k] as f64;
        let look_calendar: Vec<(f64, f64)> = (0..looks)
            .map(|k| match fixed_looks {
                true => (
                    design.months_to_look(k).unwrap_or(f64::NAN),
                    design.randomised_by_look(k) as f64,
                ),
                false => {
                    let (day, randomised) = at_deaths(planned(k));
                    (day / DAYS_PER_MONTH, randomised)
                }
            })
            .collect();
        let (analysis_day, randomised_at_analysis) = design
            .survival()
            .and_then(|m| m.analysis_events)
            .map_or((f64::NAN, f64::NAN), |k| at_deaths(k as f64));
        DesignValues {
            analytic_randomised: look_calendar.iter().map(|l| l.1).collect(),
            analytic_months: look_calendar.iter().map(|l| l.0).collect(),
            analytic_events: (0..looks)
                .map(|k| if fixed_looks { f64::NAN } else { planned(k) })
                .collect(),
            analysis_day,
            randomised_at_analysis,
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
            fixed_looks,
        }
    }
}
