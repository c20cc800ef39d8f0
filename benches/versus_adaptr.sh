#!/usr/bin/env bash
# endotrial's Bayesian adaptive designs against adaptr 1.4.0, measured in the same run on the
# same machine (wall clock, whole process for endotrial, best of 3; adaptr's run_trials alone,
# once, on every core):
#   the Overview vignette's design (3 arms, no control, 18 analyses, pipeline, RAR, equivalence)
#   two arms with a common control, 20 analyses (adaptr's default RAR)
# Usage: benches/versus_adaptr.sh [EXACT_TRIALS] [DRAWS_TRIALS] [ADAPTR_TRIALS]
# (defaults 4000, 1000, 400). R or adaptr absent: that peer is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
exact_n=${1:-4000}
draws_n=${2:-1000}
adaptr_n=${3:-400}
out=$(mktemp -d /tmp/endotrial-versus.XXXXXX)
trap 'rm -rf "$out"' EXIT

cargo build --release --locked --quiet
bin=target/release/endotrial
# shellcheck source=benches/timing.sh
. benches/timing.sh
cores=$(nproc)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
echo "machine: $cores cores ($cpu); $(date -u +%Y-%m-%d); wall clock"
echo
row() { printf '%-44s %7s trials %8s s  %9.1f trials/s\n' "$1" "$2" "$3" "$(awk -v r="$2" -v s="$3" 'BEGIN { print r / s }')"; }
for design in vignette two_arm; do
  toml=benches/peers/bayesian/$design.toml
  sed 's/^\[bayesian\]/[bayesian]\nposterior = "draws"\nn_draws = 5000/' "$toml" > "$out/${design}_draws.toml"
  row "endotrial $design exact ($cores threads)" "$exact_n" \
    "$(seconds "$bin" run "$toml" --replicates "$exact_n" --quiet --out "$out")"
  row "endotrial $design 5000 draws ($cores threads)" "$draws_n" \
    "$(seconds "$bin" run "$out/${design}_draws.toml" --replicates "$draws_n" --quiet --out "$out")"
  if command -v Rscript >/dev/null && Rscript -e 'library(adaptr)' >/dev/null 2>&1; then
    row "adaptr $design run_trials ($cores cores)" "$adaptr_n" \
      "$(Rscript benches/peers/adaptr_loop.R "$design" "$adaptr_n")"
  else
    echo "adaptr: not installed (R CMD INSTALL a clone of INCEPTdk/adaptr)"
  fi
done
