#!/usr/bin/env bash
# A two-stage binary design with sample-size re-estimation: endotrial against rpact's
# getSimulationRates with conditionalPower, measured in the same run on the same machine
# (issue 33's speed check). The design is scenarios/immunosep_reestimation.toml: an interim at
# 140 of 280 patients, O'Brien-Fleming-type spending, non-binding futility at z = 0, the second
# stage sized for conditional power 0.9 at the observed rates, 140 to 420 patients, inverse
# normal combination, one-sided alpha 0.025.
#   endotrial: `endotrial run` wall clock, whole process (all cores, then 1 thread), with what
#     only it models (endotype labels, dropout, screening) and each trial run a second time on
#     the null boundary (the type I error): two trials simulated per trial counted;
#   rpact: the getSimulationRates() call alone (R and package start-up excluded), on the
#     marginal risks of the same design (0.2839 vs 0.1790).
# Usage: benches/versus_reestimation.sh [REPLICATES] [RPACT_ITERATIONS] (defaults 4000000, 200000).
# Without R and rpact (apt-get install r-base-core r-cran-rpact) the peer is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
replicates=${1:-4000000}
iterations=${2:-200000}
out=$(mktemp -d /tmp/endotrial-versus-ssr.XXXXXX)
trap 'rm -rf "$out"' EXIT

cargo build --release --locked --quiet
bin=target/release/endotrial
scenario=scenarios/immunosep_reestimation.toml

# shellcheck source=benches/timing.sh
. benches/timing.sh
rate() { awk -v r="$1" -v s="$2" 'BEGIN { printf "%.3f", r / s / 1e6 }'; }

cores=$(nproc)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
echo "machine: $cores cores ($cpu); $(date -u +%Y-%m-%d); immunosep_reestimation, N 280 (140 to 560)"
echo "all measured in this run, best of 3"
echo
all=$(seconds "$bin" run "$scenario" --replicates "$replicates" --quiet --out "$out")
one=$(seconds "$bin" run "$scenario" --replicates "$replicates" --quiet --threads 1 --out "$out")
printf '%-60s %8s s  %7s million trials/s\n' "endotrial run ($cores threads, $replicates trials, + null)" "$all" "$(rate "$replicates" "$all")"
printf '%-60s %8s s  %7s million trials/s\n' "endotrial run (1 thread)" "$one" "$(rate "$replicates" "$one")"

if ! Rscript -e 'library(rpact)' >/dev/null 2>&1; then
  echo "rpact peer skipped: no R with rpact (apt-get install r-base-core r-cran-rpact)"
  exit 0
fi
peer=$(Rscript -e "
suppressMessages(library(rpact))
d <- getDesignInverseNormal(kMax = 2, alpha = 0.025, sided = 1, typeOfDesign = 'asOF',
  informationRates = c(0.5, 1), futilityBounds = 0, bindingFutility = FALSE)
best <- Inf
for (i in 1:3) {
  t <- system.time(getSimulationRates(d, groups = 2, pi1 = 0.2839, pi2 = 0.1790,
    plannedSubjects = c(140, 280), conditionalPower = 0.9,
    minNumberOfSubjectsPerStage = c(140, 140), maxNumberOfSubjectsPerStage = c(140, 420),
    maxNumberOfIterations = $iterations, seed = i))[['elapsed']]
  best <- min(best, t)
}
cat(sprintf('%.3f', best))
")
printf '%-60s %8s s  %7s million trials/s\n' "rpact $(Rscript -e 'cat(format(packageVersion("rpact")))') getSimulationRates (1 core, $iterations)" "$peer" "$(rate "$iterations" "$peer")"
echo
echo "endotrial ($cores threads) / rpact: $(awk -v a="$all" -v b="$peer" -v r="$replicates" -v i="$iterations" 'BEGIN { printf "%.0f", (r / a) / (i / b) }')x"
echo "endotrial (1 thread) / rpact:  $(awk -v a="$one" -v b="$peer" -v r="$replicates" -v i="$iterations" 'BEGIN { printf "%.0f", (r / a) / (i / b) }')x"
