# Every call into the Rust engine goes through here: a bad input comes back as a condition of
# class `endotrial_error` (with the command line's message, naming the file and the key) and
# is raised as an R error, so that `tryCatch(..., endotrial_error = )` can single it out.
engine <- function(name, ...) {
  out <- .Call(paste0("wrap__", name), ..., PACKAGE = "endotrial")
  if (inherits(out, "endotrial_error")) stop(out)
  out
}
