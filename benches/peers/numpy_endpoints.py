#!/usr/bin/env python3
"""numpy peers of `endotrial run` on the continuous and ordinal ImmunoSep scenarios: the same
designs simulated as sufficient statistics, vectorised over trials, on one core.

Per trial: 1:1 permuted blocks (an even N: each arm has N/2), each arm's patients split over
the eligible labels (multinomial; perfect classification, so a label is an endotype), dropout
per label (binomial), then
- continuous (`immunosep_sofa.toml` without its responder threshold): each label cell's mean
  ~ N(mu, sd^2 / n) and squared deviations ~ sd^2 chi-square(n - 1); the pooled two-sample t
  test, rejected when |t| exceeds the t quantile of its degrees of freedom;
- ordinal (`immunosep_osfd.toml`): each label cell's counts per level (multinomial over the
  level distribution under the arm's treatment); the proportional-odds model fitted to the
  pooled counts by Newton's method batched over trials (numpy's batched solve), its Wald test.
endotrial also does the per-label tests, the interaction test, coverage and bias; these peers
do only the pooled test.

Usage: numpy_endpoints.py SCENARIO.toml REPLICATES [SEED]; prints power and trials/s.
"""
import sys
import time
import tomllib

import numpy as np
from scipy.stats import t as student_t

Z_975 = 1.959963984540054


def design(path):
    with open(path, "rb") as f:
        s = tomllib.load(f)
    kind = s["endpoint"]["kind"]
    endotypes = {e["name"]: e for e in s["endotype"]}
    eligible = s["enrollment"]["eligible"]
    assert all("classified_as" not in e for e in s["endotype"]), "peer: perfect classification"
    assert s["analysis"].get("alternative", "two_sided") == "two_sided"
    arms = s["arm"]
    assert len(arms) == 2 and all(a["ratio"] == 1 for a in arms)
    n = s["enrollment"]["sample_size"]
    assert n % 2 == 0
    total = sum(endotypes[l]["prevalence"] for l in eligible)
    label_p = np.array([endotypes[l]["prevalence"] / total for l in eligible])
    treatments = {t["name"]: t for t in s.get("treatment", [])}
    cells = []  # per arm (control first): per label, the outcome's law
    for arm in sorted(arms, key=lambda a: a["name"] != s["analysis"]["control"]):
        row = []
        for label in eligible:
            e = endotypes[label]
            t = arm.get("assign", {}).get(label) or arm.get("treatment")
            effect = treatments[t]["by_endotype"].get(label) if t else None
            if kind == "continuous":
                assert s["analysis"]["test"] == "t_test"
                shift = effect if effect is not None else 0.0
                row.append((e["control_mean"] + shift, e["sd"]))
            else:
                assert kind == "ordinal" and s["analysis"]["test"] == "proportional_odds"
                p = np.array(e["control_distribution"], dtype=float)
                if effect is not None:
                    c = np.cumsum(p)[:-1]
                    c = c / (c + effect * (1 - c))
                    p = np.diff(np.concatenate([[0.0], c, [1.0]]))
                row.append(p)
        cells.append(row)
    return kind, n, label_p, cells, s["enrollment"].get("dropout", 0.0)


def labels(rng, n, label_p, dropout, trials):
    counts = rng.multinomial(n // 2, label_p, size=trials)
    return rng.binomial(counts, 1.0 - dropout)


def continuous(rng, n, label_p, cells, dropout, trials):
    stats = []
    for arm in cells:
        kept = labels(rng, n, label_p, dropout, trials)
        total, mean, ss = np.zeros(trials), np.zeros(trials), np.zeros(trials)
        for j, (mu, sd) in enumerate(arm):
            k = kept[:, j]
            safe = np.maximum(k, 1)
            m = mu + sd * rng.standard_normal(trials) / np.sqrt(safe)
            s2 = sd * sd * rng.chisquare(np.maximum(k - 1, 1)) * (k > 1)
            # Combine with the cells so far (Chan et al.'s update).
            both = total + k
            d = m - mean
            with np.errstate(divide="ignore", invalid="ignore"):
                ss = np.where(k > 0, ss + s2 + d * d * total * k / np.maximum(both, 1), ss)
                mean = np.where(k > 0, mean + d * k / np.maximum(both, 1), mean)
            total = both
        stats.append((total, mean, ss))
    (n0, m0, s0), (n1, m1, s1) = stats
    df = n0 + n1 - 2
    se = np.sqrt((s0 + s1) / df * (1 / n0 + 1 / n1))
    t = (m1 - m0) / se
    return np.count_nonzero(np.abs(t) > student_t.ppf(0.975, df))


def ordinal(rng, n, label_p, cells, dropout, trials):
    pooled = []
    for arm in cells:
        kept = labels(rng, n, label_p, dropout, trials)
        counts = np.zeros((trials, len(arm[0])))
        for j, p in enumerate(arm):
            counts += rng.multinomial(kept[:, j], p)
        pooled.append(counts)
    c, a = pooled  # control, arm: trials x levels
    m = c.shape[1] - 1
    tot = np.cumsum(c + a, axis=1)[:, :-1] / (c + a).sum(axis=1, keepdims=True)
    theta = np.concatenate([np.log(tot / (1 - tot)), np.zeros((trials, 1))], axis=1)
    for _ in range(8):
        grad = np.zeros((trials, m + 1))
        info = np.zeros((trials, m + 1, m + 1))
        for counts, x in ((c, 0.0), (a, 1.0)):
            f = 1 / (1 + np.exp(-(theta[:, :m] - x * theta[:, m:])))
            d = f * (1 - f)
            F = np.concatenate([np.zeros((trials, 1)), f, np.ones((trials, 1))], axis=1)
            D = np.concatenate([np.zeros((trials, 1)), d, np.zeros((trials, 1))], axis=1)
            p = np.maximum(np.diff(F, axis=1), 1e-300)
            for j in range(m + 1):  # level j between cutpoints j - 1 and j
                dp = np.zeros((trials, m + 1))
                if j < m:
                    dp[:, j] = D[:, j + 1]
                if j > 0:
                    dp[:, j - 1] = -D[:, j]
                dp[:, m] = -x * (D[:, j + 1] - D[:, j])
                w = counts[:, j] / p[:, j]
                grad += w[:, None] * dp
                # Fisher scoring's information: n p' p'^T / p^2 (the expected information).
                info += (w / p[:, j])[:, None, None] * dp[:, :, None] * dp[:, None, :]
        theta += np.linalg.solve(info, grad[:, :, None])[:, :, 0]
    var = np.linalg.inv(info)[:, m, m]
    z = theta[:, m] / np.sqrt(var)
    return np.count_nonzero(np.abs(z) > Z_975)


def main():
    path, replicates = sys.argv[1], int(sys.argv[2])
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 2021
    kind, *d = design(path)
    simulate = continuous if kind == "continuous" else ordinal
    rng = np.random.default_rng(seed)
    chunk = 100_000
    start = time.perf_counter()
    rejected, done = 0, 0
    while done < replicates:
        k = min(chunk, replicates - done)
        rejected += simulate(rng, *d, k)
        done += k
    seconds = time.perf_counter() - start
    print(f"power {rejected / replicates:.4f}  {replicates} trials in {seconds:.2f} s"
          f"  ({replicates / seconds / 1e6:.3f} million trials/s)")


if __name__ == "__main__":
    main()
