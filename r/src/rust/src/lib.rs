//! endotrial's engine for R (extendr): scenario text <-> R lists, validation, runs that R can
//! interrupt, the other commands in process, and result CSVs as columns whose numbers are the
//! engine's own doubles. The R functions users call are in `r/R/`.

use std::ffi::c_void;

use endotrial::cli::host;
use extendr_api::Result;
use extendr_api::prelude::*;

mod columns;
mod toml_list;

/// An R error carrying the message the command line prints after `error: `.
fn r_error(e: &anyhow::Error) -> Error {
    Error::Other(format!("{e:#}"))
}

/// A scenario's text parsed into an R list: tables are named lists, arrays of tables unnamed
/// lists, other arrays atomic vectors marked `AsIs` (so that one element stays an array).
#[extendr]
fn et_toml_to_list(text: &str, origin: &str) -> Result<Robj> {
    toml_list::to_list(text).map_err(|e| Error::Other(format!("{origin}: {e}")))
}

/// An R list as scenario text (`et_toml_to_list`'s inverse).
#[extendr]
fn et_list_to_toml(x: Robj) -> Result<String> {
    toml_list::to_toml(&x).map_err(Error::Other)
}

/// The validated scenario: its name, the resolved design as `endotrial validate` prints it,
/// the keys `sweep` accepts and the warnings.
#[extendr]
fn et_validate(origin: &str, text: String) -> Result<List> {
    let s = host::load_text(origin, text).map_err(|e| r_error(&e.into()))?;
    List::from_names_and_values(
        ["name", "design", "keys", "warnings"],
        [
            Robj::from(s.design.name.as_str()),
            Robj::from(host::describe(&s)),
            Robj::from(host::keys(&s)),
            Robj::from(host::warnings(&s)),
        ],
    )
}

unsafe extern "C" {
    // R's C API (R_ext/Utils.h, Rinternals.h); not in extendr's bindings.
    fn R_CheckUserInterrupt();
    fn R_ToplevelExec(fun: Option<unsafe extern "C" fn(*mut c_void)>, data: *mut c_void) -> i32;
}

unsafe extern "C" fn check_interrupt(_: *mut c_void) {
    // SAFETY: called by R_ToplevelExec on R's main thread.
    unsafe { R_CheckUserInterrupt() }
}

/// Whether the user pressed Ctrl-C / Esc. R_CheckUserInterrupt alone would jump out of this
/// Rust frame (skipping destructors, with the worker threads still holding the design);
/// inside R_ToplevelExec the jump stops there and comes back as FALSE.
fn interrupted() -> bool {
    // SAFETY: called between slices of a run, on R's main thread, with no R object borrowed.
    unsafe { R_ToplevelExec(Some(check_interrupt), std::ptr::null_mut()) == 0 }
}

/// A whole number from R (a double, as R's numbers are), for replicates, seed and threads.
fn whole(name: &str, x: Nullable<f64>) -> Result<Option<u64>> {
    match x {
        Nullable::Null => Ok(None),
        Nullable::NotNull(v) if v >= 0.0 && v.fract() == 0.0 && v <= 2f64.powi(53) => {
            Ok(Some(v as u64))
        }
        Nullable::NotNull(v) => Err(Error::Other(format!(
            "{name} = {v}: expected a whole number >= 0 (at most 2^53)"
        ))),
    }
}

/// Runs a scenario as `endotrial run` does, R's interrupt checked between slices of trials:
/// the terminal's tables and each result file's text, by file name.
#[extendr]
fn et_run(
    origin: &str,
    text: String,
    replicates: Nullable<f64>,
    seed: Nullable<f64>,
    threads: Nullable<f64>,
) -> Result<List> {
    let (replicates, seed) = (whole("replicates", replicates)?, whole("seed", seed)?);
    let threads = whole("threads", threads)?;
    if threads == Some(0) || replicates == Some(0) {
        return Err(Error::Other(
            "replicates and threads: expected a whole number >= 1".into(),
        ));
    }
    let mut s = host::load_text(origin, text).map_err(|e| r_error(&e.into()))?;
    let out = host::run(&mut s, replicates, seed, threads, &mut interrupted)
        .map_err(|e| r_error(&e))?
        .ok_or_else(|| Error::Other("interrupted: no results".into()))?;
    let names: Vec<&str> = out.files.iter().map(|(n, _)| *n).collect();
    let texts: Vec<Robj> = out
        .files
        .iter()
        .map(|(_, bytes)| Robj::from(String::from_utf8_lossy(bytes).as_ref()))
        .collect();
    List::from_names_and_values(
        ["tables", "files"],
        [
            Robj::from(out.tables),
            List::from_names_and_values(names, texts)?.into(),
        ],
    )
}

/// Runs a command line in process, as the `endotrial` binary would (it prints what the binary
/// prints); FALSE when `check` found results that moved.
#[extendr]
fn et_command(args: Vec<String>) -> Result<bool> {
    let mut argv = vec!["endotrial".to_string()];
    argv.extend(args);
    host::command(&argv).map_err(|e| r_error(&e))
}

/// A result CSV's columns, named by its header: numeric where every field is a number (empty
/// ones NA), logical for true/false, character otherwise.
#[extendr]
fn et_csv_columns(text: &str) -> Result<List> {
    columns::csv_columns(text).map_err(Error::Other)
}

extendr_module! {
    mod endotrial;
    fn et_toml_to_list;
    fn et_list_to_toml;
    fn et_validate;
    fn et_run;
    fn et_command;
    fn et_csv_columns;
}
