# size, sweep, compare, report and check from R: the command line's files, as data frames.

scenario <- function(name) in_repo("scenarios", name)

test_that("size_scenario() gives the CLI's sample_size.csv", {
  dir <- tempfile()
  found <- size_scenario(scenario("immunosep.toml"), power = 0.8, replicates = 2000, dir = dir)
  out <- tempfile()
  cli(c("size", scenario("immunosep.toml"), "--power", "0.8", "--replicates", "2000",
        "--quiet", "--out", out))
  expect_identical(file_text(file.path(dir, "immunosep", "sample_size.csv")),
                   file_text(file.path(out, "immunosep", "sample_size.csv")))
  expect_identical(found, endotrial:::read_csv_frame(file.path(out, "immunosep", "sample_size.csv")))
  expect_true(any(found$power >= 0.8))
})

test_that("size_scenario() of a scenario built in R", {
  s <- read_scenario(scenario("immunosep.toml"))
  s$endotype[[1]]$control_risk <- 0.2
  found <- size_scenario(s, power = 0.8, replicates = 1000)
  expect_s3_class(found, "data.frame")
  expect_gt(nrow(found), 1)
})

test_that("sweep_scenario() gives one row per grid point, as the CLI's sweep.csv", {
  dir <- tempfile()
  swept <- sweep_scenario(scenario("immunosep.toml"),
                          set = list(enrollment.sample_size = c(200, 280),
                                     enrollment.dropout = c(0, 0.1)),
                          replicates = 1000, dir = dir)
  out <- tempfile()
  cli(c("sweep", scenario("immunosep.toml"), "--set", "enrollment.sample_size=200,280",
        "--set", "enrollment.dropout=0,0.1", "--replicates", "1000", "--quiet", "--out", out))
  expect_identical(file_text(file.path(dir, "immunosep", "sweep.csv")),
                   file_text(file.path(out, "immunosep", "sweep.csv")))
  expect_equal(nrow(swept), 4)
  expect_error(sweep_scenario(scenario("immunosep.toml"), set = list(1)), "named list")
  expect_error(sweep_scenario(scenario("immunosep.toml"), set = list(enrollment.sample_sise = 3)),
               "sample_sise")
})

test_that("compare_scenarios() gives the CLI's comparison", {
  paths <- scenario(c("design_all_comers.toml", "design_stratified.toml"))
  dir <- tempfile()
  compared <- compare_scenarios(paths[1], paths[2], replicates = 1000, dir = dir)
  out <- tempfile()
  cli(c("compare", paths, "--replicates", "1000", "--quiet", "--out", out))
  name <- "compare-design_all_comers-design_stratified.csv"
  expect_identical(file_text(file.path(dir, name)), file_text(file.path(out, name)))
  expect_identical(compared, compare_scenarios(as.list(paths), replicates = 1000))
  expect_error(compare_scenarios(paths[1]), "two or more")
})

test_that("report_scenario() writes the report and returns its text", {
  dir <- tempfile()
  rep <- report_scenario(scenario("immunosep.toml"), replicates = 1000, dir = dir)
  expect_true(file.exists(rep$html))
  expect_match(rep$markdown, "sample size", ignore.case = TRUE)
  expect_identical(rep$markdown, sub("\n$", "", file_text(file.path(dir, "immunosep", "report.md"))))
})

test_that("check_scenarios() is TRUE on committed results and FALSE when they moved", {
  expect_true(check_scenarios(scenario("immunosep.toml"), against = in_repo("results")))
  moved <- tempfile()
  dir.create(file.path(moved, "immunosep"), recursive = TRUE)
  for (f in list.files(in_repo("results", "immunosep"), full.names = TRUE)) {
    file.copy(f, file.path(moved, "immunosep"))
  }
  summary <- file.path(moved, "immunosep", "summary.csv")
  writeLines(sub("0.8946", "0.8947", file_text(summary), fixed = TRUE), summary, sep = "")
  expect_false(check_scenarios(scenario("immunosep.toml"), against = moved))
})

test_that("plot() draws each arm's probability with base graphics or ggplot2", {
  r <- run_scenario(scenario("immunosep_platform.toml"), replicates = 200)
  d <- endotrial:::plot_data(r)
  expect_true(all(d$low <= d$p & d$p <= d$high))
  expect_true(all(grepl(": ", d$arm)))
  pdf(NULL)
  on.exit(dev.off())
  p <- plot(r)
  if (requireNamespace("ggplot2", quietly = TRUE)) expect_s3_class(p, "ggplot")
  q <- plot(run_scenario(scenario("immunosep.toml"), replicates = 200))
  expect_true(!is.null(q))
})
