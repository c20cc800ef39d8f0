# A long run stops on an interrupt (Ctrl-C sends SIGINT) and leaves R usable.

test_that("an interrupted run returns control within seconds, and R carries on", {
  rscript <- file.path(R.home("bin"), "Rscript")
  script <- tempfile(fileext = ".R")
  writeLines(c(
    "library(endotrial)",
    sprintf("path <- '%s'", in_repo("scenarios", "immunosep_platform.toml")),
    "t0 <- Sys.time()",
    "r <- tryCatch(run_scenario(path, replicates = 1e8), error = function(e) conditionMessage(e))",
    "cat('returned:', r, '\\n')",
    "cat('seconds:', as.numeric(Sys.time() - t0, units = 'secs'), '\\n')",
    "cat('usable:', nrow(run_scenario(path, replicates = 50)$summary) > 0, '\\n')"
  ), script)
  # SIGINT after 3 s; the run of 1e8 trials would take hours; killed after 60 s otherwise.
  out <- suppressWarnings(system2("timeout", c("-k", "60", "-s", "INT", "3", rscript, script),
                 stdout = TRUE, stderr = TRUE))
  text <- paste(out, collapse = "\n")
  expect_match(text, "returned: interrupted")
  expect_match(text, "usable: TRUE")
  seconds <- as.numeric(sub(".*seconds: ([0-9.]+).*", "\\1", text))
  expect_lt(seconds, 10)
  # An error, not a Rust panic with its backtrace.
  expect_false(grepl("panicked", text))
})

test_that("an interrupted size search returns control too, and the next command runs", {
  rscript <- file.path(R.home("bin"), "Rscript")
  script <- tempfile(fileext = ".R")
  writeLines(c(
    "library(endotrial)",
    sprintf("path <- '%s'", in_repo("scenarios", "immunosep.toml")),
    "t0 <- Sys.time()",
    "r <- tryCatch(size_scenario(path, replicates = 1e8), error = function(e) conditionMessage(e))",
    "cat('returned:', r, '\\n')",
    "cat('seconds:', as.numeric(Sys.time() - t0, units = 'secs'), '\\n')",
    "cat('usable:', nrow(size_scenario(path, replicates = 500)) > 0, '\\n')"
  ), script)
  out <- suppressWarnings(system2("timeout", c("-k", "60", "-s", "INT", "3", rscript, script),
                                  stdout = TRUE, stderr = TRUE))
  text <- paste(out, collapse = "\n")
  expect_match(text, "returned: interrupted")
  expect_match(text, "usable: TRUE")
  expect_lt(as.numeric(sub(".*seconds: ([0-9.]+).*", "\\1", text)), 10)
  expect_false(grepl("panicked", text))
})
