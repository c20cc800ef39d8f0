//! `report` of a Bayesian design: its figures are the run's (same seed, same trials), its type
//! I error is the share of the global null's trials that declare an arm superior, and it says
//! what it cannot do.

use endotrial::engine::simulate;

use crate::bayesian_by_label::TWO_LABEL_TOML;
use crate::common::{cli, design};

fn scenario() -> String {
    format!("name = \"two\"\n[simulation]\nreplicates = 3000\nseed = 8\n{TWO_LABEL_TOML}")
}

/// summary.csv's p_superior of (label, arm).
fn p_superior(csv: &str, label: &str, arm: &str) -> f64 {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    lines
        .map(|l| l.split(',').collect::<Vec<&str>>())
        .find(|r| r[col("label")] == label && r[col("arm")] == arm)
        .map(|r| r[col("p_superior")].parse().unwrap())
        .unwrap()
}

#[test]
fn the_report_quotes_the_run_and_the_global_null() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("two.toml");
    std::fs::write(&path, scenario()).unwrap();
    let (run, report) = (dir.path().join("run"), dir.path().join("report"));
    for (command, out) in [("run", &run), ("report", &report)] {
        cli()
            .args([command, "--quiet", "--out"])
            .arg(out)
            .arg(&path)
            .assert()
            .success();
    }
    let summary = std::fs::read_to_string(run.join("two/summary.csv")).unwrap();
    let md = std::fs::read_to_string(report.join("two/report.md")).unwrap();
    let a = p_superior(&summary, "a", "drug");
    assert!(a > 0.1, "{a}");
    let sentence = format!(
        "the design declares drug superior to control in the a label in {:.1}% of trials",
        100.0 * a
    );
    assert!(md.contains(&sentence), "{sentence}\n{md}");
    // The null: the same trials with the drug given nowhere.
    let null = design(&scenario()).without_effects();
    let tally = simulate(&null, 0..null.replicates, &|_| {});
    let declared = tally.bayesian().unwrap().declared as f64 / 3000.0;
    assert!(declared > 0.01, "{declared}");
    let sentence = format!(
        "When no treatment works in any label, an arm is declared superior in some label in {:.1}% of trials",
        100.0 * declared
    );
    assert!(md.contains(&sentence), "{sentence}\n{md}");
    for section in [
        "## Operating characteristics",
        "## Allocation",
        "## Rules",
        "| decisions | Bayesian adaptive",
        "## Provenance",
    ] {
        assert!(md.contains(section), "{section}");
    }
    for file in ["report.html", "allocation.svg", "scenario.toml"] {
        assert!(report.join("two").join(file).exists(), "{file}");
    }
    let refused = cli()
        .args(["report", "--quiet", "--hypothesis", "a", "--out"])
        .arg(&report)
        .arg(&path)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&refused.get_output().stderr).to_string();
    assert!(
        stderr.contains("--hypothesis applies to a frequentist design"),
        "{stderr}"
    );
}
