#!/usr/bin/env bash
# Time-to-event designs (issue 10's speed check), measured in the same run on the same machine:
#  1. the event-driven design of scenarios/classic_event_driven.toml (exponential, HR 0.75,
#     analysis at the 380th death, 1,600 patients over 720 days, continuous times): endotrial
#     against rpact's getSimulationSurvival on the same design (the call alone; R start-up
#     excluded);
#     and the same design recorded in whole days (time_resolution = "day", the default and
#     what trial data are: tabulated by day, no sort); rpact's times are continuous;
#  2. a 28-day follow-up design in days, count level: scenarios/immunosep_survival.toml
#     (endotype labels, loss to follow-up, screening, stratified log-rank and Cox).
# `endotrial run` wall clock, whole process (all cores, then 1 thread).
# Usage: benches/versus_survival.sh [EVENT_REPLICATES] [COUNT_REPLICATES] [RPACT_ITERATIONS]
# (defaults 200000, 4000000, 20000). Without R and rpact the peer is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
event_replicates=${1:-200000}
count_replicates=${2:-4000000}
iterations=${3:-20000}
out=$(mktemp -d /tmp/endotrial-versus-surv.XXXXXX)
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
# The event-driven design in whole days: the shipped scenario with only its resolution changed.
sed -e 's/^time_resolution = "continuous"/time_resolution = "day"/' \
  -e 's/^name = "classic_event_driven"/name = "classic_event_driven_days"/' \
  scenarios/classic_event_driven.toml >"$out/classic_event_driven_days.toml"
grep -q '^time_resolution = "day"' "$out/classic_event_driven_days.toml"
for scenario in scenarios/classic_event_driven.toml:"$event_replicates" \
  "$out/classic_event_driven_days.toml":"$event_replicates" \
  scenarios/immunosep_survival.toml:"$count_replicates"; do
  file=${scenario%%:*}
  name=$(basename "$file" .toml)
  n=${scenario##*:}
  all=$(seconds "$bin" run "$file" --replicates "$n" --quiet --out "$out")
  one=$(seconds "$bin" run "$file" --replicates "$n" --quiet --threads 1 --out "$out")
  printf '%-62s %8s s  %9s trials/s\n' "endotrial run $name ($cores threads, $n)" "$all" "$(rate "$n" "$all")"
  printf '%-62s %8s s  %9s trials/s\n' "endotrial run $name (1 thread)" "$one" "$(rate "$n" "$one")"
  case $name in
    classic_event_driven) event_all=$all && event_one=$one ;;
    classic_event_driven_days) days_all=$all && days_one=$one ;;
  esac
done

if ! Rscript -e 'library(rpact)' >/dev/null 2>&1; then
  echo "rpact peer skipped: no R with rpact (apt-get install r-base-core r-cran-rpact)"
  exit 0
fi
peer=$(Rscript -e "
suppressMessages(library(rpact))
d <- getDesignGroupSequential(kMax = 1, alpha = 0.025, sided = 1)
best <- Inf
for (i in 1:3) {
  t <- system.time(getSimulationSurvival(design = d, hazardRatio = 0.75,
    lambda2 = -log(0.7) / 28, accrualTime = c(0, 720), maxNumberOfSubjects = 1600,
    plannedEvents = 380, directionUpper = FALSE, maxNumberOfIterations = $iterations,
    seed = i, longTimeSimulationAllowed = TRUE))[['elapsed']]
  best <- min(best, t)
}
cat(sprintf('%.3f', best))
")
printf '%-62s %8s s  %9s trials/s\n' "rpact $(Rscript -e 'cat(format(packageVersion("rpact")))') getSimulationSurvival (1 core, $iterations)" "$peer" "$(rate "$iterations" "$peer")"
echo
ratio() { awk -v a="$1" -v b="$peer" -v r="$event_replicates" -v i="$iterations" 'BEGIN { printf "%.1f", (r / a) / (i / b) }'; }
echo "event-driven, continuous times, endotrial ($cores threads) / rpact: $(ratio "$event_all")x"
echo "event-driven, continuous times, endotrial (1 thread) / rpact:  $(ratio "$event_one")x"
echo "event-driven, whole days, endotrial ($cores threads) / rpact:       $(ratio "$days_all")x"
echo "event-driven, whole days, endotrial (1 thread) / rpact:        $(ratio "$days_one")x"
