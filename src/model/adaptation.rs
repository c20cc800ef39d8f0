//! The validated `[adaptation]` table: adaptive enrichment at an interim look (which
//! populations continue, and how the intersection hypotheses of the closed test are tested),
//! and how the eligible labels are recruited (`enrollment.label_counts`).

use crate::model::raw::{InvalidKey, RawAdaptation, RawScenario, RawSequential};
use crate::model::vocabulary::{
    EndpointKind, FutilityFamily, Intersection, LabelCounts, SelectionRule, Sidedness, TestKind,
};

/// Most hypotheses (populations) an adaptive design selects among.
pub const MAX_HYPOTHESES: usize = 8;

/// Which populations continue after the interim, on their observed effects (risk difference in
/// the direction of benefit, cumulative to the interim) or stage-wise z.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Selection {
    /// The population with the largest observed effect.
    Best,
    /// The r populations with the largest observed effects (fewer when the others have none).
    RBest(usize),
    /// Every population whose observed effect is within epsilon of the largest.
    Epsilon(f64),
    /// Every population whose z exceeds the threshold (none: the trial stops for futility).
    Threshold(f64),
    All,
}

/// A validated adaptive-enrichment plan.
#[derive(Debug, Clone, PartialEq)]
pub struct AdaptationPlan {
    /// The look (0-based) after which only the selected populations are recruited and tested.
    pub at_look: usize,
    pub selection: Selection,
    pub intersection: Intersection,
    pub label_counts: LabelCounts,
}

impl AdaptationPlan {
    /// The closed-testing procedure's name in hypotheses.csv.
    pub fn procedure(&self) -> &'static str {
        match self.intersection {
            Intersection::Simes => "closed_simes",
            Intersection::Bonferroni => "closed_bonferroni",
            Intersection::Sidak => "closed_sidak",
            Intersection::SpiessensDebois => "closed_spiessens_debois",
        }
    }
}

/// Validates `[adaptation]` (with `enrollment.label_counts`) against the rest of the scenario.
pub fn plan(raw: &RawScenario) -> Result<Option<AdaptationPlan>, InvalidKey> {
    let label_counts = raw.enrollment.label_counts;
    let Some(a) = &raw.adaptation else {
        if label_counts.is_some() {
            return Err(InvalidKey::new(
                "enrollment.label_counts",
                "is used with [adaptation] (adaptive enrichment); remove it",
            ));
        }
        return Ok(None);
    };
    let Some(seq) = &raw.sequential else {
        return Err(InvalidKey::new(
            "adaptation",
            "selects populations at an interim look: add [sequential] with its looks and efficacy boundaries",
        ));
    };
    let looks = seq.looks.len();
    if !(1..looks).contains(&a.at_look) {
        return Err(InvalidKey::new(
            "adaptation.at_look",
            format!(
                "expected an interim look, 1 to {} of the {looks} looks of [sequential], found {}",
                looks.saturating_sub(1),
                a.at_look
            ),
        ));
    }
    let hypotheses = raw.analysis().hypotheses.as_ref().map_or(0, Vec::len);
    let selection = selection(a, hypotheses)?;
    covered(raw, seq)?;
    Ok(Some(AdaptationPlan {
        at_look: a.at_look - 1,
        selection,
        intersection: a.intersection,
        label_counts: label_counts.unwrap_or_default(),
    }))
}

/// The selection rule, with the one parameter it needs and none it does not, for a design
/// with `hypotheses` populations.
fn selection(a: &RawAdaptation, hypotheses: usize) -> Result<Selection, InvalidKey> {
    let selection = match a.selection {
        SelectionRule::Best => Selection::Best,
        SelectionRule::All => Selection::All,
        SelectionRule::Rbest => match a.rbest {
            Some(r) if (1..=hypotheses).contains(&r) => Selection::RBest(r),
            Some(r) => {
                return Err(InvalidKey::new(
                    "adaptation.rbest",
                    format!(
                        "expected how many populations to keep, 1 to the {hypotheses} of analysis.hypotheses, found {r}"
                    ),
                ));
            }
            None => {
                return Err(InvalidKey::new(
                    "adaptation.rbest",
                    "selection = \"rbest\" needs rbest: keep that many populations, those with the best observed effects",
                ));
            }
        },
        SelectionRule::Epsilon => match a.epsilon {
            Some(e) if e.is_finite() && (0.0..=1.0).contains(&e) => Selection::Epsilon(e),
            Some(e) => {
                return Err(InvalidKey::new(
                    "adaptation.epsilon",
                    format!("expected a risk difference in [0, 1], found {e}"),
                ));
            }
            None => {
                return Err(InvalidKey::new(
                    "adaptation.epsilon",
                    "selection = \"epsilon\" needs epsilon: keep the populations within epsilon (a risk difference) of the best observed effect",
                ));
            }
        },
        SelectionRule::Threshold => match a.threshold {
            Some(t) if t.is_finite() && t.abs() <= 8.0 => Selection::Threshold(t),
            Some(t) => {
                return Err(InvalidKey::new(
                    "adaptation.threshold",
                    format!("expected a z value in [-8, 8], found {t}"),
                ));
            }
            None => {
                return Err(InvalidKey::new(
                    "adaptation.threshold",
                    "selection = \"threshold\" needs threshold: keep the populations whose stage-wise z exceeds it",
                ));
            }
        },
    };
    let unused = |key: &str, rule: &str| {
        Err(InvalidKey::new(
            format!("adaptation.{key}"),
            format!("is only used with selection = \"{rule}\"; remove it"),
        ))
    };
    if a.epsilon.is_some() && a.selection != SelectionRule::Epsilon {
        return unused("epsilon", "epsilon");
    }
    if a.threshold.is_some() && a.selection != SelectionRule::Threshold {
        return unused("threshold", "threshold");
    }
    if a.rbest.is_some() && a.selection != SelectionRule::Rbest {
        return unused("rbest", "rbest");
    }
    Ok(selection)
}

/// What this first version of adaptive enrichment covers (rpact's enrichment simulation: two
/// arms, one-sided, efficacy bounds, a binary endpoint).
fn covered(raw: &RawScenario, seq: &RawSequential) -> Result<(), InvalidKey> {
    let refuse = |key: &str, why: &str| Err(InvalidKey::new(key, why.to_string()));
    if raw.endpoint.kind == EndpointKind::TimeToEvent {
        return refuse(
            "adaptation",
            "adaptive enrichment is for a binary endpoint (time-to-event enrichment is not yet available)",
        );
    }
    if raw.arm.len() != 2 {
        return refuse(
            "adaptation",
            "adaptive enrichment compares two arms (one treatment with control)",
        );
    }
    if raw.analysis().alternative != Sidedness::OneSided {
        return refuse(
            "analysis.alternative",
            "adaptive enrichment tests for a benefit: expected \"one_sided\"",
        );
    }
    if !matches!(raw.analysis().test, TestKind::ChiSquare | TestKind::Cmh) {
        return refuse(
            "analysis.test",
            "adaptive enrichment combines stage-wise z statistics: expected chi_square (pooled z) or cmh (stratified z)",
        );
    }
    let hypotheses = raw.analysis().hypotheses.as_deref().unwrap_or_default();
    if hypotheses.is_empty() {
        return refuse(
            "analysis.hypotheses",
            "adaptive enrichment selects among populations: list them, e.g. hypotheses = [\"overall\", \"mals\"]",
        );
    }
    // A population listed twice is refused with the other hypotheses' checks (design/validate.rs).
    if hypotheses.len() > MAX_HYPOTHESES {
        return Err(InvalidKey::new(
            "analysis.hypotheses",
            format!(
                "with [adaptation] expected at most {MAX_HYPOTHESES} populations (the closed test has 2^H - 1 intersections), found {hypotheses:?}"
            ),
        ));
    }
    let nested = hypotheses.len() == 2 && hypotheses.iter().any(|h| h == "overall");
    if raw.adaptation.as_ref().map(|a| a.intersection) == Some(Intersection::SpiessensDebois)
        && !nested
    {
        return Err(InvalidKey::new(
            "adaptation.intersection",
            format!(
                "spiessens_debois tests one population within another: expected hypotheses = [\"overall\", <one label>], found {hypotheses:?}"
            ),
        ));
    }
    if raw.analysis().multiplicity.is_some() {
        return refuse(
            "analysis.multiplicity",
            "with [adaptation] the hypotheses are tested by closed testing (adaptation.intersection); remove multiplicity",
        );
    }
    if seq.futility != FutilityFamily::None {
        return refuse(
            "sequential.futility",
            "futility bounds are not yet available with [adaptation] (selection = \"threshold\" stops for futility when no population is kept)",
        );
    }
    if raw.enrollment.accrual_per_month.is_some() {
        return refuse(
            "enrollment.accrual_per_month",
            "the pipeline of patients randomised while the interim is analysed is not yet modelled with [adaptation]",
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shipped enrichment scenario's plan with `n` populations (the names are not looked
    /// up here: design/validate.rs checks them).
    fn plan_with(n: usize) -> Result<Option<AdaptationPlan>, InvalidKey> {
        let text = include_str!("../../scenarios/immunosep_enrichment.toml");
        let names: Vec<String> = (0..n).map(|i| format!("\"p{i}\"")).collect();
        let from = "hypotheses = [\"overall\", \"mals\", \"immunoparalysis\"]";
        assert!(text.contains(from));
        let text = text.replacen(from, &format!("hypotheses = [{}]", names.join(", ")), 1);
        plan(&toml::from_str::<RawScenario>(&text).unwrap())
    }

    /// At most 8 populations (255 intersections in the closed test), 8 included.
    #[test]
    fn eight_populations_at_most() {
        assert!(plan_with(8).is_ok());
        let e = plan_with(9).expect_err("9 populations refused");
        assert_eq!(e.key, "analysis.hypotheses");
    }
}
