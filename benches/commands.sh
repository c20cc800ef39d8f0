#!/usr/bin/env bash
# Whole commands as a user runs them (wall clock, whole process, best of 3), for the book's (docs/src/performance.md)
# figures that are not a comparison with a peer:
#   a full `size` search on ImmunoSep at default settings;
#   4,000,000 ImmunoSep trials as one `run`, and as 8 `run --shard K/8` processes in sequence
#   plus `merge` (the results are compared byte for byte);
#   `check scenarios/ --against results/` on every shipped scenario.
# Usage: benches/commands.sh [REPLICATES] (default 4000000).
set -euo pipefail
cd "$(dirname "$0")/.."
replicates=${1:-4000000}
out=$(mktemp -d /tmp/endotrial-commands.XXXXXX)
trap 'rm -rf "$out"' EXIT

cargo build --release --locked --quiet
bin=target/release/endotrial

# shellcheck source=benches/timing.sh
. benches/timing.sh

cores=$(nproc)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
echo "machine: $cores cores ($cpu); $(date -u +%Y-%m-%d); all measured in this run, wall clock, best of 3"
echo

size=$(seconds "$bin" size scenarios/immunosep.toml --power 0.8 --quiet --out "$out/size")
printf '%-64s %8s s\n' "size scenarios/immunosep.toml --power 0.8" "$size"

one=$(seconds "$bin" run scenarios/immunosep.toml --replicates "$replicates" --quiet --out "$out/one")
printf '%-64s %8s s\n' "run scenarios/immunosep.toml, $replicates trials" "$one"
sharded() {
  rm -rf "$out/sharded"
  for k in 1 2 3 4 5 6 7 8; do
    "$bin" run scenarios/immunosep.toml --replicates "$replicates" --shard "$k/8" --quiet --out "$out/sharded"
  done
  "$bin" merge "$out/sharded/immunosep/shards" --out "$out/merged" >/dev/null
}
shards=$(seconds sharded)
printf '%-64s %8s s\n' "the same as 8 run --shard K/8 in sequence + merge" "$shards"
cmp "$out/one/immunosep/summary.csv" "$out/merged/immunosep/summary.csv"
echo "  (summary.csv byte-identical)"

count=$(ls scenarios/*.toml | wc -l)
check=$(seconds "$bin" check scenarios/ --against results/ --quiet)
printf '%-64s %8s s\n' "check scenarios/ --against results/ ($count scenarios)" "$check"
