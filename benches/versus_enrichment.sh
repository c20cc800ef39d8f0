#!/usr/bin/env bash
# Adaptive enrichment (issue 9's speed check), measured in the same run on the same machine:
#  1. scenarios/immunosep_enrichment.toml (three populations, random labels, screening, cost);
#  2. the rpact validation design (benches/peers/enrichment_rpact.toml: two populations by
#     quota, best selection, Simes), against rpact's getSimulationEnrichmentRates on the same
#     design (the call alone; R start-up excluded).
# `endotrial run` wall clock, whole process (all cores, then 1 thread).
# Usage: benches/versus_enrichment.sh [REPLICATES] [RPACT_ITERATIONS]
# (defaults 10000000, 4000). Without R and rpact the peer is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
replicates=${1:-10000000}
iterations=${2:-4000}
out=$(mktemp -d /tmp/endotrial-versus-enrichment.XXXXXX)
trap 'rm -rf "$out"' EXIT

cargo build --release --locked --quiet
bin=target/release/endotrial

# shellcheck source=benches/timing.sh
. benches/timing.sh
rate() { awk -v r="$1" -v s="$2" 'BEGIN { printf "%.0f", r / s }'; }

cores=$(nproc)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
echo "machine: $cores cores ($cpu); $(date -u +%Y-%m-%d); all measured in this run, best of 3"
echo
for file in scenarios/immunosep_enrichment.toml benches/peers/enrichment_rpact.toml; do
  name=$(basename "$file" .toml)
  all=$(seconds "$bin" run "$file" --replicates "$replicates" --quiet --out "$out")
  one=$(seconds "$bin" run "$file" --replicates "$replicates" --quiet --threads 1 --out "$out")
  printf '%-58s %8s s  %9s trials/s\n' "endotrial run $name ($cores threads, $replicates)" "$all" "$(rate "$replicates" "$all")"
  printf '%-58s %8s s  %9s trials/s\n' "endotrial run $name (1 thread)" "$one" "$(rate "$replicates" "$one")"
  [ "$name" = enrichment_rpact ] && peer_all=$all && peer_one=$one
done

if ! Rscript -e 'library(rpact)' >/dev/null 2>&1; then
  echo "rpact peer skipped: no R with rpact (apt-get install r-base-core r-cran-rpact)"
  exit 0
fi
peer=$(Rscript -e "
suppressMessages(library(rpact))
d <- getDesignInverseNormal(kMax = 2, alpha = 0.025, sided = 1, informationRates = c(0.5, 1),
  typeOfDesign = 'WT', deltaWT = 0)
effectList <- list(subGroups = c('S', 'R'), prevalences = c(0.3, 0.7), piControl = c(0.3, 0.3),
  piTreatments = matrix(c(0.5, 0.3), nrow = 1))
best <- Inf
for (i in 1:3) {
  t <- system.time(suppressWarnings(getSimulationEnrichmentRates(d, plannedSubjects = c(200, 400),
    effectList = effectList, typeOfSelection = 'best', intersectionTest = 'Simes',
    stratifiedAnalysis = TRUE, directionUpper = TRUE, maxNumberOfIterations = $iterations,
    seed = i)))[['elapsed']]
  best <- min(best, t)
}
cat(sprintf('%.3f', best))
")
printf '%-58s %8s s  %9s trials/s\n' "rpact $(Rscript -e 'cat(format(packageVersion("rpact")))') getSimulationEnrichmentRates (1 core, $iterations)" "$peer" "$(rate "$iterations" "$peer")"
echo
echo "validation design, endotrial ($cores threads) / rpact: $(awk -v a="$peer_all" -v b="$peer" -v r="$replicates" -v i="$iterations" 'BEGIN { printf "%.0f", (r / a) / (i / b) }')x"
echo "validation design, endotrial (1 thread) / rpact:  $(awk -v a="$peer_one" -v b="$peer" -v r="$replicates" -v i="$iterations" 'BEGIN { printf "%.0f", (r / a) / (i / b) }')x"
