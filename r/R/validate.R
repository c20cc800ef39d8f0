#' Validate a scenario and show the resolved design
#'
#' Errors are R errors with the command line's message, naming the file (or "R list",
#' "TOML text") and the key; likely mistakes are R warnings.
#'
#' @param s A scenario: a file path, TOML text or a list (`read_scenario()`).
#' @return An object of class `endotrial_design`: `name`, `design` (the text
#'   `endotrial validate` prints), `keys` (what `sweep_scenario()` accepts) and `warnings`.
#' @export
validate_scenario <- function(s) {
  src <- as_scenario(s)
  v <- engine("et_validate", src$origin, src$text)
  for (w in v$warnings) warning(w, call. = FALSE)
  structure(v, class = "endotrial_design")
}

#' @export
print.endotrial_design <- function(x, ...) {
  cat(x$design)
  invisible(x)
}
