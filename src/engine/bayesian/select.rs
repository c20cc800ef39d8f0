//! How a Bayesian trial ended and which arm it recommends: adaptr 1.4.0's
//! `extract_results_batch` (R/extract_results.R) with its selection strategies.

use crate::model::bayesian::{BayesianPlan, SelectStrategy};

/// An arm's final status (adaptr's `final_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArmStatus {
    Active,
    Control,
    Superior,
    Inferior,
    Equivalence,
    Futile,
}

impl ArmStatus {
    pub const ALL: [ArmStatus; 6] = [
        ArmStatus::Active,
        ArmStatus::Control,
        ArmStatus::Superior,
        ArmStatus::Inferior,
        ArmStatus::Equivalence,
        ArmStatus::Futile,
    ];

    pub fn index(self) -> usize {
        ArmStatus::ALL
            .iter()
            .position(|&s| s == self)
            .expect("listed")
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ArmStatus::Active => "active",
            ArmStatus::Control => "control",
            ArmStatus::Superior => "superior",
            ArmStatus::Inferior => "inferior",
            ArmStatus::Equivalence => "equivalence",
            ArmStatus::Futile => "futile",
        }
    }
}

/// How a trial ended (adaptr's trial `final_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Superiority,
    Equivalence,
    Futility,
    Max,
}

impl Ending {
    pub const ALL: [Ending; 4] = [
        Ending::Superiority,
        Ending::Equivalence,
        Ending::Futility,
        Ending::Max,
    ];

    pub fn index(self) -> usize {
        Ending::ALL.iter().position(|&e| e == self).expect("listed")
    }
}

/// A finished adaptation (the trial's, or one label's with `by_label`): how and at which
/// analysis (0-based) it ended, with how many patients it had randomised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrialEnd {
    pub ending: Ending,
    pub look: usize,
    pub randomised: u64,
}

/// The arm the trial recommends, if any: the superior arm, or by `plan.select` among the arms
/// neither inferior nor futile (after an equivalence stop: those found equivalent at the last
/// analysis and the control; otherwise: not dropped for equivalence).
pub fn selected_arm(
    plan: &BayesianPlan,
    status: &[ArmStatus],
    status_look: &[Option<usize>],
    probs_best_last: &[Option<f64>],
    end: &TrialEnd,
) -> Option<usize> {
    if end.ending == Ending::Superiority {
        return status.iter().position(|&s| s == ArmStatus::Superior);
    }
    let candidate = |a: usize| {
        let s = status[a];
        if matches!(s, ArmStatus::Inferior | ArmStatus::Futile) {
            return false;
        }
        match end.ending {
            Ending::Equivalence => {
                matches!(s, ArmStatus::Equivalence | ArmStatus::Control)
                    && status_look[a] == Some(end.look)
            }
            _ => s != ArmStatus::Equivalence,
        }
    };
    let arms = 0..status.len();
    let candidates = || arms.clone().filter(|&a| candidate(a));
    let with_status = |wanted: ArmStatus| candidates().find(|&a| status[a] == wanted);
    // R's which.max over the candidates' last P(best): the first largest, NA skipped.
    let best = || {
        candidates()
            .filter_map(|a| probs_best_last[a].map(|p| (a, p)))
            .fold(None, |acc: Option<(usize, f64)>, (a, p)| match acc {
                Some((_, q)) if q >= p => acc,
                _ => Some((a, p)),
            })
            .map(|(a, _)| a)
    };
    let control_available = || plan.control.filter(|&c| candidate(c));
    let remaining = candidates()
        .filter(|&a| matches!(status[a], ArmStatus::Control | ArmStatus::Active))
        .count();
    if plan.select_last_arm && remaining == 1 {
        return with_status(ArmStatus::Control);
    }
    match plan.select {
        SelectStrategy::None | SelectStrategy::ControlIfAvailable => None,
        SelectStrategy::Control => control_available(),
        SelectStrategy::FinalControl => with_status(ArmStatus::Control),
        SelectStrategy::ControlOrBest => control_available().or_else(best),
        SelectStrategy::Best => best(),
        SelectStrategy::List | SelectStrategy::ListOrBest => {
            let listed = plan
                .select_preferences
                .iter()
                .copied()
                .find(|&a| candidate(a));
            match (listed, plan.select) {
                (None, SelectStrategy::ListOrBest) => best(),
                (l, _) => l,
            }
        }
    }
}
