//! `size`, `sweep` and `report` from the command line: outputs, reproducibility across thread
//! counts, and bad input (exit 2, nothing overwritten).

use sha2::Digest;
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
            && svg.contains("total sample size N (randomised) = 250")
            && svg.contains("mals prevalence at screening")
            && !svg.contains("enrollment.sample_size")
            && svg.contains("target power 0.8")
    );
}

/// A sweep of three keys with more than 12 combinations of the second and third draws no
/// figure (before issue 29: 210 lines in a 5,660-pixel SVG), says why, and leaves no figure of
/// an earlier sweep beside its table.
#[test]
fn a_sweep_with_too_many_lines_says_so_instead_of_drawing_them() {
    let dir = tempfile::tempdir().unwrap();
    let earlier = dir.path().join("immunosep/sweep.svg");
    fs::create_dir_all(earlier.parent().unwrap()).unwrap();
    fs::write(&earlier, "<svg>an earlier sweep</svg>").unwrap();
    endotrial()
        .args(["sweep", "--quiet", "--replicates", "200"])
        .args(["--set", "enrollment.sample_size=100,200"])
        .args(["--set", "analysis.alpha=0.01,0.02,0.05,0.1"])
        .args(["--set", "enrollment.dropout=0,0.05,0.1,0.2"])
        .arg("--out")
        .arg(dir.path())
        .arg(immunosep())
        .assert()
        .success()
        .stdout(contains(
            "(no power curve: 16 lines (one per value of analysis.alpha and enrollment.dropout) would not be told apart",
        ));
    assert!(!earlier.exists());
    let csv = fs::read_to_string(dir.path().join("immunosep/sweep.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 2 * 16);
}

#[test]
fn sweep_bad_keys_and_values_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for (set, message) in [
        // The key named as such, with the closest (issue 29: it printed "`--set ...`").
        (
            "enrollment.sample_sise=1,2",
            "key `enrollment.sample_sise`: --set: no such key in the scenario; did you mean enrollment.sample_size?",
        ),
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
fn an_interrupted_sweep_keeps_its_finished_points_and_resumes_with_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let args = |out: &Path| -> Vec<String> {
        [
            "sweep",
            "--quiet",
            "--threads",
            "1",
            "--replicates",
            "600000",
            "--set",
            "enrollment.dropout=0,0.1,0.2,0.3",
            "--out",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain([out.display().to_string(), immunosep().display().to_string()])
        .collect()
    };
    let (first, reference) = (dir.path().join("first"), dir.path().join("reference"));
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("endotrial"))
        .args(args(&first))
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Interrupt once the first point is saved (and before the last).
    let points = first.join("immunosep/sweep-points");
    let saved = || {
        fs::read_dir(&points).map_or(0, |d| {
            d.filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "json"))
            })
            .count()
        })
    };
    let start = std::time::Instant::now();
    while saved() == 0 {
        assert!(start.elapsed().as_secs() < 60, "no point saved");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    let interrupted = child.wait_with_output().unwrap();
    assert_eq!(interrupted.status.code(), Some(130));
    assert!(String::from_utf8_lossy(&interrupted.stderr).contains("interrupted"));
    let kept = saved();
    assert!((1..4).contains(&kept), "{kept} points kept");
    assert!(!first.join("immunosep/sweep.csv").exists());

    // Run again: the kept points are reused, and the result is that of an uninterrupted sweep.
    let resumed = endotrial().args(args(&first)).assert().success();
    let stderr = String::from_utf8(resumed.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains(&format!("resumed: {kept} of 4 grid points")),
        "{stderr}"
    );
    endotrial().args(args(&reference)).assert().success();
    assert_eq!(
        fs::read(first.join("immunosep/sweep.csv")).unwrap(),
        fs::read(reference.join("immunosep/sweep.csv")).unwrap()
    );
    assert!(
        !points.exists(),
        "finished points are removed once sweep.csv is written"
    );
}

#[test]
fn report_has_the_tables_the_curve_and_the_paragraph() {
    let dir = tempfile::tempdir().unwrap();
    endotrial()
        .args(["report", "--quiet", "--replicates", "20000", "--out"])
        .arg(dir.path())
        .arg(immunosep())
        .env("SOURCE_DATE_EPOCH", "1764115200")
        .assert()
        .success();
    let out = dir.path().join("immunosep");
    // The files the README lists, and no other.
    let mut files: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "report.html",
            "report.md",
            "report_power_curve.svg",
            "sample_size.csv",
            "scenario.toml"
        ]
    );
    let md = fs::read_to_string(out.join("report.md")).unwrap();
    for needle in [
        "> **N = 214 randomised** (1:1 placebo : personalised) for 80.0% power.",
        "## Design assumptions",
        "| MALS | 7.4% | 17.4% | MALS 100.0% | 17.1% |",
        "## Power at the stated sample size (N = 280)",
        "## Sample size for 80.0% power",
        "<details>\n<summary>All ",
        "![Power against total sample size](report_power_curve.svg)",
        "## Screening burden",
        "patients randomised 1:1 (placebo : personalised), of whom about 210 are expected to be evaluable after 1.8% dropout",
        "to detect an increase in response from 17.9% under placebo to 34.7% under personalised",
        "using the Pearson chi-square test (without continuity correction) at two-sided alpha 0.05, based on R = 320,000 simulated trials \
         at this N (the search simulates 20,000 at each N it tries, and more where the power lies within Monte Carlo error of the target).",
        "The treatment effects assumed act on the true endotype: anakinra in MALS: response 48.0% under anakinra against 17.4% under control; \
         interferon-gamma in immunoparalysis: response 32.0% under interferon-gamma against 18.0% under control.",
        "the label being taken as the true endotype",
        "The N = 280 planned in the scenario gives ",
        "Simulated with seed 2021; the scenario file and the software are identified in the provenance section.",
        "| date (UTC) | 2025-11-26 |",
        "Sources cited in the scenario: the ImmunoSep trial report (NCT04990232; JAMA 2025).",
        "| reproduce | `endotrial report scenario.toml --power 0.8 --replicates 20000 --seed 2021` |",
    ] {
        assert!(md.contains(needle), "report.md lacks: {needle}\n{md}");
    }
    // Paste as is: no aside on the direction, rounded numbers, no leftover precision.
    for absent in [
        "(higher is better) from",
        "(lower is better) from",
        "0.074468",
        "R = 20000",
    ] {
        assert!(!md.contains(absent), "report.md has: {absent}");
    }
    let long_decimal = md
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .any(|w| {
            w.split_once('.')
                .is_some_and(|(_, decimals)| decimals.len() > 4)
        });
    assert!(!long_decimal, "a raw float in report.md");
    // The scenario copy beside the report is the file as run (--replicates written into it),
    // and the hash is its SHA-256.
    let text = fs::read(out.join("scenario.toml")).unwrap();
    let original = fs::read_to_string(immunosep()).unwrap();
    assert_eq!(
        String::from_utf8(text.clone()).unwrap(),
        original.replace("replicates = 100000", "replicates = 20000")
    );
    let sha: String = sha2::Sha256::digest(&text)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(
        md.contains(&format!("| scenario SHA-256 | `{sha}` |")),
        "{sha}"
    );

    let html = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<table>") && html.contains("<img src=\"report_power_curve.svg\""));
    // The answer box comes first, the candidates are folded, and the log wraps.
    let first = |needle: &str| html.find(needle).unwrap_or_else(|| panic!("{needle}"));
    assert!(first("<blockquote>") < first("<h2>Sample-size justification"));
    assert!(first("<h2>Sample-size justification") < first("<img src"));
    assert!(first("<img src") < first("<h2>Design assumptions"));
    assert!(html.contains("<details>") && html.contains("white-space: pre-wrap"));
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
    // The sweep's axis is titled in words, not by the key's path.
    let sweep = fs::read_to_string(out.join("sweep.svg")).unwrap();
    assert!(
        sweep.contains("dropout (share without outcome)") && !sweep.contains("enrollment.dropout")
    );
}

#[test]
fn report_states_the_classifier_the_effect_measure_and_the_budget() {
    let dir = tempfile::tempdir().unwrap();
    let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    for name in ["immunosep_biomarkers", "provide", "wong_6s"] {
        endotrial()
            .args(["report", "--quiet", "--replicates", "2000", "--out"])
            .arg(dir.path())
            .arg(scenarios.join(format!("{name}.toml")))
            .assert()
            .code(predicates::ord::le(2));
    }
    let md = |name: &str| fs::read_to_string(dir.path().join(name).join("report.md")).unwrap();
    let biomarkers = md("immunosep_biomarkers");
    for needle in [
        "## Budget",
        "EUR 350 per screened patient and EUR 15,000 per randomised patient",
        "Labels are measured by the rules mals if ferritin > 4,420 ng/mL; then immunoparalysis if hla_dr < 5,000 receptors/monocyte; otherwise unclassified",
        "per eligible label: mals sensitivity 84.5%, positive predictive value ",
        "> Cost: EUR ",
    ] {
        assert!(biomarkers.contains(needle), "lacks: {needle}\n{biomarkers}");
    }
    // An effect given as a risk ratio is stated as one.
    assert!(
        md("provide").contains("risk ratio 0.7, death "),
        "{}",
        md("provide")
    );
    // No dropout: no "after 0.0% dropout".
    let wong = md("wong_6s");
    assert!(
        !wong.contains("0.0% dropout") && wong.contains("With N = "),
        "{wong}"
    );
}

/// A three-arm design: a weak and a strong dose against control.
const THREE_ARMS: &str = r#"
name = "doses"
[simulation]
replicates = 4000
seed = 7
[[endotype]]
name = "all"
prevalence = 1.0
control_risk = 0.45
[enrollment]
sample_size = 600
[endpoint]
event = "death"
better = "lower"
[[treatment]]
name = "low"
effect = "risk_difference"
by_endotype = { all = -0.12 }
[[treatment]]
name = "high"
effect = "risk_difference"
by_endotype = { all = -0.2 }
[[arm]]
name = "control"
ratio = 1
[[arm]]
name = "low"
ratio = 1
treatment = "low"
[[arm]]
name = "high"
ratio = 1
treatment = "high"
[analysis]
control = "control"
test = "chi_square"
"#;

#[test]
fn compare_of_a_multi_arm_design_gives_each_comparison_its_own_n_and_warns_of_other_questions() {
    let dir = tempfile::tempdir().unwrap();
    let doses = dir.path().join("doses.toml");
    fs::write(&doses, THREE_ARMS).unwrap();
    let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let out = endotrial()
        .args(["compare", "--quiet", "--out"])
        .arg(dir.path())
        .arg(&doses)
        .arg(scenarios.join("immunosep.toml"))
        .args(["--replicates", "4000"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    // Each comparison's N@target is where its own curve crosses the target: the strong dose
    // needs far fewer patients than the weak one, and all comparisons need the weak one's N.
    let n_of = |label: &str| -> u64 {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(label))
            .unwrap_or_else(|| panic!("{label}\n{stdout}"));
        line.split_whitespace().nth(4).unwrap().parse().unwrap()
    };
    let (low, high) = (n_of("doses (low)"), n_of("doses (high)"));
    assert!(high < low / 2, "{stdout}");
    let all = format!("all 2 reach the target at N = {low}");
    assert!(stdout.contains(&all), "{stdout}");
    assert!(stdout.contains(
        "power of the chi_square test, two_sided alpha 0.05; 2 comparisons with control"
    ));
    let csv = fs::read_to_string(dir.path().join("compare-doses-immunosep.csv")).unwrap();
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .contains("n_for_target_all_comparisons")
    );
    // Death against response, and two comparisons against one: said on stderr.
    assert!(
        stderr.contains("compared designs answer different questions: doses analyses death (lower is better), immunosep response (higher is better)")
            && stderr.contains("doses has comparisons with control: 2, immunosep 1"),
        "{stderr}"
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
    use endotrial::model::scenario::Scenario;
    use endotrial::tools::sweep::{SetArg, grid};
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
