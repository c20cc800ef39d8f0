//! `endotrial init` (starting scenarios) and `validate --keys` (what `sweep --set` accepts).

use std::fs;
use std::path::Path;

use crate::common::cli;
use endotrial::model::scenario::Scenario;
use endotrial::model::templates::Template;
use endotrial::tools::sweep::{SetArg, grid, sweepable_keys};
use predicates::prelude::*;
use predicates::str::contains;

#[test]
fn every_template_is_written_validates_and_runs_and_init_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    for (name, template) in [
        ("binary", Template::Binary),
        ("endotypes", Template::Endotypes),
        ("biomarker", Template::Biomarker),
        ("survival", Template::Survival),
        ("sequential", Template::Sequential),
        ("enrichment", Template::Enrichment),
    ] {
        let path = dir.path().join(format!("{name}.toml"));
        cli()
            .args(["init", "--template", name])
            .arg(&path)
            .assert()
            .success()
            .stdout(contains("endotrial validate"));
        // The commands in its comments name the file written (before issue 29: always
        // scenario.toml); nothing else changes.
        let written = fs::read_to_string(&path).unwrap();
        let shown = path.display().to_string();
        assert!(
            written.contains(&format!("#   endotrial validate {shown}")),
            "{name}"
        );
        assert!(!written.contains("scenario.toml"), "{name}");
        assert_eq!(written.replace(&shown, "scenario.toml"), template.text());
        assert_eq!(template.text_for("scenario.toml"), template.text());
        cli().arg("validate").arg(&path).assert().success();
        cli()
            .args(["run", "--quiet", "--replicates", "2000", "--out"])
            .arg(dir.path())
            .arg(&path)
            .assert()
            .success();
        // A second init to the same file is refused and leaves the (edited) file alone.
        fs::write(&path, "edited").unwrap();
        cli()
            .arg("init")
            .arg(&path)
            .assert()
            .code(2)
            .stderr(contains("already exists"));
        assert_eq!(fs::read_to_string(&path).unwrap(), "edited");
    }
    // The default is the binary template, written to scenario.toml.
    cli().arg("init").current_dir(dir.path()).assert().success();
    assert_eq!(
        fs::read_to_string(dir.path().join("scenario.toml")).unwrap(),
        Template::Binary.text()
    );
    assert_eq!(Template::ALL.len(), 6);
}

/// Every key listed can be set by `sweep --set` (to its own value: the point validates).
fn assert_listed_keys_are_settable(scenario: &Scenario) {
    let keys = sweepable_keys(&scenario.text).unwrap();
    assert!(keys.len() > 10, "{keys:?}");
    for (key, value) in keys {
        let raw = value.trim_end_matches(" (default)").trim_matches('"');
        let set = SetArg {
            key: key.clone(),
            values: vec![raw.to_string()],
        };
        let points = grid(scenario, &[set])
            .unwrap_or_else(|e| panic!("{}: --set {key}={raw}: {e}", scenario.path.display()));
        assert_eq!(points.len(), 1);
    }
}

#[test]
fn every_listed_key_of_every_shipped_scenario_and_template_is_sweepable() {
    let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut count = 0;
    for entry in fs::read_dir(scenarios).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            assert_listed_keys_are_settable(&Scenario::load(&path).unwrap());
            count += 1;
        }
    }
    assert!(count >= 20);
    let dir = tempfile::tempdir().unwrap();
    for t in Template::ALL {
        let path = dir.path().join("t.toml");
        fs::write(&path, t.text()).unwrap();
        assert_listed_keys_are_settable(&Scenario::load(&path).unwrap());
    }
}

#[test]
fn validate_keys_lists_values_and_defaults() {
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/wong_6s.toml");
    cli()
        .args(["validate", "--keys"])
        .arg(scenario)
        .assert()
        .success()
        .stdout(contains("  endotype.all.control_risk = 0.45\n"))
        .stdout(contains(
            "  treatment.intervention.by_endotype.all = -0.1\n",
        ))
        .stdout(contains("  analysis.alpha = 0.05\n"))
        .stdout(contains("  arm.intervention.ratio = 1\n"))
        .stdout(contains("endotype.all.name").not());
    // A defaulted key the file leaves out is listed with its default.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.toml");
    fs::write(&path, Template::Binary.text().replace("dropout = 0.05", "")).unwrap();
    cli()
        .args(["validate", "--keys"])
        .arg(&path)
        .assert()
        .success()
        .stdout(contains("  enrollment.dropout = 0.0 (default)\n"));
}
