# The R peer of `endotrial run scenarios/immunosep_osfd.toml`: the same ordinal design, each
# trial's pooled counts per level simulated as endotrial draws them (1:1 blocks, labels
# multinomial, dropout binomial, levels multinomial per label under the arm's treatment) and
# analysed by MASS::polr (weights = counts, Hess = TRUE) and its Wald test, in a loop as a
# statistician would write it. endotrial also fits each label; this peer only the pooled model.
# Usage: Rscript benches/peers/polr_loop.R TRIALS; prints power and trials/s (the loop alone).
suppressMessages(library(MASS))
trials <- as.integer(commandArgs(TRUE)[1])
shift <- function(p, or) { C <- cumsum(p)[-length(p)]; diff(c(0, C / (C + or * (1 - C)), 1)) }
# immunosep_osfd.toml: labels mals, immunoparalysis; control distributions; odds ratios 1.8, 1.5
label_p <- c(0.07, 0.34) / 0.41
control <- list(c(0.45, 0.12, 0.12, 0.11, 0.10, 0.10), c(0.45, 0.10, 0.10, 0.10, 0.10, 0.15))
treated <- list(shift(control[[1]], 1.8), shift(control[[2]], 1.5))
n <- 280; dropout <- 0.018
arm_counts <- function(laws) {
  kept <- rbinom(2, rmultinom(1, n / 2, label_p), 1 - dropout)
  rmultinom(1, kept[1], laws[[1]])[, 1] + rmultinom(1, kept[2], laws[[2]])[, 1]
}
set.seed(2021)
start <- proc.time()[["elapsed"]]
rejected <- 0
for (i in seq_len(trials)) {
  y <- factor(rep(1:6, 2), ordered = TRUE)
  d <- data.frame(y = y, x = rep(c(0, 1), each = 6), w = c(arm_counts(control), arm_counts(treated)))
  d <- d[d$w > 0, ]
  d$y <- droplevels(d$y)
  f <- polr(y ~ x, data = d, weights = w, Hess = TRUE)
  z <- coef(f)[["x"]] / sqrt(vcov(f)["x", "x"])
  rejected <- rejected + (abs(z) > qnorm(0.975))
}
seconds <- proc.time()[["elapsed"]] - start
cat(sprintf("power %.4f  %d trials in %.2f s  (%.0f trials/s)\n", rejected / trials, trials, seconds, trials / seconds))
