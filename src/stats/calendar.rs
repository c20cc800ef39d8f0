//! The calendar of an event-driven time-to-event design without simulation, as rpact's
//! `getPowerSurvival` defines it: the expected number randomised and the expected deaths by
//! each calendar day, and the day of a look as the day at which the expected deaths reach its
//! count (rpact's `analysisTime`; the number randomised by then is its `numberOfSubjects`).
//!
//! Calendar day 0 is the start of accrual. With randomisation times uniform over A days (N
//! patients), patients arrive at N / A a day until A (with a piecewise intensity, at N times
//! its density, piece by piece); with a Poisson process of rate lambda, the
//! first N of its arrivals come at lambda P(Poisson(lambda s) <= N - 1) a day at day s. A patient
//! randomised u days before day t has died by then with the probability F(u) of death before
//! loss to follow-up and before the end of follow-up, averaged over the arms (in their allocation
//! ratio) and over the patients of each arm (endotypes and labels). The expected deaths by day t
//! are the integral over randomisation day s of arrivals(s) F(t - s).
//!
//! The integrals are composite Gauss-Legendre split at every kink (the end of uniform accrual, the
//! ends of the hazard's pieces, the end of follow-up), so they are exact to about 1e-12; rpact
//! is matched to 1e-6 (its root finder's tolerance).

use statrs::distribution::{DiscreteCDF, Poisson};

use crate::model::design::Design;
use crate::model::survival::{Arrivals, SurvivalModel};
use crate::stats::quadrature::integrate_split;
use crate::stats::survival;

/// Expected randomisations and deaths over the calendar of a time-to-event design.
pub struct Calendar<'a> {
    design: &'a Design,
    model: &'a SurvivalModel,
    arrivals: &'a Arrivals,
    n: f64,
    /// Days after randomisation at which F has a kink.
    kinks: Vec<f64>,
}

impl<'a> Calendar<'a> {
    /// `None` without a time-to-event endpoint or without accrual over calendar time.
    pub fn of(design: &'a Design) -> Option<Calendar<'a>> {
        let model = design.survival()?;
        let arrivals = model.arrivals.as_ref()?;
        let mut kinks: Vec<f64> = model.control.iter().flat_map(|h| h.ends()).collect();
        kinks.extend(model.follow_up_days);
        Some(Calendar {
            design,
            model,
            arrivals,
            n: design.sample_size as f64,
            kinks,
        })
    }

    /// Probability that a patient randomised `u` days ago has died (before loss to follow-up
    /// and within follow-up), over the arms in their allocation ratio.
    fn died_by(&self, u: f64) -> f64 {
        let d = self.design;
        let to = self.model.follow_up_days.map_or(u, |f| u.min(f));
        (0..d.arms.len())
            .map(|a| {
                let share = d.expected_arm_size(a) / self.n;
                share
                    * d.mean_over_patients(a, |e, hr| {
                        let loss = self.model.dropout_hazard[a];
                        survival::competing(&self.model.control[e], hr, loss, 0.0, to).0
                    })
            })
            .sum()
    }

    /// Patients randomised a day at day `s`.
    fn arrival_rate(&self, s: f64) -> f64 {
        match *self.arrivals {
            Arrivals::Uniform { days } if s <= days => self.n / days,
            Arrivals::Uniform { .. } => 0.0,
            Arrivals::Piecewise(ref shape) => self.n * shape.density(s),
            Arrivals::Poisson { per_day } => {
                let fewer = Poisson::new(per_day * s).map_or(1.0, |p| p.cdf(self.n as u64 - 1));
                per_day * fewer
            }
        }
    }

    /// The calendar segments over which arrivals come, up to day `t`, each with its panel
    /// width: uniform accrual, [0, min(t, A)] in 64 panels; a Poisson process's rate, lambda
    /// until it falls smoothly over about sqrt(N) / lambda days around N / lambda, then below
    /// 1e-16 of lambda beyond 9 of those (left out): the fall in panels of half that spread.
    fn segments(&self, t: f64) -> Vec<(f64, f64, f64)> {
        let piece = |lo: f64, hi: f64, width: f64| (lo < hi).then_some((lo, hi, width));
        match *self.arrivals {
            Arrivals::Uniform { days } => {
                let hi = t.min(days);
                piece(0.0, hi, hi / 64.0).into_iter().collect()
            }
            // Each piece of constant intensity in 64 panels.
            Arrivals::Piecewise(ref shape) => {
                let mut edges = vec![0.0];
                edges.extend_from_slice(shape.breaks());
                edges.push(shape.end());
                edges
                    .windows(2)
                    .filter_map(|w| {
                        let hi = w[1].min(t);
                        piece(w[0], hi, (hi - w[0]) / 64.0)
                    })
                    .collect()
            }
            Arrivals::Poisson { per_day } => {
                let (centre, spread) = (self.n / per_day, self.n.sqrt() / per_day);
                let (start, end) = (
                    (centre - 9.0 * spread).clamp(0.0, t),
                    (centre + 9.0 * spread).min(t),
                );
                [
                    piece(0.0, start, start / 64.0),
                    piece(start, end, spread / 2.0),
                ]
                .into_iter()
                .flatten()
                .collect()
            }
        }
    }

    /// The integral over randomisation days s up to `t` of arrival_rate(s) g(s), split at
    /// `breaks`.
    fn over_arrivals(&self, t: f64, breaks: &[f64], g: impl Fn(f64) -> f64) -> f64 {
        self.segments(t)
            .into_iter()
            .map(|(lo, hi, width)| {
                integrate_split(lo, hi, width, breaks, |s| self.arrival_rate(s) * g(s))
            })
            .sum()
    }

    /// Expected patients randomised by day `t`.
    pub fn randomised_by(&self, t: f64) -> f64 {
        match self.arrivals {
            Arrivals::Uniform { days } => self.n * t.min(*days) / days,
            Arrivals::Piecewise(shape) => self.n * shape.cdf(t),
            Arrivals::Poisson { .. } => self.over_arrivals(t, &[], |_| 1.0).min(self.n),
        }
    }

    /// Expected deaths by day `t`.
    pub fn deaths_by(&self, t: f64) -> f64 {
        if t <= 0.0 {
            return 0.0;
        }
        let breaks: Vec<f64> = self.kinks.iter().map(|k| t - k).collect();
        self.over_arrivals(t, &breaks, |s| self.died_by(t - s))
    }

    /// The day at which the expected deaths reach `deaths`; `None` if they never do (too few
    /// patients, or follow-up too short).
    pub fn day_of_deaths(&self, deaths: f64) -> Option<f64> {
        let mut hi = 1.0;
        // An accrual too short for its rate to be a number (accrual_days = 1e-308) has none.
        if !self.deaths_by(hi).is_finite() {
            return None;
        }
        while self.deaths_by(hi) < deaths {
            hi *= 2.0;
            // Beyond 2^40 days (3e9 years) the deaths have long stopped growing.
            if hi > 1e12 {
                return None;
            }
        }
        let mut lo = 0.0;
        // Bisection to adjacent doubles (about 100 halvings): a stopping tolerance would let a
        // last-bit difference in the integral move the day by the tolerance, not by a bit.
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if mid <= lo || mid >= hi {
                break;
            }
            if self.deaths_by(mid) < deaths {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Some(0.5 * (lo + hi))
    }
}
