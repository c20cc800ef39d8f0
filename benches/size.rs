//! A full sample-size search on the shipped ImmunoSep scenario at its default settings (100,000
//! trials per candidate, 80% power): the target is under 10 s on a 2-core machine.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use endotrial::model::scenario::Scenario;
use endotrial::tools::size::{self, SizeOptions};

fn size_search(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/immunosep.toml");
    let s = Scenario::load(&path).expect("shipped scenario is valid");
    let opts = SizeOptions {
        target: 0.8,
        searched: size::Searched::default_for(&s.design),
        arms: s.design.comparisons().collect(),
        min: None,
        max: None,
    };
    let mut group = c.benchmark_group("size");
    group.sample_size(10);
    group.bench_function("immunosep_80_percent", |b| {
        b.iter(|| black_box(size::search(&s.design, &opts, &|_| {})))
    });
    group.finish();
}

criterion_group!(benches, size_search);
criterion_main!(benches);
