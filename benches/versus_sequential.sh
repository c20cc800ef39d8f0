#!/usr/bin/env bash
# A three-look group-sequential design: endotrial against rpact's getSimulationRates, measured in
# the same run on the same machine (issue 8's speed check). The design is ImmunoSep's
# (scenarios/immunosep_sequential.toml) with looks at 1/3, 2/3 and all of N = 282 patients,
# O'Brien-Fleming alpha spending, non-binding futility at z = 0, one-sided alpha 0.025.
#   endotrial: `endotrial run` wall clock, whole process (all cores, then 1 thread), with what
#     only it models: endotype labels, dropout, screening;
#   rpact: the getSimulationRates() call alone (R and package start-up excluded), on the
#     marginal risks of the same design (0.3473 vs 0.1790) with 47 + 47 patients a stage.
# Usage: benches/versus_sequential.sh [REPLICATES] [RPACT_ITERATIONS] (defaults 4000000, 200000).
# Without R and rpact (apt-get install r-base-core r-cran-rpact) the peer is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
replicates=${1:-4000000}
iterations=${2:-200000}
out=$(mktemp -d /tmp/endotrial-versus-seq.XXXXXX)
trap 'rm -rf "$out"' EXIT

cargo build --release --locked --quiet
bin=target/release/endotrial
sed -e 's/^looks = .*/looks = [0.3333333333333333, 0.6666666666666666, 1.0]/' \
    -e 's/^futility_bounds = .*/futility_bounds = [0.0, 0.0]/' \
    -e 's/^sample_size = 280/sample_size = 282/' \
    -e 's/^name = "immunosep_sequential"/name = "three_looks"/' \
    scenarios/immunosep_sequential.toml > "$out/three_looks.toml"

# shellcheck source=benches/timing.sh
. benches/timing.sh
rate() { awk -v r="$1" -v s="$2" 'BEGIN { printf "%.3f", r / s / 1e6 }'; }

cores=$(nproc)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
echo "machine: $cores cores ($cpu); $(date -u +%Y-%m-%d); three-look ImmunoSep design, N = 282"
echo "all measured in this run, best of 3"
echo
all=$(seconds "$bin" run "$out/three_looks.toml" --replicates "$replicates" --quiet --out "$out")
one=$(seconds "$bin" run "$out/three_looks.toml" --replicates "$replicates" --quiet --threads 1 --out "$out")
printf '%-52s %8s s  %7s million trials/s\n' "endotrial run ($cores threads, $replicates trials)" "$all" "$(rate "$replicates" "$all")"
printf '%-52s %8s s  %7s million trials/s\n' "endotrial run (1 thread)" "$one" "$(rate "$replicates" "$one")"

if ! Rscript -e 'library(rpact)' >/dev/null 2>&1; then
  echo "rpact peer skipped: no R with rpact (apt-get install r-base-core r-cran-rpact)"
  exit 0
fi
peer=$(Rscript -e "
suppressMessages(library(rpact))
d <- getDesignGroupSequential(kMax = 3, alpha = 0.025, sided = 1, typeOfDesign = 'asOF',
  informationRates = c(1/3, 2/3, 1), futilityBounds = c(0, 0), bindingFutility = FALSE)
best <- Inf
for (i in 1:3) {
  t <- system.time(getSimulationRates(d, groups = 2, pi1 = 0.3473, pi2 = 0.1790,
    plannedSubjects = c(94, 188, 282), maxNumberOfIterations = $iterations, seed = i))[['elapsed']]
  best <- min(best, t)
}
cat(sprintf('%.3f', best))
")
printf '%-52s %8s s  %7s million trials/s\n' "rpact $(Rscript -e 'cat(format(packageVersion("rpact")))') getSimulationRates (1 core, $iterations)" "$peer" "$(rate "$iterations" "$peer")"
echo
echo "endotrial ($cores threads) / rpact: $(awk -v a="$all" -v b="$peer" -v r="$replicates" -v i="$iterations" 'BEGIN { printf "%.0f", (r / a) / (i / b) }')x"
echo "endotrial (1 thread) / rpact:  $(awk -v a="$one" -v b="$peer" -v r="$replicates" -v i="$iterations" 'BEGIN { printf "%.0f", (r / a) / (i / b) }')x"
