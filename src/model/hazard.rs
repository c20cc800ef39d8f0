//! Mortality over time as a piecewise-constant hazard: the model of a time-to-event endpoint's
//! control arm, given as cumulative mortality at a few days (`{ 7 = 0.25, 28 = 0.55 }`). One
//! point gives an exponential; several give the piecewise-exponential hazard through them,
//! constant after the last. A treatment's hazard ratio scales the hazard (proportional hazards
//! within an endotype), so survival becomes S(t)^HR.
//!
//! A Weibull hazard (`endpoint.weibull_shape`, rpact's `kappa`) goes through one point (T, F):
//! H(t) = H(T) (t / T)^kappa with H(T) = -ln(1 - F); kappa = 1 is the exponential. A hazard
//! ratio still scales it (rpact's lambda1 = lambda2 HR^(1 / kappa)).

/// A piecewise-constant hazard per day, or a Weibull one.
#[derive(Debug, Clone, PartialEq)]
pub struct PiecewiseHazard {
    /// Right ends of the pieces (days), increasing; the last piece continues beyond its end.
    ends: Vec<f64>,
    /// Hazard per day on each piece (a Weibull's: H(T) / T at its one point T).
    rates: Vec<f64>,
    /// Weibull shape kappa (1: piecewise constant).
    shape: f64,
}

impl PiecewiseHazard {
    /// The hazard through cumulative mortality `points` (day, probability of death by that
    /// day): days increasing and positive, probabilities increasing in (0, 1).
    pub fn through(points: &[(f64, f64)]) -> Result<PiecewiseHazard, String> {
        if points.is_empty() {
            return Err("expected at least one (day, cumulative mortality) point".into());
        }
        let mut ends = Vec::with_capacity(points.len());
        let mut rates = Vec::with_capacity(points.len());
        let (mut day, mut cumulative_hazard) = (0.0, 0.0);
        for &(t, f) in points {
            if !(t.is_finite() && t > day) {
                return Err(format!(
                    "expected days increasing from above 0, found {t} after {day}"
                ));
            }
            if !(f > 0.0 && f < 1.0) {
                return Err(format!(
                    "expected a mortality in (0, 1) at day {t}, found {f}"
                ));
            }
            let h = -(1.0 - f).ln();
            if h <= cumulative_hazard {
                return Err(format!(
                    "expected cumulative mortality increasing over time, found {f} at day {t}"
                ));
            }
            rates.push((h - cumulative_hazard) / (t - day));
            ends.push(t);
            day = t;
            cumulative_hazard = h;
        }
        Ok(PiecewiseHazard {
            ends,
            rates,
            shape: 1.0,
        })
    }

    /// The Weibull hazard of shape `shape` (> 0) through the one point (`day`, `mortality`).
    pub fn weibull(day: f64, mortality: f64, shape: f64) -> Result<PiecewiseHazard, String> {
        if !(shape.is_finite() && shape > 0.0) {
            return Err(format!("expected a Weibull shape > 0, found {shape}"));
        }
        let mut h = PiecewiseHazard::through(&[(day, mortality)])?;
        h.shape = shape;
        Ok(h)
    }

    /// The Weibull shape when it is not 1 (`None`: piecewise constant).
    pub fn weibull_shape(&self) -> Option<f64> {
        (self.shape != 1.0).then_some(self.shape)
    }

    /// Cumulative hazard H(t) at `t` days (t >= 0).
    pub fn cumulative(&self, t: f64) -> f64 {
        if self.shape != 1.0 {
            let day = self.ends[0];
            return self.rates[0] * day * (t.max(0.0) / day).powf(self.shape);
        }
        let mut h = 0.0;
        let mut start = 0.0;
        for (i, (&end, &rate)) in self.ends.iter().zip(&self.rates).enumerate() {
            let last = i + 1 == self.ends.len();
            let upto = if last { t } else { t.min(end) };
            if upto > start {
                h += rate * (upto - start);
            }
            if t <= end {
                break;
            }
            start = end;
        }
        h
    }

    /// The day of the last mortality point (the hazard is constant after it).
    pub fn last_day(&self) -> f64 {
        *self.ends.last().expect("at least one point")
    }

    /// The hazard when it is one constant (exponential survival).
    pub fn constant(&self) -> Option<f64> {
        match self.rates[..] {
            [rate] if self.shape == 1.0 => Some(rate),
            _ => None,
        }
    }

    /// The time at which the cumulative hazard reaches `h` (the inverse of `cumulative`): a
    /// death time is `inverse(E / HR)` for a standard exponential E.
    pub fn inverse(&self, h: f64) -> f64 {
        if self.shape != 1.0 {
            let day = self.ends[0];
            return day * (h / (self.rates[0] * day)).powf(1.0 / self.shape);
        }
        let (mut start, mut below) = (0.0, 0.0);
        for (i, (&end, &rate)) in self.ends.iter().zip(&self.rates).enumerate() {
            let piece = rate * (end - start);
            if i + 1 == self.ends.len() || below + piece >= h {
                return start + (h - below) / rate;
            }
            below += piece;
            start = end;
        }
        unreachable!("at least one piece")
    }

    /// For a patient at risk at `from` with this hazard times `ratio` and a competing constant
    /// `censoring` hazard: the probabilities of dying, and of being censored first, before
    /// `to`. Exact over the constant pieces between the two times, and for a Weibull hazard
    /// without censoring; `None` for a Weibull hazard with censoring, which has no closed form
    /// (`stats::survival::competing` integrates it).
    pub fn competing_exact(
        &self,
        ratio: f64,
        censoring: f64,
        from: f64,
        to: f64,
    ) -> Option<(f64, f64)> {
        if self.shape != 1.0 {
            if censoring > 0.0 {
                return None;
            }
            let gone = ratio * (self.cumulative(to) - self.cumulative(from));
            return Some((-(-gone).exp_m1(), 0.0));
        }
        let (mut death, mut censored, mut alive) = (0.0, 0.0, 1.0);
        let mut t = from;
        for (i, (&end, &rate)) in self.ends.iter().zip(&self.rates).enumerate() {
            let last = i + 1 == self.ends.len();
            if end <= t && !last {
                continue;
            }
            let upto = if last { to } else { end.min(to) };
            let (h, width) = (rate * ratio, upto - t);
            let total = h + censoring;
            if width > 0.0 && total > 0.0 {
                // Leaves the risk set during the piece with probability 1 - exp(-total width),
                // by death with probability h / total.
                let gone = -(-total * width).exp_m1();
                death += alive * gone * h / total;
                censored += alive * gone * censoring / total;
                alive *= 1.0 - gone;
            }
            t = upto;
            if t >= to {
                break;
            }
        }
        Some((death, censored))
    }

    /// The days at which the hazard changes (the last piece's end too, beyond which it goes on).
    pub fn ends(&self) -> impl Iterator<Item = f64> + '_ {
        self.ends.iter().copied()
    }

    /// Probability of surviving beyond `t` days.
    pub fn survival(&self, t: f64) -> f64 {
        (-self.cumulative(t)).exp()
    }

    /// The hazard multiplied by `ratio` (a treatment's hazard ratio).
    pub fn scaled(&self, ratio: f64) -> PiecewiseHazard {
        PiecewiseHazard {
            ends: self.ends.clone(),
            rates: self.rates.iter().map(|r| r * ratio).collect(),
            shape: self.shape,
        }
    }

    /// Probability of dying during day `day` (from `day - 1` to `day`, days counted from 1)
    /// for a patient alive at its start.
    pub fn daily_death(&self, day: u32) -> f64 {
        let d = f64::from(day);
        -(-(self.cumulative(d) - self.cumulative(d - 1.0))).exp_m1()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hazard_passes_through_the_points_and_stays_constant_after() {
        let h = PiecewiseHazard::through(&[(7.0, 0.25), (28.0, 0.55), (90.0, 0.62)]).unwrap();
        for (t, f) in [(7.0, 0.25), (28.0, 0.55), (90.0, 0.62)] {
            assert!((1.0 - h.survival(t) - f).abs() < 1e-14, "day {t}");
        }
        // Within the first piece: exponential with rate -ln(0.75) / 7.
        let rate = -(0.75f64).ln() / 7.0;
        assert!((h.cumulative(3.5) - rate * 3.5).abs() < 1e-14);
        // Beyond the last point: the last piece's rate, ln(0.45 / 0.38) / 62 per day.
        let last = (0.45f64 / 0.38).ln() / 62.0;
        assert!((h.cumulative(100.0) - h.cumulative(90.0) - 10.0 * last).abs() < 1e-14);
        assert_eq!(h.cumulative(0.0), 0.0);
    }

    #[test]
    fn one_point_is_exponential_and_a_hazard_ratio_powers_survival() {
        let h = PiecewiseHazard::through(&[(28.0, 0.4)]).unwrap();
        let rate = -(0.6f64).ln() / 28.0;
        assert!((h.survival(10.0) - (-rate * 10.0).exp()).abs() < 1e-15);
        let treated = h.scaled(0.6);
        for t in [1.0, 14.0, 28.0, 60.0] {
            assert!((treated.survival(t) - h.survival(t).powf(0.6)).abs() < 1e-14);
        }
        // Daily probabilities multiply to the survival at the day.
        let alive: f64 = (1..=28).map(|d| 1.0 - h.daily_death(d)).product();
        assert!((alive - 0.6).abs() < 1e-13);
    }

    #[test]
    fn the_inverse_undoes_the_cumulative_hazard() {
        let h = PiecewiseHazard::through(&[(7.0, 0.25), (28.0, 0.55), (90.0, 0.62)]).unwrap();
        for t in [0.0, 0.5, 6.999, 7.0, 7.001, 27.0, 28.0, 60.0, 90.0, 400.0] {
            let back = h.inverse(h.cumulative(t));
            assert!((back - t).abs() < 1e-9 * (1.0 + t), "{t}: {back}");
        }
        assert_eq!(h.last_day(), 90.0);
    }

    /// Competing death and censoring within an interval, against a fine numerical integral of
    /// h(t) S(t) G(t) (death first) and g G(t) S(t) (censoring first).
    #[test]
    fn competing_risks_match_the_integral() {
        let h = PiecewiseHazard::through(&[(7.0, 0.25), (28.0, 0.55)]).unwrap();
        let (ratio, g) = (0.6, 0.01);
        for (from, to) in [(0.0, 1.0), (6.5, 7.5), (3.0, 40.0), (27.0, 28.0)] {
            let (d, c) = h.competing_exact(ratio, g, from, to).unwrap();
            // Bins of 1/20000 day: the kinks (days 7 and 28) fall on bin edges.
            let steps = ((to - from) * 20_000.0).round() as u32;
            let dt = (to - from) / f64::from(steps);
            let (mut di, mut ci) = (0.0, 0.0);
            let start = ratio * h.cumulative(from);
            for i in 0..steps {
                let t = from + (f64::from(i) + 0.5) * dt;
                let rate = ratio * (h.cumulative(t + 1e-7) - h.cumulative(t - 1e-7)) / 2e-7;
                let alive = (-(ratio * h.cumulative(t) - start) - g * (t - from)).exp();
                di += rate * alive * dt;
                ci += g * alive * dt;
            }
            assert!((d - di).abs() < 1e-7, "{from}-{to}: death {d} vs {di}");
            assert!((c - ci).abs() < 1e-7, "{from}-{to}: censored {c} vs {ci}");
        }
        // Without censoring: one minus the survival ratio.
        let (d, c) = h.competing_exact(1.0, 0.0, 2.0, 9.0).unwrap();
        assert!((d - (1.0 - h.survival(9.0) / h.survival(2.0))).abs() < 1e-15);
        assert_eq!(c, 0.0);
    }

    /// A Weibull hazard: through its point, H(t) = H(T) (t / T)^kappa, inverted, scaled, and
    /// competing exactly only without censoring.
    #[test]
    fn weibull_hazard_by_hand() {
        let h = PiecewiseHazard::weibull(28.0, 0.3, 1.5).unwrap();
        let at_28 = -(0.7f64).ln();
        assert!((h.cumulative(28.0) - at_28).abs() < 1e-15);
        assert!((h.cumulative(7.0) - at_28 * 0.125).abs() < 1e-15);
        assert!((h.cumulative(56.0) - at_28 * 8.0f64.sqrt()).abs() < 1e-14);
        assert_eq!(h.cumulative(0.0), 0.0);
        for t in [0.1, 3.0, 28.0, 200.0] {
            assert!((h.inverse(h.cumulative(t)) - t).abs() < 1e-12 * t);
        }
        assert_eq!(h.constant(), None);
        assert_eq!(h.weibull_shape(), Some(1.5));
        let treated = h.scaled(0.6);
        assert!((treated.survival(40.0) - h.survival(40.0).powf(0.6)).abs() < 1e-15);
        assert_eq!(treated.weibull_shape(), Some(1.5));
        let (d, c) = h.competing_exact(0.6, 0.0, 5.0, 30.0).unwrap();
        assert!((d - (1.0 - treated.survival(30.0) / treated.survival(5.0))).abs() < 1e-15);
        assert_eq!(c, 0.0);
        assert_eq!(h.competing_exact(0.6, 0.01, 5.0, 30.0), None);
        // Shape 1 is the exponential through the same point.
        let one = PiecewiseHazard::weibull(28.0, 0.3, 1.0).unwrap();
        assert_eq!(one, PiecewiseHazard::through(&[(28.0, 0.3)]).unwrap());
        assert_eq!(one.weibull_shape(), None);
        for shape in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(
                PiecewiseHazard::weibull(28.0, 0.3, shape).is_err(),
                "{shape}"
            );
        }
    }

    #[test]
    fn bad_points_are_refused() {
        for points in [
            &[][..],
            &[(0.0, 0.2)][..],
            &[(7.0, 1.0)][..],
            &[(7.0, 0.3), (5.0, 0.4)][..],
            &[(7.0, 0.3), (28.0, 0.3)][..],
            &[(7.0, f64::NAN)][..],
        ] {
            assert!(PiecewiseHazard::through(points).is_err(), "{points:?}");
        }
        // A mortality of 0 is refused as out of range, not as failing to increase.
        let err = PiecewiseHazard::through(&[(7.0, 0.0)]).unwrap_err();
        assert!(err.contains("mortality in (0, 1)"), "{err}");
    }
}
