# The R package's call overhead: run_scenario() against the CLI on the same scenario, in the
# same run. Each is timed as a user sees it: the R call from inside an R session (the package
# already loaded), the CLI as a whole process writing its results.
# Run from the repository after `cargo build --release` and `R CMD INSTALL r`:
#   Rscript benches/r_overhead.R [scenario] [small] [large]
library(endotrial)
args <- commandArgs(trailingOnly = TRUE)
scenario <- if (length(args) >= 1) args[1] else "scenarios/immunosep.toml"
sizes <- if (length(args) >= 3) as.numeric(args[2:3]) else c(1e3, 1e7)
bin <- "target/release/endotrial"
out <- tempfile("endotrial-bench-")

seconds <- function(f) {
  t0 <- Sys.time()
  f()
  as.numeric(Sys.time() - t0, units = "secs")
}

cat(sprintf("%s on %d cores\n", scenario, parallel::detectCores()))
cat(sprintf("%12s %8s %12s %12s %12s\n", "trials", "repeats", "CLI (s)", "R (s)", "R - CLI"))
for (n in sizes) {
  repeats <- if (n <= 1e5) 21 else 7
  cli <- r <- numeric(repeats)
  for (i in seq_len(repeats)) {
    # Alternated, so that a slow spell of the machine falls on both.
    cli[i] <- seconds(function() system2(bin, c("run", "--quiet", "--replicates",
                                                format(n, scientific = FALSE), "--out", out,
                                                scenario), stdout = FALSE))
    r[i] <- seconds(function() run_scenario(scenario, replicates = n))
  }
  cat(sprintf("%12s %8d %12.4f %12.4f %+11.1f%%\n", format(n, big.mark = ",", scientific = FALSE),
              repeats, median(cli), median(r), 100 * (median(r) / median(cli) - 1)))
}
