#!/usr/bin/env python3
"""The numpy peer of `endotrial run scenarios/immunosep.toml`: the same theranostic design,
simulated as counts and vectorised over trials, on one core.

Per trial: screen failures (negative binomial), 1:1 permuted blocks (an even N fills every
block, so each arm has N/2), each arm's patients split over the eligible labels (multinomial),
dropout and events per label (binomial, with the label's risk under the arm's treatment), then
the pooled Pearson chi-square test without continuity correction, rejected when the statistic
exceeds the chi-square(1) critical value. endotrial also does the per-label tests, the
interaction test, coverage and bias; this peer does only the pooled test.

Usage: numpy_theranostic.py SCENARIO.toml REPLICATES [SEED]; prints power and trials/s.
Reads the design from the scenario (the subset of keys immunosep.toml uses).
"""
import sys
import time
import tomllib

import numpy as np

CHI2_1_CRIT_05 = 3.841458820694124  # qchisq(0.95, 1) in R


def design(path):
    with open(path, "rb") as f:
        s = tomllib.load(f)
    endotypes = s["endotype"]
    eligible = s["enrollment"]["eligible"]
    assert all("classified_as" not in e for e in endotypes), "peer: perfect classification only"
    assert s["analysis"]["test"] == "chi_square" and s["analysis"].get("alpha", 0.05) == 0.05
    assert s["analysis"].get("alternative", "two_sided") == "two_sided"
    prev = {e["name"]: e["prevalence"] for e in endotypes}
    control = {e["name"]: e["control_risk"] for e in endotypes}
    treatments = {t["name"]: t for t in s.get("treatment", [])}
    arms = s["arm"]
    assert len(arms) == 2 and all(a["ratio"] == 1 for a in arms)
    n = s["enrollment"]["sample_size"]
    assert n % 2 == 0, "peer: an even N (complete 1:1 blocks)"
    eligible_fraction = sum(prev[l] for l in eligible)
    label_p = np.array([prev[l] / eligible_fraction for l in eligible])
    risks = []
    for arm in sorted(arms, key=lambda a: a["name"] != s["analysis"]["control"]):
        assign = arm.get("assign", {})
        row = []
        for label in eligible:
            t = assign.get(label) or arm.get("treatment")
            if t is None:
                row.append(control[label])
            else:
                assert treatments[t]["effect"] == "risk", "peer: effect = risk only"
                row.append(treatments[t]["by_endotype"].get(label, control[label]))
        risks.append(np.array(row))
    dropout = s["enrollment"].get("dropout", 0.0)
    return n, eligible_fraction, label_p, risks, dropout


def simulate(rng, n, eligible_fraction, label_p, risks, dropout, trials):
    rng.negative_binomial(n, eligible_fraction, size=trials)  # screen failures
    events, evaluable = [], []
    for risk in risks:
        counts = rng.multinomial(n // 2, label_p, size=trials)
        kept = rng.binomial(counts, 1.0 - dropout)
        events.append(rng.binomial(kept, risk).sum(axis=1))
        evaluable.append(kept.sum(axis=1))
    x0, x1 = events
    n0, n1 = evaluable
    total = n0 + n1
    pooled = (x0 + x1) / total
    diff = x1 / n1 - x0 / n0
    var = pooled * (1 - pooled) * (1 / n0 + 1 / n1)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = np.where(var > 0, diff * diff / var, 0.0)
    return np.count_nonzero(stat > CHI2_1_CRIT_05)


def main():
    path, replicates = sys.argv[1], int(sys.argv[2])
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 2021
    d = design(path)
    rng = np.random.default_rng(seed)
    chunk = 200_000
    start = time.perf_counter()
    rejected, done = 0, 0
    while done < replicates:
        k = min(chunk, replicates - done)
        rejected += simulate(rng, *d, k)
        done += k
    seconds = time.perf_counter() - start
    print(f"power {rejected / replicates:.4f}  {replicates} trials in {seconds:.2f} s"
          f"  ({replicates / seconds / 1e6:.2f} million trials/s)")


if __name__ == "__main__":
    main()
