# Bad input: R errors with the command line's message, naming the key; R carries on.

test_that("a typo of a key is an R error naming it and the closest valid name", {
  s <- read_scenario(in_repo("scenarios", "immunosep.toml"))
  s$enrollment$sample_sise <- 300
  expect_error(validate_scenario(s), "R list.*enrollment.sample_sise.*sample_size")
  expect_error(run_scenario(s), "sample_sise")
  expect_error(run_scenario(s), class = "endotrial_error")
  # R survives it.
  expect_equal(1 + 1, 2)
  expect_s3_class(run_scenario(in_repo("scenarios", "immunosep.toml"), replicates = 100),
                  "endotrial_result")
})

test_that("an invalid value names the file and the key", {
  dir <- tempfile()
  dir.create(dir)
  path <- file.path(dir, "bad.toml")
  text <- sub("sample_size = 280", "sample_size = -5", file_text(in_repo("scenarios", "immunosep.toml")))
  writeLines(text, path, sep = "")
  expect_error(validate_scenario(path), "bad.toml.*enrollment.sample_size")
  expect_error(run_scenario(text), "TOML text")
})

test_that("values R cannot put in a scenario are refused with the key", {
  s <- read_scenario(in_repo("scenarios", "immunosep.toml"))
  s$enrollment$dropout <- NA
  expect_error(validate_scenario(s), "enrollment.dropout.*NA")
  s$enrollment$dropout <- factor("a")
  expect_error(validate_scenario(s), "enrollment.dropout.*factor")
  expect_error(validate_scenario(list(1, 2)), "named list")
  expect_error(validate_scenario("no/such/file.toml"), "no such scenario file")
  expect_error(run_scenario(in_repo("scenarios", "immunosep.toml"), replicates = 1.5), "whole number")
  expect_error(run_scenario(in_repo("scenarios", "immunosep.toml"), threads = 0), ">= 1")
  expect_error(size_scenario(in_repo("scenarios", "immunosep.toml"), power = 2), "power")
})

test_that("a likely mistake is an R warning naming the key, and does not stop the run", {
  s <- read_scenario(in_repo("scenarios", "immunosep.toml"))
  expect_length(validate_scenario(s)$warnings, 0)
  s$enrollment$sample_size <- 3
  expect_warning(v <- validate_scenario(s), "enrollment.sample_size.*fewer than two an arm")
  expect_length(v$warnings, 1)
  s$simulation$replicates <- 200
  expect_warning(r <- run_scenario(s), "fewer than two an arm")
  expect_equal(r$summary$sample_size, 3)
})
