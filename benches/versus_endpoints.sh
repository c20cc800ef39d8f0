#!/usr/bin/env bash
# endotrial's continuous and ordinal endpoints against their peers, measured in the same run on
# the same machine, as a user runs them (wall clock, whole process, best of 3):
#   endotrial run immunosep_sofa.toml (without its responder threshold: count level, t test)
#   endotrial run scenarios/immunosep_osfd.toml (6 levels, 280 patients, proportional odds)
#   benches/peers/numpy_endpoints.py on both (vectorised over trials, one core, pooled test only)
#   benches/peers/polr_loop.R (MASS::polr in a loop; the loop alone, R's start-up excluded)
# Usage: benches/versus_endpoints.sh [CONTINUOUS_TRIALS] [ORDINAL_TRIALS] [R_TRIALS]
# (defaults 4000000, 1000000, 2000). numpy or R absent: that peer is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
continuous_n=${1:-4000000}
ordinal_n=${2:-1000000}
r_n=${3:-2000}
out=$(mktemp -d /tmp/endotrial-versus.XXXXXX)
trap 'rm -rf "$out"' EXIT

cargo build --release --locked --quiet
bin=target/release/endotrial
# shellcheck source=benches/timing.sh
. benches/timing.sh
rate() { awk -v r="$1" -v s="$2" 'BEGIN { printf "%.3f", r / s / 1e6 }'; }

sed '/^responder_below/d' scenarios/immunosep_sofa.toml > "$out/sofa.toml"
ordinal=scenarios/immunosep_osfd.toml
cores=$(nproc)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
echo "machine: $cores cores ($cpu); $(date -u +%Y-%m-%d); wall clock, best of 3"
echo

row() { printf '%-52s %10s trials %8s s  %7s million trials/s\n' "$1" "$2" "$3" "$(rate "$2" "$3")"; }
c_all=$(seconds "$bin" run "$out/sofa.toml" --replicates "$continuous_n" --quiet --out "$out")
c_one=$(seconds "$bin" run "$out/sofa.toml" --replicates "$continuous_n" --quiet --threads 1 --out "$out")
row "endotrial continuous t test ($cores threads)" "$continuous_n" "$c_all"
row "endotrial continuous t test (1 thread)" "$continuous_n" "$c_one"
o_all=$(seconds "$bin" run "$ordinal" --replicates "$ordinal_n" --quiet --out "$out")
o_one=$(seconds "$bin" run "$ordinal" --replicates "$ordinal_n" --quiet --threads 1 --out "$out")
row "endotrial ordinal proportional odds ($cores threads)" "$ordinal_n" "$o_all"
row "endotrial ordinal proportional odds (1 thread)" "$ordinal_n" "$o_one"

python=""
for candidate in python3 /usr/bin/python3; do
  if command -v "$candidate" >/dev/null && "$candidate" -c 'import numpy, scipy' 2>/dev/null; then
    python=$candidate
    break
  fi
done
if [ -n "$python" ]; then
  peer() { env OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$python" benches/peers/numpy_endpoints.py "$@"; }
  c_peer=$(seconds peer "$out/sofa.toml" "$continuous_n")
  o_peer_n=$((ordinal_n / 5))
  o_peer=$(seconds peer "$ordinal" "$o_peer_n")
  row "numpy continuous (1 core, pooled test only)" "$continuous_n" "$c_peer"
  row "numpy ordinal (1 core, pooled fit only)" "$o_peer_n" "$o_peer"
  echo
  awk -v a="$c_all" -v p="$c_peer" 'BEGIN { printf "continuous: endotrial (all threads) / numpy: %.1fx\n", p / a }'
  awk -v a="$o_all" -v p="$o_peer" -v n="$ordinal_n" -v m="$o_peer_n" \
    'BEGIN { printf "ordinal: endotrial (all threads) / numpy: %.1fx\n", (n / a) / (m / p) }'
else
  echo "numpy peers skipped: no python3 with numpy and scipy (pip install numpy scipy)"
fi
if command -v Rscript >/dev/null && Rscript -e 'library(MASS)' 2>/dev/null; then
  echo
  Rscript benches/peers/polr_loop.R "$r_n"
else
  echo "R peer skipped: no Rscript with MASS (Debian: apt-get install r-base-core)"
fi
