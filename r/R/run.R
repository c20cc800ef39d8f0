#' Simulate a scenario
#'
#' The engine of `endotrial run`, in process: the same trials, the same tallies and the same
#' files, so each data frame holds the values of the CSV the command line writes (numbers
#' parsed by the engine, to the last bit). R's random number generator is not touched: every
#' trial draws from its own stream, derived from the scenario's seed and the trial's index.
#' Ctrl-C (Esc in a GUI) stops a long run within about a fifth of a second.
#'
#' @param s A scenario: a file path, TOML text or a list (`read_scenario()`).
#' @param replicates,seed Override the scenario's `[simulation]` values.
#' @param threads Worker threads (default: every core).
#' @return An object of class `endotrial_result`: a list of data frames named after the run's
#'   CSV files (`summary`, and as the design has them `subgroups`, `hypotheses`, `sequential`,
#'   `adaptation`, `bayesian`, `allocation`), with attributes `tables` (what the command line
#'   prints), `files` (each file's text, CSVs and figures) and `scenario`.
#' @export
run_scenario <- function(s, replicates = NULL, seed = NULL, threads = NULL) {
  src <- as_scenario(s)
  out <- engine("et_run", src$origin, src$text, num_or_null(replicates, "replicates"),
               num_or_null(seed, "seed"), num_or_null(threads, "threads"))
  for (w in out$warnings) warning(w, call. = FALSE)
  files <- out$files
  csv <- grep("\\.csv$", names(files), value = TRUE)
  frames <- lapply(csv, function(f) csv_frame(files[[f]]))
  names(frames) <- sub("\\.csv$", "", csv)
  structure(frames, class = "endotrial_result", tables = out$tables, files = files,
            scenario = files[["scenario.toml"]])
}

num_or_null <- function(x, name) {
  if (is.null(x)) return(NULL)
  if (!is.numeric(x) || length(x) != 1 || is.na(x)) {
    stop(name, ": expected one number", call. = FALSE)
  }
  as.double(x)
}

# A result CSV's text as a data frame: the engine parses the numbers (correctly rounded), R
# only assembles the columns.
csv_frame <- function(text) {
  cols <- engine("et_csv_columns", text)
  as.data.frame(cols, stringsAsFactors = FALSE, check.names = FALSE, optional = TRUE)
}

read_csv_frame <- function(path) {
  if (!file.exists(path)) stop("expected a result file at '", path, "'", call. = FALSE)
  csv_frame(paste(readLines(path, warn = FALSE, encoding = "UTF-8"), collapse = "\n"))
}

#' @export
print.endotrial_result <- function(x, ...) {
  cat(attr(x, "tables"))
  invisible(x)
}

#' @export
summary.endotrial_result <- function(object, ...) {
  object$summary
}

#' @export
as.data.frame.endotrial_result <- function(x, row.names = NULL, optional = FALSE, ...) {
  x$summary
}

#' Plot a run: each arm's probability of success with its 95% Monte Carlo interval
#'
#' Power against control for fixed and sequential designs, the probability of declaring
#' superiority for Bayesian ones; with ggplot2 when it is installed, base graphics otherwise.
#'
#' @param x A result of `run_scenario()`.
#' @param ... Passed to `barplot()` (base graphics).
#' @export
plot.endotrial_result <- function(x, ...) {
  d <- plot_data(x)
  if (requireNamespace("ggplot2", quietly = TRUE)) {
    return(ggplot2::ggplot(d, ggplot2::aes(x = arm, y = p)) +
      ggplot2::geom_col(fill = "#4477aa") +
      ggplot2::geom_errorbar(ggplot2::aes(ymin = low, ymax = high), width = 0.2) +
      ggplot2::scale_y_continuous(limits = c(0, 1)) +
      ggplot2::labs(x = NULL, y = attr(d, "what"), title = attr(d, "title")))
  }
  mids <- barplot(d$p, names.arg = d$arm, ylim = c(0, 1), ylab = attr(d, "what"),
                  main = attr(d, "title"), col = "#4477aa", ...)
  arrows(mids, d$low, mids, d$high, angle = 90, code = 3, length = 0.05)
  invisible(d)
}

# One row per arm compared (per label and arm for a Bayesian design stratified by label):
# the probability plotted, its 95% interval (normal approximation from the MC SE) and a title.
plot_data <- function(x) {
  s <- x$summary
  if ("power" %in% names(s)) {
    d <- data.frame(arm = s$arm, p = s$power, low = s$power_ci_low, high = s$power_ci_high)
    what <- "power"
  } else {
    keep <- s$role != "control"
    s <- s[keep, ]
    arm <- if (length(unique(s$label)) > 1) paste(s$label, s$arm, sep = ": ") else s$arm
    se <- s$p_superior_se
    d <- data.frame(arm = arm, p = s$p_superior, low = pmax(0, s$p_superior - 1.96 * se),
                    high = pmin(1, s$p_superior + 1.96 * se))
    what <- "P(superiority declared)"
  }
  structure(d, what = what, title = s$scenario[1])
}

# Column names used unquoted in ggplot2's aes().
utils::globalVariables(c("arm", "p", "low", "high"))
