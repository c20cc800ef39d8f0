# Scenarios as R lists: read, modify, write back; every way of passing one.

# A list with every table's entries sorted by name (order within a table means nothing).
sorted <- function(x) {
  if (!is.list(x)) return(x)
  if (!is.null(names(x))) x <- x[order(names(x))]
  x[] <- lapply(x, sorted)
  x
}

test_that("every shipped scenario survives read_scenario() and write_scenario() unchanged", {
  for (path in list.files(in_repo("scenarios"), pattern = "\\.toml$", full.names = TRUE)) {
    s <- read_scenario(path)
    toml <- tempfile(fileext = ".toml")
    write_scenario(s, toml)
    # The same design, resolved, and the same list when read again.
    expect_identical(validate_scenario(toml)$design, validate_scenario(path)$design,
                     label = basename(path))
    # Whole reals (prevalence = 1.0) come back as integers, equal in value; a table's values
    # are written before its sub-tables.
    expect_equal(sorted(read_scenario(toml)), sorted(s), label = basename(path))
  }
})

test_that("the list mirrors the file: tables, arrays of tables, arrays kept as arrays", {
  s <- read_scenario(in_repo("scenarios", "immunosep_sequential.toml"))
  expect_identical(s$name, "immunosep_sequential")
  expect_type(s$simulation$replicates, "integer")
  expect_length(s$endotype, 3)
  expect_identical(s$endotype[[1]]$name, "mals")
  expect_s3_class(s$enrollment$eligible, "AsIs")
  # A one-element array stays an array only when marked with I().
  text <- endotrial:::scenario_toml(list(a = I(0.5), b = 0.5, c = c(1, 2.5), d = 3))
  expect_identical(text, "a = [0.5]\nb = 0.5\nc = [1, 2.5]\nd = 3\n")
})

test_that("a path, TOML text and a list are the same scenario", {
  path <- in_repo("scenarios", "immunosep.toml")
  text <- file_text(path)
  by_path <- run_scenario(path, replicates = 1000)
  by_text <- run_scenario(text, replicates = 1000)
  by_list <- run_scenario(read_scenario(path), replicates = 1000)
  expect_identical(by_text$summary, by_path$summary)
  expect_identical(by_list$summary, by_path$summary)
  # The text copied beside the results is what ran.
  expect_identical(attr(by_text, "scenario"), sub("replicates = 100000", "replicates = 1000",
                                                  text, fixed = TRUE))
})

test_that("removing a key with NULL, as modifyList does", {
  s <- read_scenario(in_repo("scenarios", "immunosep.toml"))
  s <- modifyList(s, list(description = NULL))
  expect_null(s$description)
  expect_false(grepl("description", endotrial:::scenario_toml(s)))
  expect_s3_class(validate_scenario(s), "endotrial_design")
})

test_that("validate_scenario() prints the resolved design as endotrial validate does", {
  path <- in_repo("scenarios", "immunosep.toml")
  printed <- capture.output(v <- print(validate_scenario(path)))
  expect_identical(paste0(paste(printed, collapse = "\n"), "\n"),
                   paste0(paste(cli(c("validate", path)), collapse = "\n"), "\n"))
  expect_match(validate_scenario(path)$keys, "enrollment.sample_size = 280", fixed = TRUE)
})

test_that("the shipped scenarios come with the package, as in the repository", {
  names <- shipped_scenario()
  expect_true("immunosep" %in% names)
  expect_setequal(paste0(names, ".toml"), list.files(in_repo("scenarios"), pattern = "\\.toml$"))
  expect_identical(file_text(shipped_scenario("immunosep")),
                   file_text(in_repo("scenarios", "immunosep.toml")))
  expect_error(shipped_scenario("imunosep"), "closest: 'immunosep'")
})

test_that("report_scenario() returns the justification paragraph to paste", {
  rep <- report_scenario(shipped_scenario("immunosep"), replicates = 1000)
  expect_match(rep$paragraph, "^With N = [0-9]+ patients randomised 1:1")
  expect_false(grepl("\n\n", rep$paragraph))
  bayes <- report_scenario(shipped_scenario("immunosep_platform"), replicates = 300)
  expect_false(is.na(bayes$paragraph))
  expect_output(print(rep), "Report: ")
})
