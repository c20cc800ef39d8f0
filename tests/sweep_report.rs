//! `size`, `sweep` and `report` from the command line: outputs, reproducibility across thread
//! counts, and bad input (exit 2, nothing overwritten).

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::str::contains;

fn endotrial() -> Command {
    Command::cargo_bin("endotrial").unwrap()
}

fn immunosep() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/immunosep.toml")
}

#[test]
fn size_writes_candidates_and_reports_the_choice() {
    let dir = tempfile::tempdir().unwrap();
    endotrial()
        .args([
            "size",
            "--quiet",
            "--power",
            "0.8",
            "--replicates",
            "20000",
            "--out",
        ])
        .arg(dir.path())
        .arg(immunosep())
        .assert()
        .success()
        .stdout(contains("normal approximation: N = 218"))
        .stdout(contains("chosen: N = "))
        .stdout(contains("below:  N = "));
    let csv = fs::read_to_string(dir.path().join("immunosep/sample_size.csv")).unwrap();
    assert!(csv.starts_with("sample_size,power,power_se,power_ci_low,power_ci_high,analytic_power,mean_screened,p95_screened,chosen"));
    assert_eq!(csv.lines().filter(|l| l.contains(",true,")).count(), 1);
}

#[test]
fn size_bad_input_exits_2_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let existing = dir.path().join("immunosep/sample_size.csv");
    fs::create_dir_all(existing.parent().unwrap()).unwrap();
    fs::write(&existing, "previous\n").unwrap();
    for (args, message) in [
        (
            vec!["--power", "1.2"],
            "--power: expected a target power in (0, 1)",
        ),
        (vec!["--power", "0"], "--power"),
        (
            vec!["--power", "0.8", "--min", "300", "--max", "200"],
            "--min 300 is larger than --max 200",
        ),
        (
            vec!["--power", "0.8", "--arm", "nobody"],
            "--arm: unknown arm 'nobody'",
        ),
        (
            vec!["--power", "0.8", "--arm", "placebo"],
            "is the control arm",
        ),
        (
            vec!["--power", "0.99", "--max", "100"],
            "target power 0.99 not reached for N in [2, 100]: best power",
        ),
    ] {
        endotrial()
            .args(["size", "--quiet", "--replicates", "2000", "--out"])
            .arg(dir.path())
            .args(&args)
            .arg(immunosep())
            .assert()
            .code(2)
            .stderr(contains(message));
        assert_eq!(
            fs::read_to_string(&existing).unwrap(),
            "previous\n",
            "{args:?}"
        );
    }
}

#[test]
fn sweep_is_tidy_plots_and_is_identical_across_thread_counts() {
    let dir = tempfile::tempdir().unwrap();
    let mut outputs = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.path().join(threads);
        endotrial()
            .args([
                "sweep",
                "--quiet",
                "--replicates",
                "3000",
                "--threads",
                threads,
            ])
            .args(["--set", "endotype.mals.prevalence=0.05,0.10"])
            .args(["--set", "enrollment.sample_size=200:300:50"])
            .arg("--out")
            .arg(&out)
            .arg(immunosep())
            .assert()
            .success();
        outputs.push(fs::read(out.join("immunosep/sweep.csv")).unwrap());
    }
    assert_eq!(outputs[0], outputs[1]);
    let csv = String::from_utf8(outputs[0].clone()).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("endotype.mals.prevalence,enrollment.sample_size,scenario,arm,"));
    assert_eq!(lines.len(), 1 + 2 * 3);
    assert!(lines[1].starts_with("0.05,200,immunosep,personalised,placebo,"));
    assert!(
        lines[6].starts_with("0.10,300,immunosep,") || lines[6].starts_with("0.1,300,immunosep,")
    );
    let svg = fs::read_to_string(dir.path().join("1/immunosep/sweep.svg")).unwrap();
    assert!(
        svg.starts_with("<svg")
            && svg.contains("enrollment.sample_size = 250")
            && svg.contains("target power 0.8")
    );
}

#[test]
fn sweep_bad_keys_and_values_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for (set, message) in [
        ("enrollment.sample_sise=1,2", "--set enrollment.sample_sise"),
        ("enrollment.sample_size=many", "expected a number"),
        (
            "treatment.anakinra.by_endotype.mals=2",
            "treatment.anakinra.by_endotype.mals",
        ),
        (
            "endotype.nope.prevalence=0.1",
            "no [[endotype]] named 'nope'",
        ),
        ("enrollment.sample_size", "expected KEY=V1,V2"),
    ] {
        endotrial()
            .args([
                "sweep",
                "--quiet",
                "--replicates",
                "100",
                "--set",
                set,
                "--out",
            ])
            .arg(dir.path())
            .arg(immunosep())
            .assert()
            .code(2)
            .stderr(contains(message));
    }
    assert!(!dir.path().join("immunosep").exists());
}

#[test]
fn report_has_the_tables_the_curve_and_the_paragraph() {
    let dir = tempfile::tempdir().unwrap();
    endotrial()
        .args(["report", "--quiet", "--replicates", "20000", "--out"])
        .arg(dir.path())
        .arg(immunosep())
        .assert()
        .success();
    let out = dir.path().join("immunosep");
    let md = fs::read_to_string(out.join("report.md")).unwrap();
    for needle in [
        "## Design assumptions",
        "| mals | 0.074468085106383 | 0.174 | mals 1 |",
        "## Power at the stated sample size (N = 280)",
        "## Sample size for 80.0% power",
        "![Power against total sample size](report_power_curve.svg)",
        "## Screening burden",
        "patients randomised 1:1 (placebo : personalised)",
        "simulated trials (endotrial ",
        "using the Pearson chi-square test (without continuity correction) at two-sided alpha 0.05",
    ] {
        assert!(md.contains(needle), "report.md lacks: {needle}");
    }
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<table>") && html.contains("<img src=\"report_power_curve.svg\""));
    assert!(
        out.join("report_power_curve.svg").exists()
            && !out.join("sweep.svg").exists()
            && out.join("sample_size.csv").exists()
    );
    // A sweep into the same folder draws its own figure and leaves the report's alone.
    let curve = fs::read(out.join("report_power_curve.svg")).unwrap();
    endotrial()
        .args(["sweep", "--quiet", "--replicates", "500"])
        .args(["--set", "enrollment.dropout=0,0.2", "--out"])
        .arg(dir.path())
        .arg(immunosep())
        .assert()
        .success();
    assert!(out.join("sweep.svg").exists());
    assert_eq!(fs::read(out.join("report_power_curve.svg")).unwrap(), curve);
}

#[test]
fn report_states_the_budget_when_the_scenario_has_costs() {
    let dir = tempfile::tempdir().unwrap();
    let scenario =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/immunosep_biomarkers.toml");
    endotrial()
        .args(["report", "--quiet", "--replicates", "5000", "--out"])
        .arg(dir.path())
        .arg(scenario)
        .assert()
        .success();
    let md = fs::read_to_string(dir.path().join("immunosep_biomarkers/report.md")).unwrap();
    assert!(
        md.contains("## Budget")
            && md.contains("350 EUR per screened patient and 15000 EUR per randomised patient")
    );
}

#[test]
fn compare_puts_designs_side_by_side() {
    let dir = tempfile::tempdir().unwrap();
    let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    endotrial()
        .args(["compare", "--quiet", "--replicates", "4000", "--out"])
        .arg(dir.path())
        .arg(scenarios.join("design_enrichment.toml"))
        .arg(scenarios.join("design_all_comers.toml"))
        .assert()
        .success()
        .stdout(contains("N@target"));
    let stem = dir
        .path()
        .join("compare-design_enrichment-design_all_comers");
    let csv = fs::read_to_string(stem.with_extension("csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with(
        "design,arm,control,test,eligible_fraction,true_difference,sample_size,power,"
    ));
    assert_eq!(lines.len(), 3);
    assert!(lines[1].starts_with("design_enrichment,personalised,placebo,"));
    assert!(lines[2].starts_with("design_all_comers,ifn_gamma_all,placebo,"));
    assert!(csv.contains(",EUR,"));
    let svg = fs::read_to_string(stem.with_extension("svg")).unwrap();
    assert!(svg.contains("design_enrichment") && svg.contains("design_all_comers"));
    // One design is not a comparison; a target outside (0, 1) is refused.
    endotrial()
        .args(["compare"])
        .arg(scenarios.join("design_enrichment.toml"))
        .assert()
        .code(2);
    endotrial()
        .args(["compare", "--power", "1"])
        .arg(scenarios.join("design_enrichment.toml"))
        .arg(scenarios.join("design_all_comers.toml"))
        .assert()
        .code(2)
        .stderr(contains("--power"));
}

#[test]
fn prevalences_swept_together_are_the_values_simulated() {
    use endotrial::scenario::Scenario;
    use endotrial::sweep::{SetArg, grid};
    let base = Scenario::load(&immunosep()).unwrap();
    let sets: Vec<SetArg> = [
        "endotype.mals.prevalence=0.1,0.2",
        "endotype.immunoparalysis.prevalence=0.5",
    ]
    .iter()
    .map(|s| s.parse().unwrap())
    .collect();
    for point in grid(&base, &sets).unwrap() {
        let p: Vec<f64> = point
            .scenario
            .design
            .endotypes
            .iter()
            .map(|e| e.prevalence)
            .collect();
        let mals: f64 = point.values[0].parse().unwrap();
        assert!(
            (p[0] - mals).abs() < 1e-12 && (p[1] - 0.5).abs() < 1e-12,
            "{p:?}"
        );
        assert!((p[2] - (0.5 - mals)).abs() < 1e-12, "{p:?}");
    }
    // Values that cannot all hold are refused, through the command line too (exit 2).
    let dir = tempfile::tempdir().unwrap();
    endotrial()
        .args(["sweep", "--quiet", "--replicates", "100"])
        .args(["--set", "endotype.mals.prevalence=0.6"])
        .args(["--set", "endotype.immunoparalysis.prevalence=0.5"])
        .arg("--out")
        .arg(dir.path())
        .arg(immunosep())
        .assert()
        .code(2)
        .stderr(contains("cannot all hold"));
}
