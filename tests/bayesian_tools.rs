//! `report` and `size` of a Bayesian design. The report's figures are the run's (same seed,
//! same trials) and its type I error is the share of the global null's trials that declare an
//! arm superior; size's chosen maximum N is the smallest on its grid that reaches the target
//! among those evaluated, each candidate's probability exactly that of a run of the scenario
//! written by hand at that N (the same trials' streams). Both say what they cannot do.

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

/// sample_size.csv's rows: (max N, label, arm, probability, chosen).
fn size_rows(csv: &str) -> Vec<(u64, String, String, f64, bool)> {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    lines
        .map(|l| {
            let r: Vec<&str> = l.split(',').collect();
            (
                r[col("max_sample_size")].parse().unwrap(),
                r[col("label")].to_string(),
                r[col("arm")].to_string(),
                r[col("probability")].parse().unwrap(),
                r[col("chosen")] == "yes",
            )
        })
        .collect()
}

#[test]
fn size_finds_the_smallest_maximum_n_and_each_candidate_is_a_run_at_that_n() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("two.toml");
    let text =
        format!("name = \"two\"\n[simulation]\nreplicates = 2000\nseed = 8\n{TWO_LABEL_TOML}");
    std::fs::write(&path, &text).unwrap();
    let out = dir.path().join("size");
    let printed = crate::common::endotrial([
        "size".as_ref(),
        path.as_os_str(),
        "--power".as_ref(),
        "0.7".as_ref(),
        "--quiet".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert!(
        printed.contains("smallest maximum N with P(declared superior) >= 0.7 for drug (a)"),
        "{printed}"
    );
    let rows = size_rows(&std::fs::read_to_string(out.join("two/sample_size.csv")).unwrap());
    // The default target: the drug in label a (the only arm with a benefit, in one label).
    assert!(rows.iter().all(|r| r.1 == "a" && r.2 == "drug"), "{rows:?}");
    let chosen = rows.iter().find(|r| r.4).expect("a chosen N");
    assert!(chosen.3 >= 0.7);
    assert_eq!(chosen.0 % 50, 0, "on the grid of the analyses");
    let below = rows
        .iter()
        .filter(|r| r.0 < chosen.0)
        .max_by_key(|r| r.0)
        .expect("below");
    assert_eq!(below.0, chosen.0 - 50, "bracketed to one grid step");
    assert!(below.3 < 0.7);
    // Each candidate is the run of the scenario written at its N.
    for &(n, _, _, p, _) in [chosen, below] {
        let at_n = text.replace("sample_size = 400", &format!("sample_size = {n}"));
        let path = dir.path().join(format!("n{n}.toml"));
        std::fs::write(&path, at_n).unwrap();
        let run = dir.path().join(format!("run{n}"));
        cli()
            .args(["run", "--quiet", "--out"])
            .arg(&run)
            .arg(&path)
            .assert()
            .success();
        let summary = std::fs::read_to_string(run.join("two/summary.csv")).unwrap();
        assert_eq!(p_superior(&summary, "a", "drug"), p, "N = {n}");
    }
    for (args, message) in [
        (
            vec!["--label", "c"],
            "--label: unknown label 'c'; expected one of: a, b",
        ),
        (vec!["--arm", "x"], "--arm: unknown arm 'x'"),
        (vec!["--conclusive", "--arm", "drug"], "drop --arm"),
        (vec!["--label", "b"], "no arm has a true benefit"),
    ] {
        let refused = cli()
            .args(["size", "--quiet", "--power", "0.7", "--out"])
            .arg(&out)
            .arg(&path)
            .args(&args)
            .assert()
            .code(2);
        let stderr = String::from_utf8_lossy(&refused.get_output().stderr).to_string();
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
}
