//! The keys that belong to one kind of endpoint only (`[endpoint] kind`): a scenario with a key
//! of another kind is refused, naming the first such key, so that it never runs with a key that
//! does nothing; and the test must analyse the endpoint's kind.

use crate::model::raw::{InvalidKey, RawScenario};
use crate::model::vocabulary::EndpointKind;

use EndpointKind::{Binary, Continuous, Ordinal, TimeToEvent};

/// The first key of `raw` that belongs to another kind of endpoint than its own, and then a
/// test that does not fit it, as an error. Keys are checked in the order of the scenario's
/// tables within each kind's list.
pub fn check(raw: &RawScenario) -> Result<(), InvalidKey> {
    let kind = raw.endpoint.kind;
    if let Some((key, owner)) = misplaced(raw).into_iter().find(|(_, o)| !o.contains(&kind)) {
        return Err(InvalidKey::new(key, message(kind, owner)));
    }
    let Some(analysis) = &raw.analysis else {
        // A Bayesian design has no test (its validation checks its endpoint).
        return Ok(());
    };
    let test = analysis.test;
    if !test.fits(kind) {
        let expected = match kind {
            // Kept as before continuous endpoints existed.
            Binary => format!(
                "{} for a binary endpoint (logrank needs endpoint.kind = \"time_to_event\")",
                kind.tests()
            ),
            TimeToEvent => format!("{} for a time-to-event endpoint", kind.tests()),
            Continuous | Ordinal => format!(
                "{} for a{} {} endpoint (endpoint.kind = \"{}\")",
                kind.tests(),
                if kind == Ordinal { "n" } else { "" },
                kind.as_str(),
                kind.as_str()
            ),
        };
        return Err(InvalidKey::new(
            "analysis.test",
            format!("expected {expected}, found {}", test.as_str()),
        ));
    }
    Ok(())
}

/// The kind-specific keys present in `raw`, each with the kinds it belongs to, in the order
/// they are checked: a time-to-event scenario's binary keys first (as before continuous
/// endpoints), then a binary scenario's time-to-event keys, then every other.
fn misplaced(raw: &RawScenario) -> Vec<(String, &'static [EndpointKind])> {
    let e = &raw.endpoint;
    let mut keys: Vec<(String, &'static [EndpointKind])> = Vec::new();
    let mut add = |present: bool, key: String, owner: &'static [EndpointKind]| {
        if present {
            keys.push((key, owner));
        }
    };
    let effect_owner = |t: &crate::model::raw::RawTreatment| -> &'static [EndpointKind] {
        match t.effect.endpoint() {
            Binary => &[Binary],
            TimeToEvent => &[TimeToEvent],
            Continuous => &[Continuous],
            Ordinal => &[Ordinal],
        }
    };
    // The order of the binary and time-to-event checks is theirs from before: a time-to-event
    // scenario's binary keys, then a binary scenario's time-to-event keys.
    if raw.endpoint.kind == TimeToEvent {
        add(
            e.assessment_day.is_some(),
            "endpoint.assessment_day".into(),
            &[Binary, Continuous, Ordinal],
        );
        for en in &raw.endotype {
            let key = format!("endotype.{}.control_risk", en.name);
            add(en.control_risk.is_some(), key, &[Binary]);
        }
        for t in &raw.treatment {
            let key = format!("treatment.{}.effect", t.name);
            add(true, key, effect_owner(t));
        }
    }
    add(
        e.follow_up_days.is_some(),
        "endpoint.follow_up_days".into(),
        &[TimeToEvent],
    );
    add(
        e.analysis_events.is_some(),
        "endpoint.analysis_events".into(),
        &[TimeToEvent],
    );
    add(
        e.time_resolution.is_some(),
        "endpoint.time_resolution".into(),
        &[TimeToEvent],
    );
    add(
        e.weibull_shape.is_some(),
        "endpoint.weibull_shape".into(),
        &[TimeToEvent],
    );
    add(
        raw.enrollment.accrual_days.is_some(),
        "enrollment.accrual_days".into(),
        &[TimeToEvent],
    );
    add(
        raw.enrollment.accrual_intensity.is_some(),
        "enrollment.accrual_intensity".into(),
        &[TimeToEvent],
    );
    for a in &raw.arm {
        let key = format!("arm.{}.dropout", a.name);
        add(a.dropout.is_some(), key, &[TimeToEvent]);
    }
    for en in &raw.endotype {
        let key = format!("endotype.{}.control_mortality", en.name);
        add(en.control_mortality.is_some(), key, &[TimeToEvent]);
    }
    for t in &raw.treatment {
        let key = format!("treatment.{}.effect", t.name);
        add(true, key, effect_owner(t));
    }
    add(
        e.event.is_some(),
        "endpoint.event".into(),
        &[Binary, TimeToEvent],
    );
    add(
        e.outcome.is_some(),
        "endpoint.outcome".into(),
        &[Continuous, Ordinal],
    );
    add(e.levels.is_some(), "endpoint.levels".into(), &[Ordinal]);
    add(
        e.responder_below.is_some(),
        "endpoint.responder_below".into(),
        &[Continuous],
    );
    for en in &raw.endotype {
        add(
            en.control_risk.is_some(),
            format!("endotype.{}.control_risk", en.name),
            &[Binary],
        );
        add(
            en.control_mean.is_some(),
            format!("endotype.{}.control_mean", en.name),
            &[Continuous],
        );
        add(
            en.sd.is_some(),
            format!("endotype.{}.sd", en.name),
            &[Continuous],
        );
        add(
            en.control_distribution.is_some(),
            format!("endotype.{}.control_distribution", en.name),
            &[Ordinal],
        );
    }
    keys
}

/// Why a key of `owner`'s kinds cannot be in a scenario of `kind`, and what to write instead.
fn message(kind: EndpointKind, owner: &[EndpointKind]) -> String {
    // The kind a key belongs to, with its article ("a binary"); a key of several kinds is
    // named by the first that is not the scenario's.
    let belongs = match owner.iter().find(|o| **o != kind) {
        Some(TimeToEvent) => "a time-to-event",
        Some(Continuous) => "a continuous",
        Some(Ordinal) => "an ordinal",
        Some(Binary) | None => "a binary",
    };
    match kind {
        // The two messages from before continuous endpoints, for the keys they covered.
        TimeToEvent if owner.contains(&Binary) => "belongs to a binary endpoint; with endpoint.kind = \"time_to_event\" use control_mortality (endotypes), effect = \"hazard_ratio\" (treatments), follow_up_days / analysis_events (endpoint)".into(),
        Binary if owner == [TimeToEvent] => "belongs to a time-to-event endpoint; add endpoint.kind = \"time_to_event\" or remove it".into(),
        Binary | TimeToEvent => {
            let other = owner.iter().find(|o| **o != kind).unwrap_or(&Continuous);
            format!(
                "belongs to {belongs} endpoint; add endpoint.kind = \"{}\" or remove it",
                other.as_str()
            )
        }
        Continuous => format!(
            "belongs to {belongs} endpoint; with endpoint.kind = \"continuous\" use outcome (endpoint), control_mean and sd (endotypes), effect = \"mean_difference\" or \"mean\" (treatments)"
        ),
        Ordinal => format!(
            "belongs to {belongs} endpoint; with endpoint.kind = \"ordinal\" use outcome and levels (endpoint), control_distribution (endotypes), effect = \"common_odds_ratio\" (treatments)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use crate::model::scenario::{Scenario, ScenarioError};
    use std::path::Path;

    fn invalid(text: String) -> (String, String) {
        match Scenario::from_text(Path::new("s.toml"), text) {
            Err(ScenarioError::Invalid { key, message, .. }) => (key, message),
            other => panic!("expected an invalid key, got {other:?}"),
        }
    }

    /// Each kind refuses the keys of the others, naming the key and the kind it belongs to.
    #[test]
    fn each_kind_refuses_the_keys_of_the_others() {
        let binary = include_str!("../../scenarios/immunosep.toml");
        let (key, message) =
            invalid(binary.replacen("better = ", "responder_below = 1.0\nbetter = ", 1));
        assert_eq!(key, "endpoint.responder_below");
        assert!(message.contains("continuous endpoint"), "{message}");
        let continuous = include_str!("../../scenarios/immunosep_sofa.toml");
        let (key, message) =
            invalid(continuous.replacen("outcome = ", "event = \"x\"\noutcome = ", 1));
        assert_eq!(key, "endpoint.event");
        assert!(message.contains("use outcome"), "{message}");
        let (key, message) = invalid(continuous.replacen(
            "effect = \"mean_difference\"",
            "effect = \"risk_ratio\"",
            1,
        ));
        assert!(key.ends_with(".effect"), "{key}");
        assert!(message.contains("binary endpoint"), "{message}");
        let (key, message) =
            invalid(continuous.replacen("test = \"t_test\"", "test = \"chi_square\"", 1));
        assert_eq!(key, "analysis.test");
        assert!(
            message.starts_with("expected t_test, welch, wilcoxon or ancova_labels"),
            "{message}"
        );
        let (key, message) =
            invalid(binary.replacen("test = \"chi_square\"", "test = \"welch\"", 1));
        assert_eq!(key, "analysis.test");
        assert!(message.contains("found welch"), "{message}");
    }
}
