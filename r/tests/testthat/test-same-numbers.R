# run_scenario() gives the command line's files and the committed results, field for field.

test_that("every shipped scenario's run equals its committed results, file for file", {
  scenarios <- list.files(in_repo("scenarios"), pattern = "\\.toml$", full.names = TRUE)
  expect_gte(length(scenarios), 29)
  for (path in scenarios) {
    r <- run_scenario(path)
    name <- validate_scenario(path)$name
    committed <- in_repo("results", name)
    files <- attr(r, "files")
    csv <- grep("\\.csv$", names(files), value = TRUE)
    # The same set of CSVs as committed, each byte for byte, and each data frame the
    # committed CSV's values (parsed by the engine).
    expect_setequal(csv, list.files(committed, pattern = "\\.csv$"))
    for (f in csv) {
      expect_identical(files[[f]], file_text(file.path(committed, f)), label = paste(name, f))
      expect_identical(r[[sub("\\.csv$", "", f)]],
                       endotrial:::read_csv_frame(file.path(committed, f)),
                       label = paste(name, f))
    }
    expect_identical(summary(r), r$summary)
    expect_identical(as.data.frame(r), r$summary)
  }
})

test_that("numbers are the engine's doubles: R's own reader agrees to 1e-15", {
  r <- run_scenario(in_repo("scenarios", "immunosep.toml"), replicates = 5000)
  base <- utils::read.csv(text = attr(r, "files")[["summary.csv"]])
  numeric <- names(base)[vapply(base, is.numeric, TRUE)]
  for (col in numeric) {
    expect_equal(r$summary[[col]], base[[col]], tolerance = 1e-15, label = col)
  }
  expect_identical(r$summary$arm, "personalised")
  expect_type(r$summary$power, "double")
})

test_that("a scenario built in R runs as the same scenario written as TOML through the CLI", {
  s <- read_scenario(in_repo("scenarios", "immunosep.toml"))
  s <- modifyList(s, list(enrollment = list(sample_size = 360),
                          simulation = list(replicates = 3000, seed = 11)))
  s$endotype[[1]]$prevalence <- 0.1
  s$endotype[[3]]$prevalence <- 1 - 0.1 - s$endotype[[2]]$prevalence
  from_r <- run_scenario(s)
  dir <- tempfile()
  dir.create(dir)
  toml <- file.path(dir, "modified.toml")
  write_scenario(s, toml)
  cli(c("run", "--quiet", "--out", dir, toml))
  for (f in grep("\\.csv$", names(attr(from_r, "files")), value = TRUE)) {
    expect_identical(attr(from_r, "files")[[f]], file_text(file.path(dir, "immunosep", f)),
                     label = f)
  }
  expect_equal(from_r$summary$sample_size, 360)
  expect_equal(from_r$summary$replicates, 3000)
})

test_that("replicates, seed and threads override the scenario; threads change nothing", {
  path <- in_repo("scenarios", "immunosep_sequential.toml")
  one <- run_scenario(path, replicates = 4000, seed = 5, threads = 1)
  two <- run_scenario(path, replicates = 4000, seed = 5, threads = 2)
  expect_identical(attr(one, "files"), attr(two, "files"))
  dir <- tempfile()
  cli(c("run", "--quiet", "--replicates", "4000", "--seed", "5", "--out", dir, path))
  expect_identical(attr(one, "files")[["sequential.csv"]],
                   file_text(file.path(dir, "immunosep_sequential", "sequential.csv")))
  other <- run_scenario(path, replicates = 4000, seed = 6)
  expect_false(identical(one$summary$power, other$summary$power))
})

test_that("R's random number generator is untouched", {
  set.seed(42)
  before <- .Random.seed
  run_scenario(in_repo("scenarios", "immunosep.toml"), replicates = 2000)
  expect_identical(.Random.seed, before)
})
