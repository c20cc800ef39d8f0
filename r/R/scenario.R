# Scenarios in R: read a TOML file into a list, write a list back, and turn whatever a user
# passes (a path, TOML text or a list) into the text the engine reads.

#' Read a scenario file into an R list
#'
#' Tables become named lists, arrays of tables (`[[endotype]]`, `[[arm]]`) unnamed lists of
#' them, and other arrays vectors marked with `I()` (so that a one-element array stays an
#' array when written back). Vary it with `modifyList()` and pass it to any function of the
#' package; setting a key to `NULL` removes it.
#'
#' @param path A scenario file (TOML).
#' @return A list mirroring the file, in its order.
#' @export
read_scenario <- function(path) {
  text <- read_text(path)
  engine("et_toml_to_list", text, path)
}

#' Write a scenario list as a TOML file
#'
#' Whole numbers are written as integers, the others as reals (to the last digit); `I()`
#' keeps a one-element vector an array. The file is written to a temporary name and renamed,
#' so an existing file is never left half-written.
#'
#' @param x A scenario list (as `read_scenario()` returns).
#' @param path Where to write it.
#' @return `path`, invisibly.
#' @export
write_scenario <- function(x, path) {
  text <- scenario_toml(x)
  tmp <- tempfile(tmpdir = dirname(path), fileext = ".toml")
  writeLines(text, tmp, sep = "")
  if (!file.rename(tmp, path)) {
    unlink(tmp)
    stop("cannot write '", path, "'", call. = FALSE)
  }
  invisible(path)
}

scenario_toml <- function(x) {
  if (!is.list(x)) stop("a scenario list must be a list", call. = FALSE)
  engine("et_list_to_toml", x)
}

read_text <- function(path) {
  if (!file.exists(path)) stop("no such scenario file: '", path, "'", call. = FALSE)
  paste(readLines(path, warn = FALSE, encoding = "UTF-8"), collapse = "\n")
}

# A scenario as the engine reads it: `origin` names it in messages (the file, or what the
# text came from), `text` is the TOML, `path` a file holding it (NULL until one is needed).
as_scenario <- function(s) {
  if (inherits(s, "endotrial_source")) return(s)
  if (is.list(s)) {
    return(structure(list(origin = "R list", text = scenario_toml(s), path = NULL),
                     class = "endotrial_source"))
  }
  if (is.character(s) && length(s) == 1 && !is.na(s)) {
    if (file.exists(s)) {
      return(structure(list(origin = s, text = read_text(s), path = s),
                       class = "endotrial_source"))
    }
    if (grepl("=", s, fixed = TRUE)) {
      return(structure(list(origin = "TOML text", text = s, path = NULL),
                       class = "endotrial_source"))
    }
    stop("no such scenario file: '", s, "'", call. = FALSE)
  }
  stop("a scenario is a file path, TOML text or a list (read_scenario())", call. = FALSE)
}

# A file holding the scenario, for the commands that read files (size, sweep, compare,
# report, check): the user's own file, or the text written to a temporary folder under the
# scenario's name.
scenario_file <- function(src) {
  if (!is.null(src$path)) return(src$path)
  path <- file.path(tempfile("endotrial-scenario-"), paste0(scenario_name(src), ".toml"))
  dir.create(dirname(path))
  writeLines(src$text, path, sep = "")
  path
}

# The scenario's name (its results folder), without repeating its warnings.
scenario_name <- function(src) {
  engine("et_validate", src$origin, src$text)$name
}
