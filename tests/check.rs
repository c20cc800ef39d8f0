//! The regression check: exact mode flags any moved field; Monte Carlo mode flags statistically
//! real changes only; bad input exits 2.

use std::fs;
use std::path::{Path, PathBuf};

use crate::common::cli;
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;

/// The shipped immunosep.toml with 20,000 replicates and seed `seed`.
fn immunosep(seed: &str) -> String {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/immunosep.toml");
    let text = fs::read_to_string(shipped).unwrap();
    assert!(text.contains("replicates = 100000\nseed = 2021\n"));
    text.replace(
        "replicates = 100000\nseed = 2021\n",
        &format!("replicates = 20000\nseed = {seed}\n"),
    )
}

/// A scenarios folder holding immunosep.toml (20,000 replicates, seed `seed`) and its committed
/// results.
fn setup(dir: &Path, seed: &str) -> (PathBuf, PathBuf) {
    let scenarios = dir.join("scenarios");
    fs::create_dir_all(&scenarios).unwrap();
    fs::write(scenarios.join("immunosep.toml"), immunosep(seed)).unwrap();
    let results = dir.join("results");
    cli()
        .args(["run", "--quiet", "--out"])
        .arg(&results)
        .arg(scenarios.join("immunosep.toml"))
        .assert()
        .success();
    (scenarios, results)
}

fn check(scenarios: &Path, results: &Path, mc: bool) -> assert_cmd::assert::Assert {
    let mut cmd = cli();
    cmd.args(["check", "--quiet"])
        .arg(scenarios)
        .arg("--against")
        .arg(results);
    if mc {
        cmd.args(["--tolerance", "mc"]);
    }
    cmd.assert()
}

#[test]
fn unchanged_results_pass_in_both_modes() {
    let dir = tempfile::tempdir().unwrap();
    let (scenarios, results) = setup(dir.path(), "8");
    check(&scenarios, &results, false)
        .code(0)
        .stdout(contains("immunosep: identical"));
    check(&scenarios, &results, true)
        .code(0)
        .stdout(contains("all 1 scenario(s) match"));
}

#[test]
fn other_random_numbers_fail_exact_mode_but_pass_monte_carlo_mode() {
    // Committed results from seed 9, relabelled as seed 8: what an engine that draws different
    // random numbers for the same design would produce.
    let dir = tempfile::tempdir().unwrap();
    let (scenarios, results) = setup(dir.path(), "9");
    let csv = results.join("immunosep/summary.csv");
    let text = fs::read_to_string(&csv)
        .unwrap()
        .replace(",20000,9,", ",20000,8,");
    fs::write(&csv, text).unwrap();
    fs::write(results.join("immunosep/scenario.toml"), immunosep("8")).unwrap();
    fs::write(scenarios.join("immunosep.toml"), immunosep("8")).unwrap();
    check(&scenarios, &results, false)
        .code(1)
        .stdout(contains("MOVED"))
        .stdout(contains("power"));
    check(&scenarios, &results, true).code(0);
}

#[test]
fn a_real_change_fails_both_modes() {
    let dir = tempfile::tempdir().unwrap();
    let (scenarios, results) = setup(dir.path(), "8");
    let file = scenarios.join("immunosep.toml");
    let text = fs::read_to_string(&file).unwrap().replace(
        "by_endotype = { immunoparalysis = 0.32 }",
        "by_endotype = { immunoparalysis = 0.29 }",
    );
    fs::write(&file, text).unwrap();
    check(&scenarios, &results, false).code(1);
    check(&scenarios, &results, true)
        .code(1)
        .stdout(contains("true_risk_arm"))
        .stdout(contains("power"));
}

#[test]
fn missing_committed_results_are_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let (scenarios, _) = setup(dir.path(), "8");
    check(&scenarios, &dir.path().join("elsewhere"), false)
        .code(2)
        .stderr(contains("no committed results for scenario 'immunosep'"));
}

#[test]
fn every_result_file_is_compared() {
    // design_stratified lists three hypotheses under Holm: changing only the procedure moves
    // hypotheses.csv and nothing in summary.csv.
    let dir = tempfile::tempdir().unwrap();
    let scenarios = dir.path().join("scenarios");
    fs::create_dir_all(&scenarios).unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/design_stratified.toml");
    let file = scenarios.join("design_stratified.toml");
    let text = fs::read_to_string(&shipped)
        .unwrap()
        .replace("replicates = 100000", "replicates = 20000");
    fs::write(&file, &text).unwrap();
    let results = dir.path().join("results");
    let commit_results = || {
        cli()
            .args(["run", "--quiet", "--out"])
            .arg(&results)
            .arg(&file)
            .assert()
            .success();
    };
    commit_results();
    check(&scenarios, &results, false).code(0);
    assert!(text.contains("multiplicity = \"holm\""));
    fs::write(
        &file,
        text.replace("multiplicity = \"holm\"", "multiplicity = \"none\""),
    )
    .unwrap();
    for mc in [false, true] {
        check(&scenarios, &results, mc)
            .code(1)
            .stdout(contains("hypotheses.csv:procedure"));
    }
    check(&scenarios, &results, false).stdout(contains("hypotheses.csv:power"));
    // A subgroup-only change: the interaction test's level cannot be edited, but deleting the
    // committed subgroups.csv is a moved file.
    fs::write(&file, &text).unwrap();
    fs::remove_file(results.join("design_stratified/subgroups.csv")).unwrap();
    check(&scenarios, &results, false)
        .code(1)
        .stdout(contains("subgroups.csv:(file)"));
    // Without hypotheses the committed hypotheses.csv is a moved file too.
    commit_results();
    let without: String = text
        .lines()
        .filter(|l| !l.starts_with("hypotheses") && !l.starts_with("multiplicity"))
        .collect::<Vec<_>>()
        .join("\n");
    fs::write(&file, without).unwrap();
    check(&scenarios, &results, false)
        .code(1)
        .stdout(contains("hypotheses.csv:(file)"));
}

/// A committed value that cannot be read fails in both modes, named by file, row and column
/// (before issue 29, `--tolerance mc` skipped it and passed).
#[test]
fn an_unreadable_committed_value_fails_both_modes() {
    let dir = tempfile::tempdir().unwrap();
    let (scenarios, results) = setup(dir.path(), "8");
    let csv = results.join("immunosep/summary.csv");
    let good = fs::read_to_string(&csv).unwrap();
    let header: Vec<&str> = good.lines().next().unwrap().split(',').collect();
    let power = header.iter().position(|&c| c == "power").unwrap();
    for broken in ["nan", "", "abc"] {
        let mut lines: Vec<String> = good.lines().map(str::to_string).collect();
        let mut fields: Vec<&str> = lines[1].split(',').collect();
        fields[power] = broken;
        lines[1] = fields.join(",");
        fs::write(&csv, lines.join("\n") + "\n").unwrap();
        for mc in [false, true] {
            check(&scenarios, &results, mc)
                .code(1)
                .stdout(contains("summary.csv:power"))
                .stdout(contains("personalised"));
        }
    }
}

/// The scenario asks for another seed or number of trials than the committed results hold:
/// exact mode says which keys differ and fails without running; Monte Carlo mode says so and
/// compares the scenario's own trials. Before issue 29 both re-ran with the committed settings
/// and exact mode printed "identical".
#[test]
fn settings_that_differ_from_the_committed_run_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let (scenarios, results) = setup(dir.path(), "8");
    fs::write(scenarios.join("immunosep.toml"), immunosep("9")).unwrap();
    check(&scenarios, &results, false)
        .code(1)
        .stdout(contains("SETTINGS DIFFER"))
        .stdout(contains("simulation.seed 9 in the scenario, 8 committed"))
        .stdout(contains("identical").not());
    check(&scenarios, &results, true)
        .code(0)
        .stdout(contains("note: simulation.seed is 9 in the scenario, 8 in"));
}

/// Committed metadata is read before anything runs: replicates edited to 99999999999 in
/// summary.csv no longer match the committed scenario.toml (bad input, exit 2, at once; before
/// issue 29 `check` began 10^11 trials), and with both edited exact mode refuses to compare
/// without simulating.
#[test]
fn corrupted_committed_replicates_cannot_hang_check() {
    let dir = tempfile::tempdir().unwrap();
    let (scenarios, results) = setup(dir.path(), "8");
    let csv = results.join("immunosep/summary.csv");
    let text = fs::read_to_string(&csv)
        .unwrap()
        .replace(",20000,8,", ",99999999999,8,");
    fs::write(&csv, &text).unwrap();
    let started = std::time::Instant::now();
    check(&scenarios, &results, false)
        .code(2)
        .stderr(contains("summary.csv has replicates 99999999999"));
    let copy = results.join("immunosep/scenario.toml");
    fs::write(
        &copy,
        immunosep("8").replace("replicates = 20000", "replicates = 99999999999"),
    )
    .unwrap();
    check(&scenarios, &results, false).code(1).stdout(contains(
        "simulation.replicates 20000 in the scenario, 99999999999 committed",
    ));
    // No simulation ran: well under what 20,000 trials of one re-run would take in a debug
    // build; 10^11 trials would take hours.
    assert!(started.elapsed().as_secs() < 60);
    // Not a whole number, or zero.
    for bad in ["abc", "0"] {
        fs::write(&csv, text.replace(",99999999999,8,", &format!(",{bad},8,"))).unwrap();
        check(&scenarios, &results, true).code(2).stderr(contains(
            "column `replicates` missing or not a whole number >= 1",
        ));
    }
}

/// A Bayesian design in Monte Carlo mode: another seed's results pass (its arm shares and
/// adaptr's metrics are compared on their Monte Carlo SEs), a real change fails by column.
#[test]
fn a_bayesian_design_is_compared_on_its_monte_carlo_errors() {
    let dir = tempfile::tempdir().unwrap();
    let scenarios = dir.path().join("scenarios");
    fs::create_dir_all(&scenarios).unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/immunosep_platform.toml");
    let text = fs::read_to_string(shipped)
        .unwrap()
        .replace("replicates = 20000", "replicates = 4000");
    let file = scenarios.join("immunosep_platform.toml");
    let results = dir.path().join("results");
    let run = |seed: &str| {
        fs::write(
            &file,
            text.replace("seed = 2021", &format!("seed = {seed}")),
        )
        .unwrap();
        cli()
            .args(["run", "--quiet", "--out"])
            .arg(&results)
            .arg(&file)
            .assert()
            .success();
    };
    // Committed from seed 9, relabelled as seed 8.
    run("9");
    let folder = results.join("immunosep_platform");
    let summary = fs::read_to_string(folder.join("summary.csv"))
        .unwrap()
        .replace(",4000,9,", ",4000,8,");
    fs::write(folder.join("summary.csv"), summary).unwrap();
    fs::write(&file, text.replace("seed = 2021", "seed = 8")).unwrap();
    fs::write(
        folder.join("scenario.toml"),
        text.replace("seed = 2021", "seed = 8"),
    )
    .unwrap();
    check(&scenarios, &results, false).code(1);
    check(&scenarios, &results, true)
        .code(0)
        .stdout(contains("Monte Carlo comparisons"));
    // Interferon-gamma weaker in immunoparalysis: fewer trials find it superior.
    fs::write(
        &file,
        text.replace("seed = 2021", "seed = 8")
            .replace("immunoparalysis = 0.32", "immunoparalysis = 0.26"),
    )
    .unwrap();
    check(&scenarios, &results, true)
        .code(1)
        .stdout(contains("p_superior").and(contains("true_risk")));
}
