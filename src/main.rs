use std::process::ExitCode;

/// Ctrl-C: clear the progress line, say so, and exit 130 as shells expect. Only
/// async-signal-safe calls (write, _exit). Results are never half-written: every file is
/// written to a temporary file and renamed.
extern "C" fn interrupted(_: libc::c_int) {
    const MESSAGE: &[u8] = b"\r\x1b[2Kinterrupted\n";
    // SAFETY: write(2) and _exit(2) are async-signal-safe; the buffer is static.
    unsafe {
        libc::write(2, MESSAGE.as_ptr().cast(), MESSAGE.len());
        libc::_exit(130);
    }
}

fn main() -> ExitCode {
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
