//! Throughput of the engine on the shipped ImmunoSep scenario, in trials per second (criterion's
//! "elem/s"), with each test the analysis can use. Runs on all cores, as `endotrial run` does.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use endotrial::engine;
use endotrial::model::scenario::{Scenario, TestKind};

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

criterion_group!(benches, throughput);
criterion_main!(benches);
