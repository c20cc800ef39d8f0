//! Stopping the runs of one command early, for a host that embeds the engine (the R package's
//! Ctrl-C). rayon has no cancellation, so a run checks a token between chunks of trials: on a
//! thread that watches a token that is set, the remaining chunks are skipped and the run,
//! rather than return a tally of part of its trials, unwinds with `Stopped` once its loop is
//! over (one unwinding, however many chunks were skipped). A thread that watches no token (the
//! command line's, the tests') never stops.
//!
//! The token is per thread, not per process, so that one command's stop cannot reach another
//! run in the same process; a command's thread pool hands it to its workers.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// What a stopped run unwinds with.
pub struct Stopped;

thread_local! {
    static TOKEN: RefCell<Option<Arc<AtomicBool>>> = const { RefCell::new(None) };
}

/// Makes this thread's runs stop once `token` is set (`None`: never).
pub fn watch(token: Option<Arc<AtomicBool>>) {
    TOKEN.with(|t| *t.borrow_mut() = token);
}

/// The token this thread watches, for the threads it starts to watch too.
pub fn watched() -> Option<Arc<AtomicBool>> {
    TOKEN.with(|t| t.borrow().clone())
}

/// Whether this thread's runs are to stop.
pub(crate) fn requested() -> bool {
    TOKEN.with(|t| {
        t.borrow()
            .as_ref()
            .is_some_and(|t| t.load(Ordering::Relaxed))
    })
}

/// Called by a run after its loop: unwinds with `Stopped` when a stop was requested, since
/// chunks may have been skipped.
pub(crate) fn unwind_if_requested() {
    if requested() {
        // resume_unwind, not panic!: no panic hook runs (nothing is printed) for a stop.
        std::panic::resume_unwind(Box::new(Stopped));
    }
}
