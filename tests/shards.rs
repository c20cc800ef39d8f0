//! Shards and their merge: any complete set merges into the single run's bytes; incomplete,
//! duplicated or mismatched sets are refused with exit 2.

use std::fs;
use std::path::{Path, PathBuf};

use crate::common::{cli, shipped_path};
use endotrial::engine::shard::Shard;
use endotrial::engine::tally::sequential::SequentialTally;
use endotrial::engine::tally::survival::SurvivalTally;
use endotrial::engine::tally::{DesignTally, EndpointTally, Tally};
use predicates::str::contains;

fn scenario() -> PathBuf {
    shipped_path("immunosep.toml")
}

/// Runs the scenario; `extra` may override the default --replicates 20001 and --seed 3.
fn run(out: &Path, extra: &[&str]) {
    let mut args = vec!["run", "--quiet"];
    if !extra.contains(&"--replicates") {
        args.extend(["--replicates", "20001"]);
    }
    if !extra.contains(&"--seed") {
        args.extend(["--seed", "3"]);
    }
    cli()
        .args(args)
        .args(extra)
        .arg("--out")
        .arg(out)
        .arg(scenario())
        .assert()
        .success();
}

fn shards(out: &Path, n: u64, extra: &[&str]) -> PathBuf {
    for k in 1..=n {
        let spec = format!("{k}/{n}");
        let mut args = vec!["--shard", spec.as_str()];
        args.extend_from_slice(extra);
        run(out, &args);
    }
    out.join("immunosep/shards")
}

#[test]
fn merged_shards_are_byte_identical_to_a_single_run() {
    let dir = tempfile::tempdir().unwrap();
    run(&dir.path().join("single"), &[]);
    let single = fs::read(dir.path().join("single/immunosep/summary.csv")).unwrap();
    for n in [1, 2, 7] {
        let out = dir.path().join(format!("sharded{n}"));
        let shard_dir = shards(&out, n, &["--threads", if n == 2 { "1" } else { "2" }]);
        cli().arg("merge").arg(&shard_dir).assert().success();
        let merged = fs::read(out.join("immunosep/summary.csv")).unwrap();
        assert_eq!(merged, single, "{n} shards");
        assert_eq!(
            fs::read(out.join("immunosep/scenario.toml")).unwrap(),
            fs::read(dir.path().join("single/immunosep/scenario.toml")).unwrap()
        );
    }
}

/// The continuous (patient level, with responders), ordinal, re-estimated (patients, deaths) and Bayesian (errors
/// kept as a multiset of exact values) tallies merge to the single run's files, byte for byte, whatever
/// the shards' threads.
#[test]
fn continuous_ordinal_and_bayesian_shards_merge_to_the_single_run() {
    let dir = tempfile::tempdir().unwrap();
    for (name, files) in [
        ("immunosep_sofa", &["summary.csv", "subgroups.csv"][..]),
        ("immunosep_osfd", &["summary.csv", "subgroups.csv"][..]),
        // Stages of random size, each trial also run under the null.
        (
            "immunosep_reestimation",
            &["summary.csv", "sequential.csv"][..],
        ),
        // Deaths re-estimated: each trial's deaths kept for the quantiles.
        (
            "classic_event_driven_reestimation",
            &["summary.csv", "sequential.csv"][..],
        ),
        (
            "immunosep_platform_basic",
            &["summary.csv", "bayesian.csv", "allocation.csv"][..],
        ),
        // Each label adapting on its own: screening drawn as the labels close.
        (
            "immunosep_platform",
            &["summary.csv", "bayesian.csv", "allocation.csv"][..],
        ),
    ] {
        let scenario = shipped_path(&format!("{name}.toml"));
        let go = |out: &Path, extra: &[&str]| {
            cli()
                .args(["run", "--quiet", "--replicates", "6001", "--seed", "5"])
                .args(extra)
                .arg("--out")
                .arg(out)
                .arg(&scenario)
                .assert()
                .success();
        };
        let single = dir.path().join(format!("{name}-single"));
        go(&single, &[]);
        let sharded = dir.path().join(format!("{name}-sharded"));
        for (k, threads) in [("1/3", "1"), ("2/3", "2"), ("3/3", "1")] {
            go(&sharded, &["--shard", k, "--threads", threads]);
        }
        cli()
            .arg("merge")
            .arg(sharded.join(name).join("shards"))
            .assert()
            .success();
        for file in files {
            assert_eq!(
                fs::read(sharded.join(name).join(file)).unwrap(),
                fs::read(single.join(name).join(file)).unwrap(),
                "{name}: {file}"
            );
        }
    }
}

#[test]
fn incomplete_duplicated_or_mismatched_shards_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let shard_dir = shards(&dir.path().join("a"), 3, &[]);
    let merge_fails = |what: &str, message: &str| {
        cli()
            .arg("merge")
            .arg(&shard_dir)
            .assert()
            .code(2)
            .stderr(contains(message.to_string()));
        assert!(
            !dir.path().join("a/immunosep/summary.csv").exists(),
            "{what}: a summary was written"
        );
    };
    let second = shard_dir.join("2-of-3.json");
    let original = fs::read_to_string(&second).unwrap();

    fs::remove_file(&second).unwrap();
    merge_fails("missing", "missing shard(s) 2 of 3");

    fs::write(&second, &original).unwrap();
    fs::write(shard_dir.join("2-of-3.copy.json"), &original).unwrap();
    merge_fails("duplicate", "are both shard 2 of 3");
    fs::remove_file(shard_dir.join("2-of-3.copy.json")).unwrap();

    // Shards of another seed, other replicates or another scenario.
    let other = dir.path().join("b");
    shards(&other, 3, &["--seed", "4"]);
    fs::copy(other.join("immunosep/shards/2-of-3.json"), &second).unwrap();
    merge_fails("seed", "seed (3 vs 4)");

    let other = dir.path().join("c");
    shards(&other, 3, &["--replicates", "20002"]);
    fs::copy(other.join("immunosep/shards/2-of-3.json"), &second).unwrap();
    merge_fails("replicates", "replicates");

    let text = fs::read_to_string(scenario())
        .unwrap()
        .replace("dropout = 0.018", "dropout = 0.05");
    let changed = dir.path().join("changed.toml");
    fs::write(&changed, text).unwrap();
    cli()
        .args([
            "run",
            "--quiet",
            "--replicates",
            "20001",
            "--seed",
            "3",
            "--shard",
            "2/3",
            "--out",
        ])
        .arg(dir.path().join("d"))
        .arg(&changed)
        .assert()
        .success();
    fs::copy(dir.path().join("d/immunosep/shards/2-of-3.json"), &second).unwrap();
    merge_fails("scenario", "scenario file contents");

    fs::write(
        &second,
        original.replace(
            "\"engine\":\"endotrial ",
            "\"engine\":\"endotrial 0.0.0-old ",
        ),
    )
    .unwrap();
    merge_fails("engine", "engine version");

    fs::write(&second, "{ not json").unwrap();
    merge_fails("corrupt", "not a shard file");

    fs::write(&second, &original).unwrap();
    cli().arg("merge").arg(&shard_dir).assert().success();
}

/// An edit of a shard's tally.
type Edit = dyn Fn(&mut Tally);

/// A shard whose tally no trial could produce is refused by name, exit 2, nothing written: more
/// rejections than trials (before issue 29 it merged into a power of 1.39 with an empty SE),
/// coverage beyond the estimable trials, a screening histogram that does not count each trial
/// once, and a tally of another shape.
#[test]
fn an_impossible_shard_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let shard_dir = shards(&dir.path().join("a"), 2, &[]);
    let second = shard_dir.join("2-of-2.json");
    let original = fs::read(&second).unwrap();
    let shard: Shard = serde_json::from_slice(&original).unwrap();
    assert_eq!(shard.tally.trials, 10_001);
    let edits: [(&str, &Edit); 6] = [
        (
            "comparisons[0].rejections is 13900, more than the 10001 possible",
            &|t| t.comparisons[0].rejections = 13_900,
        ),
        ("comparisons[0].covered", &|t| {
            t.comparisons[0].covered = t.comparisons[0].estimable + 1
        }),
        ("screened counts 10002 trials", &|t| t.screened[0] += 1),
        (
            "comparisons[0].subgroups: 1 entries where the design has 2",
            &|t| {
                t.comparisons[0].subgroups.pop();
            },
        ),
        // A block of another kind of endpoint or design than the scenario's.
        (
            "endpoint: the tally's kind of endpoint is not the design's",
            &|t| t.endpoint = EndpointTally::TimeToEvent(SurvivalTally::default()),
        ),
        (
            "design: the tally's kind of design is not the design's",
            &|t| t.design = DesignTally::GroupSequential(SequentialTally::default()),
        ),
    ];
    for (message, edit) in edits {
        let mut broken = shard.clone();
        edit(&mut broken.tally);
        fs::write(&second, broken.to_json()).unwrap();
        cli()
            .arg("merge")
            .arg(&shard_dir)
            .assert()
            .code(2)
            .stderr(contains(
                "2-of-2.json: not a tally this scenario can produce",
            ))
            .stderr(contains(message));
        assert!(
            !dir.path().join("a/immunosep/summary.csv").exists(),
            "{message}"
        );
    }
    fs::write(&second, &original).unwrap();
    cli().arg("merge").arg(&shard_dir).assert().success();
}

/// Every shipped scenario's tally (binary, sequential, biomarker, enrichment, time to event at
/// count and patient level, with interim looks) satisfies the invariants a merge checks: the
/// check refuses no tally the engine produces.
#[test]
fn every_shipped_scenario_tally_passes_the_merge_checks() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut names: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    assert!(names.len() >= 25);
    for path in names {
        let mut s = endotrial::model::scenario::Scenario::load(&path).unwrap();
        s.design.replicates = 3000;
        let tally = endotrial::engine::simulate(&s.design, 0..3000, &|_| {});
        endotrial::engine::tally::check::check(&tally, &s.design)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}
