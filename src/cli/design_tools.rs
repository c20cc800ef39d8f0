//! Design tools: `size`, `sweep`, `report` and `compare`.

use std::path::Path;

use anyhow::Context;

use super::{
    BadInput, CompareArgs, ReportArgs, SCENARIO_COPY, SizeArgs, SweepArgs, check_target, load_all,
    load_with, progress_bar, search_bar, simulate, thread_pool, write_file,
};
use crate::engine::summary;
use crate::model::design::Design;
use crate::model::reestimation::Reestimated;
use crate::model::scenario::Scenario;
use crate::output;
use crate::output::plot::{self, Curve};
use crate::output::report;
use crate::tools::resume;
use crate::tools::size::{self, Searched, SizeOptions, SizeSearch};

/// Runs the sample-size search of `scenario` for `args`-like settings.
fn size_search(
    pool: &rayon::ThreadPool,
    scenario: &Scenario,
    target: f64,
    (arm, searched): (Option<&str>, Searched),
    min: Option<u64>,
    max: Option<u64>,
    quiet: bool,
) -> anyhow::Result<SizeSearch> {
    let d = &scenario.design;
    check_target(target)?;
    if let Some(replicates) = size::replicates_needed(target, d.replicates) {
        return Err(BadInput(format!(
            "--power {target}: {} replicates cannot tell a power this close to {} from the target (a candidate near it is extended to at most {} trials, and needs {} even if no trial {}): use --replicates {replicates} or more",
            d.replicates,
            if target > 0.5 { 1 } else { 0 },
            d.replicates.saturating_mul(size::REFINE),
            size::trials_needed(target),
            if target > 0.5 { "fails" } else { "succeeds" }
        ))
        .into());
    }
    if let (Some(lo), Some(hi)) = (min, max)
        && lo > hi
    {
        return Err(BadInput(format!("--min {lo} is larger than --max {hi}")).into());
    }
    let arms = match arm {
        None => d.comparisons().collect(),
        Some(name) => {
            let a = d.arms.iter().position(|a| a.name == name).ok_or_else(|| {
                BadInput(format!(
                    "--arm: unknown arm '{name}'; expected one of: {}",
                    d.comparisons()
                        .map(|a| d.arms[a].name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?;
            if a == d.control {
                return Err(BadInput(format!(
                    "--arm: '{name}' is the control arm; name a compared arm"
                ))
                .into());
            }
            vec![a]
        }
    };
    let opts = SizeOptions {
        target,
        searched,
        arms,
        min,
        max,
    };
    let bar = search_bar(quiet, &d.name);
    let search = pool.install(|| {
        size::search(d, &opts, &|p| {
            bar.set_length(p.evaluated + p.left);
            bar.set_position(p.evaluated);
            bar.set_message(format!("N = {}", p.n));
        })
    });
    bar.finish_and_clear();
    Ok(search)
}

/// Refuses a Bayesian design in a command built on frequentist power (size, sweep, compare,
/// report): their searches and curves read the test's rejections.
fn frequentist(d: &Design, command: &str) -> anyhow::Result<()> {
    match d.bayesian() {
        None => Ok(()),
        Some(_) => Err(BadInput(format!(
            "{}: `{command}` is not built for Bayesian adaptive designs ([bayesian]) yet; \
             `endotrial run` simulates them (summary.csv, bayesian.csv, allocation.csv)",
            d.name
        ))
        .into()),
    }
}

/// Refuses a design with sample-size re-estimation in a command built on the search for a
/// planned N (size, compare, report): its power follows the re-estimation's bounds instead.
fn planned_size(scenario: &Scenario, command: &str) -> anyhow::Result<()> {
    let Some(r) = scenario.design.reestimation() else {
        return Ok(());
    };
    let key = r.unit.keys().1;
    let noun = match r.unit {
        Reestimated::Patients => "N",
        Reestimated::Deaths => "deaths",
    };
    Err(BadInput(format!(
        "{}: sequential.reestimate: `{command}` searches the planned N of a fixed or group-sequential design; with re-estimation the power follows the re-estimation's bounds (now {noun} from {} to {}): sweep them, e.g. endotrial sweep {} --set sequential.reestimate.{key}={}:{}:{}",
        scenario.design.name,
        r.min_total,
        r.max_total,
        scenario.path.display(),
        r.max_total,
        r.max_total * 2,
        (r.max_total / 4).max(1)
    ))
    .into())
}

pub(super) fn size_command(args: &SizeArgs) -> anyhow::Result<()> {
    let (scenario, pool) = load_with(&args.scenario, &args.sim)?;
    planned_size(&scenario, "size")?;
    let d = &scenario.design;
    if d.bayesian().is_some() {
        return bayesian_size(args, &scenario, &pool);
    }
    if args.label.is_some() || args.conclusive {
        return Err(BadInput(format!(
            "{}: --label and --conclusive apply to Bayesian adaptive designs ([bayesian]); a frequentist design's comparison is chosen with --arm and --hypothesis",
            d.name
        ))
        .into());
    }
    if d.survival().is_some_and(|m| m.is_event_driven()) {
        return Err(BadInput(format!(
            "{}: an event-driven design's power is set by endpoint.analysis_events, not by the sample size (which only has to be large enough to reach them): vary the events with `sweep --set endpoint.analysis_events=...`",
            d.name
        ))
        .into());
    }
    let aim = (
        args.arm.as_deref(),
        searched(d, args.hypothesis.as_deref())?,
    );
    let search = size_search(
        &pool,
        &scenario,
        args.power,
        aim,
        args.min,
        args.max,
        args.sim.quiet,
    )?;
    print!(
        "{}",
        report::size_text::size_summary(d, &search, args.power)
    );
    not_reached(d, &search, args.power)?;
    if let Some(seq) = sequential_size(&pool, &scenario, &search, args.power, aim, args.sim.quiet)?
    {
        print!("{}", report::size_text::sequential_size_text(&seq));
    }
    let path = args.sim.out.join(&d.name).join("sample_size.csv");
    write_file(&path, &output::result_csv::sample_size_csv(&search))?;
    println!("  -> {}", path.display());
    Ok(())
}

/// What `size` and `report` add for a design with interim looks, at the N found: the fixed
/// design's N for the same power (searched by simulation, the same scenario without its looks)
/// and the expected number randomised under the scenario and under the global null (every
/// treatment effect removed). `None` for a fixed design or when no N reached the target.
fn sequential_size(
    pool: &rayon::ThreadPool,
    scenario: &Scenario,
    search: &SizeSearch,
    target: f64,
    (arm, searched): (Option<&str>, Searched),
    quiet: bool,
) -> anyhow::Result<Option<report::size_text::SequentialSize>> {
    let d = &scenario.design;
    // An adaptive design has no fixed counterpart (its populations change at the interim).
    let Some(n) = search
        .chosen
        .filter(|_| d.has_interim_looks() && d.adaptation().is_none())
    else {
        return Ok(None);
    };
    let mut fixed = scenario.clone();
    fixed.design.kind = crate::model::design::DesignKind::Fixed;
    fixed.design.accrual = None;
    let fixed_search = size_search(pool, &fixed, target, (arm, searched), None, None, quiet)?;
    let at_n = size::at_size(d, n);
    let null = at_n.without_effects();
    let null_rows = summary::summarise(&null, &simulate(pool, &null, 0..null.replicates, quiet));
    let expected = |rows: &[summary::SummaryRow]| {
        rows[0]
            .sequential()
            .map_or(f64::NAN, |s| s.expected_randomised)
    };
    Ok(Some(report::size_text::SequentialSize {
        n,
        fixed_n: fixed_search.chosen,
        fixed_max: fixed_search.max,
        expected: expected(&search.candidates[&n]),
        expected_null: expected(&null_rows),
        target,
        design: at_n,
    }))
}

/// Each command's figure is its own file: a sweep never overwrites the report's curve, and the
/// report never shows a sweep's.
const SWEEP_SVG: &str = "sweep.svg";

/// The probability a search targets: `--hypothesis`, or the scenario's default.
fn searched(
    d: &crate::model::design::Design,
    hypothesis: Option<&str>,
) -> anyhow::Result<Searched> {
    match hypothesis {
        None => Ok(Searched::default_for(d)),
        Some(name) => {
            Searched::parse(d, name).map_err(|e| BadInput(format!("--hypothesis: {e}")).into())
        }
    }
}

/// Simulates every grid point on `pool` with a progress bar; returns (values, summary rows) per
/// point. With `keep`, each finished point is saved there and a saved one is read instead of
/// simulated (`tools::resume`).
fn run_grid(
    pool: &rayon::ThreadPool,
    points: &[crate::tools::sweep::GridPoint],
    (quiet, name): (bool, &str),
    searched: Searched,
    keep: Option<&Path>,
) -> anyhow::Result<Vec<(Vec<String>, Vec<summary::SummaryRow>)>> {
    let total: u64 = points.iter().map(|p| p.scenario.design.replicates).sum();
    let bar = progress_bar(total, quiet, name);
    let run =
        pool.install(|| resume::run_grid(points, searched, keep, &|n| bar.inc(n), &write_file))?;
    bar.finish_and_clear();
    if run.reused > 0 {
        eprintln!(
            "resumed: {} of {} grid points were finished by an earlier, interrupted sweep ({})",
            run.reused,
            points.len(),
            keep.map_or(String::new(), |d| d.display().to_string())
        );
    }
    Ok(run.points)
}

pub(super) fn sweep_command(args: &SweepArgs) -> anyhow::Result<()> {
    check_target(args.power)?;
    let (scenario, pool) = load_with(&args.scenario, &args.sim)?;
    frequentist(&scenario.design, "sweep")?;
    let points = crate::tools::sweep::grid(&scenario, &args.sets)?;
    let name = &scenario.design.name;
    let keys: Vec<String> = args.sets.iter().map(|s| s.key.clone()).collect();
    let dir = args.sim.out.join(name);
    let keep = dir.join(resume::SWEEP_POINTS);
    let results = run_grid(
        &pool,
        &points,
        (args.sim.quiet, name),
        Searched::Test,
        Some(&keep),
    )?;
    print!("{}", output::terminal::sweep_lines(&keys, &results));
    write_file(
        &dir.join("sweep.csv"),
        &output::result_csv::sweep_csv(&keys, &results),
    )?;
    println!("  -> {}", dir.join("sweep.csv").display());
    write_sweep_curve(&scenario.design, &dir, &keys, &results, args.power)?;
    // Complete: the finished points are in sweep.csv now.
    match std::fs::remove_dir_all(&keep) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("cannot remove '{}'", keep.display()))?
        }
        _ => {}
    }
    Ok(())
}

/// sweep.svg: power against the first key, a line per value of the others, when it can be
/// drawn; otherwise no figure (none of an earlier sweep left beside this sweep's table) and why.
fn write_sweep_curve(
    d: &Design,
    dir: &Path,
    keys: &[String],
    results: &[(Vec<String>, Vec<summary::SummaryRow>)],
    target: f64,
) -> anyhow::Result<()> {
    let drawn = match plot::curves(d, keys, results) {
        Some(c) if c.len() > plot::MAX_CURVES => Err(format!(
            "{} lines (one per value of {}) would not be told apart; sweep.csv has every point (at most {} lines are drawn)",
            c.len(),
            keys[1..].join(" and "),
            plot::MAX_CURVES
        )),
        Some(c) => Ok(c),
        None => Err(format!(
            "the values of {} are not all finite numbers",
            keys[0]
        )),
    };
    match drawn {
        Ok(c) => {
            let x_title = crate::tools::sweep::key_title(d, &keys[0]);
            let title = format!("{}: power against {x_title}", d.name);
            write_file(
                &dir.join(SWEEP_SVG),
                plot::power_curve_svg(&title, &x_title, &c, Some(target), &[]).as_bytes(),
            )?;
            println!("  -> {}", dir.join(SWEEP_SVG).display());
        }
        Err(why) => {
            // No figure of an earlier sweep left beside this sweep's table.
            match std::fs::remove_file(dir.join(SWEEP_SVG)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(e)
                        .with_context(|| format!("removing {}", dir.join(SWEEP_SVG).display()));
                }
                _ => {}
            }
            println!("  (no power curve: {why})");
        }
    }
    Ok(())
}

/// The rows at the scenario's own N and the search for the N of `target` power (every
/// comparison reaching it), both of the `searched` power: what `report` and `compare` start from.
fn stated_and_search(
    pool: &rayon::ThreadPool,
    scenario: &Scenario,
    target: f64,
    searched: Searched,
    quiet: bool,
) -> anyhow::Result<(Vec<summary::SummaryRow>, SizeSearch)> {
    let d = &scenario.design;
    let stated = size::searched_rows(d, &simulate(pool, d, 0..d.replicates, quiet), searched);
    let search = size_search(pool, scenario, target, (None, searched), None, None, quiet)?;
    Ok((stated, search))
}

/// Simulated power at `points` total sample sizes on the search's grid, from `from` to `to`
/// times `centre`: (the N as text, summary rows) per size.
fn power_by_size(
    pool: &rayon::ThreadPool,
    scenario: &Scenario,
    (search, centre): (&SizeSearch, f64),
    (from, to, points): (f64, f64, u32),
    (searched, quiet): (Searched, bool),
) -> anyhow::Result<Vec<(Vec<String>, Vec<summary::SummaryRow>)>> {
    let grid = size::size_points(scenario, search.step, centre, (from, to, points))?;
    run_grid(pool, &grid, (quiet, &scenario.design.name), searched, None)
}

pub(super) fn report_command(args: &ReportArgs) -> anyhow::Result<()> {
    let (scenario, pool) = load_with(&args.scenario, &args.sim)?;
    planned_size(&scenario, "report")?;
    let d = &scenario.design;
    if d.bayesian().is_some() {
        return bayesian_report(args, &scenario, &pool);
    }
    let dir = args.sim.out.join(&d.name);
    let searched = searched(d, args.hypothesis.as_deref())?;
    let (stated, search) =
        stated_and_search(&pool, &scenario, args.power, searched, args.sim.quiet)?;
    // The power curve: 13 points on the sample-size grid from half to 1.5 times the chosen N.
    let centre = search.chosen.unwrap_or(d.sample_size) as f64;
    let results = power_by_size(
        &pool,
        &scenario,
        (&search, centre),
        (0.5, 1.5, 13),
        (searched, args.sim.quiet),
    )?;
    let svg = report::power_curve(d, &search, &results, args.power);
    // The copy of the scenario beside the report is what its hash and command refer to.
    let mut command = format!(
        "endotrial report {SCENARIO_COPY} --power {} --replicates {} --seed {}",
        args.power, d.replicates, d.seed
    );
    if let Some(h) = &args.hypothesis {
        command += &format!(" --hypothesis {h}");
    }
    let provenance = report::provenance::Provenance::of(&scenario.text, SCENARIO_COPY, command);
    let context = report::justification::Context {
        searched: &search.searched,
        target: args.power,
        stated: &stated,
        provenance: &provenance,
    };
    let seq = sequential_size(
        &pool,
        &scenario,
        &search,
        args.power,
        (None, searched),
        args.sim.quiet,
    )?;
    let md = report::report_markdown(d, &search, &context, seq.as_ref());
    write_file(&dir.join(SCENARIO_COPY), scenario.text.as_bytes())?;
    write_file(&dir.join(report::REPORT_SVG), svg.as_bytes())?;
    write_file(
        &dir.join("sample_size.csv"),
        &output::result_csv::sample_size_csv(&search),
    )?;
    if let Some((name, svg)) = super::endpoint_figure(d) {
        write_file(&dir.join(name), svg.as_bytes())?;
    }
    write_file(&dir.join("report.md"), md.as_bytes())?;
    write_file(
        &dir.join("report.html"),
        report::report_html(&md, &format!("Sample-size report: {}", d.name)).as_bytes(),
    )?;
    print!(
        "{}",
        report::size_text::size_summary(d, &search, args.power)
    );
    if let Some(seq) = &seq {
        print!("{}", report::size_text::sequential_size_text(seq));
    }
    println!(
        "  -> {}\n  -> {}",
        dir.join("report.md").display(),
        dir.join("report.html").display()
    );
    not_reached(d, &search, args.power)
}

/// The error (exit 2, as `size`) when the search found no N reaching the target.
fn not_reached(
    d: &crate::model::design::Design,
    search: &SizeSearch,
    target: f64,
) -> anyhow::Result<()> {
    if search.chosen.is_some() {
        return Ok(());
    }
    let best = search
        .best()
        .map_or(String::from("none evaluated"), |(n, p)| {
            format!("best power {p:.4} at N = {n}")
        });
    let advice = if search.max >= crate::model::design::MAX_SAMPLE_SIZE {
        "the largest sample size allowed was tried: revisit the design"
    } else {
        "raise --max or revisit the design"
    };
    Err(BadInput(format!(
        "{}: target power {target} not reached for N in [{}, {}]: {best}; {advice}",
        d.name, search.min, search.max
    ))
    .into())
}

pub(super) fn compare_command(args: &CompareArgs) -> anyhow::Result<()> {
    check_target(args.power)?;
    let mut scenarios = load_all(&args.scenarios)?;
    for s in &mut scenarios {
        frequentist(&s.design, "compare")?;
        planned_size(s, "compare")?;
        s.override_simulation(args.sim.replicates, args.sim.seed)?;
    }
    super::writable_out(&args.sim.out)?;
    let pool = thread_pool(args.sim.threads)?;
    let mut rows = Vec::new();
    let mut curves = Vec::new();
    for s in &scenarios {
        let d = &s.design;
        // --hypothesis applies to the designs that list hypotheses.
        let hypothesis = args
            .hypothesis
            .as_deref()
            .filter(|_| !d.analysis.hypotheses.is_empty());
        let searched = searched(d, hypothesis)?;
        let (stated, search) = stated_and_search(&pool, s, args.power, searched, args.sim.quiet)?;
        let centre = search.chosen.unwrap_or(search.max) as f64;
        for (values, point_rows) in power_by_size(
            &pool,
            s,
            (&search, centre),
            (0.25, 1.5, 11),
            (searched, args.sim.quiet),
        )? {
            let x: f64 = values[0].parse().expect("sample sizes are numbers");
            add_to_curves(&mut curves, d, x, &point_rows);
        }
        // Several comparisons: each one's own N (the N its curve crosses the target at), and
        // beside it the N at which all of them do (the search above).
        let several = d.comparisons().count() > 1;
        for row in &stated {
            let own = if several {
                Some(size_search(
                    &pool,
                    s,
                    args.power,
                    (Some(&row.arm), searched),
                    None,
                    None,
                    args.sim.quiet,
                )?)
            } else {
                None
            };
            let own = own.as_ref().unwrap_or(&search);
            let at_target = own.chosen.and_then(|n| {
                own.candidates[&n]
                    .iter()
                    .find(|r| r.arm == row.arm)
                    .map(|r| (n, r.clone()))
            });
            rows.push(output::compare::CompareRow {
                design: d.clone(),
                searched: search.searched.clone(),
                stated: row.clone(),
                at_target,
                all_comparisons: several.then_some(search.chosen),
            });
        }
    }
    write_comparison(args, &scenarios, &rows, &curves)
}

/// Adds the powers of `rows` at N = `x` to the curves, one curve per design (and comparison).
fn add_to_curves(curves: &mut Vec<Curve>, d: &Design, x: f64, rows: &[summary::SummaryRow]) {
    for r in rows {
        let label = if d.comparisons().count() > 1 {
            format!(
                "{} ({} vs {})",
                d.name,
                d.arm_display(&r.arm),
                d.arm_display(&r.control)
            )
        } else {
            d.name.clone()
        };
        let point = (x, r.power, r.power_ci_low, r.power_ci_high);
        match curves.iter_mut().find(|c| c.label == label) {
            Some(c) => c.points.push(point),
            None => curves.push(Curve {
                label,
                points: vec![point],
            }),
        }
    }
}

/// Writes compare's CSV and figure, and prints its warnings and table.
fn write_comparison(
    args: &CompareArgs,
    scenarios: &[Scenario],
    rows: &[output::compare::CompareRow],
    curves: &[Curve],
) -> anyhow::Result<()> {
    let names: Vec<&str> = scenarios.iter().map(|s| s.design.name.as_str()).collect();
    let stem = format!("compare-{}", names.join("-"));
    let csv = args.sim.out.join(format!("{stem}.csv"));
    let svg = args.sim.out.join(format!("{stem}.svg"));
    write_file(&csv, &output::compare::compare_csv(rows))?;
    let title = format!("power against total sample size, target {}", args.power);
    write_file(
        &svg,
        plot::power_curve_svg(
            &title,
            "total sample size N (randomised)",
            curves,
            Some(args.power),
            &[],
        )
        .as_bytes(),
    )?;
    for w in output::compare::compare_warnings(rows) {
        eprintln!("warning: {w}");
    }
    print!("{}", output::compare::compare_table(rows, args.power));
    println!("  -> {}\n  -> {}", csv.display(), svg.display());
    Ok(())
}

/// `report` of a Bayesian design: the scenario's trials and the same trials under the global
/// null (every arm given the control's treatment), the operating characteristics, the type I
/// error, the RAR path and the paragraph.
fn bayesian_report(
    args: &ReportArgs,
    scenario: &Scenario,
    pool: &rayon::ThreadPool,
) -> anyhow::Result<()> {
    use crate::engine::bayesian::metrics::{arm_rows, metrics, run_row};
    use crate::output::report::bayesian::{
        BayesianResults, bayesian_report_markdown, bayesian_report_text,
    };
    let d = &scenario.design;
    if args.hypothesis.is_some() {
        return Err(BadInput(format!(
            "{}: --hypothesis applies to a frequentist design's analysis.hypotheses; a Bayesian design reports every arm (per label with by_label)",
            d.name
        ))
        .into());
    }
    let plan = d.bayesian().expect("a Bayesian design");
    let null = d.without_effects();
    let tally = simulate(pool, d, 0..d.replicates, args.sim.quiet);
    let null_tally = simulate(pool, &null, 0..d.replicates, args.sim.quiet);
    let (b, nb) = (
        tally.bayesian().expect("a Bayesian tally"),
        null_tally.bayesian().expect("a Bayesian tally"),
    );
    let arms = arm_rows(d, plan, tally.trials, b);
    let null_plan = null.bayesian().expect("a Bayesian design");
    let null_arms = arm_rows(&null, null_plan, null_tally.trials, nb);
    let metrics = metrics(d, plan, tally.trials, b);
    let run = run_row(d, &tally, b, plan);
    let results = BayesianResults {
        arms: &arms,
        metrics: &metrics,
        run: &run,
        null_arms: &null_arms,
        null_declared: nb.declared,
        trials: tally.trials,
    };
    let command = format!(
        "endotrial report {SCENARIO_COPY} --replicates {} --seed {}",
        d.replicates, d.seed
    );
    let provenance = report::provenance::Provenance::of(&scenario.text, SCENARIO_COPY, command);
    let md = bayesian_report_markdown(d, &results, &provenance);
    let dir = args.sim.out.join(&d.name);
    write_file(&dir.join(SCENARIO_COPY), scenario.text.as_bytes())?;
    if let Some(svg) = super::allocation_figure(d, &tally) {
        write_file(
            &dir.join(crate::output::plot::ALLOCATION_SVG),
            svg.as_bytes(),
        )?;
    }
    write_file(&dir.join("report.md"), md.as_bytes())?;
    write_file(
        &dir.join("report.html"),
        report::report_html(&md, &format!("Bayesian design report: {}", d.name)).as_bytes(),
    )?;
    print!("{}", bayesian_report_text(d, &results));
    println!(
        "  -> {}\n  -> {}",
        dir.join("report.md").display(),
        dir.join("report.html").display()
    );
    Ok(())
}

/// `size` of a Bayesian design: the smallest maximum N at which the targeted arms' chance of
/// being declared superior (or the strata's of ending conclusively) reaches `--power`.
fn bayesian_size(
    args: &SizeArgs,
    scenario: &Scenario,
    pool: &rayon::ThreadPool,
) -> anyhow::Result<()> {
    use crate::tools::bayesian_size::{Aim, Candidate, Targets, refusal, search};
    let d = &scenario.design;
    check_target(args.power)?;
    let plan = d.bayesian().expect("a Bayesian design");
    if args.hypothesis.is_some() {
        return Err(BadInput(format!(
            "{}: --hypothesis applies to a frequentist design's analysis.hypotheses; a Bayesian design's targets are chosen with --arm, --label and --conclusive",
            d.name
        ))
        .into());
    }
    if let Some(why) = refusal(plan) {
        return Err(BadInput(format!("{}: `size`: {why}", d.name)).into());
    }
    let aim = if args.conclusive {
        Aim::Conclusive
    } else {
        Aim::Superior
    };
    if args.conclusive && args.arm.is_some() {
        return Err(BadInput(format!(
            "{}: --conclusive searches a stratum's chance of ending conclusively: drop --arm",
            d.name
        ))
        .into());
    }
    let targets = Targets::of(d, aim, args.arm.as_deref(), args.label.as_deref())
        .map_err(|e| BadInput(format!("{}: {e}", d.name)))?;
    let bar = search_bar(args.sim.quiet, &d.name);
    let found = search(d, args.power, (args.min, args.max), |at| {
        bar.set_message(format!("N = {}", at.sample_size));
        let tally = pool.install(|| crate::engine::simulate(at, 0..at.replicates, &|_| {}));
        bar.inc(1);
        Candidate::of(at, &tally, &targets)
    });
    bar.finish_and_clear();
    print!(
        "{}",
        report::bayesian::bayesian_size_text(d, &found, &targets, args.power)
    );
    let path = args.sim.out.join(&d.name).join("sample_size.csv");
    write_file(
        &path,
        &output::bayesian_csv::sample_size_csv(d, &found, &targets),
    )?;
    println!("  -> {}", path.display());
    if found.chosen.is_none() {
        return Err(BadInput(format!(
            "{}: target {} not reached for a maximum N up to {}: raise --max or revisit the design",
            d.name, args.power, found.max
        ))
        .into());
    }
    Ok(())
}
