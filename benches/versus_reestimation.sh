#!/usr/bin/env bash
# Designs with sample-size re-estimation: endotrial against rpact, measured in the same run on
# the same machine (issue 33's speed check).
# - Patients: scenarios/immunosep_reestimation.toml, an interim at 140 of 280 patients,
#   O'Brien-Fleming-type spending, non-binding futility at z = 0, the second stage sized for
#   conditional power 0.9 at the observed rates, 140 to 420 patients; against
#   getSimulationRates with conditionalPower on the marginal risks (0.2839 vs 0.1790).
# - Deaths: scenarios/classic_event_driven_reestimation.toml, an interim at the 190th of 380
#   deaths, the final analysis re-sized for conditional power 0.8 at the observed hazard ratio,
#   380 to 790 deaths of at most 1,600 patients; against getSimulationSurvival with
#   conditionalPower (the same design: exponential, uniform accrual over 720 days).
# Both inverse normal, one-sided alpha 0.025.
#   endotrial: `endotrial run` wall clock, whole process (all cores, then 1 thread), with what
#     only it models (endotype labels, dropout, screening) and each trial run a second time on
#     the null boundary (the type I error): two trials simulated per trial counted;
#   rpact: the simulation call alone (R and package start-up excluded).
# Usage: benches/versus_reestimation.sh [REPLICATES] [RPACT_ITERATIONS] (patients; deaths use a
# twentieth of each; defaults 4000000, 200000). Without R and rpact (apt-get install
# r-base-core r-cran-rpact) the peer is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
replicates=${1:-4000000}
iterations=${2:-200000}
out=$(mktemp -d /tmp/endotrial-versus-ssr.XXXXXX)
trap 'rm -rf "$out"' EXIT

cargo build --release --locked --quiet
bin=target/release/endotrial

# shellcheck source=benches/timing.sh
. benches/timing.sh
rate() { awk -v r="$1" -v s="$2" 'BEGIN { printf "%.4f", r / s / 1e6 }'; }
line() { printf '%-66s %8s s  %7s million trials/s\n' "$1" "$2" "$(rate "$3" "$2")"; }
have_rpact=1
Rscript -e 'library(rpact)' >/dev/null 2>&1 || have_rpact=0

cores=$(nproc)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
echo "machine: $cores cores ($cpu); $(date -u +%Y-%m-%d); all measured in this run, best of 3"

# versus NAME REPLICATES ITERATIONS R_CALL: endotrial on scenarios/NAME.toml against the rpact
# call R_CALL (which reads `iterations` and `i`, the seed), and the ratios.
versus() {
  local name=$1 reps=$2 iters=$3 call=$4
  echo
  echo "$name"
  local all one peer
  all=$(seconds "$bin" run "scenarios/$name.toml" --replicates "$reps" --quiet --out "$out")
  one=$(seconds "$bin" run "scenarios/$name.toml" --replicates "$reps" --quiet --threads 1 --out "$out")
  line "endotrial run ($cores threads, $reps trials, + null)" "$all" "$reps"
  line "endotrial run (1 thread)" "$one" "$reps"
  if [ "$have_rpact" = 0 ]; then
    echo "rpact peer skipped: no R with rpact (apt-get install r-base-core r-cran-rpact)"
    return
  fi
  peer=$(Rscript -e "
suppressMessages(library(rpact))
iterations <- $iters
best <- Inf
for (i in 1:3) best <- min(best, system.time($call)[['elapsed']])
cat(sprintf('%.3f', best))
")
  line "rpact $(Rscript -e 'cat(format(packageVersion("rpact")))') (1 core, $iters iterations)" "$peer" "$iters"
  echo "endotrial ($cores threads) / rpact: $(awk -v a="$all" -v b="$peer" -v r="$reps" -v i="$iters" 'BEGIN { printf "%.0f", (r / a) / (i / b) }')x"
  echo "endotrial (1 thread) / rpact:  $(awk -v a="$one" -v b="$peer" -v r="$reps" -v i="$iters" 'BEGIN { printf "%.0f", (r / a) / (i / b) }')x"
}

versus immunosep_reestimation "$replicates" "$iterations" "getSimulationRates(
  getDesignInverseNormal(kMax = 2, alpha = 0.025, sided = 1, typeOfDesign = 'asOF',
    informationRates = c(0.5, 1), futilityBounds = 0, bindingFutility = FALSE),
  groups = 2, pi1 = 0.2839, pi2 = 0.1790, plannedSubjects = c(140, 280),
  conditionalPower = 0.9, minNumberOfSubjectsPerStage = c(140, 140),
  maxNumberOfSubjectsPerStage = c(140, 420), maxNumberOfIterations = iterations, seed = i)"

versus classic_event_driven_reestimation $((replicates / 20)) $((iterations / 20)) "getSimulationSurvival(
  getDesignInverseNormal(kMax = 2, alpha = 0.025, sided = 1, typeOfDesign = 'asOF',
    informationRates = c(0.5, 1)),
  hazardRatio = 0.8, lambda2 = -log(0.7) / 28, accrualTime = c(0, 720),
  maxNumberOfSubjects = 1600, plannedEvents = c(190, 380), directionUpper = FALSE,
  conditionalPower = 0.8, minNumberOfEventsPerStage = c(NA, 190),
  maxNumberOfEventsPerStage = c(NA, 600), maxNumberOfIterations = iterations, seed = i,
  longTimeSimulationAllowed = TRUE)"
