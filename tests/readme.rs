//! The README's figures come from the current code: each command output it shows is re-run here
//! and must appear in it line for line, and its table of shipped scenarios must agree with the
//! committed results (which `endotrial check` in CI ties to the engine).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).unwrap()
}

/// Runs endotrial in the project root (so paths print as in the README) with results in `out`.
fn endotrial(args: &[&str], out: &Path) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_endotrial"))
        .current_dir(root())
        .args(args)
        .arg("--quiet")
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Every line of a command's output, but the lines naming written files, is in the README, and
/// the output is the README's block: no line printed twice.
fn assert_shown(command: &str, stdout: &str) {
    let text = readme();
    let mut seen = std::collections::HashSet::new();
    for line in stdout.lines().filter(|l| !l.trim_start().starts_with("->")) {
        assert!(
            seen.insert(line),
            "`{command}` prints a line twice:\n{line}"
        );
    }
    for line in stdout.lines().filter(|l| !l.trim_start().starts_with("->")) {
        assert!(
            text.lines().any(|l| l == line),
            "README shows stale output of `{command}`; expected the line\n{line}"
        );
    }
}

#[test]
fn run_and_size_outputs_are_current() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    assert_shown(
        "run scenarios/immunosep.toml",
        &endotrial(&["run", "scenarios/immunosep.toml"], out),
    );
    let size = endotrial(&["size", "scenarios/immunosep.toml", "--power", "0.8"], out);
    assert_shown("size scenarios/immunosep.toml --power 0.8", &size);
    // The number of candidates the README quotes for the size search.
    let csv = std::fs::read_to_string(out.join("immunosep/sample_size.csv")).unwrap();
    let candidates = csv.lines().count() - 1;
    assert!(
        readme().contains(&format!("{candidates} candidates")),
        "README should say the ImmunoSep search evaluates {candidates} candidates"
    );
}

#[test]
fn survival_outputs_are_current() {
    let dir = tempfile::tempdir().unwrap();
    assert_shown(
        "run scenarios/immunosep_survival.toml",
        &endotrial(&["run", "scenarios/immunosep_survival.toml"], dir.path()),
    );
    assert_shown(
        "run scenarios/immunosep_enrichment.toml",
        &endotrial(&["run", "scenarios/immunosep_enrichment.toml"], dir.path()),
    );
    assert_shown(
        "run scenarios/classic_event_driven_looks.toml",
        &endotrial(
            &["run", "scenarios/classic_event_driven_looks.toml"],
            dir.path(),
        ),
    );
}

#[test]
fn sequential_outputs_are_current() {
    let dir = tempfile::tempdir().unwrap();
    assert_shown(
        "run scenarios/immunosep_sequential.toml",
        &endotrial(&["run", "scenarios/immunosep_sequential.toml"], dir.path()),
    );
    let out = Command::new(env!("CARGO_BIN_EXE_endotrial"))
        .current_dir(root())
        .args(["validate", "scenarios/immunosep_sequential.toml"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    // The boundaries table and the inflation factor.
    let table: Vec<&str> = stdout
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("look  fraction"))
        .take_while(|l| !l.contains("vs placebo"))
        .collect();
    assert_eq!(table.len(), 4, "{stdout}");
    let text = readme();
    for line in table {
        assert!(
            text.lines().any(|l| l == line),
            "stale validate line:\n{line}"
        );
    }
}

#[test]
fn validate_output_is_current() {
    let out = Command::new(env!("CARGO_BIN_EXE_endotrial"))
        .current_dir(root())
        .args(["validate", "scenarios/immunosep.toml"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let printed: Vec<&str> = stdout.lines().collect();
    // The README shows runs of consecutive lines, in order, with "..." wherever it leaves
    // lines out (before issue 29 it left some out without saying so).
    let text = readme();
    let block = text
        .split("$ cargo run --release -- validate scenarios/immunosep.toml\n")
        .nth(1)
        .unwrap();
    let shown: Vec<&str> = block.lines().take_while(|l| *l != "```").collect();
    let runs: Vec<&[&str]> = shown.split(|l| l.trim() == "...").collect();
    assert!(runs.len() >= 2 && runs[0].len() >= 2, "{shown:?}");
    let mut at = 0;
    for (i, run) in runs.iter().enumerate() {
        let found = (at..=printed.len() - run.len())
            .find(|&k| printed[k..k + run.len()] == **run)
            .unwrap_or_else(|| panic!("stale or incomplete validate lines:\n{}", run.join("\n")));
        // Only a "..." may leave lines out: the first run starts the output, and the last
        // ends it unless a "..." follows.
        assert!(i > 0 || found == 0, "lines left out before the first shown");
        at = found + run.len();
    }
    if shown.last().is_some_and(|l| l.trim() != "...") {
        assert_eq!(at, printed.len(), "lines left out after the last shown");
    }
}

#[test]
fn report_paragraph_is_current() {
    let dir = tempfile::tempdir().unwrap();
    endotrial(&["report", "scenarios/immunosep.toml"], dir.path());
    let report = std::fs::read_to_string(dir.path().join("immunosep/report.md")).unwrap();
    let flat = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let text = readme();
    let quote: Vec<&str> = text
        .lines()
        .map(str::trim_start)
        .filter_map(|l| l.strip_prefix("> "))
        .collect();
    let quote = flat(&quote.join(" "));
    let quote = quote.trim_end_matches("...").trim_end();
    assert!(quote.starts_with("With N = "), "{quote}");
    assert!(
        flat(&report).contains(quote),
        "README's report paragraph is stale:\n{quote}"
    );
}

#[test]
fn compare_table_is_current() {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["compare"];
    let files = [
        "scenarios/design_all_comers.toml",
        "scenarios/design_enrichment.toml",
        "scenarios/design_marker_strategy.toml",
        "scenarios/design_stratified.toml",
    ];
    args.extend(files);
    args.extend(["--power", "0.8"]);
    let stdout = endotrial(&args, dir.path());
    assert_shown("compare scenarios/design_*.toml --power 0.8", &stdout);
}

/// Power of each shipped scenario from its committed summary.csv (first comparison).
fn committed_power() -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(root().join("results")).unwrap() {
        let path = entry.unwrap().path().join("summary.csv");
        if let Ok(text) = std::fs::read_to_string(&path) {
            let mut lines = text.lines();
            let header: Vec<&str> = lines.next().unwrap().split(',').collect();
            let row: Vec<&str> = lines.next().unwrap().split(',').collect();
            let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
            out.insert(
                row[col("scenario")].to_string(),
                row[col("power")].parse().unwrap(),
            );
        }
    }
    out
}

#[test]
fn shipped_scenario_table_matches_committed_results() {
    let power = committed_power();
    let text = readme();
    let rows: Vec<&str> = text.lines().filter(|l| l.starts_with("| `")).collect();
    let mut seen = 0;
    for row in &rows {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let (name, shown) = (cells[1], cells[cells.len() - 2]);
        let Some(file) = name.strip_prefix('`').and_then(|n| n.split('`').next()) else {
            continue;
        };
        // Rounds like the README: as many decimals as the figure shows.
        let rounded = |p: f64, like: &str| {
            let decimals = like.split('.').nth(1).map_or(0, str::len);
            format!("{p:.decimals$}")
        };
        if let Some(prefix) = file.strip_suffix("*.toml") {
            // A family: "low to high".
            let family: Vec<f64> = power
                .iter()
                .filter(|(n, _)| n.starts_with(prefix))
                .map(|(_, &p)| p)
                .collect();
            let (lo, hi) = shown.split_once(" to ").expect("a range");
            let min = family.iter().copied().fold(f64::INFINITY, f64::min);
            let max = family.iter().copied().fold(0.0, f64::max);
            assert_eq!(
                (rounded(min, lo).as_str(), rounded(max, hi).as_str()),
                (lo, hi),
                "{file}"
            );
            seen += family.len();
        } else if let Some(stem) = file.strip_suffix(".toml") {
            let p = power[stem];
            assert_eq!(rounded(p, shown), shown, "README power of {file}");
            seen += 1;
        }
    }
    assert_eq!(
        seen,
        power.len(),
        "every shipped scenario is in the README table"
    );
}
