//! endotrial's engine for R (extendr): scenario text <-> R lists, validation, runs that R can
//! interrupt, the other commands in process, and result CSVs as columns whose numbers are the
//! engine's own doubles. The R functions users call are in `r/R/`.

use std::ffi::c_void;

use endotrial::cli::host;
use extendr_api::prelude::*;

mod columns;
mod toml_list;

/// What a binding returns: its value, or an error the R side raises with `stop()`.
type Answer<T> = std::result::Result<T, String>;

/// The message the command line prints after `error: `.
fn message(e: impl Into<anyhow::Error>) -> String {
    format!("{:#}", e.into())
}

/// A value for R, or on error a condition of class `endotrial_error` that the package's R
/// code raises. (extendr's own `Result` return raises by panicking, which prints a Rust
/// panic and backtrace on every bad input.)
fn answer<T: Into<Robj>>(result: Answer<T>) -> Robj {
    match result {
        Ok(value) => value.into(),
        Err(message) => {
            let mut condition: Robj = List::from_names_and_values(
                ["message", "call"],
                [Robj::from(message), Robj::from(())],
            )
            .expect("two names, two values")
            .into();
            condition
                .set_class(["endotrial_error", "error", "condition"])
                .expect("a class on a list");
            condition
        }
    }
}

/// A scenario's text parsed into an R list: tables are named lists, arrays of tables unnamed
/// lists, other arrays atomic vectors marked `AsIs` (so that one element stays an array).
#[extendr]
fn et_toml_to_list(text: &str, origin: &str) -> Robj {
    answer(toml_list::to_list(text).map_err(|e| format!("{origin}: {e}")))
}

/// An R list as scenario text (`et_toml_to_list`'s inverse).
#[extendr]
fn et_list_to_toml(x: Robj) -> Robj {
    answer(toml_list::to_toml(&x))
}

/// The validated scenario: its name, the resolved design as `endotrial validate` prints it,
/// the keys `sweep` accepts and the warnings.
#[extendr]
fn et_validate(origin: &str, text: String) -> Robj {
    answer(validate(origin, text))
}

fn validate(origin: &str, text: String) -> Answer<List> {
    let s = host::load_text(origin, text).map_err(message)?;
    List::from_names_and_values(
        ["name", "design", "keys", "warnings"],
        [
            Robj::from(s.design.name.as_str()),
            Robj::from(host::describe(&s)),
            Robj::from(host::keys(&s)),
            Robj::from(host::warnings(&s)),
        ],
    )
    .map_err(|e| e.to_string())
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
fn whole(name: &str, x: Nullable<f64>) -> Answer<Option<u64>> {
    match x {
        Nullable::Null => Ok(None),
        Nullable::NotNull(v) if v >= 0.0 && v.fract() == 0.0 && v <= 2f64.powi(53) => {
            Ok(Some(v as u64))
        }
        Nullable::NotNull(v) => Err(format!(
            "{name} = {v}: expected a whole number >= 0 (at most 2^53)"
        )),
    }
}

/// Runs a scenario as `endotrial run` does, R's interrupt checked between slices of trials:
/// the terminal's tables, each result file's text by file name, and the scenario's warnings.
#[extendr]
fn et_run(
    origin: &str,
    text: String,
    replicates: Nullable<f64>,
    seed: Nullable<f64>,
    threads: Nullable<f64>,
) -> Robj {
    answer(run(origin, text, replicates, seed, threads))
}

fn run(
    origin: &str,
    text: String,
    replicates: Nullable<f64>,
    seed: Nullable<f64>,
    threads: Nullable<f64>,
) -> Answer<List> {
    let (replicates, seed) = (whole("replicates", replicates)?, whole("seed", seed)?);
    let threads = whole("threads", threads)?;
    if threads == Some(0) || replicates == Some(0) {
        return Err("replicates and threads: expected a whole number >= 1".into());
    }
    let mut s = host::load_text(origin, text).map_err(message)?;
    let warnings = host::warnings(&s);
    let out = host::run(&mut s, replicates, seed, threads, &mut interrupted)
        .map_err(message)?
        .ok_or("interrupted: no results")?;
    let names: Vec<&str> = out.files.iter().map(|(n, _)| *n).collect();
    let texts: Vec<Robj> = out
        .files
        .iter()
        .map(|(_, bytes)| Robj::from(String::from_utf8_lossy(bytes).as_ref()))
        .collect();
    let files = List::from_names_and_values(names, texts).map_err(|e| e.to_string())?;
    List::from_names_and_values(
        ["tables", "files", "warnings"],
        [Robj::from(out.tables), files.into(), Robj::from(warnings)],
    )
    .map_err(|e| e.to_string())
}

/// Runs a command line in process, as the `endotrial` binary would (it prints what the binary
/// prints), R's interrupt checked every 50 ms; FALSE when `check` found results that moved.
#[extendr]
fn et_command(args: Vec<String>) -> Robj {
    let mut argv = vec!["endotrial".to_string()];
    argv.extend(args);
    let outcome = host::command(&argv, &mut interrupted).map_err(message);
    answer(outcome.and_then(|done| done.ok_or_else(|| "interrupted: no results".to_string())))
}

/// A result CSV's columns, named by its header: numeric where every field is a number (empty
/// ones NA), logical for true/false, character otherwise.
#[extendr]
fn et_csv_columns(text: &str) -> Robj {
    answer(columns::csv_columns(text))
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
