//! Throughput of the engine on the shipped ImmunoSep scenario, in trials per second (criterion's
//! "elem/s"), with each test the analysis can use. Runs on all cores, as `endotrial run` does.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use endotrial::engine;
use endotrial::model::scenario::Scenario;
use endotrial::model::vocabulary::TestKind;
use endotrial::stats::survival::{LogRank, RiskSet, cox};
use rand::RngExt;
use rand_distr::Exp1;

const TRIALS: u64 = 200_000;

fn immunosep(test: TestKind) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/immunosep.toml");
    let mut s = Scenario::load(&path).expect("shipped scenario is valid");
    s.design.analysis.test = test;
    s
}

fn throughput(c: &mut Criterion) {
    let mut group = c.benchmark_group("immunosep");
    group.throughput(Throughput::Elements(TRIALS));
    group.sample_size(10);
    for test in [
        TestKind::ChiSquare,
        TestKind::ChiSquareYates,
        TestKind::FisherExact,
        TestKind::Cmh,
    ] {
        let s = immunosep(test);
        group.bench_function(test.as_str(), |b| {
            b.iter(|| black_box(engine::simulate(&s.design, 0..TRIALS, &|_| {})))
        });
    }
    // The same with three hypotheses (overall and both labels) under Holm's procedure.
    let mut s = immunosep(TestKind::ChiSquare);
    let text = s.text.replace(
        "alternative = \"two_sided\"",
        "alternative = \"two_sided\"\nhypotheses = [\"overall\", \"mals\", \"immunoparalysis\"]\nmultiplicity = \"holm\"",
    );
    s = Scenario::from_text(&s.path, text).expect("valid");
    group.bench_function("chi_square_holm_3_hypotheses", |b| {
        b.iter(|| black_box(engine::simulate(&s.design, 0..TRIALS, &|_| {})))
    });
    // The shipped group-sequential ImmunoSep with three looks (1/3, 2/3, 1; futility at z = 0),
    // as benches/versus_sequential.sh runs it against rpact.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/immunosep_sequential.toml");
    let text = std::fs::read_to_string(&path)
        .expect("shipped scenario")
        .replace(
            "looks = [0.5, 1.0]",
            "looks = [0.3333333333333333, 0.6666666666666666, 1.0]",
        )
        .replace("futility_bounds = [0.0]", "futility_bounds = [0.0, 0.0]");
    let s = Scenario::from_text(&path, text).expect("valid");
    group.bench_function("chi_square_3_looks", |b| {
        b.iter(|| black_box(engine::simulate(&s.design, 0..TRIALS, &|_| {})))
    });
    group.finish();
}

/// The least an exact event-driven trial of `classic_event_driven` must do, measured alone
/// (criterion inner loops, one core): draw the randomisation and death times of the ~600
/// patients randomised by its 380th death (a uniform and a standard exponential each, from the
/// engine's ChaCha8), and fit the Cox model to its 380 risk sets. It bounds how fast
/// patient-level trials can be (the book's time-to-event chapter, docs/src/time-to-event.md: speed).
fn event_driven_floor(c: &mut Criterion) {
    let mut group = c.benchmark_group("event_driven_floor");
    group.bench_function("draw_600_patients_times", |b| {
        let mut rng = engine::trial_rng(engine::run_key(380), 0);
        b.iter(|| {
            let mut sum = 0.0;
            for _ in 0..600 {
                sum += rng.random::<f64>() + rng.sample::<f64, _>(Exp1);
            }
            black_box(sum)
        })
    });
    // 380 deaths among 570 patients, 3 in 7 in the arm, every third censored.
    let mut sets = Vec::new();
    let mut arm = (0..570u64).filter(|i| i % 7 < 3).count() as u64;
    let mut control = 570 - arm;
    for i in 0..570u64 {
        let in_arm = i % 7 < 3;
        if i % 3 != 2 {
            sets.push(RiskSet {
                arm_at_risk: arm,
                arm_events: u64::from(in_arm),
                control_at_risk: control,
                control_events: u64::from(!in_arm),
            });
        }
        if in_arm {
            arm -= 1;
        } else {
            control -= 1;
        }
    }
    assert_eq!(sets.len(), 380);
    let mut log_rank = LogRank::default();
    sets.iter().for_each(|r| log_rank.add(r));
    assert!(cox(&sets, &log_rank).is_some());
    group.bench_function("cox_fit_380_deaths", |b| {
        b.iter(|| black_box(cox(black_box(&sets), &log_rank)))
    });
    group.finish();
}

criterion_group!(benches, throughput, event_driven_floor);
criterion_main!(benches);
