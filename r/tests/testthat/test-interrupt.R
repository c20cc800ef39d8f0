# A long call stops on an interrupt (Ctrl-C sends SIGINT) and leaves R usable.

# Runs `call` in a fresh R, sends it SIGINT after 3 s (it would take hours otherwise; killed
# after 60 s more), then runs `then`; what that R printed.
interrupted <- function(call, then) {
  script <- tempfile(fileext = ".R")
  writeLines(c(
    "library(endotrial)",
    "t0 <- Sys.time()",
    sprintf("r <- tryCatch(%s, error = function(e) conditionMessage(e))", call),
    "cat('returned:', r, '\\n')",
    "cat('seconds:', as.numeric(Sys.time() - t0, units = 'secs'), '\\n')",
    sprintf("cat('usable:', %s, '\\n')", then)
  ), script)
  rscript <- file.path(R.home("bin"), "Rscript")
  out <- suppressWarnings(system2("timeout", c("-k", "60", "-s", "INT", "3", rscript, script),
                                  stdout = TRUE, stderr = TRUE))
  paste(out, collapse = "\n")
}

expect_stopped <- function(text) {
  expect_match(text, "returned: interrupted")
  expect_match(text, "usable: TRUE")
  expect_lt(as.numeric(sub(".*seconds: ([0-9.]+).*", "\\1", text)), 10)
  # An error, not a Rust panic with its backtrace.
  expect_false(grepl("panicked", text))
}

test_that("an interrupted run returns control within seconds, and R carries on", {
  path <- deparse(in_repo("scenarios", "immunosep_platform.toml"))
  expect_stopped(interrupted(
    sprintf("run_scenario(%s, replicates = 1e8)", path),
    sprintf("nrow(run_scenario(%s, replicates = 50)$summary) > 0", path)
  ))
})

test_that("an interrupted size search returns control too, and the next command runs", {
  path <- deparse(in_repo("scenarios", "immunosep.toml"))
  expect_stopped(interrupted(
    sprintf("size_scenario(%s, replicates = 1e8)", path),
    sprintf("nrow(size_scenario(%s, replicates = 500)) > 0", path)
  ))
})
