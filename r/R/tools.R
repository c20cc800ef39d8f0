# The design tools (size, sweep, compare, report, check): the command line's own code, run in
# process against files, with results written under `dir` and read back as data frames.
# They print what the command line prints.

# The shared options of the simulating commands, as command-line arguments.
sim_args <- function(replicates, seed, threads, dir) {
  c(if (!is.null(replicates)) c("--replicates", format_whole(replicates, "replicates")),
    if (!is.null(seed)) c("--seed", format_whole(seed, "seed")),
    if (!is.null(threads)) c("--threads", format_whole(threads, "threads")),
    "--quiet", "--out", dir)
}

# The shortest decimal that reads back as the same double (so a swept value is written as the
# user typed it, 0.1 not 0.10000000000000001).
shortest <- function(v) {
  for (digits in 15:17) {
    text <- format(v, digits = digits, scientific = FALSE)
    if (as.numeric(text) == v) return(text)
  }
  text
}

format_whole <- function(x, name) {
  if (!is.numeric(x) || length(x) != 1 || is.na(x) || x < 0 || x != round(x)) {
    stop(name, ": expected a whole number >= 0", call. = FALSE)
  }
  format(x, scientific = FALSE)
}

command <- function(args) {
  engine("et_command", as.character(args))
}

#' Smallest sample size reaching a target power
#'
#' `endotrial size`: a search over the total sample size with common random numbers; for a
#' Bayesian design, over the maximum sample size (`label`, `conclusive` as the command line).
#'
#' @inheritParams run_scenario
#' @param power Target power (or probability of declaring superiority).
#' @param arm,hypothesis,label Which comparison the target applies to (default: the
#'   command line's).
#' @param conclusive Bayesian designs: target the probability of a conclusive trial.
#' @param min,max Bounds of the search.
#' @param dir Folder the results are written under (`<dir>/<name>/sample_size.csv`).
#' @return The search's table (sample_size.csv) as a data frame.
#' @export
size_scenario <- function(s, power = 0.8, arm = NULL, hypothesis = NULL, label = NULL,
                          conclusive = FALSE, min = NULL, max = NULL, replicates = NULL,
                          seed = NULL, threads = NULL, dir = tempfile("endotrial-")) {
  src <- as_scenario(s)
  path <- scenario_file(src)
  command(c("size", path, "--power", shortest(power),
            if (!is.null(arm)) c("--arm", arm),
            if (!is.null(hypothesis)) c("--hypothesis", hypothesis),
            if (!is.null(label)) c("--label", label),
            if (isTRUE(conclusive)) "--conclusive",
            if (!is.null(min)) c("--min", format_whole(min, "min")),
            if (!is.null(max)) c("--max", format_whole(max, "max")),
            sim_args(replicates, seed, threads, dir)))
  read_csv_frame(file.path(dir, scenario_name(src), "sample_size.csv"))
}

#' Re-run a scenario over a grid of values
#'
#' `endotrial sweep`: every combination of the values given, one row per grid point and
#' comparison (sweep.csv), and a power curve (sweep.svg) under `dir`.
#'
#' @inheritParams run_scenario
#' @param set A named list: key paths (as `validate_scenario(s)$keys` lists them) to vectors
#'   of values, e.g. `list(enrollment.sample_size = seq(150, 300, 50))`.
#' @param power Target power drawn on the curve.
#' @param dir Folder the results are written under.
#' @return sweep.csv as a data frame.
#' @export
sweep_scenario <- function(s, set, power = 0.8, replicates = NULL, seed = NULL,
                           threads = NULL, dir = tempfile("endotrial-")) {
  if (!is.list(set) || is.null(names(set)) || any(names(set) == "")) {
    stop("set: expected a named list, e.g. list(enrollment.sample_size = c(200, 300))",
         call. = FALSE)
  }
  src <- as_scenario(s)
  sets <- unlist(lapply(names(set), function(k) {
    values <- vapply(set[[k]], function(v) {
      if (is.numeric(v)) shortest(v) else as.character(v)
    }, "")
    c("--set", paste0(k, "=", paste(values, collapse = ",")))
  }))
  command(c("sweep", scenario_file(src), sets, "--power", shortest(power),
            sim_args(replicates, seed, threads, dir)))
  read_csv_frame(file.path(dir, scenario_name(src), "sweep.csv"))
}

#' Several designs of the same question side by side
#'
#' `endotrial compare`: power, the sample size for the target, screening and cost of each.
#'
#' @param ... Two or more scenarios (paths, TOML text or lists), or one list of them.
#' @param power Target power.
#' @param hypothesis Which hypothesis the target applies to, where the designs list them.
#' @inheritParams run_scenario
#' @param dir Folder the results are written under.
#' @return The comparison (compare-<names>.csv) as a data frame.
#' @export
compare_scenarios <- function(..., power = 0.8, hypothesis = NULL, replicates = NULL,
                              seed = NULL, threads = NULL, dir = tempfile("endotrial-")) {
  scenarios <- list(...)
  if (length(scenarios) == 1 && is.list(scenarios[[1]]) && is.null(names(scenarios[[1]]))) {
    scenarios <- scenarios[[1]]
  }
  if (length(scenarios) < 2) stop("compare needs two or more scenarios", call. = FALSE)
  srcs <- lapply(scenarios, as_scenario)
  names <- vapply(srcs, scenario_name, "")
  command(c("compare", vapply(srcs, scenario_file, ""), "--power", shortest(power),
            if (!is.null(hypothesis)) c("--hypothesis", hypothesis),
            sim_args(replicates, seed, threads, dir)))
  read_csv_frame(file.path(dir, paste0("compare-", paste(names, collapse = "-"), ".csv")))
}

#' Sample-size report with a ready-to-paste justification
#'
#' `endotrial report`: report.md and report.html (with figures) under `<dir>/<name>/`.
#'
#' @inheritParams run_scenario
#' @param power Target power.
#' @param hypothesis Which hypothesis the target applies to.
#' @param dir Folder the report is written under (default: a temporary folder).
#' @return A list of class `endotrial_report`: `paragraph` (the justification to paste into a
#'   protocol or grant), `markdown` (report.md's text), `html` (the path of report.html) and
#'   `sample_size` (sample_size.csv as a data frame, when written).
#' @export
report_scenario <- function(s, power = 0.8, hypothesis = NULL, replicates = NULL,
                            seed = NULL, threads = NULL, dir = tempfile("endotrial-")) {
  src <- as_scenario(s)
  command(c("report", scenario_file(src), "--power", shortest(power),
            if (!is.null(hypothesis)) c("--hypothesis", hypothesis),
            sim_args(replicates, seed, threads, dir)))
  out <- file.path(dir, scenario_name(src))
  sizes <- file.path(out, "sample_size.csv")
  markdown <- paste(readLines(file.path(out, "report.md"), encoding = "UTF-8"), collapse = "\n")
  structure(list(paragraph = justification(markdown),
                 markdown = markdown,
                 html = file.path(out, "report.html"),
                 sample_size = if (file.exists(sizes)) read_csv_frame(sizes)),
            class = "endotrial_report")
}

#' Re-run scenarios and compare with committed results
#'
#' `endotrial check`: each scenario is re-run with the seed and replicates of its results
#' under `against`; for regression tests in R pipelines (`expect_true(check_scenarios(...))`).
#'
#' @param paths Scenario files, or folders of them.
#' @param against The results folder.
#' @param tolerance "exact" (byte for byte) or "mc" (within Monte Carlo error).
#' @param threads Worker threads.
#' @return TRUE when every result matches, FALSE when one moved (the differences printed).
#' @export
check_scenarios <- function(paths, against, tolerance = c("exact", "mc"), threads = NULL) {
  tolerance <- match.arg(tolerance)
  command(c("check", paths, "--against", against, "--tolerance", tolerance, "--quiet",
            if (!is.null(threads)) c("--threads", format_whole(threads, "threads"))))
}

# The report's justification: the paragraph under "Sample-size justification" (or "Design
# justification" for a Bayesian design).
justification <- function(markdown) {
  after <- sub("(?s).*\n## [A-Za-z-]+ justification\n\n", "", markdown, perl = TRUE)
  if (identical(after, markdown)) return(NA_character_)
  sub("(?s)\n\n.*", "", after, perl = TRUE)
}

#' @export
print.endotrial_report <- function(x, ...) {
  cat(strwrap(x$paragraph), sep = "\n")
  cat("\nReport: ", x$html, "\n", sep = "")
  invisible(x)
}

#' Scenarios shipped with endotrial
#'
#' The scenario files of the repository the package was built from (ImmunoSep as run, its
#' sequential, enrichment, survival and Bayesian platform variants, the landmark sepsis
#' trials ...), to run as they are or to start from.
#'
#' @param name A scenario's name (its file name without `.toml`); NULL lists them all.
#' @return The path of the scenario file, or every shipped scenario's name.
#' @examples
#' shipped_scenario()
#' s <- read_scenario(shipped_scenario("immunosep"))
#' @export
shipped_scenario <- function(name = NULL) {
  dir <- system.file("scenarios", package = "endotrial")
  names <- sub("\\.toml$", "", list.files(dir, pattern = "\\.toml$"))
  if (is.null(name)) return(names)
  if (!name %in% names) {
    near <- names[which.min(utils::adist(name, names))]
    stop("no shipped scenario '", name, "' (closest: '", near, "')", call. = FALSE)
  }
  file.path(dir, paste0(name, ".toml"))
}
