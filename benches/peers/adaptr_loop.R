# adaptr 1.4.0 on the designs of benches/peers/bayesian/ (the Overview vignette's, and two arms
# with a control), run_trials on every core; prints the seconds of run_trials alone (R's
# start-up and the package load excluded). Usage: Rscript adaptr_loop.R DESIGN N_REP
suppressMessages(library(adaptr))
args <- commandArgs(TRUE)
n_rep <- as.integer(args[2])
spec <- switch(args[1],
  vignette = setup_trial_binom(arms = c("A", "B", "C"), true_ys = c(0.25, 0.25, 0.25),
    min_probs = rep(0.20, 3), data_looks = seq(from = 300, to = 2000, by = 100),
    randomised_at_looks = c(seq(from = 400, to = 2000, by = 100), 2000),
    equivalence_prob = 0.9, equivalence_diff = 0.05, soften_power = 0.5),
  two_arm = setup_trial_binom(arms = c("A", "B"), true_ys = c(0.25, 0.20), control = "A",
    max_n = 2000, look_after_every = 100))
setup_cluster(parallel::detectCores())
t0 <- Sys.time()
invisible(run_trials(spec, n_rep = n_rep, base_seed = 1, sparse = TRUE))
cat(sprintf("%.3f\n", as.numeric(Sys.time() - t0, units = "secs")))
