# The repository the package lives in: its shipped scenarios, committed results and CLI
# binary are what the package is checked against. ENDOTRIAL_ROOT names it when the tests run
# from elsewhere (R CMD check's copy).
repo_root <- function() {
  root <- Sys.getenv("ENDOTRIAL_ROOT", "")
  if (root == "") {
    here <- normalizePath(".")
    while (!file.exists(file.path(here, "scenarios")) && dirname(here) != here) here <- dirname(here)
    root <- here
  }
  if (!file.exists(file.path(root, "scenarios"))) skip("the endotrial repository is not found")
  root
}

in_repo <- function(...) file.path(repo_root(), ...)

# The command-line binary (cargo build --release), run with `args`; its stdout.
cli <- function(args) {
  bin <- in_repo("target", "release", "endotrial")
  if (!file.exists(bin)) skip("the CLI is not built (cargo build --release)")
  out <- suppressWarnings(system2(bin, args, stdout = TRUE, stderr = TRUE))
  status <- attr(out, "status")
  if (!is.null(status) && status != 0) stop("endotrial ", paste(args, collapse = " "), ": ",
                                            paste(out, collapse = "\n"))
  out
}

# A file's exact text.
file_text <- function(path) readChar(path, file.size(path), useBytes = TRUE)
