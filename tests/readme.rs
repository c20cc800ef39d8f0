//! The README's and the book's figures come from the current code: every command output they
//! quote is re-run here and must match line for line, the quoted report paragraph must be the
//! report's, and the README's table of shipped scenarios must agree with the committed results
//! (which `endotrial check` in CI ties to the engine).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A page of the documentation: `README.md`, or a chapter `docs/src/<name>`.
fn page(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The README and every chapter of the book, with their paths.
fn pages() -> Vec<(String, String)> {
    let mut paths = vec!["README.md".to_string()];
    let mut chapters: Vec<String> = std::fs::read_dir(root().join("docs/src"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".md"))
        .map(|name| format!("docs/src/{name}"))
        .collect();
    chapters.sort();
    paths.extend(chapters);
    paths
        .into_iter()
        .map(|path| {
            let text = page(&path);
            (path, text)
        })
        .collect()
}

/// A command output quoted in a page: a fenced block whose first line is
/// `$ cargo run --release -- ARGS`, then what it prints.
struct Quote {
    page: String,
    args: Vec<String>,
    shown: Vec<String>,
}

const PROMPT: &str = "$ cargo run --release -- ";

fn quotes() -> Vec<Quote> {
    let mut out = Vec::new();
    for (path, text) in pages() {
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            if !line.starts_with("```") {
                continue;
            }
            let block: Vec<&str> = lines
                .by_ref()
                .take_while(|l| !l.starts_with("```"))
                .collect();
            let Some(command) = block.first().and_then(|l| l.strip_prefix(PROMPT)) else {
                continue;
            };
            out.push(Quote {
                page: path.clone(),
                args: command.split_whitespace().flat_map(expand_glob).collect(),
                shown: block[1..].iter().map(|l| l.to_string()).collect(),
            });
        }
    }
    out
}

/// A shell glob of the form `dir/prefix*suffix`, expanded as the shell would (sorted); any
/// other argument as it is.
fn expand_glob(arg: &str) -> Vec<String> {
    let Some((prefix, suffix)) = arg.split_once('*') else {
        return vec![arg.to_string()];
    };
    let (dir, prefix) = prefix.rsplit_once('/').unwrap_or((".", prefix));
    let mut files: Vec<String> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with(prefix) && n.ends_with(suffix))
        .map(|n| format!("{dir}/{n}"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{arg} matches no file");
    files
}

/// Runs endotrial in the project root (so paths print as in the pages) with results in `out`
/// (`validate` writes nothing and shows no progress: it takes neither flag).
fn endotrial(args: &[String], out: &Path) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_endotrial"));
    command.current_dir(root()).args(args);
    if args.first().is_some_and(|a| a != "validate") {
        command.arg("--quiet").arg("--out").arg(out);
    }
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Lines naming written files (`-> path`) depend on `--out`, so neither side's count.
fn is_file_line(line: &str) -> bool {
    line.trim_start().starts_with("->")
}

/// Checks that `shown` is `printed`: runs of consecutive lines in order, with a `...` line
/// wherever lines are left out (also at the start or the end); only `...` may leave lines out.
fn matches_output(shown: &[String], printed: &[&str]) -> Result<(), String> {
    let shown: Vec<&str> = shown
        .iter()
        .map(String::as_str)
        .filter(|l| !is_file_line(l))
        .collect();
    let printed: Vec<&str> = printed
        .iter()
        .copied()
        .filter(|l| !is_file_line(l))
        .collect();
    let gap = |l: &&str| l.trim() == "...";
    let open_start = shown.first().is_some_and(gap);
    let open_end = shown.last().is_some_and(gap);
    let runs: Vec<&[&str]> = shown.split(gap).filter(|r| !r.is_empty()).collect();
    if runs.is_empty() {
        return Err("no output quoted".into());
    }
    let mut at = 0;
    for (i, run) in runs.iter().enumerate() {
        let found = (at..=printed.len().saturating_sub(run.len()))
            .find(|&k| printed.get(k..k + run.len()) == Some(*run))
            .ok_or_else(|| format!("stale or incomplete lines:\n{}", run.join("\n")))?;
        if i == 0 && !open_start && found != 0 {
            return Err(format!("lines left out before:\n{}", run[0]));
        }
        if (i > 0 || open_start) && found == at {
            // Two runs that meet need no "..." between them: the quote says lines are missing
            // where none are.
            return Err(format!(
                "a `...` where no line is left out, before:\n{}",
                run[0]
            ));
        }
        at = found + run.len();
    }
    match (open_end, at == printed.len()) {
        (false, false) => Err(format!("lines left out after:\n{}", printed[at - 1])),
        (true, true) => Err("a `...` at the end where no line is left out".into()),
        _ => Ok(()),
    }
}

#[test]
fn every_quoted_output_is_current() {
    let quotes = quotes();
    // The README's run, validate and size; the book's compare, sequential, survival and
    // enrichment runs: a change in how blocks are found must not make this test vacuous.
    let mut commands: Vec<&Vec<String>> = quotes.iter().map(|q| &q.args).collect();
    commands.sort();
    commands.dedup();
    assert!(commands.len() >= 9, "found only {commands:?}");
    for page in [
        "README.md",
        "docs/src/introduction.md",
        "docs/src/sample-size.md",
    ] {
        assert!(
            quotes.iter().any(|q| q.page == page),
            "{page} quotes no output"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let mut printed: BTreeMap<&Vec<String>, String> = BTreeMap::new();
    for quote in &quotes {
        let stdout = printed
            .entry(&quote.args)
            .or_insert_with(|| endotrial(&quote.args, dir.path()));
        let lines: Vec<&str> = stdout.lines().collect();
        if let Err(why) = matches_output(&quote.shown, &lines) {
            panic!(
                "{}: stale output of `{}`: {why}",
                quote.page,
                quote.args.join(" ")
            );
        }
    }
}

#[test]
fn the_quote_check_catches_changed_missing_and_extra_lines() {
    let printed = ["a", "b", "c", "d"];
    let shown = |lines: &[&str]| lines.iter().map(|l| l.to_string()).collect::<Vec<_>>();
    assert!(matches_output(&shown(&["a", "b", "c", "d"]), &printed).is_ok());
    assert!(matches_output(&shown(&["a", "...", "d"]), &printed).is_ok());
    assert!(matches_output(&shown(&["...", "c", "..."]), &printed).is_ok());
    assert!(matches_output(&shown(&["a", "b", "  -> out.csv", "c", "d"]), &printed).is_ok());
    for stale in [
        &["a", "b", "x", "d"][..],
        &["a", "c", "d"],
        &["b", "c", "d"],
        &["a", "b", "c"],
        &["a", "b", "...", "c", "d"],
        &["a", "b", "c", "d", "e"],
        &["...", "d", "c"],
        &["...", "a", "b", "c", "d"],
        &["a", "b", "c", "d", "..."],
        &[],
    ] {
        assert!(
            matches_output(&shown(stale), &printed).is_err(),
            "{stale:?} passed"
        );
    }
}

#[test]
fn size_candidate_count_is_current() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["size", "scenarios/immunosep.toml", "--power", "0.8"].map(String::from);
    endotrial(&args, dir.path());
    let csv = std::fs::read_to_string(dir.path().join("immunosep/sample_size.csv")).unwrap();
    let candidates = csv.lines().count() - 1;
    assert!(
        page("docs/src/performance.md").contains(&format!("{candidates} candidates")),
        "the book should say the ImmunoSep search evaluates {candidates} candidates"
    );
}

#[test]
fn report_paragraph_is_current() {
    // (page, scenario, its results folder, how the quote starts)
    for (page_path, scenario, name, start) in [
        (
            "docs/src/sample-size.md",
            "scenarios/immunosep.toml",
            "immunosep",
            "With N = ",
        ),
        (
            "docs/src/platform.md",
            "scenarios/immunosep_platform.toml",
            "immunosep_platform",
            "With a maximum of ",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        endotrial(&["report", scenario].map(String::from), dir.path());
        let report = std::fs::read_to_string(dir.path().join(name).join("report.md")).unwrap();
        let flat = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        let text = page(page_path);
        let quote: Vec<&str> = text
            .lines()
            .map(str::trim_start)
            .filter_map(|l| l.strip_prefix("> "))
            .collect();
        let quote = flat(&quote.join(" "));
        assert!(quote.starts_with(start), "{page_path}: {quote}");
        // A quote may leave words out with "(...)" inside or "..." at its end: each part must
        // be in the report, in order.
        let report = flat(&report);
        let mut at = 0;
        for part in quote.trim_end_matches("...").split("(...)") {
            let part = part.trim();
            let found = report[at..].find(part).unwrap_or_else(|| {
                panic!("{page_path}: the book's report paragraph is stale:\n{part}")
            });
            at += found + part.len();
        }
    }
}

/// Power of each shipped scenario from its committed summary.csv (first comparison; a
/// Bayesian design: P(superiority declared) of its first arm that is not the control).
fn committed_power() -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(root().join("results")).unwrap() {
        let path = entry.unwrap().path().join("summary.csv");
        if let Ok(text) = std::fs::read_to_string(&path) {
            let mut lines = text.lines();
            let header: Vec<&str> = lines.next().unwrap().split(',').collect();
            let col = |name: &str| header.iter().position(|h| *h == name);
            let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
            let (row, power) = match (col("power"), col("role")) {
                (Some(p), _) => (&rows[0], p),
                (None, Some(role)) => (
                    rows.iter().find(|r| r[role] == "arm").unwrap(),
                    col("p_superior").unwrap(),
                ),
                (None, None) => panic!("{}: no power column", path.display()),
            };
            out.insert(
                row[col("scenario").unwrap()].to_string(),
                row[power].parse().unwrap(),
            );
        }
    }
    out
}

#[test]
fn shipped_scenario_table_matches_committed_results() {
    let power = committed_power();
    let text = page("README.md");
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

/// The targets of a page's Markdown links `[text](target)`, without `#anchors`.
fn link_targets(text: &str) -> Vec<&str> {
    text.split("](")
        .skip(1)
        .filter_map(|rest| rest.split_once(')'))
        .map(|(target, _)| target.split('#').next().unwrap_or(target))
        .filter(|t| !t.is_empty() && !t.contains("://") && !t.starts_with("mailto:"))
        .collect()
}

#[test]
fn every_link_of_the_readme_and_the_book_resolves_and_every_chapter_is_in_the_summary() {
    for (path, text) in pages() {
        let dir = root().join(&path).parent().unwrap().to_path_buf();
        for target in link_targets(&text) {
            assert!(
                dir.join(target).exists(),
                "{path} links to {target}, which does not exist"
            );
        }
    }
    let summary = page("docs/src/SUMMARY.md");
    let listed = link_targets(&summary);
    for (path, _) in pages() {
        if let Some(chapter) = path.strip_prefix("docs/src/") {
            assert!(
                chapter == "SUMMARY.md" || listed.contains(&chapter),
                "{chapter} is not in docs/src/SUMMARY.md"
            );
        }
    }
    assert!(link_targets("see [a](b.md#c) and [d](https://e)") == ["b.md"]);
}
