#!/usr/bin/env bash
# endotrial against its numpy peer, measured in the same run on the same machine, as a user runs
# them (wall clock, whole process). Builds the release binary, times
#   endotrial run scenarios/immunosep.toml --replicates R --quiet   (all cores, then 1 thread)
#   benches/peers/numpy_theranostic.py scenarios/immunosep.toml R   (one core)
# and prints the rates and their ratios; the book's speed table (docs/src/performance.md) is this output.
# Usage: benches/versus.sh [REPLICATES] (default 4000000). numpy absent: the peer is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
replicates=${1:-4000000}
scenario=scenarios/immunosep.toml
out=$(mktemp -d /tmp/endotrial-versus.XXXXXX)
trap 'rm -rf "$out"' EXIT

cargo build --release --locked --quiet
bin=target/release/endotrial

# shellcheck source=benches/timing.sh
. benches/timing.sh
rate() { awk -v r="$replicates" -v s="$1" 'BEGIN { printf "%.2f", r / s / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

cores=$(nproc)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
echo "machine: $cores cores ($cpu); $(date -u +%Y-%m-%d); $replicates trials of $scenario"
echo "all measured in this run, wall clock, best of 3"
echo

all=$(seconds "$bin" run "$scenario" --replicates "$replicates" --quiet --out "$out")
one=$(seconds "$bin" run "$scenario" --replicates "$replicates" --quiet --threads 1 --out "$out")
printf '%-44s %8s s  %6s million trials/s\n' "endotrial run ($cores threads)" "$all" "$(rate "$all")"
printf '%-44s %8s s  %6s million trials/s\n' "endotrial run (1 thread)" "$one" "$(rate "$one")"
# The same design tested with Fisher's exact test (the costliest decision), endotrial only.
sed 's/^test = "chi_square"/test = "fisher_exact"/' "$scenario" > "$out/fisher.toml"
f_all=$(seconds "$bin" run "$out/fisher.toml" --replicates "$replicates" --quiet --out "$out")
f_one=$(seconds "$bin" run "$out/fisher.toml" --replicates "$replicates" --quiet --threads 1 --out "$out")
printf '%-44s %8s s  %6s million trials/s\n' "endotrial run, fisher_exact ($cores threads)" "$f_all" "$(rate "$f_all")"
printf '%-44s %8s s  %6s million trials/s\n' "endotrial run, fisher_exact (1 thread)" "$f_one" "$(rate "$f_one")"

python=""
for candidate in python3 /usr/bin/python3; do
  if command -v "$candidate" >/dev/null && "$candidate" -c 'import numpy' 2>/dev/null; then
    python=$candidate
    break
  fi
done
if [ -z "$python" ]; then
  echo "numpy peer skipped: no python3 with numpy (Debian: apt-get install python3-numpy)"
  exit 0
fi
peer=$(seconds env OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$python" \
  benches/peers/numpy_theranostic.py "$scenario" "$replicates")
printf '%-44s %8s s  %6s million trials/s\n' "numpy peer (1 core, pooled test only)" "$peer" "$(rate "$peer")"
echo
echo "endotrial ($cores threads) / numpy: $(ratio "$peer" "$all")x"
echo "endotrial (1 thread) / numpy:  $(ratio "$peer" "$one")x"
