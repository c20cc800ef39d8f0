//! Cost of sharding: the same 400,000 ImmunoSep trials as one run, and as 8 shards each written
//! to its JSON file form, read back and merged (what `run --shard` + `merge` add).

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use endotrial::engine;
use endotrial::engine::shard::{self, Shard, ShardSpec};
use endotrial::model::scenario::Scenario;

const TRIALS: u64 = 400_000;
const SHARDS: u64 = 8;

fn sharding(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/immunosep.toml");
    let mut s = Scenario::load(&path).expect("shipped scenario is valid");
    s.override_simulation(Some(TRIALS), None).unwrap();
    let mut group = c.benchmark_group("sharding");
    group.throughput(Throughput::Elements(TRIALS));
    group.sample_size(10);
    group.bench_function("single_run", |b| {
        b.iter(|| black_box(engine::simulate(&s.design, 0..TRIALS, &|_| {})))
    });
    group.bench_function("8_shards_json_merge", |b| {
        b.iter(|| {
            let files: Vec<(PathBuf, Shard)> = (1..=SHARDS)
                .map(|index| {
                    let spec = ShardSpec {
                        index,
                        count: SHARDS,
                    };
                    let tally = engine::simulate(&s.design, spec.trials(TRIALS), &|_| {});
                    let json = Shard::new(&s, spec, tally).to_json();
                    let back: Shard = serde_json::from_slice(&json).unwrap();
                    (PathBuf::from(spec.file_name()), back)
                })
                .collect();
            black_box(shard::merge(Path::new("."), &files).unwrap())
        })
    });
    group.finish();
}

criterion_group!(benches, sharding);
criterion_main!(benches);
