use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether stderr is a terminal (read once at start): only then is there a progress line to
/// clear, and escape codes to write.
static STDERR_IS_TERMINAL: AtomicBool = AtomicBool::new(false);

/// Ctrl-C: clear the progress line (on a terminal), say so, and exit 130 as shells expect.
/// Only async-signal-safe calls (an atomic load, write, _exit). Results are never
/// half-written: every file is written to a temporary file and renamed.
extern "C" fn interrupted(_: libc::c_int) {
    const ON_TERMINAL: &[u8] = b"\r\x1b[2Kinterrupted\n";
    const PLAIN: &[u8] = b"interrupted\n";
    let message = if STDERR_IS_TERMINAL.load(Ordering::Relaxed) {
        ON_TERMINAL
    } else {
        PLAIN
    };
    // SAFETY: write(2) and _exit(2) are async-signal-safe; the buffers are static.
    unsafe {
        libc::write(2, message.as_ptr().cast(), message.len());
        libc::_exit(130);
    }
}

fn main() -> ExitCode {
    STDERR_IS_TERMINAL.store(
        std::io::IsTerminal::is_terminal(&std::io::stderr()),
        Ordering::Relaxed,
    );
    // SAFETY: called first, before any other thread exists; the dispositions are valid.
    unsafe {
        // Die quietly on a closed pipe (`endotrial ... | head`), as Unix tools do, instead of
        // panicking in println!.
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        libc::signal(
            libc::SIGINT,
            interrupted as extern "C" fn(libc::c_int) as libc::sighandler_t,
        );
    }
    endotrial::cli::main()
}
